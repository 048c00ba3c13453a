//! The register in the console: `/entities` (filtered, paged, exportable), the profile
//! ("portrait", 全景画像) `/entities/{id}` and its JSON twin `/api/entities/{id}`, the exports
//! `/export/entities` and `/export/sites` (CSV or XLSX) and search (`/search`, `/api/search`).
//!
//! The profile has one query path, [`Profile::load`]: the HTML page and the JSON document are
//! two renderings of the same value.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use domain::{EntityId, EntityStatus, FetchId, SiteKind};
use serde::Serialize;
use store::{
    conflicts, Conflict, Entity, EntityFilter, EntitySort, Fetch, Filing, FindingFilter,
    HistoryEntry, Scope, Site,
};

use super::render;
use crate::exports;
use crate::view::{self, link, param, ListLinks, Opt, Pager, PAGE_SIZE};
use crate::{ApiError, Shared, Viewer, WebError};

/// Captures listed on a profile.
const PROFILE_CAPTURES: usize = 20;
/// Findings listed per site on a profile (the site page has them all).
const PROFILE_FINDINGS: i64 = 20;

/// The filter parameters of the entity list, its exports and the API's list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EntityParams {
    /// District code.
    #[param(schema_with = crate::api::schema::district)]
    pub district: Option<String>,
    /// Kind of online business the register records.
    #[param(schema_with = crate::api::schema::site_kind)]
    pub kind: Option<String>,
    /// Registration status.
    #[param(schema_with = crate::api::schema::entity_status)]
    pub status: Option<String>,
    /// Page of the HTML list (not an API parameter).
    #[param(ignore)]
    pub page: Option<String>,
    /// Export format (not an API parameter).
    #[param(ignore)]
    pub format: Option<String>,
    /// Column code the HTML list and its exports sort by (not an API parameter).
    #[param(ignore)]
    pub sort: Option<String>,
    /// `asc` or `desc` (not an API parameter).
    #[param(ignore)]
    pub dir: Option<String>,
}

impl EntityParams {
    pub(crate) fn filter(&self) -> Result<EntityFilter, WebError> {
        Ok(EntityFilter {
            district: param::<view::DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            kind: param::<SiteKind>("kind", &self.kind)?,
            status: param::<EntityStatus>("status", &self.status)?,
            ..EntityFilter::default()
        })
    }

    /// The order the request names (`sort`, `dir`).
    pub(crate) fn sort(&self) -> Result<Option<store::Sort<EntitySort>>, WebError> {
        view::sort_param(&self.sort, &self.dir)
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let v = |o: &Option<String>| o.as_deref().unwrap_or_default().trim().to_string();
        vec![
            ("district", v(&self.district)),
            ("kind", v(&self.kind)),
            ("status", v(&self.status)),
        ]
    }
}

struct EntityRow {
    href: String,
    uscc: String,
    name: String,
    status_label: &'static str,
    status_warn: bool,
    form: &'static str,
    kind_label: &'static str,
    district: String,
}

impl EntityRow {
    fn new(e: &Entity, app: &crate::AppState) -> EntityRow {
        EntityRow {
            href: format!("/entities/{}", e.id),
            uscc: e.input.uscc.clone(),
            name: e.input.name.clone(),
            status_label: e.input.status.title(),
            status_warn: e.input.status != EntityStatus::Active,
            form: e.input.legal_form.title(),
            kind_label: view::kind_label(e.input.kind),
            district: view::district_label(&app.districts, Some(e.input.district)),
        }
    }
}

/// The entity list's columns: label and the key each sorts by.
const COLUMNS: &[(&str, Option<EntitySort>)] = &[
    ("名称", Some(EntitySort::Name)),
    ("统一社会信用代码", Some(EntitySort::Uscc)),
    ("主体类型", Some(EntitySort::LegalForm)),
    ("网站类型", Some(EntitySort::Kind)),
    ("状态", Some(EntitySort::Status)),
    ("区域", Some(EntitySort::District)),
];

