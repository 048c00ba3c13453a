//! WACZ 1.1.1 packages of selected evidence, signed with the wacz-auth anonymous signature.
//!
//! Owns the package layout and its integrity metadata:
//! - `archive/data.warc.gz` (zip method STORED): a fresh `warcinfo` record, then the `warcinfo`
//!   records of every source file, then the selected records' gzip members copied byte for byte,
//!   so every block and payload digest written at capture time still holds;
//! - `indexes/index.cdx.gz` (STORED): the sorted CDXJ index in independently gzipped blocks,
//!   and `indexes/index.idx`: the secondary index (`!meta 0 {"format": "cdxj-gzip-1.0", …}`
//!   then one line per block with its offset, length and SHA-256);
//! - `pages/pages.jsonl`: the HTML pages (2xx `text/html` responses);
//! - `proofs/log-proofs.json` ([`LogProofs`], when exported with a log): the signed checkpoint
//!   note, its verifier key, and for every stored record (gzip member) of the package's WARC its
//!   offset, leaf data (`sha256:<hex>` of the member, see [`crate::stored_record_leaf`]), leaf
//!   index and inclusion proof; the package's own fresh `warcinfo` is marked as not logged;
//! - `datapackage.json` with the SHA-256 and size of every file, and `datapackage-digest.json`
//!   with the hash of `datapackage.json` and its `signedData` (ECDSA P-384 over that hash
//!   string with SHA-256, the form ArchiveWeb.page writes and ReplayWeb.page verifies).
//!
//! A selection names one record (the evidence pointer: a response, or a request when no
//! response came); the other records of the same exchange (request, response, metadata, linked
//! by `WARC-Concurrent-To` / `WARC-Refers-To` within the same file) come along, and so does the
//! original a revisit refers to when it is in the same file. Must not read a database: callers
//! resolve which records to export.
//!
//! Every zip entry is STORED (no compression): then every byte of an entry's data is covered by
//! a hash (see [`verify_wacz`] for how the zip structure itself is checked).

mod check;
pub use check::{verify_wacz, KeySource, WaczItem, WaczVerdict};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use p384::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p384::ecdsa::{Signature, SigningKey, VerifyingKey};
use p384::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use crate::cdxj::{sort_entries, CdxjEntry};
use crate::digest::sha256_label;
use crate::record::{new_record_id, warc_date, warc_fields, HeaderBlock, Record, WARC_1_1_SPEC};
use crate::tlog::Log;
use crate::verify::{stored_record_leaf, LogIndex};
use crate::{open_reader, EvidenceError};

/// The WACZ version this module writes.
pub const WACZ_VERSION: &str = "1.1.1";
/// CDXJ lines per gzip block of `indexes/index.cdx.gz` (pywb's and py-wacz's default).
pub const CDXJ_BLOCK_LINES: usize = 3000;
/// Name of the signing key (PKCS#8 DER) in the key directory.
pub const SIGNING_KEY_FILE: &str = "wacz-signing-p384.pk8";

/// Everything that can go wrong while exporting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaczError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: {source}")]
    Evidence {
        path: PathBuf,
        #[source]
        source: EvidenceError,
    },
    /// An evidence pointer names an offset where no record starts.
    #[error("{path}: no record starts at offset {offset}")]
    NoRecord { path: PathBuf, offset: u64 },
    #[error("nothing to export: no records selected")]
    Empty,
    #[error("zip: {0}")]
    Zip(String),
    #[error("signing key {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("signature: {0}")]
    Signature(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> WaczError + '_ {
    move |source| WaczError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn ev_err(path: &Path) -> impl FnOnce(EvidenceError) -> WaczError + '_ {
    move |source| WaczError::Evidence {
        path: path.to_path_buf(),
        source,
    }
}

/// One record to export: a WARC file and the offset of a record in it (an evidence pointer).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Selection {
    pub warc: PathBuf,
    pub offset: u64,
}

