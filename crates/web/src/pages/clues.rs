//! Clues (线索). `/clues`: the list (state, district, severity, the district's deadline and the
//! verification limit with an overdue mark; filtered by state, district, overdue, severity and
//! site, paged), and `POST /clues`, which makes a clue of findings selected on the findings
//! list or a site page (`store::clue::make_clue`, as `wangjian clue create`).
//!
//! `/clues/{id}`: one clue with its findings, its evidence (the extraction record), its history
//! (the audit log) and the forms the viewer's permissions allow, each a thin call of the
//! `casework` function the command line calls too: dispatch or re-dispatch
//! (`casework::dispatch`, [`Permission::Dispatch`]), the district's feedback
//! (`casework::feedback`, [`Permission::Casework`]), extending the verification limit
//! (`casework::extend_verification`, `Dispatch`) and opening a case (`casework::open_case`,
//! `Casework`). Every action first looks the clue up in the viewer's scope (another
//! district's clue is 404, like a missing one), then checks the permission (403); a refusal
//! is worded by `casework_words` and changes nothing.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use casework::Feedback;
use domain::{ClueId, ClueState, DistrictCode, FindingId, NotVerifiedReason, Permission};
use store::clue::ClueError;
use store::{Clue, ClueFilter, ClueSort, Scope};

use super::findings::FindingRow;
use super::render;
use crate::casework_words::refusal;
use crate::exports;
use crate::forms::Posted;
use crate::view::{self, AuditRow, ClueParams, Export, Head, ListLinks, Opt, Pager, PAGE_SIZE};
use crate::{AppState, Shared, Viewer, WebError};

/// Today, from which the console's deadlines are counted (UTC, like the command line's).
pub(crate) fn today() -> chrono::NaiveDate {
    domain::time::beijing_date(chrono::Utc::now())
}

/// A clue as the lists show it.
pub(crate) struct ClueRow {
    pub id: i64,
    pub href: String,
    pub site: String,
    pub site_href: String,
    pub state: &'static str,
    pub state_code: &'static str,
    pub district: String,
    pub severity_code: &'static str,
    pub severity_label: &'static str,
    pub due_on: String,
    pub verify_by: String,
    pub overdue: bool,
    pub summary: String,
    pub findings: usize,
    pub created_by: String,
    pub created_at: String,
}

