//! Integration tests of the badge crate, each on both engines (`on_every_backend!`): proofs by
//! the well-known file against simweb served on loopback and by DNS TXT against a
//! hickory-server the test starts on a loopback UDP port; refused applications storing nothing;
//! issue, the token and the verification; the rules that suspend and reinstate.

mod proofs;
mod rules;

use chrono::{DateTime, TimeZone, Utc};
use domain::{DistrictCode, SiteKind, Uscc};
use std::sync::Arc;
use store::prelude::*;
use store::testing::{Backend, TestDb};
use store::{Actor, Entity, EntityInput, Scope};

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

/// A fresh database and its store (dropped with the database).
pub struct Db {
    pub store: Arc<dyn Store>,
    _db: TestDb,
}

impl Db {
    pub async fn new(backend: Backend) -> Db {
        let db = TestDb::new(backend).await;
        let store = db.open(None).await.expect("the test database opens");
        Db { store, _db: db }
    }

    /// Registers an entity in 青秀区 with the given organisation body and domain.
    pub async fn entity(&self, org_body: &str, name: &str, domain: &str) -> Entity {
        let uscc = Uscc::complete("91450103", org_body).unwrap().to_string();
        let input = EntityInput {
            domains: vec![domain.to_string()],
            ..EntityInput::new(
                &uscc,
                name,
                SiteKind::TradingSite,
                DistrictCode::parse("450103").unwrap(),
            )
        };
        self.store.upsert_entities(&[input], "test").await.unwrap();
        self.store
            .entity_by_uscc(Scope::City, &uscc)
            .await
            .unwrap()
            .unwrap()
    }
}

pub fn cli() -> Actor {
    Actor::system("cli:test")
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
}
