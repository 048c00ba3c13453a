//! Detection: HTML → text → findings.
//!
//! Pipeline: [`extract`] (lol_html, entity decoding, hidden blocks, script-written HTML) →
//! [`normalize`] (invisible characters, width, case, traditional → simplified, whitespace and
//! separators inside Chinese; offsets kept) → the [`matcher`] (one Aho-Corasick pass per page
//! field, per-rule confirmation), the [`structure`] checks, the [`register_checks`] and the hijack
//! signals → [`Detection`]s whose excerpts are ORIGINAL text. [`cloaking`] compares two captures
//! of one URL. The [`context`] post-pass marks a claim that is not the site's own (a quotation,
//! a trademark, a government or news page's report) as suppressed: kept, never a clue.
//!
//! Rules are data ([`rules`], `rules/*.toml`), each citing its legal basis.
//!
//! Invariants: this crate does no IO except [`RulePack::load_dir`]; no network, no database;
//! it depends only on `domain`. It never panics on page input, and its work is linear in the
//! page size.

pub mod badge;
mod chardfa;
pub mod cloaking;
pub mod context;
pub mod entities;
pub mod extract;
pub mod facts;
pub mod hidden;
pub mod licence_image;
mod matcher;
pub mod normalize;
pub mod register_checks;
pub mod rules;
pub mod structure;
pub mod vocab;

pub use badge::{BadgeBook, BadgeOnPage};
pub use context::{Genre, Suppression, SuppressionReason};
pub use domain::{Category, Severity, SiteKind};
pub use extract::{extract, Extracted, Form, Link};
pub use facts::{classify_site, page_facts, Classification, OutLink, PageFacts};
pub use licence_image::{read_licence, LicenceReading};
pub use register_checks::{RegisterFacts, RegisterIndex, RegisterView};
pub use rules::{Pattern, Rule, RuleError, RulePack, RuleScope, UnknownPack};
pub use structure::trading_page;

use matcher::Matcher;
use normalize::Normalized;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// What the caller knows about the page being scanned.
#[derive(Debug, Clone, Copy)]
pub struct PageContext<'a> {
    pub url: &'a str,
    /// The homepage of a site or the main page of a platform shop (license display duty).
    pub is_site_home: bool,
    /// The register's classification of the site, when known.
    pub site_kind: Option<SiteKind>,
    /// What the register says about the site's operator; register checks run only when loaded.
    pub register: RegisterView<'a>,
    /// The wangjian badges (亮照), when loaded: badge links are checked against them and an
    /// enrolled site's homepage must show its badge.
    pub badges: Option<&'a BadgeBook>,
}

impl<'a> PageContext<'a> {
    /// A page that is not a site's homepage, with nothing known about its site.
    pub const fn new(url: &'a str) -> PageContext<'a> {
        PageContext {
            url,
            is_site_home: false,
            site_kind: None,
            register: RegisterView::NotLoaded,
            badges: None,
        }
    }
}

/// Where in the page a finding was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Title,
    Meta,
    Text,
    Link,
    /// Hidden or off-screen text and links.
    Hidden,
    /// An attribute such as an image's `alt`, an element's `title` or `aria-label`.
    Attribute,
    /// JSON-LD structured data (`<script type="application/ld+json">`), read by search engines.
    StructuredData,
    /// A `<noscript>` block (shown when scripts do not run, and to crawlers).
    Noscript,
    /// Text that a script writes into the page (`document.write`, `innerHTML`).
    Script,
    /// The capture of another profile (spider, search referral) that differs from a visitor's.
    SpiderView,
    /// A fact about the page as a whole (e.g. no license shown).
    Structure,
    /// Text read by OCR from an image of the page (a business licence picture).
    Image,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Title => "title",
            Location::Meta => "meta",
            Location::Text => "text",
            Location::Link => "link",
            Location::Hidden => "hidden",
            Location::SpiderView => "spider",
            Location::Attribute => "attribute",
            Location::StructuredData => "jsonld",
            Location::Noscript => "noscript",
            Location::Script => "script",
            Location::Structure => "structure",
            Location::Image => "image",
        }
    }
}

