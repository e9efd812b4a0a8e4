//! Secrets made with the operating system's CSPRNG: SIP passwords, PINs, API keys; and
//! the one comparison of secrets every interface uses.

use rand::distributions::{Alphanumeric, Distribution, Uniform};
use rand::rngs::OsRng;

/// Equality in time that depends only on the lengths (digest responses, key hashes).
pub use sb_sip::auth::digest::constant_time_eq;

/// A random password of `len` letters and digits (about 5.95 bits each).
pub fn password(len: usize) -> String {
    Alphanumeric.sample_iter(OsRng).take(len).map(char::from).collect()
}

/// A random numeric PIN of `len` digits (may start with 0).
pub fn pin(len: usize) -> String {
    let digit = Uniform::new_inclusive(b'0', b'9');
    (0..len).map(|_| char::from(digit.sample(&mut OsRng))).collect()
}

/// A random lowercase hex string of `bytes` random bytes.
pub fn hex_token(bytes: usize) -> String {
    let byte = Uniform::new_inclusive(0u8, 255);
    (0..bytes).map(|_| format!("{:02x}", byte.sample(&mut OsRng))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(password(16).len(), 16);
        assert!(password(16).chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(pin(4).chars().all(|c| c.is_ascii_digit()));
        assert_eq!(hex_token(8).len(), 16);
        assert_ne!(password(24), password(24));
    }
}
