//! `evidence export` logs itself in the chain of custody: who (`$USER`, else `cli`), what (the
//! selection) and why (`--reason`, else "未说明"), hash-chained; so does an evidence capture
//! (the demo makes one), with its operators.

use store::testing::{Backend, TestDb};
use store::{
    custody_hash, verify_custody_chain, CustodyAction, CustodyFilter, CustodyStore, SqliteStore,
    GENESIS_HASH,
};

use crate::{run, stdout, wangjian};

#[tokio::test]
async fn exports_are_logged_in_the_chain_of_custody() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(wangjian(dir.path()).args(["demo", "--sites", "3", "--no-serve"]));
    assert!(out.status.success());

    let out = run(wangjian(dir.path())
        .env("USER", "inspector-li")
        .args([
            "evidence",
            "export",
            "--sweep",
            "1",
            "--reason",
            "移送公安",
            "-o",
        ])
        .arg(dir.path().join("a.wacz")));
    assert!(out.status.success());
    assert!(stdout(&out).contains("custody: logged export as entry "));
    let out = run(wangjian(dir.path())
        .env_remove("USER")
        .args(["evidence", "export", "--sweep", "1", "-o"])
        .arg(dir.path().join("b.wacz")));
    assert!(out.status.success());

    let store = SqliteStore::open(&dir.path().join("wangjian.db"))
        .await
        .unwrap();
    let rows = store.custody(&CustodyFilter::chain()).await.unwrap();
    store.close().await;
    assert_eq!(verify_custody_chain(&rows), Ok(()));
    // The demo's own evidence capture comes first, entered by two of its users.
    let captures = rows
        .iter()
        .take_while(|r| r.action == CustodyAction::Capture)
        .count();
    assert!(captures <= 1);
    if let Some(c) = rows.first().filter(|_| captures == 1) {
        let operators: Vec<&str> = c.actor.split(", ").collect();
        assert_eq!(operators.len(), 2, "{}", c.actor);
        assert_eq!(operators[0], "user:supervisor");
        assert!(operators[1].starts_with("user:"), "{}", c.actor);
        assert_eq!(c.subject, "sweep:2");
    }
    let entries = rows.len();
    let rows = &rows[captures..];
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.action == CustodyAction::Export));
    assert!(rows.iter().all(|r| r.subject == "sweep:1"));
    assert_eq!(
        (rows[0].actor.as_str(), rows[0].reason.as_str()),
        ("inspector-li", "移送公安")
    );
    assert_eq!(
        (rows[1].actor.as_str(), rows[1].reason.as_str()),
        ("cli", "未说明")
    );

    // `evidence verify` of the data directory checks the chain as well.
    let out = run(wangjian(dir.path()).args(["evidence", "verify"]));
    assert!(out.status.success());
    assert!(
        stdout(&out).contains(&format!("ok    chain of custody: {entries} entries")),
        "{}",
        stdout(&out)
    );
}

