//! Credit: index versions, the facts for scoring (one grouped query per fact over a batch of
//! entities), grades with their archive, and the reads behind the credit pages.

use super::*;
use crate::credit::*;
use crate::CreditStore;
use async_trait::async_trait;
use chrono::{Days, NaiveTime};
use domain::{CreditClass, ListKind};
use std::collections::HashMap;

/// Rows per multi-row statement (9 binds each, within both engines' bind limits).
const WRITE_ROWS: usize = 500;
/// Ids per `IN (…)` list.
const ID_CHUNK: usize = 500;

fn index_version_from_row(r: &DbRow) -> Result<IndexVersion> {
    Ok(IndexVersion {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        name: r.try_get("name")?,
        sha256: r.try_get("sha256")?,
        body: r.try_get("body")?,
        loaded_at: r.try_get("loaded_at")?,
        loaded_by: r.try_get("loaded_by")?,
    })
}

fn class(s: &str) -> Result<CreditClass> {
    CreditClass::from_str(s).map_err(|e| corrupt("credit class", s, e))
}

fn list_kind(s: &str) -> Result<ListKind> {
    ListKind::from_str(s).map_err(|e| corrupt("credit list", s, e))
}

fn grade_from_row(r: &DbRow, with_id: bool) -> Result<StoredGrade> {
    let sc: String = r.try_get("score_class")?;
    let c: String = r.try_get("class")?;
    let o: Option<String> = r.try_get("override")?;
    Ok(StoredGrade {
        id: if with_id {
            Some(r.try_get("id")?)
        } else {
            None
        },
        entity: EntityId(r.try_get("entity_id")?),
        score: r.try_get("score")?,
        score_class: class(&sc)?,
        class: class(&c)?,
        overridden: o.as_deref().map(list_kind).transpose()?,
        index_version: r.try_get("index_version")?,
        points: r.try_get("points")?,
        computed_at: r.try_get("computed_at")?,
    })
}

const GRADE_COLS: &str =
    "g.entity_id, g.score, g.score_class, g.class, g.override, g.index_version, g.points, \
     g.computed_at";

/// The start of the window "within `days`" of `as_of`: its first day.
fn window_start(as_of: NaiveDate, days: i64) -> NaiveDate {
    as_of
        .checked_sub_days(Days::new(days.max(0) as u64))
        .unwrap_or(NaiveDate::MIN)
}

/// The window's start as a time (midnight UTC), for timestamp columns.
fn window_start_at(as_of: NaiveDate, days: i64) -> DateTime<Utc> {
    window_start(as_of, days).and_time(NaiveTime::MIN).and_utc()
}

/// Appends the batch restriction on an entity id column.
fn push_select(q: &mut QueryBuilder<Db>, col: &str, lo_hi: Option<(i64, i64)>, ids: &[i64]) {
    match lo_hi {
        Some((lo, hi)) => {
            q.push(" AND ")
                .push(col)
                .push(" BETWEEN ")
                .push_bind(lo)
                .push(" AND ")
                .push_bind(hi);
        }
        None => {
            q.push(" AND ").push(col).push(" IN (");
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            q.push(")");
        }
    }
}

/// The condition of one findings fact on a row of `findings g` (window, severity, categories).
fn push_findings_condition(
    q: &mut QueryBuilder<Db>,
    as_of: NaiveDate,
    days: i64,
    min_severity: domain::Severity,
    categories: &[String],
) {
    q.push("g.found_at >= ");
    q.push_bind(window_start_at(as_of, days));
    let severities: Vec<&str> = domain::Severity::ALL
        .iter()
        .filter(|s| **s >= min_severity)
        .map(|s| s.code())
        .collect();
    if severities.len() < domain::Severity::ALL.len() {
        q.push(" AND g.severity IN (");
        let mut sep = q.separated(", ");
        for s in severities {
            sep.push_bind(s);
        }
        q.push(")");
    }
    if !categories.is_empty() {
        q.push(" AND (");
        for (i, c) in categories.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            if c.contains('.') {
                q.push("g.category = ").push_bind(c.clone());
            } else {
                q.push("g.category LIKE ").push_bind(format!("{c}.%"));
            }
        }
        q.push(")");
    }
}

