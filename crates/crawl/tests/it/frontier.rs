//! Frontier behaviour over real servers: politeness shared across seeds of one host, the
//! robots.txt cache and RFC 9309 status handling, spider traps, sitemaps, resuming.

use std::sync::Arc;
use std::time::Duration;

use crawl::{
    CrawlConfig, FetchKind, FrontierState, MemoryFrontierStore, QueuedUrl, RobotsCache, SiteSeed,
    TrapGuard, UrlSource,
};

use crate::crawl::{config, exchanges, paths, report, run, seed};
use crate::server::{not_found, page, respond, start_fn};

fn scoped(site_key: i64, url: &str, prefix: &str) -> SiteSeed {
    SiteSeed {
        scope_prefix: Some(prefix.to_owned()),
        ..seed(site_key, url)
    }
}

/// A platform with shops under /shop/N, each shop three pages deep.
fn platform(
    hit: &crate::server::Hit,
    _: usize,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let p = hit.path.as_str();
    if p == "/robots.txt" {
        return respond(
            200,
            &[],
            "User-agent: *\nCrawl-delay: 0.04\nDisallow: /admin\n",
        );
    }
    if let Some(rest) = p.strip_prefix("/shop/") {
        let mut parts = rest.split('/');
        let shop = parts.next().unwrap_or("");
        return match parts.next() {
            None => page(format!(
                r#"<a href="/shop/{shop}/a">a</a><a href="/shop/{shop}/b">b</a><a href="/admin">x</a>"#
            )),
            Some(_) => page("item"),
        };
    }
    not_found()
}

#[tokio::test]
async fn seeds_on_one_host_share_its_politeness_slot_and_connection() {
    let server = start_fn(Duration::from_millis(5), platform).await;
    let cfg = CrawlConfig {
        concurrency: 4,
        ..config(&[server.entry("mall.test")])
    };
    let events = run(
        cfg,
        vec![
            scoped(1, "http://mall.test/shop/1", "/shop/1"),
            scoped(2, "http://mall.test/shop/2", "/shop/2"),
            scoped(3, "http://mall.test/shop/3", "/shop/3"),
        ],
    )
    .await;
    for key in 1..=3 {
        assert_eq!(report(&events, key).pages, 3, "site {key}");
    }
    let hits = server.hits();
    // robots.txt once for the three seeds (shared cache), then the shops one after the other.
    assert_eq!(server.count("/robots.txt"), 1);
    assert_eq!(hits.len(), 10);
    let shop_of = |p: &str| p.split('/').nth(2).unwrap_or("").to_owned();
    let order: Vec<String> = hits[1..].iter().map(|h| shop_of(&h.path)).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "one shop at a time on one host: {order:?}");
    // One request at a time on one connection, kept alive across the seeds.
    assert_eq!(
        server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(server.connections(), 1);
    assert!(hits.iter().all(|h| h.conn == 0));
    // Crawl-delay 0.04 s is honoured between request starts (delay_per_host is 0 here). The
    // server sees arrivals slightly shifted, so only half of it is asserted.
    for w in hits.windows(2).skip(1) {
        let gap = w[1].at.duration_since(w[0].at);
        assert!(
            gap >= Duration::from_millis(20),
            "gap {gap:?} between {} and {}",
            w[0].path,
            w[1].path
        );
    }
    assert!(!server.paths().contains(&"/admin".to_owned()));
}

#[tokio::test]
async fn other_hosts_are_not_held_up_by_a_busy_host() {
    let server = start_fn(Duration::ZERO, platform).await;
    let cfg = CrawlConfig {
        concurrency: 2,
        ..config(&[server.entry("mall.test"), server.entry("solo.test")])
    };
    let mut seeds: Vec<SiteSeed> = (1..=4)
        .map(|i| {
            scoped(
                i,
                &format!("http://mall.test/shop/{i}"),
                &format!("/shop/{i}"),
            )
        })
        .collect();
    seeds.push(scoped(9, "http://solo.test/shop/9", "/shop/9"));
    let events = run(cfg, seeds).await;
    // The solo host's site started while the mall's shops were still queued.
    let hosts: Vec<String> = server.hits().iter().map(|h| h.host.clone()).collect();
    let solo_first = hosts.iter().position(|h| h == "solo.test").unwrap();
    let mall_last = hosts.iter().rposition(|h| h == "mall.test").unwrap();
    assert!(solo_first < mall_last, "{hosts:?}");
    assert_eq!(report(&events, 9).pages, 3);
    assert!(
        server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
            <= 2
    );
}

