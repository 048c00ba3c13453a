//! `browser::print_pdf`: a self-contained HTML document printed to an A4 PDF by Debian's
//! Chromium, its Chinese text readable by `pdftotext`, no script run and nothing fetched while
//! printing.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crawl::browser::{find_browser, print_pdf, BrowserConfig, Margins};

/// The browser (`WANGJIAN_CHROMIUM`, else `chromium` on `PATH`): a missing browser fails the
/// test (CI installs `chromium` and `fonts-wqy-zenhei`).
fn browser() -> BrowserConfig {
    let program = find_browser()
        .expect("Debian's chromium is needed for the print tests: apt-get install chromium");
    BrowserConfig::new(program)
}

/// The text of a PDF as `pdftotext` (Debian's `poppler-utils`) reads it.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is needed: apt-get install poppler-utils");
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A server on loopback that answers every request with a stylesheet adding a marker text to
/// the page, and keeps the request lines it got.
fn tempting_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 2048];
            let n = conn.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]);
            log.lock()
                .unwrap()
                .push(head.lines().next().unwrap_or_default().to_string());
            let css = "body::after { content: \"EXTERNAL-STYLE-LOADED\" }";
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{css}",
                css.len()
            );
        }
    });
    (port, seen)
}

#[test]
fn prints_chinese_a4_without_fetching() {
    // The document tries to load from a server on loopback; printing must not reach it.
    let (port, seen) = tempting_server();
    let html = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
<link rel="stylesheet" href="http://localhost:{port}/style2.css">
<style>h1 {{ text-align: center; font-size: 22pt }}</style></head>
<body><h1>责令改正通知书</h1><p>案号：南市监网案〔2026〕7号</p>
<img src="http://127.0.0.1:{port}/seal.png" alt="">
<p>sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae</p>
<script>document.body.append("SCRIPT-RAN"); fetch("http://127.0.0.1:{port}/fetch");</script>
</body></html>"#
    );
    let pdf = print_pdf(&browser(), &html, Margins::default()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    let text = pdf_text(&pdf);
    assert!(text.contains("责令改正通知书"), "{text}");
    assert!(text.contains("南市监网案〔2026〕7号"), "{text}");
    assert!(
        text.contains("sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"),
        "{text}"
    );
    // The footer numbers the page.
    let compact: String = text.split_whitespace().collect();
    assert!(compact.contains("-1-"), "{text}");
    assert!(!text.contains("EXTERNAL-STYLE-LOADED"), "{text}");
    // No script of a document runs.
    assert!(!text.contains("SCRIPT-RAN"), "{text}");
    assert_eq!(*seen.lock().unwrap(), Vec::<String>::new());

    // A4, as the PDF's page box says.
    let info = Command::new("pdfinfo")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&pdf)?;
            c.wait_with_output()
        })
        .expect("pdfinfo is needed: apt-get install poppler-utils");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("(A4)"), "{info}");
}

#[test]
fn a_missing_browser_is_a_launch_error() {
    let config = BrowserConfig::new("/nonexistent/chromium".into());
    let err = print_pdf(&config, "<p>x</p>", Margins::default()).unwrap_err();
    assert!(
        matches!(err, crawl::browser::BrowserError::Launch { .. }),
        "{err:?}"
    );
}
