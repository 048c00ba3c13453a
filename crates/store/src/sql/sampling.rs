//! Random inspections: plans and their pools, the population query, draws with their entities
//! and inspectors; every change audited (`sampling_plan:<id>`, `sampling_draw:<id>`) in its
//! transaction.

use super::*;
use crate::sampling::*;
use crate::SamplingStore;
use async_trait::async_trait;
use domain::{CreditClass, DrawId, InspectionId, InspectionResult, SamplingPlanId};
use std::collections::BTreeMap;

macro_rules! plan_select {
    () => {
        "SELECT p.id, p.name, p.items, p.population_filter, p.ratios, p.exclude_same_district, \
         p.inspectors_per_entity, p.state, p.created_at, p.created_by FROM sampling_plans p"
    };
}

macro_rules! draw_select {
    () => {
        "SELECT d.id, d.plan_id, p.name AS plan_name, d.seed, d.algorithm, d.ratios, \
         d.population, d.pool, d.drawn_at, d.drawn_by \
         FROM sampling_draws d JOIN sampling_plans p ON p.id = d.plan_id"
    };
}

fn class(s: &str) -> Result<CreditClass> {
    CreditClass::from_str(s).map_err(|e| corrupt("credit class", s, e))
}

/// `{"A": "0.03", …}`: ratios by class code.
fn ratios_json(r: &BTreeMap<CreditClass, String>) -> String {
    let m: BTreeMap<&str, &str> = r.iter().map(|(c, v)| (c.code(), v.as_str())).collect();
    json(&m)
}

fn ratios_from(text: &str) -> Result<BTreeMap<CreditClass, String>> {
    let m: BTreeMap<String, String> =
        serde_json::from_str(text).map_err(|e| corrupt("sampling ratios", text, e))?;
    m.into_iter().map(|(k, v)| Ok((class(&k)?, v))).collect()
}

fn plan_from_row(r: &DbRow) -> Result<SamplingPlan> {
    let items: String = r.try_get("items")?;
    let filter: String = r.try_get("population_filter")?;
    let ratios: String = r.try_get("ratios")?;
    let state: String = r.try_get("state")?;
    let filter_value: serde_json::Value =
        serde_json::from_str(&filter).map_err(|e| corrupt("population filter", &filter, e))?;
    Ok(SamplingPlan {
        id: SamplingPlanId(r.try_get("id")?),
        name: r.try_get("name")?,
        items: serde_json::from_str(&items).map_err(|e| corrupt("plan items", &items, e))?,
        filter: PopulationFilter::from_json(&filter_value)
            .ok_or_else(|| corrupt("population filter", &filter, "unknown codes"))?,
        ratios: ratios_from(&ratios)?,
        exclude_same_district: r.try_get("exclude_same_district")?,
        inspectors_per_entity: r.try_get("inspectors_per_entity")?,
        state: match state.as_str() {
            "active" => PlanState::Active,
            "closed" => PlanState::Closed,
            other => return Err(corrupt("plan state", other, "unknown")),
        },
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        inspectors: Vec::new(),
    })
}

