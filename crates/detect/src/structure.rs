//! Structural checks: facts about the page as a whole rather than a phrase in it.
//!
//! - `license.uscc_invalid`: a code shown after a USCC label fails GB 32100.
//! - `license.not_displayed`: a trading page on a site's homepage (or a shop's main page)
//!   shows neither business name + labelled USCC nor a license badge link.
//!
//! [`trading_page`] and [`uscc_candidates`] are public: later checks (food permit, privacy,
//! register match) reuse them. Checks that need the register live elsewhere (`sweep`).

use crate::extract::Extracted;
use crate::normalize::{normalize, Normalized};
use crate::rules::NATIONAL_BADGE_HOST;
use domain::text::compact_upper;
use domain::{SiteKind, Uscc, UsccError};
use regex::Regex;
use std::ops::Range;
use std::sync::OnceLock;

/// Labels that precede a business identifier on pages, normalised, most specific first.
const LABELS: &[(&str, LabelKind)] = &[
    ("统一社会信用代码", LabelKind::Uscc),
    ("社会信用代码", LabelKind::Uscc),
    ("信用代码", LabelKind::Uscc),
    ("营业执照注册号", LabelKind::Registration),
    ("营业执照号码", LabelKind::Registration),
    ("营业执照号", LabelKind::Registration),
    ("注册号", LabelKind::Registration),
];

/// Non-alphanumeric characters tolerated between a label and its code (colons, brackets,
/// "（注册号）", spaces, a table cell boundary).
const MAX_GAP: usize = 12;

/// What a label announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    /// Only a USCC can follow (统一社会信用代码, 信用代码).
    Uscc,
    /// A USCC or a legacy 15-digit registration number (注册号).
    Registration,
}

/// A code found after a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsccCandidate {
    pub label: LabelKind,
    /// Span of the code in the normalised text.
    pub span: Range<usize>,
    /// The code with spaces and hyphens removed, upper-cased.
    pub code: String,
    /// The validation result (`Err` also for lengths other than 18).
    pub parsed: Result<Uscc, UsccError>,
}

impl UsccCandidate {
    /// 18 characters of the GB 32100 alphabet, whatever the check characters say.
    pub fn has_uscc_shape(&self) -> bool {
        self.code.len() == 18
            && self
                .code
                .bytes()
                .all(|b| domain::uscc::ALPHABET.contains(&b))
    }

    /// A legacy 15-digit registration number (GS 15-2006): not a USCC.
    pub fn is_legacy_registration(&self) -> bool {
        self.code.len() == 15 && self.code.bytes().all(|b| b.is_ascii_digit())
    }

    /// True when this is meant as a USCC and is not a valid one.
    pub fn is_invalid_uscc(&self) -> bool {
        if self.parsed.is_ok() || self.is_legacy_registration() {
            return false;
        }
        match self.label {
            // A broken code of about the right length after a USCC label.
            LabelKind::Uscc => (16..=20).contains(&self.code.len()),
            // After 注册号 only an 18-character code is taken as a USCC.
            LabelKind::Registration => self.code.len() == 18,
        }
    }
}

/// Codes that follow USCC or registration-number labels in normalised text, one per code.
pub fn uscc_candidates(norm: &str) -> Vec<UsccCandidate> {
    let mut out: Vec<UsccCandidate> = Vec::new();
    for &(label, kind) in LABELS {
        for (at, _) in norm.match_indices(label) {
            let Some((span, code)) = code_after(norm, at + label.len()) else {
                continue;
            };
            if out.iter().any(|c| c.span.start == span.start) {
                continue; // a shorter label inside a longer one already took it
            }
            let parsed = Uscc::parse_exact(&code);
            out.push(UsccCandidate {
                label: kind,
                span,
                code,
                parsed,
            });
        }
    }
    out.sort_by_key(|c| c.span.start);
    out
}

/// The alphanumeric token after a label: skips up to [`MAX_GAP`] other characters, then reads
/// letters and digits, allowing single spaces or hyphens between them.
fn code_after(norm: &str, from: usize) -> Option<(Range<usize>, String)> {
    let rest = &norm[from..];
    let mut start = None;
    for (n, (i, c)) in rest.char_indices().enumerate() {
        if c.is_ascii_alphanumeric() {
            start = Some(from + i);
            break;
        }
        if n >= MAX_GAP {
            return None;
        }
    }
    let start = start?;
    let mut end = start;
    let mut code = String::new();
    let bytes = norm.as_bytes();
    let mut i = start;
    while i < bytes.len() && code.len() <= 24 {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            code.push(b as char);
            i += 1;
            end = i;
        } else if matches!(b, b' ' | b'-')
            && bytes.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric())
        {
            i += 1;
        } else {
            break;
        }
    }
    Some((start..end, compact_upper(&code)))
}

fn price_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:[¥￥]|rmb)\s*\d|\d\s*元(?:[^旦素宵件]|$)|(?:价格|售价|现价|促销价)\s*:?\s*\d",
        )
        .expect("static regex")
    })
}

/// Ways to buy, normalised.
const BUY: &[&str] = &[
    "立即购买",
    "加入购物车",
    "加购物车",
    "购买",
    "下单",
    "立即抢购",
    "抢购",
    "去结算",
    "结算",
    "立即订购",
    "在线订购",
    "buy now",
    "add to cart",
];

