//! The sweep's [`crawl::FrontierStore`]: crawl frontiers kept in the store, made effective only
//! once the evidence they cover is on disk.
//!
//! The crawler calls `save` once a page's exchange was *sent* on the event channel, not once it
//! was written. So `save` only parks the state here; the capture thread, which writes the
//! exchanges in channel order, asks for it with [`SweepFrontier::due`] before it handles the
//! site's next page, i.e. once every exchange the state covers has been captured. It then
//! flushes the WARC writer and commits the state together with the fetches it covers in one
//! transaction ([`store::Store::commit_progress`]). After a `kill -9`, the saved frontier and the
//! recorded fetches therefore agree, and every page they mark fetched has its records on disk.
//!
//! It also answers, per site, what earlier sweeps knew of its pages ([`SweepFrontier::known_pages`]:
//! validators for the crawler's conditional GETs, payload digests for the capture to skip
//! unchanged pages), loaded once per site and shared by both sides.
//!
//! Must not write evidence or decide when to flush: that is the capture's job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crawl::{FrontierState, FrontierStore, FrontierStoreError, Validators};
use domain::{SiteId, SweepId};
use store::{KnownPage, Scope, Store, StoreError};
use url::Url;

/// A site's pages as earlier sweeps left them, by URL (as recorded: the crawler's canonical
/// form).
pub(crate) type KnownPages = Arc<HashMap<String, KnownPage>>;

/// Per site: page exchanges captured so far (counting the pages of a resumed frontier), and the
/// newest state the crawler saved that is not yet in the store.
#[derive(Debug, Default)]
struct SiteCheckpoint {
    captured: usize,
    parked: Option<FrontierState>,
}

/// Frontiers of one sweep, in the store. See the module documentation.
pub(crate) struct SweepFrontier {
    store: Arc<dyn Store>,
    sweep: SweepId,
    sites: Mutex<HashMap<i64, SiteCheckpoint>>,
    known: Mutex<HashMap<i64, KnownPages>>,
}

impl std::fmt::Debug for SweepFrontier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepFrontier")
            .field("sweep", &self.sweep)
            .finish_non_exhaustive()
    }
}

impl SweepFrontier {
    pub(crate) fn new(store: Arc<dyn Store>, sweep: SweepId) -> Self {
        SweepFrontier {
            store,
            sweep,
            sites: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
        }
    }

    /// What sweeps before this one knew of the site's pages (loaded on first use).
    pub(crate) async fn known_pages(&self, site_key: i64) -> Result<KnownPages, StoreError> {
        if let Some(k) = self.known.lock().expect("known lock").get(&site_key) {
            return Ok(k.clone());
        }
        let pages = self
            .store
            .last_validators(Scope::City, SiteId(site_key), self.sweep)
            .await?;
        let map: KnownPages = Arc::new(pages.into_iter().map(|p| (p.url.clone(), p)).collect());
        // Two loads racing store the same rows; keep the first.
        Ok(self
            .known
            .lock()
            .expect("known lock")
            .entry(site_key)
            .or_insert(map)
            .clone())
    }

    /// The parked state of a site that the captured pages now cover, if any (taken). Call it
    /// before capturing each page exchange of the site.
    pub(crate) fn due(&self, site_key: i64) -> Option<FrontierState> {
        let mut sites = self.sites.lock().expect("frontier lock");
        let site = sites.get_mut(&site_key)?;
        match &site.parked {
            Some(state) if state.pages <= site.captured => site.parked.take(),
            _ => None,
        }
    }

    /// One page exchange of the site was captured.
    pub(crate) fn page_captured(&self, site_key: i64) {
        self.sites
            .lock()
            .expect("frontier lock")
            .entry(site_key)
            .or_default()
            .captured += 1;
    }

    /// The site is finished: forget it (the capture clears its row with the last commit).
    pub(crate) fn forget(&self, site_key: i64) {
        self.sites.lock().expect("frontier lock").remove(&site_key);
        self.known.lock().expect("known lock").remove(&site_key);
    }
}

fn store_error(e: impl std::fmt::Display) -> FrontierStoreError {
    FrontierStoreError(e.to_string())
}

#[async_trait::async_trait]
impl FrontierStore for SweepFrontier {
    async fn load(&self, site_key: i64) -> Result<Option<FrontierState>, FrontierStoreError> {
        let saved = self
            .store
            .frontier(Scope::City, self.sweep, SiteId(site_key))
            .await
            .map_err(store_error)?;
        let state = match saved {
            Some(json) => Some(serde_json::from_value::<FrontierState>(json).map_err(store_error)?),
            None => None,
        };
        // The crawler starts counting pages from the resumed state's, so does the capture.
        self.sites.lock().expect("frontier lock").insert(
            site_key,
            SiteCheckpoint {
                captured: state.as_ref().map_or(0, |s| s.pages),
                parked: None,
            },
        );
        Ok(state)
    }

    async fn save(&self, site_key: i64, state: &FrontierState) -> Result<(), FrontierStoreError> {
        self.sites
            .lock()
            .expect("frontier lock")
            .entry(site_key)
            .or_default()
            .parked = Some(state.clone());
        Ok(())
    }

    async fn known_validators(
        &self,
        site_key: i64,
    ) -> Result<Vec<(Url, Validators)>, FrontierStoreError> {
        let known = self.known_pages(site_key).await.map_err(store_error)?;
        // The pages the site had (HTML, or confirmed by a 304), validators or not: the crawler
        // queues them all, so that a 304 homepage, which has no links to follow, does not hide
        // the rest of the site. Sitemaps and failed URLs are left to the crawl to find again.
        let mut out: Vec<(Url, Validators)> = known
            .values()
            .filter(|p| {
                p.status == 304
                    || ((200..300).contains(&p.status)
                        && p.content_type
                            .as_deref()
                            .is_some_and(|ct| ct.to_ascii_lowercase().contains("html")))
            })
            .filter_map(|p| {
                let url = Url::parse(&p.url).ok()?;
                Some((
                    url,
                    Validators {
                        etag: p.etag.clone(),
                        last_modified: p.last_modified.clone(),
                    },
                ))
            })
            .collect();
        out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        Ok(out)
    }

    async fn finish(&self, _site_key: i64) -> Result<(), FrontierStoreError> {
        // The capture clears the saved frontier in the same transaction that marks the site
        // done, after its last records are flushed; clearing it here could lose the pages
        // still in the channel.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(pages: usize) -> FrontierState {
        FrontierState {
            pages,
            ..FrontierState::default()
        }
    }

    #[tokio::test]
    async fn a_saved_state_is_due_only_once_its_pages_are_captured() {
        let store: Arc<dyn Store> = Arc::new(store::SqliteStore::open_in_memory().await.unwrap());
        let f = SweepFrontier::new(store, SweepId(1));
        assert_eq!(f.load(7).await.unwrap(), None);
        f.page_captured(7);
        f.save(7, &state(2)).await.unwrap();
        assert_eq!(f.due(7), None, "page 2 not captured yet");
        f.page_captured(7);
        assert_eq!(f.due(7), Some(state(2)));
        assert_eq!(f.due(7), None, "taken");
        assert_eq!(f.due(8), None, "unknown site");
    }
}
