//! `/api/v1/credit/scores` (entities with their current grade, worst first, filtered by class
//! and district) and `/api/v1/entities/{id}/credit` (one entity's grade explained: its
//! indicators' contributions, the families' shares and what moved since the previous grade).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::{CreditClass, EntityId};
use serde::{Deserialize, Serialize};
use store::CreditFilter;
use utoipa::{IntoParams, ToSchema};

use super::{path_id, query, Page, Paging};
use crate::credit_words::credit_error;
use crate::view::{param, DistrictCodeParam};
use crate::{ApiError, Shared, Viewer};

/// An entity's current credit grade.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = CreditScore)]
pub(crate) struct CreditScoreItem {
    pub entity_id: i64,
    pub uscc: String,
    pub name: String,
    #[schema(schema_with = super::schema::district)]
    pub district: String,
    #[schema(schema_with = super::schema::site_kind)]
    pub kind: String,
    /// 0–100, higher is better.
    pub score: f64,
    /// The class after the hard rules: `A` (low risk) … `D` (high risk).
    #[schema(schema_with = super::schema::credit_class)]
    pub class: String,
    /// The class the score reaches.
    #[schema(schema_with = super::schema::credit_class)]
    pub score_class: String,
    /// The hard rule that set the class: `abnormal`, `serious_violation` or null.
    #[serde(rename = "override")]
    #[schema(schema_with = super::schema::credit_override)]
    pub overridden: Option<String>,
    pub index_version: String,
    pub computed_at: DateTime<Utc>,
}

fn item(
    entity: EntityId,
    uscc: String,
    name: String,
    district: String,
    kind: String,
    g: &store::StoredGrade,
) -> CreditScoreItem {
    CreditScoreItem {
        entity_id: entity.0,
        uscc,
        name,
        district,
        kind,
        score: g.score,
        class: g.class.code().to_string(),
        score_class: g.score_class.code().to_string(),
        overridden: g.overridden.map(|o| o.code().to_string()),
        index_version: g.index_version.clone(),
        computed_at: g.computed_at,
    }
}

/// The filters of the score list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CreditParams {
    /// Class after the hard rules.
    #[param(schema_with = super::schema::credit_class)]
    pub class: Option<String>,
    /// District code of the entity.
    #[param(schema_with = super::schema::district)]
    pub district: Option<String>,
}

/// Entities with their current grade in the caller's scope, the lowest score first.
#[utoipa::path(
    get,
    path = "/api/v1/credit/scores",
    operation_id = "list_credit_scores",
    tag = "credit",
    params(CreditParams, Paging),
    responses((status = 200, description = "A page of grades", body = Page<CreditScoreItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<CreditParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<CreditScoreItem>>, ApiError> {
    let p = query(filter)?;
    let (limit, offset) = query(paging)?.window()?;
    let filter = CreditFilter {
        class: param::<CreditClass>("class", &p.class)?,
        district: param::<DistrictCodeParam>("district", &p.district)?.map(|d| d.0),
        limit,
        offset,
    };
    let scope = viewer.scope();
    let total = app
        .store
        .count_credit_scores(scope.clone(), &filter)
        .await?;
    let rows = app.store.list_credit_scores(scope, &filter).await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|r| {
                item(
                    r.entity,
                    r.uscc,
                    r.name,
                    r.district.to_string(),
                    r.kind.code().to_string(),
                    &r.grade,
                )
            })
            .collect(),
        total,
        limit,
        offset,
    }))
}

/// One indicator's part in a grade.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct CreditIndicator {
    pub code: String,
    pub name: String,
    /// The family's code.
    pub family: String,
    /// The source with its parameters.
    pub source: String,
    /// 0–100.
    pub points: f64,
    /// The effective weight (product of the weights family → indicator).
    pub weight: f64,
    /// points × weight.
    pub contribution: f64,
}

/// A family's share of the score.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct CreditFamily {
    pub code: String,
    pub name: String,
    pub weight: f64,
    pub contribution: f64,
    /// The family's own score, 0–100.
    pub percent: f64,
}

/// An indicator whose contribution changed since the previous grade.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct CreditMoved {
    pub code: String,
    pub name: String,
    pub before_points: Option<f64>,
    pub after_points: f64,
    pub before: Option<f64>,
    pub after: f64,
}

/// An entity's grade explained.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct CreditDetail {
    #[serde(flatten)]
    pub grade: CreditScoreItem,
    pub families: Vec<CreditFamily>,
    pub indicators: Vec<CreditIndicator>,
    pub moved: Vec<CreditMoved>,
}

/// One entity's current grade with its indicators (404 when the entity is not in the caller's
/// scope or has no grade yet).
#[utoipa::path(
    get,
    path = "/api/v1/entities/{id}/credit",
    operation_id = "get_entity_credit",
    tag = "credit",
    params(("id" = i64, Path, description = "Entity id")),
    responses((status = 200, description = "The grade explained", body = CreditDetail), super::Failures)
)]
pub(crate) async fn entity(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<CreditDetail>, ApiError> {
    let id = EntityId(path_id(&raw, "经营主体")?);
    let scope = viewer.scope();
    let e = app
        .store
        .entity(scope.clone(), id)
        .await?
        .ok_or_else(|| crate::WebError::NotFound(format!("经营主体 {id}")))?;
    let v = credit::archive::credit_of(app.store.as_ref(), scope, id)
        .await
        .map_err(credit_error)?;
    Ok(Json(CreditDetail {
        grade: item(
            id,
            e.input.uscc,
            e.input.name,
            e.input.district.to_string(),
            e.input.kind.code().to_string(),
            &v.grade,
        ),
        families: v
            .families
            .iter()
            .map(|f| CreditFamily {
                code: f.code.clone(),
                name: f.name.clone(),
                weight: f.weight,
                contribution: f.contribution,
                percent: f.percent,
            })
            .collect(),
        indicators: v
            .indicators
            .iter()
            .map(|c| CreditIndicator {
                code: c.code.clone(),
                name: c.name.clone(),
                family: c.family.clone(),
                source: c.source.clone(),
                points: c.points,
                weight: c.weight,
                contribution: c.contribution,
            })
            .collect(),
        moved: v
            .moved
            .iter()
            .map(|m| CreditMoved {
                code: m.code.clone(),
                name: m.name.clone(),
                before_points: m.before_points,
                after_points: m.after_points,
                before: m.before,
                after: m.after,
            })
            .collect(),
    }))
}
