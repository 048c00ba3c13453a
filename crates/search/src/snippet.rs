//! Plain-text snippets around the first match in page text.

use crate::analysis::{CjkAnalyzer, Mode};

/// Target snippet length in characters.
pub(crate) const SNIPPET_CHARS: usize = 120;
/// Characters of context kept before the match.
const LEAD_CHARS: usize = 30;
/// Only this much of a page is scanned for the match (a snippet from deep inside a huge page
/// is not worth the time).
const SCAN_BYTES: usize = 256 * 1024;

/// A plain-text excerpt of about [`SNIPPET_CHARS`] characters from `text` around the first
/// occurrence of the first query term (or of any query term), with whitespace collapsed and
/// `…` marking cuts. Starts at the beginning when no term occurs (the match was in the title).
pub(crate) fn snippet(text: &str, terms: &[String]) -> String {
    let mut scan_end = text.len().min(SCAN_BYTES);
    while !text.is_char_boundary(scan_end) {
        scan_end -= 1;
    }
    let scanned = &text[..scan_end];
    let mut analyzer = CjkAnalyzer::new(Mode::Index);
    let tokens = analyzer.analyze(scanned);
    let first_term = terms.first();
    let hit = first_term
        .and_then(|first| tokens.iter().find(|t| &t.text == first))
        .or_else(|| tokens.iter().find(|t| terms.contains(&t.text)))
        .map_or(0, |t| t.offset_from);

    let lead_start = text[..hit]
        .char_indices()
        .rev()
        .take(LEAD_CHARS)
        .last()
        .map_or(hit, |(i, _)| i);
    let mut out = String::new();
    if lead_start > 0 {
        out.push('…');
    }
    let mut count = 0;
    let mut last_space = true;
    let mut truncated = false;
    for c in text[lead_start..].chars() {
        if count == SNIPPET_CHARS {
            truncated = true;
            break;
        }
        if c.is_whitespace() || c.is_control() {
            if !last_space {
                out.push(' ');
                count += 1;
            }
            last_space = true;
        } else {
            out.push(c);
            count += 1;
            last_space = false;
        }
    }
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len);
    if truncated {
        out.push('…');
    }
    out
}

/// The byte ranges of `text` that match the search box text `query`, for highlighting: every
/// stretch of `text` covered by a query token (a CJK bigram, a lone CJK character, or a
/// letter/digit word, compared as the index compares them: width-folded, lower-cased),
/// merged where they touch, in order. Empty when nothing matches.
pub fn highlight(text: &str, query: &str) -> Vec<std::ops::Range<usize>> {
    let wanted: Vec<String> = CjkAnalyzer::new(Mode::Query)
        .analyze(query)
        .iter()
        .map(|t| t.text.clone())
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for t in CjkAnalyzer::new(Mode::Index).analyze(text) {
        if !wanted.contains(&t.text) {
            continue;
        }
        match ranges.last_mut() {
            Some(last) if t.offset_from <= last.end => last.end = last.end.max(t.offset_to),
            _ => ranges.push(t.offset_from..t.offset_to),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_covers_every_matching_stretch() {
        let name = "南宁市佳雅柠檬鸭店";
        let ranges = highlight(name, "柠檬鸭");
        assert_eq!(
            ranges.iter().map(|r| &name[r.clone()]).collect::<Vec<_>>(),
            vec!["柠檬鸭"]
        );
        let text = "柠檬茶与柠檬鸭";
        let got: Vec<&str> = highlight(text, "柠檬")
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(got, vec!["柠檬", "柠檬"]);
        // One character, ASCII words case-insensitively, full-width folded.
        let text = "店名 Shop 店";
        let got: Vec<&str> = highlight(text, "店")
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(got, vec!["店", "店"]);
        let got: Vec<&str> = highlight(text, "ＳＨＯＰ")
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(got, vec!["Shop"]);
        assert!(highlight(text, "  ").is_empty());
        assert!(highlight(text, "柠檬").is_empty());
    }

    fn terms(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn centres_on_the_first_match() {
        let text = format!(
            "{}本店销售进口冷链食品{}",
            "前".repeat(200),
            "后".repeat(200)
        );
        let s = snippet(&text, &terms(&["冷链", "链食"]));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("冷链食品"));
        assert_eq!(s.chars().count(), SNIPPET_CHARS + 2);
    }

    #[test]
    fn short_text_is_returned_whole_with_whitespace_collapsed() {
        assert_eq!(
            snippet("  冷链\n\n  食品  ", &terms(&["食品"])),
            "冷链 食品"
        );
    }

    #[test]
    fn no_match_starts_at_the_beginning() {
        assert_eq!(snippet("abc def", &terms(&["zzz"])), "abc def");
        assert_eq!(snippet("", &terms(&["zzz"])), "");
    }
}
