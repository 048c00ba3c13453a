//! Whole-site crawls: robots, link following, budget, depth, scope, failures.

use std::sync::Arc;

use crawl::{
    crawl, CrawlConfig, CrawlEvent, Exchange, FetchKind, ResolveMap, SiteReport, SiteSeed,
};
use url::Url;

use crate::server::{dead_addr, start_shops, GBK_TEXT};

pub fn config(entries: &[String]) -> CrawlConfig {
    let mut resolve = ResolveMap::default();
    for e in entries {
        resolve.parse_entry(e).unwrap();
    }
    CrawlConfig {
        user_agent: "wangjian-test/1.0".into(),
        max_pages_per_site: 100,
        max_depth: 5,
        concurrency: 2,
        delay_per_host: std::time::Duration::ZERO,
        resolve,
        ..CrawlConfig::default()
    }
}

pub fn seed(site_key: i64, url: &str) -> SiteSeed {
    SiteSeed {
        site_key,
        start: Url::parse(url).unwrap(),
        scope_prefix: None,
    }
}

pub async fn run(config: CrawlConfig, seeds: Vec<SiteSeed>) -> Vec<CrawlEvent> {
    // A small channel so that back-pressure is exercised.
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let task = tokio::spawn(crawl(Arc::new(config), seeds, tx));
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    task.await.unwrap();
    events
}

pub fn exchanges(events: &[CrawlEvent], site_key: i64) -> Vec<&Exchange> {
    events
        .iter()
        .filter_map(|e| match e {
            CrawlEvent::Exchange(x) if x.site_key == site_key => Some(&**x),
            _ => None,
        })
        .collect()
}

pub fn report(events: &[CrawlEvent], site_key: i64) -> SiteReport {
    let reports: Vec<&SiteReport> = events
        .iter()
        .filter_map(|e| match e {
            CrawlEvent::SiteDone(r) if r.site_key == site_key => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 1, "exactly one SiteDone for site {site_key}");
    reports[0].clone()
}

pub fn paths(xs: &[&Exchange]) -> Vec<String> {
    let mut p: Vec<String> = xs
        .iter()
        .filter(|x| x.kind == FetchKind::Page)
        .map(|x| x.url.path().to_owned())
        .collect();
    p.sort();
    p
}

fn by_path<'a>(xs: &[&'a Exchange], path: &str) -> &'a Exchange {
    xs.iter()
        .find(|x| x.url.path() == path)
        .unwrap_or_else(|| panic!("{path} not fetched"))
}

#[tokio::test]
async fn crawls_sites_obeys_robots_and_survives_a_dead_site() {
    let server = start_shops().await;
    let dead = dead_addr().await;
    let config = config(&[
        server.entry("shop-a.test"),
        server.entry("shop-b.test"),
        format!("dead.test:80:{dead}"),
        // The https link goes to the same plain-HTTP server: the TLS handshake fails there.
        format!("shop-a.test:443:{}", server.addr),
    ]);
    let events = run(
        config,
        vec![
            seed(1, "http://shop-a.test/"),
            seed(2, "http://dead.test/"),
            seed(3, "http://Shop-B.test:80/"),
        ],
    )
    .await;

    // Per site: robots.txt first, SiteDone last.
    for key in [1, 2, 3] {
        let first = events.iter().find(|e| match e {
            CrawlEvent::Exchange(x) => x.site_key == key,
            CrawlEvent::SiteDone(r) => r.site_key == key,
        });
        assert!(
            matches!(first, Some(CrawlEvent::Exchange(x)) if x.kind == FetchKind::Robots && x.url.path() == "/robots.txt")
        );
        let last = events.iter().rev().find(|e| match e {
            CrawlEvent::Exchange(x) => x.site_key == key,
            CrawlEvent::SiteDone(r) => r.site_key == key,
        });
        assert!(matches!(last, Some(CrawlEvent::SiteDone(_))));
    }

    // Site A: every in-scope page except the robots-disallowed one; nothing off-site.
    let a = exchanges(&events, 1);
    assert_eq!(
        paths(&a),
        ["/", "/gbk", "/gz", "/missing", "/new", "/old", "/p1", "/p2", "/p3", "/p4", "/secure"]
    );
    let seen = server.seen();
    assert!(
        !seen.iter().any(|s| s.path.starts_with("/private")),
        "robots.txt disallowed /private"
    );
    assert!(
        seen.iter()
            .all(|s| s.host == "shop-a.test" || s.host == "shop-b.test"),
        "{seen:?}"
    );
    let ra = report(&events, 1);
    assert_eq!(
        ra,
        SiteReport {
            pages: 11,
            errors: 2,
            ..SiteReport::new(1)
        }
    );

    // Exchanges carry what evidence needs.
    let home = by_path(&a, "/");
    assert_eq!(home.remote_addr, Some(server.addr));
    assert_eq!(home.depth, 0);
    let head = String::from_utf8(home.request_head.clone()).unwrap();
    assert!(
        head.starts_with(
            "GET / HTTP/1.1\r\nHost: shop-a.test\r\nUser-Agent: wangjian-test/1.0\r\n"
        ),
        "{head}"
    );
    assert!(head.ends_with("\r\n\r\n"));
    let resp = home.response.as_ref().unwrap();
    assert_eq!((resp.status, resp.reason.as_str()), (200, "OK"));
    assert!(resp.raw.starts_with(b"HTTP/1.1 200 OK\r\n") && resp.raw.ends_with(b"\r\n\r\n"));
    assert!(home.is_html());
    assert_eq!(by_path(&a, "/p3").depth, 2);

    // Redirect recorded and followed; 404 recorded; a failed TLS handshake reported.
    let old = by_path(&a, "/old");
    assert_eq!(old.response.as_ref().unwrap().status, 301);
    assert_eq!(
        old.response.as_ref().unwrap().header("location"),
        Some("/new")
    );
    assert_eq!(
        by_path(&a, "/missing").response.as_ref().unwrap().status,
        404
    );
    let secure = by_path(&a, "/secure");
    assert!(
        matches!(secure.error, Some(crawl::FetchError::Tls(_))),
        "{:?}",
        secure.error
    );
    assert!(secure.response.is_none());

    // GBK page decoded via <meta charset>.
    let gbk = by_path(&a, "/gbk").decoded_body().unwrap();
    assert_eq!(gbk.charset, "GBK");
    assert!(gbk.text.contains(GBK_TEXT), "{}", gbk.text);

    // gzip kept raw in the body, removed by decoded_body.
    let gz = by_path(&a, "/gz");
    assert_eq!(&gz.body[..2], &[0x1f, 0x8b]);
    assert_eq!(gz.decoded_body().unwrap().text, "<p>压缩的页面</p>");

    // The dead site is reported, the others completed.
    let rd = report(&events, 2);
    assert_eq!(
        (rd.pages, rd.unreachable.as_deref()),
        (0, Some("connect refused"))
    );
    let rb = report(&events, 3);
    assert_eq!(rb.unreachable, None);
    let b = exchanges(&events, 3);
    assert_eq!(
        b[0].response.as_ref().unwrap().status,
        404,
        "shop-b has no robots.txt"
    );
    assert!(paths(&b).contains(&"/item/1".to_owned()));

    // One keep-alive connection per live site, and the one the failed TLS handshake took.
    assert_eq!(server.connections(), 3);
}

