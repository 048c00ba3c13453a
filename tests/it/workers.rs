//! Many workers on one sweep (`wangjian worker`), on PostgreSQL: workers share a city sweep;
//! one is killed (SIGKILL) mid-sweep, another paused (SIGSTOP) past its leases so that they are
//! taken over, then let go on. Every site is finished, no fetch is recorded twice, the findings
//! are those a sweep in one process records over the same web, and every record verifies
//! against the log and its signed checkpoints. Twice: three workers that keep no evidence
//! themselves (`--objects`: each file uploaded to a real S3-compatible store, s3s-fs, at the
//! flush that ends it; the log sequenced by `wangjian sequencer` in the data directory that
//! holds it), and two workers sharing the data directory's disk and sequencing its log.

use crate::{run, stdout, wangjian};
use objects::testing::S3Server;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::testing::{Backend, TestDb};

/// Workers' settings: short leases so that a dead worker's hosts are taken over soon, one
/// host at a time and a politeness delay so that the sweep is still running when a worker is
/// stopped.
fn worker(data: &Path, db: &str, resolve: &str, name: &str, store: Option<&S3Server>) -> Child {
    let mut cmd = wangjian(data);
    if let Some(server) = store {
        let (key, secret) = server.credentials();
        cmd.arg("--database")
            .arg(db)
            .args(["worker", "--objects"])
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret);
    } else {
        cmd.args(["--database", db, "worker"]);
    }
    cmd.args(["--name", name])
        .args([
            "--lease-secs",
            "3",
            "--hosts",
            "2",
            "--until-idle",
            "--no-render",
        ])
        .args([
            "--concurrency",
            "1",
            "--delay-ms",
            "20",
            "--resolve",
            resolve,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the worker starts")
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

/// The URLs of a sweep's fetch rows, and its findings as `url category`.
async fn recorded(
    store: &dyn store::Store,
    sweep: domain::SweepId,
) -> (Vec<String>, BTreeSet<String>) {
    let urls = store
        .sweep_fetches(store::Scope::City, sweep)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.fetch.url)
        .collect();
    let findings = store
        .sweep_findings(store::Scope::City, sweep)
        .await
        .unwrap()
        .iter()
        .map(|g| format!("{} {}", g.finding.url, g.finding.category))
        .collect();
    (urls, findings)
}

fn duplicates(urls: &[String]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    urls.iter()
        .filter(|u| !seen.insert(u.to_string()))
        .cloned()
        .collect()
}

#[test]
fn three_workers_writing_to_the_object_store_survive_a_kill_and_a_stolen_lease() {
    kill_and_steal(&["w1", "w2", "w3"], true);
}

#[test]
fn two_workers_on_one_disk_survive_a_kill_and_a_stolen_lease() {
    kill_and_steal(&["w1", "w2"], false);
}

/// A data directory's `[objects]` table naming the store at `endpoint`.
fn point_at(data: &Path, endpoint: &str) {
    std::fs::create_dir_all(data).unwrap();
    let config = data.join("wangjian.toml");
    let before = std::fs::read_to_string(&config).unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            "{before}\n[objects]\nendpoint = \"{endpoint}\"\nbucket = \"{}\"\nprefix = \"province/warc\"\n",
            objects::testing::BUCKET
        ),
    )
    .unwrap();
}

