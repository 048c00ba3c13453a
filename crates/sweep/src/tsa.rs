//! Trusted time for checkpoints: asks an RFC 3161 Time-Stamping Authority for a token over a
//! checkpoint note and stores it beside the note.
//!
//! The two halves live where they belong: `evidence::tsa` builds the request and verifies the
//! answer (CMS signature, certificate, chain to a configured root), with no IO; the exchange
//! itself goes through the crawler's client ([`crawl::post`]), so a TSA URL meets the same
//! address policy (a private address must be allow-listed with `--resolve`), timeouts and
//! response cap as every fetch. The sweep calls [`stamp_note`] after signing its checkpoint;
//! so does `wangjian log checkpoint --tsa`.

use std::path::{Path, PathBuf};

use crawl::CrawlConfig;
use evidence::tlog::checkpoint::{store_token, CheckpointError};
use evidence::tsa::{
    TimeStampRequest, TokenInfo, TsaError, TsaRoot, MAX_RESPONSE_BYTES, QUERY_CONTENT_TYPE,
    REPLY_CONTENT_TYPE,
};

/// Why a note could not be time-stamped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StampError {
    /// The TSA URL is not a URL.
    #[error("TSA URL {url:?}")]
    Url {
        url: String,
        #[source]
        source: url::ParseError,
    },
    /// The exchange with the TSA failed (address refused, connection, timeout).
    #[error("TSA {url}")]
    Fetch {
        url: String,
        #[source]
        source: crawl::FetchError,
    },
    /// The TSA answered with another status than 200.
    #[error("TSA {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    /// The TSA answered with a body that is not a time-stamp reply.
    #[error("TSA {url} answered with content type {content_type:?}, not {REPLY_CONTENT_TYPE}")]
    ContentType { url: String, content_type: String },
    /// The TSA's answer is larger than any time-stamp reply.
    #[error("TSA {url} answered with more than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge { url: String },
    /// The answer is not a valid token over the note (refused, malformed, bad signature…).
    #[error("TSA {url}")]
    Token {
        url: String,
        #[source]
        source: TsaError,
    },
    /// The trusted root certificate cannot be used.
    #[error("TSA root certificate {}", path.display())]
    Root {
        path: PathBuf,
        #[source]
        source: TsaError,
    },
    /// The note could not be read.
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The token could not be stored beside the note (an existing token is never replaced).
    #[error(transparent)]
    Store(#[from] CheckpointError),
}

/// A token requested, verified and stored by [`stamp_note`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The token (DER `ContentInfo`), as stored.
    pub token: Vec<u8>,
    /// Beside the note: its name with `.tsr` (`<size>-<unix seconds>.tsr`).
    pub path: PathBuf,
    pub info: TokenInfo,
}

/// Asks the TSA at `url` for a token over `data` through the crawler's client, and verifies
/// the answer (with `root` when given). Returns the token and what it says.
pub async fn stamp(
    crawl: &CrawlConfig,
    url: &str,
    data: &[u8],
    root: Option<&TsaRoot>,
) -> Result<(Vec<u8>, TokenInfo), StampError> {
    let parsed = url::Url::parse(url).map_err(|source| StampError::Url {
        url: url.to_string(),
        source,
    })?;
    let request = TimeStampRequest::new(data).map_err(|source| StampError::Token {
        url: url.to_string(),
        source,
    })?;
    let response = crawl::post(
        crawl,
        &parsed,
        QUERY_CONTENT_TYPE,
        REPLY_CONTENT_TYPE,
        request.to_der().into(),
        MAX_RESPONSE_BYTES,
    )
    .await
    .map_err(|source| StampError::Fetch {
        url: url.to_string(),
        source,
    })?;
    if response.status != 200 {
        return Err(StampError::Status {
            url: url.to_string(),
            status: response.status,
        });
    }
    if let Some(ct) = &response.content_type {
        let media = ct.split(';').next().unwrap_or_default().trim();
        if !media.eq_ignore_ascii_case(REPLY_CONTENT_TYPE) {
            return Err(StampError::ContentType {
                url: url.to_string(),
                content_type: ct.clone(),
            });
        }
    }
    if response.truncated {
        return Err(StampError::TooLarge {
            url: url.to_string(),
        });
    }
    request
        .verify_response(&response.body, data, root)
        .map_err(|source| StampError::Token {
            url: url.to_string(),
            source,
        })
}

/// Requests a token over the note at `note_path` (its bytes as stored) from the TSA at `url`,
/// verifies it ([`stamp`]) and stores it beside the note ([`store_token`]).
pub async fn stamp_note(
    crawl: &CrawlConfig,
    url: &str,
    note_path: &Path,
    root: Option<&TsaRoot>,
) -> Result<StoredToken, StampError> {
    let note = tokio::fs::read(note_path)
        .await
        .map_err(|source| StampError::Io {
            path: note_path.to_path_buf(),
            source,
        })?;
    let (token, info) = stamp(crawl, url, &note, root).await?;
    let path = store_token(note_path, &token)?;
    Ok(StoredToken { token, path, info })
}

/// Reads a trusted TSA root certificate (PEM or DER) from `path`.
pub fn load_root(path: &Path) -> Result<TsaRoot, StampError> {
    let bytes = std::fs::read(path).map_err(|source| StampError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    TsaRoot::from_pem_or_der(&bytes).map_err(|source| StampError::Root {
        path: path.to_path_buf(),
        source,
    })
}
