//! Full-page screenshots and printed documents through a headless Chromium (Debian's
//! `chromium`), driven over the DevTools protocol on a pipe: `--remote-debugging-pipe` makes the
//! browser read commands from its fd 3 and write replies and events to its fd 4, each a JSON
//! text ended by a NUL byte. No port is opened and no WebDriver is needed.
//!
//! Owns finding the browser, its command line, the protocol exchange (open a tab, set the
//! viewport, navigate, wait for `load`, measure the page, capture it beyond the viewport; or
//! set a document's content and print it) and the deadline over all of it. The browser runs
//! with a fresh profile directory (also its `HOME`), no extensions, no background networking
//! and downloads denied. It must not write evidence: it returns the PNG (or PDF), what the
//! browser reported and what its proxy refused, and the caller stores them.
//!
//! Sandbox: Chromium's sandbox always stays on. Chromium refuses to sandbox itself as root, so
//! when wangjian runs as root the browser is started as an unprivileged user
//! ([`BrowserConfig::user`], `nobody` by default; supplementary groups dropped) with a profile
//! directory it owns; when that user does not exist or the sandbox does not start, the
//! screenshot fails with [`BrowserError::Unprivileged`] or [`BrowserError::Sandbox`] — it never
//! runs unsandboxed.
//!
//! Addresses: every request of the browser — the page, each sub-resource, each redirect,
//! loopback included (`--proxy-bypass-list=<-loopback>`) — goes through an HTTP proxy that
//! wangjian runs for that browser (`proxy.rs`), which resolves and checks every host with the
//! crawler's own address policy ([`crate::resolve`]): the operator's `--resolve` map and
//! `allow_private`. A private, loopback or metadata address is refused unless that map
//! allow-lists it (a simulated web is reached because its `.test` hosts are mapped, not
//! because loopback is allowed), and the refusals come back with the screenshot
//! ([`Screenshot::refused`]). The page's host is pinned to the address the evidence fetch
//! connected to ([`BrowserConfig::pin`]), so the screenshot shows the same server as the WARC
//! records. The browser itself resolves no name (every name maps to "not found" except the
//! proxy's address), DNS prefetching has nothing to resolve, and WebRTC may not send UDP
//! outside the proxy. Whether the page's scripts run is the caller's choice ([`Scripts`]).
//!
//! Printing ([`print_pdf`]) loads no URL at all: the document is set into a blank tab
//! (`Page.setDocumentContent`) with scripts disabled, every request blocked
//! (`Network.setBlockedURLs`) and a proxy that refuses everything, so a document (whose
//! template an administrator may edit) cannot reach the network; it must be self-contained
//! (inline CSS, system fonts).

use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};
use url::Url;

use crate::profile::{Profile, SearchEngine};
use crate::proxy::{Policy, Proxy};
use crate::resolve::ResolveMap;

pub use crate::proxy::{Refusal, Refused, MAX_REFUSALS_KEPT};

/// Names tried on `PATH` when no browser is configured.
const BROWSER_NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// How a screenshot is taken.
#[derive(Debug, Clone)]
pub struct BrowserConfig {
    /// The browser executable.
    pub program: PathBuf,
    /// Viewport width in CSS pixels (the page is laid out at this width).
    pub width: u32,
    /// The first viewport height; the capture then covers the whole page up to `max_height`.
    pub height: u32,
    /// Longest page captured, in CSS pixels; a longer page is cut there (and said so).
    pub max_height: u32,
    /// Deadline for the whole screenshot, browser start included.
    pub timeout: Duration,
    /// The crawler's `--resolve` map, plus the pins of [`BrowserConfig::pin`]: the proxy
    /// resolves every host of the browser with it.
    pub resolve: ResolveMap,
    /// The crawler's `allow_private`: non-public addresses are not refused.
    pub allow_private: bool,
    /// The user the browser runs as when wangjian runs as root (a name of `/etc/passwd`, or
    /// `UID:GID`); `nobody` by default. Ignored when wangjian does not run as root.
    pub user: String,
}

impl BrowserConfig {
    /// Defaults (1280 × 800 viewport, pages up to 16,384 px, 30 s, the crawler's default
    /// address policy, `nobody`) for `program`.
    pub fn new(program: PathBuf) -> Self {
        BrowserConfig {
            program,
            width: 1280,
            height: 800,
            max_height: 16_384,
            timeout: Duration::from_secs(30),
            resolve: ResolveMap::new(),
            allow_private: false,
            user: "nobody".to_string(),
        }
    }

    /// The crawler's address policy: its `--resolve` map (whose targets are allow-listed) and
    /// its `allow_private`.
    pub fn with_address_policy(mut self, map: &ResolveMap, allow_private: bool) -> Self {
        self.resolve = map.clone();
        self.allow_private = allow_private;
        self
    }

    /// Pins `host:port` to `addr` (the address the evidence fetch connected to); it takes
    /// precedence over the map's entries for that host and port, and the address check still
    /// applies to it.
    pub fn pin(mut self, host: &str, port: u16, addr: SocketAddr) -> Self {
        self.resolve.pin(host, port, addr);
        self
    }
}

/// Whether a page's scripts run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scripts {
    /// Scripts run, as in a visitor's browser (an evidence screenshot shows the page as its
    /// visitors see it; the proxy still keeps every request to the crawler's policy).
    Allowed,
    /// No script of the page runs.
    Blocked,
}

/// The browser to use: `WANGJIAN_CHROMIUM` when set (an empty value means none), else the
/// first of `chromium`, `chromium-browser`, `google-chrome` on `PATH`.
pub fn find_browser() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WANGJIAN_CHROMIUM") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    BROWSER_NAMES
        .iter()
        .find_map(|name| executable(Path::new(name)))
}

