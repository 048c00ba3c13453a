//! Running one sweep.
//!
//! Resumption: a sweep lists its sites as pending in the store; a site in progress keeps its
//! crawl frontier in the store ([`frontier`]), committed together with the fetches it covers and
//! only after their WARC records were flushed. A killed sweep, run again, repairs the torn tail
//! of its WARC files, continues each unfinished site from its saved frontier (pages recorded are
//! not fetched again) and starts the sites it had not reached.
//!
//! Recrawl: each page is compared with its previous fetch in an earlier sweep
//! ([`store::PageChange::classify`]). The crawler sends the earlier validators as a conditional
//! GET; a `304` is recorded as such (with the earlier validators and payload digest it
//! confirms) and not scanned, and neither is a `200` whose payload digest equals the earlier
//! one: that page's findings were recorded when it was scanned (findings are kept once per
//! site, rule and excerpt). New and changed pages are scanned. Every exchange, a `304`
//! included, is still written as evidence.

mod frontier;

use crate::error::SweepError;
use chrono::Utc;
use crawl::{CrawlConfig, CrawlEvent, Exchange, FetchKind, SiteSeed};
use detect::{Detector, PageContext, RegisterFacts, RegisterView};
use domain::{CampaignId, SiteId, SweepId};
use evidence::tlog::{Log, Signer, StoredCheckpoint};
use evidence::{RevisitOf, WarcWriter, WriterConfig};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{
    FrontierUpdate, NewFetch, NewFinding, PageChange, Scope, Site, SiteFilter, SiteOrigin,
    SiteProgress, SiteSweepState, Store,
};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use frontier::SweepFrontier;

/// What a sweep needs besides the store and the detector.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// How to fetch.
    pub crawl: CrawlConfig,
    /// Where WARC files are written.
    pub evidence_dir: PathBuf,
    /// Roll WARC files at this size.
    pub warc_max_bytes: u64,
    /// `name/version` written into every warcinfo record.
    pub software: String,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// The transparency log every record is appended to; `None` writes WARC only.
    pub log: Option<LogConfig>,
    /// Check wangjian badges (亮照) on the pages: `None` leaves the check off.
    pub badges: Option<BadgeCheckConfig>,
    /// How far discovery follows links, and the city it looks for.
    pub discovery: crate::discover::DiscoveryConfig,
    /// Rendered probes of homepages whose scripts call for it (`crate::probe`); `None`: the
    /// fetched probes only (no browser, or switched off), said so in the log and the summary.
    pub render_probes: Option<crate::probe::RenderProbes>,
}

/// What the badge check needs besides the store: the key badges are signed with and the
/// portal's host their links point to. The badges themselves are loaded once per sweep.
#[derive(Debug, Clone)]
pub struct BadgeCheckConfig {
    pub key: domain::badge::VerifyingKey,
    /// The host of the portal's public URL (lower case, no port).
    pub portal_host: String,
}

/// The badges a sweep checks pages against: every issued badge's state, and the sites
/// enrolled (a badge issued or suspended), read once.
pub async fn load_badge_book(
    store: &dyn Store,
    config: &BadgeCheckConfig,
) -> Result<detect::BadgeBook, SweepError> {
    let badges = store.issued_badges().await?;
    Ok(detect::BadgeBook {
        key: config.key,
        portal_host: config.portal_host.to_ascii_lowercase(),
        states: badges.iter().map(|b| (b.serial, b.state)).collect(),
        enrolled: badges
            .iter()
            .filter(|b| {
                matches!(
                    b.state,
                    domain::BadgeState::Issued | domain::BadgeState::Suspended
                )
            })
            .map(|b| (b.domain.clone(), b.serial))
            .collect(),
        // In serial order: the latest badge of a domain is kept.
        held: badges
            .iter()
            .map(|b| (b.domain.clone(), b.serial))
            .collect(),
    })
}

/// Where the transparency log and its signing key live, and how checkpoints are named.
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub dir: PathBuf,
    pub keys_dir: PathBuf,
    pub key_name: String,
    /// The checkpoints' origin line.
    pub origin: String,
    /// An RFC 3161 TSA (`http://` or `https://` URL) asked for a time-stamp token over each
    /// checkpoint the sweep signs, through the crawler's client, verified and stored beside the
    /// note ([`crate::tsa`]). `None` (the default): off. A TSA failure is logged as a warning;
    /// it does not fail the sweep.
    pub tsa_url: Option<String>,
    /// The TSA's trusted root certificate (PEM or DER): tokens must chain to it. `None`: the
    /// token's signature and certificate are checked, not who issued the certificate.
    pub tsa_root: Option<PathBuf>,
}

/// The totals of a sweep, for the summary line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepSummary {
    pub sweep_id: SweepId,
    /// The campaign the sweep was run for (none: the whole city).
    pub campaign: Option<CampaignId>,
    /// True when this run continued an unfinished sweep.
    pub resumed: bool,
    pub sites: i64,
    pub pages: i64,
    pub findings: i64,
    pub unreachable: i64,
    /// Pages scanned by the detector (new or changed since the previous sweep).
    pub scanned: i64,
    /// Pages not scanned because an earlier sweep saw them as they are: `304 Not Modified`, or
    /// a `200` with the same payload digest.
    pub unchanged: i64,
    /// The size of the log's checkpoint signed at the end of the sweep.
    pub checkpoint: Option<u64>,
    /// Homepages rendered by the rendered probes; `None` when rendered probes were off.
    pub rendered: Option<i64>,
    /// Rendered visits that failed (never settled, crashed, no browser…).
    pub render_failures: i64,
    pub elapsed: Duration,
    /// Licence pictures read by OCR (crate::licence_images), or skipped when OCR is
    /// unavailable.
    pub ocr: crate::licence_images::OcrTotals,
}

impl std::fmt::Display for SweepSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sweep: {} sites, {} pages, {} findings, {:.1} s",
            self.sites,
            self.pages,
            self.findings,
            self.elapsed.as_secs_f64()
        )
    }
}

