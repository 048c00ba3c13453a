//! The chain of custody: every view and export of evidence, with who, when and why, in an
//! append-only log whose rows are hash-chained. This module is pure: the entry types, the
//! canonical hash ([`custody_hash`]), the chain check ([`verify_custody_chain`]), the chain's
//! head ([`CustodyHead`]) and the check of the whole chain against the heads that signed
//! checkpoints committed to ([`audit_custody`]); the backends store the rows (`append_custody`
//! computes the hash inside the write transaction, `custody_head` reads the head).
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
//! the second as `YYYY-MM-DDTHH:MM:SSZ`, `action` the code (`view`, `export`, `verify`,
//! `capture`, `store`), and
//! `prev_hash` the previous row's `hash`, or 64 zeros ([`GENESIS_HASH`]) for the first row.
//! `subject` is a [`CustodySubject`] as its `Display` writes it (`warc:<file>@<offset>`,
//! `site:<host><prefix>`, `sweep:<id>`, `clue:<id>`, `attachment:<sha256>`); that text is what
//! is stored and hashed.
//!
//! What the chain proves alone: no row was changed, inserted or removed in the middle without
//! recomputing the hashes after it. Whoever can write the database can do that, though: change
//! a row and recompute every hash from there on, or cut rows off the end, and the chain still
//! holds. So the chain's head is anchored outside the database.
//!
//! # The head, committed in every signed checkpoint
//!
//! The head of the chain ([`CustodyHead`]) is the number of rows and the `hash` of the last
//! row — for the empty chain, 0 and [`GENESIS_HASH`]. Every checkpoint of the transparency log
//! that wangjian signs carries the head read just before signing, as the extension line
//! `wangjian-custody <count> <hash>` under the log key's signature (`evidence::tlog::checkpoint`;
//! the signers read it in one place, `sweep::checkpoint`). [`audit_custody`] checks the chain
//! against every such head: the row at position `count` (oldest first, so the row with id
//! `count`) must exist and carry exactly that hash, and the chain's links must hold from row 1
//! up to it. A chain rewritten with recomputed hashes changes the hash of every row from the
//! changed one on, so the next committed head no longer matches ([`CommitmentBreak::Rewritten`]);
//! a chain cut below a committed count lacks the committed row
//! ([`CommitmentBreak::Truncated`]). Rows after the last committed head are checked by their
//! links only: they are "not yet committed" until the next checkpoint is signed (`wangjian log
//! checkpoint` signs one at any time). Checkpoints signed before the line existed commit to
//! nothing about custody.

use crate::model::Scope;
use chrono::{DateTime, SubsecRound, Utc};
use domain::{ClueId, SiteAddress, SiteAddressError, SweepId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

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
    /// Taken into the evidence store from outside (a field inspection's photo or scan, its
    /// bytes kept under their SHA-256).
    Store,
}

