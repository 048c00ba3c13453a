//! A case's documents from the console: `POST /cases/{id}/documents/{kind}` answers the HTML
//! document (under its own policy) or the PDF bundle, each clue's WACZ exported and logged in
//! the chain of custody with the user and the reason; a kind whose outcome the case lacks and a
//! bad format are refused and log nothing.

use std::io::Read as _;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::{CaseStage, ClueState, Role};
use store::{
    Actor, CustodyAction, CustodyFilter, EvidencePointer, NewCase, NewClue, NewFetch, NewFinding,
    OutcomeDetail, Scope,
};

use crate::{at, bytes, fixture, logged_in, post_form, Fixture, HOSTILE_BODY};

fn form(uri: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", web::encode_form_value(v)))
        .collect::<Vec<_>>()
        .join("&");
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body))
        .unwrap()
}

/// A record of the shop written through the fixture's transparency log, with a finding on it;
/// a clue of that finding; a case of the clue. Returns (case, clue, the record's digest).
async fn logged_case(fx: &Fixture) -> (domain::CaseId, domain::ClueId, String) {
    let store = &fx.state.store;
    let original = store.fetch(Scope::City, fx.fetch).await.unwrap().unwrap();
    let log = evidence::tlog::Log::open(fx._dir.path().join("log")).unwrap();
    let mut w = evidence::WarcWriter::open_with_log(
        evidence::WriterConfig::new(&fx.state.evidence_dir, "documents"),
        Some(log),
    )
    .unwrap();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        HOSTILE_BODY.len()
    );
    let refs = w
        .write_exchange(&evidence::ExchangeRecord {
            target_uri: "http://shop.example/",
            date: at(500),
            request_head: b"GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n",
            response_head: Some(head.as_bytes()),
            response_body: HOSTILE_BODY.as_bytes(),
            remote_ip: None,
            metadata: vec![],
        })
        .unwrap();
    w.flush().unwrap();
    drop(w);
    let r = refs.response.unwrap();
    let pointer = EvidencePointer {
        warc_file: r.file.clone(),
        offset: r.offset as i64,
        digest: r.block_digest.clone(),
    };
    let sweep = store.create_sweep(&[fx.shop]).await.unwrap();
    let fetch = NewFetch {
        sweep_id: sweep,
        fetched_at: at(500),
        evidence: Some(pointer.clone()),
        record_id: Some(r.record_id.clone()),
        ..original.fetch
    };
    store
        .record_fetch(
            &fetch,
            &[NewFinding {
                sweep_id: sweep,
                site_id: fx.shop,
                fetch_id: None,
                url: fetch.url.clone(),
                category: domain::Category::AdAbsoluteTerm,
                rule_id: "ad.absolute_term.documents".into(),
                rule_pack: "core-2017".into(),
                severity: domain::Category::AdAbsoluteTerm.severity(),
                excerpt: "全网最佳".into(),
                location: "text".into(),
                evidence: Some(pointer),
                found_at: at(501),
                suppressed: None,
            }],
        )
        .await
        .unwrap();
    store.finish_sweep(sweep).await.unwrap();
    let finding = store
        .sweep_findings(Scope::City, sweep)
        .await
        .unwrap()
        .remove(0);
    let clue = store
        .create_clue(
            &NewClue {
                site_id: fx.shop,
                findings: vec![finding.id],
                summary: "广告使用绝对化用语".into(),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let supervisor = store.user_by_name("supervisor").await.unwrap().unwrap();
    let site = store.site(Scope::City, fx.shop).await.unwrap().unwrap();
    let case = store
        .open_case(
            &NewCase {
                site_id: fx.shop,
                entity_id: site.entity_id,
                district: site.district.unwrap(),
                summary: "广告使用绝对化用语".into(),
                clues: vec![(clue, ClueState::New)],
                officers: vec![supervisor.id],
                number_prefix: "南市监网案〔2024〕".into(),
                decide_by: chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
            },
            &Actor::user(&supervisor, None),
        )
        .await
        .unwrap();
    (case, clue, r.block_digest)
}

async fn exports(fx: &Fixture) -> Vec<store::CustodyRecord> {
    fx.state
        .store
        .custody(&CustodyFilter::chain())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == CustodyAction::Export)
        .collect()
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is needed: apt-get install poppler-utils");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_cases_documents_come_with_their_logged_packages() {
    let fx = fixture().await;
    let (case, clue, digest) = logged_case(&fx).await;
    let browser = crawl::browser::find_browser()
        .expect("Debian's chromium is needed to print documents: apt-get install chromium");
    let state = web::AppState {
        ops: web::OpsSettings::default(),
        badges: None,
        documents: Some(web::DocumentsSettings {
            templates: documents::Templates::open(fx._dir.path()).unwrap(),
            settings: documents::DocumentSettings::default(),
            browser: Ok(crawl::browser::BrowserConfig::new(browser)),
        }),
        ..fx.state.clone()
    };
    let (router, csrf) = logged_in(&state, "doc-inspector", Role::Inspector, &["450103"]).await;
    let base = format!("/cases/{case}/documents");

    // The case page offers every document, to read or to download.
    let page = crate::get(&router, &format!("/cases/{case}")).await.ok();
    for kind in documents::DocumentKind::ALL {
        let action = format!("action=\"{base}/{}\"", kind.code());
        assert!(page.body.contains(&action), "{action}: {}", page.body);
    }

    // The cover as HTML: its own policy, the case, the evidence, the package it names.
    let got = post_form(
        &router,
        &format!("{base}/cover"),
        &[("csrf", &csrf), ("format", "html"), ("reason", "归档")],
    )
    .await
    .ok();
    let policy = got.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("style-src 'unsafe-inline'") && policy.contains("default-src 'none'"));
    assert!(!policy.contains("script"));
    assert_eq!(got.headers["cache-control"], "no-store");
    assert!(got.body.contains(">案卷封面</h1>"), "{}", got.body);
    assert!(got.body.contains("南市监网案〔2024〕"));
    assert!(got.body.contains(&digest));
    assert!(got
        .body
        .contains(&format!("case-{case}-cover-clue-{clue}.wacz")));
    let rows = exports(&fx).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].actor.as_str(), rows[0].reason.as_str()),
        ("user:doc-inspector", "归档")
    );
    assert_eq!(rows[0].subject, format!("clue:{clue}"));

    // No warning on the case; a format that does not exist: refused, nothing exported.
    let got = post_form(&router, &format!("{base}/warning"), &[("csrf", &csrf)]).await;
    assert_eq!(got.status, StatusCode::CONFLICT, "{}", got.body);
    assert!(
        got.body.contains(domain::OutcomeKind::Warning.title()),
        "{}",
        got.body
    );
    let got = post_form(
        &router,
        &format!("{base}/cover"),
        &[("csrf", &csrf), ("format", "docx")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.body);
    let got = post_form(
        &router,
        &format!("/cases/{case}/documents/notice"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND, "{}", got.body);
    assert_eq!(exports(&fx).await.len(), 1);

    // A rectification order, then its notice as the PDF bundle.
    let store = &fx.state.store;
    let supervisor = store.user_by_name("supervisor").await.unwrap().unwrap();
    let by = Actor::user(&supervisor, None);
    store
        .set_case_stage(
            case,
            CaseStage::Registered,
            CaseStage::Investigating,
            None,
            &by,
        )
        .await
        .unwrap();
    store
        .add_outcome(
            case,
            CaseStage::Investigating,
            &OutcomeDetail::Rectification {
                due_on: chrono::NaiveDate::from_ymd_opt(2030, 1, 31).unwrap(),
                urls: vec!["http://shop.example/".into()],
                recheck_sweep: None,
                rechecked_at: None,
                compliant: None,
            },
            &by,
        )
        .await
        .unwrap();
    let (status, headers, zip) = bytes(
        &router,
        form(
            &format!("{base}/rectification"),
            &[("csrf", &csrf), ("format", "pdf")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&zip));
    assert_eq!(headers["content-type"], "application/zip");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"case-{case}-rectification.zip\"").as_str()
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut member = |name: &str| {
        let mut buf = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut buf).unwrap();
        buf
    };
    let wacz_name = format!("case-{case}-rectification-clue-{clue}.wacz");
    let wacz = member(&wacz_name);
    let text = pdf_text(&member(&format!("case-{case}-rectification.pdf")));
    let sums = String::from_utf8(member("SHA256SUMS")).unwrap();
    let wacz_sha = sums
        .lines()
        .find(|l| l.ends_with(&wacz_name))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(wacz.starts_with(b"PK"));
    assert!(text.contains("责令改正通知书"), "{text}");
    assert!(text.contains("2030年1月31日"), "{text}");
    assert!(text.contains(&wacz_sha), "{text}");
    assert!(text.contains(&digest), "{text}");
    assert_eq!(exports(&fx).await.len(), 2);
}
