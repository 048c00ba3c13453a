//! Unified Social Credit Code (统一社会信用代码, GB 32100-2015) and the legacy identifiers found
//! in older registry data (15-digit registration numbers, 9-character organisation codes).
//!
//! A `Uscc` value is always valid: format, alphabet, embedded organisation-code check (GB 11714)
//! and the mod-31 check character all hold. Unknown registration-authority or category values are
//! not errors (the tables changed over time); `Uscc::warnings` reports them.

use crate::text::compact_upper;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The 31 symbols of GB 32100; a symbol's value is its index.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Why a string is not a valid USCC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("a USCC has 18 characters, found {0}")]
    Length(usize),
    #[error("character {ch:?} at position {pos} is not in the GB 32100 alphabet")]
    Alphabet { pos: usize, ch: char },
    #[error("organisation code check failed: expected {expected}, found {found}")]
    OrgCodeCheck { expected: char, found: char },
    #[error("check character failed: expected {expected}, found {found}")]
    Check { expected: char, found: char },
}

/// A validated Unified Social Credit Code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc([u8; 18]);

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The organisation-code (GB 11714) check character for an 8-character body.
fn org_check(body: &[u8]) -> Option<u8> {
    let mut sum = 0;
    for (&c, w) in body.iter().zip(ORG_WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'A'..=b'Z' => (c - b'A') as u32 + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        d => b'0' + d as u8,
    })
}

/// The mod-31 check character for the first 17 characters (all in the alphabet).
fn mod31_check(first17: &[u8]) -> Option<u8> {
    let mut sum = 0;
    for (&c, w) in first17.iter().zip(WEIGHTS) {
        sum += value(c)? * w;
    }
    Some(ALPHABET[((31 - sum % 31) % 31) as usize])
}

impl Uscc {
    /// Parses a code as pages and registers show it: spaces, full-width characters and lowercase
    /// are normalised first.
    pub fn parse(s: &str) -> Result<Uscc, UsccError> {
        let norm = compact_upper(s);
        Self::parse_exact(&norm)
    }

    /// Parses an already-normalised code (18 upper-case ASCII characters).
    pub fn parse_exact(s: &str) -> Result<Uscc, UsccError> {
        let n = s.chars().count();
        if n != 18 {
            return Err(UsccError::Length(n));
        }
        if let Some((pos, ch)) = s
            .chars()
            .enumerate()
            .find(|&(_, ch)| !ch.is_ascii() || value(ch as u8).is_none())
        {
            return Err(UsccError::Alphabet { pos: pos + 1, ch });
        }
        let b = s.as_bytes();
        // The embedded organisation code's check character may only be a digit or X; any other
        // symbol there fails the check as well.
        let expected_org = org_check(&b[8..16]).unwrap_or(b'?');
        if expected_org != b[16] {
            return Err(UsccError::OrgCodeCheck {
                expected: expected_org as char,
                found: b[16] as char,
            });
        }
        let expected = mod31_check(&b[..17]).expect("alphabet checked above");
        if expected != b[17] {
            return Err(UsccError::Check {
                expected: expected as char,
                found: b[17] as char,
            });
        }
        let mut out = [0u8; 18];
        out.copy_from_slice(b);
        Ok(Uscc(out))
    }

    /// Builds a valid code from its parts: the 8-character prefix (authority, category and
    /// division) and the 8-character organisation-code body; both check characters are computed.
    /// Used to make test data; returns `None` if a part is malformed.
    pub fn complete(prefix8: &str, org_body8: &str) -> Option<Uscc> {
        let (p, o) = (prefix8.as_bytes(), org_body8.as_bytes());
        if p.len() != 8 || o.len() != 8 {
            return None;
        }
        let mut b = [0u8; 18];
        b[..8].copy_from_slice(p);
        b[8..16].copy_from_slice(o);
        if b[..16].iter().any(|&c| value(c).is_none()) {
            return None;
        }
        b[16] = org_check(o)?;
        b[17] = mod31_check(&b[..17])?;
        Some(Uscc(b))
    }

    /// The code as its 18 characters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII by construction")
    }

    /// Position 1: the registration authority (9 = market regulation).
    pub fn authority(&self) -> char {
        self.0[0] as char
    }

    /// Position 2: the category within the authority (for 9: 1 enterprise, 2 individual
    /// business, 3 farmers' cooperative).
    pub fn category(&self) -> char {
        self.0[1] as char
    }

    /// Positions 3–8: the administrative division of the registering authority at issue time.
    pub fn division(&self) -> &str {
        &self.as_str()[2..8]
    }

    /// Positions 9–17: the embedded organisation code.
    pub fn org_code(&self) -> &str {
        &self.as_str()[8..17]
    }

    /// Facts worth a reviewer's attention that do not make the code invalid.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if !matches!(
            self.authority(),
            '1' | '5' | '9' | 'Y' | '2'..='8' | 'A' | 'N'
        ) {
            w.push(format!(
                "unknown registration authority {}",
                self.authority()
            ));
        }
        if self.authority() == '9' && !matches!(self.category(), '1' | '2' | '3') {
            w.push(format!(
                "unknown category {} for market regulation",
                self.category()
            ));
        }
        w
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.as_str())
    }
}

impl FromStr for Uscc {
    type Err = UsccError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Uscc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Uscc::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Checks a 15-digit registration number (GS 15-2006, ISO 7064 MOD 11,10).
pub fn is_valid_reg_no15(s: &str) -> bool {
    let s = compact_upper(s);
    if s.len() != 15 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = s.bytes().map(|c| (c - b'0') as u32).collect();
    let mut p = 10;
    for &x in &d[..14] {
        let mut s = (p + x) % 10;
        if s == 0 {
            s = 10;
        }
        p = (2 * s) % 11;
    }
    (p + d[14]) % 10 == 1
}

/// Checks a 9-character organisation code, printed as `XXXXXXXX-X` or without the hyphen.
pub fn is_valid_org_code(s: &str) -> bool {
    let s: String = compact_upper(s).chars().filter(|&c| c != '-').collect();
    let b = s.as_bytes();
    b.len() == 9 && org_check(&b[..8]) == Some(b[8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_vectors() {
        for ok in [
            "91110000600037341L",
            "91340600MA2PBM9HXD",
            "92340602MA2PBMEM24",
            "91350100M000100Y43",
            "9135052155323005XL",
        ] {
            assert_eq!(Uscc::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(
            Uscc::parse("91110000600037341N"),
            Err(UsccError::Check {
                expected: 'L',
                found: 'N'
            })
        );
        assert!(matches!(
            Uscc::parse("9111000060003IOZSV"),
            Err(UsccError::Alphabet { pos: 14, ch: 'I' })
        ));
    }

    #[test]
    fn normalises_page_forms() {
        let u = Uscc::parse("９１３４ ０６００ma2pbm9hxd").unwrap();
        assert_eq!(u.as_str(), "91340600MA2PBM9HXD");
        assert_eq!(u.division(), "340600");
        assert_eq!(u.org_code(), "MA2PBM9HX");
    }

    #[test]
    fn complete_builds_valid_codes() {
        let u = Uscc::complete("91450100", "MA5K1234").unwrap();
        assert_eq!(Uscc::parse(u.as_str()), Ok(u));
        assert!(Uscc::complete("91450100", "MA5K12I4").is_none());
    }

    #[test]
    fn legacy_identifiers() {
        assert!(is_valid_org_code("M000100Y-4"));
        assert!(!is_valid_org_code("M000100Y-5"));
        assert!(is_valid_reg_no15("110108000000016"));
        assert!(!is_valid_reg_no15("110108000000017"));
    }
}
