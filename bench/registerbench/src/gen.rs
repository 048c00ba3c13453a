//! `gen`: a synthetic Nanning register in the import format, and name-search queries drawn from it.
//!
//! Entity `i` is a function of `(seed, i)` only. USCCs are valid GB 32100 codes (embedded
//! organisation-code check and mod-31 check) and unique: the 8 organisation-code body characters
//! are `i` through a bijection of `0..31^8`, written in the USCC alphabet. Names follow the usual
//! shape (area prefix + 2–3 "brand" characters from a small set of common ones + industry +
//! company form), so names share bigrams the way a real register's do.

use std::fs::File;
use std::io::{BufWriter, Write};

use crate::{Args, Rng};

/// The 31 symbols of GB 32100; a symbol's value is its index.
pub const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// GB 11714 value of an organisation-code character: 0–9 → 0–9, A–Z → 10–35.
fn org_value(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => (c - b'0') as u32,
        b'A'..=b'Z' => (c - b'A') as u32 + 10,
        _ => panic!("not an organisation-code character: {c}"),
    }
}

/// The check character of an 8-character organisation-code body.
pub fn org_check(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(ORG_WEIGHTS)
        .map(|(&c, w)| org_value(c) * w)
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        d => b'0' + d as u8,
    }
}

/// The 18th (check) character of the first 17 characters of a USCC.
pub fn uscc_check(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(&c, w)| {
            USCC_ALPHABET
                .iter()
                .position(|&a| a == c)
                .expect("USCC alphabet") as u32
                * w
        })
        .sum();
    USCC_ALPHABET[((31 - sum % 31) % 31) as usize]
}

/// A valid USCC: authority 9, `category` (b'1' enterprise, b'2' individual business), the
/// 6-digit division, and an organisation code whose body is `serial` (< 31^8) in base 31.
pub fn uscc(category: u8, district: &str, serial: u64) -> String {
    let mut s = Vec::with_capacity(18);
    s.push(b'9');
    s.push(category);
    s.extend_from_slice(district.as_bytes());
    let mut body = [b'0'; 8];
    let mut n = serial;
    for c in body.iter_mut().rev() {
        *c = USCC_ALPHABET[(n % 31) as usize];
        n /= 31;
    }
    s.extend_from_slice(&body);
    s.push(org_check(&body));
    let c18 = uscc_check(&s);
    s.push(c18);
    String::from_utf8(s).expect("ASCII")
}

const BODY_SPACE: u64 = 852_891_037_441; // 31^8
/// Serial of entity `i`: a bijection of 0..31^8 (multiplier coprime with 31), so codes are unique
/// and do not look sequential.
fn serial(i: u64) -> u64 {
    (i.wrapping_mul(387_420_489) + 12_345_678_901) % BODY_SPACE
}

/// (code, name, weight) of Nanning's divisions; urban districts hold most businesses.
const DISTRICTS: &[(&str, &str, u64)] = &[
    ("450102", "兴宁区", 10),
    ("450103", "青秀区", 18),
    ("450105", "江南区", 12),
    ("450107", "西乡塘区", 16),
    ("450108", "良庆区", 9),
    ("450109", "邕宁区", 5),
    ("450110", "武鸣区", 6),
    ("450123", "隆安县", 3),
    ("450124", "马山县", 3),
    ("450125", "上林县", 3),
    ("450126", "宾阳县", 6),
    ("450181", "横州市", 6),
];

/// Characters common in Chinese trade names ("字号").
const BRAND: &[&str] = &[
    "华", "盛", "鑫", "源", "达", "兴", "恒", "泰", "昌", "隆", "富", "丰", "嘉", "佳", "和", "顺",
    "通", "宏", "鸿", "金", "银", "瑞", "祥", "福", "康", "安", "宁", "新", "联", "创", "科", "汇",
    "邦", "信", "诚", "德", "美", "优", "品", "尚", "东", "南", "西", "北", "中", "天", "海", "星",
    "光", "明", "辉", "启", "航", "远", "博", "智", "腾", "越", "广", "众", "合", "利", "益", "春",
    "云", "山", "水", "林", "森", "绿", "壮", "桂", "邕", "江", "湖", "凯", "旺", "发", "万", "千",
    "百", "亿", "宇", "宙", "龙", "凤", "鹏", "骏", "锦", "绣", "诺", "贝", "欧", "亚", "方", "圆",
    "正", "好", "乐", "悦", "欣", "喜", "友", "邻", "家", "园", "力", "实", "赢", "致", "远", "卓",
    "越", "图", "腾", "弘", "扬", "永", "久", "长", "青", "翠", "荣", "耀", "英", "杰", "俊", "豪",
    "盈", "满", "润", "泽", "晨", "曦", "朗", "诗", "雅", "逸", "峰", "岭", "田", "禾",
];

