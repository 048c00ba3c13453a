//! CDXJ indexes of WARC files: one line per replayable record,
//! `<SURT> <14-digit timestamp> <JSON {url, mime, status, digest, length, offset, filename}>`,
//! sorted by byte order as pywb and wabac.js expect for binary search.
//!
//! Owns the SURT form of a URL (the web-archive convention of the Python `surt` package that
//! pywb uses: host lowercased and reversed, `www.` dropped, default port dropped, path and query
//! lowercased, query arguments sorted, fragment dropped) and the line format, written the way
//! cdxj-indexer writes it (`status`, `length` and `offset` as JSON strings) and read leniently
//! (strings or numbers). Indexes `response`, `revisit` and `resource` records only, as pywb does.
//! Must not decide which records belong in an export (that is [`crate::wacz`]).

use std::io::{self, BufRead, Write};
use std::path::Path;

use serde::Deserialize;

use crate::record::Record;
use crate::{open_reader, EvidenceError};

/// One index line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CdxjEntry {
    /// Sort key: the SURT of `url`.
    pub surt: String,
    /// `WARC-Date` as 14 digits, `YYYYMMDDhhmmss`.
    pub timestamp: String,
    pub url: String,
    /// Media type without parameters (`text/html`); `warc/revisit` for revisits.
    pub mime: String,
    /// HTTP status, for HTTP responses and revisits.
    pub status: Option<u16>,
    /// `WARC-Payload-Digest` exactly as written in the record.
    pub digest: Option<String>,
    /// Bytes the record occupies in its file (the gzip member length).
    pub length: u64,
    /// Offset of the record (of its gzip member) in the file.
    pub offset: u64,
    /// The WARC file name, relative to the directory the index is for.
    pub filename: String,
}

#[derive(Deserialize)]
struct JsonIn {
    url: String,
    #[serde(default)]
    mime: Option<String>,
    #[serde(default)]
    status: Option<NumOrString>,
    #[serde(default)]
    digest: Option<String>,
    length: NumOrString,
    offset: NumOrString,
    filename: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrString {
    Num(u64),
    Str(String),
}

impl NumOrString {
    fn value(&self) -> Option<u64> {
        match self {
            NumOrString::Num(n) => Some(*n),
            NumOrString::Str(s) => s.trim().parse().ok(),
        }
    }
}

/// Why a CDXJ line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CdxjError {
    #[error("expected `<SURT> <timestamp> <JSON>`")]
    Shape,
    #[error("timestamp {0:?} is not 14 digits")]
    Timestamp(String),
    #[error("JSON block: {0}")]
    Json(String),
    #[error("{field} {value:?} is not a number")]
    Number { field: &'static str, value: String },
    /// The line is longer than the reader's cap (its bytes past the cap were skipped, not held).
    #[error("line longer than the cap of {cap} bytes")]
    TooLong { cap: usize },
    /// The line is not UTF-8.
    #[error("line is not UTF-8")]
    NotUtf8,
}

impl CdxjEntry {
    /// The index entry for a record of `filename`, or `None` for record types that are not
    /// replayed (request, metadata, warcinfo, conversion, continuation) or lack a target URI.
    pub fn from_record(rec: &Record, filename: &str) -> Option<CdxjEntry> {
        let kind = rec.warc_type()?.to_ascii_lowercase();
        if !matches!(kind.as_str(), "response" | "revisit" | "resource") {
            return None;
        }
        let url = rec.target_uri()?.trim();
        let url = url
            .strip_prefix('<')
            .and_then(|u| u.strip_suffix('>'))
            .unwrap_or(url);
        let timestamp = timestamp14(rec.header("WARC-Date")?)?;
        let http = if kind == "resource" {
            None
        } else {
            rec.http_parts()
                .map(|(head, _)| http_msg::Head::parse(head))
        };
        let mime = if kind == "revisit" {
            "warc/revisit".to_string()
        } else if let Some(h) = &http {
            h.media_type().unwrap_or_else(|| "unk".into())
        } else {
            rec.header("Content-Type")
                .map(http_msg::media_type)
                .unwrap_or_else(|| "unk".into())
        };
        Some(CdxjEntry {
            surt: surt(url),
            timestamp,
            url: url.to_string(),
            mime,
            status: http.and_then(|h| h.status()),
            digest: rec.header("WARC-Payload-Digest").map(str::to_string),
            length: rec.length,
            offset: rec.offset,
            filename: filename.to_string(),
        })
    }

