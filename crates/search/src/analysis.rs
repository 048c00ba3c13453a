//! The Chinese-aware analyzer shared by indexing and querying.
//!
//! Chinese has no spaces between words and the register holds millions of names made of the
//! same few thousand characters, so dictionary segmentation would be both slow and brittle
//! (shop names are full of invented words). The analyzer instead uses overlapping character
//! bigrams, the classic CJK n-gram approach:
//!
//! * a run of CJK characters `南宁市` yields the bigrams `南宁`, `宁市` at consecutive positions;
//!   a run of length one yields the single character;
//! * in [`Mode::Index`] every CJK character is *also* emitted as a unigram at the same position
//!   as the bigram it starts (like a synonym), so a one-character query is a plain term lookup
//!   and phrase queries over bigrams still line up;
//! * letters and digits form word tokens, lower-cased (full-width forms fold to ASCII);
//! * everything else separates tokens.
//!
//! Query text goes through [`Mode::Query`], which emits bigrams only (unigrams only for
//! one-character runs), so a query must match on every bigram of the text it was given.

use domain::text::fold_width;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Name under which the analyzer is registered on the index.
pub(crate) const ANALYZER: &str = "wangjian_cjk";

/// Word tokens longer than this many bytes are dropped (tantivy refuses huge terms and such
/// tokens are never useful search keys).
const MAX_WORD_BYTES: usize = 64;

/// Whether the analyzer runs for indexing or for building a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bigrams plus a unigram for every CJK character.
    Index,
    /// Bigrams only; a lone CJK character stays a unigram.
    Query,
}

/// True for Han ideographs (all planes), kana and hangul syllables.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3005 | 0x3007
        | 0x3040..=0x30FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF
        | 0x20000..=0x3FFFF)
}

/// A reusable analyzer: tokens and scratch buffers are kept between calls so that indexing
/// millions of short fields does not allocate per token.
#[derive(Debug, Clone)]
pub struct CjkAnalyzer {
    mode: Mode,
    tokens: Vec<Token>,
    len: usize,
    run: Vec<(usize, char)>,
}

impl CjkAnalyzer {
    /// A fresh analyzer for `mode`.
    pub fn new(mode: Mode) -> CjkAnalyzer {
        CjkAnalyzer {
            mode,
            tokens: Vec::new(),
            len: 0,
            run: Vec::new(),
        }
    }

    /// Analyzes `text` and returns its tokens (valid until the next call).
    pub fn analyze(&mut self, text: &str) -> &[Token] {
        self.len = 0;
        let mut position = 0usize;
        let mut run_is_cjk = false;
        for (offset, raw) in text.char_indices() {
            let c = fold_width(raw);
            let cjk = is_cjk(c);
            let word = !cjk && c.is_alphanumeric();
            if !self.run.is_empty() && (!(cjk || word) || cjk != run_is_cjk) {
                self.flush_run(text, run_is_cjk, &mut position);
            }
            if cjk || word {
                run_is_cjk = cjk;
                self.run.push((offset, c));
            }
        }
        if !self.run.is_empty() {
            self.flush_run(text, run_is_cjk, &mut position);
        }
        &self.tokens[..self.len]
    }

    fn flush_run(&mut self, text: &str, cjk: bool, position: &mut usize) {
        let run = std::mem::take(&mut self.run);
        let end_of = |i: usize| {
            let (offset, _) = run[i];
            offset + text[offset..].chars().next().map_or(0, char::len_utf8)
        };
        if cjk {
            let n = run.len();
            for i in 0..n {
                let pos = *position + i;
                if i + 1 < n {
                    let token = self.next_token(run[i].0, end_of(i + 1), pos);
                    token.text.push(run[i].1);
                    token.text.push(run[i + 1].1);
                }
                if n == 1 || self.mode == Mode::Index {
                    let token = self.next_token(run[i].0, end_of(i), pos);
                    token.text.push(run[i].1);
                }
            }
            *position += n;
        } else {
            let bytes: usize = run.iter().map(|&(_, c)| c.len_utf8()).sum();
            if bytes <= MAX_WORD_BYTES {
                let token = self.next_token(run[0].0, end_of(run.len() - 1), *position);
                token
                    .text
                    .extend(run.iter().flat_map(|&(_, c)| c.to_lowercase()));
                *position += 1;
            }
        }
        self.run = run;
        self.run.clear();
    }

