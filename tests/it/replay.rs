//! Exported evidence as a third party opens it: a signed WACZ of `wangjian evidence export`
//! loaded into ReplayWeb.page (npm `replaywebpage`, pinned in tests/node, installed by
//! `npm ci`) in headless Chromium driven through chromedriver. The package holds a site's
//! sweep and an inspector's capture of its homepage with a full-page screenshot; every page of
//! its `pages.jsonl` is asked for by its bare URL, as a person types it, and must replay as the
//! HTML page that was captured (its title and its text) — never as the screenshot taken of
//! it, which is stored under `urn:view:` + the page URL. ReplayWeb.page's archive information
//! must show the bureau's signing key, the package hash and the signature among the hashes it
//! verified.
//!
//! ReplayWeb.page runs from a static directory served by a small server in this test on
//! loopback (a secure context, where service workers run): `index-N.html` embedding
//! `<replay-web-page>`, its `ui.js`, its service worker at `replay/sw.js`, and the package,
//! read by byte ranges as ReplayWeb.page reads remote packages. Nothing leaves the machine.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::browser::{Browser, Driver};
use crate::capture::{chromium, start_simweb, trading_home};
use crate::portal::node_packages;
use crate::{run, stdout, wangjian};

/// How long ReplayWeb.page may take to show a page (loading the package's index the first
/// time, starting its service worker) before the test says what it showed instead.
const SHOWN_WITHIN: Duration = Duration::from_secs(180);

/// A file the static server answers with.
struct File {
    body: Vec<u8>,
    content_type: &'static str,
}

/// A static file server on a loopback port: GET and HEAD of the files it was given, whole or
/// by one byte range (`bytes=A-B`, `bytes=A-`, `bytes=-N`), each with its media type;
/// anything else is 404. Stopped when dropped.
struct StaticServer {
    base: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StaticServer {
    fn start(files: HashMap<String, File>) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let files = Arc::new(files);
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let files = files.clone();
                std::thread::spawn(move || answer(conn, &files));
            }
        });
        StaticServer {
            base: format!("http://{addr}"),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one request on `conn` and closes it.
fn answer(mut conn: TcpStream, files: &HashMap<String, File>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let mut request = lines.next().unwrap_or("").split(' ');
    let (method, target) = (request.next().unwrap_or(""), request.next().unwrap_or(""));
    let path = target.split(['?', '#']).next().unwrap_or("");
    let range = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("range"))
        .map(|(_, v)| v.trim().to_string());
    let response = match (method, files.get(path)) {
        ("GET" | "HEAD", Some(file)) => ranged(file, range.as_deref()),
        _ => (
            "404 Not Found".to_string(),
            vec![("Content-Type", "text/plain".to_string())],
            b"not found".to_vec(),
        ),
    };
    let (status, fields, body) = response;
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in &fields {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let _ = conn.write_all(out.as_bytes());
    if method != "HEAD" {
        let _ = conn.write_all(&body);
    }
    let _ = conn.flush();
}

/// A file's answer: whole (200), one satisfiable range of it (206), or 416.
fn ranged(file: &File, range: Option<&str>) -> (String, Vec<(&'static str, String)>, Vec<u8>) {
    let total = file.body.len() as u64;
    let mut fields = vec![
        ("Content-Type", file.content_type.to_string()),
        ("Accept-Ranges", "bytes".to_string()),
    ];
    let Some(spec) = range.and_then(|r| r.strip_prefix("bytes=")) else {
        return ("200 OK".into(), fields, file.body.clone());
    };
    if spec.contains(',') {
        // One range at a time; a server may answer a multi-range request whole.
        return ("200 OK".into(), fields, file.body.clone());
    }
    let bounds = match spec.split_once('-') {
        Some(("", n)) => n
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .map(|n| (total.saturating_sub(n), total.saturating_sub(1))),
        Some((a, "")) => a.parse::<u64>().ok().map(|a| (a, total.saturating_sub(1))),
        Some((a, b)) => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(a), Ok(b)) if a <= b => Some((a, b.min(total.saturating_sub(1)))),
            _ => None,
        },
        None => None,
    };
    match bounds {
        Some((start, end)) if start < total && start <= end => {
            fields.push(("Content-Range", format!("bytes {start}-{end}/{total}")));
            let body = file.body[start as usize..=end as usize].to_vec();
            ("206 Partial Content".into(), fields, body)
        }
        _ => {
            fields.push(("Content-Range", format!("bytes */{total}")));
            ("416 Range Not Satisfiable".into(), fields, Vec::new())
        }
    }
}

