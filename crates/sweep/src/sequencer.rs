//! The transparency log's one sequencer when many workers sweep (`wangjian worker`), and the
//! end of their sweep.
//!
//! Workers write their WARC records themselves but do not hold the log: each record's leaf is
//! submitted to the store (`log_leaves`) before its bytes reach the worker's file, and the
//! worker's flush waits until the leaf has a log index ([`RemoteLeaves`]). One process at a
//! time — the holder of [`store::WorkStore::try_lead`], a PostgreSQL advisory lock — appends
//! the pending leaves to the log in the data directory, in submission order, syncs it, and
//! writes the indexes back; it signs a checkpoint (committing to the chain of custody, as
//! every checkpoint does: [`crate::checkpoint`]) when the log has grown and
//! [`SequencerConfig::checkpoint_every`] has passed since the last, and at the end of a sweep.
//! The tree, its checkpoints and proofs are
//! the log's usual files, so `evidence verify` and WACZ exports work unchanged. The leader
//! holds the log only while a sweep made for workers runs, so that between such sweeps the
//! data directory's other writers (a capture from the console, a campaign's sweep) can take
//! it.
//!
//! A sequencer that dies between appending leaves and writing their indexes leaves those
//! leaves in the log without an index; its successor appends them again. At the end of a
//! sweep the sequenced leaves are pruned from the store (all but the last, which keeps the
//! next index): the log's own files hold them. A leaf twice in the log is harmless
//! (verification asks that every record be in the log, not that every leaf have one record);
//! a record whose leaf never reached the log is impossible, since its worker waits for the
//! index before the record counts.
//!
//! The leader also ends the workers' sweep: once no host of it is pending and every worker that
//! wrote files in it is idle (it handed every leaf in: [`store::WorkerSeen::idle`]) or dead
//! (not seen for [`SequencerConfig::alive_for`]), it turns the sweep's discoveries (and the
//! departments' filings and CT logs) into sites for the next wave, as a sweep in one process
//! does; when there are none left it repairs the dead workers' files (torn tails cut, records
//! whose leaves never arrived logged), signs a checkpoint over every leaf, and marks the sweep
//! done.

use crate::error::SweepError;
use crate::run::{LogConfig, SweepConfig};
use chrono::Utc;
use evidence::tlog::{Hash, Log, LogError, Signer};
use evidence::{EvidenceError, LeafSink};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Store;
use tokio::runtime::Handle;

/// Leaves sequenced per step.
const BATCH: i64 = 5_000;

/// How long after its last leaf the log counts as active, and how often it is looked at then.
const ACTIVE: Duration = Duration::from_secs(2);
const ACTIVE_POLL: Duration = Duration::from_millis(2);

/// How the sequencer runs.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// How often a follower tries to lead, and an idle leader looks for leaves.
    pub poll: Duration,
    /// The least time between two checkpoints while leaves keep coming.
    pub checkpoint_every: Duration,
    /// How long a worker that was not seen counts as alive: the end of its sweep waits for it
    /// (twice a lease: `WorkerOptions::set_lease`).
    pub alive_for: chrono::Duration,
    /// Return once no sweep is running (after the last checkpoint of the one it ended), rather
    /// than run for ever (`wangjian sequencer --until-idle`).
    pub until_idle: bool,
}

impl SequencerConfig {
    /// Counts a worker not seen for twice `lease` as dead: a worker holding leases is seen at
    /// every renewal (a third of a lease), a waiting one at every poll.
    pub fn set_lease(&mut self, lease: chrono::Duration) {
        self.alive_for = lease * 2;
    }
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig {
            poll: Duration::from_millis(50),
            checkpoint_every: Duration::from_secs(10),
            alive_for: chrono::Duration::seconds(120),
            until_idle: false,
        }
    }
}

