//! Cloaking probes (docs/spec/hijack.md, "Probing"): each homepage fetched as a desktop browser, as
//! Baiduspider (PC and mobile) and as a browser arriving from each engine's result page; every
//! view compared with the browser's by `detect::cloaking`. A difference that brings spam, or a
//! redirect off the site, is `site.hijacked`, proven by the other profile's capture.
//!
//! Rendered probes (hijack.md, "Probing" 5): a homepage whose scripts may act on who visits is
//! also rendered in the guarded headless Chromium (`crawl::browser::render`, scripts run,
//! every request through the crawler's address policy) as a direct visitor (`render`) and as a
//! visitor arriving from Baidu, Sogou and 360 (`render-baidu`, `render-sogou`, `render-360`),
//! and each settled DOM compared like a fetched profile: the direct render with the fetched
//! browser view, each engine's with the direct render (the fetched view when the direct render
//! failed). A script redirect off the site, or a title swapped to spam, is `site.hijacked`
//! proven by the rendered capture.
//!
//! Which homepages are rendered ([`render_trigger`]): rendering costs a browser, so only those
//! whose scripts could cloak — the inline scripts of the fetched browser view and at most
//! [`MAX_SCRIPT_FILES`] `<script src>` files of the same site (fetched here, not kept as
//! evidence), when one contains a token of [`RENDER_TRIGGERS`]: `document.referrer`,
//! `location` (`window.location` too), `document.title`, or obfuscation (`String.fromCharCode`,
//! `atob(`, `eval(`, `\x`/`\u` escapes). A page without scripts is never rendered.
//!
//! [`probe_homepage`] fetches and compares one URL (no evidence, no store);
//! [`probe_homepage_with`] also renders it. [`probe_sites`] is the sweep's step: it probes every
//! site with its own host, writes every hop of every profile to WARC (metadata `fetch-profile`,
//! `redirect-chain`, `meta-refresh`), every render as a `resource` record of its final DOM
//! (`text/html`, target `urn:render:<profile>:<url>`) and a `metadata` record beside it (the
//! navigations, the network log one request a line, the proxy's refusals; a failed render as
//! a metadata record with its `render-error`), and records, for a site found cloaked, one fetch
//! (the proving capture: a fetched hop, else the rendered DOM) with its finding.

use crate::error::SweepError;
use chrono::{DateTime, Utc};
use crawl::browser::{BrowserConfig, FailedVisit, RenderLimits, Rendering, Visitor};
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

/// Tokens of a script that make its homepage rendered (see the module documentation).
pub const RENDER_TRIGGERS: [&str; 8] = [
    "document.referrer",
    "location",
    "document.title",
    "String.fromCharCode",
    "atob(",
    "eval(",
    "\\x",
    "\\u",
];

/// At most this many same-site `<script src>` files are fetched to decide on rendering.
pub const MAX_SCRIPT_FILES: usize = 4;

/// How homepages are rendered: the browser (its address policy is the crawler's, set by
/// [`RenderProbes::new`]), the bounds of one visit, the visitors, and how many homepages render
/// at once (each render is one browser).
#[derive(Debug, Clone)]
pub struct RenderProbes {
    pub browser: BrowserConfig,
    pub limits: RenderLimits,
    pub visitors: Vec<Visitor>,
    gate: Arc<tokio::sync::Semaphore>,
}

impl RenderProbes {
    /// Renders with `browser` under `crawl`'s address policy, [`Visitor::STANDARD`], default
    /// limits, two homepages at a time.
    pub fn new(browser: BrowserConfig, crawl: &CrawlConfig) -> Self {
        RenderProbes {
            browser: browser.with_address_policy(&crawl.resolve, crawl.allow_private),
            limits: RenderLimits::default(),
            visitors: Visitor::STANDARD.to_vec(),
            gate: Arc::new(tokio::sync::Semaphore::new(2)),
        }
    }

    /// The same, with `n` homepages rendered at once (at least one).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.gate = Arc::new(tokio::sync::Semaphore::new(n.max(1)));
        self
    }
}