/// A page of the package (`pages/pages.jsonl`) and what the captured HTML says.
#[derive(Debug)]
struct Page {
    url: String,
    title: String,
    /// A line of the page's visible text, as wangjian's own extraction reads it.
    text: String,
}

/// What a WACZ holds that this test compares with ReplayWeb.page.
struct Package {
    pages: Vec<Page>,
    /// `signedData.publicKey` and the `datapackage.json` hash of `datapackage-digest.json`.
    public_key: String,
    datapackage_hash: String,
    /// `(WARC-Type, Content-Type, WARC-Target-URI)` of every record of its WARC.
    records: Vec<(String, String, String)>,
}

fn read_package(path: &Path, scratch: &Path) -> Package {
    let bytes = std::fs::read(path).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut member = |name: &str| {
        let mut data = Vec::new();
        zip.by_name(name)
            .unwrap_or_else(|e| panic!("{name} in the package: {e}"))
            .read_to_end(&mut data)
            .unwrap();
        data
    };
    let digest: Value = serde_json::from_slice(&member("datapackage-digest.json")).unwrap();
    let pages_jsonl = String::from_utf8(member("pages/pages.jsonl")).unwrap();
    let warc = scratch.join("data.warc.gz");
    std::fs::write(&warc, member("archive/data.warc.gz")).unwrap();
    let records: Vec<evidence::Record> = evidence::open_reader(&warc)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let pages = pages_jsonl
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|p| {
            let url = p["url"].as_str().unwrap().to_string();
            let id = format!("<urn:uuid:{}>", p["id"].as_str().unwrap());
            let rec = records
                .iter()
                .find(|r| r.record_id() == Some(id.as_str()))
                .unwrap_or_else(|| panic!("page {url}: no record {id} in the package"));
            let body = http_msg::Message::parse(&rec.block)
                .decode_body(16 << 20)
                .unwrap();
            let seen = detect::extract::extract(&body.text);
            let text = seen
                .text
                .lines()
                .map(str::trim)
                .find(|l| l.chars().count() >= 4)
                .unwrap_or_else(|| panic!("page {url} has no text"))
                .to_string();
            Page {
                url,
                title: p["title"].as_str().unwrap_or_default().to_string(),
                text,
            }
        })
        .collect();
    Package {
        pages,
        public_key: digest["signedData"]["publicKey"]
            .as_str()
            .expect("a signed package")
            .to_string(),
        datapackage_hash: digest["hash"].as_str().unwrap().to_string(),
        records: records
            .iter()
            .map(|r| {
                let h = |n: &str| r.header(n).unwrap_or_default().to_string();
                (h("WARC-Type"), h("Content-Type"), h("WARC-Target-URI"))
            })
            .collect(),
    }
}

/// A page embedding ReplayWeb.page for `url` of the package, with its archive information
/// below the replay (`embed="replay-with-info"`).
fn embedding(url: &str) -> String {
    let url = url
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>证据包回放</title><script src=\"/ui.js\"></script></head><body>\
         <replay-web-page source=\"/export.wacz\" url=\"{url}\" embed=\"replay-with-info\">\
         </replay-web-page></body></html>"
    )
}

