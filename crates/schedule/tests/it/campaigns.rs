//! Campaigns: targets resolved to sites, refusals that write nothing, a campaign's sweep over
//! its sites recorded with it (by hand and on its schedule within its period), its figures,
//! and a re-check of exactly given URLs.

use chrono::{NaiveDate, TimeZone};
use domain::{CampaignId, DistrictCode, SiteKind};
use schedule::campaign::{self, CampaignError};
use schedule::{CampaignInput, CronError, CronField, Job, Scheduler};
use store::testing::Backend;
use store::{Actor, CampaignTargets, Figure, Scope};

use crate::support::{config, plus8, Fixture};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn input(targets: CampaignTargets) -> CampaignInput {
    CampaignInput {
        name: "网络订餐专项整治".into(),
        starts_on: day("2026-03-01"),
        ends_on: day("2026-03-31"),
        targets,
        packs: vec!["core".into()],
        schedule: "0 3 * * *".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_campaigns_are_refused_and_nothing_is_written() {
    let fx = Fixture::on(Backend::Sqlite, 4, 7).await;
    let store = fx.store.as_ref();
    let by = Actor::system("test");
    let by = &by;
    let site = fx.sites().await[0].id;
    let some = CampaignTargets {
        sites: vec![site],
        ..CampaignTargets::default()
    };
    let refuse = |i: CampaignInput| async move { campaign::create(store, None, &i, by).await };
    assert!(matches!(
        refuse(input(CampaignTargets::default())).await,
        Err(CampaignError::NoTargets)
    ));
    // A district with no registered site.
    let empty = CampaignTargets {
        districts: vec![DistrictCode::parse("450127").unwrap()],
        ..CampaignTargets::default()
    };
    assert!(matches!(
        refuse(input(empty)).await,
        Err(CampaignError::NoSites)
    ));
    assert!(matches!(
        refuse(input(CampaignTargets {
            sites: vec![domain::SiteId(999_999)],
            ..CampaignTargets::default()
        }))
        .await,
        Err(CampaignError::UnknownSite { .. })
    ));
    assert!(matches!(
        refuse(input(CampaignTargets {
            keywords: vec!["房源".into()],
            ..CampaignTargets::default()
        }))
        .await,
        Err(CampaignError::NoSearchIndex)
    ));
    let mut bad = input(some.clone());
    bad.packs = vec!["fangchan".into()];
    match refuse(bad).await {
        Err(CampaignError::UnknownPack(p)) => assert_eq!(p.name, "fangchan"),
        other => panic!("{other:?}"),
    }
    let mut bad = input(some.clone());
    bad.ends_on = day("2026-02-01");
    assert!(matches!(
        refuse(bad).await,
        Err(CampaignError::EndsBeforeStart { .. })
    ));
    let mut bad = input(some.clone());
    bad.schedule = "0 25 * * *".into();
    match refuse(bad).await {
        Err(CampaignError::Schedule(CronError::OutOfRange { field, value, .. })) => {
            assert_eq!((field, value), (CronField::Hour, 25))
        }
        other => panic!("{other:?}"),
    }
    let mut bad = input(some.clone());
    bad.name = "  ".into();
    assert!(matches!(refuse(bad).await, Err(CampaignError::NoName)));
    // Targets written as text: a bad one is named.
    let text = schedule::TargetText {
        kinds: vec!["shop".into()],
        ..schedule::TargetText::default()
    };
    match text.parse() {
        Err(CampaignError::BadTarget { what, value }) => {
            assert_eq!(
                (what, value.as_str()),
                (schedule::TargetKind::SiteKind, "shop")
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(store.list_campaigns().await.unwrap().is_empty());
    assert!(store.recent_audit(10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_sweeps_its_sites_with_its_packs_and_counts_them() {
    let fx = Fixture::on(Backend::Sqlite, 8, 5).await;
    let store = fx.store.clone();
    let by = Actor::system("test");
    let sites = fx.sites().await;
    // Trading sites of the register, as the targets select them.
    let mut trading: Vec<_> = sites
        .iter()
        .filter(|s| s.kind == SiteKind::TradingSite)
        .map(|s| s.id)
        .collect();
    trading.sort();
    assert!(!trading.is_empty());
    // A campaign running now (its figures count findings made before it ends).
    let today = chrono::Utc::now().with_timezone(&plus8()).date_naive();
    let starts = today - chrono::Duration::days(10);
    let mut running = input(CampaignTargets {
        kinds: vec![SiteKind::TradingSite],
        ..CampaignTargets::default()
    });
    running.starts_on = starts;
    running.ends_on = today + chrono::Duration::days(30);
    let c = campaign::create(store.as_ref(), None, &running, &by)
        .await
        .unwrap();
    assert_eq!(store.campaign_sites(c.id).await.unwrap(), trading);
    assert_eq!(c.sites, trading.len() as i64);

    let settings = fx.settings();
    let done = schedule::sweep_by_hand(
        store.clone(),
        &settings,
        &config(None, None),
        Some(c.id),
        &by,
    )
    .await
    .unwrap();
    assert_eq!(done.len(), 1);
    let summary = &done[0];
    assert_eq!(summary.campaign, Some(c.id));
    let sweep = store.sweep(summary.sweep_id).await.unwrap().unwrap();
    assert_eq!(sweep.campaign, Some(c.id));
    // Its sites only (no discovery wave), each fetched.
    let mut fetched: Vec<_> = store
        .sweep_fetches(Scope::City, summary.sweep_id)
        .await
        .unwrap()
        .iter()
        .map(|f| f.fetch.site_id)
        .collect();
    fetched.sort();
    fetched.dedup();
    let owners_ok = fetched.iter().all(|s| {
        trading.contains(s)
            || sites
                .iter()
                .any(|x| x.id == *s && x.kind == SiteKind::PlatformShop)
    });
    assert!(owners_ok, "fetched {fetched:?}, campaign {trading:?}");
    // The figures: sites checked are the campaign's sites the sweep reached; the test counts
    // them itself.
    let reached: std::collections::BTreeSet<_> = store
        .sweep_fetches(Scope::City, summary.sweep_id)
        .await
        .unwrap()
        .iter()
        .filter(|f| f.fetch.status.is_some() && trading.contains(&f.fetch.site_id))
        .map(|f| f.fetch.site_id)
        .collect();
    let (_, table) = campaign::figures(store.as_ref(), Scope::City, c.id, plus8())
        .await
        .unwrap();
    assert_eq!(table.total(Figure::SitesChecked), reached.len() as i64);
    let suspect = {
        let mut n = 0;
        for s in &reached {
            let found = store
                .list_findings(
                    Scope::City,
                    &store::FindingFilter {
                        site_id: Some(*s),
                        limit: 1,
                        ..store::FindingFilter::default()
                    },
                )
                .await
                .unwrap();
            n += i64::from(!found.is_empty());
        }
        n
    };
    assert_eq!(table.total(Figure::SuspectSites), suspect);

    // On its schedule: within its period, at 03:00 local, and only once per due time.
    let scheduler = Scheduler::new(store.clone(), config(None, None), settings);
    let jobs = scheduler.crons().await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].0, Job::Campaign(c.id));
    let local = |d: NaiveDate, h: u32, m: u32| {
        plus8()
            .from_local_datetime(&d.and_hms_opt(h, m, 30).unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let before = scheduler
        .tick(local(starts - chrono::Duration::days(2), 3, 0))
        .await
        .unwrap();
    assert_eq!(before, schedule::TickReport::default(), "before its period");
    let during = starts + chrono::Duration::days(3);
    let report = scheduler.tick(local(during, 3, 0)).await.unwrap();
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].0, format!("campaign:{}", c.id));
    assert_eq!(
        report.runs[0].1,
        local(during, 3, 0) - chrono::Duration::seconds(30)
    );
    let again = scheduler.tick(local(during, 3, 20)).await.unwrap();
    assert_eq!(again, schedule::TickReport::default());
    // Closed: no longer scheduled.
    store.close_campaign(c.id, &by).await.unwrap();
    assert!(scheduler.crons().await.unwrap().is_empty());
    assert!(matches!(
        schedule::sweep_by_hand(store.clone(), &fx.settings(), &config(None, None), Some(c.id), &by).await,
        Err(schedule::ScheduleError::Campaign(CampaignError::Closed(id))) if id == c.id
    ));
    assert!(matches!(
        schedule::sweep_by_hand(
            store.clone(),
            &fx.settings(),
            &config(None, None),
            Some(CampaignId(999)),
            &by
        )
        .await,
        Err(schedule::ScheduleError::Campaign(CampaignError::NotFound(
            _
        )))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recheck_fetches_exactly_the_urls_and_sees_what_they_show() {
    let fx = Fixture::on(Backend::Sqlite, 8, 5).await;
    let truth = fx.world.truth();
    // A registered site with a page that carries a seeded violation.
    let (host, page) = truth
        .sites
        .values()
        .filter(|s| s.registered && s.cloaked.is_none())
        .find_map(|s| {
            s.pages
                .iter()
                .find(|(_, cats)| !cats.is_empty())
                .map(|(p, _)| (s.host.clone(), p.clone()))
        })
        .expect("simweb seeds violations");
    let site = fx
        .store
        .site_for_url(Scope::City, &host, &page)
        .await
        .unwrap()
        .expect("the page's site is registered");
    let url = format!("http://{host}{page}");
    let settings = fx.settings();
    let detector = detect::Detector::builtin();
    let out = sweep::recheck(
        fx.store.clone(),
        &detector,
        &settings.sweep,
        site.id,
        std::slice::from_ref(&url),
    )
    .await
    .unwrap();
    let sweep = fx.store.sweep(out.sweep_id).await.unwrap().unwrap();
    assert_eq!(sweep.kind, store::SweepKind::Recheck);
    assert_eq!(sweep.state, store::SweepState::Finished);
    let fetches = fx
        .store
        .sweep_fetches(Scope::City, out.sweep_id)
        .await
        .unwrap();
    assert!(!fetches.is_empty());
    assert!(fetches.iter().all(|f| f.fetch.site_id == site.id));
    assert_eq!(fetches.last().unwrap().fetch.status, Some(200));
    let seen = fx
        .store
        .recheck_findings(Scope::City, out.sweep_id)
        .await
        .unwrap();
    assert!(!seen.is_empty(), "the violation at {url} is seen again");
    assert_eq!(seen.len(), out.findings.min(seen.len()));
    // A re-check runs again as itself: the same violation, seen by a second re-check, is the
    // same finding.
    let again = sweep::recheck(
        fx.store.clone(),
        &detector,
        &settings.sweep,
        site.id,
        &[url],
    )
    .await
    .unwrap();
    let seen2 = fx
        .store
        .recheck_findings(Scope::City, again.sweep_id)
        .await
        .unwrap();
    let ids = |v: &[store::Finding]| v.iter().map(|f| f.id).collect::<Vec<_>>();
    assert_eq!(ids(&seen2), ids(&seen));
    assert!(sweep::recheck(
        fx.store.clone(),
        &detector,
        &settings.sweep,
        site.id,
        &["not a url".into()]
    )
    .await
    .is_err());
}
