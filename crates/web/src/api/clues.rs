//! `/api/v1/clues` and `/api/v1/clues/{id}`: clues (线索, findings of one site grouped) in the
//! caller's scope, filtered by site and district.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::{ClueId, SiteId};
use serde::{Deserialize, Serialize};
use store::ClueFilter;
use utoipa::{IntoParams, ToSchema};

use super::{path_id, query, Page, Paging};
use crate::view::{param, DistrictCodeParam};
use crate::{ApiError, Shared, Viewer, WebError};

/// A clue: findings of one site grouped, with the evidence captures taken for it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Clue)]
pub(crate) struct ClueItem {
    pub id: i64,
    pub site_id: i64,
    /// The site's host and path prefix.
    pub site: String,
    /// The district of the site's entity.
    #[schema(schema_with = super::schema::district_or_null)]
    pub district: Option<String>,
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
            created_at: c.created_at,
            created_by: c.created_by,
            summary: c.summary,
            findings: c.findings.into_iter().map(|f| f.0).collect(),
            captures: c.captures.into_iter().map(|s| s.0).collect(),
        }
    }
}

/// The filters of the clue list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ClueParams {
    /// Site id.
    #[param(value_type = Option<i64>)]
    pub site: Option<String>,
    /// District code of the site's entity.
    #[param(schema_with = super::schema::district)]
    pub district: Option<String>,
}

impl ClueParams {
    fn filter(&self) -> Result<ClueFilter, WebError> {
        Ok(ClueFilter {
            site_id: param::<i64>("site", &self.site)?.map(SiteId),
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            ..ClueFilter::default()
        })
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
