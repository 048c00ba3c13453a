//! Complaints and reports (投诉举报) for staff. `/complaints`: the list in the viewer's scope
//! (state, kind, district, overdue; the deadlines with an overdue mark), `/complaints/{id}`:
//! one complaint with the complainant's contact (staff in scope only), the text as submitted
//! (escaped, wrapped however long, isolated so right-to-left overrides cannot turn the page),
//! the deadlines, the links, the history and the forms of the steps its state allows, each a
//! thin call of the `casework::complaints` function the command line calls too: accept,
//! refuse, mediate, end the mediation, verify a report, link, close with the published outcome
//! (`Permission::Casework`), dispatch (`Permission::Dispatch`). Every action looks the
//! complaint up in the viewer's scope first (404), then checks the permission (403); a refusal
//! is worded by `complaint_words` and changes nothing.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use casework::complaints;
use domain::{
    CaseId, ClueId, ComplaintId, ComplaintKind, ComplaintOutcome, ComplaintState, ComplaintStep,
    DistrictCode, EntityId, Permission,
};
use store::{Complaint, ComplaintFilter, ComplaintLinks, ComplaintSort, Scope};

use super::clues::today;
use super::render;
use crate::complaint_words::refusal;
use crate::exports;
use crate::forms::Posted;
use crate::view::{self, ComplaintParams, Export, ListLinks, Opt, Pager, PAGE_SIZE};
use crate::{AppState, Shared, Viewer, WebError};

/// A complaint as the lists show it.
pub(crate) struct ComplaintRow {
    pub id: i64,
    pub href: String,
    pub tracking_number: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub state_code: &'static str,
    pub subject: String,
    pub district: String,
    pub received_at: String,
    pub accept_by: String,
    pub mediation_ends_by: String,
    pub verify_by: String,
    pub overdue: bool,
    pub upheld: bool,
}

impl ComplaintRow {
    pub(crate) fn new(app: &AppState, c: &Complaint) -> ComplaintRow {
        ComplaintRow {
            id: c.id.0,
            href: format!("/complaints/{}", c.id),
            tracking_number: c.tracking_number.to_string(),
            kind: c.kind.title(),
            state: c.state.title(),
            state_code: c.state.code(),
            subject: c
                .entity_name
                .clone()
                .unwrap_or_else(|| c.subject.name.clone()),
            district: view::district_label(&app.districts, c.district),
            received_at: view::time(c.received_at),
            accept_by: c.accept_by.to_string(),
            mediation_ends_by: view::opt_date(c.mediation_ends_by),
            verify_by: view::opt_date(c.verify_by),
            overdue: c.overdue(today()),
            upheld: c.upheld,
        }
    }
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    active: &'static str,
    states: Vec<Opt>,
    kinds: Vec<Opt>,
    districts: Vec<Opt>,
    overdue: Vec<Opt>,
    filtered: bool,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    heads: Vec<view::Head>,
    csv_href: String,
    xlsx_href: String,
    rows: Vec<ComplaintRow>,
    pager: Pager,
}

