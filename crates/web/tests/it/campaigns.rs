//! Campaigns in the console: created from the form (refusals in Chinese, nothing written;
//! only who may plan campaigns), the campaign page's figures by district in the viewer's scope,
//! each a link to the records behind it, the JSON twin, and the schedule page.

use axum::http::StatusCode;
use domain::{CampaignId, Role};
use store::NewFetch;

use crate::{fixture, get, logged_in, post_form, Fixture};

async fn create(fx: &Fixture, form: &[(&str, &str)]) -> crate::Got {
    let mut all = vec![("csrf", fx.csrf.as_str())];
    all.extend_from_slice(form);
    post_form(&fx.router, "/campaigns", &all).await
}

/// A campaign over both fixture sites, with a sweep of it that fetched both.
async fn swept_campaign(fx: &Fixture) -> CampaignId {
    let (shop, casino) = (fx.shop.to_string(), fx.casino.to_string());
    let got = create(
        fx,
        &[
            ("name", "网络交易专项整治"),
            ("starts_on", "2017-01-01"),
            ("ends_on", "2030-12-31"),
            ("sites", &format!("{shop}, {casino}")),
            ("pack", "core"),
            ("schedule", "0 3 * * 1-5"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let id: i64 = got.headers["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/campaigns/")
        .parse()
        .unwrap();
    let id = CampaignId(id);
    let store = fx.state.store.as_ref();
    let sweep = store
        .create_campaign_sweep(&[fx.shop, fx.casino], id)
        .await
        .unwrap();
    for (site, host) in [(fx.shop, "shop.example"), (fx.casino, "casino.example")] {
        store
            .record_fetch(
                &NewFetch {
                    sweep_id: sweep,
                    site_id: site,
                    url: format!("http://{host}/"),
                    fetched_at: crate::at(100),
                    status: Some(200),
                    content_type: Some("text/html".into()),
                    bytes: 10,
                    payload_digest: None,
                    error: None,
                    evidence: None,
                    etag: None,
                    last_modified: None,
                    record_id: None,
                    revisit_of: None,
                },
                &[],
            )
            .await
            .unwrap();
    }
    store.finish_sweep(sweep).await.unwrap();
    id
}

#[tokio::test]
async fn a_campaign_is_created_from_the_form_and_bad_ones_are_refused() {
    let fx = fixture().await;
    let page = get(&fx.router, "/campaigns").await.ok().body;
    assert!(page.contains("新建专项行动"), "{page}");
    let base = [
        ("name", "房地产网络广告专项整治"),
        ("starts_on", "2017-03-01"),
        ("ends_on", "2017-05-31"),
    ];
    let refused = |extra: Vec<(&'static str, &'static str)>| {
        let mut form: Vec<(&str, &str)> = base.to_vec();
        form.extend(extra);
        form
    };
    for (form, says) in [
        (refused(vec![]), "请至少指定一项目标"),
        (refused(vec![("district", "450127")]), "没有匹配到任何网站"),
        (
            refused(vec![("kind", "trading_site"), ("schedule", "0 25 * * *")]),
            "小时字段的 25 超出 0–23",
        ),
        (
            refused(vec![("kind", "trading_site"), ("pack", "fangchan")]),
            "规则包“fangchan”不存在",
        ),
        (
            refused(vec![("category", "no.such")]),
            "违法类别“no.such”无效",
        ),
        (refused(vec![("sites", "99999")]), "网站 #99999 不存在"),
        (
            refused(vec![("kind", "trading_site"), ("keywords", "房源")]),
            "检索索引不可用",
        ),
    ] {
        let got = create(&fx, &form).await;
        assert_eq!(
            got.status,
            StatusCode::BAD_REQUEST,
            "{form:?}: {}",
            got.body
        );
        assert!(got.body.contains(says), "{form:?}: {}", got.body);
    }
    let mut late = base.to_vec();
    late[2] = ("ends_on", "2017-02-01");
    late.push(("kind", "trading_site"));
    let got = create(&fx, &late).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("早于开始日期"), "{}", got.body);
    assert!(fx.state.store.list_campaigns().await.unwrap().is_empty());

    // A district inspector may not plan campaigns (and sees no form).
    let (inspector, csrf) = logged_in(&fx.state, "qingxiu", Role::Inspector, &["450103"]).await;
    assert!(!get(&inspector, "/campaigns")
        .await
        .ok()
        .body
        .contains("新建专项行动"));
    let got = post_form(
        &inspector,
        "/campaigns",
        &[
            ("csrf", &csrf),
            ("name", "x"),
            ("starts_on", "2017-03-01"),
            ("ends_on", "2017-05-31"),
            ("kind", "trading_site"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert!(fx.state.store.list_campaigns().await.unwrap().is_empty());

    // A good one: trading sites of 青秀区, audited with the user.
    let mut good = base.to_vec();
    good.extend([("kind", "trading_site"), ("district", "450103")]);
    let got = create(&fx, &good).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let all = fx.state.store.list_campaigns().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].sites, 1);
    assert_eq!(
        fx.state.store.campaign_sites(all[0].id).await.unwrap(),
        vec![fx.shop]
    );
    let audit = fx
        .state
        .store
        .audit_of(&format!("campaign:{}", all[0].id))
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "user:supervisor");
    let list = get(&fx.router, "/campaigns").await.ok().body;
    assert!(list.contains("房地产网络广告专项整治"), "{list}");
}

#[tokio::test]
async fn the_campaign_page_counts_by_district_in_the_viewer_s_scope() {
    let fx = fixture().await;
    let id = swept_campaign(&fx).await;
    let page = get(&fx.router, &format!("/campaigns/{id}")).await.ok().body;
    assert!(page.contains("网络交易专项整治"), "{page}");
    assert!(
        page.contains("青秀区 450103") && page.contains("江南区 450105"),
        "{page}"
    );
    assert!(
        page.contains("网上检查网站") && page.contains("涉嫌违法网站"),
        "{page}"
    );
    // Each figure links to its records (askama escapes the `&`).
    let records =
        format!("/reports/records?figure=sites_checked&#38;campaign={id}&#38;district=450103");
    assert!(page.contains(&records), "{page}");
    // The records behind 青秀区's sites checked: the shop.
    let got = get(
        &fx.router,
        &format!("/reports/records?figure=sites_checked&campaign={id}&district=450103"),
    )
    .await
    .ok()
    .body;
    assert!(
        got.contains("shop.example") && !got.contains("casino.example"),
        "{got}"
    );
    assert!(got.contains(&format!("/sites/{}", fx.shop)), "{got}");
    assert!(got.contains("专项行动报告：网络交易专项整治"), "{got}");
    let bad = get(
        &fx.router,
        &format!("/reports/records?figure=nope&campaign={id}"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // Old links to a campaign's records land on the report's records page.
    let moved = get(
        &fx.router,
        &format!("/campaigns/{id}/records?figure=sites_checked"),
    )
    .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        moved.headers["location"],
        format!("/reports/records?campaign={id}&figure=sites_checked").as_str()
    );

    // The JSON twin, city-wide: two sites checked, both suspect.
    let api = get(&fx.router, &format!("/api/v1/campaigns/{id}"))
        .await
        .ok()
        .json();
    assert_eq!(api["total"]["sites_checked"], 2, "{api}");
    assert_eq!(api["total"]["suspect_sites"], 2, "{api}");
    assert_eq!(api["by_district"].as_array().unwrap().len(), 2, "{api}");
    assert_eq!(api["packs"][0], "core");
    let list = get(&fx.router, "/api/v1/campaigns").await.ok().json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.0);

    // 江南区's inspector sees the campaign with 江南区's figures only.
    let (jiangnan, _) = logged_in(&fx.state, "jiangnan", Role::Inspector, &["450105"]).await;
    let page = get(&jiangnan, &format!("/campaigns/{id}")).await.ok().body;
    assert!(
        page.contains("江南区 450105") && !page.contains("青秀区 450103"),
        "{page}"
    );
    let api = get(&jiangnan, &format!("/api/v1/campaigns/{id}"))
        .await
        .ok()
        .json();
    assert_eq!(api["total"]["sites_checked"], 1, "{api}");
    let got = get(
        &jiangnan,
        &format!("/reports/records?figure=sites_checked&campaign={id}"),
    )
    .await
    .ok()
    .body;
    assert!(
        got.contains("casino.example") && !got.contains("shop.example"),
        "{got}"
    );
    // No close form for them, and a close they build themselves is refused.
    assert!(!page.contains("结束专项行动"));
    let got = post_form(
        &jiangnan,
        &format!("/campaigns/{id}/close"),
        &[("csrf", "x")],
    )
    .await;
    assert!(
        matches!(got.status, StatusCode::FORBIDDEN),
        "{}",
        got.status
    );

    // The supervisor closes it.
    let got = post_form(
        &fx.router,
        &format!("/campaigns/{id}/close"),
        &[("csrf", &fx.csrf)],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let c = fx.state.store.campaign(id).await.unwrap().unwrap();
    assert_eq!(c.state, store::CampaignState::Closed);
    let again = post_form(
        &fx.router,
        &format!("/campaigns/{id}/close"),
        &[("csrf", &fx.csrf)],
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        get(&fx.router, "/campaigns/999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&fx.router, "/api/v1/campaigns/999").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_schedule_page_refreshes_itself_and_shows_the_running_sweep() {
    let fx = fixture().await;
    let store = fx.state.store.as_ref();
    let running = store.create_sweep(&[fx.shop, fx.casino]).await.unwrap();
    let page = get(&fx.router, "/schedule").await.ok().body;
    assert!(
        page.contains(r#"<meta http-equiv="refresh" content="10">"#),
        "{page}"
    );
    assert!(page.contains("计划任务"), "{page}");
    assert!(page.contains(&format!("#{running}")), "{page}");
    assert!(page.contains("0 / 2"), "{page}");
    let api = get(&fx.router, "/api/v1/schedule").await.ok().json();
    assert_eq!(api["enabled"], false);
    assert_eq!(api["running"]["sweep"], running.0);
    assert_eq!(api["running"]["sites_total"], 2);
    assert_eq!(api["running"]["sites_done"], 0);
    store.finish_sweep(running).await.unwrap();
    let page = get(&fx.router, "/schedule").await.ok().body;
    assert!(page.contains("当前没有正在运行的巡查"), "{page}");
}

#[tokio::test]
async fn the_schedule_page_lists_the_workers_of_a_sweep_done_by_workers() {
    let fx = fixture().await;
    let store = fx.state.store.as_ref();
    let running = store
        .create_workers_sweep(&[fx.shop, fx.casino])
        .await
        .unwrap();
    let page = get(&fx.router, "/schedule").await.ok().body;
    assert!(page.contains("工作进程"), "{page}");
    assert!(page.contains("五分钟内没有工作进程"), "{page}");
    store
        .worker_seen("node-7", "r1", Some(running), false)
        .await
        .unwrap();
    let leased = store
        .lease_hosts(running, "node-7", 1, chrono::Duration::seconds(600))
        .await
        .unwrap();
    assert_eq!(leased.len(), 1);
    let page = get(&fx.router, "/schedule").await.ok().body;
    assert!(
        page.contains("<code>node-7</code></td><td>1</td><td>工作中</td>"),
        "{page}"
    );
    let api = get(&fx.router, "/api/v1/schedule").await.ok().json();
    assert_eq!(api["running"]["by_workers"], true);
    assert_eq!(api["running"]["workers"][0]["name"], "node-7");
    assert_eq!(api["running"]["workers"][0]["hosts"], 1);
}
