//! robots.txt (RFC 9309) parsing and matching.
//!
//! Owns turning a robots.txt body into the rule set that applies to one product token, and
//! answering "may this path be fetched?". Basics of RFC 9309: groups chosen by the product
//! token (case-insensitive; all groups naming it are merged, else all `*` groups), `Allow` /
//! `Disallow` with longest-match precedence (`Allow` wins ties), `*` and `$` wildcards,
//! `/robots.txt` always allowed, at least [`MAX_ROBOTS_BYTES`] parsed. Also the two common
//! extensions a polite crawler needs: `Crawl-delay` of the chosen group and the file's
//! `Sitemap:` lines. And [`RobotsCache`]: parsed robots.txt per origin, kept at most 24 hours
//! (RFC 9309 §2.4), shared by the seeds of one crawl and reusable across crawls.
//! It must not fetch anything (the crawler fetches and hands the outcome to the cache) or know
//! about HTTP status codes beyond the [`Robots::allow_all`] / [`Robots::disallow_all`]
//! constructors the crawler picks from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// How much of a robots.txt body is parsed (RFC 9309 asks for at least 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    /// Normalised pattern (percent-encoded, upper-case hex), without a trailing `$`.
    pattern: String,
    anchored: bool,
}

/// The robots rules that apply to one crawler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Robots {
    rules: Vec<Rule>,
    disallow_all: bool,
    /// `Crawl-delay` of the chosen group (uncapped; the crawler caps it).
    crawl_delay: Option<Duration>,
    /// `Sitemap:` URLs as written (absolute per the sitemaps protocol), in file order, at most
    /// [`MAX_SITEMAP_LINES`].
    sitemaps: Vec<String>,
}

/// How many `Sitemap:` lines are kept from one robots.txt.
pub const MAX_SITEMAP_LINES: usize = 64;

impl Robots {
    /// No restrictions (robots.txt missing: 4xx).
    pub fn allow_all() -> Self {
        Robots {
            rules: Vec::new(),
            disallow_all: false,
            crawl_delay: None,
            sitemaps: Vec::new(),
        }
    }

    /// Nothing may be fetched (robots.txt unreachable or 5xx).
    pub fn disallow_all() -> Self {
        Robots {
            rules: Vec::new(),
            disallow_all: true,
            crawl_delay: None,
            sitemaps: Vec::new(),
        }
    }

    /// Parses `body` (only its first [`MAX_ROBOTS_BYTES`]) for the crawler whose product token
    /// is `token` (e.g. `wangjian` for `wangjian/0.1 (+https://...)`, see [`product_token`]).
    pub fn parse(body: &[u8], token: &str) -> Self {
        let body = &body[..body.len().min(MAX_ROBOTS_BYTES)];
        let text = String::from_utf8_lossy(body);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);