/// Runs for ever (or, with [`SequencerConfig::until_idle`], until no sweep is running): follows
/// until it can lead, then sequences leaves, signs checkpoints and ends finished sweeps until
/// its lock is lost or a step fails (logged), then follows again. The caller may stop it by
/// aborting its task.
pub async fn run_sequencer(store: Arc<dyn Store>, sweep: SweepConfig, config: SequencerConfig) {
    loop {
        match store.try_lead().await {
            Ok(Some(mut lead)) => {
                tracing::info!("sequencing the transparency log");
                match lead_while_held(&store, &sweep, &config, lead.as_mut()).await {
                    Ok(true) => return,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(error = %crate::run::error_chain(&e), "sequencer stopped; following again")
                    }
                }
            }
            Ok(None) => {
                if config.until_idle && matches!(store.unfinished_sweep().await, Ok(None)) {
                    return;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot ask who sequences the log"),
        }
        tokio::time::sleep(config.poll.max(Duration::from_millis(10)) * 10).await;
    }
}

/// Leads while the lock is held. Returns `true` when it stopped because no sweep is running
/// and [`SequencerConfig::until_idle`] asks for that.
///
/// The log is held (its file lock taken) only while a sweep made for workers runs: between
/// them the data directory's other writers — a capture from the console, a campaign's sweep,
/// an export's checkpoint — need it, and would otherwise find it taken for good.
async fn lead_while_held(
    store: &Arc<dyn Store>,
    sweep: &SweepConfig,
    config: &SequencerConfig,
    lead: &mut dyn store::Leadership,
) -> Result<bool, SweepError> {
    let lc = sweep.log.as_ref().ok_or(SweepError::WorkerWithoutLog)?;
    let signer = Signer::load_or_create(&lc.keys_dir, &lc.key_name).map_err(SweepError::LogKey)?;
    loop {
        let running = store.unfinished_sweep().await?;
        if running.as_ref().is_some_and(|s| s.by_workers) {
            if !sequence_sweep(store, sweep, config, lead, lc, &signer).await? {
                tracing::warn!("the sequencer's lock was lost");
                return Ok(false);
            }
            continue;
        }
        if running.is_none() && config.until_idle {
            return Ok(true);
        }
        if !lead.still_held().await {
            return Ok(false);
        }
        tokio::time::sleep(config.poll * 10).await;
    }
}

/// Holds the log while a sweep made for workers runs: sequences leaves, signs checkpoints and
/// ends the sweep; signs what is left unsigned and lets the log go once no workers' sweep
/// runs. Returns `false` when the lead was lost.
async fn sequence_sweep(
    store: &Arc<dyn Store>,
    sweep: &SweepConfig,
    config: &SequencerConfig,
    lead: &mut dyn store::Leadership,
    lc: &LogConfig,
    signer: &Signer,
) -> Result<bool, SweepError> {
    // The log's own file lock: another process of this machine may hold it (a sweep or a
    // capture run by hand); wait for it.
    let mut log = loop {
        let dir = lc.dir.clone();
        match tokio::task::spawn_blocking(move || Log::open(dir)).await? {
            Ok(log) => break log,
            Err(LogError::Locked { .. }) => {
                if !lead.still_held().await {
                    return Ok(false);
                }
                tokio::time::sleep(config.poll).await;
            }
            Err(e) => return Err(SweepError::Log(e)),
        }
    };
    for repair in log.repairs() {
        tracing::warn!(%repair, "transparency log repaired on open");
    }
    let mut signed = log.size();
    let mut signed_at = Instant::now();
    let mut last_end_check: Option<Instant> = None;
    let mut last_leaf: Option<Instant> = None;
    while lead.still_held().await {
        let (l, n) = sequence_step(store.as_ref(), log).await?;
        log = l;
        if n > 0 {
            last_leaf = Some(Instant::now());
        }
        if log.size() > signed && signed_at.elapsed() >= config.checkpoint_every {
            sign(store.as_ref(), lc, &log, signer).await?;
            signed = log.size();
            signed_at = Instant::now();
        }
        if n == 0 {
            if last_end_check.is_none_or(|t| t.elapsed() >= config.poll * 10) {
                last_end_check = Some(Instant::now());
                let (l, ended) = end_sweep(store, sweep, config, log).await?;
                log = l;
                if ended {
                    sign(store.as_ref(), lc, &log, signer).await?;
                    signed = log.size();
                    signed_at = Instant::now();
                }
                let running = store.unfinished_sweep().await?;
                if !running.is_some_and(|s| s.by_workers) {
                    if log.size() > signed {
                        sign(store.as_ref(), lc, &log, signer).await?;
                    }
                    // Dropping the log lets its file lock go.
                    return Ok(true);
                }
            }
            // Workers wait for their leaves at every flush: while leaves keep coming, look
            // again soon; an idle log is looked at every `poll`.
            let pause = if last_leaf.is_some_and(|t| t.elapsed() < ACTIVE) {
                ACTIVE_POLL.min(config.poll)
            } else {
                config.poll
            };
            tokio::time::sleep(pause).await;
        }
    }
    Ok(false)
}

/// Appends the pending leaves (one batch) to the log, syncs it and writes their indexes back.
/// Returns the log and the number of leaves sequenced.
async fn sequence_step(store: &dyn Store, log: Log) -> Result<(Log, usize), SweepError> {
    let pending = store.pending_leaves(BATCH).await?;
    if pending.is_empty() {
        return Ok((log, 0));
    }
    let start = log.size();
    let sequenced = store.sequenced_count().await?;
    if u64::try_from(sequenced).unwrap_or(u64::MAX) > start {
        return Err(SweepError::LogBehind {
            log: start,
            sequenced,
        });
    }
    let leaves: Vec<Hash> = pending.iter().map(|p| Hash(p.leaf)).collect();
    let log = tokio::task::spawn_blocking(move || {
        let mut log = log;
        for leaf in leaves {
            log.append_leaf_hash(leaf)?;
        }
        log.sync()?;
        Ok::<_, LogError>(log)
    })
    .await?
    .map_err(SweepError::Log)?;
    let assigned: Vec<(i64, i64)> = pending
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, start as i64 + i as i64))
        .collect();
    store.assign_leaf_indexes(&assigned).await?;
    Ok((log, pending.len()))
}

