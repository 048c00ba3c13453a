//! The public portal's records: notices, model sites, visit counts, and the public credit
//! query's name lookup. Notices are the bureau's; model sites are in a scope through their
//! site's entity (`e`). Every change audits in its transaction.

use super::*;
use crate::portal::*;
use crate::PortalStore;
use async_trait::async_trait;
use domain::{CreditClass, NoticeId};

macro_rules! notice_select {
    () => {
        "SELECT n.id, n.title, n.body, n.published_at, n.published_by, n.withdrawn_at, \
         n.withdrawn_by, n.withdrawn_reason FROM portal_notices n"
    };
}

macro_rules! model_site_select {
    () => {
        "SELECT m.site_id, s.host, s.path_prefix, e.id AS entity_id, e.name AS entity_name, \
         e.uscc, g.class, m.note, m.designated_at, m.designated_by \
         FROM portal_model_sites m JOIN sites s ON s.id = m.site_id \
         JOIN entities e ON e.id = s.entity_id \
         LEFT JOIN credit_scores g ON g.entity_id = e.id WHERE 1 = 1"
    };
}

fn notice_from_row(r: &DbRow) -> Result<Notice> {
    Ok(Notice {
        id: NoticeId(r.try_get("id")?),
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        published_at: r.try_get("published_at")?,
        published_by: r.try_get("published_by")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
        withdrawn_by: r.try_get("withdrawn_by")?,
        withdrawn_reason: r.try_get("withdrawn_reason")?,
    })
}

fn model_site_from_row(r: &DbRow) -> Result<ModelSite> {
    let class: Option<String> = r.try_get("class")?;
    Ok(ModelSite {
        site_id: SiteId(r.try_get("site_id")?),
        host: r.try_get("host")?,
        path_prefix: r.try_get("path_prefix")?,
        entity_id: EntityId(r.try_get("entity_id")?),
        entity_name: r.try_get("entity_name")?,
        uscc: r.try_get("uscc")?,
        class: class
            .map(|c| CreditClass::from_str(&c).map_err(|e| corrupt("credit class", &c, e)))
            .transpose()?,
        note: r.try_get("note")?,
        designated_at: r.try_get("designated_at")?,
        designated_by: r.try_get("designated_by")?,
    })
}

