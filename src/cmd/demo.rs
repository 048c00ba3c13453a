//! `wangjian demo`: simweb, its register and two departments' filings imported, its
//! certificate transparency log read, a sweep (its
//! findings grouped into clues and dispatched), a month of casework (`demo_month`), an evidence
//! capture, then the console. Run again on the same data directory, it continues an
//! unfinished sweep over the same world. The simulated web is on this machine, so the crawler's
//! politeness delay is 0 unless `--delay-ms` says otherwise.

use super::Ctx;
use crate::cli::DemoArgs;
use anyhow::{bail, Context};
use domain::Role;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use store::{Scope, SiteFilter, Store};

/// What a demo data directory was made with, so that a second run continues the same world.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
struct DemoParams {
    sites: usize,
    seed: u64,
}

pub async fn demo(ctx: &Ctx, args: DemoArgs) -> anyhow::Result<ExitCode> {
    // The console's transport is checked first: a refusal should not wait for the sweep.
    let transport = match args.no_serve {
        true => None,
        false => Some(super::serve::transport(
            &ctx.config,
            ctx.config.listen.value,
        )?),
    };
    let simdir = ctx.data.simweb();
    std::fs::create_dir_all(&simdir)
        .with_context(|| format!("cannot create {}", simdir.display()))?;
    let params_path = simdir.join("params.json");
    let mut params = DemoParams {
        sites: args.sites,
        seed: args.seed,
    };
    let store = ctx.data.open_store().await?;
    if let Some(unfinished) = store.unfinished_sweep().await? {
        // Continue the same world the unfinished sweep was crawling.
        if let Ok(text) = std::fs::read_to_string(&params_path) {
            params = serde_json::from_str(&text)
                .with_context(|| format!("cannot read {}", params_path.display()))?;
        }
        eprintln!(
            "demo: continuing sweep {} over the earlier world ({} sites, seed {})",
            unfinished.id, params.sites, params.seed
        );
    }
    std::fs::write(&params_path, serde_json::to_vec(&params)?)
        .with_context(|| format!("cannot write {}", params_path.display()))?;

    let world = Arc::new(super::simweb::world(params.sites, params.seed)?);
    let register = simdir.join("register.csv");
    super::simweb::write_files(&world, Some(&simdir.join("truth.json")), Some(&register))?;
    let running = simweb::start(world.clone(), ([127, 0, 0, 1], 0).into()).await?;
    eprintln!(
        "demo: simweb serves {} hosts ({} pages) on {}",
        world.hosts().len(),
        world.page_count(),
        running.addr
    );

    let opts = store::import::ImportOptions {
        encoding: store::import::SourceEncoding::Utf8,
        format: Some(store::import::Format::Csv),
        batch_size: 1000,
        ..Default::default()
    };
    let imported = store::import::import_entities(store.as_ref(), &register, &opts).await?;
    eprintln!("demo: register import: {imported}");
    // Two departments' data about the same businesses, joined to the register.
    let (telecom, food) = world.department_csvs();
    let today = domain::time::beijing_date(chrono::Utc::now());
    for (source, text) in [("telecom", telecom), ("food", food)] {
        let path = simdir.join(format!("{source}.csv"));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        let mapping = store::filings::Mapping::builtin(source).expect("built-in mapping");
        let s =
            store::filings::import_filings(store.as_ref(), &path, &mapping, &opts, today).await?;
        eprintln!("demo: {source} filings: {s}");
    }

    let resolve = vec![format!("*:80:{}", running.addr)];
    let mut crawl = super::crawl_config(&ctx.config, &args.crawl, &resolve)?;
    if args.crawl.delay_ms.is_none() {
        crawl.delay_per_host = Duration::ZERO;
    }
    // The simulated certificate transparency log: some sites only a certificate leads to.
    let ct_log = super::simweb::ct_log_config(&world, simweb::CT_HOST, "simweb")?;
    let polled = ::sweep::sources::poll_ct(
        store.as_ref(),
        &crawl,
        &ctx.config.discovery.city(),
        &ct_log,
        ::sweep::sources::CT_BATCH,
    )
    .await?;
    match &polled.failure {
        None => eprintln!(
            "demo: CT log {}: {} certificates read and verified, {} sites new",
            ct_log.name, polled.read, polled.new_sites
        ),
        Some((code, detail)) => bail!("the simulated CT log failed: {code}: {detail}"),
    }
    let summary = super::sweep::run(ctx, store.clone(), crawl.clone(), None).await?;
    println!("{summary}");
    if summary.pages == 0 {
        bail!("the sweep fetched no pages");
    }
    demo_users(store.as_ref()).await?;
    super::demo_month::month(ctx, store.clone(), &world, crawl.clone()).await?;
    super::demo_credit::credit(ctx, store.as_ref()).await?;
    demo_capture(ctx, store.clone(), crawl).await?;
    let Some(transport) = transport else {
        return Ok(ExitCode::SUCCESS);
    };
    // The console's usual port may be taken on a shared machine: fall back to a free one.
    let addr = ctx.config.listen.value;
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo: {addr} is not available ({e}); using a free port");
            tokio::net::TcpListener::bind((addr.ip(), 0))
                .await
                .with_context(|| format!("cannot listen on {}", addr.ip()))?
        }
    };
    // The portal beside it: on `portal.listen`, else on a free port of the console's address.
    let public = ctx
        .config
        .portal
        .listen
        .value
        .unwrap_or_else(|| std::net::SocketAddr::new(addr.ip(), 0));
    let portal_listener = match tokio::net::TcpListener::bind(public).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo: {public} is not available ({e}); using a free port");
            tokio::net::TcpListener::bind((public.ip(), 0))
                .await
                .with_context(|| format!("cannot listen on {}", public.ip()))?
        }
    };
    let portal_addr = portal_listener.local_addr()?;
    let portal = super::portal::state(ctx, store.clone(), portal_addr, &transport, &resolve)?;
    // simweb stays up while the console runs: its captures fetch from it.
    let served = super::serve::serve_on(
        ctx,
        store,
        listener,
        transport,
        Some((portal, portal_listener)),
        &resolve,
    )
    .await;
    drop(running);
    served
}

