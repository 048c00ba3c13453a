//! Small text helpers shared by identifier parsers: full-width folding and whitespace removal.

/// Folds full-width ASCII forms (U+FF01..U+FF5E) to ASCII and the ideographic space to a space.
pub fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Normalises an identifier as pages and registers show it: full-width folded, spaces, hyphens
/// inside the code and invisible characters removed, upper-cased.
pub fn compact_upper(s: &str) -> String {
    s.chars()
        .map(fold_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}'))
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_and_spaces() {
        assert_eq!(compact_upper("９１ ３５\u{3000}ａｂ\u{200B}c"), "9135ABC");
    }
}
