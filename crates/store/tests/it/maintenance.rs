//! Keeping the records safe: a snapshot taken while writers go on, the store's own checks (which
//! fail on a schema the build does not know), and the backups recorded in the audit log.

use crate::records::register;
use crate::{Backend, TestStore};
use ::store::*;

fn record(files: u64) -> BackupRecord {
    BackupRecord {
        destination: "/srv/backup/2024-03-01.tar.gz".into(),
        files,
        bytes: 12_345,
        manifest_sha256: "ab".repeat(32),
        schema: 19,
        database_included: true,
    }
}

async fn the_store_checks_itself_and_records_backups(test: TestStore) {
    register(&*test).await;
    let check = test.check().await.unwrap();
    assert!(check.ok(), "{check:?}");
    assert_eq!(check.schema, check.known);
    assert_eq!(check.known, test.engine().known_schema());
    assert_eq!(test.schema_version().await.unwrap(), check.known);
    assert!(check.integrity.is_empty(), "{check:?}");
    assert!(check.custody_broken.is_none());

    assert!(test.last_backup().await.unwrap().is_none());
    let by = Actor::system("cli:operator");
    test.record_backup(&record(3), &by).await.unwrap();
    test.record_backup(&record(4), &by).await.unwrap();
    let last = test
        .last_backup()
        .await
        .unwrap()
        .expect("a backup recorded");
    assert_eq!(last.record, record(4));
    assert_eq!(last.actor, "cli:operator");

    // A migration this build does not know: the check says so.
    let checksum = match test.backend() {
        Backend::Sqlite => "X'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    test.exec_raw(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
         execution_time) VALUES (9999, 'from a newer build', TRUE, {checksum}, 0)"
    ))
    .await
    .unwrap();
    let check = test.check().await.unwrap();
    assert_eq!(check.schema, 9999);
    assert!(!check.ok(), "{check:?}");
}

async fn a_snapshot_is_a_whole_database_or_refused(test: TestStore) {
    register(&*test).await;
    let entities = test.count_entities(Scope::City).await.unwrap();
    assert!(entities > 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.db");
    match test.backend() {
        Backend::Sqlite => {
            assert_eq!(test.engine(), Engine::Sqlite);
            test.snapshot_to(&path).await.unwrap();
            // Never over an existing file.
            let again = test.snapshot_to(&path).await.unwrap_err();
            assert!(matches!(again, SnapshotRefusal::Exists(_)), "{again}");
            assert_eq!(again.code(), "snapshot-exists");
            // The snapshot opens as a store of its own, with the same records, and passes the
            // checks.
            let copy = open(&DatabaseUrl::Sqlite(path.clone())).await.unwrap();
            assert_eq!(copy.count_entities(Scope::City).await.unwrap(), entities);
            assert!(copy.check().await.unwrap().ok());
        }
        Backend::Postgres => {
            assert_eq!(test.engine(), Engine::Postgres);
            let refused = test.snapshot_to(&path).await.unwrap_err();
            assert!(
                matches!(refused, SnapshotRefusal::UseServerDump),
                "{refused}"
            );
            assert_eq!(refused.code(), "use-pg-dump");
            assert!(!path.exists());
        }
    }
}

crate::on_every_backend!(
    the_store_checks_itself_and_records_backups,
    a_snapshot_is_a_whole_database_or_refused,
);
