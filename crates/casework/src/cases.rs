//! Cases: opened from clues ([`open_case`]), moved one stage at a time ([`advance`], through
//! [`CaseStage::next`]; compare-and-set on the stage the caller saw, so two clicks cannot skip
//! a stage), ending in outcomes checked here ([`add_outcome`]), reopened with approval
//! ([`reopen`]), and re-checked rectification orders ([`due_rechecks`], [`record_recheck`]:
//! the scheduler runs the sweep and hands it in).
//!
//! The front ends check permissions (`Casework` to work a case, `Reopen` to reopen one); the
//! checks of the procedure itself are here: at least two officers before a decision, an
//! outcome before a decision, every rectification order re-checked before closing.

use crate::error::{CaseworkError, ClueStep, FenError, Field};
use crate::{optional, required, Limits};
use chrono::{Datelike, NaiveDate};
use domain::{
    CaseId, CaseStage, Category, ClueId, ClueState, FindingId, ListingCause, OutcomeId, Role,
    SiteAddress, SiteId, SweepId, UserId,
};
use serde::Serialize;
use std::collections::BTreeSet;
use store::{Actor, Case, NewCase, OutcomeDetail, Recheck, Scope, Store};

/// Opens a case from clues in scope — each `verified` or `dispatched`, all of one site and
/// one district — with its officers (usernames: active users who may work casework in the
/// case's district). The summary defaults to the clues' summaries. The decision limit is
/// counted from `today`.
#[allow(clippy::too_many_arguments)]
pub async fn open_case(
    store: &dyn Store,
    scope: Scope,
    clues: &[ClueId],
    officers: &[String],
    summary: Option<&str>,
    limits: &Limits,
    today: NaiveDate,
    by: &Actor,
) -> Result<CaseId, CaseworkError> {
    let mut found = Vec::new();
    for id in clues {
        if found.iter().any(|c: &store::Clue| c.id == *id) {
            continue;
        }
        let c = store
            .clue(scope.clone(), *id)
            .await?
            .ok_or(CaseworkError::NoClue(*id))?;
        if !matches!(c.state, ClueState::Verified | ClueState::Dispatched) {
            return Err(CaseworkError::ClueState {
                clue: c.id,
                state: c.state,
                step: ClueStep::OpenedAsCase,
            });
        }
        found.push(c);
    }
    let first = found.first().ok_or(CaseworkError::NoClues)?;
    let district = first.district.ok_or(CaseworkError::NoDistrict(first.id))?;
    for c in &found {
        if c.site_id != first.site_id {
            return Err(CaseworkError::MixedSites {
                site: first.site_id,
                other: c.site_id,
                clue: c.id,
            });
        }
        if c.district != Some(district) {
            return Err(CaseworkError::NoDistrict(c.id));
        }
    }
    let mut officer_ids: Vec<UserId> = Vec::new();
    for name in officers {
        let u = officer(store, name.trim(), district, first.entity_id).await?;
        if !officer_ids.contains(&u) {
            officer_ids.push(u);
        }
    }
    let summary = match optional(Field::Summary, summary)? {
        Some(s) => s,
        None => {
            let mut parts: Vec<&str> = Vec::new();
            for c in &found {
                if !parts.contains(&c.summary.as_str()) {
                    parts.push(&c.summary);
                }
            }
            parts.join("；")
        }
    };
    let case = NewCase {
        site_id: first.site_id,
        entity_id: first.entity_id,
        district,
        summary,
        clues: found.iter().map(|c| (c.id, c.state)).collect(),
        officers: officer_ids,
        number_prefix: format!("{}〔{}〕", limits.case_number_prefix, today.year()),
        decide_by: limits.decide_by(today),
    };
    Ok(store.open_case(&case, by).await?)
}

