//! Offline verification of a WACZ package written by [`super::write_wacz_with_proofs`].
//!
//! Checked, each as an item of the verdict with the exact place of any failure:
//! - the zip structure, strictly: the end record exactly at the end of the file (no comment),
//!   the central directory ending where it starts, every entry STORED, its local header equal
//!   to its central directory entry field for field, the entries back to back from byte 0 to the
//!   central directory, no extra field but ZIP64's, and the fields only the central directory
//!   holds (version made by, attributes) as wangjian writes them; the CRC-32 of every entry;
//!   the modification time of every entry equal to the package's signed `created`. So a change
//!   of any byte of the zip's own structure is caught even where a zip reader would not care;
//! - every resource's SHA-256 and size against `datapackage.json`, and no entry besides them;
//! - `datapackage.json` against the hash in `datapackage-digest.json`, that file in the exact
//!   form wangjian writes (so that its bytes outside the signed hash cannot change unseen), and
//!   the `signedData` signature;
//! - every record of `archive/*.warc.gz`: readable, its declared digests recomputed;
//! - every stored record (gzip member) against `proofs/log-proofs.json`: leaf data recomputed
//!   from the member's bytes, the inclusion proof up to the checkpoint's root, and the signed
//!   checkpoint note against the verifier key (given, or the one the package carries: the
//!   verdict says which). Only the package's own `warcinfo` (the first member) may be unlogged.

use super::{
    zip_time, DataPackage, DataPackageDigest, LogProofs, RecordProof, LOG_PROOFS_FORMAT,
    LOG_PROOFS_PATH,
};
use crate::reader::WarcReader;
use crate::tlog::{self, Checkpoint, Hash};
use crate::verify::stored_record_leaf;
use crate::{missing_digests, sha256_label, verify_record};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// "Version made by" of every central directory entry wangjian writes (Unix, spec 6.3).
const ZIP_MADE_BY: u16 = 0x030a;
/// External attributes of every entry wangjian writes (a regular file, mode 0644).
const ZIP_EXTERNAL_ATTRS: u32 = 0o100644 << 16;
/// Largest JSON member read into memory (the log proofs of a large export are tens of MB).
pub const MAX_JSON: u64 = 256 << 20;
/// Most members a package may have (an export holds a few WARC files, indexes and JSON files).
pub const MAX_MEMBERS: u64 = 10_000;
/// Largest central directory read into memory (room for [`MAX_MEMBERS`] entries with long
/// names).
pub const MAX_CENTRAL_DIRECTORY: u64 = 8 << 20;

/// Which key verified the checkpoint note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeySource {
    /// Given by the caller (a court should use the bureau's published key).
    Given,
    /// The key the package carries: it shows the package is consistent, not who signed it.
    Package,
}

/// One checked item of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaczItem {
    pub item: String,
    pub ok: bool,
    /// What holds, or exactly what fails and where.
    pub detail: String,
}

/// The verdict on one WACZ package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaczVerdict {
    pub path: PathBuf,
    pub items: Vec<WaczItem>,
    pub key_source: KeySource,
    /// The verifier key used for the checkpoint note, when there was one.
    pub key: Option<String>,
    /// WARC records read.
    pub records: usize,
    /// Stored records proven included in the log.
    pub logged: usize,
}

impl WaczVerdict {
    /// Whether everything holds.
    pub fn ok(&self) -> bool {
        !self.items.is_empty() && self.items.iter().all(|i| i.ok)
    }

    pub fn failures(&self) -> impl Iterator<Item = &WaczItem> {
        self.items.iter().filter(|i| !i.ok)
    }

    fn pass(&mut self, item: impl Into<String>, detail: impl Into<String>) {
        self.items.push(WaczItem {
            item: item.into(),
            ok: true,
            detail: detail.into(),
        });
    }

    fn fail(&mut self, item: impl Into<String>, detail: impl Into<String>) {
        self.items.push(WaczItem {
            item: item.into(),
            ok: false,
            detail: detail.into(),
        });
    }
}