/// One grouped query for every findings fact of a batch: the widest window, then a
/// conditional count per fact (`v0`, `v1`, …). The batch's sites lead (no severity index).
fn findings_query(
    facts: &[(usize, i64, domain::Severity, &[String])],
    as_of: NaiveDate,
    lo_hi: Option<(i64, i64)>,
    ids: &[i64],
) -> QueryBuilder<Db> {
    let mut q: QueryBuilder<Db> = QueryBuilder::new("SELECT s.entity_id");
    for (n, (_, days, sev, cats)) in facts.iter().enumerate() {
        q.push(", SUM(CASE WHEN ");
        push_findings_condition(&mut q, as_of, *days, *sev, cats);
        q.push(format!(" THEN 1 ELSE 0 END) AS v{n}"));
    }
    let widest = facts.iter().map(|f| f.1).max().unwrap_or(0);
    q.push(" FROM findings g JOIN sites s ON s.id = g.site_id WHERE g.found_at >= ");
    q.push_bind(window_start_at(as_of, widest));
    q.push(" AND g.triage NOT IN ('dismissed', 'false_positive') AND g.suppressed IS NULL");
    push_select(&mut q, "s.entity_id", lo_hi, ids);
    q.push(" GROUP BY s.entity_id");
    q
}

/// The grouped query of one fact: rows of (entity_id, value).
fn fact_query(
    query: &FactQuery,
    as_of: NaiveDate,
    lo_hi: Option<(i64, i64)>,
    ids: &[i64],
) -> QueryBuilder<Db> {
    let mut q: QueryBuilder<Db>;
    match query {
        FactQuery::PermitsExpired => {
            q = QueryBuilder::new(
                "SELECT entity_id, COUNT(*) AS v FROM filings WHERE entity_id IS NOT NULL \
                 AND valid_until < ",
            );
            q.push_bind(as_of);
            push_select(&mut q, "entity_id", lo_hi, ids);
            q.push(" GROUP BY entity_id");
        }
        FactQuery::Findings { .. } => {
            unreachable!("findings facts are read together (findings_query)")
        }
        FactQuery::Cases { days } => {
            q = QueryBuilder::new(
                "SELECT entity_id, COUNT(*) AS v FROM cases WHERE entity_id IS NOT NULL \
                 AND opened_at >= ",
            );
            q.push_bind(window_start_at(as_of, *days));
            push_select(&mut q, "entity_id", lo_hi, ids);
            q.push(" GROUP BY entity_id");
        }
        FactQuery::FinesFen { days } => {
            q = QueryBuilder::new(
                "SELECT k.entity_id, CAST(SUM(o.fine_fen) AS BIGINT) AS v FROM outcomes o \
                 JOIN cases k ON k.id = o.case_id WHERE o.kind = 'penalty' AND k.opened_at >= ",
            );
            q.push_bind(window_start_at(as_of, *days));
            push_select(&mut q, "k.entity_id", lo_hi, ids);
            q.push(" GROUP BY k.entity_id");
        }
        FactQuery::Warnings { days } => {
            q = QueryBuilder::new(
                "SELECT k.entity_id, COUNT(*) AS v FROM outcomes o \
                 JOIN cases k ON k.id = o.case_id WHERE o.kind = 'warning' AND o.created_at >= ",
            );
            q.push_bind(window_start_at(as_of, *days));
            push_select(&mut q, "k.entity_id", lo_hi, ids);
            q.push(" GROUP BY k.entity_id");
        }
        FactQuery::Rechecked { days, compliant } => {
            q = QueryBuilder::new(
                "SELECT k.entity_id, COUNT(*) AS v FROM outcomes o \
                 JOIN cases k ON k.id = o.case_id WHERE o.kind = 'rectification' \
                 AND o.compliant = ",
            );
            q.push_bind(*compliant);
            q.push(" AND o.rechecked_at >= ");
            q.push_bind(window_start_at(as_of, *days));
            push_select(&mut q, "k.entity_id", lo_hi, ids);
            q.push(" GROUP BY k.entity_id");
        }
        FactQuery::Listed(list) => {
            q = QueryBuilder::new(
                "SELECT entity_id, COUNT(*) AS v FROM credit_listings \
                 WHERE removed_on IS NULL AND list = ",
            );
            q.push_bind(list.code());
            push_select(&mut q, "entity_id", lo_hi, ids);
            q.push(" GROUP BY entity_id");
        }
        FactQuery::Evaluation { days } => {
            // The latest evaluation of each entity in the window (the newest day, then the
            // newest row of that day).
            q = QueryBuilder::new(
                "SELECT entity_id, CAST(score AS BIGINT) AS v FROM credit_evaluations \
                 WHERE evaluated_on >= ",
            );
            q.push_bind(window_start(as_of, *days));
            push_select(&mut q, "entity_id", lo_hi, ids);
            q.push(" ORDER BY entity_id, evaluated_on, id");
        }
        FactQuery::ComplaintsUpheld { days } => {
            q = QueryBuilder::new(
                "SELECT entity_id, COUNT(*) AS v FROM complaints WHERE entity_id IS NOT NULL \
                 AND upheld = ",
            );
            q.push_bind(true);
            q.push(" AND closed_at >= ");
            q.push_bind(window_start_at(as_of, *days));
            push_select(&mut q, "entity_id", lo_hi, ids);
            q.push(" GROUP BY entity_id");
        }
        FactQuery::CommitmentKept => {
            q = QueryBuilder::new(
                "SELECT entity_id, COUNT(*) AS v FROM credit_commitments WHERE broken_on IS NULL",
            );
            push_select(&mut q, "entity_id", lo_hi, ids);
            q.push(" GROUP BY entity_id");
        }
        FactQuery::BadgeValid => {
            q = QueryBuilder::new(
                "SELECT entity_id, COUNT(*) AS v FROM badges WHERE state = 'issued'",
            );
            push_select(&mut q, "entity_id", lo_hi, ids);
            q.push(" GROUP BY entity_id");
        }
    }
    q
}