/// The user `name` when they may be an officer of a case of `district`.
async fn officer(
    store: &dyn Store,
    name: &str,
    district: domain::DistrictCode,
    entity: Option<domain::EntityId>,
) -> Result<UserId, CaseworkError> {
    let u = store
        .user_by_name(name)
        .await?
        .ok_or_else(|| CaseworkError::NoUser(name.to_string()))?;
    let may = !u.disabled
        && u.role.may(domain::Permission::Casework)
        && u.role != Role::Evaluator
        && u.scope().allows(Some(district), entity);
    if !may {
        return Err(CaseworkError::NotAnOfficer(name.to_string(), district));
    }
    Ok(u.id)
}

/// Adds an officer (a username) to a case in scope that is not closed.
pub async fn add_officer(
    store: &dyn Store,
    scope: Scope,
    case: CaseId,
    name: &str,
    by: &Actor,
) -> Result<(), CaseworkError> {
    let c = find(store, scope, case).await?;
    if c.stage == CaseStage::Closed {
        return Err(CaseworkError::Transition(
            domain::TransitionError::AlreadyClosed,
        ));
    }
    let u = officer(store, name.trim(), c.district, c.entity_id).await?;
    store.add_officer(case, u, by).await?;
    Ok(())
}

async fn find(store: &dyn Store, scope: Scope, id: CaseId) -> Result<Case, CaseworkError> {
    store
        .case(scope, id)
        .await?
        .ok_or(CaseworkError::NoCase(id))
}

/// Moves a case in scope from `seen` (the stage the person saw) to the next stage. A decision
/// needs two officers and an outcome; a closing needs every rectification order re-checked.
pub async fn advance(
    store: &dyn Store,
    scope: Scope,
    case: CaseId,
    seen: CaseStage,
    by: &Actor,
) -> Result<CaseStage, CaseworkError> {
    let c = find(store, scope.clone(), case).await?;
    if c.stage != seen {
        return Err(CaseworkError::StageChanged {
            case,
            seen,
            now: c.stage,
        });
    }
    let to = c.stage.next()?;
    match to {
        CaseStage::Decided => {
            if c.officers.len() < 2 {
                return Err(CaseworkError::TooFewOfficers {
                    case,
                    have: c.officers.len(),
                });
            }
            if store.case_outcomes(scope, case).await?.is_empty() {
                return Err(CaseworkError::NoOutcomeYet(case));
            }
        }
        CaseStage::Closed => {
            for o in store.case_outcomes(scope, case).await? {
                if let OutcomeDetail::Rectification {
                    rechecked_at: None, ..
                } = o.detail
                {
                    return Err(CaseworkError::RectificationPending(o.id));
                }
            }
        }
        _ => {}
    }
    store.set_case_stage(case, seen, to, None, by).await?;
    Ok(to)
}

/// Reopens a decided or closed case in scope (back to investigating), with a reason. The
/// front ends ask for `Permission::Reopen`.
pub async fn reopen(
    store: &dyn Store,
    scope: Scope,
    case: CaseId,
    reason: &str,
    by: &Actor,
) -> Result<CaseStage, CaseworkError> {
    let reason = required(Field::Reason, reason)?;
    let c = find(store, scope, case).await?;
    let to = c.stage.reopen()?;
    store
        .set_case_stage(case, c.stage, to, Some(&reason), by)
        .await?;
    Ok(to)
}

/// Extends a case's decision limit by `decide_extension_days` (approval: the front ends ask
/// for `Permission::Reopen`). Returns the new limit.
pub async fn extend_decision(
    store: &dyn Store,
    scope: Scope,
    case: CaseId,
    limits: &Limits,
    by: &Actor,
) -> Result<NaiveDate, CaseworkError> {
    let c = find(store, scope, case).await?;
    if !matches!(c.stage, CaseStage::Registered | CaseStage::Investigating) {
        return Err(CaseworkError::NoOutcomeAtStage {
            case,
            stage: c.stage,
        });
    }
    let days = limits.decide_extension_days;
    let to = c.decide_by + chrono::Days::new(days.into());
    store
        .extend_case(case, c.stage, days.into(), to, by)
        .await?;
    Ok(to)
}

