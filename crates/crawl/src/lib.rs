//! `crawl`: fetching online shops politely and faithfully, for evidence.
//!
//! This crate owns HTTP fetching for wangjian: per-site breadth-first crawling from a
//! homepage over same-site links and sitemap entries, robots.txt (RFC 9309, cached per
//! origin), per-host politeness shared by all seeds of a crawl, 429/503 back-off, spider-trap
//! guards, conditional GET for recrawls, fetch profiles that unmask cloaking, timeouts, a body
//! cap, curl-style address overrides with an SSRF guard. Each fetch is
//! reported as an [`Exchange`] carrying the exact request bytes, the response head and the
//! body as received (content-coding kept), ready to be written as WARC by `evidence`.
//!
//! It stands alone: it must not depend on other wangjian crates, use a database, or hold a
//! whole crawl in memory (exchanges are streamed to a bounded channel, each site's frontier is
//! bounded by its page budget). Persistence goes through the [`FrontierStore`] trait, which
//! `store` implements and `sweep` wires in. It speaks HTTP/1.1 over hyper client
//! connections, plain or TLS (`https`, with the handshake kept as [`TlsInfo`]). Module map:
//! - [`resolve`](ResolveMap): `--resolve` overrides and the private-address check;
//! - `hosts`: per-host politeness, connection budget, back-off, global request limit;
//! - `fetch`: one exchange, timeouts, body cap, conditional GET;
//! - `tls`: the `https` client and what a handshake showed ([`TlsInfo`]);
//! - `request`: one `POST` ([`post`]) or `GET` ([`get`]) under the same rules, for services
//!   such as a TSA or a certificate transparency log;
//! - [`browser`]: full-page screenshots through headless Chromium, sandboxed;
//! - `proxy`: the browser's only way out, under the address policy of `resolve`;
//! - [`robots`]: robots.txt rules, `Crawl-delay`, `Sitemap:` lines, [`RobotsCache`];
//! - `frontier`: [`Frontier`], trap guards, [`FrontierStore`];
//! - `sitemap`: sitemap and sitemap index parsing;
//! - `links`: link extraction, URL canonicalisation, scope;
//! - `profile`: [`Profile`] and [`fetch_profiles`];
//! - `site`: the per-site walk; this file: configuration and scheduling of sites over hosts.

pub mod browser;
mod error;
mod fetch;
mod frontier;
mod hosts;
mod links;
mod profile;
mod proxy;
mod request;
mod resolve;
pub mod robots;
mod site;
mod sitemap;
mod tls;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::Sender;
use tokio::task::JoinSet;
use url::Url;

pub use error::{CrawlError, FetchError, FETCH_ERROR_CODES};
pub use fetch::{Exchange, FetchKind, ResponseHead};
pub use frontier::{
    repeated_segments, shape, Frontier, FrontierLimits, FrontierState, FrontierStore,
    FrontierStoreError, MemoryFrontierStore, QueuedUrl, Refused, TrapGuard, TrapHit, UrlSource,
    Validators,
};
pub use hosts::parse_retry_after;
pub use links::{canonical, canonicalize, dedup_key, extract_links, in_scope, is_tracking};
pub use profile::{
    fetch_profiles, meta_refresh, MetaRefresh, Profile, ProfiledCapture, SearchEngine,
    BAIDUSPIDER_MOBILE_UA, BAIDUSPIDER_PC_UA, BINGBOT_UA, BYTESPIDER_UA, CHROME_UA,
    MAX_PROFILE_REDIRECTS, SOGOU_SPIDER_UA, SPIDER_360_UA,
};
pub use request::{get, post, Response};
pub use resolve::{non_public_class, DnsAnswer, DnsSource, ResolveMap};
pub use robots::{RobotsCache, RobotsOutcome};
pub use sitemap::{
    parse_sitemap, Sitemap, SitemapEntry, SitemapKind, MAX_SITEMAP_BYTES, MAX_SITEMAP_URLS,
};
pub use tls::TlsInfo;

