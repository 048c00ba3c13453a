//! `wangjian export entities|sites`: the register's tables, filtered, as CSV or XLSX.

use super::Ctx;
use crate::cli::*;
use anyhow::{bail, Context};
use std::process::ExitCode;
use store::Scope;

pub async fn export(ctx: &Ctx, args: TableExportArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
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
