//! What an operator's probes and metrics read ([`crate::ops`]).

use super::*;
use crate::ops::{ErrorTally, FindingTally, Queue, QueueDepth, SchemaState};
use crate::OpsStore;
use async_trait::async_trait;

#[async_trait]
impl OpsStore for SqlStore {
    async fn schema_state(&self) -> Result<SchemaState> {
        let applied: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM _sqlx_migrations \
             WHERE success = TRUE",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(SchemaState {
            applied,
            known: super::super::known_version(),
        })
    }

    async fn finding_tallies(&self) -> Result<Vec<FindingTally>> {
        let rows = sqlx::query(
            "SELECT category, severity, COUNT(*) AS n FROM findings \
             WHERE suppressed IS NULL GROUP BY category, severity",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let category: String = r.try_get("category")?;
            let severity: String = r.try_get("severity")?;
            out.push(FindingTally {
                category: Category::from_str(&category)
                    .map_err(|e| corrupt("category", &category, e))?,
                severity: Severity::from_str(&severity)
                    .map_err(|e| corrupt("severity", &severity, e))?,
                count: r.try_get("n")?,
            });
        }
        out.sort_by_key(|t| (t.category, t.severity));
        Ok(out)
    }

    async fn queue_depths(&self) -> Result<Vec<QueueDepth>> {
        let r = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM clues WHERE state = 'new') AS clues, \
               (SELECT COUNT(*) FROM complaints WHERE state = 'received') AS complaints, \
               (SELECT COUNT(*) FROM capture_requests WHERE state = 'pending') AS captures, \
               (SELECT COUNT(*) FROM discovered_sites WHERE state = 'new') AS discovered, \
               (SELECT COUNT(*) FROM badges WHERE state IN ('applied', 'proven')) AS badges",
        )
        .fetch_one(&self.pool)
        .await?;
        Queue::ALL
            .into_iter()
            .map(|queue| -> Result<QueueDepth> {
                let column = match queue {
                    Queue::CluesNew => "clues",
                    Queue::ComplaintsReceived => "complaints",
                    Queue::CapturesPending => "captures",
                    Queue::DiscoveredNew => "discovered",
                    Queue::BadgesWaiting => "badges",
                };
                Ok(QueueDepth {
                    queue,
                    count: r.try_get(column)?,
                })
            })
            .collect()
    }

    async fn fetch_errors(&self, sweep: SweepId) -> Result<Vec<ErrorTally>> {
        let rows = sqlx::query(
            "SELECT error, COUNT(*) AS n FROM fetches \
             WHERE sweep_id = $1 AND error IS NOT NULL GROUP BY error ORDER BY error",
        )
        .bind(sweep.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| -> Result<ErrorTally> {
                Ok(ErrorTally {
                    error: r.try_get("error")?,
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }
}
