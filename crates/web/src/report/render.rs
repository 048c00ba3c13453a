//! The report written out: the console's page, the self-contained HTML document (with its print
//! stylesheet, for the PDF) and the XLSX workbook.

use std::io::{self, Write};

use askama::Template;
use domain::DistrictTable;
use store::Figure;

use super::{record_href, record_kind_label, value_text, FigureReport, Report, HTML_RECORDS};
use crate::table::{write_workbook, Cell, Table};
use crate::view::{self, link};

/// Section numbers as the review writes them.
const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Where a figure's value and its records link to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The console page: a figure links to its records page, a record to its page.
    Console,
    /// The document: a figure links to its records listed in the document; a record to its
    /// console page at `base` when one is known, else not at all.
    Document,
}

struct RecordView {
    kind: &'static str,
    id: i64,
    label: String,
    district: String,
    value: String,
    href: Option<String>,
}

struct FigureView {
    code: &'static str,
    title: &'static str,
    value: String,
    records: i64,
    href: String,
    /// `青秀区 3 · 兴宁区 2`.
    by_district: String,
    shown: Vec<RecordView>,
    /// Records not listed in the document (beyond [`HTML_RECORDS`]).
    more: i64,
}

struct SectionView {
    code: &'static str,
    heading: String,
    figures: Vec<FigureView>,
    /// Server-rendered SVG (escaped by its writer).
    charts: Vec<String>,
}

struct Body {
    title: String,
    period: String,
    scope: String,
    generated: String,
    sections: Vec<SectionView>,
    document: bool,
}

fn body(report: &Report, districts: &DistrictTable, mode: Mode, base: Option<&str>) -> Body {
    let query = report.query();
    let sections = report
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| SectionView {
            code: s.section.code(),
            heading: format!("{}、{}", NUMERALS[i % NUMERALS.len()], s.section.title()),
            charts: super::charts::of_section(s, districts, mode == Mode::Console, &query),
            figures: s
                .figures
                .iter()
                .map(|f| figure_view(f, districts, mode, base, &query))
                .collect(),
        })
        .collect();
    let mut scope = match &report.campaign {
        Some(name) => format!("专项行动“{name}”的网站"),
        None => "全市".to_string(),
    };
    if let Some(d) = &report.district {
        scope.push_str(&format!("，{d}"));
    }
    Body {
        title: report.title.clone(),
        period: report.period_label(),
        scope,
        generated: view::time(report.generated_at),
        sections,
        document: mode == Mode::Document,
    }
}

