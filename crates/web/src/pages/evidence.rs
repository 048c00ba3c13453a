//! `/evidence/{fetch_id}`: the WARC record a fetch was captured in. WARC headers, the result of
//! recomputing its digests, the HTTP head, and the body as escaped text.
//!
//! No path comes from the user: the record is found through the fetch's stored evidence
//! pointer, and even that pointer is distrusted: its file name must be a bare WARC file name
//! (`^[A-Za-z0-9._-]+\.warc(\.gz)?$`) that resolves to a regular file directly inside the
//! evidence directory. Captured pages are hostile and are never rendered as HTML.
//!
//! Chain of custody: every view that shows a record appends a custody row (who: the viewer's
//! actor; why: `?reason=`, else "未说明") before the page renders, and the page shows the
//! record's custody trail, this view included.
//!
//! `/evidence/{fetch_id}/screenshot` serves the full-page screenshot taken with a fetch's
//! response (the `resource` record concurrent to it, right after the exchange in its file) as
//! `image/png`, only after its digests hold and its bytes start as a PNG; the view is logged in
//! the chain of custody like any other.

use std::path::{Path as FsPath, PathBuf};

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use domain::FetchId;
use evidence::{verify_record, DigestField};
use serde::Deserialize;
use store::{CustodyAction, CustodyFilter, CustodySubject, NewCustody};

use super::render;
use crate::capture::{self, ShownBody, SHOWN_BODY_LIMIT};
use crate::view;
use crate::{Shared, Viewer, WebError};
use http_msg::Message;

struct HttpView {
    start_line: String,
    fields: Vec<(String, String)>,
    body: ShownBody,
}

/// Custody rows shown on a page, newest last.
pub(crate) const CUSTODY_SHOWN: i64 = 50;

/// The longest reason kept, in characters; longer ones are cut.
const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct EvidenceParams {
    /// Why the record is viewed (chain of custody).
    reason: Option<String>,
}

/// A stated reason, trimmed and bounded; [`store::NO_REASON`] when none was given.
pub(crate) fn reason(raw: Option<&str>) -> String {
    let r = raw.map(str::trim).unwrap_or_default();
    if r.is_empty() {
        store::NO_REASON.to_string()
    } else {
        r.chars().take(MAX_REASON_CHARS).collect()
    }
}

/// A custody row as the pages show it.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct CustodyRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub reason: String,
    pub hash: String,
}

