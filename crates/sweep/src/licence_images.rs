//! Licence pictures (营业执照 shown as an image), read by OCR during the capture, off its
//! thread: the capture goes on with the next pages while a page's pictures are fetched and
//! read, and takes their records and findings back when they are ready (at the latest before
//! its site's next checkpoint, so that a committed frontier never covers a page whose pictures
//! are not committed with it).
//!
//! Which pictures: on a scanned page that is a site's homepage or looks like a licence page
//! (its path names 营业执照, 资质, about, license, yyzz, zhizhao …), the images (and links to
//! images) whose `alt`, `src` or anchor suggests a licence ([`MARKS`]), at most
//! [`MAX_PER_SITE`] per site and sweep. Each is fetched through the crawler's client
//! (`crawl::fetch_one`: the same address policy, after the crawl's per-host delay), refused
//! or read by the bounded OCR of crate `ocr`, and written to WARC as an exchange whose
//! `metadata` record (`WARC-Refers-To` the image's response) carries `ocr-engine` and the
//! reading, one `ocr-text` field per line, or `ocr-error` with the reason's code. The fetch row
//! names the image's response; a picture that could not be read is a fetch row whose `error`
//! is the reason's code (`image.too_many_pixels`, `ocr.timeout`, …): a failed probe, and the
//! sweep goes on. Findings (`detect::Detector::check_licence_reading`, location `image`)
//! point at the image's response record: the evidence is the picture and its reading.
//!
//! A picture that reads as a licence (a USCC and a name) counts as the licence being shown:
//! the page's `license.not_displayed` is dropped.
//!
//! Without tesseract (or its Chinese data) nothing is fetched; the sweep counts the pictures it
//! skipped and logs the reason once. `WANGJIAN_OCR=off` turns the step off.

use crate::error::SweepError;
use chrono::Utc;
use crawl::{CrawlConfig, Exchange};
use detect::{Detector, Extracted, PageContext, RegisterView};
use domain::{SiteId, SiteKind, SweepId};
use evidence::WarcWriter;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use store::{NewFetch, NewFinding};
use tokio::runtime::Handle;
use url::Url;

/// Pictures read per site and sweep at most.
pub const MAX_PER_SITE: usize = 3;

/// Words in an image's `alt`/`src` (or a link's anchor/href) that suggest a licence.
pub const MARKS: &[&str] = &[
    "营业执照",
    "执照",
    "资质",
    "证照",
    "license",
    "licence",
    "yyzz",
    "zhizhao",
    "zizhi",
];

/// Words in a page's path that make it a licence page.
const PAGE_MARKS: &[&str] = &[
    "营业执照",
    "资质",
    "执照",
    "about",
    "license",
    "licence",
    "yyzz",
    "zhizhao",
    "zizhi",
];

/// What the OCR step counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OcrTotals {
    /// Licence pictures found on scanned pages (within the per-site cap).
    pub pictures: u64,
    /// Read by OCR.
    pub read: u64,
    /// Refused or failed (fetch rows with the reason's code).
    pub failed: u64,
    /// Not read because OCR is unavailable on this machine.
    pub skipped: u64,
    /// Why OCR is unavailable (code), when it is.
    pub unavailable: Option<&'static str>,
}

impl OcrTotals {
    pub fn add(&mut self, o: OcrTotals) {
        self.pictures += o.pictures;
        self.read += o.read;
        self.failed += o.failed;
        self.skipped += o.skipped;
        self.unavailable = self.unavailable.or(o.unavailable);
    }
}

/// The engine, found once per process.
fn engine() -> &'static Result<ocr::Tesseract, ocr::Unavailable> {
    static ENGINE: OnceLock<Result<ocr::Tesseract, ocr::Unavailable>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let e = ocr::Tesseract::locate();
        match &e {
            Ok(t) => tracing::info!(engine = t.version(), memory_limited = t.memory_limited(), "OCR of licence pictures on"),
            Err(u) => tracing::warn!(code = u.code(), reason = %u, "OCR unavailable: licence pictures are not read"),
        }
        e
    })
}

/// Lower-cases and percent-decodes a URL path (UTF-8, lossy).
fn decoded_path(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_lowercase()
}

fn marked(s: &str, marks: &[&str]) -> bool {
    let s = decoded_path(s);
    marks.iter().any(|m| s.contains(m))
}

