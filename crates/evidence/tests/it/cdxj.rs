//! CDXJ: the index of other tools' WARC files must equal cdxj-indexer's (the indexer of pywb
//! and py-wacz), and the index of our own files must point at the right records.

use std::path::Path;

use evidence::cdxj::{index_warc, read_cdxj, sort_entries, write_cdxj, CdxjEntry};
use evidence::{read_record_at, ExchangeRecord, WarcWriter};

use crate::*;

fn testdata(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/warc")
        .join(name)
}

fn index_lines(name: &str) -> Vec<String> {
    let mut entries = index_warc(&testdata(name), name).unwrap();
    sort_entries(&mut entries);
    entries.iter().map(CdxjEntry::to_line).collect()
}

#[test]
fn warcio_files_index_exactly_as_cdxj_indexer_does() {
    // Expected lines: `cdxj-indexer FILE` (cdxj-indexer 1.5.0) on the same files, except that
    // in an uncompressed WARC our `length` includes the record's closing CRLF CRLF (4 bytes
    // more than warcio counts); replay reads the same record either way.
    let cases: [(&str, &[&str]); 5] = [
        (
            "example.warc.gz",
            &[
                r#"com,example)/ 20170306040206 {"url": "http://example.com/", "mime": "text/html", "status": "200", "digest": "sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK", "length": "1228", "offset": "784", "filename": "example.warc.gz"}"#,
                r#"com,example)/ 20170306040348 {"url": "http://example.com/", "mime": "warc/revisit", "status": "200", "digest": "sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK", "length": "586", "offset": "2621", "filename": "example.warc.gz"}"#,
            ],
        ),
        (
            "example.warc",
            &[
                r#"com,example)/ 20170306040206 {"url": "http://example.com/", "mime": "text/html", "status": "200", "digest": "sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK", "length": "1369", "offset": "1197", "filename": "example.warc"}"#,
                r#"com,example)/ 20170306040348 {"url": "http://example.com/", "mime": "warc/revisit", "status": "200", "digest": "sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK", "length": "946", "offset": "3370", "filename": "example.warc"}"#,
            ],
        ),
        (
            "example-resource.warc.gz",
            &[
                r#"com,example)/ 20170429013030 {"url": "http://example.com/", "mime": "text/html", "digest": "sha1:YXLHEZO6YIEPLHABGCQ2TM24WROPX6ZG", "length": "977", "offset": "802", "filename": "example-resource.warc.gz"}"#,
            ],
        ),
        (
            "example-iana.org-chunked.warc",
            &[
                r#"org,iana)/ 20170306165409 {"url": "http://www.iana.org/", "mime": "text/html", "status": "200", "digest": "sha1:b1f949b4920c773fd9c863479ae9a788b948c7ad", "length": "7974", "offset": "405", "filename": "example-iana.org-chunked.warc"}"#,
            ],
        ),
        (
            "post-test.warc.gz",
            &[
                r#"org,httpbin)/post 20140610000859 {"url": "http://httpbin.org/post", "mime": "application/json", "status": "200", "digest": "sha1:M532K5WS4GY2H4OVZO6HRPOP47A7KDWU", "length": "720", "offset": "0", "filename": "post-test.warc.gz"}"#,
                r#"org,httpbin)/post 20140610001151 {"url": "http://httpbin.org/post", "mime": "application/json", "status": "200", "digest": "sha1:M7YCTM7HS3YKYQTAWQVMQSQZBNEOXGU2", "length": "723", "offset": "1196", "filename": "post-test.warc.gz"}"#,
                r#"org,httpbin)/post?foo=bar 20140610001255 {"url": "http://httpbin.org/post?foo=bar", "mime": "application/json", "status": "200", "digest": "sha1:B6E5P6JUZI6UPDTNO4L2BCHMGLTNCUAJ", "length": "723", "offset": "2395", "filename": "post-test.warc.gz"}"#,
            ],
        ),
    ];
    for (name, want) in cases {
        assert_eq!(index_lines(name), want, "{name}");
    }
}

#[test]
fn our_files_index_responses_and_resources_at_their_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::open(config(dir.path())).unwrap();
    let mut refs = write_exchanges(&mut w, 3);
    refs.reverse(); // item/2 first in the file would not be sorted: item/0 < item/1 < item/2
    let failed = w
        .write_exchange(&ExchangeRecord {
            target_uri: "http://shop.example/slow",
            date: date(),
            request_head: REQUEST,
            response_head: None,
            response_body: b"",
            remote_ip: None,
            metadata: vec![("fetch-error".into(), "timeout".into())],
        })
        .unwrap();
    let shot = w
        .write_resource(
            "http://www.Shop.example/item/0",
            date(),
            "image/png",
            b"\x89PNG",
        )
        .unwrap();
    let chunked = w
        .write_exchange(&ExchangeRecord {
            target_uri: "http://shop.example/A/B/?z=1&a=2",
            date: date(),
            request_head: REQUEST,
            response_head: Some(CHUNKED_HEAD),
            response_body: CHUNKED_BODY,
            remote_ip: None,
            metadata: vec![],
        })
        .unwrap();
    w.flush().unwrap();
    let file = w.current_file().to_path_buf();
    let name = file.file_name().unwrap().to_str().unwrap().to_string();

    let mut entries = index_warc(&file, &name).unwrap();
    // Only response and resource records: no warcinfo, request or metadata, nothing for the
    // failed fetch.
    assert_eq!(entries.len(), 5);
    assert!(entries.iter().all(|e| e.url != "http://shop.example/slow"));
    assert!(failed.response.is_none());
    sort_entries(&mut entries);
    let lines: Vec<String> = entries.iter().map(CdxjEntry::to_line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);

    let keys: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.surt.as_str(), e.mime.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("example,shop)/a/b?a=2&z=1", "unk"),
            // Same key and time: the JSON decides ("http://shop…" < "http://www.Shop…").
            ("example,shop)/item/0", "text/html"),
            ("example,shop)/item/0", "image/png"),
            ("example,shop)/item/1", "text/html"),
            ("example,shop)/item/2", "text/html"),
        ]
    );

    for e in &entries {
        assert_eq!(e.timestamp, "20261130084444");
        assert_eq!(e.filename, name);
        let rec = read_record_at(&file, e.offset).unwrap();
        assert_eq!(rec.length, e.length);
        assert_eq!(rec.target_uri(), Some(e.url.as_str()));
        assert_eq!(rec.header("WARC-Payload-Digest"), e.digest.as_deref());
        match rec.warc_type() {
            Some("response") => assert_eq!(e.status, Some(200)),
            Some("resource") => assert_eq!(e.status, None),
            other => panic!("indexed a {other:?} record"),
        }
    }
    let resp = |r: &evidence::CaptureRefs| r.response.clone().unwrap();
    let by_offset = |o: u64| entries.iter().find(|e| e.offset == o).unwrap();
    for r in refs.iter().map(resp).chain([resp(&chunked), shot]) {
        let e = by_offset(r.offset);
        assert_eq!(e.length, r.length);
        assert_eq!(e.digest, r.payload_digest);
    }

    // Written and read back.
    let mut buf = Vec::new();
    write_cdxj(&entries, &mut buf).unwrap();
    let (back, problems) = read_cdxj(&buf[..]).unwrap();
    assert!(problems.is_empty());
    assert_eq!(back, entries);
}
