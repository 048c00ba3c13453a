//! The SQLite backend (the default): one database file in WAL mode, a small connection pool,
//! versioned migrations from `migrations/sqlite/`. The queries are the shared ones in `sql/`.

use crate::open::schema_error;
use crate::Result;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::path::Path;
use std::time::Duration;

/// The database type the shared queries are compiled for in this module.
type Db = Sqlite;

#[path = "sql/mod.rs"]
mod sql;

pub use sql::Clock;
/// The SQLite implementation of the store's traits.
pub type SqliteStore = sql::SqlStore;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front: a deferred
/// transaction that reads and then writes fails at once with `SQLITE_BUSY` when another
/// writer committed in between, where an immediate one waits out the busy timeout. Writers
/// are serialised, so the chain of custody and the counters need nothing more.
async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// Nothing to lock: a lease is leased inside a `BEGIN IMMEDIATE` transaction, which already
/// holds the database's one write lock.
const LEASE_LOCK: &str = "";

/// Likewise (see the PostgreSQL store's).
const LEASE_ROW_LOCK: &str = "";

/// The sequencer on SQLite: every process of an embedded database runs on its one machine,
/// where the transparency log's own file lock (`evidence::tlog::Log::open`) admits one writer;
/// the store has nothing to add.
struct OneMachine;

#[async_trait::async_trait]
impl crate::work::Leadership for OneMachine {
    async fn still_held(&mut self) -> bool {
        true
    }
}

async fn lead(_pool: &SqlitePool) -> Result<Option<Box<dyn crate::work::Leadership>>> {
    Ok(Some(Box::new(OneMachine)))
}

/// Nothing to do: `BEGIN IMMEDIATE` already holds the database's one write lock.
async fn serialize_custody(_tx: &mut Transaction<'static, Sqlite>) -> Result<()> {
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A large batch (a register import) touches many index pages: with SQLite's 2 MB
            // default cache they spill to the WAL mid-transaction, and a register of a million
            // entities has a few hundred MB of indexes. Up to 256 MB per connection (pages are
            // only cached as they are read), and statement journals in memory.
            .pragma("cache_size", "-262144")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        Self::migrated(pool).await
    }

    /// A private in-memory database, for tests. One connection that is never recycled: an
    /// in-memory database lives exactly as long as its connection.
    pub async fn open_in_memory() -> Result<SqliteStore> {
        let opts = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> Result<SqliteStore> {
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| schema_error(e, known_version()))?;
        Ok(SqliteStore::from_pool(pool))
    }
}

/// The engine the shared queries run on in this module.
const ENGINE: crate::Engine = crate::Engine::Sqlite;

/// Writes a consistent copy of the database to a new file at `path` with `VACUUM INTO`: one
/// read transaction, so the copy is the database as one commit left it; in WAL mode writers go
/// on meanwhile.
async fn snapshot_into(pool: &SqlitePool, path: &Path) -> Result<()> {
    let path = path.to_str().ok_or_else(|| {
        crate::StoreError::Corrupt(format!("{} is not a UTF-8 path", path.display()))
    })?;
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(pool)
        .await?;
    Ok(())
}

/// SQLite's verdict on its file: every line of `PRAGMA integrity_check` other than `ok`, and
/// every row `PRAGMA foreign_key_check` finds (a row whose parent is missing).
async fn integrity_problems(pool: &SqlitePool) -> Result<Vec<String>> {
    use sqlx::Row;
    let mut problems: Vec<String> = sqlx::query_scalar::<_, String>("PRAGMA integrity_check")
        .fetch_all(pool)
        .await?
        .into_iter()
        .filter(|line| line != "ok")
        .collect();
    for row in sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await?
    {
        let table: String = row.try_get(0)?;
        let rowid: Option<i64> = row.try_get(1)?;
        let parent: String = row.try_get(2)?;
        problems.push(format!(
            "foreign key: {table} row {} names a missing {parent} row",
            rowid.map_or_else(|| "?".to_string(), |r| r.to_string())
        ));
    }
    Ok(problems)
}

/// The newest migration this build knows.
pub(crate) fn known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// SQLite cannot drop a foreign key: a first load keeps them (see the PostgreSQL backend's).
pub(crate) const FIRST_LOAD_FOREIGN_KEYS: [(&str, &str); 0] = [];

/// No bulk path of its own: a first load's new entities go in with the shared multi-row
/// INSERTs (SQLite parses no faster format, and those are prepared once and reused).
async fn append_new_entities(
    _tx: &mut Transaction<'static, Sqlite>,
    _rows: &[&crate::EntityInput],
    _source: &str,
    _now: chrono::DateTime<chrono::Utc>,
    _rev: &mut i64,
) -> Result<Option<Vec<i64>>> {
    Ok(None)
}
