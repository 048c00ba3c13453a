//! Evidence on S3-compatible object storage: finished WARC files as immutable objects.
//!
//! A WARC file is uploaded once it is finished — no writer appends to it again — as the
//! object `<prefix>/<file name>`, through a multipart upload ([`Objects::upload`]), and is
//! never rewritten: an object already there with the file's size is taken as uploaded, one of
//! another size is refused ([`ObjectsError::Differs`]); after an upload the object's size is
//! read back and compared. Objects are read back by byte range ([`Objects::read_range`]) or
//! whole ([`Objects::download`]), and listed ([`Objects::list`]).
//!
//! The S3 protocol (SigV4 signing, multipart uploads, listing, retries) is `object_store`'s;
//! its HTTP connections are this crate's ([`http`]): hyper over TCP, and for `https` rustls
//! (ring) checking the server against Mozilla's roots. Local disk stays where evidence is
//! written; the object store is where finished files are kept.

pub mod finished;
pub mod http;
#[cfg(feature = "testing")]
pub mod testing;

pub use finished::{keep_uploading, upload_finished, FileOutcome};

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Size of an upload's parts (S3 asks at least 5 MiB for every part but the last).
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// Parts of one upload in flight at once.
const PARTS_IN_FLIGHT: usize = 4;

/// Where finished WARC files are kept (`[objects]` in `wangjian.toml`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ObjectsConfig {
    /// The S3 endpoint: `https://s3.example.com`, or `http://…` on a trusted network.
    pub endpoint: String,
    /// The bucket, which must exist.
    pub bucket: String,
    /// The key prefix of the WARC files (`warc` by default; no leading or trailing `/`).
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// The region the endpoint signs for (`us-east-1` by default, as most S3-compatible
    /// servers expect).
    #[serde(default = "default_region")]
    pub region: String,
    /// The access key (wangjian's configuration takes the environment's `AWS_ACCESS_KEY_ID`
    /// when the file has none).
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// The secret key (likewise from `AWS_SECRET_ACCESS_KEY`: keep it out of the file where
    /// you can).
    #[serde(default)]
    pub secret_access_key: Option<String>,
    /// How often `serve` uploads the finished files by itself, in seconds (600 by default;
    /// 0: never, only `wangjian evidence upload` and the console's form do).
    #[serde(default = "default_upload_every")]
    pub upload_every_secs: u64,
}

fn default_upload_every() -> u64 {
    600
}

fn default_prefix() -> String {
    "warc".into()
}

fn default_region() -> String {
    "us-east-1".into()
}

/// What went wrong, with the object or file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum ObjectsError {
    /// The settings cannot work (no credentials, a bad endpoint or prefix).
    #[error("object storage settings: {0}")]
    Config(String),
    /// The object store refused or failed a request.
    #[error("object storage {at}: {source}")]
    Store {
        at: String,
        #[source]
        source: object_store::Error,
    },
    /// The object does not exist.
    #[error("object storage {at}: no such object")]
    NotFound { at: String },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An object of that name holds other bytes: objects are never overwritten.
    #[error(
        "object storage {at}: the object has {stored} bytes and the file {local}: \
         an object is never overwritten"
    )]
    Differs { at: String, stored: u64, local: u64 },
    /// The object's size after an upload is not the file's.
    #[error("object storage {at}: {stored} bytes stored after the upload of {local}")]
    Incomplete { at: String, stored: u64, local: u64 },
    /// The name is not a WARC file's (`….warc.gz` or `….warc`, no `/`).
    #[error("{0:?}: not the name of a WARC file")]
    BadName(String),
}

impl ObjectsError {
    /// A stable code for the kind of failure (the console words it).
    pub fn code(&self) -> &'static str {
        match self {
            ObjectsError::Config(_) => "config",
            ObjectsError::Store { .. } => "store",
            ObjectsError::NotFound { .. } => "not_found",
            ObjectsError::Io { .. } => "io",
            ObjectsError::Differs { .. } => "differs",
            ObjectsError::Incomplete { .. } => "incomplete",
            ObjectsError::BadName(_) => "bad_name",
        }
    }
}

/// A WARC file kept in the object store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredObject {
    /// The file name (the key without the prefix).
    pub name: String,
    pub size: u64,
    pub modified: chrono::DateTime<chrono::Utc>,
}

/// What [`Objects::upload`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub name: String,
    pub size: u64,
    /// The object was there already with the file's size; nothing was sent.
    pub already: bool,
}

/// Bytes a [`RangeReader`] fetches per ranged GET.
pub const READ_CHUNK: u64 = 256 * 1024;

