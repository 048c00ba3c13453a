//! Credit rows: index versions (a version names one content), the facts scoring reads as
//! grouped queries over a batch, grades with their append-only archive, stale marks left by
//! the writes that change a source's records and removed by the re-scoring that read them.

use crate::{at, district, entity, TestStore, T0};
use ::store::*;
use chrono::NaiveDate;
use domain::{
    CaseStage, Category, CreditClass, EntityId, ListKind, Severity, SiteKind, SweepId, Triage,
};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn version(v: &str, body: &str) -> NewIndexVersion {
    NewIndexVersion {
        version: v.into(),
        name: "测试体系".into(),
        sha256: format!("sha-{body}"),
        body: body.into(),
    }
}

async fn index_versions_name_one_content(store: TestStore) {
    let store = store.as_ref();
    let by = Actor::system("cli:test");
    assert_eq!(store.current_credit_index().await.unwrap(), None);
    let IndexLoad::Loaded(v1) = store
        .load_credit_index(&version("1", "a"), &by)
        .await
        .unwrap()
    else {
        panic!("loaded")
    };
    assert_eq!(v1.version, "1");
    assert_eq!(v1.loaded_by, "cli:test");
    assert!(matches!(
        store.load_credit_index(&version("1", "a"), &by).await.unwrap(),
        IndexLoad::AlreadyInForce(v) if v == v1
    ));
    assert!(matches!(
        store.load_credit_index(&version("1", "b"), &by).await,
        Err(StoreError::Conflict(_))
    ));
    let IndexLoad::Loaded(v2) = store
        .load_credit_index(&version("2", "b"), &by)
        .await
        .unwrap()
    else {
        panic!("loaded")
    };
    assert_eq!(
        store.current_credit_index().await.unwrap(),
        Some(v2.clone())
    );
    // An older version cannot come back under its old name.
    assert!(matches!(
        store.load_credit_index(&version("1", "a"), &by).await,
        Err(StoreError::Conflict(_))
    ));
    let all = store.credit_index_versions().await.unwrap();
    assert_eq!(all, vec![v2, v1]);
    let audit = store.audit_of("credit_index:2").await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "load");
}

/// Two entities (a: 青秀区 with a site, b: 兴宁区); returns their ids and a's site.
async fn two(store: &dyn Store) -> (EntityId, EntityId, Site) {
    let mut a = entity(
        "MA6KCR01",
        "南宁市甲信用商行",
        SiteKind::TradingSite,
        "450103",
        &["a.cr.test"],
    );
    a.established = Some(day("2020-01-01"));
    a.registered_capital = Some("100万元".into());
    let b = entity(
        "MA6KCR02",
        "南宁市乙信用商行",
        SiteKind::TradingSite,
        "450102",
        &[],
    );
    store.upsert_entities(&[a, b], "test").await.unwrap();
    let es = store
        .list_entities(Scope::City, &EntityFilter::default())
        .await
        .unwrap();
    let id = |n: &str| es.iter().find(|e| e.input.name == n).unwrap().id;
    let site = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap()
        .remove(0);
    (id("南宁市甲信用商行"), id("南宁市乙信用商行"), site)
}

fn finding(sweep: SweepId, site: &Site, category: Category, n: i64, secs: i64) -> NewFinding {
    NewFinding {
        sweep_id: sweep,
        site_id: site.id,
        fetch_id: None,
        url: format!("http://{}/", site.host),
        category,
        rule_id: format!("{}.1", category.code()),
        rule_pack: "core@1".into(),
        severity: category.severity(),
        excerpt: format!("excerpt {n}"),
        location: "text".into(),
        evidence: None,
        found_at: at(secs),
        suppressed: None,
    }
}

async fn stale(store: &dyn Store) -> Vec<EntityId> {
    let mut s: Vec<EntityId> = store
        .credit_stale(100)
        .await
        .unwrap()
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    s.sort();
    s
}

fn value(batch: &FactBatch, q: usize, e: EntityId) -> Option<f64> {
    batch.values[q]
        .iter()
        .find(|(x, _)| *x == e)
        .map(|(_, v)| *v)
}

