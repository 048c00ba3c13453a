//! `wangjian import entities|filings`: the register, and other departments' records joined to
//! it. Bad rows go to a reject file named on stdout; an import that rejects every row (of at
//! least one) exits non-zero.

use super::Ctx;
use crate::cli::*;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use store::filings::Mapping;

pub async fn import(ctx: &Ctx, cmd: ImportCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ImportCommand::Entities(args) => entities(ctx, args).await,
        ImportCommand::Filings(args) => filings(ctx, args).await,
    }
}

/// How to read an import file, from the command line's flags.
fn options(encoding: EncodingArg, format: Option<FormatArg>) -> store::import::ImportOptions {
    store::import::ImportOptions {
        encoding: match encoding {
            EncodingArg::Auto => store::import::SourceEncoding::Auto,
            EncodingArg::Utf8 => store::import::SourceEncoding::Utf8,
            EncodingArg::Gbk => store::import::SourceEncoding::Gbk,
        },
        format: format.map(|f| match f {
            FormatArg::Csv => store::import::Format::Csv,
            FormatArg::JsonLines => store::import::Format::JsonLines,
            FormatArg::Xlsx => store::import::Format::Xlsx,
        }),
        batch_size: 2000,
        ..Default::default()
    }
}

/// Names the reject file, and fails the command when every row was rejected.
fn verdict(read: usize, rejected: usize, reject_file: Option<&Path>) -> ExitCode {
    if let Some(file) = reject_file {
        println!("rejected rows: {}", file.display());
    }
    if read > 0 && rejected == read {
        eprintln!(
            "error: every row ({read}) was rejected; the reasons are in {}",
            reject_file.map_or_else(
                || "the reject file".to_string(),
                |f| f.display().to_string()
            )
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn entities(ctx: &Ctx, args: ImportEntitiesArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let opts = options(args.encoding, args.format);
    // The import's errors name the file.
    let summary = store::import::import_entities(store.as_ref(), &args.file, &opts)
        .await
        .context("import entities")?;
    match summary.encoding {
        Some((name, true)) => println!("{summary} (encoding detected: {name})"),
        _ => println!("{summary}"),
    }
    Ok(verdict(
        summary.read,
        summary.rejected,
        summary.reject_file.as_deref(),
    ))
}

/// The mapping for `--source NAME` (the data directory's own file first, then the built-in
/// one) or `--mapping FILE`.
fn mapping(ctx: &Ctx, args: &ImportFilingsArgs) -> anyhow::Result<Mapping> {
    let read = |path: &Path| -> anyhow::Result<Mapping> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read mapping {}", path.display()))?;
        Mapping::parse(&text).map_err(|e| anyhow::anyhow!("mapping {}: {e}", path.display()))
    };
    if let Some(path) = &args.mapping {
        return read(path);
    }
    let source = args.source.as_deref().unwrap_or_default();
    let own = ctx.data.mappings().join(format!("{source}.toml"));
    if own.exists() {
        return read(&own);
    }
    Mapping::builtin(source).ok_or_else(|| {
        let builtin: Vec<&str> = store::filings::BUILTIN.iter().map(|(n, _)| *n).collect();
        anyhow::anyhow!(
            "no mapping for source {source:?}: write {} (see mappings/README.md) or use one of {}",
            own.display(),
            builtin.join(", ")
        )
    })
}

async fn filings(ctx: &Ctx, args: ImportFilingsArgs) -> anyhow::Result<ExitCode> {
    let mapping = mapping(ctx, &args)?;
    let store = ctx.data.open_store().await?;
    let opts = options(args.encoding, args.format);
    let today = domain::time::beijing_date(chrono::Utc::now());
    let summary =
        store::filings::import_filings(store.as_ref(), &args.file, &mapping, &opts, today)
            .await
            .context("import filings")?;
    println!("{}: {summary}", mapping.source);
    if let Some(file) = &summary.conflict_file {
        println!("conflicts: {}", file.display());
    }
    // Filings that name a site no registered site covers are discovery's department data.
    let found =
        ::sweep::sources::from_filings(store.as_ref(), &ctx.config.discovery.city()).await?;
    ::sweep::discover::review(store.as_ref()).await?;
    println!(
        "discovery: {} sites new from filings of operators in the city",
        found.new_sites
    );
    Ok(verdict(
        summary.read,
        summary.rejected,
        summary.reject_file.as_deref(),
    ))
}
