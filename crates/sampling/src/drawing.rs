//! A draw made and kept: [`run`] reads a plan's population from the store, draws with
//! [`crate::draw`] and saves the draw with every input as it will be published;
//! [`publication`] is that publication (JSON, docs/sampling.md); [`replay`] recomputes a
//! publication's draw from its JSON alone; [`link_result`] records a field inspection as a
//! selected entity's result.

use crate::draw::{self, AssignRules, Conflict, Entry, Exclusion, PoolMember, Ratios};
use crate::{plan, SamplingError, Who, ALGORITHM, MAX_SEED};
use domain::{CreditClass, DrawId, InspectionId, Permission, SamplingPlanId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use store::{Draw, DrawEntity, NewDraw, NewDrawEntity, PlanState, Scope, Store, StoreError};

/// The format name of [`publication`]'s JSON.
pub const FORMAT: &str = "wangjian-sampling-publication-1";

/// A fresh seed for a person who has none in mind: 16 random bytes as 32 hex digits.
pub fn random_seed() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    hex::encode(bytes)
}

/// Draws for `plan` with `seed`: the population (the store's, city-wide, by USCC), the pure
/// draw, the assignment without conflicts (the pool's enabled members; the officers of every
/// case on a selected entity), saved in one transaction (audited). Refused before anything is
/// saved: no permission, no such plan, a closed plan, an empty or too long seed, an empty
/// population, an empty pool, an entity with too few inspectors.
pub async fn run(
    store: &dyn Store,
    who: &Who,
    plan_id: SamplingPlanId,
    seed: &str,
) -> Result<Draw, SamplingError> {
    who.require(Permission::Sampling)?;
    let plan = store
        .sampling_plan(plan_id)
        .await?
        .ok_or(SamplingError::NoPlan(plan_id))?;
    if plan.state == PlanState::Closed {
        return Err(SamplingError::PlanClosed(plan_id));
    }
    if seed.is_empty() {
        return Err(draw::DrawError::EmptySeed.into());
    }
    if seed.len() > MAX_SEED {
        return Err(SamplingError::SeedTooLong);
    }
    let ratios = plan::ratios(&plan)?;
    let rows = store.sampling_population(Scope::City, &plan.filter).await?;
    let mut population: Vec<Entry> = rows
        .iter()
        .map(|r| Entry {
            uscc: r.uscc.clone(),
            class: r.class,
            district: r.district,
        })
        .collect();
    population.sort_by(|a, b| a.uscc.cmp(&b.uscc));
    let mut pool: Vec<PoolMember> = plan
        .inspectors
        .iter()
        .filter(|i| !i.disabled)
        .map(|i| PoolMember {
            username: i.username.clone(),
            districts: i.districts.clone(),
        })
        .collect();
    pool.sort_by(|a, b| a.username.cmp(&b.username));
    if pool.is_empty() {
        return Err(draw::DrawError::EmptyPool.into());
    }
    let selected = draw::select(&population, &ratios, seed)?;
    // The officers of earlier cases on the selected entities, by USCC and username.
    let by_uscc: BTreeMap<&str, &store::PopulationRow> =
        rows.iter().map(|r| (r.uscc.as_str(), r)).collect();
    let ids: Vec<domain::EntityId> = selected
        .iter()
        .map(|e| by_uscc[e.uscc.as_str()].entity_id)
        .collect();
    let officers = store.case_officers_of(&ids).await?;
    let names: BTreeMap<domain::UserId, String> = store
        .list_users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let uscc_of: BTreeMap<domain::EntityId, &str> = rows
        .iter()
        .map(|r| (r.entity_id, r.uscc.as_str()))
        .collect();
    let mut case_officers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (entity, user) in officers {
        if let (Some(u), Some(name)) = (uscc_of.get(&entity), names.get(&user)) {
            case_officers
                .entry(u.to_string())
                .or_default()
                .insert(name.clone());
        }
    }
    let rules = AssignRules {
        pool: pool.clone(),
        exclude_same_district: plan.exclude_same_district,
        case_officers,
        inspectors_per_entity: u32::try_from(plan.inspectors_per_entity)
            .map_err(|_| SamplingError::BadInspectorsPerEntity(plan.inspectors_per_entity))?,
    };
    let assigned = draw::assign(&selected, &rules, seed)?;
    let user_ids: BTreeMap<&str, domain::UserId> = plan
        .inspectors
        .iter()
        .map(|i| (i.username.as_str(), i.id))
        .collect();
    let entities = assigned
        .iter()
        .map(|a| NewDrawEntity {
            entity_id: by_uscc[a.uscc.as_str()].entity_id,
            uscc: a.uscc.clone(),
            class: a.class,
            district: a.district,
            excluded: serde_json::to_string(&a.excluded).expect("exclusions serialise"),
            inspectors: a.inspectors.iter().map(|u| user_ids[u.as_str()]).collect(),
        })
        .collect();
    let new = NewDraw {
        plan: plan.id,
        seed: seed.to_string(),
        algorithm: ALGORITHM.to_string(),
        ratios: serde_json::to_string(&ratios).expect("ratios serialise"),
        population: serde_json::to_string(&population).expect("the population serialises"),
        pool: serde_json::to_string(&pool).expect("the pool serialises"),
        entities,
    };
    match store.save_draw(&new, &who.actor).await {
        Ok(d) => Ok(d),
        Err(StoreError::Conflict(_)) => Err(SamplingError::PlanClosed(plan_id)),
        Err(e) => Err(e.into()),
    }
}