impl CustodyAction {
    /// Stable code, part of the hash.
    pub fn code(self) -> &'static str {
        match self {
            CustodyAction::View => "view",
            CustodyAction::Export => "export",
            CustodyAction::Verify => "verify",
            CustodyAction::Capture => "capture",
            CustodyAction::Store => "store",
        }
    }

    /// Chinese label for the console.
    pub fn label(self) -> &'static str {
        match self {
            CustodyAction::View => "查看",
            CustodyAction::Export => "导出",
            CustodyAction::Verify => "校验",
            CustodyAction::Capture => "取证",
            CustodyAction::Store => "入库",
        }
    }

    pub fn parse(code: &str) -> Option<CustodyAction> {
        [
            CustodyAction::View,
            CustodyAction::Export,
            CustodyAction::Verify,
            CustodyAction::Capture,
            CustodyAction::Store,
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
    /// What: a [`CustodySubject`]'s text (`CustodySubject::to_string`), the form that is
    /// stored and hashed.
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
    /// The subject's text as stored and hashed; [`CustodyRecord::subject`] reads it.
    pub subject: String,
    pub reason: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Which custody rows to read, oldest first. There is no default: every read names its scope
/// ([`CustodyFilter::chain`] is the city's whole chain, for verification).
///
/// # Which rows a scope covers
///
/// A row is in a scope when its subject is (rows whose subject does not parse are the city's
/// only):
/// - `warc:<file>@<offset>`: when fetches point at exactly that record, when any of them is in
///   scope. A record no fetch points at (a screenshot, a metadata record, a request before its
///   response) is judged by its file: in scope when the file has fetches and every fetch
///   pointing into it is in scope. A capture's file holds one site, so its screenshot follows
///   the site; a sweep's file mixes districts, so such a record of it is the city's.
/// - `site:<address>`: when the site with that host and path prefix is in scope.
/// - `clue:<id>`: when the clue's site is in scope.
/// - `sweep:<id>`: when the sweep has sites and every one of them is in scope. A capture (one
///   site) follows its site; a sweep over several districts' sites is the city's, because its
///   evidence is theirs too.
/// - `attachment:<sha256>`: when an inspection in scope has an attachment with those bytes
///   (the same photo attached twice is one subject, seen by whoever may see either).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyFilter {
    /// Whose rows (see above).
    pub scope: Scope,
    /// Rows about any of these subjects (a [`CustodySubject`]'s text each, see
    /// [`CustodyFilter::about`]); empty: all rows in scope.
    pub subjects: Vec<String>,
    /// The newest `limit` rows in scope (still returned oldest first); 0 or less: all.
    pub limit: i64,
}

impl CustodyFilter {
    /// Every row: the whole chain, as verification reads it (the city's scope).
    pub fn chain() -> CustodyFilter {
        CustodyFilter::all(Scope::City)
    }

    /// Every row in `scope`.
    pub fn all(scope: Scope) -> CustodyFilter {
        CustodyFilter {
            scope,
            subjects: Vec::new(),
            limit: 0,
        }
    }

    /// Every row in `scope` about any of `subjects`.
    pub fn about(
        scope: Scope,
        subjects: impl IntoIterator<Item = CustodySubject>,
    ) -> CustodyFilter {
        CustodyFilter {
            scope,
            subjects: subjects.into_iter().map(|s| s.to_string()).collect(),
            limit: 0,
        }
    }

    /// The newest `limit` rows of this filter.
    pub fn newest(self, limit: i64) -> CustodyFilter {
        CustodyFilter { limit, ..self }
    }
}

/// What a custody row is about. Its text (`Display`, read back by `FromStr`) is the stored and
/// hashed form, so it never changes for a kind that exists: `warc:<file>@<offset>`,
/// `site:<host><prefix>`, `sweep:<id>`, `clue:<id>`, `attachment:<sha256>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CustodySubject {
    /// One WARC record (viewed, its screenshot shown): the file's name and the record's offset.
    Record { warc_file: String, offset: i64 },
    /// A site's evidence (an export of the site).
    Site(SiteAddress),
    /// A sweep's evidence (an export of the sweep, an inspector's capture).
    Sweep(SweepId),
    /// A clue's evidence (an export of the clue).
    Clue(ClueId),
    /// A field inspection's attachment: its bytes, by their SHA-256 (64 lowercase hex digits;
    /// build it with [`CustodySubject::attachment`]).
    Attachment(String),
}

/// Why a text is not a custody subject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustodySubjectError {
    #[error(
        "custody subject {0:?}: expected warc:, site:, sweep:, clue: or attachment: before the name"
    )]
    Kind(String),
    #[error("custody subject {0:?}: expected attachment:<64 lowercase hex digits>")]
    Attachment(String),
    #[error("custody subject {0:?}: expected warc:<file>@<offset>")]
    Record(String),
    #[error("custody subject: {0}")]
    Site(#[from] SiteAddressError),
    #[error("custody subject {0:?}: the id is not a number")]
    Id(String),
}

impl CustodySubject {
    /// The subject of the WARC record at `offset` of `warc_file`.
    pub fn record(warc_file: &str, offset: i64) -> CustodySubject {
        CustodySubject::Record {
            warc_file: warc_file.to_string(),
            offset,
        }
    }

