//! The bureau's report (the sections of its yearly review) over a period or a campaign, from
//! the store's figures (`store::report`): assembled once here, then written as a console page,
//! a self-contained HTML document (printed to PDF by the caller through Chromium) and an XLSX
//! workbook with one sheet per section holding the records behind each figure.

use store::{FigureRecord, RecordKind};

/// Where a record behind a figure is shown in the console; `None` for records without a page
/// of their own (sweeps, custody events, visits, filings).
pub fn record_href(r: &FigureRecord) -> Option<String> {
    let id = r.id;
    Some(match r.figure.records() {
        RecordKind::Entity => format!("/entities/{id}"),
        RecordKind::Site => format!("/sites/{id}"),
        RecordKind::Discovery => "/discovered".to_string(),
        RecordKind::Fetch => format!("/evidence/{id}"),
        RecordKind::Finding => format!("/findings/{id}"),
        RecordKind::Capture => format!("/captures/{id}"),
        RecordKind::Clue => format!("/clues/{id}"),
        RecordKind::Inspection => format!("/inspections/{id}"),
        RecordKind::Case => format!("/cases/{id}"),
        RecordKind::Outcome => format!("/cases/{}", r.case_id?),
        RecordKind::Campaign => format!("/campaigns/{id}"),
        RecordKind::Listing => format!("/credit/listings/{id}"),
        RecordKind::Badge => format!("/badges/{id}"),
        RecordKind::Notice => "/portal/notices".to_string(),
        RecordKind::Complaint => format!("/complaints/{id}"),
        RecordKind::Sweep | RecordKind::Custody | RecordKind::Visits | RecordKind::Filing => {
            return None
        }
    })
}
