//! `/api/findings` and `/api/sites`: the lists as JSON for scripts, with the same filters as the
//! pages and `limit` (1–1000, default 100) / `offset` paging. Rows are the store's own
//! serialisations (codes for categories, severities, kinds; districts as 6-digit strings).
//! Errors come back as `{"error": code, "message": text}`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::Serialize;
use store::{Finding, FindingFilter, Site, SiteFilter};

use crate::view::{self, FindingParams, SiteParams};
use crate::{ApiError, Shared, Viewer, WebError};

#[derive(Debug, Serialize)]
pub(crate) struct FindingsResponse {
    total: i64,
    limit: i64,
    offset: i64,
    items: Vec<Finding>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SitesResponse {
    limit: i64,
    offset: i64,
    items: Vec<Site>,
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError(WebError::BadRequest(e.body_text())))
}

pub(crate) async fn findings(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<FindingParams>, QueryRejection>,
) -> Result<Json<FindingsResponse>, ApiError> {
    let params = query(params)?;
    let filter = params.filter()?;
    let (limit, offset) = view::api_window(&params.limit, &params.offset)?;
    let scope = viewer.scope();
    let total = app.store.count_findings(scope.clone(), &filter).await?;
    let items = app
        .store
        .list_findings(
            scope.clone(),
            &FindingFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    Ok(Json(FindingsResponse {
        total,
        limit,
        offset,
        items,
    }))
}

pub(crate) async fn sites(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<SiteParams>, QueryRejection>,
) -> Result<Json<SitesResponse>, ApiError> {
    let params = query(params)?;
    let filter = params.filter()?;
    let (limit, offset) = view::api_window(&params.limit, &params.offset)?;
    let items = app
        .store
        .list_sites(
            viewer.scope(),
            &SiteFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    Ok(Json(SitesResponse {
        limit,
        offset,
        items,
    }))
}
