//! The SQL implementation of the store's traits, written once and compiled once per backend:
//! `sqlite.rs` and `postgres.rs` each include this module with their own `Db` (the sqlx
//! database type), their connection setup and the few statements that differ
//! (`begin_write`, `serialize_custody`). Everything else is portable SQL: `$n` placeholders,
//! standard joins, `ON CONFLICT`, `RETURNING`, no backend-only functions; dynamic filters are
//! built with `QueryBuilder`, which writes each backend's own placeholders.
//!
//! Watermarks for derived data (the search index) come from the `counters` table, one row per
//! watermark, updated inside the writing transaction: the row lock is held until commit, so
//! a watermark is handed out in commit order on every backend (PostgreSQL's sequences are
//! not: a later id may commit first).
//!
//! Nothing here knows about HTTP, crawling or the import file formats.

use super::{
    append_new_entities, begin_write, first_load_cache, integrity_problems, known_version,
    restore_cache, serialize_custody, snapshot_into, Db, ENGINE, FIRST_LOAD_FOREIGN_KEYS,
};
use super::{lead, LEASE_LOCK, LEASE_ROW_LOCK};
use crate::campaign::*;
use crate::cases::*;
use crate::custody::*;
use crate::discovery::*;
use crate::filings::{Filing, FilingInput, JoinedBy};
use crate::model::*;
use crate::people::*;
use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    CaseId, CaseStage, Category, ClueId, ClueSource, ClueState, DistrictCode, EntityId,
    EntityStatus, FetchId, FindingId, LegalForm, OutcomeId, Role, Severity, SiteId, SiteKind,
    Suppression, SuppressionReason, SweepId, Triage, UserId,
};
use sqlx::{Pool, QueryBuilder, Row, Transaction};
use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;

/// A row of this backend.
type DbRow = <Db as sqlx::Database>::Row;
/// A write transaction of this backend.
type Tx = Transaction<'static, Db>;

/// Where "now" comes from, so that tests can fix time.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The store on one database of this backend.
#[derive(Clone)]
pub struct SqlStore {
    pub(super) pool: Pool<Db>,
    clock: Clock,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").finish_non_exhaustive()
    }
}

impl SqlStore {
    pub(super) fn from_pool(pool: Pool<Db>) -> SqlStore {
        SqlStore {
            pool,
            clock: Arc::new(Utc::now),
        }
    }

    /// Replaces the clock (tests fix time with it).
    pub fn with_clock(mut self, clock: Clock) -> SqlStore {
        self.clock = clock;
        self
    }

    /// Closes the pool (on SQLite, checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// A write transaction (see `begin_write` of each backend).
    async fn write_tx(&self) -> Result<Tx> {
        begin_write(&self.pool).await
    }
}

/// Advances a counter (a watermark) by `n` inside `tx` and returns its new value. The
/// counter's row stays locked until `tx` ends, so values are handed out in commit order.
async fn advance_counter(tx: &mut Tx, name: &str, n: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar(
            "UPDATE counters SET value = value + $2 WHERE name = $1 RETURNING value",
        )
        .bind(name)
        .bind(n)
        .fetch_one(&mut **tx)
        .await?,
    )
}

