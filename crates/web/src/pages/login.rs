//! Logging in and out. The login form is the one form without a session (so without a CSRF
//! token): it is guarded by the same-origin check and the cookie's `SameSite=Strict`, and
//! throttled by `people::login` per account and per client address.

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::header;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::render;
use crate::forms::{form_bytes, parse_form, Posted};
use crate::viewer::{cleared_cookie, client_of, session_cookie, Via};
use crate::{Shared, WebError};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    active: &'static str,
    next: String,
    username: String,
    message: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct NextParam {
    next: Option<String>,
}

/// Only a path of this console is a place to go back to (never `//host` or a URL).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

pub(crate) async fn page(Query(p): Query<NextParam>) -> Result<Response, WebError> {
    Ok(render(&LoginPage {
        active: "",
        next: safe_next(p.next.as_deref()),
        username: String::new(),
        message: None,
    })?
    .into_response())
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub(crate) async fn submit(State(app): State<Shared>, req: Request) -> Result<Response, WebError> {
    let client = client_of(req.extensions())
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let form: LoginForm = parse_form(&form_bytes(req).await?)?;
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_string();
    let outcome = people::login(
        app.store.as_ref(),
        &app.people,
        &username,
        &form.password,
        &client,
    )
    .await
    .map_err(|e| WebError::Internal(format!("login: {e}")))?;
    match outcome {
        Ok(session) => {
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&session.token, app.transport.https()),
            );
            Ok(res)
        }
        Err(refusal) => {
            let (status, message) = match refusal {
                people::LoginRefusal::BadCredentials => {
                    (StatusCode::UNAUTHORIZED, "用户名或密码错误。".to_string())
                }
                people::LoginRefusal::Locked { until } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "密码错误次数过多，账户已锁定至 {}，请稍后再试或联系管理员。",
                        crate::view::time(until)
                    ),
                ),
                people::LoginRefusal::Disabled => (
                    StatusCode::FORBIDDEN,
                    "该账户已停用，请联系管理员。".to_string(),
                ),
                people::LoginRefusal::Throttled => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "此地址登录失败次数过多，请稍后再试。".to_string(),
                ),
            };
            let mut res = render(&LoginPage {
                active: "",
                next,
                username,
                message: Some(message),
            })?
            .into_response();
            *res.status_mut() = status;
            Ok(res)
        }
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct LogoutForm {}

pub(crate) async fn logout(
    State(app): State<Shared>,
    posted: Posted<LogoutForm>,
) -> Result<Response, WebError> {
    // The form has no field but its CSRF token, which `Posted` checked.
    let Posted {
        viewer,
        form: LogoutForm {},
    } = posted;
    if let Via::Session { id_hash, .. } = viewer.via() {
        app.store
            .delete_session(id_hash)
            .await
            .map_err(WebError::Store)?;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, cleared_cookie(app.transport.https()));
    Ok(res)
}
