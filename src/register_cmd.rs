//! Register commands: other departments' filings, discovered sites, table exports.

use crate::cli::*;
use crate::data::DataDir;
use anyhow::{bail, Context};
use std::io::Write;
use std::process::ExitCode;
use store::filings::Mapping;
use store::{DiscoveryFilter, DiscoveryState, Scope};

/// How to read an import file, from the command line's flags.
pub fn import_options(
    encoding: EncodingArg,
    format: Option<FormatArg>,
) -> store::import::ImportOptions {
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
    }
}

/// The mapping for `--source NAME` (the data directory's own file first, then the built-in
/// one) or `--mapping FILE`.
fn mapping(data: &DataDir, args: &ImportFilingsArgs) -> anyhow::Result<Mapping> {
    let read = |path: &std::path::Path| -> anyhow::Result<Mapping> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read mapping {}", path.display()))?;
        Mapping::parse(&text).map_err(|e| anyhow::anyhow!("mapping {}: {e}", path.display()))
    };
    if let Some(path) = &args.mapping {
        return read(path);
    }
    let source = args.source.as_deref().unwrap_or_default();
    let own = data.mappings().join(format!("{source}.toml"));
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

pub async fn import_filings(data: &DataDir, args: ImportFilingsArgs) -> anyhow::Result<ExitCode> {
    let mapping = mapping(data, &args)?;
    let store = data.open_store().await?;
    let opts = import_options(args.encoding, args.format);
    let today = chrono::Utc::now().date_naive();
    let summary =
        store::filings::import_filings(store.as_ref(), &args.file, &mapping, &opts, today)
            .await
            .with_context(|| format!("cannot import {}", args.file.display()))?;
    println!("{}: {summary}", mapping.source);
    for (what, file) in [
        ("rejected rows", &summary.reject_file),
        ("conflicts", &summary.conflict_file),
    ] {
        if let Some(file) = file {
            println!("{what}: {}", file.display());
        }
    }
    if summary.read > 0 && summary.rejected == summary.read {
        eprintln!("error: every row was rejected; nothing was imported");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn discovered(data: &DataDir, cmd: DiscoveredCommand) -> anyhow::Result<ExitCode> {
    let store = data.open_store().await?;
    match cmd {
        DiscoveredCommand::List { state, format } => {
            let filter = DiscoveryFilter {
                state: state.map(|s| match s {
                    DiscoveryStateArg::New => DiscoveryState::New,
                    DiscoveryStateArg::Confirmed => DiscoveryState::Confirmed,
                    DiscoveryStateArg::Rejected => DiscoveryState::Rejected,
                }),
                ..DiscoveryFilter::default()
            };
            let list = store.list_discovered(Scope::City, &filter).await?;
            let mut out = std::io::stdout().lock();
            for d in &list {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(d)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        d.id,
                        d.address(),
                        d.state.code(),
                        d.evidence
                            .first()
                            .map(|s| s.from_url.as_str())
                            .unwrap_or("-"),
                        d.proposal_reason.as_deref().unwrap_or("-"),
                    )?,
                }
            }
        }
        DiscoveredCommand::Confirm { id, entity, by } => {
            let Some(d) = store.discovered(id).await? else {
                bail!("no discovered site {id}");
            };
            let entity = match entity {
                Some(uscc) => {
                    let norm = domain::text::compact_upper(&uscc);
                    match store.entity_by_uscc(&norm).await? {
                        Some(e) => e.id,
                        None => bail!("no entity with USCC {norm}"),
                    }
                }
                None => match d.proposed_entity {
                    Some(e) => e,
                    None => bail!("discovered site {id} has no proposal: give --entity USCC"),
                },
            };
            let d = store
                .decide_discovery(id, DiscoveryState::Confirmed, Some(entity), &by)
                .await?;
            println!("{} confirmed as a site of entity {entity}", d.address());
        }
        DiscoveredCommand::Reject { id, by } => {
            let d = store
                .decide_discovery(id, DiscoveryState::Rejected, None, &by)
                .await?;
            println!("{} rejected", d.address());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How often the console brings its search index up to date with imports and sweeps.
const SEARCH_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens the data directory's search index and brings it up to date; `None` (said on stderr)
/// when it cannot be, so that the console still serves everything else.
pub async fn open_search(data: &DataDir, store: &dyn store::Store) -> Option<search::SearchIndex> {
    let started = std::time::Instant::now();
    match sweep::index::open_and_sync(store, &data.evidence(), &data.search()).await {
        Ok((index, summary)) => {
            eprintln!("{summary} ({:.1} s)", started.elapsed().as_secs_f64());
            Some(index)
        }
        Err(e) => {
            eprintln!("search is off: {e}");
            None
        }
    }
}

/// Syncs the index in the background while the console runs.
pub fn keep_in_step(
    data: &DataDir,
    store: std::sync::Arc<dyn store::Store>,
    index: search::SearchIndex,
) {
    let evidence = data.evidence();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SEARCH_SYNC_EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            match sweep::index::sync(store.as_ref(), &evidence, &index).await {
                Ok(s) if s.entities + s.pages > 0 => tracing::info!("{s}"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "search index sync failed; retrying later"),
            }
        }
    });
}

