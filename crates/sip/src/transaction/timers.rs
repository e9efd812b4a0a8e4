//! Timer values and bookkeeping: the T1/T2/T4 configuration with the durations RFC 3261
//! derives from it (§17, Table 4 of Appendix A; RFC 6026 §8.11 for L and M), the names of
//! the timers, and the per-transaction record of which timers are armed for when.

use std::time::{Duration, Instant};

use thiserror::Error;

use super::{Output, Reliability};

/// Every transaction timeout is this many T1s: B, F, H, L and M (and J on UDP).
const TIMEOUT_T1S: u32 = 64;

/// Timer D is "at least 32 seconds" on unreliable transports (§17.1.1.2).
const MIN_TIMER_D: Duration = Duration::from_secs(32);

/// The three base timer values of RFC 3261 §17 (Table 4); every other timer derives from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    t1: Duration,
    t2: Duration,
    t4: Duration,
}

/// A [`Timers`] configuration that would break the state machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TimersError {
    /// T1 must be positive: retransmission intervals start at T1 and only double.
    #[error("T1 must be greater than zero")]
    ZeroT1,
    /// T2 caps the retransmission interval, so it cannot be below T1 (§17.1.2.2).
    #[error("T2 must not be smaller than T1")]
    T2BelowT1,
    /// 64*T1 must be representable as a [`Duration`].
    #[error("T1 is too large: 64*T1 overflows")]
    T1TooLarge,
}

impl Default for Timers {
    /// The RFC's defaults: T1 = 500 ms, T2 = 4 s, T4 = 5 s (§17.1.1.1, Table 4).
    fn default() -> Self {
        Timers { t1: Duration::from_millis(500), t2: Duration::from_secs(4), t4: Duration::from_secs(5) }
    }
}

impl Timers {
    /// A configuration with the given base values, checked so every derived timer is sane.
    pub fn new(t1: Duration, t2: Duration, t4: Duration) -> Result<Timers, TimersError> {
        if t1.is_zero() {
            return Err(TimersError::ZeroT1);
        }
        if t2 < t1 {
            return Err(TimersError::T2BelowT1);
        }
        if t1.checked_mul(TIMEOUT_T1S).is_none() {
            return Err(TimersError::T1TooLarge);
        }
        Ok(Timers { t1, t2, t4 })
    }

    /// T1, the round-trip time estimate: the first retransmission interval (A, E, G).
    pub fn t1(&self) -> Duration {
        self.t1
    }

    /// T2, the longest retransmission interval for non-INVITE requests and INVITE responses.
    pub fn t2(&self) -> Duration {
        self.t2
    }

    /// T4, the longest time a message stays in the network.
    pub fn t4(&self) -> Duration {
        self.t4
    }

    /// 64*T1: timers B, F, H, L and M, the lifetime of an unanswered exchange.
    pub fn timeout(&self) -> Duration {
        self.t1.saturating_mul(TIMEOUT_T1S)
    }

    /// Timer D (client INVITE, Completed): at least 32 s on unreliable transports, 0 on reliable.
    ///
    /// The RFC's rationale is that D must outlast the server's Timer H (64*T1), during which
    /// the final response may still be retransmitted; so with a larger T1 it grows with it.
    pub fn d(&self, reliability: Reliability) -> Duration {
        match reliability {
            Reliability::Unreliable => self.timeout().max(MIN_TIMER_D),
            Reliability::Reliable => Duration::ZERO,
        }
    }

    /// Timer I (server INVITE, Confirmed): T4 on unreliable transports, 0 on reliable.
    pub fn i(&self, reliability: Reliability) -> Duration {
        self.t4_unless_reliable(reliability)
    }

    /// Timer J (server non-INVITE, Completed): 64*T1 on unreliable transports, 0 on reliable.
    pub fn j(&self, reliability: Reliability) -> Duration {
        match reliability {
            Reliability::Unreliable => self.timeout(),
            Reliability::Reliable => Duration::ZERO,
        }
    }

    /// Timer K (client non-INVITE, Completed): T4 on unreliable transports, 0 on reliable.
    pub fn k(&self, reliability: Reliability) -> Duration {
        self.t4_unless_reliable(reliability)
    }

    fn t4_unless_reliable(&self, reliability: Reliability) -> Duration {
        match reliability {
            Reliability::Unreliable => self.t4,
            Reliability::Reliable => Duration::ZERO,
        }
    }
}

