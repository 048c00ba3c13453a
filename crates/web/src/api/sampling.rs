//! `/api/v1/sampling/plans`, `/api/v1/sampling/draws` and `/api/v1/sampling/draws/{id}`:
//! random-inspection plans, draws, and a draw's publication (一公开) — the very JSON
//! `wangjian sample show DRAW --format json` prints and `wangjian sample replay` checks. Plans
//! and draws are the bureau's; a draw's entities are read in the caller's scope (a district's
//! copy of a publication holds its districts only and says `"complete": false`).

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::DrawId;
use serde::{Deserialize, Serialize};
use store::{SamplingPlan, Scope};
use utoipa::ToSchema;

use super::{path_id, query, Page, Paging};
use crate::{ApiError, Shared, Viewer, WebError};

/// An inspector of a plan's pool, or of a draw's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct PoolItem {
    pub username: String,
    /// District codes they work in (empty: city staff).
    pub districts: Vec<String>,
}

/// A sampling plan (抽查计划).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = SamplingPlan)]
pub(crate) struct PlanItem {
    pub id: i64,
    pub name: String,
    /// `active` or `closed`.
    pub state: String,
    /// Inspection items (检查事项).
    pub items: Vec<String>,
    /// The population filter's codes (empty lists do not narrow).
    pub districts: Vec<String>,
    pub kinds: Vec<String>,
    pub legal_forms: Vec<String>,
    pub classes: Vec<String>,
    /// The sampling ratio per credit class code, as exact decimals (`"0.03"`).
    pub ratios: BTreeMap<String, String>,
    pub exclude_same_district: bool,
    pub inspectors_per_entity: i64,
    pub inspectors: Vec<PoolItem>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl From<&SamplingPlan> for PlanItem {
    fn from(p: &SamplingPlan) -> PlanItem {
        PlanItem {
            id: p.id.0,
            name: p.name.clone(),
            state: p.state.code().to_string(),
            items: p.items.clone(),
            districts: p.filter.districts.iter().map(|d| d.to_string()).collect(),
            kinds: p
                .filter
                .kinds
                .iter()
                .map(|k| k.code().to_string())
                .collect(),
            legal_forms: p
                .filter
                .legal_forms
                .iter()
                .map(|f| f.code().to_string())
                .collect(),
            classes: p
                .filter
                .classes
                .iter()
                .map(|c| c.code().to_string())
                .collect(),
            ratios: p
                .ratios
                .iter()
                .map(|(c, r)| (c.code().to_string(), r.clone()))
                .collect(),
            exclude_same_district: p.exclude_same_district,
            inspectors_per_entity: p.inspectors_per_entity,
            inspectors: p
                .inspectors
                .iter()
                .map(|i| PoolItem {
                    username: i.username.clone(),
                    districts: i.districts.iter().map(|d| d.to_string()).collect(),
                })
                .collect(),
            created_at: p.created_at,
            created_by: p.created_by.clone(),
        }
    }
}

/// A draw (抽查批次) as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = SamplingDraw)]
pub(crate) struct DrawItem {
    pub id: i64,
    pub plan_id: i64,
    pub plan_name: String,
    pub seed: String,
    /// `wangjian-draw-1`.
    pub algorithm: String,
    pub drawn_at: DateTime<Utc>,
    pub drawn_by: String,
    /// Selected entities in the caller's scope.
    pub selected: i64,
    /// Of them, with a result recorded.
    pub done: i64,
}

/// The plan as published.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct PublishedPlanItem {
    pub id: i64,
    pub name: String,
    pub items: Vec<String>,
}

/// One entry of the published population.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct EntryItem {
    pub uscc: String,
    /// Credit class code, A–D.
    pub class: String,
    pub district: String,
}

/// An inspector left out for a conflict.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ExclusionItem {
    pub username: String,
    /// `same_district` or `earlier_case`.
    pub conflict: String,
}

/// A selected entity's result: the field inspection recorded for it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ResultItem {
    pub inspection: i64,
    pub inspected_at: DateTime<Utc>,
    /// `compliant`, `violation`, `not_contactable` or `other`.
    pub result: String,
}

