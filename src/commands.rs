//! One function per command.

use crate::cli::*;
use crate::data::DataDir;
use anyhow::{bail, Context};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use store::{Scope, SiteFilter, Store};

const SOFTWARE: &str = concat!("wangjian/", env!("CARGO_PKG_VERSION"));

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data = DataDir::new(&cli.data);
    match cli.command {
        Command::Demo(args) => demo(&data, args).await,
        Command::Import(ImportCommand::Entities(args)) => import_entities(&data, args).await,
        Command::Import(ImportCommand::Filings(args)) => {
            crate::register_cmd::import_filings(&data, args).await
        }
        Command::Discovered(cmd) => crate::register_cmd::discovered(&data, cmd).await,
        Command::Export(args) => crate::register_cmd::export(&data, args).await,
        Command::Search(cmd) => crate::register_cmd::search(&data, cmd).await,
        Command::Sweep(args) => {
            let store = data.open_store().await?;
            let summary = sweep(&data, store, &args.crawl, Vec::new(), args.tsa).await?;
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Scan(args) => scan(&data, args).await,
        Command::Serve(args) => {
            let store = data.open_store().await?;
            serve(&data, store, args.addr).await
        }
        Command::Sites(args) => sites(&data, args).await,
        Command::Simweb(args) => simweb(args).await,
        Command::Eval(args) => crate::eval::eval(args),
        Command::Evidence(EvidenceCommand::Verify(args)) => {
            crate::evidence_cmd::verify(&data, args).await
        }
        Command::Log(cmd) => crate::evidence_cmd::log(&data, cmd).await,
        Command::Evidence(EvidenceCommand::Export(args)) => export(&data, args).await,
        Command::Evidence(EvidenceCommand::Capture(args)) => capture(&data, args).await,
        Command::Clue(cmd) => clue(&data, cmd).await,
    }
}

fn crawl_config(args: &CrawlArgs, extra_resolve: &[String]) -> anyhow::Result<crawl::CrawlConfig> {
    let mut config = crawl::CrawlConfig {
        user_agent: format!(
            "Mozilla/5.0 (compatible; wangjian/{}; +https://wangjian.example/bot)",
            env!("CARGO_PKG_VERSION")
        ),
        max_pages_per_site: args.max_pages,
        max_depth: args.max_depth,
        concurrency: args.concurrency.max(1),
        request_timeout: Duration::from_secs(args.timeout.max(1)),
        delay_per_host: Duration::from_millis(args.delay_ms),
        ..crawl::CrawlConfig::default()
    };
    for entry in args.resolve.iter().chain(extra_resolve) {
        config
            .resolve
            .parse_entry(entry)
            .with_context(|| format!("bad --resolve {entry:?}"))?;
    }
    Ok(config)
}

async fn sweep(
    data: &DataDir,
    store: Arc<dyn Store>,
    crawl: &CrawlArgs,
    extra_resolve: Vec<String>,
    tsa_url: Option<String>,
) -> anyhow::Result<sweep::SweepSummary> {
    let config = sweep_config(data, crawl, &extra_resolve, tsa_url)?;
    let detector = Arc::new(detect::Detector::builtin());
    Ok(sweep::run_sweep(store, detector, config).await?)
}

/// How sweeps and captures fetch and where their evidence and log go.
fn sweep_config(
    data: &DataDir,
    crawl: &CrawlArgs,
    extra_resolve: &[String],
    tsa_url: Option<String>,
) -> anyhow::Result<sweep::SweepConfig> {
    Ok(sweep::SweepConfig {
        crawl: crawl_config(crawl, extra_resolve)?,
        evidence_dir: data.evidence(),
        warc_max_bytes: 1 << 30,
        software: SOFTWARE.to_string(),
        progress: true,
        log: Some(sweep::LogConfig {
            dir: data.log(),
            keys_dir: data.keys(),
            key_name: crate::evidence_cmd::LOG_KEY_NAME.to_string(),
            origin: crate::evidence_cmd::LOG_ORIGIN.to_string(),
            tsa_url,
            tsa_root: crate::evidence_cmd::tsa_root(data),
        }),
    })
}

