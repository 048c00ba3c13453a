//! The stored bytes of one record: in a `.warc.gz` its gzip member, in a `.warc` the record
//! itself, byte for byte as the file holds them. This is what the transparency log's leaf is
//! computed from ([`crate::stored_record_leaf`]), so proving a record starts here.

use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::{read_record_at, EvidenceError};

/// The stored bytes of the record that starts at `offset` in `path`; `NoRecord`/`Corrupt` with
/// the offset when no whole record starts there.
pub fn read_stored_member(path: &Path, offset: u64) -> Result<Vec<u8>, EvidenceError> {
    let record = read_record_at(path, offset)?;
    let file = std::fs::File::open(path).map_err(|e| EvidenceError::io(path, e))?;
    let mut stored = vec![0u8; record.length as usize];
    file.read_exact_at(&mut stored, offset)
        .map_err(|source| EvidenceError::Read { offset, source })?;
    Ok(stored)
}