/// How a crawl behaves. Build one, wrap it in an `Arc`, share it across sites.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// Sent as `User-Agent`.
    pub user_agent: String,
    /// The robots.txt product token; `None`: the User-Agent's (see [`robots::product_token`]:
    /// `wangjian` for both `wangjian/0.1` and `Mozilla/5.0 (compatible; wangjian/0.1; +url)`).
    pub robots_token: Option<String>,
    /// Page budget per site; every page fetch counts (redirects, retries and errors
    /// included), robots.txt and sitemap fetches do not.
    pub max_pages_per_site: usize,
    /// Link depth from the start URL (0: only the start URL; redirects do not add depth,
    /// sitemap entries are depth 1).
    pub max_depth: u32,
    /// Sites crawled at once, and requests in flight at once across all hosts (at least 1).
    pub concurrency: usize,
    /// Connections (requests in flight) per host, shared by all seeds on that host; also the
    /// number of seeds of one host crawled at once. 1 by default.
    pub connections_per_host: usize,
    /// Limit on TCP connect plus HTTP handshake.
    pub connect_timeout: Duration,
    /// Limit from sending a request to receiving the response head.
    pub header_timeout: Duration,
    /// Limit on one request from sending it to the last body byte.
    pub request_timeout: Duration,
    /// Body cap: a larger body is cut here and the exchange marked `truncated`.
    pub max_body_bytes: usize,
    /// Politeness delay between the starts of two requests to one host (0 in tests); a
    /// robots.txt `Crawl-delay` or a back-off makes it longer, never shorter.
    pub delay_per_host: Duration,
    /// Cap on robots.txt `Crawl-delay` and on the slow-down after back-offs.
    pub max_crawl_delay: Duration,
    /// Cap on one `Retry-After` wait after a 429/503.
    pub max_retry_after: Duration,
    /// Consecutive 429/503 answers after which the crawl gives up on a host.
    pub max_backoff_tries: u32,
    /// Fetch robots.txt first and obey it.
    pub obey_robots: bool,
    /// robots.txt outcomes per origin, kept 24 h; clone one cache into several configs to
    /// share it across crawls.
    pub robots_cache: RobotsCache,
    /// Queue sitemap entries (robots.txt `Sitemap:` lines and `/sitemap.xml`). Only for seeds
    /// without a `scope_prefix`: a platform's sitemap is not fetched once per shop.
    pub use_sitemaps: bool,
    /// Sitemap files (indexes included) fetched per site at most.
    pub max_sitemaps: usize,
    /// Spider-trap guard: URLs longer than this are not queued.
    pub max_url_len: usize,
    /// Spider-trap guard: distinct queries per path.
    pub max_query_variants: usize,
    /// Spider-trap guard: URLs per path shape (digit runs as `#`, e.g. `/cal/#/#/`).
    pub max_urls_per_shape: usize,
    /// Where frontiers are saved for resuming and known validators come from (in memory by
    /// default; `store` provides a durable one).
    pub frontier_store: Arc<dyn FrontierStore>,
    /// Save a site's frontier every this many pages (0: never; it is always cleared at the end).
    pub checkpoint_every: usize,
    /// Address overrides (`--resolve`); their targets are allow-listed.
    pub resolve: ResolveMap,
    /// `false`: refuse private, loopback, link-local, CGNAT, ULA, metadata... addresses unless
    /// the exact address and port is the target of a [`ResolveMap`] entry.
    pub allow_private: bool,
    /// Extra trusted root certificates (DER) for `https`, besides Mozilla's (webpki-roots). A
    /// chain that does not verify is still captured; the capture says so.
    pub tls_roots: Vec<Vec<u8>>,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            user_agent: format!("wangjian/{}", env!("CARGO_PKG_VERSION")),
            robots_token: None,
            max_pages_per_site: 200,
            max_depth: 5,
            concurrency: 16,
            connections_per_host: 1,
            connect_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 8 * 1024 * 1024,
            delay_per_host: Duration::from_secs(1),
            max_crawl_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            max_backoff_tries: 3,
            obey_robots: true,
            robots_cache: RobotsCache::default(),
            use_sitemaps: true,
            max_sitemaps: 8,
            max_url_len: 1024,
            max_query_variants: 50,
            max_urls_per_shape: 100,
            frontier_store: Arc::new(MemoryFrontierStore::new()),
            checkpoint_every: 20,
            resolve: ResolveMap::default(),
            allow_private: false,
            tls_roots: Vec::new(),
        }
    }
}

