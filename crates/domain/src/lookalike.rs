//! Look-alike hosts: which registered site a host imitates, and how ([`How`]).
//!
//! Hosts are compared by their registrable label, the label left of the public suffix
//! (`taobao` of `shop.taobao.com.cn`); [`SUFFIXES`] is a small built-in list (the generic and
//! Chinese suffixes sites here use), and a host under no listed suffix is read as if its last
//! label were one. A host with the same registrable domain as a registered host is the same
//! site (equal, `www.`, any subdomain) and imitates nothing; so does a host that is itself
//! registered.
//!
//! The ways, tried in this order, the first that holds answering:
//! 1. [`How::OtherSuffix`]: the same label under another suffix (`shop.com` → `shop.com.cn`).
//! 2. [`How::Homoglyph`]: a different label with the same *skeleton* — IDN labels (`xn--…`)
//!    decoded, Cyrillic and Greek letters that look Latin mapped to them, then `rn`→`m`,
//!    `vv`→`w`, `cl`→`d`, `0`→`o`, `1`/`i`→`l` (labels of 3 characters or more).
//! 3. [`How::AddedWord`]: a registered label with one of [`ADDED_WORDS`] or a run of digits
//!    before or after it, with or without a hyphen (`taobao-official`, `officialtaobao`,
//!    `taobao365`); the registered label has 3 characters or more.
//! 4. [`How::EditDistance`]: one edit (insertion, deletion, substitution or swap of neighbours)
//!    from a registered label of 5 characters or more, two edits from one of 10 or more;
//!    shorter labels collide too often.
//!
//! Cost: sorted tables of hashed domains, labels and skeletons, and symmetric-delete
//! neighbourhoods for edit distance (each registered label with every label one — or, when
//! long, two — deletions away; a candidate's own deletions are looked up, and each registered
//! label they lead to is verified once by computing the distance). No registered label is
//! compared with every candidate. Every table holds 8 bytes a key (a 32-bit hash and an
//! entry's number, [`ByHash`]), each label's neighbourhood once, and a hit is verified against
//! its entry, so a collision costs a comparison, never a wrong answer. The two-deletion
//! neighbourhoods are most of the index: about 100 keys for a label of 14 characters, some
//! 100 MB for 91,000 such hosts (a province's register).

use serde::{Deserialize, Serialize};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// Public suffixes known here, compared label-wise from the right, longest first.
pub const SUFFIXES: &[&str] = &[
    "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn", "mil.cn", "bj.cn", "sh.cn", "tj.cn",
    "cq.cn", "he.cn", "sx.cn", "nm.cn", "ln.cn", "jl.cn", "hl.cn", "js.cn", "zj.cn", "ah.cn",
    "fj.cn", "jx.cn", "sd.cn", "ha.cn", "hb.cn", "hn.cn", "gd.cn", "gx.cn", "hi.cn", "sc.cn",
    "gz.cn", "yn.cn", "xz.cn", "sn.cn", "gs.cn", "qh.cn", "nx.cn", "xj.cn", "com.hk", "com.tw",
    "co.uk", "com", "cn", "net", "org", "gov", "edu", "info", "biz", "top", "xyz", "shop", "vip",
    "test", "site", "online", "store", "club", "wang", "ren", "tech", "fun", "ink", "link", "ltd",
    "work", "cc", "co", "io", "me", "tv", "mobi", "asia", "hk", "tw", "中国", "公司", "网络",
    "在线", "网址",
];

/// Words a look-alike adds to a registered label, before or after it.
pub const ADDED_WORDS: &[&str] = &[
    "official", "shop", "store", "mall", "online", "vip", "cn", "china", "gov", "service", "kefu",
    "app",
];

/// Registrable labels shorter than this are left out of edit-distance matching.
const EDIT_MIN: usize = 5;
/// Registrable labels this long or longer match at distance 2.
const EDIT2_MIN: usize = 10;
/// Shortest label compared by skeleton, and shortest label a word may be added to.
const WORD_MIN: usize = 3;