    /// The line, without its newline, formatted exactly as cdxj-indexer (pywb, py-wacz)
    /// formats it: Python's `json.dumps` spacing, non-ASCII escaped, numbers as strings.
    pub fn to_line(&self) -> String {
        let mut fields: Vec<(&str, String)> =
            vec![("url", self.url.clone()), ("mime", self.mime.clone())];
        if let Some(status) = self.status {
            fields.push(("status", status.to_string()));
        }
        if let Some(digest) = &self.digest {
            fields.push(("digest", digest.clone()));
        }
        fields.push(("length", self.length.to_string()));
        fields.push(("offset", self.offset.to_string()));
        fields.push(("filename", self.filename.clone()));
        let json: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}: {}", json_ascii(k), json_ascii(v)))
            .collect();
        format!("{} {} {{{}}}", self.surt, self.timestamp, json.join(", "))
    }

    /// Parse one line (a trailing newline is allowed).
    pub fn parse(line: &str) -> Result<CdxjEntry, CdxjError> {
        let line = line.trim_end_matches(['\r', '\n']);
        let mut parts = line.splitn(3, ' ');
        let (Some(surt), Some(timestamp), Some(json)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CdxjError::Shape);
        };
        if surt.is_empty() || !json.starts_with('{') {
            return Err(CdxjError::Shape);
        }
        if !(timestamp.len() == 14 && timestamp.bytes().all(|b| b.is_ascii_digit())) {
            return Err(CdxjError::Timestamp(timestamp.into()));
        }
        let j: JsonIn = serde_json::from_str(json).map_err(|e| CdxjError::Json(e.to_string()))?;
        let number = |field, v: &NumOrString| {
            v.value().ok_or_else(|| CdxjError::Number {
                field,
                value: match v {
                    NumOrString::Num(n) => n.to_string(),
                    NumOrString::Str(s) => s.clone(),
                },
            })
        };
        let status = match &j.status {
            None => None,
            Some(NumOrString::Str(s)) if s == "-" || s.is_empty() => None,
            Some(v) => {
                Some(
                    u16::try_from(number("status", v)?).map_err(|_| CdxjError::Number {
                        field: "status",
                        value: format!("{:?}", v.value()),
                    })?,
                )
            }
        };
        Ok(CdxjEntry {
            surt: surt.to_string(),
            timestamp: timestamp.to_string(),
            length: number("length", &j.length)?,
            offset: number("offset", &j.offset)?,
            url: j.url,
            mime: j.mime.unwrap_or_else(|| "unk".into()),
            status,
            digest: j.digest,
            filename: j.filename,
        })
    }
}

/// A JSON string literal with every non-ASCII character escaped (Python's `ensure_ascii`).
fn json_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A line that could not be read, with its 1-based number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdxjProblem {
    pub line: usize,
    pub error: CdxjError,
}

/// The longest CDXJ line [`read_cdxj`] accepts: far above any real entry (a URL of a few
/// KiB and a handful of fields), far below what could exhaust memory.
pub const MAX_CDXJ_LINE: usize = 256 * 1024;

/// Read a CDXJ stream: the entries it holds plus the lines that are broken (a line longer than
/// [`MAX_CDXJ_LINE`] among them, skipped without being held). Blank lines and `!`-lines
/// (headers such as `!meta`) are skipped. An IO error ends the read.
pub fn read_cdxj<R: BufRead>(r: R) -> io::Result<(Vec<CdxjEntry>, Vec<CdxjProblem>)> {
    read_cdxj_capped(r, MAX_CDXJ_LINE)
}

/// [`read_cdxj`] with lines of at most `cap` bytes (without the line end).
pub fn read_cdxj_capped<R: BufRead>(
    mut r: R,
    cap: usize,
) -> io::Result<(Vec<CdxjEntry>, Vec<CdxjProblem>)> {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        buf.clear();
        // The line end and a CR before it are not part of the cap.
        let n = <&mut R as io::Read>::take(&mut r, cap as u64 + 2).read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        number += 1;
        let ended = buf.last() == Some(&b'\n');
        if ended {
            buf.pop();
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        if buf.len() > cap {
            if !ended {
                skip_line(&mut r)?;
            }
            problems.push(CdxjProblem {
                line: number,
                error: CdxjError::TooLong { cap },
            });
            continue;
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            problems.push(CdxjProblem {
                line: number,
                error: CdxjError::NotUtf8,
            });
            continue;
        };
        if line.trim().is_empty() || line.starts_with('!') {
            continue;
        }
        match CdxjEntry::parse(line) {
            Ok(e) => entries.push(e),
            Err(error) => problems.push(CdxjProblem {
                line: number,
                error,
            }),
        }
    }
    Ok((entries, problems))
}

