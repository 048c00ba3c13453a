//! The chain of custody on the command line: `evidence export` logs itself here (who: `$USER`,
//! else `cli`; why: `--reason`, else "未说明"). The rows, the hash and the chain check live in
//! `store::custody`.

use store::{CustodyAction, CustodySubject, NewCustody, Store, NO_REASON};

/// Logs an export of `subject` (a site, a sweep or a clue), the subjects the console's
/// extraction record looks for.
pub async fn log_export(
    store: &dyn Store,
    subject: &CustodySubject,
    reason: Option<&str>,
) -> anyhow::Result<()> {
    let actor = std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "cli".to_string());
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(NO_REASON);
    let row = store
        .append_custody(&NewCustody::new(
            actor,
            CustodyAction::Export,
            subject,
            reason,
        ))
        .await?;
    println!("custody: logged export as entry {} ({})", row.id, row.hash);
    Ok(())
}
