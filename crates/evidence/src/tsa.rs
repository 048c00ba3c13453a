//! Trusted time: an RFC 3161 time-stamp client for signed checkpoints.
//!
//! A checkpoint's `time` line is the signer's own clock. Where a third party's word on the time
//! is needed, a configured Time-Stamping Authority (TSA) signs a token over the SHA-256 of the
//! checkpoint note as stored (the whole file: checkpoint text and signature lines). The token
//! (a CMS `ContentInfo` holding `SignedData` over a `TSTInfo`) is kept beside the note as
//! `checkpoints/<size>-<unix seconds>.tsr` ([`crate::tlog::checkpoint::store_token`]), so
//! `openssl ts -verify -token_in -in X.tsr -data X.note -CAfile tsa-ca.pem` checks it with no
//! wangjian code at all. Nothing here runs unless a TSA URL is configured.
//!
//! What this module checks ([`verify_token`]): the token is well-formed DER of the expected
//! shape (`ContentInfo` of type `signedData` whose encapsulated content is an `id-ct-TSTInfo`),
//! the `TSTInfo` is version 1, its message imprint is SHA-256 and equals the SHA-256 of the
//! note, and its `genTime` parses. [`request_token`] additionally checks the response status
//! (granted or grantedWithMods) and that the token echoes the request's nonce.
//!
//! What it does **not** check: the CMS signature over the `TSTInfo`, the signer certificate,
//! its chain to a trusted root, its `timeStamping` extended key usage, or the ESS
//! signing-certificate attribute. Those need the TSA's CA certificate and are left to
//! `openssl ts -verify` (or any RFC 3161 verifier). Without them a token proves nothing about
//! time: anyone can write a `TSTInfo`.
//!
//! Transport: HTTP/1.1 `POST` (`application/timestamp-query`) over a plain `TcpStream`, with
//! timeouts; `http://` URLs only (a TSA token is signed, so TLS adds no integrity). The DER
//! encoding and parsing are hand-written and minimal (definite lengths, low tag numbers).
//!
//! Must not: depend on an async runtime, or change a stored note or token.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

use crate::tlog::checkpoint::{store_token, CheckpointError};

/// The media type of a request.
pub const QUERY_CONTENT_TYPE: &str = "application/timestamp-query";
/// The media type of a response.
pub const REPLY_CONTENT_TYPE: &str = "application/timestamp-reply";
/// The largest HTTP response read from a TSA.
const MAX_RESPONSE: usize = 1 << 20;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// DER of the OID 2.16.840.1.101.3.4.2.1 (id-sha256), without tag and length.
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// 1.2.840.113549.1.7.2 (id-signedData).
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
/// 1.2.840.113549.1.9.16.1.4 (id-ct-TSTInfo).
const OID_TST_INFO: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
];

const INTEGER: u8 = 0x02;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;
const GENERALIZED_TIME: u8 = 0x18;
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
/// `[0]` constructed (EXPLICIT), as in `ContentInfo.content` and `eContent`.
const CTX0: u8 = 0xa0;

/// Everything the TSA client can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TsaError {
    /// The TSA URL cannot be used (not `http://`, no host).
    #[error("TSA URL {url:?}: {reason}")]
    Url { url: String, reason: String },
    /// Connecting to the TSA, sending or receiving failed.
    #[error("TSA {url}: {reason}")]
    Transport { url: String, reason: String },
    /// The TSA answered, but not with a time-stamp response.
    #[error("TSA {url}: HTTP {status}: {reason}")]
    Http {
        url: String,
        status: u16,
        reason: String,
    },
    /// The TSA refused the request (PKIStatus other than granted / grantedWithMods).
    #[error("the TSA refused the request: status {status}{}", text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Rejected { status: u64, text: Option<String> },
    /// The response or token is not the DER structure RFC 3161 defines.
    #[error("malformed time-stamp {what}: {reason}")]
    Malformed {
        what: &'static str,
        reason: &'static str,
    },
    /// The token's message imprint is not SHA-256 of the data.
    #[error("the time-stamp token covers {token_hash}, not the data's SHA-256 {data_hash}")]
    ImprintMismatch {
        token_hash: String,
        data_hash: String,
    },
    /// The token does not echo the request's nonce (a replayed or mixed-up response).
    #[error("the time-stamp token's nonce does not match the request's")]
    NonceMismatch,
    /// The random nonce could not be drawn.
    #[error("cannot draw a nonce: {0}")]
    Random(String),
    /// Reading the note failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Storing the token beside the note failed (an existing token is never replaced).
    #[error(transparent)]
    Store(#[from] CheckpointError),
}

