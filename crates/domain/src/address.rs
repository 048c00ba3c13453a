//! Where a site lives, and which site owns a URL.
//!
//! This module is the one place that decides it; every crate that asks "is this URL on that
//! site?" asks here. The rules:
//!
//! - a site is a host, or for a platform shop a host and the path prefix of the shop on it
//!   (`waimai.test/shop/8812`);
//! - hosts compare ASCII case-insensitively, without a trailing dot, and a bare domain and its
//!   `www.` name are one site (registers often list the bare domain of a site served on
//!   `www.`, and bare domains commonly redirect there); no other label is dropped
//!   (`www2.x` is not `x`);
//! - a prefix covers a path segment-wise: `/shop/88` covers `/shop/88` and `/shop/88/item/1`,
//!   never `/shop/8812`;
//! - among the sites on a URL's host, the one with the longest prefix that covers the URL's
//!   path owns it (a shop over its platform).
//!
//! Web archive keys (SURT, as pywb computes them) follow pywb's own canonicalisation and are
//! not site identity; they stay with the evidence.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a registered site lives: a host, and for a platform shop the path prefix of the shop
/// on that host. The register's `domains` column holds these in canonical form
/// (`a.example`, `waimai.example/shop/8812`): lower-case host without scheme, port or trailing
/// dot; a prefix starting with `/`, without trailing `/`, query or fragment. The host is kept
/// as written (`www.` included); [`SiteAddress::site_key`] is the site's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SiteAddress {
    pub host: String,
    /// Empty for a whole host.
    pub path_prefix: String,
}

/// Why a text is not a site address, with the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?}: {problem}")]
pub struct SiteAddressError {
    pub input: String,
    pub problem: SiteAddressProblem,
}

/// What is wrong with a site address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteAddressProblem {
    #[error("no hostname")]
    NoHost,
    #[error("give the hostname without a port")]
    Port,
    #[error("write an internationalised hostname in its xn-- (punycode) form")]
    NotAscii,
    #[error("hostname longer than 253 characters")]
    TooLong,
    #[error("not a fully qualified hostname")]
    NotQualified,
    #[error("not a valid hostname (label {0:?})")]
    Label(String),
    #[error("a shop path may not hold spaces, a query or a fragment")]
    PathCharacters,
    #[error("empty path segment")]
    EmptySegment,
}

impl SiteAddress {
    /// Parses `host` or `host/path` as a register shows it; an `http://` or `https://` scheme
    /// is tolerated and dropped.
    pub fn parse(s: &str) -> Result<SiteAddress, SiteAddressError> {
        let fail = |problem| SiteAddressError {
            input: s.to_string(),
            problem,
        };
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        let rest = ["http://", "https://"]
            .iter()
            .find_map(|p| lower.starts_with(p).then(|| &t[p.len()..]))
            .unwrap_or(t);
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        if host.is_empty() {
            return Err(fail(SiteAddressProblem::NoHost));
        }
        if host.contains(':') {
            return Err(fail(SiteAddressProblem::Port));
        }
        if !host.is_ascii() {
            return Err(fail(SiteAddressProblem::NotAscii));
        }
        if host.len() > 253 {
            return Err(fail(SiteAddressProblem::TooLong));
        }
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() < 2 {
            return Err(fail(SiteAddressProblem::NotQualified));
        }
        for l in &labels {
            let ok = !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-');
            if !ok {
                return Err(fail(SiteAddressProblem::Label(l.to_string())));
            }
        }
        if path.contains(['?', '#']) || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail(SiteAddressProblem::PathCharacters));
        }
        if path.contains("//") {
            return Err(fail(SiteAddressProblem::EmptySegment));
        }
        let path_prefix = path.trim_end_matches('/').to_string();
        Ok(SiteAddress { host, path_prefix })
    }

    /// The address of a site as a URL or a stored row names it, in canonical form (host
    /// lower-cased without trailing dot, prefix without trailing `/`). Not validated: for
    /// parts that were validated where they came from (a parsed URL, a register row).
    pub fn from_parts(host: &str, path_prefix: &str) -> SiteAddress {
        let host = host.trim();
        SiteAddress {
            host: host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase(),
            path_prefix: path_prefix.trim().trim_end_matches('/').to_string(),
        }
    }

    /// The site's identity: the address with a leading `www.` dropped from its host. Two
    /// addresses name one site exactly when their keys are equal.
    pub fn site_key(&self) -> SiteAddress {
        SiteAddress {
            host: bare_host(&self.host).to_ascii_lowercase(),
            path_prefix: self.path_prefix.clone(),
        }
    }

    /// True when a URL path lies under this address's prefix (segment-wise: `/shop/88` does
    /// not cover `/shop/8812`).
    pub fn covers(&self, path: &str) -> bool {
        prefix_covers(&self.path_prefix, path)
    }

    /// True when the URL with this host and path lies on this site: the same site's host
    /// (see [`same_site_host`]) and a path under the prefix.
    pub fn contains(&self, host: &str, path: &str) -> bool {
        same_site_host(&self.host, host) && self.covers(path)
    }
}

