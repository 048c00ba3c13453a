//! `/api/v1/campaigns`, `/api/v1/campaigns/{id}` (special campaigns with their figures per
//! district, over the caller's scope) and `/api/v1/schedule` (the scheduler's jobs and the
//! sweep running now).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::CampaignId;
use serde::{Deserialize, Serialize};
use store::{Campaign, Figure};
use utoipa::ToSchema;

use super::{path_id, query, Page, Paging};
use crate::{ApiError, Shared, Viewer, WebError};

/// What a campaign aims at (see the console's campaign page).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct TargetsItem {
    /// Site kind codes.
    pub kinds: Vec<String>,
    /// District codes.
    pub districts: Vec<String>,
    /// Category codes.
    pub categories: Vec<String>,
    pub keywords: Vec<String>,
    /// Site ids added whatever the other targets say.
    pub sites: Vec<i64>,
}

/// A special campaign (专项行动).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Campaign)]
pub(crate) struct CampaignItem {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// `active` or `closed`.
    pub state: String,
    /// Cron schedule of its sweeps (empty: by hand only).
    pub schedule: String,
    /// Rule packs its sweeps scan with (empty: every shipped pack).
    pub packs: Vec<String>,
    pub targets: TargetsItem,
    /// Sites its targets resolved to.
    pub sites: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<&Campaign> for CampaignItem {
    fn from(c: &Campaign) -> CampaignItem {
        CampaignItem {
            id: c.id.0,
            name: c.name.clone(),
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            state: c.state.code().to_string(),
            schedule: c.schedule.clone(),
            packs: c.packs.clone(),
            targets: TargetsItem {
                kinds: c
                    .targets
                    .kinds
                    .iter()
                    .map(|k| k.code().to_string())
                    .collect(),
                districts: c.targets.districts.iter().map(|d| d.to_string()).collect(),
                categories: c
                    .targets
                    .categories
                    .iter()
                    .map(|k| k.code().to_string())
                    .collect(),
                keywords: c.targets.keywords.clone(),
                sites: c.targets.sites.iter().map(|s| s.0).collect(),
            },
            sites: c.sites,
            created_at: c.created_at,
            created_by: c.created_by.clone(),
            closed_at: c.closed_at,
        }
    }
}

/// The figures of a campaign (over the caller's scope). Fines are in fen.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub(crate) struct FiguresItem {
    pub sites_checked: i64,
    pub suspect_sites: i64,
    pub clues: i64,
    pub field_checks: i64,
    pub cases: i64,
    pub fines: i64,
    pub rectifications: i64,
    pub referrals: i64,
    pub warnings: i64,
    pub abnormal_listings: i64,
}

impl FiguresItem {
    fn of(get: impl Fn(Figure) -> i64) -> FiguresItem {
        FiguresItem {
            sites_checked: get(Figure::SitesChecked),
            suspect_sites: get(Figure::SuspectSites),
            clues: get(Figure::Clues),
            field_checks: get(Figure::FieldChecks),
            cases: get(Figure::Cases),
            fines: get(Figure::Fines),
            rectifications: get(Figure::Rectifications),
            referrals: get(Figure::Referrals),
            warnings: get(Figure::Warnings),
            abnormal_listings: get(Figure::AbnormalListings),
        }
    }
}

/// One district's figures.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct DistrictFigures {
    /// The district (`null`: sites not attached to an entity).
    #[schema(schema_with = super::schema::district_or_null)]
    pub district: Option<String>,
    #[serde(flatten)]
    pub figures: FiguresItem,
}

/// A campaign with its figures by district.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct CampaignDetail {
    #[serde(flatten)]
    pub campaign: CampaignItem,
    pub by_district: Vec<DistrictFigures>,
    pub total: FiguresItem,
}