/// The chain's head is committed in every signed checkpoint, so `evidence verify` catches what
/// the hash links alone cannot: a row rewritten with every hash after it recomputed, and rows
/// cut off the end. Both attacks are done behind the store's back (raw SQL after dropping the
/// append-only triggers), on both engines; the untouched chain passes, with the rows after the
/// last checkpoint reported as not yet committed.
#[test]
fn a_rewritten_or_cut_chain_of_custody_fails_verify() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for backend in Backend::ALL {
        let db = rt.block_on(TestDb::new(backend));
        let dir = tempfile::tempdir().unwrap();
        let cmd = || {
            let mut c = wangjian(dir.path());
            c.args(["--database", &db.url()]);
            c
        };
        let verify = || {
            let out = cmd().args(["evidence", "verify"]).output().unwrap();
            (out.status.success(), stdout(&out))
        };
        assert!(run(cmd().args(["demo", "--sites", "3", "--no-serve"]))
            .status
            .success());
        for name in ["a.wacz", "b.wacz"] {
            let out = run(cmd()
                .args(["evidence", "export", "--sweep", "1", "-o"])
                .arg(dir.path().join(name)));
            assert!(out.status.success(), "{backend:?}");
        }
        // A checkpoint now commits to every entry; one more export stays uncommitted.
        let out = run(cmd().args(["log", "checkpoint"]));
        assert!(out.status.success(), "{backend:?}");
        let store = rt.block_on(db.open(None)).unwrap();
        let rows = rt.block_on(store.custody(&CustodyFilter::chain())).unwrap();
        let committed = rows.len();
        assert!(committed >= 2, "{backend:?}: {committed}");
        let note = stdout(&out);
        assert!(
            note.contains(&format!(
                "\nwangjian-custody {committed} {}\n",
                rows[committed - 1].hash
            )),
            "{backend:?}: {note}"
        );
        // The demo's capture (when it made one) entered its row before signing the checkpoint
        // that closes it, so that checkpoint commits to it.
        if rows[0].action == CustodyAction::Capture {
            let line = format!("\nwangjian-custody 1 {}\n", rows[0].hash);
            let notes = std::fs::read_dir(dir.path().join("log/checkpoints")).unwrap();
            let committing = notes
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
                .filter(|note| note.contains(&line))
                .count();
            assert_eq!(committing, 1, "{backend:?}");
        }
        let out = run(cmd()
            .args(["evidence", "export", "--sweep", "1", "-o"])
            .arg(dir.path().join("c.wacz")));
        assert!(out.status.success(), "{backend:?}");
        let rows = rt.block_on(store.custody(&CustodyFilter::chain())).unwrap();
        assert_eq!(rows.len(), committed + 1);

        let (ok, text) = verify();
        assert!(ok, "{backend:?}: {text}");
        let entries = committed + 1;
        assert!(
            text.contains(&format!(
                "ok    chain of custody: {entries} entries, every hash holds; "
            )) && text.contains(&format!("; committed up to entry {committed} by "))
                && text.contains("; entries not yet committed: 1\n"),
            "{backend:?}: {text}"
        );

        // Attack 1: entry 1's reason rewritten and every hash recomputed with the documented
        // formula, so that every link holds again.
        let drops: &[&str] = match backend {
            Backend::Sqlite => &[
                "DROP TRIGGER custody_no_update",
                "DROP TRIGGER custody_no_delete",
            ],
            Backend::Postgres => &["DROP TRIGGER custody_no_update ON custody"],
        };
        for sql in drops {
            rt.block_on(db.exec_raw(sql)).unwrap();
        }
        let mut prev = GENESIS_HASH.to_string();
        for row in &rows {
            let reason = if row.id == 1 {
                "无关的理由"
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
            set_row(&rt, &db, row.id, reason, &prev, &hash);
            prev = hash;
        }
        let rewritten = rt.block_on(store.custody(&CustodyFilter::chain())).unwrap();
        assert_eq!(verify_custody_chain(&rewritten), Ok(()));
        let (ok, text) = verify();
        assert!(!ok, "{backend:?}: {text}");
        assert!(!text.contains("custody-broken"), "{backend:?}: {text}");
        assert!(
            text.contains("FAIL  chain of custody rewritten (custody-rewritten): checkpoint ") && text.contains(&format!(
                "commits to {committed} entries ending in hash {}, but entry {committed} has hash {}",
                rows[committed - 1].hash,
                rewritten[committed - 1].hash
            )),
            "{backend:?}: {text}"
        );

        // Put back exactly as it was: verify passes again.
        for row in &rows {
            set_row(&rt, &db, row.id, &row.reason, &row.prev_hash, &row.hash);
        }
        let (ok, text) = verify();
        assert!(ok, "{backend:?}: {text}");

        // Attack 2: the last two entries cut off, one of them committed.
        rt.block_on(db.exec_raw(&format!("DELETE FROM custody WHERE id >= {committed}")))
            .unwrap();
        let (ok, text) = verify();
        assert!(!ok, "{backend:?}: {text}");
        assert!(!text.contains("custody-broken"), "{backend:?}: {text}");
        assert!(
            text.contains("FAIL  chain of custody cut short (custody-truncated): checkpoint ")
                && text.contains(&format!(
                    "commits to {committed} entries, the database holds {}",
                    committed - 1
                )),
            "{backend:?}: {text}"
        );
        assert!(text.contains("verify: "), "{backend:?}: {text}");
        drop(store);
        drop(db);
    }
}

/// Sets a custody row's reason and hashes with raw SQL (the triggers dropped).
fn set_row(
    rt: &tokio::runtime::Runtime,
    db: &TestDb,
    id: i64,
    reason: &str,
    prev_hash: &str,
    hash: &str,
) {
    let quote = |s: &str| s.replace('\'', "''");
    let sql = format!(
        "UPDATE custody SET reason = '{}', prev_hash = '{}', hash = '{}' WHERE id = {id}",
        quote(reason),
        quote(prev_hash),
        quote(hash)
    );
    assert_eq!(rt.block_on(db.exec_raw(&sql)).unwrap(), 1);
}
