//! The records of wangjian: entities, sites, sweeps, fetches and findings, behind one trait per
//! aggregate ([`Store`] is all of them), on two engines (SQLite by default, PostgreSQL to scale
//! out: [`open`] takes a [`DatabaseUrl`]), each with its own versioned migrations. Only this
//! crate knows SQL.
//!
//! # Scope: no read without one
//!
//! Every read method that returns district-owned rows takes a [`Scope`]: there is no read of
//! them without one. District-owned rows are the register's entities and what hangs off them —
//! their history, filings and sites; the fetches and findings of those sites and people's triage
//! of them; clues; discovered sites (through the entity proposed for them); and custody rows
//! about any of these (see [`CustodyFilter`]). A row with no entity (a discovered site not yet
//! attached) is the city's only. A row out of scope is answered exactly as a missing one
//! (`None`, an empty list, a smaller count, `NotFound`), so an id of another district tells
//! nothing. Sweeps themselves (`sweep`, `list_sweeps`), users, sessions and the audit log are
//! the bureau's, not a district's (an object's audit rows are read for a person only after the
//! object itself was found in their scope).
//!
//! People pass their own scope (`User::scope`); system processes that act for the whole bureau
//! — a sweep, the register import, the matcher, the search index's sync, the command line —
//! pass [`Scope::City`] explicitly, so every unrestricted read is visible at its call site.
//!
//! Writes that change the register or casework are audited in the same transaction. Views and
//! exports of evidence go to the chain of custody ([`custody`]): append-only and hash-chained.
//! Timestamps are UTC; ids are integers.

// `sql/` is compiled twice on purpose, once per backend (`sqlite.rs` and `postgres.rs` each
// include it with their own database type): the queries are written once and type-checked
// against both.
#![allow(clippy::duplicate_mod)]

pub mod badges;
pub mod campaign;
pub mod capture;
pub mod cases;
pub mod clue;
pub mod complaint;
pub mod credit;
pub mod credit_lists;
pub mod custody;
pub mod dashboard;
pub mod discovery;
pub mod filings;
pub mod import;
pub mod inspection;
pub mod maintenance;
pub mod model;
mod open;
pub mod ops;
pub mod people;
pub mod portal;
mod postgres;
pub mod report;
pub mod sampling;
pub mod sort;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
pub mod work;

pub use badges::{Badge, BadgeChange, BadgeCheck, BadgeFilter, NewBadge};
pub use campaign::{
    Campaign, CampaignState, CampaignTargets, NewCampaign, ScheduleRun, SiteSelection,
};
pub use capture::{
    CaptureRequest, CaptureRequestFilter, CaptureState, CaptureStep, NewCaptureRequest, StepRefusal,
};
pub use cases::{Case, CaseFilter, DueRectification, NewCase, Outcome, OutcomeDetail, Recheck};
pub use complaint::{
    Complainant, Complaint, ComplaintChange, ComplaintCounts, ComplaintEvent, ComplaintFilter,
    ComplaintLinks, Intake, NewComplaint, PublicComplaint, Subject,
};
pub use credit::*;
pub use credit_lists::{
    Commitment, Evaluation, Listing, ListingFilter, ListingInput, NewCommitment, NewEvaluation,
    NewRepair, PenaltyRecord, Removal, Repair, RepairDecision, RepairFilter,
};
pub use custody::*;
pub use dashboard::{NewFindingCount, NewFindings, SweepProgress, WeekCount};
pub use discovery::*;
pub use filings::{conflicts, Conflict, Filing, FilingInput, JoinedBy};
pub use inspection::{
    Attachment, CaseRef, Inspection, InspectionFilter, NewAttachment, NewInspection, Officer,
};
pub use maintenance::{BackupRecord, Engine, RecordedBackup, SnapshotRefusal, StoreCheck};
pub use model::*;
pub use open::{open, open_with, DatabaseUrl, Memory};
pub use people::*;
pub use portal::{EntityHit, ModelSite, NewNotice, Notice, VisitCount};
pub use postgres::{connect_options as pg_connect_options, redact as redact_password, PgStore};
pub use report::{Figure, FigureCount, FigureRecord, Period, RecordKind, ReportSubject, Section};
pub use sampling::{
    Draw, DrawEntity, DrawInspector, DrawResult, DrawSummary, NewDraw, NewDrawEntity,
    NewSamplingPlan, PlanState, PoolInspector, PopulationFilter, PopulationRow, SamplingPlan,
};
pub use sort::*;
pub use sqlite::{Clock, SqliteStore};
pub use work::{HostLease, Leadership, LeasedHost, PendingLeaf, WorkStore, WorkerSeen};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    AttachmentId, BadgeSerial, BadgeState, CampaignId, CaptureRequestId, CaseId, CaseStage, ClueId,
    ClueState, CommitmentId, DistrictCode, EntityId, FetchId, FindingId, InspectionId, ListingId,
    NoticeId, OutcomeId, ProofResult, RepairId, SiteId, SweepId, UserId,
};

