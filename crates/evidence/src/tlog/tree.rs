//! The append-only Merkle tree of evidence digests, stored as plain files in one directory.
//!
//! Owns appending leaves, computing roots of the current and of any earlier size, producing
//! inclusion and consistency proofs (RFC 6962 §2.1.1–2.1.2) and repairing the files after a
//! crash. Must not sign (that is [`super::checkpoint`]), must not decide what a leaf is beyond
//! hashing the bytes it is given, and must never rewrite a stored hash: files only grow, except
//! that a torn tail left by a crash is cut off when the log is opened.
//!
//! # Leaves
//! A leaf's data is the record's digest exactly as written in its `WARC-Block-Digest` header,
//! e.g. the 71 ASCII bytes `sha256:<64 lowercase hex>`. Hashing the label rather than the raw 32
//! digest bytes keeps the algorithm inside the committed value, so a verifier holding only the
//! WARC record recomputes the leaf hash as SHA-256(0x00 ‖ header value) and nothing else.
//! [`Log::append`] hashes whatever bytes it is handed; the caller (the capture path) owns that
//! choice and records the returned leaf index with the record.
//!
//! # Files
//! ```text
//! <dir>/leaves        level 0: the 32-byte leaf hashes, in index order
//! <dir>/level-01      level 1: hash of leaves [2j, 2j+2) at offset 32·j
//! <dir>/level-NN      level k: MTH of the complete subtree of leaves [j·2^k, (j+1)·2^k)
//! <dir>/checkpoints/  signed checkpoints (see `checkpoint`)
//! ```
//! Level k holds exactly ⌊size / 2^k⌋ hashes. Any subtree a proof needs is either one stored
//! complete subtree (one read) or, on the right edge of the tree, at most one stored hash per
//! level, so a proof costs O(log n) reads whatever the size of the log. The level files hold
//! nothing the leaves file does not determine: they can be deleted and are rebuilt on open.
//!
//! # Crash safety
//! Each append writes the leaf hash first, then the new complete-subtree hashes bottom up, each
//! with one `write` to a file opened for appending. [`Log::sync`] fsyncs every file and the
//! directory; a checkpoint must only be signed after it. On open a tail that is not a whole
//! number of hashes is cut off, level files that lag behind the leaves are completed, and level
//! files ahead of the leaves (the leaves' tail was lost) are cut back; each repair is reported
//! in [`Log::repairs`]. Bit rot or tampering inside the files is not looked for on open (that
//! would read the whole log): [`Log::audit`] recomputes everything from the leaves.
//!
//! # Concurrency
//! A single writer: [`Log::open`] takes an exclusive advisory lock on the leaves file for the
//! life of the `Log`, and a second open (in this or another process) fails with
//! [`LogError::Locked`]; the lock is released when the `Log` is dropped or the process dies.
//! Reads (roots, proofs, leaf hashes) take `&self` and use positioned reads with no shared file
//! cursor, so within the writing process one `Log` can serve proofs from many threads behind an
//! `RwLock`, appends taking the write lock. Other processes ask the writer; they do not open
//! the files themselves.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::hash::{empty_root, leaf_hash, node_hash, split, Hash, HASH_LEN};

const LEAVES_FILE: &str = "leaves";
/// Highest level a u64-sized tree can have.
const MAX_LEVEL: u32 = 63;
/// Hashes read or written per chunk when rebuilding or auditing.
const CHUNK: u64 = 4096;

/// Everything the stored log can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A file-system operation on a known path failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Another `Log` (in this or another process) has the directory open for writing.
    #[error("{dir}: the transparency log is already open by another writer")]
    Locked { dir: PathBuf },
    /// A leaf index outside the tree of the given size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    /// A tree size larger than the log.
    #[error("tree size {size} is larger than the log ({log_size} leaves)")]
    SizeBeyondLog { size: u64, log_size: u64 },
    /// A consistency proof from a larger to a smaller tree.
    #[error("first tree size {size1} is larger than second tree size {size2}")]
    SizesReversed { size1: u64, size2: u64 },
    /// A stored interior hash does not match the hashes below it (found by [`Log::audit`]).
    #[error("stored hash {index} of level {level} does not match the leaves below it")]
    Inconsistent { level: u32, index: u64 },
    /// The files changed under an open log: the frontier read at open no longer matches.
    #[error("the log files changed while the log was open")]
    ChangedSinceOpen,
    /// An earlier append failed part-way; the in-memory state may no longer match the files.
    #[error("an earlier write to the log failed; reopen the log to repair it")]
    Poisoned,
}

