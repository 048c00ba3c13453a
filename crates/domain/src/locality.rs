//! Whether a site is in the city: the city's profile ([`City`]: names, districts, division
//! prefix, telephone area codes, the ICP province) and the indicators that place what a site
//! shows ([`Shown`]) or what a CT certificate's subject says in it ([`Indicator`]).
//!
//! Each indicator is structured (its kind and the value that matched), never a sentence; the
//! console labels them by [`Indicator::code`]. This module decides nothing about a site: the
//! caller weighs the indicators.
//!
//! What counts:
//! - **USCC**: a valid code whose division (characters 3–8) starts with the city's division
//!   prefix (`4501` for Nanning). The division is frozen at issue, so a code issued under a
//!   former county (450122 武鸣县) still counts.
//! - **ICP number**: issued by the city's province (`桂`); for a public-security filing
//!   (`桂公网安备45010202000123号`), whose serial begins with the filing's county, that county
//!   must be in the city. A province is wider than a city: this is the weakest indicator.
//! - **Phone**: a fixed line with one of the city's area codes (`0771`), in any form
//!   [`crate::phone::normalize_phone`] reads. Mobiles carry no place.
//! - **Address** and **organization name**: the text names the city or one of its districts,
//!   or has the city's pinyin as a word ([`City::names_place`]).
//!
//! Names and ambiguity. A district name counts on its own only when no other place in China
//! bears it: names that are shared ([`SHARED_NAMES`]: 江南区 is also a common word, 兴宁 is a
//! city in Guangdong, 马山 and 上林 are towns elsewhere) are left out of
//! [`City::district_names`], so an address with one of them counts only when it also names
//! the city (`南宁市江南区` counts, `江南区星光大道` does not). Short forms (`青秀` for 青秀区) are
//! kept when they have two characters or more and are not shared. Two guards apply to every
//! match: a name followed by 路, 街, 巷, 大道 or 大街 is a street named after the place, found in
//! any city (`上海市南宁路`), and a short form must start the text or follow a non-Han
//! character, a province name, or 省/市/区/县 (`河南宁陵县` does not name 南宁).

use crate::district::DistrictTable;
use crate::icp::{Icp, IcpKind};
use crate::phone::area_code;
use crate::text::fold_width;
use crate::uscc::Uscc;
use serde::{Deserialize, Serialize};

/// A city's profile: what places a site in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct City {
    /// The city's full name, `南宁市`.
    pub name: String,
    /// The name without its suffix, `南宁`.
    pub short: String,
    /// The first four digits of its division codes, `4501`.
    pub division_prefix: String,
    /// Names of its districts and counties, present and former, full (`青秀区`) and short
    /// (`青秀`), that place an address in the city on their own; shared names are left out
    /// (see the module's documentation).
    pub district_names: Vec<String>,
    /// Telephone area codes, `["0771"]`.
    pub area_codes: Vec<String>,
    /// The province abbreviation ICP numbers begin with, `桂`.
    pub icp_province: char,
    /// The city's name in lower-case pinyin, as certificates write `L=`: `nanning`.
    pub pinyin: String,
}

/// What a site shows (plain input; the caller fills it from its own types).
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown<'a> {
    pub addresses: &'a [String],
    pub phones: &'a [String],
    pub icps: &'a [String],
    pub usccs: &'a [String],
    /// Operator and organisation names.
    pub names: &'a [String],
}

/// One indicator that a site is in the city: its kind and the value that matched, as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Indicator {
    /// An address naming the city or one of its districts.
    Address(String),
    /// A fixed line with the city's area code (national form, `0771-5551234`).
    Phone(String),
    /// An ICP number of the city's province (canonical form).
    Icp(String),
    /// A USCC issued in the city.
    Uscc(String),
    /// An organisation name (a page's operator, a certificate's `O=`) naming the city or a
    /// district.
    Organization(String),
    /// A certificate's `L=` naming the city.
    Locality(String),
}

