//! Campaigns (create, list, close, audited; their sites), the campaign figures against counts
//! this test makes itself, the scheduler's runs, and re-check findings.

use crate::records::{fetch, register, site_of};
use crate::{at, on_every_backend, TestStore, T0};
use ::store::*;
use chrono::{NaiveDate, TimeZone, Utc};
use domain::{CampaignId, Category, DistrictCode, Role, SiteKind, Triage};
use std::collections::BTreeMap;

on_every_backend!(
    campaigns_are_created_listed_and_closed,
    figures_count_what_the_campaign_touched,
    a_due_run_is_begun_once,
    a_recheck_links_the_findings_its_pages_show,
);

fn d(code: &str) -> DistrictCode {
    DistrictCode::parse(code).unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn march() -> NewCampaign {
    NewCampaign {
        name: "网络订餐专项整治".into(),
        starts_on: day("2024-03-01"),
        ends_on: day("2024-03-31"),
        targets: CampaignTargets {
            kinds: vec![SiteKind::Platform, SiteKind::TradingSite],
            districts: vec![d("450103"), d("450102")],
            ..CampaignTargets::default()
        },
        packs: vec!["core".into()],
        schedule: "0 3 * * *".into(),
    }
}

/// March 2024 in UTC+8.
fn period() -> Period {
    Period {
        from: Utc.with_ymd_and_hms(2024, 2, 29, 16, 0, 0).unwrap(),
        until: Utc.with_ymd_and_hms(2024, 3, 31, 16, 0, 0).unwrap(),
    }
}

async fn campaigns_are_created_listed_and_closed(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let w = site_of(store, "waimai.test", "/").await;
    // The selection the targets stand for: platforms and trading sites of two districts.
    let selected = store
        .select_sites(
            Scope::City,
            &SiteSelection {
                kinds: vec![SiteKind::Platform, SiteKind::TradingSite],
                districts: vec![d("450103"), d("450102")],
                ..SiteSelection::default()
            },
        )
        .await
        .unwrap();
    let mut want = vec![a.id, w.id];
    want.sort();
    assert_eq!(selected, want);
    // Scoped: another district sees none of 450103's.
    let only_xingning = store
        .select_sites(
            Scope::district(d("450102")),
            &SiteSelection {
                districts: vec![d("450103"), d("450102")],
                ..SiteSelection::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(only_xingning, vec![w.id]);
    assert!(store
        .select_sites(
            Scope::City,
            &SiteSelection {
                only: Some(vec![]),
                ..SiteSelection::default()
            },
        )
        .await
        .unwrap()
        .is_empty());

    let by = Actor::system("cli:test");
    let c = store
        .create_campaign(&march(), &selected, &by)
        .await
        .unwrap();
    assert_eq!(c.name, "网络订餐专项整治");
    assert_eq!(c.state, CampaignState::Active);
    assert_eq!(c.sites, 2);
    assert_eq!(c.targets, march().targets);
    assert_eq!(c.packs, vec!["core".to_string()]);
    assert_eq!(c.created_by, "cli:test");
    assert_eq!(store.campaign_sites(c.id).await.unwrap(), want);
    assert_eq!(store.list_campaigns().await.unwrap(), vec![c.clone()]);
    assert_eq!(store.campaign(CampaignId(c.id.0 + 1)).await.unwrap(), None);

    let closed = store.close_campaign(c.id, &by).await.unwrap();
    assert_eq!(closed.state, CampaignState::Closed);
    assert!(closed.closed_at.is_some());
    assert!(matches!(
        store.close_campaign(c.id, &by).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.close_campaign(CampaignId(9999), &by).await,
        Err(StoreError::NotFound(_))
    ));
    let audit = store.audit_of(&format!("campaign:{}", c.id)).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["create", "close"]);

    // A campaign's sweep names it; a resumed sweep knows whose it was.
    let sweep = store.create_campaign_sweep(&want, c.id).await.unwrap();
    let unfinished = store.unfinished_sweep().await.unwrap().unwrap();
    assert_eq!(unfinished.id, sweep);
    assert_eq!(unfinished.campaign, Some(c.id));
    assert_eq!(unfinished.kind, SweepKind::Sweep);
}

fn finding(sweep: domain::SweepId, site: domain::SiteId, excerpt: &str) -> NewFinding {
    NewFinding {
        evidence: None,
        found_at: at(T0 + 101),
        ..crate::records::finding(sweep, site, Category::ALL[0].code(), excerpt)
    }
}

async fn figures_count_what_the_campaign_touched(test: TestStore) {
    let store = test.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await; // 青秀 450103
    let w = site_of(store, "waimai.test", "/").await; // 兴宁 450102
    let b = site_of(store, "b.test", "/").await; // 450107, not in the campaign
    let by = Actor::system("cli:test");
    let officer = store
        .create_user(
            &NewUser {
                username: "wang".into(),
                display_name: "王".into(),
                role: Role::Supervisor,
                districts: vec![],
                entities: vec![],
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            },
            &by,
        )
        .await
        .unwrap();
    let c = store
        .create_campaign(&march(), &[a.id, w.id], &by)
        .await
        .unwrap();
    // The campaign's sweep fetched both of its sites; a city sweep fetched b.
    let sweep = store
        .create_campaign_sweep(&[a.id, w.id], c.id)
        .await
        .unwrap();
    let city = store.create_sweep(&[b.id]).await.unwrap();
    store
        .record_fetch(
            &fetch(sweep, a.id, "http://a.test/", Some(200)),
            &[finding(sweep, a.id, "甲")],
        )
        .await
        .unwrap();
    store
        .record_fetch(
            &fetch(sweep, w.id, "http://waimai.test/", Some(200)),
            &[finding(sweep, w.id, "外")],
        )
        .await
        .unwrap();
    store
        .record_fetch(
            &fetch(city, b.id, "http://b.test/", Some(200)),
            &[finding(city, b.id, "乙")],
        )
        .await
        .unwrap();
    // waimai's finding was a false positive: it is not a suspect site.
    let w_finding = store
        .list_findings(
            Scope::City,
            &FindingFilter {
                site_id: Some(w.id),
                limit: 10,
                ..FindingFilter::default()
            },
        )
        .await
        .unwrap()[0]
        .id;
    store
        .triage_finding(
            Scope::City,
            w_finding,
            &TriageDecision {
                decision: Triage::FalsePositive,
                reason: Some("误报".into()),
            },
            &by,
        )
        .await
        .unwrap();
    // Clues (made now, in March 2024 by the test clock): one of a, one of b.
    for site in [a.id, b.id] {
        let f = store
            .list_findings(
                Scope::City,
                &FindingFilter {
                    site_id: Some(site),
                    limit: 10,
                    ..FindingFilter::default()
                },
            )
            .await
            .unwrap()[0]
            .id;
        store
            .create_clue(
                &NewClue {
                    site_id: site,
                    findings: vec![f],
                    summary: "线索".into(),
                },
                &by,
            )
            .await
            .unwrap();
    }
    // Cases, outcomes and inspections as casework writes them.
    let u = officer.id.0;
    let (ea, ew, eb) = (
        a.entity_id.unwrap().0,
        w.entity_id.unwrap().0,
        b.entity_id.unwrap().0,
    );
    let t = |s: &str| format!("'{s}T10:00:00+00:00'");
    for (id, site, entity, district, opened) in [
        (1, a.id.0, ea, "450103", "2024-03-05"),
        (2, w.id.0, ew, "450102", "2024-04-10"),
        (3, b.id.0, eb, "450107", "2024-03-05"),
    ] {
        test.exec_raw(&format!(
            "INSERT INTO cases (id, number, site_id, entity_id, district, stage, summary, \
             opened_at, opened_by, decide_by) VALUES ({id}, '南市监网案〔2024〕{id}号', {site}, \
             {entity}, '{district}', 'investigating', '案件', {}, {u}, '2024-06-01')",
            t(opened)
        ))
        .await
        .unwrap();
    }
    for (id, case, kind, fine, created) in [
        (1, 1, "penalty", "573800", "2024-03-06"),
        (2, 1, "rectification", "NULL", "2024-03-06"),
        (3, 1, "warning", "NULL", "2024-03-07"),
        (4, 2, "referral", "NULL", "2024-03-20"),
        (5, 1, "abnormal_listing", "NULL", "2024-04-02"),
        (6, 3, "penalty", "100000", "2024-03-06"),
        (7, 1, "penalty", "5000", "2024-03-30"),
    ] {
        test.exec_raw(&format!(
            "INSERT INTO outcomes (id, case_id, kind, created_at, created_by, fine_fen, \
             decision_no, referred_to) VALUES ({id}, {case}, '{kind}', {}, {u}, {fine}, \
             'NO.{id}', '食品经营许可部门')",
            t(created)
        ))
        .await
        .unwrap();
    }
    for (id, entity, district, when) in [
        (1, ea, "450103", "2024-03-08"),
        (2, eb, "450107", "2024-03-08"),
        (3, ea, "450103", "2024-02-20"),
    ] {
        test.exec_raw(&format!(
            "INSERT INTO inspections (id, entity_id, district, inspected_at, place, result, \
             notes, created_at, created_by) VALUES ({id}, {entity}, '{district}', {}, '现场', \
             'violation', '', {}, {u})",
            t(when),
            t(when)
        ))
        .await
        .unwrap();
    }

    // What the test expects, by its own count of the rows above.
    let mut want: BTreeMap<(Figure, Option<DistrictCode>), i64> = BTreeMap::new();
    let qx = Some(d("450103"));
    let xn = Some(d("450102"));
    want.insert((Figure::SitesChecked, qx), 1);
    want.insert((Figure::SitesChecked, xn), 1);
    want.insert((Figure::SuspectSites, qx), 1);
    want.insert((Figure::Clues, qx), 1);
    want.insert((Figure::FieldChecks, qx), 1);
    want.insert((Figure::Cases, qx), 1);
    want.insert((Figure::Fines, qx), 573_800 + 5_000);
    want.insert((Figure::Rectifications, qx), 1);
    want.insert((Figure::Warnings, qx), 1);
    want.insert((Figure::Referrals, xn), 1);

    let got: BTreeMap<(Figure, Option<DistrictCode>), i64> = store
        .figures(
            Scope::City,
            &campaign_subject(c.id, period()),
            &Figure::CAMPAIGN,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|f| ((f.figure, f.district), f.value))
        .collect();
    assert_eq!(got, want);

    // In one district's scope: only its rows.
    let got: BTreeMap<(Figure, Option<DistrictCode>), i64> = store
        .figures(
            Scope::district(d("450102")),
            &campaign_subject(c.id, period()),
            &Figure::CAMPAIGN,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|f| ((f.figure, f.district), f.value))
        .collect();
    let xingning: BTreeMap<_, _> = want
        .iter()
        .filter(|((_, d), _)| *d == xn)
        .map(|(k, v)| (*k, *v))
        .collect();
    assert_eq!(got, xingning);

    // The records behind a figure are the same rows.
    let fines = store
        .figure_records(
            Scope::City,
            &campaign_subject(c.id, period()),
            Figure::Fines,
            Some(qx),
            0,
        )
        .await
        .unwrap();
    let ids: Vec<(i64, i64, Option<i64>)> =
        fines.iter().map(|r| (r.id, r.value, r.case_id)).collect();
    assert_eq!(ids, [(1, 573_800, Some(1)), (7, 5_000, Some(1))]);
    assert_eq!(fines[0].label, "NO.1");
    let checked = store
        .figure_records(
            Scope::City,
            &campaign_subject(c.id, period()),
            Figure::SitesChecked,
            None,
            0,
        )
        .await
        .unwrap();
    let mut sites: Vec<i64> = checked.iter().map(|r| r.id).collect();
    sites.sort();
    let mut expect = vec![a.id.0, w.id.0];
    expect.sort();
    assert_eq!(sites, expect);
    assert!(store
        .figure_records(
            Scope::district(d("450102")),
            &campaign_subject(c.id, period()),
            Figure::Fines,
            None,
            0,
        )
        .await
        .unwrap()
        .is_empty());
    // The city's report over March: every figure's query runs, casework counts every site (not
    // only the campaign's), and each figure is what the records listed behind it add up to.
    let city = ReportSubject {
        campaign: None,
        period: period(),
    };
    let all = store
        .figures(Scope::City, &city, &Figure::ALL)
        .await
        .unwrap();
    let total = |f: Figure| -> i64 { all.iter().filter(|c| c.figure == f).map(|c| c.value).sum() };
    assert_eq!(total(Figure::Cases), 2, "cases 1 and 3 (2 opened in April)");
    assert_eq!(total(Figure::Fines), 573_800 + 100_000 + 5_000);
    assert_eq!(
        total(Figure::FieldChecks),
        2,
        "inspection 3 was in February"
    );
    assert_eq!(total(Figure::SitesChecked), 3);
    assert_eq!(
        total(Figure::SuspectSites),
        2,
        "waimai's finding is a false positive"
    );
    assert_eq!(total(Figure::Findings), 2);
    assert_eq!(total(Figure::Clues), 2);
    assert_eq!(total(Figure::Campaigns), 1);
    assert_eq!(total(Figure::Referrals), 1);
    for f in Figure::ALL {
        let list = store
            .figure_records(Scope::City, &city, f, None, 0)
            .await
            .unwrap();
        assert_eq!(list.iter().map(|r| r.value).sum::<i64>(), total(f), "{f:?}");
        let records: i64 = all
            .iter()
            .filter(|c| c.figure == f)
            .map(|c| c.records)
            .sum();
        assert_eq!(list.len() as i64, records, "{f:?}");
    }
    // A limit takes the first records by id.
    let first = store
        .figure_records(Scope::City, &city, Figure::Fines, None, 2)
        .await
        .unwrap();
    assert_eq!(first.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 6]);
    // In a district's scope, only its records and no city-wide ones.
    let xingning = store
        .figures(Scope::district(d("450102")), &city, &Figure::ALL)
        .await
        .unwrap();
    assert!(xingning.iter().all(|c| c.district == xn), "{xingning:?}");
    assert!(xingning
        .iter()
        .any(|c| c.figure == Figure::Referrals && c.value == 1));

    // A campaign without rows has no figures.
    let other = store.create_campaign(&march(), &[b.id], &by).await.unwrap();
    let none = store
        .figures(
            Scope::City,
            &campaign_subject(
                other.id,
                Period {
                    from: at(T0 - 86_400 * 400),
                    until: at(T0 - 86_400 * 300),
                },
            ),
            &Figure::CAMPAIGN,
        )
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
}

async fn a_due_run_is_begun_once(store: TestStore) {
    let store = store.as_ref();
    let due = Utc.with_ymd_and_hms(2024, 3, 1, 18, 0, 0).unwrap();
    let run = store.begin_run("city", due).await.unwrap().unwrap();
    assert_eq!(run.job, "city");
    assert_eq!(run.due_at, due);
    assert_eq!(run.finished_at, None);
    assert_eq!(store.begin_run("city", due).await.unwrap(), None);
    assert_eq!(store.unfinished_runs().await.unwrap(), vec![run.clone()]);
    let sweep = store.create_sweep(&[]).await.unwrap();
    store.set_run_sweep(run.id, sweep).await.unwrap();
    let done = store.finish_run(run.id, None).await.unwrap();
    assert_eq!(done.sweep_id, Some(sweep));
    assert!(done.finished_at.is_some());
    assert!(store.unfinished_runs().await.unwrap().is_empty());
    // Another job at the same time is its own run; a failure is kept.
    let other = store.begin_run("recheck", due).await.unwrap().unwrap();
    let failed = store.finish_run(other.id, Some("boom")).await.unwrap();
    assert_eq!(failed.error.as_deref(), Some("boom"));
    assert_eq!(store.last_run("city").await.unwrap(), Some(done.clone()));
    assert_eq!(store.last_run("campaign:1").await.unwrap(), None);
    assert_eq!(store.list_runs(10).await.unwrap(), vec![failed, done]);
    assert!(matches!(
        store.finish_run(999, None).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn a_recheck_links_the_findings_its_pages_show(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await;
    let sweep = store.create_sweep(&[a.id]).await.unwrap();
    store
        .record_fetch(
            &fetch(sweep, a.id, "http://a.test/", Some(200)),
            &[finding(sweep, a.id, "甲")],
        )
        .await
        .unwrap();
    store.finish_sweep(sweep).await.unwrap();
    // The page still shows the same excerpt, and a new one.
    let recheck = store.create_recheck(a.id).await.unwrap();
    let r = store.sweep(recheck).await.unwrap().unwrap();
    assert_eq!(r.kind, SweepKind::Recheck);
    store
        .record_recheck_fetch(
            &fetch(recheck, a.id, "http://a.test/", Some(200)),
            &[finding(recheck, a.id, "甲"), finding(recheck, a.id, "新")],
        )
        .await
        .unwrap();
    let seen = store.recheck_findings(Scope::City, recheck).await.unwrap();
    let excerpts: Vec<&str> = seen.iter().map(|f| f.finding.excerpt.as_str()).collect();
    assert_eq!(excerpts, ["甲", "新"]);
    assert_eq!(seen[0].finding.sweep_id, sweep, "the finding stored before");
    assert_eq!(seen[1].finding.sweep_id, recheck);
    // Out of scope: none; a re-check is never resumed as a crawl.
    assert!(store
        .recheck_findings(Scope::district(d("450102")), recheck)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.unfinished_sweep().await.unwrap(), None);
}

fn campaign_subject(id: CampaignId, period: Period) -> store::ReportSubject {
    store::ReportSubject {
        campaign: Some(id),
        period,
    }
}
