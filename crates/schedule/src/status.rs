//! What the console shows of the scheduler: each job with its schedule, next due time and
//! last run, and the sweep running now with its progress, read from the store (so a sweep run
//! by hand in another process shows too).

use chrono::{DateTime, Utc};
use store::{ScheduleRun, Scope, Store, Sweep, SweepState};

use crate::scheduler::{crons, Job, ScheduleConfig};
use crate::ScheduleError;

/// A job as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub job: Job,
    /// The campaign's name for a campaign job.
    pub name: Option<String>,
    /// Its cron expression.
    pub cron: String,
    /// The next due time after now.
    pub next_due: Option<DateTime<Utc>>,
    /// Its newest run.
    pub last: Option<ScheduleRun>,
}

/// The jobs at `now`.
pub async fn jobs(
    store: &dyn Store,
    config: &ScheduleConfig,
    now: DateTime<Utc>,
) -> Result<Vec<JobStatus>, ScheduleError> {
    let mut out = Vec::new();
    for (job, cron) in crons(store, config).await? {
        let name = match job {
            Job::Campaign(id) => store.campaign(id).await?.map(|c| c.name),
            _ => None,
        };
        out.push(JobStatus {
            job,
            name,
            cron: cron.as_str().to_string(),
            next_due: cron.next_after(now, config.offset),
            last: store.last_run(&job.key()).await?,
        });
    }
    Ok(out)
}

/// A running sweep and how far it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub sweep: Sweep,
    /// Sites finished (done or unreachable) of `sweep.sites`.
    pub sites_done: i64,
    /// Pages fetched so far (`sweep.pages`).
    pub pages: i64,
    /// For a sweep done by workers: the workers seen on it within [`WORKER_SEEN_WITHIN`].
    pub workers: Vec<store::WorkerSeen>,
}

/// How recently a worker must have been seen to be listed as working (a worker notes itself
/// at every lease, at least every few seconds while it waits for work).
pub const WORKER_SEEN_WITHIN: chrono::Duration = chrono::Duration::minutes(5);

/// The newest sweep still running (of any kind), with its progress.
pub async fn progress(store: &dyn Store) -> Result<Option<Progress>, ScheduleError> {
    let sweeps = store.list_sweeps(20).await?;
    let Some(sweep) = sweeps.into_iter().find(|s| s.state == SweepState::Running) else {
        return Ok(None);
    };
    // The scheduler reads for the whole bureau; the console shows counts only.
    let pending = store.pending_sites(Scope::City, sweep.id).await?.len() as i64;
    let workers = if sweep.by_workers {
        store
            .workers(Utc::now() - WORKER_SEEN_WITHIN)
            .await?
            .into_iter()
            .filter(|w| w.sweep == Some(sweep.id))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Some(Progress {
        workers,
        sites_done: (sweep.sites - pending).max(0),
        pages: sweep.pages,
        sweep,
    }))
}
