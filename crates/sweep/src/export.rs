//! Which records an evidence export takes: every fetch of a site, of a sweep, or of a clue's
//! evidence, plus the original `response` of every revisit among them that the selection does
//! not hold itself (usually from an earlier sweep), so that the package can replay each revisit.
//!
//! [`select`] decides the selection and writes nothing. [`export_wacz`] is the one export that
//! every front end calls (`wangjian evidence export`, the console's `POST /exports`): it packs
//! the selection into a signed WACZ (`evidence::wacz`) with every record's inclusion proof under
//! a checkpoint covering the whole log (signed then, when the latest does not), and appends the
//! export to the chain of custody right after the package is written, naming who and why.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use domain::{ClueId, FetchId, SweepId};
use evidence::tlog::{Log, LogError, NoteError, Signer};
use evidence::wacz::{WaczError, WaczSummary};
use evidence::{LogIndex, LogIndexError};
use store::{
    CustodyAction, CustodyRecord, CustodySubject, Fetch, NewCustody, Scope, SiteAddress, Store,
    StoreError,
};

use crate::error::SweepError;
use crate::run::LogConfig;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every fetch of one site, named as `host` or `host/prefix` (a platform shop).
    Site(String),
    /// Every fetch of one sweep (or capture).
    Sweep(SweepId),
    /// The records a clue's findings point at and the captures taken for it.
    Clue(ClueId),
}

/// Why a selection cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error("no registered site {0}")]
    NoSite(String),
    #[error("no sweep {0}")]
    NoSweep(SweepId),
    #[error("no clue {0}")]
    NoClue(ClueId),
    /// A revisit names an original fetch the store does not hold (or not in scope).
    #[error("fetch {0}, the original of a revisit, is missing")]
    MissingOriginal(FetchId),
    /// The selection holds no fetch with a stored record.
    #[error("{0} has no recorded evidence to export")]
    NoEvidence(Selected),
    /// A fetch's stored pointer names no bare file of the evidence directory (a tampered
    /// row): nothing outside the directory is ever read.
    #[error("fetch {0} points outside the evidence directory")]
    BadPointer(FetchId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a selection resolved to: the custody subject of its export (a site, a sweep or a
/// clue). Shown as the package names it: `site <host><prefix>`, `sweep <id>`, `clue <id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected(CustodySubject);

impl Selected {
    /// The custody subject of an export of this selection.
    pub fn custody_subject(&self) -> &CustodySubject {
        &self.0
    }
}

impl fmt::Display for Selected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_string().replacen(':', " ", 1))
    }
}

/// The fetches of a selection and the originals their revisits need.
#[derive(Debug, Clone)]
pub struct ExportSet {
    pub selected: Selected,
    /// The fetches selected, in the store's order.
    pub fetches: Vec<Fetch>,
    /// Originals of revisits among `fetches` that `fetches` does not hold, by id.
    pub originals: Vec<Fetch>,
}

impl ExportSet {
    /// Every stored record of the set as a WARC file under `evidence_dir` and an offset,
    /// sorted, each once.
    pub fn records(&self, evidence_dir: &Path) -> Vec<evidence::wacz::Selection> {
        let mut records: Vec<evidence::wacz::Selection> = self
            .fetches
            .iter()
            .chain(&self.originals)
            .filter_map(|f| f.fetch.evidence.as_ref())
            .map(|p| evidence::wacz::Selection {
                warc: evidence_dir.join(&p.warc_file),
                offset: p.offset.max(0) as u64,
            })
            .collect();
        records.sort();
        records.dedup();
        records
    }
}

/// Resolves `selection` in `scope`: the fetches, the originals their revisits need, and a
/// `NoEvidence` error when none of them has a stored record.
pub async fn select(
    store: &dyn Store,
    scope: Scope,
    selection: &Selection,
) -> Result<ExportSet, SelectionError> {
    let (fetches, selected) = match selection {
        Selection::Clue(id) => {
            store
                .clue(scope.clone(), *id)
                .await?
                .ok_or(SelectionError::NoClue(*id))?;
            (
                store.clue_fetches(scope.clone(), *id).await?,
                CustodySubject::Clue(*id),
            )
        }
        Selection::Site(site) => {
            let (host, path) = match site.find('/') {
                Some(i) => site.split_at(i),
                None => (site.as_str(), "/"),
            };
            let found = store
                .site_for_url(scope.clone(), &host.to_ascii_lowercase(), path)
                .await?
                .ok_or_else(|| SelectionError::NoSite(site.clone()))?;
            (
                store.site_fetches(scope.clone(), found.id, 0).await?,
                CustodySubject::Site(SiteAddress::from_parts(&found.host, &found.path_prefix)),
            )
        }
        Selection::Sweep(id) => {
            store
                .sweep(*id)
                .await?
                .ok_or(SelectionError::NoSweep(*id))?;
            (
                store.sweep_fetches(scope.clone(), *id).await?,
                CustodySubject::Sweep(*id),
            )
        }
    };
    let selected = Selected(selected);
    let held: HashSet<FetchId> = fetches.iter().map(|f| f.id).collect();
    let mut wanted: Vec<FetchId> = fetches
        .iter()
        .filter_map(|f| f.fetch.revisit_of)
        .filter(|id| !held.contains(id))
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut originals = Vec::with_capacity(wanted.len());
    for id in wanted {
        originals.push(
            store
                .fetch(scope.clone(), id)
                .await?
                .ok_or(SelectionError::MissingOriginal(id))?,
        );
    }
    let set = ExportSet {
        selected,
        fetches,
        originals,
    };
    if set
        .fetches
        .iter()
        .chain(&set.originals)
        .all(|f| f.fetch.evidence.is_none())
    {
        return Err(SelectionError::NoEvidence(set.selected));
    }
    if let Some(f) = set.fetches.iter().chain(&set.originals).find(|f| {
        f.fetch
            .evidence
            .as_ref()
            .is_some_and(|p| !is_bare_file_name(&p.warc_file))
    }) {
        return Err(SelectionError::BadPointer(f.id));
    }
    Ok(set)
}