impl SweepSummary {
    /// What the rendered probes did, one line: `probes: N homepages rendered (K failed
    /// visits)`, or that they were off.
    pub fn render_note(&self) -> String {
        match self.rendered {
            Some(n) => format!(
                "probes: {n} homepages rendered ({} failed visits)",
                self.render_failures
            ),
            None => "probes: rendered probes off (fetched probes only)".to_string(),
        }
    }
}

/// What a new sweep covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepPlan {
    /// Every known site, then the sites their pages link to (discovery): the nightly sweep.
    City,
    /// A campaign's sites, recorded with the campaign; no discovery wave.
    Campaign { id: CampaignId, sites: Vec<SiteId> },
    /// The city sweep, done by `wangjian worker`s (`crate::worker`); never run in one process.
    CityForWorkers,
}

/// Runs a sweep over every registered site, or continues the unfinished one (whichever it is,
/// with `detector`: a caller that runs campaigns picks the unfinished sweep's detector itself
/// and calls [`resume_sweep`]).
pub async fn run_sweep(
    store: Arc<dyn Store>,
    detector: Arc<Detector>,
    config: SweepConfig,
) -> Result<SweepSummary, SweepError> {
    match store.unfinished_sweep().await? {
        Some(sweep) => resume_sweep(store, detector, config, sweep).await,
        None => start_sweep(store, detector, config, SweepPlan::City).await,
    }
}

/// Starts a new sweep of `plan` and runs it to the end.
pub async fn start_sweep(
    store: Arc<dyn Store>,
    detector: Arc<Detector>,
    config: SweepConfig,
    plan: SweepPlan,
) -> Result<SweepSummary, SweepError> {
    let sweep = plan_sweep(store.as_ref(), plan).await?;
    run_existing(store, detector, config, sweep, false).await
}

/// Creates the rows of a new sweep of `plan` (each site pending), to be run with
/// [`run_existing`]; a caller that records which sweep it runs (the scheduler) notes the id
/// before the crawl starts.
pub async fn plan_sweep(store: &dyn Store, plan: SweepPlan) -> Result<store::Sweep, SweepError> {
    let id = match plan {
        SweepPlan::City => {
            let sites = all_sites(store).await?;
            let ids: Vec<SiteId> = sites.iter().map(|s| s.id).collect();
            store.create_sweep(&ids).await?
        }
        SweepPlan::Campaign { id, sites } => store.create_campaign_sweep(&sites, id).await?,
        SweepPlan::CityForWorkers => {
            let sites = all_sites(store).await?;
            let ids: Vec<SiteId> = sites.iter().map(|s| s.id).collect();
            store.create_workers_sweep(&ids).await?
        }
    };
    Ok(store
        .sweep(id)
        .await?
        .ok_or_else(|| store::StoreError::NotFound(format!("sweep {id}")))?)
}

/// Continues `sweep`, an unfinished sweep of kind `sweep` (a city sweep or a campaign's):
/// its pending sites, each from its saved frontier.
pub async fn resume_sweep(
    store: Arc<dyn Store>,
    detector: Arc<Detector>,
    config: SweepConfig,
    sweep: store::Sweep,
) -> Result<SweepSummary, SweepError> {
    run_existing(store, detector, config, sweep, true).await
}

