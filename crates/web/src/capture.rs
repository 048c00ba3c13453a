//! Turning a captured HTTP response into something safe to look at: the head split into fields,
//! and the body de-chunked, decompressed (gzip/deflate, bounded) and decoded to text with the
//! charset the response declared (Content-Type, then `<meta>`), falling back to UTF-8 and then
//! GB18030. The result is plain text for an escaped `<pre>`; nothing here produces HTML.
//! Decompression reads at most [`SHOWN_BODY_LIMIT`] + 1 bytes, so a gzip bomb costs nothing.

use std::io::Read;

use encoding_rs::{Encoding, GB18030, UTF_8};

/// Bytes of a body shown at most.
pub const SHOWN_BODY_LIMIT: usize = 256 * 1024;

/// An HTTP head: the start line and its fields in order.
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub start_line: String,
    pub fields: Vec<(String, String)>,
}

impl Head {
    pub fn parse(bytes: &[u8]) -> Head {
        let text = String::from_utf8_lossy(bytes);
        let mut lines = text.lines();
        let start_line = lines.next().unwrap_or_default().trim_end().to_string();
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in lines {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                if let Some(last) = fields.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
                continue;
            }
            match line.split_once(':') {
                Some((n, v)) => fields.push((n.trim().to_string(), v.trim().to_string())),
                None => fields.push((line.to_string(), String::new())),
            }
        }
        Head { start_line, fields }
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A body prepared for display.
#[derive(Debug, Clone)]
pub struct ShownBody {
    /// The text to show (escaped by the template); empty when `binary`.
    pub text: String,
    /// The encoding used to decode, e.g. `GBK`.
    pub charset: &'static str,
    /// Where the charset came from.
    pub charset_source: &'static str,
    /// Bytes of the payload as stored (after de-chunking, before decompression).
    pub stored_bytes: usize,
    /// Only the first [`SHOWN_BODY_LIMIT`] bytes (decompressed) are shown.
    pub truncated: bool,
    /// The body is not text; it is not shown.
    pub binary: bool,
    /// Anything the reader should know (an unknown content coding, a broken gzip stream).
    pub notes: Vec<String>,
}

/// Prepares the body of an HTTP message (`head` parsed from it, `payload` de-chunked).
pub fn show_body(head: &Head, payload: &[u8]) -> ShownBody {
    let mut notes = Vec::new();
    let coding = head
        .field("Content-Encoding")
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity");
    let (bytes, truncated) = match coding.as_deref() {
        None => (
            payload[..payload.len().min(SHOWN_BODY_LIMIT)].to_vec(),
            payload.len() > SHOWN_BODY_LIMIT,
        ),
        Some("gzip" | "x-gzip") => bounded(
            flate2::read::MultiGzDecoder::new(payload),
            &mut notes,
            "gzip",
        ),
        Some("deflate") => {
            // Servers send zlib-wrapped or raw deflate under this name.
            let mut zlib_notes = Vec::new();
            let zlib = bounded(
                flate2::read::ZlibDecoder::new(payload),
                &mut zlib_notes,
                "deflate",
            );
            if zlib_notes.is_empty() {
                zlib
            } else {
                bounded(
                    flate2::read::DeflateDecoder::new(payload),
                    &mut notes,
                    "deflate",
                )
            }
        }
        Some(other) => {
            notes.push(format!("内容编码 {other} 无法解码，未显示正文。"));
            return ShownBody {
                text: String::new(),
                charset: "",
                charset_source: "",
                stored_bytes: payload.len(),
                truncated: false,
                binary: true,
                notes,
            };
        }
    };
    let content_type = head.field("Content-Type").unwrap_or_default();
    let binary = is_binary(content_type, &bytes);
    let (encoding, source) = pick_encoding(content_type, &bytes);
    let text = if binary {
        String::new()
    } else {
        encoding.decode_without_bom_handling(&bytes).0.into_owned()
    };
    ShownBody {
        text,
        charset: encoding.name(),
        charset_source: source,
        stored_bytes: payload.len(),
        truncated,
        binary,
        notes,
    }
}

/// Reads at most `SHOWN_BODY_LIMIT + 1` bytes from a decoder.
fn bounded(r: impl Read, notes: &mut Vec<String>, name: &str) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    if let Err(e) = r.take(SHOWN_BODY_LIMIT as u64 + 1).read_to_end(&mut out) {
        notes.push(format!("{name} 解压未完成（{e}），显示已解出的部分。"));
    }
    let truncated = out.len() > SHOWN_BODY_LIMIT;
    out.truncate(SHOWN_BODY_LIMIT);
    (out, truncated)
}