/// `program` as a path to an executable file: itself when it names a path, else the first
/// match on `PATH`.
fn executable(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return is_executable(program).then(|| program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A full-page screenshot and what the browser said about it.
#[derive(Debug, Clone)]
pub struct Screenshot {
    /// The image, `image/png`.
    pub png: Vec<u8>,
    /// Captured size in CSS pixels (device scale 1).
    pub width: u32,
    pub height: u32,
    /// The page was longer than `max_height` and is cut there.
    pub cut: bool,
    /// The URL the tab showed when captured (after redirects).
    pub final_url: String,
    /// The browser's product and version (`Chrome/156.0.8078.114`).
    pub browser: String,
    /// The User-Agent the browser sent.
    pub user_agent: String,
    /// What the proxy refused while the page loaded (see the module documentation), in order,
    /// each once, at most [`MAX_REFUSALS_KEPT`].
    pub refused: Vec<Refused>,
}

/// Why no screenshot (or PDF) was made.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("cannot start the browser {program}: {source}")]
    Launch {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("the browser did not answer {step} within {timeout:?}")]
    Timeout {
        step: &'static str,
        timeout: Duration,
    },
    #[error("the browser closed the connection during {0}")]
    Closed(&'static str),
    #[error("the browser refused {method}: {message}")]
    Command { method: String, message: String },
    #[error("the page could not be loaded: {0}")]
    Navigation(String),
    #[error("unexpected browser reply to {method}: {detail}")]
    Protocol { method: String, detail: String },
    /// wangjian runs as root, where Chromium's sandbox cannot run, and `user` is no
    /// unprivileged user to run the browser as.
    #[error("no unprivileged user {user} to run the browser as")]
    Unprivileged { user: String },
    /// The browser's sandbox did not start (what the browser said).
    #[error("the browser's sandbox did not start: {detail}")]
    Sandbox { detail: String },
    /// The page's renderer crashed (or its tab went away) while the page was rendered.
    #[error("the page's renderer crashed during {0}")]
    Crashed(&'static str),
    /// The browser's proxy could not start.
    #[error("cannot start the browser's proxy: {source}")]
    Proxy {
        #[source]
        source: io::Error,
    },
}

impl BrowserError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            BrowserError::Launch { .. } => "launch",
            BrowserError::Timeout { .. } => "timeout",
            BrowserError::Closed(_) => "closed",
            BrowserError::Command { .. } => "command",
            BrowserError::Navigation(_) => "navigation",
            BrowserError::Protocol { .. } => "protocol",
            BrowserError::Unprivileged { .. } => "unprivileged-user",
            BrowserError::Sandbox { .. } => "sandbox",
            BrowserError::Proxy { .. } => "proxy",
            BrowserError::Crashed(_) => "renderer-crashed",
        }
    }
}

/// Opens `url` in a fresh headless browser behind the address policy's proxy, with the page's
/// scripts run or not as `scripts` says, and captures the whole page as PNG. Blocking: call it
/// from a blocking thread.
pub fn screenshot(
    config: &BrowserConfig,
    url: &Url,
    scripts: Scripts,
) -> Result<Screenshot, BrowserError> {
    let policy = Policy::Crawler {
        map: config.resolve.clone(),
        allow_private: config.allow_private,
    };
    let (shot, refused) = with_browser(config, policy, |cdp, _| take(cdp, config, url, scripts))?;
    Ok(Screenshot { refused, ..shot })
}

/// Runs `f` against a fresh browser (its own profile directory, its requests through a proxy
/// applying `policy`) under `config`'s deadline, closes the browser afterwards and returns
/// what the proxy refused with `f`'s result.
fn with_browser<T>(
    config: &BrowserConfig,
    policy: Policy,
    f: impl FnOnce(&mut Cdp, &Proxy) -> Result<T, BrowserError>,
) -> Result<(T, Vec<Refused>), BrowserError> {
    let deadline = Instant::now() + config.timeout;
    let launch_error = |source| BrowserError::Launch {
        program: config.program.display().to_string(),
        source,
    };
    let account = if running_as_root() {
        Some(
            account(&config.user).ok_or_else(|| BrowserError::Unprivileged {
                user: config.user.clone(),
            })?,
        )
    } else {
        None
    };
    let profile = tempfile::Builder::new()
        .prefix("wangjian-browser-")
        .tempdir()
        .map_err(launch_error)?;
    if let Some((uid, gid)) = account {
        std::os::unix::fs::chown(profile.path(), Some(uid), Some(gid)).map_err(launch_error)?;
    }
    let proxy = Proxy::start(policy).map_err(|source| BrowserError::Proxy { source })?;
    let log = profile.path().join("browser.log");
    let mut cdp = Cdp::launch(
        config,
        proxy.addr(),
        profile.path(),
        &log,
        account,
        deadline,
    )?;
    let result = f(&mut cdp, &proxy);
    cdp.close();
    let refused = proxy.refused();
    drop(proxy);
    match result {
        Ok(v) => Ok((v, refused)),
        // A browser that went away at once may have found no sandbox: it says so on stderr.
        Err(BrowserError::Closed(step)) => {
            Err(sandbox_failure(&log).unwrap_or(BrowserError::Closed(step)))
        }
        Err(e) => Err(e),
    }
}

/// What the browser's stderr says about its sandbox, when it says anything.
fn sandbox_failure(log: &Path) -> Option<BrowserError> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text
        .lines()
        .find(|l| l.to_ascii_lowercase().contains("sandbox"))?;
    Some(BrowserError::Sandbox {
        detail: line.trim().chars().take(300).collect(),
    })
}

/// The user id and group id of `user` (`/etc/passwd`'s name, or `UID:GID`), when it is an
/// unprivileged user.
fn account(user: &str) -> Option<(u32, u32)> {
    let ids = if let Some((u, g)) = user.split_once(':').filter(|(u, g)| {
        !u.is_empty() && !g.is_empty() && (u.bytes().chain(g.bytes())).all(|b| b.is_ascii_digit())
    }) {
        (u.parse().ok()?, g.parse().ok()?)
    } else {
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 4 && f[0] == user)
                .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                .flatten()
        })?
    };
    (ids.0 != 0).then_some(ids)
}

