//! What the public may see of an entity (信用信息公示), ready for the portal: its register
//! facts, its current class, its administrative penalties within their publicity period and
//! its listings, each with the day its publicity ends.
//!
//! Publicity periods ([`PublicityRules`], from the day the case was decided):
//! - a penalty that is only a warning (no fine, nothing confiscated) or a fine of at most
//!   `minor_fine_fen` with nothing confiscated is public for `minor_months` (3 months);
//! - every other penalty for `major_months` (3 years);
//! - a granted credit repair ends it early: when a listing that carries the penalty's decision
//!   number was removed as `repaired`, the penalty's publicity ends on that day.
//!
//! Listings:
//! - an open listing is public while it lasts (no end date; a serious-violation listing's term
//!   ends after 3 years, see `lists::expire_due`);
//! - a listing removed as `repaired` or `mistaken` stops being public on its removal day;
//! - a listing removed as `corrected` or `expired` stays public, marked removed, until
//!   `major_months` after it was listed (or its removal day, when that is later).
//!
//! A record is shown while `as_of` is before its publicity end.

use crate::lists::ListError;
use chrono::{Months, NaiveDate};
use domain::{CreditClass, DistrictCode, EntityId, LegalForm, ListKind, RemovalReason};
use serde::Serialize;
use store::{Listing, ListingFilter, PenaltyRecord, Scope, Store};

/// The publicity periods. Defaults: a minor fine is at most 10,000 yuan (1,000,000 fen), public
/// for 3 months; everything else for 36 months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PublicityRules {
    pub minor_fine_fen: i64,
    pub minor_months: u32,
    pub major_months: u32,
}

impl Default for PublicityRules {
    fn default() -> Self {
        PublicityRules {
            minor_fine_fen: 1_000_000,
            minor_months: 3,
            major_months: 36,
        }
    }
}

impl PublicityRules {
    /// Whether a penalty is minor: a warning only, or a fine within `minor_fine_fen`, with
    /// nothing confiscated.
    pub fn is_minor(&self, p: &PenaltyRecord) -> bool {
        p.confiscation
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
            && p.fine_fen <= self.minor_fine_fen
    }

    /// The day a penalty stops being public, before any repair.
    pub fn penalty_ends(&self, p: &PenaltyRecord) -> NaiveDate {
        let months = if self.is_minor(p) {
            self.minor_months
        } else {
            self.major_months
        };
        add_months(p.decided_on, months)
    }

    /// The day a listing stops being public (none: while it is open).
    pub fn listing_ends(&self, l: &Listing) -> Option<NaiveDate> {
        let removed_on = l.removed_on?;
        Some(match l.removed_reason {
            Some(RemovalReason::Repaired) | Some(RemovalReason::Mistaken) => removed_on,
            _ => add_months(l.listed_on, self.major_months).max(removed_on),
        })
    }
}

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The public view of one entity on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicView {
    pub as_of: NaiveDate,
    pub entity: PublicEntity,
    /// The current class, when the entity was scored.
    pub class: Option<CreditClass>,
    pub penalties: Vec<PublicPenalty>,
    pub listings: Vec<PublicListing>,
}

/// The register's public facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicEntity {
    pub id: EntityId,
    pub name: String,
    pub uscc: String,
    pub address: Option<String>,
    pub legal_form: LegalForm,
    pub district: DistrictCode,
}

/// A penalty within its publicity period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicPenalty {
    pub decision_no: String,
    pub legal_basis: String,
    pub fine_fen: i64,
    pub confiscation: Option<String>,
    pub decided_on: NaiveDate,
    /// Minor (3 months) or not (3 years).
    pub minor: bool,
    pub publicity_ends: NaiveDate,
    /// Ended early by a granted repair.
    pub repaired: bool,
}

/// A listing within its publicity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicListing {
    pub list: ListKind,
    pub cause: String,
    pub decision_no: Option<String>,
    pub listed_on: NaiveDate,
    pub removed_on: Option<NaiveDate>,
    pub removed_reason: Option<RemovalReason>,
    /// None while it is open.
    pub publicity_ends: Option<NaiveDate>,
}

/// What the public may see of `entity` on `as_of` (`NoEntity` when there is none). The view
/// is the bureau's public record: read city-wide.
pub async fn public_view(
    store: &dyn Store,
    entity: EntityId,
    as_of: NaiveDate,
    rules: &PublicityRules,
) -> Result<PublicView, ListError> {
    let e = store
        .entity(Scope::City, entity)
        .await?
        .ok_or(ListError::NoEntity(entity))?;
    let class = store
        .credit_grade(Scope::City, entity)
        .await?
        .map(|c| c.class);
    let all = store
        .credit_listings(
            Scope::City,
            &ListingFilter {
                entity_id: Some(entity),
                ..Default::default()
            },
        )
        .await?;
    let mut penalties = Vec::new();
    for p in store.entity_penalties(Scope::City, entity).await? {
        let mut ends = rules.penalty_ends(&p);
        let repaired_on = all
            .iter()
            .filter(|l| {
                l.removed_reason == Some(RemovalReason::Repaired)
                    && !p.decision_no.is_empty()
                    && l.decision_no.as_deref() == Some(p.decision_no.as_str())
            })
            .filter_map(|l| l.removed_on)
            .min();
        let repaired = repaired_on.is_some_and(|d| d < ends);
        if let Some(d) = repaired_on {
            ends = ends.min(d);
        }
        if p.decided_on <= as_of && as_of < ends {
            penalties.push(PublicPenalty {
                minor: rules.is_minor(&p),
                decision_no: p.decision_no,
                legal_basis: p.legal_basis,
                fine_fen: p.fine_fen,
                confiscation: p.confiscation,
                decided_on: p.decided_on,
                publicity_ends: ends,
                repaired,
            });
        }
    }
    let listings = all
        .iter()
        .filter(|l| l.listed_on <= as_of)
        .filter_map(|l| {
            // A removal after `as_of` is not known on that day: the listing was open then.
            let removed = l.removed_on.is_some_and(|d| d <= as_of);
            let ends = if removed { rules.listing_ends(l) } else { None };
            if ends.is_some_and(|d| as_of >= d) {
                return None;
            }
            Some(PublicListing {
                list: l.list,
                cause: l.cause.clone(),
                decision_no: l.decision_no.clone(),
                listed_on: l.listed_on,
                removed_on: l.removed_on.filter(|_| removed),
                removed_reason: l.removed_reason.filter(|_| removed),
                publicity_ends: ends,
            })
        })
        .collect();
    Ok(PublicView {
        as_of,
        entity: PublicEntity {
            id: e.id,
            name: e.input.name,
            uscc: e.input.uscc,
            address: e.input.address,
            legal_form: e.input.legal_form,
            district: e.input.district,
        },
        class,
        penalties,
        listings,
    })
}
