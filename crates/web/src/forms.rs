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