/// An outcome as a person asks for it; [`add_outcome`] checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeInput {
    /// A penalty: the legal basis is taken from the categories of the case's findings.
    Penalty {
        decision_no: String,
        fine_fen: i64,
        confiscation: Option<String>,
    },
    Rectification {
        due_on: NaiveDate,
        urls: Vec<String>,
    },
    Referral {
        to: String,
        reason: String,
    },
    Warning {
        reason: String,
    },
    AbnormalListing {
        cause: ListingCause,
    },
    Dismissal {
        reason: String,
    },
}

/// Parses an amount in yuan as a person writes it (`573800`, `573800.00`, `12.5`) into fen:
/// no sign, at most two decimals.
pub fn parse_fen(s: &str) -> Result<i64, FenError> {
    let s = s.trim().trim_start_matches('¥').trim();
    if s.is_empty() {
        return Err(FenError::Empty);
    }
    if s.starts_with('-') {
        return Err(FenError::Negative);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || s.starts_with('+') {
        return Err(FenError::NotANumber(s.to_string()));
    }
    if frac.len() > 2 {
        return Err(FenError::TooPrecise);
    }
    let yuan: i64 = whole.parse().map_err(|_| FenError::TooLarge)?;
    let fen: i64 = format!("{frac:0<2}").parse().expect("two digits");
    yuan.checked_mul(100)
        .and_then(|y| y.checked_add(fen))
        .ok_or(FenError::TooLarge)
}

/// The categories of the findings of a case's clues.
async fn case_categories(store: &dyn Store, c: &Case) -> Result<BTreeSet<Category>, CaseworkError> {
    let mut out = BTreeSet::new();
    for clue in &c.clues {
        let Some(clue) = store.clue(Scope::City, *clue).await? else {
            continue;
        };
        for f in &clue.findings {
            if let Some(f) = store.finding(Scope::City, *f).await? {
                out.insert(f.finding.category);
            }
        }
    }
    Ok(out)
}

/// Records an outcome on a case in scope while it is investigating or decided, after its
/// checks: a penalty's decision number, its fine in fen (≥ 0) and its legal basis (from the
/// taxonomy, by the categories of the case's findings); a rectification's deadline (not before
/// `today`) and URLs (at least one, each a page of the case's site); a referral's department
/// and reason; a warning's or dismissal's reason; a listing's registered entity.
pub async fn add_outcome(
    store: &dyn Store,
    scope: Scope,
    case: CaseId,
    input: OutcomeInput,
    today: NaiveDate,
    by: &Actor,
) -> Result<OutcomeId, CaseworkError> {
    let c = find(store, scope, case).await?;
    if !c.stage.takes_outcomes() {
        return Err(CaseworkError::NoOutcomeAtStage {
            case,
            stage: c.stage,
        });
    }
    let detail = match input {
        OutcomeInput::Penalty {
            decision_no,
            fine_fen,
            confiscation,
        } => {
            if fine_fen < 0 {
                return Err(FenError::Negative.into());
            }
            let basis: Vec<&str> = case_categories(store, &c)
                .await?
                .into_iter()
                .map(Category::legal_basis)
                .collect();
            OutcomeDetail::Penalty {
                decision_no: required(Field::DecisionNo, &decision_no)?,
                legal_basis: basis.join("; "),
                fine_fen,
                confiscation: optional(Field::Confiscation, confiscation.as_deref())?,
            }
        }
        OutcomeInput::Rectification { due_on, urls } => {
            if due_on < today {
                return Err(CaseworkError::DeadlineInPast(due_on));
            }
            OutcomeDetail::Rectification {
                due_on,
                urls: site_urls(store, &c, &urls).await?,
                recheck_sweep: None,
                rechecked_at: None,
                compliant: None,
            }
        }
        OutcomeInput::Referral { to, reason } => OutcomeDetail::Referral {
            to: required(Field::ReferredTo, &to)?,
            reason: required(Field::Reason, &reason)?,
        },
        OutcomeInput::Warning { reason } => OutcomeDetail::Warning {
            reason: required(Field::Reason, &reason)?,
        },
        OutcomeInput::AbnormalListing { cause } => {
            let Some(entity) = c.entity_id else {
                return Err(CaseworkError::NoEntity(case));
            };
            // The list is the one truth of who is listed: an entity is on it once.
            let open = store
                .count_credit_listings(
                    Scope::City,
                    &store::ListingFilter {
                        entity_id: Some(entity),
                        list: Some(domain::ListKind::Abnormal),
                        open: Some(true),
                        ..Default::default()
                    },
                )
                .await?;
            if open > 0 {
                return Err(CaseworkError::AlreadyListed(entity));
            }
            OutcomeDetail::AbnormalListing {
                cause,
                removed_at: None,
                removed_reason: None,
            }
        }
        OutcomeInput::Dismissal { reason } => OutcomeDetail::Dismissal {
            reason: required(Field::Reason, &reason)?,
        },
    };
    Ok(store.add_outcome(case, c.stage, &detail, by).await?)
}

/// The URLs, each parsed and on the case's site, deduplicated, as written canonically.
async fn site_urls(
    store: &dyn Store,
    c: &Case,
    urls: &[String],
) -> Result<Vec<String>, CaseworkError> {
    let site = store.site(Scope::City, c.site_id).await?;
    let address = site
        .map(|s| SiteAddress::from_parts(&s.host, &s.path_prefix))
        .ok_or_else(|| CaseworkError::NoCase(c.id))?;
    let mut out: Vec<String> = Vec::new();
    for raw in urls.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        let foreign = || CaseworkError::ForeignUrl {
            url: raw.to_string(),
            site: address.to_string(),
        };
        let u = url::Url::parse(raw).map_err(|_| foreign())?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(foreign());
        }
        let host = u.host_str().ok_or_else(foreign)?;
        if !address.contains(host, u.path()) {
            return Err(foreign());
        }
        let s = u.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(CaseworkError::NoUrls);
    }
    Ok(out)
}

