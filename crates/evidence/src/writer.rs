//! Writing evidence: rolling `.warc.gz` files, one gzip member per record, a `warcinfo` record at
//! the start of every file, `sha256:` block and payload digests on every record.
//!
//! Owns file naming and the append-only rule: a file is created with `create_new` and never
//! reopened, so existing evidence is never overwritten or appended to. Must not read files back,
//! keep an index or talk to a database; callers store the [`RecordRef`]s it returns.

use std::cell::RefCell;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IoSlice, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

use sha2::{Digest, Sha256};

use crate::digest::{http_payload, label_hex, sha256_label};
use crate::record::{
    check_field_name, check_field_value, new_record_id, warc_date, warc_fields, CaptureRefs,
    ExchangeRecord, HeaderBlock, RecordRef, RevisitOf, REVISIT_IDENTICAL_PAYLOAD, WARC_1_1_SPEC,
};
use crate::tlog::{Hash, Log};
use crate::{stored_record_leaf, EvidenceError};

/// Default roll size: 1 GiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

/// Deflate level of every gzip member (zlib-rs backend). Pages are small and every record is its
/// own member, so per-member costs dominate: level 1 (zlib-rs's quick strategy, static Huffman
/// codes) writes simweb pages about 2.3 times faster than level 3 and 7 times faster than the
/// former miniz_oxide level 6, for files about 19 % larger than level 6 (bench/warc.sh, see
/// bench/README.md). Any level is read by every gzip reader, so this can change without
/// touching old evidence.
const GZIP_LEVEL: u32 = 1;

/// Where and how a [`WarcWriter`] writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriterConfig {
    /// Directory for the WARC files; created if missing.
    pub dir: PathBuf,
    /// File name prefix, e.g. `wangjian-sweep-3`; must not contain path separators.
    pub prefix: String,
    /// Roll to a new file once the current one has reached this size (checked before each
    /// exchange or resource, so a file may exceed it by one exchange).
    pub max_file_bytes: u64,
    /// Software name and version for `warcinfo`, e.g. `wangjian/0.1.0`.
    pub software: String,
    /// Operator for `warcinfo` (organisation or person responsible for the crawl).
    pub operator: Option<String>,
    /// Host name of the capturing machine for `warcinfo`.
    pub hostname: Option<String>,
    /// Extra `warcinfo` fields, e.g. `("sweep-id", "3")`. Names must be tokens.
    pub extra_info: Vec<(String, String)>,
}

impl WriterConfig {
    /// A config with the defaults: 1 GiB files, software `wangjian/<crate version>`.
    pub fn new(dir: impl Into<PathBuf>, prefix: impl Into<String>) -> Self {
        WriterConfig {
            dir: dir.into(),
            prefix: prefix.into(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            software: concat!("wangjian/", env!("CARGO_PKG_VERSION")).to_string(),
            operator: None,
            hostname: None,
            extra_info: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), EvidenceError> {
        let prefix_ok = !self.prefix.is_empty()
            && self
                .prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && !self.prefix.starts_with('.');
        if !prefix_ok {
            return Err(EvidenceError::invalid(
                "prefix",
                "must be non-empty ASCII letters, digits, '-', '_' or '.', not starting with '.'",
            ));
        }
        if self.software.trim().is_empty() {
            return Err(EvidenceError::invalid("software", "must not be empty"));
        }
        for (name, _) in &self.extra_info {
            check_field_name(name)?;
        }
        Ok(())
    }
}

/// Appends records to rolling `{prefix}-{YYYYMMDDhhmmss}-{seq:05}.warc.gz` files.
///
/// Each record (or batch of records) is compressed in memory and written with a single
/// `write_all`, so a [`RecordRef`]'s offset and length are exact. If a write fails the file may end in a partial
/// member; the writer then rolls to a fresh file before writing anything else, so later
/// evidence is never stuck behind the damage.
#[derive(Debug)]
pub struct WarcWriter {
    config: WriterConfig,
    file: File,
    path: PathBuf,
    file_name: String,
    /// Bytes written to the current file (= offset of the next member).
    position: u64,
    seq: u64,
    warcinfo_id: String,
    /// Whether the current file holds anything besides its `warcinfo`.
    has_content: bool,
    /// A write failed: the current file must not be written to again.
    broken: bool,
    /// When set, every record's leaf is appended here before its bytes reach the file.
    leaves: Option<Leaves>,
    /// When set, every flush ends the current file and hands it here (with the files rolled
    /// since the last flush, in order): the files leave this machine.
    finished: Option<Box<dyn FinishedFiles>>,
    /// Files ended (rolled) and not yet handed to `finished`.
    unhanded: Vec<PathBuf>,
    /// A write failed since the last flush: with `finished` set, the records written to the
    /// broken file since then are never handed on, and the next flush says so.
    lost: bool,
}

/// Where a writer's finished files go when they must leave the machine that wrote them: a
/// worker without a shared disk hands every file to the object store
/// ([`WarcWriter::hand_finished_files_to`]).
pub trait FinishedFiles: Send + Sync + std::fmt::Debug {
    /// Takes a finished file: its records are whole, synced to disk and (with a log or a
    /// sink) in the log, and the writer never writes to it again. Returns once the file is
    /// kept where it goes; an error fails the writer's flush, so that the records it holds are
    /// not counted as stored.
    fn finished(&mut self, path: &Path) -> Result<(), EvidenceError>;
}

/// Where a writer's leaves go.
#[derive(Debug)]
enum Leaves {
    /// The log itself, in a directory this process holds.
    Log(Log),
    /// A sequencer another process runs (many workers, one log).
    Sink(Box<dyn LeafSink>),
}

/// A transparency log that another process appends to: a worker of many submits each
/// record's leaf to the one sequencer (see the `sweep` crate's worker).
pub trait LeafSink: Send + Sync + std::fmt::Debug {
    /// Takes leaves of records about to be written, in order, before their bytes reach the
    /// file. A sink that hands them on later (in batches) loses the last ones in a crash: the
    /// records they stand for are whole in the file, and whoever repairs the file must add
    /// them to the log (the workers' sequencer does).
    fn submit(&mut self, leaves: &[Hash]) -> Result<(), EvidenceError>;
    /// Returns once every leaf submitted so far is in the log (sequenced): only then do the
    /// records count as stored.
    fn sync(&mut self) -> Result<(), EvidenceError>;
}

impl Leaves {
    fn append(&mut self, leaves: &[Hash]) -> Result<(), EvidenceError> {
        match self {
            Leaves::Log(log) => {
                for leaf in leaves {
                    log.append_leaf_hash(*leaf)?;
                }
                Ok(())
            }
            Leaves::Sink(sink) => sink.submit(leaves),
        }
    }

    fn sync(&mut self) -> Result<(), EvidenceError> {
        match self {
            Leaves::Log(log) => Ok(log.sync()?),
            Leaves::Sink(sink) => sink.sync(),
        }
    }
}

/// One record to be compressed: header fields so far and the block, in one or more parts
/// (a response block is head + body, hashed and compressed without concatenating them).
struct Pending<'a> {
    header: HeaderBlock,
    block: &'a [&'a [u8]],
    record_id: String,
    payload_digest: Option<String>,
}