/// Runs the pending sites of `sweep` to the end (`resumed`: it ran before and was cut off, so
/// the torn tails of its WARC files are repaired first).
pub async fn run_existing(
    store: Arc<dyn Store>,
    detector: Arc<Detector>,
    config: SweepConfig,
    sweep: store::Sweep,
    resumed: bool,
) -> Result<SweepSummary, SweepError> {
    if sweep.by_workers {
        return Err(SweepError::ForWorkers { sweep: sweep.id });
    }
    let started = Instant::now();
    // A sweep acts for the whole bureau: it reads in the city's scope.
    let sites = store.pending_sites(Scope::City, sweep.id).await?;
    if resumed {
        let prefix = format!("wangjian-sweep{}", sweep.id.0);
        repair_warc_tails(store.as_ref(), &config.evidence_dir, sweep.id, &prefix).await;
    }
    run_inner(
        store,
        detector,
        config,
        sweep.id,
        sweep.campaign,
        resumed,
        sites,
        started,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn run_inner(
    store: Arc<dyn Store>,
    detector: Arc<Detector>,
    config: SweepConfig,
    sweep_id: SweepId,
    campaign: Option<CampaignId>,
    resumed: bool,
    sites: Vec<Site>,
    started: Instant,
) -> Result<SweepSummary, SweepError> {
    tracing::info!(sweep = %sweep_id, resumed, ?campaign, sites = sites.len(), "sweep starting");

    let writer = open_writer(&config, sweep_id, &format!("wangjian-sweep{}", sweep_id.0))?;

    // Wave one: the sites of the sweep. Pages of registered sites name the sites they link to;
    // those that match no known site are recorded as discovered (crate::discover). Sites that
    // only a department's filing or a certificate names join them (crate::sources). Each
    // later wave crawls the discoveries the waves before it made, one hop further from the
    // register each time, up to the configured hops. A campaign's sweep covers its sites
    // only: no further waves.
    let (mut counts, mut writer) =
        crawl_wave(&store, &detector, &config, sweep_id, sites, writer, None).await?;
    if campaign.is_none() {
        read_sources(store.as_ref(), &config).await?;
        for hop in 1..=config.discovery.max_hops {
            let found = store.promote_discoveries(sweep_id).await?;
            if found.is_empty() {
                break;
            }
            tracing::info!(sites = found.len(), hop, "crawling discovered sites");
            let (more, w) =
                crawl_wave(&store, &detector, &config, sweep_id, found, writer, None).await?;
            counts.add(more);
            writer = w;
        }
    }
    crate::discover::review(store.as_ref()).await?;
    if let Some(code) = counts.ocr.unavailable {
        tracing::warn!(
            code,
            skipped = counts.ocr.skipped,
            "OCR unavailable: licence pictures not read"
        );
    } else if counts.ocr.pictures > 0 {
        tracing::info!(
            read = counts.ocr.read,
            failed = counts.ocr.failed,
            "licence pictures read by OCR"
        );
    }
    let checkpoint = close_log(store.as_ref(), &config, &writer).await?;

    let sweep = store.finish_sweep(sweep_id).await?;
    Ok(SweepSummary {
        sweep_id,
        campaign,
        resumed,
        sites: sweep.sites,
        pages: sweep.pages,
        findings: sweep.findings,
        unreachable: counts.unreachable,
        scanned: counts.scanned,
        unchanged: counts.unchanged,
        checkpoint,
        rendered: config.render_probes.as_ref().map(|_| counts.rendered),
        render_failures: counts.render_failures,
        elapsed: started.elapsed(),
        ocr: counts.ocr,
    })
}

/// The sources beside links that name sites for a sweep's later waves: departments' filings
/// and the configured CT logs (a log that fails is recorded as failed and the sweep goes on).
pub(crate) async fn read_sources(
    store: &dyn Store,
    config: &SweepConfig,
) -> Result<(), SweepError> {
    let filings = crate::sources::from_filings(store, &config.discovery.city).await?;
    if filings.new_sites > 0 {
        tracing::info!(sites = filings.new_sites, "sites named by department data");
    }
    for log in &config.discovery.ct_logs {
        let polled = crate::sources::poll_ct(
            store,
            &config.crawl,
            &config.discovery.city,
            log,
            crate::sources::CT_BATCH,
        )
        .await?;
        match &polled.failure {
            None => {
                tracing::info!(log = %log.name, read = polled.read, sites = polled.new_sites, "certificate transparency log read")
            }
            Some((code, detail)) => {
                tracing::warn!(log = %log.name, code, detail, "certificate transparency log not trusted")
            }
        }
    }
    Ok(())
}

/// The hosts a worker leased (`crate::worker`): every commit of their sites' progress names
/// the host's lease, and is refused once another worker took the host over.
#[derive(Debug, Clone)]
pub(crate) struct Leased {
    pub(crate) by_site: HashMap<SiteId, store::HostLease>,
    /// Hosts whose homepage probes an earlier holder recorded: not probed again.
    pub(crate) probed: HashSet<String>,
    /// How long each commit extends its lease.
    pub(crate) ttl: chrono::Duration,
}

impl Leased {
    /// Commits `progress` under its site's lease (or plainly, for a sweep run in one process).
    pub(crate) async fn commit(
        leases: Option<&Leased>,
        store: &dyn Store,
        progress: &SiteProgress,
    ) -> Result<Vec<domain::FetchId>, SweepError> {
        match leases.and_then(|l| l.by_site.get(&progress.site).map(|h| (l, h))) {
            Some((l, lease)) => Ok(store.commit_leased_progress(lease, l.ttl, progress).await?),
            None => Ok(store.commit_progress(progress).await?),
        }
    }
}

/// Crawls `sites` within the sweep: homepage probes, then the crawl with capture. Returns the
/// capture's counts and the writer for the next wave. With `leases` (a worker's hosts), every
/// commit is made under its host's lease and probes already recorded are not made again.
pub(crate) async fn crawl_wave(
    store: &Arc<dyn Store>,
    detector: &Arc<Detector>,
    config: &SweepConfig,
    sweep_id: SweepId,
    sites: Vec<Site>,
    writer: WarcWriter,
    leases: Option<Arc<Leased>>,
) -> Result<(CaptureCounts, WarcWriter), SweepError> {
    let mut seeds = Vec::with_capacity(sites.len());
    for site in &sites {
        let start_url = site.start_url();
        let start = url::Url::parse(&start_url).map_err(|source| SweepError::StartUrl {
            url: start_url.clone(),
            source,
        })?;
        seeds.push(SiteSeed {
            site_key: site.id.0,
            start,
            scope_prefix: (!site.path_prefix.is_empty()).then(|| site.path_prefix.clone()),
        });
    }
    let bar = progress_bar(config.progress, sites.len() as u64);

    // Cloaking probes (crate::probe): every homepage in several fetch profiles, before the
    // crawl and through the same writer, flushed before the crawl marks any site done. A
    // worker does not probe a host again whose probes an earlier holder recorded.
    let to_probe: Vec<&SiteSeed> = seeds
        .iter()
        .filter(|s| {
            leases.as_ref().is_none_or(|l| {
                !s.start
                    .host_str()
                    .is_some_and(|h| l.probed.contains(&h.to_ascii_lowercase()))
            })
        })
        .collect();
    let (writer, probed) = crate::probe::probe_sites(
        store,
        detector,
        &config.crawl,
        config.render_probes.as_ref(),
        sweep_id,
        &to_probe,
        writer,
        leases.as_deref(),
    )
    .await?;
    drop(to_probe);
    if config.render_probes.is_some() {
        tracing::info!(
            sites = probed.sites,
            cloaked = probed.cloaked,
            rendered = probed.rendered,
            render_failures = probed.render_failures,
            cloaked_by_render = probed.cloaked_by_render,
            "homepages probed"
        );
    } else {
        tracing::info!(
            sites = probed.sites,
            cloaked = probed.cloaked,
            "homepages probed (rendered probes off: fetched probes only)"
        );
    }

    let (tx, rx) = mpsc::channel::<CrawlEvent>(256);
    let frontier = Arc::new(SweepFrontier::new(store.clone(), sweep_id));
    let mut crawl_config = config.crawl.clone();
    crawl_config.frontier_store = frontier.clone();
    let crawl_config = Arc::new(crawl_config);
    let ocr = crate::licence_images::LicenceOcr::new(crawl_config.clone());
    let crawler = tokio::spawn(crawl::crawl(crawl_config, seeds, tx));

    // Pages are judged as pages of the most specific known site (a platform's crawl also
    // reaches its shops' pages): every site, not only those this run crawls.
    // The wave's sites are among them (a site no longer listed is added): the wave names
    // them by their place.
    let mut owners = all_sites(store.as_ref()).await?;
    let place: HashMap<SiteId, u32> = owners
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i as u32))
        .collect();
    let mut wave = HashMap::with_capacity(sites.len());
    for site in sites {
        let id = site.id;
        let at = match place.get(&id) {
            Some(&at) => at,
            None => {
                owners.push(site);
                (owners.len() - 1) as u32
            }
        };
        wave.insert(id, at);
    }
    drop(place);
    let register = SiteFacts::new(store.as_ref()).await?;
    let owners = domain::address::OwnerIndex::new(owners, |s: &Site| {
        (s.host.as_str(), s.path_prefix.as_str())
    });
    let badges = match &config.badges {
        Some(c) => Some(load_badge_book(store.as_ref(), c).await?),
        None => None,
    };
    let hops = store.discovered_hops().await?;
    let capture = Capture {
        store: store.clone(),
        detector: detector.clone(),
        hops,
        discovery: config.discovery.clone(),
        register,
        badges,
        badge_checks: Vec::new(),
        owners,
        sweep_id,
        sites: wave,
        writer,
        frontier,
        pending: HashMap::new(),
        seen: HashMap::new(),
        found: HashMap::new(),
        reported: HashSet::new(),
        bar: bar.clone(),
        handle: Handle::current(),
        counts: CaptureCounts::default(),
        ocr,
        awaiting: HashMap::new(),
        next_ticket: 0,
        finished: Vec::new(),
        live_findings: 0,
        leases,
    };
    // WARC compression and detection are CPU work: they run on a blocking thread, off the
    // runtime's workers, and write to the store through the runtime handle.
    let worker = tokio::task::spawn_blocking(move || capture.run(rx));
    crawler.await?;
    let (mut counts, writer) = worker.await??;
    bar.finish_and_clear();
    counts.rendered += probed.rendered as i64;
    counts.render_failures += probed.render_failures as i64;
    Ok((counts, writer))
}

