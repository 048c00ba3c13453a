//! Many workers on one sweep: leases of hosts with their fencing tokens, the log's submitted
//! leaves and their sequencing, the sequencer's lock.

use crate::records::{fetch, finding, register};
use crate::TestStore;
use ::store::*;
use chrono::Duration;
use domain::{SiteId, SweepId};
use std::collections::BTreeSet;

crate::on_every_backend!(
    a_host_is_leased_to_one_worker_with_all_its_sites,
    a_lease_that_ran_out_is_taken_over_and_the_old_holder_fenced_off,
    a_given_back_lease_counts_on,
    probes_are_recorded_once_under_the_lease,
    leaves_are_sequenced_once,
    one_sequencer_at_a_time,
);

const HOUR: i64 = 3600;

async fn city_sweep(store: &TestStore) -> SweepId {
    register(store.as_ref()).await;
    let sites: Vec<SiteId> = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    store.create_sweep(&sites).await.unwrap()
}

async fn a_host_is_leased_to_one_worker_with_all_its_sites(store: TestStore) {
    let sweep = city_sweep(&store).await;
    let one = store
        .lease_hosts(sweep, "w1", 2, Duration::seconds(HOUR))
        .await
        .unwrap();
    let two = store
        .lease_hosts(sweep, "w2", 5, Duration::seconds(HOUR))
        .await
        .unwrap();
    let three = store
        .lease_hosts(sweep, "w3", 5, Duration::seconds(HOUR))
        .await
        .unwrap();
    let hosts = |l: &[LeasedHost]| l.iter().map(|h| h.lease.host.clone()).collect::<Vec<_>>();
    assert_eq!(hosts(&one), ["a.test", "b.test"]);
    assert_eq!(hosts(&two), ["waimai.test"], "the hosts left, none twice");
    assert!(three.is_empty(), "every host is held");
    // The platform and its shop share a host: one worker has both.
    let waimai = &two[0];
    assert_eq!(waimai.sites.len(), 2);
    assert!(waimai.sites.iter().any(|s| s.path_prefix == "/shop/8812"));
    assert_eq!(waimai.lease.owner, "w2");
    assert!(!waimai.probed && waimai.taken_from.is_none());
    assert_eq!(store.hosts_left(sweep).await.unwrap(), (3, 3));

    // A site done leaves the host's work; a host without pending sites is not leased again.
    for site in &one[0].sites {
        store
            .commit_leased_progress(
                &one[0].lease,
                Duration::seconds(HOUR),
                &progress(sweep, site.id, Some(SiteSweepState::Done)),
            )
            .await
            .unwrap();
    }
    store.release_lease(&one[0].lease).await.unwrap();
    assert_eq!(store.hosts_left(sweep).await.unwrap(), (2, 2));
    assert!(store
        .lease_hosts(sweep, "w3", 5, Duration::seconds(HOUR))
        .await
        .unwrap()
        .is_empty());

    store.worker_seen("w1", "r1", None, true).await.unwrap();
    store
        .worker_seen("w1", "r1", Some(sweep), false)
        .await
        .unwrap();
    store
        .worker_seen("w2", "r2", Some(sweep), true)
        .await
        .unwrap();
    let seen = store.workers(crate::at(0)).await.unwrap();
    let held: Vec<(String, i64)> = seen.iter().map(|w| (w.name.clone(), w.hosts)).collect();
    assert_eq!(held, [("w1".to_string(), 1), ("w2".to_string(), 1)]);
    assert_eq!(seen[0].sweep, Some(sweep));
    assert_eq!(seen[0].run, "r1");
    let idle: Vec<bool> = seen.iter().map(|w| w.idle).collect();
    assert_eq!(idle, [false, true], "as each was last seen");
    assert!(
        seen[0].started_at < seen[0].seen_at,
        "the same run keeps its start"
    );
    store
        .worker_seen("w1", "r3", Some(sweep), false)
        .await
        .unwrap();
    let w1 = &store.workers(crate::at(0)).await.unwrap()[0];
    assert_eq!(
        (w1.run.as_str(), w1.started_at),
        ("r3", w1.seen_at),
        "a new run starts again"
    );
}

fn progress(sweep: SweepId, site: SiteId, finish: Option<SiteSweepState>) -> SiteProgress {
    SiteProgress {
        sweep,
        site,
        fetches: vec![(
            fetch(sweep, site, "http://a.test/p", Some(200)),
            vec![finding(sweep, site, "license.not_displayed", "无执照")],
        )],
        frontier: FrontierUpdate::Keep,
        finish: finish.map(|s| (s, None)),
        discoveries: Vec::new(),
        classified: None,
        shown: None,
    }
}

