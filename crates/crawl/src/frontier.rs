//! The per-site frontier: what is still to be fetched, what was seen, and the trap guards.
//!
//! Owns [`Frontier`] (a FIFO queue of [`QueuedUrl`]s, the dedup set, the page budget, depth
//! limit, scope and spider-trap guards), its persistable snapshot [`FrontierState`], the
//! persistence seam [`FrontierStore`] (implemented by `store`, wired in by `sweep`) and the
//! in-memory [`MemoryFrontierStore`] used by default and in tests.
//!
//! Memory is bounded per site: a URL is queued only if it will be fetched, and never more than
//! the remaining page budget is queued, so the queue, the seen set and the guard counters are
//! all bounded by the page budget (plus redirects and retries, which also count against it).
//!
//! It must not fetch, consult robots.txt (the walk checks robots before pushing) or know hosts
//! other than the site's own. Politeness across sites lives in `hosts`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Mutex;

use url::Url;

use crate::links::{dedup_key, in_scope};

/// Why a URL was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum UrlSource {
    /// The seed's start URL.
    Start,
    /// A link of a fetched page.
    Link,
    /// The `Location` of a redirect (does not add depth).
    Redirect,
    /// An entry of the site's sitemap.
    Sitemap,
    /// A URL known from an earlier sweep (it has validators for a conditional GET).
    Known,
    /// Queued again after a 429/503 back-off.
    Retry,
}

/// One URL waiting in the frontier.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueuedUrl {
    /// Canonical URL to fetch (tracking parameters removed, query order kept).
    pub url: String,
    /// Link depth from the start URL.
    pub depth: u32,
    /// Why it was queued.
    pub source: UrlSource,
    /// The sitemap's `<lastmod>` for this URL, as written (W3C datetime).
    pub lastmod: Option<String>,
}

/// A spider-trap guard that refused URLs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum TrapGuard {
    /// The URL is longer than `max_url_len`.
    UrlTooLong,
    /// The path repeats a block of segments three times (`/a/b/a/b/a/b`).
    RepeatedSegments,
    /// The path already had `max_query_variants` distinct queries.
    QueryVariants,
    /// The path's shape (digit runs as `#`, e.g. `/cal/#/#/`) already had `max_urls_per_shape`
    /// URLs: calendars, endless pagination, session ids in paths.
    PathShape,
}

impl fmt::Display for TrapGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrapGuard::UrlTooLong => "URL too long",
            TrapGuard::RepeatedSegments => "repeated path segments",
            TrapGuard::QueryVariants => "too many query variants of one path",
            TrapGuard::PathShape => "too many URLs of one path shape (calendar or pagination trap)",
        })
    }
}

/// How often a trap guard fired on a site, with the first URL it refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrapHit {
    /// The guard.
    pub guard: TrapGuard,
    /// URLs refused by it.
    pub count: usize,
    /// The first URL it refused.
    pub example: String,
}

impl fmt::Display for TrapHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} URLs refused, e.g. {}",
            self.guard, self.count, self.example
        )
    }
}

/// Why [`Frontier::push`] did not queue a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Already queued or fetched (same dedup key).
    Seen,
    /// Another host, or outside the seed's path prefix.
    OutOfScope,
    /// Deeper than `max_depth`.
    TooDeep,
    /// The queue already holds the remaining page budget.
    Budget,
    /// A spider-trap guard fired.
    Trap(TrapGuard),
}

/// Limits of one site's frontier (from [`CrawlConfig`](crate::CrawlConfig)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontierLimits {
    /// Page budget: fetches of pages (retries and redirects included).
    pub max_pages: usize,
    /// Link depth limit.
    pub max_depth: u32,
    /// URL length cap in bytes.
    pub max_url_len: usize,
    /// Distinct queries per path.
    pub max_query_variants: usize,
    /// URLs per path shape.
    pub max_urls_per_shape: usize,
}

