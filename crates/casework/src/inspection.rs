//! Field inspections (现场检查): an inspector's record of an on-site check of an entity —
//! who, when, where, the result, notes — optionally for a case, with photos and scans attached.
//! The console's form and `wangjian inspection add` both call [`record_inspection`]; downloads
//! of an attachment go through [`read_attachment`].
//!
//! # Attachments
//!
//! Every file is checked before anything is written: its size against
//! [`AttachmentLimits::max_bytes`] (`casework.max_attachment_mb`), its kind by its first bytes
//! (JPEG, PNG, PDF, TIFF, HEIC/HEIF: [`AttachmentKind::sniff`]), and its declared name's
//! extension must name the same kind. The bytes are then kept in the data directory under
//! their SHA-256, `attachments/<first two hex digits>/<hex>` (written to a temporary file,
//! synced, renamed; a file already there with the same bytes is kept), then the inspection and
//! its attachment rows are stored in one transaction, then each file's storing is appended to
//! the chain of custody (action `store`, subject `attachment:<sha256>`). A failure after the
//! files were written leaves no row: such a file is harmless and reused by a later upload of
//! the same bytes. [`read_attachment`] checks the bytes against their SHA-256 again and
//! refuses a changed file; a read that hands the bytes to a person is logged in custody before
//! they are returned.
//!
//! Must not: know HTTP (the console's multipart form and the CLI's paths end here as
//! [`AttachmentFile`]s), or take a file name as a path.

use chrono::{DateTime, Utc};
use domain::{
    AttachmentId, AttachmentKind, CaseId, DistrictCode, EntityId, InspectionResult, Permission,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use store::{
    Actor, Attachment, CustodyAction, CustodySubject, Inspection, NewAttachment, NewCustody,
    NewInspection, Scope, Store, StoreError,
};

/// The default largest attachment, in MiB (`casework.max_attachment_mb`).
pub const DEFAULT_MAX_ATTACHMENT_MB: u64 = 20;

/// How large an attachment may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentLimits {
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
}

impl AttachmentLimits {
    /// A limit of `mb` MiB.
    pub fn from_mb(mb: u64) -> AttachmentLimits {
        AttachmentLimits {
            max_bytes: mb.saturating_mul(1024 * 1024),
        }
    }
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits::from_mb(DEFAULT_MAX_ATTACHMENT_MB)
    }
}

/// What an inspector records (the files come beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionInput {
    pub entity: EntityId,
    /// The case the check was made for (a case of the same entity, in scope).
    pub case: Option<CaseId>,
    /// When the check took place; not after "now".
    pub inspected_at: DateTime<Utc>,
    pub place: String,
    pub result: InspectionResult,
    pub notes: String,
    /// Usernames (`NAME` or `user:NAME`) of the inspectors who were there: at least one.
    pub inspectors: Vec<String>,
}

/// A file to attach: the name it was given (shown, never used as a path) and its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for AttachmentFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentFile")
            .field("name", &self.name)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Why an inspection was not recorded or an attachment not read. Nothing was stored when