/// A zip entry, as the strict structure check found it.
#[derive(Debug)]
struct ZipEntry {
    name: String,
    crc: u32,
    size: u64,
    /// Offset of the entry's data in the file.
    data: u64,
    time: u16,
    date: u16,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn read_at(file: &File, offset: u64, len: u64) -> Result<Vec<u8>, String> {
    let n = usize::try_from(len).map_err(|_| format!("{len} bytes at byte {offset}: too large"))?;
    let mut buf = vec![0u8; n];
    file.read_exact_at(&mut buf, offset)
        .map_err(|e| format!("cannot read {len} bytes at byte {offset}: {e}"))?;
    Ok(buf)
}

/// The ZIP64 extended information of an extra field (`Ok(None)` when absent); any other extra
/// field is refused, since its bytes would be covered by nothing.
fn zip64_extra(extra: &[u8], at: u64) -> Result<Option<Vec<u64>>, String> {
    let mut pos = 0;
    let mut found = None;
    while pos < extra.len() {
        if extra.len() - pos < 4 {
            return Err(format!(
                "extra field at byte {}: truncated",
                at + pos as u64
            ));
        }
        let id = le16(extra, pos);
        let len = usize::from(le16(extra, pos + 2));
        let body = extra.get(pos + 4..pos + 4 + len).ok_or_else(|| {
            format!(
                "extra field at byte {}: longer than its room",
                at + pos as u64
            )
        })?;
        if id != 0x0001 || found.is_some() || len % 8 != 0 {
            return Err(format!(
                "extra field {id:#06x} of {len} bytes at byte {}: wangjian writes none but one ZIP64 field",
                at + pos as u64
            ));
        }
        found = Some((0..len / 8).map(|i| le64(body, i * 8)).collect());
        pos += 4 + len;
    }
    Ok(found)
}

/// The entries of the zip, after checking its structure strictly (see the module docs).
fn strict_zip(file: &File, len: u64) -> Result<Vec<ZipEntry>, String> {
    if len < 22 {
        return Err(format!("{len} bytes: too short for a zip"));
    }
    let eocd_at = len - 22;
    let e = read_at(file, eocd_at, 22)?;
    if le32(&e, 0) != 0x0605_4b50 {
        return Err(format!(
            "byte {eocd_at}: no end-of-central-directory record exactly at the end of the file \
             (damaged, trailing bytes or a zip comment)"
        ));
    }
    let (disk, cd_disk) = (le16(&e, 4), le16(&e, 6));
    let (n_disk, n_total) = (le16(&e, 8), le16(&e, 10));
    let (cd_size32, cd_off32) = (le32(&e, 12), le32(&e, 16));
    if le16(&e, 20) != 0 {
        return Err(format!(
            "byte {}: a zip comment length of {}",
            eocd_at + 20,
            le16(&e, 20)
        ));
    }
    if disk != 0 || cd_disk != 0 || n_disk != n_total {
        return Err(format!(
            "bytes {eocd_at}..{}: end record names disk {disk}, central directory disk {cd_disk}, \
             {n_disk} entries on this disk of {n_total}",
            eocd_at + 12
        ));
    }
    let zip64 = n_total == u16::MAX || cd_size32 == u32::MAX || cd_off32 == u32::MAX;
    let (n, cd_size, cd_off, cd_end) = if zip64 {
        let loc_at = eocd_at
            .checked_sub(20)
            .ok_or_else(|| "no room for a ZIP64 locator".to_string())?;
        let l = read_at(file, loc_at, 20)?;
        if le32(&l, 0) != 0x0706_4b50 || le32(&l, 4) != 0 || le32(&l, 16) != 1 {
            return Err(format!("byte {loc_at}: no valid ZIP64 end locator"));
        }
        let e64_at = le64(&l, 8);
        if e64_at.checked_add(56) != Some(loc_at) {
            return Err(format!(
                "byte {}: ZIP64 end record at {e64_at}, not right before the locator at {loc_at}",
                loc_at + 8
            ));
        }
        let r = read_at(file, e64_at, 56)?;
        if le32(&r, 0) != 0x0606_4b50
            || le64(&r, 4) != 44
            || le32(&r, 16) != 0
            || le32(&r, 20) != 0
            || le64(&r, 24) != le64(&r, 32)
        {
            return Err(format!(
                "bytes {e64_at}..{loc_at}: damaged ZIP64 end record"
            ));
        }
        let (n, size, off) = (le64(&r, 32), le64(&r, 40), le64(&r, 48));
        let agrees16 = |v: u16, real: u64| v == u16::MAX || u64::from(v) == real;
        let agrees32 = |v: u32, real: u64| v == u32::MAX || u64::from(v) == real;
        if !(agrees16(n_total, n) && agrees32(cd_size32, size) && agrees32(cd_off32, off)) {
            return Err(format!(
                "bytes {}..{}: end record disagrees with the ZIP64 end record",
                eocd_at + 8,
                eocd_at + 20
            ));
        }
        (n, size, off, e64_at)
    } else {
        (
            u64::from(n_total),
            u64::from(cd_size32),
            u64::from(cd_off32),
            eocd_at,
        )
    };
    if cd_off.checked_add(cd_size) != Some(cd_end) {
        return Err(format!(
            "central directory of {cd_size} bytes at byte {cd_off} does not end where the end \
             record starts (byte {cd_end})"
        ));
    }
    if n > MAX_MEMBERS {
        return Err(format!(
            "the end record names {n} members: more than the cap of {MAX_MEMBERS}"
        ));
    }
    if cd_size > MAX_CENTRAL_DIRECTORY {
        return Err(format!(
            "central directory of {cd_size} bytes: larger than the cap of \
             {MAX_CENTRAL_DIRECTORY} bytes"
        ));
    }
    let cd = read_at(file, cd_off, cd_size)?;
    // (entry, local header offset, needed, flags, zip64 sizes in the local header expected)
    let mut central = Vec::new();
    let mut pos = 0usize;
    for i in 0..n {
        let at = cd_off + pos as u64;
        let h = cd
            .get(pos..pos + 46)
            .ok_or_else(|| format!("central directory entry {i} at byte {at}: truncated"))?;
        let place = |what: &str| format!("central directory entry {i} at byte {at}: {what}");
        if le32(h, 0) != 0x0201_4b50 {
            return Err(place("no entry signature"));
        }
        let made_by = le16(h, 4);
        let needed = le16(h, 6);
        let flags = le16(h, 8);
        let method = le16(h, 10);
        let (time, date, crc) = (le16(h, 12), le16(h, 14), le32(h, 16));
        let (csize32, usize32) = (le32(h, 20), le32(h, 24));
        let (nlen, mlen, klen) = (
            usize::from(le16(h, 28)),
            usize::from(le16(h, 30)),
            usize::from(le16(h, 32)),
        );
        let (disk, internal, external, local32) =
            (le16(h, 34), le16(h, 36), le32(h, 38), le32(h, 42));
        if made_by != ZIP_MADE_BY {
            return Err(place(&format!(
                "version made by {made_by:#06x}, wangjian writes {ZIP_MADE_BY:#06x}"
            )));
        }
        if flags & !0x0800 != 0 {
            return Err(place(&format!(
                "flags {flags:#06x} (encryption, data descriptor or unknown)"
            )));
        }
        if method != 0 {
            return Err(place(&format!(
                "compression method {method}: wangjian stores every entry"
            )));
        }
        if klen != 0 || disk != 0 || internal != 0 || external != ZIP_EXTERNAL_ATTRS {
            return Err(place(&format!(
                "comment length {klen}, disk {disk}, internal attributes {internal:#x}, external \
                 attributes {external:#x}: not as wangjian writes them"
            )));
        }
        let name_bytes = cd
            .get(pos + 46..pos + 46 + nlen)
            .ok_or_else(|| place("name runs past the central directory"))?;
        let name = std::str::from_utf8(name_bytes)
            .map_err(|_| place("name is not UTF-8"))?
            .to_string();
        let extra = cd
            .get(pos + 46 + nlen..pos + 46 + nlen + mlen)
            .ok_or_else(|| place("extra field runs past the central directory"))?;
        let mut values = zip64_extra(extra, at + 46 + nlen as u64)?
            .unwrap_or_default()
            .into_iter();
        let mut wide = |v: u32| {
            if v == u32::MAX {
                values.next()
            } else {
                Some(u64::from(v))
            }
        };
        let usize_ = wide(usize32).ok_or_else(|| place("ZIP64 size missing"))?;
        let csize = wide(csize32).ok_or_else(|| place("ZIP64 compressed size missing"))?;
        let local = wide(local32).ok_or_else(|| place("ZIP64 offset missing"))?;
        if values.next().is_some() {
            return Err(place("ZIP64 extra field holds more than the fields need"));
        }
        if csize != usize_ {
            return Err(place(&format!(
                "stored entry of {usize_} bytes has {csize} compressed"
            )));
        }
        central.push((
            ZipEntry {
                name,
                crc,
                size: usize_,
                data: 0,
                time,
                date,
            },
            local,
            needed,
            flags,
            name_bytes.to_vec(),
        ));
        pos += 46 + nlen + mlen;
    }
    if pos != cd.len() {
        return Err(format!(
            "central directory: its {n} entries end at byte {}, it ends at byte {cd_end}",
            cd_off + pos as u64
        ));
    }
    central.sort_by_key(|c| c.1);
    let mut expect = 0u64;
    let mut names = BTreeSet::new();
    let mut entries = Vec::new();
    for (mut entry, local, needed, flags, name_bytes) in central {
        let place = |what: &str| format!("local header of {} at byte {local}: {what}", entry.name);
        if local != expect {
            return Err(place(&format!(
                "expected at byte {expect} (bytes unaccounted for, or entries overlapping)"
            )));
        }
        let h = read_at(file, local, 30)?;
        let (nlen, mlen) = (u64::from(le16(&h, 26)), u64::from(le16(&h, 28)));
        let rest = read_at(file, local + 30, nlen + mlen)?;
        let (lname, lextra) = rest.split_at(nlen as usize);
        let mut sizes = zip64_extra(lextra, local + 30 + nlen)?;
        let (c32, u32_) = (le32(&h, 18), le32(&h, 22));
        let sizes_agree = match sizes.take() {
            Some(v) => c32 == u32::MAX && u32_ == u32::MAX && v == [entry.size, entry.size],
            None => u64::from(c32) == entry.size && u64::from(u32_) == entry.size,
        };
        if le32(&h, 0) != 0x0403_4b50
            || le16(&h, 4) != needed
            || le16(&h, 6) != flags
            || le16(&h, 8) != 0
            || le16(&h, 10) != entry.time
            || le16(&h, 12) != entry.date
            || le32(&h, 14) != entry.crc
            || !sizes_agree
            || lname != name_bytes.as_slice()
        {
            return Err(place("differs from its central directory entry"));
        }
        if !names.insert(entry.name.clone()) {
            return Err(place("a second entry of that name"));
        }
        entry.data = local + 30 + nlen + mlen;
        expect = entry
            .data
            .checked_add(entry.size)
            .ok_or_else(|| place("size overflows"))?;
        entries.push(entry);
    }
    if expect != cd_off {
        return Err(format!(
            "bytes {expect}..{cd_off} between the last entry and the central directory are unaccounted for"
        ));
    }
    Ok(entries)
}

/// CRC-32 and `sha256:<hex>` of an entry's data.
fn sums(file: &File, e: &ZipEntry) -> Result<(u32, String), String> {
    let mut f = file.try_clone().map_err(|err| err.to_string())?;
    f.seek(SeekFrom::Start(e.data))
        .map_err(|err| err.to_string())?;
    let mut take = f.take(e.size);
    let mut crc = flate2::Crc::new();
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = take.read(&mut buf).map_err(|err| err.to_string())?;
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
        sha.update(&buf[..n]);
        total += n as u64;
    }
    if total != e.size {
        return Err(format!("{total} of {} bytes readable", e.size));
    }
    Ok((crc.sum(), format!("sha256:{}", hex::encode(sha.finalize()))))
}