impl ClueRow {
    pub(crate) fn new(app: &AppState, c: &Clue) -> ClueRow {
        ClueRow {
            id: c.id.0,
            href: format!("/clues/{}", c.id),
            site: c.site.clone(),
            site_href: format!("/sites/{}", c.site_id),
            state: c.state.title(),
            state_code: c.state.code(),
            district: view::district_label(&app.districts, c.district),
            severity_code: c.severity.code(),
            severity_label: view::severity_label(c.severity),
            due_on: view::opt_date(c.due_on),
            verify_by: view::opt_date(c.verify_by),
            overdue: c.overdue,
            summary: c.summary.clone(),
            findings: c.findings.len(),
            created_by: c.created_by.clone(),
            created_at: view::time(c.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "clues.html")]
struct CluesPage {
    active: &'static str,
    districts: Vec<Opt>,
    states: Vec<Opt>,
    overdue: Vec<Opt>,
    site: String,
    filtered: bool,
    clues: Vec<ClueRow>,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    heads: Vec<Head>,
    pager: Pager,
    csv_href: String,
    xlsx_href: String,
}

/// The clue list's columns: label and the key each sorts by.
const COLUMNS: &[(&str, Option<ClueSort>)] = &[
    ("#", Some(ClueSort::Id)),
    ("网站", Some(ClueSort::Site)),
    ("状态", Some(ClueSort::State)),
    ("承办区", Some(ClueSort::District)),
    ("等级", Some(ClueSort::Severity)),
    ("办理期限", Some(ClueSort::DueOn)),
    ("核查时限", Some(ClueSort::VerifyBy)),
    ("摘要", Some(ClueSort::Summary)),
    ("发现数", Some(ClueSort::Findings)),
    ("创建人", Some(ClueSort::CreatedBy)),
    ("创建时间", Some(ClueSort::CreatedAt)),
];

/// `GET /clues`.
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<ClueParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = params.filter()?;
    let sort = params.sort()?;
    let page = view::page_param(&params.page)?;
    let scope = viewer.scope();
    let counted = ClueFilter {
        count_up_to: Some(view::count_up_to(page)),
        ..filter.clone()
    };
    let total = app.store.count_clues(scope.clone(), &counted).await?;
    let rows = app
        .store
        .list_clues(
            scope,
            &ClueFilter {
                sort,
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
                ..filter.clone()
            },
        )
        .await?;
    let current = |o: &Option<String>| o.as_deref().unwrap_or_default().trim().to_string();
    let (dist, site, state, overdue) = (
        current(&params.district),
        current(&params.site),
        current(&params.state),
        current(&params.overdue),
    );
    let links = ListLinks::new("/clues", params.pairs(), sort);
    let pager = links.pager(page, rows.len(), total);
    let mut states = vec![Opt::new("", "全部状态", &state)];
    states.extend(
        ClueState::ALL
            .iter()
            .map(|s| Opt::new(s.code(), s.title(), &state)),
    );
    render(&CluesPage {
        active: "clues",
        districts: view::district_options(&app.districts, &dist),
        states,
        overdue: vec![
            Opt::new("", "不限期限", &overdue),
            Opt::new("yes", "仅逾期", &overdue),
            Opt::new("no", "未逾期", &overdue),
        ],
        filtered: filter != ClueFilter::default(),
        site,
        clues: rows.iter().map(|c| ClueRow::new(&app, c)).collect(),
        sort_fields: links.sort_fields(),
        heads: links.heads(COLUMNS),
        pager,
        csv_href: links.export("/export/clues", "csv"),
        xlsx_href: links.export("/export/clues", "xlsx"),
    })
}

/// `GET /export/clues`: the clue list as shown (filters, sort, every page).
pub(crate) async fn export(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<Export<ClueParams>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = ClueFilter {
        sort: p.list.sort()?,
        ..p.list.filter()?
    };
    let scope = viewer.scope();
    let counted = ClueFilter {
        count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
        ..filter.clone()
    };
    view::export_cap(app.store.count_clues(scope.clone(), &counted).await?)?;
    let rows = exports::all_rows(|offset, limit| {
        let filter = ClueFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let (store, scope) = (app.store.clone(), scope.clone());
        async move { store.list_clues(scope, &filter).await }
    })
    .await?;
    exports::response(&exports::clues_table(&rows, &app.districts), &p.format)
}

/// `POST /clues`: a clue of findings selected on a list.
pub(crate) async fn create(
    State(app): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Triage)?;
    let mut ids: Vec<FindingId> = Vec::new();
    let mut summary = None;
    for (k, v) in &posted.form {
        match k.as_str() {
            "finding" => {
                ids.push(FindingId(v.trim().parse().map_err(|_| {
                    WebError::BadRequest(format!("发现编号 {v:?} 无效"))
                })?))
            }
            "summary" => summary = Some(v.as_str()),
            _ => {}
        }
    }
    if summary.is_some_and(|s| s.chars().count() > 500) {
        return Err(WebError::BadRequest("摘要不能超过 500 字".into()));
    }
    let (id, _) = store::clue::make_clue(
        app.store.as_ref(),
        viewer.scope(),
        &ids,
        summary,
        &viewer.audit_actor(),
    )
    .await
    .map_err(|e| match e {
        ClueError::NoFindings => WebError::BadRequest("请至少选择一条发现".into()),
        ClueError::MissingFinding(f) => WebError::NotFound(format!("监测发现 {f}")),
        ClueError::SuppressedFinding(f) => {
            WebError::BadRequest(format!("监测发现 {f} 已被系统抑制，不能立为线索"))
        }
        ClueError::MixedSites { site, other, .. } => WebError::BadRequest(format!(
            "所选发现须属于同一网站（网站 #{site} 与 #{other}）"
        )),
        ClueError::Store(store::StoreError::Conflict(_)) => {
            WebError::Conflict("所选发现已在一条未办结的线索中".into())
        }
        ClueError::Store(e) => WebError::Store(e),
    })?;
    Ok(Redirect::to(&format!("/clues/{id}/record")).into_response())
}

/// A person who may be chosen as an officer of a case.
pub(crate) struct OfficerOpt {
    pub username: String,
    pub label: String,
    pub checked: bool,
}

