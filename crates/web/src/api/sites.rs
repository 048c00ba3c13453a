//! `/api/v1/sites` and `/api/v1/sites/{id}`: sites (a host, or a shop on a platform) in the
//! caller's scope, with the filters of the console's site list.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use domain::SiteId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{path_id, query, Page, Paging};
use crate::view::SiteParams;
use crate::{ApiError, Shared, Viewer, WebError};

/// A site: a host, or a shop's path prefix on a platform.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Site)]
pub(crate) struct SiteItem {
    pub id: i64,
    /// Lower-case host name.
    pub host: String,
    /// A platform shop's path prefix (`/shop/8812`), else empty.
    pub path_prefix: String,
    /// `host` or `host/prefix`, as the register writes it.
    pub address: String,
    /// Kind as the register records it (for a discovered site: as first guessed).
    #[schema(schema_with = super::schema::site_kind)]
    pub kind: String,
    /// Whether the register lists it or a sweep found it.
    #[schema(schema_with = super::schema::site_origin)]
    pub origin: String,
    /// The entity it belongs to (none for a discovered site not yet attached).
    pub entity_id: Option<i64>,
    pub entity_name: Option<String>,
    /// The district of its entity.
    #[schema(schema_with = super::schema::district_or_null)]
    pub district: Option<String>,
    /// The kind its pages show, as of the last sweep that scanned them.
    #[schema(schema_with = super::schema::site_kind_or_null)]
    pub classified_kind: Option<String>,
    /// Why the classifier decided so.
    pub classified_reason: Option<String>,
    /// Its pages show another kind than the register records.
    pub kind_disagrees: bool,
}

impl From<store::Site> for SiteItem {
    fn from(s: store::Site) -> SiteItem {
        SiteItem {
            id: s.id.0,
            address: s.address(),
            kind_disagrees: s.kind_disagrees(),
            kind: s.kind.code().to_string(),
            origin: s.origin.code().to_string(),
            entity_id: s.entity_id.map(|e| e.0),
            entity_name: s.entity_name,
            district: s.district.map(|d| d.to_string()),
            classified_kind: s.classified.as_ref().map(|c| c.kind.code().to_string()),
            classified_reason: s.classified.map(|c| c.reason),
            host: s.host,
            path_prefix: s.path_prefix,
        }
    }
}

/// Sites in the caller's scope, by host and prefix.
#[utoipa::path(
    get,
    path = "/api/v1/sites",
    operation_id = "list_sites",
    tag = "sites",
    params(SiteParams, Paging),
    responses((status = 200, description = "A page of sites", body = Page<SiteItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<SiteParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<SiteItem>>, ApiError> {
    let filter = query(filter)?.filter()?;
    let (limit, offset) = query(paging)?.window()?;
    let scope = viewer.scope();
    let total = app.store.count_sites(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_sites(
            scope,
            &store::SiteFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows.into_iter().map(SiteItem::from).collect(),
        total,
        limit,
        offset,
    }))
}

/// One site (404 when it is not in the caller's scope).
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}",
    operation_id = "get_site",
    tag = "sites",
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 200, description = "The site", body = SiteItem), super::Failures)
)]
pub(crate) async fn item(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<SiteItem>, ApiError> {
    let id = SiteId(path_id(&raw, "网站")?);
    let site = app
        .store
        .site(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("网站 {id}")))?;
    Ok(Json(site.into()))
}