#[derive(Template)]
#[template(path = "entities.html")]
struct EntitiesPage {
    active: &'static str,
    districts: Vec<Opt>,
    kinds: Vec<Opt>,
    statuses: Vec<Opt>,
    rows: Vec<EntityRow>,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    heads: Vec<view::Head>,
    pager: Pager,
    csv_href: String,
    xlsx_href: String,
}

pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<EntityParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = params.filter()?;
    let sort = params.sort()?;
    let page = view::page_param(&params.page)?;
    let scope = viewer.scope();
    let counted = EntityFilter {
        count_up_to: Some(view::count_up_to(page)),
        ..filter.clone()
    };
    let total = app.store.count_entities_in(scope.clone(), &counted).await?;
    let rows = app
        .store
        .list_entities(
            scope,
            &EntityFilter {
                sort,
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
                ..filter
            },
        )
        .await?;
    let pairs = params.pairs();
    let links = ListLinks::new("/entities", pairs.clone(), sort);
    let pager = links.pager(page, rows.len(), total);
    let current = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let kind = current("kind");
    let mut kinds = vec![Opt::new("", "全部类型", &kind)];
    kinds.extend(
        SiteKind::ALL
            .iter()
            .map(|k| Opt::new(k.code(), view::kind_label(*k), &kind)),
    );
    let status = current("status");
    let mut statuses = vec![Opt::new("", "全部状态", &status)];
    statuses.extend(
        EntityStatus::ALL
            .iter()
            .map(|s| Opt::new(s.code(), s.title(), &status)),
    );
    render(&EntitiesPage {
        active: "entities",
        districts: view::district_options(&app.districts, &current("district")),
        kinds,
        statuses,
        rows: rows.iter().map(|e| EntityRow::new(e, &app)).collect(),
        sort_fields: links.sort_fields(),
        heads: links.heads(COLUMNS),
        pager,
        csv_href: links.export("/export/entities", "csv"),
        xlsx_href: links.export("/export/entities", "xlsx"),
    })
}

/// A filing with its conflicts as of today.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FilingView {
    #[serde(flatten)]
    pub filing: Filing,
    pub conflicts: Vec<Conflict>,
}

/// A permit or license of the entity, from the register or a department's filing.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Permit {
    pub kind: String,
    pub number: String,
    pub scope: Option<String>,
    pub valid_from: Option<chrono::NaiveDate>,
    pub valid_until: Option<chrono::NaiveDate>,
    /// `register`, or the filing's source.
    pub source: String,
    pub expired: bool,
}

/// One of the entity's sites with its latest findings.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SiteView {
    #[serde(flatten)]
    pub site: Site,
    pub kind_disagrees: bool,
    pub findings_total: i64,
    pub findings: Vec<store::Finding>,
}

/// A section later features fill (cases, credit, complaints): present in the profile so that
/// its shape does not change when they arrive.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Placeholder {
    pub section: &'static str,
    pub title: &'static str,
    pub available: bool,
}

/// Everything the console knows about one entity ("portrait").
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Profile {
    pub entity: Entity,
    pub permits: Vec<Permit>,
    pub filings: Vec<FilingView>,
    pub sites: Vec<SiteView>,
    pub captures: Vec<Fetch>,
    pub history: Vec<HistoryEntry>,
    /// Its field inspections in scope, the newest check first (at most
    /// `PROFILE_INSPECTIONS`).
    pub inspections: Vec<store::Inspection>,
    /// Its credit: the current grade explained (none before it is first scored).
    pub credit: Option<credit::archive::CreditView>,
    /// Its credit archive, newest first.
    pub credit_history: Vec<store::StoredGrade>,
    pub placeholders: Vec<Placeholder>,
}

/// Inspections shown on a profile.
const PROFILE_INSPECTIONS: i64 = 20;

