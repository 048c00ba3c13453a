//! Auditing a log's stored checkpoints: every note verified with the verifier key, each
//! checkpoint consistent with the next larger one, the latest good one picked; and the
//! checkpoint an export proves against (the latest, or a fresh one when the latest does not
//! cover the whole log).
//!
//! A bad note does not stop the audit: it is reported as a [`CheckpointProblem`] with its file,
//! and the others are still checked, so a verifier sees every problem at once. Must not: sign
//! anything except in [`covering_checkpoint`], or change the log.

use std::fmt;
use std::io;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::checkpoint::{sign_and_store, stored_notes, Checkpoint, CheckpointError, CustodyHead};
use super::note::Signer;
use super::proof::{verify_consistency, ProofError};
use super::tree::{Log, LogError};

/// A stored checkpoint whose signature holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    /// What the note signs.
    pub checkpoint: Checkpoint,
    /// The signed note as stored.
    pub note: String,
    /// `<log dir>/checkpoints/<size>-<unix seconds>[-<n>].note`.
    pub path: PathBuf,
}

/// What is wrong with the stored checkpoints.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointProblem {
    /// A note file cannot be read.
    #[error("checkpoint {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A note is not a checkpoint signed by the key.
    #[error("checkpoint {}: {source}", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: CheckpointError,
    },
    /// Two checkpoints are not consistent: the log was rewritten between them, or one of them
    /// signs a tree the log never held.
    #[error(
        "checkpoints {} and {} are not consistent: {reason}",
        older.display(),
        newer.display()
    )]
    Inconsistent {
        older: PathBuf,
        newer: PathBuf,
        reason: Inconsistency,
    },
}

/// Why two checkpoints are not consistent.
#[derive(Debug)]
pub enum Inconsistency {
    /// The log cannot give the consistency proof between the two sizes.
    NoProof(LogError),
    /// The proof the log gives does not lead from one signed root to the other.
    ProofFails(ProofError),
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inconsistency::NoProof(e) => write!(f, "no consistency proof: {e}"),
            Inconsistency::ProofFails(e) => write!(f, "{e}"),
        }
    }
}

/// The verdict on a log's stored checkpoints.
#[derive(Debug, Default)]
pub struct CheckpointAudit {
    /// The checkpoints whose signature holds, smallest tree first.
    pub verified: Vec<VerifiedCheckpoint>,
    /// Every problem found, in the order found.
    pub problems: Vec<CheckpointProblem>,
}

impl CheckpointAudit {
    /// The verified checkpoint of the largest tree (the newest among equals).
    pub fn latest(&self) -> Option<&VerifiedCheckpoint> {
        self.verified.last()
    }

    /// True when every stored note verified and all are consistent.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies every stored checkpoint of `log` with `verifier_key` (`name+id+key`) and checks
/// each against the next larger one with a consistency proof from the log. `Err` only when the
/// checkpoints cannot be listed at all.
pub fn audit_checkpoints(
    log: &Log,
    verifier_key: &str,
) -> Result<CheckpointAudit, CheckpointError> {
    let mut audit = CheckpointAudit::default();
    for path in stored_notes(log.dir())? {
        let note = match std::fs::read_to_string(&path) {
            Ok(note) => note,
            Err(source) => {
                audit
                    .problems
                    .push(CheckpointProblem::Unreadable { path, source });
                continue;
            }
        };
        match Checkpoint::verify_note(&note, verifier_key) {
            Ok(checkpoint) => audit.verified.push(VerifiedCheckpoint {
                checkpoint,
                note,
                path,
            }),
            Err(source) => audit
                .problems
                .push(CheckpointProblem::Invalid { path, source }),
        }
    }
    // `stored_notes` lists by size, then time; a stable sort keeps that order among equals.
    audit.verified.sort_by_key(|v| v.checkpoint.size);
    for pair in audit.verified.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.checkpoint.size == 0 {
            continue;
        }
        let reason = match log.consistency_proof(a.checkpoint.size, b.checkpoint.size) {
            Err(e) => Some(Inconsistency::NoProof(e)),
            Ok(proof) => verify_consistency(
                a.checkpoint.size,
                b.checkpoint.size,
                &proof,
                a.checkpoint.root,
                b.checkpoint.root,
            )
            .err()
            .map(Inconsistency::ProofFails),
        };
        if let Some(reason) = reason {
            audit.problems.push(CheckpointProblem::Inconsistent {
                older: a.path.clone(),
                newer: b.path.clone(),
                reason,
            });
        }
    }
    Ok(audit)
}

