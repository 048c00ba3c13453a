//! The data directory's layout: one SQLite database, WARC evidence, simweb's generated files.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::{SqliteStore, Store};

/// Paths inside a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: &Path) -> DataDir {
        DataDir {
            root: root.to_path_buf(),
        }
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("wangjian.db")
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

    /// Creates the directory if needed and opens (and migrates) the store.
    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create data directory {}", self.root.display()))?;
        let store = SqliteStore::open(&self.database())
            .await
            .with_context(|| format!("cannot open database {}", self.database().display()))?;
        Ok(Arc::new(store))
    }
}
