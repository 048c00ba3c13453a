//! Rows and inputs the store reads and writes. Plain data; the SQL lives in the backends.

use crate::discovery::{NewDiscovery, Shown};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    CaseId, Category, ClueId, ClueSource, ClueState, DistrictCode, EntityId, EntityStatus, FetchId,
    FindingId, LegalForm, NotVerifiedReason, Severity, SiteId, SiteKind, SweepId, Triage,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a registered site lives; the rule of which site owns a URL is `domain`'s.
pub use domain::SiteAddress;

/// Whose rows a read may return. Every read of district-owned rows takes one; there is no
/// unscoped read path for them. A person's scope comes from their role (`people`); processes
/// that act for the whole bureau (a sweep, an import) read with [`Scope::City`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// City bureau staff: every district.
    City,
    /// District bureau staff: the entities of these districts (none: nothing).
    Districts(Arc<[DistrictCode]>),
    /// A third-party evaluator: the entities assigned to them (none: nothing).
    Entities(Arc<[EntityId]>),
}

impl Scope {
    /// One district's scope.
    pub fn district(d: DistrictCode) -> Scope {
        Scope::Districts(Arc::from([d]))
    }

    /// Whether a row owned by an entity of `district` (and with id `entity`) is in scope. A row
    /// with no entity (a discovered site not yet attached) is the city's only.
    pub fn allows(&self, district: Option<DistrictCode>, entity: Option<EntityId>) -> bool {
        match self {
            Scope::City => true,
            Scope::Districts(ds) => district.is_some_and(|d| ds.contains(&d)),
            Scope::Entities(ids) => entity.is_some_and(|e| ids.contains(&e)),
        }
    }
}

/// One entity as the register import delivers it, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityInput {
    /// Normalised USCC (18 characters of the GB 32100 alphabet). It may fail the check
    /// characters on legacy data: then `needs_review` says why.
    pub uscc: String,
    pub needs_review: Option<String>,
    pub name: String,
    /// Names the entity was registered under before, oldest first. An import that changes
    /// `name` adds the old one here (the store does; an import file may also list them).
    pub former_names: Vec<String>,
    /// The kind of online business the register records (the sites' kind).
    pub kind: SiteKind,
    /// Given by the register, else read from the USCC's first two characters.
    pub legal_form: LegalForm,
    pub status: EntityStatus,
    pub district: DistrictCode,
    /// Registered address (住所).
    pub address: Option<String>,
    /// Where it actually does business (经营场所), when it differs.
    pub business_address: Option<String>,
    /// Registered capital as the register writes it (e.g. `100万元人民币`).
    pub registered_capital: Option<String>,
    pub established: Option<NaiveDate>,
    /// Hostnames, or shop URL prefixes (`waimai.example/shop/8812`) for platform shops.
    pub domains: Vec<String>,
    pub icp: Option<String>,
    pub food_permit: Option<String>,
    pub legal_rep: Option<String>,
    pub phone: Option<String>,
    /// Unknown columns, kept as attributes.
    pub extra: BTreeMap<String, String>,
}

impl EntityInput {
    /// An entity with its required fields and nothing else: the legal form from the USCC,
    /// status active.
    pub fn new(uscc: &str, name: &str, kind: SiteKind, district: DistrictCode) -> EntityInput {
        EntityInput {
            uscc: uscc.to_string(),
            needs_review: None,
            name: name.to_string(),
            former_names: Vec::new(),
            kind,
            legal_form: LegalForm::from_uscc(uscc),
            status: EntityStatus::Active,
            district,
            address: None,
            business_address: None,
            registered_capital: None,
            established: None,
            domains: Vec::new(),
            icp: None,
            food_permit: None,
            legal_rep: None,
            phone: None,
            extra: BTreeMap::new(),
        }
    }

