//! License badges (亮照) as stored: one row per application, which becomes the badge when
//! staff issue it; its id is the badge's serial. The SQL lives in `sql/badges.rs`, the rules
//! (proofs, who may, the rules that suspend) in the `badge` crate, the token in
//! `domain::badge`.
//!
//! A badge belongs to its entity's district and is read in a `Scope` through its entity. Every
//! change of state is one compare-and-set on the state the caller read, written with its audit
//! row (`badge:<serial>`) and, when the badge's validity changes, the entity marked for
//! re-scoring (the credit source `badge.valid`), in one transaction.

use chrono::{DateTime, Utc};
use domain::{
    BadgeCause, BadgeSerial, BadgeState, BadgeVerdict, DistrictCode, EntityId, ProofMethod,
    ProofResult,
};
use serde::{Deserialize, Serialize};

/// An application to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBadge {
    pub entity_id: EntityId,
    /// A site key's host (the caller reduced it).
    pub domain: String,
    /// The applicant's contact (personal data).
    pub contact: String,
    pub method: ProofMethod,
    /// The applicant's tracking code (random).
    pub tracking: String,
    /// The token to publish as proof (random).
    pub proof_token: String,
}

/// An application or badge as stored, with its entity's name, USCC and district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Badge {
    pub serial: BadgeSerial,
    pub entity_id: EntityId,
    pub entity_name: String,
    pub uscc: String,
    pub district: DistrictCode,
    pub domain: String,
    pub contact: String,
    pub method: ProofMethod,
    pub tracking: String,
    pub proof_token: String,
    pub proof_result: Option<ProofResult>,
    pub proof_detail: Option<String>,
    pub proved_at: Option<DateTime<Utc>>,
    pub state: BadgeState,
    pub applied_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    /// The signed token, once issued.
    pub token: Option<String>,
    pub cause: Option<BadgeCause>,
    pub cause_note: Option<String>,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub check_verdict: Option<BadgeVerdict>,
    pub check_url: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// A step of a badge's life as the store writes it (the caller checked it with
/// `BadgeState::after`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BadgeChange {
    /// Proven → issued with the signed token and its time.
    Issue {
        token: String,
        issued_at: DateTime<Utc>,
    },
    /// Applied or proven → refused.
    Refuse { note: String },
    /// Issued → suspended.
    Suspend { cause: BadgeCause, note: String },
    /// Issued or suspended → revoked.
    Revoke { cause: BadgeCause, note: String },
    /// Suspended → issued again (the cause cleared).
    Reinstate { note: String },
}

impl BadgeChange {
    /// The state this change leads to.
    pub fn to_state(&self) -> BadgeState {
        match self {
            BadgeChange::Issue { .. } | BadgeChange::Reinstate { .. } => BadgeState::Issued,
            BadgeChange::Refuse { .. } => BadgeState::Refused,
            BadgeChange::Suspend { .. } => BadgeState::Suspended,
            BadgeChange::Revoke { .. } => BadgeState::Revoked,
        }
    }
}

/// Filter for the badge list. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeFilter {
    pub state: Option<BadgeState>,
    pub district: Option<DistrictCode>,
    pub entity_id: Option<EntityId>,
    /// Bound to this domain (a site key's host).
    pub domain: Option<String>,
    /// The order (`None`: the list's own).
    pub sort: Option<crate::sort::Sort<crate::sort::BadgeSort>>,
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_up_to: Option<i64>,
}

/// A sweep's verdict on one badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeCheck {
    pub serial: BadgeSerial,
    pub verdict: BadgeVerdict,
    /// The page checked.
    pub url: String,
    pub at: DateTime<Utc>,
}
