//! `/sites` (the register's sites, filtered by district, kind and registration, paged) and
//! `/sites/{id}` (one site: its facts, findings, change history across sweeps and recent
//! fetches, each linked to evidence).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use domain::{SiteId, SiteKind};
use store::{Fetch, FindingFilter, PageChange, PageHistory, Site, SiteFilter, SiteSort};

use super::findings::FindingRow;
use super::render;
use crate::view::{self, link, ListLinks, Opt, Pager, SiteParams, PAGE_SIZE};
use crate::{Shared, Viewer, WebError};

/// Fetches shown on a site page.
const SITE_FETCHES: i64 = 50;
/// Findings shown on a site page (the full list is one link away).
const SITE_FINDINGS: i64 = 200;
/// Change history entries shown on a site page (newest sweep first).
const SITE_HISTORY: i64 = 100;

struct SiteRow {
    href: String,
    host: String,
    prefix: String,
    kind_label: &'static str,
    kind_code: &'static str,
    entity: String,
    entity_href: String,
    registered: bool,
    discovered: bool,
    class_label: String,
    class_reason: String,
    disagrees: bool,
    district: String,
}

impl SiteRow {
    fn new(s: &Site, app: &crate::AppState) -> SiteRow {
        SiteRow {
            href: format!("/sites/{}", s.id),
            host: s.host.clone(),
            prefix: s.path_prefix.clone(),
            kind_label: view::kind_label(s.kind),
            kind_code: s.kind.code(),
            entity: s.entity_name.clone().unwrap_or_default(),
            entity_href: s
                .entity_id
                .map(|e| format!("/entities/{e}"))
                .unwrap_or_default(),
            registered: s.entity_id.is_some(),
            discovered: s.origin == store::SiteOrigin::Discovered,
            class_label: s
                .classified
                .as_ref()
                .map(|c| view::kind_label(c.kind).to_string())
                .unwrap_or_default(),
            class_reason: s
                .classified
                .as_ref()
                .map(|c| c.reason.clone())
                .unwrap_or_default(),
            disagrees: s.kind_disagrees(),
            district: view::district_label(&app.districts, s.district),
        }
    }
}

#[derive(Template)]
#[template(path = "sites.html")]
struct SitesPage {
    active: &'static str,
    districts: Vec<Opt>,
    kinds: Vec<Opt>,
    registered: Vec<Opt>,
    rows: Vec<SiteRow>,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    heads: Vec<view::Head>,
    pager: Pager,
    csv_href: String,
    xlsx_href: String,
}

/// The sites list's columns: label and the key each sorts by.
const COLUMNS: &[(&str, Option<SiteSort>)] = &[
    ("主机 host", Some(SiteSort::Host)),
    ("路径前缀", Some(SiteSort::Prefix)),
    ("类型", Some(SiteSort::Kind)),
    ("经营主体", Some(SiteSort::Entity)),
    ("区域", Some(SiteSort::District)),
    ("", None),
];

pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<SiteParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = params.filter()?;
    let sort = params.sort()?;
    let page = view::page_param(&params.page)?;
    let scope = viewer.scope();
    let counted = SiteFilter {
        count_up_to: Some(view::count_up_to(page)),
        ..filter.clone()
    };
    let total = app.store.count_sites(scope.clone(), &counted).await?;
    let sites = app
        .store
        .list_sites(
            scope,
            &SiteFilter {
                sort,
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
                ..filter
            },
        )
        .await?;
    let (dist, kind, reg) = (
        view::text(&params.district),
        view::text(&params.kind),
        view::text(&params.registered),
    );
    let links = ListLinks::new("/sites", params.pairs(), sort);
    let pager = links.pager(page, sites.len(), total);
    let mut kinds = vec![Opt::new("", "全部类型", &kind)];
    kinds.extend(SiteKind::ALL.iter().map(|k| {
        Opt::new(
            k.code(),
            format!("{} {}", view::kind_label(*k), k.code()),
            &kind,
        )
    }));
    let registered = vec![
        Opt::new("", "全部", &reg),
        Opt::new("yes", "已登记", &reg),
        Opt::new("no", "未登记（发现）", &reg),
    ];
    render(&SitesPage {
        active: "sites",
        districts: view::district_options(&app.districts, &dist),
        kinds,
        registered,
        rows: sites.iter().map(|s| SiteRow::new(s, &app)).collect(),
        sort_fields: links.sort_fields(),
        heads: links.heads(COLUMNS),
        pager,
        csv_href: links.export("/export/sites", "csv"),
        xlsx_href: links.export("/export/sites", "xlsx"),
    })
}

