//! WARC record model: the header block the writer emits, the [`Record`] the reader returns, the
//! references handed to callers, and the split of an `application/http` block into head and body.
//!
//! Owns field formatting (dates, record ids, `application/warc-fields`) and the guard against
//! header injection: no value containing CR or LF ever reaches a header block. Must not touch
//! files, compression or digests of whole files.

use std::borrow::Cow;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::EvidenceError;

/// The version line every record written by this crate starts with.
pub const WARC_VERSION: &str = "WARC/1.1";

/// The `conformsTo` value written into every `warcinfo` record.
pub const WARC_1_1_SPEC: &str =
    "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/";

/// What a screenshot's `WARC-Target-URI` starts with: the screenshot of `http://a.test/` is
/// stored under `urn:view:http://a.test/`, as Browsertrix stores its page screenshots, so a
/// replay tool asked for the page's URL finds the page and never its picture
/// (docs/spec/evidence.md). Screenshots written before this rule carry the page URL itself.
pub const VIEW_URI_PREFIX: &str = "urn:view:";

/// The target URI of a screenshot of `page_url`: [`VIEW_URI_PREFIX`] + the URL.
pub fn view_uri(page_url: &str) -> String {
    format!("{VIEW_URI_PREFIX}{page_url}")
}

/// The page a screenshot's target URI names: the URL after [`VIEW_URI_PREFIX`], or the target
/// itself for a screenshot stored under its page's URL (as wangjian wrote them before).
pub fn viewed_page(target_uri: &str) -> &str {
    target_uri
        .strip_prefix(VIEW_URI_PREFIX)
        .unwrap_or(target_uri)
}

/// One HTTP exchange as the crawler saw it, to be written as `request` + `response` (+ `metadata`).
#[derive(Clone, Debug)]
pub struct ExchangeRecord<'a> {
    /// The URL fetched; becomes `WARC-Target-URI` on every record of the exchange.
    pub target_uri: &'a str,
    /// When the request was sent; written (to the second) as the `WARC-Date` of all records.
    pub date: DateTime<Utc>,
    /// Raw HTTP request bytes including the blank line; a request body, if any, may follow it.
    pub request_head: &'a [u8],
    /// Raw status line + headers + CRLFCRLF; `None` when no response arrived.
    pub response_head: Option<&'a [u8]>,
    /// The body exactly as received on the wire (still chunked if the head says
    /// `Transfer-Encoding: chunked`). Must be empty when `response_head` is `None`.
    pub response_body: &'a [u8],
    /// Server address, written as `WARC-IP-Address` on the response.
    pub remote_ip: Option<IpAddr>,
    /// Observations written as a `metadata` record (`application/warc-fields`) when non-empty.
    pub metadata: Vec<(String, String)>,
}

/// The WARC 1.1 profile of a `revisit` record whose payload is identical to an earlier one's.
pub const REVISIT_IDENTICAL_PAYLOAD: &str =
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";

/// An earlier `response` record whose payload a new response may repeat: then the new response
/// is written as a `revisit` record referring to it (see
/// [`crate::WarcWriter::write_exchange_or_revisit`]).
#[derive(Clone, Debug)]
pub struct RevisitOf<'a> {
    /// The earlier record's `WARC-Record-ID` (`<urn:uuid:…>`): written as `WARC-Refers-To`.
    pub record_id: &'a str,
    /// Its `WARC-Target-URI`: written as `WARC-Refers-To-Target-URI`.
    pub target_uri: &'a str,
    /// Its `WARC-Date`: written as `WARC-Refers-To-Date`.
    pub date: DateTime<Utc>,
    /// Its `WARC-Payload-Digest` (`sha256:<hex>`).
    pub payload_digest: &'a str,
}

/// Where a record landed and what it hashes to. Enough to find it again and to log it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    /// File name relative to the writer's directory.
    pub file: String,
    /// Byte offset of the record's gzip member in the file.
    pub offset: u64,
    /// Compressed length of the gzip member.
    pub length: u64,
    /// `<urn:uuid:…>`.
    pub record_id: String,
    /// `sha256:<lowercase hex>` over the whole block.
    pub block_digest: String,
    /// `sha256:<lowercase hex>` over the payload, for records that declare one.
    pub payload_digest: Option<String>,
}

/// The records written for one exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRefs {
    pub request: RecordRef,
    pub response: Option<RecordRef>,
    pub metadata: Option<RecordRef>,
}

/// A record as read back from a WARC file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// WARC named fields in file order (continuation lines joined by a space).
    pub headers: Vec<(String, String)>,
    /// The record block, exactly `Content-Length` bytes.
    pub block: Vec<u8>,
    /// Offset of the record in the file: of its gzip member for `.warc.gz`.
    pub offset: u64,
    /// Bytes the record occupies in the file (compressed member length for `.warc.gz`).
    pub length: u64,
}