/// Every same-origin document ReplayWeb.page shows, through shadow roots and frames: its
/// address, media type, title and text; and what its archive information says.
const SHOWN: &str = r#"
const frames = [];
const info = {};
function visit(root) {
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) visit(el.shadowRoot);
    if (el.tagName === 'IFRAME') {
      let doc = null;
      try { doc = el.contentDocument; } catch (e) {}
      if (doc && doc.documentElement) {
        frames.push({
          href: doc.location.href,
          type: doc.contentType,
          title: doc.title,
          text: doc.body ? doc.body.textContent : '',
        });
        visit(doc);
      }
    }
  }
  const key = root.querySelector('.show-key');
  if (key) info.key = key.textContent.trim();
  const hash = root.querySelector('.show-hash');
  if (hash) info.hash = hash.textContent.trim();
  for (const h of root.querySelectorAll('h3')) {
    if (h.textContent.trim() === 'Validation:' && h.nextElementSibling) {
      info.validation = h.nextElementSibling.textContent.replace(/\s+/g, ' ').trim();
    }
  }
}
visit(document);
return {frames, info};
"#;

/// A document ReplayWeb.page shows.
#[derive(Debug, serde::Deserialize)]
struct Frame {
    href: String,
    #[serde(rename = "type")]
    content_type: String,
    title: String,
    text: String,
}

/// What ReplayWeb.page shows now.
#[derive(Debug, Default, serde::Deserialize)]
struct Shown {
    frames: Vec<Frame>,
    info: HashMap<String, String>,
}

async fn shown(b: &Browser) -> Shown {
    // While documents load, a script may fail: nothing is shown yet.
    match b.client.execute(SHOWN, vec![]).await {
        Ok(v) => serde_json::from_value(v).unwrap_or_default(),
        Err(_) => Shown::default(),
    }
}