/// A store error. Database details are for logs, never for end users.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// An error of SQLite's C API, called directly by the SQLite store's bulk path.
    #[error("database error: SQLite error {code}: {message}")]
    Sqlite { code: i32, message: String },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database's schema has a migration this build does not know: it was written by a
    /// newer wangjian. Nothing was changed.
    #[error("the database schema has migration {found}, which this build does not know (it knows up to {known}): it was written by a newer wangjian")]
    SchemaNewer { found: i64, known: i64 },
    #[error("cannot connect to the database at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("not a database URL: {0:?} (expected sqlite://PATH, a file path, or postgres://…)")]
    BadUrl(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The change would break a uniqueness rule (a username taken, …), or the row changed
    /// meanwhile.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A step on a capture request that its state or its people do not allow.
    #[error("capture request: {0}")]
    Step(#[from] StepRefusal),
    /// A worker's lease of a host was taken over by another worker (it ran out): nothing of
    /// the commit was written.
    #[error("the lease of {host} in sweep {sweep} was taken over by another worker")]
    LeaseLost { host: String, sweep: i64 },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything wangjian needs from its records: one trait per aggregate, implemented once per
/// backend ([`SqliteStore`], [`PgStore`]); the same test suite runs against every
/// implementation. Callers hold an `Arc<dyn Store>` and bring the aggregate traits they use
/// into scope (`use store::prelude::*`).
pub trait Store:
    EntityStore
    + FilingStore
    + DiscoveryStore
    + SiteStore
    + SweepStore
    + FetchStore
    + ClueStore
    + CaseStore
    + CustodyStore
    + PeopleStore
    + AuditStore
    + CaptureRequestStore
    + InspectionStore
    + CampaignStore
    + ReportStore
    + DashboardStore
    + ScheduleStore
    + SamplingStore
    + CreditListStore
    + CreditStore
    + ComplaintStore
    + PortalStore
    + BadgeStore
    + MaintenanceStore
    + OpsStore
    + WorkStore
{
}

impl<T> Store for T where
    T: EntityStore
        + FilingStore
        + DiscoveryStore
        + SiteStore
        + SweepStore
        + FetchStore
        + ClueStore
        + CaseStore
        + CustodyStore
        + PeopleStore
        + AuditStore
        + CaptureRequestStore
        + InspectionStore
        + CampaignStore
        + ReportStore
        + DashboardStore
        + ScheduleStore
        + SamplingStore
        + CreditListStore
        + CreditStore
        + ComplaintStore
        + PortalStore
        + BadgeStore
        + MaintenanceStore
        + OpsStore
        + WorkStore
{
}

/// The store's traits, for `use store::prelude::*`.
pub mod prelude {
    pub use crate::{
        AuditStore, BadgeStore, CampaignStore, CaptureRequestStore, CaseStore, ClueStore,
        ComplaintStore, CreditListStore, CreditStore, CustodyStore, DashboardStore, DiscoveryStore,
        EntityStore, FetchStore, FilingStore, InspectionStore, MaintenanceStore, OpsStore,
        PeopleStore, PortalStore, ReportStore, SamplingStore, ScheduleStore, SiteStore, Store,
        SweepStore, WorkStore,
    };
}

/// Keeping the records safe (`maintenance.rs`): a consistent snapshot while writers go on, the
/// store's own checks, and the backups made (kept in the audit log as object `backup`).
#[async_trait]
pub trait MaintenanceStore: Send + Sync {
    /// The engine behind the store.
    fn engine(&self) -> Engine;
    /// The newest migration applied to the database.
    async fn schema_version(&self) -> Result<i64>;
    /// Writes a consistent snapshot of the database to a new file at `path` while writers go
    /// on (SQLite: `VACUUM INTO`); on PostgreSQL [`SnapshotRefusal::UseServerDump`]. An
    /// existing file is never overwritten.
    async fn snapshot_to(&self, path: &std::path::Path)
        -> std::result::Result<(), SnapshotRefusal>;
    /// The store's own checks ([`StoreCheck`]): schema up to date, the engine's integrity
    /// check, the chain of custody's links.
    async fn check(&self) -> Result<StoreCheck>;
    /// Records a backup made, in the audit log.
    async fn record_backup(&self, record: &BackupRecord, by: &Actor) -> Result<()>;
    /// The latest backup recorded.
    async fn last_backup(&self) -> Result<Option<RecordedBackup>>;
}

/// License badges (亮照): applications, proofs, the badges staff issue and their changes,
/// and the sweeps' checks. A badge is read in a scope through its entity; every change is a
/// compare-and-set on the state read, audited as `badge:<serial>` and, when the badge's
/// validity changes, marks its entity for re-scoring, in one transaction.
#[async_trait]
pub trait BadgeStore: Send + Sync {
    /// Records an application of an entity in scope (`NotFound` outside it).
    async fn add_badge(&self, scope: Scope, new: &NewBadge, by: &Actor) -> Result<Badge>;
    /// Records a proof attempt on an application still `applied` (`Conflict` otherwise); a
    /// `proven` result moves it to `proven` (`Conflict` when another badge holds the domain).
    async fn record_badge_proof(
        &self,
        serial: BadgeSerial,
        result: ProofResult,
        detail: Option<&str>,
        by: &Actor,
    ) -> Result<Badge>;
    /// Applies a change to a badge in scope whose state is still `from` (`NotFound` outside
    /// the scope, `Conflict` when the state moved meanwhile).
    async fn change_badge(
        &self,
        scope: Scope,
        serial: BadgeSerial,
        from: BadgeState,
        change: &BadgeChange,
        by: &Actor,
    ) -> Result<Badge>;
    /// The badge, when its entity is in scope.
    async fn badge(&self, scope: Scope, serial: BadgeSerial) -> Result<Option<Badge>>;
    /// The application with this tracking code, when its entity is in scope.
    async fn badge_by_tracking(&self, scope: Scope, tracking: &str) -> Result<Option<Badge>>;
    /// Badges in scope, the newest first.
    async fn badges(&self, scope: Scope, filter: &BadgeFilter) -> Result<Vec<Badge>>;
    /// How many badges [`BadgeStore::badges`] would return without paging.
    async fn count_badges(&self, scope: Scope, filter: &BadgeFilter) -> Result<i64>;
    /// Every badge ever issued (issued, suspended, revoked): what a sweep checks pages
    /// against (the sweep acts for the city).
    async fn issued_badges(&self) -> Result<Vec<Badge>>;
    /// Records a sweep's verdicts (no audit: a system observation, like a fetch).
    async fn record_badge_checks(&self, checks: &[BadgeCheck]) -> Result<()>;
}

/// The register: entities keyed by USCC, their history and their sites.
#[async_trait]
pub trait EntityStore: Send + Sync {
    /// Inserts or updates a batch of entities and their sites in one transaction. An entity is
    /// keyed by USCC; a re-import of identical data is `Unchanged` and writes nothing. Every
    /// change is kept in the entity's history with `source`; a changed name joins the former
    /// names.
    async fn upsert_entities(&self, batch: &[EntityInput], source: &str) -> Result<Vec<Upsert>>;
    /// Applies a register import's batches as they arrive (each as
    /// [`EntityStore::upsert_entities`] does), and says how many entities each batch created,
    /// updated or left unchanged, added up. The USCCs of all batches must be distinct (the
    /// import rejects a repeated one). Into an empty register the load is one transaction that
    /// builds the indexes of random keys after the rows (a failure leaves the register empty,
    /// every index in place); into a register in use each batch is its own transaction.
    async fn import_entity_batches(
        &self,
        batches: &mut (dyn futures::Stream<Item = Vec<EntityInput>> + Send + Unpin),
        source: &str,
    ) -> Result<UpsertCounts>;
    /// The entity in scope with this USCC.
    async fn entity_by_uscc(&self, scope: Scope, uscc: &str) -> Result<Option<Entity>>;
    /// The entity in scope with this id (a site's `entity_id`).
    async fn entity(&self, scope: Scope, id: EntityId) -> Result<Option<Entity>>;
    /// The entities in scope among `ids`, in id order, in one query (a page of search hits);
    /// an id unknown or out of scope is left out.
    async fn entities_by_ids(&self, scope: Scope, ids: &[EntityId]) -> Result<Vec<Entity>>;
    /// How many entities are in scope.
    async fn count_entities(&self, scope: Scope) -> Result<i64>;
    /// Entities in scope, by id.
    async fn list_entities(&self, scope: Scope, filter: &EntityFilter) -> Result<Vec<Entity>>;
    /// How many entities in scope [`EntityStore::list_entities`] would return without paging.
    async fn count_entities_in(&self, scope: Scope, filter: &EntityFilter) -> Result<i64>;
    /// Entities in scope changed after revision `rev`, in revision order, with their revision
    /// (for keeping derived data such as the search index in step).
    async fn entities_since(
        &self,
        scope: Scope,
        rev: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Entity)>>;
    /// Entities in scope with this ICP filing number (the `-n` site suffix ignored).
    async fn entities_by_icp(&self, scope: Scope, icp: &str) -> Result<Vec<Entity>>;
    /// Entities in scope with this name or former name, exactly.
    async fn entities_by_name(&self, scope: Scope, name: &str) -> Result<Vec<Entity>>;
    /// An entity's changes, oldest first (none when the entity is not in scope).
    async fn entity_history(&self, scope: Scope, id: EntityId) -> Result<Vec<HistoryEntry>>;
    /// The sites of an entity (registered or confirmed discoveries); none when the entity is
    /// not in scope.
    async fn entity_sites(&self, scope: Scope, id: EntityId) -> Result<Vec<Site>>;
}

/// Other departments' filings, joined to entities by USCC, else by domain.
#[async_trait]
pub trait FilingStore: Send + Sync {
    /// Inserts or updates a batch of filings in one transaction, each joined to its entity by
    /// USCC, else by domain. Keyed by source and record key; identical data is `Unchanged`.
    /// Returns each filing as stored, with its join.
    async fn upsert_filings(&self, batch: &[FilingInput]) -> Result<Vec<(Upsert, Filing)>>;
    /// The filings joined to an entity in scope, by source and key (none when the entity is
    /// not in scope). A filing's [`Filing::domain_entity`] is looked up in the same scope: an
    /// owner of its domain outside the scope is not named.
    async fn entity_filings(&self, scope: Scope, id: EntityId) -> Result<Vec<Filing>>;
    /// The filings that name a web address no registered site (nor a confirmed discovery)
    /// covers, by source and key: where discovery from department data starts.
    async fn unsited_filings(&self) -> Result<Vec<Filing>>;
}

/// Sites found by links, filings and certificate transparency logs, the logs' positions, and
/// the decisions on them.
#[async_trait]
pub trait DiscoveryStore: Send + Sync {
    /// Discovered sites in scope: a discovery belongs to the entity it is proposed for (or
    /// confirmed as); one with no proposal is the city's only.
    async fn list_discovered(
        &self,
        scope: Scope,
        filter: &DiscoveryFilter,
    ) -> Result<Vec<Discovered>>;
    /// How many discovered sites [`DiscoveryStore::list_discovered`] would return without
    /// paging.
    async fn count_discovered(&self, scope: Scope, filter: &DiscoveryFilter) -> Result<i64>;
    /// A discovered site in scope (the rule of [`DiscoveryStore::list_discovered`]).
    async fn discovered(&self, scope: Scope, id: i64) -> Result<Option<Discovered>>;
    /// Turns the sweep's new discoveries (neither promoted nor rejected) into sites to crawl
    /// (entity unknown, origin `discovered`) and adds them to the sweep as pending. Returns the
    /// sites added.
    async fn promote_discoveries(&self, sweep: SweepId) -> Result<Vec<Site>>;
    /// Records (or clears) the matcher's proposal.
    async fn set_proposal(&self, id: i64, proposal: Option<&Proposal>) -> Result<()>;
    /// A person's decision: `Confirmed` attaches the site to `entity`; `Rejected` stops it
    /// being crawled as a discovery.
    async fn decide_discovery(
        &self,
        id: i64,
        state: DiscoveryState,
        entity: Option<EntityId>,
        by: &Actor,
    ) -> Result<Discovered>;
    /// Records sightings made outside a sweep (a filing, a certificate) in one transaction;
    /// one read again changes nothing. Returns how many sites were new.
    async fn record_discoveries(&self, found: &[NewDiscovery]) -> Result<usize>;
    /// The hops of the discovered sites that were promoted and are still open (unverified or
    /// new), by site: how far their own links are from the register.
    async fn discovered_hops(&self) -> Result<std::collections::HashMap<SiteId, u32>>;
    /// Marks (or clears) the registered site a discovered host imitates, its entity (the
    /// imitation's `owner`) and how.
    async fn set_imitation(
        &self,
        id: i64,
        imitation: Option<&domain::lookalike::Imitation>,
    ) -> Result<()>;
    /// Discovered sites in scope by source and state, one row per source (all three, zeros
    /// included).
    async fn discovery_stats(&self, scope: Scope) -> Result<Vec<SourceStats>>;
    /// The certificate transparency logs read so far, by name.
    async fn ct_logs(&self) -> Result<Vec<CtLogState>>;
    /// A log's state, registering it on first use. A log whose key changed under the same
    /// name is a `Conflict`: its saved position belongs to another log.
    async fn ct_log(&self, name: &str, url: &str, log_id: &str) -> Result<CtLogState>;
    /// One verified batch of a log, in one transaction: its new position, the entries read
    /// and skipped, and the discoveries its certificates gave. Returns how many sites were
    /// new.
    async fn save_ct_batch(
        &self,
        name: &str,
        position: &serde_json::Value,
        read: i64,
        skipped: i64,
        found: &[NewDiscovery],
    ) -> Result<usize>;
    /// A log's tree head, proof or answer failed: recorded, the position unmoved.
    async fn ct_failure(&self, name: &str, code: &str, detail: &str) -> Result<()>;
}

/// Sites (hosts, and shops on a platform) in scope.
#[async_trait]
pub trait SiteStore: Send + Sync {
    /// Sites in scope, by host.
    async fn list_sites(&self, scope: Scope, filter: &SiteFilter) -> Result<Vec<Site>>;
    /// How many sites in scope [`SiteStore::list_sites`] would return without paging.
    async fn count_sites(&self, scope: Scope, filter: &SiteFilter) -> Result<i64>;
    async fn site(&self, scope: Scope, id: SiteId) -> Result<Option<Site>>;
    /// The site for a host and URL path: a platform shop whose prefix matches the path wins
    /// over the platform's own host. The owner is decided among all sites and then answered
    /// only when it is in scope (a shop outside the scope never hands its URLs to the
    /// platform's site).
    async fn site_for_url(&self, scope: Scope, host: &str, path: &str) -> Result<Option<Site>>;
}

/// Sweeps and captures, the state of each site within them, their saved frontiers.
#[async_trait]
pub trait SweepStore: Send + Sync {
    /// Starts a sweep over the given sites (each `Pending`).
    async fn create_sweep(&self, sites: &[SiteId]) -> Result<SweepId>;
    /// A sweep of kind [`SweepKind::Capture`] over one site: an inspector's evidence capture,
    /// taken for `clue` when given (which must be a clue of that site).
    async fn create_capture(&self, site: SiteId, clue: Option<ClueId>) -> Result<SweepId>;
    /// Starts a campaign's sweep over its sites (each `Pending`), recorded with the campaign.
    async fn create_campaign_sweep(
        &self,
        sites: &[SiteId],
        campaign: CampaignId,
    ) -> Result<SweepId>;
    /// A sweep of kind [`SweepKind::Recheck`] over one site: a rectification re-check.
    async fn create_recheck(&self, site: SiteId) -> Result<SweepId>;
    /// Records one fetch of a re-check sweep with the findings its page showed: new findings
    /// are stored as usual, and every finding shown (new or stored before, same site, rule and
    /// excerpt) is linked to the re-check, so that it says what the page shows now.
    async fn record_recheck_fetch(
        &self,
        fetch: &NewFetch,
        findings: &[NewFinding],
    ) -> Result<FetchId>;
    /// The findings a re-check sweep's pages showed (see
    /// [`SweepStore::record_recheck_fetch`]), in scope, by id.
    async fn recheck_findings(&self, scope: Scope, sweep: SweepId) -> Result<Vec<Finding>>;
    /// The most recent sweep of kind [`SweepKind::Sweep`] (a city sweep or a campaign's) that
    /// has not finished, if any: the one to continue before any other is started.
    async fn unfinished_sweep(&self) -> Result<Option<Sweep>>;
    async fn sweep(&self, id: SweepId) -> Result<Option<Sweep>>;
    async fn list_sweeps(&self, limit: i64) -> Result<Vec<Sweep>>;
    /// Sites of a sweep still `Pending`, in scope.
    async fn pending_sites(&self, scope: Scope, sweep: SweepId) -> Result<Vec<Site>>;
    /// Marks a site done (or unreachable, with the reason) within a sweep.
    async fn finish_site(
        &self,
        sweep: SweepId,
        site: SiteId,
        state: SiteSweepState,
        reason: Option<&str>,
    ) -> Result<()>;
    /// The saved crawl frontier of a site in scope in progress within a sweep (JSON), if any.
    async fn frontier(
        &self,
        scope: Scope,
        sweep: SweepId,
        site: SiteId,
    ) -> Result<Option<serde_json::Value>>;
    /// Saves (replaces) the crawl frontier of a site in progress within a sweep.
    async fn save_frontier(
        &self,
        sweep: SweepId,
        site: SiteId,
        state: &serde_json::Value,
    ) -> Result<()>;
    /// Deletes the saved crawl frontier of a site (no error when there is none).
    async fn clear_frontier(&self, sweep: SweepId, site: SiteId) -> Result<()>;
    /// Records a site's fetches and findings, updates its frontier and optionally finishes it,
    /// all in one transaction. Returns the ids of the fetches recorded, in order.
    async fn commit_progress(&self, progress: &SiteProgress) -> Result<Vec<FetchId>>;
    /// Closes a sweep and stores its totals (and drops any frontier it left).
    async fn finish_sweep(&self, sweep: SweepId) -> Result<Sweep>;
    /// Per WARC file, the offset of the last record a fetch or finding of the sweep points at:
    /// the evidence the store has committed, which a resumed sweep's repair must never cut.
    /// Positions in the bureau's evidence files, no row of a district: read without a scope,
    /// like the sweep itself.
    async fn committed_evidence(&self, sweep: SweepId) -> Result<Vec<CommittedWarc>>;
}

/// Fetches (each pointing at its evidence record) and the findings on them.
#[async_trait]
pub trait FetchStore: Send + Sync {
    /// Records one fetch and its findings in one transaction.
    async fn record_fetch(&self, fetch: &NewFetch, findings: &[NewFinding]) -> Result<FetchId>;
    /// Findings (without fetch) such as register checks, deduplicated per site, rule and excerpt.
    async fn record_findings(&self, findings: &[NewFinding]) -> Result<u64>;
    /// URLs already fetched for a site in scope in a sweep (for resuming).
    async fn fetched_urls(&self, scope: Scope, sweep: SweepId, site: SiteId)
        -> Result<Vec<String>>;
    async fn site_fetches(&self, scope: Scope, site: SiteId, limit: i64) -> Result<Vec<Fetch>>;
    /// Fetches of a sweep in scope, in the order they were recorded (for evidence export).
    async fn sweep_fetches(&self, scope: Scope, sweep: SweepId) -> Result<Vec<Fetch>>;
    /// What earlier sweeps (before `before`) knew of the site's pages: per URL, its newest
    /// fetch with a response (validators for a conditional GET, status and payload digest to
    /// tell an unchanged page), by URL. None when the site is not in scope.
    async fn last_validators(
        &self,
        scope: Scope,
        site: SiteId,
        before: SweepId,
    ) -> Result<Vec<KnownPage>>;
    /// A site's change history, newest sweep first: each fetch classified against the previous
    /// fetch of its URL ([`PageChange::classify`]). A limit of 0 or less means no limit.
    async fn site_history(
        &self,
        scope: Scope,
        site: SiteId,
        limit: i64,
    ) -> Result<Vec<PageHistory>>;
    async fn fetch(&self, scope: Scope, id: FetchId) -> Result<Option<Fetch>>;
    async fn finding(&self, scope: Scope, id: FindingId) -> Result<Option<Finding>>;
    /// HTML pages in scope fetched with status 200 (revisits left out) recorded after the
    /// watermark `after`, in commit order, at most `limit`, each with its site's district (for
    /// keeping the search index in step; see [`IndexedPage::seq`]).
    async fn pages_after(&self, scope: Scope, after: i64, limit: i64) -> Result<Vec<IndexedPage>>;
    async fn list_findings(&self, scope: Scope, filter: &FindingFilter) -> Result<Vec<Finding>>;
    async fn count_findings(&self, scope: Scope, filter: &FindingFilter) -> Result<i64>;
    /// Findings per category and district, for the dashboard.
    async fn finding_counts(&self, scope: Scope) -> Result<Vec<CategoryCount>>;
    async fn totals(&self, scope: Scope) -> Result<Totals>;
    /// A person's triage decision on a finding in scope (audited with the old and new
    /// decision); `NotFound` when the finding is not in scope.
    async fn triage_finding(
        &self,
        scope: Scope,
        id: FindingId,
        decision: &TriageDecision,
        by: &Actor,
    ) -> Result<Finding>;
    /// Triage decisions per rule over the findings in scope, by rule id.
    async fn rule_triage(&self, scope: Scope) -> Result<Vec<RuleTriage>>;
}

/// Clues: findings of one site grouped, with the evidence captures taken for them, and their
/// life (dispatch to a district, deadlines, the district's feedback). A clue is in a district's
/// scope when the district it belongs to — the one it was dispatched to, else its site's
/// entity's — is in the scope; in an evaluator's when its site's entity is. Changes of state
/// are compare-and-set on the state the caller read (`Conflict` when it moved meanwhile), and
/// audited as `clue:<id>`.
#[async_trait]
pub trait ClueStore: Send + Sync {
    /// Creates a clue by hand (source `manual`, state `new`); `NotFound` when a finding is
    /// missing or belongs to another site, or when there is none; `Conflict` when a finding
    /// already feeds an open clue.
    async fn create_clue(&self, clue: &NewClue, by: &Actor) -> Result<ClueId>;
    async fn clue(&self, scope: Scope, id: ClueId) -> Result<Option<Clue>>;
    /// Clues in scope, newest first.
    async fn list_clues(&self, scope: Scope, filter: &ClueFilter) -> Result<Vec<Clue>>;
    async fn count_clues(&self, scope: Scope, filter: &ClueFilter) -> Result<i64>;
    /// The evidence of a clue in scope: the fetches whose records its findings point at, and
    /// the fetches of the captures taken for it, oldest first.
    async fn clue_fetches(&self, scope: Scope, id: ClueId) -> Result<Vec<Fetch>>;
    /// The findings of a sweep in scope (by their site's entity), by id.
    async fn sweep_findings(&self, scope: Scope, sweep: SweepId) -> Result<Vec<Finding>>;
    /// The next findings of a sweep in scope, by site then id: at most `limit` of those whose
    /// site's id is above `after` (all sites when `None`). A caller reading a sweep site by
    /// site reads on after the last site of a page, keeping that site's rows for the next page
    /// when the page came back full (`casework::group_sweep`): a sweep's findings are read a
    /// page at a time, however many there are.
    async fn sweep_findings_after(
        &self,
        scope: Scope,
        sweep: SweepId,
        after: Option<SiteId>,
        limit: u32,
    ) -> Result<Vec<Finding>>;
    /// In one transaction: adds the findings (those not already in an open clue) to the open
    /// clue of the group, or makes the group's next clue (and dispatches it when asked).
    /// `None` when every finding already feeds an open clue.
    async fn group_clue(&self, group: &GroupedClue, by: &Actor) -> Result<Option<Grouped>>;
    /// Sends a clue in state `from` (`new` or `dispatched`) to a district.
    async fn dispatch_clue(
        &self,
        id: ClueId,
        from: ClueState,
        dispatch: &ClueDispatch,
        by: &Actor,
    ) -> Result<()>;
    /// The district's feedback on a clue in state `from`.
    async fn close_clue(
        &self,
        id: ClueId,
        from: ClueState,
        closing: &ClueClosing,
        by: &Actor,
    ) -> Result<()>;
    /// Moves an open clue's verification limit to `verify_by`, once (`Conflict` the second
    /// time).
    async fn extend_clue(&self, id: ClueId, verify_by: NaiveDate, by: &Actor) -> Result<()>;
}

/// Cases opened from clues, their officers, stages and outcomes ([`cases`]). A case is in a
/// district's scope when its district is, in an evaluator's when its entity is. Stage changes
/// are compare-and-set on the stage the caller read; every change is audited as `case:<id>`
/// (and `clue:<id>` for the clues it closes).
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Opens a case: the case row with the year's next number, its clues (each moved from the
    /// state given to `case_opened`, else `Conflict`), its officers, in one transaction.
    async fn open_case(&self, case: &NewCase, by: &Actor) -> Result<CaseId>;
    async fn case(&self, scope: Scope, id: CaseId) -> Result<Option<Case>>;
    /// Cases in scope, newest first.
    async fn list_cases(&self, scope: Scope, filter: &CaseFilter) -> Result<Vec<Case>>;
    async fn count_cases(&self, scope: Scope, filter: &CaseFilter) -> Result<i64>;
    /// The outcomes of a case in scope, oldest first (none out of scope).
    async fn case_outcomes(&self, scope: Scope, id: CaseId) -> Result<Vec<Outcome>>;
    /// The outcomes of the cases `ids` that are in scope, by case and oldest first, in one
    /// query (a list page's rows).
    async fn outcomes_of_cases(&self, scope: Scope, ids: &[CaseId]) -> Result<Vec<Outcome>>;
    /// How many outcomes each of the cases `ids` that are in scope has (a case with none is
    /// left out), in one query: what a list page shows of them.
    async fn outcome_counts(&self, scope: Scope, ids: &[CaseId]) -> Result<Vec<(CaseId, i64)>>;
    /// One outcome, when its case is in scope.
    async fn outcome(&self, scope: Scope, id: OutcomeId) -> Result<Option<Outcome>>;
    /// Moves a case from `from` to `to` (compare-and-set): `decided` and `closed` stamp their
    /// time; back to `investigating` from `decided` or `closed` counts a reopening.
    async fn set_case_stage(
        &self,
        id: CaseId,
        from: CaseStage,
        to: CaseStage,
        reason: Option<&str>,
        by: &Actor,
    ) -> Result<()>;
    /// Adds an officer (no change when already one).
    async fn add_officer(&self, id: CaseId, user: UserId, by: &Actor) -> Result<()>;
    /// Extends the decision limit to `decide_by` (`days` added), while the case is at `at`.
    async fn extend_case(
        &self,
        id: CaseId,
        at: CaseStage,
        days: i64,
        decide_by: NaiveDate,
        by: &Actor,
    ) -> Result<()>;
    /// Records an outcome while the case is at stage `at` (`Conflict` when it moved).
    async fn add_outcome(
        &self,
        id: CaseId,
        at: CaseStage,
        detail: &OutcomeDetail,
        by: &Actor,
    ) -> Result<OutcomeId>;
    /// Rectification orders in scope due on or before `on` and not yet re-checked, by due
    /// date (the scheduler reads them with the city's scope).
    async fn due_rectifications(
        &self,
        scope: Scope,
        on: NaiveDate,
    ) -> Result<Vec<DueRectification>>;
    /// Records a re-check on a rectification order not yet re-checked; not compliant with
    /// `reopen_from` sends the case back to investigation, in the same transaction.
    async fn record_recheck(&self, recheck: &Recheck, by: &Actor) -> Result<()>;
    /// Removes an abnormal-operations listing not yet removed.
    async fn remove_listing(&self, id: OutcomeId, reason: &str, by: &Actor) -> Result<()>;
}

/// The chain of custody: who viewed or exported which evidence, when and why.
#[async_trait]
pub trait CustodyStore: Send + Sync {
    /// Appends a custody row in one write transaction: reads the last row's hash, computes the
    /// new row's hash ([`custody_hash`], time from the store's clock to the second), inserts.
    /// Writers are serialised, so the chain never forks.
    async fn append_custody(&self, entry: &NewCustody) -> Result<CustodyRecord>;
    /// Custody rows in the filter's scope, oldest first (see [`CustodyFilter`] for which
    /// subjects a scope covers). Check them with [`verify_custody_chain`]; a read of
    /// [`CustodyFilter::chain`] (the city's scope, no subject filter) is the whole chain.
    async fn custody(&self, filter: &CustodyFilter) -> Result<Vec<CustodyRecord>>;
    /// The chain's head as it stands ([`CustodyHead`]: the number of rows and the last row's
    /// hash, [`GENESIS_HASH`] when there is none), read in one statement so that the two agree.
    /// What a signed checkpoint commits to.
    async fn custody_head(&self) -> Result<CustodyHead>;
}

/// Users, sessions, failed logins and API tokens. Every change of a user is audited.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// Adds a user; `Conflict` when the username is taken.
    async fn create_user(&self, user: &NewUser, by: &Actor) -> Result<User>;
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    async fn user_by_name(&self, username: &str) -> Result<Option<User>>;
    /// The user and their password hash (for logging in).
    async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>>;
    /// Every user, by id.
    async fn list_users(&self) -> Result<Vec<User>>;
    async fn count_users(&self) -> Result<i64>;
    /// Changes a user (audited); a disabled user or a new password ends their sessions.
    async fn change_user(&self, id: UserId, change: &UserChange, by: &Actor) -> Result<User>;
    /// Records a wrong password for `username` from `client`.
    async fn record_login_failure(&self, username: &str, client: &str) -> Result<()>;
    /// Wrong passwords for `username` and from `client` since `since`.
    async fn login_failures_since(
        &self,
        username: &str,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64)>;
    /// Forgets the wrong passwords of `username` (after a good login).
    async fn clear_login_failures(&self, username: &str) -> Result<()>;
    /// Opens a session, keyed by the hash of its id (audited as the user's `login`).
    async fn create_session(
        &self,
        id_hash: &str,
        user: UserId,
        csrf: &str,
        client: &str,
    ) -> Result<()>;
    async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>>;
    /// Marks a session used now.
    async fn touch_session(&self, id_hash: &str) -> Result<()>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Stores a new API token (by its hash) for a user.
    async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &str,
        by: &Actor,
    ) -> Result<ApiToken>;
    /// The user of a live (not revoked) token.
    async fn token_user(&self, token_hash: &str) -> Result<Option<User>>;
    async fn list_api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>>;
    async fn revoke_api_token(&self, id: i64, by: &Actor) -> Result<()>;
}

