//! The scheduler's credit work: every tick the entities marked stale are re-scored; the
//! nightly run reloads `DATA/credit/index.toml` when its SHA-256 differs from the version in
//! force (an invalid file is refused and the run records its problems; the version in force
//! stays) and re-scores every entity.

use crate::scheduler::Scheduler;
use crate::ScheduleError;
use chrono::NaiveDate;
use credit::index::{ensure_file, sha256_hex};
use credit::rescore::{self, load_index, RescoreReport};
use credit::CreditError;
use store::Store;

/// Re-scores the stale entities (nothing when none is stale).
pub async fn rescore_stale(
    store: &dyn Store,
    as_of: NaiveDate,
) -> Result<RescoreReport, ScheduleError> {
    Ok(rescore::rescore_stale(store, as_of).await?)
}

/// The nightly run: reload the file if it changed, then re-score all.
pub async fn nightly(s: &Scheduler, as_of: NaiveDate) -> Result<RescoreReport, ScheduleError> {
    let store = s.store.as_ref();
    let path = ensure_file(&s.settings.data_dir).map_err(|e| CreditError::File {
        path: s.settings.data_dir.display().to_string(),
        message: e.to_string(),
    })?;
    let text = std::fs::read_to_string(&path).map_err(|e| CreditError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let current = store.current_credit_index().await?;
    let mut refused = None;
    if current.as_ref().map(|v| v.sha256.as_str()) != Some(sha256_hex(&text).as_str()) {
        match load_index(store, &text, &s.actor, None).await {
            Ok(_) => {}
            Err(CreditError::Invalid(problems)) => refused = Some(problems),
            Err(e) => return Err(e.into()),
        }
    }
    let report = match rescore::rescore_all(store, as_of).await {
        Err(CreditError::NoIndex) if refused.is_some() => None,
        other => Some(other?),
    };
    if let Some(problems) = refused {
        return Err(ScheduleError::CreditIndexRefused {
            path: path.display().to_string(),
            problems,
        });
    }
    let report = report.expect("re-scored when nothing was refused");
    tracing::info!(
        entities = report.entities,
        archived = report.archived,
        version = %report.version,
        "credit re-scored"
    );
    Ok(report)
}
