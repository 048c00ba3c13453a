//! Signed checkpoints of the transparency log (C2SP tlog-checkpoint) and their files.
//!
//! A checkpoint is the text
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! [extension lines]
//! ```
//! signed as a C2SP signed note ([`super::note`]). wangjian adds two extension lines, in this
//! order:
//!
//! - `time <RFC 3339 UTC, seconds>`, the moment the checkpoint was made (by the signer's clock;
//!   the trusted time, where one is needed, is an RFC 3161 token over the note);
//! - `wangjian-custody <count> <hash>`, the head of the chain of custody when the checkpoint
//!   was signed ([`CustodyHead`]): the number of custody entries (decimal, no leading zeros)
//!   and the hash of the last one (64 lowercase hex digits; 64 zeros when there is none, the
//!   chain's genesis value). The chain itself lives in the database (`store::custody`); this
//!   line puts its head under the log key's signature, so that entries rewritten (hashes
//!   recomputed) or cut off the end below a committed count show when the chain is compared
//!   with the checkpoints.
//!
//! Extension lines are opaque to other C2SP tools (tlog-checkpoint allows them after the root
//! hash); the Ed25519 signature of the signed note covers the whole text, so both lines are
//! signed, as is any RFC 3161 token over the note. (A tlog-cosignature by a witness would not
//! cover them: witnesses cosign the first three lines only.) Checkpoints signed before the
//! custody line existed carry only `time`: they stay valid and commit to nothing about
//! custody. A note whose `wangjian-custody` line is malformed, or that has two, does not parse.
//!
//! Owns the checkpoint text, signing a log's current state and storing the notes append-only as
//! `<log dir>/checkpoints/<size>-<unix seconds>.note` (a further checkpoint of the same size
//! in the same second, which may commit to a later custody head, as
//! `<size>-<unix seconds>-<n>.note`, n = 2, 3, …), and an optional RFC 3161 token over a note
//! beside it with the extension `.tsr` ([`store_token`]). Must not change the log.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};

use super::hash::Hash;
use super::note::{self, NoteError, Signer, Verifier};
use super::tree::{Log, LogError};

/// The prefix of wangjian's time extension line.
const TIME_PREFIX: &str = "time ";
/// The first word of wangjian's custody extension line.
const CUSTODY_KEYWORD: &str = "wangjian-custody";
/// The folder of a log directory that holds its signed checkpoints.
pub const CHECKPOINTS_DIR: &str = "checkpoints";

/// Everything checkpoints can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Signing or opening the note failed, or the signature does not verify.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The signed text is not a checkpoint, or a checkpoint field cannot be written.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The log holds fewer leaves than the checkpoint: leaves were removed.
    #[error("the checkpoint covers {checkpoint_size} leaves but the log holds only {log_size}")]
    LogTooShort { checkpoint_size: u64, log_size: u64 },
    /// The log's root at the checkpoint's size is not the signed root: the log was altered.
    #[error("the log's root at size {size} is {log_root}, but the checkpoint signs {signed_root}")]
    RootMismatch {
        size: u64,
        log_root: Hash,
        signed_root: Hash,
    },
    /// Reading the log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A file-system operation on a known path failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The head of the chain of custody that a checkpoint commits to (see the module docs). The
/// evidence crate does not know the entries: it carries the head the caller read as signed
/// data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustodyHead {
    /// Number of custody entries.
    pub count: u64,
    /// SHA-256 hash of the last entry (all zeros when `count` is 0).
    pub hash: Hash,
}

impl CustodyHead {
    /// The extension line `wangjian-custody <count> <hex hash>`.
    pub fn to_line(&self) -> String {
        format!("{CUSTODY_KEYWORD} {} {}", self.count, self.hash.to_hex())
    }

    /// Parses an extension line: `None` when it is not a custody line at all, `Some(Err)` when
    /// it is one but malformed.
    fn parse_line(line: &str) -> Option<Result<CustodyHead, CheckpointError>> {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        if word != CUSTODY_KEYWORD {
            return None;
        }
        let head = rest.split_once(' ').and_then(|(count, hash)| {
            let count = canonical_decimal(count)?;
            let lower_hex =
                hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            let hash = Hash::from_hex(hash).filter(|_| lower_hex)?;
            Some(CustodyHead { count, hash })
        });
        Some(head.ok_or(CheckpointError::Malformed(
            "wangjian-custody line is not <count> <hex hash>",
        )))
    }
}

/// A decimal number without sign or leading zeros, as checkpoints write numbers.
fn canonical_decimal(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    s.parse().ok().filter(|_| canonical)
}

