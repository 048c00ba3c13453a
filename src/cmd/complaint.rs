//! `wangjian complaint file|list|show|accept|refuse|mediate|verify|link|close|dispatch`:
//! complaints and reports (投诉举报). `file` is the hotline's intake (12315); every step is a
//! thin call of `casework::complaints`, as `cli:$USER`, deadlines from the `[casework]` table.

use super::case::{actor, today};
use super::Ctx;
use crate::cli::{ComplaintCommand, OutputFormat};
use anyhow::Context;
use casework::complaints;
use casework::{ComplaintError, IntakeForm};
use domain::{ComplaintChannel, ComplaintId, ComplaintKind, ComplaintOutcome, ComplaintState};
use std::io::Write;
use std::process::ExitCode;
use store::{ComplaintLinks, Scope};

/// A refusal as the command line says it (intake problems one per line).
fn explain(e: ComplaintError) -> anyhow::Error {
    match e {
        ComplaintError::Intake(problems) => anyhow::anyhow!(
            "the complaint was not stored:\n{}",
            problems
                .iter()
                .map(|p| format!("  {:?}: {:?}", p.field, p.problem))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => other.into(),
    }
}

pub async fn complaint(ctx: &Ctx, cmd: ComplaintCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let limits = &ctx.config.casework.value;
    let districts = domain::DistrictTable::nanning();
    let s = store.as_ref();
    let city = Scope::City;
    let by = actor();
    match cmd {
        ComplaintCommand::File {
            kind,
            subject,
            uscc,
            url,
            address,
            text,
            name,
            phone,
            email,
        } => {
            let form = IntakeForm {
                kind: Some(kind.parse::<ComplaintKind>()?),
                subject_name: subject,
                subject_uscc: uscc,
                subject_url: url,
                subject_address: address,
                body: text,
                name,
                phone,
                email,
            };
            let c = complaints::file(
                s,
                &districts,
                limits,
                &form,
                ComplaintChannel::Hotline,
                today(),
                &by,
            )
            .await
            .map_err(explain)?;
            println!(
                "complaint {}: {} district {} accept by {}",
                c.id,
                c.tracking_number,
                c.district.map_or_else(|| "-".into(), |d| d.to_string()),
                c.accept_by
            );
        }
        ComplaintCommand::List {
            state,
            overdue,
            format,
        } => {
            let state = state.map(|s| s.parse::<ComplaintState>()).transpose()?;
            let today = today();
            let list = s
                .list_complaints(
                    city,
                    &store::ComplaintFilter {
                        state,
                        overdue: overdue.then_some(true),
                        today: Some(today),
                        ..store::ComplaintFilter::default()
                    },
                )
                .await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                if list.is_empty() {
                    writeln!(out, "no complaints")?;
                } else {
                    writeln!(
                        out,
                        "ID\tTRACKING\tKIND\tSTATE\tDISTRICT\tACCEPT BY\tSUBJECT\tRECEIVED"
                    )?;
                }
            }
            for c in &list {
                match format {
                    OutputFormat::Json => {
                        let mut v = serde_json::to_value(c)?;
                        v["overdue"] = c.overdue(today).into();
                        writeln!(out, "{}", serde_json::to_string(&v)?)?
                    }
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}{}\t{}\t{}",
                        c.id,
                        c.tracking_number,
                        c.kind,
                        c.state,
                        c.district.map_or_else(|| "-".into(), |d| d.to_string()),
                        c.accept_by,
                        if c.overdue(today) { " (overdue)" } else { "" },
                        c.subject.name.replace(['\t', '\n'], " "),
                        domain::time::shown(c.received_at)
                    )?,
                }
            }
        }
        ComplaintCommand::Show { id } => {
            let c = s
                .complaint(city.clone(), ComplaintId(id))
                .await?
                .with_context(|| format!("no complaint {id}"))?;
            let events = s.complaint_events(city, c.id).await?;
            let mut v = serde_json::to_value(&c)?;
            v["overdue"] = c.overdue(today()).into();
            v["history"] = serde_json::to_value(&events)?;
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        ComplaintCommand::Accept { id, note } => {
            let state = complaints::accept(s, city, ComplaintId(id), note.as_deref(), &by)
                .await
                .map_err(explain)?;
            println!("complaint {id}: {state}");
        }
        ComplaintCommand::Refuse { id, reason } => {
            let state = complaints::refuse(s, city, ComplaintId(id), &reason, &by)
                .await
                .map_err(explain)?;
            println!("complaint {id}: {state}");
        }
        ComplaintCommand::Mediate { id, step, note } => {
            let id = ComplaintId(id);
            let state = match step.trim() {
                "start" => complaints::start_mediation(s, city, id, limits, today(), &by).await,
                "agreed" => {
                    complaints::end_mediation(s, city, id, true, note.as_deref(), &by).await
                }
                "failed" => {
                    complaints::end_mediation(s, city, id, false, note.as_deref(), &by).await
                }
                other => anyhow::bail!("unknown mediation step {other:?}: start, agreed or failed"),
            }
            .map_err(explain)?;
            println!("complaint {id}: {state}");
        }
        ComplaintCommand::Verify { id, answer, note } => {
            let found = match answer.trim().replace('_', "-").as_str() {
                "verified" => true,
                "not-verified" => false,
                other => anyhow::bail!("unknown answer {other:?}: verified or not-verified"),
            };
            let state = complaints::verify(s, city, ComplaintId(id), found, note.as_deref(), &by)
                .await
                .map_err(explain)?;
            println!("complaint {id}: {state}");
        }
        ComplaintCommand::Link {
            id,
            entity,
            clue,
            case,
        } => {
            let links = ComplaintLinks {
                entity: entity.map(domain::EntityId),
                clue: clue.map(domain::ClueId),
                case: case.map(domain::CaseId),
            };
            complaints::link(s, city, ComplaintId(id), links, &by)
                .await
                .map_err(explain)?;
            println!("complaint {id}: linked");
        }
        ComplaintCommand::Close {
            id,
            outcome,
            text,
            upheld,
        } => {
            let outcome = outcome.parse::<ComplaintOutcome>()?;
            let state = complaints::close(s, city, ComplaintId(id), outcome, &text, upheld, &by)
                .await
                .map_err(explain)?;
            println!("complaint {id}: {state}");
        }
        ComplaintCommand::Dispatch {
            id,
            district,
            reason,
        } => {
            let district = domain::DistrictCode::parse(&district)?;
            complaints::dispatch(
                s,
                city,
                ComplaintId(id),
                district,
                &districts,
                &reason,
                today(),
                &by,
            )
            .await
            .map_err(explain)?;
            println!("complaint {id}: dispatched to {district}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
