//! Every reason the monitor gives: why a step failed ([`Failure`]), what was wrong with an
//! answer ([`Malformed`]), with a saved position ([`PositionProblem`]) or with one entry
//! ([`SkipReason`]). Each has a stable `code()` for the store and the console; the `Display`
//! texts are for operators' logs, not for people at the console.

use std::fmt;

use crawl::FetchError;
use evidence::tlog::ProofError;

/// The log API call an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `get-sth`.
    GetSth,
    /// `get-sth-consistency`.
    GetSthConsistency,
    /// `get-entries`.
    GetEntries,
}

impl Endpoint {
    /// The call's name in the URL, e.g. `get-sth`.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::GetSth => "get-sth",
            Endpoint::GetSthConsistency => "get-sth-consistency",
            Endpoint::GetEntries => "get-entries",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a step of the monitor failed. Nothing the log said in a failed step is used: the
/// position stays where it was and a head that was not proved is never trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The configured key is not a DER SubjectPublicKeyInfo of an ECDSA P-256 key.
    #[error("the log's key is not an ECDSA P-256 SubjectPublicKeyInfo")]
    UnsupportedKey,
    /// The saved position cannot be resumed from.
    #[error("the saved position is not usable: {0}")]
    BadPosition(PositionProblem),
    /// The log could not be asked (address refused, connection, timeout, TLS).
    #[error("{endpoint}: {source}")]
    Unreachable {
        endpoint: Endpoint,
        source: FetchError,
    },
    /// The log answered with a status other than 200.
    #[error("{endpoint}: HTTP status {status}")]
    Http { endpoint: Endpoint, status: u16 },
    /// The log's answer could not be read.
    #[error("{endpoint}: {problem}")]
    Malformed {
        endpoint: Endpoint,
        problem: Malformed,
    },
    /// The tree head's signature does not verify with the log's key (or is not an ECDSA
    /// P-256 SHA-256 signature).
    #[error("the tree head's signature does not verify with the log's key")]
    BadSignature,
    /// The log's tree is smaller than a tree head it signed before.
    #[error("the tree shrank from {saved} to {now} entries")]
    SizeShrank { saved: u64, now: u64 },
    /// The new tree head does not extend the trusted one: the consistency proof fails, or two
    /// heads of one size have different roots. The log shows different histories.
    #[error("the tree head of size {to} does not extend the one of size {from}: {proof}")]
    Inconsistent {
        from: u64,
        to: u64,
        proof: ProofError,
    },
    /// The entries `[from, to)` read, with those before them, do not hash to the signed tree
    /// head of `size` entries (or the proof that they are its prefix fails).
    #[error("entries [{from}, {to}) do not hash to the signed tree head of size {size}")]
    EntriesDoNotMatch { from: u64, to: u64, size: u64 },
}

impl Failure {
    /// A stable code, e.g. `inconsistent`.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::UnsupportedKey => "unsupported_key",
            Failure::BadPosition(_) => "bad_position",
            Failure::Unreachable { .. } => "unreachable",
            Failure::Http { .. } => "http_status",
            Failure::Malformed { .. } => "malformed",
            Failure::BadSignature => "bad_signature",
            Failure::SizeShrank { .. } => "size_shrank",
            Failure::Inconsistent { .. } => "inconsistent",
            Failure::EntriesDoNotMatch { .. } => "entries_do_not_match",
        }
    }

    /// Whether the log misbehaved in a way only a dishonest or broken log can: a bad
    /// signature, a shrinking or forked tree, entries that are not the signed tree's. Such a
    /// failure is evidence about the log, unlike a network error or a malformed answer.
    pub fn is_misbehaviour(&self) -> bool {
        matches!(
            self,
            Failure::BadSignature
                | Failure::SizeShrank { .. }
                | Failure::Inconsistent { .. }
                | Failure::EntriesDoNotMatch { .. }
        )
    }
}

