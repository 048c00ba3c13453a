//! The SQLite backend: one database file in WAL mode, a small connection pool, versioned
//! migrations from `migrations/sqlite/`.
//!
//! The SQL is kept portable so that the PostgreSQL backend can share it: `$n` placeholders,
//! standard joins, `ON CONFLICT`, `RETURNING`, no SQLite-only functions. Dynamic filters are
//! built with `QueryBuilder`, which writes each backend's own placeholders. Nothing here knows
//! about HTTP, crawling or the import file formats.

use crate::custody::*;
use crate::model::*;
use crate::register::*;
use crate::{Result, Store, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    Category, ClueId, DistrictCode, EntityId, EntityStatus, FetchId, FindingId, LegalForm,
    Severity, SiteId, SiteKind, SweepId,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Where "now" comes from, so that tests can fix time.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The SQLite implementation of [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    clock: Clock,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

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
        Self::from_pool(pool).await
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
        Self::from_pool(pool).await
    }

    async fn from_pool(pool: SqlitePool) -> Result<SqliteStore> {
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore {
            pool,
            clock: Arc::new(Utc::now),
        })
    }

    /// Replaces the clock (tests fix time with it).
    pub fn with_clock(mut self, clock: Clock) -> SqliteStore {
        self.clock = clock;
        self
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front: a deferred
    /// transaction that reads and then writes fails at once with `SQLITE_BUSY` when another
    /// writer committed in between, where an immediate one waits out the busy timeout.
    pub(crate) async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

// --- column lists, shared by the queries below (macros so that `concat!` keeps them static) ---

macro_rules! entity_cols {
    () => {
        "e.id, e.uscc, e.needs_review, e.name, e.kind, e.district, e.address, e.domains, e.icp, \
         e.food_permit, e.legal_rep, e.phone, e.extra, e.created_at, e.updated_at, e.legal_form, \
         e.former_names, e.business_address, e.registered_capital, e.established, e.status, e.rev"
    };
}

macro_rules! site_cols {
    () => {
        "s.id, s.entity_id, s.host, s.path_prefix, s.kind, e.district, e.name AS entity_name, \
         s.origin, s.classified_kind, s.class_reason"
    };
}

macro_rules! site_from {
    () => {
        " FROM sites s LEFT JOIN entities e ON e.id = s.entity_id"
    };
}

macro_rules! fetch_cols {
    () => {
        "f.id, f.sweep_id, f.site_id, f.url, f.fetched_at, f.status, f.content_type, f.bytes, \
         f.payload_digest, f.error, f.warc_file, f.warc_offset, f.warc_digest, f.etag, \
         f.last_modified, f.warc_record_id, f.revisit_of"
    };
}

macro_rules! finding_cols {
    () => {
        "g.id, g.sweep_id, g.site_id, g.fetch_id, g.url, g.category, g.rule_id, g.rule_pack, \
         g.severity, g.excerpt, g.location, g.warc_file, g.warc_offset, g.warc_digest, \
         g.found_at, s.host, e.district"
    };
}

macro_rules! sweep_cols {
    () => {
        "w.id, w.state, w.started_at, w.finished_at, w.sites, w.pages, w.findings, w.kind"
    };
}

// The register's queries (entities in bulk, history, filings, discoveries); after the column
// macros, which it uses.
mod clues;
mod register;

// --- decoding ---

pub(crate) fn corrupt(what: &str, value: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}: {why}"))
}

pub(crate) fn district(s: &str) -> Result<DistrictCode> {
    DistrictCode::parse(s).map_err(|e| corrupt("district", s, e))
}

fn opt_district(s: Option<String>) -> Result<Option<DistrictCode>> {
    s.as_deref().map(district).transpose()
}

pub(crate) fn site_kind(s: &str) -> Result<SiteKind> {
    SiteKind::from_str(s).map_err(|e| corrupt("site kind", s, e))
}

fn sweep_state_code(s: SweepState) -> &'static str {
    match s {
        SweepState::Running => "running",
        SweepState::Finished => "finished",
    }
}

fn sweep_state(s: &str) -> Result<SweepState> {
    match s {
        "running" => Ok(SweepState::Running),
        "finished" => Ok(SweepState::Finished),
        _ => Err(corrupt("sweep state", s, "unknown")),
    }
}

fn site_state_code(s: SiteSweepState) -> &'static str {
    match s {
        SiteSweepState::Pending => "pending",
        SiteSweepState::Done => "done",
        SiteSweepState::Unreachable => "unreachable",
    }
}

pub(crate) fn evidence(
    file: Option<String>,
    offset: Option<i64>,
    digest: Option<String>,
) -> Option<EvidencePointer> {
    Some(EvidencePointer {
        warc_file: file?,
        offset: offset?,
        digest: digest?,
    })
}

