//! Page facts and the site classifier: what a page shows that matters for discovering sites
//! missing from the register and for telling what kind of site a site is.
//!
//! [`page_facts`] (or [`crate::Detector::scan_html_with_facts`], which shares the scan's
//! extraction, normalised text and identifier matches) reads from one page:
//!
//! - `trading`: the trading-page evidence of [`crate::structure`] (a price and a way to buy) as
//!   a short excerpt, e.g. `¥128.00 立即购买`;
//! - `cart`: a shopping cart or checkout is offered ([`CART_WORDS`] in the visible text or an
//!   image's alt text, or a link or form pointing at a cart or checkout, [`CART_HREF_MARKS`]);
//! - `merchants`: distinct merchant shops on the page's own host that visible links point to,
//!   as path prefixes `/<segment>/<id>` where the segment is one of [`MERCHANT_SEGMENTS`]
//!   (`/shop/8812/`, `/shop/8812/item/3.html` and `/shop/8812.html` all give `/shop/8812`).
//!   Listings without links, and shops on subdomains, are not recognised;
//! - `outbound`: links to other hosts (absolute `http(s)://` or scheme-relative `//` links
//!   whose host differs from the page's, a bare domain and its `www.` name being one host),
//!   deduplicated by host (again `www.`-insensitive), first occurrence kept; the national
//!   infrastructure every Chinese site links to ([`is_infrastructure_host`]) is left out;
//! - `usccs` and `icps`: the identifiers shown, as [`crate::structure`] finds them;
//! - `operator_names`: company and business names the visible text states (see
//!   [`operator_names`]);
//! - `addresses`: addresses shown after an address label (`地址：`, `商家地址：`, …), as the
//!   structural checks read them (casework sends an unregistered site's clue to the district
//!   its address names);
//! - `phones`: telephone numbers shown ([`shown_phones`]), in national form (`0771-5551234`,
//!   `13800001234`, as [`domain::phone::normalize_phone`] writes them), at most
//!   [`MAX_PHONES`].
//!
//! [`classify_site`] decides a site's [`SiteKind`] from the facts of its pages, first rule that
//! holds:
//!
//! 1. `shop` (the site is a path prefix on a platform host): **platform shop**, whatever its
//!    pages show — the kind is structural, a merchant under the platform's shop paths; the
//!    reason still names its trading evidence, or says that none of its pages shows a price
//!    or a cart (a dormant shop is still the platform's shop, and still the platform's duty).
//! 2. Links to at least [`PLATFORM_MIN_MERCHANTS`] distinct merchant shops across its pages:
//!    **trading platform** ("multiple merchants").
//! 3. Any page is a trading page (a price and a way to buy), or offers a cart or checkout:
//!    **independent trading site**.
//! 4. Otherwise: **non-trading site**.
//!
//! No pages: no classification (`None`).

use crate::extract::Extracted;
use crate::normalize::{is_han, normalize, Normalized};
use crate::rules::NATIONAL_BADGE_HOST;
use crate::structure::{Basics, Trading};
use aho_corasick::{AhoCorasick, MatchKind};
use domain::address::{bare_host, same_site_host};
use domain::SiteKind;
use regex::Regex;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;
use url::Url;

/// What one HTML page shows that matters for discovery and classification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PageFacts {
    /// Why the page is a trading page (the price and the way to buy, original text, e.g.
    /// `¥128.00 立即购买`); `None` if it is not one.
    pub trading: Option<String>,
    /// The page offers a shopping cart or checkout.
    pub cart: bool,
    /// Distinct merchant shops on the same host that the page links to, as normalised path
    /// prefixes like `/shop/8812`.
    pub merchants: BTreeSet<String>,
    /// Links to other hosts, one per host, first occurrence kept, infrastructure left out.
    pub outbound: Vec<OutLink>,
    /// USCCs shown after a label, normalised (18 characters of the GB 32100 alphabet; the
    /// check character may be wrong), deduplicated, in page order.
    pub usccs: Vec<String>,
    /// ICP filing and license numbers shown, in the canonical form of [`domain::Icp`],
    /// deduplicated, in page order.
    pub icps: Vec<String>,
    /// Operator names the page states (company and individual business names), deduplicated,
    /// in page order, as written.
    pub operator_names: Vec<String>,
    /// Addresses shown after an address label, in normalised text, deduplicated, in page
    /// order.
    pub addresses: Vec<String>,
    /// Telephone numbers shown in the text, in national form (`0771-5551234`, `13800001234`),
    /// deduplicated, in page order, at most [`MAX_PHONES`].
    pub phones: Vec<String>,
    /// On an enrolled site's homepage (a wangjian badge held, [`crate::badge`]): what its
    /// badge check found.
    pub badge: Option<domain::BadgeVerdict>,
}

/// A link to another host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutLink {
    /// Lower-case host, port and trailing dot stripped.
    pub host: String,
    /// The link as written in the page (entity-decoded).
    pub href: String,
    /// The link's anchor text (an image link: the image's alt text).
    pub anchor: String,
    /// The link sits in a hidden or off-screen block.
    pub hidden: bool,
}

