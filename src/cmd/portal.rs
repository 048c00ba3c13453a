//! `wangjian portal`: the public portal served alone; `wangjian notice` and `wangjian
//! model-site`: what the portal publishes, each a thin call of the `credit::portal` function
//! the console calls too, acting for the whole bureau as `cli:$USER`. [`state`] is how `serve`,
//! `demo` and `portal` configure the portal from the `[portal]` settings.

use super::Ctx;
use crate::cli::{ModelSiteCommand, NoticeCommand, OutputFormat};
use anyhow::{bail, Context};
use credit::lists::Caller;
use credit::portal::{self, PortalError, PortalField};
use domain::{NoticeId, SiteId};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use store::Store;

fn caller() -> Caller {
    Caller::system(format!("cli:{}", super::cli_actor()))
}

/// A refused step, in Chinese like the console's words.
fn refused(e: PortalError) -> anyhow::Error {
    let field = |f: PortalField| match f {
        PortalField::Title => "标题（--title）",
        PortalField::Body => "正文（--body 或 --body-file）",
        PortalField::Reason => "撤回理由（--reason）",
        PortalField::Note => "说明（--note）",
    };
    match e {
        PortalError::Forbidden(p) => anyhow::anyhow!("无权执行此操作：{p:?}"),
        PortalError::Missing(f) => anyhow::anyhow!("请填写{}", field(f)),
        PortalError::TooLong { field: f, max } => {
            anyhow::anyhow!("{}不能超过 {max} 个字", field(f))
        }
        PortalError::NoNotice(id) => anyhow::anyhow!("没有编号为 {id} 的公告"),
        PortalError::Withdrawn(id) => anyhow::anyhow!("公告 {id} 已撤回"),
        PortalError::NoSite(id) => anyhow::anyhow!("没有编号为 {id} 的经营主体网站"),
        PortalError::NotClassA { site, class } => anyhow::anyhow!(
            "网站 {site} 的经营主体信用风险分类为{}，只有 A 级经营主体的网站可认定为示范网店",
            class.map_or_else(|| "尚未评定".to_string(), |c| format!(" {} 级", c.code()))
        ),
        PortalError::AlreadyModel(id) => anyhow::anyhow!("网站 {id} 已是示范网店"),
        PortalError::NotModel(id) => anyhow::anyhow!("网站 {id} 不是示范网店"),
        PortalError::Store(e) => anyhow::Error::new(e),
    }
}

/// The portal's configuration for a listener on `addr`: the console's transport (TLS, trusted
/// proxy, limits) with the portal's hosts, the public URL, the forms' limits, and the badge
/// programme (its public key, created on first use; proofs fetched with the crawler's settings
/// and `resolve`, curl-style entries: the demo's simulated web).
pub fn state(
    ctx: &Ctx,
    store: Arc<dyn Store>,
    addr: SocketAddr,
    console: &web::Transport,
    resolve: &[String],
) -> anyhow::Result<web::PortalState> {
    let p = &ctx.config.portal;
    let transport = web::Transport {
        hosts: p.hosts.value.0.clone(),
        ..console.clone()
    };
    if transport.check_exposure(addr.ip()).is_err() {
        bail!(
            "公众门户不能以明文 HTTP 在非回环地址 {addr} 上提供服务：请在 wangjian.toml 的 \
             [console] 中配置 tls_cert 与 tls_key，或以 trusted_proxy 声明终止 TLS 的反向代理；\
             仅供本机使用时请监听 127.0.0.1（portal.listen 或 --public-addr / --addr）"
        );
    }
    let scheme = if transport.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let public_url = p
        .public_url
        .value
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{addr}"));
    let mut settings = web::PortalSettings::new(public_url.clone());
    settings.guard.form_limit = (p.form_limit_kb.value as usize).saturating_mul(1024);
    settings.guard.burst = p.rate_burst.value;
    settings.guard.per_minute = p.rate_per_minute.value;
    settings.complaints = ctx.config.casework.value.clone();
    let crawl = super::crawl_config(&ctx.config, &crate::cli::CrawlArgs::default(), resolve)?;
    let mut badges = super::badge::settings(ctx, crawl, Vec::new());
    badges.public_url = settings.public_url.clone();
    let badges = web::PortalBadges {
        key: super::badge::signing_key(ctx)?.verifying_key(),
        settings: badges,
    };
    Ok(web::PortalState {
        store,
        districts: domain::DistrictTable::nanning(),
        transport,
        settings,
        badges: Some(badges),
    })
}

/// `wangjian portal`: serves the portal alone until Ctrl-C.
pub async fn portal(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let addr = ctx.config.portal.listen.value.unwrap_or_else(|| {
        crate::config::DEFAULT_PORTAL_LISTEN
            .parse()
            .expect("valid default")
    });
    let console = super::serve::transport(&ctx.config, "127.0.0.1:0".parse()?)?;
    let store = ctx.data.open_store().await?;
    // The exposure rule before anything listens.
    state(ctx, store.clone(), addr, &console, &[])?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let state = state(ctx, store, listener.local_addr()?, &console, &[])?;
    println!("portal: {}/", state.settings.public_url);
    web::serve_portal_until(state, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("portal server failed")?;
    Ok(ExitCode::SUCCESS)
}

/// `wangjian notice …`.
pub async fn notice(ctx: &Ctx, cmd: NoticeCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let store = store.as_ref();
    let by = caller();
    let mut out = std::io::stdout().lock();
    match cmd {
        NoticeCommand::Publish {
            title,
            body,
            body_file,
        } => {
            let body = match (body, body_file) {
                (Some(b), _) => b,
                (None, Some(path)) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {} as UTF-8 text", path.display()))?,
                (None, None) => String::new(),
            };
            let n = portal::publish_notice(store, &by, &title, &body)
                .await
                .map_err(refused)?;
            writeln!(out, "notice {} published", n.id)?;
        }
        NoticeCommand::Withdraw { id, reason } => {
            let n = portal::withdraw_notice(store, &by, NoticeId(id), &reason)
                .await
                .map_err(refused)?;
            writeln!(out, "notice {} withdrawn", n.id)?;
        }
        NoticeCommand::List { format } => {
            let all = portal::notices(store, &by).await.map_err(refused)?;
            for n in all {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(&n)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}",
                        n.id,
                        domain::time::shown(n.published_at),
                        if n.published() {
                            "published"
                        } else {
                            "withdrawn"
                        },
                        n.title
                    )?,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `wangjian model-site …`.
pub async fn model_site(ctx: &Ctx, cmd: ModelSiteCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let store = store.as_ref();
    let by = caller();
    let mut out = std::io::stdout().lock();
    match cmd {
        ModelSiteCommand::Add { site, note } => {
            let m = portal::designate_model_site(store, &by, SiteId(site), &note)
                .await
                .map_err(refused)?;
            writeln!(
                out,
                "site {} ({}{}) of {} is a model site",
                m.site_id, m.host, m.path_prefix, m.entity_name
            )?;
        }
        ModelSiteCommand::Remove { site } => {
            portal::remove_model_site(store, &by, SiteId(site))
                .await
                .map_err(refused)?;
            writeln!(out, "site {site} is no longer a model site")?;
        }
        ModelSiteCommand::List { format } => {
            for m in portal::model_sites(store, &by).await.map_err(refused)? {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(&m)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}{}\t{}\t{}",
                        m.site_id,
                        m.host,
                        m.path_prefix,
                        m.class.map_or("-", |c| c.code()),
                        m.entity_name
                    )?,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