/// Two-person evidence capture requests ([`capture`]): every step goes through
/// [`CaptureState::after`] and is audited in its transaction.
#[async_trait]
pub trait CaptureRequestStore: Send + Sync {
    /// Stores a pending request (audited as `request`); `NotFound` when the clue is not a clue
    /// of the site.
    async fn create_capture_request(
        &self,
        new: &NewCaptureRequest,
        by: &Actor,
    ) -> Result<CaptureRequest>;
    /// The request, when its site is in scope.
    async fn capture_request(
        &self,
        scope: Scope,
        id: CaptureRequestId,
    ) -> Result<Option<CaptureRequest>>;
    /// Requests in scope, newest first.
    async fn list_capture_requests(
        &self,
        scope: Scope,
        filter: &CaptureRequestFilter,
    ) -> Result<Vec<CaptureRequest>>;
    /// Takes `step` on the request in scope (`NotFound` outside it) by `by`, audited with the
    /// request before and after: `Step` when the transition refuses it (the requester
    /// confirming their own request, a step its state does not allow), `Conflict` when another
    /// step got there first.
    async fn step_capture_request(
        &self,
        scope: Scope,
        id: CaptureRequestId,
        step: &CaptureStep,
        by: &Actor,
    ) -> Result<CaptureRequest>;
}