impl From<&store::CustodyRecord> for CustodyRow {
    fn from(r: &store::CustodyRecord) -> Self {
        CustodyRow {
            id: r.id,
            at: view::time(r.at),
            actor: r.actor.clone(),
            action: r.action.label().to_string(),
            subject: r.subject.clone(),
            reason: r.reason.clone(),
            hash: r.hash.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "evidence.html")]
struct EvidencePage {
    active: &'static str,
    fetch_id: i64,
    url: String,
    site_href: String,
    fetched_at: String,
    status: String,
    warc_file: String,
    offset: i64,
    pointer_digest: String,
    record_length: u64,
    warc_headers: Vec<(String, String)>,
    /// Every declared digest recomputed and matching, and the pointer agreeing with the record.
    digest_ok: bool,
    declared_digests: Vec<(String, String)>,
    digest_problems: Vec<String>,
    warnings: Vec<String>,
    /// For a `revisit` record: the fetch whose response record holds the (identical) payload.
    revisit_of: Option<i64>,
    http: Option<HttpView>,
    limit_kib: usize,
    /// This view's stated reason.
    reason: String,
    custody: Vec<CustodyRow>,
}

pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
    params: Result<Query<EvidenceParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let id = FetchId(view::path_id(&raw, "抓取记录")?);
    let fetch = app
        .store
        .fetch(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("抓取记录 {id}")))?;
    let f = &fetch.fetch;
    let pointer = f
        .evidence
        .clone()
        .ok_or_else(|| WebError::NotFound(format!("抓取记录 {id} 的证据记录")))?;
    let Some(path) = resolve_warc(&app.evidence_dir, &pointer.warc_file) else {
        tracing::warn!(fetch = id.0, file = %pointer.warc_file, "evidence pointer refused");
        return Err(WebError::NotFound(format!("抓取记录 {id} 的证据文件")));
    };
    let offset = u64::try_from(pointer.offset)
        .map_err(|_| WebError::Internal(format!("negative evidence offset for fetch {id}")))?;
    let record = tokio::task::spawn_blocking(move || evidence::read_record_at(&path, offset))
        .await
        .map_err(|e| WebError::Internal(format!("evidence reader: {e}")))?
        .map_err(|e| match e {
            // Facts about the record, without paths: worth showing.
            evidence::EvidenceError::Corrupt { .. } | evidence::EvidenceError::NoRecord { .. } => {
                WebError::CorruptEvidence(e.to_string())
            }
            other => WebError::Evidence(other),
        })?;

    let mut digest_problems: Vec<String> = verify_record(&record)
        .iter()
        .map(ToString::to_string)
        .collect();
    let declared_digests: Vec<(String, String)> = [DigestField::Block, DigestField::Payload]
        .iter()
        .filter_map(|f| {
            Some((
                f.header_name().to_string(),
                record.header(f.header_name())?.to_string(),
            ))
        })
        .collect();
    if !pointer.digest.is_empty()
        && !declared_digests
            .iter()
            .any(|(_, v)| v.eq_ignore_ascii_case(&pointer.digest))
    {
        digest_problems.push(format!(
            "数据库中的证据摘要 {} 与该记录声明的摘要不符",
            pointer.digest
        ));
    }
    let mut warnings = Vec::new();
    if declared_digests.is_empty() {
        warnings.push("该记录未声明摘要，无法校验完整性。".to_string());
    }
    if record.target_uri().is_some_and(|u| u != f.url) {
        warnings.push("记录的 WARC-Target-URI 与抓取记录的 URL 不同。".to_string());
    }
    let http = record.http_parts().map(|_| {
        let msg = Message::parse(&record.block);
        let body = capture::show_body(&msg.head, &msg.payload());
        HttpView {
            start_line: msg.head.start_line,
            fields: msg.head.fields,
            body,
        }
    });
    if http.is_none() {
        warnings.push("该记录不是 HTTP 报文（application/http），未显示正文。".to_string());
    }

    // The record is about to be shown: log the view first, so no view goes unlogged.
    let subject = CustodySubject::record(&pointer.warc_file, pointer.offset);
    let reason = reason(params.reason.as_deref());
    app.store
        .append_custody(&NewCustody::new(
            viewer.actor(),
            CustodyAction::View,
            &subject,
            reason.clone(),
        ))
        .await?;
    let custody = app
        .store
        .custody(&CustodyFilter {
            limit: CUSTODY_SHOWN,
            ..CustodyFilter::about(viewer.scope(), [subject])
        })
        .await?
        .iter()
        .map(CustodyRow::from)
        .collect();

    render(&EvidencePage {
        active: "",
        fetch_id: id.0,
        url: f.url.clone(),
        site_href: format!("/sites/{}", f.site_id),
        fetched_at: view::time(f.fetched_at),
        status: f
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "无响应".into()),
        warc_file: pointer.warc_file,
        offset: pointer.offset,
        pointer_digest: pointer.digest,
        record_length: record.length,
        warc_headers: record.headers.clone(),
        digest_ok: digest_problems.is_empty() && !declared_digests.is_empty(),
        declared_digests,
        digest_problems,
        warnings,
        revisit_of: f.revisit_of.map(|r| r.0),
        http,
        limit_kib: SHOWN_BODY_LIMIT / 1024,
        reason,
        custody,
    })
}

/// Whether `name` is a bare WARC file name: `^[A-Za-z0-9._-]+\.warc(\.gz)?$`, no leading dot.
pub(crate) fn is_warc_name(name: &str) -> bool {
    let stem = name
        .strip_suffix(".warc.gz")
        .or_else(|| name.strip_suffix(".warc"));
    stem.is_some_and(|s| {
        !s.is_empty()
            && !name.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    })
}

/// The file `name` names inside `dir`, when `name` is a bare WARC file name and the file (after
/// following links) is a regular file directly inside `dir`.
pub(crate) fn resolve_warc(dir: &FsPath, name: &str) -> Option<PathBuf> {
    if !is_warc_name(name) {
        return None;
    }
    let dir = dir.canonicalize().ok()?;
    let path = dir.join(name).canonicalize().ok()?;
    (path.parent() == Some(dir.as_path()) && path.is_file()).then_some(path)
}

