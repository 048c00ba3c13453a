//! Sorting a list (`store::Sort`): every key of every list runs on both engines in both
//! directions, orders agree between the engines (ranks of closed codes, not their spelling;
//! empty values last either way), and ties fall back to the row id in the same direction, so
//! that pages never overlap.

use crate::{at, entity, on_every_backend, TestStore};
use ::store::*;
use domain::{Category, DistrictCode, Severity, SiteKind};

fn both<K: SortKey>() -> Vec<Option<Sort<K>>> {
    let mut v = vec![None];
    for k in K::ALL {
        v.push(Some(Sort::asc(*k)));
        v.push(Some(Sort::desc(*k)));
    }
    v
}

async fn every_key_of_every_list_runs(store: TestStore) {
    let s = store.as_ref();
    let scopes = [
        Scope::City,
        Scope::Districts(vec![DistrictCode::parse("450103").unwrap()].into()),
    ];
    for scope in scopes {
        for sort in both::<FindingSort>() {
            let f = FindingFilter {
                sort,
                limit: 5,
                ..Default::default()
            };
            s.list_findings(scope.clone(), &f).await.unwrap();
        }
        for sort in both::<ClueSort>() {
            let f = ClueFilter {
                sort,
                limit: 5,
                offset: 5,
                ..Default::default()
            };
            s.list_clues(scope.clone(), &f).await.unwrap();
        }
        for sort in both::<CaseSort>() {
            let f = CaseFilter {
                sort,
                ..Default::default()
            };
            s.list_cases(scope.clone(), &f).await.unwrap();
        }
        for sort in both::<ComplaintSort>() {
            let f = ComplaintFilter {
                sort,
                ..Default::default()
            };
            s.list_complaints(scope.clone(), &f).await.unwrap();
        }
        for sort in both::<BadgeSort>() {
            let f = BadgeFilter {
                sort,
                ..Default::default()
            };
            s.badges(scope.clone(), &f).await.unwrap();
        }
        for sort in both::<SiteSort>() {
            let f = SiteFilter {
                sort,
                ..Default::default()
            };
            s.list_sites(scope.clone(), &f).await.unwrap();
        }
        for sort in both::<EntitySort>() {
            let f = EntityFilter {
                sort,
                ..Default::default()
            };
            s.list_entities(scope.clone(), &f).await.unwrap();
        }
        for sort in both::<ListingSort>() {
            let f = ListingFilter {
                sort,
                ..Default::default()
            };
            s.credit_listings(scope.clone(), &f).await.unwrap();
        }
        for sort in both::<DiscoverySort>() {
            let f = DiscoveryFilter {
                sort,
                ..Default::default()
            };
            s.list_discovered(scope.clone(), &f).await.unwrap();
        }
        for sort in both::<InspectionSort>() {
            let f = InspectionFilter {
                sort,
                ..Default::default()
            };
            s.list_inspections(scope.clone(), &f).await.unwrap();
        }
    }
}

