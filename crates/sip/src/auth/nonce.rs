//! Stateless server nonces (RFC 7616 §3.3, §5.4; RFC 3261 §22.4): the nonce carries its own
//! issue time and an HMAC over it, so any process holding the secret can tell whether it
//! issued a nonce and how old it is, without remembering anything.
//!
//! Layout (32 bytes, sent as 64 lowercase hex digits):
//! `issued_at (u64 big-endian) || random (8 bytes) || HMAC-SHA256(secret, issued_at ||
//! random || realm)[..16]`. 128 bits of MAC are plenty against forgery within a lifetime
//! measured in minutes; the realm in the MAC keeps a nonce from one realm out of another.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Default nonce lifetime in seconds (RFC 7616 §5.4 leaves it to the server; five minutes
/// keeps re-challenges rare for phones that re-REGISTER every hour).
pub const DEFAULT_NONCE_LIFETIME_SECS: u64 = 300;

/// How far in the future an issue time may be (clock steps between threads) and still count.
const FUTURE_SLACK_SECS: u64 = 5;

const TS_LEN: usize = 8;
const RANDOM_LEN: usize = 8;
const MAC_LEN: usize = 16;
const RAW_LEN: usize = TS_LEN + RANDOM_LEN + MAC_LEN;
/// Length of an issued nonce in characters.
pub const NONCE_LEN: usize = RAW_LEN * 2;

/// What a nonce presented by a client is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceState {
    /// Ours and within its lifetime.
    Valid,
    /// Ours (the MAC checks) but too old, or dated implausibly far ahead after a clock step:
    /// re-challenge with `stale=true` so the client retries without asking the user
    /// (RFC 7616 §3.3, `stale`).
    Stale,
    /// Not ours: bad MAC, other secret or realm, or not a nonce at all.
    Invalid,
}

/// Issues and checks stateless nonces for one realm.
#[derive(Clone)]
pub struct NonceIssuer {
    secret: [u8; 32],
    realm: String,
    lifetime_secs: u64,
}

impl fmt::Debug for NonceIssuer {
    // The secret never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceIssuer")
            .field("realm", &self.realm)
            .field("lifetime_secs", &self.lifetime_secs)
            .finish_non_exhaustive()
    }
}

impl NonceIssuer {
    /// An issuer keyed by `secret` (keep it random and private; rotating it invalidates all
    /// outstanding nonces), for the empty realm and the default lifetime.
    pub fn new(secret: [u8; 32]) -> Self {
        Self { secret, realm: String::new(), lifetime_secs: DEFAULT_NONCE_LIFETIME_SECS }
    }

    /// The same issuer, binding its nonces to `realm`.
    pub fn with_realm(mut self, realm: &str) -> Self {
        self.realm = realm.to_owned();
        self
    }

    /// The same issuer with nonces valid for `secs` seconds after issue.
    pub fn with_lifetime(mut self, secs: u64) -> Self {
        self.lifetime_secs = secs;
        self
    }