async fn clue(data: &DataDir, cmd: ClueCommand) -> anyhow::Result<ExitCode> {
    let store = data.open_store().await?;
    match cmd {
        ClueCommand::Create { findings, summary } => {
            let mut found = Vec::with_capacity(findings.len());
            for id in &findings {
                let f = store
                    .finding(Scope::City, domain::FindingId(*id))
                    .await?
                    .with_context(|| format!("no finding {id}"))?;
                found.push(f);
            }
            let site = found[0].finding.site_id;
            if found.iter().any(|f| f.finding.site_id != site) {
                bail!("the findings of a clue must all be of one site");
            }
            let summary = summary.unwrap_or_else(|| {
                let mut cats: Vec<&str> =
                    found.iter().map(|f| f.finding.category.title()).collect();
                cats.dedup();
                cats.join("、")
            });
            let actor = std::env::var("USER")
                .ok()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| "cli".to_string());
            let id = store
                .create_clue(&store::NewClue {
                    site_id: site,
                    findings: found.iter().map(|f| f.id).collect(),
                    created_by: actor,
                    summary: summary.clone(),
                })
                .await?;
            println!(
                "clue {id}: site {site}, {} findings: {summary}",
                found.len()
            );
        }
        ClueCommand::Show { id } => {
            let clue = store
                .clue(Scope::City, domain::ClueId(id))
                .await?
                .with_context(|| format!("no clue {id}"))?;
            println!("{}", serde_json::to_string_pretty(&clue)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The browser for screenshots: `program`, else one found on the system; or why there is none.
fn browser_config(
    program: Option<std::path::PathBuf>,
    crawl: &crawl::CrawlConfig,
) -> Result<crawl::browser::BrowserConfig, String> {
    program
        .or_else(crawl::browser::find_browser)
        .map(|p| crawl::browser::BrowserConfig::new(p).with_resolve_map(&crawl.resolve))
        .ok_or_else(|| "no browser (chromium) is installed".to_string())
}

/// Runs an evidence capture and enters it in the chain of custody (the operators as actor).
async fn capture_and_log(
    store: Arc<dyn Store>,
    config: &sweep::SweepConfig,
    req: sweep::capture::CaptureRequest,
) -> anyhow::Result<(sweep::capture::CaptureOutcome, store::CustodyRecord)> {
    let reason = req.reason.trim().to_string();
    let actor = req.operators.join(", ");
    let outcome = sweep::capture::capture_url(store.clone(), config, req).await?;
    let row = store
        .append_custody(&store::NewCustody {
            actor,
            action: store::CustodyAction::Capture,
            subject: format!("sweep:{}", outcome.sweep_id),
            reason,
        })
        .await?;
    Ok((outcome, row))
}

async fn capture(data: &DataDir, args: CaptureArgs) -> anyhow::Result<ExitCode> {
    let store = data.open_store().await?;
    let clue = match args.clue {
        Some(id) => Some(
            store
                .clue(Scope::City, domain::ClueId(id))
                .await?
                .with_context(|| format!("no clue {id}"))?,
        ),
        None => None,
    };
    let url = match (&args.url, &clue) {
        (Some(u), _) => u.clone(),
        (None, Some(c)) => {
            let first = c.findings.first().context("the clue has no findings")?;
            store
                .finding(Scope::City, *first)
                .await?
                .with_context(|| format!("finding {first} of clue {}", c.id))?
                .finding
                .url
        }
        (None, None) => bail!("give a URL or --clue ID"),
    };
    let url = url::Url::parse(&url).with_context(|| format!("bad URL {url:?}"))?;
    let mut config = sweep_config(data, &args.crawl, &[], args.tsa.clone())?;
    config.progress = false;
    let browser = if args.no_screenshot {
        Err("no screenshot was asked for".to_string())
    } else {
        browser_config(args.browser.clone(), &config.crawl)
    };
    let (outcome, row) = capture_and_log(
        store,
        &config,
        sweep::capture::CaptureRequest {
            url,
            operators: args.operators.clone(),
            reason: args.reason.clone(),
            browser,
            clue: clue.as_ref().map(|c| c.id),
        },
    )
    .await?;
    println!(
        "capture: sweep {} ({}{}), {} fetches, final {} {}",
        outcome.sweep_id,
        outcome.site.host,
        outcome.site.path_prefix,
        outcome.fetches.len(),
        outcome
            .final_status
            .map_or_else(|| "no response".to_string(), |s| s.to_string()),
        outcome.final_url
    );
    match &outcome.screenshot {
        Ok(s) => println!(
            "screenshot: {}x{}{} by {}, record {}:{}",
            s.width,
            s.height,
            if s.cut {
                " (cut at the height limit)"
            } else {
                ""
            },
            s.browser,
            s.record.file,
            s.record.offset
        ),
        Err(why) => println!("screenshot: none taken ({why})"),
    }
    if let Some(size) = outcome.checkpoint {
        println!("checkpoint: tree size {size}");
    }
    println!("custody: logged capture as entry {} ({})", row.id, row.hash);
    Ok(ExitCode::SUCCESS)
}

async fn import_entities(data: &DataDir, args: ImportEntitiesArgs) -> anyhow::Result<ExitCode> {
    let store = data.open_store().await?;
    let opts = crate::register_cmd::import_options(args.encoding, args.format);
    let summary = store::import::import_entities(store.as_ref(), &args.file, &opts)
        .await
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    match summary.encoding {
        Some((name, true)) => println!("{summary} (encoding detected: {name})"),
        _ => println!("{summary}"),
    }
    if let Some(file) = &summary.reject_file {
        println!("rejected rows: {}", file.display());
    }
    if summary.all_rejected() {
        eprintln!("error: every row was rejected; nothing was imported");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn sites(data: &DataDir, args: SitesArgs) -> anyhow::Result<ExitCode> {
    let store = data.open_store().await?;
    let mut out = std::io::stdout().lock();
    let mut offset = 0;
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
                OutputFormat::Text => writeln!(
                    out,
                    "{}{}\t{}\t{}\t{}",
                    site.host,
                    site.path_prefix,
                    site.kind,
                    site.district.map(|d| d.to_string()).unwrap_or_default(),
                    site.entity_name.as_deref().unwrap_or("-")
                )?,
            }
        }
        if (batch.len() as i64) < filter.limit {
            break;
        }
        offset += filter.limit;
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    data: &DataDir,
    store: Arc<dyn Store>,
    addr: std::net::SocketAddr,
) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    serve_on(data, store, listener).await
}

async fn serve_on(
    data: &DataDir,
    store: Arc<dyn Store>,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<ExitCode> {
    let addr = listener.local_addr()?;
    let search = crate::register_cmd::open_search(data, store.as_ref()).await;
    if let Some(index) = &search {
        crate::register_cmd::keep_in_step(data, store.clone(), index.clone());
    }
    println!("console: http://{addr}/");
    let state = web::AppState {
        store,
        evidence_dir: data.evidence(),
        districts: domain::DistrictTable::nanning(),
        log: Some(web::LogPublication {
            dir: data.log(),
            public_key_file: data
                .keys()
                .join(format!("{}.pub", crate::evidence_cmd::LOG_KEY_NAME)),
        }),
        search,
    };
    tokio::select! {
        r = web::serve(state, listener) => r.context("console server failed")?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}

async fn simweb(args: SimwebArgs) -> anyhow::Result<ExitCode> {
    let world = Arc::new(simweb::World::generate(&simweb::GenParams {
        sites: args.sites,
        seed: args.seed,
    }));
    write_simweb_files(&world, args.truth.as_deref(), args.register.as_deref())?;
    let running = simweb::start(world.clone(), ([127, 0, 0, 1], args.port).into()).await?;
    println!(
        "simweb: {} hosts, {} pages on http://{} (map hosts with --resolve '*:80:{}')",
        world.hosts().len(),
        world.page_count(),
        running.addr,
        running.addr
    );
    tokio::signal::ctrl_c().await?;
    Ok(ExitCode::SUCCESS)
}

fn write_simweb_files(
    world: &simweb::World,
    truth: Option<&Path>,
    register: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some(path) = truth {
        let json = serde_json::to_vec_pretty(&world.truth())?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = register {
        std::fs::write(path, world.register_csv())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// What a demo data directory was made with, so that a second run continues the same world.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
struct DemoParams {
    sites: usize,
    seed: u64,
}

async fn demo(data: &DataDir, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let simdir = data.simweb();
    std::fs::create_dir_all(&simdir)
        .with_context(|| format!("cannot create {}", simdir.display()))?;
    let params_path = simdir.join("params.json");
    let mut params = DemoParams {
        sites: args.sites,
        seed: args.seed,
    };
    let store = data.open_store().await?;
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
    std::fs::write(&params_path, serde_json::to_vec(&params)?)?;

    let world = Arc::new(simweb::World::generate(&simweb::GenParams {
        sites: params.sites,
        seed: params.seed,
    }));
    let register = simdir.join("register.csv");
    write_simweb_files(&world, Some(&simdir.join("truth.json")), Some(&register))?;
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
    };
    let imported = store::import::import_entities(store.as_ref(), &register, &opts).await?;
    eprintln!("demo: register import: {imported}");
    // Two departments' data about the same businesses, joined to the register.
    let (telecom, food) = world.department_csvs();
    let today = chrono::Utc::now().date_naive();
    for (source, text) in [("telecom", telecom), ("food", food)] {
        let path = simdir.join(format!("{source}.csv"));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        let mapping = store::filings::Mapping::builtin(source).expect("built-in mapping");
        let s =
            store::filings::import_filings(store.as_ref(), &path, &mapping, &opts, today).await?;
        eprintln!("demo: {source} filings: {s}");
    }

    let resolve = vec![format!("*:80:{}", running.addr)];
    let summary = sweep(data, store.clone(), &args.crawl, resolve.clone(), None).await?;
    println!("{summary}");
    if summary.pages == 0 {
        bail!("the sweep fetched no pages");
    }
    demo_capture(data, store.clone(), &args.crawl, &resolve).await?;
    drop(running);
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    // The console's usual port may be taken on a shared machine: fall back to a free one.
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "demo: {} is not available ({e}); using a free port",
                args.addr
            );
            tokio::net::TcpListener::bind((args.addr.ip(), 0)).await?
        }
    };
    serve_on(data, store, listener).await
}

/// The demo's evidence capture: the homepage of the first registered trading site, with a
/// screenshot when a browser is installed, by two demonstration operators.
async fn demo_capture(
    data: &DataDir,
    store: Arc<dyn Store>,
    crawl: &CrawlArgs,
    resolve: &[String],
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
    let mut config = sweep_config(data, crawl, resolve, None)?;
    config.progress = false;
    let url = url::Url::parse(&format!("http://{}/", site.host))?;
    let browser = browser_config(None, &config.crawl);
    let (outcome, _) = capture_and_log(
        store,
        &config,
        sweep::capture::CaptureRequest {
            url: url.clone(),
            operators: vec!["演示取证员甲".into(), "演示取证员乙".into()],
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

/// The register's facts for the site of `url`, when the data directory holds a register:
/// `Ok(None)` without one (register checks off), `Some(None)` when no site matches.
async fn scan_register(
    data: &DataDir,
    url: &str,
) -> anyhow::Result<Option<(Option<detect::RegisterFacts>, bool)>> {
    if !data.database().exists() {
        return Ok(None);
    }
    let store = data.open_store().await?;
    if store.count_entities().await? == 0 {
        return Ok(None);
    }
    let Ok(u) = url::Url::parse(url) else {
        return Ok(Some((None, false)));
    };
    let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
    let bare = host.strip_prefix("www.").unwrap_or(&host).to_string();
    for h in [host.clone(), bare.clone(), format!("www.{bare}")] {
        if let Some(site) = store.site_for_url(&h, u.path()).await? {
            let home = format!("{}/", site.path_prefix.trim_end_matches('/'));
            let facts = match site.entity_id {
                Some(id) => store
                    .entity(id)
                    .await?
                    .map(|e| sweep::register::facts(&e.input)),
                None => None,
            };
            return Ok(Some((facts, u.path() == home)));
        }
    }
    Ok(Some((None, u.path() == "/")))
}

async fn scan(data: &DataDir, args: ScanArgs) -> anyhow::Result<ExitCode> {
    let detector = detect::Detector::builtin();
    let (html, url) = if args.target.starts_with("http://") || args.target.starts_with("https://") {
        let url =
            url::Url::parse(&args.target).with_context(|| format!("bad URL {}", args.target))?;
        let config = crawl_config(&args.crawl, &[])?;
        let ex = crawl::fetch_one(&config, &url).await;
        if let Some(err) = &ex.error {
            bail!("cannot fetch {url}: {err}");
        }
        let decoded = ex
            .decoded_body()
            .with_context(|| format!("{url} returned no decodable body"))?;
        (decoded.text, args.url.unwrap_or_else(|| url.to_string()))
    } else {
        let path = Path::new(&args.target);
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let decoded = crawl::decode_html(&bytes, None);
        let url = args
            .url
            .unwrap_or_else(|| format!("file://{}", path.display()));
        (decoded.text, url)
    };
    let is_home = url::Url::parse(&url)
        .map(|u| u.path() == "/")
        .unwrap_or(false);
    // With a register in the data directory, the page is judged against it as a sweep would.
    let register = scan_register(data, &url).await?;
    let (register, is_home) = match &register {
        None => (detect::RegisterView::NotLoaded, is_home),
        Some((None, home)) => (detect::RegisterView::Unmatched, *home),
        Some((Some(f), home)) => (detect::RegisterView::Matched(f), *home),
    };
    let ctx = detect::PageContext {
        url: &url,
        is_site_home: is_home,
        site_kind: register.facts().and_then(|f| f.kind),
        register,
    };
    let findings = detect::Detector::scan_html(&detector, &html, &ctx);
    let mut out = std::io::stdout().lock();
    for f in &findings {
        match args.format {
            OutputFormat::Json => {
                let line = serde_json::json!({
                    "category": f.category.code(),
                    "rule": f.rule_id,
                    "severity": f.severity.code(),
                    "url": url,
                    "excerpt": f.excerpt,
                    "location": f.location.as_str(),
                    "rule_pack": f.rule_pack,
                });
                writeln!(out, "{line}")?;
            }
            OutputFormat::Text => writeln!(
                out,
                "{:<8} {:<24} {:<10} {}",
                f.severity.code(),
                f.category.code(),
                f.location.as_str(),
                f.excerpt
            )?,
        }
    }
    if args.format == OutputFormat::Text {
        writeln!(out, "{} findings in {url}", findings.len())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Page titles for `pages.jsonl`: the body decoded by its charset, the `<title>` extracted.
fn page_title(body: &[u8], content_type: Option<&str>) -> Option<String> {
    let decoded = crawl::decode_html(body, content_type);
    Some(detect::extract(&decoded.text).title)
}

async fn export(data: &DataDir, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let store = data.open_store().await?;
    let (fetches, what) = match (&args.site, args.sweep, args.clue) {
        (_, _, Some(id)) => {
            let clue = domain::ClueId(id);
            store
                .clue(Scope::City, clue)
                .await?
                .with_context(|| format!("no clue {id}"))?;
            let fetches = store.clue_fetches(Scope::City, clue).await?;
            (fetches, format!("clue {id}"))
        }
        (Some(site), _, None) => {
            let (host, path) = match site.find('/') {
                Some(i) => site.split_at(i),
                None => (site.as_str(), "/"),
            };
            let found = store
                .site_for_url(&host.to_ascii_lowercase(), path)
                .await?
                .with_context(|| format!("no registered site {site}"))?;
            let fetches = store.site_fetches(Scope::City, found.id, 0).await?;
            (fetches, format!("site {}{}", found.host, found.path_prefix))
        }
        (None, Some(id), None) => {
            let sweep_id = domain::SweepId(id);
            store
                .sweep(sweep_id)
                .await?
                .with_context(|| format!("no sweep {id}"))?;
            let fetches = store.sweep_fetches(Scope::City, sweep_id).await?;
            (fetches, format!("sweep {id}"))
        }
        (None, None, None) => bail!("give --site HOST, --sweep ID or --clue ID"),
    };
    // A revisit's payload is in its original's response record, usually from an earlier
    // sweep: the original goes into the package too, so the revisit can be replayed.
    let mut originals = Vec::new();
    let selected: std::collections::HashSet<domain::FetchId> =
        fetches.iter().map(|f| f.id).collect();
    let mut wanted: Vec<domain::FetchId> = fetches
        .iter()
        .filter_map(|f| f.fetch.revisit_of)
        .filter(|id| !selected.contains(id))
        .collect();
    wanted.sort();
    wanted.dedup();
    for id in wanted {
        let original = store
            .fetch(Scope::City, id)
            .await?
            .with_context(|| format!("fetch {id}, the original of a revisit, is missing"))?;
        originals.push(original);
    }
    let evidence_dir = data.evidence();
    let mut selections: Vec<evidence::wacz::Selection> = fetches
        .iter()
        .chain(&originals)
        .filter_map(|f| f.fetch.evidence.as_ref())
        .map(|p| evidence::wacz::Selection {
            warc: evidence_dir.join(&p.warc_file),
            offset: p.offset.max(0) as u64,
        })
        .collect();
    selections.sort();
    selections.dedup();
    if selections.is_empty() {
        bail!("{what} has no recorded evidence to export");
    }
    let signer = evidence::wacz::WaczSigner::load_or_create(&data.keys())?;
    let mut params = evidence::wacz::WaczParams::new(
        args.title
            .clone()
            .unwrap_or_else(|| format!("wangjian evidence: {what}")),
    );
    params.software = SOFTWARE.to_string();
    params.extra_info = vec![("export-selection".to_string(), what.clone())];
    params.page_title = Some(&page_title);
    // Every stored record goes with its inclusion proof under a signed checkpoint.
    let log = crate::evidence_cmd::export_log(data)?;
    let proofs = evidence::wacz::LogProofSource {
        log: &log.log,
        index: &log.index,
        note: log.note.clone(),
        verifier_key: log.key.clone(),
    };
    let summary = evidence::wacz::write_wacz_with_proofs(
        &args.output,
        &selections,
        &params,
        Some(&signer),
        Some(&proofs),
    )
    .with_context(|| format!("cannot export {what}"))?;
    if summary.unproved > 0 {
        let _ = std::fs::remove_file(&summary.path);
        bail!(
            "{what}: {} stored records are not in the transparency log under its checkpoint of {} \
             leaves; no package written",
            summary.unproved,
            log.index.checkpoint().size
        );
    }
    println!(
        "export: {what}: {} fetches, {} records ({} proven in the log under checkpoint {}), {} indexed, {} pages -> {} ({} bytes, datapackage {})",
        selections.len(),
        summary.records,
        summary.proved,
        log.index.checkpoint().size,
        summary.indexed,
        summary.pages,
        summary.path.display(),
        summary.bytes,
        summary.datapackage_hash
    );
    crate::record_cmd::log_export(store.as_ref(), &what, args.reason.as_deref()).await?;
    Ok(ExitCode::SUCCESS)
}