/// A repair made by [`Log::open`] after a crash; the caller should log each one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// The file ended in a partial hash (a torn write); it was cut back to `to` bytes.
    TruncatedTornTail { path: PathBuf, from: u64, to: u64 },
    /// The level file held hashes beyond what the leaves support; cut back to `to` hashes.
    TruncatedLevel { level: u32, from: u64, to: u64 },
    /// The level file lagged behind the leaves; hashes `from..to` were recomputed.
    RebuiltLevel { level: u32, from: u64, to: u64 },
}

impl std::fmt::Display for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Repair::TruncatedTornTail { path, from, to } => write!(
                f,
                "{}: torn write, truncated from {from} to {to} bytes",
                path.display()
            ),
            Repair::TruncatedLevel { level, from, to } => write!(
                f,
                "level {level}: {from} hashes but the leaves support {to}; truncated"
            ),
            Repair::RebuiltLevel { level, from, to } => {
                write!(f, "level {level}: recomputed hashes {from}..{to}")
            }
        }
    }
}

/// The append-only transparency log in one directory. See the module docs for the files.
#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    /// `levels[0]` is the leaves file, `levels[k]` the level-k file; opened for read + append.
    levels: Vec<File>,
    size: u64,
    /// `frontier[k]` is the last complete level-k subtree when bit k of `size` is set: together
    /// they make up the current tree, so the root needs no IO.
    frontier: Vec<Option<Hash>>,
    repairs: Vec<Repair>,
    poisoned: bool,
    /// Hashes read so far (positioned reads of one hash each), for tests of the read cost.
    #[cfg(test)]
    reads: std::sync::atomic::AtomicU64,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn level_path(dir: &Path, level: u32) -> PathBuf {
    if level == 0 {
        dir.join(LEAVES_FILE)
    } else {
        dir.join(format!("level-{level:02}"))
    }
}

fn open_append(path: &Path) -> Result<File, LogError> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io_err(path))
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// Reads hashes `start..start + count` of a level file (`count` ≤ [`CHUNK`]).
fn read_hashes(file: &File, path: &Path, start: u64, count: u64) -> Result<Vec<Hash>, LogError> {
    let mut buf = vec![0u8; (count as usize) * HASH_LEN];
    read_exact_at(file, &mut buf, start * HASH_LEN as u64).map_err(io_err(path))?;
    Ok(buf
        .chunks_exact(HASH_LEN)
        .map(|c| Hash::from_slice(c).expect("chunks are HASH_LEN long"))
        .collect())
}

/// Cuts a torn tail (a length that is not a multiple of 32) and returns the number of hashes.
fn fix_torn_tail(file: &File, path: &Path, repairs: &mut Vec<Repair>) -> Result<u64, LogError> {
    let len = file.metadata().map_err(io_err(path))?.len();
    let whole = len - len % HASH_LEN as u64;
    if whole != len {
        file.set_len(whole).map_err(io_err(path))?;
        repairs.push(Repair::TruncatedTornTail {
            path: path.to_path_buf(),
            from: len,
            to: whole,
        });
    }
    Ok(whole / HASH_LEN as u64)
}

