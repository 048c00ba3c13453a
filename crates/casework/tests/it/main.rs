//! The casework procedure against a real store, on every backend: a sweep's findings grouped
//! into clues and dispatched, a district's answers, a case opened and worked through every
//! stage and kind of outcome, a rectification re-checked (not compliant, then compliant),
//! and every refusal changing nothing.

mod complaints;
mod documents;

use casework::*;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::{
    CaseStage, Category, ClueId, ClueState, DistrictCode, ListingCause, NotVerifiedReason, Role,
    SiteId, SiteKind, SweepId, Uscc,
};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use store::testing::{Backend, TestDb};
use store::*;

/// 2024-03-01T00:00:00Z (a Friday).
const T0: i64 = 1_709_251_200;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn code(s: &str) -> DistrictCode {
    DistrictCode::parse(s).unwrap()
}

struct World {
    store: Arc<dyn Store>,
    _db: TestDb,
    a: Site,
    x: Site,
    y: Site,
    offset: AtomicI64,
}

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
        let uscc = Uscc::complete("91450103", "MA6KCW01").unwrap().to_string();
        store
            .upsert_entities(
                &[EntityInput {
                    domains: vec!["a.cw.test".into()],
                    ..EntityInput::new(&uscc, "南宁市甲商行", SiteKind::TradingSite, code("450103"))
                }],
                "test",
            )
            .await
            .unwrap();
        let a = store
            .list_sites(Scope::City, &SiteFilter::default())
            .await
            .unwrap()
            .remove(0);
        // Two sites linked from a's pages: x shows an address in 兴宁区, y none.
        let sweep = store.create_sweep(&[a.id]).await.unwrap();
        let seen = |host: &str| NewDiscovery {
            host: host.into(),
            path_prefix: String::new(),
            sighting: Sighting {
                from_url: "http://a.cw.test/".into(),
                anchor: "友情链接".into(),
                hidden: false,
                evidence: None,
                ..Sighting::default()
            },
            source: DiscoverySource::Link,
            hops: 1,
            indicators: Vec::new(),
        };
        let progress = |site: SiteId, discoveries, shown| SiteProgress {
            sweep,
            site,
            fetches: vec![],
            frontier: FrontierUpdate::Keep,
            finish: None,
            discoveries,
            classified: None,
            shown,
        };
        store
            .commit_progress(&progress(
                a.id,
                vec![seen("x.cw.test"), seen("y.cw.test")],
                None,
            ))
            .await
            .unwrap();
        let promoted = store.promote_discoveries(sweep).await.unwrap();
        let of = |h: &str| promoted.iter().find(|s| s.host == h).unwrap().clone();
        let (x, y) = (of("x.cw.test"), of("y.cw.test"));
        store
            .commit_progress(&progress(
                x.id,
                vec![],
                Some((
                    Shown {
                        addresses: vec!["南宁市兴宁区朝阳路8号".into()],
                        ..Shown::default()
                    },
                    vec![],
                )),
            ))
            .await
            .unwrap();
        store.finish_sweep(sweep).await.unwrap();
        World {
            store,
            _db: db,
            a,
            x,
            y,
            offset: AtomicI64::new(0),
        }
    }

    fn fetch(&self, sweep: SweepId, site: &Site, url: &str) -> NewFetch {
        let n = self.offset.fetch_add(100, Ordering::SeqCst);
        NewFetch {
            sweep_id: sweep,
            site_id: site.id,
            url: url.into(),
            fetched_at: at(T0 + 50),
            status: Some(200),
            content_type: Some("text/html".into()),
            bytes: 10,
            payload_digest: Some(format!("sha256:{n:064}")),
            error: None,
            evidence: Some(EvidencePointer {
                warc_file: "cw.warc.gz".into(),
                offset: n,
                digest: format!("sha256:{n:064}"),
            }),
            etag: None,
            last_modified: None,
            record_id: Some(format!("<urn:uuid:{n}>")),
            revisit_of: None,
        }
    }

    fn finding(&self, f: &NewFetch, category: Category, excerpt: &str) -> NewFinding {
        NewFinding {
            sweep_id: f.sweep_id,
            site_id: f.site_id,
            fetch_id: None,
            url: f.url.clone(),
            category,
            rule_id: format!("{category}.1"),
            rule_pack: "core@1".into(),
            severity: category.severity(),
            excerpt: excerpt.into(),
            location: "text".into(),
            evidence: f.evidence.clone(),
            found_at: at(T0 + 60),
            suppressed: None,
        }
    }

    /// A sweep over the sites: one page each with the findings of the given categories.
    async fn sweep(&self, pages: &[(&Site, &[Category])]) -> SweepId {
        let sweep = self
            .store
            .create_sweep(&pages.iter().map(|(s, _)| s.id).collect::<Vec<_>>())
            .await
            .unwrap();
        for (i, (site, cats)) in pages.iter().enumerate() {
            let f = self.fetch(sweep, site, &format!("http://{}/", site.host));
            let fs: Vec<NewFinding> = cats
                .iter()
                .enumerate()
                .map(|(j, c)| self.finding(&f, *c, &format!("{sweep}-{i}-{j}")))
                .collect();
            self.store.record_fetch(&f, &fs).await.unwrap();
        }
        self.store.finish_sweep(sweep).await.unwrap();
        sweep
    }

    async fn user(&self, name: &str, role: Role, districts: &[&str]) {
        self.store
            .create_user(
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    role,
                    districts: districts.iter().map(|d| code(d)).collect(),
                    entities: vec![],
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                },
                &Actor::system("test"),
            )
            .await
            .unwrap();
    }

    async fn clue_of(&self, site: &Site, group: &str) -> store::Clue {
        self.store
            .list_clues(
                Scope::City,
                &ClueFilter {
                    site_id: Some(site.id),
                    ..ClueFilter::default()
                },
            )
            .await
            .unwrap()
            .into_iter()
            .find(|c| {
                c.group_key
                    .as_deref()
                    .is_some_and(|k| k.contains(&format!(":{group}:")))
            })
            .unwrap()
    }
}

