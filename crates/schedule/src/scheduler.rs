//! The scheduler that `serve` runs beside the console: the nightly whole-city sweep, every
//! active campaign's sweeps on its own cron, and the rectification re-checks, one sweep at a
//! time per data directory ([`crate::lock`]).
//!
//! Every run is recorded (`schedule_runs`: job, due time, start, end, sweep), so:
//! - a due time is run at most once — [`store::ScheduleStore::begin_run`] refuses a second row
//!   for the same job and due time, so a restart, or two schedulers on one database, never run
//!   it twice;
//! - after a restart, what the last process left is finished first: runs started and not
//!   finished are continued (their sweep resumed from its saved frontiers, with its campaign's
//!   packs), and then any other unfinished sweep (one started by hand and cut off);
//! - a due time missed by more than [`Scheduler::catch_up`] (the machine was off) is skipped:
//!   the job waits for its next due time rather than sweeping at an unexpected hour.
//!
//! After every sweep the findings are grouped into clues (`casework::group_sweep`, see
//! [`crate::after`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, FixedOffset, Utc};
use detect::Detector;
use domain::{CampaignId, SweepId};
use store::{Campaign, CampaignState, ScheduleRun, Store, Sweep};
use sweep::{SweepConfig, SweepPlan};

use crate::campaign::{self, period};
use crate::cron::Cron;
use crate::lock::SweepLock;
use crate::ScheduleError;

/// A scheduled job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    /// The whole-city sweep.
    City,
    /// A campaign's sweep.
    Campaign(CampaignId),
    /// The rectification re-checks due.
    Rechecks,
    /// Credit: reload the index file when it changed, re-score every entity.
    Credit,
}

impl Job {
    /// The job's key in `schedule_runs`.
    pub fn key(self) -> String {
        match self {
            Job::City => "city".to_string(),
            Job::Campaign(id) => format!("campaign:{id}"),
            Job::Rechecks => "recheck".to_string(),
            Job::Credit => "credit".to_string(),
        }
    }

    pub fn parse(key: &str) -> Option<Job> {
        match key {
            "city" => Some(Job::City),
            "recheck" => Some(Job::Rechecks),
            "credit" => Some(Job::Credit),
            _ => key
                .strip_prefix("campaign:")
                .and_then(|id| id.parse().ok())
                .map(|id| Job::Campaign(CampaignId(id))),
        }
    }
}

/// When the jobs run (the `[schedule]` table of `wangjian.toml`).
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// The whole-city sweep; `None`: off.
    pub city_sweep: Option<Cron>,
    /// The rectification re-checks; `None`: off.
    pub rechecks: Option<Cron>,
    /// The nightly credit run (reload the index file if changed, re-score all); `None`: off.
    pub credit: Option<Cron>,
    /// The bureau's time zone (cron expressions and campaign periods are read in it).
    pub offset: FixedOffset,
    /// Casework's time limits (clues made after each sweep get their deadlines from them).
    pub limits: casework::Limits,
    /// The city sweep is done by `wangjian worker`s: the scheduler creates it and waits for
    /// them to end it (`sweep::worker`), then groups its findings.
    pub city_by_workers: bool,
}

/// How often the scheduler looks whether the workers ended their sweep.
const WORKERS_POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// What the scheduler needs to sweep.
#[derive(Debug, Clone)]
pub struct SweepSettings {
    /// How sweeps fetch and where their evidence and log go.
    pub sweep: SweepConfig,
    /// The data directory (its sweep lock).
    pub data_dir: PathBuf,
}

/// The job running now, for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub job: Job,
    pub due_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub sweep: Option<SweepId>,
}

/// The scheduler. Cheap to clone; clones share the running job.
#[derive(Clone)]
pub struct Scheduler {
    pub store: Arc<dyn Store>,
    pub config: ScheduleConfig,
    pub settings: SweepSettings,
    /// How long after its due time a run is still started (after a stop or a long sweep).
    pub catch_up: Duration,
    /// Who the scheduler's writes name in the audit log.
    pub actor: store::Actor,
    running: Arc<Mutex<Option<Running>>>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Runs finished in this tick (continued ones first), each with its sweeps.
    pub runs: Vec<(String, DateTime<Utc>, Vec<SweepId>)>,
    /// Unfinished sweeps continued that no run had recorded (a sweep by hand, cut off).
    pub continued: Vec<SweepId>,
    /// Entities re-scored because their records changed (`credit_stale`).
    pub rescored: u64,
}