async fn orders_agree_on_both_engines(store: TestStore) {
    store
        .upsert_entities(
            &[
                entity(
                    "MA5K0001",
                    "丙公司",
                    SiteKind::Platform,
                    "450105",
                    &["c.test"],
                ),
                entity(
                    "MA5K0002",
                    "甲公司",
                    SiteKind::TradingSite,
                    "450103",
                    &["a.test"],
                ),
                entity(
                    "MA5K0003",
                    "乙公司",
                    SiteKind::TradingSite,
                    "450107",
                    &["b.test"],
                ),
            ],
            "test",
        )
        .await
        .unwrap();
    // A site of no entity: its entity and district are empty, and sort last both ways.
    store
        .exec_raw(
            "INSERT INTO sites (host, path_prefix, kind, created_at, origin) \
             VALUES ('0-orphan.test', '', 'trading_site', '2024-03-01T00:00:00Z', 'discovered')",
        )
        .await
        .unwrap();

    let names = |v: Vec<Entity>| v.into_iter().map(|e| e.input.name).collect::<Vec<_>>();
    let entities = |sort| {
        let f = EntityFilter {
            sort: Some(sort),
            ..Default::default()
        };
        let s = store.shared();
        async move { names(s.list_entities(Scope::City, &f).await.unwrap()) }
    };
    // Code point order (PostgreSQL's "C" collation is SQLite's).
    assert_eq!(
        entities(Sort::asc(EntitySort::Name)).await,
        ["丙公司", "乙公司", "甲公司"]
    );
    assert_eq!(
        entities(Sort::desc(EntitySort::Name)).await,
        ["甲公司", "乙公司", "丙公司"]
    );
    assert_eq!(
        entities(Sort::asc(EntitySort::District)).await,
        ["甲公司", "丙公司", "乙公司"]
    );
    // Kind by its rank in `SiteKind::ALL` (platform first), ties by id.
    assert_eq!(
        entities(Sort::asc(EntitySort::Kind)).await,
        ["丙公司", "甲公司", "乙公司"]
    );
    assert_eq!(
        entities(Sort::desc(EntitySort::Kind)).await,
        ["乙公司", "甲公司", "丙公司"]
    );

    let hosts = |sort| {
        let f = SiteFilter {
            sort: Some(sort),
            ..Default::default()
        };
        let s = store.shared();
        async move {
            s.list_sites(Scope::City, &f)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.host)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        hosts(Sort::asc(SiteSort::Host)).await,
        ["0-orphan.test", "a.test", "b.test", "c.test"]
    );
    assert_eq!(
        hosts(Sort::asc(SiteSort::District)).await,
        ["a.test", "c.test", "b.test", "0-orphan.test"]
    );
    assert_eq!(
        hosts(Sort::desc(SiteSort::District)).await,
        ["b.test", "c.test", "a.test", "0-orphan.test"]
    );
    assert_eq!(
        hosts(Sort::desc(SiteSort::Entity)).await,
        ["a.test", "b.test", "c.test", "0-orphan.test"]
    );

    // Findings: severity by rank (low … critical), not by its code's spelling; pages of a
    // sorted list neither overlap nor skip.
    let sites = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap();
    let a = sites.iter().find(|s| s.host == "a.test").unwrap().id;
    let sweep = store.create_sweep(&[a]).await.unwrap();
    let categories = [
        Category::AdAbsoluteTerm,
        Category::ContentGambling,
        Category::LicenseNotDisplayed,
    ];
    let mut new = Vec::new();
    for (i, c) in categories.iter().cycle().take(9).enumerate() {
        new.push(NewFinding {
            sweep_id: sweep,
            site_id: a,
            fetch_id: None,
            url: format!("http://a.test/{i}"),
            category: *c,
            rule_id: format!("{}.r1", c.code()),
            rule_pack: "core".into(),
            severity: c.severity(),
            excerpt: format!("摘录{i}"),
            location: "text".into(),
            evidence: None,
            found_at: at(crate::T0 + (i as i64 % 4)),
            suppressed: None,
        });
    }
    store.record_findings(&new).await.unwrap();
    let rank = |s: Severity| Severity::ALL.iter().position(|x| *x == s).unwrap();
    for descending in [false, true] {
        let sort = Some(Sort {
            key: FindingSort::Severity,
            descending,
        });
        let all = store
            .list_findings(
                Scope::City,
                &FindingFilter {
                    sort,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(all.len(), 9);
        for w in all.windows(2) {
            let (x, y) = (&w[0], &w[1]);
            let (rx, ry) = (rank(x.finding.severity), rank(y.finding.severity));
            if descending {
                assert!(rx > ry || (rx == ry && x.id > y.id), "{all:?}");
            } else {
                assert!(rx < ry || (rx == ry && x.id < y.id), "{all:?}");
            }
        }
        let mut paged = Vec::new();
        for offset in [0, 4, 8] {
            paged.extend(
                store
                    .list_findings(
                        Scope::City,
                        &FindingFilter {
                            sort,
                            limit: 4,
                            offset,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|f| f.id),
            );
        }
        assert_eq!(paged, all.iter().map(|f| f.id).collect::<Vec<_>>());
    }
}

on_every_backend!(every_key_of_every_list_runs, orders_agree_on_both_engines);
