//! Casework documents: the rectification notice (责令改正通知书), the warning letter (警示函), the
//! referral letter (案件移送函) and the case-file cover (案卷封面), rendered as HTML from
//! templates the bureau may edit, and bundled with the evidence they rest on.
//!
//! [`DocumentData`] is plain data filled by the caller (the casework crate builds it from a case,
//! its outcomes, its clues' evidence and the clue's WACZ); [`Templates`] renders it through the
//! data directory's copy of each template (`DATA/templates/documents/`, written from the shipped
//! ones on first use, never over an edited one); [`write_bundle`] packs the printed PDF with the
//! WACZ and a manifest of SHA-256s. Printing the HTML to PDF is `crawl::browser::print_pdf`'s
//! (the templates are self-contained: inline CSS, system fonts).
//!
//! Must not: read the store, fetch, or print (it knows neither the database nor the browser).

mod bundle;
mod data;
mod kind;
mod render;
mod settings;

pub use bundle::{
    sha256_file, write_bundle, Bundle, BundleError, BundleFile, BundleInput, Manifest,
    MANIFEST_FORMAT,
};
pub use data::{
    Attachment, CaseRef, DocumentData, EvidenceItem, OutcomeLine, Party, Referral, SiteRef,
    Violation,
};
pub use kind::{DocumentKind, UnknownKind};
pub use render::{render_source, DocumentError, TemplateProblem, Templates, TEMPLATES_SUBDIR};
pub use settings::DocumentSettings;
