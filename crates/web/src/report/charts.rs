//! The report's charts: server-rendered SVG from the console's chart module, one or two per
//! section, each followed in the report by the figures' table it draws.

use domain::DistrictTable;

use super::SectionReport;

/// The charts of a section (SVG markup, escaped by its writer). `linked`: marks link to the
/// console's records pages (the console page); otherwise they link to the records listed in
/// the document.
pub(crate) fn of_section(
    _section: &SectionReport,
    _districts: &DistrictTable,
    _linked: bool,
    _query: &[(&'static str, String)],
) -> Vec<String> {
    Vec::new()
}
