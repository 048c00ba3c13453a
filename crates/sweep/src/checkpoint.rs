//! Signing the transparency log's checkpoints: the one place wangjian does it. Every
//! checkpoint — at the end of a sweep or an evidence capture, by `wangjian log checkpoint`, for
//! an export that needs one covering the whole log — commits to the head of the chain of
//! custody as it stands just before signing ([`store::CustodyStore::custody_head`]), written
//! as the extension line `wangjian-custody <count> <hash>` (`evidence::tlog::checkpoint`). So
//! nothing outside this module reads the head for a checkpoint, and no checkpoint is signed
//! without it.
//!
//! Custody rows appended between the read and the signature are simply not committed by this
//! checkpoint; the next one commits to them. Must not: change the log or the chain.

use chrono::{DateTime, Utc};
use evidence::tlog::{
    audit::{covering_checkpoint, VerifiedCheckpoint},
    sign_and_store, CustodyHead, Hash, Log, Signer, StoredCheckpoint,
};
use store::Store;

use crate::error::SweepError;

/// The chain of custody's head as the store holds it, as a checkpoint carries it.
pub async fn custody_head(store: &dyn Store) -> Result<CustodyHead, SweepError> {
    let head = store.custody_head().await?;
    let hash = Hash::from_hex(&head.hash)
        .filter(|h| h.to_hex() == head.hash)
        .ok_or(SweepError::CustodyHead {
            count: head.count,
            hash: head.hash,
        })?;
    Ok(CustodyHead {
        count: head.count,
        hash,
    })
}

/// Signs a checkpoint of `log` as it stands (made durable first) at `now`, committing to the
/// chain of custody's head, and stores it ([`sign_and_store`]).
pub async fn sign(
    store: &dyn Store,
    log: &Log,
    signer: &Signer,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<StoredCheckpoint, SweepError> {
    let head = custody_head(store).await?;
    sign_and_store(log, signer, origin, now, Some(head)).map_err(SweepError::Checkpoint)
}

/// The checkpoint an export proves against: the latest stored one verified with
/// `verifier_key` when it covers the whole log, else one signed now committing to the chain of
/// custody's head ([`covering_checkpoint`]).
pub async fn covering(
    store: &dyn Store,
    log: &Log,
    signer: &Signer,
    origin: &str,
    verifier_key: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedCheckpoint, SweepError> {
    let head = custody_head(store).await?;
    covering_checkpoint(log, signer, origin, verifier_key, now, Some(head))
        .map_err(SweepError::Checkpoint)
}
