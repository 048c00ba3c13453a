//! Who is asking, and therefore what they may see and do. The one place a request's user and
//! [`Scope`] are decided: the [`authenticate`] middleware, in front of every route but the
//! login page, the stylesheet and the transparency log's publications, finds the user of the
//! session cookie (or of an `Authorization: Bearer` API token) and puts a [`Viewer`] in the
//! request; handlers take the `Viewer` and call [`Viewer::scope`], never build a `Scope`
//! themselves. A request without a live session is sent to `/login` (HTML) or answered 401
//! (`/api/`).
//!
//! State-changing requests pass [`same_origin`] (a `Sec-Fetch-Site` or `Origin` from another
//! site is refused) on every route, the login form included; forms posted with a session carry
//! the session's CSRF token, which the [`crate::forms::Posted`] extractor checks.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Permission;
use store::{Actor, Scope, User};

use crate::error::{ApiError, WebError};
use crate::headers::request_id;
use crate::Shared;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "wj_session";

/// How the request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A session cookie; forms carry this CSRF token.
    Session { csrf: String, id_hash: String },
    /// An API token (no cookie, so no CSRF token is needed).
    Token,
}

/// The person behind a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    user: User,
    via: Via,
}

impl Viewer {
    /// The rows this viewer may read. Every store read of district-owned rows takes this.
    pub fn scope(&self) -> Scope {
        self.user.scope()
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn via(&self) -> &Via {
        &self.via
    }

    /// Who this viewer is in the chain of custody: `user:USERNAME`.
    pub fn actor(&self) -> String {
        self.user.actor()
    }

    /// Who makes a change, for the audit log: the user and this request's id.
    pub fn audit_actor(&self) -> Actor {
        Actor::user(&self.user, request_id().map(|id| id.to_string()))
    }

    /// The CSRF token the forms of this session carry (none for an API token).
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token => None,
        }
    }

    /// Whether the viewer's role grants `p`.
    pub fn may(&self, p: Permission) -> bool {
        self.user.role.may(p)
    }

    /// `Forbidden` unless the viewer's role grants `p`.
    pub fn require(&self, p: Permission) -> Result<(), WebError> {
        if self.may(p) {
            Ok(())
        } else {
            Err(WebError::Forbidden(p))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or(WebError::Unauthenticated)
    }
}

/// What the top bar of every page shows of the logged-in user.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub display_name: String,
    pub username: String,
    pub role: &'static str,
    pub csrf: String,
    pub admin: bool,
    /// May triage findings and make clues (the forms are shown).
    pub may_triage: bool,
}

tokio::task_local! {
    static NAV_USER: Option<NavUser>;
}

/// The logged-in user of the request being rendered (for the top bar), if any.
pub fn nav_user() -> Option<NavUser> {
    NAV_USER.try_with(|u| u.clone()).ok().flatten()
}

/// Whether the logged-in user of the page being rendered may triage (forms are shown).
pub fn may_triage() -> bool {
    nav_user().is_some_and(|u| u.may_triage)
}

/// The CSRF token of the page being rendered (empty without a session).
pub fn csrf_token() -> String {
    nav_user().map(|u| u.csrf).unwrap_or_default()
}

/// The client address of a request: the connection's peer (a trusted proxy's
/// `X-Forwarded-For` is the transport layer's business).
pub(crate) fn client_of(parts_ext: &axum::http::Extensions) -> Option<SocketAddr> {
    parts_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a)
}

/// The value of one cookie of a request.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub(crate) fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The user of a request's API token or session cookie (a session is marked used).
async fn find_user(
    app: &Shared,
    headers: &HeaderMap,
) -> Result<Option<(User, Via)>, people::PeopleError> {
    match bearer(headers) {
        Some(token) => Ok(people::token_user(app.store.as_ref(), token)
            .await?
            .map(|user| (user, Via::Token))),
        None => match cookie(headers, SESSION_COOKIE) {
            Some(token) => Ok(people::session(app.store.as_ref(), &app.people, token)
                .await?
                .map(|s| {
                    let via = Via::Session {
                        csrf: s.csrf,
                        id_hash: s.id_hash,
                    };
                    (s.user, via)
                })),
            None => Ok(None),
        },
    }
}

/// What the top bar shows of a user logged in with a session (nothing for an API token).
fn nav_of(user: &User, via: &Via) -> Option<NavUser> {
    match via {
        Via::Session { csrf, .. } => Some(NavUser {
            display_name: user.display_name.clone(),
            username: user.username.clone(),
            role: user.role.title(),
            csrf: csrf.clone(),
            admin: user.role.may(Permission::ManageUsers),
            may_triage: user.role.may(Permission::Triage),
        }),
        Via::Token => None,
    }
}

/// Middleware of the public pages: a logged-in visitor still gets their top bar; nobody is
/// sent anywhere.
pub(crate) async fn identify(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let nav = match find_user(&app, req.headers()).await {
        Ok(Some((user, via))) => nav_of(&user, &via),
        _ => None,
    };
    NAV_USER.scope(nav, next.run(req)).await
}

/// Middleware: the viewer of the request, from its session cookie or API token; without one,
/// HTML requests are sent to the login page and API requests answered 401.
pub(crate) async fn authenticate(
    State(app): State<Shared>,
    mut req: Request,
    next: Next,
) -> Response {
    let api = is_api(req.uri().path());
    let found = find_user(&app, req.headers()).await;
    let (user, via) = match found {
        Ok(Some(found)) => found,
        Ok(None) if api => return ApiError(WebError::Unauthenticated).into_response(),
        Ok(None) => {
            // Back to where they were going after logging in (a GET only: a form's target
            // would lose its body).
            let next_path = match *req.method() {
                Method::GET => req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let to = match next_path.as_str() {
                "" | "/" => "/login".to_string(),
                p => format!("/login?next={}", crate::view::encode(p)),
            };
            return Redirect::to(&to).into_response();
        }
        Err(e) => {
            let e = WebError::Internal(format!("authentication: {e}"));
            return if api {
                ApiError(e).into_response()
            } else {
                e.into_response()
            };
        }
    };
    let nav = nav_of(&user, &via);
    req.extensions_mut().insert(Viewer { user, via });
    let mut res = NAV_USER.scope(nav, next.run(req)).await;
    // What a logged-in person sees is theirs: never kept by a browser or a shared cache.
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Middleware on every route: a state-changing request (anything but GET, HEAD, OPTIONS) that
/// a browser says comes from another site is refused with 403 before any handler runs.
/// Browsers send `Sec-Fetch-Site` (only `same-origin` and `none`, a typed address, pass) or at
/// least `Origin`, whose host must be the request's `Host`; clients that send neither (scripts
/// with an API token, the command line) are not browsers and cannot be forged into sending
/// cookies.
pub(crate) async fn same_origin(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let ok = match site {
        Some(s) => matches!(s, "same-origin" | "none"),
        None => match h.get(header::ORIGIN) {
            None => true,
            Some(origin) => {
                let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
                let origin_host = origin
                    .to_str()
                    .ok()
                    .and_then(|o| o.split_once("://"))
                    .map(|(_, rest)| rest.trim_end_matches('/'));
                host.is_some() && origin_host == host
            }
        },
    };
    if ok {
        next.run(req).await
    } else {
        let e = WebError::CrossSite;
        if is_api(req.uri().path()) {
            ApiError(e).into_response()
        } else {
            e.into_response()
        }
    }
}

/// The `Set-Cookie` value that stores a session token (`Secure` under TLS).
pub(crate) fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("a token is base64url")
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn cleared_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .expect("ASCII")
}
