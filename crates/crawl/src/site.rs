//! Crawling one site: robots.txt first (through the shared cache), then a breadth-first walk
//! of same-site links and sitemap entries.
//!
//! Owns the walk over a [`Frontier`] (loaded from the [`FrontierStore`] when a killed crawl
//! left one, checkpointed while walking, cleared when done), robots.txt fetching and its
//! RFC 9309 status handling, sitemap fetching, redirect following, conditional GETs with the
//! known validators, 429/503 retries, and the [`SiteReport`]. Every exchange is sent to the
//! channel as soon as it is fetched, so memory stays bounded by one page per site in flight
//! plus a frontier bounded by the page budget. It must not open sockets itself (that is
//! [`crate::fetch`]), decide politeness (that is [`crate::hosts`]) nor decide global
//! concurrency (that is [`crate::crawl`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use tokio::sync::mpsc::Sender;
use url::Url;

use crate::fetch::{host_key, path_and_query, Exchange, FetchKind, Fetcher, RequestOptions};
use crate::frontier::{Frontier, FrontierStore, UrlSource, Validators};
use crate::hosts::{AfterResponse, Hosts};
use crate::links::{canonical, canonicalize, dedup_key, extract_links};
use crate::robots::{origin_of, Robots, RobotsOutcome, MAX_ROBOTS_BYTES};
use crate::sitemap::{parse_sitemap, SitemapKind, MAX_SITEMAP_BYTES};
use crate::{CrawlConfig, CrawlEvent, SiteReport, SiteSeed};

/// How many redirects are followed for robots.txt (RFC 9309 asks for at least five).
const MAX_ROBOTS_REDIRECTS: usize = 5;

/// The receiver is gone: stop crawling.
struct Stopped;

/// Crawls one site and sends its exchanges and then its `SiteDone`. Returns early, without a
/// `SiteDone`, when the receiver was dropped.
pub(crate) async fn crawl_site(
    config: &CrawlConfig,
    hosts: Arc<Hosts>,
    seed: SiteSeed,
    events: &Sender<CrawlEvent>,
) {
    let mut report = SiteReport::new(seed.site_key);
    let fetcher = Fetcher::with_hosts(config, hosts);
    if walk(config, &fetcher, seed, events, &mut report)
        .await
        .is_ok()
    {
        let _ = events.send(CrawlEvent::SiteDone(report)).await;
    }
}

