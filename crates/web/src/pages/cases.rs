//! Cases (案件). `/cases`: the list (number, site, district, stage, opened, the decision limit
//! with an overdue mark, outcomes; filtered by stage, district and site, paged).
//!
//! `/cases/{id}`: the stage bar (立案 → 调查 → 决定 → 结案), the clues, the officers, the
//! outcomes with their fields (fines in yuan, each rectification order's re-check with the
//! re-check sweep's evidence), the history, and one form per step the stage and the viewer's
//! permissions allow — each a thin call of the `casework` function the command line calls:
//! advance to the next stage (`casework::advance`, on the stage the page showed), add an
//! officer (`add_officer`), an outcome of each kind (`add_outcome`; a fine in yuan read by
//! `casework::parse_fen`), remove an abnormal-operations listing (`remove_listing`), extend the
//! decision limit (`extend_decision`) and reopen (`reopen`). Working a case needs
//! [`Permission::Casework`]; extending and reopening need [`Permission::Reopen`]. Every action
//! looks the case (or outcome) up in the viewer's scope first (404 outside it), then checks the
//! permission (403); refusals are worded by `casework_words` and change nothing.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use casework::{CaseworkError, OutcomeInput};
use domain::{CaseId, CaseStage, ListingCause, OutcomeId, OutcomeKind, Permission};
use std::collections::HashMap;
use store::{Case, CaseFilter, CaseSort, Outcome, OutcomeDetail, Scope};

use super::clues::{officer_options, today, ClueRow, EmptyForm, OfficerOpt};
use super::render;
use crate::casework_words::refusal;
use crate::exports;
use crate::forms::Posted;
use crate::view::{self, AuditRow, CaseParams, Export, Head, ListLinks, Opt, Pager, PAGE_SIZE};
use crate::{AppState, Shared, Viewer, WebError};

/// A case as the list shows it.
struct CaseRow {
    id: i64,
    href: String,
    number: String,
    site: String,
    site_href: String,
    district: String,
    stage: &'static str,
    stage_code: &'static str,
    opened: String,
    decide_by: String,
    overdue: bool,
    outcomes: i64,
    summary: String,
}

