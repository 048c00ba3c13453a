//! The badge programme end to end, in a real browser: a merchant whose simweb site is in the
//! register applies for a badge on the portal (served in this process over the console's
//! database, its proofs fetched through the crawler from a `wangjian simweb --overlay DIR`
//! process), publishes the proof token where the page says (a file in the overlay), proves
//! control of the domain, and a supervisor issues the badge in the console. The merchant puts
//! the snippet on its homepage, and so does another registered site that copied it; the next
//! sweep over simweb records the badge valid on the merchant's site and finds `badge.invalid`
//! (bound to another domain) on the copier's.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use serde_json::Value;

use crate::browser::{Browser, Console, Driver, Killed, PASSWORD};
use crate::capture::simweb_address;
use crate::portal_complaint::{answer, portal_with};
use crate::{run, stdout, wangjian};

/// `wangjian simweb` over the demo's world (16 sites, seed 1) with the site owners' overlay
/// `dir`, on a free loopback port; its address (`127.0.0.1:PORT`).
fn simweb(data: &Path, dir: &Path) -> (Killed, String) {
    let mut child = wangjian(data)
        .args(["simweb", "--sites", "16", "--seed", "1", "--overlay"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simweb starts");
    let addr = simweb_address(&mut child);
    let process = Killed(child);
    (process, addr)
}

/// The status and content type of `http://host/` as simweb at `addr` serves it.
fn homepage(addr: &str, host: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET / HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.trim().to_ascii_lowercase())
        })
        .unwrap_or_default();
    (status, content_type)
}

/// A registered trading site with a host of its own.
struct Site {
    id: i64,
    host: String,
    uscc: String,
    entity_name: String,
}

/// Registered trading sites (`wangjian sites --format json`) with a `www.` host of their own
/// whose homepage simweb serves as UTF-8 HTML, with their entity's USCC from the register the
/// demo imported.
fn trading_sites(console: &Console, simweb: &str) -> Vec<Site> {
    let register = std::fs::read_to_string(console.data().join("simweb/register.csv")).unwrap();
    let out = run(wangjian(console.data()).args(["sites", "--format", "json"]));
    assert!(out.status.success());
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|s| {
            s["origin"] == "register"
                && s["kind"] == "trading_site"
                && s["path_prefix"] == ""
                && s["host"].as_str().is_some_and(|h| h.starts_with("www."))
        })
        .filter_map(|s| {
            let host = s["host"].as_str().unwrap().to_string();
            let uscc = register
                .lines()
                .find(|l| l.split(',').any(|f| f == host))?
                .split(',')
                .next()?
                .to_string();
            let (status, content_type) = homepage(simweb, &host);
            (status == 200
                && content_type.starts_with("text/html")
                && content_type.contains("utf-8"))
            .then(|| Site {
                id: s["id"].as_i64().unwrap(),
                entity_name: s["entity_name"].as_str().unwrap().to_string(),
                host,
                uscc,
            })
        })
        .collect()
}

/// The portal on a free loopback port, over the console's database, with the data directory's
/// badge key and proofs fetched from simweb at `simweb` (every host's port 80 mapped there), no
/// minimum time to fill a form.
async fn portal(console: &Console, simweb: &str) -> String {
    let key = badge::load_or_create_key(&console.data().join("keys")).expect("the badge key");
    let mut crawl = crawl::CrawlConfig::default();
    crawl
        .resolve
        .parse_entry(&format!("*:80:{simweb}"))
        .expect("a resolve entry");
    portal_with(console, |base| {
        Some(web::PortalBadges {
            key: key.verifying_key(),
            settings: badge::BadgeSettings {
                public_url: base.to_string(),
                name_servers: Vec::new(),
                crawl: Arc::new(crawl),
            },
        })
    })
    .await
}

/// The text of the element with this id on the page shown (panics with the page when none).
async fn text_of(b: &Browser, id: &str) -> String {
    let v = b
        .script(&format!(
            "const e = document.getElementById('{id}'); return e ? e.textContent.trim() : null;"
        ))
        .await;
    match v.as_str() {
        Some(t) => t.to_string(),
        None => panic!("no #{id} on {}: {}", b.path().await, b.page_text().await),
    }
}

