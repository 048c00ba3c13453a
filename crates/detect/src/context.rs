//! Context: whether a match is the site's own claim.
//!
//! Three facts about a page lower a finding to *suppressed* (kept, marked with a
//! [`Suppression`], never a clue):
//!
//! - **quotation**: the match lies in text the page quotes — `<blockquote>` and `<q>`
//!   elements, a sentence that cites a law or rule and lists its examples (《…法》第…条 …
//!   例如/如：/包括/等用语, 禁止使用…等用语), and text in quotation marks (“…” 「…」 『…』
//!   "…") when the page does not trade or the quote is cued (例如, 禁止, 宣称, 骗局 … before
//!   it, 等用语 after it). On a trading page a bare quotation mark is emphasis, not a quote.
//! - **trademark**: an absolute term inside a registered trademark or company name — the
//!   register's names when loaded, and names the page marks with ®/™ or a 商标 statement, or
//!   shows as a company name (…有限公司).
//! - **genre**: an advertising claim on a government, news or association page that does not
//!   trade ([`page_genre`]); gambling words only where the page speaks of a crackdown or a
//!   warning.
//!
//! Hidden text, links, the spider's view and the structural checks are never suppressed: a
//! hijacked government page is exactly what the detector looks for.
//!
//! This module reads only the page (its extracted parts and, when the caller has it, the raw
//! HTML for `<blockquote>`/`<q>`); its work is linear in the page size.

use crate::extract::Extracted;
use crate::normalize::normalize;
use crate::Location;
use domain::{Category, SiteKind};
pub use domain::{Genre, Suppression, SuppressionReason};
use std::ops::Range;

/// The genre of a page and whether it trades (a government page with a cart still sells).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageGenre {
    pub genre: Genre,
    pub trading: bool,
}

/// Markers of news articles (normalised text).
const NEWS_MARKERS: &[&str] = &[
    "新华社",
    "本报讯",
    "记者",
    "通讯员",
    "责任编辑",
    "来源:",
    "稿源",
    "新闻中心",
    "中新网",
    "人民网",
    "央视新闻",
];
/// Markers of associations and consumer councils: all in the title, from the fourth on (the
/// consumer councils; 学会 is also "learn") in the text's first lines.
const ASSOCIATION_MARKERS: &[&str] = &[
    "协会",
    "学会",
    "商会",
    "消费者委员会",
    "消费者权益保护委员会",
    "消委会",
    "消协",
];
/// Markers of government sites' pages.
const GOVERNMENT_MARKERS: &[&str] = &["人民政府", "政府", "政务公开", "政务服务", "信息公开"];

/// The page's genre, from its host, title and text, what trades on it, and the register's
/// site kind when loaded. A small decision list, in order:
/// 1. a register kind that trades: a platform is a [`Genre::Platform`], the others shops;
/// 2. a `.gov.cn` host, 政府 or a 局 in the title, 政务公开 on the page: government;
/// 3. 协会/学会/商会/消费者委员会/消协 in the title: association;
/// 4. two news markers (新华社, 记者, 来源 …) or one and an article date: news;
/// 5. trading evidence (cart, price, buy button): shop;
/// 6. a company name or 公司 in the title: corporate; else unknown.
pub fn page_genre(
    page: &Extracted,
    norm_text: &str,
    url: &str,
    trading: bool,
    kind: Option<SiteKind>,
) -> PageGenre {
    let genre = |genre| PageGenre { genre, trading };
    match kind {
        Some(SiteKind::Platform) => return genre(Genre::Platform),
        Some(SiteKind::TradingSite | SiteKind::PlatformShop) => return genre(Genre::Shop),
        Some(SiteKind::NonTradingSite) | None => {}
    }
    let title = normalize(&page.title);
    let host = host_of(url);
    let head: String = norm_text.chars().take(400).collect();
    if host.ends_with(".gov.cn")
        || host == "gov.cn"
        || GOVERNMENT_MARKERS.iter().any(|m| title.contains(m))
        || bureau_title(&title)
        || norm_text.contains("政务公开")
    {
        return genre(Genre::Government);
    }
    if ASSOCIATION_MARKERS.iter().any(|m| title.contains(m))
        || ASSOCIATION_MARKERS[3..].iter().any(|m| head.contains(m))
    {
        return genre(Genre::Association);
    }
    let news = NEWS_MARKERS
        .iter()
        .filter(|m| norm_text.contains(*m))
        .count();
    if news >= 2 || (news == 1 && article_date(norm_text)) {
        return genre(Genre::News);
    }
    if trading {
        return genre(Genre::Shop);
    }
    if title.contains("公司") || norm_text.contains("有限公司") {
        return genre(Genre::Corporate);
    }
    genre(Genre::Unknown)
}

fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.split(':')
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// A title naming a bureau: 局 ending a name (南宁市市场监督管理局, 公安局 …), not 格局/布局.
fn bureau_title(title: &str) -> bool {
    let chars: Vec<char> = title.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        c == '局'
            && i >= 2
            && !matches!(
                chars[i - 1],
                '格' | '布' | '结' | '大' | '全' | '开' | '当' | '饭'
            )
            && chars
                .get(i + 1)
                .is_none_or(|&n| !n.is_alphanumeric() || matches!(n, '官' | '网'))
    })
}

/// An article date such as 2024-05-01, 2024年5月1日 or 2024/05/01.
fn article_date(norm: &str) -> bool {
    let b = norm.as_bytes();
    let digits =
        |i: usize, n: usize| i + n <= b.len() && b[i..i + n].iter().all(u8::is_ascii_digit);
    let mut i = 0;
    while i + 8 <= b.len() {
        if digits(i, 4) && (i == 0 || !b[i - 1].is_ascii_digit()) {
            let rest = &norm[i + 4..];
            for sep in ["-", "/", ".", "年"] {
                if let Some(r) = rest.strip_prefix(sep) {
                    let m = r.bytes().take_while(u8::is_ascii_digit).count();
                    if (1..=2).contains(&m) {
                        return true;
                    }
                }
            }
        }
        i += 1;
    }
    false
}

/// Categories of what a site claims: the rules' matches of these can be a quotation, a name or
/// a genre's report rather than the site's own claim.
pub fn claim_category(c: Category) -> bool {
    matches!(
        c,
        Category::AdAbsoluteTerm
            | Category::AdStateEndorsement
            | Category::AdMedicalClaim
            | Category::AdHealthFoodClaim
            | Category::AdInvestmentGuarantee
            | Category::AdRealEstatePromise
            | Category::AdAgriGuarantee
            | Category::AdEducationGuarantee
            | Category::ContractUnfairClause
            | Category::ContentGambling
            | Category::GoodsProhibited
    )
}

/// Locations whose text a person reads as the page's own words; hidden text, links, the spider
/// view and structural facts are never suppressed.
fn readable(loc: Location) -> bool {
    matches!(
        loc,
        Location::Title | Location::Meta | Location::Text | Location::Attribute
    )
}

/// Words of a crackdown report or a warning: gambling words on a quoting genre's page are a
/// report only beside them.
const WARNING_WORDS: &[&str] = &[
    "打击", "警方", "公安", "提醒", "警惕", "骗局", "诈骗", "查处", "破获", "涉赌", "犯罪", "违法",
    "非法", "警示", "谨防", "揭秘", "曝光", "整治", "取缔",
];

/// What the post-pass knows about the page being scanned.
#[derive(Debug, Clone)]
pub struct PageContextFacts {
    pub genre: PageGenre,
    /// Registered trademarks and company names: the register's, and the page's own marks.
    pub names: Vec<String>,
    /// Text segments of `<blockquote>` and `<q>` elements, whitespace collapsed.
    pub quoted_blocks: Vec<String>,
    /// The page speaks of a crackdown or warns (see [`WARNING_WORDS`]).
    pub warns: bool,
}

