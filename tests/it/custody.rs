//! `evidence export` logs itself in the chain of custody: who (`$USER`, else `cli`), what (the
//! selection) and why (`--reason`, else "未说明"), hash-chained; so does an evidence capture
//! (the demo makes one), with its operators.

use store::{verify_custody_chain, CustodyAction, CustodyFilter, CustodyStore, SqliteStore};

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
    // The demo's own evidence capture comes first, entered by its two operators.
    let captures = rows
        .iter()
        .take_while(|r| r.action == CustodyAction::Capture)
        .count();
    assert!(captures <= 1);
    if let Some(c) = rows.first().filter(|_| captures == 1) {
        assert_eq!(c.actor, "演示取证员甲, 演示取证员乙");
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
