//! `verify_wacz`: a package exported with its log proofs verifies; a change of any single byte of
//! the `.wacz` (zip headers and central directory included) fails; a wrong key fails.

use crate::{config, date, write_exchanges};
use evidence::tlog::{checkpoint::stored_notes, sign_and_store, Checkpoint, Log, Signer};
use evidence::wacz::{
    verify_wacz, write_wacz_with_proofs, KeySource, LogProofSource, LogProofs, Selection,
    WaczParams, WaczSigner, LOG_PROOFS_PATH,
};
use evidence::{LogIndex, WarcWriter};
use proptest::prelude::*;
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

struct Exported {
    _dir: tempfile::TempDir,
    wacz: PathBuf,
    key: String,
}

/// A logged WARC of a few exchanges, a signed checkpoint, and a WACZ of two of its exchanges.
fn exported() -> &'static Exported {
    static CELL: OnceLock<Exported> = OnceLock::new();
    CELL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let log_dir = dir.path().join("log");
        let mut writer = WarcWriter::open_with_log(
            config(&dir.path().join("warc")),
            Some(Log::open(&log_dir).unwrap()),
        )
        .unwrap();
        let refs = write_exchanges(&mut writer, 4);
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
        let log = Log::open(&log_dir).unwrap();
        let note_path = stored_notes(&log_dir).unwrap().pop().unwrap();
        let note = std::fs::read_to_string(note_path).unwrap();
        let key = signer.verifier_key();
        let index = LogIndex::new(&log, Checkpoint::verify_note(&note, &key).unwrap()).unwrap();
        let selections: Vec<Selection> = [&refs[0], &refs[2]]
            .iter()
            .map(|r| Selection {
                warc: warc.clone(),
                offset: r.response.as_ref().unwrap().offset,
            })
            .collect();
        let wacz = dir.path().join("out.wacz");
        let summary = write_wacz_with_proofs(
            &wacz,
            &selections,
            &WaczParams::new("test export"),
            Some(&WaczSigner::generate().unwrap()),
            Some(&LogProofSource {
                log: &log,
                index: &index,
                note,
                verifier_key: key.clone(),
            }),
        )
        .unwrap();
        assert_eq!(summary.unproved, 0);
        // warcinfo of the source + 2 × (request, response, metadata)
        assert_eq!(summary.proved, 1 + 6);
        Exported {
            _dir: dir,
            wacz,
            key,
        }
    })
}

fn describe(v: &evidence::wacz::WaczVerdict) -> String {
    v.items
        .iter()
        .map(|i| {
            format!(
                "{} {}: {}",
                if i.ok { "ok  " } else { "FAIL" },
                i.item,
                i.detail
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_exported_package_verifies_with_the_given_key_and_the_packaged_one() {
    let e = exported();
    let v = verify_wacz(&e.wacz, Some(&e.key));
    assert!(v.ok(), "{}", describe(&v));
    assert_eq!(v.key_source, KeySource::Given);
    // the package's warcinfo, the source's warcinfo, 2 exchanges of 3 records
    assert_eq!(v.records, 2 + 6);
    assert_eq!(v.logged, 1 + 6);
    let v = verify_wacz(&e.wacz, None);
    assert!(v.ok(), "{}", describe(&v));
    assert_eq!(v.key_source, KeySource::Package);
    assert_eq!(v.key.as_deref(), Some(e.key.as_str()));

    // The proofs name every stored record; only the package's own warcinfo is unlogged.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&e.wacz).unwrap()).unwrap();
    let mut json = String::new();
    zip.by_name(LOG_PROOFS_PATH)
        .unwrap()
        .read_to_string(&mut json)
        .unwrap();
    let proofs: LogProofs = serde_json::from_str(&json).unwrap();
    assert_eq!(proofs.records.len(), 8);
    assert!(proofs.records[0].not_logged.is_some() && proofs.records[0].offset == 0);
    assert!(proofs.records[1..].iter().all(|p| p.leaf_index.is_some()));
    assert!(proofs.records[1..].iter().all(|p| p.source.is_some()));
}

#[test]
fn a_wrong_key_fails() {
    let e = exported();
    let other = Signer::generate("test-log").unwrap().verifier_key();
    let v = verify_wacz(&e.wacz, Some(&other));
    assert!(!v.ok());
    assert!(
        v.failures().any(|i| i.item == "checkpoint"),
        "{}",
        describe(&v)
    );
}

#[test]
fn the_strict_zip_check_knows_the_writer() {
    // Guards the constants of the structure check against a change of the zip crate.
    let e = exported();
    let v = verify_wacz(&e.wacz, Some(&e.key));
    assert!(
        v.items[0].ok && v.items[0].item == "zip structure",
        "{}",
        describe(&v)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any single changed byte, anywhere (data, local headers, central directory, end record).
    #[test]
    fn any_changed_byte_fails(at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let e = exported();
        let mut bytes = std::fs::read(&e.wacz).unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flipped.wacz");
        std::fs::write(&path, &bytes).unwrap();
        let v = verify_wacz(&path, Some(&e.key));
        prop_assert!(!v.ok(), "byte {} ^ {:#04x} of {} not caught", i, xor, bytes.len());
    }
}

/// Every byte of the zip outside entry data (headers, central directory, end record), flipped in
/// turn: the places a zip reader does not care about.
#[test]
fn every_structure_byte_is_covered() {
    let e = exported();
    let bytes = std::fs::read(&e.wacz).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let mut data = Vec::new();
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).unwrap();
        let start = f.data_start().unwrap() as usize;
        data.push(start..start + f.compressed_size() as usize);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flipped.wacz");
    for i in (0..bytes.len()).filter(|i| !data.iter().any(|r| r.contains(i))) {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        std::fs::write(&path, &b).unwrap();
        let v = verify_wacz(&path, Some(&e.key));
        assert!(!v.ok(), "byte {i} of the zip structure not caught");
    }
}