/// A persistable snapshot of a site's frontier, so that a killed sweep can resume a site where
/// it stopped. Plain data (URLs as strings) so any store can keep it, e.g. as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrontierState {
    /// Page fetches made so far.
    pub pages: usize,
    /// Still to fetch, in order.
    pub queue: Vec<QueuedUrl>,
    /// Dedup keys of every URL queued so far (fetched or waiting).
    pub seen: Vec<String>,
    /// Guards that fired so far.
    pub traps: Vec<TrapHit>,
}

/// The frontier of one site. See the module documentation for the invariants.
#[derive(Debug)]
pub struct Frontier {
    start: Url,
    scope_prefix: Option<String>,
    limits: FrontierLimits,
    pages: usize,
    queue: VecDeque<QueuedUrl>,
    seen: HashSet<String>,
    query_variants: HashMap<String, usize>,
    shapes: HashMap<String, usize>,
    traps: BTreeMap<TrapGuard, TrapHit>,
}

impl Frontier {
    /// An empty frontier for the site at `start` (not queued: push it with [`UrlSource::Start`]).
    pub fn new(start: Url, scope_prefix: Option<String>, limits: FrontierLimits) -> Self {
        Frontier {
            start,
            scope_prefix,
            limits,
            pages: 0,
            queue: VecDeque::new(),
            seen: HashSet::new(),
            query_variants: HashMap::new(),
            shapes: HashMap::new(),
            traps: BTreeMap::new(),
        }
    }

    /// Rebuilds a frontier from a snapshot (URLs that no longer parse are dropped).
    pub fn from_state(
        start: Url,
        scope_prefix: Option<String>,
        limits: FrontierLimits,
        state: FrontierState,
    ) -> Self {
        let mut f = Frontier::new(start, scope_prefix, limits);
        f.pages = state.pages;
        for key in state.seen {
            if let Ok(u) = Url::parse(&key) {
                f.count(&u);
            }
            f.seen.insert(key);
        }
        f.queue = state
            .queue
            .into_iter()
            .filter(|q| Url::parse(&q.url).is_ok())
            .collect();
        f.traps = state.traps.into_iter().map(|t| (t.guard, t)).collect();
        f
    }

    /// The snapshot to persist.
    pub fn state(&self) -> FrontierState {
        let mut seen: Vec<String> = self.seen.iter().cloned().collect();
        seen.sort();
        FrontierState {
            pages: self.pages,
            queue: self.queue.iter().cloned().collect(),
            seen,
            traps: self.traps(),
        }
    }

    /// Queues `url` unless seen, out of scope, too deep, over budget or a trap.
    pub fn push(
        &mut self,
        url: &Url,
        depth: u32,
        source: UrlSource,
        lastmod: Option<String>,
    ) -> Result<(), Refused> {
        if !in_scope(url, &self.start, self.scope_prefix.as_deref()) {
            return Err(Refused::OutOfScope);
        }
        if depth > self.limits.max_depth {
            return Err(Refused::TooDeep);
        }
        let key = dedup_key(url);
        if self.seen.contains(&key) {
            return Err(Refused::Seen);
        }
        if self.queue.len() >= self.room() {
            return Err(Refused::Budget);
        }
        if source != UrlSource::Start {
            if let Some(guard) = self.trap(url) {
                let hit = self.traps.entry(guard).or_insert_with(|| TrapHit {
                    guard,
                    count: 0,
                    example: url.to_string(),
                });
                hit.count += 1;
                return Err(Refused::Trap(guard));
            }
        }
        self.count(url);
        self.seen.insert(key);
        self.queue.push_back(QueuedUrl {
            url: url.to_string(),
            depth,
            source,
            lastmod,
        });
        Ok(())
    }

    /// Queues `q` again at the front, bypassing dedup (a retry after a back-off).
    pub fn push_retry(&mut self, mut q: QueuedUrl) {
        q.source = UrlSource::Retry;
        self.queue.push_front(q);
    }

