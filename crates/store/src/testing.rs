//! Databases for tests, on every backend (cargo feature `testing`, for dev-dependencies
//! only). SQLite: a database file in a temporary directory. PostgreSQL: a schema of its own on
//! the server at `postgres://127.0.0.1/test` (or `WANGJIAN_TEST_POSTGRES`), dropped when the
//! [`TestDb`] is. A server that cannot be reached is a panic naming it: such a test fails, it
//! never skips.

use crate::{Clock, DatabaseUrl, PgStore, Result, SqliteStore, Store};
use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// A backend of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

/// The PostgreSQL server tests use.
pub fn postgres_url() -> String {
    std::env::var("WANGJIAN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://127.0.0.1/test".to_string())
}

/// A fresh, empty database of one backend; removed when dropped.
pub struct TestDb {
    place: Place,
}

enum Place {
    Sqlite(tempfile::TempDir),
    Postgres { schema: String },
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let place = match backend {
            Backend::Sqlite => Place::Sqlite(tempfile::tempdir().expect("a temporary directory")),
            Backend::Postgres => {
                static N: AtomicU32 = AtomicU32::new(0);
                let schema = format!(
                    "wjtest_{}_{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                );
                let mut raw = raw_pg(&postgres_url()).await;
                for sql in [
                    format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
                    format!("CREATE SCHEMA {schema}"),
                ] {
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut raw)
                        .await
                        .expect("a test schema");
                }
                Place::Postgres { schema }
            }
        };
        TestDb { place }
    }

    pub fn backend(&self) -> Backend {
        match self.place {
            Place::Sqlite(_) => Backend::Sqlite,
            Place::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The database's URL, as `--database` takes it (for PostgreSQL with the test's schema as
    /// search path).
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

    /// Opens the database (again, as a restarted process would), with `clock` when given.
    pub async fn open(&self, clock: Option<Clock>) -> Result<Arc<dyn Store>> {
        Ok(match DatabaseUrl::parse(&self.url())? {
            DatabaseUrl::Sqlite(path) => {
                let s = SqliteStore::open(&path).await?;
                Arc::new(match clock {
                    Some(c) => s.with_clock(c),
                    None => s,
                })
            }
            DatabaseUrl::Postgres(url) => {
                let s = PgStore::connect(&url).await?;
                Arc::new(match clock {
                    Some(c) => s.with_clock(c),
                    None => s,
                })
            }
        })
    }

    /// Runs one statement on the database behind the store's back (a raw connection).
    pub async fn exec_raw(&self, sql: &str) -> std::result::Result<u64, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match &self.place {
            Place::Sqlite(dir) => {
                let url = format!("sqlite://{}", dir.path().join("t.db").display());
                let mut c = sqlx::SqliteConnection::connect(&url).await?;
                let n = sqlx::query(sql).execute(&mut c).await?.rows_affected();
                c.close().await?;
                Ok(n)
            }
            Place::Postgres { .. } => {
                let opts = crate::pg_connect_options(&self.url()).expect("a valid URL");
                let mut c = sqlx::PgConnection::connect_with(&opts).await?;
                let n = sqlx::query(sql).execute(&mut c).await?.rows_affected();
                c.close().await?;
                Ok(n)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Place::Postgres { schema } = &self.place {
            // The test's runtime may be shutting down: drop the schema from a thread of its own.
            let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
            let done = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                rt.block_on(async {
                    let mut raw = raw_pg(&postgres_url()).await;
                    sqlx::query(sqlx::AssertSqlSafe(sql))
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
    let opts = crate::pg_connect_options(url).expect("a valid URL");
    sqlx::PgConnection::connect_with(&opts)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL at {url} is needed by this test and cannot be reached: {e}")
        })
}
