//! The console of wangjian (`wangjian serve`): server-rendered pages over the records (askama
//! templates, one small CSS file, no JavaScript) and the JSON API for scripts and other systems
//! (`/api/v1/`, described by its OpenAPI document at `/api/v1/openapi.json`).
//!
//! Owns everything HTTP of the console: routes, request parsing, page rendering, the error page,
//! and the security headers every response carries. It must not know SQL (it talks to
//! [`store::Store`] only), must not write records except through store methods, posted forms
//! and the crate functions the command line uses (a view of evidence is logged before it is
//! shown: `pages::evidence`), and must never render captured
//! content as live HTML: captured pages are hostile, so they are shown as escaped text in a
//! `<pre>`, and the Content-Security-Policy forbids scripts altogether.
//!
//! Transport (`transport`): plain HTTP on loopback only; beyond it TLS or a trusted reverse
//! proxy, a `Host` allow-list (421 otherwise), header-read and request timeouts and a
//! connection limit. [`AppState::transport`] tells handlers whether the browser speaks https.
//!
//! Access: every route but the login page, the stylesheet, the transparency log's publications
//! and the API's OpenAPI document is behind a login (`viewer`: a session cookie, or an API
//! token as `Authorization: Bearer`). Every handler gets its [`Scope`](store::Scope)
//! from one place, [`Viewer::scope`] (the logged-in user's), and passes it to every store read
//! of district-owned rows; no handler builds a scope itself. An object outside the viewer's
//! scope answers 404 exactly like a missing one, and search re-checks every hit in the store.
//!
//! Evidence is looked up through the fetch id (`/evidence/{fetch_id}`): no file path ever comes
//! from the user, and the stored pointer is checked again before a file is opened.
//!
//! A GET (or HEAD) never writes: evidence views, exports and captures are forms posted with a
//! stated reason (`pages::evidence`, `pages::packages`, `pages::captures`); the evidence they
//! act on goes through the same crate functions as the command line (`sweep::export`,
//! `sweep::capture`).
//!
//! Operators (`ops`, `metrics`): `/healthz` and `/readyz` answer without a login (no personal
//! data, no write); `/metrics` (Prometheus' text format) answers the holder of the configured
//! metrics token only. The same probes are on the portal's router.
//!
//! Modules: [`error`] (the one web error type), `viewer` (the scope extractor), `forms` (posted
//! forms), `headers` (security headers, `Cache-Control`, request ids), [`transport`] (the accept
//! loop, TLS, host allow-list, timeouts, connection limit), `pages` (HTML, and the JSON twins of the profile, the search and the extraction records),
//! `api` (the v1 JSON API and its OpenAPI document),
//! `casework_words` (every refused casework step in Chinese, with its status),
//! `sampling_words` (every refused random-inspection step likewise),
//! `capture` (decoding a captured body for display), `view` (labels and formatting shared by
//! the pages), `runtime` (screenshot grants of logged views, the transparency log's lock).

mod api;
mod badge_words;
mod capture;
mod casework_words;
pub mod chart;
mod complaint_words;
mod credit_list_words;
mod credit_words;
mod discovery_words;
pub mod error;
pub mod exports;
mod forms;
mod headers;
pub mod metrics;
pub mod ops;
mod pages;
pub mod portal;
mod portal_words;
mod record;
pub mod report;
mod runtime;
mod sampling_words;
pub mod table;
pub mod transport;
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
pub use pages::captures::fail_interrupted as fail_interrupted_captures;
pub use portal::{PortalBadges, PortalSettings, PortalState};
pub use transport::{Limits, Tls, Transport};
pub use viewer::{Viewer, SESSION_COOKIE};

/// Percent-encodes a form or query value (for clients and tests that build forms).
pub fn encode_form_value(value: &str) -> String {
    view::encode(value)
}

