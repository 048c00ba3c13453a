//! A case's document as a person receives it, the one function behind `wangjian case document`
//! and the console's `/cases/{id}/documents/{kind}`: the document's data read in the caller's
//! scope (`casework::documents`), each of the case's clues exported as a signed WACZ through
//! [`crate::export::export_wacz`] (so every package is logged in the chain of custody, naming who
//! and why), the packages' SHA-256s written into the document, the document rendered from the
//! data directory's template (`documents::Templates`) and, for a PDF, printed through
//! `crawl::browser::print_pdf`.
//!
//! Three forms: the HTML document, the PDF, or a bundle (one ZIP: the PDF, the packages and a
//! manifest of SHA-256s, `documents::write_bundle`). For HTML and PDF the packages are written
//! beside the document, named `<document stem>-clue-<id>.wacz` as the document names them; in a
//! bundle they are inside it under those names. Everything is checked before the first export
//! (the case and the outcome the kind speaks for, in scope; a clue to attach; a browser for a
//! PDF; the template, rendered once without the packages), so a refused document logs nothing;
//! a failure after an export (printing) leaves the logged packages beside an HTML or PDF
//! output, and nothing of a bundle. The caller holds the transparency log's lock as for any
//! export.

use std::path::{Path, PathBuf};

use casework::documents::DocumentRefusal;
use chrono::NaiveDate;
use crawl::browser::{BrowserConfig, BrowserError, Margins};
use documents::{Attachment, BundleError, DocumentData, DocumentKind, DocumentSettings, Templates};
use domain::{CaseId, ClueId};
use store::{Scope, Store};

use crate::export::{ExportConfig, ExportError, ExportRequest, Exported, Selection};

/// The form a document is delivered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// The HTML document (self-contained), the packages beside it.
    Html,
    /// The printed PDF, the packages beside it.
    Pdf,
    /// One ZIP: the PDF, the packages and the manifest.
    Bundle,
}

/// What documents are made with: the export's evidence and log, the data directory's
/// templates, and the browser that prints (or why there is none).
#[derive(Debug, Clone, Copy)]
pub struct DocumentSetup<'a> {
    pub export: &'a ExportConfig,
    pub templates: &'a Templates,
    pub browser: Result<&'a BrowserConfig, &'a str>,
}

/// One document to make.
#[derive(Debug, Clone)]
pub struct DocumentRequest {
    pub kind: DocumentKind,
    pub format: DocumentFormat,
    /// The file to write (the document, or the bundle); replaced when it exists.
    pub output: PathBuf,
    /// Who (`user:NAME`, or the OS user) and why, for the chain of custody.
    pub actor: String,
    pub reason: String,
}

/// What was made.
#[derive(Debug, Clone)]
pub struct CaseDocument {
    pub data: DocumentData,
    /// The document (or the bundle).
    pub path: PathBuf,
    /// The packages written beside the document (none for a bundle: they are inside it).
    pub packages: Vec<PathBuf>,
    /// The exports, with their custody rows.
    pub exports: Vec<Exported>,
}

