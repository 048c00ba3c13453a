//! Text normalisation for matching, with a map back to the original offsets.
//!
//! Rules and page text go through the same [`normalize`], so a rule written as 全网最低 matches
//! 全 网 最 低, 全\u{200B}网最低, 全網最低 and (for ASCII) ＮＯ．１ ≡ no.1. Findings show the
//! ORIGINAL text: [`Normalized::to_original`] maps a span of the normalised text back.
//!
//! Steps, per character: drop invisible characters (zero-width, soft hyphen, bidi controls);
//! fold full-width forms to ASCII ([`domain::text::fold_width`]); lower-case ASCII; traditional
//! → simplified, character by character, from OpenCC's table ([`t2s`]); collapse whitespace
//! runs to one space (one newline if the run holds a line break), and drop a run without a
//! line break that stands between two Han characters.
//!
//! Every step maps one character to at most one character, so the offset map stays a short
//! list of anchors. Conversions that change lengths (phrase-level OpenCC, `№` → `no`) are
//! deliberately absent; rules list such variants instead.

use domain::text::fold_width;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

/// Normalised text and the anchors that map it back to the original.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The normalised text.
    pub text: String,
    /// `(normalised byte offset, original byte offset)` where the linear relation restarts;
    /// between anchors, offsets advance together. Sorted by both components.
    anchors: Vec<(usize, usize)>,
}

impl Normalized {
    /// Normalises `orig` and records the offset map.
    pub fn new(orig: &str) -> Normalized {
        let mut out = Normalized {
            text: String::with_capacity(orig.len()),
            anchors: Vec::new(),
        };
        // The pending run of whitespace and separators: `(original offset, folded char)`.
        let mut run: Vec<(usize, char)> = Vec::new();
        let mut last_han = false;
        let mut last_alnum = false;
        for (o, c) in orig.char_indices() {
            if is_invisible(c) {
                continue;
            }
            let c = fold_width(c);
            if c.is_whitespace() || is_separator(c) {
                if run.len() < MAX_RUN {
                    run.push((o, c));
                } else {
                    // A long run is content (a divider line), not a separator: flush it.
                    out.flush_run(&mut run, false, false);
                    run.push((o, c));
                }
                continue;
            }
            let c = t2s(c.to_ascii_lowercase());
            let han = is_han(c);
            let alnum = c.is_ascii_alphanumeric();
            if !run.is_empty() {
                out.flush_run(&mut run, last_han && han, last_alnum && alnum);
            }
            out.emit(c, o);
            last_han = han;
            last_alnum = alnum;
        }
        // Trailing whitespace goes; trailing separators stay.
        while run.last().is_some_and(|&(_, c)| c.is_whitespace()) {
            run.pop();
        }
        out.flush_run(&mut run, false, false);
        out
    }

    /// Emits a run of whitespace and separators. A lone separator between two Han characters
    /// (`han_pair`: 全·网 → 全网), or a lone [`is_joining_mark`] between two ASCII letters or
    /// digits (`alnum_pair`: TOP*1 → top1), is dropped. Otherwise whitespace collapses (one
    /// newline if the run holds a line break, else one space, none between Han characters) and
    /// separators are kept: a separator with spaces around it (`A - B`) divides.
    fn flush_run(&mut self, run: &mut Vec<(usize, char)>, han_pair: bool, alnum_pair: bool) {
        let nl = run
            .iter()
            .any(|&(_, c)| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'));
        let seps = run.iter().filter(|&&(_, c)| !c.is_whitespace()).count();
        let joined = han_pair;
        if let [(_, c)] = run.as_slice() {
            if !c.is_whitespace() && (han_pair || alnum_pair && is_joining_mark(*c)) {
                run.clear();
                return;
            }
        }
        if seps == 0 && joined && !nl {
            run.clear();
            return;
        }
        let mut ws: Option<(usize, bool)> = None;
        for &(o, c) in run.iter() {
            if c.is_whitespace() {
                let isnl = matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
                ws = Some(match ws {
                    None => (o, isnl),
                    Some((p, had)) => (p, had || isnl),
                });
                continue;
            }
            if let Some((p, isnl)) = ws.take() {
                self.emit_ws(p, isnl, false);
            }
            self.emit(c, o);
        }
        if let Some((p, isnl)) = ws {
            self.emit_ws(p, isnl, joined && seps == 0);
        }
        run.clear();
    }

    fn emit_ws(&mut self, at: usize, newline: bool, between_han: bool) {
        if self.text.is_empty() {
            return;
        }
        if newline {
            self.emit('\n', at);
        } else if !between_han {
            self.emit(' ', at);
        }
    }

    fn emit(&mut self, c: char, orig_at: usize) {
        let n = self.text.len();
        let predicted = self.anchors.last().map(|&(an, ao)| ao + (n - an));
        if predicted != Some(orig_at) {
            self.anchors.push((n, orig_at));
        }
        self.text.push(c);
    }

    /// The original byte offset of the character that starts at normalised byte `n`.
    fn map(&self, n: usize) -> usize {
        let i = self.anchors.partition_point(|&(an, _)| an <= n);
        match i.checked_sub(1).map(|i| self.anchors[i]) {
            Some((an, ao)) => ao + (n - an),
            None => n,
        }
    }

    /// Maps a span of the normalised text (on character boundaries) to the span of `orig` (the
    /// string this was built from) that produced it.
    pub fn to_original(&self, orig: &str, span: Range<usize>) -> Range<usize> {
        let start = self.map(span.start).min(orig.len());
        let Some((last, _)) = self
            .text
            .get(span.start..span.end)
            .and_then(|s| s.char_indices().last())
        else {
            return start..start;
        };
        let last_orig = self.map(span.start + last).min(orig.len());
        let len = orig
            .get(last_orig..)
            .and_then(|s| s.chars().next())
            .map_or(0, char::len_utf8);
        start..(last_orig + len).max(start)
    }
}

/// Longest run of whitespace and separators held back; longer runs are content.
const MAX_RUN: usize = 8;
/// Punctuation that pages put between the characters of a term to dodge filters
/// (全·网·最·低, 最*佳); after width folding.
pub fn is_separator(c: char) -> bool {
    is_joining_mark(c)
        || matches!(
            c,
            '~' | '|' | '^' | '`' | '/' | '\\' | '+' | '-' | '.' | '丶' | '、'
        )
}

/// Separators that never belong inside an ASCII word or number: dropped between two ASCII
/// letters or digits too (`1*00%`, `TOP·1`).
pub fn is_joining_mark(c: char) -> bool {
    matches!(
        c,
        '·' | '•'
            | '・'
            | '‧'
            | '∙'
            | '⋅'
            | '˙'
            | '*'
            | '★'
            | '☆'
            | '♥'
            | '❤'
            | '♡'
            | '※'
    )
}

/// Normalises text without keeping the map (rule literals, labels).
pub fn normalize(s: &str) -> String {
    Normalized::new(s).text
}

/// Characters that render as nothing and are inserted to break keyword matching.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// Han ideographs (CJK unified, extension A, compatibility, and the supplementary planes).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}')
}