/// A homepage's renders.
#[derive(Debug)]
pub struct RenderOutcome {
    /// Why it was rendered: the trigger found and where (`document.referrer in inline script`).
    pub trigger: String,
    /// When rendering started.
    pub at: DateTime<Utc>,
    /// One per visitor: the settled page, or the failed visit with its reason.
    pub visits: Vec<Result<Rendering, FailedVisit>>,
    /// The browser could not be run at all (its reason); `visits` is then empty.
    pub error: Option<String>,
}

/// One homepage seen in every profile, and what the comparison found.
#[derive(Debug)]
pub struct ProbeResult {
    /// One capture per profile of [`Profile::STANDARD`], the browser's first.
    pub captures: Vec<ProfiledCapture>,
    /// Each `site.hijacked` finding (location `spider`), with the index in `captures` of the
    /// capture that proves it; at most one per non-browser profile.
    pub findings: Vec<(Detection, usize)>,
    /// The renders, when the homepage was rendered.
    pub rendered: Option<RenderOutcome>,
    /// Each `site.hijacked` finding of a render, with the index in `rendered.visits` of the
    /// render that proves it.
    pub render_findings: Vec<(Detection, usize)>,
}

impl ProbeResult {
    /// The exchange that proves finding `i`: see [`proof_exchange`].
    pub fn proof(&self, i: usize) -> Option<&Exchange> {
        let (_, c) = self.findings.get(i)?;
        proof_exchange(&self.captures[*c])
    }

    /// Every `site.hijacked` finding with the profile that proved it (`baiduspider-pc`,
    /// `search-referral:baidu`, `render-baidu`…): fetched ones first.
    pub fn all_findings(&self) -> Vec<(&Detection, String)> {
        let fetched = self
            .findings
            .iter()
            .map(|(d, i)| (d, self.captures[*i].profile.name()));
        let rendered = self.render_findings.iter().filter_map(|(d, i)| {
            let r = self.rendered.as_ref()?.visits.get(*i)?.as_ref().ok()?;
            Some((d, r.visitor.name()))
        });
        fetched.chain(rendered).collect()
    }

    /// The visits that failed (a page that never settled, a crashed renderer…).
    pub fn failed_renders(&self) -> impl Iterator<Item = &FailedVisit> {
        self.rendered
            .iter()
            .flat_map(|r| r.visits.iter())
            .filter_map(|v| v.as_ref().err())
    }
}

/// Fetches `url` in every profile of [`Profile::STANDARD`] and compares each view with the
/// browser's. When the browser's fetch got no answer at all, nothing is compared (an
/// unreachable site is not a cloaked one). No rendering: see [`probe_homepage_with`].
pub async fn probe_homepage(config: &CrawlConfig, url: &Url, detector: &Detector) -> ProbeResult {
    probe_homepage_with(config, url, detector, None).await
}

/// [`probe_homepage`], and with `render`, renders the homepage as each visitor when its
/// scripts call for it ([`render_trigger`]) and compares the renders too.
pub async fn probe_homepage_with(
    config: &CrawlConfig,
    url: &Url,
    detector: &Detector,
    render: Option<&RenderProbes>,
) -> ProbeResult {
    if config.obey_robots && !robots_allow(config, url).await {
        // A site that does not let wangjian fetch its homepage is not probed either.
        return ProbeResult {
            captures: Vec::new(),
            findings: Vec::new(),
            rendered: None,
            render_findings: Vec::new(),
        };
    }
    let captures = crawl::fetch_profiles(config, url, &Profile::STANDARD).await;
    let findings = compare(&captures, detector);
    let mut result = ProbeResult {
        captures,
        findings,
        rendered: None,
        render_findings: Vec::new(),
    };
    let Some(render) = render else {
        return result;
    };
    let Some(trigger) = render_trigger(config, &result.captures).await else {
        return result;
    };
    let outcome = render_homepage(render, url, &result.captures, trigger).await;
    result.render_findings = compare_renders(&result.captures, &outcome.visits, detector);
    result.rendered = Some(outcome);
    result
}

