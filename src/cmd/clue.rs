//! `wangjian clue create|show`: findings of one site grouped and handed on for work.

use super::Ctx;
use crate::cli::{ClueCommand, OutputFormat};
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;
use store::Scope;

pub async fn clue(ctx: &Ctx, cmd: ClueCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    match cmd {
        ClueCommand::Create { findings, summary } => {
            let ids: Vec<domain::FindingId> =
                findings.iter().copied().map(domain::FindingId).collect();
            let by = store::Actor::system(super::cli_actor());
            let (id, draft) =
                store::clue::make_clue(store.as_ref(), Scope::City, &ids, summary.as_deref(), &by)
                    .await?;
            println!(
                "clue {id}: site {}, {} findings: {}",
                draft.site_id,
                draft.findings.len(),
                draft.summary
            );
        }
        ClueCommand::Show { id } => {
            let clue = store
                .clue(Scope::City, domain::ClueId(id))
                .await?
                .with_context(|| format!("no clue {id}"))?;
            println!("{}", serde_json::to_string_pretty(&clue)?);
        }
        ClueCommand::List { format } => {
            let clues = store
                .list_clues(Scope::City, &store::ClueFilter::default())
                .await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                if clues.is_empty() {
                    writeln!(out, "no clues")?;
                } else {
                    writeln!(
                        out,
                        "ID\tSITE\tDISTRICT\tFINDINGS\tCAPTURES\tCREATED BY\tSUMMARY"
                    )?;
                }
            }
            for c in &clues {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(c)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        c.id,
                        c.site,
                        c.district
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "-".into()),
                        c.findings.len(),
                        c.captures.len(),
                        c.created_by,
                        c.summary
                    )?,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
