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

/// Every reason code [`FetchError::code`] and [`FetchError::code_of_stored`] answer, the last
/// one (`other`) for a stored text no variant writes.
pub const FETCH_ERROR_CODES: [&str; 15] = [
    "unsupported_scheme",
    "invalid_url",
    "resolve",
    "refused_address",
    "connect_refused",
    "connect_timeout",
    "connect",
    "tls",
    "header_timeout",
    "gave_up",
    "too_many_redirects",
    "timeout",
    "http",
    "body",
    "other",
];

impl FetchError {
    /// The failure's stable reason code (one of [`FETCH_ERROR_CODES`]), for counting failures
    /// by reason (the console's `/metrics`).
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::Unsupported { .. } => "unsupported_scheme",
            FetchError::InvalidUrl(_) => "invalid_url",
            FetchError::Resolve { .. } => "resolve",
            FetchError::RefusedAddress { .. } => "refused_address",
            FetchError::ConnectRefused => "connect_refused",
            FetchError::ConnectTimeout(_) => "connect_timeout",
            FetchError::Connect(_) => "connect",
            FetchError::Tls(_) => "tls",
            FetchError::HeaderTimeout(_) => "header_timeout",
            FetchError::GaveUp(_) => "gave_up",
            FetchError::TooManyRedirects(_) => "too_many_redirects",
            FetchError::Timeout(_) => "timeout",
            FetchError::Http(_) => "http",
            FetchError::Body(_) => "body",
        }
    }

    /// The reason code of a failure as it was stored (its `Display`, the fetch row's `error`):
    /// read back by the fixed start (or shape) each variant's text has, so that counting
    /// stored failures needs no column of its own. `GaveUp` carries only its reason, so a
    /// text no other variant writes is `other`; the tests keep this in step with `Display`.
    pub fn code_of_stored(text: &str) -> &'static str {
        const PREFIXES: [(&str, &str); 10] = [
            ("unsupported scheme ", "unsupported_scheme"),
            ("invalid URL: ", "invalid_url"),
            ("cannot resolve ", "resolve"),
            ("connect timeout after ", "connect_timeout"),
            ("connect failed: ", "connect"),
            ("TLS handshake failed: ", "tls"),
            ("no response head within ", "header_timeout"),
            ("timeout after ", "timeout"),
            ("HTTP error: ", "http"),
            ("body read error: ", "body"),
        ];
        if text == "connect refused" {
            return "connect_refused";
        }
        if text.starts_with("address ") && text.ends_with(" and not allow-listed") {
            return "refused_address";
        }
        if let Some(rest) = text.strip_prefix("more than ") {
            return if rest.ends_with(" redirects") {
                "too_many_redirects"
            } else {
                "other"
            };
        }
        PREFIXES
            .iter()
            .find(|(prefix, _)| text.starts_with(prefix))
            .map_or("other", |(_, code)| code)
    }

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
    fn a_stored_failure_reads_back_as_its_code() {
        let all = [
            FetchError::Unsupported {
                scheme: "ftp".into(),
            },
            FetchError::InvalidUrl("no host".into()),
            FetchError::Resolve {
                host: "a.test".into(),
                reason: "no record".into(),
            },
            FetchError::RefusedAddress {
                addr: "10.0.0.1".parse().unwrap(),
                class: "private",
            },
            FetchError::ConnectRefused,
            FetchError::ConnectTimeout(Duration::from_secs(3)),
            FetchError::Connect("network unreachable".into()),
            FetchError::Tls("no common protocol".into()),
            FetchError::HeaderTimeout(Duration::from_secs(5)),
            FetchError::TooManyRedirects(10),
            FetchError::Timeout(Duration::from_millis(1500)),
            FetchError::Http("connection closed before message completed".into()),
            FetchError::Body("connection reset".into()),
        ];
        for e in &all {
            assert_eq!(FetchError::code_of_stored(&e.to_string()), e.code(), "{e}");
            assert!(FETCH_ERROR_CODES.contains(&e.code()));
        }
        // Every code but `gave_up` and `other` is some variant's.
        let mut seen: Vec<&str> = all.iter().map(FetchError::code).collect();
        seen.extend(["gave_up", "other"]);
        seen.sort_unstable();
        let mut codes = FETCH_ERROR_CODES.to_vec();
        codes.sort_unstable();
        assert_eq!(seen, codes);
        // A host giving up carries only its reason: it reads as `other`, like any text no
        // variant writes.
        assert_eq!(FetchError::GaveUp("too many 503".into()).code(), "gave_up");
        assert_eq!(FetchError::code_of_stored("more than enough"), "other");
        assert_eq!(FetchError::code_of_stored(""), "other");
    }

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
