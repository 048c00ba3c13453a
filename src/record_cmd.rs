//! The chain of custody on the command line: `evidence export` logs itself here (who: `$USER`,
//! else `cli`; why: `--reason`, else "未说明"). The rows, the hash and the chain check live in
//! `store::custody`.

use store::{CustodyAction, NewCustody, Store, NO_REASON};

/// Logs an export of `what` (`site <host><prefix>` or `sweep <id>`, as `export` names its
/// selection) as custody subject `site:<host><prefix>` / `sweep:<id>`, the subjects the
/// console's extraction record looks for.
pub async fn log_export(store: &dyn Store, what: &str, reason: Option<&str>) -> anyhow::Result<()> {
    let actor = std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "cli".to_string());
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(NO_REASON);
    let row = store
        .append_custody(&NewCustody {
            actor,
            action: CustodyAction::Export,
            subject: what.replacen(' ', ":", 1),
            reason: reason.to_string(),
        })
        .await?;
    println!("custody: logged export as entry {} ({})", row.id, row.hash);
    Ok(())
}