impl Profile {
    /// The profile of entity `id` as `scope` may see it (`None`: no such entity in scope).
    pub(crate) async fn load(
        app: &crate::AppState,
        scope: Scope,
        id: EntityId,
    ) -> Result<Option<Profile>, store::StoreError> {
        let Some(entity) = app.store.entity(scope.clone(), id).await? else {
            return Ok(None);
        };
        let today = domain::time::beijing_date(chrono::Utc::now());
        let filings: Vec<FilingView> = app
            .store
            .entity_filings(scope.clone(), id)
            .await?
            .into_iter()
            .map(|f| FilingView {
                conflicts: conflicts(&f, Some(&entity), today),
                filing: f,
            })
            .collect();
        let mut permits = Vec::new();
        if let Some(n) = &entity.input.food_permit {
            permits.push(Permit {
                kind: "food_permit".into(),
                number: n.clone(),
                scope: None,
                valid_from: None,
                valid_until: None,
                source: "register".into(),
                expired: false,
            });
        }
        // Licenses and permits; ICP filings are filings, listed with the other records.
        for f in filings.iter().filter(|f| f.filing.input.kind != "icp") {
            let i = &f.filing.input;
            if let Some(number) = &i.number {
                permits.push(Permit {
                    kind: i.kind.clone(),
                    number: number.clone(),
                    scope: i.scope.clone(),
                    valid_from: i.valid_from,
                    valid_until: i.valid_until,
                    source: i.source.clone(),
                    expired: i.valid_until.is_some_and(|u| u < today),
                });
            }
        }
        let mut sites = Vec::new();
        let mut captures = Vec::new();
        for site in app.store.entity_sites(scope.clone(), id).await? {
            let filter = FindingFilter {
                site_id: Some(site.id),
                ..FindingFilter::default()
            };
            let findings_total = app.store.count_findings(scope.clone(), &filter).await?;
            let findings = app
                .store
                .list_findings(
                    scope.clone(),
                    &FindingFilter {
                        limit: PROFILE_FINDINGS,
                        ..filter
                    },
                )
                .await?;
            captures.extend(
                app.store
                    .site_fetches(scope.clone(), site.id, PROFILE_CAPTURES as i64)
                    .await?,
            );
            sites.push(SiteView {
                kind_disagrees: site.kind_disagrees(),
                site,
                findings_total,
                findings,
            });
        }
        captures.sort_by_key(|c| std::cmp::Reverse(c.fetch.fetched_at));
        captures.truncate(PROFILE_CAPTURES);
        let history = app.store.entity_history(scope.clone(), id).await?;
        let inspections = app
            .store
            .list_inspections(
                scope.clone(),
                &store::InspectionFilter {
                    entity: Some(id),
                    limit: PROFILE_INSPECTIONS,
                    ..store::InspectionFilter::default()
                },
            )
            .await?;
        let credit = match credit::archive::credit_of(app.store.as_ref(), scope.clone(), id).await {
            Ok(v) => Some(v),
            Err(credit::CreditError::NotFound) => None,
            Err(credit::CreditError::Store(e)) => return Err(e),
            Err(e) => return Err(store::StoreError::Corrupt(e.to_string())),
        };
        let credit_history = app.store.credit_history(scope.clone(), id).await?;
        Ok(Some(Profile {
            inspections,
            credit,
            credit_history,
            entity,
            permits,
            filings,
            sites,
            captures,
            history,
            placeholders: vec![
                Placeholder {
                    section: "cases",
                    title: "线索与案件",
                    available: false,
                },
                Placeholder {
                    section: "complaints",
                    title: "投诉举报",
                    available: false,
                },
            ],
        }))
    }
}

