//! The dishonesty lists, credit repair, evaluations and commitments. Rows are in a scope
//! through their entity (`e`); every write audits and marks its entity stale in its
//! transaction.

use super::*;
use crate::credit_lists::*;
use crate::CreditListStore;
use async_trait::async_trait;
use domain::{
    CommitmentId, EvaluationId, ListKind, ListingId, RemovalReason, RepairId, RepairState,
};

macro_rules! listing_select {
    () => {
        "SELECT l.id, l.entity_id, e.name AS entity_name, e.uscc, e.district, l.list, l.cause, \
         l.decision_no, l.outcome_id, l.listed_on, l.listed_at, l.listed_by, l.removed_on, \
         l.removed_reason, l.removed_note, l.removed_by \
         FROM credit_listings l JOIN entities e ON e.id = l.entity_id"
    };
}

macro_rules! repair_select {
    () => {
        "SELECT r.id, r.listing_id, l.entity_id, e.name AS entity_name, l.list, r.applied_on, \
         r.applicant, r.statement, r.state, r.recorded_at, r.recorded_by, r.decided_at, \
         r.decided_by, r.reason \
         FROM credit_repairs r JOIN credit_listings l ON l.id = r.listing_id \
         JOIN entities e ON e.id = l.entity_id"
    };
}

macro_rules! evaluation_select {
    () => {
        "SELECT v.id, v.entity_id, e.name AS entity_name, v.evaluator_id, u.username AS evaluator, \
         v.score, v.evaluated_on, v.summary, v.created_at \
         FROM credit_evaluations v JOIN entities e ON e.id = v.entity_id \
         JOIN users u ON u.id = v.evaluator_id"
    };
}

macro_rules! commitment_select {
    () => {
        "SELECT m.id, m.entity_id, e.name AS entity_name, m.made_on, m.text, m.recorded_at, \
         m.recorded_by, m.broken_on, m.broken_reason \
         FROM credit_commitments m JOIN entities e ON e.id = m.entity_id"
    };
}

fn list_kind(s: &str) -> Result<ListKind> {
    ListKind::from_str(s).map_err(|e| corrupt("credit list", s, e))
}

fn listing_from_row(r: &DbRow) -> Result<Listing> {
    let dist: String = r.try_get("district")?;
    let reason: Option<String> = r.try_get("removed_reason")?;
    Ok(Listing {
        id: ListingId(r.try_get("id")?),
        entity_id: EntityId(r.try_get("entity_id")?),
        entity_name: r.try_get("entity_name")?,
        uscc: r.try_get("uscc")?,
        district: district(&dist)?,
        list: list_kind(&r.try_get::<String, _>("list")?)?,
        cause: r.try_get("cause")?,
        decision_no: r.try_get("decision_no")?,
        outcome_id: r.try_get::<Option<i64>, _>("outcome_id")?.map(OutcomeId),
        listed_on: r.try_get("listed_on")?,
        listed_at: r.try_get("listed_at")?,
        listed_by: r.try_get("listed_by")?,
        removed_on: r.try_get("removed_on")?,
        removed_reason: reason
            .map(|s| RemovalReason::from_str(&s).map_err(|e| corrupt("removal reason", &s, e)))
            .transpose()?,
        removed_note: r.try_get("removed_note")?,
        removed_by: r.try_get("removed_by")?,
    })
}

fn repair_from_row(r: &DbRow) -> Result<Repair> {
    let state: String = r.try_get("state")?;
    Ok(Repair {
        id: RepairId(r.try_get("id")?),
        listing_id: ListingId(r.try_get("listing_id")?),
        entity_id: EntityId(r.try_get("entity_id")?),
        entity_name: r.try_get("entity_name")?,
        list: list_kind(&r.try_get::<String, _>("list")?)?,
        applied_on: r.try_get("applied_on")?,
        applicant: r.try_get("applicant")?,
        statement: r.try_get("statement")?,
        state: RepairState::from_str(&state).map_err(|e| corrupt("repair state", &state, e))?,
        recorded_at: r.try_get("recorded_at")?,
        recorded_by: r.try_get("recorded_by")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        reason: r.try_get("reason")?,
    })
}

