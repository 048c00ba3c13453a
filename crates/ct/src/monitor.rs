//! Following one log: fetch and verify its tree head, read its entries in batches, prove each
//! batch part of the signed tree. Owns the order of the checks and what a [`Position`] means;
//! speaks to the log only through `crawl::get`, with a cap on every answer. Must not keep
//! anything between runs itself: the caller saves the position.

use crawl::CrawlConfig;
use evidence::tlog::hash::leaf_hash;
use evidence::tlog::{verify_consistency, Hash};
use serde::{Deserialize, Serialize};

use crate::cert::{self, Entry};
use crate::compact;
use crate::error::{Endpoint, Failure, Malformed, PositionProblem, SkipReason, Skipped};
use crate::head::{LogKey, SignatureProblem, TreeHead};
use crate::wire;
use crate::LogConfig;

/// A leaf larger than this is skipped ([`SkipReason::TooLarge`]) without being parsed; it is
/// still hashed into the tree.
pub const MAX_ENTRY_BYTES: usize = 1024 * 1024;
/// The cap on one `get-entries` answer. A longer answer is asked again for half as many
/// entries; one entry whose answer is still longer is a [`Malformed::TooLarge`] failure.
pub const MAX_ENTRIES_BODY_BYTES: usize = 32 * 1024 * 1024;
/// The largest batch a monitor reads at once (a larger `batch_size` is lowered to it).
pub const MAX_BATCH_SIZE: u64 = 10_000;
/// The cap on a `get-sth` or `get-sth-consistency` answer.
const MAX_SMALL_BODY_BYTES: usize = 64 * 1024;
/// Entries asked for in one `get-entries` call (logs answer fewer; the rest is asked again).
const MAX_ASK: u64 = 1000;
/// A consistency proof has at most two hashes per level of a tree of 2^64 leaves.
const MAX_PROOF_HASHES: usize = 128;

/// Where a log has been read to, verified. The store keeps it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The last tree head verified: its signature checked, consistent with every head
    /// trusted before, and the entries `[0, next_index)` proved part of it.
    pub sth: TreeHead,
    /// The entries `[0, next_index)` have been read and verified.
    pub next_index: u64,
    /// The compact range (Merkle frontier) of the leaves `[0, next_index)`: the roots of its
    /// complete subtrees, largest first (hex in JSON).
    #[serde(with = "crate::serde_hash::list")]
    pub frontier: Vec<Hash>,
}

impl Position {
    /// Whether the position is well formed: no more entries read than its head holds, and
    /// one frontier hash per set bit of `next_index`.
    fn check(&self) -> Result<(), PositionProblem> {
        if self.next_index > self.sth.size {
            return Err(PositionProblem::BeyondHead {
                next_index: self.next_index,
                size: self.sth.size,
            });
        }
        let expected = compact::len_for(self.next_index);
        if self.frontier.len() != expected {
            return Err(PositionProblem::FrontierLength {
                next_index: self.next_index,
                expected,
                got: self.frontier.len(),
            });
        }
        Ok(())
    }
}

/// One verified step: the entries `[from, to)` read and proved part of a signed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The first index read.
    pub from: u64,
    /// The certificates read, in index order.
    pub entries: Vec<Entry>,
    /// The entries that could not be read, in index order.
    pub skipped: Vec<Skipped>,
    /// Where the log has been read to after this batch: save it with what was taken from the
    /// entries, in one transaction.
    pub position: Position,
}

/// Follows one log. See the crate documentation for the checks it makes.
#[derive(Debug)]
pub struct Monitor {
    crawl: CrawlConfig,
    log: LogConfig,
    /// The last position verified (saved, or reached by a batch of this monitor).
    position: Option<Position>,
    /// The newest head verified in this run.
    head: Option<TreeHead>,
    batch_size: u64,
    /// The saved position's head has been checked against the key.
    checked_saved: bool,
}