/// How the package describes itself.
pub struct WaczParams<'a> {
    /// `title` of `datapackage.json`, e.g. `sweep 3`.
    pub title: String,
    pub description: Option<String>,
    /// Software name and version, e.g. `wangjian/0.1.0`; written to `datapackage.json`, the
    /// fresh `warcinfo` record and `signedData`.
    pub software: String,
    /// `created` of the package and of its signature.
    pub created: DateTime<Utc>,
    /// Extra fields of the fresh `warcinfo` record (names must be tokens), e.g. the selection.
    pub extra_info: Vec<(String, String)>,
    /// CDXJ lines per compressed block; [`CDXJ_BLOCK_LINES`] unless testing.
    pub cdxj_block_lines: usize,
    /// Title of an HTML page from its decoded text; pages get no title without it.
    pub page_title: Option<&'a PageTitle>,
}

/// Gives the title of an HTML page from its text (the payload with its content-coding removed
/// and its charset decoded by `http_msg`).
pub type PageTitle = dyn Fn(&str) -> Option<String>;

/// How much of a page's decoded body [`PageTitle`] is given at most (a title is at its start).
pub const PAGE_TITLE_SOURCE_BYTES: usize = 1024 * 1024;

/// The members to copy from one source file: `(offset, length)` in file order, and its
/// `warcinfo` member.
struct SourcePlan<'p> {
    path: &'p Path,
    members: Vec<(u64, u64)>,
    warcinfo: Option<(u64, u64)>,
}

impl WaczParams<'_> {
    /// Parameters with defaults: created now, software `wangjian/<crate version>`.
    pub fn new(title: impl Into<String>) -> Self {
        WaczParams {
            title: title.into(),
            description: None,
            software: concat!("wangjian/", env!("CARGO_PKG_VERSION")).to_string(),
            created: Utc::now(),
            extra_info: Vec::new(),
            cdxj_block_lines: CDXJ_BLOCK_LINES,
            page_title: None,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaczSummary {
    pub path: PathBuf,
    /// Records in `archive/data.warc.gz`, including the `warcinfo` records.
    pub records: usize,
    /// Records (gzip members) copied from the source files, besides their `warcinfo` records.
    pub copied: usize,
    /// Lines of the CDXJ index.
    pub indexed: usize,
    pub pages: usize,
    /// Size of the package.
    pub bytes: u64,
    /// `sha256:<hex>` of `datapackage.json`, as in `datapackage-digest.json`.
    pub datapackage_hash: String,
    /// Whether `signedData` was written.
    pub signed: bool,
    /// Stored records (gzip members) with an inclusion proof in `proofs/log-proofs.json`.
    pub proved: usize,
    /// Stored records that should be in the log but are not under its checkpoint (besides the
    /// package's own `warcinfo`); such a package fails verification.
    pub unproved: usize,
}

/// Path of the log proofs in a package.
pub const LOG_PROOFS_PATH: &str = "proofs/log-proofs.json";
/// `format` of [`LogProofs`].
pub const LOG_PROOFS_FORMAT: &str = "wangjian-log-proofs-1";
/// Why the package's own `warcinfo` record has no proof.
pub const PACKAGE_WARCINFO_NOTE: &str =
    "the package's own warcinfo record, written at export: not in the log";

/// The transparency log an export proves its records against: the log, its index up to a signed
/// checkpoint, that checkpoint's signed note and the key that verifies it.
pub struct LogProofSource<'a> {
    pub log: &'a Log,
    pub index: &'a LogIndex,
    /// The signed checkpoint note (text) of `index.checkpoint()`.
    pub note: String,
    /// The verifier key (`name+id+key`) of the note.
    pub verifier_key: String,
}

/// `proofs/log-proofs.json`: the log proofs of every stored record of `archive/data.warc.gz`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogProofs {
    /// [`LOG_PROOFS_FORMAT`].
    pub format: String,
    /// The WARC of the package the offsets refer to.
    pub warc: String,
    /// How a leaf is computed, for the reader.
    pub leaf: String,
    /// The signed checkpoint note the proofs lead to.
    pub checkpoint: String,
    /// The note's verifier key as the exporter had it; a court should use the bureau's published
    /// key instead.
    pub verifier_key: String,
    pub tree_size: u64,
    /// Root of the checkpoint, Base64.
    pub root: String,
    pub records: Vec<RecordProof>,
}

