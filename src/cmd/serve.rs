//! `wangjian serve`: the console, with the search index kept in step in the background. The
//! transport (TLS, trusted proxy, allowed hosts, limits) comes from the `[console]` settings;
//! plain HTTP beyond loopback is refused before anything listens.

use super::Ctx;
use crate::cli::ServeArgs;
use crate::config::Config;
use anyhow::{bail, Context};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use web::transport::{ExposureRefusal, TlsError};

/// How often the console brings its search index up to date with imports and sweeps.
const SEARCH_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// How often the scheduler looks for due jobs (cron's resolution is a minute).
const SCHEDULE_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

pub async fn serve(ctx: &Ctx, _args: ServeArgs) -> anyhow::Result<ExitCode> {
    let addr = ctx.config.listen.value;
    let transport = transport(&ctx.config, addr)?;
    let store = ctx.data.open_store().await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let portal = match ctx.config.portal.listen.value {
        None => None,
        Some(public) => {
            // The exposure rule before anything listens.
            super::portal::state(ctx, store.clone(), public, &transport, &[])?;
            let listener = tokio::net::TcpListener::bind(public)
                .await
                .with_context(|| format!("cannot listen on {public} (the portal)"))?;
            let bound = listener.local_addr()?;
            let state = super::portal::state(ctx, store.clone(), bound, &transport, &[])?;
            Some((state, listener))
        }
    };
    serve_on(ctx, store, listener, transport, portal, &[]).await
}

/// The console's transport from the `[console]` settings, for serving on `addr`: TLS loaded,
/// limits set, and plain HTTP beyond loopback refused (in Chinese, naming the settings).
pub fn transport(config: &Config, addr: SocketAddr) -> anyhow::Result<web::Transport> {
    let tls = match (&config.tls_cert.value, &config.tls_key.value) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            Some(web::Tls::from_pem_files(cert, key).map_err(|e| anyhow::anyhow!(tls_error(&e)))?)
        }
        (Some(_), None) => bail!(
            "已配置 TLS 证书（console.tls_cert，来自 {}）却未配置私钥：请同时设置 [console] \
             tls_key（或 --tls-key）",
            config.tls_cert.source
        ),
        (None, Some(_)) => bail!(
            "已配置 TLS 私钥（console.tls_key，来自 {}）却未配置证书：请同时设置 [console] \
             tls_cert（或 --tls-cert）",
            config.tls_key.source
        ),
    };
    let transport = web::Transport {
        tls,
        trusted_proxy: config.trusted_proxy.value,
        hosts: config.hosts.value.0.clone(),
        limits: web::Limits {
            header_read_timeout: Duration::from_secs(config.header_timeout_secs.value),
            request_timeout: Duration::from_secs(config.request_timeout_secs.value),
            max_connections: config.max_connections.value,
        },
    };
    match transport.check_exposure(addr.ip()) {
        Ok(()) => Ok(transport),
        Err(ExposureRefusal::PlainBeyondLoopback(_)) => bail!(
            "控制台不能以明文 HTTP 在非回环地址 {addr} 上提供服务：请在 wangjian.toml 的 [console] \
             中配置 tls_cert 与 tls_key（PEM 文件路径，或用 --tls-cert/--tls-key 指定），或以 \
             trusted_proxy 声明终止 TLS 的反向代理地址；仅供本机使用时请监听 127.0.0.1（listen \
             或 --addr）"
        ),
    }
}

/// A certificate or key that cannot be used, said in Chinese with the file named.
fn tls_error(e: &TlsError) -> String {
    match e {
        TlsError::Read { path, source } => {
            format!("无法读取 TLS 文件 {}：{source}", path.display())
        }
        TlsError::NoCertificate { path } => format!(
            "{} 中没有可用的 PEM 证书（console.tls_cert）",
            path.display()
        ),
        TlsError::NoKey { path } => format!(
            "{} 中没有可用的 PEM 私钥（console.tls_key：PKCS#8、PKCS#1 或 SEC1）",
            path.display()
        ),
        TlsError::Refused(e) => format!(
            "TLS 证书与私钥不可用（{e}）：请检查 console.tls_key 是否为 console.tls_cert 的私钥"
        ),
    }
}

