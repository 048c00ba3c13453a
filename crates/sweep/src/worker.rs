//! `wangjian worker`: one of many processes, on any number of machines, that share a sweep.
//!
//! A worker is stateless: it reads the running sweep from the store, leases hosts of it
//! ([`store::WorkStore::lease_hosts`]: a host at a time, so a host's politeness holds across
//! workers), crawls, captures and detects their sites exactly as a sweep in one process does
//! (`crate::run`'s wave), and commits every step under the host's lease, which each commit
//! renews and a background task keeps renewing. A worker that dies stops renewing; once its
//! leases run out another worker takes its hosts and continues each site from the frontier
//! saved with its last commit. A worker that was only paused finds its commits refused
//! ([`store::StoreError::LeaseLost`]): what it fetched after its last commit is not recorded,
//! and the new holder fetches those pages again, so no fetch, finding (or the clue grouped from
//! it) is recorded twice.
//!
//! Each run of a worker writes its own WARC files (`wangjian-sweep<ID>-<NAME>-<RUN>-…`), never
//! another's; their leaves go to the log's one sequencer (`crate::sequencer`).
//!
//! Two ways to keep the files:
//! - **One shared disk** (the default): every worker writes into the data directory's `warc/`
//!   and runs the sequencer too, one of them leading at a time over the data directory's log.
//! - **The object store** ([`WorkerOptions::objects`]): a worker on a machine of its own writes
//!   its files into its own data directory, and every flush that makes records count as stored
//!   ends the current file and uploads it ([`UploadFinished`]); the local copy is then removed.
//!   Its fetches are committed only after that flush, so every record the store points at is
//!   in an object, and every record of an object is in the log (its leaves were sequenced
//!   before the upload). Such a worker does not sequence: the log lives in the data directory
//!   of `serve` or `wangjian sequencer`. A worker that dies loses only records that nothing
//!   points at (their leaves in the log stand for nothing stored, which verification allows).

use crate::error::SweepError;
use crate::run::{crawl_wave, Leased, SweepConfig};
use crate::sequencer::{run_sequencer, worker_prefix, RemoteLeaves, SequencerConfig};
use detect::Detector;
use domain::SweepId;
use evidence::{EvidenceError, FinishedFiles, WarcWriter, WriterConfig};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::{HostLease, Store, StoreError};
use tokio::runtime::Handle;

/// How a worker works.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Its name (1 to 32 of `a-z`, `0-9`, `-`): leases and files carry it.
    pub name: String,
    /// Hosts leased at a time.
    pub hosts: usize,
    /// A lease's length; renewed at a third of it.
    pub lease: chrono::Duration,
    /// How long to wait when there is nothing to lease.
    pub poll: Duration,
    /// Stop when no sweep is running (else wait for the next).
    pub until_idle: bool,
    /// How long a flush waits for the sequencer.
    pub patience: Duration,
    pub sequencer: SequencerConfig,
    /// Upload every finished file here and remove the local copy; the worker then does not
    /// run the sequencer (the module's second way).
    pub objects: Option<objects::Objects>,
}

impl WorkerOptions {
    pub fn new(name: &str) -> WorkerOptions {
        let mut options = WorkerOptions {
            name: name.to_string(),
            hosts: 32,
            lease: chrono::Duration::seconds(60),
            poll: Duration::from_secs(1),
            until_idle: false,
            patience: Duration::from_secs(600),
            sequencer: SequencerConfig::default(),
            objects: None,
        };
        options.set_lease(options.lease);
        options
    }

    /// Sets the lease's length, and with it how long the sequencer counts a worker not seen
    /// as alive: twice a lease (a worker holding leases is seen at every renewal, a third of
    /// a lease; a waiting one at every `poll`). Workers of one sweep should share it.
    pub fn set_lease(&mut self, lease: chrono::Duration) {
        self.lease = lease;
        self.sequencer.set_lease(lease);
    }
}

/// What one worker did.
#[derive(Debug, Default, Clone)]
pub struct WorkerSummary {
    pub hosts: u64,
    pub sites: u64,
    /// Hosts it took over from a worker whose lease ran out.
    pub taken_over: u64,
    /// Leases it lost to another worker (it was too slow or paused).
    pub lost: u64,
}

