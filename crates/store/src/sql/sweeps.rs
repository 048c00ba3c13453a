//! Sweeps and captures, the state of their sites, saved frontiers.

use super::*;
use crate::SweepStore;
use async_trait::async_trait;

use super::discovery::record_discovery;
use super::fetches::{insert_fetch, insert_findings};

#[async_trait]
impl SweepStore for SqlStore {
    async fn create_sweep(&self, sites: &[SiteId]) -> Result<SweepId> {
        self.create_sweep_of_kind(sites, SweepKind::Sweep, None, None)
            .await
    }

    async fn create_campaign_sweep(
        &self,
        sites: &[SiteId],
        campaign: domain::CampaignId,
    ) -> Result<SweepId> {
        self.create_sweep_of_kind(sites, SweepKind::Sweep, None, Some(campaign))
            .await
    }

    async fn create_recheck(&self, site: SiteId) -> Result<SweepId> {
        self.create_sweep_of_kind(&[site], SweepKind::Recheck, None, None)
            .await
    }

    async fn record_recheck_fetch(
        &self,
        fetch: &NewFetch,
        findings: &[NewFinding],
    ) -> Result<FetchId> {
        let mut tx = self.write_tx().await?;
        let id = insert_fetch(&mut tx, fetch).await?;
        insert_findings(&mut tx, findings, Some(id)).await?;
        for f in findings {
            sqlx::query(
                "INSERT INTO recheck_findings (sweep_id, finding_id, fetch_id) \
                 SELECT $1, g.id, $2 FROM findings g \
                 WHERE g.site_id = $3 AND g.rule_id = $4 AND g.excerpt = $5 \
                 ON CONFLICT (sweep_id, finding_id, fetch_id) DO NOTHING",
            )
            .bind(fetch.sweep_id.0)
            .bind(id.0)
            .bind(f.site_id.0)
            .bind(&f.rule_id)
            .bind(&f.excerpt)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn recheck_findings(&self, scope: Scope, sweep: SweepId) -> Result<Vec<Finding>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            finding_cols!(),
            " FROM findings g JOIN sites s ON s.id = g.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id \
              WHERE g.suppressed IS NULL \
              AND g.id IN (SELECT r.finding_id FROM recheck_findings r WHERE r.sweep_id = "
        ));
        q.push_bind(sweep.0).push(")");
        push_scope(&mut q, &scope);
        q.push(" ORDER BY g.id");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(finding_from_row)
            .collect()
    }

    async fn create_capture(&self, site: SiteId, clue: Option<ClueId>) -> Result<SweepId> {
        if let Some(c) = clue {
            let of: Option<i64> = sqlx::query_scalar("SELECT site_id FROM clues WHERE id = $1")
                .bind(c.0)
                .fetch_optional(&self.pool)
                .await?;
            if of != Some(site.0) {
                return Err(StoreError::NotFound(format!("clue {c} of site {site}")));
            }
        }
        self.create_sweep_of_kind(&[site], SweepKind::Capture, clue, None)
            .await
    }

    async fn unfinished_sweep(&self) -> Result<Option<Sweep>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM sweeps WHERE state = $1 AND kind = 'sweep' ORDER BY id DESC LIMIT 1",
        )
        .bind(sweep_state_code(SweepState::Running))
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => self.sweep(SweepId(id)).await,
            None => Ok(None),
        }
    }

    async fn sweep(&self, id: SweepId) -> Result<Option<Sweep>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            sweep_cols!(),
            " FROM sweeps w WHERE w.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut sweep = sweep_from_row(&row)?;
        if sweep.state == SweepState::Running {
            (sweep.sites, sweep.pages, sweep.findings) = self.sweep_totals(id).await?;
        }
        Ok(Some(sweep))
    }

    async fn list_sweeps(&self, limit: i64) -> Result<Vec<Sweep>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            sweep_cols!(),
            " FROM sweeps w ORDER BY w.id DESC"
        ));
        push_page(&mut q, limit, 0);
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut sweep = sweep_from_row(r)?;
            if sweep.state == SweepState::Running {
                (sweep.sites, sweep.pages, sweep.findings) = self.sweep_totals(sweep.id).await?;
            }
            out.push(sweep);
        }
        Ok(out)
    }

    async fn pending_sites(&self, scope: Scope, sweep: SweepId) -> Result<Vec<Site>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            site_cols!(),
            " FROM sweep_sites ss JOIN sites s ON s.id = ss.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id WHERE ss.sweep_id = "
        ));
        q.push_bind(sweep.0)
            .push(" AND ss.state = ")
            .push_bind(site_state_code(SiteSweepState::Pending));
        push_scope(&mut q, &scope);
        q.push(" ORDER BY s.id");
        fetch_mapped(&self.pool, &mut q, site_from_row).await
    }

    async fn finish_site(
        &self,
        sweep: SweepId,
        site: SiteId,
        state: SiteSweepState,
        reason: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE sweep_sites SET state = $3, reason = $4 WHERE sweep_id = $1 AND site_id = $2",
        )
        .bind(sweep.0)
        .bind(site.0)
        .bind(site_state_code(state))
        .bind(reason)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "site {site} in sweep {sweep}"
            )));
        }
        Ok(())
    }

    async fn frontier(
        &self,
        scope: Scope,
        sweep: SweepId,
        site: SiteId,
    ) -> Result<Option<serde_json::Value>> {
        let mut q = QueryBuilder::new(
            "SELECT r.state FROM frontier r JOIN sites s ON s.id = r.site_id \
             LEFT JOIN entities e ON e.id = s.entity_id WHERE r.sweep_id = ",
        );
        q.push_bind(sweep.0)
            .push(" AND r.site_id = ")
            .push_bind(site.0);
        push_scope(&mut q, &scope);
        let text: Option<String> = q.build_query_scalar().fetch_optional(&self.pool).await?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt("frontier state", &t, e)))
            .transpose()
    }

    async fn save_frontier(
        &self,
        sweep: SweepId,
        site: SiteId,
        state: &serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        upsert_frontier(&mut tx, sweep, site, state, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn clear_frontier(&self, sweep: SweepId, site: SiteId) -> Result<()> {
        sqlx::query("DELETE FROM frontier WHERE sweep_id = $1 AND site_id = $2")
            .bind(sweep.0)
            .bind(site.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn commit_progress(&self, progress: &SiteProgress) -> Result<Vec<FetchId>> {
        let mut tx = self.write_tx().await?;
        let ids = write_progress(&mut tx, progress, self.now()).await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn finish_sweep(&self, sweep: SweepId) -> Result<Sweep> {
        sqlx::query("DELETE FROM frontier WHERE sweep_id = $1")
            .bind(sweep.0)
            .execute(&self.pool)
            .await?;
        let (sites, pages, findings) = self.sweep_totals(sweep).await?;
        let done = sqlx::query(
            "UPDATE sweeps SET state = $2, finished_at = $3, sites = $4, pages = $5, findings = $6 \
             WHERE id = $1",
        )
        .bind(sweep.0)
        .bind(sweep_state_code(SweepState::Finished))
        .bind(self.now())
        .bind(sites)
        .bind(pages)
        .bind(findings)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("sweep {sweep}")));
        }
        self.sweep(sweep)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("sweep {sweep}")))
    }

    async fn committed_evidence(&self, sweep: SweepId) -> Result<Vec<CommittedWarc>> {
        let rows = sqlx::query(
            "SELECT warc_file, MAX(warc_offset) AS last_offset FROM ( \
               SELECT warc_file, warc_offset FROM fetches \
                WHERE sweep_id = $1 AND warc_file IS NOT NULL AND warc_offset IS NOT NULL \
               UNION ALL \
               SELECT warc_file, warc_offset FROM findings \
                WHERE sweep_id = $1 AND warc_file IS NOT NULL AND warc_offset IS NOT NULL \
             ) t GROUP BY warc_file ORDER BY warc_file",
        )
        .bind(sweep.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CommittedWarc {
                    warc_file: r.try_get("warc_file")?,
                    last_offset: r.try_get("last_offset")?,
                })
            })
            .collect()
    }
}

