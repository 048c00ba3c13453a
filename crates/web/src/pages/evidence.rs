//! `/evidence/{fetch_id}`: the WARC record a fetch was captured in. WARC headers, the result of
//! recomputing its digests, the HTTP head, and the body as escaped text.
//!
//! No path comes from the user: the record is found through the fetch's stored evidence
//! pointer, and even that pointer is distrusted: its file name must be a bare WARC file name
//! (`^[A-Za-z0-9._-]+\.warc(\.gz)?$`) that resolves to a regular file directly inside the
//! evidence directory. Captured pages are hostile and are never rendered as HTML.
//!
//! Chain of custody: a view is a form. `GET /evidence/{id}` writes nothing: it asks why the
//! record is to be viewed. `POST /evidence/{id}/view` (a session's form, its CSRF token
//! checked, [`Permission::ViewEvidence`]) with a non-empty reason appends a custody row (who:
//! the user, `user:NAME`; why: the reason) before the record renders, and the page shows the
//! record's custody trail, this view included.
//!
//! The full-page screenshot taken with a fetch's response (the `resource` record concurrent to
//! it, right after the exchange in its file) is part of that view: it is shown only after its
//! digests hold and its bytes start as a PNG, its own custody row is appended with the view's,
//! and the page's `<img>` carries a short-lived grant of the view
//! (`/evidence/{id}/screenshot?view=TOKEN`, see `crate::runtime`). That GET writes nothing;
//! without a live grant of the session it answers the reason form instead of the image.

use std::path::{Path as FsPath, PathBuf};

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{FetchId, Permission};
use evidence::{verify_record, DigestField};
use serde::Deserialize;
use store::{CustodyAction, CustodyFilter, CustodySubject, Fetch, NewCustody};

use super::render;
use crate::capture::{self, ShownBody, SHOWN_BODY_LIMIT};
use crate::forms::Posted;
use crate::view;
use crate::viewer::Via;
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

/// A stated reason, trimmed and bounded; `None` when there is none.
pub(crate) fn stated_reason(raw: Option<&str>) -> Option<String> {
    let r = raw.map(str::trim).unwrap_or_default();
    (!r.is_empty()).then(|| r.chars().take(MAX_REASON_CHARS).collect())
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

/// The form that asks why a record is to be viewed.
#[derive(Template)]
#[template(path = "evidence_reason.html")]
struct ReasonPage {
    active: &'static str,
    fetch_id: i64,
    url: String,
    site_href: String,
    fetched_at: String,
    /// Why the form is shown again (a missing reason, a stale screenshot grant).
    message: Option<String>,
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
    /// The screenshot of this view: its image URL (with the view's grant) and its record.
    screenshot: Option<ShotView>,
    custody: Vec<CustodyRow>,
}

struct ShotView {
    src: String,
    warc_file: String,
    offset: u64,
    digest: String,
}

/// The fetch `raw` names, in the viewer's scope, with its evidence pointer.
async fn fetch_with_evidence(
    app: &Shared,
    viewer: &Viewer,
    raw: &str,
) -> Result<(Fetch, store::EvidencePointer), WebError> {
    let id = FetchId(view::path_id(raw, "抓取记录")?);
    let fetch = app
        .store
        .fetch(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("抓取记录 {id}")))?;
    let pointer = fetch
        .fetch
        .evidence
        .clone()
        .ok_or_else(|| WebError::NotFound(format!("抓取记录 {id} 的证据记录")))?;
    Ok((fetch, pointer))
}