async fn facts_are_grouped_and_writes_mark_stale(store: TestStore) {
    let raw = &store;
    let store = store.as_ref();
    let (a, b, site) = two(store).await;
    // The import marked both.
    assert_eq!(stale(store).await, vec![a, b]);
    assert_eq!(store.count_credit_stale().await.unwrap(), 2);

    // Findings: two high (one a year and more ago), one medium, one low.
    let sweep = store.create_sweep(&[site.id]).await.unwrap();
    let year = 366 * 86_400;
    store
        .record_findings(&[
            finding(sweep, &site, Category::LicenseUsccInvalid, 1, T0 + 100),
            finding(sweep, &site, Category::AdMedicalClaim, 2, T0 - year),
            finding(sweep, &site, Category::AdAbsoluteTerm, 3, T0 + 200),
            finding(sweep, &site, Category::IcpNotDisplayed, 4, T0 + 300),
        ])
        .await
        .unwrap();
    let as_of = day("2024-03-10");
    let queries = [
        FactQuery::Findings {
            days: 365,
            min_severity: Severity::High,
            categories: vec![],
        },
        FactQuery::Findings {
            days: 365,
            min_severity: Severity::Low,
            categories: vec![],
        },
        FactQuery::Findings {
            days: 800,
            min_severity: Severity::Low,
            categories: vec!["ad".into(), "icp.not_displayed".into()],
        },
        FactQuery::Cases { days: 30 },
        FactQuery::FinesFen { days: 30 },
        FactQuery::Rechecked {
            days: 30,
            compliant: false,
        },
        FactQuery::Listed(ListKind::Abnormal),
        FactQuery::Evaluation { days: 30 },
        FactQuery::CommitmentKept,
        FactQuery::PermitsExpired,
    ];
    let all = store
        .credit_facts(
            &FactSelect::After {
                after: 0,
                limit: 10,
            },
            &queries,
            as_of,
        )
        .await
        .unwrap();
    assert_eq!(all.register.len(), 2);
    let ra = all.register.iter().find(|r| r.entity == a).unwrap();
    assert_eq!(ra.established, Some(day("2020-01-01")));
    assert_eq!(ra.registered_capital.as_deref(), Some("100万元"));
    assert_eq!(ra.legal_form, "enterprise");
    assert_eq!(ra.status, "active");
    assert_eq!(value(&all, 0, a), Some(1.0));
    assert_eq!(value(&all, 1, a), Some(3.0));
    assert_eq!(
        value(&all, 2, a),
        Some(3.0),
        "ad.* twice and icp.not_displayed"
    );
    assert_eq!(value(&all, 1, b), None);
    // A batch by id range sees only its entities.
    let first = store
        .credit_facts(&FactSelect::After { after: 0, limit: 1 }, &queries, as_of)
        .await
        .unwrap();
    assert_eq!(first.register.len(), 1);
    assert!(first
        .values
        .iter()
        .flatten()
        .all(|(e, _)| *e == first.register[0].entity));

    // Triage: dismissing a finding takes it out of the counts and marks the entity.
    store.write_credit_grades(&[], at(T0)).await.unwrap();
    raw.exec_raw("DELETE FROM credit_stale").await.unwrap();
    let low = store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.finding.category == Category::IcpNotDisplayed)
        .unwrap();
    store
        .triage_finding(
            Scope::City,
            low.id,
            &TriageDecision {
                decision: Triage::FalsePositive,
                reason: Some("误报".into()),
            },
            &Actor::system("cli:test"),
        )
        .await
        .unwrap();
    assert_eq!(stale(store).await, vec![a]);

    // Cases, outcomes, listings, evaluations, commitments, filings (raw rows, then through the
    // store's writes that mark).
    for sql in [
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at) \
         VALUES (801, 'ev', '评价员', 'evaluator', 'x', '2024-03-01T00:00:00+00:00')"
            .to_string(),
        format!(
            "INSERT INTO cases (id, number, site_id, entity_id, district, stage, summary, \
             opened_at, opened_by, decide_by) VALUES (901, '案1', {}, {}, '450103', 'decided', \
             '摘要', '2024-03-05T00:00:00+00:00', 'cli:test', '2024-06-01')",
            site.id.0, a.0
        ),
        format!(
            "INSERT INTO credit_listings (entity_id, list, cause, listed_on, listed_at, \
             listed_by) VALUES ({}, 'abnormal', 'not_contactable', '2024-03-01', \
             '2024-03-01T00:00:00+00:00', 'cli:test')",
            b.0
        ),
        format!(
            "INSERT INTO credit_evaluations (entity_id, evaluator_id, score, evaluated_on, \
             summary, created_at) VALUES ({0}, 801, 60, '2024-03-01', '一', \
             '2024-03-01T00:00:00+00:00'), ({0}, 801, 90, '2024-03-08', '二', \
             '2024-03-08T00:00:00+00:00'), ({0}, 801, 10, '2023-01-08', '旧', \
             '2023-01-08T00:00:00+00:00')",
            a.0
        ),
        format!(
            "INSERT INTO credit_commitments (entity_id, made_on, text, recorded_at, \
             recorded_by) VALUES ({}, '2024-01-01', '承诺', '2024-01-01T00:00:00+00:00', 'x')",
            b.0
        ),
        format!(
            "INSERT INTO filings (source, record_key, kind, valid_until, entity_id, \
             imported_at, updated_at) VALUES ('food', 'k1', 'food_permit', '2024-03-01', {0}, \
             '2024-03-01T00:00:00+00:00', '2024-03-01T00:00:00+00:00'), ('food', 'k2', \
             'food_permit', '2030-01-01', {0}, '2024-03-01T00:00:00+00:00', \
             '2024-03-01T00:00:00+00:00')",
            a.0
        ),
    ] {
        raw.exec_raw(&sql).await.unwrap();
    }
    raw.exec_raw("DELETE FROM credit_stale").await.unwrap();
    let sys = Actor::system("cli:test");
    store
        .add_outcome(
            domain::CaseId(901),
            CaseStage::Decided,
            &OutcomeDetail::Penalty {
                decision_no: "南市监罚〔2024〕1号".into(),
                legal_basis: "广告法".into(),
                fine_fen: 1_234_500,
                confiscation: None,
            },
            &sys,
        )
        .await
        .unwrap();
    assert_eq!(stale(store).await, vec![a]);
    raw.exec_raw("DELETE FROM credit_stale").await.unwrap();
    let rect = store
        .add_outcome(
            domain::CaseId(901),
            CaseStage::Decided,
            &OutcomeDetail::Rectification {
                due_on: day("2024-03-09"),
                urls: vec![],
                recheck_sweep: None,
                rechecked_at: None,
                compliant: None,
            },
            &sys,
        )
        .await
        .unwrap();
    raw.exec_raw("DELETE FROM credit_stale").await.unwrap();
    let recheck = store.create_recheck(site.id).await.unwrap();
    store
        .record_recheck(
            &Recheck {
                outcome: rect,
                sweep: recheck,
                compliant: false,
                reopen_from: None,
            },
            &sys,
        )
        .await
        .unwrap();
    assert_eq!(stale(store).await, vec![a]);

    let ids = store
        .credit_facts(&FactSelect::Ids(vec![b, a]), &queries, as_of)
        .await
        .unwrap();
    assert_eq!(ids.register.len(), 2);
    assert_eq!(value(&ids, 1, a), Some(2.0), "the false positive is out");
    assert_eq!(value(&ids, 3, a), Some(1.0));
    assert_eq!(value(&ids, 4, a), Some(1_234_500.0));
    assert_eq!(value(&ids, 5, a), Some(1.0));
    assert_eq!(value(&ids, 6, b), Some(1.0));
    assert_eq!(value(&ids, 6, a), None);
    assert_eq!(
        value(&ids, 7, a),
        Some(90.0),
        "the latest evaluation in the window"
    );
    assert_eq!(value(&ids, 8, b), Some(1.0));
    assert_eq!(
        value(&ids, 9, a),
        Some(1.0),
        "one permit ran out before the as-of date"
    );
    // A window that ends before the case: none.
    let later = store
        .credit_facts(&FactSelect::Ids(vec![a]), &queries, day("2024-06-10"))
        .await
        .unwrap();
    assert_eq!(value(&later, 3, a), None);
    assert_eq!(value(&later, 7, a), None);

    // Filings through the store mark their entity.
    raw.exec_raw("DELETE FROM credit_stale").await.unwrap();
    let events = store.credit_events(Scope::City, a, 5).await.unwrap();
    assert_eq!(events.cases.len(), 1);
    assert_eq!(events.outcomes.len(), 2);
    assert_eq!(events.findings.len(), 4);
    assert_eq!(events.evaluations[0].score, 90);
    assert!(store
        .credit_events(Scope::district(district("450102")), a, 5)
        .await
        .unwrap()
        .cases
        .is_empty());
}

