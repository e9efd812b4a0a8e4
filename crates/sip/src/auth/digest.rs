//! The digest arithmetic: algorithms, HA1/HA2/request-digest (RFC 7616 §3.4.1–§3.4.3,
//! RFC 8760 §2) and a constant-time comparison. No parsing, no state.

use std::fmt;

use md5::Md5;
use sha2::{Digest, Sha256};

/// A digest algorithm Switchboard offers and accepts.
///
/// The `-sess` variants (RFC 7616 §3.4.2) and SHA-512-256 are refused at parse time: we
/// never offer them, and a client may only use an algorithm it was offered (RFC 7616 §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// MD5 (RFC 3261 §22.4, RFC 2617); kept for phones that predate RFC 8760.
    Md5,
    /// SHA-256 (RFC 7616 §3.3, RFC 8760 §2.3); offered first.
    Sha256,
}

impl Algorithm {
    /// The token used in the `algorithm` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// The algorithm named by an `algorithm` parameter value (case-insensitive, as the
    /// token rules of RFC 3261 §25.1 compare), or `None` for one we do not accept.
    pub fn from_token(token: &str) -> Option<Self> {
        if token.eq_ignore_ascii_case("MD5") {
            Some(Algorithm::Md5)
        } else if token.eq_ignore_ascii_case("SHA-256") {
            Some(Algorithm::Sha256)
        } else {
            None
        }
    }

    /// Length in hex characters of a digest of this algorithm (32 for MD5, 64 for SHA-256).
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Md5 => 32,
            Algorithm::Sha256 => 64,
        }
    }

    /// Lowercase hex of H(parts joined by ':'), the `H(data)` of RFC 7616 §3.4.
    fn hash_colon_joined(self, parts: &[&[u8]]) -> String {
        fn feed<D: Digest>(mut d: D, parts: &[&[u8]]) -> String {
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(part);
            }
            hex::encode(d.finalize())
        }
        match self {
            Algorithm::Md5 => feed(Md5::new(), parts),
            Algorithm::Sha256 => feed(Sha256::new(), parts),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// HA1 = H(username ":" realm ":" password) in lowercase hex (RFC 7616 §3.4.2), what a
/// credential store may keep instead of the plaintext password (one per algorithm).
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hash_colon_joined(&[username.as_bytes(), realm.as_bytes(), password.as_bytes()])
}

/// HA2 = H(method ":" digest-uri) in lowercase hex, for qop=auth or no qop (RFC 7616 §3.4.3).
pub fn ha2(algorithm: Algorithm, method: &str, digest_uri: &str) -> String {
    algorithm.hash_colon_joined(&[method.as_bytes(), digest_uri.as_bytes()])
}

/// The `qop=auth` inputs of the request-digest, exactly as the client sent them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QopInputs<'a> {
    /// The `nc` text (8 hex digits), hashed as sent.
    pub nc: &'a str,
    /// The `cnonce` value.
    pub cnonce: &'a str,
    /// The `qop` token as sent (normally `auth`).
    pub qop: &'a str,
}

/// The request-digest in lowercase hex: H(HA1:nonce:nc:cnonce:qop:HA2) with qop
/// (RFC 7616 §3.4.1), or H(HA1:nonce:HA2) without it (RFC 2069, kept by RFC 2617 §3.2.2.1).
pub fn request_digest(algorithm: Algorithm, ha1: &str, nonce: &str, qop: Option<QopInputs<'_>>, ha2: &str) -> String {
    match qop {
        Some(q) => algorithm.hash_colon_joined(&[
            ha1.as_bytes(),
            nonce.as_bytes(),
            q.nc.as_bytes(),
            q.cnonce.as_bytes(),
            q.qop.as_bytes(),
            ha2.as_bytes(),
        ]),
        None => algorithm.hash_colon_joined(&[ha1.as_bytes(), nonce.as_bytes(), ha2.as_bytes()]),
    }
}

/// Equality whose running time depends only on the lengths, so a forged response cannot be
/// found byte by byte through timing (lengths are public: they follow from the algorithm).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // black_box keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

/// Whether `s` is exactly `len` hex digits (either case).
pub(crate) fn is_hex_of_len(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7616 §3.9.1: the same request answered with SHA-256 and with MD5.
    const USER: &str = "Mufasa";
    const PASS: &str = "Circle of Life";
    const REALM: &str = "http-auth@example.org";
    const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    const URI: &str = "/dir/index.html";

    fn rfc7616(alg: Algorithm) -> String {
        let h1 = ha1(alg, USER, REALM, PASS);
        let h2 = ha2(alg, "GET", URI);
        let q = QopInputs { nc: "00000001", cnonce: CNONCE, qop: "auth" };
        request_digest(alg, &h1, NONCE, Some(q), &h2)
    }

    #[test]
    fn rfc7616_md5_vector() {
        assert_eq!(rfc7616(Algorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn rfc7616_sha256_vector() {
        assert_eq!(rfc7616(Algorithm::Sha256), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    }

    #[test]
    fn rfc2617_md5_vector() {
        // RFC 2617 §3.5 (its text has "Circle Of Life", capital O).
        let alg = Algorithm::Md5;
        let h1 = ha1(alg, "Mufasa", "testrealm@host.com", "Circle Of Life");
        let h2 = ha2(alg, "GET", "/dir/index.html");
        let q = QopInputs { nc: "00000001", cnonce: "0a4f113b", qop: "auth" };
        let r = request_digest(alg, &h1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", Some(q), &h2);
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn rfc2069_form_has_no_qop_fields() {
        // Without qop the digest is H(HA1:nonce:HA2): check against a hand-built hash.
        let alg = Algorithm::Md5;
        let h1 = ha1(alg, "u", "r", "p");
        let h2 = ha2(alg, "REGISTER", "sip:r");
        let expected = hex::encode(Md5::digest(format!("{h1}:n:{h2}").as_bytes()));
        assert_eq!(request_digest(alg, &h1, "n", None, &h2), expected);
    }

    #[test]
    fn lengths_and_case() {
        assert_eq!(ha1(Algorithm::Md5, "a", "b", "c").len(), Algorithm::Md5.hex_len());
        let h = ha1(Algorithm::Sha256, "a", "b", "c");
        assert_eq!(h.len(), Algorithm::Sha256.hex_len());
        assert!(h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn algorithm_tokens() {
        assert_eq!(Algorithm::from_token("md5"), Some(Algorithm::Md5));
        assert_eq!(Algorithm::from_token("sha-256"), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::from_token("MD5-sess"), None);
        assert_eq!(Algorithm::from_token("SHA-512-256"), None);
        assert_eq!(Algorithm::Sha256.to_string(), "SHA-256");
    }

    #[test]
    fn constant_time_eq_basics() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
