//! The extraction record (电子数据提取记录) of a site: what `docs/spec/evidence.md` ("The evidence
//! record") asks for and the records hold today — target and final URL with the redirect chain
//! as recorded, the fetch profile (the request records' `User-Agent` and `Referer`), the time
//! and its source, the server IP (`WARC-IP-Address`), the tool (`warcinfo` `software`), every
//! WARC record with its digests, the latest signed checkpoint, the operators and the custody
//! trail. One [`ExtractionRecord`] is built per request and served as printable HTML
//! (`/sites/{id}/record`) and as JSON (`/api/sites/{id}/record`).
//!
//! Built from the store (fetches, custody) and from the WARC files themselves, read through
//! the same distrusted pointers as the evidence page (`warc_source`: the evidence directory,
//! else the object store by ranged reads). Per WARC file the
//! records are read from the start up to the last one the site needs (request records carry
//! no pointer of their own), so the cost is bounded by the site's evidence, not the file.
//! Clues and cases (a later issue) will select records more narrowly than "the site".

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use evidence::tlog::{checkpoint::stored_notes, Checkpoint};
use serde::Serialize;
use store::{CustodyFilter, CustodyRecord, CustodySubject, Fetch, Scope, Site, SiteAddress};

use crate::pages::evidence::{warc_source, WarcSource};
use crate::{Shared, WebError};

/// Fetches of a site taken into one record, newest first.
pub(crate) const MAX_RECORDS: i64 = 500;
/// Redirect hops followed from the target URL.
const MAX_HOPS: usize = 10;
/// What an operator field says when nobody filled it in.
pub(crate) const UNFILLED: &str = "未填写";

/// The extraction record of one site.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ExtractionRecord {
    pub title: &'static str,
    pub site_id: i64,
    pub host: String,
    pub path_prefix: String,
    pub entity_name: Option<String>,
    /// The clue this record is drawn up for (else it is the site's record).
    pub clue: Option<ClueEntry>,
    /// The URL the extraction started from (the site's start URL; for a clue, the page of its
    /// oldest record).
    pub target_url: String,
    /// Where the recorded redirects from the target URL end.
    pub final_url: String,
    pub redirects: Vec<RedirectHop>,
    /// When this record was drawn up (UTC, RFC 3339).
    pub generated_at: String,
    /// Where every time in the record comes from.
    pub time_source: &'static str,
    /// Tools that captured the records (`warcinfo` `software`), and the console that drew up
    /// this record.
    pub capture_tools: Vec<String>,
    pub record_tool: String,
    /// The distinct fetch profiles of the requests (`User-Agent`, `Referer`).
    pub fetch_profiles: Vec<FetchProfile>,
    pub records: Vec<RecordEntry>,
    pub checkpoint: Option<CheckpointEntry>,
    pub operators: Vec<String>,
    pub operators_note: &'static str,
    pub custody: Vec<CustodyRecord>,
}

/// The clue an extraction record is drawn up for.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ClueEntry {
    pub id: i64,
    pub summary: String,
    pub created_by: String,
    pub created_at: String,
    pub findings: Vec<i64>,
    /// The evidence captures (sweeps of kind `capture`) taken for it.
    pub captures: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RedirectHop {
    pub from: String,
    pub status: i32,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) struct FetchProfile {
    pub user_agent: Option<String>,
    pub referer: Option<String>,
}

/// One WARC record of the extraction.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RecordEntry {
    pub fetch_id: i64,
    pub url: String,
    /// The fetch time (UTC, RFC 3339), from the capturing machine's system clock.
    pub fetched_at: String,
    pub status: Option<i32>,
    pub warc_file: String,
    pub offset: i64,
    pub warc_type: Option<String>,
    pub warc_record_id: Option<String>,
    pub warc_date: Option<String>,
    pub block_digest: Option<String>,
    pub payload_digest: Option<String>,
    /// `WARC-IP-Address`: the server's address.
    pub server_ip: Option<String>,
    pub profile: Option<FetchProfile>,
    /// The response's `Location`, for a redirect.
    pub location: Option<String>,
    /// Fields of the exchange's `metadata` record (profile, DNS answer, server address,
    /// redirect chain, fetch errors; for an inspector's capture the operators, the reason and
    /// whether a screenshot was taken).
    pub metadata: Vec<(String, String)>,
    /// The full-page screenshot taken with this response (a `resource` record concurrent to
    /// it), when there is one.
    pub screenshot: Option<ShotEntry>,
    /// Why some of the above could not be read.
    pub problems: Vec<String>,
}

