//! The public portal as the public's clients see it: `wangjian portal` over a demo data
//! directory, every page checked by the Nu Html Checker (`vnu-jar`, zero errors) and by axe-core
//! in headless Chromium through chromedriver (WCAG 2 A and AA, zero violations); and `wangjian
//! serve --public-addr` serving the console and the portal side by side, the portal answering
//! no console page. The checkers are npm packages pinned in tests/node (installed with `npm ci`
//! on first use, as `.ci/run` does); Java comes from Debian (`default-jre-headless`). A missing
//! tool fails these tests.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::browser::{Browser, Driver, Killed};
use crate::capture::apt_install;
use crate::{run, serving_process, stdout, wangjian};

/// tests/node with its packages installed (`npm ci`): vnu-jar, axe-core and ReplayWeb.page
/// (tests/it/replay.rs).
pub(crate) fn node_packages() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node"));
    let ready = |d: &Path| {
        d.join("node_modules/vnu-jar/build/dist/vnu.jar").is_file()
            && d.join("node_modules/axe-core/axe.min.js").is_file()
            && d.join("node_modules/replaywebpage/ui.js").is_file()
            && d.join("node_modules/replaywebpage/sw.js").is_file()
    };
    if !ready(&dir) {
        let ok = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "npm ci in tests/node failed: node and npm are needed");
    }
    assert!(
        ready(&dir),
        "vnu-jar, axe-core and replaywebpage are not in tests/node"
    );
    dir
}

/// Java for the Nu Html Checker, installed from Debian when missing.
fn java() -> &'static str {
    let found = || {
        Command::new("java")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !found() {
        apt_install(&["default-jre-headless"]);
    }
    assert!(
        found(),
        "Java is needed for the Nu Html Checker: apt-get install default-jre-headless"
    );
    "java"
}

/// A plain HTTP/1.1 GET on loopback: the status and the body.
fn fetch(base: &str, path: &str) -> (u16, String) {
    let authority = base.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(authority).unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).expect("UTF-8 pages");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, body.to_string())
}

/// `wangjian ARGS` until it prints each of `prefixes` (`console: `, `portal: `) with a URL.
fn serving(data: &Path, args: &[&str], prefixes: &[&str]) -> (Killed, Vec<String>) {
    let log = std::fs::File::create(data.join(format!("{}.log", args[0]))).unwrap();
    let mut child = serving_process(data)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("wangjian starts");
    let out = child.stdout.take().unwrap();
    let process = Killed(child);
    let mut lines = std::io::BufReader::new(out);
    let mut urls = Vec::new();
    for prefix in prefixes {
        let mut line = String::new();
        loop {
            line.clear();
            let n = std::io::BufRead::read_line(&mut lines, &mut line).unwrap();
            assert!(n > 0, "wangjian {} ended before printing {prefix}", args[0]);
            if let Some(url) = line.strip_prefix(prefix) {
                urls.push(url.trim().trim_end_matches('/').to_string());
                break;
            }
        }
    }
    // Drain the rest so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut lines.into_inner(), &mut std::io::sink());
    });
    (process, urls)
}

