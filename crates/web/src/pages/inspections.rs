//! Field inspections (现场检查). `/inspections` lists those in the viewer's scope (filtered by
//! entity, case and result); `/inspections/new` is the form, posted to `POST /inspections`
//! as `multipart/form-data` through [`PostedMultipart`] (session and CSRF token checked before
//! any file is read, the body capped) and recorded by `casework::inspection::record_inspection`
//! — the function `wangjian inspection add` calls — with the viewer as recorder;
//! `/inspections/{id}` shows one with its attachments.
//!
//! An attachment is never shown inline: `POST /attachments/{id}/download` (a session's form
//! with a stated reason, [`Permission::ViewEvidence`]) reads it through
//! `casework::inspection::read_attachment`, which re-checks its SHA-256 and logs the export in
//! the chain of custody before the bytes are answered, as a download
//! (`Content-Disposition: attachment`, the media type its bytes showed, `nosniff` as on every
//! response).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use casework::inspection::{self as inspection, InspectionError, InspectionInput, ReadFor};
use domain::{AttachmentId, CaseId, EntityId, InspectionId, InspectionResult, Permission};
use serde::Deserialize;
use store::{CustodyAction, Inspection, InspectionFilter, InspectionSort};

use super::render;
use crate::forms::{MultipartRefusal, Posted, PostedMultipart};
use crate::view::{self, param, ListLinks, Opt};
use crate::{Shared, Viewer, WebError};

use crate::view::PAGE_SIZE;

pub(crate) struct InspectionRow {
    pub id: i64,
    pub at: String,
    pub entity_id: i64,
    pub entity: String,
    pub district: String,
    pub case: Option<i64>,
    pub result: &'static str,
    pub result_code: &'static str,
    pub officers: String,
    pub files: i64,
    pub place: String,
}

impl InspectionRow {
    pub(crate) fn new(app: &crate::AppState, i: &Inspection) -> InspectionRow {
        InspectionRow {
            id: i.id.0,
            at: view::time(i.inspected_at),
            entity_id: i.entity_id.0,
            entity: i.entity_name.clone(),
            district: view::district_label(&app.districts, Some(i.district)),
            case: i.case_id.map(|c| c.0),
            result: i.result.title(),
            result_code: i.result.code(),
            officers: i
                .officers
                .iter()
                .map(|o| o.display_name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            files: i.attachments,
            place: i.place.clone(),
        }
    }
}

/// The inspections' columns: label and the key each sorts by.
const COLUMNS: &[(&str, Option<InspectionSort>)] = &[
    ("#", Some(InspectionSort::Id)),
    ("检查时间", Some(InspectionSort::InspectedAt)),
    ("经营主体", Some(InspectionSort::Entity)),
    ("区域", Some(InspectionSort::District)),
    ("案件", Some(InspectionSort::Case)),
    ("结果", Some(InspectionSort::Result)),
    ("检查人员", None),
    ("附件", Some(InspectionSort::Attachments)),
    ("地点", Some(InspectionSort::Place)),
];

/// The inspections table's header where it does not sort (an entity's page).
pub(crate) fn plain_heads() -> Vec<view::Head> {
    COLUMNS
        .iter()
        .map(|(label, _)| view::Head {
            label,
            href: None,
            aria_sort: "",
        })
        .collect()
}

#[derive(Template)]
#[template(path = "inspections.html")]
struct ListPage {
    active: &'static str,
    rows: Vec<InspectionRow>,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    inspection_heads: Vec<view::Head>,
    pager: view::Pager,
    csv_href: String,
    xlsx_href: String,
    results: Vec<Opt>,
    entity: String,
    case: String,
    may_record: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    entity: Option<String>,
    case: Option<String>,
    result: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
}

impl ListParams {
    /// The filter without paging, sorted as the request names.
    fn filter(&self) -> Result<InspectionFilter, WebError> {
        Ok(InspectionFilter {
            entity: param::<i64>("entity", &self.entity)?.map(EntityId),
            case: param::<i64>("case", &self.case)?.map(CaseId),
            result: param::<InspectionResult>("result", &self.result)?,
            sort: view::sort_param(&self.sort, &self.dir)?,
            ..InspectionFilter::default()
        })
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("entity", view::text(&self.entity)),
            ("case", view::text(&self.case)),
            ("result", view::text(&self.result)),
        ]
    }
}