/// The proof of one stored record (gzip member) of the package's WARC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordProof {
    /// Offset of the gzip member in the package's WARC.
    pub offset: u64,
    pub length: u64,
    /// `sha256:<hex>` of the member's bytes: the data of its leaf.
    pub leaf_data: String,
    /// `FILE:OFFSET` of the source file it was copied from, byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_index: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_size: Option<u64>,
    /// Inclusion proof, Base64 hashes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proof: Vec<String>,
    /// Why there is no proof (the package's own `warcinfo`, or not in the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_logged: Option<String>,
}

/// An entry of `datapackage.json`'s `resources`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub name: String,
    pub path: String,
    /// `sha256:<hex>`.
    pub hash: String,
    pub bytes: u64,
}

/// `datapackage.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPackage {
    pub profile: String,
    pub wacz_version: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created: String,
    pub software: String,
    pub resources: Vec<Resource>,
}

/// `datapackage-digest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPackageDigest {
    pub path: String,
    pub hash: String,
    #[serde(
        rename = "signedData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub signed_data: Option<SignedData>,
}

/// The wacz-auth 0.1.0 anonymous signature: ECDSA P-384 with SHA-256 over the ASCII `hash`
/// string; `signature` is the raw `r‖s` (96 bytes, as Web Crypto produces and ReplayWeb.page
/// checks) in Base64, `publicKey` the DER SubjectPublicKeyInfo in Base64.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedData {
    pub hash: String,
    pub created: String,
    pub software: String,
    pub signature: String,
    #[serde(rename = "publicKey")]
    pub public_key: String,
}

impl SignedData {
    /// Check the signature against the public key it carries (it proves integrity since
    /// signing; who holds the key is for external key management).
    pub fn verify(&self) -> Result<(), WaczError> {
        let bad = |what: &str| WaczError::Signature(what.to_string());
        let key_der = BASE64
            .decode(self.public_key.trim())
            .map_err(|_| bad("publicKey is not Base64"))?;
        let key = VerifyingKey::from_public_key_der(&key_der)
            .map_err(|_| bad("publicKey is not a P-384 SubjectPublicKeyInfo"))?;
        let sig = BASE64
            .decode(self.signature.trim())
            .map_err(|_| bad("signature is not Base64"))?;
        let sig = Signature::from_slice(&sig)
            .or_else(|_| Signature::from_der(&sig))
            .map_err(|_| bad("signature is neither raw r||s nor DER"))?;
        key.verify_prehash(&Sha256::digest(self.hash.as_bytes()), &sig)
            .map_err(|_| bad("signature does not match the hash and public key"))
    }
}

/// The deployment's package-signing key (ECDSA P-384).
pub struct WaczSigner {
    key: SigningKey,
}

impl std::fmt::Debug for WaczSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaczSigner")
            .field("public_key", &self.public_key_base64())
            .finish_non_exhaustive()
    }
}

impl WaczSigner {
    /// A fresh random key.
    pub fn generate() -> Result<Self, WaczError> {
        let mut bytes = [0u8; 48];
        loop {
            getrandom::fill(&mut bytes)
                .map_err(|e| WaczError::Signature(format!("no randomness: {e}")))?;
            // Fails only for zero or values ≥ the group order (probability ~2^-190).
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                bytes.fill(0);
                return Ok(WaczSigner { key });
            }
        }
    }

    /// Load `dir/`[`SIGNING_KEY_FILE`], creating the directory and a new key (mode 0600) on
    /// first use. An existing key is never overwritten.
    pub fn load_or_create(dir: &Path) -> Result<Self, WaczError> {
        let path = dir.join(SIGNING_KEY_FILE);
        let key_err = |reason: String| WaczError::Key {
            path: path.clone(),
            reason,
        };
        match fs::read(&path) {
            Ok(der) => {
                let key = SigningKey::from_pkcs8_der(&der)
                    .map_err(|e| key_err(format!("not a P-384 PKCS#8 key: {e}")))?;
                return Ok(WaczSigner { key });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&path)(e)),
        }
        create_private_dir(dir)?;
        let signer = Self::generate()?;
        let der = signer
            .key
            .to_pkcs8_der()
            .map_err(|e| key_err(e.to_string()))?;
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = match options.open(&path) {
            Ok(f) => f,
            // Another export created it meanwhile: use that one.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Self::load_or_create(dir);
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        file.write_all(der.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io_err(&path))?;
        Ok(signer)
    }

    /// The public key of `dir/`[`SIGNING_KEY_FILE`] as [`WaczSigner::public_key_base64`]
    /// gives it, or `None` when no key was made yet. Reads only: never creates a key.
    pub fn published_key(dir: &Path) -> Result<Option<String>, WaczError> {
        let path = dir.join(SIGNING_KEY_FILE);
        match fs::read(&path) {
            Ok(der) => SigningKey::from_pkcs8_der(&der)
                .map(|key| Some(WaczSigner { key }.public_key_base64()))
                .map_err(|e| WaczError::Key {
                    path,
                    reason: format!("not a P-384 PKCS#8 key: {e}"),
                }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// The public key as Base64 DER SubjectPublicKeyInfo (the `publicKey` of `signedData`).
    pub fn public_key_base64(&self) -> String {
        self.key
            .verifying_key()
            .to_public_key_der()
            .map(|d| BASE64.encode(d.as_bytes()))
            .unwrap_or_default()
    }

    /// Sign a `sha256:<hex>` hash string.
    pub fn sign(&self, hash: &str, created: &str, software: &str) -> Result<SignedData, WaczError> {
        let sig: Signature = self
            .key
            .sign_prehash(&Sha256::digest(hash.as_bytes()))
            .map_err(|e| WaczError::Signature(e.to_string()))?;
        Ok(SignedData {
            hash: hash.to_string(),
            created: created.to_string(),
            software: software.to_string(),
            signature: BASE64.encode(sig.to_bytes()),
            public_key: self.public_key_base64(),
        })
    }
}

fn create_private_dir(dir: &Path) -> Result<(), WaczError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_err(dir))
}