impl SqlStore {
    async fn facts_of(
        &self,
        register: Vec<RegisterFacts>,
        lo_hi: Option<(i64, i64)>,
        ids: &[i64],
        queries: &[FactQuery],
        as_of: NaiveDate,
        out: &mut FactBatch,
    ) -> Result<()> {
        if register.is_empty() {
            return Ok(());
        }
        let findings: Vec<(usize, i64, domain::Severity, &[String])> = queries
            .iter()
            .enumerate()
            .filter_map(|(i, q)| match q {
                FactQuery::Findings {
                    days,
                    min_severity,
                    categories,
                } => Some((i, *days, *min_severity, categories.as_slice())),
                _ => None,
            })
            .collect();
        // The batch's queries run at once, each on a connection of the pool (readers do not
        // wait for each other, nor for the writer of the previous batch).
        let findings_rows = async {
            if findings.is_empty() {
                return Ok(Vec::new());
            }
            let mut q = findings_query(&findings, as_of, lo_hi, ids);
            q.build().fetch_all(&self.pool).await
        };
        let other_rows = futures::future::try_join_all(
            queries
                .iter()
                .enumerate()
                .filter(|(_, query)| !matches!(query, FactQuery::Findings { .. }))
                .map(|(i, query)| async move {
                    let mut q = fact_query(query, as_of, lo_hi, ids);
                    Ok::<_, sqlx::Error>((i, q.build().fetch_all(&self.pool).await?))
                }),
        );
        let (findings_rows, other_rows) = futures::try_join!(findings_rows, other_rows)?;
        for r in findings_rows {
            let e = EntityId(r.try_get("entity_id")?);
            for (n, (i, ..)) in findings.iter().enumerate() {
                let v = r
                    .try_get::<Option<i64>, _>(format!("v{n}").as_str())?
                    .unwrap_or(0);
                if v > 0 {
                    out.values[*i].push((e, v as f64));
                }
            }
        }
        if lo_hi.is_none() {
            for (i, ..) in &findings {
                out.values[*i].sort_by_key(|(e, _)| *e);
            }
        }
        for (i, rows) in other_rows {
            let list = &mut out.values[i];
            for r in &rows {
                let e = EntityId(r.try_get("entity_id")?);
                let v = r.try_get::<Option<i64>, _>("v")?.unwrap_or(0) as f64;
                // Evaluations come ordered, oldest first: the last row of an entity wins.
                match list.last_mut() {
                    Some(last) if last.0 == e => last.1 = v,
                    _ => list.push((e, v)),
                }
            }
            if lo_hi.is_none() {
                list.sort_by_key(|(e, _)| *e);
                list.dedup_by(|b, a| {
                    if a.0 == b.0 {
                        a.1 = b.1;
                        true
                    } else {
                        false
                    }
                });
            }
        }
        out.register.extend(register);
        Ok(())
    }