    /// The subject of the attachment bytes with this SHA-256 (lowercase hex), `None` when the
    /// text is not one.
    pub fn attachment(sha256: &str) -> Option<CustodySubject> {
        is_sha256_hex(sha256).then(|| CustodySubject::Attachment(sha256.to_string()))
    }
}

/// Whether `s` is a SHA-256 as wangjian writes it: 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl fmt::Display for CustodySubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustodySubject::Record { warc_file, offset } => write!(f, "warc:{warc_file}@{offset}"),
            CustodySubject::Site(a) => write!(f, "site:{a}"),
            CustodySubject::Sweep(id) => write!(f, "sweep:{id}"),
            CustodySubject::Clue(id) => write!(f, "clue:{id}"),
            CustodySubject::Attachment(sha) => write!(f, "attachment:{sha}"),
        }
    }
}

impl FromStr for CustodySubject {
    type Err = CustodySubjectError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = |v: &str| {
            v.parse::<i64>()
                .map_err(|_| CustodySubjectError::Id(s.to_string()))
        };
        match s.split_once(':') {
            Some(("warc", rest)) => {
                let (file, offset) = rest
                    .rsplit_once('@')
                    .filter(|(file, _)| !file.is_empty())
                    .ok_or_else(|| CustodySubjectError::Record(s.to_string()))?;
                let offset = offset
                    .parse::<i64>()
                    .map_err(|_| CustodySubjectError::Record(s.to_string()))?;
                Ok(CustodySubject::record(file, offset))
            }
            Some(("site", rest)) => Ok(CustodySubject::Site(SiteAddress::parse(rest)?)),
            Some(("sweep", rest)) => Ok(CustodySubject::Sweep(SweepId(id(rest)?))),
            Some(("clue", rest)) => Ok(CustodySubject::Clue(ClueId(id(rest)?))),
            Some(("attachment", rest)) => CustodySubject::attachment(rest)
                .ok_or_else(|| CustodySubjectError::Attachment(s.to_string())),
            _ => Err(CustodySubjectError::Kind(s.to_string())),
        }
    }
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

impl NewCustody {
    /// An entry about `subject`.
    pub fn new(
        actor: impl Into<String>,
        action: CustodyAction,
        subject: &CustodySubject,
        reason: impl Into<String>,
    ) -> NewCustody {
        NewCustody {
            actor: actor.into(),
            action,
            subject: subject.to_string(),
            reason: reason.into(),
        }
    }
}

impl CustodyRecord {
    /// What the row is about, read from its stored text.
    pub fn subject(&self) -> Result<CustodySubject, CustodySubjectError> {
        self.subject.parse()
    }

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
    pub problem: BreakKind,
}

/// What is wrong with the row where a chain breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BreakKind {
    /// Row 1 does not start from [`GENESIS_HASH`].
    #[error("the first row does not start from the genesis hash")]
    NotFromGenesis,
    /// The whole log does not begin with row 1: rows were removed from its start.
    #[error("the log begins with this row, not with row 1 (rows removed from its start)")]
    StartsLate,
    /// Rows are missing between the row `after` and this one.
    #[error("follows row {after} (rows missing in between)")]
    Gap { after: i64 },
    /// `prev_hash` is not the hash of the row `prev` before it.
    #[error("prev_hash does not match the hash of row {prev}")]
    PrevHash { prev: i64 },
    /// The row's fields do not give its hash: it was changed after it was written.
    #[error("its fields do not match its hash (changed after it was written)")]
    Hash,
}

