//! Re-scoring with the shipped index system: scores recomputed independently from the rows
//! the test made; a changed weight re-scores everyone with the new version and explains the
//! moved indicators; an invalid file is refused whole; the hard rules override the score.

use crate::Db;
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use credit::index::DEFAULT_INDEX;
use credit::rescore::{load_index, rescore_all, rescore_stale, Loaded};
use credit::{CreditError, IndexProblem};
use domain::{Category, CreditClass, EntityId, EntityStatus, ListKind, SiteKind};
use std::collections::BTreeMap;
use store::{Actor, EntityFilter, EntityInput, NewFinding, Scope, SiteFilter};

const N: usize = 36;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

fn days_before(d: u64) -> NaiveDate {
    as_of().checked_sub_days(Days::new(d)).unwrap()
}

fn ts(d: NaiveDate) -> String {
    format!("{d}T08:00:00+00:00")
}

fn at(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap())
        .and_utc()
}

/// What the test put on record for one entity, to recompute its score by hand.
#[derive(Debug, Clone, Default)]
struct Record {
    established_days: Option<u64>,
    capital_wan: Option<f64>,
    permits_expired: u32,
    high_findings: u32,
    low_findings: u32,
    rect_met: u32,
    cases: u32,
    fine_fen: i64,
    rect_missed: u32,
    abnormal: bool,
    serious: bool,
    evaluation: Option<f64>,
    commitment_kept: bool,
}

fn uscc(i: usize) -> String {
    domain::Uscc::complete("91450103", &format!("MA6KD{i:03}"))
        .unwrap()
        .to_string()
}

fn district(i: usize) -> &'static str {
    ["450103", "450102", "450105"][i % 3]
}

