//! Scoring: an entity's facts through the index system to a score, its class and the hard
//! rules. Pure: no store, no clock.

use crate::facts::Facts;
use crate::index::IndexSystem;
use domain::{CreditClass, ListKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// One leaf's points in a grade.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeafPoints {
    pub code: String,
    /// 0–100.
    pub points: f64,
}

/// An entity's grade under one index system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grade {
    /// Σ leaf weight × points, 0–100.
    pub score: f64,
    /// The class the score reaches.
    pub score_class: CreditClass,
    /// The class after the hard rules.
    pub class: CreditClass,
    /// The hard rule that set `class`, if any.
    #[serde(rename = "override")]
    pub overridden: Option<ListKind>,
    /// Every leaf's points, in the index's leaf order.
    pub points: Vec<LeafPoints>,
}

/// Scores one entity: Σ over the leaves of (product of the weights root → leaf) × points,
/// rounded to 9 decimals; the class by the thresholds; then the hard rules (serious-violation list → D, abnormal
/// list → at least C).
pub fn score(sys: &IndexSystem, facts: &Facts) -> Grade {
    let mut points = Vec::with_capacity(sys.leaves.len());
    let (score, score_class, class, overridden) = score_points(sys, facts, &mut points);
    Grade {
        score,
        score_class,
        class,
        overridden,
        points: sys
            .leaves
            .iter()
            .zip(points)
            .map(|(l, p)| LeafPoints {
                code: l.code.clone(),
                points: p,
            })
            .collect(),
    }
}

/// [`score`] without allocating names: the leaves' points (in leaf order) go to `points`.
pub fn score_points(
    sys: &IndexSystem,
    facts: &Facts,
    points: &mut Vec<f64>,
) -> (f64, CreditClass, CreditClass, Option<ListKind>) {
    points.clear();
    let mut total = 0.0;
    for leaf in &sys.leaves {
        let value = facts.values.get(leaf.slot).and_then(Option::as_ref);
        let p = leaf.score.points(value, leaf.missing);
        total += leaf.weight * p;
        points.push(p);
    }
    // Rounded to 9 decimals, so that a score on a threshold in exact arithmetic (85 from
    // weights that floating point sums to 84.99999999999998) reaches it.
    let score = (total.clamp(0.0, 100.0) * 1e9).round() / 1e9;
    let score_class = sys.classes.class_for(score);
    let (class, overridden) = hard_rules(score_class, facts.abnormal, facts.serious);
    (score, score_class, class, overridden)
}

/// The class after the hard rules, and which rule changed it (none when the score's class
/// stands).
pub fn hard_rules(
    score_class: CreditClass,
    abnormal: bool,
    serious: bool,
) -> (CreditClass, Option<ListKind>) {
    if serious && score_class != CreditClass::D {
        return (CreditClass::D, Some(ListKind::SeriousViolation));
    }
    if abnormal && score_class < CreditClass::C {
        return (CreditClass::C, Some(ListKind::Abnormal));
    }
    (score_class, None)
}

/// The points as stored (`credit_scores.points`): a JSON object of leaf code → points.
pub fn points_json(points: &[LeafPoints]) -> String {
    let codes: Vec<&str> = points.iter().map(|p| p.code.as_str()).collect();
    let values: Vec<f64> = points.iter().map(|p| p.points).collect();
    points_json_of(&codes, &values)
}

/// [`points_json`] from the leaves' codes and points in the same order.
pub fn points_json_of(codes: &[&str], points: &[f64]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(points.len() * 12 + 2);
    s.push('{');
    for (i, (code, p)) in codes.iter().zip(points).enumerate() {
        if i > 0 {
            s.push(',');
        }
        // Codes are letters, digits and dots: no escaping needed.
        s.push('"');
        s.push_str(code);
        s.push_str("\":");
        if p.fract() == 0.0 && p.abs() < 1e15 {
            let _ = write!(s, "{}", *p as i64);
        } else {
            let _ = write!(s, "{p}");
        }
    }
    s.push('}');
    s
}

/// Reads stored points back (unknown text: none).
pub fn parse_points(text: &str) -> BTreeMap<String, f64> {
    serde_json::from_str(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{FactValue, DEFAULT_INDEX};
    use domain::EntityId;

    fn facts(sys: &IndexSystem, f: impl Fn(&crate::index::Source) -> Option<FactValue>) -> Facts {
        Facts {
            entity: EntityId(1),
            values: sys.sources.iter().map(f).collect(),
            abnormal: false,
            serious: false,
        }
    }

    #[test]
    fn a_clean_old_entity_scores_high() {
        use crate::index::Source::*;
        let sys = IndexSystem::parse(DEFAULT_INDEX).unwrap();
        let f = facts(&sys, |s| match s {
            AgeYears => Some(FactValue::Number(10.0)),
            CapitalWan => Some(FactValue::Number(2000.0)),
            EvaluationScore { .. } => None,
            CommitmentKept => Some(FactValue::Number(1.0)),
            _ => Some(FactValue::Number(0.0)),
        });
        let g = score(&sys, &f);
        // Everything 100 but B03 (70: nothing rectified), B04 (80: no badge) and D01
        // (missing: 70).
        let want = 100.0 - 0.35 * 0.15 * 30.0 - 0.35 * 0.1 * 20.0 - 0.15 * 0.5 * 30.0;
        assert!((g.score - want).abs() < 1e-9, "{} vs {want}", g.score);
        assert_eq!(g.class, CreditClass::A);
        assert_eq!(g.overridden, None);
        let json = points_json(&g.points);
        assert_eq!(parse_points(&json).get("B03"), Some(&70.0));
        assert_eq!(parse_points(&json).len(), 15);
    }

    #[test]
    fn hard_rules_override_the_score() {
        assert_eq!(
            hard_rules(CreditClass::A, false, true),
            (CreditClass::D, Some(ListKind::SeriousViolation))
        );
        assert_eq!(
            hard_rules(CreditClass::A, true, false),
            (CreditClass::C, Some(ListKind::Abnormal))
        );
        assert_eq!(
            hard_rules(CreditClass::D, true, true),
            (CreditClass::D, None)
        );
        assert_eq!(
            hard_rules(CreditClass::C, true, false),
            (CreditClass::C, None)
        );
        assert_eq!(
            hard_rules(CreditClass::B, false, false),
            (CreditClass::B, None)
        );
    }
}
