//! `/findings`: the findings list, filtered by category, district, severity and site through a
//! GET form, paged. Also builds the finding rows the site page shows.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Html;
use domain::{Category, DistrictTable, Severity};
use store::{Finding, FindingFilter};

use super::render;
use crate::view::{self, link, FindingParams, Opt, Pager, PAGE_SIZE};
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
        }
    }
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    active: &'static str,
    categories: Vec<Opt>,
    districts: Vec<Opt>,
    severities: Vec<Opt>,
    site: String,
    findings: Vec<FindingRow>,
    pager: Pager,
    filtered: bool,
}

pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<FindingParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = params.filter()?;
    let page = view::page_param(&params.page)?;
    let scope = viewer.scope();
    let total = app.store.count_findings(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_findings(
            scope.clone(),
            &FindingFilter {
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
                ..filter.clone()
            },
        )
        .await?;

    let current = |o: &Option<String>| o.as_deref().unwrap_or_default().trim().to_string();
    let (cat, dist, sev, site) = (
        current(&params.category),
        current(&params.district),
        current(&params.severity),
        current(&params.site),
    );
    let page_href = |p: i64| {
        link(
            "/findings",
            &[
                ("category", cat.clone()),
                ("district", dist.clone()),
                ("severity", sev.clone()),
                ("site", site.clone()),
                ("page", if p > 1 { p.to_string() } else { String::new() }),
            ],
        )
    };
    let pager = Pager::new(
        page,
        rows.len(),
        page * PAGE_SIZE < total,
        Some(total),
        page_href,
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
    render(&FindingsPage {
        active: "findings",
        categories,
        districts: view::district_options(&app.districts, &dist),
        severities,
        filtered: filter != FindingFilter::default(),
        site,
        findings: rows
            .iter()
            .map(|f| FindingRow::new(f, &app.districts))
            .collect(),
        pager,
    })
}
