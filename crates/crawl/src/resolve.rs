//! Address resolution and the connect-time address safety check.
//!
//! Owns [`ResolveMap`] (curl-style `--resolve` / `--connect-to` overrides), the choice between
//! an override and the system resolver, and the classification of addresses that must not be
//! contacted (private, loopback, link-local, cloud metadata...). It must not open connections:
//! it only decides *where* a connection may go.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::{CrawlError, FetchError};

/// curl's `--resolve` syntax `HOST:PORT:ADDRESS` (repeatable; `HOST` may be `*` to match any
/// host on that port). Connections to `HOST` on `PORT` go to `ADDRESS` on the same port.
///
/// Extension (curl's `--connect-to` idea folded into the same syntax): `ADDRESS` may carry its
/// own port, `HOST:PORT:IP:PORT2` or `HOST:PORT:[IPv6]:PORT2`, meaning connect to that IP and
/// `PORT2` instead — e.g. `shop-a.test:80:127.0.0.1:45123` sends `http://shop-a.test/` to a test
/// server on an ephemeral port while the request still says `Host: shop-a.test`.
///
/// Every target address of an explicit entry is allow-listed (address *and* port) for the
/// private-address check: an operator who maps a name to `127.0.0.1:8080` means it.
/// Lookup prefers an exact host entry over a `*` entry. A leading `+` (curl's "timeout"
/// marker) is accepted and ignored; IPv6 addresses must be bracketed, as in curl.
#[derive(Debug, Clone, Default)]
pub struct ResolveMap {
    entries: HashMap<(String, u16), SocketAddr>,
    allowed: HashSet<SocketAddr>,
}

impl ResolveMap {
    /// An empty map (everything goes through the system resolver).
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one `HOST:PORT:ADDRESS[:PORT]` entry and adds it; a later entry for the same
    /// host and port replaces the earlier one.
    pub fn parse_entry(&mut self, s: &str) -> Result<(), CrawlError> {
        let bad = |reason| CrawlError::InvalidResolve {
            entry: s.to_owned(),
            reason,
        };
        let body = s.trim().strip_prefix('+').unwrap_or(s.trim());
        let (host, rest) = if let Some(after) = body.strip_prefix('[') {
            // Bracketed IPv6 literal as HOST.
            let end = after.find(']').ok_or_else(|| bad("unclosed '[' in HOST"))?;
            let rest = after[end + 1..]
                .strip_prefix(':')
                .ok_or_else(|| bad("expected ':' after HOST"))?;
            (format!("[{}]", &after[..end]), rest)
        } else {
            let (h, rest) = body
                .split_once(':')
                .ok_or_else(|| bad("expected HOST:PORT:ADDRESS"))?;
            (h.to_owned(), rest)
        };
        if host.is_empty() {
            return Err(bad("empty HOST"));
        }
        let (port, addr) = rest
            .split_once(':')
            .ok_or_else(|| bad("expected HOST:PORT:ADDRESS"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| bad("PORT is not a number 0-65535"))?;
        let target =
            parse_address(addr, port).ok_or_else(|| bad("ADDRESS is not an IP or IP:PORT"))?;
        self.entries
            .insert((host.to_ascii_lowercase(), port), target);
        self.allowed.insert(target);
        Ok(())
    }

    /// The override for `host` on `port`: an exact host entry first, then a `*` entry.
    pub fn lookup(&self, host: &str, port: u16) -> Option<SocketAddr> {
        let host = host.to_ascii_lowercase();
        self.entries
            .get(&(host, port))
            .or_else(|| self.entries.get(&("*".to_owned(), port)))
            .copied()
    }

    /// Sends `host` on `port` to `addr` like an entry, but without allow-listing `addr`: the
    /// address check still applies to it. The evidence browser pins a page's host to the
    /// address its evidence fetch connected to this way.
    pub fn pin(&mut self, host: &str, port: u16, addr: SocketAddr) {
        self.entries.insert((host.to_ascii_lowercase(), port), addr);
    }

    /// True when `addr` (address and port) is the target of an explicit entry.
    pub fn is_allow_listed(&self, addr: &SocketAddr) -> bool {
        self.allowed.contains(addr)
    }

    /// True when no entry was added.
    /// Every explicit entry: `(host or "*", port, address)`, sorted.
    pub fn entries(&self) -> Vec<(&str, u16, SocketAddr)> {
        let mut v: Vec<_> = self
            .entries
            .iter()
            .map(|((h, p), a)| (h.as_str(), *p, *a))
            .collect();
        // Exact hosts before `*`, as lookup prefers them.
        v.sort_by_key(|(h, p, _)| (*h == "*", h.to_string(), *p));
        v
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn parse_address(addr: &str, default_port: u16) -> Option<SocketAddr> {
    if let Ok(sa) = addr.parse::<SocketAddr>() {
        return Some(sa);
    }
    let ip = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    ip.parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, default_port))
}

/// What name resolution answered for a host when a connection was opened: kept as evidence
/// (the `dns-answer` of a capture's metadata record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsAnswer {
    /// The host name as the URL gave it.
    pub host: String,
    /// Where the answer came from.
    pub source: DnsSource,
    /// Every address the answer held, in the order given; the first one is connected to.
    pub addresses: Vec<SocketAddr>,
}