/// The default catch-up window.
pub const DEFAULT_CATCH_UP_HOURS: i64 = 1;

impl Scheduler {
    pub fn new(store: Arc<dyn Store>, config: ScheduleConfig, settings: SweepSettings) -> Self {
        Scheduler {
            store,
            config,
            settings,
            catch_up: Duration::hours(DEFAULT_CATCH_UP_HOURS),
            actor: store::Actor::system("scheduler"),
            running: Arc::new(Mutex::new(None)),
        }
    }

    /// The job running now, if any.
    pub fn running(&self) -> Option<Running> {
        self.running.lock().expect("not poisoned").clone()
    }

    fn set_running(&self, r: Option<Running>) {
        *self.running.lock().expect("not poisoned") = r;
    }

    /// Runs until `shutdown` completes: a tick every `every` (errors are logged, and the next
    /// tick tries again).
    pub async fn run_until(
        self,
        every: std::time::Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                r = self.tick(Utc::now()) => match r {
                    Ok(report) if report != TickReport::default() => {
                        tracing::info!(?report, "scheduled runs done");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %crate::error_chain(&e), "scheduled run failed"),
                },
                () = &mut shutdown => return,
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = &mut shutdown => return,
            }
        }
    }

    /// One round at `now`: first what a stop cut off (unfinished runs, then unfinished
    /// sweeps), then every job whose latest due time (within the catch-up window) has no run
    /// yet.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, ScheduleError> {
        let mut report = TickReport::default();
        for run in self.store.unfinished_runs().await? {
            let sweeps = self.continue_run(&run).await?;
            report.runs.push((run.job.clone(), run.due_at, sweeps));
        }
        while let Some(sweep) = self.store.unfinished_sweep().await? {
            let lock = self.lock("continue").await?;
            let id = sweep.id;
            if sweep.by_workers {
                self.await_workers(id).await?;
            } else {
                self.run_sweep(sweep, true, &lock).await?;
            }
            report.continued.push(id);
        }
        for (job, due) in self.due(now).await? {
            let Some(run) = self.store.begin_run(&job.key(), due).await? else {
                continue;
            };
            let sweeps = self.execute(job, &run).await?;
            report.runs.push((run.job.clone(), run.due_at, sweeps));
        }
        // Entities whose records changed since they were scored, every tick.
        if self.store.current_credit_index().await?.is_some() {
            let today = now.with_timezone(&self.config.offset).date_naive();
            report.rescored = crate::credit::rescore_stale(self.store.as_ref(), today)
                .await?
                .entities;
        }
        Ok(report)
    }

    /// The jobs and their latest due time at `now` (within the catch-up window).
    async fn due(&self, now: DateTime<Utc>) -> Result<Vec<(Job, DateTime<Utc>)>, ScheduleError> {
        let mut out = Vec::new();
        for (job, cron) in self.crons().await? {
            if let Some(due) = cron.last_at_or_before(now, self.config.offset, self.catch_up) {
                if let Job::Campaign(id) = job {
                    // A campaign sweeps within its period only.
                    let Some(c) = self.store.campaign(id).await? else {
                        continue;
                    };
                    let p = period(&c, self.config.offset);
                    if due < p.from || due >= p.until {
                        continue;
                    }
                }
                out.push((job, due));
            }
        }
        Ok(out)
    }

    /// Every job with its cron (see [`crons`]).
    pub async fn crons(&self) -> Result<Vec<(Job, Cron)>, ScheduleError> {
        crons(self.store.as_ref(), &self.config).await
    }

    /// Continues a run a stop cut off: its sweep, when it had started one and it is
    /// unfinished; else the job from the start.
    async fn continue_run(&self, run: &ScheduleRun) -> Result<Vec<SweepId>, ScheduleError> {
        let Some(job) = Job::parse(&run.job) else {
            self.store.finish_run(run.id, Some("unknown job")).await?;
            return Ok(Vec::new());
        };
        if let Some(id) = run.sweep_id {
            if let Some(sweep) = self.store.sweep(id).await? {
                if sweep.kind == store::SweepKind::Sweep {
                    if sweep.state == store::SweepState::Running {
                        let lock = self.lock(&run.job).await?;
                        self.mark_running(job, run, Some(id));
                        let r = if sweep.by_workers {
                            self.await_workers(id).await
                        } else {
                            self.run_sweep(sweep, true, &lock).await.map(|_| ())
                        };
                        self.set_running(None);
                        self.end_run(run, r.as_ref().err()).await?;
                        r?;
                    } else {
                        self.end_run(run, None).await?;
                    }
                    return Ok(vec![id]);
                }
            }
        }
        self.execute(job, run).await
    }

    /// Runs `job` for `run` and records its end.
    async fn execute(&self, job: Job, run: &ScheduleRun) -> Result<Vec<SweepId>, ScheduleError> {
        if job == Job::Credit {
            // No sweep: the sweep lock is not needed.
            self.mark_running(job, run, None);
            let today = run.due_at.with_timezone(&self.config.offset).date_naive();
            let r = crate::credit::nightly(self, today).await;
            self.set_running(None);
            self.end_run(run, r.as_ref().err()).await?;
            return r.map(|_| Vec::new());
        }
        let lock = self.lock(&run.job).await?;
        self.mark_running(job, run, None);
        let r = self.execute_locked(job, run, &lock).await;
        self.set_running(None);
        self.end_run(run, r.as_ref().err()).await?;
        r
    }

    async fn execute_locked(
        &self,
        job: Job,
        run: &ScheduleRun,
        lock: &SweepLock,
    ) -> Result<Vec<SweepId>, ScheduleError> {
        match job {
            Job::City => {
                let plan = if self.config.city_by_workers {
                    SweepPlan::CityForWorkers
                } else {
                    SweepPlan::City
                };
                let sweep = sweep::plan_sweep(self.store.as_ref(), plan).await?;
                self.store.set_run_sweep(run.id, sweep.id).await?;
                self.mark_running(job, run, Some(sweep.id));
                let id = sweep.id;
                if sweep.by_workers {
                    self.await_workers(id).await?;
                } else {
                    self.run_sweep(sweep, false, lock).await?;
                }
                Ok(vec![id])
            }
            Job::Campaign(id) => {
                let campaign = self
                    .store
                    .campaign(id)
                    .await?
                    .ok_or(campaign::CampaignError::NotFound(id))?;
                let sweep = plan_campaign(self.store.as_ref(), &campaign).await?;
                self.store.set_run_sweep(run.id, sweep.id).await?;
                self.mark_running(job, run, Some(sweep.id));
                let sid = sweep.id;
                self.run_sweep(sweep, false, lock).await?;
                Ok(vec![sid])
            }
            Job::Rechecks => {
                let today = run.due_at.with_timezone(&self.config.offset).date_naive();
                crate::after::rechecks(self, today, lock).await
            }
            Job::Credit => unreachable!("run without the sweep lock in execute"),
        }
    }

    fn mark_running(&self, job: Job, run: &ScheduleRun, sweep: Option<SweepId>) {
        self.set_running(Some(Running {
            job,
            due_at: run.due_at,
            started_at: run.started_at,
            sweep,
        }));
    }

    async fn end_run(
        &self,
        run: &ScheduleRun,
        error: Option<&ScheduleError>,
    ) -> Result<(), ScheduleError> {
        let text = error.map(|e| crate::error_chain(e));
        self.store.finish_run(run.id, text.as_deref()).await?;
        Ok(())
    }

    async fn lock(&self, what: &str) -> Result<SweepLock, ScheduleError> {
        Ok(SweepLock::acquire(
            &self.settings.data_dir,
            &format!("scheduler {what}"),
            std::time::Duration::from_secs(5),
        )
        .await?)
    }

    /// Waits until the workers ended sweep `id` (`sweep::sequencer` ends it), then groups its
    /// findings into clues. The sweep lock stays held meanwhile, so no sweep of this process
    /// starts beside the workers'.
    async fn await_workers(&self, id: SweepId) -> Result<(), ScheduleError> {
        tracing::info!(sweep = %id, "city sweep created for the workers");
        loop {
            match self.store.sweep(id).await? {
                Some(s) if s.state == store::SweepState::Running => {
                    tokio::time::sleep(WORKERS_POLL).await;
                }
                _ => break,
            }
        }
        crate::after::sweep_done(self, id).await
    }

    /// Runs a sweep of kind `sweep` (new or cut off) with its campaign's packs, then groups its
    /// findings into clues.
    async fn run_sweep(
        &self,
        sweep: Sweep,
        resumed: bool,
        _lock: &SweepLock,
    ) -> Result<sweep::SweepSummary, ScheduleError> {
        let detector = detector_of(self.store.as_ref(), &sweep).await?;
        let summary = sweep::run_existing(
            self.store.clone(),
            detector,
            self.settings.sweep.clone(),
            sweep,
            resumed,
        )
        .await?;
        crate::after::sweep_done(self, summary.sweep_id).await?;
        Ok(summary)
    }
}

