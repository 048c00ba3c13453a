//! Fetches and the findings on them.

use super::*;

/// The counter of fetches in commit order (`fetches.seq`).
const FETCH_SEQ: &str = "fetch_seq";
use crate::FetchStore;
use async_trait::async_trait;

#[async_trait]
impl FetchStore for SqlStore {
    async fn record_fetch(&self, fetch: &NewFetch, findings: &[NewFinding]) -> Result<FetchId> {
        let mut tx = self.write_tx().await?;
        let id = insert_fetch(&mut tx, fetch).await?;
        insert_findings(&mut tx, findings, Some(id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn record_findings(&self, findings: &[NewFinding]) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let n = insert_findings(&mut tx, findings, None).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn fetched_urls(
        &self,
        scope: Scope,
        sweep: SweepId,
        site: SiteId,
    ) -> Result<Vec<String>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT f.url",
            fetch_from!(),
            " WHERE f.sweep_id = "
        ));
        q.push_bind(sweep.0)
            .push(" AND f.site_id = ")
            .push_bind(site.0);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY f.id");
        Ok(q.build_query_scalar().fetch_all(&self.pool).await?)
    }

    async fn site_fetches(&self, scope: Scope, site: SiteId, limit: i64) -> Result<Vec<Fetch>> {
        self.fetches_where(
            "f.site_id",
            site.0,
            scope,
            "f.fetched_at DESC, f.id DESC",
            limit,
        )
        .await
    }

    async fn sweep_fetches(&self, scope: Scope, sweep: SweepId) -> Result<Vec<Fetch>> {
        self.fetches_where("f.sweep_id", sweep.0, scope, "f.id", 0)
            .await
    }

