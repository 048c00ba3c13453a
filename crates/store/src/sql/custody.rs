//! The chain of custody.

use super::*;
use crate::CustodyStore;
use async_trait::async_trait;
use std::collections::HashMap;

#[async_trait]
impl CustodyStore for SqlStore {
    async fn append_custody(&self, entry: &NewCustody) -> Result<CustodyRecord> {
        // The read of the last hash and the insert hold the backend's custody lock together,
        // so two writers cannot chain onto the same row.
        let mut tx = self.write_tx().await?;
        serialize_custody(&mut tx).await?;
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT id, hash FROM custody ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        let (id, prev_hash) = match last {
            Some((id, hash)) => (id + 1, hash),
            None => (1, GENESIS_HASH.to_string()),
        };
        let at = custody_time(self.now());
        let hash = custody_hash(
            id,
            at,
            &entry.actor,
            entry.action,
            &entry.subject,
            &entry.reason,
            &prev_hash,
        );
        sqlx::query(
            "INSERT INTO custody (id, at, actor, action, subject, reason, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(at)
        .bind(&entry.actor)
        .bind(entry.action.code())
        .bind(&entry.subject)
        .bind(&entry.reason)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CustodyRecord {
            id,
            at,
            actor: entry.actor.clone(),
            action: entry.action,
            subject: entry.subject.clone(),
            reason: entry.reason.clone(),
            prev_hash,
            hash,
        })
    }

    async fn custody(&self, filter: &CustodyFilter) -> Result<Vec<CustodyRecord>> {
        if filter.scope == Scope::City {
            let mut rows = self
                .custody_newest(&filter.subjects, None, filter.limit)
                .await?;
            rows.reverse();
            return Ok(rows);
        }
        // Newest first, a page at a time, keeping the rows whose subject is in scope (each
        // subject judged once) until `limit` are kept.
        let mut kept = Vec::new();
        let mut judged: HashMap<String, bool> = HashMap::new();
        let mut before = None;
        'pages: loop {
            let page = self
                .custody_newest(&filter.subjects, before, CUSTODY_PAGE)
                .await?;
            let last_page = (page.len() as i64) < CUSTODY_PAGE;
            for row in page {
                before = Some(row.id);
                let in_scope = match judged.get(&row.subject) {
                    Some(&b) => b,
                    None => {
                        let b = self.subject_in_scope(&filter.scope, &row.subject).await?;
                        judged.insert(row.subject.clone(), b);
                        b
                    }
                };
                if in_scope {
                    kept.push(row);
                    if filter.limit > 0 && kept.len() as i64 >= filter.limit {
                        break 'pages;
                    }
                }
            }
            if last_page {
                break;
            }
        }
        kept.reverse();
        Ok(kept)
    }

    async fn custody_head(&self) -> Result<CustodyHead> {
        // One statement: one snapshot on either engine, so the count and the hash agree.
        let (count, hash): (i64, Option<String>) = sqlx::query_as(
            "SELECT COUNT(*), (SELECT hash FROM custody ORDER BY id DESC LIMIT 1) FROM custody",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(match hash {
            Some(hash) if count > 0 => CustodyHead {
                count: count as u64,
                hash,
            },
            _ => CustodyHead::empty(),
        })
    }
}

/// Rows read per page when a scope filters custody rows.
const CUSTODY_PAGE: i64 = 500;