    /// Every field as its import column name and text value (lists `;`-joined, unknown
    /// columns last as `extra.<name>`), in import column order: the one definition behind the
    /// change history and the exports.
    pub fn columns(&self) -> Vec<(String, Option<String>)> {
        fn list(v: &[String]) -> Option<String> {
            (!v.is_empty()).then(|| v.join(";"))
        }
        let mut out: Vec<(String, Option<String>)> = vec![
            ("uscc".into(), Some(self.uscc.clone())),
            ("name".into(), Some(self.name.clone())),
            ("former_names".into(), list(&self.former_names)),
            ("kind".into(), Some(self.kind.code().into())),
            ("legal_form".into(), Some(self.legal_form.code().into())),
            ("status".into(), Some(self.status.code().into())),
            ("district".into(), Some(self.district.to_string())),
            ("address".into(), self.address.clone()),
            ("business_address".into(), self.business_address.clone()),
            ("registered_capital".into(), self.registered_capital.clone()),
            (
                "established".into(),
                self.established.map(|d| d.to_string()),
            ),
            ("domains".into(), list(&self.domains)),
            ("icp".into(), self.icp.clone()),
            ("food_permit".into(), self.food_permit.clone()),
            ("legal_rep".into(), self.legal_rep.clone()),
            ("phone".into(), self.phone.clone()),
            ("needs_review".into(), self.needs_review.clone()),
        ];
        out.extend(
            self.extra
                .iter()
                .map(|(k, v)| (format!("extra.{k}"), Some(v.clone()))),
        );
        out
    }

    /// The fields that differ from `earlier`: `(column, old, new)`.
    pub fn changes_from(
        &self,
        earlier: &EntityInput,
    ) -> Vec<(String, Option<String>, Option<String>)> {
        let old: BTreeMap<String, Option<String>> = earlier.columns().into_iter().collect();
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (k, v) in self.columns() {
            let was = old.get(&k).cloned().flatten();
            if was != v {
                out.push((k.clone(), was, v));
            }
            seen.insert(k);
        }
        for (k, v) in old {
            if !seen.contains(&k) && v.is_some() {
                out.push((k, v, None));
            }
        }
        out
    }

    /// This input applied over the stored `earlier`: former names accumulate (the earlier
    /// name joins them when it changes), so that re-importing a file that does not list former
    /// names changes nothing.
    pub fn merged_over(&self, earlier: &EntityInput) -> EntityInput {
        let mut merged = self.clone();
        let mut former = earlier.former_names.clone();
        if earlier.name != self.name && !former.contains(&earlier.name) {
            former.push(earlier.name.clone());
        }
        for n in &self.former_names {
            if !former.contains(n) {
                former.push(n.clone());
            }
        }
        former.retain(|n| *n != self.name);
        merged.former_names = former;
        merged
    }
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Upsert {
    Created,
    Updated,
    Unchanged,
}

/// How many entities upserts created, updated and left unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl UpsertCounts {
    /// Counts the outcomes of one batch.
    pub fn add(&mut self, outcomes: &[Upsert]) {
        for o in outcomes {
            match o {
                Upsert::Created => self.created += 1,
                Upsert::Updated => self.updated += 1,
                Upsert::Unchanged => self.unchanged += 1,
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    pub id: EntityId,
    pub input: EntityInput,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A site to crawl: a host, or a shop URL prefix on a platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub id: SiteId,
    /// `None` for a site seen but not registered.
    pub entity_id: Option<EntityId>,
    /// Hostname, lower case, without port.
    pub host: String,
    /// Path prefix for a platform shop (`/shop/8812`), else empty.
    pub path_prefix: String,
    pub kind: SiteKind,
    /// The owning entity's district (the site's district for a discovered site, when known).
    pub district: Option<DistrictCode>,
    pub entity_name: Option<String>,
    /// Whether the register lists it or a sweep found it.
    pub origin: SiteOrigin,
    /// What its pages show it to be, as of the last sweep that scanned them.
    pub classified: Option<SiteClass>,
}

/// Where a site row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteOrigin {
    /// A domain of a register entity.
    Register,
    /// Linked from a registered site's page and matching no register entry.
    Discovered,
}

impl SiteOrigin {
    pub fn code(self) -> &'static str {
        match self {
            SiteOrigin::Register => "register",
            SiteOrigin::Discovered => "discovered",
        }
    }
}

/// The kind a site's pages show, and why (the classifier's plain-text reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteClass {
    pub kind: SiteKind,
    pub reason: String,
}

