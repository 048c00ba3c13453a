//! Complaints and reports: intake with the duplicate check, staff steps as compare-and-set on
//! the state read, links, dispatch, each written with its history row and its audit row
//! (`complaint:<id>`) in one transaction; the public's read by tracking number.

use super::*;
use crate::complaint::*;
use crate::ComplaintStore;
use async_trait::async_trait;
use domain::{
    ComplaintChannel, ComplaintId, ComplaintKind, ComplaintOutcome, ComplaintState, TrackingNumber,
};

macro_rules! complaint_select {
    () => {
        "SELECT k.id, k.tracking_number, k.kind, k.state, k.channel, k.received_at, \
         k.subject_name, k.subject_uscc, k.subject_url, k.subject_address, k.entity_id, \
         e.name AS entity_name, k.site_id, COALESCE(k.district, e.district) AS district, k.body, \
         k.complainant_name, k.complainant_phone, k.complainant_email, k.accept_by, \
         k.mediation_ends_by, k.verify_by, k.accepted_at, k.clue_id, k.case_id, k.outcome, \
         k.outcome_text, k.published_at, k.upheld, k.closed_at \
         FROM complaints k LEFT JOIN entities e ON e.id = k.entity_id WHERE 1 = 1"
    };
}

/// The district a complaint belongs to (the query joins `complaints k`, `entities e`).
const COMPLAINT_DISTRICT: &str = "COALESCE(k.district, e.district)";

/// The open states, as stored, for `IN (…)`.
const OPEN: &str = "('received', 'accepted', 'mediating', 'mediated', 'mediation_failed', \
                    'verified', 'not_verified')";
/// The states in which a report still awaits its verification.
const AWAITING_VERIFICATION: &str =
    "('received', 'accepted', 'mediating', 'mediated', 'mediation_failed')";

/// Appends the scope of complaints: a district scope by [`COMPLAINT_DISTRICT`]; an
/// evaluator's scope sees none (personal data is for bureau staff).
fn push_complaint_scope(q: &mut QueryBuilder<Db>, scope: &Scope) {
    match scope {
        Scope::Entities(_) => {
            q.push(" AND 1 = 0");
        }
        other => push_scope_on(q, other, COMPLAINT_DISTRICT, "k.entity_id"),
    }
}

/// Appends the overdue rule of [`Complaint::overdue`] as of `today`.
fn push_overdue(q: &mut QueryBuilder<Db>, today: NaiveDate) {
    q.push("((k.state = 'received' AND k.accept_by < ")
        .push_bind(today)
        .push(") OR (k.state = 'mediating' AND k.mediation_ends_by < ")
        .push_bind(today)
        .push(") OR (k.kind IN ('report', 'both') AND k.state IN ")
        .push(AWAITING_VERIFICATION)
        .push(" AND k.verify_by < ")
        .push_bind(today)
        .push("))");
}

fn push_filter(q: &mut QueryBuilder<Db>, scope: &Scope, f: &ComplaintFilter) {
    push_complaint_scope(q, scope);
    if let Some(s) = f.state {
        q.push(" AND k.state = ").push_bind(s.code());
    }
    if let Some(k) = f.kind {
        q.push(" AND k.kind = ").push_bind(k.code());
    }
    if let Some(d) = f.district {
        q.push(" AND ")
            .push(COMPLAINT_DISTRICT)
            .push(" = ")
            .push_bind(d.to_string());
    }
    if let Some(e) = f.entity {
        q.push(" AND k.entity_id = ").push_bind(e.0);
    }
    if let Some(overdue) = f.overdue {
        let today = f
            .today
            .unwrap_or_else(|| domain::time::beijing_date(chrono::Utc::now()));
        q.push(if overdue { " AND " } else { " AND NOT " });
        push_overdue(q, today);
    }
}

fn code<T: FromStr>(what: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    T::from_str(s).map_err(|e| corrupt(what, s, e))
}

fn tracking(s: &str) -> Result<TrackingNumber> {
    TrackingNumber::parse(s).map_err(|e| corrupt("tracking number", s, e))
}

