//! The register in the console: the entity list, the profile with everything joined to the
//! entity (filings and their conflicts, permits, sites and their class, captures, findings,
//! history, the sections later features fill), its JSON twin, exports, search and the
//! discovered sites.

use crate::{assert_security_headers, fixture, get, Fixture};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::NaiveDate;
use store::{FilingInput, NewDiscovery, Scope, Sighting, SiteClass, SiteProgress};
use tower::ServiceExt;

/// The fixture plus a filing with a conflict, a food permit from the food department that has
/// expired, a class for the shop that disagrees with the register, and a discovered site.
pub(crate) async fn joined() -> (Fixture, i64) {
    let f = fixture().await;
    let store = f.state.store.clone();
    let e = store
        .list_entities(Scope::City, &store::EntityFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.input.name == "南宁最佳商贸有限公司")
        .unwrap();
    let filing = |source: &str, kind: &str, key: &str| FilingInput {
        source: source.into(),
        record_key: key.into(),
        kind: kind.into(),
        uscc: Some(e.input.uscc.clone()),
        domain: None,
        name: None,
        number: Some(key.into()),
        scope: None,
        valid_from: None,
        valid_until: None,
        status: None,
        address: None,
        fields: [("备注".to_string(), "抽查".to_string())].into(),
    };
    let mut icp = filing("telecom", "icp", "桂ICP备2017001234号-1");
    icp.name = Some("南宁最佳商行".into());
    icp.domain = Some("casino.example".into());
    let mut food = filing("food", "food_permit", "JY24501030012345");
    food.valid_until = NaiveDate::from_ymd_opt(2020, 1, 1);
    food.scope = Some("预包装食品销售".into());
    store.upsert_filings(&[icp, food]).await.unwrap();
    let mut changed = e.input.clone();
    changed.phone = Some("0771-5551234".into());
    store
        .upsert_entities(&[changed], "import entities 2017.csv")
        .await
        .unwrap();

    let sweep = store.create_sweep(&[f.shop]).await.unwrap();
    store
        .commit_progress(&SiteProgress {
            sweep,
            site: f.shop,
            fetches: vec![],
            frontier: store::FrontierUpdate::Keep,
            finish: Some((store::SiteSweepState::Done, None)),
            discoveries: vec![NewDiscovery {
                host: "hidden-shop.example".into(),
                path_prefix: String::new(),
                sighting: Sighting {
                    from_url: "http://shop.example/".into(),
                    anchor: "友情链接".into(),
                    hidden: false,
                    evidence: None,
                    ..Sighting::default()
                },
                source: store::DiscoverySource::Link,
                hops: 1,
                indicators: Vec::new(),
            }],
            classified: Some(SiteClass {
                kind: domain::SiteKind::NonTradingSite,
                reason: "no price or cart on 1 page".into(),
            }),
            shown: None,
        })
        .await
        .unwrap();
    (f, e.id.0)
}