/// One record compressed into its gzip member, not yet placed in a file.
struct Member {
    bytes: Vec<u8>,
    record_id: String,
    block_digest: String,
    payload_digest: Option<String>,
}

/// The members of one exchange, in file order: request, response, metadata.
struct PreparedExchange {
    request: Member,
    response: Option<Member>,
    metadata: Option<Member>,
}

impl WarcWriter {
    /// Create the directory if needed and start a new file after any existing ones with the same
    /// prefix (sequence numbers continue; an existing file is never touched).
    pub fn open(config: WriterConfig) -> Result<Self, EvidenceError> {
        Self::open_with_log(config, None)
    }

    /// [`WarcWriter::open`], appending every record to the transparency log at capture time:
    /// the leaf of each stored record (see [`crate::stored_record_leaf`]) is appended BEFORE the
    /// record's bytes are written, so a record that reached the file is always in the log (a
    /// crash in between leaves a leaf without a record, which is harmless: verification asks
    /// that every record be in the log, not that every leaf have a record).
    pub fn open_with_log(config: WriterConfig, log: Option<Log>) -> Result<Self, EvidenceError> {
        Self::open_with_leaves(config, log.map(Leaves::Log))
    }

    /// [`WarcWriter::open`], submitting every record's leaf to `sink` before the record's
    /// bytes are written; [`WarcWriter::flush`] returns once the sink has them in the log.
    pub fn open_with_sink(
        config: WriterConfig,
        sink: Box<dyn LeafSink>,
    ) -> Result<Self, EvidenceError> {
        Self::open_with_leaves(config, Some(Leaves::Sink(sink)))
    }

    fn open_with_leaves(
        config: WriterConfig,
        leaves: Option<Leaves>,
    ) -> Result<Self, EvidenceError> {
        config.validate()?;
        fs::create_dir_all(&config.dir).map_err(|e| EvidenceError::io(&config.dir, e))?;
        let seq = next_free_seq(&config.dir, &config.prefix)?;
        let (file, path, file_name, seq) = create_file(&config, seq)?;
        let mut writer = WarcWriter {
            config,
            file,
            path,
            file_name,
            position: 0,
            seq,
            warcinfo_id: String::new(),
            has_content: false,
            broken: false,
            leaves,
            finished: None,
            unhanded: Vec::new(),
            lost: false,
        };
        writer.write_warcinfo()?;
        Ok(writer)
    }

    /// From now on every [`WarcWriter::flush`] ends the current file when it holds records
    /// (the next record starts a new one) and hands it to `to`, with the files rolled since
    /// the last flush: a record counts as stored once the flush after it returns, and by then
    /// its file is wherever `to` keeps it. A file whose write failed (its tail may be torn) is
    /// never handed on, and the flush after the failure fails: nothing written to it since the
    /// last flush counts as stored.
    pub fn hand_finished_files_to(&mut self, to: Box<dyn FinishedFiles>) {
        self.finished = Some(to);
    }

    /// Write the `request`, the `response` (if any, `WARC-Concurrent-To` the request) and, when
    /// `ex.metadata` is non-empty, a `metadata` record referring to the response (or request).
    /// All share `ex.date` and land in the same file.
    pub fn write_exchange(
        &mut self,
        ex: &ExchangeRecord<'_>,
    ) -> Result<CaptureRefs, EvidenceError> {
        self.write_exchange_or_revisit(ex, None)
            .map(|(refs, _)| refs)
    }

    /// [`WarcWriter::write_exchange`], except that when the response's payload digest equals
    /// `earlier.payload_digest`, the response is written as a `revisit` record (profile
    /// [`REVISIT_IDENTICAL_PAYLOAD`], block = the HTTP head only, `WARC-Payload-Digest` the
    /// shared digest, `WARC-Refers-To`, `-Target-URI` and `-Date` naming the earlier record).
    /// The writer computes the digest itself, so a revisit is only ever written for a payload
    /// that really is identical. Returns the records and whether the response became a revisit
    /// (its [`RecordRef`] is in `response` either way).
    pub fn write_exchange_or_revisit(
        &mut self,
        ex: &ExchangeRecord<'_>,
        earlier: Option<&RevisitOf<'_>>,
    ) -> Result<(CaptureRefs, bool), EvidenceError> {
        check_exchange(ex)?;
        if let Some(of) = earlier {
            check_revisit(of)?;
        }
        self.roll_if_needed()?;
        let (prepared, revisit) = prepare_exchange(ex, &self.warcinfo_id, earlier)
            .map_err(|e| EvidenceError::io(&self.path, e))?;
        let mut out = Vec::with_capacity(1);
        self.append_exchanges(vec![prepared], &mut out)?;
        Ok((out.pop().expect("one exchange appended"), revisit))
    }

