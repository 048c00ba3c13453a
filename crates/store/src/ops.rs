//! What an operator's probes and metrics read of the database (`web`'s `/readyz` and
//! `/metrics`): whether it answers and holds this build's schema, and a few city-wide counts
//! that cost one grouped query each (findings by category and severity, the queues waiting for
//! a person, a sweep's failed fetches by their stored reason). No personal data, no row of a
//! person's scope: counts only, of the whole city, for machines.

use domain::{Category, Severity};
use serde::{Deserialize, Serialize};

/// The migrations the database has applied against those this build knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaState {
    /// The newest migration applied successfully (0: none).
    pub applied: i64,
    /// The newest migration this build knows.
    pub known: i64,
}

impl SchemaState {
    /// Whether the database holds exactly this build's schema (neither behind nor written by a
    /// newer build).
    pub fn current(&self) -> bool {
        self.applied == self.known
    }
}

/// Findings of one category and severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingTally {
    pub category: Category,
    pub severity: Severity,
    pub count: i64,
}

/// A queue of records waiting for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Queue {
    /// Clues made and not yet dispatched (`new`).
    CluesNew,
    /// Complaints and reports received, not yet accepted or refused.
    ComplaintsReceived,
    /// Evidence capture requests waiting for a second person.
    CapturesPending,
    /// Discovered sites waiting for a decision (`new`).
    DiscoveredNew,
    /// Badge applications not yet issued or refused (`applied`, `proven`).
    BadgesWaiting,
}

impl Queue {
    pub const ALL: [Queue; 5] = [
        Queue::CluesNew,
        Queue::ComplaintsReceived,
        Queue::CapturesPending,
        Queue::DiscoveredNew,
        Queue::BadgesWaiting,
    ];

    /// The queue's stable code (a metric's label).
    pub fn code(self) -> &'static str {
        match self {
            Queue::CluesNew => "clues_new",
            Queue::ComplaintsReceived => "complaints_received",
            Queue::CapturesPending => "captures_pending",
            Queue::DiscoveredNew => "discovered_new",
            Queue::BadgesWaiting => "badges_waiting",
        }
    }
}

/// How many records wait in one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDepth {
    pub queue: Queue,
    pub count: i64,
}

/// Failed fetches of a sweep that share one stored reason (the fetch row's `error` text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorTally {
    pub error: String,
    pub count: i64,
}
