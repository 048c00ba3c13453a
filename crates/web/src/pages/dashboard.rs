//! `/`: the monitoring dashboard, to look at rather than read: totals; findings per category ×
//! district as a heat map; findings per week by severity; the running sweep's progress (the page
//! then refreshes itself every 30 seconds with a `<meta>` refresh, since the CSP allows no
//! script); what the last finished sweep found new; overdue clues and cases; the credit classes;
//! complaint and badge figures; the recent sweeps and the portal's visits.
//!
//! Charts are server-rendered SVG ([`crate::chart`]), each followed by a table of the same
//! numbers for screen readers and print; every number links to the records behind it (the
//! lists with their filters).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use domain::{BadgeState, CaseStage, Category, CreditClass, DistrictCode, Severity};
use store::{BadgeFilter, CaseFilter, ClueFilter, CreditFilter, Scope, Sweep, SweepState, Totals};

use super::render;
use crate::chart::{self, Bar, Series};
use crate::view::{self, link};
use crate::{Shared, Viewer, WebError};

/// Weeks of the trend chart.
const TREND_WEEKS: usize = 12;
/// Severities from the most serious, the order of the trend's series (stacked bottom first).
const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

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

/// One row of a chart's table: a label, its number and the records behind it.
struct Figure {
    label: String,
    value: i64,
    href: Option<String>,
}

impl Figure {
    fn bar(&self) -> Bar {
        Bar {
            label: self.label.clone(),
            value: self.value,
            href: self.href.clone(),
        }
    }
}

/// The trend's table: one row per week, one count per severity.
struct TrendRow {
    week: String,
    counts: Vec<i64>,
    total: i64,
}

/// The running sweep.
struct Progress {
    svg: String,
    sweep: i64,
    started: String,
    planned: i64,
    done: i64,
}

/// What the last finished sweep found new.
struct NewSince {
    svg: String,
    sweep: i64,
    finished: String,
    rows: Vec<Figure>,
    total: i64,
}

/// An overdue case, linked.
struct OverdueCase {
    number: String,
    href: String,
    site: String,
    district: String,
    decide_by: String,
}

/// The dashboard's figures for a scope, as counted once ([`crate::runtime::ScopeCache`]); the
/// person's own top bar is filled in when the page is rendered.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub(crate) struct Figures {
    active: &'static str,
    /// When the figures were counted (Beijing time).
    counted_at: String,
    totals: Totals,
    /// The heat map of findings per category × district (its table: `columns`, `rows`).
    heat_svg: String,
    trend_svg: String,
    severities: Vec<(&'static str, String)>,
    trend: Vec<TrendRow>,
    progress: Option<Progress>,
    new_since: Option<NewSince>,
    overdue_svg: String,
    overdue: Vec<Figure>,
    overdue_cases: Vec<OverdueCase>,
    credit_svg: String,
    credit: Vec<Figure>,
    complaint_svg: String,
    complaint_figures: Vec<Figure>,
    badge_svg: String,
    badges: Vec<Figure>,
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
    let figures = app
        .dashboard
        .get(&scope, &app.writes, || count(app.clone(), scope.clone()))
        .await?;
    render(&*figures)
}

