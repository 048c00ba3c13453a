//! License badges: an application read in scope through its entity, a proof recorded only on
//! an application still `applied`, one badge at a time holding a domain, every change a
//! compare-and-set audited as `badge:<serial>` that marks the entity stale when validity
//! changes, the sweeps' checks, and the credit fact `badge.valid`.

use crate::{entity, TestStore};
use ::store::*;
use chrono::NaiveDate;
use domain::{BadgeCause, BadgeState, BadgeVerdict, EntityId, ProofMethod, ProofResult, SiteKind};

async fn two(store: &dyn Store) -> (Entity, Entity) {
    store
        .upsert_entities(
            &[
                entity(
                    "MA6KBG01",
                    "南宁市甲商行",
                    SiteKind::TradingSite,
                    "450103",
                    &["a.bg.test"],
                ),
                entity(
                    "MA6KBG02",
                    "南宁市乙商行",
                    SiteKind::TradingSite,
                    "450102",
                    &["b.bg.test"],
                ),
            ],
            "test",
        )
        .await
        .unwrap();
    let get = |o: &'static str| async move {
        store
            .entity_by_uscc(Scope::City, &crate::uscc(o))
            .await
            .unwrap()
            .unwrap()
    };
    (get("MA6KBG01").await, get("MA6KBG02").await)
}

fn new(entity: EntityId, domain: &str, tracking: &str) -> NewBadge {
    NewBadge {
        entity_id: entity,
        domain: domain.into(),
        contact: "张三 13800000000".into(),
        method: ProofMethod::WellKnown,
        tracking: tracking.into(),
        proof_token: format!("tok-{tracking}"),
    }
}

async fn stale(store: &TestStore, entity: EntityId) -> bool {
    store
        .exec_raw(&format!(
            "DELETE FROM credit_stale WHERE entity_id = {}",
            entity.0
        ))
        .await
        .unwrap()
        == 1
}

