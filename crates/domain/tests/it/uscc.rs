use domain::{Uscc, UsccError};
use proptest::prelude::*;

fn valid_codes() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/uscc/valid.txt");
    let text = std::fs::read_to_string(path).expect("testdata/uscc/valid.txt in the repository");
    let codes: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    assert_eq!(codes.len(), 200, "the file holds 200 codes");
    codes
}

#[test]
fn all_200_real_codes_are_valid() {
    for code in valid_codes() {
        let u = Uscc::parse(&code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(u.as_str(), code);
    }
}

/// Exhaustive: every substitution of one character by another symbol of the alphabet, at every
/// position of every real code, is rejected (31 is prime and no weight is 0 mod 31).
#[test]
fn every_single_substitution_is_rejected() {
    let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    for code in valid_codes() {
        for pos in 0..18 {
            for c in alphabet.chars().chain("IOSVZ-*a中".chars()) {
                let mut chars: Vec<char> = code.chars().collect();
                if chars[pos] == c || chars[pos].to_ascii_lowercase() == c {
                    continue;
                }
                chars[pos] = c;
                let changed: String = chars.into_iter().collect();
                assert!(
                    Uscc::parse(&changed).is_err(),
                    "{changed} (from {code}) accepted"
                );
            }
        }
    }
}

proptest! {
    #[test]
    fn any_single_char_change_is_rejected(idx in 0usize..200, pos in 0usize..18, c in any::<char>()) {
        let codes = valid_codes();
        let code = &codes[idx];
        let mut chars: Vec<char> = code.chars().collect();
        // Changes that normalisation undoes (case, full-width forms, spaces) are not changes.
        let same = domain::text::compact_upper(&c.to_string()) == chars[pos].to_string();
        prop_assume!(!same);
        chars[pos] = c;
        let changed: String = chars.into_iter().collect();
        prop_assert!(Uscc::parse(&changed).is_err());
    }

    #[test]
    fn parse_never_panics(s in ".{0,40}") {
        let _ = Uscc::parse(&s);
    }
}

#[test]
fn lengths_are_reported() {
    assert_eq!(Uscc::parse("9111"), Err(UsccError::Length(4)));
}
