//! Making a clue from findings: the checks a request must pass before [`Store::create_clue`] is
//! asked, shared by every front end ([`make_clue`]: the command line and the console).
//!
//! A clue groups findings of one site. [`draft_clue`] looks every finding up in the caller's
//! scope (so a district cannot group another district's findings), names the first one that is
//! missing, refuses findings of different sites with both sites named, drops repeated ids, and
//! gives the clue a summary from the findings' categories when none is given. Must not: write
//! anything (the draft is handed to `create_clue`, which checks the same again in its
//! transaction).

use crate::{Actor, Finding, NewClue, Scope, Store, StoreError};
use domain::{ClueId, FindingId, SiteId};

/// Why no clue can be made of the findings asked for.
#[derive(Debug, thiserror::Error)]
pub enum ClueError {
    /// No finding was given.
    #[error("a clue needs at least one finding")]
    NoFindings,
    /// A finding does not exist, or not in the caller's scope.
    #[error("no finding {0}")]
    MissingFinding(FindingId),
    /// The finding was suppressed by the detector (a quotation, a trademark, the page's genre):
    /// it is kept for review, never made a clue.
    #[error("finding {0} is suppressed")]
    SuppressedFinding(FindingId),
    /// The findings are of more than one site.
    #[error("finding {finding} is of site {other}, not of site {site} like the first")]
    MixedSites {
        site: SiteId,
        other: SiteId,
        finding: FindingId,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes a clue of the findings `ids` (looked up in `scope`) for `by`: [`draft_clue`], then
/// [`Store::create_clue`] (audited). The one way a front end makes a clue.
pub async fn make_clue(
    store: &dyn Store,
    scope: Scope,
    ids: &[FindingId],
    summary: Option<&str>,
    by: &Actor,
) -> Result<(ClueId, NewClue), ClueError> {
    let draft = draft_clue(store, scope, ids, summary).await?;
    let id = store.create_clue(&draft, by).await?;
    Ok((id, draft))
}

/// The clue the findings `ids` make: the findings looked up in `scope`, in the order given,
/// each once; `summary` (trimmed), else [`default_summary`].
pub async fn draft_clue(
    store: &dyn Store,
    scope: Scope,
    ids: &[FindingId],
    summary: Option<&str>,
) -> Result<NewClue, ClueError> {
    let mut unique: Vec<FindingId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    let mut found: Vec<Finding> = Vec::with_capacity(unique.len());
    for id in &unique {
        let finding = store
            .finding(scope.clone(), *id)
            .await?
            .ok_or(ClueError::MissingFinding(*id))?;
        if !finding.finding.is_live() {
            return Err(ClueError::SuppressedFinding(*id));
        }
        found.push(finding);
    }
    let site = one_site(&found)?;
    let summary = summary
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| default_summary(&found));
    Ok(NewClue {
        site_id: site,
        findings: unique,
        summary,
    })
}

/// The one site of all `findings`, or the first finding of another site.
pub fn one_site(findings: &[Finding]) -> Result<SiteId, ClueError> {
    let first = findings.first().ok_or(ClueError::NoFindings)?;
    let site = first.finding.site_id;
    match findings.iter().find(|f| f.finding.site_id != site) {
        Some(f) => Err(ClueError::MixedSites {
            site,
            other: f.finding.site_id,
            finding: f.id,
        }),
        None => Ok(site),
    }
}

/// A clue's summary when none is given: the Chinese titles of the findings' categories, each
/// once, in the order the findings first show them, joined by 、.
pub fn default_summary(findings: &[Finding]) -> String {
    let mut titles: Vec<&str> = Vec::new();
    for f in findings {
        let title = f.finding.category.title();
        if !titles.contains(&title) {
            titles.push(title);
        }
    }
    titles.join("、")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewFinding;
    use chrono::{TimeZone, Utc};
    use domain::{Category, Severity, SweepId};

    fn finding(id: i64, site: i64, category: &str) -> Finding {
        let category: Category = category.parse().unwrap();
        Finding {
            id: FindingId(id),
            finding: NewFinding {
                sweep_id: SweepId(1),
                site_id: SiteId(site),
                fetch_id: None,
                url: "http://a.test/".into(),
                category,
                rule_id: "r".into(),
                rule_pack: "p".into(),
                severity: Severity::High,
                excerpt: "x".into(),
                location: "text".into(),
                evidence: None,
                found_at: Utc.timestamp_opt(0, 0).unwrap(),
                suppressed: None,
            },
            host: "a.test".into(),
            district: None,
            triage: domain::Triage::Open,
            triage_reason: None,
        }
    }

    #[test]
    fn the_default_summary_names_each_category_once_in_order() {
        let a = finding(1, 1, "ad.absolute_term");
        let b = finding(2, 1, "contract.unfair_clause");
        let c = finding(3, 1, "ad.absolute_term");
        let summary = default_summary(&[a.clone(), b.clone(), c]);
        let want = format!(
            "{}、{}",
            a.finding.category.title(),
            b.finding.category.title()
        );
        assert_eq!(summary, want);
        assert_eq!(default_summary(&[]), "");
    }

    #[test]
    fn findings_of_two_sites_name_the_first_stranger() {
        let f = [
            finding(1, 7, "ad.absolute_term"),
            finding(2, 7, "ad.absolute_term"),
            finding(3, 8, "ad.absolute_term"),
        ];
        match one_site(&f) {
            Err(ClueError::MixedSites {
                site,
                other,
                finding,
            }) => {
                assert_eq!((site, other, finding), (SiteId(7), SiteId(8), FindingId(3)));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(one_site(&f[..2]).unwrap(), SiteId(7));
        assert!(matches!(one_site(&[]), Err(ClueError::NoFindings)));
    }
}