/// Field inspections ([`inspection`]) and their attachments' rows. An inspection is in a
/// scope by its own district (a district scope) or its entity (an evaluator's scope).
#[async_trait]
pub trait InspectionStore: Send + Sync {
    /// Records an inspection with its officers and attachments in one transaction, audited as
    /// `inspection:<id>` (`record`). Its district is the case's when `case_id` is given, else
    /// the entity's. `NotFound` when the entity or the case is not in `scope`, or the case is
    /// another entity's; `Conflict` when it names no officer.
    async fn record_inspection(
        &self,
        scope: Scope,
        new: &NewInspection,
        by: &Actor,
    ) -> Result<Inspection>;
    /// The inspection, when it is in scope.
    async fn inspection(&self, scope: Scope, id: InspectionId) -> Result<Option<Inspection>>;
    /// Inspections in scope, the newest check first.
    async fn list_inspections(
        &self,
        scope: Scope,
        filter: &InspectionFilter,
    ) -> Result<Vec<Inspection>>;
    /// How many inspections [`InspectionStore::list_inspections`] would return without paging.
    async fn count_inspections(&self, scope: Scope, filter: &InspectionFilter) -> Result<i64>;
    /// The attachments of an inspection in scope, in the order they were stored (none when
    /// it is not in scope).
    async fn inspection_attachments(
        &self,
        scope: Scope,
        id: InspectionId,
    ) -> Result<Vec<Attachment>>;
    /// One attachment, when its inspection is in scope.
    async fn attachment(&self, scope: Scope, id: AttachmentId) -> Result<Option<Attachment>>;
    /// A case as an inspection needs it, when the case is in scope (by its district, or its
    /// entity for an evaluator).
    async fn case_ref(&self, scope: Scope, id: CaseId) -> Result<Option<CaseRef>>;
}