    fn next_token(&mut self, from: usize, to: usize, position: usize) -> &mut Token {
        if self.len == self.tokens.len() {
            self.tokens.push(Token::default());
        }
        let token = &mut self.tokens[self.len];
        self.len += 1;
        token.text.clear();
        token.offset_from = from;
        token.offset_to = to;
        token.position = position;
        token.position_length = 1;
        token
    }
}

impl Tokenizer for CjkAnalyzer {
    type TokenStream<'a> = CjkTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkTokenStream<'a> {
        let len = self.analyze(text).len();
        CjkTokenStream {
            tokens: &mut self.tokens[..len],
            next: 0,
        }
    }
}

/// Token stream over the tokens precomputed by [`CjkAnalyzer`].
pub struct CjkTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl TokenStream for CjkTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1))]
    }

    fn token_mut(&mut self) -> &mut Token {
        let i = self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1));
        &mut self.tokens[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(mode: Mode, text: &str) -> Vec<(String, usize)> {
        CjkAnalyzer::new(mode)
            .analyze(text)
            .iter()
            .map(|t| (t.text.clone(), t.position))
            .collect()
    }

    fn texts(mode: Mode, text: &str) -> Vec<String> {
        toks(mode, text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn query_mode_emits_overlapping_bigrams() {
        assert_eq!(
            toks(Mode::Query, "南宁市"),
            vec![("南宁".into(), 0), ("宁市".into(), 1)]
        );
    }

    #[test]
    fn index_mode_adds_unigrams_at_bigram_positions() {
        assert_eq!(
            toks(Mode::Index, "商行"),
            vec![("商行".into(), 0), ("商".into(), 0), ("行".into(), 1)]
        );
    }

    #[test]
    fn single_character_run_is_a_unigram_in_both_modes() {
        assert_eq!(texts(Mode::Query, "鑫"), vec!["鑫"]);
        assert_eq!(texts(Mode::Index, "鑫"), vec!["鑫"]);
        assert_eq!(texts(Mode::Query, "桂ICP备"), vec!["桂", "icp", "备"]);
    }

    #[test]
    fn ascii_words_are_lowercased_and_split_on_punctuation() {
        assert_eq!(
            texts(Mode::Query, "Hello, WORLD-42 ma5k"),
            vec!["hello", "world", "42", "ma5k"]
        );
    }

    #[test]
    fn full_width_forms_fold_to_ascii() {
        assert_eq!(texts(Mode::Query, "ＡＢＣ１２３"), vec!["abc123"]);
        assert_eq!(texts(Mode::Query, "甲\u{3000}乙"), vec!["甲", "乙"]);
    }

    #[test]
    fn mixed_scripts_split_into_runs_with_advancing_positions() {
        assert_eq!(
            toks(Mode::Query, "美团waimai外卖"),
            vec![("美团".into(), 0), ("waimai".into(), 2), ("外卖".into(), 3)]
        );
    }

    #[test]
    fn offsets_cover_the_original_text() {
        let text = "Ａ店，南宁";
        let mut a = CjkAnalyzer::new(Mode::Query);
        for t in a.analyze(text) {
            assert!(text.is_char_boundary(t.offset_from));
            assert!(text.is_char_boundary(t.offset_to));
        }
        let bigram = a.analyze(text).last().cloned().unwrap();
        assert_eq!(&text[bigram.offset_from..bigram.offset_to], "南宁");
    }

    #[test]
    fn overlong_words_are_dropped_and_punctuation_only_is_empty() {
        let long = "x".repeat(200);
        assert_eq!(texts(Mode::Query, &format!("{long} ok")), vec!["ok"]);
        assert!(texts(Mode::Query, "()\"*：，。 ").is_empty());
        assert!(texts(Mode::Query, "").is_empty());
    }

    #[test]
    fn analyzer_is_reusable() {
        let mut a = CjkAnalyzer::new(Mode::Index);
        assert_eq!(a.analyze("南宁市青秀区").len(), 11);
        assert_eq!(a.analyze("ab").len(), 1);
        assert_eq!(a.analyze("ab")[0].text, "ab");
    }

    #[test]
    fn token_stream_yields_each_token_once() {
        let mut a = CjkAnalyzer::new(Mode::Query);
        let mut stream = a.token_stream("商行 ab");
        let mut seen = Vec::new();
        while stream.advance() {
            seen.push(stream.token().text.clone());
        }
        assert_eq!(seen, vec!["商行", "ab"]);
    }
}