    /// The next URL to fetch, if the budget allows one more page.
    pub fn pop(&mut self) -> Option<(Url, QueuedUrl)> {
        while self.pages < self.limits.max_pages {
            let q = self.queue.pop_front()?;
            if let Ok(u) = Url::parse(&q.url) {
                return Some((u, q));
            }
        }
        None
    }

    /// Counts one page fetch against the budget.
    pub fn record_fetch(&mut self) {
        self.pages += 1;
    }

    /// Page fetches made.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// URLs waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many more URLs may be queued (remaining budget).
    pub fn room(&self) -> usize {
        self.limits.max_pages.saturating_sub(self.pages)
    }

    /// Guards that fired, in a stable order.
    pub fn traps(&self) -> Vec<TrapHit> {
        self.traps.values().cloned().collect()
    }

    /// Drops everything still queued (the site is being stopped).
    pub fn clear_queue(&mut self) {
        self.queue.clear();
    }

    fn count(&mut self, url: &Url) {
        if url.query().is_some() {
            *self
                .query_variants
                .entry(url.path().to_owned())
                .or_default() += 1;
        }
        *self.shapes.entry(shape(url.path())).or_default() += 1;
    }

    fn trap(&self, url: &Url) -> Option<TrapGuard> {
        if url.as_str().len() > self.limits.max_url_len {
            return Some(TrapGuard::UrlTooLong);
        }
        if repeated_segments(url.path()) {
            return Some(TrapGuard::RepeatedSegments);
        }
        if url.query().is_some()
            && self.query_variants.get(url.path()).copied().unwrap_or(0)
                >= self.limits.max_query_variants
        {
            return Some(TrapGuard::QueryVariants);
        }
        if self.shapes.get(&shape(url.path())).copied().unwrap_or(0)
            >= self.limits.max_urls_per_shape
        {
            return Some(TrapGuard::PathShape);
        }
        None
    }
}

/// The path with each run of ASCII digits replaced by `#`: `/cal/2026/11/` → `/cal/#/#/`.
pub fn shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_digits = false;
    for c in path.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

/// True when some block of 1 to 8 path segments occurs three times in a row
/// (`/a/b/a/b/a/b`, `/x/x/x`): the mark of relative links that resolve ever deeper.
pub fn repeated_segments(path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let n = segs.len();
    for p in 1..=8.min(n / 3) {
        for i in 0..=n - 3 * p {
            if segs[i..i + p] == segs[i + p..i + 2 * p]
                && segs[i..i + p] == segs[i + 2 * p..i + 3 * p]
            {
                return true;
            }
        }
    }
    false
}

/// Why a [`FrontierStore`] call failed (the crawler logs it and carries on: persistence is an
/// aid to resuming, never a reason to stop crawling).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("frontier store: {0}")]
pub struct FrontierStoreError(pub String);

/// Validators of a URL from an earlier fetch, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    /// `ETag` as received (sent back as `If-None-Match`).
    pub etag: Option<String>,
    /// `Last-Modified` as received (sent back as `If-Modified-Since`).
    pub last_modified: Option<String>,
}

