//! The dishonesty lists, credit repair, evaluations and commitments: one open listing per
//! entity and list, reads and writes in scope, repair decided by compare-and-set (a grant
//! removes the listing), evaluations only of assigned entities, every write audited and
//! marking its entity stale; casework's abnormal listing writes and closes its list row.

use crate::{entity, TestStore};
use ::store::*;
use chrono::NaiveDate;
use domain::{
    CaseStage, EntityId, ListKind, ListingCause, RemovalReason, RepairState, Role, SiteKind,
};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn district(code: &str) -> domain::DistrictCode {
    crate::district(code)
}

/// 甲 in 青秀区 (450103), 乙 in 兴宁区 (450102).
async fn two(store: &dyn Store) -> (Entity, Entity) {
    store
        .upsert_entities(
            &[
                entity(
                    "MA6KCL01",
                    "南宁市甲食品商行",
                    SiteKind::TradingSite,
                    "450103",
                    &["a.cl.test"],
                ),
                entity(
                    "MA6KCL02",
                    "南宁市乙商行",
                    SiteKind::TradingSite,
                    "450102",
                    &["b.cl.test"],
                ),
            ],
            "test",
        )
        .await
        .unwrap();
    let a = store
        .entity_by_uscc(Scope::City, &crate::uscc("MA6KCL01"))
        .await
        .unwrap()
        .unwrap();
    let b = store
        .entity_by_uscc(Scope::City, &crate::uscc("MA6KCL02"))
        .await
        .unwrap()
        .unwrap();
    (a, b)
}

/// Empties the stale marks of `entity`; true when there was one.
async fn take_stale(store: &TestStore, entity: EntityId) -> bool {
    store
        .exec_raw(&format!(
            "DELETE FROM credit_stale WHERE entity_id = {}",
            entity.0
        ))
        .await
        .unwrap()
        == 1
}

fn listing(entity: EntityId, list: ListKind, on: &str) -> ListingInput {
    ListingInput {
        entity_id: entity,
        list,
        cause: match list {
            ListKind::Abnormal => ListingCause::NoAnnualReport.code().into(),
            ListKind::SeriousViolation => "提供虚假材料取得登记".into(),
        },
        decision_no: Some("南市监异〔2024〕1号".into()),
        listed_on: day(on),
    }
}

