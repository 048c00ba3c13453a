//! The data directory's layout (WARC evidence, the transparency log, keys, the search index,
//! simweb's files, `wangjian.toml`) and the database the configuration names: by default the
//! SQLite file `wangjian.db` in the directory.

use crate::config::{Config, Source};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::{SqliteStore, Store};

/// Where the records are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server (`postgres://` or `postgresql://` URL).
    Postgres(String),
}

impl Database {
    /// Parses the `database` setting: `sqlite://PATH`, `sqlite:PATH`, a plain path, or a
    /// PostgreSQL URL. A relative SQLite path from the file is relative to the data directory
    /// `root`; from a flag or the environment, to the working directory.
    pub fn parse(value: &str, source: &Source, root: &Path) -> anyhow::Result<Database> {
        let value = value.trim();
        if value.is_empty() {
            bail!("the database setting (from {source}) is empty");
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            return Ok(Database::Postgres(value.to_string()));
        }
        let path = if let Some(rest) = value
            .strip_prefix("sqlite://")
            .or_else(|| value.strip_prefix("sqlite:"))
        {
            rest
        } else if let Some((scheme, _)) = value.split_once("://") {
            bail!(
                "the database URL {:?} (from {source}) has scheme {scheme:?}: use sqlite:// or \
                 postgres://",
                crate::config::redact_password(value)
            );
        } else {
            value
        };
        let path = Path::new(path.split('?').next().unwrap_or(path));
        if path.as_os_str().is_empty() {
            bail!("the database URL {value:?} (from {source}) names no file");
        }
        Ok(Database::Sqlite(match source {
            Source::File(_) if path.is_relative() => root.join(path),
            _ => path.to_path_buf(),
        }))
    }
}

/// Paths inside a data directory, and its database.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
    pub database: Database,
}

impl DataDir {
    pub fn new(root: &Path, config: &Config) -> anyhow::Result<DataDir> {
        Ok(DataDir {
            root: root.to_path_buf(),
            database: Database::parse(&config.database.value, &config.database.source, root)?,
        })
    }

    /// Whether a database may hold records already: the SQLite file exists, or a server is
    /// named (which is asked, not guessed).
    pub fn has_database(&self) -> bool {
        match &self.database {
            Database::Sqlite(path) => path.exists(),
            Database::Postgres(_) => true,
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

    /// Creates the directory (with a commented `wangjian.toml` when it has none) and opens (and
    /// migrates) the store.
    /// Nothing is created when the database cannot be opened.
    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        let store: Arc<dyn Store> = match &self.database {
            Database::Sqlite(path) => {
                std::fs::create_dir_all(&self.root).with_context(|| {
                    format!("cannot create data directory {}", self.root.display())
                })?;
                let store = SqliteStore::open(path)
                    .await
                    .with_context(|| format!("cannot open database {}", path.display()))?;
                Arc::new(store)
            }
            Database::Postgres(_) => bail!("PostgreSQL backend not built in this binary"),
        };
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
        let sqlite = |s: &str| Database::Sqlite(PathBuf::from(s));
        assert_eq!(
            Database::parse("sqlite:///srv/w.db", &flag, root).unwrap(),
            sqlite("/srv/w.db")
        );
        assert_eq!(
            Database::parse("sqlite://w.db?mode=rwc", &flag, root).unwrap(),
            sqlite("w.db")
        );
        assert_eq!(
            Database::parse("w.db", &file, root).unwrap(),
            sqlite("/data/w.db")
        );
        assert_eq!(
            Database::parse("postgres://127.0.0.1/test", &flag, root).unwrap(),
            Database::Postgres("postgres://127.0.0.1/test".into())
        );
        for bad in ["mysql://x/y", "", "sqlite://"] {
            let e = Database::parse(bad, &flag, root).unwrap_err().to_string();
            assert!(e.contains("--database"), "{bad}: {e}");
        }
    }
}