/// Removes an abnormal-operations listing (its cause corrected) of a case in scope.
pub async fn remove_listing(
    store: &dyn Store,
    scope: Scope,
    outcome: OutcomeId,
    reason: &str,
    by: &Actor,
) -> Result<(), CaseworkError> {
    let reason = required(Field::Reason, reason)?;
    let o = store
        .outcome(scope, outcome)
        .await?
        .ok_or(CaseworkError::NoOutcome(outcome))?;
    match o.detail {
        OutcomeDetail::AbnormalListing {
            removed_at: None, ..
        } => {}
        other => {
            return Err(CaseworkError::WrongOutcome {
                outcome,
                kind: other.kind(),
            })
        }
    }
    store.remove_listing(outcome, &reason, by).await?;
    Ok(())
}

/// A rectification order whose re-check is due: the scheduler re-crawls `urls` of `site` and
/// hands the sweep to [`record_recheck`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueRecheck {
    pub outcome: OutcomeId,
    pub case: CaseId,
    pub site: SiteId,
    pub urls: Vec<String>,
}

/// Rectification orders due on or before `today` and not re-checked yet, city-wide (a system
/// read), by due date.
pub async fn due_rechecks(
    store: &dyn Store,
    today: NaiveDate,
) -> Result<Vec<DueRecheck>, CaseworkError> {
    Ok(store
        .due_rectifications(Scope::City, today)
        .await?
        .into_iter()
        .map(|d| DueRecheck {
            outcome: d.outcome,
            case: d.case_id,
            site: d.site_id,
            urls: d.urls,
        })
        .collect())
}

/// What a re-check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Compliance {
    /// None of the case's categories was found again on the order's URLs.
    Compliant,
    /// Findings of the case's categories on the order's URLs (the new evidence); the case
    /// went back to investigation.
    NotCompliant { findings: Vec<FindingId> },
}