    async fn pages_after(&self, scope: Scope, after: i64, limit: i64) -> Result<Vec<IndexedPage>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            fetch_cols!(),
            ", f.seq, e.district",
            fetch_from!(),
            " WHERE f.status = 200 AND LOWER(f.content_type) LIKE 'text/html%' \
                AND f.revisit_of IS NULL AND f.seq > "
        ));
        q.push_bind(after);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY f.seq LIMIT ").push_bind(limit.max(1));
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(IndexedPage {
                    seq: r.try_get("seq")?,
                    fetch: fetch_from_row(r)?,
                    district: opt_district(r.try_get("district")?)?,
                })
            })
            .collect()
    }

    async fn last_validators(
        &self,
        scope: Scope,
        site: SiteId,
        before: SweepId,
    ) -> Result<Vec<KnownPage>> {
        // Per URL, the newest fetch with a response in an earlier sweep.
        let mut q = QueryBuilder::new(
            "SELECT f.url, f.status, f.content_type, f.etag, f.last_modified, f.payload_digest, \
                    o.id AS o_id, o.warc_record_id AS o_record_id, o.fetched_at AS o_fetched_at, \
                    o.payload_digest AS o_payload_digest \
             FROM fetches f JOIN sites s ON s.id = f.site_id \
             LEFT JOIN entities e ON e.id = s.entity_id \
             LEFT JOIN fetches o ON o.id = COALESCE(f.revisit_of, f.id) \
                  AND o.status = 200 AND o.warc_record_id IS NOT NULL \
             WHERE f.status IS NOT NULL \
               AND f.id = (SELECT MAX(p.id) FROM fetches p WHERE p.site_id = f.site_id \
                           AND p.url = f.url AND p.sweep_id < ",
        );
        q.push_bind(before.0)
            .push(" AND p.status IS NOT NULL) AND f.site_id = ")
            .push_bind(site.0)
            .push(" AND f.sweep_id < ")
            .push_bind(before.0);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY f.url");
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(KnownPage {
                    url: r.try_get("url")?,
                    status: r.try_get("status")?,
                    content_type: r.try_get("content_type")?,
                    etag: r.try_get("etag")?,
                    last_modified: r.try_get("last_modified")?,
                    payload_digest: r.try_get("payload_digest")?,
                    original: match r.try_get::<Option<i64>, _>("o_id")? {
                        None => None,
                        Some(id) => Some(OriginalCapture {
                            fetch: FetchId(id),
                            record_id: r.try_get("o_record_id")?,
                            fetched_at: r.try_get("o_fetched_at")?,
                            payload_digest: r.try_get("o_payload_digest")?,
                        }),
                    },
                })
            })
            .collect()
    }

    async fn site_history(
        &self,
        scope: Scope,
        site: SiteId,
        limit: i64,
    ) -> Result<Vec<PageHistory>> {
        // Each fetch with the previous fetch of its URL: the newest one with a response in an
        // earlier sweep (the definition `PageChange::classify` documents).
        let mut q = QueryBuilder::new(
            "SELECT f.id, f.url, f.sweep_id, f.fetched_at, f.status, f.payload_digest, \
                    f.warc_file, \
                    p.status AS prev_status, p.payload_digest AS prev_digest \
             FROM fetches f JOIN sites s ON s.id = f.site_id \
             LEFT JOIN entities e ON e.id = s.entity_id \
             LEFT JOIN fetches p ON p.id = (SELECT MAX(q.id) FROM fetches q \
                 WHERE q.site_id = f.site_id AND q.url = f.url AND q.sweep_id < f.sweep_id \
                   AND q.status IS NOT NULL) \
             WHERE f.site_id = ",
        );
        q.push_bind(site.0);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY f.sweep_id DESC, f.id DESC");
        push_page(&mut q, limit, 0);
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let status: Option<i32> = r.try_get("status")?;
            let digest: Option<String> = r.try_get("payload_digest")?;
            let prev_status: Option<i32> = r.try_get("prev_status")?;
            let prev_digest: Option<String> = r.try_get("prev_digest")?;
            let change = PageChange::classify(
                status,
                digest.as_deref(),
                prev_status.map(|s| (s, prev_digest.as_deref())),
            );
            out.push(PageHistory {
                fetch_id: FetchId(r.try_get("id")?),
                url: r.try_get("url")?,
                sweep_id: SweepId(r.try_get("sweep_id")?),
                fetched_at: r.try_get("fetched_at")?,
                status,
                payload_digest: digest,
                change,
                has_evidence: r.try_get::<Option<String>, _>("warc_file")?.is_some(),
            });
        }
        Ok(out)
    }

    async fn fetch(&self, scope: Scope, id: FetchId) -> Result<Option<Fetch>> {
        Ok(self
            .fetches_where("f.id", id.0, scope, "f.id", 1)
            .await?
            .pop())
    }

    async fn finding(&self, scope: Scope, id: FindingId) -> Result<Option<Finding>> {
        let mut q = finding_query(id, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(finding_from_row)
            .transpose()
    }

    async fn list_findings(&self, scope: Scope, filter: &FindingFilter) -> Result<Vec<Finding>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            finding_cols!(),
            " FROM findings g JOIN sites s ON s.id = g.site_id \
              LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1"
        ));
        push_finding_filter(&mut q, scope, filter);
        push_order(
            &mut q,
            filter.sort,
            |k| {
                use crate::sort::FindingSort as K;
                vec![match k {
                    K::Id => "g.id".into(),
                    K::Severity => rank("g.severity", Severity::ALL.iter().map(|s| s.code())),
                    K::Category => "g.category".into(),
                    K::Site => "s.host".into(),
                    K::Url => "g.url".into(),
                    K::Location => "g.location".into(),
                    K::Rule => "g.rule_id".into(),
                    K::FoundAt => "g.found_at".into(),
                    K::Triage => rank("g.triage", Triage::ALL.iter().map(|t| t.code())),
                }]
            },
            "g.id",
            "g.id DESC",
        );
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(finding_from_row)
            .collect()
    }

    async fn count_findings(&self, scope: Scope, filter: &FindingFilter) -> Result<i64> {
        // Named field by field, so that a new filter cannot slip past the shortcut below.
        let FindingFilter {
            category,
            triage,
            district,
            severity,
            site_id,
            sweep_id,
            suppressed,
            sort: _,
            limit: _,
            offset: _,
            count_up_to,
        } = filter;
        let every_live = matches!(scope, Scope::City)
            && category.is_none()
            && triage.is_none()
            && district.is_none()
            && severity.is_none()
            && site_id.is_none()
            && sweep_id.is_none()
            && !suppressed;
        if every_live && count_up_to.is_none() {
            // The list's first page, city-wide: every finding less the suppressed ones. SQLite
            // counts a whole table from its smallest index and the suppressed from their
            // partial index, where `suppressed IS NULL` made it read every row (11 ms at
            // 62,000 findings, 0.1 ms this way). A count with a bound (a list page's) reads up
            // to its bound instead: both whole-table counts grow with the city.
            return Ok(sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM findings) \
                 - (SELECT COUNT(*) FROM findings WHERE suppressed IS NOT NULL)",
            )
            .fetch_one(&self.pool)
            .await?);
        }
        // The site and its entity are joined only for a district (the scope's or the
        // filter's): every finding has its site (a foreign key), so city-wide the joins
        // change no count, and without them the count reads the findings alone (five times
        // fewer rows visited on a city's list page).
        let by_district = !matches!(scope, Scope::City) || filter.district.is_some();
        let from = if by_district {
            " FROM findings g JOIN sites s ON s.id = g.site_id \
             LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1"
        } else {
            " FROM findings g WHERE 1 = 1"
        };
        count_rows(&self.pool, from, *count_up_to, |q| {
            push_finding_filter(q, scope, filter)
        })
        .await
    }

    async fn finding_counts(&self, scope: Scope) -> Result<Vec<CategoryCount>> {
        let mut q = QueryBuilder::new(
            "SELECT g.category, e.district, COUNT(*) AS n FROM findings g \
             JOIN sites s ON s.id = g.site_id LEFT JOIN entities e ON e.id = s.entity_id \
             WHERE g.suppressed IS NULL",
        );
        push_scope(&mut q, &scope);
        q.push(" GROUP BY g.category, e.district ORDER BY g.category, e.district");
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let category: String = r.try_get("category")?;
            out.push(CategoryCount {
                category: Category::from_str(&category)
                    .map_err(|e| corrupt("category", &category, e))?,
                district: opt_district(r.try_get("district")?)?,
                count: r.try_get("n")?,
            });
        }
        // Order by the taxonomy's order, not the codes' spelling.
        out.sort_by_key(|c| (c.category, c.district));
        Ok(out)
    }

    async fn triage_finding(
        &self,
        scope: Scope,
        id: FindingId,
        decision: &TriageDecision,
        by: &Actor,
    ) -> Result<Finding> {
        let mut tx = self.write_tx().await?;
        let mut q = finding_query(id, &scope);
        let before = q
            .build()
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(finding_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("finding {id}")))?;
        let now = self.now();
        sqlx::query(
            "UPDATE findings SET triage = $1, triage_reason = $2, triaged_by = $3, \
             triaged_at = $4 WHERE id = $5",
        )
        .bind(decision.decision.code())
        .bind(&decision.reason)
        .bind(by.user.map(|u| u.0))
        .bind(now)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        mark_credit_stale_sites(&mut tx, &[before.finding.site_id], now).await?;
        let value = |t: Triage, r: &Option<String>| serde_json::json!({ "triage": t, "reason": r });
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("finding:{id}"),
            "triage",
            Some(value(before.triage, &before.triage_reason)),
            Some(value(decision.decision, &decision.reason)),
        )
        .await?;
        tx.commit().await?;
        Ok(Finding {
            triage: decision.decision,
            triage_reason: decision.reason.clone(),
            ..before
        })
    }

    async fn rule_triage(&self, scope: Scope) -> Result<Vec<RuleTriage>> {
        let mut q = QueryBuilder::new(
            "SELECT g.rule_id, CASE WHEN g.suppressed IS NULL THEN g.triage ELSE 'suppressed' END \
             AS triage, COUNT(*) AS n FROM findings g \
             JOIN sites s ON s.id = g.site_id LEFT JOIN entities e ON e.id = s.entity_id \
             WHERE 1 = 1",
        );
        push_scope(&mut q, &scope);
        q.push(" GROUP BY g.rule_id, 2 ORDER BY g.rule_id");
        let mut out: Vec<RuleTriage> = Vec::new();
        for r in q.build().fetch_all(&self.pool).await? {
            let rule: String = r.try_get("rule_id")?;
            let triage: String = r.try_get("triage")?;
            let n: i64 = r.try_get("n")?;
            if out.last().is_none_or(|l| l.rule_id != rule) {
                out.push(RuleTriage {
                    rule_id: rule,
                    open: 0,
                    confirmed: 0,
                    dismissed: 0,
                    false_positive: 0,
                    suppressed: 0,
                });
            }
            let row = out.last_mut().expect("pushed above");
            if triage == "suppressed" {
                row.suppressed += n;
                continue;
            }
            match Triage::from_str(&triage).map_err(|e| corrupt("triage", &triage, e))? {
                Triage::Open => row.open += n,
                Triage::Confirmed => row.confirmed += n,
                Triage::Dismissed => row.dismissed += n,
                Triage::FalsePositive => row.false_positive += n,
            }
        }
        Ok(out)
    }

    async fn totals(&self, scope: Scope) -> Result<Totals> {
        let count = |sql: &'static str| {
            let scope = &scope;
            async move {
                let mut q = QueryBuilder::<Db>::new(sql);
                push_scope(&mut q, scope);
                let n: i64 = q.build_query_scalar().fetch_one(&self.pool).await?;
                Ok::<_, StoreError>(n)
            }
        };
        Ok(Totals {
            entities: count("SELECT COUNT(*) FROM entities e WHERE 1 = 1").await?,
            sites: count(
                "SELECT COUNT(*) FROM sites s LEFT JOIN entities e ON e.id = s.entity_id \
                 WHERE 1 = 1",
            )
            .await?,
            fetches: count(
                "SELECT COUNT(*) FROM fetches f JOIN sites s ON s.id = f.site_id \
                 LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1",
            )
            .await?,
            findings: count(
                "SELECT COUNT(*) FROM findings g JOIN sites s ON s.id = g.site_id \
                 LEFT JOIN entities e ON e.id = s.entity_id WHERE g.suppressed IS NULL",
            )
            .await?,
            sweeps: sqlx::query_scalar("SELECT COUNT(*) FROM sweeps")
                .fetch_one(&self.pool)
                .await?,
        })
    }
}