const ENTERPRISE_INDUSTRY: &[&str] = &[
    "商贸",
    "贸易",
    "电子商务",
    "食品",
    "科技",
    "网络科技",
    "信息技术",
    "餐饮管理",
    "农业科技",
    "医药",
    "文化传媒",
    "建材",
    "家居用品",
    "服饰",
    "母婴用品",
    "茶业",
    "酒业",
    "物流",
    "生物科技",
    "健康管理",
    "农产品",
    "供应链管理",
    "广告",
    "教育咨询",
    "电子",
    "化妆品",
    "水果",
    "汽车服务",
];
const FOOD_INDUSTRY: &[&str] = &["食品", "餐饮管理", "茶业", "酒业", "农产品", "水果"];
const INDIVIDUAL_SHOP: &[&str] = &[
    "商行",
    "便利店",
    "副食店",
    "餐馆",
    "批发部",
    "经营部",
    "服装店",
    "水果店",
    "粉店",
    "小吃店",
    "手机店",
    "五金店",
    "茶叶店",
    "母婴店",
    "电器行",
    "网店",
];
const FOOD_SHOP: &[&str] = &[
    "便利店",
    "副食店",
    "餐馆",
    "水果店",
    "粉店",
    "小吃店",
    "茶叶店",
];

const SURNAMES: &[&str] = &[
    "李", "王", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "梁", "郑", "谢", "韦", "覃", "莫", "蒙", "陆", "卢", "蓝", "农", "潘",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "文", "玲", "建", "国", "海", "燕", "志", "红",
];
const ROADS: &[&str] = &[
    "民族",
    "朝阳",
    "友爱",
    "新民",
    "七星",
    "园湖",
    "竹溪",
    "金湖",
    "东葛",
    "中华",
    "大学东",
    "明秀",
    "北湖",
    "安吉",
    "星光",
    "白沙",
    "亭洪",
    "五象",
    "凤翔",
    "仙葫",
    "长湖",
    "南湖",
    "桃源",
    "古城",
    "人民",
    "衡阳",
    "秀厢",
    "江北",
    "那洪",
    "邕武",
    "建政",
    "科园",
];

pub struct Entity {
    pub uscc: String,
    pub name: String,
    /// The "brand" characters in the middle of the name.
    pub brand: String,
    pub industry: &'static str,
    pub kind: &'static str,
    pub district: &'static str,
    pub address: String,
    pub domains: String,
    pub icp: String,
    pub food_permit: String,
    pub legal_rep: String,
    pub phone: String,
}

/// How many of `n` entities are platforms (`mall-1.test` …): the first ones.
pub fn platforms(n: u64) -> u64 {
    (n / 50_000).clamp(1, 50)
}

fn pick_district(r: &mut Rng) -> (&'static str, &'static str) {
    let total: u64 = DISTRICTS.iter().map(|d| d.2).sum();
    let mut x = r.below(total);
    for &(code, name, w) in DISTRICTS {
        if x < w {
            return (code, name);
        }
        x -= w;
    }
    unreachable!()
}

