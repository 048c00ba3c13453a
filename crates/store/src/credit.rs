//! Credit as stored (`../shared/spec/credit.md`): the index system's versions, the facts the
//! scoring reads, each entity's current grade and its archive. The SQL lives in
//! `sql/credit.rs`; the index system, the scoring and the rules in the `credit` crate.
//!
//! The facts are read for many entities at once: one grouped query per distinct source the
//! index needs, over a batch of entities (an id range, or the ids marked stale), merged by
//! the caller. Never a query per entity.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    CaseId, CreditClass, DistrictCode, EntityId, FindingId, ListKind, OutcomeId, Severity, SiteKind,
};
use serde::{Deserialize, Serialize};

/// One index system version as loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexVersion {
    pub id: i64,
    pub version: String,
    pub name: String,
    pub sha256: String,
    /// The file's text, whole.
    pub body: String,
    pub loaded_at: DateTime<Utc>,
    pub loaded_by: String,
}

/// A version to load (the caller validated it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIndexVersion {
    pub version: String,
    pub name: String,
    pub sha256: String,
    pub body: String,
}

/// What loading a version did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexLoad {
    /// Stored; it is the version in force now.
    Loaded(IndexVersion),
    /// The same version with the same text is already in force: nothing written.
    AlreadyInForce(IndexVersion),
}

/// A record-based fact the scoring asks for (the register's own columns always come with
/// [`RegisterFacts`]). "Within days" is on or after the as-of date minus `days`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FactQuery {
    /// Filings joined to the entity with `valid_until` before the as-of date: a count.
    PermitsExpired,
    /// Findings on the entity's sites found within `days`, of at least `min_severity`, in
    /// `categories` (codes or group prefixes; empty: all), not triaged dismissed or false
    /// positive: a count.
    Findings {
        days: i64,
        min_severity: Severity,
        categories: Vec<String>,
    },
    /// Cases of the entity opened within `days`: a count.
    Cases { days: i64 },
    /// Fines (fen) of penalty outcomes of the entity's cases opened within `days`: a sum.
    FinesFen { days: i64 },
    /// Warning outcomes created within `days`: a count.
    Warnings { days: i64 },
    /// Rectification orders re-checked compliant (`true`) or not within `days`: a count.
    Rechecked { days: i64, compliant: bool },
    /// An open listing on this list: 1 when there is one.
    Listed(ListKind),
    /// The latest third-party evaluation within `days`: its score.
    Evaluation { days: i64 },
    /// A commitment on record that is not broken: 1 when there is one.
    CommitmentKept,
    /// Complaints of the entity closed as upheld within `days`: a count.
    ComplaintsUpheld { days: i64 },
    /// An issued license badge (亮照) that is not suspended or revoked: 1 when there is one.
    BadgeValid,
}

/// The register's facts of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterFacts {
    pub entity: EntityId,
    pub established: Option<NaiveDate>,
    pub registered_capital: Option<String>,
    pub legal_form: String,
    pub status: String,
}

/// Which entities to read facts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactSelect {
    /// The next `limit` entities by id after `after` (0: from the start).
    After { after: i64, limit: i64 },
    /// These entities (those missing are skipped).
    Ids(Vec<EntityId>),
}

/// The facts of a batch: the register's row of every entity (by id), and per query (in the
/// order asked) the entities that have a value, sorted by id. An entity absent from a
/// query's list has none (a count of 0, no evaluation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactBatch {
    pub register: Vec<RegisterFacts>,
    pub values: Vec<Vec<(EntityId, f64)>>,
}

/// A grade to write (current score and, when it changed, an archive row).
#[derive(Debug, Clone, PartialEq)]
pub struct NewGrade {
    pub entity: EntityId,
    pub score: f64,
    pub score_class: CreditClass,
    pub class: CreditClass,
    /// Which hard rule set the class, if any.
    pub overridden: Option<ListKind>,
    pub index_version: String,
    /// Every leaf's points (JSON as `credit` writes it).
    pub points: String,
    pub computed_at: DateTime<Utc>,
}

/// What a batch of grades wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GradeWrite {
    /// Current scores written.
    pub scored: u64,
    /// Archive rows appended (score, class or version changed).
    pub archived: u64,
}

/// A stored grade: the current one (`id` none) or an archive row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredGrade {
    pub id: Option<i64>,
    pub entity: EntityId,
    pub score: f64,
    pub score_class: CreditClass,
    pub class: CreditClass,
    #[serde(rename = "override")]
    pub overridden: Option<ListKind>,
    pub index_version: String,
    pub points: String,
    pub computed_at: DateTime<Utc>,
}

/// An entity with its current grade, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredEntity {
    pub entity: EntityId,
    pub uscc: String,
    pub name: String,
    pub district: DistrictCode,
    pub kind: SiteKind,
    pub grade: StoredGrade,
}

/// Filter of the scored list. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditFilter {
    pub class: Option<CreditClass>,
    pub district: Option<DistrictCode>,
    pub limit: i64,
    pub offset: i64,
}

/// One cell of the class distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCount {
    pub district: DistrictCode,
    pub kind: SiteKind,
    pub class: CreditClass,
    pub count: i64,
}

/// The records behind an entity's credit, a few of each, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreditEvents {
    pub findings: Vec<FindingEvent>,
    pub cases: Vec<CaseEvent>,
    pub outcomes: Vec<OutcomeEvent>,
    pub listings: Vec<ListingEvent>,
    pub evaluations: Vec<EvaluationEvent>,
    pub commitments: Vec<CommitmentEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingEvent {
    pub id: FindingId,
    pub found_at: DateTime<Utc>,
    pub category: String,
    pub severity: String,
    pub triage: String,
    pub host: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub id: CaseId,
    pub number: String,
    pub opened_at: DateTime<Utc>,
    pub stage: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeEvent {
    pub id: OutcomeId,
    pub case_id: CaseId,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub fine_fen: Option<i64>,
    pub rechecked_at: Option<DateTime<Utc>>,
    pub compliant: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingEvent {
    pub id: i64,
    pub list: ListKind,
    pub cause: String,
    pub listed_on: NaiveDate,
    pub removed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationEvent {
    pub id: i64,
    pub score: i64,
    pub evaluated_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentEvent {
    pub id: i64,
    pub made_on: NaiveDate,
    pub broken_on: Option<NaiveDate>,
}