/// What the exporter needs to know about one record of a source file.
struct RecInfo {
    offset: u64,
    length: u64,
    warc_type: String,
    id: Option<String>,
    concurrent_to: Vec<String>,
    refers_to: Option<String>,
}

/// The records of one source file, with their links.
struct FileIndex {
    records: Vec<RecInfo>,
    by_offset: HashMap<u64, usize>,
    by_id: HashMap<String, usize>,
}

impl FileIndex {
    fn read(path: &Path) -> Result<FileIndex, WaczError> {
        let mut records = Vec::new();
        for rec in open_reader(path).map_err(ev_err(path))? {
            let rec = rec.map_err(ev_err(path))?;
            let all = |name: &str| -> Vec<String> {
                rec.headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
                    .collect()
            };
            records.push(RecInfo {
                offset: rec.offset,
                length: rec.length,
                warc_type: rec.warc_type().unwrap_or("").to_ascii_lowercase(),
                id: rec.record_id().map(str::to_string),
                concurrent_to: all("WARC-Concurrent-To"),
                refers_to: rec.header("WARC-Refers-To").map(str::to_string),
            });
        }
        let mut by_offset = HashMap::new();
        let mut by_id = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            // Records sharing a gzip member share its offset: the first one stands for it.
            by_offset.entry(r.offset).or_insert(i);
            if let Some(id) = &r.id {
                by_id.entry(id.clone()).or_insert(i);
            }
        }
        Ok(FileIndex {
            records,
            by_offset,
            by_id,
        })
    }

    /// The records of the exchange around record `start`: the `WARC-Concurrent-To` group
    /// (both directions), the `metadata` records referring to any of them, and for a revisit
    /// the exchange of the record it refers to.
    fn exchange(&self, start: usize, out: &mut BTreeSet<usize>) {
        let mut group = BTreeSet::from([start]);
        let mut grew = true;
        while grew {
            grew = false;
            let ids: BTreeSet<&str> = group
                .iter()
                .filter_map(|&i| self.records[i].id.as_deref())
                .collect();
            let mut more = Vec::new();
            for &i in &group {
                for c in &self.records[i].concurrent_to {
                    more.extend(self.by_id.get(c).copied());
                }
            }
            for (i, r) in self.records.iter().enumerate() {
                let concurrent = r.concurrent_to.iter().any(|c| ids.contains(c.as_str()));
                let metadata = r.warc_type == "metadata"
                    && r.refers_to.as_deref().is_some_and(|t| ids.contains(t));
                if concurrent || metadata {
                    more.push(i);
                }
            }
            for i in more {
                grew |= group.insert(i);
            }
        }
        let revisit_of: Vec<usize> = group
            .iter()
            .filter(|&&i| self.records[i].warc_type == "revisit")
            .filter_map(|&i| self.records[i].refers_to.as_ref())
            .filter_map(|t| self.by_id.get(t).copied())
            .filter(|i| !out.contains(i) && !group.contains(i))
            .collect();
        out.extend(group);
        for original in revisit_of {
            self.exchange(original, out);
        }
    }
}

