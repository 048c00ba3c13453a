//! Complaints and reports against a real store, on every backend: every intake problem, the
//! business matched (USCC, site URL, exact name) and the district assigned (entity, address,
//! none), a duplicate within the window refused with nothing stored, the steps and the ones
//! refused, deadlines in working days, and an upheld complaint marking credit stale.

use crate::{at, code, day, T0};
use casework::complaints::{self, IntakeField as F, Problem as P};
use casework::{ComplaintError, IntakeForm, IntakeProblem, Limits};
use domain::{
    ComplaintChannel, ComplaintKind, ComplaintOutcome, ComplaintState, DistrictTable, SiteKind,
    Uscc,
};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use store::testing::{Backend, TestDb};
use store::*;

struct World {
    store: Arc<dyn Store>,
    db: TestDb,
    a: EntityId,
    b: EntityId,
    uscc_a: String,
}

use domain::EntityId;

impl World {
    async fn new(backend: Backend) -> World {
        let db = TestDb::new(backend).await;
        let tick = Arc::new(AtomicI64::new(T0));
        let store = db
            .open(Some(Arc::new(move || {
                at(tick.fetch_add(1, Ordering::SeqCst))
            })))
            .await
            .unwrap();
        let uscc_a = Uscc::complete("91450103", "MA6KCP01").unwrap().to_string();
        let uscc_b = Uscc::complete("91450107", "MA6KCP02").unwrap().to_string();
        store
            .upsert_entities(
                &[
                    EntityInput {
                        domains: vec!["a.cp.test".into()],
                        ..EntityInput::new(
                            &uscc_a,
                            "南宁市甲商行",
                            SiteKind::TradingSite,
                            code("450103"),
                        )
                    },
                    EntityInput {
                        domains: vec!["b.cp.test".into()],
                        ..EntityInput::new(&uscc_b, "乙商城", SiteKind::TradingSite, code("450107"))
                    },
                ],
                "test",
            )
            .await
            .unwrap();
        let a = store
            .entity_by_uscc(Scope::City, &uscc_a)
            .await
            .unwrap()
            .unwrap()
            .id;
        let b = store
            .entity_by_uscc(Scope::City, &uscc_b)
            .await
            .unwrap()
            .unwrap()
            .id;
        World {
            store,
            db,
            a,
            b,
            uscc_a,
        }
    }

    async fn file(&self, form: &IntakeForm) -> Result<Complaint, ComplaintError> {
        complaints::file(
            self.store.as_ref(),
            &DistrictTable::nanning(),
            &Limits::default(),
            form,
            ComplaintChannel::Portal,
            day("2024-03-01"),
            &Actor::system("portal"),
        )
        .await
    }
}

fn form(kind: ComplaintKind, subject: &str, body: &str) -> IntakeForm {
    IntakeForm {
        kind: Some(kind),
        subject_name: subject.into(),
        body: body.into(),
        name: "张三".into(),
        phone: "13800000000".into(),
        ..IntakeForm::default()
    }
}

fn problems(form: &IntakeForm) -> Vec<IntakeProblem> {
    match complaints::check_intake(form) {
        Err(ComplaintError::Intake(p)) => p,
        other => panic!("problems expected, got {other:?}"),
    }
}

fn p(field: F, problem: P) -> IntakeProblem {
    IntakeProblem { field, problem }
}

#[test]
fn every_intake_problem_is_named() {
    assert_eq!(
        problems(&IntakeForm::default()),
        [
            p(F::Kind, P::Missing),
            p(F::Subject, P::Missing),
            p(F::Body, P::Missing),
            p(F::Name, P::Missing),
            p(F::Contact, P::Missing),
        ]
    );
    let mut f = form(ComplaintKind::Report, &"名".repeat(101), &"长".repeat(5001));
    f.subject_uscc = "91450103MA6KCP0X".into();
    f.subject_url = "javascript:alert(1)".into();
    f.phone = "12345".into();
    f.email = "not-an-email".into();
    f.name = "张\u{0}三".into();
    assert_eq!(
        problems(&f),
        [
            p(F::SubjectName, P::TooLong { max: 100 }),
            p(F::Body, P::TooLong { max: 5000 }),
            p(F::Name, P::Invalid),
            p(F::SubjectUscc, P::Invalid),
            p(F::SubjectUrl, P::Invalid),
            p(F::Phone, P::Invalid),
            p(F::Email, P::Invalid),
        ]
    );
    // Exactly at the limits, with a USCC or a URL alone naming the business: accepted.
    let mut f = form(ComplaintKind::Both, "", &"长".repeat(5000));
    f.subject_url = "shop.example.cn/item/1".into();
    f.phone = String::new();
    f.email = "a@example.cn".into();
    let ok = complaints::check_intake(&f).unwrap();
    assert_eq!(ok.subject.name, "shop.example.cn");
}

