//! Write exchanges and resources, read them back, check fields, digests and offsets.

use std::io::Read;

use evidence::{
    read_record_at, verify_record, DigestField, DigestProblem, EvidenceError, ExchangeRecord,
    Record, RecordRef, RevisitOf, WarcWriter, REVISIT_IDENTICAL_PAYLOAD,
};

use crate::*;

fn check_ref(rec: &Record, r: &RecordRef) {
    assert_eq!(rec.offset, r.offset);
    assert_eq!(rec.length, r.length);
    assert_eq!(rec.record_id(), Some(r.record_id.as_str()));
    assert_eq!(
        rec.header("WARC-Block-Digest"),
        Some(r.block_digest.as_str())
    );
    assert_eq!(
        rec.header("WARC-Payload-Digest"),
        r.payload_digest.as_deref()
    );
}

#[test]
fn exchanges_and_resource_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::open(config(dir.path())).unwrap();
    let plain = w
        .write_exchange(&ExchangeRecord {
            target_uri: "http://shop.example/shop/item?id=7",
            date: date(),
            request_head: REQUEST,
            response_head: Some(RESPONSE_HEAD),
            response_body: RESPONSE_BODY,
            remote_ip: Some(ip()),
            metadata: vec![
                ("fetch-profile".into(), "browser".into()),
                ("note".into(), "line one\r\nWARC-Type: forged".into()),
            ],
        })
        .unwrap();
    let chunked = w
        .write_exchange(&ExchangeRecord {
            target_uri: "http://shop.example/chunked",
            date: date(),
            request_head: REQUEST,
            response_head: Some(CHUNKED_HEAD),
            response_body: CHUNKED_BODY,
            remote_ip: None,
            metadata: vec![],
        })
        .unwrap();
    let failed = w
        .write_exchange(&ExchangeRecord {
            target_uri: "http://shop.example/slow",
            date: date(),
            request_head: REQUEST,
            response_head: None,
            response_body: b"",
            remote_ip: None,
            metadata: vec![("error".into(), "timeout".into())],
        })
        .unwrap();
    let png = b"\x89PNG\r\n\x1a\nnot really a png";
    let shot = w
        .write_resource(
            "http://shop.example/shop/item?id=7",
            date(),
            "image/png",
            png,
        )
        .unwrap();
    w.flush().unwrap();

    let path = w.current_file().to_path_buf();
    let file_name = path.file_name().unwrap().to_str().unwrap().to_string();
    assert!(file_name.starts_with("wangjian-sweep-3-") && file_name.ends_with("-00000.warc.gz"));

    let recs = read_all(&path);
    let types: Vec<_> = recs.iter().map(|r| r.warc_type().unwrap()).collect();
    assert_eq!(
        types,
        [
            "warcinfo", "request", "response", "metadata", "request", "response", "request",
            "metadata", "resource"
        ]
    );

    // warcinfo
    let info = &recs[0];
    let info_id = info.record_id().unwrap();
    assert_eq!(info.offset, 0);
    assert_eq!(info.header("WARC-Filename"), Some(file_name.as_str()));
    assert_eq!(info.header("content-type"), Some("application/warc-fields"));
    let info_text = String::from_utf8(info.block.clone()).unwrap();
    for line in [
        "software: wangjian/test\r\n",
        "format: WARC File Format 1.1\r\n",
        "conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n",
        "hostname: crawler-1\r\n",
        "operator: Market Regulation Bureau\r\n",
        "sweep-id: 3\r\n",
    ] {
        assert!(info_text.contains(line), "{line:?} missing from {info_text:?}");
    }

    // Mandatory fields on every record, warcinfo reference on every non-warcinfo record.
    for rec in &recs {
        let id = rec.record_id().unwrap();
        assert!(id.starts_with("<urn:uuid:") && id.ends_with('>'), "{id}");
        assert_eq!(
            rec.header("Content-Length").unwrap(),
            rec.block.len().to_string()
        );
        assert!(rec.header("WARC-Date").is_some());
        if rec.warc_type() != Some("warcinfo") {
            assert_eq!(rec.header("WARC-Date"), Some("2026-11-30T08:44:44Z"));
            assert_eq!(rec.header("WARC-Warcinfo-ID"), Some(info_id));
            assert!(rec.target_uri().is_some());
        }
        assert_eq!(verify_record(rec), vec![], "{:?}", rec.headers);
    }

    // First exchange, digests computed independently over the bytes passed in.
    let (req, resp, meta) = (&recs[1], &recs[2], &recs[3]);
    check_ref(req, &plain.request);
    check_ref(resp, plain.response.as_ref().unwrap());
    check_ref(meta, plain.metadata.as_ref().unwrap());
    assert_eq!(req.block, REQUEST);
    assert_eq!(
        req.header("Content-Type"),
        Some("application/http;msgtype=request")
    );
    assert_eq!(req.target_uri(), Some("http://shop.example/shop/item?id=7"));
    assert_eq!(plain.request.block_digest, sha256(&[REQUEST]));
    assert_eq!(
        plain.request.payload_digest.as_deref(),
        Some(sha256(&[]).as_str())
    );
    let r = plain.response.as_ref().unwrap();
    assert_eq!(r.block_digest, sha256(&[RESPONSE_HEAD, RESPONSE_BODY]));
    assert_eq!(
        r.payload_digest.as_deref(),
        Some(sha256(&[RESPONSE_BODY]).as_str())
    );
    assert_eq!(
        resp.header("Content-Type"),
        Some("application/http;msgtype=response")
    );
    assert_eq!(resp.header("WARC-IP-Address"), Some("93.184.216.34"));
    assert_eq!(
        resp.header("WARC-Concurrent-To"),
        Some(plain.request.record_id.as_str())
    );
    assert_eq!(resp.http_parts(), Some((RESPONSE_HEAD, RESPONSE_BODY)));
    assert_eq!(meta.header("WARC-Refers-To"), Some(r.record_id.as_str()));
    assert_eq!(meta.header("Content-Type"), Some("application/warc-fields"));
    assert_eq!(
        meta.block,
        b"fetch-profile: browser\r\nnote: line one WARC-Type: forged\r\n".to_vec()
    );
    assert_eq!(
        meta.header("WARC-Block-Digest"),
        Some(sha256(&[&meta.block]).as_str())
    );

    // Chunked response: payload digest over the de-chunked body.
    let r = chunked.response.as_ref().unwrap();
    assert_eq!(r.block_digest, sha256(&[CHUNKED_HEAD, CHUNKED_BODY]));
    assert_eq!(
        r.payload_digest.as_deref(),
        Some(sha256(&[b"hello world"]).as_str())
    );
    assert_eq!(recs[5].header("WARC-IP-Address"), None);
    assert!(chunked.metadata.is_none());

    // No response: the metadata record refers to the request.
    assert!(failed.response.is_none());
    let m = failed.metadata.as_ref().unwrap();
    assert_eq!(
        recs[7].header("WARC-Refers-To"),
        Some(failed.request.record_id.as_str())
    );
    assert_eq!(recs[7].block, b"error: timeout\r\n".to_vec());
    check_ref(&recs[7], m);

    // Resource.
    check_ref(&recs[8], &shot);
    assert_eq!(recs[8].block, png);
    assert_eq!(recs[8].header("Content-Type"), Some("image/png"));
    assert_eq!(shot.block_digest, sha256(&[png]));
    assert_eq!(recs[8].http_parts(), None);

    // Every reference is a standalone gzip member that random access can read.
    let bytes = std::fs::read(&path).unwrap();
    let all_refs = [
        &plain.request,
        plain.response.as_ref().unwrap(),
        plain.metadata.as_ref().unwrap(),
        &chunked.request,
        chunked.response.as_ref().unwrap(),
        &failed.request,
        failed.metadata.as_ref().unwrap(),
        &shot,
    ];
    for r in all_refs {
        assert_eq!(r.file, file_name);
        let member = &bytes[r.offset as usize..(r.offset + r.length) as usize];
        let mut out = Vec::new();
        let mut dec = flate2::read::GzDecoder::new(member);
        dec.read_to_end(&mut out).unwrap();
        assert!(out.starts_with(b"WARC/1.1\r\n") && out.ends_with(b"\r\n\r\n"));
        let rec = read_record_at(&path, r.offset).unwrap();
        check_ref(&rec, r);
    }
    let last = all_refs.last().unwrap();
    assert_eq!(last.offset + last.length, bytes.len() as u64);
    assert!(matches!(
        read_record_at(&path, bytes.len() as u64),
        Err(EvidenceError::NoRecord { .. })
    ));
}

