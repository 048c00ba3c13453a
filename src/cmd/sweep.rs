//! `wangjian sweep [--campaign ID]`: one sweep over every known site, or a campaign's sites
//! with its rule packs; an unfinished sweep is continued first. Refused while another sweep
//! runs in the data directory (the scheduler of `serve`, or another `wangjian sweep`). An empty
//! register is warned about and nothing is swept (no empty checkpoint is signed). Each sweep's
//! findings are grouped into clues afterwards.

use super::Ctx;
use crate::cli::{SequencerArgs, SweepArgs, WorkerArgs};
use std::process::ExitCode;
use store::{Scope, SiteFilter, Store};

pub async fn sweep(ctx: &Ctx, args: SweepArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store_with(store::Memory::Lean).await?;
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
    if args.for_workers {
        if let Some(running) = store.unfinished_sweep().await? {
            anyhow::bail!(
                "sweep {} is not finished: workers continue it (`wangjian worker`), or \
                 `wangjian sweep` does in this process",
                running.id
            );
        }
        let planned =
            ::sweep::plan_sweep(store.as_ref(), ::sweep::SweepPlan::CityForWorkers).await?;
        println!(
            "sweep {} created for workers: {} sites",
            planned.id, planned.sites
        );
        return Ok(ExitCode::SUCCESS);
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

/// `wangjian worker`: works on the running city sweep beside other workers until stopped (or,
/// with `--until-idle`, until no sweep is running); prints what it did.
pub async fn worker(ctx: &Ctx, args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store_with(store::Memory::Lean).await?;
    let crawl = super::crawl_config(&ctx.config, &args.crawl, &[])?;
    let mut sweep = super::sweep_config(ctx, crawl, ctx.config.tsa_url.value.clone());
    sweep.progress = false;
    if args.no_render {
        sweep.render_probes = None;
    }
    let name = args.name.unwrap_or_else(default_worker_name);
    let mut options = ::sweep::worker::WorkerOptions::new(&name);
    options.hosts = args.hosts.max(1);
    options.set_lease(chrono::Duration::seconds(i64::from(args.lease_secs)));
    options.until_idle = args.until_idle;
    if args.objects {
        options.objects = Some(super::evidence::object_store(ctx)?);
    }
    let detector = std::sync::Arc::new(detect::Detector::builtin());
    let summary = ::sweep::worker::run_worker(store, detector, sweep, options).await?;
    println!(
        "worker {name}: {} hosts, {} sites, {} taken over, {} leases lost",
        summary.hosts, summary.sites, summary.taken_over, summary.lost
    );
    Ok(ExitCode::SUCCESS)
}

/// `wangjian sequencer`: sequences the data directory's log for workers that write to the
/// object store, until stopped (or, with `--until-idle`, until no sweep is running).
pub async fn sequencer(ctx: &Ctx, args: SequencerArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let sweep = super::background_sweep_config(ctx, &[])?;
    let mut config = ::sweep::sequencer::SequencerConfig {
        until_idle: args.until_idle,
        ..Default::default()
    };
    config.set_lease(chrono::Duration::seconds(i64::from(args.lease_secs)));
    ::sweep::sequencer::run_sequencer(store, sweep, config).await;
    println!("sequencer: no sweep is running");
    Ok(ExitCode::SUCCESS)
}

/// `wangjian workers`: every worker seen, as a table or JSON Lines.
pub async fn workers(ctx: &Ctx, format: crate::cli::OutputFormat) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let store = ctx.data.open_store().await?;
    let seen = store.workers(chrono::DateTime::UNIX_EPOCH).await?;
    let mut out = std::io::stdout().lock();
    if format == crate::cli::OutputFormat::Text {
        writeln!(out, "NAME\tRUN\tSWEEP\tHOSTS\tIDLE\tSTARTED\tSEEN")?;
    }
    for w in &seen {
        match format {
            crate::cli::OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(w)?)?,
            crate::cli::OutputFormat::Text => writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                w.name,
                w.run,
                w.sweep.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                w.hosts,
                if w.idle { "yes" } else { "no" },
                domain::time::shown(w.started_at),
                domain::time::shown(w.seen_at),
            )?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The machine's host name (as a worker name allows it) and the process id.
fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(20)
        .collect::<String>();
    let host = if host.is_empty() {
        "worker".into()
    } else {
        host
    };
    format!("{host}-{}", std::process::id())
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