/// A4 paper in inches, as `Page.printToPDF` takes it.
const A4_INCHES: (f64, f64) = (8.27, 11.69);

/// Page margins of a printed document in millimetres: top, right, bottom, left. The defaults
/// are those of GB/T 9704 for official documents (37 mm top, 26 mm right, 35 mm bottom, 28 mm
/// left, which leave the standard 156 × 225 mm text block on A4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Margins {
    pub top_mm: f64,
    pub right_mm: f64,
    pub bottom_mm: f64,
    pub left_mm: f64,
}

impl Default for Margins {
    fn default() -> Self {
        Margins {
            top_mm: 37.0,
            right_mm: 26.0,
            bottom_mm: 35.0,
            left_mm: 28.0,
        }
    }
}

/// Prints the self-contained HTML document `html` to an A4 PDF with `margins` (page numbers at
/// the foot of each page) and returns the PDF's bytes. Nothing is fetched: the document is set
/// into a blank tab, every request it would make is blocked and no host name resolves (see the
/// module documentation), no script of it runs, so styles must be inline and fonts the
/// system's (a CJK font such as `fonts-wqy-zenhei` for Chinese text). `config` gives the
/// program, the user and the deadline; its address policy and viewport are not used.
/// Blocking: call it from a blocking thread.
pub fn print_pdf(
    config: &BrowserConfig,
    html: &str,
    margins: Margins,
) -> Result<Vec<u8>, BrowserError> {
    with_browser(config, Policy::Offline, |cdp, _| print(cdp, html, margins)).map(|(pdf, _)| pdf)
}

fn print(cdp: &mut Cdp, html: &str, margins: Margins) -> Result<Vec<u8>, BrowserError> {
    cdp.call(
        "Browser.setDownloadBehavior",
        json!({"behavior": "deny"}),
        None,
    )?;
    let target = cdp.call("Target.createTarget", json!({"url": "about:blank"}), None)?;
    let target = str_field(&target, "targetId", "Target.createTarget")?;
    let attached = cdp.call(
        "Target.attachToTarget",
        json!({"targetId": target, "flatten": true}),
        None,
    )?;
    let session = str_field(&attached, "sessionId", "Target.attachToTarget")?;
    let s = Some(session.as_str());
    cdp.call("Network.enable", json!({}), s)?;
    cdp.call("Network.setBlockedURLs", json!({"urls": ["*"]}), s)?;
    cdp.call(
        "Emulation.setScriptExecutionDisabled",
        json!({"value": true}),
        s,
    )?;
    cdp.call("Page.enable", json!({}), s)?;
    let tree = cdp.call("Page.getFrameTree", json!({}), s)?;
    let frame = tree
        .get("frameTree")
        .and_then(|t| t.get("frame"))
        .and_then(|f| f.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| protocol("Page.getFrameTree", "no frame id"))?
        .to_string();
    cdp.call(
        "Page.setDocumentContent",
        json!({"frameId": frame, "html": html}),
        s,
    )?;
    // Layout waits for the fonts the document uses (system fonts, but loaded lazily).
    cdp.call(
        "Runtime.evaluate",
        json!({"expression": "document.fonts.ready.then(() => true)", "awaitPromise": true}),
        s,
    )?;
    let inches = |mm: f64| mm / 25.4;
    let pdf = cdp.call(
        "Page.printToPDF",
        json!({
            "paperWidth": A4_INCHES.0,
            "paperHeight": A4_INCHES.1,
            "marginTop": inches(margins.top_mm),
            "marginRight": inches(margins.right_mm),
            "marginBottom": inches(margins.bottom_mm),
            "marginLeft": inches(margins.left_mm),
            "printBackground": true,
            "displayHeaderFooter": true,
            "headerTemplate": "<span></span>",
            "footerTemplate": FOOTER,
        }),
        s,
    )?;
    let data = str_field(&pdf, "data", "Page.printToPDF")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .map_err(|e| protocol("Page.printToPDF", &e.to_string()))?;
    if !bytes.starts_with(b"%PDF-") {
        return Err(protocol("Page.printToPDF", "not a PDF"));
    }
    Ok(bytes)
}

/// The page number at the foot of each printed page, `- 1 -` as official documents number
/// them (the header and footer templates are rendered by the browser with their own styles).
const FOOTER: &str = r#"<div style="width:100%;text-align:center;font-size:10pt;font-family:serif">- <span class="pageNumber"></span> -</div>"#;

fn take(
    cdp: &mut Cdp,
    config: &BrowserConfig,
    url: &Url,
    scripts: Scripts,
) -> Result<Screenshot, BrowserError> {
    let version = cdp.call("Browser.getVersion", json!({}), None)?;
    let browser = str_field(&version, "product", "Browser.getVersion")?;
    let user_agent = str_field(&version, "userAgent", "Browser.getVersion")?;
    cdp.call(
        "Browser.setDownloadBehavior",
        json!({"behavior": "deny"}),
        None,
    )?;
    let target = cdp.call("Target.createTarget", json!({"url": "about:blank"}), None)?;
    let target = str_field(&target, "targetId", "Target.createTarget")?;
    let attached = cdp.call(
        "Target.attachToTarget",
        json!({"targetId": target, "flatten": true}),
        None,
    )?;
    let session = str_field(&attached, "sessionId", "Target.attachToTarget")?;
    let s = Some(session.as_str());
    cdp.call("Page.enable", json!({}), s)?;
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": config.width, "height": config.height, "deviceScaleFactor": 1, "mobile": false}),
        s,
    )?;
    if scripts == Scripts::Blocked {
        cdp.call(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": true}),
            s,
        )?;
    }
    let nav = cdp.call("Page.navigate", json!({"url": url.as_str()}), s)?;
    if let Some(err) = nav.get("errorText").and_then(Value::as_str) {
        return Err(BrowserError::Navigation(err.to_string()));
    }
    cdp.wait_event("Page.loadEventFired", s, "the page load")?;

    let metrics = cdp.call("Page.getLayoutMetrics", json!({}), s)?;
    let size = metrics
        .get("cssContentSize")
        .or_else(|| metrics.get("contentSize"))
        .ok_or_else(|| protocol("Page.getLayoutMetrics", "no content size"))?;
    let dim = |k: &str| size.get(k).and_then(Value::as_f64).unwrap_or(0.0).ceil() as u32;
    let width = dim("width").clamp(1, config.width.max(1));
    let full = dim("height").max(1);
    let height = full.min(config.max_height.max(1));
    let shot = cdp.call(
        "Page.captureScreenshot",
        json!({
            "format": "png",
            "captureBeyondViewport": true,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        }),
        s,
    )?;
    let data = str_field(&shot, "data", "Page.captureScreenshot")?;
    let png = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .map_err(|e| protocol("Page.captureScreenshot", &e.to_string()))?;
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(protocol("Page.captureScreenshot", "not a PNG"));
    }
    let history = cdp.call("Page.getNavigationHistory", json!({}), s)?;
    let final_url = history
        .get("currentIndex")
        .and_then(Value::as_u64)
        .and_then(|i| history.get("entries")?.get(i as usize))
        .and_then(|e| e.get("url"))
        .and_then(Value::as_str)
        .unwrap_or(url.as_str())
        .to_string();
    Ok(Screenshot {
        png,
        width,
        height,
        cut: full > height,
        final_url,
        browser,
        user_agent,
        refused: Vec::new(),
    })
}

