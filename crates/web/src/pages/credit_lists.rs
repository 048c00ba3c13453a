//! The dishonesty lists in the console (名录管理), credit repair, third-party evaluations,
//! commitments and the public view's preview. Each form is one `credit` function — the one
//! the command line's `wangjian credit …` calls — with the viewer as caller; refusals are put
//! in words by [`crate::credit_list_words`].
//!
//! - `/credit/lists`: listings in scope, filtered (list, open or removed, district); the form
//!   to list an entity (`POST /credit/lists`).
//! - `/credit/listings/{id}`: one listing, its removal form, its repair applications with
//!   the forms to apply (`…/repair`) and decide the pending one (`…/decide`).
//! - `/evaluations` (第三方评价): an evaluator sees their assigned entities and enters
//!   evaluations (`POST /evaluations`); others see the evaluations in their scope.
//! - `/credit/commitments`: commitments in scope, the form to record one and to mark one
//!   broken (`/credit/commitments/{id}/break`).
//! - `/entities/{id}/public` (公示信息预览): what the public will see of an entity.
//!
//! A form naming a row outside the viewer's scope is answered 404 before any permission is
//! checked, exactly like a missing row.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use credit::lists::{self, Caller};
use credit::publicity::{self, PublicityRules};
use credit::{commitments, evaluations, repair};
use domain::{
    CommitmentId, EntityId, ListKind, ListingCause, ListingId, Permission, RemovalReason,
    RepairState, Role,
};
use serde::Deserialize;
use store::{Listing, ListingFilter, ListingSort, RepairFilter, Scope};

use super::render;
use crate::credit_list_words::refusal;
use crate::forms::Posted;
use crate::view::{self, param, DistrictCodeParam, ListLinks, Opt, Pager, PAGE_SIZE};
use crate::{AppState, Shared, Viewer, WebError};

/// The viewer as the `credit` crate's caller.
pub(crate) fn caller(viewer: &Viewer) -> Caller {
    Caller {
        role: Some(viewer.user().role),
        user: Some(viewer.user().id),
        scope: viewer.scope(),
        actor: viewer.audit_actor(),
    }
}

/// Today (UTC, like the command line's).
fn today() -> NaiveDate {
    domain::time::beijing_date(chrono::Utc::now())
}

/// A date field: blank is today; anything else must be `YYYY-MM-DD`.
fn date_field(raw: &Option<String>, what: &str) -> Result<NaiveDate, WebError> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| WebError::BadRequest(format!("{what}“{s}”无效（格式：YYYY-MM-DD）"))),
    }
}

/// The entity a form names, by USCC or id, in the viewer's scope (404 otherwise).
async fn entity_of(app: &AppState, viewer: &Viewer, raw: &str) -> Result<EntityId, WebError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(WebError::BadRequest(
            "请填写经营主体（统一社会信用代码或编号）".into(),
        ));
    }
    let found = match raw.parse::<i64>() {
        Ok(id) if raw.len() < 18 => app.store.entity(viewer.scope(), EntityId(id)).await?,
        _ => {
            app.store
                .entity_by_uscc(viewer.scope(), &raw.to_uppercase())
                .await?
        }
    };
    found
        .map(|e| e.id)
        .ok_or_else(|| WebError::NotFound(format!("经营主体 {raw}")))
}

/// The words of an abnormal listing's cause (a code) or a serious violation's (free text).
pub(crate) fn cause_words(l: &Listing) -> String {
    match l.list {
        ListKind::Abnormal => l
            .cause
            .parse::<ListingCause>()
            .map(|c| c.title().to_string())
            .unwrap_or_else(|_| l.cause.clone()),
        ListKind::SeriousViolation => l.cause.clone(),
    }
}

/// A listing as the pages show it.
pub(crate) struct ListingRow {
    pub id: i64,
    pub entity_id: i64,
    pub entity: String,
    pub uscc: String,
    pub district: String,
    pub list: &'static str,
    pub cause: String,
    pub decision_no: String,
    pub listed_on: String,
    pub removed_on: String,
    pub removed_reason: &'static str,
    pub open: bool,
    pub from_case: bool,
}