        struct Group {
            agents: Vec<String>,
            rules: Vec<Rule>,
            crawl_delay: Option<Duration>,
        }
        let mut sitemaps = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        // True while consecutive user-agent lines are still extending the current group.
        let mut in_agent_lines = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !in_agent_lines || groups.is_empty() {
                        groups.push(Group {
                            agents: Vec::new(),
                            rules: Vec::new(),
                            crawl_delay: None,
                        });
                    }
                    in_agent_lines = true;
                    // "Foo/1.0" names the product token "Foo".
                    let agent = value
                        .split('/')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase();
                    groups.last_mut().expect("pushed above").agents.push(agent);
                }
                "allow" | "disallow" => {
                    in_agent_lines = false;
                    let Some(group) = groups.last_mut() else {
                        continue;
                    };
                    if value.is_empty() {
                        // "Disallow:" with no path allows everything: no rule.
                        continue;
                    }
                    let (pattern, anchored) = match value.strip_suffix('$') {
                        Some(p) => (p, true),
                        None => (value, false),
                    };
                    group.rules.push(Rule {
                        allow: key == "allow",
                        pattern: normalise(pattern),
                        anchored,
                    });
                }
                "crawl-delay" => {
                    in_agent_lines = false;
                    if let (Some(group), Some(d)) = (groups.last_mut(), parse_delay(value)) {
                        group.crawl_delay.get_or_insert(d);
                    }
                }
                // Sitemap lines are not tied to any group (sitemaps.org).
                "sitemap" => {
                    if !value.is_empty() && sitemaps.len() < MAX_SITEMAP_LINES {
                        sitemaps.push(value.to_owned());
                    }
                }
                // Other records neither belong to nor end a group's user-agent run in
                // practice; treat them as ending it, like rules do.
                _ => in_agent_lines = false,
            }
        }
        let token = token.to_ascii_lowercase();
        let any_named = !token.is_empty() && groups.iter().any(|g| g.agents.contains(&token));
        let name = if any_named { token.as_str() } else { "*" };
        let chosen = || groups.iter().filter(|g| g.agents.iter().any(|a| a == name));
        Robots {
            rules: chosen().flat_map(|g| g.rules.iter().cloned()).collect(),
            disallow_all: false,
            crawl_delay: chosen().find_map(|g| g.crawl_delay),
            sitemaps,
        }
    }

    /// May `path_and_query` (as in a request line, percent-encoded) be fetched?
    pub fn is_allowed(&self, path_and_query: &str) -> bool {
        let path = normalise(path_and_query);
        if path == "/robots.txt" {
            return true;
        }
        if self.disallow_all {
            return false;
        }
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if matches(&rule.pattern, rule.anchored, &path) {
                let len = rule.pattern.len() + usize::from(rule.anchored);
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, rule.allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }

    /// True when this rule set forbids everything (robots.txt was unavailable).
    pub fn is_disallow_all(&self) -> bool {
        self.disallow_all
    }

    /// The `Crawl-delay` of the group that applies to us, as written (not capped).
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }

    /// The `Sitemap:` URLs listed in the file, as written.
    pub fn sitemaps(&self) -> &[String] {
        &self.sitemaps
    }
}

