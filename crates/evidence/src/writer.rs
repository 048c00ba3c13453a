//! Writing evidence: rolling `.warc.gz` files, one gzip member per record, a `warcinfo` record at
//! the start of every file, `sha256:` block and payload digests on every record.
//!
//! Owns file naming and the append-only rule: a file is created with `create_new` and never
//! reopened, so existing evidence is never overwritten or appended to. Must not read files back,
//! keep an index or talk to a database; callers store the [`RecordRef`]s it returns.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::digest::{http_payload, sha256_label};
use crate::record::{
    check_field_name, check_field_value, new_record_id, warc_date, warc_fields, CaptureRefs,
    ExchangeRecord, HeaderBlock, RecordRef, WARC_1_1_SPEC,
};
use crate::EvidenceError;

/// Default roll size: 1 GiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

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
/// Each record is compressed in memory and written with a single `write_all`, so a
/// [`RecordRef`]'s offset and length are exact. If a write fails the file may end in a partial
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
}

/// One record ready to be written.
struct Pending<'a> {
    header: HeaderBlock,
    block: &'a [u8],
    record_id: String,
    payload_digest: Option<String>,
}

impl WarcWriter {
    /// Create the directory if needed and start a new file after any existing ones with the same
    /// prefix (sequence numbers continue; an existing file is never touched).
    pub fn open(config: WriterConfig) -> Result<Self, EvidenceError> {
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
        };
        writer.write_warcinfo()?;
        Ok(writer)
    }

    /// Write the `request`, the `response` (if any, `WARC-Concurrent-To` the request) and, when
    /// `ex.metadata` is non-empty, a `metadata` record referring to the response (or request).
    /// All share `ex.date` and land in the same file.
    pub fn write_exchange(
        &mut self,
        ex: &ExchangeRecord<'_>,
    ) -> Result<CaptureRefs, EvidenceError> {
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
        self.roll_if_needed()?;

        let date = warc_date(ex.date);
        let request_id = new_record_id();
        let mut header = HeaderBlock::new("request", &request_id, &date);
        header
            .push("WARC-Target-URI", ex.target_uri)
            .push("WARC-Warcinfo-ID", self.warcinfo_id.clone())
            .push("Content-Type", "application/http;msgtype=request");
        let request = self.write_record(Pending {
            header,
            block: ex.request_head,
            record_id: request_id.clone(),
            payload_digest: Some(sha256_label(&http_payload(ex.request_head))),
        })?;

        let response = match ex.response_head {
            None => None,
            Some(head) => {
                let block = [head, ex.response_body].concat();
                let response_id = new_record_id();
                let mut header = HeaderBlock::new("response", &response_id, &date);
                header
                    .push("WARC-Target-URI", ex.target_uri)
                    .push("WARC-Warcinfo-ID", self.warcinfo_id.clone());
                if let Some(ip) = ex.remote_ip {
                    header.push("WARC-IP-Address", ip.to_string());
                }
                header
                    .push("WARC-Concurrent-To", request_id.clone())
                    .push("Content-Type", "application/http;msgtype=response");
                let payload_digest = Some(sha256_label(&http_payload(&block)));
                Some(self.write_record(Pending {
                    header,
                    block: &block,
                    record_id: response_id,
                    payload_digest,
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
                .push("WARC-Warcinfo-ID", self.warcinfo_id.clone())
                .push("WARC-Refers-To", refers_to)
                .push("Content-Type", "application/warc-fields");
            Some(self.write_record(Pending {
                header,
                block: &block,
                record_id: id,
                payload_digest: None,
            })?)
        };

        Ok(CaptureRefs {
            request,
            response,
            metadata,
        })
    }

    /// Write a `resource` record (e.g. a screenshot, `image/png`, with the page URL as target).
    pub fn write_resource(
        &mut self,
        target_uri: &str,
        date: DateTime<Utc>,
        content_type: &str,
        data: &[u8],
    ) -> Result<RecordRef, EvidenceError> {
        check_target_uri(target_uri)?;
        check_field_value("content_type", content_type)?;
        if content_type.trim().is_empty() {
            return Err(EvidenceError::invalid("content_type", "must not be empty"));
        }
        self.roll_if_needed()?;
        let id = new_record_id();
        let mut header = HeaderBlock::new("resource", &id, &warc_date(date));
        header
            .push("WARC-Target-URI", target_uri)
            .push("WARC-Warcinfo-ID", self.warcinfo_id.clone())
            .push("Content-Type", content_type.trim());
        self.write_record(Pending {
            header,
            block: data,
            record_id: id,
            payload_digest: Some(sha256_label(data)),
        })
    }

    /// Flush to stable storage (fsync). Records are written unbuffered, so this is only the sync.
    pub fn flush(&mut self) -> Result<(), EvidenceError> {
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
            self.flush()?;
        }
        let (file, path, file_name, seq) = create_file(&self.config, self.seq + 1)?;
        self.file = file;
        self.path = path;
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
        self.write_record(Pending {
            header,
            block: &block,
            record_id: id.clone(),
            payload_digest: None,
        })?;
        self.warcinfo_id = id;
        self.has_content = false;
        Ok(())
    }

    fn write_record(&mut self, rec: Pending<'_>) -> Result<RecordRef, EvidenceError> {
        let block_digest = sha256_label(rec.block);
        let mut header = rec.header;
        header.push("WARC-Block-Digest", block_digest.clone());
        if let Some(p) = &rec.payload_digest {
            header.push("WARC-Payload-Digest", p.clone());
        }
        let head = header.to_bytes(rec.block.len());
        let member = gzip_member(&head, rec.block).map_err(|e| EvidenceError::io(&self.path, e))?;

        let offset = self.position;
        if let Err(e) = self.file.write_all(&member) {
            self.broken = true;
            return Err(EvidenceError::io(&self.path, e));
        }
        self.position += member.len() as u64;
        self.has_content = true;
        Ok(RecordRef {
            file: self.file_name.clone(),
            offset,
            length: member.len() as u64,
            record_id: rec.record_id,
            block_digest,
            payload_digest: rec.payload_digest,
        })
    }
}

/// One record as one gzip member: header block, block, `\r\n\r\n`.
fn gzip_member(head: &[u8], block: &[u8]) -> io::Result<Vec<u8>> {
    let mut gz = GzEncoder::new(
        Vec::with_capacity(head.len() + block.len() / 2 + 64),
        Compression::new(6),
    );
    gz.write_all(head)?;
    gz.write_all(block)?;
    gz.write_all(b"\r\n\r\n")?;
    gz.finish()
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
        let member = gzip_member(b"WARC/1.1\r\nContent-Length: 2\r\n\r\n", b"hi").unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&member[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"WARC/1.1\r\nContent-Length: 2\r\n\r\nhi\r\n\r\n");
    }
}
