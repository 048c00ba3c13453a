//! Offline verification of WARC files: every record is read, every declared digest recomputed,
//! and the exact place of any failure reported. Works on wangjian's files and other tools'.
//!
//! With a [`LogIndex`], every stored record (its gzip member, byte for byte, or the record's
//! bytes in a plain WARC) must also be a leaf of the transparency log under a signed
//! checkpoint, with an inclusion proof that leads to the signed root. Since the leaf commits to
//! the stored bytes, a change of any byte of a logged file shows, and where.

use crate::tlog::{self, Checkpoint, CheckpointError, Hash, Log, LogError};
use crate::{
    missing_digests, sha256_label, verify_record, EvidenceError, RecordParts, RecordView,
    WarcReader, DEFAULT_MAX_BLOCK,
};
use serde::Serialize;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

/// The leaf a stored record contributes to the log: the RFC 6962 leaf hash of the
/// `sha256:<hex>` label of its stored bytes (the gzip member in a `.warc.gz`).
pub fn stored_record_leaf(stored: &[u8]) -> Hash {
    tlog::hash::leaf_hash(sha256_label(stored).as_bytes())
}

/// The leaves of the log up to a signed checkpoint, by hash, for looking stored records up.
#[derive(Debug)]
pub struct LogIndex {
    checkpoint: Checkpoint,
    leaves: HashMap<Hash, u64>,
}

/// Why the log cannot vouch for anything.
#[derive(Debug, thiserror::Error)]
pub enum LogIndexError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

impl LogIndex {
    /// Checks that the log holds the tree the checkpoint signed (root at its size), audits every
    /// stored interior hash against the leaves, and indexes the leaves it covers.
    pub fn new(log: &Log, checkpoint: Checkpoint) -> Result<LogIndex, LogIndexError> {
        checkpoint.check_log(log)?;
        log.audit()?;
        let leaves = log
            .leaf_hashes(checkpoint.size)?
            .into_iter()
            .enumerate()
            .map(|(i, h)| (h, i as u64))
            .collect();
        Ok(LogIndex { checkpoint, leaves })
    }

    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// Where a stored record's leaf is, if the checkpoint covers it.
    pub fn find(&self, leaf: &Hash) -> Option<u64> {
        self.leaves.get(leaf).copied()
    }

    /// Checks the inclusion of a stored record's leaf under the signed root; `Err` says why not.
    pub fn prove(&self, log: &Log, stored: &[u8]) -> Result<u64, String> {
        let leaf = stored_record_leaf(stored);
        let index = self.find(&leaf).ok_or_else(|| {
            format!(
                "not in the transparency log under checkpoint {} (record altered, or logged after it)",
                self.checkpoint.size
            )
        })?;
        let proof = log
            .inclusion_proof(index, self.checkpoint.size)
            .map_err(|e| format!("no inclusion proof for leaf {index}: {e}"))?;
        tlog::verify_inclusion(
            index,
            self.checkpoint.size,
            leaf,
            &proof,
            self.checkpoint.root,
        )
        .map_err(|e| format!("inclusion proof of leaf {index} fails: {e}"))?;
        Ok(index)
    }
}

/// One problem found in a file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Byte offset of the record (of its gzip member in a `.warc.gz`).
    pub offset: u64,
    /// The record's `WARC-Record-ID`, when it could be read.
    pub record_id: Option<String>,
    pub problem: String,
}

/// The verdict on one WARC file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarcVerdict {
    pub path: PathBuf,
    /// Records read and checked.
    pub records: usize,
    /// Stored records proven to be in the transparency log (0 when checked without a log).
    pub logged: usize,
    /// Records whose digests were recomputed (a record may declare none).
    pub digests_checked: usize,
    pub failures: Vec<Failure>,
}

impl WarcVerdict {
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// How a file is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The largest record block read ([`DEFAULT_MAX_BLOCK`] by default); a larger record is a
    /// failure at its offset ("record larger than the cap"), and reading stops there.
    pub max_block: u64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            max_block: DEFAULT_MAX_BLOCK,
        }
    }
}

/// Reads every record of a WARC file and recomputes its digests; a record that declares no
/// block digest (or, for a response, resource or revisit, no payload digest) fails, since
/// nothing vouches for it ([`missing_digests`]). Reading stops at the first structural
/// corruption (a torn or altered record, or one larger than the cap), which is reported with
/// its offset.
pub fn verify_warc(path: &Path) -> WarcVerdict {
    verify_warc_logged(path, None)
}