async fn notice_tx(tx: &mut Tx, id: NoticeId) -> Result<Option<Notice>> {
    sqlx::query(concat!(notice_select!(), " WHERE n.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(notice_from_row)
        .transpose()
}

async fn model_site_tx(tx: &mut Tx, scope: &Scope, site: SiteId) -> Result<Option<ModelSite>> {
    let mut q = QueryBuilder::<Db>::new(concat!(model_site_select!(), " AND m.site_id = "));
    q.push_bind(site.0);
    push_scope(&mut q, scope);
    q.build()
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(model_site_from_row)
        .transpose()
}

/// `fragment` as a `LIKE` pattern matching it anywhere (`\` escapes).
fn contains_pattern(fragment: &str) -> String {
    let mut p = String::from("%");
    for c in fragment.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[async_trait]
impl PortalStore for SqlStore {
    async fn publish_notice(&self, new: &NewNotice, by: &Actor) -> Result<Notice> {
        let mut tx = self.write_tx().await?;
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO portal_notices (title, body, published_at, published_by) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&new.title)
        .bind(&new.body)
        .bind(now)
        .bind(&by.name)
        .fetch_one(&mut *tx)
        .await?;
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("notice:{id}"),
            "publish",
            None,
            Some(serde_json::to_value(new).expect("a notice serialises")),
        )
        .await?;
        let notice = notice_tx(&mut tx, NoticeId(id))
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("notice {id}")))?;
        tx.commit().await?;
        Ok(notice)
    }

    async fn withdraw_notice(&self, id: NoticeId, reason: &str, by: &Actor) -> Result<Notice> {
        let mut tx = self.write_tx().await?;
        let old = notice_tx(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("notice {id}")))?;
        if !old.published() {
            return Err(StoreError::Conflict(format!(
                "notice {id} was withdrawn already"
            )));
        }
        let now = self.now();
        let changed = sqlx::query(
            "UPDATE portal_notices SET withdrawn_at = $1, withdrawn_by = $2, \
             withdrawn_reason = $3 WHERE id = $4 AND withdrawn_at IS NULL",
        )
        .bind(now)
        .bind(&by.name)
        .bind(reason)
        .bind(id.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "notice {id} was withdrawn already"
            )));
        }
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("notice:{id}"),
            "withdraw",
            Some(serde_json::json!({"state": "published"})),
            Some(serde_json::json!({"state": "withdrawn", "reason": reason})),
        )
        .await?;
        let notice = notice_tx(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("notice {id}")))?;
        tx.commit().await?;
        Ok(notice)
    }

    async fn notice(&self, id: NoticeId) -> Result<Option<Notice>> {
        sqlx::query(concat!(notice_select!(), " WHERE n.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(notice_from_row)
            .transpose()
    }

    async fn notices(&self, with_withdrawn: bool, limit: i64, offset: i64) -> Result<Vec<Notice>> {
        let mut q = QueryBuilder::<Db>::new(concat!(notice_select!(), " WHERE 1 = 1"));
        if !with_withdrawn {
            q.push(" AND n.withdrawn_at IS NULL");
        }
        q.push(" ORDER BY n.published_at DESC, n.id DESC");
        push_page(&mut q, limit, offset);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(notice_from_row)
            .collect()
    }

    async fn designate_model_site(
        &self,
        scope: Scope,
        site: SiteId,
        note: Option<&str>,
        by: &Actor,
    ) -> Result<ModelSite> {
        let mut tx = self.write_tx().await?;
        let mut q = QueryBuilder::<Db>::new(
            "SELECT s.id FROM sites s JOIN entities e ON e.id = s.entity_id WHERE s.id = ",
        );
        q.push_bind(site.0);
        push_scope(&mut q, &scope);
        let found: Option<i64> = q.build_query_scalar().fetch_optional(&mut *tx).await?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("site {site}")));
        }
        if model_site_tx(&mut tx, &scope, site).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "site {site} is a model site already"
            )));
        }
        let now = self.now();
        sqlx::query(
            "INSERT INTO portal_model_sites (site_id, note, designated_at, designated_by) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(site.0)
        .bind(note)
        .bind(now)
        .bind(&by.name)
        .execute(&mut *tx)
        .await?;
        super::people::audit(
            &mut tx,
            now,
            by,
            &format!("model_site:{site}"),
            "designate",
            None,
            Some(serde_json::json!({"site": site, "note": note})),
        )
        .await?;
        let m = model_site_tx(&mut tx, &scope, site)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("site {site}")))?;
        tx.commit().await?;
        Ok(m)
    }

    async fn remove_model_site(&self, scope: Scope, site: SiteId, by: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let old = model_site_tx(&mut tx, &scope, site)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("model site {site}")))?;
        sqlx::query("DELETE FROM portal_model_sites WHERE site_id = $1")
            .bind(site.0)
            .execute(&mut *tx)
            .await?;
        super::people::audit(
            &mut tx,
            self.now(),
            by,
            &format!("model_site:{site}"),
            "remove",
            Some(serde_json::json!({"site": site, "note": old.note})),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn model_sites(&self, scope: Scope) -> Result<Vec<ModelSite>> {
        let mut q = QueryBuilder::<Db>::new(model_site_select!());
        push_scope(&mut q, &scope);
        q.push(" ORDER BY e.name, s.host, s.path_prefix");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(model_site_from_row)
            .collect()
    }

    async fn entities_named(
        &self,
        scope: Scope,
        fragment: &str,
        limit: i64,
    ) -> Result<Vec<EntityHit>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT e.id, e.name, e.uscc FROM entities e WHERE e.name LIKE ",
        );
        q.push_bind(contains_pattern(fragment)).push(" ESCAPE '\\'");
        push_scope(&mut q, &scope);
        q.push(" ORDER BY e.name, e.id");
        push_page(&mut q, limit, 0);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(EntityHit {
                    id: EntityId(r.try_get("id")?),
                    name: r.try_get("name")?,
                    uscc: r.try_get("uscc")?,
                })
            })
            .collect()
    }

    async fn add_portal_visits(&self, counts: &[VisitCount]) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for c in counts {
            sqlx::query(
                "INSERT INTO portal_visits (day, page, count) VALUES ($1, $2, $3) \
                 ON CONFLICT (day, page) DO UPDATE SET count = portal_visits.count + excluded.count",
            )
            .bind(c.day)
            .bind(&c.page)
            .bind(c.count)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn portal_visits(&self, since: NaiveDate) -> Result<Vec<VisitCount>> {
        sqlx::query("SELECT day, page, count FROM portal_visits WHERE day >= $1 ORDER BY day, page")
            .bind(since)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(VisitCount {
                    day: r.try_get("day")?,
                    page: r.try_get("page")?,
                    count: r.try_get("count")?,
                })
            })
            .collect()
    }
}
