//! Turning response bytes into text: content-coding removal and charset detection.
//!
//! Owns [`decode_html`] (BOM → `Content-Type` charset → `<meta>` prescan → UTF-8) and the
//! capped gzip/deflate decompression used by [`Exchange::decoded_body`](crate::Exchange).
//! Works on bytes alone, so a saved file can be decoded without a fetch. It must not touch the
//! network, and must never fail: broken input yields lossy text, not an error.

use std::io::Read;

use encoding_rs::{Encoding, UTF_8};

/// How many decompressed bytes [`decompress`] produces at most (a gzip bomb stops here).
pub const MAX_DECOMPRESSED_BYTES: usize = 32 * 1024 * 1024;

/// How far into the document the `<meta>` charset prescan looks.
const META_PRESCAN_BYTES: usize = 1024;

/// Text decoded from a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The decoded text (malformed sequences replaced by U+FFFD).
    pub text: String,
    /// The encoding used, by its encoding_rs name (`"UTF-8"`, `"GBK"`, `"gb18030"`, `"Big5"`...).
    pub charset: &'static str,
    /// True when decompression stopped at its cap (the text is only the start of the body).
    /// [`decode_html`] itself never truncates and leaves this `false`.
    pub truncated: bool,
}

/// Decodes an HTML (or other text) document.
///
/// The charset comes from, in order: a byte-order mark, the `charset` parameter of
/// `content_type`, a `<meta charset>` or `<meta http-equiv="Content-Type" content="...;
/// charset=...">` in the first 1024 bytes, else UTF-8. Labels are resolved by the WHATWG
/// Encoding Standard, so `gb2312` decodes as GBK; a `<meta>` claiming UTF-16 means UTF-8.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    let (encoding, bom_len) = match Encoding::for_bom(bytes) {
        Some((enc, len)) => (enc, len),
        None => {
            let enc = content_type
                .and_then(charset_param)
                .and_then(|l| Encoding::for_label(l.as_bytes()))
                .or_else(|| meta_charset(&bytes[..bytes.len().min(META_PRESCAN_BYTES)]))
                .unwrap_or(UTF_8);
            (enc, 0)
        }
    };
    let (text, _had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
    Decoded {
        text: text.into_owned(),
        charset: encoding.name(),
        truncated: false,
    }
}

/// The `charset` parameter of a `Content-Type` value, unquoted.
pub(crate) fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

/// Finds a charset declared by a `<meta>` tag in `head` (a simplified HTML prescan).
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos + 5;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(enc) = charset_in_tag(tag) {
            // A document that could be read as ASCII cannot really be UTF-16.
            if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                return Some(UTF_8);
            }
            return Some(enc);
        }
        from = end;
    }
    None
}