/// The detector a sweep scans with: its campaign's packs, or every shipped pack for a city
/// sweep.
pub async fn detector_of(store: &dyn Store, sweep: &Sweep) -> Result<Arc<Detector>, ScheduleError> {
    Ok(Arc::new(match sweep.campaign {
        Some(id) => {
            let c = store
                .campaign(id)
                .await?
                .ok_or(campaign::CampaignError::NotFound(id))?;
            campaign::detector(&c)?
        }
        None => Detector::builtin(),
    }))
}

/// Creates the rows of a campaign's new sweep (its sites pending).
pub async fn plan_campaign(store: &dyn Store, campaign: &Campaign) -> Result<Sweep, ScheduleError> {
    let sites = store.campaign_sites(campaign.id).await?;
    Ok(sweep::plan_sweep(
        store,
        SweepPlan::Campaign {
            id: campaign.id,
            sites,
        },
    )
    .await?)
}

/// Every job with its cron: the city sweep, each active campaign with a schedule, the
/// re-checks.
pub async fn crons(
    store: &dyn Store,
    config: &ScheduleConfig,
) -> Result<Vec<(Job, Cron)>, ScheduleError> {
    let mut out = Vec::new();
    if let Some(c) = &config.city_sweep {
        out.push((Job::City, c.clone()));
    }
    for c in store.list_campaigns().await? {
        if c.state != CampaignState::Active || c.schedule.is_empty() {
            continue;
        }
        match Cron::parse(&c.schedule) {
            Ok(cron) => out.push((Job::Campaign(c.id), cron)),
            Err(e) => tracing::error!(campaign = %c.id, error = %e, "campaign schedule unreadable"),
        }
    }
    if let Some(c) = &config.rechecks {
        out.push((Job::Rechecks, c.clone()));
    }
    if let Some(c) = &config.credit {
        out.push((Job::Credit, c.clone()));
    }
    out.sort_by_key(|(j, _)| *j);
    Ok(out)
}