/// Entity `i` of `n` for `seed`.
pub fn entity(seed: u64, n: u64, i: u64) -> Entity {
    let mut r = Rng::for_item(seed, 1, i);
    let nplat = platforms(n);
    let kind = if i < nplat {
        "platform"
    } else {
        match r.below(100) {
            0..=19 => "platform_shop",
            20..=49 => "trading_site",
            _ => "non_trading_site",
        }
    };
    let individual = kind != "platform" && r.chance(0.35);
    let (district, dname) = pick_district(&mut r);
    let city_level = dname.ends_with('区');

    let mut brand = String::new();
    for _ in 0..2 + r.below(2) {
        brand.push_str(r.pick(BRAND));
    }
    let industry: &'static str = if kind == "platform" {
        r.pick(&["网络科技", "电子商务", "信息技术"])
    } else if individual {
        r.pick(INDIVIDUAL_SHOP)
    } else {
        r.pick(ENTERPRISE_INDUSTRY)
    };
    let prefix = if individual {
        match r.below(100) {
            0..=59 => dname.to_string(),
            60..=84 if city_level => format!("南宁市{dname}"),
            60..=84 => dname.to_string(),
            _ => String::new(),
        }
    } else {
        match r.below(100) {
            0..=39 if city_level => format!("南宁市{dname}"),
            0..=39 => dname.to_string(),
            40..=64 => "南宁".to_string(),
            65..=84 => "广西".to_string(),
            _ => "南宁市".to_string(),
        }
    };
    let form = if individual {
        ""
    } else {
        match r.below(100) {
            0..=84 => "有限公司",
            85..=96 => "有限责任公司",
            _ => "股份有限公司",
        }
    };
    let name = format!("{prefix}{brand}{industry}{form}");

    let address = format!(
        "广西南宁市{dname}{}路{}号{}",
        r.pick(ROADS),
        1 + r.below(300),
        if r.chance(0.4) {
            format!(
                "{}栋{}室",
                1 + r.below(20),
                (1 + r.below(30)) * 100 + 1 + r.below(12)
            )
        } else {
            String::new()
        }
    );
    let domains = match kind {
        "platform" => format!("mall-{}.test", i + 1),
        "platform_shop" => format!("mall-{}.test/shop/{}", 1 + r.below(nplat), 100_000 + i),
        _ if r.chance(0.08) => format!("s{i}.test;m-s{i}.test"),
        _ => format!("s{i}.test"),
    };
    let icp = if kind == "platform" || (kind != "platform_shop" && r.chance(0.55)) {
        // 10-digit serial beginning with the year; unique for i < 10^6 (7919 is coprime with 10).
        let year = 2010 + r.below(15);
        format!("桂ICP备{year}{:06}号-1", (i * 7919 + 13) % 1_000_000)
    } else {
        String::new()
    };
    let food = FOOD_INDUSTRY.contains(&industry) || FOOD_SHOP.contains(&industry);
    let food_permit = if r.chance(if food { 0.9 } else { 0.03 }) {
        // JY + business form 2 + province 45 + city 01 + county + 6-digit sequence + 1 digit.
        format!(
            "JY24501{}{:06}{}",
            &district[4..6],
            r.below(1_000_000),
            r.below(10)
        )
    } else {
        String::new()
    };
    let mut legal_rep = r.pick(SURNAMES).to_string();
    for _ in 0..1 + r.below(2) {
        legal_rep.push_str(r.pick(GIVEN));
    }
    let phone = if r.chance(0.6) {
        format!("1{}{:09}", r.pick(&[3, 5, 7, 8, 9]), r.below(1_000_000_000))
    } else {
        format!("0771-{}{:06}", 2 + r.below(7), r.below(1_000_000))
    };
    Entity {
        uscc: uscc(if individual { b'2' } else { b'1' }, district, serial(i)),
        name,
        brand,
        industry,
        kind,
        district,
        address,
        domains,
        icp,
        food_permit,
        legal_rep,
        phone,
    }
}

pub const HEADER: &str = "uscc,name,kind,district,address,domains,icp,food_permit,legal_rep,phone";

