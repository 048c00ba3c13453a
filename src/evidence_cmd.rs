//! Evidence commands: offline verification of WARC files and the transparency log's
//! checkpoints and proofs.

use crate::cli::{LogCommand, ProveArgs, VerifyArgs};
use crate::data::DataDir;
use anyhow::{bail, Context};
use chrono::Utc;
use evidence::tlog::{self, checkpoint::stored_notes, Checkpoint, Log, Signer};
use evidence::LogIndex;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The name of the deployment's log key (its files are `keys/<name>.key|.pub`).
pub const LOG_KEY_NAME: &str = "wangjian-evidence";
/// The origin line of the log's checkpoints.
pub const LOG_ORIGIN: &str = "wangjian/evidence-log";

/// The trusted root certificate of the deployment's TSA, when the data directory has one
/// (`keys/tsa-root.pem`): time-stamp tokens must then chain to it.
pub fn tsa_root(data: &DataDir) -> Option<PathBuf> {
    Some(data.keys().join("tsa-root.pem")).filter(|p| p.exists())
}

/// Opens the data directory's log and signing key, creating both on first use.
pub fn open_log(data: &DataDir) -> anyhow::Result<(Log, Signer)> {
    let log = Log::open(data.log()).with_context(|| {
        format!(
            "cannot open the transparency log {} (is a sweep running?)",
            data.log().display()
        )
    })?;
    for repair in log.repairs() {
        eprintln!("log: repaired on open: {repair}");
    }
    let signer = Signer::load_or_create(&data.keys(), LOG_KEY_NAME)
        .with_context(|| format!("cannot load the log key from {}", data.keys().display()))?;
    Ok((log, signer))
}