/// Serves the console on `listener` (and the public portal beside it, on its own listener and
/// router, when given) until Ctrl-C; its evidence captures map hosts with `resolve`
/// (curl-style entries: the demo's simulated web) besides the usual resolution.
pub async fn serve_on(
    ctx: &Ctx,
    store: Arc<dyn Store>,
    listener: tokio::net::TcpListener,
    transport: web::Transport,
    portal: Option<(web::PortalState, tokio::net::TcpListener)>,
    resolve: &[String],
) -> anyhow::Result<ExitCode> {
    let addr = listener.local_addr()?;
    if store.count_users().await? == 0 {
        super::notice(
            ctx,
            tracing::Level::WARN,
            "warning: there are no users yet: add an administrator with \
             `wangjian user add NAME --admin` to log in",
        );
    }
    let data = &ctx.data;
    let search = open_search(ctx, store.as_ref()).await;
    if let Some(index) = &search {
        keep_in_step(ctx, store.clone(), index.clone());
    }
    let capture = capture_settings(ctx, resolve)?;
    let scheduler = scheduler(ctx, store.clone(), resolve)?;
    tokio::spawn(
        scheduler
            .clone()
            .run_until(SCHEDULE_EVERY, std::future::pending()),
    );
    if ctx.config.sweep_workers.value {
        // The workers' sweeps end with the log's sequencer: here, where the log lives, so that
        // workers writing to the object store need none (on a shared disk they compete for
        // the lead with this one).
        tokio::spawn(::sweep::sequencer::run_sequencer(
            store.clone(),
            super::background_sweep_config(ctx, resolve)?,
            ::sweep::sequencer::SequencerConfig::default(),
        ));
        println!("sequencer: the transparency log is sequenced here for the workers");
    }
    let scheme = if transport.tls.is_some() {
        "https"
    } else {
        "http"
    };
    println!("console: {scheme}://{addr}/");
    // Snippets the console shows link to the portal served beside it (the address it bound),
    // else to the configured one.
    let mut badge_settings = super::badge::settings(
        ctx,
        super::crawl_config(&ctx.config, &crate::cli::CrawlArgs::default(), resolve)?,
        Vec::new(),
    );
    if let Some((p, _)) = &portal {
        badge_settings.public_url = p.settings.public_url.clone();
    }
    let state = web::AppState {
        badges: Some(web::BadgeConsole {
            key: super::badge::signing_key(ctx)?,
            settings: badge_settings,
        }),
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
        transport,
        export: Some(super::export_config(ctx)?),
        documents: Some(web::DocumentsSettings {
            templates: documents::Templates::open(&data.root)?,
            settings: ctx.config.documents.settings(),
            browser: capture.browser.clone(),
        }),
        capture: Some(capture),
        inspections: Some(web::InspectionSettings {
            attachments_dir: data.attachments(),
            limits: casework::inspection::AttachmentLimits::from_mb(
                ctx.config.max_attachment_mb.value,
            ),
        }),
        schedule: Some(scheduler),
        casework: ctx.config.casework.value.clone(),
        // The data directory, its evidence and its log must take writes for the console to
        // be ready (sweeps, captures and exports write there).
        ops: web::OpsSettings {
            metrics_token: ctx.config.metrics_token.value.clone(),
            writable: vec![data.root.clone(), data.evidence(), data.log()],
        },
        objects: super::objects_of(ctx)?,
    };
    // Finished evidence files go to the object store by themselves too.
    if let (Some(objects), Some(config)) = (&state.objects, &ctx.config.objects) {
        if config.upload_every_secs > 0 {
            tokio::spawn(objects::keep_uploading(
                state.store.clone(),
                objects.clone(),
                state.evidence_dir.clone(),
                std::time::Duration::from_secs(config.upload_every_secs),
            ));
            println!(
                "objects: finished evidence files uploaded to {} every {} s",
                objects.describe(),
                config.upload_every_secs
            );
        }
    }
    // Ctrl-C stops both servers; the portal writes its visit counts before it ends.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let portal = portal.map(|(portal_state, portal_listener)| {
        println!("portal: {}/", portal_state.settings.public_url);
        let mut stopped = stopped.clone();
        tokio::spawn(web::serve_portal_until(
            portal_state,
            portal_listener,
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            },
        ))
    });
    let console = tokio::select! {
        r = web::serve(state, listener) => r.context("console server failed"),
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    let _ = stop.send(true);
    if let Some(portal) = portal {
        portal
            .await
            .context("portal server panicked")?
            .context("portal server failed")?;
    }
    console?;
    Ok(ExitCode::SUCCESS)
}

/// How the console takes the evidence captures its users confirm: the crawler's settings, the
/// data directory's evidence and log, the configured TSA, and the browser when one is installed.
fn capture_settings(ctx: &Ctx, resolve: &[String]) -> anyhow::Result<web::CaptureSettings> {
    let sweep = super::background_sweep_config(ctx, resolve)?;
    let browser = super::evidence::browser_config(None, &sweep.crawl);
    Ok(web::CaptureSettings { sweep, browser })
}

/// The scheduler `serve` runs beside the console (`[schedule]`), sweeping with the crawler's
/// settings and `resolve` (the demo's simulated web).
fn scheduler(
    ctx: &Ctx,
    store: Arc<dyn Store>,
    resolve: &[String],
) -> anyhow::Result<schedule::Scheduler> {
    Ok(schedule::Scheduler::new(
        store,
        super::schedule_config(ctx),
        schedule::SweepSettings {
            sweep: super::background_sweep_config(ctx, resolve)?,
            data_dir: ctx.data.root.clone(),
        },
    ))
}

/// Opens the data directory's search index and brings it up to date; `None` (said on stderr)
/// when it cannot be, so that the console still serves everything else.
async fn open_search(ctx: &Ctx, store: &dyn Store) -> Option<search::SearchIndex> {
    let started = std::time::Instant::now();
    match sweep::index::open_and_sync(store, &ctx.data.evidence(), &ctx.data.search()).await {
        Ok((index, summary)) => {
            super::notice(
                ctx,
                tracing::Level::INFO,
                &format!("{summary} ({:.1} s)", started.elapsed().as_secs_f64()),
            );
            Some(index)
        }
        Err(e) => {
            super::notice(ctx, tracing::Level::WARN, &format!("search is off: {e}"));
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
