//! The register beyond entities: the full entity columns on import, other departments' filings
//! (mapping, join, conflicts, rejects, idempotence), discovered sites and site classes.

use crate::{entity, uscc, TestStore};
use ::store::filings::{import_filings, Mapping};
use ::store::import::{import_entities, ImportOptions};
use ::store::*;
use chrono::NaiveDate;
use domain::{EntityStatus, LegalForm, SiteKind};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

async fn entity_import_reads_the_full_model(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("register.csv");
    std::fs::write(
        &path,
        format!(
            "uscc,name,kind,district,former_names,legal_form,status,business_address,registered_capital,established\n\
             {},南宁市甲商贸有限公司,trading_site,450103,南宁市甲商行;南宁甲店,,经营异常,南宁市青秀区民族大道1号,100万元,2017年3月8日\n\
             {},乙,trading_site,450103,,shop,closed,,,2017-02-30\n",
            uscc("MA5K0101"),
            uscc("MA5K0102").replacen("91", "92", 1),
        ),
    )
    .unwrap();
    let s = import_entities(store.as_ref(), &path, &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!((s.created, s.rejected), (1, 1));
    let rejects = std::fs::read_to_string(s.reject_file.unwrap()).unwrap();
    assert!(rejects.contains("legal_form"), "{rejects}");
    assert!(rejects.contains("status"), "{rejects}");
    assert!(rejects.contains("established"), "{rejects}");
    let e = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0101"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.input.former_names, ["南宁市甲商行", "南宁甲店"]);
    assert_eq!(e.input.legal_form, LegalForm::Enterprise);
    assert_eq!(e.input.status, EntityStatus::Abnormal);
    assert_eq!(
        e.input.business_address.as_deref(),
        Some("南宁市青秀区民族大道1号")
    );
    assert_eq!(e.input.registered_capital.as_deref(), Some("100万元"));
    assert_eq!(e.input.established, NaiveDate::from_ymd_opt(2017, 3, 8));
    // Filters of the list (and the exports).
    let abnormal = store
        .list_entities(
            Scope::City,
            &EntityFilter {
                status: Some(EntityStatus::Abnormal),
                ..EntityFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(abnormal.len(), 1);
    let by_former = store
        .entities_by_name(Scope::City, "南宁甲店")
        .await
        .unwrap();
    assert_eq!(by_former[0].id, e.id);
    // The revision feed starts with it.
    let since = store.entities_since(Scope::City, 0, 10).await.unwrap();
    assert_eq!(since.len(), 1);
    assert!(store
        .entities_since(Scope::City, since[0].0, 10)
        .await
        .unwrap()
        .is_empty());
}

/// A register of three entities with sites, and a telecom file about them.
async fn filings_fixture(store: &dyn Store) {
    let mut a = entity(
        "MA5K0201",
        "南宁市甲商贸有限公司",
        SiteKind::TradingSite,
        "450103",
        &["a.test"],
    );
    a.former_names = vec!["南宁市甲商行".into()];
    a.icp = Some("桂ICP备2017001234号-1".into());
    let b = entity(
        "MA5K0202",
        "南宁市乙科技有限公司",
        SiteKind::NonTradingSite,
        "450105",
        &["www.b.test"],
    );
    store.upsert_entities(&[a, b], "test").await.unwrap();
}

async fn filings_join_report_conflicts_and_reimport_changes_nothing(store: TestStore) {
    filings_fixture(store.as_ref()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("telecom.csv");
    std::fs::write(
        &path,
        format!(
            "网站备案号,主办单位名称,主办单位证件号码,网站域名,审核通过日期,备案状态,备注\n\
             桂ICP备2017001234号-1,南宁市甲商行,{a},a.test,2017-03-08,正常,旧名\n\
             桂ICP备2018000001号-1,,,b.test,2018-01-02,正常,\n\
             桂ICP备2018000002号-1,南宁市丙公司,{a},www.b.test,2018-01-02,正常,\n\
             桂ICP备2019000003号-1,无名氏,,c.test,2019-05-05,正常,\n\
             ICP123,坏行,{a},a.test,2019-05-05,正常,\n",
            a = uscc("MA5K0201")
        ),
    )
    .unwrap();
    let mapping = Mapping::builtin("telecom").unwrap();
    let opts = ImportOptions::default();
    let s = import_filings(store.as_ref(), &path, &mapping, &opts, today())
        .await
        .unwrap();
    assert_eq!(
        (s.read, s.created, s.rejected, s.unjoined),
        (5, 4, 1, 1),
        "{s}"
    );
    let rejects = std::fs::read_to_string(s.reject_file.as_ref().unwrap()).unwrap();
    assert!(rejects.starts_with("line,reason,raw\n6,"), "{rejects}");
    let report = std::fs::read_to_string(s.conflict_file.as_ref().unwrap()).unwrap();
    let conflicts: Vec<&str> = report.lines().skip(1).collect();
    // Line 3 joins b by domain without conflict; line 4 names a third company and files b's
    // domain under a's USCC; line 5 joins nothing.
    assert_eq!(conflicts.len(), 3, "{report}");
    assert!(conflicts[0].starts_with("4,telecom,"), "{report}");
    assert!(conflicts[0].contains("name_differs"), "{report}");
    assert!(conflicts[1].contains("domain_of_other"), "{report}");
    assert!(conflicts[1].contains("南宁市乙科技有限公司"), "{report}");
    assert!(conflicts[2].starts_with("5,") && conflicts[2].contains("no_entity"));

    let a = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0201"))
        .await
        .unwrap()
        .unwrap();
    let b = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0202"))
        .await
        .unwrap()
        .unwrap();
    let fa = store.entity_filings(Scope::City, a.id).await.unwrap();
    assert_eq!(fa.len(), 2);
    assert_eq!(fa[0].joined_by, Some(JoinedBy::Uscc));
    // Unmapped columns are kept with the record.
    assert_eq!(
        fa[0].input.fields.get("备注").map(String::as_str),
        Some("旧名")
    );
    // A former name is not a conflict.
    assert!(conflicts_of(&fa[0], &a).is_empty());
    let fb = store.entity_filings(Scope::City, b.id).await.unwrap();
    assert_eq!(fb.len(), 1);
    assert_eq!(fb[0].joined_by, Some(JoinedBy::Domain));
    // The entity itself is untouched by its filings.
    assert_eq!(a.input.name, "南宁市甲商贸有限公司");

    // The same file again: nothing changes, the reports are the same.
    let again = import_filings(store.as_ref(), &path, &mapping, &opts, today())
        .await
        .unwrap();
    assert_eq!(
        (
            again.created,
            again.updated,
            again.unchanged,
            again.rejected
        ),
        (0, 0, 4, 1)
    );
    assert_eq!(
        std::fs::read_to_string(again.conflict_file.unwrap()).unwrap(),
        report
    );
}

fn conflicts_of(f: &Filing, e: &Entity) -> Vec<Conflict> {
    conflicts(f, Some(e), today())
}

async fn food_permits_expire_and_a_custom_mapping_needs_no_code(store: TestStore) {
    filings_fixture(store.as_ref()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("food.jsonl");
    std::fs::write(
        &path,
        format!(
            "{{\"许可证编号\":\"JY24501030012345\",\"社会信用代码\":\"{a}\",\"经营者名称\":\"南宁市甲商贸有限公司\",\"有效期至\":\"2025-12-31\",\"发证日期\":\"2020-12-31\"}}\n\
             {{\"许可证编号\":\"JY24501030012346\",\"社会信用代码\":\"{a}\",\"有效期至\":\"2030-12-31\"}}\n",
            a = uscc("MA5K0201")
        ),
    )
    .unwrap();
    let food = Mapping::builtin("food").unwrap();
    let s = import_filings(
        store.as_ref(),
        &path,
        &food,
        &ImportOptions::default(),
        today(),
    )
    .await
    .unwrap();
    assert_eq!((s.created, s.conflicts), (2, 1), "{s}");
    let report = std::fs::read_to_string(s.conflict_file.unwrap()).unwrap();
    assert!(report.contains("expired on 2025-12-31"), "{report}");

    // A source the code has never heard of: only a mapping file.
    let mapping = Mapping::parse(
        "source = \"pharmacy\"\ntitle = \"药品经营许可\"\nkind = \"drug_license\"\nkey = [\"number\"]\n\
         [columns]\nuscc = \"信用代码\"\nnumber = \"证号\"\nvalid_until = \"有效期\"\n",
    )
    .unwrap();
    let path = dir.path().join("pharmacy.csv");
    std::fs::write(
        &path,
        format!(
            "证号,信用代码,有效期\n桂AA7710001,{},2031-01-01\n",
            uscc("MA5K0202")
        ),
    )
    .unwrap();
    let s = import_filings(
        store.as_ref(),
        &path,
        &mapping,
        &ImportOptions::default(),
        today(),
    )
    .await
    .unwrap();
    assert_eq!((s.created, s.conflicts, s.rejected), (1, 0, 0), "{s}");
    assert!(s.conflict_file.is_none());
    let b = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0202"))
        .await
        .unwrap()
        .unwrap();
    let f = store.entity_filings(Scope::City, b.id).await.unwrap();
    assert_eq!(f[0].input.kind, "drug_license");
}

async fn discoveries_are_recorded_promoted_and_decided(store: TestStore) {
    filings_fixture(store.as_ref()).await;
    let a = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0201"))
        .await
        .unwrap()
        .unwrap();
    let site_a = store.entity_sites(Scope::City, a.id).await.unwrap()[0].clone();
    let sweep = store.create_sweep(&[site_a.id]).await.unwrap();
    let seen = |host: &str, prefix: &str, from: &str| NewDiscovery {
        host: host.into(),
        path_prefix: prefix.into(),
        sighting: Sighting {
            from_url: from.into(),
            anchor: "友情链接".into(),
            hidden: false,
            evidence: None,
            ..Sighting::default()
        },
        source: DiscoverySource::Link,
        hops: 1,
        indicators: Vec::new(),
    };
    store
        .commit_progress(&SiteProgress {
            sweep,
            site: site_a.id,
            fetches: vec![],
            frontier: FrontierUpdate::Keep,
            finish: Some((SiteSweepState::Done, None)),
            discoveries: vec![
                seen("www.new.test", "", "http://a.test/"),
                seen("new.test", "", "http://a.test/about"),
                // A registered site (bare vs www.) is not a discovery.
                seen("b.test", "", "http://a.test/"),
                seen("mall.test", "/shop/7", "http://a.test/"),
            ],
            classified: Some(SiteClass {
                kind: SiteKind::NonTradingSite,
                reason: "no price or cart on 3 pages".into(),
            }),
            shown: None,
        })
        .await
        .unwrap();
    let found = store
        .list_discovered(Scope::City, &DiscoveryFilter::default())
        .await
        .unwrap();
    let addrs: Vec<String> = found.iter().map(Discovered::address).collect();
    assert_eq!(addrs, ["mall.test/shop/7", "www.new.test"]);
    let new = &found[1];
    assert_eq!(new.sightings, 2);
    assert_eq!(new.evidence.len(), 2);
    assert_eq!(new.state, DiscoveryState::New);

    // The site's class, and the disagreement with the register's kind.
    let classified = store.site(Scope::City, site_a.id).await.unwrap().unwrap();
    assert_eq!(
        classified.classified.as_ref().map(|c| c.kind),
        Some(SiteKind::NonTradingSite)
    );
    assert!(classified.kind_disagrees());

    // Promotion makes them sites of the sweep, once.
    let promoted = store.promote_discoveries(sweep).await.unwrap();
    assert_eq!(promoted.len(), 2);
    assert!(promoted.iter().all(|s| s.origin == SiteOrigin::Discovered));
    assert!(promoted.iter().any(|s| s.kind == SiteKind::PlatformShop));
    assert!(store.promote_discoveries(sweep).await.unwrap().is_empty());
    let pending = store.pending_sites(Scope::City, sweep).await.unwrap();
    assert_eq!(pending.len(), 2);
    let new_site = promoted.iter().find(|s| s.host == "www.new.test").unwrap();
    store
        .commit_progress(&SiteProgress {
            sweep,
            site: new_site.id,
            fetches: vec![],
            frontier: FrontierUpdate::Keep,
            finish: Some((SiteSweepState::Done, None)),
            discoveries: vec![],
            classified: None,
            shown: Some((
                Shown {
                    usccs: vec![a.input.uscc.clone()],
                    addresses: vec!["南宁市青秀区民族大道1号".into()],
                    ..Shown::default()
                },
                vec![],
            )),
        })
        .await
        .unwrap();
    let d = store
        .discovered(Scope::City, new.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.shown.usccs, std::slice::from_ref(&a.input.uscc));

    // The matcher proposes, a person confirms: the site joins the entity, and a later
    // register import (which does not list it) leaves it there.
    store
        .set_proposal(
            d.id,
            Some(&Proposal {
                entity: a.id,
                basis: ProposalBasis::Text {
                    text: "its pages show the USCC".into(),
                },
            }),
        )
        .await
        .unwrap();
    let decided = store
        .decide_discovery(
            d.id,
            DiscoveryState::Confirmed,
            Some(a.id),
            &Actor::system("inspector 7"),
        )
        .await
        .unwrap();
    assert_eq!(decided.state, DiscoveryState::Confirmed);
    assert_eq!(decided.decided_by.as_deref(), Some("inspector 7"));
    let mut a2 = a.input.clone();
    a2.phone = Some("0771-5550000".into());
    store.upsert_entities(&[a2], "test").await.unwrap();
    let sites: Vec<String> = store
        .entity_sites(Scope::City, a.id)
        .await
        .unwrap()
        .iter()
        .map(Site::address)
        .collect();
    assert_eq!(sites, ["a.test", "www.new.test"]);
    let other = store
        .decide_discovery(
            found[0].id,
            DiscoveryState::Rejected,
            None,
            &Actor::system("inspector 7"),
        )
        .await
        .unwrap();
    assert_eq!(other.state, DiscoveryState::Rejected);
    assert!(store
        .decide_discovery(999, DiscoveryState::Rejected, None, &Actor::system("x"))
        .await
        .is_err());
}

async fn counts_agree_with_the_lists_in_scope(store: TestStore) {
    filings_fixture(store.as_ref()).await;
    let a = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0201"))
        .await
        .unwrap()
        .unwrap();
    let site_a = store.entity_sites(Scope::City, a.id).await.unwrap()[0].clone();
    let sweep = store.create_sweep(&[site_a.id]).await.unwrap();
    let seen = |host: &str| NewDiscovery {
        host: host.into(),
        path_prefix: String::new(),
        sighting: Sighting {
            from_url: "http://a.test/".into(),
            anchor: "友情链接".into(),
            hidden: false,
            evidence: None,
            ..Sighting::default()
        },
        source: DiscoverySource::Link,
        hops: 1,
        indicators: Vec::new(),
    };
    store
        .commit_progress(&SiteProgress {
            sweep,
            site: site_a.id,
            fetches: vec![],
            frontier: FrontierUpdate::Keep,
            finish: Some((SiteSweepState::Done, None)),
            discoveries: vec![seen("x.test"), seen("y.test"), seen("z.test")],
            classified: None,
            shown: None,
        })
        .await
        .unwrap();
    let found = store
        .list_discovered(Scope::City, &DiscoveryFilter::default())
        .await
        .unwrap();
    // x.test is proposed for entity a (青秀区), y.test rejected, z.test nobody's yet.
    store
        .set_proposal(
            found[0].id,
            Some(&Proposal {
                entity: a.id,
                basis: ProposalBasis::Text {
                    text: "its pages show the USCC".into(),
                },
            }),
        )
        .await
        .unwrap();
    store
        .decide_discovery(
            found[1].id,
            DiscoveryState::Rejected,
            None,
            &Actor::system("inspector 7"),
        )
        .await
        .unwrap();
    store.promote_discoveries(sweep).await.unwrap();

    let qingxiu = Scope::district(crate::district("450103"));
    let jiangnan = Scope::district(crate::district("450105"));
    let nobody = Scope::Districts(std::sync::Arc::from([]));
    for (scope, entities, sites, discovered) in [
        (Scope::City, 2, 4, 3),
        (qingxiu.clone(), 1, 1, 1),
        (jiangnan.clone(), 1, 1, 0),
        (nobody.clone(), 0, 0, 0),
    ] {
        let all = EntityFilter::default();
        assert_eq!(
            store.count_entities_in(scope.clone(), &all).await.unwrap(),
            entities,
            "{scope:?}"
        );
        assert_eq!(
            store
                .count_sites(scope.clone(), &SiteFilter::default())
                .await
                .unwrap(),
            sites,
            "{scope:?}"
        );
        assert_eq!(
            store
                .count_discovered(scope.clone(), &DiscoveryFilter::default())
                .await
                .unwrap(),
            discovered,
            "{scope:?}"
        );
        // A count ignores paging: it is the length of the unpaged list.
        for (limit, offset) in [(1, 0), (1, 1), (0, 0)] {
            let f = EntityFilter {
                limit,
                offset,
                ..EntityFilter::default()
            };
            assert_eq!(
                store.count_entities_in(scope.clone(), &f).await.unwrap(),
                entities
            );
            let f = SiteFilter {
                limit,
                offset,
                ..SiteFilter::default()
            };
            assert_eq!(store.count_sites(scope.clone(), &f).await.unwrap(), sites);
            let listed = store.list_sites(scope.clone(), &f).await.unwrap().len() as i64;
            let want = if limit == 0 {
                sites
            } else {
                (sites - offset).clamp(0, limit)
            };
            assert_eq!(listed, want, "{scope:?} {limit} {offset}");
        }
        // A count with a bound stops there: the smaller of the count and the bound, in scope
        // (the district-wide sites count joins the entities, the city-wide one does not).
        for up_to in [0, 1, 3, 100] {
            let f = EntityFilter {
                count_up_to: Some(up_to),
                ..EntityFilter::default()
            };
            assert_eq!(
                store.count_entities_in(scope.clone(), &f).await.unwrap(),
                entities.min(up_to),
                "{scope:?} {up_to}"
            );
            let f = SiteFilter {
                count_up_to: Some(up_to),
                ..SiteFilter::default()
            };
            assert_eq!(
                store.count_sites(scope.clone(), &f).await.unwrap(),
                sites.min(up_to),
                "{scope:?} {up_to}"
            );
            let f = DiscoveryFilter {
                count_up_to: Some(up_to),
                ..DiscoveryFilter::default()
            };
            assert_eq!(
                store.count_discovered(scope.clone(), &f).await.unwrap(),
                discovered.min(up_to),
                "{scope:?} {up_to}"
            );
        }
    }
    // The filters count as they list.
    let kind = EntityFilter {
        kind: Some(SiteKind::NonTradingSite),
        ..EntityFilter::default()
    };
    assert_eq!(
        store.count_entities_in(Scope::City, &kind).await.unwrap(),
        1
    );
    let district = EntityFilter {
        district: Some(crate::district("450105")),
        ..EntityFilter::default()
    };
    assert_eq!(
        store
            .count_entities_in(qingxiu.clone(), &district)
            .await
            .unwrap(),
        0
    );
    let unregistered = SiteFilter {
        registered: Some(false),
        ..SiteFilter::default()
    };
    assert_eq!(
        store.count_sites(Scope::City, &unregistered).await.unwrap(),
        2
    );
    let trading = SiteFilter {
        kind: Some(SiteKind::TradingSite),
        ..SiteFilter::default()
    };
    assert_eq!(store.count_sites(Scope::City, &trading).await.unwrap(), 1);
    for (state, n) in [
        (DiscoveryState::New, 2),
        (DiscoveryState::Rejected, 1),
        (DiscoveryState::Confirmed, 0),
    ] {
        let f = DiscoveryFilter {
            state: Some(state),
            ..DiscoveryFilter::default()
        };
        assert_eq!(store.count_discovered(Scope::City, &f).await.unwrap(), n);
        assert_eq!(
            store.list_discovered(Scope::City, &f).await.unwrap().len() as i64,
            n
        );
    }
    let paged = DiscoveryFilter {
        limit: 2,
        offset: 2,
        ..DiscoveryFilter::default()
    };
    assert_eq!(
        store.count_discovered(Scope::City, &paged).await.unwrap(),
        3
    );
    assert_eq!(
        store
            .list_discovered(Scope::City, &paged)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn icp_lookup_ignores_the_site_suffix(store: TestStore) {
    filings_fixture(store.as_ref()).await;
    for q in [
        "桂ICP备2017001234号-1",
        "桂ICP备2017001234号-2",
        "桂ICP备2017001234号",
    ] {
        let found = store.entities_by_icp(Scope::City, q).await.unwrap();
        assert_eq!(found.len(), 1, "{q}");
    }
    assert!(store
        .entities_by_icp(Scope::City, "桂ICP备2017001235号")
        .await
        .unwrap()
        .is_empty());
}

crate::on_every_backend!(
    entity_import_reads_the_full_model,
    filings_join_report_conflicts_and_reimport_changes_nothing,
    food_permits_expire_and_a_custom_mapping_needs_no_code,
    discoveries_are_recorded_promoted_and_decided,
    counts_agree_with_the_lists_in_scope,
    icp_lookup_ignores_the_site_suffix,
);
