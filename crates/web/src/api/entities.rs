//! `/api/v1/entities` and `/api/v1/entities/{id}`: the register's entities in the caller's
//! scope, with the filters of the console's entity list.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::EntityId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{path_id, query, Page, Paging};
use crate::pages::entities::EntityParams;
use crate::{ApiError, AppState, Shared, Viewer, WebError};

/// An entity of the register (经营主体), as its latest import left it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Entity)]
pub(crate) struct EntityItem {
    pub id: i64,
    /// Unified social credit code (统一社会信用代码), 18 characters.
    pub uscc: String,
    /// Why the USCC needs review (a legacy code failing its check characters), if it does.
    pub needs_review: Option<String>,
    pub name: String,
    /// Names it was registered under before, oldest first.
    pub former_names: Vec<String>,
    /// Kind of online business the register records.
    #[schema(schema_with = super::schema::site_kind)]
    pub kind: String,
    #[schema(schema_with = super::schema::legal_form)]
    pub legal_form: String,
    #[schema(schema_with = super::schema::entity_status)]
    pub status: String,
    #[schema(schema_with = super::schema::district)]
    pub district: String,
    /// The district's name, when the deployment's table knows the code.
    pub district_name: Option<String>,
    /// Registered address (住所).
    pub address: Option<String>,
    /// Where it does business (经营场所), when it differs.
    pub business_address: Option<String>,
    /// Registered capital as the register writes it.
    pub registered_capital: Option<String>,
    pub established: Option<NaiveDate>,
    /// Hostnames, or shop URL prefixes on a platform.
    pub domains: Vec<String>,
    /// ICP filing number.
    pub icp: Option<String>,
    pub food_permit: Option<String>,
    pub legal_rep: Option<String>,
    pub phone: Option<String>,
    /// Columns of the register this model has no field for.
    pub extra: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EntityItem {
    fn new(e: store::Entity, app: &AppState) -> EntityItem {
        let i = e.input;
        EntityItem {
            id: e.id.0,
            uscc: i.uscc,
            needs_review: i.needs_review,
            name: i.name,
            former_names: i.former_names,
            kind: i.kind.code().to_string(),
            legal_form: i.legal_form.code().to_string(),
            status: i.status.code().to_string(),
            district: i.district.to_string(),
            district_name: app.districts.name(i.district).map(str::to_string),
            address: i.address,
            business_address: i.business_address,
            registered_capital: i.registered_capital,
            established: i.established,
            domains: i.domains,
            icp: i.icp,
            food_permit: i.food_permit,
            legal_rep: i.legal_rep,
            phone: i.phone,
            extra: i.extra,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// Entities in the caller's scope, by id.
#[utoipa::path(
    get,
    path = "/api/v1/entities",
    operation_id = "list_entities",
    tag = "entities",
    params(EntityParams, Paging),
    responses((status = 200, description = "A page of entities", body = Page<EntityItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<EntityParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<EntityItem>>, ApiError> {
    let filter = query(filter)?.filter()?;
    let (limit, offset) = query(paging)?.window()?;
    let scope = viewer.scope();
    let total = app.store.count_entities_in(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_entities(
            scope,
            &store::EntityFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows.into_iter().map(|e| EntityItem::new(e, &app)).collect(),
        total,
        limit,
        offset,
    }))
}

/// One entity (404 when it is not in the caller's scope).
#[utoipa::path(
    get,
    path = "/api/v1/entities/{id}",
    operation_id = "get_entity",
    tag = "entities",
    params(("id" = i64, Path, description = "Entity id")),
    responses((status = 200, description = "The entity", body = EntityItem), super::Failures)
)]
pub(crate) async fn item(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<EntityItem>, ApiError> {
    let id = EntityId(path_id(&raw, "经营主体")?);
    let entity = app
        .store
        .entity(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("经营主体 {id}")))?;
    Ok(Json(EntityItem::new(entity, &app)))
}
