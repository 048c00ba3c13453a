//! What the dashboard counts beyond the other aggregates' own counts: findings per week, the
//! running sweep's progress and what the last finished sweep found new. Every count is of the
//! rows in the caller's scope, on both engines.
//!
//! Weeks are Beijing weeks (Monday to Sunday) whose bounds the caller computes with
//! [`week_starts`] and [`domain::time::day_start`]; the SQL only compares instants, so the two
//! engines agree without date functions.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::{Category, DistrictCode, Severity, SweepId};
use serde::{Deserialize, Serialize};

/// The first days (Mondays) of the `n` weeks up to and including the one holding `today`,
/// oldest first.
pub fn week_starts(today: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    (0..n)
        .rev()
        .map(|i| monday - chrono::Duration::weeks(i as i64))
        .collect()
}

/// Findings of one severity first found in one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekCount {
    /// The week's first day (a Monday, Beijing time).
    pub week: NaiveDate,
    pub severity: Severity,
    pub count: i64,
}

/// The running city sweep's progress over the sites in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepProgress {
    pub sweep: SweepId,
    pub started_at: DateTime<Utc>,
    /// Sites of the sweep in scope.
    pub planned: i64,
    /// Of those, the sites done (fetched, or given up as unreachable).
    pub done: i64,
}

/// What the last finished city sweep found that no sweep had found before: findings are stored
/// once, under the sweep that first found them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFindings {
    pub sweep: SweepId,
    pub finished_at: DateTime<Utc>,
    /// New findings in scope per category and district of the site's entity.
    pub counts: Vec<NewFindingCount>,
}

/// New findings of one category in one district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFindingCount {
    pub category: Category,
    pub district: Option<DistrictCode>,
    pub count: i64,
}