async fn matching_and_duplicates(backend: Backend) {
    let w = World::new(backend).await;
    let mut by_uscc = form(ComplaintKind::Complaint, "", "USCC 投诉");
    by_uscc.subject_uscc = w.uscc_a.to_lowercase();
    let c = w.file(&by_uscc).await.unwrap();
    assert_eq!((c.entity_id, c.district), (Some(w.a), Some(code("450103"))));
    assert_eq!(c.accept_by, day("2024-03-12"), "7 working days");
    assert_eq!(c.verify_by, None, "a complaint alone is not verified");

    let mut by_url = form(ComplaintKind::Report, "随便写的名字", "URL 举报");
    by_url.subject_url = "http://B.cp.test/goods/1".into();
    let c = w.file(&by_url).await.unwrap();
    assert_eq!((c.entity_id, c.district), (Some(w.b), Some(code("450107"))));
    assert!(c.site_id.is_some());
    assert_eq!(c.verify_by, Some(day("2024-03-22")), "15 working days");

    let c = w
        .file(&form(ComplaintKind::Both, "南宁市甲商行", "按名称"))
        .await
        .unwrap();
    assert_eq!(c.entity_id, Some(w.a));

    let mut by_address = form(ComplaintKind::Complaint, "无名小店", "按地址");
    by_address.subject_address = "南宁市兴宁区朝阳路8号".into();
    let c = w.file(&by_address).await.unwrap();
    assert_eq!((c.entity_id, c.district), (None, Some(code("450102"))));

    let c = w
        .file(&form(ComplaintKind::Complaint, "无名小店", "无从匹配"))
        .await
        .unwrap();
    assert_eq!((c.entity_id, c.district), (None, None), "the city's");

    // The same contact, subject and text again (spacing and case aside): refused, nothing
    // stored.
    let all = ComplaintFilter::default();
    let before = w.store.count_complaints(Scope::City, &all).await.unwrap();
    let again = form(ComplaintKind::Complaint, "无名小店", "  无从匹配 ");
    assert!(matches!(
        w.file(&again).await,
        Err(ComplaintError::Duplicate)
    ));
    // Bad input stores nothing either.
    assert!(matches!(
        w.file(&IntakeForm::default()).await,
        Err(ComplaintError::Intake(_))
    ));
    assert_eq!(
        w.store.count_complaints(Scope::City, &all).await.unwrap(),
        before
    );
}

