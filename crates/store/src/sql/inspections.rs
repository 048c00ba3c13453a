//! Field inspections, their officers and their attachments' rows; every inspection recorded
//! with its audit row (`inspection:<id>`) in the same transaction.

use super::*;
use crate::inspection::*;
use crate::InspectionStore;
use async_trait::async_trait;
use domain::{AttachmentId, CaseId, InspectionId, InspectionResult};

macro_rules! inspection_select {
    () => {
        "SELECT i.id, i.entity_id, e.name AS entity_name, e.uscc, i.case_id, i.district, \
         i.inspected_at, i.place, i.result, i.notes, i.created_at, i.created_by, \
         u.username AS created_by_name, \
         (SELECT COUNT(*) FROM attachments a WHERE a.inspection_id = i.id) AS attachments \
         FROM inspections i JOIN entities e ON e.id = i.entity_id \
         JOIN users u ON u.id = i.created_by WHERE 1 = 1"
    };
}

macro_rules! attachment_select {
    () => {
        "SELECT a.id, a.inspection_id, a.sha256, a.size, a.media_type, a.file_name, a.stored_at, \
         a.stored_by, u.username AS stored_by_name \
         FROM attachments a JOIN inspections i ON i.id = a.inspection_id \
         JOIN users u ON u.id = a.stored_by WHERE 1 = 1"
    };
}

/// Appends the scope of inspections (the query names `inspections i`): a district scope by the
/// inspection's own district, an evaluator's by its entity.
pub(crate) fn push_inspection_scope(q: &mut QueryBuilder<Db>, scope: &Scope) {
    push_scope_on(q, scope, "i.district", "i.entity_id");
}

fn inspection_from_row(r: &DbRow) -> Result<Inspection> {
    let result: String = r.try_get("result")?;
    let dist: String = r.try_get("district")?;
    Ok(Inspection {
        id: InspectionId(r.try_get("id")?),
        entity_id: EntityId(r.try_get("entity_id")?),
        entity_name: r.try_get("entity_name")?,
        uscc: r.try_get("uscc")?,
        case_id: r.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
        district: district(&dist)?,
        inspected_at: r.try_get("inspected_at")?,
        place: r.try_get("place")?,
        result: InspectionResult::from_str(&result)
            .map_err(|e| corrupt("inspection result", &result, e))?,
        notes: r.try_get("notes")?,
        officers: Vec::new(),
        attachments: r.try_get("attachments")?,
        created_at: r.try_get("created_at")?,
        created_by: UserId(r.try_get("created_by")?),
        created_by_name: r.try_get("created_by_name")?,
    })
}

fn attachment_from_row(r: &DbRow) -> Result<Attachment> {
    Ok(Attachment {
        id: AttachmentId(r.try_get("id")?),
        inspection_id: InspectionId(r.try_get("inspection_id")?),
        file: NewAttachment {
            sha256: r.try_get("sha256")?,
            size: r.try_get("size")?,
            media_type: r.try_get("media_type")?,
            file_name: r.try_get("file_name")?,
        },
        stored_at: r.try_get("stored_at")?,
        stored_by: UserId(r.try_get("stored_by")?),
        stored_by_name: r.try_get("stored_by_name")?,
    })
}

fn push_filter(q: &mut QueryBuilder<Db>, filter: &InspectionFilter) {
    if let Some(e) = filter.entity {
        q.push(" AND i.entity_id = ").push_bind(e.0);
    }
    if let Some(c) = filter.case {
        q.push(" AND i.case_id = ").push_bind(c.0);
    }
    if let Some(d) = filter.district {
        q.push(" AND i.district = ").push_bind(d.to_string());
    }
    if let Some(r) = filter.result {
        q.push(" AND i.result = ").push_bind(r.code());
    }
    if let Some(t) = filter.from {
        q.push(" AND i.inspected_at >= ").push_bind(t);
    }
    if let Some(t) = filter.until {
        q.push(" AND i.inspected_at < ").push_bind(t);
    }
}

