//! `wangjian simweb`: the simulated web alone, on a loopback port.

use crate::cli::SimwebArgs;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn simweb(args: SimwebArgs) -> anyhow::Result<ExitCode> {
    let mut world = simweb::World::generate(&simweb::GenParams {
        sites: args.sites,
        seed: args.seed,
    });
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
    tokio::signal::ctrl_c().await?;
    Ok(ExitCode::SUCCESS)
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
