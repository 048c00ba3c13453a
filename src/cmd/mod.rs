//! One module per command group of the CLI tree (`wangjian <group> …`), each turning parsed
//! arguments into calls of the library crates; what several share (the configuration, the
//! crawler's and the sweep's settings, the actor of a custody entry) is here.

mod backup;
mod badge;
mod campaign;
mod case;
mod clue;
mod complaint;
mod config;
mod credit;
mod credit_lists;
mod demo;
mod demo_credit;
mod demo_month;
mod discovered;
mod document;
mod eval;
mod evidence;
mod export;
mod finding;
mod import;
mod inspection;
mod log;
mod portal;
mod report;
mod sample;
mod scan;
mod search;
mod serve;
mod simweb;
mod sites;
mod sweep;
mod user;

use crate::cli::*;
use crate::config::{Config, Flags};
use crate::data::DataDir;
use anyhow::Context;
use std::process::ExitCode;
use std::time::Duration;

/// The software that writes WARC records and packages.
pub const SOFTWARE: &str = concat!("wangjian/", env!("CARGO_PKG_VERSION"));

/// What every command gets: the data directory and the effective configuration.
pub struct Ctx {
    pub data: DataDir,
    pub config: Config,
    /// How diagnostics are written (`WANGJIAN_LOG_FORMAT`): a long-running command's notices
    /// go through [`notice`].
    pub log: crate::LogFormat,
}

/// A notice of a long-running command (`serve`) about its state: a line on standard error for
/// people, or — when the logs are JSON — an event of the log at `level` (`warn` or `info`), so
/// that standard error stays one JSON object per line.
pub fn notice(ctx: &Ctx, level: tracing::Level, text: &str) {
    match ctx.log {
        crate::LogFormat::Text => eprintln!("{text}"),
        crate::LogFormat::Json if level == tracing::Level::WARN => tracing::warn!("{text}"),
        crate::LogFormat::Json => tracing::info!("{text}"),
    }
}

pub async fn run(cli: Cli, log: crate::LogFormat) -> anyhow::Result<ExitCode> {
    let flags = flags(&cli);
    let config = Config::load(&cli.data, &flags, &|k| std::env::var(k).ok())?;
    let data = DataDir::new(&cli.data, &config)?;
    let ctx = Ctx { data, config, log };
    match cli.command {
        Command::Demo(args) => demo::demo(&ctx, args).await,
        Command::Import(cmd) => import::import(&ctx, cmd).await,
        Command::Sweep(args) => sweep::sweep(&ctx, args).await,
        Command::Worker(args) => sweep::worker(&ctx, args).await,
        Command::Sequencer(args) => sweep::sequencer(&ctx, args).await,
        Command::Workers { format } => sweep::workers(&ctx, format).await,
        Command::Scan(args) => scan::scan(&ctx, args).await,
        Command::Serve(args) => serve::serve(&ctx, args).await,
        Command::Sites(args) => sites::sites(&ctx, args).await,
        Command::Simweb(args) => simweb::simweb(args).await,
        Command::Eval(args) => eval::eval(args),
        Command::Evidence(cmd) => evidence::evidence(&ctx, cmd).await,
        Command::Clue(cmd) => clue::clue(&ctx, cmd).await,
        Command::Complaint(cmd) => complaint::complaint(&ctx, cmd).await,
        Command::Case(cmd) => case::case(&ctx, cmd).await,
        Command::Log(cmd) => log::log(&ctx, cmd).await,
        Command::Discovered(cmd) => discovered::discovered(&ctx, cmd).await,
        Command::Export(args) => export::export(&ctx, args).await,
        Command::Report(args) => report::report(&ctx, args).await,
        Command::Search(cmd) => search::search(&ctx, cmd).await,
        Command::Config(cmd) => config::config(&ctx, cmd),
        Command::User(cmd) => user::user(&ctx, cmd).await,
        Command::Finding(cmd) => finding::finding(&ctx, cmd).await,
        Command::Inspection(cmd) => inspection::inspection(&ctx, cmd).await,
        Command::Campaign(cmd) => campaign::campaign(&ctx, cmd).await,
        Command::Credit(cmd) => credit::credit(&ctx, cmd).await,
        Command::Sample(cmd) => sample::sample(&ctx, cmd).await,
        Command::Portal(_) => portal::portal(&ctx).await,
        Command::Notice(cmd) => portal::notice(&ctx, cmd).await,
        Command::ModelSite(cmd) => portal::model_site(&ctx, cmd).await,
        Command::Badge(cmd) => badge::badge(&ctx, cmd).await,
        Command::Backup(args) => backup::backup(&ctx, args).await,
        Command::Restore(args) => backup::restore(&ctx, args).await,
    }
}

