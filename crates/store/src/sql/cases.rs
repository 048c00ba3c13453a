//! Cases: opened from clues, moved through their stages (compare-and-set), and their outcomes.

use super::*;
use crate::CaseStore;
use async_trait::async_trait;
use domain::ListingCause;
use std::collections::HashMap;

macro_rules! case_select {
    () => {
        "SELECT k.id, k.number, k.site_id, s.host, s.path_prefix, k.entity_id, \
         e.name AS entity_name, k.district, k.stage, k.summary, k.opened_at, k.opened_by, \
         k.decide_by, k.extended_days, k.decided_at, k.closed_at, k.reopened \
         FROM cases k JOIN sites s ON s.id = k.site_id LEFT JOIN entities e ON e.id = k.entity_id"
    };
}

macro_rules! outcome_cols {
    () => {
        "o.id, o.case_id, o.kind, o.created_at, o.created_by, o.decision_no, o.legal_basis, \
         o.fine_fen, o.confiscation, o.due_on, o.urls, o.recheck_sweep_id, o.rechecked_at, \
         o.compliant, o.referred_to, o.reason, o.listing_cause, o.removed_at, o.removed_reason"
    };
}

fn push_case_scope(q: &mut QueryBuilder<Db>, scope: &Scope) {
    push_scope_on(q, scope, "k.district", "k.entity_id");
}

fn push_case_filter(q: &mut QueryBuilder<Db>, scope: &Scope, f: &CaseFilter) {
    push_case_scope(q, scope);
    if let Some(s) = f.stage {
        q.push(" AND k.stage = ").push_bind(s.code());
    }
    if let Some(d) = f.district {
        q.push(" AND k.district = ").push_bind(d.to_string());
    }
    if let Some(s) = f.site_id {
        q.push(" AND k.site_id = ").push_bind(s.0);
    }
}

fn stage(s: &str) -> Result<CaseStage> {
    CaseStage::from_str(s).map_err(|e| corrupt("case stage", s, e))
}

fn missing(r: &DbRow, col: &str) -> StoreError {
    let id: i64 = r.try_get("id").unwrap_or_default();
    corrupt("outcome", &id.to_string(), format!("{col} is missing"))
}

fn outcome_from_row(r: &DbRow) -> Result<Outcome> {
    let kind: String = r.try_get("kind")?;
    let text = |col: &str| -> Result<String> {
        r.try_get::<Option<String>, _>(col)?
            .ok_or_else(|| missing(r, col))
    };
    let detail = match kind.as_str() {
        "penalty" => OutcomeDetail::Penalty {
            decision_no: text("decision_no")?,
            legal_basis: text("legal_basis")?,
            fine_fen: r
                .try_get::<Option<i64>, _>("fine_fen")?
                .ok_or_else(|| missing(r, "fine_fen"))?,
            confiscation: r.try_get("confiscation")?,
        },
        "rectification" => {
            let urls = text("urls")?;
            OutcomeDetail::Rectification {
                due_on: r
                    .try_get::<Option<NaiveDate>, _>("due_on")?
                    .ok_or_else(|| missing(r, "due_on"))?,
                urls: serde_json::from_str(&urls).map_err(|e| corrupt("urls", &urls, e))?,
                recheck_sweep: r
                    .try_get::<Option<i64>, _>("recheck_sweep_id")?
                    .map(SweepId),
                rechecked_at: r.try_get("rechecked_at")?,
                compliant: r.try_get("compliant")?,
            }
        }
        "referral" => OutcomeDetail::Referral {
            to: text("referred_to")?,
            reason: text("reason")?,
        },
        "warning" => OutcomeDetail::Warning {
            reason: text("reason")?,
        },
        "abnormal_listing" => {
            let cause = text("listing_cause")?;
            OutcomeDetail::AbnormalListing {
                cause: ListingCause::from_str(&cause)
                    .map_err(|e| corrupt("listing cause", &cause, e))?,
                removed_at: r.try_get("removed_at")?,
                removed_reason: r.try_get("removed_reason")?,
            }
        }
        "dismissal" => OutcomeDetail::Dismissal {
            reason: text("reason")?,
        },
        other => return Err(corrupt("outcome kind", other, "unknown")),
    };
    Ok(Outcome {
        id: OutcomeId(r.try_get("id")?),
        case_id: CaseId(r.try_get("case_id")?),
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        detail,
    })
}

