//! The rule matcher: one Aho-Corasick pass over normalised text with every rule's literals
//! (a regex contributes its required literal as a prefilter), then per-rule confirmation in a
//! small window around each hit: ASCII word boundaries, the regex, the exclusions. The pass is
//! a character-wise DFA over the literals' characters ([`crate::chardfa`]).
//!
//! No `RegexSet`: at a thousand rules it is three orders of magnitude slower than a literal
//! prefilter (measured on a 2-core machine: 0.1 MB/s for 1,000 regex rules in one `RegexSet`
//! with default limits, about 250 MB/s for the prefilter and confirmation). Work per page is
//! linear in the text plus the hits times the rules' windows, which are bounded
//! (`rules::MAX_REACH`).

use crate::chardfa::{BuildError, CharDfa};
use crate::rules::{Pattern, Rule, RuleScope};
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;
use std::ops::Range;

/// Extra characters searched around a hit for a regex exclusion.
const REGEX_EXCLUDE_REACH: usize = 32;

/// A confirmed rule hit in normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Index of the rule in the pack.
    pub rule: usize,
    /// Byte span in the normalised text.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Use {
    rule: usize,
    pattern: usize,
}

/// The compiled automaton of a pack. Holds indices into the pack's rules.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    pass: Pass,
    /// For each automaton pattern, the rule patterns that share its literal.
    uses: Vec<Vec<Use>>,
}

impl Matcher {
    pub fn new(rules: &[Rule]) -> Result<Matcher, String> {
        Self::with_table_limit(rules, crate::chardfa::MAX_TABLE_BYTES)
    }

    /// [`Matcher::new`] with a character-wise table of at most `max_bytes`.
    fn with_table_limit(rules: &[Rule], max_bytes: usize) -> Result<Matcher, String> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut literals: Vec<&str> = Vec::new();
        let mut uses: Vec<Vec<Use>> = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            for (pi, p) in rule.patterns.iter().enumerate() {
                let lit = p.literal();
                let id = *index.entry(lit).or_insert_with(|| {
                    literals.push(lit);
                    uses.push(Vec::new());
                    literals.len() - 1
                });
                uses[id].push(Use {
                    rule: ri,
                    pattern: pi,
                });
            }
        }
        // Character-wise, not byte-wise: normalised Chinese text is almost all three-byte
        // characters (lead bytes 0xE4–0xE9), so byte prefilters cannot skip ahead, and
        // aho-corasick's byte DFA (~1.8× its default NFA at ~350 literals) still made three
        // dependent table lookups per character; this automaton makes one (bench/match.sh).
        // Its table is states × distinct characters; a pack whose table would pass
        // `chardfa::MAX_TABLE_BYTES` is matched by aho-corasick instead (same hits).
        let pass = match CharDfa::with_limit(&literals, max_bytes) {
            Ok(dfa) => Pass::Chars(dfa),
            Err(BuildError::TooLarge) => Pass::Bytes(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&literals)
                    .map_err(|e| format!("cannot build the automaton: {e}"))?,
            ),
            Err(BuildError::EmptyLiteral) => {
                return Err("cannot build the automaton: an empty literal".into())
            }
        };
        Ok(Matcher { pass, uses })
    }

    /// Every raw literal hit of the automaton in `text` (overlapping, as [`Matcher::scan`]
    /// iterates them), before any confirmation. For benchmarks (bench/match.sh).
    pub fn count_literal_hits(&self, text: &str) -> usize {
        match &self.pass {
            Pass::Chars(dfa) => dfa.count(text),
            Pass::Bytes(ac) => ac.find_overlapping_iter(text).count(),
        }
    }

    /// Confirmed hits of the rules that look at `scope`, merged per rule where they overlap.
    pub fn scan(&self, rules: &[Rule], text: &str, scope: RuleScope) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.pass.for_each_match(text, |id, start, end| {
            for u in &self.uses[id] {
                let rule = &rules[u.rule];
                if !rule.scope.contains(&scope) {
                    continue;
                }
                let span = match &rule.patterns[u.pattern] {
                    Pattern::Literal(_) => {
                        if rule.ascii_boundary && !ascii_bounded(text, start, end) {
                            continue;
                        }
                        start..end
                    }
                    Pattern::Regex { regex, .. } => {
                        let lo = back(text, start, rule.context);
                        let hi = fwd(text, end, rule.context);
                        let found = regex
                            .find_iter(&text[lo..hi])
                            .map(|r| lo + r.start()..lo + r.end())
                            .find(|r| r.start <= start && r.end >= end);
                        match found {
                            Some(r) => r,
                            None => continue,
                        }
                    }
                };
                if excluded(rule, text, &span) {
                    continue;
                }
                hits.push(Hit { rule: u.rule, span });
            }
        });
        merge(hits)
    }
}