/// Every campaign, newest first (campaigns are the bureau's; their figures are scoped).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    operation_id = "list_campaigns",
    tag = "campaigns",
    params(Paging),
    responses((status = 200, description = "A page of campaigns", body = Page<CampaignItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    _viewer: Viewer,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<CampaignItem>>, ApiError> {
    let (limit, offset) = query(paging)?.window()?;
    let all = app.store.list_campaigns().await?;
    let total = all.len() as i64;
    Ok(Json(Page {
        items: all
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(CampaignItem::from)
            .collect(),
        total,
        limit,
        offset,
    }))
}

/// One campaign with its figures by district, over the caller's scope.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}",
    operation_id = "get_campaign",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign and its figures", body = CampaignDetail), super::Failures)
)]
pub(crate) async fn item(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<CampaignDetail>, ApiError> {
    let id = CampaignId(path_id(&raw, "专项行动")?);
    let (c, table) = schedule::campaign::figures(
        app.store.as_ref(),
        viewer.scope(),
        id,
        crate::pages::campaigns::offset(&app),
    )
    .await
    .map_err(|e| match e {
        schedule::CampaignError::Store(e) => WebError::Store(e),
        _ => WebError::NotFound(format!("专项行动 {id}")),
    })?;
    Ok(Json(CampaignDetail {
        campaign: CampaignItem::from(&c),
        by_district: table
            .rows
            .keys()
            .map(|d| DistrictFigures {
                district: d.map(|d| d.to_string()),
                figures: FiguresItem::of(|f| table.get(*d, f)),
            })
            .collect(),
        total: FiguresItem::of(|f| table.total(f)),
    }))
}

/// A scheduled job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct JobItem {
    /// `city`, `campaign:<id>` or `recheck`.
    pub job: String,
    pub cron: String,
    pub next_due: Option<DateTime<Utc>>,
    pub last_due: Option<DateTime<Utc>>,
    pub last_finished: Option<DateTime<Utc>>,
    pub last_sweep: Option<i64>,
    pub last_error: Option<String>,
}

/// The sweep running now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct RunningItem {
    pub sweep: i64,
    /// `sweep`, `capture` or `recheck`.
    pub kind: String,
    pub campaign: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub sites_done: i64,
    pub sites_total: i64,
    pub pages: i64,
    /// Done by `wangjian worker`s.
    pub by_workers: bool,
    /// The workers seen on it within five minutes.
    pub workers: Vec<WorkerItem>,
}

/// A worker on the running sweep.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct WorkerItem {
    pub name: String,
    /// Hosts it holds a live lease of.
    pub hosts: i64,
    /// Waiting for work, every record it wrote in the transparency log.
    pub idle: bool,
    pub started_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
}

/// The scheduler's jobs and the sweep running now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ScheduleItem {
    /// Whether this console runs the scheduler.
    pub enabled: bool,
    pub jobs: Vec<JobItem>,
    pub running: Option<RunningItem>,
}

/// The scheduler's jobs (with next due times and last runs) and the running sweep's progress.
#[utoipa::path(
    get,
    path = "/api/v1/schedule",
    operation_id = "get_schedule",
    tag = "schedule",
    responses((status = 200, description = "Jobs and progress", body = ScheduleItem), super::Failures)
)]
pub(crate) async fn schedule(
    State(app): State<Shared>,
    _viewer: Viewer,
) -> Result<Json<ScheduleItem>, ApiError> {
    let (jobs, progress) = crate::pages::schedule::state(&app).await?;
    Ok(Json(ScheduleItem {
        enabled: app.schedule.is_some(),
        jobs: jobs
            .iter()
            .map(|j| JobItem {
                job: j.job.key(),
                cron: j.cron.clone(),
                next_due: j.next_due,
                last_due: j.last.as_ref().map(|r| r.due_at),
                last_finished: j.last.as_ref().and_then(|r| r.finished_at),
                last_sweep: j.last.as_ref().and_then(|r| r.sweep_id).map(|s| s.0),
                last_error: j.last.as_ref().and_then(|r| r.error.clone()),
            })
            .collect(),
        running: progress.map(|p| RunningItem {
            sweep: p.sweep.id.0,
            kind: p.sweep.kind.code().to_string(),
            campaign: p.sweep.campaign.map(|c| c.0),
            started_at: p.sweep.started_at,
            sites_done: p.sites_done,
            sites_total: p.sweep.sites,
            pages: p.pages,
            by_workers: p.sweep.by_workers,
            workers: p
                .workers
                .iter()
                .map(|w| WorkerItem {
                    name: w.name.clone(),
                    hosts: w.hosts,
                    idle: w.idle,
                    started_at: w.started_at,
                    seen_at: w.seen_at,
                })
                .collect(),
        }),
    }))
}
