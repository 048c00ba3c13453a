//! `wangjian discovered list|confirm|reject`: sites that sweeps found linked from registered
//! sites, and a person's decision on each.

use super::Ctx;
use crate::cli::*;
use anyhow::bail;
use std::io::Write;
use std::process::ExitCode;
use store::{DiscoveryFilter, DiscoveryState, Scope};

pub async fn discovered(ctx: &Ctx, cmd: DiscoveredCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
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
            if format == OutputFormat::Text {
                if list.is_empty() {
                    writeln!(out, "no discovered sites")?;
                } else {
                    writeln!(out, "ID\tADDRESS\tSTATE\tLINKED FROM\tPROPOSAL")?;
                }
            }
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
            let Some(d) = store.discovered(Scope::City, id).await? else {
                bail!("no discovered site {id}");
            };
            let entity = match entity {
                Some(uscc) => {
                    let norm = domain::text::compact_upper(&uscc);
                    match store.entity_by_uscc(Scope::City, &norm).await? {
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
