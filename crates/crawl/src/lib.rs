//! `crawl`: fetching online shops politely and faithfully, for evidence.
//!
//! This crate owns HTTP fetching for wangjian: per-site breadth-first crawling from a
//! homepage over same-site links, robots.txt (RFC 9309), politeness, timeouts, a body cap,
//! curl-style address overrides with an SSRF guard, and charset decoding. Each fetch is
//! reported as an [`Exchange`] carrying the exact request bytes, the response head and the
//! body as received (content-coding kept), ready to be written as WARC by `evidence`.
//!
//! It stands alone: it must not depend on other wangjian crates, use a database, or hold a
//! whole crawl in memory (exchanges are streamed to a bounded channel). It speaks plain HTTP/1.1
//! over hyper client connections; `https` is reported as [`FetchError::Unsupported`] until TLS
//! lands. Module map:
//! - [`resolve`](ResolveMap): `--resolve` overrides and the private-address check;
//! - `fetch`: one exchange, connection reuse, timeouts, body cap;
//! - [`robots`]: robots.txt rules;
//! - `links`: link extraction, URL canonicalisation, scope;
//! - `decode`: content-coding and charset decoding;
//! - `site`: the per-site walk; this file: configuration and global concurrency.

mod decode;
mod error;
mod fetch;
mod links;
mod resolve;
pub mod robots;
mod site;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::Sender;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

pub use decode::{decode_html, Decoded};
pub use error::{CrawlError, FetchError};
pub use fetch::{Exchange, PageKind, ResponseHead};
pub use links::{canonicalize, extract_links, in_scope};
pub use resolve::{non_public_class, ResolveMap};

/// How a crawl behaves. Build one, wrap it in an `Arc`, share it across sites.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// Sent as `User-Agent`; its product token (before the first `/`) is the robots.txt token.
    pub user_agent: String,
    /// Page budget per site; every page fetch counts (redirects and errors included), the
    /// robots.txt fetch does not.
    pub max_pages_per_site: usize,
    /// Link depth from the start URL (0: only the start URL; redirects do not add depth).
    pub max_depth: u32,
    /// Number of sites crawled at once (at least 1).
    pub concurrency: usize,
    /// Limit on TCP connect plus HTTP handshake.
    pub connect_timeout: Duration,
    /// Limit on one request from sending it to the last body byte.
    pub request_timeout: Duration,
    /// Body cap: a larger body is cut here and the exchange marked `truncated`.
    pub max_body_bytes: usize,
    /// Politeness delay between the starts of two requests to one host (0 in tests).
    pub delay_per_host: Duration,
    /// Fetch robots.txt first and obey it.
    pub obey_robots: bool,
    /// Address overrides (`--resolve`); their targets are allow-listed.
    pub resolve: ResolveMap,
    /// `false`: refuse private, loopback, link-local, CGNAT, ULA, metadata... addresses unless
    /// the exact address and port is the target of a [`ResolveMap`] entry.
    pub allow_private: bool,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            user_agent: format!("wangjian/{}", env!("CARGO_PKG_VERSION")),
            max_pages_per_site: 200,
            max_depth: 5,
            concurrency: 16,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 8 * 1024 * 1024,
            delay_per_host: Duration::from_secs(1),
            obey_robots: true,
            resolve: ResolveMap::default(),
            allow_private: false,
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
    /// Page fetches made (robots.txt excluded).
    pub pages: usize,
    /// Exchanges that failed (fetch error, robots.txt 5xx) or pages answered with status >= 400.
    pub errors: usize,
    /// Why the homepage could not be fetched at all (connect failure, refused address,
    /// robots.txt unavailable or disallowing the start URL); `None` when it was fetched.
    pub unreachable: Option<String>,
}

/// Crawls all seeds, at most `config.concurrency` sites at once. Every fetch (robots.txt
/// included) is sent as an [`CrawlEvent::Exchange`], then one [`CrawlEvent::SiteDone`] per
/// seed. Returns when all seeds are done. A site that fails never stops the others. If the
/// receiver is dropped, stops early.
pub async fn crawl(config: Arc<CrawlConfig>, seeds: Vec<SiteSeed>, events: Sender<CrawlEvent>) {
    let limit = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut keys = HashMap::new();
    for seed in seeds {
        let permit = tokio::select! {
            permit = limit.clone().acquire_owned() => permit.expect("semaphore is never closed"),
            () = events.closed() => break,
        };
        let site_key = seed.site_key;
        let (config, events) = (config.clone(), events.clone());
        let handle = tasks.spawn(async move {
            let _permit = permit;
            site::crawl_site(&config, seed, &events).await;
        });
        keys.insert(handle.id(), site_key);
    }
    loop {
        let joined = tokio::select! {
            joined = tasks.join_next_with_id() => joined,
            () = events.closed() => {
                tasks.abort_all();
                tasks.join_next_with_id().await
            }
        };
        let Some(joined) = joined else { break };
        if let Err(e) = joined {
            if e.is_panic() {
                let site_key = keys.get(&e.id()).copied().unwrap_or_default();
                tracing::error!(site_key, "crawler task panicked");
                let report = SiteReport {
                    site_key,
                    pages: 0,
                    errors: 1,
                    unreachable: Some(
                        "internal error: the crawler task for this site panicked".to_owned(),
                    ),
                };
                let _ = events.send(CrawlEvent::SiteDone(report)).await;
            }
        }
    }
}

/// Fetches one URL (no robots.txt, no link following), e.g. for `wangjian scan URL`.
/// The exchange has `site_key` 0 and depth 0.
pub async fn fetch_one(config: &CrawlConfig, url: &Url) -> Exchange {
    let mut url = url.clone();
    url.set_fragment(None);
    fetch::Fetcher::new(config)
        .fetch(0, &url, 0, PageKind::Page, config.max_body_bytes)
        .await
}