impl Record {
    /// First field with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        field(&self.headers, name)
    }

    /// `WARC-Type`.
    pub fn warc_type(&self) -> Option<&str> {
        self.header("WARC-Type")
    }

    /// `WARC-Record-ID`.
    pub fn record_id(&self) -> Option<&str> {
        self.header("WARC-Record-ID")
    }

    /// `WARC-Target-URI`.
    pub fn target_uri(&self) -> Option<&str> {
        self.header("WARC-Target-URI")
    }

    /// Whether the block is an HTTP message (`Content-Type: application/http…`).
    pub fn is_http(&self) -> bool {
        is_http_type(self.header("Content-Type"))
    }

    /// For `application/http` blocks: the head (start line and headers, including the blank
    /// line) and the body exactly as stored (not de-chunked). `None` for other blocks or a head
    /// without a terminating blank line.
    pub fn http_parts(&self) -> Option<(&[u8], &[u8])> {
        if !self.is_http() {
            return None;
        }
        http_msg::split_message(&self.block)
    }
}

/// A record as verification reads it: its fields and block borrowed from the bytes they were
/// read from where the whole record lay in the reader's buffer
/// ([`crate::WarcReader::next_view`]), owned otherwise. Its fields mean what a [`Record`]'s do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// WARC named fields in file order (continuation lines joined by a space).
    pub headers: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The record block, exactly `Content-Length` bytes.
    pub block: Cow<'a, [u8]>,
    /// Offset of the record in the file: of its gzip member for `.warc.gz`.
    pub offset: u64,
    /// Bytes the record occupies in the file (compressed member length for `.warc.gz`).
    pub length: u64,
}

impl From<Record> for RecordView<'static> {
    fn from(rec: Record) -> Self {
        RecordView {
            headers: rec
                .headers
                .into_iter()
                .map(|(n, v)| (Cow::Owned(n), Cow::Owned(v)))
                .collect(),
            block: Cow::Owned(rec.block),
            offset: rec.offset,
            length: rec.length,
        }
    }
}

impl From<RecordView<'_>> for Record {
    fn from(view: RecordView<'_>) -> Self {
        Record {
            headers: view
                .headers
                .into_iter()
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect(),
            block: view.block.into_owned(),
            offset: view.offset,
            length: view.length,
        }
    }
}

/// What the digest checks read of a record, owned ([`Record`]) or borrowed ([`RecordView`]):
/// its named fields and its block.
pub trait RecordParts {
    /// First field with this name, compared case-insensitively.
    fn field(&self, name: &str) -> Option<&str>;
    /// The record block.
    fn block(&self) -> &[u8];

    /// Whether the block is an HTTP message (`Content-Type: application/http…`).
    fn is_http_block(&self) -> bool {
        is_http_type(self.field("Content-Type"))
    }
}

impl RecordParts for Record {
    fn field(&self, name: &str) -> Option<&str> {
        self.header(name)
    }
    fn block(&self) -> &[u8] {
        &self.block
    }
}

impl RecordParts for RecordView<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        field(&self.headers, name)
    }
    fn block(&self) -> &[u8] {
        &self.block
    }
}

/// The first of `headers` named `name` (ASCII case ignored).
fn field<'a, S: AsRef<str>>(headers: &'a [(S, S)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

/// Whether a `Content-Type` value is `application/http` (parameters and case ignored).
fn is_http_type(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("application/http")
    })
}

/// `WARC-Date` format: UTC to the second, e.g. `2026-11-30T08:44:44Z`.
pub(crate) fn warc_date(date: DateTime<Utc>) -> String {
    date.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A fresh `<urn:uuid:…>` record id (UUID v4).
pub(crate) fn new_record_id() -> String {
    format!(
        "<urn:uuid:{}>",
        uuid::Builder::from_random_bytes(random_16()).into_uuid()
    )
}

/// 16 bytes from the operating system's random source, drawn from a per-thread buffer refilled
/// 512 bytes at a time (one `getrandom` call per 32 ids instead of one per id; small because
/// the writer's batch threads are short-lived). The buffer is dropped in a forked child
/// (process id changed), so a fork never repeats its parent's ids.
fn random_16() -> [u8; 16] {
    use std::cell::RefCell;
    const BUF: usize = 512;
    thread_local! {
        static POOL: RefCell<(u32, usize, [u8; BUF])> = const { RefCell::new((0, BUF, [0; BUF])) };
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let (pid, used, buf) = &mut *pool;
        let me = std::process::id();
        if *used + 16 > BUF || *pid != me {
            if getrandom::fill(buf).is_err() {
                // Not expected on any supported platform; uuid's own source as a fallback.
                return *uuid::Uuid::new_v4().as_bytes();
            }
            (*pid, *used) = (me, 0);
        }
        let mut out = [0u8; 16];
        out.copy_from_slice(&buf[*used..*used + 16]);
        *used += 16;
        out
    })
}