/// Active users who may work cases of `district` (entity `entity`): the officers a case form
/// offers (`casework` checks the choice again).
pub(crate) async fn officer_options(
    app: &AppState,
    district: DistrictCode,
    entity: Option<domain::EntityId>,
    me: &str,
    exclude: &[domain::UserId],
) -> Result<Vec<OfficerOpt>, WebError> {
    Ok(app
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| {
            !u.disabled
                && u.role.may(Permission::Casework)
                && u.role != domain::Role::Evaluator
                && u.scope().allows(Some(district), entity)
                && !exclude.contains(&u.id)
        })
        .map(|u| OfficerOpt {
            checked: u.username == me,
            label: format!("{}（{}，{}）", u.display_name, u.username, u.role.title()),
            username: u.username,
        })
        .collect())
}

/// Another open clue of the same site that a case may be opened from together with this one.
struct OtherClue {
    id: i64,
    summary: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "clue.html")]
struct CluePage {
    active: &'static str,
    c: ClueRow,
    source: &'static str,
    group_key: String,
    entity_district: String,
    extended: bool,
    created_by: String,
    dispatched_at: String,
    closed_at: String,
    close_reason: String,
    close_note: String,
    case_id: Option<i64>,
    findings: Vec<FindingRow>,
    record_href: String,
    audit: Vec<AuditRow>,
    csrf: String,
    may_dispatch: bool,
    redispatch: bool,
    dispatch_districts: Vec<Opt>,
    may_feedback: bool,
    reasons: Vec<Opt>,
    may_extend: bool,
    may_open: bool,
    officers: Vec<OfficerOpt>,
    other_clues: Vec<OtherClue>,
}

/// The clue `raw` names, in the viewer's scope (404 otherwise).
async fn find(app: &AppState, scope: Scope, raw: &str) -> Result<Clue, WebError> {
    let id = ClueId(view::path_id(raw, "线索")?);
    app.store
        .clue(scope, id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("线索 {id}")))
}