/// The national infrastructure that Chinese sites link to as a matter of course, never a
/// site to discover: the MIIT ICP filing system, the public-security filing site (current and
/// former host) and the national license-badge host. Every host under
/// [`INFRASTRUCTURE_DOMAINS`] is left out too.
pub const INFRASTRUCTURE_HOSTS: &[&str] = &[
    "beian.miit.gov.cn",
    "beian.mps.gov.cn",
    "www.beian.gov.cn",
    NATIONAL_BADGE_HOST,
];

/// Domains whose every host is infrastructure (government sites: `*.gov.cn`).
pub const INFRASTRUCTURE_DOMAINS: &[&str] = &["gov.cn"];

/// True for a host of [`INFRASTRUCTURE_HOSTS`] or under [`INFRASTRUCTURE_DOMAINS`]
/// (lower-case host expected).
pub fn is_infrastructure_host(host: &str) -> bool {
    INFRASTRUCTURE_HOSTS.contains(&host)
        || INFRASTRUCTURE_DOMAINS
            .iter()
            .any(|d| host == *d || host.strip_suffix(d).is_some_and(|rest| rest.ends_with('.')))
}

/// Words (normalised) that offer a shopping cart or checkout.
pub use crate::vocab::CART_WORDS;

/// Marks in a link's target (lower-cased) or a form's input descriptors that point to a cart
/// or checkout.
pub const CART_HREF_MARKS: &[&str] = &["/cart", "cart.", "cart?", "checkout", "gouwuche"];

/// First path segments under which platforms put their merchants' shops.
pub const MERCHANT_SEGMENTS: &[&str] = &["shop", "store", "dianpu", "seller", "merchant", "vendor"];

/// Second segments after a merchant segment that are pages of the platform, not a shop.
const NOT_SHOP_IDS: &[&str] = &["index", "list", "all", "search", "category", "cart", "help"];

/// Distinct merchant shops a site must link to for it to be a trading platform.
pub const PLATFORM_MIN_MERCHANTS: usize = 3;

/// The facts of a page (extracts nothing: give it the extracted page and its URL).
pub fn page_facts(page: &Extracted, page_url: &str) -> PageFacts {
    let text = Normalized::new(&page.text);
    let basics = Basics::new(page, &text.text);
    facts_of(page, &text, &basics, page_url)
}

/// The facts from what the scan already computed.
pub(crate) fn facts_of(
    page: &Extracted,
    text: &Normalized,
    basics: &Basics,
    page_url: &str,
) -> PageFacts {
    let norm = text.text.as_str();
    let base = Url::parse(page_url.trim()).ok();
    let page_host = base.as_ref().and_then(Url::host_str).unwrap_or("");
    let mut merchants = BTreeSet::new();
    let mut outbound: Vec<OutLink> = Vec::new();
    let mut seen_hosts = HashSet::new();
    for l in &page.links {
        let href = l.href.trim();
        let Some(target) = resolve(href, base.as_ref()) else {
            continue;
        };
        if same_site_host(&target.host, page_host) {
            if !l.hidden {
                if let Some(prefix) = merchant_prefix(&target.path) {
                    merchants.insert(prefix);
                }
            }
        } else if target.absolute
            && !is_infrastructure_host(&target.host)
            && seen_hosts.insert(bare_host(&target.host).to_string())
        {
            outbound.push(OutLink {
                host: target.host,
                href: href.to_string(),
                anchor: l.anchor.clone(),
                hidden: l.hidden,
            });
        }
    }
    let mut usccs: Vec<String> = Vec::new();
    for c in basics.candidates.iter().filter(|c| c.has_uscc_shape()) {
        if !usccs.contains(&c.code) {
            usccs.push(c.code.clone());
        }
    }
    let mut icps: Vec<String> = Vec::new();
    for (_, icp) in &basics.icps {
        let s = icp.to_string();
        if !icps.contains(&s) {
            icps.push(s);
        }
    }
    PageFacts {
        trading: basics
            .trading
            .as_ref()
            .map(|t| trading_excerpt(&page.text, text, t)),
        cart: cart_offered(page, norm),
        merchants,
        outbound,
        usccs,
        icps,
        operator_names: operator_names(&page.text),
        addresses: {
            let mut out: Vec<String> = Vec::new();
            for r in crate::structure::shown_addresses(norm) {
                let a = norm[r].to_string();
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            out
        },
        phones: shown_phones(norm, basics),
        badge: None,
    }
}

/// Most telephone numbers kept from one page.
pub const MAX_PHONES: usize = 20;

/// Telephone-number shapes in normalised text: `+86`/`0086` forms, a fixed line with its
/// area code (`(0771)5551234`, `0771-5551234`, `0771 555 1234`), a mobile. The numbering plan
/// (lengths, area-code width) is checked by [`domain::phone::normalize_phone`].
fn phone_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"(?:\+|00)86[ -]?(?:\(0\)[ -]?)?",
            r"(?:1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}|\(?[1-9][0-9]{1,2}\)?[ -]?[0-9]{3,4}[ -]?[0-9]{4})",
            r"|\(0[0-9]{2,3}\)[ -]?[0-9]{3,4}[ -]?[0-9]{4}",
            r"|0[0-9]{2,3}[ -]?[0-9]{3,4}[ -]?[0-9]{4}",
            r"|1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}",
        ))
        .expect("static regex")
    })
}

