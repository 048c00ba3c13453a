//! Casework rows: clues grouped from findings and worked through their states, cases opened
//! from clues, stage changes as compare-and-set, outcomes of every kind, re-checks and
//! listings; every change audited.

use crate::{at, district, entity, TestStore, T0};
use ::store::*;
use chrono::NaiveDate;
use domain::{
    CaseStage, Category, ClueSource, ClueState, FindingId, ListingCause, NotVerifiedReason,
    Severity, SiteId, SiteKind, SweepId,
};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn finding(sweep: SweepId, site: SiteId, url: &str, category: Category, n: i64) -> NewFinding {
    NewFinding {
        sweep_id: sweep,
        site_id: site,
        fetch_id: None,
        url: url.into(),
        category,
        rule_id: format!("{}.1", category.code()),
        rule_pack: "core@1".into(),
        severity: category.severity(),
        excerpt: format!("excerpt {n}"),
        location: "text".into(),
        evidence: Some(EvidencePointer {
            warc_file: "cw.warc.gz".into(),
            offset: n * 100,
            digest: format!("sha256:{n:064}"),
        }),
        found_at: at(T0 + 100),
        suppressed: None,
    }
}

/// Two entities (青秀区 a.cw.test, 兴宁区 b.cw.test); returns their sites.
async fn register(store: &dyn Store) -> (Site, Site) {
    store
        .upsert_entities(
            &[
                entity(
                    "MA6KCW01",
                    "南宁市甲商行",
                    SiteKind::TradingSite,
                    "450103",
                    &["a.cw.test"],
                ),
                entity(
                    "MA6KCW02",
                    "南宁市乙商行",
                    SiteKind::TradingSite,
                    "450102",
                    &["b.cw.test"],
                ),
            ],
            "test",
        )
        .await
        .unwrap();
    let sites = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap();
    let of = |h: &str| sites.iter().find(|s| s.host == h).unwrap().clone();
    (of("a.cw.test"), of("b.cw.test"))
}

/// A sweep over `site` with findings of the given categories; returns the sweep and the
/// findings' ids.
async fn sweep_with(
    store: &dyn Store,
    site: &Site,
    cats: &[Category],
    first: i64,
) -> (SweepId, Vec<FindingId>) {
    let sweep = store.create_sweep(&[site.id]).await.unwrap();
    let url = format!("http://{}/", site.host);
    let fs: Vec<NewFinding> = cats
        .iter()
        .enumerate()
        .map(|(i, c)| finding(sweep, site.id, &url, *c, first + i as i64))
        .collect();
    store.record_findings(&fs).await.unwrap();
    store.finish_sweep(sweep).await.unwrap();
    let ids = store
        .sweep_findings(Scope::City, sweep)
        .await
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect();
    (sweep, ids)
}

fn group(site: &Site, findings: &[FindingId], dispatch: Option<&str>) -> GroupedClue {
    GroupedClue {
        site_id: site.id,
        group_base: format!("{}:ad:2024-02-20", site.id),
        findings: findings.to_vec(),
        severity: Severity::Medium,
        summary: "广告使用绝对化用语".into(),
        verify_by: day("2024-03-22"),
        dispatch: dispatch.map(|d| ClueDispatch {
            district: district(d),
            due_on: day("2024-03-15"),
            verify_by: day("2024-03-22"),
            reason: None,
        }),
    }
}

