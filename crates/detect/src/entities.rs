//! HTML character-reference decoding for text and attribute values.
//!
//! lol_html hands text and attribute values over raw, so `&#x7B2C;&#x4E00;` would reach the
//! matcher as ASCII and hide 第一. This decoder follows the HTML standard's tokenizer: decimal
//! and hexadecimal references (with the Windows-1252 remapping of 0x80–0x9F that browsers
//! apply), and every named character reference of the WHATWG table (2,231 names, from
//! `htmlize`'s copy of `entities.json`), the legacy ones also without the trailing `;` and by
//! longest match (`&notit;` is `¬it;`). A name missing from the table would be an evasion path:
//! text a browser shows that the matcher would not see. An unknown name is left as is. It
//! never fails and is linear in the input.

use std::borrow::Cow;

use htmlize::{BARE_ENTITY_MAX_LENGTH, ENTITIES, ENTITY_MAX_LENGTH};

/// Decodes character references in text content. Returns the input unchanged (borrowed) when
/// it has no `&`.
pub fn decode(s: &str) -> Cow<'_, str> {
    decode_in(s, false)
}

/// Decodes character references in an attribute value: as [`decode`], except that a legacy
/// name without `;` followed by `=` or a letter or digit stays as written, as browsers read
/// `href="?a=1&copy=2"`.
pub fn decode_attribute(s: &str) -> Cow<'_, str> {
    decode_in(s, true)
}

fn decode_in(s: &str, attribute: bool) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match reference(after, attribute, &mut out) {
            Some(used) => rest = &after[used..],
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// What browsers make of the numeric references 0x80–0x9F (the HTML standard's table; the
/// five holes stay as the C1 control they name).
const WINDOWS_1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// Parses the reference that follows an `&`, appends what it stands for to `out` and returns
/// the bytes consumed; `None` when there is no reference here.
fn reference(after: &str, attribute: bool, out: &mut String) -> Option<usize> {
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
            0x80..=0x9F => WINDOWS_1252[(value - 0x80) as usize],
            v => char::from_u32(v).unwrap_or('\u{FFFD}'),
        };
        out.push(c);
        return Some(if b.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        });
    }
    // The table's keys are written with their `&` (and `;` when it is required).
    let name_len = b
        .iter()
        .take(ENTITY_MAX_LENGTH)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 {
        return None;
    }
    let mut key = [0u8; ENTITY_MAX_LENGTH + 1];
    key[0] = b'&';
    if b.get(name_len) == Some(&b';') && name_len + 2 <= key.len() {
        key[1..=name_len].copy_from_slice(&b[..name_len]);
        key[name_len + 1] = b';';
        if let Some(value) = ENTITIES.get(&key[..name_len + 2]) {
            out.push_str(std::str::from_utf8(value).ok()?);
            return Some(name_len + 1);
        }
    }
    // Legacy names without `;`, longest first.
    for len in (1..=name_len.min(BARE_ENTITY_MAX_LENGTH - 1)).rev() {
        key[1..=len].copy_from_slice(&b[..len]);
        if let Some(value) = ENTITIES.get(&key[..=len]) {
            if attribute
                && b.get(len)
                    .is_some_and(|&c| c == b'=' || c.is_ascii_alphanumeric())
            {
                return None;
            }
            out.push_str(std::str::from_utf8(value).ok()?);
            return Some(len);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{decode, decode_attribute};

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
    fn the_whole_whatwg_table() {
        // Names the former 55-name table did not know.
        assert_eq!(decode("&lbrack;1&rbrack;"), "[1]");
        assert_eq!(decode("&NotEqualTilde;"), "\u{2242}\u{338}");
        assert_eq!(decode("&frac34;&frac34"), "¾¾");
        assert_eq!(decode("&hArr;&CounterClockwiseContourIntegral;"), "⇔∳");
        assert_eq!(decode("&fjlig;&ThickSpace;"), "fj\u{205F}\u{200A}");
        // Legacy names without `;` by longest match; names that need `;` do not match bare.
        assert_eq!(decode("&notit; &notin; &ampx &lbrack"), "¬it; ∉ &x &lbrack");
        // Numeric references as browsers read them.
        assert_eq!(decode("&#150;&#x80;&#x9d;&#xD800;"), "–€\u{9D}\u{FFFD}");
    }

    #[test]
    fn attribute_values_keep_query_strings() {
        assert_eq!(decode_attribute("?a=1&copy=2&amp;b"), "?a=1&copy=2&b");
        assert_eq!(decode_attribute("?a=1&copyx"), "?a=1&copyx");
        assert_eq!(decode_attribute("&copy 2024 &copy;x"), "© 2024 ©x");
        assert_eq!(decode("?a=1&copy=2"), "?a=1©=2");
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
