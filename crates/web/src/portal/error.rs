//! The portal's one error type. A [`PortalError`] renders as the portal's own error page
//! (`portal/error.html`) in the request's language; store and template failures are logged
//! with the request id and shown only as a generic message carrying that id. It never renders
//! the console's error page, and never names a console route.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::lang::Lang;
use crate::headers::request_id;

/// Why a portal request failed.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// No such page or record (also a record the public may not see).
    #[error("not found")]
    NotFound,
    /// The record was public and has been withdrawn (410).
    #[error("gone")]
    Gone,
    /// A query or path that cannot be read.
    #[error("bad request")]
    BadRequest,
    /// The method is not served on this path.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request named a host the portal does not answer to (the host as sent, shown escaped).
    #[error("misdirected: {0}")]
    Misdirected(String),
    /// The request had no `Host`, or several.
    #[error("no host")]
    NoHost,
    /// The handler did not answer within the limit (seconds).
    #[error("timed out after {0} s")]
    TimedOut(f64),
    /// A part of the portal is not available.
    #[error("unavailable")]
    Unavailable,
    /// The records could not be read. Logged; the user sees a generic message.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A page failed to render. Logged; the user sees a generic message.
    #[error("template: {0}")]
    Render(#[from] askama::Error),
    /// Anything else that is our fault. Logged; the user sees a generic message.
    #[error("internal: {0}")]
    Internal(String),
}

impl PortalError {
    /// The HTTP status the error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            PortalError::NotFound => StatusCode::NOT_FOUND,
            PortalError::Gone => StatusCode::GONE,
            PortalError::BadRequest | PortalError::NoHost => StatusCode::BAD_REQUEST,
            PortalError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            PortalError::Misdirected(_) => StatusCode::MISDIRECTED_REQUEST,
            PortalError::TimedOut(_) | PortalError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The page's heading.
    pub fn title(&self, lang: Lang) -> &'static str {
        match self {
            PortalError::NotFound => lang.pick("页面不存在", "Page not found"),
            PortalError::Gone => lang.pick("已撤回", "Withdrawn"),
            PortalError::BadRequest | PortalError::NoHost => lang.pick("请求有误", "Bad request"),
            PortalError::MethodNotAllowed => lang.pick("不支持的请求方式", "Method not allowed"),
            PortalError::Misdirected(_) => lang.pick("主机名不符", "Wrong host name"),
            PortalError::TimedOut(_) | PortalError::Unavailable => {
                lang.pick("暂不可用", "Temporarily unavailable")
            }
            _ => lang.pick("服务器内部错误", "Server error"),
        }
    }

    /// What the user is told. Internal details never appear here.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            PortalError::NotFound => lang
                .pick("您访问的页面不存在。", "The page you asked for does not exist.")
                .to_string(),
            PortalError::Gone => lang
                .pick(
                    "该内容已由发布机关撤回，不再公开。",
                    "This item has been withdrawn by the issuing authority and is no longer public.",
                )
                .to_string(),
            PortalError::BadRequest => lang
                .pick("请求的地址或参数有误。", "The address or its parameters are malformed.")
                .to_string(),
            PortalError::NoHost => lang
                .pick("请求未注明主机名。", "The request names no host.")
                .to_string(),
            PortalError::MethodNotAllowed => lang
                .pick("此地址不支持该请求方式。", "This address does not accept that method.")
                .to_string(),
            PortalError::Misdirected(host) => match lang {
                Lang::Zh => format!("本网站不接受发往主机名“{host}”的请求，请使用公布的网址访问。"),
                Lang::En => format!(
                    "This site does not answer to the host name “{host}”; please use its published address."
                ),
            },
            PortalError::TimedOut(secs) => match lang {
                Lang::Zh => format!("请求处理超过 {secs} 秒，已中止，请稍后重试。"),
                Lang::En => {
                    format!("The request took longer than {secs} s and was stopped; please try again later.")
                }
            },
            PortalError::Unavailable => lang
                .pick("该功能暂不可用，请稍后重试。", "This service is not available now; please try again later.")
                .to_string(),
            _ => match (request_id(), lang) {
                (Some(id), Lang::Zh) => format!("服务器内部错误，已记录日志（请求编号 {id}）。"),
                (Some(id), Lang::En) => {
                    format!("Server error; it has been logged (request number {id}).")
                }
                (None, _) => lang
                    .pick("服务器内部错误，已记录日志。", "Server error; it has been logged.")
                    .to_string(),
            },
        }
    }

    fn log(&self) {
        match self {
            PortalError::Store(_) | PortalError::Render(_) | PortalError::Internal(_) => {
                tracing::error!(error = %self, "portal request failed")
            }
            _ => tracing::debug!(error = %self, "portal request refused"),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage {
    lang: Lang,
    status: u16,
    title: &'static str,
    message: String,
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        self.log();
        let lang = super::current_lang();
        let status = self.status();
        let page = ErrorPage {
            lang,
            status: status.as_u16(),
            title: self.title(lang),
            message: self.message(lang),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "portal error page failed to render");
                (status, page.message).into_response()
            }
        }
    }
}
