//! Proving control of a domain, the way ACME does: a token served over the site at
//! `/.well-known/wangjian-badge/TOKEN` (fetched with the crawler, under its address policy:
//! a private address is refused unless allow-listed), or a DNS TXT record
//! `_wangjian-badge.<domain>` holding the token (resolved with hickory, against the configured
//! name servers or the system's). The result is a `ProofResult` code and a detail (an HTTP
//! status, a fetch or DNS error kind) — never a sentence.

use crate::BadgeSettings;
use domain::badge::{DNS_LABEL, WELL_KNOWN_PREFIX};
use domain::{ProofMethod, ProofResult};
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::Resolver;
use std::time::Duration;
use store::Badge;

/// The longest well-known body read as a token (bytes).
const MAX_PROOF_BYTES: usize = 4096;

/// Tries the badge's method once.
pub async fn check(settings: &BadgeSettings, badge: &Badge) -> (ProofResult, Option<String>) {
    match badge.method {
        ProofMethod::WellKnown => well_known(settings, &badge.domain, &badge.proof_token).await,
        ProofMethod::DnsTxt => {
            dns_txt(&settings.name_servers, &badge.domain, &badge.proof_token).await
        }
    }
}

/// The URL of the well-known file on `host`.
pub fn well_known_url(host: &str, token: &str) -> String {
    format!("http://{host}{WELL_KNOWN_PREFIX}{token}")
}

/// The DNS name of the TXT record.
pub fn txt_name(domain: &str) -> String {
    format!("{DNS_LABEL}.{domain}")
}

/// Fetches the file from the domain, then from its `www.` name when the domain itself cannot
/// be reached or redirects (redirects are not followed); the body (trimmed) must be the token.
pub async fn well_known(
    settings: &BadgeSettings,
    domain: &str,
    token: &str,
) -> (ProofResult, Option<String>) {
    let mut config = (*settings.crawl).clone();
    config.max_body_bytes = MAX_PROOF_BYTES;
    let mut last = (ProofResult::Unreachable, None);
    for host in [domain.to_string(), format!("www.{domain}")] {
        let Ok(url) = url::Url::parse(&well_known_url(&host, token)) else {
            continue;
        };
        let ex = crawl::fetch_one(&config, &url).await;
        let Some(resp) = &ex.response else {
            last = (
                ProofResult::Unreachable,
                ex.error.as_ref().map(|e| e.to_string()),
            );
            continue;
        };
        if (300..400).contains(&resp.status) {
            // Redirects are not followed; the `www.` name is tried next (a bare domain
            // commonly redirects there).
            last = (ProofResult::NotFound, Some(format!("HTTP {}", resp.status)));
            continue;
        }
        if resp.status != 200 {
            return (ProofResult::NotFound, Some(format!("HTTP {}", resp.status)));
        }
        let body = ex.decoded_body().map(|d| d.text).unwrap_or_default();
        return if !ex.truncated && body.trim() == token {
            (ProofResult::Proven, None)
        } else {
            (ProofResult::WrongContent, None)
        };
    }
    last
}

/// Looks the TXT record up; one of its strings (or their concatenation) must be the token.
pub async fn dns_txt(
    name_servers: &[std::net::SocketAddr],
    domain: &str,
    token: &str,
) -> (ProofResult, Option<String>) {
    let provider = TokioConnectionProvider::default();
    let builder = if name_servers.is_empty() {
        match Resolver::builder(provider) {
            Ok(b) => b,
            Err(e) => return (ProofResult::DnsFailed, Some(e.to_string())),
        }
    } else {
        let mut config = ResolverConfig::new();
        for ns in name_servers {
            config.add_name_server(NameServerConfig::new(*ns, Protocol::Udp));
        }
        Resolver::builder_with_config(config, provider)
    };
    let mut builder = builder;
    let opts = builder.options_mut();
    opts.timeout = Duration::from_secs(5);
    opts.attempts = 2;
    opts.cache_size = 0;
    let resolver = builder.build();
    let name = format!("{}.", txt_name(domain));
    match resolver.txt_lookup(name).await {
        Ok(lookup) => {
            let found = lookup.iter().any(|txt| {
                let parts: Vec<&[u8]> = txt.txt_data().iter().map(|b| &b[..]).collect();
                parts.iter().any(|p| p.trim_ascii() == token.as_bytes())
                    || parts.concat().trim_ascii() == token.as_bytes()
            });
            if found {
                (ProofResult::Proven, None)
            } else {
                (ProofResult::WrongContent, None)
            }
        }
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => (ProofResult::DnsNoRecord, None),
        Err(e) => (ProofResult::DnsFailed, Some(e.to_string())),
    }
}
