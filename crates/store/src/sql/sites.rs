//! Sites: hosts, and shops on a platform.

use super::*;
use crate::SiteStore;
use async_trait::async_trait;

/// The `WHERE` conditions of a site list (after `WHERE 1 = 1`): scope, then the filter.
fn push_site_filter(q: &mut QueryBuilder<Db>, scope: &Scope, filter: &SiteFilter) {
    push_scope(q, scope);
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
}

#[async_trait]
impl SiteStore for SqlStore {
    async fn list_sites(&self, scope: Scope, filter: &SiteFilter) -> Result<Vec<Site>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE 1 = 1"
        ));
        push_site_filter(&mut q, &scope, filter);
        push_order(
            &mut q,
            filter.sort,
            |k| {
                use crate::sort::SiteSort as K;
                match k {
                    K::Host => vec!["s.host".into(), "s.path_prefix".into()],
                    K::Prefix => vec!["s.path_prefix".into()],
                    K::Kind => vec![rank("s.kind", SiteKind::ALL.iter().map(|s| s.code()))],
                    K::Entity => vec!["e.name".into()],
                    K::District => vec!["e.district".into()],
                }
            },
            "s.id",
            "s.host, s.path_prefix",
        );
        push_page(&mut q, filter.limit, filter.offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(site_from_row)
            .collect()
    }

    async fn count_sites(&self, scope: Scope, filter: &SiteFilter) -> Result<i64> {
        // The entity is joined only for a district (the scope's or the filter's): a site has
        // at most one entity (the join is on its key), so city-wide it changes no count.
        let by_district = !matches!(scope, Scope::City) || filter.district.is_some();
        let from = if by_district {
            concat!(site_from!(), " WHERE 1 = 1")
        } else {
            " FROM sites s WHERE 1 = 1"
        };
        count_rows(&self.pool, from, filter.count_up_to, |q| {
            push_site_filter(q, &scope, filter)
        })
        .await
    }

    async fn site(&self, scope: Scope, id: SiteId) -> Result<Option<Site>> {
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE s.id = "
        ));
        q.push_bind(id.0);
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(site_from_row)
            .transpose()
    }

    async fn site_for_url(&self, scope: Scope, host: &str, path: &str) -> Result<Option<Site>> {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        let bare = domain::address::bare_host(&host).to_string();
        // The host's sites (`www.` or not) with their shops; which one owns the path is
        // `domain::address::owner`'s decision, not SQL's. The owner is chosen among all of
        // them and only then checked against the scope: a shop outside the scope must not
        // hand its URLs to the platform's site.
        let sites = sqlx::query(concat!(
            "SELECT ",
            site_cols!(),
            site_from!(),
            " WHERE s.host = $1 OR s.host = $2"
        ))
        .bind(&bare)
        .bind(format!("www.{bare}"))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(site_from_row)
        .collect::<Result<Vec<Site>>>()?;
        Ok(domain::address::owner(
            &sites,
            |s| (s.host.as_str(), s.path_prefix.as_str()),
            &host,
            path,
        )
        .filter(|s| scope.allows(s.district, s.entity_id))
        .cloned())
    }
}