/// `/evidence/{fetch_id}/screenshot` (see the module documentation).
pub(crate) async fn screenshot(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
    params: Result<Query<EvidenceParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let id = FetchId(view::path_id(&raw, "抓取记录")?);
    let missing = || WebError::NotFound(format!("抓取记录 {id} 的截图"));
    let fetch = app
        .store
        .fetch(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("抓取记录 {id}")))?;
    let pointer = fetch.fetch.evidence.clone().ok_or_else(missing)?;
    let path = resolve_warc(&app.evidence_dir, &pointer.warc_file).ok_or_else(missing)?;
    let offset = u64::try_from(pointer.offset).map_err(|_| missing())?;
    let shot = tokio::task::spawn_blocking(move || find_screenshot(&path, offset))
        .await
        .map_err(|e| WebError::Internal(format!("evidence reader: {e}")))??
        .ok_or_else(missing)?;
    let problems = verify_record(&shot);
    if !problems.is_empty() || !shot.block.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(WebError::CorruptEvidence(format!(
            "截图记录（{} · {}）未通过校验",
            pointer.warc_file, shot.offset
        )));
    }
    app.store
        .append_custody(&NewCustody::new(
            viewer.actor(),
            CustodyAction::View,
            &CustodySubject::record(&pointer.warc_file, shot.offset as i64),
            reason(params.reason.as_deref()),
        ))
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        shot.block,
    )
        .into_response())
}

/// The screenshot `resource` record concurrent to the record at `offset`: read from there
/// through the rest of its exchange.
fn find_screenshot(path: &FsPath, offset: u64) -> Result<Option<evidence::Record>, WebError> {
    use std::io::{BufReader, Seek, SeekFrom};
    let unreadable = |e: std::io::Error| WebError::Internal(format!("evidence file: {e}"));
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    file.seek(SeekFrom::Start(offset)).map_err(unreadable)?;
    let corrupt = |e: evidence::EvidenceError| match e {
        evidence::EvidenceError::Corrupt { .. } | evidence::EvidenceError::NoRecord { .. } => {
            WebError::CorruptEvidence(e.to_string())
        }
        other => WebError::Evidence(other),
    };
    let mut records = evidence::WarcReader::with_offset(BufReader::new(file), offset);
    let Some(first) = records.next().transpose().map_err(corrupt)? else {
        return Ok(None);
    };
    let id = first.record_id().map(str::to_owned);
    for rec in records {
        let rec = rec.map_err(corrupt)?;
        match rec.warc_type() {
            Some("resource")
                if id.is_some() && rec.header("WARC-Concurrent-To") == id.as_deref() =>
            {
                return Ok(Some(rec));
            }
            Some("metadata" | "resource") => {}
            _ => break,
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warc_names() {
        for ok in [
            "a.warc",
            "wangjian-sweep-3-20170601000000-00001.warc.gz",
            "x_y.z.warc",
        ] {
            assert!(is_warc_name(ok), "{ok}");
        }
        for bad in [
            "../a.warc",
            "..",
            ".warc",
            ".hidden.warc.gz",
            "a/b.warc",
            "a\\b.warc",
            "/etc/passwd",
            "a.warc.gz.txt",
            "a.warc ",
            "中.warc",
            "",
        ] {
            assert!(!is_warc_name(bad), "{bad}");
        }
    }

    #[test]
    fn resolution_stays_inside_the_directory() {
        let outer = tempfile::tempdir().unwrap();
        let dir = outer.path().join("evidence");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("a.warc.gz"), b"x").unwrap();
        std::fs::write(outer.path().join("outside.warc.gz"), b"x").unwrap();
        assert!(resolve_warc(&dir, "a.warc.gz").is_some());
        assert!(resolve_warc(&dir, "missing.warc.gz").is_none());
        assert!(resolve_warc(&dir, "../outside.warc.gz").is_none());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outer.path().join("outside.warc.gz"), dir.join("l.warc.gz"))
                .unwrap();
            assert!(resolve_warc(&dir, "l.warc.gz").is_none());
        }
    }
}
