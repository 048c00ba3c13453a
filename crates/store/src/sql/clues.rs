//! Clues: findings of one site grouped, and the evidence captures taken for them.

use super::*;
use crate::ClueStore;
use async_trait::async_trait;

macro_rules! clue_select {
    () => {
        "SELECT c.id, c.site_id, c.created_at, c.created_by, c.summary, s.host, s.path_prefix, \
         e.district FROM clues c JOIN sites s ON s.id = c.site_id \
         LEFT JOIN entities e ON e.id = s.entity_id"
    };
}

fn push_clue_filter(q: &mut QueryBuilder<Db>, scope: &Scope, f: &ClueFilter) {
    push_scope(q, scope);
    if let Some(s) = f.site_id {
        q.push(" AND c.site_id = ").push_bind(s.0);
    }
    if let Some(d) = f.district {
        q.push(" AND e.district = ").push_bind(d.to_string());
    }
}

impl SqlStore {
    /// A clue of a `clue_select!` row, with its findings and captures.
    async fn clue_from_row(&self, r: &DbRow) -> Result<Clue> {
        let id: i64 = r.try_get("id")?;
        let findings: Vec<i64> = sqlx::query_scalar(
            "SELECT finding_id FROM clue_findings WHERE clue_id = $1 ORDER BY finding_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let captures: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM sweeps WHERE clue_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let host: String = r.try_get("host")?;
        let prefix: String = r.try_get("path_prefix")?;
        Ok(Clue {
            id: ClueId(id),
            site_id: SiteId(r.try_get("site_id")?),
            site: format!("{host}{prefix}"),
            district: opt_district(r.try_get("district")?)?,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
            summary: r.try_get("summary")?,
            findings: findings.into_iter().map(FindingId).collect(),
            captures: captures.into_iter().map(SweepId).collect(),
        })
    }
}

#[async_trait]
impl ClueStore for SqlStore {
    async fn create_clue(&self, clue: &NewClue, by: &Actor) -> Result<ClueId> {
        if clue.findings.is_empty() {
            return Err(StoreError::NotFound(
                "a clue needs at least one finding".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        for f in &clue.findings {
            let site: Option<i64> =
                sqlx::query_scalar("SELECT site_id FROM findings WHERE id = $1")
                    .bind(f.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            if site != Some(clue.site_id.0) {
                return Err(StoreError::NotFound(format!(
                    "finding {f} of site {}",
                    clue.site_id
                )));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO clues (site_id, created_at, created_by, summary) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(clue.site_id.0)
        .bind(self.now())
        .bind(&by.name)
        .bind(&clue.summary)
        .fetch_one(&mut *tx)
        .await?;
        for f in &clue.findings {
            sqlx::query(
                "INSERT INTO clue_findings (clue_id, finding_id) VALUES ($1, $2) \
                 ON CONFLICT (clue_id, finding_id) DO NOTHING",
            )
            .bind(id)
            .bind(f.0)
            .execute(&mut *tx)
            .await?;
        }
        super::people::audit(
            &mut tx,
            self.now(),
            by,
            &format!("clue:{id}"),
            "create",
            None,
            Some(serde_json::json!({
                "site": clue.site_id,
                "findings": clue.findings,
                "summary": clue.summary,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(ClueId(id))
    }

    async fn clue(&self, scope: Scope, id: ClueId) -> Result<Option<Clue>> {
        let mut q = QueryBuilder::new(concat!(clue_select!(), " WHERE c.id = "));
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        match q.build().fetch_optional(&self.pool).await? {
            Some(r) => Ok(Some(self.clue_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    async fn list_clues(&self, scope: Scope, filter: &ClueFilter) -> Result<Vec<Clue>> {
        let mut q = QueryBuilder::new(concat!(clue_select!(), " WHERE 1 = 1"));
        push_clue_filter(&mut q, &scope, filter);
        q.push(" ORDER BY c.id DESC");
        push_page(&mut q, filter.limit, filter.offset);
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.clue_from_row(r).await?);
        }
        Ok(out)
    }

    async fn count_clues(&self, scope: Scope, filter: &ClueFilter) -> Result<i64> {
        let mut q = QueryBuilder::new(
            "SELECT COUNT(*) FROM clues c JOIN sites s ON s.id = c.site_id \
             LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1",
        );
        push_clue_filter(&mut q, &scope, filter);
        Ok(q.build_query_scalar().fetch_one(&self.pool).await?)
    }

    async fn clue_fetches(&self, scope: Scope, id: ClueId) -> Result<Vec<Fetch>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            fetch_cols!(),
            fetch_from!(),
            " WHERE (f.sweep_id IN (SELECT w.id FROM sweeps w WHERE w.clue_id = "
        ));
        q.push_bind(id.0);
        q.push(
            ") OR f.id IN (SELECT p.id FROM clue_findings cf \
               JOIN findings g ON g.id = cf.finding_id \
               JOIN fetches p ON p.warc_file = g.warc_file AND p.warc_offset = g.warc_offset \
               WHERE cf.clue_id = ",
        );
        q.push_bind(id.0);
        q.push("))");
        push_scope(&mut q, &scope);
        q.push(" ORDER BY f.fetched_at, f.id");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(fetch_from_row)
            .collect()
    }
}
