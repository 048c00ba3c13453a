//! Clues: findings of one site grouped, the evidence captures taken for them, and their life
//! (grouping after a sweep, dispatch, feedback, extension).

use super::*;
use crate::ClueStore;
use async_trait::async_trait;

macro_rules! clue_select {
    () => {
        "SELECT c.id, c.site_id, c.created_at, c.created_by, c.summary, s.host, s.path_prefix, \
         s.entity_id, e.district AS entity_district, COALESCE(c.district, e.district) AS district, \
         c.source, c.group_key, c.severity, c.state, c.dispatched_at, c.due_on, c.verify_by, \
         c.extended, c.escalated, c.closed_at, c.close_reason, c.close_note, \
         (SELECT cc.case_id FROM case_clues cc WHERE cc.clue_id = c.id) AS case_id \
         FROM clues c JOIN sites s ON s.id = c.site_id \
         LEFT JOIN entities e ON e.id = s.entity_id"
    };
}

/// The stored codes of the open clue states, for `IN (…)`.
const OPEN_STATES: &str = "('new', 'dispatched', 'verified')";

fn push_clue_filter(q: &mut QueryBuilder<Db>, scope: &Scope, f: &ClueFilter, today: NaiveDate) {
    push_clue_scope(q, scope);
    if let Some(s) = f.site_id {
        q.push(" AND c.site_id = ").push_bind(s.0);
    }
    if let Some(d) = f.district {
        q.push(" AND ")
            .push(CLUE_DISTRICT)
            .push(" = ")
            .push_bind(d.to_string());
    }
    if let Some(s) = f.state {
        q.push(" AND c.state = ").push_bind(s.code());
    }
    if let Some(s) = f.severity {
        q.push(" AND c.severity = ").push_bind(s.code());
    }
    if let Some(overdue) = f.overdue {
        q.push(if overdue { " AND " } else { " AND NOT " });
        q.push("(c.state IN ")
            .push(OPEN_STATES)
            .push(" AND ((c.due_on IS NOT NULL AND c.due_on < ")
            .push_bind(today)
            .push(") OR (c.verify_by IS NOT NULL AND c.verify_by < ")
            .push_bind(today)
            .push(")))");
    }
}

fn code<T: FromStr>(what: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    T::from_str(s).map_err(|e| corrupt(what, s, e))
}

