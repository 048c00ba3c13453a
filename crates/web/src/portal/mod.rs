//! The public portal (`wangjian serve --public-addr`, `wangjian portal`): a site for the
//! public, separate from the console. Its own router holds no console route and no login; its
//! pages read only what is public (published notices, the public credit view, commitments,
//! model sites) and never a district-owned row in a district's scope or personal data.
//! Server-rendered without any script, Simplified Chinese first with English (`?lang=en`,
//! [`Lang`]), its own stylesheet (`/static/portal.css`), the console's strict security headers.
//!
//! - [`PortalState`] is the portal's configuration, [`Portal`] that plus its runtime (the
//!   forms' guard, the visit counter); handlers take `State<Arc<Portal>>` and a [`Lang`].
//! - Public forms are read through [`guard::PublicForm`] (rate limit, size cap, challenge).
//! - Every response is counted per route pattern and day ([`visits`]), nothing about the
//!   visitor kept.
//! - Errors are [`PortalError`]s, rendered as the portal's own page in the request's language.
//! - `/healthz` and `/readyz` answer an operator's probes ([`crate::ops`]), not counted as
//!   visits.
//!
//! Feature pages plug in as one `merge` each: `badge` and `complaints`.

mod badge;
mod complaints;
mod error;
pub mod guard;
mod lang;
mod public;
pub mod visits;

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Extension, Request};
use axum::http::{header, Uri};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::DistrictTable;
use store::Store;

pub use error::PortalError;
pub use guard::{Challenge, GuardSettings, PublicForm};
pub use lang::Lang;

use crate::transport::{self, Refusal, Transport};

/// What the portal's handlers can reach (its configuration; the runtime is [`Portal`]'s).
#[derive(Clone)]
pub struct PortalState {
    /// The records (read for what is public only).
    pub store: Arc<dyn Store>,
    /// The deployment's districts, for names.
    pub districts: DistrictTable,
    /// How the portal is served (TLS, trusted proxy, allowed hosts, limits).
    pub transport: Transport,
    /// The `[portal]` settings.
    pub settings: PortalSettings,
    /// The badge pages' key and proofs (`None`: the badge pages answer 503).
    pub badges: Option<PortalBadges>,
}

/// What the portal's badge pages need: the public key badges are verified with, and how
/// proofs reach sites and name servers.
#[derive(Debug, Clone)]
pub struct PortalBadges {
    pub key: domain::badge::VerifyingKey,
    pub settings: ::badge::BadgeSettings,
}

impl std::fmt::Debug for PortalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalState")
            .field("transport", &self.transport)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The portal's settings (the `[portal]` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSettings {
    /// The portal's own base URL as merchants and the public reach it (no trailing slash),
    /// e.g. `https://gs.nanning.example`: links and codes meant to be used from outside.
    pub public_url: String,
    /// The public forms' limits.
    pub guard: GuardSettings,
    /// The time limits complaints are filed with (the `[casework]` table).
    pub complaints: casework::Limits,
}

impl PortalSettings {
    /// The defaults, reached at `public_url`.
    pub fn new(public_url: impl Into<String>) -> PortalSettings {
        PortalSettings {
            public_url: public_url.into().trim_end_matches('/').to_string(),
            guard: GuardSettings::default(),
            complaints: casework::Limits::default(),
        }
    }
}

/// The portal as handlers receive it: the state, plus the forms' guard (rate buckets,
/// challenge key, spent challenges) and the visit counter.
pub struct Portal {
    pub state: PortalState,
    pub(crate) guard: guard::Guard,
    pub(crate) visits: visits::Visits,
}

impl Deref for Portal {
    type Target = PortalState;

    fn deref(&self) -> &PortalState {
        &self.state
    }
}

impl Portal {
    /// A portal with a fresh runtime (a new challenge key: forms served by an earlier one are
    /// refused).
    pub fn new(state: PortalState) -> Arc<Portal> {
        Arc::new(Portal {
            guard: guard::Guard::new(state.settings.guard),
            visits: visits::Visits::default(),
            state,
        })
    }

    /// A challenge for a form page about to be served.
    pub fn challenge(&self) -> Challenge {
        self.guard.challenge()
    }

    /// The visits counted and not yet written.
    pub fn visits(&self) -> &visits::Visits {
        &self.visits
    }

    /// Writes the visits counted so far to the store (added to the stored counts); on a
    /// failure they are kept for the next write.
    pub async fn flush_visits(&self) -> Result<(), store::StoreError> {
        let taken = self.visits.take();
        if taken.is_empty() {
            return Ok(());
        }
        let counts: Vec<store::VisitCount> = taken
            .iter()
            .map(|(day, page, count)| store::VisitCount {
                day: *day,
                page: page.clone(),
                count: *count as i64,
            })
            .collect();
        match self.store.add_portal_visits(&counts).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.visits.restore(taken);
                Err(e)
            }
        }
    }
}

