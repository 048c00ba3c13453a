//! The draw itself, `wangjian-draw-1`: pure functions of the published inputs only (the
//! population list, the ratio per class, the seed, and for the inspectors the pool and the
//! conflicts), so that anyone holding the publication gets the same draw. No database, no
//! clock, no randomness here. The algorithm is documented in `docs/sampling.md` precisely
//! enough to re-implement it (with `sha256sum` by hand, for a small population).
//!
//! # Selection
//!
//! For each class A–D separately: every entry of that class gets the key
//! `hex(SHA-256(seed ‖ 0x00 ‖ USCC))` (lowercase hex; the seed and the USCC as UTF-8); the
//! entries are sorted by key ascending (ties by USCC); the first `n = ⌈ratio × count⌉` are
//! selected (`n = 0` when the class has no entry). The selection is the union of the classes,
//! in USCC order. Ratios are exact decimals with at most four places ([`Ratio`]), so `n` is
//! computed in whole numbers: `n = ⌈per_10000 × count / 10000⌉`.
//!
//! # Assignment
//!
//! For each selected entity: the candidates are the plan's pool minus the inspectors with a
//! conflict ([`Conflict`]: the entity's district is one of theirs, when the plan excludes the
//! same district; they were an officer of an earlier case on the entity). Candidates are
//! ranked by `hex(SHA-256(seed ‖ 0x00 ‖ USCC ‖ 0x00 ‖ username))` ascending (ties by
//! username); the first `inspectors_per_entity` are assigned. Fewer candidates than that and
//! the draw is refused, naming the entity.

use domain::{CreditClass, DistrictCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// The name of the algorithm of this module, published with every draw.
pub const ALGORITHM: &str = "wangjian-draw-1";

/// How many inspectors a selected entity gets when the plan does not say.
pub const DEFAULT_INSPECTORS_PER_ENTITY: u32 = 2;

/// A sampling ratio in (0, 1], held exactly in ten-thousandths (万分之): `0.03` is 300.
/// Written and read as a decimal with at most four places (`0.03`), or a percentage with at
/// most two (`3%`, `2.5%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ratio(u32);

/// The largest ratio: 1 (everyone).
const ONE: u32 = 10_000;

impl Ratio {
    /// The ratio of `per_10000` ten-thousandths, when in (0, 1].
    pub fn from_per_10000(per_10000: u32) -> Option<Ratio> {
        (1..=ONE).contains(&per_10000).then_some(Ratio(per_10000))
    }

    /// Ten-thousandths.
    pub fn per_10000(self) -> u32 {
        self.0
    }

    /// How many of `count` entries the ratio takes: ⌈ratio × count⌉, in whole numbers.
    pub fn take(self, count: usize) -> usize {
        let n = (u128::from(self.0) * count as u128).div_ceil(u128::from(ONE));
        n as usize
    }

    /// Reads a ratio as written: a decimal (`0.03`, `.1`, `1`) with at most four places, or a
    /// percentage with at most two (`3%`). Anything else, or a value outside (0, 1], is
    /// `None`.
    pub fn parse(text: &str) -> Option<Ratio> {
        let t = text.trim();
        let (digits, scale) = match t.strip_suffix('%') {
            Some(p) => (p.trim(), 2u32),
            None => (t, 4u32),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > scale as usize
            || int.len() > 6
        {
            return None;
        }
        let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut f: u64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            f += u64::from(b - b'0') * 10u64.pow(scale - 1 - i as u32);
        }
        let units = int * 10u64.pow(scale) + f;
        // Percentages are in hundredths of a percent: units of 1/10000 too.
        let per_10000 = units;
        u32::try_from(per_10000)
            .ok()
            .and_then(Ratio::from_per_10000)
    }
}

impl fmt::Display for Ratio {
    /// The shortest decimal: `0.03`, `0.1`, `1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == ONE {
            return f.write_str("1");
        }
        let s = format!("0.{:04}", self.0);
        f.write_str(s.trim_end_matches('0'))
    }
}

impl FromStr for Ratio {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ratio::parse(s).ok_or_else(|| s.to_string())
    }
}

impl Serialize for Ratio {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ratio::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a ratio in (0, 1]")))
    }
}