pub async fn search(data: &DataDir, cmd: SearchCommand) -> anyhow::Result<ExitCode> {
    let store = data.open_store().await?;
    let started = std::time::Instant::now();
    let (index, summary) =
        sweep::index::open_and_sync(store.as_ref(), &data.evidence(), &data.search())
            .await
            .context("cannot bring the search index up to date")?;
    match cmd {
        SearchCommand::Sync => {
            println!("{summary} ({:.1} s)", started.elapsed().as_secs_f64());
        }
        SearchCommand::Query { text, limit } => {
            let hits = index.search(&search::Query::new(text).page(0, limit))?;
            let mut out = std::io::stdout().lock();
            for h in hits {
                match h {
                    search::Hit::Entity { id, matched, .. } => {
                        let name = match store.entity(domain::EntityId(id)).await? {
                            Some(e) => format!("{}\t{}", e.input.uscc, e.input.name),
                            None => "-".into(),
                        };
                        writeln!(out, "entity\t{id}\t{name}\t{matched:?}")?;
                    }
                    search::Hit::Page {
                        fetch_id,
                        url,
                        snippet,
                        ..
                    } => writeln!(out, "page\t{fetch_id}\t{url}\t{snippet}")?,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn export(data: &DataDir, args: TableExportArgs) -> anyhow::Result<ExitCode> {
    let store = data.open_store().await?;
    let district = args
        .district
        .as_deref()
        .map(domain::DistrictCode::parse)
        .transpose()
        .context("--district")?;
    let kind = args
        .kind
        .as_deref()
        .map(str::parse::<domain::SiteKind>)
        .transpose()
        .context("--kind")?;
    let table = match args.what {
        TableKind::Entities => {
            let filter = store::EntityFilter {
                district,
                kind,
                status: args
                    .status
                    .as_deref()
                    .map(str::parse::<domain::EntityStatus>)
                    .transpose()
                    .context("--status")?,
                ..store::EntityFilter::default()
            };
            let rows = web::exports::all_entities(store.as_ref(), Scope::City, &filter).await?;
            web::exports::entities_table(&rows, &domain::DistrictTable::nanning())
        }
        TableKind::Sites => {
            if args.status.is_some() {
                bail!("--status filters entities, not sites");
            }
            let filter = store::SiteFilter {
                district,
                kind,
                registered: args.registered,
                ..store::SiteFilter::default()
            };
            let rows = web::exports::all_sites(store.as_ref(), Scope::City, &filter).await?;
            web::exports::sites_table(&rows)
        }
    };
    let format = match args.format {
        Some(f) => f,
        None => match args
            .output
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("xlsx") => TableFormat::Xlsx,
            Some("csv") => TableFormat::Csv,
            _ => bail!("say --format csv or xlsx (the output file's extension says neither)"),
        },
    };
    let file = std::fs::File::create(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let mut w = std::io::BufWriter::new(file);
    match format {
        TableFormat::Csv => table.write_csv(&mut w)?,
        TableFormat::Xlsx => table.write_xlsx(&mut w)?,
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    println!(
        "{} {} rows written to {}",
        table.rows.len(),
        table.title,
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