impl Validators {
    /// True when neither validator is known.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// Persistence seam of the crawler: `store` implements it, `sweep` passes it in
/// [`CrawlConfig::frontier_store`](crate::CrawlConfig). The crawler calls [`load`] when a site
/// starts, [`save`] every `checkpoint_every` pages, and [`finish`] when the site is done; and
/// [`known_validators`] once per site for conditional GETs.
///
/// Note for implementers: `save` is called after the exchanges it covers were *sent* on the
/// event channel, not after they reached the disk; a store that must never skip unflushed
/// evidence on resume should make the saved state effective only when the sweep has flushed.
///
/// [`load`]: FrontierStore::load
/// [`save`]: FrontierStore::save
/// [`finish`]: FrontierStore::finish
/// [`known_validators`]: FrontierStore::known_validators
#[async_trait::async_trait]
pub trait FrontierStore: Send + Sync + fmt::Debug {
    /// The saved frontier of an unfinished crawl of this site, if any.
    async fn load(&self, site_key: i64) -> Result<Option<FrontierState>, FrontierStoreError>;
    /// Saves the frontier of a site in progress (replacing the previous save).
    async fn save(&self, site_key: i64, state: &FrontierState) -> Result<(), FrontierStoreError>;
    /// The site is done: forget its frontier.
    async fn finish(&self, site_key: i64) -> Result<(), FrontierStoreError>;
    /// Validators per canonical URL from an earlier sweep of this site. Those URLs are also
    /// queued (like sitemap entries), so a `304` homepage does not hide the rest of the site.
    async fn known_validators(
        &self,
        site_key: i64,
    ) -> Result<Vec<(Url, Validators)>, FrontierStoreError> {
        let _ = site_key;
        Ok(Vec::new())
    }
}

/// A [`FrontierStore`] in memory: the default (resumes within one process only) and for tests.
#[derive(Debug, Default)]
pub struct MemoryFrontierStore {
    states: Mutex<HashMap<i64, FrontierState>>,
    validators: Mutex<HashMap<i64, Vec<(Url, Validators)>>>,
    saves: std::sync::atomic::AtomicUsize,
}

impl MemoryFrontierStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the validators that [`FrontierStore::known_validators`] returns for a site.
    pub fn set_validators(&self, site_key: i64, validators: Vec<(Url, Validators)>) {
        self.validators
            .lock()
            .expect("store lock")
            .insert(site_key, validators);
    }

    /// Puts a state as if saved by an earlier, killed crawl.
    pub fn put_state(&self, site_key: i64, state: FrontierState) {
        self.states
            .lock()
            .expect("store lock")
            .insert(site_key, state);
    }

    /// The state currently saved for a site.
    pub fn state(&self, site_key: i64) -> Option<FrontierState> {
        self.states
            .lock()
            .expect("store lock")
            .get(&site_key)
            .cloned()
    }