pub async fn log(data: &DataDir, cmd: LogCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LogCommand::Checkpoint { tsa, resolve } => {
            let (log, signer) = open_log(data)?;
            let stored = tlog::sign_and_store(&log, &signer, LOG_ORIGIN, Utc::now())?;
            println!("{}", stored.note.trim_end());
            eprintln!(
                "checkpoint: {} leaves -> {}",
                log.size(),
                stored.path.display()
            );
            if let Some(url) = tsa {
                let mut crawl = crawl::CrawlConfig::default();
                for entry in &resolve {
                    crawl
                        .resolve
                        .parse_entry(entry)
                        .with_context(|| format!("bad --resolve {entry:?}"))?;
                }
                let root = tsa_root(data)
                    .map(|p| sweep::tsa::load_root(&p))
                    .transpose()?;
                let token = sweep::tsa::stamp_note(&crawl, &url, &stored.path, root.as_ref())
                    .await
                    .with_context(|| {
                        format!(
                            "checkpoint {} is signed and stored, but got no time-stamp token",
                            stored.path.display()
                        )
                    })?;
                eprintln!(
                    "time-stamp: {} by {} -> {}",
                    token.info.gen_time.to_rfc3339(),
                    token.info.tsa_name.as_deref().unwrap_or(url.as_str()),
                    token.path.display()
                );
            }
        }
        LogCommand::Key => {
            let (_, signer) = open_log(data)?;
            println!("{}", signer.verifier_key());
        }
        LogCommand::Prove(args) => prove(data, args)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The verifier key: the one given, or the data directory's published one.
fn verifier_key(data: &DataDir, given: Option<&str>) -> anyhow::Result<String> {
    if let Some(k) = given {
        return Ok(k.trim().to_string());
    }
    let path = data.keys().join(format!("{LOG_KEY_NAME}.pub"));
    Ok(std::fs::read_to_string(&path)
        .with_context(|| format!("no log key at {} (give --key)", path.display()))?
        .trim()
        .to_string())
}

/// Every stored checkpoint verified with the key, each consistent with the next; returns the
/// latest, or the list of problems.
fn checked_checkpoints(log: &Log, key: &str) -> anyhow::Result<(Checkpoint, Vec<String>)> {
    let mut problems = Vec::new();
    let mut checkpoints: Vec<(PathBuf, Checkpoint)> = Vec::new();
    for path in stored_notes(log.dir())? {
        let note = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        match Checkpoint::verify_note(&note, key) {
            Ok(cp) => checkpoints.push((path, cp)),
            Err(e) => problems.push(format!("checkpoint {}: {e}", path.display())),
        }
    }
    checkpoints.sort_by_key(|(_, cp)| cp.size);
    for pair in checkpoints.windows(2) {
        let ((p1, a), (p2, b)) = (&pair[0], &pair[1]);
        if a.size == 0 {
            continue;
        }
        let consistent = log
            .consistency_proof(a.size, b.size)
            .map_err(|e| e.to_string())
            .and_then(|proof| {
                tlog::verify_consistency(a.size, b.size, &proof, a.root, b.root)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = consistent {
            problems.push(format!(
                "checkpoints {} and {} are not consistent: {e}",
                p1.display(),
                p2.display()
            ));
        }
    }
    match checkpoints.pop() {
        Some((_, latest)) => Ok((latest, problems)),
        None => bail!(
            "no valid signed checkpoint in {} ({})",
            log.dir().display(),
            problems.join("; ")
        ),
    }
}

fn prove(data: &DataDir, args: ProveArgs) -> anyhow::Result<()> {
    let (file, offset) = args
        .record
        .rsplit_once(':')
        .and_then(|(f, o)| Some((f, o.parse::<u64>().ok()?)))
        .with_context(|| format!("expected FILE:OFFSET, got {:?}", args.record))?;
    if file.contains('/') || file.contains('\\') || file.starts_with('.') {
        bail!("{file:?} is not a WARC file name of the data directory");
    }
    let path = data.evidence().join(file);
    let stored = stored_member(&path, offset)?;
    let (log, _) = open_log(data)?;
    let key = verifier_key(data, None)?;
    let (checkpoint, _) = checked_checkpoints(&log, &key)?;
    let size = checkpoint.size;
    let index = LogIndex::new(&log, checkpoint.clone())?;
    let leaf_index = index
        .prove(&log, &stored)
        .map_err(|e| anyhow::anyhow!("{file}:{offset}: {e}"))?;
    let proof = log.inclusion_proof(leaf_index, size)?;
    let out = serde_json::json!({
        "record": format!("{file}:{offset}"),
        "leaf_data": evidence::sha256_label(&stored),
        "leaf_hash": evidence::stored_record_leaf(&stored).to_hex(),
        "leaf_index": leaf_index,
        "tree_size": size,
        "root": checkpoint.root.to_base64(),
        "proof": proof.iter().map(|h| h.to_base64()).collect::<Vec<_>>(),
        "verifier_key": key,
        "checkpoint": std::fs::read_to_string(latest_note_path(log.dir(), size)?)?,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// What an export proves its records against: the data directory's log, its index up to the
/// latest signed checkpoint (a fresh one is signed when the latest does not cover the whole
/// log), that checkpoint's note and the verifier key.
pub struct ExportLog {
    pub log: Log,
    pub index: LogIndex,
    pub note: String,
    pub key: String,
}

pub fn export_log(data: &DataDir) -> anyhow::Result<ExportLog> {
    let (log, signer) = open_log(data)?;
    let key = verifier_key(data, None)?;
    let latest = checked_checkpoints(&log, &key).ok().map(|(cp, _)| cp);
    let checkpoint = match latest {
        Some(cp) if cp.size == log.size() => cp,
        _ => tlog::sign_and_store(&log, &signer, LOG_ORIGIN, Utc::now())?.checkpoint,
    };
    let note = std::fs::read_to_string(latest_note_path(log.dir(), checkpoint.size)?)?;
    let index = LogIndex::new(&log, checkpoint)?;
    Ok(ExportLog {
        log,
        index,
        note,
        key,
    })
}

fn latest_note_path(log_dir: &Path, size: u64) -> anyhow::Result<PathBuf> {
    stored_notes(log_dir)?
        .into_iter()
        .rev()
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{size}-")))
        })
        .with_context(|| format!("no stored note for size {size}"))
}

/// The bytes of the stored record (its gzip member) at `offset`.
fn stored_member(path: &Path, offset: u64) -> anyhow::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let rec = evidence::read_record_at(path, offset)
        .with_context(|| format!("no record at {}:{offset}", path.display()))?;
    let file = std::fs::File::open(path)?;
    let mut stored = vec![0u8; rec.length as usize];
    file.read_exact_at(&mut stored, offset)?;
    Ok(stored)
}

/// The data directory's chain of custody: every row's hash recomputed and linked to the row
/// before. `None` when the directory has no database (nothing was ever recorded).
async fn check_custody(data: &DataDir) -> anyhow::Result<Option<Result<usize, String>>> {
    if !data.database().exists() {
        return Ok(None);
    }
    let store = data.open_store().await?;
    let rows = store.custody(&store::CustodyFilter::default()).await?;
    Ok(Some(
        store::verify_custody_chain(&rows)
            .map(|()| rows.len())
            .map_err(|b| format!("entry {}: {}", b.id, b.problem)),
    ))
}

pub async fn verify(data: &DataDir, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let default = args.path.is_none();
    let path = args.path.unwrap_or_else(|| data.evidence());
    if path.is_file()
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("wacz"))
    {
        return verify_wacz(&path, args.key.as_deref());
    }
    let files = if path.is_dir() {
        evidence::warc_files(&path).with_context(|| format!("cannot list {}", path.display()))?
    } else if path.exists() {
        vec![path.clone()]
    } else {
        bail!("{} does not exist", path.display());
    };
    if files.is_empty() {
        bail!("no WARC files in {}", path.display());
    }
    // The data directory's own evidence is checked against its transparency log and its chain
    // of custody as well.
    let in_data = default || same_dir(&path, &data.evidence());
    let custody = if in_data {
        check_custody(data).await?
    } else {
        None
    };
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    match custody {
        Some(Ok(n)) => writeln!(out, "ok    chain of custody: {n} entries, every hash holds")?,
        Some(Err(problem)) => {
            failed += 1;
            writeln!(out, "FAIL  chain of custody broken at {problem}")?;
        }
        None => {}
    }
    let logged = if in_data && data.log().exists() {
        let log = Log::open(data.log()).with_context(|| {
            format!(
                "cannot open the log {} (is a sweep running?)",
                data.log().display()
            )
        })?;
        let key = verifier_key(data, args.key.as_deref())?;
        let (checkpoint, problems) = checked_checkpoints(&log, &key)?;
        for p in &problems {
            writeln!(out, "FAIL  {p}")?;
        }
        failed += problems.len();
        writeln!(
            out,
            "log   checkpoint of {} leaves, signed by {}, root {}",
            checkpoint.size,
            key.split('+').next().unwrap_or("?"),
            checkpoint.root.to_base64()
        )?;
        match LogIndex::new(&log, checkpoint) {
            Ok(index) => Some((log, index)),
            Err(e) => {
                writeln!(out, "FAIL  the log does not hold the signed tree: {e}")?;
                writeln!(out, "verify: {} files, log failed", files.len())?;
                return Ok(ExitCode::FAILURE);
            }
        }
    } else {
        None
    };
    for file in &files {
        let verdict = evidence::verify_warc_logged(file, logged.as_ref().map(|(l, i)| (l, i)));
        if verdict.ok() {
            let logged_note = if logged.is_some() {
                format!(", {} in the log", verdict.logged)
            } else {
                String::new()
            };
            writeln!(
                out,
                "ok    {} ({} records, {} with digests{logged_note})",
                file.display(),
                verdict.records,
                verdict.digests_checked
            )?;
        } else {
            failed += 1;
            writeln!(
                out,
                "FAIL  {} ({} records read)",
                file.display(),
                verdict.records
            )?;
            for f in &verdict.failures {
                writeln!(
                    out,
                    "      at offset {}{}: {}",
                    f.offset,
                    f.record_id
                        .as_deref()
                        .map(|id| format!(" record {id}"))
                        .unwrap_or_default(),
                    f.problem
                )?;
            }
        }
    }
    writeln!(out, "verify: {} files, {} failed", files.len(), failed)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `evidence verify FILE.wacz`: a verdict per item, the exact place of any failure.
fn verify_wacz(path: &Path, key: Option<&str>) -> anyhow::Result<ExitCode> {
    use evidence::wacz::KeySource;
    let verdict = evidence::wacz::verify_wacz(path, key);
    let mut out = std::io::stdout().lock();
    writeln!(out, "wacz  {}", path.display())?;
    if let Some(k) = &verdict.key {
        match verdict.key_source {
            KeySource::Given => writeln!(out, "key   log key given with --key: {k}")?,
            KeySource::Package => writeln!(
                out,
                "key   log key carried by the package: {k} (this shows the package is consistent, \
                 not who signed it: give the bureau's published key with --key)"
            )?,
        }
    }
    for item in &verdict.items {
        writeln!(
            out,
            "{}  {}: {}",
            if item.ok { "ok  " } else { "FAIL" },
            item.item,
            item.detail
        )?;
    }
    let failed = verdict.failures().count();
    writeln!(
        out,
        "verify: {}: {} items, {} records, {} in the log, {} failed",
        path.display(),
        verdict.items.len(),
        verdict.records,
        verdict.logged,
        failed
    )?;
    Ok(if verdict.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
