//! SIP Digest authentication, server side and (for trunks) client side (RFC 3261 §22 with RFC 7616 and RFC 8760), sans-IO:
//! no sockets, no clock reads; the current Unix time in seconds is always a parameter.
//!
//! - [`params`]: reading `Authorization` / `Proxy-Authorization` values into [`Credentials`].
//! - [`digest`]: the hash arithmetic (MD5, SHA-256), HA1/HA2/request-digest.
//! - [`nonce`]: stateless HMAC-signed nonces that carry their issue time.
//! - [`replay`]: the bounded nonce-count table that refuses replayed `qop=auth` requests.
//! - [`challenge`]: `WWW-Authenticate` / `Proxy-Authenticate` values, SHA-256 before MD5.
//! - [`verify`]: checking credentials, and [`Authenticator`] tying it all together.
//! - [`client`]: answering a server's challenge (requests Switchboard sends to carriers).
//!
//! Typical use by a registrar:
//!
//! ```
//! use sb_sip::auth::{Authenticator, Credentials, Secret, Verdict};
//!
//! let mut auth = Authenticator::new("switchboard", [7; 32]).unwrap();
//! let now = 1_700_000_000;
//! // No Authorization header: answer 401 with one WWW-Authenticate per challenge.
//! let [sha256, md5]: [_; 2] = auth.challenges(now, false).try_into().unwrap();
//! assert!(sha256.header_value().contains("algorithm=SHA-256"));
//! assert!(md5.header_value().contains("algorithm=MD5"));
//! // With one: parse, look the user up, verify.
//! match Credentials::parse("NoOneKnowsThisScheme opaque-data=here") {
//!     Err(e) if e.wants_challenge() => { /* 401 with auth.challenges(now, false) */ }
//!     Err(_) => { /* 400 Bad Request */ }
//!     Ok(creds) => match auth.verify(&creds, "REGISTER", "alice", Secret::Password("pw"), now) {
//!         Verdict::Ok => { /* go on */ }
//!         v => { let _challenges = auth.challenges(now, v.stale()); }
//!     },
//! }
//! ```

pub mod challenge;
pub mod client;
pub mod digest;
pub mod nonce;
pub mod params;
pub mod replay;
pub mod verify;

pub use challenge::{challenges, AuthRole, Challenge, ChallengeError};
pub use client::{authorization, ClientCredentials, Requested, ServerChallenge};
pub use digest::{ha1, ha2, request_digest, Algorithm, QopInputs};
pub use nonce::{NonceIssuer, NonceState, DEFAULT_NONCE_LIFETIME_SECS};
pub use params::{Credentials, ParseError, QopAuth, MAX_HEADER_LEN, MAX_VALUE_LEN};
pub use replay::{NcCheck, NonceCounts, DEFAULT_MAX_NONCES};
pub use verify::{expected_response, response_matches, Authenticator, Mismatch, Secret, Verdict};
