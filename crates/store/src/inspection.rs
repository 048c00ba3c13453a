//! Field inspections (现场检查): an inspector's on-site check of an entity, optionally for a case,
//! by one or more inspectors, with photos and scans attached. The rows only: an attachment's
//! bytes live in the data directory under their SHA-256 (`casework::inspection` writes and reads
//! them), never in the database.
//!
//! An inspection belongs to its district (`district`): the case's when it was made for a case,
//! else the entity's, fixed when it is recorded. A district scope sees the inspections of its
//! districts; an evaluator's scope those of its entities.

use chrono::{DateTime, Utc};
use domain::{
    AttachmentId, CaseId, DistrictCode, EntityId, InspectionId, InspectionResult, UserId,
};
use serde::{Deserialize, Serialize};

/// An inspection to record, with its officers and the attachments whose bytes are already
/// stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInspection {
    pub entity_id: EntityId,
    /// The case it was made for (a case of the same entity).
    pub case_id: Option<CaseId>,
    /// When the check took place (UTC).
    pub inspected_at: DateTime<Utc>,
    /// Where (an address, as the inspector wrote it).
    pub place: String,
    pub result: InspectionResult,
    pub notes: String,
    /// Who inspected: at least one (the recorder need not be among them).
    pub officers: Vec<UserId>,
    pub attachments: Vec<NewAttachment>,
    /// Who recorded it.
    pub created_by: UserId,
}

/// An attachment whose bytes are stored under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAttachment {
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: i64,
    /// The media type the bytes showed (never the one declared).
    pub media_type: String,
    /// The name the file was given, as given (shown, never used as a path).
    pub file_name: String,
}

/// A stored attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: AttachmentId,
    pub inspection_id: InspectionId,
    #[serde(flatten)]
    pub file: NewAttachment,
    pub stored_at: DateTime<Utc>,
    pub stored_by: UserId,
    pub stored_by_name: String,
}

/// An inspector named on an inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

/// A recorded inspection, with its entity's name, its officers and how many files it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    pub id: InspectionId,
    pub entity_id: EntityId,
    pub entity_name: String,
    pub uscc: String,
    pub case_id: Option<CaseId>,
    pub district: DistrictCode,
    pub inspected_at: DateTime<Utc>,
    pub place: String,
    pub result: InspectionResult,
    pub notes: String,
    /// By username.
    pub officers: Vec<Officer>,
    pub attachments: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: UserId,
    pub created_by_name: String,
}

/// Which inspections to list (newest check first); every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectionFilter {
    pub entity: Option<EntityId>,
    pub case: Option<CaseId>,
    pub district: Option<DistrictCode>,
    pub result: Option<InspectionResult>,
    /// Checks at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Checks before this instant.
    pub until: Option<DateTime<Utc>>,
    /// The order (`None`: the newest check first).
    pub sort: Option<crate::sort::Sort<crate::sort::InspectionSort>>,
    /// 0 or less: no limit.
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    pub count_up_to: Option<i64>,
}

/// What an inspection needs to know of a case it is made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRef {
    pub id: CaseId,
    /// The bureau's case number.
    pub number: String,
    pub entity_id: Option<EntityId>,
    pub district: DistrictCode,
}
