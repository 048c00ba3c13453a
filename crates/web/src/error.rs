//! The one web error type. A [`WebError`] renders as an HTML error page; wrapped in an
//! [`ApiError`] (the `/api/` route family) the same error renders as JSON. Store, evidence and
//! template failures are logged with the request id and shown to the user only as a generic
//! message carrying that id; not-found and bad-request messages are the user's own business
//! and are shown as written (escaped).

use askama::Template;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use crate::headers::request_id;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such row or record; the message names what was looked for (shown to the user).
    #[error("not found: {0}")]
    NotFound(String),
    /// The request asked for something malformed; the message says what (shown to the user).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The records could not be read. Logged; the user sees a generic message.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// An evidence file could not be read. Logged; the user sees a generic message.
    #[error(transparent)]
    Evidence(#[from] evidence::EvidenceError),
    /// A stored evidence record is corrupt or missing at its offset. Logged; shown, since it is
    /// a fact about the evidence the user needs (the message holds no file paths).
    #[error("evidence record unreadable: {0}")]
    CorruptEvidence(String),
    /// A page failed to render. Logged; the user sees a generic message.
    #[error("template: {0}")]
    Render(#[from] askama::Error),
    /// The request named a host the console does not answer to (DNS rebinding defence); the
    /// message is the host as sent (shown to the user, escaped).
    #[error("misdirected: {0}")]
    Misdirected(String),
    /// A part of the console is not available (the search index is off or failed); the
    /// message says which (shown to the user).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else that is our fault. Logged; the user sees a generic message.
    #[error("internal: {0}")]
    Internal(String),
    /// No live session or API token.
    #[error("not logged in")]
    Unauthenticated,
    /// The viewer's role does not grant this.
    #[error("forbidden: {0:?}")]
    Forbidden(domain::Permission),
    /// A state-changing request that a browser says came from another site.
    #[error("cross-site request")]
    CrossSite,
    /// A form without its session's CSRF token (missing, stale or forged).
    #[error("CSRF token missing or stale")]
    Csrf,
    /// A request body over the limit.
    #[error("request body too large")]
    TooLarge,
    /// The action conflicts with the record's state; the message says how (shown).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The viewer may not do this to this record (e.g. confirm their own capture request);
    /// the message says why (shown).
    #[error("refused: {0}")]
    Refused(String),
}

impl WebError {
    /// The HTTP status the error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Unauthenticated => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_)
            | WebError::CrossSite
            | WebError::Csrf
            | WebError::Refused(_) => StatusCode::FORBIDDEN,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Misdirected(_) => StatusCode::MISDIRECTED_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable code, for the JSON form.
    pub fn code(&self) -> &'static str {
        match self {
            WebError::NotFound(_) => "not_found",
            WebError::BadRequest(_) => "bad_request",
            WebError::Unavailable(_) => "unavailable",
            WebError::Unauthenticated => "unauthenticated",
            WebError::Forbidden(_) => "forbidden",
            WebError::CrossSite => "cross_site",
            WebError::Csrf => "csrf",
            WebError::TooLarge => "too_large",
            WebError::Conflict(_) => "conflict",
            WebError::Refused(_) => "refused",
            WebError::Misdirected(_) => "misdirected",
            _ => "internal",
        }
    }

    /// What the user is told. Internal details never appear here.
    pub fn public_message(&self) -> String {
        match self {
            WebError::NotFound(what) => format!("未找到：{what}"),
            WebError::BadRequest(why) => format!("请求有误：{why}"),
            WebError::CorruptEvidence(why) => format!("证据记录已损坏或无法解析：{why}"),
            WebError::Unavailable(what) => format!("暂不可用：{what}"),
            WebError::Unauthenticated => "请先登录（会话不存在或已过期）。".to_string(),
            WebError::Forbidden(p) => format!("您的角色无权执行此操作：{}。", permission_title(*p)),
            WebError::CrossSite => "拒绝来自其他网站的提交请求。".to_string(),
            WebError::Csrf => {
                "表单已过期或来源不明（CSRF 校验未通过），请刷新页面后重新提交。".to_string()
            }
            WebError::TooLarge => "提交的内容过大。".to_string(),
            WebError::Conflict(why) => format!("无法执行：{why}"),
            WebError::Refused(why) => format!("不能执行此操作：{why}"),
            WebError::Misdirected(host) => format!(
                "本控制台不接受发往主机名“{host}”的请求（防 DNS 重绑定）。请使用管理员公布的地址访问；\
                 管理员可在 wangjian.toml 的 [console] hosts 中添加该主机名。"
            ),
            _ => match request_id() {
                Some(id) => format!("服务器内部错误，已记录日志（请求编号 {id}）。"),
                None => "服务器内部错误，已记录日志。".to_string(),
            },
        }
    }

    /// Logs server-side failures; client errors are not worth an error line.
    fn log(&self) {
        match self {
            WebError::NotFound(_)
            | WebError::BadRequest(_)
            | WebError::Unauthenticated
            | WebError::Forbidden(_)
            | WebError::CrossSite
            | WebError::Csrf
            | WebError::TooLarge
            | WebError::Conflict(_)
            | WebError::Refused(_)
            | WebError::Misdirected(_) => {
                tracing::debug!(error = %self, "request refused")
            }
            _ => tracing::error!(error = %self, "request failed"),
        }
    }
}