/// Case ids bound in one `IN (…)` list at most (both engines allow many more parameters; a
/// list of an export's 100,000 cases goes in several queries).
pub(super) const IDS_PER_QUERY: usize = 1000;

impl SqlStore {
    async fn case_from_row(&self, r: &DbRow) -> Result<Case> {
        let id: i64 = r.try_get("id")?;
        let mut parts = self.case_parts(&[id]).await?;
        let (clues, officers) = parts.remove(&id).unwrap_or_default();
        self.case_of(r, clues, officers)
    }

    /// The clues and the officers of the cases `ids`, each sorted: one query (per half of
    /// [`IDS_PER_QUERY`] cases), not two per case.
    async fn case_parts(&self, ids: &[i64]) -> Result<HashMap<i64, (Vec<i64>, Vec<i64>)>> {
        let mut out: HashMap<i64, (Vec<i64>, Vec<i64>)> = HashMap::new();
        // Both parts in one statement (a list page's every statement is a round trip to the
        // connection): 0 marks a clue, 1 an officer.
        for chunk in ids.chunks(IDS_PER_QUERY / 2) {
            let mut q = QueryBuilder::<Db>::new(
                "SELECT 0, case_id, clue_id FROM case_clues WHERE case_id IN (",
            );
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(") UNION ALL SELECT 1, case_id, user_id FROM case_officers WHERE case_id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(") ORDER BY 1, 2, 3");
            for (officer, case, part) in q
                .build_query_as::<(i32, i64, i64)>()
                .fetch_all(&self.pool)
                .await?
            {
                let entry = out.entry(case).or_default();
                if officer == 1 {
                    entry.1.push(part);
                } else {
                    entry.0.push(part);
                }
            }
        }
        Ok(out)
    }

    /// A case of a row of `case_select!` with its clues and officers.
    fn case_of(&self, r: &DbRow, clues: Vec<i64>, officers: Vec<i64>) -> Result<Case> {
        let id: i64 = r.try_get("id")?;
        let host: String = r.try_get("host")?;
        let prefix: String = r.try_get("path_prefix")?;
        let st = stage(&r.try_get::<String, _>("stage")?)?;
        let dist: String = r.try_get("district")?;
        let decide_by: NaiveDate = r.try_get("decide_by")?;
        Ok(Case {
            id: CaseId(id),
            number: r.try_get("number")?,
            site_id: SiteId(r.try_get("site_id")?),
            site: format!("{host}{prefix}"),
            entity_id: r.try_get::<Option<i64>, _>("entity_id")?.map(EntityId),
            entity_name: r.try_get("entity_name")?,
            district: district(&dist)?,
            stage: st,
            summary: r.try_get("summary")?,
            opened_at: r.try_get("opened_at")?,
            opened_by: r.try_get("opened_by")?,
            decide_by,
            extended_days: r.try_get::<i32, _>("extended_days")? as i64,
            decided_at: r.try_get("decided_at")?,
            closed_at: r.try_get("closed_at")?,
            reopened: r.try_get::<i32, _>("reopened")? as i64,
            clues: clues.into_iter().map(ClueId).collect(),
            officers: officers.into_iter().map(UserId).collect(),
            overdue: matches!(st, CaseStage::Registered | CaseStage::Investigating)
                && self.now().date_naive() > decide_by,
        })
    }

    /// Locks the case's row inside `tx` when it is at `at` (`Conflict` otherwise): writes
    /// that depend on the stage cannot race a stage change.
    async fn lock_case_at(&self, tx: &mut Tx, id: CaseId, at: CaseStage) -> Result<()> {
        let done = sqlx::query("UPDATE cases SET stage = stage WHERE id = $1 AND stage = $2")
            .bind(id.0)
            .bind(at.code())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!("case {id} is no longer {at}")));
        }
        Ok(())
    }

    async fn audit_case(
        &self,
        tx: &mut Tx,
        id: CaseId,
        action: &str,
        old: Option<serde_json::Value>,
        new: serde_json::Value,
        by: &Actor,
    ) -> Result<()> {
        super::people::audit(
            tx,
            self.now(),
            by,
            &format!("case:{id}"),
            action,
            old,
            Some(new),
        )
        .await
    }
}