/// Makes N entities with varied records; returns their ids and records.
async fn populate(db: &Db) -> Vec<(EntityId, Record)> {
    let store = db.store.as_ref();
    let capitals = [
        (Some("50万元"), Some(50.0)),
        (Some("1000000元"), Some(100.0)),
        (Some("5000"), Some(5000.0)),
        (None, None),
        (Some("8万"), Some(8.0)),
        (Some("面议"), None),
    ];
    let mut inputs = Vec::new();
    let mut records = Vec::new();
    for i in 0..N {
        let mut r = Record::default();
        let mut e = EntityInput::new(
            &uscc(i),
            &format!("南宁市信用测试商行{i:02}"),
            if i % 2 == 0 {
                SiteKind::TradingSite
            } else {
                SiteKind::PlatformShop
            },
            domain::DistrictCode::parse(district(i)).unwrap(),
        );
        e.domains = vec![format!("e{i}.credit.test")];
        if i % 5 != 0 {
            let d = (i as u64) * 97;
            r.established_days = Some(d);
            e.established = Some(days_before(d));
        }
        let (text, wan) = capitals[i % capitals.len()];
        e.registered_capital = text.map(str::to_string);
        r.capital_wan = wan;
        if i == 5 {
            e.status = EntityStatus::Abnormal;
            r.abnormal = true;
        }
        if i == 6 {
            e.status = EntityStatus::SeriousViolation;
            r.serious = true;
        }
        inputs.push(e);
        records.push(r);
    }
    store.upsert_entities(&inputs, "test").await.unwrap();
    let entities = store
        .list_entities(Scope::City, &EntityFilter::default())
        .await
        .unwrap();
    let sites = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap();
    let id_of = |i: usize| {
        entities
            .iter()
            .find(|e| e.input.uscc == uscc(i))
            .unwrap()
            .id
    };
    let site_of = |i: usize| {
        sites
            .iter()
            .find(|s| s.host == format!("e{i}.credit.test"))
            .unwrap()
            .id
    };

    db.exec(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at) \
         VALUES (9001, 'eval', '评价员', 'evaluator', 'x', '2026-01-01T00:00:00+00:00')",
    )
    .await;
    let sweep = store
        .create_sweep(&(0..N).map(site_of).collect::<Vec<_>>())
        .await
        .unwrap();
    let mut findings = Vec::new();
    let mut case_id = 5000;
    let mut outcome_id = 7000;
    for (i, r) in records.iter_mut().enumerate() {
        let id = id_of(i);
        let site = site_of(i);
        let finding = |n: usize, cat: Category, d: u64| NewFinding {
            sweep_id: sweep,
            site_id: site,
            fetch_id: None,
            url: format!("http://e{i}.credit.test/"),
            category: cat,
            rule_id: format!("{}.r", cat.code()),
            rule_pack: "core@1".into(),
            severity: cat.severity(),
            excerpt: format!("摘录{i}-{n}"),
            location: "text".into(),
            evidence: None,
            found_at: at(days_before(d)),
            suppressed: None,
        };
        // High (and critical) findings in the year; low ones; one high finding too old.
        for n in 0..(i % 4) {
            let cat = if n == 0 {
                Category::ContentGambling
            } else {
                Category::AdMedicalClaim
            };
            findings.push(finding(n, cat, 10 + n as u64));
            r.high_findings += 1;
        }
        for n in 0..(i % 3) {
            findings.push(finding(10 + n, Category::IcpNotDisplayed, 30));
            r.low_findings += 1;
        }
        // Medium findings count among "low and above".
        if i % 7 == 3 {
            findings.push(finding(20, Category::AdAbsoluteTerm, 100));
            r.low_findings += 1;
        }
        if i % 6 == 0 {
            findings.push(finding(30, Category::LicenseUsccInvalid, 400));
        }
        // Cases within three years, one older; a fine on the first.
        for c in 0..(i % 3) {
            case_id += 1;
            db.exec(&format!(
                "INSERT INTO cases (id, number, site_id, entity_id, district, stage, summary, \
                 opened_at, opened_by, decide_by) VALUES ({case_id}, '测{case_id}', {}, {}, \
                 '{}', 'decided', '摘要', '{}', 'test', '2026-12-31')",
                site.0,
                id.0,
                district(i),
                ts(days_before(200 + c as u64))
            ))
            .await;
            r.cases += 1;
            if c == 0 {
                outcome_id += 1;
                let fine = (i as i64) * 123_456;
                db.exec(&format!(
                    "INSERT INTO outcomes (id, case_id, kind, created_at, created_by, \
                     decision_no, legal_basis, fine_fen) VALUES ({outcome_id}, {case_id}, \
                     'penalty', '{}', 'test', '罚{outcome_id}', '法', {fine})",
                    ts(days_before(150))
                ))
                .await;
                r.fine_fen += fine;
                // Rectification orders re-checked: met for some, missed for others.
                for (kind, compliant) in [(i % 4 == 1, true), (i % 5 == 2, false)] {
                    if !kind {
                        continue;
                    }
                    outcome_id += 1;
                    db.exec(&format!(
                        "INSERT INTO outcomes (id, case_id, kind, created_at, created_by, \
                         due_on, urls, rechecked_at, compliant) VALUES ({outcome_id}, \
                         {case_id}, 'rectification', '{}', 'test', '{}', '[]', '{}', {})",
                        ts(days_before(150)),
                        days_before(120),
                        ts(days_before(100)),
                        if compliant { "TRUE" } else { "FALSE" }
                    ))
                    .await;
                    if compliant {
                        r.rect_met += 1;
                    } else {
                        r.rect_missed += 1;
                    }
                }
            }
        }
        if i % 8 == 7 {
            case_id += 1;
            db.exec(&format!(
                "INSERT INTO cases (id, number, site_id, entity_id, district, stage, summary, \
                 opened_at, opened_by, decide_by) VALUES ({case_id}, '测{case_id}', {}, {}, \
                 '{}', 'closed', '旧案', '{}', 'test', '2022-12-31')",
                site.0,
                id.0,
                district(i),
                ts(days_before(1200))
            ))
            .await;
        }
        if i == 3 || i == 9 {
            db.exec(&format!(
                "INSERT INTO credit_listings (entity_id, list, cause, listed_on, listed_at, \
                 listed_by) VALUES ({}, 'abnormal', 'not_contactable', '{}', '{}', 'test')",
                id.0,
                days_before(40),
                ts(days_before(40))
            ))
            .await;
            r.abnormal = true;
        }
        if i == 4 || i == 9 {
            db.exec(&format!(
                "INSERT INTO credit_listings (entity_id, list, cause, listed_on, listed_at, \
                 listed_by) VALUES ({}, 'serious_violation', '严重违法', '{}', '{}', 'test')",
                id.0,
                days_before(40),
                ts(days_before(40))
            ))
            .await;
            r.serious = true;
        }
        if i == 10 {
            // A removed listing does not count.
            db.exec(&format!(
                "INSERT INTO credit_listings (entity_id, list, cause, listed_on, listed_at, \
                 listed_by, removed_on, removed_reason, removed_by) VALUES ({}, 'abnormal', \
                 'not_contactable', '{}', '{}', 'test', '{}', 'corrected', 'test')",
                id.0,
                days_before(90),
                ts(days_before(90)),
                days_before(20)
            ))
            .await;
        }
        if i % 4 == 2 {
            let score = 40 + i as i64;
            db.exec(&format!(
                "INSERT INTO credit_evaluations (entity_id, evaluator_id, score, evaluated_on, \
                 summary, created_at) VALUES ({0}, 9001, 99, '{1}', '旧', '{2}'), \
                 ({0}, 9001, {score}, '{3}', '新', '{4}')",
                id.0,
                days_before(300),
                ts(days_before(300)),
                days_before(30),
                ts(days_before(30))
            ))
            .await;
            r.evaluation = Some(score as f64);
        }
        if i % 3 != 2 {
            let broken = if i % 3 == 1 {
                format!("'{}'", days_before(5))
            } else {
                "NULL".into()
            };
            db.exec(&format!(
                "INSERT INTO credit_commitments (entity_id, made_on, text, recorded_at, \
                 recorded_by, broken_on) VALUES ({}, '{}', '承诺', '{}', 'test', {broken})",
                id.0,
                days_before(60),
                ts(days_before(60))
            ))
            .await;
            r.commitment_kept = i % 3 == 0;
        }
        if i % 4 == 1 {
            db.exec(&format!(
                "INSERT INTO filings (source, record_key, kind, valid_until, entity_id, \
                 imported_at, updated_at) VALUES ('food', 'k{i}a', 'food_permit', '{}', {1}, \
                 '{2}', '{2}'), ('food', 'k{i}b', 'food_permit', '{3}', {1}, '{2}', '{2}')",
                days_before(1),
                id.0,
                ts(days_before(400)),
                as_of()
            ))
            .await;
            r.permits_expired = 1;
        }
    }
    store.record_findings(&findings).await.unwrap();
    (0..N).map(|i| (id_of(i), records[i].clone())).collect()
}