/// A suspected violation on one page, as detection reports it. The sweep records it as a
/// `store::Finding` with the evidence it was found in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    pub category: Category,
    /// Stable rule id from the pack (structural checks use `structure.*` ids).
    pub rule_id: String,
    pub severity: Severity,
    /// The ORIGINAL text of the match with about [`EXCERPT_CONTEXT`] characters either side,
    /// on one line, at most [`EXCERPT_MAX`] characters.
    pub excerpt: String,
    pub location: Location,
    /// The rule pack version that produced it.
    pub rule_pack: String,
    /// Why the match is not the site's own claim ([`context`]): a suppressed detection is kept
    /// for people to review the rule, but never becomes a clue or counts anywhere.
    pub suppressed: Option<Suppression>,
}

impl Detection {
    /// Not suppressed: a finding that counts.
    pub fn is_live(&self) -> bool {
        self.suppressed.is_none()
    }
}

/// A badge finding's excerpt: the reason's code, then the badge link (none when missing).
fn badge_excerpt(b: &BadgeOnPage) -> String {
    let text = match &b.href {
        Some(href) => format!("{} {href}", b.verdict.code()),
        None => b.verdict.code().to_string(),
    };
    text.chars().take(EXCERPT_MAX).collect()
}

/// Characters of context either side of a match in an excerpt.
pub const EXCERPT_CONTEXT: usize = 20;
/// Maximum excerpt length in characters.
pub const EXCERPT_MAX: usize = 200;

/// Rule id of the structural USCC check.
pub const RULE_USCC_INVALID: &str = structure::ids::USCC_INVALID;
/// Rule id of the structural license-display check.
pub const RULE_LICENSE_NOT_DISPLAYED: &str = structure::ids::LICENSE_NOT_DISPLAYED;

/// Meta tags that carry no advertising text.
const TECHNICAL_METAS: &[&str] = &[
    "viewport",
    "robots",
    "charset",
    "content-type",
    "x-ua-compatible",
    "referrer",
    "format-detection",
    "renderer",
    "theme-color",
    "csrf-token",
];

/// A compiled rule pack, ready to scan pages. Cheap to share across threads (`Sync`).
#[derive(Debug, Clone)]
pub struct Detector {
    pack: RulePack,
    matcher: Matcher,
}

impl Detector {
    /// Compiles a pack's literals into one automaton.
    pub fn new(pack: RulePack) -> Result<Detector, RuleError> {
        let matcher = Matcher::new(&pack.rules).map_err(|problem| RuleError {
            file: "(pack)".into(),
            rule: None,
            problem,
        })?;
        Ok(Detector { pack, matcher })
    }

    /// The detector for the rules shipped with wangjian.
    pub fn builtin() -> Detector {
        Detector::new(RulePack::builtin()).expect("builtin rules compile (tested)")
    }

    pub fn pack_version(&self) -> &str {
        &self.pack.version
    }

    pub fn pack(&self) -> &RulePack {
        &self.pack
    }

    /// The distinct literals compiled into the automaton, in automaton pattern order (each
    /// rule pattern's literal; a regex contributes its required literal).
    pub fn literals(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for rule in &self.pack.rules {
            for p in &rule.patterns {
                if seen.insert(p.literal()) {
                    out.push(p.literal());
                }
            }
        }
        out
    }

    /// The number of raw hits of the one Aho-Corasick pass the detector runs over normalised
    /// text (same automaton, overlapping iteration, before per-rule confirmation). Exposed
    /// for bench/match.sh.
    pub fn count_literal_hits(&self, normalised: &str) -> usize {
        self.matcher.count_literal_hits(normalised)
    }

    /// Extracts and scans a page. The result holds suppressed detections too
    /// ([`Detection::is_live`] tells them apart).
    pub fn scan_html(&self, html: &str, ctx: &PageContext) -> Vec<Detection> {
        self.scan_inner(&extract(html), Some(html), ctx).0
    }

    /// Extracts a page once and returns both its findings and its [`PageFacts`] (for site
    /// discovery and classification); the facts reuse the scan's normalised text, USCC and
    /// ICP matches and trading evidence. The findings equal [`Detector::scan_html`]'s.
    pub fn scan_html_with_facts(
        &self,
        html: &str,
        ctx: &PageContext,
    ) -> (Vec<Detection>, PageFacts) {
        self.scan_with_facts(&extract(html), Some(html), ctx)
    }