/// The portal's pages as the public reaches them: every kind, both languages, a refusal.
fn pages(base: &str) -> Vec<String> {
    let mut pages = vec![
        "/".to_string(),
        "/?lang=en".to_string(),
        "/notices".to_string(),
        "/notices/1".to_string(),
        "/notices/1?lang=en".to_string(),
        "/lookup".to_string(),
        "/lookup?q=%E5%8D%97%E5%AE%81".to_string(),
        "/lookup?q=%E5%8D%97%E5%AE%81&lang=en".to_string(),
        "/commitments".to_string(),
        "/model-sites".to_string(),
        "/badge".to_string(),
        "/complaints".to_string(),
        "/nowhere".to_string(),
        "/nowhere?lang=en".to_string(),
    ];
    // The first entity the name query finds: its public view, in both languages.
    let (_, hits) = fetch(base, "/lookup?q=%E5%8D%97%E5%AE%81");
    let entity = hits
        .split("href=\"/lookup/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the name query finds an entity")
        .to_string();
    pages.push(format!("/lookup/{entity}"));
    pages.push(format!("/lookup/{entity}?lang=en"));
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_pages_pass_the_html_validator_and_axe() {
    let node = node_packages();
    let java = java();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    assert!(
        run(wangjian(data).args(["demo", "--sites", "16", "--no-serve"]))
            .status
            .success()
    );
    let body = data.join("notice.txt");
    std::fs::write(
        &body,
        "为规范网络经营秩序，现开展专项检查。\n请各经营者自查。\n\n特此公告。\n",
    )
    .unwrap();
    let published = run(wangjian(data)
        .args([
            "notice",
            "publish",
            "--title",
            "关于开展网络市场专项检查的公告",
            "--body-file",
        ])
        .arg(&body));
    assert!(published.status.success());
    assert!(stdout(&published).contains("notice 1 published"));

    let (_portal, urls) = serving(data, &["portal", "--addr", "127.0.0.1:0"], &["portal: "]);
    let base = &urls[0];
    let pages = pages(base);

    // The Nu Html Checker on every page, as served.
    let html = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let (status, body) = fetch(base, page);
        if page.starts_with("/nowhere") {
            assert_eq!(status, 404, "{page}");
        } else if page.starts_with("/badge") || page.starts_with("/complaints") {
            // Their pages plug into the portal's router (`portal::badge`,
            // `portal::complaints`); until then the portal's 404 page is what is checked.
            assert!(matches!(status, 200 | 404), "{page}: {status}");
        } else {
            assert_eq!(status, 200, "{page}");
        }
        let file = html.path().join(format!("page{i}.html"));
        std::fs::write(&file, body).unwrap();
        files.push(file);
    }
    let checked = Command::new(java)
        .arg("-jar")
        .arg(node.join("node_modules/vnu-jar/build/dist/vnu.jar"))
        .args(["--errors-only", "--format", "text"])
        .args(&files)
        .output()
        .expect("the Nu Html Checker runs");
    assert!(
        checked.status.success(),
        "the Nu Html Checker found errors in {pages:?}:\n{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // axe-core in headless Chromium on every page.
    let axe = std::fs::read_to_string(node.join("node_modules/axe-core/axe.min.js")).unwrap();
    let driver = Driver::start();
    let browser = Browser::start(&driver, base).await;
    for page in &pages {
        browser.goto(page).await;
        let violations = browser
            .script(&format!(
                "{axe}\nreturn axe.run(document, {{runOnly: {{type: 'tag', values: \
                 ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}}}).then(r => r.violations.map(\
                 v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')));"
            ))
            .await;
        assert_eq!(violations, serde_json::json!([]), "axe on {page}");
    }
    browser.close().await;
}

#[test]
fn serve_with_a_public_address_serves_the_console_and_the_portal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // Two notices from the command line, one withdrawn again.
    for title in ["第一则公告", "第二则公告"] {
        let out =
            run(wangjian(data).args(["notice", "publish", "--title", title, "--body", "正文"]));
        assert!(out.status.success());
    }
    let no_reason = run(wangjian(data).args(["notice", "withdraw", "1", "--reason", " "]));
    assert!(!no_reason.status.success());
    assert!(String::from_utf8_lossy(&no_reason.stderr).contains("请填写撤回理由"));
    let out = run(wangjian(data).args(["notice", "withdraw", "1", "--reason", "内容有误"]));
    assert!(out.status.success());
    let listed = run(wangjian(data).args(["notice", "list", "--format", "json"]));
    let rows: Vec<serde_json::Value> = stdout(&listed)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["title"], "第二则公告");
    assert_eq!(rows[1]["withdrawn_reason"], "内容有误");
    let refused = run(wangjian(data).args(["model-site", "add", "99"]));
    assert!(!refused.status.success());
    let (_server, urls) = serving(
        data,
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--public-addr",
            "127.0.0.1:0",
        ],
        &["console: ", "portal: "],
    );
    let (console, portal) = (&urls[0], &urls[1]);
    assert_ne!(console, portal);
    let (status, body) = fetch(console, "/login");
    assert_eq!(status, 200);
    assert!(body.contains("/static/style.css"));
    let (status, body) = fetch(portal, "/");
    assert_eq!(status, 200);
    assert!(body.contains("/static/portal.css"), "{body}");
    assert_eq!(fetch(portal, "/notices/1").0, 410);
    assert_eq!(fetch(portal, "/notices/2").0, 200);
    for path in ["/login", "/users", "/api/v1/entities", "/transparency"] {
        let (status, body) = fetch(portal, path);
        assert_eq!(status, 404, "{path}");
        assert!(body.contains("/static/portal.css"), "{path}");
    }
}
