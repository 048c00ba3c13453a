//! `/`: the monitoring dashboard. Totals, findings per category × district (each count a link
//! to the filtered findings list) and the recent sweeps.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use domain::{Category, DistrictCode};
use store::{Sweep, SweepState, Totals};

use super::render;
use crate::view::{self, link};
use crate::{Shared, Viewer, WebError};

/// Sweeps shown on the dashboard.
const RECENT_SWEEPS: i64 = 10;

struct Column {
    name: String,
    code: String,
    /// `None` for the column of findings whose site has no known district.
    href: Option<String>,
    total: i64,
}

struct Cell {
    count: i64,
    href: Option<String>,
}

struct Row {
    title: &'static str,
    code: &'static str,
    severity_code: &'static str,
    severity_label: &'static str,
    cells: Vec<Cell>,
    total: i64,
    href: String,
}

struct SweepRow {
    id: i64,
    running: bool,
    started: String,
    finished: String,
    sites: i64,
    pages: i64,
    findings: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    active: &'static str,
    totals: Totals,
    /// Complaints and reports in scope: received, accepted, overdue, upheld.
    complaints: store::ComplaintCounts,
    columns: Vec<Column>,
    rows: Vec<Row>,
    grand_total: i64,
    grand_href: String,
    sweeps: Vec<SweepRow>,
    visits: PortalVisits,
}

/// The public portal's visits of the last 30 days: the total per day (newest first) and the
/// most visited pages (route patterns) over the period.
#[derive(Default)]
struct PortalVisits {
    days: Vec<(String, i64)>,
    top: Vec<(String, i64)>,
}

/// Days of portal visits the dashboard shows.
const VISIT_DAYS: i64 = 30;
/// Pages in the dashboard's top list.
const TOP_PAGES: usize = 10;

async fn portal_visits(app: &Shared) -> Result<PortalVisits, WebError> {
    let since = crate::portal::visits::beijing_today() - chrono::Duration::days(VISIT_DAYS - 1);
    let counts = app.store.portal_visits(since).await?;
    let mut days = std::collections::BTreeMap::<chrono::NaiveDate, i64>::new();
    let mut pages = std::collections::BTreeMap::<String, i64>::new();
    for c in counts {
        *days.entry(c.day).or_default() += c.count;
        *pages.entry(c.page).or_default() += c.count;
    }
    let mut top: Vec<(String, i64)> = pages.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(TOP_PAGES);
    Ok(PortalVisits {
        days: days
            .into_iter()
            .rev()
            .map(|(d, n)| (d.to_string(), n))
            .collect(),
        top,
    })
}

pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    let scope = viewer.scope();
    let totals = app.store.totals(scope.clone()).await?;
    let counts = app.store.finding_counts(scope.clone()).await?;
    let sweeps = app.store.list_sweeps(RECENT_SWEEPS).await?;

    // Columns: the districts in force, then any other code findings were counted under
    // (historic codes), then the findings of sites without a known district.
    let mut codes: Vec<Option<DistrictCode>> = app
        .districts
        .all()
        .iter()
        .filter(|d| d.valid_until.is_none())
        .map(|d| Some(d.code))
        .collect();
    for c in &counts {
        if !codes.contains(&c.district) && c.district.is_some() {
            codes.push(c.district);
        }
    }
    if counts.iter().any(|c| c.district.is_none()) {
        codes.push(None);
    }
    let by_cell: HashMap<(Category, Option<DistrictCode>), i64> = counts
        .iter()
        .map(|c| ((c.category, c.district), c.count))
        .collect();

    let mut columns: Vec<Column> = codes
        .iter()
        .map(|code| match code {
            Some(c) => Column {
                name: app.districts.name(*c).unwrap_or("（代码表外）").to_string(),
                code: c.to_string(),
                href: Some(link("/findings", &[("district", c.to_string())])),
                total: 0,
            },
            None => Column {
                name: "区域不明".to_string(),
                code: String::new(),
                href: None,
                total: 0,
            },
        })
        .collect();

    let mut rows = Vec::with_capacity(Category::ALL.len());
    for &cat in Category::ALL {
        let mut total = 0;
        let cells = codes
            .iter()
            .zip(columns.iter_mut())
            .map(|(code, col)| {
                let count = by_cell.get(&(cat, *code)).copied().unwrap_or(0);
                total += count;
                col.total += count;
                let href = match code {
                    Some(c) if count > 0 => Some(link(
                        "/findings",
                        &[("category", cat.code().into()), ("district", c.to_string())],
                    )),
                    _ => None,
                };
                Cell { count, href }
            })
            .collect();
        let severity = cat.severity();
        rows.push(Row {
            title: cat.title(),
            code: cat.code(),
            severity_code: severity.code(),
            severity_label: view::severity_label(severity),
            cells,
            total,
            href: link("/findings", &[("category", cat.code().into())]),
        });
    }
    let grand_total = rows.iter().map(|r| r.total).sum();

    let complaints = app
        .store
        .complaint_counts(scope.clone(), super::clues::today())
        .await?;
    let visits = portal_visits(&app).await?;
    render(&Dashboard {
        active: "dashboard",
        visits,
        totals,
        complaints,
        columns,
        rows,
        grand_total,
        grand_href: "/findings".into(),
        sweeps: sweeps.iter().map(sweep_row).collect(),
    })
}

fn sweep_row(s: &Sweep) -> SweepRow {
    SweepRow {
        id: s.id.0,
        running: s.state == SweepState::Running,
        started: view::time(s.started_at),
        finished: view::opt_time(s.finished_at),
        sites: s.sites,
        pages: s.pages,
        findings: s.findings,
    }
}
