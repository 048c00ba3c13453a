//! `wangjian evidence capture`: an inspector's capture of one URL with a full-page screenshot
//! through Debian's Chromium, written as WARC records, logged, verifiable and exportable.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::wacz::pytools;
use crate::{run, stdout, wangjian};

/// Installs Debian packages with apt (as root, or through sudo), refreshing the package lists
/// once when the first attempt fails; the caller checks that what it needs is there.
pub(crate) fn apt_install(packages: &[&str]) {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let apt = |args: &[&str]| {
        let mut c = Command::new(if root { "apt-get" } else { "sudo" });
        if !root {
            c.arg("apt-get");
        }
        c.args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    let install = [&["install", "-y", "-qq"][..], packages].concat();
    if !apt(&install) {
        apt(&["update", "-qq"]);
        apt(&install);
    }
}

/// Debian's Chromium and a CJK font (Chinese pages are otherwise drawn as empty boxes),
/// installed with apt when missing, as `.ci/run` does; a machine where they cannot be installed
/// fails here rather than skipping the screenshots.
pub(crate) fn chromium() -> PathBuf {
    let found = || {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    };
    let cjk_font = || {
        Command::new("fc-list")
            .arg(":lang=zh")
            .output()
            .is_ok_and(|o| !o.stdout.trim_ascii().is_empty())
    };
    if found().is_none() || !cjk_font() {
        apt_install(&["chromium", "fonts-wqy-zenhei"]);
    }
    assert!(
        cjk_font(),
        "a CJK font is needed: apt-get install fonts-wqy-zenhei"
    );
    found().expect("Debian's chromium is needed for the screenshot tests: apt-get install chromium")
}

/// Prints each record of a WACZ's WARC as `TYPE CONTENT-TYPE TARGET-URI` (warcio).
const LIST_RECORDS: &str = "import sys, zipfile, io
from warcio.archiveiterator import ArchiveIterator
z = zipfile.ZipFile(sys.argv[1])
for r in ArchiveIterator(io.BytesIO(z.read('archive/data.warc.gz'))):
    print(r.rec_type, r.rec_headers.get_header('Content-Type'), r.rec_headers.get_header('WARC-Target-URI'))
";

/// `wangjian simweb` in the background; killed on drop.
pub(crate) struct Simweb {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub(crate) addr: String,
}

impl Drop for Simweb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_simweb(data: &Path) -> Simweb {
    let mut child = wangjian(data)
        .args(["simweb", "--sites", "6", "--seed", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simweb starts");
    let addr = simweb_address(&mut child);
    Simweb { child, addr }
}

/// The address (`127.0.0.1:PORT`) a `wangjian simweb` process started with piped stdout says
/// it serves on, from its first line ("simweb: N hosts, P pages on http://127.0.0.1:PORT …").
pub(crate) fn simweb_address(child: &mut std::process::Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string()
}

/// A trading site's homepage from the demo's register.
pub(crate) fn trading_home(data: &Path) -> String {
    let out = run(wangjian(data).args(["sites", "--format", "json"]));
    let site = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|s| s["kind"] == "trading_site" && s["path_prefix"] == "")
        .expect("a trading site with its own host");
    format!("http://{}/", site["host"].as_str().unwrap())
}

/// `record FILE:OFFSET` in the capture's output.
fn screenshot_record(out: &str) -> (String, u64) {
    let at = out
        .lines()
        .find(|l| l.starts_with("screenshot: "))
        .and_then(|l| l.rsplit("record ").next())
        .unwrap_or_else(|| panic!("no screenshot record in {out}"));
    let (file, offset) = at.trim().rsplit_once(':').unwrap();
    (file.to_string(), offset.parse().unwrap())
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

#[test]
fn a_capture_takes_a_screenshot_writes_it_as_evidence_and_exports_it() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    assert!(
        run(wangjian(data).args(["demo", "--sites", "6", "--no-serve"]))
            .status
            .success()
    );
    let web = start_simweb(&dir.path().join("simweb-only"));
    let url = trading_home(data);
    let resolve = format!("*:80:{}", web.addr);
    let capture = |extra: &[&str]| {
        let mut c = wangjian(data);
        c.args(["evidence", "capture", &url, "--resolve", &resolve])
            .args(["--operator", "supervisor", "--operator", "user:admin"])
            .args(["--reason", "线索 7 的取证"])
            .args(extra);
        run(&mut c)
    };

    let out = capture(&["--browser", browser.to_str().unwrap()]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("custody: logged capture"), "{text}");
    let (file, offset) = screenshot_record(&text);
    let path = data.join("warc").join(&file);
    let shot = evidence::read_record_at(&path, offset).unwrap();
    assert_eq!(shot.warc_type(), Some("resource"));
    assert_eq!(shot.header("Content-Type"), Some("image/png"));
    // Stored under its view URI: a replay tool asked for the page finds the page.
    assert_eq!(shot.target_uri(), Some(format!("urn:view:{url}").as_str()));
    assert!(evidence::verify_record(&shot).is_empty());
    let (w, h) = png_size(&shot.block);
    assert!(text.contains(&format!("screenshot: {w}x{h}")), "{text}");
    assert!(w > 0 && w <= 1280 && h > 100, "{w}x{h}");
    assert!(
        shot.block.len() > 2_000,
        "a page with text is no blank image"
    );

    // The screenshot is concurrent to the final response, whose metadata record says who took
    // the evidence, why, what name resolution answered and that a screenshot was taken.
    let records: Vec<evidence::Record> = evidence::open_reader(&path)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let response = records
        .iter()
        .find(|r| r.record_id() == shot.header("WARC-Concurrent-To"))
        .expect("the screenshot names a record of the same file");
    assert_eq!(response.warc_type(), Some("response"));
    let meta = records
        .iter()
        .find(|r| {
            r.warc_type() == Some("metadata") && r.header("WARC-Refers-To") == response.record_id()
        })
        .unwrap();
    let fields = String::from_utf8_lossy(&meta.block).into_owned();
    for want in [
        "fetch-profile: browser",
        "operators: user:supervisor, user:admin",
        "capture-reason: 线索 7 的取证",
        "screenshot: taken ",
        &format!(" override {}", web.addr),
        &format!("server-ip: {}", web.addr),
    ] {
        assert!(fields.contains(want), "{want:?} not in\n{fields}");
    }

    // Everything is in the log, and the capture exports as a sweep of its own.
    let out = run(wangjian(data).args(["evidence", "verify"]));
    assert!(out.status.success(), "{}", stdout(&out));
    let sweep = text
        .split("capture: sweep ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    let wacz = data.join("capture.wacz");
    let out = run(wangjian(data)
        .args(["evidence", "export", "--sweep", &sweep, "-o"])
        .arg(&wacz));
    assert!(out.status.success());
    let out = run(wangjian(data).args(["evidence", "verify"]).arg(&wacz));
    assert!(out.status.success(), "{}", stdout(&out));
    let tools = pytools();
    let v = Command::new(tools.join("wacz"))
        .args(["validate", "-f"])
        .arg(&wacz)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&v.stdout).contains("Validation succeeded")
            || String::from_utf8_lossy(&v.stderr).contains("Validation succeeded"),
        "{v:?}"
    );
    let listing = Command::new(tools.join("python"))
        .args(["-c", LIST_RECORDS])
        .arg(&wacz)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains(&format!("resource image/png urn:view:{url}")),
        "{listing}"
    );

    // Without a working browser the capture still succeeds and says why there is no
    // screenshot; so does a capture that asks for none.
    let out = capture(&["--browser", "/nonexistent/chromium"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("screenshot: none taken (the browser failed: cannot start"),
        "{}",
        stdout(&out)
    );
    let out = capture(&["--no-screenshot"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("screenshot: none taken (no screenshot was asked for)"));

    // Evidence for a clue: findings grouped, a capture taken for it (of its first finding's
    // page by default), and the clue's evidence exported and verified.
    let finding = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = store::SqliteStore::open(&data.join("wangjian.db"))
                .await
                .unwrap();
            let f = store::FetchStore::list_findings(
                &store,
                store::Scope::City,
                &store::FindingFilter {
                    limit: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .remove(0);
            store.close().await;
            f
        })
    };
    // The sweep grouped it into a clue.
    let out = run(wangjian(data).args(["clue", "list", "--format", "json"]));
    assert!(out.status.success());
    let clue = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|c| {
            c["findings"]
                .as_array()
                .is_some_and(|f| f.contains(&serde_json::json!(finding.id.0)))
        })
        .map(|c| c["id"].to_string())
        .unwrap_or_else(|| panic!("no clue holds finding {}", finding.id));
    let out = run(wangjian(data)
        .args([
            "evidence",
            "capture",
            "--clue",
            &clue,
            "--resolve",
            &resolve,
        ])
        .args([
            "--operator",
            "supervisor",
            "--operator",
            "admin",
            "--reason",
            "线索取证",
        ])
        .args(["--browser", browser.to_str().unwrap()]));
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("capture: sweep "), "{text}");
    assert!(text.contains("screenshot: 1280x"), "{text}");
    let out = run(wangjian(data).args(["clue", "show", &clue]));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        shown["findings"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(finding.id.0)),
        "{shown}"
    );
    assert_eq!(shown["captures"].as_array().unwrap().len(), 1);
    let clue_wacz = data.join("clue.wacz");
    let out = run(wangjian(data)
        .args([
            "evidence", "export", "--clue", &clue, "--reason", "移送", "-o",
        ])
        .arg(&clue_wacz));
    assert!(out.status.success());
    assert!(
        stdout(&out).starts_with(&format!("export: clue {clue}: ")),
        "{}",
        stdout(&out)
    );
    let out = run(wangjian(data).args(["evidence", "verify"]).arg(&clue_wacz));
    assert!(out.status.success(), "{}", stdout(&out));
    let listing = Command::new(tools.join("python"))
        .args(["-c", LIST_RECORDS])
        .arg(&clue_wacz)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("resource image/png"), "{listing}");
    // The finding's own record is in the package, at its URL.
    assert!(listing.contains(&finding.finding.url), "{listing}");

    // One operator is not enough; an unknown site is refused.
    let out = wangjian(data)
        .args(["evidence", "capture", &url, "--resolve", &resolve])
        .args(["--operator", "张三", "--reason", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 2 different operators"));
    let out = wangjian(data)
        .args([
            "evidence",
            "capture",
            "http://nowhere.test/",
            "--resolve",
            &resolve,
        ])
        .args(["--operator", "张三", "--operator", "李四", "--reason", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("belongs to no known site"));
    // Once users exist, every operator must be one who may capture the site.
    for (operator, says) in [
        ("张三", "operator \"张三\" is not a user"),
        (
            "auditor",
            "operator \"auditor\" may not take evidence captures",
        ),
    ] {
        let out = wangjian(data)
            .args(["evidence", "capture", &url, "--resolve", &resolve])
            .args(["--operator", "supervisor", "--operator", operator])
            .args(["--reason", "x", "--no-screenshot"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}