impl PageContextFacts {
    /// Gathers the page's context. `html` (when the caller has it) gives `<blockquote>` and
    /// `<q>`; `register_names` are the register entity's names and trademarks.
    pub fn new(
        page: &Extracted,
        html: Option<&str>,
        norm_text: &str,
        genre: PageGenre,
        register_names: &[String],
    ) -> PageContextFacts {
        let mut names: Vec<String> = register_names
            .iter()
            .map(|n| n.trim().to_string())
            .filter(|n| n.chars().count() >= 2)
            .collect();
        for field in std::iter::once(page.text.as_str()).chain(std::iter::once(page.title.as_str()))
        {
            names.extend(marked_names(field));
        }
        names.sort();
        names.dedup();
        PageContextFacts {
            genre,
            names,
            quoted_blocks: html.map(quote_elements).unwrap_or_default(),
            warns: WARNING_WORDS.iter().any(|w| norm_text.contains(w)),
        }
    }

    /// Whether a rule's match at `span` of the field `orig` (found at `loc`) is suppressed, and
    /// why. `quotes` are the field's quoted spans ([`quoted_spans`]), computed by the caller once
    /// per field.
    pub fn judge(
        &self,
        category: Category,
        orig: &str,
        span: &Range<usize>,
        loc: Location,
        quotes: &[Range<usize>],
    ) -> Option<Suppression> {
        if !claim_category(category) || !readable(loc) {
            return None;
        }
        if let Some(q) = quotes
            .iter()
            .find(|q| q.start <= span.start && span.end <= q.end)
        {
            return Some(Suppression::new(
                SuppressionReason::Quotation,
                orig.get(q.clone()).unwrap_or(""),
            ));
        }
        if category == Category::AdAbsoluteTerm {
            if let Some(name) = self.name_around(orig, span) {
                return Some(Suppression::new(SuppressionReason::Trademark, name));
            }
        }
        // A report is in the body: a title or meta with a claim or a casino word is the page's
        // head, which kits rewrite.
        if self.genre.genre.quotes()
            && !self.genre.trading
            && matches!(loc, Location::Text | Location::Attribute)
            && (category != Category::ContentGambling || self.warns)
        {
            return Some(Suppression::new(
                SuppressionReason::Genre,
                self.genre.genre.code(),
            ));
        }
        None
    }

    /// The registered or marked name an occurrence of which covers `span` in `orig`.
    fn name_around(&self, orig: &str, span: &Range<usize>) -> Option<&str> {
        self.names.iter().map(String::as_str).find(|name| {
            // Only occurrences that could cover the span: starting at most a name's length
            // before it.
            let from = floor_boundary(orig, span.start.saturating_sub(name.len()));
            let to = ceil_boundary(orig, (span.end + name.len()).min(orig.len()));
            let window = &orig[from..to];
            window.match_indices(name).any(|(i, _)| {
                let (s, e) = (from + i, from + i + name.len());
                s <= span.start && span.end <= e
            })
        })
    }

    /// The quoted spans of one field of the page (byte ranges of `orig`): quotation marks, law
    /// citations' example lists, and, for the visible text, `<blockquote>`/`<q>` segments.
    pub fn quoted_spans(&self, orig: &str, loc: Location) -> Vec<Range<usize>> {
        let mut out = quoted_spans(orig, !self.genre.trading);
        if loc == Location::Text {
            let mut at = 0;
            for seg in &self.quoted_blocks {
                if let Some(i) = orig[at..].find(seg.as_str()) {
                    out.push(at + i..at + i + seg.len());
                    at += i + seg.len();
                } else if let Some(i) = orig.find(seg.as_str()) {
                    out.push(i..i + seg.len());
                }
            }
        }
        out
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Sentence ends: a quote or a law's list does not run past them.
fn sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '\n' | '；' | ';')
}

