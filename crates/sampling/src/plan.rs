//! Sampling plans (抽查计划): checked and stored, closed when done. Plans are the city's
//! ([`Permission::Sampling`]: supervisors and administrators, or the command line).

use crate::draw::{Ratio, Ratios, DEFAULT_INSPECTORS_PER_ENTITY};
use crate::{SamplingError, Who, MAX_INSPECTORS_PER_ENTITY, MAX_NAME};
use domain::{CreditClass, Permission, SamplingPlanId};
use std::collections::BTreeMap;
use store::{NewSamplingPlan, PopulationFilter, SamplingPlan, Store};

/// A plan as a person writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInput {
    pub name: String,
    /// Inspection items (检查事项); blank ones are dropped, at least one remains.
    pub items: Vec<String>,
    pub filter: PopulationFilter,
    /// The ratio per class as written (`0.03`, `3%`): every class the filter admits (all four
    /// when it names none) needs one.
    pub ratios: BTreeMap<CreditClass, String>,
    pub exclude_same_district: bool,
    /// `None`: [`DEFAULT_INSPECTORS_PER_ENTITY`].
    pub inspectors_per_entity: Option<i64>,
    /// Usernames (`NAME` or `user:NAME`) of the pool: enabled users whose role inspects.
    pub inspectors: Vec<String>,
}

/// The ratios of a plan as [`Ratios`]; a stored ratio that does not read is `BadRatio`.
pub fn ratios(plan: &SamplingPlan) -> Result<Ratios, SamplingError> {
    let mut out = BTreeMap::new();
    for (c, text) in &plan.ratios {
        let r = Ratio::parse(text).ok_or_else(|| SamplingError::BadRatio {
            class: *c,
            text: text.clone(),
        })?;
        out.insert(*c, r);
    }
    Ok(Ratios(out))
}

/// Checks `input` and stores the plan (audited). See [`SamplingError`] for the refusals, in
/// the order they are checked: permission, name, items, ratios, inspectors per entity, pool.
pub async fn create(
    store: &dyn Store,
    who: &Who,
    input: &PlanInput,
) -> Result<SamplingPlan, SamplingError> {
    who.require(Permission::Sampling)?;
    let name = input.name.trim();
    if name.is_empty() {
        return Err(SamplingError::NameMissing);
    }
    if name.chars().count() > MAX_NAME {
        return Err(SamplingError::NameTooLong);
    }
    let items: Vec<String> = input
        .items
        .iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect();
    if items.is_empty() {
        return Err(SamplingError::NoItems);
    }
    let needed: Vec<CreditClass> = if input.filter.classes.is_empty() {
        CreditClass::ALL.to_vec()
    } else {
        input.filter.classes.clone()
    };
    let mut ratios = BTreeMap::new();
    for (class, text) in &input.ratios {
        // A blank ratio is no ratio (refused below when the class needs one).
        if text.trim().is_empty() {
            continue;
        }
        let r = Ratio::parse(text).ok_or_else(|| SamplingError::BadRatio {
            class: *class,
            text: text.clone(),
        })?;
        ratios.insert(*class, r.to_string());
    }
    for c in &needed {
        if !ratios.contains_key(c) {
            return Err(SamplingError::MissingRatio(*c));
        }
    }
    let per_entity = input
        .inspectors_per_entity
        .unwrap_or(i64::from(DEFAULT_INSPECTORS_PER_ENTITY));
    if !(1..=MAX_INSPECTORS_PER_ENTITY).contains(&per_entity) {
        return Err(SamplingError::BadInspectorsPerEntity(per_entity));
    }
    let mut pool = Vec::new();
    for given in &input.inspectors {
        let username = given.trim();
        let username = username.strip_prefix("user:").unwrap_or(username);
        if username.is_empty() {
            continue;
        }
        let user = store
            .user_by_name(username)
            .await?
            .ok_or_else(|| SamplingError::NoUser(username.to_string()))?;
        if user.disabled {
            return Err(SamplingError::UserDisabled(user.username));
        }
        if !user.role.may(Permission::Casework) {
            return Err(SamplingError::NotAnInspector(user.username));
        }
        if !pool.contains(&user.id) {
            pool.push(user.id);
        }
    }
    if (pool.len() as i64) < per_entity {
        return Err(SamplingError::PoolTooSmall {
            have: pool.len(),
            need: per_entity,
        });
    }
    let mut filter = input.filter.clone();
    filter.districts.sort();
    filter.districts.dedup();
    filter.classes.sort();
    filter.classes.dedup();
    let new = NewSamplingPlan {
        name: name.to_string(),
        items,
        filter,
        ratios: ratios
            .into_iter()
            .filter(|(c, _)| needed.contains(c))
            .collect(),
        exclude_same_district: input.exclude_same_district,
        inspectors_per_entity: per_entity,
        inspectors: pool,
    };
    Ok(store.create_sampling_plan(&new, &who.actor).await?)
}

/// Closes a plan: it draws no more.
pub async fn close(
    store: &dyn Store,
    who: &Who,
    id: SamplingPlanId,
) -> Result<SamplingPlan, SamplingError> {
    who.require(Permission::Sampling)?;
    match store.close_sampling_plan(id, &who.actor).await {
        Ok(p) => Ok(p),
        Err(store::StoreError::NotFound(_)) => Err(SamplingError::NoPlan(id)),
        Err(store::StoreError::Conflict(_)) => Err(SamplingError::PlanClosed(id)),
        Err(e) => Err(e.into()),
    }
}

/// The ratios a new plan starts from: each class's `sampling_ratio` in the credit index system
/// in force (the class's consequence, so a riskier class is sampled more), else the published
/// local scheme ([`Ratios::local_scheme`]) when no index is in force or a ratio does not read.
pub async fn default_ratios(store: &dyn store::Store) -> Ratios {
    let Ok(Some((_, index))) = credit::rescore::index_in_force(store).await else {
        return Ratios::local_scheme();
    };
    let mut out = BTreeMap::new();
    for c in CreditClass::ALL {
        let r = index.classes.get(*c).sampling_ratio;
        match Ratio::parse(&format!("{:.4}", r)) {
            Some(r) => out.insert(*c, r),
            None => return Ratios::local_scheme(),
        };
    }
    Ratios(out)
}
