//! The data directory's layout (WARC evidence, the transparency log, keys, the search index,
//! simweb's files, `wangjian.toml`) and the database the configuration names: by default the
//! SQLite file `wangjian.db` in the directory.

use crate::config::{Config, Source};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::{DatabaseUrl, Store};

/// The database the `database` setting names (see [`DatabaseUrl::parse`]). A relative SQLite
/// path from the file is relative to the data directory `root`; from a flag or the
/// environment, to the working directory.
pub fn database_url(value: &str, source: &Source, root: &Path) -> anyhow::Result<DatabaseUrl> {
    let url = DatabaseUrl::parse(value)
        .with_context(|| format!("the database setting (from {source})"))?;
    Ok(match url {
        DatabaseUrl::Sqlite(path) if matches!(source, Source::File(_)) && path.is_relative() => {
            DatabaseUrl::Sqlite(root.join(path))
        }
        url => url,
    })
}

/// Paths inside a data directory, and its database.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
    pub database: DatabaseUrl,
}

impl DataDir {
    pub fn new(root: &Path, config: &Config) -> anyhow::Result<DataDir> {
        Ok(DataDir {
            root: root.to_path_buf(),
            database: database_url(&config.database.value, &config.database.source, root)?,
        })
    }

    /// Whether a database may hold records already: the SQLite file exists, or a server is
    /// named (which is asked, not guessed).
    pub fn has_database(&self) -> bool {
        match &self.database {
            DatabaseUrl::Sqlite(path) => path.exists(),
            DatabaseUrl::Postgres(_) => true,
        }
    }

    pub fn evidence(&self) -> PathBuf {
        self.root.join("warc")
    }

    /// The transparency log of every stored WARC record.
    pub fn log(&self) -> PathBuf {
        self.root.join("log")
    }

    /// Signing keys (private halves mode 0600; public halves are published by the console).
    pub fn keys(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// The deployment's own source mappings for `import filings` (`NAME.toml`).
    pub fn mappings(&self) -> PathBuf {
        self.root.join("mappings")
    }

    /// The search index (derived from the database and the evidence; rebuilt when missing).
    pub fn search(&self) -> PathBuf {
        self.root.join("search")
    }

    pub fn simweb(&self) -> PathBuf {
        self.root.join("simweb")
    }

    /// Field inspections' photos and scans, each under its SHA-256 (`<aa>/<hex>`).
    pub fn attachments(&self) -> PathBuf {
        self.root.join("attachments")
    }

    /// Creates the directory (with a commented `wangjian.toml` when it has none) and opens (and
    /// migrates) the store.
    /// Nothing is created when the database cannot be opened.
    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        self.open_store_with(store::Memory::default()).await
    }

    /// [`DataDir::open_store`], keeping as much of the database in memory as `memory` allows
    /// (a sweep: [`store::Memory::Lean`]).
    pub async fn open_store_with(&self, memory: store::Memory) -> anyhow::Result<Arc<dyn Store>> {
        // Nothing is created before the database opened: a SQLite file needs its directory,
        // a server does not.
        if let DatabaseUrl::Sqlite(path) = &self.database {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create directory {}", dir.display()))?;
            }
        }
        let store = match &self.database {
            // The server's errors name its URL already.
            DatabaseUrl::Postgres(_) => store::open_with(&self.database, memory).await?,
            DatabaseUrl::Sqlite(path) => store::open_with(&self.database, memory)
                .await
                .with_context(|| format!("cannot open database {}", path.display()))?,
        };
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create data directory {}", self.root.display()))?;
        crate::config::write_default(&self.root)?;
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_settings_parse_to_a_backend() {
        let root = Path::new("/data");
        let file = Source::File(root.join("wangjian.toml"));
        let flag = Source::Flag("--database");
        let sqlite = |s: &str| DatabaseUrl::Sqlite(PathBuf::from(s));
        assert_eq!(
            database_url("sqlite:///srv/w.db", &flag, root).unwrap(),
            sqlite("/srv/w.db")
        );
        assert_eq!(
            database_url("sqlite://w.db?mode=rwc", &flag, root).unwrap(),
            sqlite("w.db")
        );
        assert_eq!(
            database_url("w.db", &file, root).unwrap(),
            sqlite("/data/w.db")
        );
        assert_eq!(
            database_url("postgres://127.0.0.1/test", &flag, root).unwrap(),
            DatabaseUrl::Postgres("postgres://127.0.0.1/test".into())
        );
        for bad in ["mysql://x/y", "", "sqlite://"] {
            let e = format!("{:#}", database_url(bad, &flag, root).unwrap_err());
            assert!(e.contains("--database"), "{bad}: {e}");
        }
    }
}