/// The console's link to a figure's records.
pub(crate) fn records_link(figure: Figure, query: &[(&'static str, String)]) -> String {
    let mut q: Vec<(&str, String)> = vec![("figure", figure.code().to_string())];
    q.extend(query.iter().cloned());
    link("/reports/records", &q)
}

fn figure_view(
    f: &FigureReport,
    districts: &DistrictTable,
    mode: Mode,
    base: Option<&str>,
    query: &[(&'static str, String)],
) -> FigureView {
    let href = match mode {
        Mode::Console => records_link(f.figure, query),
        Mode::Document => format!("#fig-{}", f.figure.code()),
    };
    let by_district = f
        .by_district
        .iter()
        .map(|(d, v)| {
            let name = match d {
                Some(c) => districts.name(*c).unwrap_or("（代码表外）").to_string(),
                None => "区域不明或全市".to_string(),
            };
            format!("{name} {}", value_text(f.figure, *v))
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let shown = match mode {
        Mode::Console => Vec::new(),
        Mode::Document => f
            .records
            .iter()
            .take(HTML_RECORDS)
            .map(|r| RecordView {
                kind: record_kind_label(r.figure.records()),
                id: r.id,
                label: r.label.clone(),
                district: view::district_label(districts, r.district),
                value: value_text(f.figure, r.value),
                href: base.and_then(|b| {
                    record_href(r).map(|h| format!("{}{h}", b.trim_end_matches('/')))
                }),
            })
            .collect(),
    };
    FigureView {
        code: f.figure.code(),
        title: f.figure.title(),
        value: f.shown(),
        records: f.total_records,
        href,
        by_district,
        more: match mode {
            Mode::Console => 0,
            Mode::Document => f.total_records - f.records.len().min(HTML_RECORDS) as i64,
        },
        shown,
    }
}

#[derive(Template)]
#[template(path = "report_document.html")]
struct Document {
    body: Body,
    style: &'static str,
}

/// The stylesheet of the document, its print rules and the charts' (inline: the document is
/// self-contained).
const DOCUMENT_STYLE: &str = concat!(
    include_str!("../../static/report.css"),
    include_str!("../../static/chart.css")
);

/// The report as one self-contained HTML document (inline styles and charts, nothing fetched),
/// every figure linked to its records listed in the document, each record to its console page
/// under `console_url` when given. Chromium prints it to PDF with its print stylesheet.
pub fn document_html(
    report: &Report,
    districts: &DistrictTable,
    console_url: Option<&str>,
) -> Result<String, askama::Error> {
    Document {
        body: body(report, districts, Mode::Document, console_url),
        style: DOCUMENT_STYLE,
    }
    .render()
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    active: &'static str,
    form: super::super::pages::reports::Form,
    body: Body,
    xlsx_href: String,
    html_href: String,
}

/// The console's report page: the request form, then the report, each figure linked to its
/// records page.
pub(crate) fn page_html(
    report: &Report,
    districts: &DistrictTable,
    form: super::super::pages::reports::Form,
) -> Result<String, askama::Error> {
    let query = report.query();
    let export = |format: &str| {
        let mut q: Vec<(&str, String)> = query.clone();
        q.push(("format", format.to_string()));
        link("/reports/export", &q)
    };
    Page {
        active: "reports",
        form,
        body: body(report, districts, Mode::Console, None),
        xlsx_href: export("xlsx"),
        html_href: export("html"),
    }
    .render()
}

/// The report as an XLSX workbook: `总览` (every figure: section, code, title, value, unit,
/// records), `分区统计` (every figure per district), then one sheet per section listing the
/// records behind each of its figures (the figure's code and title, the record's kind, id,
/// district, text, value and console path). A figure's value in `总览` is the sum of its
/// records' values in its section's sheet (their number for a count), unless it has more than
/// [`super::RECORDS_CAP`] records: its sheet then lists the first ones, as `总览`'s `listed`
/// column says.
pub fn write_xlsx(report: &Report, districts: &DistrictTable, w: impl Write) -> io::Result<()> {
    let mut overview = Table::new(
        "总览",
        [
            "section", "figure", "title", "value", "unit", "records", "listed",
        ],
    )
    .with_labels([
        "章节",
        "指标代码",
        "指标",
        "数值",
        "单位",
        "记录数",
        "列出记录数",
    ]);
    let mut per_district = Table::new(
        "分区统计",
        ["figure", "title", "district", "district_name", "value"],
    )
    .with_labels(["指标代码", "指标", "行政区划代码", "行政区划", "数值"]);
    let mut sheets = Vec::new();
    for (i, s) in report.sections.iter().enumerate() {
        let name = format!("{}、{}", NUMERALS[i % NUMERALS.len()], s.section.title());
        let mut sheet = Table::new(
            name.clone(),
            [
                "figure", "title", "kind", "id", "district", "label", "value", "path",
            ],
        )
        .with_labels([
            "指标代码",
            "指标",
            "记录类型",
            "编号",
            "行政区划",
            "内容",
            "数值",
            "控制台页面",
        ]);
        for f in &s.figures {
            overview.rows.push(vec![
                Cell::from(name.as_str()),
                Cell::from(f.figure.code()),
                Cell::from(f.figure.title()),
                Cell::Int(f.value),
                Cell::from(if f.figure == Figure::Fines {
                    "分"
                } else {
                    unit(f.figure)
                }),
                Cell::Int(f.total_records),
                Cell::Int(f.records.len() as i64),
            ]);
            for (d, v) in &f.by_district {
                per_district.rows.push(vec![
                    Cell::from(f.figure.code()),
                    Cell::from(f.figure.title()),
                    Cell::from(d.map(|c| c.to_string())),
                    Cell::from(
                        d.and_then(|c| districts.name(c))
                            .unwrap_or("区域不明或全市"),
                    ),
                    Cell::Int(*v),
                ]);
            }
            for r in &f.records {
                sheet.rows.push(vec![
                    Cell::from(f.figure.code()),
                    Cell::from(f.figure.title()),
                    Cell::from(record_kind_label(r.figure.records())),
                    Cell::Int(r.id),
                    Cell::from(view::district_label(districts, r.district)),
                    Cell::from(r.label.as_str()),
                    Cell::Int(r.value),
                    Cell::from(record_href(r)),
                ]);
            }
        }
        sheets.push(sheet);
    }
    let mut tables = vec![overview, per_district];
    tables.extend(sheets);
    write_workbook(&report.title, &tables, w)
}

/// The unit of a figure's value.
fn unit(f: Figure) -> &'static str {
    use store::RecordKind as K;
    match f.records() {
        K::Entity => "户",
        K::Site | K::Discovery => "个",
        K::Sweep => "次",
        K::Fetch => "页",
        K::Visits => "次",
        K::Case => "件",
        K::Inspection => "次",
        _ => "条",
    }
}