/// The configured values the command line sets.
fn flags(cli: &Cli) -> Flags {
    let mut flags = Flags {
        database: cli.database.clone(),
        ..Flags::default()
    };
    let crawl = match &cli.command {
        Command::Demo(a) => {
            flags.listen = a.addr;
            Some(&a.crawl)
        }
        Command::Serve(a) => {
            flags.listen = a.addr;
            flags.tls_cert = a.tls_cert.clone();
            flags.tls_key = a.tls_key.clone();
            flags.public_addr = a.public_addr;
            None
        }
        Command::Portal(a) => {
            flags.public_addr = a.addr;
            None
        }
        Command::Sweep(a) => {
            flags.tsa_url = a.tsa.clone();
            Some(&a.crawl)
        }
        Command::Scan(a) => Some(&a.crawl),
        Command::Worker(a) => Some(&a.crawl),
        Command::Evidence(EvidenceCommand::Capture(a)) => {
            flags.tsa_url = a.tsa.clone();
            Some(&a.crawl)
        }
        Command::Log(LogCommand::Checkpoint { tsa, .. }) => {
            flags.tsa_url = tsa.clone();
            None
        }
        _ => None,
    };
    if let Some(c) = crawl {
        flags.delay_ms = c.delay_ms;
        flags.concurrency = c.concurrency;
        flags.max_pages = c.max_pages;
        flags.max_depth = c.max_depth;
        flags.timeout_secs = c.timeout;
    }
    flags
}

/// The crawler's settings from the configuration, with the `--resolve` mappings given and
/// `extra_resolve` (the demo's mapping of simweb's hosts).
pub fn crawl_config(
    config: &Config,
    args: &CrawlArgs,
    extra_resolve: &[String],
) -> anyhow::Result<crawl::CrawlConfig> {
    let mut crawl = crawl::CrawlConfig {
        user_agent: config.user_agent(),
        max_pages_per_site: config.max_pages.value,
        max_depth: config.max_depth.value,
        concurrency: config.concurrency.value,
        request_timeout: Duration::from_secs(config.timeout_secs.value),
        delay_per_host: Duration::from_millis(config.delay_ms.value),
        ..crawl::CrawlConfig::default()
    };
    for entry in args.resolve.iter().chain(extra_resolve) {
        crawl
            .resolve
            .parse_entry(entry)
            .with_context(|| format!("bad --resolve {entry:?}"))?;
    }
    Ok(crawl)
}

/// How sweeps and captures fetch, where their evidence and log go, and which TSA time-stamps
/// their checkpoints.
pub fn sweep_config(
    ctx: &Ctx,
    crawl: crawl::CrawlConfig,
    tsa_url: Option<String>,
) -> ::sweep::SweepConfig {
    let render_probes = render_probes(ctx.config.render_probes.value, &crawl);
    ::sweep::SweepConfig {
        render_probes,
        crawl,
        evidence_dir: ctx.data.evidence(),
        warc_max_bytes: 1 << 30,
        software: SOFTWARE.to_string(),
        progress: true,
        badges: badge::sweep_check(ctx),
        log: Some(log_config(ctx, tsa_url)),
        discovery: ctx.config.discovery.sweep(),
    }
}

/// The rendered probes of a sweep or a scan: with `on` and Chromium found, rendering under
/// `crawl`'s address policy; else `None` (a warning on stderr when Chromium is missing).
pub fn render_probes(on: bool, crawl: &crawl::CrawlConfig) -> Option<::sweep::probe::RenderProbes> {
    if !on {
        return None;
    }
    match crawl::browser::find_browser() {
        Some(program) => Some(::sweep::probe::RenderProbes::new(
            crawl::browser::BrowserConfig::new(program),
            crawl,
        )),
        None => {
            eprintln!(
                "rendered probes off: no browser (chromium) found; the fetched probes still run"
            );
            None
        }
    }
}

