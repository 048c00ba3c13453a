//! `/api/v1/badges`: license badges (亮照) and their applications in the caller's scope (by
//! the entity's district), with the filters of `wangjian badge list`. The applicant's contact
//! is personal data and is not in the API.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::{BadgeState, BadgeVerdict, EntityId};
use serde::{Deserialize, Serialize};
use store::BadgeFilter;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};

use super::{query, Page, Paging};
use crate::view::{param, DistrictCodeParam};
use crate::{ApiError, Shared, Viewer};

fn codes(what: &str, codes: Vec<&str>, nullable: bool) -> utoipa::openapi::schema::Object {
    let mut values: Vec<serde_json::Value> = codes.into_iter().map(Into::into).collect();
    let ty = if nullable {
        values.push(serde_json::Value::Null);
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(ty)
        .description(Some(what))
        .enum_values(Some(values))
        .build()
}

fn state() -> utoipa::openapi::schema::Object {
    codes(
        "Where the badge stands",
        BadgeState::ALL.iter().map(|s| s.code()).collect(),
        false,
    )
}

fn state_param() -> utoipa::openapi::schema::Object {
    codes(
        "Where the badge stands",
        BadgeState::ALL.iter().map(|s| s.code()).collect(),
        true,
    )
}

fn verdict() -> utoipa::openapi::schema::Object {
    codes(
        "The last sweep's check of the bound site's homepage (null: not checked yet)",
        BadgeVerdict::ALL.iter().map(|v| v.code()).collect(),
        true,
    )
}

/// A badge or an application for one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Badge)]
pub(crate) struct BadgeItem {
    /// The serial number (`WJB` and eight digits).
    pub serial: String,
    pub entity_id: i64,
    pub entity_name: String,
    pub uscc: String,
    #[schema(schema_with = super::schema::district)]
    pub district: String,
    /// The bound domain (no `www.`).
    pub domain: String,
    #[schema(schema_with = state)]
    pub state: String,
    /// `well_known` or `dns_txt`.
    pub method: String,
    /// The last proof's result code, if any.
    pub proof_result: Option<String>,
    pub applied_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    /// Why suspended, revoked or refused (a cause code).
    pub cause: Option<String>,
    #[schema(schema_with = verdict)]
    pub check_verdict: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

impl From<store::Badge> for BadgeItem {
    fn from(b: store::Badge) -> BadgeItem {
        BadgeItem {
            serial: b.serial.to_string(),
            entity_id: b.entity_id.0,
            entity_name: b.entity_name,
            uscc: b.uscc,
            district: b.district.to_string(),
            domain: b.domain,
            state: b.state.code().to_string(),
            method: b.method.code().to_string(),
            proof_result: b.proof_result.map(|r| r.code().to_string()),
            applied_at: b.applied_at,
            issued_at: b.issued_at,
            cause: b.cause.map(|c| c.code().to_string()),
            check_verdict: b.check_verdict.map(|v| v.code().to_string()),
            checked_at: b.checked_at,
        }
    }
}

/// The filters of the badge list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct BadgeParams {
    /// The badge's state.
    #[param(schema_with = state_param)]
    pub state: Option<String>,
    /// District code of the entity.
    #[param(schema_with = super::schema::district)]
    pub district: Option<String>,
    /// Entity id.
    #[param(value_type = Option<i64>)]
    pub entity: Option<String>,
}

/// Badges and applications in the caller's scope, the newest first.
#[utoipa::path(
    get,
    path = "/api/v1/badges",
    operation_id = "list_badges",
    tag = "badges",
    params(BadgeParams, Paging),
    responses((status = 200, description = "A page of badges", body = Page<BadgeItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<BadgeParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<BadgeItem>>, ApiError> {
    let p = query(filter)?;
    let (limit, offset) = query(paging)?.window()?;
    let filter = BadgeFilter {
        count_up_to: None,
        state: param::<BadgeState>("state", &p.state)?,
        district: param::<DistrictCodeParam>("district", &p.district)?.map(|d| d.0),
        entity_id: param::<i64>("entity", &p.entity)?.map(EntityId),
        domain: None,
        sort: None,
        limit,
        offset,
    };
    let store = app.store.as_ref();
    let total = store.count_badges(viewer.scope(), &filter).await?;
    let rows = store.badges(viewer.scope(), &filter).await?;
    Ok(Json(Page {
        items: rows.into_iter().map(BadgeItem::from).collect(),
        total,
        limit,
        offset,
    }))
}
