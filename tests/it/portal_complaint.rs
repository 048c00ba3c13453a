//! A complaint from the public portal to the district's console and back, in a real browser:
//! a member of the public files a complaint on the portal about a 兴宁区 business (the portal
//! served in this process over the data directory's database, the console by `wangjian
//! serve`), 兴宁区's inspector finds it in the console and another district's inspector does
//! not, the inspector handles it to a published outcome, and the public status page shows the
//! outcome (and no personal data). Then a hostile report, filed at the hotline, is opened in the
//! inspector's browser: nothing in it runs and the page stays within the viewport.

use std::sync::Arc;

use serde_json::Value;

use crate::browser::{Browser, Console, Driver, PASSWORD, XINGNING};
use crate::{run, stdout, wangjian};

/// The portal on a free loopback port, over the console's database (SQLite, shared with the
/// `serve` process), with no minimum time to fill a form.
async fn portal(console: &Console) -> String {
    portal_with(console, |_| None).await
}

/// The portal as [`portal`] serves it, with the badge programme `badges` makes from the
/// portal's base URL.
pub(crate) async fn portal_with(
    console: &Console,
    badges: impl FnOnce(&str) -> Option<web::PortalBadges>,
) -> String {
    let store = store::open(&store::DatabaseUrl::Sqlite(
        console.data().join("wangjian.db"),
    ))
    .await
    .expect("the data directory's database");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = web::PortalSettings::new(&base);
    settings.guard.min_fill = std::time::Duration::ZERO;
    let state = web::PortalState {
        store: store as Arc<dyn store::Store>,
        districts: domain::DistrictTable::nanning(),
        transport: web::Transport::default(),
        settings,
        badges: badges(&base),
    };
    tokio::spawn(web::portal::serve_until(
        state,
        listener,
        std::future::pending(),
    ));
    base
}

/// The answer to the form's check question, as a person reads it in English ("What is three
/// plus four? …").
pub(crate) async fn answer(b: &Browser) -> String {
    let q = b
        .script("return document.querySelector(\"label[for='challenge-answer']\").textContent;")
        .await;
    let q = q.as_str().unwrap().to_string();
    let words = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let parts: Vec<&str> = q.trim_start_matches("What is ").split(['?', ' ']).collect();
    let n = |w: &str| words.iter().position(|x| *x == w).unwrap() as i64;
    let (a, op, c) = (n(parts[0]), parts[1], n(parts[2]));
    (if op == "plus" { a + c } else { a - c }).to_string()
}