/// Who a rendered visit claims to be: someone typing the address (no referrer), or a visitor
/// arriving from a result page of a search engine (`Page.navigate` with the same referrer the
/// fetched probes send, [`Profile::referer`], under the `unsafe-url` policy so the page's
/// `document.referrer` holds it whole, as the engines' result pages arrange).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visitor {
    /// No referrer.
    Direct,
    /// From a result page of this engine.
    From(SearchEngine),
}

impl Visitor {
    /// The rendered probes of a homepage: direct, and from Baidu, Sogou and 360.
    pub const STANDARD: [Visitor; 4] = [
        Visitor::Direct,
        Visitor::From(SearchEngine::Baidu),
        Visitor::From(SearchEngine::Sogou),
        Visitor::From(SearchEngine::So360),
    ];

    /// The probe's profile name: `render`, `render-baidu`, `render-sogou`, `render-360`.
    pub fn name(self) -> String {
        match self {
            Visitor::Direct => "render".to_string(),
            Visitor::From(e) => format!("render-{}", e.name()),
        }
    }

    /// The referrer sent when opening `url`.
    pub fn referrer(self, url: &Url) -> Option<String> {
        match self {
            Visitor::Direct => None,
            Visitor::From(engine) => Profile::SearchReferral { engine }.referer(url),
        }
    }
}

/// The bounds of one rendered visit.
#[derive(Debug, Clone, Copy)]
pub struct RenderLimits {
    /// Deadline of a visit, from opening the tabs to reading the DOM back (the visits of a
    /// render run at once, under this one deadline). A page that is still navigating (or whose
    /// scripts keep the renderer busy) then is a failed visit.
    pub per_visit: Duration,
    /// How long the page must stay quiet after the load event of its last navigation before
    /// it counts as settled (a script redirect usually starts within it).
    pub settle: Duration,
    /// Most bytes of the serialized DOM read back; the rest is cut (and said so).
    pub max_dom_bytes: usize,
    /// Most requests kept in the network log; the rest are counted only.
    pub max_network: usize,
}

impl Default for RenderLimits {
    /// 15 s a visit, 500 ms of quiet, 4 MiB of DOM, 500 requests.
    fn default() -> Self {
        RenderLimits {
            per_visit: Duration::from_secs(15),
            settle: Duration::from_millis(500),
            max_dom_bytes: 4 << 20,
            max_network: 500,
        }
    }
}

/// One request of a rendered page, as the browser reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkEntry {
    pub url: String,
    /// The resource type (`Document`, `Script`, `Image`, `XHR`…).
    pub kind: String,
    /// The status of its response, when one came.
    pub status: Option<u16>,
    /// Why it failed, when it did (`net::ERR_…`).
    pub error: Option<String>,
}

/// What a rendered visit saw (kept whole when the visit failed, as far as it got).
#[derive(Debug, Clone, Default)]
pub struct VisitLog {
    /// Every main-frame URL requested, in order (redirects and script navigations included;
    /// consecutive repeats once).
    pub navigations: Vec<String>,
    /// The page's requests, in order, at most [`RenderLimits::max_network`].
    pub network: Vec<NetworkEntry>,
    /// Requests left out of `network` past the cap.
    pub network_dropped: u64,
    /// What the proxy refused during the visit.
    pub refused: Vec<Refused>,
}

/// A homepage rendered as one visitor, settled.
#[derive(Debug, Clone)]
pub struct Rendering {
    pub visitor: Visitor,
    /// The URL the tab showed at the end.
    pub final_url: String,
    /// The final document's title.
    pub title: String,
    /// The final DOM serialized (`document.documentElement.outerHTML`), at most
    /// [`RenderLimits::max_dom_bytes`].
    pub dom: String,
    /// The DOM was longer and is cut.
    pub dom_cut: bool,
    pub log: VisitLog,
    /// The browser's product and version.
    pub browser: String,
    /// The User-Agent the browser sent.
    pub user_agent: String,
}

/// A visit that did not settle, crashed or could not load.
#[derive(Debug)]
pub struct FailedVisit {
    pub visitor: Visitor,
    pub error: BrowserError,
    pub log: VisitLog,
}

