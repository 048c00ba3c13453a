//! Sites found by sweeps, and the decisions on them.

use super::*;
use crate::{DiscoveryStore, SiteStore};
use async_trait::async_trait;
use domain::address::bare_host;

macro_rules! discovered_cols {
    () => {
        "d.id, d.host, d.path_prefix, d.source, d.hops, d.first_sweep, d.first_seen, \
         d.last_seen, d.evidence, d.sightings, d.shown, d.indicators, d.imitates_entity_id, \
         d.imitation, d.site_id, d.proposed_entity_id, d.proposal_reason, d.state, \
         d.decided_by, d.decided_at"
    };
}

/// A discovered site is in the scope of the entity the matcher proposes (none: the city's).
macro_rules! discovered_from {
    () => {
        " FROM discovered_sites d LEFT JOIN entities e ON e.id = d.proposed_entity_id"
    };
}

/// The columns of a certificate transparency log's row.
macro_rules! ct_cols {
    () => {
        "name, url, log_id, position, entries_read, candidates, skipped, polled_at, \
         verified_at, failures, failure_code, failure_detail, failed_at"
    };
}
/// The `WHERE` conditions of a discovery list (after `WHERE 1 = 1`): scope, then the filter.
fn push_discovery_filter(q: &mut QueryBuilder<Db>, scope: &Scope, filter: &DiscoveryFilter) {
    push_scope(q, scope);
    if let Some(s) = filter.state {
        q.push(" AND d.state = ").push_bind(s.code());
    }
    if let Some(s) = filter.source {
        q.push(" AND d.source = ").push_bind(s.code());
    }
    if filter.imitations {
        q.push(" AND d.imitates_entity_id IS NOT NULL");
    }
}

fn discovered_from_row(r: &DbRow) -> Result<Discovered> {
    let evidence: String = r.try_get("evidence")?;
    let shown: String = r.try_get("shown")?;
    let state: String = r.try_get("state")?;
    let source: String = r.try_get("source")?;
    let indicators: String = r.try_get("indicators")?;
    let imitation = r
        .try_get::<Option<String>, _>("imitation")?
        .map(|text| serde_json::from_str(&text).map_err(|e| corrupt("imitation", &text, e)))
        .transpose()?;
    Ok(Discovered {
        id: r.try_get("id")?,
        host: r.try_get("host")?,
        path_prefix: r.try_get("path_prefix")?,
        source: source
            .parse()
            .map_err(|e| corrupt("discovery source", &source, e))?,
        hops: u32::try_from(r.try_get::<i64, _>("hops")?).unwrap_or(u32::MAX),
        first_sweep: r.try_get::<Option<i64>, _>("first_sweep")?.map(SweepId),
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        evidence: serde_json::from_str(&evidence).map_err(|e| corrupt("evidence", &evidence, e))?,
        sightings: r.try_get("sightings")?,
        shown: serde_json::from_str(&shown).map_err(|e| corrupt("shown", &shown, e))?,
        indicators: serde_json::from_str(&indicators)
            .map_err(|e| corrupt("indicators", &indicators, e))?,
        imitation,
        site_id: r.try_get::<Option<i64>, _>("site_id")?.map(SiteId),
        proposed_entity: r
            .try_get::<Option<i64>, _>("proposed_entity_id")?
            .map(EntityId),
        proposal: r
            .try_get::<Option<String>, _>("proposal_reason")?
            .as_deref()
            .map(ProposalBasis::from_stored),
        state: state
            .parse()
            .map_err(|e| corrupt("discovery state", &state, e))?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
    })
}

