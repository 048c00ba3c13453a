//! `wangjian serve`: the console, with the search index kept in step in the background.

use super::Ctx;
use crate::cli::ServeArgs;
use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;
use store::Store;

/// How often the console brings its search index up to date with imports and sweeps.
const SEARCH_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn serve(ctx: &Ctx, _args: ServeArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let addr = ctx.config.listen.value;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    serve_on(ctx, store, listener, &[]).await
}

/// Serves the console on `listener` until Ctrl-C; its evidence captures map hosts with
/// `resolve` (curl-style entries: the demo's simulated web) besides the usual resolution.
pub async fn serve_on(
    ctx: &Ctx,
    store: Arc<dyn Store>,
    listener: tokio::net::TcpListener,
    resolve: &[String],
) -> anyhow::Result<ExitCode> {
    let addr = listener.local_addr()?;
    if store.count_users().await? == 0 {
        eprintln!(
            "warning: there are no users yet: add an administrator with \
             `wangjian user add NAME --admin` to log in"
        );
    }
    let data = &ctx.data;
    let search = open_search(ctx, store.as_ref()).await;
    if let Some(index) = &search {
        keep_in_step(ctx, store.clone(), index.clone());
    }
    println!("console: http://{addr}/");
    let capture = capture_settings(ctx, resolve)?;
    let state = web::AppState {
        store,
        evidence_dir: data.evidence(),
        districts: domain::DistrictTable::nanning(),
        log: Some(web::LogPublication {
            dir: data.log(),
            public_key_file: data
                .keys()
                .join(format!("{}.pub", super::log::LOG_KEY_NAME)),
        }),
        search,
        people: people::Policy::default(),
        secure_cookies: false,
        export: Some(super::export_config(ctx)),
        capture: Some(capture),
    };
    tokio::select! {
        r = web::serve(state, listener) => r.context("console server failed")?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// How the console takes the evidence captures its users confirm: the crawler's settings, the
/// data directory's evidence and log, the configured TSA, and the browser when one is installed.
fn capture_settings(ctx: &Ctx, resolve: &[String]) -> anyhow::Result<web::CaptureSettings> {
    let args = crate::cli::CrawlArgs {
        resolve: Vec::new(),
        max_pages: None,
        max_depth: None,
        concurrency: None,
        delay_ms: None,
        timeout: None,
    };
    let crawl = super::crawl_config(&ctx.config, &args, resolve)?;
    let mut sweep = super::sweep_config(ctx, crawl, ctx.config.tsa_url.value.clone());
    sweep.progress = false;
    let browser = super::evidence::browser_config(None, &sweep.crawl);
    Ok(web::CaptureSettings { sweep, browser })
}

/// Opens the data directory's search index and brings it up to date; `None` (said on stderr)
/// when it cannot be, so that the console still serves everything else.
async fn open_search(ctx: &Ctx, store: &dyn Store) -> Option<search::SearchIndex> {
    let started = std::time::Instant::now();
    match sweep::index::open_and_sync(store, &ctx.data.evidence(), &ctx.data.search()).await {
        Ok((index, summary)) => {
            eprintln!("{summary} ({:.1} s)", started.elapsed().as_secs_f64());
            Some(index)
        }
        Err(e) => {
            eprintln!("search is off: {e}");
            None
        }
    }
}

/// Syncs the index in the background while the console runs.
fn keep_in_step(ctx: &Ctx, store: Arc<dyn Store>, index: search::SearchIndex) {
    let evidence = ctx.data.evidence();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SEARCH_SYNC_EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            match sweep::index::sync(store.as_ref(), &evidence, &index).await {
                Ok(s) if s.entities + s.pages > 0 => tracing::info!("{s}"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "search index sync failed; retrying later"),
            }
        }
    });
}
