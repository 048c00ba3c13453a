//! Single fetches: bytes on the wire, de-chunking, body cap, timeouts, address checks.

use std::time::Duration;

use crawl::{fetch_one, CrawlConfig, FetchError, ResolveMap};
use url::Url;

use crate::server::{start_raw, start_shops};

fn config() -> CrawlConfig {
    CrawlConfig {
        user_agent: "wangjian-test/1.0".into(),
        delay_per_host: Duration::ZERO,
        ..CrawlConfig::default()
    }
}

fn mapped(entries: &[String]) -> CrawlConfig {
    let mut resolve = ResolveMap::default();
    for e in entries {
        resolve.parse_entry(e).unwrap();
    }
    CrawlConfig {
        resolve,
        ..config()
    }
}

const CHUNKED: &[u8] = b"HTTP/1.1 200 Fine\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nX-Shop: a\r\n\r\n\
5\r\n<a hr\r\n9\r\nef=\"/b\">b\r\n0\r\n\r\n";

#[tokio::test]
async fn request_head_is_exactly_what_was_sent_and_body_is_dechunked() {
    let raw = start_raw(CHUNKED, false).await;
    let config = mapped(&[format!("shop.test:80:{}", raw.addr)]);
    let ex = fetch_one(&config, &Url::parse("http://shop.test/a?x=1#frag").unwrap()).await;
    assert_eq!(ex.error, None);
    let sent = raw.requests.lock().unwrap()[0].clone();
    assert_eq!(
        String::from_utf8(ex.request_head.clone()).unwrap(),
        String::from_utf8(sent).unwrap()
    );
    assert!(ex
        .request_head
        .starts_with(b"GET /a?x=1 HTTP/1.1\r\nHost: shop.test\r\n"));
    assert_eq!(&ex.body[..], b"<a href=\"/b\">b");
    let resp = ex.response.unwrap();
    assert_eq!((resp.status, resp.reason.as_str()), (200, "Fine"));
    assert_eq!(resp.header("transfer-encoding"), Some("chunked"));
    assert_eq!(
        String::from_utf8(resp.raw).unwrap(),
        "HTTP/1.1 200 Fine\r\ncontent-type: text/html\r\nx-shop: a\r\n\r\n"
    );
}

#[tokio::test]
async fn host_header_keeps_a_non_default_port() {
    let raw = start_raw(CHUNKED, false).await;
    let config = CrawlConfig {
        allow_private: true,
        ..config()
    };
    let url = Url::parse(&format!("http://{}/", raw.addr)).unwrap();
    let ex = fetch_one(&config, &url).await;
    assert_eq!(ex.error, None);
    let expected = format!("GET / HTTP/1.1\r\nHost: {}\r\n", raw.addr);
    assert!(ex.request_head.starts_with(expected.as_bytes()));
    assert_eq!(raw.requests.lock().unwrap()[0], ex.request_head);
}

