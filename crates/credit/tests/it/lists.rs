//! The lists, credit repair and its dates, the serious-violation term, publicity periods,
//! evaluations only of assigned entities, and casework's abnormal listing on the list.

use chrono::{NaiveDate, TimeZone, Utc};
use credit::lists::{self, Caller, ListError};
use credit::publicity::{public_view, PublicityRules};
use credit::{commitments, evaluations, repair};
use domain::{
    CaseStage, DistrictCode, EntityId, ListKind, ListingCause, RemovalReason, RepairState, Role,
    SiteKind, Uscc,
};
use std::sync::Arc;
use store::prelude::*;
use store::{
    Actor, EntityInput, ListingFilter, NewCase, NewUser, OutcomeDetail, Scope, SqliteStore,
};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn qingxiu() -> DistrictCode {
    DistrictCode::parse("450103").unwrap()
}

/// A store whose clock stands at 2024-03-01 08:00 UTC.
async fn store() -> Arc<dyn Store> {
    let s = SqliteStore::open_in_memory()
        .await
        .unwrap()
        .with_clock(Arc::new(|| {
            Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap()
        }));
    Arc::new(s)
}

/// 甲 (a food permit, 青秀区), 乙 (no permit, 青秀区), 丙 (兴宁区).
async fn register(store: &dyn Store) -> (EntityId, EntityId, EntityId) {
    let e = |body: &str, name: &str, d: &str, host: &str| EntityInput {
        domains: vec![host.into()],
        ..EntityInput::new(
            &Uscc::complete("91450103", body).unwrap().to_string(),
            name,
            SiteKind::TradingSite,
            DistrictCode::parse(d).unwrap(),
        )
    };
    let mut food = e("MA6KLT01", "南宁市甲食品店", "450103", "a.ls.test");
    food.food_permit = Some("JY24501030012345".into());
    store
        .upsert_entities(
            &[
                food,
                e("MA6KLT02", "南宁市乙商行", "450103", "b.ls.test"),
                e("MA6KLT03", "南宁市丙商行", "450102", "c.ls.test"),
            ],
            "test",
        )
        .await
        .unwrap();
    let id = |body: &str| {
        let uscc = Uscc::complete("91450103", body).unwrap().to_string();
        async move {
            store
                .entity_by_uscc(Scope::City, &uscc)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    (
        id("MA6KLT01").await,
        id("MA6KLT02").await,
        id("MA6KLT03").await,
    )
}

async fn user(store: &dyn Store, name: &str, role: Role, entities: Vec<EntityId>) -> store::User {
    store
        .create_user(
            &NewUser {
                username: name.into(),
                display_name: name.into(),
                role,
                districts: if role == Role::Inspector {
                    vec![qingxiu()]
                } else {
                    vec![]
                },
                entities,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn serious_violation_repair_waits_six_months_or_a_year_in_food() {
    let store = store().await;
    let (food, plain, _) = register(&*store).await;
    let cli = Caller::system("cli:test");
    let serious = |e| {
        let store = store.clone();
        let cli = cli.clone();
        async move {
            lists::add(
                &*store,
                &cli,
                e,
                ListKind::SeriousViolation,
                "提供虚假材料",
                Some("南市监严〔2024〕1号"),
                day("2024-01-15"),
            )
            .await
            .unwrap()
        }
    };
    let plain_l = serious(plain).await;
    let food_l = serious(food).await;

    let apply = |id, on: &str| {
        let store = store.clone();
        let cli = cli.clone();
        let on = day(on);
        async move { repair::apply(&*store, &cli, id, "法定代表人", "已整改", on).await }
    };
    match apply(plain_l.id, "2024-07-14").await {
        Err(ListError::RepairTooEarly { listing, earliest }) => {
            assert_eq!((listing, earliest), (plain_l.id, day("2024-07-15")))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        apply(plain_l.id, "2024-07-15").await.unwrap().state,
        RepairState::Pending
    );
    // In food: a year.
    match apply(food_l.id, "2024-07-15").await {
        Err(ListError::RepairTooEarly { earliest, .. }) => {
            assert_eq!(earliest, day("2025-01-15"))
        }
        other => panic!("{other:?}"),
    }
    let r = apply(food_l.id, "2025-01-15").await.unwrap();
    // A second pending application is refused.
    assert!(matches!(
        apply(food_l.id, "2025-01-16").await,
        Err(ListError::RepairPending(_))
    ));
    // A refusal needs its reason; a grant removes the listing on the decision's day.
    assert!(matches!(
        repair::decide(&*store, &cli, r.id, false, Some("  "), day("2025-02-01")).await,
        Err(ListError::Missing(lists::Field::Reason))
    ));
    let granted = repair::decide(&*store, &cli, r.id, true, None, day("2025-02-01"))
        .await
        .unwrap();
    assert_eq!(granted.state, RepairState::Approved);
    let l = lists::show(&*store, &cli, food_l.id).await.unwrap();
    assert_eq!(
        (l.removed_on, l.removed_reason),
        (Some(day("2025-02-01")), Some(RemovalReason::Repaired))
    );
    assert!(matches!(
        repair::decide(&*store, &cli, r.id, true, None, day("2025-02-02")).await,
        Err(ListError::NotPending(_))
    ));

    // An abnormal listing: an application any day, staff decide.
    let ab = lists::add(
        &*store,
        &cli,
        plain,
        ListKind::Abnormal,
        "未按规定报送年度报告",
        None,
        day("2024-03-01"),
    )
    .await
    .unwrap();
    assert_eq!(ab.cause, "no_annual_report");
    let r = repair::apply(&*store, &cli, ab.id, "乙", "已补报年报", day("2024-03-01"))
        .await
        .unwrap();
    let refused = repair::decide(
        &*store,
        &cli,
        r.id,
        false,
        Some("未公示"),
        day("2024-03-02"),
    )
    .await
    .unwrap();
    assert_eq!(refused.state, RepairState::Refused);
    assert!(lists::show(&*store, &cli, ab.id).await.unwrap().is_open());
}

#[tokio::test]
async fn list_rules_and_the_serious_term() {
    let store = store().await;
    let (food, plain, other) = register(&*store).await;
    let cli = Caller::system("cli:test");
    assert!(matches!(
        lists::add(
            &*store,
            &cli,
            plain,
            ListKind::Abnormal,
            "失联",
            None,
            day("2024-01-01")
        )
        .await,
        Err(ListError::UnknownCause(_))
    ));
    let old = lists::add(
        &*store,
        &cli,
        plain,
        ListKind::SeriousViolation,
        "虚假登记",
        None,
        day("2021-03-01"),
    )
    .await
    .unwrap();
    let young = lists::add(
        &*store,
        &cli,
        food,
        ListKind::SeriousViolation,
        "虚假登记",
        None,
        day("2022-06-01"),
    )
    .await
    .unwrap();
    assert!(matches!(
        lists::add(
            &*store,
            &cli,
            food,
            ListKind::SeriousViolation,
            "again",
            None,
            day("2022-06-02")
        )
        .await,
        Err(ListError::AlreadyListed { .. })
    ));
    // Not by hand: repaired and expired.
    for reason in [RemovalReason::Repaired, RemovalReason::Expired] {
        assert!(matches!(
            lists::remove(&*store, &cli, young.id, reason, None, day("2024-01-01")).await,
            Err(ListError::NotByHand(_))
        ));
    }
    // A district's inspector sees their district only and may not change a list.
    let inspector = user(&*store, "zhang", Role::Inspector, vec![]).await;
    let by = Caller::user(&inspector, None);
    assert!(matches!(
        lists::add(
            &*store,
            &by,
            plain,
            ListKind::Abnormal,
            "not_contactable",
            None,
            day("2024-01-01")
        )
        .await,
        Err(ListError::Forbidden(domain::Permission::Credit))
    ));
    let c = lists::add(
        &*store,
        &cli,
        other,
        ListKind::Abnormal,
        "not_contactable",
        None,
        day("2024-01-01"),
    )
    .await
    .unwrap();
    assert!(matches!(
        lists::show(&*store, &by, c.id).await,
        Err(ListError::NoListing(_))
    ));
    let (seen, total) = lists::list(&*store, &by, &ListingFilter::default())
        .await
        .unwrap();
    assert_eq!((seen.len(), total), (2, 2));

    // The term: three years from listing.
    assert!(lists::expire_due(&*store, day("2024-02-29"))
        .await
        .unwrap()
        .is_empty());
    let gone = lists::expire_due(&*store, day("2024-03-01")).await.unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(
        (gone[0].id, gone[0].removed_on, gone[0].removed_reason),
        (
            old.id,
            Some(day("2024-03-01")),
            Some(RemovalReason::Expired)
        )
    );
    assert!(lists::show(&*store, &cli, young.id)
        .await
        .unwrap()
        .is_open());
    assert!(lists::expire_due(&*store, day("2024-03-01"))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn evaluator_writing_outside_assignment_is_not_found() {
    let store = store().await;
    let (food, plain, _) = register(&*store).await;
    let ev = user(&*store, "pingjia", Role::Evaluator, vec![food]).await;
    let by = Caller::user(&ev, None);
    assert!(matches!(
        evaluations::add(&*store, &by, plain, 80, day("2024-03-01"), "良好").await,
        Err(ListError::NoEntity(e)) if e == plain
    ));
    assert!(matches!(
        evaluations::add(&*store, &by, food, 101, day("2024-03-01"), "良好").await,
        Err(ListError::ScoreOutOfRange(101))
    ));
    let v = evaluations::add(&*store, &by, food, 85, day("2024-03-01"), "经营规范")
        .await
        .unwrap();
    assert_eq!((v.score, v.evaluator_id), (85, ev.id));
    let (mine, total) = evaluations::list(&*store, &by, None, 0, 0).await.unwrap();
    assert_eq!((mine.len(), total), (1, 1));
    // A supervisor reads them but does not evaluate.
    let sup = user(&*store, "li", Role::Supervisor, vec![]).await;
    let sup = Caller::user(&sup, None);
    assert!(matches!(
        evaluations::add(&*store, &sup, food, 80, day("2024-03-01"), "x").await,
        Err(ListError::Forbidden(domain::Permission::Evaluate))
    ));
    assert_eq!(
        evaluations::list(&*store, &sup, Some(food), 0, 0)
            .await
            .unwrap()
            .1,
        1
    );
    // And commitments: broken once, not before they were made.
    let cli = Caller::system("cli:test");
    let c = commitments::add(&*store, &cli, plain, day("2024-03-01"), "诚信经营")
        .await
        .unwrap();
    assert!(matches!(
        commitments::mark_broken(&*store, &cli, c.id, day("2024-02-01"), "售假").await,
        Err(ListError::DateBefore { .. })
    ));
    commitments::mark_broken(&*store, &cli, c.id, day("2024-04-01"), "售假")
        .await
        .unwrap();
    assert!(matches!(
        commitments::mark_broken(&*store, &cli, c.id, day("2024-04-02"), "售假").await,
        Err(ListError::AlreadyBroken(_))
    ));
}

/// A case on `entity` with outcomes, decided on the store's day (2024-03-01).
async fn decided_case(store: &dyn Store, entity: EntityId, outcomes: &[OutcomeDetail]) {
    let sys = Actor::system("cli:test");
    let site = store.entity_sites(Scope::City, entity).await.unwrap()[0].clone();
    let case = store
        .open_case(
            &NewCase {
                site_id: site.id,
                entity_id: Some(entity),
                district: qingxiu(),
                summary: "违法".into(),
                clues: vec![],
                officers: vec![],
                number_prefix: "南市监网案〔2024〕".into(),
                decide_by: day("2024-05-30"),
            },
            &sys,
        )
        .await
        .unwrap();
    store
        .set_case_stage(
            case,
            CaseStage::Registered,
            CaseStage::Investigating,
            None,
            &sys,
        )
        .await
        .unwrap();
    for o in outcomes {
        store
            .add_outcome(case, CaseStage::Investigating, o, &sys)
            .await
            .unwrap();
    }
    store
        .set_case_stage(
            case,
            CaseStage::Investigating,
            CaseStage::Decided,
            None,
            &sys,
        )
        .await
        .unwrap();
}

fn penalty(no: &str, yuan: i64) -> OutcomeDetail {
    OutcomeDetail::Penalty {
        decision_no: no.into(),
        legal_basis: "《电子商务法》".into(),
        fine_fen: yuan * 100,
        confiscation: None,
    }
}

#[tokio::test]
async fn publicity_periods_and_a_repair_ending_them() {
    let store = store().await;
    let (food, plain, _) = register(&*store).await;
    let cli = Caller::system("cli:test");
    let rules = PublicityRules::default();
    decided_case(
        &*store,
        plain,
        &[
            penalty("罚1号", 0),
            penalty("罚2号", 10_000),
            penalty("罚3号", 10_001),
        ],
    )
    .await;
    let nos = |v: &credit::publicity::PublicView| {
        v.penalties
            .iter()
            .map(|p| (p.decision_no.clone(), p.publicity_ends))
            .collect::<Vec<_>>()
    };
    let v = public_view(&*store, plain, day("2024-05-31"), &rules)
        .await
        .unwrap();
    assert_eq!(v.entity.name, "南宁市乙商行");
    assert_eq!(v.class, None);
    assert_eq!(
        nos(&v),
        vec![
            ("罚1号".to_string(), day("2024-06-01")),
            ("罚2号".to_string(), day("2024-06-01")),
            ("罚3号".to_string(), day("2027-03-01")),
        ]
    );
    let v = public_view(&*store, plain, day("2024-06-01"), &rules)
        .await
        .unwrap();
    assert_eq!(nos(&v), vec![("罚3号".to_string(), day("2027-03-01"))]);
    assert!(public_view(&*store, plain, day("2027-03-01"), &rules)
        .await
        .unwrap()
        .penalties
        .is_empty());

    // A serious listing made by 罚3号, repaired: the penalty and the listing leave early.
    let l = lists::add(
        &*store,
        &cli,
        plain,
        ListKind::SeriousViolation,
        "情节严重",
        Some("罚3号"),
        day("2024-03-01"),
    )
    .await
    .unwrap();
    let v = public_view(&*store, plain, day("2024-08-01"), &rules)
        .await
        .unwrap();
    assert_eq!(v.listings.len(), 1);
    assert_eq!(v.listings[0].publicity_ends, None);
    let r = repair::apply(&*store, &cli, l.id, "乙", "已履行", day("2024-09-01"))
        .await
        .unwrap();
    repair::decide(&*store, &cli, r.id, true, None, day("2024-09-10"))
        .await
        .unwrap();
    let v = public_view(&*store, plain, day("2024-09-09"), &rules)
        .await
        .unwrap();
    assert_eq!(nos(&v), vec![("罚3号".to_string(), day("2024-09-10"))]);
    assert!(v.penalties[0].repaired);
    // The day before the grant the listing was open: its removal is not known yet.
    assert_eq!(v.listings.len(), 1);
    assert_eq!(
        (v.listings[0].removed_on, v.listings[0].publicity_ends),
        (None, None)
    );
    let v = public_view(&*store, plain, day("2024-09-10"), &rules)
        .await
        .unwrap();
    assert!(v.penalties.is_empty());
    assert!(v.listings.is_empty());

    // A corrected abnormal listing stays public, marked removed, for 3 years from listing.
    let ab = lists::add(
        &*store,
        &cli,
        food,
        ListKind::Abnormal,
        "not_contactable",
        None,
        day("2024-03-01"),
    )
    .await
    .unwrap();
    lists::remove(
        &*store,
        &cli,
        ab.id,
        RemovalReason::Corrected,
        Some("已恢复联系"),
        day("2024-04-01"),
    )
    .await
    .unwrap();
    let v = public_view(&*store, food, day("2026-01-01"), &rules)
        .await
        .unwrap();
    assert_eq!(v.listings.len(), 1);
    assert_eq!(
        (
            v.listings[0].removed_on,
            v.listings[0].removed_reason,
            v.listings[0].publicity_ends
        ),
        (
            Some(day("2024-04-01")),
            Some(RemovalReason::Corrected),
            Some(day("2027-03-01"))
        )
    );
    assert!(public_view(&*store, food, day("2027-03-01"), &rules)
        .await
        .unwrap()
        .listings
        .is_empty());
}

#[tokio::test]
async fn an_abnormal_listing_outcome_creates_the_listing() {
    let store = store().await;
    let (_, plain, _) = register(&*store).await;
    let cli = Caller::system("cli:test");
    decided_case(
        &*store,
        plain,
        &[OutcomeDetail::AbnormalListing {
            cause: ListingCause::NotContactable,
            removed_at: None,
            removed_reason: None,
        }],
    )
    .await;
    let (ls, total) = lists::list(
        &*store,
        &cli,
        &ListingFilter {
            entity_id: Some(plain),
            open: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(total, 1);
    assert_eq!(
        (ls[0].list, ls[0].cause.as_str(), ls[0].listed_on),
        (ListKind::Abnormal, "not_contactable", day("2024-03-01"))
    );
    assert!(ls[0].outcome_id.is_some());
    // The entity is on the abnormal list: a second listing by hand is refused.
    assert!(matches!(
        lists::add(
            &*store,
            &cli,
            plain,
            ListKind::Abnormal,
            "no_annual_report",
            None,
            day("2024-03-02")
        )
        .await,
        Err(ListError::AlreadyListed { .. })
    ));
    let v = public_view(
        &*store,
        plain,
        day("2024-03-02"),
        &PublicityRules::default(),
    )
    .await
    .unwrap();
    assert_eq!(v.listings.len(), 1);
}