async fn steps_deadlines_and_credit(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store.as_ref();
    let by = Actor::system("cli:test");
    let city = Scope::City;
    let limits = Limits::default();
    let today = day("2024-03-01");
    let mut f = form(ComplaintKind::Complaint, "南宁市甲商行", "退款纠纷");
    f.subject_uscc = w.uscc_a.clone();
    let c = w.file(&f).await.unwrap();
    use ComplaintState::*;
    // Out of scope: not found, like a missing one.
    let xixiangtang = Scope::district(code("450107"));
    assert!(matches!(
        complaints::accept(s, xixiangtang, c.id, None, &by).await,
        Err(ComplaintError::NotFound(_))
    ));
    // A complaint is not verified; mediation needs acceptance first.
    assert!(matches!(
        complaints::verify(s, city.clone(), c.id, true, None, &by).await,
        Err(ComplaintError::Transition(_))
    ));
    assert!(matches!(
        complaints::start_mediation(s, city.clone(), c.id, &limits, today, &by).await,
        Err(ComplaintError::Transition(_))
    ));
    assert_eq!(
        complaints::accept(s, city.clone(), c.id, Some("受理"), &by)
            .await
            .unwrap(),
        Accepted
    );
    assert!(matches!(
        complaints::refuse(s, city.clone(), c.id, "晚了", &by).await,
        Err(ComplaintError::Transition(_))
    ));
    assert_eq!(
        complaints::start_mediation(s, city.clone(), c.id, &limits, today, &by)
            .await
            .unwrap(),
        Mediating
    );
    let got = s.complaint(city.clone(), c.id).await.unwrap().unwrap();
    assert_eq!(
        got.mediation_ends_by,
        Some(day("2024-05-03")),
        "45 working days"
    );
    assert!(got.overdue(day("2024-05-06")));
    assert!(matches!(
        complaints::close(
            s,
            city.clone(),
            c.id,
            ComplaintOutcome::Mediated,
            "协议",
            true,
            &by
        )
        .await,
        Err(ComplaintError::Transition(_))
    ));
    assert_eq!(
        complaints::end_mediation(s, city.clone(), c.id, true, None, &by)
            .await
            .unwrap(),
        Mediated
    );
    assert!(matches!(
        complaints::close(
            s,
            city.clone(),
            c.id,
            ComplaintOutcome::Refused,
            "x",
            false,
            &by
        )
        .await,
        Err(ComplaintError::RefusedIsNotAClosing)
    ));
    assert!(matches!(
        complaints::close(
            s,
            city.clone(),
            c.id,
            ComplaintOutcome::Mediated,
            "  ",
            false,
            &by
        )
        .await,
        Err(ComplaintError::Missing(_))
    ));
    // The register's import marked every entity; start from none.
    w.db.exec_raw("DELETE FROM credit_stale").await.unwrap();
    assert_eq!(
        complaints::close(
            s,
            city.clone(),
            c.id,
            ComplaintOutcome::Mediated,
            "双方达成退款协议",
            true,
            &by
        )
        .await
        .unwrap(),
        Closed
    );
    let stale = s.credit_stale(1000).await.unwrap();
    assert!(
        stale.iter().any(|(e, _)| *e == w.a),
        "upheld marks credit stale"
    );
    let public = s
        .public_complaint(&c.tracking_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.outcome_text.as_deref(), Some("双方达成退款协议"));
    assert_eq!(public.steps.last().map(|s| s.1), Some(Closed));
    // Closed: no dispatch.
    assert!(matches!(
        complaints::dispatch(
            s,
            city.clone(),
            c.id,
            code("450107"),
            &DistrictTable::nanning(),
            "改派",
            today,
            &by
        )
        .await,
        Err(ComplaintError::Closed(_))
    ));

    // A report: refused needs a reason, verify then close; links in scope only.
    let r = w
        .file(&form(ComplaintKind::Report, "乙商城", "虚假宣传"))
        .await
        .unwrap();
    assert!(matches!(
        complaints::refuse(s, city.clone(), r.id, " ", &by).await,
        Err(ComplaintError::Missing(_))
    ));
    assert!(matches!(
        complaints::dispatch(
            s,
            city.clone(),
            r.id,
            code("450100"),
            &DistrictTable::nanning(),
            "x",
            today,
            &by
        )
        .await,
        Err(ComplaintError::UnknownDistrict(_))
    ));
    complaints::dispatch(
        s,
        city.clone(),
        r.id,
        code("450107"),
        &DistrictTable::nanning(),
        "属西乡塘区",
        today,
        &by,
    )
    .await
    .unwrap();
    complaints::accept(s, city.clone(), r.id, None, &by)
        .await
        .unwrap();
    assert!(
        matches!(
            complaints::close(
                s,
                city.clone(),
                r.id,
                ComplaintOutcome::NoViolation,
                "x",
                false,
                &by
            )
            .await,
            Err(ComplaintError::Transition(_))
        ),
        "a report is verified before it is closed"
    );
    let xixiangtang = Scope::district(code("450107"));
    assert!(matches!(
        complaints::link(
            s,
            xixiangtang.clone(),
            r.id,
            ComplaintLinks {
                entity: Some(w.a),
                ..Default::default()
            },
            &by
        )
        .await,
        Err(ComplaintError::NoEntity(_))
    ));
    assert!(matches!(
        complaints::link(s, xixiangtang.clone(), r.id, ComplaintLinks::default(), &by).await,
        Err(ComplaintError::NothingToLink)
    ));
    complaints::link(
        s,
        xixiangtang.clone(),
        r.id,
        ComplaintLinks {
            entity: Some(w.b),
            ..Default::default()
        },
        &by,
    )
    .await
    .unwrap();
    assert_eq!(
        complaints::verify(s, xixiangtang.clone(), r.id, false, Some("未发现"), &by)
            .await
            .unwrap(),
        NotVerified
    );
    complaints::close(
        s,
        xixiangtang.clone(),
        r.id,
        ComplaintOutcome::NoViolation,
        "经核查未发现违法行为",
        false,
        &by,
    )
    .await
    .unwrap();
    let got = s.complaint(xixiangtang, r.id).await.unwrap().unwrap();
    assert_eq!(
        (got.state, got.upheld, got.entity_id),
        (Closed, false, Some(w.b))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matching_and_duplicates_on_sqlite() {
    matching_and_duplicates(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matching_and_duplicates_on_postgres() {
    matching_and_duplicates(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_deadlines_and_credit_on_sqlite() {
    steps_deadlines_and_credit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_deadlines_and_credit_on_postgres() {
    steps_deadlines_and_credit(Backend::Postgres).await;
}
