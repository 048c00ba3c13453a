//! Discovery beyond one hop (#21) in the store: sites two hops away wait unverified until their
//! pages place them in the city, filings and certificates record sightings without a sweep and
//! a second reading changes nothing, per-source counts, imitations, and the positions and
//! failures of certificate transparency logs.

use crate::{entity, uscc, TestStore};
use ::store::*;
use domain::locality::Indicator;
use domain::{SiteId, SiteKind, SweepId};

fn link(host: &str, from: &str, hops: u32) -> NewDiscovery {
    NewDiscovery {
        host: host.into(),
        path_prefix: String::new(),
        source: DiscoverySource::Link,
        hops,
        sighting: Sighting {
            from_url: from.into(),
            anchor: "友情链接".into(),
            ..Sighting::default()
        },
        indicators: Vec::new(),
    }
}

fn filing(host: &str, id: i64) -> NewDiscovery {
    NewDiscovery {
        host: host.into(),
        path_prefix: String::new(),
        source: DiscoverySource::Filing,
        hops: 1,
        sighting: Sighting {
            filing: Some(FilingSighting {
                filing_id: id,
                source: "telecom".into(),
                record_key: format!("桂ICP备20190000{id:02}号-1"),
                kind: "icp".into(),
                domain: host.into(),
                number: Some(format!("桂ICP备20190000{id:02}号-1")),
                name: Some("南宁市丁网络工作室".into()),
                uscc: None,
                address: None,
            }),
            ..Sighting::default()
        },
        indicators: vec![Indicator::Icp(format!("桂ICP备20190000{id:02}号-1"))],
    }
}

async fn register(store: &dyn Store) -> (Entity, Site) {
    let a = entity(
        "MA5K0301",
        "南宁市甲商贸有限公司",
        SiteKind::TradingSite,
        "450103",
        &["a.test"],
    );
    store.upsert_entities(&[a], "test").await.unwrap();
    let a = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0301"))
        .await
        .unwrap()
        .unwrap();
    let site = store.entity_sites(Scope::City, a.id).await.unwrap()[0].clone();
    (a, site)
}

async fn by_host(store: &dyn Store, host: &str) -> Discovered {
    store
        .list_discovered(Scope::City, &DiscoveryFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.host == host)
        .unwrap_or_else(|| panic!("{host} not discovered"))
}

/// Commits a site's progress in a sweep: the discoveries its pages made and, for a
/// discovered site, what they show; `done` marks the site done.
async fn commit(
    store: &dyn Store,
    sweep: SweepId,
    site: SiteId,
    done: bool,
    discoveries: Vec<NewDiscovery>,
    shown: Option<(Shown, Vec<Indicator>)>,
) {
    store
        .commit_progress(&SiteProgress {
            sweep,
            site,
            fetches: vec![],
            frontier: FrontierUpdate::Keep,
            finish: done.then_some((SiteSweepState::Done, None)),
            discoveries,
            classified: None,
            shown,
        })
        .await
        .unwrap();
}

async fn sites_two_hops_away_need_a_city_indicator(store: TestStore) {
    let (_, site_a) = register(store.as_ref()).await;
    let sweep = store.create_sweep(&[site_a.id]).await.unwrap();
    commit(
        store.as_ref(),
        sweep,
        site_a.id,
        true,
        vec![link("hop1.test", "http://a.test/", 1)],
        None,
    )
    .await;
    let wave2 = store.promote_discoveries(sweep).await.unwrap();
    assert_eq!(wave2.len(), 1);
    let hop1 = wave2[0].clone();
    assert_eq!(
        store.discovered_hops().await.unwrap().get(&hop1.id),
        Some(&1)
    );
    // The hop-1 site's page links on: two candidates two hops away.
    commit(
        store.as_ref(),
        sweep,
        hop1.id,
        true,
        vec![
            link("local.test", "http://hop1.test/", 2),
            link("far.test", "http://hop1.test/", 2),
        ],
        Some((Shown::default(), Vec::new())),
    )
    .await;
    // A hop-1 site stays in the queue whatever it shows.
    assert_eq!(
        by_host(store.as_ref(), "hop1.test").await.state,
        DiscoveryState::New
    );
    for host in ["local.test", "far.test"] {
        let d = by_host(store.as_ref(), host).await;
        assert_eq!((d.state, d.hops), (DiscoveryState::Unverified, 2), "{host}");
    }
    let queue = DiscoveryFilter {
        state: Some(DiscoveryState::New),
        ..DiscoveryFilter::default()
    };
    assert_eq!(
        store.count_discovered(Scope::City, &queue).await.unwrap(),
        1
    );
    let wave3 = store.promote_discoveries(sweep).await.unwrap();
    assert_eq!(wave3.len(), 2, "unverified sites are crawled");
    let hops = store.discovered_hops().await.unwrap();
    let local = wave3.iter().find(|s| s.host == "local.test").unwrap();
    let far = wave3.iter().find(|s| s.host == "far.test").unwrap();
    assert_eq!(hops.get(&local.id), Some(&2));
    let phone = Indicator::Phone("0771-5551234".into());
    commit(
        store.as_ref(),
        sweep,
        local.id,
        true,
        vec![],
        Some((
            Shown {
                phones: vec!["0771-5551234".into()],
                ..Shown::default()
            },
            vec![phone.clone()],
        )),
    )
    .await;
    commit(
        store.as_ref(),
        sweep,
        far.id,
        true,
        vec![],
        Some((Shown::default(), Vec::new())),
    )
    .await;
    let local = by_host(store.as_ref(), "local.test").await;
    assert_eq!(local.state, DiscoveryState::New);
    assert_eq!(local.indicators, [phone]);
    let far = by_host(store.as_ref(), "far.test").await;
    assert_eq!(far.state, DiscoveryState::Remote);
    assert!(far.indicators.is_empty());
    // Remote sites are not crawled again, nor do their links count.
    assert!(!store
        .discovered_hops()
        .await
        .unwrap()
        .contains_key(&far.site_id.unwrap()));
    assert_eq!(
        store.count_discovered(Scope::City, &queue).await.unwrap(),
        2
    );

    // A sighting one hop away later lets an unverified site in at once.
    commit(
        store.as_ref(),
        sweep,
        site_a.id,
        false,
        vec![link("late.test", "http://hop1.test/", 2)],
        None,
    )
    .await;
    assert_eq!(
        by_host(store.as_ref(), "late.test").await.state,
        DiscoveryState::Unverified
    );
    commit(
        store.as_ref(),
        sweep,
        site_a.id,
        false,
        vec![link("late.test", "http://a.test/links", 1)],
        None,
    )
    .await;
    let late = by_host(store.as_ref(), "late.test").await;
    assert_eq!(
        (late.state, late.hops, late.sightings),
        (DiscoveryState::New, 1, 2)
    );
}