impl Log {
    /// Opens the log in `dir` (created if missing), takes the writer lock and repairs a crashed
    /// tail (see [`Log::repairs`]). Costs O(log n) reads unless a repair has to recompute.
    pub fn open(dir: impl AsRef<Path>) -> Result<Log, LogError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let leaves_path = level_path(&dir, 0);
        let leaves = open_append(&leaves_path)?;
        match leaves.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(LogError::Locked { dir }),
            Err(fs::TryLockError::Error(e)) => return Err(io_err(&leaves_path)(e)),
        }
        let mut repairs = Vec::new();
        let size = fix_torn_tail(&leaves, &leaves_path, &mut repairs)?;
        let mut levels = vec![leaves];

        for level in 1..=MAX_LEVEL {
            let path = level_path(&dir, level);
            let want = size >> level;
            if want == 0 {
                // Above the tree: a stale file can only come from lost leaves; empty it.
                if path.exists() {
                    let f = open_append(&path)?;
                    let have = f.metadata().map_err(io_err(&path))?.len() / HASH_LEN as u64;
                    if have > 0 {
                        f.set_len(0).map_err(io_err(&path))?;
                        repairs.push(Repair::TruncatedLevel {
                            level,
                            from: have,
                            to: 0,
                        });
                    }
                }
                continue;
            }
            let file = open_append(&path)?;
            let have = fix_torn_tail(&file, &path, &mut repairs)?;
            if have > want {
                file.set_len(want * HASH_LEN as u64)
                    .map_err(io_err(&path))?;
                repairs.push(Repair::TruncatedLevel {
                    level,
                    from: have,
                    to: want,
                });
            } else if have < want {
                let below = &levels[level as usize - 1];
                rebuild_level(
                    below,
                    &level_path(&dir, level - 1),
                    &file,
                    &path,
                    have,
                    want,
                )?;
                repairs.push(Repair::RebuiltLevel {
                    level,
                    from: have,
                    to: want,
                });
            }
            levels.push(file);
        }

        let mut log = Log {
            dir,
            levels,
            size,
            frontier: vec![None; MAX_LEVEL as usize + 1],
            repairs,
            poisoned: false,
            #[cfg(test)]
            reads: Default::default(),
        };
        for level in 0..=MAX_LEVEL {
            if size >> level & 1 == 1 {
                log.frontier[level as usize] = Some(log.node(level, (size >> level) - 1)?);
            }
        }
        Ok(log)
    }

    /// The directory the log lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The repairs [`Log::open`] made; empty after a clean shutdown.
    pub fn repairs(&self) -> &[Repair] {
        &self.repairs
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends the leaf SHA-256(0x00 ‖ `data_digest`) and returns its index. `data_digest` is
    /// the record's digest label, e.g. `b"sha256:<hex>"` (see the module docs). Not durable until
    /// [`Log::sync`].
    pub fn append(&mut self, data_digest: &[u8]) -> Result<u64, LogError> {
        self.append_leaf_hash(leaf_hash(data_digest))
    }

    /// Appends an already computed leaf hash and returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, LogError> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        // Poisoned until every file is written: a failure part-way leaves files and memory apart.
        self.poisoned = true;
        let index = self.size;
        self.write_hash(0, &leaf)?;
        let mut carry = leaf;
        let mut level = 0u32;
        while index >> level & 1 == 1 {
            let left = self.frontier[level as usize]
                .take()
                .expect("a set bit of the size has a frontier hash");
            carry = node_hash(&left, &carry);
            level += 1;
            self.write_hash(level, &carry)?;
        }
        self.frontier[level as usize] = Some(carry);
        self.size = index + 1;
        self.poisoned = false;
        Ok(index)
    }

    fn write_hash(&mut self, level: u32, hash: &Hash) -> Result<(), LogError> {
        if self.levels.len() <= level as usize {
            let path = level_path(&self.dir, level);
            self.levels.push(open_append(&path)?);
        }
        self.levels[level as usize]
            .write_all(&hash.0)
            .map_err(|e| io_err(&level_path(&self.dir, level))(e))
    }

    /// Makes every append so far durable: fsyncs the leaves, the level files and the directory.
    pub fn sync(&self) -> Result<(), LogError> {
        for (level, file) in self.levels.iter().enumerate() {
            file.sync_data()
                .map_err(io_err(&level_path(&self.dir, level as u32)))?;
        }
        #[cfg(unix)]
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir))?;
        Ok(())
    }

    /// The root of the current tree (no IO).
    pub fn root(&self) -> Hash {
        let mut acc: Option<Hash> = None;
        for h in self.frontier.iter().flatten() {
            acc = Some(match acc {
                None => *h,
                Some(right) => node_hash(h, &right),
            });
        }
        acc.unwrap_or_else(empty_root)
    }

    /// The root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, LogError> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        if size == self.size {
            return Ok(self.root());
        }
        self.subtree(0, size)
    }

    /// The stored hash of leaf `index`.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, LogError> {
        if index >= self.size {
            return Err(LogError::IndexOutOfRange {
                index,
                size: self.size,
            });
        }
        self.node(0, index)
    }

    /// The hashes of the first `count` leaves, in one read (for verifiers that look leaves up
    /// by hash).
    pub fn leaf_hashes(&self, count: u64) -> Result<Vec<Hash>, LogError> {
        self.check_size(count)?;
        read_hashes(&self.levels[0], &level_path(&self.dir, 0), 0, count)
    }

    /// The inclusion proof (RFC 6962 §2.1.1 PATH) of leaf `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        self.check_size(size)?;
        if index >= size {
            return Err(LogError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof)?;
        Ok(proof)
    }

    /// The consistency proof (RFC 6962 §2.1.2 PROOF) that the tree of `size2` leaves extends the
    /// tree of `size1` leaves; empty when `size1` is 0 or equals `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, LogError> {
        self.check_size(size2)?;
        if size1 > size2 {
            return Err(LogError::SizesReversed { size1, size2 });
        }
        let mut proof = Vec::new();
        if size1 > 0 && size1 < size2 {
            self.subproof(size1, 0, size2, true, &mut proof)?;
        }
        Ok(proof)
    }

    /// Recomputes the whole tree from the leaves file alone, checks every stored interior hash
    /// against it and returns the root so recomputed. Reads the whole log (O(n)); meant for an
    /// audit, not for every open. Compare the result with a signed checkpoint of this size.
    pub fn audit(&self) -> Result<Hash, LogError> {
        let path0 = level_path(&self.dir, 0);
        // stack[k]: a level-k subtree waiting for its right sibling, as in `append_leaf_hash`.
        let mut stack: Vec<Option<Hash>> = vec![None; MAX_LEVEL as usize + 1];
        let mut index = 0u64;
        while index < self.size {
            let count = CHUNK.min(self.size - index);
            for leaf in read_hashes(&self.levels[0], &path0, index, count)? {
                let mut carry = leaf;
                let mut level = 0u32;
                while index >> level & 1 == 1 {
                    let left = stack[level as usize].take().expect("set bit has a subtree");
                    carry = node_hash(&left, &carry);
                    level += 1;
                    let at = index >> level;
                    if self.node(level, at)? != carry {
                        return Err(LogError::Inconsistent { level, index: at });
                    }
                }
                stack[level as usize] = Some(carry);
                index += 1;
            }
        }
        let mut acc: Option<Hash> = None;
        for h in stack.iter().flatten() {
            acc = Some(match acc {
                None => *h,
                Some(right) => node_hash(h, &right),
            });
        }
        let root = acc.unwrap_or_else(empty_root);
        if root != self.root() {
            // Only the frontier read at open can differ here: a file changed under an open log.
            return Err(LogError::ChangedSinceOpen);
        }
        Ok(root)
    }

    fn check_size(&self, size: u64) -> Result<(), LogError> {
        if size > self.size {
            return Err(LogError::SizeBeyondLog {
                size,
                log_size: self.size,
            });
        }
        Ok(())
    }

    /// Stored hash `index` of `level`.
    fn node(&self, level: u32, index: u64) -> Result<Hash, LogError> {
        #[cfg(test)]
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut hash = Hash::default();
        read_exact_at(
            &self.levels[level as usize],
            &mut hash.0,
            index * HASH_LEN as u64,
        )
        .map_err(|e| io_err(&level_path(&self.dir, level))(e))?;
        Ok(hash)
    }

    /// MTH(D[start:end]). One read when the range is a stored complete subtree; otherwise the
    /// left part is complete (proof ranges start at a multiple of their split) and only the
    /// right edge recurses, so O(log n) reads.
    fn subtree(&self, start: u64, end: u64) -> Result<Hash, LogError> {
        let n = end - start;
        debug_assert!(n > 0);
        if n.is_power_of_two() && start.is_multiple_of(n) {
            return self.node(n.trailing_zeros(), start >> n.trailing_zeros());
        }
        let k = split(n);
        Ok(node_hash(
            &self.subtree(start, start + k)?,
            &self.subtree(start + k, end)?,
        ))
    }

    /// PATH(m, D[start:end]) with `m` relative to `start`.
    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) -> Result<(), LogError> {
        let n = end - start;
        if n <= 1 {
            return Ok(());
        }
        let k = split(n);
        if m < k {
            self.path(m, start, start + k, out)?;
            out.push(self.subtree(start + k, end)?);
        } else {
            self.path(m - k, start + k, end, out)?;
            out.push(self.subtree(start, start + k)?);
        }
        Ok(())
    }

    /// SUBPROOF(m, D[start:end], b) with `m` relative to `start`.
    fn subproof(
        &self,
        m: u64,
        start: u64,
        end: u64,
        whole: bool,
        out: &mut Vec<Hash>,
    ) -> Result<(), LogError> {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end)?);
            }
            return Ok(());
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out)?;
            out.push(self.subtree(start + k, end)?);
        } else {
            self.subproof(m - k, start + k, end, false, out)?;
            out.push(self.subtree(start, start + k)?);
        }
        Ok(())
    }
}