impl Site {
    /// The start URL of a crawl: `http://host/prefix`.
    pub fn start_url(&self) -> String {
        format!(
            "http://{}{}/",
            self.host,
            self.path_prefix.trim_end_matches('/')
        )
    }

    /// The address as the register writes it: `host` or `host/prefix`.
    pub fn address(&self) -> String {
        format!("{}{}", self.host, self.path_prefix.trim_end_matches('/'))
    }

    /// True when the pages show another kind than the register records: a flag for a person
    /// (a "non-trading" site that sells, a "shop" that hosts merchants).
    pub fn kind_disagrees(&self) -> bool {
        self.origin == SiteOrigin::Register
            && self
                .classified
                .as_ref()
                .is_some_and(|c| c.kind != self.kind)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepState {
    Running,
    Finished,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    pub id: SweepId,
    pub state: SweepState,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub sites: i64,
    pub pages: i64,
    pub findings: i64,
    pub kind: SweepKind,
    /// The campaign a sweep of kind [`SweepKind::Sweep`] was run for (none: the whole city).
    pub campaign: Option<domain::CampaignId>,
    /// Done by `wangjian worker`s (leasing its hosts), never by a sweep in one process.
    pub by_workers: bool,
}

/// A clue to create: findings of one site, grouped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewClue {
    pub site_id: SiteId,
    /// At least one; every one a finding of `site_id`.
    pub findings: Vec<FindingId>,
    pub summary: String,
}

/// A stored clue, with its findings, the evidence captures taken for it, and its life: where
/// it came from, where it was sent, by when it must be verified and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clue {
    pub id: ClueId,
    pub site_id: SiteId,
    /// The site's host and path prefix (`shop.test/`, `waimai.test/shop/8812`).
    pub site: String,
    /// The district the clue belongs to: the one it was dispatched to, else the district of
    /// the site's entity (none: the city's only).
    pub district: Option<DistrictCode>,
    /// The district of the site's entity (none for a site not attached to one).
    pub entity_district: Option<DistrictCode>,
    pub entity_id: Option<EntityId>,
    pub created_at: DateTime<Utc>,
    /// Who created it (the actor's name: `user:NAME`, or the command line's operator).
    pub created_by: String,
    pub summary: String,
    pub findings: Vec<FindingId>,
    /// Sweeps of kind [`SweepKind::Capture`] taken for this clue, oldest first.
    pub captures: Vec<SweepId>,
    pub source: ClueSource,
    /// The grouping key of a clue made from a sweep's findings (`<site>:<group>:<window
    /// start>`, then `#2`, … for the window's later clues); none for clues made by hand.
    pub group_key: Option<String>,
    pub severity: Severity,
    pub state: ClueState,
    /// When it was (last) dispatched to [`Clue::district`].
    pub dispatched_at: Option<DateTime<Utc>>,
    /// The district's deadline (by severity).
    pub due_on: Option<NaiveDate>,
    /// The statutory verification limit.
    pub verify_by: Option<NaiveDate>,
    /// The verification limit was extended (once).
    pub extended: bool,
    /// Handed beyond the bureau (transferred to another authority).
    pub escalated: bool,
    pub closed_at: Option<DateTime<Utc>>,
    /// For `not_verified`: a [`domain::NotVerifiedReason`] code; for `transferred`: to whom.
    pub close_reason: Option<String>,
    pub close_note: Option<String>,
    /// The case opened from it.
    pub case_id: Option<CaseId>,
    /// Open and past a deadline on the store's today ([`Clue::is_overdue`]).
    pub overdue: bool,
}

