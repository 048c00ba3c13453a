//! `wangjian credit listing|repair|evaluation|commitment|public`: the dishonesty lists,
//! credit repair, third-party evaluations, commitments and the public view. Each is a thin
//! call of the `credit` function the console calls too, acting for the whole bureau as
//! `cli:$USER` (an evaluation as the evaluator named).

use super::Ctx;
use crate::cli::{
    CommitmentCommand, CreditListsCommand, EvaluationCommand, ListingCommand, OutputFormat,
    RepairCommand,
};
use anyhow::Context;
use chrono::NaiveDate;
use credit::lists::Caller;
use credit::publicity::PublicityRules;
use credit::{commitments, evaluations, lists, publicity, repair};
use domain::{
    CommitmentId, DistrictCode, ListKind, ListingId, RemovalReason, RepairId, RepairState,
};
use std::io::Write;
use std::process::ExitCode;
use store::{ListingFilter, RepairFilter, Store};

fn caller() -> Caller {
    Caller::system(format!("cli:{}", super::cli_actor()))
}

fn parse<T: std::str::FromStr>(s: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(|e| anyhow::anyhow!("{e}"))
}

fn json_line(out: &mut impl Write, v: &impl serde::Serialize) -> anyhow::Result<()> {
    writeln!(out, "{}", serde_json::to_string(v)?)?;
    Ok(())
}