/// `GET /inspections`.
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let page = view::page_param(&p.page)?;
    let filter = InspectionFilter {
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        ..p.filter()?
    };
    let scope = viewer.scope();
    let counted = InspectionFilter {
        count_up_to: Some(view::count_up_to(page)),
        ..filter.clone()
    };
    let total = app.store.count_inspections(scope.clone(), &counted).await?;
    let list = app.store.list_inspections(scope, &filter).await?;
    let links = ListLinks::new("/inspections", p.pairs(), filter.sort);
    let current = view::text(&p.result);
    let mut results = vec![Opt::new("", "全部结果", &current)];
    results.extend(
        InspectionResult::ALL
            .iter()
            .map(|r| Opt::new(r.code(), r.title(), &current)),
    );
    render(&ListPage {
        active: "inspections",
        rows: list.iter().map(|i| InspectionRow::new(&app, i)).collect(),
        sort_fields: links.sort_fields(),
        inspection_heads: links.heads(COLUMNS),
        pager: links.pager(page, list.len(), total),
        csv_href: links.export("/export/inspections", "csv"),
        xlsx_href: links.export("/export/inspections", "xlsx"),
        results,
        entity: p.entity.unwrap_or_default(),
        case: p.case.unwrap_or_default(),
        may_record: viewer.may(Permission::Casework) && app.inspections.is_some(),
    })
}

/// `GET /export/inspections`: the inspections as listed (filters, sort, every page).
pub(crate) async fn export(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<view::Export<ListParams>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = p.list.filter()?;
    let scope = viewer.scope();
    let counted = InspectionFilter {
        count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
        ..filter.clone()
    };
    view::export_cap(app.store.count_inspections(scope.clone(), &counted).await?)?;
    let rows = crate::exports::all_rows(|offset, limit| {
        let filter = InspectionFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let (store, scope) = (app.store.clone(), scope.clone());
        async move { store.list_inspections(scope, &filter).await }
    })
    .await?;
    crate::exports::response(
        &crate::exports::inspections_table(&rows, &app.districts),
        &p.format,
    )
}

