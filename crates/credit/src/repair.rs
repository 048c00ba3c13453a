//! Credit repair (信用修复): an entity applies to have a listing removed; the bureau decides.
//!
//! The rules:
//! - an abnormal-operation listing may be repaired once its cause is corrected: the
//!   application is taken at any time, and staff decide (a grant removes the listing with
//!   reason `repaired`);
//! - a serious-violation listing only after it was public for 6 months from `listed_on`, or
//!   1 year when the entity trades in food or drugs ([`food_or_drugs`]); an earlier
//!   application is refused naming the earliest date ([`earliest_application`]);
//! - one pending application per listing; a decision is taken once (compare-and-set on
//!   `pending`).

use crate::lists::{optional, required, Caller, Field, ListError};
use chrono::{Months, NaiveDate};
use domain::{ListKind, ListingId, Permission, RepairId};
use store::{
    Entity, Listing, NewRepair, Repair, RepairDecision, RepairFilter, Scope, Store, StoreError,
};

/// Months a serious-violation listing stays before repair may be applied for.
pub const SERIOUS_WAIT_MONTHS: u32 = 6;
/// The same for an entity in food or drugs.
pub const SERIOUS_WAIT_MONTHS_FOOD_DRUGS: u32 = 12;

/// The register keys (`extra` columns) that say an entity holds a drug permit: the register
/// has no column of its own for drugs.
pub const DRUG_PERMIT_KEYS: [&str; 4] = [
    "drug_permit",
    "药品经营许可证",
    "互联网药品信息服务资格证书",
    "drug_info_permit",
];

/// Whether the entity is in food or drugs: it holds a food permit (the register's
/// `food_permit`), or a drug permit in one of the register's extra columns
/// ([`DRUG_PERMIT_KEYS`], non-empty). Neither the site kind nor the legal form says it.
pub fn food_or_drugs(e: &Entity) -> bool {
    let held = |v: &str| !v.trim().is_empty();
    e.input.food_permit.as_deref().is_some_and(held)
        || DRUG_PERMIT_KEYS
            .iter()
            .any(|k| e.input.extra.get(*k).is_some_and(|v| held(v)))
}

/// The first day an application for `listing` is taken: any day for an abnormal listing,
/// 6 months (12 in food or drugs) after `listed_on` for a serious violation.
pub fn earliest_application(listing: &Listing, food_or_drugs: bool) -> NaiveDate {
    match listing.list {
        ListKind::Abnormal => listing.listed_on,
        ListKind::SeriousViolation => {
            let months = if food_or_drugs {
                SERIOUS_WAIT_MONTHS_FOOD_DRUGS
            } else {
                SERIOUS_WAIT_MONTHS
            };
            listing
                .listed_on
                .checked_add_months(Months::new(months))
                .unwrap_or(NaiveDate::MAX)
        }
    }
}

/// Records an application to repair an open listing in the caller's scope.
pub async fn apply(
    store: &dyn Store,
    by: &Caller,
    listing: ListingId,
    applicant: &str,
    statement: &str,
    applied_on: NaiveDate,
) -> Result<Repair, ListError> {
    by.require(Permission::Credit)?;
    let applicant = required(Field::Applicant, applicant)?;
    let statement = required(Field::Statement, statement)?;
    let l = crate::lists::show(store, by, listing).await?;
    if !l.is_open() {
        return Err(ListError::AlreadyRemoved(listing));
    }
    let entity = store
        .entity(Scope::City, l.entity_id)
        .await?
        .ok_or(ListError::NoEntity(l.entity_id))?;
    let earliest = earliest_application(&l, food_or_drugs(&entity));
    if applied_on < earliest {
        return Err(ListError::RepairTooEarly { listing, earliest });
    }
    let new = NewRepair {
        listing_id: listing,
        applicant,
        statement,
        applied_on,
    };
    store
        .add_repair(by.scope.clone(), &new, &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ListError::NoListing(listing),
            StoreError::Conflict(_) => ListError::RepairPending(listing),
            other => other.into(),
        })
}

/// Decides a pending application in the caller's scope: a grant removes the listing on
/// `today` (reason `repaired`, `text` as its note); a refusal needs its reason (`text`).
pub async fn decide(
    store: &dyn Store,
    by: &Caller,
    id: RepairId,
    approve: bool,
    text: Option<&str>,
    today: NaiveDate,
) -> Result<Repair, ListError> {
    by.require(Permission::Credit)?;
    let r = show(store, by, id).await?;
    if r.state != domain::RepairState::Pending {
        return Err(ListError::NotPending(id));
    }
    let decision = if approve {
        RepairDecision::Approve {
            removed_on: today,
            note: optional(Field::Note, text)?,
        }
    } else {
        RepairDecision::Refuse {
            reason: required(Field::Reason, text.unwrap_or(""))?,
        }
    };
    store
        .decide_repair(by.scope.clone(), id, &decision, &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ListError::NoRepair(id),
            StoreError::Conflict(_) => ListError::NotPending(id),
            other => other.into(),
        })
}

/// The application, in the caller's scope.
pub async fn show(store: &dyn Store, by: &Caller, id: RepairId) -> Result<Repair, ListError> {
    by.require(Permission::Read)?;
    store
        .repair(by.scope.clone(), id)
        .await?
        .ok_or(ListError::NoRepair(id))
}

/// Applications in the caller's scope, newest first.
pub async fn list(
    store: &dyn Store,
    by: &Caller,
    filter: &RepairFilter,
) -> Result<Vec<Repair>, ListError> {
    by.require(Permission::Read)?;
    Ok(store.repairs(by.scope.clone(), filter).await?)
}
