//! A case's documents (`POST /cases/{id}/documents/{kind}`, kind `rectification`, `warning`,
//! `referral` or `cover`): a session's form ([`Permission::Casework`] and
//! [`Permission::Export`], since every clue's WACZ is exported and logged in the chain of
//! custody with the user and the reason) through `sweep::documents::case_document`, the
//! function `wangjian case document` calls. `format=html` answers the document itself, to read
//! and print from the browser (under a policy that allows its inline styles and nothing else);
//! `format=pdf` answers the bundle — the printed PDF, the packages and their SHA-256 manifest —
//! as a download, from a private temporary directory removed afterwards. The case is read in
//! the viewer's scope: out of scope is 404 like a missing case.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use casework::documents::DocumentRefusal;
use documents::DocumentKind;
use domain::{CaseId, Permission};
use serde::Deserialize;
use sweep::documents::{CaseDocumentError, DocumentFormat, DocumentRequest, DocumentSetup};

use crate::forms::Posted;
use crate::{view, Shared, WebError};

/// The policy of a document shown in the console: its own inline styles, nothing loaded, no
/// scripts, no forms.
pub(crate) const DOCUMENT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Debug, Deserialize)]
pub(crate) struct DocumentForm {
    format: Option<String>,
    reason: Option<String>,
}

/// `POST /cases/{id}/documents/{kind}` (see the module documentation).
pub(crate) async fn make(
    State(app): State<Shared>,
    Path((raw_id, raw_kind)): Path<(String, String)>,
    posted: Posted<DocumentForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let form = posted.form;
    viewer.require(Permission::Casework)?;
    viewer.require(Permission::Export)?;
    let case = CaseId(view::path_id(&raw_id, "案件")?);
    let kind: DocumentKind = raw_kind
        .parse()
        .map_err(|_| WebError::NotFound(format!("文书类型 {raw_kind}")))?;
    let format = match form.format.as_deref().map(str::trim) {
        Some("html") | None | Some("") => DocumentFormat::Html,
        Some("pdf") => DocumentFormat::Bundle,
        Some(other) => {
            return Err(WebError::BadRequest(format!(
                "文书格式 {other} 不可用：请选择 HTML 或 PDF。"
            )))
        }
    };
    // The case first, in the viewer's scope: another district's case answers like a missing one
    // whatever else is wrong.
    if app.store.case(viewer.scope(), case).await?.is_none() {
        return Err(WebError::NotFound(format!("案件 {case}")));
    }
    let export = app
        .export
        .clone()
        .ok_or_else(|| WebError::Unavailable("本控制台未配置证据导出，无法附证据包".to_string()))?;
    let docs = app
        .documents
        .clone()
        .ok_or_else(|| WebError::Unavailable("本控制台未配置文书模板".to_string()))?;
    let reason = super::evidence::stated_reason(form.reason.as_deref())
        .unwrap_or_else(|| format!("制作{}", kind.title()));
    let dir =
        tempfile::tempdir().map_err(|e| WebError::Internal(format!("document directory: {e}")))?;
    let stem = format!("case-{}-{}", case.0, kind.code());
    let output = dir.path().join(match format {
        DocumentFormat::Html => format!("{stem}.html"),
        _ => format!("{stem}.zip"),
    });
    let made = {
        let _log = app.log_lock.lock().await;
        sweep::documents::case_document(
            app.store.as_ref(),
            viewer.scope(),
            &DocumentSetup {
                export: &export,
                templates: &docs.templates,
                browser: docs.browser.as_ref().map_err(String::as_str),
            },
            &docs.settings,
            case,
            domain::time::beijing_date(chrono::Utc::now()),
            &DocumentRequest {
                kind,
                format,
                output: output.clone(),
                actor: viewer.actor(),
                reason,
            },
        )
        .await
        .map_err(|e| document_error(case, e))?
    };
    tracing::info!(
        case = case.0,
        kind = kind.code(),
        packages = made.exports.len(),
        "document made"
    );
    let bytes =
        std::fs::read(&made.path).map_err(|e| WebError::Internal(format!("document file: {e}")))?;
    Ok(match format {
        DocumentFormat::Html => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                (header::CONTENT_SECURITY_POLICY, DOCUMENT_POLICY.to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        _ => (
            [
                (header::CONTENT_TYPE, "application/zip".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{stem}.zip\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
    })
}

/// A document's failure as the person is told it.
fn document_error(case: CaseId, e: CaseDocumentError) -> WebError {
    match e {
        CaseDocumentError::Refused(DocumentRefusal::NoCase(_)) => {
            WebError::NotFound(format!("案件 {case}"))
        }
        CaseDocumentError::Refused(DocumentRefusal::NoOutcome { kind, .. }) => WebError::Conflict(
            format!("本案尚无“{}”处理结果，请先登记后再制作文书。", kind.title()),
        ),
        CaseDocumentError::NoClue => {
            WebError::Conflict("本案没有线索，无可附的证据包。".to_string())
        }
        CaseDocumentError::NoBrowser(_) => WebError::Unavailable(
            "本机未安装用于打印的浏览器（chromium），请选择 HTML 格式".to_string(),
        ),
        CaseDocumentError::Template(documents::DocumentError::Template {
            template, line, ..
        }) => WebError::Conflict(format!(
            "文书模板 {template}{} 有误，请管理员修改数据目录中的模板。",
            line.map(|l| format!(" 第 {l} 行")).unwrap_or_default()
        )),
        CaseDocumentError::Export(e) => super::packages::export_error(e),
        other => WebError::Internal(format!(
            "case document: {}",
            super::packages::error_chain(&other)
        )),
    }
}