/// Cuts the torn last record a killed run of this sweep may have left in its WARC files
/// (`wangjian-sweep<ID>-*.warc.gz`), so that the evidence verifies. Those bytes were never
/// reported as a record, so nothing refers to them. Committed evidence is never cut: only the
/// sweep's newest file can hold a torn record (the writer synced every earlier one before it
/// rolled over, so each is committed whole), and in it nothing below the end of the last
/// record the store points at (`SweepStore::committed_evidence`; progress reaches the store
/// only after its records are synced). Damage below that, or damage that is not a torn tail,
/// is logged and left alone for a person (`wangjian evidence verify` names it); it does not
/// stop the sweep. When the store cannot say what it committed, nothing is cut.
pub(crate) async fn repair_warc_tails(store: &dyn Store, dir: &Path, sweep: SweepId, prefix: &str) {
    let files = match evidence::warc_files(dir) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            tracing::error!(dir = %dir.display(), error = %e, "cannot list the evidence files");
            return;
        }
    };
    let committed = match store.committed_evidence(sweep).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, "cannot read which evidence the store committed; no WARC file is repaired");
            return;
        }
    };
    let mut ours: Vec<(u64, std::path::PathBuf)> = files
        .into_iter()
        .filter_map(|p| {
            let seq = evidence::writer::file_seq(p.file_name()?.to_str()?, prefix)?;
            Some((seq, p))
        })
        .collect();
    ours.sort();
    let newest = ours.last().map(|(seq, _)| *seq);
    for (seq, path) in ours {
        let committed_end = if Some(seq) == newest {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            committed
                .iter()
                .find(|c| c.warc_file == name)
                .map_or(0, |c| {
                    evidence::committed_record_end(&path, u64::try_from(c.last_offset).unwrap_or(0))
                })
        } else {
            match std::fs::metadata(&path) {
                Ok(m) => m.len(),
                Err(e) => {
                    tracing::error!(file = %path.display(), error = %e, "cannot read the WARC file's length; left as it is");
                    continue;
                }
            }
        };
        match evidence::repair_torn_tail(&path, committed_end) {
            Ok(None) => {}
            Ok(Some(cut)) => {
                tracing::warn!(file = %path.display(), %cut, "repaired the WARC file a killed sweep left");
            }
            Err(e) => {
                tracing::error!(file = %path.display(), error = %e, "WARC file is damaged beyond a torn tail; left as it is");
            }
        }
    }
}

/// Opens the transparency log (repairing what a crash left) and a WARC writer appending to it,
/// its files named `PREFIX-NNNNN.warc.gz` and its warcinfo naming the sweep.
pub(crate) fn open_writer(
    config: &SweepConfig,
    sweep_id: SweepId,
    prefix: &str,
) -> Result<WarcWriter, SweepError> {
    let log = match &config.log {
        Some(lc) => {
            let log = Log::open(&lc.dir).map_err(SweepError::Log)?;
            for repair in log.repairs() {
                tracing::warn!(%repair, "transparency log repaired on open");
            }
            Some(log)
        }
        None => None,
    };
    Ok(WarcWriter::open_with_log(
        WriterConfig {
            dir: config.evidence_dir.clone(),
            prefix: prefix.to_string(),
            max_file_bytes: config.warc_max_bytes,
            software: config.software.clone(),
            operator: None,
            hostname: None,
            extra_info: vec![("sweep-id".into(), sweep_id.to_string())],
        },
        log,
    )?)
}

/// Signs a checkpoint of the log as `writer` leaves it, committing to the chain of custody's
/// head in `store` ([`crate::checkpoint`]), time-stamped when a TSA is configured; returns the
/// checkpoint's tree size (`None` without a log).
pub(crate) async fn close_log(
    store: &dyn Store,
    config: &SweepConfig,
    writer: &WarcWriter,
) -> Result<Option<u64>, SweepError> {
    let stored = match (&config.log, writer.log()) {
        (Some(lc), Some(log)) => Some(sign_checkpoint(store, lc, log).await?),
        _ => None,
    };
    if let (Some(stored), Some(lc)) = (&stored, &config.log) {
        if let Some(url) = &lc.tsa_url {
            timestamp_checkpoint(&config.crawl, url, lc.tsa_root.as_deref(), &stored.path).await;
        }
    }
    Ok(stored.map(|s| s.checkpoint.size))
}

