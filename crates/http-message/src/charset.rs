//! The charset of a body, and the body decoded with it.
//!
//! The rules, in order: a byte-order mark; the `charset` parameter of `Content-Type`; a
//! `<meta charset>` or `<meta http-equiv="Content-Type" content="…; charset=…">` in the
//! first 1024 bytes; else sniffing — valid UTF-8 is UTF-8, anything else is what `chardetng`
//! (the detector Firefox uses for undeclared pages) guesses from the bytes alone (no
//! top-level-domain hint: a `.cn` hint would read every Big5 page as GBK). The BOM comes first as in browsers (the WHATWG
//! Encoding Standard's *decode*): a page is read as its visitors saw it. Labels are resolved
//! by the WHATWG Encoding Standard, so `gb2312` decodes as GBK; an unknown label is ignored
//! and the next rule applies.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8};

use crate::head::charset_param;

/// How far into a document the `<meta>` prescan looks.
pub const META_PRESCAN_BYTES: usize = 1024;

/// How many bytes the sniffer reads at most.
pub const SNIFF_BYTES: usize = 1024 * 1024;

/// Where a charset came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CharsetSource {
    /// A byte-order mark.
    Bom,
    /// The `charset` parameter of the `Content-Type` header.
    ContentType,
    /// A `<meta>` tag in the first [`META_PRESCAN_BYTES`].
    Meta,
    /// Nothing declared it: guessed from the bytes.
    Sniffed,
}

impl CharsetSource {
    /// A stable token: `bom`, `content-type`, `meta`, `sniffed`.
    pub fn as_str(self) -> &'static str {
        match self {
            CharsetSource::Bom => "bom",
            CharsetSource::ContentType => "content-type",
            CharsetSource::Meta => "meta",
            CharsetSource::Sniffed => "sniffed",
        }
    }
}

/// A decoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The text (malformed sequences replaced by U+FFFD, a BOM removed).
    pub text: String,
    /// The encoding used.
    pub encoding: &'static Encoding,
    /// Where it came from.
    pub source: CharsetSource,
}

/// The charset of `bytes` (a body without content-coding) served with `content_type`.
pub fn detect_charset(
    bytes: &[u8],
    content_type: Option<&str>,
) -> (&'static Encoding, CharsetSource) {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return (enc, CharsetSource::Bom);
    }
    if let Some(enc) = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
    {
        return (enc, CharsetSource::ContentType);
    }
    if let Some(enc) = meta_charset(&bytes[..bytes.len().min(META_PRESCAN_BYTES)]) {
        return (enc, CharsetSource::Meta);
    }
    (sniff(bytes), CharsetSource::Sniffed)
}

/// Decodes `bytes` with the charset [`detect_charset`] finds. Never fails.
pub fn decode_text(bytes: &[u8], content_type: Option<&str>) -> Text {
    let (encoding, source) = detect_charset(bytes, content_type);
    let bom_len = match Encoding::for_bom(bytes) {
        Some((enc, len)) if enc == encoding => len,
        _ => 0,
    };
    let (text, _had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
    Text {
        text: text.into_owned(),
        encoding,
        source,
    }
}

/// Valid UTF-8 (also when cut in the middle of its last character) is UTF-8; anything else
/// is chardetng's guess.
fn sniff(bytes: &[u8]) -> &'static Encoding {
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    match std::str::from_utf8(sample) {
        Ok(_) => return UTF_8,
        Err(e) if e.error_len().is_none() => return UTF_8,
        Err(_) => {}
    }
    // ISO-2022-JP is refused as browsers refuse it for pages that can run scripts (and it
    // would be ASCII, which the UTF-8 check above already took).
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(sample, sample.len() == bytes.len());
    detector.guess(None, Utf8Detection::Deny)
}