fn malformed(what: &'static str, reason: &'static str) -> TsaError {
    TsaError::Malformed { what, reason }
}

/// What a token says, as far as [`verify_token`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// `TSTInfo.genTime`: the time the TSA vouches for.
    pub gen_time: DateTime<Utc>,
    /// `TSTInfo.tsa` when the TSA names itself with a directory name (`CN=..., O=..., C=...`,
    /// common attributes only), or a DNS / URI name.
    pub tsa_name: Option<String>,
    /// `TSTInfo.policy`, dotted.
    pub policy: String,
    /// `TSTInfo.serialNumber`, hex (big-endian, as encoded).
    pub serial: String,
    /// `TSTInfo.nonce` (big-endian, leading zero bytes removed), if any.
    pub nonce: Option<Vec<u8>>,
}

/// A token requested and stored by [`timestamp_note`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The token (DER `ContentInfo`), as stored.
    pub token: Vec<u8>,
    /// Beside the note: `<size>-<unix seconds>.tsr`.
    pub path: PathBuf,
    pub info: TokenInfo,
}

/// Requests a token over the note at `note_path` (its bytes as stored) from the TSA at `url`,
/// checks it ([`request_token`]) and stores it beside the note ([`store_token`]).
pub fn timestamp_note(url: &str, note_path: &Path) -> Result<StoredToken, TsaError> {
    let note = std::fs::read(note_path).map_err(|source| TsaError::Io {
        path: note_path.to_path_buf(),
        source,
    })?;
    let (token, info) = request_token(url, &note)?;
    let path = store_token(note_path, &token)?;
    Ok(StoredToken { token, path, info })
}

/// Asks the TSA at `url` for a token over `data` (SHA-256, a fresh 64-bit nonce, certificate
/// requested), checks the response status, the token's imprint and nonce, and returns the token
/// (DER `ContentInfo`) with what it says.
pub fn request_token(url: &str, data: &[u8]) -> Result<(Vec<u8>, TokenInfo), TsaError> {
    let hash: [u8; 32] = Sha256::digest(data).into();
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| TsaError::Random(e.to_string()))?;
    let request = encode_request(&hash, &nonce);
    let body = http_post(url, &request)?;
    let token = parse_response(&body)?;
    let info = verify_token(&token, data)?;
    if info.nonce.as_deref() != Some(strip_zeros(&nonce)) {
        return Err(TsaError::NonceMismatch);
    }
    Ok((token, info))
}

/// DER `TimeStampReq` (RFC 3161 §2.4.1): version 1, SHA-256 imprint of `hash`, `nonce` (as a
/// positive INTEGER), `certReq` TRUE; no policy, no extensions.
pub fn encode_request(hash: &[u8; 32], nonce: &[u8]) -> Vec<u8> {
    let alg = tlv(SEQUENCE, &[tlv(OID, OID_SHA256), tlv(NULL, &[])].concat());
    let imprint = tlv(SEQUENCE, &[alg, tlv(OCTET_STRING, hash)].concat());
    let mut n = strip_zeros(nonce).to_vec();
    if n.is_empty() || n[0] & 0x80 != 0 {
        n.insert(0, 0);
    }
    tlv(
        SEQUENCE,
        &[
            tlv(INTEGER, &[1]),
            imprint,
            tlv(INTEGER, &n),
            tlv(BOOLEAN, &[0xff]),
        ]
        .concat(),
    )
}