#[derive(Template)]
#[template(path = "entity.html")]
struct EntityPage {
    active: &'static str,
    p: Profile,
    status_warn: bool,
    form: &'static str,
    kind_label: &'static str,
    district: String,
    established: String,
    extra: Vec<(String, String)>,
    sites: Vec<SiteLine>,
    captures: Vec<CaptureLine>,
    history: Vec<HistoryLine>,
    filings: Vec<FilingLine>,
    inspection_heads: Vec<view::Head>,
    rows: Vec<super::inspections::InspectionRow>,
    may_inspect: bool,
    /// Its complaints and reports in scope (staff only: an evaluator's scope holds none).
    complaints: Vec<super::complaints::ComplaintRow>,
}

struct SiteLine {
    href: String,
    address: String,
    kind_label: &'static str,
    origin_discovered: bool,
    class_label: String,
    class_reason: String,
    disagrees: bool,
    findings_total: i64,
    findings_href: String,
    findings: Vec<(String, String, String)>,
}

struct CaptureLine {
    url: String,
    time: String,
    status: String,
    evidence_href: Option<String>,
}

struct HistoryLine {
    time: String,
    source: String,
    field: String,
    old: String,
    new: String,
}

struct FilingLine {
    source: String,
    kind: String,
    key: String,
    name: String,
    domain: String,
    status: String,
    joined: &'static str,
    validity: String,
    conflicts: Vec<String>,
    other: String,
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

pub(crate) async fn profile(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let id = EntityId(view::path_id(&raw, "经营主体")?);
    let p = Profile::load(&app, viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("经营主体 {id}")))?;
    let e = &p.entity.input;
    let sites = p
        .sites
        .iter()
        .map(|s| SiteLine {
            href: format!("/sites/{}", s.site.id),
            address: s.site.address(),
            kind_label: view::kind_label(s.site.kind),
            origin_discovered: s.site.origin == store::SiteOrigin::Discovered,
            class_label: s
                .site
                .classified
                .as_ref()
                .map(|c| view::kind_label(c.kind).to_string())
                .unwrap_or_else(|| "未分类".into()),
            class_reason: s
                .site
                .classified
                .as_ref()
                .map(|c| c.reason.clone())
                .unwrap_or_default(),
            disagrees: s.kind_disagrees,
            findings_total: s.findings_total,
            findings_href: link("/findings", &[("site", s.site.id.to_string())]),
            findings: s
                .findings
                .iter()
                .map(|f| {
                    (
                        f.finding.category.code().to_string(),
                        f.finding.excerpt.clone(),
                        f.finding
                            .fetch_id
                            .map(|id| format!("/evidence/{id}"))
                            .unwrap_or_default(),
                    )
                })
                .collect(),
        })
        .collect();
    let captures = p
        .captures
        .iter()
        .map(|f| CaptureLine {
            url: f.fetch.url.clone(),
            time: view::time(f.fetch.fetched_at),
            status: f
                .fetch
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into()),
            evidence_href: f
                .fetch
                .evidence
                .as_ref()
                .map(|_| format!("/evidence/{}", f.id)),
        })
        .collect();
    let history = p
        .history
        .iter()
        .rev()
        .map(|h| HistoryLine {
            time: view::time(h.changed_at),
            source: h.source.clone(),
            field: h.field.clone(),
            old: opt(&h.old_value),
            new: opt(&h.new_value),
        })
        .collect();
    let filings = p
        .filings
        .iter()
        .map(|f| {
            let i = &f.filing.input;
            let mapped: Vec<String> = [&i.name, &i.uscc, &i.domain, &i.number, &i.status]
                .iter()
                .filter_map(|v| v.as_ref().cloned())
                .collect();
            let other: Vec<String> = i
                .fields
                .iter()
                .filter(|(_, v)| !mapped.contains(v))
                .map(|(k, v)| format!("{k}：{v}"))
                .collect();
            FilingLine {
                source: i.source.clone(),
                kind: i.kind.clone(),
                key: i.record_key.clone(),
                name: opt(&i.name),
                domain: opt(&i.domain),
                status: opt(&i.status),
                joined: match f.filing.joined_by {
                    Some(store::JoinedBy::Uscc) => "按信用代码",
                    Some(store::JoinedBy::Domain) => "按域名",
                    None => "未关联",
                },
                validity: match (i.valid_from, i.valid_until) {
                    (None, None) => String::new(),
                    (a, b) => format!(
                        "{} 至 {}",
                        a.map(|d| d.to_string()).unwrap_or_default(),
                        b.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
                    ),
                },
                conflicts: f.conflicts.iter().map(|c| c.to_string()).collect(),
                other: other.join("；"),
            }
        })
        .collect();
    let rows = p
        .inspections
        .iter()
        .map(|i| super::inspections::InspectionRow::new(&app, i))
        .collect();
    let complaints = app
        .store
        .list_complaints(
            viewer.scope(),
            &store::ComplaintFilter {
                entity: Some(id),
                limit: PROFILE_INSPECTIONS,
                ..store::ComplaintFilter::default()
            },
        )
        .await?
        .iter()
        .map(|c| super::complaints::ComplaintRow::new(&app, c))
        .collect();
    render(&EntityPage {
        complaints,
        rows,
        inspection_heads: super::inspections::plain_heads(),
        may_inspect: viewer.may(domain::Permission::Casework) && app.inspections.is_some(),
        active: "entities",
        status_warn: e.status != EntityStatus::Active,
        form: e.legal_form.title(),
        kind_label: view::kind_label(e.kind),
        district: view::district_label(&app.districts, Some(e.district)),
        established: e.established.map(|d| d.to_string()).unwrap_or_default(),
        extra: e
            .extra
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        sites,
        captures,
        history,
        filings,
        p,
    })
}