impl ListingRow {
    fn new(app: &AppState, l: &Listing) -> ListingRow {
        ListingRow {
            id: l.id.0,
            entity_id: l.entity_id.0,
            entity: l.entity_name.clone(),
            uscc: l.uscc.clone(),
            district: view::district_label(&app.districts, Some(l.district)),
            list: l.list.title(),
            cause: cause_words(l),
            decision_no: l.decision_no.clone().unwrap_or_else(|| "—".into()),
            listed_on: l.listed_on.to_string(),
            removed_on: view::opt_date(l.removed_on),
            removed_reason: l.removed_reason.map_or("—", |r| r.title()),
            open: l.is_open(),
            from_case: l.outcome_id.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "credit_lists.html")]
struct ListsPage {
    active: &'static str,
    rows: Vec<ListingRow>,
    pager: Pager,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    heads: Vec<view::Head>,
    csv_href: String,
    xlsx_href: String,
    lists: Vec<Opt>,
    states: Vec<Opt>,
    districts: Vec<Opt>,
    causes: Vec<Opt>,
    may_credit: bool,
    today: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListsParams {
    list: Option<String>,
    state: Option<String>,
    district: Option<String>,
    entity: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
}

impl ListsParams {
    pub(crate) fn filter(&self) -> Result<ListingFilter, WebError> {
        Ok(ListingFilter {
            list: param::<ListKind>("list", &self.list)?,
            open: match self.state.as_deref().unwrap_or("") {
                "" => None,
                "open" => Some(true),
                "removed" => Some(false),
                other => {
                    return Err(WebError::BadRequest(format!(
                        "参数 state 的值“{other}”无效（open 或 removed）"
                    )))
                }
            },
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            entity_id: param::<i64>("entity", &self.entity)?.map(EntityId),
            sort: view::sort_param(&self.sort, &self.dir)?,
            ..Default::default()
        })
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("list", view::text(&self.list)),
            ("state", view::text(&self.state)),
            ("district", view::text(&self.district)),
            ("entity", view::text(&self.entity)),
        ]
    }
}

/// The listings' columns: label and the key each sorts by.
const COLUMNS: &[(&str, Option<ListingSort>)] = &[
    ("#", Some(ListingSort::Id)),
    ("名录", Some(ListingSort::List)),
    ("经营主体", Some(ListingSort::Entity)),
    ("统一社会信用代码", Some(ListingSort::Uscc)),
    ("区域", Some(ListingSort::District)),
    ("列入事由", Some(ListingSort::Cause)),
    ("列入日期", Some(ListingSort::ListedOn)),
    ("移出日期", Some(ListingSort::RemovedOn)),
    ("移出原因", Some(ListingSort::RemovedReason)),
];

/// `GET /export/credit-listings`: the listings as `/credit/lists` shows them (filters, sort,
/// every page).
pub(crate) async fn export(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<view::Export<ListsParams>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = p.list.filter()?;
    let by = caller(&viewer);
    let store = app.store.as_ref();
    let (_, total) = lists::list(
        store,
        &by,
        &ListingFilter {
            limit: 1,
            count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
            ..filter.clone()
        },
    )
    .await
    .map_err(refusal)?;
    view::export_cap(total)?;
    let rows = crate::exports::all_rows(|offset, limit| {
        let filter = ListingFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let by = &by;
        async move { lists::list(store, by, &filter).await.map(|(rows, _)| rows) }
    })
    .await
    .map_err(refusal)?;
    crate::exports::response(
        &crate::exports::listings_table(&rows, &app.districts, cause_words),
        &p.format,
    )
}

/// `GET /credit/lists`.
pub(crate) async fn lists(
    State(app): State<Shared>,
    viewer: Viewer,
    Query(p): Query<ListsParams>,
) -> Result<Html<String>, WebError> {
    let page = view::page_param(&p.page)?;
    let filter = ListingFilter {
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        count_up_to: Some(view::count_up_to(page)),
        ..p.filter()?
    };
    let (rows, total) = lists::list(app.store.as_ref(), &caller(&viewer), &filter)
        .await
        .map_err(refusal)?;
    let links = ListLinks::new("/credit/lists", p.pairs(), filter.sort);
    let cur_list = p.list.clone().unwrap_or_default();
    let mut list_opts = vec![Opt::new("", "全部名录", &cur_list)];
    list_opts.extend(
        ListKind::ALL
            .iter()
            .map(|k| Opt::new(k.code(), k.title(), &cur_list)),
    );
    let cur_state = p.state.clone().unwrap_or_default();
    render(&ListsPage {
        active: "credit_lists",
        pager: links.pager(page, rows.len(), total),
        sort_fields: links.sort_fields(),
        heads: links.heads(COLUMNS),
        csv_href: links.export("/export/credit-listings", "csv"),
        xlsx_href: links.export("/export/credit-listings", "xlsx"),
        rows: rows.iter().map(|l| ListingRow::new(&app, l)).collect(),
        lists: list_opts,
        states: vec![
            Opt::new("", "全部", &cur_state),
            Opt::new("open", "在列", &cur_state),
            Opt::new("removed", "已移出", &cur_state),
        ],
        districts: view::district_options(&app.districts, p.district.as_deref().unwrap_or("")),
        causes: ListingCause::ALL
            .iter()
            .map(|c| Opt::new(c.code(), c.title(), ""))
            .collect(),
        may_credit: viewer.may(Permission::Credit),
        today: today().to_string(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddListingForm {
    entity: String,
    list: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    abnormal_cause: String,
    decision_no: Option<String>,
    listed_on: Option<String>,
}

/// `POST /credit/lists`: puts an entity on a list.
pub(crate) async fn add_listing(
    State(app): State<Shared>,
    posted: Posted<AddListingForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let f = posted.form;
    let entity = entity_of(&app, &viewer, &f.entity).await?;
    let list: ListKind = f
        .list
        .parse()
        .map_err(|_| WebError::BadRequest("请选择名录".into()))?;
    let cause = match list {
        ListKind::Abnormal if !f.abnormal_cause.trim().is_empty() => f.abnormal_cause,
        _ => f.cause,
    };
    let l = lists::add(
        app.store.as_ref(),
        &caller(&viewer),
        entity,
        list,
        &cause,
        f.decision_no.as_deref(),
        date_field(&f.listed_on, "列入日期")?,
    )
    .await
    .map_err(refusal)?;
    Ok(to_listing(l.id))
}

fn to_listing(id: ListingId) -> Response {
    Redirect::to(&format!("/credit/listings/{id}")).into_response()
}

pub(crate) struct RepairRow {
    pub id: i64,
    pub applied_on: String,
    pub applicant: String,
    pub statement: String,
    pub state: &'static str,
    pub decided: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "credit_listing.html")]
struct ListingPage {
    active: &'static str,
    l: ListingRow,
    repairs: Vec<RepairRow>,
    pending: Option<i64>,
    earliest: String,
    expires_on: String,
    may_credit: bool,
    today: String,
    removals: Vec<Opt>,
    audit: Vec<view::AuditRow>,
}

/// The listing in the viewer's scope (404 otherwise), before any permission is checked.
async fn listing_in_scope(app: &AppState, viewer: &Viewer, raw: &str) -> Result<Listing, WebError> {
    let id = ListingId(view::path_id(raw, "名录记录")?);
    app.store
        .credit_listing(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("名录记录 {id}")))
}

/// `GET /credit/listings/{id}`.
pub(crate) async fn listing(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let l = listing_in_scope(&app, &viewer, &raw).await?;
    let by = caller(&viewer);
    let rs = repair::list(
        app.store.as_ref(),
        &by,
        &RepairFilter {
            listing_id: Some(l.id),
            ..Default::default()
        },
    )
    .await
    .map_err(refusal)?;
    let entity = app.store.entity(Scope::City, l.entity_id).await?;
    // The listing's history, and each application's (found in scope above).
    let mut audit = app.store.audit_of(&format!("listing:{}", l.id)).await?;
    for r in &rs {
        audit.extend(app.store.audit_of(&format!("repair:{}", r.id)).await?);
    }
    audit.sort_by_key(|a| a.id);
    let food = entity.as_ref().is_some_and(repair::food_or_drugs);
    render(&ListingPage {
        active: "credit_lists",
        pending: rs
            .iter()
            .find(|r| r.state == RepairState::Pending)
            .map(|r| r.id.0),
        repairs: rs
            .iter()
            .map(|r| RepairRow {
                id: r.id.0,
                applied_on: r.applied_on.to_string(),
                applicant: r.applicant.clone(),
                statement: r.statement.clone(),
                state: r.state.title(),
                decided: view::opt_time(r.decided_at),
                reason: r.reason.clone().unwrap_or_default(),
            })
            .collect(),
        earliest: repair::earliest_application(&l, food).to_string(),
        expires_on: match l.list {
            ListKind::SeriousViolation => lists::expires_on(l.listed_on).to_string(),
            ListKind::Abnormal => String::new(),
        },
        l: ListingRow::new(&app, &l),
        may_credit: viewer.may(Permission::Credit),
        today: today().to_string(),
        removals: [RemovalReason::Corrected, RemovalReason::Mistaken]
            .iter()
            .map(|r| Opt::new(r.code(), r.title(), "corrected"))
            .collect(),
        audit: audit.iter().map(view::AuditRow::new).collect(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct RemoveForm {
    reason: String,
    note: Option<String>,
    removed_on: Option<String>,
}

/// `POST /credit/listings/{id}/remove`: corrected or mistaken.
pub(crate) async fn remove(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<RemoveForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let l = listing_in_scope(&app, &viewer, &raw).await?;
    let reason: RemovalReason = posted
        .form
        .reason
        .parse()
        .map_err(|_| WebError::BadRequest("请选择移出原因".into()))?;
    lists::remove(
        app.store.as_ref(),
        &caller(&viewer),
        l.id,
        reason,
        posted.form.note.as_deref(),
        date_field(&posted.form.removed_on, "移出日期")?,
    )
    .await
    .map_err(refusal)?;
    Ok(to_listing(l.id))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ApplyForm {
    #[serde(default)]
    applicant: String,
    #[serde(default)]
    statement: String,
    applied_on: Option<String>,
}

/// `POST /credit/listings/{id}/repair`: records a credit-repair application.
pub(crate) async fn apply(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<ApplyForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let l = listing_in_scope(&app, &viewer, &raw).await?;
    repair::apply(
        app.store.as_ref(),
        &caller(&viewer),
        l.id,
        &posted.form.applicant,
        &posted.form.statement,
        date_field(&posted.form.applied_on, "申请日期")?,
    )
    .await
    .map_err(refusal)?;
    Ok(to_listing(l.id))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DecideForm {
    /// `approve` or `refuse`.
    decision: String,
    reason: Option<String>,
    /// The application the person saw pending (when given, it must still be the pending one).
    repair: Option<String>,
}

/// `POST /credit/listings/{id}/decide`: decides the listing's pending application.
pub(crate) async fn decide(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<DecideForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let l = listing_in_scope(&app, &viewer, &raw).await?;
    let approve = match posted.form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return Err(WebError::BadRequest("请选择准予修复或不予修复".into())),
    };
    let by = caller(&viewer);
    by.require(Permission::Credit).map_err(refusal)?;
    let pending = repair::list(
        app.store.as_ref(),
        &by,
        &RepairFilter {
            listing_id: Some(l.id),
            state: Some(RepairState::Pending),
            ..Default::default()
        },
    )
    .await
    .map_err(refusal)?;
    let Some(r) = pending.first() else {
        return Err(WebError::Conflict(format!(
            "名录记录 {} 没有待审核的信用修复申请",
            l.id
        )));
    };
    if let Some(seen) = param::<i64>("repair", &posted.form.repair)? {
        if seen != r.id.0 {
            return Err(WebError::Conflict(format!(
                "信用修复申请 {seen} 已作出决定"
            )));
        }
    }
    repair::decide(
        app.store.as_ref(),
        &by,
        r.id,
        approve,
        posted.form.reason.as_deref(),
        today(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_listing(l.id))
}

pub(crate) struct EvaluationRow {
    pub entity_id: i64,
    pub entity: String,
    pub evaluator: String,
    pub score: i64,
    pub on: String,
    pub summary: String,
}

pub(crate) struct AssignedRow {
    pub id: i64,
    pub name: String,
    pub uscc: String,
}

#[derive(Template)]
#[template(path = "evaluations.html")]
struct EvaluationsPage {
    active: &'static str,
    rows: Vec<EvaluationRow>,
    total: i64,
    assigned: Vec<AssignedRow>,
    may_evaluate: bool,
    today: String,
}

/// `GET /evaluations`.
pub(crate) async fn evaluations_page(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    let (rows, total) = evaluations::list(app.store.as_ref(), &caller(&viewer), None, 200, 0)
        .await
        .map_err(refusal)?;
    let may_evaluate = viewer.may(Permission::Evaluate);
    let mut assigned = Vec::new();
    if may_evaluate && viewer.user().role == Role::Evaluator {
        for id in &viewer.user().entities {
            if let Some(e) = app.store.entity(viewer.scope(), *id).await? {
                assigned.push(AssignedRow {
                    id: e.id.0,
                    name: e.input.name,
                    uscc: e.input.uscc,
                });
            }
        }
    }
    render(&EvaluationsPage {
        active: "evaluations",
        rows: rows
            .into_iter()
            .map(|v| EvaluationRow {
                entity_id: v.entity_id.0,
                entity: v.entity_name,
                evaluator: v.evaluator,
                score: v.score,
                on: v.evaluated_on.to_string(),
                summary: v.summary,
            })
            .collect(),
        total,
        assigned,
        may_evaluate,
        today: today().to_string(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct EvaluationForm {
    entity: String,
    score: String,
    #[serde(default)]
    summary: String,
    evaluated_on: Option<String>,
}

/// `POST /evaluations`: the viewer's evaluation of an entity assigned to them.
pub(crate) async fn add_evaluation(
    State(app): State<Shared>,
    posted: Posted<EvaluationForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let f = posted.form;
    let entity = entity_of(&app, &viewer, &f.entity).await?;
    let score: i64 = f.score.trim().parse().map_err(|_| {
        WebError::BadRequest(format!("评分“{}”无效：应为 0 到 100 的整数", f.score))
    })?;
    evaluations::add(
        app.store.as_ref(),
        &caller(&viewer),
        entity,
        score,
        date_field(&f.evaluated_on, "评价日期")?,
        &f.summary,
    )
    .await
    .map_err(refusal)?;
    Ok(Redirect::to("/evaluations").into_response())
}

pub(crate) struct CommitmentRow {
    pub id: i64,
    pub entity_id: i64,
    pub entity: String,
    pub made_on: String,
    pub text: String,
    pub broken: bool,
    pub broken_on: String,
    pub broken_reason: String,
}

#[derive(Template)]
#[template(path = "credit_commitments.html")]
struct CommitmentsPage {
    active: &'static str,
    rows: Vec<CommitmentRow>,
    may_credit: bool,
    today: String,
}

/// `GET /credit/commitments`.
pub(crate) async fn commitments_page(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    let rows = commitments::list(app.store.as_ref(), &caller(&viewer), None)
        .await
        .map_err(refusal)?;
    render(&CommitmentsPage {
        active: "credit_lists",
        rows: rows
            .into_iter()
            .map(|c| CommitmentRow {
                id: c.id.0,
                entity_id: c.entity_id.0,
                entity: c.entity_name,
                made_on: c.made_on.to_string(),
                text: c.text,
                broken: c.broken_on.is_some(),
                broken_on: view::opt_date(c.broken_on),
                broken_reason: c.broken_reason.unwrap_or_default(),
            })
            .collect(),
        may_credit: viewer.may(Permission::Credit),
        today: today().to_string(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct CommitmentForm {
    entity: String,
    #[serde(default)]
    text: String,
    made_on: Option<String>,
}

/// `POST /credit/commitments`.
pub(crate) async fn add_commitment(
    State(app): State<Shared>,
    posted: Posted<CommitmentForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let f = posted.form;
    let entity = entity_of(&app, &viewer, &f.entity).await?;
    commitments::add(
        app.store.as_ref(),
        &caller(&viewer),
        entity,
        date_field(&f.made_on, "承诺日期")?,
        &f.text,
    )
    .await
    .map_err(refusal)?;
    Ok(Redirect::to("/credit/commitments").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct BreakForm {
    #[serde(default)]
    reason: String,
    broken_on: Option<String>,
}

/// `POST /credit/commitments/{id}/break`.
pub(crate) async fn break_commitment(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<BreakForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let id = CommitmentId(view::path_id(&raw, "信用承诺")?);
    // In scope first: another district's id is a 404 whatever the viewer's role.
    let by = caller(&viewer);
    if app.store.commitment(viewer.scope(), id).await?.is_none() {
        return Err(WebError::NotFound(format!("信用承诺 {id}")));
    }
    commitments::mark_broken(
        app.store.as_ref(),
        &by,
        id,
        date_field(&posted.form.broken_on, "违背日期")?,
        &posted.form.reason,
    )
    .await
    .map_err(refusal)?;
    Ok(Redirect::to("/credit/commitments").into_response())
}

pub(crate) struct PublicPenaltyRow {
    pub decision_no: String,
    pub legal_basis: String,
    pub fine: String,
    pub confiscation: String,
    pub decided_on: String,
    pub period: &'static str,
    pub ends: String,
    pub repaired: bool,
}

pub(crate) struct PublicListingRow {
    pub list: &'static str,
    pub cause: String,
    pub decision_no: String,
    pub listed_on: String,
    pub removed: String,
    pub ends: String,
}

#[derive(Template)]
#[template(path = "entity_public.html")]
struct PublicPage {
    active: &'static str,
    entity_id: i64,
    name: String,
    uscc: String,
    address: String,
    legal_form: &'static str,
    district: String,
    class: String,
    as_of: String,
    penalties: Vec<PublicPenaltyRow>,
    listings: Vec<PublicListingRow>,
}

/// `GET /entities/{id}/public`: the public view's preview, of an entity in scope.
pub(crate) async fn public_preview(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let id = EntityId(view::path_id(&raw, "经营主体")?);
    if app.store.entity(viewer.scope(), id).await?.is_none() {
        return Err(WebError::NotFound(format!("经营主体 {id}")));
    }
    let as_of = today();
    let v = publicity::public_view(app.store.as_ref(), id, as_of, &PublicityRules::default())
        .await
        .map_err(refusal)?;
    render(&PublicPage {
        active: "entities",
        entity_id: id.0,
        name: v.entity.name,
        uscc: v.entity.uscc,
        address: v.entity.address.unwrap_or_else(|| "—".into()),
        legal_form: v.entity.legal_form.title(),
        district: view::district_label(&app.districts, Some(v.entity.district)),
        class: v
            .class
            .map_or_else(|| "尚未评定".to_string(), |c| c.title().to_string()),
        as_of: as_of.to_string(),
        penalties: v
            .penalties
            .into_iter()
            .map(|p| PublicPenaltyRow {
                fine: if p.fine_fen == 0 {
                    "—".into()
                } else {
                    format!("{} 元", view::yuan(p.fine_fen))
                },
                confiscation: p.confiscation.unwrap_or_else(|| "—".into()),
                decision_no: p.decision_no,
                legal_basis: p.legal_basis,
                decided_on: p.decided_on.to_string(),
                period: if p.minor { "3个月" } else { "3年" },
                ends: p.publicity_ends.to_string(),
                repaired: p.repaired,
            })
            .collect(),
        listings: v
            .listings
            .into_iter()
            .map(|l| PublicListingRow {
                list: l.list.title(),
                cause: match l.list {
                    ListKind::Abnormal => l
                        .cause
                        .parse::<ListingCause>()
                        .map(|c| c.title().to_string())
                        .unwrap_or(l.cause),
                    ListKind::SeriousViolation => l.cause,
                },
                decision_no: l.decision_no.unwrap_or_else(|| "—".into()),
                listed_on: l.listed_on.to_string(),
                removed: match (l.removed_on, l.removed_reason) {
                    (Some(d), Some(r)) => format!("{d}（{}）", r.title()),
                    _ => "在列".into(),
                },
                ends: view::opt_date(l.publicity_ends),
            })
            .collect(),
    })
}
