//! `wangjian discovered list|stats|from-filings|ct-poll|ct-logs|confirm|reject`: sites found
//! by links, department filings and certificate transparency logs, and a person's decision on
//! each. Every action is a thin call of a crate function the console calls too.

use super::Ctx;
use crate::cli::*;
use std::io::Write;
use std::process::ExitCode;
use store::{DiscoveryFilter, DiscoverySource, DiscoveryState, Scope};

pub async fn discovered(ctx: &Ctx, cmd: DiscoveredCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    match cmd {
        DiscoveredCommand::List {
            state,
            source,
            imitations,
            format,
        } => {
            let filter = DiscoveryFilter {
                state: state.map(|s| match s {
                    DiscoveryStateArg::Unverified => DiscoveryState::Unverified,
                    DiscoveryStateArg::New => DiscoveryState::New,
                    DiscoveryStateArg::Confirmed => DiscoveryState::Confirmed,
                    DiscoveryStateArg::Rejected => DiscoveryState::Rejected,
                    DiscoveryStateArg::Remote => DiscoveryState::Remote,
                }),
                source: source.map(|s| match s {
                    DiscoverySourceArg::Link => DiscoverySource::Link,
                    DiscoverySourceArg::Filing => DiscoverySource::Filing,
                    DiscoverySourceArg::Ct => DiscoverySource::Ct,
                }),
                imitations,
                ..DiscoveryFilter::default()
            };
            let list = store.list_discovered(Scope::City, &filter).await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                if list.is_empty() {
                    writeln!(out, "no discovered sites")?;
                } else {
                    writeln!(
                        out,
                        "ID\tADDRESS\tSOURCE\tHOPS\tSTATE\tSEEN\tPROPOSAL\tIMITATES"
                    )?;
                }
            }
            for d in &list {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(d)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        d.id,
                        d.address(),
                        d.source.code(),
                        d.hops,
                        d.state.code(),
                        d.evidence
                            .first()
                            .map(seen_at)
                            .unwrap_or_else(|| "-".into()),
                        d.proposed_entity
                            .zip(d.proposal.as_ref())
                            .map(|(e, b)| format!("entity {e} ({})", b.code()))
                            .unwrap_or_else(|| "-".into()),
                        d.imitation
                            .as_ref()
                            .map(|i| format!("{} of entity {} ({})", i.host, i.owner, i.how.code()))
                            .unwrap_or_else(|| "-".into()),
                    )?,
                }
            }
        }
        DiscoveredCommand::Stats { format } => {
            let stats = store.discovery_stats(Scope::City).await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                writeln!(
                    out,
                    "SOURCE\tFOUND\tUNVERIFIED\tNEW\tCONFIRMED\tREJECTED\tREMOTE\tPRECISION"
                )?;
            }
            for s in &stats {
                match format {
                    OutputFormat::Json => {
                        let mut v = serde_json::to_value(s)?;
                        v["precision"] = serde_json::json!(s.precision());
                        writeln!(out, "{v}")?
                    }
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        s.source.code(),
                        s.total,
                        s.unverified,
                        s.new,
                        s.confirmed,
                        s.rejected,
                        s.remote,
                        s.precision()
                            .map(|p| format!("{p:.3}"))
                            .unwrap_or_else(|| "-".into()),
                    )?,
                }
            }
        }
        DiscoveredCommand::FromFilings => {
            let city = ctx.config.discovery.city();
            let found = ::sweep::sources::from_filings(store.as_ref(), &city).await?;
            ::sweep::discover::review(store.as_ref()).await?;
            println!(
                "{} filings name an address no registered site covers; {} of operators in the \
                 city; {} sites new",
                found.unsited, found.in_city, found.new_sites
            );
        }
        DiscoveredCommand::CtPoll { log, batch, crawl } => {
            let logs = ctx.config.discovery.ct_logs(log.as_deref())?;
            let crawl = super::crawl_config(&ctx.config, &crawl, &[])?;
            let city = ctx.config.discovery.city();
            let mut failed = false;
            for l in &logs {
                let polled =
                    ::sweep::sources::poll_ct(store.as_ref(), &crawl, &city, l, batch).await?;
                for (index, code, detail) in &polled.skipped {
                    eprintln!("{}: entry {index} skipped: {code}: {detail}", l.name);
                }
                match &polled.failure {
                    None => println!(
                        "{}: {} entries read, verified to tree size {} ({} skipped), {} sites new",
                        l.name,
                        polled.read,
                        polled.tree_size,
                        polled.skipped.len(),
                        polled.new_sites
                    ),
                    Some((code, detail)) => {
                        failed = true;
                        eprintln!(
                            "{}: not trusted: {code}: {detail} ({} entries read before)",
                            l.name, polled.read
                        );
                    }
                }
            }
            ::sweep::discover::review(store.as_ref()).await?;
            if failed {
                return Ok(ExitCode::FAILURE);
            }
        }
        DiscoveredCommand::CtLogs { format } => {
            let logs = store.ct_logs().await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                writeln!(
                    out,
                    "NAME\tURL\tREAD\tCANDIDATES\tSKIPPED\tVERIFIED\tFAILURE"
                )?;
            }
            for l in &logs {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(l)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        l.name,
                        l.url,
                        l.entries_read,
                        l.candidates,
                        l.skipped,
                        l.verified_at
                            .map(domain::time::shown)
                            .unwrap_or_else(|| "-".into()),
                        l.failure
                            .as_ref()
                            .map(|(c, d)| format!("{c}: {d}"))
                            .unwrap_or_else(|| "-".into()),
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

/// Where a sighting was made: the linking page, the filing, the log entry.
fn seen_at(s: &store::Sighting) -> String {
    match (&s.filing, &s.certificate) {
        (Some(f), _) => format!("filing {}:{}", f.source, f.record_key),
        (_, Some(c)) => format!("ct {}#{}", c.log, c.index),
        _ => s.from_url.clone(),
    }
}