/// Links written in the text (their digits are no telephone numbers).
fn text_url_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:https?://|www\.)[a-z0-9./?=&_%#:@~+\-]+").expect("static regex")
    })
}

/// What a price is written after (normalised, spaces and colons before the number removed).
const PRICE_MARKS: &[&str] = &["¥", "￥", "rmb", "$", "价", "价格", "价钱", "金额"];

/// Labels of numbers that look like telephone numbers and are not (normalised, as
/// [`PRICE_MARKS`]): QQ numbers, order and card numbers.
const NOT_PHONE_LABELS: &[&str] = &["qq", "qq号", "qq群", "单号", "编号", "卡号", "账号"];

/// Telephone numbers in normalised text, in national form, deduplicated, in page order, at
/// most [`MAX_PHONES`]. Digits that belong to something else are not read: a longer run of
/// digits or letters (a number must stand apart), a link written in the text, a USCC or an
/// ICP number ([`Basics`] found them), a price (after `¥`, `价格` and the like, or before `元`),
/// a number labelled as something else ([`NOT_PHONE_LABELS`]: `QQ：13800001234`).
pub(crate) fn shown_phones(norm: &str, basics: &Basics) -> Vec<String> {
    let mut taken: Vec<std::ops::Range<usize>> = basics
        .candidates
        .iter()
        .map(|c| c.span.clone())
        .chain(basics.icps.iter().map(|(r, _)| r.clone()))
        .collect();
    taken.extend(text_url_re().find_iter(norm).map(|m| m.range()));
    let mut out: Vec<String> = Vec::new();
    for m in phone_re().find_iter(norm) {
        if out.len() >= MAX_PHONES {
            break;
        }
        let r = m.range();
        if taken.iter().any(|t| t.start < r.end && r.start < t.end) {
            continue;
        }
        let before = &norm[..r.start];
        let after = &norm[r.end..];
        let glued_before = before
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || "+-/=._#@&?%$¥￥".contains(c));
        let mut next = after.chars();
        let glued_after = match next.next() {
            // `-801` after a number is an extension, not a longer number.
            Some(c) if c.is_ascii_alphanumeric() || "_/@%".contains(c) => true,
            Some('.') => next.next().is_some_and(|c| c.is_ascii_digit()),
            _ => false,
        };
        let bare_before = before.trim_end_matches([' ', ':']);
        let price = PRICE_MARKS.iter().any(|p| bare_before.ends_with(p))
            || after.trim_start().starts_with(['元', '块']);
        let other_number = NOT_PHONE_LABELS.iter().any(|l| bare_before.ends_with(l));
        if glued_before || glued_after || price || other_number {
            continue;
        }
        if let Some(p) = domain::phone::normalize_phone(m.as_str()) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// `<price as written> <way to buy>`: the price widened to its whole number.
fn trading_excerpt(orig: &str, text: &Normalized, t: &Trading) -> String {
    let norm = text.text.as_bytes();
    let num = |b: u8| b.is_ascii_digit() || b == b'.' || b == b',';
    let (mut start, mut end) = (t.price.start, t.price.end);
    // `128元x`: the pattern matched one digit before 元 and one character after it.
    if let Some(yuan) = text.text[start..end].find('元') {
        end = start + yuan + '元'.len_utf8();
        while start > 0 && num(norm[start - 1]) {
            start -= 1;
        }
    } else {
        while end < norm.len() && num(norm[end]) {
            end += 1;
        }
    }
    // Trailing separators of a number ("128." at a sentence end) are not part of it.
    while end > start && matches!(norm[end - 1], b'.' | b',') {
        end -= 1;
    }
    let span = text.to_original(orig, start..end);
    let price: String = orig
        .get(span)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let price: String = price.chars().take(40).collect();
    format!("{price} {}", t.buy)
}

fn cart_offered(page: &Extracted, norm: &str) -> bool {
    let words = |s: &str| CART_WORDS.iter().any(|w| s.contains(w));
    if words(norm) {
        return true;
    }
    let marks = |s: &str| {
        let lower = s.to_ascii_lowercase();
        CART_HREF_MARKS.iter().any(|m| lower.contains(m))
    };
    page.links.iter().any(|l| !l.hidden && marks(&l.href))
        || page.images.iter().any(|(_, alt)| words(&normalize(alt)))
        || page.forms.iter().flat_map(|f| &f.inputs).any(|i| marks(i))
}

/// Where a link goes, as far as the facts need it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    /// Lower case, without a trailing dot.
    host: String,
    /// The resolved path, without query and fragment.
    path: String,
    /// Written with a scheme or as `//host` (not relative to the page).
    absolute: bool,
}