/// Text without white space, so that the DOM's and the extraction's spacing compare equal.
fn squeezed(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Waits until ReplayWeb.page shows the replay of `page` (a frame at `…mp_/URL`, an HTML
/// document with the page's text), then checks its title; fails at once when the frame shows
/// a picture, and with what was shown when the page never appears.
async fn replays_as_the_page(b: &Browser, page: &Page) -> Shown {
    let start = Instant::now();
    loop {
        let now = shown(b).await;
        let replay = now
            .frames
            .iter()
            .find(|f| f.href.contains("mp_/") && f.href.ends_with(&page.url));
        if let Some(f) = replay.filter(|f| f.content_type.starts_with("image/")) {
            panic!(
                "ReplayWeb.page asked for {} shows a picture ({}, {:?}), not the page",
                page.url, f.content_type, f.title
            );
        }
        let text = squeezed(&page.text);
        if let Some(f) =
            replay.filter(|f| f.content_type == "text/html" && squeezed(&f.text).contains(&text))
        {
            assert_eq!(f.title, page.title, "{} replays another page", page.url);
            return now;
        }
        if start.elapsed() > SHOWN_WITHIN {
            let frames: Vec<(&str, &str, &str)> = now
                .frames
                .iter()
                .map(|f| (f.href.as_str(), f.content_type.as_str(), f.title.as_str()))
                .collect();
            panic!(
                "ReplayWeb.page asked for {} did not show it as an HTML page with the text {:?} \
                 within {:?}; it shows {frames:?}",
                page.url, page.text, SHOWN_WITHIN
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until ReplayWeb.page's service worker (`/replay/sw.js`, registered by the page shown)
/// is active. On a first visit the replay frame may load before the worker controls it (the
/// embed registers the worker and renders the frame without waiting for its activation);
/// from then on every page is replayed through it.
async fn service_worker_active(b: &Browser) {
    let active = "return navigator.serviceWorker.getRegistration('/replay/')\
                  .then(r => !!(r && r.active));";
    let start = Instant::now();
    while b.client.execute(active, vec![]).await.ok() != Some(Value::Bool(true)) {
        assert!(
            start.elapsed() <= SHOWN_WITHIN,
            "ReplayWeb.page's service worker did not start within {SHOWN_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the archive information under the replay says how many hashes ReplayWeb.page
/// verified; returns what it shows.
async fn archive_info(b: &Browser) -> HashMap<String, String> {
    let start = Instant::now();
    loop {
        let info = shown(b).await.info;
        if info
            .get("validation")
            .is_some_and(|v| v.contains("verified"))
        {
            return info;
        }
        assert!(
            start.elapsed() <= SHOWN_WITHIN,
            "ReplayWeb.page showed no validation of the package within {SHOWN_WITHIN:?}: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_an_export_replays_in_replaywebpage_as_the_page() {
    let chromium = chromium();
    let node = node_packages();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    assert!(
        run(wangjian(data).args(["demo", "--sites", "6", "--no-serve"]))
            .status
            .success()
    );

    // An inspector's capture of a trading site's homepage, with its screenshot, taken after
    // the sweep's capture of the same URL and after the capture's own response: stored under
    // the page's URL, the screenshot would be the latest record a replay finds for it.
    let home = trading_home(data);
    let host = url::Url::parse(&home)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string();
    {
        let web = start_simweb(&data.join("simweb-only"));
        let out = run(wangjian(data)
            .args(["evidence", "capture", &home])
            .args(["--resolve", &format!("*:80:{}", web.addr)])
            .args(["--operator", "supervisor", "--operator", "admin"])
            .args(["--reason", "第三方回放核验"])
            .arg("--browser")
            .arg(&chromium));
        assert!(out.status.success());
        assert!(
            stdout(&out).contains("screenshot: 1280x"),
            "{}",
            stdout(&out)
        );
    }

    // The site's evidence as one package, as the console's site page exports it.
    let wacz = data.join("export.wacz");
    let out = run(wangjian(data)
        .args([
            "evidence",
            "export",
            "--site",
            &host,
            "--reason",
            "第三方核验",
            "-o",
        ])
        .arg(&wacz));
    assert!(out.status.success());
    let package = read_package(&wacz, data);
    assert!(
        package.pages.len() >= 2,
        "a site of several pages: {:?}",
        package.pages
    );
    assert!(
        package.pages.iter().any(|p| p.url == home),
        "{home} is a page of {:?}",
        package.pages
    );
    // The screenshot is in the package, under its view URI, and is no page.
    let view = format!("urn:view:{home}");
    assert!(
        package
            .records
            .iter()
            .any(|(t, c, u)| t == "resource" && c == "image/png" && *u == view),
        "no screenshot {view} in {:?}",
        package.records
    );
    assert!(package.pages.iter().all(|p| !p.url.starts_with("urn:")));

    let rwp = node.join("node_modules/replaywebpage");
    let js = |name: &str| File {
        body: std::fs::read(rwp.join(name)).unwrap(),
        content_type: "text/javascript; charset=utf-8",
    };
    let mut files = HashMap::from([
        ("/ui.js".to_string(), js("ui.js")),
        ("/replay/sw.js".to_string(), js("sw.js")),
        (
            "/export.wacz".to_string(),
            File {
                body: std::fs::read(&wacz).unwrap(),
                content_type: "application/zip",
            },
        ),
    ]);
    for (i, page) in package.pages.iter().enumerate() {
        files.insert(
            format!("/index-{i}.html"),
            File {
                body: embedding(&page.url).into_bytes(),
                content_type: "text/html; charset=utf-8",
            },
        );
    }
    let server = StaticServer::start(files);

    let driver = Driver::start();
    let b = Browser::start(&driver, &server.base).await;
    b.goto("/index-0.html").await;
    service_worker_active(&b).await;
    for (i, page) in package.pages.iter().enumerate() {
        b.goto(&format!("/index-{i}.html")).await;
        replays_as_the_page(&b, page).await;
        if i == 0 {
            // The signature status ReplayWeb.page shows: the key that signed the package —
            // the bureau's, as the console publishes it — the hash it signed, and the
            // signature among the hashes it verified. (2.5.3 computes no hash of the package's
            // files unless told to, and lists the files it did not check as invalid: see
            // docs/exports.md.)
            let info = archive_info(&b).await;
            let bureau = evidence::wacz::WaczSigner::published_key(&data.join("keys"))
                .unwrap()
                .expect("the export made the bureau's key");
            assert_eq!(package.public_key, bureau);
            assert_eq!(info.get("key"), Some(&bureau), "{info:?}");
            assert_eq!(
                info.get("hash"),
                Some(&package.datapackage_hash),
                "{info:?}"
            );
            let validation = &info["validation"];
            let verified: u32 = validation
                .split(" hashes verified")
                .next()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or_else(|| panic!("validation {validation:?}"));
            assert!(verified >= 1, "{validation}");
        }
    }
    b.close().await;
}