fn charset_in_tag(tag: &[u8]) -> Option<&'static Encoding> {
    let mut from = 0;
    while let Some(pos) = find(&tag[from..], b"charset") {
        let mut i = from + pos + 7;
        from = i;
        while i < tag.len() && tag[i].is_ascii_whitespace() {
            i += 1;
        }
        if tag.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < tag.len() && tag[i].is_ascii_whitespace() {
            i += 1;
        }
        if matches!(tag.get(i), Some(b'"') | Some(b'\'')) {
            i += 1;
        }
        let label_end = tag[i..]
            .iter()
            .position(|&b| matches!(b, b'"' | b'\'' | b';' | b'/') || b.is_ascii_whitespace())
            .map_or(tag.len(), |e| i + e);
        if let Some(enc) = Encoding::for_label(&tag[i..label_end]) {
            return Some(enc);
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Outcome of removing a content-coding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decompressed {
    /// The bytes after decoding (possibly partial if the stream was cut or hit the cap).
    Bytes(Vec<u8>),
    /// A content-coding this crate does not decode (br, zstd...).
    Unsupported,
}

/// Removes a `Content-Encoding` (gzip, x-gzip, deflate — zlib-wrapped or raw — or identity),
/// producing at most [`MAX_DECOMPRESSED_BYTES`]. A truncated stream yields what could be read.
pub fn decompress(body: &[u8], content_encoding: Option<&str>) -> Decompressed {
    decompress_capped(body, content_encoding, MAX_DECOMPRESSED_BYTES)
}

/// [`decompress`] with a caller-chosen cap: at most `cap` bytes are produced (and held in
/// memory), however much the stream would expand.
pub fn decompress_capped(body: &[u8], content_encoding: Option<&str>, cap: usize) -> Decompressed {
    let coding = content_encoding
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let cap = cap as u64;
    match coding.as_str() {
        "" | "identity" => Decompressed::Bytes(body[..body.len().min(cap as usize)].to_vec()),
        "gzip" | "x-gzip" => Decompressed::Bytes(read_lossy(
            flate2::read::MultiGzDecoder::new(body).take(cap),
        )),
        "deflate" => {
            // Servers disagree on whether "deflate" is zlib-wrapped (RFC) or raw; try both.
            let zlib = read_lossy(flate2::read::ZlibDecoder::new(body).take(cap));
            if zlib.is_empty() && !body.is_empty() {
                Decompressed::Bytes(read_lossy(
                    flate2::read::DeflateDecoder::new(body).take(cap),
                ))
            } else {
                Decompressed::Bytes(zlib)
            }
        }
        _ => Decompressed::Unsupported,
    }
}

/// Reads until end or error, keeping what was read before an error (e.g. a cut gzip stream).
fn read_lossy(mut r: impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn check(bytes: &[u8], content_type: Option<&str>, text: &str, charset: &str) {
        let d = decode_html(bytes, content_type);
        assert_eq!((d.text.as_str(), d.charset), (text, charset));
    }

    fn gbk(s: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(s).0.into_owned()
    }

    #[test]
    fn default_is_utf8_with_replacement() {
        check("营业执照".as_bytes(), None, "营业执照", "UTF-8");
        check(b"a\xffb", None, "a\u{fffd}b", "UTF-8");
    }

    #[test]
    fn bom_wins_over_everything() {
        let mut b = vec![0xef, 0xbb, 0xbf];
        b.extend_from_slice("价格".as_bytes());
        check(&b, Some("text/html; charset=gbk"), "价格", "UTF-8");
        let mut b = vec![0xff, 0xfe];
        b.extend_from_slice(&[b'h', 0, b'i', 0]);
        check(&b, None, "hi", "UTF-16LE");
    }

    #[test]
    fn header_charset() {
        check(
            &gbk("营业执照"),
            Some("text/html; charset=GBK"),
            "营业执照",
            "GBK",
        );
        check(
            &gbk("营业执照"),
            Some("text/html;charset=\"gb2312\""),
            "营业执照",
            "GBK",
        );
        check(
            &gbk("营业执照"),
            Some("text/html; Charset=gb18030"),
            "营业执照",
            "gb18030",
        );
    }

    #[test]
    fn header_beats_meta() {
        let mut b = b"<meta charset=\"big5\">".to_vec();
        b.extend_from_slice(&gbk("价格"));
        check(
            &b,
            Some("text/html; charset=gbk"),
            "<meta charset=\"big5\">价格",
            "GBK",
        );
    }

    #[test]
    fn meta_charset_and_http_equiv() {
        let mut b = b"<html><head><META CHARSET=gbk>".to_vec();
        b.extend_from_slice(&gbk("营业执照"));
        check(
            &b,
            Some("text/html"),
            "<html><head><META CHARSET=gbk>营业执照",
            "GBK",
        );

        let mut b =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">".to_vec();
        b.extend_from_slice(&gbk("食品经营许可证"));
        let d = decode_html(&b, None);
        assert_eq!(d.charset, "GBK");
        assert!(d.text.ends_with("食品经营许可证"));
    }

    #[test]
    fn meta_after_1024_bytes_is_ignored() {
        let mut b = vec![b' '; 1100];
        b.extend_from_slice(b"<meta charset=gbk>");
        assert_eq!(decode_html(&b, None).charset, "UTF-8");
    }

    #[test]
    fn meta_utf16_means_utf8() {
        check(
            b"<meta charset=utf-16>x",
            None,
            "<meta charset=utf-16>x",
            "UTF-8",
        );
    }

    #[test]
    fn big5() {
        let b = encoding_rs::BIG5.encode("營業執照").0.into_owned();
        check(&b, Some("text/html; charset=big5"), "營業執照", "Big5");
        let mut m = b"<meta charset='big5'>".to_vec();
        m.extend_from_slice(&b);
        assert_eq!(decode_html(&m, None).charset, "Big5");
    }

    #[test]
    fn charset_param_parsing() {
        assert_eq!(charset_param("text/html; charset=utf-8"), Some("utf-8"));
        assert_eq!(charset_param("text/html"), None);
        assert_eq!(charset_param("text/html; q=1; CHARSET='gbk'"), Some("gbk"));
    }

    #[test]
    fn gzip_and_deflate() {
        let text = b"hello hello hello";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(
            decompress(&gz, Some("gzip")),
            Decompressed::Bytes(text.to_vec())
        );
        // A cut stream yields what could be read, without failing.
        assert!(matches!(
            decompress(&gz[..gz.len() - 8], Some("gzip")),
            Decompressed::Bytes(_)
        ));

        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(text).unwrap();
        assert_eq!(
            decompress(&z.finish().unwrap(), Some("deflate")),
            Decompressed::Bytes(text.to_vec())
        );
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(text).unwrap();
        assert_eq!(
            decompress(&raw.finish().unwrap(), Some("Deflate")),
            Decompressed::Bytes(text.to_vec())
        );

        assert_eq!(decompress(b"x", Some("br")), Decompressed::Unsupported);
        assert_eq!(
            decompress_capped(b"abcdef", None, 4),
            Decompressed::Bytes(b"abcd".to_vec())
        );
        assert_eq!(decompress(b"x", None), Decompressed::Bytes(b"x".to_vec()));
    }
}
