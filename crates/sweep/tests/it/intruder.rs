//! The evidence browser behind the crawler's address policy: an inspector's capture of simweb's
//! intruder page (markup and scripts reaching for the console on loopback, private ranges, the
//! metadata address, IPv6 and IPv4-mapped forms, an unmapped `.test` host, a redirect to
//! loopback, WebSockets and WebRTC) takes its screenshot while a listener standing in for the
//! console sees no connection at all, every target is named among the proxy's refusals (and in
//! the capture's metadata record), and Chromium runs with its sandbox, not as root.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crawl::browser::{find_browser, BrowserConfig, Refusal, Refused, Scripts};
use crawl::ResolveMap;
use sweep::capture::{capture_url, CaptureRequest};

use crate::support::Fixture;

/// The browser (`WANGJIAN_CHROMIUM`, else `chromium` on `PATH`): a missing browser fails.
fn chromium() -> std::path::PathBuf {
    find_browser()
        .expect("Debian's chromium is needed for the browser tests: apt-get install chromium")
}

/// A listener on `127.0.0.1` standing in for the console: it records every connection it gets
/// (and answers it), so any request that got through shows.
fn console() -> (u16, Arc<Mutex<Vec<String>>>) {
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
            log.lock().unwrap().push(format!(
                "{:?}: {}",
                conn.peer_addr(),
                head.lines().next().unwrap_or_default()
            ));
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nconsole",
            );
        }
    });
    (port, seen)
}

/// A browser process seen while the capture ran: its real uid and command line.
#[derive(Debug, Clone)]
struct Seen {
    uid: u32,
    cmdline: Vec<String>,
}