#[test]
fn a_one_byte_change_is_detected_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::open(config(dir.path())).unwrap();
    write_exchanges(&mut w, 1);
    let recs = read_all(w.current_file());
    let mut resp = recs[2].clone();
    assert_eq!(verify_record(&resp), vec![]);
    let last = resp.block.len() - 1;
    resp.block[last] ^= 1;
    let problems = verify_record(&resp);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems
        .iter()
        .all(|p| matches!(p, DigestProblem::Mismatch { .. })));
    assert!(
        matches!(&problems[0], DigestProblem::Mismatch { field: DigestField::Block, computed, .. }
        if *computed == sha256(&[&resp.block]))
    );
}

#[test]
fn unsafe_input_is_rejected_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::open(config(dir.path())).unwrap();
    let size = std::fs::metadata(w.current_file()).unwrap().len();
    let ex = |uri,
              metadata: Vec<(String, String)>,
              head: Option<&'static [u8]>,
              body: &'static [u8]| ExchangeRecord {
        target_uri: uri,
        date: date(),
        request_head: REQUEST,
        response_head: head,
        response_body: body,
        remote_ip: None,
        metadata,
    };
    let bad = [
        ex("http://a/\r\nWARC-Type: forged", vec![], None, b""),
        ex("", vec![], None, b""),
        ex(
            "http://a/",
            vec![("bad: name".into(), "v".into())],
            None,
            b"",
        ),
        ex("http://a/", vec![], None, b"body without head"),
    ];
    for e in &bad {
        assert!(matches!(
            w.write_exchange(e),
            Err(EvidenceError::InvalidInput { .. })
        ));
    }
    assert!(w
        .write_resource("http://a/", date(), "image/png\r\nX: y", b"")
        .is_err());
    assert_eq!(std::fs::metadata(w.current_file()).unwrap().len(), size);
    // The writer is still usable.
    write_exchanges(&mut w, 1);
    assert_eq!(read_all(w.current_file()).len(), 4);
}