fn complaint_from_row(r: &DbRow) -> Result<Complaint> {
    let outcome: Option<String> = r.try_get("outcome")?;
    Ok(Complaint {
        id: ComplaintId(r.try_get("id")?),
        tracking_number: tracking(&r.try_get::<String, _>("tracking_number")?)?,
        kind: code::<ComplaintKind>("complaint kind", &r.try_get::<String, _>("kind")?)?,
        state: code::<ComplaintState>("complaint state", &r.try_get::<String, _>("state")?)?,
        channel: code::<ComplaintChannel>("channel", &r.try_get::<String, _>("channel")?)?,
        received_at: r.try_get("received_at")?,
        subject: Subject {
            name: r.try_get("subject_name")?,
            uscc: r.try_get("subject_uscc")?,
            url: r.try_get("subject_url")?,
            address: r.try_get("subject_address")?,
        },
        entity_id: r.try_get::<Option<i64>, _>("entity_id")?.map(EntityId),
        entity_name: r.try_get("entity_name")?,
        site_id: r.try_get::<Option<i64>, _>("site_id")?.map(SiteId),
        district: opt_district(r.try_get("district")?)?,
        body: r.try_get("body")?,
        complainant: Complainant {
            name: r.try_get("complainant_name")?,
            phone: r.try_get("complainant_phone")?,
            email: r.try_get("complainant_email")?,
        },
        accept_by: r.try_get("accept_by")?,
        mediation_ends_by: r.try_get("mediation_ends_by")?,
        verify_by: r.try_get("verify_by")?,
        accepted_at: r.try_get("accepted_at")?,
        clue_id: r.try_get::<Option<i64>, _>("clue_id")?.map(ClueId),
        case_id: r.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
        outcome: outcome
            .as_deref()
            .map(|o| code::<ComplaintOutcome>("complaint outcome", o))
            .transpose()?,
        outcome_text: r.try_get("outcome_text")?,
        published_at: r.try_get("published_at")?,
        upheld: r.try_get("upheld")?,
        closed_at: r.try_get("closed_at")?,
    })
}

/// What the audit log keeps of a complaint's state (no personal data: the audit log is read
/// more widely than the complaint).
fn state_json(c: &Complaint) -> serde_json::Value {
    serde_json::json!({
        "state": c.state,
        "district": c.district.map(|d| d.to_string()),
        "entity": c.entity_id,
        "clue": c.clue_id,
        "case": c.case_id,
        "mediation_ends_by": c.mediation_ends_by,
        "outcome": c.outcome,
        "outcome_text": c.outcome_text,
        "upheld": c.upheld,
    })
}

impl SqlStore {
    /// The complaint `id` read inside `tx` (any scope: the caller found it in its own).
    async fn complaint_in(&self, tx: &mut Tx, id: ComplaintId) -> Result<Complaint> {
        let mut q = QueryBuilder::<Db>::new(complaint_select!());
        q.push(" AND k.id = ").push_bind(id.0);
        let row = q
            .build()
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("complaint {id}")))?;
        complaint_from_row(&row)
    }

    async fn complaint_event(
        &self,
        tx: &mut Tx,
        id: ComplaintId,
        by: &Actor,
        action: &str,
        state: ComplaintState,
        note: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO complaint_events (complaint_id, at, actor, action, state, note) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0)
        .bind(self.now())
        .bind(&by.name)
        .bind(action)
        .bind(state.code())
        .bind(note)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Audits a change from `old` to the row as it is now, with its history row.
    async fn complaint_changed(
        &self,
        tx: &mut Tx,
        old: &Complaint,
        by: &Actor,
        action: &str,
        note: Option<&str>,
    ) -> Result<Complaint> {
        let new = self.complaint_in(tx, old.id).await?;
        self.complaint_event(tx, old.id, by, action, new.state, note)
            .await?;
        let mut new_json = state_json(&new);
        new_json["note"] = serde_json::json!(note);
        super::people::audit(
            tx,
            self.now(),
            by,
            &format!("complaint:{}", old.id),
            action,
            Some(state_json(old)),
            Some(new_json),
        )
        .await?;
        // An upheld complaint is a credit fact of its entity: the old and the new entity.
        if old.upheld != new.upheld || (new.upheld && old.entity_id != new.entity_id) {
            let entities: Vec<EntityId> = [old.entity_id, new.entity_id]
                .into_iter()
                .flatten()
                .collect();
            mark_credit_stale(tx, &entities, self.now()).await?;
        }
        Ok(new)
    }
}