/// A screenshot's `resource` record.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ShotEntry {
    pub warc_file: String,
    pub offset: u64,
    /// `WARC-Target-URI`: `urn:view:` + the page URL (older screenshots: the page URL).
    pub target_uri: Option<String>,
    /// The page the screenshot shows, read from either form of its target.
    pub page_url: Option<String>,
    pub warc_record_id: Option<String>,
    pub warc_date: Option<String>,
    pub content_type: Option<String>,
    pub block_digest: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckpointEntry {
    pub origin: String,
    pub size: u64,
    /// Base64, as in the signed note.
    pub root: String,
    pub time: Option<String>,
    /// The signature verified against the published key.
    pub signature_verified: bool,
    pub note: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `?operators=` split on commas (ASCII or Chinese) and `、`, at most ten, each bounded; two
/// "未填写" placeholders when none are given.
pub(crate) fn operators(raw: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = raw
        .unwrap_or_default()
        .split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(10)
        .map(|s| s.chars().take(100).collect())
        .collect();
    while out.len() < 2 {
        out.push(UNFILLED.to_string());
    }
    out
}

/// `name: value` lines of an `application/warc-fields` block.
fn warc_fields(block: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(block)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// A header of an HTTP head (case-insensitive), from the raw head bytes.
fn http_header(head: &[u8], name: &str) -> Option<String> {
    http_msg::Head::parse(head).field(name).map(str::to_string)
}

/// What one WARC file says about the records the site needs.
#[derive(Default)]
struct FileFacts {
    software: Option<String>,
    /// By offset: the record found there.
    at: HashMap<u64, evidence::Record>,
    /// Request records' profiles, by record id.
    profiles: HashMap<String, FetchProfile>,
    /// Metadata fields, by the record id they refer to.
    metadata: HashMap<String, Vec<(String, String)>>,
    /// Screenshots (`resource` records), by the record id they are concurrent to.
    shots: HashMap<String, ShotEntry>,
    problem: Option<String>,
}

/// Reads `path` from the start through the records that follow the last wanted offset as part
/// of its exchange (its `metadata`, a screenshot).
fn scan_file(
    source: &WarcSource,
    wanted: &BTreeSet<u64>,
    file: &str,
    handle: &tokio::runtime::Handle,
) -> FileFacts {
    let mut facts = FileFacts::default();
    let last = wanted.iter().next_back().copied().unwrap_or(0);
    let reader = match source.records_from(0, handle) {
        Ok(r) => r,
        Err(e) => {
            facts.problem = Some(e.to_string());
            return facts;
        }
    };
    for rec in reader {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                facts.problem = Some(e.to_string());
                break;
            }
        };
        let past = rec.offset > last;
        match rec.warc_type() {
            Some("warcinfo") if facts.software.is_none() => {
                facts.software = warc_fields(&rec.block)
                    .into_iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("software"))
                    .map(|(_, v)| v);
            }
            Some("request") => {
                if let (Some(id), Some((head, _))) = (rec.record_id(), rec.http_parts()) {
                    facts.profiles.insert(
                        id.to_string(),
                        FetchProfile {
                            user_agent: http_header(head, "User-Agent"),
                            referer: http_header(head, "Referer"),
                        },
                    );
                }
            }
            Some("metadata") => {
                if let Some(to) = rec.header("WARC-Refers-To") {
                    facts
                        .metadata
                        .insert(to.to_string(), warc_fields(&rec.block));
                }
            }
            Some("resource") => {
                if let Some(to) = rec.header("WARC-Concurrent-To") {
                    facts.shots.insert(to.to_string(), shot_entry(&rec, file));
                }
            }
            _ => {}
        }
        if wanted.contains(&rec.offset) {
            facts.at.insert(rec.offset, rec);
        } else if past && !matches!(rec.warc_type(), Some("metadata" | "resource")) {
            // The last wanted record's exchange (its metadata, a screenshot) has been read.
            break;
        }
    }
    facts
}

fn shot_entry(rec: &evidence::Record, file: &str) -> ShotEntry {
    let h = |n: &str| rec.header(n).map(str::to_string);
    ShotEntry {
        warc_file: file.to_string(),
        offset: rec.offset,
        target_uri: rec.target_uri().map(str::to_string),
        page_url: rec
            .target_uri()
            .map(|t| evidence::viewed_page(t).to_string()),
        warc_record_id: h("WARC-Record-ID"),
        warc_date: h("WARC-Date"),
        content_type: h("Content-Type"),
        block_digest: h("WARC-Block-Digest"),
    }
}