/// Whether `name` is a plain file name (no directory part, not hidden): what the sweep writes.
fn is_bare_file_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}

/// Where an export finds the evidence and the transparency log, and what it says it is.
#[derive(Debug, Clone)]
pub struct ExportConfig {
    /// The directory of the WARC files the store's pointers name.
    pub evidence_dir: PathBuf,
    /// The log (and its signing key) the records are proven in; the package's own signing
    /// key (`evidence::wacz::SIGNING_KEY_FILE`) lives in its `keys_dir` too.
    pub log: LogConfig,
    /// `name/version` written into the package.
    pub software: String,
    /// Where a file the evidence directory no longer holds is read from (`[objects]`): it is
    /// read back whole into a scratch directory beside `evidence_dir` for the export.
    pub objects: Option<objects::Objects>,
}

/// One export: what, where to, by whom and why.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub selection: Selection,
    /// The package's title; by default it names the selection.
    pub title: Option<String>,
    /// The file to write (replaced when it exists).
    pub output: PathBuf,
    /// Who exports, as the chain of custody names them (`user:NAME`, or the OS user).
    pub actor: String,
    /// Why ([`store::NO_REASON`] when the person gave none).
    pub reason: String,
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Exported {
    pub selected: Selected,
    /// Stored records selected (fetches with a record, originals of revisits included).
    pub records: usize,
    pub summary: WaczSummary,
    /// Tree size of the checkpoint the package proves its records under.
    pub checkpoint_size: u64,
    /// The export's custody row.
    pub custody: CustodyRecord,
}

