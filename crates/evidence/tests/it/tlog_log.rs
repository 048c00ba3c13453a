//! The stored transparency log against an independent reference, its crash repair, tamper
//! evidence and signed checkpoints.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{TimeZone, Utc};
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use evidence::tlog::checkpoint::{stored_notes, CheckpointError};
use evidence::tlog::note::NoteError;
use evidence::tlog::tree::{LogError, Repair};
use evidence::tlog::{
    sign_and_store, verify_consistency, verify_inclusion, Checkpoint, Hash, Log, ProofError, Signer,
};
use sha2::{Digest, Sha256};

/// A naive RFC 6962 §2.1 reference, written from the text and sharing no code with the crate:
/// MTH, PATH and PROOF recurse over the leaf data itself.
mod reference {
    use sha2::{Digest, Sha256};

    pub type H = [u8; 32];

    fn k(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    pub fn mth(d: &[Vec<u8>]) -> H {
        let mut h = Sha256::new();
        match d.len() {
            0 => {}
            1 => {
                h.update([0u8]);
                h.update(&d[0]);
            }
            n => {
                let k = k(n);
                h.update([1u8]);
                h.update(mth(&d[..k]));
                h.update(mth(&d[k..]));
            }
        }
        h.finalize().into()
    }

    pub fn path(m: usize, d: &[Vec<u8>]) -> Vec<H> {
        let n = d.len();
        if n == 1 {
            return Vec::new();
        }
        let k = k(n);
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }

    fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<H> {
        let n = d.len();
        if m == n {
            return if b { Vec::new() } else { vec![mth(d)] };
        }
        let k = k(n);
        if m <= k {
            let mut p = subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }

    /// PROOF(m, D[n]) for 0 < m ≤ n.
    pub fn proof(m: usize, d: &[Vec<u8>]) -> Vec<H> {
        subproof(m, d, true)
    }
}

fn data(i: usize) -> Vec<u8> {
    format!("sha256:{}", hex::encode(Sha256::digest(i.to_be_bytes()))).into_bytes()
}

fn leaves(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(data).collect()
}

fn raw(hashes: &[Hash]) -> Vec<[u8; 32]> {
    hashes.iter().map(|h| h.0).collect()
}

fn build(dir: &Path, n: usize) -> Log {
    let mut log = Log::open(dir).unwrap();
    for (i, d) in leaves(n).iter().enumerate() {
        assert_eq!(log.append(d).unwrap(), i as u64);
    }
    log
}

fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x01;
    fs::write(path, bytes).unwrap();
}

#[test]
fn every_proof_of_every_size_up_to_70_matches_the_reference() {
    let all = leaves(70);
    for n in 1..=70usize {
        let dir = tempfile::tempdir().unwrap();
        let log = build(dir.path(), n);
        let d = &all[..n];
        let root = reference::mth(d);
        assert_eq!(log.root().0, root, "root of {n}");
        for m in 0..n {
            assert_eq!(
                log.leaf_hash(m as u64).unwrap(),
                evidence::tlog::hash::leaf_hash(&d[m])
            );
            let proof = log.inclusion_proof(m as u64, n as u64).unwrap();
            assert_eq!(raw(&proof), reference::path(m, d), "PATH({m}, {n})");
            let leaf = log.leaf_hash(m as u64).unwrap();
            assert_eq!(
                verify_inclusion(m as u64, n as u64, leaf, &proof, root),
                Ok(())
            );
        }
        for m in 1..=n {
            let proof = log.consistency_proof(m as u64, n as u64).unwrap();
            assert_eq!(raw(&proof), reference::proof(m, d), "PROOF({m}, {n})");
            let root1 = reference::mth(&d[..m]);
            assert_eq!(
                log.root_at(m as u64).unwrap().0,
                root1,
                "root at {m} of {n}"
            );
            assert_eq!(
                verify_consistency(m as u64, n as u64, &proof, root1, root),
                Ok(()),
                "consistency {m} → {n}"
            );
        }
        // A proof checked against the wrong size or the wrong root fails.
        if n > 1 {
            let proof = log.inclusion_proof(0, n as u64).unwrap();
            let leaf = log.leaf_hash(0).unwrap();
            assert!(
                verify_inclusion(0, n as u64, leaf, &proof, reference::mth(&d[..n - 1])).is_err()
            );
            let proof = log.consistency_proof(1, n as u64).unwrap();
            assert!(
                verify_consistency(1, n as u64, &proof, reference::mth(&d[1..2]), root).is_err()
            );
        }
        drop(log);
        let reopened = Log::open(dir.path()).unwrap();
        assert_eq!(reopened.root().0, root, "root of {n} after reopen");
        assert!(reopened.repairs().is_empty());
    }
}

#[test]
fn reopen_keeps_root_and_appends_continue() {
    let dir = tempfile::tempdir().unwrap();
    let log = build(dir.path(), 37);
    let root = log.root();
    log.sync().unwrap();
    drop(log);
    let mut log = Log::open(dir.path()).unwrap();
    assert_eq!((log.size(), log.root()), (37, root));
    for d in &leaves(70)[37..] {
        log.append(d).unwrap();
    }
    assert_eq!(log.root().0, reference::mth(&leaves(70)));
    assert_eq!(log.root_at(37).unwrap(), root);
    assert_eq!(log.audit().unwrap(), log.root());
}

#[test]
fn torn_tails_are_cut_back_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let log = build(dir.path(), 10);
    let root = log.root();
    log.sync().unwrap();
    drop(log);

