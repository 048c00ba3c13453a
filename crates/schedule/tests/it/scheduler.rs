//! The scheduler: a scheduled city sweep whose process stops mid-site is finished by the next
//! scheduler (same sweep, no page fetched twice, the run recorded once), a due time is run
//! once, a missed one outside the catch-up window is skipped, and the sweep lock.

use crate::support::{config, refetched, utc, Fixture};
use chrono::Utc;
use schedule::{Job, Scheduler};
use store::testing::Backend;
use store::{Scope, SweepState};

#[test]
fn a_scheduled_sweep_cut_off_is_finished_after_a_restart_on_sqlite() {
    cut_off_and_finished(Backend::Sqlite)
}

#[test]
fn a_scheduled_sweep_cut_off_is_finished_after_a_restart_on_postgres() {
    cut_off_and_finished(Backend::Postgres)
}

fn cut_off_and_finished(backend: Backend) {
    let home = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let fx = home.block_on(Fixture::on(backend, 6, 11));
    let mut settings = fx.settings();
    // One site at a time, slowly, checkpointing every other page: the stop lands mid-site.
    settings.sweep.crawl.concurrency = 1;
    settings.sweep.crawl.checkpoint_every = 2;
    settings.sweep.crawl.delay_per_host = std::time::Duration::from_millis(30);
    // 02:00 in Nanning on 2 March 2026, and a little after.
    let due = utc("2026-03-01T18:00:00Z");
    let now = utc("2026-03-01T18:00:25Z");

    // The first process: its scheduler starts the nightly sweep; the process is killed (its
    // runtime dropped) once a site is half done.
    let first = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store1 = first.block_on(fx.db.open(None)).unwrap();
    let scheduler = Scheduler::new(store1, config(Some("0 2 * * *"), None), settings.clone());
    let run = first.spawn(async move { scheduler.tick(now).await });
    let sites = home.block_on(fx.sites());
    // No deadline: the sweep either makes progress or ends (which fails the test).
    let sweep_id = loop {
        assert!(!run.is_finished(), "the sweep ended before it was stopped");
        let found = home.block_on(async {
            let sweep = fx.store.unfinished_sweep().await.unwrap()?;
            for s in &sites {
                if fx
                    .store
                    .frontier(Scope::City, sweep.id, s.id)
                    .await
                    .unwrap()
                    .is_some()
                {
                    return Some(sweep.id);
                }
            }
            None
        });
        if let Some(id) = found {
            break id;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(run);
    drop(first);

    // The run is recorded as started, with its sweep, and not finished.
    let open = home.block_on(fx.store.unfinished_runs()).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].job, Job::City.key());
    assert_eq!(open[0].due_at, due);
    assert_eq!(open[0].sweep_id, Some(sweep_id));

    // The restarted process: a new scheduler finishes that sweep first, and does not start the
    // same due run again.
    let scheduler = Scheduler::new(
        fx.store.clone(),
        config(Some("0 2 * * *"), None),
        settings.clone(),
    );
    let report = home
        .block_on(scheduler.tick(utc("2026-03-01T18:01:10Z")))
        .unwrap();
    assert_eq!(report.runs, vec![("city".to_string(), due, vec![sweep_id])]);
    assert!(report.continued.is_empty());
    let sweep = home.block_on(fx.store.sweep(sweep_id)).unwrap().unwrap();
    assert_eq!(sweep.state, SweepState::Finished);
    assert!(home
        .block_on(fx.store.pending_sites(Scope::City, sweep_id))
        .unwrap()
        .is_empty());
    let twice = home.block_on(refetched(fx.store.as_ref(), sweep_id));
    assert!(twice.is_empty(), "fetched twice: {twice:?}");
    assert!(home
        .block_on(fx.store.unfinished_runs())
        .unwrap()
        .is_empty());
    let last = home
        .block_on(fx.store.last_run(&Job::City.key()))
        .unwrap()
        .unwrap();
    assert_eq!(last.sweep_id, Some(sweep_id));
    assert_eq!(last.error, None);
    assert!(last.finished_at.is_some());
    for file in evidence::warc_files(&settings.sweep.evidence_dir).unwrap() {
        let verdict = evidence::verify_warc(&file);
        assert!(verdict.ok(), "{}: {:?}", file.display(), verdict.failures);
    }

    // Ticks later the same night: nothing more; the next night: a new sweep.
    let report = home
        .block_on(scheduler.tick(utc("2026-03-01T18:30:00Z")))
        .unwrap();
    assert_eq!(report, schedule::TickReport::default());
    let report = home
        .block_on(scheduler.tick(utc("2026-03-02T18:00:30Z")))
        .unwrap();
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].1, utc("2026-03-02T18:00:00Z"));
    assert_ne!(report.runs[0].2, vec![sweep_id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_run_outside_the_catch_up_window_waits_for_the_next() {
    let fx = Fixture::on(Backend::Sqlite, 2, 3).await;
    let mut scheduler = Scheduler::new(
        fx.store.clone(),
        config(Some("0 2 * * *"), None),
        fx.settings(),
    );
    scheduler.catch_up = chrono::Duration::hours(1);
    // 04:00 local: the 02:00 run was missed by two hours.
    let report = scheduler.tick(utc("2026-03-01T20:00:00Z")).await.unwrap();
    assert_eq!(report, schedule::TickReport::default());
    assert!(fx.store.list_runs(10).await.unwrap().is_empty());
    assert!(fx.store.list_sweeps(10).await.unwrap().is_empty());
    // The jobs the console lists, with the next due time in the bureau's time zone.
    let jobs = schedule::status::jobs(
        fx.store.as_ref(),
        &scheduler.config,
        utc("2026-03-01T20:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].job, Job::City);
    assert_eq!(jobs[0].next_due, Some(utc("2026-03-02T18:00:00Z")));
    assert_eq!(jobs[0].last, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_by_hand_is_refused_while_another_holds_the_lock() {
    let fx = Fixture::on(Backend::Sqlite, 2, 3).await;
    let settings = fx.settings();
    let held = schedule::SweepLock::try_acquire(&settings.data_dir, "serve").unwrap();
    let by = store::Actor::system("test");
    let err = schedule::sweep_by_hand(fx.store.clone(), &settings, &config(None, None), None, &by)
        .await
        .unwrap_err();
    match err {
        schedule::ScheduleError::Lock(schedule::LockError::Busy { holder }) => {
            assert!(holder.ends_with("serve"), "{holder}")
        }
        other => panic!("expected a busy lock, got {other:?}"),
    }
    assert!(fx.store.list_sweeps(10).await.unwrap().is_empty());
    drop(held);
    let done = schedule::sweep_by_hand(fx.store.clone(), &settings, &config(None, None), None, &by)
        .await
        .unwrap();
    assert_eq!(done.len(), 1);
    assert!(done[0].pages > 0);
    assert_eq!(done[0].campaign, None);
}

/// The nightly sweep's findings become clues; a case opened from one orders the page fixed by
/// today; the scheduled re-check fetches the page again, sees the violation still there
/// (simweb serves the same page), records not compliant and puts the decided case back to
/// investigation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_recheck_finds_the_page_not_fixed_and_reopens_the_case() {
    use chrono::TimeZone;
    use domain::{CaseStage, ClueState, Role};
    use store::{NewUser, OutcomeDetail};

    let fx = Fixture::on(Backend::Sqlite, 8, 5).await;
    let store = fx.store.clone();
    let offset = crate::support::plus8();
    let today = Utc::now().with_timezone(&offset).date_naive();
    let local = |h: u32, m: u32| {
        offset
            .from_local_datetime(&today.and_hms_opt(h, m, 30).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    let scheduler = Scheduler::new(
        store.clone(),
        config(Some("0 2 * * *"), Some("30 6 * * *")),
        fx.settings(),
    );
    // 02:00: the city sweep, its findings grouped into clues sent to the districts.
    let report = scheduler.tick(local(2, 0)).await.unwrap();
    assert_eq!(report.runs.len(), 1, "{report:?}");
    assert_eq!(report.runs[0].0, "city");
    let clues = store
        .list_clues(Scope::City, &store::ClueFilter::default())
        .await
        .unwrap();
    let clue = clues
        .iter()
        .find(|c| c.state == ClueState::Dispatched)
        .unwrap_or_else(|| panic!("a dispatched clue among {clues:?}"));
    let district = clue.district.expect("dispatched to a district");
    let by = store::Actor::system("test");
    for name in ["li", "wang"] {
        store
            .create_user(
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    role: Role::Inspector,
                    districts: vec![district],
                    entities: vec![],
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                },
                &by,
            )
            .await
            .unwrap();
    }
    let limits = casework::Limits::default();
    let case = casework::open_case(
        store.as_ref(),
        Scope::City,
        &[clue.id],
        &["li".into(), "wang".into()],
        None,
        &limits,
        today,
        &by,
    )
    .await
    .unwrap();
    casework::advance(
        store.as_ref(),
        Scope::City,
        case,
        CaseStage::Registered,
        &by,
    )
    .await
    .unwrap();
    let finding = store
        .finding(Scope::City, clue.findings[0])
        .await
        .unwrap()
        .unwrap();
    let url = finding.finding.url.clone();
    let order = casework::add_outcome(
        store.as_ref(),
        Scope::City,
        case,
        casework::OutcomeInput::Rectification {
            due_on: today,
            urls: vec![url.clone()],
        },
        today,
        &by,
    )
    .await
    .unwrap();
    casework::advance(
        store.as_ref(),
        Scope::City,
        case,
        CaseStage::Investigating,
        &by,
    )
    .await
    .unwrap();

    // 06:30: the re-checks.
    let report = scheduler.tick(local(6, 30)).await.unwrap();
    assert_eq!(report.runs.len(), 1, "{report:?}");
    assert_eq!(report.runs[0].0, "recheck");
    let sweeps = &report.runs[0].2;
    assert_eq!(sweeps.len(), 1);
    let recheck = store.sweep(sweeps[0]).await.unwrap().unwrap();
    assert_eq!(recheck.kind, store::SweepKind::Recheck);
    let fetched: Vec<String> = store
        .sweep_fetches(Scope::City, recheck.id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.fetch.url)
        .collect();
    assert_eq!(fetched, vec![url.clone()], "exactly the order's URL");
    let o = store.outcome(Scope::City, order).await.unwrap().unwrap();
    match o.detail {
        OutcomeDetail::Rectification {
            recheck_sweep,
            compliant,
            rechecked_at,
            ..
        } => {
            assert_eq!(recheck_sweep, Some(recheck.id));
            assert_eq!(compliant, Some(false), "{url} still shows the violation");
            assert!(rechecked_at.is_some());
        }
        other => panic!("{other:?}"),
    }
    let c = store.case(Scope::City, case).await.unwrap().unwrap();
    assert_eq!(c.stage, CaseStage::Investigating, "not compliant reopens");
    // Re-checked once: the next tick has nothing due.
    let report = scheduler.tick(local(6, 45)).await.unwrap();
    assert_eq!(report, schedule::TickReport::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_workers_the_city_job_makes_the_sweep_and_waits_for_them_to_end_it() {
    let fx = Fixture::on(Backend::Sqlite, 2, 3).await;
    let mut config = config(Some("0 2 * * *"), None);
    config.city_by_workers = true;
    let scheduler = Scheduler::new(fx.store.clone(), config, fx.settings());
    let tick = tokio::spawn(async move { scheduler.tick(utc("2026-03-01T18:00:30Z")).await });
    let sweep = loop {
        if let Some(s) = fx.store.unfinished_sweep().await.unwrap() {
            break s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(sweep.by_workers, "made for workers");
    assert_eq!(sweep.sites, 2);
    // Nothing of this process sweeps it.
    let settings = fx.settings();
    let refused = sweep::run_existing(
        fx.store.clone(),
        std::sync::Arc::new(detect::Detector::builtin()),
        settings.sweep,
        sweep.clone(),
        true,
    )
    .await;
    assert!(
        matches!(refused, Err(sweep::SweepError::ForWorkers { .. })),
        "{refused:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!tick.is_finished(), "the scheduler waits for the workers");
    assert_eq!(
        fx.store
            .pending_sites(Scope::City, sweep.id)
            .await
            .unwrap()
            .len(),
        2,
        "no site swept by the scheduler"
    );
    // The workers' sequencer ends it.
    fx.store.finish_sweep(sweep.id).await.unwrap();
    let report = tick.await.unwrap().unwrap();
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].2, vec![sweep.id]);
    let runs = fx.store.list_runs(10).await.unwrap();
    assert!(
        runs[0].finished_at.is_some() && runs[0].error.is_none(),
        "{runs:?}"
    );
}