impl SqlStore {
    /// The fetches in `scope` whose `column` is `value`, ordered by `order`, at most `limit`
    /// (0: all).
    async fn fetches_where(
        &self,
        column: &'static str,
        value: i64,
        scope: Scope,
        order: &'static str,
        limit: i64,
    ) -> Result<Vec<Fetch>> {
        let mut q = QueryBuilder::new(concat!("SELECT ", fetch_cols!(), fetch_from!(), " WHERE "));
        q.push(column).push(" = ").push_bind(value);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY ").push(order);
        push_page(&mut q, limit, 0);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(fetch_from_row)
            .collect()
    }
}

/// The finding `id` if it is in `scope`.
fn finding_query(id: FindingId, scope: &Scope) -> QueryBuilder<Db> {
    let mut q = QueryBuilder::new(concat!(
        "SELECT ",
        finding_cols!(),
        " FROM findings g JOIN sites s ON s.id = g.site_id \
          LEFT JOIN entities e ON e.id = s.entity_id WHERE g.id = "
    ));
    q.push_bind(id.0);
    push_scope(&mut q, scope);
    q
}

fn push_finding_filter(q: &mut QueryBuilder<Db>, scope: Scope, f: &FindingFilter) {
    push_scope(q, &scope);
    if let Some(c) = f.category {
        q.push(" AND g.category = ").push_bind(c.code());
    }
    if let Some(d) = f.district {
        q.push(" AND e.district = ").push_bind(d.to_string());
    }
    if let Some(s) = f.severity {
        q.push(" AND g.severity = ").push_bind(s.code());
    }
    if let Some(s) = f.site_id {
        q.push(" AND g.site_id = ").push_bind(s.0);
    }
    if let Some(t) = f.triage {
        q.push(" AND g.triage = ").push_bind(t.code());
    }
    if let Some(s) = f.sweep_id {
        q.push(" AND g.sweep_id = ").push_bind(s.0);
    }
    q.push(if f.suppressed {
        " AND g.suppressed IS NOT NULL"
    } else {
        " AND g.suppressed IS NULL"
    });
}