/// Cues before an opening quotation mark (in the same sentence) that make it a quote.
const QUOTE_CUES_BEFORE: &[&str] = &[
    "例如", "比如", "如:", "如：", "包括", "诸如", "禁止", "不得", "严禁", "违法", "违规", "宣称",
    "声称", "号称", "谎称", "所谓", "打着", "提醒", "警惕", "谨防", "骗局", "诈骗", "类似", "用语",
    "字样", "条款",
];
/// Cues after a closing quotation mark (in the same sentence).
const QUOTE_CUES_AFTER: &[&str] = &[
    "等用语",
    "等词",
    "等字样",
    "等表述",
    "等说法",
    "等内容",
    "等绝对化",
    "等违法",
    "等不公平",
    "等条款",
    "等宣传",
    "等承诺",
    "等话术",
    "是骗局",
    "均属",
    "属于违法",
];
/// Words of a rule's list of examples in a sentence that cites a law or rule.
const LIST_CUES: &[&str] = &[
    "例如",
    "比如",
    "如:",
    "如：",
    "包括",
    "诸如",
    "等用语",
    "等词",
    "等字样",
    "等表述",
    "等内容",
    "禁止使用",
    "不得使用",
    "不得含有",
    "不得出现",
    "禁止出现",
    "严禁使用",
    "不得有",
];

/// Quoted byte ranges of `text`:
/// - text between paired quotation marks (“…” 「…」 『…』 within a sentence) when
///   `bare_marks_quote` (the page does not trade) or the quote is cued; ASCII "…" only when
///   cued (ASCII quotes also delimit data);
/// - a sentence citing a law or rule (《…法》, 《…条例》, 第…条, 禁止/不得使用) that lists
///   examples (例如, 如：, 包括, 等用语 …), from the citation to the sentence's end.
pub fn quoted_spans(text: &str, bare_marks_quote: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    // Sentences, as byte ranges.
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if sentence_end(c) {
            sentence_quotes(text, start..i, bare_marks_quote, &mut out);
            start = i + c.len_utf8();
        }
    }
    sentence_quotes(text, start..text.len(), bare_marks_quote, &mut out);
    out
}

fn sentence_quotes(
    text: &str,
    sentence: Range<usize>,
    bare_marks_quote: bool,
    out: &mut Vec<Range<usize>>,
) {
    let s = &text[sentence.clone()];
    if s.is_empty() {
        return;
    }
    // A law's or rule's examples.
    let cites = citation_at(s);
    if let Some(at) = cites {
        if LIST_CUES.iter().any(|c| s[at..].contains(c)) {
            out.push(sentence.start + at..sentence.end);
            return;
        }
    } else if [
        "禁止使用",
        "不得使用",
        "严禁使用",
        "不得含有",
        "不得出现",
        "禁止出现",
    ]
    .iter()
    .any(|c| s.contains(c))
        && [
            "等用语",
            "等词",
            "等字样",
            "等表述",
            "等内容",
            "等宣传",
            "等绝对化用语",
        ]
        .iter()
        .any(|c| s.contains(c))
    {
        out.push(sentence.clone());
        return;
    }
    // Paired quotation marks.
    let mut open: Option<(usize, char)> = None;
    for (i, c) in s.char_indices() {
        match open {
            None => {
                if let Some(close) = closing_mark(c) {
                    open = Some((i, close));
                }
            }
            Some((o, close)) if c == close => {
                let inner = o + s[o..].chars().next().map_or(1, char::len_utf8)..i;
                let end = i + c.len_utf8();
                let before = &s[..o];
                let after = &s[end..];
                // ASCII quotes also delimit code and data (JSON in a page): cued only.
                let cued = (bare_marks_quote && close != '"')
                    || QUOTE_CUES_BEFORE.iter().any(|c| before.contains(c))
                    || QUOTE_CUES_AFTER.iter().any(|c| after.starts_with(c));
                if cued && !inner.is_empty() {
                    out.push(sentence.start + o..sentence.start + end);
                }
                open = None;
            }
            Some(_) => {}
        }
    }
}

fn closing_mark(c: char) -> Option<char> {
    match c {
        '“' => Some('”'),
        '「' => Some('」'),
        '『' => Some('』'),
        '"' => Some('"'),
        _ => None,
    }
}

