//! Two-person evidence capture requests: asked for by one user, confirmed by another, then
//! done or failed; every step audited in its transaction (object `capture_request:<id>`).

use super::*;
use crate::capture::*;
use crate::CaptureRequestStore;
use async_trait::async_trait;
use domain::CaptureRequestId;

macro_rules! request_select {
    () => {
        "SELECT r.id, r.url, r.site_id, s.host, s.path_prefix, e.district, s.entity_id, \
         r.clue_id, r.reason, r.state, r.requested_by, ru.username AS requested_by_name, \
         r.requested_at, r.confirmed_by, cu.username AS confirmed_by_name, r.confirmed_at, \
         r.finished_at, r.sweep_id, r.error \
         FROM capture_requests r JOIN sites s ON s.id = r.site_id \
         LEFT JOIN entities e ON e.id = s.entity_id \
         JOIN users ru ON ru.id = r.requested_by \
         LEFT JOIN users cu ON cu.id = r.confirmed_by WHERE 1 = 1"
    };
}

fn request_from_row(r: &DbRow) -> Result<CaptureRequest> {
    let state: String = r.try_get("state")?;
    let host: String = r.try_get("host")?;
    let prefix: String = r.try_get("path_prefix")?;
    Ok(CaptureRequest {
        id: CaptureRequestId(r.try_get("id")?),
        url: r.try_get("url")?,
        site_id: SiteId(r.try_get("site_id")?),
        site: format!("{host}{prefix}"),
        district: opt_district(r.try_get("district")?)?,
        entity_id: r.try_get::<Option<i64>, _>("entity_id")?.map(EntityId),
        clue_id: r.try_get::<Option<i64>, _>("clue_id")?.map(ClueId),
        reason: r.try_get("reason")?,
        state: CaptureState::from_str(&state).map_err(|e| corrupt("capture state", &state, e))?,
        requested_by: UserId(r.try_get("requested_by")?),
        requested_by_name: r.try_get("requested_by_name")?,
        requested_at: r.try_get("requested_at")?,
        confirmed_by: r.try_get::<Option<i64>, _>("confirmed_by")?.map(UserId),
        confirmed_by_name: r.try_get("confirmed_by_name")?,
        confirmed_at: r.try_get("confirmed_at")?,
        finished_at: r.try_get("finished_at")?,
        sweep_id: r.try_get::<Option<i64>, _>("sweep_id")?.map(SweepId),
        error: r.try_get("error")?,
    })
}

/// What the audit log keeps of a request.
fn request_json(r: &CaptureRequest) -> serde_json::Value {
    serde_json::json!({
        "url": r.url,
        "site": r.site,
        "clue": r.clue_id,
        "reason": r.reason,
        "state": r.state,
        "requested_by": r.requested_by_name,
        "confirmed_by": r.confirmed_by_name,
        "sweep": r.sweep_id,
        "error": r.error,
    })
}

/// The request `id` in `scope`, on `tx`.
async fn request_in(tx: &mut Tx, scope: &Scope, id: CaptureRequestId) -> Result<CaptureRequest> {
    let mut q = QueryBuilder::<Db>::new(request_select!());
    q.push(" AND r.id = ").push_bind(id.0);
    push_scope(&mut q, scope);
    let row = q
        .build()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("capture request {id}")))?;
    request_from_row(&row)
}

#[async_trait]
impl CaptureRequestStore for SqlStore {
    async fn create_capture_request(
        &self,
        new: &NewCaptureRequest,
        by: &Actor,
    ) -> Result<CaptureRequest> {
        let mut tx = self.write_tx().await?;
        if let Some(c) = new.clue_id {
            let of: Option<i64> = sqlx::query_scalar("SELECT site_id FROM clues WHERE id = $1")
                .bind(c.0)
                .fetch_optional(&mut *tx)
                .await?;
            if of != Some(new.site_id.0) {
                return Err(StoreError::NotFound(format!(
                    "clue {c} of site {}",
                    new.site_id
                )));
            }
        }
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO capture_requests (requested_by, requested_at, url, site_id, clue_id, \
             reason, state) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.requested_by.0)
        .bind(now)
        .bind(&new.url)
        .bind(new.site_id.0)
        .bind(new.clue_id.map(|c| c.0))
        .bind(&new.reason)
        .bind(CaptureState::Pending.code())
        .fetch_one(&mut *tx)
        .await?;
        let created = request_in(&mut tx, &Scope::City, CaptureRequestId(id)).await?;
        people::audit(
            &mut tx,
            now,
            by,
            &format!("capture_request:{id}"),
            "request",
            None,
            Some(request_json(&created)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn capture_request(
        &self,
        scope: Scope,
        id: CaptureRequestId,
    ) -> Result<Option<CaptureRequest>> {
        let mut q = QueryBuilder::<Db>::new(request_select!());
        q.push(" AND r.id = ").push_bind(id.0);
        push_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(request_from_row)
            .transpose()
    }

    async fn list_capture_requests(
        &self,
        scope: Scope,
        filter: &CaptureRequestFilter,
    ) -> Result<Vec<CaptureRequest>> {
        let mut q = QueryBuilder::<Db>::new(request_select!());
        push_scope(&mut q, &scope);
        if !filter.states.is_empty() {
            q.push(" AND r.state IN (");
            let mut list = q.separated(", ");
            for s in &filter.states {
                list.push_bind(s.code());
            }
            q.push(")");
        }
        q.push(" ORDER BY r.id DESC");
        push_page(&mut q, filter.limit, 0);
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(request_from_row)
            .collect()
    }

    async fn step_capture_request(
        &self,
        scope: Scope,
        id: CaptureRequestId,
        step: &CaptureStep,
        by: &Actor,
    ) -> Result<CaptureRequest> {
        let mut tx = self.write_tx().await?;
        let before = request_in(&mut tx, &scope, id).await?;
        let next = before.state.after(step, before.requested_by, by.user)?;
        let now = self.now();
        let mut q = QueryBuilder::<Db>::new("UPDATE capture_requests SET state = ");
        q.push_bind(next.code());
        match step {
            CaptureStep::Confirm => {
                q.push(", confirmed_by = ")
                    .push_bind(by.user.map(|u| u.0))
                    .push(", confirmed_at = ")
                    .push_bind(now);
            }
            CaptureStep::Cancel => {
                q.push(", finished_at = ").push_bind(now);
            }
            CaptureStep::Done(sweep) => {
                q.push(", finished_at = ")
                    .push_bind(now)
                    .push(", sweep_id = ")
                    .push_bind(sweep.0);
            }
            CaptureStep::Fail(why) => {
                q.push(", finished_at = ")
                    .push_bind(now)
                    .push(", error = ")
                    .push_bind(why.clone());
            }
        }
        // The state read above still holds: a concurrent step that got there first wins.
        q.push(" WHERE id = ")
            .push_bind(id.0)
            .push(" AND state = ")
            .push_bind(before.state.code());
        if q.build().execute(&mut *tx).await?.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "capture request {id} changed meanwhile"
            )));
        }
        let after = request_in(&mut tx, &Scope::City, id).await?;
        people::audit(
            &mut tx,
            now,
            by,
            &format!("capture_request:{id}"),
            step.code(),
            Some(request_json(&before)),
            Some(request_json(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
