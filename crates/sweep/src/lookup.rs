//! The register's view of one page outside a sweep (`wangjian scan`): which known site a URL
//! belongs to and what the register says of its entity, so that a page scanned alone is judged
//! as a sweep would judge it.
//!
//! Which site owns the URL is the store's `site_for_url` (a bare domain and its `www.` name are
//! one site, the longest shop prefix wins: `domain::address`). Must not: write anything.

use store::{Scope, Store, StoreError};

/// What the register says about the page at a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRegister {
    /// The register is empty: register checks are off.
    NotLoaded,
    /// No known site covers the URL (or the URL has no host).
    Unmatched { is_site_home: bool },
    /// A known site covers it; `facts` is `None` when the site has no entity (discovered).
    Matched {
        facts: Option<detect::RegisterFacts>,
        is_site_home: bool,
    },
}

impl PageRegister {
    /// The view detection takes.
    pub fn view(&self) -> detect::RegisterView<'_> {
        match self {
            PageRegister::NotLoaded => detect::RegisterView::NotLoaded,
            PageRegister::Unmatched { .. } | PageRegister::Matched { facts: None, .. } => {
                detect::RegisterView::Unmatched
            }
            PageRegister::Matched { facts: Some(f), .. } => detect::RegisterView::Matched(f),
        }
    }

    /// Whether the page is its site's homepage (`/`, or the shop's prefix); `None` when the
    /// register is not loaded (the caller judges by the path alone).
    pub fn is_site_home(&self) -> Option<bool> {
        match self {
            PageRegister::NotLoaded => None,
            PageRegister::Unmatched { is_site_home }
            | PageRegister::Matched { is_site_home, .. } => Some(*is_site_home),
        }
    }
}

/// The register's view of the page at `url` (read for the whole bureau: a scan acts for it).
pub async fn page_register(store: &dyn Store, url: &url::Url) -> Result<PageRegister, StoreError> {
    if store.count_entities(Scope::City).await? == 0 {
        return Ok(PageRegister::NotLoaded);
    }
    let Some(host) = url.host_str() else {
        return Ok(PageRegister::Unmatched {
            is_site_home: false,
        });
    };
    if let Some(site) = store.site_for_url(Scope::City, host, url.path()).await? {
        let home = format!("{}/", site.path_prefix.trim_end_matches('/'));
        let facts = match site.entity_id {
            Some(id) => store
                .entity(Scope::City, id)
                .await?
                .map(|e| crate::register_facts::facts(&e.input)),
            None => None,
        };
        return Ok(PageRegister::Matched {
            facts,
            is_site_home: url.path() == home,
        });
    }
    Ok(PageRegister::Unmatched {
        is_site_home: url.path() == "/",
    })
}