impl fmt::Display for SiteAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.host, self.path_prefix)
    }
}

impl FromStr for SiteAddress {
    type Err = SiteAddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SiteAddress::parse(s)
    }
}

/// The host without a leading `www.` (any case): `www.x` and `x` are one site.
pub fn bare_host(host: &str) -> &str {
    match host.get(..4) {
        Some(w) if w.eq_ignore_ascii_case("www.") && host.len() > 4 => &host[4..],
        _ => host,
    }
}

/// True when two hosts are one site's: equal ASCII case-insensitively once a trailing dot and
/// a leading `www.` are dropped from each.
pub fn same_site_host(a: &str, b: &str) -> bool {
    fn norm(h: &str) -> &str {
        bare_host(h.strip_suffix('.').unwrap_or(h))
    }
    norm(a).eq_ignore_ascii_case(norm(b))
}

/// True when `path` lies under `prefix`, segment-wise; a trailing `/` of the prefix is
/// ignored and an empty prefix covers every path.
pub fn prefix_covers(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The site that owns the URL at `host` and `path` among `sites`: of the sites on the URL's
/// host (`www.` ignored) whose prefix covers the path, the one with the longest prefix (a
/// platform shop `waimai.test/shop/8812` over the platform `waimai.test`). `address` gives a
/// site's host and path prefix.
pub fn owner<'a, T>(
    sites: impl IntoIterator<Item = &'a T>,
    address: impl Fn(&'a T) -> (&'a str, &'a str),
    host: &str,
    path: &str,
) -> Option<&'a T> {
    sites
        .into_iter()
        .map(|s| (s, address(s)))
        .filter(|(_, (h, prefix))| same_site_host(h, host) && prefix_covers(prefix, path))
        .max_by_key(|(_, (_, prefix))| prefix.trim_end_matches('/').len())
        .map(|(s, _)| s)
}

/// The key [`same_site_host`] compares hosts by: lower case, without a trailing dot and a
/// leading `www.` (two hosts are one site's exactly when their keys are equal). Borrowed when
/// the host is already lower case, as a parsed URL's is.
pub fn site_host_key(host: &str) -> std::borrow::Cow<'_, str> {
    let bare = bare_host(host.strip_suffix('.').unwrap_or(host));
    if bare.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(bare.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(bare)
    }
}

/// Sites indexed by host, for [`owner`] lookups whose cost does not grow with the number of
/// sites: a lookup weighs only the sites on the URL's host (a sweep over a province's 100,000
/// sites asks for the owner of every page and of every link on it). The decision stays
/// [`owner`]'s: the index only narrows the candidates to those it would accept anyway, in
/// their original order. It holds 16 bytes an item beside the items: the hash of each item's
/// host key and its place, sorted (items whose keys only share a hash are among the
/// candidates, and [`owner`] turns them away).
pub struct OwnerIndex<T> {
    items: Vec<T>,
    by_host: Vec<(u64, u32)>,
    address: fn(&T) -> (&str, &str),
}