/// What every handler can reach (the configuration of a console; its runtime state is
/// `runtime::App`'s).
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
    /// How the console is served (TLS, trusted proxy, allowed hosts, limits);
    /// [`Transport::https`] says whether cookies must carry `Secure`.
    pub transport: Transport,
    /// Where evidence exports (`POST /exports`) find the evidence, the log and the keys
    /// (`None`: exports answer 503).
    pub export: Option<sweep::export::ExportConfig>,
    /// How confirmed evidence captures are taken (`None`: capture requests can be listed, not
    /// made or confirmed).
    pub capture: Option<CaptureSettings>,
    /// The scheduler `serve` runs beside the console (`None`: none runs; `/schedule` shows
    /// only a sweep running in another process).
    pub schedule: Option<schedule::Scheduler>,
    /// Where field inspections' attachments are kept and how large one may be (`None`:
    /// inspections can be listed, not recorded, and their files not downloaded).
    pub inspections: Option<InspectionSettings>,
    /// The time limits of casework (the `[casework]` table): deadlines the console's clue and
    /// case forms set are counted with them.
    pub casework: casework::Limits,
    /// How casework documents are made (`None`: documents answer 503).
    pub documents: Option<DocumentsSettings>,
    /// How license badges are issued (`None`: badges can be listed, refused, suspended and
    /// revoked, not issued).
    pub badges: Option<BadgeConsole>,
    /// The operator's endpoints: who may read `/metrics`, what `/readyz` requires writable.
    pub ops: OpsSettings,
    /// The object store finished WARC files are uploaded to (`[objects]`; `None`: the
    /// `/objects` page says none is configured and `/api/v1/objects` answers 503).
    pub objects: Option<objects::Objects>,
}

/// What the console's operator endpoints need ([`ops`], [`metrics`]).
#[derive(Debug, Clone, Default)]
pub struct OpsSettings {
    /// The bearer token `/metrics` asks for (`[console] metrics_token`); `None`: `/metrics`
    /// is off (404).
    pub metrics_token: Option<metrics::MetricsToken>,
    /// The directories `/readyz` requires writable (the data directory, its evidence and
    /// log); none: no directory is checked.
    pub writable: Vec<PathBuf>,
}

/// What the console issues license badges (亮照) with: the data directory's badge signing key
/// and the settings snippets are made with (the portal's public URL).
#[derive(Clone)]
pub struct BadgeConsole {
    pub key: domain::badge::SigningKey,
    pub settings: badge::BadgeSettings,
}

/// Where the console keeps and finds field inspections' photos and scans.
#[derive(Debug, Clone)]
pub struct InspectionSettings {
    /// The data directory's `attachments/` (bytes under their SHA-256).
    pub attachments_dir: PathBuf,
    pub limits: casework::inspection::AttachmentLimits,
}

/// How the console makes a case's documents: the data directory's templates, the issuing
/// bureau and numbering, and the browser that prints (or why there is none).
#[derive(Debug, Clone)]
pub struct DocumentsSettings {
    pub templates: documents::Templates,
    pub settings: documents::DocumentSettings,
    pub browser: Result<crawl::browser::BrowserConfig, String>,
}