/// Renders `url` once per visitor in one fresh headless browser (each visit in its own
/// browser context: no cookie, cache or storage shared), scripts allowed, every request through
/// the address policy's proxy (see the module documentation). The visits run at once, each in
/// its own tab: a visit follows the page's redirects and script navigations until the load
/// event of the last one is followed by `limits.settle` of quiet, then its final URL, title
/// and DOM are read back. A visit that has not settled by the deadline (`limits.per_visit`
/// from the start of the visits), whose renderer crashed, or that could not load is a
/// [`FailedVisit`] with its reason, and the others go on. `Err` only when the browser itself
/// could not be run. Blocking: call it from a blocking thread.
pub fn render(
    config: &BrowserConfig,
    url: &Url,
    visitors: &[Visitor],
    limits: &RenderLimits,
) -> Result<Vec<Result<Rendering, FailedVisit>>, BrowserError> {
    let policy = Policy::Crawler {
        map: config.resolve.clone(),
        allow_private: config.allow_private,
    };
    // Launching has the configured deadline; the visits then theirs.
    let (out, _) = with_browser(config, policy, |cdp, proxy| {
        let version = cdp.call("Browser.getVersion", json!({}), None)?;
        let browser = str_field(&version, "product", "Browser.getVersion")?;
        let user_agent = str_field(&version, "userAgent", "Browser.getVersion")?;
        cdp.call(
            "Browser.setDownloadBehavior",
            json!({"behavior": "deny"}),
            None,
        )?;
        cdp.deadline = Instant::now() + limits.per_visit;
        cdp.timeout = limits.per_visit;
        cdp.events.clear();
        proxy.take_refused();
        let mut visits: Vec<Visit> = visitors
            .iter()
            .map(|&v| Visit::new(v, limits.max_network))
            .collect();
        // Every step is sent to every tab before any reply is awaited, so that the browser
        // starts the tabs' renderers side by side.
        each_visit(
            cdp,
            &mut visits,
            "Target.createBrowserContext",
            |_| json!({}),
            |v, r| {
                v.context = Some(str_field(
                    &r,
                    "browserContextId",
                    "Target.createBrowserContext",
                )?);
                Ok(())
            },
        )?;
        each_visit(
            cdp,
            &mut visits,
            "Target.createTarget",
            |v| json!({"url": "about:blank", "browserContextId": v.context}),
            |v, r| {
                v.target = Some(str_field(&r, "targetId", "Target.createTarget")?);
                Ok(())
            },
        )?;
        each_visit(
            cdp,
            &mut visits,
            "Target.attachToTarget",
            |v| json!({"targetId": v.target, "flatten": true}),
            |v, r| {
                v.session = Some(str_field(&r, "sessionId", "Target.attachToTarget")?);
                Ok(())
            },
        )?;
        let metrics = json!({"width": config.width, "height": config.height, "deviceScaleFactor": 1, "mobile": false});
        for (method, params) in [
            ("Inspector.enable", json!({})),
            ("Page.enable", json!({})),
            ("Network.enable", json!({})),
            ("Emulation.setDeviceMetricsOverride", metrics),
        ] {
            each_visit(cdp, &mut visits, method, |_| params.clone(), |_, _| Ok(()))?;
        }
        // What about:blank reported before the visits is not part of them.
        cdp.events.clear();
        each_visit(
            cdp,
            &mut visits,
            "Page.navigate",
            |v| {
                let mut params = json!({"url": url.as_str()});
                if let Some(r) = v.visitor.referrer(url) {
                    params["referrer"] = json!(r);
                    params["referrerPolicy"] = json!("unsafeUrl");
                }
                params
            },
            |_, nav| match nav.get("errorText").and_then(Value::as_str) {
                Some(err) => Err(BrowserError::Navigation(err.to_string())),
                None => Ok(()),
            },
        )?;
        // Pump the pages' events until every visit is settled and read back, or failed.
        loop {
            let now = Instant::now();
            if now >= cdp.deadline {
                // A page that keeps the browser talking never lets the wait below time out.
                time_out(&mut visits, limits.per_visit);
                break;
            }
            for v in visits.iter_mut() {
                if v.settled_by(now, limits.settle) {
                    let read = v.read(cdp, url, limits.max_dom_bytes);
                    v.fail_on(read)?;
                }
            }
            let deadline = cdp.deadline;
            let Some(until) = visits
                .iter()
                .filter_map(|v| v.wake(limits.settle, deadline))
                .min()
            else {
                break;
            };
            match cdp.next_event(until, "the page to settle") {
                Ok(Some(ev)) => {
                    let session = ev.get("sessionId").and_then(Value::as_str);
                    if let Some(v) = visits
                        .iter_mut()
                        .find(|v| session.is_some() && v.session.as_deref() == session)
                    {
                        let seen = v.on_event(&ev);
                        v.fail_on(seen)?;
                    }
                }
                Ok(None) => {}
                Err(BrowserError::Closed(step)) => return Err(BrowserError::Closed(step)),
                // The deadline: every visit still under way failed with it.
                Err(_) => {
                    time_out(&mut visits, limits.per_visit);
                    break;
                }
            }
        }
        // Close the tabs and their contexts with a short deadline of their own, so a page
        // stuck in a script does not hold the browser.
        cdp.deadline = Instant::now() + Duration::from_secs(5);
        for v in &visits {
            if let Some(target) = &v.target {
                let _ = cdp.call("Target.closeTarget", json!({"targetId": target}), None);
            }
            if let Some(context) = &v.context {
                let _ = cdp.call(
                    "Target.disposeBrowserContext",
                    json!({"browserContextId": context}),
                    None,
                );
            }
        }
        // The proxy's refusals, told apart by the host and port each visit requested; one
        // that no visit's log names is every visit's.
        let mut refused: Vec<Vec<Refused>> = vec![Vec::new(); visits.len()];
        for r in proxy.take_refused() {
            let named: Vec<usize> = (0..visits.len())
                .filter(|&i| visits[i].log.requested(&r.host, r.port))
                .collect();
            let to = if named.is_empty() {
                (0..visits.len()).collect()
            } else {
                named
            };
            for i in to {
                refused[i].push(r.clone());
            }
        }
        let mut out = Vec::with_capacity(visits.len());
        for (v, refused) in visits.into_iter().zip(refused) {
            let (visitor, mut log) = (v.visitor, v.log);
            log.refused = refused;
            out.push(match v.outcome {
                Some(Ok((final_url, title, dom, dom_cut))) => Ok(Rendering {
                    visitor,
                    final_url,
                    title,
                    dom,
                    dom_cut,
                    log,
                    browser: browser.clone(),
                    user_agent: user_agent.clone(),
                }),
                Some(Err(error)) => Err(FailedVisit {
                    visitor,
                    error,
                    log,
                }),
                // Not reached: the pump ends only when every visit has an outcome.
                None => Err(FailedVisit {
                    visitor,
                    error: BrowserError::Timeout {
                        step: "the page to settle",
                        timeout: limits.per_visit,
                    },
                    log,
                }),
            });
        }
        Ok(out)
    })?;
    Ok(out)
}

