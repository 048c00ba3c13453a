//! Cases (案件) and their outcomes as stored: plain data; the SQL lives in `sql/cases.rs`, the
//! procedure (which step is allowed, deadlines, validation) in the `casework` crate.
//!
//! A case belongs to its district (`Case::district`) and its entity; reads take a `Scope` like
//! every district-owned row.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    CaseId, CaseStage, ClueId, DistrictCode, EntityId, ListingCause, OutcomeId, OutcomeKind,
    SiteId, SweepId, UserId,
};
use serde::{Deserialize, Serialize};

/// A case to open from clues of one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCase {
    pub site_id: SiteId,
    pub entity_id: Option<EntityId>,
    pub district: DistrictCode,
    pub summary: String,
    /// The clues it is opened from; each must still be in the state it was read in
    /// (`verified` or `dispatched`): they become `case_opened`.
    pub clues: Vec<(ClueId, domain::ClueState)>,
    pub officers: Vec<UserId>,
    /// The case number without its serial: the store appends the year's next serial and `号`
    /// (`南市监网案〔2026〕` → `南市监网案〔2026〕7号`).
    pub number_prefix: String,
    /// The decision limit.
    pub decide_by: NaiveDate,
}

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub number: String,
    pub site_id: SiteId,
    /// The site's host and path prefix.
    pub site: String,
    pub entity_id: Option<EntityId>,
    pub entity_name: Option<String>,
    pub district: DistrictCode,
    pub stage: CaseStage,
    pub summary: String,
    pub opened_at: DateTime<Utc>,
    /// The actor's name (`user:NAME`, or the command line's operator).
    pub opened_by: String,
    pub decide_by: NaiveDate,
    pub extended_days: i64,
    pub decided_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// How many times it was reopened.
    pub reopened: i64,
    pub clues: Vec<ClueId>,
    /// The officers, by user id.
    pub officers: Vec<UserId>,
    /// Not decided and past its decision limit, on the store's today.
    pub overdue: bool,
}

/// Filter for the case list. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFilter {
    pub stage: Option<CaseStage>,
    pub district: Option<DistrictCode>,
    pub site_id: Option<SiteId>,
    /// The order (`None`: the list's own).
    pub sort: Option<crate::sort::Sort<crate::sort::CaseSort>>,
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_up_to: Option<i64>,
}

/// What an outcome says, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutcomeDetail {
    /// An administrative penalty.
    Penalty {
        decision_no: String,
        legal_basis: String,
        /// The fine in fen (0: none).
        fine_fen: i64,
        /// What was confiscated, if anything.
        confiscation: Option<String>,
    },
    /// An order to correct by `due_on`, re-checked on `urls` by a new crawl.
    Rectification {
        due_on: NaiveDate,
        urls: Vec<String>,
        /// The re-check's sweep, when done.
        recheck_sweep: Option<SweepId>,
        rechecked_at: Option<DateTime<Utc>>,
        compliant: Option<bool>,
    },
    /// A referral to another department.
    Referral { to: String, reason: String },
    /// An administrative-guidance warning.
    Warning { reason: String },
    /// A listing in the abnormal-operations list, and its removal.
    AbnormalListing {
        cause: ListingCause,
        removed_at: Option<DateTime<Utc>>,
        removed_reason: Option<String>,
    },
    /// The case is dismissed.
    Dismissal { reason: String },
}

impl OutcomeDetail {
    pub fn kind(&self) -> OutcomeKind {
        match self {
            OutcomeDetail::Penalty { .. } => OutcomeKind::Penalty,
            OutcomeDetail::Rectification { .. } => OutcomeKind::Rectification,
            OutcomeDetail::Referral { .. } => OutcomeKind::Referral,
            OutcomeDetail::Warning { .. } => OutcomeKind::Warning,
            OutcomeDetail::AbnormalListing { .. } => OutcomeKind::AbnormalListing,
            OutcomeDetail::Dismissal { .. } => OutcomeKind::Dismissal,
        }
    }
}

/// A stored outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub id: OutcomeId,
    pub case_id: CaseId,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[serde(flatten)]
    pub detail: OutcomeDetail,
}

/// A rectification order whose re-check is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueRectification {
    pub outcome: OutcomeId,
    pub case_id: CaseId,
    pub site_id: SiteId,
    pub due_on: NaiveDate,
    pub urls: Vec<String>,
}

/// A re-check's result to record on a rectification order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recheck {
    pub outcome: OutcomeId,
    pub sweep: SweepId,
    pub compliant: bool,
    /// Not compliant: the case goes back to investigation from this stage (compare-and-set);
    /// none when it is already investigating.
    pub reopen_from: Option<CaseStage>,
}