/// How the console takes an evidence capture: the sweep's settings (crawler, evidence and log
/// directories, TSA) and the browser for the screenshot, or why there is none.
#[derive(Debug, Clone)]
pub struct CaptureSettings {
    pub sweep: sweep::SweepConfig,
    pub browser: Result<crawl::browser::BrowserConfig, String>,
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
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// Shared state as handlers receive it (the configuration through `Deref`).
pub(crate) type Shared = Arc<runtime::App>;

/// The console's routes (see the crate docs); every response, including 404s, carries the
/// security headers.
pub fn router(state: AppState) -> Router {
    let shared: Shared = Arc::new(runtime::App::new(state));
    // Everything a person reads or does: behind a login.
    let protected = Router::new()
        .route("/", get(pages::dashboard::page))
        .route("/entities", get(pages::entities::list))
        .route("/entities/{id}", get(pages::entities::profile))
        .route("/export/entities", get(pages::entities::export_entities))
        .route("/export/sites", get(pages::entities::export_sites))
        .route("/search", get(pages::entities::search_page))
        .route("/discovered", get(pages::discovered::discovered))
        .route(
            "/export/discovered",
            get(pages::discovered::export_discovered),
        )
        .route(
            "/discovered/from-filings",
            post(pages::discovered::from_filings),
        )
        .route("/discovered/ct-poll", post(pages::discovered::ct_poll))
        .route("/discovered/{id}/confirm", post(pages::discovered::confirm))
        .route("/discovered/{id}/reject", post(pages::discovered::reject))
        .route("/api/entities/{id}", get(pages::entities::profile_json))
        .route("/api/search", get(pages::entities::search_json))
        .route("/sites", get(pages::sites::list))
        .route("/sites/{id}", get(pages::sites::detail))
        .route("/sites/{id}/record", get(pages::record::page))
        .route("/clues", get(pages::clues::list).post(pages::clues::create))
        .route("/export/clues", get(pages::clues::export))
        .route("/clues/{id}", get(pages::clues::page))
        .route("/clues/{id}/dispatch", post(pages::clues::dispatch))
        .route("/clues/{id}/feedback", post(pages::clues::feedback))
        .route("/clues/{id}/extend", post(pages::clues::extend))
        .route("/clues/{id}/case", post(pages::clues::open_case))
        .route("/clues/{id}/record", get(pages::record::clue_page))
        .route("/complaints", get(pages::complaints::list))
        .route("/export/complaints", get(pages::complaints::export))
        .route("/complaints/{id}", get(pages::complaints::page))
        .route("/complaints/{id}/accept", post(pages::complaints::accept))
        .route("/complaints/{id}/refuse", post(pages::complaints::refuse))
        .route("/complaints/{id}/mediate", post(pages::complaints::mediate))
        .route(
            "/complaints/{id}/mediation",
            post(pages::complaints::end_mediation),
        )
        .route("/complaints/{id}/verify", post(pages::complaints::verify))
        .route("/complaints/{id}/link", post(pages::complaints::link_to))
        .route("/complaints/{id}/close", post(pages::complaints::close))
        .route(
            "/complaints/{id}/dispatch",
            post(pages::complaints::dispatch),
        )
        .route("/cases", get(pages::cases::list))
        .route("/export/cases", get(pages::cases::export))
        .route("/cases/{id}", get(pages::cases::page))
        .route("/cases/{id}/advance", post(pages::cases::advance))
        .route("/cases/{id}/officer", post(pages::cases::officer))
        .route("/cases/{id}/outcome", post(pages::cases::outcome))
        .route("/cases/{id}/extend", post(pages::cases::extend))
        .route("/cases/{id}/reopen", post(pages::cases::reopen))
        .route("/outcomes/{id}/unlist", post(pages::cases::unlist))
        .route("/api/clues/{id}/record", get(pages::record::clue_json))
        .route("/findings", get(pages::findings::list))
        .route("/export/findings", get(pages::findings::export))
        .route("/findings/{id}", get(pages::triage::page))
        .route("/findings/{id}/triage", post(pages::triage::submit))
        .route("/rules", get(pages::triage::rules))
        .route("/evidence/{fetch_id}", get(pages::evidence::page))
        .route("/evidence/{fetch_id}/view", post(pages::evidence::view))
        .route(
            "/evidence/{fetch_id}/screenshot",
            get(pages::evidence::screenshot),
        )
        .route(
            "/exports",
            get(pages::packages::page).post(pages::packages::export),
        )
        .route("/exports/replay", get(pages::packages::replay_help))
        .route(
            "/captures",
            get(pages::captures::list).post(pages::captures::request),
        )
        .route("/captures/{id}", get(pages::captures::detail))
        .route("/captures/{id}/confirm", post(pages::captures::confirm))
        .route("/captures/{id}/cancel", post(pages::captures::cancel))
        .route(
            "/inspections",
            get(pages::inspections::list)
                .post(pages::inspections::create)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/export/inspections", get(pages::inspections::export))
        .route("/inspections/new", get(pages::inspections::new_form))
        .route("/inspections/{id}", get(pages::inspections::detail))
        .route(
            "/attachments/{id}/download",
            post(pages::inspections::download),
        )
        .route("/cases/{id}/documents/{kind}", post(pages::documents::make))
        .route("/api/sites/{id}/record", get(pages::record::json))
        .route(
            "/campaigns",
            get(pages::campaigns::list).post(pages::campaigns::create),
        )
        .route("/campaigns/{id}", get(pages::campaigns::detail))
        .route("/campaigns/{id}/records", get(pages::campaigns::records))
        .route("/campaigns/{id}/close", post(pages::campaigns::close))
        .route("/reports", get(pages::reports::page))
        .route("/reports/records", get(pages::reports::records))
        .route("/reports/export", get(pages::reports::export))
        .route(
            "/sampling",
            get(pages::sampling::list).post(pages::sampling::create),
        )
        .route("/sampling/plans/{id}", get(pages::sampling::plan))
        .route("/sampling/plans/{id}/draw", post(pages::sampling::draw))
        .route("/sampling/plans/{id}/close", post(pages::sampling::close))
        .route("/sampling/draws/{id}", get(pages::sampling::draw_detail))
        .route("/sampling/draws/{id}/result", post(pages::sampling::result))
        .route(
            "/credit/lists",
            get(pages::credit_lists::lists).post(pages::credit_lists::add_listing),
        )
        .route("/export/credit-listings", get(pages::credit_lists::export))
        .route("/credit/listings/{id}", get(pages::credit_lists::listing))
        .route(
            "/credit/listings/{id}/remove",
            post(pages::credit_lists::remove),
        )
        .route(
            "/credit/listings/{id}/repair",
            post(pages::credit_lists::apply),
        )
        .route(
            "/credit/listings/{id}/decide",
            post(pages::credit_lists::decide),
        )
        .route(
            "/credit/commitments",
            get(pages::credit_lists::commitments_page).post(pages::credit_lists::add_commitment),
        )
        .route(
            "/credit/commitments/{id}/break",
            post(pages::credit_lists::break_commitment),
        )
        .route(
            "/evaluations",
            get(pages::credit_lists::evaluations_page).post(pages::credit_lists::add_evaluation),
        )
        .route(
            "/entities/{id}/public",
            get(pages::credit_lists::public_preview),
        )
        .route(
            "/portal/notices",
            get(pages::portal_admin::page).post(pages::portal_admin::publish),
        )
        .route(
            "/portal/notices/withdraw",
            post(pages::portal_admin::withdraw),
        )
        .route("/portal/model-sites", post(pages::portal_admin::designate))
        .route(
            "/portal/model-sites/remove",
            post(pages::portal_admin::remove),
        )
        .route("/badges", get(pages::badges::list))
        .route("/export/badges", get(pages::badges::export))
        .route("/badges/{id}", get(pages::badges::page))
        .route("/badges/{id}/issue", post(pages::badges::issue))
        .route("/badges/{id}/refuse", post(pages::badges::refuse))
        .route("/badges/{id}/suspend", post(pages::badges::suspend))
        .route("/badges/{id}/revoke", post(pages::badges::revoke))
        .route("/badges/{id}/reinstate", post(pages::badges::reinstate))
        .route("/schedule", get(pages::schedule::page))
        .route("/objects", get(pages::objects::page))
        .route("/objects/upload", post(pages::objects::upload))
        .route("/credit", get(pages::credit::page))
        .route("/credit/load", post(pages::credit::load))
        .route("/credit/rescore", post(pages::credit::rescore_all))
        .merge(api::routes())
        .route("/logout", post(pages::login::logout))
        .route("/users", get(pages::users::list).post(pages::users::add))
        .route("/users/{id}", get(pages::users::page))
        .route("/users/{id}/disable", post(pages::users::disable))
        .route("/users/{id}/enable", post(pages::users::enable))
        .route("/users/{id}/password", post(pages::users::password))
        .route("/users/{id}/role", post(pages::users::role))
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
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            viewer::identify,
        ))
        .route("/static/style.css", get(pages::style_css))
        .route("/api/v1/openapi.json", get(api::openapi));
    // What an operator's machines ask: liveness and readiness probes (no login, no personal
    // data), and the metrics for the holder of the metrics token (never a session).
    let operator = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(metrics::metrics));
    protected
        .merge(public)
        .merge(operator)
        .fallback(error::fallback)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            runtime::count_writes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            metrics::observe,
        ))
        .with_state(shared)
        .layer(axum::middleware::from_fn(viewer::same_origin))
        .layer(axum::middleware::from_fn(headers::security))
}

