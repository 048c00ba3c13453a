//! The same commands on both storage engines: the demo on PostgreSQL ends with the SQLite
//! demo's counts for the same seed, and a database the binary cannot use is one clear error
//! that changes nothing.

use crate::{run, stdout, wangjian};
use store::testing::{Backend, TestDb};

/// `sweep: S sites, P pages, F findings` without the time.
fn counts(out: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.starts_with("sweep: "))
        .unwrap_or_else(|| panic!("no sweep line in {out}"));
    line.rsplit_once(", ")
        .map_or(line, |(counts, _time)| counts)
        .to_string()
}

#[test]
fn the_demo_on_postgresql_counts_what_the_demo_on_sqlite_counts() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut seen = Vec::new();
    for backend in Backend::ALL {
        let db = rt.block_on(TestDb::new(backend));
        let dir = tempfile::tempdir().unwrap();
        let out = run(wangjian(dir.path()).args(["--database", &db.url()]).args([
            "demo",
            "--sites",
            "40",
            "--seed",
            "5",
            "--no-serve",
        ]));
        assert!(out.status.success(), "{backend:?}");
        seen.push((backend, counts(&stdout(&out))));
        // The evidence and its log agree with the records on either engine.
        let verify = run(wangjian(dir.path())
            .args(["--database", &db.url()])
            .args(["evidence", "verify"]));
        assert!(verify.status.success(), "{backend:?}: {}", stdout(&verify));
        drop(db);
    }
    assert_eq!(seen[0].1, seen[1].1, "{seen:?}");
    assert!(seen[0].1.contains(" pages, "), "{seen:?}");
}

#[test]
fn a_database_it_cannot_use_is_one_error_and_nothing_changes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1.
    let out = wangjian(dir.path())
        .args([
            "--database",
            "postgres://wj:secret@127.0.0.1:1/test",
            "sites",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("127.0.0.1:1") && err.contains("refused"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
    assert_eq!(err.matches("refused").count(), 1, "{err}");

    // A schema a newer build wrote: refused with the versions, on either engine.
    for backend in Backend::ALL {
        let db = rt.block_on(TestDb::new(backend));
        let ok = run(wangjian(dir.path()).args(["--database", &db.url(), "sites"]));
        assert!(ok.status.success(), "{backend:?}");
        let checksum = match backend {
            Backend::Sqlite => "X'00'",
            Backend::Postgres => "'\\x00'::bytea",
        };
        rt.block_on(db.exec_raw(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (9999, 'from a newer build', TRUE, {checksum}, 0)"
        )))
        .unwrap();
        let out = wangjian(dir.path())
            .args(["--database", &db.url(), "sites"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{backend:?}");
        assert!(
            err.contains("9999") && err.contains("newer"),
            "{backend:?}: {err}"
        );
    }
}