/// The token (DER `ContentInfo`) of a DER `TimeStampResp`, if its status is granted (0) or
/// grantedWithMods (1).
pub fn parse_response(der: &[u8]) -> Result<Vec<u8>, TsaError> {
    const W: &str = "response";
    let mut resp = Der::new(der).sequence(W)?;
    let mut status_info = resp.sequence(W)?;
    let status = uint(status_info.expect(INTEGER, W)?, W)?;
    if status > 1 {
        // statusString is a SEQUENCE OF UTF8String.
        let text = status_info.optional(SEQUENCE).and_then(|s| {
            let parts: Vec<String> = Der::new(s)
                .iter()
                .filter_map(|r| r.ok())
                .filter(|(tag, _)| *tag == 0x0c)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        });
        return Err(TsaError::Rejected { status, text });
    }
    let token = resp
        .raw(SEQUENCE)
        .ok_or(malformed(W, "status granted but no token"))?;
    Ok(token.to_vec())
}

/// Checks that `token` (a DER `ContentInfo` time-stamp token, or a whole `TimeStampResp`
/// holding one) is a well-formed RFC 3161 token whose SHA-256 message imprint is the hash of
/// `data`, and returns what it says. Does **not** check the CMS signature or the TSA's
/// certificate (see the module documentation).
pub fn verify_token(token: &[u8], data: &[u8]) -> Result<TokenInfo, TsaError> {
    const W: &str = "token";
    // A TimeStampResp starts with the PKIStatusInfo SEQUENCE; a ContentInfo with an OID.
    let mut outer = Der::new(token).sequence(W)?;
    if outer.peek_tag() == Some(SEQUENCE) {
        return verify_token(&parse_response(token)?, data);
    }
    if outer.expect(OID, W)? != OID_SIGNED_DATA {
        return Err(malformed(W, "content type is not signedData"));
    }
    let mut signed = Der::new(outer.expect(CTX0, W)?).sequence(W)?;
    signed.expect(INTEGER, W)?; // version
    signed.expect(SET, W)?; // digestAlgorithms
    let mut encap = signed.sequence(W)?;
    if encap.expect(OID, W)? != OID_TST_INFO {
        return Err(malformed(W, "encapsulated content is not a TSTInfo"));
    }
    let e_content = Der::new(encap.expect(CTX0, W)?).expect(OCTET_STRING, W)?;
    let info = parse_tst_info(e_content)?;
    let data_hash: [u8; 32] = Sha256::digest(data).into();
    if info.1 != data_hash {
        return Err(TsaError::ImprintMismatch {
            token_hash: hex::encode(&info.1),
            data_hash: hex::encode(data_hash),
        });
    }
    Ok(info.0)
}

/// `TSTInfo` (RFC 3161 §2.4.2) and its SHA-256 imprint's hash.
fn parse_tst_info(der: &[u8]) -> Result<(TokenInfo, Vec<u8>), TsaError> {
    const W: &str = "TSTInfo";
    let mut tst = Der::new(der).sequence(W)?;
    if uint(tst.expect(INTEGER, W)?, W)? != 1 {
        return Err(malformed(W, "version is not 1"));
    }
    let policy = oid_to_string(tst.expect(OID, W)?);
    let mut imprint = tst.sequence(W)?;
    let mut alg = imprint.sequence(W)?;
    if alg.expect(OID, W)? != OID_SHA256 {
        return Err(malformed(W, "message imprint is not SHA-256"));
    }
    let hash = imprint.expect(OCTET_STRING, W)?.to_vec();
    let serial = hex::encode(tst.expect(INTEGER, W)?);
    let gen_time = parse_generalized_time(tst.expect(GENERALIZED_TIME, W)?)
        .ok_or(malformed(W, "genTime is not a GeneralizedTime"))?;
    tst.optional(SEQUENCE); // accuracy
    tst.optional(BOOLEAN); // ordering
    let nonce = tst.optional(INTEGER).map(|n| strip_zeros(n).to_vec());
    let tsa_name = tst.optional(CTX0).and_then(general_name);
    Ok((
        TokenInfo {
            gen_time,
            tsa_name,
            policy,
            serial,
            nonce,
        },
        hash,
    ))
}

