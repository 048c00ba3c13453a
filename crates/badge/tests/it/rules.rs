//! The rules: a badge is suspended while its entity is on the abnormal-operation list and
//! reinstated once it is off; a class whose rule says `suspend_badge` (D) suspends it; a
//! suspension by staff is not lifted by the rules.

use crate::{cli, now, Db};
use chrono::NaiveDate;
use domain::badge::SigningKey;
use domain::BadgeSerial;
use domain::{BadgeCause, BadgeState, ListKind, ProofResult, RemovalReason};
use store::{ListingInput, Removal, Scope};

async fn issued(db: &Db, org: &str, domain: &str) -> (store::Entity, BadgeSerial) {
    let e = db.entity(org, "南宁市规则商行", domain).await;
    let store = &*db.store;
    let app = badge::apply(
        store,
        &badge::Application {
            uscc: e.input.uscc.clone(),
            domain: domain.into(),
            contact: "赵六".into(),
            method: None,
        },
        &cli(),
    )
    .await
    .unwrap();
    store
        .record_badge_proof(app.serial, ProofResult::Proven, None, &cli())
        .await
        .unwrap();
    let key = SigningKey::from_bytes(&[3; 32]);
    badge::issue(store, &key, Scope::City, None, app.serial, now(), &cli())
        .await
        .unwrap();
    (e, app.serial)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn state(db: &Db, serial: BadgeSerial) -> (BadgeState, Option<BadgeCause>) {
    let b = db.store.badge(Scope::City, serial).await.unwrap().unwrap();
    (b.state, b.cause)
}

async fn rules_suspend_and_reinstate(db: Db) {
    let store = &*db.store;
    let (a, sa) = issued(&db, "MA6KBR01", "rule-a.example").await;
    let (b, sb) = issued(&db, "MA6KBR02", "rule-b.example").await;
    let (_, sc) = issued(&db, "MA6KBR03", "rule-c.example").await;
    let today = day("2026-03-01");

    let r = badge::apply_rules(store, today, &cli()).await.unwrap();
    assert_eq!(
        (r.checked, r.suspended.len(), r.reinstated.len()),
        (3, 0, 0)
    );

    // The abnormal-operation list suspends; off the list, reinstated.
    let listing = store
        .add_listing(
            Scope::City,
            &ListingInput {
                entity_id: a.id,
                list: ListKind::Abnormal,
                cause: domain::ListingCause::NoAnnualReport.code().into(),
                decision_no: None,
                listed_on: today,
            },
            &cli(),
        )
        .await
        .unwrap();
    // Staff suspend c; the rules never lift that.
    badge::suspend(store, Scope::City, None, sc, "投诉核查中", &cli())
        .await
        .unwrap();
    let r = badge::apply_rules(store, today, &cli()).await.unwrap();
    assert_eq!(r.suspended, vec![(sa, BadgeCause::AbnormalListing)]);
    assert_eq!(
        state(&db, sa).await,
        (BadgeState::Suspended, Some(BadgeCause::AbnormalListing))
    );
    store
        .remove_credit_listing(
            Scope::City,
            listing.id,
            &Removal {
                reason: RemovalReason::Corrected,
                removed_on: today,
                note: None,
            },
            &cli(),
        )
        .await
        .unwrap();
    let r = badge::apply_rules(store, today, &cli()).await.unwrap();
    assert_eq!(r.reinstated, vec![sa]);
    assert_eq!(state(&db, sa).await, (BadgeState::Issued, None));
    assert_eq!(
        state(&db, sc).await,
        (BadgeState::Suspended, Some(BadgeCause::Staff))
    );

    // Class D (a serious-violation listing) under the default index's class rule.
    credit::rescore::load_index(store, credit::index::DEFAULT_INDEX, &cli(), None)
        .await
        .unwrap();
    store
        .add_listing(
            Scope::City,
            &ListingInput {
                entity_id: b.id,
                list: ListKind::SeriousViolation,
                cause: "提供虚假材料".into(),
                decision_no: None,
                listed_on: today,
            },
            &cli(),
        )
        .await
        .unwrap();
    credit::rescore::rescore_all(store, today).await.unwrap();
    let r = badge::apply_rules(store, today, &cli()).await.unwrap();
    assert_eq!(r.suspended, vec![(sb, BadgeCause::CreditClass)]);
    assert_eq!(state(&db, sa).await.0, BadgeState::Issued);
}

crate::on_every_backend!(rules_suspend_and_reinstate);
