//! The chain of custody: rows chain by hash, reads filter by subject, and a row changed behind
//! the store's back is named by `verify_custody_chain`.

use ::store::{
    audit_custody, custody_hash, verify_custody_chain, CommitmentBreak, CustodyAction,
    CustodyFilter, CustodyHead, NewCustody, Store, GENESIS_HASH,
};
use std::sync::Arc;

use crate::{at, Backend, TestStore, T0};

fn entry(action: CustodyAction, subject: &str, reason: &str) -> NewCustody {
    NewCustody {
        actor: "console 127.0.0.1:5000".into(),
        action,
        subject: subject.into(),
        reason: reason.into(),
    }
}

async fn appends_chain_and_filter_by_subject(store: TestStore) {
    let a = store
        .append_custody(&entry(CustodyAction::View, "warc:a.warc.gz@0", "立案审查"))
        .await
        .unwrap();
    assert_eq!((a.id, a.prev_hash.as_str()), (1, GENESIS_HASH));
    assert_eq!(a.at, at(T0));
    assert_eq!(
        a.hash,
        custody_hash(
            1,
            at(T0),
            &a.actor,
            a.action,
            &a.subject,
            &a.reason,
            GENESIS_HASH
        )
    );
    let b = store
        .append_custody(&entry(CustodyAction::Export, "site:shop.test", "移送"))
        .await
        .unwrap();
    assert_eq!((b.id, &b.prev_hash), (2, &a.hash));
    store
        .append_custody(&entry(CustodyAction::View, "warc:a.warc.gz@0", "复核"))
        .await
        .unwrap();

    let all = store.custody(&CustodyFilter::chain()).await.unwrap();
    assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(all[0], a);
    assert_eq!(verify_custody_chain(&all), Ok(()));

    let of_a = store
        .custody(&CustodyFilter {
            subjects: vec!["warc:a.warc.gz@0".into()],
            ..CustodyFilter::chain()
        })
        .await
        .unwrap();
    assert_eq!(
        of_a.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>(),
        ["立案审查", "复核"]
    );
    let newest = store
        .custody(&CustodyFilter::chain().newest(2))
        .await
        .unwrap();
    assert_eq!(newest.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 3]);
}

