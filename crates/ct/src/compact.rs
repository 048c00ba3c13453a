//! The compact range of a tree's first leaves (its Merkle frontier): the roots of the perfect
//! subtrees that the leaves `[0, n)` split into, largest first, one per set bit of `n`. It is
//! all a monitor keeps to extend the tree leaf by leaf and compute its root at any size, so a
//! log of a billion entries is followed in constant memory. Must not fetch or verify: the
//! monitor compares its root with the signed ones.

use evidence::tlog::hash::{empty_root, node_hash};
use evidence::tlog::Hash;

/// The number of hashes in the frontier of `size` leaves.
pub(crate) fn len_for(size: u64) -> usize {
    size.count_ones() as usize
}

/// Appends the leaf hash `leaf` as leaf number `size` to the frontier of the first `size`
/// leaves, which becomes the frontier of `size + 1` leaves: the new leaf merges with the
/// subtrees of equal size to its left, as many as `size` has trailing one bits.
pub(crate) fn push(frontier: &mut Vec<Hash>, size: u64, leaf: Hash) {
    debug_assert_eq!(frontier.len(), len_for(size));
    let mut hash = leaf;
    let mut n = size;
    while n & 1 == 1 {
        let left = frontier
            .pop()
            .expect("a frontier holds one hash per set bit of its size");
        hash = node_hash(&left, &hash);
        n >>= 1;
    }
    frontier.push(hash);
}

/// The Merkle tree hash of the leaves the frontier stands for: its subtrees joined from the
/// right (RFC 6962 §2.1's split puts the largest complete subtree on the left).
pub(crate) fn root(frontier: &[Hash]) -> Hash {
    let mut hashes = frontier.iter().rev();
    let Some(&last) = hashes.next() else {
        return empty_root();
    };
    hashes.fold(last, |right, left| node_hash(left, &right))
}

#[cfg(test)]
mod tests {
    use super::*;
    use evidence::tlog::hash::{leaf_hash, root_from_leaf_hashes};

    #[test]
    fn frontier_roots_match_the_tree_hash_for_every_size_below_40() {
        let leaves: Vec<Hash> = (0u32..40).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut frontier = Vec::new();
        assert_eq!(root(&frontier), root_from_leaf_hashes(&[]));
        for (i, leaf) in leaves.iter().enumerate() {
            push(&mut frontier, i as u64, *leaf);
            let size = i + 1;
            assert_eq!(frontier.len(), len_for(size as u64), "size {size}");
            assert_eq!(
                root(&frontier),
                root_from_leaf_hashes(&leaves[..size]),
                "size {size}"
            );
        }
    }

    #[test]
    fn frontier_hashes_are_the_complete_subtrees() {
        // 13 = 8 + 4 + 1: the subtrees [0, 8), [8, 12) and [12, 13).
        let leaves: Vec<Hash> = (0u8..13).map(|i| leaf_hash(&[i])).collect();
        let mut frontier = Vec::new();
        for (i, leaf) in leaves.iter().enumerate() {
            push(&mut frontier, i as u64, *leaf);
        }
        assert_eq!(
            frontier,
            vec![
                root_from_leaf_hashes(&leaves[..8]),
                root_from_leaf_hashes(&leaves[8..12]),
                leaves[12],
            ]
        );
    }
}