/// Reject values that would break a header line: CR, LF and other control characters.
pub(crate) fn check_field_value(field: &str, value: &str) -> Result<(), EvidenceError> {
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(EvidenceError::invalid(
            field,
            "contains a control character (CR/LF would inject header fields)",
        ));
    }
    Ok(())
}

/// Field names (WARC headers and `application/warc-fields` names) must be HTTP tokens.
pub(crate) fn check_field_name(name: &str) -> Result<(), EvidenceError> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(EvidenceError::invalid(
            format!("field name {name:?}"),
            "must be a non-empty token (letters, digits, -._ etc.; no ':' or spaces)",
        ));
    }
    Ok(())
}

/// Body of an `application/warc-fields` block. Names must be tokens (checked by the caller with
/// [`check_field_name`]); values are written on one line, any CR/LF/control run replaced by a
/// single space, since the format has no escaping and losing a whole record over a newline in an
/// error message would be worse.
pub(crate) fn warc_fields(pairs: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in pairs {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        let mut in_ctl = false;
        for c in value.trim().chars() {
            if c.is_control() && c != '\t' {
                if !in_ctl {
                    out.push(b' ');
                }
                in_ctl = true;
            } else {
                in_ctl = false;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A header block under construction, in the order fields are pushed.
pub(crate) struct HeaderBlock {
    fields: Vec<(&'static str, String)>,
}

impl HeaderBlock {
    pub(crate) fn new(warc_type: &'static str, record_id: &str, date: &str) -> Self {
        HeaderBlock {
            fields: vec![
                ("WARC-Type", warc_type.to_string()),
                ("WARC-Record-ID", record_id.to_string()),
                ("WARC-Date", date.to_string()),
            ],
        }
    }

    /// Add a field; values from callers must have passed [`check_field_value`] already.
    pub(crate) fn push(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.fields.push((name, value.into()));
        self
    }

    /// Serialize with the version line, `Content-Length` last, and the blank line.
    pub(crate) fn to_bytes(&self, content_length: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(WARC_VERSION.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.fields {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            // Defence in depth: a CR or LF here would let data forge fields.
            out.extend(
                value
                    .bytes()
                    .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {content_length}\r\n\r\n").as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn date_is_utc_seconds() {
        let d = Utc.with_ymd_and_hms(2026, 11, 30, 8, 44, 44).unwrap();
        assert_eq!(warc_date(d), "2026-11-30T08:44:44Z");
    }

    #[test]
    fn record_ids_are_urn_uuids() {
        let id = new_record_id();
        assert!(id.starts_with("<urn:uuid:") && id.ends_with('>') && id.len() == 47);
        assert_ne!(id, new_record_id());
        // Buffered randomness: still distinct, still version 4 (…-4xxx-[89ab]xxx-…).
        let ids: std::collections::HashSet<String> = (0..2000).map(|_| new_record_id()).collect();
        assert_eq!(ids.len(), 2000);
        assert!(ids.iter().all(|id| {
            let u = uuid::Uuid::parse_str(&id[10..46]).unwrap();
            u.get_version_num() == 4 && u.get_variant() == uuid::Variant::RFC4122
        }));
    }

    #[test]
    fn warc_fields_flatten_newlines() {
        let body = warc_fields(&[
            ("error".into(), "timeout\r\nInjected: yes".into()),
            ("fetch-profile".into(), "browser".into()),
        ]);
        assert_eq!(
            body,
            b"error: timeout Injected: yes\r\nfetch-profile: browser\r\n".to_vec()
        );
    }

    #[test]
    fn field_checks() {
        assert!(check_field_value("uri", "http://a/b c").is_ok());
        assert!(check_field_value("uri", "http://a/\r\nWARC-Type: x").is_err());
        assert!(check_field_name("sweep-id").is_ok());
        assert!(check_field_name("bad name").is_err());
        assert!(check_field_name("a:b").is_err());
        assert!(check_field_name("").is_err());
    }

    #[test]
    fn header_block_layout() {
        let mut h = HeaderBlock::new("resource", "<urn:uuid:x>", "2026-11-30T08:44:44Z");
        h.push("Content-Type", "image/png");
        assert_eq!(
            String::from_utf8(h.to_bytes(3)).unwrap(),
            "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:x>\r\n\
             WARC-Date: 2026-11-30T08:44:44Z\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\n"
        );
    }
}
