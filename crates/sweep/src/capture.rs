//! An inspector's evidence capture (电子数据提取) of one URL, with a full-page screenshot.
//!
//! The URL is fetched as a browser (following redirects, each hop recorded), and, when a
//! browser is available, opened in headless Chromium with every host of the chain pinned to
//! the address its hop connected to, and captured as a PNG. Everything is written through the sweep's WARC writer, so it is logged
//! in the transparency log like any capture: per hop a `request`, a `response` and a `metadata`
//! record (profile, DNS answer, server address, redirect chain; on the final hop also the
//! operators, the stated reason, whether a screenshot was taken and each request the browser's
//! proxy refused under the crawler's address policy), then the screenshot as a
//! `resource` record (`image/png`, target `urn:view:` + the page URL, `WARC-Concurrent-To` the
//! final response; `evidence::WarcWriter::write_screenshot`). The capture is entered in the
//! chain of custody (action `capture`, the operators as actor, the reason, the capture's sweep
//! as subject), then a checkpoint is signed, so it commits to that entry as well. Replay tools
//! index the screenshot under its `urn:view:` URI, never under the page's URL: asked for the
//! page, ReplayWeb.page or pywb show the page, at any second (docs/spec/evidence.md).
//!
//! In the store a capture is a sweep of kind `capture` over the URL's site, so its fetches show
//! in the console and export with `evidence export --sweep ID` like any other; it is never
//! resumed as a crawl. Without a browser the capture still succeeds and says that no
//! screenshot was taken. Must not know HTTP of the console or SQL.
//!
//! Every front end (`wangjian evidence capture`, the console's two-person capture) goes through
//! the same functions: [`target`] finds the page and its site (a URL, or a clue's first
//! finding) in the caller's scope; [`capture_url`] checks the operators ([`check_operators`]:
//! once users exist, each must be an active user who may capture that site, and is named
//! `user:NAME`), takes the capture, appends it to the chain of custody with the operators as
//! actor and then signs the checkpoint that commits to that entry.

use std::sync::Arc;

use chrono::Utc;
use crawl::browser::{BrowserConfig, Screenshot, Scripts};
use crawl::Profile;
use domain::{ClueId, FetchId, Permission, SweepId};
use evidence::{ExchangeRecord, RecordRef};
use store::{Clue, CustodyAction, CustodyRecord, CustodySubject, NewCustody, Scope, Site, Store};
use url::Url;

use crate::error::{CaptureRefusal, SweepError};
use crate::run::{close_log, open_writer, SweepConfig};

/// What to capture, and who asks.
#[derive(Debug, Clone)]
pub struct CaptureRequest {
    pub url: Url,
    /// The inspectors taking the evidence: at least two for an enforcement extraction.
    pub operators: Vec<String>,
    /// Why (a clue, a complaint, a case).
    pub reason: String,
    /// The browser for the screenshot, or why there is none (no screenshot is taken).
    pub browser: Result<BrowserConfig, String>,
    /// The clue the evidence is taken for (a clue of the URL's site).
    pub clue: Option<ClueId>,
}

/// At most this many refusals of the browser's proxy are named in a capture's metadata.
pub const MAX_REFUSALS_RECORDED: usize = 64;

/// What a capture wrote.
#[derive(Debug, Clone)]
pub struct CaptureOutcome {
    /// The capture's sweep (kind `capture`).
    pub sweep_id: SweepId,
    /// The operators as the evidence names them ([`check_operators`]).
    pub operators: Vec<String>,
    pub site: Site,
    /// The fetch rows of the hops, first request first.
    pub fetches: Vec<FetchId>,
    /// The last URL fetched and its status.
    pub final_url: Url,
    pub final_status: Option<u16>,
    /// The screenshot's record and size, or why none was taken.
    pub screenshot: Result<ShotRecord, String>,
    /// Tree size of the checkpoint signed after the capture.
    pub checkpoint: Option<u64>,
    /// The capture's entry in the chain of custody (committed to by that checkpoint).
    pub custody: CustodyRecord,
}

/// A stored screenshot.
#[derive(Debug, Clone)]
pub struct ShotRecord {
    pub record: RecordRef,
    pub width: u32,
    pub height: u32,
    pub cut: bool,
    pub browser: String,
    /// What the browser's proxy refused while the page loaded (recorded in the final hop's
    /// metadata record as `browser-refused` fields).
    pub refused: Vec<crawl::browser::Refused>,
}

/// Least number of distinct operators of an enforcement extraction.
pub const MIN_OPERATORS: usize = 2;