/// Special campaigns (专项行动, [`campaign`]): the bureau's, not a district's; their figures
/// are read in the caller's scope. Every change is audited as `campaign:<id>`.
#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// Stores a campaign with the sites its targets resolved to (audited as `create`).
    async fn create_campaign(
        &self,
        campaign: &NewCampaign,
        sites: &[SiteId],
        by: &Actor,
    ) -> Result<Campaign>;
    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>>;
    /// Every campaign, newest first.
    async fn list_campaigns(&self) -> Result<Vec<Campaign>>;
    /// Ends a campaign (audited as `close`); `Conflict` when it is closed already.
    async fn close_campaign(&self, id: CampaignId, by: &Actor) -> Result<Campaign>;
    /// The sites a campaign covers, by id.
    async fn campaign_sites(&self, id: CampaignId) -> Result<Vec<SiteId>>;
    /// The sites in scope that a selection takes, by id.
    async fn select_sites(&self, scope: Scope, selection: &SiteSelection) -> Result<Vec<SiteId>>;
}

/// The report's figures ([`report`]): each defined once as the query of its records.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The given figures per district over the rows in scope, in one query (see [`Figure`] for
    /// what each counts). Figures without records are absent.
    async fn figures(
        &self,
        scope: Scope,
        subject: &ReportSubject,
        figures: &[Figure],
    ) -> Result<Vec<FigureCount>>;
    /// The records behind one figure (all districts, or one; `Some(None)`: the records without
    /// a district), in scope, by id; the first `limit` of them (0 or less: all).
    async fn figure_records(
        &self,
        scope: Scope,
        subject: &ReportSubject,
        figure: Figure,
        district: Option<Option<DistrictCode>>,
        limit: i64,
    ) -> Result<Vec<FigureRecord>>;
}