/// `GET /complaints`.
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<ComplaintParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = params.filter(today())?;
    let sort = params.sort()?;
    let page = view::page_param(&params.page)?;
    let scope = viewer.scope();
    let counted = ComplaintFilter {
        count_up_to: Some(view::count_up_to(page)),
        ..filter.clone()
    };
    let total = app.store.count_complaints(scope.clone(), &counted).await?;
    let rows = app
        .store
        .list_complaints(
            scope,
            &ComplaintFilter {
                sort,
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
                ..filter.clone()
            },
        )
        .await?;
    let current = |o: &Option<String>| o.as_deref().unwrap_or_default().trim().to_string();
    let (state, kind, dist, overdue) = (
        current(&params.state),
        current(&params.kind),
        current(&params.district),
        current(&params.overdue),
    );
    let links = ListLinks::new("/complaints", params.pairs(), sort);
    let pager = links.pager(page, rows.len(), total);
    let mut states = vec![Opt::new("", "全部状态", &state)];
    states.extend(
        ComplaintState::ALL
            .iter()
            .map(|s| Opt::new(s.code(), s.title(), &state)),
    );
    let mut kinds = vec![Opt::new("", "全部类别", &kind)];
    kinds.extend(
        ComplaintKind::ALL
            .iter()
            .map(|k| Opt::new(k.code(), k.title(), &kind)),
    );
    let filtered = filter
        != ComplaintFilter {
            today: filter.today,
            ..ComplaintFilter::default()
        };
    render(&ComplaintsPage {
        active: "complaints",
        states,
        kinds,
        districts: view::district_options(&app.districts, &dist),
        overdue: vec![
            Opt::new("", "不限期限", &overdue),
            Opt::new("yes", "仅逾期", &overdue),
            Opt::new("no", "未逾期", &overdue),
        ],
        filtered,
        rows: rows.iter().map(|c| ComplaintRow::new(&app, c)).collect(),
        sort_fields: links.sort_fields(),
        heads: links.heads(COLUMNS),
        pager,
        csv_href: links.export("/export/complaints", "csv"),
        xlsx_href: links.export("/export/complaints", "xlsx"),
    })
}

/// The complaint list's columns: label and the key each sorts by.
const COLUMNS: &[(&str, Option<ComplaintSort>)] = &[
    ("#", Some(ComplaintSort::Id)),
    ("查询码", Some(ComplaintSort::TrackingNumber)),
    ("类别", Some(ComplaintSort::Kind)),
    ("被投诉举报经营者", Some(ComplaintSort::Subject)),
    ("状态", Some(ComplaintSort::State)),
    ("承办区", Some(ComplaintSort::District)),
    ("受理期限", Some(ComplaintSort::AcceptBy)),
    ("调解期限", Some(ComplaintSort::MediationEndsBy)),
    ("核查时限", Some(ComplaintSort::VerifyBy)),
    ("登记时间", Some(ComplaintSort::ReceivedAt)),
];

/// `GET /export/complaints`: the complaint list as shown (filters, sort, every page); the
/// complainants' personal data is not in it.
pub(crate) async fn export(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<Export<ComplaintParams>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let today = today();
    let filter = ComplaintFilter {
        sort: p.list.sort()?,
        ..p.list.filter(today)?
    };
    let scope = viewer.scope();
    let counted = ComplaintFilter {
        count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
        ..filter.clone()
    };
    view::export_cap(app.store.count_complaints(scope.clone(), &counted).await?)?;
    let rows = exports::all_rows(|offset, limit| {
        let filter = ComplaintFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let (store, scope) = (app.store.clone(), scope.clone());
        async move { store.list_complaints(scope, &filter).await }
    })
    .await?;
    exports::response(
        &exports::complaints_table(&rows, &app.districts, today),
        &p.format,
    )
}

/// One step of the history as the page shows it.
struct EventRow {
    at: String,
    actor: String,
    action: &'static str,
    state: &'static str,
    note: String,
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct ComplaintPage {
    active: &'static str,
    c: ComplaintRow,
    channel: &'static str,
    subject_name: String,
    subject_uscc: String,
    subject_url: String,
    subject_address: String,
    entity: Option<(i64, String)>,
    clue_id: Option<i64>,
    case_id: Option<i64>,
    body: String,
    complainant_name: String,
    complainant_phone: String,
    complainant_email: String,
    accepted_at: String,
    outcome: String,
    outcome_text: String,
    published_at: String,
    events: Vec<EventRow>,
    csrf: String,
    may_accept: bool,
    may_mediate: bool,
    may_end_mediation: bool,
    may_verify: bool,
    may_close: bool,
    may_link: bool,
    may_dispatch: bool,
    outcomes: Vec<Opt>,
    dispatch_districts: Vec<Opt>,
}

/// The complaint `raw` names, in the viewer's scope (404 otherwise).
async fn find(app: &AppState, scope: Scope, raw: &str) -> Result<Complaint, WebError> {
    let id = ComplaintId(view::path_id(raw, "投诉举报")?);
    app.store
        .complaint(scope, id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("投诉举报 {id}")))
}

