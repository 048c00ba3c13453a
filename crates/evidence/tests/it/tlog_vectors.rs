//! The transparency-dev Merkle proof vectors (`testdata/merkle` at the repository root): every
//! inclusion and consistency case must be accepted or rejected as its `wantErr` says.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use evidence::tlog::{verify_consistency, verify_inclusion, Hash};
use serde::Deserialize;

const MERKLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/merkle");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inclusion {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consistency {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    want_err: bool,
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
}

fn bytes(b64: &str) -> Vec<u8> {
    B64.decode(b64).expect("vector field is base64")
}

/// Proof elements are `Hash`es, parsed at the caller's boundary: an element that is not 32
/// bytes cannot be expressed and is rejected there (`None`). Such vectors must all be errors.
fn proof(elements: &Option<Vec<String>>) -> Option<Vec<Hash>> {
    elements
        .iter()
        .flatten()
        .map(|e| Hash::from_slice(&bytes(e)))
        .collect()
}

fn load<T: for<'de> Deserialize<'de>>(kind: &str) -> Vec<(PathBuf, T)> {
    let mut files = Vec::new();
    json_files(&Path::new(MERKLE).join(kind), &mut files);
    files
        .into_iter()
        .map(|p| {
            let v = serde_json::from_slice(&std::fs::read(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, v)
        })
        .collect()
}

#[test]
fn inclusion_vectors() {
    let cases: Vec<(PathBuf, Inclusion)> = load("inclusion");
    assert_eq!(cases.len(), 98, "all inclusion vectors found");
    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for (path, v) in &cases {
        let result = match proof(&v.proof) {
            None => Err("proof element is not a 32-byte hash".to_string()),
            Some(p) => verify_inclusion(
                v.leaf_idx,
                v.tree_size,
                bytes(&v.leaf_hash),
                &p,
                bytes(&v.root),
            )
            .map_err(|e| e.to_string()),
        };
        match (&result, v.want_err) {
            (Ok(()), false) => accepted += 1,
            (Err(_), true) => rejected += 1,
            _ => failures.push(format!("{}: got {result:?}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        accepted >= 5 && rejected >= 80,
        "{accepted} accepted, {rejected} rejected"
    );
}

#[test]
fn consistency_vectors() {
    let cases: Vec<(PathBuf, Consistency)> = load("consistency");
    assert_eq!(cases.len(), 98, "all consistency vectors found");
    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for (path, v) in &cases {
        let result = match proof(&v.proof) {
            None => Err("proof element is not a 32-byte hash".to_string()),
            Some(p) => verify_consistency(v.size1, v.size2, &p, bytes(&v.root1), bytes(&v.root2))
                .map_err(|e| e.to_string()),
        };
        match (&result, v.want_err) {
            (Ok(()), false) => accepted += 1,
            (Err(_), true) => rejected += 1,
            _ => failures.push(format!("{}: got {result:?}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        accepted >= 5 && rejected >= 80,
        "{accepted} accepted, {rejected} rejected"
    );
}
