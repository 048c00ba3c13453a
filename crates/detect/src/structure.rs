//! Structural checks: facts about the page as a whole rather than a phrase in it.
//!
//! - `license.uscc_invalid`: a code shown after a USCC label fails GB 32100.
//! - `license.not_displayed`: a trading page on a site's homepage (or a shop's main page)
//!   shows neither business name + labelled USCC nor a license badge link.
//!
//! - `icp.not_displayed`: a site's homepage shows no ICP filing or license number.
//! - `food.permit_not_displayed`: a trading page that sells food shows no JY/SC license.
//! - `privacy.no_policy`: a form asks for ID number, phone, address or bank card and the page
//!   has no privacy policy link or consent.
//! - `badge.invalid`: a license badge link whose host is not the issuer's, or whose serial
//!   carries another USCC than the one shown or registered.
//! - With a register view ([`crate::register_checks`]): `license.uscc_mismatch`,
//!   `license.unregistered`, `icp.mismatch`, `food.address_mismatch`.
//!
//! [`trading_page`] and [`uscc_candidates`] are public for other checks to reuse.

use crate::extract::Extracted;
use crate::normalize::{normalize, Normalized};
use crate::register_checks::{same_address, RegisterView};
use crate::rules::NATIONAL_BADGE_HOST;
use crate::PageContext;
use domain::text::compact_upper;
use domain::{Category, FoodLicense, Icp, IcpKind, SiteKind, Uscc, UsccError};
use regex::Regex;
use std::ops::Range;
use std::sync::OnceLock;
use url::Url;

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

/// Ways to buy, normalised (the list is data: [`crate::vocab::BUY_WORDS`]).
const BUY: &[&str] = crate::vocab::BUY_WORDS;

/// A trading page: shows a price and offers a way to buy (button, link or text). Non-trading
/// pages are never subject to the license display duty.
pub fn trading_page(page: &Extracted) -> bool {
    trading_evidence(page, &normalize(&page.text)).is_some()
}

/// Why a page is a trading page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trading {
    /// The byte span (in normalised text) of the first price (the currency mark or label and
    /// its first digit, as the price pattern matched it).
    pub price: Range<usize>,
    /// The way to buy that was found (an entry of [`BUY`], normalised).
    pub buy: &'static str,
}

/// The first price and the way to buy, when the page trades.
pub(crate) fn trading_evidence(page: &Extracted, norm_text: &str) -> Option<Trading> {
    let price = price_re().find(norm_text)?;
    let buys = |s: &str| BUY.iter().find(|b| s.contains(*b)).copied();
    let buy = buys(norm_text)
        .or_else(|| page.links.iter().find_map(|l| buys(&normalize(&l.anchor))))
        .or_else(|| {
            page.images
                .iter()
                .find_map(|(_, alt)| buys(&normalize(alt)))
        })
        // An icon button named only by its `aria-label`/`title`.
        .or_else(|| page.attributes.iter().find_map(|a| buys(&normalize(a))))?;
    Some(Trading {
        price: price.range(),
        buy,
    })
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

/// The lower-cased host of an absolute (or scheme-relative) URL; `None` for a relative one or
/// one without a host.
pub fn host_of(href: &str) -> Option<String> {
    let href = href.trim();
    let url = match href.strip_prefix("//") {
        Some(_) => Url::parse(&format!("http:{href}")),
        None => Url::parse(href),
    };
    let host = url.ok()?.host_str()?.trim_end_matches('.').to_string();
    (!host.is_empty()).then_some(host)
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

/// Where a structural finding's excerpt comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Evidence {
    /// A span of the normalised visible text.
    Text(Range<usize>),
    /// Text given as is (a link, the title).
    Raw(String),
}

/// What the structural checks report, before it becomes a `Detection`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Structural {
    pub category: Category,
    pub rule: &'static str,
    pub evidence: Evidence,
}