/// The transaction timers of RFC 3261 §17 (A–K) and RFC 6026 (L, M).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// Client INVITE request retransmission (Calling, unreliable only).
    A,
    /// Client INVITE transaction timeout (Calling).
    B,
    /// Client INVITE wait for final response retransmissions (Completed).
    D,
    /// Client non-INVITE request retransmission (Trying, Proceeding; unreliable only).
    E,
    /// Client non-INVITE transaction timeout (Trying, Proceeding).
    F,
    /// Server INVITE final response retransmission (Completed, unreliable only).
    G,
    /// Server INVITE wait for ACK (Completed).
    H,
    /// Server INVITE wait for ACK retransmissions (Confirmed).
    I,
    /// Server non-INVITE wait for request retransmissions (Completed).
    J,
    /// Client non-INVITE wait for response retransmissions (Completed).
    K,
    /// Server INVITE wait for 2xx retransmissions from the TU (Accepted, RFC 6026).
    L,
    /// Client INVITE wait for 2xx retransmissions and forks (Accepted, RFC 6026).
    M,
}

impl Timer {
    /// Every timer, in declaration order.
    pub const ALL: [Timer; 12] = [
        Timer::A,
        Timer::B,
        Timer::D,
        Timer::E,
        Timer::F,
        Timer::G,
        Timer::H,
        Timer::I,
        Timer::J,
        Timer::K,
        Timer::L,
        Timer::M,
    ];

    fn slot(self) -> usize {
        self as usize
    }
}

/// The next retransmission interval: double the last one, capped at `cap` if given.
///
/// A is uncapped (§17.1.1.2: "intervals that double"); E and G stop at T2 (§17.1.2.2, §17.2.1).
pub(crate) fn backoff(interval: Duration, cap: Option<Duration>) -> Duration {
    let doubled = interval.saturating_mul(2);
    match cap {
        Some(cap) => doubled.min(cap),
        None => doubled,
    }
}

/// Which timers one transaction has armed, and for when. Re-arming a timer replaces it.
///
/// Keeping this inside the transaction is what makes stale timers harmless: a firing is
/// only honoured if that timer is still armed and due, whatever the driver believes.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArmedTimers {
    slots: [Option<Instant>; Timer::ALL.len()],
}

impl ArmedTimers {
    /// Arms `timer` to fire `after` from `now` and records the [`Output::Schedule`].
    ///
    /// A deadline past the end of [`Instant`]'s range is never reached, so it is not armed.
    pub(crate) fn arm(&mut self, timer: Timer, now: Instant, after: Duration, out: &mut Vec<Output>) {
        let (Some(slot), Some(at)) = (self.slots.get_mut(timer.slot()), now.checked_add(after)) else {
            return;
        };
        *slot = Some(at);
        out.push(Output::Schedule { timer, at });
    }

    /// Disarms `timer`, recording an [`Output::Cancel`] if it was armed.
    pub(crate) fn disarm(&mut self, timer: Timer, out: &mut Vec<Output>) {
        if let Some(slot) = self.slots.get_mut(timer.slot()) {
            if slot.take().is_some() {
                out.push(Output::Cancel(timer));
            }
        }
    }

    /// Disarms every armed timer (on termination).
    pub(crate) fn disarm_all(&mut self, out: &mut Vec<Output>) {
        for timer in Timer::ALL {
            self.disarm(timer, out);
        }
    }

