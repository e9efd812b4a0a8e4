//! Replay protection for `qop=auth` (RFC 7616 §3.4 and §5.5: the server remembers the
//! highest nonce-count seen per nonce and refuses one that does not increase).
//!
//! Bounded: entries go when their nonce outlives its lifetime, and when the table is full
//! the oldest-issued entry is evicted. An evicted nonce must not get a second life (its nc
//! history is gone), so the table remembers the newest issue time it ever evicted and
//! answers [`NcCheck::Forgotten`] for unknown nonces issued at or before it; the caller
//! treats that as stale, and the client simply fetches a new nonce.

use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

use super::nonce::DEFAULT_NONCE_LIFETIME_SECS;

/// Default bound on remembered nonces.
pub const DEFAULT_MAX_NONCES: usize = 10_000;

/// The outcome of presenting a nonce-count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NcCheck {
    /// Higher than any seen for this nonce; now recorded.
    Fresh,
    /// Not higher than one already seen: a replay (or a reordered request).
    Replay,
    /// The nonce may have been evicted from the table; its history is unknown.
    Forgotten,
}

/// Highest nonce-count seen per nonce, bounded in size and age.
#[derive(Debug, Clone)]
pub struct NonceCounts {
    max_entries: usize,
    max_age_secs: u64,
    /// nonce (by [`NonceId`]) → (issued_at, highest nc).
    entries: HashMap<NonceId, (u64, u32)>,
    /// (issued_at, nonce), oldest first, for pruning and eviction.
    by_age: BTreeSet<(u64, NonceId)>,
    /// The newest issue time of a nonce evicted for space.
    evicted_up_to: Option<u64>,
}

/// A nonce as the table keys it: 128 bits of its SHA-256. Fixed-size keys live inside the
/// table's own storage, where a `String` per nonce would be a separate small allocation
/// kept for the nonce's lifetime, scattered over pages a burst of calls used (and so
/// keeping those pages resident long after the calls end).
type NonceId = u128;

fn nonce_id(nonce: &str) -> NonceId {
    let digest = Sha256::digest(nonce.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

impl Default for NonceCounts {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_NONCES, DEFAULT_NONCE_LIFETIME_SECS)
    }
}

impl NonceCounts {
    /// A table of at most `max_entries` nonces (at least 1), each kept until `max_age_secs`
    /// after its issue time (use the nonce lifetime: older nonces are stale anyway).
    pub fn new(max_entries: usize, max_age_secs: u64) -> Self {
        Self {
            max_entries: max_entries.max(1),
            max_age_secs,
            entries: HashMap::new(),
            by_age: BTreeSet::new(),
            evicted_up_to: None,
        }
    }

    /// The most nonces remembered at once.
    pub fn capacity(&self) -> usize {
        self.max_entries
    }

    /// Number of nonces remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Record `nc` for `nonce` (issued at `issued_at`, from [`super::NonceIssuer::issued_at`])
    /// if it is higher than any seen before. Call only once the request has authenticated,
    /// so a forger cannot burn a client's counts.
    pub fn check_and_record(&mut self, nonce: &str, issued_at: u64, nc: u32, now: u64) -> NcCheck {
        self.prune(now);
        let id = nonce_id(nonce);
        if let Some((_, highest)) = self.entries.get_mut(&id) {
            if nc > *highest {
                *highest = nc;
                return NcCheck::Fresh;
            }
            return NcCheck::Replay;
        }
        if self.evicted_up_to.is_some_and(|t| issued_at <= t) {
            return NcCheck::Forgotten;
        }
        // First use: nc counts from 1 (RFC 7616 §3.4), so 0 never "increases".
        if nc == 0 {
            return NcCheck::Replay;
        }
        self.entries.insert(id, (issued_at, nc));
        self.by_age.insert((issued_at, id));
        while self.entries.len() > self.max_entries {
            let Some((t, oldest)) = self.by_age.pop_first() else { break };
            self.entries.remove(&oldest);
            self.evicted_up_to = Some(self.evicted_up_to.map_or(t, |e| e.max(t)));
        }
        NcCheck::Fresh
    }