#[tokio::test]
async fn the_profile_shows_everything_joined_to_the_entity() {
    let (f, id) = joined().await;
    let got = get(&f.router, &format!("/entities/{id}")).await.ok();
    assert_security_headers(&got.headers);
    let page = got.body;
    for expected in [
        "南宁最佳商贸有限公司",
        "shop.example",
        // the telecom filing, how it joined, its conflicts and its unmapped column
        "桂ICP备2017001234号-1",
        "按信用代码",
        "differs from the register",
        "casino.example is a registered site of 江南娱乐有限公司",
        "备注：抽查",
        // the food permit, expired
        "JY24501030012345",
        "预包装食品销售",
        "已过期",
        // the site's class and the disagreement with the register
        "非交易类网站",
        "与登记不一致",
        "no price or cart on 1 page",
        // captures and findings of its sites
        "http://shop.example/",
        "ad.absolute_term",
        // history
        "import entities 2017.csv",
        "0771-5551234",
        // what later features fill
        "线索与案件",
        "信用评价",
        "投诉举报",
    ] {
        assert!(page.contains(expected), "profile lacks {expected:?}");
    }

    // The JSON twin is the same value.
    let json = get(&f.router, &format!("/api/entities/{id}"))
        .await
        .ok()
        .json();
    assert_eq!(json["entity"]["input"]["name"], "南宁最佳商贸有限公司");
    assert_eq!(json["filings"].as_array().unwrap().len(), 2);
    let codes: Vec<&str> = json["filings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["conflicts"].as_array().unwrap())
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"expired") && codes.contains(&"name_differs"),
        "{codes:?}"
    );
    assert_eq!(json["sites"][0]["kind_disagrees"], true);
    assert_eq!(json["placeholders"].as_array().unwrap().len(), 2);
    assert!(json["credit"].is_null(), "not scored yet");

    assert_eq!(
        get(&f.router, "/entities/999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&f.router, "/entities/x").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_list_filters_and_exports() {
    let (f, _) = joined().await;
    let page = get(&f.router, "/entities?district=450105").await.ok().body;
    assert!(page.contains("江南娱乐有限公司"));
    assert!(!page.contains("南宁最佳商贸有限公司"));
    assert!(
        page.contains("/export/entities?district=450105&amp;format=xlsx")
            || page.contains("/export/entities?district=450105&#38;format=xlsx")
    );
    assert_eq!(
        get(&f.router, "/entities?status=closed").await.status,
        StatusCode::BAD_REQUEST
    );

    let csv = get(&f.router, "/export/entities?district=450103")
        .await
        .ok();
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with(".csv\""));
    let body = csv.body.trim_start_matches('\u{FEFF}');
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(lines[0].starts_with("uscc,name,former_names,kind"));
    assert!(lines[1].contains("南宁最佳商贸有限公司"));

    let res = f
        .router
        .clone()
        .oneshot(
            Request::get("/export/sites?format=xlsx")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    assert_eq!(
        get(&f.router, "/export/sites?format=pdf").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn search_and_discovered_sites() {
    let (f, id) = joined().await;
    // Without an index, search says so.
    let got = get(&f.router, "/api/search?q=最佳").await;
    assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE);

    let index = search::SearchIndex::in_memory().unwrap();
    let e = f
        .state
        .store
        .entity(Scope::City, domain::EntityId(id))
        .await
        .unwrap()
        .unwrap();
    let mut w = index.writer().unwrap();
    w.upsert_entity(&sweep::index::entity_doc(&e)).unwrap();
    w.commit("test").unwrap();
    let state = web::AppState {
        ops: web::OpsSettings::default(),
        badges: None,
        search: Some(index),
        ..f.state.clone()
    };
    let (router, _) = crate::logged_in(&state, "searcher", domain::Role::Supervisor, &[]).await;
    let hits = get(&router, "/api/search?q=最佳商贸").await.ok().json();
    assert_eq!(hits["entities"][0]["id"], id);
    assert_eq!(hits["entities"][0]["href"], format!("/entities/{id}"));
    assert_eq!(hits["entities"][0]["matched"], "name");
    assert_eq!(hits["entities"][0]["matched_label"], "名称");
    assert_eq!(
        hits["entities"][0]["name_html"],
        "南宁<mark>最佳商贸</mark>有限公司"
    );
    let page = get(&router, "/search?q=%3Cscript%3E").await.ok().body;
    assert!(!page.contains("<script>"));
    assert!(get(&router, "/search?q=最佳")
        .await
        .ok()
        .body
        .contains("南宁最佳商贸有限公司"));

    let page = get(&f.router, "/discovered").await.ok().body;
    assert!(page.contains("hidden-shop.example"));
    assert!(page.contains("友情链接"));
    assert!(page.contains("待确认"));
}

/// The discovery queue words every source, filters by source and imitation, shows each
/// source's precision, and runs discovery from department data through the console's door
/// (the bureau's job: an inspector is refused).
#[tokio::test]
async fn the_discovery_queue_shows_every_source_and_runs_from_the_console() {
    let (f, _) = joined().await;
    let store = f.state.store.clone();
    let shop = store
        .list_entities(Scope::City, &store::EntityFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.input.name == "南宁最佳商贸有限公司")
        .unwrap();
    let at = crate::at(0);
    store
        .record_discoveries(&[NewDiscovery {
            host: "shop-official.example".into(),
            path_prefix: String::new(),
            source: store::DiscoverySource::Ct,
            hops: 1,
            sighting: Sighting {
                certificate: Some(store::CertSighting {
                    log: "sim".into(),
                    index: 3,
                    fingerprint: "sha256:00ff".into(),
                    precert: true,
                    names: vec!["shop-official.example".into()],
                    organization: Some("深圳某公司".into()),
                    locality: Some("Shenzhen".into()),
                    issuer: "CN=Sim CA".into(),
                    not_before: at,
                    not_after: at,
                    logged_at: at,
                }),
                ..Sighting::default()
            },
            indicators: Vec::new(),
        }])
        .await
        .unwrap();
    sweep::discover::review(store.as_ref()).await.unwrap();
    // A telecom filing of the shop's operator for a domain the register does not list.
    store
        .upsert_filings(&[FilingInput {
            source: "telecom".into(),
            record_key: "桂ICP备2019000001号-1".into(),
            kind: "icp".into(),
            uscc: Some(shop.input.uscc.clone()),
            domain: Some("newshop.example".into()),
            name: Some("南宁最佳商贸有限公司".into()),
            number: Some("桂ICP备2019000001号-1".into()),
            scope: None,
            valid_from: None,
            valid_until: None,
            status: None,
            address: None,
            fields: Default::default(),
        }])
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let state = web::AppState {
        ops: web::OpsSettings::default(),
        capture: Some(web::CaptureSettings {
            sweep: sweep::SweepConfig {
                crawl: crawl::CrawlConfig::default(),
                evidence_dir: dir.path().join("warc"),
                warc_max_bytes: 1 << 20,
                software: "wangjian-test".into(),
                progress: false,
                badges: None,
                discovery: sweep::DiscoveryConfig::default(),
                render_probes: None,
                log: None,
            },
            browser: Err("no browser in this test".into()),
        }),
        ..f.state.clone()
    };
    let (inspector, csrf) =
        crate::logged_in(&state, "inspector", domain::Role::Inspector, &["450103"]).await;
    let refused =
        crate::post_form(&inspector, "/discovered/from-filings", &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let page = get(&inspector, "/discovered").await.ok().body;
    assert!(
        !page.contains("/discovered/from-filings"),
        "no button without the permission"
    );

    let (boss, csrf) = crate::logged_in(&state, "boss", domain::Role::Supervisor, &[]).await;
    let page = get(&boss, "/discovered").await.ok().body;
    assert!(page.contains("/discovered/from-filings"));
    assert!(
        !page.contains("/discovered/ct-poll"),
        "no CT log is configured"
    );
    let done = crate::post_form(&boss, "/discovered/from-filings", &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.headers["location"], "/discovered?source=filing");

    // The filing's domain no registered site covers, of an operator in the city (its ICP
    // number is Guangxi's): in the queue with the filing as evidence, proposed for the entity
    // whose USCC it names.
    let page = get(&boss, "/discovered?source=filing").await.ok().body;
    assert!(page.contains("newshop.example"), "{page}");
    assert!(
        page.contains("通信管理部门备案数据 桂ICP备2019000001号-1"),
        "{page}"
    );
    assert!(page.contains("备案号 桂ICP备2019000001号-1"), "{page}");
    assert!(page.contains("数据载明主体信用代码"), "{page}");
    assert!(page.contains(&format!("/entities/{}", shop.id)), "{page}");
    assert!(!page.contains("hidden-shop.example"));
    assert!(!page.contains("shop-official.example"));

    let page = get(&boss, "/discovered?source=ct").await.ok().body;
    assert!(
        page.contains("证书透明日志 sim 第 3 条（预证书）"),
        "{page}"
    );
    assert!(page.contains("疑似仿冒"), "{page}");
    assert!(
        page.contains("仿 shop.example（在其名称上添加 “-official”）"),
        "{page}"
    );
    assert!(!page.contains("newshop.example"));

    let page = get(&boss, "/discovered?imitations=1").await.ok().body;
    assert!(page.contains("shop-official.example"));
    assert!(!page.contains("hidden-shop.example") && !page.contains("newshop.example"));

    // Every source's counts and precision: one rejection makes the link source 0.0%.
    let hidden = store
        .list_discovered(Scope::City, &store::DiscoveryFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.host == "hidden-shop.example")
        .unwrap();
    store::reject_discovered(
        store.as_ref(),
        Scope::City,
        hidden.id,
        &store::Actor::system("t"),
    )
    .await
    .unwrap();
    let page = get(&boss, "/discovered").await.ok().body;
    for words in ["链接发现", "部门数据", "证书透明日志", "准确率", "0.0%"] {
        assert!(page.contains(words), "{words}: {page}");
    }
}
