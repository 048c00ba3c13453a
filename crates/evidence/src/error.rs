//! The crate's error type. Owns the vocabulary for everything that can go wrong while writing or
//! reading evidence; it must not decide policy (retry, skip, abort): callers do.

use std::io;
use std::path::PathBuf;

/// Everything the evidence crate can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// A file-system operation on a known path failed (create, open, write, fsync).
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The underlying stream failed while a record starting at `offset` was being read.
    #[error("read error in WARC record at offset {offset}: {source}")]
    Read {
        offset: u64,
        #[source]
        source: io::Error,
    },
    /// The bytes at `offset` are not a complete, well-formed WARC record (or gzip member).
    #[error("corrupt or truncated WARC record at offset {offset}: {problem}")]
    Corrupt { offset: u64, problem: Corruption },
    /// Random access found end of file instead of a record.
    #[error("no WARC record at offset {offset}")]
    NoRecord { offset: u64 },
    /// The transparency log refused a record's leaf; the record was not written.
    #[error("transparency log: {0}")]
    Log(#[from] crate::tlog::LogError),
    /// A [`crate::writer::LeafSink`] (the sequencer a worker submits leaves to) failed.
    #[error("transparency log sequencer: {0}")]
    Sequencer(String),
    /// Damage at `offset` lies below `committed_end`, the end of evidence already committed (a
    /// record the store points at): it is not a torn tail and is never cut, only reported.
    #[error(
        "damage below committed evidence at offset {offset} (evidence is committed up to \
         offset {committed_end}): not a torn tail, left untouched for a person to examine"
    )]
    BelowCommitted { offset: u64, committed_end: u64 },
    /// The file being written is no longer `expected` bytes long (another process cut or
    /// extended it: a repair that took this writer's process for dead); nothing more is
    /// written to it.
    #[error(
        "{path}: the file is {found} bytes long where this writer left it at {expected}: \
         changed by another process, nothing more written to it"
    )]
    FileChanged {
        path: PathBuf,
        expected: u64,
        found: u64,
    },
    /// A [`crate::writer::FinishedFiles`] could not keep a finished file (the object store a
    /// worker uploads to failed): the file stays where it was written, and its records do not
    /// count as stored.
    #[error("{path}: the finished file could not be handed on: {reason}")]
    HandOver { path: PathBuf, reason: String },
    /// A value handed to the writer cannot be written safely (it would corrupt or inject fields).
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: &'static str },
}

impl EvidenceError {
    /// The file offset the error is about, when it is about a place in a WARC stream.
    pub fn offset(&self) -> Option<u64> {
        match self {
            EvidenceError::Read { offset, .. }
            | EvidenceError::Corrupt { offset, .. }
            | EvidenceError::NoRecord { offset }
            | EvidenceError::BelowCommitted { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        EvidenceError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: &'static str) -> Self {
        EvidenceError::InvalidInput {
            field: field.into(),
            reason,
        }
    }
}

/// What is wrong with a corrupt record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// The record does not start with a `WARC/x.y` version line.
    #[error("missing WARC version line")]
    NotWarc,
    /// A header line is neither `Name: value` nor a continuation line.
    #[error("malformed header line {0:?}")]
    BadHeaderLine(String),
    /// The header block is larger than the reader accepts.
    #[error("header block too large")]
    HeaderTooLarge,
    /// The stream ended inside the header block.
    #[error("header block truncated")]
    TruncatedHeader,
    /// No `Content-Length` field.
    #[error("missing Content-Length")]
    MissingContentLength,
    /// `Content-Length` is not a decimal number.
    #[error("bad Content-Length {0:?}")]
    BadContentLength(String),
    /// The stream ended before `Content-Length` block bytes were read.
    #[error("block truncated: expected {expected} bytes, got {got}")]
    TruncatedBlock { expected: u64, got: u64 },
    /// The block is not followed by the mandatory `\r\n\r\n`.
    #[error("record not terminated by CRLF CRLF")]
    BadTrailer,
    /// The record's block (declared, or as a gzip member inflates) is larger than the reader's
    /// cap of `cap` bytes; nothing past the cap was read or held.
    #[error("record larger than the cap of {cap} bytes")]
    TooLarge { cap: u64 },
    /// The gzip member is invalid or truncated.
    #[error("gzip member: {0}")]
    Gzip(String),
}
