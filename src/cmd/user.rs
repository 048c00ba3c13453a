//! `wangjian user add|list|disable|enable|passwd|role|token`: the people who log in to the
//! console. Thin calls of the `people` crate, which the console's user pages call too.

use super::Ctx;
use crate::cli::*;
use anyhow::{bail, Context};
use domain::{DistrictCode, EntityId, Role};
use std::io::{BufRead, Write};
use std::process::ExitCode;
use store::{Actor, Scope, Store};

pub async fn user(ctx: &Ctx, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let store = store.as_ref();
    let by = Actor::system(format!("cli:{}", super::cli_actor()));
    match cmd {
        UserCommand::Add {
            username,
            role,
            name,
            password_stdin,
        } => {
            let spec = spec(store, username, &role, name).await?;
            let (password, generated) = password(password_stdin)?;
            let u = people::add_user(store, &spec, &password, &by).await?;
            println!(
                "user {} added ({}, {})",
                u.username,
                u.role,
                scope_text(&u.districts, &u.entities)
            );
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List { format } => {
            let users = store.list_users().await?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Text {
                if users.is_empty() {
                    writeln!(out, "no users")?;
                } else {
                    writeln!(out, "ID\tUSERNAME\tNAME\tROLE\tSCOPE\tSTATE")?;
                }
            }
            for u in &users {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(u)?)?,
                    OutputFormat::Text => writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        u.id,
                        u.username,
                        u.display_name,
                        u.role,
                        scope_text(&u.districts, &u.entities),
                        if u.disabled { "disabled" } else { "active" },
                    )?,
                }
            }
        }
        UserCommand::Disable { username } => {
            people::set_disabled(store, &username, true, &by).await?;
            println!("user {username} disabled");
        }
        UserCommand::Enable { username } => {
            people::set_disabled(store, &username, false, &by).await?;
            println!("user {username} enabled");
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            people::set_password(store, &username, &password, &by).await?;
            println!("password of {username} changed");
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Role { username, role } => {
            let current = store
                .user_by_name(&username)
                .await?
                .with_context(|| format!("no user {username:?}"))?;
            let spec = spec(store, username, &role, Some(current.display_name)).await?;
            let u = people::set_role(store, &spec, &by).await?;
            println!(
                "user {} is now {} ({})",
                u.username,
                u.role,
                scope_text(&u.districts, &u.entities)
            );
        }
        UserCommand::Token { username, name } => {
            let u = store
                .user_by_name(&username)
                .await?
                .with_context(|| format!("no user {username:?}"))?;
            let (token, row) = people::create_api_token(store, u.id, &name, &by).await?;
            println!("token {} for {} ({name}): {token}", row.id, u.username);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The user spec of the command line: the role, its districts (validated against the
/// deployment's table) and its entities (by USCC).
async fn spec(
    store: &dyn Store,
    username: String,
    role: &RoleSpec,
    name: Option<String>,
) -> anyhow::Result<people::UserSpec> {
    let r = match (role.admin, role.role) {
        (true, _) => Role::Admin,
        (false, Some(r)) => match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Inspector => Role::Inspector,
            RoleArg::Evaluator => Role::Evaluator,
            RoleArg::Auditor => Role::Auditor,
        },
        (false, None) => bail!("give --role or --admin"),
    };
    let table = domain::DistrictTable::nanning();
    let mut districts: Vec<DistrictCode> = Vec::new();
    for d in &role.districts {
        let code = DistrictCode::parse(d.trim())
            .ok()
            .filter(|c| table.get(*c).is_some())
            .with_context(|| format!("{d:?} is not a district of this deployment"))?;
        districts.push(code);
    }
    let mut entities: Vec<EntityId> = Vec::new();
    for u in &role.entities {
        let norm = domain::text::compact_upper(u);
        let e = store
            .entity_by_uscc(Scope::City, &norm)
            .await?
            .with_context(|| format!("no entity with USCC {norm}"))?;
        entities.push(e.id);
    }
    Ok(people::UserSpec {
        display_name: name.unwrap_or_default(),
        username,
        role: r,
        districts,
        entities,
    })
}

/// The password from stdin's first line, else a generated one (and whether it was generated).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let pw = line.trim_end_matches(['\r', '\n']).to_string();
        Ok((pw, false))
    } else {
        Ok((people::generate_password()?, true))
    }
}

fn scope_text(districts: &[DistrictCode], entities: &[EntityId]) -> String {
    match (districts.is_empty(), entities.is_empty()) {
        (true, true) => "city".to_string(),
        (false, _) => districts
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(","),
        (true, false) => format!("{} entities", entities.len()),
    }
}
