//! What a sweep or an evidence capture can fail with. Every part of the crate returns these;
//! this module depends on no other module of the crate, so it is no reason for one to import
//! another. Errors keep their causes as sources: a variant's text adds only what the cause
//! does not say, so a printed chain names each cause once.

use domain::{ClueId, SweepId};
use evidence::tlog::{CheckpointError, LogError, NoteError};

/// A sweep (or capture) that could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Evidence(#[from] evidence::EvidenceError),
    /// A site's start URL (from the store) does not parse.
    #[error("bad start URL {url}")]
    StartUrl {
        url: String,
        #[source]
        source: url::ParseError,
    },
    /// The transparency log could not be opened.
    #[error("transparency log")]
    Log(#[source] LogError),
    /// The log's signing key could not be loaded or created.
    #[error("transparency log signing key")]
    LogKey(#[source] NoteError),
    /// The checkpoint that closes the sweep could not be signed or stored.
    #[error("transparency log checkpoint")]
    Checkpoint(#[source] CheckpointError),
    /// The chain of custody's last hash (from the store) is not a lowercase hex SHA-256 hash,
    /// so no checkpoint can commit to it: the database was altered.
    #[error(
        "the chain of custody's head ({count} rows, last hash {hash:?}) is not a SHA-256 hash"
    )]
    CustodyHead { count: u64, hash: String },
    /// A task of the sweep panicked or was cancelled.
    /// The store gave log indexes the log in this data directory does not hold: it is not the
    /// log the workers' leaves went to (another directory, or a log restored from an older
    /// copy). Nothing is appended.
    #[error("the transparency log here holds {log} leaves but the database has sequenced {sequenced}: this is not the log the workers write to")]
    LogBehind { log: u64, sequenced: i64 },
    /// The sweep is done by workers: a sweep in one process beside them would fetch its sites
    /// a second time.
    #[error(
        "sweep {sweep} is being done by workers (`wangjian worker`); it is not run in one process"
    )]
    ForWorkers { sweep: SweepId },
    /// Workers need the transparency log: evidence they write must be logged.
    #[error("a worker needs the transparency log (the data directory's log and keys)")]
    WorkerWithoutLog,
    /// A worker's name names its WARC files.
    #[error("worker name {name:?}: use 1 to 32 lower-case letters, digits and '-'")]
    BadWorkerName { name: String },
    #[error("the capture worker stopped")]
    Worker(#[from] tokio::task::JoinError),
    /// An evidence capture was refused before anything was fetched.
    #[error(transparent)]
    Capture(#[from] CaptureRefusal),
}

/// Why an evidence capture was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureRefusal {
    #[error("{url} has no host")]
    NoHost { url: String },
    /// No known site holds the URL (in the caller's scope: outside it a site is not known).
    #[error("{url} belongs to no known site; register it (or let a sweep discover it) first")]
    UnknownSite { url: String },
    #[error(
        "an evidence capture needs at least {needed} different operators (--operator), got {got}"
    )]
    TooFewOperators { needed: usize, got: usize },
    #[error("{url:?} is not a URL")]
    BadUrl { url: String },
    #[error("give a URL or a clue")]
    NoTarget,
    /// The clue does not exist, or not in the caller's scope.
    #[error("no clue {clue}")]
    NoClue { clue: ClueId },
    #[error("clue {clue} has no findings to take a URL from")]
    EmptyClue { clue: ClueId },
    /// The URL's site is not the clue's.
    #[error("{url} is not a page of the site of clue {clue}")]
    NotTheCluesSite { url: String, clue: ClueId },
    /// Users exist, and an operator is none of them.
    #[error("operator {name:?} is not a user")]
    UnknownOperator { name: String },
    #[error("operator {name:?} is disabled")]
    OperatorDisabled { name: String },
    /// The operator's role does not grant evidence capture.
    #[error("operator {name:?} may not take evidence captures")]
    OperatorMayNotCapture { name: String },
    /// The site is outside the operator's scope.
    #[error("the site {site} is outside the scope of operator {name:?}")]
    OperatorOutOfScope { name: String, site: String },
}
