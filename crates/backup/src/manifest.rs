//! The manifest of a backup (`wangjian-backup.json`, the last file written): what was copied,
//! each file's size and SHA-256, what was left out and why, and the versions restore checks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::Engine;

/// The manifest's file name at the top of a backup.
pub const MANIFEST: &str = "wangjian-backup.json";
/// The format this build writes and reads.
pub const FORMAT: &str = "wangjian-backup/1";
/// The SQLite snapshot's name in a backup (and in the restored data directory).
pub const SQLITE_FILE: &str = "wangjian.db";
/// A PostgreSQL database's dump in a backup (`pg_dump --format=custom`).
pub const PG_DUMP_FILE: &str = "database.pgdump";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The version of wangjian that wrote it.
    pub wangjian_version: String,
    /// When the backup started (UTC).
    pub created: DateTime<Utc>,
    pub engine: Engine,
    /// The database's newest migration when the snapshot was taken.
    pub schema: i64,
    /// The database in the backup: [`SQLITE_FILE`] or [`PG_DUMP_FILE`].
    pub database: String,
    /// The PostgreSQL server dumped, its password removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Leaves of the transparency log copied.
    pub log_leaves: u64,
    /// Signed checkpoints copied.
    pub checkpoints: u64,
    /// Every file of the backup but the manifest, in the order written.
    pub files: Vec<FileEntry>,
    /// WARC files copied short of their length on disk, and why.
    #[serde(default)]
    pub warc_cut: Vec<WarcCut>,
    /// What was left out, and why.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the data directory, with `/`.
    pub path: String,
    pub size: u64,
    /// SHA-256 (hex) of its bytes.
    pub sha256: String,
    /// Permission bits (a private key keeps its 0600).
    pub mode: u32,
}

/// A WARC file copied up to a consistent point only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarcCut {
    pub path: String,
    /// Bytes copied (0: the file held nothing of the backup's log and is left out).
    pub copied: u64,
    /// Its length on disk when it was read.
    pub seen: u64,
    pub reason: CutReason,
}

/// Why a WARC file's tail is not in the backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CutReason {
    /// Its last records were logged after the backup copied the log (a sweep was writing).
    LoggedAfter,
    /// Its last record was being written (a torn tail, cut as resume repair cuts it).
    Torn,
}

impl CutReason {
    pub fn code(self) -> &'static str {
        match self {
            CutReason::LoggedAfter => "logged-after",
            CutReason::Torn => "torn",
        }
    }
}

/// A file of the data directory not in the backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Derived data, rebuilt from the database and the evidence (the search index).
    Derived,
    /// The live database's own files (the snapshot stands for them).
    LiveDatabase,
    /// A lock or a temporary file of a running process.
    Transient,
    /// A checkpoint note that did not verify under the log's key when read (being written).
    UnverifiedCheckpoint,
    /// Not a regular file (a link, a socket).
    NotAFile,
}

impl SkipReason {
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::Derived => "derived",
            SkipReason::LiveDatabase => "live-database",
            SkipReason::Transient => "transient",
            SkipReason::UnverifiedCheckpoint => "unverified-checkpoint",
            SkipReason::NotAFile => "not-a-file",
        }
    }
}

impl Manifest {
    /// Files and bytes in the backup, the manifest aside.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.files.len() as u64,
            self.files.iter().map(|f| f.size).sum(),
        )
    }
}
