//! When a failed attempt is tried again, and when a delivery is given up.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// The waits after the first attempts; after the last of them, hourly.
const BACKOFF: [Duration; 5] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(60 * 60),
];

/// No attempt is made later than this after the delivery was created.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The wait before the attempt after attempt number `attempt` (from 1): the receiver's own
/// `Retry-After` when it sent one, else the backoff. `None` when that attempt would come more
/// than [`GIVE_UP_AFTER`] after `created_at`.
pub fn next_wait(
    attempt: u32,
    retry_after: Option<Duration>,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Duration> {
    let backoff = BACKOFF
        .get(attempt.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(BACKOFF[BACKOFF.len() - 1]);
    let wait = retry_after.unwrap_or(backoff);
    let next = now + TimeDelta::from_std(wait).ok()?;
    let last = created_at + TimeDelta::from_std(GIVE_UP_AFTER).ok()?;
    (next <= last).then_some(wait)
}

/// A `Retry-After` value: seconds, or an HTTP date (a date in the past is "now").
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_then_hourly_until_a_day() {
        let t0 = Utc::now();
        let waits: Vec<u64> = (1..=7)
            .map(|n| next_wait(n, None, t0, t0).unwrap().as_secs())
            .collect();
        assert_eq!(waits, [5, 30, 120, 600, 3600, 3600, 3600]);
        let late = t0 + TimeDelta::hours(23) + TimeDelta::minutes(30);
        assert_eq!(next_wait(20, None, t0, late), None, "past 24 h");
        assert_eq!(
            next_wait(20, Some(Duration::from_secs(60)), t0, late),
            Some(Duration::from_secs(60)),
            "Retry-After within the day"
        );
        assert_eq!(
            next_wait(1, Some(Duration::from_secs(1)), t0, t0),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
