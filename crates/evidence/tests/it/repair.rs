//! Torn tails: a writer killed mid-record leaves half a gzip member; the repair cuts exactly it
//! and nothing else.

use std::io::Write;

use evidence::{
    committed_record_end, repair_torn_tail, verify_warc, EvidenceError, TornTail, WarcWriter,
};

use crate::*;

/// A whole file of a warcinfo and three exchanges, and its bytes.
fn whole(dir: &Path) -> (PathBuf, Vec<u8>) {
    let mut w = WarcWriter::open(config(dir)).unwrap();
    write_exchanges(&mut w, 3);
    w.flush().unwrap();
    let path = w.current_file().to_path_buf();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn append(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[test]
fn a_whole_file_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = whole(dir.path());
    assert_eq!(repair_torn_tail(&path, 0).unwrap(), None);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn half_a_member_is_cut_and_the_file_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = whole(dir.path());
    // Half of a real member (another file's last one), as a killed write leaves it.
    let other = tempfile::tempdir().unwrap();
    let (donor_path, donor) = whole(other.path());
    let last = read_all(&donor_path).last().unwrap().offset as usize;
    let half = &donor[last..last + (donor.len() - last) / 2];
    append(&path, half);
    assert!(!verify_warc(&path).ok());

    let cut = repair_torn_tail(&path, 0).unwrap().expect("a torn tail");
    let len = bytes.len() as u64;
    assert_eq!(
        cut,
        TornTail {
            from: len,
            to: len + half.len() as u64,
            removed: false
        }
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let verdict = verify_warc(&path);
    assert!(verdict.ok(), "{:?}", verdict.failures);
    assert_eq!(verdict.records, 1 + 3 * 3);
    assert_eq!(repair_torn_tail(&path, 0).unwrap(), None, "idempotent");
}

#[test]
fn a_gzip_header_alone_and_plain_garbage_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = whole(dir.path());
    append(&path, &[0x1f, 0x8b, 0x08, 0, 0, 0]);
    assert!(repair_torn_tail(&path, 0).unwrap().is_some());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    append(&path, b"garbage that is not gzip");
    assert!(repair_torn_tail(&path, 0).unwrap().is_some());
    assert!(verify_warc(&path).ok());
}

#[test]
fn a_file_without_a_complete_record_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bytes) = whole(dir.path());
    let torn = dir.path().join("torn.warc.gz");
    std::fs::write(&torn, &bytes[..20]).unwrap();
    let cut = repair_torn_tail(&torn, 0).unwrap().unwrap();
    assert!(cut.removed && cut.from == 0 && cut.to == 20, "{cut:?}");
    assert!(!torn.exists());

    let empty = dir.path().join("empty.warc.gz");
    std::fs::write(&empty, b"").unwrap();
    assert!(repair_torn_tail(&empty, 0).unwrap().unwrap().removed);
    assert!(!empty.exists());
}

#[test]
fn damage_followed_by_good_records_is_not_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut bytes) = whole(dir.path());
    // Flip a byte inside the second member: later members still read.
    let second = read_all(&path)[1].offset as usize;
    bytes[second + 30] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = repair_torn_tail(&path, 0).unwrap_err();
    assert!(matches!(err, EvidenceError::Corrupt { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "left untouched");
}

/// The store's floor: damage in a record below the committed end (bit rot in the last record
/// a fetch points at, at the very end of the file, where it looks like a torn tail) is refused
/// with its offset and the file left as it is; a torn tail above the committed end is cut.
#[test]
fn damage_below_the_committed_end_is_refused_and_a_tail_above_it_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = whole(dir.path());
    let records = read_all(&path);
    let last = records.last().unwrap().clone();
    let committed = committed_record_end(&path, last.offset);
    assert_eq!(committed, bytes.len() as u64, "the end of the last record");

    // Bit rot in the committed last record: indistinguishable from a torn write by its bytes.
    let mut rotted = bytes.clone();
    let at = last.offset as usize + (last.length as usize) / 2;
    rotted[at] ^= 0x55;
    std::fs::write(&path, &rotted).unwrap();
    assert!(
        repair_torn_tail(&path, 0).is_ok(),
        "without a floor it would be cut"
    );
    std::fs::write(&path, &rotted).unwrap();
    // The floor from the damaged record itself: its end cannot be read, its start is known.
    let floor = committed_record_end(&path, last.offset);
    assert_eq!(floor, last.offset + 1);
    for floor in [floor, committed] {
        let err = repair_torn_tail(&path, floor).unwrap_err();
        match &err {
            EvidenceError::BelowCommitted {
                offset,
                committed_end,
            } => {
                assert_eq!((*offset, *committed_end), (last.offset, floor));
            }
            other => panic!("expected BelowCommitted, got {other}"),
        }
        assert!(
            err.to_string()
                .contains("damage below committed evidence at offset"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), rotted, "left untouched");
    }
    // `evidence verify` names the place.
    let v = verify_warc(&path);
    assert_eq!(v.failures[0].offset, last.offset);

    // A torn tail after the committed records is still cut, floor or not.
    std::fs::write(&path, &bytes).unwrap();
    append(&path, &[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]);
    let cut = repair_torn_tail(&path, committed).unwrap().unwrap();
    assert_eq!((cut.from, cut.removed), (committed, false));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    // A file whose first record is committed is never removed, even when nothing reads.
    std::fs::write(&path, &bytes[..20]).unwrap();
    assert!(matches!(
        repair_torn_tail(&path, 1),
        Err(EvidenceError::BelowCommitted { offset: 0, .. })
    ));
    assert!(path.exists());
}