/// `GET /clues/{id}`.
pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let scope = viewer.scope();
    let c = find(&app, scope.clone(), &raw).await?;
    let mut findings = Vec::new();
    for f in &c.findings {
        if let Some(f) = app.store.finding(scope.clone(), *f).await? {
            findings.push(FindingRow::new(&f, &app.districts));
        }
    }
    let audit = app
        .store
        .audit_of(&format!("clue:{}", c.id))
        .await?
        .iter()
        .map(AuditRow::new)
        .collect();
    let session = viewer.csrf().is_some();
    let may_open = session
        && viewer.may(Permission::Casework)
        && matches!(c.state, ClueState::Verified | ClueState::Dispatched)
        && c.district.is_some();
    let (officers, other_clues) = match (may_open, c.district) {
        (true, Some(d)) => {
            let officers =
                officer_options(&app, d, c.entity_id, &viewer.user().username, &[]).await?;
            let others = app
                .store
                .list_clues(
                    scope.clone(),
                    &ClueFilter {
                        site_id: Some(c.site_id),
                        ..ClueFilter::default()
                    },
                )
                .await?
                .into_iter()
                .filter(|o| {
                    o.id != c.id
                        && o.district == c.district
                        && matches!(o.state, ClueState::Verified | ClueState::Dispatched)
                })
                .map(|o| OtherClue {
                    id: o.id.0,
                    summary: o.summary,
                    state: o.state.title(),
                })
                .collect();
            (officers, others)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let current = c.district.map(|d| d.to_string()).unwrap_or_default();
    let close_reason = match (c.state, c.close_reason.as_deref()) {
        (ClueState::NotVerified, Some(r)) => r
            .parse::<NotVerifiedReason>()
            .map(|r| r.title().to_string())
            .unwrap_or_else(|_| r.to_string()),
        (ClueState::Transferred, Some(to)) => format!("移送至 {to}"),
        (_, r) => r.unwrap_or_default().to_string(),
    };
    render(&CluePage {
        active: "clues",
        c: ClueRow::new(&app, &c),
        source: c.source.title(),
        group_key: c.group_key.clone().unwrap_or_default(),
        entity_district: view::district_label(&app.districts, c.entity_district),
        extended: c.extended,
        created_by: c.created_by.clone(),
        dispatched_at: view::opt_time(c.dispatched_at),
        closed_at: view::opt_time(c.closed_at),
        close_reason,
        close_note: c.close_note.clone().unwrap_or_default(),
        case_id: c.case_id.map(|id| id.0),
        findings,
        record_href: format!("/clues/{}/record", c.id),
        audit,
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        may_dispatch: session
            && viewer.may(Permission::Dispatch)
            && matches!(c.state, ClueState::New | ClueState::Dispatched),
        redispatch: c.state == ClueState::Dispatched,
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
        may_feedback: session
            && viewer.may(Permission::Casework)
            && c.state == ClueState::Dispatched,
        reasons: NotVerifiedReason::ALL
            .iter()
            .map(|r| Opt::new(r.code(), r.title(), ""))
            .collect(),
        may_extend: session && viewer.may(Permission::Dispatch) && c.state.is_open() && !c.extended,
        may_open,
        officers,
        other_clues,
    })
}

fn to_clue(id: ClueId) -> Response {
    Redirect::to(&format!("/clues/{id}")).into_response()
}

#[derive(serde::Deserialize)]
pub(crate) struct DispatchForm {
    #[serde(default)]
    district: String,
    #[serde(default)]
    reason: String,
}

/// `POST /clues/{id}/dispatch`: send (or send again, with a reason) to a district.
pub(crate) async fn dispatch(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<DispatchForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = find(&app, viewer.scope(), &raw).await?;
    viewer.require(Permission::Dispatch)?;
    let district = DistrictCode::parse(posted.form.district.trim()).map_err(|_| {
        WebError::BadRequest(format!(
            "请选择承办区域（“{}”不是区县代码）",
            posted.form.district.trim()
        ))
    })?;
    casework::dispatch(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        district,
        Some(posted.form.reason.as_str()),
        &app.casework,
        today(),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_clue(c.id))
}

#[derive(serde::Deserialize)]
pub(crate) struct FeedbackForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

/// `POST /clues/{id}/feedback`: the district's answer.
pub(crate) async fn feedback(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<FeedbackForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = find(&app, viewer.scope(), &raw).await?;
    viewer.require(Permission::Casework)?;
    let f = posted.form;
    let note = Some(f.note).filter(|n| !n.trim().is_empty());
    let answer = match f.answer.trim() {
        "verified" => Feedback::Verified { note },
        "not_verified" => Feedback::NotVerified {
            reason: f.reason.parse::<NotVerifiedReason>().map_err(|_| {
                WebError::BadRequest(
                    "不予立案须选择理由（无违法事实、证据不足、首违不罚、超过追责时效）".into(),
                )
            })?,
            note,
        },
        "transferred" => Feedback::Transferred { to: f.to, note },
        _ => {
            return Err(WebError::BadRequest(
                "请选择核查结果：属实、不予立案或移送".into(),
            ))
        }
    };
    casework::feedback(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        answer,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_clue(c.id))
}

#[derive(serde::Deserialize)]
pub(crate) struct EmptyForm {}

/// `POST /clues/{id}/extend`: the one extension of the verification limit.
pub(crate) async fn extend(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<EmptyForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = find(&app, viewer.scope(), &raw).await?;
    viewer.require(Permission::Dispatch)?;
    casework::extend_verification(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        &app.casework,
        today(),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_clue(c.id))
}

/// `POST /clues/{id}/case`: opens a case from this clue (and other clues of the site ticked
/// as `clue`) with the officers ticked as `officer` and a summary.
pub(crate) async fn open_case(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = find(&app, viewer.scope(), &raw).await?;
    viewer.require(Permission::Casework)?;
    let mut clues = vec![c.id];
    let mut officers = Vec::new();
    let mut summary = None;
    for (k, v) in &posted.form {
        match k.as_str() {
            "clue" => {
                clues.push(ClueId(v.trim().parse().map_err(|_| {
                    WebError::BadRequest(format!("线索编号 {v:?} 无效"))
                })?))
            }
            "officer" if !v.trim().is_empty() => officers.push(v.trim().to_string()),
            "summary" => summary = Some(v.as_str()),
            _ => {}
        }
    }
    if officers.is_empty() {
        return Err(WebError::BadRequest("请至少选择一名办案人员".into()));
    }
    let id = casework::open_case(
        app.store.as_ref(),
        viewer.scope(),
        &clues,
        &officers,
        summary,
        &app.casework,
        today(),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(Redirect::to(&format!("/cases/{id}")).into_response())
}
