//! Backups of a data directory taken while a sweep runs, and their restore (`docs/backup.md`).
//!
//! [`backup`] writes a directory tree or one tar file (`.tar`, `.tar.gz`) holding the database
//! (a SQLite snapshot, or a PostgreSQL server's `pg_dump`), the transparency log, the WARC
//! evidence, the keys, the configuration and every other file of the data directory, and last a
//! manifest ([`Manifest`]: every file's size and SHA-256, the versions). [`restore`] unpacks one
//! into a fresh directory after checking every file against the manifest.
//!
//! # Consistent while writers go on
//! The writers keep three promises (ARCHITECTURE.md, invariants): a WARC record's leaf is in
//! the log before its bytes reach the file; progress reaches the database only after the records
//! it covers are synced; a checkpoint commits to the chain of custody's head as the database held
//! it just before signing. The backup reads in this order, so that each part holds everything
//! the parts read before it point at:
//!
//! 1. **Signed checkpoints** (`log/checkpoints/`). Each commits to a custody head the database
//!    already held; the snapshot, taken later, holds those rows too (custody is append-only).
//!    A note that does not verify when read (being written that instant) is left out.
//! 2. **The database**, one snapshot: SQLite `VACUUM INTO` (one read transaction), PostgreSQL
//!    `pg_dump` (one repeatable-read transaction). Every WARC record a row points at was synced
//!    before the row was committed, and its leaf appended before that.
//! 3. **The log's leaves**, a whole number of hashes; the level files are cut to what those
//!    leaves determine. Every copied checkpoint's size is at most the leaves copied (the log only
//!    grows), and every record the snapshot points at has its leaf among them.
//! 4. **The WARC files**, each up to the end of its last record whose leaf is in the copied log.
//!    Records after it were logged after step 3 (a sweep kept writing): they are left out, as is a
//!    torn record being written (cut on a copy, as resume repair would cut it). No row of the
//!    snapshot points at what is left out, since everything it points at was logged before.
//! 5. **Everything else**: keys, `wangjian.toml`, mappings, attachments (written before their
//!    rows), templates, the credit index files, simweb's files. The search index is derived and
//!    left out: the sweep's index sync rebuilds it from the database and the evidence.
//!
//! Records in the backup's log after its last checkpoint are covered by no signed root yet:
//! restore signs one over the restored log, committing to the restored chain of custody
//! (`wangjian restore`; on PostgreSQL after the dump is restored, `wangjian log checkpoint`).
//!
//! Must not: write into the data directory, hold a writer's lock, or change a live file.

mod manifest;
mod restore;
mod sink;

pub use manifest::{
    CutReason, FileEntry, Manifest, SkipReason, Skipped, WarcCut, FORMAT, MANIFEST, PG_DUMP_FILE,
    SQLITE_FILE,
};
pub use restore::{read_manifest, restore, Mismatch, RestoreError, Restored};
pub use sink::Form;

use chrono::{DateTime, Utc};
use evidence::tlog::checkpoint::CHECKPOINTS_DIR;
use evidence::tlog::{Checkpoint, Hash};
use evidence::EvidenceError;
use sink::Sink;
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use store::{Actor, BackupRecord, DatabaseUrl, Engine, SnapshotRefusal, Store};

/// Bytes of one leaf hash in the log's files.
const HASH_LEN: u64 = 32;
/// The log's leaves file.
const LEAVES_FILE: &str = "leaves";

/// The data directory being backed up, as the binary lays it out (`src/data.rs`).
#[derive(Debug, Clone)]
pub struct Source {
    pub root: PathBuf,
    /// The WARC evidence (`DATA/warc`).
    pub evidence: PathBuf,
    /// The transparency log (`DATA/log`).
    pub log: PathBuf,
    /// Directories of derived data, rebuilt rather than copied (`DATA/search`).
    pub derived: Vec<PathBuf>,
    pub database: DatabaseUrl,
    /// The log's verifier key (`keys/…pub`): checkpoints are copied only when they verify.
    pub verifier_key: Option<String>,
    /// The `pg_dump` program a PostgreSQL database is dumped with.
    pub pg_dump: PathBuf,
}

