//! Repairing the torn tail a killed writer leaves: the one place where an existing evidence
//! file is modified.
//!
//! Owns [`repair_torn_tail`]. The writer appends one gzip member per record to a file it created
//! and never reopens; a process killed mid-write (`kill -9`, power loss) can leave the *last*
//! member incomplete. Such a record was never reported as written (its [`crate::RecordRef`] was
//! not returned), so nothing in the store points at it; its leaf may already be in the
//! transparency log (the writer appends the leaf first), which is harmless: verification asks
//! that every record be in the log, not that every leaf have a record.
//!
//! It must not touch anything but a torn tail: corruption followed by readable records is
//! tampering or media damage, reported as an error and left for a person to look at; and it
//! never cuts below the *committed end* its caller hands in (see [`repair_torn_tail`]), so bit
//! rot in evidence the store already points at is refused, not cut.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::reader::WarcReader;
use crate::{open_reader, EvidenceError};

/// The largest tail that is checked for readable records after the point of corruption. A torn
/// tail is at most one record (one gzip member, bounded by the crawler's body cap); anything
/// larger is not a torn tail.
const MAX_TORN_TAIL: u64 = 64 * 1024 * 1024;

/// What [`repair_torn_tail`] cut off a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Where the torn record started: the end of the last good record, the file's new length.
    pub from: u64,
    /// The file's length before the repair.
    pub to: u64,
    /// True when no good record was left (the writer was killed while writing the file's first
    /// record) and the file was removed rather than left empty.
    pub removed: bool,
}

impl std::fmt::Display for TornTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cut a torn record: bytes {}..{} ({} bytes)",
            self.from,
            self.to,
            self.to - self.from
        )?;
        if self.removed {
            f.write_str(", file removed as it held no complete record")?;
        }
        Ok(())
    }
}

/// Scans a WARC file (`.warc.gz`, or plain `.warc`) written by a writer that may have been
/// killed, and if its last record is incomplete or corrupt, truncates the file back to the end
/// of the last good record. Returns what was cut, or `None` when the file was whole. A file that
/// is left with no record at all (empty, or only a torn first record) is removed, since an empty
/// WARC file does not verify.
///
/// **The single exception to the append-only invariant**: evidence files are otherwise never
/// modified. This may only be called on files of a writer that is no longer running (a killed
/// sweep being resumed), never on a file being written, and the bytes it cuts were never
/// reported as a written record.
///
/// `committed_end` is the floor: the end of the last byte known to be committed evidence (for
/// a sweep, the end of the last record a row of the store points at in this file: progress
/// reaches the store only after the records it covers are synced, so those bytes were once
/// whole; `0` when nothing in the file is known to be committed; the file's length when all of
/// it is). A cut that would start below it is refused with [`EvidenceError::BelowCommitted`]
/// and the file is left untouched, for a person (`wangjian evidence verify` names the damage
/// and its offset). The transparency log is no floor: the writer appends a record's leaf
/// *before* its bytes, so a torn record's leaf may be in the log, and a damaged record cannot
/// be hashed to find its leaf; the records it could vouch for read whole anyway, so they lie
/// below the cut.
///
/// Errors: I/O failures; corruption that is *not* a torn tail (a readable record follows the
/// bad bytes, or more than 64 MiB follow them); damage below `committed_end`. In each case
/// the file is left untouched.
pub fn repair_torn_tail(
    path: &Path,
    committed_end: u64,
) -> Result<Option<TornTail>, EvidenceError> {
    let len = std::fs::metadata(path)
        .map_err(|e| EvidenceError::io(path, e))?
        .len();
    let mut good_end = 0u64;
    let mut torn: Option<EvidenceError> = None;
    for item in open_reader(path)? {
        match item {
            Ok(rec) => good_end = good_end.max(rec.offset + rec.length),
            Err(e @ (EvidenceError::Corrupt { .. } | EvidenceError::NoRecord { .. })) => {
                torn = Some(e);
                break;
            }
            Err(e) => return Err(e),
        }
    }
    match torn {
        None if good_end > 0 => return Ok(None),
        // Empty, or only blank bytes: nothing to keep.
        None => {}
        Some(e) => {
            let at = e.offset().unwrap_or(good_end).max(good_end);
            if good_end < committed_end {
                return Err(EvidenceError::BelowCommitted {
                    offset: at,
                    committed_end,
                });
            }
            if len - good_end > MAX_TORN_TAIL || readable_after(path, at, len)? {
                return Err(e);
            }
        }
    }
    if good_end < committed_end {
        // Nothing readable at all, but something was committed: not a torn first record.
        return Err(EvidenceError::BelowCommitted {
            offset: good_end,
            committed_end,
        });
    }
    let removed = good_end == 0;
    if removed {
        std::fs::remove_file(path).map_err(|e| EvidenceError::io(path, e))?;
        if let Some(dir) = path.parent().and_then(|d| File::open(d).ok()) {
            let _ = dir.sync_all();
        }
    } else {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| EvidenceError::io(path, e))?;
        file.set_len(good_end)
            .and_then(|()| file.sync_all())
            .map_err(|e| EvidenceError::io(path, e))?;
    }
    Ok(Some(TornTail {
        from: good_end,
        to: len,
        removed,
    }))
}

/// True when a complete record can be read starting at some gzip member or `WARC/` line after
/// `at`: then the damage at `at` is not a torn tail.
fn readable_after(path: &Path, at: u64, len: u64) -> Result<bool, EvidenceError> {
    let mut file = File::open(path).map_err(|e| EvidenceError::io(path, e))?;
    let mut tail = Vec::with_capacity((len - at) as usize);
    file.seek(SeekFrom::Start(at))
        .and_then(|_| file.read_to_end(&mut tail))
        .map_err(|e| EvidenceError::io(path, e))?;
    for i in 1..tail.len() {
        let rest = &tail[i..];
        if !(rest.starts_with(&[0x1f, 0x8b, 0x08]) || rest.starts_with(b"WARC/1.")) {
            continue;
        }
        let mut reader = WarcReader::with_offset(BufReader::new(rest), at + i as u64);
        if matches!(reader.next(), Some(Ok(_))) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The end of the record that starts at `offset` in `path` (its offset plus its stored length),
/// or `offset + 1` when no whole record can be read there, so that damage at `offset` counts
/// as below the end: the floor [`repair_torn_tail`] takes for a record the store points at.
pub fn committed_record_end(path: &Path, offset: u64) -> u64 {
    match crate::read_record_at(path, offset) {
        Ok(rec) => rec.offset + rec.length,
        Err(_) => offset.saturating_add(1),
    }
}