/// Traditional → simplified for one character (identity for anything else).
///
/// The table is OpenCC's `t2s` conversion (via the `ferrous-opencc` crate) applied to every
/// ideograph of the BMP once, at first use, and kept as a character map. Phrase-level
/// conversions (which may change lengths) are not used: matching needs a 1:1 map.
pub fn t2s(c: char) -> char {
    if !is_han(c) {
        return c;
    }
    t2s_table().get(&c).copied().unwrap_or(c)
}

fn t2s_table() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(build_t2s_table)
}

fn build_t2s_table() -> HashMap<char, char> {
    use ferrous_opencc::{config::BuiltinConfig, OpenCC};
    let Ok(cc) = OpenCC::from_config(BuiltinConfig::T2s) else {
        // The table is embedded in the crate; failing to load it is a build problem, and
        // matching without it still works for simplified text.
        return HashMap::new();
    };
    let chars: Vec<char> = ('\u{3400}'..='\u{4DBF}')
        .chain('\u{4E00}'..='\u{9FFF}')
        .chain('\u{F900}'..='\u{FAFF}')
        .collect();
    // One character per line: the converter's phrase segmentation cannot join neighbours.
    let mut input = String::with_capacity(chars.len() * 4);
    for c in &chars {
        input.push(*c);
        input.push('\n');
    }
    let converted = cc.convert(&input);
    let mut table = HashMap::new();
    for (orig, line) in chars.iter().zip(converted.split('\n')) {
        let mut it = line.chars();
        if let (Some(s), None) = (it.next(), it.next()) {
            if s != *orig {
                table.insert(*orig, s);
            }
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orig_of<'a>(orig: &'a str, needle: &str) -> &'a str {
        let n = Normalized::new(orig);
        let at = n.text.find(needle).expect("needle in normalised text");
        &orig[n.to_original(orig, at..at + needle.len())]
    }

    #[test]
    fn folds_and_maps_back() {
        assert_eq!(normalize("全 网 最 低"), "全网最低");
        assert_eq!(normalize("全\u{200B}网\u{FEFF}最\u{AD}低"), "全网最低");
        assert_eq!(normalize("ＮＯ．１ ＴＯＰ１"), "no.1 top1");
        assert_eq!(normalize("  a  b \n\n c 中 d "), "a b\nc 中 d");
        assert_eq!(normalize("第一\n次"), "第一\n次");
        assert_eq!(normalize("全·网*最-低"), "全网最低");
        assert_eq!(normalize("最 - 低 第一_天"), "最 - 低第一_天");
        assert_eq!(normalize("TOP*1 1*00% 3*"), "top1 100% 3*");
        assert_eq!(normalize("no.1 a-b 3.5元 一·二·三"), "no.1 a-b 3.5元一二三");
        assert_eq!(normalize("甲——————————乙"), "甲——————————乙");
        assert_eq!(normalize("价格: ¥1.00 -"), "价格: ¥1.00 -");
        assert_eq!(orig_of("本店 ＮＯ．１ 品质", "no.1"), "ＮＯ．１");
        assert_eq!(
            orig_of("x全 网\u{200B} 最低价y", "全网最低"),
            "全 网\u{200B} 最低"
        );
        assert_eq!(orig_of("abc", "abc"), "abc");
    }

    #[test]
    fn traditional_to_simplified() {
        assert_eq!(
            normalize("全網最低，銷量第一，體育投注 澳門賭場"),
            "全网最低,销量第一,体育投注澳门赌场"
        );
        assert_eq!(orig_of("本店銷量第一", "销量第一"), "銷量第一");
    }
}