async fn sign(
    store: &dyn Store,
    lc: &LogConfig,
    log: &Log,
    signer: &Signer,
) -> Result<(), SweepError> {
    let stored = crate::checkpoint::sign(store, log, signer, &lc.origin, Utc::now()).await?;
    tracing::info!(size = stored.checkpoint.size, "checkpoint signed");
    Ok(())
}

/// Ends the workers' sweep when none of its hosts is pending and every worker that wrote in
/// it is idle or dead: the next wave's sites, else the end. Returns the log and whether a
/// sweep was ended.
async fn end_sweep(
    store: &Arc<dyn Store>,
    sweep: &SweepConfig,
    config: &SequencerConfig,
    mut log: Log,
) -> Result<(Log, bool), SweepError> {
    let Some(running) = store.unfinished_sweep().await? else {
        return Ok((log, false));
    };
    let (left, _) = store.hosts_left(running.id).await?;
    if left > 0 {
        return Ok((log, false));
    }
    let Some(dead) = dead_workers(store.as_ref(), sweep, config, running.id).await? else {
        return Ok((log, false));
    };
    if running.campaign.is_none() {
        crate::run::read_sources(store.as_ref(), sweep).await?;
        let found = store.promote_discoveries(running.id).await?;
        if !found.is_empty() {
            tracing::info!(sites = found.len(), sweep = %running.id, "discovered sites added for the workers");
            return Ok((log, false));
        }
    }
    crate::discover::review(store.as_ref()).await?;
    for prefix in &dead {
        repair_dead_worker(store.as_ref(), sweep, running.id, prefix, &mut log).await?;
    }
    // Leaves handed in since the last step (an idle worker's last ones): in the log before
    // the sweep's last checkpoint.
    loop {
        let (l, n) = sequence_step(store.as_ref(), log).await?;
        log = l;
        if n == 0 {
            break;
        }
    }
    // No worker waits for an index now: the store keeps no copy of what the log holds.
    let pruned = store.prune_sequenced_leaves().await?;
    tracing::info!(pruned, "sequenced leaves pruned from the store");
    let done = store.finish_sweep(running.id).await?;
    tracing::info!(sweep = %done.id, sites = done.sites, pages = done.pages, findings = done.findings, "workers' sweep finished");
    Ok((log, true))
}