/// One selected entity as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub uscc: String,
    #[serde(default)]
    pub name: String,
    #[serde(with = "draw::class_code")]
    pub class: CreditClass,
    pub district: domain::DistrictCode,
    /// Usernames, best rank first.
    pub inspectors: Vec<String>,
    #[serde(default)]
    pub excluded: Vec<Exclusion>,
    /// The field inspection's result, once recorded.
    #[serde(default)]
    pub result: Option<PublishedResult>,
}

/// A selected entity's result as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedResult {
    pub inspection: InspectionId,
    pub inspected_at: chrono::DateTime<chrono::Utc>,
    pub result: domain::InspectionResult,
}

/// The publication of a draw (一公开): everything [`replay`] needs, and the results so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub format: String,
    pub algorithm: String,
    pub draw: DrawId,
    pub plan: PublishedPlan,
    pub drawn_at: chrono::DateTime<chrono::Utc>,
    pub seed: String,
    pub ratios: Ratios,
    pub exclude_same_district: bool,
    pub inspectors_per_entity: u32,
    /// The population's size per class (by class code).
    pub population_size: BTreeMap<String, usize>,
    /// The population as drawn from, by USCC.
    pub population: Vec<Entry>,
    /// The pool (enabled members at the draw), by username.
    pub pool: Vec<PoolMember>,
    /// The selected entities, by USCC.
    pub selected: Vec<Published>,
    /// False when the reader's scope hid part of the draw: such a copy does not replay.
    pub complete: bool,
}

/// The plan as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPlan {
    pub id: SamplingPlanId,
    pub name: String,
    pub items: Vec<String>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> SamplingError {
    SamplingError::Store(StoreError::Corrupt(format!("draw {what}: {e}")))
}

/// The publication of draw `id` as `who` may see it: the whole for the city; for a district
/// (or an evaluator) the selected entities and population entries in their scope only, with
/// `complete: false`.
pub async fn publication(
    store: &dyn Store,
    who: &Who,
    id: DrawId,
) -> Result<Publication, SamplingError> {
    let d = store
        .sampling_draw(who.scope.clone(), id)
        .await?
        .ok_or(SamplingError::NoDraw(id))?;
    let plan = store
        .sampling_plan(d.plan_id)
        .await?
        .ok_or(SamplingError::NoPlan(d.plan_id))?;
    let ratios: Ratios = serde_json::from_str(&d.ratios).map_err(|e| corrupt("ratios", e))?;
    let mut population: Vec<Entry> =
        serde_json::from_str(&d.population).map_err(|e| corrupt("population", e))?;
    let pool: Vec<PoolMember> = serde_json::from_str(&d.pool).map_err(|e| corrupt("pool", e))?;
    let complete = who.scope == Scope::City;
    let mut population_size = BTreeMap::new();
    if !complete {
        let seen: BTreeSet<&str> = d.entities.iter().map(|e| e.uscc.as_str()).collect();
        population.retain(|e| match &who.scope {
            Scope::Districts(ds) => ds.contains(&e.district),
            _ => seen.contains(e.uscc.as_str()),
        });
    }
    for (c, n) in draw::class_counts(&population) {
        population_size.insert(c.code().to_string(), n);
    }
    let selected = d
        .entities
        .iter()
        .map(|e| {
            Ok(Published {
                uscc: e.uscc.clone(),
                name: e.name.clone(),
                class: e.class,
                district: e.district,
                inspectors: e.inspectors.iter().map(|i| i.username.clone()).collect(),
                excluded: serde_json::from_str(&e.excluded)
                    .map_err(|x| corrupt("exclusions", x))?,
                result: e.result.as_ref().map(|r| PublishedResult {
                    inspection: r.inspection,
                    inspected_at: r.inspected_at,
                    result: r.result,
                }),
            })
        })
        .collect::<Result<Vec<_>, SamplingError>>()?;
    Ok(Publication {
        format: FORMAT.to_string(),
        algorithm: d.algorithm,
        draw: d.id,
        plan: PublishedPlan {
            id: plan.id,
            name: plan.name,
            items: plan.items,
        },
        drawn_at: d.drawn_at,
        seed: d.seed,
        ratios,
        exclude_same_district: plan.exclude_same_district,
        inspectors_per_entity: u32::try_from(plan.inspectors_per_entity).unwrap_or(0),
        population_size,
        population,
        pool,
        selected,
        complete,
    })
}