    async fn grade_rows(
        &self,
        table: &'static str,
        scope: &Scope,
        entity: EntityId,
    ) -> Result<Vec<DbRow>> {
        let mut q = QueryBuilder::new("SELECT ");
        q.push(GRADE_COLS);
        if table == "credit_grades" {
            q.push(", g.id");
        }
        q.push(" FROM ")
            .push(table)
            .push(" g JOIN entities e ON e.id = g.entity_id WHERE g.entity_id = ")
            .push_bind(entity.0);
        push_scope(&mut q, scope);
        if table == "credit_grades" {
            q.push(" ORDER BY g.id DESC");
        }
        Ok(q.build().fetch_all(&self.pool).await?)
    }
}

fn register_from_row(r: &DbRow) -> Result<RegisterFacts> {
    Ok(RegisterFacts {
        entity: EntityId(r.try_get("id")?),
        established: r.try_get("established")?,
        registered_capital: r.try_get("registered_capital")?,
        legal_form: r.try_get("legal_form")?,
        status: r.try_get("status")?,
    })
}

fn push_credit_filter(q: &mut QueryBuilder<Db>, scope: &Scope, f: &CreditFilter) {
    push_scope(q, scope);
    if let Some(c) = f.class {
        q.push(" AND g.class = ").push_bind(c.code());
    }
    if let Some(d) = f.district {
        q.push(" AND e.district = ").push_bind(d.to_string());
    }
}