impl SqlStore {
    /// A new running sweep of `kind` over `sites`, each site pending.
    pub(super) async fn create_sweep_of_kind(
        &self,
        sites: &[SiteId],
        kind: SweepKind,
        clue: Option<ClueId>,
        campaign: Option<domain::CampaignId>,
    ) -> Result<SweepId> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sweeps (state, started_at, sites, pages, findings, kind, clue_id, \
             campaign_id) VALUES ($1, $2, $3, 0, 0, $4, $5, $6) RETURNING id",
        )
        .bind(sweep_state_code(SweepState::Running))
        .bind(self.now())
        .bind(sites.len() as i64)
        .bind(kind.code())
        .bind(clue.map(|c| c.0))
        .bind(campaign.map(|c| c.0))
        .fetch_one(&mut *tx)
        .await?;
        for s in sites {
            sqlx::query(
                "INSERT INTO sweep_sites (sweep_id, site_id, state) VALUES ($1, $2, $3) \
                 ON CONFLICT (sweep_id, site_id) DO NOTHING",
            )
            .bind(id)
            .bind(s.0)
            .bind(site_state_code(SiteSweepState::Pending))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(SweepId(id))
    }

    /// Live totals of a sweep: sites, fetches with a status, findings first found in it.
    async fn sweep_totals(&self, sweep: SweepId) -> Result<(i64, i64, i64)> {
        let r = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM sweep_sites WHERE sweep_id = $1) AS sites, \
               (SELECT COUNT(*) FROM fetches WHERE sweep_id = $1 AND status IS NOT NULL) AS pages, \
               (SELECT COUNT(*) FROM findings WHERE sweep_id = $1 AND suppressed IS NULL) \
               AS findings",
        )
        .bind(sweep.0)
        .fetch_one(&self.pool)
        .await?;
        Ok((
            r.try_get("sites")?,
            r.try_get("pages")?,
            r.try_get("findings")?,
        ))
    }
}