/// The dashboard's own counts ([`dashboard`]), of the rows in the caller's scope.
#[async_trait]
pub trait DashboardStore: Send + Sync {
    /// Findings per week and severity: `weeks` are the weeks' first instants, in order, the
    /// last week ending at `until`. Weeks and severities without findings are absent.
    async fn findings_per_week(
        &self,
        scope: Scope,
        weeks: &[(NaiveDate, DateTime<Utc>)],
        until: DateTime<Utc>,
    ) -> Result<Vec<WeekCount>>;
    /// The progress of the running city sweep (kind `sweep`), if one runs.
    async fn sweep_progress(&self, scope: Scope) -> Result<Option<SweepProgress>>;
    /// The findings new in the last finished city sweep, if one finished.
    async fn new_findings(&self, scope: Scope) -> Result<Option<NewFindings>>;
}

/// What an operator's probes and metrics read ([`ops`]): the schema's state and city-wide
/// counts, one cheap query each. Counts only, never a row of a person's scope.
#[async_trait]
pub trait OpsStore: Send + Sync {
    /// The newest migration applied against the newest this build knows; a database that
    /// cannot be reached is an error (the trivial query of a readiness probe).
    async fn schema_state(&self) -> Result<ops::SchemaState>;
    /// Findings per category and severity, of the whole city.
    async fn finding_tallies(&self) -> Result<Vec<ops::FindingTally>>;
    /// How many records wait in each queue ([`ops::Queue::ALL`], in that order).
    async fn queue_depths(&self) -> Result<Vec<ops::QueueDepth>>;
    /// The failed fetches of `sweep`, counted per stored reason text.
    async fn fetch_errors(&self, sweep: SweepId) -> Result<Vec<ops::ErrorTally>>;
}

/// The scheduler's runs: one per job and due time.
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// Starts the run of `job` due at `due_at`; `None` when that run exists already (it ran, or
    /// runs, or was cut off: see [`ScheduleStore::unfinished_runs`]).
    async fn begin_run(&self, job: &str, due_at: DateTime<Utc>) -> Result<Option<ScheduleRun>>;
    /// Notes the sweep a run started (or continues).
    async fn set_run_sweep(&self, run: i64, sweep: SweepId) -> Result<()>;
    /// Ends a run, with the error that ended it, if any.
    async fn finish_run(&self, run: i64, error: Option<&str>) -> Result<ScheduleRun>;
    /// Runs started and not finished (cut off by a stop), oldest first.
    async fn unfinished_runs(&self) -> Result<Vec<ScheduleRun>>;
    /// The newest run of a job.
    async fn last_run(&self, job: &str) -> Result<Option<ScheduleRun>>;
    /// The newest runs, newest first.
    async fn list_runs(&self, limit: i64) -> Result<Vec<ScheduleRun>>;
}