impl CaseRow {
    fn new(app: &AppState, c: &Case, outcomes: i64) -> CaseRow {
        CaseRow {
            id: c.id.0,
            href: format!("/cases/{}", c.id),
            number: c.number.clone(),
            site: c.site.clone(),
            site_href: format!("/sites/{}", c.site_id),
            district: view::district_label(&app.districts, Some(c.district)),
            stage: c.stage.title(),
            stage_code: c.stage.code(),
            opened: view::time(c.opened_at),
            decide_by: c.decide_by.to_string(),
            overdue: c.overdue,
            outcomes,
            summary: c.summary.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    active: &'static str,
    stages: Vec<Opt>,
    districts: Vec<Opt>,
    site: String,
    filtered: bool,
    cases: Vec<CaseRow>,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    heads: Vec<Head>,
    pager: Pager,
    csv_href: String,
    xlsx_href: String,
}

/// The case list's columns: label and the key each sorts by.
const COLUMNS: &[(&str, Option<CaseSort>)] = &[
    ("案号", Some(CaseSort::Number)),
    ("网站", Some(CaseSort::Site)),
    ("承办区", Some(CaseSort::District)),
    ("阶段", Some(CaseSort::Stage)),
    ("立案时间", Some(CaseSort::OpenedAt)),
    ("决定期限", Some(CaseSort::DecideBy)),
    ("处理结果", None),
    ("案情摘要", Some(CaseSort::Summary)),
];

/// `GET /cases`.
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<CaseParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = params.filter()?;
    let sort = params.sort()?;
    let page = view::page_param(&params.page)?;
    let scope = viewer.scope();
    let counted = CaseFilter {
        count_up_to: Some(view::count_up_to(page)),
        ..filter.clone()
    };
    let total = app.store.count_cases(scope.clone(), &counted).await?;
    let rows = app
        .store
        .list_cases(
            scope.clone(),
            &CaseFilter {
                sort,
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
                ..filter.clone()
            },
        )
        .await?;
    let ids: Vec<_> = rows.iter().map(|c| c.id).collect();
    let outcomes: HashMap<CaseId, i64> = app
        .store
        .outcome_counts(scope.clone(), &ids)
        .await?
        .into_iter()
        .collect();
    let cases: Vec<_> = rows
        .iter()
        .map(|c| CaseRow::new(&app, c, outcomes.get(&c.id).copied().unwrap_or(0)))
        .collect();
    let current = |o: &Option<String>| o.as_deref().unwrap_or_default().trim().to_string();
    let (stage, dist, site) = (
        current(&params.stage),
        current(&params.district),
        current(&params.site),
    );
    let links = ListLinks::new("/cases", params.pairs(), sort);
    let pager = links.pager(page, rows.len(), total);
    let mut stages = vec![Opt::new("", "全部阶段", &stage)];
    stages.extend(
        CaseStage::ALL
            .iter()
            .map(|s| Opt::new(s.code(), s.title(), &stage)),
    );
    render(&CasesPage {
        active: "cases",
        stages,
        districts: view::district_options(&app.districts, &dist),
        filtered: filter != CaseFilter::default(),
        site,
        cases,
        sort_fields: links.sort_fields(),
        heads: links.heads(COLUMNS),
        pager,
        csv_href: links.export("/export/cases", "csv"),
        xlsx_href: links.export("/export/cases", "xlsx"),
    })
}

/// `GET /export/cases`: the case list as shown (filters, sort, every page).
pub(crate) async fn export(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<Export<CaseParams>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = CaseFilter {
        sort: p.list.sort()?,
        ..p.list.filter()?
    };
    let scope = viewer.scope();
    let counted = CaseFilter {
        count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
        ..filter.clone()
    };
    view::export_cap(app.store.count_cases(scope.clone(), &counted).await?)?;
    let cases = exports::all_rows(|offset, limit| {
        let filter = CaseFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let (store, scope) = (app.store.clone(), scope.clone());
        async move { store.list_cases(scope, &filter).await }
    })
    .await?;
    let ids: Vec<_> = cases.iter().map(|c| c.id).collect();
    let mut outcomes = app.store.outcomes_of_cases(scope.clone(), &ids).await?;
    let rows: Vec<_> = cases
        .into_iter()
        .map(|c| {
            let of_case = outcomes.extract_if(.., |o| o.case_id == c.id).collect();
            (c, of_case)
        })
        .collect();
    exports::response(&exports::cases_table(&rows, &app.districts), &p.format)
}

/// One step of the stage bar.
struct StageStep {
    title: &'static str,
    class: &'static str,
}

/// A labelled value of an outcome.
struct Fact {
    label: &'static str,
    value: String,
}

/// A link of an outcome (a re-check's evidence).
struct Link {
    label: String,
    href: String,
}

/// An outcome as the case page shows it.
struct OutcomeRow {
    id: i64,
    kind: &'static str,
    kind_code: &'static str,
    created: String,
    facts: Vec<Fact>,
    /// A status tag: text and its class (`done`, `warn`, `run`).
    status: Option<(String, &'static str)>,
    links: Vec<Link>,
    /// An abnormal listing not yet removed (the removal form is offered).
    listed: bool,
}

async fn outcome_row(app: &AppState, scope: Scope, o: &Outcome) -> Result<OutcomeRow, WebError> {
    let fact = |label, value: String| Fact { label, value };
    let mut status = None;
    let mut links = Vec::new();
    let mut listed = false;
    let facts = match &o.detail {
        OutcomeDetail::Penalty {
            decision_no,
            legal_basis,
            fine_fen,
            confiscation,
        } => vec![
            fact("处罚决定书文号", decision_no.clone()),
            fact("法律依据", legal_basis.clone()),
            fact("罚款", format!("{} 元", view::yuan(*fine_fen))),
            fact(
                "没收",
                confiscation.clone().unwrap_or_else(|| "—".to_string()),
            ),
        ],
        OutcomeDetail::Rectification {
            due_on,
            urls,
            recheck_sweep,
            rechecked_at,
            compliant,
        } => {
            status = Some(match (rechecked_at, compliant) {
                (Some(at), Some(true)) => (format!("复查合格（{}）", view::time(*at)), "done"),
                (Some(at), _) => (format!("复查不合格（{}）", view::time(*at)), "warn"),
                (None, _) if *due_on < today() => ("待复查（已到期）".to_string(), "run"),
                (None, _) => ("整改中，到期后自动复查".to_string(), "run"),
            });
            if let Some(sweep) = recheck_sweep {
                let fetched = app.store.sweep_fetches(scope, *sweep).await?;
                for u in urls {
                    let same = url::Url::parse(u).map(|u| u.to_string()).ok();
                    for f in fetched.iter().filter(|f| {
                        f.fetch.url == *u
                            || url::Url::parse(&f.fetch.url).map(|x| x.to_string()).ok() == same
                    }) {
                        links.push(Link {
                            label: format!("复查巡查 {sweep} 抓取的 {}", f.fetch.url),
                            href: format!("/evidence/{}", f.id),
                        });
                    }
                }
            }
            vec![
                fact("整改期限", due_on.to_string()),
                fact("需整改网址", urls.join("\n")),
            ]
        }
        OutcomeDetail::Referral { to, reason } => {
            vec![
                fact("移送部门", to.clone()),
                fact("移送理由", reason.clone()),
            ]
        }
        OutcomeDetail::Warning { reason } => vec![fact("告诫事由", reason.clone())],
        OutcomeDetail::AbnormalListing {
            cause,
            removed_at,
            removed_reason,
        } => {
            listed = removed_at.is_none();
            status = Some(match removed_at {
                Some(at) => (format!("已移出（{}）", view::time(*at)), "done"),
                None => ("列入中".to_string(), "warn"),
            });
            let mut v = vec![fact("列入事由", cause.title().to_string())];
            if let Some(r) = removed_reason {
                v.push(fact("移出理由", r.clone()));
            }
            v
        }
        OutcomeDetail::Dismissal { reason } => vec![fact("理由", reason.clone())],
    };
    Ok(OutcomeRow {
        id: o.id.0,
        kind: o.detail.kind().title(),
        kind_code: o.detail.kind().code(),
        created: format!("{} · {}", o.created_by, view::time(o.created_at)),
        facts,
        status,
        links,
        listed,
    })
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    active: &'static str,
    c: CaseRow,
    entity: Option<(i64, String)>,
    stages: Vec<StageStep>,
    opened_by: String,
    extended_days: i64,
    decided_at: String,
    closed_at: String,
    reopened: i64,
    clues: Vec<ClueRow>,
    officers: Vec<String>,
    outcomes: Vec<OutcomeRow>,
    audit: Vec<AuditRow>,
    csrf: String,
    may_work: bool,
    next: Option<&'static str>,
    takes_outcomes: bool,
    officer_options: Vec<OfficerOpt>,
    causes: Vec<Opt>,
    min_due: String,
    may_extend: bool,
    may_reopen: bool,
    /// The documents the viewer may make (`/cases/{id}/documents/{kind}`): code and title.
    documents: Vec<Opt>,
}

/// The case `raw` names, in the viewer's scope (404 otherwise).
async fn find(app: &AppState, scope: Scope, raw: &str) -> Result<Case, WebError> {
    let id = CaseId(view::path_id(raw, "案件")?);
    app.store
        .case(scope, id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("案件 {id}")))
}

/// `GET /cases/{id}`.
pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let scope = viewer.scope();
    let c = find(&app, scope.clone(), &raw).await?;
    let outcomes = app.store.case_outcomes(scope.clone(), c.id).await?;
    let mut clues = Vec::new();
    for id in &c.clues {
        if let Some(clue) = app.store.clue(scope.clone(), *id).await? {
            clues.push(ClueRow::new(&app, &clue));
        }
    }
    let mut officers = Vec::new();
    for id in &c.officers {
        if let Some(u) = app.store.user(*id).await? {
            officers.push(format!("{}（{}）", u.display_name, u.username));
        }
    }
    let mut rows = Vec::new();
    for o in &outcomes {
        rows.push(outcome_row(&app, scope.clone(), o).await?);
    }
    let audit = app
        .store
        .audit_of(&format!("case:{}", c.id))
        .await?
        .iter()
        .map(AuditRow::new)
        .collect();
    let session = viewer.csrf().is_some();
    let may_work = session && viewer.may(Permission::Casework);
    let may_approve = session && viewer.may(Permission::Reopen);
    let position = CaseStage::ALL
        .iter()
        .position(|s| *s == c.stage)
        .unwrap_or(0);
    let stages = CaseStage::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| StageStep {
            title: match s {
                CaseStage::Registered => "立案",
                CaseStage::Investigating => "调查",
                CaseStage::Decided => "决定",
                CaseStage::Closed => "结案",
            },
            class: match i.cmp(&position) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "",
            },
        })
        .collect();
    let officer_options = if may_work && c.stage != CaseStage::Closed {
        officer_options(&app, c.district, c.entity_id, "", &c.officers).await?
    } else {
        Vec::new()
    };
    render(&CasePage {
        active: "cases",
        entity: c
            .entity_id
            .map(|e| (e.0, c.entity_name.clone().unwrap_or_default())),
        stages,
        opened_by: c.opened_by.clone(),
        extended_days: c.extended_days,
        decided_at: view::opt_time(c.decided_at),
        closed_at: view::opt_time(c.closed_at),
        reopened: c.reopened,
        clues,
        officers,
        outcomes: rows,
        audit,
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        may_work,
        next: c.stage.next().ok().map(|s| s.title()),
        takes_outcomes: c.stage.takes_outcomes(),
        officer_options,
        causes: ListingCause::ALL
            .iter()
            .map(|l| Opt::new(l.code(), l.title(), ""))
            .collect(),
        min_due: today().to_string(),
        may_extend: may_approve
            && matches!(c.stage, CaseStage::Registered | CaseStage::Investigating),
        may_reopen: may_approve && matches!(c.stage, CaseStage::Decided | CaseStage::Closed),
        documents: match session
            && app.documents.is_some()
            && viewer.may(domain::Permission::Casework)
            && viewer.may(domain::Permission::Export)
        {
            true => documents::DocumentKind::ALL
                .iter()
                .map(|k| Opt::new(k.code(), k.title(), ""))
                .collect(),
            false => Vec::new(),
        },
        c: CaseRow::new(&app, &c, outcomes.len() as i64),
    })
}