/// Rule ids of the structural checks.
pub mod ids {
    pub const USCC_INVALID: &str = "structure.uscc-invalid-001";
    pub const LICENSE_NOT_DISPLAYED: &str = "structure.license-not-displayed-001";
    pub const ICP_NOT_DISPLAYED: &str = "structure.icp-not-displayed-001";
    pub const FOOD_PERMIT_NOT_DISPLAYED: &str = "structure.food-permit-not-displayed-001";
    pub const PRIVACY_NO_POLICY: &str = "structure.privacy-no-policy-001";
    pub const HEALTH_FOOD_NOTICE: &str = "structure.health-food-notice-001";
    pub const BADGE_INVALID: &str = "structure.badge-invalid-001";
    /// A wangjian badge (亮照) missing on an enrolled site, or not valid where it is shown
    /// ([`crate::badge`]); the excerpt starts with the `domain::BadgeVerdict` code.
    pub const WANGJIAN_BADGE_INVALID: &str = "structure.badge-invalid-002";
    pub const USCC_MISMATCH: &str = "register.uscc-mismatch-001";
    pub const UNREGISTERED: &str = "register.unregistered-001";
    pub const ICP_MISMATCH: &str = "register.icp-mismatch-001";
    pub const ADDRESS_MISMATCH: &str = "register.address-mismatch-001";
    pub const HIJACK_TITLE: &str = "hijack.title-spam-001";
    pub const HIJACK_HIDDEN: &str = "hijack.hidden-links-001";
    pub const HIJACK_CLOAKING: &str = "hijack.cloaking-001";
}

fn icp_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let provinces: String = domain::icp::PROVINCES.iter().collect();
        Regex::new(&format!(
            r"[{provinces}] ?icp ?(?:备|证) ?[0-9]{{6,10}} ?号(?: ?- ?[0-9]{{1,3}})?|[{provinces}] ?b2 ?- ?[0-9]{{8}}"
        ))
        .expect("static regex")
    })
}

/// ICP filing and license numbers shown in normalised text (valid forms only).
pub fn icp_numbers(norm: &str) -> Vec<(Range<usize>, Icp)> {
    icp_re()
        .find_iter(norm)
        .filter_map(|m| Icp::parse(m.as_str()).ok().map(|i| (m.range(), i)))
        .filter(|(_, i)| i.kind() != IcpKind::PublicSecurity)
        .collect()
}

fn food_license_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?:jy|sc) ?[0-9](?: ?[0-9]){13}").expect("static regex"))
}

/// Food licenses (JY/SC + 14 digits, valid form) shown in normalised text.
pub fn food_licenses(norm: &str) -> Vec<FoodLicense> {
    food_license_re()
        .find_iter(norm)
        .filter_map(|m| FoodLicense::parse(m.as_str()).ok())
        .collect()
}

/// Words that show a page is about food (normalised). A food seller's pages name what they sell.
const FOOD_WORDS: &[&str] = &[
    "食品",
    "茶叶",
    "美食",
    "外卖",
    "零食",
    "餐饮",
    "点餐",
    "小吃",
    "糕点",
    "熟食",
    "生鲜",
    "饮品",
    "茶饮",
    "奶茶",
    "粮油",
    "酒水",
    "白酒",
    "米粉",
    "特产",
    "菜品",
    "套餐饭",
];

/// What follows a food word when it names a material's grade or use, not food: 食品级不锈钢,
/// 食品接触材料, 食品用塑料.
const NOT_FOOD_AFTER: &[&str] = &["级", "接触", "用"];

/// Link anchors at most this long are category links (美食, 生鲜): a platform's navigation
/// names categories whether or not anything on the page is food.
const CATEGORY_ANCHOR: usize = 4;

/// Occurrences of food words in `s` that speak of food (not 食品级 …).
fn food_mentions(s: &str) -> usize {
    FOOD_WORDS
        .iter()
        .map(|w| {
            s.match_indices(w)
                .filter(|(i, _)| {
                    let after = &s[i + w.len()..];
                    !NOT_FOOD_AFTER.iter().any(|n| after.starts_with(n))
                })
                .count()
        })
        .sum()
}

