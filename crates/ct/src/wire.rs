//! RFC 6962's encodings: the JSON answers of `get-sth`, `get-sth-consistency` and
//! `get-entries` (§4), the TLS-encoded MerkleTreeLeaf (§3.4) and DigitallySigned (RFC 5246
//! §4.7). Only reading: this crate never writes a log. Must not fetch or verify anything.

use base64::Engine as _;
use evidence::tlog::Hash;
use serde::Deserialize;

use crate::error::{Malformed, SkipReason};

/// The `get-sth` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct SthJson {
    pub tree_size: u64,
    pub timestamp: u64,
    pub sha256_root_hash: String,
    pub tree_head_signature: String,
}

/// The `get-sth-consistency` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct ConsistencyJson {
    pub consistency: Vec<String>,
}

/// The `get-entries` answer. `extra_data` (the chain) is not read: the leaf is what the log
/// signed.
#[derive(Debug, Deserialize)]
pub(crate) struct EntriesJson {
    pub entries: Vec<EntryJson>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EntryJson {
    pub leaf_input: String,
}

/// Parses a JSON answer.
pub(crate) fn json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Malformed> {
    serde_json::from_slice(body).map_err(|e| Malformed::Json {
        detail: e.to_string(),
    })
}

/// Decodes standard base64 (padding required, as RFC 6962 logs send it).
pub(crate) fn base64(field: &'static str, text: &str) -> Result<Vec<u8>, Malformed> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| Malformed::Base64 { field })
}

/// Decodes a base64 tree hash.
pub(crate) fn hash(field: &'static str, text: &str) -> Result<Hash, Malformed> {
    Hash::from_slice(&base64(field, text)?).ok_or(Malformed::HashLength { field })
}

/// A reader of TLS presentation-language encodings (big-endian integers, length-prefixed
/// vectors); `None` when the input ends early.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn uint(&mut self, n: usize) -> Option<u64> {
        Some(
            self.bytes(n)?
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
        )
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.uint(1).map(|v| v as u8)
    }

    pub fn u16(&mut self) -> Option<u16> {
        self.uint(2).map(|v| v as u16)
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.uint(8)
    }

    /// A vector with a length prefix of `len_bytes` bytes.
    pub fn vec(&mut self, len_bytes: usize) -> Option<&'a [u8]> {
        let len = self.uint(len_bytes)?;
        self.bytes(usize::try_from(len).ok()?)
    }

    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
}

/// DigitallySigned's algorithm numbers (RFC 5246 §7.4.1.4.1).
pub(crate) const HASH_SHA256: u8 = 4;
pub(crate) const SIGNATURE_ECDSA: u8 = 3;

/// A DigitallySigned structure: hash and signature algorithm, and the signature (for ECDSA,
/// DER `Ecdsa-Sig-Value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigitallySigned<'a> {
    pub hash: u8,
    pub signature_algorithm: u8,
    pub signature: &'a [u8],
}

pub(crate) fn digitally_signed(bytes: &[u8]) -> Result<DigitallySigned<'_>, Malformed> {
    let mut r = Reader::new(bytes);
    let parsed = (|| {
        Some(DigitallySigned {
            hash: r.u8()?,
            signature_algorithm: r.u8()?,
            signature: r.vec(2)?,
        })
    })();
    match parsed {
        Some(ds) if r.remaining() == 0 => Ok(ds),
        _ => Err(Malformed::SignatureEncoding),
    }
}

/// What a leaf logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Logged<'a> {
    /// An `x509_entry`: the certificate's DER.
    X509(&'a [u8]),
    /// A `precert_entry`: the issuer's key hash and the TBSCertificate's DER (without the
    /// poison extension).
    Precert {
        issuer_key_hash: [u8; 32],
        tbs: &'a [u8],
    },
}

/// A MerkleTreeLeaf (v1, `timestamped_entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaf<'a> {
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    pub logged: Logged<'a>,
}