/// Checks a run of consecutive custody rows, oldest first: every row's hash recomputes, and
/// every row's `prev_hash` is the hash of the row before it. A run starting at the first row
/// (id 1, as the full log does) must start from [`GENESIS_HASH`]; a later run is anchored on
/// its first row's `prev_hash`. Names the first row that fails.
pub fn verify_custody_chain(rows: &[CustodyRecord]) -> Result<(), CustodyBreak> {
    let mut prev: Option<&CustodyRecord> = None;
    for row in rows {
        let fail = |problem: BreakKind| {
            Err(CustodyBreak {
                id: row.id,
                problem,
            })
        };
        match prev {
            None if row.id == 1 && row.prev_hash != GENESIS_HASH => {
                return fail(BreakKind::NotFromGenesis);
            }
            None => {}
            Some(p) => {
                if row.id != p.id + 1 {
                    return fail(BreakKind::Gap { after: p.id });
                }
                if row.prev_hash != p.hash {
                    return fail(BreakKind::PrevHash { prev: p.id });
                }
            }
        }
        if row.expected_hash() != row.hash {
            return fail(BreakKind::Hash);
        }
        prev = Some(row);
    }
    Ok(())
}

/// The head of the chain of custody: how many rows it has and the hash of the last one. A
/// signed checkpoint commits to it (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyHead {
    /// Number of rows.
    pub count: u64,
    /// The last row's `hash` (lowercase hex); [`GENESIS_HASH`] for the empty chain.
    pub hash: String,
}

impl CustodyHead {
    /// The head of the empty chain: 0 rows, [`GENESIS_HASH`].
    pub fn empty() -> CustodyHead {
        CustodyHead {
            count: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }

    /// The head of the whole chain `rows` (oldest first, as [`CustodyStore::custody`] reads an
    /// unfiltered log): their number and the last row's hash.
    ///
    /// [`CustodyStore::custody`]: crate::CustodyStore::custody
    pub fn of(rows: &[CustodyRecord]) -> CustodyHead {
        match rows.last() {
            Some(last) => CustodyHead {
                count: rows.len() as u64,
                hash: last.hash.clone(),
            },
            None => CustodyHead::empty(),
        }
    }
}

/// Why the chain does not hold a head that a signed checkpoint committed to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentBreak {
    /// The chain has fewer rows than the head counted: rows were cut off its end.
    #[error(
        "the log holds {rows} rows, fewer than the {committed} committed to (rows cut off its end)"
    )]
    Truncated { committed: u64, rows: u64 },
    /// The row at the committed count carries another hash than the one committed to: a row
    /// up to it was changed and the hashes recomputed. Every row up to `intact_to` (the largest
    /// committed count below this one that holds; 0 if none) is as committed, so the change is
    /// in rows `intact_to + 1 ..= committed`.
    #[error(
        "row {committed} has hash {stored}, but {committed} rows were committed with hash \
         {committed_hash} (a row from {} to {committed} was rewritten)",
        .intact_to + 1
    )]
    Rewritten {
        committed: u64,
        committed_hash: String,
        stored: String,
        intact_to: u64,
    },
}

/// The whole chain checked against the heads that signed checkpoints committed to
/// ([`audit_custody`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyAudit {
    /// Rows in the chain.
    pub rows: u64,
    /// Where the links break, if they do (the first row that fails).
    pub broken: Option<CustodyBreak>,
    /// One verdict per head, in the order the heads were given.
    pub heads: Vec<Result<(), CommitmentBreak>>,
    /// The largest count among the heads that hold (0 when none does): rows up to it are
    /// committed.
    pub committed: u64,
}

impl CustodyAudit {
    /// True when the links hold and every head does.
    pub fn ok(&self) -> bool {
        self.broken.is_none() && self.heads.iter().all(Result::is_ok)
    }

    /// Rows after the last committed one: checked by their links only, until a checkpoint
    /// commits to them.
    pub fn uncommitted(&self) -> u64 {
        self.rows.saturating_sub(self.committed)
    }
}

