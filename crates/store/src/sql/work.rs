//! Leases of a sweep's hosts, the log's submitted leaves, the workers seen (`work.rs`).

use super::*;
use crate::work::{HostLease, Leadership, LeasedHost, PendingLeaf, WorkStore, WorkerSeen};
use crate::{NewFetch, NewFinding, SiteProgress};
use async_trait::async_trait;

use super::cases::IDS_PER_QUERY;
use super::fetches::{insert_fetch, insert_findings};
use super::sweeps::write_progress;

/// Leases are kept to whole seconds, so that both engines compare them alike.
fn whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// A stored leaf: 64 hex digits.
fn leaf_from_hex(text: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| StoreError::Corrupt(format!("log leaf {text:?}")))?;
    Ok(out)
}

fn leaf_hex(leaf: &[u8; 32]) -> String {
    hex::encode(leaf)
}

/// Checks that `lease` is still the host's lease and renews it to `until`, inside `tx`.
async fn fence(tx: &mut Tx, lease: &HostLease, until: DateTime<Utc>) -> Result<()> {
    let held = sqlx::query(
        "UPDATE host_leases SET until = $5 \
         WHERE sweep_id = $1 AND host = $2 AND owner = $3 AND token = $4",
    )
    .bind(lease.sweep.0)
    .bind(&lease.host)
    .bind(&lease.owner)
    .bind(lease.token)
    .bind(until)
    .execute(&mut **tx)
    .await?;
    if held.rows_affected() == 0 {
        return Err(StoreError::LeaseLost {
            host: lease.host.clone(),
            sweep: lease.sweep.0,
        });
    }
    Ok(())
}

