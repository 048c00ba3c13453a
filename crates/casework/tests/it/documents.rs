//! A case's documents filled from the records: the outcome each kind speaks for, its number,
//! the party, officers, violations and evidence of the case's clues; refusals in and out of
//! scope.

use casework::documents::{document_data, DocumentRefusal};
use documents::{DocumentKind, DocumentSettings};
use domain::{CaseStage, Category, OutcomeKind, Role};
use store::testing::Backend;
use store::{Actor, Scope};

use crate::{code, day, World};

async fn documents_of_a_case(backend: Backend) {
    let w = World::new(backend).await;
    let store = w.store.as_ref();
    let limits = casework::Limits::default();
    let today = day("2024-03-01");
    let cli = Actor::system("cli:test");
    let sweep = w
        .sweep(&[(
            &w.a,
            &[Category::AdAbsoluteTerm, Category::AdMedicalClaim][..],
        )])
        .await;
    casework::group_sweep(store, sweep, &limits, today, &Actor::system("system"))
        .await
        .unwrap();
    let clue = w.clue_of(&w.a, "ad").await;
    casework::feedback(
        store,
        Scope::City,
        clue.id,
        casework::Feedback::Verified { note: None },
        &cli,
    )
    .await
    .unwrap();
    w.user("li", Role::Inspector, &["450103"]).await;
    w.user("wang", Role::Inspector, &["450103"]).await;
    let case = casework::open_case(
        store,
        Scope::City,
        &[clue.id],
        &["li".to_string(), "wang".to_string()],
        None,
        &limits,
        today,
        &cli,
    )
    .await
    .unwrap();
    let settings = DocumentSettings::default();
    let date = day("2024-03-05");
    let data = |kind| document_data(store, Scope::City, case, kind, &settings, date);

    // No outcome yet: only the cover.
    for kind in [
        DocumentKind::Rectification,
        DocumentKind::Warning,
        DocumentKind::Referral,
    ] {
        let err = data(kind).await.unwrap_err();
        assert!(
            matches!(err, DocumentRefusal::NoOutcome { case: c, .. } if c == case),
            "{err:?}"
        );
    }
    let cover = data(DocumentKind::Cover).await.unwrap();
    assert_eq!(cover.data.number, "南市监网案〔2024〕1号");
    assert_eq!(cover.clues, [clue.id]);
    assert!(cover.data.outcomes.is_empty());
    assert_eq!(cover.data.case.stage, CaseStage::Registered.title());
    assert_eq!(cover.data.entity.name, "南宁市甲商行");
    assert!(cover.data.entity.uscc.is_some());
    assert_eq!(cover.data.case.officers, ["li", "wang"]);
    assert_eq!(cover.data.site.address, clue.site);
    assert_eq!(cover.data.site.url, w.a.start_url());
    assert_eq!(cover.data.case.opened_on, day("2024-03-01"));
    let titles: Vec<&str> = cover
        .data
        .violations
        .iter()
        .map(|v| v.title.as_str())
        .collect();
    assert_eq!(
        titles,
        [
            Category::AdAbsoluteTerm.title(),
            Category::AdMedicalClaim.title()
        ]
    );
    assert_eq!(
        cover.data.violations[0].legal_basis,
        Category::AdAbsoluteTerm.legal_basis()
    );
    // The clue's evidence: the page both findings point at, once.
    assert_eq!(cover.data.evidence.len(), 1);
    let e = &cover.data.evidence[0];
    assert_eq!(e.url, format!("http://{}/", w.a.host));
    assert_eq!(e.warc_file, "cw.warc.gz");
    assert_eq!(e.record_digest, format!("sha256:{:064}", e.offset));
    assert_eq!(e.record_id, Some(format!("<urn:uuid:{}>", e.offset)));
    assert!(cover.data.attachments.is_empty());

    // Outcomes: the notice speaks for the latest order; the second is numbered 之2.
    casework::advance(store, Scope::City, case, CaseStage::Registered, &cli)
        .await
        .unwrap();
    let url = format!("http://{}/", w.a.host);
    for due in ["2024-03-11", "2024-03-18"] {
        casework::add_outcome(
            store,
            Scope::City,
            case,
            casework::OutcomeInput::Rectification {
                due_on: day(due),
                urls: vec![url.clone()],
            },
            today,
            &cli,
        )
        .await
        .unwrap();
    }
    casework::add_outcome(
        store,
        Scope::City,
        case,
        casework::OutcomeInput::Referral {
            to: "南宁市通信管理局".into(),
            reason: "未取得ICP备案".into(),
        },
        today,
        &cli,
    )
    .await
    .unwrap();
    let notice = data(DocumentKind::Rectification).await.unwrap().data;
    assert_eq!(notice.number, "南市监网责改〔2024〕1号之2");
    assert_eq!(notice.deadline, Some(day("2024-03-18")));
    assert_eq!(notice.urls, vec![url]);
    assert_eq!(notice.date, date);
    let referral = data(DocumentKind::Referral).await.unwrap().data;
    assert_eq!(referral.number, "南市监网移〔2024〕1号");
    let r = referral.referral.unwrap();
    assert_eq!(
        (r.to.as_str(), r.reason.as_str()),
        ("南宁市通信管理局", "未取得ICP备案")
    );
    assert!(matches!(
        data(DocumentKind::Warning).await.unwrap_err(),
        DocumentRefusal::NoOutcome {
            kind: OutcomeKind::Warning,
            ..
        }
    ));
    let cover = data(DocumentKind::Cover).await.unwrap().data;
    let kinds: Vec<&str> = cover.outcomes.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(kinds, ["rectification", "rectification", "referral"]);
    assert_eq!(cover.outcomes[0].due_on, Some(day("2024-03-11")));
    assert_eq!(cover.outcomes[2].to.as_deref(), Some("南宁市通信管理局"));

    // Out of scope answers like a missing case.
    let other = Scope::Districts(vec![code("450102")].into());
    assert!(matches!(
        document_data(store, other, case, DocumentKind::Cover, &settings, date)
            .await
            .unwrap_err(),
        DocumentRefusal::NoCase(c) if c == case
    ));
    let district = Scope::Districts(vec![code("450103")].into());
    assert!(
        document_data(store, district, case, DocumentKind::Cover, &settings, date)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn documents_of_a_case_on_sqlite() {
    documents_of_a_case(Backend::Sqlite).await;
}

#[tokio::test]
async fn documents_of_a_case_on_postgres() {
    documents_of_a_case(Backend::Postgres).await;
}