/// A readable `GeneralName`: directoryName `[4]`, dNSName `[2]` or URI `[6]`.
fn general_name(der: &[u8]) -> Option<String> {
    let (tag, value) = Der::new(der).iter().next()?.ok()?;
    match tag {
        0x82 | 0x86 => Some(String::from_utf8_lossy(value).into_owned()),
        0xa4 => {
            let mut name = Der::new(value);
            let rdns = Der::new(name.raw(SEQUENCE)?)
                .expect(SEQUENCE, "name")
                .ok()?;
            let mut parts = Vec::new();
            for rdn in Der::new(rdns).iter() {
                let (_, set) = rdn.ok()?;
                for atv in Der::new(set).iter() {
                    let (_, atv) = atv.ok()?;
                    let mut atv = Der::new(atv);
                    let oid = atv.expect(OID, "name").ok()?;
                    let (_, v) = atv.iter().next()?.ok()?;
                    let key = match oid {
                        [0x55, 0x04, 0x03] => "CN".to_string(),
                        [0x55, 0x04, 0x06] => "C".to_string(),
                        [0x55, 0x04, 0x07] => "L".to_string(),
                        [0x55, 0x04, 0x08] => "ST".to_string(),
                        [0x55, 0x04, 0x0a] => "O".to_string(),
                        [0x55, 0x04, 0x0b] => "OU".to_string(),
                        other => oid_to_string(other),
                    };
                    parts.push(format!("{key}={}", String::from_utf8_lossy(v)));
                }
            }
            Some(parts.join(", "))
        }
        _ => None,
    }
}

/// `YYYYMMDDHHMMSS[.f+]Z`.
fn parse_generalized_time(v: &[u8]) -> Option<DateTime<Utc>> {
    let s = std::str::from_utf8(v).ok()?.strip_suffix('Z')?;
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if whole.len() != 14 || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let t = NaiveDateTime::parse_from_str(whole, "%Y%m%d%H%M%S").ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some(t.and_utc() + chrono::Duration::nanoseconds(nanos.into()))
}

fn oid_to_string(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in oid {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (acc / 40).min(2);
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

/// A non-negative INTEGER that fits a u64.
fn uint(v: &[u8], what: &'static str) -> Result<u64, TsaError> {
    if v.is_empty() || v[0] & 0x80 != 0 {
        return Err(malformed(what, "negative or empty INTEGER"));
    }
    let v = strip_zeros(v);
    if v.len() > 8 {
        return Err(malformed(what, "INTEGER too large"));
    }
    Ok(v.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b)))
}

/// DER tag-length-value.
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let n = strip_zeros(&bytes);
        out.push(0x80 | n.len() as u8);
        out.extend_from_slice(n);
    }
    out.extend_from_slice(value);
    out
}

