//! Verification of Merkle inclusion and consistency proofs, written from RFC 9162 §2.1.3.2 and
//! §2.1.4.2.
//!
//! Owns the checks a court expert or another regulator runs without trusting wangjian: given a
//! leaf hash, a proof and a root from a signed checkpoint, is the leaf in that tree; given two
//! checkpoints, is the later tree an extension of the earlier one. Must not read the stored tree:
//! a verifier has only what it was handed, so these functions take plain values.
//!
//! Roots and leaf hashes are taken as bytes (`impl AsRef<[u8]>`, e.g. `&Hash` or `&[u8]`) so that
//! a wrongly sized value handed in from outside is rejected here, with a reason, rather than
//! being impossible to express; proof elements are [`Hash`]es, parsed at the caller's boundary.

use super::hash::{node_hash, Hash, HASH_LEN};

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree (this includes every index of the empty tree).
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    /// A hash handed in is not 32 bytes long.
    #[error("{what} is {len} bytes long, not {HASH_LEN}")]
    BadHashLength { what: &'static str, len: usize },
    /// The proof has the wrong number of hashes for the sizes and index given.
    #[error("proof has {got} hashes; {expected} expected")]
    WrongProofLength { got: usize, expected: usize },
    /// The second tree of a consistency proof is smaller than the first.
    #[error("second tree size {size2} is smaller than first tree size {size1}")]
    SizesReversed { size1: u64, size2: u64 },
    /// A consistency proof from the empty tree proves nothing: every tree extends it.
    #[error("consistency from the empty tree proves nothing and is not accepted")]
    EmptyFirstTree,
    /// Two checkpoints of the same size must have the same root.
    #[error("the roots of two trees of equal size {size} differ")]
    EqualSizesDifferentRoots { size: u64 },
    /// The proof's path does not end at the top of the tree (RFC 9162's final `sn == 0` check).
    #[error("the proof's path does not end at the root of a tree of this size")]
    PathDoesNotEndAtRoot,
    /// The proof does not lead to the root it was checked against.
    #[error("the proof leads to root {computed}, not to the expected root")]
    RootMismatch { computed: Hash },
    /// The consistency proof does not reproduce the first tree's root.
    #[error("the proof leads to first root {computed}, not to the expected first root")]
    FirstRootMismatch { computed: Hash },
}

fn hash_arg(what: &'static str, bytes: &[u8]) -> Result<Hash, ProofError> {
    Hash::from_slice(bytes).ok_or(ProofError::BadHashLength {
        what,
        len: bytes.len(),
    })
}

/// Number of hashes in the inclusion proof of `index` in a tree of `size` leaves
/// (`index < size`): one per level where the path leaves the right edge (`inner`) plus one per
/// complete subtree on the right border above it.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = (index >> inner).count_ones();
    (inner + border) as usize
}

/// The root that `proof` leads to from `leaf_hash` at `leaf_index` in a tree of `tree_size`
/// leaves (RFC 9162 §2.1.3.2 steps 1–4), or why the proof is malformed.
pub fn root_from_inclusion_proof(
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: impl AsRef<[u8]>,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    // Step 1.
    if leaf_index >= tree_size {
        return Err(ProofError::IndexOutOfRange {
            index: leaf_index,
            size: tree_size,
        });
    }
    let leaf = hash_arg("leaf hash", leaf_hash.as_ref())?;
    let expected = inclusion_proof_len(leaf_index, tree_size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            expected,
        });
    }
    // Steps 2–4.
    let (mut fn_, mut sn) = (leaf_index, tree_size - 1);
    let mut r = leaf;
    for p in proof {
        if sn == 0 {
            // Unreachable after the length check; kept because it is the RFC's own guard.
            return Err(ProofError::PathDoesNotEndAtRoot);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5, first half.
    if sn != 0 {
        return Err(ProofError::PathDoesNotEndAtRoot);
    }
    Ok(r)
}

/// Checks that `leaf_hash` is the leaf at `leaf_index` of the tree of `tree_size` leaves whose
/// root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: impl AsRef<[u8]>,
    proof: &[Hash],
    root: impl AsRef<[u8]>,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(leaf_index, tree_size, leaf_hash, proof)?;
    let root = hash_arg("root", root.as_ref())?;
    if computed != root {
        return Err(ProofError::RootMismatch { computed });
    }
    Ok(())
}

/// Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves
/// with root `root1` (RFC 9162 §2.1.4.2).
///
/// Edge cases the RFC leaves to the caller: `size1 == size2` holds exactly when the proof is empty
/// and the two roots are byte-for-byte equal; `size1 == 0` is rejected (the empty tree is a
/// prefix of every tree, so such a "proof" would only lend false weight to an unchecked root).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: impl AsRef<[u8]>,
    root2: impl AsRef<[u8]>,
) -> Result<(), ProofError> {
    let (root1, root2) = (root1.as_ref(), root2.as_ref());
    if size2 < size1 {
        return Err(ProofError::SizesReversed { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::EmptyFirstTree);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                expected: 0,
            });
        }
        if root1 != root2 {
            return Err(ProofError::EqualSizesDifferentRoots { size: size1 });
        }
        return Ok(());
    }
    let root1 = hash_arg("first root", root1)?;
    let root2 = hash_arg("second root", root2)?;

    // The proof length, derived as for an inclusion proof of the last leaf of the first tree:
    // the levels below the first tree's lowest complete subtree (its trailing zero bits) are
    // not in the proof, and the seed hash is not sent when the first tree is that subtree.
    let shift = size1.trailing_zeros();
    let first_is_power_of_two = size1.is_power_of_two();
    let expected = inclusion_proof_len(size1 - 1, size2) - shift as usize
        + usize::from(!first_is_power_of_two);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            expected,
        });
    }

    // Steps 1–2: an exact power of two is its own first subtree root, so it is prepended.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first_is_power_of_two {
        path.push(root1);
    }
    path.extend_from_slice(proof);
    if path.is_empty() {
        return Err(ProofError::WrongProofLength {
            got: 0,
            expected: 1,
        });
    }
    // Steps 3–4.
    let (mut fn_, mut sn) = (size1 - 1, size2 - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let (mut fr, mut sr) = (path[0], path[0]);
    // Step 6.
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::PathDoesNotEndAtRoot);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(ProofError::PathDoesNotEndAtRoot);
    }
    if fr != root1 {
        return Err(ProofError::FirstRootMismatch { computed: fr });
    }
    if sr != root2 {
        return Err(ProofError::RootMismatch { computed: sr });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::{leaf_hash, root_from_leaf_hashes};

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn single_leaf_tree_needs_no_proof() {
        let l = leaves(1);
        assert_eq!(verify_inclusion(0, 1, l[0], &[], l[0]), Ok(()));
        assert_eq!(
            verify_inclusion(1, 1, l[0], &[], l[0]),
            Err(ProofError::IndexOutOfRange { index: 1, size: 1 })
        );
    }

    #[test]
    fn two_leaf_proofs_by_hand() {
        let l = leaves(2);
        let root = node_hash(&l[0], &l[1]);
        assert_eq!(verify_inclusion(0, 2, l[0], &[l[1]], root), Ok(()));
        assert_eq!(verify_inclusion(1, 2, l[1], &[l[0]], root), Ok(()));
        assert!(matches!(
            verify_inclusion(1, 2, l[0], &[l[1]], root),
            Err(ProofError::RootMismatch { .. })
        ));
        // 1 ⊑ 2: the first root is a power of two, so the proof is just the new sibling.
        assert_eq!(verify_consistency(1, 2, &[l[1]], l[0], root), Ok(()));
    }

    #[test]
    fn proof_lengths_match_rfc_examples() {
        // RFC 6962 §2.1.3: tree of 7 leaves; d0 needs 3 hashes, d6 needs 2.
        assert_eq!(inclusion_proof_len(0, 7), 3);
        assert_eq!(inclusion_proof_len(6, 7), 2);
        assert_eq!(inclusion_proof_len(3, 7), 3);
    }

    #[test]
    fn wrong_lengths_are_named() {
        let l = leaves(3);
        let root = root_from_leaf_hashes(&l);
        assert_eq!(
            verify_inclusion(0, 3, &l[0].0[..31], &[l[1], l[2]], root),
            Err(ProofError::BadHashLength {
                what: "leaf hash",
                len: 31
            })
        );
        assert_eq!(
            verify_inclusion(0, 3, l[0], &[l[1]], root),
            Err(ProofError::WrongProofLength {
                got: 1,
                expected: 2
            })
        );
    }
}
