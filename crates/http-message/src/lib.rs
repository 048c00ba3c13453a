//! `http_msg`: HTTP/1.x messages as they are stored and read back — the one place that parses
//! a message head, removes the chunked transfer-coding, removes a content-coding and finds a
//! body's charset.
//!
//! The crawler (`crawl`), the evidence crate (`evidence`: WARC payloads, CDXJ, WACZ page
//! titles, the TSA client), the sweep's search index and the console all read HTTP messages;
//! they all come here, so a page reads the same everywhere (a gzip-encoded GBK page without a
//! charset declaration is one text, not three). Module map:
//! - [`head`]: splitting a message at its blank line and parsing the head ([`Head`]);
//! - [`chunked`]: the chunked transfer-coding and the message payload (WARC's rule);
//! - [`coding`]: `Content-Encoding` (gzip, x-gzip, deflate zlib or raw, br), capped;
//! - [`charset`]: the charset of a body (BOM, `Content-Type`, `<meta>`, sniffing) and decoding;
//! - [`sniff`]: whether a body can be HTML at all (magic numbers, NUL bytes, tags);
//! - this file: [`Message`], the three put together, and [`decode_body`].
//!
//! It works on bytes alone: no IO, no sockets, no other wangjian crate. Broken input is data:
//! a lenient parse, a cut stream yields what could be read, a wrong byte becomes U+FFFD; only
//! a content-coding it cannot decode is refused ([`UnknownCoding`]).

pub mod charset;
pub mod chunked;
pub mod coding;
pub mod head;
pub mod sniff;

use std::borrow::Cow;

/// Appends `data` to `out`, which never holds more than `cap` bytes: what does not fit is left
/// out, and the return value is how many bytes went in. The buffer grows by doubling as usual
/// but never past `cap`, so a body read up to a cap of 8 MB holds at most 8 MB (amortised
/// doubling alone could reserve twice that for a body just over half the cap).
pub fn extend_within(out: &mut Vec<u8>, data: &[u8], cap: usize) -> usize {
    let take = data.len().min(cap.saturating_sub(out.len()));
    let needed = out.len() + take;
    if needed > out.capacity() {
        let target = needed.max(out.capacity().saturating_mul(2)).min(cap);
        out.reserve_exact(target - out.len());
    }
    out.extend_from_slice(&data[..take]);
    take
}

pub use charset::{decode_text, detect_charset, CharsetSource, Text};
pub use chunked::{dechunk, declares_chunked, message_payload, payload};
pub use coding::{decode_content, ContentCoding, Decompressed, UnknownCoding};
pub use head::{charset_param, media_type, split_message, Head, HeadError, StatusLine};
pub use sniff::{not_html, NotHtml};

/// How many decoded bytes a caller that wants a whole page asks for at most (32 MiB): a
/// decompression bomb stops here.
pub const MAX_DECODED_BYTES: usize = 32 * 1024 * 1024;

/// A body made text: content-coding removed (capped), charset found and decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The decoded text (malformed sequences replaced by U+FFFD).
    pub text: String,
    /// The encoding used, by its encoding_rs name (`"UTF-8"`, `"GBK"`, `"Big5"`...).
    pub charset: &'static str,
    /// Where the charset came from.
    pub charset_source: CharsetSource,
    /// True when the decoded bytes reached the cap (the text is only the start of the body).
    pub truncated: bool,
    /// True when the content-coding stream was broken or cut before its end (the text is what
    /// could be read before that).
    pub broken: bool,
}

/// Removes `content_encoding` from `payload` (at most `cap` bytes out), then decodes the
/// charset (see [`charset::detect_charset`] for the order of the rules).
pub fn decode_body(
    payload: &[u8],
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    cap: usize,
) -> Result<Decoded, UnknownCoding> {
    let plain = decode_content(payload, content_encoding, cap)?;
    let text = decode_text(&plain.bytes, content_type);
    Ok(Decoded {
        text: text.text,
        charset: text.encoding.name(),
        charset_source: text.source,
        truncated: plain.capped,
        broken: plain.broken,
    })
}

