//! The credit job: the nightly run writes and loads DATA/credit/index.toml and re-scores every
//! entity; a changed valid file is reloaded; an invalid one is refused (the run records its
//! problems) while the version in force stays and everyone is re-scored with it; between runs
//! each tick re-scores the entities marked stale.

use crate::support::{config, utc, Fixture};
use schedule::Scheduler;
use store::testing::Backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nightly_credit_run_on_sqlite() {
    nightly(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nightly_credit_run_on_postgres() {
    nightly(Backend::Postgres).await
}

async fn nightly(backend: Backend) {
    let fx = Fixture::on(backend, 4, 5).await;
    let entities = fx.store.count_entities(store::Scope::City).await.unwrap();
    assert!(entities > 0);
    let mut cfg = config(None, None);
    cfg.credit = Some(schedule::Cron::parse("0 5 * * *").unwrap());
    let scheduler = Scheduler::new(fx.store.clone(), cfg, fx.settings());
    // One entity on the serious-violation list: class D, whose sites the index sweeps every
    // 6 hours.
    let mut listed = None;
    for e in fx
        .store
        .list_entities(store::Scope::City, &Default::default())
        .await
        .unwrap()
    {
        let sites = fx
            .store
            .entity_sites(store::Scope::City, e.id)
            .await
            .unwrap();
        if !sites.is_empty() {
            listed = Some((e, sites));
            break;
        }
    }
    let (listed, listed_sites) = listed.expect("an entity with a site");
    fx.store
        .add_listing(
            store::Scope::City,
            &store::ListingInput {
                entity_id: listed.id,
                list: domain::ListKind::SeriousViolation,
                cause: "严重违法".into(),
                decision_no: None,
                listed_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            },
            &store::Actor::system("test"),
        )
        .await
        .unwrap();
    // 05:00 in Nanning on 2 March 2026.
    let report = scheduler.tick(utc("2026-03-01T21:00:10Z")).await.unwrap();
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].0, "credit");
    let run = fx.store.last_run("credit").await.unwrap().unwrap();
    assert_eq!(run.error, None);
    let path = fx.dir.path().join("credit/index.toml");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        credit::index::DEFAULT_INDEX
    );
    let v = fx.store.current_credit_index().await.unwrap().unwrap();
    assert_eq!(v.version, "2026.2");
    assert_eq!(
        fx.store
            .count_credit_scores(store::Scope::City, &Default::default())
            .await
            .unwrap(),
        entities
    );
    assert_eq!(fx.store.count_credit_stale().await.unwrap(), 0);
    // The classes swept more often than nightly (C every 12 hours, D every 6) have a campaign
    // of exactly their sites; D holds the listed entity's.
    let class_campaigns = || async {
        let mut out = Vec::new();
        for c in fx.store.list_campaigns().await.unwrap() {
            if c.state == store::CampaignState::Active && c.name.ends_with("主体加密巡查") {
                let sites = fx.store.campaign_sites(c.id).await.unwrap();
                out.push((c.name, c.id, c.schedule, sites));
            }
        }
        out.sort();
        out
    };
    let before = class_campaigns().await;
    for (class, hours) in [(domain::CreditClass::C, 12), (domain::CreditClass::D, 6)] {
        let sites = fx
            .store
            .select_sites(
                store::Scope::City,
                &store::SiteSelection {
                    classes: vec![class],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let campaign = before
            .iter()
            .find(|c| c.0 == schedule::credit::class_campaign_name(class));
        match campaign {
            None => assert!(sites.is_empty(), "{class}: {sites:?}"),
            Some((_, _, schedule, held)) => {
                assert_eq!(schedule, &format!("0 */{hours} * * *"));
                assert_eq!(held, &sites);
            }
        }
    }
    let d = before
        .iter()
        .find(|c| c.0 == schedule::credit::class_campaign_name(domain::CreditClass::D))
        .expect("class D has a campaign");
    assert!(listed_sites.iter().all(|s| d.3.contains(&s.id)), "{d:?}");
    assert!(before
        .iter()
        .all(|c| !c.0.starts_with("A类") && !c.0.starts_with("B类")));

    // An invalid file: refused, the run says why, the version in force stays.
    std::fs::write(
        &path,
        credit::index::DEFAULT_INDEX
            .replace("version = \"2026.2\"", "version = \"2026.8\"")
            .replace("source = \"cases\"", "source = \"cases.open\""),
    )
    .unwrap();
    let refused = scheduler
        .tick(utc("2026-03-02T21:00:10Z"))
        .await
        .unwrap_err();
    assert!(matches!(
        refused,
        schedule::ScheduleError::CreditIndexRefused { ref problems, .. } if problems.len() == 1
    ));
    let run = fx.store.last_run("credit").await.unwrap().unwrap();
    let error = run.error.expect("the run records the refusal");
    assert!(error.contains("cases.open"), "{error}");
    assert_eq!(
        fx.store
            .current_credit_index()
            .await
            .unwrap()
            .unwrap()
            .version,
        "2026.2"
    );

    // A valid change is loaded and everyone re-scored with it.
    std::fs::write(
        &path,
        credit::index::DEFAULT_INDEX.replace("version = \"2026.2\"", "version = \"2026.3\""),
    )
    .unwrap();
    scheduler.tick(utc("2026-03-03T21:00:10Z")).await.unwrap();
    assert_eq!(
        fx.store.last_run("credit").await.unwrap().unwrap().error,
        None
    );
    let list = fx
        .store
        .list_credit_scores(store::Scope::City, &Default::default())
        .await
        .unwrap();
    assert!(list.iter().all(|s| s.grade.index_version == "2026.3"));
    // Nobody changed class: the same campaigns stand (none closed and made again).
    assert_eq!(class_campaigns().await, before);

    // A changed record marks its entity; the next tick re-scores it.
    let first = fx
        .store
        .list_entities(store::Scope::City, &Default::default())
        .await
        .unwrap()
        .remove(0);
    let mut input = first.input.clone();
    input.registered_capital = Some("9999万元".into());
    fx.store.upsert_entities(&[input], "test").await.unwrap();
    assert_eq!(fx.store.count_credit_stale().await.unwrap(), 1);
    let report = scheduler.tick(utc("2026-03-03T21:30:00Z")).await.unwrap();
    assert_eq!(report.rescored, 1);
    assert_eq!(fx.store.count_credit_stale().await.unwrap(), 0);
}
