//! A small world: simweb on loopback, its register imported into a fresh store (SQLite by
//! default, or on any backend).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use store::testing::{Backend, TestDb};
use store::Store;

pub struct Fixture {
    pub world: Arc<simweb::World>,
    pub server: simweb::Running,
    pub store: Arc<dyn Store>,
    pub db: TestDb,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub async fn new(sites: usize, seed: u64) -> Fixture {
        Fixture::on(Backend::Sqlite, sites, seed).await
    }

    /// A fixture whose store is on `backend`.
    pub async fn on(backend: Backend, sites: usize, seed: u64) -> Fixture {
        let world = simweb::World::generate(&simweb::GenParams { sites, seed });
        Fixture::with_world_on(backend, world).await
    }

    /// A fixture over `world` as given (e.g. with the hostile sites added).
    pub async fn with_world(world: simweb::World) -> Fixture {
        Fixture::with_world_on(Backend::Sqlite, world).await
    }

    async fn with_world_on(backend: Backend, world: simweb::World) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let world = Arc::new(world);
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
        let summary = store::import::import_entities(store.as_ref(), &register, &opts)
            .await
            .unwrap();
        assert_eq!(
            summary.rejected, 0,
            "simweb's register imports cleanly: {summary}"
        );
        Fixture {
            world,
            server,
            store,
            db,
            dir,
        }
    }

    /// Every site of the store (the register's and discovered ones).
    pub async fn all_sites(&self) -> Vec<store::Site> {
        let filter = store::SiteFilter {
            limit: 10_000,
            ..store::SiteFilter::default()
        };
        self.store
            .list_sites(store::Scope::City, &filter)
            .await
            .unwrap()
    }

    pub fn evidence_dir(&self) -> PathBuf {
        self.dir.path().join("warc")
    }

    pub fn config(&self) -> sweep::SweepConfig {
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
        // Rendered probes, as a sweep on a machine with Chromium runs them.
        let render_probes = Some(sweep::probe::RenderProbes::new(
            crawl::browser::BrowserConfig::new(
                crawl::browser::find_browser()
                    .expect("Debian's chromium is needed: apt-get install chromium"),
            ),
            &crawl,
        ));
        sweep::SweepConfig {
            render_probes,
            crawl,
            evidence_dir: self.evidence_dir(),
            warc_max_bytes: 1 << 20,
            software: "wangjian-test".into(),
            progress: false,
            badges: None,
            discovery: sweep::DiscoveryConfig::default(),
            log: Some(sweep::LogConfig {
                dir: self.dir.path().join("log"),
                keys_dir: self.dir.path().join("keys"),
                key_name: "wangjian-test".into(),
                origin: "wangjian.test/log".into(),
                tsa_url: None,
                tsa_root: None,
            }),
        }
    }
}

pub fn warc_path(dir: &Path, file: &str) -> PathBuf {
    dir.join(file)
}
