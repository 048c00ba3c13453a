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

mod capi;
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
        Self::open_with(path, crate::Memory::default()).await
    }

    /// [`SqliteStore::open`], each connection keeping as many pages as `memory` allows.
    pub async fn open_with(path: &Path, memory: crate::Memory) -> Result<SqliteStore> {
        let cache_kib = match memory {
            crate::Memory::Ample => CACHE_KIB,
            crate::Memory::Lean => LEAN_CACHE_KIB,
        };
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A large batch (a register import into a register in use) touches many index
            // pages: with SQLite's 2 MB default cache they spill to the WAL mid-transaction,
            // and a register of a million entities has a few hundred MB of indexes. Up to
            // 256 MB per connection (pages are only cached as they are read; less for a lean
            // process, see `Memory`), and statement journals in memory.
            .pragma("cache_size", format!("-{cache_kib}"))
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| Box::pin(stable_plans(conn)))
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
            .after_connect(|conn, _| Box::pin(stable_plans(conn)))
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

/// Every connection plans a statement once, whatever its bound values (`capi::stable_plans`).
async fn stable_plans(conn: &mut sqlx::SqliteConnection) -> std::result::Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    capi::stable_plans(&mut handle).map_err(|e| sqlx::Error::Configuration(Box::new(e)))
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

/// Each connection's page cache, in KiB (see `open`).
const CACHE_KIB: u32 = 256 * 1024;

/// Each connection's page cache in a lean process ([`crate::Memory::Lean`]), in KiB.
const LEAN_CACHE_KIB: u32 = 16 * 1024;

/// A first load's page cache, in KiB. Its tables take appends and its random keys (the USCC's
/// and the sites' UNIQUE indexes, about 80 MB at 1,000,000 entities) are what it reads back:
/// loads of 1,000,000 entities took the same time with 32, 64, 128 and 256 MB (13.7–17.7 s,
/// alternating runs, 2026-12-07) and peaked at 177, 212, 283 and 427 MB of RSS.
const FIRST_LOAD_CACHE_KIB: u32 = 64 * 1024;

/// What a connection's page cache was before a first load ([`first_load_cache`]): SQLite's
/// `cache_size` setting (negative: KiB; positive: pages).
pub(crate) type CacheSetting = i64;

/// Gives the connection of a first load its page cache; returns the setting it had, for
/// [`restore_cache`]. Not transactional: a load that fails leaves its connection with the
/// first load's cache.
async fn first_load_cache(tx: &mut Transaction<'static, Sqlite>) -> Result<CacheSetting> {
    let (was,): (i64,) = sqlx::query_as("PRAGMA cache_size")
        .fetch_one(&mut **tx)
        .await?;
    set_cache(tx, -i64::from(FIRST_LOAD_CACHE_KIB)).await?;
    Ok(was)
}

/// Gives the connection of a first load back the page cache it had.
async fn restore_cache(tx: &mut Transaction<'static, Sqlite>, was: CacheSetting) -> Result<()> {
    set_cache(tx, was).await
}

async fn set_cache(tx: &mut Transaction<'static, Sqlite>, setting: i64) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA cache_size = {setting}"
    )))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Rows a first load writes through one lock of the connection's handle: between two
/// slices sqlx's worker has the connection back, and the task awaits.
const BULK_SLICE: usize = 500;

/// A first load's new entities with their history rows, credit marks, former names and
/// sites: one prepared single-row INSERT per table through SQLite's C API (`capi`: values
/// bound in place, no statement journal), `BULK_SLICE` rows per lock of the handle. Values are
/// stored as sqlx stores them (times as `DateTime<Utc>`'s encoding, dates as `%F`), so that
/// these rows read back as those of the shared multi-row INSERTs do. `rev` advances per row,
/// in order.
async fn append_new_entities(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[&crate::EntityInput],
    source: &str,
    now: chrono::DateTime<chrono::Utc>,
    rev: &mut i64,
) -> Result<()> {
    let now = time_text(now);
    for slice in rows.chunks(BULK_SLICE) {
        let mut handle = tx.lock_handle().await?;
        append_slice(&capi::Conn::new(&mut handle), slice, source, &now, rev)?;
    }
    Ok(())
}