/// The runs of workers that worked in sweep `id` (wrote files in the evidence directory, or
/// were last seen on it: a worker writing to the object store keeps its files elsewhere) and
/// are dead: not seen for [`SequencerConfig::alive_for`] (or a worker's earlier run). `None`
/// while one of them may still hand leaves in: seen lately and not idle.
async fn dead_workers(
    store: &dyn Store,
    sweep: &SweepConfig,
    config: &SequencerConfig,
    id: domain::SweepId,
) -> Result<Option<Vec<String>>, SweepError> {
    let alive_since = Utc::now() - config.alive_for;
    let workers = store.workers(chrono::DateTime::UNIX_EPOCH).await?;
    let seen: std::collections::HashMap<String, bool> = workers
        .iter()
        .filter(|w| w.seen_at >= alive_since)
        .map(|w| (worker_prefix(id, &w.name, &w.run), w.idle))
        .collect();
    let mut prefixes = worker_prefixes(sweep, id);
    prefixes.extend(
        workers
            .iter()
            .filter(|w| w.sweep == Some(id))
            .map(|w| worker_prefix(id, &w.name, &w.run)),
    );
    prefixes.sort();
    prefixes.dedup();
    let mut dead = Vec::new();
    for prefix in prefixes {
        match seen.get(&prefix) {
            Some(true) => {}
            Some(false) => {
                tracing::debug!(%prefix, "waiting for a worker to hand its last leaves in");
                return Ok(None);
            }
            None => dead.push(prefix),
        }
    }
    Ok(Some(dead))
}

/// The name prefixes of the workers' files of sweep `id` in the evidence directory, sorted.
fn worker_prefixes(sweep: &SweepConfig, id: domain::SweepId) -> Vec<String> {
    let files = match evidence::warc_files(&sweep.evidence_dir) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            tracing::error!(dir = %sweep.evidence_dir.display(), error = %e, "cannot list the evidence files; none repaired");
            return Vec::new();
        }
    };
    let mut prefixes: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name()?.to_str())
        .filter_map(|name| {
            let (prefix, _) = evidence::writer::file_prefix_and_seq(name)?;
            prefix
                .starts_with(&format!("wangjian-sweep{}-", id.0))
                .then(|| prefix.to_string())
        })
        .collect();
    prefixes.sort();
    prefixes.dedup();
    prefixes
}

/// Repairs the files a dead worker's run (`prefix`) wrote in sweep `id`: cuts the torn last
/// record that a kill mid-write left in its newest file, as a resumed sweep does for its own
/// (never below what the store points at), and appends to the log the leaves of whole records
/// whose leaves never reached the store (it died between writing them and handing their
/// leaves in; nothing points at them). Every file of the run is read: a writer dropped with
/// its lease may have left its last leaves queued when a newer file was opened.
async fn repair_dead_worker(
    store: &dyn Store,
    sweep: &SweepConfig,
    id: domain::SweepId,
    prefix: &str,
    log: &mut Log,
) -> Result<(), SweepError> {
    crate::run::repair_warc_tails(store, &sweep.evidence_dir, id, prefix).await;
    let mut files: Vec<(u64, std::path::PathBuf)> = evidence::warc_files(&sweep.evidence_dir)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| {
            let seq = evidence::writer::file_seq(p.file_name()?.to_str()?, prefix)?;
            Some((seq, p))
        })
        .collect();
    files.sort();
    for (_, path) in files {
        log_orphans(store, log, &path).await?;
    }
    Ok(())
}

