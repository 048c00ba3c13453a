//! `/sampling`: random inspections (双随机、一公开) — the plans with a form to create one
//! (ratios per class pre-filled from the published local scheme, the pool as checkboxes), a
//! plan's page with the draw form (a random seed offered, generated here) and its draws, and
//! a draw's page: the population per class, the selected entities with their inspectors and
//! results (a form to record one), the publication's link. Forms are thin calls of the
//! `sampling` crate, the functions `wangjian sample` calls too; refusals are worded by
//! `sampling_words`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{CreditClass, DrawId, InspectionId, LegalForm, Permission, SamplingPlanId, SiteKind};
use sampling::drawing::Publication;
use sampling::plan::PlanInput;
use sampling::Who;
use store::{DrawSummary, PlanState, PopulationFilter, SamplingPlan};

use super::render;
use crate::forms::Posted;
use crate::sampling_words::refusal;
use crate::view;
use crate::{Shared, Viewer, WebError};

/// The viewer as the `sampling` crate sees them.
pub(crate) fn who(viewer: &Viewer) -> Who {
    Who {
        actor: viewer.audit_actor(),
        role: Some(viewer.user().role),
        scope: viewer.scope(),
    }
}

struct PlanRow {
    href: String,
    id: i64,
    name: String,
    state: &'static str,
    ratios: String,
    pool: usize,
}

fn plan_row(p: &SamplingPlan) -> PlanRow {
    PlanRow {
        href: format!("/sampling/plans/{}", p.id),
        id: p.id.0,
        name: p.name.clone(),
        state: p.state.title(),
        ratios: p
            .ratios
            .iter()
            .map(|(c, r)| format!("{}类 {}", c.code(), percent(r)))
            .collect::<Vec<_>>()
            .join("，"),
        pool: p.inspectors.len(),
    }
}

/// A ratio as a percentage (`0.03` → `3%`).
fn percent(ratio: &str) -> String {
    match sampling::Ratio::parse(ratio) {
        Some(r) => {
            let p = r.per_10000();
            if p % 100 == 0 {
                format!("{}%", p / 100)
            } else {
                let digits = format!("{}.{:02}", p / 100, p % 100);
                format!("{}%", digits.trim_end_matches('0'))
            }
        }
        None => ratio.to_string(),
    }
}

struct DrawRow {
    href: String,
    id: i64,
    plan_name: String,
    drawn_at: String,
    drawn_by: String,
    seed: String,
    selected: i64,
    done: i64,
}

fn draw_row(d: &DrawSummary) -> DrawRow {
    DrawRow {
        href: format!("/sampling/draws/{}", d.id),
        id: d.id.0,
        plan_name: d.plan_name.clone(),
        drawn_at: view::time(d.drawn_at),
        drawn_by: d.drawn_by.clone(),
        seed: d.seed.clone(),
        selected: d.selected,
        done: d.done,
    }
}

struct ClassField {
    code: &'static str,
    title: &'static str,
    ratio: String,
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "sampling.html")]
struct SamplingPage {
    active: &'static str,
    plans: Vec<PlanRow>,
    draws: Vec<DrawRow>,
    may_plan: bool,
    csrf: String,
    districts: Vec<Choice>,
    kinds: Vec<Choice>,
    forms: Vec<Choice>,
    classes: Vec<ClassField>,
    pool: Vec<Choice>,
    error: Option<String>,
}

