//! The console of wangjian (`wangjian serve`): server-rendered pages over the records (askama
//! templates, one small CSS file, no JavaScript) and the JSON API for scripts and other systems
//! (`/api/v1/`, described by its OpenAPI document at `/api/v1/openapi.json`).
//!
//! Owns everything HTTP of the console: routes, request parsing, page rendering, the error page,
//! and the security headers every response carries. It must not know SQL (it talks to
//! [`store::Store`] only), must not write records other than the chain of custody (a view of
//! evidence is logged before it is shown: `pages::evidence`), and must never render captured
//! content as live HTML: captured pages are hostile, so they are shown as escaped text in a
//! `<pre>`, and the Content-Security-Policy forbids scripts altogether.
//!
//! Access: everything but the login form, the stylesheet, the transparency log's publications
//! and the API's document needs a login (a session cookie, or an API token as `Authorization:
//! Bearer`). Every handler gets its [`Scope`](store::Scope) from one place, [`Viewer::scope`]
//! (the user's role: the city, their districts, or their entities), and no handler reads
//! district-owned rows any other way.
//!
//! Evidence is looked up through the fetch id (`/evidence/{fetch_id}`): no file path ever comes
//! from the user, and the stored pointer is checked again before a file is opened.
//!
//! Modules: [`error`] (the one web error type), `viewer` (the scope extractor), `headers`
//! (security headers and request ids), `pages` (HTML, and the JSON twins of the profile, the
//! search and the extraction records), `api` (the v1 JSON API), `capture` (decoding a
//! captured body for display), `view` (labels and formatting shared by the pages).

mod api;
mod capture;
pub mod error;
pub mod exports;
mod forms;
mod headers;
mod pages;
mod record;
pub mod table;
mod view;
mod viewer;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use domain::DistrictTable;
use store::Store;

pub use error::{ApiError, WebError};
pub use viewer::{Viewer, SESSION_COOKIE};

/// Percent-encodes a form or query value (for clients and tests that build forms).
pub fn encode_form_value(value: &str) -> String {
    view::encode(value)
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The records.
    pub store: Arc<dyn Store>,
    /// The directory holding the WARC files; `EvidencePointer::warc_file` is a plain file name
    /// relative to it.
    pub evidence_dir: PathBuf,
    /// The deployment's districts, for names and dashboard columns.
    pub districts: DistrictTable,
    /// The transparency log whose checkpoints and public key the console publishes.
    pub log: Option<LogPublication>,
    /// The search index (`None`: search answers 503).
    pub search: Option<search::SearchIndex>,
    /// Login throttling and session expiry.
    pub people: people::Policy,
    /// Whether cookies are marked `Secure` (the console is served over TLS, by itself or by a
    /// trusted proxy in front of it).
    pub secure_cookies: bool,
}

/// Where the console finds what it publishes about the transparency log.
#[derive(Debug, Clone)]
pub struct LogPublication {
    /// The log directory (its `checkpoints/` hold the signed notes).
    pub dir: PathBuf,
    /// The file holding the verifier key (`name+id+base64`).
    pub public_key_file: PathBuf,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("evidence_dir", &self.evidence_dir)
            .finish_non_exhaustive()
    }
}

/// Shared state as handlers receive it.
pub(crate) type Shared = Arc<AppState>;

/// The console's routes (see the crate docs); every response, including 404s, carries the
/// security headers.
pub fn router(state: AppState) -> Router {
    let shared: Shared = Arc::new(state);
    // Everything a person reads or does: behind a login.
    let protected = Router::new()
        .route("/", get(pages::dashboard::page))
        .route("/entities", get(pages::entities::list))
        .route("/entities/{id}", get(pages::entities::profile))
        .route("/export/entities", get(pages::entities::export_entities))
        .route("/export/sites", get(pages::entities::export_sites))
        .route("/search", get(pages::entities::search_page))
        .route("/discovered", get(pages::entities::discovered))
        .route("/api/entities/{id}", get(pages::entities::profile_json))
        .route("/api/search", get(pages::entities::search_json))
        .route("/sites", get(pages::sites::list))
        .route("/sites/{id}", get(pages::sites::detail))
        .route("/sites/{id}/record", get(pages::record::page))
        .route("/clues/{id}/record", get(pages::record::clue_page))
        .route("/api/clues/{id}/record", get(pages::record::clue_json))
        .route("/findings", get(pages::findings::list))
        .route("/evidence/{fetch_id}", get(pages::evidence::page))
        .route(
            "/evidence/{fetch_id}/screenshot",
            get(pages::evidence::screenshot),
        )
        .route("/api/sites/{id}/record", get(pages::record::json))
        .merge(api::routes())
        .route("/logout", post(pages::login::logout))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            viewer::authenticate,
        ));
    // What anyone may read: the login form, the stylesheet, what the bureau publishes so that
    // evidence can be checked without an account (the log's checkpoints and key), and the API's
    // OpenAPI document (its shape, no data).
    let public = Router::new()
        .route("/login", get(pages::login::page).post(pages::login::submit))
        .route("/transparency", get(pages::transparency::page))
        .route("/transparency/key", get(pages::transparency::key))
        .route("/static/style.css", get(pages::style_css))
        .route(api::OPENAPI_PATH, get(api::openapi));
    protected
        .merge(public)
        .fallback(error::fallback)
        .with_state(shared)
        .layer(axum::middleware::from_fn(viewer::same_origin))
        .layer(axum::middleware::from_fn(headers::security))
}

/// Serves the console on `listener` until the process ends.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_until(state, listener, std::future::pending()).await
}

/// Serves the console until `shutdown` completes, then finishes the requests in flight.
pub async fn serve_until(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "console listening");
    }
    // Connect info gives the custody log the peer address (`Viewer::actor`).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