/// The sweep of `names` (the first killed, the second paused past its lease), each in a data
/// directory of its own writing to a real object store (`to_objects`), or all in the data
/// directory that holds the log.
fn kill_and_steal(names: &[&str], to_objects: bool) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let world = Arc::new(simweb::World::generate(&simweb::GenParams {
        sites: 14,
        seed: 11,
    }));
    let running = rt
        .block_on(simweb::start(world.clone(), ([127, 0, 0, 1], 0).into()))
        .unwrap();
    let resolve = format!("*:80:{}", running.addr);
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("register.csv");
    std::fs::write(&register, world.register_csv()).unwrap();

    // The same web swept in one process (SQLite), for what the workers must record.
    let started_alone = Instant::now();
    let alone = dir.path().join("alone");
    assert!(
        run(wangjian(&alone).args(["import", "entities"]).arg(&register))
            .status
            .success()
    );
    assert!(
        run(wangjian(&alone).args(["sweep", "--no-render", "--resolve", &resolve]))
            .status
            .success()
    );
    let alone_store = rt
        .block_on(store::open(&store::DatabaseUrl::sqlite_in(
            &alone,
            "wangjian.db",
        )))
        .unwrap();
    let alone_sweep = rt.block_on(alone_store.list_sweeps(1)).unwrap()[0].id;
    let (alone_urls, alone_findings) = rt.block_on(recorded(alone_store.as_ref(), alone_sweep));
    eprintln!("one process: {:?}", started_alone.elapsed());

    let db = rt.block_on(TestDb::new(Backend::Postgres));
    let url = db.url();
    // The data directory that holds the log (and, on one disk, every worker's files).
    let data = dir.path().join("workers");
    let server = to_objects.then(S3Server::start);
    assert!(run(wangjian(&data)
        .args(["--database", &url, "import", "entities"])
        .arg(&register))
    .status
    .success());
    let keyed = |data: &Path, args: &[&str]| {
        let mut cmd = wangjian(data);
        cmd.args(["--database", &url]).args(args);
        if let Some(server) = &server {
            let (key, secret) = server.credentials();
            cmd.env("AWS_ACCESS_KEY_ID", key)
                .env("AWS_SECRET_ACCESS_KEY", secret);
        }
        run(&mut cmd)
    };
    // A bad name is refused; so is a worker for the object store without one.
    let out = keyed(&data, &["worker", "--name", "BAD NAME"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("worker name"));
    let out = keyed(&data, &["worker", "--objects", "--until-idle"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no object store"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(server) = &server {
        point_at(&data, &server.endpoint());
    }
    let out = keyed(&data, &["sweep", "--for-workers"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("created for workers"),
        "{}",
        stdout(&out)
    );
    let again = keyed(&data, &["sweep", "--for-workers"]);
    assert!(!again.status.success(), "one unfinished sweep at a time");

    let store = rt
        .block_on(store::open(&store::DatabaseUrl::parse(&url).unwrap()))
        .unwrap();
    let sweep = rt.block_on(store.unfinished_sweep()).unwrap().unwrap().id;
    let fetched = || rt.block_on(store.sweep(sweep)).unwrap().unwrap().pages;

    // Workers for the object store each have a data directory of their own; the log's is
    // sequenced by `wangjian sequencer`.
    let sequencer = server.as_ref().map(|server| {
        let (key, secret) = server.credentials();
        wangjian(&data)
            .args(["--database", &url, "sequencer", "--until-idle"])
            .args(["--lease-secs", "3"])
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the sequencer starts")
    });
    let home = |name: &str| {
        if let Some(server) = &server {
            let own = dir.path().join(name);
            point_at(&own, &server.endpoint());
            own
        } else {
            data.clone()
        }
    };
    // A worker whose object store cannot be reached stops at its first flush, naming the
    // store, and records nothing: its hosts go to the others once its lease runs out.
    if server.is_some() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let lost = dir.path().join("w0");
        point_at(&lost, &format!("http://127.0.0.1:{port}"));
        let out = worker(&lost, &url, &resolve, "w0", server.as_ref())
            .wait_with_output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            said.contains("could not be handed on") && said.contains(&format!("127.0.0.1:{port}")),
            "{said}"
        );
        assert_eq!(fetched(), 0, "nothing recorded");
    }
    let mut workers: Vec<Child> = names
        .iter()
        .map(|name| worker(&home(name), &url, &resolve, name, server.as_ref()))
        .collect();
    let holds = |name: &str| {
        rt.block_on(store.workers(chrono::DateTime::UNIX_EPOCH))
            .unwrap()
            .iter()
            .any(|w| w.name == name && w.hosts > 0)
    };
    // Let them work a while; kill the first while it holds a host.
    let started = Instant::now();
    while !(fetched() >= 12 && holds(names[0])) {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the workers do not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut one = workers.remove(0);
    one.kill().unwrap();
    one.wait().unwrap();
    let before = fetched();
    eprintln!(
        "{} killed after {:?} at {before} pages",
        names[0],
        started.elapsed()
    );

    // Pause the second while it holds a host, until its lease ran out and was taken: here by
    // a taker that gives it up at once (a lease of no length), so the host is free again for
    // the workers, under a newer token than the paused worker's. The others are paused
    // meanwhile, so that the taker is the one that takes it. A host whose sites the paused
    // worker had all finished (not yet given back) is taken by nobody: then they all go on and
    // the pause is tried again.
    let paused_name = names[1];
    let mut stolen = Vec::new();
    for attempt in 0.. {
        assert!(
            attempt < 30,
            "no host of {paused_name} could be taken while it was paused"
        );
        while !holds(paused_name) {
            assert!(
                rt.block_on(store.unfinished_sweep()).unwrap().is_some(),
                "the sweep ended before {paused_name} could be paused holding a host"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        for w in &workers {
            signal(w, "-STOP");
        }
        let paused = Instant::now();
        // Its lease (3 s) runs out; a host it held with pending sites is then the taker's.
        while stolen.is_empty() && paused.elapsed() < Duration::from_secs(8) {
            std::thread::sleep(Duration::from_millis(250));
            let taken = rt
                .block_on(store.lease_hosts(sweep, "taker", 100, chrono::Duration::zero()))
                .unwrap();
            stolen.extend(
                taken
                    .into_iter()
                    .filter(|h| h.taken_from.as_deref() == Some(paused_name))
                    .map(|h| h.lease.host),
            );
        }
        for w in workers.iter().rev() {
            signal(w, "-CONT");
        }
        if !stolen.is_empty() {
            break;
        }
    }
    let said = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let outputs: Vec<std::process::Output> = workers
        .into_iter()
        .map(|w| w.wait_with_output().unwrap())
        .collect();
    eprintln!("workers done after {:?}", started.elapsed());
    for o in &outputs {
        assert!(o.status.success(), "{}", said(o));
    }
    if let Some(sequencer) = sequencer {
        let o = sequencer.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", said(&o));
        assert!(stdout(&o).contains("no sweep is running"), "{}", said(&o));
    }
    assert!(
        fetched() > before,
        "the sweep went on without the killed worker"
    );
    assert!(
        outputs.iter().any(|o| stdout(o)
            .split(", ")
            .nth(2)
            .is_some_and(|t| t != "0 taken over")),
        "{}",
        outputs.iter().map(said).collect::<Vec<_>>().join("\n")
    );
    assert!(
        !stdout(&outputs[0]).contains(" 0 leases lost"),
        "the paused worker's lease of {stolen:?} was taken: {}",
        said(&outputs[0])
    );

    // Every site finished, once.
    let done = rt.block_on(store.sweep(sweep)).unwrap().unwrap();
    assert_eq!(done.state, store::SweepState::Finished);
    assert!(rt
        .block_on(store.pending_sites(store::Scope::City, sweep))
        .unwrap()
        .is_empty());
    let (urls, findings) = rt.block_on(recorded(store.as_ref(), sweep));
    let doubled = duplicates(&urls);
    let alone_doubled = duplicates(&alone_urls);
    assert!(
        doubled.is_subset(&alone_doubled),
        "fetched twice: {:?}",
        doubled.difference(&alone_doubled).collect::<Vec<_>>()
    );
    let urls: BTreeSet<&String> = urls.iter().collect();
    let alone_urls: BTreeSet<&String> = alone_urls.iter().collect();
    assert_eq!(urls, alone_urls, "the same pages as one process");
    assert_eq!(findings, alone_findings, "the same findings as one process");

    let listed = keyed(&data, &["workers", "--format", "json"]);
    let idle: BTreeSet<String> = stdout(&listed)
        .lines()
        .map(|l| {
            let w = serde_json::from_str::<serde_json::Value>(l).unwrap();
            format!("{} {}", w["name"].as_str().unwrap(), w["idle"])
        })
        .collect();
    let mut expected: BTreeSet<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n} {}", i > 0))
        .collect();
    if server.is_some() {
        expected.insert("w0 false".into());
    }
    assert_eq!(
        idle, expected,
        "the killed worker as last seen at work; the others handed everything in"
    );

    // Each worker wrote its own files, and every record verifies against the log: in the
    // object store, or in the data directory.
    let committed = rt.block_on(store.committed_evidence(sweep)).unwrap();
    let files: Vec<String> = match &server {
        Some(_) => {
            let objects = keyed(&data, &["evidence", "objects", "--format", "json"]);
            assert!(objects.status.success(), "{}", said(&objects));
            let stored: std::collections::BTreeMap<String, u64> = stdout(&objects)
                .lines()
                .map(|l| {
                    let o = serde_json::from_str::<serde_json::Value>(l).unwrap();
                    (
                        o["name"].as_str().unwrap().to_string(),
                        o["size"].as_u64().unwrap(),
                    )
                })
                .collect();
            eprintln!("{} objects in the store", stored.len());
            // Every record the store points at is in an object.
            for c in &committed {
                let size = stored.get(&c.warc_file).copied();
                assert!(
                    size.is_some_and(|s| s > c.last_offset as u64),
                    "{} is pointed at up to {} but stored as {size:?}",
                    c.warc_file,
                    c.last_offset
                );
            }
            let verified = keyed(&data, &["evidence", "verify", "--objects"]);
            assert!(verified.status.success(), "{}", said(&verified));
            assert_eq!(
                stdout(&verified)
                    .lines()
                    .filter(|l| l.starts_with("ok    s3://evidence/province/warc/wangjian-sweep"))
                    .count(),
                stored.len(),
                "{}",
                stdout(&verified)
            );
            // The killed worker's directory holds what it never uploaded (the file begun after
            // its last flush); its next run sets that aside, out of every upload and
            // verification.
            let killed = dir.path().join(names[0]).join("warc");
            let top = |d: &Path| -> BTreeSet<String> {
                let Ok(entries) = std::fs::read_dir(d) else {
                    return BTreeSet::new();
                };
                entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.is_file())
                    .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                    .collect()
            };
            // (Nothing, only when it was killed between its first lease and its first file.)
            let left = top(&killed);
            let again = keyed(
                &dir.path().join(names[0]),
                &["worker", "--objects", "--name", names[0], "--until-idle"],
            );
            assert!(again.status.success(), "{}", said(&again));
            assert!(top(&killed).is_empty(), "{:?}", top(&killed));
            assert_eq!(top(&killed.join("not-stored")), left);
            // The data directory of the log keeps no evidence; the workers' only what they
            // never counted as stored.
            assert!(
                !data.join("warc").exists()
                    || std::fs::read_dir(data.join("warc"))
                        .unwrap()
                        .next()
                        .is_none()
            );
            stored.into_keys().collect()
        }
        None => {
            let verify = keyed(&data, &["evidence", "verify"]);
            assert!(verify.status.success(), "{}", stdout(&verify));
            std::fs::read_dir(data.join("warc"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        }
    };
    // Each worker that worked to the end wrote files of its own (the killed one may have been
    // killed before its first upload, or its first file).
    for name in &names[1..] {
        assert!(
            files
                .iter()
                .any(|f| f.starts_with(&format!("wangjian-sweep{}-{name}-", sweep.0))),
            "{name}: {files:?}"
        );
    }
    assert!(committed.iter().all(|c| files.contains(&c.warc_file)));
    drop(db);
}