#[async_trait]
impl WorkStore for SqlStore {
    async fn create_workers_sweep(&self, sites: &[SiteId]) -> Result<SweepId> {
        let id = self
            .create_sweep_of_kind(sites, SweepKind::Sweep, None, None)
            .await?;
        // A crash before this leaves a sweep for one process, which the scheduler continues.
        sqlx::query("UPDATE sweeps SET by_workers = $2 WHERE id = $1")
            .bind(id.0)
            .bind(true)
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    async fn lease_hosts(
        &self,
        sweep: SweepId,
        worker: &str,
        max: usize,
        ttl: chrono::Duration,
    ) -> Result<Vec<LeasedHost>> {
        let now = whole_second(self.now());
        let until = now + ttl;
        let mut tx = self.write_tx().await?;
        // Pending sites of hosts no live lease holds; on PostgreSQL rows another leaser has
        // locked are skipped, so concurrent workers take different hosts.
        let mut q = QueryBuilder::new(
            "SELECT ss.site_id, s.host FROM sweep_sites ss JOIN sites s ON s.id = ss.site_id \
             LEFT JOIN host_leases h ON h.sweep_id = ss.sweep_id AND h.host = s.host \
             WHERE ss.sweep_id = ",
        );
        q.push_bind(sweep.0)
            .push(" AND ss.state = 'pending' AND (h.host IS NULL OR h.until < ")
            .push_bind(now)
            .push(") ORDER BY s.host, ss.site_id LIMIT ")
            .push_bind(i64::try_from(max.saturating_mul(16)).unwrap_or(i64::MAX))
            .push(LEASE_LOCK);
        let candidates: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
        let mut hosts: Vec<String> = Vec::new();
        for (_, host) in candidates {
            if hosts.last() != Some(&host) {
                hosts.push(host);
            }
        }
        let mut leased = Vec::new();
        for host in hosts {
            if leased.len() >= max {
                break;
            }
            let mut read =
                QueryBuilder::new("SELECT owner, released FROM host_leases WHERE sweep_id = ");
            read.push_bind(sweep.0)
                .push(" AND host = ")
                .push_bind(&host)
                .push(LEASE_ROW_LOCK);
            let before: Option<(String, bool)> =
                read.build_query_as().fetch_optional(&mut *tx).await?;
            if before.is_none() && !LEASE_ROW_LOCK.is_empty() {
                // No row, or one another transaction holds (skipped above): the latter is a
                // worker in the middle of a commit under its lease, or frozen in one; the
                // host is left to it rather than waited on.
                let held: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM host_leases WHERE sweep_id = $1 AND host = $2)",
                )
                .bind(sweep.0)
                .bind(&host)
                .fetch_one(&mut *tx)
                .await?;
                if held {
                    continue;
                }
            }
            // Taken only when free: a concurrent leaser's row makes the update's condition
            // false (PostgreSQL re-reads the row after the other transaction commits).
            let token: Option<i64> = sqlx::query_scalar(
                "INSERT INTO host_leases (sweep_id, host, owner, token, until, released) \
                 VALUES ($1, $2, $3, 1, $4, $6) \
                 ON CONFLICT (sweep_id, host) DO UPDATE \
                 SET owner = excluded.owner, token = host_leases.token + 1, \
                 until = excluded.until, released = excluded.released \
                 WHERE host_leases.until < $5 RETURNING token",
            )
            .bind(sweep.0)
            .bind(&host)
            .bind(worker)
            .bind(until)
            .bind(now)
            .bind(false)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(token) = token else { continue };
            let rows = sqlx::query(concat!(
                "SELECT ",
                site_cols!(),
                ", ss.probed FROM sweep_sites ss JOIN sites s ON s.id = ss.site_id \
                  LEFT JOIN entities e ON e.id = s.entity_id \
                  WHERE ss.sweep_id = $1 AND ss.state = 'pending' AND s.host = $2 ORDER BY s.id"
            ))
            .bind(sweep.0)
            .bind(&host)
            .fetch_all(&mut *tx)
            .await?;
            let mut sites = Vec::with_capacity(rows.len());
            let mut probed = false;
            for r in &rows {
                sites.push(site_from_row(r)?);
                probed |= r.try_get::<bool, _>("probed")?;
            }
            // A lease that ran out without being given back was cut off.
            let taken_from = before
                .filter(|(owner, released)| owner != worker && !released)
                .map(|(owner, _)| owner);
            leased.push(LeasedHost {
                lease: HostLease {
                    sweep,
                    host,
                    owner: worker.to_string(),
                    token,
                    until,
                },
                sites,
                probed,
                taken_from,
            });
        }
        tx.commit().await?;
        Ok(leased)
    }

    async fn renew_lease(&self, lease: &HostLease, ttl: chrono::Duration) -> Result<HostLease> {
        let until = whole_second(self.now()) + ttl;
        let mut tx = self.write_tx().await?;
        fence(&mut tx, lease, until).await?;
        tx.commit().await?;
        Ok(HostLease {
            until,
            ..lease.clone()
        })
    }

    async fn release_lease(&self, lease: &HostLease) -> Result<()> {
        // Kept with its token (a later lease counts on from it), ended one second ago.
        let ended = whole_second(self.now()) - chrono::Duration::seconds(1);
        sqlx::query(
            "UPDATE host_leases SET until = $5, released = $6 \
             WHERE sweep_id = $1 AND host = $2 AND owner = $3 AND token = $4",
        )
        .bind(lease.sweep.0)
        .bind(&lease.host)
        .bind(&lease.owner)
        .bind(lease.token)
        .bind(ended)
        .bind(true)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn commit_leased_progress(
        &self,
        lease: &HostLease,
        ttl: chrono::Duration,
        progress: &SiteProgress,
    ) -> Result<Vec<FetchId>> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        fence(&mut tx, lease, whole_second(now) + ttl).await?;
        let ids = write_progress(&mut tx, progress, now).await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn commit_probes(
        &self,
        lease: &HostLease,
        sites: &[SiteId],
        fetches: &[(NewFetch, Vec<NewFinding>)],
    ) -> Result<()> {
        let now = whole_second(self.now());
        let mut tx = self.write_tx().await?;
        // The lease's own length is kept: this only proves it is still held.
        fence(&mut tx, lease, lease.until.max(now)).await?;
        for (fetch, findings) in fetches {
            let id = insert_fetch(&mut tx, fetch).await?;
            insert_findings(&mut tx, findings, Some(id)).await?;
        }
        for site in sites {
            sqlx::query("UPDATE sweep_sites SET probed = $3 WHERE sweep_id = $1 AND site_id = $2")
                .bind(lease.sweep.0)
                .bind(site.0)
                .bind(true)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn hosts_left(&self, sweep: SweepId) -> Result<(i64, i64)> {
        let now = whole_second(self.now());
        let (left, leased): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(DISTINCT s.host), \
                    COUNT(DISTINCT CASE WHEN h.until >= $2 THEN s.host END) \
             FROM sweep_sites ss JOIN sites s ON s.id = ss.site_id \
             LEFT JOIN host_leases h ON h.sweep_id = ss.sweep_id AND h.host = s.host \
             WHERE ss.sweep_id = $1 AND ss.state = 'pending'",
        )
        .bind(sweep.0)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok((left, leased))
    }

    async fn worker_seen(
        &self,
        worker: &str,
        run: &str,
        sweep: Option<SweepId>,
        idle: bool,
    ) -> Result<()> {
        let now = whole_second(self.now());
        sqlx::query(
            "INSERT INTO workers (name, run, started_at, seen_at, sweep_id, idle) \
             VALUES ($1, $4, $2, $2, $3, $5) \
             ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at, \
             sweep_id = excluded.sweep_id, run = excluded.run, idle = excluded.idle, \
             started_at = CASE WHEN workers.run = excluded.run THEN workers.started_at \
                               ELSE excluded.started_at END",
        )
        .bind(worker)
        .bind(now)
        .bind(sweep.map(|s| s.0))
        .bind(run)
        .bind(idle)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn workers(&self, since: DateTime<Utc>) -> Result<Vec<WorkerSeen>> {
        let now = whole_second(self.now());
        let rows: Vec<(
            String,
            String,
            DateTime<Utc>,
            DateTime<Utc>,
            Option<i64>,
            bool,
            i64,
        )> = sqlx::query_as(
            "SELECT w.name, w.run, w.started_at, w.seen_at, w.sweep_id, w.idle, \
                    (SELECT COUNT(*) FROM host_leases h WHERE h.owner = w.name AND h.until >= $2) \
             FROM workers w WHERE w.seen_at >= $1 ORDER BY w.name",
        )
        .bind(since)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(name, run, started_at, seen_at, sweep, idle, hosts)| WorkerSeen {
                    name,
                    run,
                    started_at,
                    seen_at,
                    sweep: sweep.map(SweepId),
                    idle,
                    hosts,
                },
            )
            .collect())
    }

    async fn submit_leaves(&self, worker: &str, leaves: &[[u8; 32]]) -> Result<Vec<i64>> {
        let now = self.now();
        let mut ids = Vec::with_capacity(leaves.len());
        let mut tx = self.write_tx().await?;
        for chunk in leaves.chunks(500) {
            let mut q = QueryBuilder::new("INSERT INTO log_leaves (leaf, worker, submitted_at) ");
            q.push_values(chunk, |mut b, leaf| {
                b.push_bind(leaf_hex(leaf)).push_bind(worker).push_bind(now);
            });
            q.push(" RETURNING id");
            let got: Vec<i64> = q.build_query_scalar().fetch_all(&mut *tx).await?;
            ids.extend(got);
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn known_leaves(&self, leaves: &[[u8; 32]]) -> Result<Vec<bool>> {
        let hex: Vec<String> = leaves.iter().map(leaf_hex).collect();
        let mut found = std::collections::HashSet::new();
        for chunk in hex.chunks(IDS_PER_QUERY) {
            let mut q = QueryBuilder::new("SELECT leaf FROM log_leaves WHERE leaf IN (");
            let mut list = q.separated(", ");
            for leaf in chunk {
                list.push_bind(leaf.clone());
            }
            q.push(")");
            let rows: Vec<String> = q.build_query_scalar().fetch_all(&self.pool).await?;
            found.extend(rows);
        }
        Ok(hex.iter().map(|h| found.contains(h)).collect())
    }

    async fn leaf_indexes(&self, ids: &[i64]) -> Result<Vec<Option<i64>>> {
        let mut found = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut q = QueryBuilder::new("SELECT id, log_index FROM log_leaves WHERE id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(")");
            let rows: Vec<(i64, Option<i64>)> = q.build_query_as().fetch_all(&self.pool).await?;
            found.extend(rows);
        }
        Ok(ids
            .iter()
            .map(|id| found.get(id).copied().flatten())
            .collect())
    }

    async fn pending_leaves(&self, limit: i64) -> Result<Vec<PendingLeaf>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, leaf FROM log_leaves WHERE log_index IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, leaf)| {
                Ok(PendingLeaf {
                    id,
                    leaf: leaf_from_hex(&leaf)?,
                })
            })
            .collect()
    }

    async fn sequenced_count(&self) -> Result<i64> {
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(log_index) FROM log_leaves")
            .fetch_one(&self.pool)
            .await?;
        Ok(max.map_or(0, |m| m + 1))
    }

    async fn prune_sequenced_leaves(&self) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM log_leaves WHERE log_index IS NOT NULL \
             AND log_index < (SELECT MAX(log_index) FROM log_leaves)",
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn assign_leaf_indexes(&self, assigned: &[(i64, i64)]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for (id, index) in assigned {
            let done = sqlx::query(
                "UPDATE log_leaves SET log_index = $2 WHERE id = $1 AND log_index IS NULL",
            )
            .bind(id)
            .bind(index)
            .execute(&mut *tx)
            .await;
            match done {
                Ok(d) if d.rows_affected() == 1 => {}
                Ok(_) => {
                    return Err(StoreError::Conflict(format!(
                        "log leaf {id} was sequenced before"
                    )))
                }
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(StoreError::Conflict(format!(
                        "log index {index} was given before"
                    )))
                }
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn try_lead(&self) -> Result<Option<Box<dyn Leadership>>> {
        lead(&self.pool).await
    }
}