impl Clue {
    /// Whether the clue is open and `today` is after its deadline or its verification limit.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.state.is_open()
            && (self.due_on.is_some_and(|d| today > d) || self.verify_by.is_some_and(|d| today > d))
    }
}

/// Filter for the clue list. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClueFilter {
    pub site_id: Option<SiteId>,
    /// The district the clue belongs to ([`Clue::district`]).
    pub district: Option<DistrictCode>,
    pub state: Option<ClueState>,
    /// Only overdue clues (true) or only those not overdue (false), on the store's today.
    pub overdue: Option<bool>,
    pub severity: Option<Severity>,
    /// The order (`None`: the list's own).
    pub sort: Option<crate::sort::Sort<crate::sort::ClueSort>>,
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_up_to: Option<i64>,
}

/// Findings of a sweep grouped for one clue ([`ClueStore::group_clue`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupedClue {
    pub site_id: SiteId,
    /// `<site>:<group>:<window start>`: the group's clues are keyed by it (the first) and by
    /// `…#2`, `…#3` (later ones, each made after the one before was closed).
    pub group_base: String,
    /// Findings of the site and group; those already in an open clue are left out.
    pub findings: Vec<FindingId>,
    /// The highest severity of the findings.
    pub severity: Severity,
    /// The summary of a new clue.
    pub summary: String,
    /// The statutory verification limit of a new clue.
    pub verify_by: NaiveDate,
    /// Where a new clue goes at once (the district of the site's entity, or of its shown
    /// address); none: it stays `new` for the city.
    pub dispatch: Option<ClueDispatch>,
}

/// What [`ClueStore::group_clue`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grouped {
    pub clue: ClueId,
    /// A new clue was made (else findings joined an open one).
    pub created: bool,
    /// Findings added to the clue.
    pub added: usize,
    /// The new clue was dispatched.
    pub dispatched: bool,
}

/// Sending a clue to a district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClueDispatch {
    pub district: DistrictCode,
    /// The district's deadline.
    pub due_on: NaiveDate,
    /// The verification limit, when the clue has none yet.
    pub verify_by: NaiveDate,
    /// Why (required to send a clue again).
    pub reason: Option<String>,
}

/// How a district's feedback ends a clue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClueClosing {
    /// A violation was verified: the clue stays open for a case.
    Verified { note: Option<String> },
    /// Not opened as a case, with the reason.
    NotVerified {
        reason: NotVerifiedReason,
        note: Option<String>,
    },
    /// Handed to another authority (escalated).
    Transferred { to: String, note: Option<String> },
}

impl ClueClosing {
    /// The state the clue takes.
    pub fn state(&self) -> ClueState {
        match self {
            ClueClosing::Verified { .. } => ClueState::Verified,
            ClueClosing::NotVerified { .. } => ClueState::NotVerified,
            ClueClosing::Transferred { .. } => ClueState::Transferred,
        }
    }
}

/// What a sweep row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepKind {
    /// A crawl of the register's sites (resumable).
    Sweep,
    /// An inspector's evidence capture of one URL of one site (never resumed as a crawl).
    Capture,
    /// A rectification re-check: exactly the given URLs of one site fetched again (no link
    /// following), never resumed as a crawl.
    Recheck,
}

impl SweepKind {
    /// Stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            SweepKind::Sweep => "sweep",
            SweepKind::Capture => "capture",
            SweepKind::Recheck => "recheck",
        }
    }

    /// Chinese label for the console.
    pub fn label(self) -> &'static str {
        match self {
            SweepKind::Sweep => "巡查",
            SweepKind::Capture => "取证",
            SweepKind::Recheck => "整改复查",
        }
    }
}

/// The state of one site within one sweep, so that an interrupted sweep resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteSweepState {
    Pending,
    Done,
    Unreachable,
}

/// What a [`SiteProgress`] commit does with the site's saved crawl frontier.
#[derive(Debug, Clone, PartialEq)]
pub enum FrontierUpdate {
    /// Leave the saved frontier as it is.
    Keep,
    /// Replace it with this snapshot (the crawler's JSON; the store does not look inside).
    Save(serde_json::Value),
    /// Delete it (the site is finished).
    Clear,
}