/// Signs a checkpoint of the log as the sweep leaves it.
async fn sign_checkpoint(
    store: &dyn Store,
    lc: &LogConfig,
    log: &Log,
) -> Result<StoredCheckpoint, SweepError> {
    let signer = Signer::load_or_create(&lc.keys_dir, &lc.key_name).map_err(SweepError::LogKey)?;
    crate::checkpoint::sign(store, log, &signer, &lc.origin, Utc::now()).await
}

/// Asks the TSA at `url` for a time-stamp token over the checkpoint note at `note` and stores
/// it beside the note. Trusted time is optional: a failure is logged as a warning (the
/// checkpoint stays valid without a token; `wangjian log checkpoint --tsa` can add a new
/// checkpoint with one) and does not fail the sweep.
async fn timestamp_checkpoint(
    crawl: &crawl::CrawlConfig,
    url: &str,
    root: Option<&std::path::Path>,
    note: &std::path::Path,
) {
    let root = match root.map(crate::tsa::load_root).transpose() {
        Ok(root) => root,
        Err(e) => {
            tracing::warn!(tsa = %url, error = %error_chain(&e), "cannot time-stamp the checkpoint");
            return;
        }
    };
    match crate::tsa::stamp_note(crawl, url, note, root.as_ref()).await {
        Ok(token) => tracing::info!(
            tsa = %url,
            token = %token.path.display(),
            gen_time = %token.info.gen_time,
            "checkpoint time-stamped"
        ),
        Err(e) => tracing::warn!(
            tsa = %url,
            note = %note.display(),
            error = %error_chain(&e),
            "cannot time-stamp the checkpoint; it stays without a token"
        ),
    }
}

/// An error with its sources, `: `-separated.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The register's facts of the sites whose pages are being scanned: read from the store when
/// a site's page is first scanned and forgotten when the site is done, so that a sweep never
/// holds a province's register whole.
pub(crate) struct SiteFacts {
    /// Whether any entity is loaded; register checks are off when none is.
    loaded: bool,
    /// By site: its entity's facts, or `None` for a site no entity lists.
    by_site: HashMap<SiteId, Option<RegisterFacts>>,
}

impl SiteFacts {
    /// Facts read for at most so many sites at once; past it they are read again as needed
    /// (pages of sites outside the wave, a platform's shops, are not forgotten otherwise).
    const HELD: usize = 4096;

    pub(crate) async fn new(store: &dyn Store) -> Result<SiteFacts, SweepError> {
        Ok(SiteFacts {
            loaded: store.count_entities(Scope::City).await? > 0,
            by_site: HashMap::new(),
        })
    }

    /// Reads the facts of `site`, listed by `entity`, unless they are held.
    pub(crate) async fn load(
        &mut self,
        store: &dyn Store,
        site: SiteId,
        entity: Option<domain::EntityId>,
    ) -> Result<(), SweepError> {
        if !self.loaded || self.by_site.contains_key(&site) {
            return Ok(());
        }
        let facts = match entity {
            Some(id) => store
                .entity(Scope::City, id)
                .await?
                .map(|e| crate::register_facts::facts(&e.input)),
            None => None,
        };
        if self.by_site.len() >= Self::HELD {
            self.by_site.clear();
        }
        self.by_site.insert(site, facts);
        Ok(())
    }

    /// How the register sees `site` ([`SiteFacts::load`] first).
    pub(crate) fn view(&self, site: SiteId) -> RegisterView<'_> {
        if !self.loaded {
            return RegisterView::NotLoaded;
        }
        match self.by_site.get(&site) {
            Some(Some(facts)) => RegisterView::Matched(facts),
            _ => RegisterView::Unmatched,
        }
    }

    pub(crate) fn forget(&mut self, site: SiteId) {
        self.by_site.remove(&site);
    }
}

pub(crate) async fn all_sites(store: &dyn Store) -> Result<Vec<Site>, SweepError> {
    let mut out = Vec::new();
    let page = 1000;
    loop {
        let filter = SiteFilter {
            limit: page,
            offset: out.len() as i64,
            ..SiteFilter::default()
        };
        let batch = store.list_sites(Scope::City, &filter).await?;
        let n = batch.len() as i64;
        out.extend(batch);
        if n < page {
            return Ok(out);
        }
    }
}

fn progress_bar(enabled: bool, sites: u64) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(sites);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} sites {msg}",
        )
        .expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The site a page belongs to, by `domain::address::owner`'s rule (a bare domain and its `www.`
/// name are one host; the longest covering path prefix wins, so a platform shop
/// `waimai.test/shop/8812` over the platform `waimai.test`), looked up among the sites on the
/// URL's host only.
fn owner<'a>(sites: &'a domain::address::OwnerIndex<Site>, url: &url::Url) -> Option<&'a Site> {
    sites.owner(url.host_str()?, url.path())
}

/// A site of the wave, by its place among the owners.
fn wave_site<'a>(
    owners: &'a domain::address::OwnerIndex<Site>,
    wave: &HashMap<SiteId, u32>,
    id: SiteId,
) -> Option<&'a Site> {
    wave.get(&id).map(|&at| &owners.items()[at as usize])
}

/// Findings that count in the sweep's progress (suppressed ones are recorded, not counted).
fn live(findings: &[NewFinding]) -> usize {
    findings.iter().filter(|f| f.is_live()).count()
}