/// Ends every visit still under way with the deadline's timeout.
fn time_out(visits: &mut [Visit], per_visit: Duration) {
    for v in visits.iter_mut().filter(|v| v.outcome.is_none()) {
        v.outcome = Some(Err(BrowserError::Timeout {
            step: "the page to settle",
            timeout: per_visit,
        }));
    }
}

/// Sends `method` for every visit still under way (its parameters from `params`, on the
/// visit's session once it has one), all before any reply, then takes the replies in order:
/// each goes to `then`, and an error ends its visit. The browser going away ends them all.
fn each_visit(
    cdp: &mut Cdp,
    visits: &mut [Visit],
    method: &'static str,
    params: impl Fn(&Visit) -> Value,
    mut then: impl FnMut(&mut Visit, Value) -> Result<(), BrowserError>,
) -> Result<(), BrowserError> {
    let mut sent = Vec::with_capacity(visits.len());
    for (i, v) in visits.iter().enumerate() {
        if v.outcome.is_none() {
            sent.push((i, cdp.send(method, params(v), v.session.as_deref())?));
        }
    }
    for (i, id) in sent {
        let got = cdp.reply(id, method).and_then(|r| then(&mut visits[i], r));
        visits[i].fail_on(got)?;
    }
    Ok(())
}

impl VisitLog {
    /// True when the visit asked for `host:port` (a request or a navigation).
    fn requested(&self, host: &str, port: u16) -> bool {
        let names = |u: &str| {
            Url::parse(u).is_ok_and(|u| {
                u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host))
                    && u.port_or_known_default() == Some(port)
            })
        };
        self.network.iter().any(|n| names(&n.url)) || self.navigations.iter().any(|n| names(n))
    }
}

/// One visit of [`render`], in its own tab.
struct Visit {
    visitor: Visitor,
    /// The visit's browser context, once created.
    context: Option<String>,
    /// Its tab (target), once opened.
    target: Option<String>,
    /// The protocol session attached to the tab.
    session: Option<String>,
    log: VisitLog,
    /// Index in `log.network` of each request id.
    ids: std::collections::HashMap<String, usize>,
    /// A navigation is under way (no load event since).
    loading: bool,
    /// When the last navigation's load ended.
    quiet_since: Instant,
    /// Requests kept in the log at most.
    max_network: usize,
    /// Read back (final URL, title, DOM, DOM cut), or failed.
    outcome: Option<Result<(String, String, String, bool), BrowserError>>,
}

impl Visit {
    fn new(visitor: Visitor, max_network: usize) -> Visit {
        Visit {
            visitor,
            max_network,
            context: None,
            target: None,
            session: None,
            log: VisitLog::default(),
            ids: Default::default(),
            loading: true,
            quiet_since: Instant::now(),
            outcome: None,
        }
    }

    /// A visit's own error ends that visit (its first outcome stays); a browser that went
    /// away ends them all (`Err`).
    fn fail_on(&mut self, r: Result<(), BrowserError>) -> Result<(), BrowserError> {
        match r {
            Ok(()) => Ok(()),
            Err(BrowserError::Closed(step)) => Err(BrowserError::Closed(step)),
            Err(e) => {
                if self.outcome.is_none() {
                    self.outcome = Some(Err(e));
                }
                Ok(())
            }
        }
    }

    /// Under way, its last load ended at least `settle` ago.
    fn settled_by(&self, now: Instant, settle: Duration) -> bool {
        self.outcome.is_none()
            && self.session.is_some()
            && !self.loading
            && now >= self.quiet_since + settle
    }

    /// When the pump must look at this visit again (the deadline while it loads), if it is
    /// still under way.
    fn wake(&self, settle: Duration, deadline: Instant) -> Option<Instant> {
        match (&self.outcome, self.loading) {
            (Some(_), _) => None,
            (None, true) => Some(deadline),
            (None, false) => Some(self.quiet_since + settle),
        }
    }

    /// Takes in one event of the visit's session: its requests, navigations and loads.
    fn on_event(&mut self, ev: &Value) -> Result<(), BrowserError> {
        if self.outcome.is_some() {
            return Ok(());
        }
        let Some(target) = &self.target else {
            return Ok(());
        };
        let log = &mut self.log;
        let method = ev.get("method").and_then(Value::as_str).unwrap_or("");
        let p = ev.get("params").cloned().unwrap_or(Value::Null);
        let main = p.get("frameId").and_then(Value::as_str) == Some(target.as_str());
        match method {
            "Network.requestWillBeSent" => {
                let req_url = p
                    .pointer("/request/url")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let kind = p
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("Other")
                    .to_string();
                if kind == "Document" && main {
                    self.loading = true;
                    if log.navigations.last() != Some(&req_url) {
                        log.navigations.push(req_url.clone());
                    }
                }
                let id = p.get("requestId").and_then(Value::as_str).unwrap_or("");
                // A redirect reports the hop's status under the same request id.
                if let (Some(status), Some(&i)) = (
                    p.pointer("/redirectResponse/status")
                        .and_then(Value::as_f64),
                    self.ids.get(id),
                ) {
                    log.network[i].status = Some(status as u16);
                }
                if log.network.len() < self.max_network {
                    self.ids.insert(id.to_string(), log.network.len());
                    log.network.push(NetworkEntry {
                        url: req_url,
                        kind,
                        status: None,
                        error: None,
                    });
                } else {
                    log.network_dropped += 1;
                }
            }
            "Network.responseReceived" => {
                let id = p.get("requestId").and_then(Value::as_str).unwrap_or("");
                if let (Some(&i), Some(status)) = (
                    self.ids.get(id),
                    p.pointer("/response/status").and_then(Value::as_f64),
                ) {
                    log.network[i].status = Some(status as u16);
                }
            }
            "Network.loadingFailed" => {
                let id = p.get("requestId").and_then(Value::as_str).unwrap_or("");
                if let Some(&i) = self.ids.get(id) {
                    log.network[i].error = p
                        .get("errorText")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                }
            }
            "Page.frameRequestedNavigation"
            | "Page.frameScheduledNavigation"
            | "Page.frameStartedLoading"
                if main =>
            {
                self.loading = true;
            }
            "Page.loadEventFired" => {
                self.loading = false;
                self.quiet_since = Instant::now();
            }
            "Page.frameStoppedLoading" if main => {
                self.loading = false;
                self.quiet_since = Instant::now();
            }
            "Inspector.targetCrashed" | "Inspector.detached" => {
                return Err(BrowserError::Crashed("the page load"))
            }
            _ => {}
        }
        Ok(())
    }