/// `Crawl-delay: 2`, `Crawl-delay: 0.5` → a duration; garbage, negative or absurd → `None`.
fn parse_delay(value: &str) -> Option<Duration> {
    let secs: f64 = value.parse().ok()?;
    (secs.is_finite() && (0.0..=86_400.0).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

/// The robots.txt product token of a User-Agent string: `wangjian/0.1 (+https://x)` →
/// `wangjian`. A browser-style string names the crawler in its `compatible;` comment:
/// `Mozilla/5.0 (compatible; Baiduspider/2.0; +http://...)` → `Baiduspider`.
pub fn product_token(user_agent: &str) -> &str {
    if let Some(rest) = user_agent.split_once("(compatible;").map(|(_, r)| r) {
        let token = rest
            .split([';', ')'])
            .next()
            .unwrap_or("")
            .trim()
            .split('/')
            .next()
            .unwrap_or("")
            .trim();
        if !token.is_empty() {
            return token;
        }
    }
    let first = user_agent.split_whitespace().next().unwrap_or("");
    first.split('/').next().unwrap_or("")
}

/// The origin robots.txt belongs to: scheme, host and port (RFC 9309 §2.3).
pub type Origin = (String, String, u16);

/// The origin of `url`, or `None` for a URL without a host.
pub fn origin_of(url: &url::Url) -> Option<Origin> {
    Some((
        url.scheme().to_owned(),
        url.host_str()?.to_owned(),
        url.port_or_known_default()?,
    ))
}

/// What the crawler concluded from fetching an origin's robots.txt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RobotsOutcome {
    /// Rules to obey (a parsed file, or allow-all for a 4xx).
    Rules(Robots),
    /// robots.txt was unreachable or 5xx: nothing may be crawled; the reason for the report.
    Unavailable(String),
}

#[derive(Debug)]
struct CacheEntry {
    outcome: Option<(RobotsOutcome, Instant)>,
}

/// robots.txt outcomes per origin (scheme, host, port), each kept at most `ttl` (24 hours by
/// default, the RFC 9309 limit). Cloning shares the cache, so one cache can serve the seeds of
/// one crawl (a platform and its shops fetch robots.txt once) and later crawls too.
///
/// It holds at most [`MAX_ORIGINS`] origins besides those being fetched or read: when full,
/// the older half is dropped (a crawl visits a host's sites together, so what it still needs
/// is recent). A province's sweep reads some 100,000 robots.txt files; the cache must not
/// grow with them.
#[derive(Debug, Clone)]
pub struct RobotsCache {
    entries: Arc<Mutex<HashMap<Origin, Arc<tokio::sync::Mutex<CacheEntry>>>>>,
    ttl: Duration,
    capacity: usize,
}

/// How many origins a [`RobotsCache`] keeps.
pub const MAX_ORIGINS: usize = 4096;

impl Default for RobotsCache {
    fn default() -> Self {
        Self::with_ttl(Duration::from_secs(24 * 3600))
    }
}

impl RobotsCache {
    /// An empty cache whose entries expire after 24 hours.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cache whose entries expire after `ttl` (capped at 24 hours).
    pub fn with_ttl(ttl: Duration) -> Self {
        RobotsCache {
            entries: Arc::default(),
            ttl: ttl.min(Duration::from_secs(24 * 3600)),
            capacity: MAX_ORIGINS,
        }
    }

    /// The cached outcome for `origin` if still fresh, else runs `fetch` and caches its result.
    /// Concurrent callers for the same origin wait for the one fetch instead of repeating it.
    /// Returns the outcome and whether it came from the cache.
    pub(crate) async fn get_or_fetch<F, Fut, E>(
        &self,
        origin: Origin,
        fetch: F,
    ) -> Result<(RobotsOutcome, bool), E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<RobotsOutcome, E>>,
    {
        let entry = {
            let mut map = self.entries.lock().expect("robots cache lock");
            if map.len() >= self.capacity && !map.contains_key(&origin) {
                self.make_room(&mut map);
            }
            map.entry(origin)
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(CacheEntry { outcome: None })))
                .clone()
        };
        let mut entry = entry.lock().await;
        if let Some((outcome, at)) = &entry.outcome {
            if at.elapsed() < self.ttl {
                return Ok((outcome.clone(), true));
            }
        }
        let outcome = fetch().await?;
        entry.outcome = Some((outcome.clone(), Instant::now()));
        Ok((outcome, false))
    }

    /// Drops the older half of the entries nobody is fetching or reading, and every expired
    /// one.
    fn make_room(&self, map: &mut HashMap<Origin, Arc<tokio::sync::Mutex<CacheEntry>>>) {
        // When an entry was fetched; `None` for one in use (kept) and one without an outcome.
        let fetched = |e: &Arc<tokio::sync::Mutex<CacheEntry>>| -> Result<Option<Instant>, ()> {
            if Arc::strong_count(e) > 1 {
                return Err(());
            }
            let e = e.try_lock().map_err(|_| ())?;
            Ok(e.outcome.as_ref().map(|(_, at)| *at))
        };
        let mut times: Vec<Instant> = map
            .values()
            .filter_map(|e| fetched(e).ok().flatten())
            .collect();
        let cutoff = if times.is_empty() {
            None
        } else {
            let mid = times.len() / 2;
            Some(*times.select_nth_unstable(mid).1)
        };
        let ttl = self.ttl;
        map.retain(|_, e| match fetched(e) {
            Err(()) => true,
            Ok(None) => false,
            Ok(Some(at)) => cutoff.is_some_and(|c| at > c) && at.elapsed() < ttl,
        });
    }

    /// Drops every entry older than the TTL (call between crawls to bound memory).
    pub fn purge_expired(&self) {
        let ttl = self.ttl;
        self.entries
            .lock()
            .expect("robots cache lock")
            .retain(|_, e| {
                e.try_lock()
                    .map(|e| e.outcome.as_ref().is_some_and(|(_, at)| at.elapsed() < ttl))
                    .unwrap_or(true)
            });
    }

    /// Number of origins held.
    pub fn len(&self) -> usize {
        self.entries.lock().expect("robots cache lock").len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Percent-encodes what is not printable ASCII and upper-cases existing `%xx` escapes, so
/// that a pattern written with raw UTF-8 matches the encoded request path and vice versa.
fn normalise(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push('%');
            out.push(bytes[i + 1].to_ascii_uppercase() as char);
            out.push(bytes[i + 2].to_ascii_uppercase() as char);
            i += 3;
            continue;
        }
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        i += 1;
    }
    out
}

