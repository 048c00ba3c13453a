//! A rectification re-check (整改复查): exactly the URLs a rectification order names, fetched
//! again as a browser (redirects followed and recorded, no links followed), written as WARC
//! evidence and logged like a sweep's records, each final page scanned with the site's register
//! facts, and recorded as a sweep of its own kind (`recheck`) closed with a signed checkpoint.
//!
//! A violation still on the page is a finding stored before (findings are kept once per site,
//! rule and excerpt), so the re-check links every finding its pages show to itself
//! (`Store::record_recheck_fetch`); `Store::recheck_findings` answers what the pages show now.
//! Casework judges compliance from that (`casework::record_recheck`). Never resumed as a crawl:
//! a re-check cut off by a stop stays unfinished, and the scheduler runs the re-check again.

use std::sync::Arc;

use chrono::Utc;
use crawl::Profile;
use detect::{Detector, PageContext};
use domain::{FetchId, SiteId, SweepId};
use store::{NewFinding, Scope, Store};
use url::Url;

use crate::error::SweepError;
use crate::run::{close_log, open_writer, SiteFacts, SweepConfig};

/// What a re-check wrote.
#[derive(Debug, Clone)]
pub struct RecheckOutcome {
    /// The re-check's sweep (kind `recheck`).
    pub sweep_id: SweepId,
    /// Every fetch recorded (each hop of each URL), in order.
    pub fetches: Vec<FetchId>,
    /// Detections on the final pages (new or found before).
    pub findings: usize,
    /// The size of the log's checkpoint signed at the end.
    pub checkpoint: Option<u64>,
}

/// Re-checks `urls` of `site` (see the module docs). A URL that does not parse is refused
/// before anything is written; a URL that cannot be reached is recorded as such.
pub async fn recheck(
    store: Arc<dyn Store>,
    detector: &Detector,
    config: &SweepConfig,
    site: SiteId,
    urls: &[String],
) -> Result<RecheckOutcome, SweepError> {
    // The re-check acts for the bureau (the scheduler): the city's scope.
    let site = store
        .site(Scope::City, site)
        .await?
        .ok_or_else(|| store::StoreError::NotFound(format!("site {site}")))?;
    let mut parsed = Vec::with_capacity(urls.len());
    for u in urls {
        parsed.push(Url::parse(u).map_err(|source| SweepError::StartUrl {
            url: u.clone(),
            source,
        })?);
    }
    let mut facts = SiteFacts::new(store.as_ref()).await?;
    facts.load(store.as_ref(), site.id, site.entity_id).await?;
    let register = facts.view(site.id);
    let sweep_id = store.create_recheck(site.id).await?;
    let mut writer = open_writer(config, sweep_id, &format!("wangjian-recheck{}", sweep_id.0))?;
    let home_path = format!("{}/", site.path_prefix.trim_end_matches('/'));
    let (mut fetches, mut found) = (Vec::new(), 0);
    for url in &parsed {
        let capture = crawl::fetch_profiles(&config.crawl, url, &[Profile::Browser])
            .await
            .pop()
            .expect("one capture per profile");
        let chain = crate::observed::redirect_chain(&capture);
        let records: Vec<_> = capture
            .exchanges
            .iter()
            .map(|ex| {
                crate::observed::record(ex, crate::observed::hop_metadata(&capture, ex, &chain))
            })
            .collect();
        let refs = writer.write_exchanges(&records)?;
        // Evidence reaches the disk before its rows reach the store.
        writer.flush()?;
        let last = capture.exchanges.len().saturating_sub(1);
        for (i, (ex, refs)) in capture.exchanges.iter().zip(&refs).enumerate() {
            let fetch = crate::observed::fetch_row(sweep_id, site.id, ex, refs);
            let findings: Vec<NewFinding> = match &ex.response {
                Some(resp) if i == last && resp.status == 200 && ex.is_html() => {
                    let decoded = ex.decoded_body();
                    let html = decoded.as_ref().map(|d| d.text.as_str()).unwrap_or("");
                    let ctx = PageContext {
                        url: ex.url.as_str(),
                        is_site_home: ex.url.path() == home_path,
                        site_kind: Some(site.kind),
                        register,
                        badges: None,
                    };
                    let now = Utc::now();
                    let pointer = crate::observed::pointer(refs);
                    detector
                        .scan_html(html, &ctx)
                        .into_iter()
                        .map(|f| NewFinding {
                            sweep_id,
                            site_id: site.id,
                            fetch_id: None,
                            url: ex.url.to_string(),
                            category: f.category,
                            rule_id: f.rule_id,
                            rule_pack: f.rule_pack,
                            severity: f.severity,
                            excerpt: f.excerpt,
                            location: f.location.as_str().to_string(),
                            evidence: Some(pointer.clone()),
                            found_at: now,
                            suppressed: f.suppressed,
                        })
                        .collect()
                }
                _ => Vec::new(),
            };
            found += findings.len();
            fetches.push(store.record_recheck_fetch(&fetch, &findings).await?);
        }
    }
    store.finish_sweep(sweep_id).await?;
    let checkpoint = close_log(store.as_ref(), config, &writer).await?;
    Ok(RecheckOutcome {
        sweep_id,
        fetches,
        findings: found,
        checkpoint,
    })
}
