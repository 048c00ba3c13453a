//! `evidence verify` says what it proved: a file of the data directory is always checked
//! against the transparency log (a forged file copied in fails, given by path or not); a file
//! elsewhere is "not checked against any log" and fails the command unless `--no-log` accepts
//! digests alone; a record without digests or larger than the cap fails; and a database that
//! is corrupt or gone fails custody but every WARC file still gets its verdict from the log.

use std::path::Path;
use std::process::Output;

use crate::{run, stdout, wangjian};

/// One plain WARC record with sha256 block (and, for a response, payload) digests that hold.
fn record(kind: &str, block: &[u8], digests: bool) -> Vec<u8> {
    let mut fields = String::new();
    if digests {
        fields.push_str(&format!(
            "WARC-Block-Digest: {}\r\n",
            evidence::sha256_label(block)
        ));
        if kind == "response" {
            let (_, body) = http_msg::split_message(block).unwrap();
            fields.push_str(&format!(
                "WARC-Payload-Digest: {}\r\n",
                evidence::sha256_label(body)
            ));
        }
    }
    let mut out = format!(
        "WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:forged-{kind}>\r\n\
         WARC-Date: 2026-12-01T00:00:00Z\r\nWARC-Target-URI: http://shop.test/\r\n\
         Content-Type: application/http;msgtype=response\r\n{fields}Content-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    out.extend_from_slice(block);
    out.extend_from_slice(b"\r\n\r\n");
    out
}

const PAGE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>forged</p>";

fn verify(data: &Path, args: &[&str], path: Option<&Path>) -> (Option<i32>, String) {
    let mut cmd = wangjian(data);
    cmd.args(["evidence", "verify"]).args(args);
    if let Some(p) = path {
        cmd.arg(p);
    }
    let out: Output = cmd.output().unwrap();
    (out.status.code(), stdout(&out))
}

#[test]
fn verify_says_what_it_proved() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    assert!(
        run(wangjian(data).args(["demo", "--sites", "3", "--no-serve"]))
            .status
            .success()
    );
    let warc = data.join("warc");
    let real = evidence::warc_files(&warc).unwrap();
    assert!(!real.is_empty());

    // A real file, given by path: checked against the log.
    let (code, out) = verify(data, &[], Some(&real[0]));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(" in the log)"), "{out}");

    // A forged file with self-consistent digests, copied into the data directory under a
    // sweep's name: fails by path, alone and with its directory.
    let forged = [record("response", PAGE, true)].concat();
    let inside = warc.join("wangjian-sweep99-20261201000000-00001.warc.gz");
    std::fs::write(&inside, &forged).unwrap();
    for path in [Some(inside.as_path()), Some(warc.as_path()), None] {
        let (code, out) = verify(data, &["--no-log"], path);
        assert_eq!(code, Some(1), "{path:?}: {out}");
        assert!(
            out.contains(&format!("FAIL  {}", inside.display())),
            "{path:?}: {out}"
        );
        assert!(out.contains("not in the transparency log"), "{out}");
    }
    std::fs::remove_file(&inside).unwrap();

    // The same file elsewhere: digests checked, not checked against any log; non-zero unless
    // --no-log accepts that.
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere
        .path()
        .join("wangjian-sweep99-20261201000000-00001.warc.gz");
    std::fs::write(&outside, &forged).unwrap();
    let (code, out) = verify(data, &[], Some(&outside));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "nolog {} (1 records: digests checked, not checked against any log)",
            outside.display()
        )),
        "{out}"
    );
    assert!(out.contains("1 not checked against any log"), "{out}");
    let (code, out) = verify(data, &["--no-log"], Some(elsewhere.path()));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("ok    "), "{out}");
    assert!(out.contains("not checked against any log"), "{out}");

    // Records without digests fail, --no-log or not.
    let bare = elsewhere.path().join("bare.warc");
    std::fs::write(&bare, record("response", PAGE, false)).unwrap();
    let (code, out) = verify(data, &["--no-log"], Some(&bare));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("no WARC-Block-Digest"), "{out}");
    assert!(out.contains("no WARC-Payload-Digest"), "{out}");

    // A record larger than the cap: by its declared length, and under a smaller cap.
    let huge = elsewhere.path().join("huge.warc");
    std::fs::write(
        &huge,
        b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 3221225472\r\n\r\n\0\0\0\0",
    )
    .unwrap();
    let (code, out) = verify(data, &["--no-log"], Some(&huge));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("at offset 0: corrupt or truncated WARC record at offset 0: record larger than the cap of 268435456 bytes"),
        "{out}"
    );
    let big_page = [PAGE, &vec![b'x'; 2 << 20]].concat();
    let big = elsewhere.path().join("big.warc");
    std::fs::write(&big, record("response", &big_page, true)).unwrap();
    let (code, out) = verify(data, &["--no-log"], Some(&big));
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = verify(data, &["--no-log", "--max-record-mib", "1"], Some(&big));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("record larger than the cap of 1048576 bytes"),
        "{out}"
    );

    // A corrupt database: custody fails, every file is still checked against the log.
    let db = data.join("wangjian.db");
    let saved = std::fs::read(&db).unwrap();
    for side in ["wangjian.db-wal", "wangjian.db-shm"] {
        let _ = std::fs::remove_file(data.join(side));
    }
    std::fs::write(&db, vec![0x5a; saved.len()]).unwrap();
    let check_files = |out: &str| {
        for f in &real {
            assert!(
                out.lines()
                    .any(|l| l.starts_with(&format!("ok    {}", f.display()))
                        && l.ends_with(" in the log)")),
                "{}: {out}",
                f.display()
            );
        }
        assert!(out.contains("log   checkpoint of "), "{out}");
    };
    let (code, out) = verify(data, &[], None);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("FAIL  custody: database unreadable ("),
        "{out}"
    );
    check_files(&out);
    assert!(
        out.contains(&format!("verify: {} files, 1 failed", real.len())),
        "{out}"
    );

    // No database at all: the same.
    std::fs::remove_file(&db).unwrap();
    let (code, out) = verify(data, &[], None);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL  custody: no database ("), "{out}");
    check_files(&out);
    // And a file given by path is checked against the log without a database too.
    let (code, out) = verify(data, &[], Some(&real[0]));
    assert_eq!(code, Some(1), "custody could not be checked: {out}");
    assert!(out.contains(" in the log)"), "{out}");
}
