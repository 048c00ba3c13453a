//! License badges. Rows are in a scope through their entity (`e`); every change of state is a
//! compare-and-set on the state read, audited as `badge:<serial>`, and marks the entity stale
//! in its transaction.

use super::*;
use crate::badges::*;
use crate::BadgeStore;
use async_trait::async_trait;
use domain::{BadgeCause, BadgeSerial, BadgeState, BadgeVerdict, ProofMethod, ProofResult};

macro_rules! badge_select {
    () => {
        "SELECT b.id, b.entity_id, e.name AS entity_name, e.uscc, e.district, b.domain, \
         b.contact, b.method, b.tracking, b.proof_token, b.proof_result, b.proof_detail, \
         b.proved_at, b.state, b.applied_at, b.reviewed_by, b.issued_at, b.token, b.cause, \
         b.cause_note, b.changed_at, b.changed_by, b.check_verdict, b.check_url, b.checked_at \
         FROM badges b JOIN entities e ON e.id = b.entity_id"
    };
}

fn coded<T: FromStr>(what: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    T::from_str(s).map_err(|e| corrupt(what, s, e))
}

fn opt_coded<T: FromStr>(what: &str, s: Option<String>) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    s.map(|s| coded(what, &s)).transpose()
}

fn badge_from_row(r: &DbRow) -> Result<Badge> {
    let dist: String = r.try_get("district")?;
    Ok(Badge {
        serial: BadgeSerial(r.try_get("id")?),
        entity_id: EntityId(r.try_get("entity_id")?),
        entity_name: r.try_get("entity_name")?,
        uscc: r.try_get("uscc")?,
        district: district(&dist)?,
        domain: r.try_get("domain")?,
        contact: r.try_get("contact")?,
        method: coded::<ProofMethod>("proof method", &r.try_get::<String, _>("method")?)?,
        tracking: r.try_get("tracking")?,
        proof_token: r.try_get("proof_token")?,
        proof_result: opt_coded::<ProofResult>("proof result", r.try_get("proof_result")?)?,
        proof_detail: r.try_get("proof_detail")?,
        proved_at: r.try_get("proved_at")?,
        state: coded::<BadgeState>("badge state", &r.try_get::<String, _>("state")?)?,
        applied_at: r.try_get("applied_at")?,
        reviewed_by: r.try_get("reviewed_by")?,
        issued_at: r.try_get("issued_at")?,
        token: r.try_get("token")?,
        cause: opt_coded::<BadgeCause>("badge cause", r.try_get("cause")?)?,
        cause_note: r.try_get("cause_note")?,
        changed_at: r.try_get("changed_at")?,
        changed_by: r.try_get("changed_by")?,
        check_verdict: opt_coded::<BadgeVerdict>("badge check", r.try_get("check_verdict")?)?,
        check_url: r.try_get("check_url")?,
        checked_at: r.try_get("checked_at")?,
    })
}

fn push_badge_filter(q: &mut QueryBuilder<Db>, scope: &Scope, f: &BadgeFilter) {
    push_scope(q, scope);
    if let Some(s) = f.state {
        q.push(" AND b.state = ").push_bind(s.code());
    }
    if let Some(d) = f.district {
        q.push(" AND e.district = ").push_bind(d.to_string());
    }
    if let Some(e) = f.entity_id {
        q.push(" AND b.entity_id = ").push_bind(e.0);
    }
    if let Some(d) = &f.domain {
        q.push(" AND b.domain = ").push_bind(d.clone());
    }
}

async fn badge_tx(tx: &mut Tx, scope: &Scope, serial: BadgeSerial) -> Result<Option<Badge>> {
    let mut q = QueryBuilder::<Db>::new(concat!(badge_select!(), " WHERE b.id = "));
    q.push_bind(serial.0);
    push_scope(&mut q, scope);
    q.build()
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(badge_from_row)
        .transpose()
}

/// `Conflict` when another badge holds the domain (proven, issued or suspended).
async fn domain_free(tx: &mut Tx, serial: BadgeSerial, domain: &str) -> Result<()> {
    let held: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM badges WHERE domain = $1 AND id <> $2 \
         AND state IN ('proven', 'issued', 'suspended')",
    )
    .bind(domain)
    .bind(serial.0)
    .fetch_optional(&mut **tx)
    .await?;
    match held {
        Some(other) => Err(StoreError::Conflict(format!(
            "domain {domain} is held by badge {}",
            BadgeSerial(other)
        ))),
        None => Ok(()),
    }
}

