//! Cloaking probes (docs/spec/hijack.md, "Probing"): each homepage fetched as a desktop browser, as
//! Baiduspider (PC and mobile) and as a browser arriving from each engine's result page; every
//! view compared with the browser's by `detect::cloaking`. A difference that brings spam, or a
//! redirect off the site, is `site.hijacked`, proven by the other profile's capture.
//!
//! [`probe_homepage`] fetches and compares one URL (no evidence, no store). [`probe_sites`] is
//! the sweep's step: it probes every site with its own host, writes every hop of every profile
//! to WARC (metadata `fetch-profile`, `redirect-chain`, `meta-refresh`) and records, for a site
//! found cloaked, one fetch (the proving capture) with its finding.

use crate::error::SweepError;
use chrono::Utc;
use crawl::{CrawlConfig, Exchange, Profile, ProfiledCapture};
use detect::{Detection, Detector, Extracted};
use domain::{SiteId, SweepId};
use evidence::WarcWriter;
use futures::StreamExt;
use std::sync::Arc;
use store::{NewFetch, NewFinding, Store};
use url::Url;

/// A meta refresh at most this many seconds away counts as a redirect.
pub const META_REFRESH_REDIRECT_SECS: u32 = 5;

/// How many sites are probed between two writes to WARC (bounds the captures held in memory).
const BATCH: usize = 32;

/// One homepage seen in every profile, and what the comparison found.
#[derive(Debug)]
pub struct ProbeResult {
    /// One capture per profile of [`Profile::STANDARD`], the browser's first.
    pub captures: Vec<ProfiledCapture>,
    /// Each `site.hijacked` finding (location `spider`), with the index in `captures` of the
    /// capture that proves it; at most one per non-browser profile.
    pub findings: Vec<(Detection, usize)>,
}

impl ProbeResult {
    /// The exchange that proves finding `i`: see [`proof_exchange`].
    pub fn proof(&self, i: usize) -> Option<&Exchange> {
        let (_, c) = self.findings.get(i)?;
        proof_exchange(&self.captures[*c])
    }
}

/// Fetches `url` in every profile of [`Profile::STANDARD`] and compares each view with the
/// browser's. When the browser's fetch got no answer at all, nothing is compared (an
/// unreachable site is not a cloaked one).
pub async fn probe_homepage(config: &CrawlConfig, url: &Url, detector: &Detector) -> ProbeResult {
    if config.obey_robots && !robots_allow(config, url).await {
        // A site that does not let wangjian fetch its homepage is not probed either.
        return ProbeResult {
            captures: Vec::new(),
            findings: Vec::new(),
        };
    }
    let captures = crawl::fetch_profiles(config, url, &Profile::STANDARD).await;
    let findings = compare(&captures, detector);
    ProbeResult { captures, findings }
}

/// Whether robots.txt lets wangjian's token fetch `url` (RFC 9309: 2xx is parsed, 4xx allows
/// everything, 5xx or no answer disallows everything; up to five redirects are followed).
async fn robots_allow(config: &CrawlConfig, url: &Url) -> bool {
    let Ok(mut robots_url) = url.join("/robots.txt") else {
        return false;
    };
    for _ in 0..=5 {
        let ex = crawl::fetch_one(config, &robots_url).await;
        let Some(resp) = ex.response.as_ref() else {
            return false;
        };
        match resp.status {
            200..=299 => {
                let robots = crawl::robots::Robots::parse(&ex.body, config.robots_token());
                return robots.is_allowed(url.path());
            }
            300..=399 => match resp
                .header("location")
                .and_then(|l| robots_url.join(l).ok())
            {
                Some(next) => robots_url = next,
                None => return true,
            },
            400..=499 => return true,
            _ => return false,
        }
    }
    false
}

/// Compares every non-browser capture with the browser capture.
pub fn compare(captures: &[ProfiledCapture], detector: &Detector) -> Vec<(Detection, usize)> {
    let Some(browser) = captures.iter().find(|c| c.profile == Profile::Browser) else {
        return Vec::new();
    };
    if browser
        .final_exchange()
        .and_then(|e| e.response.as_ref())
        .is_none()
    {
        return Vec::new();
    }
    let base = view(browser);
    let base_final = landing(browser);
    let mut out = Vec::new();
    for (i, c) in captures.iter().enumerate() {
        if c.profile == Profile::Browser {
            continue;
        }
        let other = view(c);
        let finding = detector.compare_captures(
            &base,
            &other,
            &c.profile.name(),
            Some((base_final.as_str(), landing(c).as_str())),
        );
        if let Some(f) = finding {
            out.push((f, i));
        }
    }
    out
}

/// The page a capture ends on, extracted; an empty page when it ended without HTML.
fn view(c: &ProfiledCapture) -> Extracted {
    c.final_exchange()
        .filter(|e| e.response.is_some() && e.is_html())
        .and_then(Exchange::decoded_body)
        .map(|d| detect::extract(&d.text))
        .unwrap_or_default()
}

