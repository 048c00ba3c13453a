//! Recrawl: two sweeps over a tiny server that honours `If-None-Match`. The second sweep sends
//! the validators the first recorded, records the `304`s as such, skips the page whose payload
//! did not change, scans only the page that did, and the site's history says so. A page served
//! again in full with the same payload is stored as a WARC `revisit` of its first capture.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::{SiteKind, Uscc};
use store::{FindingFilter, PageChange, Scope, SiteFilter, SqliteStore, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HOST: &str = "recrawl.test";

/// The server's pages and what it was asked.
#[derive(Default)]
struct Server {
    /// 1 in the first sweep, 2 in the second: `/b` changes with it.
    version: AtomicU32,
    /// (path, If-None-Match sent, status answered) per request.
    log: Mutex<Vec<(String, Option<String>, u16)>>,
}

impl Server {
    /// `(etag, body)` of a page, `None` for a 404.
    fn page(&self, path: &str) -> Option<(Option<&'static str>, String)> {
        let html = |title: &str, text: &str| {
            format!(
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
                 <body><p>{text}</p><a href=\"/a\">a</a> <a href=\"/b\">b</a> \
                 <a href=\"/c\">c</a></body></html>"
            )
        };
        match path {
            "/" => Some((Some("\"home-1\""), html("茶叶商行", "全网最低价"))),
            "/a" => Some((Some("\"a-1\""), html("绿茶", "史上最低价"))),
            "/b" => Some(match self.version.load(Ordering::SeqCst) {
                1 => (None, html("红茶", "本店茶叶全国第一")),
                _ => (None, html("红茶", "销量冠军")),
            }),
            "/c" => Some((None, html("白茶", "顶级工艺"))),
            _ => None,
        }
    }

    fn answer(&self, path: &str, if_none_match: Option<String>) -> Vec<u8> {
        let (status, head, body) = match self.page(path) {
            None => (404, "HTTP/1.1 404 Not Found\r\n".to_string(), String::new()),
            Some((Some(etag), _)) if if_none_match.as_deref() == Some(etag) => (
                304,
                format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n"),
                String::new(),
            ),
            Some((etag, body)) => {
                let mut head =
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n".to_string();
                if let Some(etag) = etag {
                    head.push_str(&format!("ETag: {etag}\r\n"));
                }
                (200, head, body)
            }
        };
        self.log
            .lock()
            .unwrap()
            .push((path.to_string(), if_none_match, status));
        let mut out = head;
        if status != 304 {
            out.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        out.push_str("\r\n");
        out.push_str(&body);
        out.into_bytes()
    }

    /// Answers the requests of one connection (keep-alive) until the client closes it.
    async fn connection(self: Arc<Self>, mut sock: TcpStream) {
        let mut buf = Vec::new();
        loop {
            let end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                let mut chunk = [0u8; 4096];
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end);
            let mut lines = head.split("\r\n");
            let path = lines
                .next()
                .and_then(|l| l.split(' ').nth(1))
                .unwrap_or("/")
                .to_string();
            let if_none_match = lines.find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("if-none-match")
                    .then(|| v.trim().to_string())
            });
            let answer = self.answer(&path, if_none_match);
            if sock.write_all(&answer).await.is_err() {
                return;
            }
        }
    }
}

async fn start(server: Arc<Server>) -> std::net::SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(server.clone().connection(sock));
        }
    });
    addr
}

