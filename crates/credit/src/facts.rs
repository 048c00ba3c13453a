//! The facts an index system scores: for a batch of entities, every source's value, read with
//! one grouped store query per distinct (source, parameters) and merged here, plus the two
//! list flags the hard rules need whatever the index says.

use crate::index::{FactValue, IndexSystem, Source};
use chrono::NaiveDate;
use domain::{EntityId, ListKind};
use store::{CreditStore, FactBatch, FactQuery, FactSelect, RegisterFacts};

/// One entity's facts, aligned with [`IndexSystem::sources`] (`None`: the source has no value).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub entity: EntityId,
    pub values: Vec<Option<FactValue>>,
    /// On the abnormal-operation list (an open listing, or the register's status).
    pub abnormal: bool,
    /// On the serious-violation list (an open listing, or the register's status).
    pub serious: bool,
}

/// How a source's value is made.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    Age,
    Capital,
    LegalForm,
    /// The store query at this position; `scale` multiplies its value; `flag` turns it into
    /// 0/1; `absent` is the value when the entity has no row (`None`: missing).
    Query {
        at: usize,
        scale: f64,
        flag: bool,
        absent: Option<f64>,
    },
}

/// The store queries an index system needs (the two list flags always first), and how each
/// source is made from them.
fn plan(sys: &IndexSystem) -> (Vec<FactQuery>, Vec<Plan>) {
    let mut queries = vec![
        FactQuery::Listed(ListKind::Abnormal),
        FactQuery::Listed(ListKind::SeriousViolation),
    ];
    let mut at = |q: FactQuery| match queries.iter().position(|x| *x == q) {
        Some(i) => i,
        None => {
            queries.push(q);
            queries.len() - 1
        }
    };
    let count = |at: usize| Plan::Query {
        at,
        scale: 1.0,
        flag: false,
        absent: Some(0.0),
    };
    let flag = |at: usize| Plan::Query {
        at,
        scale: 1.0,
        flag: true,
        absent: Some(0.0),
    };
    let plans = sys
        .sources
        .iter()
        .map(|s| match s {
            Source::AgeYears => Plan::Age,
            Source::CapitalWan => Plan::Capital,
            Source::LegalForm => Plan::LegalForm,
            Source::PermitsExpired => count(at(FactQuery::PermitsExpired)),
            Source::Findings {
                days,
                severity,
                categories,
            } => count(at(FactQuery::Findings {
                days: *days,
                min_severity: *severity,
                categories: categories.clone(),
            })),
            Source::Cases { days } => count(at(FactQuery::Cases { days: *days })),
            Source::FinesYuan { days } => Plan::Query {
                at: at(FactQuery::FinesFen { days: *days }),
                scale: 0.01,
                flag: false,
                absent: Some(0.0),
            },
            Source::Warnings { days } => count(at(FactQuery::Warnings { days: *days })),
            Source::RectificationsMet { days } => count(at(FactQuery::Rechecked {
                days: *days,
                compliant: true,
            })),
            Source::RectificationsMissed { days } => count(at(FactQuery::Rechecked {
                days: *days,
                compliant: false,
            })),
            Source::ListAbnormal => flag(0),
            Source::ListSerious => flag(1),
            Source::EvaluationScore { days } => Plan::Query {
                at: at(FactQuery::Evaluation { days: *days }),
                scale: 1.0,
                flag: false,
                absent: None,
            },
            Source::CommitmentKept => flag(at(FactQuery::CommitmentKept)),
            Source::ComplaintsUpheld { days } => {
                count(at(FactQuery::ComplaintsUpheld { days: *days }))
            }
            Source::BadgeValid => flag(at(FactQuery::BadgeValid)),
        })
        .collect();
    (queries, plans)
}

