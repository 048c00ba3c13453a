//! `wangjian scan`: one saved page or URL through the detector, judged against the register
//! when the data directory has one (as a sweep would judge it). What is not HTML (an
//! executable, an image, random bytes, text without a tag, a URL answering another type) is
//! refused with what it is, never scanned; `--fail-on SEVERITY` makes a finding at or above
//! that severity the exit status 3, for scripts. Suppressed findings (a quotation, a trademark,
//! the page's genre) are printed marked — `suppressed` in JSON, `S` in the text's marker
//! column — and are never a `--fail-on` hit.
//!
//! A URL is also probed as a sweep probes a homepage (`sweep::probe::probe_homepage_with`):
//! fetched in every profile (browser, Baiduspider PC and mobile, search referrals) with their
//! redirect chains, and, when its scripts call for it and Chromium is found (not with
//! `--no-render`), rendered as a direct visitor and as one from Baidu, Sogou and 360. Each
//! `site.hijacked` finding is printed with the profile that proved it (`profile` in JSON;
//! the page's own findings have `crawler`), and counts for `--fail-on`. A page 404 to
//! browsers but served to spiders is still probed: its findings are printed, the page itself
//! is not scanned.

use super::Ctx;
use crate::cli::{OutputFormat, ScanArgs};
use anyhow::{bail, Context};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use sweep::lookup::PageRegister;

/// The exit status when a finding is at or above `--fail-on` (1 is an error).
pub const FINDINGS_AT_THRESHOLD: u8 = 3;

/// One probe finding: the detection and the profile that proved it.
type ProbeFinding = (detect::Detection, String);

pub async fn scan(ctx: &Ctx, args: ScanArgs) -> anyhow::Result<ExitCode> {
    let detector = detect::Detector::builtin();
    let mut probed: Vec<ProbeFinding> = Vec::new();
    let (html, url) = if args.target.starts_with("http://") || args.target.starts_with("https://") {
        let url =
            url::Url::parse(&args.target).with_context(|| format!("bad URL {}", args.target))?;
        let config = super::crawl_config(&ctx.config, &args.crawl, &[])?;
        let ex = crawl::fetch_one(&config, &url).await;
        if let Some(err) = &ex.error {
            bail!("cannot fetch {url}: {err}");
        }
        probed = probe(&config, &url, &detector, !args.no_render).await;
        let page = page_text(&ex, &url);
        match page {
            Ok(text) => (text, args.url.unwrap_or_else(|| url.to_string())),
            // Not a page to scan, but the probes found the site cloaked: say both.
            Err(why) if !probed.is_empty() => {
                eprintln!("{why}; the page itself is not scanned");
                (String::new(), args.url.unwrap_or_else(|| url.to_string()))
            }
            Err(why) => bail!(why),
        }
    } else {
        let path = Path::new(&args.target);
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        if let Some(why) = http_msg::not_html(&bytes) {
            bail!("{} is not an HTML page: {why}", path.display());
        }
        let decoded = http_msg::decode_text(&bytes, None);
        let url = args
            .url
            .unwrap_or_else(|| format!("file://{}", path.display()));
        (decoded.text, url)
    };
    let parsed = url::Url::parse(&url).ok();
    // With a register in the data directory, the page is judged against it as a sweep would.
    let register = match &parsed {
        Some(u) if ctx.data.has_database() => {
            let store = ctx.data.open_store().await?;
            sweep::lookup::page_register(store.as_ref(), u).await?
        }
        Some(_) => PageRegister::NotLoaded,
        None if ctx.data.has_database() => PageRegister::Unmatched {
            is_site_home: false,
        },
        None => PageRegister::NotLoaded,
    };
    let is_home = register
        .is_site_home()
        .unwrap_or_else(|| parsed.as_ref().is_some_and(|u| u.path() == "/"));
    let view = register.view();
    let ctx = detect::PageContext {
        url: &url,
        is_site_home: is_home,
        site_kind: view.facts().and_then(|f| f.kind),
        register: view,
        badges: None,
    };
    let page_findings = if html.is_empty() {
        Vec::new()
    } else {
        detect::Detector::scan_html(&detector, &html, &ctx)
    };
    let findings: Vec<ProbeFinding> = page_findings
        .into_iter()
        .map(|f| (f, "crawler".to_string()))
        .chain(probed)
        .collect();
    let mut out = std::io::stdout().lock();
    if args.format == OutputFormat::Text && !findings.is_empty() {
        writeln!(
            out,
            "{:<1} {:<8} {:<24} {:<10} {:<20} EXCERPT",
            "S", "SEVERITY", "CATEGORY", "LOCATION", "PROFILE"
        )?;
    }
    for (f, profile) in &findings {
        match args.format {
            OutputFormat::Json => {
                let line = serde_json::json!({
                    "category": f.category.code(),
                    "rule": f.rule_id,
                    "severity": f.severity.code(),
                    "url": url,
                    "excerpt": f.excerpt,
                    "location": f.location.as_str(),
                    "profile": profile,
                    "rule_pack": f.rule_pack,
                    "suppressed": f.suppressed.as_ref().map(|s| serde_json::json!({
                        "reason": s.reason.code(),
                        "detail": s.detail,
                    })),
                });
                writeln!(out, "{line}")?;
            }
            OutputFormat::Text => writeln!(
                out,
                "{:<1} {:<8} {:<24} {:<10} {:<20} {}{}",
                if f.is_live() { " " } else { "S" },
                f.severity.code(),
                f.category.code(),
                f.location.as_str(),
                profile,
                f.excerpt,
                f.suppressed
                    .as_ref()
                    .map(|s| format!("  [suppressed: {} {}]", s.reason.code(), s.detail))
                    .unwrap_or_default()
            )?,
        }
    }
    let findings: Vec<&detect::Detection> = findings.iter().map(|(f, _)| f).collect();
    if args.format == OutputFormat::Text {
        let live = findings.iter().filter(|f| f.is_live()).count();
        writeln!(
            out,
            "{live} findings ({} suppressed) in {url}",
            findings.len() - live
        )?;
    }
    let threshold = args.fail_on.map(|s| s.severity());
    if threshold.is_some_and(|t| findings.iter().any(|f| f.is_live() && f.severity >= t)) {
        return Ok(ExitCode::from(FINDINGS_AT_THRESHOLD));
    }
    Ok(ExitCode::SUCCESS)
}