fn to_case(id: CaseId) -> Response {
    Redirect::to(&format!("/cases/{id}")).into_response()
}

#[derive(serde::Deserialize)]
pub(crate) struct AdvanceForm {
    #[serde(default)]
    stage: String,
}

/// `POST /cases/{id}/advance`: to the stage after the one the page showed (`stage`).
pub(crate) async fn advance(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<AdvanceForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = find(&app, viewer.scope(), &raw).await?;
    viewer.require(Permission::Casework)?;
    let seen = posted
        .form
        .stage
        .parse::<CaseStage>()
        .map_err(|_| WebError::BadRequest("表单缺少案件当前阶段，请刷新页面后再试".into()))?;
    casework::advance(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        seen,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_case(c.id))
}

#[derive(serde::Deserialize)]
pub(crate) struct OfficerForm {
    #[serde(default)]
    name: String,
}

/// `POST /cases/{id}/officer`: adds an officer.
pub(crate) async fn officer(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<OfficerForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = find(&app, viewer.scope(), &raw).await?;
    viewer.require(Permission::Casework)?;
    if posted.form.name.trim().is_empty() {
        return Err(WebError::BadRequest("请选择办案人员".into()));
    }
    casework::add_officer(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        &posted.form.name,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_case(c.id))
}