    /// [`Detector::scan_html_with_facts`] for a page already extracted.
    pub fn scan_extracted_with_facts(
        &self,
        page: &Extracted,
        ctx: &PageContext,
    ) -> (Vec<Detection>, PageFacts) {
        self.scan_with_facts(page, None, ctx)
    }

    fn scan_with_facts(
        &self,
        page: &Extracted,
        html: Option<&str>,
        ctx: &PageContext,
    ) -> (Vec<Detection>, PageFacts) {
        let (findings, text, basics, badge) = self.scan_inner(page, html, ctx);
        let mut facts = facts::facts_of(page, &text, &basics, ctx.url);
        facts.badge = badge.filter(|b| b.enrolled).map(|b| b.verdict);
        if let Some(book) = ctx.badges {
            // The portal is not a site to discover.
            facts
                .outbound
                .retain(|o| !o.host.eq_ignore_ascii_case(&book.portal_host));
        }
        (findings, facts)
    }

    /// Only the wangjian badge check of a page (for a sweep's unchanged homepage of an enrolled
    /// site, which is not scanned again): the `badge.invalid` detection [`Detector::scan_html`]
    /// would make, and the enrolled site's verdict. Nothing without `ctx.badges`.
    pub fn check_badge(
        &self,
        html: &str,
        ctx: &PageContext,
    ) -> (Option<Detection>, Option<domain::BadgeVerdict>) {
        let Some(book) = ctx.badges else {
            return (None, None);
        };
        let Some(b) = badge::check(&extract(html), ctx.url, ctx.is_site_home, book) else {
            return (None, None);
        };
        let detection = (b.verdict != domain::BadgeVerdict::Valid).then(|| Detection {
            category: Category::BadgeInvalid,
            rule_id: structure::ids::WANGJIAN_BADGE_INVALID.to_string(),
            severity: Category::BadgeInvalid.severity(),
            excerpt: badge_excerpt(&b),
            location: Location::Structure,
            rule_pack: self.pack.version.clone(),
            suppressed: None,
        });
        (detection, b.enrolled.then_some(b.verdict))
    }

    /// Checks what OCR read from a licence picture on the page `ctx` describes, like shown
    /// text ([`licence_image`]): `license.uscc_invalid` for a code that fails GB 32100,
    /// `license.uscc_mismatch` for a valid code that is not the register's (only with a
    /// matched register view); location [`Location::Image`]. Returns the reading too (its
    /// [`LicenceReading::looks_like_licence`] tells the caller the licence is displayed).
    pub fn check_licence_reading(
        &self,
        text: &str,
        ctx: &PageContext,
    ) -> (Vec<Detection>, LicenceReading) {
        let reading = licence_image::read_licence(text);
        let mut out: Vec<Detection> = Vec::new();
        let mut push = |category: Category, rule: &str, excerpt: String| {
            if !out
                .iter()
                .any(|d| d.rule_id == rule && d.excerpt == excerpt)
            {
                out.push(Detection {
                    category,
                    rule_id: rule.to_string(),
                    severity: category.severity(),
                    excerpt,
                    location: Location::Image,
                    rule_pack: self.pack.version.clone(),
                    suppressed: None,
                });
            }
        };
        let name = reading.name.as_deref();
        for c in reading.codes.iter().filter(|c| c.is_invalid()) {
            push(
                Category::LicenseUsccInvalid,
                licence_image::RULE_USCC_INVALID,
                licence_image::excerpt(c, name),
            );
        }
        if let Some(f) = ctx.register.facts() {
            let registered = domain::text::compact_upper(&f.uscc);
            if let Some(c) = reading
                .codes
                .iter()
                .find(|c| c.parsed.as_ref().is_ok_and(|u| u.as_str() != registered))
            {
                push(
                    Category::LicenseUsccMismatch,
                    licence_image::RULE_USCC_MISMATCH,
                    licence_image::excerpt(c, name),
                );
            }
        }
        (out, reading)
    }