fn evaluation_from_row(r: &DbRow) -> Result<Evaluation> {
    Ok(Evaluation {
        id: EvaluationId(r.try_get("id")?),
        entity_id: EntityId(r.try_get("entity_id")?),
        entity_name: r.try_get("entity_name")?,
        evaluator_id: UserId(r.try_get("evaluator_id")?),
        evaluator: r.try_get("evaluator")?,
        score: r.try_get::<i32, _>("score")? as i64,
        evaluated_on: r.try_get("evaluated_on")?,
        summary: r.try_get("summary")?,
        created_at: r.try_get("created_at")?,
    })
}

fn commitment_from_row(r: &DbRow) -> Result<Commitment> {
    Ok(Commitment {
        id: CommitmentId(r.try_get("id")?),
        entity_id: EntityId(r.try_get("entity_id")?),
        entity_name: r.try_get("entity_name")?,
        made_on: r.try_get("made_on")?,
        text: r.try_get("text")?,
        recorded_at: r.try_get("recorded_at")?,
        recorded_by: r.try_get("recorded_by")?,
        broken_on: r.try_get("broken_on")?,
        broken_reason: r.try_get("broken_reason")?,
    })
}

fn push_listing_filter(q: &mut QueryBuilder<Db>, scope: &Scope, f: &ListingFilter) {
    push_scope(q, scope);
    if let Some(l) = f.list {
        q.push(" AND l.list = ").push_bind(l.code());
    }
    match f.open {
        Some(true) => {
            q.push(" AND l.removed_on IS NULL");
        }
        Some(false) => {
            q.push(" AND l.removed_on IS NOT NULL");
        }
        None => {}
    }
    if let Some(d) = f.district {
        q.push(" AND e.district = ").push_bind(d.to_string());
    }
    if let Some(e) = f.entity_id {
        q.push(" AND l.entity_id = ").push_bind(e.0);
    }
    if let Some(d) = f.listed_on_or_before {
        q.push(" AND l.listed_on <= ").push_bind(d);
    }
}

/// Whether the entity is in scope (`NotFound` when not).
async fn entity_in_scope(tx: &mut Tx, scope: &Scope, entity: EntityId) -> Result<()> {
    let mut q = QueryBuilder::<Db>::new("SELECT e.id FROM entities e WHERE e.id = ");
    q.push_bind(entity.0);
    push_scope(&mut q, scope);
    let found: Option<i64> = q.build_query_scalar().fetch_optional(&mut **tx).await?;
    found
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("entity {entity}")))
}

async fn listing_tx(tx: &mut Tx, scope: &Scope, id: ListingId) -> Result<Option<Listing>> {
    let mut q = QueryBuilder::<Db>::new(concat!(listing_select!(), " WHERE l.id = "));
    q.push_bind(id.0);
    push_scope(&mut q, scope);
    q.build()
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(listing_from_row)
        .transpose()
}

async fn repair_tx(tx: &mut Tx, scope: &Scope, id: RepairId) -> Result<Option<Repair>> {
    let mut q = QueryBuilder::<Db>::new(concat!(repair_select!(), " WHERE r.id = "));
    q.push_bind(id.0);
    push_scope(&mut q, scope);
    q.build()
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(repair_from_row)
        .transpose()
}

