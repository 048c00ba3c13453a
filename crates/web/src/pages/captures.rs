//! Two-person evidence capture (电子数据提取须两人). `/captures` lists the requests in the
//! viewer's scope (pending first) with the form that starts one; `/captures/{id}` shows one
//! request and its state.
//!
//! 1. `POST /captures` (a session's form, [`Permission::Capture`]): a URL of a known site in the
//!    viewer's scope, or a clue (its first finding's page), and a required reason; the page is
//!    found by `sweep::capture::target`, as `wangjian evidence capture` finds it, and stored as
//!    a pending request (audited).
//! 2. `POST /captures/{id}/confirm`: a second user with the permission and the request in scope
//!    confirms it. The requester cannot (refused with a reason; the store and the table refuse
//!    it too). Both users are checked as operators (`sweep::capture::check_operators`: active,
//!    allowed to capture, the site in their scope) before the request changes.
//! 3. The capture then runs in a background task of the console through
//!    `sweep::capture::capture_url` (the command line's function), with the two users'
//!    `user:NAME` as operators, so the WARC metadata, the custody row (written before the
//!    capture's checkpoint, which commits to it) and the audit log name them; the request becomes `done` with its sweep, or `failed` with the reason, and the page
//!    shows it. A console stopped mid-capture marks such requests failed when it starts again
//!    ([`fail_interrupted`]).
//!
//! `POST /captures/{id}/cancel` withdraws a pending request.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{CaptureRequestId, ClueId, Permission};
use serde::Deserialize;
use store::{
    Actor, CaptureRequest, CaptureRequestFilter, CaptureState, CaptureStep, NewCaptureRequest,
    Scope, StepRefusal, Store, StoreError,
};
use sweep::{CaptureRefusal, SweepError};

use super::render;
use crate::forms::Posted;
use crate::{view, Shared, Viewer, WebError};

/// Requests listed on `/captures`, besides every pending one.
const RECENT_SHOWN: i64 = 50;

/// The refusal shown to a requester who confirms their own request.
const OWN_REQUEST: &str = "不能确认自己发起的取证申请：电子数据提取须由另一名执法人员确认。";

struct RequestRow {
    id: i64,
    url: String,
    site: String,
    clue: Option<i64>,
    reason: String,
    state_label: &'static str,
    state_code: &'static str,
    requested_by: String,
    requested_at: String,
    confirmed_by: String,
    confirmed_at: String,
    finished_at: String,
    sweep: Option<i64>,
    error: String,
}

impl RequestRow {
    fn new(r: &CaptureRequest) -> RequestRow {
        RequestRow {
            id: r.id.0,
            url: r.url.clone(),
            site: r.site.clone(),
            clue: r.clue_id.map(|c| c.0),
            reason: r.reason.clone(),
            state_label: r.state.label(),
            state_code: r.state.code(),
            requested_by: r.requested_by_name.clone(),
            requested_at: view::time(r.requested_at),
            confirmed_by: r.confirmed_by_name.clone().unwrap_or_default(),
            confirmed_at: view::opt_time(r.confirmed_at),
            finished_at: view::opt_time(r.finished_at),
            sweep: r.sweep_id.map(|s| s.0),
            error: r.error.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "captures.html")]
struct CapturesPage {
    active: &'static str,
    pending: Vec<RequestRow>,
    recent: Vec<RequestRow>,
    may_capture: bool,
    configured: bool,
}

/// `GET /captures`.
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    let scope = viewer.scope();
    let pending = app
        .store
        .list_capture_requests(
            scope.clone(),
            &CaptureRequestFilter {
                states: vec![CaptureState::Pending],
                limit: 0,
            },
        )
        .await?;
    let recent = app
        .store
        .list_capture_requests(
            scope,
            &CaptureRequestFilter {
                states: vec![
                    CaptureState::Confirmed,
                    CaptureState::Done,
                    CaptureState::Failed,
                    CaptureState::Cancelled,
                ],
                limit: RECENT_SHOWN,
            },
        )
        .await?;
    render(&CapturesPage {
        active: "captures",
        pending: pending.iter().map(RequestRow::new).collect(),
        recent: recent.iter().map(RequestRow::new).collect(),
        may_capture: viewer.may(Permission::Capture),
        configured: app.capture.is_some(),
    })
}

#[derive(Template)]
#[template(path = "capture.html")]
struct CapturePage {
    active: &'static str,
    r: RequestRow,
    pending: bool,
    /// The viewer asked for it (and so may not confirm it).
    own: bool,
    may_capture: bool,
    may_export: bool,
    configured: bool,
}

fn request_id(raw: &str) -> Result<CaptureRequestId, WebError> {
    Ok(CaptureRequestId(view::path_id(raw, "取证申请")?))
}