/// The checkpoint that covers the whole log as it stands: the latest stored one whose
/// signature holds with `verifier_key`, if it is of the log's size; else a new one signed with
/// `signer` at `now`, committing to `custody` when given ([`sign_and_store`]), and stored. A
/// checkpoint found is not re-signed for custody entries made since: it proves the records,
/// and the next signed checkpoint commits to those entries.
pub fn covering_checkpoint(
    log: &Log,
    signer: &Signer,
    origin: &str,
    verifier_key: &str,
    now: DateTime<Utc>,
    custody: Option<CustodyHead>,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let audit = audit_checkpoints(log, verifier_key)?;
    if let Some(latest) = audit.latest() {
        if latest.checkpoint.size == log.size() {
            return Ok(latest.clone());
        }
    }
    let stored = sign_and_store(log, signer, origin, now, custody)?;
    Ok(VerifiedCheckpoint {
        checkpoint: stored.checkpoint,
        note: stored.note,
        path: stored.path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::leaf_hash;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    fn log_with(dir: &std::path::Path, leaves: u64) -> Log {
        let mut log = Log::open(dir.join("log")).unwrap();
        for i in 0..leaves {
            log.append(format!("leaf {i}").as_bytes()).unwrap();
        }
        log
    }

    #[test]
    fn every_good_checkpoint_is_verified_and_a_bad_note_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let signer = Signer::load_or_create(&keys, "test").unwrap();
        let key = signer.verifier_key();
        let mut log = log_with(dir.path(), 3);
        sign_and_store(&log, &signer, "test/log", at(1), None).unwrap();
        log.append(b"leaf 3").unwrap();
        let second = sign_and_store(&log, &signer, "test/log", at(2), None).unwrap();

        let audit = audit_checkpoints(&log, &key).unwrap();
        assert!(audit.ok(), "{:?}", audit.problems);
        assert_eq!(audit.verified.len(), 2);
        assert_eq!(audit.latest().unwrap().path, second.path);

        // A note signed by another key is a problem with its file named; the others still
        // count.
        let other = Signer::load_or_create(&keys, "other").unwrap();
        log.append(b"leaf 4").unwrap();
        let forged = sign_and_store(&log, &other, "test/log", at(3), None).unwrap();
        let audit = audit_checkpoints(&log, &key).unwrap();
        assert_eq!(audit.problems.len(), 1);
        let problem = audit.problems[0].to_string();
        assert!(
            problem.contains(&forged.path.display().to_string()),
            "{problem}"
        );
        assert_eq!(audit.latest().unwrap().path, second.path);

        // An export needs a checkpoint of the whole log: a new one is signed.
        let covering = covering_checkpoint(&log, &signer, "test/log", &key, at(4), None).unwrap();
        assert_eq!(covering.checkpoint.size, 5);
        assert_ne!(covering.path, forged.path);
        // Asked again, the same one is found, not another signed.
        let again = covering_checkpoint(&log, &signer, "test/log", &key, at(5), None).unwrap();
        assert_eq!(again.path, covering.path);
    }

    #[test]
    fn checkpoints_of_two_different_trees_are_inconsistent() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::load_or_create(&dir.path().join("keys"), "test").unwrap();
        let key = signer.verifier_key();
        let mut log = log_with(dir.path(), 2);
        sign_and_store(&log, &signer, "test/log", at(1), None).unwrap();
        log.append(b"leaf 2").unwrap();
        sign_and_store(&log, &signer, "test/log", at(2), None).unwrap();
        // A checkpoint of size 2 over another tree, signed by the right key: it verifies alone,
        // but the log cannot lead from it to the larger one.
        let foreign = Checkpoint::new("test/log", 2, leaf_hash(b"another tree")).with_time(at(3));
        let note = foreign.to_note(&signer).unwrap();
        let path = log
            .dir()
            .join(crate::tlog::checkpoint::CHECKPOINTS_DIR)
            .join("2-3.note");
        std::fs::write(&path, note).unwrap();

        let audit = audit_checkpoints(&log, &key).unwrap();
        assert!(
            audit.problems.iter().any(
                |p| matches!(p, CheckpointProblem::Inconsistent { older, .. } if *older == path)
            ),
            "{:?}",
            audit.problems
        );
    }
}