async fn badge_life_in_scope(store: TestStore) {
    let sys = Actor::system("cli:test");
    let (a, b) = two(&*store).await;
    let qingxiu = Scope::district(crate::district("450103"));
    let xingning = Scope::district(crate::district("450102"));

    assert!(matches!(
        store
            .add_badge(xingning.clone(), &new(a.id, "a.bg.test", "t1"), &sys)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let applied = store
        .add_badge(Scope::City, &new(a.id, "a.bg.test", "t1"), &sys)
        .await
        .unwrap();
    assert_eq!(applied.state, BadgeState::Applied);
    assert_eq!(applied.entity_name, "南宁市甲商行");
    assert!(store
        .badge(xingning.clone(), applied.serial)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .badge(qingxiu.clone(), applied.serial)
            .await
            .unwrap()
            .unwrap()
            .tracking,
        "t1"
    );
    assert_eq!(
        store
            .badge_by_tracking(Scope::City, "t1")
            .await
            .unwrap()
            .unwrap()
            .serial,
        applied.serial
    );
    // A second applicant for the same domain may apply; the domain is held by a proof.
    let rival = store
        .add_badge(Scope::City, &new(b.id, "a.bg.test", "t2"), &sys)
        .await
        .unwrap();

    // A failed proof is recorded; the application stays applied.
    let failed = store
        .record_badge_proof(
            applied.serial,
            ProofResult::NotFound,
            Some("HTTP 404"),
            &sys,
        )
        .await
        .unwrap();
    assert_eq!(failed.state, BadgeState::Applied);
    assert_eq!(failed.proof_result, Some(ProofResult::NotFound));
    assert_eq!(failed.proof_detail.as_deref(), Some("HTTP 404"));
    let proven = store
        .record_badge_proof(applied.serial, ProofResult::Proven, None, &sys)
        .await
        .unwrap();
    assert_eq!(proven.state, BadgeState::Proven);
    // Not applied any more: a proof is refused.
    assert!(matches!(
        store
            .record_badge_proof(applied.serial, ProofResult::Proven, None, &sys)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // The rival cannot take the domain now.
    assert!(matches!(
        store.record_badge_proof(rival.serial, ProofResult::Proven, None, &sys).await,
        Err(StoreError::Conflict(m)) if m.contains("held by")
    ));

    stale(&store, a.id).await;
    let issue = BadgeChange::Issue {
        token: "signed".into(),
        issued_at: crate::at(crate::T0),
    };
    // Out of scope, or from a state it is not in: refused, nothing changed.
    assert!(matches!(
        store
            .change_badge(
                xingning.clone(),
                applied.serial,
                BadgeState::Proven,
                &issue,
                &sys
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .change_badge(
                qingxiu.clone(),
                applied.serial,
                BadgeState::Applied,
                &issue,
                &sys
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(!stale(&store, a.id).await);
    let issued = store
        .change_badge(
            qingxiu.clone(),
            applied.serial,
            BadgeState::Proven,
            &issue,
            &sys,
        )
        .await
        .unwrap();
    assert_eq!(issued.state, BadgeState::Issued);
    assert_eq!(issued.token.as_deref(), Some("signed"));
    assert!(
        stale(&store, a.id).await,
        "a valid badge changes the credit fact"
    );

    let day = NaiveDate::from_ymd_opt(2024, 3, 2).unwrap();
    let facts = store
        .credit_facts(
            &FactSelect::Ids(vec![a.id, b.id]),
            &[FactQuery::BadgeValid],
            day,
        )
        .await
        .unwrap();
    assert_eq!(facts.values[0], vec![(a.id, 1.0)]);

    let suspended = store
        .change_badge(
            Scope::City,
            applied.serial,
            BadgeState::Issued,
            &BadgeChange::Suspend {
                cause: BadgeCause::AbnormalListing,
                note: String::new(),
            },
            &sys,
        )
        .await
        .unwrap();
    assert_eq!(suspended.state, BadgeState::Suspended);
    assert_eq!(suspended.cause, Some(BadgeCause::AbnormalListing));
    assert!(stale(&store, a.id).await);
    let facts = store
        .credit_facts(&FactSelect::Ids(vec![a.id]), &[FactQuery::BadgeValid], day)
        .await
        .unwrap();
    assert!(facts.values[0].is_empty());

    let audit = store
        .audit_of(&format!("badge:{}", applied.serial))
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for want in ["apply", "prove", "issue", "suspend"] {
        assert!(actions.contains(&want), "{actions:?}");
    }
    // The contact is personal data: not in the audit log.
    assert!(audit
        .iter()
        .all(|e| !format!("{:?}", e.new_value).contains("13800000000")));

    // Lists and counts in scope.
    let all = BadgeFilter::default();
    assert_eq!(store.count_badges(Scope::City, &all).await.unwrap(), 2);
    assert_eq!(store.count_badges(qingxiu.clone(), &all).await.unwrap(), 1);
    assert_eq!(
        store.badges(xingning, &all).await.unwrap()[0].serial,
        rival.serial
    );
    let by_state = BadgeFilter {
        state: Some(BadgeState::Suspended),
        ..Default::default()
    };
    assert_eq!(store.badges(Scope::City, &by_state).await.unwrap().len(), 1);

    // The sweep's view and its verdicts.
    let issued = store.issued_badges().await.unwrap();
    assert_eq!(issued.len(), 1);
    store
        .record_badge_checks(&[BadgeCheck {
            serial: applied.serial,
            verdict: BadgeVerdict::Suspended,
            url: "http://a.bg.test/".into(),
            at: crate::at(crate::T0 + 100),
        }])
        .await
        .unwrap();
    let checked = store
        .badge(Scope::City, applied.serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checked.check_verdict, Some(BadgeVerdict::Suspended));
    assert_eq!(checked.check_url.as_deref(), Some("http://a.bg.test/"));
}

crate::on_every_backend!(badge_life_in_scope);