struct FetchRow {
    url: String,
    status: String,
    failed: bool,
    time: String,
    bytes: i64,
    content_type: String,
    error: String,
    evidence_href: Option<String>,
}

impl FetchRow {
    fn new(f: &Fetch) -> FetchRow {
        let n = &f.fetch;
        FetchRow {
            url: n.url.clone(),
            status: n
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into()),
            failed: n.error.is_some() || n.status.is_none_or(|s| s >= 400),
            time: view::time(n.fetched_at),
            bytes: n.bytes,
            content_type: n.content_type.clone().unwrap_or_default(),
            error: n.error.clone().unwrap_or_default(),
            evidence_href: n.evidence.as_ref().map(|_| format!("/evidence/{}", f.id)),
        }
    }
}

/// One line of a site's change history.
struct HistoryRow {
    url: String,
    sweep: i64,
    time: String,
    status: String,
    change_label: &'static str,
    change_code: &'static str,
    /// Worth the reader's eye: the page changed, vanished or could not be fetched.
    notable: bool,
    evidence_href: Option<String>,
}

impl HistoryRow {
    fn new(h: &PageHistory) -> HistoryRow {
        HistoryRow {
            url: h.url.clone(),
            sweep: h.sweep_id.0,
            time: view::time(h.fetched_at),
            status: h
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into()),
            change_label: view::change_label(h.change),
            change_code: h.change.code(),
            notable: matches!(
                h.change,
                PageChange::Changed | PageChange::Gone | PageChange::Failed
            ),
            evidence_href: h.has_evidence.then(|| format!("/evidence/{}", h.fetch_id)),
        }
    }
}

#[derive(Template)]
#[template(path = "site.html")]
struct SitePage {
    active: &'static str,
    site: SiteRow,
    id: i64,
    start_url: String,
    fetches: Vec<FetchRow>,
    history: Vec<HistoryRow>,
    findings: Vec<FindingRow>,
    findings_total: i64,
    finding_heads: Vec<view::Head>,
    findings_href: String,
}

pub(crate) async fn detail(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let id = SiteId(view::path_id(&raw, "网站")?);
    let scope = viewer.scope();
    let site = app
        .store
        .site(scope.clone(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("网站 {id}")))?;
    let fetches = app
        .store
        .site_fetches(scope.clone(), id, SITE_FETCHES)
        .await?;
    let history = app
        .store
        .site_history(scope.clone(), id, SITE_HISTORY)
        .await?;
    let filter = FindingFilter {
        site_id: Some(id),
        ..FindingFilter::default()
    };
    let findings_total = app.store.count_findings(scope.clone(), &filter).await?;
    let findings = app
        .store
        .list_findings(
            scope.clone(),
            &FindingFilter {
                limit: SITE_FINDINGS,
                ..filter
            },
        )
        .await?;
    render(&SitePage {
        active: "sites",
        id: id.0,
        start_url: site.start_url(),
        site: SiteRow::new(&site, &app),
        fetches: fetches.iter().map(FetchRow::new).collect(),
        history: history.iter().map(HistoryRow::new).collect(),
        findings: findings
            .iter()
            .map(|f| FindingRow::new(f, &app.districts))
            .collect(),
        findings_total,
        finding_heads: super::findings::plain_heads(),
        findings_href: link("/findings", &[("site", id.to_string())]),
    })
}