impl SqlStore {
    /// A clue of a `clue_select!` row, with its findings and captures.
    async fn clue_from_row(&self, r: &DbRow) -> Result<Clue> {
        let id: i64 = r.try_get("id")?;
        let findings: Vec<i64> = sqlx::query_scalar(
            "SELECT finding_id FROM clue_findings WHERE clue_id = $1 ORDER BY finding_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let captures: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM sweeps WHERE clue_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let host: String = r.try_get("host")?;
        let prefix: String = r.try_get("path_prefix")?;
        let source: String = r.try_get("source")?;
        let severity: String = r.try_get("severity")?;
        let state: String = r.try_get("state")?;
        let mut clue = Clue {
            id: ClueId(id),
            site_id: SiteId(r.try_get("site_id")?),
            site: format!("{host}{prefix}"),
            district: opt_district(r.try_get("district")?)?,
            entity_district: opt_district(r.try_get("entity_district")?)?,
            entity_id: r.try_get::<Option<i64>, _>("entity_id")?.map(EntityId),
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
            summary: r.try_get("summary")?,
            findings: findings.into_iter().map(FindingId).collect(),
            captures: captures.into_iter().map(SweepId).collect(),
            source: code::<ClueSource>("clue source", &source)?,
            group_key: r.try_get("group_key")?,
            severity: code::<Severity>("severity", &severity)?,
            state: code::<ClueState>("clue state", &state)?,
            dispatched_at: r.try_get("dispatched_at")?,
            due_on: r.try_get("due_on")?,
            verify_by: r.try_get("verify_by")?,
            extended: r.try_get("extended")?,
            escalated: r.try_get("escalated")?,
            closed_at: r.try_get("closed_at")?,
            close_reason: r.try_get("close_reason")?,
            close_note: r.try_get("close_note")?,
            case_id: r.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
            overdue: false,
        };
        clue.overdue = clue.is_overdue(self.now().date_naive());
        Ok(clue)
    }

    /// The findings among `ids` that already feed an open clue.
    async fn findings_in_open_clues(&self, tx: &mut Tx, ids: &[FindingId]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(
            "SELECT cf.finding_id FROM clue_findings cf JOIN clues c ON c.id = cf.clue_id \
             WHERE c.state IN ",
        );
        q.push(OPEN_STATES).push(" AND cf.finding_id IN (");
        let mut list = q.separated(", ");
        for f in ids {
            list.push_bind(f.0);
        }
        q.push(")");
        Ok(q.build_query_scalar().fetch_all(&mut **tx).await?)
    }

    /// A sweep's live findings in scope: all of them by id, or with `page` (after a site, at
    /// most so many) a page of them by site then id (`sweep_findings_after`).
    async fn live_sweep_findings(
        &self,
        scope: Scope,
        sweep: SweepId,
        page: Option<(Option<SiteId>, u32)>,
    ) -> Result<Vec<Finding>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            finding_cols!(),
            " FROM findings g JOIN sites s ON s.id = g.site_id \
             LEFT JOIN entities e ON e.id = s.entity_id WHERE g.suppressed IS NULL \
             AND g.sweep_id = "
        ));
        q.push_bind(sweep.0);
        if let Some((Some(after), _)) = page {
            q.push(" AND g.site_id > ").push_bind(after.0);
        }
        push_scope(&mut q, &scope);
        match page {
            None => q.push(" ORDER BY g.id"),
            Some((_, limit)) => q
                .push(" ORDER BY g.site_id, g.id LIMIT ")
                .push_bind(i64::from(limit)),
        };
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(finding_from_row)
            .collect()
    }

    /// Checks that every finding is of `site` (`NotFound` naming the first that is not).
    async fn findings_of_site(&self, tx: &mut Tx, site: SiteId, ids: &[FindingId]) -> Result<()> {
        for f in ids {
            let of: Option<i64> = sqlx::query_scalar("SELECT site_id FROM findings WHERE id = $1")
                .bind(f.0)
                .fetch_optional(&mut **tx)
                .await?;
            if of != Some(site.0) {
                return Err(StoreError::NotFound(format!("finding {f} of site {site}")));
            }
        }
        Ok(())
    }

    /// The clue's state and the columns a change audits, read inside `tx`.
    async fn clue_state_json(&self, tx: &mut Tx, id: ClueId) -> Result<serde_json::Value> {
        let row = sqlx::query(
            "SELECT state, district, due_on, verify_by, close_reason FROM clues WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("clue {id}")))?;
        Ok(serde_json::json!({
            "state": row.try_get::<String, _>("state")?,
            "district": row.try_get::<Option<String>, _>("district")?,
            "due_on": row.try_get::<Option<NaiveDate>, _>("due_on")?,
            "verify_by": row.try_get::<Option<NaiveDate>, _>("verify_by")?,
            "close_reason": row.try_get::<Option<String>, _>("close_reason")?,
        }))
    }

    /// Inserts the findings of a clue (a repeated one is left as it is).
    async fn add_clue_findings(&self, tx: &mut Tx, id: i64, findings: &[FindingId]) -> Result<()> {
        for f in findings {
            sqlx::query(
                "INSERT INTO clue_findings (clue_id, finding_id) VALUES ($1, $2) \
                 ON CONFLICT (clue_id, finding_id) DO NOTHING",
            )
            .bind(id)
            .bind(f.0)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Dispatches clue `id` (in state `from`) inside `tx`, audited.
    async fn dispatch_in(
        &self,
        tx: &mut Tx,
        id: ClueId,
        from: ClueState,
        d: &ClueDispatch,
        by: &Actor,
    ) -> Result<()> {
        let old = self.clue_state_json(tx, id).await?;
        let done = sqlx::query(
            "UPDATE clues SET state = 'dispatched', district = $3, dispatched_at = $4, \
             due_on = $5, verify_by = COALESCE(verify_by, $6) WHERE id = $1 AND state = $2",
        )
        .bind(id.0)
        .bind(from.code())
        .bind(d.district.to_string())
        .bind(self.now())
        .bind(d.due_on)
        .bind(d.verify_by)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!(
                "clue {id} is no longer {from}"
            )));
        }
        let mut new = self.clue_state_json(tx, id).await?;
        new["reason"] = serde_json::json!(d.reason);
        super::people::audit(
            tx,
            self.now(),
            by,
            &format!("clue:{id}"),
            "dispatch",
            Some(old),
            Some(new),
        )
        .await
    }
}

