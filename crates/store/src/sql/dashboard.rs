//! The dashboard's own counts ([`crate::dashboard`]).

use super::*;
use crate::dashboard::{NewFindingCount, NewFindings, SweepProgress, WeekCount};
use crate::DashboardStore;
use async_trait::async_trait;

#[async_trait]
impl DashboardStore for SqlStore {
    async fn findings_per_week(
        &self,
        scope: Scope,
        weeks: &[(NaiveDate, DateTime<Utc>)],
        until: DateTime<Utc>,
    ) -> Result<Vec<WeekCount>> {
        let Some(&(_, from)) = weeks.first() else {
            return Ok(Vec::new());
        };
        // The week's index by the instants' order: the same on both engines, no date function.
        let mut q = QueryBuilder::new("SELECT CAST(");
        if weeks.len() == 1 {
            q.push("0");
        } else {
            q.push("CASE");
            for (i, (_, start)) in weeks.iter().enumerate().skip(1) {
                q.push(" WHEN g.found_at < ")
                    .push_bind(*start)
                    .push(" THEN ")
                    .push((i - 1).to_string());
            }
            q.push(" ELSE ")
                .push((weeks.len() - 1).to_string())
                .push(" END");
        }
        q.push(
            " AS BIGINT) AS week, g.severity, COUNT(*) AS n FROM findings g \
             JOIN sites s ON s.id = g.site_id LEFT JOIN entities e ON e.id = s.entity_id \
             WHERE g.suppressed IS NULL AND g.found_at >= ",
        )
        .push_bind(from)
        .push(" AND g.found_at < ")
        .push_bind(until);
        push_scope(&mut q, &scope);
        q.push(" GROUP BY 1, 2 ORDER BY 1, 2");
        let mut out = Vec::new();
        for r in q.build().fetch_all(&self.pool).await? {
            let week: i64 = r.try_get("week")?;
            let severity: String = r.try_get("severity")?;
            let day = usize::try_from(week)
                .ok()
                .and_then(|w| weeks.get(w))
                .map(|w| w.0)
                .ok_or_else(|| corrupt("week", &week.to_string(), "out of range"))?;
            out.push(WeekCount {
                week: day,
                severity: Severity::from_str(&severity)
                    .map_err(|e| corrupt("severity", &severity, e))?,
                count: r.try_get("n")?,
            });
        }
        out.sort_by_key(|c| (c.week, c.severity));
        Ok(out)
    }

    async fn sweep_progress(&self, scope: Scope) -> Result<Option<SweepProgress>> {
        let Some(sweep) = crate::SweepStore::unfinished_sweep(self).await? else {
            return Ok(None);
        };
        let mut q = QueryBuilder::new(
            "SELECT COUNT(*) AS planned, \
             COALESCE(SUM(CASE WHEN ss.state = ",
        );
        q.push_bind(site_state_code(SiteSweepState::Pending))
            .push(
                " THEN 0 ELSE 1 END), 0) AS done FROM sweep_sites ss \
                 JOIN sites s ON s.id = ss.site_id LEFT JOIN entities e ON e.id = s.entity_id \
                 WHERE ss.sweep_id = ",
            )
            .push_bind(sweep.id.0);
        push_scope(&mut q, &scope);
        let r = q.build().fetch_one(&self.pool).await?;
        Ok(Some(SweepProgress {
            sweep: sweep.id,
            started_at: sweep.started_at,
            planned: r.try_get("planned")?,
            done: r.try_get("done")?,
        }))
    }

    async fn new_findings(&self, scope: Scope) -> Result<Option<NewFindings>> {
        let last: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT id, finished_at FROM sweeps WHERE state = $1 AND kind = 'sweep' \
             AND finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1",
        )
        .bind(sweep_state_code(SweepState::Finished))
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, finished_at)) = last else {
            return Ok(None);
        };
        let mut q = QueryBuilder::new(
            "SELECT g.category, e.district, COUNT(*) AS n FROM findings g \
             JOIN sites s ON s.id = g.site_id LEFT JOIN entities e ON e.id = s.entity_id \
             WHERE g.suppressed IS NULL AND g.sweep_id = ",
        );
        q.push_bind(id);
        push_scope(&mut q, &scope);
        q.push(" GROUP BY g.category, e.district");
        let mut counts = Vec::new();
        for r in q.build().fetch_all(&self.pool).await? {
            let category: String = r.try_get("category")?;
            counts.push(NewFindingCount {
                category: Category::from_str(&category)
                    .map_err(|e| corrupt("category", &category, e))?,
                district: opt_district(r.try_get("district")?)?,
                count: r.try_get("n")?,
            });
        }
        counts.sort_by_key(|c| (c.category, c.district));
        Ok(Some(NewFindings {
            sweep: SweepId(id),
            finished_at,
            counts,
        }))
    }
}