/// Verify a WACZ package; `key` is the log's verifier key (`name+id+key`), by default the one
/// the package carries (the verdict says which was used).
pub fn verify_wacz(path: &Path, key: Option<&str>) -> WaczVerdict {
    let mut v = WaczVerdict {
        path: path.to_path_buf(),
        items: Vec::new(),
        key_source: if key.is_some() {
            KeySource::Given
        } else {
            KeySource::Package
        },
        key: key.map(|k| k.trim().to_string()),
        records: 0,
        logged: 0,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            v.fail("package", format!("cannot open: {e}"));
            return v;
        }
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let entries = match strict_zip(&file, len) {
        Ok(e) => {
            v.pass(
                "zip structure",
                format!(
                    "{} entries, all stored, local headers equal to the central directory, every byte of {len} accounted for",
                    e.len()
                ),
            );
            e
        }
        Err(e) => {
            v.fail("zip structure", e);
            return v;
        }
    };
    let mut hashes = BTreeMap::new();
    for e in &entries {
        match sums(&file, e) {
            Ok((crc, _)) if crc != e.crc => v.fail(
                format!("zip entry {}", e.name),
                format!(
                    "CRC-32 {:08x} computed over bytes {}..{}, {:08x} recorded",
                    crc,
                    e.data,
                    e.data + e.size,
                    e.crc
                ),
            ),
            Ok((_, sha)) => {
                hashes.insert(e.name.as_str(), sha);
            }
            Err(err) => v.fail(format!("zip entry {}", e.name), err),
        }
    }
    let by_name: BTreeMap<&str, &ZipEntry> = entries.iter().map(|e| (e.name.as_str(), e)).collect();
    let read_json = |v: &mut WaczVerdict, name: &str| -> Option<Vec<u8>> {
        let Some(e) = by_name.get(name) else {
            v.fail(name, "missing from the package");
            return None;
        };
        if e.size > MAX_JSON {
            v.fail(
                name,
                format!("{} bytes: larger than the cap of {MAX_JSON} bytes", e.size),
            );
            return None;
        }
        match read_at(&file, e.data, e.size) {
            Ok(b) => Some(b),
            Err(err) => {
                v.fail(name, err);
                None
            }
        }
    };

    // datapackage.json and its digest.
    let Some(package_bytes) = read_json(&mut v, "datapackage.json") else {
        return v;
    };
    let package: DataPackage = match serde_json::from_slice(&package_bytes) {
        Ok(p) => p,
        Err(e) => {
            v.fail("datapackage.json", format!("not a data package: {e}"));
            return v;
        }
    };
    let Some(digest_bytes) = read_json(&mut v, "datapackage-digest.json") else {
        return v;
    };
    let digest: DataPackageDigest = match serde_json::from_slice(&digest_bytes) {
        Ok(d) => d,
        Err(e) => {
            v.fail("datapackage-digest.json", format!("unreadable: {e}"));
            return v;
        }
    };
    let package_hash = sha256_label(&package_bytes);
    if digest.path != "datapackage.json" || digest.hash != package_hash {
        v.fail(
            "datapackage.json",
            format!(
                "hash {package_hash}, datapackage-digest.json names {:?} with {}",
                digest.path, digest.hash
            ),
        );
    } else {
        v.pass(
            "datapackage.json",
            format!("hash {package_hash} as in datapackage-digest.json"),
        );
    }
    if serde_json::to_vec_pretty(&digest).ok().as_deref() != Some(digest_bytes.as_slice()) {
        v.fail(
            "datapackage-digest.json",
            "not byte for byte as wangjian writes it: bytes outside the signed hash were changed",
        );
    }
    match &digest.signed_data {
        None => v.fail("signature", "datapackage-digest.json has no signedData"),
        Some(sd) if sd.hash != digest.hash => v.fail(
            "signature",
            format!(
                "signedData signs {}, not the datapackage hash {}",
                sd.hash, digest.hash
            ),
        ),
        Some(sd) if sd.created != package.created || sd.software != package.software => v.fail(
            "signature",
            "signedData created/software differ from datapackage.json (they are not signed)",
        ),
        Some(sd) => match sd.verify() {
            Ok(()) => v.pass(
                "signature",
                format!(
                    "ECDSA P-384 signature over {} holds for the package's publicKey {}…",
                    sd.hash,
                    sd.public_key.get(..24).unwrap_or(&sd.public_key)
                ),
            ),
            Err(e) => v.fail("signature", e.to_string()),
        },
    }

    // Resources.
    let mut expected: BTreeSet<&str> =
        BTreeSet::from(["datapackage.json", "datapackage-digest.json"]);
    for r in &package.resources {
        expected.insert(r.path.as_str());
        let item = format!("resource {}", r.path);
        match (by_name.get(r.path.as_str()), hashes.get(r.path.as_str())) {
            (None, _) => v.fail(item, "listed in datapackage.json, missing from the zip"),
            (Some(e), _) if e.size != r.bytes => v.fail(
                item,
                format!(
                    "{} bytes at byte {}, datapackage.json says {}",
                    e.size, e.data, r.bytes
                ),
            ),
            (Some(_), Some(h)) if *h != r.hash => {
                v.fail(item, format!("hash {h}, datapackage.json says {}", r.hash))
            }
            (Some(e), Some(h)) => v.pass(item, format!("{} bytes, {h}", e.size)),
            (Some(_), None) => {} // its read failure is reported above
        }
    }
    for e in &entries {
        if !expected.contains(e.name.as_str()) {
            v.fail(
                format!("zip entry {}", e.name),
                format!("at byte {}: not a resource of datapackage.json", e.data),
            );
        }
    }
    match chrono::DateTime::parse_from_rfc3339(&package.created) {
        Ok(t) => {
            let t = zip_time(t.with_timezone(&chrono::Utc));
            let (time, date) = (t.timepart(), t.datepart());
            for e in entries.iter().filter(|e| e.time != time || e.date != date) {
                v.fail(
                    format!("zip entry {}", e.name),
                    format!(
                        "modification time {:#06x} {:#06x} differs from created {} of datapackage.json",
                        e.date, e.time, package.created
                    ),
                );
            }
        }
        Err(e) => v.fail(
            "datapackage.json",
            format!("created {:?}: {e}", package.created),
        ),
    }

    // Log proofs and the WARC records.
    let proofs: Option<LogProofs> = match read_json(&mut v, LOG_PROOFS_PATH) {
        None => None,
        Some(bytes) => match serde_json::from_slice::<LogProofs>(&bytes) {
            Ok(p) if p.format == LOG_PROOFS_FORMAT => Some(p),
            Ok(p) => {
                v.fail(LOG_PROOFS_PATH, format!("unknown format {:?}", p.format));
                None
            }
            Err(e) => {
                v.fail(LOG_PROOFS_PATH, format!("unreadable: {e}"));
                None
            }
        },
    };
    let checkpoint = proofs.as_ref().and_then(|p| checked_checkpoint(&mut v, p));
    let warcs: Vec<&ZipEntry> = entries
        .iter()
        .filter(|e| e.name.starts_with("archive/") && e.name.ends_with(".warc.gz"))
        .collect();
    if warcs.is_empty() {
        v.fail("archive", "no archive/*.warc.gz in the package");
    }
    for e in warcs {
        let logged = proofs
            .as_ref()
            .filter(|p| p.warc == e.name)
            .map(|p| (p, checkpoint.as_ref()));
        if proofs.is_some() && logged.is_none() {
            v.fail(e.name.clone(), "no log proofs for this WARC");
        }
        check_warc(&mut v, &file, e, logged);
    }
    v
}

