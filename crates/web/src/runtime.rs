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

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::FetchId;

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
}

impl App {
    pub fn new(state: AppState) -> App {
        App {
            state,
            shots: ShotGrants::default(),
            log_lock: tokio::sync::Mutex::new(()),
            http: crate::metrics::HttpMetrics::default(),
            started_at: std::time::SystemTime::now(),
        }
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
