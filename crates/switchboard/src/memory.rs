//! Handing memory back to the system after a burst of calls.
//!
//! glibc's malloc keeps what a burst freed in its per-thread arenas, so a node that carried
//! 400 concurrent calls stays at that resident size long after they ended. Each time the
//! load has halved (the transaction table at under half its largest size since the last
//! trim), `malloc_trim` returns the free pages: a handful of times as a burst drains, never
//! in steady load.

use std::time::Duration;

use sb_sip::endpoint::Endpoint;

/// How often the load is looked at (one lock of the transaction table).
const INTERVAL: Duration = Duration::from_secs(1);

/// Below this many transactions there is too little to give back to be worth a trim.
const MIN_PEAK: usize = 256;

/// Watches `endpoint`'s transaction count for as long as the process runs.
pub fn release_after_bursts(endpoint: Endpoint) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        let mut peak = 0;
        loop {
            ticks.tick().await;
            let now = endpoint.stats().transactions;
            peak = peak.max(now);
            if peak >= MIN_PEAK && now * 2 < peak {
                trim();
                peak = now;
            }
        }
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only walks and madvises glibc's own free lists; it takes the
    // arena locks itself and is safe to call from any thread at any time.
    let released = unsafe { libc::malloc_trim(0) };
    tracing::debug!(released = released != 0, "free heap memory returned to the system");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
