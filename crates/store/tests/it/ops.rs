//! What an operator's probes and metrics read: the schema's state, findings by category and
//! severity, the queues waiting for a person and a sweep's failed fetches by stored reason.

use crate::records::{fetch, finding, register, site_of};
use crate::{on_every_backend, TestStore};
use ::store::ops::{ErrorTally, Queue};
use ::store::*;
use domain::{Category, Severity};

on_every_backend!(
    the_schema_is_this_builds,
    a_schema_migrated_by_a_newer_build_is_not_current,
    findings_are_counted_by_category_and_severity,
    queues_count_what_waits_for_a_person,
    failed_fetches_are_counted_per_sweep_and_reason,
);

async fn the_schema_is_this_builds(store: TestStore) {
    let state = store.as_ref().schema_state().await.unwrap();
    assert!(state.known >= 19, "{state:?}");
    assert_eq!(state.applied, state.known);
    assert!(state.current());
}

/// A newer build that migrates the database while this one runs: the probe says so.
async fn a_schema_migrated_by_a_newer_build_is_not_current(test: TestStore) {
    let checksum = match test.backend() {
        crate::Backend::Sqlite => "X'00'",
        crate::Backend::Postgres => "'\\x00'::bytea",
    };
    test.exec_raw(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from a newer build', TRUE, {checksum}, 0)"
    ))
    .await
    .unwrap();
    let state = test.as_ref().schema_state().await.unwrap();
    assert_eq!(state.applied, 9999);
    assert!(!state.current(), "{state:?}");
}

async fn findings_are_counted_by_category_and_severity(store: TestStore) {
    let store = store.as_ref();
    assert!(store.finding_tallies().await.unwrap().is_empty());
    register(store).await;
    let a = site_of(store, "a.test", "/").await.id;
    let sweep = store.create_sweep(&[a]).await.unwrap();
    store
        .record_findings(&[
            finding(sweep, a, "ad.absolute_term", "最好"),
            finding(sweep, a, "ad.absolute_term", "第一"),
            finding(sweep, a, "content.gambling", "百家乐"),
        ])
        .await
        .unwrap();
    let tallies = store.finding_tallies().await.unwrap();
    let got: Vec<(Category, Severity, i64)> = tallies
        .iter()
        .map(|t| (t.category, t.severity, t.count))
        .collect();
    let absolute: Category = "ad.absolute_term".parse().unwrap();
    let gambling: Category = "content.gambling".parse().unwrap();
    let mut want = vec![
        (absolute, absolute.severity(), 2),
        (gambling, gambling.severity(), 1),
    ];
    want.sort();
    assert_eq!(got, want);
}

async fn queues_count_what_waits_for_a_person(store: TestStore) {
    let store = store.as_ref();
    let depths = store.queue_depths().await.unwrap();
    assert_eq!(
        depths.iter().map(|d| d.queue).collect::<Vec<_>>(),
        Queue::ALL.to_vec()
    );
    assert!(depths.iter().all(|d| d.count == 0), "{depths:?}");
    // A clue made from a finding waits to be dispatched.
    register(store).await;
    let a = site_of(store, "a.test", "/").await.id;
    let sweep = store.create_sweep(&[a]).await.unwrap();
    store
        .record_fetch(
            &fetch(sweep, a, "http://a.test/", Some(200)),
            &[finding(sweep, a, "ad.absolute_term", "全国第一")],
        )
        .await
        .unwrap();
    let found = store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap();
    store
        .create_clue(
            &NewClue {
                site_id: a,
                findings: vec![found[0].id],
                summary: "首页绝对化用语".into(),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let depths = store.queue_depths().await.unwrap();
    let depth = |q: Queue| depths.iter().find(|d| d.queue == q).unwrap().count;
    assert_eq!(depth(Queue::CluesNew), 1);
    assert_eq!(depth(Queue::ComplaintsReceived), 0);
}

async fn failed_fetches_are_counted_per_sweep_and_reason(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await.id;
    let first = store.create_sweep(&[a]).await.unwrap();
    let failed = |sweep, url: &str, error: &str| NewFetch {
        error: Some(error.to_string()),
        ..fetch(sweep, a, url, None)
    };
    for f in [
        fetch(first, a, "http://a.test/", Some(200)),
        failed(first, "http://a.test/1", "connect refused"),
        failed(first, "http://a.test/2", "connect refused"),
        failed(first, "http://a.test/3", "timeout after 20s"),
    ] {
        store.record_fetch(&f, &[]).await.unwrap();
    }
    store.finish_sweep(first).await.unwrap();
    let second = store.create_sweep(&[a]).await.unwrap();
    store
        .record_fetch(&failed(second, "http://a.test/4", "connect refused"), &[])
        .await
        .unwrap();
    let tally = |error: &str, count| ErrorTally {
        error: error.into(),
        count,
    };
    assert_eq!(
        store.fetch_errors(first).await.unwrap(),
        [tally("connect refused", 2), tally("timeout after 20s", 1)]
    );
    assert_eq!(
        store.fetch_errors(second).await.unwrap(),
        [tally("connect refused", 1)]
    );
}