async fn list_page(
    app: &crate::AppState,
    viewer: &Viewer,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let plans = app.store.list_sampling_plans().await?;
    let draws = app.store.list_draws(viewer.scope(), None).await?;
    let scheme = sampling::plan::default_ratios(app.store.as_ref()).await;
    let pool = if viewer.may(Permission::Sampling) {
        app.store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && u.role.may(Permission::Casework))
            .map(|u| Choice {
                label: format!(
                    "{}（{}，{}）",
                    u.display_name,
                    u.username,
                    if u.districts.is_empty() {
                        "市局".to_string()
                    } else {
                        u.districts
                            .iter()
                            .map(|d| view::district_label(&app.districts, Some(*d)))
                            .collect::<Vec<_>>()
                            .join("、")
                    }
                ),
                value: u.username,
            })
            .collect()
    } else {
        Vec::new()
    };
    render(&SamplingPage {
        active: "sampling",
        plans: plans.iter().map(plan_row).collect(),
        draws: draws.iter().take(20).map(draw_row).collect(),
        may_plan: viewer.may(Permission::Sampling),
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        districts: app
            .districts
            .all()
            .iter()
            .map(|d| Choice {
                value: d.code.to_string(),
                label: format!("{} {}", d.name, d.code),
            })
            .collect(),
        kinds: SiteKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.code().to_string(),
                label: view::kind_label(*k).to_string(),
            })
            .collect(),
        forms: LegalForm::ALL
            .iter()
            .map(|f| Choice {
                value: f.code().to_string(),
                label: f.title().to_string(),
            })
            .collect(),
        classes: CreditClass::ALL
            .iter()
            .map(|c| ClassField {
                code: c.code(),
                title: c.title(),
                ratio: scheme.get(*c).map(|r| r.to_string()).unwrap_or_default(),
            })
            .collect(),
        pool,
        error,
    })
}

pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    list_page(&app, &viewer, None).await
}

/// A refusal shown on the page it came from (bad input and conflicts), else the error.
fn shown(e: WebError) -> Result<(axum::http::StatusCode, String), WebError> {
    match e {
        WebError::BadRequest(m) => Ok((axum::http::StatusCode::BAD_REQUEST, m)),
        WebError::Conflict(m) => Ok((axum::http::StatusCode::CONFLICT, m)),
        other => Err(other),
    }
}