/// Watches `/proc` until `stop`, keeping every Chromium browser process (its command line has
/// `--remote-debugging-pipe`) that descends from this process.
fn watch_browsers(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<BTreeMap<u32, Seen>> {
    std::thread::spawn(move || {
        let me = std::process::id();
        let mut found = BTreeMap::new();
        while !stop.load(Ordering::Relaxed) {
            let mut parent = BTreeMap::new();
            for e in std::fs::read_dir("/proc").unwrap().flatten() {
                let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                    continue;
                };
                // `pid (comm) state ppid …`: the command may hold spaces, the last ')' ends it.
                let ppid = stat
                    .rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|p| p.parse::<u32>().ok());
                if let Some(ppid) = ppid {
                    parent.insert(pid, ppid);
                }
            }
            let descends = |mut pid: u32| {
                for _ in 0..64 {
                    match parent.get(&pid) {
                        Some(&p) if p == me => return true,
                        Some(&p) if p > 1 => pid = p,
                        _ => return false,
                    }
                }
                false
            };
            for &pid in parent.keys() {
                if found.contains_key(&pid) || !descends(pid) {
                    continue;
                }
                let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                    continue;
                };
                let cmdline: Vec<String> = raw
                    .split(|b| *b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                if !cmdline.iter().any(|a| a == "--remote-debugging-pipe")
                    || cmdline.first().is_some_and(|a| a.ends_with("sh"))
                {
                    continue;
                }
                let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
                    continue;
                };
                let uid = status
                    .lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .and_then(|l| l.split_whitespace().next())
                    .and_then(|u| u.parse().ok())
                    .expect("a Uid line");
                found.insert(pid, Seen { uid, cmdline });
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        found
    })
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

fn refused_at<'a>(refused: &'a [Refused], host: &str, port: u16) -> Option<&'a Refused> {
    refused.iter().find(|r| r.host == host && r.port == port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evidence_browser_reaches_no_private_address() {
    let program = chromium();
    let (port, seen) = console();
    let world =
        simweb::World::generate(&simweb::GenParams { sites: 2, seed: 3 }).with_hostile_sites();
    let fx = Fixture::with_world(world).await;
    let mut config = fx.config();
    // Exactly the intruder's host is mapped to simweb: not `*`, not loopback.
    let mut map = ResolveMap::new();
    map.parse_entry(&format!("{}:80:{}", simweb::INTRUDER, fx.server.addr))
        .unwrap();
    config.crawl.resolve = map.clone();
    let browser = BrowserConfig::new(program.clone()).with_address_policy(&map, false);

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_browsers(stop.clone());
    let url = url::Url::parse(&format!("http://{}/?console={port}", simweb::INTRUDER)).unwrap();
    let outcome = capture_url(
        fx.store.clone(),
        &config,
        CaptureRequest {
            url: url.clone(),
            operators: vec!["张三".into(), "李四".into()],
            reason: "恶意页面取证".into(),
            browser: Ok(browser.clone()),
            clue: None,
        },
    )
    .await
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    let browsers = watcher.join().unwrap();

    // The screenshot was taken, of the page itself.
    let shot = outcome.screenshot.as_ref().expect("a screenshot");
    assert!(
        shot.width > 0 && shot.height > 100,
        "{}x{}",
        shot.width,
        shot.height
    );

    // The console never saw a connection.
    assert_eq!(*seen.lock().unwrap(), Vec::<String>::new());

    // Every target the page reached for is refused and named.
    let refused = &shot.refused;
    let listed: Vec<String> = refused.iter().map(|r| r.to_string()).collect();
    eprintln!("refused: {listed:#?}");
    for (host, p) in simweb::intruder_targets(port) {
        let r = refused_at(refused, &host, p)
            .unwrap_or_else(|| panic!("{host}:{p} not among the refusals {listed:#?}"));
        if host == "unmapped.test" {
            assert_eq!(r.reason, Refusal::Unresolvable, "{r}");
        } else {
            assert!(
                matches!(r.reason, Refusal::Address { .. }),
                "{r} is not refused for its address"
            );
        }
    }
    let loopback = refused_at(refused, "127.0.0.1", port).unwrap();
    assert_eq!(loopback.addr, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(
        refused_at(refused, "[::ffff:7f00:1]", port).unwrap().addr,
        Some("::ffff:127.0.0.1".parse().unwrap())
    );
    // A WebSocket to the page's own (allowed) host is refused as a protocol.
    let ws = refused_at(refused, simweb::INTRUDER, 80).expect("the WebSocket to its own host");
    assert_eq!(ws.reason, Refusal::Protocol);
    // Nothing allowed was refused: simweb's own host served the page and the redirect.
    assert!(
        refused
            .iter()
            .all(|r| r.host != simweb::INTRUDER || r.reason == Refusal::Protocol),
        "{listed:#?}"
    );

    // The capture's metadata record names the refusals.
    let path = fx.evidence_dir().join(&shot.record.file);
    let meta = evidence::open_reader(&path)
        .unwrap()
        .map(|r| r.unwrap())
        .filter(|r| r.warc_type() == Some("metadata"))
        .map(|r| String::from_utf8_lossy(&r.block).into_owned())
        .find(|m| m.contains("screenshot: taken"))
        .expect("the final hop's metadata record");
    assert!(
        meta.contains(&format!(
            "browser-refused: 127.0.0.1:{port} 127.0.0.1 non-public-address (loopback)"
        )),
        "{meta}"
    );
    assert!(
        meta.contains("browser-refused: unmapped.test:80 - unresolvable"),
        "{meta}"
    );

    // Chromium ran with its sandbox, and not as root when we are root.
    assert!(!browsers.is_empty(), "no browser process was seen");
    for (pid, b) in &browsers {
        assert!(
            !b.cmdline.iter().any(|a| a == "--no-sandbox"),
            "browser {pid} without its sandbox: {b:?}"
        );
        assert!(
            b.cmdline
                .iter()
                .any(|a| a.starts_with("--proxy-server=http://127.0.0.1:"))
                && b.cmdline
                    .iter()
                    .any(|a| a == "--proxy-bypass-list=<-loopback>"),
            "browser {pid} not behind the proxy: {b:?}"
        );
        if running_as_root() {
            assert_ne!(b.uid, 0, "browser {pid} runs as root: {b:?}");
        }
    }

    // With the page's scripts blocked, only what its markup loads is tried: the scripted
    // requests (fetch to [::1], XHR to 172.16.0.1) never leave the page.
    let blocked = tokio::task::spawn_blocking(move || {
        crawl::browser::screenshot(&browser, &url, Scripts::Blocked)
    })
    .await
    .unwrap()
    .unwrap();
    let r = &blocked.refused;
    assert!(refused_at(r, "127.0.0.1", port).is_some(), "{r:#?}");
    assert!(refused_at(r, "169.254.169.254", 80).is_some(), "{r:#?}");
    assert!(refused_at(r, "[::1]", port).is_none(), "{r:#?}");
    assert!(refused_at(r, "172.16.0.1", 80).is_none(), "{r:#?}");
    assert_eq!(*seen.lock().unwrap(), Vec::<String>::new());
}

#[test]
fn a_user_that_does_not_exist_is_refused_not_run_unsandboxed() {
    if !running_as_root() {
        // Not as root the browser runs as the current user; the user setting does not apply.
        let mut c = BrowserConfig::new(chromium());
        c.user = "no-such-user-here".into();
        let url = url::Url::parse("data:text/html,<p>x</p>").unwrap();
        let shot = crawl::browser::screenshot(&c, &url, Scripts::Blocked).unwrap();
        assert!(shot.png.starts_with(b"\x89PNG"));
        return;
    }
    let mut c = BrowserConfig::new(chromium());
    c.user = "no-such-user-here".into();
    let url = url::Url::parse("data:text/html,<p>x</p>").unwrap();
    let err = crawl::browser::screenshot(&c, &url, Scripts::Blocked).unwrap_err();
    assert_eq!(err.code(), "unprivileged-user", "{err}");
    c.user = "root".into();
    let err = crawl::browser::screenshot(&c, &url, Scripts::Blocked).unwrap_err();
    assert_eq!(err.code(), "unprivileged-user", "{err}");
}