/// True for a page whose pictures are looked at: a site's homepage, or a path naming a
/// licence or an about page.
pub fn licence_page(url: &Url, is_site_home: bool) -> bool {
    is_site_home || marked(url.path(), PAGE_MARKS)
}

fn looks_like_image(href: &str) -> bool {
    let p = decoded_path(href.split(['?', '#']).next().unwrap_or(""));
    [".png", ".jpg", ".jpeg"].iter().any(|e| p.ends_with(e))
}

/// The pictures of `page` (at `base`) that suggest a licence, in document order, distinct:
/// `<img>` by `alt` or `src`, and links to a PNG/JPEG by anchor or href.
pub fn licence_pictures(page: &Extracted, base: &Url) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    let imgs = page
        .images
        .iter()
        .filter(|(src, alt)| marked(alt, MARKS) || marked(src, MARKS))
        .map(|(src, _)| src.as_str());
    let links = page
        .links
        .iter()
        .filter(|l| !l.hidden && looks_like_image(&l.href))
        .filter(|l| marked(&l.anchor, MARKS) || marked(&l.href, MARKS))
        .map(|l| l.href.as_str());
    for src in imgs.chain(links) {
        let Ok(u) = base.join(src.trim()) else {
            continue;
        };
        if matches!(u.scheme(), "http" | "https") && !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

/// A picture to read, found on a page of `site`.
#[derive(Debug, Clone)]
pub(crate) struct Picture {
    /// The crawl's site (fetch rows are committed with it).
    pub crawl_site: SiteId,
    /// The site owning the page (findings are its).
    pub owner: SiteId,
    pub kind: SiteKind,
    pub page: Url,
    pub is_site_home: bool,
    pub image: Url,
}

/// The OCR step's state within one crawl wave.
pub(crate) struct LicenceOcr {
    crawl: Arc<CrawlConfig>,
    limits: ocr::Limits,
    enabled: bool,
    /// Pictures taken per site in this wave (bounded by [`MAX_PER_SITE`] each).
    taken: HashMap<SiteId, HashSet<String>>,
    pub totals: OcrTotals,
    /// Pictures fetched and read at once at most (one per core: each reading is a
    /// single-threaded child).
    gate: Arc<tokio::sync::Semaphore>,
    /// Pages whose pictures are being fetched and read.
    running: usize,
    done_tx: std::sync::mpsc::Sender<PicturesFetched>,
    done_rx: std::sync::mpsc::Receiver<PicturesFetched>,
}

/// What reading a page's pictures gave.
pub(crate) struct PicturesRead {
    /// One fetch row per picture, with its findings.
    pub fetches: Vec<(NewFetch, Vec<NewFinding>)>,
    /// A picture read as a licence: the licence is shown on the page.
    pub licence_shown: bool,
}

impl LicenceOcr {
    pub fn new(crawl: Arc<CrawlConfig>) -> LicenceOcr {
        let enabled = !std::env::var("WANGJIAN_OCR").is_ok_and(|v| v == "off" || v == "0");
        let limits = ocr::Limits {
            // A picture is never longer than the crawl's body cap allows.
            max_bytes: ocr::Limits::default().max_bytes.min(crawl.max_body_bytes),
            ..ocr::Limits::default()
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        LicenceOcr {
            crawl,
            limits,
            enabled,
            taken: HashMap::new(),
            totals: OcrTotals::default(),
            gate: Arc::new(tokio::sync::Semaphore::new(cores)),
            running: 0,
            done_tx,
            done_rx,
        }
    }

    /// The pictures of a scanned page to read, within the per-site cap.
    pub fn pictures(
        &mut self,
        page: &Extracted,
        url: &Url,
        is_site_home: bool,
        crawl_site: SiteId,
        owner: SiteId,
        kind: SiteKind,
    ) -> Vec<Picture> {
        if !self.enabled || !licence_page(url, is_site_home) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for image in licence_pictures(page, url) {
            let taken = self.taken.entry(owner).or_default();
            if taken.len() >= MAX_PER_SITE || !taken.insert(image.to_string()) {
                continue;
            }
            out.push(Picture {
                crawl_site,
                owner,
                kind,
                page: url.clone(),
                is_site_home,
                image,
            });
        }
        self.totals.pictures += out.len() as u64;
        out
    }

    /// Forgets a site that is done.
    pub fn forget(&mut self, site: SiteId) {
        self.taken.remove(&site);
    }

    /// Starts fetching and reading `pictures` (of one page) off the caller's thread: each
    /// picture is fetched on the runtime (after the crawl's per-host delay) and read by OCR on
    /// a blocking thread, at most as many pictures at once (fetch and reading) as the machine
    /// has cores. What was read comes back as one [`PicturesFetched`] per call, tagged
    /// `ticket`, from [`LicenceOcr::next_done`]. `false` (nothing started, the pictures
    /// counted as skipped) when OCR is unavailable on this machine.
    pub fn start(&mut self, ticket: u64, pictures: Vec<Picture>, handle: &Handle) -> bool {
        let engine = match engine() {
            Ok(e) => e,
            Err(u) => {
                self.totals.skipped += pictures.len() as u64;
                self.totals.unavailable = Some(u.code());
                return false;
            }
        };
        let (crawl, limits, gate, done) = (
            self.crawl.clone(),
            self.limits,
            self.gate.clone(),
            self.done_tx.clone(),
        );
        self.running += 1;
        handle.spawn(async move {
            // Whatever happens to this task (a panic, the runtime going away), what it read
            // goes back, so that the capture never waits for it in vain.
            let mut reply = Reply {
                ticket,
                read: Vec::with_capacity(pictures.len()),
                to: done,
            };
            for p in pictures {
                // Politeness: the crawl's delay before each request to the host.
                if !crawl.delay_per_host.is_zero() {
                    tokio::time::sleep(crawl.delay_per_host).await;
                }
                // A picture at a time per core, fetch and reading: a slow host's picture holds
                // one connection, and the readings' children their few files, never more.
                let permit = gate.clone().acquire_owned().await.ok();
                let mut ex = crawl::fetch_one(&crawl, &p.image).await;
                ex.site_key = p.crawl_site.0;
                let ex = Arc::new(ex);
                let shared = ex.clone();
                let outcome = tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    read_exchange(engine, &shared, &limits)
                })
                .await
                .unwrap_or_else(|e| Err(format!("ocr.failed: {e}")));
                reply.read.push((p, ex, outcome));
            }
        });
        true
    }

    /// The next page's pictures fetched and read: waits for one when `wait`, else only takes
    /// one that is ready. `None` when none is (or, waiting, when nothing is under way).
    pub fn next_done(&mut self, wait: bool) -> Option<PicturesFetched> {
        if self.running == 0 {
            return None;
        }
        let got = if wait {
            self.done_rx.recv().ok()
        } else {
            self.done_rx.try_recv().ok()
        };
        if got.is_some() {
            self.running -= 1;
        }
        got
    }

    /// Writes what [`LicenceOcr::start`] fetched and read to WARC, in order, and checks the
    /// readings. `register` is the owner's register view.
    pub fn finish(
        &mut self,
        fetched: PicturesFetched,
        writer: &mut WarcWriter,
        detector: &Detector,
        register: RegisterView<'_>,
        sweep_id: SweepId,
    ) -> Result<PicturesRead, SweepError> {
        let mut done = PicturesRead {
            fetches: Vec::new(),
            licence_shown: false,
        };
        let version = match engine() {
            Ok(e) => e.version(),
            Err(_) => "",
        };
        for (p, ex, outcome) in fetched.read {
            let mut metadata = crate::observed::exchange_metadata(&ex);
            metadata.push(("ocr-page".into(), p.page.to_string()));
            metadata.push((
                "ocr-engine".into(),
                format!("{version} ({}, psm {})", ocr::LANGUAGES, ocr::PSM),
            ));
            match &outcome {
                Ok(reading) => {
                    metadata.push((
                        "ocr-image".into(),
                        format!(
                            "{} {}x{}",
                            reading.image.format.code(),
                            reading.image.width,
                            reading.image.height
                        ),
                    ));
                    if reading.capped {
                        metadata.push(("ocr-capped".into(), "output".into()));
                    }
                    for line in reading.text.lines().filter(|l| !l.trim().is_empty()) {
                        metadata.push(("ocr-text".into(), line.trim().to_string()));
                    }
                }
                Err(code) => metadata.push(("ocr-error".into(), code.clone())),
            }
            let refs = writer.write_exchange(&crate::observed::record(&ex, metadata))?;
            let mut fetch = crate::observed::fetch_row(sweep_id, p.crawl_site, &ex, &refs);
            let mut findings = Vec::new();
            match outcome {
                Ok(reading) => {
                    self.totals.read += 1;
                    let ctx = PageContext {
                        url: p.page.as_str(),
                        is_site_home: p.is_site_home,
                        site_kind: Some(p.kind),
                        register,
                        badges: None,
                    };
                    let (detections, read) = detector.check_licence_reading(&reading.text, &ctx);
                    done.licence_shown |= read.looks_like_licence();
                    let pointer = crate::observed::pointer(&refs);
                    let now = Utc::now();
                    findings = detections
                        .into_iter()
                        .map(|d| NewFinding {
                            sweep_id,
                            site_id: p.owner,
                            fetch_id: None,
                            url: p.image.to_string(),
                            category: d.category,
                            rule_id: d.rule_id,
                            rule_pack: d.rule_pack,
                            severity: d.severity,
                            excerpt: d.excerpt,
                            location: d.location.as_str().to_string(),
                            evidence: Some(pointer.clone()),
                            found_at: now,
                            suppressed: d.suppressed,
                        })
                        .collect();
                }
                Err(code) => {
                    self.totals.failed += 1;
                    tracing::info!(image = %p.image, reason = %code, "licence picture not read");
                    if fetch.error.is_none() {
                        fetch.error = Some(code);
                    }
                }
            }
            done.fetches.push((fetch, findings));
        }
        Ok(done)
    }
}

