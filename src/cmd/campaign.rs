//! `wangjian campaign create|list|show|close`: special campaigns (专项行动), through the same
//! functions as the console (`schedule::campaign`).

use super::Ctx;
use crate::cli::{CampaignCommand, CampaignCreateArgs, OutputFormat};
use anyhow::Context;
use domain::CampaignId;
use std::io::Write;
use std::process::ExitCode;
use store::{Campaign, Figure, Scope};

pub async fn campaign(ctx: &Ctx, cmd: CampaignCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let offset = super::bureau_offset(ctx);
    match cmd {
        CampaignCommand::Create(args) => {
            let CampaignCreateArgs {
                name,
                starts,
                ends,
                kinds,
                districts,
                categories,
                keywords,
                sites,
                packs,
                schedule,
            } = *args;
            let date = |s: &str, flag: &str| {
                chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .with_context(|| format!("{flag} {s:?} is not a date (YYYY-MM-DD)"))
            };
            let targets = schedule::TargetText {
                kinds,
                districts,
                categories,
                keywords,
                sites,
            }
            .parse()?;
            let input = schedule::CampaignInput {
                name,
                starts_on: date(&starts, "--starts")?,
                ends_on: date(&ends, "--ends")?,
                targets,
                packs,
                schedule,
            };
            let index = if input.targets.keywords.is_empty() {
                None
            } else {
                let index = search::SearchIndex::open(&ctx.data.search())
                    .context("cannot open the search index (keyword targets need it)")?;
                ::sweep::index::sync(store.as_ref(), &ctx.data.evidence(), &index).await?;
                Some(index)
            };
            let by = store::Actor::system(super::cli_actor());
            let c = schedule::campaign::create(store.as_ref(), index.as_ref(), &input, &by).await?;
            println!("campaign {}: {}, {} sites", c.id, c.name, c.sites);
        }
        CampaignCommand::List { format } => {
            let all = store.list_campaigns().await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                if all.is_empty() {
                    writeln!(out, "no campaigns")?;
                } else {
                    writeln!(out, "ID\tSTATE\tSTARTS\tENDS\tSITES\tSCHEDULE\tPACKS\tNAME")?;
                }
            }
            for c in &all {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(c)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        c.id,
                        c.state.code(),
                        c.starts_on,
                        c.ends_on,
                        c.sites,
                        if c.schedule.is_empty() {
                            "-"
                        } else {
                            &c.schedule
                        },
                        packs(c),
                        c.name
                    )?,
                }
            }
        }
        CampaignCommand::Show { id, format } => {
            let (c, table) =
                schedule::campaign::figures(store.as_ref(), Scope::City, CampaignId(id), offset)
                    .await?;
            let mut out = std::io::stdout().lock();
            match format {
                OutputFormat::Json => {
                    let by_district: Vec<serde_json::Value> = table
                        .rows
                        .iter()
                        .map(|(d, figures)| {
                            let mut row = serde_json::Map::new();
                            row.insert("district".into(), serde_json::json!(d));
                            for f in Figure::CAMPAIGN {
                                row.insert(
                                    f.code().into(),
                                    serde_json::json!(figures.get(&f).copied().unwrap_or(0)),
                                );
                            }
                            serde_json::Value::Object(row)
                        })
                        .collect();
                    let total: serde_json::Map<String, serde_json::Value> = Figure::CAMPAIGN
                        .iter()
                        .map(|f| (f.code().to_string(), serde_json::json!(table.total(*f))))
                        .collect();
                    let mut v = serde_json::to_value(&c)?;
                    v["figures"] =
                        serde_json::json!({ "by_district": by_district, "total": total });
                    writeln!(out, "{}", serde_json::to_string(&v)?)?;
                }
                OutputFormat::Text => {
                    writeln!(out, "campaign {}: {} ({})", c.id, c.name, c.state.code())?;
                    writeln!(out, "period:   {} .. {}", c.starts_on, c.ends_on)?;
                    writeln!(out, "sites:    {}", c.sites)?;
                    writeln!(out, "packs:    {}", packs(&c))?;
                    writeln!(
                        out,
                        "schedule: {}",
                        if c.schedule.is_empty() {
                            "by hand"
                        } else {
                            &c.schedule
                        }
                    )?;
                    let head: Vec<&str> = Figure::CAMPAIGN.iter().map(|f| f.code()).collect();
                    writeln!(out, "DISTRICT\t{}", head.join("\t"))?;
                    for d in table.rows.keys() {
                        let cells: Vec<String> = Figure::CAMPAIGN
                            .iter()
                            .map(|f| table.get(*d, *f).to_string())
                            .collect();
                        let name = d.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
                        writeln!(out, "{name}\t{}", cells.join("\t"))?;
                    }
                    let cells: Vec<String> = Figure::CAMPAIGN
                        .iter()
                        .map(|f| table.total(*f).to_string())
                        .collect();
                    writeln!(out, "total\t{}", cells.join("\t"))?;
                }
            }
        }
        CampaignCommand::Close { id } => {
            let by = store::Actor::system(super::cli_actor());
            let c = store.close_campaign(CampaignId(id), &by).await?;
            println!("campaign {}: closed", c.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn packs(c: &Campaign) -> String {
    if c.packs.is_empty() {
        "all".to_string()
    } else {
        c.packs.join(",")
    }
}
