//! Snapshots, the store's own checks and the record of backups (see `crate::maintenance`);
//! what differs per engine (`snapshot_into`, `integrity_problems`) is in the backend's module.

use super::people::audit;
use super::*;
use crate::maintenance::{BackupRecord, Engine, RecordedBackup, SnapshotRefusal, StoreCheck};
use crate::{CustodyStore, MaintenanceStore};
use async_trait::async_trait;
use std::path::Path;

/// The audit log's object for backups.
const BACKUP_OBJECT: &str = "backup";

#[async_trait]
impl MaintenanceStore for SqlStore {
    fn engine(&self) -> Engine {
        ENGINE
    }

    async fn schema_version(&self) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&self.pool)
        .await?
        .unwrap_or(0))
    }

    async fn snapshot_to(&self, path: &Path) -> std::result::Result<(), SnapshotRefusal> {
        if ENGINE == Engine::Postgres {
            return Err(SnapshotRefusal::UseServerDump);
        }
        if path.exists() {
            return Err(SnapshotRefusal::Exists(path.to_path_buf()));
        }
        snapshot_into(&self.pool, path).await?;
        Ok(())
    }

    async fn check(&self) -> Result<StoreCheck> {
        let schema = self.schema_version().await?;
        let integrity = integrity_problems(&self.pool).await?;
        let rows = self.custody(&crate::CustodyFilter::chain()).await?;
        // The links only: the heads checkpoints commit to are `evidence verify`'s.
        let custody_broken = crate::audit_custody(&rows, &[]).broken;
        Ok(StoreCheck {
            engine: ENGINE,
            schema,
            known: known_version(),
            integrity,
            custody_rows: rows.len() as u64,
            custody_broken,
        })
    }

    async fn record_backup(&self, record: &BackupRecord, by: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let value = serde_json::to_value(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        audit(
            &mut tx,
            self.now(),
            by,
            BACKUP_OBJECT,
            "backup",
            None,
            Some(value),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn last_backup(&self) -> Result<Option<RecordedBackup>> {
        let row = sqlx::query(
            "SELECT at, actor, new_value FROM audit WHERE object = $1 AND action = 'backup' \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(BACKUP_OBJECT)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let text: Option<String> = row.try_get("new_value")?;
        let text = text.unwrap_or_default();
        let record: BackupRecord =
            serde_json::from_str(&text).map_err(|e| corrupt("backup record", &text, e))?;
        Ok(Some(RecordedBackup {
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            record,
        }))
    }
}