/// A trading page: shows a price and offers a way to buy (button, link or text). Non-trading
/// pages are never subject to the license display duty.
pub fn trading_page(page: &Extracted) -> bool {
    trading_evidence(page, &normalize(&page.text)).is_some()
}

/// The byte span (in normalised text) of the first price, when the page trades.
fn trading_evidence(page: &Extracted, norm_text: &str) -> Option<Range<usize>> {
    let price = price_re().find(norm_text)?;
    let buys = |s: &str| BUY.iter().any(|b| s.contains(b));
    let can_buy = buys(norm_text)
        || page.links.iter().any(|l| buys(&normalize(&l.anchor)))
        || page.images.iter().any(|(_, alt)| buys(&normalize(alt)));
    can_buy.then(|| price.range())
}

/// Words that show a business name is given next to the code.
const NAME_MARKS: &[&str] = &[
    "公司",
    "商行",
    "经营部",
    "门市部",
    "合作社",
    "工作室",
    "个体工商户",
    "企业名称",
    "经营者名称",
    "主体名称",
    "经营者",
    "厂",
    "店",
];

/// Link or image texts that point to the license itself (a badge or the license image).
const LICENSE_LINK_MARKS: &[&str] = &["营业执照", "亮照", "电子执照", "工商执照", "证照信息"];

fn host_of(href: &str) -> Option<String> {
    let rest = href.trim().split_once("//")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?;
    let host = host.split(':').next()?;
    Some(host.to_ascii_lowercase())
}

fn is_badge_host(host: &str, extra: &[String]) -> bool {
    std::iter::once(NATIONAL_BADGE_HOST)
        .chain(extra.iter().map(String::as_str))
        .any(|b| host == b || host.ends_with(&format!(".{b}")))
}

/// True when the page shows business name + a labelled USCC, or a license badge link.
pub fn license_displayed(
    page: &Extracted,
    norm_text: &str,
    candidates: &[UsccCandidate],
    badge_hosts: &[String],
) -> bool {
    let has_code = candidates.iter().any(UsccCandidate::has_uscc_shape);
    let has_name = NAME_MARKS.iter().any(|m| norm_text.contains(m));
    if has_code && has_name {
        return true;
    }
    let marks = |s: &str| LICENSE_LINK_MARKS.iter().any(|m| s.contains(m));
    page.links.iter().any(|l| {
        host_of(&l.href).is_some_and(|h| is_badge_host(&h, badge_hosts))
            || marks(&normalize(&l.anchor))
    }) || page.images.iter().any(|(src, alt)| {
        host_of(src).is_some_and(|h| is_badge_host(&h, badge_hosts)) || marks(&normalize(alt))
    })
}

/// What the structural checks report, before it becomes a `Finding`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Structural {
    /// An invalid code at this span of the normalised text.
    UsccInvalid(Range<usize>),
    /// The page trades without showing its license; the span is the price that shows it
    /// trades.
    LicenseNotDisplayed(Range<usize>),
}

/// Runs the structural checks over a page whose text is already normalised.
pub(crate) fn check(
    page: &Extracted,
    text: &Normalized,
    is_site_home: bool,
    site_kind: Option<SiteKind>,
    badge_hosts: &[String],
) -> Vec<Structural> {
    let candidates = uscc_candidates(&text.text);
    let mut out: Vec<Structural> = candidates
        .iter()
        .filter(|c| c.is_invalid_uscc())
        .map(|c| Structural::UsccInvalid(c.span.clone()))
        .collect();
    let subject = is_site_home && site_kind.is_none_or(SiteKind::trades);
    if subject {
        if let Some(price) = trading_evidence(page, &text.text) {
            if !license_displayed(page, &text.text, &candidates, badge_hosts) {
                out.push(Structural::LicenseNotDisplayed(price));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(String, bool)> {
        uscc_candidates(&normalize(text))
            .into_iter()
            .map(|c| (c.code.clone(), c.is_invalid_uscc()))
            .collect()
    }

    #[test]
    fn finds_codes_after_labels() {
        assert_eq!(
            codes("统一社会信用代码：91110000600037341L"),
            [("91110000600037341L".to_string(), false)]
        );
        assert_eq!(
            codes("统一社会信用代码: 9111 0000 6000 3734 1n 地址"),
            [("91110000600037341N".to_string(), true)]
        );
        assert_eq!(
            codes("信用代码 ９１３４０６００ＭＡ２ＰＢＭ９ＨＸＤ"),
            [("91340600MA2PBM9HXD".to_string(), false)]
        );
        assert_eq!(
            codes("注册号：450100000012345"),
            [("450100000012345".to_string(), false)]
        );
        assert_eq!(codes("注册号：12345"), [("12345".to_string(), false)]);
        assert_eq!(
            codes("统一社会信用代码（注册号）：9111000060003IOZSV"),
            [("9111000060003IOZSV".to_string(), true)]
        );
        assert!(codes("信用代码查询请访问官网").is_empty());
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://zzlz.gsxt.gov.cn/businessCheck/verifKey.do?x=1").as_deref(),
            Some("zzlz.gsxt.gov.cn")
        );
        assert_eq!(host_of("/local").as_deref(), None);
        assert!(is_badge_host("zzlz.gsxt.gov.cn", &[]));
        assert!(!is_badge_host("evilzzlz.gsxt.gov.cn.example", &[]));
    }
}