/// A class as its code (`"A"`), the way the publication writes it.
pub mod class_code {
    use domain::CreditClass;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(c: &CreditClass, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.code())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CreditClass, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The ratio of each class, by class code (`{"A": "0.03", …}`) when written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ratios(pub BTreeMap<CreditClass, Ratio>);

impl Ratios {
    /// The published local scheme's defaults: A 3 %, B 10 %, C 30 %, D 70 %.
    pub fn local_scheme() -> Ratios {
        Ratios(BTreeMap::from([
            (CreditClass::A, Ratio(300)),
            (CreditClass::B, Ratio(1000)),
            (CreditClass::C, Ratio(3000)),
            (CreditClass::D, Ratio(7000)),
        ]))
    }

    pub fn get(&self, class: CreditClass) -> Option<Ratio> {
        self.0.get(&class).copied()
    }
}

impl Serialize for Ratios {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(c, r)| (c.code(), r)))
    }
}

impl<'de> Deserialize<'de> for Ratios {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<String, Ratio>::deserialize(d)?;
        let mut out = BTreeMap::new();
        for (k, v) in raw {
            let c: CreditClass = k.parse().map_err(serde::de::Error::custom)?;
            out.insert(c, v);
        }
        Ok(Ratios(out))
    }
}

/// One entry of the published population list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub uscc: String,
    #[serde(with = "class_code")]
    pub class: CreditClass,
    pub district: DistrictCode,
}

/// An inspector of the plan's pool as the draw sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolMember {
    pub username: String,
    /// The districts they work in (an inspector's); empty for city staff.
    pub districts: Vec<DistrictCode>,
}

/// Why an inspector may not inspect an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// The entity is in one of the inspector's districts (and the plan excludes that).
    SameDistrict,
    /// The inspector was an officer of an earlier case on the entity.
    EarlierCase,
}

/// An inspector left out for an entity, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    pub username: String,
    pub conflict: Conflict,
}

/// A selected entity with its inspectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assigned {
    pub uscc: String,
    #[serde(with = "class_code")]
    pub class: CreditClass,
    pub district: DistrictCode,
    /// Usernames, best rank first.
    pub inspectors: Vec<String>,
    /// The pool's inspectors left out, by username (one row per inspector: the first
    /// conflict in [`Conflict`]'s order).
    pub excluded: Vec<Exclusion>,
}

/// What the assignment needs beside the selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignRules {
    pub pool: Vec<PoolMember>,
    /// Leave out inspectors of the entity's district.
    pub exclude_same_district: bool,
    /// Officers of earlier cases, by the entity's USCC (usernames).
    pub case_officers: BTreeMap<String, BTreeSet<String>>,
    pub inspectors_per_entity: u32,
}

/// Why a draw is refused. Nothing was drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("the population is empty")]
    EmptyPopulation,
    #[error("the seed is empty")]
    EmptySeed,
    #[error("the population lists {uscc} twice")]
    DuplicateEntity { uscc: String },
    #[error("class {class} has entries but no ratio")]
    MissingRatio { class: CreditClass },
    #[error("the ratio {text:?} is not in (0, 1]")]
    BadRatio { text: String },
    #[error("the inspector pool is empty")]
    EmptyPool,
    #[error("an entity needs at least one inspector")]
    NoInspectorsPerEntity,
    #[error("{uscc} has {have} inspector(s) without a conflict, {need} needed")]
    TooFewInspectors {
        uscc: String,
        have: usize,
        need: u32,
    },
    #[error("the algorithm {0:?} is not {ALGORITHM}")]
    UnknownAlgorithm(String),
}

/// `hex(SHA-256(parts joined by 0x00))`, lowercase.
pub fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// An entity's sort key: `hex(SHA-256(seed ‖ 0x00 ‖ USCC))`.
pub fn entity_key(seed: &str, uscc: &str) -> String {
    key(&[seed, uscc])
}

/// An inspector's rank key for an entity: `hex(SHA-256(seed ‖ 0x00 ‖ USCC ‖ 0x00 ‖ username))`.
pub fn inspector_key(seed: &str, uscc: &str, username: &str) -> String {
    key(&[seed, uscc, username])
}