/// Where a capture lands: the final URL, or a prompt meta refresh's target.
fn landing(c: &ProfiledCapture) -> String {
    match &c.meta_refresh {
        Some(m) if m.delay_secs <= META_REFRESH_REDIRECT_SECS => m.target.to_string(),
        _ => c.final_url.to_string(),
    }
}

/// The exchange that proves a capture's cloaking: the last hop answered by the probed host
/// (the spam page itself, or the redirect that leaves the site); a hop elsewhere would show
/// a casino's server, not the site's behaviour.
pub fn proof_exchange(c: &ProfiledCapture) -> Option<&Exchange> {
    let start = c.exchanges.first()?.url.host_str().map(str::to_owned);
    c.exchanges
        .iter()
        .rev()
        .find(|e| e.response.is_some() && e.url.host_str().map(str::to_owned) == start)
        .or_else(|| c.exchanges.first())
}

/// Totals of the probe step.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProbeTotals {
    /// Sites probed.
    pub sites: u64,
    /// Sites found cloaked (one finding recorded each).
    pub cloaked: u64,
}

/// The sweep's probe step: probes the homepage of every site with its own host (platform shops,
/// `scope_prefix` set, share their platform's host and are not probed), `config.concurrency`
/// sites at once, writes every hop through `writer`, records one fetch and one finding per
/// cloaked site, and flushes the writer, so the probes' evidence is on disk before the crawl
/// marks any site done. Returns the writer for the crawl.
pub async fn probe_sites(
    store: &Arc<dyn Store>,
    detector: &Arc<Detector>,
    config: &CrawlConfig,
    sweep_id: SweepId,
    seeds: &[crawl::SiteSeed],
    mut writer: WarcWriter,
) -> Result<(WarcWriter, ProbeTotals), SweepError> {
    let mut seen = std::collections::HashSet::new();
    let targets: Vec<(SiteId, Url)> = seeds
        .iter()
        .filter(|s| s.scope_prefix.is_none())
        .filter(|s| seen.insert(s.start.host_str().map(str::to_owned)))
        .map(|s| (SiteId(s.site_key), s.start.clone()))
        .collect();
    let mut totals = ProbeTotals::default();
    for batch in targets.chunks(BATCH) {
        let results: Vec<(SiteId, ProbeResult)> = futures::stream::iter(batch.iter().cloned())
            .map(|(site, url)| async move { (site, probe_homepage(config, &url, detector).await) })
            .buffered(config.concurrency.max(1))
            .collect()
            .await;
        totals.sites += results.len() as u64;
        // Compression is CPU work: off the runtime's workers.
        let (w, proofs) =
            tokio::task::spawn_blocking(move || write_batch(writer, results, sweep_id)).await??;
        writer = w;
        for (fetch, finding) in proofs {
            store.record_fetch(&fetch, &[finding]).await?;
            totals.cloaked += 1;
        }
    }
    writer.flush()?;
    Ok((writer, totals))
}

/// Writes every hop of every capture (one parallel batch); returns the fetch and finding to
/// record per cloaked site.
#[allow(clippy::type_complexity)]
fn write_batch(
    mut writer: WarcWriter,
    results: Vec<(SiteId, ProbeResult)>,
    sweep_id: SweepId,
) -> Result<(WarcWriter, Vec<(NewFetch, NewFinding)>), SweepError> {
    // The proving exchange of each site found cloaked (its first finding).
    let proofs: Vec<Option<&Exchange>> = results
        .iter()
        .map(|(_, r)| r.findings.first().and_then(|_| r.proof(0)))
        .collect();
    let mut owners = Vec::new();
    let mut records = Vec::new();
    for (si, (_, result)) in results.iter().enumerate() {
        for capture in &result.captures {
            let chain = crate::observed::redirect_chain(capture);
            for ex in &capture.exchanges {
                owners.push((si, ex));
                records.push(crate::observed::record(
                    ex,
                    crate::observed::hop_metadata(capture, ex, &chain),
                ));
            }
        }
    }
    let refs = writer.write_exchanges(&records)?;
    let mut out = Vec::new();
    for ((si, ex), refs) in owners.into_iter().zip(refs) {
        let Some(proof) = proofs[si].filter(|p| std::ptr::eq(*p, ex)) else {
            continue;
        };
        let (site_id, result) = &results[si];
        let finding = &result.findings[0].0;
        let pointer = crate::observed::pointer(&refs);
        let fetch = crate::observed::fetch_row(sweep_id, *site_id, proof, &refs);
        let finding = NewFinding {
            sweep_id,
            site_id: *site_id,
            fetch_id: None,
            url: proof.url.to_string(),
            category: finding.category,
            rule_id: finding.rule_id.clone(),
            rule_pack: finding.rule_pack.clone(),
            severity: finding.severity,
            excerpt: finding.excerpt.clone(),
            location: finding.location.as_str().to_string(),
            evidence: Some(pointer),
            found_at: Utc::now(),
            suppressed: None,
        };
        out.push((fetch, finding));
    }
    Ok((writer, out))
}
