//! Cloaking kits and the honest mobile layout, over a real socket with the headers a spider,
//! a search visitor, a phone and a plain browser send.

use crate::common::{truth, world};
use simweb::{start, GenParams, SiteTruth, World};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const BAIDUSPIDER: &str =
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)";
const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const BAIDU_REFERER: &str = "https://www.baidu.com/link?url=abc&wd=";

/// One GET over a fresh connection; returns (status, head, body).
async fn get(
    addr: std::net::SocketAddr,
    host: &str,
    path: &str,
    ua: &str,
    referer: Option<&str>,
) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let referer = referer.map_or(String::new(), |r| format!("Referer: {r}\r\n"));
    let raw = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\n{referer}Connection: close\r\n\r\n"
    );
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let status = head[9..12].parse().unwrap();
    (status, head, out[split + 4..].to_vec())
}

fn kit<'a>(t: &'a simweb::Truth, kind: &str) -> Vec<&'a SiteTruth> {
    t.sites
        .values()
        .filter(|s| s.cloaked.as_ref().is_some_and(|c| c.kind == kind))
        .collect()
}

fn decode(host: &str, body: &[u8]) -> String {
    decode_in(truth(), host, body)
}

/// The body of a page of `host` in the world whose truth is `t`, as text.
fn decode_in(t: &simweb::Truth, host: &str, body: &[u8]) -> String {
    let st = t.sites.values().find(|s| s.host == host).unwrap();
    if st.encoding == "gbk" {
        encoding_rs::GBK.decode(body).0.into_owned()
    } else {
        String::from_utf8_lossy(body).into_owned()
    }
}

#[test]
fn small_and_large_worlds_carry_every_kind() {
    for (sites, per) in [(20, 1), (40, 1), (200, 2)] {
        let t = World::generate(&GenParams { sites, seed: 3 }).truth();
        for kind in ["ua-only", "referer-redirect", "not-found-to-browsers"] {
            assert_eq!(kit(&t, kind).len(), per, "{sites} sites, {kind}");
            for s in kit(&t, kind) {
                let c = s.cloaked.as_ref().unwrap();
                assert_eq!(c.page, "/");
                assert!(c.categories.contains(&domain::Category::SiteHijacked));
                // The browser view of the homepage is not hijacked.
                let home = s.pages.get("/").cloned().unwrap_or_default();
                assert!(
                    !home.contains(&domain::Category::SiteHijacked),
                    "{}",
                    s.host
                );
            }
        }
        let honest = t.sites.values().filter(|s| s.mobile_layout).count();
        assert_eq!(honest, per, "{sites} sites, mobile layout");
    }
    let t = World::generate(&GenParams { sites: 19, seed: 3 }).truth();
    assert!(t
        .sites
        .values()
        .all(|s| s.cloaked.is_none() && !s.mobile_layout));
}