async fn walk(
    config: &CrawlConfig,
    fetcher: &Fetcher<'_>,
    seed: SiteSeed,
    events: &Sender<CrawlEvent>,
    report: &mut SiteReport,
) -> Result<(), Stopped> {
    let mut start = seed.start;
    if !canonical(&mut start) {
        report.unreachable = Some(format!(
            "start URL {start} is not an http(s) URL with a host"
        ));
        return Ok(());
    }
    let site_key = report.site_key;
    let hosts = fetcher.hosts.clone();
    if let Some(reason) = host_key(&start).and_then(|k| hosts.gave_up(&k)) {
        report.unreachable = Some(reason);
        return Ok(());
    }

    let robots = if config.obey_robots {
        match robots_for(config, fetcher, &start, events, report).await? {
            Ok(r) => r,
            Err(reason) => {
                report.unreachable = Some(reason);
                return Ok(());
            }
        }
    } else {
        Robots::allow_all()
    };
    if let (Some(delay), Some(key)) = (robots.crawl_delay(), host_key(&start)) {
        hosts.set_crawl_delay(&key, delay);
    }
    if !robots.is_allowed(&path_and_query(&start)) {
        report.unreachable = Some("start URL disallowed by robots.txt".to_owned());
        return Ok(());
    }

    let store: &dyn FrontierStore = config.frontier_store.as_ref();
    let limits = config.frontier_limits();
    let scope = seed.scope_prefix.clone();
    let mut frontier = match store.load(site_key).await {
        Ok(Some(state)) => {
            report.resumed = true;
            Frontier::from_state(start.clone(), scope.clone(), limits, state)
        }
        other => {
            if let Err(e) = other {
                tracing::warn!(site_key, error = %e, "cannot load the saved frontier; starting afresh");
            }
            let mut f = Frontier::new(start.clone(), scope.clone(), limits);
            let _ = f.push(&start, 0, UrlSource::Start, None);
            f
        }
    };
    report.pages = frontier.pages();
    let known = match store.known_validators(site_key).await {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(site_key, error = %e, "cannot load known validators");
            Vec::new()
        }
    };
    let validators: HashMap<String, Validators> = known
        .iter()
        .map(|(u, v)| (dedup_key(u), v.clone()))
        .collect();
    // Known URLs and sitemap entries are queued once the homepage is in (or right away when
    // resuming), behind the homepage's own links.
    let mut extras_pending = true;
    if report.resumed {
        queue_known(&mut frontier, &robots, &known);
        extras_pending = false;
    }
    let start_key = dedup_key(&start);
    let mut got_page = report.resumed;

    while let Some((url, queued)) = frontier.pop() {
        let key = host_key(&url);
        if let Some(reason) = key.as_ref().and_then(|k| hosts.gave_up(k)) {
            report.stopped = Some(reason);
            frontier.clear_queue();
            break;
        }
        let is_homepage = dedup_key(&url) == start_key;
        let options = RequestOptions {
            profile: None,
            validators: validators.get(&dedup_key(&url)).cloned(),
            lastmod: queued.lastmod.clone(),
        };
        let ex = fetcher
            .fetch_with(
                site_key,
                &url,
                queued.depth,
                FetchKind::Page,
                config.max_body_bytes,
                options,
            )
            .await;
        frontier.record_fetch();
        report.pages += 1;
        if ex.error.is_some() || ex.status().is_some_and(|s| s >= 400) {
            report.errors += 1;
        }
        if ex.not_modified() {
            report.not_modified += 1;
        }
        if is_homepage && ex.response.is_none() && !got_page {
            report.unreachable = ex.error.as_ref().map(ToString::to_string);
        }

        let mut next: Vec<(Url, u32, UrlSource)> = Vec::new();
        let mut retry = false;
        if let (Some(status), Some(key)) = (ex.status(), key.as_ref()) {
            let retry_after = ex.response.as_ref().and_then(|r| r.header("retry-after"));
            match hosts.after_response(key, status, retry_after) {
                AfterResponse::Proceed => {}
                AfterResponse::Retry(_) => retry = true,
                AfterResponse::GiveUp(reason) => {
                    if !got_page {
                        report.unreachable = Some(reason.clone());
                    }
                    report.stopped = Some(reason);
                }
            }
        }
        match ex.status() {
            _ if retry || report.stopped.is_some() => {}
            Some(301 | 302 | 303 | 307 | 308) => {
                got_page = true;
                // A redirect does not deepen the walk: the target stands in for this page.
                if let Some(target) = ex
                    .response
                    .as_ref()
                    .and_then(|r| r.header("location"))
                    .and_then(|l| canonicalize(&url, l))
                {
                    next.push((target, queued.depth, UrlSource::Redirect));
                }
            }
            Some(s) if s < 400 => {
                got_page = true;
                if queued.depth < config.max_depth && ex.is_html() {
                    let page = ex.clone();
                    // Decoding and parsing a multi-megabyte page is CPU work: keep it off the
                    // reactor.
                    let links = tokio::task::spawn_blocking(move || {
                        page.decoded_body()
                            .map(|d| extract_links(&d.text, &page.url))
                            .unwrap_or_default()
                    })
                    .await
                    .unwrap_or_default();
                    next.extend(
                        links
                            .into_iter()
                            .map(|u| (u, queued.depth + 1, UrlSource::Link)),
                    );
                }
            }
            _ => {}
        }
        let homepage_answered = is_homepage && ex.response.is_some() && !retry;
        send(events, ex).await?;
        if report.stopped.is_some() {
            frontier.clear_queue();
            break;
        }
        if retry {
            frontier.push_retry(queued);
        }
        for (u, depth, source) in next {
            if !robots.is_allowed(&path_and_query(&u)) {
                tracing::debug!(url = %u, "disallowed by robots.txt");
                continue;
            }
            let _ = frontier.push(&u, depth, source, None);
        }
        if homepage_answered && extras_pending {
            extras_pending = false;
            queue_known(&mut frontier, &robots, &known);
            if config.use_sitemaps && scope.is_none() {
                sitemaps(
                    site_key,
                    config,
                    fetcher,
                    &robots,
                    &start,
                    &mut frontier,
                    events,
                )
                .await?;
            }
        }
        if config.checkpoint_every > 0 && frontier.pages() % config.checkpoint_every == 0 {
            if let Err(e) = store.save(site_key, &frontier.state()).await {
                tracing::warn!(site_key, error = %e, "cannot save the frontier");
            }
        }
    }
    report.traps = frontier.traps();
    for t in &report.traps {
        tracing::info!(site_key, trap = %t, "spider-trap guard");
    }
    if let Err(e) = store.finish(site_key).await {
        tracing::warn!(site_key, error = %e, "cannot clear the frontier");
    }
    tracing::debug!(site_key, pages = report.pages, "site done");
    Ok(())
}

