//! Crawling one site: robots.txt first, then a breadth-first walk of same-site links.
//!
//! Owns the per-site frontier (a queue and a seen-set of canonical URLs, both dropped when the
//! site is done), the page budget, depth limit, scope checks, redirect following and the
//! [`SiteReport`]. Every exchange is sent to the channel as soon as it is fetched, so memory
//! stays bounded by one page per site in flight. It must not open sockets itself (that is
//! [`crate::fetch`]) nor decide global concurrency (that is [`crate::crawl`]).

use std::collections::{HashSet, VecDeque};

use tokio::sync::mpsc::Sender;
use url::Url;

use crate::fetch::{path_and_query, Exchange, Fetcher, PageKind};
use crate::links::{canonical, canonicalize, extract_links, in_scope};
use crate::robots::{product_token, Robots, MAX_ROBOTS_BYTES};
use crate::{CrawlConfig, CrawlEvent, SiteReport, SiteSeed};

/// How many redirects are followed for robots.txt (RFC 9309 asks for at least five).
const MAX_ROBOTS_REDIRECTS: usize = 5;

/// The receiver is gone: stop crawling.
struct Stopped;

/// Crawls one site and sends its exchanges and then its `SiteDone`. Returns early, without a
/// `SiteDone`, when the receiver was dropped.
pub(crate) async fn crawl_site(config: &CrawlConfig, seed: SiteSeed, events: &Sender<CrawlEvent>) {
    let site_key = seed.site_key;
    let mut report = SiteReport {
        site_key,
        pages: 0,
        errors: 0,
        unreachable: None,
    };
    if walk(config, seed, events, &mut report).await.is_ok() {
        let _ = events.send(CrawlEvent::SiteDone(report)).await;
    }
}

async fn walk(
    config: &CrawlConfig,
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
    let scope = seed.scope_prefix.as_deref();
    let mut fetcher = Fetcher::new(config);

    let robots = if config.obey_robots {
        match fetch_robots(config, &mut fetcher, &start, events, report).await? {
            Ok(r) => r,
            Err(reason) => {
                report.unreachable = Some(reason);
                return Ok(());
            }
        }
    } else {
        Robots::allow_all()
    };

    if !robots.is_allowed(&path_and_query(&start)) {
        report.unreachable = Some("start URL disallowed by robots.txt".to_owned());
        return Ok(());
    }
    // Invariant: every queued URL is in scope, allowed by robots.txt and will be fetched, so
    // the queue never needs to hold more than the remaining page budget (bounded memory).
    let mut queue: VecDeque<(Url, u32)> = VecDeque::new();
    let mut seen: HashSet<String> = HashSet::new();
    seen.insert(start.as_str().to_owned());
    queue.push_back((start.clone(), 0));
    let mut homepage = true;

    while let Some((url, depth)) = queue.pop_front() {
        if report.pages >= config.max_pages_per_site {
            break;
        }
        let is_homepage = std::mem::replace(&mut homepage, false);
        let ex = fetcher
            .fetch(
                report.site_key,
                &url,
                depth,
                PageKind::Page,
                config.max_body_bytes,
            )
            .await;
        report.pages += 1;
        if ex.error.is_some() || ex.status().is_some_and(|s| s >= 400) {
            report.errors += 1;
        }
        if is_homepage && ex.response.is_none() {
            report.unreachable = ex.error.as_ref().map(ToString::to_string);
        }

        let mut next: Vec<(Url, u32)> = Vec::new();
        match ex.status() {
            Some(301 | 302 | 303 | 307 | 308) => {
                // A redirect does not deepen the walk: the target stands in for this page.
                if let Some(target) = ex
                    .response
                    .as_ref()
                    .and_then(|r| r.header("location"))
                    .and_then(|l| canonicalize(&url, l))
                {
                    next.push((target, depth));
                }
            }
            Some(s) if s < 400 && depth < config.max_depth && ex.is_html() => {
                let page = ex.clone();
                // Decoding and parsing a multi-megabyte page is CPU work: keep it off the reactor.
                let links = tokio::task::spawn_blocking(move || {
                    page.decoded_body()
                        .map(|d| extract_links(&d.text, &page.url))
                        .unwrap_or_default()
                })
                .await
                .unwrap_or_default();
                next.extend(links.into_iter().map(|u| (u, depth + 1)));
            }
            _ => {}
        }
        send(events, ex).await?;
        let room = config.max_pages_per_site.saturating_sub(report.pages);
        for (u, d) in next {
            if queue.len() >= room {
                break;
            }
            if !in_scope(&u, &start, scope) || seen.contains(u.as_str()) {
                continue;
            }
            if !robots.is_allowed(&path_and_query(&u)) {
                tracing::debug!(url = %u, "disallowed by robots.txt");
                continue;
            }
            seen.insert(u.as_str().to_owned());
            queue.push_back((u, d));
        }
    }
    tracing::debug!(
        site_key = report.site_key,
        pages = report.pages,
        connections = fetcher.connections_opened,
        "site done"
    );
    Ok(())
}

/// Fetches robots.txt (following up to five redirects) and sends each exchange.
/// `Ok(Err(reason))`: robots.txt is unreachable or 5xx, so the site must not be crawled.
async fn fetch_robots(
    config: &CrawlConfig,
    fetcher: &mut Fetcher<'_>,
    start: &Url,
    events: &Sender<CrawlEvent>,
    report: &mut SiteReport,
) -> Result<Result<Robots, String>, Stopped> {
    let Ok(mut url) = start.join("/robots.txt") else {
        return Ok(Ok(Robots::allow_all()));
    };
    let token = product_token(&config.user_agent);
    for _ in 0..=MAX_ROBOTS_REDIRECTS {
        let ex = fetcher
            .fetch(report.site_key, &url, 0, PageKind::Robots, MAX_ROBOTS_BYTES)
            .await;
        let status = ex.status();
        let outcome = match (&ex.error, status) {
            (Some(e), _) => {
                report.errors += 1;
                Some(Err(if status.is_some() {
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
                    None => Some(Err(format!(
                        "robots.txt redirect {s} without a usable Location"
                    ))),
                }
            }
            (None, Some(200..=299)) => {
                let text = ex.decoded_body().map(|d| d.text).unwrap_or_default();
                Some(Ok(Robots::parse(text.as_bytes(), token)))
            }
            // Too many requests is a sign of overload, like 5xx: do not crawl (as Google does).
            (None, Some(s @ (429 | 500..))) => {
                report.errors += 1;
                Some(Err(format!(
                    "robots.txt unavailable (HTTP {s}), site not crawled"
                )))
            }
            (None, _) => Some(Ok(Robots::allow_all())),
        };
        send(events, ex).await?;
        if let Some(outcome) = outcome {
            return Ok(outcome);
        }
    }
    // RFC 9309 2.3.1.2: after too many redirects robots.txt may be treated as unavailable (4xx).
    Ok(Ok(Robots::allow_all()))
}

async fn send(events: &Sender<CrawlEvent>, ex: Exchange) -> Result<(), Stopped> {
    events
        .send(CrawlEvent::Exchange(Box::new(ex)))
        .await
        .map_err(|_| Stopped)
}