    /// Forget nonces issued more than the maximum age before `now`.
    pub fn prune(&mut self, now: u64) {
        while let Some((t, _)) = self.by_age.first() {
            if now.saturating_sub(*t) <= self.max_age_secs {
                break;
            }
            if let Some((_, nonce)) = self.by_age.pop_first() {
                self.entries.remove(&nonce);
            }
        }
        // Nonces issued before the eviction mark are past their lifetime now: the mark can go.
        if self.evicted_up_to.is_some_and(|t| now.saturating_sub(t) > self.max_age_secs) {
            self.evicted_up_to = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    #[test]
    fn increasing_counts_pass_and_repeats_are_refused() {
        let mut c = NonceCounts::default();
        assert_eq!(c.check_and_record("n", T0, 1, T0), NcCheck::Fresh);
        assert_eq!(c.check_and_record("n", T0, 1, T0), NcCheck::Replay);
        assert_eq!(c.check_and_record("n", T0, 2, T0), NcCheck::Fresh);
        assert_eq!(c.check_and_record("n", T0, 5, T0), NcCheck::Fresh);
        assert_eq!(c.check_and_record("n", T0, 3, T0), NcCheck::Replay);
        assert_eq!(c.check_and_record("n", T0, 5, T0), NcCheck::Replay);
        assert_eq!(c.check_and_record("m", T0, 1, T0), NcCheck::Fresh, "counts are per nonce");
        assert_eq!(c.check_and_record("z", T0, 0, T0), NcCheck::Replay);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn bound_is_respected_and_evicted_nonces_are_forgotten() {
        let mut c = NonceCounts::new(3, 300);
        for (i, n) in ["a", "b", "c", "d"].iter().enumerate() {
            assert_eq!(c.check_and_record(n, T0 + i as u64, 1, T0 + 10), NcCheck::Fresh);
            assert!(c.len() <= 3);
        }
        assert_eq!(c.len(), 3);
        // "a" (oldest) was evicted: replaying it must not pass as new.
        assert_eq!(c.check_and_record("a", T0, 1, T0 + 10), NcCheck::Forgotten);
        assert_eq!(c.check_and_record("a", T0, 9, T0 + 10), NcCheck::Forgotten);
        // The rest keep their history.
        assert_eq!(c.check_and_record("b", T0 + 1, 1, T0 + 10), NcCheck::Replay);
        // A nonce issued after the evicted one is still welcome.
        assert_eq!(c.check_and_record("e", T0 + 20, 1, T0 + 20), NcCheck::Fresh);
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn many_nonces_stay_bounded() {
        let mut c = NonceCounts::new(100, 300);
        for i in 0..10_000u64 {
            let now = T0 + i / 50;
            c.check_and_record(&format!("n{i}"), now, 1, now);
            assert!(c.len() <= 100);
        }
    }

    #[test]
    fn old_entries_are_pruned_by_age() {
        let mut c = NonceCounts::new(10, 300);
        c.check_and_record("old", T0, 1, T0);
        c.check_and_record("new", T0 + 200, 1, T0 + 200);
        c.prune(T0 + 300);
        assert_eq!(c.len(), 2);
        c.prune(T0 + 301);
        assert_eq!(c.len(), 1);
        c.prune(T0 + 501);
        assert!(c.is_empty());
    }

    #[test]
    fn eviction_mark_expires_with_the_lifetime() {
        let mut c = NonceCounts::new(1, 300);
        c.check_and_record("a", T0, 1, T0);
        c.check_and_record("b", T0 + 1, 1, T0 + 1);
        assert_eq!(c.check_and_record("x", T0, 1, T0 + 2), NcCheck::Forgotten);
        c.prune(T0 + 301);
        // By now anything issued at T0 is stale at the nonce check; the table is clean.
        assert_eq!(c.check_and_record("y", T0 + 301, 1, T0 + 301), NcCheck::Fresh);
    }
}
