//! Integration tests of the store, written against `&dyn Store` so that every backend runs the
//! same suite: each test is an `async fn(TestStore)`, and `on_every_backend!` makes one test of
//! it per backend (`sqlite::NAME`, `postgres::NAME`). SQLite runs on a database file in a
//! temporary directory; PostgreSQL on the server at `postgres://127.0.0.1/test` (or
//! `WANGJIAN_TEST_POSTGRES`), in a schema of its own that is dropped afterwards. A server that
//! cannot be reached fails the PostgreSQL tests; they never skip.

mod backends;
mod badges;
mod campaigns;
mod captures;
mod casework;
mod complaints;
mod credit;
mod credit_lists;
mod custody;
mod dashboard;
mod discovery;
mod import;
mod inspections;
mod maintenance;
mod ops;
mod people;
mod portal;
mod records;
mod register;
mod sampling;
mod scope;
mod sorting;
mod work;

use ::store::testing::TestDb;
use ::store::Store;
use chrono::{DateTime, TimeZone, Utc};
use domain::{DistrictCode, SiteKind, Uscc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Makes one test per backend of each `async fn NAME(store: TestStore)` listed.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::TestStore::new(crate::Backend::Sqlite).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::TestStore::new(crate::Backend::Postgres).await).await
                }
            )*
        }
    };
}
pub(crate) use on_every_backend;

/// 2024-03-01T00:00:00Z, the tests' first instant.
pub const T0: i64 = 1_709_251_200;

pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).unwrap()
}

pub use ::store::testing::Backend;

/// A store on a fresh database whose clock starts at `T0` and ticks one second per reading.
/// Dereferences to `dyn Store`; dropping it removes the database (file or schema).
pub struct TestStore {
    store: Arc<dyn Store>,
    db: TestDb,
}

impl TestStore {
    pub async fn new(backend: Backend) -> TestStore {
        let db = TestDb::new(backend).await;
        let store = Self::open_db(&db).await.expect("the test database opens");
        TestStore { store, db }
    }

    async fn open_db(db: &TestDb) -> ::store::Result<Arc<dyn Store>> {
        let tick = Arc::new(AtomicI64::new(T0));
        db.open(Some(Arc::new(move || {
            at(tick.fetch_add(1, Ordering::SeqCst))
        })))
        .await
    }

    /// Opens the test's database again (as a restarted process would), with a fresh ticking
    /// clock.
    pub async fn open(&self) -> ::store::Result<Arc<dyn Store>> {
        Self::open_db(&self.db).await
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The test database's URL (for a connection behind the store's back).
    pub fn url(&self) -> String {
        self.db.url()
    }

    /// The store, shared (for spawned tasks).
    pub fn shared(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// Runs one statement on the database behind the store's back.
    pub async fn exec_raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        self.db.exec_raw(sql).await
    }
}

impl AsRef<dyn Store> for TestStore {
    fn as_ref(&self) -> &(dyn Store + 'static) {
        self.store.as_ref()
    }
}

impl std::ops::Deref for TestStore {
    type Target = dyn Store;
    fn deref(&self) -> &(dyn Store + 'static) {
        self.store.as_ref()
    }
}

/// A valid USCC registered in Qingxiu district with the given 8-character organisation body.
pub fn uscc(org_body: &str) -> String {
    Uscc::complete("91450103", org_body)
        .expect("valid test parts")
        .to_string()
}

pub fn district(code: &str) -> DistrictCode {
    DistrictCode::parse(code).unwrap()
}

pub fn entity(
    org_body: &str,
    name: &str,
    kind: SiteKind,
    dist: &str,
    domains: &[&str],
) -> ::store::EntityInput {
    ::store::EntityInput {
        domains: domains.iter().map(|d| d.to_string()).collect(),
        ..::store::EntityInput::new(&uscc(org_body), name, kind, district(dist))
    }
}
