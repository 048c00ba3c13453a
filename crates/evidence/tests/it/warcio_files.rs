//! The warcio test files (Apache-2.0, see LICENSE beside them): other tools' WARCs, SHA-1
//! Base32/Base64/hex digests, chunked bodies, and broken files that must not panic the reader.

use evidence::{
    open_reader, read_record_at, verify_record, Corruption, DigestField, DigestProblem,
    EvidenceError, Record,
};

use crate::*;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/warc")
}

/// Read a valid file: every record reads, every declared digest holds, random access agrees.
fn valid(name: &str, count: usize) -> Vec<Record> {
    let path = testdata().join(name);
    let recs = read_all(&path);
    assert_eq!(recs.len(), count, "{name}");
    for rec in &recs {
        assert_eq!(
            read_record_at(&path, rec.offset).as_ref().ok(),
            Some(rec),
            "{name}"
        );
    }
    recs
}

fn assert_digests_hold(name: &str, recs: &[Record]) {
    for rec in recs {
        assert_eq!(verify_record(rec), vec![], "{name} at {}", rec.offset);
    }
}

#[test]
fn example_warc_plain_and_gzipped_agree() {
    let plain = valid("example.warc", 6);
    let gz = valid("example.warc.gz", 6);
    assert_digests_hold("example.warc", &plain);
    assert_digests_hold("example.warc.gz", &gz);
    for (p, g) in plain.iter().zip(&gz) {
        // The .gz copy carries extra digest fields; identity and content are the same.
        assert_eq!(p.record_id(), g.record_id());
        assert_eq!(p.block, g.block);
    }
    let types: Vec<_> = plain.iter().map(|r| r.warc_type().unwrap()).collect();
    assert_eq!(
        types,
        ["warcinfo", "warcinfo", "response", "request", "revisit", "request"]
    );
    // Plain offsets are byte positions of the version line.
    assert_eq!(plain[0].offset, 0);
    let resp = &plain[2];
    assert_eq!(
        resp.header("WARC-Payload-Digest"),
        Some("sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK")
    );
    let (head, body) = resp.http_parts().unwrap();
    assert!(head.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert_eq!(body.len(), 606);
}

#[test]
fn example_digest_warc_flags_only_the_bad_payload_digest() {
    // Four copies of one request with its digests written in different encodings; the first
    // has an impossible Base32 payload digest (warcio's `check` reports it too).
    let recs = valid("example-digest.warc", 4);
    assert_eq!(
        verify_record(&recs[0]),
        vec![DigestProblem::Malformed {
            field: DigestField::Payload,
            declared: "sha1:1112H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ".into()
        }]
    );
    assert_digests_hold("example-digest.warc", &recs[1..]);
}

#[test]
fn chunked_response_digested_as_transferred_is_accepted() {
    // warcprox digested the still-chunked body; verify_record accepts that convention as well
    // as WARC 1.1's de-chunked entity-body (which the writer uses, see roundtrip.rs).
    let recs = valid("example-iana.org-chunked.warc", 3);
    assert_digests_hold("example-iana.org-chunked.warc", &recs);
    let resp = &recs[1];
    assert_eq!(resp.warc_type(), Some("response"));
    let (head, _) = resp.http_parts().unwrap();
    assert!(String::from_utf8_lossy(head).contains("Transfer-Encoding: chunked"));
    assert!(resp
        .header("WARC-Payload-Digest")
        .unwrap()
        .starts_with("sha1:"));
}

#[test]
fn resource_and_post_files() {
    let res = valid("example-resource.warc.gz", 3);
    assert_digests_hold("example-resource.warc.gz", &res);
    assert_eq!(res[2].warc_type(), Some("resource"));
    assert!(res[2].http_parts().is_none());
    let post = valid("post-test.warc.gz", 6);
    assert_digests_hold("post-test.warc.gz", &post);
}

#[test]
fn example_trunc_reports_the_damaged_record() {
    let path = testdata().join("example-trunc.warc");
    let results: Vec<_> = open_reader(&path).unwrap().collect();
    assert_eq!(results.len(), 3);
    assert!(results[..2].iter().all(Result::is_ok));
    // The response at 1197 declares two bytes fewer than it holds, so no CRLFCRLF follows.
    assert!(matches!(
        results[2],
        Err(EvidenceError::Corrupt {
            offset: 1197,
            problem: Corruption::BadTrailer
        })
    ));
}

#[test]
fn no_file_in_the_folder_panics_the_reader_or_verifier() {
    let mut seen = 0;
    for entry in std::fs::read_dir(testdata()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.contains(".warc") {
            continue;
        }
        seen += 1;
        for result in open_reader(&path).unwrap() {
            match result {
                Ok(rec) => {
                    let _ = verify_record(&rec);
                    let _ = rec.http_parts();
                    let _ = read_record_at(&path, rec.offset);
                }
                Err(e) => assert!(e.offset().is_some(), "{name}: {e}"),
            }
        }
    }
    assert_eq!(seen, 11);
}

#[test]
fn odd_gzip_layouts() {
    // The whole file in one gzip member: all six records read, sharing offset 0.
    let path = testdata().join("example-bad-non-chunked.warc.gz");
    let recs = read_all(&path);
    assert_eq!(recs.len(), 6);
    assert!(recs.iter().all(|r| r.offset == 0));
    // Members cut mid-record are joined, but this file's first record declares one byte fewer
    // than it holds, so it is reported (warcio tolerates it; a verifier must not).
    let path = testdata().join("example-wrong-chunks.warc.gz");
    let results: Vec<_> = open_reader(&path).unwrap().collect();
    assert!(matches!(
        results[..],
        [Err(EvidenceError::Corrupt {
            offset: 0,
            problem: Corruption::BadTrailer
        })]
    ));
}
