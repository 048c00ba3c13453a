//! Turning a captured HTTP response into something safe to look at. Reading it is
//! `http_msg`'s (the head, the chunked transfer-coding, the content-coding with a cap, the
//! charset); what is left here is the console's: the display limit, not showing binary
//! bodies, and the Chinese words for what the reader should know. The result is plain text
//! for an escaped `<pre>`; nothing here produces HTML. Decoding produces at most
//! [`SHOWN_BODY_LIMIT`] bytes, so a decompression bomb costs nothing.

use http_msg::{CharsetSource, Head};

/// Bytes of a body shown at most.
pub const SHOWN_BODY_LIMIT: usize = 256 * 1024;

/// A body prepared for display.
#[derive(Debug, Clone)]
pub struct ShownBody {
    /// The text to show (escaped by the template); empty when `binary`.
    pub text: String,
    /// The encoding used to decode, e.g. `GBK`.
    pub charset: &'static str,
    /// Where the charset came from, in words for the reader.
    pub charset_source: &'static str,
    /// Bytes of the payload as stored (after de-chunking, before decompression).
    pub stored_bytes: usize,
    /// Only the first [`SHOWN_BODY_LIMIT`] bytes (decompressed) are shown.
    pub truncated: bool,
    /// The body is not text; it is not shown.
    pub binary: bool,
    /// Anything the reader should know (an unknown content coding, a broken stream).
    pub notes: Vec<String>,
}

/// Prepares the body of an HTTP message (`head` parsed from it, `payload` de-chunked).
pub fn show_body(head: &Head, payload: &[u8]) -> ShownBody {
    let mut notes = Vec::new();
    let content_type = head.content_type();
    let decoded = match http_msg::decode_body(
        payload,
        content_type,
        head.content_encoding(),
        SHOWN_BODY_LIMIT,
    ) {
        Ok(d) => d,
        Err(http_msg::UnknownCoding(coding)) => {
            notes.push(format!("内容编码 {coding} 无法解码，未显示正文。"));
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
    if decoded.broken {
        notes.push("内容编码的数据流损坏或不完整，显示已解出的部分。".to_string());
    }
    let binary = is_binary(content_type.unwrap_or_default(), &decoded.text);
    ShownBody {
        text: if binary { String::new() } else { decoded.text },
        charset: decoded.charset,
        charset_source: source_words(decoded.charset_source),
        stored_bytes: payload.len(),
        truncated: decoded.truncated,
        binary,
        notes,
    }
}

fn source_words(source: CharsetSource) -> &'static str {
    match source {
        CharsetSource::Bom => "字节顺序标记",
        CharsetSource::ContentType => "Content-Type 响应头",
        CharsetSource::Meta => "页面 meta 标签",
        CharsetSource::Sniffed => "推断",
    }
}

fn is_binary(content_type: &str, text: &str) -> bool {
    let mime = http_msg::media_type(content_type);
    let media = ["image/", "audio/", "video/", "font/"];
    if media.iter().any(|m| mime.starts_with(m))
        || matches!(
            mime.as_str(),
            "application/octet-stream" | "application/pdf" | "application/zip"
        )
    {
        return true;
    }
    // A NUL near the start: not text, whatever the header says.
    text.chars().take(1024).any(|c| c == '\0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::GB18030;
    use std::io::Write;

    fn head(s: &str) -> Head {
        Head::parse(s.as_bytes())
    }

    #[test]
    fn charset_from_header_meta_or_guess() {
        let (gbk, _, _) = GB18030.encode("南宁市青秀区");
        let b = show_body(
            &head("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=GBK\r\n\r\n"),
            &gbk,
        );
        assert_eq!(b.text, "南宁市青秀区");
        assert_eq!(b.charset_source, "Content-Type 响应头");
        let mut page = b"<html><head><meta charset=\"gb2312\"></head>".to_vec();
        page.extend_from_slice(&gbk);
        let b = show_body(
            &head("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"),
            &page,
        );
        assert!(b.text.ends_with("南宁市青秀区"), "{}", b.text);
        assert_eq!(b.charset_source, "页面 meta 标签");
        let b = show_body(&head("HTTP/1.1 200 OK\r\n\r\n"), &gbk);
        assert_eq!(
            (b.text.as_str(), b.charset, b.charset_source),
            ("南宁市青秀区", "GBK", "推断")
        );
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
            &head("HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\n\r\n"),
            b"xx",
        );
        assert!(b.binary && b.notes[0].contains("zstd"));
    }

    #[test]
    fn a_cut_stream_shows_what_was_read_and_says_so() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all("营业执照".repeat(5000).as_bytes()).unwrap();
        let gz = enc.finish().unwrap();
        let b = show_body(
            &head("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n"),
            &gz[..gz.len() - 10],
        );
        assert!(!b.binary && b.text.starts_with("营业执照营业执照"));
        assert_eq!(b.notes.len(), 1);
    }
}
