//! Complaints (投诉) and reports (举报) as stored: the submission with its tracking number, the
//! business it names and what it was matched to, the complainant's contact (personal data),
//! the deadlines, the links to an entity, a clue and a case, the outcome published to the
//! complainant, and the history. The rows only: `casework::complaints` checks and decides,
//! [`crate::ComplaintStore`] writes each change with its audit row and history row.
//!
//! A complaint belongs to the district it was assigned or dispatched to, else to its entity's
//! (`COALESCE(complaints.district, entity's district)`); with neither, only the city sees it.
//! An evaluator's scope sees no complaint: the complainant's personal data is for bureau
//! staff only. The public reads a complaint by its tracking number alone, as a
//! [`PublicComplaint`], which holds no personal data and no staff name.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    CaseId, ClueId, ComplaintChannel, ComplaintId, ComplaintKind, ComplaintOutcome, ComplaintState,
    DistrictCode, EntityId, SiteId, TrackingNumber,
};
use serde::Serialize;

/// A complaint to store, checked and matched by `casework::complaints::file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComplaint {
    pub tracking_number: TrackingNumber,
    pub kind: ComplaintKind,
    pub channel: ComplaintChannel,
    pub subject: Subject,
    pub entity_id: Option<EntityId>,
    pub site_id: Option<SiteId>,
    /// The district assigned at intake (the entity's, else the address's); none: the city's.
    pub district: Option<DistrictCode>,
    pub body: String,
    pub complainant: Complainant,
    /// SHA-256 (hex) of the normalized contact, subject and text.
    pub dedup_hash: String,
    pub accept_by: NaiveDate,
    /// A report's verification limit.
    pub verify_by: Option<NaiveDate>,
}

/// The business a complaint names, as the complainant gave it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Subject {
    pub name: String,
    pub uscc: Option<String>,
    pub url: Option<String>,
    pub address: Option<String>,
}

/// Who complains (personal data: staff in scope only).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Complainant {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// What an intake did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    Filed(Box<Complaint>),
    /// The same contact, subject and text came in within the window: nothing was stored.
    Duplicate,
}

/// A stored complaint, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Complaint {
    pub id: ComplaintId,
    pub tracking_number: TrackingNumber,
    pub kind: ComplaintKind,
    pub state: ComplaintState,
    pub channel: ComplaintChannel,
    pub received_at: DateTime<Utc>,
    pub subject: Subject,
    pub entity_id: Option<EntityId>,
    pub entity_name: Option<String>,
    pub site_id: Option<SiteId>,
    /// The district it belongs to (assigned, else its entity's).
    pub district: Option<DistrictCode>,
    pub body: String,
    pub complainant: Complainant,
    pub accept_by: NaiveDate,
    pub mediation_ends_by: Option<NaiveDate>,
    pub verify_by: Option<NaiveDate>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub clue_id: Option<ClueId>,
    pub case_id: Option<CaseId>,
    pub outcome: Option<ComplaintOutcome>,
    pub outcome_text: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub upheld: bool,
    pub closed_at: Option<DateTime<Utc>>,
}

impl Complaint {
    /// Whether a deadline passed before `today` with its step not taken: acceptance, the end
    /// of mediation, a report's verification. The list's `overdue` filter is the same rule.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        deadline_passed(
            self.kind,
            self.state,
            self.accept_by,
            self.mediation_ends_by,
            self.verify_by,
            today,
        )
    }
}

/// The rule of [`Complaint::overdue`], also for [`PublicComplaint`].
pub fn deadline_passed(
    kind: ComplaintKind,
    state: ComplaintState,
    accept_by: NaiveDate,
    mediation_ends_by: Option<NaiveDate>,
    verify_by: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    (state == ComplaintState::Received && accept_by < today)
        || (state == ComplaintState::Mediating && mediation_ends_by.is_some_and(|d| d < today))
        || (kind.has_report()
            && state.awaits_verification()
            && verify_by.is_some_and(|d| d < today))
}

/// What the public status page shows: no personal data, no staff name, no note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicComplaint {
    pub tracking_number: TrackingNumber,
    pub kind: ComplaintKind,
    pub state: ComplaintState,
    pub received_at: DateTime<Utc>,
    pub accept_by: NaiveDate,
    pub mediation_ends_by: Option<NaiveDate>,
    pub verify_by: Option<NaiveDate>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<ComplaintOutcome>,
    pub outcome_text: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// Each step's date and the state it left (oldest first).
    pub steps: Vec<(DateTime<Utc>, ComplaintState)>,
}

/// One step of a complaint's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplaintEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub state: ComplaintState,
    pub note: Option<String>,
}

/// A step on a complaint, checked by `casework` through `ComplaintState::after`: written as a
/// compare-and-set on `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintChange {
    pub from: ComplaintState,
    pub to: ComplaintState,
    /// The step's code (`ComplaintStep::code`).
    pub action: &'static str,
    pub note: Option<String>,
    /// Set when mediation starts.
    pub mediation_ends_by: Option<NaiveDate>,
    /// Published to the complainant now.
    pub outcome: Option<(ComplaintOutcome, String)>,
    pub upheld: Option<bool>,
}

/// Links set on a complaint (the ones given; the others stay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ComplaintLinks {
    pub entity: Option<EntityId>,
    pub clue: Option<ClueId>,
    pub case: Option<CaseId>,
}

/// Which complaints a list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComplaintFilter {
    pub state: Option<ComplaintState>,
    pub kind: Option<ComplaintKind>,
    pub district: Option<DistrictCode>,
    pub entity: Option<EntityId>,
    /// Only overdue ones (true) or only not overdue (false), as of `today`.
    pub overdue: Option<bool>,
    pub today: Option<NaiveDate>,
    /// The order (`None`: the list's own).
    pub sort: Option<crate::sort::Sort<crate::sort::ComplaintSort>>,
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    pub count_up_to: Option<i64>,
}

/// The dashboard's complaint figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ComplaintCounts {
    pub received: i64,
    pub accepted: i64,
    pub overdue: i64,
    pub upheld: i64,
}
