//! A resumed sweep cuts a torn tail, and never committed evidence: a rotated file whose last
//! record was committed and then rotted is left as it is (for a person; `evidence verify`
//! names the place), while garbage after the committed records of the newest file is cut.

use std::sync::Arc;

use crate::support::Fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_sweep_cuts_a_torn_tail_but_never_committed_evidence() {
    let fx = Fixture::new(4, 21).await;
    let mut config = fx.config();
    // Small files, so the sweep rotates through several.
    config.warc_max_bytes = 16 * 1024;
    let detector = Arc::new(detect::Detector::builtin());
    let summary = sweep::run_sweep(fx.store.clone(), detector.clone(), config.clone())
        .await
        .unwrap();
    let files = evidence::warc_files(&fx.evidence_dir()).unwrap();
    assert!(files.len() >= 3, "{files:?}");
    let committed = fx.store.committed_evidence(summary.sweep_id).await.unwrap();
    assert!(!committed.is_empty());

    // A rotated file: every record in it was committed; its last one rots.
    let rotated = &files[files.len() - 2];
    let original = std::fs::read(rotated).unwrap();
    let last = evidence::open_reader(rotated)
        .unwrap()
        .map(Result::unwrap)
        .last()
        .unwrap();
    let mut rotted = original.clone();
    rotted[(last.offset + last.length / 2) as usize] ^= 0x55;
    std::fs::write(rotated, &rotted).unwrap();
    assert_eq!(
        evidence::repair_torn_tail(rotated, 0)
            .unwrap()
            .map(|t| t.from),
        Some(last.offset),
        "the damage looks like a torn tail by its bytes alone"
    );
    std::fs::write(rotated, &rotted).unwrap();

    // The newest file: a torn member after its committed records.
    let newest = files.last().unwrap();
    let whole = std::fs::read(newest).unwrap();
    let torn = [
        &whole[..],
        &[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3],
    ]
    .concat();
    std::fs::write(newest, &torn).unwrap();

    let sweep = fx.store.sweep(summary.sweep_id).await.unwrap().unwrap();
    let again = sweep::resume_sweep(fx.store.clone(), detector, config, sweep)
        .await
        .unwrap();
    assert!(again.resumed);
    assert_eq!(
        std::fs::read(rotated).unwrap(),
        rotted,
        "committed evidence is never cut"
    );
    assert_eq!(
        std::fs::read(newest).unwrap(),
        whole,
        "the torn tail is cut"
    );
    let verdict = evidence::verify_warc(rotated);
    assert!(!verdict.ok());
    assert_eq!(verdict.failures[0].offset, last.offset);
    assert!(evidence::verify_warc(newest).ok());
}

/// A sink that loses every leaf, as a worker killed before it handed them in does; the test
/// keeps a copy.
#[derive(Debug, Clone, Default)]
struct Lost(Arc<std::sync::Mutex<Vec<evidence::tlog::Hash>>>);

impl evidence::LeafSink for Lost {
    fn submit(&mut self, leaves: &[evidence::tlog::Hash]) -> Result<(), evidence::EvidenceError> {
        self.0.lock().unwrap().extend_from_slice(leaves);
        Ok(())
    }

    fn sync(&mut self) -> Result<(), evidence::EvidenceError> {
        Ok(())
    }
}

/// Writes a file of three records as the run `run` of worker `name` would in `sweep`, its
/// leaves lost; returns them.
fn worker_file(
    config: &sweep::SweepConfig,
    sweep: domain::SweepId,
    name: &str,
    run: &str,
) -> Vec<evidence::tlog::Hash> {
    let lost = Lost::default();
    let mut writer = evidence::WarcWriter::open_with_sink(
        evidence::WriterConfig {
            dir: config.evidence_dir.clone(),
            prefix: format!("wangjian-sweep{}-{name}-{run}", sweep.0),
            max_file_bytes: config.warc_max_bytes,
            software: config.software.clone(),
            operator: None,
            hostname: None,
            extra_info: Vec::new(),
        },
        Box::new(lost.clone()),
    )
    .unwrap();
    for i in 0..3 {
        writer
            .write_resource(
                &format!("http://{name}.test/{i}"),
                chrono::Utc::now(),
                "text/plain",
                format!("{name} {i}").as_bytes(),
            )
            .unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let leaves = lost.0.lock().unwrap().clone();
    assert_eq!(leaves.len(), 4, "a warcinfo record and three resources");
    leaves
}

/// The workers' sequencer ends their sweep only once every worker that wrote in it is idle
/// (it handed every leaf in) or dead (not seen for a while, or an earlier run); the records a
/// dead worker wrote without handing their leaves in are then logged, an idle worker's files
/// are left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workers_sweep_ends_once_its_writers_are_idle_or_dead_and_a_dead_ones_records_are_logged(
) {
    let fx = Fixture::new(1, 22).await;
    let config = fx.config();
    let store = fx.store.clone();
    let sweep = store.create_workers_sweep(&[]).await.unwrap();
    let dead = worker_file(&config, sweep, "w1", "r0");
    let busy = worker_file(&config, sweep, "w2", "r1");
    // An earlier run of a worker seen now is dead too.
    let earlier = worker_file(&config, sweep, "w3", "r2");
    store
        .worker_seen("w3", "r3", Some(sweep), true)
        .await
        .unwrap();
    store
        .worker_seen("w2", "r1", Some(sweep), false)
        .await
        .unwrap();

    let sequencer = tokio::spawn(sweep::sequencer::run_sequencer(
        store.clone(),
        config.clone(),
        sweep::sequencer::SequencerConfig {
            poll: std::time::Duration::from_millis(10),
            checkpoint_every: std::time::Duration::from_secs(10),
            alive_for: chrono::Duration::seconds(120),
            ..Default::default()
        },
    ));
    // It looks at the end every 100 ms: many times.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        store.unfinished_sweep().await.unwrap().is_some(),
        "not ended while a worker that wrote in it may still hand leaves in"
    );
    store
        .worker_seen("w2", "r1", Some(sweep), true)
        .await
        .unwrap();
    for _ in 0..600 {
        if store.unfinished_sweep().await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        store.unfinished_sweep().await.unwrap().is_none(),
        "ended once the worker is idle"
    );
    // With no workers' sweep running, the sequencer (still leading) lets the log go: a
    // capture or a sweep of this data directory can take it.
    let log_dir = config.log.as_ref().unwrap().dir.clone();
    let mut opened = None;
    for _ in 0..600 {
        match evidence::tlog::tree::Log::open(&log_dir) {
            Ok(log) => {
                opened = Some(log);
                break;
            }
            Err(evidence::tlog::LogError::Locked { .. }) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(!sequencer.is_finished(), "the sequencer still runs");
    let log = opened.expect("the log let go once the workers' sweep ended");
    sequencer.abort();
    let _ = sequencer.await;
    let logged: std::collections::HashSet<_> =
        log.leaf_hashes(log.size()).unwrap().into_iter().collect();
    for leaf in dead.iter().chain(&earlier) {
        assert!(logged.contains(leaf), "a dead worker's record logged");
    }
    for leaf in &busy {
        assert!(!logged.contains(leaf), "an idle worker's file left alone");
    }
    let notes = evidence::tlog::checkpoint::stored_notes(&log_dir).unwrap();
    let whole = format!("{}-", log.size());
    assert!(
        notes
            .iter()
            .any(|p| p.file_name().unwrap().to_string_lossy().starts_with(&whole)),
        "the sweep's last checkpoint covers them: {notes:?}"
    );
}
