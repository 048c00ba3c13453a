//! `wangjian config show|init`: the effective configuration and where each value came from;
//! the commented default file.

use super::Ctx;
use crate::cli::ConfigCommand;
use anyhow::Context;
use std::process::ExitCode;

pub fn config(ctx: &Ctx, cmd: ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Show => print!("{}", ctx.config.show()),
        ConfigCommand::Init => {
            std::fs::create_dir_all(&ctx.data.root).with_context(|| {
                format!("cannot create data directory {}", ctx.data.root.display())
            })?;
            if crate::config::write_default(&ctx.data.root)? {
                println!("config: wrote {}", ctx.config.file.display());
            } else {
                println!(
                    "config: {} exists; left as it is",
                    ctx.config.file.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
