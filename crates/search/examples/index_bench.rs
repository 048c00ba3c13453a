//! Indexes N synthetic register entities with Chinese names and reports indexing throughput
//! and query latency percentiles.
//!
//! ```text
//! cargo run --release -p wangjian-search --example index_bench -- [N] [DIR]
//! ```
//!
//! N defaults to 100,000. With DIR the index is written there (it must be a scratch
//! directory: it is wiped), otherwise into a temporary directory.

use search::{EntityDoc, Query, SearchIndex, What};
use std::time::{Duration, Instant};

const PLACES: [&str; 12] = [
    "青秀区",
    "兴宁区",
    "江南区",
    "西乡塘区",
    "良庆区",
    "邕宁区",
    "武鸣区",
    "横州市",
    "宾阳县",
    "上林县",
    "马山县",
    "隆安县",
];
const KINDS: [&str; 10] = [
    "商行",
    "餐饮店",
    "食品有限公司",
    "便利店",
    "科技有限公司",
    "贸易有限公司",
    "电子商务有限公司",
    "超市",
    "药店",
    "服装店",
];
const DISTRICTS: [&str; 12] = [
    "450103", "450102", "450105", "450107", "450108", "450109", "450110", "450181", "450126",
    "450125", "450124", "450123",
];
/// Characters commonly found in shop names.
const CHARS: &str = "鑫源华盛恒达金桥瑞丰嘉禾宏图百川新锐博远天成润泽永兴福隆祥和昌盛顺发利民\
                     康泰安富贵荣万家友谊红星光明东方南北中西宇宙日月星辰山水林木春夏秋冬美味佳香";

/// A small deterministic generator (SplitMix64), so runs are reproducible without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn entity(i: u64, rng: &mut Rng, chars: &[char]) -> EntityDoc {
    let place = rng.below(PLACES.len());
    let word: String = (0..2 + rng.below(3))
        .map(|_| chars[rng.below(chars.len())])
        .collect();
    let name = format!(
        "南宁市{}{}{}",
        PLACES[place],
        word,
        KINDS[rng.below(KINDS.len())]
    );
    EntityDoc {
        id: i as i64,
        uscc: format!("9145{:02}00MA{:08}", place, i),
        name,
        former_names: if i.is_multiple_of(10) {
            vec![format!("南宁市{}旧号{}", PLACES[place], word)]
        } else {
            Vec::new()
        },
        domains: if i.is_multiple_of(5) {
            vec![format!("waimai.test/shop/{i}")]
        } else {
            Vec::new()
        },
        icps: Vec::new(),
        addresses: vec![format!(
            "广西南宁市{}{}路{}号",
            PLACES[place],
            chars[rng.below(chars.len())],
            rng.below(500) + 1
        )],
        phones: vec![format!("0771-{}", 2_000_000 + rng.below(7_000_000))],
        legal_rep: Some(format!(
            "{}{}",
            chars[rng.below(chars.len())],
            chars[rng.below(chars.len())]
        )),
        district: DISTRICTS[place].to_string(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let scratch;
    let dir = match args.next() {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            scratch = tempfile::tempdir()?;
            scratch.path().join("search")
        }
    };
    let chars: Vec<char> = CHARS.chars().collect();

    let index = SearchIndex::open(&dir)?;
    let mut rng = Rng(42);
    let started = Instant::now();
    let mut writer = index.writer()?;
    writer.clear()?;
    for i in 0..n {
        writer.upsert_entity(&entity(i, &mut rng, &chars))?;
    }
    let added = started.elapsed();
    writer.commit(&format!("bench-{n}"))?;
    let total = started.elapsed();
    println!(
        "indexed {n} entities: {:.1} s (adding {:.1} s, commit+merge {:.1} s), {:.0} docs/s",
        total.as_secs_f64(),
        added.as_secs_f64(),
        (total - added).as_secs_f64(),
        n as f64 / total.as_secs_f64()
    );

    // Query mix: names, partial names, single characters, scoped queries, identifiers.
    let mut qrng = Rng(7);
    let mut queries: Vec<Query> = Vec::new();
    for _ in 0..2_000 {
        let e = entity(qrng.below(n as usize) as u64, &mut qrng, &chars);
        let name: Vec<char> = e.name.chars().collect();
        let q = match qrng.below(6) {
            0 => Query::new(e.name.clone()),
            1 => Query::new(name[6..name.len().min(10)].iter().collect::<String>()),
            2 => Query::new(name[name.len() - 4..].iter().collect::<String>()),
            3 => Query::new(chars[qrng.below(chars.len())].to_string()),
            4 => Query::new(e.name.clone()).district(e.district.clone()),
            _ => Query::new(e.uscc.clone()),
        };
        queries.push(q.what(What::Entities));
    }
    // Warm up the page cache and the reader.
    for q in queries.iter().take(200) {
        index.search(q)?;
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut hits = 0usize;
    for q in &queries {
        let t = Instant::now();
        hits += index.search(q)?.len();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{} queries ({} hits): p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        times.len(),
        hits,
        percentile(&times, 0.50),
        percentile(&times, 0.90),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );
    Ok(())
}
