//! The register's queries on SQLite: entities in bulk with their history, filings and their
//! joins, discovered sites. Portable SQL, as in the parent module.

use super::*;
use std::collections::{HashMap, HashSet};

/// Rows per multi-row INSERT: 22 parameters a row stays well under SQLite's 32,766.
const INSERT_ROWS: usize = 1000;
/// Keys per `IN (…)` list.
const IN_KEYS: usize = 900;

/// Columns an entity INSERT names, in the order `push_entity` binds them.
const ENTITY_INSERT: &str = "INSERT INTO entities (uscc, needs_review, name, kind, district, \
     address, domains, icp, food_permit, legal_rep, phone, extra, created_at, updated_at, \
     legal_form, former_names, business_address, registered_capital, established, status, rev) ";

fn established(input: &EntityInput) -> Option<String> {
    input.established.map(|d| d.to_string())
}

macro_rules! discovered_cols {
    () => {
        "d.id, d.host, d.path_prefix, d.first_sweep, d.first_seen, d.last_seen, d.evidence, \
         d.sightings, d.shown, d.site_id, d.proposed_entity_id, d.proposal_reason, d.state, \
         d.decided_by, d.decided_at"
    };
}

macro_rules! filing_cols {
    () => {
        "f.id, f.source, f.record_key, f.kind, f.uscc, f.domain, f.name, f.number, f.scope, \
         f.valid_from, f.valid_until, f.status, f.address, f.fields, f.entity_id, f.joined_by, \
         f.imported_at, f.updated_at"
    };
}

fn opt_date(r: &SqliteRow, col: &str) -> Result<Option<NaiveDate>> {
    let v: Option<String> = r.try_get(col)?;
    v.map(|d| NaiveDate::from_str(&d).map_err(|e| corrupt(col, &d, e)))
        .transpose()
}