#[async_trait]
impl DiscoveryStore for SqlStore {
    async fn list_discovered(
        &self,
        scope: Scope,
        filter: &DiscoveryFilter,
    ) -> Result<Vec<Discovered>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            discovered_cols!(),
            discovered_from!(),
            " WHERE 1 = 1"
        ));
        push_discovery_filter(&mut q, &scope, filter);
        push_order(
            &mut q,
            filter.sort,
            |k| {
                use crate::sort::DiscoverySort as K;
                match k {
                    K::Id => vec!["d.id".into()],
                    K::Address => vec!["d.host".into(), "d.path_prefix".into()],
                    K::State => vec![rank(
                        "d.state",
                        DiscoveryState::ALL.iter().map(|s| s.code()),
                    )],
                    K::FirstSeen => vec!["d.first_seen".into()],
                    K::Source => vec![rank(
                        "d.source",
                        DiscoverySource::ALL.iter().map(|s| s.code()),
                    )],
                    K::Sightings => vec!["d.sightings".into()],
                }
            },
            "d.id",
            "d.host, d.path_prefix",
        );
        push_page(&mut q, filter.limit, filter.offset);
        fetch_mapped(&self.pool, &mut q, discovered_from_row).await
    }

    async fn count_discovered(&self, scope: Scope, filter: &DiscoveryFilter) -> Result<i64> {
        let from = concat!(discovered_from!(), " WHERE 1 = 1");
        count_rows(&self.pool, from, filter.count_up_to, |q| {
            push_discovery_filter(q, &scope, filter)
        })
        .await
    }

    async fn discovered(&self, scope: Scope, id: i64) -> Result<Option<Discovered>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            discovered_cols!(),
            " FROM discovered_sites d LEFT JOIN entities e ON e.id = d.proposed_entity_id \
             WHERE d.id = "
        ));
        q.push_bind(id);
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(discovered_from_row)
            .transpose()
    }

    async fn promote_discoveries(&self, sweep: SweepId) -> Result<Vec<Site>> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query(
            "SELECT id, host, path_prefix FROM discovered_sites \
             WHERE site_id IS NULL AND state IN ('new', 'unverified') ORDER BY id",
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

    async fn set_proposal(&self, id: i64, p: Option<&Proposal>) -> Result<()> {
        sqlx::query(
            "UPDATE discovered_sites SET proposed_entity_id = $2, proposal_reason = $3 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(p.map(|p| p.entity.0))
        .bind(p.map(|p| json(&p.basis)))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn decide_discovery(
        &self,
        id: i64,
        state: DiscoveryState,
        entity: Option<EntityId>,
        by: &Actor,
    ) -> Result<Discovered> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT site_id, state FROM discovered_sites WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("discovered site {id}")));
        };
        let site: Option<i64> = row.try_get("site_id")?;
        let before_state: String = row.try_get("state")?;
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
        .bind(&by.name)
        .bind(self.now())
        .bind(entity.map(|e| e.0))
        .execute(&mut *tx)
        .await?;
        super::people::audit(
            &mut tx,
            self.now(),
            by,
            &format!("discovered:{id}"),
            "decide",
            Some(serde_json::json!({ "state": before_state })),
            Some(serde_json::json!({ "state": state.code(), "entity": entity })),
        )
        .await?;
        tx.commit().await?;
        // The row just written, whoever may read it later.
        self.discovered(Scope::City, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("discovered site {id}")))
    }

    async fn record_discoveries(&self, found: &[NewDiscovery]) -> Result<usize> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let mut new = 0;
        for d in found {
            if record_discovery(&mut tx, None, d, now).await? {
                new += 1;
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn discovered_hops(&self) -> Result<std::collections::HashMap<SiteId, u32>> {
        let rows = sqlx::query(
            "SELECT site_id, hops FROM discovered_sites \
             WHERE site_id IS NOT NULL AND state IN ('new', 'unverified')",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    SiteId(r.try_get("site_id")?),
                    u32::try_from(r.try_get::<i64, _>("hops")?).unwrap_or(u32::MAX),
                ))
            })
            .collect()
    }

    async fn set_imitation(
        &self,
        id: i64,
        imitation: Option<&domain::lookalike::Imitation>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE discovered_sites SET imitates_entity_id = $2, imitation = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(imitation.map(|i| i.owner))
        .bind(imitation.map(json))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn discovery_stats(&self, scope: Scope) -> Result<Vec<SourceStats>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT d.source, d.state, COUNT(*) AS n",
            discovered_from!(),
            " WHERE 1 = 1"
        ));
        push_scope(&mut q, &scope);
        q.push(" GROUP BY d.source, d.state");
        let mut stats: Vec<SourceStats> = DiscoverySource::ALL
            .into_iter()
            .map(SourceStats::empty)
            .collect();
        for r in q.build().fetch_all(&self.pool).await? {
            let source: String = r.try_get("source")?;
            let state: String = r.try_get("state")?;
            let source: DiscoverySource = source
                .parse()
                .map_err(|e| corrupt("discovery source", &source, e))?;
            let state: DiscoveryState = state
                .parse()
                .map_err(|e| corrupt("discovery state", &state, e))?;
            if let Some(s) = stats.iter_mut().find(|s| s.source == source) {
                s.add(state, r.try_get("n")?);
            }
        }
        Ok(stats)
    }

    async fn ct_logs(&self) -> Result<Vec<CtLogState>> {
        sqlx::query(concat!(
            "SELECT ",
            ct_cols!(),
            " FROM ct_logs ORDER BY name"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(ct_from_row)
        .collect()
    }

    async fn ct_log(&self, name: &str, url: &str, log_id: &str) -> Result<CtLogState> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(concat!(
            "SELECT ",
            ct_cols!(),
            " FROM ct_logs WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let state = match row {
            Some(r) => {
                let state = ct_from_row(&r)?;
                if state.log_id != log_id {
                    return Err(StoreError::Conflict(format!(
                        "certificate transparency log {name}: its key changed (was {}, now \
                         {log_id}); give the new log another name",
                        state.log_id
                    )));
                }
                if state.url != url {
                    sqlx::query("UPDATE ct_logs SET url = $2 WHERE name = $1")
                        .bind(name)
                        .bind(url)
                        .execute(&mut *tx)
                        .await?;
                }
                CtLogState {
                    url: url.to_string(),
                    ..state
                }
            }
            None => {
                sqlx::query("INSERT INTO ct_logs (name, url, log_id) VALUES ($1, $2, $3)")
                    .bind(name)
                    .bind(url)
                    .bind(log_id)
                    .execute(&mut *tx)
                    .await?;
                CtLogState {
                    name: name.to_string(),
                    url: url.to_string(),
                    log_id: log_id.to_string(),
                    position: None,
                    entries_read: 0,
                    candidates: 0,
                    skipped: 0,
                    polled_at: None,
                    verified_at: None,
                    failures: 0,
                    failure: None,
                    failed_at: None,
                }
            }
        };
        tx.commit().await?;
        Ok(state)
    }

    async fn save_ct_batch(
        &self,
        name: &str,
        position: &serde_json::Value,
        read: i64,
        skipped: i64,
        found: &[NewDiscovery],
    ) -> Result<usize> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let mut new = 0;
        for d in found {
            if record_discovery(&mut tx, None, d, now).await? {
                new += 1;
            }
        }
        let done = sqlx::query(
            "UPDATE ct_logs SET position = $2, entries_read = entries_read + $3, \
             skipped = skipped + $4, candidates = candidates + $5, polled_at = $6, \
             verified_at = $6, failure_code = NULL, failure_detail = NULL WHERE name = $1",
        )
        .bind(name)
        .bind(position.to_string())
        .bind(read)
        .bind(skipped)
        .bind(new as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "certificate transparency log {name}"
            )));
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn ct_failure(&self, name: &str, code: &str, detail: &str) -> Result<()> {
        let now = self.now();
        sqlx::query(
            "UPDATE ct_logs SET failures = failures + 1, failure_code = $2, \
             failure_detail = $3, failed_at = $4, polled_at = $4 WHERE name = $1",
        )
        .bind(name)
        .bind(code)
        .bind(detail)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn ct_from_row(r: &DbRow) -> Result<CtLogState> {
    let position: Option<String> = r.try_get("position")?;
    let code: Option<String> = r.try_get("failure_code")?;
    let detail: Option<String> = r.try_get("failure_detail")?;
    Ok(CtLogState {
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        log_id: r.try_get("log_id")?,
        position: position
            .map(|p| serde_json::from_str(&p).map_err(|e| corrupt("ct position", &p, e)))
            .transpose()?,
        entries_read: r.try_get("entries_read")?,
        candidates: r.try_get("candidates")?,
        skipped: r.try_get("skipped")?,
        polled_at: r.try_get("polled_at")?,
        verified_at: r.try_get("verified_at")?,
        failures: r.try_get("failures")?,
        failure: code.map(|c| (c, detail.unwrap_or_default())),
        failed_at: r.try_get("failed_at")?,
    })
}

/// Records one sighting of a discovered site, unless the address is a registered site by now.
/// A sighting at fewer hops lowers the site's hops (and lets an unverified site into the
/// queue); indicators add up.
pub(super) async fn record_discovery(
    tx: &mut Tx,
    sweep: Option<SweepId>,
    d: &NewDiscovery,
    now: DateTime<Utc>,
) -> Result<bool> {
    let host = bare_host(&d.host).to_string();
    let www = format!("www.{host}");
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM sites WHERE (host = $1 OR host = $2) AND path_prefix = $3 \
         AND (origin = 'register' OR entity_id IS NOT NULL) LIMIT 1",
    )
    .bind(&host)
    .bind(&www)
    .bind(&d.path_prefix)
    .fetch_optional(&mut **tx)
    .await?;
    if known.is_some() {
        return Ok(false);
    }
    let row = sqlx::query(
        "SELECT id, evidence, hops, indicators, state FROM discovered_sites \
         WHERE (host = $1 OR host = $2) AND path_prefix = $3",
    )
    .bind(&host)
    .bind(&www)
    .bind(&d.path_prefix)
    .fetch_optional(&mut **tx)
    .await?;
    let hops = i64::from(d.hops.max(1));
    match row {
        None => {
            let state = if hops >= 2 {
                DiscoveryState::Unverified
            } else {
                DiscoveryState::New
            };
            sqlx::query(
                "INSERT INTO discovered_sites (host, path_prefix, source, hops, first_sweep, \
                 first_seen, last_seen, evidence, sightings, indicators, state) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, 1, $8, $9)",
            )
            .bind(&d.host)
            .bind(&d.path_prefix)
            .bind(d.source.code())
            .bind(hops)
            .bind(sweep.map(|s| s.0))
            .bind(now)
            .bind(json(&[&d.sighting]))
            .bind(json(&d.indicators))
            .bind(state.code())
            .execute(&mut **tx)
            .await?;
            Ok(true)
        }
        Some(r) => {
            let id: i64 = r.try_get("id")?;
            let text: String = r.try_get("evidence")?;
            let mut evidence: Vec<Sighting> =
                serde_json::from_str(&text).map_err(|e| corrupt("evidence", &text, e))?;
            let key = d.sighting.key();
            let seen_before = evidence.iter().any(|s| s.key() == key);
            if seen_before && sweep.is_none() {
                // The same filing or log entry read again: nothing new.
                return Ok(false);
            }
            if evidence.len() < MAX_SIGHTINGS && !seen_before {
                evidence.push(d.sighting.clone());
            }
            let text: String = r.try_get("indicators")?;
            let mut indicators: Vec<domain::locality::Indicator> =
                serde_json::from_str(&text).map_err(|e| corrupt("indicators", &text, e))?;
            for i in &d.indicators {
                if !indicators.contains(i) {
                    indicators.push(i.clone());
                }
            }
            let old_hops: i64 = r.try_get("hops")?;
            let state: String = r.try_get("state")?;
            let state = if state == DiscoveryState::Unverified.code()
                && (hops < 2 || !indicators.is_empty())
            {
                DiscoveryState::New.code().to_string()
            } else {
                state
            };
            sqlx::query(
                "UPDATE discovered_sites SET last_seen = $2, sightings = sightings + 1, \
                 evidence = $3, hops = $4, indicators = $5, state = $6 WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .bind(json(&evidence))
            .bind(old_hops.min(hops))
            .bind(json(&indicators))
            .bind(state)
            .execute(&mut **tx)
            .await?;
            Ok(false)
        }
    }
}

/// What a discovered site's pages show, once it is crawled, and the city indicators among it
/// (added to those its filing or certificate gave). A site two or more hops away enters the
/// queue when it has an indicator, and is set aside as remote when it has none.
pub(super) async fn record_pages_shown(
    tx: &mut Tx,
    site: SiteId,
    shown: &Shown,
    found: &[domain::locality::Indicator],
) -> Result<()> {
    let row = sqlx::query("SELECT id, indicators, state FROM discovered_sites WHERE site_id = $1")
        .bind(site.0)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(());
    };
    let id: i64 = row.try_get("id")?;
    let text: String = row.try_get("indicators")?;
    let mut indicators: Vec<domain::locality::Indicator> =
        serde_json::from_str(&text).map_err(|e| corrupt("indicators", &text, e))?;
    for i in found {
        if !indicators.contains(i) {
            indicators.push(i.clone());
        }
    }
    let state: String = row.try_get("state")?;
    let state = if state != DiscoveryState::Unverified.code() {
        state
    } else if indicators.is_empty() {
        DiscoveryState::Remote.code().to_string()
    } else {
        DiscoveryState::New.code().to_string()
    };
    sqlx::query(
        "UPDATE discovered_sites SET shown = $2, indicators = $3, state = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(json(shown))
    .bind(json(&indicators))
    .bind(state)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
