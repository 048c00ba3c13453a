//! `/schedule` (计划任务): the scheduler's jobs with their cron, next due time and last run,
//! and the sweep running now with its sites done of total and pages so far, read from the
//! store. The page refreshes itself (`<meta http-equiv="refresh">`, no JavaScript).

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use chrono::Utc;
use schedule::status::{JobStatus, Progress};
use schedule::Job;

use super::render;
use crate::view;
use crate::{Shared, Viewer, WebError};

/// Seconds between refreshes of the page.
const REFRESH_SECS: u32 = 10;

pub(crate) struct RunningRow {
    sweep: i64,
    kind: &'static str,
    campaign: String,
    started: String,
    sites_done: i64,
    sites_total: i64,
    pages: i64,
    job: String,
    by_workers: bool,
    workers: Vec<WorkerRow>,
}

/// A worker on the running sweep.
pub(crate) struct WorkerRow {
    name: String,
    hosts: i64,
    /// Waiting for work, every record it wrote in the log.
    idle: bool,
    started: String,
    seen: String,
}

pub(crate) struct JobRow {
    title: String,
    href: String,
    cron: String,
    next_due: String,
    last_due: String,
    last_finished: String,
    last_sweep: String,
    last_result: String,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    active: &'static str,
    refresh: u32,
    enabled: bool,
    running: Option<RunningRow>,
    jobs: Vec<JobRow>,
}

/// A job's name for people.
pub(crate) fn job_title(j: &JobStatus) -> String {
    match j.job {
        Job::City => "全市巡查".to_string(),
        Job::Rechecks => "整改复查".to_string(),
        Job::Credit => "信用评分".to_string(),
        Job::Campaign(id) => format!(
            "专项行动巡查：{}",
            j.name.clone().unwrap_or_else(|| format!("#{id}"))
        ),
    }
}

/// The scheduler's jobs and the running sweep, as the page and the API read them.
pub(crate) async fn state(
    app: &crate::AppState,
) -> Result<(Vec<JobStatus>, Option<Progress>), WebError> {
    let jobs = match &app.schedule {
        Some(s) => schedule::status::jobs(app.store.as_ref(), &s.config, Utc::now())
            .await
            .map_err(|e| WebError::Internal(schedule::error_chain(&e)))?,
        None => Vec::new(),
    };
    let progress = schedule::status::progress(app.store.as_ref())
        .await
        .map_err(|e| WebError::Internal(schedule::error_chain(&e)))?;
    Ok((jobs, progress))
}

pub(crate) async fn page(
    State(app): State<Shared>,
    _viewer: Viewer,
) -> Result<Html<String>, WebError> {
    let (jobs, progress) = state(&app).await?;
    let running_job = app.schedule.as_ref().and_then(|s| s.running());
    let mut running = None;
    if let Some(p) = progress {
        let campaign = match p.sweep.campaign {
            Some(id) => app
                .store
                .campaign(id)
                .await?
                .map(|c| c.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        running = Some(RunningRow {
            sweep: p.sweep.id.0,
            kind: p.sweep.kind.label(),
            campaign,
            started: view::time(p.sweep.started_at),
            sites_done: p.sites_done,
            sites_total: p.sweep.sites,
            pages: p.pages,
            job: running_job
                .filter(|r| r.sweep.is_none() || r.sweep == Some(p.sweep.id))
                .map(|r| format!("{}（计划于 {}）", r.job.key(), view::time(r.due_at)))
                .unwrap_or_default(),
            by_workers: p.sweep.by_workers,
            workers: p
                .workers
                .iter()
                .map(|w| WorkerRow {
                    name: w.name.clone(),
                    hosts: w.hosts,
                    idle: w.idle,
                    started: view::time(w.started_at),
                    seen: view::time(w.seen_at),
                })
                .collect(),
        });
    }
    render(&SchedulePage {
        active: "schedule",
        refresh: REFRESH_SECS,
        enabled: app.schedule.is_some(),
        running,
        jobs: jobs
            .iter()
            .map(|j| JobRow {
                title: job_title(j),
                href: match j.job {
                    Job::Campaign(id) => format!("/campaigns/{id}"),
                    _ => String::new(),
                },
                cron: j.cron.clone(),
                next_due: view::opt_time(j.next_due),
                last_due: view::opt_time(j.last.as_ref().map(|r| r.due_at)),
                last_finished: view::opt_time(j.last.as_ref().and_then(|r| r.finished_at)),
                last_sweep: j
                    .last
                    .as_ref()
                    .and_then(|r| r.sweep_id)
                    .map(|s| format!("#{s}"))
                    .unwrap_or_else(|| "—".into()),
                last_result: match &j.last {
                    None => "—".into(),
                    Some(r) if r.finished_at.is_none() => "运行中".into(),
                    Some(r) => match &r.error {
                        None => "完成".into(),
                        Some(e) => format!("失败：{e}"),
                    },
                },
            })
            .collect(),
    })
}
