//! The head of an HTTP/1.x message: where it ends, its start line, its fields.
//!
//! Lenient as a reader of evidence must be: a line may end in CRLF or a bare LF, a field line
//! that starts with a space or tab continues the previous value (obsolete line folding,
//! joined with one space), a line without a colon is kept as a field with an empty value, and
//! bytes that are not UTF-8 are replaced. Only [`Head::status_line`] is strict, for a client
//! that must refuse what is not an HTTP/1.x response.

use thiserror::Error;

/// Splits an HTTP message at the first empty line (CRLF, or a bare LF from lenient writers):
/// the head including its blank line, and the body. `None` when no blank line ends the head.
pub fn split_message(msg: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut line_start = 0;
    while line_start < msg.len() {
        let end = line_start + memchr::memchr(b'\n', &msg[line_start..])? + 1;
        let line = &msg[line_start..end];
        if line_start > 0 && (line == b"\r\n" || line == b"\n") {
            return Some((&msg[..end], &msg[end..]));
        }
        line_start = end;
    }
    None
}

/// A parsed head: the start line and the fields in order, as sent (names keep their case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    /// `HTTP/1.1 200 OK` or `GET / HTTP/1.1`, without its line end.
    pub start_line: String,
    /// `(name, value)` in order, both trimmed; folded lines joined with a space.
    pub fields: Vec<(String, String)>,
}

/// The status line of a response, read strictly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase as sent (may be empty).
    pub reason: String,
}

/// Why a start line is not an HTTP/1.x status line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeadError {
    /// The start line does not begin with `HTTP/1.`.
    #[error("not an HTTP/1.x response")]
    NotHttp1,
    /// The status code is not three digits.
    #[error("bad HTTP status line")]
    BadStatus,
}

impl Head {
    /// Parses a head (with or without its blank line; anything after the first empty line is
    /// ignored). Never fails.
    pub fn parse(bytes: &[u8]) -> Head {
        let text = String::from_utf8_lossy(bytes);
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let start_line = lines.next().unwrap_or_default().trim_end().to_string();
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = fields.last_mut() {
                    let more = line.trim();
                    if !more.is_empty() {
                        if !value.is_empty() {
                            value.push(' ');
                        }
                        value.push_str(more);
                    }
                    continue;
                }
            }
            match line.split_once(':') {
                Some((n, v)) => fields.push((n.trim().to_string(), v.trim().to_string())),
                None => fields.push((line.trim().to_string(), String::new())),
            }
        }
        Head { start_line, fields }
    }

    /// The first value of field `name` (case-insensitive).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of field `name` (case-insensitive), in order.
    pub fn fields_named<'h>(&'h self, name: &'h str) -> impl Iterator<Item = &'h str> + 'h {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The status code of a response, read leniently: the second word of the start line when
    /// it is a number (`None` for a request line or a garbled one).
    pub fn status(&self) -> Option<u16> {
        self.start_line.split_whitespace().nth(1)?.parse().ok()
    }

    /// The status line read strictly: `HTTP/1.x`, a three-digit code, an optional reason.
    pub fn status_line(&self) -> Result<StatusLine, HeadError> {
        let mut parts = self.start_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        if !version.starts_with("HTTP/1.") {
            return Err(HeadError::NotHttp1);
        }
        let code = parts.next().unwrap_or_default();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HeadError::BadStatus);
        }
        Ok(StatusLine {
            version: version.to_string(),
            status: code.parse().map_err(|_| HeadError::BadStatus)?,
            reason: parts.next().unwrap_or_default().to_string(),
        })
    }

    /// The `Content-Type` value, parameters included.
    pub fn content_type(&self) -> Option<&str> {
        self.field("Content-Type")
    }

    /// The media type of `Content-Type`, lower case, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.content_type().map(media_type)
    }

    /// The `Content-Encoding` value.
    pub fn content_encoding(&self) -> Option<&str> {
        self.field("Content-Encoding")
    }

    /// `Content-Length` when it is a number.
    pub fn content_length(&self) -> Option<u64> {
        self.field("Content-Length")?.trim().parse().ok()
    }

    /// Whether some `Transfer-Encoding` field lists `chunked`.
    pub fn is_chunked(&self) -> bool {
        self.fields_named("Transfer-Encoding").any(|v| {
            v.split(',')
                .any(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
        })
    }
}

