//! `wangjian log checkpoint|prove|key`: the transparency log of every stored WARC record.

use super::Ctx;
use crate::cli::{LogCommand, ProveArgs};
use crate::data::DataDir;
use anyhow::{bail, Context};
use chrono::Utc;
use evidence::tlog::{audit, Log, Signer};
use evidence::LogIndex;
use std::process::ExitCode;

/// The name of the deployment's log key (its files are `keys/<name>.key|.pub`).
pub const LOG_KEY_NAME: &str = "wangjian-evidence";
/// The origin line of the log's checkpoints.
pub const LOG_ORIGIN: &str = "wangjian/evidence-log";

pub async fn log(ctx: &Ctx, cmd: LogCommand) -> anyhow::Result<ExitCode> {
    let data = &ctx.data;
    match cmd {
        LogCommand::Checkpoint { resolve, .. } => {
            let (log, signer) = open_log(data)?;
            let store = data.open_store().await?;
            let stored =
                ::sweep::checkpoint::sign(store.as_ref(), &log, &signer, LOG_ORIGIN, Utc::now())
                    .await?;
            println!("{}", stored.note.trim_end());
            let custody = stored.checkpoint.custody().map_or(0, |head| head.count);
            eprintln!(
                "checkpoint: {} leaves, {custody} custody entries -> {}",
                log.size(),
                stored.path.display()
            );
            if let Some(url) = &ctx.config.tsa_url.value {
                let mut crawl = crawl::CrawlConfig::default();
                for entry in &resolve {
                    crawl
                        .resolve
                        .parse_entry(entry)
                        .with_context(|| format!("bad --resolve {entry:?}"))?;
                }
                let root = tsa_root(data)
                    .map(|p| ::sweep::tsa::load_root(&p))
                    .transpose()?;
                let token = ::sweep::tsa::stamp_note(&crawl, url, &stored.path, root.as_ref())
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

/// The trusted root certificate of the deployment's TSA, when the data directory has one
/// (`keys/tsa-root.pem`): time-stamp tokens must then chain to it.
pub fn tsa_root(data: &DataDir) -> Option<std::path::PathBuf> {
    Some(data.keys().join("tsa-root.pem")).filter(|p| p.exists())
}

/// Opens the data directory's log and signing key, creating both on first use.
pub fn open_log(data: &DataDir) -> anyhow::Result<(Log, Signer)> {
    let log = open_log_only(data)?;
    for repair in log.repairs() {
        eprintln!("log: repaired on open: {repair}");
    }
    let signer = Signer::load_or_create(&data.keys(), LOG_KEY_NAME)
        .with_context(|| format!("cannot load the log key from {}", data.keys().display()))?;
    Ok((log, signer))
}

/// Opens the data directory's log (created when missing).
pub fn open_log_only(data: &DataDir) -> anyhow::Result<Log> {
    Log::open(data.log()).with_context(|| {
        format!(
            "cannot open the transparency log {} (is a sweep running?)",
            data.log().display()
        )
    })
}

/// The verifier key: the one given, or the data directory's published one.
pub fn verifier_key(data: &DataDir, given: Option<&str>) -> anyhow::Result<String> {
    if let Some(k) = given {
        return Ok(k.trim().to_string());
    }
    let path = data.keys().join(format!("{LOG_KEY_NAME}.pub"));
    Ok(std::fs::read_to_string(&path)
        .with_context(|| format!("no log key at {} (give --key)", path.display()))?
        .trim()
        .to_string())
}

/// The latest verified checkpoint of the log, or why there is none (every problem named).
pub fn latest_checkpoint(
    log: &Log,
    key: &str,
) -> anyhow::Result<(audit::VerifiedCheckpoint, audit::CheckpointAudit)> {
    let audit = audit::audit_checkpoints(log, key)?;
    match audit.latest() {
        Some(latest) => Ok((latest.clone(), audit)),
        None => {
            let problems: Vec<String> = audit.problems.iter().map(|p| p.to_string()).collect();
            bail!(
                "no valid signed checkpoint in {}{}",
                log.dir().display(),
                if problems.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", problems.join("; "))
                }
            )
        }
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
    let stored = evidence::read_stored_member(&data.evidence().join(file), offset)
        .with_context(|| format!("no record at {file}:{offset}"))?;
    let (log, _) = open_log(data)?;
    let key = verifier_key(data, None)?;
    let (latest, _) = latest_checkpoint(&log, &key)?;
    let checkpoint = latest.checkpoint.clone();
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
        "checkpoint": latest.note,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