/// Where a [`DnsAnswer`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsSource {
    /// An operator's `--resolve` entry.
    Override,
    /// The system resolver.
    System,
    /// The URL's host is an IP address: nothing was resolved.
    Literal,
}

impl DnsSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DnsSource::Override => "override",
            DnsSource::System => "system",
            DnsSource::Literal => "literal",
        }
    }
}

impl std::fmt::Display for DnsAnswer {
    /// `HOST SOURCE ADDR [ADDR...]`, e.g. `shop.test system 203.0.113.5:80 [2001:db8::5]:80`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.host, self.source.as_str())?;
        for a in &self.addresses {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// Resolves `host:port` to the address to connect to and applies the safety check; returns the
/// whole answer with it.
pub(crate) async fn resolve(
    map: &ResolveMap,
    allow_private: bool,
    host: &str,
    port: u16,
) -> Result<(SocketAddr, DnsAnswer), FetchError> {
    let answer = if let Some(a) = map.lookup(host, port) {
        DnsAnswer {
            host: host.to_owned(),
            source: DnsSource::Override,
            addresses: vec![a],
        }
    } else {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            DnsAnswer {
                host: host.to_owned(),
                source: DnsSource::Literal,
                addresses: vec![SocketAddr::new(ip, port)],
            }
        } else {
            let addrs =
                tokio::net::lookup_host((bare, port))
                    .await
                    .map_err(|e| FetchError::Resolve {
                        host: host.to_owned(),
                        reason: e.to_string(),
                    })?;
            DnsAnswer {
                host: host.to_owned(),
                source: DnsSource::System,
                addresses: addrs.collect(),
            }
        }
    };
    let addr = *answer
        .addresses
        .first()
        .ok_or_else(|| FetchError::Resolve {
            host: host.to_owned(),
            reason: "no address".to_owned(),
        })?;
    check_address(map, allow_private, addr)?;
    Ok((addr, answer))
}

/// Refuses non-public addresses unless `allow_private` or the exact address+port is allow-listed.
pub(crate) fn check_address(
    map: &ResolveMap,
    allow_private: bool,
    addr: SocketAddr,
) -> Result<(), FetchError> {
    if allow_private || map.is_allow_listed(&addr) {
        return Ok(());
    }
    match non_public_class(addr.ip()) {
        Some(class) => Err(FetchError::RefusedAddress {
            addr: addr.ip(),
            class,
        }),
        None => Ok(()),
    }
}

/// The reason an address must not be contacted by default, or `None` for a public address.
pub fn non_public_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_class(v4);
            }
            v6_class(v6)
        }
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "a cloud metadata address",
        _ if ip.is_unspecified() || a == 0 => "unspecified",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private",
        _ if ip.is_link_local() => "link-local",
        (100, 64..=127, _) => "shared (CGNAT)",
        (192, 0, 0) => "IETF protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        _ if ip.is_multicast() => "multicast",
        _ if a >= 240 => "reserved",
        _ => return None,
    })
}