/// The capture side of a sweep: evidence, detection, records.
struct Capture {
    store: Arc<dyn Store>,
    detector: Arc<Detector>,
    /// The register's facts of the sites being scanned.
    register: SiteFacts,
    /// The badges pages are checked against; `None`: the check is off.
    badges: Option<detect::BadgeBook>,
    /// Enrolled sites' badge verdicts not yet recorded (recorded when a site is done).
    badge_checks: Vec<store::BadgeCheck>,
    /// Every site of the register, by host, to find the owner of a page (see [`owner`]).
    owners: domain::address::OwnerIndex<Site>,
    /// The hops from the register of the open discovered sites, by site.
    hops: HashMap<SiteId, u32>,
    discovery: crate::discover::DiscoveryConfig,
    sweep_id: SweepId,
    /// The wave's sites, by their place in `owners`.
    sites: HashMap<SiteId, u32>,
    writer: WarcWriter,
    /// Crawl frontiers saved by the crawler, waiting for their pages to be captured.
    frontier: Arc<SweepFrontier>,
    /// Fetches (with findings) captured but not yet committed, per site: they are committed
    /// with the site's next frontier checkpoint or when it is done, after a flush.
    pending: HashMap<SiteId, Vec<(NewFetch, Vec<NewFinding>)>>,
    /// What the scanned pages showed, per site that owns them, for discovery and
    /// classification (crate::discover).
    seen: HashMap<SiteId, crate::discover::SiteSeen>,
    /// Discoveries per crawled site, committed with its next progress.
    found: HashMap<SiteId, Vec<store::NewDiscovery>>,
    /// Addresses already reported as discovered in this wave.
    reported: HashSet<domain::SiteAddress>,
    bar: ProgressBar,
    handle: Handle,
    counts: CaptureCounts,
    /// Licence pictures read by OCR (crate::licence_images).
    ocr: crate::licence_images::LicenceOcr,
    /// Pages whose pictures are being read, by ticket: recorded when they are back.
    awaiting: HashMap<u64, AwaitingPictures>,
    next_ticket: u64,
    /// Sites the crawl finished while pictures of theirs were being read: finished when
    /// those are back.
    finished: Vec<crawl::SiteReport>,
    /// Live findings captured so far (for the progress bar).
    live_findings: u64,
    /// A worker's leases: commits are made under them.
    leases: Option<Arc<Leased>>,
}

/// A page whose licence pictures are being read: its fetch and findings, held back until the
/// pictures are recorded with it.
struct AwaitingPictures {
    /// The crawl's site (the page is committed with it).
    site: SiteId,
    /// The site owning the page (the register the readings are checked against) and the
    /// entity that lists it.
    owner: SiteId,
    entity: Option<domain::EntityId>,
    page: (NewFetch, Vec<NewFinding>),
}

/// What the capture counted, for the summary.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CaptureCounts {
    unreachable: i64,
    scanned: i64,
    unchanged: i64,
    ocr: crate::licence_images::OcrTotals,
    rendered: i64,
    render_failures: i64,
}

impl CaptureCounts {
    fn add(&mut self, other: CaptureCounts) {
        self.unreachable += other.unreachable;
        self.scanned += other.scanned;
        self.unchanged += other.unchanged;
        self.ocr.add(other.ocr);
        self.rendered += other.rendered;
        self.render_failures += other.render_failures;
    }
}

impl Capture {
    fn run(
        mut self,
        mut rx: mpsc::Receiver<CrawlEvent>,
    ) -> Result<(CaptureCounts, WarcWriter), SweepError> {
        let mut pages = 0u64;
        while let Some(event) = rx.blocking_recv() {
            self.pictures_ready()?;
            self.finish_ready_sites()?;
            match event {
                CrawlEvent::Exchange(ex) => {
                    let is_page = matches!(ex.kind, FetchKind::Page);
                    if is_page {
                        // Every exchange the crawler had sent when it saved this state has
                        // been captured: make it durable before the next page.
                        if let Some(state) = self.frontier.due(ex.site_key) {
                            self.checkpoint(SiteId(ex.site_key), state)?;
                        }
                    }
                    let n = self.capture(&ex)?;
                    if is_page {
                        self.frontier.page_captured(ex.site_key);
                    }
                    if is_page && ex.response.is_some() {
                        pages += 1;
                    }
                    self.live_findings += n as u64;
                    self.bar
                        .set_message(format!("{pages} pages, {} findings", self.live_findings));
                }
                CrawlEvent::SiteDone(report) => {
                    // A site whose pictures are still being read is finished when they are
                    // back; the capture goes on meanwhile.
                    let site = SiteId(report.site_key);
                    if self.awaiting.values().any(|a| a.site == site) {
                        self.finished.push(report);
                    } else {
                        self.site_done(report)?;
                    }
                }
            }
        }
        // Fetches still pending belong to sites the crawl did not finish (it was stopped):
        // they are not committed, so that a rerun fetches those pages again with the frontier
        // it saved.
        self.pictures_of(None)?;
        self.finish_ready_sites()?;
        self.writer.flush()?;
        self.counts.ocr = self.ocr.totals;
        Ok((self.counts, self.writer))
    }

    /// Records a finished site: its evidence synced, then its pending fetches, its state
    /// (done or unreachable), discoveries and classification committed.
    fn site_done(&mut self, report: crawl::SiteReport) -> Result<(), SweepError> {
        // Evidence reaches the disk before the site is marked done, so a killed
        // sweep never marks a site whose records were lost.
        self.writer.flush()?;
        let (state, reason) = match &report.unreachable {
            Some(reason) => {
                self.counts.unreachable += 1;
                (SiteSweepState::Unreachable, Some(reason.as_str()))
            }
            None => (SiteSweepState::Done, None),
        };
        let site = SiteId(report.site_key);
        if !self.badge_checks.is_empty() {
            let checks = std::mem::take(&mut self.badge_checks);
            self.handle
                .block_on(self.store.record_badge_checks(&checks))?;
        }
        self.frontier.forget(report.site_key);
        self.ocr.forget(site);
        let seen = self.seen.remove(&site).unwrap_or_default();
        self.register.forget(site);
        let known = wave_site(&self.owners, &self.sites, site);
        let classified = known.and_then(|s| seen.classification(s));
        let shown = known
            .filter(|s| s.origin == SiteOrigin::Discovered)
            .map(|_| {
                let shown = seen.shown();
                let indicators = shown.indicators(&self.discovery.city);
                (shown, indicators)
            });
        let progress = SiteProgress {
            sweep: self.sweep_id,
            site,
            fetches: self.pending.remove(&site).unwrap_or_default(),
            frontier: FrontierUpdate::Clear,
            finish: Some((state, reason.map(str::to_owned))),
            discoveries: self.found.remove(&site).unwrap_or_default(),
            classified,
            shown,
        };
        self.handle.block_on(Leased::commit(
            self.leases.as_deref(),
            self.store.as_ref(),
            &progress,
        ))?;
        self.bar.inc(1);
        Ok(())
    }