    /// Write many exchanges: the same records, files and [`CaptureRefs`] (in input order) as
    /// calling [`WarcWriter::write_exchange`] for each in turn, but hashing and compressing them
    /// on all cores (scoped threads, one per available core) and writing the finished gzip
    /// members in order, so offsets stay exact and files append-only. Memory: the compressed
    /// batch is held until it is written.
    ///
    /// Every exchange is checked before anything is written: an invalid one fails the whole
    /// batch with nothing written. An I/O error can leave part of the batch written (as with a
    /// loop over `write_exchange`); the writer then rolls to a fresh file as usual.
    pub fn write_exchanges(
        &mut self,
        exs: &[ExchangeRecord<'_>],
    ) -> Result<Vec<CaptureRefs>, EvidenceError> {
        for ex in exs {
            check_exchange(ex)?;
        }
        let mut out = Vec::with_capacity(exs.len());
        while out.len() < exs.len() {
            self.roll_if_needed()?;
            let rest = &exs[out.len()..exs.len().min(out.len() + MAX_BATCH)];
            let prepared = prepare_parallel(rest, &self.warcinfo_id)
                .map_err(|e| EvidenceError::io(&self.path, e))?;
            // Stops early when the file fills up: the rest is prepared again for the next file,
            // whose records name its own warcinfo.
            self.append_exchanges(prepared, &mut out)?;
        }
        Ok(out)
    }

    /// Write a `resource` record (a file captured whole, `target_uri` naming it; a screenshot
    /// goes through [`WarcWriter::write_screenshot`]).
    pub fn write_resource(
        &mut self,
        target_uri: &str,
        date: DateTime<Utc>,
        content_type: &str,
        data: &[u8],
    ) -> Result<RecordRef, EvidenceError> {
        self.write_resource_concurrent(target_uri, date, content_type, data, None)
    }

    /// A page's screenshot (`image/png`) as a `resource` record whose target is
    /// [`crate::view_uri`] of `page_url` (never the page URL itself: a replay tool asked for
    /// the page must find the page), linked with `WARC-Concurrent-To` to the page's response.
    pub fn write_screenshot(
        &mut self,
        page_url: &str,
        date: DateTime<Utc>,
        png: &[u8],
        response_id: Option<&str>,
    ) -> Result<RecordRef, EvidenceError> {
        check_target_uri(page_url)?;
        self.write_resource_concurrent(
            &crate::record::view_uri(page_url),
            date,
            "image/png",
            png,
            response_id,
        )
    }

    /// [`WarcWriter::write_resource`], linked with `WARC-Concurrent-To` to a record captured
    /// at the same time (a screenshot to the response of the page it shows), so that
    /// selecting the one brings the other along.
    pub fn write_resource_concurrent(
        &mut self,
        target_uri: &str,
        date: DateTime<Utc>,
        content_type: &str,
        data: &[u8],
        concurrent_to: Option<&str>,
    ) -> Result<RecordRef, EvidenceError> {
        check_target_uri(target_uri)?;
        if let Some(id) = concurrent_to {
            check_field_value("concurrent_to", id)?;
        }
        check_field_value("content_type", content_type)?;
        if content_type.trim().is_empty() {
            return Err(EvidenceError::invalid("content_type", "must not be empty"));
        }
        self.roll_if_needed()?;
        let id = new_record_id();
        let mut header = HeaderBlock::new("resource", &id, &warc_date(date));
        header
            .push("WARC-Target-URI", target_uri)
            .push("WARC-Warcinfo-ID", self.warcinfo_id.clone());
        if let Some(id) = concurrent_to {
            header.push("WARC-Concurrent-To", id);
        }
        header.push("Content-Type", content_type.trim());
        let member = compress(Pending {
            header,
            block: &[data],
            record_id: id,
            payload_digest: Some(sha256_label(data)),
        })
        .map_err(|e| EvidenceError::io(&self.path, e))?;
        self.append(member)
    }

    /// A `metadata` record (`application/warc-fields`, one line per field, in order) about
    /// `target_uri`, referring with `WARC-Refers-To` to the record it describes when given (a
    /// rendered page's navigations and network log beside its DOM resource).
    pub fn write_metadata(
        &mut self,
        target_uri: &str,
        date: DateTime<Utc>,
        fields: &[(String, String)],
        refers_to: Option<&str>,
    ) -> Result<RecordRef, EvidenceError> {
        check_target_uri(target_uri)?;
        if let Some(id) = refers_to {
            check_field_value("refers_to", id)?;
        }
        for (name, _) in fields {
            check_field_name(name)?;
        }
        if fields.is_empty() {
            return Err(EvidenceError::invalid("fields", "must not be empty"));
        }
        self.roll_if_needed()?;
        let id = new_record_id();
        let block = warc_fields(fields);
        let mut header = HeaderBlock::new("metadata", &id, &warc_date(date));
        header
            .push("WARC-Target-URI", target_uri)
            .push("WARC-Warcinfo-ID", self.warcinfo_id.clone());
        if let Some(r) = refers_to {
            header.push("WARC-Refers-To", r);
        }
        header.push("Content-Type", "application/warc-fields");
        let member = compress(Pending {
            header,
            block: &[&block],
            record_id: id,
            payload_digest: None,
        })
        .map_err(|e| EvidenceError::io(&self.path, e))?;
        self.append(member)
    }

    /// The transparency log records are appended to, if this process holds it.
    pub fn log(&self) -> Option<&Log> {
        match &self.leaves {
            Some(Leaves::Log(log)) => Some(log),
            _ => None,
        }
    }

    /// Flush to stable storage (fsync), the log first. Records are written unbuffered, so this
    /// is only the sync.
    ///
    /// With [`WarcWriter::hand_finished_files_to`], the current file then ends (when it holds
    /// records) and every ended file is handed on before this returns.
    pub fn flush(&mut self) -> Result<(), EvidenceError> {
        self.sync()?;
        if self.finished.is_none() {
            return Ok(());
        }
        if self.lost {
            // Records written to the broken file since the last flush stay there: they are
            // not stored, and this flush must not count them (the next one may).
            self.lost = false;
            return Err(EvidenceError::io(
                &self.path,
                io::Error::other(
                    "a write failed; the records since the last flush are not handed on",
                ),
            ));
        }
        if self.has_content && !self.broken {
            self.start_next_file()?;
        }
        while let Some(path) = self.unhanded.first().cloned() {
            if let Some(to) = &mut self.finished {
                to.finished(&path)?;
            }
            self.unhanded.remove(0);
        }
        Ok(())
    }

    /// Syncs the log (or waits for the sink) and then the current file.
    fn sync(&mut self) -> Result<(), EvidenceError> {
        if let Some(leaves) = &mut self.leaves {
            leaves.sync()?;
        }
        self.file
            .flush()
            .map_err(|e| EvidenceError::io(&self.path, e))?;
        self.file
            .sync_all()
            .map_err(|e| EvidenceError::io(&self.path, e))
    }

    /// Full path of the file being written.
    pub fn current_file(&self) -> &Path {
        &self.path
    }

    fn roll_if_needed(&mut self) -> Result<(), EvidenceError> {
        let full = self.has_content && self.position >= self.config.max_file_bytes;
        if !(full || self.broken) {
            return Ok(());
        }
        // Sync the finished file; a failure here is reported, the old file stays as it is.
        if !self.broken {
            self.sync()?;
        }
        self.start_next_file()
    }

    /// Ends the current file (noting it to be handed on, unless its write failed) and starts
    /// the next one with its `warcinfo`.
    fn start_next_file(&mut self) -> Result<(), EvidenceError> {
        let (file, path, file_name, seq) = create_file(&self.config, self.seq + 1)?;
        let ended = std::mem::replace(&mut self.path, path);
        if self.finished.is_some() && !self.broken {
            self.unhanded.push(ended);
        }
        self.file = file;
        self.file_name = file_name;
        self.seq = seq;
        self.position = 0;
        self.has_content = false;
        self.broken = false;
        self.write_warcinfo()
    }

    fn write_warcinfo(&mut self) -> Result<(), EvidenceError> {
        let c = &self.config;
        let mut fields = vec![("software".to_string(), c.software.clone())];
        if let Some(host) = &c.hostname {
            fields.push(("hostname".into(), host.clone()));
        }
        if let Some(op) = &c.operator {
            fields.push(("operator".into(), op.clone()));
        }
        fields.push(("format".into(), "WARC File Format 1.1".into()));
        fields.push(("conformsTo".into(), WARC_1_1_SPEC.into()));
        fields.extend(c.extra_info.iter().cloned());
        let block = warc_fields(&fields);

        let id = new_record_id();
        let mut header = HeaderBlock::new("warcinfo", &id, &warc_date(Utc::now()));
        header
            .push("WARC-Filename", self.file_name.clone())
            .push("Content-Type", "application/warc-fields");
        let member = compress(Pending {
            header,
            block: &[&block],
            record_id: id.clone(),
            payload_digest: None,
        })
        .map_err(|e| EvidenceError::io(&self.path, e))?;
        self.append(member)?;
        self.warcinfo_id = id;
        self.has_content = false;
        Ok(())
    }

    /// Refuses to write to a file whose length is not where this writer left it: another
    /// process cut it (the workers' sequencer repairs the files of a worker it counts dead, and
    /// a worker paused that long may wake mid-record) or wrote to it. One `fstat` per write.
    fn check_untouched(&mut self) -> Result<(), EvidenceError> {
        let found = self
            .file
            .metadata()
            .map_err(|e| EvidenceError::io(&self.path, e))?
            .len();
        if found != self.position {
            self.broken = true;
            self.lost = true;
            return Err(EvidenceError::FileChanged {
                path: self.path.clone(),
                expected: self.position,
                found,
            });
        }
        Ok(())
    }

    /// Write one member at the end of the current file.
    fn append(&mut self, member: Member) -> Result<RecordRef, EvidenceError> {
        self.check_untouched()?;
        let offset = self.position;
        if let Some(leaves) = &mut self.leaves {
            leaves.append(&[stored_record_leaf(&member.bytes)])?;
        }
        if let Err(e) = self.file.write_all(&member.bytes) {
            self.broken = true;
            self.lost = true;
            return Err(EvidenceError::io(&self.path, e));
        }
        self.position += member.bytes.len() as u64;
        self.has_content = true;
        Ok(RecordRef {
            file: self.file_name.clone(),
            offset,
            length: member.bytes.len() as u64,
            record_id: member.record_id,
            block_digest: member.block_digest,
            payload_digest: member.payload_digest,
        })
    }

    /// Write prepared exchanges in order with one `write_all`, pushing their refs to `out`.
    /// The first exchange always goes to the current file (the caller rolled if needed); stops
    /// before any later exchange that would have to start a new file, dropping it and the rest.
    fn append_exchanges(
        &mut self,
        prepared: Vec<PreparedExchange>,
        out: &mut Vec<CaptureRefs>,
    ) -> Result<(), EvidenceError> {
        self.check_untouched()?;
        let mut leaves = Vec::new();
        let logged = self.leaves.is_some();
        let mut placed = Vec::with_capacity(prepared.len());
        let mut position = self.position;
        for (i, p) in prepared.into_iter().enumerate() {
            if i > 0 && position >= self.config.max_file_bytes {
                break;
            }
            let mut place = |m: Member| {
                let offset = position;
                position += m.bytes.len() as u64;
                if logged {
                    leaves.push(stored_record_leaf(&m.bytes));
                }
                (offset, position - offset, m)
            };
            let request = place(p.request);
            let response = p.response.map(&mut place);
            let metadata = p.metadata.map(&mut place);
            placed.push((request, response, metadata));
        }
        if let Some(sink) = &mut self.leaves {
            sink.append(&leaves)?;
        }
        let members = placed.iter().flat_map(|(request, response, metadata)| {
            std::iter::once(request)
                .chain(response)
                .chain(metadata)
                .map(|(_, _, m)| &m.bytes[..])
        });
        if let Err(e) = write_all_parts(&mut self.file, members) {
            self.broken = true;
            self.lost = true;
            return Err(EvidenceError::io(&self.path, e));
        }
        self.position = position;
        self.has_content = true;
        let file = &self.file_name;
        let record_ref = |(offset, length, m): (u64, u64, Member)| RecordRef {
            file: file.clone(),
            offset,
            length,
            record_id: m.record_id,
            block_digest: m.block_digest,
            payload_digest: m.payload_digest,
        };
        out.extend(
            placed
                .into_iter()
                .map(|(request, response, metadata)| CaptureRefs {
                    request: record_ref(request),
                    response: response.map(record_ref),
                    metadata: metadata.map(record_ref),
                }),
        );
        Ok(())
    }
}

/// Write `parts` one after the other, as `write_all` of their concatenation would, with
/// vectored writes of up to [`MAX_IOV`] parts instead of copying them into one buffer.
fn write_all_parts<'a>(
    w: &mut impl Write,
    parts: impl Iterator<Item = &'a [u8]>,
) -> io::Result<()> {
    let mut parts = parts.peekable();
    let mut slices: Vec<IoSlice<'a>> = Vec::with_capacity(MAX_IOV);
    while parts.peek().is_some() {
        slices.clear();
        slices.extend(parts.by_ref().take(MAX_IOV).map(IoSlice::new));
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match w.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Parts per vectored write (Linux's `IOV_MAX` is 1024).
const MAX_IOV: usize = 512;

/// The checks [`WarcWriter::write_exchange`] makes before writing anything.
fn check_exchange(ex: &ExchangeRecord<'_>) -> Result<(), EvidenceError> {
    check_target_uri(ex.target_uri)?;
    if ex.response_head.is_none() && !ex.response_body.is_empty() {
        return Err(EvidenceError::invalid(
            "response_body",
            "must be empty when there is no response head",
        ));
    }
    for (name, _) in &ex.metadata {
        check_field_name(name)?;
    }
    Ok(())
}

/// Build, hash and compress the records of one exchange. Pure: no file, no writer state but
/// the `warcinfo` id the records refer to.
/// With `earlier`, a response whose payload digest equals the earlier one's becomes a
/// `revisit` record (second value `true`).
fn prepare_exchange(
    ex: &ExchangeRecord<'_>,
    warcinfo_id: &str,
    earlier: Option<&RevisitOf<'_>>,
) -> io::Result<(PreparedExchange, bool)> {
    let date = warc_date(ex.date);
    let request_id = new_record_id();
    let mut header = HeaderBlock::new("request", &request_id, &date);
    header
        .push("WARC-Target-URI", ex.target_uri)
        .push("WARC-Warcinfo-ID", warcinfo_id)
        .push("Content-Type", "application/http;msgtype=request");
    let request = compress(Pending {
        header,
        block: &[ex.request_head],
        record_id: request_id.clone(),
        payload_digest: Some(sha256_label(&http_payload(ex.request_head))),
    })?;

    let mut revisit = false;
    let response = match ex.response_head {
        None => None,
        Some(head) => {
            let payload_digest = response_payload_digest(head, ex.response_body);
            let of = earlier.filter(|of| of.payload_digest.eq_ignore_ascii_case(&payload_digest));
            revisit = of.is_some();
            let response_id = new_record_id();
            let warc_type = if revisit { "revisit" } else { "response" };
            let mut header = HeaderBlock::new(warc_type, &response_id, &date);
            header
                .push("WARC-Target-URI", ex.target_uri)
                .push("WARC-Warcinfo-ID", warcinfo_id);
            if let Some(ip) = ex.remote_ip {
                header.push("WARC-IP-Address", ip.to_string());
            }
            header.push("WARC-Concurrent-To", request_id.clone());
            if let Some(of) = of {
                header
                    .push("WARC-Profile", REVISIT_IDENTICAL_PAYLOAD)
                    .push("WARC-Refers-To", of.record_id)
                    .push("WARC-Refers-To-Target-URI", of.target_uri)
                    .push("WARC-Refers-To-Date", warc_date(of.date));
            }
            header.push("Content-Type", "application/http;msgtype=response");
            // A revisit keeps the HTTP head only: the payload is the earlier record's.
            let block: &[&[u8]] = if revisit {
                &[head]
            } else {
                &[head, ex.response_body]
            };
            Some(compress(Pending {
                header,
                block,
                record_id: response_id,
                payload_digest: Some(payload_digest),
            })?)
        }
    };

    let metadata = if ex.metadata.is_empty() {
        None
    } else {
        let refers_to = response.as_ref().unwrap_or(&request).record_id.clone();
        let block = warc_fields(&ex.metadata);
        let id = new_record_id();
        let mut header = HeaderBlock::new("metadata", &id, &date);
        header
            .push("WARC-Target-URI", ex.target_uri)
            .push("WARC-Warcinfo-ID", warcinfo_id)
            .push("WARC-Refers-To", refers_to)
            .push("Content-Type", "application/warc-fields");
        Some(compress(Pending {
            header,
            block: &[&block],
            record_id: id,
            payload_digest: None,
        })?)
    };
    Ok((
        PreparedExchange {
            request,
            response,
            metadata,
        },
        revisit,
    ))
}

/// The checks on an earlier record before a revisit may refer to it.
fn check_revisit(of: &RevisitOf<'_>) -> Result<(), EvidenceError> {
    check_field_value("refers_to", of.record_id)?;
    check_target_uri(of.target_uri)?;
    if !(of.record_id.starts_with('<') && of.record_id.ends_with('>')) {
        return Err(EvidenceError::invalid(
            "refers_to",
            "must be a record id in angle brackets",
        ));
    }
    let hex = of.payload_digest.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(EvidenceError::invalid(
            "payload_digest",
            "must be sha256:<64 hex digits>",
        ));
    }
    Ok(())
}

/// The payload digest of a response block `head + body`: the body (de-chunked when the head
/// says so), found without concatenating when `head` is exactly the HTTP head.
fn response_payload_digest(head: &[u8], body: &[u8]) -> String {
    let head_is_exact = matches!(http_msg::split_message(head), Some((h, rest)) if h.len() == head.len() && rest.is_empty());
    if head_is_exact && !http_msg::declares_chunked(head) {
        return sha256_label(body);
    }
    sha256_label(&http_payload(&[head, body].concat()))
}

/// Prepare `exs` on up to one thread per core, results in input order.
fn prepare_parallel(
    exs: &[ExchangeRecord<'_>],
    warcinfo_id: &str,
) -> io::Result<Vec<PreparedExchange>> {
    // Asked once: std reads the cgroup CPU quota files on every call.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let threads = cores.min(exs.len());
    if threads <= 1 {
        return exs
            .iter()
            .map(|ex| prepare_exchange(ex, warcinfo_id, None).map(|(p, _)| p))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<io::Result<PreparedExchange>>>> =
        exs.iter().map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(ex) = exs.get(i) else { break };
        let prepared = prepare_exchange(ex, warcinfo_id, None).map(|(p, _)| p);
        *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(prepared);
    };
    std::thread::scope(|scope| {
        // The calling thread is one of the workers.
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(io::Error::other("record preparation did not run")))
        })
        .collect()
}

/// Hash and compress one record: `WARC-Block-Digest` (and payload digest) added to its header.
fn compress(rec: Pending<'_>) -> io::Result<Member> {
    let mut hasher = Sha256::new();
    let mut block_len = 0;
    for part in rec.block {
        hasher.update(part);
        block_len += part.len();
    }
    let block_digest = label_hex("sha256:", &hasher.finalize());
    let mut header = rec.header;
    header.push("WARC-Block-Digest", block_digest.clone());
    if let Some(p) = &rec.payload_digest {
        header.push("WARC-Payload-Digest", p.clone());
    }
    let head = header.to_bytes(block_len);
    let bytes = gzip_member(&head, rec.block)?;
    Ok(Member {
        bytes,
        record_id: rec.record_id,
        block_digest,
        payload_digest: rec.payload_digest,
    })
}

/// Exchanges compressed ahead of writing in [`WarcWriter::write_exchanges`]: bounds the memory
/// held and the work redone when a file fills up mid-batch.
const MAX_BATCH: usize = 256;

/// Fixed gzip member header: deflate, no flags, no mtime, unknown OS (RFC 1952).
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

thread_local! {
    /// A raw deflate state per thread, reset for every member: setting up a fresh one (hundreds
    /// of KiB of tables) costs more than compressing a typical page.
    static DEFLATE: RefCell<Lent> = const { RefCell::new(Lent(None)) };
}

/// Deflate states of finished threads, for the next ones: [`prepare_parallel`] starts threads
/// for every batch, and a fresh state per thread (allocated, page-faulted in, freed) cost more
/// than the compression of a small batch.
static SPARE_DEFLATE: Mutex<Vec<Compress>> = Mutex::new(Vec::new());

/// Spare states kept at most.
const MAX_SPARE_DEFLATE: usize = 16;

/// A thread's deflate state; given back to [`SPARE_DEFLATE`] when the thread ends.
struct Lent(Option<Compress>);

impl Lent {
    fn get(&mut self) -> &mut Compress {
        self.0.get_or_insert_with(|| {
            let spare = SPARE_DEFLATE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop();
            spare.unwrap_or_else(|| Compress::new(Compression::new(GZIP_LEVEL), false))
        })
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            let mut spare = SPARE_DEFLATE.lock().unwrap_or_else(|e| e.into_inner());
            if spare.len() < MAX_SPARE_DEFLATE {
                spare.push(c);
            }
        }
    }
}

/// One record as one gzip member: header block, block, `\r\n\r\n`.
fn gzip_member(head: &[u8], block: &[&[u8]]) -> io::Result<Vec<u8>> {
    let len: usize = head.len() + block.iter().map(|p| p.len()).sum::<usize>();
    DEFLATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let deflate = slot.get();
        deflate.reset();
        // Level 1 seldom gets below half of a page; room for all of it saves the reallocations
        // (and copies) of growing from half.
        let mut out = Vec::with_capacity(len + 1024);
        out.extend_from_slice(&GZIP_HEADER);
        let mut crc = Crc::new();
        let trailer: &[u8] = b"\r\n\r\n";
        for part in std::iter::once(head)
            .chain(block.iter().copied())
            .chain([trailer])
        {
            crc.update(part);
            deflate_into(deflate, part, &mut out, FlushCompress::None)?;
        }
        deflate_into(deflate, &[], &mut out, FlushCompress::Finish)?;
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&crc.amount().to_le_bytes());
        Ok(out)
    })
}

