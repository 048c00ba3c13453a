//! Users, sessions, API tokens, the audit log and triage, on every backend.

use crate::records::{findings_fixture, site_of};
use crate::{district, on_every_backend, TestStore};
use ::store::*;
use domain::{Role, Triage};

on_every_backend!(
    users_are_added_changed_and_audited,
    sessions_and_tokens_are_found_by_hash_only,
    login_failures_are_counted_per_account_and_per_client,
    triage_is_scoped_audited_and_counted_per_rule,
    the_audit_log_is_append_only,
);

fn inspector(name: &str, districts: &[&str]) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: "李明".into(),
        role: Role::Inspector,
        districts: districts.iter().map(|d| district(d)).collect(),
        entities: vec![],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

async fn users_are_added_changed_and_audited(store: TestStore) {
    let admin = Actor::system("cli");
    let li = store
        .create_user(&inspector("li", &["450102", "450103"]), &admin)
        .await
        .unwrap();
    assert_eq!(li.role, Role::Inspector);
    assert_eq!(li.districts, [district("450102"), district("450103")]);
    assert!(matches!(
        li.scope(),
        Scope::Districts(ds) if ds.len() == 2
    ));
    assert!(matches!(
        store
            .create_user(&inspector("li", &["450102"]), &admin)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let (found, hash) = store.user_credentials("li").await.unwrap().unwrap();
    assert_eq!(found, li);
    assert!(hash.starts_with("$argon2id$"));
    assert_eq!(store.count_users().await.unwrap(), 1);

    let by = Actor::user(&li, Some("req-1".into()));
    let changed = store
        .change_user(
            li.id,
            &UserChange::Role {
                role: Role::Supervisor,
                districts: vec![],
                entities: vec![],
            },
            &by,
        )
        .await
        .unwrap();
    assert_eq!(changed.role, Role::Supervisor);
    assert!(changed.districts.is_empty());
    assert_eq!(changed.scope(), Scope::City);
    let disabled = store
        .change_user(li.id, &UserChange::Disabled(true), &admin)
        .await
        .unwrap();
    assert!(disabled.disabled);
    assert_eq!(disabled.scope(), Scope::Districts(Vec::new().into()));

    let audit = store.audit_of(&format!("user:{}", li.id)).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["create", "role", "disable"]);
    assert_eq!(audit[1].user_id, Some(li.id));
    assert_eq!(audit[1].request_id.as_deref(), Some("req-1"));
    assert_eq!(audit[1].old_value.as_ref().unwrap()["role"], "inspector");
    assert_eq!(audit[1].new_value.as_ref().unwrap()["role"], "supervisor");
    assert!(
        !audit.iter().any(|a| a
            .new_value
            .as_ref()
            .is_some_and(|v| v.to_string().contains("argon2"))),
        "no password hash in the audit log"
    );
    // An evaluator's entities must exist.
    let bad = NewUser {
        role: Role::Evaluator,
        districts: vec![],
        entities: vec![domain::EntityId(999)],
        ..inspector("eval", &[])
    };
    assert!(matches!(
        store.create_user(&bad, &admin).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.user_by_name("eval").await.unwrap().is_none());
}

async fn sessions_and_tokens_are_found_by_hash_only(store: TestStore) {
    let admin = Actor::system("cli");
    let li = store
        .create_user(&inspector("li", &["450102"]), &admin)
        .await
        .unwrap();
    store
        .create_session("hash-1", li.id, "csrf-1", "127.0.0.1")
        .await
        .unwrap();
    let s = store.session("hash-1").await.unwrap().unwrap();
    assert_eq!(s.user.id, li.id);
    let login = store.audit_of(&format!("user:{}", li.id)).await.unwrap();
    assert_eq!(login.last().unwrap().action, "login");
    assert_eq!(login.last().unwrap().user_id, Some(li.id));
    assert_eq!(
        login.last().unwrap().new_value.as_ref().unwrap()["client"],
        "127.0.0.1"
    );
    assert_eq!(s.csrf, "csrf-1");
    store.touch_session("hash-1").await.unwrap();
    let touched = store.session("hash-1").await.unwrap().unwrap();
    assert!(touched.last_seen_at > s.last_seen_at);
    assert!(store.session("hash-2").await.unwrap().is_none());
    // A new password ends the user's sessions.
    store
        .change_user(li.id, &UserChange::Password("x".into()), &admin)
        .await
        .unwrap();
    assert!(store.session("hash-1").await.unwrap().is_none());
    store
        .create_session("hash-3", li.id, "csrf-3", "127.0.0.1")
        .await
        .unwrap();
    store.delete_session("hash-3").await.unwrap();
    assert!(store.session("hash-3").await.unwrap().is_none());

    let token = store
        .create_api_token(li.id, "报表脚本", "thash", &admin)
        .await
        .unwrap();
    assert_eq!(store.token_user("thash").await.unwrap().unwrap().id, li.id);
    assert_eq!(store.list_api_tokens(li.id).await.unwrap().len(), 1);
    store.revoke_api_token(token.id, &admin).await.unwrap();
    assert!(store.token_user("thash").await.unwrap().is_none());
    assert!(store.revoke_api_token(token.id, &admin).await.is_err());
}

async fn login_failures_are_counted_per_account_and_per_client(store: TestStore) {
    let since = crate::at(0);
    store.record_login_failure("li", "10.0.0.1").await.unwrap();
    store.record_login_failure("li", "10.0.0.2").await.unwrap();
    store
        .record_login_failure("wang", "10.0.0.1")
        .await
        .unwrap();
    assert_eq!(
        store
            .login_failures_since("li", "10.0.0.1", since)
            .await
            .unwrap(),
        (2, 2)
    );
    // Only failures since the window's start count.
    let later = crate::at(crate::T0 + 3600);
    assert_eq!(
        store
            .login_failures_since("li", "10.0.0.1", later)
            .await
            .unwrap(),
        (0, 0)
    );
    store.clear_login_failures("li").await.unwrap();
    assert_eq!(
        store
            .login_failures_since("li", "10.0.0.1", since)
            .await
            .unwrap(),
        (0, 1)
    );
}

async fn triage_is_scoped_audited_and_counted_per_rule(store: TestStore) {
    findings_fixture(store.as_ref()).await;
    let a = site_of(store.as_ref(), "a.test", "/").await;
    let admin = Actor::system("cli");
    let li = store
        .create_user(&inspector("li", &["450103"]), &admin)
        .await
        .unwrap();
    let all = store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap();
    assert!(all.iter().all(|f| f.triage == Triage::Open));
    let on_a: Vec<&Finding> = all.iter().filter(|f| f.finding.site_id == a.id).collect();
    let elsewhere = all
        .iter()
        .find(|f| f.district == Some(district("450105")))
        .unwrap();
    let by = Actor::user(&li, None);
    let decide = |decision, reason: Option<&str>| TriageDecision {
        decision,
        reason: reason.map(str::to_string),
    };
    // Another district's finding is not found, and stays open.
    assert!(matches!(
        store
            .triage_finding(
                li.scope(),
                elsewhere.id,
                &decide(Triage::Confirmed, None),
                &by
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let done = store
        .triage_finding(
            li.scope(),
            on_a[0].id,
            &decide(Triage::Confirmed, None),
            &by,
        )
        .await
        .unwrap();
    assert_eq!(done.triage, Triage::Confirmed);
    store
        .triage_finding(
            li.scope(),
            on_a[1].id,
            &decide(Triage::FalsePositive, Some("是商品型号")),
            &by,
        )
        .await
        .unwrap();
    let open = store
        .list_findings(
            Scope::City,
            &FindingFilter {
                triage: Some(Triage::Open),
                ..FindingFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(open.len(), all.len() - 2);
    let audit = store
        .audit_of(&format!("finding:{}", on_a[1].id))
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].old_value.as_ref().unwrap()["triage"], "open");
    assert_eq!(audit[0].new_value.as_ref().unwrap()["reason"], "是商品型号");
    let rules = store.rule_triage(li.scope()).await.unwrap();
    let decided: i64 = rules
        .iter()
        .map(|r| r.confirmed + r.dismissed + r.false_positive)
        .sum();
    assert_eq!(decided, 2);
    // Every finding in the inspector's district is counted once.
    let in_scope: i64 = rules
        .iter()
        .map(|r| r.open + r.confirmed + r.dismissed + r.false_positive)
        .sum();
    let listed = store
        .count_findings(li.scope(), &FindingFilter::default())
        .await
        .unwrap();
    assert_eq!(in_scope, listed);
    // The rule of the two decisions: one confirmed, one false positive.
    let rule = &on_a[1].finding.rule_id;
    if on_a[0].finding.rule_id == *rule {
        let r = rules.iter().find(|r| &r.rule_id == rule).unwrap();
        assert_eq!(r.precision(), Some(0.5));
    }
}

async fn the_audit_log_is_append_only(store: TestStore) {
    let admin = Actor::system("cli");
    store
        .create_user(&inspector("li", &["450102"]), &admin)
        .await
        .unwrap();
    assert!(store
        .exec_raw("UPDATE audit SET actor = 'someone else'")
        .await
        .is_err());
    assert!(store.exec_raw("DELETE FROM audit").await.is_err());
    assert_eq!(store.recent_audit(10).await.unwrap().len(), 1);
}

/// A rule is flagged for review when enough decisions give a precision below the threshold;
/// with fewer decisions it is not judged, at the threshold it is sound.
#[test]
fn a_rule_below_the_threshold_is_flagged_for_review() {
    use store::{ReviewPolicy, RuleStanding, RuleTriage};
    let rule = |confirmed, dismissed, false_positive| RuleTriage {
        rule_id: "adv.absolute".into(),
        open: 7,
        confirmed,
        dismissed,
        false_positive,
        suppressed: 3,
    };
    let policy = ReviewPolicy::default();
    assert_eq!(policy.below, 0.8);
    assert_eq!(policy.min_decided, 5);
    // 3 of 5 real: 60 % < 80 %.
    assert_eq!(rule(2, 1, 2).standing(&policy), RuleStanding::Review);
    // 4 of 5: exactly the threshold.
    assert_eq!(rule(3, 1, 1).standing(&policy), RuleStanding::Sound);
    // Four decisions, all false positives: not enough to judge; open ones do not count.
    assert_eq!(
        rule(0, 0, 4).standing(&policy),
        RuleStanding::TooFewDecisions
    );
    assert_eq!(rule(0, 0, 0).precision(), None);
    let strict = ReviewPolicy {
        below: 0.95,
        min_decided: 1,
    };
    assert_eq!(rule(9, 0, 1).standing(&strict), RuleStanding::Review);
    assert_eq!(rule(1, 0, 0).standing(&strict), RuleStanding::Sound);
    // The flagged come first when sorted by standing.
    let mut all = [
        RuleStanding::Sound,
        RuleStanding::TooFewDecisions,
        RuleStanding::Review,
    ];
    all.sort();
    assert_eq!(all, RuleStanding::ALL);
}
