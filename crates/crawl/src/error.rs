//! Error types of the crawler.
//!
//! Owns [`FetchError`] (why one fetch failed; carried as data inside an
//! [`Exchange`](crate::Exchange), never as a panic) and [`CrawlError`] (bad configuration).
//! Must not hold non-`Clone` sources such as `hyper::Error` or `io::Error`: an exchange is
//! evidence that is copied around, so causes are kept as their human-readable text.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// Why a single fetch failed. `Display` is a short human reason suitable for a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL's scheme cannot be fetched (only `http` and `https` can).
    #[error("unsupported scheme {scheme}: only http and https are fetched")]
    Unsupported {
        /// The scheme that was refused.
        scheme: String,
    },
    /// The URL cannot be turned into a request (no host, unencodable path...).
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// Name resolution failed or returned no address.
    #[error("cannot resolve {host}: {reason}")]
    Resolve {
        /// Host name that was looked up.
        host: String,
        /// Resolver's message.
        reason: String,
    },
    /// The resolved address is not public and was not allow-listed (SSRF guard).
    #[error("address {addr} is {class} and not allow-listed")]
    RefusedAddress {
        /// The refused address.
        addr: IpAddr,
        /// Its class, e.g. "private", "loopback", "link-local".
        class: &'static str,
    },
    /// The peer actively refused the TCP connection.
    #[error("connect refused")]
    ConnectRefused,
    /// The TCP connection (or HTTP handshake) did not complete within `connect_timeout`.
    #[error("connect timeout after {}", HumanDuration(*.0))]
    ConnectTimeout(Duration),
    /// Any other connect failure (unreachable network, reset...).
    #[error("connect failed: {0}")]
    Connect(String),
    /// The TLS handshake failed (no common protocol, bad handshake signature, reset…). An
    /// untrusted certificate is not a failure: it is recorded with the capture.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// No response head arrived within `header_timeout` of sending the request.
    #[error("no response head within {}", HumanDuration(*.0))]
    HeaderTimeout(Duration),
    /// The host answered 429/503 too often; the crawl gave up on it (the reason says why).
    #[error("{0}")]
    GaveUp(String),
    /// A redirect chain was longer than the limit.
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    /// The request (head and body) did not complete within `request_timeout`.
    #[error("timeout after {}", HumanDuration(*.0))]
    Timeout(Duration),
    /// The peer broke the HTTP protocol or closed the connection before a response head.
    #[error("HTTP error: {0}")]
    Http(String),
    /// The body could not be read to its end (connection reset, bad chunking...).
    #[error("body read error: {0}")]
    Body(String),
}

impl FetchError {
    /// True when the failure happened before any HTTP exchange could take place
    /// (the host is unreachable rather than misbehaving).
    pub fn is_connect_level(&self) -> bool {
        matches!(
            self,
            FetchError::Resolve { .. }
                | FetchError::RefusedAddress { .. }
                | FetchError::ConnectRefused
                | FetchError::ConnectTimeout(_)
                | FetchError::Connect(_)
                | FetchError::Tls(_)
                | FetchError::Unsupported { .. }
                | FetchError::InvalidUrl(_)
        )
    }
}

/// Configuration errors of the crawler.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrawlError {
    /// A `--resolve` entry that does not follow `HOST:PORT:ADDRESS[:PORT]`.
    #[error("invalid resolve entry {entry:?}: {reason}")]
    InvalidResolve {
        /// The entry as given.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Formats a duration the way people write it: `10s`, `1.5s`, `200ms`.
pub(crate) struct HumanDuration(pub(crate) Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.subsec_nanos() == 0 {
            write!(f, "{}s", d.as_secs())
        } else if d < Duration::from_secs(1) {
            write!(f, "{}ms", d.as_millis())
        } else {
            write!(f, "{:.1}s", d.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_a_human_reason() {
        assert_eq!(
            FetchError::Timeout(Duration::from_secs(10)).to_string(),
            "timeout after 10s"
        );
        assert_eq!(
            FetchError::ConnectTimeout(Duration::from_millis(250)).to_string(),
            "connect timeout after 250ms"
        );
        assert_eq!(FetchError::ConnectRefused.to_string(), "connect refused");
        assert_eq!(
            FetchError::RefusedAddress {
                addr: "10.0.0.1".parse().unwrap(),
                class: "private"
            }
            .to_string(),
            "address 10.0.0.1 is private and not allow-listed"
        );
    }
}