/// The default index system's arithmetic, written out again from the design (not through
/// the crate's scoring): (score, class after the hard rules), with the family weights given.
fn by_hand(r: &Record, families: [f64; 4]) -> (f64, CreditClass) {
    let steps = |x: f64, s: &[(f64, f64)]| {
        let mut p = 0.0;
        for (sx, sp) in s {
            if x >= *sx {
                p = *sp;
            }
        }
        p
    };
    let decay = |k: f64, x: f64| f64::max(0.0, 100.0 - k * x);
    let a01 = match r.established_days {
        Some(d) => steps(
            d as f64 / 365.25,
            &[(0.0, 40.0), (1.0, 60.0), (3.0, 80.0), (5.0, 100.0)],
        ),
        None => 40.0,
    };
    let a02 = match r.capital_wan {
        Some(w) => steps(
            w,
            &[(0.0, 50.0), (10.0, 70.0), (100.0, 90.0), (1000.0, 100.0)],
        ),
        None => 50.0,
    };
    let a03 = decay(50.0, r.permits_expired as f64);
    let b01 = decay(25.0, r.high_findings as f64);
    let b02 = decay(5.0, (r.high_findings + r.low_findings) as f64);
    let b03 = if r.rect_met >= 1 { 100.0 } else { 70.0 };
    let c01 = decay(20.0, r.cases as f64);
    let yuan = r.fine_fen as f64 / 100.0;
    let c02 = steps(
        yuan,
        &[(0.0, 100.0), (1.0, 80.0), (10000.0, 50.0), (100000.0, 20.0)],
    );
    let c03 = decay(50.0, r.rect_missed as f64);
    let c04 = if r.abnormal { 0.0 } else { 100.0 };
    let c05 = if r.serious { 0.0 } else { 100.0 };
    let d01 = r.evaluation.unwrap_or(70.0);
    let d02 = if r.commitment_kept { 100.0 } else { 60.0 };
    // D03: no complaint is upheld in these records.
    let d03 = 100.0;
    let [wa, wb, wc, wd] = families;
    let score = wa * (0.4 * a01 + 0.3 * a02 + 0.3 * a03)
        // B04 (亮照有效): no badge in these records, 80 points.
        + wb * (0.45 * b01 + 0.3 * b02 + 0.15 * b03 + 0.1 * 80.0)
        + wc * (0.25 * c01 + 0.2 * c02 + 0.2 * c03 + 0.2 * c04 + 0.15 * c05)
        + wd * (0.5 * d01 + 0.2 * d02 + 0.3 * d03);
    let mut class = if score >= 85.0 {
        CreditClass::A
    } else if score >= 70.0 {
        CreditClass::B
    } else if score >= 55.0 {
        CreditClass::C
    } else {
        CreditClass::D
    };
    if r.serious {
        class = CreditClass::D;
    } else if r.abnormal && class < CreditClass::C {
        class = CreditClass::C;
    }
    (score, class)
}