/// Selects entities from `population` (see the module docs). Refused: an empty population
/// or seed, a USCC listed twice, a class with entries and no ratio. Returns the selected
/// entries in USCC order.
pub fn select(population: &[Entry], ratios: &Ratios, seed: &str) -> Result<Vec<Entry>, DrawError> {
    if population.is_empty() {
        return Err(DrawError::EmptyPopulation);
    }
    if seed.is_empty() {
        return Err(DrawError::EmptySeed);
    }
    let mut seen = BTreeSet::new();
    let mut by_class: BTreeMap<CreditClass, Vec<(String, &Entry)>> = BTreeMap::new();
    for e in population {
        if !seen.insert(e.uscc.as_str()) {
            return Err(DrawError::DuplicateEntity {
                uscc: e.uscc.clone(),
            });
        }
        by_class
            .entry(e.class)
            .or_default()
            .push((entity_key(seed, &e.uscc), e));
    }
    let mut selected = Vec::new();
    for (class, mut entries) in by_class {
        let ratio = ratios.get(class).ok_or(DrawError::MissingRatio { class })?;
        entries.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| a.uscc.cmp(&b.uscc)));
        let n = ratio.take(entries.len());
        selected.extend(entries.into_iter().take(n).map(|(_, e)| e.clone()));
    }
    selected.sort_by(|a, b| a.uscc.cmp(&b.uscc));
    Ok(selected)
}

/// The conflicts of the pool with one entity: each inspector left out, with the first
/// conflict found.
pub fn exclusions(entry: &Entry, rules: &AssignRules) -> Vec<Exclusion> {
    let officers = rules.case_officers.get(&entry.uscc);
    let mut out = Vec::new();
    for m in &rules.pool {
        let conflict = if rules.exclude_same_district && m.districts.contains(&entry.district) {
            Some(Conflict::SameDistrict)
        } else if officers.is_some_and(|o| o.contains(&m.username)) {
            Some(Conflict::EarlierCase)
        } else {
            None
        };
        if let Some(conflict) = conflict {
            out.push(Exclusion {
                username: m.username.clone(),
                conflict,
            });
        }
    }
    out.sort_by(|a, b| a.username.cmp(&b.username));
    out
}

/// Ranks the candidates of `usernames` for an entity and takes `need`; `None` when there are
/// fewer.
pub fn rank(seed: &str, uscc: &str, usernames: &[&str], need: u32) -> Vec<String> {
    let mut ranked: Vec<(String, &str)> = usernames
        .iter()
        .map(|u| (inspector_key(seed, uscc, u), *u))
        .collect();
    ranked.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| a.cmp(b)));
    ranked
        .into_iter()
        .take(need as usize)
        .map(|(_, u)| u.to_string())
        .collect()
}

/// Assigns inspectors to each selected entity (see the module docs). Refused: an empty pool,
/// zero inspectors per entity, an entity with fewer candidates than needed (the first such in
/// USCC order is named).
pub fn assign(
    selected: &[Entry],
    rules: &AssignRules,
    seed: &str,
) -> Result<Vec<Assigned>, DrawError> {
    if rules.pool.is_empty() {
        return Err(DrawError::EmptyPool);
    }
    if rules.inspectors_per_entity == 0 {
        return Err(DrawError::NoInspectorsPerEntity);
    }
    let mut out = Vec::with_capacity(selected.len());
    for e in selected {
        let excluded = exclusions(e, rules);
        let out_names: BTreeSet<&str> = excluded.iter().map(|x| x.username.as_str()).collect();
        let mut candidates: Vec<&str> = rules
            .pool
            .iter()
            .map(|m| m.username.as_str())
            .filter(|u| !out_names.contains(u))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        if candidates.len() < rules.inspectors_per_entity as usize {
            return Err(DrawError::TooFewInspectors {
                uscc: e.uscc.clone(),
                have: candidates.len(),
                need: rules.inspectors_per_entity,
            });
        }
        out.push(Assigned {
            uscc: e.uscc.clone(),
            class: e.class,
            district: e.district,
            inspectors: rank(seed, &e.uscc, &candidates, rules.inspectors_per_entity),
            excluded,
        });
    }
    Ok(out)
}

/// The whole draw: [`select`], then [`assign`].
pub fn draw(
    population: &[Entry],
    ratios: &Ratios,
    seed: &str,
    rules: &AssignRules,
) -> Result<Vec<Assigned>, DrawError> {
    if rules.pool.is_empty() {
        return Err(DrawError::EmptyPool);
    }
    let selected = select(population, ratios, seed)?;
    assign(&selected, rules, seed)
}