/// Serves the console on `listener` until the process ends.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_until(state, listener, std::future::pending()).await
}

/// Serves the console until `shutdown` completes, then finishes the requests in flight. The
/// transport is `state.transport` (see [`transport`]): a listener beyond loopback without TLS
/// or a trusted proxy is refused (`PermissionDenied`, the source an
/// [`ExposureRefusal`](transport::ExposureRefusal)); handlers get the peer address as
/// `ConnectInfo<SocketAddr>` (the custody log's `Viewer::actor`).
pub async fn serve_until(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // A capture cut off by the last stop is failed, never left "running".
    match fail_interrupted_captures(state.store.as_ref()).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            n,
            "evidence captures interrupted by the last stop marked failed"
        ),
        Err(e) => tracing::error!(error = %e, "cannot close interrupted evidence captures"),
    }
    let transport = state.transport.clone();
    transport::serve(
        "console",
        router(state),
        transport::console_refusals(),
        &transport,
        listener,
        shutdown,
    )
    .await
}

/// The public portal's routes (see [`portal`]): no console route among them.
pub fn portal_router(state: PortalState) -> Router {
    portal::router(portal::Portal::new(state))
}

/// Serves the public portal until `shutdown` completes, with the console's transport rules
/// (`state.transport`: plain HTTP on loopback only, TLS or a trusted proxy beyond it, the
/// `Host` allow-list, the timeouts and connection limit).
pub async fn serve_portal_until(
    state: PortalState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    portal::serve_until(state, listener, shutdown).await
}