/// A backup written.
#[derive(Debug, Clone)]
pub struct BackupDone {
    pub dest: PathBuf,
    pub form: Form,
    pub manifest: Manifest,
    /// SHA-256 (hex) of the manifest's bytes.
    pub manifest_sha256: String,
}

/// Why a backup was not written (a directory destination may hold files, but never a
/// manifest, so restore refuses it).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists already")]
    DestinationExists(PathBuf),
    #[error("{0} is a directory that is not empty")]
    DestinationNotEmpty(PathBuf),
    #[error("{0} is inside the data directory")]
    DestinationInsideData(PathBuf),
    #[error("{0} is not inside the data directory")]
    OutsideData(PathBuf),
    #[error("{0}: the name is not UTF-8")]
    NotUtf8(PathBuf),
    #[error("{0} changed while it was copied")]
    Changed(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("pg_dump ({program}) could not be run: {source}")]
    PgDumpMissing {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("pg_dump failed: {0}")]
    PgDumpFailed(String),
    #[error(transparent)]
    Snapshot(#[from] SnapshotRefusal),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
}

impl BackupError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> BackupError {
        BackupError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The stable code of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            BackupError::DestinationExists(_) => "destination-exists",
            BackupError::DestinationNotEmpty(_) => "destination-not-empty",
            BackupError::DestinationInsideData(_) => "destination-inside-data",
            BackupError::OutsideData(_) => "outside-data",
            BackupError::NotUtf8(_) => "not-utf8",
            BackupError::Changed(_) => "file-changed",
            BackupError::Io { .. } => "io",
            BackupError::PgDumpMissing { .. } => "pg-dump-missing",
            BackupError::PgDumpFailed(_) => "pg-dump-failed",
            BackupError::Snapshot(_) => "snapshot",
            BackupError::Store(_) => "store",
            BackupError::Evidence(_) => "evidence",
        }
    }
}

/// Backs `source` up to `dest` while writers go on (the order is the module's doc), then
/// records the backup in the audit log as `by`. A directory destination must not exist or be
/// empty; a tar file must not exist (it is written under a temporary name and renamed when
/// complete).
pub async fn backup(
    store: &dyn Store,
    source: &Source,
    dest: &Path,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<BackupDone, BackupError> {
    let root = absolute(&source.root)?;
    let dest_abs = absolute(dest)?;
    if dest_abs.starts_with(&root) {
        return Err(BackupError::DestinationInsideData(dest.to_path_buf()));
    }
    for dir in [&source.evidence, &source.log] {
        if !absolute(dir)?.starts_with(&root) {
            return Err(BackupError::OutsideData(dir.clone()));
        }
    }
    let form = Form::of(dest);
    let mut sink = Sink::create(dest)?;
    match write_backup(store, source, &root, dest, &mut sink, now).await {
        Ok((manifest, manifest_sha256)) => {
            sink.finish()?;
            let (files, bytes) = manifest.totals();
            store
                .record_backup(
                    &BackupRecord {
                        destination: dest_abs.display().to_string(),
                        files,
                        bytes,
                        manifest_sha256: manifest_sha256.clone(),
                        schema: manifest.schema,
                        database_included: true,
                    },
                    by,
                )
                .await?;
            Ok(BackupDone {
                dest: dest.to_path_buf(),
                form,
                manifest,
                manifest_sha256,
            })
        }
        Err(e) => {
            sink.abandon();
            Err(e)
        }
    }
}

/// The path made absolute against the working directory (not resolved: it may not exist).
fn absolute(path: &Path) -> Result<PathBuf, BackupError> {
    let abs = std::path::absolute(path).map_err(|e| BackupError::io(path, e))?;
    // Resolve what exists, so that a link or `..` does not hide the data directory.
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return Ok(abs),
        }
    }
}

/// The manifest being built.
struct Writing<'a> {
    root: &'a Path,
    sink: &'a mut Sink,
    files: Vec<FileEntry>,
    skipped: Vec<Skipped>,
}