/// A reader over consecutive DER elements (low tag numbers, definite lengths).
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(rest: &'a [u8]) -> Der<'a> {
        Der { rest }
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element: (tag, value, whole encoding).
    fn next_element(&mut self) -> Result<(u8, &'a [u8], &'a [u8]), &'static str> {
        let all = self.rest;
        let (&tag, rest) = all.split_first().ok_or("unexpected end")?;
        if tag & 0x1f == 0x1f {
            return Err("high tag number");
        }
        let (&first, mut rest) = rest.split_first().ok_or("unexpected end")?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err("indefinite length");
            }
            if n > 4 || rest.len() < n {
                return Err("bad length");
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err("length beyond the data");
        }
        let header = all.len() - rest.len();
        self.rest = &rest[len..];
        Ok((tag, &rest[..len], &all[..header + len]))
    }

    fn iter(mut self) -> impl Iterator<Item = Result<(u8, &'a [u8]), &'static str>> {
        std::iter::from_fn(move || {
            if self.rest.is_empty() {
                return None;
            }
            let r = self.next_element().map(|(t, v, _)| (t, v));
            if r.is_err() {
                self.rest = &[];
            }
            Some(r)
        })
    }

    /// The value of the next element, which must have `tag`.
    fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], TsaError> {
        let (t, v, _) = self.next_element().map_err(|r| malformed(what, r))?;
        if t != tag {
            return Err(malformed(what, "unexpected element"));
        }
        Ok(v)
    }

    /// A reader over the next element, which must be a SEQUENCE.
    fn sequence(&mut self, what: &'static str) -> Result<Der<'a>, TsaError> {
        Ok(Der::new(self.expect(SEQUENCE, what)?))
    }

    /// The value of the next element if it has `tag` (and parses); otherwise nothing is read.
    fn optional(&mut self, tag: u8) -> Option<&'a [u8]> {
        self.take_if(tag).map(|(v, _)| v)
    }

    /// The whole encoding of the next element if it has `tag`.
    fn raw(&mut self, tag: u8) -> Option<&'a [u8]> {
        self.take_if(tag).map(|(_, whole)| whole)
    }

    /// (value, whole encoding) of the next element if it has `tag` and parses.
    fn take_if(&mut self, tag: u8) -> Option<(&'a [u8], &'a [u8])> {
        if self.peek_tag() != Some(tag) {
            return None;
        }
        let saved = self.rest;
        match self.next_element() {
            Ok((_, v, whole)) => Some((v, whole)),
            Err(_) => {
                self.rest = saved;
                None
            }
        }
    }
}

