//! Sites: hosts, and shops on a platform.

use super::*;
use crate::SiteStore;
use async_trait::async_trait;

#[async_trait]
impl SiteStore for SqlStore {
    async fn list_sites(&self, scope: Scope, filter: &SiteFilter) -> Result<Vec<Site>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE 1 = 1"
        ));
        push_scope(&mut q, scope);
        if let Some(d) = filter.district {
            q.push(" AND e.district = ").push_bind(d.to_string());
        }
        if let Some(k) = filter.kind {
            q.push(" AND s.kind = ").push_bind(k.code());
        }
        match filter.registered {
            Some(true) => {
                q.push(" AND s.entity_id IS NOT NULL");
            }
            Some(false) => {
                q.push(" AND s.entity_id IS NULL");
            }
            None => {}
        }
        q.push(" ORDER BY s.host, s.path_prefix");
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(site_from_row)
            .collect()
    }

    async fn site(&self, scope: Scope, id: SiteId) -> Result<Option<Site>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE s.id = "
        ));
        q.push_bind(id.0);
        push_scope(&mut q, scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(site_from_row)
            .transpose()
    }

    async fn site_for_url(&self, host: &str, path: &str) -> Result<Option<Site>> {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        // A host's sites: the host itself and its shops. Prefix matching is segment-wise and
        // done here rather than with LIKE, which would need escaping per backend.
        let rows = sqlx::query(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE s.host = $1"
        ))
        .bind(&host)
        .fetch_all(&self.pool)
        .await?;
        let mut best: Option<Site> = None;
        for r in &rows {
            let site = site_from_row(r)?;
            let addr = SiteAddress {
                host: site.host.clone(),
                path_prefix: site.path_prefix.clone(),
            };
            if addr.covers(path)
                && best
                    .as_ref()
                    .is_none_or(|b| b.path_prefix.len() < site.path_prefix.len())
            {
                best = Some(site);
            }
        }
        Ok(best)
    }
}
