//! The dashboard's charts: each an `<svg role="img">` with its title and marks that carry
//! their counts, followed by its table; the marks link to lists whose rows are the counted
//! ones; a running sweep adds its progress and the page's 30-second refresh.

use chrono::Utc;
use domain::{Category, Role};
use store::{NewFinding, Scope, SiteFilter};

use crate::{fixture, get, logged_in, Fixture};

/// The `<svg>` element of the chart `id` in `body`.
fn svg<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("chart {id} in {body}"));
    let start = body[..at].rfind("<svg ").expect("<svg before the id");
    let end = at + body[at..].find("</svg>").expect("</svg>") + "</svg>".len();
    &body[start..end]
}

/// The links of a chart with the value each mark writes (its last `<text>`), the links'
/// `&amp;` read back as `&`.
fn links(svg: &str) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for part in svg.split("<a href=\"").skip(1) {
        let href = &part[..part.find('"').unwrap()];
        let inner = &part[..part.find("</a>").unwrap()];
        let text = inner.rsplit("</text>").nth(1).unwrap();
        let value = text[text.rfind('>').unwrap() + 1..].trim();
        if let Ok(v) = value.parse() {
            out.push((href.replace("&amp;", "&"), v));
        }
    }
    out
}

/// The number of rows the list at `href` holds, through its API twin (the same filters); a
/// report's records page says its own count.
async fn total(fx: &Fixture, href: &str) -> i64 {
    let page = get(&fx.router, href).await;
    assert_eq!(page.status, 200, "{href}: {}", page.body);
    if href.starts_with("/reports/records?") {
        let n = page
            .body
            .split("共 ")
            .nth(1)
            .and_then(|r| r.split(" 条记录").next())
            .unwrap_or_else(|| panic!("{href}: {}", page.body));
        return n.parse().unwrap();
    }
    let api = if href.starts_with("/api/v1/") {
        href.to_string()
    } else {
        format!("/api/v1{href}")
    };
    get(&fx.router, &api).await.ok().json()["total"]
        .as_i64()
        .unwrap_or_else(|| panic!("{api}"))
}

/// Checks a chart's frame: labelled image, title, description, and marks.
fn check_chart(body: &str, id: &str, title: &str, mark: &str) {
    let s = svg(body, id);
    assert!(s.contains("role=\"img\""), "{s}");
    assert!(
        s.contains(&format!("aria-labelledby=\"{id}-title {id}-desc\"")),
        "{s}"
    );
    assert!(
        s.contains(&format!("<title id=\"{id}-title\">{title}")),
        "{s}"
    );
    assert!(s.contains(mark), "{mark} in {s}");
    assert!(!s.contains("style="), "{s}");
}

/// The fixture with a second sweep running: one of its two sites done, two findings it made
/// today (one on each site).
async fn with_running_sweep() -> Fixture {
    let fx = fixture().await;
    let store = fx.state.store.clone();
    let sites = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap();
    let ids: Vec<_> = sites.iter().map(|s| s.id).collect();
    let sweep = store.create_sweep(&ids).await.unwrap();
    let now = Utc::now();
    let new = |site, category: Category, excerpt: &str| NewFinding {
        sweep_id: sweep,
        site_id: site,
        fetch_id: None,
        url: "http://shop.example/new".into(),
        category,
        rule_id: format!("{}.r2", category.code()),
        rule_pack: "core-2017".into(),
        severity: category.severity(),
        excerpt: excerpt.into(),
        location: "text".into(),
        evidence: None,
        found_at: now,
        suppressed: None,
    };
    store
        .record_findings(&[
            new(fx.shop, Category::AdAbsoluteTerm, "本周最低价"),
            new(fx.casino, Category::ContentGambling, "百家乐"),
        ])
        .await
        .unwrap();
    store
        .finish_site(sweep, fx.shop, store::SiteSweepState::Done, None)
        .await
        .unwrap();
    fx
}