const DEFAULT_FAMILIES: [f64; 4] = [0.15, 0.35, 0.35, 0.15];
const CHANGED_FAMILIES: [f64; 4] = [0.05, 0.45, 0.35, 0.15];

fn changed_file() -> String {
    let text = DEFAULT_INDEX
        .replace("version = \"2026.2\"", "version = \"2026.3\"")
        .replace(
            "code = \"A\"\nname = \"基本属性\"\nweight = 0.15",
            "code = \"A\"\nname = \"基本属性\"\nweight = 0.05",
        )
        .replace(
            "code = \"B\"\nname = \"网上经营行为\"\nweight = 0.35",
            "code = \"B\"\nname = \"网上经营行为\"\nweight = 0.45",
        );
    assert_ne!(text, DEFAULT_INDEX);
    text
}

fn cli() -> Actor {
    Actor::system("cli:test")
}

async fn loaded_default(db: &Db) -> Vec<(EntityId, Record)> {
    let records = populate(db).await;
    let store = db.store.as_ref();
    assert!(matches!(
        load_index(store, DEFAULT_INDEX, &cli(), None)
            .await
            .unwrap(),
        Loaded::New(_)
    ));
    let report = rescore_all(store, as_of()).await.unwrap();
    assert_eq!(report.entities, N as u64);
    assert_eq!(report.archived, N as u64);
    assert_eq!(report.version, "2026.2");
    records
}

async fn scores_recomputed_independently(db: Db) {
    let records = loaded_default(&db).await;
    let store = db.store.as_ref();
    let mut classes = BTreeMap::new();
    for (id, r) in &records {
        let g = store.credit_grade(Scope::City, *id).await.unwrap().unwrap();
        let (score, class) = by_hand(r, DEFAULT_FAMILIES);
        assert!(
            (g.score - score).abs() < 1e-9,
            "entity {id}: stored {} by hand {score} ({r:?})",
            g.score
        );
        assert_eq!(g.class, class, "entity {id} ({r:?})");
        assert_eq!(g.index_version, "2026.2");
        *classes.entry(class).or_insert(0) += 1;
    }
    // The sample spans the classes.
    assert!(classes.len() >= 3, "{classes:?}");
    // Nothing is stale after a full re-scoring; a second one archives nothing.
    assert_eq!(store.count_credit_stale().await.unwrap(), 0);
    let again = rescore_all(store, as_of()).await.unwrap();
    assert_eq!(again.archived, 0);
}