/// Counts the dashboard's figures of `scope`.
async fn count(app: Shared, scope: Scope) -> Result<Figures, WebError> {
    let counted_at = view::time(chrono::Utc::now());
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

    let heat_svg = heat_svg(&columns, &rows);
    let (trend_svg, severities, trend) = trend(&app, &scope).await?;
    let progress = progress(&app, &scope).await?;
    let new_since = new_since(&app, &scope).await?;
    let (overdue, overdue_cases) = overdue(&app, &scope).await?;
    let overdue_svg = chart::bars(
        "chart-overdue",
        "逾期线索与案件",
        &overdue.iter().map(Figure::bar).collect::<Vec<_>>(),
    );
    let credit = credit(&app, &scope).await?;
    let credit_svg = chart::bars(
        "chart-credit",
        "信用风险分类分布",
        &credit.iter().map(Figure::bar).collect::<Vec<_>>(),
    );
    let complaint_figures = complaint_figures(&complaints);
    let complaint_svg = chart::bars(
        "chart-complaints",
        "投诉举报",
        &complaint_figures
            .iter()
            .map(Figure::bar)
            .collect::<Vec<_>>(),
    );
    let badges = badges(&app, &scope).await?;
    let badge_svg = chart::bars(
        "chart-badges",
        "电子亮照（按状态）",
        &badges.iter().map(Figure::bar).collect::<Vec<_>>(),
    );
    Ok(Figures {
        active: "dashboard",
        counted_at,
        visits,
        totals,
        heat_svg,
        trend_svg,
        severities,
        trend,
        progress,
        new_since,
        overdue_svg,
        overdue,
        overdue_cases,
        credit_svg,
        credit,
        complaint_svg,
        complaint_figures,
        badge_svg,
        badges,
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

/// The heat map of the matrix's categories with findings (all of them when none has any).
fn heat_svg(columns: &[Column], rows: &[Row]) -> String {
    let shown: Vec<&Row> = rows.iter().filter(|r| r.total > 0).collect();
    let labels: Vec<String> = shown
        .iter()
        .map(|r| format!("{}（{}）", r.title, r.severity_label))
        .collect();
    let cols: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let cells: Vec<Vec<chart::Cell>> = shown
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .map(|c| chart::Cell {
                    value: c.count,
                    href: c.href.clone(),
                })
                .collect()
        })
        .collect();
    chart::heatmap(
        "chart-heatmap",
        "按类别与区域统计的监测发现",
        &labels,
        &cols,
        &cells,
    )
}

/// Findings per Beijing week of the last [`TREND_WEEKS`], by severity: the chart, the
/// severities' labels and the table.
async fn trend(
    app: &Shared,
    scope: &Scope,
) -> Result<(String, Vec<(&'static str, String)>, Vec<TrendRow>), WebError> {
    let today = super::clues::today();
    let starts = store::dashboard::week_starts(today, TREND_WEEKS);
    let bounds: Vec<_> = starts
        .iter()
        .map(|d| (*d, domain::time::day_start(*d)))
        .collect();
    let until = domain::time::day_start(
        starts.last().copied().unwrap_or(today) + chrono::Duration::weeks(1),
    );
    let counts = app
        .store
        .findings_per_week(scope.clone(), &bounds, until)
        .await?;
    let by: HashMap<(chrono::NaiveDate, Severity), i64> = counts
        .iter()
        .map(|c| ((c.week, c.severity), c.count))
        .collect();
    let series: Vec<Series> = SEVERITIES
        .iter()
        .map(|&sev| Series {
            name: view::severity_label(sev).to_string(),
            class: format!("sev-{}", sev.code()),
            values: starts
                .iter()
                .map(|w| by.get(&(*w, sev)).copied().unwrap_or(0))
                .collect(),
            href: Some(link("/findings", &[("severity", sev.code().into())])),
        })
        .collect();
    let svg = chart::weekly(
        "chart-trend",
        &format!("近 {TREND_WEEKS} 周每周新增监测发现（按严重程度）"),
        &starts,
        &series,
    );
    let rows = starts
        .iter()
        .enumerate()
        .rev()
        .map(|(i, w)| {
            let counts: Vec<i64> = series.iter().map(|s| s.values[i]).collect();
            TrendRow {
                week: format!("{w} 起"),
                total: counts.iter().sum(),
                counts,
            }
        })
        .collect();
    let severities = SEVERITIES
        .iter()
        .map(|&s| {
            (
                view::severity_label(s),
                link("/findings", &[("severity", s.code().into())]),
            )
        })
        .collect();
    Ok((svg, severities, rows))
}

/// The running city sweep's progress over the sites in scope.
async fn progress(app: &Shared, scope: &Scope) -> Result<Option<Progress>, WebError> {
    let Some(p) = app.store.sweep_progress(scope.clone()).await? else {
        return Ok(None);
    };
    Ok(Some(Progress {
        svg: chart::progress(
            "chart-progress",
            &format!("巡查 #{} 进度（已完成网站 / 计划网站）", p.sweep),
            p.done,
            p.planned,
        ),
        sweep: p.sweep.0,
        started: view::time(p.started_at),
        planned: p.planned,
        done: p.done,
    }))
}

/// The findings new in the last finished sweep, per category.
async fn new_since(app: &Shared, scope: &Scope) -> Result<Option<NewSince>, WebError> {
    let Some(n) = app.store.new_findings(scope.clone()).await? else {
        return Ok(None);
    };
    let mut per: BTreeMap<Category, i64> = BTreeMap::new();
    for c in &n.counts {
        *per.entry(c.category).or_default() += c.count;
    }
    let rows: Vec<Figure> = per
        .into_iter()
        .map(|(cat, value)| Figure {
            label: format!(
                "{}（{}）",
                cat.title(),
                view::severity_label(cat.severity())
            ),
            value,
            href: Some(link(
                "/findings",
                &[
                    ("sweep", n.sweep.0.to_string()),
                    ("category", cat.code().into()),
                ],
            )),
        })
        .collect();
    let total = rows.iter().map(|r| r.value).sum();
    Ok(Some(NewSince {
        svg: chart::bars(
            "chart-new",
            &format!("巡查 #{} 新发现的问题（按类别）", n.sweep),
            &rows.iter().map(Figure::bar).collect::<Vec<_>>(),
        ),
        sweep: n.sweep.0,
        finished: view::time(n.finished_at),
        rows,
        total,
    }))
}

/// Overdue clues per severity (the clue list's own `overdue` filter) and the overdue cases
/// (the cases' own `overdue` flag, over the stages before a decision).
async fn overdue(app: &Shared, scope: &Scope) -> Result<(Vec<Figure>, Vec<OverdueCase>), WebError> {
    let mut figures = Vec::new();
    for sev in SEVERITIES {
        let filter = ClueFilter {
            overdue: Some(true),
            severity: Some(sev),
            ..ClueFilter::default()
        };
        figures.push(Figure {
            label: format!("逾期线索 · {}", view::severity_label(sev)),
            value: app.store.count_clues(scope.clone(), &filter).await?,
            href: Some(link(
                "/clues",
                &[("overdue", "yes".into()), ("severity", sev.code().into())],
            )),
        });
    }
    let mut cases = Vec::new();
    for stage in [CaseStage::Registered, CaseStage::Investigating] {
        let filter = CaseFilter {
            stage: Some(stage),
            ..CaseFilter::default()
        };
        for c in app.store.list_cases(scope.clone(), &filter).await? {
            if c.overdue {
                cases.push(c);
            }
        }
    }
    cases.sort_by_key(|c| (c.decide_by, c.id));
    figures.push(Figure {
        label: "逾期案件".into(),
        value: cases.len() as i64,
        href: Some("#overdue-cases".into()),
    });
    let cases = cases
        .iter()
        .map(|c| OverdueCase {
            number: c.number.clone(),
            href: format!("/cases/{}", c.id),
            site: c.site.clone(),
            district: view::district_label(&app.districts, Some(c.district)),
            decide_by: c.decide_by.to_string(),
        })
        .collect();
    Ok((figures, cases))
}

/// Entities per current credit class, as the scored list counts them.
async fn credit(app: &Shared, scope: &Scope) -> Result<Vec<Figure>, WebError> {
    let mut out = Vec::new();
    for &class in CreditClass::ALL {
        let filter = CreditFilter {
            class: Some(class),
            ..CreditFilter::default()
        };
        out.push(Figure {
            label: class.title().to_string(),
            value: app
                .store
                .count_credit_scores(scope.clone(), &filter)
                .await?,
            // The entities of the class, as the report lists them (the same current classes).
            href: Some(link(
                "/reports/records",
                &[("figure", format!("credit_{}", class.code().to_lowercase()))],
            )),
        });
    }
    Ok(out)
}

/// The complaint figures; the received and the overdue link to their lists.
fn complaint_figures(c: &store::ComplaintCounts) -> Vec<Figure> {
    vec![
        Figure {
            label: "登记".into(),
            value: c.received,
            href: Some("/complaints".into()),
        },
        Figure {
            label: "受理".into(),
            value: c.accepted,
            href: None,
        },
        Figure {
            label: "逾期".into(),
            value: c.overdue,
            href: Some("/complaints?overdue=yes".into()),
        },
        Figure {
            label: "属实".into(),
            value: c.upheld,
            href: None,
        },
    ]
}

/// Badges (from their application on) per state.
async fn badges(app: &Shared, scope: &Scope) -> Result<Vec<Figure>, WebError> {
    let mut out = Vec::new();
    for &state in BadgeState::ALL {
        let filter = BadgeFilter {
            state: Some(state),
            ..BadgeFilter::default()
        };
        out.push(Figure {
            label: state.title().to_string(),
            value: app.store.count_badges(scope.clone(), &filter).await?,
            href: Some(link("/badges", &[("state", state.code().into())])),
        });
    }
    Ok(out)
}