/// What was wrong with an answer of the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The body is not the JSON object expected (a field missing or of the wrong type).
    #[error("the answer is not the JSON expected: {detail}")]
    Json { detail: String },
    /// A field is not standard base64.
    #[error("{field} is not base64")]
    Base64 { field: &'static str },
    /// A hash is not 32 bytes long.
    #[error("{field} is not a 32-byte hash")]
    HashLength { field: &'static str },
    /// The tree head signature is not a DigitallySigned structure.
    #[error("the tree head signature is not a DigitallySigned structure")]
    SignatureEncoding,
    /// The body is larger than the cap for this call.
    #[error("the answer is larger than {cap} bytes")]
    TooLarge { cap: usize },
    /// `get-entries` answered no entry for a range that the signed tree holds.
    #[error("no entries in the answer")]
    NoEntries,
    /// A consistency proof with more hashes than any tree of 2^64 entries needs.
    #[error("a proof of {len} hashes")]
    ProofTooLong { len: usize },
}

impl Malformed {
    /// A stable code, e.g. `base64`.
    pub fn code(&self) -> &'static str {
        match self {
            Malformed::Json { .. } => "json",
            Malformed::Base64 { .. } => "base64",
            Malformed::HashLength { .. } => "hash_length",
            Malformed::SignatureEncoding => "signature_encoding",
            Malformed::TooLarge { .. } => "too_large",
            Malformed::NoEntries => "no_entries",
            Malformed::ProofTooLong { .. } => "proof_too_long",
        }
    }
}

/// Why a saved [`crate::Position`] cannot be resumed from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PositionProblem {
    /// More entries read than the saved tree head holds.
    #[error("{next_index} entries read of a tree of {size}")]
    BeyondHead { next_index: u64, size: u64 },
    /// The frontier does not have one hash per set bit of the number of entries read.
    #[error("a frontier of {got} hashes for {next_index} entries ({expected} expected)")]
    FrontierLength {
        next_index: u64,
        expected: usize,
        got: usize,
    },
    /// The saved tree head's signature does not verify with the configured key (another
    /// log's position, or a changed key).
    #[error("the saved tree head is not signed by the configured key")]
    NotThisLog,
}

impl PositionProblem {
    /// A stable code, e.g. `not_this_log`.
    pub fn code(&self) -> &'static str {
        match self {
            PositionProblem::BeyondHead { .. } => "beyond_head",
            PositionProblem::FrontierLength { .. } => "frontier_length",
            PositionProblem::NotThisLog => "not_this_log",
        }
    }
}

/// An entry of the tree that could not be read as a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its index in the log.
    pub index: u64,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why an entry was skipped. The entry is still hashed into the tree: it is the log's, only
/// unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SkipReason {
    /// The leaf is larger than [`crate::MAX_ENTRY_BYTES`]; it is not parsed.
    #[error("the entry is {bytes} bytes long")]
    TooLarge { bytes: usize },
    /// The MerkleTreeLeaf ends before its structure does.
    #[error("the leaf ends early")]
    Truncated,
    /// Bytes follow the MerkleTreeLeaf's structure.
    #[error("{bytes} bytes follow the leaf")]
    TrailingBytes { bytes: usize },
    /// A MerkleTreeLeaf version other than v1.
    #[error("leaf version {0}")]
    UnknownVersion(u8),
    /// A leaf type other than `timestamped_entry`.
    #[error("leaf type {0}")]
    UnknownLeafType(u8),
    /// An entry type other than `x509_entry` and `precert_entry`.
    #[error("entry type {0}")]
    UnknownEntryType(u16),
    /// The certificate (or a precertificate's TBSCertificate) is not valid DER X.509.
    #[error("the certificate does not parse: {detail}")]
    Certificate { detail: String },
}

impl SkipReason {
    /// A stable code, e.g. `bad_certificate`.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::TooLarge { .. } => "too_large",
            SkipReason::Truncated => "truncated_leaf",
            SkipReason::TrailingBytes { .. } => "trailing_bytes",
            SkipReason::UnknownVersion(_) => "unknown_version",
            SkipReason::UnknownLeafType(_) => "unknown_leaf_type",
            SkipReason::UnknownEntryType(_) => "unknown_entry_type",
            SkipReason::Certificate { .. } => "bad_certificate",
        }
    }
}
