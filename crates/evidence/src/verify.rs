//! Offline verification of WARC files: every record is read, every declared digest recomputed,
//! and the exact place of any failure reported. Works on wangjian's files and other tools'.
//!
//! With a [`LogIndex`], every stored record (its gzip member, byte for byte, or the record's
//! bytes in a plain WARC) must also be a leaf of the transparency log under a signed
//! checkpoint, with an inclusion proof that leads to the signed root. Since the leaf commits to
//! the stored bytes, a change of any byte of a logged file shows, and where.

use crate::tlog::{self, Checkpoint, CheckpointError, Hash, Log, LogError};
use crate::{open_reader, sha256_label, verify_record};
use serde::Serialize;
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The leaf a stored record contributes to the log: the RFC 6962 leaf hash of the
/// `sha256:<hex>` label of its stored bytes (the gzip member in a `.warc.gz`).
pub fn stored_record_leaf(stored: &[u8]) -> Hash {
    tlog::hash::leaf_hash(sha256_label(stored).as_bytes())
}

/// The leaves of the log up to a signed checkpoint, by hash, for looking stored records up.
#[derive(Debug)]
pub struct LogIndex {
    checkpoint: Checkpoint,
    leaves: HashMap<Hash, u64>,
}

/// Why the log cannot vouch for anything.
#[derive(Debug, thiserror::Error)]
pub enum LogIndexError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

impl LogIndex {
    /// Checks that the log holds the tree the checkpoint signed (root at its size), audits every
    /// stored interior hash against the leaves, and indexes the leaves it covers.
    pub fn new(log: &Log, checkpoint: Checkpoint) -> Result<LogIndex, LogIndexError> {
        checkpoint.check_log(log)?;
        log.audit()?;
        let leaves = log
            .leaf_hashes(checkpoint.size)?
            .into_iter()
            .enumerate()
            .map(|(i, h)| (h, i as u64))
            .collect();
        Ok(LogIndex { checkpoint, leaves })
    }

    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// Where a stored record's leaf is, if the checkpoint covers it.
    pub fn find(&self, leaf: &Hash) -> Option<u64> {
        self.leaves.get(leaf).copied()
    }

    /// Checks the inclusion of a stored record's leaf under the signed root; `Err` says why not.
    pub fn prove(&self, log: &Log, stored: &[u8]) -> Result<u64, String> {
        let leaf = stored_record_leaf(stored);
        let index = self.find(&leaf).ok_or_else(|| {
            format!(
                "not in the transparency log under checkpoint {} (record altered, or logged after it)",
                self.checkpoint.size
            )
        })?;
        let proof = log
            .inclusion_proof(index, self.checkpoint.size)
            .map_err(|e| format!("no inclusion proof for leaf {index}: {e}"))?;
        tlog::verify_inclusion(
            index,
            self.checkpoint.size,
            leaf,
            &proof,
            self.checkpoint.root,
        )
        .map_err(|e| format!("inclusion proof of leaf {index} fails: {e}"))?;
        Ok(index)
    }
}

/// One problem found in a file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Byte offset of the record (of its gzip member in a `.warc.gz`).
    pub offset: u64,
    /// The record's `WARC-Record-ID`, when it could be read.
    pub record_id: Option<String>,
    pub problem: String,
}

/// The verdict on one WARC file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarcVerdict {
    pub path: PathBuf,
    /// Records read and checked.
    pub records: usize,
    /// Stored records proven to be in the transparency log (0 when checked without a log).
    pub logged: usize,
    /// Records whose digests were recomputed (a record may declare none).
    pub digests_checked: usize,
    pub failures: Vec<Failure>,
}

impl WarcVerdict {
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Reads every record of a WARC file and recomputes its declared digests. Reading stops at the
/// first structural corruption (a torn or altered record), which is reported with its offset.
pub fn verify_warc(path: &Path) -> WarcVerdict {
    verify_warc_logged(path, None)
}

/// [`verify_warc`], and with a log, checks that every stored record is in it (see the module
/// documentation).
pub fn verify_warc_logged(path: &Path, log: Option<(&Log, &LogIndex)>) -> WarcVerdict {
    let mut verdict = WarcVerdict {
        path: path.to_path_buf(),
        records: 0,
        logged: 0,
        digests_checked: 0,
        failures: Vec::new(),
    };
    let reader = match open_reader(path) {
        Ok(r) => r,
        Err(e) => {
            verdict.failures.push(Failure {
                offset: e.offset().unwrap_or(0),
                record_id: None,
                problem: e.to_string(),
            });
            return verdict;
        }
    };
    let file = match log {
        Some(_) => match File::open(path) {
            Ok(f) => Some(f),
            Err(e) => {
                verdict.failures.push(Failure {
                    offset: 0,
                    record_id: None,
                    problem: format!("cannot open: {e}"),
                });
                return verdict;
            }
        },
        None => None,
    };
    let mut last_member = None;
    for item in reader {
        match item {
            Ok(rec) => {
                verdict.records += 1;
                if let (Some((log, index)), Some(file)) = (log, &file) {
                    // Several records may share one gzip member; the member is the unit logged.
                    if last_member != Some(rec.offset) {
                        last_member = Some(rec.offset);
                        let mut stored = vec![0u8; rec.length as usize];
                        let outcome = file
                            .read_exact_at(&mut stored, rec.offset)
                            .map_err(|e| format!("cannot read the stored record: {e}"))
                            .and_then(|()| index.prove(log, &stored));
                        match outcome {
                            Ok(_) => verdict.logged += 1,
                            Err(problem) => verdict.failures.push(Failure {
                                offset: rec.offset,
                                record_id: rec.record_id().map(str::to_string),
                                problem,
                            }),
                        }
                    }
                }
                if rec.header("WARC-Block-Digest").is_some()
                    || rec.header("WARC-Payload-Digest").is_some()
                {
                    verdict.digests_checked += 1;
                }
                for problem in verify_record(&rec) {
                    verdict.failures.push(Failure {
                        offset: rec.offset,
                        record_id: rec.record_id().map(str::to_string),
                        problem: problem.to_string(),
                    });
                }
            }
            Err(e) => {
                verdict.failures.push(Failure {
                    offset: e.offset().unwrap_or(0),
                    record_id: None,
                    problem: e.to_string(),
                });
                break;
            }
        }
    }
    if verdict.records == 0 && verdict.failures.is_empty() {
        verdict.failures.push(Failure {
            offset: 0,
            record_id: None,
            problem: "the file holds no WARC record".into(),
        });
    }
    verdict
}

/// WARC files (`.warc`, `.warc.gz`) directly inside a directory, sorted by name.
pub fn warc_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_file() && (name.ends_with(".warc") || name.ends_with(".warc.gz")) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