/// A blocking [`std::io::Read`] of an object from an offset, by ranged GETs of [`READ_CHUNK`]
/// bytes run on a runtime's handle: what readers of WARC records read an object through, on a
/// blocking thread ([`Objects::reader_at`]).
pub struct RangeReader {
    objects: Objects,
    name: String,
    pos: u64,
    size: u64,
    handle: tokio::runtime::Handle,
    buf: Bytes,
}

impl std::io::Read for RangeReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.buf.is_empty() {
            if self.pos >= self.size || out.is_empty() {
                return Ok(0);
            }
            let end = (self.pos + READ_CHUNK).min(self.size);
            self.buf = self
                .handle
                .block_on(self.objects.read_range(&self.name, self.pos..end))
                .map_err(std::io::Error::other)?;
            if self.buf.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the object ended before its size",
                ));
            }
            self.pos += self.buf.len() as u64;
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf.split_to(n));
        Ok(n)
    }
}

/// A bucket (and prefix) of an S3-compatible object store.
#[derive(Debug, Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    prefix: String,
}

impl Objects {
    /// Connects lazily (no request is made here): the first request says whether the
    /// endpoint, bucket and credentials work.
    pub fn connect(config: &ObjectsConfig) -> Result<Objects, ObjectsError> {
        let endpoint = url::Url::parse(&config.endpoint)
            .map_err(|e| ObjectsError::Config(format!("endpoint {:?}: {e}", config.endpoint)))?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() {
            return Err(ObjectsError::Config(format!(
                "endpoint {:?}: an http:// or https:// URL with a host",
                config.endpoint
            )));
        }
        let prefix = config.prefix.trim_matches('/').to_string();
        if prefix
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        {
            return Err(ObjectsError::Config(format!(
                "prefix {:?}: non-empty path segments",
                config.prefix
            )));
        }
        let key_id = config.access_key_id.clone().ok_or_else(|| {
            ObjectsError::Config(
                "no access key: set objects.access_key_id or AWS_ACCESS_KEY_ID".into(),
            )
        })?;
        let secret = config.secret_access_key.clone().ok_or_else(|| {
            ObjectsError::Config(
                "no secret key: set AWS_SECRET_ACCESS_KEY (or objects.secret_access_key)".into(),
            )
        })?;
        let store = AmazonS3Builder::new()
            .with_endpoint(config.endpoint.trim_end_matches('/'))
            .with_allow_http(endpoint.scheme() == "http")
            .with_virtual_hosted_style_request(false)
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(key_id)
            .with_secret_access_key(secret)
            .with_http_connector(http::Connector::new())
            .with_retry(object_store::RetryConfig {
                max_retries: 4,
                retry_timeout: std::time::Duration::from_secs(60),
                ..Default::default()
            })
            .build()
            .map_err(|source| ObjectsError::Store {
                at: config.endpoint.clone(),
                source,
            })?;
        Ok(Objects {
            store: Arc::new(store),
            bucket: config.bucket.clone(),
            prefix,
        })
    }

    /// `s3://bucket/prefix`, for messages.
    pub fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// `s3://bucket/prefix/name`.
    pub fn url_of(&self, name: &str) -> String {
        format!("{}/{name}", self.describe())
    }

    fn key(&self, name: &str) -> Result<Key, ObjectsError> {
        let ok = !name.contains('/')
            && !name.starts_with('.')
            && (name.ends_with(".warc.gz") || name.ends_with(".warc"));
        if !ok {
            return Err(ObjectsError::BadName(name.to_string()));
        }
        Key::parse(format!("{}/{name}", self.prefix))
            .map_err(|_| ObjectsError::BadName(name.to_string()))
    }