fn grade(e: EntityId, score: f64, class: CreditClass, v: &str, secs: i64) -> NewGrade {
    NewGrade {
        entity: e,
        score,
        score_class: class,
        class,
        overridden: None,
        index_version: v.into(),
        points: "{}".into(),
        computed_at: at(secs),
    }
}

async fn grades_archive_only_changes(store: TestStore) {
    let store = store.as_ref();
    let (a, b, _) = two(store).await;
    let read = at(T0 + 10_000);
    let w = store
        .write_credit_grades(
            &[
                grade(a, 90.0, CreditClass::A, "1", T0 + 10_000),
                grade(b, 60.0, CreditClass::C, "1", T0 + 10_000),
            ],
            read,
        )
        .await
        .unwrap();
    assert_eq!(
        w,
        GradeWrite {
            scored: 2,
            archived: 2
        }
    );
    assert!(
        stale(store).await.is_empty(),
        "marks made before the read are gone"
    );
    // The same again: current rows rewritten, nothing archived.
    let w = store
        .write_credit_grades(&[grade(a, 90.0, CreditClass::A, "1", T0 + 20_000)], read)
        .await
        .unwrap();
    assert_eq!(
        w,
        GradeWrite {
            scored: 1,
            archived: 0
        }
    );
    // A new version archives even with the same score; a moved score too.
    let mut d = grade(b, 40.0, CreditClass::D, "1", T0 + 30_000);
    d.score_class = CreditClass::D;
    d.overridden = Some(ListKind::SeriousViolation);
    let w = store
        .write_credit_grades(&[grade(a, 90.0, CreditClass::A, "2", T0 + 30_000), d], read)
        .await
        .unwrap();
    assert_eq!(
        w,
        GradeWrite {
            scored: 2,
            archived: 2
        }
    );

    let cur = store.credit_grade(Scope::City, b).await.unwrap().unwrap();
    assert_eq!(cur.class, CreditClass::D);
    assert_eq!(cur.overridden, Some(ListKind::SeriousViolation));
    let hist = store.credit_history(Scope::City, a).await.unwrap();
    assert_eq!(
        hist.iter()
            .map(|g| g.index_version.as_str())
            .collect::<Vec<_>>(),
        ["2", "1"]
    );
    // Out of scope answers like missing.
    let xingning = Scope::district(district("450102"));
    assert_eq!(store.credit_grade(xingning.clone(), a).await.unwrap(), None);
    assert!(store
        .credit_history(xingning.clone(), a)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .credit_grade(xingning.clone(), b)
        .await
        .unwrap()
        .is_some());

    let dist = store.credit_distribution(Scope::City).await.unwrap();
    assert_eq!(dist.len(), 2);
    assert!(dist.contains(&ClassCount {
        district: district("450102"),
        kind: SiteKind::TradingSite,
        class: CreditClass::D,
        count: 1
    }));
    assert_eq!(
        store
            .credit_distribution(xingning.clone())
            .await
            .unwrap()
            .len(),
        1
    );

    let f = CreditFilter {
        class: Some(CreditClass::A),
        ..Default::default()
    };
    let list = store.list_credit_scores(Scope::City, &f).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].entity, a);
    assert_eq!(list[0].name, "南宁市甲信用商行");
    assert_eq!(store.count_credit_scores(Scope::City, &f).await.unwrap(), 1);
    assert_eq!(store.count_credit_scores(xingning, &f).await.unwrap(), 0);
    let all = store
        .list_credit_scores(Scope::City, &CreditFilter::default())
        .await
        .unwrap();
    assert_eq!(all[0].entity, b, "worst first");

    // A mark made after the read stays.
    store
        .upsert_entities(
            &[entity(
                "MA6KCR02",
                "南宁市乙信用商行（新）",
                SiteKind::TradingSite,
                "450102",
                &[],
            )],
            "test",
        )
        .await
        .unwrap();
    assert_eq!(stale(store).await, vec![b]);
    // (The facts were read before the import's mark.)
    store
        .write_credit_grades(&[grade(b, 40.0, CreditClass::D, "2", T0)], at(T0))
        .await
        .unwrap();
    assert_eq!(stale(store).await, vec![b]);
}

crate::on_every_backend!(
    index_versions_name_one_content,
    facts_are_grouped_and_writes_mark_stale,
    grades_archive_only_changes
);