/// [`verify_warc`], and with a log, checks that every stored record is in it (see the module
/// documentation).
///
/// Records are read in file order on the calling thread and checked (digests recomputed, log
/// proofs) in batches on one worker thread per core; verdicts are put back in file order, so
/// the result is the same as checking one record after the other.
pub fn verify_warc_logged(path: &Path, log: Option<(&Log, &LogIndex)>) -> WarcVerdict {
    verify_warc_with(path, log, &VerifyOptions::default())
}

/// [`verify_warc_logged`] with `options`.
pub fn verify_warc_with(
    path: &Path,
    log: Option<(&Log, &LogIndex)>,
    options: &VerifyOptions,
) -> WarcVerdict {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    verify_with(path, log, threads, SEGMENT, options.max_block)
}

/// [`verify_warc_with`] on `threads` workers with segments of `segment` bytes.
fn verify_with(
    path: &Path,
    log: Option<(&Log, &LogIndex)>,
    threads: usize,
    segment: u64,
    max_block: u64,
) -> WarcVerdict {
    let mut verdict = WarcVerdict {
        path: path.to_path_buf(),
        records: 0,
        logged: 0,
        digests_checked: 0,
        failures: Vec::new(),
    };
    let reader = match File::open(path) {
        Ok(f) => WarcReader::new(BufReader::with_capacity(READ_BUFFER, f)).max_block(max_block),
        Err(e) => {
            verdict.failures.push(Failure {
                offset: 0,
                record_id: None,
                problem: EvidenceError::io(path, e).to_string(),
            });
            return verdict;
        }
    };
    let file = match log {
        Some(_) => match File::open(path) {
            Ok(f) => Some(f),
            Err(e) => {
                verdict.failures.push(Failure {
                    offset: 0,
                    record_id: None,
                    problem: format!("cannot open: {e}"),
                });
                return verdict;
            }
        },
        None => None,
    };
    let log = log
        .zip(file.as_ref())
        .map(|((log, index), file)| LogCheck { log, index, file });
    let parallel = match File::open(path).and_then(|f| Ok((f.metadata()?.len(), f))) {
        Ok((size, f)) if threads > 1 && size >= 2 * segment => Some((size, f)),
        _ => None,
    };
    let read_error = match parallel {
        Some((size, f)) => {
            let cut = Cut { segment, max_block };
            check_in_parallel(&f, size, cut, log.as_ref(), threads, &mut verdict)
        }
        None => check_in_order(reader, log.as_ref(), &mut verdict),
    };
    if let Some(e) = read_error {
        verdict.failures.push(Failure {
            offset: e.offset().unwrap_or(0),
            record_id: None,
            problem: e.to_string(),
        });
    }
    if verdict.records == 0 && verdict.failures.is_empty() {
        verdict.failures.push(Failure {
            offset: 0,
            record_id: None,
            problem: "the file holds no WARC record".into(),
        });
    }
    verdict
}

/// The log a file is checked against, and the file to read stored records from.
struct LogCheck<'a> {
    log: &'a Log,
    index: &'a LogIndex,
    file: &'a File,
}

/// What checking one record found.
struct RecordCheck {
    /// The record's stored bytes were proven to be in the log.
    logged: bool,
    /// The record declares a digest (which was recomputed).
    digests_checked: bool,
    failures: Vec<Failure>,
}

/// Everything checked about one record: its inclusion in the log (once per gzip member, when
/// `first_in_member`), then every digest it declares.
fn check_record(
    rec: &RecordView<'_>,
    log: Option<&LogCheck<'_>>,
    first_in_member: bool,
) -> RecordCheck {
    let mut out = RecordCheck {
        logged: false,
        digests_checked: false,
        failures: Vec::new(),
    };
    let failure = |problem| Failure {
        offset: rec.offset,
        record_id: rec.field("WARC-Record-ID").map(str::to_string),
        problem,
    };
    if let (Some(check), true) = (log, first_in_member) {
        // Several records may share one gzip member; the member is the unit logged.
        let mut stored = vec![0u8; rec.length as usize];
        let outcome = check
            .file
            .read_exact_at(&mut stored, rec.offset)
            .map_err(|e| format!("cannot read the stored record: {e}"))
            .and_then(|()| check.index.prove(check.log, &stored));
        match outcome {
            Ok(_) => out.logged = true,
            Err(problem) => out.failures.push(failure(problem)),
        }
    }
    if rec.field("WARC-Block-Digest").is_some() || rec.field("WARC-Payload-Digest").is_some() {
        out.digests_checked = true;
    }
    for problem in missing_digests(rec).into_iter().chain(verify_record(rec)) {
        out.failures.push(failure(problem.to_string()));
    }
    out
}

