//! The report's charts, drawn by the console's chart module (`crate::chart`): each section's
//! figures as bars, and the casework figures per district as a heat map. In the report each
//! chart is followed by the table of the same figures.

use domain::{DistrictCode, DistrictTable};
use store::{Figure, Section};

use super::SectionReport;
use crate::chart::{self, Bar, Cell};

/// Where a figure's mark links: the console's records page (with the district, for a heat-map
/// cell), or the figure's records listed in the document.
fn href(
    figure: Figure,
    district: Option<DistrictCode>,
    console: bool,
    query: &[(&'static str, String)],
) -> Option<String> {
    if console {
        let mut q: Vec<(&'static str, String)> = query
            .iter()
            .filter(|(k, _)| district.is_none() || *k != "district")
            .cloned()
            .collect();
        if let Some(d) = district {
            q.push(("district", d.to_string()));
        }
        Some(super::render::records_link(figure, &q))
    } else if district.is_none() {
        Some(format!("#fig-{}", figure.code()))
    } else {
        None
    }
}

/// The charts of a section (SVG markup, escaped by the chart module). `console`: marks link to
/// the console's records pages; otherwise to the records listed in the document.
pub(crate) fn of_section(
    section: &SectionReport,
    districts: &DistrictTable,
    console: bool,
    query: &[(&'static str, String)],
) -> Vec<String> {
    let code = section.section.code();
    // Sums (fines in fen, visits) are not drawn beside counts.
    let counted: Vec<_> = section
        .figures
        .iter()
        .filter(|f| !f.figure.is_sum())
        .collect();
    let mut charts = vec![chart::bars(
        &format!("chart-{code}"),
        &format!("{}：各项指标", section.section.title()),
        &counted
            .iter()
            .map(|f| Bar {
                label: f.figure.title().to_string(),
                value: f.value,
                href: href(f.figure, None, console, query),
            })
            .collect::<Vec<_>>(),
    )];
    if section.section == Section::Cases {
        let mut codes: Vec<DistrictCode> = counted
            .iter()
            .flat_map(|f| f.by_district.iter().filter_map(|(d, _)| *d))
            .collect();
        codes.sort();
        codes.dedup();
        let rows: Vec<String> = counted
            .iter()
            .map(|f| f.figure.title().to_string())
            .collect();
        let cols: Vec<String> = codes
            .iter()
            .map(|c| districts.name(*c).unwrap_or("（代码表外）").to_string())
            .collect();
        let cells: Vec<Vec<Cell>> = counted
            .iter()
            .map(|f| {
                codes
                    .iter()
                    .map(|c| {
                        let value = f
                            .by_district
                            .iter()
                            .filter(|(d, _)| *d == Some(*c))
                            .map(|(_, v)| v)
                            .sum();
                        Cell {
                            value,
                            href: (value > 0)
                                .then(|| href(f.figure, Some(*c), console, query))
                                .flatten(),
                        }
                    })
                    .collect()
            })
            .collect();
        charts.push(chart::heatmap(
            &format!("chart-{code}-districts"),
            "案件与处置：分行政区",
            &rows,
            &cols,
            &cells,
        ));
    }
    charts
}