    /// Scans an extracted page: rules over title, metas, visible text, hidden text, links and
    /// alt texts, then the structural and register checks and the hijack signals. Detections are
    /// deduplicated per (rule, excerpt). Without the HTML, `<blockquote>`/`<q>` are not known
    /// as quotations (quotation marks and law citations still are).
    pub fn scan_extracted(&self, page: &Extracted, ctx: &PageContext) -> Vec<Detection> {
        self.scan_inner(page, None, ctx).0
    }

    /// The scan, returning also the normalised text and the structural basics it computed.
    fn scan_inner(
        &self,
        page: &Extracted,
        html: Option<&str>,
        ctx: &PageContext,
    ) -> (
        Vec<Detection>,
        Normalized,
        structure::Basics,
        Option<BadgeOnPage>,
    ) {
        let text = Normalized::new(&page.text);
        let basics = structure::Basics::new(page, &text.text);
        let head = {
            let mut h = normalize::normalize(&page.title);
            for (name, content) in &page.metas {
                if !TECHNICAL_METAS.contains(&name.as_str()) {
                    h.push('\n');
                    h.push_str(&normalize::normalize(content));
                }
            }
            h
        };
        let facts = ctx.register.facts();
        let genre = context::page_genre(
            page,
            &text.text,
            ctx.url,
            basics.trading.is_some(),
            ctx.site_kind.or(facts.and_then(|f| f.kind)),
        );
        let register_names: Vec<String> = facts
            .map(|f| {
                std::iter::once(f.name.clone())
                    .chain(f.names.iter().cloned())
                    .collect()
            })
            .unwrap_or_default();
        let context =
            context::PageContextFacts::new(page, html, &text.text, genre, &register_names);
        let mut out = Detections {
            list: Vec::new(),
            seen: HashMap::new(),
            context: &context,
            version: &self.pack.version,
            head: &head,
            text: &text.text,
            conditions: HashMap::new(),
        };
        self.scan_field(&page.title, RuleScope::Title, Location::Title, &mut out);
        for (name, content) in &page.metas {
            if !TECHNICAL_METAS.contains(&name.as_str()) {
                self.scan_field(content, RuleScope::Meta, Location::Meta, &mut out);
            }
        }
        self.scan_text(page, &text, &mut out);
        self.scan_field(&page.hidden, RuleScope::Hidden, Location::Hidden, &mut out);
        for l in &page.links {
            let (scope, loc) = if l.hidden {
                (RuleScope::Hidden, Location::Hidden)
            } else if l.noscript {
                (RuleScope::Link, Location::Noscript)
            } else {
                (RuleScope::Link, Location::Link)
            };
            // Link rules look at hidden links too; hidden-scope rules at their anchors.
            self.scan_field(&l.anchor, RuleScope::Link, loc, &mut out);
            self.scan_field(&l.href, RuleScope::Link, loc, &mut out);
            if scope == RuleScope::Hidden {
                self.scan_field(&l.anchor, RuleScope::Hidden, loc, &mut out);
            }
        }
        for (_, alt) in &page.images {
            self.scan_field(alt, RuleScope::Alt, Location::Attribute, &mut out);
        }
        for a in &page.attributes {
            self.scan_field(a, RuleScope::Alt, Location::Attribute, &mut out);
        }
        // What search engines read of JSON-LD is like a meta description.
        self.scan_field(
            &page.structured,
            RuleScope::Meta,
            Location::StructuredData,
            &mut out,
        );
        self.scan_field(
            &page.noscript,
            RuleScope::Text,
            Location::Noscript,
            &mut out,
        );
        // The portal's host is the issuer of wangjian badges: its links are badge links.
        let with_portal;
        let badge_hosts = match ctx.badges {
            Some(book) => {
                with_portal = [
                    self.pack.badge_hosts.as_slice(),
                    std::slice::from_ref(&book.portal_host),
                ]
                .concat();
                with_portal.as_slice()
            }
            None => self.pack.badge_hosts.as_slice(),
        };
        for s in structure::check(page, &text, &basics, ctx, badge_hosts) {
            let (excerpt_text, loc) = match s.evidence {
                structure::Evidence::Text(span) => {
                    let orig = text.to_original(&page.text, span);
                    (excerpt(&page.text, orig), Location::Structure)
                }
                structure::Evidence::Raw(raw) => (excerpt(&raw, 0..raw.len()), Location::Structure),
            };
            out.push(
                s.category,
                s.rule,
                s.category.severity(),
                excerpt_text,
                loc,
                None,
            );
        }
        let badge = ctx
            .badges
            .and_then(|book| badge::check(page, ctx.url, ctx.is_site_home, book));
        if let Some(b) = badge
            .as_ref()
            .filter(|b| b.verdict != domain::BadgeVerdict::Valid)
        {
            let excerpt = badge_excerpt(b);
            out.push(
                Category::BadgeInvalid,
                structure::ids::WANGJIAN_BADGE_INVALID,
                Category::BadgeInvalid.severity(),
                excerpt,
                Location::Structure,
                None,
            );
        }
        self.hijack_signals(page, &mut out);
        let list = out.list;
        (list, text, basics, badge)
    }