fn entry(f: &Fetch, facts: Option<&FileFacts>) -> Option<RecordEntry> {
    let p = f.fetch.evidence.as_ref()?;
    let mut e = RecordEntry {
        fetch_id: f.id.0,
        url: f.fetch.url.clone(),
        fetched_at: rfc3339(f.fetch.fetched_at),
        status: f.fetch.status,
        warc_file: p.warc_file.clone(),
        offset: p.offset,
        warc_type: None,
        warc_record_id: None,
        warc_date: None,
        block_digest: Some(p.digest.clone()),
        payload_digest: f.fetch.payload_digest.clone(),
        server_ip: None,
        profile: None,
        location: None,
        metadata: Vec::new(),
        screenshot: None,
        problems: Vec::new(),
    };
    let Some(facts) = facts else {
        e.problems.push("证据文件不可用".into());
        return Some(e);
    };
    if let Some(why) = &facts.problem {
        e.problems.push(format!("读取证据文件时出错：{why}"));
    }
    let Some(rec) = u64::try_from(p.offset).ok().and_then(|o| facts.at.get(&o)) else {
        e.problems.push("在登记的偏移量处未找到记录".into());
        return Some(e);
    };
    let h = |n: &str| rec.header(n).map(str::to_string);
    e.warc_type = h("WARC-Type");
    e.warc_record_id = h("WARC-Record-ID");
    e.warc_date = h("WARC-Date");
    e.block_digest = h("WARC-Block-Digest").or(e.block_digest);
    e.payload_digest = h("WARC-Payload-Digest").or(e.payload_digest);
    e.server_ip = h("WARC-IP-Address");
    e.profile = rec
        .header("WARC-Concurrent-To")
        .and_then(|id| facts.profiles.get(id))
        .cloned();
    e.location = rec
        .http_parts()
        .and_then(|(head, _)| http_header(head, "Location"));
    if let Some(m) = rec.record_id().and_then(|id| facts.metadata.get(id)) {
        e.metadata = m.clone();
    }
    e.screenshot = rec.record_id().and_then(|id| facts.shots.get(id)).cloned();
    if !p.digest.is_empty() && e.block_digest.as_deref() != Some(p.digest.as_str()) {
        e.problems
            .push("数据库登记的摘要与记录的 WARC-Block-Digest 不符".into());
    }
    Some(e)
}

/// Resolves a `Location` against the URL it answered (absolute, or an absolute path).
fn resolve_location(base: &str, loc: &str) -> String {
    if loc.starts_with("http://") || loc.starts_with("https://") {
        return loc.to_string();
    }
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let origin_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    if let Some(rest) = loc.strip_prefix("//") {
        format!("{}{rest}", &base[..scheme_end])
    } else if loc.starts_with('/') {
        format!("{}{loc}", &base[..origin_end])
    } else {
        let dir_end = base.rfind('/').filter(|&i| i >= origin_end).map(|i| i + 1);
        match dir_end {
            Some(i) => format!("{}{loc}", &base[..i]),
            None => format!("{}/{loc}", &base[..origin_end]),
        }
    }
}

/// Follows the recorded redirects from `target` (the oldest fetch of each URL).
fn redirect_chain(target: &str, records: &[RecordEntry]) -> (String, Vec<RedirectHop>) {
    let mut by_url: BTreeMap<&str, &RecordEntry> = BTreeMap::new();
    for r in records.iter().rev() {
        // `records` is newest first: the oldest fetch of a URL wins.
        by_url.insert(r.url.as_str(), r);
    }
    let mut cur = target.to_string();
    let mut hops = Vec::new();
    while hops.len() < MAX_HOPS {
        let Some(r) = by_url.get(cur.as_str()) else {
            break;
        };
        let (Some(status), Some(loc)) = (r.status, &r.location) else {
            break;
        };
        if !(300..400).contains(&status) {
            break;
        }
        let next = resolve_location(&cur, loc);
        hops.push(RedirectHop {
            from: cur.clone(),
            status,
            to: next.clone(),
        });
        if hops.iter().any(|h| h.from == next) {
            break;
        }
        cur = next;
    }
    (cur, hops)
}

fn latest_checkpoint(app: &Shared) -> Option<CheckpointEntry> {
    let log = app.log.as_ref()?;
    let notes = stored_notes(&log.dir).ok()?;
    let path = notes.last()?;
    let note = std::fs::read_to_string(path).ok()?;
    let key = std::fs::read_to_string(&log.public_key_file)
        .ok()
        .map(|k| k.trim().to_string());
    let verified = key
        .as_deref()
        .and_then(|k| Checkpoint::verify_note(&note, k).ok());
    let cp = verified.clone().or_else(|| {
        note.split("\n\n")
            .next()
            .and_then(|body| Checkpoint::parse_text(&format!("{body}\n")).ok())
    })?;
    Some(CheckpointEntry {
        origin: cp.origin.clone(),
        size: cp.size,
        root: cp.root.to_base64(),
        time: cp.time().map(rfc3339),
        signature_verified: verified.is_some(),
        note,
    })
}

