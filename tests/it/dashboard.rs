//! The dashboard in a real browser: a supervisor logs in to a demo console, `/` shows every
//! chart as an `<svg>` laid out with a size and holding marks, and a WebDriver screenshot of
//! it is a PNG of the window's size.

use fantoccini::Locator;

use crate::browser::{Browser, Console, Driver, PASSWORD};

/// The charts the dashboard of a finished demo sweep shows (no sweep running: no progress).
const CHARTS: [&str; 7] = [
    "chart-heatmap",
    "chart-trend",
    "chart-new",
    "chart-overdue",
    "chart-credit",
    "chart-complaints",
    "chart-badges",
];

/// The width and height a PNG's IHDR chunk declares, after checking the signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 33, "a PNG of {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "the PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "the first chunk is IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_its_charts_in_a_browser() {
    let console = Console::start();
    console.add_user("boss", "supervisor", &[]);
    let driver = Driver::start();
    let b = Browser::start(&driver, &console.base).await;
    b.goto("/login").await;
    b.login("boss", PASSWORD).await;
    b.goto("/").await;
    assert_eq!(b.path().await, "/");
    assert_eq!(b.status().await, 200);
    let text = b.page_text().await;
    assert!(text.contains("监测总览"), "{text}");

    for id in CHARTS {
        let svg = b
            .client
            .find(Locator::Css(&format!("svg#{id}")))
            .await
            .unwrap_or_else(|e| panic!("no chart {id}: {e}"));
        assert_eq!(
            svg.attr("role").await.unwrap().as_deref(),
            Some("img"),
            "{id}"
        );
        let title = svg
            .find(Locator::Css("title"))
            .await
            .unwrap_or_else(|e| panic!("{id} has no title: {e}"));
        assert!(
            !title.html(true).await.unwrap().trim().is_empty(),
            "{id}'s title is empty"
        );
        let (_, _, w, h) = svg.rectangle().await.unwrap();
        assert!(w > 0.0 && h > 0.0, "{id} is laid out {w}×{h}");
        let marks = svg.find_all(Locator::Css("rect")).await.unwrap();
        assert!(!marks.is_empty(), "{id} has no marks");
        let texts = svg.find_all(Locator::Css("text")).await.unwrap();
        assert!(!texts.is_empty(), "{id} writes no values");
    }
    // The demo's sweep found something: the heat map and the trend draw marks of some size,
    // and every count in the heat map links to the findings behind it.
    for id in ["chart-heatmap", "chart-trend", "chart-new"] {
        let sized = b
            .script(&format!(
                "return [...document.querySelectorAll('svg#{id} rect')]
                    .filter(r => {{ const b = r.getBBox(); return b.width > 0 && b.height > 0; }})
                    .length;"
            ))
            .await;
        assert!(sized.as_u64().unwrap_or(0) > 0, "{id}: {sized}");
    }
    let links = b
        .script(
            "return [...document.querySelectorAll('svg#chart-heatmap a')]
                .map(a => a.getAttribute('href'));",
        )
        .await;
    let links: Vec<String> = serde_json::from_value(links).unwrap();
    assert!(!links.is_empty(), "the heat map links its counts");
    assert!(
        links.iter().all(|l| l.starts_with("/findings?")),
        "{links:?}"
    );

    // What a person sees: a PNG of the window.
    let png = b.client.screenshot().await.expect("a screenshot");
    let (w, h) = png_size(&png);
    assert!(w > 0 && h > 0, "{w}×{h}");
    std::fs::write(console.data().join("dashboard.png"), &png).unwrap();

    // A count leads to its records.
    b.goto(&links[0]).await;
    assert_eq!(b.status().await, 200);
    assert!(b.page_text().await.contains("监测发现"));
    b.close().await;
}
