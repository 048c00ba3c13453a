//! The HTML pages: each renders with the expected content and headers, filters narrow lists,
//! unknown ids and paths are 404 pages.

use axum::http::StatusCode;

use crate::{assert_security_headers, fixture, get};

#[tokio::test]
async fn dashboard_shows_totals_matrix_and_sweeps() {
    let fx = fixture().await;
    let got = get(&fx.router, "/").await.ok();
    assert_security_headers(&got.headers);
    assert!(got.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let b = &got.body;
    assert!(b.contains("监测总览"));
    // Every category is a row, with its Chinese title and code.
    for &c in domain::Category::ALL {
        assert!(b.contains(c.title()), "{c}");
        assert!(b.contains(c.code()), "{c}");
    }
    // Districts in force are columns, by name; the repealed 武鸣县 is not.
    assert!(b.contains("青秀区") && b.contains("江南区") && b.contains("横州市"));
    assert!(!b.contains("武鸣县"));
    // Counts link to the filtered findings list (askama writes `&` as `&#38;`).
    assert!(
        b.contains("/findings?category=ad.absolute_term&#38;district=450103"),
        "{b}"
    );
    assert!(b.contains("/findings?category=content.gambling&#38;district=450105"));
    assert!(b.contains("/findings?district=450103"));
    // The finished sweep.
    assert!(b.contains("已完成"));
}

#[tokio::test]
async fn sites_list_and_filters() {
    let fx = fixture().await;
    let all = get(&fx.router, "/sites").await.ok();
    assert_security_headers(&all.headers);
    assert!(all.body.contains("shop.example") && all.body.contains("casino.example"));
    assert!(all.body.contains("南宁最佳商贸有限公司"));
    assert!(all.body.contains("自建交易网站") && all.body.contains("trading_site"));
    assert!(all.body.contains(&format!("/sites/{}", fx.shop)));

    let jiangnan = get(&fx.router, "/sites?district=450105").await.ok();
    assert!(jiangnan.body.contains("casino.example"));
    assert!(!jiangnan.body.contains("shop.example"));

    let trading = get(&fx.router, "/sites?kind=trading_site&registered=yes")
        .await
        .ok();
    assert!(trading.body.contains("shop.example"));
    assert!(!trading.body.contains("casino.example"));

    let discovered = get(&fx.router, "/sites?registered=no").await.ok();
    assert!(discovered.body.contains("没有符合条件的网站"));

    // Empty values from the form mean "all".
    let blank = get(&fx.router, "/sites?district=&kind=&registered=")
        .await
        .ok();
    assert!(blank.body.contains("shop.example") && blank.body.contains("casino.example"));

    let bad = get(&fx.router, "/sites?kind=warehouse").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_security_headers(&bad.headers);
}

#[tokio::test]
async fn site_page_shows_facts_fetches_and_findings() {
    let fx = fixture().await;
    let shop = get(&fx.router, &format!("/sites/{}", fx.shop)).await.ok();
    let b = &shop.body;
    assert!(b.contains("南宁最佳商贸有限公司"));
    assert!(b.contains("青秀区 450103"));
    assert!(b.contains("http://shop.example/"));
    assert!(b.contains("全网最佳，假一赔十"));
    assert!(b.contains("首页未见营业执照信息"));
    assert!(b.contains(&format!("/evidence/{}", fx.fetch)));

    let casino = get(&fx.router, &format!("/sites/{}", fx.casino)).await.ok();
    assert!(casino.body.contains("connection refused"));
    assert!(casino.body.contains("真人荷官"));
    // The failed fetch has no evidence link.
    assert!(!casino
        .body
        .contains(&format!("/evidence/{}\"", fx.failed_fetch)));
}

#[tokio::test]
async fn findings_list_filters_narrow() {
    let fx = fixture().await;
    let all = get(&fx.router, "/findings").await.ok();
    assert_security_headers(&all.headers);
    for excerpt in ["全网最佳，假一赔十", "真人荷官", "首页未见营业执照信息"]
    {
        assert!(all.body.contains(excerpt), "{excerpt}");
    }
    assert!(all.body.contains("共 3 条"));
    assert!(all.body.contains("广告使用绝对化用语") && all.body.contains("ad.absolute_term"));

    let by_category = get(&fx.router, "/findings?category=ad.absolute_term")
        .await
        .ok();
    assert!(by_category.body.contains("全网最佳"));
    assert!(!by_category.body.contains("真人荷官"));
    assert!(!by_category.body.contains("首页未见营业执照信息"));
    assert!(by_category.body.contains("共 1 条"));
    // The form keeps the choice.
    assert!(by_category
        .body
        .contains("value=\"ad.absolute_term\" selected"));

    let by_district = get(&fx.router, "/findings?district=450105").await.ok();
    assert!(by_district.body.contains("真人荷官"));
    assert!(!by_district.body.contains("全网最佳"));

    let critical = get(&fx.router, "/findings?severity=critical").await.ok();
    assert!(critical.body.contains("真人荷官"));
    assert!(!critical.body.contains("全网最佳") && !critical.body.contains("首页未见营业执照信息"));
    let medium_qingxiu = get(&fx.router, "/findings?severity=medium&district=450103")
        .await
        .ok();
    assert!(medium_qingxiu.body.contains("全网最佳"));
    assert!(medium_qingxiu.body.contains("首页未见营业执照信息"));
    assert!(!medium_qingxiu.body.contains("真人荷官"));

    let by_site = get(&fx.router, &format!("/findings?site={}", fx.casino))
        .await
        .ok();
    assert!(by_site.body.contains("真人荷官") && !by_site.body.contains("全网最佳"));

    let none = get(&fx.router, "/findings?category=goods.prohibited")
        .await
        .ok();
    assert!(none.body.contains("没有符合条件的发现"));
}

#[tokio::test]
async fn bad_filters_are_400_pages_with_escaped_input() {
    let fx = fixture().await;
    let got = get(&fx.router, "/findings?category=%3Cscript%3Ex").await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("category"));
    assert!(!got.body.contains("<script>"));
    assert!(got.body.contains(crate::ESCAPED_SCRIPT));
    let page = get(&fx.router, "/findings?page=0").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_ids_and_paths_are_404() {
    let fx = fixture().await;
    for uri in [
        "/sites/999999",
        "/sites/abc",
        "/sites/-1",
        "/evidence/999999",
        "/nowhere",
    ] {
        let got = get(&fx.router, uri).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{uri}");
        assert_security_headers(&got.headers);
        assert!(
            got.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{uri}"
        );
        assert!(got.body.contains("未找到"), "{uri}");
    }
}

#[tokio::test]
async fn stylesheet_is_served() {
    let fx = fixture().await;
    let got = get(&fx.router, "/static/style.css").await.ok();
    assert!(got.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert_security_headers(&got.headers);
    assert!(got.body.contains("pre.capture"));
}

#[tokio::test]
async fn site_page_shows_change_history_across_sweeps() {
    let fx = fixture().await;
    let store = fx.state.store.clone();
    let first = store
        .site_fetches(store::Scope::City, fx.shop, 0)
        .await
        .unwrap()
        .remove(0)
        .fetch;
    let second = store.create_sweep(&[fx.shop]).await.unwrap();
    let hostile = "http://shop.example/<script>alert(1)</script>";
    let refetch = |url: &str, status: i32, digest: &str| store::NewFetch {
        sweep_id: second,
        url: url.to_string(),
        status: Some(status),
        payload_digest: Some(digest.to_string()),
        ..first.clone()
    };
    for f in [
        store::NewFetch {
            etag: Some("\"v1\"".into()),
            ..refetch(&first.url, 304, first.payload_digest.as_deref().unwrap())
        },
        refetch(hostile, 200, "sha256:01"),
    ] {
        store.record_fetch(&f, &[]).await.unwrap();
    }
    store.finish_sweep(second).await.unwrap();
    let third = store.create_sweep(&[fx.shop]).await.unwrap();
    store
        .record_fetch(
            &store::NewFetch {
                sweep_id: third,
                ..refetch(hostile, 200, "sha256:02")
            },
            &[],
        )
        .await
        .unwrap();
    store
        .record_fetch(
            &store::NewFetch {
                sweep_id: third,
                ..refetch(&first.url, 200, first.payload_digest.as_deref().unwrap())
            },
            &[],
        )
        .await
        .unwrap();

    let got = get(&fx.router, &format!("/sites/{}", fx.shop)).await.ok();
    let b = &got.body;
    assert!(b.contains("变更记录"), "{b}");
    for label in [
        "新页面 <code>new</code>",
        "未修改（304） <code>not_modified</code>",
        "<span class=\"tag warn\">已变更</span> <code>changed</code>",
        "未变更 <code>unchanged</code>",
    ] {
        assert!(b.contains(label), "{label}: {b}");
    }
    assert!(b.contains(&format!("#{}", third.0)));
    // The URL a site chose is shown escaped, never as markup.
    assert!(!b.contains("<script>alert(1)"));
    assert!(b.contains(crate::ESCAPED_SCRIPT));

    // A failed fetch is labelled as such and has no evidence link.
    let casino = get(&fx.router, &format!("/sites/{}", fx.casino)).await.ok();
    assert!(
        casino
            .body
            .contains("<span class=\"tag warn\">抓取失败</span> <code>failed</code>"),
        "{}",
        casino.body
    );
}

/// A suppressed finding (#17) is out of the default list, in the 已抑制 filter's, shows its
/// reason in Chinese on its own page, cannot be selected for a clue and counts on the rules
/// page apart.
#[tokio::test]
async fn suppressed_findings_are_listed_apart_and_marked() {
    let fx = fixture().await;
    let store = fx.state.store.as_ref();
    let held = store::NewFinding {
        sweep_id: domain::SweepId(1),
        site_id: fx.shop,
        fetch_id: None,
        url: "http://shop.example/notice".into(),
        category: domain::Category::AdAbsoluteTerm,
        rule_id: "ad.absolute_term.r1".into(),
        rule_pack: "core-2017".into(),
        severity: domain::Severity::Medium,
        excerpt: "依据广告法，不得使用“国家级”等用语".into(),
        location: "text".into(),
        evidence: None,
        found_at: chrono::Utc::now(),
        suppressed: Some(domain::Suppression::new(
            domain::SuppressionReason::Genre,
            "government",
        )),
    };
    store.record_findings(&[held]).await.unwrap();

    let default = get(&fx.router, "/findings").await.ok();
    assert!(!default.body.contains("不得使用"), "{}", default.body);
    assert!(default.body.contains("已抑制"), "the filter is offered");
    let listed = get(&fx.router, "/findings?suppressed=yes").await.ok();
    assert!(listed.body.contains("不得使用"), "{}", listed.body);
    assert!(
        listed.body.contains("页面类型：政府网站"),
        "{}",
        listed.body
    );
    assert!(
        !listed.body.contains("全网最佳"),
        "live findings are not in it"
    );
    assert_eq!(
        get(&fx.router, "/findings?suppressed=maybe").await.status,
        StatusCode::BAD_REQUEST
    );
    let id = store
        .list_findings(
            store::Scope::City,
            &store::FindingFilter {
                suppressed: true,
                ..store::FindingFilter::default()
            },
        )
        .await
        .unwrap()[0]
        .id;
    let page = get(&fx.router, &format!("/findings/{id}")).await.ok();
    assert!(page.body.contains("已抑制"), "{}", page.body);
    assert!(page.body.contains("页面类型：政府网站"), "{}", page.body);
    assert!(
        !listed
            .body
            .contains(&format!("name=\"finding\" value=\"{id}\"")),
        "not selectable for a clue"
    );
    let rules = get(&fx.router, "/rules").await.ok();
    assert!(rules.body.contains("已抑制"), "{}", rules.body);
}