/// Checks the whole chain of custody `rows` (an unfiltered read, oldest first) and each of
/// `heads` against it: the links from row 1 ([`verify_custody_chain`], and the chain must begin
/// with row 1), and for each head of `count` rows, the chain's row at position `count` must
/// exist and carry the head's hash (for `count` 0, the hash must be [`GENESIS_HASH`]).
pub fn audit_custody(rows: &[CustodyRecord], heads: &[CustodyHead]) -> CustodyAudit {
    let broken = match rows.first() {
        Some(first) if first.id != 1 => Some(CustodyBreak {
            id: first.id,
            problem: BreakKind::StartsLate,
        }),
        _ => verify_custody_chain(rows).err(),
    };
    let stored = |count: u64| -> Option<&str> {
        match count {
            0 => Some(GENESIS_HASH),
            n => rows
                .get(usize::try_from(n - 1).ok()?)
                .map(|r| r.hash.as_str()),
        }
    };
    let holds = |h: &CustodyHead| stored(h.count) == Some(h.hash.as_str());
    let committed = heads
        .iter()
        .filter(|h| holds(h))
        .map(|h| h.count)
        .max()
        .unwrap_or(0);
    let verdicts = heads
        .iter()
        .map(|h| match stored(h.count) {
            None => Err(CommitmentBreak::Truncated {
                committed: h.count,
                rows: rows.len() as u64,
            }),
            Some(hash) if hash == h.hash => Ok(()),
            Some(hash) => Err(CommitmentBreak::Rewritten {
                committed: h.count,
                committed_hash: h.hash.clone(),
                stored: hash.to_string(),
                intact_to: heads
                    .iter()
                    .filter(|o| o.count < h.count && holds(o))
                    .map(|o| o.count)
                    .max()
                    .unwrap_or(0),
            }),
        })
        .collect();
    CustodyAudit {
        rows: rows.len() as u64,
        broken,
        heads: verdicts,
        committed,
    }
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
    fn subjects_keep_their_stored_text() {
        let subjects = [
            (
                "warc:wangjian-20240101-0001.warc.gz@1234",
                CustodySubject::record("wangjian-20240101-0001.warc.gz", 1234),
            ),
            (
                "warc:a@b.warc.gz@0",
                CustodySubject::record("a@b.warc.gz", 0),
            ),
            (
                "site:shop.example",
                CustodySubject::Site(SiteAddress::parse("shop.example").unwrap()),
            ),
            (
                "site:www.waimai.test/shop/8812",
                CustodySubject::Site(SiteAddress::parse("www.waimai.test/shop/8812").unwrap()),
            ),
            ("sweep:7", CustodySubject::Sweep(SweepId(7))),
            ("clue:12", CustodySubject::Clue(ClueId(12))),
            (
                "attachment:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                CustodySubject::Attachment(
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                ),
            ),
        ];
        for (text, subject) in subjects {
            assert_eq!(subject.to_string(), text);
            assert_eq!(text.parse::<CustodySubject>(), Ok(subject), "{text}");
        }
        for bad in [
            "s",
            "",
            "warc:",
            "warc:a.warc.gz",
            "warc:@1",
            "warc:a@x",
            "sweep:x",
            "clue:",
            "site:",
            "case:1",
            "attachment:",
            "attachment:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
            "attachment:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0",
            "attachment:../../etc/passwd",
        ] {
            assert!(bad.parse::<CustodySubject>().is_err(), "{bad}");
        }
        assert_eq!(
            "report:1".parse::<CustodySubject>(),
            Err(CustodySubjectError::Kind("report:1".into()))
        );
        let row = NewCustody::new(
            "cli",
            CustodyAction::Export,
            &CustodySubject::Sweep(SweepId(3)),
            NO_REASON,
        );
        assert_eq!(row.subject, "sweep:3");
        assert_eq!(
            CustodyFilter::about(
                Scope::City,
                [
                    CustodySubject::Clue(ClueId(1)),
                    CustodySubject::record("f", 9)
                ]
            )
            .subjects,
            ["clue:1", "warc:f@9"]
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
        let broken = verify_custody_chain(&first).unwrap_err();
        assert_eq!((broken.id, broken.problem), (1, BreakKind::NotFromGenesis));
    }

    /// Recomputes every hash from row `from` (0-based) on, as someone who rewrites the database
    /// would, so that the links hold again.
    fn rehash_from(rows: &mut [CustodyRecord], from: usize) {
        for i in from..rows.len() {
            if i > 0 {
                rows[i].prev_hash = rows[i - 1].hash.clone();
            }
            rows[i].hash = rows[i].expected_hash();
        }
    }

    #[test]
    fn the_head_is_the_count_and_the_last_hash() {
        assert_eq!(
            CustodyHead::of(&[]),
            CustodyHead {
                count: 0,
                hash: GENESIS_HASH.into()
            }
        );
        assert_eq!(CustodyHead::of(&[]), CustodyHead::empty());
        let rows = chain(3);
        assert_eq!(
            CustodyHead::of(&rows),
            CustodyHead {
                count: 3,
                hash: rows[2].hash.clone()
            }
        );
    }

    #[test]
    fn heads_catch_rewritten_and_truncated_chains() {
        let rows = chain(6);
        let heads: Vec<CustodyHead> = [0, 2, 4]
            .iter()
            .map(|&n| CustodyHead::of(&rows[..n]))
            .collect();

        // Untouched: every head holds; the rows after the last one are not yet committed.
        let audit = audit_custody(&rows, &heads);
        assert!(audit.ok(), "{audit:?}");
        assert_eq!(
            (audit.rows, audit.committed, audit.uncommitted()),
            (6, 4, 2)
        );
        // No head at all (checkpoints from before the custody line): links only.
        let audit = audit_custody(&rows, &[]);
        assert!(audit.ok());
        assert_eq!((audit.committed, audit.uncommitted()), (0, 6));

        // Row 3 changed and every hash from there recomputed: the links hold, the head of 4
        // rows does not, and the change is located after the last head that holds (2 rows).
        let mut rewritten = rows.clone();
        rewritten[2].reason = "改过".into();
        rehash_from(&mut rewritten, 2);
        assert_eq!(verify_custody_chain(&rewritten), Ok(()));
        let audit = audit_custody(&rewritten, &heads);
        assert!(!audit.ok());
        assert_eq!(audit.broken, None);
        assert_eq!(audit.heads[..2], [Ok(()), Ok(())]);
        assert_eq!(
            audit.heads[2],
            Err(CommitmentBreak::Rewritten {
                committed: 4,
                committed_hash: rows[3].hash.clone(),
                stored: rewritten[3].hash.clone(),
                intact_to: 2,
            })
        );
        assert_eq!(audit.committed, 2);
        let text = audit.heads[2].clone().unwrap_err().to_string();
        assert!(text.contains("a row from 3 to 4 was rewritten"), "{text}");
        // A rewrite after the last head is beyond what the checkpoints can show.
        let mut late = rows.clone();
        late[5].reason = "改过".into();
        rehash_from(&mut late, 5);
        assert!(audit_custody(&late, &heads).ok());

        // Rows cut off the end below a committed count: that head names the cut.
        let audit = audit_custody(&rows[..3], &heads);
        assert_eq!(audit.broken, None);
        assert_eq!(
            audit.heads[2],
            Err(CommitmentBreak::Truncated {
                committed: 4,
                rows: 3
            })
        );
        assert_eq!(audit.heads[..2], [Ok(()), Ok(())]);
        // Cut to nothing: every head but the empty one fails.
        let audit = audit_custody(&[], &heads);
        assert_eq!(audit.heads.iter().filter(|v| v.is_err()).count(), 2);
        // Cut above the last head: not detectable, and those rows were never committed.
        assert!(audit_custody(&rows[..5], &heads).ok());

        // Rows removed from the start (and the rest re-chained onto genesis, so that the links
        // hold from the first remaining row): the log must begin with row 1.
        let mut tail = rows[2..].to_vec();
        tail[0].prev_hash = GENESIS_HASH.into();
        rehash_from(&mut tail, 0);
        let audit = audit_custody(&tail, &[]);
        assert_eq!(
            audit.broken,
            Some(CustodyBreak {
                id: 3,
                problem: BreakKind::StartsLate
            })
        );

        // A head of the empty chain must carry the genesis hash.
        let bad_empty = CustodyHead {
            count: 0,
            hash: "1".repeat(64),
        };
        assert!(matches!(
            audit_custody(&rows, &[bad_empty]).heads[0],
            Err(CommitmentBreak::Rewritten { committed: 0, .. })
        ));
    }
}
