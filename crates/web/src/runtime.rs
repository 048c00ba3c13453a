//! What a running console keeps besides its configuration: the screenshot grants of logged
//! evidence views, the lock that queues the console's own users of the transparency log, and
//! the request latencies `/metrics` shows.
//!
//! **Screenshot grants.** A screenshot is evidence like the record it was taken with, so it is
//! shown only within a logged view: `POST /evidence/{id}/view` appends the custody rows (the
//! response record and its screenshot record), then issues a grant — a random 256-bit token,
//! kept here, never in the database — that names the fetch, the screenshot record, the session
//! that made the view and an expiry ([`SHOT_GRANT_TTL`]). The page's `<img>` asks for
//! `/evidence/{id}/screenshot?view=TOKEN`; that GET writes nothing, and serves the image only
//! for a live grant of the same session and fetch. The image cannot be inlined as a `data:`
//! URL (the CSP allows images from this origin only), and a grant in a URL is safe to show:
//! it is useless to another session, after a few minutes, or for another record. A restart
//! forgets every grant: the person states the reason again.
//!
//! **The log lock.** Opening the transparency log takes an exclusive file lock, so an export
//! and a capture of this console would refuse each other; they queue on [`App::log_lock`]
//! instead. A sweep of another process still holds the file lock, and is reported as such.
//!
//! **Figures kept for a moment.** The dashboard's figures count every finding, clue and case
//! in a scope (a grouping over millions of rows for a province's register), which no person
//! should wait for on every visit. They are kept per scope in a [`ScopeCache`]: a change made
//! through this console ([`App::writes`], counted by [`count_writes`] for every request that
//! is not a read) makes the next visit count again; changes from another process (a sweep, the
//! command line, the portal) show within [`FIGURES_FRESH`], and meanwhile the figures counted
//! last are shown while they are counted again in the background. Figures that took long to
//! count stay fresh ten times as long as they took ([`fresh_for`]): a city of a million
//! entities takes seconds to count (25 s on SQLite for three million findings), and counting it
//! again every 10 s would keep a core busy for as long as anyone looks at the dashboard. The
//! page says when its figures were counted.

use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use domain::FetchId;
use store::Scope;

use crate::AppState;

/// How long a screenshot grant lives after its view was logged.
pub const SHOT_GRANT_TTL: Duration = Duration::from_secs(10 * 60);
/// Grants kept at most; the oldest go first.
const MAX_GRANTS: usize = 10_000;

/// A console at run time: its configuration (through `Deref`) and its runtime state.
pub(crate) struct App {
    state: AppState,
    pub shots: ShotGrants,
    /// Held while an export or a capture of this console has the transparency log open.
    pub log_lock: tokio::sync::Mutex<()>,
    /// Request latencies by route template, for `/metrics`.
    pub http: crate::metrics::HttpMetrics,
    /// When this console was made (`process_start_time_seconds`).
    pub started_at: std::time::SystemTime,
    /// Requests that may have changed records (every method but GET, HEAD and OPTIONS),
    /// counted when they are answered: figures counted before the last one are recounted.
    pub writes: AtomicU64,
    /// The dashboard's figures per scope.
    pub dashboard: ScopeCache<crate::pages::dashboard::Figures>,
}

impl App {
    pub fn new(state: AppState) -> App {
        App {
            state,
            shots: ShotGrants::default(),
            log_lock: tokio::sync::Mutex::new(()),
            http: crate::metrics::HttpMetrics::default(),
            started_at: std::time::SystemTime::now(),
            writes: AtomicU64::new(0),
            dashboard: ScopeCache::default(),
        }
    }
}

/// Counts the requests that may change records ([`App::writes`]), once they are answered.
pub(crate) async fn count_writes(
    State(app): State<crate::Shared>,
    req: Request,
    next: Next,
) -> Response {
    let read = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(req).await;
    if !read {
        app.writes.fetch_add(1, Ordering::SeqCst);
    }
    response
}

/// How long figures counted for a scope are shown as they are; after that they are shown
/// while counted again in the background.
pub const FIGURES_FRESH: Duration = Duration::from_secs(10);

/// How long figures that took `took` to count are shown as they are: [`FIGURES_FRESH`], or ten
/// times as long as they took when that is longer, so that counting again in the background
/// takes at most a tenth of a core.
fn fresh_for(took: Duration) -> Duration {
    FIGURES_FRESH.max(took * 10)
}
/// Scopes whose figures are kept at most (a scope is a role's districts or entities).
const MAX_SCOPES: usize = 64;

/// Figures counted for a scope, with when and after how many of the console's writes.
struct Counted<T> {
    scope: Scope,
    value: Arc<T>,
    /// When the count started (the figures are of that moment or later).
    at: Instant,
    /// How long the count took.
    took: Duration,
    writes: u64,
}

