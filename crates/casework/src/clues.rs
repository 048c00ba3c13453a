//! Clues with a life: a sweep's findings grouped into clues and sent to districts
//! ([`group_sweep`]), sending by hand ([`dispatch`]), the district's answer ([`feedback`]) and
//! the one extension of the verification limit ([`extend_verification`]). Clues made by hand
//! (`store::clue::make_clue`) start as `new` with source `manual` and live the same life.
//!
//! # Grouping
//!
//! A sweep's findings (those a person did not dismiss or mark a false positive) are grouped
//! per site × category group (the part of the category code before the first `.`) × window.
//! Windows are `group_window_days` long and counted from 1970-01-01, so every sweep computes
//! the same window for the same day; a finding's window is that of the day it was found. The
//! group's key is `<site id>:<group>:<window start>`: the first clue of a group has it, and
//! later sweeps add their findings to that clue while it is open. A finding never feeds two
//! open clues (the store leaves out findings already in one). Once the group's clue is closed
//! (a case opened, not verified, transferred), findings of the same window start the window's
//! next clue, keyed `…#2`, `…#3`: a key, once given, names one clue for good.
//!
//! A new clue's severity is the highest of its findings (raised when later findings are
//! higher), its source `monitoring`, its verification limit counted from the day it is made,
//! and it is dispatched at once to the district of the site's entity; for a site without an
//! entity, to the district whose name the address its pages show contains (the discovery's
//! `shown.addresses`); with no address known, it stays `new` for the city to dispatch.

use crate::error::{CaseworkError, ClueStep, Field};
use crate::{optional, required, Limits};
use chrono::NaiveDate;
use domain::{
    category_group, ClueId, ClueState, DistrictCode, DistrictTable, NotVerifiedReason, Severity,
    SiteId, SweepId, Triage,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use store::{
    Actor, ClueClosing, ClueDispatch, DiscoveryFilter, Finding, GroupedClue, Scope, Store,
};

/// What [`group_sweep`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupReport {
    /// New clues made.
    pub created: Vec<ClueId>,
    /// Open clues that later findings joined.
    pub joined: Vec<ClueId>,
    /// Findings added to clues.
    pub findings: usize,
    /// New clues sent to a district at once.
    pub dispatched: usize,
    /// New clues left `new` for the city (no district known).
    pub undispatched: usize,
}

/// The start of the grouping window of `day`.
pub fn window_start(day: NaiveDate, window_days: u32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    let days = (day - epoch).num_days();
    let w = i64::from(window_days.max(1));
    epoch + chrono::Duration::days(days.div_euclid(w) * w)
}

/// The base of a group's clue keys.
pub fn group_base(site: SiteId, group: &str, window: NaiveDate) -> String {
    format!("{site}:{group}:{window}")
}

/// The current district (not the city itself) whose name the address contains; the longest
/// name wins.
pub fn district_of_address(
    table: &DistrictTable,
    address: &str,
    today: NaiveDate,
) -> Option<DistrictCode> {
    table
        .current(today)
        .filter(|d| d.code.as_u32() % 100 != 0 && !d.name.is_empty())
        .filter(|d| address.contains(d.name.as_str()))
        .max_by_key(|d| d.name.chars().count())
        .map(|d| d.code)
}

/// Groups sweep `sweep`'s findings into clues (see the module's documentation), dispatching
/// each new clue where its district is known. Run by the system after each sweep, as `by`.
pub async fn group_sweep(
    store: &dyn Store,
    sweep: SweepId,
    limits: &Limits,
    today: NaiveDate,
    by: &Actor,
) -> Result<GroupReport, CaseworkError> {
    group_sweep_paged(store, sweep, limits, today, by, FINDINGS_PAGE).await
}

/// [`group_sweep`], reading at first `page_size` findings at a time ([`group_sweep`] reads
/// 5,000); the result does not depend on it.
pub async fn group_sweep_paged(
    store: &dyn Store,
    sweep: SweepId,
    limits: &Limits,
    today: NaiveDate,
    by: &Actor,
    page_size: u32,
) -> Result<GroupReport, CaseworkError> {
    store
        .sweep(sweep)
        .await?
        .ok_or(CaseworkError::NoSweep(sweep))?;
    // The sweep's findings a page at a time, whole sites per page (a province's sweep has
    // hundreds of thousands): a full page's last site may go on in the next page, so its rows
    // wait for that page; a site that fills a page alone is read again with a larger one.
    let mut grouping = Grouping {
        table: DistrictTable::nanning(),
        shown: None,
        report: GroupReport::default(),
    };
    let (mut after, mut limit) = (None, page_size.max(1));
    loop {
        let mut page = store
            .sweep_findings_after(Scope::City, sweep, after, limit)
            .await?;
        let full = page.len() == limit as usize;
        if full {
            let last = page.last().map(|f| f.finding.site_id);
            let cut = page
                .iter()
                .position(|f| Some(f.finding.site_id) == last)
                .unwrap_or(0);
            if cut == 0 {
                limit = limit.saturating_mul(2);
                continue;
            }
            page.truncate(cut);
        }
        let Some(last) = page.last().map(|f| f.finding.site_id) else {
            break;
        };
        grouping.group(store, &page, limits, today, by).await?;
        after = Some(last);
        if !full {
            break;
        }
    }
    Ok(grouping.report)
}