/// How a host imitates a registered one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum How {
    /// Edits from the registered label: 1, or 2 for labels of 10 characters or more.
    EditDistance(u8),
    /// Characters that look alike (`0`/`o`, `rn`/`m`, Cyrillic `а`/`a`, …).
    Homoglyph,
    /// The registered label with a word or digits added, as written (`-official`, `365`).
    AddedWord(String),
    /// The same label under another public suffix.
    OtherSuffix,
}

impl How {
    /// A stable code, as in the JSON form's `kind`.
    pub fn code(&self) -> &'static str {
        match self {
            How::EditDistance(_) => "edit_distance",
            How::Homoglyph => "homoglyph",
            How::AddedWord(_) => "added_word",
            How::OtherSuffix => "other_suffix",
        }
    }
}

/// The registered site a host imitates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imitation {
    /// The registered host, as given to [`LookalikeIndex::new`].
    pub host: String,
    /// Its owner.
    pub owner: i64,
    pub how: How,
}

#[derive(Debug, Clone)]
struct Entry {
    host: String,
    owner: i64,
    label: String,
    suffix: String,
}

/// Entries by a 32-bit hash of a key of theirs, as `hash << 32 | entry`, sorted. Hashes of
/// different keys may be equal: a hit is a candidate, verified against its entry.
#[derive(Debug, Clone, Default)]
struct ByHash(Vec<u64>);

impl ByHash {
    fn push(&mut self, hash: u64, entry: u32) {
        self.0.push((hash >> 32) << 32 | u64::from(entry));
    }

    /// Sorted and deduplicated, its spare capacity given back.
    fn seal(&mut self) {
        self.0.sort_unstable();
        self.0.dedup();
        self.0.shrink_to_fit();
    }

    /// The entries filed under `hash`, in the order of their numbers.
    fn get(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let key = hash >> 32;
        let start = self.0.partition_point(|&x| x >> 32 < key);
        self.0[start..]
            .iter()
            .take_while(move |&&x| x >> 32 == key)
            .map(|&x| x as u32)
    }
}

/// Registered hosts, indexed for [`LookalikeIndex::imitates`].
#[derive(Debug, Clone, Default)]
pub struct LookalikeIndex {
    /// Sorted by registrable domain, then by host depth (the bare domain and `www.` first),
    /// host and owner, so answers do not depend on the input's order.
    entries: Vec<Entry>,
    /// Registrable domains (`label.suffix`) of the registered hosts.
    domains: ByHash,
    /// Registrable labels.
    labels: ByHash,
    /// Skeletons of labels of [`WORD_MIN`]+ characters.
    skeletons: ByHash,
    /// Labels of [`EDIT_MIN`]+ characters and their one-deletion variants.
    deletes1: ByHash,
    /// Labels of [`EDIT2_MIN`]+ characters and their variants up to two deletions.
    deletes2: ByHash,
}

/// A host read for comparison: registrable label and suffix.
struct Parsed {
    label: String,
    suffix: String,
}

impl Parsed {
    fn domain(&self) -> String {
        format!("{}.{}", self.label, self.suffix)
    }
}

/// Lower case, no port or trailing dot, IDN decoded; `None` for an IP address or no host.
fn clean(host: &str) -> Option<String> {
    let mut h = host.trim().trim_end_matches('.').to_lowercase();
    if let Some((name, port)) = h.rsplit_once(':') {
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !name.contains(':') {
            h = name.to_string();
        }
    }
    if h.is_empty() || h.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    if !h.is_ascii() || h.split('.').any(|l| l.starts_with("xn--")) {
        let (unicode, result) = idna::domain_to_unicode(&h);
        if result.is_ok() {
            h = unicode;
        }
    }
    Some(h)
}