/// RFC 4180 field (generated values never need quoting, but stay correct if they do).
fn field(out: &mut String, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

pub fn csv_line(e: &Entity, out: &mut String) {
    for (k, v) in [
        &e.uscc,
        &e.name,
        e.kind,
        e.district,
        &e.address,
        &e.domains,
        &e.icp,
        &e.food_permit,
        &e.legal_rep,
        &e.phone,
    ]
    .into_iter()
    .enumerate()
    {
        if k > 0 {
            out.push(',');
        }
        field(out, v);
    }
    out.push('\n');
}

/// Query `k`: a random entity's name, whole (30 %), or a 2–4 character part of it: its brand
/// characters (35 %), brand + the first two characters of its industry (30 %), or the first
/// two characters of its industry alone (5 %: broad two-character names such as 商贸 or 食品,
/// which a large share of the register shares).
pub fn query(seed: u64, n: u64, k: u64) -> String {
    let mut r = Rng::for_item(seed, 2, k);
    let e = entity(seed, n, r.below(n));
    match r.below(20) {
        0..=5 => e.name,
        6..=12 => e.brand,
        19 => e.industry.chars().take(2).collect(),
        _ => {
            let mut q = e.brand.clone();
            let room = 4 - q.chars().count().min(3);
            q.extend(e.industry.chars().take(room.max(1)));
            q
        }
    }
}

pub fn run(a: &Args) -> Result<(), String> {
    let n: u64 = a.num("--entities", 0)?;
    if n == 0 || n > 10_000_000 {
        return Err("--entities N (1..=10,000,000) is required".into());
    }
    let seed: u64 = a.num("--seed", 1)?;
    let out = a.req("--output")?;
    let t0 = std::time::Instant::now();
    let mut w = BufWriter::with_capacity(
        1 << 20,
        File::create(out).map_err(|e| format!("{out}: {e}"))?,
    );
    let mut line = String::with_capacity(512);
    let io = |e: std::io::Error| format!("{out}: {e}");
    writeln!(w, "{HEADER}").map_err(io)?;
    for i in 0..n {
        line.clear();
        csv_line(&entity(seed, n, i), &mut line);
        w.write_all(line.as_bytes()).map_err(io)?;
    }
    w.flush().map_err(io)?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    let mut qcount = 0;
    if let Some(qpath) = a.str("--queries") {
        qcount = a.num("--query-count", 10_000u64)?;
        let qio = |e: std::io::Error| format!("{qpath}: {e}");
        let mut q = BufWriter::new(File::create(qpath).map_err(qio)?);
        for k in 0..qcount {
            writeln!(q, "{}", query(seed, n, k)).map_err(qio)?;
        }
        q.flush().map_err(qio)?;
    }
    println!(
        "gen entities {n} seed {seed} bytes {bytes} queries {qcount} secs {:.2} file {out}",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn recheck(u: &str) -> bool {
        let b = u.as_bytes();
        b.len() == 18 && org_check(&b[8..16]) == b[16] && uscc_check(&b[..17]) == b[17]
    }

    #[test]
    fn check_characters_match_the_test_vectors() {
        let mut vectors: Vec<String> = [
            "91110000600037341L",
            "91340600MA2PBM9HXD",
            "92340602MA2PBMEM24",
            "91350100M000100Y43",
            "9135052155323005XL",
        ]
        .map(String::from)
        .to_vec();
        let path = std::env::var("USCC_VECTORS").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/uscc/valid.txt").into()
        });
        match std::fs::read_to_string(&path) {
            Ok(text) => vectors.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from),
            ),
            Err(e) => eprintln!("{path}: {e}; checking the five spec vectors only"),
        }
        for v in &vectors {
            assert!(recheck(v), "{v}");
        }
        assert!(!recheck("91110000600037341N"));
    }

    #[test]
    fn generated_codes_are_valid_unique_and_in_nanning() {
        let n = 100_000;
        let mut seen = HashSet::new();
        for i in 0..n {
            let e = entity(7, n, i);
            assert!(recheck(&e.uscc), "{}", e.uscc);
            assert!(
                e.uscc.bytes().all(|c| USCC_ALPHABET.contains(&c)),
                "{}",
                e.uscc
            );
            assert!(e.uscc.starts_with("91") || e.uscc.starts_with("92"));
            assert_eq!(&e.uscc[2..8], e.district);
            assert!(seen.insert(e.uscc.clone()), "duplicate {}", e.uscc);
            if !e.food_permit.is_empty() {
                assert_eq!(e.food_permit.len(), 16);
                assert!(e.food_permit[2..].bytes().all(|c| c.is_ascii_digit()));
            }
            if !e.icp.is_empty() {
                let digits: String = e.icp.chars().filter(char::is_ascii_digit).collect();
                assert_eq!(digits.len(), 11, "{}", e.icp); // 10-digit serial + site number 1
            }
        }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a: Vec<String> = (0..50).map(|i| entity(3, 1000, i).name).collect();
        let b: Vec<String> = (0..50).map(|i| entity(3, 1000, i).name).collect();
        let c: Vec<String> = (0..50).map(|i| entity(4, 1000, i).name).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(query(3, 1000, 5), query(3, 1000, 5));
        let mut line = String::new();
        csv_line(&entity(3, 1000, 0), &mut line);
        assert_eq!(line.split(',').count(), HEADER.split(',').count(), "{line}");
    }

    #[test]
    fn queries_are_parts_of_names() {
        for k in 0..500 {
            let q = query(9, 5000, k);
            let mut r = Rng::for_item(9, 2, k);
            let name = entity(9, 5000, r.below(5000)).name;
            assert!(name.contains(&q), "{q} in {name}");
            let len = q.chars().count();
            assert!(len >= 2 && (len <= 4 || q == name), "{q}");
        }
    }
}