/// `GET /complaints/{id}`.
pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let scope = viewer.scope();
    let c = find(&app, scope.clone(), &raw).await?;
    let events = app
        .store
        .complaint_events(scope, c.id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            at: view::time(e.at),
            actor: e.actor,
            action: view::audit_action_label(&e.action),
            state: e.state.title(),
            note: e.note.unwrap_or_default(),
        })
        .collect();
    let work = viewer.csrf().is_some() && viewer.may(Permission::Casework);
    let can = |step| work && c.state.after(c.kind, step).is_ok();
    let current = c.district.map(|d| d.to_string()).unwrap_or_default();
    render(&ComplaintPage {
        active: "complaints",
        c: ComplaintRow::new(&app, &c),
        channel: c.channel.title(),
        subject_name: c.subject.name.clone(),
        subject_uscc: c.subject.uscc.clone().unwrap_or_default(),
        subject_url: c.subject.url.clone().unwrap_or_default(),
        subject_address: c.subject.address.clone().unwrap_or_default(),
        entity: c
            .entity_id
            .map(|e| (e.0, c.entity_name.clone().unwrap_or_default())),
        clue_id: c.clue_id.map(|k| k.0),
        case_id: c.case_id.map(|k| k.0),
        body: c.body.clone(),
        complainant_name: c.complainant.name.clone(),
        complainant_phone: c.complainant.phone.clone().unwrap_or_default(),
        complainant_email: c.complainant.email.clone().unwrap_or_default(),
        accepted_at: view::opt_time(c.accepted_at),
        outcome: c.outcome.map(|o| o.title().to_string()).unwrap_or_default(),
        outcome_text: c.outcome_text.clone().unwrap_or_default(),
        published_at: view::opt_time(c.published_at),
        events,
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        may_accept: can(ComplaintStep::Accept),
        may_mediate: can(ComplaintStep::StartMediation),
        may_end_mediation: can(ComplaintStep::EndMediation { agreed: true }),
        may_verify: can(ComplaintStep::Verify { found: true }),
        may_close: can(ComplaintStep::Close),
        may_link: work,
        may_dispatch: viewer.csrf().is_some()
            && viewer.may(Permission::Dispatch)
            && c.state.is_open(),
        outcomes: ComplaintOutcome::ALL
            .iter()
            .filter(|o| **o != ComplaintOutcome::Refused)
            .map(|o| Opt::new(o.code(), o.title(), ""))
            .collect(),
        dispatch_districts: app
            .districts
            .current(today())
            .filter(|d| d.code.as_u32() % 100 != 0)
            .map(|d| {
                Opt::new(
                    d.code.to_string(),
                    format!("{} {}", d.name, d.code),
                    &current,
                )
            })
            .collect(),
    })
}

/// Every field a complaint's forms post (each form uses some).
#[derive(serde::Deserialize)]
pub(crate) struct StepForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    upheld: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    clue: String,
    #[serde(default)]
    case: String,
    #[serde(default)]
    district: String,
}

fn to_complaint(id: ComplaintId) -> Response {
    Redirect::to(&format!("/complaints/{id}")).into_response()
}

fn note(f: &StepForm) -> Option<&str> {
    Some(f.note.as_str()).filter(|n| !n.trim().is_empty())
}

/// The complaint in scope and the permission, before any step.
async fn step_on(
    app: &AppState,
    viewer: &Viewer,
    raw: &str,
    permission: Permission,
) -> Result<Complaint, WebError> {
    let c = find(app, viewer.scope(), raw).await?;
    viewer.require(permission)?;
    Ok(c)
}