    fn failed(&self, name: &str) -> impl Fn(object_store::Error) -> ObjectsError + '_ {
        let at = self.url_of(name);
        move |source| match source {
            object_store::Error::NotFound { .. } => ObjectsError::NotFound { at: at.clone() },
            source => ObjectsError::Store {
                at: at.clone(),
                source,
            },
        }
    }

    /// The size of object `name`, `None` when there is none.
    pub async fn size_of(&self, name: &str) -> Result<Option<u64>, ObjectsError> {
        match self.store.head(&self.key(name)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.failed(name)(e)),
        }
    }

    /// Uploads the finished WARC file `file` as the object of its name, once: an object there
    /// already with the same size is left as it is.
    pub async fn upload(&self, file: &Path) -> Result<Uploaded, ObjectsError> {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| ObjectsError::BadName(file.display().to_string()))?
            .to_string();
        let key = self.key(&name)?;
        let io = |source| ObjectsError::Io {
            path: file.to_path_buf(),
            source,
        };
        let mut reader = tokio::fs::File::open(file).await.map_err(io)?;
        let local = reader.metadata().await.map_err(io)?.len();
        if let Some(stored) = self.size_of(&name).await? {
            if stored == local {
                return Ok(Uploaded {
                    name,
                    size: local,
                    already: true,
                });
            }
            return Err(ObjectsError::Differs {
                at: self.url_of(&name),
                stored,
                local,
            });
        }
        let failed = self.failed(&name);
        if local <= PART_BYTES as u64 {
            // One part's worth (a worker's file ended at every flush): one PUT, not three
            // requests of a multipart upload.
            let mut bytes = Vec::with_capacity(local as usize);
            reader.read_to_end(&mut bytes).await.map_err(io)?;
            self.store
                .put(&key, object_store::PutPayload::from(bytes))
                .await
                .map_err(&failed)?;
        } else {
            self.upload_parts(&name, &key, file, reader).await?;
        }
        let stored = self.size_of(&name).await?.unwrap_or(0);
        if stored != local {
            return Err(ObjectsError::Incomplete {
                at: self.url_of(&name),
                stored,
                local,
            });
        }
        Ok(Uploaded {
            name,
            size: local,
            already: false,
        })
    }

    /// Sends `reader` as object `key` by a multipart upload of [`PART_BYTES`] parts,
    /// [`PARTS_IN_FLIGHT`] at a time; aborted when a part fails.
    async fn upload_parts(
        &self,
        name: &str,
        key: &Key,
        file: &Path,
        mut reader: tokio::fs::File,
    ) -> Result<(), ObjectsError> {
        let failed = self.failed(name);
        let io = |source| ObjectsError::Io {
            path: file.to_path_buf(),
            source,
        };
        let upload = self.store.put_multipart(key).await.map_err(&failed)?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buf = vec![0u8; 1024 * 1024];
        let sent: Result<(), ObjectsError> = async {
            loop {
                let n = reader.read(&mut buf).await.map_err(io)?;
                if n == 0 {
                    return Ok(());
                }
                parts
                    .wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(&failed)?;
                parts.write(&buf[..n]);
            }
        }
        .await;
        if let Err(e) = sent {
            if let Err(abort) = parts.abort().await {
                tracing::warn!(object = %self.url_of(name), error = %abort, "a failed upload could not be aborted");
            }
            return Err(e);
        }
        parts.finish().await.map_err(&failed)?;
        Ok(())
    }

    /// Every WARC file in the store, by name.
    pub async fn list(&self) -> Result<Vec<StoredObject>, ObjectsError> {
        let prefix = Key::parse(&self.prefix).map_err(|_| {
            ObjectsError::Config(format!("prefix {:?}: not a key prefix", self.prefix))
        })?;
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|source| ObjectsError::Store {
                at: self.describe(),
                source,
            })?;
        let mut out: Vec<StoredObject> = metas
            .into_iter()
            .filter_map(|m| {
                let name = m.location.filename()?.to_string();
                let parent = m.location.as_ref().strip_suffix(&name)?;
                let ours = parent.trim_end_matches('/') == self.prefix && self.key(&name).is_ok();
                ours.then_some(StoredObject {
                    name,
                    size: m.size,
                    modified: m.last_modified,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The bytes `range` of object `name`.
    pub async fn read_range(&self, name: &str, range: Range<u64>) -> Result<Bytes, ObjectsError> {
        let key = self.key(name)?;
        self.store
            .get_range(&key, range)
            .await
            .map_err(self.failed(name))
    }

    /// A reader of object `name` from `offset` (its size is asked first). Call it, and read,
    /// from a blocking thread: each read that needs bytes runs a ranged GET on `handle`.
    pub fn reader_at(
        &self,
        name: &str,
        offset: u64,
        handle: tokio::runtime::Handle,
    ) -> Result<RangeReader, ObjectsError> {
        let size = handle
            .block_on(self.size_of(name))?
            .ok_or_else(|| ObjectsError::NotFound {
                at: self.url_of(name),
            })?;
        Ok(RangeReader {
            objects: self.clone(),
            name: name.to_string(),
            pos: offset.min(size),
            size,
            handle,
            buf: Bytes::new(),
        })
    }

    /// Writes object `name` to the file `to` (created or truncated), streaming; returns its
    /// size.
    pub async fn download(&self, name: &str, to: &Path) -> Result<u64, ObjectsError> {
        let key = self.key(name)?;
        let failed = self.failed(name);
        let io = |source| ObjectsError::Io {
            path: to.to_path_buf(),
            source,
        };
        let got = self.store.get(&key).await.map_err(&failed)?;
        let mut stream = got.into_stream();
        let mut file = tokio::fs::File::create(to).await.map_err(io)?;
        let mut size = 0u64;
        while let Some(chunk) = stream.try_next().await.map_err(&failed)? {
            size += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(io)?;
        }
        file.flush().await.map_err(io)?;
        Ok(size)
    }
}