/// Write a WACZ package of the selected records (and their exchanges) to `out`. The package is
/// built beside `out` under a temporary name and renamed into place when complete.
pub fn write_wacz(
    out: &Path,
    selections: &[Selection],
    params: &WaczParams<'_>,
    signer: Option<&WaczSigner>,
) -> Result<WaczSummary, WaczError> {
    write_wacz_with_proofs(out, selections, params, signer, None)
}

/// [`write_wacz`], and with a log, `proofs/log-proofs.json` with the inclusion proof of every
/// stored record under the log's signed checkpoint.
pub fn write_wacz_with_proofs(
    out: &Path,
    selections: &[Selection],
    params: &WaczParams<'_>,
    signer: Option<&WaczSigner>,
    log: Option<&LogProofSource<'_>>,
) -> Result<WaczSummary, WaczError> {
    if selections.is_empty() {
        return Err(WaczError::Empty);
    }
    let mut by_file: BTreeMap<&Path, BTreeSet<u64>> = BTreeMap::new();
    for s in selections {
        by_file.entry(&s.warc).or_default().insert(s.offset);
    }

    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export.wacz".into());
    let tmp_warc = TempPath(out_dir.join(format!(".{file_name}.{}.warc.gz", std::process::id())));
    let tmp_zip = TempPath(out_dir.join(format!(".{file_name}.{}.tmp", std::process::id())));

    // 1. archive/data.warc.gz: fresh warcinfo, the sources' warcinfo, the exchanges.
    let mut warc = HashingWriter::new(BufWriter::new(
        File::create(&tmp_warc.0).map_err(io_err(&tmp_warc.0))?,
    ));
    let sources: Vec<String> = by_file
        .keys()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let info = warcinfo_member(params, &sources).map_err(io_err(&tmp_warc.0))?;
    warc.write_all(&info).map_err(io_err(&tmp_warc.0))?;
    // (offset in the package, length, source) of every member written.
    let mut written: Vec<(u64, u64, Option<String>)> = vec![(0, info.len() as u64, None)];
    let mut position = info.len() as u64;
    let source_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut copied = 0;
    let mut plan = Vec::new();
    for (path, offsets) in &by_file {
        let index = FileIndex::read(path)?;
        let mut chosen = BTreeSet::new();
        for &offset in offsets {
            let Some(&i) = index.by_offset.get(&offset) else {
                return Err(WaczError::NoRecord {
                    path: path.to_path_buf(),
                    offset,
                });
            };
            index.exchange(i, &mut chosen);
        }
        // Members in file order, each once (records sharing a member share its bytes).
        let members: BTreeSet<(u64, u64)> = chosen
            .iter()
            .map(|&i| &index.records[i])
            .filter(|r| r.warc_type != "warcinfo")
            .map(|r| (r.offset, r.length))
            .collect();
        let warcinfo = index
            .records
            .iter()
            .find(|r| r.warc_type == "warcinfo")
            .map(|r| (r.offset, r.length));
        plan.push(SourcePlan {
            path,
            members: members.into_iter().collect(),
            warcinfo,
        });
    }
    for source in &plan {
        if let Some((offset, length)) = source.warcinfo {
            copy_member(source.path, offset, length, &mut warc)?;
            written.push((
                position,
                length,
                Some(format!("{}:{offset}", source_name(source.path))),
            ));
            position += length;
        }
    }
    for source in &plan {
        for &(offset, length) in &source.members {
            copy_member(source.path, offset, length, &mut warc)?;
            written.push((
                position,
                length,
                Some(format!("{}:{offset}", source_name(source.path))),
            ));
            position += length;
            copied += 1;
        }
    }
    let (warc_writer, warc_hash, warc_bytes) = warc.finish();
    warc_writer
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .map_err(io_err(&tmp_warc.0))?;

    // 2. Index and pages from the package's own WARC, so they describe exactly what is there.
    let mut entries = Vec::new();
    let mut pages = Vec::new();
    let mut seen_pages = BTreeSet::new();
    let mut records = 0;
    for rec in open_reader(&tmp_warc.0).map_err(ev_err(&tmp_warc.0))? {
        let rec = rec.map_err(ev_err(&tmp_warc.0))?;
        records += 1;
        if let Some(entry) = CdxjEntry::from_record(&rec, "data.warc.gz") {
            if let Some(page) = page_of(&rec, &entry, params) {
                if seen_pages.insert(page.url.clone()) {
                    pages.push(page);
                }
            }
            entries.push(entry);
        }
    }
    sort_entries(&mut entries);
    let (cdx_gz, idx) =
        compressed_index(&entries, params.cdxj_block_lines.max(1)).map_err(io_err(&tmp_zip.0))?;
    let pages_jsonl = pages_jsonl(&pages);
    let (proofs_json, proved, unproved) = match log {
        Some(source) => {
            let (proofs, proved, unproved) = log_proofs(&tmp_warc.0, &written, source)?;
            let json =
                serde_json::to_vec_pretty(&proofs).map_err(|e| WaczError::Zip(e.to_string()))?;
            (Some(json), proved, unproved)
        }
        None => (None, 0, 0),
    };

    // 3. datapackage.json and its digest.
    let created = warc_date(params.created);
    let resource = |name: &str, path: &str, hash: String, bytes: u64| Resource {
        name: name.into(),
        path: path.into(),
        hash,
        bytes,
    };
    let package = DataPackage {
        profile: "data-package".into(),
        wacz_version: WACZ_VERSION.into(),
        title: params.title.clone(),
        description: params.description.clone(),
        created: created.clone(),
        software: params.software.clone(),
        resources: vec![
            resource(
                "data.warc.gz",
                "archive/data.warc.gz",
                warc_hash,
                warc_bytes,
            ),
            resource(
                "index.cdx.gz",
                "indexes/index.cdx.gz",
                sha256_label(&cdx_gz),
                cdx_gz.len() as u64,
            ),
            resource(
                "index.idx",
                "indexes/index.idx",
                sha256_label(idx.as_bytes()),
                idx.len() as u64,
            ),
            resource(
                "pages.jsonl",
                "pages/pages.jsonl",
                sha256_label(pages_jsonl.as_bytes()),
                pages_jsonl.len() as u64,
            ),
        ],
    };
    let mut package = package;
    if let Some(json) = &proofs_json {
        package.resources.push(resource(
            "log-proofs.json",
            LOG_PROOFS_PATH,
            sha256_label(json),
            json.len() as u64,
        ));
    }
    let package_json =
        serde_json::to_vec_pretty(&package).map_err(|e| WaczError::Zip(e.to_string()))?;
    let package_hash = sha256_label(&package_json);
    let digest = DataPackageDigest {
        path: "datapackage.json".into(),
        hash: package_hash.clone(),
        signed_data: signer
            .map(|s| s.sign(&package_hash, &created, &params.software))
            .transpose()?,
    };
    let digest_json =
        serde_json::to_vec_pretty(&digest).map_err(|e| WaczError::Zip(e.to_string()))?;

    // 4. The zip, every entry stored (see the module documentation).
    let zip_file = File::create(&tmp_zip.0).map_err(io_err(&tmp_zip.0))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(zip_file));
    let time = zip_time(params.created);
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let zerr = |e: zip::result::ZipError| WaczError::Zip(e.to_string());
    zip.start_file(
        "archive/data.warc.gz",
        stored.large_file(warc_bytes >= u64::from(u32::MAX)),
    )
    .map_err(zerr)?;
    let mut src = File::open(&tmp_warc.0).map_err(io_err(&tmp_warc.0))?;
    io::copy(&mut src, &mut zip).map_err(io_err(&tmp_zip.0))?;
    let mut small: Vec<(&str, &[u8], SimpleFileOptions)> = vec![
        ("indexes/index.cdx.gz", &cdx_gz, stored),
        ("indexes/index.idx", idx.as_bytes(), stored),
        ("pages/pages.jsonl", pages_jsonl.as_bytes(), stored),
    ];
    if let Some(json) = &proofs_json {
        small.push((LOG_PROOFS_PATH, json, stored));
    }
    small.push(("datapackage.json", &package_json, stored));
    small.push(("datapackage-digest.json", &digest_json, stored));
    for (name, data, options) in small {
        zip.start_file(name, options).map_err(zerr)?;
        zip.write_all(data).map_err(io_err(&tmp_zip.0))?;
    }
    let file = zip
        .finish()
        .map_err(zerr)?
        .into_inner()
        .map_err(|e| io_err(&tmp_zip.0)(e.into_error()))?;
    file.sync_all().map_err(io_err(&tmp_zip.0))?;
    let bytes = file.metadata().map_err(io_err(&tmp_zip.0))?.len();
    drop(file);
    fs::rename(&tmp_zip.0, out).map_err(io_err(out))?;
    tmp_zip.forget();

    Ok(WaczSummary {
        path: out.to_path_buf(),
        records,
        copied,
        indexed: entries.len(),
        pages: pages.len(),
        bytes,
        datapackage_hash: package_hash,
        signed: digest.signed_data.is_some(),
        proved,
        unproved,
    })
}

