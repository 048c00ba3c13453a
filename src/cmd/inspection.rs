//! `wangjian inspection add|list|show`: field inspections (现场检查) with their photos and scans,
//! through `casework::inspection`, the same function the console's form calls.

use super::Ctx;
use crate::cli::{InspectionCommand, InspectionResultArg, OutputFormat};
use anyhow::Context;
use casework::inspection::{self as inspection, AttachmentLimits, InspectionInput};
use domain::{CaseId, InspectionId, InspectionResult};
use std::io::Write;
use std::process::ExitCode;
use store::{Actor, InspectionFilter, Scope};

impl From<InspectionResultArg> for InspectionResult {
    fn from(r: InspectionResultArg) -> Self {
        match r {
            InspectionResultArg::Compliant => InspectionResult::Compliant,
            InspectionResultArg::Violation => InspectionResult::Violation,
            InspectionResultArg::NotContactable => InspectionResult::NotContactable,
            InspectionResultArg::Other => InspectionResult::Other,
        }
    }
}

pub async fn inspection(ctx: &Ctx, cmd: InspectionCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    match cmd {
        InspectionCommand::Add {
            entity,
            place,
            result,
            inspectors,
            case,
            at,
            notes,
            attach,
        } => {
            let limits = AttachmentLimits::from_mb(ctx.config.max_attachment_mb.value);
            let now = chrono::Utc::now();
            let inspected_at = match at {
                Some(text) => inspection::parse_inspected_at(&text)?,
                None => now,
            };
            // Every file is read (size-capped) and checked before anything is written.
            let mut files = Vec::with_capacity(attach.len());
            for path in &attach {
                let file = inspection::read_file(path, &limits)?;
                inspection::check_file(&file, &limits)?;
                files.push(file);
            }
            let input = InspectionInput {
                entity: super::entity_id(store.as_ref(), &entity).await?,
                case: case.map(CaseId),
                inspected_at,
                place,
                result: result.into(),
                notes,
                inspectors: inspectors.clone(),
            };
            // The recorder is the first inspector (who was there); the audit names the
            // command line's operator beside them.
            let first = inspectors[0].trim();
            let first = first.strip_prefix("user:").unwrap_or(first);
            let recorder = store.user_by_name(first).await?.ok_or_else(|| {
                inspection::InspectionError::UnknownInspector {
                    name: first.to_string(),
                }
            })?;
            let by = Actor {
                user: Some(recorder.id),
                name: super::cli_actor(),
                request: None,
            };
            let recorded = inspection::record_inspection(
                store.as_ref(),
                &ctx.data.attachments(),
                &limits,
                &Scope::City,
                &input,
                &files,
                &by,
                now,
            )
            .await?;
            println!(
                "inspection {}: {} ({}), {}, {} attachments",
                recorded.id,
                recorded.entity_name,
                recorded.district,
                recorded.result.code(),
                recorded.attachments
            );
        }
        InspectionCommand::List {
            entity,
            case,
            format,
        } => {
            let filter = InspectionFilter {
                entity: match entity {
                    Some(e) => Some(super::entity_id(store.as_ref(), &e).await?),
                    None => None,
                },
                case: case.map(CaseId),
                ..InspectionFilter::default()
            };
            let list = store.list_inspections(Scope::City, &filter).await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                if list.is_empty() {
                    writeln!(out, "no inspections")?;
                } else {
                    writeln!(
                        out,
                        "ID\tINSPECTED AT\tENTITY\tDISTRICT\tCASE\tRESULT\tINSPECTORS\tFILES\tPLACE"
                    )?;
                }
            }
            for i in &list {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(i)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        i.id,
                        domain::time::shown(i.inspected_at),
                        i.entity_name,
                        i.district,
                        i.case_id
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "-".into()),
                        i.result.code(),
                        i.officers
                            .iter()
                            .map(|o| o.username.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                        i.attachments,
                        i.place
                    )?,
                }
            }
        }
        InspectionCommand::Show { id } => {
            let id = InspectionId(id);
            let found = store
                .inspection(Scope::City, id)
                .await?
                .with_context(|| format!("no inspection {id}"))?;
            let files = store.inspection_attachments(Scope::City, id).await?;
            let mut value = serde_json::to_value(&found)?;
            value["files"] = serde_json::to_value(&files)?;
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
