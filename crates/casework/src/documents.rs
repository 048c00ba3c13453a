//! The documents of a case filled from the records: [`document_data`] reads a case, its
//! outcomes, its clues' findings and evidence, its party and its officers in the caller's scope
//! and returns the plain [`documents::DocumentData`] the templates render, with the clues whose
//! WACZ the document attaches. Exporting those packages and printing is `sweep::documents`'s;
//! this module neither writes evidence nor fetches.
//!
//! Which outcome a document speaks for: a rectification notice the case's latest rectification
//! order, a referral letter its latest referral, a warning letter its latest warning; a kind
//! whose outcome the case does not have is refused ([`DocumentRefusal::NoOutcome`]). A cover
//! needs none and lists every outcome. Numbers follow [`documents::DocumentSettings::number`]
//! (the n-th document of a kind for a case is numbered for its n-th outcome of that kind).

use std::collections::BTreeSet;

use chrono::Datelike as _;
use chrono::NaiveDate;
use documents::{
    CaseRef, DocumentData, DocumentKind, DocumentSettings, EvidenceItem, OutcomeLine, Party,
    Referral, SiteRef, Violation,
};
use domain::{CaseId, ClueId, OutcomeKind};
use store::{Outcome, OutcomeDetail, Scope, Store, StoreError};