async fn the_whole_procedure(backend: Backend) {
    let w = World::new(backend).await;
    let store = w.store.as_ref();
    let limits = Limits::default();
    let today = day("2024-03-01");
    let sys = Actor::system("system:casework");
    let cli = Actor::system("cli:test");

    // A sweep: a shows two ad findings (one a false positive) and a license one; x and y an
    // ad finding each.
    let sweep = w
        .sweep(&[
            (
                &w.a,
                &[
                    Category::AdAbsoluteTerm,
                    Category::AdMedicalClaim,
                    Category::LicenseNotDisplayed,
                ],
            ),
            (&w.x, &[Category::AdAbsoluteTerm]),
            (&w.y, &[Category::AdAbsoluteTerm]),
        ])
        .await;
    let fp = store
        .sweep_findings(Scope::City, sweep)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.finding.category == Category::AdMedicalClaim)
        .unwrap();
    store
        .triage_finding(
            Scope::City,
            fp.id,
            &TriageDecision::new("false_positive", "not medical").unwrap(),
            &cli,
        )
        .await
        .unwrap();
    // Read a finding at a time: a's three findings fill the first pages alone (read again,
    // larger), and x's wait for the page after a's.
    let report = casework::group_sweep_paged(store, sweep, &limits, today, &sys, 1)
        .await
        .unwrap();
    assert_eq!(report.created.len(), 4);
    assert_eq!(
        (report.dispatched, report.undispatched, report.findings),
        (3, 1, 4)
    );
    let ad = w.clue_of(&w.a, "ad").await;
    assert_eq!(ad.findings.len(), 1, "the false positive is left out");
    assert_eq!(
        (ad.state, ad.district),
        (ClueState::Dispatched, Some(code("450103")))
    );
    // Medium severity: 10 working days; the statutory 15.
    assert_eq!(
        (ad.due_on, ad.verify_by),
        (Some(day("2024-03-15")), Some(day("2024-03-22")))
    );
    let license = w.clue_of(&w.a, "license").await;
    let xc = w.clue_of(&w.x, "ad").await;
    assert_eq!(
        xc.district,
        Some(code("450102")),
        "the address its pages show"
    );
    let yc = w.clue_of(&w.y, "ad").await;
    assert_eq!((yc.state, yc.district), (ClueState::New, None));

    // Grouping again adds nothing; a later sweep's finding joins the open clue.
    let again = group_sweep(store, sweep, &limits, today, &sys)
        .await
        .unwrap();
    assert_eq!(again, GroupReport::default());
    let later = w.sweep(&[(&w.a, &[Category::AdAbsoluteTerm])]).await;
    let joined = group_sweep(store, later, &limits, today, &sys)
        .await
        .unwrap();
    assert_eq!(
        (joined.created.len(), joined.joined.clone()),
        (0, vec![ad.id])
    );

    // Dispatch by hand: a current district only; again only with a reason.
    let city = Scope::City;
    for bad in ["450100", "450122", "110101"] {
        assert!(matches!(
            dispatch(
                store,
                city.clone(),
                yc.id,
                code(bad),
                None,
                &limits,
                today,
                &cli
            )
            .await,
            Err(CaseworkError::UnknownDistrict(_))
        ));
    }
    dispatch(
        store,
        city.clone(),
        yc.id,
        code("450105"),
        None,
        &limits,
        today,
        &cli,
    )
    .await
    .unwrap();
    assert!(matches!(
        dispatch(
            store,
            city.clone(),
            yc.id,
            code("450107"),
            Some("  "),
            &limits,
            today,
            &cli
        )
        .await,
        Err(CaseworkError::ReasonRequired(_))
    ));
    dispatch(
        store,
        city.clone(),
        yc.id,
        code("450107"),
        Some("属西乡塘区"),
        &limits,
        today,
        &cli,
    )
    .await
    .unwrap();
    // Out of scope: answered like a missing clue.
    let jiangnan = Scope::district(code("450105"));
    assert!(matches!(
        feedback(
            store,
            jiangnan,
            yc.id,
            Feedback::Verified { note: None },
            &cli
        )
        .await,
        Err(CaseworkError::NoClue(_))
    ));

    // Answers.
    let qingxiu = Scope::district(code("450103"));
    feedback(
        store,
        qingxiu.clone(),
        ad.id,
        Feedback::Verified { note: None },
        &cli,
    )
    .await
    .unwrap();
    assert!(matches!(
        feedback(
            store,
            qingxiu.clone(),
            ad.id,
            Feedback::Verified { note: None },
            &cli
        )
        .await,
        Err(CaseworkError::ClueState {
            state: ClueState::Verified,
            ..
        })
    ));
    feedback(
        store,
        qingxiu.clone(),
        license.id,
        Feedback::NotVerified {
            reason: NotVerifiedReason::FirstMinorCorrected,
            note: Some("当日改正".into()),
        },
        &cli,
    )
    .await
    .unwrap();
    assert!(matches!(
        feedback(
            store,
            city.clone(),
            xc.id,
            Feedback::Transferred {
                to: " ".into(),
                note: None
            },
            &cli
        )
        .await,
        Err(CaseworkError::Missing(Field::TransferredTo))
    ));
    assert_eq!(
        feedback(
            store,
            city.clone(),
            xc.id,
            Feedback::Transferred {
                to: "南宁市公安局".into(),
                note: None
            },
            &cli
        )
        .await
        .unwrap(),
        ClueState::Transferred
    );
    assert!(
        store
            .clue(Scope::City, xc.id)
            .await
            .unwrap()
            .unwrap()
            .escalated
    );
    assert_eq!(
        extend_verification(store, city.clone(), yc.id, &limits, today, &cli)
            .await
            .unwrap(),
        day("2024-04-12")
    );
    assert!(matches!(
        extend_verification(store, city.clone(), yc.id, &limits, today, &cli).await,
        Err(CaseworkError::AlreadyExtended(_))
    ));

    // A case: from the verified clue; officers of the district.
    w.user("li", Role::Inspector, &["450103"]).await;
    w.user("wang", Role::Inspector, &["450103"]).await;
    w.user("zhao", Role::Inspector, &["450102"]).await;
    w.user("sun", Role::Auditor, &[]).await;
    let open = |clues: Vec<ClueId>, officers: &[&str]| {
        let officers: Vec<String> = officers.iter().map(|s| s.to_string()).collect();
        let qingxiu = qingxiu.clone();
        let limits = limits.clone();
        let cli = cli.clone();
        async move {
            open_case(
                store, qingxiu, &clues, &officers, None, &limits, today, &cli,
            )
            .await
        }
    };
    assert!(matches!(
        open(vec![], &["li"]).await,
        Err(CaseworkError::NoClues)
    ));
    assert!(matches!(
        open(vec![ad.id, license.id], &["li"]).await,
        Err(CaseworkError::ClueState {
            state: ClueState::NotVerified,
            ..
        })
    ));
    for who in ["zhao", "sun"] {
        assert!(matches!(
            open(vec![ad.id], &[who]).await,
            Err(CaseworkError::NotAnOfficer(..))
        ));
    }
    assert!(matches!(
        open(vec![ad.id], &["nobody"]).await,
        Err(CaseworkError::NoUser(_))
    ));
    assert_eq!(
        store
            .count_cases(Scope::City, &CaseFilter::default())
            .await
            .unwrap(),
        0
    );
    let case = open(vec![ad.id], &["li"]).await.unwrap();
    let c = store.case(Scope::City, case).await.unwrap().unwrap();
    assert_eq!(c.number, "南市监网案〔2024〕1号");
    assert_eq!(
        (c.stage, c.decide_by),
        (CaseStage::Registered, day("2024-05-30"))
    );
    assert_eq!(c.summary, ad.summary);

    // Stages: one at a time, on the stage seen.
    let penalty = |fine_fen| OutcomeInput::Penalty {
        decision_no: "南市监处罚〔2024〕1号".into(),
        fine_fen,
        confiscation: None,
    };
    assert!(matches!(
        add_outcome(store, qingxiu.clone(), case, penalty(100), today, &cli).await,
        Err(CaseworkError::NoOutcomeAtStage {
            stage: CaseStage::Registered,
            ..
        })
    ));
    assert_eq!(
        advance(store, qingxiu.clone(), case, CaseStage::Registered, &cli)
            .await
            .unwrap(),
        CaseStage::Investigating
    );
    assert!(matches!(
        advance(store, qingxiu.clone(), case, CaseStage::Registered, &cli).await,
        Err(CaseworkError::StageChanged {
            now: CaseStage::Investigating,
            ..
        })
    ));
    assert!(matches!(
        advance(store, qingxiu.clone(), case, CaseStage::Investigating, &cli).await,
        Err(CaseworkError::TooFewOfficers { have: 1, .. })
    ));
    add_officer(store, qingxiu.clone(), case, "wang", &cli)
        .await
        .unwrap();
    assert!(matches!(
        advance(store, qingxiu.clone(), case, CaseStage::Investigating, &cli).await,
        Err(CaseworkError::NoOutcomeYet(_))
    ));

    // Outcomes, each checked.
    assert!(matches!(
        add_outcome(store, qingxiu.clone(), case, penalty(-1), today, &cli).await,
        Err(CaseworkError::Fen(FenError::Negative))
    ));
    let rect = |due: &str, url: &str| OutcomeInput::Rectification {
        due_on: day(due),
        urls: vec![url.into()],
    };
    assert!(matches!(
        add_outcome(
            store,
            qingxiu.clone(),
            case,
            rect("2024-02-29", "http://a.cw.test/"),
            today,
            &cli
        )
        .await,
        Err(CaseworkError::DeadlineInPast(_))
    ));
    assert!(matches!(
        add_outcome(
            store,
            qingxiu.clone(),
            case,
            rect("2024-03-11", "http://x.cw.test/"),
            today,
            &cli
        )
        .await,
        Err(CaseworkError::ForeignUrl { .. })
    ));
    assert!(matches!(
        add_outcome(
            store,
            qingxiu.clone(),
            case,
            OutcomeInput::Warning { reason: "".into() },
            today,
            &cli
        )
        .await,
        Err(CaseworkError::Missing(Field::Reason))
    ));
    assert!(store
        .case_outcomes(Scope::City, case)
        .await
        .unwrap()
        .is_empty());
    let p = add_outcome(
        store,
        qingxiu.clone(),
        case,
        penalty(parse_fen("5738.00").unwrap()),
        today,
        &cli,
    )
    .await
    .unwrap();
    let r = add_outcome(
        store,
        qingxiu.clone(),
        case,
        rect("2024-03-11", "http://www.a.cw.test"),
        today,
        &cli,
    )
    .await
    .unwrap();
    let listing = add_outcome(
        store,
        qingxiu.clone(),
        case,
        OutcomeInput::AbnormalListing {
            cause: ListingCause::NotContactable,
        },
        today,
        &cli,
    )
    .await
    .unwrap();
    // Listed once: a second abnormal listing while the first is open is refused.
    assert!(matches!(
        add_outcome(
            store,
            qingxiu.clone(),
            case,
            OutcomeInput::AbnormalListing {
                cause: ListingCause::NoAnnualReport,
            },
            today,
            &cli,
        )
        .await,
        Err(CaseworkError::AlreadyListed(_))
    ));
    for input in [
        OutcomeInput::Referral {
            to: "南宁市通信管理局".into(),
            reason: "未备案".into(),
        },
        OutcomeInput::Warning {
            reason: "提醒告诫".into(),
        },
        OutcomeInput::Dismissal {
            reason: "部分事实不成立".into(),
        },
    ] {
        add_outcome(store, qingxiu.clone(), case, input, today, &cli)
            .await
            .unwrap();
    }
    remove_listing(store, qingxiu.clone(), listing, "已恢复联系", &cli)
        .await
        .unwrap();
    assert!(matches!(
        remove_listing(store, qingxiu.clone(), listing, "again", &cli).await,
        Err(CaseworkError::WrongOutcome { .. })
    ));
    let outcomes = store.case_outcomes(Scope::City, case).await.unwrap();
    match &outcomes.iter().find(|o| o.id == p).unwrap().detail {
        OutcomeDetail::Penalty {
            legal_basis,
            fine_fen,
            ..
        } => {
            assert_eq!(*fine_fen, 573_800);
            assert_eq!(legal_basis, Category::AdAbsoluteTerm.legal_basis());
        }
        other => panic!("{other:?}"),
    }
    match &outcomes.iter().find(|o| o.id == r).unwrap().detail {
        OutcomeDetail::Rectification { urls, .. } => assert_eq!(urls, &["http://www.a.cw.test/"]),
        other => panic!("{other:?}"),
    }

    advance(store, qingxiu.clone(), case, CaseStage::Investigating, &cli)
        .await
        .unwrap();
    assert!(matches!(
        advance(store, qingxiu.clone(), case, CaseStage::Decided, &cli).await,
        Err(CaseworkError::RectificationPending(o)) if o == r
    ));

    // The re-check: due from its day; a sweep must fetch the URL; the page still shows the
    // violation: not compliant, and the case is investigated again.
    assert!(due_rechecks(store, day("2024-03-10"))
        .await
        .unwrap()
        .is_empty());
    let due = due_rechecks(store, day("2024-03-11")).await.unwrap();
    assert_eq!(
        due,
        [DueRecheck {
            outcome: r,
            case,
            site: w.a.id,
            urls: vec!["http://www.a.cw.test/".into()]
        }]
    );
    let elsewhere = w.sweep(&[(&w.y, &[])]).await;
    assert!(matches!(
        record_recheck(store, r, elsewhere, &sys).await,
        Err(CaseworkError::NotRechecked { .. })
    ));
    let recheck = store.create_sweep(&[w.a.id]).await.unwrap();
    let f = w.fetch(recheck, &w.a, "http://www.a.cw.test/");
    let again_found = w.finding(&f, Category::AdAbsoluteTerm, "still");
    let other_category = w.finding(&f, Category::IcpNotDisplayed, "other");
    store
        .record_fetch(&f, &[again_found, other_category])
        .await
        .unwrap();
    store.finish_sweep(recheck).await.unwrap();
    match record_recheck(store, r, recheck, &sys).await.unwrap() {
        Compliance::NotCompliant { findings } => assert_eq!(findings.len(), 1),
        other => panic!("{other:?}"),
    }
    let c = store.case(Scope::City, case).await.unwrap().unwrap();
    assert_eq!((c.stage, c.reopened), (CaseStage::Investigating, 1));
    assert!(due_rechecks(store, day("2024-12-31"))
        .await
        .unwrap()
        .is_empty());

    // A new order, complied with.
    let r2 = add_outcome(
        store,
        qingxiu.clone(),
        case,
        rect("2024-03-20", "http://a.cw.test/"),
        today,
        &cli,
    )
    .await
    .unwrap();
    let fixed = store.create_sweep(&[w.a.id]).await.unwrap();
    store
        .record_fetch(&w.fetch(fixed, &w.a, "http://a.cw.test/"), &[])
        .await
        .unwrap();
    assert_eq!(
        record_recheck(store, r2, fixed, &sys).await.unwrap(),
        Compliance::Compliant
    );
    for seen in [CaseStage::Investigating, CaseStage::Decided] {
        advance(store, qingxiu.clone(), case, seen, &cli)
            .await
            .unwrap();
    }
    assert!(matches!(
        advance(store, qingxiu.clone(), case, CaseStage::Closed, &cli).await,
        Err(CaseworkError::Transition(
            domain::TransitionError::AlreadyClosed
        ))
    ));
    assert!(matches!(
        reopen(store, qingxiu.clone(), case, " ", &cli).await,
        Err(CaseworkError::Missing(_))
    ));
    assert_eq!(
        reopen(store, qingxiu.clone(), case, "新证据", &cli)
            .await
            .unwrap(),
        CaseStage::Investigating
    );
    assert!(matches!(
        reopen(store, qingxiu.clone(), case, "again", &cli).await,
        Err(CaseworkError::Transition(
            domain::TransitionError::NotReopenable(_)
        ))
    ));
    let audit: Vec<String> = store
        .audit_of(&format!("case:{case}"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(audit.iter().filter(|a| *a == "reopen").count(), 2);
    assert_eq!(audit.iter().filter(|a| *a == "recheck").count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_procedure_on_sqlite() {
    the_whole_procedure(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_procedure_on_postgres() {
    the_whole_procedure(Backend::Postgres).await;
}

/// A suppressed finding (#17: a quotation, a trademark, a government page's report) makes no
/// clue, beside a live one of the same site that does.
async fn a_suppressed_finding_makes_no_clue(backend: Backend) {
    let w = World::new(backend).await;
    let store = w.store.as_ref();
    let sys = Actor::system("system:casework");
    let sweep = w.store.create_sweep(&[w.a.id, w.x.id]).await.unwrap();
    let fa = w.fetch(sweep, &w.a, "http://a.test/");
    let held = |f: NewFinding| NewFinding {
        suppressed: Some(domain::Suppression::new(
            domain::SuppressionReason::Quotation,
            "“全国第一”",
        )),
        ..f
    };
    // a: the ad finding is suppressed, the license one is live; x: only a suppressed one.
    store
        .record_fetch(
            &fa,
            &[
                held(w.finding(&fa, Category::AdAbsoluteTerm, "a-ad")),
                w.finding(&fa, Category::LicenseNotDisplayed, "a-license"),
            ],
        )
        .await
        .unwrap();
    let fx = w.fetch(sweep, &w.x, &format!("http://{}/", w.x.host));
    store
        .record_fetch(
            &fx,
            &[held(w.finding(&fx, Category::AdAbsoluteTerm, "x-ad"))],
        )
        .await
        .unwrap();
    store.finish_sweep(sweep).await.unwrap();
    let report = group_sweep(store, sweep, &Limits::default(), day("2024-03-01"), &sys)
        .await
        .unwrap();
    assert_eq!(report.created.len(), 1, "{report:?}");
    assert_eq!(report.findings, 1);
    let clues = store
        .list_clues(Scope::City, &ClueFilter::default())
        .await
        .unwrap();
    assert_eq!(clues.len(), 1);
    assert_eq!(clues[0].site_id, w.a.id);
    assert!(clues[0]
        .group_key
        .as_deref()
        .is_some_and(|k| k.contains(":license:")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suppressed_finding_makes_no_clue_on_sqlite() {
    a_suppressed_finding_makes_no_clue(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suppressed_finding_makes_no_clue_on_postgres() {
    a_suppressed_finding_makes_no_clue(Backend::Postgres).await;
}