/// The sweep configuration of work done in the background (`serve`'s captures, scheduler and
/// sequencer, `wangjian sequencer`): the crawler's settings with no flags, no progress bar.
pub fn background_sweep_config(
    ctx: &Ctx,
    resolve: &[String],
) -> anyhow::Result<::sweep::SweepConfig> {
    let crawl = crawl_config(&ctx.config, &crate::cli::CrawlArgs::default(), resolve)?;
    let mut sweep = sweep_config(ctx, crawl, ctx.config.tsa_url.value.clone());
    sweep.progress = false;
    Ok(sweep)
}

/// The object store of the `[objects]` table, if there is one.
pub fn objects_of(ctx: &Ctx) -> anyhow::Result<Option<objects::Objects>> {
    Ok(ctx
        .config
        .objects
        .as_ref()
        .map(objects::Objects::connect)
        .transpose()?)
}

/// Where evidence exports find the evidence (and the object store, for files the evidence
/// directory no longer holds), the log and the keys.
pub fn export_config(ctx: &Ctx) -> anyhow::Result<::sweep::export::ExportConfig> {
    Ok(::sweep::export::ExportConfig {
        evidence_dir: ctx.data.evidence(),
        log: log_config(ctx, None),
        software: SOFTWARE.to_string(),
        objects: objects_of(ctx)?,
    })
}

/// The data directory's transparency log, its key and origin, and the TSA asked to
/// time-stamp new checkpoints.
fn log_config(ctx: &Ctx, tsa_url: Option<String>) -> ::sweep::LogConfig {
    ::sweep::LogConfig {
        dir: ctx.data.log(),
        keys_dir: ctx.data.keys(),
        key_name: log::LOG_KEY_NAME.to_string(),
        origin: log::LOG_ORIGIN.to_string(),
        tsa_url,
        tsa_root: log::tsa_root(&ctx.data),
    }
}

/// An entity named on the command line: its id (digits, shorter than a USCC) or its USCC; an
/// error when there is none.
pub async fn entity_id(store: &dyn store::Store, text: &str) -> anyhow::Result<domain::EntityId> {
    use anyhow::Context;
    let t = text.trim();
    if !t.is_empty() && t.len() < 18 && t.bytes().all(|b| b.is_ascii_digit()) {
        let id = domain::EntityId(t.parse()?);
        store
            .entity(store::Scope::City, id)
            .await?
            .with_context(|| format!("no entity {id}"))?;
        return Ok(id);
    }
    // A code the register holds for review (failing its check characters) is looked up as
    // written, upper case.
    let uscc = domain::Uscc::parse(t).map_or_else(|_| t.to_uppercase(), |u| u.as_str().to_string());
    Ok(store
        .entity_by_uscc(store::Scope::City, &uscc)
        .await?
        .with_context(|| format!("no entity with USCC {uscc}"))?
        .id)
}

/// A date argument (YYYY-MM-DD), or today (UTC) when none is given.
pub fn date_or_today(text: Option<&str>) -> anyhow::Result<chrono::NaiveDate> {
    use anyhow::Context;
    match text {
        None => Ok(domain::time::beijing_date(chrono::Utc::now())),
        Some(t) => chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .with_context(|| format!("{t:?} is not a date (YYYY-MM-DD)")),
    }
}

/// Who a custody entry made on the command line names: `$USER`, else `cli`.
pub fn cli_actor() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "cli".to_string())
}

/// The bureau's time zone (`schedule.timezone_offset_hours`).
pub fn bureau_offset(ctx: &Ctx) -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(ctx.config.timezone_offset_hours.value * 3600)
        .expect("checked when the configuration was loaded")
}

/// The scheduler's configuration from the `[schedule]` and `[casework]` settings.
pub fn schedule_config(ctx: &Ctx) -> ::schedule::ScheduleConfig {
    let cron = |s: &Option<String>| {
        s.as_deref()
            .map(|t| ::schedule::Cron::parse(t).expect("checked when the configuration was loaded"))
    };
    ::schedule::ScheduleConfig {
        city_sweep: cron(&ctx.config.city_sweep.value),
        rechecks: cron(&ctx.config.rechecks.value),
        credit: cron(&ctx.config.credit.value),
        offset: bureau_offset(ctx),
        limits: ctx.config.casework.value.clone(),
        city_by_workers: ctx.config.sweep_workers.value,
    }
}