/// The checkpoint of the proofs, its note verified with the key (the given one, else the
/// package's); a note that fails is still read, so that the proofs can be located.
fn checked_checkpoint(v: &mut WaczVerdict, proofs: &LogProofs) -> Option<Checkpoint> {
    let key = match v.key_source {
        KeySource::Given => v.key.clone().unwrap_or_default(),
        KeySource::Package => proofs.verifier_key.trim().to_string(),
    };
    v.key = Some(key.clone());
    let item = "checkpoint";
    let checkpoint = match Checkpoint::verify_note(&proofs.checkpoint, &key) {
        Ok(cp) => {
            let whose = match v.key_source {
                KeySource::Given => "the given key".to_string(),
                KeySource::Package => {
                    "the key the package carries (a court should give the bureau's published key)"
                        .to_string()
                }
            };
            v.pass(
                item,
                format!(
                    "note of {} leaves, root {}, signature holds for {whose} {}",
                    cp.size,
                    cp.root.to_base64(),
                    key.split('+').next().unwrap_or("?")
                ),
            );
            cp
        }
        Err(e) => {
            v.fail(
                item,
                format!(
                    "the checkpoint note in {LOG_PROOFS_PATH} does not verify with {} key {key}: {e}",
                    match v.key_source {
                        KeySource::Given => "the given",
                        KeySource::Package => "the package's",
                    }
                ),
            );
            let text = proofs.checkpoint.split("\n\n").next().unwrap_or("");
            Checkpoint::parse_text(&format!("{text}\n")).ok()?
        }
    };
    if proofs.tree_size != checkpoint.size || proofs.root != checkpoint.root.to_base64() {
        v.fail(
            LOG_PROOFS_PATH,
            format!(
                "tree_size {} and root {} differ from the signed checkpoint",
                proofs.tree_size, proofs.root
            ),
        );
    }
    Some(checkpoint)
}

