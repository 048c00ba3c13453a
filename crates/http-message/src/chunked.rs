//! The chunked transfer-coding, and the payload of a message: its body with that coding
//! removed (the WARC 1.1 payload, which every digest and reader here uses).

use std::borrow::Cow;

use crate::head::{split_message, Head};

/// Removes the chunked transfer-coding: the chunks' data in order, chunk extensions and
/// trailer fields dropped. Line ends may be CRLF or a bare LF. `None` when `body` is not a
/// complete chunked body (a size that is not hex, a chunk cut short, no last chunk).
pub fn dechunk(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut pos = 0;
    loop {
        let nl = body[pos..].iter().position(|&b| b == b'\n')?;
        let line = std::str::from_utf8(&body[pos..pos + nl]).ok()?;
        pos += nl + 1;
        let size_text = line.split(';').next()?.trim();
        if size_text.is_empty() {
            return None;
        }
        let size = usize::from_str_radix(size_text, 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        let end = pos.checked_add(size)?;
        out.extend_from_slice(body.get(pos..end)?);
        pos = end;
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        } else if body[pos..].starts_with(b"\n") {
            pos += 1;
        } else {
            return None;
        }
    }
}

/// Whether a raw head declares `Transfer-Encoding: chunked` (see [`Head::is_chunked`]); cheap
/// for the common head that does not mention `chunked` at all.
pub fn declares_chunked(head: &[u8]) -> bool {
    let named_at = |i: usize| {
        head[i..]
            .get(..7)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"chunked"))
    };
    memchr::memchr2_iter(b'c', b'C', head).any(named_at) && Head::parse(head).is_chunked()
}

/// The payload of a message already split into raw head and body: the body, de-chunked when
/// the head declares `chunked` and the body really is chunked. A body that claims to be
/// chunked but is not (seen in the wild) counts as it is.
pub fn payload<'a>(head: &[u8], body: &'a [u8]) -> Cow<'a, [u8]> {
    if declares_chunked(head) {
        if let Some(plain) = dechunk(body) {
            return Cow::Owned(plain);
        }
    }
    Cow::Borrowed(body)
}

/// The payload of a whole message (head + body, see [`payload`]); a message without a blank
/// line after its head has an empty payload.
pub fn message_payload(msg: &[u8]) -> Cow<'_, [u8]> {
    match split_message(msg) {
        Some((head, body)) => payload(head, body),
        None => Cow::Borrowed(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunk_cases() {
        let d = |b: &[u8]| dechunk(b);
        assert_eq!(
            d(b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\n").unwrap(),
            b"Wikipedia"
        );
        assert_eq!(
            d(b"4\nWiki\nA\n0123456789\n0\n\n").unwrap(),
            b"Wiki0123456789"
        );
        assert_eq!(d(b"0\r\n\r\n").unwrap(), b"");
        assert_eq!(d(b" 3 \r\nabc\r\n0\r\n").unwrap(), b"abc");
        assert_eq!(d(b"4\r\nWiki\r\n"), None, "missing last chunk");
        assert_eq!(d(b"10\r\nshort\r\n0\r\n\r\n"), None, "chunk cut short");
        assert_eq!(d(b"3\r\nabcX0\r\n\r\n"), None, "no line end after data");
        assert_eq!(d(b"<html>\r\n"), None);
        assert_eq!(d(b"\r\nabc"), None, "empty size line");
        assert_eq!(d(b"ffffffffffffffff\r\nx"), None, "size overflows");
        assert_eq!(d(b"fffffffffffffffff\r\nx"), None, "size too long");
        assert_eq!(d(b""), None);
    }

    #[test]
    fn payload_follows_transfer_encoding() {
        let p = |m: &'static [u8]| message_payload(m).into_owned();
        assert_eq!(
            p(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
            b"abc"
        );
        assert_eq!(
            p(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n<html>"),
            b"<html>",
            "claims chunked but is not"
        );
        assert_eq!(
            p(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n3\r\nab"),
            b"3\r\nab"
        );
        assert_eq!(
            p(b"HTTP/1.1 200 OK\r\nX-Note: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
            b"3\r\nabc\r\n0\r\n\r\n",
            "only Transfer-Encoding counts"
        );
        assert_eq!(p(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), b"");
        assert_eq!(p(b"HTTP/1.1 200 OK\r\n"), b"");
        assert!(declares_chunked(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\n\r\n"
        ));
        assert!(!declares_chunked(b"HTTP/1.1 200 OK\r\n\r\n"));
    }
}
