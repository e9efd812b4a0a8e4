//! Counters and gauges of the call layer, and the Prometheus text exposition of every
//! figure the node has (SIP endpoint, transports, media, registrar, calls, process).
//!
//! Gauges that count live things are held by RAII [`Live`] guards, so an early return or a
//! panicking task still brings them back to zero.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// The call layer's own figures.
#[derive(Debug, Default)]
pub struct CallMetrics {
    /// Calls in progress (ringing or answered).
    pub calls_active: AtomicI64,
    /// SIP dialogs established (two per answered call).
    pub dialogs: AtomicI64,
    /// Calls started since boot.
    pub calls_total: AtomicU64,
    /// Calls answered since boot.
    pub calls_answered: AtomicU64,
    /// REGISTER requests accepted.
    pub registrations_accepted: AtomicU64,
    /// DTMF digits heard on calls the PBX answered, by RFC 4733 event number (0-9, *, #, A-D).
    pub dtmf_digits: [AtomicU64; 16],
}

/// The DTMF digits in RFC 4733 event order.
const DTMF_DIGITS: [char; 16] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

impl CallMetrics {
    /// Counts a DTMF digit heard on a call (other characters are ignored).
    pub fn dtmf_received(&self, digit: char) {
        if let Some(index) = DTMF_DIGITS.iter().position(|d| *d == digit.to_ascii_uppercase()) {
            self.dtmf_digits[index].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The digit counts, labelled by digit.
    pub fn dtmf_counts(&self) -> impl Iterator<Item = (char, u64)> + '_ {
        DTMF_DIGITS.iter().zip(&self.dtmf_digits).map(|(digit, count)| (*digit, count.load(Ordering::Relaxed)))
    }
}

/// A live thing counted in a gauge for as long as the guard lives.
#[derive(Debug)]
pub struct Live {
    metrics: Arc<CallMetrics>,
    which: fn(&CallMetrics) -> &AtomicI64,
}

impl Live {
    /// Counts one more in the gauge `which` until dropped.
    pub fn new(metrics: &Arc<CallMetrics>, which: fn(&CallMetrics) -> &AtomicI64) -> Live {
        which(metrics).fetch_add(1, Ordering::Relaxed);
        Live { metrics: Arc::clone(metrics), which }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        (self.which)(&self.metrics).fetch_sub(1, Ordering::Relaxed);
    }
}

/// Prometheus text format (version 0.0.4) writer.
#[derive(Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// Adds a gauge.
    pub fn gauge(&mut self, name: &str, help: &str, value: impl std::fmt::Display) -> &mut Self {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        self
    }

    /// Adds a counter.
    pub fn counter(&mut self, name: &str, help: &str, value: impl std::fmt::Display) -> &mut Self {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        self
    }

    /// Adds a counter with one sample per value of `label`.
    pub fn labelled_counter<V: std::fmt::Display>(
        &mut self,
        name: &str,
        help: &str,
        label: &str,
        samples: impl IntoIterator<Item = (impl std::fmt::Display, V)>,
    ) -> &mut Self {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} counter");
        for (value, count) in samples {
            let _ = writeln!(self.text, "{name}{{{label}=\"{value}\"}} {count}");
        }
        self
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.text
    }
}

/// The resident set size of this process in bytes (Linux), or 0 where unknown.
pub fn resident_memory_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else { return 0 };
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}
