//! Building `WWW-Authenticate` / `Proxy-Authenticate` values (RFC 3261 §22.1, §22.3,
//! §25.1 `challenge`; RFC 7616 §3.3; RFC 8760 §2.3–§2.4 for the order of algorithms).

use std::fmt;

use thiserror::Error;

use super::digest::Algorithm;

/// Which pair of headers and status code an authentication exchange uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRole {
    /// A UAS or registrar: 401, `WWW-Authenticate` / `Authorization` (RFC 3261 §22.2).
    Server,
    /// A proxy: 407, `Proxy-Authenticate` / `Proxy-Authorization` (RFC 3261 §22.3).
    Proxy,
}

impl AuthRole {
    /// The status code of the challenge response.
    pub fn status(self) -> u16 {
        match self {
            AuthRole::Server => 401,
            AuthRole::Proxy => 407,
        }
    }

    /// The header carrying the challenge.
    pub fn challenge_header(self) -> &'static str {
        match self {
            AuthRole::Server => "WWW-Authenticate",
            AuthRole::Proxy => "Proxy-Authenticate",
        }
    }

    /// The header the client answers with.
    pub fn credentials_header(self) -> &'static str {
        match self {
            AuthRole::Server => "Authorization",
            AuthRole::Proxy => "Proxy-Authorization",
        }
    }
}

/// A value that cannot be put in a quoted-string.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChallengeError {
    /// CR, LF and NUL cannot appear in a quoted-string even escaped (RFC 3261 §25.1
    /// `quoted-pair`), and other controls would be refused by careful clients.
    #[error("{0} contains a control character")]
    ControlCharacter(&'static str),
}

/// One Digest challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    realm: String,
    nonce: String,
    algorithm: Algorithm,
    stale: bool,
    opaque: Option<String>,
}

impl Challenge {
    /// A challenge with `qop="auth"` for `realm`, `nonce` and `algorithm`; refuses values
    /// that cannot be quoted.
    pub fn new(realm: &str, nonce: &str, algorithm: Algorithm) -> Result<Self, ChallengeError> {
        check_quotable(realm, "realm")?;
        check_quotable(nonce, "nonce")?;
        Ok(Self { realm: realm.to_owned(), nonce: nonce.to_owned(), algorithm, stale: false, opaque: None })
    }

    /// A challenge from values already known to be quotable (the caller checked the realm
    /// once; issued nonces are hex).
    pub(crate) fn trusted(realm: &str, nonce: &str, algorithm: Algorithm) -> Self {
        Self { realm: realm.to_owned(), nonce: nonce.to_owned(), algorithm, stale: false, opaque: None }
    }

    /// The same challenge with `stale=true` when `stale` (RFC 7616 §3.3: the credentials
    /// were right but the nonce had expired, so the client may retry without the user).
    pub fn with_stale(mut self, stale: bool) -> Self {
        self.stale = stale;
        self
    }

    /// The same challenge carrying `opaque` (echoed back unchanged by the client).
    pub fn with_opaque(mut self, opaque: &str) -> Result<Self, ChallengeError> {
        check_quotable(opaque, "opaque")?;
        self.opaque = Some(opaque.to_owned());
        Ok(self)
    }

    /// The algorithm offered.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The header value, e.g. `Digest realm="switchboard", nonce="…", algorithm=SHA-256,
    /// qop="auth"`.
    pub fn header_value(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // algorithm is a token and qop a quoted list in a challenge (RFC 3261 §25.1
        // `algorithm`, `qop-options`); stale is the token true (RFC 7616 §3.3).
        write!(f, "Digest realm={}, nonce={}", Quoted(&self.realm), Quoted(&self.nonce))?;
        if let Some(opaque) = &self.opaque {
            write!(f, ", opaque={}", Quoted(opaque))?;
        }
        write!(f, ", algorithm={}, qop=\"auth\"", self.algorithm)?;
        if self.stale {
            f.write_str(", stale=true")?;
        }
        Ok(())
    }
}

/// The challenges to send, most preferred first: SHA-256 then MD5 (RFC 8760 §2.3: one header
/// field per algorithm, in the server's order of preference; §2.4: the client takes the
/// first it supports, so phones without SHA-256 still find MD5).
pub fn challenges(realm: &str, nonce: &str, stale: bool) -> Result<[Challenge; 2], ChallengeError> {
    Ok([
        Challenge::new(realm, nonce, Algorithm::Sha256)?.with_stale(stale),
        Challenge::new(realm, nonce, Algorithm::Md5)?.with_stale(stale),
    ])
}

/// Whether `value` can be written as a quoted-string.
pub(crate) fn check_quotable(value: &str, what: &'static str) -> Result<(), ChallengeError> {
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(ChallengeError::ControlCharacter(what));
    }
    Ok(())
}

/// Writes a quoted-string, escaping `"` and `\` (RFC 3261 §25.1 `quoted-pair`).
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.chars() {
            if c == '"' || c == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::params::Credentials;

    #[test]
    fn sha256_first_then_md5() {
        let [a, b] = challenges("switchboard", "abc", false).unwrap();
        assert_eq!(a.header_value(), r#"Digest realm="switchboard", nonce="abc", algorithm=SHA-256, qop="auth""#);
        assert_eq!(b.header_value(), r#"Digest realm="switchboard", nonce="abc", algorithm=MD5, qop="auth""#);
        assert!(!a.to_string().contains("stale") && !b.to_string().contains("stale"));
    }

    #[test]
    fn stale_only_when_asked() {
        let [a, b] = challenges("r", "n", true).unwrap();
        assert!(a.to_string().ends_with(", stale=true"));
        assert!(b.to_string().ends_with(", stale=true"));
        assert_eq!(a.algorithm(), Algorithm::Sha256);
        assert_eq!(b.algorithm(), Algorithm::Md5);
    }

    #[test]
    fn realm_is_escaped_and_round_trips() {
        let realm = r#"my "big" \ realm, ok"#;
        let c = Challenge::new(realm, "n", Algorithm::Md5).unwrap().with_opaque("o\"p").unwrap();
        let v = c.header_value();
        assert!(v.starts_with(r#"Digest realm="my \"big\" \\ realm, ok", nonce="n", opaque="o\"p""#), "{v}");
        // Our own parser reads the same realm back (fields after it make a full credential).
        let creds =
            Credentials::parse(&format!("{v}, username=\"u\", uri=\"u\", response=\"0\", nc=00000001, cnonce=\"c\""))
                .unwrap();
        assert_eq!(creds.realm, realm);
        assert_eq!(creds.opaque.as_deref(), Some("o\"p"));
    }

    #[test]
    fn control_characters_refused() {
        assert_eq!(Challenge::new("a\r\nb", "n", Algorithm::Md5), Err(ChallengeError::ControlCharacter("realm")));
        assert!(Challenge::new("r", "n\0", Algorithm::Md5).is_err());
        assert!(challenges("a\nb", "n", false).is_err());
        assert!(Challenge::new("tab\there", "n", Algorithm::Md5).is_ok());
    }

    #[test]
    fn roles() {
        assert_eq!((AuthRole::Server.status(), AuthRole::Server.challenge_header()), (401, "WWW-Authenticate"));
        assert_eq!((AuthRole::Proxy.status(), AuthRole::Proxy.credentials_header()), (407, "Proxy-Authorization"));
    }
}