/// Checks one proof of a stored record; `Err` says what fails.
fn check_proof(p: &RecordProof, stored: &[u8], checkpoint: &Checkpoint) -> Result<u64, String> {
    let leaf_data = sha256_label(stored);
    if p.leaf_data != leaf_data || p.length != stored.len() as u64 {
        return Err(format!(
            "the record's bytes give leaf data {leaf_data} ({} bytes), {LOG_PROOFS_PATH} has {} ({} bytes)",
            stored.len(),
            p.leaf_data,
            p.length
        ));
    }
    let (Some(index), Some(size)) = (p.leaf_index, p.tree_size) else {
        return Err("no leaf index or tree size".into());
    };
    if size != checkpoint.size {
        return Err(format!(
            "proof for a tree of {size} leaves, the checkpoint has {}",
            checkpoint.size
        ));
    }
    let proof: Vec<Hash> = p
        .proof
        .iter()
        .map(|h| {
            Hash::from_base64(h)
                .ok_or_else(|| format!("proof hash {h:?} is not Base64 of 32 bytes"))
        })
        .collect::<Result<_, _>>()?;
    tlog::verify_inclusion(
        index,
        size,
        stored_record_leaf(stored),
        &proof,
        checkpoint.root,
    )
    .map_err(|e| format!("inclusion proof of leaf {index} fails: {e}"))?;
    Ok(index)
}

