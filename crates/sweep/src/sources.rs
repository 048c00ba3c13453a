//! Discovery from outside the crawl: other departments' filings that name a web address no
//! registered site covers, and certificate transparency logs. Both record discoveries one hop
//! from the register ([`store::NewDiscovery`] with the filing or the certificate as evidence),
//! which the next sweep crawls like any other; reading the same filing or log entry again
//! changes nothing.

use crate::error::SweepError;
use domain::locality::City;
use domain::SiteAddress;
use store::{DiscoverySource, FilingSighting, NewDiscovery, Sighting, Store};

/// What [`from_filings`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FilingsFound {
    /// Filings naming an address no registered site covers.
    pub unsited: usize,
    /// Of those, the ones whose operator is in the city (by USCC division, ICP province or
    /// address).
    pub in_city: usize,
    /// Sites seen for the first time.
    pub new_sites: usize,
}

/// Every filing (a telecom ICP filing, a food licence that shows a web address) whose address
/// no registered site covers and whose operator is in `city` becomes a discovered site with
/// the filing row as its evidence.
pub async fn from_filings(store: &dyn Store, city: &City) -> Result<FilingsFound, SweepError> {
    let filings = store.unsited_filings().await?;
    let mut found = Vec::new();
    for f in &filings {
        let input = &f.input;
        let Some(addr) = input
            .domain
            .as_deref()
            .and_then(|d| SiteAddress::parse(d).ok())
        else {
            continue;
        };
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<String>>();
        let icps = if input.kind == "icp" {
            one(&input.number)
        } else {
            Vec::new()
        };
        let indicators = city.indicators(&domain::locality::Shown {
            addresses: &one(&input.address),
            phones: &[],
            icps: &icps,
            usccs: &one(&input.uscc),
            names: &one(&input.name),
        });
        if indicators.is_empty() {
            continue;
        }
        found.push(NewDiscovery {
            host: addr.host.clone(),
            path_prefix: addr.path_prefix.clone(),
            source: DiscoverySource::Filing,
            hops: 1,
            sighting: Sighting {
                filing: Some(FilingSighting {
                    filing_id: f.id,
                    source: input.source.clone(),
                    record_key: input.record_key.clone(),
                    kind: input.kind.clone(),
                    domain: addr.to_string(),
                    number: input.number.clone(),
                    name: input.name.clone(),
                    uscc: input.uscc.clone(),
                    address: input.address.clone(),
                }),
                ..Sighting::default()
            },
            indicators,
        });
    }
    let new_sites = store.record_discoveries(&found).await?;
    Ok(FilingsFound {
        unsited: filings.len(),
        in_city: found.len(),
        new_sites,
    })
}

/// Entries per verified batch when no one says otherwise.
pub const CT_BATCH: u64 = 256;

/// What [`poll_ct`] did with one log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CtPolled {
    /// Entries read and verified in this poll (skipped ones included).
    pub read: u64,
    /// The entries that could not be read: index, reason code and detail.
    pub skipped: Vec<(u64, String, String)>,
    /// Sites seen for the first time.
    pub new_sites: usize,
    /// The size of the newest verified tree head (0 when none was verified).
    pub tree_size: u64,
    /// Why the log is not trusted this time (code, detail): its position did not move past
    /// the last verified batch.
    pub failure: Option<(String, String)>,
}

