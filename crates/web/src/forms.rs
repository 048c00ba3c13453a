//! Forms that change something: [`Posted`] is the one way a handler receives one. It requires
//! a logged-in session, reads at most [`FORM_LIMIT`] bytes, and checks the form's `csrf` field
//! against the session's token (in constant time) before the handler sees any field; a missing,
//! stale or forged token is 403 and nothing changes.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::WebError;
use crate::viewer::{Via, Viewer};

/// The largest form body accepted (bigger ones are answered 413).
pub const FORM_LIMIT: usize = 64 * 1024;

/// A form posted by a logged-in session, its CSRF token checked.
#[derive(Debug)]
pub struct Posted<T> {
    pub viewer: Viewer,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

/// Reads a form body up to the limit.
/// A posted form's fields in order, where a name may repeat (checkboxes, several of a kind).
pub(crate) struct Fields<'a>(pub &'a [(String, String)]);

impl Fields<'_> {
    /// Every value of `name`, in the order posted.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The first value of `name`, or empty.
    pub(crate) fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

pub(crate) async fn form_bytes(req: Request) -> Result<Bytes, WebError> {
    axum::body::to_bytes(req.into_body(), FORM_LIMIT)
        .await
        .map_err(|_| WebError::TooLarge)
}

/// Parses a URL-encoded form; a malformed one is a bad request naming the problem.
pub(crate) fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| WebError::BadRequest(format!("表单字段有误：{e}")))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Posted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let viewer = req
            .extensions()
            .get::<Viewer>()
            .cloned()
            .ok_or(WebError::Unauthenticated)?;
        let body = form_bytes(req).await?;
        let sent = parse_form::<CsrfField>(&body)
            .ok()
            .and_then(|f| f.csrf)
            .unwrap_or_default();
        match viewer.via() {
            Via::Session { csrf, .. } if people::secrets_equal(csrf, &sent) => {}
            _ => return Err(WebError::Csrf),
        }
        let form = parse_form(&body)?;
        Ok(Posted { viewer, form })
    }
}

/// A file of a multipart form.
#[derive(Clone)]
pub struct UploadedFile {
    /// The form field it came in.
    pub field: String,
    /// The name the browser gave it (shown, never used as a path).
    pub name: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadedFile")
            .field("field", &self.field)
            .field("name", &self.name)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The most files one multipart form may carry.
pub const MULTIPART_MAX_FILES: usize = 10;

/// A `multipart/form-data` form posted by a logged-in session: the same checks as [`Posted`]
/// before any file is read. The session is required; the form's first field must be `csrf`
/// with the session's token (the console's forms put it first, and browsers send fields in
/// document order), else 403 before the next field is read. The body is capped at
/// `MULTIPART_MAX_FILES` files of at most `max_file` bytes each plus [`FORM_LIMIT`] of text
/// (413 beyond); a file over `max_file` is refused by its name, with nothing kept.
#[derive(Debug)]
pub struct PostedMultipart {
    pub viewer: Viewer,
    /// Text fields, in order.
    pub fields: Vec<(String, String)>,
    /// Files with a name and content (an empty file input sends neither).
    pub files: Vec<UploadedFile>,
}

/// Why a multipart form was refused after its token held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartRefusal {
    /// A file larger than the limit: its name and the limit.
    FileTooLarge {
        name: String,
        limit: u64,
    },
    TooManyFiles,
}

impl PostedMultipart {
    /// The first value of a text field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Reads the form of `req` (see the type's documentation).
    pub async fn read(
        req: Request,
        max_file: u64,
    ) -> Result<Result<PostedMultipart, MultipartRefusal>, WebError> {
        let viewer = req
            .extensions()
            .get::<Viewer>()
            .cloned()
            .ok_or(WebError::Unauthenticated)?;
        let Via::Session { csrf, .. } = viewer.via() else {
            return Err(WebError::Csrf);
        };
        let csrf = csrf.clone();
        let cap = (max_file as usize)
            .saturating_mul(MULTIPART_MAX_FILES)
            .saturating_add(FORM_LIMIT);
        let req = req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, cap)));
        let mut form = axum::extract::Multipart::from_request(req, &())
            .await
            .map_err(|e| WebError::BadRequest(format!("表单格式有误：{e}")))?;
        let too_large = |e: axum::extract::multipart::MultipartError| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE
                || e.body_text().contains("length limit")
            {
                WebError::TooLarge
            } else {
                WebError::BadRequest(format!("表单格式有误：{}", e.body_text()))
            }
        };
        // The token first: nothing else is read without it.
        let mut first = form
            .next_field()
            .await
            .map_err(too_large)?
            .ok_or(WebError::Csrf)?;
        if first.name() != Some("csrf") || first.file_name().is_some() {
            return Err(WebError::Csrf);
        }
        let mut sent = Vec::new();
        while let Some(chunk) = first.chunk().await.map_err(too_large)? {
            sent.extend_from_slice(&chunk);
            if sent.len() > 1024 {
                return Err(WebError::Csrf);
            }
        }
        if !people::secrets_equal(&csrf, &String::from_utf8_lossy(&sent)) {
            return Err(WebError::Csrf);
        }
        drop(first);
        let (mut fields, mut files, mut text_bytes) = (Vec::new(), Vec::new(), 0usize);
        while let Some(mut field) = form.next_field().await.map_err(too_large)? {
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let mut bytes = Vec::new();
                    while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                        bytes.extend_from_slice(&chunk);
                        if bytes.len() as u64 > max_file {
                            return Ok(Err(MultipartRefusal::FileTooLarge {
                                name: file_name,
                                limit: max_file,
                            }));
                        }
                    }
                    if file_name.is_empty() && bytes.is_empty() {
                        continue;
                    }
                    if files.len() == MULTIPART_MAX_FILES {
                        return Ok(Err(MultipartRefusal::TooManyFiles));
                    }
                    files.push(UploadedFile {
                        field: name,
                        name: file_name,
                        bytes,
                    });
                }
                None => {
                    let mut bytes = Vec::new();
                    while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                        text_bytes += chunk.len();
                        if text_bytes > FORM_LIMIT {
                            return Err(WebError::TooLarge);
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    let value = String::from_utf8(bytes).map_err(|_| {
                        WebError::BadRequest(format!("字段 {name} 不是 UTF-8 文本"))
                    })?;
                    fields.push((name, value));
                }
            }
        }
        Ok(Ok(PostedMultipart {
            viewer,
            fields,
            files,
        }))
    }
}