/// A site's progress within a sweep, committed in one transaction so that the fetches recorded
/// and the saved frontier always agree: after a crash, a page is either recorded *and* marked
/// fetched in the frontier, or neither (and is fetched again on resume).
#[derive(Debug, Clone, PartialEq)]
pub struct SiteProgress {
    pub sweep: SweepId,
    pub site: SiteId,
    /// Fetches since the last commit, each with its findings, in capture order.
    pub fetches: Vec<(NewFetch, Vec<NewFinding>)>,
    pub frontier: FrontierUpdate,
    /// Marks the site done or unreachable (with the reason) in the same transaction.
    pub finish: Option<(SiteSweepState, Option<String>)>,
    /// Sites linked from these pages that match no known site (recorded with their evidence).
    pub discoveries: Vec<NewDiscovery>,
    /// What the site's pages show it to be (set when it is done and pages were scanned).
    pub classified: Option<SiteClass>,
    /// For a discovered site: what its pages show of its operator, for the matcher, and the
    /// city indicators among it (which let a site two hops away into the queue).
    pub shown: Option<(Shown, Vec<domain::locality::Indicator>)>,
}

/// The last record the store points at in one WARC file ([`crate::SweepStore::committed_evidence`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedWarc {
    /// The file's name in the evidence directory.
    pub warc_file: String,
    /// The offset of the last record a fetch or finding points at in it.
    pub last_offset: i64,
}

/// Where a WARC record lives: the evidence pointer every fetch and finding carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidencePointer {
    pub warc_file: String,
    pub offset: i64,
    pub digest: String,
}

/// One HTTP exchange of a sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFetch {
    pub sweep_id: SweepId,
    pub site_id: SiteId,
    pub url: String,
    pub fetched_at: DateTime<Utc>,
    /// HTTP status, `None` when no response came.
    pub status: Option<i32>,
    pub content_type: Option<String>,
    /// Body length as received.
    pub bytes: i64,
    /// SHA-256 of the payload (`sha256:<hex>`), for change detection. For a `304 Not
    /// Modified` it is the digest of the earlier payload the answer confirms (the 304 itself
    /// has none), so that the next sweep compares against the content the page still has.
    pub payload_digest: Option<String>,
    /// Why the fetch failed, when it did.
    pub error: Option<String>,
    /// The response record (or the request record when no response came).
    pub evidence: Option<EvidencePointer>,
    /// The response's `ETag`, sent back as `If-None-Match` on the next sweep.
    pub etag: Option<String>,
    /// The response's `Last-Modified`, sent back as `If-Modified-Since` on the next sweep.
    pub last_modified: Option<String>,
    /// The `WARC-Record-ID` of the evidence record.
    pub record_id: Option<String>,
    /// When the evidence record is a `revisit` (the payload was identical to an earlier
    /// capture's): the fetch whose `response` record holds that payload.
    pub revisit_of: Option<FetchId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fetch {
    pub id: FetchId,
    pub fetch: NewFetch,
}

/// What an earlier sweep knew of a page: its last fetch with a response, for a conditional GET
/// and to tell an unchanged payload from a changed one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownPage {
    pub url: String,
    pub status: i32,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub payload_digest: Option<String>,
    /// The `response` record holding this page's current payload (the fetch itself, or the
    /// original its revisit refers to), when it is a `200` recorded with its record id: what
    /// the next identical capture is written as a revisit of.
    pub original: Option<OriginalCapture>,
}

/// An earlier `200` response record that a revisit may refer to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalCapture {
    pub fetch: FetchId,
    /// Its `WARC-Record-ID`.
    pub record_id: String,
    /// Its fetch time (the record's `WARC-Date`, to the second).
    pub fetched_at: DateTime<Utc>,
    /// Its payload digest.
    pub payload_digest: Option<String>,
}