impl Writing<'_> {
    fn rel(&self, path: &Path) -> Result<String, BackupError> {
        let rel = path
            .strip_prefix(self.root)
            .map_err(|_| BackupError::OutsideData(path.to_path_buf()))?;
        let mut parts = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(p) => parts.push(
                    p.to_str()
                        .ok_or_else(|| BackupError::NotUtf8(path.to_path_buf()))?,
                ),
                _ => return Err(BackupError::OutsideData(path.to_path_buf())),
            }
        }
        Ok(parts.join("/"))
    }

    /// Copies the first `len` bytes of the file at `path` (all of it when `None`).
    fn copy(&mut self, path: &Path, len: Option<u64>) -> Result<(), BackupError> {
        let rel = self.rel(path)?;
        let file = File::open(path).map_err(|e| BackupError::io(path, e))?;
        let meta = file.metadata().map_err(|e| BackupError::io(path, e))?;
        let len = len.unwrap_or(meta.len());
        self.add(&rel, file, len, meta.permissions().mode() & 0o777, path)
    }

    fn add(
        &mut self,
        rel: &str,
        reader: impl Read,
        len: u64,
        mode: u32,
        source: &Path,
    ) -> Result<(), BackupError> {
        let written = self.sink.add(rel, reader, len, mode, source)?;
        self.files.push(FileEntry {
            path: rel.to_string(),
            size: written.size,
            sha256: written.sha256,
            mode,
        });
        Ok(())
    }

    fn skip(&mut self, path: &Path, reason: SkipReason) -> Result<(), BackupError> {
        let path = self.rel(path)?;
        self.skipped.push(Skipped { path, reason });
        Ok(())
    }
}

async fn write_backup(
    store: &dyn Store,
    source: &Source,
    root: &Path,
    dest: &Path,
    sink: &mut Sink,
    now: DateTime<Utc>,
) -> Result<(Manifest, String), BackupError> {
    let evidence_dir = absolute(&source.evidence)?;
    let log_dir = absolute(&source.log)?;
    let mut w = Writing {
        root,
        sink,
        files: Vec::new(),
        skipped: Vec::new(),
    };

    // 1. Signed checkpoints, before the database: each commits to custody the snapshot holds.
    let checkpoints = copy_checkpoints(&mut w, &log_dir, source.verifier_key.as_deref())?;

    // 2. The database, one snapshot.
    let engine = store.engine();
    let schema = store.schema_version().await?;
    let temp = temp_beside(dest, "database");
    let result = async {
        let (name, url) = match engine {
            Engine::Sqlite => {
                store.snapshot_to(&temp).await?;
                (SQLITE_FILE, None)
            }
            Engine::Postgres => {
                let DatabaseUrl::Postgres(url) = &source.database else {
                    return Err(BackupError::Snapshot(SnapshotRefusal::UseServerDump));
                };
                pg_dump(&source.pg_dump, url, &temp)?;
                (PG_DUMP_FILE, Some(store::redact_password(url)))
            }
        };
        let file = File::open(&temp).map_err(|e| BackupError::io(&temp, e))?;
        let len = file
            .metadata()
            .map_err(|e| BackupError::io(&temp, e))?
            .len();
        w.add(name, file, len, 0o600, &temp)?;
        Ok((name, url))
    }
    .await;
    let _ = fs::remove_file(&temp);
    let (database, database_url) = result?;

    // 3. The log's leaves, then its level files cut to what the leaves determine.
    let (leaves, log_leaves) = copy_log(&mut w, &log_dir)?;

    // 4. The WARC files, each up to its last record logged in the copied log.
    let mut warc_cut = Vec::new();
    if evidence_dir.is_dir() {
        copy_evidence(
            &mut w,
            &evidence_dir,
            &log_dir,
            &leaves,
            log_leaves,
            dest,
            &mut warc_cut,
        )?;
    }

    // 5. Everything else.
    let mut leave_out: Vec<(PathBuf, SkipReason)> = source
        .derived
        .iter()
        .map(|d| absolute(d).map(|d| (d, SkipReason::Derived)))
        .collect::<Result<_, _>>()?;
    if let DatabaseUrl::Sqlite(db) = &source.database {
        let db = absolute(db)?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            leave_out.push((PathBuf::from(name), SkipReason::LiveDatabase));
        }
    }
    copy_tree(&mut w, root, &[&evidence_dir, &log_dir], &leave_out)?;

    // 6. The manifest, last.
    let manifest = Manifest {
        format: FORMAT.to_string(),
        wangjian_version: env!("CARGO_PKG_VERSION").to_string(),
        created: now,
        engine,
        schema,
        database: database.to_string(),
        database_url,
        log_leaves,
        checkpoints,
        files: w.files,
        warc_cut,
        skipped: w.skipped,
    };
    let bytes = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    w.sink.add(
        MANIFEST,
        &bytes[..],
        bytes.len() as u64,
        0o644,
        Path::new(MANIFEST),
    )?;
    Ok((manifest, sha))
}