/// Puts an entity on a list inside `tx` (from a person's decision, or from a case's
/// `abnormal_listing` outcome when `outcome` is given): `Conflict` when it is on that list
/// already. Audited as `listing:<id>` (`list`) and marks the entity stale.
pub(super) async fn insert_listing(
    tx: &mut Tx,
    input: &ListingInput,
    outcome: Option<OutcomeId>,
    now: DateTime<Utc>,
    by: &Actor,
) -> Result<ListingId> {
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM credit_listings WHERE entity_id = $1 AND list = $2 \
         AND removed_on IS NULL",
    )
    .bind(input.entity_id.0)
    .bind(input.list.code())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(open) = open {
        return Err(StoreError::Conflict(format!(
            "entity {} is on the {} list already (listing {open})",
            input.entity_id, input.list
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO credit_listings (entity_id, list, cause, decision_no, outcome_id, \
         listed_on, listed_at, listed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(input.entity_id.0)
    .bind(input.list.code())
    .bind(&input.cause)
    .bind(&input.decision_no)
    .bind(outcome.map(|o| o.0))
    .bind(input.listed_on)
    .bind(now)
    .bind(&by.name)
    .fetch_one(&mut **tx)
    .await?;
    let mut new = serde_json::to_value(input).expect("a listing serialises");
    new["outcome"] = serde_json::json!(outcome);
    super::people::audit(
        tx,
        now,
        by,
        &format!("listing:{id}"),
        "list",
        None,
        Some(new),
    )
    .await?;
    mark_credit_stale(tx, &[input.entity_id], now).await?;
    Ok(ListingId(id))
}

/// Closes the open listing a case's outcome made (casework's removal of its abnormal
/// listing), inside `tx`: reason `corrected`, the outcome's removal reason as note. Nothing
/// when the outcome made no listing or it is closed already.
pub(super) async fn close_outcome_listing(
    tx: &mut Tx,
    outcome: OutcomeId,
    note: &str,
    now: DateTime<Utc>,
    by: &Actor,
) -> Result<()> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE credit_listings SET removed_on = $2, removed_reason = 'corrected', \
         removed_note = $3, removed_by = $4 \
         WHERE outcome_id = $1 AND removed_on IS NULL RETURNING id, entity_id",
    )
    .bind(outcome.0)
    .bind(now.date_naive())
    .bind(note)
    .bind(&by.name)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((id, entity)) = row {
        super::people::audit(
            tx,
            now,
            by,
            &format!("listing:{id}"),
            "remove",
            None,
            Some(serde_json::json!({
                "reason": RemovalReason::Corrected,
                "removed_on": now.date_naive(),
                "note": note,
                "outcome": outcome,
            })),
        )
        .await?;
        mark_credit_stale(tx, &[EntityId(entity)], now).await?;
    }
    Ok(())
}

/// Removes an open listing inside `tx` (`Conflict` when it is removed already); the outcome
/// that made it, if any, is marked removed too.
async fn close_listing(
    tx: &mut Tx,
    listing: &Listing,
    removal: &Removal,
    now: DateTime<Utc>,
    by: &Actor,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE credit_listings SET removed_on = $2, removed_reason = $3, removed_note = $4, \
         removed_by = $5 WHERE id = $1 AND removed_on IS NULL",
    )
    .bind(listing.id.0)
    .bind(removal.removed_on)
    .bind(removal.reason.code())
    .bind(&removal.note)
    .bind(&by.name)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(StoreError::Conflict(format!(
            "listing {} was removed already",
            listing.id
        )));
    }
    if let Some(o) = listing.outcome_id {
        sqlx::query(
            "UPDATE outcomes SET removed_at = $2, removed_reason = $3 \
             WHERE id = $1 AND removed_at IS NULL",
        )
        .bind(o.0)
        .bind(now)
        .bind(
            removal
                .note
                .clone()
                .unwrap_or_else(|| removal.reason.code().to_string()),
        )
        .execute(&mut **tx)
        .await?;
    }
    super::people::audit(
        tx,
        now,
        by,
        &format!("listing:{}", listing.id),
        "remove",
        None,
        Some(serde_json::to_value(removal).expect("a removal serialises")),
    )
    .await?;
    mark_credit_stale(tx, &[listing.entity_id], now).await?;
    Ok(())
}

