//! The `Store` contract: register upserts and site sync, URL matching, sweeps, fetches,
//! findings, scopes and dashboard counts.

use crate::{at, district, entity, uscc, TestStore, T0};
use ::store::*;
use domain::{Category, FetchId, FindingId, Severity, SiteId, SiteKind, SweepId};

pub(crate) async fn site_of(store: &dyn Store, host: &str, path: &str) -> Site {
    store
        .site_for_url(Scope::City, host, path)
        .await
        .unwrap()
        .expect(host)
}

fn addresses(sites: &[Site]) -> Vec<String> {
    sites
        .iter()
        .map(|s| format!("{}{}", s.host, s.path_prefix))
        .collect()
}

/// Four entities in three districts: a trading site (青秀 450103), a platform (兴宁 450102),
/// a shop on it (江南 450105), and another trading site (西乡塘 450107).
pub(crate) async fn register(store: &dyn Store) {
    let got = store
        .upsert_entities(
            &[
                entity(
                    "MA5K0001",
                    "甲商行",
                    SiteKind::TradingSite,
                    "450103",
                    &["a.test"],
                ),
                entity(
                    "MA5K0002",
                    "外卖平台",
                    SiteKind::Platform,
                    "450102",
                    &["waimai.test"],
                ),
                entity(
                    "MA5K0003",
                    "某某小吃店",
                    SiteKind::PlatformShop,
                    "450105",
                    &["waimai.test/shop/8812"],
                ),
                entity(
                    "MA5K0004",
                    "乙商城",
                    SiteKind::TradingSite,
                    "450107",
                    &["b.test"],
                ),
            ],
            "test",
        )
        .await
        .unwrap();
    assert_eq!(got, vec![Upsert::Created; 4]);
}