/// How a fetch compares with the previous fetch of the same URL of the site (the most recent
/// one *with a response* in an earlier sweep). One definition, used by the sweep to decide what
/// to scan ([`PageChange::classify`]) and by the store to show a site's change history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageChange {
    /// No earlier sweep fetched this URL with a response.
    New,
    /// Status or payload differ from the previous fetch.
    Changed,
    /// Same status and the same payload digest as the previous fetch.
    Unchanged,
    /// The server answered a conditional GET with `304 Not Modified`.
    NotModified,
    /// `404`/`410` where the previous fetch had the page (2xx or 304).
    Gone,
    /// No response (the fetch failed).
    Failed,
}

impl PageChange {
    pub const ALL: [PageChange; 6] = [
        PageChange::New,
        PageChange::Changed,
        PageChange::Unchanged,
        PageChange::NotModified,
        PageChange::Gone,
        PageChange::Failed,
    ];

    /// Classifies a fetch (`status`, `digest`) against the previous one, if any (its status
    /// and digest). A previous `304` counts as the `200` it confirmed.
    pub fn classify(
        status: Option<i32>,
        digest: Option<&str>,
        previous: Option<(i32, Option<&str>)>,
    ) -> PageChange {
        let Some(status) = status else {
            return PageChange::Failed;
        };
        if status == 304 {
            return PageChange::NotModified;
        }
        let Some((prev_status, prev_digest)) = previous else {
            return PageChange::New;
        };
        let prev_status = if prev_status == 304 { 200 } else { prev_status };
        let had_page = (200..300).contains(&prev_status);
        if matches!(status, 404 | 410) && had_page {
            PageChange::Gone
        } else if status == prev_status && digest.is_some() && digest == prev_digest {
            PageChange::Unchanged
        } else {
            PageChange::Changed
        }
    }

    /// Stable code (URLs, JSON, tests).
    pub fn code(self) -> &'static str {
        match self {
            PageChange::New => "new",
            PageChange::Changed => "changed",
            PageChange::Unchanged => "unchanged",
            PageChange::NotModified => "not_modified",
            PageChange::Gone => "gone",
            PageChange::Failed => "failed",
        }
    }
}

/// One entry of a site's change history: a fetch and how it compares with the previous fetch
/// of the same URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageHistory {
    pub fetch_id: FetchId,
    pub url: String,
    pub sweep_id: SweepId,
    pub fetched_at: DateTime<Utc>,
    pub status: Option<i32>,
    pub payload_digest: Option<String>,
    pub change: PageChange,
    /// True when the fetch points at a WARC record.
    pub has_evidence: bool,
}

/// Where on a page a finding was made.
pub type Location = String;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFinding {
    pub sweep_id: SweepId,
    pub site_id: SiteId,
    pub fetch_id: Option<FetchId>,
    pub url: String,
    pub category: Category,
    pub rule_id: String,
    pub rule_pack: String,
    pub severity: Severity,
    pub excerpt: String,
    /// title, meta, text, link, attribute, hidden, structure, register
    pub location: Location,
    pub evidence: Option<EvidencePointer>,
    pub found_at: DateTime<Utc>,
    /// Why the match is not the site's own claim (a quotation, a trademark, the page's genre):
    /// kept for people to review the rule; a suppressed finding never becomes a clue and counts
    /// in no dashboard, credit score or report.
    #[serde(default)]
    pub suppressed: Option<domain::Suppression>,
}

impl NewFinding {
    /// Not suppressed: a finding that counts.
    pub fn is_live(&self) -> bool {
        self.suppressed.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: FindingId,
    pub finding: NewFinding,
    pub host: String,
    pub district: Option<DistrictCode>,
    /// People's latest decision on it (`Open` until someone decides).
    pub triage: Triage,
    /// Why, for a dismissal or a false positive.
    pub triage_reason: Option<String>,
}

/// Filter for the findings list. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingFilter {
    pub category: Option<Category>,
    pub triage: Option<Triage>,
    pub district: Option<DistrictCode>,
    pub severity: Option<Severity>,
    pub site_id: Option<SiteId>,
    /// Only the findings first found in this sweep (a finding is stored once, under the sweep
    /// that first found it).
    pub sweep_id: Option<SweepId>,
    /// Suppressed findings: `false` (the default) lists only the live ones, `true` only the
    /// suppressed ones.
    pub suppressed: bool,
    /// The order (`None`: the list's own).
    pub sort: Option<crate::sort::Sort<crate::sort::FindingSort>>,
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_up_to: Option<i64>,
}