/// Fills in the pools of `plans` (with each inspector's districts).
async fn with_pools<'e, E>(exec: E, mut plans: Vec<SamplingPlan>) -> Result<Vec<SamplingPlan>>
where
    E: sqlx::Executor<'e, Database = Db> + Copy,
{
    if plans.is_empty() {
        return Ok(plans);
    }
    let mut q = QueryBuilder::<Db>::new(
        "SELECT pi.plan_id, u.id, u.username, u.display_name, u.role, u.disabled \
         FROM sampling_plan_inspectors pi JOIN users u ON u.id = pi.user_id \
         WHERE pi.plan_id IN (",
    );
    let mut ids = q.separated(", ");
    for p in &plans {
        ids.push_bind(p.id.0);
    }
    q.push(") ORDER BY u.username");
    let rows = q.build().fetch_all(exec).await?;
    let mut users = BTreeSet::new();
    let mut members = Vec::with_capacity(rows.len());
    for r in &rows {
        let role: String = r.try_get("role")?;
        let id = UserId(r.try_get("id")?);
        users.insert(id.0);
        members.push((
            SamplingPlanId(r.try_get("plan_id")?),
            PoolInspector {
                id,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                role: Role::from_str(&role).map_err(|e| corrupt("role", &role, e))?,
                districts: Vec::new(),
                disabled: r.try_get("disabled")?,
            },
        ));
    }
    let mut districts: BTreeMap<i64, Vec<DistrictCode>> = BTreeMap::new();
    if !users.is_empty() {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT user_id, district FROM user_districts WHERE user_id IN (",
        );
        let mut ids = q.separated(", ");
        for u in &users {
            ids.push_bind(*u);
        }
        q.push(") ORDER BY user_id, district");
        for r in q.build().fetch_all(exec).await? {
            let d: String = r.try_get("district")?;
            districts
                .entry(r.try_get("user_id")?)
                .or_default()
                .push(district(&d)?);
        }
    }
    for (plan, mut m) in members {
        m.districts = districts.get(&m.id.0).cloned().unwrap_or_default();
        if let Some(p) = plans.iter_mut().find(|p| p.id == plan) {
            p.inspectors.push(m);
        }
    }
    Ok(plans)
}

fn draw_from_row(r: &DbRow) -> Result<Draw> {
    Ok(Draw {
        id: DrawId(r.try_get("id")?),
        plan_id: SamplingPlanId(r.try_get("plan_id")?),
        plan_name: r.try_get("plan_name")?,
        seed: r.try_get("seed")?,
        algorithm: r.try_get("algorithm")?,
        ratios: r.try_get("ratios")?,
        population: r.try_get("population")?,
        pool: r.try_get("pool")?,
        drawn_at: r.try_get("drawn_at")?,
        drawn_by: r.try_get("drawn_by")?,
        entities: Vec::new(),
    })
}

/// The selected entities of a draw in scope (all of them, or one), by USCC, with their
/// inspectors and results.
async fn draw_entities<'e, E>(
    exec: E,
    scope: &Scope,
    draw: DrawId,
    entity: Option<EntityId>,
) -> Result<Vec<DrawEntity>>
where
    E: sqlx::Executor<'e, Database = Db> + Copy,
{
    let mut q = QueryBuilder::<Db>::new(
        "SELECT de.entity_id, de.uscc, e.name, de.class, de.district, de.excluded, \
         de.inspection_id, i.inspected_at, i.result \
         FROM sampling_draw_entities de JOIN entities e ON e.id = de.entity_id \
         LEFT JOIN inspections i ON i.id = de.inspection_id WHERE de.draw_id = ",
    );
    q.push_bind(draw.0);
    if let Some(e) = entity {
        q.push(" AND de.entity_id = ").push_bind(e.0);
    }
    push_scope_on(&mut q, scope, "de.district", "de.entity_id");
    q.push(" ORDER BY de.uscc");
    let rows = q.build().fetch_all(exec).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let c: String = r.try_get("class")?;
        let d: String = r.try_get("district")?;
        let result = match r.try_get::<Option<i64>, _>("inspection_id")? {
            None => None,
            Some(i) => {
                let res: String = r.try_get("result")?;
                Some(DrawResult {
                    inspection: InspectionId(i),
                    inspected_at: r.try_get("inspected_at")?,
                    result: InspectionResult::from_str(&res)
                        .map_err(|e| corrupt("inspection result", &res, e))?,
                })
            }
        };
        out.push(DrawEntity {
            entity_id: EntityId(r.try_get("entity_id")?),
            uscc: r.try_get("uscc")?,
            name: r.try_get("name")?,
            class: class(&c)?,
            district: district(&d)?,
            excluded: r.try_get("excluded")?,
            inspectors: Vec::new(),
            result,
        });
    }
    if out.is_empty() {
        return Ok(out);
    }
    let mut q = QueryBuilder::<Db>::new(
        "SELECT di.entity_id, u.id, u.username, u.display_name FROM sampling_draw_inspectors di \
         JOIN users u ON u.id = di.user_id WHERE di.draw_id = ",
    );
    q.push_bind(draw.0);
    if let Some(e) = entity {
        q.push(" AND di.entity_id = ").push_bind(e.0);
    }
    q.push(" ORDER BY di.entity_id, di.rank");
    for r in q.build().fetch_all(exec).await? {
        let of = EntityId(r.try_get("entity_id")?);
        if let Some(e) = out.iter_mut().find(|e| e.entity_id == of) {
            e.inspectors.push(DrawInspector {
                id: UserId(r.try_get("id")?),
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
            });
        }
    }
    Ok(out)
}