#[tokio::test]
async fn robots_cache_is_reused_across_crawls_and_expires() {
    let server = start_fn(Duration::ZERO, platform).await;
    let cache = RobotsCache::new();
    let cfg = CrawlConfig {
        robots_cache: cache.clone(),
        ..config(&[server.entry("mall.test")])
    };
    run(
        cfg.clone(),
        vec![scoped(1, "http://mall.test/shop/1", "/shop/1")],
    )
    .await;
    let events = run(cfg, vec![scoped(2, "http://mall.test/shop/2", "/shop/2")]).await;
    assert_eq!(
        server.count("/robots.txt"),
        1,
        "second crawl used the cache"
    );
    assert!(exchanges(&events, 2)
        .iter()
        .all(|x| x.kind != FetchKind::Robots));
    assert_eq!(cache.len(), 1);

    let expired = CrawlConfig {
        robots_cache: RobotsCache::with_ttl(Duration::ZERO),
        ..config(&[server.entry("mall.test")])
    };
    run(
        expired.clone(),
        vec![scoped(3, "http://mall.test/shop/3", "/shop/3")],
    )
    .await;
    run(
        expired,
        vec![scoped(4, "http://mall.test/shop/4", "/shop/4")],
    )
    .await;
    assert_eq!(server.count("/robots.txt"), 3);
}

#[tokio::test]
async fn robots_status_codes_per_rfc_9309() {
    let server = start_fn(Duration::ZERO, |hit, _| {
        match (hit.host.as_str(), hit.path.as_str()) {
            ("gone.test", "/robots.txt") => respond(404, &[], "no"),
            ("forbidden.test", "/robots.txt") => respond(403, &[], "no"),
            ("down.test", "/robots.txt") => respond(500, &[], "oops"),
            ("moved.test", "/robots.txt") => respond(301, &[("location", "/real-robots.txt")], ""),
            ("moved.test", "/real-robots.txt") => {
                respond(200, &[], "User-agent: *\nDisallow: /secret\n")
            }
            ("loop.test", p) if p.starts_with("/robots") => {
                let n: u32 = p
                    .trim_start_matches("/robots")
                    .trim_end_matches(".txt")
                    .parse()
                    .unwrap_or(0);
                respond(302, &[("location", &format!("/robots{}.txt", n + 1))], "")
            }
            (_, "/") => page(r#"<a href="/secret">s</a><a href="/open">o</a>"#),
            (_, "/secret") | (_, "/open") => page("x"),
            _ => not_found(),
        }
    })
    .await;
    let hosts = [
        "gone.test",
        "forbidden.test",
        "down.test",
        "moved.test",
        "loop.test",
    ];
    let entries: Vec<String> = hosts.iter().map(|h| server.entry(h)).collect();
    let seeds = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| seed(i as i64 + 1, &format!("http://{h}/")))
        .collect();
    let events = run(config(&entries), seeds).await;
    // 4xx: no robots.txt, everything allowed.
    assert_eq!(paths(&exchanges(&events, 1)), ["/", "/open", "/secret"]);
    assert_eq!(paths(&exchanges(&events, 2)), ["/", "/open", "/secret"]);
    // 5xx: nothing crawled.
    let down = report(&events, 3);
    assert_eq!(down.pages, 0);
    assert!(down.unreachable.unwrap().contains("HTTP 500"));
    // Redirect followed; the target's rules apply.
    assert_eq!(paths(&exchanges(&events, 4)), ["/", "/open"]);
    // More than five redirects: treated as no robots.txt, after exactly 1 + 5 robots fetches.
    let lp = exchanges(&events, 5);
    assert_eq!(lp.iter().filter(|x| x.kind == FetchKind::Robots).count(), 6);
    assert_eq!(paths(&lp), ["/", "/open", "/secret"]);
}