/// The complaint's id in the console (`wangjian complaint list --format json`).
fn complaint_id(console: &Console, tracking: &str) -> i64 {
    let out = run(wangjian(console.data()).args(["complaint", "list", "--format", "json"]));
    assert!(out.status.success());
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|c| c["tracking_number"] == tracking)
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("complaint {tracking} listed"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_complaint_reaches_its_district_is_handled_and_its_outcome_is_public() {
    let console = Console::start();
    console.add_user("xn-inspector", "inspector", &[XINGNING]);
    console.add_user("qx-inspector", "inspector", &["450103"]);
    let portal = portal(&console).await;
    let site = console.xingning_homepage();
    let driver = Driver::start();

    // The public files a complaint on the portal (in English, to read the check question).
    let public = Browser::start(&driver, &portal).await;
    public.goto("/complaints?lang=en").await;
    public.check("kind", "complaint").await;
    public.fill("subject_url", &site).await;
    public
        .fill("body", "Paid 200 yuan, no goods delivered, no refund.")
        .await;
    public.fill("name", "Zhang San").await;
    public.fill("phone", "13800000000").await;
    let a = answer(&public).await;
    public.fill("answer", &a).await;
    public.click_button("Submit").await;
    let text = public.page_text().await;
    let tracking = public
        .script("return document.getElementById('tracking-number').textContent;")
        .await
        .as_str()
        .unwrap_or_else(|| panic!("a tracking number: {text}"))
        .to_string();
    assert!(tracking.starts_with("TS"), "{tracking}");

    // 兴宁区's inspector sees it; 青秀区's does not.
    let id = complaint_id(&console, &tracking);
    let staff = Browser::start(&driver, &console.base).await;
    staff.goto("/login").await;
    staff.login("qx-inspector", PASSWORD).await;
    staff.goto("/complaints").await;
    assert!(!staff.page_text().await.contains(&tracking));
    staff.goto(&format!("/complaints/{id}")).await;
    assert_eq!(staff.status().await, 404);
    staff.goto("/").await;
    staff.logout().await;
    staff.login("xn-inspector", PASSWORD).await;
    staff.goto("/complaints").await;
    assert!(staff.page_text().await.contains(&tracking));
    staff.goto(&format!("/complaints/{id}")).await;
    let text = staff.page_text().await;
    assert!(
        text.contains("Zhang San") && text.contains("13800000000"),
        "{text}"
    );

    // Handled to a published outcome.
    staff.click_button("受理").await;
    staff.click_button("开始调解").await;
    staff.check("answer", "agreed").await;
    staff.click_button("登记调解结果").await;
    staff
        .script("document.querySelector(\"select[name='outcome']\").value = 'mediated';")
        .await;
    staff.fill("text", "经调解，商家同意全额退款。").await;
    staff.check("upheld", "yes").await;
    staff.click_button("办结").await;
    let text = staff.page_text().await;
    assert!(
        text.contains("已办结") && text.contains("经调解，商家同意全额退款。"),
        "{text}"
    );

    // The public status page shows the outcome (the number typed in lower case), no personal
    // data.
    public.goto("/complaints/status").await;
    public.fill("number", &tracking.to_lowercase()).await;
    public.click_button("查询").await;
    let text = public.page_text().await;
    assert!(
        text.contains("已办结") && text.contains("经调解，商家同意全额退款。"),
        "{text}"
    );
    assert!(text.contains("调解达成协议"), "{text}");
    assert!(
        !text.contains("Zhang San") && !text.contains("13800000000"),
        "{text}"
    );
    assert!(!text.contains("xn-inspector"), "{text}");
    // A number that does not exist: not found.
    public.goto("/complaints/status").await;
    public.fill("number", "TS20260101-0000-0000-0000").await;
    public.click_button("查询").await;
    assert_eq!(public.status().await, 404);
    assert!(public.page_text().await.contains("未找到"));
    public.close().await;

    // A hostile report at the hotline, opened in the inspector's browser.
    let long = "長".repeat(4000);
    let hostile = format!(
        "<script>window.__pwned=1;alert(1)</script><svg onload=\"window.__pwned=2\"></svg>\
         <img src=x onerror=\"window.__pwned=3\"><a href=\"javascript:window.__pwned=4\">点我</a>\
         \u{202E}gnp.exe {long}"
    );
    let out = run(wangjian(console.data()).args([
        "complaint",
        "file",
        "--kind",
        "report",
        "--subject",
        "\u{202E}<script>window.__pwned=5</script>",
        "--url",
        &site,
        "--text",
        &hostile,
        "--name",
        "<img src=x onerror=alert(2)>",
        "--phone",
        "13900000000",
    ]));
    assert!(out.status.success());
    let line = stdout(&out);
    let hostile_id: i64 = line
        .trim_start_matches("complaint ")
        .split(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    staff.goto(&format!("/complaints/{hostile_id}")).await;
    let title = staff.script("return document.title;").await;
    assert_eq!(
        title,
        format!("投诉举报 #{hostile_id} · 网监 wangjian"),
        "the title is the page's own"
    );
    let pwned = staff.script("return typeof window.__pwned;").await;
    assert_eq!(pwned, "undefined", "no script of the complaint ran");
    assert!(
        staff.client.get_alert_text().await.is_err(),
        "no alert is open"
    );
    let fits = staff
        .script(
            "return document.documentElement.scrollWidth <= window.innerWidth \
             && document.getElementById('complaint-text').getBoundingClientRect().right \
                <= window.innerWidth;",
        )
        .await;
    assert_eq!(fits, true, "the page stays within the viewport");
    let text = staff.page_text().await;
    assert!(text.contains("<script>window.__pwned=1"), "shown as text");
    staff.close().await;
}
