//! Complaints: intake with the duplicate window, steps as compare-and-set with history and
//! audit rows, scope (another district's complaint is not found; an evaluator sees none),
//! the public read without personal data, and upheld complaints marking credit stale.

use crate::records::{register, site_of};
use crate::{district, on_every_backend, TestStore};
use ::store::*;
use chrono::NaiveDate;
use domain::{ComplaintChannel, ComplaintKind, ComplaintOutcome, ComplaintState, TrackingNumber};

on_every_backend!(
    a_complaint_is_filed_once_within_the_window,
    steps_are_compare_and_set_with_history_and_audit,
    complaints_are_scoped_by_their_district,
    upheld_marks_credit_stale_and_counts,
);

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn new(entity: Option<domain::EntityId>, d: Option<&str>, n: u64, body: &str) -> NewComplaint {
    NewComplaint {
        tracking_number: TrackingNumber::new(day("2024-03-01"), n),
        kind: ComplaintKind::Both,
        channel: ComplaintChannel::Portal,
        subject: Subject {
            name: "甲商行".into(),
            ..Subject::default()
        },
        entity_id: entity,
        site_id: None,
        district: d.map(district),
        body: body.into(),
        complainant: Complainant {
            name: "张三".into(),
            phone: Some("13800000000".into()),
            email: None,
        },
        dedup_hash: format!("{:064x}", body.len()),
        accept_by: day("2024-03-12"),
        verify_by: Some(day("2024-03-21")),
    }
}

fn filed(i: Intake) -> Complaint {
    match i {
        Intake::Filed(c) => *c,
        Intake::Duplicate => panic!("filed"),
    }
}

fn minutes(m: i64) -> chrono::Duration {
    chrono::Duration::minutes(m)
}

async fn a_complaint_is_filed_once_within_the_window(store: TestStore) {
    let store = store.as_ref();
    let by = Actor::system("portal");
    let c = filed(
        store
            .file_complaint(&new(None, None, 1, "假货"), minutes(10), &by)
            .await
            .unwrap(),
    );
    assert_eq!(c.state, ComplaintState::Received);
    assert_eq!(c.complainant.name, "张三");
    // The same hash again within the window: nothing stored.
    let again = store
        .file_complaint(&new(None, None, 2, "真货"), minutes(10), &by)
        .await
        .unwrap();
    assert_eq!(again, Intake::Duplicate);
    let all = ComplaintFilter::default();
    assert_eq!(store.count_complaints(Scope::City, &all).await.unwrap(), 1);
    // Outside the window (0 minutes: only this instant), it is a new complaint.
    filed(
        store
            .file_complaint(&new(None, None, 3, "真货"), minutes(0), &by)
            .await
            .unwrap(),
    );
    assert_eq!(store.count_complaints(Scope::City, &all).await.unwrap(), 2);
    let public = store
        .public_complaint(&c.tracking_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.state, ComplaintState::Received);
    assert_eq!(public.steps.len(), 1);
    let unknown = TrackingNumber::new(day("2024-03-01"), 99);
    assert_eq!(store.public_complaint(&unknown).await.unwrap(), None);
    let json = serde_json::to_string(&public).unwrap();
    assert!(
        !json.contains("张三") && !json.contains("13800000000"),
        "{json}"
    );
}

async fn steps_are_compare_and_set_with_history_and_audit(store: TestStore) {
    let store = store.as_ref();
    let by = Actor::system("test");
    let c = filed(
        store
            .file_complaint(&new(None, None, 1, "x"), minutes(10), &by)
            .await
            .unwrap(),
    );
    let change = |from, to, action| ComplaintChange {
        from,
        to,
        action,
        note: None,
        mediation_ends_by: None,
        outcome: None,
        upheld: None,
    };
    use ComplaintState::*;
    store
        .step_complaint(c.id, &change(Received, Accepted, "accept"), &by)
        .await
        .unwrap();
    // The state moved: the same step again is a conflict and changes nothing.
    let err = store
        .step_complaint(c.id, &change(Received, Accepted, "accept"), &by)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    store
        .step_complaint(
            c.id,
            &ComplaintChange {
                mediation_ends_by: Some(day("2024-05-06")),
                ..change(Accepted, Mediating, "mediate")
            },
            &by,
        )
        .await
        .unwrap();
    store
        .dispatch_complaint(c.id, district("450107"), "属乙区管辖", &by)
        .await
        .unwrap();
    let got = store.complaint(Scope::City, c.id).await.unwrap().unwrap();
    assert_eq!(got.state, Mediating);
    assert!(got.accepted_at.is_some());
    assert_eq!(got.mediation_ends_by, Some(day("2024-05-06")));
    assert_eq!(got.district, Some(district("450107")));
    assert!(got.overdue(day("2024-05-07")) && !got.overdue(day("2024-03-04")));
    let overdue = ComplaintFilter {
        overdue: Some(true),
        today: Some(day("2024-05-07")),
        ..ComplaintFilter::default()
    };
    assert_eq!(
        store.count_complaints(Scope::City, &overdue).await.unwrap(),
        1
    );
    let events = store.complaint_events(Scope::City, c.id).await.unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["file", "accept", "mediate", "dispatch"]);
    assert_eq!(events[3].note.as_deref(), Some("属乙区管辖"));
    let audit = store
        .audit_of(&format!("complaint:{}", c.id))
        .await
        .unwrap();
    assert_eq!(audit.len(), 4);
    // The audit log keeps no personal data.
    assert!(audit
        .iter()
        .all(|a| !format!("{:?}", a.new_value).contains("13800000000")));
}