/// Captures `req.url` as evidence (see the module documentation).
pub async fn capture_url(
    store: Arc<dyn Store>,
    config: &SweepConfig,
    req: CaptureRequest,
) -> Result<CaptureOutcome, SweepError> {
    // A capture acts for the bureau: the site is read in the city's scope (front ends check
    // the caller's scope first, with `target`).
    let site = site_of(store.as_ref(), Scope::City, &req.url).await?;
    let operators = check_operators(store.as_ref(), &req.operators, &site).await?;
    let sweep_id = store.create_capture(site.id, req.clue).await?;
    let mut writer = open_writer(config, sweep_id, &format!("wangjian-capture{}", sweep_id.0))?;

    let capture = crawl::fetch_profiles(&config.crawl, &req.url, &[Profile::Browser])
        .await
        .pop()
        .expect("one capture per profile");
    let last = capture.final_exchange();
    let shot = match (&req.browser, last.and_then(|ex| ex.remote_addr)) {
        (Err(why), _) => Err(why.clone()),
        (Ok(_), None) => Err("the page could not be reached".to_string()),
        (Ok(browser), Some(_)) => {
            // Every host of the redirect chain goes to the address its hop connected to.
            let mut browser = browser.clone();
            for ex in &capture.exchanges {
                let (Some(h), Some(port), Some(addr)) = (
                    ex.url.host_str(),
                    ex.url.port_or_known_default(),
                    ex.remote_addr,
                ) else {
                    continue;
                };
                browser = browser.pin(h, port, addr);
            }
            let url = req.url.clone();
            // The page runs as its visitors see it, scripts included; the browser's proxy
            // keeps every request it makes to the crawler's address policy.
            tokio::task::spawn_blocking(move || {
                crawl::browser::screenshot(&browser, &url, Scripts::Allowed)
            })
            .await?
            .map_err(|e| format!("the browser failed: {e}"))
        }
    };
    let shot_at = Utc::now();

    let chain = crate::observed::redirect_chain(&capture);
    let n = capture.exchanges.len();
    let records: Vec<ExchangeRecord<'_>> = capture
        .exchanges
        .iter()
        .enumerate()
        .map(|(i, ex)| {
            let mut metadata = crate::observed::hop_metadata(&capture, ex, &chain);
            if i + 1 == n {
                metadata.push(("operators".to_string(), operators.join(", ")));
                metadata.push(("capture-reason".to_string(), one_line(&req.reason)));
                metadata.push(("screenshot".to_string(), shot_note(&shot)));
                if let Ok(s) = &shot {
                    metadata.extend(refusal_fields(&s.refused));
                }
            }
            crate::observed::record(ex, metadata)
        })
        .collect();
    let refs = writer.write_exchanges(&records)?;
    let screenshot = match shot {
        Ok(s) => {
            let concurrent = refs
                .last()
                .map(|r| r.response.as_ref().unwrap_or(&r.request).record_id.clone());
            let record = writer.write_screenshot(
                req.url.as_str(),
                shot_at,
                &s.png,
                concurrent.as_deref(),
            )?;
            Ok(ShotRecord {
                record,
                width: s.width,
                height: s.height,
                cut: s.cut,
                browser: s.browser,
                refused: s.refused,
            })
        }
        Err(why) => Err(why),
    };
    writer.flush()?;

    let mut fetches = Vec::with_capacity(n);
    for (ex, refs) in capture.exchanges.iter().zip(&refs) {
        let fetch = crate::observed::fetch_row(sweep_id, site.id, ex, refs);
        fetches.push(store.record_fetch(&fetch, &[]).await?);
    }
    store.finish_sweep(sweep_id).await?;
    let custody = store
        .append_custody(&NewCustody::new(
            operators.join(", "),
            CustodyAction::Capture,
            &CustodySubject::Sweep(sweep_id),
            req.reason.trim(),
        ))
        .await?;
    let checkpoint = close_log(store.as_ref(), config, &writer).await?;
    Ok(CaptureOutcome {
        sweep_id,
        operators,
        site,
        fetches,
        final_url: capture.final_url.clone(),
        final_status: capture.final_status,
        screenshot,
        checkpoint,
        custody,
    })
}

/// Where a capture goes: the page, its site, and the clue it is taken for.
#[derive(Debug, Clone)]
pub struct CaptureTarget {
    pub url: Url,
    pub site: Site,
    pub clue: Option<Clue>,
}

/// The known site `url` belongs to, read in `scope` (a site outside it is not known).
async fn site_of(store: &dyn Store, scope: Scope, url: &Url) -> Result<Site, SweepError> {
    let host = url
        .host_str()
        .ok_or_else(|| CaptureRefusal::NoHost {
            url: url.to_string(),
        })?
        .to_ascii_lowercase();
    Ok(store
        .site_for_url(scope, &host, url.path())
        .await?
        .ok_or_else(|| CaptureRefusal::UnknownSite {
            url: url.to_string(),
        })?)
}

