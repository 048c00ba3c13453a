//! Keeping the search index ([`search::SearchIndex`]) in step with the records.
//!
//! The index is derived data: entities come from the store in revision order
//! ([`store::Store::entities_since`]), pages from the evidence (each HTML page fetched with a
//! `200` is read back from its WARC record, decoded and extracted as the detector sees it).
//! The index's commit watermark records how far it got (`v1 entities:<rev> pages:<fetch id>`),
//! so a sync only does what is new, and an index that is lost or of another version is rebuilt
//! from scratch. Nothing here writes records.

use http_msg::MAX_DECODED_BYTES;
use search::{EntityDoc, PageDoc, SearchIndex};
use std::path::Path;
use store::{Entity, Scope, Store};

/// Rows read from the store per round trip.
const BATCH: i64 = 5000;
/// Largest text indexed per page (the rest of a huge page adds little to finding it).
const MAX_PAGE_TEXT: usize = 64 * 1024;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSummary {
    pub entities: u64,
    pub pages: u64,
    /// Pages whose evidence could not be read (logged; the sync goes on).
    pub unreadable: u64,
}

impl std::fmt::Display for SyncSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "search index: {} entities and {} pages indexed",
            self.entities, self.pages
        )?;
        if self.unreadable > 0 {
            write!(f, ", {} pages unreadable", self.unreadable)?;
        }
        Ok(())
    }
}

/// Why a sync failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Index(#[from] search::Error),
    #[error("the page reader stopped: {0}")]
    Worker(String),
}

/// Where the index stands: (entity revision, fetch id).
fn parse_watermark(w: Option<&str>) -> (i64, i64) {
    let Some(w) = w else { return (0, 0) };
    let mut parts = w.split_whitespace();
    if parts.next() != Some("v1") {
        return (0, 0);
    }
    let mut entities = 0;
    let mut pages = 0;
    for p in parts {
        if let Some(v) = p.strip_prefix("entities:") {
            entities = v.parse().unwrap_or(0);
        } else if let Some(v) = p.strip_prefix("pages:") {
            pages = v.parse().unwrap_or(0);
        }
    }
    (entities, pages)
}

fn watermark(entities: i64, pages: i64) -> String {
    format!("v1 entities:{entities} pages:{pages}")
}

/// The document of an entity: every way a person may look for it.
pub fn entity_doc(e: &Entity) -> EntityDoc {
    let i = &e.input;
    EntityDoc {
        id: e.id.0,
        uscc: i.uscc.clone(),
        name: i.name.clone(),
        former_names: i.former_names.clone(),
        domains: i.domains.clone(),
        icps: i.icp.iter().cloned().collect(),
        addresses: i
            .address
            .iter()
            .chain(i.business_address.iter())
            .cloned()
            .collect(),
        phones: i.phone.iter().cloned().collect(),
        legal_rep: i.legal_rep.clone(),
        district: i.district.to_string(),
    }
}

/// Brings the index up to date. Commits after every batch, so an interrupted sync keeps what it
/// did.
pub async fn sync(
    store: &dyn Store,
    evidence_dir: &Path,
    index: &SearchIndex,
) -> Result<SyncSummary, SyncError> {
    let (mut rev, mut fetch) = parse_watermark(index.watermark()?.as_deref());
    let mut summary = SyncSummary::default();
    loop {
        let batch = store.entities_since(Scope::City, rev, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        let mut w = index.writer()?;
        for (r, e) in &batch {
            w.upsert_entity(&entity_doc(e))?;
            rev = *r;
        }
        summary.entities += batch.len() as u64;
        w.commit(&watermark(rev, fetch))?;
    }
    loop {
        let batch = store.pages_after(Scope::City, fetch, BATCH / 10).await?;
        if batch.is_empty() {
            break;
        }
        let docs = {
            let dir = evidence_dir.to_path_buf();
            let batch = batch.clone();
            tokio::task::spawn_blocking(move || {
                batch
                    .iter()
                    .map(|p| {
                        let district = p.district.map(|d| d.to_string());
                        (p.seq, page_doc(&dir, &p.fetch, district))
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| SyncError::Worker(e.to_string()))?
        };
        let mut w = index.writer()?;
        for (id, doc) in docs {
            match doc {
                Some(doc) => {
                    w.upsert_page(&doc)?;
                    summary.pages += 1;
                }
                None => summary.unreadable += 1,
            }
            fetch = id;
        }
        w.commit(&watermark(rev, fetch))?;
    }
    Ok(summary)
}

/// A page's document, read back from its evidence; `None` (logged) when it cannot be read.
fn page_doc(dir: &Path, f: &store::Fetch, district: Option<String>) -> Option<PageDoc> {
    let pointer = f.fetch.evidence.as_ref()?;
    // The pointer is a plain file name in the evidence directory (see the store's invariant);
    // anything else is not followed.
    if pointer.warc_file.contains(['/', '\\']) {
        tracing::warn!(fetch = %f.id, file = %pointer.warc_file, "evidence pointer is not a file name");
        return None;
    }
    let record = match evidence::read_record_at(
        &dir.join(&pointer.warc_file),
        pointer.offset as u64,
    ) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(fetch = %f.id, error = %e, "cannot read the page's evidence for the index");
            return None;
        }
    };
    // The page as the sweep scanned it: de-chunked, content-coding removed, charset found
    // (the record keeps the body as it came off the wire, gzip included).
    let decoded = match http_msg::Message::parse(&record.block).decode_body(MAX_DECODED_BYTES) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(fetch = %f.id, error = %e, "cannot decode the page's evidence for the index");
            return None;
        }
    };
    let page = detect::extract(&decoded.text);
    let mut text = page.text;
    if text.len() > MAX_PAGE_TEXT {
        let mut cut = MAX_PAGE_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    Some(PageDoc {
        fetch_id: f.id.0,
        site_id: f.fetch.site_id.0,
        url: f.fetch.url.clone(),
        title: page.title,
        text,
        district,
    })
}

/// Opens the index at `dir` and syncs it.
pub async fn open_and_sync(
    store: &dyn Store,
    evidence_dir: &Path,
    dir: &Path,
) -> Result<(SearchIndex, SyncSummary), SyncError> {
    let index = SearchIndex::open(dir)?;
    let summary = sync(store, evidence_dir, &index).await?;
    Ok((index, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermarks_round_trip_and_unknown_ones_start_over() {
        assert_eq!(parse_watermark(Some(&watermark(12, 345))), (12, 345));
        assert_eq!(parse_watermark(None), (0, 0));
        assert_eq!(parse_watermark(Some("v0 entities:9")), (0, 0));
        assert_eq!(parse_watermark(Some("v1 pages:x")), (0, 0));
    }
}