fn same_url(a: &str, b: &str) -> bool {
    let canon = |s: &str| {
        url::Url::parse(s.trim())
            .map(|u| u.to_string())
            .unwrap_or_else(|_| s.trim().to_string())
    };
    canon(a) == canon(b)
}

/// Records the re-check of rectification order `outcome` by sweep `sweep` (which must have
/// fetched every URL of the order): compliant when the sweep's findings on those URLs hold
/// none of the categories of the case's findings; else not compliant, and a decided or closed
/// case goes back to investigation (audited), in the same transaction.
pub async fn record_recheck(
    store: &dyn Store,
    outcome: OutcomeId,
    sweep: SweepId,
    by: &Actor,
) -> Result<Compliance, CaseworkError> {
    let o = store
        .outcome(Scope::City, outcome)
        .await?
        .ok_or(CaseworkError::NoOutcome(outcome))?;
    let urls = match o.detail {
        OutcomeDetail::Rectification {
            urls,
            rechecked_at: None,
            ..
        } => urls,
        other => {
            return Err(CaseworkError::WrongOutcome {
                outcome,
                kind: other.kind(),
            })
        }
    };
    let recheck = store
        .sweep(sweep)
        .await?
        .ok_or(CaseworkError::NoSweep(sweep))?;
    let c = find(store, Scope::City, o.case_id).await?;
    let fetched = store.sweep_fetches(Scope::City, sweep).await?;
    for u in &urls {
        let ok = fetched.iter().any(|f| {
            f.fetch.error.is_none() && f.fetch.status.is_some() && same_url(&f.fetch.url, u)
        });
        if !ok {
            return Err(CaseworkError::NotRechecked {
                sweep,
                url: u.clone(),
            });
        }
    }
    let categories = case_categories(store, &c).await?;
    // A re-check sweep (`sweep::recheck`) links every finding its pages show, also one stored
    // before (findings are kept once per site, rule and excerpt): a violation still there.
    let seen = if recheck.kind == store::SweepKind::Recheck {
        store.recheck_findings(Scope::City, sweep).await?
    } else {
        store.sweep_findings(Scope::City, sweep).await?
    };
    let findings: Vec<FindingId> = seen
        .into_iter()
        .filter(|f| categories.contains(&f.finding.category))
        .filter(|f| urls.iter().any(|u| same_url(&f.finding.url, u)))
        .map(|f| f.id)
        .collect();
    let compliant = findings.is_empty();
    let reopen_from = (!compliant && matches!(c.stage, CaseStage::Decided | CaseStage::Closed))
        .then_some(c.stage);
    store
        .record_recheck(
            &Recheck {
                outcome,
                sweep,
                compliant,
                reopen_from,
            },
            by,
        )
        .await?;
    Ok(if compliant {
        Compliance::Compliant
    } else {
        Compliance::NotCompliant { findings }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_from_yuan() {
        assert_eq!(parse_fen("573800.00"), Ok(57_380_000));
        assert_eq!(parse_fen("12.5"), Ok(1250));
        assert_eq!(parse_fen("0"), Ok(0));
        assert_eq!(parse_fen(" 3 "), Ok(300));
        assert_eq!(parse_fen("-1"), Err(FenError::Negative));
        assert_eq!(parse_fen("1.234"), Err(FenError::TooPrecise));
        assert_eq!(parse_fen(""), Err(FenError::Empty));
        assert!(matches!(parse_fen("1e3"), Err(FenError::NotANumber(_))));
        assert!(matches!(parse_fen(".5"), Err(FenError::NotANumber(_))));
        assert!(matches!(parse_fen("+5"), Err(FenError::NotANumber(_))));
        assert_eq!(parse_fen("99999999999999999999"), Err(FenError::TooLarge));
    }

    #[test]
    fn urls_compare_canonically() {
        assert!(same_url("http://a.test", "http://a.test/"));
        assert!(same_url("HTTP://A.test/x", "http://a.test/x"));
        assert!(!same_url("http://a.test/x", "http://a.test/y"));
    }
}