/// The proofs of the members written to the package's WARC at `warc`.
fn log_proofs(
    warc: &Path,
    written: &[(u64, u64, Option<String>)],
    source: &LogProofSource<'_>,
) -> Result<(LogProofs, usize, usize), WaczError> {
    use std::os::unix::fs::FileExt;
    let checkpoint = source.index.checkpoint();
    let file = File::open(warc).map_err(io_err(warc))?;
    let mut records = Vec::with_capacity(written.len());
    let (mut proved, mut unproved) = (0, 0);
    for (offset, length, from) in written {
        let mut stored = vec![0u8; *length as usize];
        file.read_exact_at(&mut stored, *offset)
            .map_err(io_err(warc))?;
        let mut proof = RecordProof {
            offset: *offset,
            length: *length,
            leaf_data: sha256_label(&stored),
            source: from.clone(),
            leaf_index: None,
            tree_size: None,
            proof: Vec::new(),
            not_logged: None,
        };
        if from.is_none() {
            proof.not_logged = Some(PACKAGE_WARCINFO_NOTE.into());
        } else if let Some(index) = source.index.find(&stored_record_leaf(&stored)) {
            let hashes = source
                .log
                .inclusion_proof(index, checkpoint.size)
                .map_err(|e| {
                    WaczError::Signature(format!("inclusion proof of leaf {index}: {e}"))
                })?;
            proof.leaf_index = Some(index);
            proof.tree_size = Some(checkpoint.size);
            proof.proof = hashes.iter().map(|h| h.to_base64()).collect();
            proved += 1;
        } else {
            proof.not_logged = Some(format!(
                "not in the transparency log under the checkpoint of {} leaves",
                checkpoint.size
            ));
            unproved += 1;
        }
        records.push(proof);
    }
    Ok((
        LogProofs {
            format: LOG_PROOFS_FORMAT.into(),
            warc: "archive/data.warc.gz".into(),
            leaf: "RFC 6962 leaf hash of the ASCII leaf_data, the sha256:<hex> of the record's gzip member as stored".into(),
            checkpoint: source.note.clone(),
            verifier_key: source.verifier_key.clone(),
            tree_size: checkpoint.size,
            root: checkpoint.root.to_base64(),
            records,
        },
        proved,
        unproved,
    ))
}