fn parse(host: &str) -> Option<Parsed> {
    let h = clean(host)?;
    let labels: Vec<&str> = h.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() < 2 {
        return None;
    }
    let suffix_len = SUFFIXES
        .iter()
        .map(|s| s.split('.').count())
        .filter(|&n| n < labels.len())
        .filter(|&n| {
            let tail = labels[labels.len() - n..].join(".");
            SUFFIXES.contains(&tail.as_str())
        })
        .max()
        .unwrap_or(1);
    let at = labels.len() - suffix_len - 1;
    Some(Parsed {
        label: labels[at].to_string(),
        suffix: labels[at + 1..].join("."),
    })
}

/// Cyrillic and Greek letters that look like Latin ones.
fn confusable(c: char) -> char {
    match c {
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ї' | 'ι' | 'ı' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'н' | 'η' => 'n',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' | 'μ' => 'u',
        'ν' | 'ѵ' => 'v',
        'ш' | 'ω' | 'ԝ' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        'ᴢ' => 'z',
        _ => c,
    }
}

/// The label as it looks: see the module's documentation.
fn skeleton(label: &str) -> String {
    let latin: String = label.chars().map(confusable).collect();
    latin
        .replace("rn", "m")
        .replace("vv", "w")
        .replace("cl", "d")
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' => 'l',
            c => c,
        })
        .collect()
}

fn hash<T: Hash + ?Sized>(key: &T) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// The string and every string up to `depth` character deletions away, hashed (a string
/// reached by deleting in either order is given twice).
fn deletions(chars: &[char], depth: usize, out: &mut Vec<u64>) {
    out.push(hash(chars));
    if depth == 0 {
        return;
    }
    let mut seen_prev: Option<char> = None;
    let mut v = Vec::with_capacity(chars.len());
    for i in 0..chars.len() {
        // Deleting either of two equal neighbours gives the same string.
        if seen_prev == Some(chars[i]) {
            continue;
        }
        seen_prev = Some(chars[i]);
        v.clear();
        v.extend_from_slice(&chars[..i]);
        v.extend_from_slice(&chars[i + 1..]);
        deletions(&v, depth - 1, out);
    }
}

/// Optimal string alignment distance (insertions, deletions, substitutions, swaps of
/// neighbours), or `None` when it exceeds `max`.
fn distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Three rows of the table (two back, one back, this one), on the stack for a DNS label's
    // length; the answer is known to exceed `max` once a whole row does.
    const SMALL: usize = 128;
    let w = b.len() + 1;
    let mut small = [0usize; 3 * SMALL];
    let mut large = Vec::new();
    let rows: &mut [usize] = if w <= SMALL {
        &mut small[..3 * w]
    } else {
        large.resize(3 * w, 0);
        &mut large
    };
    let (mut two, mut one, mut this) = (0, w, 2 * w);
    for (j, cell) in rows[one..one + w].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[this] = i;
        let mut least = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[one + j] + 1)
                .min(rows[this + j - 1] + 1)
                .min(rows[one + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[two + j - 2] + 1);
            }
            rows[this + j] = v;
            least = least.min(v);
        }
        if least > max {
            return None;
        }
        (two, one, this) = (one, this, two);
    }
    Some(rows[one + b.len()]).filter(|&n| n <= max)
}