/// Where a sentence cites a law or a rule: 《…法》 《…条例》 《…办法》 《…规定》 《…指南》, or 第…条.
fn citation_at(s: &str) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut at = 0;
    while let Some(i) = s[at..].find('《') {
        let o = at + i;
        if let Some(j) = s[o..].find('》') {
            let title = &s[o..o + j];
            if [
                "法", "条例", "办法", "规定", "指南", "准则", "意见", "通知", "规范", "细则",
            ]
            .iter()
            .any(|k| title.ends_with(k))
            {
                best = Some(o);
                break;
            }
            at = o + j;
        } else {
            break;
        }
    }
    if best.is_none() {
        if let Some(i) = s.find('第') {
            let rest = &s[i + '第'.len_utf8()..];
            let n = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || "一二三四五六七八九十百零".contains(*c))
                .count();
            if n > 0 && rest.chars().nth(n) == Some('条') {
                best = Some(i);
            }
        }
    }
    best
}

/// Names the page marks as trademarks or shows as company names:
/// - the word before ® or ™ (letters, digits and Han characters, at most 12);
/// - the quoted word after 注册商标/商标 (注册商标“第一坊”), or the word before 是…的注册商标;
/// - company names: a run of Han characters after a separator, ending in 有限公司,
///   有限责任公司, 股份有限公司 or 集团, with no function word in it.
pub fn marked_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let name_char = |c: char| c.is_alphanumeric() && !c.is_ascii_punctuation();
    for (i, c) in text.char_indices() {
        if c == '®' || c == '™' {
            let word: Vec<char> = text[..i]
                .chars()
                .rev()
                .take_while(|&c| name_char(c))
                .take(12)
                .collect();
            if word.len() >= 2 {
                out.push(word.into_iter().rev().collect());
            }
        }
    }
    for cue in ["注册商标", "商标"] {
        for (i, _) in text.match_indices(cue) {
            let after = &text[i + cue.len()..];
            let after = after.trim_start_matches([':', '：', '为', '是', ' ']);
            if let Some(close) = after.chars().next().and_then(closing_mark) {
                let inner: String = after
                    .chars()
                    .skip(1)
                    .take_while(|&c| c != close)
                    .take(16)
                    .collect();
                if inner.chars().count() >= 2 && !inner.contains(['。', '\n']) {
                    out.push(inner);
                }
            }
            // 「X」是…的注册商标 / X是本公司注册商标: the word before 是.
            let before = &text[..i];
            if let Some(p) = before.rfind('是') {
                if before[p..].chars().count() <= 12 {
                    let word: String = before[..p]
                        .chars()
                        .rev()
                        .take_while(|&c| name_char(c) || matches!(c, '“' | '”' | '「' | '」'))
                        .take(14)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .filter(|c| name_char(*c))
                        .collect();
                    if word.chars().count() >= 2 {
                        out.push(word);
                    }
                }
            }
        }
    }
    for suffix in ["股份有限公司", "有限责任公司", "有限公司", "集团"] {
        for (i, _) in text.match_indices(suffix) {
            let run: Vec<char> = text[..i]
                .chars()
                .rev()
                .take_while(|&c| is_han(c) || matches!(c, '（' | '）' | '(' | ')'))
                .take(24)
                .collect();
            let run: String = run.into_iter().rev().collect();
            if run.chars().count() >= 2 && !run.contains(FUNCTION_CHARS) {
                out.push(format!("{run}{suffix}"));
            }
        }
    }
    out
}

/// Characters that do not occur in company names but do in sentences around them.
const FUNCTION_CHARS: &[char] = &[
    '的', '是', '我', '们', '了', '在', '和', '与', '最', '为', '被', '将', '把', '本', '您', '你',
    '其', '该', '这', '那', '就', '都', '也', '还', '由', '让', '给', '对', '向', '从',
];

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// Text segments of `<blockquote>` and `<q>` elements in raw HTML, tags removed, entities
/// decoded, whitespace collapsed; each segment as it appears in the extracted text. A small
/// scan of the markup (no tree), bounded by the page's size.
pub fn quote_elements(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    for tag in ["blockquote", "q"] {
        let open = format!("<{tag}");
        let close = format!("</{tag}");
        let mut at = 0;
        while let Some(i) = lower[at..].find(&open) {
            let o = at + i;
            let after = o + open.len();
            // `<q` must be the whole tag name (not <quote>, <qx>).
            if !lower[after..]
                .chars()
                .next()
                .is_some_and(|c| c == '>' || c == '/' || c.is_ascii_whitespace())
            {
                at = after;
                continue;
            }
            let Some(gt) = lower[after..].find('>') else {
                break;
            };
            let body_start = after + gt + 1;
            let end = lower[body_start..]
                .find(&close)
                .map_or(lower.len(), |j| body_start + j);
            segments(&html[body_start..end], &mut out);
            at = end.max(body_start);
        }
    }
    out
}

