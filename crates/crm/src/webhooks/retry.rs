//! When a failed delivery is tried again: exponential backoff from `first` doubling up to
//! `max`, each delay shortened by up to a fifth at random (so that receivers coming back
//! are not hit by every sender at once), and given up on once the event is older than
//! `give_up_after`. Sans-IO: the caller gives the times and the random draw.

use std::time::Duration;
use time::OffsetDateTime;

/// The retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failure.
    pub first: Duration,
    /// The longest delay.
    pub max: Duration,
    /// How old an event may get before a failure makes it dead.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
            give_up_after: Duration::from_secs(86_400),
        }
    }
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again at this time.
    At(OffsetDateTime),
    /// The event is too old: give up.
    GiveUp,
}

/// The most a delay is shortened, as a fraction.
const JITTER: f64 = 0.2;

impl RetryPolicy {
    /// The delay after `failures` failed attempts (1 for the first), before jitter.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(32);
        self.first.saturating_mul(1u32 << doublings.min(31)).min(self.max)
    }

    /// What follows the `failures`-th failed attempt, made at `now`, of an event made at
    /// `created`; `draw` is uniform in [0, 1) and picks the jitter.
    pub fn after_failure(&self, failures: u32, created: OffsetDateTime, now: OffsetDateTime, draw: f64) -> Retry {
        if now - created >= self.give_up_after {
            return Retry::GiveUp;
        }
        let delay = self.backoff(failures).mul_f64(1.0 - JITTER * draw.clamp(0.0, 1.0));
        Retry::At(now + delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const START: OffsetDateTime = datetime!(2026-11-23 10:00:00 UTC);

    #[test]
    fn delays_double_from_the_first_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let delays: Vec<u64> = (1..=9).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(60), "no overflow");
        assert_eq!(policy.backoff(0), Duration::from_secs(1));
    }

    #[test]
    fn jitter_shortens_by_at_most_a_fifth() {
        let policy = RetryPolicy::default();
        let now = START + Duration::from_secs(100);
        assert_eq!(policy.after_failure(3, START, now, 0.0), Retry::At(now + Duration::from_secs(4)));
        assert_eq!(policy.after_failure(3, START, now, 0.5), Retry::At(now + Duration::from_millis(3600)));
        let Retry::At(earliest) = policy.after_failure(3, START, now, 0.999_999) else { panic!("gave up") };
        assert!(earliest >= now + Duration::from_millis(3200) && earliest < now + Duration::from_secs(4));
        assert_eq!(policy.after_failure(3, START, now, 7.0), Retry::At(now + Duration::from_millis(3200)), "clamped");
    }

    #[test]
    fn an_event_older_than_the_limit_is_given_up_at_its_next_failure() {
        let policy = RetryPolicy { give_up_after: Duration::from_secs(3600), ..RetryPolicy::default() };
        let almost = START + Duration::from_secs(3599);
        assert!(matches!(policy.after_failure(50, START, almost, 0.0), Retry::At(_)));
        assert_eq!(policy.after_failure(51, START, START + Duration::from_secs(3600), 0.0), Retry::GiveUp);
    }

    #[test]
    fn a_day_of_failures_at_the_default_schedule_is_about_1450_attempts() {
        // The default schedule on a receiver that never answers: the total work is bounded.
        let policy = RetryPolicy::default();
        let (mut now, mut failures) = (START, 0u32);
        loop {
            failures += 1;
            match policy.after_failure(failures, START, now, 0.0) {
                Retry::At(next) => now = next,
                Retry::GiveUp => break,
            }
        }
        assert!((1430..1450).contains(&failures), "{failures} attempts");
    }
}