/// Consume the rest of a line (through its `\n`) without keeping it.
fn skip_line<R: BufRead>(r: &mut R) -> io::Result<()> {
    loop {
        let buf = match r.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// Index one WARC file in file order (not sorted); `filename` is written into every entry.
pub fn index_warc(path: &Path, filename: &str) -> Result<Vec<CdxjEntry>, EvidenceError> {
    let mut out = Vec::new();
    for rec in open_reader(path)? {
        if let Some(entry) = CdxjEntry::from_record(&rec?, filename) {
            out.push(entry);
        }
    }
    Ok(out)
}

/// Sort entries into index order: by the bytes of their lines.
pub fn sort_entries(entries: &mut [CdxjEntry]) {
    entries.sort_by_cached_key(CdxjEntry::to_line);
}

/// Write entries as lines (in the order given; see [`sort_entries`]).
pub fn write_cdxj<W: Write>(entries: &[CdxjEntry], mut w: W) -> io::Result<()> {
    for e in entries {
        w.write_all(e.to_line().as_bytes())?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// `WARC-Date` (`2026-11-30T08:44:44Z`, possibly with fractions) as `20261130084444`.
pub fn timestamp14(warc_date: &str) -> Option<String> {
    let digits: String = warc_date
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    (digits.len() == 14).then_some(digits)
}

/// The SURT (Sort-friendly URI Reordering Transform) of a URL as the Python `surt` package
/// computes it with its default (IA) canonicalization, e.g. `http://www.Example.com/A/?b=1&a=2`
/// → `com,example)/a?a=2&b=1`. A `urn:` URI (a screenshot's `urn:view:http://a.test/`) is
/// canonicalized as a string, as the package does with a scheme it does not know: fragment
/// dropped, path unescaped, lowercased and without its trailing `/`, query arguments sorted
/// (`urn:view:http://a.test`). Other URIs that are not http(s) are lowercased as they are.
pub fn surt(url: &str) -> String {
    let url = url.trim();
    let parsed = match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ if url.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("urn:")) => return surt_urn(url),
        _ => return url.to_lowercase(),
    };
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            let d = d.trim_end_matches('.');
            strip_www(d).to_string()
        }
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        None => String::new(),
    };
    let mut out: String = host.rsplit('.').collect::<Vec<_>>().join(",");
    if let Some(port) = parsed.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push(')');

    let mut path = minimal_escape(&unescape_fully(parsed.path())).to_lowercase();
    while path.contains("//") {
        path = path.replace("//", "/");
    }
    if path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    if path.is_empty() {
        path.push('/');
    }
    out.push_str(&path);

    if let Some(query) = parsed.query().filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(&sorted_query(query));
    }
    out
}

/// A `urn:` URI as the `surt` package canonicalizes it (see [`surt`]).
fn surt_urn(uri: &str) -> String {
    let uri = uri.split('#').next().unwrap_or_default();
    let (path, query) = match uri.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (uri, None),
    };
    let mut out = minimal_escape(&unescape_fully(path)).to_lowercase();
    if out.ends_with('/') {
        out.pop();
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(&sorted_query(query));
    }
    out
}

/// A query unescaped, lowercased and its arguments sorted (`b=2&A=1` → `a=1&b=2`).
fn sorted_query(query: &str) -> String {
    let query = minimal_escape(&unescape_fully(query)).to_lowercase();
    let mut args: Vec<(&str, Option<&str>)> = query
        .split('&')
        .map(|a| match a.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (a, None),
        })
        .collect();
    args.sort();
    let joined: Vec<String> = args
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.to_string(),
        })
        .collect();
    joined.join("&")
}

/// Drop a leading `www.`, `www2.` … as the IA canonicalizer does.
fn strip_www(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix("www") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Some(stripped) = rest[digits..].strip_prefix('.') {
            return stripped;
        }
    }
    host
}

