//! `/transparency` publishes the transparency log: the public key that verifies its
//! checkpoints and every signed checkpoint, so that a court, a notary or a merchant can check
//! exported evidence against keys and roots they got from the bureau, not from the export.
//! `/transparency/key` is the key alone, as plain text.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use evidence::tlog::{checkpoint::stored_notes, Checkpoint};

use super::render;
use crate::{Shared, WebError};

/// Checkpoints listed on the page, newest first.
const SHOWN: usize = 50;

struct CheckpointRow {
    size: u64,
    time: String,
    root: String,
    file: String,
    valid: bool,
}

#[derive(Template)]
#[template(path = "transparency.html")]
struct TransparencyPage {
    active: &'static str,
    key: Option<String>,
    latest: Option<String>,
    rows: Vec<CheckpointRow>,
    total: usize,
}

fn public_key(app: &Shared) -> Option<String> {
    let log = app.log.as_ref()?;
    std::fs::read_to_string(&log.public_key_file)
        .ok()
        .map(|k| k.trim().to_string())
}

pub(crate) async fn page(State(app): State<Shared>) -> Result<Html<String>, WebError> {
    let key = public_key(&app);
    let mut rows = Vec::new();
    let mut latest = None;
    let mut total = 0;
    if let Some(log) = &app.log {
        let notes = stored_notes(&log.dir).map_err(|e| WebError::Internal(e.to_string()))?;
        total = notes.len();
        for path in notes.iter().rev().take(SHOWN) {
            let Ok(note) = std::fs::read_to_string(path) else {
                continue;
            };
            let verified = key
                .as_deref()
                .and_then(|k| Checkpoint::verify_note(&note, k).ok());
            // An unverifiable note is still listed, marked, so that tampering shows.
            let parsed = verified.clone().or_else(|| {
                note.split("\n\n")
                    .next()
                    .and_then(|body| Checkpoint::parse_text(&format!("{body}\n")).ok())
            });
            if latest.is_none() {
                latest = Some(note.clone());
            }
            if let Some(cp) = parsed {
                rows.push(CheckpointRow {
                    size: cp.size,
                    time: cp.time().map(crate::view::time).unwrap_or_default(),
                    root: cp.root.to_base64(),
                    file: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    valid: verified.is_some(),
                });
            }
        }
    }
    render(&TransparencyPage {
        active: "transparency",
        key,
        latest,
        rows,
        total,
    })
}

pub(crate) async fn key(State(app): State<Shared>) -> Result<Response, WebError> {
    let key = public_key(&app)
        .ok_or_else(|| WebError::NotFound("this console publishes no log key yet".into()))?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{key}\n"),
    )
        .into_response())
}
