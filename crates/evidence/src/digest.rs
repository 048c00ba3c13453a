//! Digests: the `sha256:<lowercase hex>` labels the writer stamps on records, and checking of any
//! digest a WARC declares (`sha256`, `sha1`, `sha512`; hex, Base32 or Base64 values, since other
//! tools write all of these). The payload of an HTTP block is `http_msg`'s: the body after the
//! head, with the chunked transfer-coding removed when the head declares it.
//!
//! Must not do I/O or parse WARC framing: it works on bytes and records ([`RecordParts`]) handed
//! to it.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::record::RecordParts;

/// `sha256:<lowercase hex>` of `data`, the form this crate writes.
pub fn sha256_label(data: &[u8]) -> String {
    label_hex("sha256:", &Sha256::digest(data))
}

/// `prefix` followed by `digest` in lowercase hex.
pub(crate) fn label_hex(prefix: &str, digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(prefix.len() + digest.len() * 2);
    out.push_str(prefix);
    for &b in digest {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// The payload of an HTTP message (head + body) under the WARC rule: the body after the head,
/// de-chunked when the head says `Transfer-Encoding: chunked` and the body really is chunked.
/// A body that claims to be chunked but is not (seen in the wild) counts as-is.
pub use http_msg::message_payload as http_payload;

/// Which declared digest a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DigestField {
    /// `WARC-Block-Digest`.
    Block,
    /// `WARC-Payload-Digest`.
    Payload,
}

impl DigestField {
    /// The WARC header carrying this digest.
    pub fn header_name(self) -> &'static str {
        match self {
            DigestField::Block => "WARC-Block-Digest",
            DigestField::Payload => "WARC-Payload-Digest",
        }
    }
}

/// A declared digest that does not hold or cannot be checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DigestProblem {
    /// The recomputed digest differs from the declared one. `computed` uses the declared
    /// algorithm (`sha256:` hex, `sha1:` Base32).
    Mismatch {
        field: DigestField,
        declared: String,
        computed: String,
    },
    /// The algorithm is not one this crate knows, so the digest was not checked.
    UnsupportedAlgorithm {
        field: DigestField,
        declared: String,
    },
    /// The value is not `algorithm:value` with a hex, Base32 or Base64 value of the right length.
    Malformed {
        field: DigestField,
        declared: String,
    },
    /// The record declares no such digest where verification needs one ([`missing_digests`]):
    /// nothing vouches for its content.
    Missing { field: DigestField },
}

impl fmt::Display for DigestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestProblem::Mismatch {
                field,
                declared,
                computed,
            } => write!(
                f,
                "{} mismatch: declared {declared}, computed {computed}",
                field.header_name()
            ),
            DigestProblem::UnsupportedAlgorithm { field, declared } => {
                write!(
                    f,
                    "{} uses an unsupported algorithm: {declared}",
                    field.header_name()
                )
            }
            DigestProblem::Malformed { field, declared } => {
                write!(f, "{} is malformed: {declared}", field.header_name())
            }
            DigestProblem::Missing { field } => write!(
                f,
                "no {}: the record's content cannot be checked",
                field.header_name()
            ),
        }
    }
}

/// Recompute `WARC-Block-Digest` and `WARC-Payload-Digest` where declared.
///
/// The payload is the HTTP body for `application/http` blocks and the whole block otherwise.
/// For a chunked HTTP body the de-chunked body (WARC 1.1's entity-body, what this crate writes)
/// is checked first, then the body as transferred, because warcio, warcprox, wget and Heritrix
/// digest the still-chunked bytes; the block digest covers every byte either way. `revisit`
/// records are skipped for the payload: their payload digest names content stored in another
/// record. An empty result means every declared digest holds (a record declaring none passes).
pub fn verify_record<R: RecordParts + ?Sized>(rec: &R) -> Vec<DigestProblem> {
    let mut problems = Vec::new();
    let block = rec.block();
    if let Some(declared) = rec.field(DigestField::Block.header_name()) {
        problems.extend(check(DigestField::Block, declared, &[block]));
    }
    let is_revisit = rec
        .field("WARC-Type")
        .is_some_and(|t| t.eq_ignore_ascii_case("revisit"));
    if let (Some(declared), false) = (rec.field(DigestField::Payload.header_name()), is_revisit) {
        let problem = if rec.is_http_block() {
            let (head, raw) = http_msg::split_message(block).unwrap_or((block, &[]));
            let payload = http_msg::payload(head, raw);
            check(DigestField::Payload, declared, &[&payload, raw])
        } else {
            check(DigestField::Payload, declared, &[block])
        };
        problems.extend(problem);
    }
    problems
}

