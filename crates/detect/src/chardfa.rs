//! A character-wise Aho-Corasick DFA over a compact alphabet: the detector's literal pass.
//!
//! Every character that occurs in some literal gets a small code (1, 2, …); every other
//! character is code 0 ("other"), which from any state leads back to the start. The automaton
//! is a dense table `states × codes`, so the text is walked one CHARACTER at a time with one
//! table lookup, instead of one lookup per UTF-8 byte as a byte automaton does. Normalised
//! Chinese text is almost all three-byte characters, on which no byte prefilter can skip ahead:
//! a byte DFA makes three dependent loads per character, this one makes one (decoding the
//! character and looking its code up do not depend on the state, so the CPU does them ahead).
//!
//! Matches are exactly those of overlapping byte-wise Aho-Corasick over the same literals
//! (every end offset of every literal): UTF-8 is self-synchronising, so a valid UTF-8 literal
//! occurs in valid UTF-8 text only on character boundaries. Offsets are byte offsets.

use std::collections::{HashMap, VecDeque};

/// Characters below this are looked up in a flat table; the rest (rare) in a map.
const FLAT: usize = 0x1_0000;

/// The compiled automaton.
#[derive(Debug, Clone)]
pub(crate) struct CharDfa {
    /// Code of every character below [`FLAT`] (0: in no literal).
    flat: Box<[u16; FLAT]>,
    /// Codes of the characters at or above [`FLAT`] that occur in literals.
    high: HashMap<u32, u16>,
    /// Transitions: `next[s + code]` for a state `s` given premultiplied (index × stride) is
    /// the next state, premultiplied too. The start state is 0.
    next: Vec<u32>,
    /// log2 of the row length of `next`: the number of codes (alphabet + "other") rounded up
    /// to a power of two, so a state's index is a shift away.
    shift: u32,
    /// States where some literal ends are numbered last: a (premultiplied) state at or above
    /// this one has outputs.
    first_match: u32,
    /// The literals ending in each match state (its own and those of its suffixes), as ranges
    /// into `output_ids`, by `(state - first_match) >> shift`.
    outputs: Vec<(u32, u32)>,
    output_ids: Vec<u32>,
    /// Byte length of each literal.
    lens: Vec<usize>,
}

/// Largest transition table built (bytes); a larger pack is matched byte-wise instead
/// ([`crate::matcher`]). The builtin pack's table is about 2.4 MB.
pub(crate) const MAX_TABLE_BYTES: usize = 64 << 20;

/// Why no automaton was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BuildError {
    /// An empty literal (it would match everywhere; rule packs refuse them).
    EmptyLiteral,
    /// The table would exceed the size limit (states × distinct characters).
    TooLarge,
}