#[tokio::test]
async fn page_budget_is_honoured_and_robots_is_not_counted() {
    let server = start_shops().await;
    let config = CrawlConfig {
        max_pages_per_site: 3,
        ..config(&[server.entry("shop-b.test")])
    };
    let events = run(config, vec![seed(7, "http://shop-b.test/")]).await;
    let b = exchanges(&events, 7);
    assert_eq!(b.iter().filter(|x| x.kind == FetchKind::Robots).count(), 1);
    assert_eq!(paths(&b), ["/", "/item/1", "/item/2"]);
    assert_eq!(report(&events, 7).pages, 3);
}

#[tokio::test]
async fn depth_limit_stops_link_following() {
    let server = start_shops().await;
    let config = CrawlConfig {
        max_depth: 1,
        obey_robots: false,
        ..config(&[server.entry("shop-b.test")])
    };
    let events = run(config, vec![seed(7, "http://shop-b.test/")]).await;
    let b = exchanges(&events, 7);
    assert!(
        b.iter().all(|x| x.kind != FetchKind::Robots),
        "robots.txt not fetched when not obeyed"
    );
    assert_eq!(paths(&b), ["/", "/item/1", "/item/2", "/item/3"]);
}

#[tokio::test]
async fn scope_prefix_limits_the_walk() {
    let server = start_shops().await;
    let config = CrawlConfig {
        obey_robots: false,
        ..config(&[server.entry("shop-b.test")])
    };
    let seed = SiteSeed {
        scope_prefix: Some("/shop/7".into()),
        ..seed(7, "http://shop-b.test/shop/7")
    };
    let events = run(config, vec![seed]).await;
    assert_eq!(paths(&exchanges(&events, 7)), ["/shop/7", "/shop/7/p"]);
}

#[tokio::test]
async fn robots_5xx_means_site_not_crawled() {
    let server = start_shops().await;
    let events = run(
        config(&[server.entry("broken.test")]),
        vec![seed(9, "http://broken.test/")],
    )
    .await;
    let r = report(&events, 9);
    assert_eq!(r.pages, 0);
    assert!(r.unreachable.unwrap().contains("HTTP 503"));
    assert_eq!(server.seen().len(), 1, "only robots.txt was requested");
}

#[tokio::test]
async fn private_address_is_refused_without_allow_list() {
    let server = start_shops().await;
    // The host is given as a loopback IP literal and not mapped: the SSRF guard refuses it.
    let url = format!("http://{}/", server.addr);
    let events = run(config(&[]), vec![seed(5, &url)]).await;
    let r = report(&events, 5);
    assert_eq!(r.pages, 0);
    assert_eq!(
        r.unreachable.as_deref(),
        Some("address 127.0.0.1 is loopback and not allow-listed")
    );
    assert!(server.seen().is_empty());
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn dropping_the_receiver_stops_the_crawl() {
    let server = start_shops().await;
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let config = Arc::new(config(&[
        server.entry("shop-a.test"),
        server.entry("shop-b.test"),
    ]));
    let task = tokio::spawn(crawl(
        config,
        vec![
            seed(1, "http://shop-a.test/"),
            seed(2, "http://shop-b.test/"),
        ],
        tx,
    ));
    assert!(rx.recv().await.is_some());
    drop(rx);
    task.await.unwrap();
    assert!(server.seen().len() < 10, "the crawl stopped early");
}

#[tokio::test]
async fn robots_group_is_chosen_by_product_token() {
    let server = start_shops().await;
    // shop-a's robots.txt has "User-agent: otherbot / Disallow: /".
    let config = CrawlConfig {
        user_agent: "OtherBot/2.0 (+http://example.org)".into(),
        ..config(&[server.entry("shop-a.test")])
    };
    let events = run(config, vec![seed(4, "http://shop-a.test/")]).await;
    let r = report(&events, 4);
    assert_eq!(r.pages, 0);
    assert_eq!(
        r.unreachable.as_deref(),
        Some("start URL disallowed by robots.txt")
    );
    assert_eq!(server.seen().len(), 1, "only robots.txt was requested");
}