fn config(addr: std::net::SocketAddr, dir: &std::path::Path) -> sweep::SweepConfig {
    let mut crawl = crawl::CrawlConfig {
        max_pages_per_site: 50,
        max_depth: 5,
        concurrency: 2,
        request_timeout: Duration::from_secs(10),
        delay_per_host: Duration::ZERO,
        ..crawl::CrawlConfig::default()
    };
    crawl.resolve.parse_entry(&format!("*:80:{addr}")).unwrap();
    sweep::SweepConfig {
        crawl,
        evidence_dir: dir.join("warc"),
        warc_max_bytes: 1 << 20,
        software: "wangjian-test".into(),
        progress: false,
        badges: None,
        discovery: sweep::DiscoveryConfig::default(),
        render_probes: None,
        log: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_sweep_sends_validators_records_304s_and_scans_only_changed_pages() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::default());
    server.version.store(1, Ordering::SeqCst);
    let addr = start(server.clone()).await;
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("wangjian.db"))
            .await
            .unwrap(),
    );
    store
        .upsert_entities(
            &[store::EntityInput {
                domains: vec![HOST.into()],
                ..store::EntityInput::new(
                    &Uscc::complete("91450103", "MA5K0001").unwrap().to_string(),
                    "茶叶商行",
                    SiteKind::TradingSite,
                    domain::DistrictCode::parse("450103").unwrap(),
                )
            }],
            "test",
        )
        .await
        .unwrap();
    let site = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap()
        .remove(0);
    let detector = Arc::new(detect::Detector::builtin());
    let url = |p: &str| format!("http://{HOST}{p}");

    let first = sweep::run_sweep(store.clone(), detector.clone(), config(addr, dir.path()))
        .await
        .unwrap();
    assert_eq!((first.scanned, first.unchanged), (4, 0), "{first:?}");
    let first_findings = store
        .count_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap();
    assert!(first_findings > 0);

    server.version.store(2, Ordering::SeqCst);
    server.log.lock().unwrap().clear();
    let second = sweep::run_sweep(store.clone(), detector, config(addr, dir.path()))
        .await
        .unwrap();
    assert_eq!(
        (second.scanned, second.unchanged),
        (1, 3),
        "only /b changed: {second:?}"
    );

    // The crawler sent the ETags the first sweep recorded, and got 304s for them.
    let log = server.log.lock().unwrap().clone();
    for (path, etag) in [("/", "\"home-1\""), ("/a", "\"a-1\"")] {
        assert!(
            log.iter()
                .any(|(p, inm, st)| p == path && inm.as_deref() == Some(etag) && *st == 304),
            "{path}: {log:?}"
        );
    }

    // The findings first found in the second sweep all come from the changed page.
    let all = store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap();
    let new: Vec<&store::Finding> = all
        .iter()
        .filter(|f| f.finding.sweep_id == second.sweep_id)
        .collect();
    assert!(
        new.iter().any(|f| f.finding.excerpt.contains("销量冠军")),
        "{new:?}"
    );
    assert!(new.iter().all(|f| f.finding.url == url("/b")), "{new:?}");

    // 304s are recorded as such, with the validators and payload digest they confirm.
    let fetches = store
        .sweep_fetches(Scope::City, second.sweep_id)
        .await
        .unwrap();
    let home = fetches
        .iter()
        .find(|f| f.fetch.url == url("/") && f.fetch.status == Some(304))
        .expect("the homepage's 304 is recorded");
    assert_eq!(home.fetch.etag.as_deref(), Some("\"home-1\""));
    assert!(home.fetch.evidence.is_some(), "a 304 is evidence too");
    let before = store
        .sweep_fetches(Scope::City, first.sweep_id)
        .await
        .unwrap();
    let home_before = before.iter().find(|f| f.fetch.url == url("/")).unwrap();
    assert_eq!(home.fetch.payload_digest, home_before.fetch.payload_digest);

    let history = store.site_history(Scope::City, site.id, 0).await.unwrap();
    let second_changes: BTreeMap<String, PageChange> = history
        .iter()
        .filter(|h| h.sweep_id == second.sweep_id && h.url != url("/sitemap.xml"))
        .map(|h| (h.url.clone(), h.change))
        .collect();
    assert_eq!(
        second_changes,
        BTreeMap::from([
            (url("/"), PageChange::NotModified),
            (url("/a"), PageChange::NotModified),
            (url("/b"), PageChange::Changed),
            (url("/c"), PageChange::Unchanged),
        ])
    );
    assert!(history
        .iter()
        .filter(|h| h.sweep_id == first.sweep_id && h.url != url("/sitemap.xml"))
        .all(|h| h.change == PageChange::New));

    // /c came again in full with the same payload: a revisit of the first sweep's response,
    // with the HTTP head only. /b changed: a full response.
    let warc = dir.path().join("warc");
    let record = |f: &store::Fetch| {
        let p = f.fetch.evidence.as_ref().unwrap();
        evidence::read_record_at(&warc.join(&p.warc_file), p.offset as u64).unwrap()
    };
    let c_before = before.iter().find(|f| f.fetch.url == url("/c")).unwrap();
    let c_again = fetches.iter().find(|f| f.fetch.url == url("/c")).unwrap();
    assert_eq!(c_again.fetch.revisit_of, Some(c_before.id));
    assert_eq!(c_again.fetch.payload_digest, c_before.fetch.payload_digest);
    let original = record(c_before);
    let revisit = record(c_again);
    assert_eq!(original.warc_type(), Some("response"));
    assert_eq!(revisit.warc_type(), Some("revisit"));
    assert_eq!(revisit.header("WARC-Refers-To"), original.record_id());
    assert_eq!(c_before.fetch.record_id.as_deref(), original.record_id());
    assert_eq!(c_again.fetch.record_id.as_deref(), revisit.record_id());
    assert_eq!(
        revisit.header("WARC-Refers-To-Date"),
        original.header("WARC-Date")
    );
    assert_eq!(
        revisit.header("WARC-Payload-Digest"),
        original.header("WARC-Payload-Digest")
    );
    let (_, body) = revisit.http_parts().unwrap();
    assert!(body.is_empty(), "a revisit stores no payload");
    assert!(evidence::verify_record(&revisit).is_empty());
    let b_again = fetches.iter().find(|f| f.fetch.url == url("/b")).unwrap();
    assert_eq!(b_again.fetch.revisit_of, None);
    assert_eq!(record(b_again).warc_type(), Some("response"));

    // A third sweep revisits the original again, not the second sweep's revisit.
    let third = sweep::run_sweep(
        store.clone(),
        Arc::new(detect::Detector::builtin()),
        config(addr, dir.path()),
    )
    .await
    .unwrap();
    let fetches = store
        .sweep_fetches(Scope::City, third.sweep_id)
        .await
        .unwrap();
    let c_third = fetches.iter().find(|f| f.fetch.url == url("/c")).unwrap();
    assert_eq!(c_third.fetch.revisit_of, Some(c_before.id));
    assert_eq!(
        record(c_third).header("WARC-Refers-To"),
        original.record_id()
    );
    let b_third = fetches.iter().find(|f| f.fetch.url == url("/b")).unwrap();
    assert_eq!(b_third.fetch.revisit_of, Some(b_again.id));

    // An export of the third sweep brings the originals of its revisits along (from the first
    // and second sweeps), each once; an export of the site holds them already.
    use sweep::export::{select, Selection, SelectionError};
    let set = select(
        store.as_ref(),
        Scope::City,
        &Selection::Sweep(third.sweep_id),
    )
    .await
    .unwrap();
    assert_eq!(
        set.selected.to_string(),
        format!("sweep {}", third.sweep_id)
    );
    assert_eq!(
        set.selected.custody_subject().to_string(),
        format!("sweep:{}", third.sweep_id)
    );
    let mut originals: Vec<_> = set.originals.iter().map(|f| f.id).collect();
    originals.sort();
    let mut want: Vec<_> = fetches.iter().filter_map(|f| f.fetch.revisit_of).collect();
    want.sort();
    want.dedup();
    assert_eq!(originals, want);
    assert!(originals.contains(&c_before.id) && originals.contains(&b_again.id));
    let records = set.records(&warc);
    assert_eq!(
        records.len(),
        set.fetches
            .iter()
            .chain(&set.originals)
            .filter(|f| f.fetch.evidence.is_some())
            .count()
    );
    let site_set = select(store.as_ref(), Scope::City, &Selection::Site(HOST.into()))
        .await
        .unwrap();
    assert!(site_set.originals.is_empty(), "{:?}", site_set.originals);
    assert_eq!(site_set.selected.to_string(), format!("site {HOST}"));
    // Another district sees no such site; an unknown sweep is named.
    let elsewhere = Scope::district(domain::DistrictCode::parse("450102").unwrap());
    assert!(matches!(
        select(store.as_ref(), elsewhere, &Selection::Site(HOST.into())).await,
        Err(SelectionError::NoSite(_))
    ));
    assert!(matches!(
        select(
            store.as_ref(),
            Scope::City,
            &Selection::Sweep(domain::SweepId(99))
        )
        .await,
        Err(SelectionError::NoSweep(domain::SweepId(99)))
    ));
}