/// What [`replay`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    /// The selection and every entity's inspectors are what the publication says.
    pub matches: bool,
    /// The selection recomputed, by USCC.
    pub selected: Vec<String>,
    /// Recomputed but not published.
    pub missing: Vec<String>,
    /// Published but not recomputed.
    pub extra: Vec<String>,
    /// Entities whose published inspectors (or same-district exclusions) differ from the
    /// recomputed ones.
    pub inspectors_differ: Vec<String>,
}

/// The fields of a publication [`replay`] reads.
#[derive(Debug, Deserialize)]
struct ReplayInput {
    algorithm: String,
    seed: String,
    ratios: Ratios,
    population: Vec<Entry>,
    #[serde(default)]
    pool: Vec<PoolMember>,
    #[serde(default)]
    exclude_same_district: bool,
    #[serde(default)]
    inspectors_per_entity: u32,
    selected: Vec<Published>,
}

/// Recomputes a publication's draw from its JSON alone (no database): the selection from the
/// seed, the ratios and the population; each selected entity's inspectors from the pool
/// minus its published exclusions, checking that the same-district exclusions are exactly
/// those the pool's districts give (an earlier case's officers are taken as published: the
/// cases are not in the publication). Refused: text that is not a publication, another
/// algorithm, inputs the draw refuses.
pub fn replay(json: &str) -> Result<Replay, SamplingError> {
    let p: ReplayInput =
        serde_json::from_str(json).map_err(|e| SamplingError::BadPublication(e.to_string()))?;
    if p.algorithm != ALGORITHM {
        return Err(draw::DrawError::UnknownAlgorithm(p.algorithm).into());
    }
    let expected = draw::select(&p.population, &p.ratios, &p.seed)?;
    let recomputed: BTreeSet<&str> = expected.iter().map(|e| e.uscc.as_str()).collect();
    let published: BTreeSet<&str> = p.selected.iter().map(|e| e.uscc.as_str()).collect();
    let missing: Vec<String> = recomputed
        .difference(&published)
        .map(|s| s.to_string())
        .collect();
    let extra: Vec<String> = published
        .difference(&recomputed)
        .map(|s| s.to_string())
        .collect();
    let mut inspectors_differ = Vec::new();
    for s in &p.selected {
        let Some(entry) = expected.iter().find(|e| e.uscc == s.uscc) else {
            continue;
        };
        let case_officers = BTreeMap::from([(
            s.uscc.clone(),
            s.excluded
                .iter()
                .filter(|x| x.conflict == Conflict::EarlierCase)
                .map(|x| x.username.clone())
                .collect::<BTreeSet<_>>(),
        )]);
        let rules = AssignRules {
            pool: p.pool.clone(),
            exclude_same_district: p.exclude_same_district,
            case_officers,
            inspectors_per_entity: p.inspectors_per_entity,
        };
        let same = draw::assign(std::slice::from_ref(entry), &rules, &p.seed)
            .ok()
            .and_then(|mut a| a.pop())
            .is_some_and(|a| a.inspectors == s.inspectors && a.excluded == s.excluded);
        if !same {
            inspectors_differ.push(s.uscc.clone());
        }
    }
    Ok(Replay {
        matches: missing.is_empty() && extra.is_empty() && inspectors_differ.is_empty(),
        selected: expected.into_iter().map(|e| e.uscc).collect(),
        missing,
        extra,
        inspectors_differ,
    })
}

/// Records field inspection `inspection` (of the same entity, in `who`'s scope) as the result
/// of the entity with USCC `uscc` in draw `draw` (audited). Whoever works cases may record
/// it ([`Permission::Casework`]).
pub async fn link_result(
    store: &dyn Store,
    who: &Who,
    draw: DrawId,
    uscc: &str,
    inspection: InspectionId,
) -> Result<DrawEntity, SamplingError> {
    who.require(Permission::Casework)?;
    let uscc = uscc.trim().to_uppercase();
    let d = store
        .sampling_draw(who.scope.clone(), draw)
        .await?
        .ok_or(SamplingError::NoDraw(draw))?;
    let entity =
        d.entities
            .iter()
            .find(|e| e.uscc == uscc)
            .ok_or_else(|| SamplingError::NotDrawn {
                draw,
                uscc: uscc.clone(),
            })?;
    match store
        .link_draw_inspection(
            who.scope.clone(),
            draw,
            entity.entity_id,
            inspection,
            &who.actor,
        )
        .await
    {
        Ok(e) => Ok(e),
        Err(StoreError::NotFound(_)) => Err(SamplingError::NoInspection { inspection, uscc }),
        Err(StoreError::Conflict(_)) => Err(SamplingError::AlreadyLinked { draw, uscc }),
        Err(e) => Err(e.into()),
    }
}