/// A temporary file's name beside the destination (the same file system, outside the data
/// directory).
fn temp_beside(dest: &Path, what: &str) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{what}-{}.tmp", std::process::id()))
}

/// Runs `pg_dump` (custom format: one snapshot, restored with `pg_restore`) into `out`.
fn pg_dump(program: &Path, url: &str, out: &Path) -> Result<(), BackupError> {
    let output = std::process::Command::new(program)
        .arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--file")
        .arg(out)
        .arg("--dbname")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| BackupError::PgDumpMissing {
            program: program.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        return Err(BackupError::PgDumpFailed(store::redact_password(
            err.trim(),
        )));
    }
    Ok(())
}

/// Copies the checkpoint notes that verify (and their time-stamp tokens); returns how many.
fn copy_checkpoints(
    w: &mut Writing<'_>,
    log_dir: &Path,
    key: Option<&str>,
) -> Result<u64, BackupError> {
    let dir = log_dir.join(CHECKPOINTS_DIR);
    let mut names = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BackupError::io(&dir, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(BackupError::io(&dir, e)),
    };
    names.sort();
    let mut copied = HashSet::new();
    let mut tokens = Vec::new();
    for path in names {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".note") {
            let text = fs::read(&path).map_err(|e| BackupError::io(&path, e))?;
            let verified = match key {
                Some(key) => std::str::from_utf8(&text)
                    .ok()
                    .is_some_and(|t| Checkpoint::verify_note(t, key).is_ok()),
                None => true,
            };
            if !verified {
                w.skip(&path, SkipReason::UnverifiedCheckpoint)?;
                continue;
            }
            let mode = mode_of(&path)?;
            let rel = w.rel(&path)?;
            w.add(&rel, &text[..], text.len() as u64, mode, &path)?;
            copied.insert(path.with_extension(""));
        } else if name.ends_with(&format!(".{}", evidence::tlog::checkpoint::TOKEN_EXTENSION)) {
            tokens.push(path);
        } else if path.is_file() {
            w.copy(&path, None)?;
        }
    }
    for token in tokens {
        if copied.contains(&token.with_extension("")) {
            w.copy(&token, None)?;
        } else {
            w.skip(&token, SkipReason::UnverifiedCheckpoint)?;
        }
    }
    Ok(copied.len() as u64)
}

fn mode_of(path: &Path) -> Result<u32, BackupError> {
    Ok(fs::metadata(path)
        .map_err(|e| BackupError::io(path, e))?
        .permissions()
        .mode()
        & 0o777)
}