impl Indicator {
    /// The stable code of the indicator's kind.
    pub fn code(&self) -> &'static str {
        match self {
            Indicator::Address(_) => "address",
            Indicator::Phone(_) => "phone",
            Indicator::Icp(_) => "icp",
            Indicator::Uscc(_) => "uscc",
            Indicator::Organization(_) => "organization",
            Indicator::Locality(_) => "locality",
        }
    }

    /// The value that matched.
    pub fn value(&self) -> &str {
        match self {
            Indicator::Address(v)
            | Indicator::Phone(v)
            | Indicator::Icp(v)
            | Indicator::Uscc(v)
            | Indicator::Organization(v)
            | Indicator::Locality(v) => v,
        }
    }
}

/// The 31 provinces: the first two digits of their division codes, the abbreviation ICP
/// numbers begin with (MIIT's: 蜀 for Sichuan, 陇 for Gansu), and the name addresses use.
pub const PROVINCES: &[(&str, char, &str)] = &[
    ("11", '京', "北京"),
    ("12", '津', "天津"),
    ("13", '冀', "河北"),
    ("14", '晋', "山西"),
    ("15", '蒙', "内蒙古"),
    ("21", '辽', "辽宁"),
    ("22", '吉', "吉林"),
    ("23", '黑', "黑龙江"),
    ("31", '沪', "上海"),
    ("32", '苏', "江苏"),
    ("33", '浙', "浙江"),
    ("34", '皖', "安徽"),
    ("35", '闽', "福建"),
    ("36", '赣', "江西"),
    ("37", '鲁', "山东"),
    ("41", '豫', "河南"),
    ("42", '鄂', "湖北"),
    ("43", '湘', "湖南"),
    ("44", '粤', "广东"),
    ("45", '桂', "广西"),
    ("46", '琼', "海南"),
    ("50", '渝', "重庆"),
    ("51", '蜀', "四川"),
    ("52", '黔', "贵州"),
    ("53", '滇', "云南"),
    ("54", '藏', "西藏"),
    ("61", '陕', "陕西"),
    ("62", '陇', "甘肃"),
    ("63", '青', "青海"),
    ("64", '宁', "宁夏"),
    ("65", '新', "新疆"),
];

/// Second abbreviations some ICP numbers are written with: `(written, MIIT's)`.
const ICP_ALIASES: &[(char, char)] = &[('川', '蜀'), ('甘', '陇'), ('贵', '黔'), ('云', '滇')];

/// District names, full or short, that do not place an address in one city on their own:
/// another prefecture has a division of that name, or the name is a common word. Names in this
/// list count only through the city's own name.
pub const SHARED_NAMES: &[&str] = &[
    "江南区",
    "江南",
    "兴宁",
    "马山",
    "上林",
    "城区",
    "郊区",
    "新区",
    "东区",
    "西区",
    "南区",
    "北区",
    "中区",
    "新城区",
    "老城区",
    "城关区",
    "城中区",
    "市中区",
    "东城区",
    "西城区",
    "城东区",
    "城西区",
    "城南区",
    "城北区",
    "河东区",
    "河西区",
    "江北区",
    "鼓楼区",
    "和平区",
    "朝阳区",
    "普陀区",
    "新华区",
    "桥西区",
    "桥东区",
    "长安区",
    "青山区",
    "白云区",
    "铁西区",
    "铁东区",
    "西湖区",
    "龙华区",
    "向阳区",
    "宝山区",
    "高新区",
    "开发区",
];

/// Suffixes of a city's name (longest first).
const CITY_SUFFIXES: &[&str] = &["自治州", "地区", "市", "盟"];
/// Suffixes of a district's name (longest first).
const DISTRICT_SUFFIXES: &[&str] = &["自治县", "区", "县", "市", "旗"];
/// What follows a place name in a street's name.
const STREET_WORDS: &[&str] = &["大道", "大街", "路", "街", "巷"];
/// Words after a place's pinyin that make it a street's name.
const PINYIN_STREET_WORDS: &[&str] = &[
    "road", "rd", "street", "st", "avenue", "ave", "lu", "jie", "dadao",
];
/// What may stand right before a short name: the end of a larger division's name.
const BEFORE_SHORT: &[&str] = &["省", "市", "区", "县", "中国"];