    /// If `timer` is armed and due at `now`, disarms it and answers `true`.
    ///
    /// A firing for a timer that is not armed (stale: cancelled, or fired already) or not
    /// yet due (a driver's left-over wake-up from before a reschedule) answers `false`.
    pub(crate) fn take_if_due(&mut self, timer: Timer, now: Instant) -> bool {
        match self.slots.get_mut(timer.slot()) {
            Some(slot) if slot.is_some_and(|at| at <= now) => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    /// The earliest armed deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.slots.iter().flatten().min().copied()
    }

    /// The armed timer with the earliest deadline at or before `now`.
    pub(crate) fn due(&self, now: Instant) -> Option<Timer> {
        Timer::ALL
            .into_iter()
            .zip(self.slots)
            .filter_map(|(timer, at)| at.filter(|at| *at <= now).map(|at| (at, timer)))
            .min()
            .map(|(_, timer)| timer)
    }

    /// When `timer` is armed for, if it is.
    pub(crate) fn deadline(&self, timer: Timer) -> Option<Instant> {
        self.slots.get(timer.slot()).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::testkit::ms;

    #[test]
    fn defaults_and_derived_values_follow_table_4() {
        let t = Timers::default();
        assert_eq!((t.t1(), t.t2(), t.t4()), (ms(500), ms(4_000), ms(5_000)));
        assert_eq!(t.timeout(), ms(32_000), "B, F, H, L, M = 64*T1");
        assert_eq!(t.d(Reliability::Unreliable), ms(32_000));
        assert_eq!(t.d(Reliability::Reliable), Duration::ZERO);
        assert_eq!(t.i(Reliability::Unreliable), ms(5_000));
        assert_eq!(t.i(Reliability::Reliable), Duration::ZERO);
        assert_eq!(t.j(Reliability::Unreliable), ms(32_000));
        assert_eq!(t.j(Reliability::Reliable), Duration::ZERO);
        assert_eq!(t.k(Reliability::Unreliable), ms(5_000));
        assert_eq!(t.k(Reliability::Reliable), Duration::ZERO);
    }

    #[test]
    fn timer_d_outlasts_timer_h_when_t1_grows() {
        let t = Timers::new(ms(1_000), ms(4_000), ms(5_000)).unwrap();
        assert_eq!(t.d(Reliability::Unreliable), ms(64_000));
        let t = Timers::new(ms(100), ms(4_000), ms(5_000)).unwrap();
        assert_eq!(t.d(Reliability::Unreliable), ms(32_000), "never below 32 s");
    }

    #[test]
    fn nonsense_configurations_are_refused() {
        assert_eq!(Timers::new(Duration::ZERO, ms(4_000), ms(5_000)), Err(TimersError::ZeroT1));
        assert_eq!(Timers::new(ms(500), ms(400), ms(5_000)), Err(TimersError::T2BelowT1));
        assert_eq!(Timers::new(Duration::MAX, Duration::MAX, ms(5_000)), Err(TimersError::T1TooLarge));
        assert!(Timers::new(ms(500), ms(500), Duration::ZERO).is_ok());
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(ms(500), None), ms(1_000));
        assert_eq!(backoff(ms(16_000), None), ms(32_000));
        assert_eq!(backoff(ms(2_000), Some(ms(4_000))), ms(4_000));
        assert_eq!(backoff(ms(4_000), Some(ms(4_000))), ms(4_000));
        assert_eq!(backoff(Duration::MAX, None), Duration::MAX);
    }

    #[test]
    fn armed_timers_replace_cancel_and_ignore_stale_firings() {
        let t0 = Instant::now();
        let mut armed = ArmedTimers::default();
        let mut out = Vec::new();
        armed.arm(Timer::A, t0, ms(500), &mut out);
        armed.arm(Timer::B, t0, ms(32_000), &mut out);
        armed.arm(Timer::A, t0, ms(1_000), &mut out); // replaces the first A
        assert_eq!(armed.next_deadline(), Some(t0 + ms(1_000)));
        assert_eq!(armed.due(t0 + ms(500)), None);
        assert!(!armed.take_if_due(Timer::A, t0 + ms(500)), "the replaced deadline is stale");
        assert_eq!(armed.due(t0 + ms(1_000)), Some(Timer::A));
        assert!(armed.take_if_due(Timer::A, t0 + ms(1_000)));
        assert!(!armed.take_if_due(Timer::A, t0 + ms(1_000)), "a timer fires once");
        assert!(!armed.take_if_due(Timer::D, t0 + ms(99_000)), "never armed");
        out.clear();
        armed.disarm(Timer::A, &mut out);
        assert!(out.is_empty(), "cancelling an unarmed timer says nothing");
        armed.disarm_all(&mut out);
        assert_eq!(out, vec![Output::Cancel(Timer::B)]);
        assert_eq!(armed.next_deadline(), None);
    }

    #[test]
    fn due_picks_the_earliest() {
        let t0 = Instant::now();
        let mut armed = ArmedTimers::default();
        let mut out = Vec::new();
        armed.arm(Timer::H, t0, ms(32_000), &mut out);
        armed.arm(Timer::G, t0, ms(4_000), &mut out);
        assert_eq!(armed.due(t0 + ms(40_000)), Some(Timer::G));
        assert_eq!(armed.deadline(Timer::H), Some(t0 + ms(32_000)));
    }
}