/// Copies the leaves (a whole number of hashes), then each level file cut to the hashes those
/// leaves determine, then any other file of the log but its checkpoints. Returns the copied
/// leaves and their number.
fn copy_log(w: &mut Writing<'_>, log_dir: &Path) -> Result<(HashSet<Hash>, u64), BackupError> {
    let leaves_path = log_dir.join(LEAVES_FILE);
    let mut leaves = HashSet::new();
    let mut count = 0;
    if leaves_path.is_file() {
        let mut file = File::open(&leaves_path).map_err(|e| BackupError::io(&leaves_path, e))?;
        let len = file
            .metadata()
            .map_err(|e| BackupError::io(&leaves_path, e))?
            .len();
        count = len / HASH_LEN;
        let mut bytes = vec![0u8; (count * HASH_LEN) as usize];
        file.read_exact(&mut bytes)
            .map_err(|e| BackupError::io(&leaves_path, e))?;
        for chunk in bytes.chunks_exact(HASH_LEN as usize) {
            let mut h = [0u8; HASH_LEN as usize];
            h.copy_from_slice(chunk);
            leaves.insert(Hash(h));
        }
        let mode = mode_of(&leaves_path)?;
        let rel = w.rel(&leaves_path)?;
        w.add(&rel, &bytes[..], bytes.len() as u64, mode, &leaves_path)?;
    }
    let mut others: Vec<PathBuf> = fs::read_dir(log_dir)
        .map_err(|e| BackupError::io(log_dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| BackupError::io(log_dir, e))?;
    others.sort();
    for path in others {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == LEAVES_FILE || name == CHECKPOINTS_DIR {
            continue;
        }
        if let Some(level) = name
            .strip_prefix("level-")
            .and_then(|l| l.parse::<u32>().ok())
        {
            let want = count.checked_shr(level).unwrap_or(0) * HASH_LEN;
            let have = fs::metadata(&path)
                .map_err(|e| BackupError::io(&path, e))?
                .len();
            // A level that lags (the writer between a leaf and its subtrees) is completed by
            // the log when it is opened.
            let len = want.min(have / HASH_LEN * HASH_LEN);
            w.copy(&path, Some(len))?;
        } else {
            copy_tree(w, &path, &[], &[])?;
        }
    }
    Ok((leaves, count))
}

/// The state of one WARC file's records beyond the copied log.
struct Unlogged {
    /// Where the records not in the copied log start (the copy stops here when they were all
    /// logged later), and their leaves.
    from: u64,
    leaves: Vec<Hash>,
    /// Where the last record of the file read ends.
    end: u64,
}

/// Copies each WARC file up to the end of its last record in the copied log (a torn tail or
/// records logged later left out), and the other files of the evidence directory whole.
fn copy_evidence(
    w: &mut Writing<'_>,
    dir: &Path,
    log_dir: &Path,
    leaves: &HashSet<Hash>,
    log_leaves: u64,
    dest: &Path,
    cuts: &mut Vec<WarcCut>,
) -> Result<(), BackupError> {
    let warcs = evidence::warc_files(dir).map_err(|e| BackupError::io(dir, e))?;
    // Read every file first: whether a tail was logged later is asked of the live log once.
    let mut plans = Vec::new();
    for path in &warcs {
        let seen = fs::metadata(path)
            .map_err(|e| BackupError::io(path, e))?
            .len();
        plans.push((path, seen, scan_warc(path, seen, leaves)?));
    }
    let later = later_leaves(log_dir, log_leaves)?;
    for (path, seen, scan) in plans {
        let (copy_to, reason) = match scan {
            Scan::Whole => (seen, None),
            Scan::Tail(u) if !u.leaves.is_empty() && u.leaves.iter().all(|l| later.contains(l)) => {
                // Every record past `from` was logged after the copy; a torn record after
                // them is left out with them.
                (u.from, Some(CutReason::LoggedAfter))
            }
            // Records the live log never held (not ours to cut: verify names them), or bytes
            // after the last record that are none: only a torn tail is cut.
            Scan::Tail(u) if u.end < seen => torn_cut(path, seen, dest)?,
            Scan::Tail(_) => (seen, None),
        };
        if let Some(reason) = reason {
            cuts.push(WarcCut {
                path: w.rel(path)?,
                copied: copy_to,
                seen,
                reason,
            });
        }
        if copy_to > 0 || seen == 0 {
            w.copy(path, Some(copy_to))?;
        }
    }
    let warcs: HashSet<&PathBuf> = warcs.iter().collect();
    let mut rest: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| BackupError::io(dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| BackupError::io(dir, e))?;
    rest.sort();
    for path in rest.into_iter().filter(|p| !warcs.contains(p)) {
        copy_tree(w, &path, &[], &[])?;
    }
    Ok(())
}

enum Scan {
    /// Every record read is in the copied log, and they reach the length seen.
    Whole,
    /// Records past the copied log, or bytes that are no record.
    Tail(Unlogged),
}

/// Reads a WARC file's records up to `seen` bytes and finds where the records not in the
/// copied log begin.
fn scan_warc(path: &Path, seen: u64, leaves: &HashSet<Hash>) -> Result<Scan, BackupError> {
    let file = File::open(path).map_err(|e| BackupError::io(path, e))?;
    let mut end = 0u64;
    let mut unlogged: Option<(u64, Vec<Hash>)> = None;
    let mut damaged = false;
    for item in evidence::open_reader(path)? {
        let rec = match item {
            Ok(rec) => rec,
            Err(EvidenceError::Corrupt { .. } | EvidenceError::NoRecord { .. }) => {
                damaged = true;
                break;
            }
            Err(e) => return Err(e.into()),
        };
        if rec.offset + rec.length > seen {
            break;
        }
        let mut stored = vec![0u8; rec.length as usize];
        file.read_exact_at(&mut stored, rec.offset)
            .map_err(|e| BackupError::io(path, e))?;
        let leaf = evidence::stored_record_leaf(&stored);
        if leaves.contains(&leaf) {
            // A logged record after unlogged ones: the unlogged ones are not a tail.
            unlogged = None;
        } else {
            unlogged
                .get_or_insert_with(|| (rec.offset, Vec::new()))
                .1
                .push(leaf);
        }
        end = rec.offset + rec.length;
    }
    Ok(match unlogged {
        None if !damaged && end == seen => Scan::Whole,
        None => Scan::Tail(Unlogged {
            from: end,
            leaves: Vec::new(),
            end,
        }),
        Some((from, leaves)) => Scan::Tail(Unlogged { from, leaves, end }),
    })
}

/// The leaves the live log holds past the `copied` first ones (appended since the copy).
fn later_leaves(log_dir: &Path, copied: u64) -> Result<HashSet<Hash>, BackupError> {
    let path = log_dir.join(LEAVES_FILE);
    let mut out = HashSet::new();
    let Ok(mut file) = File::open(&path) else {
        return Ok(out);
    };
    file.seek(SeekFrom::Start(copied * HASH_LEN))
        .map_err(|e| BackupError::io(&path, e))?;
    let mut rest = Vec::new();
    file.read_to_end(&mut rest)
        .map_err(|e| BackupError::io(&path, e))?;
    for chunk in rest.chunks_exact(HASH_LEN as usize) {
        let mut h = [0u8; HASH_LEN as usize];
        h.copy_from_slice(chunk);
        out.insert(Hash(h));
    }
    Ok(out)
}

/// Where a file whose bytes end in something that is not a record is cut: a copy of its
/// first `seen` bytes is repaired as a resumed sweep repairs a file (`repair_torn_tail`), and
/// only a torn tail is cut; other damage is copied as it is, for `evidence verify` to name.
fn torn_cut(path: &Path, seen: u64, dest: &Path) -> Result<(u64, Option<CutReason>), BackupError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = temp_beside(dest, &format!("torn-{name}"));
    let result = (|| {
        let mut from = File::open(path).map_err(|e| BackupError::io(path, e))?;
        let mut to = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| BackupError::io(&temp, e))?;
        std::io::copy(&mut (&mut from).take(seen), &mut to)
            .map_err(|e| BackupError::io(path, e))?;
        drop(to);
        // The copy alone is cut (floor 0: the original keeps every byte, damaged or not).
        match evidence::repair_torn_tail(&temp, 0) {
            Ok(Some(torn)) => Ok((torn.from, Some(CutReason::Torn))),
            Ok(None) => Ok((seen, None)),
            Err(EvidenceError::Corrupt { .. } | EvidenceError::NoRecord { .. }) => Ok((seen, None)),
            Err(e) => Err(e.into()),
        }
    })();
    let _ = fs::remove_file(&temp);
    result
}

/// Copies a file, or a directory's files recursively, but the directories `except` and the
/// paths `leave_out` (recorded with their reason), locks and temporary files.
fn copy_tree(
    w: &mut Writing<'_>,
    path: &Path,
    except: &[&Path],
    leave_out: &[(PathBuf, SkipReason)],
) -> Result<(), BackupError> {
    if except.contains(&path) {
        return Ok(());
    }
    if let Some((_, reason)) = leave_out.iter().find(|(p, _)| p == path) {
        if path.exists() {
            w.skip(path, *reason)?;
        }
        return Ok(());
    }
    let meta = fs::symlink_metadata(path).map_err(|e| BackupError::io(path, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|e| BackupError::io(path, e))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|e| BackupError::io(path, e))?;
        entries.sort();
        for entry in entries {
            copy_tree(w, &entry, except, leave_out)?;
        }
        Ok(())
    } else if !meta.is_file() {
        w.skip(path, SkipReason::NotAFile)
    } else if name == "sweep.lock"
        || (name.starts_with('.') && (name.ends_with(".tmp") || name.ends_with(".partial")))
    {
        w.skip(path, SkipReason::Transient)
    } else {
        w.copy(path, None)
    }
}