#[async_trait]
impl CaseStore for SqlStore {
    async fn open_case(&self, case: &NewCase, by: &Actor) -> Result<CaseId> {
        let mut tx = self.write_tx().await?;
        let pattern = format!("{}%", case.number_prefix);
        let serial: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE number LIKE $1")
            .bind(&pattern)
            .fetch_one(&mut *tx)
            .await?;
        let number = format!("{}{}号", case.number_prefix, serial + 1);
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (number, site_id, entity_id, district, stage, summary, opened_at, \
             opened_by, decide_by) VALUES ($1, $2, $3, $4, 'registered', $5, $6, $7, $8) \
             RETURNING id",
        )
        .bind(&number)
        .bind(case.site_id.0)
        .bind(case.entity_id.map(|e| e.0))
        .bind(case.district.to_string())
        .bind(&case.summary)
        .bind(now)
        .bind(&by.name)
        .bind(case.decide_by)
        .fetch_one(&mut *tx)
        .await?;
        for (clue, from) in &case.clues {
            let done = sqlx::query(
                "UPDATE clues SET state = 'case_opened', closed_at = $3 \
                 WHERE id = $1 AND state = $2 AND site_id = $4",
            )
            .bind(clue.0)
            .bind(from.code())
            .bind(now)
            .bind(case.site_id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(StoreError::Conflict(format!(
                    "clue {clue} is no longer {from}"
                )));
            }
            sqlx::query("INSERT INTO case_clues (case_id, clue_id) VALUES ($1, $2)")
                .bind(id)
                .bind(clue.0)
                .execute(&mut *tx)
                .await?;
            super::people::audit(
                &mut tx,
                now,
                by,
                &format!("clue:{clue}"),
                "open_case",
                Some(serde_json::json!({ "state": from })),
                Some(serde_json::json!({ "state": ClueState::CaseOpened, "case": id })),
            )
            .await?;
        }
        for u in &case.officers {
            sqlx::query(
                "INSERT INTO case_officers (case_id, user_id) VALUES ($1, $2) \
                 ON CONFLICT (case_id, user_id) DO NOTHING",
            )
            .bind(id)
            .bind(u.0)
            .execute(&mut *tx)
            .await?;
        }
        self.audit_case(
            &mut tx,
            CaseId(id),
            "open",
            None,
            serde_json::json!({
                "number": number,
                "site": case.site_id,
                "entity": case.entity_id,
                "district": case.district,
                "summary": case.summary,
                "clues": case.clues.iter().map(|(c, _)| c).collect::<Vec<_>>(),
                "officers": case.officers,
                "decide_by": case.decide_by,
            }),
            by,
        )
        .await?;
        mark_credit_stale_case(&mut tx, CaseId(id), now).await?;
        tx.commit().await?;
        Ok(CaseId(id))
    }

    async fn case(&self, scope: Scope, id: CaseId) -> Result<Option<Case>> {
        let mut q = QueryBuilder::new(concat!(case_select!(), " WHERE k.id = "));
        q.push_bind(id.0);
        push_case_scope(&mut q, &scope);
        match q.build().fetch_optional(&self.pool).await? {
            Some(r) => Ok(Some(self.case_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    async fn list_cases(&self, scope: Scope, filter: &CaseFilter) -> Result<Vec<Case>> {
        let mut q = QueryBuilder::new(concat!(case_select!(), " WHERE 1 = 1"));
        push_case_filter(&mut q, &scope, filter);
        push_order(
            &mut q,
            filter.sort,
            |k| {
                use crate::sort::CaseSort as K;
                vec![match k {
                    K::Number => "k.id".into(),
                    K::Site => "s.host".into(),
                    K::District => "k.district".into(),
                    K::Stage => rank("k.stage", CaseStage::ALL.iter().map(|s| s.code())),
                    K::OpenedAt => "k.opened_at".into(),
                    K::DecideBy => "k.decide_by".into(),
                    K::Summary => "k.summary".into(),
                }]
            },
            "k.id",
            "k.id DESC",
        );
        push_page(&mut q, filter.limit, filter.offset);
        let rows = q.build().fetch_all(&self.pool).await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut parts = self.case_parts(&ids).await?;
        rows.iter()
            .zip(&ids)
            .map(|(r, id)| {
                let (clues, officers) = parts.remove(id).unwrap_or_default();
                self.case_of(r, clues, officers)
            })
            .collect()
    }

    async fn count_cases(&self, scope: Scope, filter: &CaseFilter) -> Result<i64> {
        let from = " FROM cases k WHERE 1 = 1";
        count_rows(&self.pool, from, filter.count_up_to, |q| {
            push_case_filter(q, &scope, filter)
        })
        .await
    }

    async fn case_outcomes(&self, scope: Scope, id: CaseId) -> Result<Vec<Outcome>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            outcome_cols!(),
            " FROM outcomes o JOIN cases k ON k.id = o.case_id WHERE o.case_id = "
        ));
        q.push_bind(id.0);
        push_case_scope(&mut q, &scope);
        q.push(" ORDER BY o.id");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(outcome_from_row)
            .collect()
    }

    async fn outcomes_of_cases(&self, scope: Scope, ids: &[CaseId]) -> Result<Vec<Outcome>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut q = QueryBuilder::new(concat!(
                "SELECT ",
                outcome_cols!(),
                " FROM outcomes o JOIN cases k ON k.id = o.case_id WHERE o.case_id IN ("
            ));
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.0);
            }
            q.push(")");
            push_case_scope(&mut q, &scope);
            q.push(" ORDER BY o.case_id, o.id");
            for r in q.build().fetch_all(&self.pool).await? {
                out.push(outcome_from_row(&r)?);
            }
        }
        Ok(out)
    }

    async fn outcome_counts(&self, scope: Scope, ids: &[CaseId]) -> Result<Vec<(CaseId, i64)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut q = QueryBuilder::new(
                "SELECT o.case_id, COUNT(*) FROM outcomes o JOIN cases k ON k.id = o.case_id \
                 WHERE o.case_id IN (",
            );
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.0);
            }
            q.push(")");
            push_case_scope(&mut q, &scope);
            q.push(" GROUP BY o.case_id ORDER BY o.case_id");
            for (case, n) in q
                .build_query_as::<(i64, i64)>()
                .fetch_all(&self.pool)
                .await?
            {
                out.push((CaseId(case), n));
            }
        }
        Ok(out)
    }

    async fn outcome(&self, scope: Scope, id: OutcomeId) -> Result<Option<Outcome>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            outcome_cols!(),
            " FROM outcomes o JOIN cases k ON k.id = o.case_id WHERE o.id = "
        ));
        q.push_bind(id.0);
        push_case_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(outcome_from_row)
            .transpose()
    }

    async fn set_case_stage(
        &self,
        id: CaseId,
        from: CaseStage,
        to: CaseStage,
        reason: Option<&str>,
        by: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let now = self.now();
        let reopening = to == CaseStage::Investigating
            && matches!(from, CaseStage::Decided | CaseStage::Closed);
        let mut q = QueryBuilder::new("UPDATE cases SET stage = ");
        q.push_bind(to.code());
        match to {
            CaseStage::Decided => {
                q.push(", decided_at = ").push_bind(now);
            }
            CaseStage::Closed => {
                q.push(", closed_at = ").push_bind(now);
            }
            _ if reopening => {
                q.push(", reopened = reopened + 1, closed_at = NULL");
            }
            _ => {}
        }
        q.push(" WHERE id = ")
            .push_bind(id.0)
            .push(" AND stage = ")
            .push_bind(from.code());
        let done = q.build().execute(&mut *tx).await?.rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!(
                "case {id} is no longer {from}"
            )));
        }
        let action = if reopening { "reopen" } else { "stage" };
        self.audit_case(
            &mut tx,
            id,
            action,
            Some(serde_json::json!({ "stage": from })),
            serde_json::json!({ "stage": to, "reason": reason }),
            by,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_officer(&self, id: CaseId, user: UserId, by: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "INSERT INTO case_officers (case_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (case_id, user_id) DO NOTHING",
        )
        .bind(id.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done > 0 {
            self.audit_case(
                &mut tx,
                id,
                "add_officer",
                None,
                serde_json::json!({ "officer": user }),
                by,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn extend_case(
        &self,
        id: CaseId,
        at: CaseStage,
        days: i64,
        decide_by: NaiveDate,
        by: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        self.lock_case_at(&mut tx, id, at).await?;
        let old: NaiveDate = sqlx::query_scalar("SELECT decide_by FROM cases WHERE id = $1")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE cases SET decide_by = $2, extended_days = extended_days + $3 WHERE id = $1",
        )
        .bind(id.0)
        .bind(decide_by)
        .bind(days as i32)
        .execute(&mut *tx)
        .await?;
        self.audit_case(
            &mut tx,
            id,
            "extend",
            Some(serde_json::json!({ "decide_by": old })),
            serde_json::json!({ "decide_by": decide_by, "days": days }),
            by,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_outcome(
        &self,
        id: CaseId,
        at: CaseStage,
        detail: &OutcomeDetail,
        by: &Actor,
    ) -> Result<OutcomeId> {
        let mut tx = self.write_tx().await?;
        self.lock_case_at(&mut tx, id, at).await?;
        let mut q = QueryBuilder::new(
            "INSERT INTO outcomes (case_id, kind, created_at, created_by, decision_no, \
             legal_basis, fine_fen, confiscation, due_on, urls, referred_to, reason, \
             listing_cause) VALUES (",
        );
        let none = None::<String>;
        let mut v = q.separated(", ");
        v.push_bind(id.0)
            .push_bind(detail.kind().code())
            .push_bind(self.now())
            .push_bind(by.name.clone());
        match detail {
            OutcomeDetail::Penalty {
                decision_no,
                legal_basis,
                fine_fen,
                confiscation,
            } => {
                v.push_bind(decision_no.clone())
                    .push_bind(legal_basis.clone())
                    .push_bind(*fine_fen)
                    .push_bind(confiscation.clone())
                    .push_bind(None::<NaiveDate>)
                    .push_bind(none.clone())
                    .push_bind(none.clone())
                    .push_bind(none.clone())
                    .push_bind(none.clone());
            }
            OutcomeDetail::Rectification { due_on, urls, .. } => {
                v.push_bind(none.clone())
                    .push_bind(none.clone())
                    .push_bind(None::<i64>)
                    .push_bind(none.clone())
                    .push_bind(Some(*due_on))
                    .push_bind(Some(json(urls)))
                    .push_bind(none.clone())
                    .push_bind(none.clone())
                    .push_bind(none.clone());
            }
            other => {
                let (to, reason, cause) = match other {
                    OutcomeDetail::Referral { to, reason } => {
                        (Some(to.clone()), Some(reason), None)
                    }
                    OutcomeDetail::Warning { reason } | OutcomeDetail::Dismissal { reason } => {
                        (None, Some(reason), None)
                    }
                    OutcomeDetail::AbnormalListing { cause, .. } => {
                        (None, None, Some(cause.code().to_string()))
                    }
                    _ => unreachable!("penalty and rectification are matched above"),
                };
                v.push_bind(none.clone())
                    .push_bind(none.clone())
                    .push_bind(None::<i64>)
                    .push_bind(none.clone())
                    .push_bind(None::<NaiveDate>)
                    .push_bind(none.clone())
                    .push_bind(to)
                    .push_bind(reason.cloned())
                    .push_bind(cause);
            }
        }
        q.push(") RETURNING id");
        let oid: i64 = q.build_query_scalar().fetch_one(&mut *tx).await?;
        let mut new = serde_json::to_value(detail).expect("an outcome serialises");
        new["outcome"] = serde_json::json!(oid);
        self.audit_case(&mut tx, id, "outcome", None, new, by)
            .await?;
        if let OutcomeDetail::AbnormalListing { cause, .. } = detail {
            // The list table is the one truth of who is listed: the outcome's listing.
            let entity: Option<i64> =
                sqlx::query_scalar("SELECT entity_id FROM cases WHERE id = $1")
                    .bind(id.0)
                    .fetch_one(&mut *tx)
                    .await?;
            if let Some(entity) = entity {
                let now = self.now();
                let input = crate::ListingInput {
                    entity_id: EntityId(entity),
                    list: domain::ListKind::Abnormal,
                    cause: cause.code().to_string(),
                    decision_no: None,
                    listed_on: now.date_naive(),
                };
                super::credit_lists::insert_listing(&mut tx, &input, Some(OutcomeId(oid)), now, by)
                    .await?;
            }
        }
        mark_credit_stale_case(&mut tx, id, self.now()).await?;
        tx.commit().await?;
        Ok(OutcomeId(oid))
    }

    async fn due_rectifications(
        &self,
        scope: Scope,
        on: NaiveDate,
    ) -> Result<Vec<DueRectification>> {
        let mut q = QueryBuilder::new(
            "SELECT o.id, o.case_id, k.site_id, o.due_on, o.urls FROM outcomes o \
             JOIN cases k ON k.id = o.case_id WHERE o.kind = 'rectification' \
             AND o.rechecked_at IS NULL AND o.due_on <= ",
        );
        q.push_bind(on);
        push_case_scope(&mut q, &scope);
        q.push(" ORDER BY o.due_on, o.id");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let urls: String = r.try_get("urls")?;
                Ok(DueRectification {
                    outcome: OutcomeId(r.try_get("id")?),
                    case_id: CaseId(r.try_get("case_id")?),
                    site_id: SiteId(r.try_get("site_id")?),
                    due_on: r.try_get("due_on")?,
                    urls: serde_json::from_str(&urls).map_err(|e| corrupt("urls", &urls, e))?,
                })
            })
            .collect()
    }

    async fn record_recheck(&self, recheck: &Recheck, by: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let case: Option<i64> = sqlx::query_scalar(
            "SELECT case_id FROM outcomes WHERE id = $1 AND kind = 'rectification'",
        )
        .bind(recheck.outcome.0)
        .fetch_optional(&mut *tx)
        .await?;
        let case = CaseId(case.ok_or_else(|| {
            StoreError::NotFound(format!("rectification order {}", recheck.outcome))
        })?);
        let done = sqlx::query(
            "UPDATE outcomes SET recheck_sweep_id = $2, rechecked_at = $3, compliant = $4 \
             WHERE id = $1 AND rechecked_at IS NULL",
        )
        .bind(recheck.outcome.0)
        .bind(recheck.sweep.0)
        .bind(self.now())
        .bind(recheck.compliant)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!(
                "rectification order {} was re-checked already",
                recheck.outcome
            )));
        }
        self.audit_case(
            &mut tx,
            case,
            "recheck",
            None,
            serde_json::json!({
                "outcome": recheck.outcome,
                "sweep": recheck.sweep,
                "compliant": recheck.compliant,
            }),
            by,
        )
        .await?;
        if let Some(from) = recheck.reopen_from {
            let done = sqlx::query(
                "UPDATE cases SET stage = 'investigating', reopened = reopened + 1, \
                 closed_at = NULL WHERE id = $1 AND stage = $2",
            )
            .bind(case.0)
            .bind(from.code())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(StoreError::Conflict(format!(
                    "case {case} is no longer {from}"
                )));
            }
            self.audit_case(
                &mut tx,
                case,
                "reopen",
                Some(serde_json::json!({ "stage": from })),
                serde_json::json!({
                    "stage": CaseStage::Investigating,
                    "reason": "not_compliant",
                    "outcome": recheck.outcome,
                }),
                by,
            )
            .await?;
        }
        mark_credit_stale_case(&mut tx, case, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_listing(&self, id: OutcomeId, reason: &str, by: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let case: Option<i64> = sqlx::query_scalar(
            "SELECT case_id FROM outcomes WHERE id = $1 AND kind = 'abnormal_listing'",
        )
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let case =
            CaseId(case.ok_or_else(|| StoreError::NotFound(format!("abnormal listing {id}")))?);
        let done = sqlx::query(
            "UPDATE outcomes SET removed_at = $2, removed_reason = $3 \
             WHERE id = $1 AND removed_at IS NULL",
        )
        .bind(id.0)
        .bind(self.now())
        .bind(reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!(
                "abnormal listing {id} was removed already"
            )));
        }
        self.audit_case(
            &mut tx,
            case,
            "remove_listing",
            None,
            serde_json::json!({ "outcome": id, "reason": reason }),
            by,
        )
        .await?;
        super::credit_lists::close_outcome_listing(&mut tx, id, reason, self.now(), by).await?;
        mark_credit_stale_case(&mut tx, case, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