pub(crate) async fn profile_json(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<Profile>, ApiError> {
    let id = EntityId(view::path_id(&raw, "entity")?);
    let p = Profile::load(&app, viewer.scope(), id)
        .await
        .map_err(WebError::from)?
        .ok_or_else(|| WebError::NotFound(format!("entity {id}")))?;
    Ok(Json(p))
}

pub(crate) async fn export_entities(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<EntityParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = EntityFilter {
        sort: params.sort()?,
        ..params.filter()?
    };
    let scope = viewer.scope();
    let counted = EntityFilter {
        count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
        ..filter.clone()
    };
    view::export_cap(app.store.count_entities_in(scope.clone(), &counted).await?)?;
    let entities = exports::all_entities(app.store.as_ref(), scope, &filter).await?;
    exports::response(
        &exports::entities_table(&entities, &app.districts),
        &params.format,
    )
}

/// `GET /export/sites`: the sites list as shown (filters, sort, every page).
pub(crate) async fn export_sites(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<view::Export<view::SiteParams>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = store::SiteFilter {
        sort: params.list.sort()?,
        ..params.list.filter()?
    };
    let scope = viewer.scope();
    let counted = store::SiteFilter {
        count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
        ..filter.clone()
    };
    view::export_cap(app.store.count_sites(scope.clone(), &counted).await?)?;
    let sites = exports::all_sites(app.store.as_ref(), scope, &filter).await?;
    exports::response(&exports::sites_table(&sites), &params.format)
}

// --- search ---

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct SearchParams {
    pub q: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// Hits per section on the search page.
const SEARCH_PAGE_HITS: usize = 50;

/// A register entity found by a search.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EntityResult {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    /// The name as HTML: escaped, the text matching the query inside `<mark>`.
    pub name_html: String,
    /// The field that matched best (`name`, `former_name`, `uscc`, `domain`, `icp`,
    /// `address`, `phone`, `legal_rep`).
    pub matched: &'static str,
    /// The same in words.
    pub matched_label: &'static str,
    pub href: String,
}

/// A captured page found by a search (one per address: its best-scoring capture).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PageResult {
    pub fetch_id: i64,
    pub site_id: i64,
    pub url: String,
    pub title: String,
    /// The title as HTML, escaped, matches inside `<mark>`.
    pub title_html: String,
    /// Plain text around the first match.
    pub snippet: String,
    /// The snippet as HTML, escaped, matches inside `<mark>`.
    pub snippet_html: String,
    pub href: String,
}