/// Checks wangjian's own extension lines: at most one custody line, and that one well formed.
fn check_extensions(extensions: &[String]) -> Result<(), CheckpointError> {
    let mut heads = extensions.iter().filter_map(|e| CustodyHead::parse_line(e));
    if let Some(head) = heads.next() {
        head?;
    }
    if heads.next().is_some() {
        return Err(CheckpointError::Malformed("two wangjian-custody lines"));
    }
    Ok(())
}

/// A checkpoint: the log's origin line, a tree size, its root and extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Identifies the log, a schema-less URL such as `wangjian.example/nanning`. Non-empty.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash of the tree of `size` leaves.
    pub root: Hash,
    /// Extension lines, in order (non-empty, no newlines); see [`Checkpoint::with_time`].
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extensions.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Adds the extension line `time <RFC 3339>` (UTC, whole seconds).
    pub fn with_time(mut self, time: DateTime<Utc>) -> Checkpoint {
        self.extensions.push(format!(
            "{TIME_PREFIX}{}",
            time.to_rfc3339_opts(SecondsFormat::Secs, true)
        ));
        self
    }

    /// Adds the extension line `wangjian-custody <count> <hex hash>`: the checkpoint commits
    /// to the chain of custody's head.
    pub fn with_custody(mut self, head: CustodyHead) -> Checkpoint {
        self.extensions.push(head.to_line());
        self
    }

    /// The custody head the checkpoint commits to; `None` for a checkpoint without the line
    /// (signed before it existed, or by a signer without a chain of custody), which commits to
    /// nothing about custody.
    pub fn custody(&self) -> Option<CustodyHead> {
        self.extensions
            .iter()
            .find_map(|e| CustodyHead::parse_line(e)?.ok())
    }

    /// The time from the first `time` extension line, if any parses.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.extensions.iter().find_map(|e| {
            DateTime::parse_from_rfc3339(e.strip_prefix(TIME_PREFIX)?)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
    }

    /// The checkpoint text (the note body), ending in a newline.
    pub fn to_text(&self) -> Result<String, CheckpointError> {
        let bad_line = |s: &str| s.is_empty() || s.chars().any(|c| c.is_control());
        if bad_line(&self.origin) {
            return Err(CheckpointError::Malformed(
                "empty origin or control character",
            ));
        }
        if self.extensions.iter().any(|e| bad_line(e)) {
            return Err(CheckpointError::Malformed(
                "empty extension line or control character",
            ));
        }
        check_extensions(&self.extensions)?;
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            text.push_str(e);
            text.push('\n');
        }
        Ok(text)
    }

    /// Parses a checkpoint text (a note body whose signature was already checked).
    pub fn parse_text(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("text does not end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        let size = lines
            .next()
            .ok_or(CheckpointError::Malformed("no tree size"))?;
        let root = lines
            .next()
            .ok_or(CheckpointError::Malformed("no root hash"))?;
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("empty origin"));
        }
        // Decimal without sign or leading zeros, as the format requires.
        let size = canonical_decimal(size).ok_or(CheckpointError::Malformed(
            "tree size is not a decimal number",
        ))?;
        let root = Hash::from_base64(root).ok_or(CheckpointError::Malformed(
            "root is not a base64 SHA-256 hash",
        ))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("empty line"));
        }
        check_extensions(&extensions)?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }

    /// Signs the checkpoint: the signed note, ready to publish or store.
    pub fn to_note(&self, signer: &Signer) -> Result<String, CheckpointError> {
        Ok(signer.sign(&self.to_text()?)?)
    }

    /// Checks `note`'s signature by the key `verifier_key` (a verifier key string
    /// `<name>+<hex ID>+<base64>`) and parses the checkpoint it signs. The caller compares
    /// `origin` with the log it expects.
    pub fn verify_note(note: &str, verifier_key: &str) -> Result<Checkpoint, CheckpointError> {
        let verifier = Verifier::parse(verifier_key)?;
        Checkpoint::verify_note_with(note, &verifier)
    }

    /// [`Checkpoint::verify_note`] with a parsed verifier.
    pub fn verify_note_with(
        note: &str,
        verifier: &Verifier,
    ) -> Result<Checkpoint, CheckpointError> {
        Checkpoint::parse_text(note::open(note, verifier)?)
    }

    /// Checks that `log` still holds this checkpoint's tree: at least `size` leaves, and the
    /// root of its first `size` leaves is the signed root. Uses the stored subtree hashes;
    /// run [`Log::audit`] as well to tie them to the leaves.
    pub fn check_log(&self, log: &Log) -> Result<(), CheckpointError> {
        if log.size() < self.size {
            return Err(CheckpointError::LogTooShort {
                checkpoint_size: self.size,
                log_size: log.size(),
            });
        }
        let log_root = log.root_at(self.size)?;
        if log_root != self.root {
            return Err(CheckpointError::RootMismatch {
                size: self.size,
                log_root,
                signed_root: self.root,
            });
        }
        Ok(())
    }
}