    /// Reads the settled page back: its final URL, title and DOM (at most `cap` bytes).
    fn read(&mut self, cdp: &mut Cdp, url: &Url, cap: usize) -> Result<(), BrowserError> {
        let expression = format!(
            "(() => {{ const e = document.documentElement; const h = e ? e.outerHTML : ''; \
             return {{url: location.href, title: document.title, len: h.length, \
             dom: h.length > {cap} ? h.slice(0, {cap}) : h}}; }})()"
        );
        let r = cdp.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
            self.session.as_deref(),
        )?;
        let v = r
            .pointer("/result/value")
            .ok_or_else(|| protocol("Runtime.evaluate", "no value"))?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mut dom = text("dom");
        let len = v.get("len").and_then(Value::as_u64).unwrap_or(0) as usize;
        let mut cut = len > cap;
        if dom.len() > cap {
            let mut at = cap;
            while !dom.is_char_boundary(at) {
                at -= 1;
            }
            dom.truncate(at);
            cut = true;
        }
        let final_url = match text("url") {
            u if u.is_empty() => url.to_string(),
            u => u,
        };
        self.outcome = Some(Ok((final_url, text("title"), dom, cut)));
        Ok(())
    }
}

fn protocol(method: &str, detail: &str) -> BrowserError {
    BrowserError::Protocol {
        method: method.to_string(),
        detail: detail.to_string(),
    }
}

fn str_field(v: &Value, key: &str, method: &str) -> Result<String, BrowserError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| protocol(method, &format!("no {key}")))
}

/// A browser process and its protocol pipe.
struct Cdp {
    child: Child,
    to_browser: io::PipeWriter,
    from_browser: Receiver<Value>,
    next_id: u64,
    /// Events that arrived while waiting for a reply, kept for `wait_event`.
    events: Vec<Value>,
    /// Replies that arrived while waiting for another (commands sent ahead with `send`).
    replies: std::collections::HashMap<u64, Value>,
    deadline: Instant,
    timeout: Duration,
}

impl Cdp {
    fn launch(
        config: &BrowserConfig,
        proxy: SocketAddr,
        profile: &Path,
        log: &Path,
        account: Option<(u32, u32)>,
        deadline: Instant,
    ) -> Result<Cdp, BrowserError> {
        let launch_error = |source| BrowserError::Launch {
            program: config.program.display().to_string(),
            source,
        };
        let program = executable(&config.program).ok_or_else(|| {
            launch_error(io::Error::new(
                io::ErrorKind::NotFound,
                "no such executable file",
            ))
        })?;
        let (child_reads, to_browser) = io::pipe().map_err(launch_error)?;
        let (from_browser, child_writes) = io::pipe().map_err(launch_error)?;
        // The pipe ends become the browser's fds 3 and 4 through a shell's redirections (std
        // only sets up 0, 1 and 2): the shell gets them as stdin and stdout, moves them, puts
        // /dev/null in their place and execs the browser with its arguments.
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null"#)
            .arg(&program);
        cmd.args([
            "--headless",
            "--remote-debugging-pipe",
            "--disable-gpu",
            "--hide-scrollbars",
            "--mute-audio",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--disable-breakpad",
            "--metrics-recording-only",
            "--password-store=basic",
            "--use-mock-keychain",
            // Show the page an untrusted certificate would hide behind a warning: the
            // evidence fetch has already recorded the certificate and its verdict.
            "--ignore-certificate-errors",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        // Every request goes through the proxy, loopback included (Chromium bypasses a proxy
        // for loopback unless `<-loopback>` says otherwise).
        .arg(format!("--proxy-server=http://{proxy}"))
        .arg("--proxy-bypass-list=<-loopback>")
        // The browser resolves no name itself (the proxy does, under the policy): nothing for
        // DNS prefetching or anything else that looks names up on its own.
        .arg(format!(
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {}",
            proxy.ip()
        ))
        // WebRTC may not send UDP around the proxy.
        .arg("--webrtc-ip-handling-policy=disable_non_proxied_udp")
        .arg("--disable-features=DnsPrefetchAndPreconnect,NetworkPrediction")
        .arg("about:blank")
        .env("HOME", profile)
        .env("XDG_CONFIG_HOME", profile.join(".config"))
        .env("XDG_CACHE_HOME", profile.join(".cache"))
        .current_dir("/")
        .stdin(Stdio::from(OwnedFd::from(child_reads)))
        .stdout(Stdio::from(OwnedFd::from(child_writes)))
        .stderr(Stdio::from(
            std::fs::File::create(log).map_err(launch_error)?,
        ));
        // As root the browser runs as an unprivileged user (std drops the supplementary groups
        // when root sets a uid), so its sandbox can start; it is never turned off.
        if let Some((uid, gid)) = account {
            use std::os::unix::process::CommandExt as _;
            cmd.uid(uid).gid(gid);
        }
        // The command (holding the child's pipe ends) is dropped right after the spawn, so
        // the browser's exit closes the reply pipe and ends the reader thread.
        let child = cmd.spawn().map_err(launch_error)?;
        drop(cmd);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_browser);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if buf.last() == Some(&0) {
                            buf.pop();
                        }
                        let Ok(v) = serde_json::from_slice::<Value>(&buf) else {
                            continue;
                        };
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Ok(Cdp {
            child,
            to_browser,
            from_browser: rx,
            next_id: 0,
            events: Vec::new(),
            replies: Default::default(),
            deadline,
            timeout: config.timeout,
        })
    }

    fn recv(&mut self, step: &'static str) -> Result<Value, BrowserError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.from_browser.recv_timeout(left) {
            Ok(v) => Ok(v),
            Err(RecvTimeoutError::Timeout) => Err(BrowserError::Timeout {
                step,
                timeout: self.timeout,
            }),
            Err(RecvTimeoutError::Disconnected) => Err(BrowserError::Closed(step)),
        }
    }