fn add(verdict: &mut WarcVerdict, check: RecordCheck) {
    verdict.records += 1;
    verdict.logged += usize::from(check.logged);
    verdict.digests_checked += usize::from(check.digests_checked);
    verdict.failures.extend(check.failures);
}

/// Marks the first record of each gzip member (records of one member share its offset).
struct Members(Option<u64>);

impl Members {
    fn first(&mut self, rec: &RecordView<'_>) -> bool {
        let first = self.0 != Some(rec.offset);
        self.0 = Some(rec.offset);
        first
    }
}

/// Check records one after the other on this thread; the read error that ended the file, if any.
fn check_in_order<R: BufRead>(
    mut reader: WarcReader<R>,
    log: Option<&LogCheck<'_>>,
    verdict: &mut WarcVerdict,
) -> Option<EvidenceError> {
    let mut members = Members(None);
    while let Some(item) = reader.next_view() {
        match item {
            Ok(rec) => {
                let first = members.first(&rec);
                add(verdict, check_record(&rec, log, first));
            }
            Err(e) => return Some(e),
        }
    }
    None
}

/// Files are checked in parallel in segments of this many bytes (smaller files in order).
const SEGMENT: u64 = 1 << 20;

/// The reading buffer: a record that lies wholly inside it is checked in place
/// ([`WarcReader::next_view`]), one across its end is read as a stream (copied out).
const READ_BUFFER: usize = 256 * 1024;

/// How far past its segment, in segments, a worker reads from a guessed start before leaving
/// the record there to be read again from a known start.
const SPILL_SEGMENTS: u64 = 4;

/// How the records read in one segment end.
enum SegmentEnd {
    /// The next record (or the read error at it) starts at this offset, at or after the
    /// segment's end: it belongs to a later segment.
    Next(u64),
    /// The file ends.
    Eof,
    /// Reading stopped at this error, inside the segment.
    Error(EvidenceError),
    /// The record at this offset reaches past what a guessed start may read: to be read again
    /// from there without a limit.
    Resume(u64),
}

/// The checked records of one segment, read from `start` (a record start or a guess).
struct Segment {
    /// (record offset, what its check found), in file order.
    checks: Vec<(u64, RecordCheck)>,
    end: SegmentEnd,
}

/// Reads a file at positions of its own (workers share the file, not a cursor), up to `limit`.
struct ReadAt<'a> {
    file: &'a File,
    pos: u64,
    limit: u64,
    /// Set when reading stopped at `limit` rather than at the end of the file.
    capped: &'a Cell<bool>,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let room = usize::try_from(self.limit.saturating_sub(self.pos)).unwrap_or(usize::MAX);
        if room == 0 && !buf.is_empty() {
            self.capped.set(true);
            return Ok(0);
        }
        let len = buf.len().min(room);
        let n = self.file.read_at(&mut buf[..len], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Read and check the records starting at `start` whose offsets are before `end`, reading no
/// further than `limit` (a guessed start may be inside a block, where a look-alike record can
/// declare any length).
fn check_segment(
    file: &File,
    start: u64,
    end: u64,
    limit: u64,
    max_block: u64,
    log: Option<&LogCheck<'_>>,
) -> Segment {
    let capped = Cell::new(false);
    let inner = ReadAt {
        file,
        pos: start,
        limit,
        capped: &capped,
    };
    let mut reader = WarcReader::with_offset(BufReader::with_capacity(READ_BUFFER, inner), start)
        .max_block(max_block);
    let mut checks = Vec::new();
    let mut members = Members(None);
    while let Some(item) = reader.next_view() {
        let rec = match item {
            Ok(rec) => rec,
            Err(e) => {
                let end = match e.offset() {
                    Some(at) if at >= end => SegmentEnd::Next(at),
                    Some(at) if capped.get() => SegmentEnd::Resume(at),
                    _ => SegmentEnd::Error(e),
                };
                return Segment { checks, end };
            }
        };
        if rec.offset >= end {
            return Segment {
                checks,
                end: SegmentEnd::Next(rec.offset),
            };
        }
        let first = members.first(&rec);
        checks.push((rec.offset, check_record(&rec, log, first)));
    }
    let end = match capped.get() {
        true => SegmentEnd::Resume(limit),
        false => SegmentEnd::Eof,
    };
    Segment { checks, end }
}

/// The first place at or after `from` where a record may start: `WARC/` at the start of a line,
/// or a gzip member header. A guess (block bytes can look like either); `None` if there is none.
fn guess_record_start(file: &File, from: u64) -> Option<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    // One byte before `from`, to see whether `from` starts a line.
    let mut at = from.checked_sub(1)?;
    loop {
        let n = file.read_at(&mut buf, at).ok()?;
        let window = &buf[..n];
        if n < 6 {
            return None;
        }
        for i in 0..n - 5 {
            let plain = window[i] == b'\n' && &window[i + 1..i + 6] == b"WARC/";
            let gzip = i > 0 && window[i..i + 3] == [0x1f, 0x8b, 8];
            if plain {
                return Some(at + i as u64 + 1);
            }
            if gzip {
                return Some(at + i as u64);
            }
        }
        // Overlap windows so a marker across their border is seen.
        at += (n - 5) as u64;
    }
}

