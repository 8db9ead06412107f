//! How times are stored: fixed-width RFC 3339 UTC text with milliseconds, so that text order is
//! time order in SQL and every time read back equals the time written.

use chrono::{DateTime, DurationRound, SecondsFormat, TimeDelta, Utc};

use crate::JobsError;

/// Now, truncated to the stored precision.
pub(crate) fn now() -> DateTime<Utc> {
    floor_ms(Utc::now())
}

/// Now minus `d`, at the stored precision; never before 1970 (an "ago" that long is "ever").
pub(crate) fn ago(d: std::time::Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| now().checked_sub_signed(d))
        .filter(|t| *t > DateTime::UNIX_EPOCH)
        .unwrap_or(DateTime::UNIX_EPOCH)
}

pub(crate) fn floor_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
}

/// The smallest stored time that is not earlier than `t`.
pub(crate) fn ceil_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    let f = floor_ms(t);
    if f == t {
        f
    } else {
        f + TimeDelta::milliseconds(1)
    }
}

pub(crate) fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn from_text(s: &str) -> Result<DateTime<Utc>, JobsError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| JobsError::Database(format!("bad timestamp {s:?} in database: {e}")))
}

pub(crate) fn opt_from_text(s: Option<String>) -> Result<Option<DateTime<Utc>>, JobsError> {
    s.as_deref().map(from_text).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_fixed_width_and_round_trips() {
        let t = DateTime::parse_from_rfc3339("2026-11-29T02:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(to_text(floor_ms(t)), "2026-11-29T02:00:00.123Z");
        assert_eq!(to_text(ceil_ms(t)), "2026-11-29T02:00:00.124Z");
        let whole = DateTime::parse_from_rfc3339("2026-11-29T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(to_text(whole), "2026-11-29T02:00:00.000Z");
        assert_eq!(ceil_ms(whole), whole);
        assert_eq!(from_text(&to_text(floor_ms(t))).unwrap(), floor_ms(t));
        assert!(from_text("yesterday").is_err());
    }
}