/// Renders `url` as each visitor of `render` (one browser, on a blocking thread, at most
/// the gate's number at once). The page's host is pinned to the address the browser probe's
/// fetch connected to, so the render shows the server the WARC records show.
async fn render_homepage(
    render: &RenderProbes,
    url: &Url,
    captures: &[ProfiledCapture],
    trigger: String,
) -> RenderOutcome {
    let mut browser = render.browser.clone();
    let pinned = captures
        .iter()
        .find(|c| c.profile == Profile::Browser)
        .and_then(|c| c.exchanges.first())
        .and_then(|e| {
            Some((
                e.url.host_str()?.to_owned(),
                e.url.port_or_known_default()?,
                e.remote_addr?,
            ))
        });
    if let Some((host, port, addr)) = pinned {
        browser = browser.pin(&host, port, addr);
    }
    let _permit = render.gate.acquire().await;
    let at = Utc::now();
    let (limits, visitors, url) = (render.limits, render.visitors.clone(), url.clone());
    let done = tokio::task::spawn_blocking(move || {
        crawl::browser::render(&browser, &url, &visitors, &limits)
    })
    .await;
    let (visits, error) = match done {
        Ok(Ok(visits)) => (visits, None),
        Ok(Err(e)) => (Vec::new(), Some(format!("{}: {e}", e.code()))),
        Err(e) => (Vec::new(), Some(format!("panic: {e}"))),
    };
    RenderOutcome {
        trigger,
        at,
        visits,
        error,
    }
}

/// Whether (and why) a homepage is rendered: the first [`RENDER_TRIGGERS`] token in an inline
/// script of the fetched browser view, else in one of its first [`MAX_SCRIPT_FILES`]
/// `<script src>` files on the same site.
pub async fn render_trigger(config: &CrawlConfig, captures: &[ProfiledCapture]) -> Option<String> {
    let browser = captures.iter().find(|c| c.profile == Profile::Browser)?;
    let ex = browser
        .final_exchange()
        .filter(|e| e.response.is_some() && e.is_html())?;
    let page = ex.decoded_body()?.text;
    let scripts = scripts(&page);
    for body in &scripts.inline {
        if let Some(t) = trigger_in(body) {
            return Some(format!("{t} in an inline script"));
        }
    }
    let host = ex
        .url
        .host_str()
        .map(domain::address::bare_host)?
        .to_owned();
    let same_site: Vec<Url> = scripts
        .src
        .iter()
        .filter_map(|s| ex.url.join(s).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| u.host_str().map(domain::address::bare_host) == Some(host.as_str()))
        .take(MAX_SCRIPT_FILES)
        .collect();
    for u in same_site {
        let got = crawl::fetch_one(config, &u).await;
        if got.status().is_some_and(|s| (200..300).contains(&s)) {
            let text = String::from_utf8_lossy(&got.body);
            if let Some(t) = trigger_in(&text) {
                return Some(format!("{t} in {u}"));
            }
        }
    }
    None
}

/// The first trigger token in a script.
pub fn trigger_in(script: &str) -> Option<&'static str> {
    RENDER_TRIGGERS.iter().copied().find(|t| script.contains(t))
}

/// A page's scripts: inline bodies and `src` values, in order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scripts {
    pub inline: Vec<String>,
    pub src: Vec<String>,
}

/// The `<script>` elements of `html` (a plain scan: tag names case-insensitive, attribute
/// values quoted or not; an unclosed script runs to the end).
pub fn scripts(html: &str) -> Scripts {
    let lower = html.to_ascii_lowercase();
    let mut out = Scripts::default();
    let mut at = 0;
    while let Some(i) = lower[at..].find("<script") {
        let start = at + i;
        let after = start + "<script".len();
        if lower[after..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            at = after;
            continue;
        }
        let Some(gt) = lower[after..].find('>') else {
            break;
        };
        let attrs = &html[after..after + gt];
        let body_start = after + gt + 1;
        let body_end = lower[body_start..]
            .find("</script")
            .map_or(html.len(), |j| body_start + j);
        match attr(attrs, "src") {
            Some(src) if !src.is_empty() => out.src.push(src),
            _ => out.inline.push(html[body_start..body_end].to_string()),
        }
        at = body_end;
    }
    out
}

