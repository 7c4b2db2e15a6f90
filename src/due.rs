//! Due dates, one rule everywhere: a due date is a calendar day in UTC.
//! Work submitted after the end of that day (UTC) is late, and from the next
//! UTC day an unfinished exercise is past due — the same answer for the
//! learner's `genpath path`, the studio, `collect` and every report,
//! whatever time zone each of them runs in.

use chrono::{DateTime, NaiveDate, Utc};

/// A due date as written in assignments (`YYYY-MM-DD`).
pub fn parse_day(day: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// Whether work submitted at `submitted_at` (RFC 3339) misses the due day.
/// No due date, or a time that does not parse, is never late.
pub fn is_late(submitted_at: &str, due: Option<&str>) -> bool {
    let Some(due) = due.and_then(parse_day) else { return false };
    DateTime::parse_from_rfc3339(submitted_at).is_ok_and(|t| t.with_timezone(&Utc).date_naive() > due)
}

/// Whether the due day has passed at `now`.
pub fn is_past(due: &str, now: DateTime<Utc>) -> bool {
    parse_day(due).is_some_and(|d| now.date_naive() > d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_means_after_the_due_day_in_utc() {
        assert!(!is_late("2026-12-04T23:59:59.000Z", Some("2026-12-04")));
        assert!(is_late("2026-12-05T00:00:01.000Z", Some("2026-12-04")));
        // 00:30 in UTC+1 is still the 4th in UTC.
        assert!(!is_late("2026-12-05T00:30:00+01:00", Some("2026-12-04")));
        assert!(!is_late("2030-01-01T00:00:00.000Z", None));
        assert!(!is_late("not a time", Some("2026-12-04")));
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(!is_past("2026-12-04", at("2026-12-04T23:00:00Z")));
        assert!(is_past("2026-12-04", at("2026-12-05T00:00:00Z")));
        assert!(!is_past("someday", at("2026-12-05T00:00:00Z")));
    }
}
