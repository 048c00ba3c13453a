//! `/api/v1/clues` and `/api/v1/clues/{id}`: clues (线索, findings of one site grouped) in the
//! caller's scope with their state, district and deadlines, filtered like the console's list
//! (`view::ClueParams`: site, district, state, overdue, severity).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::ClueId;
use serde::{Deserialize, Serialize};
use store::ClueFilter;
use utoipa::ToSchema;

use super::{path_id, query, Page, Paging};
use crate::view::ClueParams;
use crate::{ApiError, Shared, Viewer, WebError};

/// A clue: findings of one site grouped, with the evidence captures taken for it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Clue)]
pub(crate) struct ClueItem {
    pub id: i64,
    pub site_id: i64,
    /// The site's host and path prefix.
    pub site: String,
    /// The district it belongs to: the one it was dispatched to, else its entity's (`null`:
    /// the city's alone).
    #[schema(schema_with = super::schema::district_or_null)]
    pub district: Option<String>,
    /// Where it stands.
    #[schema(schema_with = super::schema::clue_state)]
    pub state: String,
    /// The highest severity of its findings.
    #[schema(schema_with = super::schema::severity)]
    pub severity: String,
    /// Where it came from.
    #[schema(schema_with = super::schema::clue_source)]
    pub source: String,
    /// The district's deadline to answer (by severity), once dispatched.
    pub due_on: Option<NaiveDate>,
    /// The statutory verification limit.
    pub verify_by: Option<NaiveDate>,
    /// Open and past its deadline or its verification limit.
    pub overdue: bool,
    /// The case opened from it.
    pub case_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Who made it (`user:NAME`, or the command line's operator).
    pub created_by: String,
    pub summary: String,
    /// Its findings' ids, ascending.
    pub findings: Vec<i64>,
    /// The evidence captures (sweeps of kind `capture`) taken for it, oldest first.
    pub captures: Vec<i64>,
}

impl From<store::Clue> for ClueItem {
    fn from(c: store::Clue) -> ClueItem {
        ClueItem {
            id: c.id.0,
            site_id: c.site_id.0,
            site: c.site,
            district: c.district.map(|d| d.to_string()),
            state: c.state.code().to_string(),
            severity: c.severity.code().to_string(),
            source: c.source.code().to_string(),
            due_on: c.due_on,
            verify_by: c.verify_by,
            overdue: c.overdue,
            case_id: c.case_id.map(|id| id.0),
            created_at: c.created_at,
            created_by: c.created_by,
            summary: c.summary,
            findings: c.findings.into_iter().map(|f| f.0).collect(),
            captures: c.captures.into_iter().map(|s| s.0).collect(),
        }
    }
}

/// Clues in the caller's scope, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/clues",
    operation_id = "list_clues",
    tag = "clues",
    params(ClueParams, Paging),
    responses((status = 200, description = "A page of clues", body = Page<ClueItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<ClueParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<ClueItem>>, ApiError> {
    let filter = query(filter)?.filter()?;
    let (limit, offset) = query(paging)?.window()?;
    let scope = viewer.scope();
    let total = app.store.count_clues(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_clues(
            scope,
            &ClueFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows.into_iter().map(ClueItem::from).collect(),
        total,
        limit,
        offset,
    }))
}

/// One clue (404 when it is not in the caller's scope).
#[utoipa::path(
    get,
    path = "/api/v1/clues/{id}",
    operation_id = "get_clue",
    tag = "clues",
    params(("id" = i64, Path, description = "Clue id")),
    responses((status = 200, description = "The clue", body = ClueItem), super::Failures)
)]
pub(crate) async fn item(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<ClueItem>, ApiError> {
    let id = ClueId(path_id(&raw, "线索")?);
    let clue = app
        .store
        .clue(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("线索 {id}")))?;
    Ok(Json(clue.into()))
}