/// What a search found: register entities and captured pages in separate sections, each
/// ranked by relevance (`/api/search` returns this document).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct SearchResults {
    pub query: String,
    pub entities: Vec<EntityResult>,
    pub pages: Vec<PageResult>,
}

/// `text` escaped for HTML with the stretches that match the search box text `query`
/// wrapped in `<mark>`.
pub(crate) fn marked(text: &str, query: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for r in search::highlight(text, query) {
        out.push_str(&crate::chart::escape(&text[at..r.start]));
        out.push_str("<mark>");
        out.push_str(&crate::chart::escape(&text[r.clone()]));
        out.push_str("</mark>");
        at = r.end;
    }
    out.push_str(&crate::chart::escape(&text[at..]));
    out
}

/// The code and the words of the field an entity matched by.
fn matched_field(field: search::Field) -> (&'static str, &'static str) {
    match field {
        search::Field::Uscc => ("uscc", "统一社会信用代码"),
        search::Field::Name => ("name", "名称"),
        search::Field::FormerName => ("former_name", "曾用名"),
        search::Field::Domain => ("domain", "域名"),
        search::Field::Icp => ("icp", "ICP 备案号"),
        search::Field::Address => ("address", "地址"),
        search::Field::Phone => ("phone", "电话"),
        search::Field::LegalRep => ("legal_rep", "法定代表人"),
    }
}

/// Where a search's time went, for the `Server-Timing` header (milliseconds).
#[derive(Debug, Clone, Copy, Default)]
struct SearchTiming {
    index_ms: f64,
    db_ms: f64,
}

impl SearchTiming {
    fn header(&self, render_ms: f64) -> String {
        format!(
            "index;dur={:.2}, db;dur={:.2}, render;dur={:.2}",
            self.index_ms, self.db_ms, render_ms
        )
    }
}

