//! A business licence read from a picture by OCR, checked like shown text.
//!
//! The caller (the sweep, `wangjian eval`) runs the OCR engine (crate `ocr`: this crate does no
//! IO) and hands over its text; [`read_licence`] finds the USCC(s) and the company name
//! (名称 line) in it, and [`crate::Detector::check_licence_reading`] reports, with
//! [`crate::Location::Image`], what the same text on the page would give:
//! `license.uscc_invalid` when a code fails GB 32100, `license.uscc_mismatch` when a valid code
//! differs from the register's entity for the site ([`crate::register_checks`]).
//!
//! OCR confusions are tolerated only where the USCC alphabet makes them unambiguous: the
//! alphabet has no `O`, `I`, `Z` or `S`, so inside a code `O`→`0`, `I`→`1`, `Z`→`2`, `S`→`5`
//! (each corrected code says so). `V` (no symbol either, but `U` or `Y`?) and letters that are
//! symbols themselves (`B`/`8`, `L`/`1`, `G`/`6`) are left as read: a misreading there fails the
//! check like a forgery would, which is why the evidence is the picture and its reading.

use domain::text::fold_width;
use domain::{Uscc, UsccError};

/// Labels of the code on a licence, most specific first.
const LABELS: &[&str] = &["统一社会信用代码", "社会信用代码", "信用代码"];

/// Rule id of a licence picture whose USCC fails GB 32100.
pub const RULE_USCC_INVALID: &str = "image.uscc-invalid-001";
/// Rule id of a licence picture whose valid USCC is not the register's.
pub const RULE_USCC_MISMATCH: &str = "image.uscc-mismatch-001";

/// A code read from a licence picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRead {
    /// The characters as OCR gave them (spaces dropped, width folded).
    pub raw: String,
    /// After upper-casing and the unambiguous corrections.
    pub code: String,
    /// True when a correction (`O`→`0`, `I`→`1`, `Z`→`2`, `S`→`5`) was applied.
    pub corrected: bool,
    /// The code followed a USCC label (else: an 18-character run of the alphabet).
    pub labelled: bool,
    pub parsed: Result<Uscc, UsccError>,
}

impl CodeRead {
    /// Meant as a USCC and not a valid one.
    pub fn is_invalid(&self) -> bool {
        if self.parsed.is_ok() {
            return false;
        }
        let legacy = self.code.len() == 15 && self.code.bytes().all(|b| b.is_ascii_digit());
        !legacy && (16..=20).contains(&self.code.len())
    }
}

/// What a licence picture says, as far as the checks need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicenceReading {
    /// Codes found, in reading order, one per distinct code.
    pub codes: Vec<CodeRead>,
    /// The company name after 名称, spaces dropped.
    pub name: Option<String>,
}

impl LicenceReading {
    /// True when the picture reads as a licence: a code of USCC shape (valid or not) or a
    /// labelled code, and a name. Such a picture counts as the licence being displayed.
    pub fn looks_like_licence(&self) -> bool {
        self.name.is_some() && self.codes.iter().any(|c| c.labelled || c.code.len() == 18)
    }
}