/// Why an export wrote no package.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// The transparency log could not be opened (`LogError::Locked`: a sweep or another
    /// export holds it).
    #[error("transparency log")]
    Log(#[source] LogError),
    #[error("transparency log signing key")]
    LogKey(#[source] NoteError),
    /// No checkpoint covering the log could be verified or signed (`SweepError::Checkpoint`),
    /// or the chain of custody's head it must commit to is unusable.
    #[error("transparency log checkpoint")]
    Checkpoint(#[source] SweepError),
    #[error("the log does not hold the signed tree")]
    LogIndex(#[source] LogIndexError),
    #[error("cannot write the package")]
    Wacz(#[source] WaczError),
    /// Some stored records are not in the log under the covering checkpoint: no package.
    #[error("{selected}: {unproved} stored records are not in the transparency log under its checkpoint of {size} leaves; no package written")]
    Unproved {
        selected: Selected,
        unproved: usize,
        size: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file the evidence directory no longer holds could not be read from the object store.
    #[error("object storage")]
    Objects(#[source] objects::ObjectsError),
    #[error("the export worker stopped")]
    Worker(#[from] tokio::task::JoinError),
}

/// Exports `req.selection` read in `scope` as a signed WACZ at `req.output` and logs the
/// export in the chain of custody (see the module documentation). On any failure no package
/// is left at `req.output` and nothing is logged.
pub async fn export_wacz(
    store: &dyn Store,
    scope: Scope,
    config: &ExportConfig,
    req: &ExportRequest,
) -> Result<Exported, ExportError> {
    let set = select(store, scope, &req.selection).await?;
    let selected = set.selected.clone();
    let mut records = set.records(&config.evidence_dir);
    let _scratch = fetch_missing(config, &mut records).await?;
    let proof = prove(store, &config.log).await?;
    let config = config.clone();
    let (title, output) = (req.title.clone(), req.output.clone());
    let what = selected.clone();
    let (summary, checkpoint_size) =
        tokio::task::spawn_blocking(move || pack(&config, proof, &records, &what, title, &output))
            .await??;
    let custody = match store
        .append_custody(&NewCustody::new(
            req.actor.clone(),
            CustodyAction::Export,
            selected.custody_subject(),
            req.reason.clone(),
        ))
        .await
    {
        Ok(row) => row,
        Err(e) => {
            // An export that is not in the chain of custody must not leave a package.
            let _ = std::fs::remove_file(&summary.path);
            return Err(e.into());
        }
    };
    Ok(Exported {
        selected,
        records: set.fetches.len() + set.originals.len(),
        summary,
        checkpoint_size,
        custody,
    })
}

/// Reads the files of `records` that the evidence directory no longer holds back from the
/// object store, when there is one, into a scratch directory beside it (removed when the
/// returned value is dropped), and points the records there. A file neither here nor in the
/// store is left as it is: packing it fails and says which.
async fn fetch_missing(
    config: &ExportConfig,
    records: &mut [evidence::wacz::Selection],
) -> Result<Option<tempfile::TempDir>, ExportError> {
    let Some(objects) = &config.objects else {
        return Ok(None);
    };
    let mut missing: Vec<PathBuf> = records
        .iter()
        .map(|r| r.warc.clone())
        .filter(|p| !p.exists())
        .collect();
    missing.sort();
    missing.dedup();
    if missing.is_empty() {
        return Ok(None);
    }
    let beside = config
        .evidence_dir
        .parent()
        .unwrap_or(&config.evidence_dir)
        .to_path_buf();
    let scratch = tempfile::Builder::new()
        .prefix(".export-objects-")
        .tempdir_in(&beside)
        .map_err(|e| {
            ExportError::Objects(objects::ObjectsError::Io {
                path: beside,
                source: e,
            })
        })?;
    for path in &missing {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let to = scratch.path().join(name);
        objects
            .download(name, &to)
            .await
            .map_err(ExportError::Objects)?;
        for r in records.iter_mut().filter(|r| &r.warc == path) {
            r.warc = to.clone();
        }
    }
    Ok(Some(scratch))
}

/// Page titles for `pages.jsonl`: the `<title>` of the decoded page.
fn page_title(text: &str) -> Option<String> {
    Some(detect::extract(text).title)
}

/// The log and the checkpoint the package proves its records under: one that covers the whole
/// log, signed now (committing to the chain of custody's head, [`crate::checkpoint`]) when the
/// latest does not.
struct Proof {
    log: Log,
    index: LogIndex,
    covering: evidence::tlog::audit::VerifiedCheckpoint,
    verifier_key: String,
}

async fn prove(store: &dyn Store, lc: &LogConfig) -> Result<Proof, ExportError> {
    let log = Log::open(&lc.dir).map_err(ExportError::Log)?;
    for repair in log.repairs() {
        tracing::warn!(%repair, "transparency log repaired on open");
    }
    let log_signer =
        Signer::load_or_create(&lc.keys_dir, &lc.key_name).map_err(ExportError::LogKey)?;
    let verifier_key = log_signer.verifier_key();
    let covering = crate::checkpoint::covering(
        store,
        &log,
        &log_signer,
        &lc.origin,
        &verifier_key,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| match e {
        SweepError::Store(e) => ExportError::Store(e),
        e => ExportError::Checkpoint(e),
    })?;
    let index = LogIndex::new(&log, covering.checkpoint.clone()).map_err(ExportError::LogIndex)?;
    Ok(Proof {
        log,
        index,
        covering,
        verifier_key,
    })
}

/// Writes the package (blocking: files and hashing).
fn pack(
    config: &ExportConfig,
    proof: Proof,
    records: &[evidence::wacz::Selection],
    what: &Selected,
    title: Option<String>,
    output: &Path,
) -> Result<(WaczSummary, u64), ExportError> {
    let signer = evidence::wacz::WaczSigner::load_or_create(&config.log.keys_dir)
        .map_err(ExportError::Wacz)?;
    let mut params = evidence::wacz::WaczParams::new(
        title.unwrap_or_else(|| format!("wangjian evidence: {what}")),
    );
    params.software = config.software.clone();
    params.extra_info = vec![("export-selection".to_string(), what.to_string())];
    params.page_title = Some(&page_title);
    // Every stored record goes with its inclusion proof under the covering checkpoint.
    let index = &proof.index;
    let proofs = evidence::wacz::LogProofSource {
        log: &proof.log,
        index,
        note: proof.covering.note.clone(),
        verifier_key: proof.verifier_key.clone(),
    };
    let summary = evidence::wacz::write_wacz_with_proofs(
        output,
        records,
        &params,
        Some(&signer),
        Some(&proofs),
    )
    .map_err(ExportError::Wacz)?;
    if summary.unproved > 0 {
        let _ = std::fs::remove_file(&summary.path);
        return Err(ExportError::Unproved {
            selected: what.clone(),
            unproved: summary.unproved,
            size: index.checkpoint().size,
        });
    }
    Ok((summary, index.checkpoint().size))
}
