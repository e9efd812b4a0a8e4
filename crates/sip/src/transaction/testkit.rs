//! Test helpers shared by the transaction tests: durations in milliseconds, views over
//! output lists, and a seeded xorshift generator for the random input sequences.
//!
//! The fake clock is plain `Instant` arithmetic: tests take one `Instant::now()` as the
//! origin and feed `t0 + ms(n)`; no test ever sleeps.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Output, Timer, TuEvent};

/// `n` milliseconds.
pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Milliseconds from `t0` to `at`.
pub(crate) fn since(t0: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(t0).as_millis()).unwrap_or(u64::MAX)
}

/// The bytes sent, in order.
pub(crate) fn sent(out: &[Output]) -> Vec<Bytes> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send(bytes) => Some(bytes.clone()),
            _ => None,
        })
        .collect()
}

/// The events delivered to the TU, in order.
pub(crate) fn delivered(out: &[Output]) -> Vec<TuEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Deliver(event) => Some(*event),
            _ => None,
        })
        .collect()
}

/// When `timer` was (last) scheduled for, if it was.
pub(crate) fn scheduled(out: &[Output], timer: Timer) -> Option<Instant> {
    out.iter().rev().find_map(|o| match o {
        Output::Schedule { timer: t, at } if *t == timer => Some(*at),
        _ => None,
    })
}

/// Whether `timer` was cancelled.
pub(crate) fn cancelled(out: &[Output], timer: Timer) -> bool {
    out.contains(&Output::Cancel(timer))
}

/// Whether the outputs end the transaction.
pub(crate) fn terminated(out: &[Output]) -> bool {
    out.last() == Some(&Output::Terminated)
}

/// A deterministic xorshift64 generator: the random sequences are the same on every run.
pub(crate) struct Xorshift(u64);

impl Xorshift {
    /// A generator from a non-zero seed.
    pub(crate) fn new(seed: u64) -> Self {
        Xorshift(seed.max(1))
    }

    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A random status code, mostly valid, sometimes not (0, 99, 700, 65535).
    pub(crate) fn status(&mut self) -> u16 {
        const ODD: [u16; 4] = [0, 99, 700, u16::MAX];
        const USUAL: [u16; 10] = [100, 180, 183, 200, 202, 299, 302, 486, 487, 603];
        match self.below(10) {
            0 => ODD[self.below(4) as usize % ODD.len()],
            1 => 100 + self.below(600) as u16,
            _ => USUAL[self.below(10) as usize % USUAL.len()],
        }
    }

    /// A random timer.
    pub(crate) fn timer(&mut self) -> Timer {
        Timer::ALL[self.below(12) as usize % Timer::ALL.len()]
    }
}
