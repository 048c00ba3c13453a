//! Five-field cron expressions (`minute hour day-of-month month day-of-week`), evaluated in a
//! fixed UTC offset (the bureau's time zone, UTC+8 by default; no daylight saving).
//!
//! Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n` or `a/n`, or a list of
//! those separated by commas. Day of week is 0–7 (0 and 7 are Sunday). As in classic cron, when
//! both day-of-month and day-of-week are restricted (neither is `*`), a day matching either one
//! matches. Names (`MON`, `JAN`) are not accepted. Errors name the field and what is wrong.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Timelike, Utc};
use std::fmt;
use std::str::FromStr;

/// A field of a cron expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronField {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl CronField {
    const ALL: [CronField; 5] = [
        CronField::Minute,
        CronField::Hour,
        CronField::DayOfMonth,
        CronField::Month,
        CronField::DayOfWeek,
    ];

    /// The field's allowed values.
    pub fn range(self) -> (u32, u32) {
        match self {
            CronField::Minute => (0, 59),
            CronField::Hour => (0, 23),
            CronField::DayOfMonth => (1, 31),
            CronField::Month => (1, 12),
            CronField::DayOfWeek => (0, 7),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            CronField::Minute => "minute",
            CronField::Hour => "hour",
            CronField::DayOfMonth => "day_of_month",
            CronField::Month => "month",
            CronField::DayOfWeek => "day_of_week",
        }
    }

    /// The field's name for people.
    pub fn title(self) -> &'static str {
        match self {
            CronField::Minute => "分钟",
            CronField::Hour => "小时",
            CronField::DayOfMonth => "日",
            CronField::Month => "月",
            CronField::DayOfWeek => "星期",
        }
    }
}

/// What is wrong with a cron expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    /// Not five fields separated by spaces.
    #[error(
        "a cron expression has 5 fields (minute hour day-of-month month day-of-week), got {got}"
    )]
    FieldCount { got: usize },
    /// A field's text is not a number, range, step or list of them.
    #[error("cron field {}: {text:?} is not a number, range, step or list", field.code())]
    Syntax { field: CronField, text: String },
    /// A number outside the field's range.
    #[error("cron field {}: {value} is outside {min}-{max}", field.code())]
    OutOfRange {
        field: CronField,
        value: u32,
        min: u32,
        max: u32,
    },
    /// A range whose start is after its end.
    #[error("cron field {}: range {from}-{to} runs backwards", field.code())]
    Backwards {
        field: CronField,
        from: u32,
        to: u32,
    },
    /// A step of 0.
    #[error("cron field {}: a step must be at least 1", field.code())]
    ZeroStep { field: CronField },
}

/// A parsed cron expression: for each field, the set of values it allows (a bit set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Whether day-of-month / day-of-week were `*` (for the either-day rule).
    any_day: bool,
    any_weekday: bool,
}

impl Cron {
    /// Parses five whitespace-separated fields.
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(CronError::FieldCount { got: parts.len() });
        }
        let mut sets = [0u64; 5];
        for (i, field) in CronField::ALL.into_iter().enumerate() {
            sets[i] = parse_field(field, parts[i])?;
        }
        // Sunday is 0 and 7.
        if sets[4] & (1 << 7) != 0 {
            sets[4] |= 1;
        }
        Ok(Cron {
            text: parts.join(" "),
            minutes: sets[0],
            hours: sets[1],
            days: sets[2],
            months: sets[3],
            weekdays: sets[4] & 0x7f,
            any_day: parts[2] == "*",
            any_weekday: parts[4] == "*",
        })
    }

    /// The expression as written (fields joined by one space).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        let dom = self.days & (1 << date.day()) != 0;
        let dow = self.weekdays & (1 << date.weekday().num_days_from_sunday()) != 0;
        match (self.any_day, self.any_weekday) {
            (false, false) => dom || dow,
            _ => dom && dow,
        }
    }

    /// Whether the minute starting at `t` (seconds ignored) matches, read in `offset`.
    pub fn matches(&self, t: DateTime<Utc>, offset: FixedOffset) -> bool {
        let local = t.with_timezone(&offset);
        self.months & (1 << local.month()) != 0
            && self.day_matches(local.date_naive())
            && self.hours & (1 << local.hour()) != 0
            && self.minutes & (1 << local.minute()) != 0
    }

    /// The first matching minute strictly after `t`, read in `offset`; `None` when none comes
    /// within eight years (an expression such as `0 0 31 2 *` never matches).
    pub fn next_after(&self, t: DateTime<Utc>, offset: FixedOffset) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&offset);
        // The next whole minute after `t`.
        let start = local
            .with_second(0)
            .and_then(|l| l.with_nanosecond(0))
            .expect("second 0 exists")
            + Duration::minutes(1);
        let mut date = start.date_naive();
        let mut first_day = true;
        let last = date + Duration::days(366 * 8);
        while date <= last {
            if self.months & (1 << date.month()) != 0 && self.day_matches(date) {
                let (from_h, from_m) = if first_day {
                    (start.hour(), start.minute())
                } else {
                    (0, 0)
                };
                for h in from_h..24 {
                    if self.hours & (1 << h) == 0 {
                        continue;
                    }
                    let m0 = if h == from_h { from_m } else { 0 };
                    for m in m0..60 {
                        if self.minutes & (1 << m) != 0 {
                            let naive = date.and_hms_opt(h, m, 0).expect("valid time");
                            let at = offset
                                .from_local_datetime(&naive)
                                .single()
                                .expect("a fixed offset has one local time");
                            return Some(at.with_timezone(&Utc));
                        }
                    }
                }
            }
            first_day = false;
            date = date.succ_opt()?;
        }
        None
    }

    /// The last matching minute at or before `t` (seconds ignored), read in `offset`, within
    /// the `window` before `t`; `None` when none falls in it.
    pub fn last_at_or_before(
        &self,
        t: DateTime<Utc>,
        offset: FixedOffset,
        window: Duration,
    ) -> Option<DateTime<Utc>> {
        let floor = t.with_second(0)?.with_nanosecond(0)?;
        // Step back minute by minute over days that can match, day by day over those that
        // cannot.
        let earliest = t - window;
        let mut at = floor;
        while at >= earliest {
            let local = at.with_timezone(&offset);
            if self.months & (1 << local.month()) == 0 || !self.day_matches(local.date_naive()) {
                // Jump to the last minute of the previous local day.
                let midnight = local
                    .date_naive()
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight exists");
                let midnight = offset
                    .from_local_datetime(&midnight)
                    .single()
                    .expect("a fixed offset has one local time")
                    .with_timezone(&Utc);
                at = midnight - Duration::minutes(1);
                continue;
            }
            if self.matches(at, offset) {
                return Some(at);
            }
            at -= Duration::minutes(1);
        }
        None
    }
}