fn reason_page(
    fetch: &Fetch,
    status: StatusCode,
    message: Option<String>,
) -> Result<Response, WebError> {
    let mut res = render(&ReasonPage {
        active: "",
        fetch_id: fetch.id.0,
        url: fetch.fetch.url.clone(),
        site_href: format!("/sites/{}", fetch.fetch.site_id),
        fetched_at: view::time(fetch.fetch.fetched_at),
        message,
    })?
    .into_response();
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /evidence/{fetch_id}`: the form asking why (writes nothing).
pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    viewer.require(Permission::ViewEvidence)?;
    let (fetch, _) = fetch_with_evidence(&app, &viewer, &raw).await?;
    reason_page(&fetch, StatusCode::OK, None)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ViewForm {
    reason: Option<String>,
}

/// `POST /evidence/{fetch_id}/view`: a logged view (see the module documentation).
pub(crate) async fn view(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<ViewForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::ViewEvidence)?;
    let (fetch, pointer) = fetch_with_evidence(&app, &viewer, &raw).await?;
    let id = fetch.id;
    let Some(reason) = stated_reason(posted.form.reason.as_deref()) else {
        return reason_page(
            &fetch,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("请填写查看事由：每次查看证据都记入保管链。".to_string()),
        );
    };
    let f = &fetch.fetch;
    let Some(source) = warc_source(&app, &pointer.warc_file) else {
        tracing::warn!(fetch = id.0, file = %pointer.warc_file, "evidence pointer refused");
        return Err(WebError::NotFound(format!("抓取记录 {id} 的证据文件")));
    };
    let offset = u64::try_from(pointer.offset)
        .map_err(|_| WebError::Internal(format!("negative evidence offset for fetch {id}")))?;
    let handle = tokio::runtime::Handle::current();
    let (record, shot) = tokio::task::spawn_blocking(move || {
        let record = source.record_at(offset, &handle)?;
        let shot = find_screenshot(&source, offset, &handle)?;
        Ok::<_, WebError>((record, shot))
    })
    .await
    .map_err(|e| WebError::Internal(format!("evidence reader: {e}")))??;

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
    // The screenshot is shown only when its record holds.
    let shot = shot.filter(|s| {
        let ok = shot_holds(s);
        if !ok {
            warnings.push(format!(
                "截图记录（{} · {}）未通过校验，不予显示。",
                pointer.warc_file, s.offset
            ));
        }
        ok
    });

    // The record (and its screenshot) is about to be shown: log the view first, so no view
    // goes unlogged.
    let subject = CustodySubject::record(&pointer.warc_file, pointer.offset);
    let mut subjects = vec![subject.clone()];
    if let Some(s) = &shot {
        subjects.push(CustodySubject::record(&pointer.warc_file, s.offset as i64));
    }
    for s in &subjects {
        app.store
            .append_custody(&NewCustody::new(
                viewer.actor(),
                CustodyAction::View,
                s,
                reason.clone(),
            ))
            .await?;
    }
    let screenshot = match (&shot, viewer.via()) {
        (Some(s), Via::Session { id_hash, .. }) => {
            let token = app
                .shots
                .issue(id, &pointer.warc_file, s.offset, id_hash)
                .map_err(|e| WebError::Internal(format!("screenshot grant: {e}")))?;
            Some(ShotView {
                src: view::link(&format!("/evidence/{id}/screenshot"), &[("view", token)]),
                warc_file: pointer.warc_file.clone(),
                offset: s.offset,
                digest: s
                    .header(DigestField::Block.header_name())
                    .unwrap_or_default()
                    .to_string(),
            })
        }
        _ => None,
    };
    let custody = app
        .store
        .custody(&CustodyFilter {
            limit: CUSTODY_SHOWN,
            ..CustodyFilter::about(viewer.scope(), subjects)
        })
        .await?
        .iter()
        .map(CustodyRow::from)
        .collect();

    let mut res = render(&EvidencePage {
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
        screenshot,
        custody,
    })?
    .into_response();
    // A logged view is not kept by the browser or a proxy.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// Facts about a record, without paths, are worth showing; other failures are not.
fn evidence_error(e: evidence::EvidenceError) -> WebError {
    match e {
        evidence::EvidenceError::Corrupt { .. } | evidence::EvidenceError::NoRecord { .. } => {
            WebError::CorruptEvidence(e.to_string())
        }
        other => WebError::Evidence(other),
    }
}

/// Whether a screenshot record's digests hold and its block is a PNG.
fn shot_holds(shot: &evidence::Record) -> bool {
    verify_record(shot).is_empty() && shot.block.starts_with(b"\x89PNG\r\n\x1a\n")
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

/// Where a WARC file's bytes are read: the evidence directory, else (the file gone from it)
/// the object store, by ranged reads.
pub(crate) enum WarcSource {
    File(PathBuf),
    Object(objects::Objects, String),
}

/// The source of the file `name`: [`resolve_warc`] in the evidence directory, else the object
/// store when one is configured and `name` is a bare WARC file name.
pub(crate) fn warc_source(app: &crate::AppState, name: &str) -> Option<WarcSource> {
    if let Some(path) = resolve_warc(&app.evidence_dir, name) {
        return Some(WarcSource::File(path));
    }
    let objects = app.objects.as_ref()?;
    is_warc_name(name).then(|| WarcSource::Object(objects.clone(), name.to_string()))
}

impl WarcSource {
    /// The records from `offset` on (blocking: call it from a blocking thread).
    pub(crate) fn records_from(
        &self,
        offset: u64,
        handle: &tokio::runtime::Handle,
    ) -> Result<evidence::WarcReader<std::io::BufReader<Box<dyn std::io::Read + Send>>>, WebError>
    {
        use std::io::{Seek, SeekFrom};
        let reader: Box<dyn std::io::Read + Send> = match self {
            WarcSource::File(path) => {
                let unreadable =
                    |e: std::io::Error| WebError::Internal(format!("evidence file: {e}"));
                let mut file = std::fs::File::open(path).map_err(unreadable)?;
                file.seek(SeekFrom::Start(offset)).map_err(unreadable)?;
                Box::new(file)
            }
            WarcSource::Object(objects, name) => Box::new(
                objects
                    .reader_at(name, offset, handle.clone())
                    .map_err(|e| super::objects::objects_error(&e))?,
            ),
        };
        Ok(evidence::WarcReader::with_offset(
            std::io::BufReader::with_capacity(64 * 1024, reader),
            offset,
        ))
    }

    /// The record at `offset` (blocking).
    pub(crate) fn record_at(
        &self,
        offset: u64,
        handle: &tokio::runtime::Handle,
    ) -> Result<evidence::Record, WebError> {
        match self.records_from(offset, handle)?.next() {
            Some(record) => record.map_err(evidence_error),
            None => Err(evidence_error(evidence::EvidenceError::NoRecord { offset })),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ShotParams {
    /// The grant of a logged view.
    view: Option<String>,
}

/// `GET /evidence/{fetch_id}/screenshot?view=TOKEN` (see the module documentation): the image
/// for a live grant of this session's view, else the reason form. Writes nothing.
pub(crate) async fn screenshot(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
    params: Result<Query<ShotParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    viewer.require(Permission::ViewEvidence)?;
    let (fetch, _) = fetch_with_evidence(&app, &viewer, &raw).await?;
    let session = match viewer.via() {
        Via::Session { id_hash, .. } => id_hash.as_str(),
        Via::Token => "",
    };
    let grant = params
        .view
        .as_deref()
        .and_then(|t| app.shots.find(t, fetch.id, session));
    let Some(grant) = grant else {
        let (status, message) = match params.view {
            None => (StatusCode::OK, "截图须在说明事由、记入保管链的查看中显示。"),
            Some(_) => (
                StatusCode::FORBIDDEN,
                "截图查看凭证无效或已过期，请重新说明事由。",
            ),
        };
        return reason_page(&fetch, status, Some(message.to_string()));
    };
    let missing = || WebError::NotFound(format!("抓取记录 {} 的截图", fetch.id));
    let source = warc_source(&app, &grant.warc_file).ok_or_else(missing)?;
    let offset = grant.offset;
    let handle = tokio::runtime::Handle::current();
    let shot = tokio::task::spawn_blocking(move || source.record_at(offset, &handle))
        .await
        .map_err(|e| WebError::Internal(format!("evidence reader: {e}")))??;
    if !shot_holds(&shot) {
        return Err(WebError::CorruptEvidence(format!(
            "截图记录（{} · {}）未通过校验",
            grant.warc_file, grant.offset
        )));
    }
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
fn find_screenshot(
    source: &WarcSource,
    offset: u64,
    handle: &tokio::runtime::Handle,
) -> Result<Option<evidence::Record>, WebError> {
    let corrupt = evidence_error;
    let mut records = source.records_from(offset, handle)?;
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
