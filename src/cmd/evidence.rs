//! `wangjian evidence verify|export|capture`: offline verification of WARC files and WACZ
//! packages (against the transparency log and the chain of custody when they are the data
//! directory's own), signed WACZ exports logged in the chain of custody, and an inspector's
//! capture of one URL.

use super::{log, Ctx};
use crate::cli::*;
use crate::data::DataDir;
use anyhow::{bail, Context};
use evidence::LogIndex;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use store::Scope;

pub async fn evidence(ctx: &Ctx, cmd: EvidenceCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        EvidenceCommand::Verify(args) => verify(ctx, args).await,
        EvidenceCommand::Export(args) => export(ctx, args).await,
        EvidenceCommand::Capture(args) => capture(ctx, args).await,
        EvidenceCommand::Upload { format } => upload(ctx, format).await,
        EvidenceCommand::Objects { format } => list_objects(ctx, format).await,
    }
}

/// The object store of the `[objects]` table.
pub(crate) fn object_store(ctx: &Ctx) -> anyhow::Result<objects::Objects> {
    let Some(objects) = super::objects_of(ctx)? else {
        bail!(
            "no object store: add an [objects] table (endpoint, bucket) to {}",
            ctx.config.file.display()
        );
    };
    Ok(objects)
}

/// `wangjian evidence upload`: the finished WARC files to the object store.
async fn upload(ctx: &Ctx, format: OutputFormat) -> anyhow::Result<ExitCode> {
    use objects::FileOutcome;
    let objects = object_store(ctx)?;
    let store = ctx.data.open_store().await?;
    let outcomes = objects::upload_finished(store.as_ref(), &objects, &ctx.data.evidence()).await?;
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for o in &outcomes {
        if matches!(o, FileOutcome::Failed { .. }) {
            failed += 1;
        }
        match format {
            OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(o)?)?,
            OutputFormat::Text => match o {
                FileOutcome::Uploaded { name, size } => {
                    writeln!(out, "uploaded {name} ({size} bytes)")?
                }
                FileOutcome::Already { name, .. } => {
                    writeln!(out, "kept     {name} (already there)")?
                }
                FileOutcome::Open { name, sweep } => writeln!(
                    out,
                    "open     {name} (sweep {sweep} is running: uploaded once it ends)"
                )?,
                FileOutcome::Foreign { name } => {
                    writeln!(out, "skipped  {name} (not named by a wangjian writer)")?
                }
                FileOutcome::Failed { name, error, .. } => {
                    writeln!(out, "FAIL     {name}: {error}")?
                }
            },
        }
    }
    if format == OutputFormat::Text {
        let uploaded = outcomes
            .iter()
            .filter(|o| matches!(o, FileOutcome::Uploaded { .. }))
            .count();
        writeln!(
            out,
            "upload: {} files to {}, {uploaded} uploaded, {failed} failed",
            outcomes.len(),
            objects.describe()
        )?;
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `wangjian evidence objects`: the WARC files in the object store.
async fn list_objects(ctx: &Ctx, format: OutputFormat) -> anyhow::Result<ExitCode> {
    let objects = object_store(ctx)?;
    let listed = objects.list().await?;
    let dir = ctx.data.evidence();
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Text {
        writeln!(out, "NAME\tSIZE\tSTORED\tLOCAL")?;
    }
    for o in &listed {
        let local = dir.join(&o.name).is_file();
        match format {
            OutputFormat::Json => {
                let mut v = serde_json::to_value(o)?;
                v["local"] = serde_json::Value::Bool(local);
                writeln!(out, "{v}")?
            }
            OutputFormat::Text => writeln!(
                out,
                "{}\t{}\t{}\t{}",
                o.name,
                o.size,
                domain::time::shown(o.modified),
                if local { "yes" } else { "no" }
            )?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn export(ctx: &Ctx, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let selection = match (&args.site, args.sweep, args.clue) {
        (_, _, Some(id)) => sweep::export::Selection::Clue(domain::ClueId(id)),
        (Some(site), _, None) => sweep::export::Selection::Site(site.clone()),
        (None, Some(id), None) => sweep::export::Selection::Sweep(domain::SweepId(id)),
        (None, None, None) => bail!("give --site HOST, --sweep ID or --clue ID"),
    };
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(store::NO_REASON);
    // Who: `$USER`, else `cli`; why: `--reason`, else "未说明".
    let done = sweep::export::export_wacz(
        store.as_ref(),
        Scope::City,
        &super::export_config(ctx)?,
        &sweep::export::ExportRequest {
            selection,
            title: args.title.clone(),
            output: args.output.clone(),
            actor: super::cli_actor(),
            reason: reason.to_string(),
        },
    )
    .await?;
    let summary = &done.summary;
    println!(
        "export: {}: {} fetches, {} records ({} proven in the log under checkpoint {}), {} indexed, {} pages -> {} ({} bytes, datapackage {})",
        done.selected,
        done.records,
        summary.records,
        summary.proved,
        done.checkpoint_size,
        summary.indexed,
        summary.pages,
        summary.path.display(),
        summary.bytes,
        summary.datapackage_hash
    );
    println!(
        "custody: logged export as entry {} ({})",
        done.custody.id, done.custody.hash
    );
    Ok(ExitCode::SUCCESS)
}

/// The browser for screenshots: `program`, else one found on the system; or why there is none.
pub fn browser_config(
    program: Option<std::path::PathBuf>,
    crawl: &crawl::CrawlConfig,
) -> Result<crawl::browser::BrowserConfig, String> {
    program
        .or_else(crawl::browser::find_browser)
        .map(|p| {
            crawl::browser::BrowserConfig::new(p)
                .with_address_policy(&crawl.resolve, crawl.allow_private)
        })
        .ok_or_else(|| "no browser (chromium) is installed".to_string())
}

async fn capture(ctx: &Ctx, args: CaptureArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let target = sweep::capture::target(
        store.as_ref(),
        Scope::City,
        args.url.as_deref(),
        args.clue.map(domain::ClueId),
    )
    .await?;
    let crawl = super::crawl_config(&ctx.config, &args.crawl, &[])?;
    let mut config = super::sweep_config(ctx, crawl, ctx.config.tsa_url.value.clone());
    config.progress = false;
    let browser = if args.no_screenshot {
        Err("no screenshot was asked for".to_string())
    } else {
        browser_config(args.browser.clone(), &config.crawl)
    };
    let outcome = sweep::capture::capture_url(
        store,
        &config,
        sweep::capture::CaptureRequest {
            url: target.url,
            operators: args.operators.clone(),
            reason: args.reason.clone(),
            browser,
            clue: target.clue.as_ref().map(|c| c.id),
        },
    )
    .await?;
    println!(
        "capture: sweep {} ({}{}) by {}, {} fetches, final {} {}",
        outcome.sweep_id,
        outcome.site.host,
        outcome.site.path_prefix,
        outcome.operators.join(", "),
        outcome.fetches.len(),
        outcome
            .final_status
            .map_or_else(|| "no response".to_string(), |s| s.to_string()),
        outcome.final_url
    );
    match &outcome.screenshot {
        Ok(s) => println!(
            "screenshot: {}x{}{} by {}, record {}:{}",
            s.width,
            s.height,
            if s.cut {
                " (cut at the height limit)"
            } else {
                ""
            },
            s.browser,
            s.record.file,
            s.record.offset
        ),
        Err(why) => println!("screenshot: none taken ({why})"),
    }
    if let Ok(s) = &outcome.screenshot {
        if !s.refused.is_empty() {
            println!(
                "浏览器代理按地址策略拒绝了 {} 个目标（已记入元数据记录的 browser-refused 字段）：",
                s.refused.len()
            );
            for r in &s.refused {
                println!("  拒绝 {r}");
            }
        }
    }
    if let Some(size) = outcome.checkpoint {
        println!("checkpoint: tree size {size}");
    }
    let row = &outcome.custody;
    println!("custody: logged capture as entry {} ({})", row.id, row.hash);
    Ok(ExitCode::SUCCESS)
}

/// The data directory's chain of custody as far as it can be read.
enum Custody {
    /// Every row, oldest first.
    Rows(Vec<store::CustodyRecord>),
    /// The data directory has no database (deleted, or never made).
    Missing(String),
    /// The database cannot be opened or read (corrupt, a server out of reach).
    Unreadable(String),
}

/// Reads the chain of custody; a database that is missing or cannot be read is an answer, not
/// an error, so that the WARC files are still checked against the log.
async fn custody_rows(data: &DataDir) -> Custody {
    if !data.has_database() {
        let place = match &data.database {
            store::DatabaseUrl::Sqlite(path) => path.display().to_string(),
            store::DatabaseUrl::Postgres(_) => "PostgreSQL".to_string(),
        };
        return Custody::Missing(place);
    }
    let read = async {
        let store = data.open_store().await?;
        anyhow::Ok(store.custody(&store::CustodyFilter::chain()).await?)
    };
    match read.await {
        Ok(rows) => Custody::Rows(rows),
        Err(e) => Custody::Unreadable(format!("{e:#}")),
    }
}

/// Reports custody that could not be read at all; the number of problems (1).
fn report_no_custody(out: &mut impl Write, custody: &Custody) -> std::io::Result<usize> {
    match custody {
        Custody::Rows(_) => Ok(0),
        Custody::Missing(db) => {
            writeln!(
                out,
                "FAIL  custody: no database ({db}): the chain of custody cannot be checked; \
                 the WARC files are checked against the log alone"
            )?;
            Ok(1)
        }
        Custody::Unreadable(why) => {
            writeln!(
                out,
                "FAIL  custody: database unreadable ({why}): the chain of custody cannot be \
                 checked; the WARC files are checked against the log alone"
            )?;
            Ok(1)
        }
    }
}

/// Reports the chain of custody checked link by link and against the custody head of every
/// verified checkpoint that carries one (`store::audit_custody`); returns how many problems
/// were found.
fn report_custody(
    out: &mut impl Write,
    rows: &[store::CustodyRecord],
    checkpoints: &[evidence::tlog::audit::VerifiedCheckpoint],
) -> std::io::Result<usize> {
    let committing: Vec<(&Path, store::CustodyHead)> = checkpoints
        .iter()
        .filter_map(|v| {
            let head = v.checkpoint.custody()?;
            Some((
                v.path.as_path(),
                store::CustodyHead {
                    count: head.count,
                    hash: head.hash.to_hex(),
                },
            ))
        })
        .collect();
    let heads: Vec<store::CustodyHead> = committing.iter().map(|(_, h)| h.clone()).collect();
    let audit = store::audit_custody(rows, &heads);
    let mut failed = 0;
    if let Some(b) = &audit.broken {
        failed += 1;
        writeln!(
            out,
            "FAIL  chain of custody broken (custody-broken) at entry {}: {}",
            b.id, b.problem
        )?;
    }
    for ((path, _), verdict) in committing.iter().zip(&audit.heads) {
        let Err(problem) = verdict else { continue };
        failed += 1;
        let name = path
            .file_name()
            .unwrap_or(path.as_os_str())
            .to_string_lossy();
        match problem {
            store::CommitmentBreak::Truncated { committed, rows } => writeln!(
                out,
                "FAIL  chain of custody cut short (custody-truncated): checkpoint {name} \
                 commits to {committed} entries, the database holds {rows}"
            )?,
            store::CommitmentBreak::Rewritten {
                committed,
                committed_hash,
                stored,
                intact_to,
            } => writeln!(
                out,
                "FAIL  chain of custody rewritten (custody-rewritten): checkpoint {name} \
                 commits to {committed} entries ending in hash {committed_hash}, but entry \
                 {committed} has hash {stored} (an entry from {} to {committed} was changed \
                 and the hashes recomputed)",
                intact_to + 1
            )?,
        }
    }
    if failed == 0 {
        let older = checkpoints.len() - committing.len();
        let older = if older > 0 {
            format!(" ({older} older checkpoints commit to nothing about custody)")
        } else {
            String::new()
        };
        let commitments = if committing.is_empty() {
            "no signed checkpoint commits to it yet".to_string()
        } else if audit.committed == 0 {
            format!(
                "{} signed checkpoints commit to it, all from before its first entry",
                committing.len()
            )
        } else {
            format!(
                "committed up to entry {} by {} signed checkpoints",
                audit.committed,
                committing.len()
            )
        };
        writeln!(
            out,
            "ok    chain of custody: {} entries, every hash holds; {commitments}; entries not \
             yet committed: {}{older}",
            audit.rows,
            audit.uncommitted()
        )?;
    }
    Ok(failed)
}

/// A file `verify` checks: in the file system, or an object read back into `scratch`.
enum Checked {
    File(std::path::PathBuf),
    Object(String),
}

async fn verify(ctx: &Ctx, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    if !args.objects {
        return verify_files(&ctx.data, args, None).await;
    }
    let objects = object_store(ctx)?;
    let listed = objects.list().await?;
    if listed.is_empty() {
        bail!("no WARC files in {}", objects.describe());
    }
    verify_files(
        &ctx.data,
        args,
        Some((objects, listed.into_iter().map(|o| o.name).collect())),
    )
    .await
}

async fn verify_files(
    data: &DataDir,
    args: VerifyArgs,
    from_objects: Option<(objects::Objects, Vec<String>)>,
) -> anyhow::Result<ExitCode> {
    if let Some((objects, names)) = from_objects {
        // Each object is read back into a scratch file, checked as a file of the evidence
        // directory, and removed.
        let scratch = tempfile::Builder::new()
            .prefix(".verify-objects-")
            .tempdir_in(&data.root)
            .with_context(|| format!("a scratch directory in {}", data.root.display()))?;
        let in_data = vec![true; names.len()];
        let files = names.into_iter().map(Checked::Object).collect();
        return verify_checked(
            data,
            &args,
            files,
            in_data,
            Some((&objects, scratch.path())),
        )
        .await;
    }
    let default = args.path.is_none();
    let path = args.path.clone().unwrap_or_else(|| data.evidence());
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
    // A file in the data directory's evidence directory, however it is named on the command
    // line (alone, or in a directory), is always checked against the transparency log and
    // the chain of custody, and the chain against the custody heads the checkpoints commit
    // to. A file elsewhere is checked against itself only, and says so.
    let evidence_dir = data.evidence().canonicalize().ok();
    let in_data: Vec<bool> = files
        .iter()
        .map(|f| default || (evidence_dir.is_some() && parent_dir(f) == evidence_dir))
        .collect();
    let files = files.into_iter().map(Checked::File).collect();
    verify_checked(data, &args, files, in_data, None).await
}

/// Verifies `files`, those marked in `in_data` against the data directory's log and chain of
/// custody; objects are read back into the scratch directory one at a time.
async fn verify_checked(
    data: &DataDir,
    args: &VerifyArgs,
    files: Vec<Checked>,
    in_data: Vec<bool>,
    objects: Option<(&objects::Objects, &Path)>,
) -> anyhow::Result<ExitCode> {
    let options = evidence::VerifyOptions {
        max_block: args.max_record_mib.saturating_mul(1024 * 1024),
    };
    let any_in_data = in_data.iter().any(|&b| b);
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    let custody = if any_in_data {
        Some(custody_rows(data).await)
    } else {
        None
    };
    if let Some(c) = &custody {
        failed += report_no_custody(&mut out, c)?;
    }
    let rows = match &custody {
        Some(Custody::Rows(rows)) => Some(rows),
        _ => None,
    };
    let mut no_log_why = None;
    let logged = if any_in_data && data.log().exists() {
        let log = log::open_log_only(data)?;
        let key = log::verifier_key(data, args.key.as_deref())?;
        let (latest, audit) = log::latest_checkpoint(&log, &key)?;
        for p in &audit.problems {
            writeln!(out, "FAIL  {p}")?;
        }
        failed += audit.problems.len();
        let checkpoint = latest.checkpoint;
        writeln!(
            out,
            "log   checkpoint of {} leaves, signed by {}, root {}",
            checkpoint.size,
            key.split('+').next().unwrap_or("?"),
            checkpoint.root.to_base64()
        )?;
        if let Some(rows) = rows {
            failed += report_custody(&mut out, rows, &audit.verified)?;
        }
        match LogIndex::new(&log, checkpoint) {
            Ok(index) => Some((log, index)),
            Err(e) => {
                writeln!(out, "FAIL  the log does not hold the signed tree: {e}")?;
                writeln!(out, "verify: {} files, log failed", files.len())?;
                return Ok(ExitCode::FAILURE);
            }
        }
    } else {
        if any_in_data {
            no_log_why = Some(format!(
                "the data directory has no transparency log at {}",
                data.log().display()
            ));
        }
        if let Some(rows) = rows {
            failed += report_custody(&mut out, rows, &[])?;
        }
        None
    };
    let mut unlogged = 0;
    for (checked, &ours) in files.iter().zip(&in_data) {
        let (file, shown, scratch) = match (checked, objects) {
            (Checked::File(path), _) => (path.clone(), path.display().to_string(), false),
            (Checked::Object(name), Some((objects, dir))) => {
                let path = dir.join(name);
                if let Err(e) = objects.download(name, &path).await {
                    failed += 1;
                    writeln!(out, "FAIL  {}: {e}", objects.url_of(name))?;
                    continue;
                }
                (path, objects.url_of(name), true)
            }
            (Checked::Object(name), None) => bail!("{name}: no object store to read it from"),
        };
        let file = &file;
        let against = if ours { logged.as_ref() } else { None };
        let verdict = evidence::verify_warc_with(file, against.map(|(l, i)| (l, i)), &options);
        if scratch {
            std::fs::remove_file(file)
                .with_context(|| format!("cannot remove {}", file.display()))?;
        }
        if verdict.ok() && against.is_some() {
            writeln!(
                out,
                "ok    {} ({} records, {} with digests, {} in the log)",
                shown, verdict.records, verdict.digests_checked, verdict.logged
            )?;
        } else if verdict.ok() {
            unlogged += 1;
            let why = match (&no_log_why, ours) {
                (Some(why), true) => format!(": {why}"),
                _ => String::new(),
            };
            writeln!(
                out,
                "{} {} ({} records: digests checked, not checked against any log{why})",
                if args.no_log { "ok   " } else { "nolog" },
                shown,
                verdict.records,
            )?;
        } else {
            failed += 1;
            writeln!(
                out,
                "FAIL  {} ({} records read{})",
                shown,
                verdict.records,
                if against.is_some() {
                    ""
                } else {
                    "; not checked against any log"
                }
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
    let unlogged_note = match (unlogged, args.no_log) {
        (0, _) => String::new(),
        (n, true) => format!(", {n} not checked against any log (--no-log)"),
        (n, false) => format!(
            ", {n} not checked against any log (digests alone prove nothing about where a \
             file came from; give --no-log to accept that)"
        ),
    };
    writeln!(
        out,
        "verify: {} files, {} failed{unlogged_note}",
        files.len(),
        failed
    )?;
    Ok(if failed == 0 && (unlogged == 0 || args.no_log) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The directory a file is in, resolved (symbolic links followed); `None` when it cannot be.
fn parent_dir(file: &Path) -> Option<std::path::PathBuf> {
    file.canonicalize().ok()?.parent().map(Path::to_path_buf)
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