impl CrawlConfig {
    /// The robots.txt product token in effect.
    pub fn robots_token(&self) -> &str {
        self.robots_token
            .as_deref()
            .unwrap_or_else(|| robots::product_token(&self.user_agent))
    }

    /// The frontier limits of one site.
    pub fn frontier_limits(&self) -> FrontierLimits {
        FrontierLimits {
            max_pages: self.max_pages_per_site,
            max_depth: self.max_depth,
            max_url_len: self.max_url_len,
            max_query_variants: self.max_query_variants,
            max_urls_per_shape: self.max_urls_per_shape,
        }
    }
}

/// A site to crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSeed {
    /// Opaque caller id, echoed in every exchange and report of this site.
    pub site_key: i64,
    /// Where the walk starts (usually the homepage).
    pub start: Url,
    /// Only URLs whose path is this prefix or below it are followed, e.g. `/shop/8812` for
    /// one shop on a platform.
    pub scope_prefix: Option<String>,
}

/// What a crawl reports, in order per site: its exchanges, then one `SiteDone`.
#[derive(Debug)]
pub enum CrawlEvent {
    /// One fetch (robots.txt included).
    Exchange(Box<Exchange>),
    /// The site is finished.
    SiteDone(SiteReport),
}

/// Summary of one site's crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteReport {
    /// The seed's `site_key`.
    pub site_key: i64,
    /// Page fetches made (robots.txt and sitemaps excluded; retries included).
    pub pages: usize,
    /// Exchanges that failed (fetch error, robots.txt 5xx) or pages answered with status >= 400.
    pub errors: usize,
    /// Why the homepage could not be fetched at all (connect failure, refused address,
    /// robots.txt unavailable or disallowing the start URL, the host throttling every
    /// attempt); `None` when it was fetched.
    pub unreachable: Option<String>,
    /// Why the walk stopped before its frontier was empty, other than the page budget (the
    /// crawl gave up on the host after repeated 429/503).
    pub stopped: Option<String>,
    /// Pages answered `304 Not Modified` to a conditional GET.
    pub not_modified: usize,
    /// Spider-trap guards that refused URLs.
    pub traps: Vec<TrapHit>,
    /// True when the walk resumed a saved frontier.
    pub resumed: bool,
}

impl SiteReport {
    /// An empty report for `site_key`.
    pub fn new(site_key: i64) -> Self {
        SiteReport {
            site_key,
            pages: 0,
            errors: 0,
            unreachable: None,
            stopped: None,
            not_modified: 0,
            traps: Vec::new(),
            resumed: false,
        }
    }
}