async fn complaints_are_scoped_by_their_district(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await.entity_id.unwrap();
    let by = Actor::system("test");
    // By its entity (青秀区 450103), by its assigned district (450107), and the city's.
    let of_entity = filed(
        store
            .file_complaint(&new(Some(a), None, 1, "a"), minutes(10), &by)
            .await
            .unwrap(),
    );
    let assigned = filed(
        store
            .file_complaint(&new(None, Some("450107"), 2, "bb"), minutes(10), &by)
            .await
            .unwrap(),
    );
    let city = filed(
        store
            .file_complaint(&new(None, None, 3, "ccc"), minutes(10), &by)
            .await
            .unwrap(),
    );
    let qingxiu = Scope::district(district("450103"));
    let all = ComplaintFilter::default();
    let ids = |l: Vec<Complaint>| l.into_iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_complaints(qingxiu.clone(), &all).await.unwrap()),
        [of_entity.id]
    );
    assert!(store
        .complaint(qingxiu.clone(), assigned.id)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .complaint(qingxiu.clone(), city.id)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .complaint_events(qingxiu.clone(), city.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.count_complaints(Scope::City, &all).await.unwrap(), 3);
    let evaluator = Scope::Entities(std::sync::Arc::from([a]));
    assert_eq!(
        store
            .count_complaints(evaluator.clone(), &all)
            .await
            .unwrap(),
        0
    );
    assert!(store
        .complaint(evaluator, of_entity.id)
        .await
        .unwrap()
        .is_none());
    // Dispatched elsewhere, it leaves the entity's district.
    store
        .dispatch_complaint(of_entity.id, district("450107"), "改派", &by)
        .await
        .unwrap();
    assert!(store
        .complaint(qingxiu, of_entity.id)
        .await
        .unwrap()
        .is_none());
}

async fn upheld_marks_credit_stale_and_counts(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await.entity_id.unwrap();
    let by = Actor::system("test");
    let c = filed(
        store
            .file_complaint(&new(None, None, 1, "a"), minutes(10), &by)
            .await
            .unwrap(),
    );
    store
        .link_complaint(
            c.id,
            &ComplaintLinks {
                entity: Some(a),
                ..ComplaintLinks::default()
            },
            &by,
        )
        .await
        .unwrap();
    // Linking before anything is upheld marks nothing.
    let before = store.count_credit_stale().await.unwrap();
    use ComplaintState::*;
    for (from, to, action) in [
        (Received, Accepted, "accept"),
        (Accepted, Verified, "verify"),
    ] {
        let ch = ComplaintChange {
            from,
            to,
            action,
            note: None,
            mediation_ends_by: None,
            outcome: None,
            upheld: None,
        };
        store.step_complaint(c.id, &ch, &by).await.unwrap();
    }
    assert_eq!(store.count_credit_stale().await.unwrap(), before);
    store
        .step_complaint(
            c.id,
            &ComplaintChange {
                from: Verified,
                to: Closed,
                action: "close",
                note: None,
                mediation_ends_by: None,
                outcome: Some((ComplaintOutcome::CaseOpened, "已立案查处".into())),
                upheld: Some(true),
            },
            &by,
        )
        .await
        .unwrap();
    let stale = store.credit_stale(100).await.unwrap();
    assert!(stale.iter().any(|(e, _)| *e == a), "{stale:?}");
    let got = store.complaint(Scope::City, c.id).await.unwrap().unwrap();
    assert!(got.upheld && got.closed_at.is_some() && got.published_at.is_some());
    assert_eq!(got.outcome, Some(ComplaintOutcome::CaseOpened));
    let counts = store
        .complaint_counts(Scope::City, day("2024-03-02"))
        .await
        .unwrap();
    assert_eq!(
        counts,
        ComplaintCounts {
            received: 1,
            accepted: 1,
            overdue: 0,
            upheld: 1
        }
    );
}
