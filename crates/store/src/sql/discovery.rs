//! Sites found by sweeps, and the decisions on them.

use super::*;
use crate::{DiscoveryStore, SiteStore};
use async_trait::async_trait;
use domain::address::bare_host;

macro_rules! discovered_cols {
    () => {
        "d.id, d.host, d.path_prefix, d.first_sweep, d.first_seen, d.last_seen, d.evidence, \
         d.sightings, d.shown, d.site_id, d.proposed_entity_id, d.proposal_reason, d.state, \
         d.decided_by, d.decided_at"
    };
}

/// A discovered site is in the scope of the entity the matcher proposes (none: the city's).
macro_rules! discovered_from {
    () => {
        " FROM discovered_sites d LEFT JOIN entities e ON e.id = d.proposed_entity_id"
    };
}

/// The `WHERE` conditions of a discovery list (after `WHERE 1 = 1`): scope, then the filter.
fn push_discovery_filter(q: &mut QueryBuilder<Db>, scope: &Scope, filter: &DiscoveryFilter) {
    push_scope(q, scope);
    if let Some(s) = filter.state {
        q.push(" AND d.state = ").push_bind(s.code());
    }
}

fn discovered_from_row(r: &DbRow) -> Result<Discovered> {
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
                    K::Sightings => vec!["d.sightings".into()],
                }
            },
            "d.id",
            "d.host, d.path_prefix",
        );
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(discovered_from_row)
            .collect()
    }

    async fn count_discovered(&self, scope: Scope, filter: &DiscoveryFilter) -> Result<i64> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT COUNT(*)",
            discovered_from!(),
            " WHERE 1 = 1"
        ));
        push_discovery_filter(&mut q, &scope, filter);
        Ok(q.build_query_scalar().fetch_one(&self.pool).await?)
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

    async fn set_proposal(&self, id: i64, p: Option<&Proposal>) -> Result<()> {
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
}

/// Records one sighting of a discovered site, unless the address is a known site by now.
pub(super) async fn record_discovery(
    tx: &mut Tx,
    sweep: SweepId,
    d: &NewDiscovery,
    now: DateTime<Utc>,
) -> Result<()> {
    let host = bare_host(&d.host).to_string();
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