impl Monitor {
    /// A monitor of `log` starting at `saved` (from the first entry when `None`), fetching
    /// through `crawl`, reading at most `batch_size` entries per batch (1 to
    /// [`MAX_BATCH_SIZE`]).
    pub fn new(
        crawl: CrawlConfig,
        log: LogConfig,
        saved: Option<Position>,
        batch_size: u64,
    ) -> Monitor {
        Monitor {
            crawl,
            log,
            position: saved,
            head: None,
            batch_size: batch_size.clamp(1, MAX_BATCH_SIZE),
            checked_saved: false,
        }
    }

    /// The log followed.
    pub fn log(&self) -> &LogConfig {
        &self.log
    }

    /// The last verified position (the saved one until a batch is read).
    pub fn position(&self) -> Option<&Position> {
        self.position.as_ref()
    }

    /// Fetches `get-sth` and checks its signature with the log's key; then, against the
    /// newest head trusted (this run's, else the saved position's), that the tree did not
    /// shrink and that the new head extends it (`get-sth-consistency`, or equal roots for
    /// equal sizes). A log seen for the first time is trusted on the signature alone. On
    /// failure nothing changes: the new head is never trusted.
    pub async fn head(&mut self) -> Result<TreeHead, Failure> {
        let key = LogKey::from_spki(&self.log.key)?;
        if !self.checked_saved {
            if let Some(saved) = &self.position {
                saved.check().map_err(Failure::BadPosition)?;
                saved
                    .sth
                    .verify(&key)
                    .map_err(|_| Failure::BadPosition(PositionProblem::NotThisLog))?;
            }
            self.checked_saved = true;
        }
        let body = self
            .fetch(Endpoint::GetSth, "get-sth", MAX_SMALL_BODY_BYTES)
            .await?;
        let malformed = |problem| Failure::Malformed {
            endpoint: Endpoint::GetSth,
            problem,
        };
        let new = TreeHead::from_json(&body).map_err(malformed)?;
        new.verify(&key).map_err(|p| match p {
            SignatureProblem::Encoding(m) => malformed(m),
            SignatureProblem::DoesNotVerify => Failure::BadSignature,
        })?;
        let trusted = self
            .head
            .as_ref()
            .or(self.position.as_ref().map(|p| &p.sth));
        if let Some(old) = trusted {
            self.check_extends(old, &new).await?;
        }
        self.head = Some(new.clone());
        Ok(new)
    }

    /// Whether `new` extends `old`: not smaller, equal roots at equal sizes, else a
    /// consistency proof from the log.
    async fn check_extends(&self, old: &TreeHead, new: &TreeHead) -> Result<(), Failure> {
        if new.size < old.size {
            return Err(Failure::SizeShrank {
                saved: old.size,
                now: new.size,
            });
        }
        if old.size == 0 {
            // The empty tree is a prefix of every tree.
            return Ok(());
        }
        let proof = if new.size == old.size {
            Vec::new()
        } else {
            self.consistency(old.size, new.size).await?
        };
        verify_consistency(old.size, new.size, &proof, old.root, new.root).map_err(|proof| {
            Failure::Inconsistent {
                from: old.size,
                to: new.size,
                proof,
            }
        })
    }