/// Check a file's records on `threads` workers, segment by segment. Each worker guesses where
/// the first record of its segment starts and reads on from there; a segment's records are
/// taken from the record where the previous segment's reading handed over (parsing from a true
/// record start is the same whoever does it), and a segment whose guess missed that record is
/// read again from it here. Verdicts are added in file order; the read error that ended the
/// file, if any, is returned.
/// How a file is cut into segments, and the largest block a record may have.
#[derive(Clone, Copy)]
struct Cut {
    segment: u64,
    max_block: u64,
}

fn check_in_parallel(
    file: &File,
    size: u64,
    cut: Cut,
    log: Option<&LogCheck<'_>>,
    threads: usize,
    verdict: &mut WarcVerdict,
) -> Option<EvidenceError> {
    let Cut {
        segment: segment_len,
        max_block,
    } = cut;
    let segments = size.div_ceil(segment_len);
    let seg_end = |j: u64| {
        if j + 1 >= segments {
            u64::MAX
        } else {
            (j + 1) * segment_len
        }
    };
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Option<u64>, Segment)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || loop {
                let j = next.fetch_add(1, Ordering::Relaxed);
                if j >= segments || stop.load(Ordering::Relaxed) {
                    break;
                }
                let start = if j == 0 {
                    Some(0)
                } else {
                    guess_record_start(file, j * segment_len)
                };
                // A guessed start reads at most a few segments' worth past its own.
                let limit = if j == 0 {
                    u64::MAX
                } else {
                    seg_end(j).saturating_add(SPILL_SEGMENTS * segment_len)
                };
                let segment = match start {
                    Some(start) if start < seg_end(j) => {
                        check_segment(file, start, seg_end(j), limit, max_block, log)
                    }
                    _ => Segment {
                        checks: Vec::new(),
                        end: SegmentEnd::Eof,
                    },
                };
                if done_tx.send((j, start, segment)).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);

        let mut ready = BTreeMap::new();
        let mut next_out = 0;
        // Where the next record in file order starts; `None` once reading has ended.
        let mut pos = Some(0u64);
        let mut read_error = None;
        for (j, start, segment) in done_rx.iter() {
            ready.insert(j, (start, segment));
            while let Some((start, segment)) = ready.remove(&next_out) {
                let j = next_out;
                next_out += 1;
                let Some(at) = pos else { continue };
                if at >= seg_end(j) {
                    continue; // a long record spans this segment: nothing starts in it
                }
                let mut segment = segment;
                let found = segment.checks.iter().position(|(offset, _)| *offset == at);
                let error_at =
                    matches!(&segment.end, SegmentEnd::Error(e) if e.offset() == Some(at));
                let (checks, end) = match found {
                    Some(i) => (segment.checks.drain(i..).collect(), segment.end),
                    // The first record is broken: only the error counts.
                    None if error_at || start == Some(at) => (Vec::new(), segment.end),
                    // The guess was not a record start: read the segment again from `at`.
                    None => {
                        let again = check_segment(file, at, seg_end(j), u64::MAX, max_block, log);
                        (again.checks, again.end)
                    }
                };
                for (_, check) in checks {
                    add(verdict, check);
                }
                let end = match end {
                    SegmentEnd::Resume(from) => {
                        let rest = check_segment(file, from, seg_end(j), u64::MAX, max_block, log);
                        for (_, check) in rest.checks {
                            add(verdict, check);
                        }
                        rest.end
                    }
                    end => end,
                };
                pos = match end {
                    SegmentEnd::Next(n) => Some(n),
                    SegmentEnd::Eof | SegmentEnd::Resume(_) => None,
                    SegmentEnd::Error(e) => {
                        read_error = Some(e);
                        None
                    }
                };
                if pos.is_none() {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
        read_error
    })
}