    /// `site.hijacked` from what the rules found: gambling in the title or metas over a body
    /// that has none (the kit rewrote the head), or gambling in hidden blocks and links (a
    /// hidden link farm). Suppressed detections count here: a quoted casino word in a title is
    /// still a head the body does not speak of, and a body that reports on gambling does speak
    /// of it. The signal itself is never suppressed.
    fn hijack_signals(&self, page: &Extracted, out: &mut Detections) {
        let gambling = |loc: &[Location]| {
            out.list
                .iter()
                .find(|f| f.category == Category::ContentGambling && loc.contains(&f.location))
                .map(|f| (f.excerpt.clone(), f.location))
        };
        let head = gambling(&[
            Location::Title,
            Location::Meta,
            Location::StructuredData,
            Location::Noscript,
        ]);
        let body = gambling(&[
            Location::Text,
            Location::Link,
            Location::Attribute,
            Location::Script,
        ]);
        let hidden = gambling(&[Location::Hidden]);
        if let Some((e, _)) = hidden {
            let links = page.links.iter().filter(|l| l.hidden).count();
            out.push(
                Category::SiteHijacked,
                structure::ids::HIJACK_HIDDEN,
                Category::SiteHijacked.severity(),
                format!("{e} ({links} hidden links)"),
                Location::Hidden,
                None,
            );
        } else if let (Some((e, loc)), None) = (head, body) {
            // The head, JSON-LD or a noscript block: text for crawlers over a clean body.
            let loc = match loc {
                Location::Meta => Location::Title,
                other => other,
            };
            out.push(
                Category::SiteHijacked,
                structure::ids::HIJACK_TITLE,
                Category::SiteHijacked.severity(),
                e,
                loc,
                None,
            );
        }
    }

    /// The visible text: findings inside what scripts wrote say [`Location::Script`] (judged
    /// as body text all the same).
    fn scan_text(&self, page: &Extracted, text: &Normalized, out: &mut Detections) {
        self.scan_spans(
            &page.text,
            text,
            RuleScope::Text,
            Location::Text,
            &page.script_spans,
            out,
        );
    }

    fn scan_field(&self, orig: &str, scope: RuleScope, loc: Location, out: &mut Detections) {
        if orig.is_empty() {
            return;
        }
        let norm = Normalized::new(orig);
        self.scan_spans(orig, &norm, scope, loc, &[], out);
    }

    /// Scans one field; a hit inside one of `scripted` (spans of `orig` that scripts wrote) is
    /// reported at [`Location::Script`].
    fn scan_spans(
        &self,
        orig: &str,
        norm: &Normalized,
        scope: RuleScope,
        loc: Location,
        scripted: &[Range<usize>],
        out: &mut Detections,
    ) {
        // The field's quoted spans, computed at the first hit that could be a quotation.
        let mut quotes: Option<Vec<Range<usize>>> = None;
        for hit in self.matcher.scan(&self.pack.rules, &norm.text, scope) {
            let rule = &self.pack.rules[hit.rule];
            if !out.page_allows(hit.rule, rule) {
                continue;
            }
            let span = norm.to_original(orig, hit.span);
            let suppressed = if context::claim_category(rule.category) {
                let q = quotes.get_or_insert_with(|| out.context.quoted_spans(orig, loc));
                out.context.judge(rule.category, orig, &span, loc, q)
            } else {
                None
            };
            let at = if scripted
                .iter()
                .any(|s| s.start <= span.start && span.end <= s.end)
            {
                Location::Script
            } else {
                loc
            };
            out.push(
                rule.category,
                &rule.id,
                rule.severity,
                excerpt(orig, span),
                at,
                suppressed,
            );
        }
    }
}

