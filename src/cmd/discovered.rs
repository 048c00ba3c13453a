//! `wangjian discovered list|confirm|reject`: sites that sweeps found linked from registered
//! sites, and a person's decision on each.

use super::Ctx;
use crate::cli::*;
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
            let by = store::Actor::system(by);
            let d =
                store::confirm_discovered(store.as_ref(), Scope::City, id, entity.as_deref(), &by)
                    .await?;
            let entity = d.proposed_entity.map(|e| e.to_string()).unwrap_or_default();
            println!("{} confirmed as a site of entity {entity}", d.address());
        }
        DiscoveredCommand::Reject { id, by } => {
            let by = store::Actor::system(by);
            let d = store::reject_discovered(store.as_ref(), Scope::City, id, &by).await?;
            println!("{} rejected", d.address());
        }
    }
    Ok(ExitCode::SUCCESS)
}
