//! License badges (亮照) in the console: the applications and badges in scope
//! (`/badges`, filtered by state and district) and one badge (`/badges/{serial}`) with its
//! proof, its last sweep check, its snippet once issued, its history, and the staff's forms —
//! issue (发放), refuse (不予发放), suspend (暂停), revoke (撤销), reinstate (恢复). Each form is
//! one `badge` function, the one `wangjian badge …` calls, with the viewer's scope and role;
//! refusals are worded by [`crate::badge_words`]. Merchants apply and prove on the portal.
//!
//! A badge is in a viewer's scope when its entity is (the store decides); a serial out of scope
//! answers 404 like a missing one, before any permission is checked.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{BadgeSerial, BadgeState, Permission};
use serde::Deserialize;
use store::{Badge, BadgeFilter, BadgeSort};

use super::render;
use crate::badge_words::refusal;
use crate::exports;
use crate::forms::Posted;
use crate::view::{self, param, DistrictCodeParam, Export, Head, ListLinks, Opt, Pager, PAGE_SIZE};
use crate::{Shared, Viewer, WebError};

/// A badge as a row of the list and the head of its page.
struct Row {
    serial: String,
    entity_id: i64,
    entity: String,
    uscc: String,
    district: String,
    domain: String,
    method: &'static str,
    state: &'static str,
    state_code: &'static str,
    proof: String,
    applied: String,
    issued: String,
    cause: String,
    check: String,
    checked: String,
}

impl Row {
    fn new(app: &Shared, b: &Badge) -> Row {
        Row {
            serial: b.serial.to_string(),
            entity_id: b.entity_id.0,
            entity: b.entity_name.clone(),
            uscc: b.uscc.clone(),
            district: view::district_label(&app.districts, Some(b.district)),
            domain: b.domain.clone(),
            method: b.method.title(),
            state: b.state.title(),
            state_code: b.state.code(),
            proof: match (b.proof_result, &b.proof_detail) {
                (None, _) => "尚未验证".to_string(),
                (Some(r), Some(d)) if !d.is_empty() => format!("{}（{d}）", r.title()),
                (Some(r), _) => r.title().to_string(),
            },
            applied: view::time(b.applied_at),
            issued: view::opt_time(b.issued_at),
            cause: match (b.cause, &b.cause_note) {
                (None, _) => String::new(),
                (Some(c), Some(n)) if !n.is_empty() => format!("{}：{n}", c.title()),
                (Some(c), _) => c.title().to_string(),
            },
            check: b
                .check_verdict
                .map(|v| v.title())
                .unwrap_or("尚未巡查")
                .into(),
            checked: view::opt_time(b.checked_at),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    state: Option<String>,
    district: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
}

impl ListParams {
    /// The filter without paging, sorted as the request names.
    fn filter(&self) -> Result<BadgeFilter, WebError> {
        Ok(BadgeFilter {
            state: param::<BadgeState>("state", &self.state)?,
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            sort: view::sort_param(&self.sort, &self.dir)?,
            ..BadgeFilter::default()
        })
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("state", view::text(&self.state)),
            ("district", view::text(&self.district)),
        ]
    }
}

/// The badge list's columns: label and the key each sorts by.
const COLUMNS: &[(&str, Option<BadgeSort>)] = &[
    ("编号", Some(BadgeSort::Serial)),
    ("经营主体", Some(BadgeSort::Entity)),
    ("域名", Some(BadgeSort::Domain)),
    ("验证方式", Some(BadgeSort::Method)),
    ("状态", Some(BadgeSort::State)),
    ("验证结果", Some(BadgeSort::Proof)),
    ("最近巡查", Some(BadgeSort::Check)),
    ("申请时间", Some(BadgeSort::AppliedAt)),
    ("发放时间", Some(BadgeSort::IssuedAt)),
];

#[derive(Template)]
#[template(path = "badges.html")]
struct ListPage {
    active: &'static str,
    rows: Vec<Row>,
    states: Vec<Opt>,
    districts: Vec<Opt>,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    heads: Vec<Head>,
    pager: Pager,
    csv_href: String,
    xlsx_href: String,
}

/// `GET /badges`: applications and badges in scope, newest first unless sorted.
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let page = view::page_param(&p.page)?;
    let filter = BadgeFilter {
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        ..p.filter()?
    };
    let scope = viewer.scope();
    let counted = BadgeFilter {
        count_up_to: Some(view::count_up_to(page)),
        ..filter.clone()
    };
    let total = app.store.count_badges(scope.clone(), &counted).await?;
    let rows = app.store.badges(scope, &filter).await?;
    let (state, district) = (view::text(&p.state), view::text(&p.district));
    let links = ListLinks::new("/badges", p.pairs(), filter.sort);
    let mut states = vec![Opt::new("", "全部状态", &state)];
    states.extend(
        BadgeState::ALL
            .iter()
            .map(|s| Opt::new(s.code(), s.title(), &state)),
    );
    render(&ListPage {
        active: "badges",
        rows: rows.iter().map(|b| Row::new(&app, b)).collect(),
        states,
        districts: view::district_options(&app.districts, &district),
        sort_fields: links.sort_fields(),
        heads: links.heads(COLUMNS),
        pager: links.pager(page, rows.len(), total),
        csv_href: links.export("/export/badges", "csv"),
        xlsx_href: links.export("/export/badges", "xlsx"),
    })
}