#[async_trait]
impl CreditListStore for SqlStore {
    async fn add_listing(&self, scope: Scope, input: &ListingInput, by: &Actor) -> Result<Listing> {
        let mut tx = self.write_tx().await?;
        entity_in_scope(&mut tx, &scope, input.entity_id).await?;
        let id = insert_listing(&mut tx, input, None, self.now(), by).await?;
        let l = listing_tx(&mut tx, &Scope::City, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("listing {id}")))?;
        tx.commit().await?;
        Ok(l)
    }

    async fn remove_credit_listing(
        &self,
        scope: Scope,
        id: ListingId,
        removal: &Removal,
        by: &Actor,
    ) -> Result<Listing> {
        let mut tx = self.write_tx().await?;
        let l = listing_tx(&mut tx, &scope, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("listing {id}")))?;
        close_listing(&mut tx, &l, removal, self.now(), by).await?;
        let l = listing_tx(&mut tx, &Scope::City, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("listing {id}")))?;
        tx.commit().await?;
        Ok(l)
    }

    async fn credit_listing(&self, scope: Scope, id: ListingId) -> Result<Option<Listing>> {
        let mut q = QueryBuilder::new(concat!(listing_select!(), " WHERE l.id = "));
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(listing_from_row)
            .transpose()
    }

    async fn credit_listings(&self, scope: Scope, filter: &ListingFilter) -> Result<Vec<Listing>> {
        let mut q = QueryBuilder::new(concat!(listing_select!(), " WHERE 1 = 1"));
        push_listing_filter(&mut q, &scope, filter);
        push_order(
            &mut q,
            filter.sort,
            |k| {
                use crate::sort::ListingSort as K;
                vec![match k {
                    K::Id => "l.id".into(),
                    K::List => rank("l.list", ListKind::ALL.iter().map(|s| s.code())),
                    K::Entity => "e.name".into(),
                    K::Uscc => "e.uscc".into(),
                    K::District => "e.district".into(),
                    K::Cause => "l.cause".into(),
                    K::ListedOn => "l.listed_on".into(),
                    K::RemovedOn => "l.removed_on".into(),
                    K::RemovedReason => "l.removed_reason".into(),
                }]
            },
            "l.id",
            "l.listed_on DESC, l.id DESC",
        );
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(listing_from_row)
            .collect()
    }

    async fn count_credit_listings(&self, scope: Scope, filter: &ListingFilter) -> Result<i64> {
        // The entity is joined only for a district (the scope's or the filter's): every listing
        // has its entity (a foreign key), so city-wide the join changes no count, and without it
        // PostgreSQL does not hash the whole register to count a few thousand listings.
        let by_district = !matches!(scope, Scope::City) || filter.district.is_some();
        let from = if by_district {
            " FROM credit_listings l JOIN entities e ON e.id = l.entity_id WHERE 1 = 1"
        } else {
            " FROM credit_listings l WHERE 1 = 1"
        };
        count_rows(&self.pool, from, filter.count_up_to, |q| {
            push_listing_filter(q, &scope, filter)
        })
        .await
    }

    async fn add_repair(&self, scope: Scope, new: &NewRepair, by: &Actor) -> Result<Repair> {
        let mut tx = self.write_tx().await?;
        let l = listing_tx(&mut tx, &scope, new.listing_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("listing {}", new.listing_id)))?;
        if !l.is_open() {
            return Err(StoreError::Conflict(format!(
                "listing {} was removed already",
                l.id
            )));
        }
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM credit_repairs WHERE listing_id = $1 AND state = 'pending'",
        )
        .bind(l.id.0)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(p) = pending {
            return Err(StoreError::Conflict(format!(
                "listing {} has a pending application already ({p})",
                l.id
            )));
        }
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO credit_repairs (listing_id, applied_on, applicant, statement, state, \
             recorded_at, recorded_by) VALUES ($1, $2, $3, $4, 'pending', $5, $6) RETURNING id",
        )
        .bind(l.id.0)
        .bind(new.applied_on)
        .bind(&new.applicant)
        .bind(&new.statement)
        .bind(now)
        .bind(&by.name)
        .fetch_one(&mut *tx)
        .await?;
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("repair:{id}"),
            "apply",
            None,
            Some(serde_json::to_value(new).expect("an application serialises")),
        )
        .await?;
        mark_credit_stale(&mut tx, &[l.entity_id], now).await?;
        let r = repair_tx(&mut tx, &Scope::City, RepairId(id))
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("repair {id}")))?;
        tx.commit().await?;
        Ok(r)
    }

    async fn decide_repair(
        &self,
        scope: Scope,
        id: RepairId,
        decision: &RepairDecision,
        by: &Actor,
    ) -> Result<Repair> {
        let mut tx = self.write_tx().await?;
        let r = repair_tx(&mut tx, &scope, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("repair {id}")))?;
        let now = self.now();
        let (state, reason) = match decision {
            RepairDecision::Approve { note, .. } => (RepairState::Approved, note.clone()),
            RepairDecision::Refuse { reason } => (RepairState::Refused, Some(reason.clone())),
        };
        let done = sqlx::query(
            "UPDATE credit_repairs SET state = $2, decided_at = $3, decided_by = $4, reason = $5 \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(id.0)
        .bind(state.code())
        .bind(now)
        .bind(&by.name)
        .bind(&reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!(
                "repair {id} is no longer pending"
            )));
        }
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("repair:{id}"),
            "decide",
            Some(serde_json::json!({ "state": RepairState::Pending })),
            Some(serde_json::to_value(decision).expect("a decision serialises")),
        )
        .await?;
        if let RepairDecision::Approve { removed_on, note } = decision {
            let l = listing_tx(&mut tx, &Scope::City, r.listing_id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("listing {}", r.listing_id)))?;
            let removal = Removal {
                reason: RemovalReason::Repaired,
                removed_on: *removed_on,
                note: note.clone(),
            };
            close_listing(&mut tx, &l, &removal, now, by).await?;
        }
        mark_credit_stale(&mut tx, &[r.entity_id], now).await?;
        let r = repair_tx(&mut tx, &Scope::City, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("repair {id}")))?;
        tx.commit().await?;
        Ok(r)
    }

    async fn repair(&self, scope: Scope, id: RepairId) -> Result<Option<Repair>> {
        let mut q = QueryBuilder::new(concat!(repair_select!(), " WHERE r.id = "));
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(repair_from_row)
            .transpose()
    }

    async fn repairs(&self, scope: Scope, filter: &RepairFilter) -> Result<Vec<Repair>> {
        let mut q = QueryBuilder::new(concat!(repair_select!(), " WHERE 1 = 1"));
        push_scope(&mut q, &scope);
        if let Some(l) = filter.listing_id {
            q.push(" AND r.listing_id = ").push_bind(l.0);
        }
        if let Some(e) = filter.entity_id {
            q.push(" AND l.entity_id = ").push_bind(e.0);
        }
        if let Some(s) = filter.state {
            q.push(" AND r.state = ").push_bind(s.code());
        }
        q.push(" ORDER BY r.id DESC");
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(repair_from_row)
            .collect()
    }

    async fn add_evaluation(
        &self,
        scope: Scope,
        evaluator: UserId,
        new: &NewEvaluation,
        by: &Actor,
    ) -> Result<Evaluation> {
        let mut tx = self.write_tx().await?;
        entity_in_scope(&mut tx, &scope, new.entity_id).await?;
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO credit_evaluations (entity_id, evaluator_id, score, evaluated_on, \
             summary, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(new.entity_id.0)
        .bind(evaluator.0)
        .bind(new.score as i32)
        .bind(new.evaluated_on)
        .bind(&new.summary)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let mut value = serde_json::to_value(new).expect("an evaluation serialises");
        value["evaluator"] = serde_json::json!(evaluator);
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("evaluation:{id}"),
            "evaluate",
            None,
            Some(value),
        )
        .await?;
        mark_credit_stale(&mut tx, &[new.entity_id], now).await?;
        let row = sqlx::query(concat!(evaluation_select!(), " WHERE v.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let v = evaluation_from_row(&row)?;
        tx.commit().await?;
        Ok(v)
    }

    async fn evaluations(
        &self,
        scope: Scope,
        entity: Option<EntityId>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Evaluation>> {
        let mut q = QueryBuilder::new(concat!(evaluation_select!(), " WHERE 1 = 1"));
        push_scope(&mut q, &scope);
        if let Some(e) = entity {
            q.push(" AND v.entity_id = ").push_bind(e.0);
        }
        q.push(" ORDER BY v.evaluated_on DESC, v.id DESC");
        push_page(&mut q, limit, offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(evaluation_from_row)
            .collect()
    }

    async fn count_evaluations(&self, scope: Scope, entity: Option<EntityId>) -> Result<i64> {
        let mut q = QueryBuilder::new(
            "SELECT COUNT(*) FROM credit_evaluations v JOIN entities e ON e.id = v.entity_id \
             WHERE 1 = 1",
        );
        push_scope(&mut q, &scope);
        if let Some(e) = entity {
            q.push(" AND v.entity_id = ").push_bind(e.0);
        }
        Ok(q.build_query_scalar().fetch_one(&self.pool).await?)
    }

    async fn add_commitment(
        &self,
        scope: Scope,
        new: &NewCommitment,
        by: &Actor,
    ) -> Result<Commitment> {
        let mut tx = self.write_tx().await?;
        entity_in_scope(&mut tx, &scope, new.entity_id).await?;
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO credit_commitments (entity_id, made_on, text, recorded_at, \
             recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(new.entity_id.0)
        .bind(new.made_on)
        .bind(&new.text)
        .bind(now)
        .bind(&by.name)
        .fetch_one(&mut *tx)
        .await?;
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("commitment:{id}"),
            "commit",
            None,
            Some(serde_json::to_value(new).expect("a commitment serialises")),
        )
        .await?;
        mark_credit_stale(&mut tx, &[new.entity_id], now).await?;
        let row = sqlx::query(concat!(commitment_select!(), " WHERE m.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let c = commitment_from_row(&row)?;
        tx.commit().await?;
        Ok(c)
    }

    async fn break_commitment(
        &self,
        scope: Scope,
        id: CommitmentId,
        broken_on: NaiveDate,
        reason: &str,
        by: &Actor,
    ) -> Result<Commitment> {
        let mut tx = self.write_tx().await?;
        let mut q = QueryBuilder::<Db>::new(concat!(commitment_select!(), " WHERE m.id = "));
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        let row = q
            .build()
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("commitment {id}")))?;
        let c = commitment_from_row(&row)?;
        let done = sqlx::query(
            "UPDATE credit_commitments SET broken_on = $2, broken_reason = $3 \
             WHERE id = $1 AND broken_on IS NULL",
        )
        .bind(id.0)
        .bind(broken_on)
        .bind(reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!(
                "commitment {id} is broken already"
            )));
        }
        let now = self.now();
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("commitment:{id}"),
            "break",
            None,
            Some(serde_json::json!({ "broken_on": broken_on, "reason": reason })),
        )
        .await?;
        mark_credit_stale(&mut tx, &[c.entity_id], now).await?;
        let row = sqlx::query(concat!(commitment_select!(), " WHERE m.id = $1"))
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
        let c = commitment_from_row(&row)?;
        tx.commit().await?;
        Ok(c)
    }

    async fn commitment(&self, scope: Scope, id: CommitmentId) -> Result<Option<Commitment>> {
        let mut q = QueryBuilder::new(concat!(commitment_select!(), " WHERE m.id = "));
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(commitment_from_row)
            .transpose()
    }

    async fn commitments(&self, scope: Scope, entity: Option<EntityId>) -> Result<Vec<Commitment>> {
        let mut q = QueryBuilder::new(concat!(commitment_select!(), " WHERE 1 = 1"));
        push_scope(&mut q, &scope);
        if let Some(e) = entity {
            q.push(" AND m.entity_id = ").push_bind(e.0);
        }
        q.push(" ORDER BY m.made_on DESC, m.id DESC");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(commitment_from_row)
            .collect()
    }

    async fn entity_penalties(&self, scope: Scope, entity: EntityId) -> Result<Vec<PenaltyRecord>> {
        let mut q = QueryBuilder::new(
            "SELECT o.id, k.number, o.decision_no, o.legal_basis, o.fine_fen, o.confiscation, \
             k.decided_at FROM outcomes o JOIN cases k ON k.id = o.case_id \
             JOIN entities e ON e.id = k.entity_id \
             WHERE o.kind = 'penalty' AND k.decided_at IS NOT NULL AND k.entity_id = ",
        );
        q.push_bind(entity.0);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY k.decided_at, o.id");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let decided: DateTime<Utc> = r.try_get("decided_at")?;
                Ok(PenaltyRecord {
                    outcome_id: OutcomeId(r.try_get("id")?),
                    case_number: r.try_get("number")?,
                    decision_no: r
                        .try_get::<Option<String>, _>("decision_no")?
                        .unwrap_or_default(),
                    legal_basis: r
                        .try_get::<Option<String>, _>("legal_basis")?
                        .unwrap_or_default(),
                    fine_fen: r.try_get::<Option<i64>, _>("fine_fen")?.unwrap_or(0),
                    confiscation: r.try_get("confiscation")?,
                    decided_on: decided.date_naive(),
                })
            })
            .collect()
    }
}