/// The IPv4 address in the two segments `hi`, `lo`.
fn v4_of(hi: u16, lo: u16) -> Ipv4Addr {
    Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    Some(match s[0] {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        // IPv4-compatible `::a.b.c.d` (deprecated by RFC 4291; no site is reached at one, and a
        // stack may route it to the IPv4 address, private ones included).
        0 if s[1..6] == [0, 0, 0, 0, 0] => "IPv4-compatible (deprecated)",
        // 6to4 (2002::/16): judge the IPv4 address it carries.
        0x2002 => return v4_class(v4_of(s[1], s[2])),
        // Teredo (2001::/32) tunnels to any IPv4 address, its client's obfuscated.
        0x2001 if s[1] == 0 => "Teredo tunnel",
        // NAT64 local-use prefix (RFC 8215): translated to any IPv4 address in the network.
        0x0064 if s[1] == 0xff9b && s[2] == 1 => "NAT64 local-use",
        x if x & 0xfe00 == 0xfc00 => "private (ULA)",
        x if x & 0xffc0 == 0xfe80 => "link-local",
        x if x & 0xffc0 == 0xfec0 => "site-local",
        x if x & 0xff00 == 0xff00 => "multicast",
        0x2001 if s[1] == 0x0db8 => "documentation",
        // NAT64 well-known prefix: judge the embedded IPv4 address.
        0x0064 if s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] => return v4_class(v4_of(s[6], s[7])),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[&str]) -> ResolveMap {
        let mut m = ResolveMap::new();
        for e in entries {
            m.parse_entry(e).unwrap();
        }
        m
    }

    #[test]
    fn curl_resolve_keeps_the_port() {
        let m = map(&["example.com:80:93.184.216.34"]);
        assert_eq!(
            m.lookup("EXAMPLE.com", 80),
            Some("93.184.216.34:80".parse().unwrap())
        );
        assert_eq!(m.lookup("example.com", 443), None);
    }

    #[test]
    fn connect_to_extension_and_wildcard() {
        let m = map(&[
            "*:80:127.0.0.1:45123",
            "shop-a.test:80:127.0.0.2:1",
            "v6.test:80:[::1]:8080",
        ]);
        assert_eq!(
            m.lookup("other.test", 80),
            Some("127.0.0.1:45123".parse().unwrap())
        );
        assert_eq!(
            m.lookup("shop-a.test", 80),
            Some("127.0.0.2:1".parse().unwrap())
        );
        assert_eq!(m.lookup("v6.test", 80), Some("[::1]:8080".parse().unwrap()));
        assert!(m.is_allow_listed(&"127.0.0.1:45123".parse().unwrap()));
        assert!(!m.is_allow_listed(&"127.0.0.1:45124".parse().unwrap()));
        let m = map(&["v6.test:443:[::1]"]);
        assert_eq!(m.lookup("v6.test", 443), Some("[::1]:443".parse().unwrap()));
    }

    #[test]
    fn bad_entries_are_rejected() {
        let mut m = ResolveMap::new();
        for bad in [
            "",
            "host",
            "host:80",
            "host:x:1.2.3.4",
            "host:80:not-an-ip",
            ":80:1.2.3.4",
            "h:70000:1.2.3.4",
        ] {
            assert!(m.parse_entry(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn classifies_non_public_addresses() {
        let class = |s: &str| non_public_class(s.parse().unwrap());
        assert_eq!(class("10.0.0.1"), Some("private"));
        assert_eq!(class("127.0.0.1"), Some("loopback"));
        assert_eq!(class("169.254.169.254"), Some("a cloud metadata address"));
        assert_eq!(class("169.254.1.1"), Some("link-local"));
        assert_eq!(class("100.64.0.1"), Some("shared (CGNAT)"));
        assert_eq!(class("0.0.0.0"), Some("unspecified"));
        assert_eq!(class("::1"), Some("loopback"));
        assert_eq!(class("fd00::1"), Some("private (ULA)"));
        assert_eq!(class("fe80::1"), Some("link-local"));
        assert_eq!(class("::ffff:192.168.1.1"), Some("private"));
        assert_eq!(class("64:ff9b::a00:1"), Some("private"));
        // Addresses that carry or reach an IPv4 address: judged by it, or refused.
        assert_eq!(class("::10.0.0.1"), Some("IPv4-compatible (deprecated)"));
        assert_eq!(class("::127.0.0.1"), Some("IPv4-compatible (deprecated)"));
        assert_eq!(
            class("::93.184.216.34"),
            Some("IPv4-compatible (deprecated)")
        );
        assert_eq!(class("2002:7f00:1::1"), Some("loopback"));
        assert_eq!(class("2002:c0a8:101::1"), Some("private"));
        assert_eq!(class("2002:a9fe:a9fe::"), Some("a cloud metadata address"));
        assert_eq!(class("2002:5db8:d822::1"), None, "6to4 of a public address");
        assert_eq!(
            class("2001:0:4136:e378:8000:63bf:3fff:fdd2"),
            Some("Teredo tunnel")
        );
        assert_eq!(class("64:ff9b:1::a00:1"), Some("NAT64 local-use"));
        assert_eq!(class("64:ff9b:1:ffff::5db8:d822"), Some("NAT64 local-use"));
        assert_eq!(
            class("64:ff9b::5db8:d822"),
            None,
            "NAT64 of a public address"
        );
        assert_eq!(class("93.184.216.34"), None);
        assert_eq!(class("2606:2800:220:1::1"), None);
    }

    #[test]
    fn allow_listing_is_per_address_and_port() {
        let m = map(&["a.test:80:127.0.0.1:9000"]);
        assert!(check_address(&m, false, "127.0.0.1:9000".parse().unwrap()).is_ok());
        assert!(check_address(&m, false, "127.0.0.1:9001".parse().unwrap()).is_err());
        assert!(check_address(&m, true, "127.0.0.1:9001".parse().unwrap()).is_ok());
    }
}
