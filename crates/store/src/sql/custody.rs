//! The chain of custody.

use super::*;
use crate::CustodyStore;
use async_trait::async_trait;

#[async_trait]
impl CustodyStore for SqlStore {
    async fn append_custody(&self, entry: &NewCustody) -> Result<CustodyRecord> {
        // The read of the last hash and the insert hold the backend's custody lock together,
        // so two writers cannot chain onto the same row.
        let mut tx = self.write_tx().await?;
        serialize_custody(&mut tx).await?;
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT id, hash FROM custody ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        let (id, prev_hash) = match last {
            Some((id, hash)) => (id + 1, hash),
            None => (1, GENESIS_HASH.to_string()),
        };
        let at = custody_time(self.now());
        let hash = custody_hash(
            id,
            at,
            &entry.actor,
            entry.action,
            &entry.subject,
            &entry.reason,
            &prev_hash,
        );
        sqlx::query(
            "INSERT INTO custody (id, at, actor, action, subject, reason, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(at)
        .bind(&entry.actor)
        .bind(entry.action.code())
        .bind(&entry.subject)
        .bind(&entry.reason)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CustodyRecord {
            id,
            at,
            actor: entry.actor.clone(),
            action: entry.action,
            subject: entry.subject.clone(),
            reason: entry.reason.clone(),
            prev_hash,
            hash,
        })
    }

    async fn custody(&self, filter: &CustodyFilter) -> Result<Vec<CustodyRecord>> {
        let mut q = QueryBuilder::new(
            "SELECT id, at, actor, action, subject, reason, prev_hash, hash FROM custody \
             WHERE 1 = 1",
        );
        if !filter.subjects.is_empty() {
            q.push(" AND subject IN (");
            let mut list = q.separated(", ");
            for s in &filter.subjects {
                list.push_bind(s.clone());
            }
            q.push(")");
        }
        q.push(" ORDER BY id DESC");
        push_page(&mut q, filter.limit, 0);
        let mut rows = q
            .build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(custody_from_row)
            .collect::<Result<Vec<_>>>()?;
        rows.reverse();
        Ok(rows)
    }

    async fn custody_head(&self) -> Result<CustodyHead> {
        // One statement: one snapshot on either engine, so the count and the hash agree.
        let (count, hash): (i64, Option<String>) = sqlx::query_as(
            "SELECT COUNT(*), (SELECT hash FROM custody ORDER BY id DESC LIMIT 1) FROM custody",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(match hash {
            Some(hash) if count > 0 => CustodyHead {
                count: count as u64,
                hash,
            },
            _ => CustodyHead::empty(),
        })
    }
}
