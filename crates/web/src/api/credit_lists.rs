//! `/api/v1/credit/listings`, `/api/v1/credit/listings/{id}` and `/api/v1/credit/evaluations`:
//! the dishonesty lists and third-party evaluations in the caller's scope (by the entity's
//! district, or an evaluator's assigned entities).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{EntityId, ListKind, ListingId, RemovalReason};
use serde::{Deserialize, Serialize};
use store::ListingFilter;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};

use super::{path_id, query, Page, Paging};
use crate::credit_list_words::refusal;
use crate::pages::credit_lists::caller;
use crate::view::{param, DistrictCodeParam};
use crate::{ApiError, Shared, Viewer, WebError};

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

fn list_kind() -> utoipa::openapi::schema::Object {
    codes(
        "A dishonesty list: `abnormal` (经营异常名录) or `serious_violation` (严重违法失信名单)",
        ListKind::ALL.iter().map(|k| k.code()).collect(),
        false,
    )
}

fn list_kind_param() -> utoipa::openapi::schema::Object {
    codes(
        "A dishonesty list",
        ListKind::ALL.iter().map(|k| k.code()).collect(),
        true,
    )
}

fn removal_reason() -> utoipa::openapi::schema::Object {
    codes(
        "Why a listing ended (null while it is open)",
        RemovalReason::ALL.iter().map(|r| r.code()).collect(),
        true,
    )
}

fn listing_state() -> utoipa::openapi::schema::Object {
    codes(
        "`open` (still listed) or `removed`",
        vec!["open", "removed"],
        true,
    )
}

/// An entity's listing on a dishonesty list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Listing)]
pub(crate) struct ListingItem {
    pub id: i64,
    pub entity_id: i64,
    pub entity_name: String,
    pub uscc: String,
    #[schema(schema_with = super::schema::district)]
    pub district: String,
    #[schema(schema_with = list_kind)]
    pub list: String,
    /// For `abnormal` a cause code (`no_annual_report`, `information_not_published`,
    /// `false_information`, `not_contactable`); for `serious_violation` the decision's words.
    pub cause: String,
    pub decision_no: Option<String>,
    /// The case outcome that made it, if any.
    pub outcome_id: Option<i64>,
    pub listed_on: NaiveDate,
    pub listed_at: DateTime<Utc>,
    pub removed_on: Option<NaiveDate>,
    #[schema(schema_with = removal_reason)]
    pub removed_reason: Option<String>,
    pub removed_note: Option<String>,
}

impl From<store::Listing> for ListingItem {
    fn from(l: store::Listing) -> ListingItem {
        ListingItem {
            id: l.id.0,
            entity_id: l.entity_id.0,
            entity_name: l.entity_name,
            uscc: l.uscc,
            district: l.district.to_string(),
            list: l.list.code().to_string(),
            cause: l.cause,
            decision_no: l.decision_no,
            outcome_id: l.outcome_id.map(|o| o.0),
            listed_on: l.listed_on,
            listed_at: l.listed_at,
            removed_on: l.removed_on,
            removed_reason: l.removed_reason.map(|r| r.code().to_string()),
            removed_note: l.removed_note,
        }
    }
}

/// The filters of the listing list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListingParams {
    /// `abnormal` or `serious_violation`.
    #[param(schema_with = list_kind_param)]
    pub list: Option<String>,
    /// `open` or `removed`.
    #[param(schema_with = listing_state)]
    pub state: Option<String>,
    /// District code of the entity.
    #[param(schema_with = super::schema::district)]
    pub district: Option<String>,
    /// Entity id.
    #[param(value_type = Option<i64>)]
    pub entity: Option<String>,
}

impl ListingParams {
    fn filter(&self) -> Result<ListingFilter, WebError> {
        Ok(ListingFilter {
            list: param::<ListKind>("list", &self.list)?,
            open: match self.state.as_deref().map(str::trim).unwrap_or("") {
                "" => None,
                "open" => Some(true),
                "removed" => Some(false),
                other => {
                    return Err(WebError::BadRequest(format!(
                        "参数 state 的值“{other}”无效（open 或 removed）"
                    )))
                }
            },
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            entity_id: param::<i64>("entity", &self.entity)?.map(EntityId),
            ..Default::default()
        })
    }
}

/// Listings in the caller's scope, the newest listing first.
#[utoipa::path(
    get,
    path = "/api/v1/credit/listings",
    operation_id = "list_credit_listings",
    tag = "credit",
    params(ListingParams, Paging),
    responses((status = 200, description = "A page of listings", body = Page<ListingItem>), super::Failures)
)]
pub(crate) async fn listings(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<ListingParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<ListingItem>>, ApiError> {
    let filter = query(filter)?.filter()?;
    let (limit, offset) = query(paging)?.window()?;
    let (rows, total) = credit::lists::list(
        app.store.as_ref(),
        &caller(&viewer),
        &ListingFilter {
            limit,
            offset,
            ..filter
        },
    )
    .await
    .map_err(refusal)?;
    Ok(Json(Page {
        items: rows.into_iter().map(ListingItem::from).collect(),
        total,
        limit,
        offset,
    }))
}

/// One listing (404 when it is not in the caller's scope).
#[utoipa::path(
    get,
    path = "/api/v1/credit/listings/{id}",
    operation_id = "get_credit_listing",
    tag = "credit",
    params(("id" = i64, Path, description = "Listing id")),
    responses((status = 200, description = "The listing", body = ListingItem), super::Failures)
)]
pub(crate) async fn listing(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<ListingItem>, ApiError> {
    let id = ListingId(path_id(&raw, "名录记录")?);
    let l = credit::lists::show(app.store.as_ref(), &caller(&viewer), id)
        .await
        .map_err(refusal)?;
    Ok(Json(ListingItem::from(l)))
}

/// A third-party evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Evaluation)]
pub(crate) struct EvaluationItem {
    pub id: i64,
    pub entity_id: i64,
    pub entity_name: String,
    /// Username of the evaluator.
    pub evaluator: String,
    /// 0–100.
    pub score: i64,
    pub evaluated_on: NaiveDate,
    pub summary: String,
    pub created_at: DateTime<Utc>,
}

/// The filters of the evaluation list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EvaluationParams {
    /// Entity id.
    #[param(value_type = Option<i64>)]
    pub entity: Option<String>,
}

/// Evaluations in the caller's scope, the newest first.
#[utoipa::path(
    get,
    path = "/api/v1/credit/evaluations",
    operation_id = "list_credit_evaluations",
    tag = "credit",
    params(EvaluationParams, Paging),
    responses((status = 200, description = "A page of evaluations", body = Page<EvaluationItem>), super::Failures)
)]
pub(crate) async fn evaluations(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<EvaluationParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<EvaluationItem>>, ApiError> {
    let entity = param::<i64>("entity", &query(filter)?.entity)?.map(EntityId);
    let (limit, offset) = query(paging)?.window()?;
    let (rows, total) =
        credit::evaluations::list(app.store.as_ref(), &caller(&viewer), entity, limit, offset)
            .await
            .map_err(refusal)?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|v| EvaluationItem {
                id: v.id.0,
                entity_id: v.entity_id.0,
                entity_name: v.entity_name,
                evaluator: v.evaluator,
                score: v.score,
                evaluated_on: v.evaluated_on,
                summary: v.summary,
                created_at: v.created_at,
            })
            .collect(),
        total,
        limit,
        offset,
    }))
}