/// The province of a division prefix: `(ICP abbreviation, name)`.
fn province(prefix: &str) -> Option<(char, &'static str)> {
    let two = prefix.get(..2)?;
    PROVINCES
        .iter()
        .find(|(code, _, _)| *code == two)
        .map(|&(_, abbr, name)| (abbr, name))
}

fn strip_suffix<'a>(name: &'a str, suffixes: &[&str]) -> Option<&'a str> {
    suffixes
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .filter(|rest| rest.chars().count() >= 2)
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

impl City {
    /// From a district table ([`DistrictTable`]): the row whose code ends in `00` (and not
    /// `0000`) is the city, every other row under its first four digits a district (former ones
    /// too: old addresses and codes still name them); the ICP abbreviation comes from the
    /// first two digits ([`PROVINCES`]). `None` when the table has no city row or the province
    /// is unknown.
    pub fn from_table(t: &DistrictTable, area_codes: Vec<String>, pinyin: &str) -> Option<City> {
        let city = t.all().iter().find(|d| {
            let code = d.code.to_string();
            code.ends_with("00") && !code.ends_with("0000")
        })?;
        let code = city.code.to_string();
        let prefix = code[..4].to_string();
        let (icp_province, _) = province(&prefix)?;
        let short = strip_suffix(&city.name, CITY_SUFFIXES)
            .unwrap_or(&city.name)
            .to_string();
        let mut district_names: Vec<String> = Vec::new();
        let mut add = |n: &str| {
            if !SHARED_NAMES.contains(&n) && !district_names.iter().any(|d| d == n) {
                district_names.push(n.to_string());
            }
        };
        for d in t.all() {
            if d.code == city.code || !d.code.to_string().starts_with(&prefix) {
                continue;
            }
            if SHARED_NAMES.contains(&d.name.as_str()) {
                continue; // its short form is no better (城中区, 城中)
            }
            add(&d.name);
            if let Some(s) = strip_suffix(&d.name, DISTRICT_SUFFIXES) {
                add(s);
            }
        }
        Some(City {
            name: city.name.clone(),
            short,
            division_prefix: prefix,
            district_names,
            area_codes,
            icp_province,
            pinyin: pinyin.trim().to_lowercase(),
        })
    }

    /// Nanning: the shipped district table, area code 0771.
    pub fn nanning() -> City {
        City::from_table(&DistrictTable::nanning(), vec!["0771".into()], "nanning")
            .expect("the shipped table has the city row")
    }

    /// The indicators among what a site shows, in the order addresses, phones, ICP numbers,
    /// USCCs, names; each value once.
    pub fn indicators(&self, shown: &Shown) -> Vec<Indicator> {
        let mut out: Vec<Indicator> = Vec::new();
        let mut push = |i: Indicator| {
            if !out.contains(&i) {
                out.push(i);
            }
        };
        for a in shown.addresses.iter().filter(|a| self.names_place(a)) {
            push(Indicator::Address(a.clone()));
        }
        for p in shown.phones {
            if let Some(code) = area_code(p) {
                if self.area_codes.contains(&code) {
                    let n = crate::phone::normalize_phone(p).expect("area_code normalised it");
                    push(Indicator::Phone(n));
                }
            }
        }
        for i in shown.icps {
            if let Ok(icp) = Icp::parse(i) {
                if self.icp_in_city(&icp) {
                    push(Indicator::Icp(icp.to_string()));
                }
            }
        }
        for u in shown.usccs {
            if let Ok(code) = Uscc::parse(u) {
                if code.division().starts_with(&self.division_prefix) {
                    push(Indicator::Uscc(code.as_str().to_string()));
                }
            }
        }
        for n in shown.names.iter().filter(|n| self.names_place(n)) {
            push(Indicator::Organization(n.clone()));
        }
        out
    }