fn filing_from_row(r: &SqliteRow) -> Result<Filing> {
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
            valid_from: opt_date(r, "valid_from")?,
            valid_until: opt_date(r, "valid_until")?,
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

fn discovered_from_row(r: &SqliteRow) -> Result<Discovered> {
    let evidence: String = r.try_get("evidence")?;
    let shown: String = r.try_get("shown")?;
    let state: String = r.try_get("state")?;
    Ok(Discovered {
        id: r.try_get("id")?,
        host: r.try_get("host")?,
        path_prefix: r.try_get("path_prefix")?,
        first_sweep: SweepId(r.try_get("first_sweep")?),
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        evidence: serde_json::from_str(&evidence).map_err(|e| corrupt("evidence", &evidence, e))?,
        sightings: r.try_get("sightings")?,
        shown: serde_json::from_str(&shown).map_err(|e| corrupt("shown", &shown, e))?,
        site_id: r.try_get::<Option<i64>, _>("site_id")?.map(SiteId),
        proposed_entity: r
            .try_get::<Option<i64>, _>("proposed_entity_id")?
            .map(EntityId),
        proposal_reason: r.try_get("proposal_reason")?,
        state: match state.as_str() {
            "new" => DiscoveryState::New,
            "confirmed" => DiscoveryState::Confirmed,
            "rejected" => DiscoveryState::Rejected,
            other => return Err(corrupt("discovery state", other, "unknown")),
        },
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
    })
}

/// The bare form of a host: `www.x` and `x` are one site.
fn bare(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

impl SqliteStore {
    /// See [`Store::upsert_entities`]. New entities go in with multi-row INSERTs (a register
    /// of a million rows is mostly new rows on its first import); changed ones one by one with
    /// their history.
    pub(super) async fn upsert_entities_impl(
        &self,
        batch: &[EntityInput],
        source: &str,
    ) -> Result<Vec<Upsert>> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let mut out = vec![Upsert::Unchanged; batch.len()];
        let mut rev: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(rev), 0) FROM entities")
            .fetch_one(&mut *tx)
            .await?;
        // Rounds of distinct USCCs, so that a batch naming an entity twice applies both, in
        // order.
        let mut rest: Vec<usize> = (0..batch.len()).collect();
        while !rest.is_empty() {
            let mut seen = HashSet::new();
            let (round, later): (Vec<usize>, Vec<usize>) = rest
                .iter()
                .partition(|&&i| seen.insert(batch[i].uscc.as_str()));
            let existing =
                existing_entities(&mut tx, round.iter().map(|&i| batch[i].uscc.as_str())).await?;
            let mut created = Vec::new();
            for &i in &round {
                let input = &batch[i];
                let Some(e) = existing.get(&input.uscc) else {
                    created.push(i);
                    continue;
                };
                let merged = input.merged_over(&e.input);
                if merged == e.input {
                    continue;
                }
                rev += 1;
                update_entity(&mut tx, e.id, &merged, now, rev).await?;
                let changes = merged.changes_from(&e.input);
                insert_history(&mut tx, e.id, now, source, &changes).await?;
                sync_sites(&mut tx, e.id, &merged, now).await?;
                out[i] = Upsert::Updated;
            }
            for chunk in created.chunks(INSERT_ROWS) {
                let mut q = QueryBuilder::new(ENTITY_INSERT);
                q.push_values(chunk, |mut b, &i| {
                    let e = &batch[i];
                    rev += 1;
                    b.push_bind(e.uscc.clone())
                        .push_bind(e.needs_review.clone())
                        .push_bind(e.name.clone())
                        .push_bind(e.kind.code())
                        .push_bind(e.district.to_string())
                        .push_bind(e.address.clone())
                        .push_bind(json(&e.domains))
                        .push_bind(e.icp.clone())
                        .push_bind(e.food_permit.clone())
                        .push_bind(e.legal_rep.clone())
                        .push_bind(e.phone.clone())
                        .push_bind(json(&e.extra))
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(e.legal_form.code())
                        .push_bind(json(&e.former_names))
                        .push_bind(e.business_address.clone())
                        .push_bind(e.registered_capital.clone())
                        .push_bind(established(e))
                        .push_bind(e.status.code())
                        .push_bind(rev);
                });
                q.push(" RETURNING id, uscc");
                let rows = q.build().fetch_all(&mut *tx).await?;
                let mut ids = HashMap::with_capacity(rows.len());
                for r in &rows {
                    ids.insert(r.try_get::<String, _>("uscc")?, r.try_get::<i64, _>("id")?);
                }
                let mut sites: Vec<(i64, String, String, &'static str)> = Vec::new();
                let mut history: Vec<(i64, String)> = Vec::with_capacity(chunk.len());
                for &i in chunk {
                    let e = &batch[i];
                    let id = *ids.get(&e.uscc).ok_or_else(|| {
                        StoreError::Corrupt(format!("insert of {} returned no id", e.uscc))
                    })?;
                    for d in &e.domains {
                        let a = SiteAddress::parse(d).map_err(|err| {
                            StoreError::Corrupt(format!("domain of {}: {err}", e.uscc))
                        })?;
                        sites.push((id, a.host, a.path_prefix, e.kind.code()));
                    }
                    history.push((id, e.name.clone()));
                    out[i] = Upsert::Created;
                }
                insert_sites(&mut tx, &sites, now).await?;
                let mut q = QueryBuilder::new(
                    "INSERT INTO entity_history (entity_id, changed_at, source, field, \
                     old_value, new_value) ",
                );
                q.push_values(&history, |mut b, (id, name)| {
                    b.push_bind(*id)
                        .push_bind(now)
                        .push_bind(source)
                        .push_bind("created")
                        .push_bind(None::<String>)
                        .push_bind(name.clone());
                });
                q.build().execute(&mut *tx).await?;
            }
            rest = later;
        }
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn list_entities_impl(
        &self,
        scope: Scope,
        filter: &EntityFilter,
    ) -> Result<Vec<Entity>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE 1 = 1"
        ));
        push_scope(&mut q, scope);
        if let Some(d) = filter.district {
            q.push(" AND e.district = ").push_bind(d.to_string());
        }
        if let Some(k) = filter.kind {
            q.push(" AND e.kind = ").push_bind(k.code());
        }
        if let Some(s) = filter.status {
            q.push(" AND e.status = ").push_bind(s.code());
        }
        if let Some(f) = filter.legal_form {
            q.push(" AND e.legal_form = ").push_bind(f.code());
        }
        if filter.needs_review {
            q.push(" AND e.needs_review IS NOT NULL");
        }
        q.push(" ORDER BY e.id");
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(entity_from_row)
            .collect()
    }

    pub(super) async fn entities_since_impl(
        &self,
        rev: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Entity)>> {
        sqlx::query(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.rev > $1 ORDER BY e.rev LIMIT $2"
        ))
        .bind(rev)
        .bind(limit.max(1))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("rev")?, entity_from_row(r)?)))
        .collect()
    }

    pub(super) async fn entities_by_icp_impl(&self, icp: &str) -> Result<Vec<Entity>> {
        // The filing is the part before `-n`; its sites are `-1`, `-2`, …
        let filing = icp.split_once('-').map_or(icp, |(f, _)| f);
        let rows = sqlx::query(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.icp = $1 OR (e.icp >= $2 AND e.icp < $3) ORDER BY e.id"
        ))
        .bind(filing)
        .bind(format!("{filing}-"))
        .bind(format!("{filing}."))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entity_from_row).collect()
    }

    pub(super) async fn entities_by_name_impl(&self, name: &str) -> Result<Vec<Entity>> {
        let name = name.trim();
        // Former names are a JSON array: a quoted exact element is a substring of it, found
        // with LIKE (portable SQL), its wildcards escaped.
        let needle = format!(
            "%{}%",
            json(&name)
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = sqlx::query(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.name = $1 OR e.former_names LIKE $2 ESCAPE '\\' ORDER BY e.id"
        ))
        .bind(name)
        .bind(needle)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entity_from_row).collect()
    }

    pub(super) async fn entity_history_impl(&self, id: EntityId) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query(
            "SELECT changed_at, source, field, old_value, new_value FROM entity_history \
             WHERE entity_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryEntry {
                    changed_at: r.try_get("changed_at")?,
                    source: r.try_get("source")?,
                    field: r.try_get("field")?,
                    old_value: r.try_get("old_value")?,
                    new_value: r.try_get("new_value")?,
                })
            })
            .collect()
    }

    pub(super) async fn entity_sites_impl(&self, id: EntityId) -> Result<Vec<Site>> {
        sqlx::query(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE s.entity_id = $1 ORDER BY s.host, s.path_prefix"
        ))
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(site_from_row)
        .collect()
    }

    pub(super) async fn upsert_filings_impl(
        &self,
        batch: &[FilingInput],
    ) -> Result<Vec<(Upsert, Filing)>> {
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
            if let Some(d) = &f.domain {
                stored.domain_entity = domain_owner(&mut *tx, d).await?;
            }
            out.push((outcome, stored));
        }
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn entity_filings_impl(&self, id: EntityId) -> Result<Vec<Filing>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            filing_cols!(),
            " FROM filings f WHERE f.entity_id = $1 ORDER BY f.source, f.record_key"
        ))
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut f = filing_from_row(r)?;
            if let Some(d) = &f.input.domain {
                f.domain_entity = domain_owner(&self.pool, d).await?;
            }
            out.push(f);
        }
        Ok(out)
    }

    pub(super) async fn list_discovered_impl(
        &self,
        scope: Scope,
        filter: &DiscoveryFilter,
    ) -> Result<Vec<Discovered>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            discovered_cols!(),
            " FROM discovered_sites d LEFT JOIN entities e ON e.id = d.proposed_entity_id \
             WHERE 1 = 1"
        ));
        push_scope(&mut q, scope);
        if let Some(s) = filter.state {
            q.push(" AND d.state = ").push_bind(s.code());
        }
        q.push(" ORDER BY d.host, d.path_prefix");
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(discovered_from_row)
            .collect()
    }

    pub(super) async fn discovered_impl(&self, id: i64) -> Result<Option<Discovered>> {
        sqlx::query(concat!(
            "SELECT ",
            discovered_cols!(),
            " FROM discovered_sites d WHERE d.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(discovered_from_row)
        .transpose()
    }

    pub(super) async fn promote_discoveries_impl(&self, sweep: SweepId) -> Result<Vec<Site>> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query(
            "SELECT id, host, path_prefix FROM discovered_sites \
             WHERE site_id IS NULL AND state = 'new' ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut added = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let host: String = r.try_get("host")?;
            let prefix: String = r.try_get("path_prefix")?;
            // A shop prefix is a shop; a host is taken as a non-trading site until its pages
            // are classified.
            let kind = if prefix.is_empty() {
                SiteKind::NonTradingSite
            } else {
                SiteKind::PlatformShop
            };
            let site_id: i64 = sqlx::query_scalar(
                "INSERT INTO sites (entity_id, host, path_prefix, kind, created_at, origin) \
                 VALUES (NULL, $1, $2, $3, $4, 'discovered') \
                 ON CONFLICT (host, path_prefix) DO UPDATE SET host = excluded.host \
                 RETURNING id",
            )
            .bind(&host)
            .bind(&prefix)
            .bind(kind.code())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE discovered_sites SET site_id = $2 WHERE id = $1")
                .bind(id)
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
            let queued = sqlx::query(
                "INSERT INTO sweep_sites (sweep_id, site_id, state) VALUES ($1, $2, 'pending') \
                 ON CONFLICT (sweep_id, site_id) DO NOTHING",
            )
            .bind(sweep.0)
            .bind(site_id)
            .execute(&mut *tx)
            .await?;
            if queued.rows_affected() > 0 {
                added.push(SiteId(site_id));
            }
        }
        if !added.is_empty() {
            sqlx::query(
                "UPDATE sweeps SET sites = (SELECT COUNT(*) FROM sweep_sites WHERE sweep_id = $1) \
                 WHERE id = $1",
            )
            .bind(sweep.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let mut sites = Vec::with_capacity(added.len());
        for id in added {
            if let Some(s) = self.site(Scope::City, id).await? {
                sites.push(s);
            }
        }
        Ok(sites)
    }

    pub(super) async fn set_proposal_impl(&self, id: i64, p: Option<&Proposal>) -> Result<()> {
        sqlx::query(
            "UPDATE discovered_sites SET proposed_entity_id = $2, proposal_reason = $3 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(p.map(|p| p.entity.0))
        .bind(p.map(|p| p.reason.clone()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn decide_discovery_impl(
        &self,
        id: i64,
        state: DiscoveryState,
        entity: Option<EntityId>,
        by: &str,
    ) -> Result<Discovered> {
        let mut tx = self.write_tx().await?;
        let site: Option<Option<i64>> =
            sqlx::query_scalar("SELECT site_id FROM discovered_sites WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(site) = site else {
            return Err(StoreError::NotFound(format!("discovered site {id}")));
        };
        if state == DiscoveryState::Confirmed {
            let Some(entity) = entity else {
                return Err(StoreError::NotFound(
                    "confirming a discovered site needs an entity".into(),
                ));
            };
            if let Some(site) = site {
                sqlx::query("UPDATE sites SET entity_id = $2 WHERE id = $1")
                    .bind(site)
                    .bind(entity.0)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query(
            "UPDATE discovered_sites SET state = $2, decided_by = $3, decided_at = $4, \
             proposed_entity_id = COALESCE($5, proposed_entity_id) WHERE id = $1",
        )
        .bind(id)
        .bind(state.code())
        .bind(by)
        .bind(self.now())
        .bind(entity.map(|e| e.0))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.discovered_impl(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("discovered site {id}")))
    }
}

/// The stored entities among `usccs`, by USCC.
async fn existing_entities<'a>(
    tx: &mut Transaction<'static, Sqlite>,
    usccs: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, Entity>> {
    let keys: Vec<&str> = usccs.collect();
    let mut out = HashMap::new();
    for chunk in keys.chunks(IN_KEYS) {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.uscc IN ("
        ));
        let mut list = q.separated(", ");
        for k in chunk {
            list.push_bind(*k);
        }
        q.push(")");
        for r in q.build().fetch_all(&mut **tx).await? {
            let e = entity_from_row(&r)?;
            out.insert(e.input.uscc.clone(), e);
        }
    }
    Ok(out)
}

async fn update_entity(
    tx: &mut Transaction<'static, Sqlite>,
    id: EntityId,
    e: &EntityInput,
    now: DateTime<Utc>,
    rev: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE entities SET needs_review = $2, name = $3, kind = $4, district = $5, \
         address = $6, domains = $7, icp = $8, food_permit = $9, legal_rep = $10, phone = $11, \
         extra = $12, updated_at = $13, legal_form = $14, former_names = $15, \
         business_address = $16, registered_capital = $17, established = $18, status = $19, \
         rev = $20 WHERE id = $1",
    )
    .bind(id.0)
    .bind(e.needs_review.clone())
    .bind(e.name.clone())
    .bind(e.kind.code())
    .bind(e.district.to_string())
    .bind(e.address.clone())
    .bind(json(&e.domains))
    .bind(e.icp.clone())
    .bind(e.food_permit.clone())
    .bind(e.legal_rep.clone())
    .bind(e.phone.clone())
    .bind(json(&e.extra))
    .bind(now)
    .bind(e.legal_form.code())
    .bind(json(&e.former_names))
    .bind(e.business_address.clone())
    .bind(e.registered_capital.clone())
    .bind(established(e))
    .bind(e.status.code())
    .bind(rev)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_history(
    tx: &mut Transaction<'static, Sqlite>,
    id: EntityId,
    now: DateTime<Utc>,
    source: &str,
    changes: &[(String, Option<String>, Option<String>)],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::new(
        "INSERT INTO entity_history (entity_id, changed_at, source, field, old_value, new_value) ",
    );
    q.push_values(changes, |mut b, (field, old, new)| {
        b.push_bind(id.0)
            .push_bind(now)
            .push_bind(source)
            .push_bind(field.clone())
            .push_bind(old.clone())
            .push_bind(new.clone());
    });
    q.build().execute(&mut **tx).await?;
    Ok(())
}

/// Inserts or claims register sites in bulk; the last claim of an address in the list wins
/// (deduplicated here: one statement may not touch a row twice on every backend).
async fn insert_sites(
    tx: &mut Transaction<'static, Sqlite>,
    sites: &[(i64, String, String, &'static str)],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut last: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, (_, host, prefix, _)) in sites.iter().enumerate() {
        last.insert((host.as_str(), prefix.as_str()), i);
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    for chunk in keep.chunks(INSERT_ROWS) {
        let mut q = QueryBuilder::new(
            "INSERT INTO sites (entity_id, host, path_prefix, kind, created_at, origin) ",
        );
        q.push_values(chunk, |mut b, &i| {
            let (id, host, prefix, kind) = &sites[i];
            b.push_bind(*id)
                .push_bind(host.clone())
                .push_bind(prefix.clone())
                .push_bind(*kind)
                .push_bind(now)
                .push_bind("register");
        });
        q.push(
            " ON CONFLICT (host, path_prefix) DO UPDATE SET entity_id = excluded.entity_id, \
             kind = excluded.kind, origin = 'register'",
        );
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// The entity a filing belongs to: by USCC, else by the register site of its domain.
async fn join_filing(
    tx: &mut Transaction<'static, Sqlite>,
    f: &FilingInput,
) -> Result<(Option<EntityId>, Option<JoinedBy>)> {
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
        if let Some((id, _)) = domain_owner(&mut **tx, domain).await? {
            return Ok((Some(id), Some(JoinedBy::Domain)));
        }
    }
    Ok((None, None))
}

/// The registered entity whose site is `domain` (`host[/prefix]`; `www.` ignored), with its
/// name.
async fn domain_owner<'e, E>(ex: E, domain: &str) -> Result<Option<(EntityId, String)>>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let Ok(a) = SiteAddress::parse(domain) else {
        return Ok(None);
    };
    let host = bare(&a.host);
    let row = sqlx::query(
        "SELECT e.id, e.name FROM sites s JOIN entities e ON e.id = s.entity_id \
         WHERE (s.host = $1 OR s.host = $2) AND s.path_prefix = $3 ORDER BY s.id LIMIT 1",
    )
    .bind(host)
    .bind(format!("www.{host}"))
    .bind(&a.path_prefix)
    .fetch_optional(ex)
    .await?;
    row.map(|r| Ok((EntityId(r.try_get("id")?), r.try_get("name")?)))
        .transpose()
}

fn bind_filing<'q>(
    q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    f: &'q FilingInput,
    entity: Option<EntityId>,
    joined: Option<JoinedBy>,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
    q.bind(&f.kind)
        .bind(&f.uscc)
        .bind(&f.domain)
        .bind(&f.name)
        .bind(&f.number)
        .bind(&f.scope)
        .bind(f.valid_from.map(|d| d.to_string()))
        .bind(f.valid_until.map(|d| d.to_string()))
        .bind(&f.status)
        .bind(&f.address)
        .bind(json(&f.fields))
        .bind(entity.map(|e| e.0))
        .bind(joined.map(JoinedBy::code))
        .bind(now)
}

/// Records one sighting of a discovered site, unless the address is a known site by now.
pub(super) async fn record_discovery(
    tx: &mut Transaction<'static, Sqlite>,
    sweep: SweepId,
    d: &NewDiscovery,
    now: DateTime<Utc>,
) -> Result<()> {
    let host = bare(&d.host).to_string();
    let www = format!("www.{host}");
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM sites WHERE (host = $1 OR host = $2) AND path_prefix = $3 \
         AND origin = 'register' LIMIT 1",
    )
    .bind(&host)
    .bind(&www)
    .bind(&d.path_prefix)
    .fetch_optional(&mut **tx)
    .await?;
    if known.is_some() {
        return Ok(());
    }
    let row = sqlx::query(
        "SELECT id, evidence FROM discovered_sites WHERE (host = $1 OR host = $2) \
         AND path_prefix = $3",
    )
    .bind(&host)
    .bind(&www)
    .bind(&d.path_prefix)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        None => {
            sqlx::query(
                "INSERT INTO discovered_sites (host, path_prefix, first_sweep, first_seen, \
                 last_seen, evidence, sightings) VALUES ($1, $2, $3, $4, $4, $5, 1)",
            )
            .bind(&d.host)
            .bind(&d.path_prefix)
            .bind(sweep.0)
            .bind(now)
            .bind(json(&[&d.sighting]))
            .execute(&mut **tx)
            .await?;
        }
        Some(r) => {
            let id: i64 = r.try_get("id")?;
            let text: String = r.try_get("evidence")?;
            let mut evidence: Vec<Sighting> =
                serde_json::from_str(&text).map_err(|e| corrupt("evidence", &text, e))?;
            if evidence.len() < MAX_SIGHTINGS
                && !evidence.iter().any(|s| s.from_url == d.sighting.from_url)
            {
                evidence.push(d.sighting.clone());
            }
            sqlx::query(
                "UPDATE discovered_sites SET last_seen = $2, sightings = sightings + 1, \
                 evidence = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .bind(json(&evidence))
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