/// Runs a search over both kinds, `limit` hits from `offset` in each section, and keeps the
/// hits that exist in the viewer's scope.
async fn run_search(
    app: &crate::AppState,
    scope: Scope,
    text: &str,
    limit: usize,
    offset: usize,
) -> Result<(SearchResults, SearchTiming), WebError> {
    let Some(index) = &app.search else {
        return Err(WebError::Unavailable("搜索索引未启用".into()));
    };
    let mut q = search::Query::new(text).page(offset, limit);
    // The index narrows a one-district scope; every hit is checked against the database in
    // the viewer's scope below all the same, and dropped when it is not there.
    if let Scope::Districts(ds) = &scope {
        if let [d] = &ds[..] {
            q = q.district(d.to_string());
        }
    }
    let started = std::time::Instant::now();
    let index = index.clone();
    let (entity_hits, page_hits) = tokio::task::spawn_blocking(move || {
        let entities = index.search(&q.clone().what(search::What::Entities))?;
        let pages = index.search(&q.what(search::What::Pages))?;
        Ok::<_, search::Error>((entities, pages))
    })
    .await
    .map_err(|e| WebError::Unavailable(format!("搜索失败：{e}")))?
    .map_err(|e| WebError::Unavailable(format!("搜索失败：{e}")))?;
    let searched = std::time::Instant::now();

    // The index may lag the database, and holds the whole city: a hit not there in scope is
    // skipped. The entities are read in one query, the pages concurrently on the store's pool.
    let ids: Vec<EntityId> = entity_hits
        .iter()
        .filter_map(|h| match h {
            search::Hit::Entity { id, .. } => Some(EntityId(*id)),
            search::Hit::Page { .. } => None,
        })
        .collect();
    let mut found: std::collections::HashMap<i64, Entity> = app
        .store
        .entities_by_ids(scope.clone(), &ids)
        .await?
        .into_iter()
        .map(|e| (e.id.0, e))
        .collect();
    let fetches = futures::future::try_join_all(page_hits.iter().filter_map(|h| match h {
        search::Hit::Page { fetch_id, .. } => {
            Some(app.store.fetch(scope.clone(), FetchId(*fetch_id)))
        }
        search::Hit::Entity { .. } => None,
    }))
    .await?;

    let mut out = SearchResults {
        query: text.to_string(),
        ..SearchResults::default()
    };
    for hit in entity_hits {
        if let search::Hit::Entity { id, matched, .. } = hit {
            let Some(e) = found.remove(&id) else {
                continue;
            };
            let (matched, matched_label) = matched_field(matched);
            out.entities.push(EntityResult {
                id,
                name_html: marked(&e.input.name, text),
                uscc: e.input.uscc,
                name: e.input.name,
                matched,
                matched_label,
                href: format!("/entities/{id}"),
            });
        }
    }
    for (hit, fetch) in page_hits.into_iter().zip(fetches) {
        if let (
            search::Hit::Page {
                fetch_id,
                url,
                title,
                snippet,
                ..
            },
            Some(f),
        ) = (hit, fetch)
        {
            out.pages.push(PageResult {
                fetch_id,
                site_id: f.fetch.site_id.0,
                title_html: marked(&title, text),
                snippet_html: marked(&snippet, text),
                url,
                title,
                snippet,
                href: format!("/evidence/{fetch_id}"),
            });
        }
    }
    let timing = SearchTiming {
        index_ms: (searched - started).as_secs_f64() * 1e3,
        db_ms: searched.elapsed().as_secs_f64() * 1e3,
    };
    Ok((out, timing))
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    active: &'static str,
    q: String,
    results: SearchResults,
    searched: bool,
}

pub(crate) async fn search_page(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let q = params.q.unwrap_or_default().trim().to_string();
    let (results, timing) = if q.is_empty() {
        Default::default()
    } else {
        run_search(&app, viewer.scope(), &q, SEARCH_PAGE_HITS, 0).await?
    };
    let started = std::time::Instant::now();
    let page = render(&SearchPage {
        active: "search",
        searched: !q.is_empty(),
        q,
        results,
    })?;
    let timing = timing.header(started.elapsed().as_secs_f64() * 1e3);
    Ok(([("server-timing", timing)], page).into_response())
}

pub(crate) async fn search_json(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let (limit, offset) = view::api_window(&params.limit, &params.offset)?;
    let q = params.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Ok(Json(SearchResults::default()).into_response());
    }
    let (results, timing) =
        run_search(&app, viewer.scope(), &q, limit as usize, offset as usize).await?;
    let started = std::time::Instant::now();
    let body = Json(results).into_response();
    let timing = timing.header(started.elapsed().as_secs_f64() * 1e3);
    Ok(([("server-timing", timing)], body).into_response())
}

// --- discovered sites ---

#[cfg(test)]
mod tests {
    use super::marked;

    #[test]
    fn highlights_are_marked_and_everything_else_escaped() {
        assert_eq!(
            marked("南宁市佳雅柠檬鸭店", "柠檬鸭"),
            "南宁市佳雅<mark>柠檬鸭</mark>店"
        );
        // Markup in the text or in the query never reaches the page as markup.
        assert_eq!(
            marked("<b>柠檬</b>&鸭店", "柠檬"),
            "&lt;b&gt;<mark>柠檬</mark>&lt;/b&gt;&amp;鸭店"
        );
        assert_eq!(
            marked("<script>", "<script>"),
            "&lt;<mark>script</mark>&gt;"
        );
        assert_eq!(marked("无匹配", "柠檬"), "无匹配");
    }
}