fn queue_known(frontier: &mut Frontier, robots: &Robots, known: &[(Url, Validators)]) {
    for (u, _) in known {
        if robots.is_allowed(&path_and_query(u)) {
            let _ = frontier.push(u, 1, UrlSource::Known, None);
        }
    }
}

/// Fetches the site's sitemaps (robots.txt `Sitemap:` lines on the site's host, and
/// `/sitemap.xml`), following sitemap indexes, and queues their entries at depth 1 with their
/// `lastmod`. Stops when `max_sitemaps` files were fetched or the frontier is full.
async fn sitemaps(
    site_key: i64,
    config: &CrawlConfig,
    fetcher: &Fetcher<'_>,
    robots: &Robots,
    start: &Url,
    frontier: &mut Frontier,
    events: &Sender<CrawlEvent>,
) -> Result<(), Stopped> {
    let mut todo: VecDeque<Url> = VecDeque::new();
    let mut seen: HashSet<String> = HashSet::new();
    let candidates = robots
        .sitemaps()
        .iter()
        .filter_map(|s| canonicalize(start, s))
        .chain(start.join("/sitemap.xml").ok());
    for u in candidates {
        // Other hosts' sitemaps would need their own politeness and trust: not followed.
        if u.host_str() == start.host_str() && seen.insert(u.to_string()) {
            todo.push_back(u);
        }
    }
    let mut fetched = 0;
    while let Some(url) = todo.pop_front() {
        if fetched >= config.max_sitemaps || frontier.room() <= frontier.len() {
            break;
        }
        if !robots.is_allowed(&path_and_query(&url)) {
            continue;
        }
        fetched += 1;
        let ex = fetcher
            .fetch(site_key, &url, 0, FetchKind::Sitemap, MAX_SITEMAP_BYTES)
            .await;
        let parsed = if ex.status() == Some(200) {
            let page = ex.clone();
            tokio::task::spawn_blocking(move || {
                let coding = page
                    .response
                    .as_ref()
                    .and_then(|r| r.header("content-encoding"));
                http_msg::decode_content(&page.body, coding, MAX_SITEMAP_BYTES)
                    .ok()
                    .map(|plain| parse_sitemap(&plain.bytes))
            })
            .await
            .ok()
            .flatten()
        } else {
            None
        };
        send(events, ex).await?;
        let Some(sitemap) = parsed else { continue };
        for entry in sitemap.entries {
            let Some(u) = canonicalize(&url, &entry.loc) else {
                continue;
            };
            match sitemap.kind {
                SitemapKind::Index => {
                    if u.host_str() == start.host_str()
                        && seen.len() < config.max_sitemaps * 4
                        && seen.insert(u.to_string())
                    {
                        todo.push_back(u);
                    }
                }
                SitemapKind::UrlSet => {
                    if frontier.room() <= frontier.len() {
                        break;
                    }
                    if robots.is_allowed(&path_and_query(&u)) {
                        let _ = frontier.push(&u, 1, UrlSource::Sitemap, entry.lastmod);
                    }
                }
            }
        }
    }
    Ok(())
}