/// True when the page's title, metas or text show it is about food. A food word counts unless
/// it names a material (食品级, 食品接触) or only a short category link carries it (a
/// platform's 美食 channel).
fn food_signal(page: &Extracted, norm_text: &str) -> bool {
    let head = food_mentions(&normalize(&page.title)) > 0
        || page.metas.iter().any(|(n, c)| {
            matches!(n.as_str(), "description" | "keywords") && food_mentions(&normalize(c)) > 0
        });
    if head {
        return true;
    }
    let in_text = food_mentions(norm_text);
    if in_text == 0 {
        return false;
    }
    let in_categories: usize = page
        .links
        .iter()
        .filter(|l| !l.hidden && l.anchor.trim().chars().count() <= CATEGORY_ANCHOR)
        .map(|l| food_mentions(&normalize(&l.anchor)))
        .sum();
    in_text > in_categories
}

/// Words that show a page advertises health food (保健食品, its approval numbers).
const HEALTH_FOOD_WORDS: &[&str] = &["保健食品", "国食健注", "国食健字", "卫食健字", "食健备"];

/// The notice a health food advertisement must carry (Advertising Law Art. 18).
const HEALTH_FOOD_NOTICE: &[&str] = &[
    "不能代替药物",
    "不可代替药物",
    "不能替代药物",
    "不能代替药品",
    "不可替代药物",
];

/// True when one of `words` (normalised) is in the title, the keywords/description or the text.
fn page_has(page: &Extracted, norm_text: &str, words: &[&str]) -> bool {
    let has = |s: &str| words.iter().any(|w| s.contains(w));
    has(norm_text)
        || has(&normalize(&page.title))
        || page
            .metas
            .iter()
            .any(|(n, c)| matches!(n.as_str(), "description" | "keywords") && has(&normalize(c)))
}

/// Input descriptors (names, placeholders, labels) that ask for personal information.
const PI_FIELDS: &[&str] = &[
    "身份证",
    "证件号",
    "手机",
    "电话",
    "银行卡",
    "银行账户",
    "银行账号",
    "收款账户",
    "住址",
    "地址",
    "idcard",
    "id_card",
    "idno",
    "id_no",
    "sfz",
    "identity",
    "mobile",
    "phone",
    "tel",
    "bankcard",
    "bank_card",
    "cardno",
    "card_no",
    "bank",
    "address",
    "addr",
];

/// Text or link anchors that give a privacy notice or ask for consent.
const PRIVACY_MARKS: &[&str] = &[
    "隐私政策",
    "隐私保护",
    "隐私条款",
    "隐私权",
    "个人信息保护",
    "个人信息处理规则",
    "privacy",
    "我已阅读并同意",
    "同意收集",
];

fn privacy_missing(page: &Extracted, norm_text: &str) -> Option<String> {
    let field = page.forms.iter().flat_map(|f| &f.inputs).find(|i| {
        let n = normalize(i);
        PI_FIELDS.iter().any(|w| n.contains(w))
    })?;
    let marks = |s: &str| PRIVACY_MARKS.iter().any(|m| s.contains(m));
    let noticed = marks(norm_text)
        || page.links.iter().any(|l| {
            marks(&normalize(&l.anchor)) || l.href.to_ascii_lowercase().contains("privacy")
        });
    (!noticed).then(|| field.clone())
}

/// Link texts that present a license badge.
const BADGE_MARKS: &[&str] = &["亮照", "电子标识", "工商网监", "电子营业执照", "红盾"];

