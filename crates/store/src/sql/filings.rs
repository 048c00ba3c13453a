//! Other departments' filings and their joins to entities.

use super::*;
use crate::FilingStore;
use async_trait::async_trait;
use domain::address::bare_host;

macro_rules! filing_cols {
    () => {
        "f.id, f.source, f.record_key, f.kind, f.uscc, f.domain, f.name, f.number, f.scope, \
         f.valid_from, f.valid_until, f.status, f.address, f.fields, f.entity_id, f.joined_by, \
         f.imported_at, f.updated_at"
    };
}

fn filing_from_row(r: &DbRow) -> Result<Filing> {
    let fields: String = r.try_get("fields")?;
    let joined: Option<String> = r.try_get("joined_by")?;
    Ok(Filing {
        id: r.try_get("id")?,
        input: FilingInput {
            source: r.try_get("source")?,
            record_key: r.try_get("record_key")?,
            kind: r.try_get("kind")?,
            uscc: r.try_get("uscc")?,
            domain: r.try_get("domain")?,
            name: r.try_get("name")?,
            number: r.try_get("number")?,
            scope: r.try_get("scope")?,
            valid_from: r.try_get("valid_from")?,
            valid_until: r.try_get("valid_until")?,
            status: r.try_get("status")?,
            address: r.try_get("address")?,
            fields: serde_json::from_str(&fields).map_err(|e| corrupt("fields", &fields, e))?,
        },
        entity_id: r.try_get::<Option<i64>, _>("entity_id")?.map(EntityId),
        joined_by: match joined.as_deref() {
            None => None,
            Some("uscc") => Some(JoinedBy::Uscc),
            Some("domain") => Some(JoinedBy::Domain),
            Some(other) => return Err(corrupt("joined_by", other, "unknown")),
        },
        // Filled in by the caller (`domain_owner`).
        domain_entity: None,
        imported_at: r.try_get("imported_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

#[async_trait]
impl FilingStore for SqlStore {
    async fn upsert_filings(&self, batch: &[FilingInput]) -> Result<Vec<(Upsert, Filing)>> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let mut out = Vec::with_capacity(batch.len());
        for f in batch {
            let (entity_id, joined_by) = join_filing(&mut tx, f).await?;
            let existing = sqlx::query(concat!(
                "SELECT ",
                filing_cols!(),
                " FROM filings f WHERE f.source = $1 AND f.record_key = $2"
            ))
            .bind(&f.source)
            .bind(&f.record_key)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(filing_from_row)
            .transpose()?;
            let before_entity = existing.as_ref().and_then(|e| e.entity_id);
            let outcome = match existing {
                Some(e) if e.input == *f && e.entity_id == entity_id => Upsert::Unchanged,
                Some(e) => {
                    bind_filing(
                        sqlx::query(
                            "UPDATE filings SET kind = $3, uscc = $4, domain = $5, name = $6, \
                             number = $7, scope = $8, valid_from = $9, valid_until = $10, \
                             status = $11, address = $12, fields = $13, entity_id = $14, \
                             joined_by = $15, updated_at = $16 WHERE id = $1 AND source = $2",
                        )
                        .bind(e.id)
                        .bind(&f.source),
                        f,
                        entity_id,
                        joined_by,
                        now,
                    )
                    .execute(&mut *tx)
                    .await?;
                    Upsert::Updated
                }
                None => {
                    bind_filing(
                        sqlx::query(
                            "INSERT INTO filings (source, record_key, kind, uscc, domain, name, \
                             number, scope, valid_from, valid_until, status, address, fields, \
                             entity_id, joined_by, updated_at, imported_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                             $14, $15, $16, $16)",
                        )
                        .bind(&f.source)
                        .bind(&f.record_key),
                        f,
                        entity_id,
                        joined_by,
                        now,
                    )
                    .execute(&mut *tx)
                    .await?;
                    Upsert::Created
                }
            };
            let stored = sqlx::query(concat!(
                "SELECT ",
                filing_cols!(),
                " FROM filings f WHERE f.source = $1 AND f.record_key = $2"
            ))
            .bind(&f.source)
            .bind(&f.record_key)
            .fetch_one(&mut *tx)
            .await?;
            let mut stored = filing_from_row(&stored)?;
            if outcome != Upsert::Unchanged {
                // `permits.expired` reads filings: the entity joined now and the one before.
                let mut touched: Vec<EntityId> = stored.entity_id.into_iter().collect();
                if let Some(before) = before_entity.filter(|b| Some(*b) != stored.entity_id) {
                    touched.push(before);
                }
                mark_credit_stale(&mut tx, &touched, now).await?;
            }
            if let Some(d) = &f.domain {
                stored.domain_entity = domain_owner(&mut *tx, &Scope::City, d).await?;
            }
            out.push((outcome, stored));
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn entity_filings(&self, scope: Scope, id: EntityId) -> Result<Vec<Filing>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            filing_cols!(),
            " FROM filings f JOIN entities e ON e.id = f.entity_id WHERE f.entity_id = "
        ));
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY f.source, f.record_key");
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut f = filing_from_row(r)?;
            if let Some(d) = &f.input.domain {
                f.domain_entity = domain_owner(&self.pool, &scope, d).await?;
            }
            out.push(f);
        }
        Ok(out)
    }

    async fn unsited_filings(&self) -> Result<Vec<Filing>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            filing_cols!(),
            " FROM filings f WHERE f.domain IS NOT NULL ORDER BY f.source, f.record_key"
        ))
        .fetch_all(&self.pool)
        .await?;
        // The addresses an entity's sites cover, read once (`domain_owner`'s rule: `www.` or
        // not, the same path prefix).
        let sited: std::collections::HashSet<(String, String)> = sqlx::query(
            "SELECT s.host, s.path_prefix FROM sites s JOIN entities e ON e.id = s.entity_id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let host: String = r.try_get("host")?;
            Ok((bare_host(&host).to_string(), r.try_get("path_prefix")?))
        })
        .collect::<Result<_>>()?;
        let mut out = Vec::new();
        for r in &rows {
            let f = filing_from_row(r)?;
            let covered = f
                .input
                .domain
                .as_deref()
                .and_then(|d| SiteAddress::parse(d).ok())
                .is_some_and(|a| sited.contains(&(bare_host(&a.host).to_string(), a.path_prefix)));
            if !covered {
                out.push(f);
            }
        }
        Ok(out)
    }
}

