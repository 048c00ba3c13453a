//! Integration tests of the store, written against `&dyn Store` so that every backend runs the
//! same suite: `backend()` builds the one under test (SQLite in memory; the PostgreSQL backend
//! adds its own constructor here).

mod custody;
mod import;
mod records;
mod register;

use ::store::{SqliteStore, Store};
use chrono::{DateTime, TimeZone, Utc};
use domain::{DistrictCode, SiteKind, Uscc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// 2024-03-01T00:00:00Z, the tests' first instant.
pub const T0: i64 = 1_709_251_200;

pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).unwrap()
}

/// A store on a fresh database whose clock starts at `T0` and ticks one second per reading.
pub async fn backend() -> Box<dyn Store> {
    let tick = Arc::new(AtomicI64::new(T0));
    let store = SqliteStore::open_in_memory()
        .await
        .expect("in-memory store")
        .with_clock(Arc::new(move || at(tick.fetch_add(1, Ordering::SeqCst))));
    Box::new(store)
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