/// The digests a record must declare to be verified, and does not: a `WARC-Block-Digest` on
/// every record, and a `WARC-Payload-Digest` on a `response`, `resource` or `revisit` (the
/// records whose payload is what a viewer shows or an export indexes). This crate's writer
/// puts both on every such record, and a block digest on every record it writes (`warcinfo`,
/// `request`, `metadata` too), so its records never miss one; other tools' records that carry
/// digests in any supported algorithm pass. [`verify_record`] checks only what is declared.
pub fn missing_digests<R: RecordParts + ?Sized>(rec: &R) -> Vec<DigestProblem> {
    let mut missing = Vec::new();
    if rec.field(DigestField::Block.header_name()).is_none() {
        missing.push(DigestProblem::Missing {
            field: DigestField::Block,
        });
    }
    let has_payload = rec.field("WARC-Type").is_some_and(|t| {
        ["response", "resource", "revisit"]
            .iter()
            .any(|k| t.eq_ignore_ascii_case(k))
    });
    if has_payload && rec.field(DigestField::Payload.header_name()).is_none() {
        missing.push(DigestProblem::Missing {
            field: DigestField::Payload,
        });
    }
    missing
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// The algorithm of a label such as `sha256` or `SHA-1` (ASCII case and `-` ignored).
    fn from_label(label: &str) -> Option<Self> {
        let is = |name: &str| {
            label
                .trim()
                .bytes()
                .filter(|&b| b != b'-')
                .map(|b| b.to_ascii_lowercase())
                .eq(name.bytes())
        };
        [
            ("sha1", Algorithm::Sha1),
            ("sha256", Algorithm::Sha256),
            ("sha512", Algorithm::Sha512),
        ]
        .into_iter()
        .find_map(|(name, alg)| is(name).then_some(alg))
    }

    fn len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    fn digest(self, data: &[u8]) -> DigestBytes {
        match self {
            Algorithm::Sha1 => DigestBytes::of(&Sha1::digest(data)),
            Algorithm::Sha256 => DigestBytes::of(&Sha256::digest(data)),
            Algorithm::Sha512 => DigestBytes::of(&Sha512::digest(data)),
        }
    }

    /// Conventional rendering: SHA-1 in Base32 (as Heritrix, wget and warcio write it), the
    /// SHA-2 family in lowercase hex.
    fn label(self, digest: &[u8]) -> String {
        match self {
            Algorithm::Sha1 => format!("sha1:{}", base32_encode(digest)),
            Algorithm::Sha256 => label_hex("sha256:", digest),
            Algorithm::Sha512 => label_hex("sha512:", digest),
        }
    }
}

/// A digest's bytes, on the stack: at most SHA-512's 64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DigestBytes {
    bytes: [u8; 64],
    len: usize,
}

impl DigestBytes {
    /// The first 64 bytes of `bytes` (every digest here is at most that long).
    fn of(bytes: &[u8]) -> DigestBytes {
        let mut out = DigestBytes {
            bytes: [0; 64],
            len: bytes.len().min(64),
        };
        out.bytes[..out.len].copy_from_slice(&bytes[..out.len]);
        out
    }
}

impl std::ops::Deref for DigestBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Check `declared` against the first of `candidates` that matches; a mismatch reports the
/// digest of the first (preferred) candidate.
fn check(field: DigestField, declared: &str, candidates: &[&[u8]]) -> Option<DigestProblem> {
    let declared_owned = || declared.to_string();
    let Some((label, value)) = declared.split_once(':') else {
        return Some(DigestProblem::Malformed {
            field,
            declared: declared_owned(),
        });
    };
    let Some(alg) = Algorithm::from_label(label) else {
        return Some(DigestProblem::UnsupportedAlgorithm {
            field,
            declared: declared_owned(),
        });
    };
    let Some(expected) = decode_digest(value.trim(), alg.len()) else {
        return Some(DigestProblem::Malformed {
            field,
            declared: declared_owned(),
        });
    };
    let mut first = None;
    for data in candidates {
        let actual = alg.digest(data);
        if actual == expected {
            return None;
        }
        first.get_or_insert(actual);
    }
    Some(DigestProblem::Mismatch {
        field,
        declared: declared_owned(),
        computed: alg.label(first.as_deref().unwrap_or_default()),
    })
}

/// Decode a digest value of `len` bytes written as hex, Base32 or Base64 (standard or URL-safe,
/// padded or not). Encoded lengths differ between encodings for every supported size, so at most
/// one decoding yields `len` bytes.
fn decode_digest(value: &str, len: usize) -> Option<DigestBytes> {
    if value.len() == len * 2 {
        if let Some(bytes) = hex_decode(value.as_bytes()) {
            return Some(bytes);
        }
    }
    [base32_decode(value), base64_decode(value)]
        .into_iter()
        .flatten()
        .find(|bytes| bytes.len() == len && len <= 64)
        .map(|bytes| DigestBytes::of(&bytes))
}