/// Resolves a link against the page's URL (when it parsed); `None` for a link to the page
/// itself (`#…`, `?…`), to another scheme than `http(s)` (`mailto:`, `javascript:`, `ftp:`)
/// or that is no URL.
fn resolve(href: &str, base: Option<&Url>) -> Option<Target> {
    if href.is_empty() || href.starts_with(['#', '?']) {
        return None;
    }
    let (url, absolute) = match Url::parse(href) {
        Ok(url) => (url, true),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let scheme_relative = href.starts_with("//");
            let url = match base {
                Some(base) => base.join(href).ok()?,
                None if scheme_relative => Url::parse(&format!("http:{href}")).ok()?,
                None => return None,
            };
            (url, scheme_relative)
        }
        Err(_) => return None,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.trim_end_matches('.');
    (!host.is_empty()).then(|| Target {
        host: host.to_string(),
        path: url.path().to_string(),
        absolute,
    })
}

/// `/shop/8812` for `/shop/8812/…` or `/shop/8812.html`.
fn merchant_prefix(path: &str) -> Option<String> {
    let mut segs = path.trim_start_matches('/').split('/');
    let seg = segs.next()?.to_ascii_lowercase();
    if !MERCHANT_SEGMENTS.contains(&seg.as_str()) {
        return None;
    }
    let id = segs.next()?;
    let id = [".html", ".htm", ".shtml"]
        .iter()
        .find_map(|e| id.strip_suffix(e))
        .unwrap_or(id);
    let ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_');
    if id.is_empty() || id.len() > 40 || !id.bytes().all(ok) {
        return None;
    }
    if NOT_SHOP_IDS.contains(&id.to_ascii_lowercase().as_str()) {
        return None;
    }
    Some(format!("/{seg}/{id}"))
}

/// Endings of an organisation's name that make it a name wherever it stands.
const NAME_SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "公司",
    "合作社",
    "商行",
    "经营部",
    "门市部",
    "工作室",
    "事务所",
];

/// Labels after which an operator's name is stated; a name after one of them may also end
/// in one of [`LABELLED_ENDINGS`] (个体工商户 such as 某某粉店, a government body).
const NAME_LABELS: &[&str] = &[
    "经营者名称",
    "经营者",
    "主办单位",
    "主办",
    "公司名称",
    "企业名称",
    "主体名称",
    "商家名称",
    "店铺名称",
    "运营主体",
    "运营单位",
    "版权所有",
    "营业执照",
];

/// Endings of a name stated after a label.
const LABELLED_ENDINGS: &[&str] = &[
    "店",
    "馆",
    "厂",
    "行",
    "部",
    "社",
    "坊",
    "铺",
    "中心",
    "局",
    "政府",
    "委员会",
    "院",
    "所",
];

/// Words that introduce a name in running text; a name starts after the last of them.
const LEAD_INS: &[&str] = &[
    "欢迎使用",
    "欢迎光临",
    "欢迎来到",
    "欢迎访问",
    "欢迎",
    "本网站由",
    "本站由",
    "网站由",
    "隶属于",
    "属于",
    "开发商",
    "运营商",
];

/// Single characters that join a previous name or label to the next name.
const COPULAS: &[char] = &['为', '是', '系', '由'];

/// First characters that make a "name" a reference (本公司, 该公司, 分公司).
const NOT_NAME_START: &[char] = &[
    '本', '我', '该', '贵', '各', '此', '其', '子', '分', '总', '母',
];

/// Longest name read, in characters.
const MAX_NAME: usize = 40;

fn name_automaton() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(NAME_SUFFIXES.iter().chain(NAME_LABELS))
            .expect("static patterns")
    })
}

fn name_char(c: char) -> bool {
    is_han(c) || matches!(c, '（' | '）' | '(' | ')' | '·')
}