/// The fields of every outcome form (each form sends its `kind` and its own fields).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct OutcomeForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    decision_no: String,
    /// A fine in yuan, as a person writes it.
    #[serde(default)]
    fine: String,
    #[serde(default)]
    confiscation: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    due: String,
    /// URLs, one per line.
    #[serde(default)]
    urls: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    cause: String,
}

impl OutcomeForm {
    /// The outcome asked for; what `casework` checks is left to it.
    fn input(self) -> Result<OutcomeInput, WebError> {
        let kind = self
            .kind
            .parse::<OutcomeKind>()
            .map_err(|_| WebError::BadRequest("请选择处理结果的种类".into()))?;
        Ok(match kind {
            OutcomeKind::Penalty => OutcomeInput::Penalty {
                decision_no: self.decision_no,
                fine_fen: if self.fine.trim().is_empty() {
                    0
                } else {
                    casework::parse_fen(&self.fine).map_err(|e| refusal(CaseworkError::Fen(e)))?
                },
                confiscation: Some(self.confiscation).filter(|s| !s.trim().is_empty()),
            },
            OutcomeKind::Rectification => OutcomeInput::Rectification {
                due_on: chrono::NaiveDate::parse_from_str(self.due.trim(), "%Y-%m-%d").map_err(
                    |_| {
                        WebError::BadRequest(format!(
                            "整改期限“{}”不是日期（格式：年-月-日，如 2026-12-31）",
                            self.due.trim()
                        ))
                    },
                )?,
                urls: self
                    .urls
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
            },
            OutcomeKind::Referral => OutcomeInput::Referral {
                to: self.to,
                reason: self.reason,
            },
            OutcomeKind::Warning => OutcomeInput::Warning {
                reason: self.reason,
            },
            OutcomeKind::AbnormalListing => OutcomeInput::AbnormalListing {
                cause: self
                    .cause
                    .parse::<ListingCause>()
                    .map_err(|_| WebError::BadRequest("请选择列入经营异常名录的事由".into()))?,
            },
            OutcomeKind::Dismissal => OutcomeInput::Dismissal {
                reason: self.reason,
            },
        })
    }
}

