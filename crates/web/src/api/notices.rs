//! `/api/v1/notices`: the notices the bureau published on the public portal, withdrawn ones
//! included (with when, by whom and why).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{query, Page, Paging};
use crate::pages::credit_lists::caller;
use crate::portal_words::refusal;
use crate::{ApiError, Shared, Viewer};

/// A notice of the public portal (公告).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Notice)]
pub(crate) struct NoticeItem {
    pub id: i64,
    pub title: String,
    /// Plain text; paragraphs separated by blank lines.
    pub body: String,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    /// Null while it is public.
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<String>,
    pub withdrawn_reason: Option<String>,
}

/// The portal's notices, the newest first.
#[utoipa::path(
    get,
    path = "/api/v1/notices",
    operation_id = "list_notices",
    tag = "portal",
    params(Paging),
    responses((status = 200, description = "A page of notices", body = Page<NoticeItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<NoticeItem>>, ApiError> {
    let (limit, offset) = query(paging)?.window()?;
    let all = credit::portal::notices(app.store.as_ref(), &caller(&viewer))
        .await
        .map_err(refusal)?;
    let total = all.len() as i64;
    Ok(Json(Page {
        items: all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|n| NoticeItem {
                id: n.id.0,
                title: n.title,
                body: n.body,
                published_at: n.published_at,
                published_by: n.published_by,
                withdrawn_at: n.withdrawn_at,
                withdrawn_by: n.withdrawn_by,
                withdrawn_reason: n.withdrawn_reason,
            })
            .collect(),
        total,
        limit,
        offset,
    }))
}