    /// Sends one command and waits for its reply; returns its `result`.
    fn call(
        &mut self,
        method: &'static str,
        params: Value,
        session: Option<&str>,
    ) -> Result<Value, BrowserError> {
        let id = self.send(method, params, session)?;
        self.reply(id, method)
    }

    /// Sends one command without waiting for its reply; returns its id for [`Cdp::reply`].
    fn send(
        &mut self,
        method: &'static str,
        params: Value,
        session: Option<&str>,
    ) -> Result<u64, BrowserError> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).expect("a JSON value serialises");
        bytes.push(0);
        self.to_browser
            .write_all(&bytes)
            .map_err(|_| BrowserError::Closed(method))?;
        Ok(id)
    }

    /// Waits for the reply to command `id` (sent as `method`); returns its `result`. Replies to
    /// other commands sent before it are kept for their own wait, events for `next_event`.
    fn reply(&mut self, id: u64, method: &'static str) -> Result<Value, BrowserError> {
        let v = match self.replies.remove(&id) {
            Some(v) => v,
            None => loop {
                let v = self.recv(method)?;
                match v.get("id").and_then(Value::as_u64) {
                    Some(got) if got == id => break v,
                    Some(got) => {
                        self.replies.insert(got, v);
                    }
                    None if v.get("method").is_some() => self.events.push(v),
                    None => {}
                }
            },
        };
        if let Some(err) = v.get("error") {
            return Err(BrowserError::Command {
                method: method.to_string(),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("error")
                    .to_string(),
            });
        }
        Ok(v.get("result").cloned().unwrap_or(Value::Null))
    }

    /// The next event (or stray reply): one that already arrived, else the next the browser
    /// sends before `until`; `None` at `until` when it comes before the deadline, a timeout
    /// at the deadline.
    fn next_event(
        &mut self,
        until: Instant,
        step: &'static str,
    ) -> Result<Option<Value>, BrowserError> {
        if !self.events.is_empty() {
            return Ok(Some(self.events.remove(0)));
        }
        let stop = until.min(self.deadline);
        let left = stop.saturating_duration_since(Instant::now());
        match self.from_browser.recv_timeout(left) {
            Ok(v) => Ok(Some(v)),
            Err(RecvTimeoutError::Timeout) if until < self.deadline => Ok(None),
            Err(RecvTimeoutError::Timeout) => Err(BrowserError::Timeout {
                step,
                timeout: self.timeout,
            }),
            Err(RecvTimeoutError::Disconnected) => Err(BrowserError::Closed(step)),
        }
    }

    /// Waits for the event `method` on `session` (or one that already arrived).
    fn wait_event(
        &mut self,
        method: &str,
        session: Option<&str>,
        step: &'static str,
    ) -> Result<(), BrowserError> {
        let matches = |v: &Value| {
            v.get("method").and_then(Value::as_str) == Some(method)
                && v.get("sessionId").and_then(Value::as_str) == session
        };
        if let Some(i) = self.events.iter().position(matches) {
            self.events.remove(i);
            return Ok(());
        }
        loop {
            let v = self.recv(step)?;
            if matches(&v) {
                return Ok(());
            }
        }
    }

    /// Asks the browser to close, then makes sure it is gone.
    fn close(&mut self) {
        self.next_id += 1;
        let msg = json!({"id": self.next_id, "method": "Browser.close", "params": {}});
        let mut bytes = serde_json::to_vec(&msg).expect("a JSON value serialises");
        bytes.push(0);
        let _ = self.to_browser.write_all(&bytes);
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Cdp {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Chromium's sandbox cannot start as root: then the browser runs as another user.
/// (`/proc/self` belongs to the process's effective user.)
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_come_before_the_map_and_are_not_allow_listed() {
        let mut map = ResolveMap::new();
        map.parse_entry("*:80:127.0.0.1:45123").unwrap();
        let c = BrowserConfig::new("chromium".into())
            .with_address_policy(&map, false)
            .pin("shop.test", 80, "127.0.0.2:45124".parse().unwrap());
        assert_eq!(
            c.resolve.lookup("shop.test", 80),
            Some("127.0.0.2:45124".parse().unwrap())
        );
        assert_eq!(
            c.resolve.lookup("other.test", 80),
            Some("127.0.0.1:45123".parse().unwrap())
        );
        assert!(!c
            .resolve
            .is_allow_listed(&"127.0.0.2:45124".parse().unwrap()));
    }

    #[test]
    fn the_browser_user_is_unprivileged() {
        assert_eq!(account("nobody"), Some((65534, 65534)));
        assert_eq!(account("1000:1001"), Some((1000, 1001)));
        assert_eq!(account("root"), None);
        assert_eq!(account("0:0"), None);
        assert_eq!(account("no-such-user-here"), None);
        assert_eq!(account(":1"), None);
    }
}
