//! Damaged files: records before the damage are returned, then one error naming the offset.

use std::io::Write;

use evidence::{open_reader, read_record_at, Corruption, EvidenceError, WarcWriter};

use crate::*;

/// A file with a warcinfo and three exchanges; returns its bytes and the last member's offset.
fn sample() -> (tempfile::TempDir, Vec<u8>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::open(config(dir.path())).unwrap();
    let refs = write_exchanges(&mut w, 3);
    w.flush().unwrap();
    let bytes = std::fs::read(w.current_file()).unwrap();
    let last = refs.last().unwrap().metadata.as_ref().unwrap().offset;
    (dir, bytes, last)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path
}

#[test]
fn truncated_last_member_yields_records_then_the_offset() {
    let (dir, bytes, last) = sample();
    for cut in [1, 8, 20] {
        let path = write(dir.path(), "trunc.warc.gz", &bytes[..bytes.len() - cut]);
        let results: Vec<_> = open_reader(&path).unwrap().collect();
        assert_eq!(results.len(), 1 + 3 * 3, "cut {cut}");
        assert!(results[..9].iter().all(Result::is_ok));
        match &results[9] {
            Err(
                e @ EvidenceError::Corrupt {
                    offset,
                    problem: Corruption::Gzip(_),
                },
            ) => {
                assert_eq!(*offset, last);
                assert_eq!(e.offset(), Some(last));
                assert!(e.to_string().contains(&last.to_string()));
            }
            other => panic!("cut {cut}: {other:?}"),
        }
        assert!(read_record_at(&path, last).is_err());
        assert!(read_record_at(&path, 0).is_ok());
    }
}

#[test]
fn a_flipped_byte_inside_a_member_is_located() {
    let (dir, mut bytes, last) = sample();
    let mid = last as usize + (bytes.len() - last as usize) / 2;
    bytes[mid] ^= 0xff;
    let path = write(dir.path(), "flipped.warc.gz", &bytes);
    let results: Vec<_> = open_reader(&path).unwrap().collect();
    assert_eq!(results.len(), 10);
    assert_eq!(results[9].as_ref().unwrap_err().offset(), Some(last));
}

#[test]
fn trailing_garbage_is_reported_at_its_offset() {
    let (dir, mut bytes, _) = sample();
    let end = bytes.len() as u64;
    bytes.extend_from_slice(b"garbage that is not a record");
    let path = write(dir.path(), "garbage.warc.gz", &bytes);
    let results: Vec<_> = open_reader(&path).unwrap().collect();
    assert_eq!(results.len(), 11);
    assert!(matches!(
        results[10],
        Err(EvidenceError::Corrupt { offset, problem: Corruption::NotWarc }) if offset == end
    ));
}

#[test]
fn random_access_at_a_wrong_offset_is_an_error() {
    let (dir, bytes, last) = sample();
    let path = write(dir.path(), "ok.warc.gz", &bytes);
    for offset in [1, last + 1, last + 5] {
        assert!(read_record_at(&path, offset).is_err(), "{offset}");
    }
    assert!(read_record_at(&dir.path().join("missing.warc.gz"), 0).is_err());
}
