//! Pure domain types of wangjian: validated identifiers (USCC, ICP, food licenses, district
//! codes, telephone numbers), the violation taxonomy, site kinds, site addresses (which site owns
//! a URL), a city's locality indicators, look-alike hosts and newtype ids.
//!
//! This crate does no IO and has no async: everything here is a function of its inputs, so it
//! cannot fail by IO and is tested with plain data. Identifiers are parsed into validated types
//! at the boundary (`Uscc::parse`) and passed inward as those types, never as raw strings.

pub mod address;
pub mod badge;
pub mod casework;
pub mod complaint;
pub mod context;
pub mod credit;
pub mod district;
pub mod entity;
pub mod food;
pub mod icp;
pub mod ids;
pub mod inspection;
pub mod locality;
pub mod lookalike;
pub mod people;
pub mod phone;
pub mod site;
pub mod taxonomy;
pub mod text;
pub mod time;
pub mod uscc;

pub use address::{SiteAddress, SiteAddressError, SiteAddressProblem};
pub use badge::{
    BadgeAction, BadgeCause, BadgeSerial, BadgeState, BadgeTransitionError, BadgeVerdict,
    ProofMethod, ProofResult, TokenProblem,
};
pub use casework::{
    category_group, CaseStage, ClueSource, ClueState, ListingCause, NotVerifiedReason, OutcomeKind,
    TransitionError,
};
pub use complaint::{
    ComplaintChannel, ComplaintKind, ComplaintOutcome, ComplaintState, ComplaintStep,
    ComplaintTransitionError, TrackingNumber, TrackingNumberError,
};
pub use context::{Genre, Suppression, SuppressionReason, UnknownContextCode};
pub use credit::{CreditClass, ListKind, RemovalReason, RepairState};
pub use district::{District, DistrictCode, DistrictError, DistrictTable};
pub use entity::{parse_date, EntityStatus, LegalForm, UnknownCode};
pub use food::{FoodLicense, FoodLicenseError};
pub use icp::{Icp, IcpError, IcpKind};
pub use ids::ComplaintId;
pub use ids::NoticeId;
pub use ids::{AttachmentId, InspectionId};
pub use ids::{
    CampaignId, CaptureRequestId, CaseId, ClueId, EntityId, FetchId, FindingId, OutcomeId, SiteId,
    SweepId, UserId,
};
pub use ids::{CommitmentId, DrawId, EvaluationId, ListingId, RepairId, SamplingPlanId};
pub use inspection::{AttachmentKind, InspectionResult};
pub use locality::{City, Indicator, Shown};
pub use lookalike::{How, Imitation, LookalikeIndex};
pub use people::{Permission, Role, Triage};
pub use site::{SiteKind, SiteKindError};
pub use taxonomy::{Category, CategoryError, Severity};
pub use uscc::{Uscc, UsccError};