/// Operator names stated in visible text, in page order, deduplicated: every run of Han
/// characters ending in a company or business form ([`NAME_SUFFIXES`]: 有限公司, 商行,
/// 经营部 …) wherever it stands, with introductions (欢迎使用, 本站由 …, and the labels) cut
/// off; and, after a label ([`NAME_LABELS`]: 经营者, 主办单位, 公司名称, 版权所有, 营业执照 …),
/// a run of at least four characters ending like a business or a public body
/// ([`LABELLED_ENDINGS`]: 某某粉店, 某某区人民政府). References such as 本公司 are not names.
pub fn operator_names(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    };
    let mut last_end = 0;
    for m in name_automaton().find_iter(text) {
        let pattern = m.pattern().as_usize();
        let floor = last_end;
        last_end = m.end();
        if pattern < NAME_SUFFIXES.len() {
            // Walk back over the name's characters, not into the previous match.
            let mut start = m.start();
            for (n, (i, c)) in text[floor..m.start()].char_indices().rev().enumerate() {
                if !name_char(c) || n >= MAX_NAME {
                    break;
                }
                start = floor + i;
            }
            // A copula right after a previous name or label (本公司为…, 主办单位是…).
            if start == floor && floor > 0 {
                if let Some(c) = text[start..m.start()]
                    .chars()
                    .next()
                    .filter(|c| COPULAS.contains(c))
                {
                    start += c.len_utf8();
                }
            }
            let mut name = &text[start..m.end()];
            let body_len = m.start() - start;
            let body = &name[..body_len];
            let cut = LEAD_INS
                .iter()
                .chain(NAME_LABELS)
                .filter_map(|w| body.rfind(w).map(|i| i + w.len()))
                .max();
            if let Some(cut) = cut {
                name = &name[cut..];
            }
            let body = &name[..name.len() - m.len()];
            let body_chars = body.chars().filter(|&c| is_han(c)).count();
            let starts_ok = body
                .chars()
                .next()
                .is_some_and(|c| !NOT_NAME_START.contains(&c));
            if body_chars >= 2 && starts_ok {
                push(name);
            }
        } else {
            // A label: the run after it, past a colon and spaces.
            let rest = &text[m.end()..];
            let skip = rest.len() - rest.trim_start_matches([':', '：', ' ', '\u{3000}']).len();
            let rest = &rest[skip..];
            let end = rest
                .char_indices()
                .take(MAX_NAME + 1)
                .find(|&(_, c)| !name_char(c))
                .map_or_else(
                    || {
                        rest.char_indices()
                            .nth(MAX_NAME)
                            .map_or(rest.len(), |(i, _)| i)
                    },
                    |(i, _)| i,
                );
            let run = &rest[..end];
            let has_suffix = NAME_SUFFIXES.iter().any(|s| run.contains(s));
            if !has_suffix
                && run.chars().count() >= 4
                && LABELLED_ENDINGS.iter().any(|e| run.ends_with(e))
                && !run.starts_with(NOT_NAME_START)
            {
                push(run);
            }
        }
    }
    out
}

/// A site's kind as its pages show it, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub kind: SiteKind,
    /// One plain sentence naming the evidence, e.g. `42 merchant shops linked (/shop/8812,
    /// /shop/8813, /shop/8820, …) on http://mall.test/`.
    pub reason: String,
}