/// Inserts one fetch row.
pub(super) async fn insert_fetch(tx: &mut Tx, fetch: &NewFetch) -> Result<FetchId> {
    let ev = fetch.evidence.as_ref();
    // The fetch's place in commit order (see `IndexedPage::seq`).
    let seq = advance_counter(tx, FETCH_SEQ, 1).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO fetches (sweep_id, site_id, url, fetched_at, status, content_type, bytes, \
         payload_digest, error, warc_file, warc_offset, warc_digest, etag, last_modified, \
         warc_record_id, revisit_of, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         RETURNING id",
    )
    .bind(fetch.sweep_id.0)
    .bind(fetch.site_id.0)
    .bind(&fetch.url)
    .bind(fetch.fetched_at)
    .bind(fetch.status)
    .bind(&fetch.content_type)
    .bind(fetch.bytes)
    .bind(&fetch.payload_digest)
    .bind(&fetch.error)
    .bind(ev.map(|e| e.warc_file.clone()))
    .bind(ev.map(|e| e.offset))
    .bind(ev.map(|e| e.digest.clone()))
    .bind(&fetch.etag)
    .bind(&fetch.last_modified)
    .bind(&fetch.record_id)
    .bind(fetch.revisit_of.map(|f| f.0))
    .bind(seq)
    .fetch_one(&mut **tx)
    .await?;
    Ok(FetchId(id))
}

