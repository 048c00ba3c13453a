//! The chain of custody: every view and export of evidence, with who, when and why, in an
//! append-only log whose rows are hash-chained. This module is pure: the entry types, the
//! canonical hash ([`custody_hash`]) and the chain check ([`verify_custody_chain`]); the
//! backends store the rows (`append_custody` computes the hash inside the write transaction).
//!
//! # The hash, so that a third party can recompute it
//!
//! `hash` is the lowercase hex SHA-256 of the UTF-8 bytes
//!
//! ```text
//! wangjian-custody-v1\n
//! id:<len>:<id>\n
//! at:<len>:<at>\n
//! actor:<len>:<actor>\n
//! action:<len>:<action>\n
//! subject:<len>:<subject>\n
//! reason:<len>:<reason>\n
//! prev_hash:<len>:<prev_hash>\n
//! ```
//!
//! where `<len>` is the value's length in bytes (decimal) — so a value may hold any character,
//! newlines included, without ambiguity — `id` is the row id in decimal, `at` the UTC time to
//! the second as `YYYY-MM-DDTHH:MM:SSZ`, `action` the code (`view`, `export`, `verify`), and
//! `prev_hash` the previous row's `hash`, or 64 zeros ([`GENESIS_HASH`]) for the first row.
//!
//! What the chain proves: no row was changed, inserted or removed in the middle. Cutting rows
//! off the end is not detectable from the rows alone; anchoring the head in the transparency
//! log's checkpoints closes that gap (a later issue).

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The reason recorded when the person gave none.
pub const NO_REASON: &str = "未说明";

/// What was done with the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustodyAction {
    /// Shown in the console.
    View,
    /// Exported (WACZ, extraction record).
    Export,
    /// Checked (`evidence verify`).
    Verify,
    /// Captured by an inspector (`evidence capture`): the evidence came into being.
    Capture,
}

impl CustodyAction {
    /// Stable code, part of the hash.
    pub fn code(self) -> &'static str {
        match self {
            CustodyAction::View => "view",
            CustodyAction::Export => "export",
            CustodyAction::Verify => "verify",
            CustodyAction::Capture => "capture",
        }
    }

    /// Chinese label for the console.
    pub fn label(self) -> &'static str {
        match self {
            CustodyAction::View => "查看",
            CustodyAction::Export => "导出",
            CustodyAction::Verify => "校验",
            CustodyAction::Capture => "取证",
        }
    }

    pub fn parse(code: &str) -> Option<CustodyAction> {
        [
            CustodyAction::View,
            CustodyAction::Export,
            CustodyAction::Verify,
            CustodyAction::Capture,
        ]
        .into_iter()
        .find(|a| a.code() == code)
    }
}

/// An entry to append; the store adds the time (its clock), id and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCustody {
    /// Who: `console 127.0.0.1:50412` for the console (until logins exist), the OS user for
    /// the CLI.
    pub actor: String,
    pub action: CustodyAction,
    /// What: [`custody_subject_for_record`] for one WARC record, `site:<host><prefix>` or
    /// `sweep:<id>` for an export selection.
    pub subject: String,
    /// Why, as the person stated it ([`NO_REASON`] when they did not).
    pub reason: String,
}

/// One stored row of the custody log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyRecord {
    pub id: i64,
    /// UTC, whole seconds.
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: CustodyAction,
    pub subject: String,
    pub reason: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Which custody rows to read, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyFilter {
    /// Rows about any of these subjects; empty: all rows.
    pub subjects: Vec<String>,
    /// The newest `limit` rows (still returned oldest first); 0 or less: all.
    pub limit: i64,
}

/// The custody subject of one WARC record: `warc:<file>@<offset>`.
pub fn custody_subject_for_record(warc_file: &str, offset: i64) -> String {
    format!("warc:{warc_file}@{offset}")
}

/// The time as the hash sees it (and as the store keeps it): UTC, whole seconds.
pub fn custody_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(0)
}