/// Inserts or replaces a site's saved frontier.
async fn upsert_frontier(
    tx: &mut Tx,
    sweep: SweepId,
    site: SiteId,
    state: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO frontier (sweep_id, site_id, state, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sweep_id, site_id) DO UPDATE SET state = excluded.state, \
         updated_at = excluded.updated_at",
    )
    .bind(sweep.0)
    .bind(site.0)
    .bind(json(state))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a site's progress inside `tx` (see [`SweepStore::commit_progress`]).
pub(super) async fn write_progress(
    tx: &mut Tx,
    progress: &SiteProgress,
    now: DateTime<Utc>,
) -> Result<Vec<FetchId>> {
    let mut ids = Vec::with_capacity(progress.fetches.len());
    for (fetch, findings) in &progress.fetches {
        let id = insert_fetch(tx, fetch).await?;
        insert_findings(tx, findings, Some(id)).await?;
        ids.push(id);
    }
    match &progress.frontier {
        FrontierUpdate::Keep => {}
        FrontierUpdate::Save(state) => {
            upsert_frontier(tx, progress.sweep, progress.site, state, now).await?;
        }
        FrontierUpdate::Clear => {
            sqlx::query("DELETE FROM frontier WHERE sweep_id = $1 AND site_id = $2")
                .bind(progress.sweep.0)
                .bind(progress.site.0)
                .execute(&mut **tx)
                .await?;
        }
    }
    for d in &progress.discoveries {
        record_discovery(tx, Some(progress.sweep), d, now).await?;
    }
    if let Some(class) = &progress.classified {
        sqlx::query(
            "UPDATE sites SET classified_kind = $2, class_reason = $3, classified_sweep = $4 \
             WHERE id = $1",
        )
        .bind(progress.site.0)
        .bind(class.kind.code())
        .bind(&class.reason)
        .bind(progress.sweep.0)
        .execute(&mut **tx)
        .await?;
    }
    if let Some((shown, indicators)) = &progress.shown {
        super::discovery::record_pages_shown(tx, progress.site, shown, indicators).await?;
    }
    if let Some((state, reason)) = &progress.finish {
        let done = sqlx::query(
            "UPDATE sweep_sites SET state = $3, reason = $4 \
             WHERE sweep_id = $1 AND site_id = $2",
        )
        .bind(progress.sweep.0)
        .bind(progress.site.0)
        .bind(site_state_code(*state))
        .bind(reason.as_deref())
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "site {} in sweep {}",
                progress.site, progress.sweep
            )));
        }
    }
    Ok(ids)
}
