//! Scheduling and campaigns: the scheduler `serve` runs beside the console (`scheduler`: the
//! nightly whole-city sweep, each active campaign's sweeps on its own cron, the rectification
//! re-checks; resumable, one sweep at a time per data directory), the cron expressions it reads
//! (`cron`), the data directory's sweep lock (`lock`), and special campaigns (`campaign`:
//! targets resolved to sites, packs, figures per district).
//!
//! The console and the command line call these functions; neither decides a campaign, a due
//! time or a lock itself. Must not: know HTTP or SQL.

mod after;
pub mod campaign;
pub mod credit;
pub mod cron;
pub mod lock;
pub mod scheduler;
pub mod status;

pub use campaign::{CampaignError, CampaignInput, FigureTable, TargetKind, TargetText};
pub use cron::{Cron, CronError, CronField};
pub use lock::{LockError, SweepLock};
pub use scheduler::{
    sweep_by_hand, Job, Running, ScheduleConfig, Scheduler, SweepSettings, TickReport,
};

/// What a scheduled job, or a sweep run by hand, can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Sweep(#[from] sweep::SweepError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    #[error(transparent)]
    Casework(#[from] casework::CaseworkError),
    #[error(transparent)]
    Credit(#[from] ::credit::CreditError),
    #[error(transparent)]
    Badge(#[from] ::badge::BadgeError),
    #[error(transparent)]
    CreditLists(#[from] ::credit::lists::ListError),
    /// The credit index file changed but is invalid: the version in force stays (and
    /// everyone was re-scored with it).
    #[error("{path} is refused, the version in force stays: {}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    CreditIndexRefused {
        path: String,
        problems: Vec<::credit::IndexProblem>,
    },
}

/// An error with its sources, `: `-separated (for the run's record and the log).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