fn summary(b: &Badge) -> serde_json::Value {
    serde_json::json!({
        "state": b.state.code(),
        "cause": b.cause.map(|c| c.code()),
        "note": b.cause_note,
    })
}

#[async_trait]
impl BadgeStore for SqlStore {
    async fn add_badge(&self, scope: Scope, new: &NewBadge, by: &Actor) -> Result<Badge> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let mut q = QueryBuilder::<Db>::new("SELECT e.id FROM entities e WHERE e.id = ");
        q.push_bind(new.entity_id.0);
        push_scope(&mut q, &scope);
        let found: Option<i64> = q.build_query_scalar().fetch_optional(&mut *tx).await?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("entity {}", new.entity_id)));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO badges (entity_id, domain, contact, method, tracking, proof_token, \
             state, applied_at, changed_at, changed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, 'applied', $7, $7, $8) RETURNING id",
        )
        .bind(new.entity_id.0)
        .bind(&new.domain)
        .bind(&new.contact)
        .bind(new.method.code())
        .bind(&new.tracking)
        .bind(&new.proof_token)
        .bind(now)
        .bind(&by.name)
        .fetch_one(&mut *tx)
        .await?;
        // The contact is personal data: the audit row keeps that one was given, not what.
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("badge:{}", BadgeSerial(id)),
            "apply",
            None,
            Some(serde_json::json!({
                "entity": new.entity_id,
                "domain": new.domain,
                "method": new.method.code(),
            })),
        )
        .await?;
        let badge = badge_tx(&mut tx, &Scope::City, BadgeSerial(id))
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("badge {id}")))?;
        tx.commit().await?;
        Ok(badge)
    }

    async fn record_badge_proof(
        &self,
        serial: BadgeSerial,
        result: ProofResult,
        detail: Option<&str>,
        by: &Actor,
    ) -> Result<Badge> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let old = badge_tx(&mut tx, &Scope::City, serial)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("badge {serial}")))?;
        if old.state != BadgeState::Applied {
            return Err(StoreError::Conflict(format!(
                "badge {serial} is {}, not applied",
                old.state
            )));
        }
        let proven = result == ProofResult::Proven;
        if proven {
            domain_free(&mut tx, serial, &old.domain).await?;
        }
        let state = if proven {
            BadgeState::Proven
        } else {
            BadgeState::Applied
        };
        let done = sqlx::query(
            "UPDATE badges SET proof_result = $2, proof_detail = $3, proved_at = $4, \
             state = $5, changed_at = $4, changed_by = $6 WHERE id = $1 AND state = 'applied'",
        )
        .bind(serial.0)
        .bind(result.code())
        .bind(detail)
        .bind(now)
        .bind(state.code())
        .bind(&by.name)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "badge {serial} changed meanwhile"
            )));
        }
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("badge:{serial}"),
            "prove",
            Some(serde_json::json!({"state": old.state.code(), "proof": old.proof_result.map(|r| r.code())})),
            Some(serde_json::json!({"state": state.code(), "proof": result.code(), "detail": detail})),
        )
        .await?;
        let badge = badge_tx(&mut tx, &Scope::City, serial)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("badge {serial}")))?;
        tx.commit().await?;
        Ok(badge)
    }

    async fn change_badge(
        &self,
        scope: Scope,
        serial: BadgeSerial,
        from: BadgeState,
        change: &BadgeChange,
        by: &Actor,
    ) -> Result<Badge> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let old = badge_tx(&mut tx, &scope, serial)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("badge {serial}")))?;
        if old.state != from {
            return Err(StoreError::Conflict(format!(
                "badge {serial} is {}, not {from}",
                old.state
            )));
        }
        let to = change.to_state();
        let mut q = QueryBuilder::<Db>::new("UPDATE badges SET state = ");
        q.push_bind(to.code());
        q.push(", changed_at = ").push_bind(now);
        q.push(", changed_by = ").push_bind(by.name.clone());
        let action = match change {
            BadgeChange::Issue { token, issued_at } => {
                q.push(", token = ").push_bind(token.clone());
                q.push(", issued_at = ").push_bind(*issued_at);
                q.push(", reviewed_by = ").push_bind(by.name.clone());
                q.push(", cause = NULL, cause_note = NULL");
                "issue"
            }
            BadgeChange::Refuse { note } => {
                q.push(", reviewed_by = ").push_bind(by.name.clone());
                q.push(", cause = 'staff', cause_note = ")
                    .push_bind(note.clone());
                "refuse"
            }
            BadgeChange::Suspend { cause, note } => {
                q.push(", cause = ").push_bind(cause.code());
                q.push(", cause_note = ").push_bind(note.clone());
                "suspend"
            }
            BadgeChange::Revoke { cause, note } => {
                q.push(", cause = ").push_bind(cause.code());
                q.push(", cause_note = ").push_bind(note.clone());
                "revoke"
            }
            BadgeChange::Reinstate { .. } => {
                q.push(", cause = NULL, cause_note = NULL");
                "reinstate"
            }
        };
        q.push(" WHERE id = ").push_bind(serial.0);
        q.push(" AND state = ").push_bind(from.code());
        let done = q.build().execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "badge {serial} changed meanwhile"
            )));
        }
        let new = badge_tx(&mut tx, &Scope::City, serial)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("badge {serial}")))?;
        let mut new_value = summary(&new);
        if let BadgeChange::Reinstate { note } = change {
            new_value["note"] = serde_json::json!(note);
        }
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("badge:{serial}"),
            action,
            Some(summary(&old)),
            Some(new_value),
        )
        .await?;
        if (old.state == BadgeState::Issued) != (to == BadgeState::Issued) {
            mark_credit_stale(&mut tx, &[old.entity_id], now).await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn badge(&self, scope: Scope, serial: BadgeSerial) -> Result<Option<Badge>> {
        let mut q = QueryBuilder::<Db>::new(concat!(badge_select!(), " WHERE b.id = "));
        q.push_bind(serial.0);
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(badge_from_row)
            .transpose()
    }

    async fn badge_by_tracking(&self, scope: Scope, tracking: &str) -> Result<Option<Badge>> {
        let mut q = QueryBuilder::<Db>::new(concat!(badge_select!(), " WHERE b.tracking = "));
        q.push_bind(tracking.to_string());
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(badge_from_row)
            .transpose()
    }

    async fn badges(&self, scope: Scope, filter: &BadgeFilter) -> Result<Vec<Badge>> {
        let mut q = QueryBuilder::<Db>::new(concat!(badge_select!(), " WHERE 1 = 1"));
        push_badge_filter(&mut q, &scope, filter);
        push_order(
            &mut q,
            filter.sort,
            |k| {
                use crate::sort::BadgeSort as K;
                vec![match k {
                    K::Serial => "b.id".into(),
                    K::Entity => "e.name".into(),
                    K::Domain => "b.domain".into(),
                    K::Method => rank("b.method", ProofMethod::ALL.iter().map(|s| s.code())),
                    K::State => rank("b.state", BadgeState::ALL.iter().map(|s| s.code())),
                    K::Proof => rank("b.proof_result", ProofResult::ALL.iter().map(|s| s.code())),
                    K::Check => "b.check_verdict".into(),
                    K::AppliedAt => "b.applied_at".into(),
                    K::IssuedAt => "b.issued_at".into(),
                }]
            },
            "b.id",
            "b.id DESC",
        );
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(badge_from_row)
            .collect()
    }

    async fn count_badges(&self, scope: Scope, filter: &BadgeFilter) -> Result<i64> {
        let from = " FROM badges b JOIN entities e ON e.id = b.entity_id WHERE 1 = 1";
        count_rows(&self.pool, from, filter.count_up_to, |q| {
            push_badge_filter(q, &scope, filter)
        })
        .await
    }

    async fn issued_badges(&self) -> Result<Vec<Badge>> {
        sqlx::query(concat!(
            badge_select!(),
            " WHERE b.state IN ('issued', 'suspended', 'revoked') ORDER BY b.id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(badge_from_row)
        .collect()
    }

    async fn record_badge_checks(&self, checks: &[BadgeCheck]) -> Result<()> {
        if checks.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for c in checks {
            sqlx::query(
                "UPDATE badges SET check_verdict = $2, check_url = $3, checked_at = $4 \
                 WHERE id = $1",
            )
            .bind(c.serial.0)
            .bind(c.verdict.code())
            .bind(&c.url)
            .bind(c.at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