/// Feed `input` to `deflate`, growing `out` as needed; with `Finish`, until the stream ends.
fn deflate_into(
    deflate: &mut Compress,
    mut input: &[u8],
    out: &mut Vec<u8>,
    flush: FlushCompress,
) -> io::Result<()> {
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(4096));
        }
        let before = deflate.total_in();
        let status = deflate
            .compress_vec(input, out, flush)
            .map_err(io::Error::other)?;
        input = &input[(deflate.total_in() - before) as usize..];
        let done = match flush {
            FlushCompress::Finish => status == Status::StreamEnd,
            _ => input.is_empty(),
        };
        if done {
            return Ok(());
        }
    }
}

fn check_target_uri(uri: &str) -> Result<(), EvidenceError> {
    if uri.trim().is_empty() {
        return Err(EvidenceError::invalid("target_uri", "must not be empty"));
    }
    check_field_value("target_uri", uri)
}

/// One past the highest sequence number among `{prefix}-{14 digits}-{seq}.warc.gz` files in `dir`.
fn next_free_seq(dir: &Path, prefix: &str) -> Result<u64, EvidenceError> {
    let entries = fs::read_dir(dir).map_err(|e| EvidenceError::io(dir, e))?;
    let mut next = 0;
    for entry in entries {
        let entry = entry.map_err(|e| EvidenceError::io(dir, e))?;
        if let Some(seq) = entry
            .file_name()
            .to_str()
            .and_then(|n| parse_seq(n, prefix))
        {
            next = next.max(seq.saturating_add(1));
        }
    }
    Ok(next)
}