/// Classifies a site from its pages' facts (module docs: the rules, in order). `shop`: the
/// site is a path prefix on a platform host. `None` when there are no pages.
pub fn classify_site<'a>(
    pages: impl IntoIterator<Item = (&'a str, &'a PageFacts)>,
    shop: bool,
) -> Option<Classification> {
    let mut count = 0usize;
    let mut merchants: BTreeSet<&str> = BTreeSet::new();
    let mut most: Option<(&str, usize)> = None;
    let mut trading: Option<(&str, &str)> = None;
    let mut cart: Option<&str> = None;
    for (url, f) in pages {
        count += 1;
        merchants.extend(f.merchants.iter().map(String::as_str));
        if f.merchants.len() > most.map_or(0, |m| m.1) {
            most = Some((url, f.merchants.len()));
        }
        if trading.is_none() {
            trading = f.trading.as_deref().map(|t| (url, t));
        }
        if cart.is_none() && f.cart {
            cart = Some(url);
        }
    }
    if count == 0 {
        return None;
    }
    let pages_word = if count == 1 { "page" } else { "pages" };
    let trade_reason = match (trading, cart) {
        (Some((url, t)), _) => Some(format!("trading page {url}: {t}")),
        (None, Some(url)) => Some(format!("shopping cart offered on {url}")),
        (None, None) => None,
    };
    let (kind, reason) = if shop {
        let r = match &trade_reason {
            Some(t) => format!("shop under a platform's shop path; {t}"),
            None => format!(
                "shop under a platform's shop path; no price or cart on {count} {pages_word}"
            ),
        };
        (SiteKind::PlatformShop, r)
    } else if merchants.len() >= PLATFORM_MIN_MERCHANTS {
        let shown: Vec<&str> = merchants.iter().take(3).copied().collect();
        let more = if merchants.len() > shown.len() {
            ", …"
        } else {
            ""
        };
        let on = most.map_or("", |m| m.0);
        (
            SiteKind::Platform,
            format!(
                "{} merchant shops linked ({}{more}) on {on}",
                merchants.len(),
                shown.join(", ")
            ),
        )
    } else if let Some(t) = trade_reason {
        (SiteKind::TradingSite, t)
    } else {
        (
            SiteKind::NonTradingSite,
            format!("no price or cart on {count} {pages_word}"),
        )
    };
    Some(Classification { kind, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::extract;

    fn facts(url: &str, html: &str) -> PageFacts {
        page_facts(&extract(html), url)
    }

    const PRODUCT: &str = r#"<html><head><title>明前绿茶_金源茶叶</title></head><body>
<div class="top">欢迎光临金源茶叶！第一次购买请先注册</div>
<div class="main"><h1>明前绿茶</h1>
<p class="price">价格：<b>¥128.00</b>/罐</p><p><button class="cart">加入购物车</button> <button class="buy">立即购买</button></p>
</div>
<div class="footer"><p>Copyright © 2017-2024 金源 版权所有 客服电话：0771-3123456</p></div>
</body></html>"#;

    const COMPANY_HOME: &str = r#"<html><head><title>恒达科技</title></head><body>
<div class="top"><h1>南宁恒达科技有限公司</h1></div>
<div class="main"><div class="banner">南宁恒达科技有限公司，专注恒达科技，服务南宁及周边客户。</div>
<ul class="items"><li class="item"><a href="/p/1201/">软件开发</a> <a href="/p/1201/">了解详情</a></li></ul>
<p>欢迎使用南宁恒达科技有限公司提供的服务。本公司成立于2012年。</p></div>
<div class="footer"><p>南宁恒达科技有限公司 统一社会信用代码：91450103MA5K3XQ27B</p>
<p><a href="https://beian.miit.gov.cn/" target="_blank">桂ICP备2019012345号-1</a> 桂公网安备45010302000123号</p>
<p><a class="badge" href="https://zzlz.gsxt.gov.cn/businessCheck/verifKey.do?serial=1">工商网监 电子标识</a></p>
<p>友情链接：<a href="http://www.jinyuan-tea.test/">金源官网</a> <a href="http://hengda-tech.test/x">自己</a> <a href="https://www.gxzf.gov.cn/">广西政府网</a> <a href="http://WWW.Jinyuan-Tea.test:8080/again">金源再次</a></p>
</div>
<div style="display:none"><a href="https://casino-88.test/">娱乐城</a></div>
</body></html>"#;

    const PLATFORM_HOME: &str = r#"<html><body>
<div class="main"><h1>桂品商城</h1><p>广西特色好物，汇集南宁本地商家。</p><h2>人气商家</h2><ul>
<li><a href="/shop/8812/">绿源茶叶旗舰店</a> 月售120单</li>
<li><a href="/shop/8813/">嘉禾护肤品专营店</a> 月售88单</li>
<li><a href="http://mall.test/shop/8820/item/3.html">瑞丰数码配件官方店</a></li>
<li><a href="/shop/8812/item/9.html">绿源茶叶明前绿茶</a></li>
<li><a href="/shops/2.html">第2页</a> <a href="/shop/index.html">全部</a></li>
</ul></div>
<div class="footer"><p>广西桂品电子商务有限公司 版权所有 <a href="https://beian.miit.gov.cn/">桂ICP备12345678号</a></p></div>
</body></html>"#;

    const SHOP_HOME: &str = r#"<html><body>
<div class="top"><a href="/">邕城外卖</a> | 第一次购买请先注册 | <a href="/shops/1.html">全部商家</a></div>
<div class="shop-head"><h2><a href="/shop/4521/">金江老友粉（总店）</a></h2></div>
<div class="main"><h1>金江老友粉（总店）</h1><ul class="menu">
<li class="item"><a href="/shop/4521/item/1201.html">老友粉</a> <span class="price">价格：¥18.00</span> <button class="buy">加入购物车</button></li></ul>
<div class="merchant"><h3>商家信息</h3><p>营业执照：南宁市金江老友粉店 统一社会信用代码：92450103MA5K3XQ27B</p><p>商家地址：南宁市青秀区民族大道1号</p></div></div>
<div class="footer"><p>广西邕城网络科技有限公司 版权所有 <a href="https://beian.miit.gov.cn/" target="_blank">桂ICP备2019012345号-1</a></p></div>
</body></html>"#;

    const GOV_HOME: &str = r#"<html><body>
<div class="top"><h1>南宁市青秀区人民政府</h1></div>
<h2>通知公告</h2><ul><li><a href="/tzgg/202401.html">2023年度本级福利彩票公益金使用情况公告</a></li></ul>
<p>全年共使用福利彩票公益金120万元，主要用于养老服务。</p>
<div class="footer"><p>主办单位：南宁市青秀区人民政府 地址：南宁市青秀区民族大道1号 电话：0771-5123456</p>
<p>版权所有：南宁市青秀区人民政府</p></div>
</body></html>"#;

    #[test]
    fn trading_and_cart() {
        let f = facts("http://www.jinyuan-tea.test/p/1201/", PRODUCT);
        assert_eq!(f.trading.as_deref(), Some("¥128.00 立即购买"));
        assert!(f.cart);
        let f = facts("http://www.hengda-tech.test/", COMPANY_HOME);
        assert_eq!(f.trading, None);
        assert!(!f.cart);
        // A yuan price: the whole number, and the checkout link counts as a cart.
        let f = facts(
            "http://x.test/a",
            "<p>特价 128元，限时供应 <a href=\"/checkout?id=3\">下单</a></p>",
        );
        assert_eq!(f.trading.as_deref(), Some("128元 下单"));
        assert!(f.cart);
        // Cart words without a price: a cart but not a trading page.
        let f = facts("http://x.test/", "<p><a href=\"/cart/\">我的购物车</a></p>");
        assert!(f.cart && f.trading.is_none());
        let f = facts("http://x.test/", "<p>结算方式：月结</p>");
        assert!(!f.cart);
    }

    #[test]
    fn merchants_on_the_same_host() {
        let f = facts("http://mall.test/", PLATFORM_HOME);
        let m: Vec<&str> = f.merchants.iter().map(String::as_str).collect();
        assert_eq!(m, ["/shop/8812", "/shop/8813", "/shop/8820"]);
        // Another host's shops and hidden links are not this page's merchants.
        let f = facts(
            "http://www.a.test/",
            r#"<a href="http://b.test/shop/1/">b</a><div hidden><a href="/shop/2/">x</a></div><a href="store/77.html">s</a>"#,
        );
        let m: Vec<&str> = f.merchants.iter().map(String::as_str).collect();
        assert_eq!(m, ["/store/77"]);
        // Links resolve as a browser resolves them: `..`, `./`, a scheme-relative link to the
        // same host, a link to the page itself.
        let f = facts(
            "http://mall.test/cat/list/page.html?p=2",
            r##"<a href="../../shop/9/">a</a><a href="./x">b</a><a href="//WWW.mall.test/store/3.html">c</a><a href="#top">d</a><a href="?p=3">e</a>"##,
        );
        let m: Vec<&str> = f.merchants.iter().map(String::as_str).collect();
        assert_eq!(m, ["/shop/9", "/store/3"]);
        assert!(f.outbound.is_empty());
        assert_eq!(merchant_prefix("/shops/1.html"), None);
        assert_eq!(merchant_prefix("/shop/"), None);
        assert_eq!(merchant_prefix("/Shop/ab-9"), Some("/shop/ab-9".into()));
    }

    #[test]
    fn outbound_links() {
        let f = facts("http://www.hengda-tech.test/", COMPANY_HOME);
        let hosts: Vec<(&str, &str, bool)> = f
            .outbound
            .iter()
            .map(|o| (o.host.as_str(), o.anchor.as_str(), o.hidden))
            .collect();
        assert_eq!(
            hosts,
            [
                ("www.jinyuan-tea.test", "金源官网", false),
                ("casino-88.test", "娱乐城", true),
            ]
        );
        assert_eq!(f.outbound[0].href, "http://www.jinyuan-tea.test/");
        assert!(is_infrastructure_host("beian.miit.gov.cn"));
        assert!(is_infrastructure_host("www.nanning.gov.cn"));
        assert!(!is_infrastructure_host("notgov.cn"));
        assert!(!is_infrastructure_host("zzlz.gsxt.gov.cn.verify-cert.test"));
        let f = facts(
            "https://a.test/x",
            r#"<a href="//cdn.b.test/x.js">b</a><a href="mailto:x@c.test">c</a><a href="javascript:void(0)">d</a><a href="ftp://e.test/">e</a>"#,
        );
        let hosts: Vec<&str> = f.outbound.iter().map(|o| o.host.as_str()).collect();
        assert_eq!(hosts, ["cdn.b.test"]);
        // A page whose URL does not parse still names the hosts it links to absolutely.
        let f = facts(
            "not a url",
            r#"<a href="/shop/1/">a</a><a href="//c.test/">c</a><a href="http://d.test./">d</a><a href="http://exa mple.test/">x</a>"#,
        );
        let hosts: Vec<&str> = f.outbound.iter().map(|o| o.host.as_str()).collect();
        assert_eq!(hosts, ["c.test", "d.test"]);
        assert!(f.merchants.is_empty());
    }

    #[test]
    fn identifiers() {
        let f = facts("http://www.hengda-tech.test/", COMPANY_HOME);
        assert_eq!(f.usccs, ["91450103MA5K3XQ27B"]);
        assert_eq!(f.icps, ["桂ICP备2019012345号-1"]);
        let f = facts(
            "http://x.test/",
            "<p>信用代码：9145 0103 ma5k3xq27b</p><p>社会信用代码 91450103MA5K3XQ27B</p><p>注册号：450100000012345</p>",
        );
        assert_eq!(f.usccs, ["91450103MA5K3XQ27B"]);
    }

    #[test]
    fn addresses_after_their_label() {
        let f = facts("http://waimai.test/shop/4521/", SHOP_HOME);
        assert_eq!(f.addresses, ["南宁市青秀区民族大道1号"]);
        let f = facts("http://qx.gov.test/", GOV_HOME);
        assert_eq!(f.addresses, ["南宁市青秀区民族大道1号"]);
        assert!(facts("http://x.test/", PRODUCT).addresses.is_empty());
    }

    #[test]
    fn names() {
        let f = facts("http://www.hengda-tech.test/", COMPANY_HOME);
        assert_eq!(f.operator_names, ["南宁恒达科技有限公司"]);
        let f = facts("http://waimai.test/shop/4521/", SHOP_HOME);
        assert_eq!(
            f.operator_names,
            ["南宁市金江老友粉店", "广西邕城网络科技有限公司"]
        );
        let f = facts("http://qx.gov.test/", GOV_HOME);
        assert_eq!(f.operator_names, ["南宁市青秀区人民政府"]);
        assert_eq!(
            operator_names("经营者：张三 本公司为南宁市兴宁区和顺商行所有，公司新闻"),
            ["南宁市兴宁区和顺商行"]
        );
        assert_eq!(
            operator_names("本网站由广西佳源农资有限责任公司运营。电子营业执照亮照标识"),
            ["广西佳源农资有限责任公司"]
        );
    }

    fn kind(pages: &[(&str, &PageFacts)], shop: bool) -> Classification {
        classify_site(pages.iter().copied(), shop).expect("pages")
    }

    #[test]
    fn classification_rules() {
        let product = facts("http://www.jinyuan-tea.test/p/1201/", PRODUCT);
        let company = facts("http://www.hengda-tech.test/", COMPANY_HOME);
        let platform = facts("http://mall.test/", PLATFORM_HOME);
        let shop = facts("http://waimai.test/shop/4521/", SHOP_HOME);
        assert_eq!(classify_site(std::iter::empty(), false), None);

        let c = kind(
            &[
                ("http://mall.test/about.html", &company),
                ("http://mall.test/", &platform),
            ],
            false,
        );
        assert_eq!(c.kind, SiteKind::Platform);
        assert_eq!(
            c.reason,
            "3 merchant shops linked (/shop/8812, /shop/8813, /shop/8820) on http://mall.test/"
        );

        let c = kind(
            &[
                ("http://www.jinyuan-tea.test/", &company),
                ("http://www.jinyuan-tea.test/p/1201/", &product),
            ],
            false,
        );
        assert_eq!(c.kind, SiteKind::TradingSite);
        assert_eq!(
            c.reason,
            "trading page http://www.jinyuan-tea.test/p/1201/: ¥128.00 立即购买"
        );

        let cart_only = PageFacts {
            cart: true,
            ..PageFacts::default()
        };
        let c = kind(&[("http://c.test/", &cart_only)], false);
        assert_eq!(c.kind, SiteKind::TradingSite);
        assert_eq!(c.reason, "shopping cart offered on http://c.test/");

        let c = kind(
            &[
                ("http://www.hengda-tech.test/", &company),
                ("http://www.hengda-tech.test/about", &company),
            ],
            false,
        );
        assert_eq!(c.kind, SiteKind::NonTradingSite);
        assert_eq!(c.reason, "no price or cart on 2 pages");

        // A shop is a platform shop, with or without trading evidence; its own shop link
        // does not make it a platform.
        let c = kind(&[("http://waimai.test/shop/4521/", &shop)], true);
        assert_eq!(c.kind, SiteKind::PlatformShop);
        assert!(c.reason.ends_with("¥18.00 加入购物车"), "{}", c.reason);
        let c = kind(&[("http://waimai.test/shop/4521/", &company)], true);
        assert_eq!(c.kind, SiteKind::PlatformShop);
        assert!(
            c.reason.ends_with("no price or cart on 1 page"),
            "{}",
            c.reason
        );
        let c = kind(&[("http://waimai.test/shop/4521/", &shop)], false);
        assert_eq!(c.kind, SiteKind::TradingSite);
    }

    fn phones(text: &str) -> Vec<String> {
        facts("http://x.test/", &format!("<p>{text}</p>")).phones
    }

    #[test]
    fn phones_in_their_forms() {
        assert_eq!(facts("http://x.test/", PRODUCT).phones, ["0771-3123456"]);
        assert_eq!(facts("http://x.test/", GOV_HOME).phones, ["0771-5123456"]);
        // USCC, ICP and public-security numbers are no telephone numbers.
        assert!(facts("http://x.test/", COMPANY_HOME).phones.is_empty());
        assert_eq!(
            phones(
                "电话：（0771）5551234 传真：0771 555 2345 手机：138 0000 1234 热线：+86 771 5553456 \
                 微信同号+86-13900001234 北京：010-62345678 总机：0771-5551234-801 再次 0771-5551234"
            ),
            [
                "0771-5551234",
                "0771-5552345",
                "13800001234",
                "0771-5553456",
                "13900001234",
                "010-62345678"
            ]
        );
        assert_eq!(
            phones("<br>客服：15977001234<br>投诉：0771-5551234。"),
            ["15977001234", "0771-5551234"]
        );
    }

    #[test]
    fn digits_that_are_no_phones() {
        for text in [
            "价格：13800001234",
            "售价 ¥13800001234",
            "总价13800001234 元",
            "订单号 1380000123412345",
            "编号A13800001234",
            "13800001234.50",
            "见 http://shop.test/item?id=13800001234 详情",
            "访问 www.shop.test/13800001234",
            "统一社会信用代码：91 13800001234 X12",
            "桂公网安备45010302000123号",
            "营业执照注册号：450100000012345",
            "日期 2024-01-01 12:00",
            "电话 12800001234 与 0771-0551234",
            "客服QQ：13800001234",
            "订单编号 13800001234",
        ] {
            assert_eq!(phones(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn at_most_twenty_phones() {
        let many: Vec<String> = (0..25).map(|i| format!("1380000{:04}", 1000 + i)).collect();
        let got = phones(&many.join("，"));
        assert_eq!(got.len(), MAX_PHONES);
        assert_eq!(got, many[..MAX_PHONES]);
    }
}
