//! RFC 6962 / RFC 9162 §2.1.1 Merkle tree hashing with SHA-256.
//!
//! Owns the two domain-separated hash functions (leaf and interior node), the split rule and the
//! [`Hash`] type every other `tlog` module speaks in. Must not do IO: the tree files, the proofs
//! and the checkpoints are built on these functions, never the other way round.

use std::fmt;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Length of every tree hash in bytes (SHA-256).
pub const HASH_LEN: usize = 32;

/// A SHA-256 tree hash: a leaf hash, an interior node hash or a root.
///
/// Shown (`Debug`, `Display`) as lowercase hex; written in checkpoints as standard base64.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_LEN]);

impl Hash {
    /// The hash held in `bytes`, or `None` unless it is exactly [`HASH_LEN`] bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; HASH_LEN]>::try_from(bytes).ok().map(Hash)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(s: &str) -> Option<Hash> {
        Hash::from_slice(&hex::decode(s).ok()?)
    }

    /// Standard base64 with padding (RFC 4648 §4), as in checkpoints.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// Parses standard padded base64 of exactly 32 bytes.
    pub fn from_base64(s: &str) -> Option<Hash> {
        Hash::from_slice(&base64::engine::general_purpose::STANDARD.decode(s).ok()?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<[u8; HASH_LEN]> for Hash {
    fn from(bytes: [u8; HASH_LEN]) -> Hash {
        Hash(bytes)
    }
}

fn sha256(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    Hash(h.finalize().into())
}

/// MTH({}) = SHA-256(""): the root of the empty tree.
pub fn empty_root() -> Hash {
    sha256(&[])
}

/// MTH({d}) = SHA-256(0x00 ‖ d): the hash of one leaf's data.
pub fn leaf_hash(data: &[u8]) -> Hash {
    sha256(&[&[0x00], data])
}

/// SHA-256(0x01 ‖ left ‖ right): the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[0x01], &left.0, &right.0])
}

/// The largest power of two strictly smaller than `n` (RFC 6962 §2.1's k); `n` must be ≥ 2.
pub fn split(n: u64) -> u64 {
    debug_assert!(n >= 2, "split of a tree with fewer than two leaves");
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH over leaf hashes held in memory (RFC 6962 §2.1), for small trees and for tests of the
/// stored tree; the stored [`super::tree::Log`] never needs all leaves at once.
pub fn root_from_leaf_hashes(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(
                &root_from_leaf_hashes(&leaves[..k]),
                &root_from_leaf_hashes(&leaves[k..]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn leaf_and_node_are_domain_separated() {
        // RFC 6962 test data: the leaf hash of the empty string.
        assert_eq!(
            leaf_hash(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        let a = leaf_hash(b"a");
        let mut cat = Vec::from(a.0);
        cat.extend_from_slice(&a.0);
        assert_ne!(node_hash(&a, &a), leaf_hash(&cat));
    }

    #[test]
    fn split_is_largest_power_of_two_below() {
        let cases = [
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (1 << 40, 1 << 39),
        ];
        for (n, k) in cases {
            assert_eq!(split(n), k, "split({n})");
        }
        assert_eq!(split(u64::MAX), 1 << 63);
    }

    #[test]
    fn hash_text_forms_round_trip() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(Hash::from_base64(&h.to_base64()), Some(h));
        assert_eq!(Hash::from_slice(&[0; 31]), None);
        assert_eq!(Hash::from_base64("AAAA"), None);
    }

    #[test]
    fn known_roots_of_rfc6962_test_leaves() {
        // The eight leaves used by the RFC 6962 reference tests (certificate-transparency).
        let leaves: Vec<Vec<u8>> = [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect();
        let hashes: Vec<Hash> = leaves.iter().map(|d| leaf_hash(d)).collect();
        assert_eq!(
            root_from_leaf_hashes(&hashes).to_hex(),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
        assert_eq!(
            root_from_leaf_hashes(&hashes[..3]).to_hex(),
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
        );
    }
}