/// A checkpoint signed and stored by [`sign_and_store`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// What was signed.
    pub checkpoint: Checkpoint,
    /// The signed note, as stored.
    pub note: String,
    /// `<log dir>/checkpoints/<size>-<unix seconds>.note`.
    pub path: PathBuf,
}

/// Makes the log durable ([`Log::sync`]), signs its current size and root with `time` as the
/// time extension and `custody` as the custody line (when given) and stores the note as a new
/// file; an existing file is never overwritten (a second checkpoint of one size in the same
/// second is stored as `<size>-<unix seconds>-2.note`, and so on). A deployment with a chain of
/// custody always gives its head, read just before (wangjian's signers go through
/// `sweep::checkpoint`).
pub fn sign_and_store(
    log: &Log,
    signer: &Signer,
    origin: &str,
    time: DateTime<Utc>,
    custody: Option<CustodyHead>,
) -> Result<StoredCheckpoint, CheckpointError> {
    log.sync()?;
    let mut checkpoint = Checkpoint::new(origin, log.size(), log.root()).with_time(time);
    if let Some(head) = custody {
        checkpoint = checkpoint.with_custody(head);
    }
    let note = checkpoint.to_note(signer)?;
    let dir = log.dir().join(CHECKPOINTS_DIR);
    fs::create_dir_all(&dir).map_err(|source| CheckpointError::Io {
        path: dir.clone(),
        source,
    })?;
    let stem = format!("{}-{}", checkpoint.size, time.timestamp());
    let mut n = 1u32;
    let (path, mut file) = loop {
        let path = match n {
            1 => dir.join(format!("{stem}.note")),
            n => dir.join(format!("{stem}-{n}.note")),
        };
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => break (path, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < MAX_SAME_SECOND => n += 1,
            Err(source) => return Err(CheckpointError::Io { path, source }),
        }
    };
    let io = |source| CheckpointError::Io {
        path: path.clone(),
        source,
    };
    file.write_all(note.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io)?;
    Ok(StoredCheckpoint {
        checkpoint,
        note,
        path,
    })
}

/// How many checkpoints of one size may be stored in one second; more are refused.
const MAX_SAME_SECOND: u32 = 1000;

/// The extension of an RFC 3161 time-stamp token stored beside a note ([`crate::tsa`]).
pub const TOKEN_EXTENSION: &str = "tsr";

/// Where the time-stamp token of the note at `note_path` is kept: the same name with
/// `.tsr` (`<size>-<unix seconds>.tsr`, or `<size>-<unix seconds>-<n>.tsr`).
pub fn token_path(note_path: &Path) -> PathBuf {
    note_path.with_extension(TOKEN_EXTENSION)
}

/// Stores `token` (DER) beside the note at `note_path` as a new file ([`token_path`]); an
/// existing token is never overwritten. Returns its path.
pub fn store_token(note_path: &Path, token: &[u8]) -> Result<PathBuf, CheckpointError> {
    let path = token_path(note_path);
    let io = |source| CheckpointError::Io {
        path: path.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io)?;
    file.write_all(token)
        .and_then(|()| file.sync_all())
        .map_err(io)?;
    Ok(path)
}

