//! `wangjian credit show|rescore|index check|index load|index list`: an entity's grade,
//! re-scoring and the index system file, through the `credit` functions the console and the
//! scheduler call too, acting for the whole bureau as `cli:$USER`.

use super::Ctx;
use crate::cli::{CreditCommand, CreditIndexCommand, OutputFormat};
use anyhow::Context;
use credit::archive::credit_of;
use credit::index::{ensure_file, IndexSystem};
use credit::rescore::{self, load_index, Loaded, RescoreReport};
use credit::CreditError;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use store::{Scope, Store};

/// An error of the credit crate for the command line: the file's problems one per line.
fn explain(e: CreditError) -> anyhow::Error {
    match e {
        CreditError::Invalid(problems) => {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            anyhow::anyhow!(
                "the index system file is refused ({} problem(s)); the version in force stays:\n{}",
                problems.len(),
                lines.join("\n")
            )
        }
        other => anyhow::Error::new(other),
    }
}

fn print_report(r: &RescoreReport) {
    println!(
        "rescored {} entities in {:.2} s",
        r.entities,
        r.elapsed.as_secs_f64()
    );
    eprintln!(
        "index version {}; {} grade(s) changed and archived",
        r.version, r.archived
    );
}

/// Loads a file as the version in force (the caller re-scores).
async fn load_file(store: &dyn Store, path: &Path) -> anyhow::Result<Loaded> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let loaded = load_index(store, &text, &super::case::actor(), None)
        .await
        .map_err(explain)?;
    match &loaded {
        Loaded::New(v) => eprintln!(
            "loaded index version {} ({}) from {}",
            v.version,
            v.name,
            path.display()
        ),
        Loaded::Unchanged(v) => eprintln!("index version {} is in force already", v.version),
    }
    Ok(loaded)
}

#[derive(serde::Serialize)]
struct IndicatorLine<'a> {
    code: &'a str,
    name: &'a str,
    family: &'a str,
    source: &'a str,
    points: f64,
    weight: f64,
    contribution: f64,
}