impl SqlStore {
    /// Custody rows about any of `subjects` (all when empty) with ids below `before`, newest
    /// first, at most `limit` (0 or less: all).
    async fn custody_newest(
        &self,
        subjects: &[String],
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CustodyRecord>> {
        let mut q = QueryBuilder::new(
            "SELECT id, at, actor, action, subject, reason, prev_hash, hash FROM custody \
             WHERE 1 = 1",
        );
        if !subjects.is_empty() {
            q.push(" AND subject IN (");
            let mut list = q.separated(", ");
            for s in subjects {
                list.push_bind(s.clone());
            }
            q.push(")");
        }
        if let Some(id) = before {
            q.push(" AND id < ").push_bind(id);
        }
        q.push(" ORDER BY id DESC");
        push_page(&mut q, limit, 0);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(custody_from_row)
            .collect()
    }

    /// Whether a custody row about `subject` (its stored text) is in `scope`: the rules
    /// [`CustodyFilter`] documents.
    async fn subject_in_scope(&self, scope: &Scope, subject: &str) -> Result<bool> {
        let Ok(subject) = subject.parse::<CustodySubject>() else {
            return Ok(false);
        };
        Ok(match subject {
            CustodySubject::Record { warc_file, offset } => {
                const FETCHES: &str = "SELECT COUNT(*) FROM fetches f JOIN sites s \
                     ON s.id = f.site_id LEFT JOIN entities e ON e.id = s.entity_id \
                     WHERE f.warc_file = ";
                let exact = |q: &mut QueryBuilder<Db>| {
                    q.push_bind(warc_file.clone())
                        .push(" AND f.warc_offset = ")
                        .push_bind(offset);
                };
                let (all, mine) = self.counts(scope, FETCHES, exact).await?;
                if all > 0 {
                    mine > 0
                } else {
                    let file = |q: &mut QueryBuilder<Db>| {
                        q.push_bind(warc_file.clone());
                    };
                    let (all, mine) = self.counts(scope, FETCHES, file).await?;
                    all > 0 && mine == all
                }
            }
            CustodySubject::Site(a) => {
                let (_, mine) = self
                    .counts(
                        scope,
                        "SELECT COUNT(*) FROM sites s LEFT JOIN entities e \
                         ON e.id = s.entity_id WHERE s.host = ",
                        |q| {
                            q.push_bind(a.host.clone())
                                .push(" AND s.path_prefix = ")
                                .push_bind(a.path_prefix.clone());
                        },
                    )
                    .await?;
                mine > 0
            }
            CustodySubject::Clue(id) => {
                let (_, mine) = self
                    .counts(
                        scope,
                        "SELECT COUNT(*) FROM clues c JOIN sites s ON s.id = c.site_id \
                         LEFT JOIN entities e ON e.id = s.entity_id WHERE c.id = ",
                        |q| {
                            q.push_bind(id.0);
                        },
                    )
                    .await?;
                mine > 0
            }
            CustodySubject::Sweep(id) => {
                let (all, mine) = self
                    .counts(
                        scope,
                        "SELECT COUNT(*) FROM sweep_sites ss JOIN sites s ON s.id = ss.site_id \
                         LEFT JOIN entities e ON e.id = s.entity_id WHERE ss.sweep_id = ",
                        |q| {
                            q.push_bind(id.0);
                        },
                    )
                    .await?;
                all > 0 && mine == all
            }
            CustodySubject::Attachment(sha) => {
                let mut q = QueryBuilder::<Db>::new(
                    "SELECT COUNT(*) FROM attachments a JOIN inspections i \
                     ON i.id = a.inspection_id WHERE a.sha256 = ",
                );
                q.push_bind(sha);
                super::inspections::push_inspection_scope(&mut q, scope);
                let mine: i64 = q.build_query_scalar().fetch_one(&self.pool).await?;
                mine > 0
            }
        })
    }

    /// How many rows `head` (a `SELECT COUNT(*) … WHERE …` over `sites s` and `entities e`,
    /// ending where `bind` pushes its values) counts: in all, and in `scope`.
    async fn counts(
        &self,
        scope: &Scope,
        head: &'static str,
        bind: impl Fn(&mut QueryBuilder<Db>),
    ) -> Result<(i64, i64)> {
        let mut all = QueryBuilder::new(head);
        bind(&mut all);
        let all: i64 = all.build_query_scalar().fetch_one(&self.pool).await?;
        let mut mine = QueryBuilder::new(head);
        bind(&mut mine);
        push_scope(&mut mine, scope);
        let mine: i64 = mine.build_query_scalar().fetch_one(&self.pool).await?;
        Ok((all, mine))
    }
}
