//! HTML character-reference decoding for text and attribute values.
//!
//! lol_html hands text and attribute values over raw, so `&#x7B2C;&#x4E00;` would reach the
//! matcher as ASCII and hide 第一. This decoder covers decimal and hexadecimal references and
//! the named references that occur on Chinese commercial pages; an unknown name is left as is.
//! It never fails and is linear in the input.

use std::borrow::Cow;

/// Named references recognised (with or without the trailing `;`, as browsers do for the
/// legacy ones). Longer lists can be added here; the HTML standard has about 2,200.
const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{A0}'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwsp", '\u{200B}'),
    ("zwnj", '\u{200C}'),
    ("zwj", '\u{200D}'),
    ("shy", '\u{AD}'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("yen", '¥'),
    ("cent", '¢'),
    ("pound", '£'),
    ("euro", '€'),
    ("middot", '·'),
    ("bull", '•'),
    ("hellip", '…'),
    ("mdash", '—'),
    ("ndash", '–'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("times", '×'),
    ("divide", '÷'),
    ("deg", '°'),
    ("plusmn", '±'),
    ("sect", '§'),
    ("para", '¶'),
    ("larr", '←'),
    ("rarr", '→'),
    ("uarr", '↑'),
    ("darr", '↓'),
    ("hearts", '♥'),
    ("star", '☆'),
    ("starf", '★'),
    ("colon", ':'),
    ("comma", ','),
    ("period", '.'),
    ("excl", '!'),
    ("quest", '?'),
    ("num", '#'),
    ("percnt", '%'),
    ("lpar", '('),
    ("rpar", ')'),
    ("sol", '/'),
    ("semi", ';'),
];

/// The longest name in [`NAMED`], bounding the look-ahead after `&`.
const MAX_NAME: usize = 8;

/// Decodes character references. Returns the input unchanged (borrowed) when it has no `&`.
pub fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match reference(after) {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Parses the reference that follows an `&`: the decoded character and the bytes consumed.
fn reference(after: &str) -> Option<(char, usize)> {
    let b = after.as_bytes();
    if b.first() == Some(&b'#') {
        let (hex, start) = match b.get(1) {
            Some(b'x' | b'X') => (true, 2),
            _ => (false, 1),
        };
        let digits = b[start..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 {
            return None;
        }
        let end = start + digits;
        // Browsers accept any number of leading zeros; cap the value instead of the length.
        let text = &after[start..end];
        let value = u32::from_str_radix(text.trim_start_matches('0'), if hex { 16 } else { 10 })
            .unwrap_or(if text.trim_start_matches('0').is_empty() {
                0
            } else {
                u32::MAX
            });
        let c = match value {
            0 => '\u{FFFD}',
            v => char::from_u32(v).unwrap_or('\u{FFFD}'),
        };
        let used = if b.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        };
        return Some((c, used));
    }
    let name_len = b
        .iter()
        .take(MAX_NAME + 1)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &after[..name_len];
    let c = NAMED.iter().find(|(n, _)| *n == name).map(|&(_, c)| c)?;
    let used = if b.get(name_len) == Some(&b';') {
        name_len + 1
    } else {
        name_len
    };
    Some((c, used))
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_numeric_and_named() {
        assert_eq!(decode("&#x7B2C;&#x4E00;"), "第一");
        assert_eq!(decode("&#31532;&#19968;"), "第一");
        assert_eq!(
            decode("A&amp;B &lt;x&gt; &yen;9 &nbsp;"),
            "A&B <x> ¥9 \u{A0}"
        );
        assert_eq!(decode("&copy 2024"), "© 2024");
    }

    #[test]
    fn leaves_the_unknown_alone() {
        assert_eq!(
            decode("a & b &unknown; &#; &#x;"),
            "a & b &unknown; &#; &#x;"
        );
        assert_eq!(decode("&#99999999999999;"), "\u{FFFD}");
        assert_eq!(decode("&#0;"), "\u{FFFD}");
        assert_eq!(decode("&"), "&");
        assert_eq!(decode("x&#x"), "x&#x");
    }
}
