//! Which records an evidence export takes: every fetch of a site, of a sweep, or of a clue's
//! evidence, plus the original `response` of every revisit among them that the selection does
//! not hold itself (usually from an earlier sweep), so that the package can replay each revisit.
//!
//! Owns the selection only: packing it (`evidence::wacz`) and logging the export in the chain
//! of custody are the caller's. Must not: write anything.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use domain::{ClueId, FetchId, SweepId};
use store::{CustodySubject, Fetch, Scope, SiteAddress, Store, StoreError};

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every fetch of one site, named as `host` or `host/prefix` (a platform shop).
    Site(String),
    /// Every fetch of one sweep (or capture).
    Sweep(SweepId),
    /// The records a clue's findings point at and the captures taken for it.
    Clue(ClueId),
}

/// Why a selection cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error("no registered site {0}")]
    NoSite(String),
    #[error("no sweep {0}")]
    NoSweep(SweepId),
    #[error("no clue {0}")]
    NoClue(ClueId),
    /// A revisit names an original fetch the store does not hold (or not in scope).
    #[error("fetch {0}, the original of a revisit, is missing")]
    MissingOriginal(FetchId),
    /// The selection holds no fetch with a stored record.
    #[error("{0} has no recorded evidence to export")]
    NoEvidence(Selected),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a selection resolved to: the custody subject of its export (a site, a sweep or a
/// clue). Shown as the package names it: `site <host><prefix>`, `sweep <id>`, `clue <id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected(CustodySubject);

impl Selected {
    /// The custody subject of an export of this selection.
    pub fn custody_subject(&self) -> &CustodySubject {
        &self.0
    }
}

impl fmt::Display for Selected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_string().replacen(':', " ", 1))
    }
}

/// The fetches of a selection and the originals their revisits need.
#[derive(Debug, Clone)]
pub struct ExportSet {
    pub selected: Selected,
    /// The fetches selected, in the store's order.
    pub fetches: Vec<Fetch>,
    /// Originals of revisits among `fetches` that `fetches` does not hold, by id.
    pub originals: Vec<Fetch>,
}

impl ExportSet {
    /// Every stored record of the set as a WARC file under `evidence_dir` and an offset,
    /// sorted, each once.
    pub fn records(&self, evidence_dir: &Path) -> Vec<evidence::wacz::Selection> {
        let mut records: Vec<evidence::wacz::Selection> = self
            .fetches
            .iter()
            .chain(&self.originals)
            .filter_map(|f| f.fetch.evidence.as_ref())
            .map(|p| evidence::wacz::Selection {
                warc: evidence_dir.join(&p.warc_file),
                offset: p.offset.max(0) as u64,
            })
            .collect();
        records.sort();
        records.dedup();
        records
    }
}

/// Resolves `selection` in `scope`: the fetches, the originals their revisits need, and a
/// `NoEvidence` error when none of them has a stored record.
pub async fn select(
    store: &dyn Store,
    scope: Scope,
    selection: &Selection,
) -> Result<ExportSet, SelectionError> {
    let (fetches, selected) = match selection {
        Selection::Clue(id) => {
            store
                .clue(scope.clone(), *id)
                .await?
                .ok_or(SelectionError::NoClue(*id))?;
            (
                store.clue_fetches(scope.clone(), *id).await?,
                CustodySubject::Clue(*id),
            )
        }
        Selection::Site(site) => {
            let (host, path) = match site.find('/') {
                Some(i) => site.split_at(i),
                None => (site.as_str(), "/"),
            };
            let found = store
                .site_for_url(scope.clone(), &host.to_ascii_lowercase(), path)
                .await?
                .ok_or_else(|| SelectionError::NoSite(site.clone()))?;
            (
                store.site_fetches(scope.clone(), found.id, 0).await?,
                CustodySubject::Site(SiteAddress::from_parts(&found.host, &found.path_prefix)),
            )
        }
        Selection::Sweep(id) => {
            store
                .sweep(*id)
                .await?
                .ok_or(SelectionError::NoSweep(*id))?;
            (
                store.sweep_fetches(scope.clone(), *id).await?,
                CustodySubject::Sweep(*id),
            )
        }
    };
    let selected = Selected(selected);
    let held: HashSet<FetchId> = fetches.iter().map(|f| f.id).collect();
    let mut wanted: Vec<FetchId> = fetches
        .iter()
        .filter_map(|f| f.fetch.revisit_of)
        .filter(|id| !held.contains(id))
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut originals = Vec::with_capacity(wanted.len());
    for id in wanted {
        originals.push(
            store
                .fetch(scope.clone(), id)
                .await?
                .ok_or(SelectionError::MissingOriginal(id))?,
        );
    }
    let set = ExportSet {
        selected,
        fetches,
        originals,
    };
    if set
        .fetches
        .iter()
        .chain(&set.originals)
        .all(|f| f.fetch.evidence.is_none())
    {
        return Err(SelectionError::NoEvidence(set.selected));
    }
    Ok(set)
}
