//! `wangjian simweb`: the simulated web alone, on a loopback port.

use crate::cli::SimwebArgs;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn simweb(args: SimwebArgs) -> anyhow::Result<ExitCode> {
    let mut world = world(args.sites, args.seed)?;
    if let Some(dir) = &args.overlay {
        world = world.with_overlay(dir);
    }
    let world = Arc::new(world);
    write_files(&world, args.truth.as_deref(), args.register.as_deref())?;
    let running = simweb::start(world.clone(), ([127, 0, 0, 1], args.port).into()).await?;
    println!(
        "simweb: {} hosts, {} pages on http://{} (map hosts with --resolve '*:80:{}')",
        world.hosts().len(),
        world.page_count(),
        running.addr,
        running.addr
    );
    if let Some(path) = &args.ct_config {
        // What `[[discovery.ct_logs]]` needs to watch the simulated CT log, and its forged twin.
        let mut toml = String::new();
        for (host, name) in [
            (simweb::CT_HOST, "simweb"),
            (simweb::CT_FORGED_HOST, "simweb-forged"),
        ] {
            let log = ct_log_config(&world, host, name)?;
            use base64::Engine as _;
            toml.push_str(&format!(
                "[[discovery.ct_logs]]\nname = \"{}\"\nurl = \"{}\"\nkey = \"{}\"\n\n",
                log.name,
                log.url,
                base64::engine::general_purpose::STANDARD.encode(&log.key)
            ));
        }
        std::fs::write(path, toml).with_context(|| format!("cannot write {}", path.display()))?;
    }
    tokio::signal::ctrl_c().await?;
    Ok(ExitCode::SUCCESS)
}

/// The simulated web of `sites` sites for `seed`, with its certificate transparency log.
pub fn world(sites: usize, seed: u64) -> anyhow::Result<simweb::World> {
    let world = simweb::World::generate(&simweb::GenParams { sites, seed });
    let subjects = world.ct_subjects();
    Ok(world.with_ct_log(subjects)?)
}

/// How to watch the world's CT log as served on `host` (the log, or its forged twin, which
/// signs with another key than the log's: its tree heads must be refused).
pub fn ct_log_config(
    world: &simweb::World,
    host: &str,
    name: &str,
) -> anyhow::Result<ct::LogConfig> {
    let log = world
        .ct_log()
        .context("the simulated web has no certificate transparency log")?;
    Ok(ct::LogConfig {
        name: name.to_string(),
        url: url::Url::parse(&format!("http://{host}/"))?,
        key: log.public_key_der(),
    })
}

/// Writes the world's ground truth (JSON) and register (CSV) where asked.
pub fn write_files(
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
