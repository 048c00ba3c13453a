//! A small world: simweb on loopback, its register imported into a fresh store.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use store::testing::{Backend, TestDb};
use store::{Scope, SiteFilter, Store};

pub struct Fixture {
    pub world: Arc<simweb::World>,
    pub server: simweb::Running,
    pub store: Arc<dyn Store>,
    pub db: TestDb,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub async fn on(backend: Backend, sites: usize, seed: u64) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let world = Arc::new(simweb::World::generate(&simweb::GenParams { sites, seed }));
        let server = simweb::start(world.clone(), ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let db = TestDb::new(backend).await;
        let store = db.open(None).await.unwrap();
        let register = dir.path().join("register.csv");
        std::fs::write(&register, world.register_csv()).unwrap();
        let opts = store::import::ImportOptions {
            encoding: store::import::SourceEncoding::Utf8,
            format: None,
            batch_size: 100,
            ..Default::default()
        };
        store::import::import_entities(store.as_ref(), &register, &opts)
            .await
            .unwrap();
        Fixture {
            world,
            server,
            store,
            db,
            dir,
        }
    }

    pub async fn sites(&self) -> Vec<store::Site> {
        self.store
            .list_sites(
                Scope::City,
                &SiteFilter {
                    limit: 10_000,
                    ..SiteFilter::default()
                },
            )
            .await
            .unwrap()
    }

    pub fn settings(&self) -> schedule::SweepSettings {
        let mut crawl = crawl::CrawlConfig {
            max_pages_per_site: 200,
            max_depth: 10,
            concurrency: 8,
            request_timeout: Duration::from_secs(10),
            delay_per_host: Duration::ZERO,
            ..crawl::CrawlConfig::default()
        };
        crawl
            .resolve
            .parse_entry(&format!("*:80:{}", self.server.addr))
            .unwrap();
        let d = self.dir.path();
        schedule::SweepSettings {
            sweep: sweep::SweepConfig {
                crawl,
                evidence_dir: d.join("warc"),
                warc_max_bytes: 1 << 20,
                software: "wangjian-test".into(),
                progress: false,
                badges: None,
                discovery: sweep::DiscoveryConfig::default(),
                render_probes: None,
                log: Some(sweep::LogConfig {
                    dir: d.join("log"),
                    keys_dir: d.join("keys"),
                    key_name: "wangjian-test".into(),
                    origin: "wangjian.test/log".into(),
                    tsa_url: None,
                    tsa_root: None,
                }),
            },
            data_dir: d.to_path_buf(),
        }
    }
}

pub fn plus8() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

pub fn config(city: Option<&str>, rechecks: Option<&str>) -> schedule::ScheduleConfig {
    schedule::ScheduleConfig {
        city_sweep: city.map(|c| schedule::Cron::parse(c).unwrap()),
        rechecks: rechecks.map(|c| schedule::Cron::parse(c).unwrap()),
        credit: None,
        offset: plus8(),
        limits: casework::Limits::default(),
        city_by_workers: false,
    }
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Fetches of a sweep per (site, URL) made more than once (429/503 back-offs left out).
pub async fn refetched(store: &dyn Store, sweep: domain::SweepId) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::<(i64, String), usize>::new();
    for f in store.sweep_fetches(Scope::City, sweep).await.unwrap() {
        if matches!(f.fetch.status, Some(429 | 503)) {
            continue;
        }
        *seen
            .entry((f.fetch.site_id.0, f.fetch.url.clone()))
            .or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|((site, url), n)| format!("site {site}: {url} x{n}"))
        .collect()
}