/// Random inspections ([`sampling`]): plans and draws are the city's; a draw's selected
/// entities are read in the caller's scope (by their district, or their entity for an
/// evaluator). Every change is audited as `sampling_plan:<id>` or `sampling_draw:<id>`.
#[async_trait]
pub trait SamplingStore: Send + Sync {
    /// Stores a plan with its pool (audited as `create`); `NotFound` when a pool member is not
    /// a user.
    async fn create_sampling_plan(
        &self,
        plan: &NewSamplingPlan,
        by: &Actor,
    ) -> Result<SamplingPlan>;
    async fn sampling_plan(&self, id: domain::SamplingPlanId) -> Result<Option<SamplingPlan>>;
    /// Every plan, newest first.
    async fn list_sampling_plans(&self) -> Result<Vec<SamplingPlan>>;
    /// Ends a plan (audited as `close`); `Conflict` when it is closed already.
    async fn close_sampling_plan(
        &self,
        id: domain::SamplingPlanId,
        by: &Actor,
    ) -> Result<SamplingPlan>;
    /// The population of a filter in scope, by USCC: entities not deregistered, each with its
    /// class (`credit_scores.class`; B when never scored).
    async fn sampling_population(
        &self,
        scope: Scope,
        filter: &PopulationFilter,
    ) -> Result<Vec<PopulationRow>>;
    /// The officers of every case on these entities (a conflict for inspecting them), as
    /// (entity, user) pairs ordered by both.
    async fn case_officers_of(&self, entities: &[EntityId]) -> Result<Vec<(EntityId, UserId)>>;
    /// Stores a draw with its entities and their inspectors in one transaction (audited as
    /// `draw`); `Conflict` when the plan is closed, `NotFound` when it does not exist.
    async fn save_draw(&self, draw: &NewDraw, by: &Actor) -> Result<Draw>;
    /// A draw with its selected entities in scope.
    async fn sampling_draw(&self, scope: Scope, id: domain::DrawId) -> Result<Option<Draw>>;
    /// Draws (of one plan, or all), newest first, with the counts of their entities in scope.
    async fn list_draws(
        &self,
        scope: Scope,
        plan: Option<domain::SamplingPlanId>,
    ) -> Result<Vec<DrawSummary>>;
    /// Records that `inspection` (of the same entity, in scope) is the result of the drawn
    /// entity (audited on the draw as `result`). `NotFound` when the drawn entity or the
    /// inspection is not in scope or the inspection is another entity's; `Conflict` when the
    /// entity has another inspection linked already.
    async fn link_draw_inspection(
        &self,
        scope: Scope,
        draw: domain::DrawId,
        entity: EntityId,
        inspection: InspectionId,
        by: &Actor,
    ) -> Result<DrawEntity>;
}

/// The dishonesty lists, credit repair, third-party evaluations and commitments
/// ([`credit_lists`]). Every row is read in a scope through its entity; a row out of scope is
/// answered like a missing one. Every write is audited (`listing:<id>`, `repair:<id>`,
/// `evaluation:<id>`, `commitment:<id>`) and marks its entity for re-scoring, in its
/// transaction.
#[async_trait]
pub trait CreditListStore: Send + Sync {
    /// Puts an entity in scope on a list (`NotFound` outside the scope); `Conflict` when it
    /// is on that list already.
    async fn add_listing(&self, scope: Scope, input: &ListingInput, by: &Actor) -> Result<Listing>;
    /// Takes a listing in scope off its list (`NotFound` outside the scope; `Conflict` when it
    /// was removed already). A listing made by a case's outcome has the outcome marked removed
    /// too.
    async fn remove_credit_listing(
        &self,
        scope: Scope,
        id: ListingId,
        removal: &Removal,
        by: &Actor,
    ) -> Result<Listing>;
    /// The listing, when its entity is in scope.
    async fn credit_listing(&self, scope: Scope, id: ListingId) -> Result<Option<Listing>>;
    /// Listings in scope, the newest listing first.
    async fn credit_listings(&self, scope: Scope, filter: &ListingFilter) -> Result<Vec<Listing>>;
    /// How many listings [`CreditListStore::credit_listings`] would return without paging.
    async fn count_credit_listings(&self, scope: Scope, filter: &ListingFilter) -> Result<i64>;
    /// Records a pending credit-repair application of an open listing in scope (`NotFound`
    /// outside the scope; `Conflict` when the listing is removed or has a pending
    /// application already).
    async fn add_repair(&self, scope: Scope, new: &NewRepair, by: &Actor) -> Result<Repair>;
    /// Decides a pending application in scope (compare-and-set on `pending`: `Conflict` when
    /// it was decided meanwhile); a grant removes the listing with reason `repaired` in the
    /// same transaction.
    async fn decide_repair(
        &self,
        scope: Scope,
        id: RepairId,
        decision: &RepairDecision,
        by: &Actor,
    ) -> Result<Repair>;
    async fn repair(&self, scope: Scope, id: RepairId) -> Result<Option<Repair>>;
    /// Applications in scope, the newest first.
    async fn repairs(&self, scope: Scope, filter: &RepairFilter) -> Result<Vec<Repair>>;
    /// Records an evaluation by `evaluator` of an entity in scope (`NotFound` outside it: an
    /// evaluator's scope is their assigned entities).
    async fn add_evaluation(
        &self,
        scope: Scope,
        evaluator: UserId,
        new: &NewEvaluation,
        by: &Actor,
    ) -> Result<Evaluation>;
    /// Evaluations in scope (of one entity, when given), the newest first.
    async fn evaluations(
        &self,
        scope: Scope,
        entity: Option<EntityId>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Evaluation>>;
    /// How many evaluations [`CreditListStore::evaluations`] would return without paging.
    async fn count_evaluations(&self, scope: Scope, entity: Option<EntityId>) -> Result<i64>;
    /// Records a commitment of an entity in scope (`NotFound` outside it).
    async fn add_commitment(
        &self,
        scope: Scope,
        new: &NewCommitment,
        by: &Actor,
    ) -> Result<Commitment>;
    /// Marks a commitment in scope broken (`Conflict` when it is broken already).
    async fn break_commitment(
        &self,
        scope: Scope,
        id: CommitmentId,
        broken_on: NaiveDate,
        reason: &str,
        by: &Actor,
    ) -> Result<Commitment>;
    /// The commitment, when its entity is in scope.
    async fn commitment(&self, scope: Scope, id: CommitmentId) -> Result<Option<Commitment>>;
    /// Commitments in scope (of one entity, when given), the newest first.
    async fn commitments(&self, scope: Scope, entity: Option<EntityId>) -> Result<Vec<Commitment>>;
    /// The penalties of decided cases on an entity in scope, by decision date.
    async fn entity_penalties(&self, scope: Scope, entity: EntityId) -> Result<Vec<PenaltyRecord>>;
}

/// Credit: the index system's versions, the facts scoring reads, grades and their archive
/// (`credit.rs`).
#[async_trait]
pub trait CreditStore: Send + Sync {
    /// Stores a validated index system as the version in force, with its audit row. The same
    /// version with other text is a `Conflict`; the same text as the version in force is
    /// [`IndexLoad::AlreadyInForce`] and writes nothing; a version used before (not in force)
    /// is a `Conflict` too (a version names one content for ever; give the file a new one).
    async fn load_credit_index(&self, index: &NewIndexVersion, by: &Actor) -> Result<IndexLoad>;
    /// The version in force (the latest loaded).
    async fn current_credit_index(&self) -> Result<Option<IndexVersion>>;
    /// Every version, newest first.
    async fn credit_index_versions(&self) -> Result<Vec<IndexVersion>>;
    /// The facts of a batch of entities for `queries`, as of a date: the register's row of
    /// each entity and one grouped query per fact.
    async fn credit_facts(
        &self,
        select: &FactSelect,
        queries: &[FactQuery],
        as_of: NaiveDate,
    ) -> Result<FactBatch>;
    /// Entities marked for re-scoring, oldest mark first, at most `limit`.
    async fn credit_stale(&self, limit: i64) -> Result<Vec<(EntityId, DateTime<Utc>)>>;
    async fn count_credit_stale(&self) -> Result<i64>;
    /// Writes grades in one transaction: the current scores; an archive row for each whose
    /// score, class or version changed; and deletes the stale marks of these entities made
    /// at or before `read_at` (the time their facts were read: a later mark stays).
    async fn write_credit_grades(
        &self,
        grades: &[NewGrade],
        read_at: DateTime<Utc>,
    ) -> Result<GradeWrite>;
    /// An entity's current grade.
    async fn credit_grade(&self, scope: Scope, entity: EntityId) -> Result<Option<StoredGrade>>;
    /// An entity's archive, newest first.
    async fn credit_history(&self, scope: Scope, entity: EntityId) -> Result<Vec<StoredGrade>>;
    /// The number of entities per district, kind and class (current grades).
    async fn credit_distribution(&self, scope: Scope) -> Result<Vec<ClassCount>>;
    /// Scored entities, worst score first.
    async fn list_credit_scores(
        &self,
        scope: Scope,
        filter: &CreditFilter,
    ) -> Result<Vec<ScoredEntity>>;
    async fn count_credit_scores(&self, scope: Scope, filter: &CreditFilter) -> Result<i64>;
    /// The records behind an entity's credit, up to `limit` of each, newest first.
    async fn credit_events(
        &self,
        scope: Scope,
        entity: EntityId,
        limit: i64,
    ) -> Result<CreditEvents>;
}

/// The audit log: append-only; written by the store in the same transaction as each change.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// The audit rows of one object (`user:7`, `finding:12`, …), oldest first.
    async fn audit_of(&self, object: &str) -> Result<Vec<AuditEntry>>;
    /// The newest audit rows, newest first.
    async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>>;
}