/// The USCC inside a national badge serial `<USCC>-SAIC_SHOW_<6 digits><USCC><13 digits>`,
/// when both copies agree; `Err(())` when the serial has that form and they differ.
fn serial_uscc(href: &str) -> Option<Result<String, ()>> {
    let at = href.find("serial=")? + "serial=".len();
    let serial: String = href[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    let (first, rest) = serial.split_once("-SAIC_SHOW_")?;
    let second = rest.get(6..24)?;
    if first.len() != 18 {
        return None;
    }
    Some(if first.eq_ignore_ascii_case(second) {
        Ok(first.to_ascii_uppercase())
    } else {
        Err(())
    })
}

fn badge_problem(
    page: &Extracted,
    badge_hosts: &[String],
    shown: &[&Uscc],
    register: Option<&str>,
) -> Option<String> {
    for l in &page.links {
        let Some(host) = host_of(&l.href) else {
            continue;
        };
        let official = is_badge_host(&host, badge_hosts);
        let lower = l.href.to_ascii_lowercase();
        let anchor = normalize(&l.anchor);
        let looks = lower.contains("businesscheck")
            || lower.contains("verifkey")
            || lower.contains("saic_show")
            || host.contains("gsxt")
            || BADGE_MARKS.iter().any(|m| anchor.contains(m));
        if !looks {
            continue;
        }
        if !official {
            return Some(l.href.clone());
        }
        match serial_uscc(&l.href) {
            Some(Err(())) => return Some(l.href.clone()),
            Some(Ok(u)) => {
                let differs_shown = !shown.is_empty() && shown.iter().all(|s| s.as_str() != u);
                let differs_reg = register.is_some_and(|r| compact_upper(r) != u);
                if differs_shown || differs_reg {
                    return Some(l.href.clone());
                }
            }
            None => {}
        }
    }
    None
}

/// Labels before a shown address (normalised).
const ADDRESS_LABELS: &[&str] = &["商家地址", "经营地址", "门店地址", "店铺地址", "地址"];

/// Addresses shown after an address label, as spans of the normalised text.
pub(crate) fn shown_addresses(norm: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for label in ADDRESS_LABELS {
        for (at, _) in norm.match_indices(label) {
            let mut start = at + label.len();
            let rest = &norm[start..];
            let skip = rest.len() - rest.trim_start_matches([':', ' ']).len();
            start += skip;
            if out.iter().any(|r| r.start == start) {
                continue;
            }
            let rest = &norm[start..];
            let mut end = rest.len();
            for stop in [
                "电话",
                "联系",
                "邮编",
                "营业时间",
                "办公时间",
                "\n",
                " ",
                ",",
                "。",
                ";",
            ] {
                if let Some(i) = rest.find(stop) {
                    end = end.min(i);
                }
            }
            // Bounded: an address is short.
            let end = rest[..end].char_indices().nth(60).map_or(end, |(i, _)| i);
            if rest[..end].chars().count() >= 4 {
                out.push(start..start + end);
            }
        }
    }
    out
}

/// What the structural checks and the page facts ([`crate::facts`]) both read from a page's
/// normalised text, computed once per page.
#[derive(Debug, Clone)]
pub(crate) struct Basics {
    pub candidates: Vec<UsccCandidate>,
    pub icps: Vec<(Range<usize>, Icp)>,
    pub trading: Option<Trading>,
}

impl Basics {
    pub fn new(page: &Extracted, norm: &str) -> Basics {
        Basics {
            candidates: uscc_candidates(norm),
            icps: icp_numbers(norm),
            trading: trading_evidence(page, norm),
        }
    }
}

/// Runs the structural and register checks over a page whose text is already normalised.
pub(crate) fn check(
    page: &Extracted,
    text: &Normalized,
    basics: &Basics,
    ctx: &PageContext,
    badge_hosts: &[String],
) -> Vec<Structural> {
    let norm = text.text.as_str();
    let mut out = Vec::new();
    let mut push = |category, rule, evidence| {
        out.push(Structural {
            category,
            rule,
            evidence,
        })
    };
    let candidates = &basics.candidates;
    for c in candidates.iter().filter(|c| c.is_invalid_uscc()) {
        push(
            Category::LicenseUsccInvalid,
            ids::USCC_INVALID,
            Evidence::Text(c.span.clone()),
        );
    }
    let facts = ctx.register.facts();
    let kind = ctx.site_kind.or(facts.and_then(|f| f.kind));
    let trading = basics.trading.as_ref().map(|t| t.price.clone());
    let subject = ctx.is_site_home && kind.is_none_or(SiteKind::trades);
    if subject {
        if let Some(price) = &trading {
            if !license_displayed(page, norm, candidates, badge_hosts) {
                push(
                    Category::LicenseNotDisplayed,
                    ids::LICENSE_NOT_DISPLAYED,
                    Evidence::Text(price.clone()),
                );
            }
        }
    }

    // ICP: on a site's homepage (a platform shop shows its platform's).
    let icps = &basics.icps;
    let shop = kind == Some(SiteKind::PlatformShop);
    if ctx.is_site_home && !shop && icps.is_empty() {
        let last = norm.trim_end().rfind('\n').map_or(0, |i| i + 1);
        push(
            Category::IcpNotDisplayed,
            ids::ICP_NOT_DISPLAYED,
            Evidence::Text(last..norm.trim_end().len()),
        );
    }

    // Food: a trading page about food needs a license number on it.
    if let Some(price) = &trading {
        let sells_food = facts.is_some_and(|f| f.food_permit.is_some()) || food_signal(page, norm);
        if sells_food && food_licenses(norm).is_empty() && !norm.contains("仅销售预包装食品")
        {
            push(
                Category::FoodPermitNotDisplayed,
                ids::FOOD_PERMIT_NOT_DISPLAYED,
                Evidence::Text(price.clone()),
            );
        }
    }

    // Health food: an advertisement (a trading page) without the mandatory notice.
    if let Some(price) = &trading {
        if page_has(page, norm, HEALTH_FOOD_WORDS)
            && !HEALTH_FOOD_NOTICE.iter().any(|n| norm.contains(n))
        {
            push(
                Category::AdHealthFoodClaim,
                ids::HEALTH_FOOD_NOTICE,
                Evidence::Text(price.clone()),
            );
        }
    }

    if let Some(field) = privacy_missing(page, norm) {
        push(
            Category::PrivacyNoPolicy,
            ids::PRIVACY_NO_POLICY,
            Evidence::Raw(field),
        );
    }

    let shown: Vec<&Uscc> = candidates
        .iter()
        .filter_map(|c| c.parsed.as_ref().ok())
        .collect();
    if let Some(href) = badge_problem(page, badge_hosts, &shown, facts.map(|f| f.uscc.as_str())) {
        push(
            Category::BadgeInvalid,
            ids::BADGE_INVALID,
            Evidence::Raw(href),
        );
    }

    match ctx.register {
        RegisterView::NotLoaded => {}
        RegisterView::Unmatched => {
            if ctx.is_site_home {
                if let Some(price) = &trading {
                    push(
                        Category::LicenseUnregistered,
                        ids::UNREGISTERED,
                        Evidence::Text(price.clone()),
                    );
                }
            }
        }
        RegisterView::Matched(f) => {
            let registered = compact_upper(&f.uscc);
            if let Some(c) = candidates
                .iter()
                .find(|c| c.parsed.as_ref().is_ok_and(|u| u.as_str() != registered))
            {
                push(
                    Category::LicenseUsccMismatch,
                    ids::USCC_MISMATCH,
                    Evidence::Text(c.span.clone()),
                );
            }
            if let Some(reg) = f.icp.as_deref().and_then(|i| Icp::parse(i).ok()) {
                let filings: Vec<_> = icps
                    .iter()
                    .filter(|(_, i)| i.kind() == reg.kind())
                    .collect();
                if !filings.is_empty() && !filings.iter().any(|(_, i)| i.same_filing(&reg)) {
                    push(
                        Category::IcpMismatch,
                        ids::ICP_MISMATCH,
                        Evidence::Text(filings[0].0.clone()),
                    );
                }
            }
            if let Some(reg_addr) = f.address.as_deref() {
                let food =
                    f.food_permit.is_some() || (trading.is_some() && food_signal(page, norm));
                if food {
                    if let Some(r) = shown_addresses(norm)
                        .into_iter()
                        .find(|r| !same_address(reg_addr, &norm[r.clone()]))
                    {
                        push(
                            Category::FoodAddressMismatch,
                            ids::ADDRESS_MISMATCH,
                            Evidence::Text(r),
                        );
                    }
                }
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
        assert_eq!(host_of("/a//b.test/x").as_deref(), None);
        assert_eq!(
            host_of(" //CDN.b.test:8080/x.js").as_deref(),
            Some("cdn.b.test")
        );
        assert_eq!(
            host_of("https://user@WWW.Shop.test./p?q=//x.test").as_deref(),
            Some("www.shop.test")
        );
        assert_eq!(host_of("mailto:a@b.test").as_deref(), None);
        assert!(is_badge_host("zzlz.gsxt.gov.cn", &[]));
        assert!(!is_badge_host("evilzzlz.gsxt.gov.cn.example", &[]));
    }
}