/// Hex of at most 64 bytes, either case; `None` on an odd length, a non-hex character or more.
fn hex_decode(hex: &[u8]) -> Option<DigestBytes> {
    /// Value of each byte as a hex digit; 0xff for the others.
    const NIBBLE: [u8; 256] = {
        let mut t = [0xffu8; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            t[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    if !hex.len().is_multiple_of(2) || hex.len() > 128 {
        return None;
    }
    let mut out = DigestBytes {
        bytes: [0; 64],
        len: hex.len() / 2,
    };
    let mut bad = 0u8;
    for (pair, byte) in hex.chunks_exact(2).zip(&mut out.bytes) {
        let (hi, lo) = (NIBBLE[usize::from(pair[0])], NIBBLE[usize::from(pair[1])]);
        bad |= (hi | lo) & 0xf0;
        *byte = hi << 4 | (lo & 0x0f);
    }
    (bad == 0).then_some(out)
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 Base32, padded.
pub(crate) fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    while !out.len().is_multiple_of(8) {
        out.push('=');
    }
    out
}

/// RFC 4648 Base32, case-insensitive, padding optional.
fn base32_decode(s: &str) -> Option<Vec<u8>> {
    decode_bits(s, 5, |c| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    })
}

/// RFC 4648 Base64, standard or URL-safe alphabet, padding optional.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    decode_bits(s, 6, |c| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    })
}

fn decode_bits(s: &str, width: u32, sym: impl Fn(u8) -> Option<u8>) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * width as usize / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        acc = ((acc << width) | u32::from(sym(c)?)) & 0xFFFF;
        bits += width;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_label_known_vector() {
        assert_eq!(
            sha256_label(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn base32_round_trip_and_vectors() {
        // RFC 4648 §10 test vectors.
        for (plain, enc) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), enc);
            assert_eq!(base32_decode(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("mzxw6ytb").unwrap(), b"fooba");
        assert_eq!(base32_decode("1AAA"), None);
    }

    #[test]
    fn base64_vectors() {
        for (plain, enc) in [
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_decode(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(
            base64_decode("-_8=").unwrap(),
            base64_decode("+/8=").unwrap()
        );
    }

    #[test]
    fn digest_values_in_every_encoding() {
        let sha1_empty = Sha1::digest(b"").to_vec();
        for value in [
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
            "2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
            "2jmj7l5rSw0yVb_vlWAYkK_YBwk",
        ] {
            assert_eq!(
                decode_digest(value, 20).as_deref(),
                Some(&sha1_empty[..]),
                "{value}"
            );
        }
        assert_eq!(decode_digest("1112H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", 20), None);
        let hex = |h: &[u8]| hex_decode(h).map(|d| d.to_vec());
        assert_eq!(hex(b"00ff7fA0bC"), Some(vec![0, 255, 127, 160, 188]));
        assert_eq!(hex(b"0g"), None);
        assert_eq!(hex(b"g0"), None);
        assert_eq!(hex(b"abc"), None);
        assert_eq!(hex(b""), Some(vec![]));
        assert_eq!(hex(&[b'a'; 128]), Some(vec![0xaa; 64]));
        assert_eq!(hex(&[b'a'; 130]), None);
    }

    #[test]
    fn check_reports_each_kind() {
        let ok = sha256_label(b"x");
        assert_eq!(check(DigestField::Block, &ok, &[b"x"]), None);
        assert!(matches!(
            check(DigestField::Block, &ok, &[b"y"]),
            Some(DigestProblem::Mismatch { computed, .. }) if computed == sha256_label(b"y")
        ));
        assert!(matches!(
            check(DigestField::Payload, "md5:abcd", &[b"x"]),
            Some(DigestProblem::UnsupportedAlgorithm { .. })
        ));
        assert!(matches!(
            check(DigestField::Payload, "sha256", &[b"x"]),
            Some(DigestProblem::Malformed { .. })
        ));
        assert!(matches!(
            check(DigestField::Payload, "sha256:zz", &[b"x"]),
            Some(DigestProblem::Malformed { .. })
        ));
        let (x, y): (&[u8], &[u8]) = (b"x", b"y");
        assert_eq!(
            check(DigestField::Block, &ok, &[y, x]),
            None,
            "any candidate may match"
        );
        assert!(matches!(
            check(DigestField::Block, &ok, &[y, b"z"]),
            Some(DigestProblem::Mismatch { computed, .. }) if computed == sha256_label(b"y")
        ));
        assert_eq!(
            check(
                DigestField::Block,
                "SHA-1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
                &[b""]
            ),
            None
        );
    }
}