/// The detections of one page scan, deduplicated per (rule, excerpt).
struct Detections<'a> {
    list: Vec<Detection>,
    /// Index in `list` per (rule, excerpt).
    seen: HashMap<(String, String), usize>,
    /// Genre, names and quotations for the post-pass.
    context: &'a context::PageContextFacts,
    version: &'a str,
    /// Normalised title and metas, and visible text, for rules' page conditions.
    head: &'a str,
    text: &'a str,
    /// Page-condition results per rule index, computed at the rule's first hit.
    conditions: HashMap<usize, bool>,
}

impl Detections<'_> {
    /// Whether the rule's page conditions (`page_any`, `page_none`) hold on this page.
    fn page_allows(&mut self, index: usize, rule: &Rule) -> bool {
        if rule.page_any.is_empty() && rule.page_none.is_empty() {
            return true;
        }
        let (head, text) = (self.head, self.text);
        *self.conditions.entry(index).or_insert_with(|| {
            let on_page = |w: &String| head.contains(w.as_str()) || text.contains(w.as_str());
            (rule.page_any.is_empty() || rule.page_any.iter().any(on_page))
                && !rule.page_none.iter().any(on_page)
        })
    }

    fn push(
        &mut self,
        category: Category,
        rule_id: &str,
        severity: Severity,
        excerpt: String,
        location: Location,
        suppressed: Option<Suppression>,
    ) {
        match self.seen.entry((rule_id.to_string(), excerpt.clone())) {
            std::collections::hash_map::Entry::Occupied(i) => {
                // The same words once as the site's own claim: the live one wins.
                if suppressed.is_none() {
                    self.list[*i.get()].suppressed = None;
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(self.list.len());
                self.list.push(Detection {
                    category,
                    rule_id: rule_id.to_string(),
                    severity,
                    excerpt,
                    location,
                    rule_pack: self.version.to_string(),
                    suppressed,
                });
            }
        }
    }
}

/// The excerpt shown to a person: the original match with up to [`EXCERPT_CONTEXT`] characters
/// either side on the same line, whitespace collapsed, at most [`EXCERPT_MAX`] characters.
pub fn excerpt(orig: &str, span: Range<usize>) -> String {
    let start = span.start.min(orig.len());
    let end = span.end.clamp(start, orig.len());
    let m: String = orig[start..end].chars().take(EXCERPT_MAX).collect();
    let room = EXCERPT_MAX.saturating_sub(m.chars().count()) / 2;
    let ctx = EXCERPT_CONTEXT.min(room);
    let before: Vec<char> = orig[..start]
        .chars()
        .rev()
        .take_while(|&c| c != '\n')
        .take(ctx)
        .collect();
    let after = orig[end..].chars().take_while(|&c| c != '\n').take(ctx);
    let raw: String = before
        .into_iter()
        .rev()
        .chain(m.chars())
        .chain(after)
        .collect();
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_one_line_and_bounded() {
        let t = "第一行\n前面的文字 本店销量第一 后面的文字\n下一行";
        let at = t.find("销量第一").unwrap();
        assert_eq!(
            excerpt(t, at..at + "销量第一".len()),
            "前面的文字 本店销量第一 后面的文字"
        );
        let long = "字".repeat(500);
        assert_eq!(
            excerpt(&long, 300..600).chars().count(),
            100 + 2 * EXCERPT_CONTEXT
        );
        assert!(excerpt(&long, 0..long.len()).chars().count() <= EXCERPT_MAX);
    }

    #[test]
    fn builtin_pack_compiles() {
        let d = Detector::builtin();
        assert!(!d.pack_version().is_empty());
        assert!(d.pack().rules.len() > 10);
    }

    #[test]
    fn detector_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Detector>();
    }
}
