//! A backup in each form restores to the data directory it was taken of: every file the same
//! bytes and permissions, the database a snapshot holding the same records, the evidence proven
//! against the restored log; and what must not be taken is left out and said.

use crate::{verify_evidence, Fixture};
use backup::{CutReason, Form, SkipReason};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use store::{DatabaseUrl, Scope};

/// Every regular file under `root`: relative path → (bytes, permission bits).
fn tree(root: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                out.insert(
                    rel,
                    (
                        std::fs::read(&path).unwrap(),
                        meta.permissions().mode() & 0o777,
                    ),
                );
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_restores_the_data_directory() {
    let f = Fixture::new().await;
    let entities_before = f.store.count_entities(Scope::City).await.unwrap();
    for name in ["backup-dir", "backup.tar", "backup.tar.gz"] {
        let dest = f.dir.path().join(name);
        let done = backup::backup(
            f.store.as_ref(),
            &f.source(),
            &dest,
            &Fixture::by(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(done.form, Form::of(&dest));
        assert!(dest.exists());
        let m = &done.manifest;
        assert_eq!(m.database, backup::SQLITE_FILE);
        assert_eq!(m.log_leaves, 3 + 1, "three resources and the warcinfo");
        assert_eq!(m.checkpoints, 1);
        assert!(m.warc_cut.is_empty(), "{:?}", m.warc_cut);
        let skipped: BTreeMap<&str, SkipReason> = m
            .skipped
            .iter()
            .map(|s| (s.path.as_str(), s.reason))
            .collect();
        assert_eq!(skipped.get("search"), Some(&SkipReason::Derived));
        assert_eq!(skipped.get("sweep.lock"), Some(&SkipReason::Transient));
        assert_eq!(
            skipped.get("attachments/ab/.ab12.1.2.tmp"),
            Some(&SkipReason::Transient)
        );
        assert_eq!(skipped.get("wangjian.db"), Some(&SkipReason::LiveDatabase));
        // The manifest's first file is a checkpoint, then the database: the order the
        // consistency argument needs.
        assert!(
            m.files[0].path.starts_with("log/checkpoints/"),
            "{:?}",
            m.files[0]
        );
        assert_eq!(m.files[1].path, "wangjian.db");

        let restored = f.dir.path().join(format!("restored-{name}"));
        let r = backup::restore(&dest, &restored).unwrap();
        assert_eq!(r.manifest, *m);

        // Every file but the ones left out, byte for byte and with its permissions.
        let mut before = tree(&f.root());
        let after = tree(&restored);
        before.retain(|path, _| {
            !path.starts_with("search/")
                && path != "sweep.lock"
                && !path.ends_with(".tmp")
                && !path.starts_with("wangjian.db")
        });
        let mut after_files = after.clone();
        let db = after_files.remove("wangjian.db").expect("the snapshot");
        assert_eq!(db.1, 0o600);
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after_files.keys().collect::<Vec<_>>()
        );
        assert_eq!(before, after_files);
        let key = format!("keys/{}.key", crate::KEY_NAME);
        assert_eq!(after[&key].1, 0o600, "a private key stays private");

        // The snapshot is the database; the evidence proves against the restored log.
        let copy = store::open(&DatabaseUrl::Sqlite(restored.join("wangjian.db")))
            .await
            .unwrap();
        assert_eq!(
            copy.count_entities(Scope::City).await.unwrap(),
            entities_before
        );
        assert!(copy.check().await.unwrap().ok());
        assert_eq!(verify_evidence(&restored), 4);
    }
    // Each backup is in the audit log; the latest is the last one.
    let last = f.store.last_backup().await.unwrap().unwrap();
    assert!(last.record.destination.ends_with("backup.tar.gz"));
    assert_eq!(last.actor, "cli:test");
    assert!(last.record.database_included);
}

/// A record being written when the file is read (a torn tail) is cut on the way into the
/// backup, as resume repair cuts it, while the live file is left as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_tail_is_cut_from_the_copy_only() {
    let f = Fixture::new().await;
    let file = f.write_records("wangjian-sweep-2", 2);
    f.sign();
    let whole = std::fs::read(&file).unwrap();
    // Half of a gzip member: a record the writer had not finished.
    let other = tempfile::tempdir().unwrap();
    let mut w = evidence::WarcWriter::open(evidence::WriterConfig::new(other.path(), "x")).unwrap();
    let r = w
        .write_resource(
            "https://torn.simweb.test/",
            chrono::Utc::now(),
            "text/plain",
            &[7u8; 4000],
        )
        .unwrap();
    w.flush().unwrap();
    let member = std::fs::read(other.path().join(&r.file)).unwrap();
    let member = &member[r.offset as usize..(r.offset + r.length) as usize];
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(&member[..member.len() / 2])
        .unwrap();
    let seen = std::fs::metadata(&file).unwrap().len();

    let dest = f.dir.path().join("b");
    let done = backup::backup(
        f.store.as_ref(),
        &f.source(),
        &dest,
        &Fixture::by(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let rel = format!("warc/{}", file.file_name().unwrap().to_str().unwrap());
    let cut = &done.manifest.warc_cut;
    assert_eq!(cut.len(), 1, "{cut:?}");
    assert_eq!(cut[0].path, rel);
    assert_eq!(cut[0].reason, CutReason::Torn);
    assert_eq!(cut[0].copied, whole.len() as u64);
    assert_eq!(cut[0].seen, seen);
    assert_eq!(std::fs::read(dest.join(&rel)).unwrap(), whole);
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        seen,
        "the live file untouched"
    );

    let restored = f.dir.path().join("r");
    backup::restore(&dest, &restored).unwrap();
    assert_eq!(verify_evidence(&restored), 4 + 3);
}

/// A record that no log ever held is not the backup's to cut: it is copied as it is, and
/// verification names it in the backup as it does in the data directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_no_log_holds_are_copied_as_they_are() {
    let f = Fixture::new().await;
    let file = evidence::warc_files(&f.root().join("warc")).unwrap()[0].clone();
    let other = tempfile::tempdir().unwrap();
    let mut w = evidence::WarcWriter::open(evidence::WriterConfig::new(other.path(), "x")).unwrap();
    let r = w
        .write_resource(
            "https://unlogged.simweb.test/",
            chrono::Utc::now(),
            "text/plain",
            b"x",
        )
        .unwrap();
    w.flush().unwrap();
    let bytes = std::fs::read(other.path().join(&r.file)).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(&bytes[r.offset as usize..(r.offset + r.length) as usize])
        .unwrap();
    let live = std::fs::read(&file).unwrap();
    let dest = f.dir.path().join("b.tar");
    let done = backup::backup(
        f.store.as_ref(),
        &f.source(),
        &dest,
        &Fixture::by(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(
        done.manifest.warc_cut.is_empty(),
        "{:?}",
        done.manifest.warc_cut
    );
    let restored = f.dir.path().join("r");
    backup::restore(&dest, &restored).unwrap();
    let copy = restored.join("warc").join(file.file_name().unwrap());
    assert_eq!(std::fs::read(copy).unwrap(), live);
}

/// Backups taken while a writer appends records (each logged first, as a sweep does): the
/// records logged after the backup copied the log are left out (`logged-after`), and what is
/// in the backup proves against its log once a checkpoint is signed over it, as restore does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_logged_after_the_log_was_copied_are_left_out() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let f = Fixture::new().await;
    let root = f.root();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let root = root.clone();
        std::thread::spawn(move || {
            let log = evidence::tlog::Log::open(root.join("log")).unwrap();
            let mut w = evidence::WarcWriter::open_with_log(
                evidence::WriterConfig::new(root.join("warc"), "wangjian-sweep-9"),
                Some(log),
            )
            .unwrap();
            let body = vec![b'x'; 8 * 1024];
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                w.write_resource(
                    &format!("https://busy.simweb.test/{n}"),
                    chrono::Utc::now(),
                    "text/plain",
                    &body,
                )
                .unwrap();
                n += 1;
                // A sweep's pace, not a disk-filling one.
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            w.flush().unwrap();
            n
        })
    };
    // Backups until one found records logged after its copy of the log (every attempt must
    // restore and verify; the writer never waits for the backup).
    let mut seen_later = false;
    for attempt in 0..200 {
        let dest = f.dir.path().join(format!("b{attempt}"));
        let done = backup::backup(
            f.store.as_ref(),
            &f.source(),
            &dest,
            &Fixture::by(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        seen_later |= done
            .manifest
            .warc_cut
            .iter()
            .any(|c| c.reason == CutReason::LoggedAfter && c.copied < c.seen);
        let restored = f.dir.path().join(format!("r{attempt}"));
        backup::restore(&dest, &restored).unwrap();
        // What restore's caller does: a checkpoint over the restored log.
        let log = evidence::tlog::Log::open(restored.join("log")).unwrap();
        let signer =
            evidence::tlog::Signer::load_or_create(&restored.join("keys"), crate::KEY_NAME)
                .unwrap();
        evidence::tlog::sign_and_store(
            &log,
            &signer,
            "wangjian/evidence-log",
            chrono::Utc::now(),
            Some(evidence::tlog::CustodyHead {
                count: 0,
                hash: evidence::tlog::Hash([0; 32]),
            }),
        )
        .unwrap();
        drop(log);
        assert!(verify_evidence(&restored) >= 4);
        std::fs::remove_dir_all(&dest).unwrap();
        std::fs::remove_dir_all(&restored).unwrap();
        if seen_later {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(written > 0);
    assert!(
        seen_later,
        "no backup caught the writer between log and file"
    );
}
