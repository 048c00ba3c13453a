//! The work report in the console: the page with every section and each figure linked to its
//! records, the records page in the viewer's scope, the XLSX and HTML files, and refusals of bad
//! requests in Chinese.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use domain::Role;

use crate::{bytes, fixture, get, logged_in};

/// The fixture's findings (two of the 青秀区 shop, one of the 江南区 casino) were made on
/// 2017-06-01 (UTC, 08:00 in Beijing).
const PERIOD: &str = "from=2017-06-01&to=2017-06-01";

#[tokio::test]
async fn the_report_page_links_every_figure_to_its_records() {
    let fx = fixture().await;
    let page = get(&fx.router, &format!("/reports?{PERIOD}"))
        .await
        .ok()
        .body;
    for heading in ["一、网络经营主体登记", "五、案件与处置", "十、数据共享"]
    {
        assert!(page.contains(heading), "{heading}");
    }
    assert!(page.contains("2017-06-01 至 2017-06-01"), "{page}");
    let link = "/reports/records?figure=findings&#38;from=2017-06-01&#38;to=2017-06-01\">3</a>";
    assert!(page.contains(link), "{page}");
    // Each section's chart, its bars linking to the records pages too.
    assert!(
        page.contains("id=\"chart-monitoring\" role=\"img\""),
        "{page}"
    );
    assert!(page.contains(
        "<a href=\"/reports/records?figure=findings&amp;from=2017-06-01&amp;to=2017-06-01\"><rect"
    ));

    // The records behind it: the shop's two findings and the casino's, each linking to its page.
    let records = get(
        &fx.router,
        &format!("/reports/records?figure=findings&{PERIOD}"),
    )
    .await
    .ok()
    .body;
    assert!(records.contains("共 3 条记录"), "{records}");
    assert!(records.contains("ad.absolute_term") && records.contains("content.gambling"));
    assert!(records.contains("href=\"/findings/"), "{records}");

    // A 青秀区 inspector's report holds 青秀区's records only.
    let (qingxiu, _) = logged_in(&fx.state, "qingxiu", Role::Inspector, &["450103"]).await;
    let records = get(
        &qingxiu,
        &format!("/reports/records?figure=findings&{PERIOD}"),
    )
    .await
    .ok()
    .body;
    assert!(records.contains("共 2 条记录"), "{records}");
    assert!(!records.contains("content.gambling"), "{records}");

    // Another period holds none of them.
    let page = get(&fx.router, "/reports?from=2016-01-01&to=2016-01-31")
        .await
        .ok()
        .body;
    assert!(page.contains("figure=findings&#38;from=2016-01-01&#38;to=2016-01-31\">0</a>"));
}

#[tokio::test]
async fn the_report_is_a_workbook_and_a_document() {
    let fx = fixture().await;
    let req = |uri: String| {
        Request::get(uri)
            .header("cookie", &fx.cookie)
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, body) = bytes(
        &fx.router,
        req(format!("/reports/export?format=xlsx&{PERIOD}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with(".xlsx\""));
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(body)).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), 12, "{names:?}");
    assert_eq!(names[0], "总览");
    let overview = book.worksheet_range("总览").unwrap();
    let rows: Vec<&[Data]> = overview.rows().collect();
    assert_eq!(rows.len(), 43, "a header and 42 figures");
    assert_eq!(rows[0][2], Data::String("指标".into()));
    let findings = rows
        .iter()
        .find(|r| r[1] == Data::String("findings".into()))
        .unwrap();
    assert_eq!(findings[3], Data::Float(3.0));
    let monitoring = book.worksheet_range("二、网络监测").unwrap();
    let behind = monitoring
        .rows()
        .filter(|r| r[0] == Data::String("findings".into()))
        .count();
    assert_eq!(behind, 3);

    let (status, headers, body) = bytes(
        &fx.router,
        req(format!("/reports/export?format=html&{PERIOD}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("href=\"#fig-findings\"") && html.contains("id=\"fig-findings\""));
    assert!(!html.contains("<script"));
}

#[tokio::test]
async fn bad_requests_are_refused_in_chinese() {
    let fx = fixture().await;
    for (uri, says) in [
        ("/reports?from=2017-06-05&to=2017-06-01", "早于起始日期"),
        ("/reports?from=yesterday", "参数 from 无效"),
        ("/reports?district=999999&from=2017-06-01", "行政区代码"),
        ("/reports/records?figure=nope", "统计项"),
        ("/reports/export?format=doc", "参数 format"),
    ] {
        let got = get(&fx.router, uri).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(got.body.contains(says), "{uri}: {}", got.body);
    }
    let got = get(&fx.router, "/reports?campaign=99").await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
}
