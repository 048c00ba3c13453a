//! `wangjian sites`: every known site, registered or discovered.

use super::Ctx;
use crate::cli::{OutputFormat, SitesArgs};
use std::io::Write;
use std::process::ExitCode;
use store::{Scope, SiteFilter};

pub async fn sites(ctx: &Ctx, args: SitesArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let mut out = std::io::stdout().lock();
    let mut offset = 0;
    let mut listed = 0usize;
    loop {
        let filter = SiteFilter {
            limit: 1000,
            offset,
            ..SiteFilter::default()
        };
        let batch = store.list_sites(Scope::City, &filter).await?;
        for site in &batch {
            match args.format {
                OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(site)?)?,
                OutputFormat::Text => {
                    if listed == 0 {
                        writeln!(out, "SITE\tKIND\tDISTRICT\tENTITY")?;
                    }
                    writeln!(
                        out,
                        "{}{}\t{}\t{}\t{}",
                        site.host,
                        site.path_prefix,
                        site.kind,
                        site.district.map(|d| d.to_string()).unwrap_or_default(),
                        site.entity_name.as_deref().unwrap_or("-")
                    )?
                }
            }
            listed += 1;
        }
        if (batch.len() as i64) < filter.limit {
            break;
        }
        offset += filter.limit;
    }
    if listed == 0 && args.format == OutputFormat::Text {
        writeln!(out, "no sites (import entities first)")?;
    }
    Ok(ExitCode::SUCCESS)
}