async fn filings_and_certificates_are_recorded_once_and_counted_by_source(store: TestStore) {
    let (a, _) = register(store.as_ref()).await;
    // A registered site is never a discovery, whatever names it.
    let new = store
        .record_discoveries(&[filing("d.test", 1), filing("www.a.test", 2)])
        .await
        .unwrap();
    assert_eq!(new, 1);
    // The same filing read again changes nothing.
    let before = by_host(store.as_ref(), "d.test").await;
    assert_eq!(
        store
            .record_discoveries(&[filing("d.test", 1)])
            .await
            .unwrap(),
        0
    );
    assert_eq!(by_host(store.as_ref(), "d.test").await, before);
    assert_eq!(before.source, DiscoverySource::Filing);
    assert_eq!(before.first_sweep, None);
    assert_eq!(before.state, DiscoveryState::New);
    assert_eq!(before.evidence[0].filing.as_ref().unwrap().filing_id, 1);
    assert_eq!(before.indicators.len(), 1);

    // A certificate log: registered on first use, a changed key refused.
    let log = store
        .ct_log("sim", "http://ct.test/", "ab12")
        .await
        .unwrap();
    assert_eq!((log.entries_read, log.position.clone()), (0, None));
    let again = store
        .ct_log("sim", "http://ct2.test/", "ab12")
        .await
        .unwrap();
    assert_eq!(again.url, "http://ct2.test/");
    assert!(matches!(
        store.ct_log("sim", "http://ct2.test/", "cd34").await,
        Err(StoreError::Conflict(_))
    ));
    let cert = |host: &str, index: u64| NewDiscovery {
        host: host.into(),
        path_prefix: String::new(),
        source: DiscoverySource::Ct,
        hops: 1,
        sighting: Sighting {
            certificate: Some(CertSighting {
                log: "sim".into(),
                index,
                fingerprint: format!("sha256:{index:064x}"),
                precert: false,
                names: vec![host.into()],
                organization: Some("南宁市戊贸易有限公司".into()),
                locality: Some("Nanning".into()),
                issuer: "CN=Sim CA".into(),
                not_before: crate::at(0),
                not_after: crate::at(86_400 * 90),
                logged_at: crate::at(60),
            }),
            ..Sighting::default()
        },
        indicators: vec![Indicator::Locality("Nanning".into())],
    };
    let position = serde_json::json!({ "next_index": 2 });
    let new = store
        .save_ct_batch(
            "sim",
            &position,
            3,
            1,
            &[cert("e.test", 0), cert("d.test", 1)],
        )
        .await
        .unwrap();
    assert_eq!(new, 1, "d.test was known from its filing");
    let d = by_host(store.as_ref(), "d.test").await;
    assert_eq!(d.source, DiscoverySource::Filing);
    assert_eq!(d.evidence.len(), 2);
    assert_eq!(d.indicators.len(), 2);
    store
        .ct_failure("sim", "bad_signature", "forged")
        .await
        .unwrap();
    let logs = store.ct_logs().await.unwrap();
    assert_eq!(logs.len(), 1);
    let l = &logs[0];
    assert_eq!(
        (l.entries_read, l.skipped, l.candidates, l.failures),
        (3, 1, 1, 1)
    );
    assert_eq!(l.position.as_ref(), Some(&position));
    assert_eq!(
        l.failure,
        Some(("bad_signature".to_string(), "forged".to_string()))
    );
    // A verified batch clears the failure, and the position moves on.
    let later = serde_json::json!({ "next_index": 4 });
    store.save_ct_batch("sim", &later, 1, 0, &[]).await.unwrap();
    let l = &store.ct_logs().await.unwrap()[0];
    assert_eq!((l.failure.clone(), l.position.clone()), (None, Some(later)));

    // Imitations are marked and filtered.
    let e = by_host(store.as_ref(), "e.test").await;
    let imitation = domain::lookalike::Imitation {
        host: "a.test".into(),
        owner: a.id.0,
        how: domain::lookalike::How::EditDistance(1),
    };
    store.set_imitation(e.id, Some(&imitation)).await.unwrap();
    let marked = store
        .list_discovered(
            Scope::City,
            &DiscoveryFilter {
                imitations: true,
                ..DiscoveryFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0].imitation, Some(imitation));

    // Per source, by state, with the precision of decided ones.
    store
        .decide_discovery(
            d.id,
            DiscoveryState::Rejected,
            None,
            &Actor::system("inspector"),
        )
        .await
        .unwrap();
    store
        .decide_discovery(
            e.id,
            DiscoveryState::Confirmed,
            Some(a.id),
            &Actor::system("inspector"),
        )
        .await
        .unwrap();
    let stats = store.discovery_stats(Scope::City).await.unwrap();
    let of = |s: DiscoverySource| *stats.iter().find(|x| x.source == s).unwrap();
    assert_eq!(stats.len(), 3);
    assert_eq!(of(DiscoverySource::Link).total, 0);
    assert_eq!(of(DiscoverySource::Link).precision(), None);
    assert_eq!(
        (
            of(DiscoverySource::Filing).rejected,
            of(DiscoverySource::Filing).precision()
        ),
        (1, Some(0.0))
    );
    assert_eq!(
        (
            of(DiscoverySource::Ct).confirmed,
            of(DiscoverySource::Ct).precision()
        ),
        (1, Some(1.0))
    );
    let by_source = store
        .list_discovered(
            Scope::City,
            &DiscoveryFilter {
                source: Some(DiscoverySource::Ct),
                ..DiscoveryFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_source.len(), 1);
}

async fn filings_whose_address_no_registered_site_covers(store: TestStore) {
    register(store.as_ref()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("telecom.csv");
    std::fs::write(
        &path,
        format!(
            "网站备案号,主办单位名称,主办单位证件号码,网站域名,审核通过日期,备案状态\n\
             桂ICP备2017001234号-1,南宁市甲商贸有限公司,{a},www.a.test,2017-03-08,正常\n\
             桂ICP备2019000003号-1,南宁市丁网络工作室,,d.test,2019-05-05,正常\n\
             桂ICP备2019000004号-1,南宁市戊网络工作室,,http://bad host/,2019-05-05,正常\n",
            a = uscc("MA5K0301")
        ),
    )
    .unwrap();
    let mapping = filings::Mapping::builtin("telecom").unwrap();
    let s = filings::import_filings(
        store.as_ref(),
        &path,
        &mapping,
        &import::ImportOptions::default(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    )
    .await
    .unwrap();
    // A domain that cannot be read is rejected with its line; the rest goes in.
    assert_eq!((s.created, s.rejected), (2, 1), "{s}");
    let rejects = std::fs::read_to_string(s.reject_file.unwrap()).unwrap();
    assert!(
        rejects.contains("4,") && rejects.contains("网站域名 (domain)"),
        "{rejects}"
    );
    // A food licence for selling online names the address it sells at.
    let food = dir.path().join("food.csv");
    std::fs::write(
        &food,
        format!(
            "许可证编号,社会信用代码,经营者名称,经营项目,发证日期,有效期至,网址\n\
             JY24501030012345,{a},南宁市甲商贸有限公司,热食类食品制售,2022-03-01,2027-02-28,waimai-jia.test\n",
            a = uscc("MA5K0301")
        ),
    )
    .unwrap();
    filings::import_filings(
        store.as_ref(),
        &food,
        &filings::Mapping::builtin("food").unwrap(),
        &import::ImportOptions::default(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    )
    .await
    .unwrap();
    let unsited = store.unsited_filings().await.unwrap();
    let domains: Vec<Option<String>> = unsited.iter().map(|f| f.input.domain.clone()).collect();
    assert_eq!(
        domains,
        [
            Some("waimai-jia.test".to_string()),
            Some("d.test".to_string())
        ]
    );
}

crate::on_every_backend!(
    sites_two_hops_away_need_a_city_indicator,
    filings_and_certificates_are_recorded_once_and_counted_by_source,
    filings_whose_address_no_registered_site_covers,
);