pub(crate) fn entity_from_row(r: &SqliteRow) -> Result<Entity> {
    let domains: String = r.try_get("domains")?;
    let extra: String = r.try_get("extra")?;
    let kind: String = r.try_get("kind")?;
    let dist: String = r.try_get("district")?;
    let former: String = r.try_get("former_names")?;
    let form: String = r.try_get("legal_form")?;
    let status: String = r.try_get("status")?;
    let established: Option<String> = r.try_get("established")?;
    Ok(Entity {
        id: EntityId(r.try_get("id")?),
        input: EntityInput {
            uscc: r.try_get("uscc")?,
            needs_review: r.try_get("needs_review")?,
            name: r.try_get("name")?,
            former_names: serde_json::from_str(&former)
                .map_err(|e| corrupt("former_names", &former, e))?,
            kind: site_kind(&kind)?,
            legal_form: LegalForm::from_str(&form).map_err(|e| corrupt("legal_form", &form, e))?,
            status: EntityStatus::from_str(&status).map_err(|e| corrupt("status", &status, e))?,
            district: district(&dist)?,
            address: r.try_get("address")?,
            business_address: r.try_get("business_address")?,
            registered_capital: r.try_get("registered_capital")?,
            established: established
                .map(|d| NaiveDate::from_str(&d).map_err(|e| corrupt("established", &d, e)))
                .transpose()?,
            domains: serde_json::from_str(&domains).map_err(|e| corrupt("domains", &domains, e))?,
            icp: r.try_get("icp")?,
            food_permit: r.try_get("food_permit")?,
            legal_rep: r.try_get("legal_rep")?,
            phone: r.try_get("phone")?,
            extra: serde_json::from_str(&extra).map_err(|e| corrupt("extra", &extra, e))?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) fn site_from_row(r: &SqliteRow) -> Result<Site> {
    let kind: String = r.try_get("kind")?;
    let origin: String = r.try_get("origin")?;
    let classified: Option<String> = r.try_get("classified_kind")?;
    Ok(Site {
        id: SiteId(r.try_get("id")?),
        entity_id: r.try_get::<Option<i64>, _>("entity_id")?.map(EntityId),
        host: r.try_get("host")?,
        path_prefix: r.try_get("path_prefix")?,
        kind: site_kind(&kind)?,
        district: opt_district(r.try_get("district")?)?,
        entity_name: r.try_get("entity_name")?,
        origin: match origin.as_str() {
            "register" => SiteOrigin::Register,
            "discovered" => SiteOrigin::Discovered,
            other => return Err(corrupt("site origin", other, "unknown")),
        },
        classified: match classified {
            Some(k) => Some(SiteClass {
                kind: site_kind(&k)?,
                reason: r
                    .try_get::<Option<String>, _>("class_reason")?
                    .unwrap_or_default(),
            }),
            None => None,
        },
    })
}

fn fetch_from_row(r: &SqliteRow) -> Result<Fetch> {
    Ok(Fetch {
        id: FetchId(r.try_get("id")?),
        fetch: NewFetch {
            sweep_id: SweepId(r.try_get("sweep_id")?),
            site_id: SiteId(r.try_get("site_id")?),
            url: r.try_get("url")?,
            fetched_at: r.try_get("fetched_at")?,
            status: r.try_get("status")?,
            content_type: r.try_get("content_type")?,
            bytes: r.try_get("bytes")?,
            payload_digest: r.try_get("payload_digest")?,
            error: r.try_get("error")?,
            evidence: evidence(
                r.try_get("warc_file")?,
                r.try_get("warc_offset")?,
                r.try_get("warc_digest")?,
            ),
            etag: r.try_get("etag")?,
            last_modified: r.try_get("last_modified")?,
            record_id: r.try_get("warc_record_id")?,
            revisit_of: r.try_get::<Option<i64>, _>("revisit_of")?.map(FetchId),
        },
    })
}

fn finding_from_row(r: &SqliteRow) -> Result<Finding> {
    let category: String = r.try_get("category")?;
    let severity: String = r.try_get("severity")?;
    Ok(Finding {
        id: FindingId(r.try_get("id")?),
        finding: NewFinding {
            sweep_id: SweepId(r.try_get("sweep_id")?),
            site_id: SiteId(r.try_get("site_id")?),
            fetch_id: r.try_get::<Option<i64>, _>("fetch_id")?.map(FetchId),
            url: r.try_get("url")?,
            category: Category::from_str(&category)
                .map_err(|e| corrupt("category", &category, e))?,
            rule_id: r.try_get("rule_id")?,
            rule_pack: r.try_get("rule_pack")?,
            severity: Severity::from_str(&severity)
                .map_err(|e| corrupt("severity", &severity, e))?,
            excerpt: r.try_get("excerpt")?,
            location: r.try_get("location")?,
            evidence: evidence(
                r.try_get("warc_file")?,
                r.try_get("warc_offset")?,
                r.try_get("warc_digest")?,
            ),
            found_at: r.try_get("found_at")?,
        },
        host: r.try_get("host")?,
        district: opt_district(r.try_get("district")?)?,
    })
}

fn custody_from_row(r: &SqliteRow) -> Result<CustodyRecord> {
    let action: String = r.try_get("action")?;
    Ok(CustodyRecord {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: CustodyAction::parse(&action)
            .ok_or_else(|| corrupt("custody action", &action, "unknown"))?,
        subject: r.try_get("subject")?,
        reason: r.try_get("reason")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

fn sweep_from_row(r: &SqliteRow) -> Result<Sweep> {
    let state: String = r.try_get("state")?;
    Ok(Sweep {
        id: SweepId(r.try_get("id")?),
        state: sweep_state(&state)?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        sites: r.try_get("sites")?,
        pages: r.try_get("pages")?,
        findings: r.try_get("findings")?,
        kind: match r.try_get::<String, _>("kind")?.as_str() {
            "capture" => SweepKind::Capture,
            _ => SweepKind::Sweep,
        },
    })
}

// --- query helpers ---

/// Appends the scope restriction; the query must join `entities e` (through `sites s`).
pub(crate) fn push_scope(q: &mut QueryBuilder<Sqlite>, scope: Scope) {
    if let Scope::District(d) = scope {
        q.push(" AND e.district = ").push_bind(d.to_string());
    }
}

/// Appends `LIMIT`/`OFFSET`; a limit of 0 or less means no limit.
pub(crate) fn push_page(q: &mut QueryBuilder<Sqlite>, limit: i64, offset: i64) {
    if limit > 0 {
        q.push(" LIMIT ").push_bind(limit);
        if offset > 0 {
            q.push(" OFFSET ").push_bind(offset);
        }
    } else if offset > 0 {
        // Both backends accept a large LIMIT; SQLite needs one before OFFSET.
        q.push(" LIMIT ")
            .push_bind(i64::MAX)
            .push(" OFFSET ")
            .push_bind(offset);
    }
}

fn push_finding_filter(q: &mut QueryBuilder<Sqlite>, scope: Scope, f: &FindingFilter) {
    push_scope(q, scope);
    if let Some(c) = f.category {
        q.push(" AND g.category = ").push_bind(c.code());
    }
    if let Some(d) = f.district {
        q.push(" AND e.district = ").push_bind(d.to_string());
    }
    if let Some(s) = f.severity {
        q.push(" AND g.severity = ").push_bind(s.code());
    }
    if let Some(s) = f.site_id {
        q.push(" AND g.site_id = ").push_bind(s.0);
    }
}

pub(crate) fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).expect("strings serialise")
}

/// Inserts one fetch row.
async fn insert_fetch(tx: &mut Transaction<'static, Sqlite>, fetch: &NewFetch) -> Result<FetchId> {
    let ev = fetch.evidence.as_ref();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO fetches (sweep_id, site_id, url, fetched_at, status, content_type, bytes, \
         payload_digest, error, warc_file, warc_offset, warc_digest, etag, last_modified, \
         warc_record_id, revisit_of) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         RETURNING id",
    )
    .bind(fetch.sweep_id.0)
    .bind(fetch.site_id.0)
    .bind(&fetch.url)
    .bind(fetch.fetched_at)
    .bind(fetch.status)
    .bind(&fetch.content_type)
    .bind(fetch.bytes)
    .bind(&fetch.payload_digest)
    .bind(&fetch.error)
    .bind(ev.map(|e| e.warc_file.clone()))
    .bind(ev.map(|e| e.offset))
    .bind(ev.map(|e| e.digest.clone()))
    .bind(&fetch.etag)
    .bind(&fetch.last_modified)
    .bind(&fetch.record_id)
    .bind(fetch.revisit_of.map(|f| f.0))
    .fetch_one(&mut **tx)
    .await?;
    Ok(FetchId(id))
}

/// Inserts or replaces a site's saved frontier.
async fn upsert_frontier(
    tx: &mut Transaction<'static, Sqlite>,
    sweep: SweepId,
    site: SiteId,
    state: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO frontier (sweep_id, site_id, state, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sweep_id, site_id) DO UPDATE SET state = excluded.state, \
         updated_at = excluded.updated_at",
    )
    .bind(sweep.0)
    .bind(site.0)
    .bind(json(state))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts findings, skipping those already stored for the same site, rule and excerpt.
/// Returns how many were new.
async fn insert_findings(
    tx: &mut Transaction<'static, Sqlite>,
    findings: &[NewFinding],
    fetch_id: Option<FetchId>,
) -> Result<u64> {
    let mut inserted = 0;
    for f in findings {
        let ev = f.evidence.as_ref();
        let done = sqlx::query(
            "INSERT INTO findings (sweep_id, site_id, fetch_id, url, category, rule_id, \
             rule_pack, severity, excerpt, location, warc_file, warc_offset, warc_digest, found_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (site_id, rule_id, excerpt) DO NOTHING",
        )
        .bind(f.sweep_id.0)
        .bind(f.site_id.0)
        .bind(fetch_id.or(f.fetch_id).map(|i| i.0))
        .bind(&f.url)
        .bind(f.category.code())
        .bind(&f.rule_id)
        .bind(&f.rule_pack)
        .bind(f.severity.code())
        .bind(&f.excerpt)
        .bind(&f.location)
        .bind(ev.map(|e| e.warc_file.clone()))
        .bind(ev.map(|e| e.offset))
        .bind(ev.map(|e| e.digest.clone()))
        .bind(f.found_at)
        .execute(&mut **tx)
        .await?;
        inserted += done.rows_affected();
    }
    Ok(inserted)
}

/// Makes the entity's sites exactly its register domains: inserts or claims the listed
/// addresses and detaches (not deletes: fetches and findings refer to them) the others.
pub(crate) async fn sync_sites(
    tx: &mut Transaction<'static, Sqlite>,
    entity: EntityId,
    input: &EntityInput,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut wanted = BTreeSet::new();
    for d in &input.domains {
        let a = SiteAddress::parse(d)
            .map_err(|e| StoreError::Corrupt(format!("domain of {}: {e}", input.uscc)))?;
        wanted.insert((a.host, a.path_prefix));
    }
    for (host, prefix) in &wanted {
        sqlx::query(
            "INSERT INTO sites (entity_id, host, path_prefix, kind, created_at, origin) \
             VALUES ($1, $2, $3, $4, $5, 'register') \
             ON CONFLICT (host, path_prefix) \
             DO UPDATE SET entity_id = excluded.entity_id, kind = excluded.kind, \
             origin = 'register'",
        )
        .bind(entity.0)
        .bind(host)
        .bind(prefix)
        .bind(input.kind.code())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    // Sites a person attached after discovery are the person's decision, not the register's.
    let current = sqlx::query(
        "SELECT id, host, path_prefix FROM sites WHERE entity_id = $1 AND origin = 'register'",
    )
    .bind(entity.0)
    .fetch_all(&mut **tx)
    .await?;
    for r in current {
        let key: (String, String) = (r.try_get("host")?, r.try_get("path_prefix")?);
        if !wanted.contains(&key) {
            sqlx::query("UPDATE sites SET entity_id = NULL WHERE id = $1")
                .bind(r.try_get::<i64, _>("id")?)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// A new running sweep of `kind` over `sites`, each site pending.
    async fn create_sweep_of_kind(
        &self,
        sites: &[SiteId],
        kind: SweepKind,
        clue: Option<ClueId>,
    ) -> Result<SweepId> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sweeps (state, started_at, sites, pages, findings, kind, clue_id) \
             VALUES ($1, $2, $3, 0, 0, $4, $5) RETURNING id",
        )
        .bind(sweep_state_code(SweepState::Running))
        .bind(self.now())
        .bind(sites.len() as i64)
        .bind(kind.code())
        .bind(clue.map(|c| c.0))
        .fetch_one(&mut *tx)
        .await?;
        for s in sites {
            sqlx::query(
                "INSERT INTO sweep_sites (sweep_id, site_id, state) VALUES ($1, $2, $3) \
                 ON CONFLICT (sweep_id, site_id) DO NOTHING",
            )
            .bind(id)
            .bind(s.0)
            .bind(site_state_code(SiteSweepState::Pending))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(SweepId(id))
    }

    /// Live totals of a sweep: sites, fetches with a status, findings first found in it.
    async fn sweep_totals(&self, sweep: SweepId) -> Result<(i64, i64, i64)> {
        let r = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM sweep_sites WHERE sweep_id = $1) AS sites, \
               (SELECT COUNT(*) FROM fetches WHERE sweep_id = $1 AND status IS NOT NULL) AS pages, \
               (SELECT COUNT(*) FROM findings WHERE sweep_id = $1) AS findings",
        )
        .bind(sweep.0)
        .fetch_one(&self.pool)
        .await?;
        Ok((
            r.try_get("sites")?,
            r.try_get("pages")?,
            r.try_get("findings")?,
        ))
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn upsert_entities(&self, batch: &[EntityInput], source: &str) -> Result<Vec<Upsert>> {
        self.upsert_entities_impl(batch, source).await
    }

    async fn list_entities(&self, scope: Scope, filter: &EntityFilter) -> Result<Vec<Entity>> {
        self.list_entities_impl(scope, filter).await
    }

    async fn entities_since(&self, rev: i64, limit: i64) -> Result<Vec<(i64, Entity)>> {
        self.entities_since_impl(rev, limit).await
    }

    async fn entities_by_icp(&self, icp: &str) -> Result<Vec<Entity>> {
        self.entities_by_icp_impl(icp).await
    }

    async fn entities_by_name(&self, name: &str) -> Result<Vec<Entity>> {
        self.entities_by_name_impl(name).await
    }

    async fn entity_history(&self, id: EntityId) -> Result<Vec<HistoryEntry>> {
        self.entity_history_impl(id).await
    }

    async fn entity_sites(&self, id: EntityId) -> Result<Vec<Site>> {
        self.entity_sites_impl(id).await
    }

    async fn upsert_filings(&self, batch: &[FilingInput]) -> Result<Vec<(Upsert, Filing)>> {
        self.upsert_filings_impl(batch).await
    }

    async fn entity_filings(&self, id: EntityId) -> Result<Vec<Filing>> {
        self.entity_filings_impl(id).await
    }

    async fn list_discovered(
        &self,
        scope: Scope,
        filter: &DiscoveryFilter,
    ) -> Result<Vec<Discovered>> {
        self.list_discovered_impl(scope, filter).await
    }

    async fn discovered(&self, id: i64) -> Result<Option<Discovered>> {
        self.discovered_impl(id).await
    }

    async fn promote_discoveries(&self, sweep: SweepId) -> Result<Vec<Site>> {
        self.promote_discoveries_impl(sweep).await
    }

    async fn set_proposal(&self, id: i64, proposal: Option<&Proposal>) -> Result<()> {
        self.set_proposal_impl(id, proposal).await
    }

    async fn decide_discovery(
        &self,
        id: i64,
        state: DiscoveryState,
        entity: Option<EntityId>,
        by: &str,
    ) -> Result<Discovered> {
        self.decide_discovery_impl(id, state, entity, by).await
    }

    async fn entity_by_uscc(&self, uscc: &str) -> Result<Option<Entity>> {
        sqlx::query(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.uscc = $1"
        ))
        .bind(uscc)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(entity_from_row)
        .transpose()
    }

    async fn entity(&self, id: EntityId) -> Result<Option<Entity>> {
        sqlx::query(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(entity_from_row)
        .transpose()
    }

    async fn count_entities(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM entities")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn list_sites(&self, scope: Scope, filter: &SiteFilter) -> Result<Vec<Site>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE 1 = 1"
        ));
        push_scope(&mut q, scope);
        if let Some(d) = filter.district {
            q.push(" AND e.district = ").push_bind(d.to_string());
        }
        if let Some(k) = filter.kind {
            q.push(" AND s.kind = ").push_bind(k.code());
        }
        match filter.registered {
            Some(true) => {
                q.push(" AND s.entity_id IS NOT NULL");
            }
            Some(false) => {
                q.push(" AND s.entity_id IS NULL");
            }
            None => {}
        }
        q.push(" ORDER BY s.host, s.path_prefix");
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(site_from_row)
            .collect()
    }

    async fn site(&self, scope: Scope, id: SiteId) -> Result<Option<Site>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE s.id = "
        ));
        q.push_bind(id.0);
        push_scope(&mut q, scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(site_from_row)
            .transpose()
    }

    async fn site_for_url(&self, host: &str, path: &str) -> Result<Option<Site>> {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        // A host's sites: the host itself and its shops. Prefix matching is segment-wise and
        // done here rather than with LIKE, which would need escaping per backend.
        let rows = sqlx::query(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE s.host = $1"
        ))
        .bind(&host)
        .fetch_all(&self.pool)
        .await?;
        let mut best: Option<Site> = None;
        for r in &rows {
            let site = site_from_row(r)?;
            let addr = SiteAddress {
                host: site.host.clone(),
                path_prefix: site.path_prefix.clone(),
            };
            if addr.covers(path)
                && best
                    .as_ref()
                    .is_none_or(|b| b.path_prefix.len() < site.path_prefix.len())
            {
                best = Some(site);
            }
        }
        Ok(best)
    }

    async fn create_sweep(&self, sites: &[SiteId]) -> Result<SweepId> {
        self.create_sweep_of_kind(sites, SweepKind::Sweep, None)
            .await
    }

    async fn create_capture(&self, site: SiteId, clue: Option<ClueId>) -> Result<SweepId> {
        if let Some(c) = clue {
            let of: Option<i64> = sqlx::query_scalar("SELECT site_id FROM clues WHERE id = $1")
                .bind(c.0)
                .fetch_optional(&self.pool)
                .await?;
            if of != Some(site.0) {
                return Err(StoreError::NotFound(format!("clue {c} of site {site}")));
            }
        }
        self.create_sweep_of_kind(&[site], SweepKind::Capture, clue)
            .await
    }

    async fn create_clue(&self, clue: &NewClue) -> Result<ClueId> {
        self.insert_clue(clue).await
    }

    async fn clue(&self, scope: Scope, id: ClueId) -> Result<Option<Clue>> {
        self.load_clue(scope, id).await
    }

    async fn clue_fetches(&self, scope: Scope, id: ClueId) -> Result<Vec<Fetch>> {
        self.load_clue_fetches(scope, id).await
    }

    async fn unfinished_sweep(&self) -> Result<Option<Sweep>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM sweeps WHERE state = $1 AND kind = 'sweep' ORDER BY id DESC LIMIT 1",
        )
        .bind(sweep_state_code(SweepState::Running))
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => self.sweep(SweepId(id)).await,
            None => Ok(None),
        }
    }

    async fn sweep(&self, id: SweepId) -> Result<Option<Sweep>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            sweep_cols!(),
            " FROM sweeps w WHERE w.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut sweep = sweep_from_row(&row)?;
        if sweep.state == SweepState::Running {
            (sweep.sites, sweep.pages, sweep.findings) = self.sweep_totals(id).await?;
        }
        Ok(Some(sweep))
    }

    async fn list_sweeps(&self, limit: i64) -> Result<Vec<Sweep>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            sweep_cols!(),
            " FROM sweeps w ORDER BY w.id DESC"
        ));
        push_page(&mut q, limit, 0);
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut sweep = sweep_from_row(r)?;
            if sweep.state == SweepState::Running {
                (sweep.sites, sweep.pages, sweep.findings) = self.sweep_totals(sweep.id).await?;
            }
            out.push(sweep);
        }
        Ok(out)
    }

    async fn pending_sites(&self, sweep: SweepId) -> Result<Vec<Site>> {
        sqlx::query(concat!(
            "SELECT ",
            site_cols!(),
            " FROM sweep_sites ss JOIN sites s ON s.id = ss.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id \
              WHERE ss.sweep_id = $1 AND ss.state = $2 ORDER BY s.id"
        ))
        .bind(sweep.0)
        .bind(site_state_code(SiteSweepState::Pending))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(site_from_row)
        .collect()
    }

    async fn finish_site(
        &self,
        sweep: SweepId,
        site: SiteId,
        state: SiteSweepState,
        reason: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE sweep_sites SET state = $3, reason = $4 WHERE sweep_id = $1 AND site_id = $2",
        )
        .bind(sweep.0)
        .bind(site.0)
        .bind(site_state_code(state))
        .bind(reason)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "site {site} in sweep {sweep}"
            )));
        }
        Ok(())
    }

    async fn frontier(&self, sweep: SweepId, site: SiteId) -> Result<Option<serde_json::Value>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT state FROM frontier WHERE sweep_id = $1 AND site_id = $2")
                .bind(sweep.0)
                .bind(site.0)
                .fetch_optional(&self.pool)
                .await?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt("frontier state", &t, e)))
            .transpose()
    }

    async fn save_frontier(
        &self,
        sweep: SweepId,
        site: SiteId,
        state: &serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        upsert_frontier(&mut tx, sweep, site, state, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn clear_frontier(&self, sweep: SweepId, site: SiteId) -> Result<()> {
        sqlx::query("DELETE FROM frontier WHERE sweep_id = $1 AND site_id = $2")
            .bind(sweep.0)
            .bind(site.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn commit_progress(&self, progress: &SiteProgress) -> Result<Vec<FetchId>> {
        let mut tx = self.write_tx().await?;
        let mut ids = Vec::with_capacity(progress.fetches.len());
        for (fetch, findings) in &progress.fetches {
            let id = insert_fetch(&mut tx, fetch).await?;
            insert_findings(&mut tx, findings, Some(id)).await?;
            ids.push(id);
        }
        match &progress.frontier {
            FrontierUpdate::Keep => {}
            FrontierUpdate::Save(state) => {
                upsert_frontier(&mut tx, progress.sweep, progress.site, state, self.now()).await?;
            }
            FrontierUpdate::Clear => {
                sqlx::query("DELETE FROM frontier WHERE sweep_id = $1 AND site_id = $2")
                    .bind(progress.sweep.0)
                    .bind(progress.site.0)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let now = self.now();
        for d in &progress.discoveries {
            register::record_discovery(&mut tx, progress.sweep, d, now).await?;
        }
        if let Some(class) = &progress.classified {
            sqlx::query(
                "UPDATE sites SET classified_kind = $2, class_reason = $3, classified_sweep = $4 \
                 WHERE id = $1",
            )
            .bind(progress.site.0)
            .bind(class.kind.code())
            .bind(&class.reason)
            .bind(progress.sweep.0)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(shown) = &progress.shown {
            sqlx::query("UPDATE discovered_sites SET shown = $2 WHERE site_id = $1")
                .bind(progress.site.0)
                .bind(json(shown))
                .execute(&mut *tx)
                .await?;
        }
        if let Some((state, reason)) = &progress.finish {
            let done = sqlx::query(
                "UPDATE sweep_sites SET state = $3, reason = $4 \
                 WHERE sweep_id = $1 AND site_id = $2",
            )
            .bind(progress.sweep.0)
            .bind(progress.site.0)
            .bind(site_state_code(*state))
            .bind(reason.as_deref())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!(
                    "site {} in sweep {}",
                    progress.site, progress.sweep
                )));
            }
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn finish_sweep(&self, sweep: SweepId) -> Result<Sweep> {
        sqlx::query("DELETE FROM frontier WHERE sweep_id = $1")
            .bind(sweep.0)
            .execute(&self.pool)
            .await?;
        let (sites, pages, findings) = self.sweep_totals(sweep).await?;
        let done = sqlx::query(
            "UPDATE sweeps SET state = $2, finished_at = $3, sites = $4, pages = $5, findings = $6 \
             WHERE id = $1",
        )
        .bind(sweep.0)
        .bind(sweep_state_code(SweepState::Finished))
        .bind(self.now())
        .bind(sites)
        .bind(pages)
        .bind(findings)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("sweep {sweep}")));
        }
        self.sweep(sweep)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("sweep {sweep}")))
    }

    async fn record_fetch(&self, fetch: &NewFetch, findings: &[NewFinding]) -> Result<FetchId> {
        let mut tx = self.write_tx().await?;
        let id = insert_fetch(&mut tx, fetch).await?;
        insert_findings(&mut tx, findings, Some(id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn record_findings(&self, findings: &[NewFinding]) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let n = insert_findings(&mut tx, findings, None).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn fetched_urls(&self, sweep: SweepId, site: SiteId) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT url FROM fetches WHERE sweep_id = $1 AND site_id = $2 ORDER BY id",
        )
        .bind(sweep.0)
        .bind(site.0)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn site_fetches(&self, scope: Scope, site: SiteId, limit: i64) -> Result<Vec<Fetch>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            fetch_cols!(),
            " FROM fetches f JOIN sites s ON s.id = f.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id WHERE f.site_id = "
        ));
        q.push_bind(site.0);
        push_scope(&mut q, scope);
        q.push(" ORDER BY f.fetched_at DESC, f.id DESC");
        push_page(&mut q, limit, 0);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(fetch_from_row)
            .collect()
    }

    async fn sweep_fetches(&self, scope: Scope, sweep: SweepId) -> Result<Vec<Fetch>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            fetch_cols!(),
            " FROM fetches f JOIN sites s ON s.id = f.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id WHERE f.sweep_id = "
        ));
        q.push_bind(sweep.0);
        push_scope(&mut q, scope);
        q.push(" ORDER BY f.id");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(fetch_from_row)
            .collect()
    }

    async fn pages_after(
        &self,
        after: FetchId,
        limit: i64,
    ) -> Result<Vec<(Fetch, Option<DistrictCode>)>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            fetch_cols!(),
            ", e.district FROM fetches f JOIN sites s ON s.id = f.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id \
              WHERE f.id > $1 AND f.status = 200 AND f.content_type LIKE 'text/html%' \
                AND f.revisit_of IS NULL \
              ORDER BY f.id LIMIT $2"
        ))
        .bind(after.0)
        .bind(limit.max(1))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((fetch_from_row(r)?, opt_district(r.try_get("district")?)?)))
            .collect()
    }

    async fn last_validators(&self, site: SiteId, before: SweepId) -> Result<Vec<KnownPage>> {
        // Per URL, the newest fetch with a response in an earlier sweep.
        let rows = sqlx::query(
            "SELECT f.url, f.status, f.content_type, f.etag, f.last_modified, f.payload_digest, \
                    o.id AS o_id, o.warc_record_id AS o_record_id, o.fetched_at AS o_fetched_at, \
                    o.payload_digest AS o_payload_digest \
             FROM fetches f \
             LEFT JOIN fetches o ON o.id = COALESCE(f.revisit_of, f.id) \
                  AND o.status = 200 AND o.warc_record_id IS NOT NULL \
             WHERE f.site_id = $1 AND f.sweep_id < $2 AND f.status IS NOT NULL \
               AND f.id = (SELECT MAX(p.id) FROM fetches p WHERE p.site_id = f.site_id \
                           AND p.url = f.url AND p.sweep_id < $2 AND p.status IS NOT NULL) \
             ORDER BY f.url",
        )
        .bind(site.0)
        .bind(before.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KnownPage {
                    url: r.try_get("url")?,
                    status: r.try_get("status")?,
                    content_type: r.try_get("content_type")?,
                    etag: r.try_get("etag")?,
                    last_modified: r.try_get("last_modified")?,
                    payload_digest: r.try_get("payload_digest")?,
                    original: match r.try_get::<Option<i64>, _>("o_id")? {
                        None => None,
                        Some(id) => Some(OriginalCapture {
                            fetch: FetchId(id),
                            record_id: r.try_get("o_record_id")?,
                            fetched_at: r.try_get("o_fetched_at")?,
                            payload_digest: r.try_get("o_payload_digest")?,
                        }),
                    },
                })
            })
            .collect()
    }

    async fn site_history(
        &self,
        scope: Scope,
        site: SiteId,
        limit: i64,
    ) -> Result<Vec<PageHistory>> {
        // Each fetch with the previous fetch of its URL: the newest one with a response in an
        // earlier sweep (the definition `PageChange::classify` documents).
        let mut q = QueryBuilder::new(
            "SELECT f.id, f.url, f.sweep_id, f.fetched_at, f.status, f.payload_digest, \
                    f.warc_file, \
                    p.status AS prev_status, p.payload_digest AS prev_digest \
             FROM fetches f JOIN sites s ON s.id = f.site_id \
             LEFT JOIN entities e ON e.id = s.entity_id \
             LEFT JOIN fetches p ON p.id = (SELECT MAX(q.id) FROM fetches q \
                 WHERE q.site_id = f.site_id AND q.url = f.url AND q.sweep_id < f.sweep_id \
                   AND q.status IS NOT NULL) \
             WHERE f.site_id = ",
        );
        q.push_bind(site.0);
        push_scope(&mut q, scope);
        q.push(" ORDER BY f.sweep_id DESC, f.id DESC");
        push_page(&mut q, limit, 0);
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let status: Option<i32> = r.try_get("status")?;
            let digest: Option<String> = r.try_get("payload_digest")?;
            let prev_status: Option<i32> = r.try_get("prev_status")?;
            let prev_digest: Option<String> = r.try_get("prev_digest")?;
            let change = PageChange::classify(
                status,
                digest.as_deref(),
                prev_status.map(|s| (s, prev_digest.as_deref())),
            );
            out.push(PageHistory {
                fetch_id: FetchId(r.try_get("id")?),
                url: r.try_get("url")?,
                sweep_id: SweepId(r.try_get("sweep_id")?),
                fetched_at: r.try_get("fetched_at")?,
                status,
                payload_digest: digest,
                change,
                has_evidence: r.try_get::<Option<String>, _>("warc_file")?.is_some(),
            });
        }
        Ok(out)
    }

    async fn fetch(&self, scope: Scope, id: FetchId) -> Result<Option<Fetch>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            fetch_cols!(),
            " FROM fetches f JOIN sites s ON s.id = f.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id WHERE f.id = "
        ));
        q.push_bind(id.0);
        push_scope(&mut q, scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(fetch_from_row)
            .transpose()
    }

    async fn finding(&self, scope: Scope, id: FindingId) -> Result<Option<Finding>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            finding_cols!(),
            " FROM findings g JOIN sites s ON s.id = g.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id WHERE g.id = "
        ));
        q.push_bind(id.0);
        push_scope(&mut q, scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(finding_from_row)
            .transpose()
    }

    async fn list_findings(&self, scope: Scope, filter: &FindingFilter) -> Result<Vec<Finding>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            finding_cols!(),
            " FROM findings g JOIN sites s ON s.id = g.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1"
        ));
        push_finding_filter(&mut q, scope, filter);
        q.push(" ORDER BY g.id DESC");
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(finding_from_row)
            .collect()
    }

    async fn count_findings(&self, scope: Scope, filter: &FindingFilter) -> Result<i64> {
        let mut q = QueryBuilder::new(
            "SELECT COUNT(*) FROM findings g JOIN sites s ON s.id = g.site_id \
             LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1",
        );
        push_finding_filter(&mut q, scope, filter);
        Ok(q.build_query_scalar().fetch_one(&self.pool).await?)
    }

    async fn finding_counts(&self, scope: Scope) -> Result<Vec<CategoryCount>> {
        let mut q = QueryBuilder::new(
            "SELECT g.category, e.district, COUNT(*) AS n FROM findings g \
             JOIN sites s ON s.id = g.site_id LEFT JOIN entities e ON e.id = s.entity_id \
             WHERE 1 = 1",
        );
        push_scope(&mut q, scope);
        q.push(" GROUP BY g.category, e.district ORDER BY g.category, e.district");
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let category: String = r.try_get("category")?;
            out.push(CategoryCount {
                category: Category::from_str(&category)
                    .map_err(|e| corrupt("category", &category, e))?,
                district: opt_district(r.try_get("district")?)?,
                count: r.try_get("n")?,
            });
        }
        // Order by the taxonomy's order, not the codes' spelling.
        out.sort_by_key(|c| (c.category, c.district));
        Ok(out)
    }

    async fn totals(&self, scope: Scope) -> Result<Totals> {
        let d = match scope {
            Scope::City => None,
            Scope::District(d) => Some(d.to_string()),
        };
        let count = |sql: &'static str| {
            let d = d.clone();
            async move {
                let mut q = QueryBuilder::<Sqlite>::new(sql);
                if let Some(d) = d {
                    q.push(" AND e.district = ").push_bind(d);
                }
                let n: i64 = q.build_query_scalar().fetch_one(&self.pool).await?;
                Ok::<_, StoreError>(n)
            }
        };
        Ok(Totals {
            entities: count("SELECT COUNT(*) FROM entities e WHERE 1 = 1").await?,
            sites: count(
                "SELECT COUNT(*) FROM sites s LEFT JOIN entities e ON e.id = s.entity_id \
                 WHERE 1 = 1",
            )
            .await?,
            fetches: count(
                "SELECT COUNT(*) FROM fetches f JOIN sites s ON s.id = f.site_id \
                 LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1",
            )
            .await?,
            findings: count(
                "SELECT COUNT(*) FROM findings g JOIN sites s ON s.id = g.site_id \
                 LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1",
            )
            .await?,
            sweeps: sqlx::query_scalar("SELECT COUNT(*) FROM sweeps")
                .fetch_one(&self.pool)
                .await?,
        })
    }

    async fn append_custody(&self, entry: &NewCustody) -> Result<CustodyRecord> {
        // BEGIN IMMEDIATE: the read of the last hash and the insert hold the write lock
        // together, so two writers cannot chain onto the same row.
        let mut tx = self.write_tx().await?;
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
}