async fn a_changed_weight_rescores_everyone(db: Db) {
    let records = loaded_default(&db).await;
    let store = db.store.as_ref();
    let Loaded::New(v) = load_index(store, &changed_file(), &cli(), None)
        .await
        .unwrap()
    else {
        panic!("a new version")
    };
    assert_eq!(v.version, "2026.3");
    let report = rescore_all(store, as_of()).await.unwrap();
    assert_eq!(report.entities, N as u64);
    assert_eq!(report.version, "2026.3");
    let mut moved_class = 0;
    for (id, r) in &records {
        let view = credit::archive::credit_of(store, Scope::City, *id)
            .await
            .unwrap();
        assert_eq!(view.grade.index_version, "2026.3");
        let (before_score, before) = by_hand(r, DEFAULT_FAMILIES);
        let (score, class) = by_hand(r, CHANGED_FAMILIES);
        assert!((view.grade.score - score).abs() < 1e-9);
        assert_eq!(view.grade.class, class);
        let prev = view.previous.as_ref().expect("the archive's earlier grade");
        assert_eq!(prev.index_version, "2026.2");
        assert_eq!(prev.class, before);
        assert!((prev.score - before_score).abs() < 1e-9);
        // Every indicator of families A and B moved (their weights changed); C's and D's
        // did not.
        let moved: Vec<&str> = view.moved.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(
            moved,
            ["A01", "A02", "A03", "B01", "B02", "B03", "B04"],
            "entity {id}"
        );
        let a01 = &view.moved[0];
        assert!((a01.after - a01.before.unwrap() / 3.0).abs() < 1e-9);
        // The bars: each family's contribution sums its indicators'.
        assert_eq!(view.families.len(), 4);
        let total: f64 = view.families.iter().map(|f| f.contribution).sum();
        assert!((total - view.grade.score).abs() < 1e-6);
        if class != before {
            moved_class += 1;
        }
        assert_eq!(
            store.credit_history(Scope::City, *id).await.unwrap().len(),
            2
        );
    }
    assert!(moved_class > 0, "the change moves some entity's class");
}

async fn an_invalid_file_is_refused_whole(db: Db) {
    let records = loaded_default(&db).await;
    let store = db.store.as_ref();
    let bad = changed_file()
        .replace("source = \"cases\"", "source = \"cases.open\"")
        .replace("code = \"D02\"", "code = \"D01\"")
        .replace(
            "weight = 0.5\nsource = \"evaluation.score\"",
            "weight = 0.3\nsource = \"evaluation.score\"",
        );
    let Err(CreditError::Invalid(problems)) = load_index(store, &bad, &cli(), None).await else {
        panic!("refused")
    };
    assert!(problems.contains(&IndexProblem::UnknownSource {
        code: "C01".into(),
        source: "cases.open".into()
    }));
    assert!(problems.contains(&IndexProblem::DuplicateCode { code: "D01".into() }));
    assert!(problems.iter().any(|p| matches!(p,
        IndexProblem::WeightsNotSummingToOne { parent: Some(p), sum } if p == "D" && (sum - 0.8).abs() < 1e-9)));
    // Not TOML at all: the line and column.
    let Err(CreditError::Invalid(syntax)) =
        load_index(store, "version = \"x\"\n[classes\n", &cli(), None).await
    else {
        panic!("refused")
    };
    assert!(matches!(syntax[..], [IndexProblem::Syntax { line: 2, .. }]));
    // The version in force stays, and so do the grades.
    assert_eq!(
        store.current_credit_index().await.unwrap().unwrap().version,
        "2026.2"
    );
    assert_eq!(store.credit_index_versions().await.unwrap().len(), 1);
    let (id, _) = &records[0];
    assert_eq!(
        store
            .credit_grade(Scope::City, *id)
            .await
            .unwrap()
            .unwrap()
            .index_version,
        "2026.2"
    );
    // The same version with another text is refused too; a person without the permission
    // may not load.
    let other = DEFAULT_INDEX.replace("weight = 0.4\nsource", "weight = 0.40\nsource");
    assert!(matches!(
        load_index(store, &other, &cli(), None).await,
        Err(CreditError::VersionReused { version }) if version == "2026.2"
    ));
    assert!(matches!(
        load_index(
            store,
            &changed_file(),
            &cli(),
            Some(domain::Role::Inspector)
        )
        .await,
        Err(CreditError::NotPermitted)
    ));
    assert!(matches!(
        load_index(store, DEFAULT_INDEX, &cli(), None)
            .await
            .unwrap(),
        Loaded::Unchanged(_)
    ));
}

