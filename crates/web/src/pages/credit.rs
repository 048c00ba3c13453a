//! `/credit` (信用指标体系): the index system in force as a tree (codes, names, sources,
//! weights), its class rules, the version history and the class distribution by district and
//! kind; forms to load the data directory's index file and to re-score every entity
//! (`Permission::Credit`). Each form calls the one `credit` function the command line calls.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use credit::index::{ensure_file, IndexSystem, ScoreFn};
use credit::rescore::{self, load_index};
use domain::{CreditClass, Permission, SiteKind};
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::render;
use crate::credit_words::credit_error;
use crate::forms::Posted;
use crate::view;
use crate::{Shared, Viewer, WebError};

pub(crate) struct TreeRow {
    code: String,
    indent: usize,
    name: String,
    weight: String,
    effective: String,
    source: String,
    score: String,
}

pub(crate) struct ClassRow {
    class: String,
    min_score: String,
    ratio: String,
    sweep: String,
    badge: &'static str,
}

pub(crate) struct VersionRow {
    version: String,
    name: String,
    loaded_at: String,
    loaded_by: String,
    sha: String,
    in_force: bool,
}

pub(crate) struct DistRow {
    district: String,
    kind: &'static str,
    counts: Vec<i64>,
    total: i64,
}

#[derive(Template)]
#[template(path = "credit.html")]
struct CreditPage {
    active: &'static str,
    csrf: String,
    may_manage: bool,
    notice: String,
    version: String,
    name: String,
    tree: Vec<TreeRow>,
    classes: Vec<ClassRow>,
    versions: Vec<VersionRow>,
    dist: Vec<DistRow>,
    totals: Vec<i64>,
    stale: i64,
    file: String,
}

fn score_words(s: &ScoreFn) -> String {
    match s {
        ScoreFn::Steps(steps) => format!(
            "分段 {}",
            steps
                .iter()
                .map(|(x, p)| format!("≥{x}→{p}"))
                .collect::<Vec<_>>()
                .join("，")
        ),
        ScoreFn::Decay(k) => format!("100 − {k} × 值"),
        ScoreFn::Flag { yes, no } => format!("是 {yes}，否 {no}"),
        ScoreFn::Value => "取值（0–100）".into(),
        ScoreFn::Map { map, other } => format!(
            "{}，其他 {other}",
            map.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join("，")
        ),
    }
}

