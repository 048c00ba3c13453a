//! `wangjian case open|list|show|advance|officer|outcome|unlist|reopen`: cases opened from
//! clues, worked through their stages to their outcomes. Each is a thin call of the `casework`
//! function the console calls too, acting for the whole bureau as `cli:$USER`.

use super::Ctx;
use crate::cli::{CaseCommand, OutcomeCommand, OutputFormat};
use anyhow::Context;
use domain::{CaseId, CaseStage, ClueId, ListingCause, OutcomeId};
use std::io::Write;
use std::process::ExitCode;
use store::{Case, Outcome, Scope, Store};

/// Who the command line acts as.
pub fn actor() -> store::Actor {
    store::Actor::system(format!("cli:{}", super::cli_actor()))
}

/// Today's date (UTC), from which deadlines are counted.
pub fn today() -> chrono::NaiveDate {
    domain::time::beijing_date(chrono::Utc::now())
}

/// A case with its outcomes, as a JSON line.
#[derive(serde::Serialize)]
struct CaseLine<'a> {
    #[serde(flatten)]
    case: &'a Case,
    outcomes: &'a [Outcome],
}

pub async fn case(ctx: &Ctx, cmd: CaseCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let store = store.as_ref();
    let limits = &ctx.config.casework.value;
    let by = actor();
    match cmd {
        CaseCommand::Open {
            clues,
            officers,
            summary,
        } => {
            let ids: Vec<ClueId> = clues.into_iter().map(ClueId).collect();
            let id = casework::open_case(
                store,
                Scope::City,
                &ids,
                &officers,
                summary.as_deref(),
                limits,
                today(),
                &by,
            )
            .await?;
            let c = shown(store, id).await?;
            println!("case {id}: {} ({})", c.number, c.stage);
        }
        CaseCommand::List { stage, format } => {
            let stage = stage
                .map(|s| s.parse::<CaseStage>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let cases = store
                .list_cases(
                    Scope::City,
                    &store::CaseFilter {
                        stage,
                        ..store::CaseFilter::default()
                    },
                )
                .await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                if cases.is_empty() {
                    writeln!(out, "no cases")?;
                } else {
                    writeln!(
                        out,
                        "ID\tNUMBER\tSTAGE\tDISTRICT\tSITE\tDECIDE BY\tOUTCOMES\tSUMMARY"
                    )?;
                }
            }
            for c in &cases {
                let outcomes = store.case_outcomes(Scope::City, c.id).await?;
                match format {
                    OutputFormat::Json => writeln!(
                        out,
                        "{}",
                        serde_json::to_string(&CaseLine {
                            case: c,
                            outcomes: &outcomes
                        })?
                    )?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}{}\t{}\t{}",
                        c.id,
                        c.number,
                        c.stage,
                        c.district,
                        c.site,
                        c.decide_by,
                        if c.overdue { " (overdue)" } else { "" },
                        outcome_kinds(&outcomes),
                        c.summary
                    )?,
                }
            }
        }
        CaseCommand::Show { id, format } => {
            let c = shown(store, CaseId(id)).await?;
            let outcomes = store.case_outcomes(Scope::City, c.id).await?;
            let mut out = std::io::stdout().lock();
            match format {
                OutputFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&CaseLine {
                        case: &c,
                        outcomes: &outcomes
                    })?
                )?,
                OutputFormat::Text => {
                    writeln!(out, "case {} {} ({})", c.id, c.number, c.stage)?;
                    writeln!(out, "site\t{}", c.site)?;
                    writeln!(out, "district\t{}", c.district)?;
                    writeln!(
                        out,
                        "decide by\t{}{}",
                        c.decide_by,
                        if c.overdue { " (overdue)" } else { "" }
                    )?;
                    writeln!(out, "clues\t{}", join(&c.clues))?;
                    writeln!(out, "officers\t{}", join(&c.officers))?;
                    writeln!(out, "summary\t{}", c.summary)?;
                    for o in &outcomes {
                        writeln!(
                            out,
                            "outcome {}\t{}\t{}",
                            o.id,
                            o.detail.kind(),
                            serde_json::to_string(&o.detail)?
                        )?;
                    }
                }
            }
        }
        CaseCommand::Advance { id } => {
            let c = shown(store, CaseId(id)).await?;
            let to = casework::advance(store, Scope::City, c.id, c.stage, &by).await?;
            println!("case {id}: {} → {to}", c.stage);
        }
        CaseCommand::Officer { id, name } => {
            casework::add_officer(store, Scope::City, CaseId(id), &name, &by).await?;
            println!("case {id}: officer {name}");
        }
        CaseCommand::Outcome { id, outcome } => {
            let input = outcome_input(outcome)?;
            let o =
                casework::add_outcome(store, Scope::City, CaseId(id), input, today(), &by).await?;
            println!("case {id}: outcome {o}");
        }
        CaseCommand::Unlist { outcome, reason } => {
            casework::remove_listing(store, Scope::City, OutcomeId(outcome), &reason, &by).await?;
            println!("outcome {outcome}: listing removed");
        }
        CaseCommand::Reopen { id, reason } => {
            let to = casework::reopen(store, Scope::City, CaseId(id), &reason, &by).await?;
            println!("case {id}: {to}");
        }
        CaseCommand::Document(args) => return super::document::document(ctx, args).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn shown(store: &dyn Store, id: CaseId) -> anyhow::Result<Case> {
    store
        .case(Scope::City, id)
        .await?
        .with_context(|| format!("no case {id}"))
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn outcome_kinds(outcomes: &[Outcome]) -> String {
    if outcomes.is_empty() {
        return "-".into();
    }
    outcomes
        .iter()
        .map(|o| o.detail.kind().code())
        .collect::<Vec<_>>()
        .join(",")
}

fn outcome_input(cmd: OutcomeCommand) -> anyhow::Result<casework::OutcomeInput> {
    use casework::OutcomeInput as I;
    Ok(match cmd {
        OutcomeCommand::Penalty {
            decision_no,
            fine_fen,
            fine_yuan,
            confiscation,
        } => I::Penalty {
            decision_no,
            fine_fen: match (fine_fen, fine_yuan) {
                (Some(f), _) => f,
                (None, Some(y)) => casework::parse_fen(&y)?,
                (None, None) => 0,
            },
            confiscation,
        },
        OutcomeCommand::Rectification { due, urls } => I::Rectification {
            due_on: chrono::NaiveDate::parse_from_str(due.trim(), "%Y-%m-%d")
                .with_context(|| format!("--due {due:?} is not a date (YYYY-MM-DD)"))?,
            urls,
        },
        OutcomeCommand::Referral { to, reason } => I::Referral { to, reason },
        OutcomeCommand::Warning { reason } => I::Warning { reason },
        OutcomeCommand::AbnormalListing { cause } => I::AbnormalListing {
            cause: cause
                .parse::<ListingCause>()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        },
        OutcomeCommand::Dismissal { reason } => I::Dismissal { reason },
    })
}
