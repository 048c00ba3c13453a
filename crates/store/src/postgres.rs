//! The PostgreSQL backend, for a province that outgrows one machine: a connection pool on a
//! server, versioned migrations from `migrations/postgres/` (the same versions as SQLite's,
//! with PostgreSQL's types: identity ids, `TIMESTAMPTZ`, `DATE`, `BIGINT` counters, text in
//! the "C" collation so that every order is by code point, as on SQLite). The queries are the
//! shared ones in `sql/`.

use crate::open::schema_error;
use crate::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::Connection;
use sqlx::{Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The database type the shared queries are compiled for in this module.
type Db = Postgres;

#[path = "sql/mod.rs"]
mod sql;

/// The PostgreSQL implementation of the store's traits.
pub type PgStore = sql::SqlStore;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A write transaction, at PostgreSQL's default READ COMMITTED. What must be serialised takes
/// its own lock: the counters their row (`take_counter`), the chain of custody its table
/// (`serialize_custody`).
async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
    Ok(pool.begin().await?)
}

/// Nothing to size: the server's buffers are its own.
pub(crate) type CacheSetting = ();

/// Nothing to size: the server's buffers are its own.
async fn first_load_cache(_tx: &mut Transaction<'static, Postgres>) -> Result<CacheSetting> {
    Ok(())
}

/// Nothing to size: the server's buffers are its own.
async fn restore_cache(_tx: &mut Transaction<'static, Postgres>, _was: CacheSetting) -> Result<()> {
    Ok(())
}

/// Locks the custody table against other appenders (readers go on) until the transaction
/// ends, so that reading the last row's hash and inserting the next row are one step and the
/// chain never forks.
async fn serialize_custody(tx: &mut Transaction<'static, Postgres>) -> Result<()> {
    sqlx::query("LOCK TABLE custody IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Rows another leaser has locked are skipped (the leasing transaction locks the candidate
/// sites it read, `sweep_sites` only), so concurrent workers take different hosts.
const LEASE_LOCK: &str = " FOR UPDATE OF ss SKIP LOCKED";

/// A host's lease row is skipped while another transaction holds it (a worker in the middle of
/// a commit under that lease, or frozen there): a leaser never waits on another worker.
const LEASE_ROW_LOCK: &str = " FOR UPDATE SKIP LOCKED";

/// The first key of the sequencer's advisory lock (the second is the schema's name hashed, so
/// that databases sharing a server by schema each have their own sequencer).
const SEQUENCER_LOCK: i32 = 0x7767_6a31; // "wgj1"

/// The sequencer's advisory lock, held by a connection of its own outside the pool: dropping
/// it closes the connection, and the server releases the lock.
struct AdvisoryLock {
    conn: PgConnection,
}

#[async_trait::async_trait]
impl crate::work::Leadership for AdvisoryLock {
    async fn still_held(&mut self) -> bool {
        sqlx::query("SELECT 1")
            .execute(&mut self.conn)
            .await
            .is_ok()
    }
}

/// Takes the sequencer's session advisory lock if nobody holds it.
async fn lead(pool: &PgPool) -> Result<Option<Box<dyn crate::work::Leadership>>> {
    let mut conn = pool.acquire().await?.detach();
    let got: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext(current_schema()))")
            .bind(SEQUENCER_LOCK)
            .fetch_one(&mut conn)
            .await?;
    if !got {
        let _ = conn.close().await;
        return Ok(None);
    }
    Ok(Some(Box::new(AdvisoryLock { conn })))
}

impl PgStore {
    /// Connects to the server at `url` (`postgres://…`; a `?options=-c search_path=S`
    /// parameter selects a schema) and brings the schema up to date. An unreachable server is
    /// one error naming the URL (without its password); nothing is changed.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let shown = redact(url);
        let opts = connect_options(url)?;
        // One connection first: a pool that cannot connect reports only that it timed out,
        // where a connection says why (refused, unknown host, authentication).
        let probe =
            PgConnection::connect_with(&opts)
                .await
                .map_err(|source| StoreError::Connect {
                    url: shown.clone(),
                    source,
                })?;
        probe.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .map_err(|source| StoreError::Connect { url: shown, source })?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| schema_error(e, known_version()))?;
        Ok(PgStore::from_pool(pool))
    }
}

