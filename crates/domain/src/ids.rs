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
);