/// Sets a counter that `tx` locked with [`advance_counter`].
async fn set_counter(tx: &mut Tx, name: &str, value: i64) -> Result<()> {
    sqlx::query("UPDATE counters SET value = $2 WHERE name = $1")
        .bind(name)
        .bind(value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks entities as needing a new credit score (`credit_stale`) inside the transaction that
/// changes their records; the re-scoring empties the mark. Every write of a record an index
/// source reads (findings and their triage, cases and outcomes, listings, evaluations,
/// commitments, the register's facts, filings) calls one of these.
pub(crate) async fn mark_credit_stale(
    tx: &mut Tx,
    entities: &[EntityId],
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in entities.chunks(500) {
        let mut q = QueryBuilder::<Db>::new("INSERT INTO credit_stale (entity_id, since) ");
        q.push_values(chunk, |mut b, e| {
            b.push_bind(e.0).push_bind(now);
        });
        q.push(" ON CONFLICT (entity_id) DO NOTHING");
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// [`mark_credit_stale`] for the entities owning `sites` (a site without an entity has no
/// credit).
pub(crate) async fn mark_credit_stale_sites(
    tx: &mut Tx,
    sites: &[SiteId],
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in sites.chunks(500) {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO credit_stale (entity_id, since) SELECT DISTINCT entity_id, ",
        );
        q.push_bind(now);
        q.push(" FROM sites WHERE entity_id IS NOT NULL AND id IN (");
        let mut sep = q.separated(", ");
        for s in chunk {
            sep.push_bind(s.0);
        }
        q.push(") ON CONFLICT (entity_id) DO NOTHING");
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// [`mark_credit_stale`] for the entity of a case.
pub(crate) async fn mark_credit_stale_case(
    tx: &mut Tx,
    case: CaseId,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO credit_stale (entity_id, since) SELECT entity_id, $2 FROM cases \
         WHERE id = $1 AND entity_id IS NOT NULL ON CONFLICT (entity_id) DO NOTHING",
    )
    .bind(case.0)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
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

macro_rules! fetch_from {
    () => {
        " FROM fetches f JOIN sites s ON s.id = f.site_id LEFT JOIN entities e ON e.id = s.entity_id"
    };
}

macro_rules! finding_cols {
    () => {
        "g.id, g.sweep_id, g.site_id, g.fetch_id, g.url, g.category, g.rule_id, g.rule_pack, \
         g.severity, g.excerpt, g.location, g.warc_file, g.warc_offset, g.warc_digest, \
         g.found_at, s.host, e.district, g.triage, g.triage_reason, g.suppressed, \
         g.suppressed_detail"
    };
}

macro_rules! sweep_cols {
    () => {
        "w.id, w.state, w.started_at, w.finished_at, w.sites, w.pages, w.findings, w.kind, \
         w.campaign_id, w.by_workers"
    };
}

// One file per aggregate trait; after the column macros, which they use.
mod badges;
mod campaigns;
mod captures;
mod cases;
mod clues;
mod complaints;
mod credit;
mod credit_lists;
mod custody;
mod dashboard;
mod discovery;
mod entities;
/// What the backends' first-load paths (`append_new_entities`) share; each uses some.
#[allow(unused_imports)]
pub(crate) use entities::{insert_sites, ENTITY_INSERT, SITE_INSERT};
mod fetches;
mod filings;
mod inspections;
mod maintenance;
mod ops;
mod people;
mod portal;
mod report;
mod sampling;
mod sites;
mod sweeps;
mod work;

// --- decoding ---

pub(crate) fn corrupt(what: &str, value: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}: {why}"))
}

pub(crate) fn district(s: &str) -> Result<DistrictCode> {
    DistrictCode::parse(s).map_err(|e| corrupt("district", s, e))
}

pub(crate) fn opt_district(s: Option<String>) -> Result<Option<DistrictCode>> {
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

pub(crate) fn entity_from_row(r: &DbRow) -> Result<Entity> {
    let domains: String = r.try_get("domains")?;
    let extra: String = r.try_get("extra")?;
    let kind: String = r.try_get("kind")?;
    let dist: String = r.try_get("district")?;
    let former: String = r.try_get("former_names")?;
    let form: String = r.try_get("legal_form")?;
    let status: String = r.try_get("status")?;
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
            established: r.try_get("established")?,
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

pub(crate) fn site_from_row(r: &DbRow) -> Result<Site> {
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

fn fetch_from_row(r: &DbRow) -> Result<Fetch> {
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

fn finding_from_row(r: &DbRow) -> Result<Finding> {
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
            suppressed: match r.try_get::<Option<String>, _>("suppressed")? {
                None => None,
                Some(code) => Some(Suppression {
                    reason: SuppressionReason::from_str(&code)
                        .map_err(|e| corrupt("suppressed", &code, e))?,
                    detail: r
                        .try_get::<Option<String>, _>("suppressed_detail")?
                        .unwrap_or_default(),
                }),
            },
        },
        host: r.try_get("host")?,
        district: opt_district(r.try_get("district")?)?,
        triage: {
            let t: String = r.try_get("triage")?;
            Triage::from_str(&t).map_err(|e| corrupt("triage", &t, e))?
        },
        triage_reason: r.try_get("triage_reason")?,
    })
}

fn custody_from_row(r: &DbRow) -> Result<CustodyRecord> {
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

fn sweep_from_row(r: &DbRow) -> Result<Sweep> {
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
            "recheck" => SweepKind::Recheck,
            _ => SweepKind::Sweep,
        },
        campaign: r
            .try_get::<Option<i64>, _>("campaign_id")?
            .map(domain::CampaignId),
        by_workers: r.try_get("by_workers")?,
    })
}

// --- query helpers ---

/// Appends the scope restriction; the query must join `entities e` (through `sites s`). Rows
/// without an entity (`e` null through a `LEFT JOIN`) are in the city's scope only.
pub(crate) fn push_scope(q: &mut QueryBuilder<Db>, scope: &Scope) {
    push_scope_on(q, scope, "e.district", "e.id");
}

/// The district a clue belongs to: the one it was dispatched to, else its site's entity's
/// (the query joins `clues c`, `sites s` and `entities e`).
pub(crate) const CLUE_DISTRICT: &str = "COALESCE(c.district, e.district)";

/// Appends the scope restriction of a clue ([`CLUE_DISTRICT`]; an evaluator's by the site's
/// entity).
pub(crate) fn push_clue_scope(q: &mut QueryBuilder<Db>, scope: &Scope) {
    push_scope_on(q, scope, CLUE_DISTRICT, "e.id");
}

/// Appends a scope restriction on the given SQL expressions of a row's district and entity
/// id (a null one is in the city's scope only).
pub(crate) fn push_scope_on(
    q: &mut QueryBuilder<Db>,
    scope: &Scope,
    district: &'static str,
    entity: &'static str,
) {
    match scope {
        Scope::City => {}
        Scope::Districts(ds) if ds.is_empty() => {
            q.push(" AND 1 = 0");
        }
        Scope::Districts(ds) => {
            q.push(" AND ").push(district).push(" IN (");
            let mut list = q.separated(", ");
            for d in ds.iter() {
                list.push_bind(d.to_string());
            }
            q.push(")");
        }
        Scope::Entities(ids) if ids.is_empty() => {
            q.push(" AND 1 = 0");
        }
        Scope::Entities(ids) => {
            q.push(" AND ").push(entity).push(" IN (");
            let mut list = q.separated(", ");
            for id in ids.iter() {
                list.push_bind(id.0);
            }
            q.push(")");
        }
    }
}

/// The rows of `q`, each mapped as it comes from the database, so that a result of a
/// province's size (the 91,000 pending sites of a sweep) is never held as raw rows beside
/// what they are mapped to.
pub(crate) async fn fetch_mapped<T>(
    pool: &sqlx::Pool<Db>,
    q: &mut QueryBuilder<Db>,
    map: impl Fn(&DbRow) -> Result<T>,
) -> Result<Vec<T>> {
    use futures::TryStreamExt;
    let mut rows = q.build().fetch(pool);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        out.push(map(&row)?);
    }
    Ok(out)
}

/// Appends `LIMIT`/`OFFSET`; a limit of 0 or less means no limit.
pub(crate) fn push_page(q: &mut QueryBuilder<Db>, limit: i64, offset: i64) {
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

/// The number of rows `from_where` (" FROM … WHERE 1 = 1") selects with the conditions
/// `conditions` pushes, stopping at `up_to` rows when given (a list's `count_up_to`): the rows
/// are then read in a subquery with that LIMIT, not all of them. A list page of a city's
/// million entities would otherwise read every row to number its pages.
pub(crate) async fn count_rows(
    pool: &Pool<Db>,
    from_where: &str,
    up_to: Option<i64>,
    conditions: impl FnOnce(&mut QueryBuilder<Db>),
) -> Result<i64> {
    let mut q = QueryBuilder::new(match up_to {
        Some(_) => format!("SELECT COUNT(*) FROM (SELECT 1{from_where}"),
        None => format!("SELECT COUNT(*){from_where}"),
    });
    conditions(&mut q);
    if let Some(n) = up_to {
        q.push(" LIMIT ").push_bind(n.max(0)).push(") t");
    }
    Ok(q.build_query_scalar().fetch_one(pool).await?)
}

/// Appends a list's `ORDER BY`: `default` when the filter names no order, else the SQL of the
/// key (`exprs`, a `match` on the closed key: a whitelist, never request text), empty values
/// last in both directions (`x IS NULL` first: SQLite sorts NULL first, PostgreSQL last), and
/// the row `id` in the same direction as the tie-breaker.
pub(crate) fn push_order<K: crate::sort::SortKey>(
    q: &mut QueryBuilder<Db>,
    sort: Option<crate::sort::Sort<K>>,
    exprs: impl Fn(K) -> Vec<String>,
    id: &str,
    default: &str,
) {
    let Some(sort) = sort else {
        q.push(" ORDER BY ").push(default);
        return;
    };
    let dir = if sort.descending { " DESC" } else { " ASC" };
    q.push(" ORDER BY ");
    for e in exprs(sort.key) {
        q.push(format!("({e}) IS NULL, {e}{dir}, "));
    }
    q.push(id).push(dir);
}

/// A closed enum's column in the enum's own order (its `ALL`), not its codes' alphabetical
/// one: `CASE col WHEN 'code' THEN 0 … END`. The codes are the enum's constants.
pub(crate) fn rank(col: &str, codes: impl IntoIterator<Item = &'static str>) -> String {
    let mut s = format!("CASE {col}");
    for (i, c) in codes.into_iter().enumerate() {
        debug_assert!(c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)));
        s.push_str(&format!(" WHEN '{c}' THEN {i}"));
    }
    s.push_str(" END");
    s
}

pub(crate) fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).expect("strings serialise")
}
