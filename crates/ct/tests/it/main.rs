//! The monitor against simweb's CT log served on loopback (nothing leaves 127.0.0.1): whole
//! logs read in batches, resumed from a saved position, and every misbehaviour refused —
//! a forged head, a fork, a shrinking tree, a corrupted position — while malformed entries are
//! skipped with their index and reason.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crawl::{CrawlConfig, FetchError, ResolveMap};
use ct::{Batch, Entry, Failure, LogConfig, Monitor, Position, PositionProblem};
use simweb::{
    demo_subjects, CtOddity, CtSubject, GenParams, Running, World, CT_FORGED_HOST, CT_FORK_HOST,
    CT_HOST,
};
use url::Url;

/// A served world with a CT log of `subjects` (seed `seed`).
struct Served {
    world: Arc<World>,
    server: Running,
}

impl Served {
    async fn new(seed: u64, subjects: Vec<CtSubject>) -> Served {
        let world = World::generate(&GenParams { sites: 4, seed })
            .with_ct_log(subjects)
            .unwrap();
        let world = Arc::new(world);
        let server = simweb::start(world.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Served { world, server }
    }

    fn log(&self) -> &simweb::CtLog {
        self.world.ct_log().unwrap()
    }

    /// The crawler's configuration with the log's hosts pointed at the server.
    fn crawl(&self) -> CrawlConfig {
        crawl_to(self.server.addr)
    }

    /// The configuration of the log on `host`, trusting the log's key.
    fn config(&self, host: &str) -> LogConfig {
        LogConfig {
            name: host.to_owned(),
            url: Url::parse(&format!("http://{host}/")).unwrap(),
            key: self.log().public_key_der(),
        }
    }

    fn monitor(&self, host: &str, saved: Option<Position>, batch_size: u64) -> Monitor {
        Monitor::new(self.crawl(), self.config(host), saved, batch_size)
    }
}

fn crawl_to(addr: SocketAddr) -> CrawlConfig {
    let mut resolve = ResolveMap::default();
    for host in [CT_HOST, CT_FORGED_HOST, CT_FORK_HOST] {
        resolve.parse_entry(&format!("{host}:80:{addr}")).unwrap();
    }
    CrawlConfig {
        user_agent: "wangjian-test/1.0".into(),
        resolve,
        request_timeout: Duration::from_secs(30),
        ..CrawlConfig::default()
    }
}

/// Reads every batch up to the head; returns the batches.
async fn read_all(monitor: &mut Monitor) -> Vec<Batch> {
    let mut batches = Vec::new();
    while let Some(batch) = monitor.next_batch().await.unwrap() {
        batches.push(batch);
    }
    batches
}

fn entries(batches: &[Batch]) -> Vec<Entry> {
    batches.iter().flat_map(|b| b.entries.clone()).collect()
}

/// What an entry says of its subject, to compare with the subject given to the log.
fn subject_of(e: &Entry) -> CtSubject {
    CtSubject {
        dns_names: e.dns_names.clone(),
        organization: e.organization.clone(),
        locality: e.locality.clone(),
        province: e.province.clone(),
    }
}

#[tokio::test]
async fn a_whole_log_is_read_in_small_batches() {
    let subjects = demo_subjects(11, 70);
    let served = Served::new(11, subjects.clone()).await;
    let mut monitor = served.monitor(CT_HOST, None, 7);
    let head = monitor.head().await.unwrap();
    assert_eq!(head.size, 70);
    let batches = read_all(&mut monitor).await;
    assert_eq!(batches.len(), 10);
    for (i, b) in batches.iter().enumerate() {
        assert_eq!(b.from, 7 * i as u64);
        assert_eq!(b.position.next_index, 7 * (i as u64 + 1));
        assert_eq!(b.position.sth, head);
        assert!(b.skipped.is_empty(), "{:?}", b.skipped);
    }
    let read = entries(&batches);
    assert_eq!(
        read.iter().map(|e| e.index).collect::<Vec<_>>(),
        (0..70).collect::<Vec<_>>()
    );
    // Each entry says what its subject was issued with.
    for (e, s) in read.iter().zip(&subjects) {
        assert_eq!(subject_of(e), *s, "entry {}", e.index);
        assert_eq!(e.common_name.as_ref(), s.dns_names.first());
        assert!(e.issuer.contains("CN=simweb Test CA"), "{}", e.issuer);
        assert!(e.fingerprint.starts_with("sha256:") && e.fingerprint.len() == 71);
        assert_eq!(e.serial.len(), 32, "{}", e.serial);
        assert!(e.not_before < e.not_after);
        assert!(e.timestamp.timestamp() >= 1_767_225_600);
    }
    let precerts = read.iter().filter(|e| e.precert).count();
    assert!(precerts > 5 && precerts < 65, "{precerts} precertificates");
    assert!(read
        .iter()
        .any(|e| e.locality.as_deref() == Some("Nanning")));
    assert!(read.iter().any(|e| e.locality.as_deref() == Some("南宁市")));
    assert!(read.iter().any(|e| e.organization.is_none()));
    let fingerprints: BTreeSet<_> = read.iter().map(|e| &e.fingerprint).collect();
    assert_eq!(fingerprints.len(), 70);
    // Nothing is left, and a second look finds nothing new.
    assert!(monitor.next_batch().await.unwrap().is_none());
    assert_eq!(monitor.head().await.unwrap(), head);
    assert!(monitor.next_batch().await.unwrap().is_none());

    // Batches larger than the log's answers (64 entries) follow the short answers, and read
    // the same entries.
    let mut big = served.monitor(CT_HOST, None, 1000);
    let batches = read_all(&mut big).await;
    assert_eq!(batches.len(), 1);
    assert_eq!(entries(&batches), read);
}

#[tokio::test]
async fn reading_resumes_from_a_saved_position() {
    let served = Served::new(12, demo_subjects(12, 30)).await;
    let mut first = served.monitor(CT_HOST, None, 8);
    let mut read = Vec::new();
    let mut saved = None;
    for _ in 0..2 {
        let batch = first.next_batch().await.unwrap().unwrap();
        read.extend(batch.entries);
        saved = Some(serde_json::to_string(&batch.position).unwrap());
    }
    drop(first);
    // The log grows while the monitor is away.
    let more = demo_subjects(99, 9);
    assert_eq!(served.log().append(more.clone()).unwrap(), 39);

    let saved: Position = serde_json::from_str(&saved.unwrap()).unwrap();
    assert_eq!(saved.next_index, 16);
    assert_eq!(saved.sth.size, 30);
    let mut second = served.monitor(CT_HOST, Some(saved.clone()), 8);
    assert_eq!(second.position(), Some(&saved));
    let head = second.head().await.unwrap();
    assert_eq!(head.size, 39);
    let batches = read_all(&mut second).await;
    assert_eq!(batches.first().unwrap().from, 16);
    read.extend(entries(&batches));
    assert_eq!(
        read.iter().map(|e| e.index).collect::<Vec<_>>(),
        (0..39).collect::<Vec<_>>()
    );
    let last = &batches.last().unwrap().position;
    assert_eq!((last.next_index, last.sth.size), (39, 39));
    assert_eq!(subject_of(&read[38]), more[8]);

    // A fresh read of the whole log gives the same entries.
    let mut fresh = served.monitor(CT_HOST, None, 100);
    assert_eq!(entries(&read_all(&mut fresh).await), read);

    // Resuming from a position read to the end finds nothing until the log grows again.
    let mut third = served.monitor(CT_HOST, Some(last.clone()), 8);
    assert!(third.next_batch().await.unwrap().is_none());
    served.log().append(demo_subjects(5, 1)).unwrap();
    assert!(
        third.next_batch().await.unwrap().is_none(),
        "head not asked again"
    );
    assert_eq!(third.head().await.unwrap().size, 40);
    let batch = third.next_batch().await.unwrap().unwrap();
    assert_eq!((batch.from, batch.entries.len()), (39, 1));
}

#[tokio::test]
async fn a_head_signed_with_another_key_is_refused() {
    let served = Served::new(13, demo_subjects(13, 5)).await;
    let mut forged = served.monitor(CT_FORGED_HOST, None, 10);
    assert_eq!(forged.head().await, Err(Failure::BadSignature));
    assert_eq!(forged.next_batch().await, Err(Failure::BadSignature));
    assert_eq!(forged.position(), None);

    // Nor when resuming a position of the real log.
    let mut honest = served.monitor(CT_HOST, None, 10);
    let position = read_all(&mut honest).await.pop().unwrap().position;
    let mut forged = served.monitor(CT_FORGED_HOST, Some(position.clone()), 10);
    let err = forged.head().await.unwrap_err();
    assert_eq!(err, Failure::BadSignature);
    assert_eq!(err.code(), "bad_signature");
    assert!(err.is_misbehaviour());
    assert_eq!(forged.position(), Some(&position));

    // The honest log checked with the forged host's key is refused as well.
    let mut config = served.config(CT_HOST);
    config.key = served.log().forged_public_key_der();
    let mut wrong_key = Monitor::new(served.crawl(), config, None, 10);
    assert_eq!(wrong_key.head().await, Err(Failure::BadSignature));

    // A saved position is checked against the configured key before anything is fetched.
    let mut config = served.config(CT_HOST);
    config.key = served.log().forged_public_key_der();
    let mut other = Monitor::new(served.crawl(), config, Some(position), 10);
    assert_eq!(
        other.head().await,
        Err(Failure::BadPosition(PositionProblem::NotThisLog))
    );
}

#[tokio::test]
async fn a_log_that_forks_is_refused() {
    let served = Served::new(14, demo_subjects(14, 10)).await;
    // Before the log grows, the fork shows the honest history.
    let mut monitor = served.monitor(CT_FORK_HOST, None, 4);
    let batches = read_all(&mut monitor).await;
    let saved = batches.last().unwrap().position.clone();
    assert_eq!(saved.next_index, 10);

    served.log().append(demo_subjects(15, 3)).unwrap();
    // The honest log extends what was read...
    let mut honest = served.monitor(CT_HOST, Some(saved.clone()), 4);
    assert_eq!(honest.head().await.unwrap().size, 13);
    // ...the fork, signed with the same key, does not.
    let err = monitor.head().await.unwrap_err();
    assert!(
        matches!(
            err,
            Failure::Inconsistent {
                from: 10,
                to: 13,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "inconsistent");
    assert!(err.is_misbehaviour());
    // Nothing of the forked head was trusted: the monitor still stands at the saved position.
    assert_eq!(monitor.position(), Some(&saved));
    assert!(monitor.next_batch().await.unwrap().is_none());
    let mut resumed = served.monitor(CT_FORK_HOST, Some(saved), 4);
    assert!(matches!(
        resumed.next_batch().await,
        Err(Failure::Inconsistent {
            from: 10,
            to: 13,
            ..
        })
    ));
    assert_eq!(resumed.position().unwrap().next_index, 10);
}

#[tokio::test]
async fn a_shrinking_or_rewritten_tree_is_refused() {
    // Three logs of one seed share the log's key: 10 entries, 6 of them, and 10 others.
    let ten = Served::new(16, demo_subjects(16, 10)).await;
    let six = Served::new(16, demo_subjects(16, 6)).await;
    let other = Served::new(16, demo_subjects(17, 10)).await;
    let mut monitor = ten.monitor(CT_HOST, None, 100);
    let saved = read_all(&mut monitor).await.pop().unwrap().position;

    let mut shrunk = six.monitor(CT_HOST, Some(saved.clone()), 100);
    let err = shrunk.head().await.unwrap_err();
    assert_eq!(err, Failure::SizeShrank { saved: 10, now: 6 });
    assert_eq!(err.code(), "size_shrank");

    let mut rewritten = other.monitor(CT_HOST, Some(saved.clone()), 100);
    assert!(matches!(
        rewritten.head().await,
        Err(Failure::Inconsistent {
            from: 10,
            to: 10,
            ..
        })
    ));
}

#[tokio::test]
async fn entries_that_are_not_the_signed_trees_are_refused() {
    let served = Served::new(18, demo_subjects(18, 20)).await;
    let mut monitor = served.monitor(CT_HOST, None, 5);
    let first = monitor.next_batch().await.unwrap().unwrap();
    // A frontier that is not the one of the entries read: the next batch cannot be proved,
    // whether it ends inside the tree (a consistency proof) or at its end (the root).
    let mut corrupt = first.position.clone();
    corrupt.frontier[0].0[0] ^= 1;
    for batch_size in [5, 100] {
        let mut m = served.monitor(CT_HOST, Some(corrupt.clone()), batch_size);
        let to = if batch_size == 5 { 10 } else { 20 };
        let err = m.next_batch().await.unwrap_err();
        assert_eq!(
            err,
            Failure::EntriesDoNotMatch {
                from: 5,
                to,
                size: 20
            }
        );
        assert_eq!(err.code(), "entries_do_not_match");
        assert_eq!(m.position(), Some(&corrupt));
    }

    // A frontier of the wrong length, or more entries than the head holds, is no position.
    let mut short = first.position.clone();
    short.frontier.pop();
    let mut m = served.monitor(CT_HOST, Some(short), 5);
    assert!(matches!(
        m.next_batch().await,
        Err(Failure::BadPosition(PositionProblem::FrontierLength {
            next_index: 5,
            expected: 2,
            got: 1
        }))
    ));
    let mut beyond = first.position.clone();
    beyond.next_index = 21;
    let mut m = served.monitor(CT_HOST, Some(beyond), 5);
    let err = m.head().await.unwrap_err();
    assert!(
        matches!(
            err,
            Failure::BadPosition(PositionProblem::BeyondHead { .. })
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "bad_position");
}

#[tokio::test]
async fn malformed_entries_are_skipped_and_the_rest_is_read() {
    let served = Served::new(19, demo_subjects(19, 3)).await;
    let log = served.log();
    let mut odd = Vec::new();
    for (oddity, code) in [
        (CtOddity::GarbageCertificate, "bad_certificate"),
        (CtOddity::UnknownEntryType, "unknown_entry_type"),
        (CtOddity::TruncatedLeaf, "truncated_leaf"),
        (CtOddity::Oversized, "too_large"),
    ] {
        odd.push((log.append_oddity(oddity), code));
        log.append(demo_subjects(20 + odd.len() as u64, 2)).unwrap();
    }
    assert_eq!(log.size(), 15);
    let mut monitor = served.monitor(CT_HOST, None, 4);
    let batches = read_all(&mut monitor).await;
    let skipped: Vec<(u64, &str)> = batches
        .iter()
        .flat_map(|b| b.skipped.iter().map(|s| (s.index, s.reason.code())))
        .collect();
    assert_eq!(skipped, odd);
    let read: Vec<u64> = entries(&batches).iter().map(|e| e.index).collect();
    let want: Vec<u64> = (0..15)
        .filter(|i| odd.iter().all(|(o, _)| o != i))
        .collect();
    assert_eq!(read, want);
    // The skipped entries are in the proved tree: the position reached the signed head.
    let last = &batches.last().unwrap().position;
    assert_eq!((last.next_index, last.sth.size), (15, 15));
}

#[tokio::test]
async fn an_unreachable_or_broken_log_is_a_failure() {
    let served = Served::new(21, demo_subjects(21, 2)).await;
    // Nobody listening.
    let dead = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let mut m = Monitor::new(crawl_to(dead), served.config(CT_HOST), None, 10);
    let err = m.head().await.unwrap_err();
    assert_eq!(
        err,
        Failure::Unreachable {
            endpoint: ct::Endpoint::GetSth,
            source: FetchError::ConnectRefused
        }
    );
    assert_eq!(err.code(), "unreachable");
    assert!(!err.is_misbehaviour());

    // A log under another path answers 404.
    let mut config = served.config(CT_HOST);
    config.url = Url::parse(&format!("http://{CT_HOST}/logs/none/")).unwrap();
    let mut m = Monitor::new(served.crawl(), config, None, 10);
    assert_eq!(
        m.head().await,
        Err(Failure::Http {
            endpoint: ct::Endpoint::GetSth,
            status: 404
        })
    );

    // A key that is not P-256.
    let mut config = served.config(CT_HOST);
    config.key = served.log().root_der();
    let mut m = Monitor::new(served.crawl(), config, None, 10);
    assert_eq!(m.head().await, Err(Failure::UnsupportedKey));
}

/// A log server in front of `world` that answers every `get-entries` with five entries more
/// than asked (as a log may).
async fn generous(world: Arc<World>) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let world = world.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = stream.read(&mut chunk).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8(buf).unwrap();
                let target = head.split(' ').nth(1).unwrap().to_owned();
                let host = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Host: "))
                    .unwrap()
                    .to_owned();
                let target = match target.split_once("&end=") {
                    Some((before, end)) if target.contains("get-entries") => {
                        format!("{before}&end={}", end.parse::<u64>().unwrap() + 5)
                    }
                    _ => target,
                };
                let r = world.response(&host, &target).unwrap();
                let head = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    r.status,
                    r.content_type,
                    r.body.len()
                );
                stream.write_all(head.as_bytes()).await.unwrap();
                stream.write_all(&r.body).await.unwrap();
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_log_answering_more_entries_than_asked_is_read_as_asked() {
    let served = Served::new(22, demo_subjects(22, 20)).await;
    let mut honest = served.monitor(CT_HOST, None, 100);
    let want = entries(&read_all(&mut honest).await);
    let addr = generous(served.world.clone()).await;
    let mut monitor = Monitor::new(crawl_to(addr), served.config(CT_HOST), None, 3);
    let batches = read_all(&mut monitor).await;
    assert_eq!(batches.len(), 7);
    for b in &batches {
        assert!(b.entries.len() <= 3);
    }
    assert_eq!(entries(&batches), want);
}

#[tokio::test]
async fn an_answer_over_the_cap_is_asked_again_for_fewer_entries() {
    // Thirteen entries of 2 MiB: one answer with all of them is over the 32 MiB cap.
    let served = Served::new(23, demo_subjects(23, 1)).await;
    for _ in 0..13 {
        served.log().append_oddity(CtOddity::Oversized);
    }
    served.log().append(demo_subjects(24, 1)).unwrap();
    let mut monitor = served.monitor(CT_HOST, None, 100);
    let batches = read_all(&mut monitor).await;
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    assert_eq!(
        b.entries.iter().map(|e| e.index).collect::<Vec<_>>(),
        [0, 14]
    );
    assert_eq!(
        b.skipped.iter().map(|s| s.index).collect::<Vec<_>>(),
        (1..14).collect::<Vec<_>>()
    );
    assert!(b.skipped.iter().all(|s| s.reason
        == ct::SkipReason::TooLarge {
            bytes: 2 * 1024 * 1024 + 17
        }));
    assert_eq!(b.position.next_index, 15);
}