async fn listings_are_open_once_and_read_in_scope(store: TestStore) {
    let sys = Actor::system("cli:test");
    let (a, b) = two(&*store).await;
    let qingxiu = Scope::district(district("450103"));
    let xingning = Scope::district(district("450102"));
    take_stale(&store, a.id).await;

    // Outside the scope: as if the entity did not exist.
    assert!(matches!(
        store
            .add_listing(
                xingning.clone(),
                &listing(a.id, ListKind::Abnormal, "2024-03-01"),
                &sys
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let first = store
        .add_listing(
            qingxiu.clone(),
            &listing(a.id, ListKind::Abnormal, "2024-03-01"),
            &sys,
        )
        .await
        .unwrap();
    assert!(first.is_open());
    assert_eq!(
        (first.list, first.listed_on, first.entity_name.as_str()),
        (ListKind::Abnormal, day("2024-03-01"), "南宁市甲食品商行")
    );
    assert!(take_stale(&store, a.id).await);
    // A second open listing of the same list is refused; the other list is not.
    assert!(matches!(
        store
            .add_listing(
                Scope::City,
                &listing(a.id, ListKind::Abnormal, "2024-03-02"),
                &sys
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    let serious = store
        .add_listing(
            Scope::City,
            &listing(a.id, ListKind::SeriousViolation, "2024-03-05"),
            &sys,
        )
        .await
        .unwrap();
    store
        .add_listing(
            Scope::City,
            &listing(b.id, ListKind::Abnormal, "2024-03-03"),
            &sys,
        )
        .await
        .unwrap();

    // Reads in scope, filtered and paged.
    let all = ListingFilter::default();
    assert_eq!(
        store
            .count_credit_listings(Scope::City, &all)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .count_credit_listings(qingxiu.clone(), &all)
            .await
            .unwrap(),
        2
    );
    let evaluator = Scope::Entities(vec![b.id].into());
    let seen = store
        .credit_listings(evaluator.clone(), &all)
        .await
        .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].entity_id, b.id);
    let page = store
        .credit_listings(
            Scope::City,
            &ListingFilter {
                limit: 2,
                offset: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Newest listing first: serious (03-05), b (03-03), first (03-01).
    assert_eq!(page.len(), 2);
    assert_eq!(page[1].id, first.id);
    let abnormal = ListingFilter {
        list: Some(ListKind::Abnormal),
        district: Some(district("450103")),
        ..Default::default()
    };
    let found = store.credit_listings(Scope::City, &abnormal).await.unwrap();
    assert_eq!(
        found.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    assert!(store
        .credit_listing(xingning.clone(), first.id)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .credit_listing(qingxiu.clone(), serious.id)
            .await
            .unwrap()
            .unwrap(),
        serious
    );

    // Removal: in scope, once.
    let removal = Removal {
        reason: RemovalReason::Mistaken,
        removed_on: day("2024-04-01"),
        note: Some("登记信息有误".into()),
    };
    assert!(matches!(
        store
            .remove_credit_listing(xingning, first.id, &removal, &sys)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let removed = store
        .remove_credit_listing(qingxiu, first.id, &removal, &sys)
        .await
        .unwrap();
    assert_eq!(
        (
            removed.removed_on,
            removed.removed_reason,
            removed.removed_by.as_deref()
        ),
        (
            Some(day("2024-04-01")),
            Some(RemovalReason::Mistaken),
            Some("cli:test")
        )
    );
    assert!(take_stale(&store, a.id).await);
    assert!(matches!(
        store
            .remove_credit_listing(Scope::City, first.id, &removal, &sys)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let open = ListingFilter {
        open: Some(true),
        entity_id: Some(a.id),
        ..Default::default()
    };
    assert_eq!(
        store
            .credit_listings(Scope::City, &open)
            .await
            .unwrap()
            .iter()
            .map(|l| l.id)
            .collect::<Vec<_>>(),
        vec![serious.id]
    );
    // Listed again after the removal.
    store
        .add_listing(
            Scope::City,
            &listing(a.id, ListKind::Abnormal, "2024-05-01"),
            &sys,
        )
        .await
        .unwrap();
    let actions: Vec<String> = store
        .audit_of(&format!("listing:{}", first.id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, vec!["list", "remove"]);
}

async fn repairs_are_decided_once_and_a_grant_removes_the_listing(store: TestStore) {
    let sys = Actor::system("cli:test");
    let (a, b) = two(&*store).await;
    let l = store
        .add_listing(
            Scope::City,
            &listing(a.id, ListKind::Abnormal, "2024-03-01"),
            &sys,
        )
        .await
        .unwrap();
    let apply = NewRepair {
        listing_id: l.id,
        applicant: "南宁市甲食品商行".into(),
        statement: "已补报年度报告".into(),
        applied_on: day("2024-03-10"),
    };
    assert!(matches!(
        store
            .add_repair(Scope::district(district("450102")), &apply, &sys)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let r1 = store.add_repair(Scope::City, &apply, &sys).await.unwrap();
    assert_eq!(
        (r1.state, r1.list),
        (RepairState::Pending, ListKind::Abnormal)
    );
    // One pending application per listing.
    assert!(matches!(
        store.add_repair(Scope::City, &apply, &sys).await,
        Err(StoreError::Conflict(_))
    ));
    let refused = store
        .decide_repair(
            Scope::City,
            r1.id,
            &RepairDecision::Refuse {
                reason: "年报未公示".into(),
            },
            &sys,
        )
        .await
        .unwrap();
    assert_eq!(
        (refused.state, refused.reason.as_deref()),
        (RepairState::Refused, Some("年报未公示"))
    );
    // Compare-and-set on pending.
    assert!(matches!(
        store
            .decide_repair(
                Scope::City,
                r1.id,
                &RepairDecision::Approve {
                    removed_on: day("2024-03-20"),
                    note: None
                },
                &sys
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store
        .credit_listing(Scope::City, l.id)
        .await
        .unwrap()
        .unwrap()
        .is_open());
    let r2 = store.add_repair(Scope::City, &apply, &sys).await.unwrap();
    take_stale(&store, a.id).await;
    let granted = store
        .decide_repair(
            Scope::district(district("450103")),
            r2.id,
            &RepairDecision::Approve {
                removed_on: day("2024-03-20"),
                note: Some("已改正".into()),
            },
            &sys,
        )
        .await
        .unwrap();
    assert_eq!(granted.state, RepairState::Approved);
    assert!(granted.decided_at.is_some());
    let l = store
        .credit_listing(Scope::City, l.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (l.removed_on, l.removed_reason),
        (Some(day("2024-03-20")), Some(RemovalReason::Repaired))
    );
    assert!(take_stale(&store, a.id).await);
    // No application of a removed listing.
    assert!(matches!(
        store.add_repair(Scope::City, &apply, &sys).await,
        Err(StoreError::Conflict(_))
    ));
    let listed = store
        .repairs(
            Scope::City,
            &RepairFilter {
                listing_id: Some(l.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![r2.id, r1.id]
    );
    assert!(store
        .repairs(Scope::Entities(vec![b.id].into()), &RepairFilter::default())
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .repair(Scope::district(district("450102")), r2.id)
        .await
        .unwrap()
        .is_none());
    let actions: Vec<String> = store
        .audit_of(&format!("repair:{}", r2.id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, vec!["apply", "decide"]);
    let listing_actions: Vec<String> = store
        .audit_of(&format!("listing:{}", l.id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(listing_actions, vec!["list", "remove"]);
}

async fn evaluations_only_of_assigned_entities(store: TestStore) {
    let sys = Actor::system("cli:test");
    let (a, b) = two(&*store).await;
    let evaluator = store
        .create_user(
            &NewUser {
                username: "pingjia".into(),
                display_name: "评价机构".into(),
                role: Role::Evaluator,
                districts: vec![],
                entities: vec![a.id],
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            },
            &sys,
        )
        .await
        .unwrap();
    let scope = evaluator.scope();
    let by = Actor::user(&evaluator, None);
    let new = |e: EntityId, score: i64| NewEvaluation {
        entity_id: e,
        score,
        evaluated_on: day("2024-03-15"),
        summary: "经营规范".into(),
    };
    assert!(matches!(
        store
            .add_evaluation(scope.clone(), evaluator.id, &new(b.id, 80), &by)
            .await,
        Err(StoreError::NotFound(_))
    ));
    take_stale(&store, a.id).await;
    let v = store
        .add_evaluation(scope.clone(), evaluator.id, &new(a.id, 88), &by)
        .await
        .unwrap();
    assert_eq!(
        (v.score, v.evaluator.as_str(), v.entity_id),
        (88, "pingjia", a.id)
    );
    assert!(take_stale(&store, a.id).await);
    assert_eq!(
        store.evaluations(scope.clone(), None, 0, 0).await.unwrap(),
        vec![v.clone()]
    );
    assert_eq!(store.count_evaluations(scope, Some(a.id)).await.unwrap(), 1);
    assert!(store
        .evaluations(Scope::district(district("450102")), None, 0, 0)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .audit_of(&format!("evaluation:{}", v.id))
            .await
            .unwrap()[0]
            .actor,
        "user:pingjia"
    );
}

async fn commitments_are_broken_once(store: TestStore) {
    let sys = Actor::system("cli:test");
    let (a, _) = two(&*store).await;
    let c = store
        .add_commitment(
            Scope::City,
            &NewCommitment {
                entity_id: a.id,
                made_on: day("2024-03-01"),
                text: "诚信经营，不销售假冒伪劣商品".into(),
            },
            &sys,
        )
        .await
        .unwrap();
    assert!(c.broken_on.is_none());
    assert!(matches!(
        store
            .break_commitment(
                Scope::district(district("450102")),
                c.id,
                day("2024-04-01"),
                "销售过期食品",
                &sys
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    take_stale(&store, a.id).await;
    let broken = store
        .break_commitment(Scope::City, c.id, day("2024-04-01"), "销售过期食品", &sys)
        .await
        .unwrap();
    assert_eq!(
        (broken.broken_on, broken.broken_reason.as_deref()),
        (Some(day("2024-04-01")), Some("销售过期食品"))
    );
    assert!(take_stale(&store, a.id).await);
    assert!(matches!(
        store
            .break_commitment(Scope::City, c.id, day("2024-04-02"), "again", &sys)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.commitments(Scope::City, Some(a.id)).await.unwrap(),
        vec![broken.clone()]
    );
    assert_eq!(
        store.commitment(Scope::City, c.id).await.unwrap(),
        Some(broken)
    );
    assert!(store
        .commitment(Scope::district(district("450102")), c.id)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .audit_of(&format!("commitment:{}", c.id))
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn casework_listing_is_the_list_row(store: TestStore) {
    let sys = Actor::system("cli:test");
    let (a, _) = two(&*store).await;
    let site = store.entity_sites(Scope::City, a.id).await.unwrap()[0].clone();
    let case = store
        .open_case(
            &NewCase {
                site_id: site.id,
                entity_id: Some(a.id),
                district: district("450103"),
                summary: "无法联系".into(),
                clues: vec![],
                officers: vec![],
                number_prefix: "南市监网案〔2024〕".into(),
                decide_by: day("2024-05-30"),
            },
            &sys,
        )
        .await
        .unwrap();
    let outcome = store
        .add_outcome(
            case,
            CaseStage::Registered,
            &OutcomeDetail::AbnormalListing {
                cause: ListingCause::NotContactable,
                removed_at: None,
                removed_reason: None,
            },
            &sys,
        )
        .await
        .unwrap();
    let rows = store
        .credit_listings(
            Scope::City,
            &ListingFilter {
                entity_id: Some(a.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].outcome_id,
            rows[0].list,
            rows[0].cause.as_str(),
            rows[0].listed_on
        ),
        (
            Some(outcome),
            ListKind::Abnormal,
            "not_contactable",
            day("2024-03-01")
        )
    );
    assert!(rows[0].is_open());
    assert!(take_stale(&store, a.id).await);
    // A second abnormal listing while the first is open: refused, nothing written.
    assert!(matches!(
        store
            .add_outcome(
                case,
                CaseStage::Registered,
                &OutcomeDetail::AbnormalListing {
                    cause: ListingCause::NoAnnualReport,
                    removed_at: None,
                    removed_reason: None,
                },
                &sys,
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.case_outcomes(Scope::City, case).await.unwrap().len(),
        1
    );
    // Casework's removal closes the list row.
    store
        .remove_listing(outcome, "已恢复联系", &sys)
        .await
        .unwrap();
    let l = store
        .credit_listing(Scope::City, rows[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (l.removed_reason, l.removed_note.as_deref()),
        (Some(RemovalReason::Corrected), Some("已恢复联系"))
    );

    // And a listing removed on the list side marks the outcome removed.
    let again = store
        .add_outcome(
            case,
            CaseStage::Registered,
            &OutcomeDetail::AbnormalListing {
                cause: ListingCause::NoAnnualReport,
                removed_at: None,
                removed_reason: None,
            },
            &sys,
        )
        .await
        .unwrap();
    let row = store
        .credit_listings(
            Scope::City,
            &ListingFilter {
                entity_id: Some(a.id),
                open: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .remove(0);
    store
        .remove_credit_listing(
            Scope::City,
            row.id,
            &Removal {
                reason: RemovalReason::Mistaken,
                removed_on: day("2024-03-02"),
                note: None,
            },
            &sys,
        )
        .await
        .unwrap();
    match store
        .outcome(Scope::City, again)
        .await
        .unwrap()
        .unwrap()
        .detail
    {
        OutcomeDetail::AbnormalListing {
            removed_at,
            removed_reason,
            ..
        } => {
            assert!(removed_at.is_some());
            assert_eq!(removed_reason.as_deref(), Some("mistaken"));
        }
        other => panic!("{other:?}"),
    }

    // A penalty is public once the case is decided.
    store
        .add_outcome(
            case,
            CaseStage::Registered,
            &OutcomeDetail::Penalty {
                decision_no: "南市监罚〔2024〕3号".into(),
                legal_basis: "《电子商务法》第七十六条".into(),
                fine_fen: 500_000,
                confiscation: None,
            },
            &sys,
        )
        .await
        .unwrap();
    assert!(store
        .entity_penalties(Scope::City, a.id)
        .await
        .unwrap()
        .is_empty());
    for (from, to) in [
        (CaseStage::Registered, CaseStage::Investigating),
        (CaseStage::Investigating, CaseStage::Decided),
    ] {
        store
            .set_case_stage(case, from, to, None, &sys)
            .await
            .unwrap();
    }
    let p = store.entity_penalties(Scope::City, a.id).await.unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].fine_fen, p[0].decision_no.as_str(), p[0].decided_on),
        (500_000, "南市监罚〔2024〕3号", day("2024-03-01"))
    );
    assert!(store
        .entity_penalties(Scope::district(district("450102")), a.id)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .credit_grade(Scope::City, a.id)
        .await
        .unwrap()
        .is_none());
}

crate::on_every_backend!(
    listings_are_open_once_and_read_in_scope,
    repairs_are_decided_once_and_a_grant_removes_the_listing,
    evaluations_only_of_assigned_entities,
    commitments_are_broken_once,
    casework_listing_is_the_list_row,
);