/// Registered capital in 万元 from the register's text: "100万元", "100万", "1000000元",
/// "1.5亿元", or a bare number (万元). Anything else: none.
pub fn capital_wan(text: &str) -> Option<f64> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '，')
        .collect();
    let t = t
        .trim_start_matches("人民币")
        .trim_end_matches("人民币")
        .trim_end_matches("(人民币)")
        .trim_end_matches("（人民币）");
    let (num, factor) = if let Some(n) = t.strip_suffix("万元").or_else(|| t.strip_suffix('万'))
    {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix("亿元").or_else(|| t.strip_suffix('亿')) {
        (n, 10_000.0)
    } else if let Some(n) = t.strip_suffix('元') {
        (n, 0.0001)
    } else {
        (t, 1.0)
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v * factor)
}

/// Years since establishment (days / 365.25) on `as_of`.
pub fn age_years(established: NaiveDate, as_of: NaiveDate) -> f64 {
    (as_of - established).num_days() as f64 / 365.25
}

/// Reads the facts of a batch of entities for `sys` as of a date.
pub async fn load(
    store: &dyn CreditStore,
    sys: &IndexSystem,
    select: &FactSelect,
    as_of: NaiveDate,
) -> store::Result<Vec<Facts>> {
    let (queries, plans) = plan(sys);
    let batch = store.credit_facts(select, &queries, as_of).await?;
    Ok(merge(&batch, &plans, as_of))
}

/// Merges the grouped rows by entity: every list is sorted by entity id, like the register's
/// rows, so one cursor per list walks them all once.
fn merge(batch: &FactBatch, plans: &[Plan], as_of: NaiveDate) -> Vec<Facts> {
    let mut register: Vec<&RegisterFacts> = batch.register.iter().collect();
    register.sort_by_key(|r| r.entity);
    let mut cursors = vec![0usize; batch.values.len()];
    let mut out = Vec::with_capacity(register.len());
    for r in register {
        let mut found: Vec<Option<f64>> = Vec::with_capacity(batch.values.len());
        for (i, list) in batch.values.iter().enumerate() {
            let c = &mut cursors[i];
            while *c < list.len() && list[*c].0 < r.entity {
                *c += 1;
            }
            found.push((*c < list.len() && list[*c].0 == r.entity).then(|| list[*c].1));
        }
        let values = plans
            .iter()
            .map(|p| match p {
                Plan::Age => r
                    .established
                    .map(|d| FactValue::Number(age_years(d, as_of))),
                Plan::Capital => r
                    .registered_capital
                    .as_deref()
                    .and_then(capital_wan)
                    .map(FactValue::Number),
                Plan::LegalForm => Some(FactValue::Category(r.legal_form.clone())),
                Plan::Query {
                    at,
                    scale,
                    flag,
                    absent,
                } => {
                    let v = found[*at].or(*absent)?;
                    Some(FactValue::Number(if *flag {
                        let listed = v > 0.0
                            || (*at == 0 && r.status == "abnormal")
                            || (*at == 1 && r.status == "serious_violation");
                        f64::from(u8::from(listed))
                    } else {
                        v * scale
                    }))
                }
            })
            .collect();
        out.push(Facts {
            entity: r.entity,
            values,
            abnormal: found[0].is_some_and(|v| v > 0.0) || r.status == "abnormal",
            serious: found[1].is_some_and(|v| v > 0.0) || r.status == "serious_violation",
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capital_texts() {
        assert_eq!(capital_wan("100万元"), Some(100.0));
        assert_eq!(capital_wan("100万"), Some(100.0));
        assert_eq!(capital_wan("1000000元"), Some(100.0));
        assert_eq!(capital_wan("100"), Some(100.0));
        assert_eq!(capital_wan(" 1,000 万元人民币"), Some(1000.0));
        assert_eq!(capital_wan("1.5亿元"), Some(15_000.0));
        assert_eq!(capital_wan("壹佰万元"), None);
        assert_eq!(capital_wan(""), None);
    }

    #[test]
    fn age_in_years() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!((age_years(d("2020-01-01"), d("2025-01-01")) - 1827.0 / 365.25).abs() < 1e-12);
    }
}