/// Findings read a page at a time when a sweep's are grouped.
const FINDINGS_PAGE: u32 = 5_000;

/// What grouping a sweep's findings carries from one page to the next.
struct Grouping {
    table: DistrictTable,
    /// The addresses discovered sites' pages show, read when first needed.
    shown: Option<HashMap<SiteId, Vec<String>>>,
    report: GroupReport,
}

impl Grouping {
    /// Groups one page of findings (whole sites) into clues.
    async fn group(
        &mut self,
        store: &dyn Store,
        findings: &[Finding],
        limits: &Limits,
        today: NaiveDate,
        by: &Actor,
    ) -> Result<(), CaseworkError> {
        let Grouping {
            table,
            shown,
            report,
        } = self;
        let mut groups: BTreeMap<(SiteId, &'static str, NaiveDate), Vec<&Finding>> =
            BTreeMap::new();
        for f in findings {
            // The store lists only live findings; a suppressed one (a quotation, a trademark) is
            // never a clue, whatever lists it.
            if matches!(f.triage, Triage::Dismissed | Triage::FalsePositive) || !f.finding.is_live()
            {
                continue;
            }
            let window = window_start(f.finding.found_at.date_naive(), limits.group_window_days);
            groups
                .entry((
                    f.finding.site_id,
                    category_group(f.finding.category),
                    window,
                ))
                .or_default()
                .push(f);
        }
        for ((site_id, group, window), fs) in groups {
            let site = store.site(Scope::City, site_id).await?;
            let district = match site.as_ref().and_then(|s| s.district) {
                Some(d) => Some(d),
                None => {
                    if shown.is_none() {
                        *shown = Some(shown_addresses(store).await?);
                    }
                    shown
                        .as_ref()
                        .and_then(|m| m.get(&site_id))
                        .and_then(|addrs| {
                            addrs
                                .iter()
                                .find_map(|a| district_of_address(table, a, today))
                        })
                }
            };
            let severity = fs
                .iter()
                .map(|f| f.finding.severity)
                .max()
                .unwrap_or(Severity::Low);
            let owned: Vec<Finding> = fs.iter().map(|f| (*f).clone()).collect();
            let g = GroupedClue {
                site_id,
                group_base: group_base(site_id, group, window),
                findings: fs.iter().map(|f| f.id).collect(),
                severity,
                summary: store::clue::default_summary(&owned),
                verify_by: limits.verify_by(today),
                dispatch: district.map(|d| ClueDispatch {
                    district: d,
                    due_on: limits.dispatch_due(severity, today),
                    verify_by: limits.verify_by(today),
                    reason: None,
                }),
            };
            let Some(done) = store.group_clue(&g, by).await? else {
                continue;
            };
            report.findings += done.added;
            if done.created {
                report.created.push(done.clue);
                if done.dispatched {
                    report.dispatched += 1;
                } else {
                    report.undispatched += 1;
                }
            } else if !report.joined.contains(&done.clue) {
                report.joined.push(done.clue);
            }
        }
        Ok(())
    }
}

/// The addresses each discovered site's pages show, by its site row.
async fn shown_addresses(store: &dyn Store) -> Result<HashMap<SiteId, Vec<String>>, CaseworkError> {
    let all = store
        .list_discovered(Scope::City, &DiscoveryFilter::default())
        .await?;
    Ok(all
        .into_iter()
        .filter_map(|d| Some((d.site_id?, d.shown.addresses)))
        .collect())
}

/// Sends a clue in scope to a district (a current one of the table): a `new` clue, or a
/// `dispatched` one again, which needs a reason. The deadline is counted from `today` by the
/// clue's severity; the verification limit is set when the clue has none.
#[allow(clippy::too_many_arguments)]
pub async fn dispatch(
    store: &dyn Store,
    scope: Scope,
    clue: ClueId,
    district: DistrictCode,
    reason: Option<&str>,
    limits: &Limits,
    today: NaiveDate,
    by: &Actor,
) -> Result<(), CaseworkError> {
    let c = store
        .clue(scope, clue)
        .await?
        .ok_or(CaseworkError::NoClue(clue))?;
    if !DistrictTable::nanning()
        .current(today)
        .any(|d| d.code == district && d.code.as_u32() % 100 != 0)
    {
        return Err(CaseworkError::UnknownDistrict(district));
    }
    let reason = optional(Field::Reason, reason)?;
    match c.state {
        ClueState::New => {}
        ClueState::Dispatched if reason.is_some() => {}
        ClueState::Dispatched => return Err(CaseworkError::ReasonRequired(clue)),
        state => {
            return Err(CaseworkError::ClueState {
                clue,
                state,
                step: ClueStep::Dispatched,
            })
        }
    }
    store
        .dispatch_clue(
            clue,
            c.state,
            &ClueDispatch {
                district,
                due_on: limits.dispatch_due(c.severity, today),
                verify_by: limits.verify_by(today),
                reason,
            },
            by,
        )
        .await?;
    Ok(())
}

/// A district's answer on a dispatched clue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feedback {
    /// A violation is verified: a case may be opened from the clue.
    Verified { note: Option<String> },
    /// Not opened as a case, with the reason.
    NotVerified {
        reason: NotVerifiedReason,
        note: Option<String>,
    },
    /// Handed to the competent authority.
    Transferred { to: String, note: Option<String> },
}