/// Does `pattern` (with `*` wildcards) match a prefix of `path` (all of it when `anchored`)?
fn matches(pattern: &str, anchored: bool, path: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let tail: Vec<&str> = parts.collect();
    if tail.is_empty() {
        return !anchored || rest.is_empty();
    }
    let (last, middle) = tail.split_last().expect("non-empty");
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    if anchored {
        // The last literal must end the path, after what the middle parts consumed.
        rest.ends_with(last) && rest.len() >= last.len()
    } else {
        rest.contains(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(robots: &str, token: &str, path: &str, expected: bool) {
        let r = Robots::parse(robots.as_bytes(), token);
        assert_eq!(r.is_allowed(path), expected, "{path} under\n{robots}");
    }

    #[test]
    fn crawl_delay_and_sitemaps() {
        let r = "Sitemap: http://s.test/a.xml\nUser-agent: *\nCrawl-delay: 2.5\nDisallow: /x\n\nUser-agent: wangjian\nCrawl-delay: 7\nDisallow: /y\nSitemap: http://s.test/b.xml\n";
        let w = Robots::parse(r.as_bytes(), "wangjian");
        assert_eq!(w.crawl_delay(), Some(Duration::from_secs(7)));
        assert_eq!(w.sitemaps(), ["http://s.test/a.xml", "http://s.test/b.xml"]);
        let other = Robots::parse(r.as_bytes(), "other");
        assert_eq!(other.crawl_delay(), Some(Duration::from_millis(2500)));
        assert!(!other.is_allowed("/x"));
        for bad in ["abc", "-1", "NaN", "1e9"] {
            let r = format!("User-agent: *\nCrawl-delay: {bad}\n");
            assert_eq!(
                Robots::parse(r.as_bytes(), "w").crawl_delay(),
                None,
                "{bad}"
            );
        }
        assert_eq!(Robots::allow_all().crawl_delay(), None);
    }

    #[test]
    fn product_token_of_user_agent() {
        assert_eq!(
            product_token(
                "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"
            ),
            "Baiduspider"
        );
        assert_eq!(
            product_token("Mozilla/5.0 (compatible; wangjian/0.1; +https://x/bot)"),
            "wangjian"
        );
        assert_eq!(
            product_token("wangjian/0.1 (+https://example.org/bot)"),
            "wangjian"
        );
        assert_eq!(product_token("Wangjian"), "Wangjian");
        assert_eq!(product_token(""), "");
    }

    #[test]
    fn star_group_and_prefix_match() {
        let r = "User-agent: *\nDisallow: /private\n";
        check(r, "wangjian", "/private", false);
        check(r, "wangjian", "/private/x?y=1", false);
        check(r, "wangjian", "/privately", false);
        check(r, "wangjian", "/public", true);
        check(r, "wangjian", "/", true);
    }

    #[test]
    fn specific_group_replaces_star() {
        let r = "User-agent: *\nDisallow: /\n\nUser-agent: WangJian\nDisallow: /admin\n";
        check(r, "wangjian", "/shop", true);
        check(r, "wangjian", "/admin/1", false);
        check(r, "otherbot", "/shop", false);
    }

    #[test]
    fn groups_for_the_same_agent_are_merged_and_agent_lines_stack() {
        let r = "User-agent: a\nUser-agent: wangjian/2.0\nDisallow: /x\n\nUser-agent: wangjian\nDisallow: /y\n";
        check(r, "wangjian", "/x", false);
        check(r, "wangjian", "/y", false);
        check(r, "wangjian", "/z", true);
        check(r, "a", "/x", false);
        check(r, "a", "/y", true);
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let r =
            "User-agent: *\nDisallow: /shop\nAllow: /shop/public\nAllow: /page\nDisallow: /page\n";
        check(r, "w", "/shop/x", false);
        check(r, "w", "/shop/public/1", true);
        check(r, "w", "/page", true);
    }

    #[test]
    fn wildcards() {
        let r = "User-agent: *\nDisallow: /*.php$\nDisallow: /*?sessionid=\nDisallow: /a*b*c\nAllow: /$\nDisallow: /\n";
        check(r, "w", "/", true);
        check(r, "w", "/index.php", false);
        check(r, "w", "/index.php?x=1", false);
        check(r, "w", "/cart?sessionid=1", false);
        check(r, "w", "/a1b2c3", false);
        check(r, "w", "/robots.txt", true);
        let r = "User-agent: *\nDisallow: /*.php$\n";
        check(r, "w", "/index.php5", true);
        check(r, "w", "/x.php", false);
        check(r, "w", "/x.html", true);
    }

    #[test]
    fn empty_disallow_and_comments_and_unknown_lines() {
        let r = "# hi\nUser-agent: * # all\nDisallow:\nCrawl-delay: 5\nSitemap: http://x/s.xml\n";
        check(r, "w", "/anything", true);
        check("", "w", "/anything", true);
        check("garbage\n\0\0", "w", "/anything", true);
    }

    #[test]
    fn non_ascii_patterns_match_encoded_paths() {
        let r = "User-agent: *\nDisallow: /商品\n";
        check(r, "w", "/%E5%95%86%E5%93%81/1", false);
        check(r, "w", "/%e5%95%86%e5%93%81/1", false);
        check(r, "w", "/other", true);
    }

    #[test]
    fn unavailable_and_missing() {
        assert!(!Robots::disallow_all().is_allowed("/"));
        assert!(Robots::disallow_all().is_allowed("/robots.txt"));
        assert!(Robots::allow_all().is_allowed("/x"));
    }

    #[test]
    fn parses_at_least_500_kib() {
        let mut r = String::from("User-agent: *\n");
        while r.len() < 499 * 1024 {
            r.push_str("Allow: /filler/path/that/is/long/enough\n");
        }
        r.push_str("Disallow: /late\n");
        check(&r, "w", "/late", false);
    }

    #[tokio::test]
    async fn the_cache_keeps_recent_origins_not_every_origin_seen() {
        let mut cache = RobotsCache::new();
        cache.capacity = 64;
        let origin = |i: usize| ("http".to_owned(), format!("h{i}.test"), 80);
        let fetch = || async { Ok::<_, ()>(RobotsOutcome::Rules(Robots::allow_all())) };
        for i in 0..1000 {
            let (_, cached) = cache.get_or_fetch(origin(i), fetch).await.unwrap();
            assert!(!cached);
            assert!(cache.len() <= 64);
        }
        // The latest origins are still served from the cache; the first ones were dropped.
        assert!(cache.get_or_fetch(origin(999), fetch).await.unwrap().1);
        assert!(cache.get_or_fetch(origin(998), fetch).await.unwrap().1);
        assert!(!cache.get_or_fetch(origin(0), fetch).await.unwrap().1);
    }
}