/// `GET /export/badges`: the badge list as shown (filters, sort, every page).
pub(crate) async fn export(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<Export<ListParams>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = p.list.filter()?;
    let scope = viewer.scope();
    let counted = BadgeFilter {
        count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
        ..filter.clone()
    };
    view::export_cap(app.store.count_badges(scope.clone(), &counted).await?)?;
    let rows = exports::all_rows(|offset, limit| {
        let filter = BadgeFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let (store, scope) = (app.store.clone(), scope.clone());
        async move { store.badges(scope, &filter).await }
    })
    .await?;
    exports::response(&exports::badges_table(&rows, &app.districts), &p.format)
}

#[derive(Template)]
#[template(path = "badge.html")]
struct BadgePage {
    active: &'static str,
    b: Row,
    contact: String,
    reviewed_by: String,
    check_url: String,
    snippet: String,
    image_url: String,
    may_act: bool,
    signing: bool,
    may_issue: bool,
    may_refuse: bool,
    may_suspend: bool,
    may_revoke: bool,
    may_reinstate: bool,
    audit: Vec<view::AuditRow>,
}

/// The badge of a path's serial in the viewer's scope (404 otherwise).
async fn in_scope(app: &Shared, viewer: &Viewer, raw: &str) -> Result<Badge, WebError> {
    let serial = raw
        .parse::<BadgeSerial>()
        .map_err(|_| WebError::NotFound(format!("亮照 {raw}")))?;
    app.store
        .badge(viewer.scope(), serial)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("亮照 {serial}")))
}

/// `GET /badges/{serial}`: one badge with the staff's forms.
pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let b = in_scope(&app, &viewer, &raw).await?;
    let snippet = app
        .badges
        .as_ref()
        .and_then(|c| badge::snippet(&c.settings, &b));
    let after = |a| b.state.after(a).is_ok();
    use domain::BadgeAction as A;
    let audit = app.store.audit_of(&format!("badge:{}", b.serial)).await?;
    render(&BadgePage {
        active: "badges",
        contact: b.contact.clone(),
        reviewed_by: b.reviewed_by.clone().unwrap_or_default(),
        check_url: b.check_url.clone().unwrap_or_default(),
        image_url: snippet
            .as_ref()
            .map(|s| s.image_url.clone())
            .unwrap_or_default(),
        snippet: snippet.map(|s| s.html).unwrap_or_default(),
        may_act: viewer.may(Permission::Badges),
        signing: app.badges.is_some(),
        may_issue: after(A::Issue),
        may_refuse: after(A::Refuse),
        may_suspend: after(A::Suspend),
        may_revoke: after(A::Revoke),
        may_reinstate: after(A::Reinstate),
        audit: audit.iter().map(view::AuditRow::new).collect(),
        b: Row::new(&app, &b),
    })
}

/// A staff step's form: the reason (or note) it is taken for.
#[derive(Debug, Deserialize)]
pub(crate) struct StepForm {
    #[serde(default)]
    reason: String,
}

/// After a step: back to the badge's page.
fn back(b: &Badge) -> Response {
    Redirect::to(&format!("/badges/{}", b.serial)).into_response()
}

/// `POST /badges/{serial}/issue`: signs and issues a proven application.
pub(crate) async fn issue(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    Posted { viewer, .. }: Posted<StepForm>,
) -> Result<Response, WebError> {
    let b = in_scope(&app, &viewer, &raw).await?;
    viewer.require(Permission::Badges)?;
    let console = app
        .badges
        .as_ref()
        .ok_or_else(|| WebError::Unavailable("亮照签名密钥未配置".into()))?;
    let b = badge::issue(
        app.store.as_ref(),
        &console.key,
        viewer.scope(),
        Some(viewer.user().role),
        b.serial,
        chrono::Utc::now(),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(back(&b))
}

/// The steps that take a reason: refuse, suspend, revoke, reinstate.
#[derive(Debug, Clone, Copy)]
enum Step {
    Refuse,
    Suspend,
    Revoke,
    Reinstate,
}

async fn step(
    app: Shared,
    viewer: Viewer,
    raw: String,
    form: StepForm,
    step: Step,
) -> Result<Response, WebError> {
    let b = in_scope(&app, &viewer, &raw).await?;
    let (store, scope, role) = (app.store.as_ref(), viewer.scope(), Some(viewer.user().role));
    let by = viewer.audit_actor();
    let reason = form.reason.as_str();
    let b = match step {
        Step::Refuse => badge::refuse(store, scope, role, b.serial, reason, &by).await,
        Step::Suspend => badge::suspend(store, scope, role, b.serial, reason, &by).await,
        Step::Revoke => badge::revoke(store, scope, role, b.serial, reason, &by).await,
        Step::Reinstate => badge::reinstate(store, scope, role, b.serial, reason, &by).await,
    }
    .map_err(refusal)?;
    Ok(back(&b))
}

/// `POST /badges/{serial}/refuse`: refuses an application, with a reason.
pub(crate) async fn refuse(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    Posted { viewer, form }: Posted<StepForm>,
) -> Result<Response, WebError> {
    step(app, viewer, raw, form, Step::Refuse).await
}

/// `POST /badges/{serial}/suspend`: suspends an issued badge, with a reason.
pub(crate) async fn suspend(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    Posted { viewer, form }: Posted<StepForm>,
) -> Result<Response, WebError> {
    step(app, viewer, raw, form, Step::Suspend).await
}

/// `POST /badges/{serial}/revoke`: revokes a badge for good, with a reason.
pub(crate) async fn revoke(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    Posted { viewer, form }: Posted<StepForm>,
) -> Result<Response, WebError> {
    step(app, viewer, raw, form, Step::Revoke).await
}

/// `POST /badges/{serial}/reinstate`: reinstates a suspended badge.
pub(crate) async fn reinstate(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    Posted { viewer, form }: Posted<StepForm>,
) -> Result<Response, WebError> {
    step(app, viewer, raw, form, Step::Reinstate).await
}
