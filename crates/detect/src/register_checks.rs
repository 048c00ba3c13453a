//! What the register says about the operator of the page being scanned, and the checks that
//! compare it with what the page shows (`license.uscc_mismatch`, `license.unregistered`,
//! `icp.mismatch`, `food.address_mismatch`).
//!
//! This module does no IO: the caller (sweep, eval, scan) loads the register and hands over a
//! [`RegisterView`]. [`RegisterIndex`] is a small in-memory index by site address (host, or
//! host + shop prefix) for callers that hold a whole register in memory; the sweep instead looks
//! the entity up by the site's own `entity_id`.
//!
//! Invariant: with [`RegisterView::NotLoaded`] no register check runs; a register that is not
//! loaded is not evidence that an operator is unregistered.

use domain::text::{compact_upper, fold_width};
use domain::{SiteAddress, SiteKind};
use std::collections::HashMap;

/// The register's facts about one entity, as far as the checks need them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterFacts {
    pub name: String,
    /// Normalised USCC (upper case, no spaces).
    pub uscc: String,
    /// The register's classification of the site, when known.
    pub kind: Option<SiteKind>,
    /// ICP filing of the domain, as registered.
    pub icp: Option<String>,
    /// Registered (or licensed) business address.
    pub address: Option<String>,
    /// Food business license number.
    pub food_permit: Option<String>,
    /// The entity's other names — former names and registered trademarks — which a page may
    /// show without claiming anything (`第一` in `南宁第一百货`).
    pub names: Vec<String>,
}

/// What the register knows about the site a page belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RegisterView<'a> {
    /// No register is loaded (or it is empty): register checks do not run.
    #[default]
    NotLoaded,
    /// A register is loaded and no entity lists this site.
    Unmatched,
    /// The entity that lists this site.
    Matched(&'a RegisterFacts),
}

impl<'a> RegisterView<'a> {
    pub fn facts(self) -> Option<&'a RegisterFacts> {
        match self {
            RegisterView::Matched(f) => Some(f),
            _ => None,
        }
    }
}

/// An in-memory register index by site address.
///
/// A site is a host or a host plus a shop prefix (`waimai.test/shop/8812`), keyed by its
/// [`SiteAddress::site_key`] (`www.` ignored: registers often list the bare domain). Lookup is
/// by the site's exact address, never by a covering prefix: an unlisted shop on a listed
/// platform is unmatched, not the platform.
#[derive(Debug, Clone, Default)]
pub struct RegisterIndex {
    facts: Vec<RegisterFacts>,
    by_site: HashMap<SiteAddress, usize>,
}

impl RegisterIndex {
    pub fn new() -> RegisterIndex {
        RegisterIndex::default()
    }

    /// Adds an entity listed under `domains` (hosts or `host/path/prefix`, as
    /// [`SiteAddress::parse`] reads them; one that does not parse names no site and is left
    /// out).
    pub fn insert<S: AsRef<str>>(&mut self, domains: &[S], facts: RegisterFacts) {
        let i = self.facts.len();
        self.facts.push(facts);
        for d in domains {
            if let Ok(address) = SiteAddress::parse(d.as_ref()) {
                self.by_site.entry(address.site_key()).or_insert(i);
            }
        }
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// The view for the site at `host` (+ `path_prefix` for a shop, else `""`).
    pub fn view(&self, host: &str, path_prefix: &str) -> RegisterView<'_> {
        if self.facts.is_empty() {
            return RegisterView::NotLoaded;
        }
        match self
            .by_site
            .get(&SiteAddress::from_parts(host, path_prefix).site_key())
        {
            Some(&i) => RegisterView::Matched(&self.facts[i]),
            None => RegisterView::Unmatched,
        }
    }
}

/// Division prefixes that a shown address may add or leave out.
const DIVISION_PREFIXES: &[&str] = &["广西壮族自治区", "广西", "中国", "南宁市", "南宁"];

/// An address reduced to what must agree: full-width folded, spaces and punctuation dropped,
/// the province and city prefixes removed, and 号/栋/室/楼 kept as separators only.
pub fn normalize_address(s: &str) -> String {
    let folded: String = s
        .chars()
        .map(fold_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '，' | '、' | '(' | ')' | '（' | '）'))
        .collect();
    let mut rest = folded.as_str();
    loop {
        let before = rest.len();
        for p in DIVISION_PREFIXES {
            if let Some(r) = rest.strip_prefix(p) {
                rest = r;
            }
        }
        if rest.len() == before {
            break;
        }
    }
    let mut out = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '号' | '栋' | '幢' | '座' | '室' | '-' | '#' => out.push('-'),
            c => out.push(c),
        }
    }
    let out = out.trim_end_matches('-').to_string();
    out.to_uppercase()
}

/// True when two addresses name the same place. The county part (XX区/县/市) may be left out
/// on one side.
pub fn same_address(a: &str, b: &str) -> bool {
    let (a, b) = (normalize_address(a), normalize_address(b));
    if a.is_empty() || b.is_empty() {
        return true;
    }
    if a == b {
        return true;
    }
    match (strip_county(&a), strip_county(&b)) {
        // One side leaves the county out: compare the rest.
        (Some(ra), None) => ra == b,
        (None, Some(rb)) => a == rb,
        _ => false,
    }
}

/// The address after its leading county (XX区, XX县, XX市), when it starts with one.
fn strip_county(s: &str) -> Option<&str> {
    for (n, (i, c)) in s.char_indices().enumerate() {
        if n >= 5 {
            break;
        }
        if n > 0 && matches!(c, '区' | '县' | '市') {
            return Some(&s[i + c.len_utf8()..]);
        }
    }
    None
}

/// Compares identifiers as pages and registers write them.
pub fn same_code(a: &str, b: &str) -> bool {
    compact_upper(a) == compact_upper(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_compare_after_normalising() {
        let reg = "广西壮族自治区南宁市青秀区民族大道100号金湖广场12楼";
        assert!(same_address(reg, "青秀区民族大道100号金湖广场12楼"));
        assert!(same_address(
            reg,
            "南宁市青秀区民族大道１００号金湖广场１２楼"
        ));
        assert!(same_address(
            "南宁市江南区星光大道8号3栋201室",
            "江南区星光大道8号3栋201室"
        ));
        assert!(!same_address(reg, "南宁市青秀区民族大道101号金湖广场12楼"));
        assert!(!same_address(reg, "南宁市江南区星光大道100号"));
        assert!(same_address(reg, "民族大道100号金湖广场12楼"));
        assert!(!same_address("青秀区民族大道1号", "江南区民族大道1号"));
    }

    #[test]
    fn index_matches_sites_and_shops_exactly() {
        let mut ix = RegisterIndex::new();
        assert_eq!(ix.view("a.test", ""), RegisterView::NotLoaded);
        let f = RegisterFacts {
            name: "甲".into(),
            uscc: "91110000600037341L".into(),
            ..RegisterFacts::default()
        };
        ix.insert(&["lvyuan-tea.test"], f.clone());
        ix.insert(&["waimai.test/shop/8812", "not a site"], f);
        assert!(ix.view("www.lvyuan-tea.test", "").facts().is_some());
        assert!(ix.view("LVYUAN-TEA.test.", "").facts().is_some());
        assert!(ix.view("waimai.test", "/shop/8812/").facts().is_some());
        assert_eq!(ix.view("waimai.test", "/shop/9"), RegisterView::Unmatched);
        assert_eq!(ix.view("waimai.test", ""), RegisterView::Unmatched);
    }
}
