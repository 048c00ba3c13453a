//! Honest-operation commitments (诚信经营承诺): recorded by the bureau (permission
//! `Credit`) with the day they were made; marked broken, with the day and why, at most once.
//! A commitment on record that is not broken is the index source `commitment.kept`.

use crate::lists::{required, Caller, Field, ListError};
use chrono::NaiveDate;
use domain::{CommitmentId, EntityId, Permission};
use store::{Commitment, NewCommitment, Store, StoreError};

/// Records a commitment of an entity in the caller's scope.
pub async fn add(
    store: &dyn Store,
    by: &Caller,
    entity: EntityId,
    made_on: NaiveDate,
    text: &str,
) -> Result<Commitment, ListError> {
    by.require(Permission::Credit)?;
    let new = NewCommitment {
        entity_id: entity,
        made_on,
        text: required(Field::Text, text)?,
    };
    store
        .add_commitment(by.scope.clone(), &new, &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ListError::NoEntity(entity),
            other => other.into(),
        })
}

/// Marks a commitment in the caller's scope broken on `broken_on`, with why.
pub async fn mark_broken(
    store: &dyn Store,
    by: &Caller,
    id: CommitmentId,
    broken_on: NaiveDate,
    reason: &str,
) -> Result<Commitment, ListError> {
    by.require(Permission::Credit)?;
    let reason = required(Field::Reason, reason)?;
    let found = store
        .commitment(by.scope.clone(), id)
        .await?
        .ok_or(ListError::NoCommitment(id))?;
    if broken_on < found.made_on {
        return Err(ListError::DateBefore {
            date: broken_on,
            after: found.made_on,
        });
    }
    store
        .break_commitment(by.scope.clone(), id, broken_on, &reason, &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ListError::NoCommitment(id),
            StoreError::Conflict(_) => ListError::AlreadyBroken(id),
            other => other.into(),
        })
}

/// Commitments in the caller's scope (of one entity, when given), newest first.
pub async fn list(
    store: &dyn Store,
    by: &Caller,
    entity: Option<EntityId>,
) -> Result<Vec<Commitment>, ListError> {
    by.require(Permission::Read)?;
    Ok(store.commitments(by.scope.clone(), entity).await?)
}