/// Why no document data was made.
#[derive(Debug, thiserror::Error)]
pub enum DocumentRefusal {
    /// No such case in the caller's scope.
    #[error("no case {0}")]
    NoCase(CaseId),
    /// The kind speaks for an outcome the case does not have.
    #[error("case {case} has no {kind} outcome")]
    NoOutcome { case: CaseId, kind: OutcomeKind },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outcome kind a document speaks for (none: a cover).
pub fn outcome_kind(kind: DocumentKind) -> Option<OutcomeKind> {
    match kind {
        DocumentKind::Rectification => Some(OutcomeKind::Rectification),
        DocumentKind::Warning => Some(OutcomeKind::Warning),
        DocumentKind::Referral => Some(OutcomeKind::Referral),
        DocumentKind::Cover => None,
    }
}

/// A document's data and the clues whose packages it attaches.
#[derive(Debug, Clone)]
pub struct CaseDocumentData {
    /// Everything but the attachments, which the exports fill in.
    pub data: DocumentData,
    pub clues: Vec<ClueId>,
}

/// Reads what `kind` for case `id` says, in `scope`, dated `date`.
pub async fn document_data(
    store: &dyn Store,
    scope: Scope,
    id: CaseId,
    kind: DocumentKind,
    settings: &DocumentSettings,
    date: NaiveDate,
) -> Result<CaseDocumentData, DocumentRefusal> {
    let case = store
        .case(scope.clone(), id)
        .await?
        .ok_or(DocumentRefusal::NoCase(id))?;
    let outcomes = store.case_outcomes(scope.clone(), id).await?;
    let (outcome, nth) = match outcome_kind(kind) {
        Some(ok) => {
            let of_kind: Vec<&Outcome> =
                outcomes.iter().filter(|o| o.detail.kind() == ok).collect();
            let last = *of_kind
                .last()
                .ok_or(DocumentRefusal::NoOutcome { case: id, kind: ok })?;
            (Some(last), of_kind.len())
        }
        None => (None, 1),
    };

    let mut categories = BTreeSet::new();
    let mut evidence = Vec::new();
    let mut seen = BTreeSet::new();
    for clue in &case.clues {
        if let Some(c) = store.clue(scope.clone(), *clue).await? {
            for f in &c.findings {
                if let Some(f) = store.finding(scope.clone(), *f).await? {
                    categories.insert(f.finding.category);
                }
            }
        }
        for f in store.clue_fetches(scope.clone(), *clue).await? {
            let Some(p) = &f.fetch.evidence else { continue };
            if !seen.insert((p.warc_file.clone(), p.offset)) {
                continue;
            }
            evidence.push(EvidenceItem {
                url: f.fetch.url.clone(),
                fetched_at: f.fetch.fetched_at,
                record_id: f.fetch.record_id.clone(),
                warc_file: p.warc_file.clone(),
                offset: p.offset,
                record_digest: p.digest.clone(),
                payload_digest: f.fetch.payload_digest.clone(),
            });
        }
    }

    let entity = match case.entity_id {
        Some(e) => store.entity(scope.clone(), e).await?,
        None => None,
    };
    let entity = match entity {
        Some(e) => Party {
            name: e.input.name.clone(),
            uscc: Some(e.input.uscc.clone()),
            address: e.input.address.clone(),
        },
        None => Party {
            name: case
                .entity_name
                .clone()
                .unwrap_or_else(|| case.site.clone()),
            uscc: None,
            address: None,
        },
    };
    let site_url = match store.site(scope.clone(), case.site_id).await? {
        Some(s) => s.start_url(),
        None => format!("http://{}", case.site),
    };
    let mut officers = Vec::new();
    for u in &case.officers {
        if let Some(u) = store.user(*u).await? {
            officers.push(if u.display_name.is_empty() {
                u.username
            } else {
                u.display_name
            });
        }
    }

    let number = settings.number(kind, &case.number, (case.opened_at.year(), case.id.0), nth);
    let (mut deadline, mut urls, mut referral, mut reason) = (None, Vec::new(), None, None);
    match outcome.map(|o| &o.detail) {
        Some(OutcomeDetail::Rectification {
            due_on, urls: u, ..
        }) => {
            deadline = Some(*due_on);
            urls = u.clone();
        }
        Some(OutcomeDetail::Referral { to, reason: why }) => {
            referral = Some(Referral {
                to: to.clone(),
                reason: why.clone(),
            });
        }
        Some(OutcomeDetail::Warning { reason: why }) => reason = Some(why.clone()),
        _ => {}
    }
    let data = DocumentData {
        bureau: settings.bureau.clone(),
        number,
        date,
        entity,
        site: SiteRef {
            address: case.site.clone(),
            url: site_url,
        },
        case: CaseRef {
            number: case.number.clone(),
            summary: case.summary.clone(),
            stage: case.stage.title().to_string(),
            opened_on: case.opened_at.date_naive(),
            decided_on: case.decided_at.map(|t| t.date_naive()),
            closed_on: case.closed_at.map(|t| t.date_naive()),
            officers,
        },
        violations: categories.into_iter().map(Violation::from).collect(),
        deadline,
        urls,
        referral,
        reason,
        outcomes: outcomes.iter().map(outcome_line).collect(),
        evidence,
        attachments: Vec::new(),
    };
    Ok(CaseDocumentData {
        data,
        clues: case.clues.clone(),
    })
}

/// An outcome as the cover lists it.
fn outcome_line(o: &Outcome) -> OutcomeLine {
    let kind = o.detail.kind();
    let mut line = OutcomeLine {
        kind: kind.code().to_string(),
        title: kind.title().to_string(),
        ..OutcomeLine::default()
    };
    match &o.detail {
        OutcomeDetail::Penalty {
            decision_no,
            legal_basis,
            fine_fen,
            confiscation,
        } => {
            line.decision_no = Some(decision_no.clone());
            line.legal_basis = Some(legal_basis.clone());
            line.fine_yuan = Some(yuan(*fine_fen));
            line.confiscation = confiscation.clone();
        }
        OutcomeDetail::Rectification {
            due_on, compliant, ..
        } => {
            line.due_on = Some(*due_on);
            line.compliant = *compliant;
        }
        OutcomeDetail::Referral { to, reason } => {
            line.to = Some(to.clone());
            line.reason = Some(reason.clone());
        }
        OutcomeDetail::Warning { reason } | OutcomeDetail::Dismissal { reason } => {
            line.reason = Some(reason.clone());
        }
        OutcomeDetail::AbnormalListing {
            cause, removed_at, ..
        } => {
            line.cause = Some(cause.title().to_string());
            line.removed_on = removed_at.map(|t| t.date_naive());
        }
    }
    line
}

/// Fen as yuan with two decimals (`573800` → `5738.00`).
fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_as_yuan() {
        assert_eq!(yuan(57_380_000), "573800.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(0), "0.00");
    }
}