#[tokio::test]
async fn every_chart_is_a_labelled_svg_with_its_counts_and_table() {
    let fx = with_running_sweep().await;
    let page = get(&fx.router, "/").await.ok();
    let b = &page.body;

    check_chart(
        b,
        "chart-heatmap",
        "按类别与区域统计的监测发现",
        "<rect class=\"heat heat-",
    );
    check_chart(
        b,
        "chart-trend",
        "近 12 周每周新增监测发现",
        "<rect class=\"chart-col sev-",
    );
    check_chart(
        b,
        "chart-progress",
        "巡查 #2 进度",
        "<rect class=\"chart-done\"",
    );
    check_chart(
        b,
        "chart-new",
        "巡查 #1 新发现的问题",
        "<rect class=\"chart-bar\"",
    );
    check_chart(
        b,
        "chart-overdue",
        "逾期线索与案件",
        "<rect class=\"chart-bar\"",
    );
    check_chart(
        b,
        "chart-credit",
        "信用风险分类分布",
        "<rect class=\"chart-bar\"",
    );
    check_chart(
        b,
        "chart-complaints",
        "投诉举报",
        "<rect class=\"chart-bar\"",
    );
    check_chart(
        b,
        "chart-badges",
        "电子亮照（按状态）",
        "<rect class=\"chart-bar\"",
    );

    // The heat map: 5 findings in all (3 of the first sweep, 2 of the running one), the
    // Qingxiu shop's 广告 cell holding 2 and coloured darkest.
    let heat = svg(b, "chart-heatmap");
    assert!(heat.contains("合计 5"), "{heat}");
    assert!(heat.contains("heat heat-5"), "{heat}");
    // The trend: this week holds the running sweep's 2 findings (the fixture's are of 2017).
    let trend = svg(b, "chart-trend");
    assert!(trend.contains("合计 2"), "{trend}");
    assert!(
        trend.contains("严重 1") && trend.contains("中 1"),
        "{trend}"
    );
    // The progress: 1 of 2 sites.
    assert!(svg(b, "chart-progress").contains("1 / 2（50%）"));
    // New in the finished sweep #1: its 3 findings, in 3 categories.
    let new = svg(b, "chart-new");
    assert!(new.contains("合计 3"), "{new}");
    assert_eq!(new.matches("<rect class=\"chart-bar\"").count(), 3, "{new}");

    // A running sweep: the page says so and refreshes itself, without script.
    assert!(b.contains("<meta http-equiv=\"refresh\" content=\"30\">"));
    assert!(b.contains("巡查进行中，本页每 30 秒刷新"));
    assert!(!b.contains("<script"));

    // Each chart is followed by its table.
    assert!(b.matches("<summary>数据表</summary>").count() >= 8, "{b}");
    assert!(b.contains("id=\"overdue-cases\""));
}

#[tokio::test]
async fn chart_marks_link_to_the_records_they_count() {
    let fx = with_running_sweep().await;
    let b = get(&fx.router, "/").await.ok().body;

    let heat = links(svg(&b, "chart-heatmap"));
    assert!(
        heat.contains(&(
            "/findings?category=ad.absolute_term&district=450103".to_string(),
            2
        )),
        "{heat:?}"
    );
    assert!(heat.len() >= 3, "{heat:?}");
    for (href, value) in &heat {
        assert_eq!(total(&fx, href).await, *value, "{href}");
    }
    let trend: Vec<&str> = svg(&b, "chart-trend")
        .split("<a href=\"")
        .skip(1)
        .map(|p| &p[..p.find('"').unwrap()])
        .collect();
    assert_eq!(
        trend,
        [
            "/findings?severity=critical",
            "/findings?severity=high",
            "/findings?severity=medium",
            "/findings?severity=low"
        ],
        "one legend entry per severity"
    );
    for chart in ["chart-overdue", "chart-credit", "chart-badges"] {
        let marks = links(svg(&b, chart));
        assert!(!marks.is_empty(), "{chart}");
        for (href, value) in marks.iter().filter(|(h, _)| h.starts_with('/')) {
            assert_eq!(total(&fx, href).await, *value, "{href}");
        }
    }
    let complaints = links(svg(&b, "chart-complaints"));
    for (href, value) in &complaints {
        assert_eq!(total(&fx, href).await, *value, "{href}");
    }
    // New findings link to the sweep's findings of their category: exactly those.
    let new = links(svg(&b, "chart-new"));
    assert_eq!(new.len(), 3, "{new:?}");
    for (href, value) in &new {
        assert!(href.starts_with("/findings?sweep=1&category="), "{href}");
        assert_eq!(total(&fx, href).await, *value, "{href}");
    }
    assert_eq!(total(&fx, "/findings?sweep=1").await, 3);
    assert_eq!(total(&fx, "/findings?sweep=2").await, 2);
}

#[tokio::test]
async fn without_a_running_sweep_no_refresh_and_a_district_sees_its_own() {
    let fx = fixture().await;
    let b = get(&fx.router, "/").await.ok().body;
    assert!(!b.contains("http-equiv=\"refresh\""));
    assert!(!b.contains("id=\"chart-progress\""));
    assert!(svg(&b, "chart-heatmap").contains("合计 3"));
    // Nothing found in the last 12 weeks: the trend says so.
    assert!(svg(&b, "chart-trend").contains("无数据"));

    // An inspector of 江南区 counts only its casino's finding.
    let (router, _) = logged_in(&fx.state, "jiangnan", Role::Inspector, &["450105"]).await;
    let b = get(&router, "/").await.ok().body;
    let heat = svg(&b, "chart-heatmap");
    assert!(heat.contains("合计 1"), "{heat}");
    assert!(!heat.contains("district=450103"), "{heat}");
    assert!(svg(&b, "chart-new").contains("合计 1"));
}
