//! Keeping a deployment's records safe: a consistent snapshot of the database taken while
//! writers go on, the store's own checks of a database (a restored one above all), and the
//! record of the backups made.
//!
//! SQLite snapshots itself (`VACUUM INTO`: one read transaction, so the copy is the database as
//! one commit left it, and writers are not held up in WAL mode). A PostgreSQL server is dumped
//! by its own tool, `pg_dump`, which takes the same kind of snapshot: the store says so
//! ([`SnapshotRefusal::UseServerDump`]) rather than copying tables itself.
//!
//! Must not: read or write any file but the database and a snapshot's new file (the other
//! files of a backup are the `backup` crate's).

use serde::{Deserialize, Serialize};

/// The database engine behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The stable code (`sqlite`, `postgres`), as a backup's manifest names the engine.
    pub fn code(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    /// The newest migration this build knows for the engine.
    pub fn known_schema(self) -> i64 {
        match self {
            Engine::Sqlite => crate::sqlite::known_version(),
            Engine::Postgres => crate::postgres::known_version(),
        }
    }
}

/// Why the store did not write a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotRefusal {
    /// A PostgreSQL server is backed up with `pg_dump` (see `docs/backup.md`).
    #[error("a PostgreSQL database is backed up with pg_dump")]
    UseServerDump,
    /// The snapshot's file exists already (it is never overwritten).
    #[error("{0} exists already")]
    Exists(std::path::PathBuf),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

impl SnapshotRefusal {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            SnapshotRefusal::UseServerDump => "use-pg-dump",
            SnapshotRefusal::Exists(_) => "snapshot-exists",
            SnapshotRefusal::Store(_) => "store",
        }
    }
}

/// What the store's own checks found ([`crate::MaintenanceStore::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCheck {
    pub engine: Engine,
    /// The newest migration applied to the database.
    pub schema: i64,
    /// The newest migration this build knows (opening a store applies the missing ones, so
    /// the two agree on a store that opened).
    pub known: i64,
    /// The engine's own verdict on its files and constraints: on SQLite every line of
    /// `PRAGMA integrity_check` other than `ok` and every row of `PRAGMA foreign_key_check`
    /// (on PostgreSQL the server enforces constraints as it writes: none).
    pub integrity: Vec<String>,
    /// Rows in the chain of custody.
    pub custody_rows: u64,
    /// Where the chain of custody's links break, if they do.
    pub custody_broken: Option<crate::CustodyBreak>,
}

impl StoreCheck {
    pub fn ok(&self) -> bool {
        self.schema == self.known && self.integrity.is_empty() && self.custody_broken.is_none()
    }
}

/// A backup made of the deployment, as the audit log keeps it (object `backup`, action
/// `backup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// Where the backup was written (a directory or a `.tar` / `.tar.gz` file).
    pub destination: String,
    /// Files in the backup and their bytes (the manifest aside).
    pub files: u64,
    pub bytes: u64,
    /// SHA-256 (hex) of the backup's manifest.
    pub manifest_sha256: String,
    /// The database's schema (newest migration) when it was taken.
    pub schema: i64,
    /// Whether the database is in the backup (a SQLite snapshot, or the `pg_dump` the backup
    /// ran); a backup of the files alone would say `false`.
    pub database_included: bool,
}

/// A backup recorded in the audit log: when, by whom, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedBackup {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub record: BackupRecord,
}
