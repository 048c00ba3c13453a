//! `wangjian search sync|query`: the search index brought up to date, and queried.

use super::Ctx;
use crate::cli::SearchCommand;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub async fn search(ctx: &Ctx, cmd: SearchCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.data.open_store().await?;
    let started = std::time::Instant::now();
    let (index, summary) =
        sweep::index::open_and_sync(store.as_ref(), &ctx.data.evidence(), &ctx.data.search())
            .await
            .context("cannot bring the search index up to date")?;
    match cmd {
        SearchCommand::Sync => {
            println!("{summary} ({:.1} s)", started.elapsed().as_secs_f64());
        }
        SearchCommand::Query { text, limit } => {
            let hits = index.search(&search::Query::new(text.clone()).page(0, limit))?;
            let mut out = std::io::stdout().lock();
            if hits.is_empty() {
                writeln!(out, "nothing found for {text:?}")?;
            } else {
                // Entities: id, USCC and name, the fields that matched. Pages: the fetch's id,
                // URL and a snippet.
                writeln!(out, "KIND\tID\tENTITY OR URL\tMATCHED OR SNIPPET")?;
            }
            for h in hits {
                match h {
                    search::Hit::Entity { id, matched, .. } => {
                        let name = match store
                            .entity(store::Scope::City, domain::EntityId(id))
                            .await?
                        {
                            Some(e) => format!("{} {}", e.input.uscc, e.input.name),
                            None => "-".into(),
                        };
                        writeln!(out, "entity\t{id}\t{name}\t{matched:?}")?;
                    }
                    search::Hit::Page {
                        fetch_id,
                        url,
                        snippet,
                        ..
                    } => writeln!(out, "page\t{fetch_id}\t{url}\t{snippet}")?,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