pub(crate) async fn create(
    State(app): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Sampling)?;
    let fields = posted.form;
    let fields = crate::forms::Fields(&fields);
    let all = |name: &str| fields.all(name);
    let one = |name: &str| fields.one(name);
    let input = (|| -> Result<PlanInput, String> {
        let mut filter = PopulationFilter::default();
        for d in all("district") {
            filter
                .districts
                .push(domain::DistrictCode::parse(&d).map_err(|_| format!("行政区“{d}”无效"))?);
        }
        for k in all("kind") {
            filter
                .kinds
                .push(k.parse().map_err(|_| format!("网站类型“{k}”无效"))?);
        }
        for f in all("legal_form") {
            filter
                .legal_forms
                .push(f.parse().map_err(|_| format!("主体类型“{f}”无效"))?);
        }
        for c in all("class") {
            filter
                .classes
                .push(c.parse().map_err(|_| format!("信用风险分类“{c}”无效"))?);
        }
        let ratios = CreditClass::ALL
            .iter()
            .map(|c| (*c, one(&format!("ratio_{}", c.code()))))
            .collect();
        let per_entity = one("inspectors_per_entity");
        let inspectors_per_entity = if per_entity.trim().is_empty() {
            None
        } else {
            Some(
                per_entity
                    .trim()
                    .parse()
                    .map_err(|_| format!("每户检查人员数“{per_entity}”不是整数"))?,
            )
        };
        Ok(PlanInput {
            name: one("name"),
            items: one("items").lines().map(str::to_string).collect(),
            filter,
            ratios,
            exclude_same_district: !all("exclude_same_district").is_empty(),
            inspectors_per_entity,
            inspectors: all("inspector"),
        })
    })();
    let outcome = match input {
        Ok(input) => sampling::plan::create(app.store.as_ref(), &who(&viewer), &input)
            .await
            .map_err(refusal),
        Err(msg) => Err(WebError::BadRequest(msg)),
    };
    match outcome {
        Ok(p) => Ok(Redirect::to(&format!("/sampling/plans/{}", p.id)).into_response()),
        Err(e) => {
            let (status, msg) = shown(e)?;
            Ok((status, list_page(&app, &viewer, Some(msg)).await?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "sampling_plan.html")]
struct PlanPage {
    active: &'static str,
    p: PlanRow,
    items: Vec<String>,
    filter: Vec<(&'static str, String)>,
    rules: String,
    created: String,
    pool: Vec<String>,
    draws: Vec<DrawRow>,
    may_draw: bool,
    seed: String,
    csrf: String,
    error: Option<String>,
}

async fn plan_of(app: &crate::AppState, raw: &str) -> Result<SamplingPlan, WebError> {
    let id = SamplingPlanId(view::path_id(raw, "抽查计划")?);
    app.store
        .sampling_plan(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("抽查计划 {id}")))
}

async fn plan_page(
    app: &crate::AppState,
    viewer: &Viewer,
    p: &SamplingPlan,
    seed: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let draws = app.store.list_draws(viewer.scope(), Some(p.id)).await?;
    let f = &p.filter;
    let mut filter = Vec::new();
    let join = |v: Vec<String>| v.join("、");
    if !f.districts.is_empty() {
        filter.push((
            "行政区",
            join(
                f.districts
                    .iter()
                    .map(|d| view::district_label(&app.districts, Some(*d)))
                    .collect(),
            ),
        ));
    }
    if !f.kinds.is_empty() {
        filter.push((
            "网站类型",
            join(
                f.kinds
                    .iter()
                    .map(|k| view::kind_label(*k).to_string())
                    .collect(),
            ),
        ));
    }
    if !f.legal_forms.is_empty() {
        filter.push((
            "主体类型",
            join(
                f.legal_forms
                    .iter()
                    .map(|x| x.title().to_string())
                    .collect(),
            ),
        ));
    }
    if !f.classes.is_empty() {
        filter.push((
            "信用风险分类",
            join(f.classes.iter().map(|c| c.title().to_string()).collect()),
        ));
    }
    render(&PlanPage {
        active: "sampling",
        items: p.items.clone(),
        filter,
        rules: format!(
            "每户随机选派 {} 名检查人员；{}；曾办理该主体案件的人员回避",
            p.inspectors_per_entity,
            if p.exclude_same_district {
                "主体所在行政区的人员回避"
            } else {
                "不排除主体所在行政区的人员"
            }
        ),
        created: format!("{} · {}", view::time(p.created_at), p.created_by),
        pool: p
            .inspectors
            .iter()
            .map(|i| {
                let mut s = format!("{}（{}）", i.display_name, i.username);
                if i.disabled {
                    s.push_str(" 已停用");
                }
                s
            })
            .collect(),
        draws: draws.iter().map(draw_row).collect(),
        may_draw: viewer.may(Permission::Sampling) && p.state == PlanState::Active,
        seed: seed.unwrap_or_else(sampling::random_seed),
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        error,
        p: plan_row(p),
    })
}

pub(crate) async fn plan(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let p = plan_of(&app, &raw).await?;
    plan_page(&app, &viewer, &p, None, None).await
}

#[derive(serde::Deserialize)]
pub(crate) struct DrawForm {
    #[serde(default)]
    seed: String,
}

pub(crate) async fn draw(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<DrawForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Sampling)?;
    let p = plan_of(&app, &raw).await?;
    let seed = posted.form.seed;
    match sampling::run(app.store.as_ref(), &who(&viewer), p.id, &seed)
        .await
        .map_err(refusal)
    {
        Ok(d) => Ok(Redirect::to(&format!("/sampling/draws/{}", d.id)).into_response()),
        Err(e) => {
            let (status, msg) = shown(e)?;
            let page = plan_page(&app, &viewer, &p, Some(seed), Some(msg)).await?;
            Ok((status, page).into_response())
        }
    }
}

pub(crate) async fn close(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Sampling)?;
    let p = plan_of(&app, &raw).await?;
    sampling::plan::close(app.store.as_ref(), &who(&viewer), p.id)
        .await
        .map_err(refusal)?;
    Ok(Redirect::to(&format!("/sampling/plans/{}", p.id)).into_response())
}

struct SizeRow {
    class: &'static str,
    ratio: String,
    population: usize,
    selected: usize,
}

