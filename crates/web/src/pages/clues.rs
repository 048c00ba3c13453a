//! `/clues`: the clue list (filtered by district and site, paged), and `POST /clues`, which
//! makes a clue of findings selected on the findings list or a site page: a thin call of
//! `store::clue::make_clue`, the function `wangjian clue create` calls.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{FindingId, Permission, SiteId};
use store::clue::ClueError;
use store::ClueFilter;

use super::render;
use crate::forms::Posted;
use crate::view::{self, link, param, DistrictCodeParam, Opt, Pager, PAGE_SIZE};
use crate::{Shared, Viewer, WebError};

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ClueParams {
    district: Option<String>,
    site: Option<String>,
    page: Option<String>,
}

struct ClueRow {
    id: i64,
    site: String,
    site_href: String,
    district: String,
    summary: String,
    findings: usize,
    captures: usize,
    created_by: String,
    created_at: String,
    record_href: String,
}

#[derive(Template)]
#[template(path = "clues.html")]
struct CluesPage {
    active: &'static str,
    districts: Vec<Opt>,
    site: String,
    filtered: bool,
    clues: Vec<ClueRow>,
    pager: Pager,
}

pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<ClueParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = ClueFilter {
        district: param::<DistrictCodeParam>("district", &params.district)?.map(|d| d.0),
        site_id: param::<i64>("site", &params.site)?.map(SiteId),
        ..ClueFilter::default()
    };
    let page = view::page_param(&params.page)?;
    let scope = viewer.scope();
    let total = app.store.count_clues(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_clues(
            scope,
            &ClueFilter {
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
                ..filter.clone()
            },
        )
        .await?;
    let current = |o: &Option<String>| o.as_deref().unwrap_or_default().trim().to_string();
    let (dist, site) = (current(&params.district), current(&params.site));
    let pager = Pager::new(
        page,
        rows.len(),
        page * PAGE_SIZE < total,
        Some(total),
        |p| {
            link(
                "/clues",
                &[
                    ("district", dist.clone()),
                    ("site", site.clone()),
                    ("page", if p > 1 { p.to_string() } else { String::new() }),
                ],
            )
        },
    );
    render(&CluesPage {
        active: "clues",
        districts: view::district_options(&app.districts, &dist),
        filtered: filter != ClueFilter::default(),
        site,
        clues: rows
            .iter()
            .map(|c| ClueRow {
                id: c.id.0,
                site: c.site.clone(),
                site_href: format!("/sites/{}", c.site_id),
                district: view::district_label(&app.districts, c.district),
                summary: c.summary.clone(),
                findings: c.findings.len(),
                captures: c.captures.len(),
                created_by: c.created_by.clone(),
                created_at: view::time(c.created_at),
                record_href: format!("/clues/{}/record", c.id),
            })
            .collect(),
        pager,
    })
}

pub(crate) async fn create(
    State(app): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Triage)?;
    let mut ids: Vec<FindingId> = Vec::new();
    let mut summary = None;
    for (k, v) in &posted.form {
        match k.as_str() {
            "finding" => {
                ids.push(FindingId(v.trim().parse().map_err(|_| {
                    WebError::BadRequest(format!("发现编号 {v:?} 无效"))
                })?))
            }
            "summary" => summary = Some(v.as_str()),
            _ => {}
        }
    }
    if summary.is_some_and(|s| s.chars().count() > 500) {
        return Err(WebError::BadRequest("摘要不能超过 500 字".into()));
    }
    let (id, _) = store::clue::make_clue(
        app.store.as_ref(),
        viewer.scope(),
        &ids,
        summary,
        &viewer.audit_actor(),
    )
    .await
    .map_err(|e| match e {
        ClueError::NoFindings => WebError::BadRequest("请至少选择一条发现".into()),
        ClueError::MissingFinding(f) => WebError::NotFound(format!("监测发现 {f}")),
        ClueError::MixedSites { site, other, .. } => WebError::BadRequest(format!(
            "所选发现须属于同一网站（网站 #{site} 与 #{other}）"
        )),
        ClueError::Store(store::StoreError::Conflict(_)) => {
            WebError::Conflict("所选发现已在一条未办结的线索中".into())
        }
        ClueError::Store(e) => WebError::Store(e),
    })?;
    Ok(Redirect::to(&format!("/clues/{id}/record")).into_response())
}
