//! `wangjian finding triage|rules`: a person's decision on a finding, and the per-rule
//! precision those decisions give. The console's triage form and rules page call the same
//! store functions.

use super::Ctx;
use crate::cli::*;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;
use store::{Actor, Scope, TriageDecision};

pub async fn finding(ctx: &Ctx, cmd: FindingCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    match cmd {
        FindingCommand::Triage {
            id,
            decision,
            reason,
        } => {
            let decision = TriageDecision::new(&decision, &reason)?;
            let by = Actor::system(format!("cli:{}", super::cli_actor()));
            let f = store
                .triage_finding(Scope::City, domain::FindingId(id), &decision, &by)
                .await
                .with_context(|| format!("finding {id}"))?;
            println!("finding {id}: {}", f.triage);
        }
        FindingCommand::Rules {
            review_below,
            min_decided,
            format,
        } => {
            if !(0.0..=1.0).contains(&review_below) {
                anyhow::bail!("--review-below must be between 0 and 1, not {review_below}");
            }
            let policy = store::ReviewPolicy {
                below: review_below,
                min_decided: min_decided.max(1),
            };
            let rules = store.rule_triage(Scope::City).await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                if rules.is_empty() {
                    writeln!(out, "no findings")?;
                } else {
                    writeln!(
                        out,
                        "RULE\tOPEN\tCONFIRMED\tDISMISSED\tFALSE POSITIVE\tSUPPRESSED\tPRECISION\tSTANDING"
                    )?;
                }
            }
            for r in &rules {
                let standing = r.standing(&policy);
                match format {
                    OutputFormat::Json => {
                        let mut v = serde_json::to_value(r)?;
                        v["precision"] = serde_json::json!(r.precision());
                        v["standing"] = serde_json::json!(standing.code());
                        writeln!(out, "{v}")?
                    }
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.rule_id,
                        r.open,
                        r.confirmed,
                        r.dismissed,
                        r.false_positive,
                        r.suppressed,
                        r.precision()
                            .map(|p| format!("{p:.3}"))
                            .unwrap_or_else(|| "-".into()),
                        standing.code()
                    )?,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