struct EntityRow {
    uscc: String,
    name: String,
    href: String,
    class: &'static str,
    district: String,
    inspectors: String,
    excluded: String,
    result: Option<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "sampling_draw.html")]
struct DrawPage {
    active: &'static str,
    id: i64,
    plan_href: String,
    plan_name: String,
    items: String,
    seed: String,
    algorithm: String,
    drawn_at: String,
    sizes: Vec<SizeRow>,
    population: usize,
    rows: Vec<EntityRow>,
    complete: bool,
    may_record: bool,
    csrf: String,
    publication: String,
    error: Option<String>,
}

async fn draw_page(
    app: &crate::AppState,
    viewer: &Viewer,
    raw: &str,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let id = DrawId(view::path_id(raw, "抽查批次")?);
    let p: Publication = sampling::publication(app.store.as_ref(), &who(viewer), id)
        .await
        .map_err(refusal)?;
    let d = app
        .store
        .sampling_draw(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("抽查批次 {id}")))?;
    let conflict = |c: sampling::draw::Conflict| match c {
        sampling::draw::Conflict::SameDistrict => "同区回避",
        sampling::draw::Conflict::EarlierCase => "曾办案回避",
    };
    let rows = p
        .selected
        .iter()
        .map(|s| EntityRow {
            href: d
                .entities
                .iter()
                .find(|e| e.uscc == s.uscc)
                .map(|e| format!("/entities/{}", e.entity_id))
                .unwrap_or_default(),
            uscc: s.uscc.clone(),
            name: s.name.clone(),
            class: s.class.title(),
            district: view::district_label(&app.districts, Some(s.district)),
            inspectors: s.inspectors.join("、"),
            excluded: s
                .excluded
                .iter()
                .map(|x| format!("{}（{}）", x.username, conflict(x.conflict)))
                .collect::<Vec<_>>()
                .join("、"),
            result: s.result.as_ref().map(|r| {
                (
                    format!("/inspections/{}", r.inspection),
                    r.result.title().to_string(),
                    view::time(r.inspected_at),
                )
            }),
        })
        .collect();
    let sizes = CreditClass::ALL
        .iter()
        .map(|c| SizeRow {
            class: c.title(),
            ratio: p
                .ratios
                .get(*c)
                .map(|r| percent(&r.to_string()))
                .unwrap_or_else(|| "—".into()),
            population: p.population_size.get(c.code()).copied().unwrap_or(0),
            selected: p.selected.iter().filter(|s| s.class == *c).count(),
        })
        .collect();
    render(&DrawPage {
        active: "sampling",
        id: p.draw.0,
        plan_href: format!("/sampling/plans/{}", p.plan.id),
        plan_name: p.plan.name.clone(),
        items: p.plan.items.join("、"),
        seed: p.seed.clone(),
        algorithm: p.algorithm.clone(),
        drawn_at: view::time(p.drawn_at),
        population: p.population.len(),
        sizes,
        rows,
        complete: p.complete,
        may_record: viewer.may(Permission::Casework),
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        publication: format!("/api/v1/sampling/draws/{}", p.draw),
        error,
    })
}

pub(crate) async fn draw_detail(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    draw_page(&app, &viewer, &raw, None).await
}

#[derive(serde::Deserialize)]
pub(crate) struct ResultForm {
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    inspection: String,
}

pub(crate) async fn result(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<ResultForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Casework)?;
    let id = DrawId(view::path_id(&raw, "抽查批次")?);
    let form = posted.form;
    let outcome = match form
        .inspection
        .trim()
        .trim_start_matches('#')
        .parse::<i64>()
    {
        Ok(i) => sampling::link_result(
            app.store.as_ref(),
            &who(&viewer),
            id,
            &form.uscc,
            InspectionId(i),
        )
        .await
        .map(|_| ())
        .map_err(refusal),
        Err(_) => Err(WebError::BadRequest(format!(
            "现场检查编号“{}”不是数字",
            form.inspection
        ))),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/sampling/draws/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = shown(e)?;
            Ok((status, draw_page(&app, &viewer, &raw, Some(msg)).await?).into_response())
        }
    }
}
