//! Time as people read it: Beijing time (China Standard Time, UTC+8, no daylight saving), in
//! one format with its zone marked. The store and every machine output (JSON, RFC 3339, WARC,
//! logs) keep UTC; a time becomes Beijing time only where a person reads it — the console, the
//! portal, printed documents, reports, the command line's tables — and always through here.
//!
//! Days are Beijing days too: "today", a deadline's day and a report's period start and end at
//! Beijing midnight.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// Beijing's offset from UTC, in seconds.
pub const BEIJING_OFFSET_SECS: i32 = 8 * 3600;

/// The zone's mark, written after every time a person reads.
pub const ZONE_MARK: &str = "北京时间";

/// The format of a time a person reads, before its zone mark.
pub const SHOWN_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Beijing's offset.
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(BEIJING_OFFSET_SECS).expect("UTC+8 is a valid offset")
}

/// `t` on a Beijing clock.
pub fn to_beijing(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&beijing()).naive_local()
}

/// The Beijing date of `t`.
pub fn beijing_date(t: DateTime<Utc>) -> NaiveDate {
    to_beijing(t).date()
}

/// The instant a Beijing day starts (its midnight), in UTC.
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    (d.and_hms_opt(0, 0, 0).expect("midnight exists")
        - chrono::Duration::seconds(i64::from(BEIJING_OFFSET_SECS)))
    .and_utc()
}

/// A time as a person reads it: `2026-12-06 10:50:00 北京时间`.
pub fn shown(t: DateTime<Utc>) -> String {
    format!("{} {ZONE_MARK}", to_beijing(t).format(SHOWN_FORMAT))
}

/// [`shown`], or `—` for none.
pub fn shown_opt(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".to_string(), shown)
}

/// A time given as text by a person: `YYYY-MM-DD HH:MM[:SS]` (or with a `T`, as an HTML
/// `datetime-local` field sends it) read as Beijing time, or an RFC 3339 time with its own
/// offset. `None` when it is neither.
pub fn parse_shown(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    let t = t.strip_suffix(ZONE_MARK).map_or(t, str::trim_end);
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Some(at.with_timezone(&Utc));
    }
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .and_then(|local| local.and_local_timezone(beijing()).single())
    .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shown_in_beijing_with_its_zone() {
        let t = Utc.with_ymd_and_hms(2026, 12, 5, 18, 30, 5).unwrap();
        assert_eq!(shown(t), "2026-12-06 02:30:05 北京时间");
        assert_eq!(
            beijing_date(t),
            NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
        );
        assert_eq!(shown_opt(None), "—");
    }

    #[test]
    fn a_day_starts_at_beijing_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert_eq!(
            day_start(d),
            Utc.with_ymd_and_hms(2026, 12, 5, 16, 0, 0).unwrap()
        );
        assert_eq!(beijing_date(day_start(d)), d);
        assert_eq!(
            beijing_date(day_start(d) - chrono::Duration::seconds(1)),
            d.pred_opt().unwrap()
        );
    }

    #[test]
    fn what_a_person_writes_reads_back() {
        let t = Utc.with_ymd_and_hms(2026, 3, 5, 10, 20, 0).unwrap();
        assert_eq!(parse_shown(&shown(t)), Some(t));
        assert_eq!(parse_shown("2026-03-05T18:20"), Some(t));
        assert_eq!(parse_shown("2026-03-05T10:20:00Z"), Some(t));
        assert_eq!(parse_shown("yesterday"), None);
    }
}
