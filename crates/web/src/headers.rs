//! Headers every response carries, and the request id that ties a logged error to the page a
//! user saw. Owns the Content-Security-Policy: no scripts, no inline styles, no frames, forms
//! only to this origin (a handler may set a stricter-in-kind policy of its own: a casework
//! document allows its inline styles and nothing else, `pages::documents`), and `Cache-Control: no-store` on evidence and API responses (records
//! and their custody trail must not linger in a browser's or a proxy's cache). Nothing here
//! looks at what a handler returned beyond adding headers.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The policy of every response. Captured pages are hostile; even if one slipped through
/// escaping, the browser would run none of its scripts, load none of its resources and post
/// none of its forms.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

tokio::task_local! {
    static REQUEST_ID: u64;
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The id of the request being handled, when called inside one.
pub(crate) fn request_id() -> Option<u64> {
    REQUEST_ID.try_with(|id| *id).ok()
}

/// Whether responses to `path` must not be stored by any cache: the evidence views
/// (`/evidence/...`, screenshots included) and the whole API (`/api/...`), errors included.
pub(crate) fn no_store(path: &str) -> bool {
    path.starts_with("/evidence/") || path == "/api" || path.starts_with("/api/")
}

/// Middleware: numbers the request, runs it inside a tracing span and the id's task-local, and
/// adds the security headers, `Cache-Control: no-store` where [`no_store`] says so, and
/// `X-Request-Id` to the response.
pub(crate) async fn security(req: Request, next: Next) -> Response {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let no_store = no_store(req.uri().path());
    let span = tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path());
    let mut res = REQUEST_ID.scope(id, next.run(req)).instrument(span).await;
    let h = res.headers_mut();
    // A handler may set a policy of its own (a casework document's inline styles); every
    // other response gets the strict one.
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if no_store {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert("x-request-id", HeaderValue::from(id));
    res
}
