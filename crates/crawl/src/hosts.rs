//! Per-host politeness shared by every site of one crawl.
//!
//! Owns [`Hosts`]: for each host (name and port) a connection budget (one connection by
//! default), the time before which the next request must not start (the politeness delay,
//! robots.txt `Crawl-delay`, and back-off penalties), the idle keep-alive connections, and the
//! 429/503 back-off state (consecutive strikes, and the reason once the crawl gave up on the
//! host). Also the global limit on requests in flight across all hosts. Several seeds on one
//! host — a platform and its shops — therefore share one politeness clock and one connection.
//!
//! It must not decide what to fetch (that is the frontier) nor speak HTTP (that is `fetch`);
//! it only hands out turns and connections.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::error::HumanDuration;
use crate::fetch::Conn;

/// Key of the connection pool and of the politeness clock: host name and port.
pub(crate) type HostKey = (String, u16);

/// What to do after a response, as far as back-off is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AfterResponse {
    /// Carry on.
    Proceed,
    /// The host asked us to slow down (429/503); the same URL may be retried once the host's
    /// turn comes (the wait is already in the host's clock).
    Retry(Duration),
    /// Too many consecutive 429/503: leave the host alone for the rest of the crawl.
    GiveUp(String),
}

#[derive(Default)]
struct HostState {
    next_start: Option<Instant>,
    crawl_delay: Duration,
    slow_down: Duration,
    idle: Vec<Conn>,
    strikes: u32,
    gave_up: Option<String>,
}

struct Host {
    slot: Arc<Semaphore>,
    state: Mutex<HostState>,
}

/// Politeness and connections per host, shared by the sites of one crawl.
///
/// The table holds the hosts in use, not every host the crawl has seen: the scheduler forgets a
/// host once no site of the crawl is on it or waiting for it ([`Hosts::forget`]), and hosts a
/// site reached by other names (a redirect to `www.`) are dropped once they have been quiet
/// for [`QUIET`] with nobody holding a turn ([`Hosts::host`]). A province's sweep visits some
/// 100,000 hosts; its memory must not grow with them.
pub(crate) struct Hosts {
    map: Mutex<HostTable>,
    global: Arc<Semaphore>,
    per_host: usize,
    /// Base delay between request starts on one host.
    delay: Duration,
    max_crawl_delay: Duration,
    max_retry_after: Duration,
    max_backoff_tries: u32,
    /// How long a host nobody is on stays after its last turn ([`QUIET`]).
    quiet: Duration,
    /// The TLS client for `https` (or why it could not be set up).
    tls: Result<Arc<crate::tls::TlsClient>, String>,
}

/// A turn to send one request to one host: holds the host's connection slot and a global slot.
pub(crate) struct Turn {
    host: Arc<Host>,
    _host_permit: OwnedSemaphorePermit,
    _global_permit: OwnedSemaphorePermit,
}

impl Turn {
    /// An idle keep-alive connection to this host, if any.
    pub(crate) fn take_idle(&self) -> Option<Conn> {
        let mut st = self.host.state.lock().expect("host lock");
        while let Some(c) = st.idle.pop() {
            if !c.is_closed() {
                return Some(c);
            }
        }
        None
    }

    /// Gives a connection whose response was read to its end back for the next request.
    pub(crate) fn put_idle(&self, conn: Conn) {
        self.host.state.lock().expect("host lock").idle.push(conn);
    }
}

impl Hosts {
    pub(crate) fn new(config: &crate::CrawlConfig) -> Self {
        Hosts {
            map: Mutex::new(HostTable {
                hosts: HashMap::new(),
                sites_on: HashSet::new(),
                prune_at: MIN_PRUNE_AT,
            }),
            global: Arc::new(Semaphore::new(config.concurrency.max(1))),
            per_host: config.connections_per_host.max(1),
            delay: config.delay_per_host,
            max_crawl_delay: config.max_crawl_delay,
            max_retry_after: config.max_retry_after,
            max_backoff_tries: config.max_backoff_tries.max(1),
            quiet: QUIET,
            tls: crate::tls::TlsClient::new(&config.tls_roots).map(Arc::new),
        }
    }