#[test]
fn an_identical_payload_is_written_as_a_revisit_and_a_changed_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::open(config(dir.path())).unwrap();
    let uri = "http://shop.example/shop/item?id=7";
    let ex = |body: &'static [u8]| ExchangeRecord {
        target_uri: uri,
        date: date(),
        request_head: REQUEST,
        response_head: Some(RESPONSE_HEAD),
        response_body: body,
        remote_ip: Some(ip()),
        metadata: vec![("fetch-profile".into(), "crawler".into())],
    };
    let first = w.write_exchange(&ex(RESPONSE_BODY)).unwrap();
    let original = first.response.clone().unwrap();
    let digest = original.payload_digest.clone().unwrap();
    let earlier = RevisitOf {
        record_id: &original.record_id,
        target_uri: uri,
        date: date(),
        payload_digest: &digest,
    };
    let (again, revisit) = w
        .write_exchange_or_revisit(&ex(RESPONSE_BODY), Some(&earlier))
        .unwrap();
    assert!(revisit);
    let (changed, changed_is_revisit) = w
        .write_exchange_or_revisit(&ex(b"<html>changed</html>"), Some(&earlier))
        .unwrap();
    assert!(!changed_is_revisit);
    let path = dir.path().join(&original.file);

    let r = again.response.unwrap();
    let rec = read_record_at(&path, r.offset).unwrap();
    check_ref(&rec, &r);
    assert_eq!(rec.warc_type(), Some("revisit"));
    assert_eq!(rec.header("WARC-Profile"), Some(REVISIT_IDENTICAL_PAYLOAD));
    assert_eq!(
        rec.header("WARC-Refers-To"),
        Some(original.record_id.as_str())
    );
    assert_eq!(rec.header("WARC-Refers-To-Target-URI"), Some(uri));
    assert_eq!(
        rec.header("WARC-Refers-To-Date"),
        read_record_at(&path, original.offset)
            .unwrap()
            .header("WARC-Date")
    );
    assert_eq!(rec.header("WARC-Payload-Digest"), Some(digest.as_str()));
    assert_eq!(
        rec.header("WARC-Concurrent-To"),
        Some(again.request.record_id.as_str())
    );
    // The block is the HTTP head alone, and its digest holds.
    assert_eq!(rec.block, RESPONSE_HEAD);
    assert!(verify_record(&rec).is_empty());
    // The metadata record refers to the revisit.
    let meta = read_record_at(&path, again.metadata.unwrap().offset).unwrap();
    assert_eq!(meta.header("WARC-Refers-To"), Some(r.record_id.as_str()));

    let rec = read_record_at(&path, changed.response.unwrap().offset).unwrap();
    assert_eq!(rec.warc_type(), Some("response"));
    assert!(rec.header("WARC-Refers-To").is_none());
    assert!(verify_record(&rec).is_empty());

    // A malformed earlier record is refused before anything is written.
    let before = std::fs::metadata(&path).unwrap().len();
    let bad = RevisitOf {
        record_id: "urn:uuid:no-brackets",
        ..earlier.clone()
    };
    assert!(matches!(
        w.write_exchange_or_revisit(&ex(RESPONSE_BODY), Some(&bad)),
        Err(EvidenceError::InvalidInput { .. })
    ));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), before);
}