/// Whether `name` can name a worker.
pub fn valid_worker_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Works on running sweeps until none is left (`until_idle`) or for ever.
pub async fn run_worker(
    store: Arc<dyn Store>,
    detector: Arc<Detector>,
    config: SweepConfig,
    options: WorkerOptions,
) -> Result<WorkerSummary, SweepError> {
    if !valid_worker_name(&options.name) {
        return Err(SweepError::BadWorkerName {
            name: options.name.clone(),
        });
    }
    let run = run_token();
    let sequencer = match &options.objects {
        Some(objects) => {
            tracing::info!(worker = %options.name, %run, store = %objects.describe(), "worker starting; files go to the object store");
            set_aside_earlier_runs(&config.evidence_dir, &options.name, &run);
            None
        }
        None => {
            if config.log.is_none() {
                return Err(SweepError::WorkerWithoutLog);
            }
            tracing::info!(worker = %options.name, %run, "worker starting");
            Some(tokio::spawn(run_sequencer(
                store.clone(),
                config.clone(),
                options.sequencer.clone(),
            )))
        }
    };
    let result = work(&store, &detector, &config, &options, &run).await;
    if let Some(sequencer) = sequencer {
        sequencer.abort();
    }
    result
}

/// The worker's loop. It notes itself seen at every turn, and idle
/// ([`store::WorkerSeen::idle`]) once it has nothing to lease, its writer is flushed (its
/// leaves sequenced) and every leaf it queued, a dropped writer's too, is in the store: the
/// sequencer ends a sweep only when each worker that wrote in it is idle or dead.
async fn work(
    store: &Arc<dyn Store>,
    detector: &Arc<Detector>,
    config: &SweepConfig,
    options: &WorkerOptions,
    run: &str,
) -> Result<WorkerSummary, SweepError> {
    let mut summary = WorkerSummary::default();
    let mut writer: Option<(SweepId, WarcWriter)> = None;
    let unsubmitted = Arc::new(AtomicU64::new(0));
    let mut idle = true;
    loop {
        let sweep = store.unfinished_sweep().await?;
        store
            .worker_seen(&options.name, run, sweep.as_ref().map(|s| s.id), idle)
            .await?;
        let leased = match &sweep {
            Some(s) if s.by_workers => {
                store
                    .lease_hosts(s.id, &options.name, options.hosts, options.lease)
                    .await?
            }
            _ => Vec::new(),
        };
        if leased.is_empty() {
            if !idle {
                idle = settle(&mut writer, &unsubmitted).await?;
                if idle {
                    // Said at once: the sequencer may be waiting for it to end the sweep.
                    continue;
                }
            }
            match sweep {
                None if options.until_idle => break,
                Some(s) if !s.by_workers => {
                    // A sweep run in one process (`wangjian sweep`, a campaign's): not the
                    // workers'.
                    tracing::info!(sweep = %s.id, "a sweep of one process is running; waiting for it to end");
                    tokio::time::sleep(options.poll * 10).await;
                }
                _ => tokio::time::sleep(options.poll).await,
            }
            continue;
        }
        let Some(sweep) = sweep else { continue };
        if idle {
            idle = false;
            store
                .worker_seen(&options.name, run, Some(sweep.id), false)
                .await?;
        }
        let mut by_site = HashMap::new();
        let mut probed = HashSet::new();
        let mut sites = Vec::new();
        for host in &leased {
            if let Some(from) = &host.taken_from {
                tracing::warn!(host = %host.lease.host, from = %from, "taking over a host whose lease ran out");
                summary.taken_over += 1;
            }
            if host.probed {
                probed.insert(host.lease.host.to_ascii_lowercase());
            }
            for site in &host.sites {
                by_site.insert(site.id, host.lease.clone());
                sites.push(site.clone());
            }
        }
        summary.hosts += leased.len() as u64;
        summary.sites += sites.len() as u64;
        let leases = Arc::new(Leased {
            by_site,
            probed,
            ttl: options.lease,
        });
        let held: Vec<HostLease> = leased.iter().map(|h| h.lease.clone()).collect();
        let renewer = tokio::spawn(keep_renewed(
            store.clone(),
            held.clone(),
            options.lease,
            (options.name.clone(), run.to_string(), sweep.id),
        ));
        let w = match writer.take() {
            Some((id, w)) if id == sweep.id => w,
            _ => open_writer(store, config, options, run, sweep.id, &unsubmitted).await?,
        };
        let done = crawl_wave(store, detector, config, sweep.id, sites, w, Some(leases)).await;
        renewer.abort();
        for lease in &held {
            store.release_lease(lease).await?;
        }
        match done {
            Ok((_, w)) => writer = Some((sweep.id, w)),
            Err(SweepError::Store(StoreError::LeaseLost { host, .. })) => {
                // Another worker holds the host now; the writer went with the wave (its
                // records so far are whole and logged), the next lease opens a new file.
                tracing::warn!(%host, "lease taken over by another worker; its work left to it");
                summary.lost += 1;
            }
            Err(e) => return Err(e),
        }
    }
    if let Some((_, w)) = writer {
        tokio::task::spawn_blocking(move || {
            let mut w = w;
            w.flush()
        })
        .await??;
    }
    Ok(summary)
}