#[tokio::test]
async fn reconnects_when_the_server_closes_a_kept_connection() {
    // The server closes after every response without saying so: the pooled connection dies.
    let raw = start_raw(CHUNKED, true).await;
    let config = CrawlConfig {
        obey_robots: false,
        use_sitemaps: false,
        max_pages_per_site: 3,
        ..mapped(&[format!("shop.test:80:{}", raw.addr)])
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let seed = crawl::SiteSeed {
        site_key: 1,
        start: Url::parse("http://shop.test/").unwrap(),
        scope_prefix: None,
    };
    let task = tokio::spawn(crawl::crawl(std::sync::Arc::new(config), vec![seed], tx));
    let mut pages = Vec::new();
    while let Some(e) = rx.recv().await {
        match e {
            crawl::CrawlEvent::Exchange(x) if x.kind == crawl::FetchKind::Page => pages.push(x),
            _ => {}
        }
    }
    task.await.unwrap();
    assert_eq!(pages.len(), 2, "/ and /b");
    for p in &pages {
        assert_eq!(p.error, None, "{}", p.url);
    }
    assert_eq!(raw.connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn body_cap_truncates() {
    let server = start_shops().await;
    let config = CrawlConfig {
        max_body_bytes: 1000,
        ..mapped(&[server.entry("shop-b.test")])
    };
    let ex = fetch_one(&config, &Url::parse("http://shop-b.test/big").unwrap()).await;
    assert_eq!(ex.error, None);
    assert!(ex.truncated);
    assert_eq!(ex.body.len(), 1000);
    let small = fetch_one(&config, &Url::parse("http://shop-b.test/").unwrap()).await;
    assert!(!small.truncated);
}

#[tokio::test]
async fn request_timeout_is_reported() {
    let raw = start_raw(b"", false).await;
    let config = CrawlConfig {
        request_timeout: Duration::from_millis(200),
        ..mapped(&[format!("slow.test:80:{}", raw.addr)])
    };
    let ex = fetch_one(&config, &Url::parse("http://slow.test/").unwrap()).await;
    assert_eq!(
        ex.error,
        Some(FetchError::Timeout(Duration::from_millis(200)))
    );
    assert_eq!(ex.error.unwrap().to_string(), "timeout after 200ms");
    assert!(ex.response.is_none());
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed_or_mapped() {
    let server = start_shops().await;
    let url = Url::parse(&format!("http://{}/", server.addr)).unwrap();

    let ex = fetch_one(&config(), &url).await;
    assert!(
        matches!(ex.error, Some(FetchError::RefusedAddress { .. })),
        "{:?}",
        ex.error
    );
    assert!(ex.response.is_none());

    // A mapping to another port of the same IP does not allow-list this one.
    let other = mapped(&["x.test:80:127.0.0.1:1".to_owned()]);
    assert!(matches!(
        fetch_one(&other, &url).await.error,
        Some(FetchError::RefusedAddress { .. })
    ));

    // localhost resolves through the system resolver to loopback, and is refused too.
    let local = Url::parse(&format!("http://localhost:{}/", server.addr.port())).unwrap();
    assert!(matches!(
        fetch_one(&config(), &local).await.error,
        Some(FetchError::RefusedAddress { .. })
    ));
    assert!(server.seen().is_empty());

    let allowed = CrawlConfig {
        allow_private: true,
        ..config()
    };
    let ex = fetch_one(&allowed, &url).await;
    assert_eq!(ex.error, None);
    assert_eq!(ex.response.unwrap().status, 404);
}

#[tokio::test]
async fn schemes_other_than_http_and_https_are_unsupported() {
    let ex = fetch_one(&config(), &Url::parse("ftp://shop.test/").unwrap()).await;
    assert!(matches!(ex.error, Some(FetchError::Unsupported { ref scheme }) if scheme == "ftp"));
}

#[tokio::test]
async fn gzip_bomb_is_bounded() {
    use crate::server::{respond, start_fn};
    use std::io::Write;
    // 48 MiB of zeros compress to about 48 KiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..48 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = bytes::Bytes::from(gz.finish().unwrap());
    assert!(bomb.len() < 100 * 1024, "{}", bomb.len());
    let server = start_fn(Duration::ZERO, move |_, _| {
        respond(
            200,
            &[("content-type", "text/html"), ("content-encoding", "gzip")],
            bomb.clone(),
        )
    })
    .await;
    let config = mapped(&[server.entry("bomb.test")]);
    let ex = fetch_one(&config, &Url::parse("http://bomb.test/").unwrap()).await;
    assert_eq!(ex.error, None);
    assert!(!ex.truncated, "the compressed body itself is small");
    let small = ex.decoded_body_capped(1024 * 1024).unwrap();
    assert!(small.truncated);
    assert_eq!(small.text.len(), 1024 * 1024);
    let full = ex.decoded_body().unwrap();
    assert!(full.truncated);
    assert_eq!(full.text.len(), http_msg::MAX_DECODED_BYTES);
}

#[tokio::test]
async fn header_timeout_is_separate_from_the_total_timeout() {
    let raw = start_raw(b"", false).await;
    let config = CrawlConfig {
        header_timeout: Duration::from_millis(100),
        request_timeout: Duration::from_secs(30),
        ..mapped(&[format!("slow.test:80:{}", raw.addr)])
    };
    let ex = fetch_one(&config, &Url::parse("http://slow.test/").unwrap()).await;
    assert_eq!(
        ex.error,
        Some(FetchError::HeaderTimeout(Duration::from_millis(100)))
    );
    assert_eq!(
        ex.error.unwrap().to_string(),
        "no response head within 100ms"
    );
}