    /// How many times `save` was called.
    pub fn saves(&self) -> usize {
        self.saves.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[async_trait::async_trait]
impl FrontierStore for MemoryFrontierStore {
    async fn load(&self, site_key: i64) -> Result<Option<FrontierState>, FrontierStoreError> {
        Ok(self.state(site_key))
    }

    async fn save(&self, site_key: i64, state: &FrontierState) -> Result<(), FrontierStoreError> {
        self.saves
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.put_state(site_key, state.clone());
        Ok(())
    }

    async fn finish(&self, site_key: i64) -> Result<(), FrontierStoreError> {
        self.states.lock().expect("store lock").remove(&site_key);
        Ok(())
    }

    async fn known_validators(
        &self,
        site_key: i64,
    ) -> Result<Vec<(Url, Validators)>, FrontierStoreError> {
        Ok(self
            .validators
            .lock()
            .expect("store lock")
            .get(&site_key)
            .cloned()
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> FrontierLimits {
        FrontierLimits {
            max_pages: 100,
            max_depth: 50,
            max_url_len: 80,
            max_query_variants: 3,
            max_urls_per_shape: 5,
        }
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn frontier() -> Frontier {
        Frontier::new(url("http://s.test/"), None, limits())
    }

    #[test]
    fn shapes_and_repeats() {
        assert_eq!(shape("/cal/2026/11/"), "/cal/#/#/");
        assert_eq!(shape("/item/123.html"), "/item/#.html");
        assert!(repeated_segments("/a/b/a/b/a/b"));
        assert!(repeated_segments("/x/a/a/a/y"));
        assert!(repeated_segments("/p/a/b/c/a/b/c/a/b/c/"));
        assert!(!repeated_segments("/a/b/a/b/"));
        assert!(!repeated_segments("/2026/01/01/x/"));
        assert!(!repeated_segments("/"));
    }

    #[test]
    fn dedup_scope_depth_budget() {
        let mut f = Frontier::new(
            url("http://s.test/"),
            None,
            FrontierLimits {
                max_pages: 3,
                max_depth: 2,
                ..limits()
            },
        );
        assert_eq!(
            f.push(&url("http://s.test/"), 0, UrlSource::Start, None),
            Ok(())
        );
        assert_eq!(
            f.push(&url("http://s.test/"), 1, UrlSource::Link, None),
            Err(Refused::Seen)
        );
        assert_eq!(
            f.push(&url("http://other.test/"), 1, UrlSource::Link, None),
            Err(Refused::OutOfScope)
        );
        assert_eq!(
            f.push(&url("http://s.test/d"), 3, UrlSource::Link, None),
            Err(Refused::TooDeep)
        );
        assert_eq!(
            f.push(&url("http://s.test/?a=1&b=2"), 1, UrlSource::Link, None),
            Ok(())
        );
        assert_eq!(
            f.push(&url("http://s.test/?b=2&a=1"), 1, UrlSource::Link, None),
            Err(Refused::Seen),
            "query order does not make a new page"
        );
        assert_eq!(
            f.push(&url("http://s.test/x"), 1, UrlSource::Link, None),
            Ok(())
        );
        assert_eq!(
            f.push(&url("http://s.test/y"), 1, UrlSource::Link, None),
            Err(Refused::Budget)
        );
        let mut got = Vec::new();
        while let Some((u, _)) = f.pop() {
            f.record_fetch();
            got.push(u.to_string());
        }
        assert_eq!(
            got,
            [
                "http://s.test/",
                "http://s.test/?a=1&b=2",
                "http://s.test/x"
            ]
        );
    }

    #[test]
    fn trap_guards() {
        let mut f = frontier();
        let long = format!("http://s.test/{}", "a".repeat(100));
        assert_eq!(
            f.push(&url(&long), 1, UrlSource::Link, None),
            Err(Refused::Trap(TrapGuard::UrlTooLong))
        );
        assert_eq!(
            f.push(&url("http://s.test/a/b/a/b/a/b"), 1, UrlSource::Link, None),
            Err(Refused::Trap(TrapGuard::RepeatedSegments))
        );
        for i in 0..3 {
            let u = format!("http://s.test/list?sort={i}");
            assert_eq!(f.push(&url(&u), 1, UrlSource::Link, None), Ok(()));
        }
        assert_eq!(
            f.push(&url("http://s.test/list?sort=9"), 1, UrlSource::Link, None),
            Err(Refused::Trap(TrapGuard::QueryVariants))
        );
        for m in 1..=5 {
            let u = format!("http://s.test/cal/2026/{m}/");
            assert_eq!(f.push(&url(&u), m, UrlSource::Link, None), Ok(()));
        }
        assert_eq!(
            f.push(&url("http://s.test/cal/2026/6/"), 6, UrlSource::Link, None),
            Err(Refused::Trap(TrapGuard::PathShape))
        );
        let traps = f.traps();
        assert_eq!(traps.len(), 4);
        assert_eq!(traps[3].example, "http://s.test/cal/2026/6/");
        assert_eq!(
            traps[3].to_string(),
            "too many URLs of one path shape (calendar or pagination trap): 1 URLs refused, e.g. http://s.test/cal/2026/6/"
        );
    }

    #[test]
    fn state_round_trip() {
        let mut f = frontier();
        f.push(&url("http://s.test/"), 0, UrlSource::Start, None)
            .unwrap();
        f.push(
            &url("http://s.test/a"),
            1,
            UrlSource::Sitemap,
            Some("2026-01-02".into()),
        )
        .unwrap();
        let _ = f.pop();
        f.record_fetch();
        let state = f.state();
        assert_eq!(state.pages, 1);
        assert_eq!(state.queue.len(), 1);
        assert_eq!(state.queue[0].lastmod.as_deref(), Some("2026-01-02"));
        let mut g = Frontier::from_state(url("http://s.test/"), None, limits(), state.clone());
        assert_eq!(g.state(), state);
        assert_eq!(
            g.push(&url("http://s.test/"), 1, UrlSource::Link, None),
            Err(Refused::Seen)
        );
        assert_eq!(g.pop().unwrap().0.as_str(), "http://s.test/a");
    }
}
