//! The transparency log: every WARC record's digest is appended at capture time to an
//! append-only Merkle tree (RFC 6962 / RFC 9162 hashing) whose state is published as signed
//! checkpoints (C2SP tlog-checkpoint, signed-note with Ed25519), so that nobody, an administrator
//! with database access included, can alter or remove evidence without it showing.
//!
//! Modules: [`hash`] (leaf and node hashes, the [`Hash`] type), [`proof`] (verifying inclusion
//! and consistency proofs, needing nothing but the values handed in), [`tree`] (the stored log:
//! append, roots, proofs, crash repair), [`note`] (signed notes and the signing key on disk),
//! [`checkpoint`] (checkpoint text, signing and storing), [`audit`] (every stored checkpoint
//! verified and checked for consistency with the next).
//!
//! Must not: know WARC records (the caller hands in each record's digest label), touch a
//! database, or rewrite a stored hash.

pub mod audit;
pub mod checkpoint;
pub mod hash;
pub mod note;
pub mod proof;
pub mod tree;

pub use checkpoint::{sign_and_store, Checkpoint, CheckpointError, CustodyHead, StoredCheckpoint};
pub use hash::Hash;
pub use note::{NoteError, Signer, Verifier};
pub use proof::{verify_consistency, verify_inclusion, ProofError};
pub use tree::{Log, LogError, Repair};