/// `text/html; charset=gbk` → `text/html`: the media type, lower case, without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The `charset` parameter of a `Content-Type` value, unquoted.
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(h: &Head) -> Vec<(&str, &str)> {
        h.fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn split_at_the_first_blank_line() {
        let msg = b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\nbody\r\n\r\nmore";
        let (head, body) = split_message(msg).unwrap();
        assert_eq!(head, b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n");
        assert_eq!(body, b"body\r\n\r\nmore");
        let (head, body) = split_message(b"HTTP/1.0 200 OK\nA: 1\n\nx").unwrap();
        assert_eq!((head, body), (&b"HTTP/1.0 200 OK\nA: 1\n\n"[..], &b"x"[..]));
        assert_eq!(split_message(b"HTTP/1.1 200 OK\r\nA: 1\r\n"), None);
        assert_eq!(split_message(b""), None);
        // A blank first line is not the end of a head.
        assert_eq!(split_message(b"\r\nA: 1\r\n\r\n").unwrap().1, b"");
    }

    #[test]
    fn fields_in_order_with_folding_and_oddities() {
        let h = Head::parse(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-A: 1\r\n  2\r\n\tthree\r\n\
              Set-Cookie: a=1\r\nset-cookie: b=2\r\nno colon here\r\nX-Empty:\r\n\r\nIgnored: yes",
        );
        assert_eq!(h.start_line, "HTTP/1.1 200 OK");
        assert_eq!(
            fields(&h),
            [
                ("Content-Type", "text/html"),
                ("X-A", "1 2 three"),
                ("Set-Cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("no colon here", ""),
                ("X-Empty", ""),
            ]
        );
        assert_eq!(h.field("content-type"), Some("text/html"));
        assert_eq!(
            h.fields_named("SET-COOKIE").collect::<Vec<_>>(),
            ["a=1", "b=2"]
        );
        assert_eq!(h.field("Ignored"), None);
    }

    #[test]
    fn bare_lf_and_non_utf8_values() {
        let h = Head::parse(b"HTTP/1.0 404 Not Found\nX-Name: caf\xe9\n\n");
        assert_eq!(h.status(), Some(404));
        assert_eq!(h.field("x-name"), Some("caf\u{fffd}"));
    }

    #[test]
    fn status_lenient_and_strict() {
        let h = |s: &str| Head::parse(s.as_bytes());
        assert_eq!(h("HTTP/1.1 200 OK\r\n").status(), Some(200));
        assert_eq!(h("HTTP/1.1 200\r\n").status(), Some(200));
        assert_eq!(h("GET / HTTP/1.1\r\n").status(), None);
        assert_eq!(h("").status(), None);
        assert_eq!(
            h("HTTP/1.1 503 Service Unavailable\r\n").status_line(),
            Ok(StatusLine {
                version: "HTTP/1.1".into(),
                status: 503,
                reason: "Service Unavailable".into()
            })
        );
        assert_eq!(h("HTTP/1.0 200\r\n").status_line().unwrap().reason, "");
        assert_eq!(h("HTTP/2 200\r\n").status_line(), Err(HeadError::NotHttp1));
        assert_eq!(h("ICY 200 OK\r\n").status_line(), Err(HeadError::NotHttp1));
        assert_eq!(
            h("HTTP/1.1 20 OK\r\n").status_line(),
            Err(HeadError::BadStatus)
        );
        assert_eq!(
            h("HTTP/1.1 +20 OK\r\n").status_line(),
            Err(HeadError::BadStatus)
        );
    }

    #[test]
    fn content_fields() {
        let h = Head::parse(
            b"HTTP/1.1 200 OK\r\nContent-Type: Text/HTML; charset=\"GBK\"\r\n\
              Content-Encoding: gzip\r\nContent-Length: 12\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n",
        );
        assert_eq!(h.media_type().as_deref(), Some("text/html"));
        assert_eq!(h.content_type().and_then(charset_param), Some("GBK"));
        assert_eq!(h.content_encoding(), Some("gzip"));
        assert_eq!(h.content_length(), Some(12));
        assert!(h.is_chunked());
        let plain = Head::parse(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\nX-T: chunked\r\n\r\n");
        assert!(!plain.is_chunked());
        assert_eq!(plain.content_length(), None);
    }

    #[test]
    fn charset_parameter() {
        assert_eq!(charset_param("text/html; charset=utf-8"), Some("utf-8"));
        assert_eq!(charset_param("text/html"), None);
        assert_eq!(charset_param("text/html; q=1; CHARSET='gbk'"), Some("gbk"));
        assert_eq!(
            charset_param("text/html;charset=\"gb2312\""),
            Some("gb2312")
        );
        assert_eq!(media_type(" TEXT/Plain ;x=y"), "text/plain");
    }
}