/// Figures per scope (see the module's documentation): counted once, shown again until the
/// console changes a record, fresh for [`FIGURES_FRESH`], then shown while a background task
/// counts them again. One count runs at a time, so a crowd arriving together waits for one.
pub(crate) struct ScopeCache<T> {
    kept: Arc<Mutex<Vec<Counted<T>>>>,
    counting: Arc<tokio::sync::Mutex<()>>,
}

impl<T> Default for ScopeCache<T> {
    fn default() -> Self {
        ScopeCache {
            kept: Arc::new(Mutex::new(Vec::new())),
            counting: Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

/// What the cache holds for a scope.
enum Kept<T> {
    /// Counted after the console's last write, within [`FIGURES_FRESH`].
    Fresh(Arc<T>),
    /// Counted after the console's last write, longer ago.
    Old(Arc<T>),
    /// Nothing, or counted before a write of this console.
    Nothing,
}

impl<T: Send + Sync + 'static> ScopeCache<T> {
    fn kept(&self, scope: &Scope, writes: u64, now: Instant) -> Kept<T> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        match kept.iter().find(|c| &c.scope == scope) {
            Some(c) if c.writes == writes && now.duration_since(c.at) < fresh_for(c.took) => {
                Kept::Fresh(c.value.clone())
            }
            Some(c) if c.writes == writes => Kept::Old(c.value.clone()),
            _ => Kept::Nothing,
        }
    }

    /// Keeps `value`, counted from `at` in `took`, after `writes` writes.
    fn keep(
        kept: &Mutex<Vec<Counted<T>>>,
        scope: Scope,
        value: Arc<T>,
        writes: u64,
        at: Instant,
        took: Duration,
    ) {
        let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|c| c.scope != scope);
        if kept.len() >= MAX_SCOPES {
            kept.remove(0);
        }
        kept.push(Counted {
            scope,
            value,
            at,
            took,
            writes,
        });
    }

    /// The figures of `scope`, counted by `count` when none may be shown.
    pub async fn get<F, Fut, E>(
        &self,
        scope: &Scope,
        writes: &AtomicU64,
        count: F,
    ) -> Result<Arc<T>, E>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        // The writes are read before counting: a write during the count makes it stale.
        let before = writes.load(Ordering::SeqCst);
        match self.kept(scope, before, Instant::now()) {
            Kept::Fresh(v) => return Ok(v),
            Kept::Old(v) => {
                if let Ok(guard) = self.counting.clone().try_lock_owned() {
                    let fut = count();
                    let kept = self.kept.clone();
                    let scope = scope.clone();
                    tokio::spawn(async move {
                        let at = Instant::now();
                        match fut.await {
                            Ok(value) => {
                                Self::keep(&kept, scope, Arc::new(value), before, at, at.elapsed())
                            }
                            Err(e) => tracing::warn!(error = %e, "figures not counted again"),
                        }
                        drop(guard);
                    });
                }
                return Ok(v);
            }
            Kept::Nothing => {}
        }
        let _guard = self.counting.lock().await;
        let before = writes.load(Ordering::SeqCst);
        if let Kept::Fresh(v) = self.kept(scope, before, Instant::now()) {
            return Ok(v);
        }
        let at = Instant::now();
        let value = Arc::new(count().await?);
        Self::keep(
            &self.kept,
            scope.clone(),
            value.clone(),
            before,
            at,
            at.elapsed(),
        );
        Ok(value)
    }
}

impl Deref for App {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.state
    }
}

/// The screenshot record a logged view may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShotGrant {
    pub fetch: FetchId,
    pub warc_file: String,
    pub offset: u64,
    /// The session (its id's hash) whose view was logged.
    pub session: String,
    expires: Instant,
}

/// Live screenshot grants by token.
#[derive(Default)]
pub(crate) struct ShotGrants {
    grants: Mutex<HashMap<String, ShotGrant>>,
}

impl ShotGrants {
    /// Keeps a grant for `session` to see the screenshot record `warc_file`@`offset` of
    /// `fetch` until [`SHOT_GRANT_TTL`] from now; returns its token.
    pub fn issue(
        &self,
        fetch: FetchId,
        warc_file: &str,
        offset: u64,
        session: &str,
    ) -> Result<String, people::PeopleError> {
        self.issue_at(fetch, warc_file, offset, session, Instant::now())
    }

    fn issue_at(
        &self,
        fetch: FetchId,
        warc_file: &str,
        offset: u64,
        session: &str,
        now: Instant,
    ) -> Result<String, people::PeopleError> {
        let token = people::random_token()?;
        let mut grants = self.grants.lock().unwrap_or_else(|e| e.into_inner());
        grants.retain(|_, g| g.expires > now);
        while grants.len() >= MAX_GRANTS {
            let oldest = grants
                .iter()
                .min_by_key(|(_, g)| g.expires)
                .map(|(t, _)| t.clone())
                .expect("not empty");
            grants.remove(&oldest);
        }
        grants.insert(
            token.clone(),
            ShotGrant {
                fetch,
                warc_file: warc_file.to_string(),
                offset,
                session: session.to_string(),
                expires: now + SHOT_GRANT_TTL,
            },
        );
        Ok(token)
    }