/// The value of attribute `name` in a tag's attribute text.
fn attr(attrs: &str, name: &str) -> Option<String> {
    let lower = attrs.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_at = attrs.len() - rest.len() + 1;
        let v = attrs[value_at..].trim_start();
        return Some(match v.chars().next() {
            Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or("").to_string(),
            _ => v
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()
                .unwrap_or("")
                .to_string(),
        });
    }
    None
}

/// Compares each render like a fetched profile: the direct render with the fetched browser
/// view; each engine's render with the direct render (with the fetched view when the direct
/// render failed). Nothing when the fetched browser view got no answer.
pub fn compare_renders(
    captures: &[ProfiledCapture],
    visits: &[Result<Rendering, FailedVisit>],
    detector: &Detector,
) -> Vec<(Detection, usize)> {
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
    let fetched = (view(browser), landing(browser));
    let direct = visits.iter().find_map(|v| {
        v.as_ref()
            .ok()
            .filter(|r| r.visitor == Visitor::Direct)
            .map(|r| (detect::extract(&r.dom), r.final_url.clone()))
    });
    let mut out = Vec::new();
    for (i, v) in visits.iter().enumerate() {
        let Ok(r) = v else { continue };
        let (base, base_final) = match (&direct, r.visitor) {
            (Some(d), Visitor::From(_)) => (&d.0, d.1.as_str()),
            _ => (&fetched.0, fetched.1.as_str()),
        };
        let other = detect::extract(&r.dom);
        if let Some(f) = detector.compare_captures(
            base,
            &other,
            &r.visitor.name(),
            Some((base_final, r.final_url.as_str())),
        ) {
            out.push((f, i));
        }
    }
    out
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
    /// Homepages rendered (their scripts called for it).
    pub rendered: u64,
    /// Rendered visits that failed (never settled, crashed, could not load, no browser).
    pub render_failures: u64,
    /// Sites found cloaked only by a render (counted in `cloaked` too).
    pub cloaked_by_render: u64,
}