#[async_trait]
impl SamplingStore for SqlStore {
    async fn create_sampling_plan(
        &self,
        plan: &NewSamplingPlan,
        by: &Actor,
    ) -> Result<SamplingPlan> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let mut pool = plan.inspectors.clone();
        pool.sort();
        pool.dedup();
        for u in &pool {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(u.0)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::NotFound(format!("user {u}")));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sampling_plans (name, items, population_filter, ratios, \
             exclude_same_district, inspectors_per_entity, state, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8) RETURNING id",
        )
        .bind(&plan.name)
        .bind(json(&plan.items))
        .bind(plan.filter.to_json().to_string())
        .bind(ratios_json(&plan.ratios))
        .bind(plan.exclude_same_district)
        .bind(plan.inspectors_per_entity)
        .bind(now)
        .bind(&by.name)
        .fetch_one(&mut *tx)
        .await?;
        for u in &pool {
            sqlx::query("INSERT INTO sampling_plan_inspectors (plan_id, user_id) VALUES ($1, $2)")
                .bind(id)
                .bind(u.0)
                .execute(&mut *tx)
                .await?;
        }
        let ratios: serde_json::Value =
            serde_json::from_str(&ratios_json(&plan.ratios)).expect("JSON just written");
        people::audit(
            &mut tx,
            now,
            by,
            &format!("sampling_plan:{id}"),
            "create",
            None,
            Some(serde_json::json!({
                "name": plan.name,
                "items": plan.items,
                "filter": plan.filter.to_json(),
                "ratios": ratios,
                "exclude_same_district": plan.exclude_same_district,
                "inspectors_per_entity": plan.inspectors_per_entity,
                "inspectors": pool,
            })),
        )
        .await?;
        tx.commit().await?;
        self.sampling_plan(SamplingPlanId(id))
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("sampling plan {id}")))
    }

    async fn sampling_plan(&self, id: SamplingPlanId) -> Result<Option<SamplingPlan>> {
        let Some(row) = sqlx::query(concat!(plan_select!(), " WHERE p.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(with_pools(&self.pool, vec![plan_from_row(&row)?])
            .await?
            .pop())
    }

    async fn list_sampling_plans(&self) -> Result<Vec<SamplingPlan>> {
        let plans = sqlx::query(concat!(plan_select!(), " ORDER BY p.id DESC"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(plan_from_row)
            .collect::<Result<Vec<_>>>()?;
        with_pools(&self.pool, plans).await
    }

    async fn close_sampling_plan(&self, id: SamplingPlanId, by: &Actor) -> Result<SamplingPlan> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE sampling_plans SET state = 'closed' WHERE id = $1 AND state = 'active'",
        )
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM sampling_plans WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match exists {
                Some(_) => StoreError::Conflict(format!("sampling plan {id} is closed already")),
                None => StoreError::NotFound(format!("sampling plan {id}")),
            });
        }
        people::audit(
            &mut tx,
            now,
            by,
            &format!("sampling_plan:{id}"),
            "close",
            Some(serde_json::json!({ "state": "active" })),
            Some(serde_json::json!({ "state": "closed" })),
        )
        .await?;
        tx.commit().await?;
        self.sampling_plan(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("sampling plan {id}")))
    }

    async fn sampling_population(
        &self,
        scope: Scope,
        filter: &PopulationFilter,
    ) -> Result<Vec<PopulationRow>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT e.id, e.uscc, e.name, e.district, COALESCE(cs.class, 'B') AS class, \
             cs.entity_id IS NOT NULL AS scored \
             FROM entities e LEFT JOIN credit_scores cs ON cs.entity_id = e.id \
             WHERE e.status <> 'deregistered'",
        );
        fn any_of<'a>(
            q: &mut QueryBuilder<Db>,
            column: &str,
            codes: impl ExactSizeIterator<Item = String> + 'a,
        ) {
            if codes.len() == 0 {
                return;
            }
            q.push(" AND ").push(column).push(" IN (");
            let mut list = q.separated(", ");
            for c in codes {
                list.push_bind(c);
            }
            q.push(")");
        }
        any_of(
            &mut q,
            "e.district",
            filter.districts.iter().map(|d| d.to_string()),
        );
        any_of(
            &mut q,
            "e.kind",
            filter.kinds.iter().map(|k| k.code().to_string()),
        );
        any_of(
            &mut q,
            "e.legal_form",
            filter.legal_forms.iter().map(|f| f.code().to_string()),
        );
        any_of(
            &mut q,
            "COALESCE(cs.class, 'B')",
            filter.classes.iter().map(|c| c.code().to_string()),
        );
        push_scope(&mut q, &scope);
        q.push(" ORDER BY e.uscc");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let c: String = r.try_get("class")?;
                let d: String = r.try_get("district")?;
                Ok(PopulationRow {
                    entity_id: EntityId(r.try_get("id")?),
                    uscc: r.try_get("uscc")?,
                    name: r.try_get("name")?,
                    district: district(&d)?,
                    class: class(&c)?,
                    scored: r.try_get("scored")?,
                })
            })
            .collect()
    }

    async fn case_officers_of(&self, entities: &[EntityId]) -> Result<Vec<(EntityId, UserId)>> {
        let mut out = Vec::new();
        for chunk in entities.chunks(500) {
            let mut q = QueryBuilder::<Db>::new(
                "SELECT DISTINCT k.entity_id, o.user_id FROM case_officers o \
                 JOIN cases k ON k.id = o.case_id WHERE k.entity_id IN (",
            );
            let mut ids = q.separated(", ");
            for e in chunk {
                ids.push_bind(e.0);
            }
            q.push(")");
            for r in q.build().fetch_all(&self.pool).await? {
                out.push((
                    EntityId(r.try_get("entity_id")?),
                    UserId(r.try_get("user_id")?),
                ));
            }
        }
        out.sort();
        Ok(out)
    }

    async fn save_draw(&self, draw: &NewDraw, by: &Actor) -> Result<Draw> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM sampling_plans WHERE id = $1")
                .bind(draw.plan.0)
                .fetch_optional(&mut *tx)
                .await?;
        match state.as_deref() {
            None => return Err(StoreError::NotFound(format!("sampling plan {}", draw.plan))),
            Some("active") => {}
            Some(_) => {
                return Err(StoreError::Conflict(format!(
                    "sampling plan {} is closed",
                    draw.plan
                )))
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sampling_draws (plan_id, seed, algorithm, ratios, population, pool, \
             drawn_at, drawn_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(draw.plan.0)
        .bind(&draw.seed)
        .bind(&draw.algorithm)
        .bind(&draw.ratios)
        .bind(&draw.population)
        .bind(&draw.pool)
        .bind(now)
        .bind(&by.name)
        .fetch_one(&mut *tx)
        .await?;
        for e in &draw.entities {
            sqlx::query(
                "INSERT INTO sampling_draw_entities (draw_id, entity_id, uscc, class, district, \
                 excluded) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(e.entity_id.0)
            .bind(&e.uscc)
            .bind(e.class.code())
            .bind(e.district.to_string())
            .bind(&e.excluded)
            .execute(&mut *tx)
            .await?;
            for (rank, u) in e.inspectors.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO sampling_draw_inspectors (draw_id, entity_id, user_id, rank) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(e.entity_id.0)
                .bind(u.0)
                .bind(rank as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        people::audit(
            &mut tx,
            now,
            by,
            &format!("sampling_draw:{id}"),
            "draw",
            None,
            Some(serde_json::json!({
                "plan": draw.plan,
                "seed": draw.seed,
                "algorithm": draw.algorithm,
                "selected": draw.entities.iter().map(|e| &e.uscc).collect::<Vec<_>>(),
            })),
        )
        .await?;
        tx.commit().await?;
        self.sampling_draw(Scope::City, DrawId(id))
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("draw {id}")))
    }

    async fn sampling_draw(&self, scope: Scope, id: DrawId) -> Result<Option<Draw>> {
        let Some(row) = sqlx::query(concat!(draw_select!(), " WHERE d.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut draw = draw_from_row(&row)?;
        draw.entities = draw_entities(&self.pool, &scope, id, None).await?;
        Ok(Some(draw))
    }

    async fn list_draws(
        &self,
        scope: Scope,
        plan: Option<SamplingPlanId>,
    ) -> Result<Vec<DrawSummary>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT d.id, d.plan_id, p.name AS plan_name, d.seed, d.algorithm, d.drawn_at, \
             d.drawn_by, (SELECT COUNT(*) FROM sampling_draw_entities de WHERE de.draw_id = d.id",
        );
        push_scope_on(&mut q, &scope, "de.district", "de.entity_id");
        q.push(
            ") AS selected, (SELECT COUNT(*) FROM sampling_draw_entities de \
             WHERE de.draw_id = d.id AND de.inspection_id IS NOT NULL",
        );
        push_scope_on(&mut q, &scope, "de.district", "de.entity_id");
        q.push(") AS done FROM sampling_draws d JOIN sampling_plans p ON p.id = d.plan_id");
        if let Some(p) = plan {
            q.push(" WHERE d.plan_id = ").push_bind(p.0);
        }
        q.push(" ORDER BY d.id DESC");
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(DrawSummary {
                    id: DrawId(r.try_get("id")?),
                    plan_id: SamplingPlanId(r.try_get("plan_id")?),
                    plan_name: r.try_get("plan_name")?,
                    seed: r.try_get("seed")?,
                    algorithm: r.try_get("algorithm")?,
                    drawn_at: r.try_get("drawn_at")?,
                    drawn_by: r.try_get("drawn_by")?,
                    selected: r.try_get("selected")?,
                    done: r.try_get("done")?,
                })
            })
            .collect()
    }

    async fn link_draw_inspection(
        &self,
        scope: Scope,
        draw: DrawId,
        entity: EntityId,
        inspection: InspectionId,
        by: &Actor,
    ) -> Result<DrawEntity> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let mut q = QueryBuilder::<Db>::new(
            "SELECT de.inspection_id FROM sampling_draw_entities de WHERE de.draw_id = ",
        );
        q.push_bind(draw.0);
        q.push(" AND de.entity_id = ").push_bind(entity.0);
        push_scope_on(&mut q, &scope, "de.district", "de.entity_id");
        let linked: Option<i64> = q
            .build_query_scalar::<Option<i64>>()
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("entity {entity} of draw {draw}")))?;
        let mut q = QueryBuilder::<Db>::new("SELECT i.entity_id FROM inspections i WHERE i.id = ");
        q.push_bind(inspection.0);
        super::inspections::push_inspection_scope(&mut q, &scope);
        let of: Option<i64> = q.build_query_scalar().fetch_optional(&mut *tx).await?;
        if of != Some(entity.0) {
            return Err(StoreError::NotFound(format!(
                "inspection {inspection} of entity {entity}"
            )));
        }
        match linked {
            Some(i) if i == inspection.0 => {}
            Some(i) => {
                return Err(StoreError::Conflict(format!(
                    "entity {entity} of draw {draw} has inspection {i} already"
                )))
            }
            None => {
                sqlx::query(
                    "UPDATE sampling_draw_entities SET inspection_id = $3 \
                     WHERE draw_id = $1 AND entity_id = $2 AND inspection_id IS NULL",
                )
                .bind(draw.0)
                .bind(entity.0)
                .bind(inspection.0)
                .execute(&mut *tx)
                .await?;
                people::audit(
                    &mut tx,
                    now,
                    by,
                    &format!("sampling_draw:{draw}"),
                    "result",
                    None,
                    Some(serde_json::json!({ "entity": entity, "inspection": inspection })),
                )
                .await?;
            }
        }
        tx.commit().await?;
        draw_entities(&self.pool, &scope, draw, Some(entity))
            .await?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("entity {entity} of draw {draw}")))
    }
}
