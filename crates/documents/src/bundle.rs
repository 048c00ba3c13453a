//! A document and the evidence it rests on, in one ZIP: the printed document (PDF), the WACZ of
//! each of its clues as exported (byte for byte, stored uncompressed — each is itself a ZIP), and a
//! manifest of every file's SHA-256, as JSON (`manifest.json`) and in the format `sha256sum -c`
//! reads (`SHA256SUMS`), so the receiver can check the package with standard tools. The
//! document's own text names the WACZ and its SHA-256 (see [`crate::Attachment`]), so the paper
//! copy and the package point at each other.
//!
//! The package is written to a temporary file beside the output and renamed into place: a
//! failure leaves nothing at the output.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use crate::DocumentKind;

/// `format` of the manifest.
pub const MANIFEST_FORMAT: &str = "wangjian-document-bundle-1";

/// Why no bundle was written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("zip: {0}")]
    Zip(String),
    /// A member's name is not a bare file name (or two members share one).
    #[error("bad member name {0:?}")]
    BadName(String),
}

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleFile {
    pub name: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    pub bytes: u64,
}

/// The manifest written into a bundle (`manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    /// The document's kind code and title.
    pub kind: DocumentKind,
    pub title: &'static str,
    /// The document's number (文号) and its case's number.
    pub number: String,
    pub case_number: String,
    /// The document (first) and its attachments.
    pub files: Vec<BundleFile>,
}

/// What a bundle holds and where it was written.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub path: PathBuf,
    pub manifest: Manifest,
}

/// What goes into a bundle.
#[derive(Debug)]
pub struct BundleInput<'a> {
    pub kind: DocumentKind,
    pub number: &'a str,
    pub case_number: &'a str,
    /// The document's file name in the package (`…pdf`) and its bytes.
    pub document_name: &'a str,
    pub document: &'a [u8],
    /// The WACZ packages to attach; each one's name in the package is its file name.
    pub waczs: &'a [&'a Path],
}

/// SHA-256 of a file, lowercase hex, and its length (read in blocks).
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = BufReader::new(File::open(path)?);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex::encode(h.finalize()), n))
}

fn is_bare_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}

/// Writes the bundle of `input` at `output` (replaced when it exists).
pub fn write_bundle(output: &Path, input: &BundleInput<'_>) -> Result<Bundle, BundleError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BundleError::Io { path, source }
    };
    let mut files = vec![BundleFile {
        name: input.document_name.to_string(),
        sha256: hex::encode(Sha256::digest(input.document)),
        bytes: input.document.len() as u64,
    }];
    for wacz in input.waczs {
        let name = wacz
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let (sha256, bytes) = sha256_file(wacz).map_err(io_err(wacz))?;
        files.push(BundleFile {
            name,
            sha256,
            bytes,
        });
    }
    for (i, f) in files.iter().enumerate() {
        if !is_bare_name(&f.name)
            || f.name == "manifest.json"
            || f.name == "SHA256SUMS"
            || files[..i].iter().any(|g| g.name == f.name)
        {
            return Err(BundleError::BadName(f.name.clone()));
        }
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        kind: input.kind,
        title: input.kind.title(),
        number: input.number.to_string(),
        case_number: input.case_number.to_string(),
        files,
    };
    let manifest_json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| BundleError::Zip(e.to_string()))?;
    let sums: String = manifest
        .files
        .iter()
        .map(|f| format!("{}  {}\n", f.sha256, f.name))
        .collect();

    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".bundle-")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    let zerr = |e: zip::result::ZipError| BundleError::Zip(e.to_string());
    let mut zip = zip::ZipWriter::new(BufWriter::new(tmp.reopen().map_err(io_err(tmp.path()))?));
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .unix_permissions(0o644);
    zip.start_file(input.document_name, deflated)
        .map_err(zerr)?;
    zip.write_all(input.document).map_err(io_err(tmp.path()))?;
    for (wacz, file) in input.waczs.iter().zip(&manifest.files[1..]) {
        zip.start_file(
            file.name.as_str(),
            stored.large_file(file.bytes >= u64::from(u32::MAX)),
        )
        .map_err(zerr)?;
        let mut src = File::open(wacz).map_err(io_err(wacz))?;
        io::copy(&mut src, &mut zip).map_err(io_err(tmp.path()))?;
    }
    zip.start_file("manifest.json", deflated).map_err(zerr)?;
    zip.write_all(&manifest_json).map_err(io_err(tmp.path()))?;
    zip.start_file("SHA256SUMS", deflated).map_err(zerr)?;
    zip.write_all(sums.as_bytes()).map_err(io_err(tmp.path()))?;
    let file = zip
        .finish()
        .map_err(zerr)?
        .into_inner()
        .map_err(|e| io_err(tmp.path())(e.into_error()))?;
    file.sync_all().map_err(io_err(tmp.path()))?;
    drop(file);
    tmp.persist(output).map_err(|e| io_err(output)(e.error))?;
    Ok(Bundle {
        path: output.to_path_buf(),
        manifest,
    })
}
