//! `/api/v1/cases` and `/api/v1/cases/{id}`: cases (案件) in the caller's scope, filtered like
//! the console's list (`view::CaseParams`: stage, district, site), each with its stage, clues,
//! officers and outcomes; an outcome carries its `type` (`penalty`, `rectification`,
//! `referral`, `warning`, `abnormal_listing`, `dismissal`) and the fields of that kind.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::CaseId;
use serde::{Deserialize, Serialize};
use store::{CaseFilter, OutcomeDetail, Scope};
use utoipa::ToSchema;

use super::{path_id, query, Page, Paging};
use crate::view::CaseParams;
use crate::{ApiError, AppState, Shared, Viewer, WebError};

/// What an outcome says, by its `type`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = OutcomeDetail)]
pub(crate) enum OutcomeDetailItem {
    /// An administrative penalty (行政处罚).
    Penalty {
        decision_no: String,
        /// The legal basis, from the taxonomy of the case's findings.
        legal_basis: String,
        /// The fine in fen (0: none).
        fine_fen: i64,
        /// What was confiscated, if anything.
        confiscation: Option<String>,
    },
    /// An order to correct by `due_on` (责令整改), re-checked by a new crawl of `urls`.
    Rectification {
        due_on: NaiveDate,
        urls: Vec<String>,
        /// The re-check's sweep, once re-checked.
        recheck_sweep: Option<i64>,
        rechecked_at: Option<DateTime<Utc>>,
        /// The re-check's result (`null` until re-checked).
        compliant: Option<bool>,
    },
    /// A referral to another department (移送).
    Referral { to: String, reason: String },
    /// An administrative-guidance warning (提醒告诫).
    Warning { reason: String },
    /// A listing in the abnormal-operations list, and its removal.
    AbnormalListing {
        #[schema(schema_with = super::schema::listing_cause)]
        cause: String,
        removed_at: Option<DateTime<Utc>>,
        removed_reason: Option<String>,
    },
    /// Dismissal (不予处罚) with its reason.
    Dismissal { reason: String },
}

impl From<OutcomeDetail> for OutcomeDetailItem {
    fn from(d: OutcomeDetail) -> Self {
        use OutcomeDetailItem as I;
        match d {
            OutcomeDetail::Penalty {
                decision_no,
                legal_basis,
                fine_fen,
                confiscation,
            } => I::Penalty {
                decision_no,
                legal_basis,
                fine_fen,
                confiscation,
            },
            OutcomeDetail::Rectification {
                due_on,
                urls,
                recheck_sweep,
                rechecked_at,
                compliant,
            } => I::Rectification {
                due_on,
                urls,
                recheck_sweep: recheck_sweep.map(|s| s.0),
                rechecked_at,
                compliant,
            },
            OutcomeDetail::Referral { to, reason } => I::Referral { to, reason },
            OutcomeDetail::Warning { reason } => I::Warning { reason },
            OutcomeDetail::AbnormalListing {
                cause,
                removed_at,
                removed_reason,
            } => I::AbnormalListing {
                cause: cause.code().to_string(),
                removed_at,
                removed_reason,
            },
            OutcomeDetail::Dismissal { reason } => I::Dismissal { reason },
        }
    }
}

/// An outcome of a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Outcome)]
pub(crate) struct OutcomeItem {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// Who recorded it (`user:NAME`, or the command line's operator).
    pub created_by: String,
    /// `type` and the fields of that kind.
    #[serde(flatten)]
    pub detail: OutcomeDetailItem,
}

/// An officer of a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Officer)]
pub(crate) struct OfficerItem {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

/// A case: opened from clues of one site, worked by its officers through its stages to its
/// outcomes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Case)]
pub(crate) struct CaseItem {
    pub id: i64,
    /// The case number (`南市监网案〔2026〕7号`).
    pub number: String,
    pub site_id: i64,
    /// The site's host and path prefix.
    pub site: String,
    pub entity_id: Option<i64>,
    pub entity_name: Option<String>,
    #[schema(schema_with = super::schema::district)]
    pub district: String,
    #[schema(schema_with = super::schema::case_stage)]
    pub stage: String,
    pub summary: String,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    /// The decision limit.
    pub decide_by: NaiveDate,
    /// Days the decision limit was extended by.
    pub extended_days: i64,
    pub decided_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// How many times it was reopened.
    pub reopened: i64,
    /// Not decided and past its decision limit.
    pub overdue: bool,
    /// The clues it was opened from, by id.
    pub clues: Vec<i64>,
    pub officers: Vec<OfficerItem>,
    /// Its outcomes, oldest first.
    pub outcomes: Vec<OutcomeItem>,
}

async fn item_of(app: &AppState, scope: Scope, c: store::Case) -> Result<CaseItem, WebError> {
    let outcomes = app.store.case_outcomes(scope, c.id).await?;
    let mut officers = Vec::new();
    for id in &c.officers {
        if let Some(u) = app.store.user(*id).await? {
            officers.push(OfficerItem {
                id: u.id.0,
                username: u.username,
                display_name: u.display_name,
            });
        }
    }
    Ok(CaseItem {
        id: c.id.0,
        number: c.number,
        site_id: c.site_id.0,
        site: c.site,
        entity_id: c.entity_id.map(|e| e.0),
        entity_name: c.entity_name,
        district: c.district.to_string(),
        stage: c.stage.code().to_string(),
        summary: c.summary,
        opened_at: c.opened_at,
        opened_by: c.opened_by,
        decide_by: c.decide_by,
        extended_days: c.extended_days,
        decided_at: c.decided_at,
        closed_at: c.closed_at,
        reopened: c.reopened,
        overdue: c.overdue,
        clues: c.clues.iter().map(|id| id.0).collect(),
        officers,
        outcomes: outcomes
            .into_iter()
            .map(|o| OutcomeItem {
                id: o.id.0,
                created_at: o.created_at,
                created_by: o.created_by,
                detail: o.detail.into(),
            })
            .collect(),
    })
}

/// Cases in the caller's scope, newest first, each with its outcomes.
#[utoipa::path(
    get,
    path = "/api/v1/cases",
    operation_id = "list_cases",
    tag = "cases",
    params(CaseParams, Paging),
    responses((status = 200, description = "A page of cases", body = Page<CaseItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<CaseParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<CaseItem>>, ApiError> {
    let filter = query(filter)?.filter()?;
    let (limit, offset) = query(paging)?.window()?;
    let scope = viewer.scope();
    let total = app.store.count_cases(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_cases(
            scope.clone(),
            &CaseFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for c in rows {
        items.push(item_of(&app, scope.clone(), c).await?);
    }
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

/// One case with its outcomes (404 when it is not in the caller's scope).
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    operation_id = "get_case",
    tag = "cases",
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, description = "The case", body = CaseItem), super::Failures)
)]
pub(crate) async fn item(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<CaseItem>, ApiError> {
    let id = CaseId(path_id(&raw, "案件")?);
    let scope = viewer.scope();
    let c = app
        .store
        .case(scope.clone(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("案件 {id}")))?;
    Ok(Json(item_of(&app, scope, c).await?))
}