impl LookalikeIndex {
    /// From (registered host, owner id) pairs. Hosts that are no domain (an IP address, a
    /// single label) are left out.
    pub fn new(registered: impl IntoIterator<Item = (String, i64)>) -> LookalikeIndex {
        let mut rows: Vec<(String, i64, Parsed)> = registered
            .into_iter()
            .filter_map(|(host, owner)| parse(&host).map(|p| (host, owner, p)))
            .collect();
        let key = |r: &(String, i64, Parsed)| {
            let depth = r.0.trim_start_matches("www.").matches('.').count();
            (r.2.domain(), depth, r.0.clone(), r.1)
        };
        rows.sort_by_cached_key(key);
        rows.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        // The neighbourhood tables are the index's bulk: sized before they are filled, so that
        // they never hold twice their size while growing.
        let mut index = LookalikeIndex::default();
        let (mut one, mut two) = (0, 0);
        for (_, _, p) in &rows {
            let n = p.label.chars().count();
            one += if n >= EDIT_MIN { n + 1 } else { 0 };
            two += if n >= EDIT2_MIN {
                1 + n + n * (n - 1) / 2
            } else {
                0
            };
        }
        index.deletes1.0.reserve_exact(one);
        index.deletes2.0.reserve_exact(two);
        let mut buf = Vec::new();
        for (i, (host, owner, p)) in rows.into_iter().enumerate() {
            let i = i as u32;
            index.domains.push(hash(&p.domain()), i);
            index.labels.push(hash(p.label.as_str()), i);
            let chars: Vec<char> = p.label.chars().collect();
            if chars.len() >= WORD_MIN {
                index.skeletons.push(hash(skeleton(&p.label).as_str()), i);
            }
            let n = chars.len();
            if n >= EDIT_MIN {
                buf.clear();
                deletions(&chars, 1, &mut buf);
                for &h in &buf {
                    index.deletes1.push(h, i);
                }
            }
            if n >= EDIT2_MIN {
                buf.clear();
                deletions(&chars, 2, &mut buf);
                // Deleting two characters in either order gives the same string: once a label.
                buf.sort_unstable();
                buf.dedup();
                for &h in &buf {
                    index.deletes2.push(h, i);
                }
            }
            index.entries.push(Entry {
                host,
                owner,
                label: p.label,
                suffix: p.suffix,
            });
        }
        for table in [
            &mut index.domains,
            &mut index.labels,
            &mut index.skeletons,
            &mut index.deletes1,
            &mut index.deletes2,
        ] {
            table.seal();
        }
        index.entries.shrink_to_fit();
        index
    }

    /// How many registered hosts the index holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The registered host a candidate imitates, and how; `None` for the same site (equal host,
    /// a subdomain of it, `www.`), a registered site, or nothing similar.
    pub fn imitates(&self, host: &str) -> Option<Imitation> {
        let p = parse(host)?;
        let same_domain = |i: u32| {
            let e = &self.entries[i as usize];
            e.label == p.label && e.suffix == p.suffix
        };
        if self.domains.get(hash(&p.domain())).any(same_domain) {
            return None;
        }
        let answer = |i: u32, how: How| {
            let e = &self.entries[i as usize];
            Imitation {
                host: e.host.clone(),
                owner: e.owner,
                how,
            }
        };
        if let Some(i) = self.label(&p.label) {
            return Some(answer(i, How::OtherSuffix));
        }
        let chars: Vec<char> = p.label.chars().collect();
        if chars.len() >= WORD_MIN {
            let shape = skeleton(&p.label);
            if let Some(i) = self
                .skeletons
                .get(hash(shape.as_str()))
                .find(|&i| skeleton(&self.entries[i as usize].label) == shape)
            {
                return Some(answer(i, How::Homoglyph));
            }
        }
        if let Some((i, word)) = self.added_word(&p.label) {
            return Some(answer(i, How::AddedWord(word)));
        }
        self.edited(&chars)
            .map(|(i, n)| answer(i, How::EditDistance(n as u8)))
    }

    /// The first entry whose registrable label is `label`.
    fn label(&self, label: &str) -> Option<u32> {
        self.labels
            .get(hash(label))
            .find(|&i| self.entries[i as usize].label == label)
    }

    /// A registered label the candidate is with a word or digits added.
    fn added_word(&self, label: &str) -> Option<(u32, String)> {
        let registered = |rest: &str| -> Option<u32> {
            let rest = rest.trim_matches('-');
            if rest.chars().count() < WORD_MIN {
                return None;
            }
            self.label(rest)
        };
        // The word as written: with the hyphen that joins it, if any.
        let after = |rest: &str, w: &str| match rest.ends_with('-') {
            true => format!("-{w}"),
            false => w.to_string(),
        };
        let before = |rest: &str, w: &str| match rest.starts_with('-') {
            true => format!("{w}-"),
            false => w.to_string(),
        };
        let mut tries: Vec<(&str, String)> = Vec::new();
        for &w in ADDED_WORDS {
            if let Some(rest) = label.strip_suffix(w) {
                tries.push((rest, after(rest, w)));
            }
            if let Some(rest) = label.strip_prefix(w) {
                tries.push((rest, before(rest, w)));
            }
        }
        let digit = |c: char| c.is_ascii_digit();
        let rest = label.trim_end_matches(digit);
        if rest.len() < label.len() {
            tries.push((rest, after(rest, &label[rest.len()..])));
        }
        let rest = label.trim_start_matches(digit);
        if rest.len() < label.len() {
            tries.push((rest, before(rest, &label[..label.len() - rest.len()])));
        }
        tries
            .into_iter()
            .find_map(|(rest, word)| registered(rest).map(|i| (i, word)))
    }

