//! `wangjian clue create|show`: findings of one site grouped and handed on for work.

use super::Ctx;
use crate::cli::ClueCommand;
use anyhow::Context;
use std::process::ExitCode;
use store::Scope;

pub async fn clue(ctx: &Ctx, cmd: ClueCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    match cmd {
        ClueCommand::Create { findings, summary } => {
            let ids: Vec<domain::FindingId> =
                findings.iter().copied().map(domain::FindingId).collect();
            let draft = store::clue::draft_clue(
                store.as_ref(),
                Scope::City,
                &ids,
                summary.as_deref(),
                &super::cli_actor(),
            )
            .await?;
            let id = store.create_clue(&draft).await?;
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
    }
    Ok(ExitCode::SUCCESS)
}