/// Splits markup at its tags into text segments (decoded, whitespace collapsed).
fn segments(markup: &str, out: &mut Vec<String>) {
    let mut push = |raw: &str| {
        let decoded = crate::entities::decode(raw);
        let collapsed = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.chars().count() >= 2 {
            out.push(collapsed);
        }
    };
    let mut rest = markup;
    while let Some(i) = rest.find('<') {
        push(&rest[..i]);
        match rest[i..].find('>') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    push(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(text: &str, bare: bool) -> Vec<&str> {
        quoted_spans(text, bare)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn quotation_marks_quote_off_trading_pages_or_when_cued() {
        assert_eq!(quoted("禁用词如“最佳”“第一”。", true), ["“最佳”", "“第一”"]);
        assert_eq!(quoted("本品荣获“行业第一”。", false), Vec::<&str>::new());
        assert_eq!(quoted("不得宣称“行业第一”。", false), ["“行业第一”"]);
        assert_eq!(quoted("「最佳」等用语", false), ["「最佳」"]);
        assert!(quoted("“未闭合", true).is_empty());
    }

    #[test]
    fn law_citations_lists_are_quoted() {
        let t = "依据《中华人民共和国广告法》第九条，广告不得使用国家级、最高级、最佳等用语。本店销量第一";
        let q = quoted(t, false);
        assert_eq!(q.len(), 1);
        assert!(q[0].starts_with("《中华人民共和国广告法》"));
        assert!(!q[0].contains("本店"));
        assert_eq!(
            quoted("商家禁止使用最好、第一等用语；本店第一", false),
            ["商家禁止使用最好、第一等用语"]
        );
    }

    #[test]
    fn marked_names_found() {
        let n = marked_names("第一坊®手工面 版权所有 © 南宁第一百货有限公司；我们是最好的有限公司");
        assert!(n.contains(&"第一坊".to_string()), "{n:?}");
        assert!(n.contains(&"南宁第一百货有限公司".to_string()), "{n:?}");
        assert!(!n.iter().any(|x| x.contains("最好")), "{n:?}");
        let n = marked_names("“第一坊”是本公司的注册商标。注册商标：「顶好」");
        assert!(n.contains(&"第一坊".to_string()), "{n:?}");
        assert!(n.contains(&"顶好".to_string()), "{n:?}");
    }

    #[test]
    fn quote_elements_found() {
        let q = quote_elements("<p>x</p><BLOCKQUOTE class=a><p>最佳 &amp; 第一</p><p>二</p></blockquote><q>顶级</q><quote>no</quote>");
        assert_eq!(q, ["最佳 & 第一", "顶级"]);
    }

    #[test]
    fn genres() {
        let g = |title: &str, text: &str, url: &str, trading: bool| {
            let page = Extracted {
                title: title.into(),
                text: text.into(),
                ..Extracted::default()
            };
            page_genre(&page, &normalize(text), url, trading, None).genre
        };
        assert_eq!(
            g("通知", "", "http://www.nn.gov.cn/a", false),
            Genre::Government
        );
        assert_eq!(
            g("南宁市市场监督管理局", "", "http://a.test/", false),
            Genre::Government
        );
        assert_eq!(g("格局", "", "http://a.test/", false), Genre::Unknown);
        assert_eq!(
            g("南宁市消费者委员会", "", "http://a.test/", false),
            Genre::Association
        );
        assert_eq!(
            g(
                "报道",
                "2024年5月1日 来源：南宁日报 记者 张三",
                "http://a.test/",
                false
            ),
            Genre::News
        );
        assert_eq!(g("小店", "加入购物车", "http://a.test/", true), Genre::Shop);
        assert_eq!(
            g("某某有限公司", "", "http://a.test/", false),
            Genre::Corporate
        );
    }
}
