//! `wangjian clue create|show|list|dispatch|feedback|extend`: findings of one site grouped and
//! handed on for work, and the clue's life (thin calls of `casework`, as `cli:$USER`).

use super::Ctx;
use crate::cli::{ClueCommand, OutputFormat};
use anyhow::Context;
use casework::Feedback;
use domain::{ClueId, ClueState, NotVerifiedReason};
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
        ClueCommand::List {
            state,
            overdue,
            format,
        } => {
            let state = state.map(|s| s.parse::<ClueState>()).transpose()?;
            let clues = store
                .list_clues(
                    Scope::City,
                    &store::ClueFilter {
                        state,
                        overdue: overdue.then_some(true),
                        ..store::ClueFilter::default()
                    },
                )
                .await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                if clues.is_empty() {
                    writeln!(out, "no clues")?;
                } else {
                    writeln!(
                        out,
                        "ID\tSITE\tSTATE\tDISTRICT\tSEVERITY\tDUE\tVERIFY BY\tFINDINGS\tCAPTURES\tCREATED BY\tSUMMARY"
                    )?;
                }
            }
            let date =
                |d: Option<chrono::NaiveDate>| d.map_or_else(|| "-".into(), |d| d.to_string());
            for c in &clues {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(c)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}{}\t{}\t{}\t{}\t{}\t{}",
                        c.id,
                        c.site,
                        c.state,
                        c.district
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "-".into()),
                        c.severity,
                        date(c.due_on),
                        if c.overdue { " (overdue)" } else { "" },
                        date(c.verify_by),
                        c.findings.len(),
                        c.captures.len(),
                        c.created_by,
                        c.summary
                    )?,
                }
            }
        }
        ClueCommand::Dispatch {
            id,
            district,
            reason,
        } => {
            let district = domain::DistrictCode::parse(&district)?;
            casework::dispatch(
                store.as_ref(),
                Scope::City,
                ClueId(id),
                district,
                reason.as_deref(),
                &ctx.config.casework.value,
                super::case::today(),
                &super::case::actor(),
            )
            .await?;
            let c = store
                .clue(Scope::City, ClueId(id))
                .await?
                .context("the clue")?;
            println!(
                "clue {id}: dispatched to {district}, due {}",
                c.due_on.map(|d| d.to_string()).unwrap_or_default()
            );
        }
        ClueCommand::Feedback {
            id,
            answer,
            reason,
            to,
            note,
        } => {
            let answer = match answer.trim().replace('_', "-").as_str() {
                "verified" => Feedback::Verified { note },
                "not-verified" => Feedback::NotVerified {
                    reason: reason
                        .context("not-verified needs --reason (no_violation, insufficient_evidence, first_minor_corrected, time_barred)")?
                        .parse::<NotVerifiedReason>()?,
                    note,
                },
                "transferred" => Feedback::Transferred {
                    to: to.context("transferred needs --to")?,
                    note,
                },
                other => anyhow::bail!(
                    "unknown answer {other:?}: verified, not-verified or transferred"
                ),
            };
            let state = casework::feedback(
                store.as_ref(),
                Scope::City,
                ClueId(id),
                answer,
                &super::case::actor(),
            )
            .await?;
            println!("clue {id}: {state}");
        }
        ClueCommand::Extend { id } => {
            let to = casework::extend_verification(
                store.as_ref(),
                Scope::City,
                ClueId(id),
                &ctx.config.casework.value,
                super::case::today(),
                &super::case::actor(),
            )
            .await?;
            println!("clue {id}: verify by {to}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