/// Draws up the extraction record of `site` from its newest [`MAX_RECORDS`] fetches, with the
/// custody rows `scope` may read.
pub(crate) async fn build(
    app: &Shared,
    scope: Scope,
    site: &Site,
    clue: Option<&store::Clue>,
    fetches: Vec<Fetch>,
    operators_raw: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ExtractionRecord, WebError> {
    // Which offsets each file must give, through the distrusted pointer check.
    let mut wanted: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for f in &fetches {
        if let Some(p) = &f.fetch.evidence {
            if let Ok(o) = u64::try_from(p.offset) {
                wanted.entry(p.warc_file.clone()).or_default().insert(o);
            }
        }
    }
    let files: Vec<(String, Option<WarcSource>, BTreeSet<u64>)> = wanted
        .into_iter()
        .map(|(name, offsets)| {
            let source = warc_source(app, &name);
            (name, source, offsets)
        })
        .collect();
    let handle = tokio::runtime::Handle::current();
    let facts: HashMap<String, FileFacts> = tokio::task::spawn_blocking(move || {
        files
            .into_iter()
            .filter_map(|(name, source, offsets)| {
                let facts = scan_file(&source?, &offsets, &name, &handle);
                Some((name, facts))
            })
            .collect()
    })
    .await
    .map_err(|e| WebError::Internal(format!("evidence reader: {e}")))?;

    let records: Vec<RecordEntry> = fetches
        .iter()
        .filter_map(|f| {
            let file = &f.fetch.evidence.as_ref()?.warc_file;
            entry(f, facts.get(file))
        })
        .collect();
    let target_url = match clue {
        // Records are newest first: the clue's oldest record is where it started.
        Some(_) => records
            .last()
            .map(|r| r.url.clone())
            .unwrap_or_else(|| site.start_url()),
        None => site.start_url(),
    };
    let (final_url, redirects) = redirect_chain(&target_url, &records);
    let capture_tools: Vec<String> = facts
        .values()
        .filter_map(|f| f.software.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let fetch_profiles: Vec<FetchProfile> = records
        .iter()
        .filter_map(|r| r.profile.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    // Custody: views of these records, and exports of the site or of its sweeps.
    let mut subjects: BTreeSet<CustodySubject> = records
        .iter()
        .map(|r| CustodySubject::record(&r.warc_file, r.offset))
        .collect();
    subjects.insert(CustodySubject::Site(SiteAddress::from_parts(
        &site.host,
        &site.path_prefix,
    )));
    if let Some(c) = clue {
        subjects.insert(CustodySubject::Clue(c.id));
    }
    for f in &fetches {
        subjects.insert(CustodySubject::Sweep(f.fetch.sweep_id));
    }
    let custody = app
        .store
        .custody(&CustodyFilter::about(scope, subjects))
        .await?;

    Ok(ExtractionRecord {
        title: "电子数据提取记录",
        site_id: site.id.0,
        host: site.host.clone(),
        path_prefix: site.path_prefix.clone(),
        entity_name: site.entity_name.clone(),
        clue: clue.map(|c| ClueEntry {
            id: c.id.0,
            summary: c.summary.clone(),
            created_by: c.created_by.clone(),
            created_at: rfc3339(c.created_at),
            findings: c.findings.iter().map(|f| f.0).collect(),
            captures: c.captures.iter().map(|s| s.0).collect(),
        }),
        target_url,
        final_url,
        redirects,
        generated_at: rfc3339(now),
        time_source: "系统时钟（UTC），抓取机与控制台各自的系统时间 / system clock",
        capture_tools,
        record_tool: concat!("wangjian-web/", env!("CARGO_PKG_VERSION")).to_string(),
        fetch_profiles,
        records,
        checkpoint: latest_checkpoint(app),
        operators: operators(operators_raw),
        operators_note: "执法提取须由两名以上执法人员进行并签名。",
        custody,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve() {
        let check = |base, loc, want: &str| assert_eq!(resolve_location(base, loc), want);
        check("http://a.test/", "http://www.a.test/", "http://www.a.test/");
        check("http://a.test/x/y", "/z", "http://a.test/z");
        check("http://a.test/x/y", "z", "http://a.test/x/z");
        check("http://a.test", "z", "http://a.test/z");
        check("https://a.test/x", "//b.test/", "https://b.test/");
    }

    #[test]
    fn operators_default_to_two_placeholders() {
        assert_eq!(operators(None), [UNFILLED, UNFILLED]);
        assert_eq!(operators(Some("张三")), ["张三", UNFILLED]);
        assert_eq!(
            operators(Some("张三，李四, 王五")),
            ["张三", "李四", "王五"]
        );
    }
}
