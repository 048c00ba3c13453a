//! Running one sweep.

use chrono::Utc;
use crawl::{CrawlConfig, CrawlEvent, Exchange, PageKind, SiteSeed};
use detect::{Detector, PageContext, RegisterFacts, RegisterView};
use domain::{SiteId, SweepId};
use evidence::tlog::{sign_and_store, Log, Signer};
use evidence::{ExchangeRecord, WarcWriter, WriterConfig};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{
    EvidencePointer, NewFetch, NewFinding, Scope, Site, SiteFilter, SiteSweepState, Store,
};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

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
}

/// Where the transparency log and its signing key live, and how checkpoints are named.
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub dir: PathBuf,
    pub keys_dir: PathBuf,
    pub key_name: String,
    /// The checkpoints' origin line.
    pub origin: String,
}

/// The totals of a sweep, for the summary line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepSummary {
    pub sweep_id: SweepId,
    /// True when this run continued an unfinished sweep.
    pub resumed: bool,
    pub sites: i64,
    pub pages: i64,
    pub findings: i64,
    pub unreachable: i64,
    /// The size of the log's checkpoint signed at the end of the sweep.
    pub checkpoint: Option<u64>,
    pub elapsed: Duration,
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

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("evidence: {0}")]
    Evidence(#[from] evidence::EvidenceError),
    #[error("bad start URL {url}: {reason}")]
    StartUrl { url: String, reason: String },
    #[error("transparency log: {0}")]
    Log(String),
    #[error("the capture worker stopped: {0}")]
    Worker(String),
}

/// Runs a sweep over every registered site, or continues the unfinished one.
pub async fn run_sweep(
    store: Arc<dyn Store>,
    detector: Arc<Detector>,
    config: SweepConfig,
) -> Result<SweepSummary, SweepError> {
    let started = Instant::now();
    let (sweep_id, resumed, sites) = match store.unfinished_sweep().await? {
        Some(sweep) => (sweep.id, true, store.pending_sites(sweep.id).await?),
        None => {
            let sites = all_sites(store.as_ref()).await?;
            let ids: Vec<SiteId> = sites.iter().map(|s| s.id).collect();
            (store.create_sweep(&ids).await?, false, sites)
        }
    };
    tracing::info!(sweep = %sweep_id, resumed, sites = sites.len(), "sweep starting");

    let mut seeds = Vec::with_capacity(sites.len());
    for site in &sites {
        let start_url = site.start_url();
        let start = url::Url::parse(&start_url).map_err(|e| SweepError::StartUrl {
            url: start_url.clone(),
            reason: e.to_string(),
        })?;
        seeds.push(SiteSeed {
            site_key: site.id.0,
            start,
            scope_prefix: (!site.path_prefix.is_empty()).then(|| site.path_prefix.clone()),
        });
    }

    let bar = progress_bar(config.progress, sites.len() as u64);
    let log = match &config.log {
        Some(lc) => {
            let log = Log::open(&lc.dir).map_err(|e| SweepError::Log(e.to_string()))?;
            for repair in log.repairs() {
                tracing::warn!(%repair, "transparency log repaired on open");
            }
            Some(log)
        }
        None => None,
    };
    let writer = WarcWriter::open_with_log(
        WriterConfig {
            dir: config.evidence_dir.clone(),
            prefix: format!("wangjian-sweep{}", sweep_id.0),
            max_file_bytes: config.warc_max_bytes,
            software: config.software.clone(),
            operator: None,
            hostname: None,
            extra_info: vec![("sweep-id".into(), sweep_id.to_string())],
        },
        log,
    )?;

    let (tx, rx) = mpsc::channel::<CrawlEvent>(256);
    let crawl_config = Arc::new(config.crawl.clone());
    let crawler = tokio::spawn(crawl::crawl(crawl_config, seeds, tx));

    let register = register_facts(store.as_ref(), &sites).await?;
    let capture = Capture {
        store: store.clone(),
        detector,
        register,
        sweep_id,
        sites: sites.into_iter().map(|s| (s.id, s)).collect(),
        writer,
        bar: bar.clone(),
        handle: Handle::current(),
        unreachable: 0,
    };
    // WARC compression and detection are CPU work: they run on a blocking thread, off the
    // runtime's workers, and write to the store through the runtime handle.
    let worker = tokio::task::spawn_blocking(move || capture.run(rx));
    crawler
        .await
        .map_err(|e| SweepError::Worker(e.to_string()))?;
    let (unreachable, writer) = worker
        .await
        .map_err(|e| SweepError::Worker(e.to_string()))??;
    bar.finish_and_clear();
    let checkpoint = match (&config.log, writer.log()) {
        (Some(lc), Some(log)) => Some(sign_checkpoint(lc, log)?),
        _ => None,
    };

    let sweep = store.finish_sweep(sweep_id).await?;
    Ok(SweepSummary {
        sweep_id,
        resumed,
        sites: sweep.sites,
        pages: sweep.pages,
        findings: sweep.findings,
        unreachable,
        checkpoint,
        elapsed: started.elapsed(),
    })
}

/// Signs a checkpoint of the log as the sweep leaves it; returns its size.
fn sign_checkpoint(lc: &LogConfig, log: &Log) -> Result<u64, SweepError> {
    let signer = Signer::load_or_create(&lc.keys_dir, &lc.key_name)
        .map_err(|e| SweepError::Log(e.to_string()))?;
    let stored = sign_and_store(log, &signer, &lc.origin, Utc::now())
        .map_err(|e| SweepError::Log(e.to_string()))?;
    Ok(stored.checkpoint.size)
}

