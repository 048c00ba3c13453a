//! Evidence exports as WACZ downloads. `GET /exports` is the form for a sweep (forms for a site
//! and a clue are on the site page and the clue's extraction record; each links to
//! `GET /exports/replay`, how a package is opened in ReplayWeb.page); `POST /exports` (a
//! session's form, [`Permission::Export`]) with one selection (`site`, `sweep` or `clue`, an
//! id read in the viewer's scope) and a required reason builds the package through
//! `sweep::export::export_wacz` — the function `wangjian evidence export` calls — which logs the
//! export in the chain of custody (the user as actor, the reason) right after the package is
//! written, and answers it as a download (`Content-Disposition: attachment`,
//! `Cache-Control: no-store`), streamed from a private temporary directory that is removed when
//! the download ends.
//!
//! Exports and captures of this console queue on the log lock (`crate::runtime`); a sweep of
//! another process holding the transparency log makes the export answer 503.

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use domain::{ClueId, Permission, SiteId, SweepId};
use serde::Deserialize;
use sweep::export::{ExportError, ExportRequest, Selection, SelectionError};
use tokio::io::AsyncReadExt;

use super::render;
use crate::forms::Posted;
use crate::{view, Shared, Viewer, WebError};

/// Sweeps offered on the export page.
const SWEEPS_SHOWN: i64 = 50;

struct SweepOpt {
    id: i64,
    label: String,
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage {
    active: &'static str,
    sweeps: Vec<SweepOpt>,
    may_export: bool,
}

/// `GET /exports`: the form exporting a sweep's evidence.
pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    let sweeps = app
        .store
        .list_sweeps(SWEEPS_SHOWN)
        .await?
        .iter()
        .map(|s| SweepOpt {
            id: s.id.0,
            label: format!(
                "#{} · {} · {} · {} 页",
                s.id,
                s.kind.label(),
                view::time(s.started_at),
                s.pages
            ),
        })
        .collect();
    render(&ExportsPage {
        active: "",
        sweeps,
        may_export: viewer.may(Permission::Export),
    })
}

#[derive(Template)]
#[template(path = "replay_help.html")]
struct ReplayHelpPage {
    active: &'static str,
    /// The public key signing this console's packages (`None`: none made yet).
    wacz_key: Option<String>,
}