/// The literal pass: every occurrence of every literal, overlapping.
#[derive(Debug, Clone)]
enum Pass {
    /// The character-wise DFA (the usual case).
    Chars(CharDfa),
    /// Byte-wise Aho-Corasick, for a pack too large for the character-wise table.
    Bytes(AhoCorasick),
}

impl Pass {
    /// Calls `f(literal, start, end)` (byte offsets) for every occurrence.
    fn for_each_match(&self, text: &str, mut f: impl FnMut(usize, usize, usize)) {
        match self {
            Pass::Chars(dfa) => {
                dfa.for_each_match(text, |id, end| f(id, end - dfa.len_of(id), end))
            }
            Pass::Bytes(ac) => {
                for m in ac.find_overlapping_iter(text) {
                    f(m.pattern().as_usize(), m.start(), m.end());
                }
            }
        }
    }
}

/// Sorts hits and merges overlapping hits of the same rule into one.
fn merge(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|h| (h.rule, h.span.start, h.span.end));
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        match out.last_mut() {
            Some(last) if last.rule == h.rule && h.span.start < last.span.end => {
                last.span.end = last.span.end.max(h.span.end);
            }
            _ => out.push(h),
        }
    }
    out.sort_by_key(|h| (h.span.start, h.rule));
    out
}

/// True when an exclusion occurs within `rule.window` characters of `span` (0: overlapping
/// or touching), on the same line: a block's neighbour does not excuse it.
fn excluded(rule: &Rule, text: &str, span: &Range<usize>) -> bool {
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[span.end..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i);
    let text = &text[..line_end];
    rule.exclude.iter().any(|ex| {
        let found: Vec<Range<usize>> = match ex {
            Pattern::Literal(l) => {
                let reach = rule.window + l.chars().count();
                let lo = back(text, span.start, reach).max(line_start);
                let hi = fwd(text, span.end, reach);
                let v = text[lo..hi]
                    .match_indices(l.as_str())
                    .map(|(i, s)| lo + i..lo + i + s.len())
                    .collect();
                v
            }
            Pattern::Regex { regex, .. } => {
                let reach = rule.window + REGEX_EXCLUDE_REACH;
                let lo = back(text, span.start, reach).max(line_start);
                let hi = fwd(text, span.end, reach);
                let v = regex
                    .find_iter(&text[lo..hi])
                    .map(|r| lo + r.start()..lo + r.end())
                    .collect();
                v
            }
        };
        found
            .into_iter()
            .any(|r| distance(text, &r, span) <= rule.window)
    })
}

/// Characters between two spans (0 when they overlap or touch).
fn distance(text: &str, a: &Range<usize>, b: &Range<usize>) -> usize {
    if a.end <= b.start {
        text[a.end..b.start].chars().count()
    } else if b.end <= a.start {
        text[b.end..a.start].chars().count()
    } else {
        0
    }
}

/// The byte offset `n` characters before `at` (or 0).
pub(crate) fn back(text: &str, at: usize, n: usize) -> usize {
    let mut i = at;
    for c in text[..at].chars().rev().take(n) {
        i -= c.len_utf8();
    }
    i
}

