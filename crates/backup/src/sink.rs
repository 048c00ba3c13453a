//! Where a backup's files go: a directory tree, or one tar file (plain or gzip), each file's
//! SHA-256 computed from the bytes as they are written. Must not decide what is copied.

use crate::BackupError;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The form of a backup, from the name it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A directory tree (any name not ending in `.tar`, `.tar.gz` or `.tgz`).
    Dir,
    /// One uncompressed tar file (`.tar`).
    Tar,
    /// One gzip-compressed tar file (`.tar.gz`, `.tgz`).
    TarGz,
}

impl Form {
    pub fn of(path: &Path) -> Form {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Form::TarGz
        } else if name.ends_with(".tar") {
            Form::Tar
        } else {
            Form::Dir
        }
    }
}

/// A file written into a backup: its size and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub size: u64,
    pub sha256: String,
}

/// Counts and hashes what passes through.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    size: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// A tar file's bytes on their way to disk.
pub(crate) enum Out {
    Plain(BufWriter<File>),
    Gz(Box<flate2::write::GzEncoder<BufWriter<File>>>),
}

impl Out {
    /// Writes what is buffered (and gzip's trailer) and hands back the file.
    fn finish(self) -> io::Result<File> {
        let buffered = match self {
            Out::Plain(w) => w,
            Out::Gz(gz) => (*gz).finish()?,
        };
        buffered.into_inner().map_err(|e| e.into_error())
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Out::Plain(w) => w.write(buf),
            Out::Gz(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::Plain(w) => w.flush(),
            Out::Gz(w) => w.flush(),
        }
    }
}

/// The destination being written.
pub(crate) enum Sink {
    Dir {
        root: PathBuf,
    },
    Tar {
        /// The file being written (renamed to `dest` when finished).
        partial: PathBuf,
        dest: PathBuf,
        builder: Box<tar::Builder<Out>>,
    },
}

impl Sink {
    /// Opens the destination: a directory that does not exist or is empty, or a tar file that
    /// does not exist (written under a temporary name beside it, renamed when finished).
    pub(crate) fn create(dest: &Path) -> Result<Sink, BackupError> {
        match Form::of(dest) {
            Form::Dir => {
                if dest.exists() {
                    let mut entries = fs::read_dir(dest).map_err(|e| BackupError::io(dest, e))?;
                    if entries.next().is_some() {
                        return Err(BackupError::DestinationNotEmpty(dest.to_path_buf()));
                    }
                } else {
                    fs::create_dir_all(dest).map_err(|e| BackupError::io(dest, e))?;
                }
                Ok(Sink::Dir {
                    root: dest.to_path_buf(),
                })
            }
            form => {
                if dest.exists() {
                    return Err(BackupError::DestinationExists(dest.to_path_buf()));
                }
                let name = dest
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let partial = dest.with_file_name(format!(".{name}.partial"));
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&partial)
                    .map_err(|e| BackupError::io(&partial, e))?;
                let out = match form {
                    Form::TarGz => Out::Gz(Box::new(flate2::write::GzEncoder::new(
                        BufWriter::new(file),
                        flate2::Compression::fast(),
                    ))),
                    _ => Out::Plain(BufWriter::new(file)),
                };
                let mut builder = tar::Builder::new(out);
                builder.mode(tar::HeaderMode::Deterministic);
                Ok(Sink::Tar {
                    partial,
                    dest: dest.to_path_buf(),
                    builder: Box::new(builder),
                })
            }
        }
    }

    /// Writes `len` bytes of `reader` as the file `rel` (a relative path with `/`) with the
    /// permission bits `mode`: exactly `len`, or [`BackupError::Changed`] (a file that shrank
    /// while it was copied is not taken as it is).
    pub(crate) fn add(
        &mut self,
        rel: &str,
        reader: impl Read,
        len: u64,
        mode: u32,
        source: &Path,
    ) -> Result<Written, BackupError> {
        let mut hashing = Hashing {
            inner: reader.take(len),
            hash: Sha256::new(),
            size: 0,
        };
        match self {
            Sink::Dir { root } => {
                let path = root.join(rel);
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir).map_err(|e| BackupError::io(dir, e))?;
                }
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(|e| BackupError::io(&path, e))?;
                io::copy(&mut hashing, &mut file).map_err(|e| BackupError::io(source, e))?;
                if hashing.size != len {
                    return Err(BackupError::Changed(source.to_path_buf()));
                }
                file.set_permissions(fs::Permissions::from_mode(mode))
                    .and_then(|()| file.sync_all())
                    .map_err(|e| BackupError::io(&path, e))?;
            }
            Sink::Tar { builder, .. } => {
                let mut header = tar::Header::new_ustar();
                header.set_size(len);
                header.set_mode(mode);
                header.set_entry_type(tar::EntryType::Regular);
                // A reader that ends early makes tar fail (it pads nothing it did not read).
                builder
                    .append_data(&mut header, rel, &mut hashing)
                    .map_err(|e| {
                        if hashing.size != len {
                            BackupError::Changed(source.to_path_buf())
                        } else {
                            BackupError::io(source, e)
                        }
                    })?;
                if hashing.size != len {
                    return Err(BackupError::Changed(source.to_path_buf()));
                }
            }
        }
        Ok(Written {
            size: hashing.size,
            sha256: hex::encode(hashing.hash.finalize()),
        })
    }

    /// Writes the last file and makes the backup durable (a tar file gets its final name only
    /// now).
    pub(crate) fn finish(self) -> Result<(), BackupError> {
        match self {
            Sink::Dir { root } => {
                sync_dir(&root);
                Ok(())
            }
            Sink::Tar {
                partial,
                dest,
                builder,
            } => {
                let file = (*builder)
                    .into_inner()
                    .and_then(Out::finish)
                    .map_err(|e| BackupError::io(&partial, e))?;
                file.sync_all().map_err(|e| BackupError::io(&partial, e))?;
                if dest.exists() {
                    return Err(BackupError::DestinationExists(dest));
                }
                fs::rename(&partial, &dest).map_err(|e| BackupError::io(&dest, e))?;
                if let Some(dir) = dest.parent() {
                    sync_dir(dir);
                }
                Ok(())
            }
        }
    }

    /// Removes what a failed backup wrote: a tar file's partial file (a directory's files are
    /// left, without a manifest, so restore refuses them).
    pub(crate) fn abandon(self) {
        if let Sink::Tar { partial, .. } = self {
            let _ = fs::remove_file(partial);
        }
    }
}

/// Makes a directory's entries durable; a failure only weakens durability, it loses nothing.
pub(crate) fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