/// The population's size per class.
pub fn class_counts(population: &[Entry]) -> BTreeMap<CreditClass, usize> {
    let mut counts = BTreeMap::new();
    for e in population {
        *counts.entry(e.class).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: &str) -> DistrictCode {
        DistrictCode::parse(code).unwrap()
    }

    fn entry(uscc: &str, class: CreditClass, district: &str) -> Entry {
        Entry {
            uscc: uscc.into(),
            class,
            district: d(district),
        }
    }

    #[test]
    fn ratios_are_exact_decimals_in_zero_to_one() {
        assert_eq!(Ratio::parse("0.03"), Some(Ratio(300)));
        assert_eq!(Ratio::parse("3%"), Some(Ratio(300)));
        assert_eq!(Ratio::parse("2.5%"), Some(Ratio(250)));
        assert_eq!(Ratio::parse(".1"), Some(Ratio(1000)));
        assert_eq!(Ratio::parse("1"), Some(Ratio(10_000)));
        assert_eq!(Ratio::parse("100%"), Some(Ratio(10_000)));
        assert_eq!(Ratio::parse("0.0001"), Some(Ratio(1)));
        for bad in [
            "0", "0.0", "1.01", "-0.1", "0.00001", "abc", "", "%", ".", "1e-2", "0.1.2",
        ] {
            assert_eq!(Ratio::parse(bad), None, "{bad}");
        }
        assert_eq!(Ratio(300).to_string(), "0.03");
        assert_eq!(Ratio(1000).to_string(), "0.1");
        assert_eq!(Ratio(10_000).to_string(), "1");
        assert_eq!(Ratio(1).to_string(), "0.0001");
    }

    #[test]
    fn the_count_is_the_ceiling_in_whole_numbers() {
        // 0.1 × 30 is 3 exactly (a float would say 3.0000000000000004 and take 4).
        assert_eq!(Ratio(1000).take(30), 3);
        assert_eq!(Ratio(1000).take(31), 4);
        assert_eq!(Ratio(300).take(1), 1);
        assert_eq!(Ratio(300).take(0), 0);
        assert_eq!(Ratio(7000).take(10), 7);
        assert_eq!(Ratio(10_000).take(5), 5);
    }

    #[test]
    fn keys_are_sha256_of_the_parts_joined_by_a_zero_byte() {
        // printf 'S\0U' | sha256sum
        assert_eq!(entity_key("S", "U"), hex::encode(Sha256::digest(b"S\0U")));
        assert_eq!(
            inspector_key("S", "U", "li"),
            hex::encode(Sha256::digest(b"S\0U\0li"))
        );
        // A fixed vector, checked with `printf 'demo\0x' | sha256sum`.
        assert_eq!(
            entity_key("demo", "x"),
            "b34943f309dfac4b6148ef150d313cd49d1a79ea8e9ebafaaa57590a4d36cb14"
        );
    }

    /// The worked example of docs/sampling.md.
    fn example() -> Vec<Entry> {
        vec![
            entry("91450103MA5KA00001", CreditClass::A, "450103"),
            entry("91450103MA5KA00002", CreditClass::A, "450103"),
            entry("91450103MA5KA00003", CreditClass::A, "450102"),
            entry("91450103MA5KA00004", CreditClass::C, "450102"),
            entry("91450103MA5KA00005", CreditClass::C, "450103"),
        ]
    }

    #[test]
    fn the_documented_example_draws_what_the_documentation_says() {
        let ratios = Ratios(BTreeMap::from([
            (CreditClass::A, Ratio(3000)),
            (CreditClass::C, Ratio(5000)),
        ]));
        let selected = select(&example(), &ratios, "2026-12-05").unwrap();
        // Class A: 3 entries × 0.3 → 1; class C: 2 × 0.5 → 1. The keys are in the docs.
        assert_eq!(
            entity_key("2026-12-05", "91450103MA5KA00002"),
            "083141f5a5a40089b13b71e938797e1378a74f4d7518aa27be208a465ef03bf3"
        );
        assert_eq!(selected.len(), 2);
        assert_eq!(
            selected
                .iter()
                .filter(|e| e.class == CreditClass::A)
                .count(),
            1
        );
        assert_eq!(
            selected
                .iter()
                .filter(|e| e.class == CreditClass::C)
                .count(),
            1
        );
        assert_eq!(
            selected.iter().map(|e| e.uscc.as_str()).collect::<Vec<_>>(),
            EXAMPLE_SELECTED
        );
        let rules = AssignRules {
            pool: vec![
                PoolMember {
                    username: "li".into(),
                    districts: vec![d("450103")],
                },
                PoolMember {
                    username: "wang".into(),
                    districts: vec![d("450102")],
                },
                PoolMember {
                    username: "zhao".into(),
                    districts: vec![],
                },
                PoolMember {
                    username: "chen".into(),
                    districts: vec![],
                },
            ],
            exclude_same_district: true,
            case_officers: BTreeMap::from([(
                EXAMPLE_SELECTED[1].to_string(),
                BTreeSet::from(["zhao".to_string()]),
            )]),
            inspectors_per_entity: 2,
        };
        let assigned = assign(&selected, &rules, "2026-12-05").unwrap();
        assert_eq!(
            assigned
                .iter()
                .map(|a| a.inspectors.clone())
                .collect::<Vec<_>>(),
            EXAMPLE_INSPECTORS
                .iter()
                .map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
        // No one with a conflict is among the inspectors.
        for a in &assigned {
            for x in &a.excluded {
                assert!(!a.inspectors.contains(&x.username));
            }
        }
    }

    /// Computed by hand with `sha256sum` (docs/sampling.md, "A worked example").
    const EXAMPLE_SELECTED: [&str; 2] = ["91450103MA5KA00002", "91450103MA5KA00004"];
    const EXAMPLE_INSPECTORS: [[&str; 2]; 2] = [["wang", "zhao"], ["li", "chen"]];

    #[test]
    fn the_draw_is_a_function_of_its_inputs_only() {
        let pop: Vec<Entry> = (0..200)
            .map(|i| {
                let class = CreditClass::ALL[i % 4];
                entry(&format!("9145010300000{i:05}"), class, "450103")
            })
            .collect();
        let ratios = Ratios::local_scheme();
        let a = select(&pop, &ratios, "seed-1").unwrap();
        let mut shuffled = pop.clone();
        shuffled.reverse();
        assert_eq!(select(&shuffled, &ratios, "seed-1").unwrap(), a);
        assert_ne!(select(&pop, &ratios, "seed-2").unwrap(), a);
        // 50 per class: A ⌈1.5⌉ = 2, B 5, C 15, D 35.
        let counts = class_counts(&a);
        assert_eq!(counts[&CreditClass::A], 2);
        assert_eq!(counts[&CreditClass::B], 5);
        assert_eq!(counts[&CreditClass::C], 15);
        assert_eq!(counts[&CreditClass::D], 35);
        assert!(a.windows(2).all(|w| w[0].uscc < w[1].uscc));
    }

    #[test]
    fn bad_input_is_refused() {
        let ratios = Ratios::local_scheme();
        assert_eq!(select(&[], &ratios, "s"), Err(DrawError::EmptyPopulation));
        assert_eq!(select(&example(), &ratios, ""), Err(DrawError::EmptySeed));
        let mut twice = example();
        twice.push(example()[0].clone());
        assert!(matches!(
            select(&twice, &ratios, "s"),
            Err(DrawError::DuplicateEntity { .. })
        ));
        let only_a = Ratios(BTreeMap::from([(CreditClass::A, Ratio(300))]));
        assert_eq!(
            select(&example(), &only_a, "s"),
            Err(DrawError::MissingRatio {
                class: CreditClass::C
            })
        );
        let rules = AssignRules {
            pool: vec![],
            exclude_same_district: false,
            case_officers: BTreeMap::new(),
            inspectors_per_entity: 2,
        };
        assert_eq!(
            draw(&example(), &ratios, "s", &rules),
            Err(DrawError::EmptyPool)
        );
        let rules = AssignRules {
            pool: vec![
                PoolMember {
                    username: "li".into(),
                    districts: vec![d("450103")],
                },
                PoolMember {
                    username: "wang".into(),
                    districts: vec![],
                },
            ],
            exclude_same_district: true,
            ..rules
        };
        let selected = vec![example()[0].clone()];
        assert_eq!(
            assign(&selected, &rules, "s"),
            Err(DrawError::TooFewInspectors {
                uscc: "91450103MA5KA00001".into(),
                have: 1,
                need: 2
            })
        );
    }
}