    /// Finishes the sites parked in `finished` whose pictures are all back.
    fn finish_ready_sites(&mut self) -> Result<(), SweepError> {
        let mut i = 0;
        while i < self.finished.len() {
            let site = SiteId(self.finished[i].site_key);
            if self.awaiting.values().any(|a| a.site == site) {
                i += 1;
            } else {
                let report = self.finished.remove(i);
                self.site_done(report)?;
            }
        }
        Ok(())
    }

    /// Makes a site's frontier checkpoint durable: flushes the evidence, then commits the state
    /// with the fetches it covers in one transaction.
    fn checkpoint(&mut self, site: SiteId, state: crawl::FrontierState) -> Result<(), SweepError> {
        // The state covers every page sent so far: their pictures are committed with them.
        self.pictures_of(Some(site))?;
        let json = match serde_json::to_value(&state) {
            Ok(json) => json,
            Err(e) => {
                tracing::warn!(%site, error = %e, "cannot serialise the frontier; not saved");
                return Ok(());
            }
        };
        self.writer.flush()?;
        let progress = SiteProgress {
            sweep: self.sweep_id,
            site,
            fetches: self.pending.remove(&site).unwrap_or_default(),
            frontier: FrontierUpdate::Save(json),
            finish: None,
            discoveries: self.found.remove(&site).unwrap_or_default(),
            classified: None,
            shown: None,
        };
        self.handle.block_on(Leased::commit(
            self.leases.as_deref(),
            self.store.as_ref(),
            &progress,
        ))?;
        Ok(())
    }