#[tokio::test]
async fn each_kit_answers_by_user_agent_and_referer_over_a_socket() {
    let w: &'static World = world();
    let arc = Arc::new(World::generate(&GenParams {
        sites: crate::common::SITES,
        seed: 1,
    }));
    let running = start(arc, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = running.addr;
    let t = truth();

    // UA-only: spiders get the casino title and hidden links, browsers the clean page.
    for s in kit(t, "ua-only") {
        let (st, _, body) = get(addr, &s.host, "/", CHROME, None).await;
        assert_eq!(st, 200);
        let clean = decode(&s.host, &body);
        assert_eq!(
            body,
            w.response(&s.host, "/").unwrap().body,
            "browser view = response()"
        );
        let (st, _, body) = get(addr, &s.host, "/", BAIDUSPIDER, None).await;
        assert_eq!(st, 200);
        let spam = decode(&s.host, &body);
        assert_ne!(clean, spam);
        assert!(
            ["体育投注", "娱乐", "百家乐"]
                .iter()
                .any(|k| spam.contains(k)),
            "{}: spider view carries the kit",
            s.host
        );
        assert!(spam.contains(".test/\">"), "hidden casino links");
        // Referer alone changes nothing.
        let (_, _, body) = get(addr, &s.host, "/", CHROME, Some(BAIDU_REFERER)).await;
        assert_eq!(decode(&s.host, &body), clean);
    }

    // Referer-only: a search visitor is sent to a casino host; direct visitors and spiders are not.
    for s in kit(t, "referer-redirect") {
        let (st, head, body) = get(addr, &s.host, "/", CHROME, Some(BAIDU_REFERER)).await;
        let text = String::from_utf8_lossy(&body).to_string();
        match st {
            302 => {
                let loc = head
                    .lines()
                    .find_map(|l| l.strip_prefix("location: "))
                    .expect("Location");
                assert!(
                    loc.starts_with("http://") && loc.ends_with(".test/"),
                    "{loc}"
                );
                assert!(!loc.contains(&s.host));
            }
            200 => assert!(text.contains("http-equiv=\"refresh\""), "{text}"),
            other => panic!("{}: {other}", s.host),
        }
        for referer in [
            "https://www.bing.com/search?q=x",
            "https://www.so.com/link?m=1",
        ] {
            let (st2, _, _) = get(addr, &s.host, "/", CHROME, Some(referer)).await;
            assert_eq!(st2, st, "{referer}");
        }
        let (st, _, body) = get(addr, &s.host, "/", CHROME, None).await;
        assert_eq!(st, 200);
        assert_eq!(body, w.response(&s.host, "/").unwrap().body);
        let (st, _, _) = get(addr, &s.host, "/", CHROME, Some("https://example.com/")).await;
        assert_eq!(st, 200, "an ordinary referer is not redirected");
        let (st, _, _) = get(addr, &s.host, "/", BAIDUSPIDER, None).await;
        assert_eq!(st, 200);
    }

    // 404 to non-spiders: a spam page to spiders.
    for s in kit(t, "not-found-to-browsers") {
        assert!(s.pages.is_empty());
        let (st, _, _) = get(addr, &s.host, "/", CHROME, None).await;
        assert_eq!(st, 404);
        let (st, _, _) = get(addr, &s.host, "/", CHROME, Some(BAIDU_REFERER)).await;
        assert_eq!(st, 404);
        let (st, _, body) = get(addr, &s.host, "/", BAIDUSPIDER, None).await;
        assert_eq!(st, 200);
        let spam = decode(&s.host, &body);
        assert!(
            ["体育投注", "娱乐", "百家乐"]
                .iter()
                .any(|k| spam.contains(k)),
            "{}",
            s.host
        );
    }

    // Honest: phones get another layout of the same content, with the same title.
    let honest: Vec<_> = t.sites.values().filter(|s| s.mobile_layout).collect();
    assert!(!honest.is_empty());
    for s in honest {
        assert!(s.cloaked.is_none());
        let (_, _, desk) = get(addr, &s.host, "/", CHROME, None).await;
        let (st, _, phone) = get(addr, &s.host, "/", PHONE, None).await;
        assert_eq!(st, 200);
        let (desk, phone) = (decode(&s.host, &desk), decode(&s.host, &phone));
        assert_ne!(desk, phone, "another layout");
        assert!(phone.contains("class=\"m-wrap\""));
        let title = |h: &str| {
            h.split("<title>")
                .nth(1)
                .unwrap()
                .split("</title>")
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(title(&desk), title(&phone));
        let (_, _, spider_mobile) = get(
            addr,
            &s.host,
            "/",
            "Mozilla/5.0 (Linux;u;Android 4.2.2;zh-cn;) AppleWebKit/534.46 (KHTML,like Gecko) Version/5.1 Mobile Safari/10600.6.3 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            None,
        )
        .await;
        assert_eq!(
            decode(&s.host, &spider_mobile),
            phone,
            "the mobile spider sees the phone layout"
        );
    }
    running.shutdown().await;
}

/// The script kits and their honest look-alikes: every visitor gets the same homepage with
/// the kit's inline script (the kit's casino host and title in clear only in the plain kit),
/// the casino is served, and the look-alikes' scripts read the referrer harmlessly.
#[test]
fn script_kits_serve_one_page_to_all_and_their_casino_exists() {
    for (sites, per) in [(20, 1), (200, 2)] {
        let w = World::generate(&GenParams { sites, seed: 3 });
        let t = w.truth();
        for kind in ["script-redirect", "script-obfuscated"] {
            assert_eq!(kit(&t, kind).len(), per, "{sites} sites, {kind}");
        }
        for kind in ["referrer-analytics", "ab-banner"] {
            let n = t
                .sites
                .values()
                .filter(|s| s.honest_script.as_deref() == Some(kind))
                .count();
            assert_eq!(n, per, "{sites} sites, {kind}");
        }
    }
    let w = World::generate(&GenParams { sites: 40, seed: 3 });
    let t = w.truth();
    for kind in ["script-redirect", "script-obfuscated"] {
        let s = kit(&t, kind)[0];
        assert!(s.registered && s.path_prefix.is_empty());
        let plain = w.response(&s.host, "/").unwrap();
        let referred = w
            .response_as(&s.host, "/", Some(CHROME), Some(BAIDU_REFERER))
            .unwrap();
        assert_eq!(plain, referred, "{kind}: one page for everyone");
        let html = decode_in(&t, &s.host, &plain.body);
        assert!(html.contains("document.title"), "{kind}");
        let script = html.split("<script>").nth(1).unwrap();
        if kind == "script-redirect" {
            assert!(script.contains("document.referrer"), "{script}");
            assert!(script.contains("location.href='http://"), "{script}");
        } else {
            assert!(script.contains("String.fromCharCode("), "{script}");
            assert!(script.contains("atob('"), "{script}");
            assert!(
                !script.contains("http"),
                "the target is not in clear: {script}"
            );
            assert!(!script.contains("referrer"), "{script}");
        }
        // The browser view stays clean in the truth: the kit is listed apart.
        assert!(!s.pages["/"].contains(&domain::Category::SiteHijacked));
    }
    // The plain kit's casino answers with a gambling page.
    let s = kit(&t, "script-redirect")[0];
    let html = decode_in(&t, &s.host, &w.response(&s.host, "/").unwrap().body);
    let target = html
        .split("location.href='http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let casino = w.response(&target, "/").expect("the casino is served");
    assert_eq!(casino.status, 200);
    let casino = String::from_utf8_lossy(&casino.body);
    assert!(casino.contains("百家乐"), "{casino}");

    for s in t.sites.values().filter(|s| s.honest_script.is_some()) {
        assert!(s.cloaked.is_none());
        let html = decode_in(&t, &s.host, &w.response(&s.host, "/").unwrap().body);
        assert!(html.contains("document.referrer"), "{}", s.host);
        if s.honest_script.as_deref() == Some("referrer-analytics") {
            assert!(html.contains(&format!("http://{}/stat.gif", s.host)));
        } else {
            assert!(html.contains("id=\"ab-banner\""));
        }
    }
}