/// Appends to `log` the leaves of the records of `path` that were never submitted.
async fn log_orphans(
    store: &dyn Store,
    log: &mut Log,
    path: &std::path::Path,
) -> Result<(), SweepError> {
    let file = path.to_path_buf();
    let leaves = tokio::task::spawn_blocking(move || -> Result<Vec<[u8; 32]>, EvidenceError> {
        let mut reader = evidence::reader::open_reader(&file)?;
        let mut offsets = Vec::new();
        loop {
            let at = reader.position();
            match reader.next() {
                Some(Ok(_)) => offsets.push(at),
                // A damaged record ends the file's whole ones (`evidence verify` names it).
                Some(Err(_)) | None => break,
            }
        }
        offsets
            .into_iter()
            .map(|at| {
                let member = evidence::read_stored_member(&file, at)?;
                Ok(evidence::stored_record_leaf(&member).0)
            })
            .collect()
    })
    .await??;
    let known = store.known_leaves(&leaves).await?;
    let orphans: Vec<Hash> = leaves
        .iter()
        .zip(known)
        .filter(|(_, known)| !known)
        .map(|(leaf, _)| Hash(*leaf))
        .collect();
    if orphans.is_empty() {
        return Ok(());
    }
    tracing::warn!(file = %path.display(), records = orphans.len(), "logged the records a dead worker wrote without handing their leaves in");
    for leaf in orphans {
        log.append_leaf_hash(leaf).map_err(SweepError::Log)?;
    }
    log.sync().map_err(SweepError::Log)?;
    Ok(())
}

/// The name prefix of the WARC files one run of a worker writes in a sweep.
pub(crate) fn worker_prefix(sweep: domain::SweepId, worker: &str, run: &str) -> String {
    format!("wangjian-sweep{}-{worker}-{run}", sweep.0)
}

/// A worker's leaves, handed to the store in the background and waited for: `submit` queues a
/// batch and returns at once; a task inserts whatever is queued in one transaction at a time
/// (group commit: one round trip for every record written meanwhile, where one per record
/// cost a commit each); `sync` waits until every leaf queued so far is inserted and sequenced.
/// A worker killed between a record's bytes and its leaf's insert leaves a record the log
/// lacks: the sequencer logs it when it repairs the dead worker's files
/// ([`repair_dead_worker`]); no fetch points at it, as the worker's commits wait for `sync`.
/// Used from blocking threads (the writer's callers).
pub(crate) struct RemoteLeaves {
    queue: Arc<LeafQueue>,
    handle: Handle,
    store: Arc<dyn Store>,
    /// How long a flush waits for the sequencer before it fails.
    patience: Duration,
}

/// What `submit` queued and the inserter did.
#[derive(Default)]
struct Queued {
    leaves: Vec<[u8; 32]>,
    /// Leaves queued in all, and inserted of them.
    queued: u64,
    inserted: u64,
    /// Ids inserted, not yet seen sequenced.
    ids: Vec<i64>,
    /// The inserter's last failure; the next `sync` reports it.
    failed: Option<String>,
    /// The sink was dropped: the inserter hands in what is queued, then ends.
    closed: bool,
}

struct LeafQueue {
    state: std::sync::Mutex<Queued>,
    inserted: std::sync::Condvar,
    wake: tokio::sync::Notify,
    /// Leaves queued and not yet inserted, counted over every sink of the worker's run (a
    /// dropped one's too): the worker is idle only at zero.
    unsubmitted: Arc<AtomicU64>,
}

