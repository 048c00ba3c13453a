//! One sweep at a time per data directory: an exclusive lock on `sweep.lock` in the data
//! directory, held while a sweep (of any kind) runs, whether `wangjian sweep` runs it by hand
//! or the scheduler inside `serve`. The operating system releases the lock when the holder
//! ends, however it ends, so a killed sweep never leaves a stale lock behind. The file names
//! who holds it, for the refusal.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "sweep.lock";

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process (or task) sweeps in this data directory.
    #[error("another sweep runs in this data directory ({holder})")]
    Busy { holder: String },
    #[error("cannot open the sweep lock {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct SweepLock {
    file: File,
    path: PathBuf,
}

impl SweepLock {
    /// Takes the lock now, or says who holds it. `holder` names this holder (written into the
    /// file while it holds the lock).
    pub fn try_acquire(data_dir: &Path, holder: &str) -> Result<SweepLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = text.trim();
                return Err(LockError::Busy {
                    holder: if holder.is_empty() {
                        "unknown".to_string()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let note = format!("pid {} {holder}", std::process::id());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| file.write_all(note.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(io)?;
        Ok(SweepLock { file, path })
    }

    /// Takes the lock, waiting (polling every `every`) while another holder has it.
    pub async fn acquire(
        data_dir: &Path,
        holder: &str,
        every: Duration,
    ) -> Result<SweepLock, LockError> {
        loop {
            match Self::try_acquire(data_dir, holder) {
                Err(LockError::Busy { holder: other }) => {
                    tracing::info!(holder = %other, "waiting for the sweep running in this data directory");
                    tokio::time::sleep(every).await;
                }
                other => return other,
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SweepLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = SweepLock::try_acquire(dir.path(), "serve (city)").unwrap();
        match SweepLock::try_acquire(dir.path(), "sweep by hand") {
            Err(LockError::Busy { holder }) => {
                assert!(holder.ends_with("serve (city)"), "{holder}");
                assert!(holder.starts_with("pid "), "{holder}");
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(first);
        let again = SweepLock::try_acquire(dir.path(), "sweep by hand").unwrap();
        assert_eq!(again.path(), dir.path().join(LOCK_FILE));
    }
}