/// Fills in the officers of `list` (one query for all of them).
async fn with_officers<'e, E>(exec: E, mut list: Vec<Inspection>) -> Result<Vec<Inspection>>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    if list.is_empty() {
        return Ok(list);
    }
    let mut q = QueryBuilder::<Db>::new(
        "SELECT o.inspection_id, u.id, u.username, u.display_name FROM inspection_officers o \
         JOIN users u ON u.id = o.user_id WHERE o.inspection_id IN (",
    );
    let mut ids = q.separated(", ");
    for i in &list {
        ids.push_bind(i.id.0);
    }
    q.push(") ORDER BY u.username");
    let rows = q.build().fetch_all(exec).await?;
    for r in rows {
        let of = InspectionId(r.try_get("inspection_id")?);
        let officer = Officer {
            id: UserId(r.try_get("id")?),
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
        };
        if let Some(i) = list.iter_mut().find(|i| i.id == of) {
            i.officers.push(officer);
        }
    }
    Ok(list)
}

/// What the audit log keeps of an inspection.
fn inspection_json(i: &Inspection, files: &[NewAttachment]) -> serde_json::Value {
    serde_json::json!({
        "entity": i.entity_id,
        "case": i.case_id,
        "district": i.district.to_string(),
        "inspected_at": i.inspected_at,
        "place": i.place,
        "result": i.result,
        "notes": i.notes,
        "officers": i.officers.iter().map(|o| &o.username).collect::<Vec<_>>(),
        "attachments": files,
    })
}

