//! Each kind printed to PDF through Debian's Chromium (`crawl::browser::print_pdf`) and read
//! back with `pdftotext` (Debian's `poppler-utils`): the Chinese title, the case number and an
//! evidence digest are in the PDF's text. A missing browser or `pdftotext` fails the test.

use std::process::Command;

use crawl::browser::{find_browser, print_pdf, BrowserConfig, Margins};
use documents::{DocumentKind, Templates};

use crate::{sample, RECORD_DIGEST, WACZ_SHA};

pub fn browser() -> BrowserConfig {
    BrowserConfig::new(
        find_browser()
            .expect("Debian's chromium is needed to print documents: apt-get install chromium"),
    )
}

/// The text of a PDF as `pdftotext` reads it (reading order, not layout).
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is needed: apt-get install poppler-utils");
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_kind_prints_with_its_title_case_number_and_digest() {
    let data_dir = tempfile::tempdir().unwrap();
    let templates = Templates::open(data_dir.path()).unwrap();
    let browser = browser();
    for kind in DocumentKind::ALL {
        let html = templates.render(kind, &sample()).unwrap();
        let pdf = print_pdf(&browser, &html, Margins::default()).unwrap();
        let text = pdf_text(&pdf);
        assert!(text.contains(kind.title()), "{kind}: {text}");
        assert!(text.contains("南市监网案〔2026〕7号"), "{kind}: {text}");
        assert!(text.contains(RECORD_DIGEST), "{kind}: {text}");
        assert!(text.contains(WACZ_SHA), "{kind}: {text}");
        assert!(text.contains("南宁市青秀区<好>货商行"), "{kind}: {text}");
    }
}
