//! Brute-force throttling: an address that fails authentication too often in a window is
//! refused for a while (the API answers 429; SIP drops its requests). Memory is bounded
//! however many addresses try.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When an address gets banned, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures allowed within `window` before the ban.
    pub max_failures: u32,
    /// The counting window.
    pub window: Duration,
    /// How long a ban lasts.
    pub ban: Duration,
    /// The most addresses tracked at once.
    pub max_tracked: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy { max_failures: 10, window: Duration::from_secs(60), ban: Duration::from_secs(300), max_tracked: 65_536 }
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    window_start: Instant,
    banned_until: Option<Instant>,
}

/// Failure counts per client address. Sans-IO: callers pass the time.
#[derive(Debug)]
pub struct Throttle {
    policy: ThrottlePolicy,
    records: Mutex<HashMap<IpAddr, Record>>,
}

impl Throttle {
    /// A throttle with `policy`.
    pub fn new(policy: ThrottlePolicy) -> Throttle {
        Throttle { policy, records: Mutex::new(HashMap::new()) }
    }

    /// The remaining ban of `addr` at `now`, if it is banned.
    pub fn banned(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let records = self.records.lock().ok()?;
        let until = records.get(&addr)?.banned_until?;
        until.checked_duration_since(now).filter(|d| !d.is_zero())
    }

    /// Counts a failure; answers whether `addr` is now banned.
    pub fn fail(&self, addr: IpAddr, now: Instant) -> bool {
        let Ok(mut records) = self.records.lock() else { return false };
        if records.len() >= self.policy.max_tracked && !records.contains_key(&addr) {
            let policy = self.policy;
            records.retain(|_, r| r.banned_until.is_some_and(|t| t > now) || now.duration_since(r.window_start) < policy.window);
            if records.len() >= self.policy.max_tracked {
                // Still full of live entries: refuse to grow; the newcomer is not tracked.
                return false;
            }
        }
        let record = records.entry(addr).or_insert(Record { failures: 0, window_start: now, banned_until: None });
        if now.duration_since(record.window_start) >= self.policy.window {
            *record = Record { failures: 0, window_start: now, banned_until: record.banned_until };
        }
        record.failures += 1;
        if record.failures >= self.policy.max_failures {
            record.banned_until = Some(now + self.policy.ban);
            tracing::warn!(%addr, failures = record.failures, ban_secs = self.policy.ban.as_secs(), "banning address after failed authentication");
            return true;
        }
        false
    }

    /// How many addresses are tracked (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.records.lock().map(|r| r.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy { max_failures: 3, window: Duration::from_secs(10), ban: Duration::from_secs(60), max_tracked: 4 }
    }

    #[test]
    fn bans_after_max_failures_and_lifts_after_ban() {
        let t = Throttle::new(policy());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        assert!(!t.fail(ip, t0));
        assert!(!t.fail(ip, t0 + Duration::from_secs(1)));
        assert!(t.banned(ip, t0).is_none());
        assert!(t.fail(ip, t0 + Duration::from_secs(2)));
        assert!(t.banned(ip, t0 + Duration::from_secs(3)).is_some());
        assert!(t.banned(ip, t0 + Duration::from_secs(63)).is_none());
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let t = Throttle::new(policy());
        let ip: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        t.fail(ip, t0);
        t.fail(ip, t0 + Duration::from_secs(5));
        assert!(!t.fail(ip, t0 + Duration::from_secs(11)), "window restarted");
    }

    #[test]
    fn memory_is_bounded() {
        let t = Throttle::new(policy());
        let t0 = Instant::now();
        for i in 0..100u8 {
            t.fail(IpAddr::from([198, 51, 100, i]), t0);
        }
        assert!(t.tracked() <= 4);
        // Once the window has passed, old entries make room again.
        t.fail(IpAddr::from([203, 0, 113, 1]), t0 + Duration::from_secs(30));
        assert!(t.tracked() <= 4);
        assert!(t.banned(IpAddr::from([203, 0, 113, 1]), t0).is_none());
    }
}
