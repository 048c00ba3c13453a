//! The dishonesty lists (经营异常名录, 严重违法失信名单), credit-repair applications,
//! third-party evaluations and honest-operation commitments as stored: plain data; the SQL
//! lives in `sql/credit_lists.rs`, the rules (who may, when a repair may be applied for, how
//! long a record is public) in the `credit` crate.
//!
//! Every row hangs off an entity and is read in a `Scope` through it (a district's staff by
//! the entity's district, an evaluator by their assigned entities). `credit_listings` is the
//! one truth of who is listed: a case's `abnormal_listing` outcome writes its row there in
//! the same transaction, and taking the outcome's listing off closes it.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    CommitmentId, DistrictCode, EntityId, EvaluationId, ListKind, ListingId, OutcomeId,
    RemovalReason, RepairId, RepairState, UserId,
};
use serde::{Deserialize, Serialize};

/// An entity to put on a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingInput {
    pub entity_id: EntityId,
    pub list: ListKind,
    /// For [`ListKind::Abnormal`] a `domain::ListingCause` code; for a serious violation the
    /// decision's words.
    pub cause: String,
    /// The listing decision's number (列入决定书文号), if any.
    pub decision_no: Option<String>,
    pub listed_on: NaiveDate,
}

/// A listing as stored, with its entity's name, USCC and district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub id: ListingId,
    pub entity_id: EntityId,
    pub entity_name: String,
    pub uscc: String,
    pub district: DistrictCode,
    pub list: ListKind,
    pub cause: String,
    pub decision_no: Option<String>,
    /// The case outcome that made it (an `abnormal_listing` outcome), if any.
    pub outcome_id: Option<OutcomeId>,
    pub listed_on: NaiveDate,
    pub listed_at: DateTime<Utc>,
    pub listed_by: String,
    pub removed_on: Option<NaiveDate>,
    pub removed_reason: Option<RemovalReason>,
    pub removed_note: Option<String>,
    pub removed_by: Option<String>,
}

impl Listing {
    /// Still on the list.
    pub fn is_open(&self) -> bool {
        self.removed_on.is_none()
    }
}

/// How a listing ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    pub reason: RemovalReason,
    pub removed_on: NaiveDate,
    pub note: Option<String>,
}

/// Filter for the listings. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingFilter {
    pub list: Option<ListKind>,
    /// `Some(true)`: still listed; `Some(false)`: removed.
    pub open: Option<bool>,
    pub district: Option<DistrictCode>,
    pub entity_id: Option<EntityId>,
    /// Listed on or before this date.
    pub listed_on_or_before: Option<NaiveDate>,
    /// The order (`None`: the list's own).
    pub sort: Option<crate::sort::Sort<crate::sort::ListingSort>>,
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_up_to: Option<i64>,
}

/// A credit-repair application to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRepair {
    pub listing_id: ListingId,
    pub applicant: String,
    pub statement: String,
    pub applied_on: NaiveDate,
}

/// A credit-repair application as stored, with its listing's entity and list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    pub id: RepairId,
    pub listing_id: ListingId,
    pub entity_id: EntityId,
    pub entity_name: String,
    pub list: ListKind,
    pub applied_on: NaiveDate,
    pub applicant: String,
    pub statement: String,
    pub state: RepairState,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    /// Why it was refused (or the note of a grant).
    pub reason: Option<String>,
}

/// The bureau's decision on a pending application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum RepairDecision {
    /// Granted: the listing is removed on `removed_on` with [`RemovalReason::Repaired`].
    Approve {
        removed_on: NaiveDate,
        note: Option<String>,
    },
    /// Refused, with why.
    Refuse { reason: String },
}

/// Filter for repair applications.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairFilter {
    pub listing_id: Option<ListingId>,
    pub entity_id: Option<EntityId>,
    pub state: Option<RepairState>,
    pub limit: i64,
    pub offset: i64,
}

/// A third-party evaluation to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvaluation {
    pub entity_id: EntityId,
    /// 0–100.
    pub score: i64,
    pub evaluated_on: NaiveDate,
    pub summary: String,
}

/// An evaluation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub id: EvaluationId,
    pub entity_id: EntityId,
    pub entity_name: String,
    pub evaluator_id: UserId,
    /// The evaluator's username.
    pub evaluator: String,
    pub score: i64,
    pub evaluated_on: NaiveDate,
    pub summary: String,
    pub created_at: DateTime<Utc>,
}

/// An honest-operation commitment to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCommitment {
    pub entity_id: EntityId,
    pub made_on: NaiveDate,
    pub text: String,
}

/// A commitment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    pub id: CommitmentId,
    pub entity_id: EntityId,
    pub entity_name: String,
    pub made_on: NaiveDate,
    pub text: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub broken_on: Option<NaiveDate>,
    pub broken_reason: Option<String>,
}

/// An administrative penalty of a decided case on an entity, as publicity needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyRecord {
    pub outcome_id: OutcomeId,
    pub case_number: String,
    pub decision_no: String,
    pub legal_basis: String,
    pub fine_fen: i64,
    pub confiscation: Option<String>,
    /// The UTC date the case was decided.
    pub decided_on: NaiveDate,
}