/// Flushes the writer (waiting until its leaves are sequenced) and says whether every leaf
/// this run queued is in the store.
async fn settle(
    writer: &mut Option<(SweepId, WarcWriter)>,
    unsubmitted: &AtomicU64,
) -> Result<bool, SweepError> {
    if let Some((id, w)) = writer.take() {
        let w = tokio::task::spawn_blocking(move || {
            let mut w = w;
            w.flush().map(|()| w)
        })
        .await??;
        *writer = Some((id, w));
    }
    Ok(unsubmitted.load(Ordering::SeqCst) == 0)
}

/// Renews every lease at a third of its length until aborted, and notes the worker as seen
/// (`(name, run, sweep)`); a lease lost is left (the wave's next commit under it is refused and
/// ends the wave).
async fn keep_renewed(
    store: Arc<dyn Store>,
    mut leases: Vec<HostLease>,
    ttl: chrono::Duration,
    (name, run, sweep): (String, String, SweepId),
) {
    let every = (ttl / 3).to_std().unwrap_or(Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = store.worker_seen(&name, &run, Some(sweep), false).await {
            tracing::warn!(error = %e, "cannot note this worker as seen");
        }
        let mut kept = Vec::with_capacity(leases.len());
        for lease in leases {
            match store.renew_lease(&lease, ttl).await {
                Ok(renewed) => kept.push(renewed),
                Err(StoreError::LeaseLost { host, .. }) => {
                    tracing::warn!(%host, "lease lost to another worker");
                }
                Err(e) => {
                    tracing::warn!(error = %e, host = %lease.host, "cannot renew a lease; trying again");
                    kept.push(lease);
                }
            }
        }
        leases = kept;
    }
}

/// A writer of this run's files in `sweep`, its leaves going to the sequencer. Opened on a
/// blocking thread: its warcinfo record's leaf is submitted through the store.
async fn open_writer(
    store: &Arc<dyn Store>,
    config: &SweepConfig,
    options: &WorkerOptions,
    run: &str,
    sweep: SweepId,
    unsubmitted: &Arc<AtomicU64>,
) -> Result<WarcWriter, SweepError> {
    let sink = RemoteLeaves::new(
        store.clone(),
        &options.name,
        options.patience,
        unsubmitted.clone(),
    );
    let writer_config = WriterConfig {
        dir: config.evidence_dir.clone(),
        prefix: worker_prefix(sweep, &options.name, run),
        max_file_bytes: config.warc_max_bytes,
        software: config.software.clone(),
        operator: None,
        hostname: None,
        extra_info: vec![
            ("sweep-id".into(), sweep.to_string()),
            ("worker".into(), options.name.clone()),
        ],
    };
    let mut writer = tokio::task::spawn_blocking(move || {
        WarcWriter::open_with_sink(writer_config, Box::new(sink))
    })
    .await??;
    if let Some(objects) = &options.objects {
        writer.hand_finished_files_to(Box::new(UploadFinished {
            objects: objects.clone(),
            handle: Handle::current(),
        }));
    }
    Ok(writer)
}

/// Uploads each file a worker's writer ends to the object store ([`objects::Objects::upload`]:
/// written once, its size read back) and removes the local copy. Runs on the writer's blocking
/// thread. A failed upload fails the writer's flush: the records are not counted, the file
/// stays, and the next flush tries it again.
#[derive(Debug)]
pub struct UploadFinished {
    pub objects: objects::Objects,
    pub handle: Handle,
}