pub async fn credit(ctx: &Ctx, cmd: CreditCommand) -> anyhow::Result<ExitCode> {
    let cmd = match cmd {
        CreditCommand::Lists(cmd) => return super::credit_lists::credit(ctx, cmd).await,
        cmd => cmd,
    };
    if let CreditCommand::Index(CreditIndexCommand::Check { file }) = &cmd {
        // No database needed.
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        return Ok(match IndexSystem::parse(&text) {
            Ok(sys) => {
                println!(
                    "{}: valid — version {} ({}), {} indicators, {} leaves",
                    file.display(),
                    sys.version,
                    sys.name,
                    sys.indicators.len(),
                    sys.leaves.len()
                );
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in &problems {
                    println!("{}: {p}", file.display());
                }
                eprintln!("{} problem(s)", problems.len());
                ExitCode::from(1)
            }
        });
    }
    let store = ctx.data.open_store().await?;
    let store = store.as_ref();
    match cmd {
        CreditCommand::Index(CreditIndexCommand::Check { .. }) | CreditCommand::Lists(_) => {
            unreachable!("answered above")
        }
        CreditCommand::Index(CreditIndexCommand::Load { file, as_of: day }) => {
            let day = super::date_or_today(day.as_deref())?;
            let path = match file {
                Some(p) => p,
                None => ensure_file(&ctx.data.root)
                    .with_context(|| format!("cannot write {}", ctx.data.root.display()))?,
            };
            load_file(store, &path).await?;
            let report = rescore::rescore_all(store, day).await.map_err(explain)?;
            print_report(&report);
        }
        CreditCommand::Index(CreditIndexCommand::List { format }) => {
            let versions = store.credit_index_versions().await?;
            let mut out = std::io::stdout().lock();
            match format {
                OutputFormat::Json => {
                    for (i, v) in versions.iter().enumerate() {
                        let line = serde_json::json!({
                            "version": v.version,
                            "name": v.name,
                            "sha256": v.sha256,
                            "loaded_at": v.loaded_at,
                            "loaded_by": v.loaded_by,
                            "in_force": i == 0,
                        });
                        writeln!(out, "{line}")?;
                    }
                }
                OutputFormat::Text if versions.is_empty() => writeln!(out, "no index versions")?,
                OutputFormat::Text => {
                    writeln!(out, "version\tloaded_at\tloaded_by\tsha256\tname")?;
                    for (i, v) in versions.iter().enumerate() {
                        writeln!(
                            out,
                            "{}{}\t{}\t{}\t{}\t{}",
                            v.version,
                            if i == 0 { " (in force)" } else { "" },
                            domain::time::shown(v.loaded_at),
                            v.loaded_by,
                            &v.sha256[..12.min(v.sha256.len())],
                            v.name
                        )?;
                    }
                }
            }
        }
        CreditCommand::Rescore { all, as_of: day } => {
            let day = super::date_or_today(day.as_deref())?;
            let mut all = all;
            if store.current_credit_index().await?.is_none() {
                let path = ensure_file(&ctx.data.root)
                    .with_context(|| format!("cannot write {}", ctx.data.root.display()))?;
                load_file(store, &path).await?;
                all = true;
            }
            let report = if all {
                rescore::rescore_all(store, day).await
            } else {
                rescore::rescore_stale(store, day).await
            }
            .map_err(explain)?;
            print_report(&report);
        }
        CreditCommand::Show { entity, format } => {
            let id = super::entity_id(store, &entity).await?;
            let e = store
                .entity(Scope::City, id)
                .await?
                .with_context(|| format!("no entity {entity}"))?;
            let view = match credit_of(store, Scope::City, id).await {
                Err(CreditError::NotFound) => {
                    anyhow::bail!(
                        "{entity} has no credit grade yet (run `wangjian credit rescore`)"
                    )
                }
                other => other.map_err(explain)?,
            };
            let indicators: Vec<IndicatorLine> = view
                .indicators
                .iter()
                .map(|c| IndicatorLine {
                    code: &c.code,
                    name: &c.name,
                    family: &c.family,
                    source: &c.source,
                    points: c.points,
                    weight: c.weight,
                    contribution: c.contribution,
                })
                .collect();
            let g = &view.grade;
            match format {
                OutputFormat::Json => {
                    let families: Vec<_> = view
                        .families
                        .iter()
                        .map(|f| {
                            serde_json::json!({
                                "code": f.code, "name": f.name, "weight": f.weight,
                                "contribution": f.contribution, "percent": f.percent,
                            })
                        })
                        .collect();
                    let doc = serde_json::json!({
                        "entity": id,
                        "uscc": e.input.uscc,
                        "name": e.input.name,
                        "score": g.score,
                        "class": g.class,
                        "score_class": g.score_class,
                        "override": g.overridden,
                        "index_version": g.index_version,
                        "computed_at": g.computed_at,
                        "families": families,
                        "indicators": indicators,
                        "moved": view.moved,
                    });
                    println!("{}", serde_json::to_string_pretty(&doc)?);
                }
                OutputFormat::Text => {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{} {}", e.input.uscc, e.input.name)?;
                    writeln!(
                        out,
                        "score {:.2}  class {}{}  (score's class {}; index version {}; {})",
                        g.score,
                        g.class,
                        match g.overridden {
                            Some(o) => format!(" by the {o} list"),
                            None => String::new(),
                        },
                        g.score_class,
                        g.index_version,
                        domain::time::shown(g.computed_at)
                    )?;
                    for f in &view.families {
                        writeln!(
                            out,
                            "{} {}\t{:.2} of {:.0}",
                            f.code,
                            f.name,
                            f.contribution,
                            f.weight * 100.0
                        )?;
                        for c in indicators.iter().filter(|c| c.family == f.code) {
                            writeln!(
                                out,
                                "  {}\t{}\tpoints {:.1} × weight {:.4} = {:.2}\t{}",
                                c.code, c.name, c.points, c.weight, c.contribution, c.source
                            )?;
                        }
                    }
                    for m in &view.moved {
                        writeln!(
                            out,
                            "moved {} {}: {} → {:.2}",
                            m.code,
                            m.name,
                            m.before.map_or("—".into(), |b| format!("{b:.2}")),
                            m.after
                        )?;
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