/// The page's text when it is HTML; else why not.
fn page_text(ex: &crawl::Exchange, url: &url::Url) -> Result<String, String> {
    if !ex.is_html() {
        return Err(format!(
            "{url} is not an HTML page: its Content-Type is {}",
            ex.content_type().unwrap_or("not given")
        ));
    }
    let decoded = ex
        .decoded_body()
        .ok_or_else(|| format!("{url} returned no decodable body"))?;
    if let Some(why) = http_msg::not_html(decoded.text.as_bytes()) {
        return Err(format!("{url} is not an HTML page: {why}"));
    }
    Ok(decoded.text)
}

/// Probes `url` as a sweep probes a homepage (fetched profiles, and rendered ones with
/// `render` when Chromium is found); returns each hijack finding with its profile. What the
/// probes did goes to stderr: the profiles, the renders and why, each failed render.
async fn probe(
    config: &crawl::CrawlConfig,
    url: &url::Url,
    detector: &detect::Detector,
    render: bool,
) -> Vec<ProbeFinding> {
    let render = super::render_probes(render, config);
    let r = sweep::probe::probe_homepage_with(config, url, detector, render.as_ref()).await;
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "probes: {} fetched profiles", r.captures.len());
    match &r.rendered {
        Some(o) => {
            let _ = writeln!(err, ", {} rendered visits ({})", o.visits.len(), o.trigger);
            if let Some(e) = &o.error {
                let _ = writeln!(err, "render failed: {e}");
            }
        }
        None if render.is_some() => {
            let _ = writeln!(err, ", not rendered (no script that could cloak)");
        }
        None => {
            let _ = writeln!(err, ", not rendered");
        }
    }
    for f in r.failed_renders() {
        let _ = writeln!(
            err,
            "{} failed: {}: {}",
            f.visitor.name(),
            f.error.code(),
            f.error
        );
    }
    r.all_findings()
        .into_iter()
        .map(|(d, p)| (d.clone(), p))
        .collect()
}