#[async_trait]
impl CreditStore for SqlStore {
    async fn load_credit_index(&self, index: &NewIndexVersion, by: &Actor) -> Result<IndexLoad> {
        let mut tx = self.write_tx().await?;
        let current = sqlx::query(
            "SELECT id, version, name, sha256, body, loaded_at, loaded_by \
             FROM credit_index_versions ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(index_version_from_row)
        .transpose()?;
        if let Some(c) = current {
            if c.version == index.version && c.sha256 == index.sha256 {
                return Ok(IndexLoad::AlreadyInForce(c));
            }
        }
        let used: Option<String> =
            sqlx::query_scalar("SELECT sha256 FROM credit_index_versions WHERE version = $1")
                .bind(&index.version)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(sha) = used {
            return Err(StoreError::Conflict(if sha == index.sha256 {
                format!("index version {} was in force before", index.version)
            } else {
                format!(
                    "index version {} names another content (sha256 {sha})",
                    index.version
                )
            }));
        }
        let now = self.now();
        let row = sqlx::query(
            "INSERT INTO credit_index_versions (version, name, sha256, body, loaded_at, \
             loaded_by) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, version, name, sha256, body, loaded_at, loaded_by",
        )
        .bind(&index.version)
        .bind(&index.name)
        .bind(&index.sha256)
        .bind(&index.body)
        .bind(now)
        .bind(&by.name)
        .fetch_one(&mut *tx)
        .await?;
        let stored = index_version_from_row(&row)?;
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("credit_index:{}", index.version),
            "load",
            None,
            Some(serde_json::json!({
                "version": index.version,
                "name": index.name,
                "sha256": index.sha256,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(IndexLoad::Loaded(stored))
    }

    async fn current_credit_index(&self) -> Result<Option<IndexVersion>> {
        sqlx::query(
            "SELECT id, version, name, sha256, body, loaded_at, loaded_by \
             FROM credit_index_versions ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(index_version_from_row)
        .transpose()
    }

    async fn credit_index_versions(&self) -> Result<Vec<IndexVersion>> {
        sqlx::query(
            "SELECT id, version, name, sha256, body, loaded_at, loaded_by \
             FROM credit_index_versions ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(index_version_from_row)
        .collect()
    }

    async fn credit_facts(
        &self,
        select: &FactSelect,
        queries: &[FactQuery],
        as_of: NaiveDate,
    ) -> Result<FactBatch> {
        let mut out = FactBatch {
            register: Vec::new(),
            values: vec![Vec::new(); queries.len()],
        };
        const REGISTER: &str = "SELECT id, established, registered_capital, legal_form, status \
                                FROM entities WHERE ";
        match select {
            FactSelect::After { after, limit } => {
                let mut q = QueryBuilder::new(REGISTER);
                q.push("id > ")
                    .push_bind(*after)
                    .push(" ORDER BY id LIMIT ")
                    .push_bind(*limit);
                let register: Vec<RegisterFacts> = q
                    .build()
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(register_from_row)
                    .collect::<Result<_>>()?;
                let (Some(lo), Some(hi)) = (register.first(), register.last()) else {
                    return Ok(out);
                };
                let lo_hi = Some((lo.entity.0, hi.entity.0));
                self.facts_of(register, lo_hi, &[], queries, as_of, &mut out)
                    .await?;
            }
            FactSelect::Ids(ids) => {
                let mut ids: Vec<i64> = ids.iter().map(|e| e.0).collect();
                ids.sort_unstable();
                ids.dedup();
                for chunk in ids.chunks(ID_CHUNK) {
                    let mut q = QueryBuilder::new(REGISTER);
                    q.push("1 = 1");
                    push_select(&mut q, "id", None, chunk);
                    q.push(" ORDER BY id");
                    let register: Vec<RegisterFacts> = q
                        .build()
                        .fetch_all(&self.pool)
                        .await?
                        .iter()
                        .map(register_from_row)
                        .collect::<Result<_>>()?;
                    self.facts_of(register, None, chunk, queries, as_of, &mut out)
                        .await?;
                }
            }
        }
        Ok(out)
    }

    async fn credit_stale(&self, limit: i64) -> Result<Vec<(EntityId, DateTime<Utc>)>> {
        sqlx::query("SELECT entity_id, since FROM credit_stale ORDER BY since, entity_id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((EntityId(r.try_get("entity_id")?), r.try_get("since")?)))
            .collect()
    }

    async fn count_credit_stale(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM credit_stale")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn write_credit_grades(
        &self,
        grades: &[NewGrade],
        read_at: DateTime<Utc>,
    ) -> Result<GradeWrite> {
        let mut done = GradeWrite::default();
        if grades.is_empty() {
            return Ok(done);
        }
        let mut tx = self.write_tx().await?;
        for chunk in grades.chunks(WRITE_ROWS) {
            // What each entity had: an archive row only when score, class or version moved.
            let mut q = QueryBuilder::new(
                "SELECT entity_id, score, class, index_version FROM credit_scores \
                 WHERE 1 = 1",
            );
            let ids: Vec<i64> = chunk.iter().map(|g| g.entity.0).collect();
            push_select(&mut q, "entity_id", None, &ids);
            let mut before: HashMap<i64, (f64, String, String)> = HashMap::new();
            for r in q.build().fetch_all(&mut *tx).await? {
                before.insert(
                    r.try_get("entity_id")?,
                    (
                        r.try_get("score")?,
                        r.try_get("class")?,
                        r.try_get("index_version")?,
                    ),
                );
            }
            let changed: Vec<&NewGrade> = chunk
                .iter()
                .filter(|g| match before.get(&g.entity.0) {
                    None => true,
                    Some((score, class, version)) => {
                        (score - g.score).abs() > 1e-9
                            || class != g.class.code()
                            || *version != g.index_version
                    }
                })
                .collect();

            let mut q = QueryBuilder::new(
                "INSERT INTO credit_scores (entity_id, score, score_class, class, override, \
                 index_version, points, computed_at) ",
            );
            q.push_values(chunk, |mut b, g| {
                b.push_bind(g.entity.0)
                    .push_bind(g.score)
                    .push_bind(g.score_class.code())
                    .push_bind(g.class.code())
                    .push_bind(g.overridden.map(|o| o.code()))
                    .push_bind(g.index_version.clone())
                    .push_bind(g.points.clone())
                    .push_bind(g.computed_at);
            });
            q.push(
                " ON CONFLICT (entity_id) DO UPDATE SET score = excluded.score, \
                 score_class = excluded.score_class, class = excluded.class, \
                 override = excluded.override, index_version = excluded.index_version, \
                 points = excluded.points, computed_at = excluded.computed_at",
            );
            done.scored += q.build().execute(&mut *tx).await?.rows_affected();

            if !changed.is_empty() {
                let mut q = QueryBuilder::new(
                    "INSERT INTO credit_grades (entity_id, score, score_class, class, override, \
                     index_version, points, computed_at) ",
                );
                q.push_values(&changed, |mut b, g| {
                    b.push_bind(g.entity.0)
                        .push_bind(g.score)
                        .push_bind(g.score_class.code())
                        .push_bind(g.class.code())
                        .push_bind(g.overridden.map(|o| o.code()))
                        .push_bind(g.index_version.clone())
                        .push_bind(g.points.clone())
                        .push_bind(g.computed_at);
                });
                done.archived += q.build().execute(&mut *tx).await?.rows_affected();
            }

            let mut q = QueryBuilder::new("DELETE FROM credit_stale WHERE since <= ");
            q.push_bind(read_at);
            push_select(&mut q, "entity_id", None, &ids);
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn credit_grade(&self, scope: Scope, entity: EntityId) -> Result<Option<StoredGrade>> {
        self.grade_rows("credit_scores", &scope, entity)
            .await?
            .first()
            .map(|r| grade_from_row(r, false))
            .transpose()
    }

    async fn credit_history(&self, scope: Scope, entity: EntityId) -> Result<Vec<StoredGrade>> {
        self.grade_rows("credit_grades", &scope, entity)
            .await?
            .iter()
            .map(|r| grade_from_row(r, true))
            .collect()
    }

    async fn credit_distribution(&self, scope: Scope) -> Result<Vec<ClassCount>> {
        let mut q = QueryBuilder::new(
            "SELECT e.district, e.kind, g.class, COUNT(*) AS n FROM credit_scores g \
             JOIN entities e ON e.id = g.entity_id WHERE 1 = 1",
        );
        push_scope(&mut q, &scope);
        q.push(" GROUP BY e.district, e.kind, g.class ORDER BY e.district, e.kind, g.class");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let d: String = r.try_get("district")?;
                let k: String = r.try_get("kind")?;
                let c: String = r.try_get("class")?;
                Ok(ClassCount {
                    district: district(&d)?,
                    kind: site_kind(&k)?,
                    class: class(&c)?,
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }

    async fn list_credit_scores(
        &self,
        scope: Scope,
        filter: &CreditFilter,
    ) -> Result<Vec<ScoredEntity>> {
        let mut q = QueryBuilder::new("SELECT ");
        q.push(GRADE_COLS).push(
            ", e.uscc, e.name, e.district, e.kind FROM credit_scores g \
             JOIN entities e ON e.id = g.entity_id WHERE 1 = 1",
        );
        push_credit_filter(&mut q, &scope, filter);
        q.push(" ORDER BY g.score, g.entity_id");
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let d: String = r.try_get("district")?;
                let k: String = r.try_get("kind")?;
                let grade = grade_from_row(r, false)?;
                Ok(ScoredEntity {
                    entity: grade.entity,
                    uscc: r.try_get("uscc")?,
                    name: r.try_get("name")?,
                    district: district(&d)?,
                    kind: site_kind(&k)?,
                    grade,
                })
            })
            .collect()
    }

    async fn count_credit_scores(&self, scope: Scope, filter: &CreditFilter) -> Result<i64> {
        let mut q = QueryBuilder::new(
            "SELECT COUNT(*) FROM credit_scores g JOIN entities e ON e.id = g.entity_id \
             WHERE 1 = 1",
        );
        push_credit_filter(&mut q, &scope, filter);
        Ok(q.build_query_scalar().fetch_one(&self.pool).await?)
    }

    async fn credit_events(
        &self,
        scope: Scope,
        entity: EntityId,
        limit: i64,
    ) -> Result<CreditEvents> {
        let mut q = QueryBuilder::new("SELECT 1 FROM entities e WHERE e.id = ");
        q.push_bind(entity.0);
        push_scope(&mut q, &scope);
        if q.build().fetch_optional(&self.pool).await?.is_none() {
            return Ok(CreditEvents::default());
        }
        let findings = sqlx::query(
            "SELECT g.id, g.found_at, g.category, g.severity, g.triage, s.host FROM findings g \
             JOIN sites s ON s.id = g.site_id WHERE s.entity_id = $1 AND g.suppressed IS NULL \
             ORDER BY g.found_at DESC, g.id DESC LIMIT $2",
        )
        .bind(entity.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(FindingEvent {
                id: FindingId(r.try_get("id")?),
                found_at: r.try_get("found_at")?,
                category: r.try_get("category")?,
                severity: r.try_get("severity")?,
                triage: r.try_get("triage")?,
                host: r.try_get("host")?,
            })
        })
        .collect::<Result<_>>()?;
        let cases = sqlx::query(
            "SELECT id, number, opened_at, stage FROM cases WHERE entity_id = $1 \
             ORDER BY opened_at DESC, id DESC LIMIT $2",
        )
        .bind(entity.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(CaseEvent {
                id: CaseId(r.try_get("id")?),
                number: r.try_get("number")?,
                opened_at: r.try_get("opened_at")?,
                stage: r.try_get("stage")?,
            })
        })
        .collect::<Result<_>>()?;
        let outcomes = sqlx::query(
            "SELECT o.id, o.case_id, o.kind, o.created_at, o.fine_fen, o.rechecked_at, \
             o.compliant FROM outcomes o JOIN cases k ON k.id = o.case_id \
             WHERE k.entity_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT $2",
        )
        .bind(entity.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(OutcomeEvent {
                id: OutcomeId(r.try_get("id")?),
                case_id: CaseId(r.try_get("case_id")?),
                kind: r.try_get("kind")?,
                created_at: r.try_get("created_at")?,
                fine_fen: r.try_get("fine_fen")?,
                rechecked_at: r.try_get("rechecked_at")?,
                compliant: r.try_get("compliant")?,
            })
        })
        .collect::<Result<_>>()?;
        let listings = sqlx::query(
            "SELECT id, list, cause, listed_on, removed_on FROM credit_listings \
             WHERE entity_id = $1 ORDER BY listed_on DESC, id DESC LIMIT $2",
        )
        .bind(entity.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let l: String = r.try_get("list")?;
            Ok(ListingEvent {
                id: r.try_get("id")?,
                list: list_kind(&l)?,
                cause: r.try_get("cause")?,
                listed_on: r.try_get("listed_on")?,
                removed_on: r.try_get("removed_on")?,
            })
        })
        .collect::<Result<_>>()?;
        let evaluations = sqlx::query(
            "SELECT id, CAST(score AS BIGINT) AS score, evaluated_on FROM credit_evaluations \
             WHERE entity_id = $1 ORDER BY evaluated_on DESC, id DESC LIMIT $2",
        )
        .bind(entity.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(EvaluationEvent {
                id: r.try_get("id")?,
                score: r.try_get("score")?,
                evaluated_on: r.try_get("evaluated_on")?,
            })
        })
        .collect::<Result<_>>()?;
        let commitments = sqlx::query(
            "SELECT id, made_on, broken_on FROM credit_commitments WHERE entity_id = $1 \
             ORDER BY made_on DESC, id DESC LIMIT $2",
        )
        .bind(entity.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(CommitmentEvent {
                id: r.try_get("id")?,
                made_on: r.try_get("made_on")?,
                broken_on: r.try_get("broken_on")?,
            })
        })
        .collect::<Result<_>>()?;
        Ok(CreditEvents {
            findings,
            cases,
            outcomes,
            listings,
            evaluations,
            commitments,
        })
    }
}