/// The fresh `warcinfo` record of a package, as one gzip member, in the writer's conventions.
fn warcinfo_member(params: &WaczParams<'_>, sources: &[String]) -> io::Result<Vec<u8>> {
    let mut fields = vec![
        ("software".to_string(), params.software.clone()),
        ("format".to_string(), "WARC File Format 1.1".to_string()),
        ("conformsTo".to_string(), WARC_1_1_SPEC.to_string()),
        ("description".to_string(), params.title.clone()),
    ];
    for s in sources {
        fields.push(("source-file".to_string(), s.clone()));
    }
    for (name, value) in &params.extra_info {
        if crate::record::check_field_name(name).is_ok() {
            fields.push((name.clone(), value.clone()));
        }
    }
    let block = warc_fields(&fields);
    let id = new_record_id();
    let mut header = HeaderBlock::new("warcinfo", &id, &warc_date(params.created));
    header
        .push("WARC-Filename", "data.warc.gz")
        .push("Content-Type", "application/warc-fields")
        .push("WARC-Block-Digest", sha256_label(&block));
    let head = header.to_bytes(block.len());
    let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
    gz.write_all(&head)?;
    gz.write_all(&block)?;
    gz.write_all(b"\r\n\r\n")?;
    gz.finish()
}

fn copy_member<W: Write>(
    path: &Path,
    offset: u64,
    length: u64,
    out: &mut W,
) -> Result<(), WaczError> {
    let mut file = File::open(path).map_err(io_err(path))?;
    file.seek(SeekFrom::Start(offset)).map_err(io_err(path))?;
    let copied = io::copy(&mut BufReader::new(file).take(length), out).map_err(io_err(path))?;
    if copied != length {
        return Err(WaczError::Io {
            path: path.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("record at {offset}: {copied} of {length} bytes"),
            ),
        });
    }
    Ok(())
}