/// `POST /cases/{id}/outcome`: records an outcome of the kind the form names.
pub(crate) async fn outcome(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<OutcomeForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = find(&app, viewer.scope(), &raw).await?;
    viewer.require(Permission::Casework)?;
    let input = posted.form.input()?;
    casework::add_outcome(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        input,
        today(),
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_case(c.id))
}

/// `POST /cases/{id}/extend`: extends the decision limit (the head's approval).
pub(crate) async fn extend(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<EmptyForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = find(&app, viewer.scope(), &raw).await?;
    viewer.require(Permission::Reopen)?;
    casework::extend_decision(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        &app.casework,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_case(c.id))
}

#[derive(serde::Deserialize)]
pub(crate) struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// `POST /cases/{id}/reopen`: back to investigation, with a reason.
pub(crate) async fn reopen(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<ReasonForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let c = find(&app, viewer.scope(), &raw).await?;
    viewer.require(Permission::Reopen)?;
    casework::reopen(
        app.store.as_ref(),
        viewer.scope(),
        c.id,
        &posted.form.reason,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_case(c.id))
}

/// `POST /outcomes/{id}/unlist`: removes an abnormal-operations listing (its cause corrected).
pub(crate) async fn unlist(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<ReasonForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let id = OutcomeId(view::path_id(&raw, "处理结果")?);
    let o = app
        .store
        .outcome(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("处理结果 {id}")))?;
    viewer.require(Permission::Casework)?;
    casework::remove_listing(
        app.store.as_ref(),
        viewer.scope(),
        id,
        &posted.form.reason,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(to_case(o.case_id))
}