/// A permission's name for people.
pub fn permission_title(p: domain::Permission) -> &'static str {
    use domain::Permission::*;
    match p {
        Read => "查阅",
        Triage => "研判与线索",
        Capture => "证据提取",
        Export => "证据导出",
        ViewEvidence => "查看证据",
        ManageUsers => "用户管理",
        Dispatch => "线索派发",
        Casework => "线索核查与办案",
        Reopen => "重新立案调查",
        Campaigns => "专项行动管理",
        Credit => "信用管理",
        Evaluate => "第三方评价",
        Sampling => "双随机抽查",
        Badges => "亮照管理",
        Archive => "证据归档",
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    active: &'static str,
    status: u16,
    title: &'static str,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let page = ErrorPage {
            active: "",
            status: status.as_u16(),
            title: match status {
                StatusCode::NOT_FOUND => "页面不存在",
                StatusCode::BAD_REQUEST => "请求有误",
                StatusCode::SERVICE_UNAVAILABLE => "暂不可用",
                StatusCode::UNAUTHORIZED => "请先登录",
                StatusCode::FORBIDDEN => "无权操作",
                StatusCode::PAYLOAD_TOO_LARGE => "内容过大",
                StatusCode::CONFLICT => "无法执行",
                StatusCode::MISDIRECTED_REQUEST => "主机名不符",
                _ if matches!(self, WebError::CorruptEvidence(_)) => "证据记录不可读",
                _ => "服务器内部错误",
            },
            message: self.public_message(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (status, page.message).into_response()
            }
        }
    }
}

/// A [`WebError`] on the `/api/` route family: rendered as
/// `{"error": code, "message": text}` with the same status and the same redaction.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

/// The JSON error envelope of every `/api/` response that is not a success.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"error": "not_found", "message": "未找到：网站 7"}))]
pub struct ErrorBody {
    /// A stable code: `bad_request`, `unauthenticated`, `forbidden`, `not_found`, `conflict`,
    /// `too_large`, `cross_site`, `csrf`, `unavailable` or `internal`.
    pub error: String,
    /// What happened, in Chinese, for people (never internal details).
    pub message: String,
}

impl From<&WebError> for ErrorBody {
    fn from(e: &WebError) -> ErrorBody {
        ErrorBody {
            error: e.code().to_string(),
            message: e.public_message(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        (self.0.status(), Json(ErrorBody::from(&self.0))).into_response()
    }
}

/// Unknown paths: a 404 page, or JSON under `/api/`.
pub(crate) async fn fallback(uri: Uri) -> Response {
    let err = WebError::NotFound(format!("路径 {}", uri.path()));
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        ApiError(err).into_response()
    } else {
        err.into_response()
    }
}
