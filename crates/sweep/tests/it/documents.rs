//! A casework document with its evidence: each clue's WACZ exported (and logged in custody),
//! named with its SHA-256 in the document, printed through Chromium and bundled; refusals
//! export nothing.

use std::io::Read as _;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use chrono::NaiveDate;
use crawl::browser::{find_browser, BrowserConfig};
use documents::{CaseRef, DocumentData, DocumentKind, Party, SiteRef, Templates, Violation};
use store::{Actor, CustodyAction, CustodyFilter, FindingFilter, Scope};
use sweep::documents::{
    make_document, CaseDocumentError, DocumentFormat, DocumentRequest, DocumentSetup,
};
use sweep::export::ExportConfig;

use crate::support::Fixture;

fn data(case_number: &str) -> DocumentData {
    DocumentData {
        bureau: "南宁市市场监督管理局".into(),
        number: "南市监网责改〔2026〕3号".into(),
        date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
        entity: Party {
            name: "测试商行".into(),
            uscc: None,
            address: None,
        },
        site: SiteRef {
            address: "shop.test".into(),
            url: "http://shop.test/".into(),
        },
        case: CaseRef {
            number: case_number.into(),
            summary: "未亮照经营".into(),
            stage: "调查".into(),
            opened_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            decided_on: None,
            closed_on: None,
            officers: vec!["李明".into(), "王芳".into()],
        },
        violations: vec![Violation::from(domain::Category::LicenseNotDisplayed)],
        deadline: NaiveDate::from_ymd_opt(2026, 3, 20),
        urls: vec!["http://shop.test/".into()],
        referral: None,
        reason: None,
        outcomes: Vec::new(),
        evidence: Vec::new(),
        attachments: Vec::new(),
    }
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is needed: apt-get install poppler-utils");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_document_attaches_each_clue_package_logged_in_custody() {
    let fx = Fixture::new(6, 11).await;
    let detector = Arc::new(detect::Detector::builtin());
    let config = fx.config();
    sweep::run_sweep(fx.store.clone(), detector, config.clone())
        .await
        .unwrap();
    let store = fx.store.as_ref();
    let finding = store
        .list_findings(
            Scope::City,
            &FindingFilter {
                limit: 1,
                ..FindingFilter::default()
            },
        )
        .await
        .unwrap()
        .remove(0);
    let (clue, _) = store::clue::make_clue(
        store,
        Scope::City,
        &[finding.id],
        None,
        &Actor::system("test"),
    )
    .await
    .unwrap();
    let export = ExportConfig {
        evidence_dir: fx.evidence_dir(),
        log: config.log.clone().unwrap(),
        software: "wangjian-test".into(),
        objects: None,
    };
    let templates = Templates::open(fx.dir.path()).unwrap();
    let browser = BrowserConfig::new(
        find_browser().expect("Debian's chromium is needed: apt-get install chromium"),
    );
    let setup = DocumentSetup {
        export: &export,
        templates: &templates,
        browser: Ok(&browser),
    };
    let out_dir = fx.dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let custody = || async {
        store
            .custody(&CustodyFilter::chain())
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.action == CustodyAction::Export)
            .collect::<Vec<_>>()
    };
    let request = |format, file: &str| DocumentRequest {
        kind: DocumentKind::Rectification,
        format,
        output: out_dir.join(file),
        actor: "user:liming".into(),
        reason: "制作责令改正通知书".into(),
    };

    // Refusals write and log nothing: no clue to attach; a PDF without a browser.
    let err = make_document(
        store,
        Scope::City,
        &setup,
        data("南市监网案〔2026〕3号"),
        &[],
        &request(DocumentFormat::Bundle, "none.zip"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CaseDocumentError::NoClue), "{err:?}");
    let err = make_document(
        store,
        Scope::City,
        &DocumentSetup {
            browser: Err("no browser (chromium) is installed"),
            ..setup
        },
        data("南市监网案〔2026〕3号"),
        &[clue],
        &request(DocumentFormat::Pdf, "none.pdf"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CaseDocumentError::NoBrowser(_)), "{err:?}");
    // A broken template (the bureau's edit of the warning letter) is found before any export.
    std::fs::write(
        templates.path(DocumentKind::Warning),
        "<h1>警示函</h1>\n{{ entity.fax }}\n",
    )
    .unwrap();
    let err = make_document(
        store,
        Scope::City,
        &setup,
        data("南市监网案〔2026〕3号"),
        &[clue],
        &DocumentRequest {
            kind: DocumentKind::Warning,
            ..request(DocumentFormat::Html, "warning.html")
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            CaseDocumentError::Template(documents::DocumentError::Template { line: Some(2), .. })
        ),
        "{err:?}"
    );
    assert!(custody().await.is_empty());
    assert!(files_in(&out_dir).is_empty());

    // A bundle: the PDF, the clue's package and the manifests, nothing left beside it.
    let made = make_document(
        store,
        Scope::City,
        &setup,
        data("南市监网案〔2026〕3号"),
        &[clue],
        &request(DocumentFormat::Bundle, "notice.zip"),
    )
    .await
    .unwrap();
    assert_eq!(files_in(&out_dir), ["notice.zip"]);
    assert!(made.packages.is_empty());
    let wacz_name = format!("notice-clue-{clue}.wacz");
    assert_eq!(made.data.attachments.len(), 1);
    assert_eq!(made.data.attachments[0].file_name, wacz_name);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&made.path).unwrap()).unwrap();
    let mut member = |name: &str| {
        let mut buf = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut buf).unwrap();
        buf
    };
    let wacz = member(&wacz_name);
    let pdf = member("notice.pdf");
    let sums = String::from_utf8(member("SHA256SUMS")).unwrap();
    let wacz_sha = sha256_hex(&wacz);
    assert_eq!(made.data.attachments[0].sha256, wacz_sha);
    assert!(sums.contains(&format!("{wacz_sha}  {wacz_name}")), "{sums}");
    assert!(
        sums.contains(&format!("{}  notice.pdf", sha256_hex(&pdf))),
        "{sums}"
    );
    let text = pdf_text(&pdf);
    assert!(text.contains("责令改正通知书"), "{text}");
    assert!(text.contains("南市监网案〔2026〕3号"), "{text}");
    assert!(
        text.contains(&wacz_sha),
        "the document names its package: {text}"
    );
    assert!(text.contains(&wacz_name), "{text}");
    // The package is the clue's evidence, verifiable like any export.
    let package = out_dir.join("check.wacz");
    std::fs::write(&package, &wacz).unwrap();
    let verdict = evidence::wacz::verify_wacz(&package, None);
    assert!(verdict.ok(), "{:?}", verdict.failures().collect::<Vec<_>>());
    std::fs::remove_file(&package).unwrap();
    let exports = custody().await;
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0].actor, "user:liming");
    assert_eq!(exports[0].subject, format!("clue:{clue}"));
    assert_eq!(exports[0].reason, "制作责令改正通知书");
    assert_eq!(made.exports[0].custody, exports[0]);

    // HTML: the document and, beside it, the package it names.
    let made = make_document(
        store,
        Scope::City,
        &setup,
        data("南市监网案〔2026〕3号"),
        &[clue],
        &request(DocumentFormat::Html, "notice.html"),
    )
    .await
    .unwrap();
    let beside = format!("notice-clue-{clue}.wacz");
    assert_eq!(
        files_in(&out_dir),
        [beside.clone(), "notice.html".into(), "notice.zip".into()]
    );
    assert_eq!(made.packages, [out_dir.join(&beside)]);
    let html = std::fs::read_to_string(out_dir.join("notice.html")).unwrap();
    let sha = sha256_hex(&std::fs::read(out_dir.join(&beside)).unwrap());
    assert!(html.contains(&sha) && html.contains(&beside));
    assert_eq!(custody().await.len(), 2);
}