/// recording fails before [`InspectionError::Store`].
#[derive(Debug, thiserror::Error)]
pub enum InspectionError {
    #[error("entity {0} is not known (or not in your scope)")]
    EntityNotFound(EntityId),
    #[error("case {0} is not known (or not in your scope)")]
    CaseNotFound(CaseId),
    #[error("case {case} is not a case of entity {entity}")]
    CaseOfOtherEntity { case: CaseId, entity: EntityId },
    #[error("no inspector named")]
    NoInspector,
    #[error("inspector {name:?} is not a user")]
    UnknownInspector { name: String },
    #[error("inspector {name:?} is disabled")]
    InspectorDisabled { name: String },
    #[error("inspector {name:?} has a role that may not inspect")]
    InspectorMayNotInspect { name: String },
    #[error("inspector {name:?} may not act in district {district}")]
    InspectorOutOfDistrict {
        name: String,
        district: DistrictCode,
    },
    #[error("the recorder is not a user")]
    NoRecorder,
    #[error("the inspection time {at} is in the future")]
    InFuture { at: DateTime<Utc> },
    #[error("the place is missing")]
    PlaceMissing,
    #[error("{text:?} is not a time (YYYY-MM-DD HH:MM, Beijing time, or RFC 3339)")]
    BadTime { text: String },
    #[error("attachment {name:?} has no name")]
    FileNameMissing { name: String },
    #[error("attachment {name:?} is {size} bytes, more than the limit of {limit}")]
    FileTooLarge { name: String, size: u64, limit: u64 },
    #[error("attachment {name:?} is not a JPEG, PNG, PDF, TIFF or HEIC/HEIF file")]
    FileTypeNotAllowed { name: String },
    #[error("attachment {name:?} is a {} file, but its name says otherwise", .kind.media_type())]
    FileExtensionMismatch { name: String, kind: AttachmentKind },
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("attachment {0} is not known (or not in your scope)")]
    AttachmentNotFound(AttachmentId),
    #[error("the stored file of attachment {sha256} is missing")]
    FileMissing { sha256: String },
    #[error("the stored file of attachment {sha256} has changed: its bytes no longer match")]
    FileChanged { sha256: String },
    #[error("cannot write the attachment store at {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An attachment checked and ready to store.
#[derive(Debug, Clone)]
struct Checked {
    row: NewAttachment,
    bytes: Vec<u8>,
}

/// Checks one file: a name, the size limit, an allowed kind by its bytes, and an extension
/// that agrees. The name kept is its last path component.
pub fn check_file(
    file: &AttachmentFile,
    limits: &AttachmentLimits,
) -> Result<(AttachmentKind, String), InspectionError> {
    let name = display_name(&file.name);
    if name.is_empty() {
        return Err(InspectionError::FileNameMissing {
            name: file.name.clone(),
        });
    }
    let size = file.bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(InspectionError::FileTooLarge {
            name,
            size,
            limit: limits.max_bytes,
        });
    }
    let kind = AttachmentKind::sniff(&file.bytes)
        .ok_or_else(|| InspectionError::FileTypeNotAllowed { name: name.clone() })?;
    if AttachmentKind::from_file_name(&name) != Some(kind) {
        return Err(InspectionError::FileExtensionMismatch { name, kind });
    }
    Ok((kind, name))
}