/// A page of `pages.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub id: String,
    pub url: String,
    pub ts: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

fn page_of(rec: &Record, entry: &CdxjEntry, params: &WaczParams<'_>) -> Option<Page> {
    let html = matches!(entry.mime.as_str(), "text/html" | "application/xhtml+xml");
    let ok = entry.status.is_some_and(|s| (200..300).contains(&s));
    if !(html && ok) || rec.warc_type() != Some("response") {
        return None;
    }
    let ts = rec.header("WARC-Date")?.to_string();
    let id = rec
        .record_id()
        .map(|r| {
            r.trim_matches(['<', '>'])
                .trim_start_matches("urn:uuid:")
                .to_string()
        })
        .unwrap_or_else(|| sha256_label(format!("{ts} {}", entry.url).as_bytes())[7..39].into());
    let title = params.page_title.and_then(|f| {
        rec.http_parts()?;
        // The page as its visitors read it: de-chunked, content-coding removed, charset found.
        let body = http_msg::Message::parse(&rec.block)
            .decode_body(PAGE_TITLE_SOURCE_BYTES)
            .ok()?;
        f(&body.text)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    });
    Some(Page {
        id,
        url: entry.url.clone(),
        ts,
        title,
    })
}

fn pages_jsonl(pages: &[Page]) -> String {
    let mut out = String::from(
        "{\"format\": \"json-pages-1.0\", \"id\": \"pages\", \"title\": \"All Pages\"}\n",
    );
    for p in pages {
        out.push_str(&serde_json::to_string(p).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// `index.cdx.gz` (blocks of `block_lines` lines, one gzip member each) and `index.idx`.
fn compressed_index(entries: &[CdxjEntry], block_lines: usize) -> io::Result<(Vec<u8>, String)> {
    let mut gz_all = Vec::new();
    let mut idx =
        String::from("!meta 0 {\"format\": \"cdxj-gzip-1.0\", \"filename\": \"index.cdx.gz\"}\n");
    for block in entries.chunks(block_lines) {
        let mut text = String::new();
        for e in block {
            text.push_str(&e.to_line());
            text.push('\n');
        }
        let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
        gz.write_all(text.as_bytes())?;
        let member = gz.finish()?;
        // py-wacz's layout of a block line (its JSON spacing, offset and length first).
        idx.push_str(&format!(
            "{} {} {{\"offset\": {}, \"length\": {}, \"digest\": \"{}\", \"filename\": \"index.cdx.gz\"}}\n",
            block[0].surt,
            block[0].timestamp,
            gz_all.len(),
            member.len(),
            sha256_label(&member),
        ));
        gz_all.extend_from_slice(&member);
    }
    Ok((gz_all, idx))
}

fn zip_time(t: DateTime<Utc>) -> zip::DateTime {
    use chrono::{Datelike, Timelike};
    zip::DateTime::from_date_and_time(
        t.year().clamp(1980, 2107) as u16,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second().min(58) as u8,
    )
    .unwrap_or_default()
}

/// A writer that hashes and counts what goes through it.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (W, String, u64) {
        let hash = format!("sha256:{}", hex::encode(self.hash.finalize()));
        (self.inner, hash, self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A temporary file removed when dropped, unless forgotten.
struct TempPath(PathBuf);

impl TempPath {
    fn forget(mut self) {
        self.0 = PathBuf::new();
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.0);
        }
    }
}