fn check_warc(
    v: &mut WaczVerdict,
    file: &File,
    e: &ZipEntry,
    logged: Option<(&LogProofs, Option<&Checkpoint>)>,
) {
    let item = e.name.clone();
    let reader = match file.try_clone().and_then(|mut f| {
        f.seek(SeekFrom::Start(e.data))?;
        Ok(f)
    }) {
        Ok(f) => WarcReader::new(BufReader::new(f.take(e.size))),
        Err(err) => {
            v.fail(item, format!("cannot read: {err}"));
            return;
        }
    };
    let mut by_offset: BTreeMap<u64, &RecordProof> = BTreeMap::new();
    if let Some((proofs, _)) = logged {
        for p in &proofs.records {
            if by_offset.insert(p.offset, p).is_some() {
                v.fail(
                    LOG_PROOFS_PATH,
                    format!("two proofs for offset {}", p.offset),
                );
            }
        }
    }
    let (mut records, mut digests, mut logged_count, mut failures) = (0, 0, 0, 0);
    let mut unlogged_warcinfo = false;
    let mut last_member = None;
    for rec in reader {
        let rec = match rec {
            Ok(r) => r,
            Err(err) => {
                failures += 1;
                v.fail(
                    format!("{item} at offset {}", err.offset().unwrap_or(0)),
                    format!("{err} (reading stops here)"),
                );
                break;
            }
        };
        records += 1;
        let place = format!(
            "{item} at offset {}{}",
            rec.offset,
            rec.record_id()
                .map(|id| format!(" record {id}"))
                .unwrap_or_default()
        );
        if rec.header("WARC-Block-Digest").is_some() || rec.header("WARC-Payload-Digest").is_some()
        {
            digests += 1;
        }
        for problem in missing_digests(&rec).into_iter().chain(verify_record(&rec)) {
            failures += 1;
            v.fail(place.clone(), problem.to_string());
        }
        let Some((_, checkpoint)) = logged else {
            continue;
        };
        if last_member == Some(rec.offset) {
            continue;
        }
        last_member = Some(rec.offset);
        let stored = match read_at(file, e.data + rec.offset, rec.length) {
            Ok(s) => s,
            Err(err) => {
                failures += 1;
                v.fail(place, err);
                continue;
            }
        };
        let outcome = match by_offset.remove(&rec.offset) {
            None => Err(format!("no proof in {LOG_PROOFS_PATH} for this record")),
            Some(p) => match &p.not_logged {
                Some(_) if rec.offset == 0 && rec.warc_type() == Some("warcinfo") => {
                    if p.leaf_data == sha256_label(&stored) && p.length == rec.length {
                        unlogged_warcinfo = true;
                        continue;
                    }
                    Err(format!(
                        "the package's warcinfo: leaf data {} in {LOG_PROOFS_PATH}, its bytes give {}",
                        p.leaf_data,
                        sha256_label(&stored)
                    ))
                }
                Some(why) => Err(format!("not proven to be in the log: {why}")),
                None => match checkpoint {
                    Some(cp) => check_proof(p, &stored, cp),
                    None => Err("no checkpoint to check the proof against".into()),
                },
            },
        };
        match outcome {
            Ok(_) => logged_count += 1,
            Err(problem) => {
                failures += 1;
                v.fail(place, problem);
            }
        }
    }
    for (offset, _) in by_offset {
        failures += 1;
        v.fail(
            LOG_PROOFS_PATH,
            format!("a proof for offset {offset} of {item}, where no record starts"),
        );
    }
    if records == 0 && failures == 0 {
        failures += 1;
        v.fail(item.clone(), "holds no WARC record");
    }
    v.records += records;
    v.logged += logged_count;
    if failures == 0 {
        let log_note = match logged {
            Some((_, Some(cp))) => format!(
                "; {logged_count} stored records proven in the log under the checkpoint of {} leaves{}",
                cp.size,
                if unlogged_warcinfo {
                    " (the package's own warcinfo is not logged)"
                } else {
                    ""
                }
            ),
            _ => String::new(),
        };
        v.pass(
            item,
            format!("{records} records read, {digests} with digests, all hold{log_note}"),
        );
    }
}