/// The demo's evidence capture: the homepage of the first registered trading site, with a
/// screenshot when a browser is installed, by two of the demo's users who may capture it
/// (city-wide staff before the administrator).
async fn demo_capture(
    ctx: &Ctx,
    store: Arc<dyn Store>,
    crawl: crawl::CrawlConfig,
) -> anyhow::Result<()> {
    let sites = store
        .list_sites(
            Scope::City,
            &SiteFilter {
                kind: Some(domain::SiteKind::TradingSite),
                limit: 50,
                ..SiteFilter::default()
            },
        )
        .await?;
    let Some(site) = sites.iter().find(|s| s.path_prefix.is_empty()) else {
        eprintln!("demo: no trading site to capture as evidence");
        return Ok(());
    };
    let mut users: Vec<store::User> = store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| {
            !u.disabled
                && u.role.may(domain::Permission::Capture)
                && u.scope().allows(site.district, site.entity_id)
        })
        .collect();
    users.sort_by_key(|u| (u.role == Role::Admin, u.id));
    if users.len() < sweep::capture::MIN_OPERATORS {
        eprintln!(
            "demo: fewer than two users may capture {}; no evidence capture",
            site.host
        );
        return Ok(());
    }
    let operators = users.iter().take(2).map(|u| u.username.clone()).collect();
    let mut config = super::sweep_config(ctx, crawl, None);
    config.progress = false;
    let url = url::Url::parse(&format!("http://{}/", site.host))?;
    let browser = super::evidence::browser_config(None, &config.crawl);
    let outcome = sweep::capture::capture_url(
        store,
        &config,
        sweep::capture::CaptureRequest {
            url: url.clone(),
            operators,
            reason: "演示：交易网站首页的电子数据提取".into(),
            browser,
            clue: None,
        },
    )
    .await?;
    match &outcome.screenshot {
        Ok(s) => eprintln!(
            "demo: evidence capture of {url} (sweep {}): screenshot {}x{} in {}",
            outcome.sweep_id, s.width, s.height, s.record.file
        ),
        Err(why) => eprintln!(
            "demo: evidence capture of {url} (sweep {}): no screenshot ({why})",
            outcome.sweep_id
        ),
    }
    Ok(())
}

/// The demo's people, one of each role (two inspectors of 兴宁区, so that one can confirm the
/// other's evidence capture), added on the first run with generated passwords, which are
/// printed; a later run leaves existing users alone.
async fn demo_users(store: &dyn store::Store) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let xingning = domain::DistrictCode::parse("450102")?;
    let evaluated: Vec<domain::EntityId> = store
        .list_entities(
            store::Scope::district(xingning),
            &store::EntityFilter {
                limit: 5,
                ..store::EntityFilter::default()
            },
        )
        .await?
        .iter()
        .map(|e| e.id)
        .collect();
    let by = store::Actor::system("demo");
    let users = [
        ("admin", "市局管理员", Role::Admin, vec![], vec![]),
        ("supervisor", "市局监管科", Role::Supervisor, vec![], vec![]),
        (
            "xingning1",
            "兴宁区执法一",
            Role::Inspector,
            vec![xingning],
            vec![],
        ),
        (
            "xingning2",
            "兴宁区执法二",
            Role::Inspector,
            vec![xingning],
            vec![],
        ),
        (
            "evaluator",
            "第三方评价",
            Role::Evaluator,
            vec![],
            evaluated,
        ),
        ("auditor", "审计", Role::Auditor, vec![], vec![]),
    ];
    println!("demo users (log in at the console; passwords are shown once):");
    for (username, name, role, districts, entities) in users {
        let password = people::generate_password()?;
        let spec = people::UserSpec {
            username: username.to_string(),
            display_name: name.to_string(),
            role,
            districts,
            entities,
        };
        people::add_user(store, &spec, &password, &by).await?;
        println!("  {username}\t{password}\t{}", role.title());
    }
    Ok(())
}
