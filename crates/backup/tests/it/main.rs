//! Backups of a data directory and their restore, on real evidence: WARC files written with
//! the transparency log, signed checkpoints, keys, a SQLite database. (The drill under a
//! running sweep, and PostgreSQL's `pg_dump` path, are the binary's `tests/it/backup.rs`.)

mod refusals;
mod roundtrip;

use chrono::{TimeZone, Utc};
use evidence::tlog::{sign_and_store, Log, Signer};
use evidence::{WarcWriter, WriterConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::prelude::*;
use store::DatabaseUrl;

pub const KEY_NAME: &str = "wangjian-evidence";

/// A data directory as the binary lays it out, with evidence, a log, keys, a database and
/// files that are left out of a backup.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: Arc<dyn Store>,
}

impl Fixture {
    pub async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("data");
        std::fs::create_dir_all(&root).unwrap();
        let store = store::open(&DatabaseUrl::Sqlite(root.join("wangjian.db")))
            .await
            .unwrap();
        let f = Fixture { dir, store };
        f.write_records("wangjian-sweep-1", 3);
        f.sign();
        let write = |rel: &str, bytes: &[u8]| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        };
        write("wangjian.toml", b"# the deployment's settings\n");
        write("attachments/ab/ab12", b"\x89PNG a photo");
        write("mappings/telecom.toml", b"[source]\n");
        write("search/meta.json", b"{}");
        write("sweep.lock", b"");
        write("attachments/ab/.ab12.1.2.tmp", b"half");
        f
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn source(&self) -> backup::Source {
        let root = self.root();
        backup::Source {
            evidence: root.join("warc"),
            log: root.join("log"),
            derived: vec![root.join("search")],
            database: DatabaseUrl::Sqlite(root.join("wangjian.db")),
            verifier_key: Some(
                std::fs::read_to_string(root.join("keys").join(format!("{KEY_NAME}.pub")))
                    .unwrap()
                    .trim()
                    .to_string(),
            ),
            pg_dump: "pg_dump".into(),
            root,
        }
    }

    /// Writes `n` resource records into a new file with `prefix`, each logged first.
    pub fn write_records(&self, prefix: &str, n: usize) -> PathBuf {
        let root = self.root();
        let log = Log::open(root.join("log")).unwrap();
        let mut w =
            WarcWriter::open_with_log(WriterConfig::new(root.join("warc"), prefix), Some(log))
                .unwrap();
        let mut file = None;
        for i in 0..n {
            let r = w
                .write_resource(
                    &format!("https://shop{i}.simweb.test/"),
                    Utc.timestamp_opt(1_709_251_200 + i as i64, 0).unwrap(),
                    "text/plain",
                    format!("page {i} of {prefix}").as_bytes(),
                )
                .unwrap();
            file = Some(root.join("warc").join(&r.file));
        }
        w.flush().unwrap();
        file.unwrap()
    }

    /// Signs a checkpoint over the whole log.
    pub fn sign(&self) {
        let root = self.root();
        let log = Log::open(root.join("log")).unwrap();
        let signer = Signer::load_or_create(&root.join("keys"), KEY_NAME).unwrap();
        sign_and_store(
            &log,
            &signer,
            "wangjian/evidence-log",
            Utc::now(),
            Some(evidence::tlog::CustodyHead {
                count: 0,
                hash: evidence::tlog::Hash([0; 32]),
            }),
        )
        .unwrap();
    }

    pub fn by() -> store::Actor {
        store::Actor::system("cli:test")
    }
}

/// Every WARC file of a data directory checked against its log under its latest checkpoint:
/// the number of records proven.
pub fn verify_evidence(root: &Path) -> usize {
    let log = Log::open(root.join("log")).unwrap();
    let notes = evidence::tlog::checkpoint::stored_notes(&root.join("log")).unwrap();
    let key = std::fs::read_to_string(root.join("keys").join(format!("{KEY_NAME}.pub"))).unwrap();
    let note = std::fs::read_to_string(notes.last().expect("a checkpoint")).unwrap();
    let checkpoint = evidence::tlog::Checkpoint::verify_note(&note, key.trim()).unwrap();
    let index = evidence::LogIndex::new(&log, checkpoint).unwrap();
    let mut proven = 0;
    for file in evidence::warc_files(&root.join("warc")).unwrap() {
        let verdict = evidence::verify_warc_logged(&file, Some((&log, &index)));
        assert!(verdict.ok(), "{}: {:?}", file.display(), verdict.failures);
        proven += verdict.logged;
    }
    proven
}