/// The page to capture, read in `scope`: `url`, else the page of the clue's first finding; its
/// known site (which must be in scope — outside it the site is unknown — and the clue's when a
/// clue is given).
pub async fn target(
    store: &dyn Store,
    scope: Scope,
    url: Option<&str>,
    clue: Option<ClueId>,
) -> Result<CaptureTarget, SweepError> {
    let clue = match clue {
        Some(id) => Some(
            store
                .clue(scope.clone(), id)
                .await?
                .ok_or(CaptureRefusal::NoClue { clue: id })?,
        ),
        None => None,
    };
    let raw = match (url.map(str::trim).filter(|u| !u.is_empty()), &clue) {
        (Some(u), _) => u.to_string(),
        (None, Some(c)) => {
            let first = c
                .findings
                .first()
                .ok_or(CaptureRefusal::EmptyClue { clue: c.id })?;
            store
                .finding(scope.clone(), *first)
                .await?
                .ok_or(CaptureRefusal::EmptyClue { clue: c.id })?
                .finding
                .url
        }
        (None, None) => return Err(CaptureRefusal::NoTarget.into()),
    };
    let url = Url::parse(&raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or(CaptureRefusal::BadUrl { url: raw })?;
    // A site outside the caller's scope is refused exactly like an unknown one.
    let site = site_of(store, scope, &url).await?;
    if let Some(c) = &clue {
        if c.site_id != site.id {
            return Err(CaptureRefusal::NotTheCluesSite {
                url: url.to_string(),
                clue: c.id,
            }
            .into());
        }
    }
    Ok(CaptureTarget { url, site, clue })
}

/// The operators of a capture of `site`, as the evidence names them: the distinct names given
/// (at least [`MIN_OPERATORS`]); once the store has users, each must be one (`NAME` or
/// `user:NAME`), active, with a role that may capture and the site in their scope, and is named
/// `user:NAME`. Before any user exists (a fresh installation, the command line alone) the
/// names are taken as given.
pub async fn check_operators(
    store: &dyn Store,
    names: &[String],
    site: &Site,
) -> Result<Vec<String>, SweepError> {
    let names = operators(names)?;
    if store.count_users().await? == 0 {
        return Ok(names);
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let username = name.strip_prefix("user:").unwrap_or(&name).to_string();
        let user = store.user_by_name(&username).await?.ok_or_else(|| {
            CaptureRefusal::UnknownOperator {
                name: username.clone(),
            }
        })?;
        if user.disabled {
            return Err(CaptureRefusal::OperatorDisabled { name: username }.into());
        }
        if !user.role.may(Permission::Capture) {
            return Err(CaptureRefusal::OperatorMayNotCapture { name: username }.into());
        }
        if !user.scope().allows(site.district, site.entity_id) {
            return Err(CaptureRefusal::OperatorOutOfScope {
                name: username,
                site: format!("{}{}", site.host, site.path_prefix),
            }
            .into());
        }
        let actor = user.actor();
        if !out.contains(&actor) {
            out.push(actor);
        }
    }
    if out.len() < MIN_OPERATORS {
        return Err(CaptureRefusal::TooFewOperators {
            needed: MIN_OPERATORS,
            got: out.len(),
        }
        .into());
    }
    Ok(out)
}

/// The distinct, non-empty operator names; at least [`MIN_OPERATORS`].
fn operators(given: &[String]) -> Result<Vec<String>, CaptureRefusal> {
    let mut out: Vec<String> = Vec::new();
    for o in given {
        let o = one_line(o);
        if !o.is_empty() && !out.contains(&o) {
            out.push(o);
        }
    }
    if out.len() < MIN_OPERATORS {
        return Err(CaptureRefusal::TooFewOperators {
            needed: MIN_OPERATORS,
            got: out.len(),
        });
    }
    Ok(out)
}

/// `s` on one line, trimmed (metadata fields are single lines).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The metadata fields naming what the browser's proxy refused: one `browser-refused` field
/// per request (`HOST:PORT ADDRESS CODE`), at most [`MAX_REFUSALS_RECORDED`], and then
/// `browser-refused-more: N` for the rest.
pub(crate) fn refusal_fields(refused: &[crawl::browser::Refused]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = refused
        .iter()
        .take(MAX_REFUSALS_RECORDED)
        .map(|r| ("browser-refused".to_string(), one_line(&r.to_string())))
        .collect();
    if refused.len() > MAX_REFUSALS_RECORDED {
        out.push((
            "browser-refused-more".to_string(),
            (refused.len() - MAX_REFUSALS_RECORDED).to_string(),
        ));
    }
    out
}

fn shot_note(shot: &Result<Screenshot, String>) -> String {
    match shot {
        Ok(s) => format!(
            "taken {}x{}{} by {} ({})",
            s.width,
            s.height,
            if s.cut { " (cut)" } else { "" },
            s.browser,
            s.final_url
        ),
        Err(why) => format!("not taken: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_distinct_operators_are_required() {
        let too_few = |got| {
            Err(CaptureRefusal::TooFewOperators {
                needed: MIN_OPERATORS,
                got,
            })
        };
        assert_eq!(operators(&["张三".into()]), too_few(1));
        assert_eq!(
            operators(&["张三".into(), " 张三 ".into(), "".into()]),
            too_few(1)
        );
        assert_eq!(operators(&[]), too_few(0));
        assert_eq!(
            operators(&["张三".into(), "李\n四".into()]).unwrap(),
            ["张三", "李 四"]
        );
    }
}
