//! Recrawls and unfriendly answers: conditional GET, 429/503 back-off, giving up on a host.

use std::sync::Arc;
use std::time::Duration;

use crawl::{CrawlConfig, MemoryFrontierStore, Validators};
use url::Url;

use crate::crawl::{config, exchanges, report, run, seed};
use crate::server::{not_found, page, respond, start_fn};

#[tokio::test]
async fn conditional_get_records_304_and_still_visits_known_pages() {
    let server = start_fn(Duration::ZERO, |hit, _| match hit.path.as_str() {
        "/" if hit.header("if-none-match").as_deref() == Some("\"home-v1\"") => {
            respond(304, &[("etag", "\"home-v1\"")], "")
        }
        "/" => respond(
            200,
            &[("etag", "\"home-v2\""), ("content-type", "text/html")],
            "<a href='/item'>i</a>",
        ),
        "/item" if hit.header("if-modified-since").is_some() => respond(304, &[], ""),
        "/item" => respond(
            200,
            &[
                ("content-type", "text/html"),
                ("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ],
            "item",
        ),
        "/new" => page("fresh"),
        _ => not_found(),
    })
    .await;
    let store = Arc::new(MemoryFrontierStore::new());
    let url = |p: &str| Url::parse(&format!("http://re.test{p}")).unwrap();
    store.set_validators(
        1,
        vec![
            (
                url("/"),
                Validators {
                    etag: Some("\"home-v1\"".into()),
                    last_modified: None,
                },
            ),
            (
                url("/item"),
                Validators {
                    etag: None,
                    last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
                },
            ),
            (url("/new"), Validators::default()),
        ],
    );
    let cfg = CrawlConfig {
        obey_robots: false,
        use_sitemaps: false,
        frontier_store: store,
        ..config(&[server.entry("re.test")])
    };
    let events = run(cfg.clone(), vec![seed(1, "http://re.test/")]).await;
    let xs = exchanges(&events, 1);
    let home = xs.iter().find(|x| x.url.path() == "/").unwrap();
    assert_eq!(home.status(), Some(304));
    assert_eq!(home.error, None);
    assert!(home.not_modified());
    assert_eq!(home.etag(), Some("\"home-v1\""));
    assert!(
        String::from_utf8_lossy(&home.request_head).contains("\r\nIf-None-Match: \"home-v1\"\r\n")
    );
    assert_eq!(
        home.sent_validators.as_ref().unwrap().etag.as_deref(),
        Some("\"home-v1\"")
    );
    let item = xs.iter().find(|x| x.url.path() == "/item").unwrap();
    assert_eq!(
        item.status(),
        Some(304),
        "known page queued although the 304 homepage has no links"
    );
    let new = xs.iter().find(|x| x.url.path() == "/new").unwrap();
    assert_eq!(
        (new.status(), new.sent_validators.is_none()),
        (Some(200), true)
    );
    let r = report(&events, 1);
    assert_eq!((r.pages, r.not_modified, r.errors), (3, 2, 0));

    // Without validators: full answers, and the validators to keep for next time.
    let fresh = CrawlConfig {
        frontier_store: Arc::new(MemoryFrontierStore::new()),
        ..cfg
    };
    let events = run(fresh, vec![seed(2, "http://re.test/")]).await;
    let xs = exchanges(&events, 2);
    let item = xs.iter().find(|x| x.url.path() == "/item").unwrap();
    assert_eq!(item.last_modified(), Some("Wed, 21 Oct 2015 07:28:00 GMT"));
    assert_eq!(item.validators().etag, None);
    assert_eq!(xs[0].etag(), Some("\"home-v2\""));
}

#[tokio::test]
async fn too_many_requests_is_retried_after_retry_after() {
    // The first two answers to / are 429 with a long Retry-After (capped by the config).
    let server = start_fn(Duration::ZERO, |hit, before| match hit.path.as_str() {
        "/" if before < 2 => respond(429, &[("retry-after", "3600")], "slow down"),
        "/" => page(r#"<a href="/a">a</a>"#),
        "/a" if before == 0 => {
            respond(503, &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")], "")
        }
        "/a" => page("a"),
        _ => not_found(),
    })
    .await;
    let cfg = CrawlConfig {
        obey_robots: false,
        use_sitemaps: false,
        max_retry_after: Duration::from_millis(30),
        ..config(&[server.entry("busy.test")])
    };
    let events = run(cfg, vec![seed(1, "http://busy.test/")]).await;
    assert_eq!(server.paths(), ["/", "/", "/", "/a", "/a"]);
    let hits = server.hits();
    // Each retry waited (at least the capped Retry-After; half asserted for arrival jitter).
    assert!(hits[1].at.duration_since(hits[0].at) >= Duration::from_millis(15));
    assert!(hits[2].at.duration_since(hits[1].at) >= Duration::from_millis(15));
    let r = report(&events, 1);
    assert_eq!((r.pages, r.stopped, r.unreachable), (5, None, None));
    let statuses: Vec<Option<u16>> = exchanges(&events, 1).iter().map(|x| x.status()).collect();
    assert_eq!(
        statuses,
        [Some(429), Some(429), Some(200), Some(503), Some(200)]
    );
}

#[tokio::test]
async fn a_host_that_keeps_refusing_is_given_up_with_the_reason() {
    let server = start_fn(Duration::ZERO, |hit, _| match hit.host.as_str() {
        "down.test" => respond(503, &[("retry-after", "1")], "maintenance"),
        _ => page("ok"),
    })
    .await;
    let cfg = CrawlConfig {
        obey_robots: false,
        use_sitemaps: false,
        max_retry_after: Duration::from_millis(5),
        max_backoff_tries: 3,
        ..config(&[server.entry("down.test")])
    };
    let events = run(
        cfg,
        vec![
            seed(1, "http://down.test/"),
            seed(2, "http://down.test/other"),
        ],
    )
    .await;
    assert_eq!(
        server.count("/"),
        3,
        "three tries, then the host is left alone"
    );
    assert_eq!(
        server.count("/other"),
        0,
        "the host's other seeds are not tried"
    );
    for key in [1, 2] {
        let r = report(&events, key);
        let why = r.unreachable.unwrap();
        assert!(why.contains("HTTP 503 3 times in a row"), "{why}");
    }
}