/// Percent-decode until nothing changes (the Google canonicalization step), as bytes.
fn unescape_fully(s: &str) -> Vec<u8> {
    let mut cur = s.as_bytes().to_vec();
    loop {
        let next = percent_decode(&cur);
        if next == cur {
            return cur;
        }
        cur = next;
    }
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// Escape control bytes, space, non-ASCII, `#` and `%`; leave everything else as it is.
fn minimal_escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b <= 0x20 || b >= 0x7f || b == b'#' || b == b'%' {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surt_matches_the_python_surt_package() {
        // Expected values computed with `surt.surt()` 0.3.1, the canonicalizer pywb uses.
        for (url, want) in [
            (
                "http://www.Example.com/Path/?b=2&a=1&A=0#frag",
                "com,example)/path?a=0&a=1&b=2",
            ),
            ("https://example.com", "com,example)/"),
            ("http://example.com:8080/x/", "com,example:8080)/x"),
            ("http://www2.shop.test/a?", "test,shop)/a"),
            ("http://127.0.0.1/x", "1,0,0,127)/x"),
            (
                "http://shop.test/%E4%B8%AD?q=%e4",
                "test,shop)/%e4%b8%ad?q=%e4",
            ),
            (
                "http://shop.test/中文?q=中",
                "test,shop)/%e4%b8%ad%e6%96%87?q=%e4%b8%ad",
            ),
            ("http://shop.test/a//b/./c/../d", "test,shop)/a/b/d"),
            ("http://shop.test/a?c&b=1&b", "test,shop)/a?b&b=1&c"),
            ("http://中国.test/", "test,xn--fiqs8s)/"),
            ("http://user:pw@shop.test/", "test,shop)/"),
            ("http://shop.test/a%2fb", "test,shop)/a/b"),
            ("http://shop.test/a b", "test,shop)/a%20b"),
            ("http://SHOP.test./", "test,shop)/"),
            ("http://www.test/", "test)/"),
            ("http://www1.test/x", "test)/x"),
            ("http://wwwx.test/", "test,wwwx)/"),
            ("dns:example.com", "dns:example.com"),
            // A screenshot's target.
            (
                "urn:view:http://www.henghe-beauty.test/",
                "urn:view:http://www.henghe-beauty.test",
            ),
            (
                "urn:view:http://www.X.test/A/B/?z=1&a=2#f",
                "urn:view:http://www.x.test/a/b?a=2&z=1",
            ),
            (
                "urn:view:http://shop.test/x//y/",
                "urn:view:http://shop.test/x//y",
            ),
            (
                "urn:view:https://www.a.test:8080/p?q#f",
                "urn:view:https://www.a.test:8080/p?q",
            ),
            (
                "urn:view:http://a.test/%7Ex?b=%41",
                "urn:view:http://a.test/~x?b=a",
            ),
            (
                "urn:view:http://a.test/a%20b/",
                "urn:view:http://a.test/a%20b",
            ),
            ("urn:view:http://a.test/?", "urn:view:http://a.test"),
            (
                "urn:view:http://a.test/x?B=1&a",
                "urn:view:http://a.test/x?a&b=1",
            ),
            ("urn:foo", "urn:foo"),
        ] {
            assert_eq!(surt(url), want, "{url}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp14("2026-11-30T08:44:44Z").as_deref(),
            Some("20261130084444")
        );
        assert_eq!(
            timestamp14("2026-11-30T08:44:44.123456Z").as_deref(),
            Some("20261130084444")
        );
        assert_eq!(timestamp14("2026-11-30"), None);
    }

    #[test]
    fn line_round_trip_and_lenient_reading() {
        let e = CdxjEntry {
            surt: "com,example)/".into(),
            timestamp: "20201007212236".into(),
            url: "http://www.example.com/".into(),
            mime: "text/html".into(),
            status: Some(200),
            digest: Some("sha1:WJM2KPM4GF3QK2BISVUH2ASX64NOUY7L".into()),
            length: 1293,
            offset: 845,
            filename: "example.warc".into(),
        };
        let line = e.to_line();
        assert_eq!(
            line,
            r#"com,example)/ 20201007212236 {"url": "http://www.example.com/", "mime": "text/html", "status": "200", "digest": "sha1:WJM2KPM4GF3QK2BISVUH2ASX64NOUY7L", "length": "1293", "offset": "845", "filename": "example.warc"}"#
        );
        assert_eq!(CdxjEntry::parse(&line).unwrap(), e);
        let odd = CdxjEntry {
            url: "http://a.test/\u{4e2d}\"\u{1f600}".into(),
            ..e.clone()
        };
        assert!(odd
            .to_line()
            .contains(r#""http://a.test/\u4e2d\"\ud83d\ude00""#));
        assert_eq!(CdxjEntry::parse(&odd.to_line()).unwrap(), odd);
        let numbers = r#"com,example)/ 20201007212236 {"url": "http://www.example.com/", "mime": "text/html", "status": 200, "digest": "sha1:WJM2KPM4GF3QK2BISVUH2ASX64NOUY7L", "length": 1293, "offset": 845, "filename": "example.warc"}"#;
        assert_eq!(CdxjEntry::parse(numbers).unwrap(), e);

        let text = format!(
            "!meta 0 {{\"format\": \"cdxj-gzip-1.0\"}}\n{line}\n\nbroken line\ncom,a)/ 2020 {{}}\n{line}\n"
        );
        let (entries, problems) = read_cdxj(text.as_bytes()).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            problems,
            vec![
                CdxjProblem {
                    line: 4,
                    error: CdxjError::Shape
                },
                CdxjProblem {
                    line: 5,
                    error: CdxjError::Timestamp("2020".into())
                }
            ]
        );
        assert!(matches!(
            CdxjEntry::parse(
                r#"a)/ 20201007212236 {"url":"u","length":"x","offset":"1","filename":"f"}"#
            ),
            Err(CdxjError::Number {
                field: "length",
                ..
            })
        ));
    }
}