#[async_trait]
impl InspectionStore for SqlStore {
    async fn record_inspection(
        &self,
        scope: Scope,
        new: &NewInspection,
        by: &Actor,
    ) -> Result<Inspection> {
        if new.officers.is_empty() {
            return Err(StoreError::Conflict(
                "an inspection names at least one officer".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        let mut q = QueryBuilder::<Db>::new("SELECT e.district FROM entities e WHERE e.id = ");
        q.push_bind(new.entity_id.0);
        push_scope(&mut q, &scope);
        let entity_district: String = q
            .build_query_scalar()
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("entity {}", new.entity_id)))?;
        let dist = match new.case_id {
            None => entity_district,
            Some(c) => {
                let case = case_ref_in(&mut *tx, &scope, c)
                    .await?
                    .filter(|k| k.entity_id == Some(new.entity_id))
                    .ok_or_else(|| {
                        StoreError::NotFound(format!("case {c} of entity {}", new.entity_id))
                    })?;
                case.district.to_string()
            }
        };
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO inspections (entity_id, case_id, district, inspected_at, place, result, \
             notes, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
        )
        .bind(new.entity_id.0)
        .bind(new.case_id.map(|c| c.0))
        .bind(&dist)
        .bind(new.inspected_at)
        .bind(&new.place)
        .bind(new.result.code())
        .bind(&new.notes)
        .bind(now)
        .bind(new.created_by.0)
        .fetch_one(&mut *tx)
        .await?;
        let mut officers: Vec<UserId> = new.officers.clone();
        officers.sort();
        officers.dedup();
        for o in officers {
            sqlx::query("INSERT INTO inspection_officers (inspection_id, user_id) VALUES ($1, $2)")
                .bind(id)
                .bind(o.0)
                .execute(&mut *tx)
                .await?;
        }
        for a in &new.attachments {
            sqlx::query(
                "INSERT INTO attachments (inspection_id, sha256, size, media_type, file_name, \
                 stored_at, stored_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(&a.sha256)
            .bind(a.size)
            .bind(&a.media_type)
            .bind(&a.file_name)
            .bind(now)
            .bind(new.created_by.0)
            .execute(&mut *tx)
            .await?;
        }
        let mut q = QueryBuilder::<Db>::new(inspection_select!());
        q.push(" AND i.id = ").push_bind(id);
        let row = q.build().fetch_one(&mut *tx).await?;
        let created = inspection_from_row(&row)?;
        let created = with_officers(&mut *tx, vec![created])
            .await?
            .pop()
            .expect("one inspection");
        people::audit(
            &mut tx,
            now,
            by,
            &format!("inspection:{id}"),
            "record",
            None,
            Some(inspection_json(&created, &new.attachments)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn inspection(&self, scope: Scope, id: InspectionId) -> Result<Option<Inspection>> {
        let mut q = QueryBuilder::<Db>::new(inspection_select!());
        q.push(" AND i.id = ").push_bind(id.0);
        push_inspection_scope(&mut q, &scope);
        let Some(row) = q.build().fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let found = inspection_from_row(&row)?;
        Ok(with_officers(&self.pool, vec![found]).await?.pop())
    }

    async fn list_inspections(
        &self,
        scope: Scope,
        filter: &InspectionFilter,
    ) -> Result<Vec<Inspection>> {
        let mut q = QueryBuilder::<Db>::new(inspection_select!());
        push_inspection_scope(&mut q, &scope);
        push_filter(&mut q, filter);
        push_order(
            &mut q,
            filter.sort,
            |k| {
                use crate::sort::InspectionSort as K;
                vec![match k {
                    K::Id => "i.id".into(),
                    K::InspectedAt => "i.inspected_at".into(),
                    K::Entity => "e.name".into(),
                    K::District => "i.district".into(),
                    K::Case => "i.case_id".into(),
                    K::Result => rank(
                        "i.result",
                        domain::InspectionResult::ALL.iter().map(|r| r.code()),
                    ),
                    K::Attachments => {
                        "(SELECT COUNT(*) FROM attachments a WHERE a.inspection_id = i.id)".into()
                    }
                    K::Place => "i.place".into(),
                }]
            },
            "i.id",
            "i.inspected_at DESC, i.id DESC",
        );
        push_page(&mut q, filter.limit, filter.offset);
        let list = q
            .build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(inspection_from_row)
            .collect::<Result<Vec<_>>>()?;
        with_officers(&self.pool, list).await
    }

    async fn count_inspections(&self, scope: Scope, filter: &InspectionFilter) -> Result<i64> {
        let from = " FROM inspections i WHERE 1 = 1";
        count_rows(&self.pool, from, filter.count_up_to, |q| {
            push_inspection_scope(q, &scope);
            push_filter(q, filter);
        })
        .await
    }

    async fn inspection_attachments(
        &self,
        scope: Scope,
        id: InspectionId,
    ) -> Result<Vec<Attachment>> {
        let mut q = QueryBuilder::<Db>::new(attachment_select!());
        q.push(" AND a.inspection_id = ").push_bind(id.0);
        push_inspection_scope(&mut q, &scope);
        q.push(" ORDER BY a.id");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(attachment_from_row)
            .collect()
    }

    async fn attachment(&self, scope: Scope, id: AttachmentId) -> Result<Option<Attachment>> {
        let mut q = QueryBuilder::<Db>::new(attachment_select!());
        q.push(" AND a.id = ").push_bind(id.0);
        push_inspection_scope(&mut q, &scope);
        q.build()
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(attachment_from_row)
            .transpose()
    }

    async fn case_ref(&self, scope: Scope, id: CaseId) -> Result<Option<CaseRef>> {
        case_ref_in(&self.pool, &scope, id).await
    }
}

/// The case `id` in `scope` (by its district, or its entity for an evaluator).
async fn case_ref_in<'e, E>(exec: E, scope: &Scope, id: CaseId) -> Result<Option<CaseRef>>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let mut q = QueryBuilder::<Db>::new(
        "SELECT k.id, k.number, k.entity_id, k.district FROM cases k WHERE k.id = ",
    );
    q.push_bind(id.0);
    push_scope_on(&mut q, scope, "k.district", "k.entity_id");
    let Some(r) = q.build().fetch_optional(exec).await? else {
        return Ok(None);
    };
    let dist: String = r.try_get("district")?;
    Ok(Some(CaseRef {
        id: CaseId(r.try_get("id")?),
        number: r.try_get("number")?,
        entity_id: r.try_get::<Option<i64>, _>("entity_id")?.map(EntityId),
        district: district(&dist)?,
    }))
}