async fn concurrent_writers_never_fork_the_chain(test: TestStore) {
    let store: Arc<dyn Store> = test.shared();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append_custody(&entry(CustodyAction::View, &format!("s{i}"), "r"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let all = store.custody(&CustodyFilter::chain()).await.unwrap();
    assert_eq!(all.len(), 8);
    assert_eq!(verify_custody_chain(&all), Ok(()));
}

async fn rows_are_append_only_and_tampering_is_located(store: TestStore) {
    for reason in ["一", "二", "三"] {
        store
            .append_custody(&entry(CustodyAction::View, "warc:a.warc.gz@0", reason))
            .await
            .unwrap();
    }
    // Through SQL, rows cannot be changed or removed.
    let refused = store
        .exec_raw("UPDATE custody SET reason = 'x' WHERE id = 2")
        .await;
    assert!(refused.is_err());
    assert!(store
        .exec_raw("DELETE FROM custody WHERE id = 3")
        .await
        .is_err());
    // Someone who bypasses that (here: drops the trigger) is caught by the chain.
    let drop = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER custody_no_update",
        Backend::Postgres => "DROP TRIGGER custody_no_update ON custody",
    };
    store.exec_raw(drop).await.unwrap();
    store
        .exec_raw("UPDATE custody SET reason = '改过的理由' WHERE id = 2")
        .await
        .unwrap();
    let all = store.custody(&CustodyFilter::chain()).await.unwrap();
    let broken = verify_custody_chain(&all).unwrap_err();
    assert_eq!(broken.id, 2, "{broken}");
    assert!(broken.to_string().contains("row 2"), "{broken}");
}

async fn the_head_is_the_count_and_the_last_hash(store: TestStore) {
    assert_eq!(store.custody_head().await.unwrap(), CustodyHead::empty());
    assert_eq!(
        store.custody_head().await.unwrap(),
        CustodyHead {
            count: 0,
            hash: GENESIS_HASH.into()
        }
    );
    let mut last = None;
    for (i, reason) in ["一", "二", "三"].into_iter().enumerate() {
        let row = store
            .append_custody(&entry(CustodyAction::View, "warc:a.warc.gz@0", reason))
            .await
            .unwrap();
        let head = store.custody_head().await.unwrap();
        assert_eq!(
            head,
            CustodyHead {
                count: i as u64 + 1,
                hash: row.hash.clone()
            }
        );
        last = Some(row);
    }
    let all = store.custody(&CustodyFilter::chain()).await.unwrap();
    assert_eq!(store.custody_head().await.unwrap(), CustodyHead::of(&all));
    assert_eq!(all.last(), last.as_ref());
}

/// The two attacks a committed head exists for, done with raw SQL behind the store's back:
/// a row rewritten with every hash after it recomputed (the links hold again), and rows cut
/// off the end.
async fn committed_heads_catch_rewrites_and_truncation(store: TestStore) {
    for reason in ["一", "二", "三", "四"] {
        store
            .append_custody(&entry(CustodyAction::View, "warc:a.warc.gz@0", reason))
            .await
            .unwrap();
    }
    let committed = store.custody_head().await.unwrap();
    store
        .append_custody(&entry(CustodyAction::Export, "sweep:1", "五"))
        .await
        .unwrap();
    let rows = store.custody(&CustodyFilter::chain()).await.unwrap();
    let audit = audit_custody(&rows, std::slice::from_ref(&committed));
    assert!(audit.ok(), "{audit:?}");
    assert_eq!((audit.committed, audit.uncommitted()), (4, 1));

    let (drop_update, drop_delete) = match store.backend() {
        Backend::Sqlite => (
            "DROP TRIGGER custody_no_update",
            "DROP TRIGGER custody_no_delete",
        ),
        Backend::Postgres => ("DROP TRIGGER custody_no_update ON custody", ""),
    };
    store.exec_raw(drop_update).await.unwrap();
    if !drop_delete.is_empty() {
        store.exec_raw(drop_delete).await.unwrap();
    }
    // Row 2 rewritten, every hash from it on recomputed with the documented formula.
    let mut prev = rows[0].hash.clone();
    for row in &rows[1..] {
        let reason = if row.id == 2 {
            "改过的理由"
        } else {
            &row.reason
        };
        let hash = custody_hash(
            row.id,
            row.at,
            &row.actor,
            row.action,
            &row.subject,
            reason,
            &prev,
        );
        store
            .exec_raw(&format!(
                "UPDATE custody SET reason = '{reason}', prev_hash = '{prev}', hash = '{hash}' \
                 WHERE id = {}",
                row.id
            ))
            .await
            .unwrap();
        prev = hash;
    }
    let rewritten = store.custody(&CustodyFilter::chain()).await.unwrap();
    assert_eq!(rewritten[1].reason, "改过的理由");
    assert_eq!(verify_custody_chain(&rewritten), Ok(()));
    let audit = audit_custody(&rewritten, std::slice::from_ref(&committed));
    assert_eq!(audit.broken, None);
    assert!(
        matches!(
            &audit.heads[0],
            Err(CommitmentBreak::Rewritten { committed: 4, stored, .. }) if *stored == rewritten[3].hash
        ),
        "{audit:?}"
    );

    // Rows cut off the end, below the committed count.
    store
        .exec_raw("DELETE FROM custody WHERE id >= 4")
        .await
        .unwrap();
    let cut = store.custody(&CustodyFilter::chain()).await.unwrap();
    assert_eq!(store.custody_head().await.unwrap().count, 3);
    let audit = audit_custody(&cut, std::slice::from_ref(&committed));
    assert_eq!(audit.broken, None);
    assert_eq!(
        audit.heads[0],
        Err(CommitmentBreak::Truncated {
            committed: 4,
            rows: 3
        })
    );
}

crate::on_every_backend!(
    appends_chain_and_filter_by_subject,
    concurrent_writers_never_fork_the_chain,
    rows_are_append_only_and_tampering_is_located,
    the_head_is_the_count_and_the_last_hash,
    committed_heads_catch_rewrites_and_truncation,
);