/// A selected entity with its inspectors.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct SelectedItem {
    pub uscc: String,
    pub name: String,
    pub class: String,
    pub district: String,
    /// Usernames, best rank first.
    pub inspectors: Vec<String>,
    pub excluded: Vec<ExclusionItem>,
    pub result: Option<ResultItem>,
}

/// A draw's publication: the inputs (algorithm, seed, ratios, population, pool) that
/// reproduce it, the selection with inspectors, and the results so far.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = SamplingPublication)]
pub(crate) struct PublicationItem {
    /// `wangjian-sampling-publication-1`.
    pub format: String,
    pub algorithm: String,
    pub draw: i64,
    pub plan: PublishedPlanItem,
    pub drawn_at: DateTime<Utc>,
    pub seed: String,
    pub ratios: BTreeMap<String, String>,
    pub exclude_same_district: bool,
    pub inspectors_per_entity: i64,
    pub population_size: BTreeMap<String, i64>,
    pub population: Vec<EntryItem>,
    pub pool: Vec<PoolItem>,
    pub selected: Vec<SelectedItem>,
    /// False when the caller's scope hid part of the draw (such a copy does not replay).
    pub complete: bool,
}

/// Every sampling plan, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/sampling/plans",
    operation_id = "list_sampling_plans",
    tag = "sampling",
    params(Paging),
    responses((status = 200, description = "A page of plans", body = Page<PlanItem>), super::Failures)
)]
pub(crate) async fn plans(
    State(app): State<Shared>,
    _viewer: Viewer,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<PlanItem>>, ApiError> {
    let (limit, offset) = query(paging)?.window()?;
    let all = app.store.list_sampling_plans().await?;
    Ok(Json(Page {
        total: all.len() as i64,
        items: all
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(PlanItem::from)
            .collect(),
        limit,
        offset,
    }))
}

/// Every draw, newest first, with the counts of its entities in the caller's scope.
#[utoipa::path(
    get,
    path = "/api/v1/sampling/draws",
    operation_id = "list_sampling_draws",
    tag = "sampling",
    params(Paging),
    responses((status = 200, description = "A page of draws", body = Page<DrawItem>), super::Failures)
)]
pub(crate) async fn draws(
    State(app): State<Shared>,
    viewer: Viewer,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<DrawItem>>, ApiError> {
    let (limit, offset) = query(paging)?.window()?;
    let scope: Scope = viewer.scope();
    let all = app.store.list_draws(scope, None).await?;
    Ok(Json(Page {
        total: all.len() as i64,
        items: all
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|d| DrawItem {
                id: d.id.0,
                plan_id: d.plan_id.0,
                plan_name: d.plan_name.clone(),
                seed: d.seed.clone(),
                algorithm: d.algorithm.clone(),
                drawn_at: d.drawn_at,
                drawn_by: d.drawn_by.clone(),
                selected: d.selected,
                done: d.done,
            })
            .collect(),
        limit,
        offset,
    }))
}

/// A draw's publication, as the caller's scope allows (`wangjian sample replay` reads it).
#[utoipa::path(
    get,
    path = "/api/v1/sampling/draws/{id}",
    operation_id = "get_sampling_draw",
    tag = "sampling",
    params(("id" = i64, Path, description = "Draw id")),
    responses((status = 200, description = "The publication", body = PublicationItem), super::Failures)
)]
pub(crate) async fn draw(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<PublicationItem>, ApiError> {
    let id = DrawId(path_id(&raw, "抽查批次")?);
    let who = crate::pages::sampling::who(&viewer);
    let p = sampling::publication(app.store.as_ref(), &who, id)
        .await
        .map_err(crate::sampling_words::refusal)?;
    // The item is the publication's own JSON, field for field.
    let value = serde_json::to_value(&p).map_err(|e| WebError::Internal(e.to_string()))?;
    let item = serde_json::from_value(value).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(Json(item))
}