/// One line of OCR output with its spaces dropped and full-width forms folded (OCR spaces out
/// Chinese characters and codes unpredictably).
fn compact_line(line: &str) -> String {
    line.chars()
        .map(fold_width)
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The unambiguous corrections inside a code.
fn correct(raw: &str) -> (String, bool) {
    let mut corrected = false;
    let code = raw
        .chars()
        .flat_map(char::to_uppercase)
        .map(|c| {
            let to = match c {
                'O' => '0',
                'I' => '1',
                'Z' => '2',
                'S' => '5',
                c => c,
            };
            corrected |= to != c;
            to
        })
        .collect();
    (code, corrected)
}

/// Runs of ASCII letters and digits in `s`, with their byte start.
fn alnum_runs(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (c.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                out.push((st, &s[st..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, &s[st..]));
    }
    out
}

/// Finds the codes and the name in OCR output.
pub fn read_licence(text: &str) -> LicenceReading {
    let mut reading = LicenceReading::default();
    let push = |raw: &str, labelled: bool, codes: &mut Vec<CodeRead>| {
        let (code, corrected) = correct(raw);
        if let Some(c) = codes.iter_mut().find(|c| c.code == code) {
            c.labelled |= labelled;
            return;
        }
        let parsed = Uscc::parse_exact(&code);
        codes.push(CodeRead {
            raw: raw.to_string(),
            code,
            corrected,
            labelled,
            parsed,
        });
    };
    for line in text.lines().take(200) {
        let line = compact_line(line);
        // Labelled: the run after the label (up to 12 other characters between).
        let mut taken = Vec::new();
        for label in LABELS {
            for (at, _) in line.match_indices(label) {
                let rest = &line[at + label.len()..];
                let Some((i, _)) = rest
                    .char_indices()
                    .take(13)
                    .find(|(_, c)| c.is_ascii_alphanumeric())
                else {
                    continue;
                };
                let start = at + label.len() + i;
                if taken.contains(&start) {
                    continue;
                }
                taken.push(start);
                let run = alnum_runs(&line[start..])
                    .first()
                    .map(|(_, r)| *r)
                    .unwrap_or("");
                push(run, true, &mut reading.codes);
            }
        }
        // Unlabelled: an 18-character run that is a code of the alphabet once corrected.
        for (start, run) in alnum_runs(&line) {
            if run.len() != 18 || taken.contains(&start) {
                continue;
            }
            let (code, _) = correct(run);
            let shape = code.as_bytes()[0].is_ascii_digit()
                && code.bytes().all(|b| domain::uscc::ALPHABET.contains(&b));
            if shape {
                push(run, false, &mut reading.codes);
            }
        }
        if reading.name.is_none() {
            if let Some(at) = line.find("名称") {
                let name: String = line[at + "名称".len()..]
                    .trim_start_matches([':', '：', '.', '·', '|'])
                    .chars()
                    .take(60)
                    .collect();
                if name.chars().count() >= 2 {
                    reading.name = Some(name);
                }
            }
        }
    }
    reading
}

/// The excerpt of a finding on a picture: the code as read (and as corrected), and the name.
pub(crate) fn excerpt(c: &CodeRead, name: Option<&str>) -> String {
    let mut out = format!("统一社会信用代码：{}", c.raw);
    if c.corrected {
        out.push_str(&format!(" (ocr→{})", c.code));
    }
    if let Some(n) = name {
        out.push_str(&format!(" 名称：{n}"));
    }
    out.chars().take(crate::EXCERPT_MAX).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_codes_and_name_through_ocr_noise() {
        let text =
            "营 业 执 照\n统一社会信用代码 : 9134 0600MA2PBM9HXD\n名 称 ：南宁市绿源茶业有限公司\n";
        let r = read_licence(text);
        assert_eq!(r.name.as_deref(), Some("南宁市绿源茶业有限公司"));
        assert_eq!(r.codes.len(), 1);
        assert_eq!(r.codes[0].code, "91340600MA2PBM9HXD");
        assert!(r.codes[0].parsed.is_ok() && r.codes[0].labelled);
        assert!(r.looks_like_licence());
    }

    #[test]
    fn corrects_only_letters_outside_the_alphabet() {
        // O for 0 and I for 1: corrected, and said so.
        let r = read_licence("信用代码：9111OOOO6OOO37341L");
        assert_eq!(r.codes[0].code, "91110000600037341L");
        assert!(r.codes[0].corrected && r.codes[0].parsed.is_ok());
        // A wrong check character stays wrong.
        let r = read_licence("统一社会信用代码 91110000600037341N");
        assert!(r.codes[0].is_invalid());
        // Unlabelled codes count when they have the shape.
        let r = read_licence("代 码 91350100M000100Y43 其他 ABCDEFGHJKLMNPQRTU");
        assert_eq!(r.codes.len(), 1);
        assert!(r.codes[0].parsed.is_ok() && !r.codes[0].labelled);
        assert!(read_licence("没有代码").codes.is_empty());
    }
}
