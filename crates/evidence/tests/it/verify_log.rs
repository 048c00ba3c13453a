//! Verification against the transparency log: every stored record is a leaf under a signed
//! checkpoint, and a change of any single byte of a logged WARC file is caught and located.

use crate::{config, date, ip, write_exchanges, RESPONSE_HEAD};
use evidence::tlog::{sign_and_store, Checkpoint, Log, Signer};
use evidence::{verify_warc_logged, LogIndex, WarcWriter};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

struct Logged {
    _dir: tempfile::TempDir,
    warc: PathBuf,
    log_dir: PathBuf,
    key: String,
}

/// A WARC of a few exchanges (one batch, a revisit, a screenshot) written with the log, and a
/// signed checkpoint over it.
fn logged_warc() -> Logged {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("log");
    let log = Log::open(&log_dir).unwrap();
    let mut writer =
        WarcWriter::open_with_log(config(&dir.path().join("warc")), Some(log)).unwrap();
    write_exchanges(&mut writer, 4);
    // A batch too, which writes several members with one write.
    let uris: Vec<String> = (0..3)
        .map(|i| format!("http://shop.example/batch/{i}"))
        .collect();
    let batch: Vec<evidence::ExchangeRecord> = uris
        .iter()
        .map(|u| evidence::ExchangeRecord {
            target_uri: u,
            date: date(),
            request_head: b"GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n",
            response_head: Some(RESPONSE_HEAD),
            response_body: b"<html>ok</html>",
            remote_ip: Some(ip()),
            metadata: vec![],
        })
        .collect();
    let refs = writer.write_exchanges(&batch).unwrap();
    // A revisit of the first batch page, and a screenshot concurrent to it.
    let original = refs[0].response.clone().unwrap();
    let digest = original.payload_digest.clone().unwrap();
    let (again, revisit) = writer
        .write_exchange_or_revisit(
            &batch[0],
            Some(&evidence::RevisitOf {
                record_id: &original.record_id,
                target_uri: &uris[0],
                date: date(),
                payload_digest: &digest,
            }),
        )
        .unwrap();
    assert!(revisit);
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[1u8; 64]].concat();
    writer
        .write_resource_concurrent(
            &uris[0],
            date(),
            "image/png",
            &png,
            Some(&again.response.unwrap().record_id),
        )
        .unwrap();
    writer.flush().unwrap();
    let warc = writer.current_file().to_path_buf();
    let signer = Signer::load_or_create(&dir.path().join("keys"), "test-log").unwrap();
    sign_and_store(
        writer.log().unwrap(),
        &signer,
        "wangjian.test/log",
        date(),
        None,
    )
    .unwrap();
    drop(writer);
    Logged {
        key: signer.verifier_key(),
        _dir: dir,
        warc,
        log_dir,
    }
}

fn latest_checkpoint(log_dir: &Path, key: &str) -> Checkpoint {
    let notes = evidence::tlog::checkpoint::stored_notes(log_dir).unwrap();
    let note = std::fs::read_to_string(notes.last().unwrap()).unwrap();
    Checkpoint::verify_note(&note, key).unwrap()
}

fn verify(warc: &Path, log_dir: &Path, key: &str) -> evidence::WarcVerdict {
    let log = Log::open(log_dir).unwrap();
    let index = LogIndex::new(&log, latest_checkpoint(log_dir, key)).unwrap();
    verify_warc_logged(warc, Some((&log, &index)))
}

#[test]
fn every_stored_record_is_in_the_log() {
    let l = logged_warc();
    let v = verify(&l.warc, &l.log_dir, &l.key);
    assert!(v.ok(), "{:?}", v.failures);
    // warcinfo + 4 × (request, response, metadata) + 3 × (request, response)
    // + (request, revisit) + the screenshot
    assert_eq!(v.records, 1 + 12 + 6 + 2 + 1);
    assert_eq!(v.logged, v.records);
}

#[test]
fn a_record_written_after_the_checkpoint_is_reported() {
    let l = logged_warc();
    let cp = latest_checkpoint(&l.log_dir, &l.key);
    // Append one more exchange to a new file, without signing a new checkpoint.
    let log = Log::open(&l.log_dir).unwrap();
    let warc_dir = l.warc.parent().unwrap().to_path_buf();
    let mut writer = WarcWriter::open_with_log(config(&warc_dir), Some(log)).unwrap();
    write_exchanges(&mut writer, 1);
    writer.flush().unwrap();
    let newer = writer.current_file().to_path_buf();
    drop(writer);
    let log = Log::open(&l.log_dir).unwrap();
    let index = LogIndex::new(&log, cp).unwrap();
    let v = verify_warc_logged(&newer, Some((&log, &index)));
    assert!(!v.ok());
    assert!(
        v.failures[0]
            .problem
            .contains("not in the transparency log"),
        "{:?}",
        v.failures
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Flip any one bit pattern at any one place: the verifier fails, at or before the record
    /// that holds the byte.
    #[test]
    fn every_flipped_byte_is_caught(pos_frac in 0.0f64..1.0, xor in 1u8..=255) {
        let l = logged_warc();
        let mut bytes = std::fs::read(&l.warc).unwrap();
        let pos = ((bytes.len() as f64) * pos_frac) as usize % bytes.len();
        bytes[pos] ^= xor;
        std::fs::write(&l.warc, &bytes).unwrap();
        let v = verify(&l.warc, &l.log_dir, &l.key);
        prop_assert!(!v.ok(), "flip at {} (xor {:#04x}) not caught", pos, xor);
        let first = &v.failures[0];
        prop_assert!(first.offset <= pos as u64, "failure at {} after the flip at {}", first.offset, pos);
    }
}