/// Records a district's answer on a clue in scope that is `dispatched`.
pub async fn feedback(
    store: &dyn Store,
    scope: Scope,
    clue: ClueId,
    answer: Feedback,
    by: &Actor,
) -> Result<ClueState, CaseworkError> {
    let c = store
        .clue(scope, clue)
        .await?
        .ok_or(CaseworkError::NoClue(clue))?;
    if c.state != ClueState::Dispatched {
        return Err(CaseworkError::ClueState {
            clue,
            state: c.state,
            step: ClueStep::Answered,
        });
    }
    let closing = match answer {
        Feedback::Verified { note } => ClueClosing::Verified {
            note: optional(Field::Note, note.as_deref())?,
        },
        Feedback::NotVerified { reason, note } => ClueClosing::NotVerified {
            reason,
            note: optional(Field::Note, note.as_deref())?,
        },
        Feedback::Transferred { to, note } => ClueClosing::Transferred {
            to: required(Field::TransferredTo, &to)?,
            note: optional(Field::Note, note.as_deref())?,
        },
    };
    store.close_clue(clue, c.state, &closing, by).await?;
    Ok(closing.state())
}

/// Extends an open clue's verification limit by `verify_extension_working_days`, once (the
/// head's approval; the front ends ask for the dispatch permission). Returns the new limit.
pub async fn extend_verification(
    store: &dyn Store,
    scope: Scope,
    clue: ClueId,
    limits: &Limits,
    today: NaiveDate,
    by: &Actor,
) -> Result<NaiveDate, CaseworkError> {
    let c = store
        .clue(scope, clue)
        .await?
        .ok_or(CaseworkError::NoClue(clue))?;
    if !c.state.is_open() {
        return Err(CaseworkError::ClueState {
            clue,
            state: c.state,
            step: ClueStep::Extended,
        });
    }
    if c.extended {
        return Err(CaseworkError::AlreadyExtended(clue));
    }
    let from = c.verify_by.unwrap_or_else(|| limits.verify_by(today));
    let to = limits
        .calendar()
        .add_working_days(from, limits.verify_extension_working_days);
    store.extend_clue(clue, to, by).await?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn windows_are_fixed_from_the_epoch() {
        assert_eq!(window_start(d("1970-01-31"), 30), d("1970-01-31"));
        assert_eq!(window_start(d("1970-01-30"), 30), d("1970-01-01"));
        let a = window_start(d("2024-03-01"), 30);
        assert!(a <= d("2024-03-01") && d("2024-03-01") < a + chrono::Days::new(30));
        assert_eq!(window_start(a + chrono::Days::new(29), 30), a);
        assert_eq!(
            window_start(a + chrono::Days::new(30), 30),
            a + chrono::Days::new(30)
        );
        assert_eq!(group_base(SiteId(7), "ad", a), format!("7:ad:{a}"));
    }

    #[test]
    fn an_address_names_its_district() {
        let t = DistrictTable::nanning();
        let today = d("2024-03-01");
        let code = |s| DistrictCode::parse(s).unwrap();
        assert_eq!(
            district_of_address(&t, "南宁市青秀区民族大道1号", today),
            Some(code("450103"))
        );
        assert_eq!(
            district_of_address(&t, "广西南宁市横州市横州镇", today),
            Some(code("450181"))
        );
        // The city alone names no district; nor does another city.
        assert_eq!(district_of_address(&t, "南宁市民族大道1号", today), None);
        assert_eq!(district_of_address(&t, "柳州市城中区", today), None);
    }
}
