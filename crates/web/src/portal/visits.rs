//! Visit statistics without personal data: a layer counts every response per route pattern
//! (`/notices/{id}`, never the raw path) and Beijing day, in memory. Nothing about the visitor
//! is looked at: no address, no cookie, no user agent. The counts are taken by
//! [`Visits::take`] to be written to the store.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{NaiveDate, Utc};

use super::Portal;

/// The page name of a request no route matched.
pub const UNMATCHED: &str = "(404)";

/// Counts per (Beijing day, route pattern) not yet written.
#[derive(Debug, Default)]
pub struct Visits {
    counts: Mutex<BTreeMap<(NaiveDate, String), u64>>,
}

/// Today in Beijing.
pub fn beijing_today() -> NaiveDate {
    domain::time::beijing_date(Utc::now())
}

impl Visits {
    /// Counts one response of `page` today.
    pub fn count(&self, page: &str) {
        let mut counts = self.counts.lock().expect("visit counts");
        *counts
            .entry((beijing_today(), page.to_string()))
            .or_default() += 1;
    }

    /// Takes every count not yet written: (day, page, count), oldest first.
    pub fn take(&self) -> Vec<(NaiveDate, String, u64)> {
        let counts = std::mem::take(&mut *self.counts.lock().expect("visit counts"));
        counts.into_iter().map(|((d, p), n)| (d, p, n)).collect()
    }

    /// Puts counts back (a write failed; they are added to the next one).
    pub fn restore(&self, taken: Vec<(NaiveDate, String, u64)>) {
        let mut counts = self.counts.lock().expect("visit counts");
        for (day, page, n) in taken {
            *counts.entry((day, page)).or_default() += n;
        }
    }
}

/// Middleware: counts the response under the route's pattern (the stylesheet and the
/// operator's probes are not visits).
pub(crate) async fn count(State(portal): State<Arc<Portal>>, req: Request, next: Next) -> Response {
    let page = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let res = next.run(req).await;
    match page.as_deref() {
        Some(p) if p.starts_with("/static/") || crate::ops::PROBES.contains(&p) => {}
        Some(p) => portal.visits.count(p),
        None => portal.visits.count(UNMATCHED),
    }
    res
}