/// Complaints and reports (投诉举报): intake, the staff's steps with their audit and history
/// rows, and the public's read by tracking number (`complaint.rs`).
#[async_trait]
pub trait ComplaintStore: Send + Sync {
    /// Stores a complaint with its first history row and its audit row, unless a complaint
    /// with the same `dedup_hash` was received within `window` before now: then nothing is
    /// stored ([`Intake::Duplicate`]).
    async fn file_complaint(
        &self,
        new: &NewComplaint,
        window: chrono::Duration,
        by: &Actor,
    ) -> Result<Intake>;
    /// The complaint in scope with this id.
    async fn complaint(&self, scope: Scope, id: domain::ComplaintId) -> Result<Option<Complaint>>;
    /// What the public sees of the complaint with this tracking number (no scope: the number
    /// is the key; no personal data).
    async fn public_complaint(
        &self,
        tracking: &domain::TrackingNumber,
    ) -> Result<Option<PublicComplaint>>;
    /// Complaints in scope, newest first.
    async fn list_complaints(
        &self,
        scope: Scope,
        filter: &ComplaintFilter,
    ) -> Result<Vec<Complaint>>;
    async fn count_complaints(&self, scope: Scope, filter: &ComplaintFilter) -> Result<i64>;
    /// The history of a complaint in scope (oldest first).
    async fn complaint_events(
        &self,
        scope: Scope,
        id: domain::ComplaintId,
    ) -> Result<Vec<ComplaintEvent>>;
    /// A step, as a compare-and-set on `change.from` (`Conflict` when the state moved),
    /// audited as `complaint:<id>`; an `upheld` change marks the entity's credit stale.
    async fn step_complaint(
        &self,
        id: domain::ComplaintId,
        change: &ComplaintChange,
        by: &Actor,
    ) -> Result<()>;
    /// Links an entity, a clue or a case (checked in scope by the caller), audited.
    async fn link_complaint(
        &self,
        id: domain::ComplaintId,
        links: &ComplaintLinks,
        by: &Actor,
    ) -> Result<()>;
    /// Assigns an open complaint to another district, audited with the reason.
    async fn dispatch_complaint(
        &self,
        id: domain::ComplaintId,
        district: DistrictCode,
        reason: &str,
        by: &Actor,
    ) -> Result<()>;
    /// The dashboard's figures in scope as of `today`.
    async fn complaint_counts(&self, scope: Scope, today: NaiveDate) -> Result<ComplaintCounts>;
}

/// The public portal's records: notices, model sites, visit counts, and the name lookup of
/// the public credit query. Publishing, withdrawing and designating are audited in their
/// transaction (`notice:<id>`, `model_site:<site id>`).
#[async_trait]
pub trait PortalStore: Send + Sync {
    /// Publishes a notice (audited `publish`).
    async fn publish_notice(&self, new: &NewNotice, by: &Actor) -> Result<Notice>;
    /// Withdraws a published notice (audited `withdraw`); `NotFound` when there is none,
    /// `Conflict` when it was withdrawn already.
    async fn withdraw_notice(&self, id: NoticeId, reason: &str, by: &Actor) -> Result<Notice>;
    /// The notice, published or withdrawn (notices are the bureau's, not a district's).
    async fn notice(&self, id: NoticeId) -> Result<Option<Notice>>;
    /// Notices, the newest first; withdrawn ones too when asked.
    async fn notices(&self, with_withdrawn: bool, limit: i64, offset: i64) -> Result<Vec<Notice>>;
    /// Designates a site in scope that belongs to an entity as a model site (audited
    /// `designate`); `NotFound` for a site out of scope or without an entity, `Conflict` when
    /// it is one already.
    async fn designate_model_site(
        &self,
        scope: Scope,
        site: SiteId,
        note: Option<&str>,
        by: &Actor,
    ) -> Result<ModelSite>;
    /// Ends a designation of a site in scope (audited `remove`); `NotFound` when there is none.
    async fn remove_model_site(&self, scope: Scope, site: SiteId, by: &Actor) -> Result<()>;
    /// The model sites in scope with their entity's current class, by entity name and host.
    async fn model_sites(&self, scope: Scope) -> Result<Vec<ModelSite>>;
    /// Entities in scope whose current name holds `fragment`, by name (at most `limit`).
    async fn entities_named(
        &self,
        scope: Scope,
        fragment: &str,
        limit: i64,
    ) -> Result<Vec<EntityHit>>;
    /// Adds visit counts (per day and page) to the stored ones, in one transaction.
    async fn add_portal_visits(&self, counts: &[VisitCount]) -> Result<()>;
    /// The stored visit counts from `since` on, by day then page.
    async fn portal_visits(&self, since: NaiveDate) -> Result<Vec<VisitCount>>;
}