    // A crash in the middle of writing leaf 10 and of its level-1 parent.
    let leaves_path = dir.path().join("leaves");
    OpenOptions::new()
        .append(true)
        .open(&leaves_path)
        .unwrap()
        .write_all(&[7; 13])
        .unwrap();
    OpenOptions::new()
        .append(true)
        .open(dir.path().join("level-01"))
        .unwrap()
        .write_all(&[7; 31])
        .unwrap();

    let mut log = Log::open(dir.path()).unwrap();
    assert_eq!((log.size(), log.root()), (10, root));
    assert!(log.repairs().contains(&Repair::TruncatedTornTail {
        path: leaves_path.clone(),
        from: 10 * 32 + 13,
        to: 320
    }));
    assert_eq!(log.repairs().len(), 2, "{:?}", log.repairs());
    assert!(log.repairs()[0].to_string().contains("torn write"));
    assert_eq!(fs::metadata(&leaves_path).unwrap().len(), 320);

    // The log goes on as if the torn write had never started.
    log.append(&data(10)).unwrap();
    assert_eq!(log.root().0, reference::mth(&leaves(11)));
}

#[test]
fn level_files_are_repaired_from_the_leaves() {
    let all = leaves(21);
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 21).sync().unwrap();

    // Lost leaves (the level files ran ahead): the leaves file is the truth.
    let leaves_path = dir.path().join("leaves");
    OpenOptions::new()
        .write(true)
        .open(&leaves_path)
        .unwrap()
        .set_len(15 * 32)
        .unwrap();
    let log = Log::open(dir.path()).unwrap();
    assert_eq!(log.root().0, reference::mth(&all[..15]));
    assert!(log.repairs().iter().any(|r| matches!(
        r,
        Repair::TruncatedLevel {
            level: 4,
            from: 1,
            to: 0
        }
    )));
    assert_eq!(log.audit().unwrap(), log.root());
    drop(log);

    // Deleted level files are rebuilt.
    for level in 1..=3 {
        fs::remove_file(dir.path().join(format!("level-{level:02}"))).unwrap();
    }
    let log = Log::open(dir.path()).unwrap();
    assert_eq!(log.root().0, reference::mth(&all[..15]));
    assert!(log.repairs().contains(&Repair::RebuiltLevel {
        level: 1,
        from: 0,
        to: 7
    }));
    let proof = log.inclusion_proof(4, 15).unwrap();
    assert_eq!(raw(&proof), reference::path(4, &all[..15]));
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path()).unwrap();
    assert!(matches!(
        Log::open(dir.path()),
        Err(LogError::Locked { .. })
    ));
    drop(log);
    Log::open(dir.path()).unwrap();
}

fn time(secs: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_796_000_000 + secs, 0).unwrap()
}

const ORIGIN: &str = "wangjian.example/nanning";