/// The sweep's probe step: probes the homepage of every site with its own host (platform shops,
/// `scope_prefix` set, share their platform's host and are not probed), `config.concurrency`
/// sites at once, writes every hop through `writer`, records one fetch and one finding per
/// cloaked site, and flushes the writer, so the probes' evidence is on disk before the crawl
/// marks any site done. Returns the writer for the crawl.
///
/// With `render`, homepages whose scripts call for it are also rendered (see the module
/// documentation); a failed render is recorded as such and the step goes on.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn probe_sites(
    store: &Arc<dyn Store>,
    detector: &Arc<Detector>,
    config: &CrawlConfig,
    render: Option<&RenderProbes>,
    sweep_id: SweepId,
    seeds: &[&crawl::SiteSeed],
    mut writer: WarcWriter,
    leases: Option<&crate::run::Leased>,
) -> Result<(WarcWriter, ProbeTotals), SweepError> {
    // The seeds are borrowed, not copied: a province's sweep probes some 90,000 homepages.
    let mut seen = std::collections::HashSet::new();
    let targets: Vec<(SiteId, &Url)> = seeds
        .iter()
        .filter(|s| s.scope_prefix.is_none())
        .filter(|s| seen.insert(s.start.host_str()))
        .map(|s| (SiteId(s.site_key), &s.start))
        .collect();
    drop(seen);
    let mut totals = ProbeTotals::default();
    for batch in targets.chunks(BATCH) {
        // The batch's own copies: a stream over borrowed items would not be `Send` for every
        // lifetime, which the sweep's task must be.
        let owned: Vec<(SiteId, Url)> = batch.iter().map(|&(s, u)| (s, u.clone())).collect();
        let results: Vec<(SiteId, ProbeResult)> = futures::stream::iter(owned)
            .map(|(site, url)| async move {
                (
                    site,
                    probe_homepage_with(config, &url, detector, render).await,
                )
            })
            .buffered(config.concurrency.max(1))
            .collect()
            .await;
        totals.sites += results.len() as u64;
        for (_, r) in &results {
            if let Some(o) = &r.rendered {
                totals.rendered += 1;
                totals.render_failures += o.visits.iter().filter(|v| v.is_err()).count() as u64;
                if o.error.is_some() {
                    totals.render_failures += 1;
                }
                if r.findings.is_empty() && !r.render_findings.is_empty() {
                    totals.cloaked_by_render += 1;
                }
            }
        }
        // Compression is CPU work: off the runtime's workers. A worker's records are in the
        // log (flushed) before their fetches are recorded under the lease.
        let leased = leases.is_some();
        let (w, proofs) = tokio::task::spawn_blocking(move || {
            let (mut w, proofs) = write_batch(writer, results, sweep_id)?;
            if leased {
                w.flush()?;
            }
            Ok::<_, SweepError>((w, proofs))
        })
        .await??;
        writer = w;
        totals.cloaked += proofs.len() as u64;
        match leases {
            None => {
                for (fetch, finding) in proofs {
                    store.record_fetch(&fetch, &[finding]).await?;
                }
            }
            Some(leases) => {
                // Per host: its sites marked probed with its proofs, in one transaction under
                // its lease, so a later holder neither probes again nor records them twice.
                let mut by_host: std::collections::BTreeMap<&str, (Vec<SiteId>, Vec<_>)> =
                    Default::default();
                for (site, _) in batch {
                    if let Some(lease) = leases.by_site.get(site) {
                        by_host.entry(&lease.host).or_default().0.push(*site);
                    }
                }
                for (fetch, finding) in proofs {
                    if let Some(lease) = leases.by_site.get(&fetch.site_id) {
                        by_host
                            .entry(&lease.host)
                            .or_default()
                            .1
                            .push((fetch, vec![finding]));
                    }
                }
                for (sites, fetches) in by_host.values() {
                    if let Some(lease) = sites.first().and_then(|s| leases.by_site.get(s)) {
                        store.commit_probes(lease, sites, fetches).await?;
                    }
                }
            }
        }
    }
    // The sync may wait on a sequencer (a worker's log): off the runtime's workers.
    let writer = tokio::task::spawn_blocking(move || {
        writer.flush()?;
        Ok::<_, SweepError>(writer)
    })
    .await??;
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
    // Every render: its DOM resource and its metadata; the DOM record of each site's first
    // rendered finding proves it when no fetched profile did.
    let mut render_proofs: Vec<Option<(NewFetch, NewFinding)>> = Vec::new();
    for (site_id, result) in &results {
        let Some(outcome) = &result.rendered else {
            render_proofs.push(None);
            continue;
        };
        let start = result
            .captures
            .first()
            .and_then(|c| c.exchanges.first())
            .map(|e| e.url.to_string())
            .unwrap_or_default();
        let proving = result.render_findings.first().map(|(_, i)| *i);
        let mut proof = None;
        if let Some(error) = &outcome.error {
            let uri = render_uri("render", &start);
            let fields = vec![
                ("fetch-profile".to_string(), "render".to_string()),
                ("render-trigger".to_string(), outcome.trigger.clone()),
                ("render-error".to_string(), error.clone()),
            ];
            writer.write_metadata(&uri, outcome.at, &fields, None)?;
        }
        for (i, visit) in outcome.visits.iter().enumerate() {
            match visit {
                Ok(r) => {
                    let uri = render_uri(&r.visitor.name(), &start);
                    let dom = writer.write_resource(
                        &uri,
                        outcome.at,
                        "text/html; charset=utf-8",
                        r.dom.as_bytes(),
                    )?;
                    let fields = render_fields(&start, &outcome.trigger, Ok(r));
                    writer.write_metadata(&uri, outcome.at, &fields, Some(&dom.record_id))?;
                    if proving == Some(i) && result.findings.is_empty() {
                        let detection = &result.render_findings[0].0;
                        let pointer = store::EvidencePointer {
                            warc_file: dom.file.clone(),
                            offset: dom.offset as i64,
                            digest: dom.block_digest.clone(),
                        };
                        let status = r
                            .log
                            .network
                            .iter()
                            .find(|n| n.kind == "Document")
                            .and_then(|n| n.status)
                            .map(i32::from);
                        let fetch = NewFetch {
                            sweep_id,
                            site_id: *site_id,
                            url: start.clone(),
                            fetched_at: outcome.at,
                            status,
                            content_type: Some("text/html; charset=utf-8".to_string()),
                            bytes: r.dom.len() as i64,
                            payload_digest: dom.payload_digest.clone(),
                            error: None,
                            evidence: Some(pointer.clone()),
                            etag: None,
                            last_modified: None,
                            record_id: Some(dom.record_id.clone()),
                            revisit_of: None,
                        };
                        let finding = NewFinding {
                            sweep_id,
                            site_id: *site_id,
                            fetch_id: None,
                            url: start.clone(),
                            category: detection.category,
                            rule_id: detection.rule_id.clone(),
                            rule_pack: detection.rule_pack.clone(),
                            severity: detection.severity,
                            excerpt: detection.excerpt.clone(),
                            location: detection.location.as_str().to_string(),
                            evidence: Some(pointer),
                            found_at: Utc::now(),
                            suppressed: None,
                        };
                        proof = Some((fetch, finding));
                    }
                }
                Err(failed) => {
                    let uri = render_uri(&failed.visitor.name(), &start);
                    let fields = render_fields(&start, &outcome.trigger, Err(failed));
                    writer.write_metadata(&uri, outcome.at, &fields, None)?;
                }
            }
        }
        render_proofs.push(proof);
    }
    let mut out: Vec<(NewFetch, NewFinding)> = render_proofs.into_iter().flatten().collect();
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

/// The target URI of a render's records: `urn:render:<profile>:<start URL>` (never the page's
/// URL itself, as a screenshot's: a replay tool asked for the page must find the page).
pub fn render_uri(profile: &str, start: &str) -> String {
    format!("urn:render:{profile}:{start}")
}

/// The metadata fields of one render (failed or not), one line each.
fn render_fields(
    start: &str,
    trigger: &str,
    visit: Result<&Rendering, &FailedVisit>,
) -> Vec<(String, String)> {
    let one = |v: &str| v.replace(['\r', '\n'], " ");
    let (visitor, log) = match visit {
        Ok(r) => (r.visitor, &r.log),
        Err(f) => (f.visitor, &f.log),
    };
    let mut m = vec![
        ("fetch-profile".to_string(), visitor.name()),
        ("render-start".to_string(), start.to_string()),
        ("render-trigger".to_string(), one(trigger)),
    ];
    if let Some(r) = Url::parse(start).ok().and_then(|u| visitor.referrer(&u)) {
        m.push(("referrer".to_string(), r));
    }
    match visit {
        Ok(r) => {
            m.push(("final-url".to_string(), one(&r.final_url)));
            m.push(("title".to_string(), one(&r.title)));
            m.push(("browser".to_string(), one(&r.browser)));
            if r.dom_cut {
                m.push(("dom-cut".to_string(), r.dom.len().to_string()));
            }
        }
        Err(f) => m.push((
            "render-error".to_string(),
            one(&format!("{}: {}", f.error.code(), f.error)),
        )),
    }
    for n in &log.navigations {
        m.push(("navigation".to_string(), one(n)));
    }
    for n in &log.network {
        let status = n.status.map_or_else(|| "-".to_string(), |s| s.to_string());
        let error = n
            .error
            .as_deref()
            .map(|e| format!(" {e}"))
            .unwrap_or_default();
        m.push((
            "network".to_string(),
            one(&format!("{status} {} {}{error}", n.kind, n.url)),
        ));
    }
    if log.network_dropped > 0 {
        m.push((
            "network-dropped".to_string(),
            log.network_dropped.to_string(),
        ));
    }
    m.extend(crate::capture::refusal_fields(&log.refused));
    m
}