pub async fn credit(ctx: &Ctx, cmd: CreditListsCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let store = store.as_ref();
    let by = caller();
    let mut out = std::io::stdout().lock();
    match cmd {
        CreditListsCommand::Listing(cmd) => listing(store, &by, cmd, &mut out).await?,
        CreditListsCommand::Repair(cmd) => repairs(store, &by, cmd, &mut out).await?,
        CreditListsCommand::Evaluation(cmd) => evaluation(store, cmd, &mut out).await?,
        CreditListsCommand::Commitment(cmd) => commitment(store, &by, cmd, &mut out).await?,
        CreditListsCommand::Public {
            uscc,
            as_of,
            format,
        } => {
            let id = super::entity_id(store, &uscc).await?;
            let v = publicity::public_view(
                store,
                id,
                super::date_or_today(as_of.as_deref())?,
                &PublicityRules::default(),
            )
            .await?;
            match format {
                OutputFormat::Json => json_line(&mut out, &v)?,
                OutputFormat::Text => {
                    writeln!(out, "{} {} ({})", v.entity.uscc, v.entity.name, v.as_of)?;
                    match v.class {
                        Some(c) => writeln!(out, "class: {c}")?,
                        None => writeln!(out, "class: not scored")?,
                    }
                    for p in &v.penalties {
                        writeln!(
                            out,
                            "penalty\t{}\t{}\tfine {} fen\tdecided {}\tpublic until {}{}",
                            p.decision_no,
                            p.legal_basis,
                            p.fine_fen,
                            p.decided_on,
                            p.publicity_ends,
                            if p.repaired { " (repaired)" } else { "" }
                        )?;
                    }
                    for l in &v.listings {
                        writeln!(
                            out,
                            "listing\t{}\t{}\tlisted {}\t{}",
                            l.list,
                            l.cause,
                            l.listed_on,
                            match (l.removed_on, l.publicity_ends) {
                                (Some(r), Some(e)) => format!("removed {r}, public until {e}"),
                                _ => "open".to_string(),
                            }
                        )?;
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn listing(
    store: &dyn Store,
    by: &Caller,
    cmd: ListingCommand,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match cmd {
        ListingCommand::Add {
            uscc,
            list,
            cause,
            decision_no,
            on,
        } => {
            let id = super::entity_id(store, &uscc).await?;
            let l = lists::add(
                store,
                by,
                id,
                parse::<ListKind>(&list)?,
                &cause,
                decision_no.as_deref(),
                super::date_or_today(on.as_deref())?,
            )
            .await?;
            writeln!(out, "listing {}: {} on {}", l.id, l.entity_name, l.list)?;
        }
        ListingCommand::Remove {
            id,
            reason,
            note,
            on,
        } => {
            let l = lists::remove(
                store,
                by,
                ListingId(id),
                parse::<RemovalReason>(&reason)?,
                note.as_deref(),
                super::date_or_today(on.as_deref())?,
            )
            .await?;
            writeln!(
                out,
                "listing {} removed on {}",
                l.id,
                date_text(l.removed_on)
            )?;
        }
        ListingCommand::List {
            list,
            open,
            removed,
            district,
            uscc,
            limit,
            offset,
            format,
        } => {
            let filter = ListingFilter {
                count_up_to: None,
                list: list.as_deref().map(parse::<ListKind>).transpose()?,
                open: match (open, removed) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
                district: district
                    .as_deref()
                    .map(|d| DistrictCode::parse(d).map_err(|e| anyhow::anyhow!("{e}")))
                    .transpose()?,
                entity_id: match uscc {
                    Some(u) => Some(super::entity_id(store, &u).await?),
                    None => None,
                },
                listed_on_or_before: None,
                sort: None,
                limit,
                offset,
            };
            let (items, _) = lists::list(store, by, &filter).await?;
            if format == OutputFormat::Text {
                if items.is_empty() {
                    writeln!(out, "no listings")?;
                } else {
                    writeln!(
                        out,
                        "ID\tLIST\tUSCC\tNAME\tDISTRICT\tCAUSE\tLISTED ON\tREMOVED ON\tREASON"
                    )?;
                }
            }
            for l in &items {
                match format {
                    OutputFormat::Json => json_line(out, l)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        l.id,
                        l.list,
                        l.uscc,
                        l.entity_name,
                        l.district,
                        l.cause,
                        l.listed_on,
                        date_text(l.removed_on),
                        l.removed_reason.map(|r| r.code()).unwrap_or("-")
                    )?,
                }
            }
        }
        ListingCommand::Show { id, format } => {
            let l = lists::show(store, by, ListingId(id)).await?;
            let rs = repair::list(
                store,
                by,
                &RepairFilter {
                    listing_id: Some(l.id),
                    ..Default::default()
                },
            )
            .await?;
            match format {
                OutputFormat::Json => {
                    json_line(out, &serde_json::json!({ "listing": l, "repairs": rs }))?
                }
                OutputFormat::Text => {
                    writeln!(
                        out,
                        "listing {}: {} {} on {} since {}",
                        l.id, l.uscc, l.entity_name, l.list, l.listed_on
                    )?;
                    writeln!(out, "cause: {}", l.cause)?;
                    if let Some(d) = &l.decision_no {
                        writeln!(out, "decision: {d}")?;
                    }
                    if let Some(r) = l.removed_reason {
                        writeln!(out, "removed on {} ({r})", date_text(l.removed_on))?;
                    }
                    for r in &rs {
                        writeln!(
                            out,
                            "repair {}\t{}\t{}\t{}",
                            r.id, r.applied_on, r.state, r.applicant
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "-".to_string(), |d| d.to_string())
}

async fn repairs(
    store: &dyn Store,
    by: &Caller,
    cmd: RepairCommand,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match cmd {
        RepairCommand::Apply {
            listing,
            applicant,
            statement,
            on,
        } => {
            let r = repair::apply(
                store,
                by,
                ListingId(listing),
                &applicant,
                &statement,
                super::date_or_today(on.as_deref())?,
            )
            .await?;
            writeln!(
                out,
                "repair {}: {} for listing {}",
                r.id, r.state, r.listing_id
            )?;
        }
        RepairCommand::Decide {
            id,
            approve,
            refuse: _,
            reason,
            on,
        } => {
            let r = repair::decide(
                store,
                by,
                RepairId(id),
                approve,
                reason.as_deref(),
                super::date_or_today(on.as_deref())?,
            )
            .await?;
            writeln!(out, "repair {}: {}", r.id, r.state)?;
        }
        RepairCommand::List {
            listing,
            state,
            format,
        } => {
            let filter = RepairFilter {
                listing_id: listing.map(ListingId),
                state: state.as_deref().map(parse::<RepairState>).transpose()?,
                ..Default::default()
            };
            let items = repair::list(store, by, &filter).await?;
            if format == OutputFormat::Text {
                if items.is_empty() {
                    writeln!(out, "no repair applications")?;
                } else {
                    writeln!(out, "ID\tLISTING\tNAME\tLIST\tAPPLIED ON\tSTATE\tAPPLICANT")?;
                }
            }
            for r in &items {
                match format {
                    OutputFormat::Json => json_line(out, r)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.id,
                        r.listing_id,
                        r.entity_name,
                        r.list,
                        r.applied_on,
                        r.state,
                        r.applicant
                    )?,
                }
            }
        }
    }
    Ok(())
}

async fn evaluation(
    store: &dyn Store,
    cmd: EvaluationCommand,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match cmd {
        EvaluationCommand::Add {
            uscc,
            evaluator,
            score,
            summary,
            on,
        } => {
            let u = store
                .user_by_name(evaluator.trim())
                .await?
                .with_context(|| format!("no user {evaluator:?}"))?;
            // The evaluator's own scope: an entity outside their assignment is not found.
            let by = Caller::user(&u, None);
            let id = match store.entity_by_uscc(by.scope.clone(), uscc.trim()).await? {
                Some(e) => e.id,
                None => anyhow::bail!("no entity with USCC {uscc} assigned to {evaluator}"),
            };
            let v = evaluations::add(
                store,
                &by,
                id,
                score,
                super::date_or_today(on.as_deref())?,
                &summary,
            )
            .await?;
            writeln!(
                out,
                "evaluation {}: {} scored {}",
                v.id, v.entity_name, v.score
            )?;
        }
        EvaluationCommand::List { uscc, format } => {
            let by = caller();
            let id = match uscc {
                Some(u) => Some(super::entity_id(store, &u).await?),
                None => None,
            };
            let (items, _) = evaluations::list(store, &by, id, 0, 0).await?;
            if format == OutputFormat::Text {
                if items.is_empty() {
                    writeln!(out, "no evaluations")?;
                } else {
                    writeln!(out, "ID\tNAME\tEVALUATOR\tSCORE\tON\tSUMMARY")?;
                }
            }
            for v in &items {
                match format {
                    OutputFormat::Json => json_line(out, v)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        v.id, v.entity_name, v.evaluator, v.score, v.evaluated_on, v.summary
                    )?,
                }
            }
        }
    }
    Ok(())
}

async fn commitment(
    store: &dyn Store,
    by: &Caller,
    cmd: CommitmentCommand,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match cmd {
        CommitmentCommand::Add { uscc, text, on } => {
            let id = super::entity_id(store, &uscc).await?;
            let c = commitments::add(store, by, id, super::date_or_today(on.as_deref())?, &text)
                .await?;
            writeln!(out, "commitment {}: {}", c.id, c.entity_name)?;
        }
        CommitmentCommand::Break { id, reason, on } => {
            let c = commitments::mark_broken(
                store,
                by,
                CommitmentId(id),
                super::date_or_today(on.as_deref())?,
                &reason,
            )
            .await?;
            writeln!(
                out,
                "commitment {} broken on {}",
                c.id,
                date_text(c.broken_on)
            )?;
        }
        CommitmentCommand::List { uscc, format } => {
            let id = match uscc {
                Some(u) => Some(super::entity_id(store, &u).await?),
                None => None,
            };
            let items = commitments::list(store, by, id).await?;
            if format == OutputFormat::Text {
                if items.is_empty() {
                    writeln!(out, "no commitments")?;
                } else {
                    writeln!(out, "ID\tNAME\tMADE ON\tBROKEN ON\tTEXT")?;
                }
            }
            for c in &items {
                match format {
                    OutputFormat::Json => json_line(out, c)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        c.id,
                        c.entity_name,
                        c.made_on,
                        date_text(c.broken_on),
                        c.text
                    )?,
                }
            }
        }
    }
    Ok(())
}