    /// Whether a CT certificate's subject places it in the city: `O` names the city or a
    /// district ([`City::names_place`]), else `L` is the city — its Chinese name, short name,
    /// or pinyin (case-insensitive, `Nanning`, `NANNING CITY`, `Nanning Shi`, `Nanning,
    /// Guangxi`) — or one of its districts.
    pub fn subject_in_city(
        &self,
        organization: Option<&str>,
        locality: Option<&str>,
    ) -> Option<Indicator> {
        if let Some(o) = organization.filter(|o| self.names_place(o)) {
            return Some(Indicator::Organization(o.to_string()));
        }
        let l = locality?;
        let folded: String = l.chars().map(fold_width).collect::<String>().to_lowercase();
        let hit = folded.split([',', '，', '/']).any(|part| {
            let p = part.trim();
            let p = p
                .strip_suffix(" city")
                .or_else(|| p.strip_suffix(" shi"))
                .or_else(|| p.strip_suffix("shi").filter(|r| *r == self.pinyin))
                .unwrap_or(p)
                .trim();
            !p.is_empty()
                && (p == self.pinyin
                    || p == self.name
                    || p == self.short
                    || self.district_names.iter().any(|d| d == p))
        });
        hit.then(|| Indicator::Locality(l.to_string()))
    }

    /// Whether a text (an address, an organisation's name) names the city or one of its
    /// districts, with the guards of the module's documentation: not as a street's name, and a
    /// short form not inside another place's name. The city's pinyin counts as a whole word
    /// (`Nanning Hengda Technology Co., Ltd.`), not before a street word (`Nanning Road`).
    pub fn names_place(&self, text: &str) -> bool {
        let folded: String = text.chars().map(fold_width).collect();
        let words: Vec<String> = folded
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let pinyin = words.iter().enumerate().any(|(i, w)| {
            *w == self.pinyin
                && !words
                    .get(i + 1)
                    .is_some_and(|next| PINYIN_STREET_WORDS.contains(&next.as_str()))
        });
        if pinyin {
            return true;
        }
        let t: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
        let full = |n: &str| DISTRICT_SUFFIXES.iter().any(|s| n.ends_with(s)) || n == self.name;
        std::iter::once(self.name.as_str())
            .chain(std::iter::once(self.short.as_str()))
            .chain(self.district_names.iter().map(String::as_str))
            .filter(|n| !n.is_empty())
            .any(|n| {
                t.match_indices(n)
                    .any(|(at, _)| self.place_at(&t, at, n, !full(n)))
            })
    }

    /// Whether the name `n` found at byte `at` of `t` names the place.
    fn place_at(&self, t: &str, at: usize, n: &str, short: bool) -> bool {
        let after = &t[at + n.len()..];
        let street =
            STREET_WORDS.iter().any(|w| after.starts_with(w)) && !after.starts_with("街道");
        if street {
            return false;
        }
        if !short {
            return true;
        }
        let before = &t[..at];
        let Some(prev) = before.chars().next_back() else {
            return true;
        };
        if !is_han(prev) {
            return true;
        }
        let province_name = province(&self.division_prefix).map(|(_, name)| name);
        BEFORE_SHORT
            .iter()
            .copied()
            .chain(province_name)
            .chain([self.short.as_str()])
            .any(|w| before.ends_with(w))
    }

