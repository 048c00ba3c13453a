//! Chinese telephone numbers as pages and registers write them, in one national form:
//! fixed lines `0771-5551234` (area code, hyphen, 7–8 digit subscriber number) and mobiles
//! `13800001234`. Detection normalises the numbers a page shows with [`normalize_phone`];
//! locality reads a fixed line's area code with [`area_code`].
//!
//! Area codes are not written with a fixed width, so the split is the numbering plan's: codes
//! beginning `01` or `02` have three digits (010 Beijing, 020–029), every other code has four
//! (0771 Nanning). A subscriber number never begins with 0 or 1.

use crate::text::fold_width;

/// The national form of a telephone number (`0771-5551234`, `010-62345678`, `13800001234`),
/// or `None` when the text is not one. Accepts hyphens, spaces, dots and parentheses between
/// digit groups (`(0771)5551234`, `0771 555 1234`), full-width digits, and the country code
/// `+86` / `0086` with or without the trunk 0 (`+86 771 5551234`, `+86 (0)771 5551234`,
/// `+86 138 0000 1234`).
pub fn normalize_phone(s: &str) -> Option<String> {
    let folded: String = s.chars().map(fold_width).collect();
    let t = folded.trim();
    let (international, rest) = if let Some(r) = t.strip_prefix("+86") {
        (true, r)
    } else if let Some(r) = t.strip_prefix("0086") {
        (true, r)
    } else {
        (false, t)
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{2010}'..='\u{2015}' => {}
            _ => return None,
        }
    }
    if international {
        // `+86 (0)771 …`: the trunk 0 may be written after the country code; a mobile has none.
        if !digits.starts_with('0') && !digits.starts_with('1') {
            digits.insert(0, '0');
        } else if digits.starts_with("10") && digits.len() == 10 {
            // `+86 10 12345678`: Beijing, the one area code that begins with 1.
            digits.insert(0, '0');
        }
    }
    let b = digits.as_bytes();
    if b.first() == Some(&b'1') {
        let mobile = b.len() == 11 && (b'3'..=b'9').contains(&b[1]);
        return mobile.then_some(digits);
    }
    if b.first() != Some(&b'0') || b.get(1) == Some(&b'0') {
        return None;
    }
    let code_len = if matches!(b.get(1), Some(b'1' | b'2')) {
        3
    } else {
        4
    };
    let subscriber = b.get(code_len..)?;
    let len_ok = if code_len == 3 {
        subscriber.len() == 8
    } else {
        matches!(subscriber.len(), 7 | 8)
    };
    if !len_ok || matches!(subscriber[0], b'0' | b'1') {
        return None;
    }
    Some(format!("{}-{}", &digits[..code_len], &digits[code_len..]))
}

/// The area code of a fixed line in national form (`0771` of `0771-5551234`); `None` for a
/// mobile or anything else. The input is normalised first, so any form
/// [`normalize_phone`] reads is accepted.
pub fn area_code(s: &str) -> Option<String> {
    let n = normalize_phone(s)?;
    n.split_once('-').map(|(code, _)| code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<&str>) {
        assert_eq!(normalize_phone(input).as_deref(), expect, "{input:?}");
    }

    #[test]
    fn forms() {
        check("0771-5551234", Some("0771-5551234"));
        check("(0771)5551234", Some("0771-5551234"));
        check("（０７７１）５５５１２３４", Some("0771-5551234"));
        check("0771 555 1234", Some("0771-5551234"));
        check("07715551234", Some("0771-5551234"));
        check("0771-55512345", Some("0771-55512345"));
        check("010-62345678", Some("010-62345678"));
        check("+86 771 5551234", Some("0771-5551234"));
        check("+86 (0)771 5551234", Some("0771-5551234"));
        check("0086-771-5551234", Some("0771-5551234"));
        check("+86 10 6234 5678", Some("010-62345678"));
        check("138 0000 1234", Some("13800001234"));
        check("+86 13800001234", Some("13800001234"));
        check("+86-138-0000-1234", Some("13800001234"));
    }

    #[test]
    fn near_misses() {
        check("12800001234", None); // no mobile begins 12
        check("1380000123", None); // 10 digits
        check("0771-0551234", None); // subscriber begins 0
        check("010-1234567", None); // Beijing's numbers have 8 digits
        check("0771-555123", None);
        check("0771-555123456", None);
        check("00771-5551234", None);
        check("0771-5551234 转 8", None);
        check("+86 1380000123", None);
        check("", None);
    }

    #[test]
    fn area_codes() {
        assert_eq!(area_code("(0771)5551234").as_deref(), Some("0771"));
        assert_eq!(area_code("0772-5551234").as_deref(), Some("0772"));
        assert_eq!(area_code("02081234567").as_deref(), Some("020"));
        assert_eq!(area_code("13800001234"), None);
    }
}
