//! Many workers on one sweep (`wangjian worker`): leases of a sweep's hosts, the leaves
//! workers hand the transparency log's one sequencer, and the workers seen.
//!
//! A worker leases a **host** of a running sweep, not a site: every pending site of the sweep
//! on that host is its work, so a host's politeness (one connection at a time, the crawl
//! delay) holds across workers without a clock shared between them. A lease carries a
//! **token** that grows each time the host is leased again; every commit of the worker's
//! progress names it and is refused ([`StoreError::LeaseLost`]) once another worker has taken
//! the host over, so a worker that was paused past its lease cannot record a page twice.
//!
//! The log's leaves: a worker writes each WARC record's leaf into `log_leaves` before the
//! record's bytes reach its file; the sequencer (one at a time: [`WorkStore::try_lead`])
//! appends pending leaves to the log in `id` order and writes each one's index back; the
//! worker waits for those indexes before it commits the fetches its records hold, so a record
//! counts as stored only once it is in the log.

use chrono::{DateTime, Utc};
use domain::{SiteId, SweepId};

/// A worker's lease of one host of a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLease {
    pub sweep: SweepId,
    pub host: String,
    /// The worker holding it (its `--name`).
    pub owner: String,
    /// Grows each time the host is leased; a commit naming an older token is refused.
    pub token: i64,
    pub until: DateTime<Utc>,
}

/// A host leased with the work it holds.
#[derive(Debug, Clone)]
pub struct LeasedHost {
    pub lease: HostLease,
    /// The sweep's pending sites on the host.
    pub sites: Vec<crate::Site>,
    /// Whether the homepage probes of these sites were recorded by an earlier holder (they
    /// are not run again, so a retried host's probes are never recorded twice).
    pub probed: bool,
    /// The worker whose lease of the host ran out before this one took it (its sites are
    /// continued from their saved frontiers); `None` for a host leased the first time or given
    /// back.
    pub taken_from: Option<String>,
}

/// A worker as the store last saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkerSeen {
    pub name: String,
    /// The run of the worker last seen (a token it chose when it started).
    pub run: String,
    pub started_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
    /// The sweep it works on, if any.
    pub sweep: Option<SweepId>,
    /// Every record it wrote has its leaf in the store, and it holds no lease (it waits for
    /// work).
    pub idle: bool,
    /// Hosts it holds a live lease of.
    pub hosts: i64,
}

/// A leaf submitted to the log and not yet sequenced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLeaf {
    pub id: i64,
    /// The RFC 6962 leaf hash (32 bytes).
    pub leaf: [u8; 32],
}

/// Being the one sequencer: held while the value lives (on PostgreSQL a session advisory lock
/// on a connection of its own, released when it is dropped or the connection dies).
#[async_trait::async_trait]
pub trait Leadership: Send {
    /// Whether the lock is still held (the connection alive).
    async fn still_held(&mut self) -> bool;
}

/// Leases of a sweep's hosts, the log's submitted leaves, the workers seen.
#[async_trait::async_trait]
pub trait WorkStore: Send + Sync {
    /// Starts a city sweep over `sites` for workers to do ([`crate::Sweep::by_workers`]).
    async fn create_workers_sweep(&self, sites: &[SiteId]) -> crate::Result<SweepId>;
    /// Leases up to `max` hosts of `sweep` with pending sites whose lease is free or ran out,
    /// for `ttl` (PostgreSQL skips rows other leasers hold locked). Sites of one host are
    /// never leased to two workers at once.
    async fn lease_hosts(
        &self,
        sweep: SweepId,
        worker: &str,
        max: usize,
        ttl: chrono::Duration,
    ) -> crate::Result<Vec<LeasedHost>>;
    /// Extends a lease by `ttl` from now; [`StoreError::LeaseLost`] when another worker took it.
    async fn renew_lease(
        &self,
        lease: &HostLease,
        ttl: chrono::Duration,
    ) -> crate::Result<HostLease>;
    /// Gives a lease back (its sites done or left for another worker); a lease already taken
    /// over is left alone.
    async fn release_lease(&self, lease: &HostLease) -> crate::Result<()>;
    /// [`crate::SweepStore::commit_progress`] under `lease`: refused with
    /// [`StoreError::LeaseLost`], nothing written, when the host was leased again since; the
    /// lease is renewed by `ttl` in the same transaction.
    async fn commit_leased_progress(
        &self,
        lease: &HostLease,
        ttl: chrono::Duration,
        progress: &crate::SiteProgress,
    ) -> crate::Result<Vec<domain::FetchId>>;
    /// Records that the homepage probes of `site` were made in the sweep (with their fetches
    /// and findings, under the lease), so a later holder does not probe again.
    async fn commit_probes(
        &self,
        lease: &HostLease,
        sites: &[SiteId],
        fetches: &[(crate::NewFetch, Vec<crate::NewFinding>)],
    ) -> crate::Result<()>;
    /// Hosts of `sweep` with pending sites, and how many of them hold a live lease.
    async fn hosts_left(&self, sweep: SweepId) -> crate::Result<(i64, i64)>;

    /// Notes that `worker`, in its run `run`, is alive (on which sweep, and whether it is
    /// [`WorkerSeen::idle`]); a new run starts the worker's time again.
    async fn worker_seen(
        &self,
        worker: &str,
        run: &str,
        sweep: Option<SweepId>,
        idle: bool,
    ) -> crate::Result<()>;
    /// Workers seen since `since`, with their live leases.
    async fn workers(&self, since: DateTime<Utc>) -> crate::Result<Vec<WorkerSeen>>;

    /// Submits leaves for the log; returns their ids in order.
    async fn submit_leaves(&self, worker: &str, leaves: &[[u8; 32]]) -> crate::Result<Vec<i64>>;
    /// Whether each leaf was ever submitted, in order of `leaves`.
    async fn known_leaves(&self, leaves: &[[u8; 32]]) -> crate::Result<Vec<bool>>;
    /// The log index of each submitted leaf (`None` while not sequenced), in order of `ids`.
    async fn leaf_indexes(&self, ids: &[i64]) -> crate::Result<Vec<Option<i64>>>;
    /// Leaves not yet sequenced, oldest first, at most `limit`.
    async fn pending_leaves(&self, limit: i64) -> crate::Result<Vec<PendingLeaf>>;
    /// The next index the sequencer gives (one past the highest given; 0 before any).
    async fn sequenced_count(&self) -> crate::Result<i64>;
    /// Deletes every sequenced leaf but the one with the highest index (which keeps
    /// [`WorkStore::sequenced_count`]); returns how many. Their records are in the log, whose
    /// own files keep the leaves; call it only when no worker waits for an index of them (the
    /// sequencer does at the end of a sweep, once every worker is idle or dead and repaired).
    async fn prune_sequenced_leaves(&self) -> crate::Result<u64>;
    /// Writes the indexes the sequencer gave (`(id, index)`), in one transaction; an index
    /// given before, or a leaf sequenced before, is [`StoreError::Conflict`] and nothing is
    /// written.
    async fn assign_leaf_indexes(&self, assigned: &[(i64, i64)]) -> crate::Result<()>;
    /// Becomes the one sequencer if nobody else is: `None` when another process holds it.
    async fn try_lead(&self) -> crate::Result<Option<Box<dyn Leadership>>>;
}