async fn clues_group_dispatch_and_close(store: TestStore) {
    let store = store.as_ref();
    let (a, b) = register(store).await;
    let sys = Actor::system("system:casework");
    let (_, first) = sweep_with(
        store,
        &a,
        &[Category::AdAbsoluteTerm, Category::AdAbsoluteTerm],
        1,
    )
    .await;
    let made = store
        .group_clue(&group(&a, &first, Some("450103")), &sys)
        .await
        .unwrap()
        .unwrap();
    assert!(made.created && made.dispatched);
    assert_eq!(made.added, 2);
    let clue = store.clue(Scope::City, made.clue).await.unwrap().unwrap();
    assert_eq!(clue.state, ClueState::Dispatched);
    assert_eq!(clue.source, ClueSource::Monitoring);
    assert_eq!(
        clue.group_key.as_deref(),
        Some(&*format!("{}:ad:2024-02-20", a.id))
    );
    assert_eq!(clue.district, Some(district("450103")));
    assert_eq!(
        (clue.due_on, clue.verify_by),
        (Some(day("2024-03-15")), Some(day("2024-03-22")))
    );
    assert!(!clue.overdue, "the store's today is 2024-03-01");

    // The same findings again feed nothing; a later sweep's (one critical) join the clue.
    assert_eq!(
        store
            .group_clue(&group(&a, &first, Some("450103")), &sys)
            .await
            .unwrap(),
        None
    );
    let (_, later) = sweep_with(store, &a, &[Category::AdAbsoluteTerm], 10).await;
    let joined = store
        .group_clue(
            &GroupedClue {
                severity: Severity::Critical,
                ..group(&a, &later, Some("450103"))
            },
            &sys,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (joined.clue, joined.created, joined.added),
        (made.clue, false, 1)
    );
    let clue = store.clue(Scope::City, made.clue).await.unwrap().unwrap();
    assert_eq!(clue.findings.len(), 3);
    assert_eq!(clue.severity, Severity::Critical);

    // A finding of an open clue cannot be put into a manual clue.
    assert!(matches!(
        store
            .create_clue(
                &NewClue {
                    site_id: a.id,
                    findings: vec![first[0]],
                    summary: "x".into(),
                },
                &sys
            )
            .await,
        Err(StoreError::Conflict(_))
    ));

    // Dispatch is compare-and-set on the state read.
    let again = ClueDispatch {
        district: district("450102"),
        due_on: day("2024-03-20"),
        verify_by: day("2024-04-30"),
        reason: Some("属兴宁区管辖".into()),
    };
    assert!(matches!(
        store
            .dispatch_clue(made.clue, ClueState::New, &again, &sys)
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .dispatch_clue(made.clue, ClueState::Dispatched, &again, &sys)
        .await
        .unwrap();
    let clue = store.clue(Scope::City, made.clue).await.unwrap().unwrap();
    assert_eq!(clue.district, Some(district("450102")));
    assert_eq!(clue.entity_district, Some(district("450103")));
    assert_eq!(clue.verify_by, Some(day("2024-03-22")), "the limit is kept");
    // The clue is now 兴宁区's, not 青秀区's.
    let xingning = Scope::district(district("450102"));
    let qingxiu = Scope::district(district("450103"));
    assert!(store
        .clue(xingning.clone(), made.clue)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .clue(qingxiu.clone(), made.clue)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .count_clues(qingxiu, &ClueFilter::default())
            .await
            .unwrap(),
        0
    );

    // Extension once; then the district answers: not verified, closed.
    store
        .extend_clue(made.clue, day("2024-04-12"), &sys)
        .await
        .unwrap();
    assert!(matches!(
        store.extend_clue(made.clue, day("2024-05-12"), &sys).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .close_clue(
            made.clue,
            ClueState::Dispatched,
            &ClueClosing::NotVerified {
                reason: NotVerifiedReason::FirstMinorCorrected,
                note: Some("已自行改正".into()),
            },
            &sys,
        )
        .await
        .unwrap();
    let clue = store.clue(Scope::City, made.clue).await.unwrap().unwrap();
    assert_eq!(clue.state, ClueState::NotVerified);
    assert_eq!(clue.close_reason.as_deref(), Some("first_minor_corrected"));
    assert!(clue.closed_at.is_some() && clue.extended);

    // The group's clue is closed: the next findings start `#2`.
    let (_, third) = sweep_with(store, &a, &[Category::AdAbsoluteTerm], 20).await;
    let next = store
        .group_clue(&group(&a, &third, None), &sys)
        .await
        .unwrap()
        .unwrap();
    assert!(next.created && !next.dispatched);
    let c2 = store.clue(Scope::City, next.clue).await.unwrap().unwrap();
    assert_eq!(c2.group_key, Some(format!("{}:ad:2024-02-20#2", a.id)));
    assert_eq!(c2.state, ClueState::New);
    // Undispatched, it is its entity's district's.
    assert_eq!(c2.district, Some(district("450103")));

    // Filters: state, severity, overdue (nothing is overdue on 2024-03-01; a clue due
    // yesterday is).
    let f = |state, overdue| ClueFilter {
        state,
        overdue,
        ..ClueFilter::default()
    };
    assert_eq!(
        store
            .count_clues(Scope::City, &f(Some(ClueState::New), None))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count_clues(Scope::City, &f(None, Some(true)))
            .await
            .unwrap(),
        0
    );
    let (_, late) = sweep_with(store, &b, &[Category::LicenseNotDisplayed], 30).await;
    let overdue = store
        .group_clue(
            &GroupedClue {
                group_base: format!("{}:license:2024-02-20", b.id),
                verify_by: day("2024-02-29"),
                ..group(&b, &late, None)
            },
            &sys,
        )
        .await
        .unwrap()
        .unwrap();
    let listed = store
        .list_clues(Scope::City, &f(None, Some(true)))
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id).collect::<Vec<_>>(),
        [overdue.clue]
    );
    assert!(listed[0].overdue);
    assert_eq!(
        store
            .count_clues(Scope::City, &f(None, Some(false)))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .count_clues(
                Scope::City,
                &ClueFilter {
                    severity: Some(Severity::Critical),
                    ..ClueFilter::default()
                }
            )
            .await
            .unwrap(),
        1
    );

    let actions: Vec<String> = store
        .audit_of(&format!("clue:{}", made.clue))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        [
            "create",
            "dispatch",
            "add_findings",
            "dispatch",
            "extend",
            "feedback"
        ]
    );
}

async fn verified_clue(store: &dyn Store, site: &Site, n: i64, sys: &Actor) -> ::domain::ClueId {
    let (_, fs) = sweep_with(store, site, &[Category::AdAbsoluteTerm], n).await;
    let g = GroupedClue {
        group_base: format!("{}:ad:{n}", site.id),
        ..group(site, &fs, Some("450103"))
    };
    let id = store.group_clue(&g, sys).await.unwrap().unwrap().clue;
    store
        .close_clue(
            id,
            ClueState::Dispatched,
            &ClueClosing::Verified { note: None },
            sys,
        )
        .await
        .unwrap();
    id
}

async fn cases_move_by_compare_and_set(store: TestStore) {
    let store = store.as_ref();
    let (a, _) = register(store).await;
    let sys = Actor::system("cli:test");
    let one = verified_clue(store, &a, 1, &sys).await;
    let two = verified_clue(store, &a, 2, &sys).await;
    let officer = store
        .create_user(
            &NewUser {
                username: "zhang".into(),
                display_name: "张".into(),
                role: domain::Role::Inspector,
                districts: vec![district("450103")],
                entities: vec![],
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            },
            &sys,
        )
        .await
        .unwrap();
    let new = |clues: Vec<(domain::ClueId, ClueState)>| NewCase {
        site_id: a.id,
        entity_id: a.entity_id,
        district: district("450103"),
        summary: "绝对化用语".into(),
        clues,
        officers: vec![officer.id],
        number_prefix: "南市监网案〔2024〕".into(),
        decide_by: day("2024-05-30"),
    };
    // A clue read in another state: nothing is written.
    assert!(matches!(
        store
            .open_case(&new(vec![(one, ClueState::Dispatched)]), &sys)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .count_cases(Scope::City, &CaseFilter::default())
            .await
            .unwrap(),
        0
    );
    let id = store
        .open_case(&new(vec![(one, ClueState::Verified)]), &sys)
        .await
        .unwrap();
    let second = store
        .open_case(&new(vec![(two, ClueState::Verified)]), &sys)
        .await
        .unwrap();
    let case = store.case(Scope::City, id).await.unwrap().unwrap();
    assert_eq!(case.number, "南市监网案〔2024〕1号");
    assert_eq!(
        store
            .case(Scope::City, second)
            .await
            .unwrap()
            .unwrap()
            .number,
        "南市监网案〔2024〕2号"
    );
    assert_eq!(
        (case.stage, case.clues.clone(), case.officers.clone()),
        (CaseStage::Registered, vec![one], vec![officer.id])
    );
    assert_eq!(case.opened_by, "cli:test");
    assert_eq!(case.entity_name.as_deref(), Some("南宁市甲商行"));
    let clue = store.clue(Scope::City, one).await.unwrap().unwrap();
    assert_eq!(
        (clue.state, clue.case_id),
        (ClueState::CaseOpened, Some(id))
    );

    // Scope by the case's district.
    assert!(store
        .case(Scope::district(district("450102")), id)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .case(Scope::district(district("450103")), id)
        .await
        .unwrap()
        .is_some());

    // Stage changes: compare-and-set.
    store
        .set_case_stage(
            id,
            CaseStage::Registered,
            CaseStage::Investigating,
            None,
            &sys,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_case_stage(
                id,
                CaseStage::Registered,
                CaseStage::Investigating,
                None,
                &sys
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    store.add_officer(id, officer.id, &sys).await.unwrap();

    // Every kind of outcome round-trips.
    let details = [
        OutcomeDetail::Penalty {
            decision_no: "南市监处罚〔2024〕1号".into(),
            legal_basis: "Advertising Law Art. 9(3), 57".into(),
            fine_fen: 57_380_000,
            confiscation: Some("违法所得".into()),
        },
        OutcomeDetail::Rectification {
            due_on: day("2024-03-10"),
            urls: vec!["http://a.cw.test/".into()],
            recheck_sweep: None,
            rechecked_at: None,
            compliant: None,
        },
        OutcomeDetail::Referral {
            to: "南宁市通信管理局".into(),
            reason: "未备案".into(),
        },
        OutcomeDetail::Warning {
            reason: "提醒告诫".into(),
        },
        OutcomeDetail::AbnormalListing {
            cause: ListingCause::NotContactable,
            removed_at: None,
            removed_reason: None,
        },
        OutcomeDetail::Dismissal {
            reason: "违法事实不成立".into(),
        },
    ];
    let mut ids = Vec::new();
    for d in &details {
        ids.push(
            store
                .add_outcome(id, CaseStage::Investigating, d, &sys)
                .await
                .unwrap(),
        );
    }
    assert!(matches!(
        store
            .add_outcome(id, CaseStage::Decided, &details[3], &sys)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let stored = store.case_outcomes(Scope::City, id).await.unwrap();
    assert_eq!(
        stored.iter().map(|o| o.detail.clone()).collect::<Vec<_>>(),
        details
    );
    assert!(store
        .case_outcomes(Scope::district(district("450102")), id)
        .await
        .unwrap()
        .is_empty());

    // The rectification is due from its day on.
    assert!(store
        .due_rectifications(Scope::City, day("2024-03-09"))
        .await
        .unwrap()
        .is_empty());
    let due = store
        .due_rectifications(Scope::City, day("2024-03-10"))
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].outcome, due[0].case_id, due[0].site_id),
        (ids[1], id, a.id)
    );

    // Decided, then a failed re-check sends it back to investigation.
    store
        .set_case_stage(id, CaseStage::Investigating, CaseStage::Decided, None, &sys)
        .await
        .unwrap();
    let recheck = store.create_sweep(&[a.id]).await.unwrap();
    let r = Recheck {
        outcome: ids[1],
        sweep: recheck,
        compliant: false,
        reopen_from: Some(CaseStage::Decided),
    };
    store.record_recheck(&r, &sys).await.unwrap();
    assert!(matches!(
        store.record_recheck(&r, &sys).await,
        Err(StoreError::Conflict(_))
    ));
    let case = store.case(Scope::City, id).await.unwrap().unwrap();
    assert_eq!((case.stage, case.reopened), (CaseStage::Investigating, 1));
    assert!(case.decided_at.is_some());
    match &store
        .outcome(Scope::City, ids[1])
        .await
        .unwrap()
        .unwrap()
        .detail
    {
        OutcomeDetail::Rectification {
            recheck_sweep,
            compliant,
            rechecked_at,
            ..
        } => {
            assert_eq!((*recheck_sweep, *compliant), (Some(recheck), Some(false)));
            assert!(rechecked_at.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(store
        .due_rectifications(Scope::City, day("2024-12-31"))
        .await
        .unwrap()
        .is_empty());

    // A listing is removed once.
    store
        .remove_listing(ids[4], "已恢复联系", &sys)
        .await
        .unwrap();
    assert!(matches!(
        store.remove_listing(ids[4], "again", &sys).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.remove_listing(ids[3], "not a listing", &sys).await,
        Err(StoreError::NotFound(_))
    ));

    // Extension, then closing and reopening.
    store
        .extend_case(id, CaseStage::Investigating, 30, day("2024-06-29"), &sys)
        .await
        .unwrap();
    for (from, to) in [
        (CaseStage::Investigating, CaseStage::Decided),
        (CaseStage::Decided, CaseStage::Closed),
        (CaseStage::Closed, CaseStage::Investigating),
    ] {
        store
            .set_case_stage(id, from, to, Some("复查"), &sys)
            .await
            .unwrap();
    }
    let case = store.case(Scope::City, id).await.unwrap().unwrap();
    assert_eq!(
        (case.stage, case.reopened, case.extended_days),
        (CaseStage::Investigating, 2, 30)
    );
    assert_eq!(case.decide_by, day("2024-06-29"));
    assert!(case.closed_at.is_none());
    let filter = CaseFilter {
        stage: Some(CaseStage::Registered),
        ..CaseFilter::default()
    };
    assert_eq!(
        store
            .list_cases(Scope::City, &filter)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        [second]
    );
    let actions: Vec<String> = store
        .audit_of(&format!("case:{id}"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        [
            "open",
            "stage",
            "outcome",
            "outcome",
            "outcome",
            "outcome",
            "outcome",
            "outcome",
            "stage",
            "recheck",
            "reopen",
            "remove_listing",
            "extend",
            "stage",
            "stage",
            "reopen"
        ]
    );
}

crate::on_every_backend!(
    clues_group_dispatch_and_close,
    cases_move_by_compare_and_set
);