/// The byte offset `n` characters after `at` (or the end).
pub(crate) fn fwd(text: &str, at: usize, n: usize) -> usize {
    let mut i = at;
    for c in text[at..].chars().take(n) {
        i += c.len_utf8();
    }
    i
}

/// A literal starting (ending) with an ASCII letter or digit must not continue a word.
fn ascii_bounded(text: &str, start: usize, end: usize) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let first = text[start..end].chars().next();
    let last = text[start..end].chars().next_back();
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !(word(first) && word(before) || word(last) && word(after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;
    use crate::rules::RulePack;

    fn hits(rules_toml: &str, text: &str) -> Vec<String> {
        let pack = RulePack::from_toml_str("t.toml", rules_toml).unwrap();
        let m = Matcher::new(&pack.rules).unwrap();
        let norm = normalize(text);
        m.scan(&pack.rules, &norm, RuleScope::Text)
            .into_iter()
            .map(|h| format!("{}:{}", pack.rules[h.rule].id, &norm[h.span]))
            .collect()
    }

    const RULES: &str = r#"version = "1"
[[rule]]
id = "first"
category = "ad.absolute_term"
patterns = ["第一", "销量第一", "top1"]
exclude = ["第一次", "re:第一(?:步|天)"]

[[rule]]
id = "clause"
category = "contract.unfair_clause"
patterns = ["re:解释权归[^，。\n]{0,12}所有"]

[[rule]]
id = "near"
category = "content.gambling"
patterns = ["百家乐"]
exclude = ["打击"]
window = 6
"#;

    #[test]
    fn literals_regexes_and_exclusions() {
        assert_eq!(hits(RULES, "本店销量第一"), ["first:销量第一"]);
        assert_eq!(
            hits(RULES, "第一次购买 第一步 第一天"),
            Vec::<String>::new()
        );
        assert_eq!(hits(RULES, "TOP1 top10 laptop1"), ["first:top1"]);
        assert_eq!(
            hits(RULES, "活动解释权归本商城所有。"),
            ["clause:解释权归本商城所有"]
        );
        assert_eq!(hits(RULES, "解释权归属"), Vec::<String>::new());
        assert_eq!(hits(RULES, "在线百家乐"), ["near:百家乐"]);
        assert_eq!(hits(RULES, "警方打击网络百家乐"), Vec::<String>::new());
        assert_eq!(
            hits(RULES, "打击赌博。很远很远的地方有百家乐"),
            ["near:百家乐"]
        );
    }

    #[test]
    fn byte_wise_fallback_finds_the_same() {
        let pack = RulePack::from_toml_str("t.toml", RULES).unwrap();
        let chars = Matcher::new(&pack.rules).unwrap();
        let bytes = Matcher::with_table_limit(&pack.rules, 0).unwrap();
        assert!(matches!(chars.pass, Pass::Chars(_)));
        assert!(matches!(bytes.pass, Pass::Bytes(_)));
        for text in [
            "本店销量第一，第一次购买 第一步",
            "TOP1 top10 laptop1 活动解释权归本商城所有。",
            "警方打击网络百家乐 打击赌博。很远很远的地方有百家乐",
        ] {
            let norm = normalize(text);
            assert_eq!(
                chars.scan(&pack.rules, &norm, RuleScope::Text),
                bytes.scan(&pack.rules, &norm, RuleScope::Text)
            );
            assert_eq!(
                chars.count_literal_hits(&norm),
                bytes.count_literal_hits(&norm)
            );
        }
    }

    #[test]
    fn offsets_walk_characters() {
        let t = "甲乙丙丁";
        assert_eq!(back(t, 6, 1), 3);
        assert_eq!(back(t, 6, 10), 0);
        assert_eq!(fwd(t, 6, 10), 12);
        assert!(ascii_bounded("a top1 b", 2, 6));
        assert!(!ascii_bounded("top10", 0, 4));
    }
}
