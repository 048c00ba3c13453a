//! The register: entities in bulk with their history and their sites.

use super::*;
use crate::EntityStore;
use async_trait::async_trait;
use futures::{Stream, StreamExt};
use std::collections::{HashMap, HashSet};

/// Rows per multi-row INSERT: 22 parameters a row stays well under SQLite's 32,766.
const INSERT_ROWS: usize = 1000;
/// The counter of entity revisions (`entities.rev`).
const ENTITY_REV: &str = "entity_rev";
/// Keys per `IN (…)` list.
const IN_KEYS: usize = 900;

/// Columns an entity INSERT names, in the order `push_entity` binds them.
pub(crate) const ENTITY_INSERT: &str =
    "INSERT INTO entities (uscc, needs_review, name, kind, district, \
     address, domains, icp, food_permit, legal_rep, phone, extra, created_at, updated_at, \
     legal_form, former_names, business_address, registered_capital, established, status, rev) ";

/// The stored entities among `usccs`, by USCC.
async fn existing_entities<'a>(
    tx: &mut Tx,
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
    tx: &mut Tx,
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
    .bind(e.established)
    .bind(e.status.code())
    .bind(rev)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_history(
    tx: &mut Tx,
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

/// Inserts former names (entity id, name) in bulk; a name listed twice is kept once.
async fn insert_former_names(tx: &mut Tx, names: &[(i64, &str)]) -> Result<()> {
    let unique: BTreeSet<(i64, &str)> = names.iter().copied().collect();
    let unique: Vec<(i64, &str)> = unique.into_iter().collect();
    for chunk in unique.chunks(INSERT_ROWS) {
        let mut q = QueryBuilder::new("INSERT INTO entity_names (entity_id, name) ");
        q.push_values(chunk, |mut b, (id, name)| {
            b.push_bind(*id).push_bind(name.to_string());
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// How a register site's INSERT claims an address that exists: the register's entity and kind
/// win, the site becomes a register site.
const SITE_CLAIM: &str = " ON CONFLICT (host, path_prefix) DO UPDATE SET \
     entity_id = excluded.entity_id, kind = excluded.kind, origin = 'register'";

/// Columns a register site's INSERT names, in the order `insert_sites` binds them.
pub(crate) const SITE_INSERT: &str =
    "INSERT INTO sites (entity_id, host, path_prefix, kind, created_at, origin) ";

/// Inserts or claims register sites in bulk; the last claim of an address in the list wins
/// (deduplicated here: one statement may not touch a row twice on every backend).
pub(crate) async fn insert_sites(
    tx: &mut Tx,
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
        let mut q = QueryBuilder::new(SITE_INSERT);
        q.push_values(chunk, |mut b, &i| {
            let (id, host, prefix, kind) = &sites[i];
            b.push_bind(*id)
                .push_bind(host.clone())
                .push_bind(prefix.clone())
                .push_bind(*kind)
                .push_bind(now)
                .push_bind("register");
        });
        q.push(SITE_CLAIM);
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Makes the entity's sites exactly its register domains: inserts or claims the listed
/// addresses and detaches (not deletes: fetches and findings refer to them) the others.
pub(crate) async fn sync_sites(
    tx: &mut Tx,
    entity: EntityId,
    input: &EntityInput,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut wanted = BTreeSet::new();
    for d in &input.domains {
        let a = SiteAddress::parse(d)
            .map_err(|e| StoreError::Corrupt(format!("domain of {}: {e}", input.uscc)))?;
        wanted.insert((a.host, a.path_prefix));
    }
    for (host, prefix) in &wanted {
        sqlx::query(
            "INSERT INTO sites (entity_id, host, path_prefix, kind, created_at, origin) \
             VALUES ($1, $2, $3, $4, $5, 'register') \
             ON CONFLICT (host, path_prefix) \
             DO UPDATE SET entity_id = excluded.entity_id, kind = excluded.kind, \
             origin = 'register'",
        )
        .bind(entity.0)
        .bind(host)
        .bind(prefix)
        .bind(input.kind.code())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    // Sites a person attached after discovery are the person's decision, not the register's.
    let current = sqlx::query(
        "SELECT id, host, path_prefix FROM sites WHERE entity_id = $1 AND origin = 'register'",
    )
    .bind(entity.0)
    .fetch_all(&mut **tx)
    .await?;
    for r in current {
        let key: (String, String) = (r.try_get("host")?, r.try_get("path_prefix")?);
        if !wanted.contains(&key) {
            sqlx::query("UPDATE sites SET entity_id = NULL WHERE id = $1")
                .bind(r.try_get::<i64, _>("id")?)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Whether [`apply_batch`] looks up the stored entities of a batch's USCCs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// One query per round of the batch: existing entities are updated, the others created.
    Existing,
    /// None: the caller knows every USCC to be new (a first load into an empty register).
    None,
}

/// Indexes of random keys that a first load into an empty register drops and builds after its
/// rows, with the statements that build them (as the migrations do, on both engines). The
/// indexes of growing keys (`rev`, the sites' and the history's entity ids) take appends and
/// stay, and so does the district's (a dozen districts: each row is appended at the end of its
/// district's run; building it afterwards read the whole table again, 0.7 s of a 1,000,000-row
/// load on SQLite); the UNIQUE ones (`uscc`, a site's address) are constraints and stay.
const DEFERRED_INDEXES: [(&str, &str); 3] = [
    (
        "DROP INDEX IF EXISTS entities_name",
        "CREATE INDEX entities_name ON entities (name)",
    ),
    (
        "DROP INDEX IF EXISTS entities_icp",
        "CREATE INDEX entities_icp ON entities (icp)",
    ),
    (
        "DROP INDEX IF EXISTS entity_names_name",
        "CREATE INDEX entity_names_name ON entity_names (name)",
    ),
];

/// New entities of a first load, with their sites, through the backend's bulk path
/// (PostgreSQL's COPY, SQLite's prepared single-row statements; see `append_new_entities`).
async fn append_created(
    tx: &mut Tx,
    batch: &[EntityInput],
    created: &[usize],
    source: &str,
    now: DateTime<Utc>,
    rev: &mut i64,
) -> Result<()> {
    let rows: Vec<&EntityInput> = created.iter().map(|&i| &batch[i]).collect();
    append_new_entities(tx, &rows, source, now, rev).await
}

/// Applies one batch inside `tx` (see [`Store::upsert_entities`]): new entities go in with
/// multi-row INSERTs (a register of a million rows is mostly new rows on its first import);
/// changed ones one by one with their history. `rev` is the revision counter's value, advanced
/// per row written.
async fn apply_batch(
    tx: &mut Tx,
    batch: &[EntityInput],
    source: &str,
    now: DateTime<Utc>,
    rev: &mut i64,
    lookup: Lookup,
) -> Result<Vec<Upsert>> {
    let mut out = vec![Upsert::Unchanged; batch.len()];
    // Rounds of distinct USCCs, so that a batch naming an entity twice applies both, in
    // order.
    let mut rest: Vec<usize> = (0..batch.len()).collect();
    while !rest.is_empty() {
        let mut seen = HashSet::new();
        let (round, later): (Vec<usize>, Vec<usize>) = rest
            .iter()
            .partition(|&&i| seen.insert(batch[i].uscc.as_str()));
        let existing = match lookup {
            Lookup::Existing => {
                existing_entities(tx, round.iter().map(|&i| batch[i].uscc.as_str())).await?
            }
            Lookup::None => HashMap::new(),
        };
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
            *rev += 1;
            update_entity(tx, e.id, &merged, now, *rev).await?;
            let changes = merged.changes_from(&e.input);
            insert_history(tx, e.id, now, source, &changes).await?;
            sync_sites(tx, e.id, &merged, now).await?;
            // The register's facts (age, capital, form, status) are credit sources.
            mark_credit_stale(tx, &[e.id], now).await?;
            if merged.former_names != e.input.former_names {
                sqlx::query("DELETE FROM entity_names WHERE entity_id = $1")
                    .bind(e.id.0)
                    .execute(&mut **tx)
                    .await?;
                let names: Vec<(i64, &str)> = merged
                    .former_names
                    .iter()
                    .map(|n| (e.id.0, n.as_str()))
                    .collect();
                insert_former_names(tx, &names).await?;
            }
            out[i] = Upsert::Updated;
        }
        if lookup == Lookup::None {
            append_created(tx, batch, &created, source, now, rev).await?;
            for &i in &created {
                out[i] = Upsert::Created;
            }
            created.clear();
        }
        for chunk in created.chunks(INSERT_ROWS) {
            let mut q = QueryBuilder::new(ENTITY_INSERT);
            q.push_values(chunk, |mut b, &i| {
                let e = &batch[i];
                *rev += 1;
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
                    .push_bind(e.established)
                    .push_bind(e.status.code())
                    .push_bind(*rev);
            });
            q.push(" RETURNING id, uscc");
            let rows = q.build().fetch_all(&mut **tx).await?;
            let mut ids = HashMap::with_capacity(rows.len());
            for r in &rows {
                ids.insert(r.try_get::<String, _>("uscc")?, r.try_get::<i64, _>("id")?);
            }
            let mut sites: Vec<(i64, String, String, &'static str)> = Vec::new();
            let mut history: Vec<(i64, String)> = Vec::with_capacity(chunk.len());
            let mut former: Vec<(i64, &str)> = Vec::new();
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
                former.extend(e.former_names.iter().map(|n| (id, n.as_str())));
                out[i] = Upsert::Created;
            }
            let new_ids: Vec<EntityId> = ids.values().map(|i| EntityId(*i)).collect();
            mark_credit_stale(tx, &new_ids, now).await?;
            insert_sites(tx, &sites, now).await?;
            insert_former_names(tx, &former).await?;
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
            q.build().execute(&mut **tx).await?;
        }
        rest = later;
    }
    Ok(out)
}

/// The `WHERE` conditions of an entity list (after `WHERE 1 = 1`): scope, then the filter.
fn push_entity_filter(q: &mut QueryBuilder<Db>, scope: &Scope, filter: &EntityFilter) {
    push_scope(q, scope);
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
}

#[async_trait]
impl EntityStore for SqlStore {
    async fn entity_by_uscc(&self, scope: Scope, uscc: &str) -> Result<Option<Entity>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.uscc = "
        ));
        q.push_bind(uscc);
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(entity_from_row)
            .transpose()
    }

    async fn entity(&self, scope: Scope, id: EntityId) -> Result<Option<Entity>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.id = "
        ));
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(entity_from_row)
            .transpose()
    }

    async fn entities_by_ids(&self, scope: Scope, ids: &[EntityId]) -> Result<Vec<Entity>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.id IN ("
        ));
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.0);
        }
        q.push(")");
        push_scope(&mut q, &scope);
        q.push(" ORDER BY e.id");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(entity_from_row)
            .collect()
    }

    async fn count_entities(&self, scope: Scope) -> Result<i64> {
        let mut q = QueryBuilder::new("SELECT COUNT(*) FROM entities e WHERE 1 = 1");
        push_scope(&mut q, &scope);
        Ok(q.build_query_scalar().fetch_one(&self.pool).await?)
    }

    async fn count_entities_in(&self, scope: Scope, filter: &EntityFilter) -> Result<i64> {
        let from = " FROM entities e WHERE 1 = 1";
        count_rows(&self.pool, from, filter.count_up_to, |q| {
            push_entity_filter(q, &scope, filter)
        })
        .await
    }

    /// See [`Store::upsert_entities`].
    async fn upsert_entities(&self, batch: &[EntityInput], source: &str) -> Result<Vec<Upsert>> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        // The revision counter stays locked to commit: revisions are handed out in commit order.
        let mut rev = advance_counter(&mut tx, ENTITY_REV, 0).await?;
        let out = apply_batch(&mut tx, batch, source, now, &mut rev, Lookup::Existing).await?;
        set_counter(&mut tx, ENTITY_REV, rev).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// See [`Store::import_entity_batches`].
    async fn import_entity_batches(
        &self,
        batches: &mut (dyn Stream<Item = Vec<EntityInput>> + Send + Unpin),
        source: &str,
    ) -> Result<UpsertCounts> {
        let mut counts = UpsertCounts::default();
        // Nothing to write (a file with no row accepted): no transaction at all.
        let Some(first) = batches.next().await else {
            return Ok(counts);
        };
        let mut batches = futures::stream::iter([first]).chain(batches);
        let mut tx = self.write_tx().await?;
        let any: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT id FROM entities LIMIT 1) t")
                .fetch_one(&mut *tx)
                .await?;
        if any > 0 {
            // An update of a register in use: each batch its own transaction, as
            // `upsert_entities`, so that readers and other writers get their turn between
            // batches.
            drop(tx);
            while let Some(batch) = batches.next().await {
                counts.add(&self.upsert_entities(&batch, source).await?);
            }
            return Ok(counts);
        }
        // A first load: one transaction, the indexes of random keys built after the rows (a
        // sorted build instead of a random insert per row and index) and, on PostgreSQL, the
        // foreign keys of the tables it fills checked once after them. A failure rolls back
        // the drops too: the register stays empty with every index and key in place.
        let now = self.now();
        let mut rev = advance_counter(&mut tx, ENTITY_REV, 0).await?;
        for &(drop, _) in DEFERRED_INDEXES.iter().chain(&FIRST_LOAD_FOREIGN_KEYS) {
            sqlx::query(drop).execute(&mut *tx).await?;
        }
        let cache = first_load_cache(&mut tx).await?;
        while let Some(batch) = batches.next().await {
            // The register was empty and the import's USCCs are distinct: every row is new
            // (the UNIQUE index on `uscc` still refuses a repeated one).
            let out = apply_batch(&mut tx, &batch, source, now, &mut rev, Lookup::None).await?;
            counts.add(&out);
        }
        for &(_, create) in FIRST_LOAD_FOREIGN_KEYS.iter().chain(&DEFERRED_INDEXES) {
            sqlx::query(create).execute(&mut *tx).await?;
        }
        set_counter(&mut tx, ENTITY_REV, rev).await?;
        restore_cache(&mut tx, cache).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn list_entities(&self, scope: Scope, filter: &EntityFilter) -> Result<Vec<Entity>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE 1 = 1"
        ));
        push_entity_filter(&mut q, &scope, filter);
        push_order(
            &mut q,
            filter.sort,
            |k| {
                use crate::sort::EntitySort as K;
                vec![match k {
                    K::Name => "e.name".into(),
                    K::Uscc => "e.uscc".into(),
                    K::LegalForm => rank("e.legal_form", LegalForm::ALL.iter().map(|s| s.code())),
                    K::Kind => rank("e.kind", SiteKind::ALL.iter().map(|s| s.code())),
                    K::Status => rank("e.status", EntityStatus::ALL.iter().map(|s| s.code())),
                    K::District => "e.district".into(),
                }]
            },
            "e.id",
            "e.id",
        );
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(entity_from_row)
            .collect()
    }

    async fn entities_since(
        &self,
        scope: Scope,
        rev: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Entity)>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE e.rev > "
        ));
        q.push_bind(rev);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY e.rev LIMIT ").push_bind(limit.max(1));
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("rev")?, entity_from_row(r)?)))
            .collect()
    }

    async fn entities_by_icp(&self, scope: Scope, icp: &str) -> Result<Vec<Entity>> {
        // The filing is the part before `-n`; its sites are `-1`, `-2`, …
        let filing = icp.split_once('-').map_or(icp, |(f, _)| f);
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE (e.icp = "
        ));
        q.push_bind(filing)
            .push(" OR (e.icp >= ")
            .push_bind(format!("{filing}-"))
            .push(" AND e.icp < ")
            .push_bind(format!("{filing}."))
            .push("))");
        push_scope(&mut q, &scope);
        q.push(" ORDER BY e.id");
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(entity_from_row).collect()
    }

    async fn entities_by_name(&self, scope: Scope, name: &str) -> Result<Vec<Entity>> {
        let name = name.trim();
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            entity_cols!(),
            " FROM entities e WHERE (e.name = "
        ));
        q.push_bind(name)
            .push(" OR e.id IN (SELECT n.entity_id FROM entity_names n WHERE n.name = ")
            .push_bind(name)
            .push("))");
        push_scope(&mut q, &scope);
        q.push(" ORDER BY e.id");
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(entity_from_row).collect()
    }

    async fn entity_history(&self, scope: Scope, id: EntityId) -> Result<Vec<HistoryEntry>> {
        let mut q = QueryBuilder::new(
            "SELECT h.changed_at, h.source, h.field, h.old_value, h.new_value \
             FROM entity_history h JOIN entities e ON e.id = h.entity_id WHERE h.entity_id = ",
        );
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY h.id");
        let rows = q.build().fetch_all(&self.pool).await?;
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

    async fn entity_sites(&self, scope: Scope, id: EntityId) -> Result<Vec<Site>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE s.entity_id = "
        ));
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        q.push(" ORDER BY s.host, s.path_prefix");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(site_from_row)
            .collect()
    }
}
