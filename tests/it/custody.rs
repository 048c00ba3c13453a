//! `evidence export` logs itself in the chain of custody: who (`$USER`, else `cli`), what (the
//! selection) and why (`--reason`, else "未说明"), hash-chained.

use store::{verify_custody_chain, CustodyAction, CustodyFilter, SqliteStore, Store};

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
    assert!(stdout(&out).contains("custody: logged export as entry 1"));
    let out = run(wangjian(dir.path())
        .env_remove("USER")
        .args(["evidence", "export", "--sweep", "1", "-o"])
        .arg(dir.path().join("b.wacz")));
    assert!(out.status.success());

    let store = SqliteStore::open(&dir.path().join("wangjian.db"))
        .await
        .unwrap();
    let rows = store.custody(&CustodyFilter::default()).await.unwrap();
    store.close().await;
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
    assert_eq!(verify_custody_chain(&rows), Ok(()));

    // `evidence verify` of the data directory checks the chain as well.
    let out = run(wangjian(dir.path()).args(["evidence", "verify"]));
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("ok    chain of custody: 2 entries"),
        "{}",
        stdout(&out)
    );
}