impl FromStr for Cron {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cron::parse(s)
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_field(field: CronField, text: &str) -> Result<u64, CronError> {
    let (min, max) = field.range();
    let syntax = || CronError::Syntax {
        field,
        text: text.to_string(),
    };
    let number = |s: &str| -> Result<u32, CronError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 4 {
            return Err(syntax());
        }
        let v: u32 = s.parse().map_err(|_| syntax())?;
        if v < min || v > max {
            return Err(CronError::OutOfRange {
                field,
                value: v,
                min,
                max,
            });
        }
        Ok(v)
    };
    let mut set = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 4 {
                    return Err(syntax());
                }
                let step: u32 = s.parse().map_err(|_| syntax())?;
                if step == 0 {
                    return Err(CronError::ZeroStep { field });
                }
                (r, Some(step))
            }
            None => (item, None),
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (number(a)?, number(b)?);
            if a > b {
                return Err(CronError::Backwards {
                    field,
                    from: a,
                    to: b,
                });
            }
            (a, b)
        } else {
            let a = number(range)?;
            // `a/n` runs from a to the end of the field.
            (a, if step.is_some() { max } else { a })
        };
        let step = step.unwrap_or(1);
        let mut v = from;
        while v <= to {
            set |= 1 << v;
            v += step;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn plus8() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    /// The next `n` times after `from`, as RFC 3339 in UTC+8.
    fn next_n(expr: &str, from: &str, n: usize) -> Vec<String> {
        let cron = Cron::parse(expr).unwrap();
        let mut t = utc(from);
        let mut out = Vec::new();
        for _ in 0..n {
            t = cron.next_after(t, plus8()).unwrap();
            out.push(t.with_timezone(&plus8()).to_rfc3339());
        }
        out
    }

    #[test]
    fn nightly_at_two_in_the_bureau_s_time_zone() {
        // 2 a.m. in Nanning is 18:00 UTC the day before.
        assert_eq!(
            next_n("0 2 * * *", "2026-03-01T17:59:30Z", 2),
            ["2026-03-02T02:00:00+08:00", "2026-03-03T02:00:00+08:00"]
        );
        // Exactly at a match: the next one is the day after.
        assert_eq!(
            next_n("0 2 * * *", "2026-03-01T18:00:00Z", 1),
            ["2026-03-03T02:00:00+08:00"]
        );
        // Across the UTC date line: 07:30 local is 23:30 UTC the previous day.
        let cron = Cron::parse("30 7 * * *").unwrap();
        assert!(cron.matches(utc("2026-03-01T23:30:00Z"), plus8()));
        assert!(!cron.matches(utc("2026-03-01T07:30:00Z"), plus8()));
        // UTC itself.
        let utc0 = FixedOffset::east_opt(0).unwrap();
        assert!(cron.matches(utc("2026-03-01T07:30:00Z"), utc0));
    }

    #[test]
    fn lists_ranges_and_steps() {
        assert_eq!(
            next_n("*/15 9-10 * * *", "2026-03-02T01:50:00Z", 5),
            [
                "2026-03-02T10:00:00+08:00",
                "2026-03-02T10:15:00+08:00",
                "2026-03-02T10:30:00+08:00",
                "2026-03-02T10:45:00+08:00",
                "2026-03-03T09:00:00+08:00",
            ]
        );
        assert_eq!(
            next_n("5,35 8-18/5 * * *", "2026-03-02T00:00:00Z", 4),
            [
                "2026-03-02T08:05:00+08:00",
                "2026-03-02T08:35:00+08:00",
                "2026-03-02T13:05:00+08:00",
                "2026-03-02T13:35:00+08:00",
            ]
        );
        // `a/n`: from a to the end of the field.
        assert_eq!(
            next_n("50/5 0 * * *", "2026-03-01T15:00:00Z", 3),
            [
                "2026-03-02T00:50:00+08:00",
                "2026-03-02T00:55:00+08:00",
                "2026-03-03T00:50:00+08:00",
            ]
        );
    }

    #[test]
    fn weekdays_months_and_either_day() {
        // 2026-03-02 is a Monday. Weekdays at 9.
        assert_eq!(
            next_n("0 9 * * 1-5", "2026-03-06T02:00:00Z", 2),
            ["2026-03-09T09:00:00+08:00", "2026-03-10T09:00:00+08:00"]
        );
        // Sunday as 7 and as 0.
        assert_eq!(
            next_n("0 0 * * 7", "2026-03-02T00:00:00Z", 1),
            next_n("0 0 * * 0", "2026-03-02T00:00:00Z", 1)
        );
        // Day 1 or any Monday (both restricted: either matches).
        assert_eq!(
            next_n("0 0 1 * 1", "2026-03-24T00:00:00Z", 3),
            [
                "2026-03-30T00:00:00+08:00",
                "2026-04-01T00:00:00+08:00",
                "2026-04-06T00:00:00+08:00",
            ]
        );
        // 29 February: the next leap year.
        assert_eq!(
            next_n("0 12 29 2 *", "2026-03-01T00:00:00Z", 1),
            ["2028-02-29T12:00:00+08:00"]
        );
        // Never.
        assert_eq!(
            Cron::parse("0 0 31 2 *")
                .unwrap()
                .next_after(utc("2026-01-01T00:00:00Z"), plus8()),
            None
        );
    }

    #[test]
    fn the_last_due_time_within_a_window() {
        let cron = Cron::parse("0 2 * * *").unwrap();
        let day = Duration::days(1);
        assert_eq!(
            cron.last_at_or_before(utc("2026-03-01T18:00:40Z"), plus8(), day),
            Some(utc("2026-03-01T18:00:00Z"))
        );
        assert_eq!(
            cron.last_at_or_before(utc("2026-03-02T17:59:00Z"), plus8(), day),
            Some(utc("2026-03-01T18:00:00Z"))
        );
        assert_eq!(
            cron.last_at_or_before(utc("2026-03-02T17:59:00Z"), plus8(), Duration::hours(2)),
            None
        );
        let weekly = Cron::parse("30 3 * * 1").unwrap();
        assert_eq!(
            weekly.last_at_or_before(utc("2026-03-05T00:00:00Z"), plus8(), Duration::days(7)),
            Some(utc("2026-03-01T19:30:00Z"))
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = |s: &str| Cron::parse(s).unwrap_err();
        assert_eq!(e("0 2 * *"), CronError::FieldCount { got: 4 });
        assert_eq!(e(""), CronError::FieldCount { got: 0 });
        assert_eq!(
            e("60 2 * * *"),
            CronError::OutOfRange {
                field: CronField::Minute,
                value: 60,
                min: 0,
                max: 59
            }
        );
        assert_eq!(
            e("0 24 * * *"),
            CronError::OutOfRange {
                field: CronField::Hour,
                value: 24,
                min: 0,
                max: 23
            }
        );
        assert_eq!(
            e("0 2 0 * *"),
            CronError::OutOfRange {
                field: CronField::DayOfMonth,
                value: 0,
                min: 1,
                max: 31
            }
        );
        assert_eq!(
            e("0 2 * 5-3 *"),
            CronError::Backwards {
                field: CronField::Month,
                from: 5,
                to: 3
            }
        );
        assert_eq!(
            e("0 2 * * */0"),
            CronError::ZeroStep {
                field: CronField::DayOfWeek
            }
        );
        assert_eq!(
            e("0 2 * * MON"),
            CronError::Syntax {
                field: CronField::DayOfWeek,
                text: "MON".into()
            }
        );
        assert_eq!(
            e("0 2,,3 * * *"),
            CronError::Syntax {
                field: CronField::Hour,
                text: "2,,3".into()
            }
        );
        assert_eq!(
            e("-1 2 * * *"),
            CronError::Syntax {
                field: CronField::Minute,
                text: "-1".into()
            }
        );
        assert_eq!(Cron::parse("0  2 * *  *").unwrap().as_str(), "0 2 * * *");
    }
}