impl FinishedFiles for UploadFinished {
    fn finished(&mut self, path: &Path) -> Result<(), EvidenceError> {
        let uploaded = self
            .handle
            .block_on(self.objects.upload(path))
            .map_err(|e| EvidenceError::HandOver {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        tracing::debug!(object = %self.objects.url_of(&uploaded.name), bytes = uploaded.size, "finished file uploaded");
        if let Err(e) = std::fs::remove_file(path) {
            tracing::warn!(file = %path.display(), error = %e, "uploaded, but the local copy could not be removed");
        }
        Ok(())
    }
}

/// The directory of the evidence directory where a worker writing to the object store sets
/// aside what its earlier runs left.
pub const NOT_STORED_DIR: &str = "not-stored";

/// Moves the files that earlier runs of worker `name` left in `dir` (a worker writing to the
/// object store) into `dir/not-stored/`. Nothing points at them: a run removes each file it
/// uploaded, so what is left was never uploaded (a run killed before its flush; its last
/// records may be torn, or missing from the log) or its copy could not be removed. Set aside,
/// they are never uploaded by `evidence upload` nor read by `evidence verify`; they stay for a
/// person to look at.
fn set_aside_earlier_runs(dir: &Path, name: &str, run: &str) {
    let files = match evidence::warc_files(dir) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot list what earlier runs left");
            return;
        }
    };
    let aside = dir.join(NOT_STORED_DIR);
    for path in files {
        let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(earlier) = earlier_run_of(file, name) else {
            continue;
        };
        if earlier == run {
            continue;
        }
        let moved =
            std::fs::create_dir_all(&aside).and_then(|()| std::fs::rename(&path, aside.join(file)));
        match moved {
            Ok(()) => {
                tracing::warn!(
                    file,
                    "set aside: an earlier run of this worker left it unstored"
                )
            }
            Err(e) => {
                tracing::warn!(file, error = %e, "cannot set aside a file an earlier run left")
            }
        }
    }
}

/// The run of worker `name` that wrote file `file` (`wangjian-sweep<ID>-<NAME>-<RUN>-…`), if
/// that worker wrote it.
fn earlier_run_of<'a>(file: &'a str, name: &str) -> Option<&'a str> {
    let (prefix, _) = evidence::writer::file_prefix_and_seq(file)?;
    let rest = prefix.strip_prefix("wangjian-sweep")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let run = rest
        .strip_prefix('-')?
        .strip_prefix(name)?
        .strip_prefix('-')?;
    (!run.is_empty() && run.bytes().all(|b| b.is_ascii_hexdigit())).then_some(run)
}

/// A token naming this run of the worker: the time it started and its process id.
fn run_token() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{:x}{:x}", now.as_secs(), std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_earlier_runs_of_this_worker_are_set_aside() {
        assert_eq!(
            earlier_run_of("wangjian-sweep3-w1-1a2b-20261207010203-00002.warc.gz", "w1"),
            Some("1a2b")
        );
        // Another worker whose name starts with this one's, a sweep's own file, not a WARC.
        for other in [
            "wangjian-sweep3-w1-b-1a2b-20261207010203-00002.warc.gz",
            "wangjian-sweep3-20261207010203-00000.warc.gz",
            "wangjian-sweep3-w1-1a2b-20261207010203-00002.cdxj",
        ] {
            assert_eq!(earlier_run_of(other, "w1"), None, "{other}");
        }

        let dir = tempfile::tempdir().unwrap();
        let names = [
            "wangjian-sweep3-w1-aa-20261207010203-00000.warc.gz",
            "wangjian-sweep3-w1-bb-20261207010203-00000.warc.gz",
            "wangjian-sweep3-w1-b-aa-20261207010203-00000.warc.gz",
            "wangjian-sweep3-20261207010203-00000.warc.gz",
        ];
        for n in names {
            std::fs::write(dir.path().join(n), n).unwrap();
        }
        set_aside_earlier_runs(dir.path(), "w1", "bb");
        let left: std::collections::BTreeSet<String> = evidence::warc_files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            left,
            [names[1], names[2], names[3]].map(String::from).into()
        );
        let aside = dir.path().join(NOT_STORED_DIR).join(names[0]);
        assert_eq!(std::fs::read_to_string(aside).unwrap(), names[0]);
    }
}
