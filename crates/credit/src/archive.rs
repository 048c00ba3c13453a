//! The credit archive and the explanation of a grade: the current grade with a bar per
//! indicator family, each indicator's contribution, the indicators that moved against the
//! previous archive row, and the records behind each family.

use crate::index::{IndexSystem, Source};
use crate::rescore::{index_version, CreditError};
use crate::score::parse_points;
use domain::EntityId;
use serde::Serialize;
use std::collections::BTreeMap;
use store::{CreditEvents, CreditStore, Scope, StoredGrade};

/// Records of each kind shown behind a family.
pub const EVENTS_PER_KIND: i64 = 5;

/// One indicator's part in a grade.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub code: String,
    pub name: String,
    /// The family's code.
    pub family: String,
    /// The source with its parameters (`findings days=365 severity=high`).
    pub source: String,
    /// 0–100.
    pub points: f64,
    /// The effective weight (product of the weights family → leaf).
    pub weight: f64,
    /// points × weight: what it adds to the score.
    pub contribution: f64,
}

/// A family's bar: its share of the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyBar {
    pub code: String,
    pub name: String,
    pub weight: f64,
    /// Σ of its leaves' contributions (at most `weight` × 100).
    pub contribution: f64,
    /// The family's own score, 0–100 (contribution / weight): the bar's length.
    pub percent: f64,
    /// The records its sources read, a few of each.
    pub events: CreditEvents,
}

/// An indicator whose contribution changed since the previous archive row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moved {
    pub code: String,
    pub name: String,
    pub before_points: Option<f64>,
    pub after_points: f64,
    pub before: Option<f64>,
    pub after: f64,
}

/// An entity's credit, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditView {
    pub entity: EntityId,
    pub grade: StoredGrade,
    /// The name of the index version the grade was computed with.
    pub index_name: Option<String>,
    pub families: Vec<FamilyBar>,
    pub indicators: Vec<Contribution>,
    /// The previous archive row, if any.
    pub previous: Option<StoredGrade>,
    pub moved: Vec<Moved>,
}

/// Each leaf's contribution under `sys` from stored points.
fn contributions(sys: &IndexSystem, points: &BTreeMap<String, f64>) -> Vec<Contribution> {
    sys.leaves
        .iter()
        .filter_map(|l| {
            let p = *points.get(&l.code)?;
            Some(Contribution {
                code: l.code.clone(),
                name: l.name.clone(),
                family: l.family.clone(),
                source: l.source.describe(),
                points: p,
                weight: l.weight,
                contribution: p * l.weight,
            })
        })
        .collect()
}

/// Which of an entity's records a family's sources read.
fn family_events(sys: &IndexSystem, family: &str, all: &CreditEvents) -> CreditEvents {
    let mut out = CreditEvents::default();
    for l in sys.leaves.iter().filter(|l| l.family == family) {
        match &l.source {
            Source::Findings { .. } => out.findings.clone_from(&all.findings),
            Source::Cases { .. } => out.cases.clone_from(&all.cases),
            Source::FinesYuan { .. }
            | Source::Warnings { .. }
            | Source::RectificationsMet { .. }
            | Source::RectificationsMissed { .. } => {
                out.cases.clone_from(&all.cases);
                out.outcomes.clone_from(&all.outcomes);
            }
            Source::ListAbnormal | Source::ListSerious => out.listings.clone_from(&all.listings),
            Source::EvaluationScore { .. } => out.evaluations.clone_from(&all.evaluations),
            Source::CommitmentKept => out.commitments.clone_from(&all.commitments),
            // Complaints are not among the records a grade lists (their complainants' data
            // stays with the complaint); the profile lists an entity's complaints to staff.
            // A badge is no record of the archive's kinds: its state is on the badge page.
            Source::AgeYears
            | Source::CapitalWan
            | Source::LegalForm
            | Source::PermitsExpired
            | Source::ComplaintsUpheld { .. }
            | Source::BadgeValid => {}
        }
    }
    out
}

/// An entity's current grade, explained; `NotFound` when it has none in the caller's scope.
pub async fn credit_of(
    store: &dyn CreditStore,
    scope: Scope,
    entity: EntityId,
) -> Result<CreditView, CreditError> {
    let grade = store
        .credit_grade(scope.clone(), entity)
        .await?
        .ok_or(CreditError::NotFound)?;
    let history = store.credit_history(scope.clone(), entity).await?;
    // The archive's newest row is the current grade when it changed last; the one before it
    // is what it moved from. When the newest row differs from the current grade, it is the
    // previous one itself.
    let same = |a: &StoredGrade| {
        a.index_version == grade.index_version
            && a.class == grade.class
            && (a.score - grade.score).abs() <= 1e-9
    };
    let previous = match history.first() {
        Some(h) if same(h) => history.get(1).cloned(),
        Some(h) => Some(h.clone()),
        None => None,
    };
    let sys = index_version(store, &grade.index_version).await?;
    let events = store.credit_events(scope, entity, EVENTS_PER_KIND).await?;
    let points = parse_points(&grade.points);
    let (indicators, families, index_name) = match &sys {
        Some(sys) => {
            let indicators = contributions(sys, &points);
            let families = sys
                .families
                .iter()
                .map(|f| {
                    let contribution: f64 = indicators
                        .iter()
                        .filter(|c| c.family == f.code)
                        .map(|c| c.contribution)
                        .sum();
                    FamilyBar {
                        code: f.code.clone(),
                        name: f.name.clone(),
                        weight: f.weight,
                        contribution,
                        percent: if f.weight > 0.0 {
                            (contribution / f.weight).clamp(0.0, 100.0)
                        } else {
                            0.0
                        },
                        events: family_events(sys, &f.code, &events),
                    }
                })
                .collect();
            (indicators, families, Some(sys.name.clone()))
        }
        None => (Vec::new(), Vec::new(), None),
    };
    let mut moved = Vec::new();
    if let Some(prev) = &previous {
        let before_sys = if prev.index_version == grade.index_version {
            sys.clone()
        } else {
            index_version(store, &prev.index_version).await?
        };
        let before: Vec<Contribution> = before_sys
            .as_ref()
            .map(|s| contributions(s, &parse_points(&prev.points)))
            .unwrap_or_default();
        for c in &indicators {
            let b = before.iter().find(|b| b.code == c.code);
            let changed = match b {
                None => true,
                Some(b) => {
                    (b.contribution - c.contribution).abs() > 1e-9
                        || (b.points - c.points).abs() > 1e-9
                }
            };
            if changed {
                moved.push(Moved {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    before_points: b.map(|b| b.points),
                    after_points: c.points,
                    before: b.map(|b| b.contribution),
                    after: c.contribution,
                });
            }
        }
    }
    Ok(CreditView {
        entity,
        grade,
        index_name,
        families,
        indicators,
        previous,
        moved,
    })
}

/// An entity's archive (every grade with its date and version), newest first.
pub async fn history(
    store: &dyn CreditStore,
    scope: Scope,
    entity: EntityId,
) -> Result<Vec<StoredGrade>, CreditError> {
    Ok(store.credit_history(scope, entity).await?)
}
