//! Third-party evaluations (第三方评价): an evaluator (permission `Evaluate`) scores an entity
//! assigned to them, 0–100; an entity outside the assignment is answered as a missing one.
//! The latest evaluation is the index source `evaluation.score`.

use crate::lists::{required, Caller, Field, ListError};
use chrono::NaiveDate;
use domain::{EntityId, Permission};
use store::{Evaluation, NewEvaluation, Store, StoreError};

/// Records the caller's evaluation of an entity in their scope.
pub async fn add(
    store: &dyn Store,
    by: &Caller,
    entity: EntityId,
    score: i64,
    evaluated_on: NaiveDate,
    summary: &str,
) -> Result<Evaluation, ListError> {
    by.require(Permission::Evaluate)?;
    let evaluator = by.user.ok_or(ListError::NoEvaluator)?;
    if !(0..=100).contains(&score) {
        return Err(ListError::ScoreOutOfRange(score));
    }
    let new = NewEvaluation {
        entity_id: entity,
        score,
        evaluated_on,
        summary: required(Field::Summary, summary)?,
    };
    store
        .add_evaluation(by.scope.clone(), evaluator, &new, &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ListError::NoEntity(entity),
            other => other.into(),
        })
}

/// Evaluations in the caller's scope (of one entity, when given), newest first, and how many
/// match without paging.
pub async fn list(
    store: &dyn Store,
    by: &Caller,
    entity: Option<EntityId>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Evaluation>, i64), ListError> {
    by.require(Permission::Read)?;
    let items = store
        .evaluations(by.scope.clone(), entity, limit, offset)
        .await?;
    let total = store.count_evaluations(by.scope.clone(), entity).await?;
    Ok((items, total))
}
