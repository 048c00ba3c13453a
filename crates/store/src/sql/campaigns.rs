//! Campaigns and their sites (their figures are the report's, `report.rs`); the scheduler's
//! runs.

use super::*;
use crate::{CampaignStore, ScheduleStore};
use async_trait::async_trait;
use chrono::NaiveDate;
use domain::CampaignId;

macro_rules! campaign_select {
    () => {
        "SELECT c.id, c.name, c.starts_on, c.ends_on, c.targets, c.packs, c.schedule, c.state, \
         c.created_at, c.created_by, c.closed_at, \
         (SELECT COUNT(*) FROM campaign_sites cs WHERE cs.campaign_id = c.id) AS site_count \
         FROM campaigns c"
    };
}

macro_rules! run_cols {
    () => {
        "id, job, due_at, started_at, finished_at, sweep_id, error"
    };
}

fn campaign_from_row(r: &DbRow) -> Result<Campaign> {
    let targets: String = r.try_get("targets")?;
    let packs: String = r.try_get("packs")?;
    let state: String = r.try_get("state")?;
    Ok(Campaign {
        id: CampaignId(r.try_get("id")?),
        name: r.try_get("name")?,
        starts_on: r.try_get::<NaiveDate, _>("starts_on")?,
        ends_on: r.try_get::<NaiveDate, _>("ends_on")?,
        targets: serde_json::from_str(&targets)
            .map_err(|e| corrupt("campaign targets", &targets, e))?,
        packs: serde_json::from_str(&packs).map_err(|e| corrupt("campaign packs", &packs, e))?,
        schedule: r.try_get("schedule")?,
        state: CampaignState::parse(&state)
            .ok_or_else(|| corrupt("campaign state", &state, "unknown"))?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        closed_at: r.try_get("closed_at")?,
        sites: r.try_get("site_count")?,
    })
}

fn run_from_row(r: &DbRow) -> Result<ScheduleRun> {
    Ok(ScheduleRun {
        id: r.try_get("id")?,
        job: r.try_get("job")?,
        due_at: r.try_get("due_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        sweep_id: r.try_get::<Option<i64>, _>("sweep_id")?.map(SweepId),
        error: r.try_get("error")?,
    })
}

#[async_trait]
impl CampaignStore for SqlStore {
    async fn create_campaign(
        &self,
        campaign: &NewCampaign,
        sites: &[SiteId],
        by: &Actor,
    ) -> Result<Campaign> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (name, starts_on, ends_on, targets, packs, schedule, state, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8) \
             RETURNING id",
        )
        .bind(&campaign.name)
        .bind(campaign.starts_on)
        .bind(campaign.ends_on)
        .bind(json(&campaign.targets))
        .bind(json(&campaign.packs))
        .bind(&campaign.schedule)
        .bind(now)
        .bind(&by.name)
        .fetch_one(&mut *tx)
        .await?;
        for s in sites {
            sqlx::query(
                "INSERT INTO campaign_sites (campaign_id, site_id) VALUES ($1, $2) \
                 ON CONFLICT (campaign_id, site_id) DO NOTHING",
            )
            .bind(id)
            .bind(s.0)
            .execute(&mut *tx)
            .await?;
        }
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("campaign:{id}"),
            "create",
            None,
            Some(serde_json::json!({ "campaign": campaign, "sites": sites })),
        )
        .await?;
        tx.commit().await?;
        self.campaign(CampaignId(id))
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("campaign {id}")))
    }

    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>> {
        sqlx::query(concat!(campaign_select!(), " WHERE c.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(campaign_from_row)
            .transpose()
    }

    async fn list_campaigns(&self) -> Result<Vec<Campaign>> {
        sqlx::query(concat!(campaign_select!(), " ORDER BY c.id DESC"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(campaign_from_row)
            .collect()
    }

    async fn close_campaign(&self, id: CampaignId, by: &Actor) -> Result<Campaign> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE campaigns SET state = 'closed', closed_at = $2 \
             WHERE id = $1 AND state = 'active'",
        )
        .bind(id.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM campaigns WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match exists {
                Some(_) => StoreError::Conflict(format!("campaign {id} is closed already")),
                None => StoreError::NotFound(format!("campaign {id}")),
            });
        }
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("campaign:{id}"),
            "close",
            Some(serde_json::json!({ "state": "active" })),
            Some(serde_json::json!({ "state": "closed" })),
        )
        .await?;
        tx.commit().await?;
        self.campaign(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("campaign {id}")))
    }

    async fn campaign_sites(&self, id: CampaignId) -> Result<Vec<SiteId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT site_id FROM campaign_sites WHERE campaign_id = $1 ORDER BY site_id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(SiteId).collect())
    }

    async fn select_sites(&self, scope: Scope, sel: &SiteSelection) -> Result<Vec<SiteId>> {
        let mut q = QueryBuilder::new(concat!("SELECT s.id", site_from!(), " WHERE 1 = 1"));
        if !sel.kinds.is_empty() {
            q.push(" AND s.kind IN (");
            let mut list = q.separated(", ");
            for k in &sel.kinds {
                list.push_bind(k.code());
            }
            q.push(")");
        }
        if !sel.districts.is_empty() {
            q.push(" AND e.district IN (");
            let mut list = q.separated(", ");
            for d in &sel.districts {
                list.push_bind(d.to_string());
            }
            q.push(")");
        }
        if !sel.categories.is_empty() {
            q.push(
                " AND EXISTS (SELECT 1 FROM findings g WHERE g.site_id = s.id \
                 AND g.triage <> 'false_positive' AND g.suppressed IS NULL AND g.category IN (",
            );
            let mut list = q.separated(", ");
            for c in &sel.categories {
                list.push_bind(c.code());
            }
            q.push("))");
        }
        if !sel.classes.is_empty() {
            q.push(
                " AND EXISTS (SELECT 1 FROM credit_scores cs WHERE cs.entity_id = s.entity_id \
                 AND cs.class IN (",
            );
            let mut list = q.separated(", ");
            for c in &sel.classes {
                list.push_bind(c.code());
            }
            q.push("))");
        }
        if let Some(only) = &sel.only {
            if only.is_empty() {
                q.push(" AND 1 = 0");
            } else {
                q.push(" AND s.id IN (");
                let mut list = q.separated(", ");
                for s in only {
                    list.push_bind(s.0);
                }
                q.push(")");
            }
        }
        push_scope(&mut q, &scope);
        q.push(" ORDER BY s.id");
        let ids: Vec<i64> = q.build_query_scalar().fetch_all(&self.pool).await?;
        Ok(ids.into_iter().map(SiteId).collect())
    }
}