/// Crawls all seeds, at most `config.concurrency` sites at once and at most
/// `config.connections_per_host` seeds of one host at once, all seeds of a host sharing its
/// politeness clock, connection and robots.txt. Every fetch (robots.txt and sitemaps
/// included) is sent as an [`CrawlEvent::Exchange`], then one [`CrawlEvent::SiteDone`] per
/// seed. Seeds of different hosts are interleaved so that a platform with many shops does not
/// hold up the other sites. Returns when all seeds are done. A site that fails never stops
/// the others. If the receiver is dropped, stops early.
pub async fn crawl(config: Arc<CrawlConfig>, seeds: Vec<SiteSeed>, events: Sender<CrawlEvent>) {
    let hosts = Arc::new(hosts::Hosts::new(&config));
    let per_host = config.connections_per_host.max(1);
    let limit = config.concurrency.max(1);

    // Seeds grouped by host, hosts in first-seen order, each host's seeds a run of `seeds`
    // (`runs[h]`: the next one and the end), so that a province's 100,000 one-site hosts cost
    // a slot each; `ready` holds hosts that have seeds left and room for one more active site.
    let (hosts_seen, mut seeds) = by_host(seeds);
    let mut runs: Vec<(usize, usize)> = vec![(0, 0); hosts_seen.len()];
    for (i, (h, _)) in seeds.iter().enumerate() {
        let run = &mut runs[*h as usize];
        if run.1 == 0 {
            run.0 = i;
        }
        run.1 = i + 1;
    }
    let mut active: Vec<usize> = vec![0; hosts_seen.len()];
    let mut ready: VecDeque<u32> = (0..hosts_seen.len() as u32).collect();
    let mut in_ready: Vec<bool> = vec![true; hosts_seen.len()];
    let left = |runs: &[(usize, usize)], h: u32| runs[h as usize].0 < runs[h as usize].1;

    let mut tasks = JoinSet::new();
    let mut keys = HashMap::new();
    loop {
        while tasks.len() < limit && !events.is_closed() {
            let Some(h) = ready.pop_front() else { break };
            in_ready[h as usize] = false;
            let run = &mut runs[h as usize];
            if run.0 >= run.1 {
                continue;
            }
            let Some(seed) = seeds[run.0].1.take() else {
                continue;
            };
            run.0 += 1;
            let n = &mut active[h as usize];
            *n += 1;
            if left(&runs, h) && *n < per_host {
                in_ready[h as usize] = true;
                ready.push_back(h);
            }
            let site_key = seed.site_key;
            let key = &hosts_seen[h as usize];
            hosts.site_on(key);
            let (config, events, hosts) = (config.clone(), events.clone(), hosts.clone());
            let handle = tasks.spawn(async move {
                site::crawl_site(&config, hosts, seed, &events).await;
            });
            keys.insert(handle.id(), (site_key, h));
        }
        if tasks.is_empty() {
            break;
        }
        let joined = tokio::select! {
            joined = tasks.join_next_with_id() => joined,
            () = events.closed() => {
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                break;
            }
        };
        let Some(joined) = joined else { break };
        let id = match &joined {
            Ok((id, ())) => *id,
            Err(e) => e.id(),
        };
        let Some((site_key, h)) = keys.remove(&id) else {
            continue;
        };
        let n = &mut active[h as usize];
        *n = n.saturating_sub(1);
        if *n == 0 && !left(&runs, h) {
            // Keep the keep-alive connection and politeness clock for the host's next seed;
            // forget the host otherwise.
            hosts.forget(&hosts_seen[h as usize]);
        }
        if left(&runs, h) && active[h as usize] < per_host && !in_ready[h as usize] {
            in_ready[h as usize] = true;
            ready.push_back(h);
        }
        if let Err(e) = joined {
            if e.is_panic() {
                tracing::error!(site_key, "crawler task panicked");
                let report = SiteReport {
                    errors: 1,
                    unreachable: Some(
                        "internal error: the crawler task for this site panicked".to_owned(),
                    ),
                    ..SiteReport::new(site_key)
                };
                let _ = events.send(CrawlEvent::SiteDone(report)).await;
            }
        }
    }
}

/// The seeds' hosts in first-seen order, and the seeds by the number of their host in it (a
/// host's seeds in their given order).
fn by_host(seeds: Vec<SiteSeed>) -> (Vec<hosts::HostKey>, Vec<(u32, Option<SiteSeed>)>) {
    let mut hosts: Vec<hosts::HostKey> = Vec::new();
    let mut number: HashMap<hosts::HostKey, u32> = HashMap::new();
    let mut out: Vec<(u32, Option<SiteSeed>)> = seeds
        .into_iter()
        .map(|seed| {
            let key = seed_host(&seed);
            let h = *number.entry(key).or_insert_with_key(|key| {
                hosts.push(key.clone());
                (hosts.len() - 1) as u32
            });
            (h, Some(seed))
        })
        .collect();
    out.sort_by_key(|(h, _)| *h);
    (hosts, out)
}

/// The host a seed's requests go to (an unusable start URL gets a key of its own).
fn seed_host(seed: &SiteSeed) -> hosts::HostKey {
    let mut start = seed.start.clone();
    if !links::canonical(&mut start) {
        return (String::new(), 0);
    }
    fetch::host_key(&start).unwrap_or_default()
}

/// Fetches one URL (no robots.txt, no link following), e.g. for `wangjian scan URL`.
/// The exchange has `site_key` 0 and depth 0.
pub async fn fetch_one(config: &CrawlConfig, url: &Url) -> Exchange {
    let mut url = url.clone();
    url.set_fragment(None);
    fetch::Fetcher::new(config)
        .fetch(0, &url, 0, FetchKind::Page, config.max_body_bytes)
        .await
}