/// The hash [`OwnerIndex`] files a host key under (fixed keys: the same in every run).
fn host_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl<T> OwnerIndex<T> {
    /// Indexes `items`; `address` gives an item's host and path prefix.
    pub fn new(items: Vec<T>, address: fn(&T) -> (&str, &str)) -> Self {
        let mut by_host: Vec<(u64, u32)> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let i = u32::try_from(i).expect("fewer than 2^32 sites");
                (host_hash(&site_host_key(address(item).0)), i)
            })
            .collect();
        by_host.sort_unstable();
        OwnerIndex {
            items,
            by_host,
            address,
        }
    }

    /// The item that owns the URL at `host` and `path`, by [`owner`]'s rule.
    pub fn owner(&self, host: &str, path: &str) -> Option<&T> {
        let key = host_hash(&site_host_key(host));
        let start = self.by_host.partition_point(|&(h, _)| h < key);
        let on_host = self.by_host[start..]
            .iter()
            .take_while(|&&(h, _)| h == key)
            .map(|&(_, i)| &self.items[i as usize]);
        owner(on_host, self.address, host, path)
    }

    /// Every indexed item, in the order given.
    pub fn items(&self) -> &[T] {
        &self.items
    }
}

impl<T: fmt::Debug> fmt::Debug for OwnerIndex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnerIndex")
            .field("items", &self.items.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expect: Result<(&str, &str), SiteAddressProblem>) {
        let got = SiteAddress::parse(input);
        match expect {
            Ok((h, p)) => {
                let a = got.unwrap();
                assert_eq!((a.host.as_str(), a.path_prefix.as_str()), (h, p), "{input}");
            }
            Err(problem) => {
                let e = got.unwrap_err();
                assert_eq!(e.problem, problem, "{input}");
                assert_eq!(e.input, input);
            }
        }
    }

    #[test]
    fn site_addresses() {
        use SiteAddressProblem::*;
        check("a.test", Ok(("a.test", "")));
        check(" Shop.A.Test. ", Ok(("shop.a.test", "")));
        check("a.test/", Ok(("a.test", "")));
        check("waimai.test/shop/8812", Ok(("waimai.test", "/shop/8812")));
        check(
            "HTTPS://Waimai.test/Shop/8812/",
            Ok(("waimai.test", "/Shop/8812")),
        );
        check("www.a.test", Ok(("www.a.test", "")));
        check("localhost", Err(NotQualified));
        check("a_b.test", Err(Label("a_b".into())));
        check("-a.test", Err(Label("-a".into())));
        check("a..test", Err(Label("".into())));
        check("a.test:8080", Err(Port));
        check("例子.test", Err(NotAscii));
        check(&format!("{}.test", "a.".repeat(130)), Err(TooLong));
        check("a.test/shop?id=1", Err(PathCharacters));
        check("a.test/shop#x", Err(PathCharacters));
        check("a.test/my shop", Err(PathCharacters));
        check("a.test//shop", Err(EmptySegment));
        check("", Err(NoHost));
        check("https:///shop", Err(NoHost));
    }

    #[test]
    fn errors_name_the_input_and_the_problem() {
        let e = SiteAddress::parse("a.test:8080").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"a.test:8080\": give the hostname without a port"
        );
        assert_eq!("a.test/x".parse(), SiteAddress::parse("a.test/x"));
    }

    #[test]
    fn display_is_the_canonical_form() {
        for (input, shown) in [
            ("w.test/shop/88/", "w.test/shop/88"),
            ("HTTP://W.Test.", "w.test"),
            ("www.w.test/a", "www.w.test/a"),
        ] {
            let a = SiteAddress::parse(input).unwrap();
            assert_eq!(a.to_string(), shown);
            assert_eq!(SiteAddress::parse(shown).unwrap(), a, "round trip");
        }
    }

    #[test]
    fn prefix_cover_is_segment_wise() {
        let a = SiteAddress::parse("w.test/shop/88").unwrap();
        assert!(a.covers("/shop/88"));
        assert!(a.covers("/shop/88/item/1"));
        assert!(!a.covers("/shop/8812"));
        assert!(!a.covers("/shop"));
        assert!(!a.covers("/"));
        assert!(SiteAddress::parse("w.test").unwrap().covers("/anything"));
        assert!(prefix_covers("/shop/88/", "/shop/88/x"));
        assert!(!prefix_covers("/shop/88/", "/shop/881"));
        assert!(prefix_covers("", "/"));
        assert!(prefix_covers("/", "/a"));
    }

    #[test]
    fn a_bare_domain_and_its_www_name_are_one_site() {
        assert_eq!(bare_host("www.a.test"), "a.test");
        assert_eq!(bare_host("WWW.a.test"), "a.test");
        assert_eq!(bare_host("a.test"), "a.test");
        assert_eq!(bare_host("www."), "www.");
        assert_eq!(bare_host("wwwa.test"), "wwwa.test");
        assert!(same_site_host("www.a.test", "a.test"));
        assert!(same_site_host("a.test", "WWW.A.test."));
        assert!(same_site_host("a.test", "a.test"));
        assert!(!same_site_host("www2.a.test", "a.test"));
        assert!(!same_site_host("shop.a.test", "a.test"));
        assert!(!same_site_host("b.test", "a.test"));

        let www = SiteAddress::parse("www.a.test/shop/1").unwrap();
        let bare = SiteAddress::parse("a.test/shop/1/").unwrap();
        assert_ne!(www, bare);
        assert_eq!(www.site_key(), bare.site_key());
        assert_eq!(www.site_key().to_string(), "a.test/shop/1");
        assert_eq!(
            SiteAddress::from_parts("WWW.A.Test.", "/shop/1/").site_key(),
            bare.site_key()
        );
        assert!(www.contains("a.test", "/shop/1/item"));
        assert!(bare.contains("www.a.test", "/shop/1"));
        assert!(!bare.contains("www.a.test", "/shop/12"));
        assert!(!bare.contains("b.test", "/shop/1"));
    }

    #[test]
    fn the_longest_covering_prefix_owns_a_url() {
        let sites = [
            ("waimai.test", ""),
            ("www.waimai.test", "/shop/8812"),
            ("waimai.test", "/shop/88/"),
            ("a.test", ""),
        ];
        let own =
            |host: &str, path: &str| owner(&sites, |s| (s.0, s.1), host, path).map(|s| (s.0, s.1));
        assert_eq!(
            own("www.waimai.test", "/shop/8812/item/3"),
            Some(("www.waimai.test", "/shop/8812"))
        );
        assert_eq!(
            own("waimai.test", "/shop/88/x"),
            Some(("waimai.test", "/shop/88/"))
        );
        assert_eq!(own("waimai.test", "/shop/881"), Some(("waimai.test", "")));
        assert_eq!(own("www.a.test", "/"), Some(("a.test", "")));
        assert_eq!(own("b.test", "/"), None);
        assert_eq!(own("www2.a.test", "/"), None);
    }

    #[test]
    fn the_owner_index_answers_as_the_scan_does() {
        let sites = vec![
            ("waimai.test", ""),
            ("www.waimai.test", "/shop/8812"),
            ("WAIMAI.test.", "/shop/88/"),
            ("waimai.test", "/shop/88"),
            ("a.test", ""),
            ("www.a.test", ""),
            ("www.", ""),
            ("www2.a.test", "/x"),
        ];
        let index = OwnerIndex::new(sites.clone(), |s| (s.0, s.1));
        let hosts = [
            "waimai.test",
            "www.waimai.test",
            "WWW.WAIMAI.TEST.",
            "a.test",
            "www.a.test",
            "www.",
            "www2.a.test",
            "b.test",
            "",
        ];
        let paths = [
            "/",
            "/shop/8812/item/3",
            "/shop/88/x",
            "/shop/88",
            "/shop/881",
            "/x/y",
        ];
        for host in hosts {
            for path in paths {
                let scanned = owner(&sites, |s| (s.0, s.1), host, path);
                let indexed = index.owner(host, path);
                // The sites are distinct: equal values are the same site.
                assert_eq!(indexed, scanned, "{host}{path}");
            }
        }
        assert_eq!(index.items().len(), sites.len());
        assert_eq!(site_host_key("WWW.A.Test."), "a.test");
    }
}
