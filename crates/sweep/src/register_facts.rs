//! The register as detection sees it: `store` entities turned into `detect::RegisterFacts`.
//!
//! Shared by the sweep (which looks each site's entity up by `entity_id`), `wangjian scan
//! --data` and `wangjian eval` (which hold a whole register in a [`RegisterIndex`]), so that
//! all three compare pages with the register the same way.

use detect::{RegisterFacts, RegisterIndex};
use store::EntityInput;

/// What the register checks need to know about an entity.
pub fn facts(e: &EntityInput) -> RegisterFacts {
    RegisterFacts {
        name: e.name.clone(),
        uscc: e.uscc.clone(),
        kind: Some(e.kind),
        icp: e.icp.clone().filter(|s| !s.trim().is_empty()),
        address: e.address.clone().filter(|s| !s.trim().is_empty()),
        food_permit: e.food_permit.clone().filter(|s| !s.trim().is_empty()),
        names: other_names(e),
    }
}

/// Former names and registered trademarks (an import's `trademarks` or `商标` column,
/// separated by `;`, `；`, `、` or `,`): names a page may show without claiming anything.
fn other_names(e: &EntityInput) -> Vec<String> {
    let marks = ["trademarks", "trademark", "商标"]
        .iter()
        .filter_map(|k| e.extra.get(*k))
        .flat_map(|v| v.split([';', '；', '、', ',', '，']))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    e.former_names.iter().cloned().chain(marks).collect()
}

/// An index of entities by the sites (hosts, shop prefixes) they list.
pub fn index<'a>(entities: impl IntoIterator<Item = &'a EntityInput>) -> RegisterIndex {
    let mut ix = RegisterIndex::new();
    for e in entities {
        ix.insert(&e.domains, facts(e));
    }
    ix
}