/// The entity a filing belongs to: by USCC, else by the register site of its domain.
async fn join_filing(tx: &mut Tx, f: &FilingInput) -> Result<(Option<EntityId>, Option<JoinedBy>)> {
    if let Some(uscc) = &f.uscc {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM entities WHERE uscc = $1")
            .bind(uscc)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(id) = id {
            return Ok((Some(EntityId(id)), Some(JoinedBy::Uscc)));
        }
    }
    if let Some(domain) = &f.domain {
        // The import joins for the whole bureau.
        if let Some((id, _)) = domain_owner(&mut **tx, &Scope::City, domain).await? {
            return Ok((Some(id), Some(JoinedBy::Domain)));
        }
    }
    Ok((None, None))
}

/// The registered entity whose site is `domain` (`host[/prefix]`; `www.` ignored), with its
/// name, when it is in `scope`.
async fn domain_owner<'e, E>(
    ex: E,
    scope: &Scope,
    domain: &str,
) -> Result<Option<(EntityId, String)>>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let Ok(a) = SiteAddress::parse(domain) else {
        return Ok(None);
    };
    let host = bare_host(&a.host);
    let mut q = QueryBuilder::new(
        "SELECT e.id, e.name FROM sites s JOIN entities e ON e.id = s.entity_id \
         WHERE (s.host = ",
    );
    q.push_bind(host)
        .push(" OR s.host = ")
        .push_bind(format!("www.{host}"))
        .push(") AND s.path_prefix = ")
        .push_bind(&a.path_prefix);
    push_scope(&mut q, scope);
    q.push(" ORDER BY s.id LIMIT 1");
    let row = q.build().fetch_optional(ex).await?;
    row.map(|r| Ok((EntityId(r.try_get("id")?), r.try_get("name")?)))
        .transpose()
}

fn bind_filing<'q>(
    q: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>,
    f: &'q FilingInput,
    entity: Option<EntityId>,
    joined: Option<JoinedBy>,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments> {
    q.bind(&f.kind)
        .bind(&f.uscc)
        .bind(&f.domain)
        .bind(&f.name)
        .bind(&f.number)
        .bind(&f.scope)
        .bind(f.valid_from)
        .bind(f.valid_until)
        .bind(&f.status)
        .bind(&f.address)
        .bind(json(&f.fields))
        .bind(entity.map(|e| e.0))
        .bind(joined.map(JoinedBy::code))
        .bind(now)
}
