//! The credit crate's one integration-test binary. Tests that need a store run on every
//! backend (`on_every_backend!`: SQLite in a temporary file, PostgreSQL at 127.0.0.1).

mod rescoring;

use std::sync::Arc;
use store::testing::{Backend, TestDb};
use store::Store;

/// Makes one test per backend of each `async fn NAME(db: Db)` listed.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::Db::new(crate::Backend::Sqlite).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::Db::new(crate::Backend::Postgres).await).await
                }
            )*
        }
    };
}
pub(crate) use on_every_backend;

/// A fresh database with its store (real clock).
pub struct Db {
    pub db: TestDb,
    pub store: Arc<dyn Store>,
}

impl Db {
    pub async fn new(backend: Backend) -> Db {
        let db = TestDb::new(backend).await;
        let store = db.open(None).await.expect("the test database opens");
        Db { db, store }
    }

    pub async fn exec(&self, sql: &str) {
        self.db
            .exec_raw(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}