    /// Reads the next batch of at most `batch_size` entries after the position, up to the
    /// newest verified head (fetched first when this run has none; call [`Monitor::head`] again
    /// to see the log grow), and proves it: when the batch ends at the head's size, the
    /// frontier's root must be the signed root; otherwise the log's consistency proof from
    /// the batch's end to the head must hold with the frontier's root as the first root.
    /// `None` when every entry of the head has been read. On failure the position stays
    /// where it was.
    pub async fn next_batch(&mut self) -> Result<Option<Batch>, Failure> {
        let head = match &self.head {
            Some(h) => h.clone(),
            None => self.head().await?,
        };
        let (from, mut frontier) = match &self.position {
            Some(p) => (p.next_index, p.frontier.clone()),
            None => (0, Vec::new()),
        };
        if from >= head.size {
            return Ok(None);
        }
        let to = head.size.min(from.saturating_add(self.batch_size));
        let mut entries = Vec::new();
        let mut skipped = Vec::new();
        let mut next = from;
        let mut ask = MAX_ASK;
        while next < to {
            let want = (to - next).min(ask);
            let Some(leaves) = self.entries(next, next + want - 1).await? else {
                // Too large an answer: ask for fewer.
                if want == 1 {
                    return Err(Failure::Malformed {
                        endpoint: Endpoint::GetEntries,
                        problem: Malformed::TooLarge {
                            cap: MAX_ENTRIES_BODY_BYTES,
                        },
                    });
                }
                ask = want / 2;
                continue;
            };
            // More than asked is fine (only what was asked is taken), fewer is followed.
            for leaf in leaves.into_iter().take(want as usize) {
                compact::push(&mut frontier, next, leaf_hash(&leaf));
                if leaf.len() > MAX_ENTRY_BYTES {
                    skipped.push(Skipped {
                        index: next,
                        reason: SkipReason::TooLarge { bytes: leaf.len() },
                    });
                } else {
                    match cert::entry(next, &leaf) {
                        Ok(e) => entries.push(e),
                        Err(reason) => skipped.push(Skipped {
                            index: next,
                            reason,
                        }),
                    }
                }
                next += 1;
            }
        }
        let mismatch = Failure::EntriesDoNotMatch {
            from,
            to,
            size: head.size,
        };
        let root = compact::root(&frontier);
        if to == head.size {
            if root != head.root {
                return Err(mismatch);
            }
        } else {
            let proof = self.consistency(to, head.size).await?;
            verify_consistency(to, head.size, &proof, root, head.root).map_err(|_| mismatch)?;
        }
        let position = Position {
            sth: head,
            next_index: to,
            frontier,
        };
        self.position = Some(position.clone());
        Ok(Some(Batch {
            from,
            entries,
            skipped,
            position,
        }))
    }

    /// `get-entries` for `[start, end]` (inclusive, as in RFC 6962): the leaves' bytes, at
    /// least one; `None` when the answer is longer than the cap.
    async fn entries(&self, start: u64, end: u64) -> Result<Option<Vec<Vec<u8>>>, Failure> {
        let endpoint = Endpoint::GetEntries;
        let malformed = |problem| Failure::Malformed { endpoint, problem };
        let query = format!("get-entries?start={start}&end={end}");
        let body = match self.fetch(endpoint, &query, MAX_ENTRIES_BODY_BYTES).await {
            Err(Failure::Malformed {
                problem: Malformed::TooLarge { .. },
                ..
            }) => return Ok(None),
            other => other?,
        };
        let answer: wire::EntriesJson = wire::json(&body).map_err(malformed)?;
        if answer.entries.is_empty() {
            return Err(malformed(Malformed::NoEntries));
        }
        answer
            .entries
            .iter()
            .map(|e| wire::base64("leaf_input", &e.leaf_input).map_err(malformed))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// `get-sth-consistency` from `first` to `second` entries.
    async fn consistency(&self, first: u64, second: u64) -> Result<Vec<Hash>, Failure> {
        let endpoint = Endpoint::GetSthConsistency;
        let malformed = |problem| Failure::Malformed { endpoint, problem };
        let query = format!("get-sth-consistency?first={first}&second={second}");
        let body = self.fetch(endpoint, &query, MAX_SMALL_BODY_BYTES).await?;
        let answer: wire::ConsistencyJson = wire::json(&body).map_err(malformed)?;
        if answer.consistency.len() > MAX_PROOF_HASHES {
            return Err(malformed(Malformed::ProofTooLong {
                len: answer.consistency.len(),
            }));
        }
        answer
            .consistency
            .iter()
            .map(|h| wire::hash("consistency", h).map_err(malformed))
            .collect()
    }

    /// GETs an API call (`name` with its query) and returns the body of a 200 answer.
    async fn fetch(&self, endpoint: Endpoint, name: &str, cap: usize) -> Result<Vec<u8>, Failure> {
        let url = self.log.endpoint(name);
        let response = crawl::get(&self.crawl, &url, "application/json", cap)
            .await
            .map_err(|source| Failure::Unreachable { endpoint, source })?;
        if response.status != 200 {
            return Err(Failure::Http {
                endpoint,
                status: response.status,
            });
        }
        if response.truncated {
            return Err(Failure::Malformed {
                endpoint,
                problem: Malformed::TooLarge { cap },
            });
        }
        Ok(response.body.to_vec())
    }
}