/// The sequence number of a file this crate's writer named `PREFIX-<stamp>-<seq>.warc.gz`;
/// `None` for any other name.
pub fn file_seq(name: &str, prefix: &str) -> Option<u64> {
    parse_seq(name, prefix)
}

/// The prefix and sequence number of a file this crate's writer named
/// `PREFIX-<stamp>-<seq>.warc.gz`; `None` for any other name.
pub fn file_prefix_and_seq(name: &str) -> Option<(&str, u64)> {
    let stem = name.strip_suffix(".warc.gz")?;
    let mut parts = stem.rsplitn(3, '-');
    let (_seq, _stamp, prefix) = (parts.next()?, parts.next()?, parts.next()?);
    Some((prefix, parse_seq(name, prefix)?))
}

fn parse_seq(name: &str, prefix: &str) -> Option<u64> {
    let rest = name.strip_prefix(prefix)?.strip_prefix('-')?;
    let rest = rest.strip_suffix(".warc.gz")?;
    let (stamp, seq) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if stamp.len() != 14 || !digits(stamp) || !digits(seq) {
        return None;
    }
    seq.parse().ok()
}

/// Create the next file with `create_new`, skipping sequence numbers whose name is taken.
fn create_file(
    config: &WriterConfig,
    mut seq: u64,
) -> Result<(File, PathBuf, String, u64), EvidenceError> {
    loop {
        let stamp = Utc::now().format("%Y%m%d%H%M%S");
        let name = format!("{}-{stamp}-{seq:05}.warc.gz", config.prefix);
        let path = config.dir.join(&name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => {
                sync_dir(&config.dir);
                return Ok((file, path, name, seq));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => seq += 1,
            Err(e) => return Err(EvidenceError::io(path, e)),
        }
    }
}

/// Make the new directory entry durable. Best effort: not every platform can fsync a directory,
/// and the file's own fsync in [`WarcWriter::flush`] is what callers rely on.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_parsing_is_strict_about_the_prefix() {
        assert_eq!(
            parse_seq("sweep-3-20261130084444-00007.warc.gz", "sweep-3"),
            Some(7)
        );
        assert_eq!(
            parse_seq("sweep-30-20261130084444-00007.warc.gz", "sweep-3"),
            None
        );
        assert_eq!(
            parse_seq("sweep-3-2026113008444-00007.warc.gz", "sweep-3"),
            None
        );
        assert_eq!(
            parse_seq("sweep-3-20261130084444-00007.warc", "sweep-3"),
            None
        );
        assert_eq!(
            parse_seq("sweep-3-20261130084444-123456.warc.gz", "sweep-3"),
            Some(123456)
        );
    }

    #[test]
    fn config_validation() {
        let ok = WriterConfig::new("/tmp/x", "wangjian-sweep-3");
        assert!(ok.validate().is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "a b"] {
            let c = WriterConfig::new("/tmp/x", bad);
            assert!(c.validate().is_err(), "{bad:?}");
        }
        let mut c = ok.clone();
        c.extra_info.push(("bad name".into(), "v".into()));
        assert!(c.validate().is_err());
    }

    #[test]
    fn gzip_member_is_a_complete_record() {
        use std::io::Read;
        let member = gzip_member(b"WARC/1.1\r\nContent-Length: 2\r\n\r\n", &[b"h", b"i"]).unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&member[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"WARC/1.1\r\nContent-Length: 2\r\n\r\nhi\r\n\r\n");
    }

    /// Takes at most 7 bytes per call and is interrupted every third call.
    struct Trickle(Vec<u8>, usize);

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.1 += 1;
            if self.1.is_multiple_of(3) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(7);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn vectored_writes_put_every_part_in_order() {
        let parts: Vec<Vec<u8>> = (0..2000u32)
            .map(|i| i.to_string().repeat(i as usize % 5).into_bytes())
            .collect();
        let mut w = Trickle(Vec::new(), 0);
        write_all_parts(&mut w, parts.iter().map(|p| &p[..])).unwrap();
        assert_eq!(w.0, parts.concat());
        let mut v = Vec::new();
        write_all_parts(&mut v, parts.iter().map(|p| &p[..])).unwrap();
        assert_eq!(v, parts.concat());
    }

    fn exchange<'a>(uri: &'a str, body: &'a [u8], metadata: bool) -> ExchangeRecord<'a> {
        ExchangeRecord {
            target_uri: uri,
            date: Utc::now(),
            request_head: b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n",
            response_head: Some(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"),
            response_body: body,
            remote_ip: None,
            metadata: if metadata {
                vec![("fetch-note".into(), "x".into())]
            } else {
                Vec::new()
            },
        }
    }

    fn check_refs(dir: &Path, refs: &[CaptureRefs]) {
        for r in refs {
            let all = [Some(&r.request), r.response.as_ref(), r.metadata.as_ref()];
            for rec_ref in all.into_iter().flatten() {
                let rec = crate::read_record_at(&dir.join(&rec_ref.file), rec_ref.offset).unwrap();
                assert_eq!(rec.record_id(), Some(rec_ref.record_id.as_str()));
                assert_eq!(rec.length, rec_ref.length);
                assert!(crate::verify_record(&rec).is_empty());
                assert_eq!(
                    rec.header("WARC-Block-Digest"),
                    Some(rec_ref.block_digest.as_str())
                );
            }
        }
    }

    #[test]
    fn a_file_changed_by_another_process_is_not_written_to_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = WarcWriter::open(WriterConfig::new(dir.path(), "cut")).unwrap();
        let first = w
            .write_exchange(&exchange("http://a.test/1", b"one", false))
            .unwrap();
        let path = w.current_file().to_path_buf();
        // Cut in the middle of the response, as a repair of a writer taken for dead would.
        let cut = first.response.as_ref().unwrap().offset + 5;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(cut)
            .unwrap();
        let refused = w.write_exchange(&exchange("http://a.test/2", b"two", false));
        match refused {
            Err(EvidenceError::FileChanged {
                path: p,
                found,
                expected,
            }) => {
                assert_eq!((p, found), (path.clone(), cut));
                assert!(expected > cut);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            cut,
            "nothing added"
        );
        let batch = w.write_exchanges(&[exchange("http://a.test/3", b"three", false)]);
        let next = batch.unwrap().remove(0);
        assert_ne!(
            dir.path().join(&next.request.file),
            path,
            "the next record goes to a new file"
        );
        check_refs(dir.path(), &[next]);
    }

    /// Moves each finished file to `to`, as a worker's upload to the object store removes
    /// its copy; refuses once `refuse` is set.
    #[derive(Debug)]
    struct MoveTo {
        to: PathBuf,
        handed: std::sync::Arc<Mutex<Vec<String>>>,
        refuse: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }

    impl FinishedFiles for MoveTo {
        fn finished(&mut self, path: &Path) -> Result<(), EvidenceError> {
            if self.refuse.load(Ordering::SeqCst) {
                return Err(EvidenceError::HandOver {
                    path: path.to_path_buf(),
                    reason: "store away".into(),
                });
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            fs::rename(path, self.to.join(&name)).unwrap();
            self.handed.lock().unwrap().push(name);
            Ok(())
        }
    }

    #[test]
    fn every_flush_hands_on_the_files_it_ended_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let away = tempfile::tempdir().unwrap();
        let handed = std::sync::Arc::new(Mutex::new(Vec::new()));
        let refuse = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut config = WriterConfig::new(dir.path(), "hand");
        config.max_file_bytes = 1500;
        let mut w = WarcWriter::open(config).unwrap();
        w.hand_finished_files_to(Box::new(MoveTo {
            to: away.path().to_path_buf(),
            handed: handed.clone(),
            refuse: refuse.clone(),
        }));
        // Nothing written yet: a flush hands nothing on.
        w.flush().unwrap();
        assert!(handed.lock().unwrap().is_empty());
        // One exchange, then a flush: its file goes, the next record starts a new one.
        let one = w
            .write_exchange(&exchange("http://a.test/1", b"one", false))
            .unwrap();
        assert!(handed.lock().unwrap().is_empty(), "not before the flush");
        w.flush().unwrap();
        assert_eq!(*handed.lock().unwrap(), vec![one.request.file.clone()]);
        check_refs(away.path(), std::slice::from_ref(&one));
        // Files rolled by size between two flushes go at the next flush, in order.
        let body = vec![b'x'; 3000];
        let refs: Vec<CaptureRefs> = (0..3)
            .map(|i| {
                w.write_exchange(&exchange(&format!("http://a.test/r{i}"), &body, false))
                    .unwrap()
            })
            .collect();
        assert_eq!(
            handed.lock().unwrap().len(),
            1,
            "rolled files wait for the flush"
        );
        w.flush().unwrap();
        let mut files: Vec<String> = refs.iter().map(|r| r.request.file.clone()).collect();
        files.dedup();
        assert!(files.len() > 1, "{files:?}");
        assert_eq!(handed.lock().unwrap()[1..], files[..]);
        check_refs(away.path(), &refs);
        // A refused hand-over fails the flush and is tried again by the next.
        let last = w
            .write_exchange(&exchange("http://a.test/last", b"last", false))
            .unwrap();
        refuse.store(true, Ordering::SeqCst);
        assert!(w.flush().is_err());
        refuse.store(false, Ordering::SeqCst);
        w.flush().unwrap();
        assert_eq!(handed.lock().unwrap().last(), Some(&last.request.file));
        check_refs(away.path(), &[last]);
        // A write that fails (here: the file cut under the writer) loses what that file got
        // since the last flush: the next flush fails, and that file is never handed on.
        let doomed = w
            .write_exchange(&exchange("http://a.test/doomed", b"doomed", false))
            .unwrap();
        let path = dir.path().join(&doomed.request.file);
        fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(doomed.request.offset + 3)
            .unwrap();
        assert!(w
            .write_exchange(&exchange("http://a.test/b", b"b", false))
            .is_err());
        assert!(w.flush().is_err(), "the doomed record is not stored");
        let after = w
            .write_exchange(&exchange("http://a.test/after", b"after", false))
            .unwrap();
        w.flush().unwrap();
        let handed_now = handed.lock().unwrap().clone();
        assert_eq!(handed_now.last(), Some(&after.request.file));
        assert!(!handed_now.contains(&doomed.request.file));
        check_refs(away.path(), &[after]);
        // What is left here: the cut file, and the one begun after the last flush (its
        // warcinfo only).
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left.len(), 2, "{left:?}");
        assert_eq!(left[0], doomed.request.file);
    }

    #[test]
    fn a_batch_writes_what_single_writes_would_at_exact_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let bodies: Vec<Vec<u8>> = (0..40)
            .map(|i| format!("<p>page {i}</p>").repeat(i * 7 + 1).into_bytes())
            .collect();
        let uris: Vec<String> = (0..40).map(|i| format!("http://a.test/{i}")).collect();
        let exs: Vec<ExchangeRecord<'_>> = (0..40)
            .map(|i| exchange(&uris[i], &bodies[i], i % 3 == 0))
            .collect();
        let mut w = WarcWriter::open(WriterConfig::new(dir.path(), "batch")).unwrap();
        let mut refs = w.write_exchanges(&exs[..25]).unwrap();
        refs.push(w.write_exchange(&exs[25]).unwrap());
        refs.extend(w.write_exchanges(&exs[26..]).unwrap());
        assert!(w.write_exchanges(&[]).unwrap().is_empty());
        w.flush().unwrap();
        assert_eq!(refs.len(), 40);
        check_refs(dir.path(), &refs);
        // In input order, back to back, and the file is exactly the members written.
        let recs: Vec<_> = crate::open_reader(w.current_file())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let uris_read: Vec<_> = recs
            .iter()
            .filter(|r| r.warc_type() == Some("response"))
            .map(|r| r.target_uri().unwrap().to_string())
            .collect();
        assert_eq!(uris_read, uris);
        let last = recs.last().unwrap();
        let size = fs::metadata(w.current_file()).unwrap().len();
        assert_eq!(last.offset + last.length, size);
        for (i, r) in refs.iter().enumerate() {
            assert_eq!(r.metadata.is_some(), i % 3 == 0);
            let resp = r.response.as_ref().unwrap();
            assert_eq!(resp.offset, r.request.offset + r.request.length);
            assert_eq!(
                resp.payload_digest.as_deref(),
                Some(sha256_label(&bodies[i]).as_str())
            );
        }
    }

    #[test]
    fn a_batch_rolls_where_single_writes_would() {
        let dir = tempfile::tempdir().unwrap();
        let body = vec![b'x'; 3000];
        let uris: Vec<String> = (0..12).map(|i| format!("http://a.test/{i}")).collect();
        let exs: Vec<ExchangeRecord<'_>> = uris.iter().map(|u| exchange(u, &body, false)).collect();
        let mut config = WriterConfig::new(dir.path(), "roll");
        config.max_file_bytes = 1500;
        let mut w = WarcWriter::open(config).unwrap();
        let refs = w.write_exchanges(&exs).unwrap();
        check_refs(dir.path(), &refs);
        let files: std::collections::BTreeSet<_> = refs.iter().map(|r| &r.request.file).collect();
        assert!(files.len() > 1, "{files:?}");
        for f in &files {
            let recs: Vec<_> = crate::open_reader(&dir.path().join(f))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let info = recs[0].record_id().unwrap().to_string();
            assert_eq!(recs[0].warc_type(), Some("warcinfo"));
            assert!(recs[1..]
                .iter()
                .all(|r| r.header("WARC-Warcinfo-ID") == Some(info.as_str())));
        }
    }

    #[test]
    fn an_invalid_exchange_fails_the_batch_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = WarcWriter::open(WriterConfig::new(dir.path(), "bad")).unwrap();
        let before = fs::metadata(w.current_file()).unwrap().len();
        let good = exchange("http://a.test/", b"ok", false);
        let bad = exchange("http://a.test/\r\nX: y", b"ok", false);
        assert!(w.write_exchanges(&[good.clone(), bad]).is_err());
        assert_eq!(fs::metadata(w.current_file()).unwrap().len(), before);
        let refs = w.write_exchanges(&[good]).unwrap();
        assert_eq!(refs[0].request.offset, before);
    }
}
