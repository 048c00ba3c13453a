//! The backup drill: backups taken while a sweep writes, restored into fresh directories, pass
//! `evidence verify` and the store's own checks, and every fetch of the restored database finds
//! its record in the restored evidence. SQLite in full; PostgreSQL through `pg_dump` and
//! `pg_restore` on scratch databases of its own.

use crate::cli::sites_done;
use crate::{run, slow_demo, stdout, wangjian};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use store::prelude::*;
use store::{DatabaseUrl, Scope};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every fetch with an evidence pointer reads its record from `warc` (the restored evidence
/// holds everything the restored database points at); returns how many.
async fn pointers_resolve(store: &dyn Store, warc: &Path) -> usize {
    let mut checked = 0;
    for sweep in store.list_sweeps(100).await.unwrap() {
        for f in store.sweep_fetches(Scope::City, sweep.id).await.unwrap() {
            let Some(p) = &f.fetch.evidence else { continue };
            let stored = evidence::read_stored_member(&warc.join(&p.warc_file), p.offset as u64)
                .unwrap_or_else(|e| panic!("{}@{}: {e}", p.warc_file, p.offset));
            assert!(!stored.is_empty());
            checked += 1;
        }
    }
    checked
}

/// Restores `backup` into the fresh directory `to` and verifies it: the restore's own checks,
/// then `evidence verify`.
fn restore_and_verify(backup: &Path, to: &Path, database: Option<&str>) -> String {
    let mut cmd = wangjian(to);
    if let Some(url) = database {
        cmd.args(["--database", url]);
    }
    let out = run(cmd.arg("restore").arg(backup));
    assert!(out.status.success(), "restore {}", backup.display());
    let text = stdout(&out);
    assert!(text.contains("数据库自检"), "{text}");
    assert!(text.contains("链接完整"), "{text}");
    assert!(text.contains("已签署恢复后的检查点"), "{text}");
    // The restored configuration names the restored database: nothing to point out.
    assert!(!text.contains("注意"), "{text}");
    let mut cmd = wangjian(to);
    if let Some(url) = database {
        cmd.args(["--database", url]);
    }
    let verify = run(cmd.args(["evidence", "verify"]));
    assert!(
        verify.status.success(),
        "{}\n{}",
        stdout(&verify),
        stderr(&verify)
    );
    assert!(!stdout(&verify).contains("FAIL"), "{}", stdout(&verify));
    text
}

#[test]
fn backups_taken_during_a_sweep_restore_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // One site at a time with a politeness delay: the sweep is still writing when the
    // backups are taken.
    let mut demo = slow_demo(&data)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("demo.err")).unwrap())
        .spawn()
        .unwrap();
    let demo_err = || std::fs::read_to_string(dir.path().join("demo.err")).unwrap_or_default();
    // No deadline: the demo either makes progress or ends (which fails the test). The
    // database is read only once the sweep writes evidence (its migrations are done then).
    loop {
        if let Some(status) = demo.try_wait().unwrap() {
            panic!("demo ended before the backup: {status}\n{}", demo_err());
        }
        let writing = std::fs::read_dir(data.join("warc")).is_ok_and(|mut d| d.next().is_some());
        if writing && sites_done(&data.join("wangjian.db")) >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let as_dir = dir.path().join("backup-dir");
    let as_tar = dir.path().join("backup.tar.gz");
    let first = run(wangjian(&data).arg("backup").arg("-o").arg(&as_dir));
    assert!(first.status.success());
    let text = stdout(&first);
    assert!(text.contains("备份完成"), "{text}");
    assert!(text.contains("SQLite 快照 wangjian.db"), "{text}");
    let second = run(wangjian(&data)
        .args(["backup", "--format", "json", "-o"])
        .arg(&as_tar));
    assert!(second.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(summary["form"], "tar.gz");
    assert!(summary["log_leaves"].as_u64().unwrap() > 0, "{summary}");
    let still_running = demo.try_wait().unwrap().is_none();
    assert!(
        still_running,
        "the sweep ended before the backups were done\n{}",
        demo_err()
    );
    // A crash of the sweep after the backups changes nothing in them.
    demo.kill().unwrap();
    demo.wait().unwrap();

    // The same destination again is refused, in Chinese with the code.
    let again = wangjian(&data)
        .arg("backup")
        .arg("-o")
        .arg(&as_dir)
        .output()
        .unwrap();
    assert!(!again.status.success());
    let err = stderr(&again);
    assert!(
        err.contains("destination-not-empty") && err.contains("不是空的"),
        "{err}"
    );

    for (backup, name) in [(&as_dir, "restored-dir"), (&as_tar, "restored-tar")] {
        let to = dir.path().join(name);
        restore_and_verify(backup, &to, None);
        let rt = rt();
        rt.block_on(async {
            let store = store::open(&DatabaseUrl::Sqlite(to.join("wangjian.db")))
                .await
                .unwrap();
            let fetches = pointers_resolve(store.as_ref(), &to.join("warc")).await;
            assert!(fetches > 0, "the backup holds the sweep's first sites");
        });
        // A restore never goes into a directory that holds something.
        let out = wangjian(&to).arg("restore").arg(backup).output().unwrap();
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains("target-not-empty") && err.contains("恢复失败"),
            "{err}"
        );
    }

    // Both backups are in the live database's audit log, the later one last.
    rt().block_on(async {
        let store = store::open(&DatabaseUrl::Sqlite(data.join("wangjian.db")))
            .await
            .unwrap();
        let last = store.last_backup().await.unwrap().unwrap();
        assert!(
            last.record.destination.ends_with("backup.tar.gz"),
            "{last:?}"
        );
        assert_eq!(last.record.manifest_sha256, summary["manifest_sha256"]);
    });
}

