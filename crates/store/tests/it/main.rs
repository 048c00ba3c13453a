//! Integration tests of the store, written against `&dyn Store` so that every backend runs the
//! same suite: each test is an `async fn(TestStore)`, and `on_every_backend!` makes one test of
//! it per backend (`sqlite::NAME`, `postgres::NAME`). SQLite runs on a database file in a
//! temporary directory; PostgreSQL on the server at `postgres://127.0.0.1/test` (or
//! `WANGJIAN_TEST_POSTGRES`), in a schema of its own that is dropped afterwards. A server that
//! cannot be reached fails the PostgreSQL tests; they never skip.

mod backends;
mod custody;
mod import;
mod records;
mod register;

use ::store::{PgStore, SqliteStore, Store};
use chrono::{DateTime, TimeZone, Utc};
use domain::{DistrictCode, SiteKind, Uscc};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests use.
pub fn postgres_url() -> String {
    std::env::var("WANGJIAN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://127.0.0.1/test".to_string())
}

/// A store on a fresh database whose clock starts at `T0` and ticks one second per reading.
/// Dereferences to `dyn Store`; dropping it removes the database (file or schema).
pub struct TestStore {
    store: Arc<dyn Store>,
    place: Place,
}

enum Place {
    Sqlite(tempfile::TempDir),
    Postgres { schema: String },
}

impl TestStore {
    pub async fn new(backend: Backend) -> TestStore {
        let place = match backend {
            Backend::Sqlite => Place::Sqlite(tempfile::tempdir().unwrap()),
            Backend::Postgres => {
                static N: AtomicU32 = AtomicU32::new(0);
                let schema = format!(
                    "wjtest_{}_{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                );
                let mut raw = raw_pg(&postgres_url()).await;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .execute(&mut raw)
                .await
                .unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&mut raw)
                    .await
                    .unwrap();
                Place::Postgres { schema }
            }
        };
        let mut t = TestStore {
            store: Arc::new(SqliteStore::open_in_memory().await.unwrap()),
            place,
        };
        t.store = t.open().await.expect("the test database opens");
        t
    }

    /// The URL of this test's database (for PostgreSQL with its schema as search path).
    pub fn url(&self) -> String {
        match &self.place {
            Place::Sqlite(dir) => format!("sqlite://{}", dir.path().join("t.db").display()),
            Place::Postgres { schema } => {
                let base = postgres_url();
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}options=-c%20search_path%3D{schema}")
            }
        }
    }

    /// Opens the test's database again (as a restarted process would), with a fresh ticking
    /// clock.
    pub async fn open(&self) -> ::store::Result<Arc<dyn Store>> {
        let tick = Arc::new(AtomicI64::new(T0));
        let clock: ::store::Clock = Arc::new(move || at(tick.fetch_add(1, Ordering::SeqCst)));
        Ok(match &self.place {
            Place::Sqlite(dir) => Arc::new(
                SqliteStore::open(&dir.path().join("t.db"))
                    .await?
                    .with_clock(clock),
            ),
            Place::Postgres { .. } => {
                Arc::new(PgStore::connect(&self.url()).await?.with_clock(clock))
            }
        })
    }

    pub fn backend(&self) -> Backend {
        match self.place {
            Place::Sqlite(_) => Backend::Sqlite,
            Place::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The store, shared (for spawned tasks).
    pub fn shared(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// Runs one statement on the database behind the store's back (a raw connection).
    pub async fn exec_raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match &self.place {
            Place::Sqlite(dir) => {
                use sqlx::Connection;
                let mut c = sqlx::SqliteConnection::connect(&format!(
                    "sqlite://{}",
                    dir.path().join("t.db").display()
                ))
                .await?;
                let n = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await?
                    .rows_affected();
                c.close().await?;
                Ok(n)
            }
            Place::Postgres { .. } => {
                use sqlx::Connection;
                let opts = ::store::pg_connect_options(&self.url()).unwrap();
                let mut c = sqlx::PgConnection::connect_with(&opts).await?;
                let n = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await?
                    .rows_affected();
                c.close().await?;
                Ok(n)
            }
        }
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

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Place::Postgres { schema } = &self.place {
            // The test's runtime may be shutting down: drop the schema from a thread of its own.
            let schema = schema.clone();
            let done = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let mut raw = raw_pg(&postgres_url()).await;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE"
                    )))
                    .execute(&mut raw)
                    .await
                })
            })
            .join();
            if !matches!(done, Ok(Ok(_))) && !std::thread::panicking() {
                panic!("could not drop the test schema");
            }
        }
    }
}

async fn raw_pg(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    let opts = ::store::pg_connect_options(url).unwrap();
    sqlx::PgConnection::connect_with(&opts)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL at {url} is needed for the store tests and cannot be reached: {e}")
        })
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