#[derive(Template)]
#[template(path = "inspection_new.html")]
struct NewPage {
    active: &'static str,
    entity: String,
    case: String,
    inspectors: String,
    results: Vec<Opt>,
    max_mb: u64,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewParams {
    entity: Option<String>,
    case: Option<String>,
}

/// `GET /inspections/new`: the form (entity and case prefilled from the query).
pub(crate) async fn new_form(
    State(app): State<Shared>,
    viewer: Viewer,
    Query(p): Query<NewParams>,
) -> Result<Html<String>, WebError> {
    viewer.require(Permission::Casework)?;
    let settings = app
        .inspections
        .as_ref()
        .ok_or_else(|| WebError::Unavailable("本控制台未配置现场检查附件目录".into()))?;
    render(&NewPage {
        active: "inspections",
        entity: p.entity.unwrap_or_default(),
        case: p.case.unwrap_or_default(),
        inspectors: viewer.user().username.clone(),
        results: InspectionResult::ALL
            .iter()
            .map(|r| Opt::new(r.code(), r.title(), "violation"))
            .collect(),
        max_mb: settings.limits.max_bytes / (1024 * 1024),
    })
}

/// What the person is told when an inspection is refused (a structured error to Chinese).
fn refusal(e: InspectionError) -> WebError {
    use InspectionError as E;
    match e {
        E::EntityNotFound(id) => WebError::NotFound(format!("经营主体 {id}")),
        E::CaseNotFound(id) => WebError::NotFound(format!("案件 {id}")),
        E::AttachmentNotFound(id) => WebError::NotFound(format!("附件 {id}")),
        E::CaseOfOtherEntity { case, entity } => {
            WebError::BadRequest(format!("案件 {case} 不是经营主体 {entity} 的案件"))
        }
        E::NoInspector => WebError::BadRequest("请填写至少一名检查人员".into()),
        E::UnknownInspector { name } => {
            WebError::BadRequest(format!("检查人员 {name} 不是本系统用户"))
        }
        E::InspectorDisabled { name } => WebError::BadRequest(format!("检查人员 {name} 已停用")),
        E::InspectorMayNotInspect { name } => {
            WebError::BadRequest(format!("检查人员 {name} 的角色不能进行现场检查"))
        }
        E::InspectorOutOfDistrict { name, district } => {
            WebError::BadRequest(format!("检查人员 {name} 无权在区域 {district} 执法"))
        }
        E::NoRecorder => WebError::BadRequest("记录人不是本系统用户".into()),
        E::InFuture { .. } => WebError::BadRequest("检查时间不能晚于现在".into()),
        E::PlaceMissing => WebError::BadRequest("请填写检查地点".into()),
        E::BadTime { text } => WebError::BadRequest(format!(
            "检查时间 {text:?} 无效（格式：YYYY-MM-DD HH:MM，北京时间）"
        )),
        E::FileNameMissing { name } => WebError::BadRequest(format!("附件 {name:?} 没有文件名")),
        E::FileTooLarge { name, limit, .. } => WebError::BadRequest(format!(
            "附件 {name} 超过 {} MiB 的大小上限，未保存任何内容",
            limit / (1024 * 1024)
        )),
        E::FileTypeNotAllowed { name } => WebError::BadRequest(format!(
            "附件 {name} 不是允许的类型（JPEG、PNG、PDF、TIFF、HEIC/HEIF），未保存任何内容"
        )),
        E::FileExtensionMismatch { name, kind } => WebError::BadRequest(format!(
            "附件 {name} 的内容是 {}，与文件扩展名不符，未保存任何内容",
            kind.media_type()
        )),
        E::FileMissing { sha256 } => {
            WebError::Conflict(format!("附件 {sha256} 的文件缺失，无法提供"))
        }
        E::FileChanged { sha256 } => WebError::Conflict(format!(
            "附件 {sha256} 的文件与其 SHA-256 不符（已被改动），拒绝提供"
        )),
        E::Store(e) => WebError::Store(e),
        E::ReadFile { .. } | E::Write { .. } => WebError::Internal(e.to_string()),
    }
}

/// `POST /inspections` (multipart; see the module documentation).
pub(crate) async fn create(State(app): State<Shared>, req: Request) -> Result<Response, WebError> {
    let settings = app
        .inspections
        .clone()
        .ok_or_else(|| WebError::Unavailable("本控制台未配置现场检查附件目录".into()))?;
    let form = match PostedMultipart::read(req, settings.limits.max_bytes).await? {
        Ok(form) => form,
        Err(MultipartRefusal::FileTooLarge { name, limit }) => {
            return Err(refusal(InspectionError::FileTooLarge {
                name,
                size: limit + 1,
                limit,
            }))
        }
        Err(MultipartRefusal::TooManyFiles) => {
            return Err(WebError::BadRequest(format!(
                "附件最多 {} 个",
                crate::forms::MULTIPART_MAX_FILES
            )))
        }
    };
    let viewer = &form.viewer;
    viewer.require(Permission::Casework)?;
    let text = |name: &str| form.field(name).unwrap_or_default().trim().to_string();
    let id = |name: &str, what: &str| -> Result<Option<i64>, WebError> {
        match text(name).as_str() {
            "" => Ok(None),
            v => view::path_id(v, what).map(Some),
        }
    };
    let entity = id("entity", "经营主体")?
        .ok_or_else(|| WebError::BadRequest("请填写经营主体编号".into()))?;
    let result: InspectionResult = text("result")
        .parse()
        .map_err(|_| WebError::BadRequest("请选择检查结果".into()))?;
    let now = chrono::Utc::now();
    let inspected_at = match text("at").as_str() {
        "" => now,
        t => inspection::parse_inspected_at(t).map_err(refusal)?,
    };
    let input = InspectionInput {
        entity: EntityId(entity),
        case: id("case", "案件")?.map(CaseId),
        inspected_at,
        place: text("place"),
        result,
        notes: text("notes"),
        inspectors: text("inspectors")
            .split([',', '，', '、', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let files: Vec<inspection::AttachmentFile> = form
        .files
        .iter()
        .map(|f| inspection::AttachmentFile {
            name: f.name.clone(),
            bytes: f.bytes.clone(),
        })
        .collect();
    let recorded = inspection::record_inspection(
        app.store.as_ref(),
        &settings.attachments_dir,
        &settings.limits,
        &viewer.scope(),
        &input,
        &files,
        &viewer.audit_actor(),
        now,
    )
    .await
    .map_err(refusal)?;
    Ok(Redirect::to(&format!("/inspections/{}", recorded.id)).into_response())
}

pub(crate) struct FileRow {
    pub id: i64,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub stored_at: String,
    pub stored_by: String,
}

#[derive(Template)]
#[template(path = "inspection.html")]
struct DetailPage {
    active: &'static str,
    row: InspectionRow,
    notes: String,
    recorded: String,
    recorded_by: String,
    files: Vec<FileRow>,
    may_download: bool,
}

/// `GET /inspections/{id}`.
pub(crate) async fn detail(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let id = InspectionId(view::path_id(&raw, "现场检查")?);
    let scope = viewer.scope();
    let found = app
        .store
        .inspection(scope.clone(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("现场检查 {id}")))?;
    let files = app
        .store
        .inspection_attachments(scope, id)
        .await?
        .into_iter()
        .map(|a| FileRow {
            id: a.id.0,
            name: a.file.file_name,
            media_type: a.file.media_type,
            size: a.file.size,
            sha256: a.file.sha256,
            stored_at: view::time(a.stored_at),
            stored_by: a.stored_by_name,
        })
        .collect();
    render(&DetailPage {
        active: "inspections",
        row: InspectionRow::new(&app, &found),
        notes: found.notes.clone(),
        recorded: view::time(found.created_at),
        recorded_by: found.created_by_name.clone(),
        files,
        may_download: viewer.may(Permission::ViewEvidence) && app.inspections.is_some(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct DownloadForm {
    reason: Option<String>,
}

/// `POST /attachments/{id}/download` (see the module documentation).
pub(crate) async fn download(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<DownloadForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::ViewEvidence)?;
    let id = AttachmentId(view::path_id(&raw, "附件")?);
    let settings = app
        .inspections
        .clone()
        .ok_or_else(|| WebError::Unavailable("本控制台未配置现场检查附件目录".into()))?;
    let reason =
        super::evidence::stated_reason(posted.form.reason.as_deref()).ok_or_else(|| {
            WebError::BadRequest("请填写下载事由：每次下载都记入保管链。".to_string())
        })?;
    let actor = viewer.audit_actor();
    let (attachment, bytes) = inspection::read_attachment(
        app.store.as_ref(),
        &settings.attachments_dir,
        &viewer.scope(),
        id,
        &actor,
        &ReadFor {
            action: CustodyAction::Export,
            reason,
        },
    )
    .await
    .map_err(refusal)?;
    let kind = domain::AttachmentKind::from_media_type(&attachment.file.media_type)
        .map(|k| k.media_type())
        .unwrap_or("application/octet-stream");
    // The stored name is the person's text: only its safe characters go into the header, the
    // full name in RFC 5987's encoded form.
    let ascii: String = attachment
        .file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        view::encode(&attachment.file.file_name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
