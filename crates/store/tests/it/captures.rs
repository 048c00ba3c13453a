//! Two-person capture requests on every backend: asked for by one user, refused to the same
//! user's confirmation, confirmed by another, done; scoped reads; every step audited.

use crate::records::{register, site_of};
use crate::{district, on_every_backend, TestStore};
use ::store::*;
use domain::{Role, SweepId};

on_every_backend!(
    a_request_is_confirmed_by_a_second_user_and_audited,
    requests_are_read_in_scope_and_cancelled_or_failed,
);

fn user(name: &str, role: Role, districts: &[&str]) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: name.into(),
        role,
        districts: districts.iter().map(|d| district(d)).collect(),
        entities: vec![],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

async fn a_request_is_confirmed_by_a_second_user_and_audited(store: TestStore) {
    register(&*store).await;
    let sys = Actor::system("test");
    let li = store
        .create_user(&user("li", Role::Inspector, &["450103"]), &sys)
        .await
        .unwrap();
    let wang = store
        .create_user(&user("wang", Role::Inspector, &["450103"]), &sys)
        .await
        .unwrap();
    let site = site_of(&*store, "a.test", "/").await;
    let asked = store
        .create_capture_request(
            &NewCaptureRequest {
                url: "http://a.test/".into(),
                site_id: site.id,
                clue_id: None,
                reason: "举报核查".into(),
                requested_by: li.id,
            },
            &Actor::user(&li, Some("r1".into())),
        )
        .await
        .unwrap();
    assert_eq!(asked.state, CaptureState::Pending);
    assert_eq!(asked.requested_by_name, "li");
    assert_eq!(asked.site, "a.test");
    assert_eq!(asked.district, Some(district("450103")));

    // The requester cannot confirm their own request; nothing changes.
    let own = store
        .step_capture_request(
            Scope::City,
            asked.id,
            &CaptureStep::Confirm,
            &Actor::user(&li, None),
        )
        .await;
    assert!(
        matches!(own, Err(StoreError::Step(StepRefusal::OwnRequest))),
        "{own:?}"
    );
    // Even behind the store's back, the table refuses it.
    let raw = store
        .exec_raw(&format!(
            "UPDATE capture_requests SET confirmed_by = {} WHERE id = {}",
            li.id, asked.id
        ))
        .await;
    assert!(raw.is_err(), "{raw:?}");

    let confirmed = store
        .step_capture_request(
            Scope::City,
            asked.id,
            &CaptureStep::Confirm,
            &Actor::user(&wang, Some("r2".into())),
        )
        .await
        .unwrap();
    assert_eq!(confirmed.state, CaptureState::Confirmed);
    assert_eq!(confirmed.confirmed_by, Some(wang.id));
    assert_eq!(confirmed.confirmed_by_name.as_deref(), Some("wang"));
    assert!(confirmed.confirmed_at.is_some());
    // A second confirmation is a step the state does not allow.
    assert!(matches!(
        store
            .step_capture_request(
                Scope::City,
                asked.id,
                &CaptureStep::Confirm,
                &Actor::user(&wang, None),
            )
            .await,
        Err(StoreError::Step(StepRefusal::WrongState {
            state: CaptureState::Confirmed,
            ..
        }))
    ));
    let sweep = store.create_capture(site.id, None).await.unwrap();
    let done = store
        .step_capture_request(
            Scope::City,
            asked.id,
            &CaptureStep::Done(sweep),
            &Actor::user(&wang, None),
        )
        .await
        .unwrap();
    assert_eq!(done.state, CaptureState::Done);
    assert_eq!(done.sweep_id, Some(sweep));
    assert!(done.finished_at.is_some());

    let audit = store
        .audit_of(&format!("capture_request:{}", asked.id))
        .await
        .unwrap();
    let steps: Vec<(&str, &str)> = audit
        .iter()
        .map(|a| (a.action.as_str(), a.actor.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("request", "user:li"),
            ("confirm", "user:wang"),
            ("done", "user:wang")
        ]
    );
    assert_eq!(audit[0].request_id.as_deref(), Some("r1"));
    assert_eq!(audit[1].old_value.as_ref().unwrap()["state"], "pending");
    assert_eq!(audit[1].new_value.as_ref().unwrap()["confirmed_by"], "wang");
    assert_eq!(
        audit[2].new_value.as_ref().unwrap()["sweep"],
        serde_json::json!(sweep.0)
    );
}

