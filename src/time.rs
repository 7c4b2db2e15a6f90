//! Time, one set of rules everywhere: [`Timestamp`], a moment genpath
//! records (an attempt started, a bundle was submitted, a milestone was
//! reached), always in UTC; and due dates, a calendar day in UTC. Work
//! submitted after the end of that day (UTC) is late, and from the next UTC
//! day an unfinished exercise is past due — the same answer for the
//! learner's `genpath path`, the studio, `collect` and every report, whatever
//! time zone each of them runs in.

use std::fmt;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// A UTC moment to the millisecond. Written (in the database, bundles, JSON
/// and reports) as RFC 3339 with milliseconds and `Z`,
/// `2026-07-01T09:00:00.000Z`, so the text sorts in time order; read from any
/// RFC 3339 offset and converted to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

/// Text that is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{found:?} is not an ISO-8601 time (expected e.g. 2026-07-01T09:00:00.000Z)")]
pub struct BadTimestamp {
    pub found: String,
}

impl Timestamp {
    /// Now, to the millisecond (what is stored is what is compared).
    pub fn now() -> Self {
        Timestamp::from(Utc::now())
    }

    /// The UTC calendar day, the day due dates are compared with.
    pub fn day(&self) -> NaiveDate {
        self.0.date_naive()
    }

    /// Local time for people, to the minute.
    pub fn local(&self) -> String {
        self.0.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string()
    }

    /// The time as letters and digits only, `20260701T090000000Z`: for file
    /// and folder names (bundles, submission folders) that sort in time order.
    pub fn compact(&self) -> String {
        self.to_string().chars().filter(char::is_ascii_alphanumeric).collect()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        // Keep milliseconds only, so a value survives its own text unchanged.
        let ms = t.timestamp_millis();
        Timestamp(DateTime::from_timestamp_millis(ms).unwrap_or(t))
    }
}

impl std::str::FromStr for Timestamp {
    type Err = BadTimestamp;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp::from(t.with_timezone(&Utc)))
            .map_err(|_| BadTimestamp { found: s.chars().take(80).collect() })
    }
}

impl TryFrom<String> for Timestamp {
    type Error = BadTimestamp;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

/// A due date as written in assignments and on the command line (`YYYY-MM-DD`).
pub fn parse_day(day: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// Whether work submitted at `submitted_at` misses the due day. No due date
/// is never late.
pub fn is_late(submitted_at: &Timestamp, due: Option<NaiveDate>) -> bool {
    due.is_some_and(|due| submitted_at.day() > due)
}

/// Whether the due day has passed at `now`.
pub fn is_past(due: NaiveDate, now: &Timestamp) -> bool {
    now.day() > due
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_as_utc_millis_and_read_from_any_offset() {
        let t: Timestamp = "2026-12-05T00:30:00.1234+01:00".parse().unwrap();
        assert_eq!(t.to_string(), "2026-12-04T23:30:00.123Z");
        assert_eq!(t.day(), NaiveDate::from_ymd_opt(2026, 12, 4).unwrap());
        assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        let now = Timestamp::now();
        assert_eq!(now.to_string().parse::<Timestamp>().unwrap(), now);
        let later: Timestamp = "2026-12-04T23:31:00.623Z".parse().unwrap();
        assert_eq!(t.compact(), "20261204T233000123Z");
        assert!(t < later && t.to_string() < later.to_string());
        assert!("yesterday".parse::<Timestamp>().is_err());
        assert!(serde_json::from_str::<Timestamp>("\"2026-13-01T00:00:00Z\"").is_err());
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2026-12-04T23:30:00.123Z\"");
    }

    #[test]
    fn late_means_after_the_due_day_in_utc() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let due = parse_day("2026-12-04");
        assert!(!is_late(&at("2026-12-04T23:59:59.000Z"), due));
        assert!(is_late(&at("2026-12-05T00:00:01.000Z"), due));
        // 00:30 in UTC+1 is still the 4th in UTC.
        assert!(!is_late(&at("2026-12-05T00:30:00+01:00"), due));
        assert!(!is_late(&at("2030-01-01T00:00:00.000Z"), None));
        assert_eq!(parse_day("someday"), None);
        let due = parse_day("2026-12-04").unwrap();
        assert!(!is_past(due, &at("2026-12-04T23:00:00Z")));
        assert!(is_past(due, &at("2026-12-05T00:00:00Z")));
    }
}