/// An HTTP message (a WARC `application/http` block, a raw response) split into its parsed
/// head and its body as stored.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// The parsed head.
    pub head: Head,
    /// The body exactly as stored (still chunked if it was stored so).
    pub body: &'a [u8],
}

impl<'a> Message<'a> {
    /// Splits `msg` at its blank line and parses the head. Without a blank line the whole
    /// message is head and the body is empty.
    pub fn parse(msg: &'a [u8]) -> Message<'a> {
        let (head, body) = split_message(msg).unwrap_or((msg, &[]));
        Message {
            head: Head::parse(head),
            body,
        }
    }

    /// The payload: the body with the chunked transfer-coding removed when the head declares
    /// it and the body really is chunked (see [`payload`]).
    pub fn payload(&self) -> Cow<'a, [u8]> {
        if self.head.is_chunked() {
            if let Some(plain) = dechunk(self.body) {
                return Cow::Owned(plain);
            }
        }
        Cow::Borrowed(self.body)
    }

    /// The payload as text: content-coding removed (at most `cap` bytes), charset decoded.
    pub fn decode_body(&self, cap: usize) -> Result<Decoded, UnknownCoding> {
        decode_body(
            &self.payload(),
            self.head.field("Content-Type"),
            self.head.field("Content-Encoding"),
            cap,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn a_buffer_filled_within_a_cap_never_reserves_past_it() {
        let cap = 1000;
        let mut out = Vec::new();
        let mut taken = 0;
        for _ in 0..30 {
            taken += extend_within(&mut out, &[7u8; 64], cap);
            assert!(out.capacity() <= cap, "{} > {cap}", out.capacity());
        }
        assert_eq!((taken, out.len()), (cap, cap));
        assert!(out.iter().all(|b| *b == 7));
        // Nothing more goes in once it is full.
        assert_eq!(extend_within(&mut out, b"x", cap), 0);
        assert_eq!(out.len(), cap);
    }

    #[test]
    fn a_chunked_gzip_gbk_message_without_declaration_reads_as_text() {
        let html = "<html><head><title>南宁青秀区食品店</title></head><body>本店销售各类食品，\
                    营业执照已公示，欢迎选购。</body></html>";
        let gz = gzip(&encoding_rs::GBK.encode(html).0);
        let mut msg = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\
                        Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
        msg.extend_from_slice(format!("{:x}\r\n", gz.len()).as_bytes());
        msg.extend_from_slice(&gz);
        msg.extend_from_slice(b"\r\n0\r\n\r\n");
        let m = Message::parse(&msg);
        assert_eq!(m.head.status(), Some(200));
        assert_eq!(&*m.payload(), &gz[..]);
        let d = m.decode_body(MAX_DECODED_BYTES).unwrap();
        assert_eq!(d.text, html);
        assert_eq!(
            (d.charset, d.charset_source),
            ("GBK", CharsetSource::Sniffed)
        );
        assert!(!d.truncated && !d.broken);
    }

    #[test]
    fn a_message_without_blank_line_is_all_head() {
        let m = Message::parse(b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n");
        assert_eq!(m.head.field("x-a"), Some("1"));
        assert!(m.body.is_empty());
        assert_eq!(m.decode_body(10).unwrap().text, "");
    }

    #[test]
    fn an_unknown_coding_is_refused_with_its_name() {
        let m = Message::parse(b"HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\n\r\nxx");
        assert_eq!(
            m.decode_body(10).unwrap_err(),
            UnknownCoding("zstd".to_string())
        );
    }

    #[test]
    fn the_cap_marks_truncation() {
        let gz = gzip(&[b'a'; 5000]);
        let d = decode_body(&gz, None, Some("gzip"), 1000).unwrap();
        assert_eq!(d.text.len(), 1000);
        assert!(d.truncated);
        let d = decode_body(&gz, None, Some("gzip"), 5000).unwrap();
        assert_eq!(d.text.len(), 5000);
        assert!(!d.truncated, "exactly the cap is not cut");
    }
}