impl RemoteLeaves {
    /// A sink for `worker`'s leaves, counting those not yet inserted in `unsubmitted`; must be
    /// made inside the runtime (its inserter is a task).
    pub(crate) fn new(
        store: Arc<dyn Store>,
        worker: &str,
        patience: Duration,
        unsubmitted: Arc<AtomicU64>,
    ) -> RemoteLeaves {
        let queue = Arc::new(LeafQueue {
            state: Default::default(),
            inserted: Default::default(),
            wake: Default::default(),
            unsubmitted,
        });
        tokio::spawn(insert_leaves(
            store.clone(),
            worker.to_string(),
            queue.clone(),
        ));
        RemoteLeaves {
            queue,
            handle: Handle::current(),
            store,
            patience,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Queued> {
        self.queue.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for RemoteLeaves {
    /// The inserter is not stopped: leaves queued for records already written (a wave that
    /// ended on a lost lease drops its writer unflushed) are still handed in, then it ends.
    fn drop(&mut self) {
        self.state().closed = true;
        self.queue.wake.notify_one();
    }
}

/// The inserter: every batch queued, in one transaction; it ends once the sink is dropped and
/// the queue handed in (a dropped sink's failed insert is tried again every second, as no
/// `sync` will ask for it).
async fn insert_leaves(store: Arc<dyn Store>, worker: String, queue: Arc<LeafQueue>) {
    loop {
        queue.wake.notified().await;
        loop {
            let (batch, closed) = {
                let mut q = queue.state.lock().unwrap_or_else(|p| p.into_inner());
                (std::mem::take(&mut q.leaves), q.closed)
            };
            if batch.is_empty() {
                if closed {
                    return;
                }
                break;
            }
            let result = store.submit_leaves(&worker, &batch).await;
            let retry = {
                let mut q = queue.state.lock().unwrap_or_else(|p| p.into_inner());
                match result {
                    Ok(ids) => {
                        q.inserted += batch.len() as u64;
                        q.ids.extend(ids);
                        queue
                            .unsubmitted
                            .fetch_sub(batch.len() as u64, Ordering::SeqCst);
                        None
                    }
                    Err(e) => {
                        // Put back in front, to be tried again at the next submit or sync (or,
                        // the sink dropped, in a second).
                        let leaves = batch.len();
                        let mut again = batch;
                        again.append(&mut q.leaves);
                        q.leaves = again;
                        if q.closed {
                            Some((e, leaves))
                        } else {
                            q.failed = Some(e.to_string());
                            queue.inserted.notify_all();
                            break;
                        }
                    }
                }
            };
            match retry {
                Some((e, leaves)) => {
                    tracing::warn!(error = %e, leaves, "cannot hand in the leaves of a dropped writer; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                None => queue.inserted.notify_all(),
            }
        }
    }
}

impl std::fmt::Debug for RemoteLeaves {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let q = self.state();
        f.debug_struct("RemoteLeaves")
            .field("queued", &q.queued)
            .field("inserted", &q.inserted)
            .finish_non_exhaustive()
    }
}

impl LeafSink for RemoteLeaves {
    fn submit(&mut self, leaves: &[Hash]) -> Result<(), EvidenceError> {
        {
            let mut q = self.state();
            q.leaves.extend(leaves.iter().map(|h| h.0));
            q.queued += leaves.len() as u64;
            self.queue
                .unsubmitted
                .fetch_add(leaves.len() as u64, Ordering::SeqCst);
        }
        self.queue.wake.notify_one();
        Ok(())
    }

    fn sync(&mut self) -> Result<(), EvidenceError> {
        let started = Instant::now();
        let give_up = |waiting: usize| {
            EvidenceError::Sequencer(format!(
                "{waiting} leaves not sequenced after {} s: is a sequencer running (a worker or serve with the data directory's log)?",
                self.patience.as_secs()
            ))
        };
        // Every leaf queued so far inserted.
        let ids = {
            let mut q = self.state();
            let target = q.queued;
            q.failed = None;
            while q.inserted < target {
                if q.failed.is_some() && !q.leaves.is_empty() {
                    q.failed = None;
                    self.queue.wake.notify_one();
                }
                let waited = self
                    .queue
                    .inserted
                    .wait_timeout(q, Duration::from_millis(200));
                q = waited.unwrap_or_else(|p| p.into_inner()).0;
                if started.elapsed() >= self.patience {
                    let why = q.failed.clone();
                    return Err(match why {
                        Some(e) => EvidenceError::Sequencer(e),
                        None => give_up((target - q.inserted) as usize),
                    });
                }
            }
            std::mem::take(&mut q.ids)
        };
        // And sequenced.
        let mut waiting = ids;
        let mut pause = Duration::from_millis(1);
        while !waiting.is_empty() {
            let indexes = self
                .handle
                .block_on(self.store.leaf_indexes(&waiting))
                .map_err(|e| EvidenceError::Sequencer(e.to_string()))?;
            waiting = waiting
                .iter()
                .zip(indexes)
                .filter(|(_, index)| index.is_none())
                .map(|(id, _)| *id)
                .collect();
            if waiting.is_empty() {
                break;
            }
            if started.elapsed() >= self.patience {
                return Err(give_up(waiting.len()));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::testing::{Backend, TestDb};

    fn sink(store: &Arc<dyn Store>, patience: Duration, count: &Arc<AtomicU64>) -> RemoteLeaves {
        RemoteLeaves::new(store.clone(), "w1", patience, count.clone())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn leaves_are_appended_in_order_and_the_flush_waits_for_them() {
        for backend in Backend::ALL {
            let db = TestDb::new(backend).await;
            let store = db.open(None).await.unwrap();
            let dir = tempfile::tempdir().unwrap();
            let mut log = Log::open(dir.path()).unwrap();
            // A leaf appended here before (a sweep run in one process): the workers' follow.
            log.append_leaf_hash(Hash([9; 32])).unwrap();

            // Without a sequencer, a flush gives up and says why.
            let unsubmitted = Arc::new(AtomicU64::new(0));
            let mut lonely = sink(&store, Duration::from_millis(300), &unsubmitted);
            let s2 = store.clone();
            let refused = tokio::task::spawn_blocking(move || {
                lonely.submit(&[Hash([1; 32]), Hash([2; 32])]).unwrap();
                lonely.sync()
            })
            .await
            .unwrap();
            let Err(EvidenceError::Sequencer(why)) = refused else {
                panic!("{backend:?}: {refused:?}")
            };
            assert!(why.contains("is a sequencer running"), "{why}");

            // With one, the flush returns once every leaf has its index.
            let mut waiting = sink(&s2, Duration::from_secs(60), &unsubmitted);
            let mut waiting = tokio::task::spawn_blocking(move || {
                waiting.submit(&[Hash([3; 32])]).unwrap();
                waiting
            })
            .await
            .unwrap();
            let flushed = tokio::task::spawn_blocking(move || waiting.sync());
            // The sink inserts in the background: wait until it did.
            while store.pending_leaves(10).await.unwrap().len() < 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let (log, n) = sequence_step(store.as_ref(), log).await.unwrap();
            assert_eq!(n, 3, "{backend:?}");
            flushed.await.unwrap().unwrap();
            // Both sinks' leaves were counted in, and out once inserted (the dropped sink's
            // count falls just after its insert commits).
            for _ in 0..3000 {
                if unsubmitted.load(Ordering::SeqCst) == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(unsubmitted.load(Ordering::SeqCst), 0, "{backend:?}");
            let leaves: Vec<Hash> = (1..4).map(|i| log.leaf_hash(i).unwrap()).collect();
            assert_eq!(leaves, [Hash([1; 32]), Hash([2; 32]), Hash([3; 32])]);
            assert_eq!(store.sequenced_count().await.unwrap(), 4);
            let (log, n) = sequence_step(store.as_ref(), log).await.unwrap();
            assert_eq!((n, log.size()), (0, 4), "nothing pending, nothing appended");
            drop(log);

            // A log that is not the one the leaves went to: refused, nothing appended.
            let other = tempfile::tempdir().unwrap();
            let empty = Log::open(other.path()).unwrap();
            store.submit_leaves("w1", &[[4; 32]]).await.unwrap();
            match sequence_step(store.as_ref(), empty).await {
                Err(SweepError::LogBehind {
                    log: 0,
                    sequenced: 4,
                }) => {}
                other => panic!("{backend:?}: {:?}", other.map(|(l, n)| (l.size(), n))),
            }
        }
    }
}