/// A sweep run by hand (`wangjian sweep [--campaign ID]`): refused while another sweep runs in
/// the data directory; first the unfinished sweep, if any, is continued (with its campaign's
/// packs); then, for a campaign, a new sweep of its sites; without one, a city sweep only when
/// nothing was continued. Each sweep's findings are grouped into clues. Returns the summaries.
pub async fn sweep_by_hand(
    store: Arc<dyn Store>,
    settings: &SweepSettings,
    config: &ScheduleConfig,
    campaign: Option<CampaignId>,
    by: &store::Actor,
) -> Result<Vec<sweep::SweepSummary>, ScheduleError> {
    let target = match campaign {
        Some(id) => {
            let c = store
                .campaign(id)
                .await?
                .ok_or(campaign::CampaignError::NotFound(id))?;
            if c.state != CampaignState::Active {
                return Err(campaign::CampaignError::Closed(id).into());
            }
            Some(c)
        }
        None => None,
    };
    let _lock = SweepLock::try_acquire(&settings.data_dir, "wangjian sweep")?;
    let mut out = Vec::new();
    let run = |sweep: Sweep, resumed: bool| {
        let store = store.clone();
        async move {
            let detector = detector_of(store.as_ref(), &sweep).await?;
            let summary = sweep::run_existing(
                store.clone(),
                detector,
                settings.sweep.clone(),
                sweep,
                resumed,
            )
            .await?;
            crate::after::group(
                store.as_ref(),
                &config.limits,
                config.offset,
                summary.sweep_id,
                by,
            )
            .await?;
            Ok::<_, ScheduleError>(summary)
        }
    };
    if let Some(sweep) = store.unfinished_sweep().await? {
        out.push(run(sweep, true).await?);
    }
    match target {
        Some(c) => {
            let sweep = plan_campaign(store.as_ref(), &c).await?;
            out.push(run(sweep, false).await?);
        }
        None if out.is_empty() => {
            let sweep = sweep::plan_sweep(store.as_ref(), SweepPlan::City).await?;
            out.push(run(sweep, false).await?);
        }
        None => {}
    }
    Ok(out)
}
