//! Normalisation of identifiers (USCC, ICP numbers, hosts, phone numbers).
//!
//! Each identifier is indexed as one or more exact keywords in a raw (untokenised) field; the
//! functions here produce those keywords at indexing time and the single key a query looks up,
//! so both sides are guaranteed to agree.

use domain::text::compact_upper;
use domain::SiteAddress;

/// The key of a USCC: compact, upper-case.
pub(crate) fn uscc_key(s: &str) -> String {
    compact_upper(s)
}

/// Whether compacted query text looks like a USCC: 18 ASCII letters/digits with some digits.
///
/// The check characters are deliberately not verified: the register holds codes as filed,
/// including the occasional bad one, and an 18-character code is never useful free text.
pub(crate) fn looks_like_uscc(compact: &str) -> bool {
    compact.len() == 18
        && compact.bytes().all(|b| b.is_ascii_alphanumeric())
        && compact.bytes().filter(u8::is_ascii_digit).count() >= 2
}

/// Index keywords for an ICP number: its compact form and, for a filing with a site suffix
/// (`桂ICP备2017001234号-1`), the filing without it, so that a query for the filing finds
/// every site registered under it.
pub(crate) fn icp_forms(s: &str) -> Vec<String> {
    let key = icp_key(s);
    if key.is_empty() {
        return Vec::new();
    }
    let mut forms = vec![key.clone()];
    if let Some(base) = filing_base(&key) {
        forms.push(base.to_string());
    }
    forms
}

/// The lookup key for an ICP number: compact, upper-case, and a filing typed without its
/// closing `号` gets it back (`桂ICP备2017001234` → `桂ICP备2017001234号`).
pub(crate) fn icp_key(s: &str) -> String {
    let mut key = compact_upper(s);
    if let Some(serial) = key.split("ICP备").nth(1) {
        if !serial.is_empty() && serial.bytes().all(|b| b.is_ascii_digit()) {
            key.push('号');
        }
    }
    key
}

/// The filing part of a filing number with a `-n` site suffix.
fn filing_base(key: &str) -> Option<&str> {
    let (base, site) = key.rsplit_once("号-")?;
    (!site.is_empty() && site.bytes().all(|b| b.is_ascii_digit()))
        .then(|| &key[..base.len() + '号'.len_utf8()])
}

/// Whether query text is an ICP (or related MIIT / public-security) number.
pub(crate) fn looks_like_icp(text: &str, compact: &str) -> bool {
    compact.contains("ICP") || domain::Icp::parse(text).is_ok()
}

/// The canonical form of a host or shop address: lower-case, without scheme, port, query or
/// fragment, and then the site's key as `domain` defines it (no `www.`, trailing dot or
/// trailing slash). `None` when nothing host-like is left.
pub(crate) fn host_key(s: &str) -> Option<String> {
    let s = s.trim().to_lowercase();
    let s = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .or_else(|| s.strip_prefix("//"))
        .unwrap_or(&s);
    let s = s.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = match s.find('/') {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let host = host.split(':').next().unwrap_or_default();
    let key = SiteAddress::from_parts(host, path).site_key();
    (!key.host.is_empty()).then(|| key.to_string())
}

/// Index keywords for a host or shop address: the canonical form and every shorter prefix
/// ending at a path segment, so `waimai.test/shop/8812` is found by `waimai.test`,
/// `waimai.test/shop` and itself.
pub(crate) fn host_forms(s: &str) -> Vec<String> {
    let Some(key) = host_key(s) else {
        return Vec::new();
    };
    let mut forms: Vec<String> = key
        .match_indices('/')
        .map(|(i, _)| key[..i].to_string())
        .filter(|p| !p.is_empty() && !p.ends_with('/'))
        .collect();
    forms.push(key);
    forms.dedup();
    forms
}

/// Whether query text is a host name or shop address: no spaces, a dotted host of ASCII
/// letters, digits and hyphens whose last label contains a letter, optionally with a scheme
/// and a path.
pub(crate) fn looks_like_host(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() || t.chars().any(char::is_whitespace) {
        return false;
    }
    let Some(key) = host_key(t) else {
        return false;
    };
    let host = key.split('/').next().unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|l| l.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// The digits of a phone number, without a `+86`/`0086` country code; a number that had one
/// and is not a mobile gets its trunk `0` back (`+86 771 5551234` → `07715551234`).
///
/// Returns `None` unless the text consists only of digits and the usual separators
/// (spaces, `-`, `+`, parentheses, full-width forms of those) and has 7–13 digits.
pub(crate) fn phone_key(s: &str) -> Option<String> {
    let folded = compact_upper(s);
    if !folded
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '(' | ')' | '.'))
    {
        return None;
    }
    let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
    let national = if let Some(rest) = digits.strip_prefix("0086") {
        rest
    } else if folded.starts_with('+') || digits.len() >= 12 {
        digits.strip_prefix("86").unwrap_or(&digits)
    } else {
        &digits
    };
    let had_country_code = national.len() != digits.len();
    let mobile = national.len() == 11 && national.starts_with('1');
    let national = if had_country_code && !mobile && !national.starts_with('0') {
        // A landline written internationally drops its trunk prefix.
        format!("0{national}")
    } else {
        national.to_string()
    };
    (7..=13).contains(&national.len()).then_some(national)
}