    /// The live grant of `token` for `fetch` to `session`, if there is one.
    pub fn find(&self, token: &str, fetch: FetchId, session: &str) -> Option<ShotGrant> {
        self.find_at(token, fetch, session, Instant::now())
    }

    fn find_at(
        &self,
        token: &str,
        fetch: FetchId,
        session: &str,
        now: Instant,
    ) -> Option<ShotGrant> {
        let grants = self.grants.lock().unwrap_or_else(|e| e.into_inner());
        let g = grants.get(token)?;
        (g.expires > now && g.fetch == fetch && people::secrets_equal(&g.session, session))
            .then(|| g.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn figures_are_counted_once_again_after_a_write_and_in_the_background_when_old() {
        let cache: ScopeCache<u64> = ScopeCache::default();
        let writes = AtomicU64::new(0);
        let counted = Arc::new(AtomicU64::new(0));
        let count = || {
            let counted = counted.clone();
            async move { Ok::<_, String>(counted.fetch_add(1, Ordering::SeqCst) + 1) }
        };
        let city = Scope::City;
        let some = Scope::Entities(Arc::from(vec![domain::EntityId(1)]));
        assert_eq!(*cache.get(&city, &writes, count).await.unwrap(), 1);
        assert_eq!(*cache.get(&city, &writes, count).await.unwrap(), 1, "kept");
        assert_eq!(
            *cache.get(&some, &writes, count).await.unwrap(),
            2,
            "per scope"
        );
        // A write of the console: counted again on the next visit.
        writes.fetch_add(1, Ordering::SeqCst);
        assert_eq!(*cache.get(&city, &writes, count).await.unwrap(), 3);
        // Figures older than FIGURES_FRESH are shown once more while counted again.
        let long_ago = Instant::now()
            .checked_sub(FIGURES_FRESH * 2)
            .expect("the clock runs");
        ScopeCache::keep(
            &cache.kept,
            city.clone(),
            Arc::new(10),
            1,
            long_ago,
            Duration::ZERO,
        );
        assert_eq!(*cache.get(&city, &writes, count).await.unwrap(), 10);
        drop(cache.counting.lock().await);
        assert_eq!(*cache.get(&city, &writes, count).await.unwrap(), 4);
        assert_eq!(counted.load(Ordering::SeqCst), 4);
        // Figures that took long to count stay fresh ten times as long as they took.
        assert_eq!(fresh_for(Duration::from_millis(300)), FIGURES_FRESH);
        assert_eq!(fresh_for(Duration::from_secs(25)), Duration::from_secs(250));
        let slow = Instant::now()
            .checked_sub(FIGURES_FRESH * 3)
            .expect("the clock runs");
        ScopeCache::keep(
            &cache.kept,
            city.clone(),
            Arc::new(20),
            1,
            slow,
            FIGURES_FRESH,
        );
        assert_eq!(*cache.get(&city, &writes, count).await.unwrap(), 20);
        drop(cache.counting.lock().await);
        assert_eq!(
            counted.load(Ordering::SeqCst),
            4,
            "no count in the background"
        );
        // A failed count is an error, and nothing is kept.
        writes.fetch_add(1, Ordering::SeqCst);
        let failing = || async { Err::<u64, _>("down".to_string()) };
        assert!(cache.get(&city, &writes, failing).await.is_err());
        assert_eq!(*cache.get(&city, &writes, count).await.unwrap(), 5);
    }

    #[test]
    fn a_grant_serves_its_session_and_fetch_until_it_expires() {
        let grants = ShotGrants::default();
        let t0 = Instant::now();
        let token = grants
            .issue_at(FetchId(7), "a.warc.gz", 120, "session-a", t0)
            .unwrap();
        let found = grants.find_at(&token, FetchId(7), "session-a", t0).unwrap();
        assert_eq!((found.warc_file.as_str(), found.offset), ("a.warc.gz", 120));
        assert!(grants
            .find_at(&token, FetchId(8), "session-a", t0)
            .is_none());
        assert!(grants
            .find_at(&token, FetchId(7), "session-b", t0)
            .is_none());
        assert!(grants
            .find_at("forged", FetchId(7), "session-a", t0)
            .is_none());
        let later = t0 + SHOT_GRANT_TTL;
        assert!(grants
            .find_at(&token, FetchId(7), "session-a", later)
            .is_none());
        // Expired grants are dropped when the next one is issued.
        grants
            .issue_at(FetchId(9), "b.warc.gz", 0, "session-a", later)
            .unwrap();
        assert_eq!(grants.grants.lock().unwrap().len(), 1);
    }
}