    /// An ICP number of the city's province; a public-security filing must also name a county
    /// of the city in its serial.
    fn icp_in_city(&self, icp: &Icp) -> bool {
        let p = icp.province();
        let p = ICP_ALIASES
            .iter()
            .find(|(written, _)| *written == p)
            .map_or(p, |&(_, miit)| miit);
        p == self.icp_province
            && (icp.kind() != IcpKind::PublicSecurity
                || icp.serial().starts_with(&self.division_prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn nanning_profile() {
        let c = City::nanning();
        assert_eq!(
            (
                c.name.as_str(),
                c.short.as_str(),
                c.division_prefix.as_str()
            ),
            ("南宁市", "南宁", "4501")
        );
        assert_eq!((c.icp_province, c.pinyin.as_str()), ('桂', "nanning"));
        assert_eq!(c.area_codes, strings(&["0771"]));
        for n in [
            "青秀区",
            "青秀",
            "西乡塘区",
            "西乡塘",
            "武鸣区",
            "武鸣县",
            "武鸣",
            "横县",
            "横州市",
            "横州",
            "兴宁区",
            "马山县",
            "上林县",
            "宾阳",
        ] {
            assert!(c.district_names.iter().any(|d| d == n), "{n} missing");
        }
        // Shared names and one-character short forms are left out.
        for n in ["江南区", "江南", "兴宁", "马山", "上林", "横", "南宁市"] {
            assert!(!c.district_names.iter().any(|d| d == n), "{n} present");
        }
    }

    #[test]
    fn from_table_other_province() {
        let t = DistrictTable::parse("450200\t柳州市\n450202\t城中区\n450203\t鱼峰区\n").unwrap();
        let c = City::from_table(&t, strings(&["0772"]), "Liuzhou").unwrap();
        assert_eq!((c.short.as_str(), c.pinyin.as_str()), ("柳州", "liuzhou"));
        assert_eq!(c.district_names, strings(&["鱼峰区", "鱼峰"]));
        let t = DistrictTable::parse("510100\t成都市\n510104\t锦江区\n").unwrap();
        assert_eq!(
            City::from_table(&t, vec![], "chengdu")
                .unwrap()
                .icp_province,
            '蜀'
        );
        let t = DistrictTable::parse("450103\t青秀区\n").unwrap();
        assert_eq!(City::from_table(&t, vec![], "nanning"), None);
    }

    #[test]
    fn addresses() {
        let c = City::nanning();
        let place = |s: &str| c.names_place(s);
        assert!(place("南宁市青秀区民族大道100号"));
        assert!(place("广西南宁星光大道1号"));
        assert!(place("青秀区民族大道100号"));
        assert!(place("武鸣区城厢镇"));
        assert!(place("横县横州镇"));
        assert!(place("西乡塘大学路1号"));
        assert!(place("南宁市江南区星光大道"));
        assert!(place("广西 南宁 兴宁区"));
        // Near misses.
        assert!(!place("柳州市城中区文昌路"));
        assert!(!place("江南区星光大道8号"));
        assert!(!place("上海市南宁路88号"));
        assert!(!place("北京市青秀路1号"));
        assert!(!place("河南宁陵县城关镇"));
        assert!(!place("广东省兴宁市"));
        assert!(!place("江苏省无锡市马山街道"));
        assert!(!place(""));
        // The pinyin as a word.
        assert!(place("Nanning Hengda Technology Co., Ltd."));
        assert!(place("No. 1 Minzu Avenue, NANNING, Guangxi"));
        assert!(!place("88 Nanning Road, Shanghai"));
        assert!(!place("Nanningtech Ltd"));
        assert!(!place("Liuzhou Co., Ltd."));
    }

    #[test]
    fn indicators_of_each_kind() {
        let c = City::nanning();
        let nanning_uscc = Uscc::complete("91450103", "MA5K1234").unwrap().to_string();
        let wuming_uscc = Uscc::complete("92450122", "L1234567").unwrap().to_string();
        let beijing_uscc = Uscc::complete("91110108", "MA5K1234").unwrap().to_string();
        let liuzhou_uscc = Uscc::complete("91450200", "MA5K1234").unwrap().to_string();
        let mut broken = nanning_uscc.clone();
        broken.replace_range(17.., if broken.ends_with('0') { "1" } else { "0" });
        let addresses = strings(&["南宁市青秀区民族大道100号", "柳州市城中区文昌路"]);
        let phones = strings(&[
            "(0771)5551234",
            "0772-5551234",
            "13800001234",
            "+86 771 5552345",
            "0771-5551234",
        ]);
        let icps = strings(&[
            "桂ICP备2017001234号-1",
            "京ICP备12345678号",
            "桂公网安备45010202000123号",
            "桂公网安备45020202000123号",
            "not an icp",
        ]);
        let usccs = vec![
            nanning_uscc.clone(),
            wuming_uscc.clone(),
            beijing_uscc,
            liuzhou_uscc,
            broken,
        ];
        let names = strings(&["南宁市青秀区某某商行", "柳州螺蛳粉有限公司"]);
        let shown = Shown {
            addresses: &addresses,
            phones: &phones,
            icps: &icps,
            usccs: &usccs,
            names: &names,
        };
        assert_eq!(
            c.indicators(&shown),
            vec![
                Indicator::Address("南宁市青秀区民族大道100号".into()),
                Indicator::Phone("0771-5551234".into()),
                Indicator::Phone("0771-5552345".into()),
                Indicator::Icp("桂ICP备2017001234号-1".into()),
                Indicator::Icp("桂公网安备45010202000123号".into()),
                Indicator::Uscc(nanning_uscc),
                Indicator::Uscc(wuming_uscc),
                Indicator::Organization("南宁市青秀区某某商行".into()),
            ]
        );
        assert!(c.indicators(&Shown::default()).is_empty());
    }

    #[test]
    fn icp_aliases() {
        let t = DistrictTable::parse("510100\t成都市\n").unwrap();
        let chengdu = City::from_table(&t, vec![], "chengdu").unwrap();
        let icps = strings(&[
            "川ICP备12345678号",
            "蜀ICP备12345679号",
            "桂ICP备12345678号",
        ]);
        let shown = Shown {
            icps: &icps,
            ..Shown::default()
        };
        assert_eq!(
            chengdu.indicators(&shown),
            vec![
                Indicator::Icp("川ICP备12345678号".into()),
                Indicator::Icp("蜀ICP备12345679号".into())
            ]
        );
    }

    #[test]
    fn certificate_subjects() {
        let c = City::nanning();
        let s = |o: Option<&str>, l: Option<&str>| c.subject_in_city(o, l);
        assert_eq!(
            s(Some("南宁市某某科技有限公司"), Some("Beijing")),
            Some(Indicator::Organization("南宁市某某科技有限公司".into()))
        );
        assert_eq!(
            s(Some("Example Ltd"), Some("Nanning")),
            Some(Indicator::Locality("Nanning".into()))
        );
        for l in [
            "NANNING",
            "nanning city",
            "Nanning Shi",
            "NanningShi",
            "Nanning, Guangxi",
            "南宁市",
            "南宁",
            "青秀区",
        ] {
            assert_eq!(s(None, Some(l)), Some(Indicator::Locality(l.into())), "{l}");
        }
        for l in ["Liuzhou", "柳州市", "Nanjing", "nanningx", ""] {
            assert_eq!(s(None, Some(l)), None, "{l}");
        }
        assert_eq!(s(Some("柳州某某有限公司"), Some("Liuzhou")), None);
        assert_eq!(
            s(Some("Nanning Hengda Technology Co., Ltd."), None),
            Some(Indicator::Organization(
                "Nanning Hengda Technology Co., Ltd.".into()
            ))
        );
        assert_eq!(s(None, None), None);
    }

    #[test]
    fn indicator_serde_and_codes() {
        let i = Indicator::Phone("0771-5551234".into());
        let json = serde_json::to_string(&i).unwrap();
        assert_eq!(json, r#"{"kind":"phone","value":"0771-5551234"}"#);
        assert_eq!(serde_json::from_str::<Indicator>(&json).unwrap(), i);
        let all = [
            Indicator::Address(String::new()),
            Indicator::Phone(String::new()),
            Indicator::Icp(String::new()),
            Indicator::Uscc(String::new()),
            Indicator::Organization(String::new()),
            Indicator::Locality(String::new()),
        ];
        let codes: Vec<&str> = all.iter().map(Indicator::code).collect();
        assert_eq!(
            codes,
            [
                "address",
                "phone",
                "icp",
                "uscc",
                "organization",
                "locality"
            ]
        );
        assert_eq!(Indicator::Uscc("x".into()).value(), "x");
    }
}