    /// Writes one exchange as evidence, scans it, records it. Returns the number of live
    /// findings recorded now (0 for a page waiting for its pictures: counted when they are back).
    fn capture(&mut self, ex: &Exchange) -> Result<usize, SweepError> {
        let site_id = SiteId(ex.site_key);
        let known = self
            .handle
            .block_on(self.frontier.known_pages(ex.site_key))?;
        let previous = known.get(ex.url.as_str());
        // A complete 200 may repeat the payload of the page's last original response: then the
        // writer (which checks the digest itself) stores a revisit record instead.
        let original = previous
            .and_then(|p| p.original.as_ref())
            .filter(|_| ex.status() == Some(200) && ex.error.is_none() && !ex.truncated);
        let earlier = original.and_then(|o| {
            Some(RevisitOf {
                record_id: &o.record_id,
                target_uri: ex.url.as_str(),
                date: o.fetched_at,
                payload_digest: o.payload_digest.as_deref()?,
            })
        });
        let (refs, revisit) = self.writer.write_exchange_or_revisit(
            &crate::observed::record(ex, crate::observed::exchange_metadata(ex)),
            earlier.as_ref(),
        )?;
        if matches!(ex.kind, FetchKind::Robots) {
            // robots.txt is kept as evidence but is not a page of the site.
            return Ok(0);
        }
        let pointer = crate::observed::pointer(&refs);
        let record_id = Some(
            refs.response
                .as_ref()
                .unwrap_or(&refs.request)
                .record_id
                .clone(),
        );
        let revisit_of = original.filter(|_| revisit).map(|o| o.fetch);
        let status = ex.status().map(i32::from);
        // A 304 has no payload of its own: it confirms the earlier one, whose digest (and
        // validators, when the 304 does not repeat them) it carries forward.
        let (payload_digest, etag, last_modified) = if ex.not_modified() {
            (
                previous.and_then(|p| p.payload_digest.clone()),
                ex.etag()
                    .map(str::to_owned)
                    .or_else(|| previous.and_then(|p| p.etag.clone())),
                ex.last_modified()
                    .map(str::to_owned)
                    .or_else(|| previous.and_then(|p| p.last_modified.clone())),
            )
        } else {
            (
                refs.response
                    .as_ref()
                    .and_then(|r| r.payload_digest.clone()),
                ex.etag().map(str::to_owned),
                ex.last_modified().map(str::to_owned),
            )
        };
        let change = PageChange::classify(
            status,
            payload_digest.as_deref(),
            previous.map(|p| (p.status, p.payload_digest.as_deref())),
        );
        let is_page = matches!(ex.kind, FetchKind::Page);
        if is_page && matches!(change, PageChange::NotModified | PageChange::Unchanged) {
            self.counts.unchanged += 1;
        }
        let site =
            owner(&self.owners, &ex.url).or_else(|| wave_site(&self.owners, &self.sites, site_id));
        let entity = site.and_then(|s| s.entity_id);
        if is_page && matches!(change, PageChange::NotModified | PageChange::Unchanged) {
            if let Some(site) = site {
                self.seen.entry(site.id).or_default().unchanged();
            }
        }
        let mut pictures = Vec::new();
        let findings = match (&ex.response, site) {
            (Some(resp), Some(site))
                if resp.status == 200 && ex.is_html() && change != PageChange::Unchanged =>
            {
                self.counts.scanned += 1;
                let decoded = ex.decoded_body();
                let html = decoded.as_ref().map(|d| d.text.as_str()).unwrap_or("");
                let home_path = format!("{}/", site.path_prefix.trim_end_matches('/'));
                self.handle.block_on(self.register.load(
                    self.store.as_ref(),
                    site.id,
                    site.entity_id,
                ))?;
                let register = self.register.view(site.id);
                let owner_id = site.id;
                let ctx = PageContext {
                    url: ex.url.as_str(),
                    is_site_home: ex.url.path() == home_path,
                    site_kind: Some(site.kind),
                    register,
                    badges: self.badges.as_ref(),
                };
                let now = Utc::now();
                let page = detect::extract(html);
                let (findings, facts) = self.detector.scan_extracted_with_facts(&page, &ctx);
                pictures = self.ocr.pictures(
                    &page,
                    &ex.url,
                    ctx.is_site_home,
                    site_id,
                    owner_id,
                    site.kind,
                );
                if let (Some(verdict), Some(serial)) = (
                    facts.badge,
                    self.badges
                        .as_ref()
                        .and_then(|b| b.held_badge(ex.url.host_str().unwrap_or(""))),
                ) {
                    self.badge_checks.push(store::BadgeCheck {
                        serial,
                        verdict,
                        url: ex.url.to_string(),
                        at: now,
                    });
                }
                // Links count from a registered site (or a confirmed discovery), one hop
                // from the register, and from an open discovered site, one hop further, up to
                // the configured hops.
                let hops = if site.entity_id.is_some() {
                    Some(0)
                } else {
                    self.hops.get(&site.id).copied()
                };
                if let Some(hops) = hops.filter(|h| *h < self.discovery.max_hops) {
                    let owners = &self.owners;
                    let found = crate::discover::discoveries(
                        &ex.url,
                        &facts,
                        |u| owner(owners, u),
                        &pointer,
                        hops + 1,
                        &mut self.reported,
                    );
                    if !found.is_empty() {
                        self.found.entry(site_id).or_default().extend(found);
                    }
                }
                self.seen
                    .entry(owner_id)
                    .or_default()
                    .scanned(ex.url.as_str(), facts);
                findings
                    .into_iter()
                    .map(|f| NewFinding {
                        sweep_id: self.sweep_id,
                        site_id: owner_id,
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
            // An unchanged homepage is not scanned again, but an enrolled site's badge may
            // have changed state since: its badge alone is checked.
            (Some(resp), Some(site))
                if resp.status == 200
                    && ex.is_html()
                    && site.path_prefix.is_empty()
                    && ex.url.path() == "/"
                    && self.badges.as_ref().is_some_and(|b| {
                        b.held_badge(ex.url.host_str().unwrap_or("")).is_some()
                    }) =>
            {
                let decoded = ex.decoded_body();
                let html = decoded.as_ref().map(|d| d.text.as_str()).unwrap_or("");
                let ctx = PageContext {
                    url: ex.url.as_str(),
                    is_site_home: true,
                    site_kind: Some(site.kind),
                    register: RegisterView::NotLoaded,
                    badges: self.badges.as_ref(),
                };
                let (finding, verdict) = self.detector.check_badge(html, &ctx);
                let now = Utc::now();
                if let (Some(verdict), Some(serial)) = (
                    verdict,
                    self.badges
                        .as_ref()
                        .and_then(|b| b.held_badge(ex.url.host_str().unwrap_or(""))),
                ) {
                    self.badge_checks.push(store::BadgeCheck {
                        serial,
                        verdict,
                        url: ex.url.to_string(),
                        at: now,
                    });
                }
                finding
                    .into_iter()
                    .map(|f| NewFinding {
                        sweep_id: self.sweep_id,
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
        let fetch = NewFetch {
            sweep_id: self.sweep_id,
            site_id,
            url: ex.url.to_string(),
            fetched_at: ex.started_at,
            status,
            content_type: ex.content_type().map(str::to_string),
            bytes: ex.body.len() as i64,
            payload_digest,
            error: ex.error.as_ref().map(|e| e.to_string()),
            evidence: Some(pointer),
            etag,
            last_modified,
            record_id,
            revisit_of,
        };
        // Licence pictures of the page (crate::licence_images): fetched and read off this
        // thread; the page is recorded (and its findings counted) when they are back.
        if let Some(owner) = pictures.first().map(|p| p.owner) {
            let ticket = self.next_ticket;
            if self.ocr.start(ticket, pictures, &self.handle) {
                self.next_ticket += 1;
                self.awaiting.insert(
                    ticket,
                    AwaitingPictures {
                        site: site_id,
                        owner,
                        entity,
                        page: (fetch, findings),
                    },
                );
                return Ok(0);
            }
        }
        let n = live(&findings);
        self.pending
            .entry(site_id)
            .or_default()
            .push((fetch, findings));
        Ok(n)
    }

    /// Records the pages whose pictures are read by now, without waiting.
    fn pictures_ready(&mut self) -> Result<(), SweepError> {
        while let Some(done) = self.ocr.next_done(false) {
            self.pictures_read(done)?;
        }
        Ok(())
    }

    /// Waits until every page of `site` (every page at all with `None`) whose pictures were
    /// being read is recorded.
    fn pictures_of(&mut self, site: Option<SiteId>) -> Result<(), SweepError> {
        while self
            .awaiting
            .values()
            .any(|a| site.is_none_or(|s| a.site == s))
        {
            let Some(done) = self.ocr.next_done(true) else {
                break;
            };
            self.pictures_read(done)?;
        }
        Ok(())
    }

    /// Writes a page's pictures as evidence and puts the page, with their fetches and
    /// findings, among its site's pending fetches. A picture read as a licence drops the
    /// page's `license.not_displayed`.
    fn pictures_read(
        &mut self,
        done: crate::licence_images::PicturesFetched,
    ) -> Result<(), SweepError> {
        let Some(AwaitingPictures {
            site,
            owner,
            entity,
            page: (fetch, mut findings),
        }) = self.awaiting.remove(&done.ticket)
        else {
            return Ok(());
        };
        self.handle
            .block_on(self.register.load(self.store.as_ref(), owner, entity))?;
        let read = self.ocr.finish(
            done,
            &mut self.writer,
            &self.detector,
            self.register.view(owner),
            self.sweep_id,
        )?;
        if read.licence_shown {
            findings.retain(|f| f.category != detect::Category::LicenseNotDisplayed);
        }
        self.live_findings +=
            (live(&findings) + read.fetches.iter().map(|(_, f)| live(f)).sum::<usize>()) as u64;
        let pending = self.pending.entry(site).or_default();
        pending.push((fetch, findings));
        pending.extend(read.fetches);
        Ok(())
    }
}
