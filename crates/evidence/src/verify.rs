//! Offline verification of WARC files: every record is read, every declared digest recomputed,
//! and the exact place of any failure reported. Works on wangjian's files and other tools'.
//!
//! This module reads only the files it is given; checks against the transparency log are
//! layered on top by the caller (the log lives in [`crate::tlog`]).

use crate::{open_reader, verify_record};
use serde::Serialize;
use std::path::{Path, PathBuf};

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
    let mut verdict = WarcVerdict {
        path: path.to_path_buf(),
        records: 0,
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
    for item in reader {
        match item {
            Ok(rec) => {
                verdict.records += 1;
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
