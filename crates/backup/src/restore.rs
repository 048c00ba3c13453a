//! Restoring a backup into a fresh data directory: the manifest read and checked first (format,
//! schema), every file checked against it while it is written into a staging directory beside
//! the target, which becomes the target only when all of them agree. A refused backup leaves
//! nothing behind.
//!
//! Must not: write outside the staging directory and the target, or follow a path of the
//! backup out of them.

use crate::manifest::{FileEntry, Manifest, FORMAT, MANIFEST};
use crate::sink::sync_dir;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// The largest manifest read (a data directory of millions of files stays far below).
const MAX_MANIFEST: u64 = 256 * 1024 * 1024;

/// A backup restored.
#[derive(Debug, Clone)]
pub struct Restored {
    pub dest: PathBuf,
    pub manifest: Manifest,
}

/// Why a backup was not restored (nothing was left in or beside the target).
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("{0} is not empty")]
    TargetNotEmpty(PathBuf),
    #[error("{0} holds no backup manifest ({MANIFEST})")]
    NotABackup(PathBuf),
    #[error("the manifest cannot be read: {0}")]
    Manifest(String),
    #[error("the backup's format {0:?} is not one this build reads")]
    Format(String),
    #[error(
        "the backup's database schema {backup} is newer than this build knows ({known}) on {engine}"
    )]
    NewerSchema {
        engine: &'static str,
        backup: i64,
        known: i64,
    },
    #[error("{path}: {problem}")]
    Mismatch { path: String, problem: Mismatch },
    #[error("{0:?} is not a safe path inside a data directory")]
    UnsafePath(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// How a file of a backup disagrees with its manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("listed in the manifest, missing from the backup")]
    Missing,
    #[error("in the backup, not listed in the manifest")]
    NotListed,
    #[error("{found} bytes, the manifest says {expected}")]
    Size { expected: u64, found: u64 },
    #[error("its SHA-256 differs from the manifest's")]
    Digest,
}

impl Mismatch {
    pub fn code(&self) -> &'static str {
        match self {
            Mismatch::Missing => "missing",
            Mismatch::NotListed => "not-listed",
            Mismatch::Size { .. } => "size",
            Mismatch::Digest => "digest",
        }
    }
}

impl RestoreError {
    fn io(path: &Path, source: io::Error) -> RestoreError {
        RestoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            RestoreError::TargetNotEmpty(_) => "target-not-empty",
            RestoreError::NotABackup(_) => "not-a-backup",
            RestoreError::Manifest(_) => "manifest-unreadable",
            RestoreError::Format(_) => "unknown-format",
            RestoreError::NewerSchema { .. } => "newer-schema",
            RestoreError::Mismatch { .. } => "manifest-mismatch",
            RestoreError::UnsafePath(_) => "unsafe-path",
            RestoreError::Io { .. } => "io",
        }
    }
}

/// What is done with each file of a backup: its relative path, permission bits and bytes.
type EachFile<'a> = dyn FnMut(&str, u32, &mut dyn Read) -> Result<(), RestoreError> + 'a;

/// A backup's files as they are read: a directory tree, or a tar file (gzip or not).
enum Files {
    Dir(PathBuf),
    Tar(PathBuf),
}

impl Files {
    fn open(from: &Path) -> Result<Files, RestoreError> {
        let meta = fs::metadata(from).map_err(|e| RestoreError::io(from, e))?;
        Ok(if meta.is_dir() {
            Files::Dir(from.to_path_buf())
        } else {
            Files::Tar(from.to_path_buf())
        })
    }

    /// Calls `each` with every regular file's relative path, permission bits and bytes.
    fn each(&self, each: &mut EachFile<'_>) -> Result<(), RestoreError> {
        match self {
            Files::Dir(root) => walk(root, root, each),
            Files::Tar(path) => {
                let file = File::open(path).map_err(|e| RestoreError::io(path, e))?;
                let mut file = BufReader::new(file);
                let gz = {
                    use std::io::BufRead;
                    let head = file.fill_buf().map_err(|e| RestoreError::io(path, e))?;
                    head.starts_with(&[0x1f, 0x8b])
                };
                let reader: Box<dyn Read> = if gz {
                    Box::new(flate2::bufread::GzDecoder::new(file))
                } else {
                    Box::new(file)
                };
                let mut archive = tar::Archive::new(reader);
                let entries = archive.entries().map_err(|e| RestoreError::io(path, e))?;
                for entry in entries {
                    let mut entry = entry.map_err(|e| RestoreError::io(path, e))?;
                    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                    match entry.header().entry_type() {
                        tar::EntryType::Regular => {}
                        tar::EntryType::Directory => continue,
                        _ => return Err(RestoreError::UnsafePath(name)),
                    }
                    let mode = entry
                        .header()
                        .mode()
                        .map_err(|e| RestoreError::io(path, e))?;
                    each(&name, mode & 0o777, &mut entry)?;
                }
                Ok(())
            }
        }
    }
}

fn walk(root: &Path, dir: &Path, each: &mut EachFile<'_>) -> Result<(), RestoreError> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| RestoreError::io(dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| RestoreError::io(dir, e))?;
    entries.sort();
    for path in entries {
        let meta = fs::symlink_metadata(&path).map_err(|e| RestoreError::io(&path, e))?;
        let rel = path
            .strip_prefix(root)
            .ok()
            .and_then(|r| r.to_str())
            .map(|r| r.replace('\\', "/"))
            .ok_or_else(|| RestoreError::UnsafePath(path.display().to_string()))?;
        if meta.is_dir() {
            walk(root, &path, each)?;
        } else if meta.is_file() {
            let mut file = File::open(&path).map_err(|e| RestoreError::io(&path, e))?;
            each(&rel, meta.permissions().mode() & 0o7777, &mut file)?;
        } else {
            return Err(RestoreError::UnsafePath(rel));
        }
    }
    Ok(())
}