/// The name shown for a file: its last path component (either separator), control
/// characters dropped, trimmed.
fn display_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    last.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Reads a file from disk for attaching, refusing one larger than the limit without reading
/// it whole. The name is the file's own.
pub fn read_file(
    path: &Path,
    limits: &AttachmentLimits,
) -> Result<AttachmentFile, InspectionError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let io = |source| InspectionError::ReadFile {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limits.max_bytes {
        return Err(InspectionError::FileTooLarge {
            name,
            size,
            limit: limits.max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limits.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(AttachmentFile { name, bytes })
}

/// Reads the time of an inspection as a person writes it: `YYYY-MM-DD HH:MM[:SS]` (or with a
/// `T`, as an HTML `datetime-local` field sends it) in Beijing time, or an RFC 3339 time with
/// its own offset.
pub fn parse_inspected_at(text: &str) -> Result<DateTime<Utc>, InspectionError> {
    domain::time::parse_shown(text).ok_or_else(|| InspectionError::BadTime {
        text: text.to_string(),
    })
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Where the bytes with this SHA-256 live under the attachment directory.
pub fn attachment_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2]).join(sha256)
}

/// Records an inspection for `by` (a user: the recorder) in `scope`, with `files` attached,
/// at `now`: see the module docs for the order of the checks and writes. Returns the
/// inspection as stored.
#[allow(clippy::too_many_arguments)]
pub async fn record_inspection(
    store: &dyn Store,
    attachments_dir: &Path,
    limits: &AttachmentLimits,
    scope: &Scope,
    input: &InspectionInput,
    files: &[AttachmentFile],
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Inspection, InspectionError> {
    let recorder = by.user.ok_or(InspectionError::NoRecorder)?;
    let entity = store
        .entity(scope.clone(), input.entity)
        .await?
        .ok_or(InspectionError::EntityNotFound(input.entity))?;
    let district = match input.case {
        None => entity.input.district,
        Some(c) => {
            let case = store
                .case_ref(scope.clone(), c)
                .await?
                .ok_or(InspectionError::CaseNotFound(c))?;
            if case.entity_id != Some(entity.id) {
                return Err(InspectionError::CaseOfOtherEntity {
                    case: c,
                    entity: entity.id,
                });
            }
            case.district
        }
    };
    if input.inspected_at > now {
        return Err(InspectionError::InFuture {
            at: input.inspected_at,
        });
    }
    let place = input.place.trim();
    if place.is_empty() {
        return Err(InspectionError::PlaceMissing);
    }
    let officers = check_inspectors(store, &input.inspectors, district, entity.id).await?;
    let mut checked = Vec::with_capacity(files.len());
    for f in files {
        let (kind, name) = check_file(f, limits)?;
        checked.push(Checked {
            row: NewAttachment {
                sha256: sha256_hex(&f.bytes),
                size: f.bytes.len() as i64,
                media_type: kind.media_type().to_string(),
                file_name: name,
            },
            bytes: f.bytes.clone(),
        });
    }
    // Everything is checked: the bytes first, then the rows, then custody.
    for c in &checked {
        write_attachment(attachments_dir, &c.row.sha256, &c.bytes)?;
    }
    let new = NewInspection {
        entity_id: entity.id,
        case_id: input.case,
        inspected_at: input.inspected_at,
        place: place.to_string(),
        result: input.result,
        notes: input.notes.trim().to_string(),
        officers,
        attachments: checked.iter().map(|c| c.row.clone()).collect(),
        created_by: recorder,
    };
    let recorded = store.record_inspection(scope.clone(), &new, by).await?;
    let mut logged: Vec<&str> = Vec::new();
    for c in &checked {
        if logged.contains(&c.row.sha256.as_str()) {
            continue;
        }
        logged.push(&c.row.sha256);
        let subject = CustodySubject::attachment(&c.row.sha256).expect("a SHA-256 in hex");
        store
            .append_custody(&NewCustody::new(
                by.name.clone(),
                CustodyAction::Store,
                &subject,
                format!("现场检查 {} 附件 {}", recorded.id, c.row.file_name),
            ))
            .await?;
    }
    Ok(recorded)
}

/// The inspectors named, as user ids: each an active user whose role may inspect and whose
/// scope holds `district` (and the entity, for a role scoped by entities).
async fn check_inspectors(
    store: &dyn Store,
    names: &[String],
    district: DistrictCode,
    entity: EntityId,
) -> Result<Vec<domain::UserId>, InspectionError> {
    let mut out = Vec::new();
    for name in names {
        let name = name.trim();
        let username = name.strip_prefix("user:").unwrap_or(name);
        if username.is_empty() {
            continue;
        }
        let user = store.user_by_name(username).await?.ok_or_else(|| {
            InspectionError::UnknownInspector {
                name: username.to_string(),
            }
        })?;
        if user.disabled {
            return Err(InspectionError::InspectorDisabled {
                name: user.username,
            });
        }
        // Inspecting is casework: the roles that act on clues and findings may do it.
        if !user.role.may(Permission::Casework) {
            return Err(InspectionError::InspectorMayNotInspect {
                name: user.username,
            });
        }
        if !user.scope().allows(Some(district), Some(entity)) {
            return Err(InspectionError::InspectorOutOfDistrict {
                name: user.username,
                district,
            });
        }
        if !out.contains(&user.id) {
            out.push(user.id);
        }
    }
    if out.is_empty() {
        return Err(InspectionError::NoInspector);
    }
    Ok(out)
}

/// A counter that keeps temporary names of one process apart.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// Keeps `bytes` under their SHA-256: written to a temporary file beside the target, synced,
/// renamed over it, the directory synced. A file already there with these bytes is kept.
fn write_attachment(dir: &Path, sha256: &str, bytes: &[u8]) -> Result<(), InspectionError> {
    let target = attachment_path(dir, sha256);
    if let Ok(existing) = std::fs::read(&target) {
        if sha256_hex(&existing) == sha256 {
            return Ok(());
        }
    }
    let parent = target.parent().expect("a two-level path").to_path_buf();
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InspectionError::Write { path, source }
    };
    std::fs::create_dir_all(&parent).map_err(err(&parent))?;
    let temp = parent.join(format!(
        ".{sha256}.{}.{}.tmp",
        std::process::id(),
        TEMP_SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&temp, &target)?;
        std::fs::File::open(&parent)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(err(&target))
}

/// Why an attachment is read: the custody action logged before its bytes are handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFor {
    /// `View` (shown) or `Export` (downloaded, copied out).
    pub action: CustodyAction,
    /// As the person stated it.
    pub reason: String,
}

/// Reads attachment `id` in `scope`: its bytes, checked against their SHA-256 (a changed or
/// missing file is refused), after logging `purpose` in the chain of custody as `by`.
pub async fn read_attachment(
    store: &dyn Store,
    attachments_dir: &Path,
    scope: &Scope,
    id: AttachmentId,
    by: &Actor,
    purpose: &ReadFor,
) -> Result<(Attachment, Vec<u8>), InspectionError> {
    let attachment = store
        .attachment(scope.clone(), id)
        .await?
        .ok_or(InspectionError::AttachmentNotFound(id))?;
    let sha256 = attachment.file.sha256.clone();
    let subject =
        CustodySubject::attachment(&sha256).ok_or_else(|| InspectionError::FileChanged {
            sha256: sha256.clone(),
        })?;
    let bytes = match std::fs::read(attachment_path(attachments_dir, &sha256)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(InspectionError::FileMissing { sha256 })
        }
        Err(source) => {
            return Err(InspectionError::ReadFile {
                path: attachment_path(attachments_dir, &sha256),
                source,
            })
        }
    };
    if sha256_hex(&bytes) != sha256 {
        return Err(InspectionError::FileChanged { sha256 });
    }
    let reason = match purpose.reason.trim() {
        "" => store::NO_REASON.to_string(),
        r => r.to_string(),
    };
    store
        .append_custody(&NewCustody::new(
            by.name.clone(),
            purpose.action,
            &subject,
            reason,
        ))
        .await?;
    Ok((attachment, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::{DistrictCode, Role, SiteKind, Uscc};
    use std::sync::Arc;
    use store::testing::{Backend, TestDb};
    use store::{CustodyFilter, EntityInput, InspectionFilter, NewUser, User};

    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0photo";
    const PDF: &[u8] = b"%PDF-1.4\n%scan\n";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap()
    }

    fn d(code: &str) -> DistrictCode {
        DistrictCode::parse(code).unwrap()
    }

    fn file(name: &str, bytes: &[u8]) -> AttachmentFile {
        AttachmentFile {
            name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn files_are_checked_by_size_bytes_and_name() {
        let limits = AttachmentLimits { max_bytes: 64 };
        let ok = |name: &str, bytes: &[u8]| check_file(&file(name, bytes), &limits);
        assert_eq!(
            ok("门头.JPG", JPEG).unwrap(),
            (AttachmentKind::Jpeg, "门头.JPG".into())
        );
        assert_eq!(
            ok("C:\\扫描\\执照.pdf", PDF).unwrap(),
            (AttachmentKind::Pdf, "执照.pdf".into())
        );
        assert!(matches!(
            ok("big.jpg", &[JPEG, &[0u8; 64]].concat()),
            Err(InspectionError::FileTooLarge {
                size: 80,
                limit: 64,
                ..
            })
        ));
        assert!(matches!(
            ok("page.jpg", b"<html><script>alert(1)</script>"),
            Err(InspectionError::FileTypeNotAllowed { name }) if name == "page.jpg"
        ));
        assert!(matches!(
            ok("photo.pdf", JPEG),
            Err(InspectionError::FileExtensionMismatch {
                kind: AttachmentKind::Jpeg,
                ..
            })
        ));
        assert!(matches!(
            ok("photo", JPEG),
            Err(InspectionError::FileExtensionMismatch { .. })
        ));
        assert!(matches!(
            ok("dir/", JPEG),
            Err(InspectionError::FileNameMissing { .. })
        ));
    }

    #[test]
    fn times_are_read_in_beijing_time_or_with_their_offset() {
        let want = Utc.with_ymd_and_hms(2024, 3, 1, 2, 30, 0).unwrap();
        for text in [
            "2024-03-01 10:30",
            "2024-03-01T10:30",
            "2024-03-01 10:30:00",
            "2024-03-01T10:30:00+08:00",
            "2024-03-01T02:30:00Z",
        ] {
            assert_eq!(parse_inspected_at(text).unwrap(), want, "{text}");
        }
        for bad in ["", "yesterday", "2024-13-01 10:00", "2024-03-01"] {
            assert!(matches!(
                parse_inspected_at(bad),
                Err(InspectionError::BadTime { .. })
            ));
        }
    }

    #[test]
    fn a_large_file_on_disk_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jpg");
        std::fs::write(&path, [JPEG, &[0u8; 100]].concat()).unwrap();
        assert!(matches!(
            read_file(&path, &AttachmentLimits { max_bytes: 50 }),
            Err(InspectionError::FileTooLarge { size: 116, .. })
        ));
        let read = read_file(&path, &AttachmentLimits::default()).unwrap();
        assert_eq!(read.name, "big.jpg");
        assert_eq!(read.bytes.len(), 116);
        assert_eq!(AttachmentLimits::default().max_bytes, 20 * 1024 * 1024);
    }

    #[test]
    fn bytes_are_kept_under_their_hash_and_identical_files_kept() {
        let dir = tempfile::tempdir().unwrap();
        let sha = sha256_hex(JPEG);
        write_attachment(dir.path(), &sha, JPEG).unwrap();
        let path = attachment_path(dir.path(), &sha);
        assert_eq!(path, dir.path().join(&sha[..2]).join(&sha));
        assert_eq!(std::fs::read(&path).unwrap(), JPEG);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        write_attachment(dir.path(), &sha, JPEG).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified
        );
        // A damaged file under the name is replaced by the right bytes; no temporary is left.
        std::fs::write(&path, b"damaged").unwrap();
        write_attachment(dir.path(), &sha, JPEG).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), JPEG);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(&sha)]);
    }

    struct World {
        _db: TestDb,
        store: Arc<dyn Store>,
        dir: tempfile::TempDir,
        li: User,
        entity: EntityId,
        other: EntityId,
    }

    fn user(name: &str, role: Role, districts: &[&str]) -> NewUser {
        NewUser {
            username: name.into(),
            display_name: name.into(),
            role,
            districts: districts.iter().map(|c| d(c)).collect(),
            entities: vec![],
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        }
    }

    /// Two entities (青秀区, 兴宁区) and inspectors: li and wang of 青秀区, zhao of 兴宁区,
    /// a disabled one and an auditor.
    async fn world() -> World {
        let db = TestDb::new(Backend::Sqlite).await;
        let store = db.open(None).await.unwrap();
        let uscc = |body: &str| Uscc::complete("91450103", body).unwrap().to_string();
        store
            .upsert_entities(
                &[
                    EntityInput::new(
                        &uscc("MA5K0001"),
                        "甲商行",
                        SiteKind::TradingSite,
                        d("450103"),
                    ),
                    EntityInput::new(
                        &uscc("MA5K0002"),
                        "乙商行",
                        SiteKind::TradingSite,
                        d("450102"),
                    ),
                ],
                "test",
            )
            .await
            .unwrap();
        let sys = Actor::system("test");
        let mut made = Vec::new();
        for (name, role, districts) in [
            ("li", Role::Inspector, &["450103"][..]),
            ("wang", Role::Inspector, &["450103"][..]),
            ("zhao", Role::Inspector, &["450102"][..]),
            ("gone", Role::Inspector, &["450103"][..]),
            ("audit", Role::Auditor, &[][..]),
        ] {
            made.push(
                store
                    .create_user(&user(name, role, districts), &sys)
                    .await
                    .unwrap(),
            );
        }
        store
            .change_user(made[3].id, &store::UserChange::Disabled(true), &sys)
            .await
            .unwrap();
        let by_uscc = |u: String| {
            let store = store.clone();
            async move {
                store
                    .entity_by_uscc(Scope::City, &u)
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            }
        };
        let entity = by_uscc(uscc("MA5K0001")).await;
        let other = by_uscc(uscc("MA5K0002")).await;
        World {
            _db: db,
            store,
            dir: tempfile::tempdir().unwrap(),
            li: made.remove(0),
            entity,
            other,
        }
    }

    fn input(w: &World) -> InspectionInput {
        InspectionInput {
            entity: w.entity,
            case: None,
            inspected_at: now() - chrono::Duration::hours(2),
            place: " 南宁市青秀区民族大道1号 ".into(),
            result: InspectionResult::Violation,
            notes: "未亮照经营".into(),
            inspectors: vec!["li".into(), "user:wang".into()],
        }
    }

    async fn record(
        w: &World,
        input: &InspectionInput,
        files: &[AttachmentFile],
    ) -> Result<Inspection, InspectionError> {
        record_inspection(
            w.store.as_ref(),
            w.dir.path(),
            &AttachmentLimits { max_bytes: 1024 },
            &Scope::district(d("450103")),
            input,
            files,
            &Actor::user(&w.li, None),
            now(),
        )
        .await
    }

    async fn nothing_stored(w: &World) {
        let n = w
            .store
            .count_inspections(Scope::City, &InspectionFilter::default())
            .await
            .unwrap();
        assert_eq!(n, 0, "no inspection stored");
        assert!(w
            .store
            .custody(&CustodyFilter::chain())
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn an_inspection_is_recorded_with_its_files_in_custody_and_read_back() {
        let w = world().await;
        let files = [
            file("门头.jpg", JPEG),
            file("执照.pdf", PDF),
            file("again.jpg", JPEG),
        ];
        let got = record(&w, &input(&w), &files).await.unwrap();
        assert_eq!(got.place, "南宁市青秀区民族大道1号");
        assert_eq!(got.attachments, 3);
        assert_eq!(got.district, d("450103"));
        assert_eq!(
            got.officers
                .iter()
                .map(|o| o.username.as_str())
                .collect::<Vec<_>>(),
            ["li", "wang"]
        );
        let rows = w
            .store
            .inspection_attachments(Scope::City, got.id)
            .await
            .unwrap();
        assert_eq!(rows[0].file.media_type, "image/jpeg");
        assert_eq!(rows[1].file.media_type, "application/pdf");
        assert_eq!(rows[0].file.sha256, rows[2].file.sha256);
        // One custody row per distinct file, action `store`.
        let custody = w.store.custody(&CustodyFilter::chain()).await.unwrap();
        assert_eq!(
            custody
                .iter()
                .map(|r| (r.action, r.subject.clone()))
                .collect::<Vec<_>>(),
            [
                (
                    CustodyAction::Store,
                    format!("attachment:{}", sha256_hex(JPEG))
                ),
                (
                    CustodyAction::Store,
                    format!("attachment:{}", sha256_hex(PDF))
                ),
            ]
        );
        assert!(custody.iter().all(|r| r.actor == "user:li"));

        // A download is logged before the bytes are handed out.
        let purpose = ReadFor {
            action: CustodyAction::Export,
            reason: "案卷归档".into(),
        };
        let scope = Scope::district(d("450103"));
        let by = Actor::user(&w.li, None);
        let (row, bytes) = read_attachment(
            w.store.as_ref(),
            w.dir.path(),
            &scope,
            rows[1].id,
            &by,
            &purpose,
        )
        .await
        .unwrap();
        assert_eq!(row, rows[1]);
        assert_eq!(bytes, PDF);
        let last = w.store.custody(&CustodyFilter::chain()).await.unwrap();
        assert_eq!(last.len(), 3);
        assert_eq!(last[2].action, CustodyAction::Export);
        assert_eq!(last[2].reason, "案卷归档");
        // Out of scope: not found, nothing logged.
        let xingning = Scope::district(d("450102"));
        assert!(matches!(
            read_attachment(
                w.store.as_ref(),
                w.dir.path(),
                &xingning,
                rows[1].id,
                &by,
                &purpose
            )
            .await,
            Err(InspectionError::AttachmentNotFound(_))
        ));
        // A changed file is refused, nothing logged.
        std::fs::write(
            attachment_path(w.dir.path(), &sha256_hex(PDF)),
            b"%PDF-1.4 forged",
        )
        .unwrap();
        assert!(matches!(
            read_attachment(
                w.store.as_ref(),
                w.dir.path(),
                &scope,
                rows[1].id,
                &by,
                &purpose
            )
            .await,
            Err(InspectionError::FileChanged { .. })
        ));
        std::fs::remove_file(attachment_path(w.dir.path(), &sha256_hex(JPEG))).unwrap();
        assert!(matches!(
            read_attachment(
                w.store.as_ref(),
                w.dir.path(),
                &scope,
                rows[0].id,
                &by,
                &purpose
            )
            .await,
            Err(InspectionError::FileMissing { .. })
        ));
        assert_eq!(
            w.store
                .custody(&CustodyFilter::chain())
                .await
                .unwrap()
                .len(),
            3
        );
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_changes_nothing() {
        let w = world().await;
        let good = input(&w);
        let refusals: Vec<(InspectionInput, Vec<AttachmentFile>)> = vec![
            (
                InspectionInput {
                    entity: w.other,
                    ..good.clone()
                },
                vec![],
            ),
            (
                InspectionInput {
                    case: Some(CaseId(99)),
                    ..good.clone()
                },
                vec![],
            ),
            (
                InspectionInput {
                    inspectors: vec![],
                    ..good.clone()
                },
                vec![],
            ),
            (
                InspectionInput {
                    inspectors: vec!["nobody".into()],
                    ..good.clone()
                },
                vec![],
            ),
            (
                InspectionInput {
                    inspectors: vec!["gone".into()],
                    ..good.clone()
                },
                vec![],
            ),
            (
                InspectionInput {
                    inspectors: vec!["audit".into()],
                    ..good.clone()
                },
                vec![],
            ),
            (
                InspectionInput {
                    inspectors: vec!["li".into(), "zhao".into()],
                    ..good.clone()
                },
                vec![],
            ),
            (
                InspectionInput {
                    inspected_at: now() + chrono::Duration::minutes(5),
                    ..good.clone()
                },
                vec![],
            ),
            (
                InspectionInput {
                    place: "  ".into(),
                    ..good.clone()
                },
                vec![],
            ),
            (
                good.clone(),
                vec![
                    file("ok.jpg", JPEG),
                    file("big.jpg", &[JPEG, &[0u8; 2000]].concat()),
                ],
            ),
            (
                good.clone(),
                vec![
                    file("ok.jpg", JPEG),
                    file("x.png", b"MZ\x90\0 an executable"),
                ],
            ),
            (good.clone(), vec![file("scan.png", PDF)]),
        ];
        let mut kinds = Vec::new();
        for (input, files) in &refusals {
            let err = record(&w, input, files).await.unwrap_err();
            kinds.push(match err {
                InspectionError::EntityNotFound(_) => "entity",
                InspectionError::CaseNotFound(_) => "case",
                InspectionError::NoInspector => "no inspector",
                InspectionError::UnknownInspector { .. } => "unknown",
                InspectionError::InspectorDisabled { .. } => "disabled",
                InspectionError::InspectorMayNotInspect { .. } => "role",
                InspectionError::InspectorOutOfDistrict { .. } => "district",
                InspectionError::InFuture { .. } => "future",
                InspectionError::PlaceMissing => "place",
                InspectionError::FileTooLarge { ref name, .. } if name == "big.jpg" => "large",
                InspectionError::FileTypeNotAllowed { ref name } if name == "x.png" => "type",
                InspectionError::FileExtensionMismatch { .. } => "extension",
                other => panic!("unexpected {other}"),
            });
        }
        assert_eq!(
            kinds,
            [
                "entity",
                "case",
                "no inspector",
                "unknown",
                "disabled",
                "role",
                "district",
                "future",
                "place",
                "large",
                "type",
                "extension"
            ]
        );
        nothing_stored(&w).await;
        // Not even the good file of a refused upload was written.
        assert!(std::fs::read_dir(w.dir.path()).unwrap().next().is_none());
    }
}