#[async_trait]
impl ClueStore for SqlStore {
    async fn create_clue(&self, clue: &NewClue, by: &Actor) -> Result<ClueId> {
        if clue.findings.is_empty() {
            return Err(StoreError::NotFound(
                "a clue needs at least one finding".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        self.findings_of_site(&mut tx, clue.site_id, &clue.findings)
            .await?;
        if let Some(f) = self
            .findings_in_open_clues(&mut tx, &clue.findings)
            .await?
            .first()
        {
            return Err(StoreError::Conflict(format!(
                "finding {f} already feeds an open clue"
            )));
        }
        let mut severity = Severity::Low;
        for f in &clue.findings {
            let s: String = sqlx::query_scalar("SELECT severity FROM findings WHERE id = $1")
                .bind(f.0)
                .fetch_one(&mut *tx)
                .await?;
            severity = severity.max(code::<Severity>("severity", &s)?);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO clues (site_id, created_at, created_by, summary, source, severity, state) \
             VALUES ($1, $2, $3, $4, 'manual', $5, 'new') RETURNING id",
        )
        .bind(clue.site_id.0)
        .bind(self.now())
        .bind(&by.name)
        .bind(&clue.summary)
        .bind(severity.code())
        .fetch_one(&mut *tx)
        .await?;
        self.add_clue_findings(&mut tx, id, &clue.findings).await?;
        super::people::audit(
            &mut tx,
            self.now(),
            by,
            &format!("clue:{id}"),
            "create",
            None,
            Some(serde_json::json!({
                "site": clue.site_id,
                "findings": clue.findings,
                "summary": clue.summary,
                "source": ClueSource::Manual,
                "severity": severity,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(ClueId(id))
    }

    async fn clue(&self, scope: Scope, id: ClueId) -> Result<Option<Clue>> {
        let mut q = QueryBuilder::new(concat!(clue_select!(), " WHERE c.id = "));
        q.push_bind(id.0);
        push_clue_scope(&mut q, &scope);
        match q.build().fetch_optional(&self.pool).await? {
            Some(r) => Ok(Some(self.clue_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    async fn list_clues(&self, scope: Scope, filter: &ClueFilter) -> Result<Vec<Clue>> {
        let mut q = QueryBuilder::new(concat!(clue_select!(), " WHERE 1 = 1"));
        push_clue_filter(&mut q, &scope, filter, self.now().date_naive());
        push_order(
            &mut q,
            filter.sort,
            |k| {
                use crate::sort::ClueSort as K;
                vec![match k {
                    K::Id => "c.id".into(),
                    K::Site => "s.host".into(),
                    K::State => rank("c.state", ClueState::ALL.iter().map(|s| s.code())),
                    K::District => CLUE_DISTRICT.into(),
                    K::Severity => rank("c.severity", Severity::ALL.iter().map(|s| s.code())),
                    K::DueOn => "c.due_on".into(),
                    K::VerifyBy => "c.verify_by".into(),
                    K::Summary => "c.summary".into(),
                    K::Findings => {
                        "(SELECT COUNT(*) FROM clue_findings cf WHERE cf.clue_id = c.id)".into()
                    }
                    K::CreatedBy => "c.created_by".into(),
                    K::CreatedAt => "c.created_at".into(),
                }]
            },
            "c.id",
            "c.id DESC",
        );
        push_page(&mut q, filter.limit, filter.offset);
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.clue_from_row(r).await?);
        }
        Ok(out)
    }

    async fn count_clues(&self, scope: Scope, filter: &ClueFilter) -> Result<i64> {
        let from = " FROM clues c JOIN sites s ON s.id = c.site_id \
             LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1";
        let today = self.now().date_naive();
        count_rows(&self.pool, from, filter.count_up_to, |q| {
            push_clue_filter(q, &scope, filter, today)
        })
        .await
    }

    async fn clue_fetches(&self, scope: Scope, id: ClueId) -> Result<Vec<Fetch>> {
        // The clue's scope decides (a clue dispatched to a district other than its entity's
        // shows that district its evidence); then every fetch of it.
        if self.clue(scope, id).await?.is_none() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            fetch_cols!(),
            fetch_from!(),
            " WHERE (f.sweep_id IN (SELECT w.id FROM sweeps w WHERE w.clue_id = "
        ));
        q.push_bind(id.0);
        q.push(
            ") OR f.id IN (SELECT p.id FROM clue_findings cf \
               JOIN findings g ON g.id = cf.finding_id \
               JOIN fetches p ON p.warc_file = g.warc_file AND p.warc_offset = g.warc_offset \
               WHERE cf.clue_id = ",
        );
        q.push_bind(id.0);
        q.push("))");
        q.push(" ORDER BY f.fetched_at, f.id");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(fetch_from_row)
            .collect()
    }

    async fn sweep_findings(&self, scope: Scope, sweep: SweepId) -> Result<Vec<Finding>> {
        self.live_sweep_findings(scope, sweep, None).await
    }

    async fn sweep_findings_after(
        &self,
        scope: Scope,
        sweep: SweepId,
        after: Option<SiteId>,
        limit: u32,
    ) -> Result<Vec<Finding>> {
        self.live_sweep_findings(scope, sweep, Some((after, limit)))
            .await
    }

    async fn group_clue(&self, g: &GroupedClue, by: &Actor) -> Result<Option<Grouped>> {
        let mut tx = self.write_tx().await?;
        self.findings_of_site(&mut tx, g.site_id, &g.findings)
            .await?;
        let taken = self.findings_in_open_clues(&mut tx, &g.findings).await?;
        let mut findings: Vec<FindingId> = Vec::new();
        for f in &g.findings {
            if !taken.contains(&f.0) && !findings.contains(f) {
                findings.push(*f);
            }
        }
        if findings.is_empty() {
            return Ok(None);
        }
        // The group's clues: its base key and the keys `base#2`, `base#3`… that later
        // clues of the group took, as a range of the key's index ('$' follows '#'; a LIKE
        // pattern would scan the whole table on SQLite, whose LIKE ignores case).
        let rows = sqlx::query(
            "SELECT id, state, severity FROM clues \
             WHERE group_key = $1 OR (group_key > $2 AND group_key < $3) ORDER BY id DESC",
        )
        .bind(&g.group_base)
        .bind(format!("{}#", g.group_base))
        .bind(format!("{}$", g.group_base))
        .fetch_all(&mut *tx)
        .await?;
        if let Some(newest) = rows.first() {
            let state: String = newest.try_get("state")?;
            if code::<ClueState>("clue state", &state)?.is_open() {
                let id: i64 = newest.try_get("id")?;
                let old: String = newest.try_get("severity")?;
                let severity = code::<Severity>("severity", &old)?.max(g.severity);
                self.add_clue_findings(&mut tx, id, &findings).await?;
                sqlx::query("UPDATE clues SET severity = $2 WHERE id = $1")
                    .bind(id)
                    .bind(severity.code())
                    .execute(&mut *tx)
                    .await?;
                super::people::audit(
                    &mut tx,
                    self.now(),
                    by,
                    &format!("clue:{id}"),
                    "add_findings",
                    Some(serde_json::json!({ "severity": old })),
                    Some(serde_json::json!({ "findings": findings, "severity": severity })),
                )
                .await?;
                tx.commit().await?;
                return Ok(Some(Grouped {
                    clue: ClueId(id),
                    created: false,
                    added: findings.len(),
                    dispatched: false,
                }));
            }
        }
        let key = match rows.len() {
            0 => g.group_base.clone(),
            n => format!("{}#{}", g.group_base, n + 1),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO clues (site_id, created_at, created_by, summary, source, group_key, \
             severity, state, verify_by) \
             VALUES ($1, $2, $3, $4, 'monitoring', $5, $6, 'new', $7) RETURNING id",
        )
        .bind(g.site_id.0)
        .bind(self.now())
        .bind(&by.name)
        .bind(&g.summary)
        .bind(&key)
        .bind(g.severity.code())
        .bind(g.verify_by)
        .fetch_one(&mut *tx)
        .await?;
        self.add_clue_findings(&mut tx, id, &findings).await?;
        super::people::audit(
            &mut tx,
            self.now(),
            by,
            &format!("clue:{id}"),
            "create",
            None,
            Some(serde_json::json!({
                "site": g.site_id,
                "findings": findings,
                "summary": g.summary,
                "source": ClueSource::Monitoring,
                "group_key": key,
                "severity": g.severity,
                "verify_by": g.verify_by,
            })),
        )
        .await?;
        if let Some(d) = &g.dispatch {
            self.dispatch_in(&mut tx, ClueId(id), ClueState::New, d, by)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(Grouped {
            clue: ClueId(id),
            created: true,
            added: findings.len(),
            dispatched: g.dispatch.is_some(),
        }))
    }

    async fn dispatch_clue(
        &self,
        id: ClueId,
        from: ClueState,
        dispatch: &ClueDispatch,
        by: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        self.dispatch_in(&mut tx, id, from, dispatch, by).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn close_clue(
        &self,
        id: ClueId,
        from: ClueState,
        closing: &ClueClosing,
        by: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let old = self.clue_state_json(&mut tx, id).await?;
        let state = closing.state();
        let (reason, note, escalated) = match closing {
            ClueClosing::Verified { note } => (None, note.clone(), false),
            ClueClosing::NotVerified { reason, note } => {
                (Some(reason.code().to_string()), note.clone(), false)
            }
            ClueClosing::Transferred { to, note } => (Some(to.clone()), note.clone(), true),
        };
        let closed_at = (!state.is_open()).then(|| self.now());
        let done = sqlx::query(
            "UPDATE clues SET state = $3, close_reason = $4, close_note = $5, escalated = $6, \
             closed_at = $7 WHERE id = $1 AND state = $2",
        )
        .bind(id.0)
        .bind(from.code())
        .bind(state.code())
        .bind(&reason)
        .bind(&note)
        .bind(escalated)
        .bind(closed_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!(
                "clue {id} is no longer {from}"
            )));
        }
        let mut new = self.clue_state_json(&mut tx, id).await?;
        new["note"] = serde_json::json!(note);
        super::people::audit(
            &mut tx,
            self.now(),
            by,
            &format!("clue:{id}"),
            "feedback",
            Some(old),
            Some(new),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn extend_clue(&self, id: ClueId, verify_by: NaiveDate, by: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let old = self.clue_state_json(&mut tx, id).await?;
        let mut q = QueryBuilder::new("UPDATE clues SET verify_by = ");
        q.push_bind(verify_by)
            .push(", extended = ")
            .push_bind(true)
            .push(" WHERE id = ")
            .push_bind(id.0)
            .push(" AND extended = ")
            .push_bind(false)
            .push(" AND state IN ")
            .push(OPEN_STATES);
        if q.build().execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "clue {id} is closed or was extended already"
            )));
        }
        let new = self.clue_state_json(&mut tx, id).await?;
        super::people::audit(
            &mut tx,
            self.now(),
            by,
            &format!("clue:{id}"),
            "extend",
            Some(old),
            Some(new),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