/// Reads and checks a backup's manifest: its format, and a schema this build knows.
pub fn read_manifest(from: &Path) -> Result<Manifest, RestoreError> {
    let files = Files::open(from)?;
    let bytes = match &files {
        Files::Dir(root) => {
            let path = root.join(MANIFEST);
            let file = File::open(&path).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => RestoreError::NotABackup(from.to_path_buf()),
                _ => RestoreError::io(&path, e),
            })?;
            let mut bytes = Vec::new();
            file.take(MAX_MANIFEST)
                .read_to_end(&mut bytes)
                .map_err(|e| RestoreError::io(&path, e))?;
            Some(bytes)
        }
        Files::Tar(_) => {
            let mut found = None;
            files.each(&mut |name, _, r| {
                if name == MANIFEST {
                    let mut bytes = Vec::new();
                    r.take(MAX_MANIFEST)
                        .read_to_end(&mut bytes)
                        .map_err(|e| RestoreError::io(from, e))?;
                    found = Some(bytes);
                }
                Ok(())
            })?;
            found
        }
    };
    let bytes = bytes.ok_or_else(|| RestoreError::NotABackup(from.to_path_buf()))?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| RestoreError::Manifest(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(RestoreError::Format(manifest.format));
    }
    let known = manifest.engine.known_schema();
    if manifest.schema > known {
        return Err(RestoreError::NewerSchema {
            engine: manifest.engine.code(),
            backup: manifest.schema,
            known,
        });
    }
    Ok(manifest)
}

/// A relative path of a backup, checked: plain names only (no root, `.`, `..` or empty part).
fn safe(rel: &str) -> Result<PathBuf, RestoreError> {
    let path = Path::new(rel);
    let ok = !rel.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(path.to_path_buf())
    } else {
        Err(RestoreError::UnsafePath(rel.to_string()))
    }
}

/// Restores the backup at `from` (a directory or a tar file) into `to`, which must not exist
/// or be an empty directory. The manifest is checked first; then every file is written into a
/// staging directory beside `to` and checked against the manifest (size, SHA-256, nothing
/// missing, nothing more); only then does the staging directory become `to`.
pub fn restore(from: &Path, to: &Path) -> Result<Restored, RestoreError> {
    let fresh = match fs::read_dir(to) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => true,
        Err(e) => return Err(RestoreError::io(to, e)),
    };
    if !fresh {
        return Err(RestoreError::TargetNotEmpty(to.to_path_buf()));
    }
    let manifest = read_manifest(from)?;
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| RestoreError::UnsafePath(to.display().to_string()))?;
    let staging = to.with_file_name(format!(".{name}.restoring-{}", std::process::id()));
    if let Some(parent) = staging.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| RestoreError::io(parent, e))?;
    }
    fs::create_dir(&staging).map_err(|e| RestoreError::io(&staging, e))?;
    let result = unpack(from, &staging, &manifest).and_then(|()| {
        if to.exists() {
            fs::remove_dir(to).map_err(|e| RestoreError::io(to, e))?;
        }
        fs::rename(&staging, to).map_err(|e| RestoreError::io(to, e))?;
        if let Some(parent) = to.parent() {
            sync_dir(parent);
        }
        Ok(())
    });
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    Ok(Restored {
        dest: to.to_path_buf(),
        manifest,
    })
}

/// Writes every file of the backup into `staging`, each checked against the manifest.
fn unpack(from: &Path, staging: &Path, manifest: &Manifest) -> Result<(), RestoreError> {
    let mut listed: HashMap<&str, &FileEntry> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    let files = Files::open(from)?;
    files.each(&mut |rel, _mode, reader| {
        if rel == MANIFEST {
            return Ok(());
        }
        let entry = listed.remove(rel).ok_or_else(|| RestoreError::Mismatch {
            path: rel.to_string(),
            problem: Mismatch::NotListed,
        })?;
        let path = staging.join(safe(rel)?);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| RestoreError::io(dir, e))?;
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| RestoreError::io(&path, e))?;
        let mut hash = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| RestoreError::io(from, e))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > entry.size {
                return Err(RestoreError::Mismatch {
                    path: rel.to_string(),
                    problem: Mismatch::Size {
                        expected: entry.size,
                        found: size,
                    },
                });
            }
            hash.update(&buf[..n]);
            file.write_all(&buf[..n])
                .map_err(|e| RestoreError::io(&path, e))?;
        }
        if size != entry.size {
            return Err(RestoreError::Mismatch {
                path: rel.to_string(),
                problem: Mismatch::Size {
                    expected: entry.size,
                    found: size,
                },
            });
        }
        if hex::encode(hash.finalize()) != entry.sha256 {
            return Err(RestoreError::Mismatch {
                path: rel.to_string(),
                problem: Mismatch::Digest,
            });
        }
        file.set_permissions(fs::Permissions::from_mode(entry.mode & 0o777))
            .and_then(|()| file.sync_all())
            .map_err(|e| RestoreError::io(&path, e))?;
        Ok(())
    })?;
    if let Some(path) = manifest
        .files
        .iter()
        .map(|f| f.path.as_str())
        .find(|p| listed.contains_key(p))
    {
        return Err(RestoreError::Mismatch {
            path: path.to_string(),
            problem: Mismatch::Missing,
        });
    }
    Ok(())
}