/// The request `id` in the viewer's scope.
async fn request_in_scope(
    app: &Shared,
    viewer: &Viewer,
    id: CaptureRequestId,
) -> Result<CaptureRequest, WebError> {
    app.store
        .capture_request(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("取证申请 {id}")))
}

/// `GET /captures/{id}`.
pub(crate) async fn detail(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let r = request_in_scope(&app, &viewer, request_id(&raw)?).await?;
    render(&CapturePage {
        active: "captures",
        pending: r.state == CaptureState::Pending,
        own: r.requested_by == viewer.user().id,
        r: RequestRow::new(&r),
        may_capture: viewer.may(Permission::Capture),
        may_export: viewer.may(Permission::Export),
        configured: app.capture.is_some(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct RequestForm {
    url: Option<String>,
    clue: Option<String>,
    reason: Option<String>,
}

fn unconfigured() -> WebError {
    WebError::Unavailable("本控制台未配置证据提取".to_string())
}

/// `POST /captures`: a pending request.
pub(crate) async fn request(
    State(app): State<Shared>,
    posted: Posted<RequestForm>,
) -> Result<Response, WebError> {
    let (viewer, form) = (posted.viewer, posted.form);
    viewer.require(Permission::Capture)?;
    if app.capture.is_none() {
        return Err(unconfigured());
    }
    let reason = super::evidence::stated_reason(form.reason.as_deref()).ok_or_else(|| {
        WebError::BadRequest("请填写取证事由（如线索编号、举报、案件）。".to_string())
    })?;
    let clue = match form
        .clue
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => Some(ClueId(view::path_id(c, "线索")?)),
        None => None,
    };
    let target = sweep::capture::target(
        app.store.as_ref(),
        viewer.scope(),
        form.url.as_deref(),
        clue,
    )
    .await
    .map_err(capture_error)?;
    let created = app
        .store
        .create_capture_request(
            &NewCaptureRequest {
                url: target.url.to_string(),
                site_id: target.site.id,
                clue_id: target.clue.map(|c| c.id),
                reason,
                requested_by: viewer.user().id,
            },
            &viewer.audit_actor(),
        )
        .await?;
    Ok(Redirect::to(&format!("/captures/{}", created.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct EmptyForm {}

/// `POST /captures/{id}/confirm`: the second person's confirmation; the capture starts.
pub(crate) async fn confirm(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<EmptyForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Capture)?;
    let r = request_in_scope(&app, &viewer, request_id(&raw)?).await?;
    let settings = app.capture.clone().ok_or_else(unconfigured)?;
    if r.requested_by == viewer.user().id {
        return Err(WebError::Refused(OWN_REQUEST.to_string()));
    }
    if r.state != CaptureState::Pending {
        return Err(WebError::Conflict(format!(
            "该取证申请当前状态为“{}”，不能确认。",
            r.state.label()
        )));
    }
    // Both people must still be able to take this evidence.
    let site = app
        .store
        .site(viewer.scope(), r.site_id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("网站 {}", r.site_id)))?;
    let operators = sweep::capture::check_operators(
        app.store.as_ref(),
        &[format!("user:{}", r.requested_by_name), viewer.actor()],
        &site,
    )
    .await
    .map_err(capture_error)?;
    let confirmed = app
        .store
        .step_capture_request(
            viewer.scope(),
            r.id,
            &CaptureStep::Confirm,
            &viewer.audit_actor(),
        )
        .await
        .map_err(step_error)?;
    let url = url::Url::parse(&confirmed.url)
        .map_err(|e| WebError::Internal(format!("stored capture URL: {e}")))?;
    let (by, scope) = (viewer.audit_actor(), viewer.scope());
    let task_app = app.clone();
    tokio::spawn(async move {
        let req = sweep::capture::CaptureRequest {
            url,
            operators,
            reason: confirmed.reason.clone(),
            browser: settings.browser.clone(),
            clue: confirmed.clue_id,
        };
        let result = {
            let _log = task_app.log_lock.lock().await;
            sweep::capture::capture_url(task_app.store.clone(), &settings.sweep, req).await
        };
        let step = match result {
            Ok(outcome) => CaptureStep::Done(outcome.sweep_id),
            Err(e) => {
                tracing::warn!(request = %confirmed.id, error = %super::packages::error_chain(&e), "evidence capture failed");
                CaptureStep::Fail(failure_text(&e))
            }
        };
        if let Err(e) = task_app
            .store
            .step_capture_request(scope, confirmed.id, &step, &by)
            .await
        {
            tracing::error!(request = %confirmed.id, error = %e, "capture request not closed");
        }
    });
    Ok(Redirect::to(&format!("/captures/{}", r.id)).into_response())
}

/// `POST /captures/{id}/cancel`: withdraws a pending request.
pub(crate) async fn cancel(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<EmptyForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Capture)?;
    let r = request_in_scope(&app, &viewer, request_id(&raw)?).await?;
    app.store
        .step_capture_request(
            viewer.scope(),
            r.id,
            &CaptureStep::Cancel,
            &viewer.audit_actor(),
        )
        .await
        .map_err(step_error)?;
    Ok(Redirect::to(&format!("/captures/{}", r.id)).into_response())
}

/// Marks requests left `confirmed` by a console that stopped mid-capture as failed (their
/// capture was cut off; a new request takes it again). Called when a console starts.
pub async fn fail_interrupted(store: &dyn Store) -> Result<usize, StoreError> {
    let stale = store
        .list_capture_requests(
            Scope::City,
            &CaptureRequestFilter {
                states: vec![CaptureState::Confirmed],
                limit: 0,
            },
        )
        .await?;
    for r in &stale {
        store
            .step_capture_request(
                Scope::City,
                r.id,
                &CaptureStep::Fail("控制台在取证过程中停止，取证未完成，请重新申请。".into()),
                &Actor::system("console"),
            )
            .await?;
    }
    Ok(stale.len())
}

fn step_error(e: StoreError) -> WebError {
    match e {
        StoreError::Step(StepRefusal::OwnRequest) => WebError::Refused(OWN_REQUEST.to_string()),
        StoreError::Step(StepRefusal::WrongState { state, .. }) => WebError::Conflict(format!(
            "该取证申请当前状态为“{}”，不能执行此操作。",
            state.label()
        )),
        StoreError::Conflict(_) => {
            WebError::Conflict("该取证申请已被他人处理，请刷新页面。".to_string())
        }
        StoreError::NotFound(what) => WebError::NotFound(what),
        other => WebError::Store(other),
    }
}

/// A refusal before anything was captured, as the person is told it.
fn capture_error(e: SweepError) -> WebError {
    match e {
        SweepError::Capture(r) => match r {
            CaptureRefusal::NoClue { clue } => WebError::NotFound(format!("线索 {clue}")),
            CaptureRefusal::UnknownSite { .. }
            | CaptureRefusal::NoHost { .. }
            | CaptureRefusal::BadUrl { .. }
            | CaptureRefusal::NoTarget
            | CaptureRefusal::EmptyClue { .. }
            | CaptureRefusal::NotTheCluesSite { .. }
            | CaptureRefusal::TooFewOperators { .. } => WebError::BadRequest(refusal_text(&r)),
            _ => WebError::Refused(refusal_text(&r)),
        },
        other => WebError::Internal(format!(
            "evidence capture: {}",
            super::packages::error_chain(&other)
        )),
    }
}

/// Why a capture was refused, for people.
fn refusal_text(r: &CaptureRefusal) -> String {
    match r {
        CaptureRefusal::NoHost { url } | CaptureRefusal::BadUrl { url } => {
            format!("“{url}”不是有效的网址（须以 http:// 或 https:// 开头）。")
        }
        CaptureRefusal::UnknownSite { url } => {
            format!(
                "{url} 不属于您权限范围内的任何已知网站：请先登记该网站（或由巡查发现）后再取证。"
            )
        }
        CaptureRefusal::NoTarget => "请填写要取证的网址，或选择线索。".to_string(),
        CaptureRefusal::NoClue { clue } => format!("线索 {clue} 不存在或不在您的权限范围内。"),
        CaptureRefusal::EmptyClue { clue } => {
            format!("线索 {clue} 没有可取证的页面，请填写网址。")
        }
        CaptureRefusal::NotTheCluesSite { url, clue } => {
            format!("{url} 不是线索 {clue} 所属网站的页面。")
        }
        CaptureRefusal::TooFewOperators { needed, got } => {
            format!("电子数据提取须至少 {needed} 名不同的提取人，现有 {got} 名。")
        }
        CaptureRefusal::UnknownOperator { name } => format!("提取人 {name} 不是本系统用户。"),
        CaptureRefusal::OperatorDisabled { name } => format!("提取人 {name} 的账户已停用。"),
        CaptureRefusal::OperatorMayNotCapture { name } => {
            format!("提取人 {name} 的角色无权进行证据提取。")
        }
        CaptureRefusal::OperatorOutOfScope { name, site } => {
            format!("网站 {site} 不在提取人 {name} 的辖区内。")
        }
    }
}

/// Why a confirmed capture failed, as the request keeps it (the person reads it).
fn failure_text(e: &SweepError) -> String {
    match e {
        SweepError::Capture(r) => refusal_text(r),
        SweepError::Log(evidence::tlog::LogError::Locked { .. }) => {
            "透明日志正被其他进程（如正在进行的巡查）占用，取证未进行，请稍后重新申请。".to_string()
        }
        other => format!(
            "取证过程出错（技术细节：{}）。",
            super::packages::error_chain(other)
        ),
    }
}
