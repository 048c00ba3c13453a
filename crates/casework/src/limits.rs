//! The time limits of the procedure, from the `[casework]` table of `wangjian.toml`. The
//! defaults are the spec's (`../shared/spec/casework.md`); a deployment changes them when the
//! rules change. A limit is applied when a row is written and stored as a date, so a changed
//! limit never moves a deadline already set.

use crate::calendar;
use chrono::NaiveDate;
use domain::Severity;
use serde::{Deserialize, Serialize};

/// Every time limit of casework, and the working-day calendar they are counted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Working days to verify a clue from its discovery (spec: 15).
    pub verify_working_days: u32,
    /// Working days a verification may be extended by, once, with approval (spec: 15).
    pub verify_extension_working_days: u32,
    /// Days from opening a case to its decision (spec: 90).
    pub decide_days: u32,
    /// Days a decision limit may be extended by with approval (spec: 30).
    pub decide_extension_days: u32,
    /// Days of one grouping window: a sweep's findings of one site and category group within
    /// the same window feed the same clue.
    pub group_window_days: u32,
    /// Working days a district has to answer a dispatched clue, by severity.
    pub dispatch_working_days: DispatchDays,
    /// Public holidays (no working day), `YYYY-MM-DD`.
    pub holidays: Vec<NaiveDate>,
    /// Weekend days that are working days (调休), `YYYY-MM-DD`.
    pub workdays: Vec<NaiveDate>,
    /// The bureau's case number prefix; a case number is `<prefix>〔<year>〕<serial>号`.
    pub case_number_prefix: String,
    /// Working days to accept or refuse a complaint from its receipt (spec: 7).
    pub complaint_accept_days: u32,
    /// Working days from a complaint's acceptance after which mediation without agreement
    /// ends (spec: 45).
    pub mediation_days: u32,
    /// Working days to verify a report from its receipt (spec: 15, a clue's limit).
    pub report_verification_days: u32,
    /// Minutes within which the same contact, subject and text is refused as a duplicate.
    pub complaint_duplicate_minutes: u32,
}

/// A district's answer deadline per severity, in working days. The defaults follow urgency:
/// a critical clue (gambling, a hijacked site, prohibited goods) is answered the next working
/// day; a high one within 3; medium within 10; low within the statutory 15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchDays {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
}

impl Default for DispatchDays {
    fn default() -> Self {
        DispatchDays {
            critical: 1,
            high: 3,
            medium: 10,
            low: 15,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            verify_working_days: 15,
            verify_extension_working_days: 15,
            decide_days: 90,
            decide_extension_days: 30,
            group_window_days: 30,
            dispatch_working_days: DispatchDays::default(),
            holidays: Vec::new(),
            workdays: Vec::new(),
            case_number_prefix: "南市监网案".into(),
            complaint_accept_days: 7,
            mediation_days: 45,
            report_verification_days: 15,
            complaint_duplicate_minutes: 10,
        }
    }
}

/// A configuration value that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    #[error("casework.{0} must be at least 1")]
    Zero(&'static str),
    #[error("{0} is both a holiday and a working day")]
    BothHolidayAndWorkday(NaiveDate),
}

impl Limits {
    /// Checks the values (every limit at least one day; no date both a holiday and a working
    /// day).
    pub fn validate(&self) -> Result<(), LimitsError> {
        for (name, v) in [
            ("verify_working_days", self.verify_working_days),
            (
                "verify_extension_working_days",
                self.verify_extension_working_days,
            ),
            ("decide_days", self.decide_days),
            ("decide_extension_days", self.decide_extension_days),
            ("group_window_days", self.group_window_days),
            (
                "dispatch_working_days.critical",
                self.dispatch_working_days.critical,
            ),
            (
                "dispatch_working_days.high",
                self.dispatch_working_days.high,
            ),
            (
                "dispatch_working_days.medium",
                self.dispatch_working_days.medium,
            ),
            ("dispatch_working_days.low", self.dispatch_working_days.low),
            ("complaint_accept_days", self.complaint_accept_days),
            ("mediation_days", self.mediation_days),
            ("report_verification_days", self.report_verification_days),
            (
                "complaint_duplicate_minutes",
                self.complaint_duplicate_minutes,
            ),
        ] {
            if v == 0 {
                return Err(LimitsError::Zero(name));
            }
        }
        if let Some(d) = self.holidays.iter().find(|d| self.workdays.contains(d)) {
            return Err(LimitsError::BothHolidayAndWorkday(*d));
        }
        Ok(())
    }

    /// The working-day calendar of these limits.
    pub fn calendar(&self) -> calendar::Calendar<'_> {
        calendar::Calendar::new(&self.holidays, &self.workdays)
    }

    /// A district's deadline for a clue of `severity` dispatched on `today`.
    pub fn dispatch_due(&self, severity: Severity, today: NaiveDate) -> NaiveDate {
        let d = &self.dispatch_working_days;
        let days = match severity {
            Severity::Critical => d.critical,
            Severity::High => d.high,
            Severity::Medium => d.medium,
            Severity::Low => d.low,
        };
        self.calendar().add_working_days(today, days)
    }

    /// The verification limit of a clue discovered on `day`.
    pub fn verify_by(&self, day: NaiveDate) -> NaiveDate {
        self.calendar()
            .add_working_days(day, self.verify_working_days)
    }

    /// The decision limit of a case opened on `day`.
    pub fn decide_by(&self, day: NaiveDate) -> NaiveDate {
        day + chrono::Days::new(self.decide_days.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_specs_and_valid() {
        let l = Limits::default();
        assert_eq!(
            (
                l.verify_working_days,
                l.decide_days,
                l.decide_extension_days
            ),
            (15, 90, 30)
        );
        l.validate().unwrap();
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(); // a Friday
        assert_eq!(
            l.dispatch_due(Severity::Critical, day),
            NaiveDate::from_ymd_opt(2024, 3, 4).unwrap()
        );
        assert_eq!(
            l.decide_by(day),
            NaiveDate::from_ymd_opt(2024, 5, 30).unwrap()
        );
        let bad = Limits {
            decide_days: 0,
            ..Limits::default()
        };
        assert_eq!(bad.validate(), Err(LimitsError::Zero("decide_days")));
    }

    #[test]
    fn a_partial_table_keeps_the_other_defaults_and_unknown_keys_fail() {
        let l: Limits = serde_json::from_value(serde_json::json!({
            "verify_working_days": 10,
            "dispatch_working_days": { "high": 2 },
            "holidays": ["2024-10-01"],
        }))
        .unwrap();
        assert_eq!(l.verify_working_days, 10);
        assert_eq!(l.dispatch_working_days.high, 2);
        assert_eq!(l.dispatch_working_days.low, 15);
        assert_eq!(l.holidays, [NaiveDate::from_ymd_opt(2024, 10, 1).unwrap()]);
        assert!(serde_json::from_value::<Limits>(serde_json::json!({ "verify_days": 1 })).is_err());
    }
}