/// `POST /complaints/{id}/accept`.
pub(crate) async fn accept(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<StepForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = step_on(&app, &viewer, &raw, Permission::Casework).await?;
    complaints::accept(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        note(&posted.form),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_complaint(c.id))
}

/// `POST /complaints/{id}/refuse`: not accepted, the reason published.
pub(crate) async fn refuse(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<StepForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = step_on(&app, &viewer, &raw, Permission::Casework).await?;
    complaints::refuse(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        &posted.form.reason,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_complaint(c.id))
}

/// `POST /complaints/{id}/mediate`: mediation starts.
pub(crate) async fn mediate(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<StepForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = step_on(&app, &viewer, &raw, Permission::Casework).await?;
    complaints::start_mediation(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        &app.casework,
        today(),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_complaint(c.id))
}

fn answer(raw: &str, yes: &str, no: &str, words: &str) -> Result<bool, WebError> {
    match raw.trim() {
        a if a == yes => Ok(true),
        a if a == no => Ok(false),
        _ => Err(WebError::BadRequest(format!("请选择{words}"))),
    }
}

/// `POST /complaints/{id}/mediation`: mediation ends, agreed or not.
pub(crate) async fn end_mediation(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<StepForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = step_on(&app, &viewer, &raw, Permission::Casework).await?;
    let agreed = answer(
        &posted.form.answer,
        "agreed",
        "failed",
        "调解结果：达成协议或终止调解",
    )?;
    complaints::end_mediation(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        agreed,
        note(&posted.form),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_complaint(c.id))
}

/// `POST /complaints/{id}/verify`: a report verified or not.
pub(crate) async fn verify(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<StepForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = step_on(&app, &viewer, &raw, Permission::Casework).await?;
    let found = answer(
        &posted.form.answer,
        "verified",
        "not_verified",
        "核查结果：属实或不实",
    )?;
    complaints::verify(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        found,
        note(&posted.form),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_complaint(c.id))
}

fn opt_id(raw: &str, what: &str) -> Result<Option<i64>, WebError> {
    let raw = raw.trim().trim_start_matches('#');
    if raw.is_empty() {
        return Ok(None);
    }
    view::path_id(raw, what).map(Some)
}

/// `POST /complaints/{id}/link`: an entity, a clue or a case (each in scope).
pub(crate) async fn link_to(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<StepForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = step_on(&app, &viewer, &raw, Permission::Casework).await?;
    let f = &posted.form;
    let links = ComplaintLinks {
        entity: opt_id(&f.entity, "经营主体")?.map(EntityId),
        clue: opt_id(&f.clue, "线索")?.map(ClueId),
        case: opt_id(&f.case, "案件")?.map(CaseId),
    };
    complaints::link(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        links,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_complaint(c.id))
}

/// `POST /complaints/{id}/close`: the outcome published, upheld or not.
pub(crate) async fn close(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<StepForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = step_on(&app, &viewer, &raw, Permission::Casework).await?;
    let f = &posted.form;
    let outcome: ComplaintOutcome = f
        .outcome
        .parse()
        .map_err(|_| WebError::BadRequest("请选择处理结果".into()))?;
    complaints::close(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        outcome,
        &f.text,
        matches!(f.upheld.trim(), "yes" | "on" | "true"),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_complaint(c.id))
}

/// `POST /complaints/{id}/dispatch`: to another district, with a reason.
pub(crate) async fn dispatch(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<StepForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = step_on(&app, &viewer, &raw, Permission::Dispatch).await?;
    let f = &posted.form;
    let district = DistrictCode::parse(f.district.trim()).map_err(|_| {
        WebError::BadRequest(format!(
            "请选择承办区域（“{}”不是区县代码）",
            f.district.trim()
        ))
    })?;
    complaints::dispatch(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        district,
        &app.districts,
        &f.reason,
        today(),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_complaint(c.id))
}