/// Index keywords for a phone number: the full national number and, for a landline with an
/// area code, its last 8 and last 7 digits, so that the local number alone (which is how
/// people usually quote a landline) finds it. Mobiles are indexed whole only.
pub(crate) fn phone_forms(s: &str) -> Vec<String> {
    let Some(key) = phone_key(s) else {
        return Vec::new();
    };
    let mut forms = vec![key.clone()];
    if key.starts_with('0') && key.len() >= 10 {
        for n in [8, 7] {
            forms.push(key[key.len() - n..].to_string());
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uscc_detection() {
        assert!(looks_like_uscc("91450100MA5K00000X"));
        assert!(!looks_like_uscc("ABCDEFGHIJKLMNOPQR"));
        assert!(!looks_like_uscc("91450100MA5K0000"));
    }

    #[test]
    fn icp_keys_and_forms() {
        assert_eq!(icp_key("桂ICP备2017001234"), "桂ICP备2017001234号");
        assert_eq!(icp_key("桂icp备 2017001234号－1"), "桂ICP备2017001234号-1");
        assert_eq!(
            icp_forms("桂ICP备2017001234号-1"),
            vec!["桂ICP备2017001234号-1", "桂ICP备2017001234号"]
        );
        assert_eq!(icp_forms("桂ICP证123456号"), vec!["桂ICP证123456号"]);
        assert!(icp_forms(" ").is_empty());
    }

    #[test]
    fn host_keys_and_forms() {
        assert_eq!(
            host_key("HTTPS://www.Shop.test:8080/a/b/?x=1").as_deref(),
            Some("shop.test/a/b")
        );
        assert_eq!(
            host_forms("waimai.test/shop/8812"),
            vec!["waimai.test", "waimai.test/shop", "waimai.test/shop/8812"]
        );
        assert_eq!(host_forms("http://www.a.test/"), vec!["a.test"]);
        assert!(host_forms("   ").is_empty());
    }

    #[test]
    fn host_detection() {
        assert!(looks_like_host("waimai.test"));
        assert!(looks_like_host("http://www.shop-1.test/path/x"));
        assert!(!looks_like_host("3.14"));
        assert!(!looks_like_host("南宁.test"));
        assert!(!looks_like_host("a .test"));
        assert!(!looks_like_host("nodot"));
        assert!(!looks_like_host("a..test"));
    }

    #[test]
    fn phone_keys() {
        assert_eq!(phone_key("0771-5551234").as_deref(), Some("07715551234"));
        assert_eq!(phone_key("+86 771 5551234").as_deref(), Some("07715551234"));
        assert_eq!(
            phone_key("+86 138 0013 8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(phone_key("008613800138000").as_deref(), Some("13800138000"));
        assert_eq!(phone_key("5551234").as_deref(), Some("5551234"));
        assert_eq!(
            phone_key("（0771）55512345").as_deref(),
            Some("077155512345")
        );
        assert_eq!(phone_key("123456"), None);
        assert_eq!(phone_key("12345678901234"), None);
        assert_eq!(phone_key("0771a5551234"), None);
    }

    #[test]
    fn phone_forms_add_local_suffixes_for_landlines_only() {
        assert_eq!(
            phone_forms("0771-55512345"),
            vec!["077155512345", "55512345", "5512345"]
        );
        assert_eq!(phone_forms("13800138000"), vec!["13800138000"]);
    }
}