    /// The registered label nearest the candidate within the allowed distance: the smallest
    /// distance, then the first entry.
    fn edited(&self, chars: &[char]) -> Option<(u32, usize)> {
        if chars.len() < EDIT_MIN {
            return None;
        }
        // Each entry a key leads to, once, its distance computed.
        let nearest = |table: &ByHash, mut keys: Vec<u64>, max: usize| -> Option<(usize, u32)> {
            keys.sort_unstable();
            keys.dedup();
            let mut hits: Vec<u32> = keys.iter().flat_map(|&h| table.get(h)).collect();
            hits.sort_unstable();
            hits.dedup();
            let mut label = Vec::new();
            hits.into_iter()
                .filter_map(|i| {
                    label.clear();
                    label.extend(self.entries[i as usize].label.chars());
                    distance(chars, &label, max)
                        .filter(|&n| n > 0)
                        .map(|n| (n, i))
                })
                .min()
        };
        let mut keys = Vec::new();
        deletions(chars, 1, &mut keys);
        let best = nearest(&self.deletes1, keys, 1).or_else(|| {
            (chars.len() + 2 >= EDIT2_MIN)
                .then(|| {
                    let mut keys = Vec::new();
                    deletions(chars, 2, &mut keys);
                    nearest(&self.deletes2, keys, 2)
                })
                .flatten()
        });
        best.map(|(n, i)| (i, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> LookalikeIndex {
        LookalikeIndex::new([
            ("www.nanningfood.com".to_string(), 1),
            ("paypal.com".to_string(), 2),
            ("taobao.com".to_string(), 3),
            ("shop.com".to_string(), 4),
            ("guangxibeibuwan.cn".to_string(), 5),
            ("modern.com.cn".to_string(), 6),
            ("abc.cn".to_string(), 7),
            ("shop.taobao.com".to_string(), 8),
        ])
    }

    fn how(host: &str) -> Option<(String, i64, How)> {
        index().imitates(host).map(|m| (m.host, m.owner, m.how))
    }

    fn is(host: &str, registered: &str, owner: i64, h: How) {
        assert_eq!(
            how(host),
            Some((registered.to_string(), owner, h)),
            "{host}"
        );
    }

    #[test]
    fn same_site_imitates_nothing() {
        for h in [
            "nanningfood.com",
            "www.nanningfood.com",
            "m.nanningfood.com",
            "WWW.NanningFood.com.",
            "nanningfood.com:8080",
            "taobao.com",
            "item.taobao.com",
            "abc.cn",
            "unrelated-site.com",
            "127.0.0.1",
            "localhost",
            "",
        ] {
            assert_eq!(how(h), None, "{h}");
        }
    }

    #[test]
    fn other_suffix() {
        is("shop.com.cn", "shop.com", 4, How::OtherSuffix);
        is("shop.cn", "shop.com", 4, How::OtherSuffix);
        is("www.shop.test", "shop.com", 4, How::OtherSuffix);
        is(
            "nanningfood.gx.cn",
            "www.nanningfood.com",
            1,
            How::OtherSuffix,
        );
        is("abc.com", "abc.cn", 7, How::OtherSuffix);
        // The bare domain answers before a subdomain registered under the same domain.
        is("taobao.com.cn", "taobao.com", 3, How::OtherSuffix);
    }

    #[test]
    fn homoglyphs() {
        is("paypa1.com", "paypal.com", 2, How::Homoglyph);
        is("paypai.cn", "paypal.com", 2, How::Homoglyph);
        is("nanningf00d.com", "www.nanningfood.com", 1, How::Homoglyph);
        is("rnodern.com.cn", "modern.com.cn", 6, How::Homoglyph);
        // Cyrillic а in pаypal, as punycode and as Unicode.
        let idn = idna::domain_to_ascii("p\u{430}ypal.com").unwrap();
        assert!(idn.starts_with("xn--"), "{idn}");
        is(&idn, "paypal.com", 2, How::Homoglyph);
        is("p\u{430}ypal.com", "paypal.com", 2, How::Homoglyph);
        // Greek ο in taοbaο.
        is(
            &idna::domain_to_ascii("ta\u{3bf}ba\u{3bf}.net").unwrap(),
            "taobao.com",
            3,
            How::Homoglyph,
        );
    }

    #[test]
    fn added_words() {
        let w = |s: &str| How::AddedWord(s.to_string());
        is("taobao-official.com", "taobao.com", 3, w("-official"));
        is("official-taobao.cn", "taobao.com", 3, w("official-"));
        is("taobaoshop.com", "taobao.com", 3, w("shop"));
        is("nanningfood-kefu.com", "www.nanningfood.com", 1, w("-kefu"));
        is("taobao365.com", "taobao.com", 3, w("365"));
        is("taobao-888.xyz", "taobao.com", 3, w("-888"));
        is("paypal2.com", "paypal.com", 2, w("2"));
        is("vippaypal.com", "paypal.com", 2, w("vip"));
        // Words on labels shorter than 3 characters are not matched (`ab` + `shop`).
        assert_eq!(how("abshop.com"), None);
    }

    #[test]
    fn edit_distance() {
        let e = |n| How::EditDistance(n);
        is("taoboa.com", "taobao.com", 3, e(1)); // swap
        is("taobo.com", "taobao.com", 3, e(1)); // deletion
        is("taobaoo.com", "taobao.com", 3, e(1)); // insertion
        is("taobap.com", "taobao.com", 3, e(1)); // substitution
        is("nanningfod.com", "www.nanningfood.com", 1, e(1));
        is("guangxibeibuwn.com", "guangxibeibuwan.cn", 5, e(1));
        is("guangxibebuwn.com", "guangxibeibuwan.cn", 5, e(2));
        // Two edits from a label shorter than 10, and labels shorter than 5, are not matched.
        assert_eq!(how("tabaoo.com"), None);
        assert_eq!(how("abd.cn"), None);
        assert_eq!(how("abcd.cn"), None);
    }

    #[test]
    fn distances() {
        let d = |a: &str, b: &str| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            distance(&a, &b, 3)
        };
        assert_eq!(d("taobao", "taobao"), Some(0));
        assert_eq!(d("taobao", "taboao"), Some(1));
        assert_eq!(d("taobao", "tobao"), Some(1));
        assert_eq!(d("kitten", "sitting"), Some(3));
        assert_eq!(d("abcdefgh", "hgfedcba"), None);
    }

    #[test]
    fn serializes() {
        let m = Imitation {
            host: "taobao.com".into(),
            owner: 3,
            how: How::AddedWord("-shop".into()),
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"host":"taobao.com","owner":3,"how":{"kind":"added_word","value":"-shop"}}"#
        );
        assert_eq!(
            serde_json::to_string(&How::Homoglyph).unwrap(),
            r#"{"kind":"homoglyph"}"#
        );
    }

    /// A deterministic generator of labels (no dependency on a random crate).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }

        fn label(&mut self) -> String {
            let len = 6 + (self.next() % 9) as usize;
            (0..len)
                .map(|_| (b'a' + (self.next() % 26) as u8) as char)
                .collect()
        }
    }