/// Inserts findings, skipping those already stored for the same site, rule and excerpt.
/// Returns how many were new.
pub(super) async fn insert_findings(
    tx: &mut Tx,
    findings: &[NewFinding],
    fetch_id: Option<FetchId>,
) -> Result<u64> {
    let mut inserted = 0;
    let mut sites: Vec<SiteId> = Vec::new();
    let mut latest: Option<DateTime<Utc>> = None;
    for f in findings {
        let ev = f.evidence.as_ref();
        let done = sqlx::query(
            "INSERT INTO findings (sweep_id, site_id, fetch_id, url, category, rule_id, \
             rule_pack, severity, excerpt, location, warc_file, warc_offset, warc_digest, found_at, \
             suppressed, suppressed_detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT (site_id, rule_id, excerpt) DO NOTHING",
        )
        .bind(f.sweep_id.0)
        .bind(f.site_id.0)
        .bind(fetch_id.or(f.fetch_id).map(|i| i.0))
        .bind(&f.url)
        .bind(f.category.code())
        .bind(&f.rule_id)
        .bind(&f.rule_pack)
        .bind(f.severity.code())
        .bind(&f.excerpt)
        .bind(&f.location)
        .bind(ev.map(|e| e.warc_file.clone()))
        .bind(ev.map(|e| e.offset))
        .bind(ev.map(|e| e.digest.clone()))
        .bind(f.found_at)
        .bind(f.suppressed.as_ref().map(|x| x.reason.code()))
        .bind(f.suppressed.as_ref().map(|x| x.detail.clone()))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() > 0 {
            inserted += done.rows_affected();
            if !sites.contains(&f.site_id) {
                sites.push(f.site_id);
            }
            latest = latest.max(Some(f.found_at));
        }
    }
    // A new finding changes the `findings` source of the site's entity.
    if let Some(at) = latest {
        mark_credit_stale_sites(tx, &sites, at).await?;
    }
    Ok(inserted)
}