async fn requests_are_read_in_scope_and_cancelled_or_failed(store: TestStore) {
    register(&*store).await;
    let sys = Actor::system("test");
    let li = store
        .create_user(&user("li", Role::Inspector, &["450103"]), &sys)
        .await
        .unwrap();
    let boss = store
        .create_user(&user("boss", Role::Supervisor, &[]), &sys)
        .await
        .unwrap();
    let a = site_of(&*store, "a.test", "/").await;
    let ask = |url: &str, site: domain::SiteId| NewCaptureRequest {
        url: url.into(),
        site_id: site,
        clue_id: None,
        reason: "核查".into(),
        requested_by: li.id,
    };
    let first = store
        .create_capture_request(&ask("http://a.test/", a.id), &Actor::user(&li, None))
        .await
        .unwrap();
    // A site of another district (兴宁 450102): the inspector of 青秀 does not see it.
    let sites = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap();
    let other = sites
        .iter()
        .find(|s| s.district == Some(district("450102")))
        .expect("a 兴宁 site");
    let second = store
        .create_capture_request(
            &NewCaptureRequest {
                requested_by: boss.id,
                ..ask(&format!("http://{}/", other.host), other.id)
            },
            &Actor::user(&boss, None),
        )
        .await
        .unwrap();
    // A clue of another site is refused.
    assert!(matches!(
        store
            .create_capture_request(
                &NewCaptureRequest {
                    clue_id: Some(domain::ClueId(999)),
                    ..ask("http://a.test/", a.id)
                },
                &Actor::user(&li, None),
            )
            .await,
        Err(StoreError::NotFound(_))
    ));

    let mine = li.scope();
    let pending = CaptureRequestFilter {
        states: vec![CaptureState::Pending],
        limit: 0,
    };
    let seen = store
        .list_capture_requests(mine.clone(), &pending)
        .await
        .unwrap();
    assert_eq!(seen.iter().map(|r| r.id).collect::<Vec<_>>(), [first.id]);
    let all = store
        .list_capture_requests(Scope::City, &pending)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        [second.id, first.id],
        "newest first"
    );
    assert!(store
        .capture_request(mine.clone(), second.id)
        .await
        .unwrap()
        .is_none());
    // Out of scope is not found, for steps too.
    assert!(matches!(
        store
            .step_capture_request(
                mine.clone(),
                second.id,
                &CaptureStep::Cancel,
                &Actor::user(&li, None)
            )
            .await,
        Err(StoreError::NotFound(_))
    ));

    let cancelled = store
        .step_capture_request(
            mine.clone(),
            first.id,
            &CaptureStep::Cancel,
            &Actor::user(&li, None),
        )
        .await
        .unwrap();
    assert_eq!(cancelled.state, CaptureState::Cancelled);
    assert!(store
        .list_capture_requests(mine.clone(), &pending)
        .await
        .unwrap()
        .is_empty());
    // A request that was never confirmed cannot be done.
    assert!(matches!(
        store
            .step_capture_request(Scope::City, second.id, &CaptureStep::Done(SweepId(1)), &sys)
            .await,
        Err(StoreError::Step(_))
    ));
    store
        .step_capture_request(
            Scope::City,
            second.id,
            &CaptureStep::Confirm,
            &Actor::user(&li, None),
        )
        .await
        .unwrap();
    let failed = store
        .step_capture_request(
            Scope::City,
            second.id,
            &CaptureStep::Fail("unreachable".into()),
            &sys,
        )
        .await
        .unwrap();
    assert_eq!(failed.state, CaptureState::Failed);
    assert_eq!(failed.error.as_deref(), Some("unreachable"));
}