async fn hard_rules_override_and_stale_marks_rescore(db: Db) {
    let records = loaded_default(&db).await;
    let store = db.store.as_ref();
    let grade = |i: usize| {
        let id = records[i].0;
        async move { store.credit_grade(Scope::City, id).await.unwrap().unwrap() }
    };
    // Serious-violation listing (4) and register status (6): D whatever the score.
    for i in [4, 6, 9] {
        let g = grade(i).await;
        assert_eq!(g.class, CreditClass::D, "entity {i}");
        if g.score_class != CreditClass::D {
            assert_eq!(g.overridden, Some(ListKind::SeriousViolation));
        }
    }
    // Abnormal listing (3) and register status (5): at least C, said so when it moved.
    for i in [3, 5] {
        let g = grade(i).await;
        assert!(g.class >= CreditClass::C, "entity {i}");
        assert_eq!(
            g.overridden.is_some(),
            g.score_class < CreditClass::C,
            "entity {i}: {g:?}"
        );
    }
    let g4 = grade(4).await;
    assert!(
        g4.score_class < CreditClass::D,
        "the rule, not the score, made it D: {g4:?}"
    );
    assert_eq!(g4.overridden, Some(ListKind::SeriousViolation));

    // The listing ends (raw, then marked as the lists' writes mark): the stale re-scoring
    // puts the score's class back.
    db.exec(&format!(
        "UPDATE credit_listings SET removed_on = '{}', removed_reason = 'repaired', \
         removed_by = 'test' WHERE entity_id = {} AND removed_on IS NULL",
        as_of(),
        records[4].0 .0
    ))
    .await;
    db.exec(&format!(
        "INSERT INTO credit_stale (entity_id, since) VALUES ({}, '2026-01-01T00:00:00+00:00')",
        records[4].0 .0
    ))
    .await;
    let report = rescore_stale(store, as_of()).await.unwrap();
    assert_eq!(report.entities, 1);
    assert_eq!(report.archived, 1);
    let g4 = grade(4).await;
    assert_eq!(g4.overridden, None);
    assert_eq!(g4.class, g4.score_class);
    assert_eq!(store.count_credit_stale().await.unwrap(), 0);

    // A new finding (a sweep's write) marks its entity; the stale re-scoring counts it.
    let sites = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap();
    let site = sites.iter().find(|s| s.host == "e11.credit.test").unwrap();
    let sweep = store.create_sweep(&[site.id]).await.unwrap();
    store
        .record_findings(&[NewFinding {
            sweep_id: sweep,
            site_id: site.id,
            fetch_id: None,
            url: "http://e11.credit.test/x".into(),
            category: Category::GoodsProhibited,
            rule_id: "goods.prohibited.r".into(),
            rule_pack: "core@1".into(),
            severity: Category::GoodsProhibited.severity(),
            excerpt: "新的".into(),
            location: "text".into(),
            evidence: None,
            found_at: at(days_before(1)),
            suppressed: None,
        }])
        .await
        .unwrap();
    let before = grade(11).await;
    let report = rescore_stale(store, as_of()).await.unwrap();
    assert_eq!(report.entities, 1);
    let after = grade(11).await;
    let mut r = records[11].1.clone();
    r.high_findings += 1;
    assert!((after.score - by_hand(&r, DEFAULT_FAMILIES).0).abs() < 1e-9);
    assert!(after.score < before.score);
}

crate::on_every_backend!(
    scores_recomputed_independently,
    a_changed_weight_rescores_everyone,
    an_invalid_file_is_refused_whole,
    hard_rules_override_and_stale_marks_rescore
);
