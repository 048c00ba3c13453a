//! Which database a deployment uses, named by one URL: `sqlite://PATH` (or a bare path) for
//! the embedded default, `postgres://…` for a server.

use crate::{PgStore, Result, SqliteStore, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A parsed database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite database file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH`, `sqlite:PATH`, `postgres://…`, `postgresql://…`, or a plain
    /// file path (SQLite). Any other `scheme://` is an error.
    pub fn parse(s: &str) -> Result<DatabaseUrl> {
        let s = s.trim();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_string()));
        }
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(StoreError::BadUrl(s.to_string()));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if s.is_empty() || s.contains("://") {
            return Err(StoreError::BadUrl(crate::postgres::redact(s)));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(s)))
    }

    /// The SQLite file in `dir` named `file`.
    pub fn sqlite_in(dir: &Path, file: &str) -> DatabaseUrl {
        DatabaseUrl::Sqlite(dir.join(file))
    }

    /// The URL as shown to people (a PostgreSQL password replaced).
    pub fn display(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => crate::postgres::redact(u),
        }
    }
}

/// How much of the database a process keeps in its own memory: SQLite's page cache per
/// connection (PostgreSQL's buffers are the server's: nothing changes there).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Memory {
    /// The console, imports and commands: up to 256 MB of pages per connection (a register of
    /// a million entities has a few hundred MB of indexes that its pages read again and again).
    #[default]
    Ample,
    /// A sweep or a sweep worker: 16 MB per connection. It reads each page's earlier fetch once
    /// and appends what it captured, so a larger cache only fills with pages it will not read
    /// again, and grows with the world it crawls: at 256 MB per connection a sweep's memory grew
    /// with its database (bench/README.md, "crawl.sh --rss-10k and --rss-100k").
    Lean,
}

/// Opens the store the URL names and brings its schema up to date. A server that cannot be
/// reached, or a schema newer than this build, is one error naming the cause; nothing is
/// changed.
pub async fn open(url: &DatabaseUrl) -> Result<Arc<dyn Store>> {
    open_with(url, Memory::default()).await
}

/// [`open`], keeping as much of the database in memory as `memory` allows.
pub async fn open_with(url: &DatabaseUrl, memory: Memory) -> Result<Arc<dyn Store>> {
    Ok(match url {
        DatabaseUrl::Sqlite(path) => Arc::new(SqliteStore::open_with(path, memory).await?),
        DatabaseUrl::Postgres(u) => Arc::new(PgStore::connect(u).await?),
    })
}

/// The store's error for a failed migration run: a database holding a migration this build
/// does not know (written by a newer wangjian) is [`StoreError::SchemaNewer`] (the migrator
/// checks that before it applies anything).
pub(crate) fn schema_error(e: sqlx::migrate::MigrateError, known: i64) -> StoreError {
    match e {
        sqlx::migrate::MigrateError::VersionMissing(found) => {
            StoreError::SchemaNewer { found, known }
        }
        e => StoreError::Migrate(e),
    }
}
