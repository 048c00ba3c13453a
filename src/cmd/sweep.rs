//! `wangjian sweep [--campaign ID]`: one sweep over every known site, or a campaign's sites
//! with its rule packs; an unfinished sweep is continued first. Refused while another sweep
//! runs in the data directory (the scheduler of `serve`, or another `wangjian sweep`). An empty
//! register is warned about and nothing is swept (no empty checkpoint is signed). Each sweep's
//! findings are grouped into clues afterwards.

use super::Ctx;
use crate::cli::SweepArgs;
use std::process::ExitCode;
use store::{Scope, SiteFilter, Store};

pub async fn sweep(ctx: &Ctx, args: SweepArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    if store.unfinished_sweep().await?.is_none() && !has_sites(store.as_ref()).await? {
        eprintln!(
            "warning: the register has no sites: nothing to sweep, no checkpoint signed \
             (import entities first)"
        );
        return Ok(ExitCode::SUCCESS);
    }
    if ctx.config.contact_url.value.is_none() && ctx.config.user_agent.value.is_none() {
        eprintln!(
            "warning: the crawler's User-Agent names no contact: set crawl.contact_url in {}",
            ctx.config.file.display()
        );
    }
    let crawl = super::crawl_config(&ctx.config, &args.crawl, &[])?;
    let tsa = ctx.config.tsa_url.value.clone();
    let mut sweep = super::sweep_config(ctx, crawl, tsa);
    if args.no_render {
        sweep.render_probes = None;
    }
    let settings = schedule::SweepSettings {
        sweep,
        data_dir: ctx.data.root.clone(),
    };
    let config = super::schedule_config(ctx);
    let by = store::Actor::system(super::cli_actor());
    let campaign = args.campaign.map(domain::CampaignId);
    let summaries = match schedule::sweep_by_hand(store, &settings, &config, campaign, &by).await {
        Ok(s) => s,
        Err(schedule::ScheduleError::Lock(schedule::LockError::Busy { holder })) => {
            anyhow::bail!(
                "another sweep is running in {} ({holder}); wait for it to end, or stop it \
                 and run `wangjian sweep` again to continue it",
                ctx.data.root.display()
            )
        }
        Err(e) => return Err(e.into()),
    };
    for summary in summaries {
        match summary.campaign {
            Some(c) => println!("campaign {c} {summary}"),
            None => println!("{summary}"),
        }
        eprintln!("{}", summary.render_note());
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether any site (registered or discovered) is known.
async fn has_sites(store: &dyn Store) -> anyhow::Result<bool> {
    let filter = SiteFilter {
        limit: 1,
        ..SiteFilter::default()
    };
    Ok(!store.list_sites(Scope::City, &filter).await?.is_empty())
}

/// Runs a city sweep (or continues the unfinished one) as `wangjian sweep` does, for the demo;
/// returns the last sweep's summary.
pub async fn run(
    ctx: &Ctx,
    store: std::sync::Arc<dyn Store>,
    crawl: crawl::CrawlConfig,
    tsa_url: Option<String>,
) -> anyhow::Result<::sweep::SweepSummary> {
    let settings = schedule::SweepSettings {
        sweep: super::sweep_config(ctx, crawl, tsa_url),
        data_dir: ctx.data.root.clone(),
    };
    let config = super::schedule_config(ctx);
    let by = store::Actor::system(super::cli_actor());
    schedule::sweep_by_hand(store, &settings, &config, None, &by)
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no sweep ran"))
}