#[async_trait]
impl ScheduleStore for SqlStore {
    async fn begin_run(&self, job: &str, due_at: DateTime<Utc>) -> Result<Option<ScheduleRun>> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(concat!(
            "INSERT INTO schedule_runs (job, due_at, started_at) VALUES ($1, $2, $3) \
             ON CONFLICT (job, due_at) DO NOTHING RETURNING ",
            run_cols!()
        ))
        .bind(job)
        .bind(due_at)
        .bind(self.now())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.as_ref().map(run_from_row).transpose()
    }

    async fn set_run_sweep(&self, run: i64, sweep: SweepId) -> Result<()> {
        let done = sqlx::query("UPDATE schedule_runs SET sweep_id = $2 WHERE id = $1")
            .bind(run)
            .bind(sweep.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("schedule run {run}")));
        }
        Ok(())
    }

    async fn finish_run(&self, run: i64, error: Option<&str>) -> Result<ScheduleRun> {
        let row = sqlx::query(concat!(
            "UPDATE schedule_runs SET finished_at = $2, error = $3 WHERE id = $1 RETURNING ",
            run_cols!()
        ))
        .bind(run)
        .bind(self.now())
        .bind(error)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => run_from_row(&r),
            None => Err(StoreError::NotFound(format!("schedule run {run}"))),
        }
    }

    async fn unfinished_runs(&self) -> Result<Vec<ScheduleRun>> {
        sqlx::query(concat!(
            "SELECT ",
            run_cols!(),
            " FROM schedule_runs WHERE finished_at IS NULL ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(run_from_row)
        .collect()
    }

    async fn last_run(&self, job: &str) -> Result<Option<ScheduleRun>> {
        sqlx::query(concat!(
            "SELECT ",
            run_cols!(),
            " FROM schedule_runs WHERE job = $1 ORDER BY due_at DESC, id DESC LIMIT 1"
        ))
        .bind(job)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(run_from_row)
        .transpose()
    }

    async fn list_runs(&self, limit: i64) -> Result<Vec<ScheduleRun>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            run_cols!(),
            " FROM schedule_runs ORDER BY id DESC"
        ));
        push_page(&mut q, limit, 0);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(run_from_row)
            .collect()
    }
}