impl CharDfa {
    /// The automaton of `literals` (pattern `i` is `literals[i]`), with a transition table of
    /// at most `max_bytes` ([`MAX_TABLE_BYTES`] in the detector).
    pub fn with_limit(literals: &[&str], max_bytes: usize) -> Result<CharDfa, BuildError> {
        if literals.iter().any(|l| l.is_empty()) {
            return Err(BuildError::EmptyLiteral);
        }
        // The alphabet: codes in order of first appearance.
        let mut flat = vec![0u16; FLAT].into_boxed_slice();
        let mut high = HashMap::new();
        let mut codes = 0usize;
        let mut code_of = |c: char| -> Result<u16, BuildError> {
            let slot = match c as usize {
                i if i < FLAT => &mut flat[i],
                _ => high.entry(c as u32).or_insert(0),
            };
            if *slot == 0 {
                codes += 1;
                *slot = u16::try_from(codes).map_err(|_| BuildError::TooLarge)?;
            }
            Ok(*slot)
        };
        let coded: Vec<Vec<u16>> = literals
            .iter()
            .map(|l| l.chars().map(&mut code_of).collect::<Result<_, _>>())
            .collect::<Result<_, _>>()?;
        let stride = (codes + 1).next_power_of_two();
        // At most one state per literal character, plus the start: refuse before building.
        let most_states = coded.iter().map(Vec::len).sum::<usize>() + 1;
        let table_bytes = most_states
            .saturating_mul(stride)
            .saturating_mul(std::mem::size_of::<u32>());
        if table_bytes > max_bytes || most_states.saturating_mul(stride) >= u32::MAX as usize {
            return Err(BuildError::TooLarge);
        }

        // The trie, with `u32::MAX` for a missing child, and each state's own literals.
        const NONE: u32 = u32::MAX;
        let mut trie: Vec<u32> = vec![NONE; stride];
        let mut own: Vec<Vec<u32>> = vec![Vec::new()];
        for (id, lit) in coded.iter().enumerate() {
            let mut s = 0usize;
            for &code in lit {
                let t = trie[s * stride + usize::from(code)];
                s = if t == NONE {
                    let new = own.len();
                    trie[s * stride + usize::from(code)] = new as u32;
                    trie.extend(std::iter::repeat_n(NONE, stride));
                    own.push(Vec::new());
                    new
                } else {
                    t as usize
                };
            }
            own[s].push(id as u32);
        }
        let states = own.len();

        // Breadth first: failure links, the dense transitions and the outputs (a state's own
        // literals, then those of its failure state, which are its suffixes).
        let mut dense = vec![0u32; states * stride];
        let mut fail = vec![0usize; states];
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); states];
        let mut queue = VecDeque::new();
        for code in 0..stride {
            let t = trie[code];
            if t != NONE {
                dense[code] = t;
                queue.push_back(t as usize);
            }
        }
        while let Some(s) = queue.pop_front() {
            let mut o = own[s].clone();
            o.extend_from_slice(&out[fail[s]]);
            out[s] = o;
            for code in 0..stride {
                let t = trie[s * stride + code];
                let via_fail = dense[fail[s] * stride + code];
                if t == NONE {
                    dense[s * stride + code] = via_fail;
                } else {
                    fail[t as usize] = via_fail as usize;
                    dense[s * stride + code] = t;
                    queue.push_back(t as usize);
                }
            }
        }

        // Renumber: states without outputs first (the start state stays 0), match states last.
        let mut order: Vec<usize> = (0..states).filter(|&s| out[s].is_empty()).collect();
        let plain = order.len();
        order.extend((0..states).filter(|&s| !out[s].is_empty()));
        let mut new_id = vec![0u32; states];
        for (n, &s) in order.iter().enumerate() {
            new_id[s] = (n * stride) as u32;
        }
        let mut next = vec![0u32; states * stride];
        for (n, &s) in order.iter().enumerate() {
            for code in 0..stride {
                next[n * stride + code] = new_id[dense[s * stride + code] as usize];
            }
        }
        let mut outputs = Vec::with_capacity(states - plain);
        let mut output_ids = Vec::new();
        for &s in &order[plain..] {
            let from = output_ids.len() as u32;
            output_ids.extend_from_slice(&out[s]);
            outputs.push((from, output_ids.len() as u32));
        }
        let flat: Box<[u16; FLAT]> = flat.try_into().expect("the flat table has FLAT entries");
        Ok(CharDfa {
            flat,
            high,
            next,
            shift: stride.trailing_zeros(),
            first_match: (plain * stride) as u32,
            outputs,
            output_ids,
            lens: literals.iter().map(|l| l.len()).collect(),
        })
    }

    /// Byte length of literal `id`.
    pub fn len_of(&self, id: usize) -> usize {
        self.lens[id]
    }

    /// Calls `f(literal, end)` for every occurrence of every literal in `text` (overlapping;
    /// `end` is the byte offset just past it), in order of `end`.
    #[inline]
    pub fn for_each_match(&self, text: &str, mut f: impl FnMut(usize, usize)) {
        self.walk(text, |state, end| {
            let (from, to) = self.outputs[((state - self.first_match) >> self.shift) as usize];
            for &id in &self.output_ids[from as usize..to as usize] {
                f(id as usize, end);
            }
        });
    }

    /// The number of occurrences [`CharDfa::for_each_match`] reports.
    pub fn count(&self, text: &str) -> usize {
        let mut n = 0usize;
        self.walk(text, |state, _| {
            let (from, to) = self.outputs[((state - self.first_match) >> self.shift) as usize];
            n += (to - from) as usize;
        });
        n
    }

    /// Walks `text` character by character; calls `on_match(state, end)` after each character
    /// that leads to a match state, in order of `end`.
    ///
    /// Measured and dropped (bench/README.md, "match.sh (2026-12-06)"): walking two halves of a
    /// long text interleaved, to overlap two chains of dependent lookups (about half the speed
    /// of one walk here), and decoding ASCII and three-byte characters without a branch on
    /// which they are (about 0.65×: it puts the lead byte's load into the chain that the
    /// predicted branch keeps out of it).
    #[inline(always)]
    fn walk(&self, text: &str, mut on_match: impl FnMut(u32, usize)) {
        let b = text.as_bytes();
        let fm = self.first_match;
        let (mut i, mut s) = (0usize, 0u32);
        while i < b.len() {
            self.step(b, &mut i, &mut s);
            if s >= fm {
                on_match(s, i);
            }
        }
    }

    /// Reads the character at `*i` (a character boundary of valid UTF-8, before the end) and
    /// moves `*i` past it and `*s` to the next state.
    #[inline(always)]
    fn step(&self, b: &[u8], i: &mut usize, s: &mut u32) {
        let c0 = b[*i];
        let code = if c0 < 0x80 {
            *i += 1;
            self.flat[usize::from(c0)]
        } else if c0 < 0xE0 {
            let cp = (usize::from(c0 & 0x1F) << 6) | usize::from(b[*i + 1] & 0x3F);
            *i += 2;
            self.flat[cp]
        } else if c0 < 0xF0 {
            let cp = (usize::from(c0 & 0x0F) << 12)
                | (usize::from(b[*i + 1] & 0x3F) << 6)
                | usize::from(b[*i + 2] & 0x3F);
            *i += 3;
            self.flat[cp & (FLAT - 1)]
        } else {
            let cp = (u32::from(c0 & 0x07) << 18)
                | (u32::from(b[*i + 1] & 0x3F) << 12)
                | (u32::from(b[*i + 2] & 0x3F) << 6)
                | u32::from(b[*i + 3] & 0x3F);
            *i += 4;
            self.high.get(&cp).copied().unwrap_or(0)
        };
        *s = self.next[*s as usize + usize::from(code)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};

    /// Every (literal, start, end) of the char DFA equals byte-wise overlapping Aho-Corasick's.
    fn same_as_aho_corasick(literals: &[&str], text: &str) -> usize {
        let dfa = CharDfa::with_limit(literals, MAX_TABLE_BYTES).unwrap();
        let mut ours = Vec::new();
        dfa.for_each_match(text, |id, end| ours.push((id, end - dfa.len_of(id), end)));
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(literals)
            .unwrap();
        let mut theirs: Vec<(usize, usize, usize)> = ac
            .find_overlapping_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs, "{literals:?} in {text:?}");
        assert_eq!(dfa.count(text), theirs.len());
        theirs.len()
    }

    #[test]
    fn matches_equal_byte_wise_aho_corasick() {
        let lits = [
            "第一",
            "销量第一",
            "第一名",
            "一",
            "全网最低",
            "最低价",
            "top1",
            "p",
            "é",
            "😀x",
            "国家级",
            "家",
            "ab",
            "b",
            "abc",
        ];
        assert_eq!(same_as_aho_corasick(&lits, "本店销量第一名"), 4);
        for text in [
            "",
            "第",
            "全网最低价，国家级产品，销量第一名第一第一",
            "top1 top10 laptop1 abcab é😀x😀 😀xé ab\nc",
            "ééé家家国家级家😀😀x",
            "没有任何匹配的文字",
        ] {
            same_as_aho_corasick(&lits, text);
        }
        let long = "全网最低价，国家级产品，销量第一名第一第一 top1 é😀x".repeat(40);
        for cut in [0, 1, 2, 3, 5, 7, 11] {
            same_as_aho_corasick(&lits, &long[long.char_indices().nth(cut).unwrap().0..]);
        }
        // Pseudo-random texts over the literals' characters and others.
        let alphabet: Vec<char> = "第一销量名全网最低价国家级topé😀xabc 1\n其"
            .chars()
            .collect();
        let mut x = 12345u64;
        for round in 0..400 {
            let text: String = (0..if round % 2 == 0 { 60 } else { 700 })
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(x >> 33) as usize % alphabet.len()]
                })
                .collect();
            same_as_aho_corasick(&lits, &text);
        }
    }

    #[test]
    fn refuses_empty_literals_and_tables_over_the_limit() {
        assert_eq!(
            CharDfa::with_limit(&["a", ""], MAX_TABLE_BYTES).err(),
            Some(BuildError::EmptyLiteral)
        );
        // "ab", "bc": 3 characters (+ other) → 4 codes, at most 5 states: 80 bytes.
        assert!(CharDfa::with_limit(&["ab", "bc"], 80).is_ok());
        assert_eq!(
            CharDfa::with_limit(&["ab", "bc"], 79).err(),
            Some(BuildError::TooLarge)
        );
    }
}