/// The register's facts per site; `None` when no entities are loaded (register checks off).
async fn register_facts(
    store: &dyn Store,
    sites: &[Site],
) -> Result<Option<HashMap<SiteId, RegisterFacts>>, SweepError> {
    if store.count_entities().await? == 0 {
        return Ok(None);
    }
    let mut by_entity = HashMap::new();
    let mut out = HashMap::new();
    for site in sites {
        let Some(id) = site.entity_id else { continue };
        if let std::collections::hash_map::Entry::Vacant(slot) = by_entity.entry(id) {
            let facts = store
                .entity(id)
                .await?
                .map(|e| crate::register::facts(&e.input));
            slot.insert(facts);
        }
        if let Some(Some(f)) = by_entity.get(&id) {
            out.insert(site.id, f.clone());
        }
    }
    Ok(Some(out))
}

async fn all_sites(store: &dyn Store) -> Result<Vec<Site>, SweepError> {
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

/// The capture side of a sweep: evidence, detection, records.
struct Capture {
    store: Arc<dyn Store>,
    detector: Arc<Detector>,
    /// Register facts per site; `None`: no register loaded.
    register: Option<HashMap<SiteId, RegisterFacts>>,
    sweep_id: SweepId,
    sites: HashMap<SiteId, Site>,
    writer: WarcWriter,
    bar: ProgressBar,
    handle: Handle,
    unreachable: i64,
}

impl Capture {
    fn run(mut self, mut rx: mpsc::Receiver<CrawlEvent>) -> Result<(i64, WarcWriter), SweepError> {
        let (mut pages, mut findings) = (0u64, 0u64);
        while let Some(event) = rx.blocking_recv() {
            match event {
                CrawlEvent::Exchange(ex) => {
                    let n = self.capture(&ex)?;
                    if matches!(ex.kind, PageKind::Page) && ex.response.is_some() {
                        pages += 1;
                    }
                    findings += n as u64;
                    self.bar
                        .set_message(format!("{pages} pages, {findings} findings"));
                }
                CrawlEvent::SiteDone(report) => {
                    // Evidence reaches the disk before the site is marked done, so a killed
                    // sweep never marks a site whose records were lost.
                    self.writer.flush()?;
                    let (state, reason) = match &report.unreachable {
                        Some(reason) => {
                            self.unreachable += 1;
                            (SiteSweepState::Unreachable, Some(reason.as_str()))
                        }
                        None => (SiteSweepState::Done, None),
                    };
                    self.handle.block_on(self.store.finish_site(
                        self.sweep_id,
                        SiteId(report.site_key),
                        state,
                        reason,
                    ))?;
                    self.bar.inc(1);
                }
            }
        }
        self.writer.flush()?;
        Ok((self.unreachable, self.writer))
    }

    /// Writes one exchange as evidence, scans it, records it. Returns the number of findings.
    fn capture(&mut self, ex: &Exchange) -> Result<usize, SweepError> {
        let site_id = SiteId(ex.site_key);
        let mut metadata = Vec::new();
        if let Some(err) = &ex.error {
            metadata.push(("fetch-error".to_string(), err.to_string()));
        }
        if ex.truncated {
            metadata.push(("truncated".to_string(), "length".to_string()));
        }
        let refs = self.writer.write_exchange(&ExchangeRecord {
            target_uri: ex.url.as_str(),
            date: ex.started_at,
            request_head: &ex.request_head,
            response_head: ex.response.as_ref().map(|r| r.raw.as_slice()),
            response_body: &ex.body,
            remote_ip: ex.remote_addr.map(|a| a.ip()),
            metadata,
        })?;
        if matches!(ex.kind, PageKind::Robots) {
            // robots.txt is kept as evidence but is not a page of the site.
            return Ok(0);
        }
        let record = refs.response.as_ref().unwrap_or(&refs.request);
        let pointer = EvidencePointer {
            warc_file: record.file.clone(),
            offset: record.offset as i64,
            digest: record.block_digest.clone(),
        };
        let site = self.sites.get(&site_id);
        let findings = match (&ex.response, site) {
            (Some(resp), Some(site)) if resp.status == 200 && ex.is_html() => {
                let decoded = ex.decoded_body();
                let html = decoded.as_ref().map(|d| d.text.as_str()).unwrap_or("");
                let home_path = format!("{}/", site.path_prefix.trim_end_matches('/'));
                let register = match &self.register {
                    None => RegisterView::NotLoaded,
                    Some(m) => m
                        .get(&site_id)
                        .map_or(RegisterView::Unmatched, RegisterView::Matched),
                };
                let ctx = PageContext {
                    url: ex.url.as_str(),
                    is_site_home: ex.url.path() == home_path,
                    site_kind: Some(site.kind),
                    register,
                };
                let now = Utc::now();
                self.detector
                    .scan_html(html, &ctx)
                    .into_iter()
                    .map(|f| NewFinding {
                        sweep_id: self.sweep_id,
                        site_id,
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
            status: ex.response.as_ref().map(|r| r.status as i32),
            content_type: ex.content_type().map(str::to_string),
            bytes: ex.body.len() as i64,
            payload_digest: refs
                .response
                .as_ref()
                .and_then(|r| r.payload_digest.clone()),
            error: ex.error.as_ref().map(|e| e.to_string()),
            evidence: Some(pointer),
        };
        self.handle
            .block_on(self.store.record_fetch(&fetch, &findings))?;
        Ok(findings.len())
    }
}
