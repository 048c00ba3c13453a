//! Random inspections (双随机、一公开): plans with their pools of inspectors, and draws with
//! their inputs kept exactly as published, the entities selected, the inspectors assigned and
//! the field inspections that recorded the results. The draw itself is computed by the
//! `sampling` crate; here are its rows only.
//!
//! Plans and draws are the city's. A draw's entities belong to their districts: a district
//! scope reads the entities of its districts only, an evaluator's scope its entities.
//!
//! The population of a plan ([`crate::SamplingStore::sampling_population`]) is the register's
//! entities that are not deregistered and match the plan's filter, each with its class from
//! `credit_scores.class`; **an entity never scored counts as class B** (一般风险, the class a
//! new entity starts in).

use chrono::{DateTime, Utc};
use domain::{
    CreditClass, DistrictCode, EntityId, InspectionId, InspectionResult, LegalForm, Role,
    SamplingPlanId, SiteKind, UserId,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which entities a plan draws from; an empty list does not narrow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationFilter {
    pub districts: Vec<DistrictCode>,
    pub kinds: Vec<SiteKind>,
    pub legal_forms: Vec<LegalForm>,
    pub classes: Vec<CreditClass>,
}

impl PopulationFilter {
    /// The filter as stored and published: codes (`{"districts": ["450103"], "kinds":
    /// ["shop"], "legal_forms": ["individual"], "classes": ["C", "D"]}`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "districts": self.districts.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "kinds": self.kinds.iter().map(|k| k.code()).collect::<Vec<_>>(),
            "legal_forms": self.legal_forms.iter().map(|f| f.code()).collect::<Vec<_>>(),
            "classes": self.classes.iter().map(|c| c.code()).collect::<Vec<_>>(),
        })
    }

    /// Reads [`PopulationFilter::to_json`]'s form back; `None` for anything else.
    pub fn from_json(v: &serde_json::Value) -> Option<PopulationFilter> {
        fn codes<T: std::str::FromStr>(v: &serde_json::Value, key: &str) -> Option<Vec<T>> {
            match v.get(key) {
                None => Some(Vec::new()),
                Some(list) => list
                    .as_array()?
                    .iter()
                    .map(|x| x.as_str().and_then(|s| s.parse().ok()))
                    .collect(),
            }
        }
        let districts: Vec<String> = codes(v, "districts")?;
        Some(PopulationFilter {
            districts: districts
                .iter()
                .map(|d| DistrictCode::parse(d).ok())
                .collect::<Option<_>>()?,
            kinds: codes(v, "kinds")?,
            legal_forms: codes(v, "legal_forms")?,
            classes: codes(v, "classes")?,
        })
    }
}

/// Whether a plan still draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanState {
    Active,
    Closed,
}

impl PlanState {
    pub fn code(self) -> &'static str {
        match self {
            PlanState::Active => "active",
            PlanState::Closed => "closed",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            PlanState::Active => "进行中",
            PlanState::Closed => "已结束",
        }
    }
}

/// A plan to store. Ratios are decimal texts (`"0.03"`), checked by the `sampling` crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSamplingPlan {
    pub name: String,
    /// The inspection items (检查事项).
    pub items: Vec<String>,
    pub filter: PopulationFilter,
    pub ratios: BTreeMap<CreditClass, String>,
    pub exclude_same_district: bool,
    pub inspectors_per_entity: i64,
    /// The pool of inspectors (users).
    pub inspectors: Vec<UserId>,
}

/// An inspector of a plan's pool, with the districts they work in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolInspector {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub districts: Vec<DistrictCode>,
    pub disabled: bool,
}

/// A stored plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingPlan {
    pub id: SamplingPlanId,
    pub name: String,
    pub items: Vec<String>,
    pub filter: PopulationFilter,
    /// By class code.
    pub ratios: BTreeMap<CreditClass, String>,
    pub exclude_same_district: bool,
    pub inspectors_per_entity: i64,
    pub state: PlanState,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// The pool, by username.
    pub inspectors: Vec<PoolInspector>,
}

/// One entity of a plan's population.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationRow {
    pub entity_id: EntityId,
    pub uscc: String,
    pub name: String,
    pub district: DistrictCode,
    /// `credit_scores.class`, B when the entity has no score ([`PopulationRow::scored`]).
    pub class: CreditClass,
    pub scored: bool,
}

/// A draw to store, with its inputs as published (JSON texts, stored as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDraw {
    pub plan: SamplingPlanId,
    pub seed: String,
    pub algorithm: String,
    pub ratios: String,
    pub population: String,
    pub pool: String,
    pub entities: Vec<NewDrawEntity>,
}

/// A selected entity to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDrawEntity {
    pub entity_id: EntityId,
    pub uscc: String,
    pub class: CreditClass,
    pub district: DistrictCode,
    /// The inspectors left out for a conflict (JSON, as published).
    pub excluded: String,
    /// Best rank first.
    pub inspectors: Vec<UserId>,
}

/// A draw as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawSummary {
    pub id: domain::DrawId,
    pub plan_id: SamplingPlanId,
    pub plan_name: String,
    pub seed: String,
    pub algorithm: String,
    pub drawn_at: DateTime<Utc>,
    pub drawn_by: String,
    /// Selected entities in the reader's scope.
    pub selected: i64,
    /// Of them, with a result recorded.
    pub done: i64,
}

/// An inspector assigned to a selected entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawInspector {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

/// The field inspection that recorded a selected entity's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawResult {
    pub inspection: InspectionId,
    pub inspected_at: DateTime<Utc>,
    pub result: InspectionResult,
}

/// A selected entity of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawEntity {
    pub entity_id: EntityId,
    pub uscc: String,
    pub name: String,
    pub class: CreditClass,
    pub district: DistrictCode,
    /// JSON, as published.
    pub excluded: String,
    /// Best rank first.
    pub inspectors: Vec<DrawInspector>,
    pub result: Option<DrawResult>,
}

/// A stored draw with its selected entities in the reader's scope (by USCC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    pub id: domain::DrawId,
    pub plan_id: SamplingPlanId,
    pub plan_name: String,
    pub seed: String,
    pub algorithm: String,
    /// JSON texts, as published.
    pub ratios: String,
    pub population: String,
    pub pool: String,
    pub drawn_at: DateTime<Utc>,
    pub drawn_by: String,
    pub entities: Vec<DrawEntity>,
}