/// A scratch database on the test server, dropped when the test ends (however it ends).
struct ScratchDb {
    name: String,
}

impl ScratchDb {
    fn new(what: &str) -> ScratchDb {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("wj_backup_{what}_{}_{nanos}", std::process::id());
        psql(&format!("CREATE DATABASE {name}"));
        ScratchDb { name }
    }

    fn url(&self) -> String {
        format!("postgres://127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

fn psql(sql: &str) {
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            "5432",
            "-d",
            "test",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .expect("psql runs (postgresql-client)");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_postgresql_deployment_is_backed_up_with_pg_dump_and_restored_with_pg_restore() {
    let live = ScratchDb::new("live");
    let fresh = ScratchDb::new("fresh");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(wangjian(&data).args(["--database", &live.url()]).args([
        "demo",
        "--sites",
        "4",
        "--seed",
        "5",
        "--no-serve",
    ]));
    assert!(out.status.success());
    let tar = dir.path().join("backup.tar");
    let out = run(wangjian(&data)
        .args(["--database", &live.url(), "backup", "-o"])
        .arg(&tar));
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("pg_dump 转储 database.pgdump"), "{text}");

    // Without a database to restore into, the files are restored and the steps named.
    let files_only = dir.path().join("files-only");
    let out = run(wangjian(&files_only).arg("restore").arg(&tar));
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("pg_restore") && text.contains("log checkpoint"),
        "{text}"
    );
    assert!(files_only.join("database.pgdump").is_file());

    // Into an empty database: pg_restore, the store's checks, a checkpoint, then verify.
    let to = dir.path().join("restored");
    let text = restore_and_verify(&tar, &to, Some(&fresh.url()));
    assert!(text.contains("已用 pg_restore 恢复数据库"), "{text}");
    rt().block_on(async {
        let a = store::open(&DatabaseUrl::Postgres(live.url()))
            .await
            .unwrap();
        let b = store::open(&DatabaseUrl::Postgres(fresh.url()))
            .await
            .unwrap();
        assert_eq!(
            a.count_entities(Scope::City).await.unwrap(),
            b.count_entities(Scope::City).await.unwrap()
        );
        assert!(b.check().await.unwrap().ok());
        let fetches = pointers_resolve(b.as_ref(), &to.join("warc")).await;
        assert!(fetches > 0);
    });
}