    /// The realm nonces are bound to.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// How long a nonce stays valid, in seconds.
    pub fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs
    }

    /// A fresh nonce dated `now_unix_secs`, with 8 bytes from the thread-local CSPRNG.
    pub fn issue(&self, now_unix_secs: u64) -> String {
        self.issue_with_random(now_unix_secs, rand::random())
    }

    /// A nonce dated `now_unix_secs` with caller-chosen random bytes (for deterministic
    /// tests; in service use [`NonceIssuer::issue`]).
    pub fn issue_with_random(&self, now_unix_secs: u64, random: [u8; RANDOM_LEN]) -> String {
        let ts = now_unix_secs.to_be_bytes();
        let mut raw = [0u8; RAW_LEN];
        raw[..TS_LEN].copy_from_slice(&ts);
        raw[TS_LEN..TS_LEN + RANDOM_LEN].copy_from_slice(&random);
        let mac = self.mac(&ts, &random).finalize().into_bytes();
        raw[TS_LEN + RANDOM_LEN..].copy_from_slice(&mac[..MAC_LEN]);
        hex::encode(raw)
    }

    /// The issue time of `nonce` if this issuer made it (MAC compared in constant time),
    /// whatever its age; `None` for anything else.
    pub fn issued_at(&self, nonce: &str) -> Option<u64> {
        // Only the exact form we issue (lowercase hex) is accepted, so one nonce has one
        // spelling and the replay table cannot be sidestepped by changing case.
        if nonce.len() != NONCE_LEN || !nonce.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let raw = hex::decode(nonce).ok()?;
        let ts: [u8; TS_LEN] = raw.get(..TS_LEN)?.try_into().ok()?;
        let random = raw.get(TS_LEN..TS_LEN + RANDOM_LEN)?;
        let tag = raw.get(TS_LEN + RANDOM_LEN..)?;
        // verify_truncated_left compares the leading MAC bytes in constant time.
        self.mac(&ts, random).verify_truncated_left(tag).ok()?;
        Some(u64::from_be_bytes(ts))
    }

    /// Whether `nonce` is ours and fresh at `now_unix_secs`.
    pub fn check(&self, nonce: &str, now_unix_secs: u64) -> NonceState {
        match self.issued_at(nonce) {
            None => NonceState::Invalid,
            Some(issued) => self.age_state(issued, now_unix_secs),
        }
    }

    /// The state of a nonce of ours issued at `issued`, seen at `now`.
    pub(crate) fn age_state(&self, issued: u64, now: u64) -> NonceState {
        if issued > now.saturating_add(FUTURE_SLACK_SECS) {
            // Our own MAC but from "the future": our clock stepped back. Stale makes the
            // client fetch a nonce dated by the new clock without bothering the user.
            NonceState::Stale
        } else if now.saturating_sub(issued) > self.lifetime_secs {
            NonceState::Stale
        } else {
            NonceState::Valid
        }
    }

    fn mac(&self, ts: &[u8], random: &[u8]) -> HmacSha256 {
        // HMAC takes keys of any length (RFC 2104 §2), so this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.secret).expect("HMAC accepts any key length");
        mac.update(ts);
        mac.update(random);
        mac.update(self.realm.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    fn issuer() -> NonceIssuer {
        NonceIssuer::new([7; 32]).with_realm("switchboard")
    }

    #[test]
    fn fresh_nonce_is_valid_and_well_formed() {
        let n = issuer().issue(T0);
        assert_eq!(n.len(), NONCE_LEN);
        assert!(n.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(issuer().check(&n, T0), NonceState::Valid);
        assert_eq!(issuer().issued_at(&n), Some(T0));
        assert_ne!(issuer().issue(T0), n, "random part differs between nonces");
    }

    #[test]
    fn lifetime_boundaries() {
        let i = issuer().with_lifetime(300);
        let n = i.issue(T0);
        assert_eq!(i.check(&n, T0 + 300), NonceState::Valid);
        assert_eq!(i.check(&n, T0 + 301), NonceState::Stale);
        assert_eq!(i.check(&n, u64::MAX), NonceState::Stale);
        // Slightly ahead is tolerated; far ahead means our clock stepped back.
        assert_eq!(i.check(&n, T0 - FUTURE_SLACK_SECS), NonceState::Valid);
        assert_eq!(i.check(&n, T0 - FUTURE_SLACK_SECS - 1), NonceState::Stale);
        assert_eq!(i.check(&i.issue(u64::MAX), 0), NonceState::Stale);
        assert_eq!(i.check(&i.issue(0), 0), NonceState::Valid);
    }

    #[test]
    fn tampered_nonces_are_invalid() {
        let n = issuer().issue_with_random(T0, [1; 8]);
        let bytes = n.as_bytes();
        for pos in [0, 15, 16, 31, 32, 63] {
            let mut t = bytes.to_vec();
            t[pos] = if t[pos] == b'0' { b'1' } else { b'0' };
            let t = String::from_utf8(t).unwrap();
            assert_eq!(issuer().check(&t, T0), NonceState::Invalid, "flip at {pos}");
        }
        // Re-dating the timestamp without the secret fails.
        let redated = format!("{:016x}{}", T0 + 1000, &n[16..]);
        assert_eq!(issuer().check(&redated, T0 + 1000), NonceState::Invalid);
        // One spelling only.
        assert_eq!(issuer().check(&n.to_uppercase(), T0), NonceState::Invalid);
    }

    #[test]
    fn other_secret_or_realm_is_invalid() {
        let n = issuer().issue(T0);
        assert_eq!(NonceIssuer::new([8; 32]).with_realm("switchboard").check(&n, T0), NonceState::Invalid);
        assert_eq!(NonceIssuer::new([7; 32]).with_realm("other").check(&n, T0), NonceState::Invalid);
    }

    #[test]
    fn garbage_is_invalid() {
        let i = issuer();
        for g in [
            "",
            "abc",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            &"g".repeat(NONCE_LEN),
            &"0".repeat(NONCE_LEN),
            &"é".repeat(32),
        ] {
            assert_eq!(i.check(g, T0), NonceState::Invalid, "{g:?}");
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let s = format!("{:?}", NonceIssuer::new([0xab; 32]));
        assert!(!s.contains("171") && !s.contains("ab, "), "{s}");
    }
}