/// Filter for the sites list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteFilter {
    pub district: Option<DistrictCode>,
    pub kind: Option<SiteKind>,
    pub registered: Option<bool>,
    /// The order (`None`: the list's own).
    pub sort: Option<crate::sort::Sort<crate::sort::SiteSort>>,
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_up_to: Option<i64>,
}

/// Which entities a list returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityFilter {
    pub district: Option<DistrictCode>,
    pub kind: Option<SiteKind>,
    pub status: Option<EntityStatus>,
    pub legal_form: Option<LegalForm>,
    /// Only entities flagged for review (legacy USCC failing its check).
    pub needs_review: bool,
    /// 0 or less: no limit.
    /// The order (`None`: the list's own).
    pub sort: Option<crate::sort::Sort<crate::sort::EntitySort>>,
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_up_to: Option<i64>,
}

/// Which discovered sites a list returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryFilter {
    pub state: Option<crate::discovery::DiscoveryState>,
    pub source: Option<crate::discovery::DiscoverySource>,
    /// Only hosts that imitate a registered site.
    pub imitations: bool,
    /// The order (`None`: the list's own, by address).
    pub sort: Option<crate::sort::Sort<crate::sort::DiscoverySort>>,
    pub limit: i64,
    pub offset: i64,
    /// Counting stops at this many rows (`None`: every match counts): `count_*` then returns
    /// at most this. A pager asks whether there are more rows than it numbers, not how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_up_to: Option<i64>,
}

/// One cell of the dashboard: findings of a category in a district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub category: Category,
    pub district: Option<DistrictCode>,
    pub count: i64,
}

/// An HTML page to index, with its place in commit order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedPage {
    /// The fetch's place in the order fetches were committed: a watermark that only grows,
    /// so a reader that has seen `seq` has seen every page committed before it.
    pub seq: i64,
    pub fetch: Fetch,
    /// The district of the site's entity, if it has one.
    pub district: Option<DistrictCode>,
}

/// Totals shown at the top of the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub entities: i64,
    pub sites: i64,
    pub fetches: i64,
    pub findings: i64,
    pub sweeps: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_change_compares_with_the_previous_fetch() {
        use PageChange::*;
        let check = |status, digest, prev, want: PageChange| {
            assert_eq!(
                PageChange::classify(status, digest, prev),
                want,
                "{status:?} {digest:?} {prev:?}"
            );
        };
        check(None, None, Some((200, Some("a"))), Failed);
        check(Some(304), None, Some((200, Some("a"))), NotModified);
        check(Some(304), None, None, NotModified);
        check(Some(200), Some("a"), None, New);
        check(Some(200), Some("a"), Some((200, Some("a"))), Unchanged);
        check(Some(200), Some("a"), Some((304, Some("a"))), Unchanged);
        check(Some(200), Some("b"), Some((200, Some("a"))), Changed);
        check(Some(200), None, Some((200, None)), Changed);
        check(Some(500), Some("a"), Some((200, Some("a"))), Changed);
        check(Some(404), Some("x"), Some((200, Some("a"))), Gone);
        check(Some(410), Some("x"), Some((304, Some("a"))), Gone);
        check(Some(404), Some("x"), Some((404, Some("x"))), Unchanged);
        check(Some(200), Some("a"), Some((404, Some("a"))), Changed);
    }
}

/// One changed field of an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub changed_at: DateTime<Utc>,
    /// Where the change came from (`import entities <file>`).
    pub source: String,
    /// The field's import column name; `created` for the row's creation.
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}
