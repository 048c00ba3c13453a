//! What a fetch becomes as evidence: its WARC records ([`record`]), the store's fetch row of a
//! capture written without change detection ([`fetch_row`]: probes and inspectors' captures),
//! and what it observed besides the HTTP messages, as the fields of its WARC `metadata` record
//! (`application/warc-fields`). One definition for the crawl, the probes and the captures:
//!
//! - `fetch-profile`: `crawler` (the crawler's own User-Agent) or the probe's profile name
//!   (`browser`, `baiduspider-pc`, `search-referral:baidu`, …);
//! - `dns-answer`: `HOST SOURCE ADDRESS…` as name resolution answered when the connection was
//!   opened (`SOURCE` is `system`, `override` for an operator's `--resolve` entry, or `literal`
//!   for an IP address in the URL);
//! - `server-ip`: the address and port connected to (also the response's `WARC-IP-Address`);
//! - for `https`: `tls-version`, `tls-cipher-suite`, `tls-server-name`,
//!   `tls-certificate-sha256` (the server's certificate), `tls-chain-sha256` (every certificate
//!   presented) and `tls-verified` (`yes`, or `no (why)`: an untrusted chain is captured and
//!   said so);
//! - for a fetch in a profile that follows redirects (probes, captures): `redirect-chain`
//!   (`URL STATUS -> URL STATUS -> FINAL`) and `meta-refresh` (`DELAY TARGET`) on the final page;
//! - `fetch-error`, `truncated`: why the exchange is incomplete, when it is.

use crawl::{Exchange, ProfiledCapture};
use domain::{SiteId, SweepId};
use evidence::{CaptureRefs, ExchangeRecord};
use store::{EvidencePointer, NewFetch};

/// The WARC records of `ex`, with `metadata`.
pub(crate) fn record(ex: &Exchange, metadata: Vec<(String, String)>) -> ExchangeRecord<'_> {
    ExchangeRecord {
        target_uri: ex.url.as_str(),
        date: ex.started_at,
        request_head: &ex.request_head,
        response_head: ex.response.as_ref().map(|r| r.raw.as_slice()),
        response_body: &ex.body,
        remote_ip: ex.remote_addr.map(|a| a.ip()),
        metadata,
    }
}

/// The pointer to the record a fetch row names: the response, or the request when no
/// response came.
pub(crate) fn pointer(refs: &CaptureRefs) -> EvidencePointer {
    let record = refs.response.as_ref().unwrap_or(&refs.request);
    EvidencePointer {
        warc_file: record.file.clone(),
        offset: record.offset as i64,
        digest: record.block_digest.clone(),
    }
}

/// The fetch row of `ex` written as `refs`, taken as it came (no comparison with earlier
/// sweeps: never a revisit).
pub(crate) fn fetch_row(
    sweep_id: SweepId,
    site_id: SiteId,
    ex: &Exchange,
    refs: &CaptureRefs,
) -> NewFetch {
    let record = refs.response.as_ref().unwrap_or(&refs.request);
    NewFetch {
        sweep_id,
        site_id,
        url: ex.url.to_string(),
        fetched_at: ex.started_at,
        status: ex.status().map(i32::from),
        content_type: ex.content_type().map(str::to_string),
        bytes: ex.body.len() as i64,
        payload_digest: refs
            .response
            .as_ref()
            .and_then(|r| r.payload_digest.clone()),
        error: ex.error.as_ref().map(|e| e.to_string()),
        evidence: Some(pointer(refs)),
        etag: ex.etag().map(str::to_owned),
        last_modified: ex.last_modified().map(str::to_owned),
        record_id: Some(record.record_id.clone()),
        revisit_of: None,
    }
}

/// The metadata fields of one exchange, in the order above.
pub(crate) fn exchange_metadata(ex: &Exchange) -> Vec<(String, String)> {
    let profile = ex
        .profile
        .as_ref()
        .map_or_else(|| "crawler".to_string(), |p| p.name());
    let mut m = vec![("fetch-profile".to_string(), profile)];
    if let Some(dns) = &ex.dns {
        m.push(("dns-answer".to_string(), dns.to_string()));
    }
    if let Some(addr) = ex.remote_addr {
        m.push(("server-ip".to_string(), addr.to_string()));
    }
    if let Some(tls) = &ex.tls {
        m.extend(tls.metadata());
    }
    if let Some(err) = &ex.error {
        m.push(("fetch-error".to_string(), err.to_string()));
    }
    if ex.truncated {
        m.push(("truncated".to_string(), "length".to_string()));
    }
    m
}

/// `url status -> url status -> final` for a capture that was redirected; empty otherwise.
pub(crate) fn redirect_chain(c: &ProfiledCapture) -> String {
    if c.redirect_chain.is_empty() {
        return String::new();
    }
    let mut s: Vec<String> = c
        .redirect_chain
        .iter()
        .map(|(u, st)| format!("{u} {st}"))
        .collect();
    s.push(c.final_url.to_string());
    s.join(" -> ")
}

pub(crate) fn hop_metadata(
    c: &ProfiledCapture,
    ex: &Exchange,
    chain: &str,
) -> Vec<(String, String)> {
    let mut m = crate::observed::exchange_metadata(ex);
    // The probe's own observations go after the profile, before any error.
    let at = m
        .iter()
        .position(|(k, _)| k == "fetch-error" || k == "truncated")
        .unwrap_or(m.len());
    let mut extra = Vec::new();
    if !chain.is_empty() {
        extra.push(("redirect-chain".to_string(), chain.to_string()));
    }
    if let Some(r) = c.meta_refresh.as_ref().filter(|_| ex.url == c.final_url) {
        extra.push((
            "meta-refresh".to_string(),
            format!("{} {}", r.delay_secs, r.target),
        ));
    }
    m.splice(at..at, extra);
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn metadata_names_profile_dns_server_and_tls() {
        let addr: std::net::SocketAddr = "203.0.113.5:443".parse().unwrap();
        let ex = Exchange {
            site_key: 1,
            url: url::Url::parse("https://shop.test/").unwrap(),
            depth: 0,
            kind: crawl::FetchKind::Page,
            started_at: chrono::Utc::now(),
            request_head: Vec::new(),
            response: None,
            body: Default::default(),
            truncated: true,
            remote_addr: Some(addr),
            dns: Some(Arc::new(crawl::DnsAnswer {
                host: "shop.test".into(),
                source: crawl::DnsSource::System,
                addresses: vec![addr],
            })),
            tls: Some(Arc::new(crawl::TlsInfo {
                server_name: "shop.test".into(),
                version: "TLSv1_3".into(),
                cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
                chain_sha256: vec!["sha256:aa".into(), "sha256:bb".into()],
                verified: Err("invalid peer certificate: UnknownIssuer".into()),
            })),
            error: None,
            profile: None,
            sent_validators: None,
            lastmod: None,
        };
        let m = exchange_metadata(&ex);
        let get = |k: &str| m.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("fetch-profile"), Some("crawler"));
        assert_eq!(get("dns-answer"), Some("shop.test system 203.0.113.5:443"));
        assert_eq!(get("server-ip"), Some("203.0.113.5:443"));
        assert_eq!(get("tls-certificate-sha256"), Some("sha256:aa"));
        assert_eq!(get("tls-chain-sha256"), Some("sha256:aa sha256:bb"));
        assert_eq!(
            get("tls-verified"),
            Some("no (invalid peer certificate: UnknownIssuer)")
        );
        assert_eq!(m.last().map(|(k, _)| k.as_str()), Some("truncated"));
    }
}
