//! `/sites/{id}/record` and `/api/sites/{id}/record`: a site's extraction record
//! (电子数据提取记录, built in `crate::record`) as a printable page and as JSON; and
//! `/clues/{id}/record`, `/api/clues/{id}/record`: a clue's, over the records its findings
//! point at and the evidence captures taken for it.
//! `?operators=张三,李四` names the operators; without it the record carries "未填写"
//! placeholders and says that an enforcement extraction needs two.
//!
//! Everything shown comes from records and captures and is escaped by askama; nothing here is
//! marked `|safe`.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::Json;
use domain::{ClueId, SiteId};
use serde::Deserialize;

use super::evidence::CustodyRow;
use super::render;
use crate::record::{self, ExtractionRecord, MAX_RECORDS};
use crate::{view, ApiError, Shared, Viewer, WebError};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecordParams {
    operators: Option<String>,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    active: &'static str,
    r: ExtractionRecord,
    custody: Vec<CustodyRow>,
    json_href: String,
}

/// Whose record: a site's, or a clue's.
enum Subject {
    Site(SiteId),
    Clue(ClueId),
}

async fn load(
    app: &Shared,
    viewer: Viewer,
    subject: Subject,
    params: Result<Query<RecordParams>, QueryRejection>,
) -> Result<ExtractionRecord, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let scope = viewer.scope();
    let (site_id, clue, fetches) = match subject {
        Subject::Site(id) => (
            id,
            None,
            app.store
                .site_fetches(scope.clone(), id, MAX_RECORDS)
                .await?,
        ),
        Subject::Clue(id) => {
            let clue = app
                .store
                .clue(scope.clone(), id)
                .await?
                .ok_or_else(|| WebError::NotFound(format!("线索 {id}")))?;
            // Newest first, as a site's record lists them.
            let mut fetches = app.store.clue_fetches(scope.clone(), id).await?;
            fetches.reverse();
            fetches.truncate(MAX_RECORDS as usize);
            (clue.site_id, Some(clue), fetches)
        }
    };
    let site = app
        .store
        .site(scope.clone(), site_id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("网站 {site_id}")))?;
    record::build(
        app,
        scope,
        &site,
        clue.as_ref(),
        fetches,
        params.operators.as_deref(),
        chrono::Utc::now(),
    )
    .await
}

fn site(raw: &str) -> Result<Subject, WebError> {
    Ok(Subject::Site(SiteId(view::path_id(raw, "网站")?)))
}

fn clue(raw: &str) -> Result<Subject, WebError> {
    Ok(Subject::Clue(ClueId(view::path_id(raw, "线索")?)))
}

pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
    params: Result<Query<RecordParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let r = load(&app, viewer, site(&raw)?, params).await?;
    render_record(r)
}

pub(crate) async fn clue_page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
    params: Result<Query<RecordParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let r = load(&app, viewer, clue(&raw)?, params).await?;
    render_record(r)
}

pub(crate) async fn clue_json(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
    params: Result<Query<RecordParams>, QueryRejection>,
) -> Result<Json<ExtractionRecord>, ApiError> {
    Ok(Json(load(&app, viewer, clue(&raw)?, params).await?))
}

fn render_record(r: ExtractionRecord) -> Result<Html<String>, WebError> {
    let custody = r.custody.iter().map(CustodyRow::from).collect();
    let api = match &r.clue {
        Some(c) => format!("/api/clues/{}/record", c.id),
        None => format!("/api/sites/{}/record", r.site_id),
    };
    let json_href = view::link(
        &api,
        &[(
            "operators",
            r.operators
                .iter()
                .filter(|o| *o != record::UNFILLED)
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
        )],
    );
    render(&RecordPage {
        active: "sites",
        r,
        custody,
        json_href,
    })
}

pub(crate) async fn json(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
    params: Result<Query<RecordParams>, QueryRejection>,
) -> Result<Json<ExtractionRecord>, ApiError> {
    Ok(Json(load(&app, viewer, site(&raw)?, params).await?))
}