/// The connection options a `postgres://` URL names. A URL without a user connects as the
/// operating system's user, as libpq does.
///
/// Every connection runs with `enable_memoize = off`: the planner put a Memoize node over the
/// site and entity look-ups of the console's list pages, sized for every row of the table
/// before the LIMIT, and building it took 1.7 of the 2.0 ms a page of 50 cases took at
/// 1,000,000 entities (0.3 ms without it). The store's large joins (the dashboard's groupings)
/// are hash joins, which do not use it.
pub fn connect_options(url: &str) -> Result<PgConnectOptions> {
    let mut opts = PgConnectOptions::from_str(url)
        .map_err(|_| StoreError::BadUrl(redact(url)))?
        .options([("enable_memoize", "off")]);
    if !url_names_user(url) && std::env::var_os("PGUSER").is_none() {
        if let Some(user) = os_user() {
            opts = opts.username(&user);
        }
    }
    Ok(opts)
}

/// The URL with any password replaced, for messages and `config show`.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The engine the shared queries run on in this module.
const ENGINE: crate::Engine = crate::Engine::Postgres;

/// Never called: a PostgreSQL database is dumped by the server's `pg_dump` (the shared
/// `snapshot_to` refuses before it gets here).
async fn snapshot_into(_pool: &PgPool, _path: &std::path::Path) -> Result<()> {
    Err(StoreError::Corrupt(
        "a PostgreSQL database is backed up with pg_dump".into(),
    ))
}

/// The server enforces every constraint as it writes, and has no check of its files that a
/// client can run without an extension: nothing to report.
async fn integrity_problems(_pool: &PgPool) -> Result<Vec<String>> {
    Ok(Vec::new())
}

/// The newest migration this build knows.
pub(crate) fn known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Whether the URL names a user (`postgres://user@host/…` or `?user=`).
fn url_names_user(url: &str) -> bool {
    url::Url::parse(url)
        .is_ok_and(|u| !u.username().is_empty() || u.query_pairs().any(|(k, _)| k == "user"))
}

