//! `/findings`: the findings list, filtered by category, district, severity and site through a
//! GET form, sorted by its columns, paged, exported (`/export/findings`). Also builds the finding rows the site page shows.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use domain::{Category, DistrictTable, Severity};
use store::{Finding, FindingFilter, FindingSort};

use super::render;
use crate::exports;
use crate::view::{self, Export, FindingParams, Head, ListLinks, Opt, Pager, PAGE_SIZE};
use crate::{Shared, Viewer, WebError};

/// One finding as the lists show it.
pub(crate) struct FindingRow {
    pub severity_code: &'static str,
    pub severity_label: &'static str,
    pub category_title: &'static str,
    pub category_code: &'static str,
    pub site_href: String,
    pub site_label: String,
    pub district: String,
    pub url: String,
    pub excerpt: String,
    pub location: String,
    pub location_label: &'static str,
    pub rule_id: String,
    pub rule_pack: String,
    /// The evidence page of the fetch the finding was made in; `None` for register checks.
    pub evidence_href: Option<String>,
    pub found_at: String,
    /// The finding's own page (details, triage, history).
    pub href: String,
    pub id: i64,
    pub triage_code: &'static str,
    pub triage_label: &'static str,
    pub triage_reason: String,
    /// 已抑制 and why (引用：…, 页面类型：政府网站), empty for a finding that counts.
    pub suppressed: String,
}

impl FindingRow {
    pub(crate) fn new(f: &Finding, districts: &DistrictTable) -> FindingRow {
        let n = &f.finding;
        FindingRow {
            severity_code: n.severity.code(),
            severity_label: view::severity_label(n.severity),
            category_title: n.category.title(),
            category_code: n.category.code(),
            site_href: format!("/sites/{}", n.site_id),
            site_label: f.host.clone(),
            district: view::district_label(districts, f.district),
            url: n.url.clone(),
            excerpt: n.excerpt.clone(),
            location: n.location.clone(),
            location_label: view::location_label(&n.location),
            rule_id: n.rule_id.clone(),
            rule_pack: n.rule_pack.clone(),
            evidence_href: n.fetch_id.map(|id| format!("/evidence/{id}")),
            found_at: view::time(n.found_at),
            href: format!("/findings/{}", f.id),
            id: f.id.0,
            triage_code: f.triage.code(),
            triage_label: f.triage.title(),
            triage_reason: f.triage_reason.clone().unwrap_or_default(),
            suppressed: n.suppressed.as_ref().map(|s| s.shown()).unwrap_or_default(),
        }
    }
}

/// The findings list's columns: label and the key each sorts by.
const COLUMNS: &[(&str, Option<FindingSort>)] = &[
    ("#", Some(FindingSort::Id)),
    ("等级", Some(FindingSort::Severity)),
    ("类别", Some(FindingSort::Category)),
    ("网站", Some(FindingSort::Site)),
    ("URL", Some(FindingSort::Url)),
    ("摘录", None),
    ("位置", Some(FindingSort::Location)),
    ("规则", Some(FindingSort::Rule)),
    ("发现时间", Some(FindingSort::FoundAt)),
    ("研判", Some(FindingSort::Triage)),
    ("证据", None),
];

/// The findings table's header where it does not sort (a site's page).
pub(crate) fn plain_heads() -> Vec<Head> {
    COLUMNS
        .iter()
        .map(|(label, _)| Head {
            label,
            href: None,
            aria_sort: "",
        })
        .collect()
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    active: &'static str,
    categories: Vec<Opt>,
    districts: Vec<Opt>,
    severities: Vec<Opt>,
    /// 默认 (live findings) or 已抑制.
    suppressed: Vec<Opt>,
    site: String,
    findings: Vec<FindingRow>,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    finding_heads: Vec<Head>,
    pager: Pager,
    filtered: bool,
    csv_href: String,
    xlsx_href: String,
}

pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<FindingParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = params.filter()?;
    let sort = params.sort()?;
    let page = view::page_param(&params.page)?;
    let scope = viewer.scope();
    let counted = FindingFilter {
        count_up_to: Some(view::count_up_to(page)),
        ..filter.clone()
    };
    let total = app.store.count_findings(scope.clone(), &counted).await?;
    let rows = app
        .store
        .list_findings(
            scope.clone(),
            &FindingFilter {
                sort,
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
                ..filter.clone()
            },
        )
        .await?;

    let links = ListLinks::new("/findings", params.pairs(), sort);
    let current = |o: &Option<String>| view::text(o);
    let (cat, dist, sev, site) = (
        current(&params.category),
        current(&params.district),
        current(&params.severity),
        current(&params.site),
    );
    let mut categories = vec![Opt::new("", "全部类别", &cat)];
    categories.extend(
        Category::ALL
            .iter()
            .map(|c| Opt::new(c.code(), format!("{} {}", c.title(), c.code()), &cat)),
    );
    let mut severities = vec![Opt::new("", "全部等级", &sev)];
    severities.extend(Severity::ALL.iter().rev().map(|s| {
        Opt::new(
            s.code(),
            format!("{} {}", view::severity_label(*s), s.code()),
            &sev,
        )
    }));
    let held = current(&params.suppressed);
    let suppressed = vec![
        Opt::new("", "默认（不含已抑制）", &held),
        Opt::new("yes", "已抑制", &held),
    ];
    render(&FindingsPage {
        active: "findings",
        categories,
        suppressed,
        districts: view::district_options(&app.districts, &dist),
        severities,
        filtered: filter != FindingFilter::default(),
        site,
        findings: rows
            .iter()
            .map(|f| FindingRow::new(f, &app.districts))
            .collect(),
        sort_fields: links.sort_fields(),
        finding_heads: links.heads(COLUMNS),
        pager: links.pager(page, rows.len(), total),
        csv_href: links.export("/export/findings", "csv"),
        xlsx_href: links.export("/export/findings", "xlsx"),
    })
}

/// `GET /export/findings`: the findings list as shown (filters, sort, every page).
pub(crate) async fn export(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<Export<FindingParams>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = FindingFilter {
        sort: p.list.sort()?,
        ..p.list.filter()?
    };
    let scope = viewer.scope();
    let counted = FindingFilter {
        count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
        ..filter.clone()
    };
    view::export_cap(app.store.count_findings(scope.clone(), &counted).await?)?;
    let rows = exports::all_rows(|offset, limit| {
        let filter = FindingFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let (store, scope) = (app.store.clone(), scope.clone());
        async move { store.list_findings(scope, &filter).await }
    })
    .await?;
    exports::response(&exports::findings_table(&rows, &app.districts), &p.format)
}
