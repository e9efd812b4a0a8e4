//! The webhook signature: `X-Switchboard-Signature: sha256=<hex>`, the HMAC-SHA256 of
//! `"<timestamp>.<body>"` keyed with the webhook's secret, where `<timestamp>` is the
//! `X-Switchboard-Timestamp` header (Unix seconds of the attempt). Signing the timestamp
//! lets a receiver refuse old replays; signing the exact body bytes means it must verify
//! before parsing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header value for `body` sent at `timestamp` with `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Whether `header` is the signature of `body` at `timestamp` with `secret` (compared in
/// constant time).
pub fn verify(secret: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(tag) = header.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()) else { return false };
    mac(secret, timestamp, body).verify_slice(&tag).is_ok()
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_an_independent_hmac() {
        // printf '1700000000.{"event":"Hangup"}' | openssl dgst -sha256 -hmac 'whsec_test_0123456789'
        let expected = "sha256=d62f9c43892ec70fcfb84a70a4eafc1326dd1d7b52d2294919dcd099da153fc7";
        let got = sign("whsec_test_0123456789", 1_700_000_000, br#"{"event":"Hangup"}"#);
        assert_eq!(got.len(), expected.len());
        assert_eq!(got, expected);
    }

    #[test]
    fn verifies_only_the_same_secret_time_and_body() {
        let header = sign("s3cret-s3cret-s3cret", 1_700_000_000, b"{}");
        assert!(verify("s3cret-s3cret-s3cret", 1_700_000_000, b"{}", &header));
        assert!(!verify("s3cret-s3cret-s3creT", 1_700_000_000, b"{}", &header));
        assert!(!verify("s3cret-s3cret-s3cret", 1_700_000_001, b"{}", &header));
        assert!(!verify("s3cret-s3cret-s3cret", 1_700_000_000, b"{ }", &header));
        assert!(!verify("s3cret-s3cret-s3cret", 1_700_000_000, b"{}", header.trim_start_matches("sha256=")));
        assert!(!verify("s3cret-s3cret-s3cret", 1_700_000_000, b"{}", "sha256=zz"));
    }
}