/// The operating system's name of the user running this process, which libpq (and `psql`)
/// use when a URL names no user: `$USER`, `$LOGNAME`, else the password database's entry for
/// the process's uid.
fn os_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    for var in ["USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                return Some(v);
            }
        }
    }
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _password = f.next()?;
        (f.next()?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

/// The foreign keys onto `entities` of the tables a first load fills, as the migrations make
/// them: dropped for the load and added back after its rows, so that each is checked by one
/// join of the whole table instead of a trigger's look-up per row (all inside the load's one
/// transaction: a failed load rolls the drop back).
pub(crate) const FIRST_LOAD_FOREIGN_KEYS: [(&str, &str); 4] = [
    (
        "ALTER TABLE entity_history DROP CONSTRAINT IF EXISTS entity_history_entity_id_fkey",
        "ALTER TABLE entity_history ADD CONSTRAINT entity_history_entity_id_fkey \
         FOREIGN KEY (entity_id) REFERENCES entities(id)",
    ),
    (
        "ALTER TABLE credit_stale DROP CONSTRAINT IF EXISTS credit_stale_entity_id_fkey",
        "ALTER TABLE credit_stale ADD CONSTRAINT credit_stale_entity_id_fkey \
         FOREIGN KEY (entity_id) REFERENCES entities(id)",
    ),
    (
        "ALTER TABLE entity_names DROP CONSTRAINT IF EXISTS entity_names_entity_id_fkey",
        "ALTER TABLE entity_names ADD CONSTRAINT entity_names_entity_id_fkey \
         FOREIGN KEY (entity_id) REFERENCES entities(id)",
    ),
    (
        "ALTER TABLE sites DROP CONSTRAINT IF EXISTS sites_entity_id_fkey",
        "ALTER TABLE sites ADD CONSTRAINT sites_entity_id_fkey \
         FOREIGN KEY (entity_id) REFERENCES entities(id)",
    ),
];

/// A first load's new entities, appended with `COPY … FROM STDIN` (text format): their ids
/// drawn from the identity's sequence first, then their rows, their `created` history rows,
/// their credit marks and their former names, one COPY each, then their sites with the shared
/// multi-row INSERTs (a register site may claim one that exists, which COPY cannot). `rev`
/// advances per row, in order.
async fn append_new_entities(
    tx: &mut Transaction<'static, Postgres>,
    rows: &[&crate::EntityInput],
    source: &str,
    now: chrono::DateTime<chrono::Utc>,
    rev: &mut i64,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence('entities', 'id')) \
         FROM generate_series(1, $1)",
    )
    .bind(rows.len() as i64)
    .fetch_all(&mut **tx)
    .await?;
    ids.sort_unstable();
    let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (mut entities, mut history, mut stale, mut names) =
        (String::new(), String::new(), String::new(), String::new());
    for (e, id) in rows.iter().zip(&ids) {
        *rev += 1;
        let id = id.to_string();
        copy_row(
            &mut entities,
            &[
                Some(id.as_str()),
                Some(e.uscc.as_str()),
                e.needs_review.as_deref(),
                Some(e.name.as_str()),
                Some(e.kind.code()),
                Some(e.district.to_string().as_str()),
                e.address.as_deref(),
                Some(sql::json(&e.domains).as_str()),
                e.icp.as_deref(),
                e.food_permit.as_deref(),
                e.legal_rep.as_deref(),
                e.phone.as_deref(),
                Some(sql::json(&e.extra).as_str()),
                Some(stamp.as_str()),
                Some(stamp.as_str()),
                Some(e.legal_form.code()),
                Some(sql::json(&e.former_names).as_str()),
                e.business_address.as_deref(),
                e.registered_capital.as_deref(),
                e.established.map(|d| d.to_string()).as_deref(),
                Some(e.status.code()),
                Some(rev.to_string().as_str()),
            ],
        );
        copy_row(
            &mut history,
            &[
                Some(id.as_str()),
                Some(stamp.as_str()),
                Some(source),
                Some("created"),
                None,
                Some(e.name.as_str()),
            ],
        );
        copy_row(&mut stale, &[Some(id.as_str()), Some(stamp.as_str())]);
        let unique: std::collections::BTreeSet<&str> =
            e.former_names.iter().map(String::as_str).collect();
        for n in unique {
            copy_row(&mut names, &[Some(id.as_str()), Some(n)]);
        }
    }
    for (statement, data) in [
        (
            "COPY entities (id, uscc, needs_review, name, kind, district, address, domains, icp, \
             food_permit, legal_rep, phone, extra, created_at, updated_at, legal_form, \
             former_names, business_address, registered_capital, established, status, rev) \
             FROM STDIN",
            entities,
        ),
        (
            "COPY entity_history (entity_id, changed_at, source, field, old_value, new_value) \
             FROM STDIN",
            history,
        ),
        ("COPY credit_stale (entity_id, since) FROM STDIN", stale),
        ("COPY entity_names (entity_id, name) FROM STDIN", names),
    ] {
        if data.is_empty() {
            continue;
        }
        let mut copy = (**tx).copy_in_raw(statement).await?;
        copy.send(data.into_bytes()).await?;
        copy.finish().await?;
    }
    sql::insert_sites(tx, &register_sites(rows, &ids)?, now).await
}

/// The register sites of new entities, `ids[i]` being the id of `rows[i]`: (entity id, host,
/// path prefix, kind) of each of their domains, in order.
fn register_sites(
    rows: &[&crate::EntityInput],
    ids: &[i64],
) -> Result<Vec<(i64, String, String, &'static str)>> {
    let mut sites = Vec::with_capacity(rows.len());
    for (e, &id) in rows.iter().zip(ids) {
        for d in &e.domains {
            let a = domain::SiteAddress::parse(d).map_err(|err| {
                crate::StoreError::Corrupt(format!("domain of {}: {err}", e.uscc))
            })?;
            sites.push((id, a.host, a.path_prefix, e.kind.code()));
        }
    }
    Ok(sites)
}

/// Appends one row of COPY's text format: tab-separated, `\N` for NULL, backslash, tab,
/// newline and carriage return escaped.
fn copy_row(out: &mut String, values: &[Option<&str>]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match v {
            None => out.push_str("\\N"),
            Some(s) => {
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
        }
    }
    out.push('\n');
}