/// `GET /exports/replay`: how a third party opens an exported package in ReplayWeb.page (the
/// replayweb.page site, or a copy the bureau hosts itself; the console hosts none and relies
/// on no network), what ReplayWeb.page shows of the signature, what it does not prove, and the
/// key that signs this console's packages. Reads the key only: it never makes one.
pub(crate) async fn replay_help(
    State(app): State<Shared>,
    _viewer: Viewer,
) -> Result<Html<String>, WebError> {
    let wacz_key = match &app.export {
        Some(config) => evidence::wacz::WaczSigner::published_key(&config.log.keys_dir)
            .map_err(|e| WebError::Internal(format!("WACZ signing key: {e}")))?,
        None => None,
    };
    render(&ReplayHelpPage {
        active: "",
        wacz_key,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportForm {
    site: Option<String>,
    sweep: Option<String>,
    clue: Option<String>,
    reason: Option<String>,
}

/// One id field of the form, when filled in.
fn id_field(raw: &Option<String>, what: &str) -> Result<Option<i64>, WebError> {
    match raw.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => view::path_id(v, what).map(Some),
    }
}

/// `POST /exports` (see the module documentation).
pub(crate) async fn export(
    State(app): State<Shared>,
    posted: Posted<ExportForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let form = posted.form;
    viewer.require(Permission::Export)?;
    let config = app
        .export
        .clone()
        .ok_or_else(|| WebError::Unavailable("本控制台未配置证据导出".to_string()))?;
    let scope = viewer.scope();
    let (selection, name) = match (
        id_field(&form.site, "网站")?,
        id_field(&form.sweep, "巡查")?,
        id_field(&form.clue, "线索")?,
    ) {
        (Some(id), None, None) => {
            let site = app
                .store
                .site(scope.clone(), SiteId(id))
                .await?
                .ok_or_else(|| WebError::NotFound(format!("网站 {id}")))?;
            let address = format!("{}{}", site.host, site.path_prefix);
            (Selection::Site(address.clone()), format!("site-{address}"))
        }
        (None, Some(id), None) => (Selection::Sweep(SweepId(id)), format!("sweep-{id}")),
        (None, None, Some(id)) => (Selection::Clue(ClueId(id)), format!("clue-{id}")),
        _ => {
            return Err(WebError::BadRequest(
                "请选择一项导出范围：网站、巡查或线索（只选一项）。".to_string(),
            ))
        }
    };
    let reason = super::evidence::stated_reason(form.reason.as_deref()).ok_or_else(|| {
        WebError::BadRequest("请填写导出事由：每次导出都记入保管链。".to_string())
    })?;
    let file_name = format!(
        "wangjian-{}-{}.wacz",
        safe_name(&name),
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    );
    let dir =
        tempfile::tempdir().map_err(|e| WebError::Internal(format!("export directory: {e}")))?;
    let output = dir.path().join(&file_name);
    let exported = {
        let _log = app.log_lock.lock().await;
        sweep::export::export_wacz(
            app.store.as_ref(),
            scope,
            &config,
            &ExportRequest {
                selection,
                title: None,
                output: output.clone(),
                actor: viewer.actor(),
                reason,
            },
        )
        .await
        .map_err(export_error)?
    };
    tracing::info!(
        selected = %exported.selected,
        bytes = exported.summary.bytes,
        custody = exported.custody.id,
        "evidence exported"
    );
    let file = tokio::fs::File::open(&exported.summary.path)
        .await
        .map_err(|e| WebError::Internal(format!("exported package: {e}")))?;
    // The temporary directory goes with the stream: removed when the download ends.
    let stream = futures::stream::try_unfold((file, dir), |(mut file, dir)| async move {
        let mut buf = vec![0u8; 64 * 1024];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), (file, dir))))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::CONTENT_LENGTH, exported.summary.bytes.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `name` with every character but ASCII letters, digits, `.`, `-` and `_` replaced by `_`
/// (a file name safe in a header and on every file system).
fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// An export's failure as the person is told it.
pub(crate) fn export_error(e: ExportError) -> WebError {
    match e {
        ExportError::Selection(SelectionError::NoSite(s)) => {
            WebError::NotFound(format!("网站 {s}"))
        }
        ExportError::Selection(SelectionError::NoSweep(id)) => {
            WebError::NotFound(format!("巡查 {id}"))
        }
        ExportError::Selection(SelectionError::NoClue(id)) => {
            WebError::NotFound(format!("线索 {id}"))
        }
        ExportError::Selection(SelectionError::NoEvidence(_)) => {
            WebError::Conflict("所选范围内没有可导出的证据记录。".to_string())
        }
        ExportError::Selection(SelectionError::BadPointer(id)) => WebError::Conflict(format!(
            "抓取记录 {id} 的证据指针异常（不在证据目录内），未生成导出包，请联系管理员核查。"
        )),
        ExportError::Selection(SelectionError::MissingOriginal(id)) => WebError::Conflict(format!(
            "重复抓取记录所引用的原始抓取记录 {id} 不在您的权限范围内或已缺失，无法导出。"
        )),
        ExportError::Log(evidence::tlog::LogError::Locked { .. }) => WebError::Unavailable(
            "透明日志正被其他进程（如正在进行的巡查）占用，请稍后再导出".to_string(),
        ),
        ExportError::Unproved { unproved, .. } => WebError::Conflict(format!(
            "有 {unproved} 条证据记录不在透明日志中，未生成导出包，请联系管理员核查。"
        )),
        ExportError::Objects(e) => super::objects::objects_error(&e),
        other => WebError::Internal(format!("evidence export: {}", error_chain(&other))),
    }
}

/// An error and its sources, for the log.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_ascii() {
        assert_eq!(
            super::safe_name("site-mall.test/shop/12 中"),
            "site-mall.test_shop_12__"
        );
    }
}