/// The hash of a row (see the module docs for the exact format).
#[allow(clippy::too_many_arguments)]
pub fn custody_hash(
    id: i64,
    at: DateTime<Utc>,
    actor: &str,
    action: CustodyAction,
    subject: &str,
    reason: &str,
    prev_hash: &str,
) -> String {
    let at = custody_time(at).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let id = id.to_string();
    let mut text = String::from("wangjian-custody-v1\n");
    for (name, value) in [
        ("id", id.as_str()),
        ("at", at.as_str()),
        ("actor", actor),
        ("action", action.code()),
        ("subject", subject),
        ("reason", reason),
        ("prev_hash", prev_hash),
    ] {
        text.push_str(&format!("{name}:{}:{value}\n", value.len()));
    }
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl CustodyRecord {
    /// The hash this row should carry.
    pub fn expected_hash(&self) -> String {
        custody_hash(
            self.id,
            self.at,
            &self.actor,
            self.action,
            &self.subject,
            &self.reason,
            &self.prev_hash,
        )
    }
}

/// Where a custody chain breaks: the row and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("custody row {id}: {problem}")]
pub struct CustodyBreak {
    pub id: i64,
    pub problem: String,
}

/// Checks a run of consecutive custody rows, oldest first: every row's hash recomputes, and
/// every row's `prev_hash` is the hash of the row before it. A run starting at the first row
/// (id 1, as the full log does) must start from [`GENESIS_HASH`]; a later run is anchored on
/// its first row's `prev_hash`. Names the first row that fails.
pub fn verify_custody_chain(rows: &[CustodyRecord]) -> Result<(), CustodyBreak> {
    let mut prev: Option<&CustodyRecord> = None;
    for row in rows {
        let fail = |problem: String| {
            Err(CustodyBreak {
                id: row.id,
                problem,
            })
        };
        match prev {
            None if row.id == 1 && row.prev_hash != GENESIS_HASH => {
                return fail("the first row does not start from the genesis hash".into());
            }
            None => {}
            Some(p) => {
                if row.id != p.id + 1 {
                    return fail(format!("follows row {} (rows missing in between)", p.id));
                }
                if row.prev_hash != p.hash {
                    return fail(format!("prev_hash does not match the hash of row {}", p.id));
                }
            }
        }
        if row.expected_hash() != row.hash {
            return fail("its fields do not match its hash (changed after it was written)".into());
        }
        prev = Some(row);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn chain(n: i64) -> Vec<CustodyRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|id| {
                let at = Utc.timestamp_opt(1_700_000_000 + id, 0).unwrap();
                let hash = custody_hash(id, at, "console", CustodyAction::View, "s", "r", &prev);
                let row = CustodyRecord {
                    id,
                    at,
                    actor: "console".into(),
                    action: CustodyAction::View,
                    subject: "s".into(),
                    reason: "r".into(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    #[test]
    fn the_format_is_stable() {
        // Recomputable by hand: printf 'wangjian-custody-v1\nid:1:1\nat:20:2023-11-14T22:13:20Z\n
        // actor:7:console\naction:4:view\nsubject:1:s\nreason:1:r\nprev_hash:64:000…\n' | sha256sum
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let mut text = String::from("wangjian-custody-v1\nid:1:1\nat:20:2023-11-14T22:13:20Z\n");
        text.push_str("actor:7:console\naction:4:view\nsubject:1:s\nreason:1:r\n");
        text.push_str(&format!("prev_hash:64:{GENESIS_HASH}\n"));
        assert_eq!(
            custody_hash(
                1,
                at,
                "console",
                CustodyAction::View,
                "s",
                "r",
                GENESIS_HASH
            ),
            hex::encode(Sha256::digest(text.as_bytes()))
        );
        // Lengths are bytes: a field cannot leak into the next.
        assert_ne!(
            custody_hash(
                1,
                at,
                "a\nreason:1:b",
                CustodyAction::View,
                "s",
                "r",
                GENESIS_HASH
            ),
            custody_hash(1, at, "a", CustodyAction::View, "s", "b", GENESIS_HASH),
        );
    }

    #[test]
    fn breaks_are_located() {
        let rows = chain(4);
        assert_eq!(verify_custody_chain(&rows), Ok(()));
        assert_eq!(verify_custody_chain(&rows[2..]), Ok(()));
        let mut changed = rows.clone();
        changed[2].reason = "改过".into();
        assert_eq!(verify_custody_chain(&changed).unwrap_err().id, 3);
        let mut gap = rows.clone();
        gap.remove(1);
        assert_eq!(verify_custody_chain(&gap).unwrap_err().id, 3);
        let mut rehashed = rows.clone();
        rehashed[1].reason = "改过".into();
        rehashed[1].hash = rehashed[1].expected_hash();
        assert_eq!(verify_custody_chain(&rehashed).unwrap_err().id, 3);
        let mut first = rows;
        first[0].prev_hash = "1".repeat(64);
        first[0].hash = first[0].expected_hash();
        assert_eq!(verify_custody_chain(&first).unwrap_err().id, 1);
    }
}