/// The findings of the category `badge.invalid` the console lists for a site: (rule, excerpt).
async fn badge_findings(b: &Browser, site: i64) -> Vec<(String, String)> {
    b.goto(&format!("/findings?category=badge.invalid&site={site}"))
        .await;
    assert_eq!(b.status().await, 200, "{}", b.page_text().await);
    let rows = b
        .script(
            "return [...document.querySelectorAll('table.findings tbody tr')].map(tr => [
                [...tr.querySelectorAll('code')].map(c => c.textContent.trim())
                    .find(t => t.startsWith('structure.')) || '',
                tr.querySelector('td.excerpt').textContent.trim(),
            ]);",
        )
        .await;
    serde_json::from_value(rows).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_badge_is_applied_for_proven_issued_and_checked_by_the_next_sweep() {
    let console = Console::start();
    console.add_user("badge-sup", "supervisor", &[]);
    let overlay = tempfile::tempdir().unwrap();
    let (_simweb, simweb_addr) = simweb(console.data(), overlay.path());
    let sites = trading_sites(&console, &simweb_addr);
    assert!(
        sites.len() >= 2,
        "two registered trading sites served as UTF-8: {}",
        sites.len()
    );
    let (merchant, copier) = (&sites[0], &sites[1]);
    let portal = portal(&console, &simweb_addr).await;
    let driver = Driver::start();

    // The merchant applies on the portal (in English, to read the check question), giving its
    // site's host as the register lists it: the badge is bound to the bare domain.
    let bare = merchant.host.trim_start_matches("www.").to_string();
    let public = Browser::start(&driver, &portal).await;
    public.goto("/badge?lang=en").await;
    assert!(
        public.page_text().await.contains("Apply for a badge"),
        "{}",
        public.page_text().await
    );
    public.fill("uscc", &merchant.uscc).await;
    public.fill("domain", &merchant.host).await;
    public.fill("contact", "Li Si 13800000001").await;
    public.check("method", "well_known").await;
    let a = answer(&public).await;
    public.fill("answer", &a).await;
    public.click_button("Apply").await;
    // The application's page, in English still (`/badge/applications/TRACKING?lang=en`).
    let application = public.path().await;
    assert!(
        application.starts_with("/badge/applications/") && application.ends_with("?lang=en"),
        "{application}: {}",
        public.page_text().await
    );
    let text = public.page_text().await;
    assert!(text.contains(&merchant.entity_name), "{text}");
    assert!(text.contains(&merchant.uscc), "{text}");
    assert!(
        !text.contains("13800000001"),
        "the contact is not shown: {text}"
    );
    assert_eq!(
        text_of(&public, "badge-state").await,
        "Awaiting proof of the domain"
    );
    let heading = public
        .script("return document.querySelector('h1').textContent;")
        .await;
    let serial = heading
        .as_str()
        .and_then(|h| h.split_whitespace().find(|w| w.starts_with("WJB")))
        .unwrap_or_else(|| panic!("a serial in {heading}"))
        .to_string();
    let token = text_of(&public, "proof-token").await;
    let proof_url = text_of(&public, "proof-url").await;
    let where_to = format!("http://{bare}/.well-known/wangjian-badge/{token}");
    assert_eq!(proof_url, where_to, "{text}");

    // Proving before the file is there: not found, and the application waits for a retry.
    let a = answer(&public).await;
    public.fill("answer", &a).await;
    public.click_button("Prove now").await;
    assert_eq!(
        text_of(&public, "badge-state").await,
        "Awaiting proof of the domain"
    );
    let proof = text_of(&public, "proof-result").await;
    assert!(proof.starts_with("The proof file was not found"), "{proof}");

    // The merchant publishes the token where the page said; proving now succeeds.
    let file = overlay
        .path()
        .join(&bare)
        .join(".well-known/wangjian-badge")
        .join(&token);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let a = answer(&public).await;
    public.fill("answer", &a).await;
    public.click_button("Prove now").await;
    assert_eq!(public.path().await, application);
    assert_eq!(
        text_of(&public, "badge-state").await,
        "Domain proven; awaiting review",
        "{}",
        public.page_text().await
    );
    assert_eq!(text_of(&public, "proof-result").await, "Proven");
    assert!(
        public.button("Prove now").await.is_none(),
        "nothing left to prove"
    );

    // A supervisor issues it in the console.
    let staff = Browser::start(&driver, &console.base).await;
    staff.login("badge-sup", PASSWORD).await;
    assert_eq!(staff.path().await, "/", "{}", staff.page_text().await);
    staff.goto(&format!("/badges/{serial}")).await;
    assert_eq!(staff.status().await, 200, "{}", staff.page_text().await);
    let text = staff.page_text().await;
    assert!(
        text.contains("待审核") && text.contains(&bare) && text.contains("Li Si 13800000001"),
        "{text}"
    );
    staff.click_button("发放亮照").await;
    assert_eq!(staff.path().await, format!("/badges/{serial}"));
    let text = staff.page_text().await;
    assert!(text.contains("有效"), "{text}");
    assert!(
        staff.button("发放亮照").await.is_none(),
        "issued once: {text}"
    );
    let snippet = text_of(&staff, "snippet").await;
    let verify = snippet
        .split("href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("a link in the snippet: {snippet}"))
        .to_string();
    let signed = verify
        .split_once("/badge/verify?token=")
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| panic!("a verification link: {snippet}"));
    assert!(
        verify.starts_with("http://127.0.0.1:") && snippet.contains(&serial),
        "{snippet}"
    );

    // The merchant's page on the portal says issued and gives the same badge; its
    // verification page shows the business and the badge valid.
    public.goto(&application).await;
    assert_eq!(text_of(&public, "badge-state").await, "Issued");
    let own = text_of(&public, "badge-snippet").await;
    assert!(own.contains(&format!("token={signed}\"")), "{own}");
    public
        .goto(&format!("/badge/verify?token={signed}&lang=en"))
        .await;
    assert_eq!(public.status().await, 200);
    let text = public.page_text().await;
    assert!(
        text.contains(&merchant.entity_name) && text.contains(&bare) && text.contains("Valid"),
        "{text}"
    );
    public.close().await;

    // The merchant embeds the snippet on its homepage; another site copied it onto its own.
    for host in [&merchant.host, &copier.host] {
        std::fs::write(overlay.path().join(format!("{host}.home.html")), &snippet).unwrap();
    }

    // The next sweep over simweb.
    let out = run(wangjian(console.data()).args([
        "sweep",
        "--resolve",
        &format!("*:80:{simweb_addr}"),
        "--max-pages",
        "3",
        "--delay-ms",
        "0",
    ]));
    assert!(out.status.success());
    let out = run(wangjian(console.data()).args(["badge", "show", &serial, "--format", "json"]));
    assert!(out.status.success());
    let shown: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(shown["state"], "issued", "{shown}");
    assert_eq!(shown["check_verdict"], "valid", "{shown}");
    assert!(!shown["checked_at"].is_null(), "{shown}");

    // In the console: the badge's last check, no finding on the merchant's site, the copied
    // badge found on the other.
    staff.goto(&format!("/badges/{serial}")).await;
    let text = staff.page_text().await;
    let checked = text
        .lines()
        .skip_while(|l| !l.starts_with("最近巡查"))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        checked.contains("有效") && checked.contains(&merchant.host),
        "{checked}\n{text}"
    );
    let own = badge_findings(&staff, merchant.id).await;
    assert!(
        !own.iter()
            .any(|(rule, _)| rule == "structure.badge-invalid-002"),
        "{own:?}"
    );
    let copied: Vec<String> = badge_findings(&staff, copier.id)
        .await
        .into_iter()
        .filter(|(rule, _)| rule == "structure.badge-invalid-002")
        .map(|(_, excerpt)| excerpt)
        .collect();
    assert_eq!(copied.len(), 1, "{copied:?}");
    assert!(copied[0].starts_with("other_domain"), "{copied:?}");
    staff.close().await;
}
