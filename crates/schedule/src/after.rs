//! What follows a sweep, and the re-checks: casework's side. After every sweep its findings
//! are grouped into clues (`casework::group_sweep`); the re-check job fetches each due
//! rectification order's URLs again (`sweep::recheck`) and hands the result to
//! `casework::record_recheck`, which records compliant or not (and reopens the case).

use chrono::{FixedOffset, NaiveDate, Utc};
use domain::SweepId;
use store::{Actor, Store};

use crate::lock::SweepLock;
use crate::{ScheduleError, Scheduler};

/// Groups a finished sweep's findings into clues, as `by`, with today's date in `offset`.
pub async fn group(
    store: &dyn Store,
    limits: &casework::Limits,
    offset: FixedOffset,
    sweep: SweepId,
    by: &Actor,
) -> Result<casework::GroupReport, ScheduleError> {
    let today = Utc::now().with_timezone(&offset).date_naive();
    let report = casework::group_sweep(store, sweep, limits, today, by).await?;
    tracing::info!(%sweep, ?report, "findings grouped into clues");
    Ok(report)
}

pub(crate) async fn sweep_done(s: &Scheduler, sweep: SweepId) -> Result<(), ScheduleError> {
    group(
        s.store.as_ref(),
        &s.config.limits,
        s.config.offset,
        sweep,
        &s.actor,
    )
    .await
    .map(|_| ())
}

/// Re-checks every rectification order due on `today` and records the results. Returns the
/// re-check sweeps.
pub(crate) async fn rechecks(
    s: &Scheduler,
    today: NaiveDate,
    _lock: &SweepLock,
) -> Result<Vec<SweepId>, ScheduleError> {
    let detector = detect::Detector::builtin();
    let mut sweeps = Vec::new();
    for due in casework::due_rechecks(s.store.as_ref(), today).await? {
        let outcome = sweep::recheck(
            s.store.clone(),
            &detector,
            &s.settings.sweep,
            due.site,
            &due.urls,
        )
        .await?;
        let compliance =
            casework::record_recheck(s.store.as_ref(), due.outcome, outcome.sweep_id, &s.actor)
                .await?;
        tracing::info!(outcome = %due.outcome, sweep = %outcome.sweep_id, ?compliance, "rectification re-checked");
        sweeps.push(outcome.sweep_id);
    }
    Ok(sweeps)
}