/// Sends what a reading task has when it ends, however it ends. The receiver is gone only
/// when the capture ended with an error.
struct Reply {
    ticket: u64,
    read: Vec<(Picture, Arc<Exchange>, Result<ocr::Reading, String>)>,
    to: std::sync::mpsc::Sender<PicturesFetched>,
}

impl Drop for Reply {
    fn drop(&mut self) {
        let _ = self.to.send(PicturesFetched {
            ticket: self.ticket,
            read: std::mem::take(&mut self.read),
        });
    }
}

/// One page's pictures, fetched and read (or refused), in the order they were found.
pub(crate) struct PicturesFetched {
    /// The number [`LicenceOcr::start`] was given.
    pub ticket: u64,
    read: Vec<(Picture, Arc<Exchange>, Result<ocr::Reading, String>)>,
}

/// Reads the picture an exchange brought, or says why not (a reason's code, with detail).
fn read_exchange(
    engine: &ocr::Tesseract,
    ex: &Exchange,
    limits: &ocr::Limits,
) -> Result<ocr::Reading, String> {
    let Some(resp) = &ex.response else {
        return Err(format!(
            "image.unfetched: {}",
            ex.error.as_ref().map(|e| e.to_string()).unwrap_or_default()
        ));
    };
    if resp.status != 200 {
        return Err(format!("image.status: {}", resp.status));
    }
    if ex.truncated {
        return Err(format!(
            "{}: cut at {} bytes",
            ocr::Refusal::TooLarge {
                bytes: ex.body.len(),
                max: limits.max_bytes
            }
            .code(),
            ex.body.len()
        ));
    }
    engine
        .read(&ex.body, limits)
        .map_err(|e| format!("{}: {e}", e.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_licence_pictures_on_licence_pages() {
        let page = detect::extract(
            "<img src=\"/logo.png\" alt=\"标志\"><img src=\"/img/yyzz.jpg\"><img src=\"a.png\" alt=\"营业执照\">\
             <a href=\"/files/zz.png\">资质证书</a><a href=\"/about.html\">营业执照</a><img src=\"/img/yyzz.jpg\">",
        );
        let base = Url::parse("http://a.test/").unwrap();
        let got: Vec<String> = licence_pictures(&page, &base)
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "http://a.test/img/yyzz.jpg",
                "http://a.test/a.png",
                "http://a.test/files/zz.png"
            ]
        );
        let about = Url::parse("http://a.test/%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.html").unwrap();
        assert!(licence_page(&about, false));
        assert!(!licence_page(
            &Url::parse("http://a.test/p/1.html").unwrap(),
            false
        ));
        assert!(licence_page(
            &Url::parse("http://a.test/p/1.html").unwrap(),
            true
        ));
    }
}