/// Completes `file` (level k, holding `have` hashes) up to `want` hashes from `below` (level
/// k−1), reading the lower level in chunks.
fn rebuild_level(
    below: &File,
    below_path: &Path,
    file: &File,
    path: &Path,
    have: u64,
    want: u64,
) -> Result<(), LogError> {
    let mut writer = io::BufWriter::new(file);
    let mut next = have;
    while next < want {
        let count = (CHUNK / 2).min(want - next);
        let children = read_hashes(below, below_path, 2 * next, 2 * count)?;
        for pair in children.chunks_exact(2) {
            writer
                .write_all(&node_hash(&pair[0], &pair[1]).0)
                .map_err(io_err(path))?;
        }
        next += count;
    }
    writer.flush().map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::root_from_leaf_hashes;

    fn data(i: u64) -> Vec<u8> {
        format!("sha256:{:064x}", i).into_bytes()
    }

    #[test]
    fn roots_match_in_memory_mth() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path()).unwrap();
        assert_eq!(log.root(), empty_root());
        let mut leaves = Vec::new();
        for i in 0..33u64 {
            assert_eq!(log.append(&data(i)).unwrap(), i);
            leaves.push(leaf_hash(&data(i)));
            assert_eq!(log.root(), root_from_leaf_hashes(&leaves), "size {}", i + 1);
        }
        for size in 0..=33 {
            assert_eq!(
                log.root_at(size).unwrap(),
                root_from_leaf_hashes(&leaves[..size as usize])
            );
        }
        assert_eq!(log.audit().unwrap(), log.root());
    }

    #[test]
    fn level_files_hold_floor_of_size_over_two_to_the_level() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path()).unwrap();
        for i in 0..13 {
            log.append(&data(i)).unwrap();
        }
        let len = |level| {
            fs::metadata(level_path(dir.path(), level))
                .map(|m| m.len() / 32)
                .unwrap_or(0)
        };
        assert_eq!([len(0), len(1), len(2), len(3), len(4)], [13, 6, 3, 1, 0]);
    }

    #[test]
    fn proofs_cost_logarithmic_reads() {
        use std::sync::atomic::Ordering::Relaxed;
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path()).unwrap();
        let n = 1000u64;
        for i in 0..n {
            log.append(&data(i)).unwrap();
        }
        // ⌈log2 1000⌉ = 10: a proof has at most 10 hashes, and the one partial subtree on the
        // right edge costs at most one read per level, so never more than 2·10 reads.
        let bound = 2 * (64 - (n - 1).leading_zeros()) as u64;
        let mut worst = 0;
        for size in [1, 2, 3, 511, 512, 513, 999, 1000] {
            for index in (0..size).step_by(7).chain([size - 1]) {
                log.reads.store(0, Relaxed);
                log.inclusion_proof(index, size).unwrap();
                worst = worst.max(log.reads.load(Relaxed));
            }
            for size1 in (1..=size).step_by(13) {
                log.reads.store(0, Relaxed);
                log.consistency_proof(size1, size).unwrap();
                worst = worst.max(log.reads.load(Relaxed));
            }
            log.reads.store(0, Relaxed);
            log.root_at(size).unwrap();
            worst = worst.max(log.reads.load(Relaxed));
        }
        assert!(worst <= bound, "{worst} reads > {bound}");
    }

    #[test]
    fn out_of_range_requests_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path()).unwrap();
        log.append(b"a").unwrap();
        assert!(matches!(
            log.inclusion_proof(1, 1),
            Err(LogError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            log.root_at(2),
            Err(LogError::SizeBeyondLog { .. })
        ));
        assert!(matches!(
            log.consistency_proof(1, 0),
            Err(LogError::SizesReversed { .. })
        ));
        assert!(matches!(
            log.leaf_hash(1),
            Err(LogError::IndexOutOfRange { .. })
        ));
    }

    #[test]
    fn second_writer_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _log = Log::open(dir.path()).unwrap();
        assert!(matches!(
            Log::open(dir.path()),
            Err(LogError::Locked { .. })
        ));
    }
}