#[test]
fn a_flipped_leaf_byte_breaks_the_signed_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let signer = Signer::load_or_create(keys.path(), ORIGIN).unwrap();
    let vkey = signer.verifier_key();
    let log = build(dir.path(), 70);
    let stored = sign_and_store(&log, &signer, ORIGIN, time(0), None).unwrap();
    let leaf5 = log.leaf_hash(5).unwrap();
    let proof5 = log.inclusion_proof(5, 70).unwrap();
    drop(log);

    let cp = Checkpoint::verify_note(&stored.note, &vkey).unwrap();
    assert_eq!(verify_inclusion(5, 70, leaf5, &proof5, cp.root), Ok(()));

    // Someone with file access changes one byte of leaf 5.
    flip_byte(&dir.path().join("leaves"), 5 * 32 + 17);
    let log = Log::open(dir.path()).unwrap();
    // The changed leaf no longer proves into the signed root…
    let tampered = log.leaf_hash(5).unwrap();
    assert_ne!(tampered, leaf5);
    let proof = log.inclusion_proof(5, 70).unwrap();
    assert!(matches!(
        verify_inclusion(5, 70, tampered, &proof, cp.root),
        Err(ProofError::RootMismatch { .. })
    ));
    // …and the audit finds the stored parent that no longer matches (leaves 4 and 5).
    assert!(matches!(
        log.audit(),
        Err(LogError::Inconsistent { level: 1, index: 2 })
    ));
    drop(log);

    // Covering the tracks by recomputing every level file changes the root itself.
    for level in 1..=6 {
        fs::remove_file(dir.path().join(format!("level-{level:02}"))).unwrap();
    }
    let log = Log::open(dir.path()).unwrap();
    assert_ne!(log.root(), cp.root);
    assert_eq!(log.audit().unwrap(), log.root());
    assert!(matches!(
        cp.check_log(&log),
        Err(CheckpointError::RootMismatch { size: 70, .. })
    ));
    // A checkpoint over the tampered root cannot be passed off with the deployment's key
    // without the private key: the stored note still names the old root.
    assert_eq!(fs::read_to_string(&stored.path).unwrap(), stored.note);
}

#[test]
fn removed_leaves_break_the_signed_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::from_seed(ORIGIN, &[3; 32]).unwrap();
    let log = build(dir.path(), 20);
    let stored = sign_and_store(&log, &signer, ORIGIN, time(0), None).unwrap();
    drop(log);
    OpenOptions::new()
        .write(true)
        .open(dir.path().join("leaves"))
        .unwrap()
        .set_len(19 * 32)
        .unwrap();
    let log = Log::open(dir.path()).unwrap();
    let cp = Checkpoint::verify_note(&stored.note, &signer.verifier_key()).unwrap();
    assert!(matches!(
        cp.check_log(&log),
        Err(CheckpointError::LogTooShort {
            checkpoint_size: 20,
            log_size: 19
        })
    ));
}

#[test]
fn checkpoint_notes_round_trip_and_chain_by_consistency() {
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let signer = Signer::load_or_create(keys.path(), ORIGIN).unwrap();
    let vkey = fs::read_to_string(keys.path().join("wangjian.example_nanning.pub")).unwrap();
    let vkey = vkey.trim_end();
    assert_eq!(vkey, signer.verifier_key());

    let mut log = build(dir.path(), 13);
    let first = sign_and_store(&log, &signer, ORIGIN, time(0), None).unwrap();
    for d in &leaves(40)[13..] {
        log.append(d).unwrap();
    }
    let second = sign_and_store(&log, &signer, ORIGIN, time(60), None).unwrap();

    let cp1 = Checkpoint::verify_note(&first.note, vkey).unwrap();
    let cp2 = Checkpoint::verify_note(&second.note, vkey).unwrap();
    assert_eq!(cp1, first.checkpoint);
    assert_eq!((cp1.origin.as_str(), cp1.size), (ORIGIN, 13));
    assert_eq!(cp1.time(), Some(time(0)));
    assert_eq!(cp2.root.0, reference::mth(&leaves(40)));
    cp1.check_log(&log).unwrap();
    cp2.check_log(&log).unwrap();
    let proof = log.consistency_proof(cp1.size, cp2.size).unwrap();
    assert_eq!(
        verify_consistency(cp1.size, cp2.size, &proof, cp1.root, cp2.root),
        Ok(())
    );

    // Stored append-only as checkpoints/<size>-<unix>.note, in order.
    let notes = stored_notes(dir.path()).unwrap();
    let names: Vec<String> = notes
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            format!("13-{}.note", time(0).timestamp()),
            format!("40-{}.note", time(60).timestamp())
        ]
    );
    assert_eq!(fs::read_to_string(&notes[1]).unwrap(), second.note);
    // The same size and second again gets a name of its own rather than overwriting, and is
    // listed after the first.
    let third = sign_and_store(&log, &signer, ORIGIN, time(60), None).unwrap();
    assert_eq!(fs::read_to_string(&notes[1]).unwrap(), second.note);
    let again = format!("40-{}-2.note", time(60).timestamp());
    assert_eq!(third.path.file_name().unwrap().to_string_lossy(), again);
    let notes = stored_notes(dir.path()).unwrap();
    assert_eq!(notes.len(), 3);
    assert_eq!(notes[2], third.path);
}