/// How often the visit counts are written.
pub const FLUSH_VISITS_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The portal's routes for `portal` (see the module's documentation). No console route is
/// among them; unknown paths answer the portal's own 404.
pub fn router(portal: Arc<Portal>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/static/portal.css", get(style_css))
        .route("/healthz", get(crate::ops::healthz))
        .route("/readyz", get(readyz))
        .merge(public::routes())
        .merge(badge::routes())
        .merge(complaints::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(portal.clone())
        .layer(axum::middleware::from_fn_with_state(portal, visits::count))
        .layer(axum::middleware::from_fn(context))
        .layer(axum::middleware::from_fn(crate::headers::security))
}

/// `GET /readyz` of the portal: its database and migrations (it writes no file).
async fn readyz(axum::extract::State(portal): axum::extract::State<Arc<Portal>>) -> Response {
    crate::ops::ready_response(&crate::ops::readiness(portal.store.as_ref(), &[]).await)
}

/// Serves the portal of `state` on `listener` until `shutdown` completes, then finishes the
/// requests in flight; the transport's rules are the console's (`transport`): plain HTTP on
/// loopback only, TLS or a trusted proxy beyond it, the `Host` allow-list, the timeouts.
pub async fn serve_until(
    state: PortalState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let transport = state.transport.clone();
    let portal = Portal::new(state);
    let flusher = tokio::spawn({
        let portal = portal.clone();
        async move {
            let mut tick = tokio::time::interval(FLUSH_VISITS_EVERY);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = portal.flush_visits().await {
                    tracing::warn!(error = %e, "portal visit counts not written; retrying later");
                }
            }
        }
    });
    let served = transport::serve(
        "portal",
        router(portal.clone()),
        refusals(),
        &transport,
        listener,
        shutdown,
    )
    .await;
    flusher.abort();
    if let Err(e) = portal.flush_visits().await {
        tracing::error!(error = %e, "portal visit counts lost at shutdown");
    }
    served
}

/// What the request being handled is: its language and its address without `lang` (for the
/// language switch and the error page).
#[derive(Debug, Clone)]
struct PageContext {
    lang: Lang,
    here: String,
}

tokio::task_local! {
    static PAGE: PageContext;
}

/// The language of the request being handled (Chinese outside one).
pub(crate) fn current_lang() -> Lang {
    PAGE.try_with(|p| p.lang).unwrap_or_default()
}

/// The address of the page being rendered in the other language (the language switch).
pub fn switch_href() -> String {
    PAGE.try_with(|p| p.lang.other().href(&p.here))
        .unwrap_or_else(|_| "/".to_string())
}

/// Middleware: runs the request inside its [`PageContext`].
async fn context(req: Request, next: Next) -> Response {
    let uri = req.uri();
    // A path the language switch may link to: "//host…" would leave the site.
    let path = uri.path();
    let here = if path.starts_with("//") || path.starts_with("/\\") || !path.starts_with('/') {
        "/".to_string()
    } else {
        lang::without_lang(path, uri.query())
    };
    let page = PageContext {
        lang: Lang::from_query(uri.query()),
        here,
    };
    PAGE.scope(page, next.run(req)).await
}

/// The portal's refusal router for the transport (a host not allowed, a handler out of time).
fn refusals() -> Router {
    Router::new()
        .fallback(refused)
        .layer(axum::middleware::from_fn(context))
        .layer(axum::middleware::from_fn(crate::headers::security))
}

async fn refused(Extension(refusal): Extension<Refusal>) -> PortalError {
    match refusal {
        Refusal::Misdirected(host) => PortalError::Misdirected(host.chars().take(100).collect()),
        Refusal::NoHost | Refusal::SeveralHosts => PortalError::NoHost,
        Refusal::TimedOut(limit) => PortalError::TimedOut(limit.as_secs_f64()),
    }
}

async fn not_found(_uri: Uri) -> PortalError {
    PortalError::NotFound
}

async fn method_not_allowed() -> PortalError {
    PortalError::MethodNotAllowed
}

/// Renders a portal page.
pub(crate) fn render(page: &impl Template) -> Result<Html<String>, PortalError> {
    Ok(Html(page.render()?))
}

const STYLE: &str = include_str!("../../static/portal.css");

/// `/static/portal.css`, compiled into the binary.
async fn style_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    lang: Lang,
}

/// `/`: what the portal offers.
async fn home(lang: Lang) -> Result<Html<String>, PortalError> {
    render(&HomePage { lang })
}