/// Why no document was made.
#[derive(Debug, thiserror::Error)]
pub enum CaseDocumentError {
    /// No such case in scope, or not the outcome the kind speaks for.
    #[error(transparent)]
    Refused(#[from] DocumentRefusal),
    /// A PDF was asked for and there is no browser (why).
    #[error("no browser to print with: {0}")]
    NoBrowser(String),
    /// The case has no clue (nothing to attach).
    #[error("the case has no clue to attach")]
    NoClue,
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Template(#[from] documents::DocumentError),
    #[error("printing the document")]
    Print(#[source] BrowserError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the print worker stopped")]
    Worker(#[from] tokio::task::JoinError),
}

/// Makes the document `req.kind` of case `case` dated `date`, read in `scope` with `settings`
/// (`casework::documents::document_data`), attaching its clues' packages: the one function of
/// the command line and the console.
pub async fn case_document(
    store: &dyn Store,
    scope: Scope,
    setup: &DocumentSetup<'_>,
    settings: &DocumentSettings,
    case: CaseId,
    date: NaiveDate,
    req: &DocumentRequest,
) -> Result<CaseDocument, CaseDocumentError> {
    let read =
        casework::documents::document_data(store, scope.clone(), case, req.kind, settings, date)
            .await?;
    make_document(store, scope, setup, read.data, &read.clues, req).await
}

/// Makes `req` from `data` (read in `scope`), attaching the WACZ of each of `clues`: exports
/// them (each logged in the chain of custody), names them in the document, renders it and,
/// for a PDF or a bundle, prints it (see the module documentation).
pub async fn make_document(
    store: &dyn Store,
    scope: Scope,
    setup: &DocumentSetup<'_>,
    mut data: DocumentData,
    clues: &[ClueId],
    req: &DocumentRequest,
) -> Result<CaseDocument, CaseDocumentError> {
    if clues.is_empty() {
        return Err(CaseDocumentError::NoClue);
    }
    let browser = match req.format {
        DocumentFormat::Html => None,
        DocumentFormat::Pdf | DocumentFormat::Bundle => Some(
            setup
                .browser
                .map_err(|why| CaseDocumentError::NoBrowser(why.to_string()))?
                .clone(),
        ),
    };
    // A broken template is found before anything is exported.
    setup.templates.render(req.kind, &data)?;
    let stem = req
        .output
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or(req.kind.code())
        .to_string();
    let out_dir = req
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    // A bundle's packages are made in a private directory beside it and end up inside it.
    let scratch = tempfile::Builder::new()
        .prefix(".document-")
        .tempdir_in(&out_dir)
        .map_err(|source| CaseDocumentError::Io {
            path: out_dir.clone(),
            source,
        })?;
    let package_dir = match req.format {
        DocumentFormat::Bundle => scratch.path(),
        DocumentFormat::Html | DocumentFormat::Pdf => out_dir.as_path(),
    };

    let mut exports = Vec::new();
    let mut packages = Vec::new();
    for clue in clues {
        let name = format!("{stem}-clue-{clue}.wacz");
        let path = package_dir.join(&name);
        let exported = crate::export::export_wacz(
            store,
            scope.clone(),
            setup.export,
            &ExportRequest {
                selection: Selection::Clue(*clue),
                title: Some(format!(
                    "{} {} · 线索 {clue}",
                    req.kind.title(),
                    data.number
                )),
                output: path.clone(),
                actor: req.actor.clone(),
                reason: req.reason.clone(),
            },
        )
        .await?;
        let (sha256, _) =
            documents::sha256_file(&path).map_err(|source| CaseDocumentError::Io {
                path: path.clone(),
                source,
            })?;
        data.attachments.push(Attachment {
            file_name: name,
            sha256,
        });
        exports.push(exported);
        packages.push(path);
    }

    let html = setup.templates.render(req.kind, &data)?;
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|source| CaseDocumentError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let Some(browser) = browser else {
        write(&req.output, html.as_bytes())?;
        return Ok(CaseDocument {
            data,
            path: req.output.clone(),
            packages,
            exports,
        });
    };
    let pdf = tokio::task::spawn_blocking(move || {
        crawl::browser::print_pdf(&browser, &html, Margins::default())
    })
    .await?
    .map_err(CaseDocumentError::Print)?;
    if req.format == DocumentFormat::Pdf {
        write(&req.output, &pdf)?;
    } else {
        let waczs: Vec<&Path> = packages.iter().map(PathBuf::as_path).collect();
        documents::write_bundle(
            &req.output,
            &documents::BundleInput {
                kind: req.kind,
                number: &data.number,
                case_number: &data.case.number,
                document_name: &format!("{stem}.pdf"),
                document: &pdf,
                waczs: &waczs,
            },
        )?;
        packages.clear();
    }
    Ok(CaseDocument {
        data,
        path: req.output.clone(),
        packages,
        exports,
    })
}