/// Reads a certificate transparency log from where it was left (`ct::Monitor`: every tree
/// head's signature and consistency checked, every batch of entries proved part of a signed
/// tree) and records, batch by batch with the new position in one transaction, the names on
/// certificates that point to the city: a subdomain of a registered site, a host that
/// imitates one, or a subject whose organisation or locality is in `city`. A log that fails is
/// recorded as failed and its position stays; a malformed entry is skipped with its index and
/// reason while the rest is read. Killed midway, it resumes from the last saved batch.
pub async fn poll_ct(
    store: &dyn Store,
    crawl: &crawl::CrawlConfig,
    city: &City,
    log: &ct::LogConfig,
    batch_size: u64,
) -> Result<CtPolled, SweepError> {
    let log_id = hex::encode(log.log_id());
    let state = store.ct_log(&log.name, log.url.as_str(), &log_id).await?;
    let mut polled = CtPolled::default();
    let saved = match state.position.map(serde_json::from_value::<ct::Position>) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            let detail = format!("the saved position cannot be read: {e}");
            store.ct_failure(&log.name, "bad_position", &detail).await?;
            polled.failure = Some(("bad_position".into(), detail));
            return Ok(polled);
        }
    };
    let known = crate::discover::KnownHosts::load(store).await?;
    let mut monitor = ct::Monitor::new(crawl.clone(), log.clone(), saved, batch_size);
    let failed = |f: ct::Failure| (f.code().to_string(), f.to_string());
    match monitor.head().await {
        Ok(head) => polled.tree_size = head.size,
        Err(f) => polled.failure = Some(failed(f)),
    }
    while polled.failure.is_none() {
        match monitor.next_batch().await {
            Ok(None) => break,
            Ok(Some(batch)) => {
                let mut found = Vec::new();
                for e in &batch.entries {
                    found.extend(certificate_sites(&log.name, e, city, &known));
                }
                for s in &batch.skipped {
                    tracing::warn!(log = %log.name, index = s.index, reason = s.reason.code(), "certificate entry skipped: {}", s.reason);
                    polled.skipped.push((
                        s.index,
                        s.reason.code().to_string(),
                        s.reason.to_string(),
                    ));
                }
                let read = (batch.entries.len() + batch.skipped.len()) as u64;
                // Plain numbers and hex strings: serializing cannot fail.
                let position = serde_json::to_value(&batch.position)
                    .expect("a CT position serializes to JSON");
                polled.new_sites += store
                    .save_ct_batch(
                        &log.name,
                        &position,
                        read as i64,
                        batch.skipped.len() as i64,
                        &found,
                    )
                    .await?;
                polled.read += read;
            }
            Err(f) => polled.failure = Some(failed(f)),
        }
    }
    if let Some((code, detail)) = &polled.failure {
        store.ct_failure(&log.name, code, detail).await?;
    }
    Ok(polled)
}

/// The sites a certificate points to in the city: each name (a wildcard's base) that is no
/// registered site itself but a subdomain of one, a look-alike of one, or on a certificate
/// whose subject is in the city.
fn certificate_sites(
    log: &str,
    e: &ct::Entry,
    city: &City,
    known: &crate::discover::KnownHosts,
) -> Vec<NewDiscovery> {
    let subject = city.subject_in_city(e.organization.as_deref(), e.locality.as_deref());
    let mut out: Vec<NewDiscovery> = Vec::new();
    for name in &e.dns_names {
        let host = name.trim_start_matches("*.").to_ascii_lowercase();
        let Ok(addr) = SiteAddress::parse(&host) else {
            continue;
        };
        let bare = domain::address::bare_host(&addr.host);
        if known.is_registered(bare) {
            continue;
        }
        let subdomain = known.parent_of(bare).is_some();
        let imitates = known.imitates(&addr.host).is_some();
        if !(subdomain || imitates || subject.is_some()) {
            continue;
        }
        if out
            .iter()
            .any(|d| domain::address::bare_host(&d.host) == bare)
        {
            continue;
        }
        out.push(NewDiscovery {
            host: addr.host.clone(),
            path_prefix: String::new(),
            source: DiscoverySource::Ct,
            hops: 1,
            sighting: Sighting {
                certificate: Some(store::CertSighting {
                    log: log.to_string(),
                    index: e.index,
                    fingerprint: e.fingerprint.clone(),
                    precert: e.precert,
                    names: e.dns_names.clone(),
                    organization: e.organization.clone(),
                    locality: e.locality.clone(),
                    issuer: e.issuer.clone(),
                    not_before: e.not_before,
                    not_after: e.not_after,
                    logged_at: e.timestamp,
                }),
                ..Sighting::default()
            },
            indicators: subject.iter().cloned().collect(),
        });
    }
    out
}