    /// The TLS client of the crawl.
    pub(crate) fn tls(&self) -> Result<&crate::tls::TlsClient, crate::FetchError> {
        self.tls
            .as_deref()
            .map_err(|why| crate::FetchError::Tls(format!("TLS is not available: {why}")))
    }

    fn host(&self, key: &HostKey) -> Arc<Host> {
        let mut table = self.map.lock().expect("hosts lock");
        if table.hosts.len() >= table.prune_at && !table.hosts.contains_key(key) {
            let now = Instant::now();
            let HostTable {
                hosts, sites_on, ..
            } = &mut *table;
            hosts.retain(|k, h| {
                sites_on.contains(k)
                    || Arc::strong_count(h) > 1
                    || h.state
                        .lock()
                        .expect("host lock")
                        .next_start
                        .is_some_and(|at| at + self.quiet > now)
            });
            // Pruning again only once the table has doubled keeps the cost per new host
            // constant.
            table.prune_at = (table.hosts.len() * 2).max(MIN_PRUNE_AT);
        }
        table
            .hosts
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(Host {
                    slot: Arc::new(Semaphore::new(self.per_host)),
                    state: Mutex::new(HostState::default()),
                })
            })
            .clone()
    }

    /// Waits for this host's turn: a free connection slot on the host, the politeness delay
    /// since the previous request start, and a free global slot. The next turn on the host is
    /// scheduled from the moment this one is granted.
    pub(crate) async fn turn(&self, key: &HostKey) -> Turn {
        let host = self.host(key);
        let host_permit = host
            .slot
            .clone()
            .acquire_owned()
            .await
            .expect("host semaphore is never closed");
        let mut global = None;
        loop {
            let wait = host.state.lock().expect("host lock").next_start;
            if let Some(at) = wait.filter(|at| *at > Instant::now()) {
                // Do not hold a global slot while merely waiting for politeness.
                global = None;
                tokio::time::sleep_until(at).await;
                continue;
            }
            if global.is_none() {
                global = Some(
                    self.global
                        .clone()
                        .acquire_owned()
                        .await
                        .expect("global semaphore is never closed"),
                );
                // Waiting for the global slot may have taken a while: check the clock again.
                continue;
            }
            let mut st = host.state.lock().expect("host lock");
            let delay = self.delay.max(st.crawl_delay).max(st.slow_down);
            st.next_start = Some(Instant::now() + delay);
            break;
        }
        Turn {
            host,
            _host_permit: host_permit,
            _global_permit: global.expect("acquired above"),
        }
    }

    /// Applies robots.txt `Crawl-delay` to the host, capped at `max_crawl_delay`.
    pub(crate) fn set_crawl_delay(&self, key: &HostKey, delay: Duration) {
        let host = self.host(key);
        let mut st = host.state.lock().expect("host lock");
        st.crawl_delay = delay.min(self.max_crawl_delay);
    }

    /// The reason the crawl gave up on this host, if it did.
    pub(crate) fn gave_up(&self, key: &HostKey) -> Option<String> {
        let host = self.host(key);
        let st = host.state.lock().expect("host lock");
        st.gave_up.clone()
    }

    /// Back-off bookkeeping after a response with `status` and `Retry-After` value.
    pub(crate) fn after_response(
        &self,
        key: &HostKey,
        status: u16,
        retry_after: Option<&str>,
    ) -> AfterResponse {
        let host = self.host(key);
        let mut st = host.state.lock().expect("host lock");
        if !matches!(status, 429 | 503) {
            st.strikes = 0;
            return AfterResponse::Proceed;
        }
        st.strikes += 1;
        let base = self.delay.max(st.crawl_delay).max(st.slow_down);
        let asked = retry_after.and_then(|v| parse_retry_after(v, Utc::now()));
        let wait = asked
            .unwrap_or_else(|| {
                // No usable Retry-After: exponential back-off from the current delay, at least 1s.
                base.max(Duration::from_secs(1)) * 2u32.saturating_pow(st.strikes - 1)
            })
            .min(self.max_retry_after);
        // Slow the host down for the rest of the crawl too.
        st.slow_down = (base * 2).max(wait).min(self.max_crawl_delay.max(wait));
        let at = Instant::now() + wait;
        st.next_start = Some(st.next_start.map_or(at, |n| n.max(at)));
        if st.strikes >= self.max_backoff_tries {
            let reason = format!(
                "host {}:{} answered HTTP {status} {} times in a row{}; gave up on it for this crawl",
                key.0,
                key.1,
                st.strikes,
                match retry_after {
                    Some(v) => format!(" (last Retry-After: {v})"),
                    None => String::new(),
                }
            );
            st.gave_up = Some(reason.clone());
            st.idle.clear();
            return AfterResponse::GiveUp(reason);
        }
        tracing::debug!(host = %key.0, status, wait = %HumanDuration(wait), "backing off");
        AfterResponse::Retry(wait)
    }

    /// Marks a host as a site's start host: kept until [`Hosts::forget`], however quiet.
    pub(crate) fn site_on(&self, key: &HostKey) {
        let mut table = self.map.lock().expect("hosts lock");
        if !table.sites_on.contains(key) {
            table.sites_on.insert(key.clone());
        }
    }

    /// Forgets a host no site of the crawl is on or waiting for: its idle connections close
    /// and its politeness state goes (a turn still held keeps its own reference).
    pub(crate) fn forget(&self, key: &HostKey) {
        let mut table = self.map.lock().expect("hosts lock");
        table.hosts.remove(key);
        table.sites_on.remove(key);
    }
}