#[test]
fn wrong_keys_and_modified_notes_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::from_seed(ORIGIN, &[5; 32]).unwrap();
    let log = build(dir.path(), 70);
    let note = Checkpoint::new(ORIGIN, 70, log.root())
        .with_time(time(0))
        .to_note(&signer)
        .unwrap();
    let vkey = signer.verifier_key();
    Checkpoint::verify_note(&note, &vkey).unwrap();

    // Same name, other key: the key ID differs, so the note carries no signature by it.
    let impostor = Signer::from_seed(ORIGIN, &[6; 32]).unwrap();
    assert!(matches!(
        Checkpoint::verify_note(&note, &impostor.verifier_key()),
        Err(CheckpointError::Note(NoteError::NotSignedByKey { .. }))
    ));
    // A note signed by the impostor under the real name does not pass the real key either.
    let forged = Checkpoint::new(ORIGIN, 71, log.root())
        .to_note(&impostor)
        .unwrap();
    assert!(Checkpoint::verify_note(&forged, &vkey).is_err());
    // A malformed verifier key.
    assert!(matches!(
        Checkpoint::verify_note(&note, "wangjian.example/nanning+00000000+AAAA"),
        Err(CheckpointError::Note(NoteError::MalformedVerifierKey(_)))
    ));

    let root_b64 = log.root().to_base64();
    let other_root = evidence::tlog::hash::leaf_hash(b"other").to_base64();
    for modified in [
        note.replacen("\n70\n", "\n69\n", 1),
        note.replacen(&root_b64, &other_root, 1),
        note.replacen(ORIGIN, "wangjian.example/guilin", 1),
        note.replacen("time ", "time  ", 1),
        note.replacen("Z\n\n", "Z\nextra\n\n", 1),
    ] {
        assert_ne!(modified, note);
        assert!(
            matches!(
                Checkpoint::verify_note(&modified, &vkey),
                Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
            ),
            "{modified:?} accepted"
        );
    }
    // A flipped bit in the signature itself.
    let (body, sig_line) = note.rsplit_once("\n\n").unwrap();
    let (prefix, b64) = sig_line.trim_end().rsplit_once(' ').unwrap();
    let mut blob = B64.decode(b64).unwrap();
    blob[10] ^= 0x80;
    let bad = format!("{body}\n\n{prefix} {}\n", B64.encode(&blob));
    assert!(Checkpoint::verify_note(&bad, &vkey).is_err());
}

#[test]
fn signature_lines_follow_the_signed_note_spec() {
    let signer = Signer::from_seed(ORIGIN, &[8; 32]).unwrap();
    let root = Hash([0xab; 32]);
    let cp = Checkpoint::new(ORIGIN, 7, root).with_time(time(0));
    let note = cp.to_note(&signer).unwrap();

    // Body: origin, size, base64 root, extension; then a blank line and one signature line.
    let body = format!(
        "{ORIGIN}\n7\n{}\ntime {}\n",
        B64.encode([0xab; 32]),
        "2026-11-30T00:53:20Z"
    );
    assert_eq!(time(0).to_rfc3339(), "2026-11-30T00:53:20+00:00");
    assert!(note.starts_with(&format!("{body}\n")), "{note}");
    let sig_line = note.strip_prefix(&format!("{body}\n")).unwrap();
    assert!(sig_line.ends_with('\n') && sig_line.matches('\n').count() == 1);
    let rest = sig_line
        .strip_prefix("\u{2014} ")
        .expect("em dash U+2014 and a space");
    let (name, b64) = rest.trim_end().split_once(' ').unwrap();
    assert_eq!(name, ORIGIN);
    let blob = B64.decode(b64).unwrap();
    assert_eq!(blob.len(), 4 + 64);

    // Key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[..4], computed here independently.
    let public = signer.public_key();
    let mut h = Sha256::new();
    h.update(ORIGIN.as_bytes());
    h.update([0x0a, 0x01]);
    h.update(public);
    let id = &h.finalize()[..4];
    assert_eq!(&blob[..4], id);
    assert_eq!(signer.key_id(), id);

    // The Ed25519 signature covers the body including its final newline.
    let key = VerifyingKey::from_bytes(&public).unwrap();
    let sig = Signature::from_slice(&blob[4..]).unwrap();
    key.verify(body.as_bytes(), &sig).unwrap();

    // Verifier key: <name>+<hex key ID>+<base64(0x01 ‖ public key)>.
    let mut material = vec![0x01];
    material.extend_from_slice(&public);
    assert_eq!(
        signer.verifier_key(),
        format!("{ORIGIN}+{}+{}", hex::encode(id), B64.encode(material))
    );
}
