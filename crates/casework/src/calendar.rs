//! Working days: Monday to Friday, less public holidays, plus the weekend days a year's
//! holiday schedule makes working days (调休). Statutory limits in working days are counted
//! on it. Pure: the dates come from [`crate::Limits`].

use chrono::{Datelike, NaiveDate, Weekday};

/// A working-day calendar over a list of holidays and of extra working days.
#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a> {
    holidays: &'a [NaiveDate],
    workdays: &'a [NaiveDate],
}

impl<'a> Calendar<'a> {
    pub fn new(holidays: &'a [NaiveDate], workdays: &'a [NaiveDate]) -> Calendar<'a> {
        Calendar { holidays, workdays }
    }

    /// Whether `day` is a working day: a listed extra working day is; a holiday is not; else
    /// Monday to Friday.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        if self.holidays.contains(&day) {
            return false;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The `n`th working day after `from` (`from` itself not counted; `n` = 0 is `from`).
    /// "Within 15 working days of the 1st" ends on the day this returns.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().expect("a date before the end of time");
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weekends_are_skipped() {
        let c = Calendar::new(&[], &[]);
        // 2024-03-01 is a Friday.
        let check = |n, want| assert_eq!(c.add_working_days(d("2024-03-01"), n), d(want), "{n}");
        check(0, "2024-03-01");
        check(1, "2024-03-04");
        check(5, "2024-03-08");
        check(15, "2024-03-22");
        // From a Saturday, the first working day is Monday.
        assert_eq!(c.add_working_days(d("2024-03-02"), 1), d("2024-03-04"));
        assert!(!c.is_working_day(d("2024-03-03")));
    }

    #[test]
    fn holidays_are_skipped_and_make_up_days_count() {
        // National Day 2024: 1–7 October off; Sunday 29 September and Saturday 12 October
        // are working days.
        let holidays: Vec<NaiveDate> = (1..=7).map(|i| d(&format!("2024-10-0{i}"))).collect();
        let workdays = [d("2024-09-29"), d("2024-10-12")];
        let c = Calendar::new(&holidays, &workdays);
        // Friday 27 September: next come Sunday 29 (make-up) and Monday 30, then 8 October.
        assert_eq!(c.add_working_days(d("2024-09-27"), 1), d("2024-09-29"));
        assert_eq!(c.add_working_days(d("2024-09-27"), 2), d("2024-09-30"));
        assert_eq!(c.add_working_days(d("2024-09-27"), 3), d("2024-10-08"));
        // 8–11 October, then the make-up Saturday 12.
        assert_eq!(c.add_working_days(d("2024-09-30"), 5), d("2024-10-12"));
        assert!(!c.is_working_day(d("2024-10-02")));
        assert!(c.is_working_day(d("2024-09-29")));
    }
}