/// How long a host nobody holds a turn on stays in the table after its last request's turn
/// (longer than any politeness delay still running: those keep it anyway).
const QUIET: Duration = Duration::from_secs(60);

/// The table's size below which it is never pruned.
const MIN_PRUNE_AT: usize = 1024;

struct HostTable {
    hosts: HashMap<HostKey, Arc<Host>>,
    /// The start hosts of the sites being crawled: never pruned.
    sites_on: HashSet<HostKey>,
    /// Prune quiet hosts when a new one would make the table this large.
    prune_at: usize,
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), relative
/// to `now`. A date in the past means zero; garbage means `None`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[tokio::test]
    async fn back_off_caps_the_wait_and_gives_up() {
        let config = crate::CrawlConfig {
            delay_per_host: Duration::ZERO,
            max_retry_after: Duration::from_millis(10),
            max_backoff_tries: 2,
            ..crate::CrawlConfig::default()
        };
        let hosts = Hosts::new(&config);
        let key = ("h.test".to_owned(), 80);
        assert_eq!(
            hosts.after_response(&key, 429, Some("3600")),
            AfterResponse::Retry(Duration::from_millis(10))
        );
        assert_eq!(
            hosts.after_response(&key, 200, None),
            AfterResponse::Proceed
        );
        assert!(matches!(
            hosts.after_response(&key, 503, None),
            AfterResponse::Retry(_)
        ));
        let AfterResponse::GiveUp(reason) = hosts.after_response(&key, 503, Some("5")) else {
            panic!("expected to give up");
        };
        assert_eq!(
            reason,
            "host h.test:80 answered HTTP 503 2 times in a row (last Retry-After: 5); gave up on it for this crawl"
        );
        assert_eq!(hosts.gave_up(&key), Some(reason));
    }

    #[tokio::test]
    async fn the_table_holds_the_hosts_in_use_not_every_host_seen() {
        let config = crate::CrawlConfig {
            delay_per_host: Duration::ZERO,
            concurrency: 4,
            ..crate::CrawlConfig::default()
        };
        let mut hosts = Hosts::new(&config);
        hosts.quiet = Duration::ZERO;
        let holds =
            |hosts: &Hosts, key: &HostKey| hosts.map.lock().unwrap().hosts.contains_key(key);
        let start = ("start.test".to_owned(), 80);
        hosts.site_on(&start);
        drop(hosts.turn(&start).await);
        let held_key = ("held.test".to_owned(), 80);
        let held = hosts.turn(&held_key).await;
        for i in 0..10 * MIN_PRUNE_AT {
            drop(hosts.turn(&(format!("h{i}.test"), 80)).await);
            assert!(hosts.map.lock().unwrap().hosts.len() <= MIN_PRUNE_AT);
        }
        // A site's start host stays however quiet, and so does a host whose turn is held.
        assert!(holds(&hosts, &start));
        assert!(holds(&hosts, &held_key));
        drop(held);
        hosts.forget(&start);
        assert!(!holds(&hosts, &start));
        assert!(!hosts.map.lock().unwrap().sites_on.contains(&start));
    }
}
