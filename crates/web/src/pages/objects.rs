//! `/objects` (证据存储): the WARC files kept in the object store (`[objects]`), with whether
//! the data directory still holds a local copy, and a form that uploads the finished files
//! (`Permission::Archive`) through the one `objects::upload_finished` the command line's
//! `evidence upload` calls.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::Permission;
use objects::{FileOutcome, ObjectsError, StoredObject};

use super::render;
use crate::forms::Posted;
use crate::view;
use crate::{AppState, Shared, Viewer, WebError};

/// An object storage failure in words (the English detail goes to the log).
pub(crate) fn objects_error(e: &ObjectsError) -> WebError {
    tracing::warn!(error = %e, "object storage");
    if let ObjectsError::NotFound { .. } = e {
        return WebError::NotFound("对象存储中的证据文件".into());
    }
    WebError::Unavailable(reason_words(e.code()).to_string())
}

/// An object storage failure's code (`ObjectsError::code`) in words.
fn reason_words(code: &str) -> &'static str {
    match code {
        "config" => "对象存储配置有误（wangjian.toml 的 [objects]）",
        "store" => "对象存储无法访问或拒绝了请求",
        "not_found" => "对象存储中没有该文件",
        "io" => "本地证据文件无法读取",
        "differs" => "对象存储中已有同名而内容不同的文件（不会覆盖）",
        "incomplete" => "上传后对象的大小与文件不符",
        "bad_name" => "不是证据文件的名称",
        _ => "上传失败",
    }
}

/// The answer without an object store: there is none to list or upload to (404).
fn no_store() -> WebError {
    WebError::NotFound("对象存储（本控制台未配置 wangjian.toml 的 [objects]）".into())
}

/// The object store's files, each with whether a local copy exists.
pub(crate) async fn listed(app: &AppState) -> Result<Vec<(StoredObject, bool)>, WebError> {
    let Some(objects) = &app.objects else {
        return Err(no_store());
    };
    let listed = objects.list().await.map_err(|e| objects_error(&e))?;
    Ok(listed
        .into_iter()
        .map(|o| {
            let local = app.evidence_dir.join(&o.name).is_file();
            (o, local)
        })
        .collect())
}

pub(crate) struct ObjectRow {
    name: String,
    size: String,
    stored: String,
    local: bool,
}

#[derive(Template)]
#[template(path = "objects.html")]
struct ObjectsPage {
    active: &'static str,
    csrf: String,
    configured: bool,
    place: String,
    may_upload: bool,
    notice: String,
    rows: Vec<ObjectRow>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Notice {
    uploaded: Option<u64>,
    kept: Option<u64>,
    open: Option<u64>,
    failed: Option<String>,
}

pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Query(notice): Query<Notice>,
) -> Result<Html<String>, WebError> {
    let rows = match &app.objects {
        Some(_) => listed(&app)
            .await?
            .into_iter()
            .map(|(o, local)| ObjectRow {
                name: o.name,
                size: o.size.to_string(),
                stored: view::time(o.modified),
                local,
            })
            .collect(),
        None => Vec::new(),
    };
    let mut words = Vec::new();
    if let Some(n) = notice.uploaded {
        words.push(format!("已上传 {n} 个文件"));
    }
    if let Some(n) = notice.kept.filter(|n| *n > 0) {
        words.push(format!("{n} 个已在对象存储中"));
    }
    if let Some(n) = notice.open.filter(|n| *n > 0) {
        words.push(format!("{n} 个仍在写入（巡查结束后再上传）"));
    }
    if let Some(failed) = notice.failed.filter(|f| !f.is_empty()) {
        for reason in failed.split(',') {
            words.push(format!("失败：{}", reason_words(reason)));
        }
    }
    render(&ObjectsPage {
        active: "objects",
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        configured: app.objects.is_some(),
        place: app
            .objects
            .as_ref()
            .map(|o| o.describe())
            .unwrap_or_default(),
        may_upload: viewer.may(Permission::Archive),
        notice: if words.is_empty() {
            String::new()
        } else {
            format!("{}。", words.join("；"))
        },
        rows,
    })
}

/// `POST /objects/upload`: uploads the finished WARC files, then shows what became of them.
pub(crate) async fn upload(
    State(app): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    posted.viewer.require(Permission::Archive)?;
    let Some(objects) = &app.objects else {
        return Err(no_store());
    };
    let outcomes = objects::upload_finished(app.store.as_ref(), objects, &app.evidence_dir)
        .await
        .map_err(|e| objects_error(&e))?;
    let count = |f: fn(&FileOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let mut failed: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| match o {
            FileOutcome::Failed { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    failed.sort_unstable();
    failed.dedup();
    Ok(Redirect::to(&format!(
        "/objects?uploaded={}&kept={}&open={}&failed={}",
        count(|o| matches!(o, FileOutcome::Uploaded { .. })),
        count(|o| matches!(o, FileOutcome::Already { .. })),
        count(|o| matches!(o, FileOutcome::Open { .. })),
        view::encode(&failed.join(","))
    ))
    .into_response())
}