/// A charset declared by a `<meta>` tag in `head` (a simplified HTML prescan).
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos + 5;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        if let Some(enc) = charset_in_tag(&lower[start..end]) {
            // A document that could be read as ASCII cannot really be UTF-16; x-user-defined
            // in a <meta> means windows-1252 (WHATWG HTML, prescan).
            return Some(
                if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                    UTF_8
                } else if enc == encoding_rs::X_USER_DEFINED {
                    encoding_rs::WINDOWS_1252
                } else {
                    enc
                },
            );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8], content_type: Option<&str>, text: &str, charset: &str, from: &str) {
        let d = decode_text(bytes, content_type);
        assert_eq!(
            (d.text.as_str(), d.encoding.name(), d.source.as_str()),
            (text, charset, from)
        );
    }

    fn gbk(s: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(s).0.into_owned()
    }

    const PAGE: &str = "<html><head><title>青秀区优选食品商行</title></head><body><p>本店销售\
        各类预包装食品、散装食品，营业执照与食品经营许可证已在首页公示。联系电话：0771-5551234。\
        地址：南宁市青秀区民族大道100号。</p></body></html>";

    #[test]
    fn bom_comes_first() {
        let mut b = vec![0xef, 0xbb, 0xbf];
        b.extend_from_slice("价格".as_bytes());
        check(&b, Some("text/html; charset=gbk"), "价格", "UTF-8", "bom");
        let mut b = vec![0xff, 0xfe];
        b.extend_from_slice(&[b'h', 0, b'i', 0]);
        check(&b, None, "hi", "UTF-16LE", "bom");
    }

    #[test]
    fn content_type_charset() {
        let b = gbk("营业执照");
        check(
            &b,
            Some("text/html; charset=GBK"),
            "营业执照",
            "GBK",
            "content-type",
        );
        check(
            &b,
            Some("text/html;charset=\"gb2312\""),
            "营业执照",
            "GBK",
            "content-type",
        );
        check(
            &b,
            Some("text/html; Charset=gb18030"),
            "营业执照",
            "gb18030",
            "content-type",
        );
        let b5 = encoding_rs::BIG5.encode("營業執照").0.into_owned();
        check(
            &b5,
            Some("text/html; charset=big5"),
            "營業執照",
            "Big5",
            "content-type",
        );
    }

    #[test]
    fn content_type_beats_meta_and_an_unknown_label_is_skipped() {
        let mut b = b"<meta charset=\"big5\">".to_vec();
        b.extend_from_slice(&gbk("价格"));
        check(
            &b,
            Some("text/html; charset=gbk"),
            "<meta charset=\"big5\">价格",
            "GBK",
            "content-type",
        );
        let d = decode_text(&b, Some("text/html; charset=no-such-charset"));
        assert_eq!((d.encoding.name(), d.source), ("Big5", CharsetSource::Meta));
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
            "meta",
        );
        let mut b =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">".to_vec();
        b.extend_from_slice(&gbk("食品经营许可证"));
        let d = decode_text(&b, None);
        assert_eq!((d.encoding.name(), d.source), ("GBK", CharsetSource::Meta));
        assert!(d.text.ends_with("食品经营许可证"));
        let mut m = b"<meta name=x><meta charset='big5'>".to_vec();
        m.extend_from_slice(&encoding_rs::BIG5.encode("營業執照").0);
        assert_eq!(decode_text(&m, None).encoding.name(), "Big5");
    }

    #[test]
    fn meta_after_the_prescan_window_is_not_read() {
        let mut b = vec![b' '; 1100];
        b.extend_from_slice(b"<meta charset=gbk>");
        let d = decode_text(&b, None);
        assert_eq!(
            (d.encoding.name(), d.source),
            ("UTF-8", CharsetSource::Sniffed)
        );
    }

    #[test]
    fn meta_utf16_means_utf8_and_x_user_defined_means_windows_1252() {
        check(
            b"<meta charset=utf-16>x",
            None,
            "<meta charset=utf-16>x",
            "UTF-8",
            "meta",
        );
        let d = decode_text(b"<meta charset=x-user-defined>\x80", None);
        assert_eq!(d.encoding.name(), "windows-1252");
        assert!(d.text.ends_with('\u{20ac}'));
    }

    #[test]
    fn undeclared_utf8_is_utf8() {
        check(PAGE.as_bytes(), Some("text/html"), PAGE, "UTF-8", "sniffed");
        check(b"plain ascii", None, "plain ascii", "UTF-8", "sniffed");
        // Cut in the middle of the last character (a capped body): still UTF-8.
        let cut = &"价格".as_bytes()[..4];
        assert_eq!(decode_text(cut, None).encoding.name(), "UTF-8");
        // Not UTF-8 and nothing CJK about it: a single-byte legacy encoding.
        check(b"a\xffb", None, "a\u{ff}b", "windows-1252", "sniffed");
    }

    #[test]
    fn undeclared_gbk_and_big5_are_sniffed() {
        check(&gbk(PAGE), Some("text/html"), PAGE, "GBK", "sniffed");
        check(&gbk(PAGE), None, PAGE, "GBK", "sniffed");
        let trad =
            "<html><body>本店銷售各類預包裝食品與散裝食品，營業執照及食品經營許可證已於首頁公示，\
                    歡迎蒞臨選購，價格實惠，品質保證。</body></html>";
        let b5 = encoding_rs::BIG5.encode(trad).0.into_owned();
        check(&b5, None, trad, "Big5", "sniffed");
    }
}
