//! Many workers on one sweep (`wangjian worker`), on PostgreSQL and the data directory's
//! evidence: three workers share a city sweep; one is killed (SIGKILL) mid-sweep, another
//! paused (SIGSTOP) past its leases so that they are taken over, then let go on. Every site is
//! finished, no fetch is recorded twice, the findings are those a sweep in one process records
//! over the same web, and every record of every worker's files verifies against the log and
//! its signed checkpoints — on the data directory, and once uploaded, in a real S3-compatible
//! store (s3s-fs).

use crate::{run, stdout, wangjian};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::testing::{Backend, TestDb};

/// Workers' settings: short leases so that a dead worker's hosts are taken over soon, one
/// host at a time and a politeness delay so that the sweep is still running when a worker is
/// stopped.
fn worker(data: &Path, db: &str, resolve: &str, name: &str) -> Child {
    wangjian(data)
        .args(["--database", db, "worker", "--name", name])
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
fn workers_share_a_sweep_and_survive_a_kill_and_a_stolen_lease() {
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

    let db = rt.block_on(TestDb::new(Backend::Postgres));
    let url = db.url();
    let data = dir.path().join("workers");
    assert!(run(wangjian(&data)
        .args(["--database", &url, "import", "entities"])
        .arg(&register))
    .status
    .success());
    // A worker with nothing to do stops at once; so does one whose log cannot be sequenced.
    let out = run(wangjian(&data).args(["--database", &url, "worker", "--name", "BAD NAME"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("worker name"));
    eprintln!("one process: {:?}", started_alone.elapsed());
    let out = run(wangjian(&data).args(["--database", &url, "sweep", "--for-workers"]));
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("created for workers"),
        "{}",
        stdout(&out)
    );
    let again = run(wangjian(&data).args(["--database", &url, "sweep", "--for-workers"]));
    assert!(!again.status.success(), "one unfinished sweep at a time");

    let store = rt
        .block_on(store::open(&store::DatabaseUrl::parse(&url).unwrap()))
        .unwrap();
    let sweep = rt.block_on(store.unfinished_sweep()).unwrap().unwrap().id;
    let fetched = || rt.block_on(store.sweep(sweep)).unwrap().unwrap().pages;

    let one = worker(&data, &url, &resolve, "w1");
    let two = worker(&data, &url, &resolve, "w2");
    let three = worker(&data, &url, &resolve, "w3");
    let holds = |name: &str| {
        rt.block_on(store.workers(chrono::DateTime::UNIX_EPOCH))
            .unwrap()
            .iter()
            .any(|w| w.name == name && w.hosts > 0)
    };
    // Let them work a while; kill one while it holds a host.
    let started = Instant::now();
    while !(fetched() >= 12 && holds("w1")) {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the workers do not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut one = one;
    one.kill().unwrap();
    one.wait().unwrap();
    let before = fetched();
    eprintln!("w1 killed after {:?} at {before} pages", started.elapsed());

    // Pause another while it holds a host, until its lease ran out and was taken: here by a
    // taker that gives it up at once (a lease of no length), so the host is free again for
    // the workers, under a newer token than the paused worker's. The third worker is paused
    // meanwhile, so that the taker is the one that takes it. A host whose sites the paused
    // worker had all finished (not yet given back) is taken by nobody: then both go on and
    // the pause is tried again.
    let mut stolen = Vec::new();
    for attempt in 0.. {
        assert!(
            attempt < 30,
            "no host of w2 could be taken while it was paused"
        );
        while !holds("w2") {
            assert!(
                rt.block_on(store.unfinished_sweep()).unwrap().is_some(),
                "the sweep ended before w2 could be paused holding a host"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        signal(&two, "-STOP");
        signal(&three, "-STOP");
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
                    .filter(|h| h.taken_from.as_deref() == Some("w2"))
                    .map(|h| h.lease.host),
            );
        }
        signal(&three, "-CONT");
        signal(&two, "-CONT");
        if !stolen.is_empty() {
            break;
        }
    }
    let two = two.wait_with_output().unwrap();
    let three = three.wait_with_output().unwrap();
    let said = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    eprintln!("workers done after {:?}", started.elapsed());
    assert!(two.status.success(), "{}", said(&two));
    assert!(three.status.success(), "{}", said(&three));
    assert!(
        fetched() > before,
        "the sweep went on without the killed worker"
    );
    let taken_over: Vec<String> = [&two, &three]
        .iter()
        .filter_map(|o| stdout(o).split(", ").nth(2).map(str::to_owned))
        .collect();
    assert!(
        taken_over.iter().any(|t| t != "0 taken over"),
        "{}\n{}",
        said(&two),
        said(&three)
    );
    assert!(
        !stdout(&two).contains(" 0 leases lost"),
        "the paused worker's lease of {stolen:?} was taken: {}",
        said(&two)
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

    // Each worker wrote its own files, and everything verifies against the log.
    let files: Vec<String> = std::fs::read_dir(data.join("warc"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in ["w1", "w2", "w3"] {
        assert!(
            files
                .iter()
                .any(|f| f.starts_with(&format!("wangjian-sweep{}-{name}-", sweep.0))),
            "{name}: {files:?}"
        );
    }
    let listed = run(wangjian(&data).args(["--database", &url, "workers", "--format", "json"]));
    let idle: BTreeSet<String> = stdout(&listed)
        .lines()
        .map(|l| {
            let w = serde_json::from_str::<serde_json::Value>(l).unwrap();
            format!("{} {}", w["name"], w["idle"])
        })
        .collect();
    assert_eq!(
        idle,
        ["\"w1\" false", "\"w2\" true", "\"w3\" true"]
            .map(String::from)
            .into(),
        "the killed worker as last seen at work; the others handed everything in"
    );
    let verify = run(wangjian(&data).args(["--database", &url, "evidence", "verify"]));
    assert!(verify.status.success(), "{}", stdout(&verify));

    // Every worker's file goes to a real S3-compatible store once the sweep is over, and
    // verifies there against the same log.
    let server = objects::testing::S3Server::start();
    let config = data.join("wangjian.toml");
    let before = std::fs::read_to_string(&config).unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            "{before}\n[objects]\nendpoint = \"{}\"\nbucket = \"{}\"\nprefix = \"province/warc\"\n",
            server.endpoint(),
            objects::testing::BUCKET
        ),
    )
    .unwrap();
    let warcs = files.iter().filter(|f| f.ends_with(".warc.gz")).count();
    let (key, secret) = server.credentials();
    let keyed = |args: &[&str]| {
        let mut cmd = wangjian(&data);
        cmd.args(["--database", &url])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret);
        run(&mut cmd)
    };
    let up = keyed(&["evidence", "upload"]);
    assert!(
        stdout(&up).contains(&format!(
            "upload: {n} files to s3://evidence/province/warc, {n} uploaded, 0 failed",
            n = warcs
        )),
        "{}",
        stdout(&up)
    );
    let verified = keyed(&["evidence", "verify", "--objects"]);
    assert!(verified.status.success(), "{}", stdout(&verified));
    assert_eq!(
        stdout(&verified)
            .lines()
            .filter(|l| l.starts_with("ok    s3://evidence/province/warc/wangjian-sweep"))
            .count(),
        warcs,
        "{}",
        stdout(&verified)
    );
    drop(db);
}
