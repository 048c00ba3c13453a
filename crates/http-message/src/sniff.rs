//! What a body is when nobody says so, for a reader that wants HTML: a known binary format by
//! its magic number, other binary data by a NUL byte near its start (UTF-16 text, which has a
//! byte order mark, excepted), or text without a single tag. Anything else may be HTML.

/// Why a body is not HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotHtml {
    /// A binary format, named (`ELF executable`, `PNG image`, …), or `binary data`.
    Binary(&'static str),
    /// Text without any markup (no `<tag` nor `<!`).
    NoMarkup,
}

impl NotHtml {
    /// A stable code: `binary` or `no_markup`.
    pub fn code(self) -> &'static str {
        match self {
            NotHtml::Binary(_) => "binary",
            NotHtml::NoMarkup => "no_markup",
        }
    }
}

impl std::fmt::Display for NotHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotHtml::Binary(kind) => f.write_str(kind),
            NotHtml::NoMarkup => f.write_str("text without any HTML tag"),
        }
    }
}

/// Magic numbers of the formats most often handed to a page reader by mistake.
const MAGIC: &[(&[u8], &str)] = &[
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"RIFF", "RIFF media (WebP, WAV, AVI)"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"WARC/", "WARC file"),
];

/// How much of the start a NUL byte is looked for in.
const SNIFF_BYTES: usize = 8192;

/// Why `body` is not HTML, or `None` when it may be.
pub fn not_html(body: &[u8]) -> Option<NotHtml> {
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| body.starts_with(magic)) {
        return Some(NotHtml::Binary(kind));
    }
    let utf16 = body.starts_with(b"\xff\xfe") || body.starts_with(b"\xfe\xff");
    let start = &body[..body.len().min(SNIFF_BYTES)];
    if !utf16 && start.contains(&0) {
        return Some(NotHtml::Binary("binary data"));
    }
    let tag = |w: &[u8]| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'!');
    let has_tag = if utf16 {
        // Every other byte is the character's; `<` and a letter are ASCII.
        body.windows(3)
            .any(|w| w[0] == b'<' && (w[2].is_ascii_alphabetic() || w[2] == b'!'))
    } else {
        body.windows(2).any(tag)
    };
    (!has_tag).then_some(NotHtml::NoMarkup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_are_named_and_text_without_tags_is_not_html() {
        assert_eq!(
            not_html(b"\x7fELF\x02\x01\x01\x00"),
            Some(NotHtml::Binary("ELF executable"))
        );
        assert_eq!(
            not_html(b"\x89PNG\r\n\x1a\n\x00\x00"),
            Some(NotHtml::Binary("PNG image"))
        );
        assert_eq!(
            not_html(b"abc\x00<html>"),
            Some(NotHtml::Binary("binary data"))
        );
        assert_eq!(
            not_html("本店茶叶全国第一".as_bytes()),
            Some(NotHtml::NoMarkup)
        );
        assert_eq!(not_html(b""), Some(NotHtml::NoMarkup));
        assert_eq!(not_html(b"1 < 2 and 3 > 2"), Some(NotHtml::NoMarkup));
    }

    #[test]
    fn pages_and_fragments_may_be_html() {
        for page in [
            "<!DOCTYPE html><html><body>x</body></html>",
            "<p>第一次购买请先注册</p>",
            "\u{feff}  <HTML>",
        ] {
            assert_eq!(not_html(page.as_bytes()), None, "{page}");
        }
        // GBK text keeps its tags ASCII.
        let (gbk, _, _) = encoding_rs::GBK.encode("<p>绿源茶叶</p>");
        assert_eq!(not_html(&gbk), None);
        // UTF-16 with its byte order mark.
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("<p>x</p>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(not_html(&utf16), None);
    }
}