/// One slice of [`append_new_entities`] on the locked connection: its statements prepared,
/// run for each row, finalized.
fn append_slice(
    conn: &capi::Conn<'_>,
    rows: &[&crate::EntityInput],
    source: &str,
    now: &str,
    rev: &mut i64,
) -> Result<()> {
    use capi::Value;
    let params = |n: usize| {
        (1..=n)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut entity = conn.prepare(&format!("{}VALUES ({})", sql::ENTITY_INSERT, params(21)))?;
    let mut history = conn.prepare(
        "INSERT INTO entity_history (entity_id, changed_at, source, field, old_value, \
         new_value) VALUES (?1, ?2, ?3, 'created', NULL, ?4)",
    )?;
    let mut stale = conn.prepare("INSERT INTO credit_stale (entity_id, since) VALUES (?1, ?2)")?;
    let mut former = conn.prepare("INSERT INTO entity_names (entity_id, name) VALUES (?1, ?2)")?;
    // A site another site's INSERT may already hold (a discovered one, or an earlier row's) is
    // claimed by an UPDATE of its own: an upsert's DO UPDATE would make SQLite keep a statement
    // journal for every site.
    let mut site = conn.prepare(&format!(
        "{}VALUES (?1, ?2, ?3, ?4, ?5, 'register') ON CONFLICT (host, path_prefix) DO NOTHING",
        sql::SITE_INSERT
    ))?;
    let mut claim = conn.prepare(
        "UPDATE sites SET entity_id = ?1, kind = ?2, origin = 'register' \
         WHERE host = ?3 AND path_prefix = ?4",
    )?;
    for e in rows {
        *rev += 1;
        let district = e.district.to_string();
        let domains = sql::json(&e.domains);
        let extra = sql::json(&e.extra);
        let former_names = sql::json(&e.former_names);
        let established = e.established.map(date_text);
        entity.run(&[
            e.uscc.as_str().into(),
            e.needs_review.as_deref().into(),
            e.name.as_str().into(),
            e.kind.code().into(),
            district.as_str().into(),
            e.address.as_deref().into(),
            domains.as_str().into(),
            e.icp.as_deref().into(),
            e.food_permit.as_deref().into(),
            e.legal_rep.as_deref().into(),
            e.phone.as_deref().into(),
            extra.as_str().into(),
            now.into(),
            now.into(),
            e.legal_form.code().into(),
            former_names.as_str().into(),
            e.business_address.as_deref().into(),
            e.registered_capital.as_deref().into(),
            established.as_deref().into(),
            e.status.code().into(),
            Value::Int(*rev),
        ])?;
        let id = Value::Int(conn.last_insert_rowid());
        history.run(&[id, now.into(), source.into(), e.name.as_str().into()])?;
        stale.run(&[id, now.into()])?;
        let names: std::collections::BTreeSet<&str> =
            e.former_names.iter().map(String::as_str).collect();
        for n in names {
            former.run(&[id, n.into()])?;
        }
        for d in &e.domains {
            let a = domain::SiteAddress::parse(d).map_err(|err| {
                crate::StoreError::Corrupt(format!("domain of {}: {err}", e.uscc))
            })?;
            let (host, prefix, kind) = (a.host.as_str(), a.path_prefix.as_str(), e.kind.code());
            site.run(&[id, host.into(), prefix.into(), kind.into(), now.into()])?;
            if conn.changes() == 0 {
                claim.run(&[id, kind.into(), host.into(), prefix.into()])?;
            }
        }
    }
    Ok(())
}

/// A time as sqlx stores a `DateTime<Utc>` on SQLite (what the shared queries bind and compare
/// with).
fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// A date as sqlx stores a `NaiveDate` on SQLite.
fn date_text(d: chrono::NaiveDate) -> String {
    d.format("%F").to_string()
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    /// The bulk path writes times and dates as sqlx binds them, so that its rows compare and
    /// sort with the others.
    #[tokio::test]
    async fn bulk_times_and_dates_are_sqlx_encodings() {
        let mut c = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        for t in [
            "2026-12-07T14:05:06.123456789Z",
            "2026-12-07T14:05:06.120Z",
            "2026-12-07T14:05:06Z",
        ] {
            let t = chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .with_timezone(&chrono::Utc);
            let bound: String = sqlx::query_scalar("SELECT ?1")
                .bind(t)
                .fetch_one(&mut c)
                .await
                .unwrap();
            assert_eq!(super::time_text(t), bound);
        }
        let d = chrono::NaiveDate::from_ymd_opt(2017, 3, 9).unwrap();
        let bound: String = sqlx::query_scalar("SELECT ?1")
            .bind(d)
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(super::date_text(d), bound);
    }

    /// What every connection of the store runs when it opens turns the planner's stability
    /// guarantee on (the call reads the setting back and fails if it is not on).
    #[tokio::test]
    async fn connections_plan_statements_once() {
        let mut c = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        super::stable_plans(&mut c).await.unwrap();
    }

    /// A lean store's connections keep 16 MB of pages; a first load raises its connection's
    /// cache and gives the connection back the cache it had.
    #[tokio::test]
    async fn a_lean_store_keeps_a_small_cache_and_a_first_load_gives_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::SqliteStore::open_with(&dir.path().join("t.db"), crate::Memory::Lean)
            .await
            .unwrap();
        let mut tx = store.pool.begin().await.unwrap();
        async fn cache(tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>) -> i64 {
            sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut **tx)
                .await
                .unwrap()
        }
        let lean = -i64::from(super::LEAN_CACHE_KIB);
        assert_eq!(cache(&mut tx).await, lean);
        let was = super::first_load_cache(&mut tx).await.unwrap();
        assert_eq!(was, lean);
        assert_eq!(
            cache(&mut tx).await,
            -i64::from(super::FIRST_LOAD_CACHE_KIB)
        );
        super::restore_cache(&mut tx, was).await.unwrap();
        assert_eq!(cache(&mut tx).await, lean);
    }
}
