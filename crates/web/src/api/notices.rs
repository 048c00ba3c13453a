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

/// A model site (示范网店) the bureau designated, with its entity's current credit class (the
/// portal lists it while the class is A).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ModelSite)]
pub(crate) struct ModelSiteItem {
    pub site_id: i64,
    pub host: String,
    pub path_prefix: String,
    pub entity_id: i64,
    pub entity_name: String,
    pub uscc: String,
    /// `A`–`D`; null: never scored.
    pub class: Option<String>,
    pub note: Option<String>,
    pub designated_at: DateTime<Utc>,
    pub designated_by: String,
}

/// The model sites in the viewer's scope, by entity name and host.
#[utoipa::path(
    get,
    path = "/api/v1/model-sites",
    operation_id = "list_model_sites",
    tag = "portal",
    params(Paging),
    responses((status = 200, description = "A page of model sites", body = Page<ModelSiteItem>), super::Failures)
)]
pub(crate) async fn model_sites(
    State(app): State<Shared>,
    viewer: Viewer,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<ModelSiteItem>>, ApiError> {
    let (limit, offset) = query(paging)?.window()?;
    let all = credit::portal::model_sites(app.store.as_ref(), &caller(&viewer))
        .await
        .map_err(refusal)?;
    let total = all.len() as i64;
    Ok(Json(Page {
        items: all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|m| ModelSiteItem {
                site_id: m.site_id.0,
                host: m.host,
                path_prefix: m.path_prefix,
                entity_id: m.entity_id.0,
                entity_name: m.entity_name,
                uscc: m.uscc,
                class: m.class.map(|c| c.code().to_string()),
                note: m.note,
                designated_at: m.designated_at,
                designated_by: m.designated_by,
            })
            .collect(),
        total,
        limit,
        offset,
    }))
}
