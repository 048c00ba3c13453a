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
