//! Finished WARC files go to a real S3-compatible server (s3s-fs) once, byte for byte, and
//! come back by range and whole; an open file waits; bad input is refused with its reason.

use std::path::{Path, PathBuf};

use evidence::{WarcWriter, WriterConfig};
use objects::testing::S3Server;
use objects::{upload_finished, FileOutcome, Objects, ObjectsError};
use store::testing::{Backend, TestDb};

const PREFIX: &str = "nanning/warc";

/// `n` bytes that do not compress (so a file spans several upload parts).
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Writes two files under `prefix` (the first rolled over by a record of `big` bytes).
fn write_files(dir: &Path, prefix: &str, big: usize) -> Vec<PathBuf> {
    let mut config = WriterConfig::new(dir, prefix);
    config.max_file_bytes = 1024;
    let mut w = WarcWriter::open(config).unwrap();
    w.write_resource(
        "http://a.test/big",
        chrono::Utc::now(),
        "application/octet-stream",
        &noise(big, big as u64),
    )
    .unwrap();
    w.write_resource(
        "http://a.test/small",
        chrono::Utc::now(),
        "text/plain",
        b"small",
    )
    .unwrap();
    w.flush().unwrap();
    let mut files: Vec<PathBuf> = evidence::warc_files(dir)
        .unwrap()
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            evidence::writer::file_seq(name, prefix).is_some()
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    files
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_files_go_up_once_and_come_back_whole() {
    let server = S3Server::start();
    let objects = Objects::connect(&server.config(PREFIX)).unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open(None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let done = store.create_sweep(&[]).await.unwrap();
    store.finish_sweep(done).await.unwrap();
    let running = store.create_sweep(&[]).await.unwrap();
    // 20 MiB: three parts of an upload.
    let finished = write_files(dir.path(), &format!("wangjian-sweep{}", done.0), 20 << 20);
    let open = write_files(dir.path(), &format!("wangjian-sweep{}", running.0), 1000);
    let foreign = dir.path().join("copied-by-hand.warc.gz");
    std::fs::copy(&open[0], &foreign).unwrap();

    let outcomes = upload_finished(store.as_ref(), &objects, dir.path())
        .await
        .unwrap();
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    let mut expected = vec![
        FileOutcome::Foreign {
            name: name(&foreign),
        },
        FileOutcome::Uploaded {
            name: name(&finished[0]),
            size: size(&finished[0]),
        },
        FileOutcome::Uploaded {
            name: name(&finished[1]),
            size: size(&finished[1]),
        },
        FileOutcome::Uploaded {
            name: name(&open[0]),
            size: size(&open[0]),
        },
        FileOutcome::Open {
            name: name(&open[1]),
            sweep: running.0,
        },
    ];
    expected.sort_by(|a, b| a.name().cmp(b.name()));
    assert_eq!(outcomes, expected);
    for file in finished.iter().chain(&open[..1]) {
        let kept = std::fs::read(server.object_file(&format!("{PREFIX}/{}", name(file))))
            .expect("the server holds the object");
        assert!(
            kept == std::fs::read(file).unwrap(),
            "{}: stored byte for byte",
            name(file)
        );
    }

    // Again: nothing sent; then the sweep ends and its last file goes up.
    let again = upload_finished(store.as_ref(), &objects, dir.path())
        .await
        .unwrap();
    assert!(
        again
            .iter()
            .all(|o| !matches!(o, FileOutcome::Uploaded { .. } | FileOutcome::Failed { .. })),
        "{again:?}"
    );
    assert_eq!(
        again
            .iter()
            .filter(|o| matches!(o, FileOutcome::Already { .. }))
            .count(),
        3
    );
    store.finish_sweep(running).await.unwrap();
    let last = upload_finished(store.as_ref(), &objects, dir.path())
        .await
        .unwrap();
    assert!(last.contains(&FileOutcome::Uploaded {
        name: name(&open[1]),
        size: size(&open[1]),
    }));

    // Listed, read by range, downloaded.
    let listed = objects.list().await.unwrap();
    let mut local: Vec<(String, u64)> = finished
        .iter()
        .chain(&open)
        .map(|p| (name(p), size(p)))
        .collect();
    local.sort();
    assert_eq!(
        listed
            .iter()
            .map(|o| (o.name.clone(), o.size))
            .collect::<Vec<_>>(),
        local
    );
    let record = evidence::open_reader(&finished[1])
        .unwrap()
        .map(Result::unwrap)
        .last()
        .unwrap();
    let bytes = objects
        .read_range(
            &name(&finished[1]),
            record.offset..record.offset + record.length,
        )
        .await
        .unwrap();
    let whole = std::fs::read(&finished[1]).unwrap();
    assert_eq!(
        &bytes[..],
        &whole[record.offset as usize..(record.offset + record.length) as usize]
    );
    let back = dir.path().join("back.bin");
    let n = objects.download(&name(&finished[0]), &back).await.unwrap();
    assert_eq!(n, size(&finished[0]));
    assert!(std::fs::read(&back).unwrap() == std::fs::read(&finished[0]).unwrap());

    // An object is never overwritten by other bytes of its name.
    let other = tempfile::tempdir().unwrap();
    let impostor = other.path().join(name(&open[0]));
    std::fs::write(&impostor, b"not the same bytes").unwrap();
    match objects.upload(&impostor).await {
        Err(ObjectsError::Differs { stored, local, .. }) => {
            assert_eq!((stored, local), (size(&open[0]), 18));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        std::fs::read(server.object_file(&format!("{PREFIX}/{}", name(&open[0])))).unwrap()
            == std::fs::read(&open[0]).unwrap(),
        "the object is as it was"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_names_missing_objects_wrong_keys_and_no_server_are_refused_with_reasons() {
    let server = S3Server::start();
    let objects = Objects::connect(&server.config(PREFIX)).unwrap();
    match objects.read_range("../etc/passwd", 0..10).await {
        Err(ObjectsError::BadName(n)) => assert_eq!(n, "../etc/passwd"),
        other => panic!("{other:?}"),
    }
    let missing = "wangjian-sweep9-20261207010203-00000.warc.gz";
    match objects.read_range(missing, 0..10).await {
        Err(ObjectsError::NotFound { at }) => {
            assert_eq!(at, format!("s3://evidence/{PREFIX}/{missing}"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(objects.size_of(missing).await.unwrap(), None);

    let mut wrong = server.config(PREFIX);
    wrong.secret_access_key = Some("not-the-secret".into());
    let refused = Objects::connect(&wrong).unwrap().list().await;
    assert!(
        matches!(refused, Err(ObjectsError::Store { .. })),
        "{refused:?}"
    );

    let mut nobody = server.config(PREFIX);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    nobody.endpoint = format!("http://127.0.0.1:{port}");
    let unreachable = Objects::connect(&nobody).unwrap().size_of(missing).await;
    assert!(
        matches!(unreachable, Err(ObjectsError::Store { .. })),
        "{unreachable:?}"
    );

    for (field, bad) in [
        ("endpoint", "ftp://127.0.0.1"),
        ("endpoint", "not a url"),
        ("prefix", "a//b"),
    ] {
        let mut c = server.config(PREFIX);
        match field {
            "endpoint" => c.endpoint = bad.into(),
            _ => c.prefix = bad.into(),
        }
        match Objects::connect(&c) {
            Err(ObjectsError::Config(why)) => assert!(why.contains(field), "{why}"),
            other => panic!("{field} {bad}: {other:?}"),
        }
    }
    let mut keyless = server.config(PREFIX);
    keyless.access_key_id = None;
    keyless.secret_access_key = None;
    match Objects::connect(&keyless) {
        Err(ObjectsError::Config(why)) => assert!(why.contains("access key"), "{why}"),
        other => panic!("{other:?}"),
    }
}