async fn upsert_created_updated_unchanged_and_sites_sync(store: TestStore) {
    let store = store.as_ref();
    let mut a = entity(
        "MA5K0001",
        "甲商行",
        SiteKind::TradingSite,
        "450103",
        &["a.test", "shop.a.test"],
    );
    a.extra.insert("tax_status".into(), "normal".into());
    let b = entity("MA5K0002", "乙", SiteKind::NonTradingSite, "450105", &[]);
    assert_eq!(
        store
            .upsert_entities(&[a.clone(), b.clone()], "test")
            .await
            .unwrap(),
        [Upsert::Created, Upsert::Created]
    );
    let stored = store
        .entity_by_uscc(Scope::City, &a.uscc)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.input, a);
    assert_eq!(stored.created_at, stored.updated_at);
    assert!(stored.created_at >= at(T0));

    // Same data again: nothing written, not even updated_at.
    assert_eq!(
        store
            .upsert_entities(&[a.clone(), b.clone()], "test")
            .await
            .unwrap(),
        [Upsert::Unchanged, Upsert::Unchanged]
    );
    let again = store
        .entity_by_uscc(Scope::City, &a.uscc)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, stored);

    // A changed name and domain list: updated, sites follow.
    let mut a2 = a.clone();
    a2.name = "甲商行（新）".into();
    a2.domains = vec!["a.test".into(), "a2.test".into()];
    assert_eq!(
        store
            .upsert_entities(&[a2.clone(), b], "test")
            .await
            .unwrap(),
        [Upsert::Updated, Upsert::Unchanged]
    );
    let updated = store
        .entity_by_uscc(Scope::City, &a.uscc)
        .await
        .unwrap()
        .unwrap();
    // The old name is kept as a former name; the rest is the import's.
    assert_eq!(updated.input.former_names, ["甲商行"]);
    assert_eq!(
        EntityInput {
            former_names: vec![],
            ..updated.input.clone()
        },
        a2
    );
    assert_eq!(updated.created_at, stored.created_at);
    // Re-importing the file (which lists no former names) changes nothing.
    assert_eq!(
        store.upsert_entities(&[a2.clone()], "test").await.unwrap(),
        [Upsert::Unchanged]
    );
    // Every change is in the history, with its source.
    let history = store.entity_history(Scope::City, updated.id).await.unwrap();
    let fields: Vec<(&str, Option<&str>, Option<&str>)> = history
        .iter()
        .map(|h| {
            (
                h.field.as_str(),
                h.old_value.as_deref(),
                h.new_value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("created", None, Some("甲商行")),
            ("name", Some("甲商行"), Some("甲商行（新）")),
            ("former_names", None, Some("甲商行")),
            (
                "domains",
                Some("a.test;shop.a.test"),
                Some("a.test;a2.test")
            ),
        ]
    );
    assert!(history.iter().all(|h| h.source == "test"));
    // The same change found by name: the new name and the former one.
    for name in ["甲商行（新）", "甲商行"] {
        let found = store.entities_by_name(Scope::City, name).await.unwrap();
        assert_eq!(found.len(), 1, "{name}");
        assert_eq!(found[0].id, updated.id);
    }
    assert!(updated.updated_at > stored.updated_at);
    assert_eq!(store.count_entities(Scope::City).await.unwrap(), 2);

    let registered = store
        .list_sites(
            Scope::City,
            &SiteFilter {
                registered: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(addresses(&registered), ["a.test", "a2.test"]);
    assert!(registered.iter().all(|s| s.entity_id == Some(updated.id)));
    assert_eq!(registered[0].entity_name.as_deref(), Some("甲商行（新）"));
    assert_eq!(registered[0].district, Some(district("450103")));
    assert_eq!(registered[0].kind, SiteKind::TradingSite);
    assert_eq!(registered[0].start_url(), "http://a.test/");

    // The dropped domain is kept (its history refers to it) but no longer registered.
    let dropped = store
        .list_sites(
            Scope::City,
            &SiteFilter {
                registered: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(addresses(&dropped), ["shop.a.test"]);
    assert_eq!(dropped[0].district, None);
    // ... and a district bureau does not see it.
    let qingxiu = store
        .list_sites(Scope::district(district("450103")), &SiteFilter::default())
        .await
        .unwrap();
    assert_eq!(addresses(&qingxiu), ["a.test", "a2.test"]);
    assert!(store
        .entity_by_uscc(Scope::City, &uscc("MA5K0009"))
        .await
        .unwrap()
        .is_none());
}

async fn site_for_url_prefers_the_shop_prefix(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let shop = site_of(store, "waimai.test", "/shop/8812/menu").await;
    assert_eq!(shop.path_prefix, "/shop/8812");
    assert_eq!(shop.kind, SiteKind::PlatformShop);
    assert_eq!(shop.district, Some(district("450105")));
    assert_eq!(shop.start_url(), "http://waimai.test/shop/8812/");
    assert_eq!(
        site_of(store, "WAIMAI.test", "/shop/8812").await.id,
        shop.id
    );
    // Segment-wise: another shop's longer number is the platform's page.
    let platform = site_of(store, "waimai.test", "/shop/88120").await;
    assert_eq!(platform.path_prefix, "");
    assert_eq!(platform.kind, SiteKind::Platform);
    assert_eq!(site_of(store, "waimai.test", "/").await.id, platform.id);
    // A bare domain and its `www.` name are one site.
    assert_eq!(
        site_of(store, "www.waimai.test", "/shop/8812/").await.id,
        shop.id
    );
    assert!(store
        .site_for_url(Scope::City, "unknown.test", "/")
        .await
        .unwrap()
        .is_none());
}

async fn sweep_lifecycle(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    assert!(store.unfinished_sweep().await.unwrap().is_none());
    let a = site_of(store, "a.test", "/").await;
    let b = site_of(store, "b.test", "/").await;
    let sweep = store.create_sweep(&[a.id, b.id]).await.unwrap();

    let running = store.unfinished_sweep().await.unwrap().unwrap();
    assert_eq!(running.id, sweep);
    assert_eq!(running.state, SweepState::Running);
    assert_eq!(running.sites, 2);
    assert_eq!(running.finished_at, None);
    assert_eq!(
        addresses(&store.pending_sites(Scope::City, sweep).await.unwrap()),
        ["a.test", "b.test"]
    );

    store
        .record_fetch(
            &fetch(sweep, a.id, "http://a.test/", Some(200)),
            &[finding(sweep, a.id, "ad.absolute_term", "最好")],
        )
        .await
        .unwrap();
    store
        .record_fetch(&fetch(sweep, a.id, "http://a.test/x", None), &[])
        .await
        .unwrap();
    assert_eq!(
        store.fetched_urls(Scope::City, sweep, a.id).await.unwrap(),
        ["http://a.test/", "http://a.test/x"]
    );
    store
        .finish_site(sweep, a.id, SiteSweepState::Done, None)
        .await
        .unwrap();
    assert_eq!(
        addresses(&store.pending_sites(Scope::City, sweep).await.unwrap()),
        ["b.test"]
    );
    store
        .finish_site(
            sweep,
            b.id,
            SiteSweepState::Unreachable,
            Some("connection refused"),
        )
        .await
        .unwrap();
    assert!(store
        .pending_sites(Scope::City, sweep)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store
            .finish_site(SweepId(999), b.id, SiteSweepState::Done, None)
            .await,
        Err(StoreError::NotFound(_))
    ));

    let live = store.sweep(sweep).await.unwrap().unwrap();
    assert_eq!((live.sites, live.pages, live.findings), (2, 1, 1));
    let done = store.finish_sweep(sweep).await.unwrap();
    assert_eq!(done.state, SweepState::Finished);
    assert_eq!((done.sites, done.pages, done.findings), (2, 1, 1));
    assert!(done.finished_at.unwrap() > done.started_at);
    assert!(store.unfinished_sweep().await.unwrap().is_none());
    assert_eq!(store.sweep(sweep).await.unwrap().unwrap(), done);

    let second = store.create_sweep(&[b.id]).await.unwrap();
    let listed = store.list_sweeps(10).await.unwrap();
    assert_eq!(
        listed.iter().map(|s| s.id).collect::<Vec<_>>(),
        [second, sweep]
    );
    assert_eq!(store.list_sweeps(1).await.unwrap().len(), 1);
    assert_eq!(store.unfinished_sweep().await.unwrap().unwrap().id, second);
    assert!(matches!(
        store.finish_sweep(SweepId(999)).await,
        Err(StoreError::NotFound(_))
    ));
}

pub(crate) fn fetch(sweep: SweepId, site: SiteId, url: &str, status: Option<i32>) -> NewFetch {
    NewFetch {
        sweep_id: sweep,
        site_id: site,
        url: url.to_string(),
        fetched_at: at(T0 + 100),
        status,
        content_type: status.map(|_| "text/html; charset=utf-8".to_string()),
        bytes: 1234,
        payload_digest: status.map(|_| "sha256:00ff".to_string()),
        error: status.is_none().then(|| "timeout".to_string()),
        evidence: Some(EvidencePointer {
            warc_file: "sweep-1.warc.gz".into(),
            offset: 4096,
            digest: "sha1:ABCDEF".into(),
        }),
        etag: None,
        last_modified: None,
        record_id: None,
        revisit_of: None,
    }
}

pub(crate) fn finding(sweep: SweepId, site: SiteId, category: &str, excerpt: &str) -> NewFinding {
    let category: Category = category.parse().unwrap();
    NewFinding {
        sweep_id: sweep,
        site_id: site,
        fetch_id: None,
        url: "http://x.test/".into(),
        category,
        rule_id: format!("{}.1", category.code()),
        rule_pack: "core@1".into(),
        severity: category.severity(),
        excerpt: excerpt.to_string(),
        location: "text".into(),
        evidence: Some(EvidencePointer {
            warc_file: "sweep-1.warc.gz".into(),
            offset: 4096,
            digest: "sha1:ABCDEF".into(),
        }),
        found_at: at(T0 + 101),
        suppressed: None,
    }
}

async fn record_fetch_stores_findings_once(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let sweep = store.create_sweep(&[a.id]).await.unwrap();
    let new = fetch(sweep, a.id, "http://a.test/", Some(200));
    let findings = [
        finding(sweep, a.id, "ad.absolute_term", "全网最低价"),
        finding(sweep, a.id, "ad.medical_claim", "包治百病"),
    ];
    let id = store.record_fetch(&new, &findings).await.unwrap();
    let stored = store.fetch(Scope::City, id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        Fetch {
            id,
            fetch: new.clone()
        }
    );
    assert!(store
        .fetch(Scope::district(district("450107")), id)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .fetch(Scope::City, FetchId(999))
        .await
        .unwrap()
        .is_none());

    let listed = store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|f| f.finding.fetch_id == Some(id)));
    let medical = listed
        .iter()
        .find(|f| f.finding.excerpt == "包治百病")
        .unwrap();
    let mut expect = findings[1].clone();
    expect.fetch_id = Some(id);
    assert_eq!(medical.finding, expect);
    assert_eq!(medical.host, "a.test");
    assert_eq!(medical.district, Some(district("450103")));

    // The same page again, next sweep: the fetch is stored, the findings are not.
    let sweep2 = store.create_sweep(&[a.id]).await.unwrap();
    let mut again = findings.clone();
    for f in &mut again {
        f.sweep_id = sweep2;
    }
    let id2 = store
        .record_fetch(&fetch(sweep2, a.id, "http://a.test/", Some(200)), &again)
        .await
        .unwrap();
    assert_ne!(id, id2);
    assert_eq!(
        store
            .count_findings(Scope::City, &FindingFilter::default())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .site_fetches(Scope::City, a.id, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store.site_fetches(Scope::City, a.id, 1).await.unwrap()[0].id,
        id2
    );
    assert!(store
        .site_fetches(Scope::district(district("450105")), a.id, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.finish_sweep(sweep2).await.unwrap().findings, 0);

    // Register findings without a fetch follow the same rule.
    let register_check = finding(sweep2, a.id, "license.unregistered", "no register match");
    assert_eq!(
        store
            .record_findings(std::slice::from_ref(&register_check))
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.record_findings(&[register_check]).await.unwrap(), 0);
    let f = store
        .list_findings(
            Scope::City,
            &FindingFilter {
                category: Some(Category::LicenseUnregistered),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].finding.fetch_id, None);
}

/// Findings on a.test (450103), the shop (450105), b.test (450107) and an unregistered site.
pub(crate) async fn findings_fixture(store: &dyn Store) -> SweepId {
    register(store).await;
    // A discovered site: an entity's dropped domain stays as an unregistered site.
    store
        .upsert_entities(
            &[entity(
                "MA5K0005",
                "丙",
                SiteKind::TradingSite,
                "450103",
                &["c.test"],
            )],
            "test",
        )
        .await
        .unwrap();
    store
        .upsert_entities(
            &[entity(
                "MA5K0005",
                "丙",
                SiteKind::TradingSite,
                "450103",
                &[],
            )],
            "test",
        )
        .await
        .unwrap();
    let a = site_of(store, "a.test", "/").await.id;
    let shop = site_of(store, "waimai.test", "/shop/8812").await.id;
    let b = site_of(store, "b.test", "/").await.id;
    let c = site_of(store, "c.test", "/").await.id;
    let sweep = store.create_sweep(&[a, shop, b, c]).await.unwrap();
    store
        .record_findings(&[
            finding(sweep, a, "ad.absolute_term", "最好"),
            finding(sweep, a, "ad.absolute_term", "第一"),
            finding(sweep, a, "content.gambling", "百家乐"),
            finding(sweep, shop, "food.permit_not_displayed", "no JY"),
            finding(sweep, b, "ad.absolute_term", "顶级"),
            finding(sweep, c, "site.hijacked", "跳转"),
        ])
        .await
        .unwrap();
    sweep
}

async fn list_findings_filters_and_scope(store: TestStore) {
    let store = store.as_ref();
    findings_fixture(store).await;
    let excerpts = |v: Vec<Finding>| {
        let mut e: Vec<String> = v.into_iter().map(|f| f.finding.excerpt).collect();
        e.sort();
        e
    };
    let all = store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");

    let absolute = FindingFilter {
        category: Some(Category::AdAbsoluteTerm),
        ..Default::default()
    };
    assert_eq!(
        excerpts(store.list_findings(Scope::City, &absolute).await.unwrap()),
        ["最好", "第一", "顶级"]
    );
    assert_eq!(
        store.count_findings(Scope::City, &absolute).await.unwrap(),
        3
    );

    let qingxiu = Scope::district(district("450103"));
    assert_eq!(
        excerpts(
            store
                .list_findings(qingxiu.clone(), &absolute)
                .await
                .unwrap()
        ),
        ["最好", "第一"]
    );
    assert_eq!(
        excerpts(
            store
                .list_findings(qingxiu.clone(), &FindingFilter::default())
                .await
                .unwrap()
        ),
        ["最好", "百家乐", "第一"]
    );

    let by_district = FindingFilter {
        district: Some(district("450107")),
        ..Default::default()
    };
    assert_eq!(
        excerpts(
            store
                .list_findings(Scope::City, &by_district)
                .await
                .unwrap()
        ),
        ["顶级"]
    );
    // A district filter cannot widen a district scope.
    assert!(store
        .list_findings(qingxiu.clone(), &by_district)
        .await
        .unwrap()
        .is_empty());

    let critical = FindingFilter {
        severity: Some(Severity::Critical),
        ..Default::default()
    };
    assert_eq!(
        excerpts(store.list_findings(Scope::City, &critical).await.unwrap()),
        ["百家乐", "跳转"]
    );
    // The unregistered site's finding is city-only.
    assert_eq!(
        excerpts(
            store
                .list_findings(qingxiu.clone(), &critical)
                .await
                .unwrap()
        ),
        ["百家乐"]
    );

    let page = FindingFilter {
        limit: 2,
        offset: 1,
        ..Default::default()
    };
    let paged = store.list_findings(Scope::City, &page).await.unwrap();
    assert_eq!(
        paged.iter().map(|f| f.id).collect::<Vec<_>>(),
        [all[1].id, all[2].id]
    );
    let only_offset = FindingFilter {
        offset: 5,
        ..Default::default()
    };
    assert_eq!(
        store
            .list_findings(Scope::City, &only_offset)
            .await
            .unwrap()
            .len(),
        1
    );

    let site = site_of(store, "waimai.test", "/shop/8812/").await;
    let by_site = FindingFilter {
        site_id: Some(site.id),
        ..Default::default()
    };
    let shop_findings = store.list_findings(Scope::City, &by_site).await.unwrap();
    assert_eq!(excerpts(shop_findings.clone()), ["no JY"]);
    assert_eq!(shop_findings[0].host, "waimai.test");

    // Site reads are scoped as well.
    assert!(store
        .site(qingxiu.clone(), site.id)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.site(Scope::City, site.id).await.unwrap().unwrap(),
        site
    );
}

async fn dashboard_counts_and_totals(store: TestStore) {
    let store = store.as_ref();
    findings_fixture(store).await;
    let cell = |c: &CategoryCount| {
        (
            c.category.code(),
            c.district.map(|d| d.to_string()),
            c.count,
        )
    };
    let counts: Vec<_> = store
        .finding_counts(Scope::City)
        .await
        .unwrap()
        .iter()
        .map(cell)
        .collect();
    let s = |x: &str| Some(x.to_string());
    let mut expect = vec![
        ("ad.absolute_term", s("450103"), 2),
        ("ad.absolute_term", s("450107"), 1),
        ("content.gambling", s("450103"), 1),
        ("food.permit_not_displayed", s("450105"), 1),
        ("site.hijacked", None, 1),
    ];
    // Taxonomy order, as `Category::ALL` lists it.
    expect.sort_by_key(|(code, d, _)| (code.parse::<Category>().unwrap(), d.clone()));
    assert_eq!(counts, expect);
    let qingxiu = Scope::district(district("450103"));
    let counts: Vec<_> = store
        .finding_counts(qingxiu.clone())
        .await
        .unwrap()
        .iter()
        .map(cell)
        .collect();
    assert_eq!(
        counts,
        [
            ("ad.absolute_term", s("450103"), 2),
            ("content.gambling", s("450103"), 1)
        ]
    );

    let city = store.totals(Scope::City).await.unwrap();
    assert_eq!(
        city,
        Totals {
            entities: 5,
            sites: 5,
            fetches: 0,
            findings: 6,
            sweeps: 1
        }
    );
    let district_totals = store.totals(qingxiu.clone()).await.unwrap();
    assert_eq!(
        district_totals,
        Totals {
            entities: 2,
            sites: 1,
            fetches: 0,
            findings: 3,
            sweeps: 1
        }
    );

    let kinds = store
        .list_sites(
            Scope::City,
            &SiteFilter {
                kind: Some(SiteKind::Platform),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(addresses(&kinds), ["waimai.test"]);
    let by_district = store
        .list_sites(
            Scope::City,
            &SiteFilter {
                district: Some(district("450105")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(addresses(&by_district), ["waimai.test/shop/8812"]);
    let page = store
        .list_sites(
            Scope::City,
            &SiteFilter {
                limit: 2,
                offset: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(addresses(&page), ["b.test", "c.test"]);
}

async fn file_database_persists_and_migrates_once(test: TestStore) {
    let e = || {
        entity(
            "MA5K0001",
            "甲",
            SiteKind::TradingSite,
            "450103",
            &["a.test"],
        )
    };
    test.upsert_entities(&[e()], "test").await.unwrap();
    // Opened again, as by a restarted process: the data is there, migrations run once.
    let s = test.open().await.unwrap();
    assert_eq!(s.count_entities(Scope::City).await.unwrap(), 1);
    assert_eq!(
        s.upsert_entities(&[e()], "test").await.unwrap(),
        [Upsert::Unchanged]
    );
}

async fn concurrent_writers_wait_for_each_other(test: TestStore) {
    let store = test.shared();
    register(store.as_ref()).await;
    let a = site_of(store.as_ref(), "a.test", "/").await;
    let sweep = store.create_sweep(&[a.id]).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let url = format!("http://a.test/{t}/{i}");
                let f = finding(sweep, a.id, "ad.absolute_term", &url);
                store
                    .record_fetch(&fetch(sweep, a.id, &url, Some(200)), &[f])
                    .await
                    .unwrap();
                let body = format!("MB{t:02}{i:02}00");
                store
                    .upsert_entities(
                        &[entity(&body, "x", SiteKind::TradingSite, "450103", &[])],
                        "test",
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let done = store.finish_sweep(sweep).await.unwrap();
    assert_eq!((done.pages, done.findings), (60, 60));
    assert_eq!(store.count_entities(Scope::City).await.unwrap(), 4 + 60);
}

async fn sweep_fetches_in_recording_order_and_scope(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let sweep = store.create_sweep(&[a.id]).await.unwrap();
    let other = store.create_sweep(&[a.id]).await.unwrap();
    let mut ids = Vec::new();
    for url in ["http://a.test/z", "http://a.test/a", "http://a.test/m"] {
        ids.push(
            store
                .record_fetch(&fetch(sweep, a.id, url, Some(200)), &[])
                .await
                .unwrap(),
        );
    }
    let elsewhere = store
        .record_fetch(&fetch(other, a.id, "http://a.test/", Some(200)), &[])
        .await
        .unwrap();
    let of = |fetches: Vec<Fetch>| fetches.into_iter().map(|f| f.id).collect::<Vec<_>>();
    assert_eq!(
        of(store.sweep_fetches(Scope::City, sweep).await.unwrap()),
        ids
    );
    assert_eq!(
        of(store.sweep_fetches(Scope::City, other).await.unwrap()),
        [elsewhere]
    );
    assert!(store
        .sweep_fetches(Scope::district(district("450105")), sweep)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        of(store
            .sweep_fetches(Scope::district(district("450103")), sweep)
            .await
            .unwrap()),
        ids
    );
}

async fn frontier_is_saved_replaced_and_cleared_per_site(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let b = site_of(store, "b.test", "/").await;
    let sweep = store.create_sweep(&[a.id, b.id]).await.unwrap();
    assert_eq!(
        store.frontier(Scope::City, sweep, a.id).await.unwrap(),
        None
    );

    let first = serde_json::json!({"pages": 1, "queue": ["http://a.test/x"]});
    let second = serde_json::json!({"pages": 2, "queue": []});
    store.save_frontier(sweep, a.id, &first).await.unwrap();
    store.save_frontier(sweep, a.id, &second).await.unwrap();
    store.save_frontier(sweep, b.id, &first).await.unwrap();
    assert_eq!(
        store.frontier(Scope::City, sweep, a.id).await.unwrap(),
        Some(second)
    );
    assert_eq!(
        store.frontier(Scope::City, sweep, b.id).await.unwrap(),
        Some(first)
    );

    store.clear_frontier(sweep, a.id).await.unwrap();
    store.clear_frontier(sweep, a.id).await.unwrap();
    assert_eq!(
        store.frontier(Scope::City, sweep, a.id).await.unwrap(),
        None
    );

    // Finishing the sweep drops what its killed sites left.
    store.finish_sweep(sweep).await.unwrap();
    assert_eq!(
        store.frontier(Scope::City, sweep, b.id).await.unwrap(),
        None
    );
}

async fn commit_progress_records_fetches_frontier_and_finish_together(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let sweep = store.create_sweep(&[a.id]).await.unwrap();
    let state = serde_json::json!({"pages": 2});
    let ids = store
        .commit_progress(&SiteProgress {
            sweep,
            site: a.id,
            fetches: vec![
                (
                    fetch(sweep, a.id, "http://a.test/", Some(200)),
                    vec![finding(sweep, a.id, "ad.absolute_term", "最好")],
                ),
                (fetch(sweep, a.id, "http://a.test/b", Some(200)), vec![]),
            ],
            frontier: FrontierUpdate::Save(state.clone()),
            finish: None,
            discoveries: Vec::new(),
            classified: None,
            shown: None,
        })
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        store.frontier(Scope::City, sweep, a.id).await.unwrap(),
        Some(state)
    );
    assert_eq!(
        store.fetched_urls(Scope::City, sweep, a.id).await.unwrap(),
        ["http://a.test/", "http://a.test/b"]
    );
    let found = store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].finding.fetch_id, Some(ids[0]));
    assert_eq!(
        addresses(&store.pending_sites(Scope::City, sweep).await.unwrap()),
        ["a.test"]
    );

    store
        .commit_progress(&SiteProgress {
            sweep,
            site: a.id,
            fetches: vec![(fetch(sweep, a.id, "http://a.test/c", None), vec![])],
            frontier: FrontierUpdate::Clear,
            finish: Some((SiteSweepState::Done, None)),
            discoveries: Vec::new(),
            classified: None,
            shown: None,
        })
        .await
        .unwrap();
    assert_eq!(
        store.frontier(Scope::City, sweep, a.id).await.unwrap(),
        None
    );
    assert!(store
        .pending_sites(Scope::City, sweep)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .fetched_urls(Scope::City, sweep, a.id)
            .await
            .unwrap()
            .len(),
        3
    );

    // A failed commit (unknown site) records nothing.
    let err = store
        .commit_progress(&SiteProgress {
            sweep,
            site: SiteId(999),
            fetches: vec![],
            frontier: FrontierUpdate::Keep,
            finish: Some((SiteSweepState::Done, None)),
            discoveries: Vec::new(),
            classified: None,
            shown: None,
        })
        .await;
    assert!(matches!(err, Err(StoreError::NotFound(_))));
}

/// A fetch with a response, its validators and payload digest.
fn page(
    sweep: SweepId,
    site: SiteId,
    url: &str,
    status: i32,
    digest: &str,
    etag: Option<&str>,
) -> NewFetch {
    NewFetch {
        payload_digest: Some(digest.to_string()),
        etag: etag.map(str::to_string),
        last_modified: etag.map(|_| "Wed, 21 Oct 2015 07:28:00 GMT".to_string()),
        ..fetch(sweep, site, url, Some(status))
    }
}

async fn validators_and_change_history_across_sweeps(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let b = site_of(store, "b.test", "/").await;

    let s1 = store.create_sweep(&[a.id, b.id]).await.unwrap();
    for f in [
        page(s1, a.id, "http://a.test/", 200, "sha256:01", Some("\"h1\"")),
        page(s1, a.id, "http://a.test/same", 200, "sha256:02", None),
        page(
            s1,
            a.id,
            "http://a.test/edit",
            200,
            "sha256:03",
            Some("\"e1\""),
        ),
        page(s1, a.id, "http://a.test/gone", 200, "sha256:04", None),
        page(s1, b.id, "http://b.test/", 200, "sha256:05", Some("\"b1\"")),
    ] {
        store.record_fetch(&f, &[]).await.unwrap();
    }
    store
        .record_fetch(&fetch(s1, a.id, "http://a.test/down", None), &[])
        .await
        .unwrap();
    store.finish_sweep(s1).await.unwrap();

    let s2 = store.create_sweep(&[a.id, b.id]).await.unwrap();
    assert!(
        store
            .last_validators(Scope::City, a.id, s1)
            .await
            .unwrap()
            .is_empty(),
        "nothing before the first sweep"
    );
    let known = store.last_validators(Scope::City, a.id, s2).await.unwrap();
    let urls: Vec<&str> = known.iter().map(|k| k.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "http://a.test/",
            "http://a.test/edit",
            "http://a.test/gone",
            "http://a.test/same"
        ],
        "per URL of the site, fetches without a response left out"
    );
    assert_eq!(
        known[0],
        KnownPage {
            url: "http://a.test/".into(),
            status: 200,
            content_type: Some("text/html; charset=utf-8".into()),
            etag: Some("\"h1\"".into()),
            last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
            payload_digest: Some("sha256:01".into()),
            original: None,
        }
    );

    for f in [
        page(s2, a.id, "http://a.test/", 304, "sha256:01", Some("\"h1\"")),
        page(s2, a.id, "http://a.test/same", 200, "sha256:02", None),
        page(
            s2,
            a.id,
            "http://a.test/edit",
            200,
            "sha256:33",
            Some("\"e2\""),
        ),
        page(s2, a.id, "http://a.test/gone", 404, "sha256:44", None),
        page(s2, a.id, "http://a.test/down", 200, "sha256:06", None),
        page(s2, a.id, "http://a.test/fresh", 200, "sha256:07", None),
    ] {
        store.record_fetch(&f, &[]).await.unwrap();
    }
    store.finish_sweep(s2).await.unwrap();

    // The newest fetch per URL wins once a later sweep is asked about.
    let s3 = store.create_sweep(&[a.id]).await.unwrap();
    let known = store.last_validators(Scope::City, a.id, s3).await.unwrap();
    let edit = known
        .iter()
        .find(|k| k.url == "http://a.test/edit")
        .unwrap();
    assert_eq!(edit.etag.as_deref(), Some("\"e2\""));
    assert_eq!(edit.payload_digest.as_deref(), Some("sha256:33"));
    assert_eq!(known.len(), 6);

    let history = store.site_history(Scope::City, a.id, 0).await.unwrap();
    let got: Vec<(i64, &str, &str)> = history
        .iter()
        .map(|h| (h.sweep_id.0, h.url.as_str(), h.change.code()))
        .collect();
    assert_eq!(
        got,
        [
            (s2.0, "http://a.test/fresh", "new"),
            (s2.0, "http://a.test/down", "new"),
            (s2.0, "http://a.test/gone", "gone"),
            (s2.0, "http://a.test/edit", "changed"),
            (s2.0, "http://a.test/same", "unchanged"),
            (s2.0, "http://a.test/", "not_modified"),
            (s1.0, "http://a.test/down", "failed"),
            (s1.0, "http://a.test/gone", "new"),
            (s1.0, "http://a.test/edit", "new"),
            (s1.0, "http://a.test/same", "new"),
            (s1.0, "http://a.test/", "new"),
        ]
    );
    assert_eq!(history[0].status, Some(200));
    assert_eq!(
        store
            .site_history(Scope::City, a.id, 2)
            .await
            .unwrap()
            .len(),
        2
    );
    // Scoped like every district-owned read: a.test belongs to 青秀 (450103).
    assert!(store
        .site_history(Scope::district(district("450107")), a.id, 0)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .site_history(Scope::district(district("450103")), a.id, 0)
            .await
            .unwrap()
            .len(),
        11
    );
}

async fn a_revisit_points_at_its_original_and_is_not_a_new_page(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;

    let s1 = store.create_sweep(&[a.id]).await.unwrap();
    let first = NewFetch {
        record_id: Some("<urn:uuid:00000000-0000-4000-8000-000000000001>".into()),
        ..page(s1, a.id, "http://a.test/", 200, "sha256:01", None)
    };
    let first_id = store.record_fetch(&first, &[]).await.unwrap();
    store.finish_sweep(s1).await.unwrap();

    let s2 = store.create_sweep(&[a.id]).await.unwrap();
    let known = store.last_validators(Scope::City, a.id, s2).await.unwrap();
    let original = known[0]
        .original
        .clone()
        .expect("a 200 with a record id is an original");
    assert_eq!(original.fetch, first_id);
    assert_eq!(original.record_id, first.record_id.clone().unwrap());
    assert_eq!(original.fetched_at, first.fetched_at);
    assert_eq!(original.payload_digest.as_deref(), Some("sha256:01"));
    let again = NewFetch {
        record_id: Some("<urn:uuid:00000000-0000-4000-8000-000000000002>".into()),
        revisit_of: Some(first_id),
        ..page(s2, a.id, "http://a.test/", 200, "sha256:01", None)
    };
    let again_id = store.record_fetch(&again, &[]).await.unwrap();
    store.finish_sweep(s2).await.unwrap();
    let stored = store.fetch(Scope::City, again_id).await.unwrap().unwrap();
    assert_eq!(stored.fetch.revisit_of, Some(first_id));
    assert_eq!(stored.fetch.record_id, again.record_id);

    // After a revisit, the original is still the one a next revisit refers to.
    let s3 = store.create_sweep(&[a.id]).await.unwrap();
    let known = store.last_validators(Scope::City, a.id, s3).await.unwrap();
    assert_eq!(known[0].original.as_ref().map(|o| o.fetch), Some(first_id));
    // A revisit brings no new page text to index.
    let pages: Vec<FetchId> = store
        .pages_after(Scope::City, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.fetch.id)
        .collect();
    assert_eq!(pages, [first_id]);
}

async fn a_clue_groups_findings_of_one_site_and_gathers_their_evidence_and_captures(
    store: TestStore,
) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let b = site_of(store, "b.test", "/").await;
    let sweep = store.create_sweep(&[a.id, b.id]).await.unwrap();
    // The finding points at the record of a.test's page (sweep-1.warc.gz at 4096).
    let page = store
        .record_fetch(
            &fetch(sweep, a.id, "http://a.test/", Some(200)),
            &[finding(sweep, a.id, "ad.absolute_term", "全网最低价")],
        )
        .await
        .unwrap();
    let other = NewFetch {
        evidence: Some(EvidencePointer {
            warc_file: "sweep-1.warc.gz".into(),
            offset: 8192,
            digest: "sha1:ABCDEF".into(),
        }),
        ..fetch(sweep, a.id, "http://a.test/other", Some(200))
    };
    store.record_fetch(&other, &[]).await.unwrap();
    store
        .record_fetch(
            &NewFetch {
                evidence: Some(EvidencePointer {
                    warc_file: "sweep-1.warc.gz".into(),
                    offset: 12288,
                    digest: "sha1:ABCDEF".into(),
                }),
                ..fetch(sweep, b.id, "http://b.test/", Some(200))
            },
            &[finding(sweep, b.id, "ad.absolute_term", "全国第一")],
        )
        .await
        .unwrap();
    store.finish_sweep(sweep).await.unwrap();
    let findings = store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap();
    let of = |site: SiteId| {
        findings
            .iter()
            .find(|f| f.finding.site_id == site)
            .unwrap()
            .id
    };

    // Findings of another site, or none, make no clue.
    let new = |findings: Vec<FindingId>| NewClue {
        site_id: a.id,
        findings,
        summary: "首页绝对化用语".into(),
    };
    let li = Actor::system("inspector-li");
    assert!(matches!(
        store.create_clue(&new(vec![of(a.id), of(b.id)]), &li).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.create_clue(&new(vec![]), &li).await.is_err());
    let id = store.create_clue(&new(vec![of(a.id)]), &li).await.unwrap();

    // A capture for the clue must be of its site.
    assert!(store.create_capture(b.id, Some(id)).await.is_err());
    let capture = store.create_capture(a.id, Some(id)).await.unwrap();
    let shot = store
        .record_fetch(
            &NewFetch {
                evidence: Some(EvidencePointer {
                    warc_file: "capture-2.warc.gz".into(),
                    offset: 0,
                    digest: "sha256:00".into(),
                }),
                ..fetch(capture, a.id, "http://a.test/", Some(200))
            },
            &[],
        )
        .await
        .unwrap();
    store.finish_sweep(capture).await.unwrap();

    let clue = store.clue(Scope::City, id).await.unwrap().unwrap();
    assert_eq!(clue.site_id, a.id);
    assert_eq!(clue.findings, [of(a.id)]);
    assert_eq!(clue.captures, [capture]);
    assert_eq!(clue.created_by, "inspector-li");
    let evidence: Vec<FetchId> = store
        .clue_fetches(Scope::City, id)
        .await
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(
        evidence,
        [page, shot],
        "the finding's page and the capture, not a.test/other"
    );
    // Scoped like the site: another district sees no clue.
    let elsewhere = Scope::district(district("450107"));
    assert!(store.clue(elsewhere.clone(), id).await.unwrap().is_none());
    assert!(store
        .clue_fetches(elsewhere.clone(), id)
        .await
        .unwrap()
        .is_empty());
    // Captures are never resumed as sweeps.
    assert!(store.unfinished_sweep().await.unwrap().is_none());
}

/// A suppressed finding (#17) is stored with its reason and detail, listed only when asked
/// for, counted per rule, and in no count, sweep list or clue.
async fn suppressed_findings_are_kept_and_count_nowhere(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let sweep = store.create_sweep(&[a.id]).await.unwrap();
    let new = fetch(sweep, a.id, "http://a.test/", Some(200));
    let live = finding(sweep, a.id, "ad.absolute_term", "本店全国第一");
    let held = NewFinding {
        excerpt: "广告不得使用“最佳”等用语".into(),
        suppressed: Some(domain::Suppression::new(
            domain::SuppressionReason::Quotation,
            "“最佳”",
        )),
        ..live.clone()
    };
    store
        .record_fetch(&new, &[live.clone(), held.clone()])
        .await
        .unwrap();

    // The default list holds the live one only; `suppressed` lists the other, round-tripped.
    let listed = store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].finding.excerpt, live.excerpt);
    assert!(listed[0].finding.is_live());
    let only_held = FindingFilter {
        suppressed: true,
        ..FindingFilter::default()
    };
    let hidden = store.list_findings(Scope::City, &only_held).await.unwrap();
    assert_eq!(hidden.len(), 1);
    assert_eq!(hidden[0].finding.suppressed, held.suppressed);
    assert_eq!(hidden[0].finding.excerpt, held.excerpt);
    assert_eq!(
        store.count_findings(Scope::City, &only_held).await.unwrap(),
        1
    );
    assert_eq!(
        store
            .count_findings(Scope::City, &FindingFilter::default())
            .await
            .unwrap(),
        1
    );
    // A count with a bound (a list page's) counts the live ones too, up to the bound.
    for (up_to, want) in [(0, 0), (1, 1), (5, 1)] {
        let bounded = FindingFilter {
            count_up_to: Some(up_to),
            ..FindingFilter::default()
        };
        assert_eq!(
            store.count_findings(Scope::City, &bounded).await.unwrap(),
            want
        );
    }
    // Its own page still opens it.
    let one = store
        .finding(Scope::City, hidden[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.finding.suppressed, held.suppressed);

    // Counts, the sweep's findings (what clues are grouped from) and totals: live only.
    let counts: i64 = store
        .finding_counts(Scope::City)
        .await
        .unwrap()
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(counts, 1);
    assert_eq!(store.totals(Scope::City).await.unwrap().findings, 1);
    let of_sweep = store.sweep_findings(Scope::City, sweep).await.unwrap();
    assert_eq!(of_sweep.len(), 1);
    assert!(of_sweep[0].finding.is_live());
    let paged = store
        .sweep_findings_after(Scope::City, sweep, None, 10)
        .await
        .unwrap();
    assert_eq!(
        paged.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![of_sweep[0].id]
    );
    let site = of_sweep[0].finding.site_id;
    assert!(store
        .sweep_findings_after(Scope::City, sweep, Some(site), 10)
        .await
        .unwrap()
        .is_empty());

    // The rule's line counts it apart from the decisions.
    let rules = store.rule_triage(Scope::City).await.unwrap();
    let rule = rules.iter().find(|r| r.rule_id == live.rule_id).unwrap();
    assert_eq!((rule.open, rule.suppressed), (1, 1));

    // No clue is made of it, even by hand.
    let err = ::store::clue::draft_clue(store, Scope::City, &[hidden[0].id], None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ::store::clue::ClueError::SuppressedFinding(id) if id == hidden[0].id),
        "{err:?}"
    );
}

crate::on_every_backend!(
    suppressed_findings_are_kept_and_count_nowhere,
    upsert_created_updated_unchanged_and_sites_sync,
    site_for_url_prefers_the_shop_prefix,
    sweep_lifecycle,
    record_fetch_stores_findings_once,
    list_findings_filters_and_scope,
    dashboard_counts_and_totals,
    file_database_persists_and_migrates_once,
    concurrent_writers_wait_for_each_other,
    sweep_fetches_in_recording_order_and_scope,
    frontier_is_saved_replaced_and_cleared_per_site,
    commit_progress_records_fetches_frontier_and_finish_together,
    validators_and_change_history_across_sweeps,
    a_revisit_points_at_its_original_and_is_not_a_new_page,
    a_clue_groups_findings_of_one_site_and_gathers_their_evidence_and_captures,
    committed_evidence_is_the_last_offset_per_file_of_the_sweep,
);

/// What a resumed sweep's repair may not cut: per file, the last offset a fetch or finding of
/// the sweep points at (another sweep's rows and rows without evidence do not count).
async fn committed_evidence_is_the_last_offset_per_file_of_the_sweep(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let sweep = store.create_sweep(&[a.id]).await.unwrap();
    assert_eq!(store.committed_evidence(sweep).await.unwrap(), vec![]);
    let at = |file: &str, offset: i64| EvidencePointer {
        warc_file: file.into(),
        offset,
        digest: "sha256:00".into(),
    };
    let mut rows = Vec::new();
    for (url, file, offset) in [
        ("http://a.test/1", "w-00001.warc.gz", 100),
        ("http://a.test/2", "w-00001.warc.gz", 9_000_000_000),
        ("http://a.test/3", "w-00002.warc.gz", 50),
    ] {
        rows.push(NewFetch {
            evidence: Some(at(file, offset)),
            ..fetch(sweep, a.id, url, Some(200))
        });
    }
    rows.push(NewFetch {
        evidence: None,
        ..fetch(sweep, a.id, "http://a.test/4", None)
    });
    for f in &rows {
        store.record_fetch(f, &[]).await.unwrap();
    }
    // A finding pointing further into the second file (as a revisit's original may).
    store
        .record_findings(&[NewFinding {
            evidence: Some(at("w-00002.warc.gz", 70)),
            ..finding(sweep, a.id, "ad.absolute_term", "最好")
        }])
        .await
        .unwrap();
    // Another sweep's rows in the same file name do not count.
    let other = store.create_sweep(&[a.id]).await.unwrap();
    store
        .record_fetch(
            &NewFetch {
                evidence: Some(at("w-00002.warc.gz", 999)),
                ..fetch(other, a.id, "http://a.test/5", Some(200))
            },
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        store.committed_evidence(sweep).await.unwrap(),
        vec![
            CommittedWarc {
                warc_file: "w-00001.warc.gz".into(),
                last_offset: 9_000_000_000
            },
            CommittedWarc {
                warc_file: "w-00002.warc.gz".into(),
                last_offset: 70
            },
        ]
    );
}
