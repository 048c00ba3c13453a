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
        Command::Sweep(args) => {
            let store = data.open_store().await?;
            let summary = sweep(&data, store, &args.crawl, Vec::new()).await?;
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Scan(args) => scan(args).await,
        Command::Serve(args) => {
            let store = data.open_store().await?;
            serve(&data, store, args.addr).await
        }
        Command::Sites(args) => sites(&data, args).await,
        Command::Simweb(args) => simweb(args).await,
        Command::Evidence(EvidenceCommand::Verify(args)) => verify(&data, args),
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
) -> anyhow::Result<sweep::SweepSummary> {
    let config = sweep::SweepConfig {
        crawl: crawl_config(crawl, &extra_resolve)?,
        evidence_dir: data.evidence(),
        warc_max_bytes: 1 << 30,
        software: SOFTWARE.to_string(),
        progress: true,
    };
    let detector = Arc::new(detect::Detector::builtin());
    Ok(sweep::run_sweep(store, detector, config).await?)
}

async fn import_entities(data: &DataDir, args: ImportEntitiesArgs) -> anyhow::Result<ExitCode> {
    let store = data.open_store().await?;
    let opts = store::import::ImportOptions {
        encoding: match args.encoding {
            EncodingArg::Utf8 => store::import::SourceEncoding::Utf8,
            EncodingArg::Gbk => store::import::SourceEncoding::Gbk,
        },
        format: args.format.map(|f| match f {
            FormatArg::Csv => store::import::Format::Csv,
            FormatArg::JsonLines => store::import::Format::JsonLines,
        }),
        batch_size: 1000,
    };
    let summary = store::import::import_entities(store.as_ref(), &args.file, &opts)
        .await
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    println!("{summary}");
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
    println!("console: http://{addr}/");
    let state = web::AppState {
        store,
        evidence_dir: data.evidence(),
        districts: domain::DistrictTable::nanning(),
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

    let resolve = vec![format!("*:80:{}", running.addr)];
    let summary = sweep(data, store.clone(), &args.crawl, resolve).await?;
    println!("{summary}");
    if summary.pages == 0 {
        bail!("the sweep fetched no pages");
    }
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

async fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
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
    let ctx = detect::PageContext {
        url: &url,
        is_site_home: is_home,
        site_kind: None,
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

fn verify(data: &DataDir, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let path = args.path.unwrap_or_else(|| data.evidence());
    let files = if path.is_dir() {
        evidence::warc_files(&path).with_context(|| format!("cannot list {}", path.display()))?
    } else if path.exists() {
        vec![path.clone()]
    } else {
        bail!("{} does not exist", path.display());
    };
    if files.is_empty() {
        bail!("no WARC files in {}", path.display());
    }
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for file in &files {
        let verdict = evidence::verify_warc(file);
        if verdict.ok() {
            writeln!(
                out,
                "ok    {} ({} records, {} with digests)",
                file.display(),
                verdict.records,
                verdict.digests_checked
            )?;
        } else {
            failed += 1;
            writeln!(
                out,
                "FAIL  {} ({} records read)",
                file.display(),
                verdict.records
            )?;
            for f in &verdict.failures {
                writeln!(
                    out,
                    "      at offset {}{}: {}",
                    f.offset,
                    f.record_id
                        .as_deref()
                        .map(|id| format!(" record {id}"))
                        .unwrap_or_default(),
                    f.problem
                )?;
            }
        }
    }
    writeln!(out, "verify: {} files, {} failed", files.len(), failed)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