/// The stored checkpoint notes of the log in `log_dir`, oldest first (by size, then time, then
/// the number of a further note of the same size and second).
pub fn stored_notes(log_dir: &Path) -> Result<Vec<PathBuf>, CheckpointError> {
    let dir = log_dir.join(CHECKPOINTS_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(CheckpointError::Io { path: dir, source }),
    };
    let mut notes: Vec<(u64, i64, u32, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| CheckpointError::Io {
                path: dir.clone(),
                source,
            })?
            .path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str()?.strip_suffix(".note"))
        else {
            continue;
        };
        let Some((size, rest)) = stem.split_once('-') else {
            continue;
        };
        let (time, n) = match rest.split_once('-') {
            Some((time, n)) => (time, n.parse().ok().filter(|&n| n >= 2)),
            None => (rest, Some(1)),
        };
        if let (Ok(size), Ok(time), Some(n)) = (size.parse(), time.parse(), n) {
            notes.push((size, time, n, path));
        }
    }
    notes.sort();
    Ok(notes.into_iter().map(|(_, _, _, p)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn root() -> Hash {
        crate::tlog::hash::leaf_hash(b"root")
    }

    #[test]
    fn text_round_trips_with_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 8, 44, 44).unwrap();
        let cp = Checkpoint::new("wangjian.example/nanning", 70, root()).with_time(t);
        let text = cp.to_text().unwrap();
        assert_eq!(
            text,
            format!(
                "wangjian.example/nanning\n70\n{}\ntime 2026-11-30T08:44:44Z\n",
                root().to_base64()
            )
        );
        let back = Checkpoint::parse_text(&text).unwrap();
        assert_eq!(back, cp);
        assert_eq!(back.time(), Some(t));
    }

    #[test]
    fn malformed_texts_are_rejected() {
        let r = root().to_base64();
        for text in [
            String::new(),
            format!("\n1\n{r}\n"),
            format!("o\n01\n{r}\n"),
            format!("o\n+1\n{r}\n"),
            format!("o\n-1\n{r}\n"),
            format!("o\n18446744073709551616\n{r}\n"),
            "o\n1\nAAAA\n".to_string(),
            format!("o\n1\n{r}"),
            format!("o\n1\n{r}\n\next\n"),
            "o\n1\n".to_string(),
        ] {
            assert!(Checkpoint::parse_text(&text).is_err(), "{text:?} accepted");
        }
        assert!(Checkpoint::parse_text(&format!("o\n0\n{r}\n")).is_ok());
        let mut cp = Checkpoint::new("o", 1, root());
        cp.extensions.push("two\nlines".into());
        assert!(cp.to_text().is_err());
        assert!(Checkpoint::new("", 1, root()).to_text().is_err());
    }

    #[test]
    fn the_custody_line_round_trips_and_old_checkpoints_commit_to_nothing() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 8, 44, 44).unwrap();
        let head = CustodyHead {
            count: 12,
            hash: crate::tlog::hash::leaf_hash(b"entry 12"),
        };
        let cp = Checkpoint::new("wangjian.example/nanning", 70, root())
            .with_time(t)
            .with_custody(head);
        let text = cp.to_text().unwrap();
        assert_eq!(
            text,
            format!(
                "wangjian.example/nanning\n70\n{}\ntime 2026-11-30T08:44:44Z\n\
                 wangjian-custody 12 {}\n",
                root().to_base64(),
                head.hash.to_hex()
            )
        );
        let back = Checkpoint::parse_text(&text).unwrap();
        assert_eq!(back, cp);
        assert_eq!(back.custody(), Some(head));
        assert_eq!(back.time(), Some(t));
        // The empty chain: count 0 and the genesis hash, 64 zeros.
        let empty = CustodyHead {
            count: 0,
            hash: Hash([0; 32]),
        };
        assert_eq!(
            empty.to_line(),
            format!("wangjian-custody 0 {}", "0".repeat(64))
        );
        // A checkpoint signed before the line existed parses and commits to nothing.
        let old = format!("o\n3\n{}\ntime 2026-11-30T08:44:44Z\n", root().to_base64());
        assert_eq!(Checkpoint::parse_text(&old).unwrap().custody(), None);
    }

    #[test]
    fn malformed_custody_lines_are_rejected() {
        let r = root().to_base64();
        let h = root().to_hex();
        let z = "0".repeat(64);
        for line in [
            "wangjian-custody".to_string(),
            "wangjian-custody ".to_string(),
            "wangjian-custody 1".to_string(),
            format!("wangjian-custody 01 {h}"),
            format!("wangjian-custody -1 {h}"),
            format!("wangjian-custody 1  {h}"),
            format!("wangjian-custody 1 {h} extra"),
            format!("wangjian-custody 1 {}", h.to_uppercase()),
            format!("wangjian-custody 1 {}", &h[..62]),
            format!("wangjian-custody x {h}"),
            format!("wangjian-custody 0 {z}\nwangjian-custody 0 {z}"),
        ] {
            let text = format!("o\n1\n{r}\n{line}\n");
            assert!(Checkpoint::parse_text(&text).is_err(), "{text:?} accepted");
            let mut cp = Checkpoint::new("o", 1, root());
            cp.extensions = line.split('\n').map(str::to_string).collect();
            assert!(cp.to_text().is_err(), "{line:?} written");
        }
        // Another extension that merely starts with the word is not a custody line.
        let other = format!("o\n1\n{r}\nwangjian-custodian 1 {h}\n");
        assert_eq!(Checkpoint::parse_text(&other).unwrap().custody(), None);
    }
}