/// robots.txt for the start URL's origin, from the shared cache or fetched now (its exchanges
/// then sent under this site's key). `Ok(Err(reason))`: the site must not be crawled.
async fn robots_for(
    config: &CrawlConfig,
    fetcher: &Fetcher<'_>,
    start: &Url,
    events: &Sender<CrawlEvent>,
    report: &mut SiteReport,
) -> Result<Result<Robots, String>, Stopped> {
    let Some(origin) = origin_of(start) else {
        return Ok(Ok(Robots::allow_all()));
    };
    let result = config
        .robots_cache
        .get_or_fetch(origin, || {
            fetch_robots(config, fetcher, start, events, report)
        })
        .await;
    Ok(match result? {
        (RobotsOutcome::Rules(r), _) => Ok(r),
        (RobotsOutcome::Unavailable(reason), _) => Err(reason),
    })
}

/// Fetches robots.txt (following up to five redirects) and sends each exchange.
async fn fetch_robots(
    config: &CrawlConfig,
    fetcher: &Fetcher<'_>,
    start: &Url,
    events: &Sender<CrawlEvent>,
    report: &mut SiteReport,
) -> Result<RobotsOutcome, Stopped> {
    let Ok(mut url) = start.join("/robots.txt") else {
        return Ok(RobotsOutcome::Rules(Robots::allow_all()));
    };
    let token = config.robots_token();
    for _ in 0..=MAX_ROBOTS_REDIRECTS {
        let ex = fetcher
            .fetch(
                report.site_key,
                &url,
                0,
                FetchKind::Robots,
                MAX_ROBOTS_BYTES,
            )
            .await;
        let status = ex.status();
        let outcome = match (&ex.error, status) {
            (Some(e), _) => {
                report.errors += 1;
                Some(RobotsOutcome::Unavailable(if status.is_some() {
                    format!("robots.txt: {e}")
                } else {
                    e.to_string()
                }))
            }
            (None, Some(s @ (301 | 302 | 303 | 307 | 308))) => {
                match ex
                    .response
                    .as_ref()
                    .and_then(|r| r.header("location"))
                    .and_then(|l| canonicalize(&url, l))
                {
                    Some(target) => {
                        url = target;
                        None
                    }
                    None => Some(RobotsOutcome::Unavailable(format!(
                        "robots.txt redirect {s} without a usable Location"
                    ))),
                }
            }
            (None, Some(200..=299)) => {
                let text = ex.decoded_body().map(|d| d.text).unwrap_or_default();
                Some(RobotsOutcome::Rules(Robots::parse(text.as_bytes(), token)))
            }
            // Too many requests is a sign of overload, like 5xx: do not crawl (as Google does).
            (None, Some(s @ (429 | 500..))) => {
                report.errors += 1;
                Some(RobotsOutcome::Unavailable(format!(
                    "robots.txt unavailable (HTTP {s}), site not crawled"
                )))
            }
            // 4xx (and anything else): no robots.txt, everything allowed (RFC 9309 §2.3.1.3).
            (None, _) => Some(RobotsOutcome::Rules(Robots::allow_all())),
        };
        send(events, ex).await?;
        if let Some(outcome) = outcome {
            return Ok(outcome);
        }
    }
    // RFC 9309 2.3.1.2: after too many redirects robots.txt may be treated as unavailable (4xx).
    Ok(RobotsOutcome::Rules(Robots::allow_all()))
}

async fn send(events: &Sender<CrawlEvent>, ex: Exchange) -> Result<(), Stopped> {
    events
        .send(CrawlEvent::Exchange(Box::new(ex)))
        .await
        .map_err(|_| Stopped)
}