#[async_trait]
impl ComplaintStore for SqlStore {
    async fn file_complaint(
        &self,
        new: &NewComplaint,
        window: chrono::Duration,
        by: &Actor,
    ) -> Result<Intake> {
        let mut tx = self.write_tx().await?;
        let now = self.now();
        let seen: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM complaints WHERE dedup_hash = $1 AND received_at >= $2 LIMIT 1",
        )
        .bind(&new.dedup_hash)
        .bind(now - window)
        .fetch_optional(&mut *tx)
        .await?;
        if seen.is_some() {
            return Ok(Intake::Duplicate);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO complaints (tracking_number, kind, state, channel, received_at, \
             subject_name, subject_uscc, subject_url, subject_address, entity_id, site_id, \
             district, body, complainant_name, complainant_phone, complainant_email, dedup_hash, \
             accept_by, verify_by) VALUES ($1, $2, 'received', $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
        )
        .bind(new.tracking_number.as_str())
        .bind(new.kind.code())
        .bind(new.channel.code())
        .bind(now)
        .bind(&new.subject.name)
        .bind(&new.subject.uscc)
        .bind(&new.subject.url)
        .bind(&new.subject.address)
        .bind(new.entity_id.map(|e| e.0))
        .bind(new.site_id.map(|s| s.0))
        .bind(new.district.map(|d| d.to_string()))
        .bind(&new.body)
        .bind(&new.complainant.name)
        .bind(&new.complainant.phone)
        .bind(&new.complainant.email)
        .bind(&new.dedup_hash)
        .bind(new.accept_by)
        .bind(new.verify_by)
        .fetch_one(&mut *tx)
        .await?;
        let id = ComplaintId(id);
        self.complaint_event(&mut tx, id, by, "file", ComplaintState::Received, None)
            .await?;
        let filed = self.complaint_in(&mut tx, id).await?;
        let mut json = state_json(&filed);
        json["tracking_number"] = serde_json::json!(filed.tracking_number);
        json["kind"] = serde_json::json!(filed.kind);
        json["channel"] = serde_json::json!(filed.channel);
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("complaint:{id}"),
            "file",
            None,
            Some(json),
        )
        .await?;
        tx.commit().await?;
        Ok(Intake::Filed(Box::new(filed)))
    }

    async fn complaint(&self, scope: Scope, id: ComplaintId) -> Result<Option<Complaint>> {
        let mut q = QueryBuilder::<Db>::new(complaint_select!());
        q.push(" AND k.id = ").push_bind(id.0);
        push_complaint_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(complaint_from_row)
            .transpose()
    }

    async fn public_complaint(&self, tracking: &TrackingNumber) -> Result<Option<PublicComplaint>> {
        let mut q = QueryBuilder::<Db>::new(complaint_select!());
        q.push(" AND k.tracking_number = ")
            .push_bind(tracking.as_str());
        let Some(row) = q.build().fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let c = complaint_from_row(&row)?;
        let steps = sqlx::query(
            "SELECT at, state FROM complaint_events WHERE complaint_id = $1 ORDER BY id",
        )
        .bind(c.id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let state: String = r.try_get("state")?;
            Ok((
                r.try_get("at")?,
                code::<ComplaintState>("complaint state", &state)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(PublicComplaint {
            tracking_number: c.tracking_number,
            kind: c.kind,
            state: c.state,
            received_at: c.received_at,
            accept_by: c.accept_by,
            mediation_ends_by: c.mediation_ends_by,
            verify_by: c.verify_by,
            accepted_at: c.accepted_at,
            closed_at: c.closed_at,
            outcome: c.outcome,
            outcome_text: c.outcome_text,
            published_at: c.published_at,
            steps,
        }))
    }

    async fn list_complaints(
        &self,
        scope: Scope,
        filter: &ComplaintFilter,
    ) -> Result<Vec<Complaint>> {
        let mut q = QueryBuilder::<Db>::new(complaint_select!());
        push_filter(&mut q, &scope, filter);
        push_order(
            &mut q,
            filter.sort,
            |key| {
                use crate::sort::ComplaintSort as K;
                vec![match key {
                    K::Id => "k.id".into(),
                    K::TrackingNumber => "k.tracking_number".into(),
                    K::Kind => rank("k.kind", ComplaintKind::ALL.iter().map(|s| s.code())),
                    K::Subject => "COALESCE(e.name, k.subject_name)".into(),
                    K::State => rank("k.state", ComplaintState::ALL.iter().map(|s| s.code())),
                    K::District => COMPLAINT_DISTRICT.into(),
                    K::AcceptBy => "k.accept_by".into(),
                    K::MediationEndsBy => "k.mediation_ends_by".into(),
                    K::VerifyBy => "k.verify_by".into(),
                    K::ReceivedAt => "k.received_at".into(),
                }]
            },
            "k.id",
            "k.received_at DESC, k.id DESC",
        );
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(complaint_from_row)
            .collect()
    }

    async fn count_complaints(&self, scope: Scope, filter: &ComplaintFilter) -> Result<i64> {
        let from = " FROM complaints k LEFT JOIN entities e ON e.id = k.entity_id WHERE 1 = 1";
        count_rows(&self.pool, from, filter.count_up_to, |q| {
            push_filter(q, &scope, filter)
        })
        .await
    }

    async fn complaint_events(&self, scope: Scope, id: ComplaintId) -> Result<Vec<ComplaintEvent>> {
        if self.complaint(scope, id).await?.is_none() {
            return Ok(Vec::new());
        }
        sqlx::query(
            "SELECT at, actor, action, state, note FROM complaint_events \
             WHERE complaint_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let state: String = r.try_get("state")?;
            Ok(ComplaintEvent {
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                state: code("complaint state", &state)?,
                note: r.try_get("note")?,
            })
        })
        .collect()
    }

    async fn step_complaint(
        &self,
        id: ComplaintId,
        change: &ComplaintChange,
        by: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let old = self.complaint_in(&mut tx, id).await?;
        let now = self.now();
        let (outcome, outcome_text) = match &change.outcome {
            Some((o, text)) => (Some(o.code()), Some(text.as_str())),
            None => (None, None),
        };
        let accepted = change.to == ComplaintState::Accepted;
        let closed = !change.to.is_open();
        let done = sqlx::query(
            "UPDATE complaints SET state = $3, \
             accepted_at = CASE WHEN $4 THEN $5 ELSE accepted_at END, \
             mediation_ends_by = COALESCE($6, mediation_ends_by), \
             outcome = COALESCE($7, outcome), outcome_text = COALESCE($8, outcome_text), \
             published_at = CASE WHEN $9 THEN $5 ELSE published_at END, \
             upheld = COALESCE($10, upheld), \
             closed_at = CASE WHEN $11 THEN $5 ELSE closed_at END \
             WHERE id = $1 AND state = $2",
        )
        .bind(id.0)
        .bind(change.from.code())
        .bind(change.to.code())
        .bind(accepted)
        .bind(now)
        .bind(change.mediation_ends_by)
        .bind(outcome)
        .bind(outcome_text)
        .bind(change.outcome.is_some())
        .bind(change.upheld)
        .bind(closed)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!(
                "complaint {id} is no longer {}",
                change.from
            )));
        }
        self.complaint_changed(&mut tx, &old, by, change.action, change.note.as_deref())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn link_complaint(
        &self,
        id: ComplaintId,
        links: &ComplaintLinks,
        by: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let old = self.complaint_in(&mut tx, id).await?;
        sqlx::query(
            "UPDATE complaints SET entity_id = COALESCE($2, entity_id), \
             clue_id = COALESCE($3, clue_id), case_id = COALESCE($4, case_id) WHERE id = $1",
        )
        .bind(id.0)
        .bind(links.entity.map(|e| e.0))
        .bind(links.clue.map(|c| c.0))
        .bind(links.case.map(|c| c.0))
        .execute(&mut *tx)
        .await?;
        self.complaint_changed(&mut tx, &old, by, "link", None)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn dispatch_complaint(
        &self,
        id: ComplaintId,
        district: DistrictCode,
        reason: &str,
        by: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let old = self.complaint_in(&mut tx, id).await?;
        let mut q = QueryBuilder::<Db>::new("UPDATE complaints SET district = ");
        q.push_bind(district.to_string())
            .push(" WHERE id = ")
            .push_bind(id.0)
            .push(" AND state IN ")
            .push(OPEN);
        if q.build().execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("complaint {id} is closed")));
        }
        self.complaint_changed(&mut tx, &old, by, "dispatch", Some(reason))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn complaint_counts(&self, scope: Scope, today: NaiveDate) -> Result<ComplaintCounts> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT COUNT(*) AS received, \
             COALESCE(SUM(CASE WHEN k.accepted_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS accepted, \
             COALESCE(SUM(CASE WHEN ",
        );
        push_overdue(&mut q, today);
        q.push(
            " THEN 1 ELSE 0 END), 0) AS overdue, \
             COALESCE(SUM(CASE WHEN k.upheld THEN 1 ELSE 0 END), 0) AS upheld \
             FROM complaints k LEFT JOIN entities e ON e.id = k.entity_id WHERE 1 = 1",
        );
        push_complaint_scope(&mut q, &scope);
        let r = q.build().fetch_one(&self.pool).await?;
        Ok(ComplaintCounts {
            received: r.try_get("received")?,
            accepted: r.try_get("accepted")?,
            overdue: r.try_get("overdue")?,
            upheld: r.try_get("upheld")?,
        })
    }
}