    /// Labels of a small alphabet, so that near ones are common.
    fn near_label(g: &mut Lcg) -> String {
        let len = 9 + (g.next() % 10) as usize;
        (0..len)
            .map(|_| (b'a' + (g.next() % 5) as u8) as char)
            .collect()
    }

    /// One random edit of any kind, anywhere (a swap of neighbours included).
    fn edit(g: &mut Lcg, chars: &mut Vec<char>) {
        let at = (g.next() as usize) % chars.len();
        let c = (b'a' + (g.next() % 6) as u8) as char;
        match g.next() % 4 {
            0 => chars[at] = c,
            1 => chars.insert(at, c),
            2 if chars.len() > 1 => {
                chars.remove(at);
            }
            _ if at + 1 < chars.len() => chars.swap(at, at + 1),
            _ => chars.push(c),
        }
    }

    #[test]
    fn edits_are_found_as_comparing_with_every_label_finds_them() {
        let mut g = Lcg(5);
        let registered: Vec<(String, i64)> = (0..400)
            .map(|i| (format!("{}.com", near_label(&mut g)), i))
            .collect();
        let index = LookalikeIndex::new(registered);
        let labels: Vec<Vec<char>> = index
            .entries
            .iter()
            .map(|e| e.label.chars().collect())
            .collect();
        // The nearest label by comparing with every one, by the same rule as `edited`.
        let every = |cand: &[char]| -> Option<(u32, usize)> {
            let best = |max: usize, min_len: usize| {
                labels
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.len() >= min_len)
                    .filter_map(|(i, l)| {
                        distance(cand, l, max)
                            .filter(|&n| n > 0)
                            .map(|n| (n, i as u32))
                    })
                    .min()
            };
            if cand.len() < EDIT_MIN {
                return None;
            }
            best(1, EDIT_MIN)
                .or_else(|| best(2, EDIT2_MIN))
                .map(|(n, i)| (i, n))
        };
        let mut twos = 0;
        for k in 0..3_000 {
            let mut cand = labels[k % labels.len()].clone();
            for _ in 0..1 + k % 2 {
                edit(&mut g, &mut cand);
            }
            let found = index.edited(&cand);
            let expected = every(&cand);
            twos += usize::from(matches!(expected, Some((_, 2))));
            assert_eq!(found, expected, "{}", cand.iter().collect::<String>());
        }
        // Two edits that leave a label two edits away are most of the second half's cases.
        assert!(twos > 500, "{twos}");
    }

    #[test]
    fn thirty_thousand_registered_hosts() {
        let mut g = Lcg(7);
        let suffixes = ["com", "cn", "com.cn", "net", "top"];
        let registered: Vec<(String, i64)> = (0..30_000)
            .map(|i| {
                let host = format!("{}.{}", g.label(), suffixes[i % suffixes.len()]);
                (host, i as i64)
            })
            .collect();
        let index = LookalikeIndex::new(registered.clone());
        assert_eq!(index.len(), 30_000);
        // One substitution (by a letter no homoglyph rule touches) in every 30th host.
        for (host, owner) in registered.iter().step_by(30) {
            let (label, suffix) = host.split_once('.').unwrap();
            let mut chars: Vec<char> = label.chars().collect();
            chars[2] = if chars[2] == 'q' { 'x' } else { 'q' };
            let candidate: String = chars.into_iter().collect();
            let m = index
                .imitates(&format!("www.{candidate}.{suffix}"))
                .unwrap_or_else(|| panic!("{candidate} not found"));
            assert_eq!((&m.host, m.owner), (host, *owner), "{candidate}");
            assert_eq!(m.how, How::EditDistance(1));
            assert_eq!(index.imitates(&format!("shop.{host}")), None);
            assert_eq!(
                index
                    .imitates(&format!("{label}-official.xyz"))
                    .map(|m| m.how),
                Some(How::AddedWord("-official".into()))
            );
        }
        // Fresh long labels are like none of them.
        let mut fresh = Lcg(99);
        let mut flagged = 0;
        for _ in 0..2_000 {
            let label: String = format!("{}{}", fresh.label(), fresh.label());
            flagged += usize::from(index.imitates(&format!("{label}.com")).is_some());
        }
        assert_eq!(flagged, 0);
    }
}
