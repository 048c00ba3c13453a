//! Newtype ids for stored rows, so that ids of different tables cannot be mixed up.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A registered (or discovered) business entity.
    EntityId,
    /// A website, or a shop on a platform, owned by an entity.
    SiteId,
    /// One run of the monitoring centre over a set of sites.
    SweepId,
    /// One HTTP exchange made during a sweep.
    FetchId,
    /// One suspected violation found on a fetched page.
    FindingId,
    /// Findings of one site grouped and handed on for work (线索).
    ClueId,
    /// A person who logs in to the console (bureau staff or an evaluator).
    UserId,
    /// An evidence capture asked for by one inspector, to be confirmed by a second.
    CaptureRequestId,
    /// A case (案件) opened from one or more clues.
    CaseId,
    /// One outcome of a case (a penalty, a rectification order, …).
    OutcomeId,
    /// A special campaign (专项行动): targets, rule packs and a sweep schedule of its own.
    CampaignId,
);

id_type!(
    /// An on-site check of an entity by inspectors (现场检查).
    InspectionId,
    /// A photo or scan attached to a field inspection.
    AttachmentId,
);

id_type!(
    /// An entity's entry on a credit list (经营异常名录 or 严重违法失信名单).
    ListingId,
    /// An entity's application for credit repair (信用修复申请) of one listing.
    RepairId,
    /// A third-party evaluator's evaluation of one entity (第三方评价).
    EvaluationId,
    /// An entity's honest-operation commitment (诚信经营承诺).
    CommitmentId,
    /// A random-inspection plan (双随机抽查计划).
    SamplingPlanId,
    /// One draw of a random-inspection plan, reproducible from its published seed.
    DrawId,
);

id_type!(
    /// A complaint or report (投诉举报) from the public or the hotline.
    ComplaintId,
    /// A notice the bureau published on the public portal (公告).
    NoticeId,
);