#[tokio::test]
async fn spider_traps_are_cut_and_reported() {
    let server = start_fn(Duration::ZERO, |hit, _| {
        let p = hit.path.as_str();
        if p == "/" {
            return page(r#"<a href="/cal/2026/11/">cal</a><a href="/loop/">loop</a><a href="/list?page=1">list</a>"#);
        }
        if let Some(rest) = p.strip_prefix("/cal/") {
            // An endless calendar: every month links to the next.
            let mut it = rest.trim_end_matches('/').split('/');
            let y: u32 = it.next().unwrap().parse().unwrap();
            let m: u32 = it.next().unwrap().parse().unwrap();
            let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            return page(format!(r#"<a href="/cal/{y}/{m:02}/">next month</a>"#));
        }
        if p.starts_with("/loop/") {
            // A relative link that resolves ever deeper.
            return page(r#"<a href="x/">deeper</a>"#);
        }
        if let Some(n) = p.strip_prefix("/list?page=") {
            let n: u32 = n.parse().unwrap();
            return page(format!(r#"<a href="/list?page={}">next</a>"#, n + 1));
        }
        not_found()
    })
    .await;
    let cfg = CrawlConfig {
        max_pages_per_site: 1000,
        max_depth: 10_000,
        max_urls_per_shape: 20,
        max_query_variants: 10,
        ..config(&[server.entry("trap.test")])
    };
    let events = run(cfg, vec![seed(1, "http://trap.test/")]).await;
    let r = report(&events, 1);
    // 1 homepage + 20 months + /loop/, /loop/x/, /loop/x/x/ + 10 list pages.
    assert_eq!(r.pages, 1 + 20 + 3 + 10, "{:?}", server.paths());
    let guards: Vec<TrapGuard> = r.traps.iter().map(|t| t.guard).collect();
    assert_eq!(
        guards,
        [
            TrapGuard::RepeatedSegments,
            TrapGuard::QueryVariants,
            TrapGuard::PathShape
        ]
    );
    let cal = r
        .traps
        .iter()
        .find(|t| t.guard == TrapGuard::PathShape)
        .unwrap();
    assert_eq!(cal.example, "http://trap.test/cal/2028/07/");
    assert!(cal.to_string().contains("calendar"));
}

#[tokio::test]
async fn sitemap_index_feeds_unlinked_urls_with_lastmod() {
    use std::io::Write;
    let server = start_fn(Duration::ZERO, |hit, _| match hit.path.as_str() {
        "/robots.txt" => respond(200, &[], "User-agent: *\nDisallow: /private\nSitemap: http://map.test/index.xml\nSitemap: http://elsewhere.test/s.xml\n"),
        "/" => page("no links at all"),
        "/index.xml" => respond(
            200,
            &[("content-type", "application/xml")],
            r#"<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://map.test/s1.xml.gz</loc></sitemap><sitemap><loc>http://map.test/s2.xml</loc></sitemap>
</sitemapindex>"#,
        ),
        "/s1.xml.gz" => {
            let xml = r#"<urlset><url><loc>http://map.test/hidden1</loc><lastmod>2026-01-02</lastmod></url>
<url><loc>http://map.test/private/x</loc></url><url><loc>http://other.test/off</loc></url></urlset>"#;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(xml.as_bytes()).unwrap();
            respond(200, &[("content-type", "application/octet-stream")], gz.finish().unwrap())
        }
        "/s2.xml" => respond(200, &[], "<urlset><url><loc>/hidden2</loc></url><url><loc>http://map.test/</loc></url></urlset>"),
        "/hidden1" | "/hidden2" => page("found via sitemap"),
        _ => not_found(),
    })
    .await;
    let cfg = config(&[server.entry("map.test")]);
    let events = run(cfg.clone(), vec![seed(1, "http://map.test/")]).await;
    let xs = exchanges(&events, 1);
    assert_eq!(paths(&xs), ["/", "/hidden1", "/hidden2"]);
    let maps: Vec<&str> = xs
        .iter()
        .filter(|x| x.kind == FetchKind::Sitemap)
        .map(|x| x.url.path())
        .collect();
    assert_eq!(
        maps,
        ["/index.xml", "/sitemap.xml", "/s1.xml.gz", "/s2.xml"]
    );
    let hidden1 = xs.iter().find(|x| x.url.path() == "/hidden1").unwrap();
    assert_eq!(hidden1.lastmod.as_deref(), Some("2026-01-02"));
    assert_eq!(hidden1.depth, 1);
    assert_eq!(report(&events, 1).pages, 3, "sitemap fetches are not pages");
    assert!(!server.paths().iter().any(|p| p.starts_with("/private")));

    // A scoped seed (one shop of a platform) does not fetch the host's sitemaps.
    let before = server.hits().len();
    run(cfg, vec![scoped(2, "http://map.test/", "/")]).await;
    assert_eq!(server.paths()[before..], ["/"]);
}

#[tokio::test]
async fn a_saved_frontier_is_resumed_and_cleared_when_done() {
    let server = start_fn(Duration::ZERO, |hit, _| match hit.path.as_str() {
        "/" => page(r#"<a href="/a">a</a>"#),
        "/a" | "/b" => page(r#"<a href="/c">c</a>"#),
        "/c" => page("end"),
        _ => not_found(),
    })
    .await;
    let store = Arc::new(MemoryFrontierStore::new());
    store.put_state(
        1,
        FrontierState {
            pages: 2,
            queue: vec![QueuedUrl {
                url: "http://res.test/b".into(),
                depth: 1,
                source: UrlSource::Link,
                lastmod: None,
            }],
            seen: vec![
                "http://res.test/".into(),
                "http://res.test/a".into(),
                "http://res.test/b".into(),
            ],
            traps: vec![],
        },
    );
    let cfg = CrawlConfig {
        obey_robots: false,
        frontier_store: store.clone(),
        checkpoint_every: 1,
        ..config(&[server.entry("res.test")])
    };
    let events = run(cfg, vec![seed(1, "http://res.test/")]).await;
    assert_eq!(
        server.paths(),
        ["/b", "/c"],
        "the homepage and /a were done before"
    );
    let r = report(&events, 1);
    assert!(r.resumed);
    assert_eq!(r.pages, 4);
    assert!(store.saves() >= 2);
    assert_eq!(store.state(1), None, "cleared when the site is done");
}