/// Reads a MerkleTreeLeaf (RFC 6962 §3.4), extensions included, nothing after them.
pub(crate) fn leaf(bytes: &[u8]) -> Result<Leaf<'_>, SkipReason> {
    let mut r = Reader::new(bytes);
    let version = r.u8().ok_or(SkipReason::Truncated)?;
    if version != 0 {
        return Err(SkipReason::UnknownVersion(version));
    }
    let leaf_type = r.u8().ok_or(SkipReason::Truncated)?;
    if leaf_type != 0 {
        return Err(SkipReason::UnknownLeafType(leaf_type));
    }
    let timestamp_ms = r.u64().ok_or(SkipReason::Truncated)?;
    let entry_type = r.u16().ok_or(SkipReason::Truncated)?;
    let logged = match entry_type {
        0 => Logged::X509(r.vec(3).ok_or(SkipReason::Truncated)?),
        1 => {
            let hash = r.bytes(32).ok_or(SkipReason::Truncated)?;
            let tbs = r.vec(3).ok_or(SkipReason::Truncated)?;
            Logged::Precert {
                issuer_key_hash: hash.try_into().expect("32 bytes read"),
                tbs,
            }
        }
        other => return Err(SkipReason::UnknownEntryType(other)),
    };
    let _extensions = r.vec(2).ok_or(SkipReason::Truncated)?;
    match r.remaining() {
        0 => Ok(Leaf {
            timestamp_ms,
            logged,
        }),
        bytes => Err(SkipReason::TrailingBytes { bytes }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x509_leaf(ts: u64, cert: &[u8], ext: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0];
        v.extend_from_slice(&ts.to_be_bytes());
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(cert);
        v.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        v.extend_from_slice(ext);
        v
    }

    #[test]
    fn reads_an_x509_leaf() {
        let bytes = x509_leaf(1_700_000_000_123, b"\x30\x00", b"");
        assert_eq!(
            leaf(&bytes),
            Ok(Leaf {
                timestamp_ms: 1_700_000_000_123,
                logged: Logged::X509(b"\x30\x00")
            })
        );
        // Extensions are read past.
        let bytes = x509_leaf(5, b"abc", b"ext");
        assert_eq!(leaf(&bytes).unwrap().logged, Logged::X509(b"abc"));
    }

    #[test]
    fn reads_a_precert_leaf() {
        let mut v = vec![0, 0];
        v.extend_from_slice(&7u64.to_be_bytes());
        v.extend_from_slice(&[0, 1]);
        v.extend_from_slice(&[9; 32]);
        v.extend_from_slice(&[0, 0, 2, 0x30, 0x00]);
        v.extend_from_slice(&[0, 0]);
        assert_eq!(
            leaf(&v).unwrap().logged,
            Logged::Precert {
                issuer_key_hash: [9; 32],
                tbs: b"\x30\x00"
            }
        );
    }

    #[test]
    fn refuses_broken_leaves_with_a_reason() {
        let good = x509_leaf(5, b"abc", b"");
        let cases: Vec<(Vec<u8>, SkipReason)> = vec![
            (vec![], SkipReason::Truncated),
            (good[..good.len() - 1].to_vec(), SkipReason::Truncated),
            (good[..12].to_vec(), SkipReason::Truncated),
            (
                [&good[..], b"x"].concat(),
                SkipReason::TrailingBytes { bytes: 1 },
            ),
            (
                [&[1u8][..], &good[1..]].concat(),
                SkipReason::UnknownVersion(1),
            ),
            (
                [&[0u8, 2][..], &good[2..]].concat(),
                SkipReason::UnknownLeafType(2),
            ),
            (
                [&good[..10], &[0u8, 7][..], &good[12..]].concat(),
                SkipReason::UnknownEntryType(7),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(leaf(&bytes), Err(want.clone()), "{want:?}");
        }
    }

    #[test]
    fn reads_digitally_signed() {
        assert_eq!(
            digitally_signed(&[4, 3, 0, 2, 0xaa, 0xbb]),
            Ok(DigitallySigned {
                hash: 4,
                signature_algorithm: 3,
                signature: &[0xaa, 0xbb]
            })
        );
        for bad in [&[4u8, 3, 0, 3, 1, 2][..], &[4, 3, 0, 1, 1, 2], &[4]] {
            assert_eq!(digitally_signed(bad), Err(Malformed::SignatureEncoding));
        }
    }
}
