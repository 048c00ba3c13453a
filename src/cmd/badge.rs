//! `wangjian badge apply|prove|issue|refuse|suspend|revoke|reinstate|rules|list|show|key`: the
//! electronic license badge (亮照), through the same functions as the console and the portal
//! (`badge`). The signing key is the data directory's `keys/badge.key`.

use super::Ctx;
use crate::cli::{BadgeCommand, OutputFormat};
use anyhow::Context;
use badge::{Application, BadgeSettings};
use domain::{BadgeSerial, BadgeState, ProofMethod};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use store::{Actor, Badge, BadgeFilter, Scope};

fn actor() -> Actor {
    Actor::system(format!("cli:{}", super::cli_actor()))
}

fn serial(text: &str) -> anyhow::Result<BadgeSerial> {
    text.parse::<BadgeSerial>()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// How proofs and snippets work from the command line.
pub fn settings(
    ctx: &Ctx,
    crawl: crawl::CrawlConfig,
    name_servers: Vec<std::net::SocketAddr>,
) -> BadgeSettings {
    BadgeSettings {
        public_url: ctx.config.portal_url(),
        name_servers,
        crawl: Arc::new(crawl),
    }
}

/// The badge signing key of the data directory (created on first use).
pub fn signing_key(ctx: &Ctx) -> anyhow::Result<domain::badge::SigningKey> {
    badge::load_or_create_key(&ctx.data.keys()).with_context(|| {
        format!(
            "cannot load the badge key from {}",
            ctx.data.keys().display()
        )
    })
}

/// What a sweep needs to check badges: the public key and the portal's host (`portal_url`),
/// when the key exists (once a badge was applied for).
pub fn sweep_check(ctx: &Ctx) -> Option<::sweep::BadgeCheckConfig> {
    let url = ctx.config.portal_url();
    let host = url::Url::parse(&url).ok()?.host_str()?.to_ascii_lowercase();
    let text =
        std::fs::read_to_string(ctx.data.keys().join(format!("{}.pub", badge::KEY_NAME))).ok()?;
    Some(::sweep::BadgeCheckConfig {
        key: domain::badge::parse_public_key(&text)?,
        portal_host: host,
    })
}

fn json(b: &Badge, snippet: Option<&badge::Snippet>) -> serde_json::Value {
    serde_json::json!({
        "serial": b.serial.to_string(),
        "entity_id": b.entity_id,
        "entity_name": b.entity_name,
        "uscc": b.uscc,
        "district": b.district.to_string(),
        "domain": b.domain,
        "contact": b.contact,
        "method": b.method.code(),
        "state": b.state.code(),
        "proof_result": b.proof_result.map(|r| r.code()),
        "proof_detail": b.proof_detail,
        "applied_at": b.applied_at,
        "issued_at": b.issued_at,
        "cause": b.cause.map(|c| c.code()),
        "cause_note": b.cause_note,
        "check_verdict": b.check_verdict.map(|v| v.code()),
        "checked_at": b.checked_at,
        "token": b.token,
        "snippet": snippet.map(|s| s.html.clone()),
    })
}

pub async fn badge(ctx: &Ctx, cmd: BadgeCommand) -> anyhow::Result<ExitCode> {
    if let BadgeCommand::Key = cmd {
        let key = signing_key(ctx)?;
        println!("{}", badge::public_key(&key));
        return Ok(ExitCode::SUCCESS);
    }
    let store = ctx.data.open_store().await?;
    let s = store.as_ref();
    let mut out = std::io::stdout().lock();
    let plain = || settings(ctx, crawl::CrawlConfig::default(), Vec::new());
    match cmd {
        BadgeCommand::Key => unreachable!("handled above"),
        BadgeCommand::Apply {
            uscc,
            domain,
            contact,
            method,
        } => {
            let method: ProofMethod = method.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let b = badge::apply(
                s,
                &Application {
                    uscc,
                    domain,
                    contact,
                    method: Some(method),
                },
                &actor(),
            )
            .await?;
            writeln!(
                out,
                "badge application {} for {} (tracking {})",
                b.serial, b.domain, b.tracking
            )?;
            match b.method {
                ProofMethod::WellKnown => writeln!(
                    out,
                    "publish the token {} at {}",
                    b.proof_token,
                    badge::proof::well_known_url(&b.domain, &b.proof_token)
                )?,
                ProofMethod::DnsTxt => writeln!(
                    out,
                    "publish the token {} as the TXT record of {}",
                    b.proof_token,
                    badge::proof::txt_name(&b.domain)
                )?,
            }
        }
        BadgeCommand::Prove {
            serial: sn,
            name_servers,
            crawl,
        } => {
            let crawl = super::crawl_config(&ctx.config, &crawl, &[])?;
            let settings = settings(ctx, crawl, name_servers);
            let b = badge::prove(s, &settings, serial(&sn)?, &actor()).await?;
            let result = b.proof_result.map_or("none", |r| r.code());
            writeln!(
                out,
                "badge {}: proof {result}{} (state {})",
                b.serial,
                b.proof_detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default(),
                b.state
            )?;
            if b.state != BadgeState::Proven {
                return Ok(ExitCode::FAILURE);
            }
        }
        BadgeCommand::Issue { serial: sn } => {
            let key = signing_key(ctx)?;
            let b = badge::issue(
                s,
                &key,
                Scope::City,
                None,
                serial(&sn)?,
                chrono::Utc::now(),
                &actor(),
            )
            .await?;
            writeln!(out, "badge {} issued for {}", b.serial, b.domain)?;
            if let Some(snippet) = badge::snippet(&plain(), &b) {
                writeln!(out, "{}", snippet.html)?;
            }
        }
        BadgeCommand::Refuse { serial: sn, reason } => {
            let b = badge::refuse(s, Scope::City, None, serial(&sn)?, &reason, &actor()).await?;
            writeln!(out, "badge {} {}", b.serial, b.state)?;
        }
        BadgeCommand::Suspend { serial: sn, reason } => {
            let b = badge::suspend(s, Scope::City, None, serial(&sn)?, &reason, &actor()).await?;
            writeln!(out, "badge {} {}", b.serial, b.state)?;
        }
        BadgeCommand::Revoke { serial: sn, reason } => {
            let b = badge::revoke(s, Scope::City, None, serial(&sn)?, &reason, &actor()).await?;
            writeln!(out, "badge {} {}", b.serial, b.state)?;
        }
        BadgeCommand::Reinstate { serial: sn, note } => {
            let b = badge::reinstate(s, Scope::City, None, serial(&sn)?, &note, &actor()).await?;
            writeln!(out, "badge {} {}", b.serial, b.state)?;
        }
        BadgeCommand::Rules => {
            let today = domain::time::beijing_date(chrono::Utc::now());
            let r = badge::apply_rules(s, today, &actor()).await?;
            writeln!(
                out,
                "badge rules: {} checked, {} suspended, {} reinstated",
                r.checked,
                r.suspended.len(),
                r.reinstated.len()
            )?;
        }
        BadgeCommand::List { state, format } => {
            let state = state
                .map(|t| t.parse::<BadgeState>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let filter = BadgeFilter {
                state,
                ..Default::default()
            };
            let list = s.badges(Scope::City, &filter).await?;
            match format {
                OutputFormat::Json => {
                    for b in &list {
                        writeln!(out, "{}", json(b, None))?;
                    }
                }
                OutputFormat::Text => {
                    if list.is_empty() {
                        writeln!(out, "no badges")?;
                    } else {
                        writeln!(out, "SERIAL\tSTATE\tDOMAIN\tUSCC\tCHECK\tENTITY")?;
                    }
                    for b in &list {
                        writeln!(
                            out,
                            "{}\t{}\t{}\t{}\t{}\t{}",
                            b.serial,
                            b.state,
                            b.domain,
                            b.uscc,
                            b.check_verdict.map_or("-", |v| v.code()),
                            b.entity_name
                        )?;
                    }
                }
            }
        }
        BadgeCommand::Show { serial: sn, format } => {
            let b = s
                .badge(Scope::City, serial(&sn)?)
                .await?
                .with_context(|| format!("no badge {sn}"))?;
            let snippet = badge::snippet(&plain(), &b);
            match format {
                OutputFormat::Json => writeln!(out, "{}", json(&b, snippet.as_ref()))?,
                OutputFormat::Text => {
                    let j = json(&b, snippet.as_ref());
                    for (k, v) in j.as_object().expect("an object") {
                        if !v.is_null() {
                            writeln!(
                                out,
                                "{k}\t{}",
                                v.as_str().map_or_else(|| v.to_string(), str::to_string)
                            )?;
                        }
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