fn is_binary(content_type: &str, bytes: &[u8]) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let media = ["image/", "audio/", "video/", "font/"];
    if media.iter().any(|m| mime.starts_with(m))
        || matches!(
            mime.as_str(),
            "application/octet-stream" | "application/pdf" | "application/zip"
        )
    {
        return true;
    }
    bytes[..bytes.len().min(1024)].contains(&0)
}

/// The declared charset (Content-Type, then `<meta>` in the first KiB), else UTF-8 when the
/// bytes are UTF-8, else GB18030 (a superset of GBK and GB2312, common on undeclared Chinese
/// pages).
fn pick_encoding(content_type: &str, bytes: &[u8]) -> (&'static Encoding, &'static str) {
    if let Some(e) = charset_param(content_type).and_then(|l| Encoding::for_label(l.as_bytes())) {
        return (normalise(e), "Content-Type");
    }
    if let Some(e) = meta_charset(&bytes[..bytes.len().min(1024)]) {
        return (normalise(e), "meta");
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => (UTF_8, "推断"),
        // A valid prefix cut short by the display limit is still UTF-8.
        Err(e) if e.error_len().is_none() => (UTF_8, "推断"),
        Err(_) => (GB18030, "推断"),
    }
}

/// Declared encodings as browsers apply them (encoding_rs already maps `gb2312` to GBK, whose
/// decoder accepts all of GB18030). UTF-16 declared in a meta tag is a lie by definition (the
/// tag was readable as ASCII), so it means UTF-8.
fn normalise(e: &'static Encoding) -> &'static Encoding {
    if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
        return UTF_8;
    }
    e
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let needle = b"charset=";
    let at = lower.windows(needle.len()).position(|w| w == needle)?;
    let rest = &lower[at + needle.len()..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || b"-_:.".contains(b)))
        .unwrap_or(rest.len());
    Encoding::for_label(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn head(s: &str) -> Head {
        Head::parse(s.as_bytes())
    }

    #[test]
    fn head_fields() {
        let h = head("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-A: 1\r\n  2\r\n\r\n");
        assert_eq!(h.start_line, "HTTP/1.1 200 OK");
        assert_eq!(h.field("content-type"), Some("text/html"));
        assert_eq!(h.field("x-a"), Some("1 2"));
    }

    #[test]
    fn charset_from_header_meta_or_guess() {
        let (gbk, _, _) = GB18030.encode("南宁市青秀区");
        let b = show_body(
            &head("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=GBK\r\n\r\n"),
            &gbk,
        );
        assert_eq!(b.text, "南宁市青秀区");
        assert_eq!(b.charset_source, "Content-Type");
        let mut page = b"<html><head><meta charset=\"gb2312\"></head>".to_vec();
        page.extend_from_slice(&gbk);
        let b = show_body(
            &head("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"),
            &page,
        );
        assert!(b.text.ends_with("南宁市青秀区"), "{}", b.text);
        assert_eq!(b.charset_source, "meta");
        let b = show_body(&head("HTTP/1.1 200 OK\r\n\r\n"), &gbk);
        assert_eq!((b.text.as_str(), b.charset), ("南宁市青秀区", "gb18030"));
        let b = show_body(&head("HTTP/1.1 200 OK\r\n\r\n"), "好".as_bytes());
        assert_eq!((b.text.as_str(), b.charset), ("好", "UTF-8"));
    }

    #[test]
    fn gzip_is_bounded() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&vec![b'a'; SHOWN_BODY_LIMIT * 4]).unwrap();
        let gz = enc.finish().unwrap();
        let b = show_body(
            &head("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n"),
            &gz,
        );
        assert!(b.truncated);
        assert_eq!(b.text.len(), SHOWN_BODY_LIMIT);
        assert_eq!(b.stored_bytes, gz.len());
    }

    #[test]
    fn binary_and_unknown_codings_are_not_shown() {
        let b = show_body(
            &head("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n"),
            b"\x89PNG\0",
        );
        assert!(b.binary && b.text.is_empty());
        let b = show_body(
            &head("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n"),
            b"xx",
        );
        assert!(b.binary && !b.notes.is_empty());
    }
}
