//! `wangjian sweep`: one sweep over every known site, or the continuation of the unfinished
//! one. An empty register is warned about and nothing is swept (no empty checkpoint is
//! signed).

use super::Ctx;
use crate::cli::SweepArgs;
use std::process::ExitCode;
use std::sync::Arc;
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
    let summary = run(ctx, store, crawl, tsa).await?;
    println!("{summary}");
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

/// Runs a sweep with the built-in detector.
pub async fn run(
    ctx: &Ctx,
    store: Arc<dyn Store>,
    crawl: crawl::CrawlConfig,
    tsa_url: Option<String>,
) -> anyhow::Result<sweep::SweepSummary> {
    let config = super::sweep_config(ctx, crawl, tsa_url);
    let detector = Arc::new(detect::Detector::builtin());
    Ok(sweep::run_sweep(store, detector, config).await?)
}
