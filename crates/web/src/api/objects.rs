//! `/api/v1/objects`: the finished WARC files kept in the object store (`[objects]`), with
//! whether the data directory still holds a local copy — the list `wangjian evidence objects`
//! prints.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{query, Page, Paging};
use crate::{ApiError, Shared, Viewer};

/// A WARC file in the object store.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = StoredObject)]
pub(crate) struct ObjectItem {
    /// The file name (the object's key without the store's prefix).
    pub name: String,
    /// Bytes.
    pub size: i64,
    /// When the object was stored.
    pub stored_at: DateTime<Utc>,
    /// Whether the data directory still holds the file.
    pub local: bool,
}

/// The WARC files in the object store, by name (404 when the console has none configured,
/// 503 when it cannot be reached).
#[utoipa::path(
    get,
    path = "/api/v1/objects",
    operation_id = "list_objects",
    tag = "objects",
    params(Paging),
    responses(
        (status = 200, description = "A page of stored WARC files", body = Page<ObjectItem>),
        (status = 503, description = "The object store cannot be reached or refused (`unavailable`)", body = super::ErrorBody),
        super::Failures
    )
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    _viewer: Viewer,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<ObjectItem>>, ApiError> {
    let (limit, offset) = query(paging)?.window()?;
    let listed = crate::pages::objects::listed(&app).await?;
    let total = listed.len() as i64;
    let items = listed
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|(o, local)| ObjectItem {
            name: o.name,
            size: i64::try_from(o.size).unwrap_or(i64::MAX),
            stored_at: o.modified,
            local,
        })
        .collect();
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}