/// WARC files (`.warc`, `.warc.gz`) directly inside a directory, sorted by name.
pub fn warc_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_file() && (name.ends_with(".warc") || name.ends_with(".warc.gz")) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExchangeRecord, WarcWriter, WriterConfig};

    /// A plain record; its block digest is wrong when `bad_digest`.
    fn record(i: usize, block: &[u8], bad_digest: bool) -> Vec<u8> {
        let digest = sha256_label(if bad_digest { b"other" } else { block });
        let payload = sha256_label(block);
        let mut out = format!(
            "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:test:{i}>\r\n\
             WARC-Block-Digest: {digest}\r\nWARC-Payload-Digest: {payload}\r\n\
             Content-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        out.extend_from_slice(block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    }

    /// A plain WARC whose blocks hold look-alikes of record starts (`WARC/` lines, gzip
    /// headers, a fake record with a huge length), so guessed segment starts often miss.
    fn tricky_warc() -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..80 {
            let filler = "x".repeat(i * 13 % 301);
            let block = match i % 4 {
                0 => format!("{filler}\nWARC/1.1\r\nContent-Length: 5\r\n\r\nabcde\r\n\r\n")
                    .into_bytes(),
                1 => [filler.as_bytes(), &[0x1f, 0x8b, 8, 0, 0, 0], b"junk"].concat(),
                2 => format!("\nWARC/1.1\r\nContent-Length: 99999999\r\n\r\n{filler}").into_bytes(),
                _ => filler.into_bytes(),
            };
            out.extend(record(i, &block, i % 9 == 5));
            if i % 5 == 0 {
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    /// Every split into segments, on several workers, gives the verdict of reading in order.
    fn same_verdicts(path: &Path, log: Option<(&Log, &LogIndex)>) -> WarcVerdict {
        let in_order = verify_with(path, log, 1, SEGMENT, DEFAULT_MAX_BLOCK);
        for segment in [37, 200, 1000, 4096] {
            for threads in [2, 3] {
                assert_eq!(
                    verify_with(path, log, threads, segment, DEFAULT_MAX_BLOCK),
                    in_order,
                    "segment {segment}, {threads} threads"
                );
            }
        }
        in_order
    }

    #[test]
    fn parallel_verdicts_equal_in_order_ones_on_plain_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.warc");
        let data = tricky_warc();
        std::fs::write(&path, &data).unwrap();
        let v = same_verdicts(&path, None);
        assert_eq!(v.records, 80);
        assert_eq!(v.failures.len(), 9);
        // Cut anywhere, or with a byte changed: still the same verdict as in order.
        for k in 1..24 {
            let at = data.len() * k / 24 + k;
            std::fs::write(&path, &data[..at]).unwrap();
            same_verdicts(&path, None);
            let mut changed = data.clone();
            changed[at] ^= 0x20;
            std::fs::write(&path, &changed).unwrap();
            same_verdicts(&path, None);
        }
    }

    #[test]
    fn parallel_verdicts_equal_in_order_ones_on_logged_gzip_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path().join("log")).unwrap();
        let config = WriterConfig::new(dir.path().join("warc"), "t");
        let mut writer = WarcWriter::open_with_log(config, Some(log)).unwrap();
        let bodies: Vec<Vec<u8>> = (0..30)
            .map(|i| format!("<p>{i}</p>").repeat(i * 5 + 1).into_bytes())
            .collect();
        let exs: Vec<ExchangeRecord<'_>> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| ExchangeRecord {
                target_uri: "http://a.test/",
                date: chrono::Utc::now(),
                request_head: b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n",
                response_head: Some(b"HTTP/1.1 200 OK\r\n\r\n"),
                response_body: body,
                remote_ip: None,
                metadata: if i % 4 == 0 {
                    vec![("note".into(), "x".into())]
                } else {
                    Vec::new()
                },
            })
            .collect();
        writer.write_exchanges(&exs).unwrap();
        writer.flush().unwrap();
        let path = writer.current_file().to_path_buf();
        drop(writer);
        let log = Log::open(dir.path().join("log")).unwrap();
        let checkpoint = Checkpoint::new("test", log.size(), log.root());
        let index = LogIndex::new(&log, checkpoint).unwrap();
        let v = same_verdicts(&path, Some((&log, &index)));
        assert!(v.ok(), "{v:?}");
        assert_eq!((v.records, v.logged), (1 + 30 * 2 + 8, 1 + 30 * 2 + 8));
        let data = std::fs::read(&path).unwrap();
        for k in 1..12 {
            let mut changed = data.clone();
            changed[data.len() * k / 12] ^= 1;
            std::fs::write(&path, &changed).unwrap();
            let v = same_verdicts(&path, Some((&log, &index)));
            assert!(!v.ok());
        }
    }
}