/// The data directory's index file: beside the scheduler's data directory, else beside the
/// attachments' (both are the data directory the console was started on).
fn index_file(app: &crate::AppState) -> Option<PathBuf> {
    let dir = match (&app.schedule, &app.inspections) {
        (Some(s), _) => s.settings.data_dir.clone(),
        (None, Some(i)) => i.attachments_dir.parent()?.to_path_buf(),
        (None, None) => return None,
    };
    Some(credit::index::index_path(&dir))
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Notice {
    rescored: Option<u64>,
    loaded: Option<String>,
}

pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Query(notice): Query<Notice>,
) -> Result<Html<String>, WebError> {
    let current = rescore::index_in_force(app.store.as_ref())
        .await
        .map_err(credit_error)?;
    let mut tree = Vec::new();
    let mut classes = Vec::new();
    let (version, name) = match &current {
        Some((v, sys)) => {
            for i in &sys.indicators {
                tree.push(TreeRow {
                    code: i.code.clone(),
                    indent: i.depth,
                    name: i.name.clone(),
                    weight: format!("{}", i.weight),
                    effective: format!("{:.4}", i.effective_weight),
                    source: i.source.as_ref().map(|s| s.describe()).unwrap_or_default(),
                    score: i.score.as_ref().map(score_words).unwrap_or_default(),
                });
            }
            for r in &sys.classes.rules {
                classes.push(ClassRow {
                    class: r.class.title().to_string(),
                    min_score: r
                        .min_score
                        .map_or_else(|| "低于 C 类".to_string(), |m| format!("≥ {m}")),
                    ratio: format!("{:.0}%", r.sampling_ratio * 100.0),
                    sweep: format!("每 {} 小时", r.sweep_every_hours),
                    badge: if r.suspend_badge { "暂停" } else { "—" },
                });
            }
            (v.version.clone(), sys.name.clone())
        }
        None => (String::new(), String::new()),
    };
    let versions = app
        .store
        .credit_index_versions()
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, v)| VersionRow {
            in_force: i == 0,
            version: v.version,
            name: v.name,
            loaded_at: view::time(v.loaded_at),
            loaded_by: v.loaded_by,
            sha: v.sha256.chars().take(12).collect(),
        })
        .collect();
    let mut cells: BTreeMap<(String, &'static str), Vec<i64>> = BTreeMap::new();
    let mut totals = vec![0; 5];
    for c in app.store.credit_distribution(viewer.scope()).await? {
        let row = cells
            .entry((
                view::district_label(&app.districts, Some(c.district)),
                kind_title(c.kind),
            ))
            .or_insert_with(|| vec![0; 4]);
        let i = CreditClass::ALL
            .iter()
            .position(|k| *k == c.class)
            .unwrap_or(3);
        row[i] += c.count;
        totals[i] += c.count;
        totals[4] += c.count;
    }
    let dist = cells
        .into_iter()
        .map(|((district, kind), counts)| DistRow {
            district,
            kind,
            total: counts.iter().sum(),
            counts,
        })
        .collect();
    let notice = match (notice.loaded, notice.rescored) {
        (Some(v), Some(n)) => format!("已载入指标体系版本 {v}，已重新评分 {n} 个主体。"),
        (None, Some(n)) => format!("已重新评分 {n} 个主体。"),
        _ => String::new(),
    };
    render(&CreditPage {
        active: "credit",
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        may_manage: viewer.may(Permission::Credit),
        notice,
        version,
        name,
        tree,
        classes,
        versions,
        dist,
        totals,
        stale: app.store.count_credit_stale().await?,
        file: index_file(&app)
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    })
}

fn kind_title(k: SiteKind) -> &'static str {
    view::kind_label(k)
}

/// `POST /credit/load`: loads the data directory's index file (written from the shipped
/// default if absent), then re-scores every entity.
pub(crate) async fn load(
    State(app): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Credit)?;
    let path = index_file(&app).ok_or_else(|| {
        WebError::Unavailable("本控制台未配置数据目录，无法载入指标体系文件".into())
    })?;
    let dir = path
        .parent()
        .and_then(|p| p.parent())
        .ok_or_else(|| WebError::Internal("index path without a data directory".into()))?;
    ensure_file(dir).map_err(|e| WebError::Internal(format!("{}: {e}", path.display())))?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| WebError::Internal(format!("{}: {e}", path.display())))?;
    // Validated here first only to answer with the file's own problems in one place.
    if let Err(problems) = IndexSystem::parse(&text) {
        return Err(credit_error(credit::CreditError::Invalid(problems)));
    }
    let loaded = load_index(
        app.store.as_ref(),
        &text,
        &viewer.audit_actor(),
        Some(viewer.user().role),
    )
    .await
    .map_err(credit_error)?;
    let version = match loaded {
        rescore::Loaded::New(v) | rescore::Loaded::Unchanged(v) => v.version,
    };
    let report = rescore::rescore_all(
        app.store.as_ref(),
        domain::time::beijing_date(chrono::Utc::now()),
    )
    .await
    .map_err(credit_error)?;
    Ok(Redirect::to(&format!(
        "/credit?loaded={}&rescored={}",
        view::encode(&version),
        report.entities
    ))
    .into_response())
}

/// `POST /credit/rescore`: re-scores every entity with the version in force.
pub(crate) async fn rescore_all(
    State(app): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Credit)?;
    credit::rescore::require_credit(Some(viewer.user().role)).map_err(credit_error)?;
    let report = rescore::rescore_all(
        app.store.as_ref(),
        domain::time::beijing_date(chrono::Utc::now()),
    )
    .await
    .map_err(credit_error)?;
    Ok(Redirect::to(&format!("/credit?rescored={}", report.entities)).into_response())
}
