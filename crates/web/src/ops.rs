//! The probes an operator's supervisor asks (the console's and the portal's): `/healthz`, the
//! process is up and answering (200 `ok`, nothing else looked at), and `/readyz`, it can do its
//! work: the database answers a trivial query within [`READY_TIMEOUT`], holds exactly this
//! build's migrations, and the data directories that must take writes are writable, or can be
//! made where they are not yet (200, else 503 with a JSON body naming each check that failed
//! by its code).
//!
//! No login, no personal data, no detail an attacker could use (error texts go to the log, the
//! body names checks only), and no write: writability is asked of the operating system
//! (`access(2)`, `W_OK`: a read-only mount or missing permission fails), never tried by writing.
//! They are reached through the transport like every other route (loopback, TLS or the trusted
//! proxy, the `Host` allow-list).

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use store::Store;

/// The probes' paths (the portal does not count them as visits).
pub const PROBES: [&str; 2] = ["/healthz", "/readyz"];

/// How long the database may take to answer the readiness query before it counts as down.
pub const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// A readiness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The database answered the trivial query in time.
    Database,
    /// It holds exactly this build's migrations.
    Migrations,
    /// The data directories that take writes are writable.
    DataDir,
}

impl Check {
    pub fn code(self) -> &'static str {
        match self {
            Check::Database => "database",
            Check::Migrations => "migrations",
            Check::DataDir => "data_dir",
        }
    }
}

/// What `/readyz` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    /// The checks that failed (empty when ready).
    pub failed: Vec<Check>,
}

/// Runs the checks: the database (and its migrations) of `store`, and `writable`.
pub async fn readiness(store: &dyn Store, writable: &[PathBuf]) -> Readiness {
    let mut failed = Vec::new();
    match tokio::time::timeout(READY_TIMEOUT, store.schema_state()).await {
        Ok(Ok(schema)) if schema.current() => {}
        Ok(Ok(schema)) => {
            tracing::warn!(
                applied = schema.applied,
                known = schema.known,
                "readyz: the database's migrations are not this build's"
            );
            failed.push(Check::Migrations);
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readyz: the database cannot be read");
            failed.push(Check::Database);
        }
        Err(_) => {
            tracing::warn!(
                "readyz: the database did not answer within {}s",
                READY_TIMEOUT.as_secs()
            );
            failed.push(Check::Database);
        }
    }
    if let Some(dir) = writable.iter().find(|d| !writable_dir(d)) {
        tracing::warn!(dir = %dir.display(), "readyz: a data directory is not writable");
        failed.push(Check::DataDir);
    }
    Readiness {
        status: if failed.is_empty() {
            "ready"
        } else {
            "not_ready"
        },
        failed,
    }
}

/// Whether this process may write in `dir`, as the operating system says (no file is made):
/// a directory it may create files in, or — not made yet (a data directory before its first
/// sweep has no `warc/`) — one its parent directory lets it create. Anything else at that path
/// (a plain file, a dangling link) or a parent that is missing or read-only fails.
fn writable_dir(dir: &Path) -> bool {
    let may_write =
        |d: &Path| d.is_dir() && rustix::fs::access(d, rustix::fs::Access::WRITE_OK).is_ok();
    match std::fs::symlink_metadata(dir) {
        Ok(_) => may_write(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => dir.parent().is_some_and(may_write),
        Err(_) => false,
    }
}

/// `GET /healthz`: 200 `ok` while the process answers.
pub(crate) async fn healthz() -> Response {
    no_store((StatusCode::OK, "ok\n").into_response())
}

/// The answer of `/readyz` for `r`.
pub(crate) fn ready_response(r: &Readiness) -> Response {
    let status = if r.failed.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    no_store((status, axum::Json(r)).into_response())
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /readyz` of the console.
pub(crate) async fn readyz(
    axum::extract::State(app): axum::extract::State<crate::Shared>,
) -> Response {
    ready_response(&readiness(app.store.as_ref(), &app.ops.writable).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_writable_or_creatable_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        assert!(writable_dir(dir.path()));
        // Not made yet, in a writable directory: it can be.
        assert!(writable_dir(&dir.path().join("warc")));
        assert!(!writable_dir(&dir.path().join("missing/warc")));
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        assert!(!writable_dir(&file));
        assert!(!writable_dir(&file.join("warc")));
        let before = std::fs::read_dir(dir.path()).unwrap().count();
        writable_dir(&dir.path().join("log"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), before);
    }
}