/// POSTs `body` to the `http://` `url` and returns the response body of a `200`.
fn http_post(url: &str, body: &[u8]) -> Result<Vec<u8>, TsaError> {
    let bad_url = |reason: &str| TsaError::Url {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let transport = |reason: String| TsaError::Transport {
        url: url.to_string(),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| bad_url(&e.to_string()))?;
    if parsed.scheme() != "http" {
        return Err(bad_url("only http:// is supported"));
    }
    let host = parsed.host_str().ok_or_else(|| bad_url("no host"))?;
    let host_header = match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let mut target = parsed.path().to_string();
    if let Some(q) = parsed.query() {
        target.push('?');
        target.push_str(q);
    }
    let addrs = parsed
        .socket_addrs(|| Some(80))
        .map_err(|e| transport(format!("cannot resolve: {e}")))?;
    let mut last_err = String::from("no address");
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_err = format!("cannot connect to {addr}: {e}"),
        }
    }
    let mut stream = stream.ok_or_else(|| transport(last_err))?;
    let io = |e: std::io::Error| transport(e.to_string());
    stream.set_read_timeout(Some(IO_TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).map_err(io)?;
    let head = format!(
        "POST {target} HTTP/1.1\r\nHost: {host_header}\r\nContent-Type: {QUERY_CONTENT_TYPE}\r\n\
         Accept: {REPLY_CONTENT_TYPE}\r\nContent-Length: {}\r\nConnection: close\r\n\
         User-Agent: wangjian\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body).map_err(io)?;
    stream.flush().map_err(io)?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(io)?;
    if raw.len() > MAX_RESPONSE {
        return Err(transport(format!(
            "response larger than {MAX_RESPONSE} bytes"
        )));
    }
    parse_http_response(&raw).map_err(|(status, reason)| match status {
        Some(status) => TsaError::Http {
            url: url.to_string(),
            status,
            reason,
        },
        None => transport(reason),
    })
}

/// The body of a `200` HTTP/1.x response read to its end; errors carry the status, if any.
fn parse_http_response(raw: &[u8]) -> Result<Vec<u8>, (Option<u16>, String)> {
    let bad = |r: &str| (None, r.to_string());
    let (head, rest) =
        http_msg::split_message(raw).ok_or_else(|| bad("no complete HTTP response head"))?;
    let head = http_msg::Head::parse(head);
    let http_msg::StatusLine { status, reason, .. } =
        head.status_line().map_err(|e| bad(&e.to_string()))?;
    let content_type = head.content_type().unwrap_or_default().to_ascii_lowercase();
    if status != 200 {
        return Err((Some(status), reason));
    }
    if !content_type.is_empty() && !content_type.starts_with(REPLY_CONTENT_TYPE) {
        return Err((
            Some(status),
            format!("content type {content_type:?}, not {REPLY_CONTENT_TYPE}"),
        ));
    }
    if head.is_chunked() {
        return http_msg::dechunk(rest).ok_or_else(|| bad("bad chunked body"));
    }
    match head.content_length() {
        Some(n) if rest.len() as u64 >= n => Ok(rest[..n as usize].to_vec()),
        Some(_) => Err(bad("response body shorter than its Content-Length")),
        None => Ok(rest.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_der() {
        let hash = [7u8; 32];
        let req = encode_request(&hash, &[0x80, 1]);
        let mut outer = Der::new(&req).sequence("t").unwrap();
        assert_eq!(outer.expect(INTEGER, "t").unwrap(), &[1]);
        let mut imprint = outer.sequence("t").unwrap();
        let mut alg = imprint.sequence("t").unwrap();
        assert_eq!(alg.expect(OID, "t").unwrap(), OID_SHA256);
        assert_eq!(imprint.expect(OCTET_STRING, "t").unwrap(), &hash);
        assert_eq!(outer.expect(INTEGER, "t").unwrap(), &[0, 0x80, 1]);
        assert_eq!(outer.expect(BOOLEAN, "t").unwrap(), &[0xff]);
        assert!(outer.rest.is_empty());
        assert_eq!(oid_to_string(OID_TST_INFO), "1.2.840.113549.1.9.16.1.4");
    }

    #[test]
    fn long_lengths_round_trip() {
        let v = vec![1u8; 300];
        let enc = tlv(OCTET_STRING, &v);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(Der::new(&enc).expect(OCTET_STRING, "t").unwrap(), &v[..]);
    }

    #[test]
    fn broken_der_is_an_error_not_a_panic() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x80, 0, 0],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x05, 0x02, 0x01],
            &[0x30, 0x03, 0x02, 0x01, 0x05],
        ] {
            assert!(verify_token(bad, b"x").is_err());
            assert!(parse_response(bad).is_err());
        }
    }

    #[test]
    fn rejected_status_is_reported() {
        let text = tlv(SEQUENCE, &tlv(0x0c, b"bad policy"));
        let status = tlv(SEQUENCE, &[tlv(INTEGER, &[2]), text].concat());
        let resp = tlv(SEQUENCE, &status);
        match parse_response(&resp) {
            Err(TsaError::Rejected { status: 2, text }) => {
                assert_eq!(text.as_deref(), Some("bad policy"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn generalized_time() {
        let t = parse_generalized_time(b"20261130084444.25Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-30T08:44:44.250+00:00");
        assert!(parse_generalized_time(b"20261130084444").is_none());
        assert!(parse_generalized_time(b"2026113008444Z").is_none());
    }

    #[test]
    fn http_bodies() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 3\r\n\r\nabcdef";
        assert_eq!(parse_http_response(ok).unwrap(), b"abc");
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n";
        assert_eq!(parse_http_response(chunked).unwrap(), b"abc");
        let err = b"HTTP/1.1 500 Internal Server Error\r\n\r\n";
        assert_eq!(parse_http_response(err).unwrap_err().0, Some(500));
        let html = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>";
        assert!(parse_http_response(html).is_err());
    }

    #[test]
    fn only_http_urls() {
        assert!(matches!(
            request_token("https://tsa.example/", b"x"),
            Err(TsaError::Url { .. })
        ));
        assert!(matches!(
            request_token("not a url", b"x"),
            Err(TsaError::Url { .. })
        ));
    }
}