/// Fetches recorded in the sweep (with their findings: one each in these tests).
async fn fetch_count(store: &TestStore, sweep: SweepId) -> i64 {
    let s = store.sweep(sweep).await.unwrap().unwrap();
    assert_eq!(s.pages, s.findings, "one finding per fetch");
    s.pages
}

async fn a_lease_that_ran_out_is_taken_over_and_the_old_holder_fenced_off(store: TestStore) {
    let sweep = city_sweep(&store).await;
    // A lease of no length has run out at the store's next reading.
    let first = store
        .lease_hosts(sweep, "w1", 1, Duration::seconds(0))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(first.lease.token, 1);
    let site = first.sites[0].id;
    // Still its holder's while nobody took it: progress goes in (and renews the lease).
    store
        .commit_leased_progress(
            &first.lease,
            Duration::seconds(0),
            &progress(sweep, site, None),
        )
        .await
        .unwrap();
    assert_eq!(fetch_count(&store, sweep).await, 1);

    let taken = store
        .lease_hosts(sweep, "w2", 1, Duration::seconds(HOUR))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(taken.lease.host, first.lease.host);
    assert_eq!(taken.lease.token, 2);
    assert_eq!(taken.taken_from.as_deref(), Some("w1"));

    // The old holder wakes: its commit, renewal and probes are refused, nothing written.
    let lost = store
        .commit_leased_progress(
            &first.lease,
            Duration::seconds(HOUR),
            &progress(sweep, site, Some(SiteSweepState::Done)),
        )
        .await;
    assert!(
        matches!(lost, Err(StoreError::LeaseLost { .. })),
        "{lost:?}"
    );
    assert!(matches!(
        store
            .renew_lease(&first.lease, Duration::seconds(HOUR))
            .await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        store.commit_probes(&first.lease, &[site], &[]).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert_eq!(fetch_count(&store, sweep).await, 1);
    let pending: BTreeSet<SiteId> = store
        .pending_sites(Scope::City, sweep)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert!(
        pending.contains(&site),
        "the site is still the new holder's work"
    );
    // Its release leaves the new holder's lease alone.
    store.release_lease(&first.lease).await.unwrap();
    let renewed = store
        .renew_lease(&taken.lease, Duration::seconds(HOUR))
        .await
        .unwrap();
    assert!(renewed.until >= taken.lease.until);

    if store.backend() == crate::Backend::Postgres {
        // A holder frozen in the middle of a commit keeps its lease row locked: a leaser
        // skips that host rather than wait for it, and takes it once the row is free.
        use sqlx::Connection;
        let frozen = store
            .lease_hosts(sweep, "w3", 1, Duration::seconds(0))
            .await
            .unwrap()
            .remove(0);
        let options = ::store::pg_connect_options(&store.url()).unwrap();
        let mut other = sqlx::PgConnection::connect_with(&options).await.unwrap();
        let mut tx = other.begin().await.unwrap();
        sqlx::query("SELECT 1 FROM host_leases WHERE sweep_id = $1 AND host = $2 FOR UPDATE")
            .bind(sweep.0)
            .bind(&frozen.lease.host)
            .execute(&mut *tx)
            .await
            .unwrap();
        let leased = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            store.lease_hosts(sweep, "w4", 100, Duration::seconds(HOUR)),
        )
        .await
        .expect("a leaser does not wait for a locked lease row")
        .unwrap();
        assert!(leased.iter().all(|h| h.lease.host != frozen.lease.host));
        tx.rollback().await.unwrap();
        let later = store
            .lease_hosts(sweep, "w4", 100, Duration::seconds(HOUR))
            .await
            .unwrap();
        let host = later
            .iter()
            .find(|h| h.lease.host == frozen.lease.host)
            .expect("taken once the row is free");
        assert_eq!(host.taken_from.as_deref(), Some("w3"));
    }
}

async fn a_given_back_lease_counts_on(store: TestStore) {
    let sweep = city_sweep(&store).await;
    let first = store
        .lease_hosts(sweep, "w1", 1, Duration::seconds(HOUR))
        .await
        .unwrap()
        .remove(0);
    store.release_lease(&first.lease).await.unwrap();
    let again = store
        .lease_hosts(sweep, "w2", 1, Duration::seconds(HOUR))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(again.lease.host, first.lease.host);
    assert_eq!(again.lease.token, 2, "tokens never start over");
    assert_eq!(again.taken_from, None, "given back, not taken over");
    assert!(matches!(
        store
            .commit_leased_progress(
                &first.lease,
                Duration::seconds(HOUR),
                &progress(sweep, first.sites[0].id, None)
            )
            .await,
        Err(StoreError::LeaseLost { .. })
    ));
}

async fn probes_are_recorded_once_under_the_lease(store: TestStore) {
    let sweep = city_sweep(&store).await;
    let first = store
        .lease_hosts(sweep, "w1", 1, Duration::seconds(0))
        .await
        .unwrap()
        .remove(0);
    let site = first.sites[0].id;
    store
        .commit_probes(
            &first.lease,
            &[site],
            &[(
                fetch(sweep, site, "http://a.test/", Some(200)),
                vec![finding(sweep, site, "site.hijacked", "跳转")],
            )],
        )
        .await
        .unwrap();
    assert_eq!(fetch_count(&store, sweep).await, 1);
    let taken = store
        .lease_hosts(sweep, "w2", 1, Duration::seconds(HOUR))
        .await
        .unwrap()
        .remove(0);
    assert!(
        taken.probed,
        "the next holder knows the probes were recorded"
    );
}

async fn leaves_are_sequenced_once(store: TestStore) {
    let leaf = |n: u8| [n; 32];
    let ids = store
        .submit_leaves("w1", &[leaf(1), leaf(2), leaf(3)])
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    let more = store.submit_leaves("w2", &[leaf(4)]).await.unwrap();
    assert_eq!(store.sequenced_count().await.unwrap(), 0);
    assert_eq!(store.leaf_indexes(&ids).await.unwrap(), [None, None, None]);
    let pending = store.pending_leaves(10).await.unwrap();
    assert_eq!(
        pending.iter().map(|p| p.leaf).collect::<Vec<_>>(),
        [leaf(1), leaf(2), leaf(3), leaf(4)]
    );
    store
        .assign_leaf_indexes(&[(ids[0], 0), (ids[1], 1)])
        .await
        .unwrap();
    assert_eq!(
        store.leaf_indexes(&ids).await.unwrap(),
        [Some(0), Some(1), None]
    );
    assert_eq!(store.sequenced_count().await.unwrap(), 2);
    assert_eq!(store.pending_leaves(10).await.unwrap().len(), 2);
    // A leaf sequenced twice, or an index given twice: refused whole.
    assert!(matches!(
        store.assign_leaf_indexes(&[(ids[2], 2), (ids[0], 3)]).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.assign_leaf_indexes(&[(ids[2], 1)]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.leaf_indexes(&ids[2..]).await.unwrap(), [None]);
    store
        .assign_leaf_indexes(&[(more[0], 2), (ids[2], 3)])
        .await
        .unwrap();
    assert_eq!(
        store
            .leaf_indexes(&[ids[1], more[0], ids[2]])
            .await
            .unwrap(),
        [Some(1), Some(2), Some(3)]
    );
    assert!(store.pending_leaves(10).await.unwrap().is_empty());
    assert_eq!(
        store.known_leaves(&[leaf(4), leaf(5)]).await.unwrap(),
        [true, false]
    );

    // Pruned: every sequenced leaf but the last goes, a pending one stays, and the next
    // index holds.
    let late = store.submit_leaves("w1", &[leaf(6)]).await.unwrap();
    assert_eq!(store.prune_sequenced_leaves().await.unwrap(), 3);
    assert_eq!(store.sequenced_count().await.unwrap(), 4);
    assert_eq!(
        store
            .known_leaves(&[leaf(1), leaf(3), leaf(6)])
            .await
            .unwrap(),
        [false, true, true]
    );
    assert_eq!(store.pending_leaves(10).await.unwrap()[0].id, late[0]);
    store.assign_leaf_indexes(&[(late[0], 4)]).await.unwrap();
    assert_eq!(store.prune_sequenced_leaves().await.unwrap(), 1);
    assert_eq!(store.sequenced_count().await.unwrap(), 5);
}

async fn one_sequencer_at_a_time(store: TestStore) {
    let mut first = store.try_lead().await.unwrap().expect("nobody leads yet");
    assert!(first.still_held().await);
    match store.backend() {
        crate::Backend::Postgres => {
            // Another process (another pool on the same database) cannot lead meanwhile.
            let other = store.open().await.unwrap();
            assert!(other.try_lead().await.unwrap().is_none());
            drop(first);
            // The server releases the lock when the connection closes.
            let mut again = None;
            for _ in 0..50 {
                again = other.try_lead().await.unwrap();
                if again.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert!(again.is_some(), "the lock is free once its holder is gone");
        }
        crate::Backend::Sqlite => {
            // One machine: the log's own file lock admits one sequencer.
            assert!(store.try_lead().await.unwrap().is_some());
        }
    }
}
