//! The client side of SIP Digest (RFC 3261 §22.2–§22.3 with RFC 7616 and RFC 8760): reading
//! the `WWW-Authenticate` / `Proxy-Authenticate` challenges of a 401/407 and building the
//! `Authorization` / `Proxy-Authorization` value that answers one, for the requests
//! Switchboard sends itself (INVITEs to a carrier's trunk). Sans-IO: the client nonce is a
//! parameter.

use super::digest::{self, Algorithm, QopInputs};
use super::params::{clip, digest_params, utf8, ParseError};

/// One Digest challenge from a server, as far as a client needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerChallenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `algorithm`; MD5 when absent.
    pub algorithm: Algorithm,
    /// Whether `qop` offers `auth` (then it is used, with `cnonce` and `nc`); without
    /// `qop` the RFC 2069 form is answered.
    pub qop_auth: bool,
    /// `opaque`, returned unchanged.
    pub opaque: Option<String>,
    /// `stale=true`: the nonce expired, the credentials were right.
    pub stale: bool,
}

impl ServerChallenge {
    /// Reads a challenge value such as `Digest realm="x", nonce="y", qop="auth"`. Refuses
    /// algorithms we cannot compute (`-sess`, SHA-512-256) and a `qop` list without `auth`.
    pub fn parse(value: &str) -> Result<ServerChallenge, ParseError> {
        let (mut realm, mut nonce, mut algorithm, mut qop, mut opaque, mut stale) =
            (None, None, None, None, None, None);
        for (name, value) in digest_params(value.as_bytes())? {
            let slot = match name.as_slice() {
                b"realm" => &mut realm,
                b"nonce" => &mut nonce,
                b"algorithm" => &mut algorithm,
                b"qop" => &mut qop,
                b"opaque" => &mut opaque,
                b"stale" => &mut stale,
                // domain, charset, userhash and the unknown: nothing to answer (RFC 7616 §3.3).
                _ => continue,
            };
            *slot = Some(value);
        }
        let algorithm = match algorithm {
            None => Algorithm::Md5,
            Some(a) => std::str::from_utf8(&a)
                .ok()
                .and_then(Algorithm::from_token)
                .ok_or_else(|| ParseError::UnsupportedAlgorithm(clip(&a)))?,
        };
        let qop_auth = match qop {
            None => false,
            // A quoted list of tokens: `"auth,auth-int"` (RFC 7616 §3.3).
            Some(q) if q.split(|b| *b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"auth")) => true,
            Some(q) => return Err(ParseError::UnsupportedQop(clip(&q))),
        };
        Ok(ServerChallenge {
            realm: utf8(realm.ok_or(ParseError::Missing("realm"))?)?,
            nonce: utf8(nonce.ok_or(ParseError::Missing("nonce"))?)?,
            algorithm,
            qop_auth,
            opaque: opaque.map(utf8).transpose()?,
            stale: stale.is_some_and(|s| s.eq_ignore_ascii_case(b"true")),
        })
    }

    /// The challenge to answer among a response's `values`: the strongest one we can
    /// compute (SHA-256 before MD5, RFC 8760 §2.4), skipping those we cannot read.
    pub fn pick<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<ServerChallenge> {
        let readable = values.into_iter().filter_map(|v| ServerChallenge::parse(v).ok());
        readable.max_by_key(|c| match c.algorithm {
            Algorithm::Sha256 => 1,
            Algorithm::Md5 => 0,
        })
    }
}

/// What the client answers a challenge with: who it is and what it asks for.
#[derive(Clone, Copy)]
pub struct ClientCredentials<'a> {
    /// The user name.
    pub username: &'a str,
    /// The password (never logged: see the `Debug` impl).
    pub password: &'a str,
}

impl std::fmt::Debug for ClientCredentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials").field("username", &self.username).finish_non_exhaustive()
    }
}

/// The request being authorised: its method and Request-URI (the digest-uri).
#[derive(Debug, Clone, Copy)]
pub struct Requested<'a> {
    /// The method, e.g. `INVITE`.
    pub method: &'a str,
    /// The Request-URI as sent, e.g. `sip:+4420@carrier.example`.
    pub uri: &'a str,
}

/// The `Authorization` (or `Proxy-Authorization`) value answering `challenge` for
/// `request`, with client nonce `cnonce` and nonce count `nc` (used only with qop=auth).
pub fn authorization(
    challenge: &ServerChallenge,
    credentials: ClientCredentials<'_>,
    request: Requested<'_>,
    cnonce: &str,
    nc: u32,
) -> String {
    let alg = challenge.algorithm;
    let ha1 = digest::ha1(alg, credentials.username, &challenge.realm, credentials.password);
    let ha2 = digest::ha2(alg, request.method, request.uri);
    let nc_text = format!("{nc:08x}");
    let qop = challenge.qop_auth.then_some(QopInputs { nc: &nc_text, cnonce, qop: "auth" });
    let response = digest::request_digest(alg, &ha1, &challenge.nonce, qop, &ha2);
    let mut value = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{response}\", algorithm={}",
        quoted(credentials.username),
        quoted(&challenge.realm),
        quoted(&challenge.nonce),
        quoted(request.uri),
        alg.as_str(),
    );
    if challenge.qop_auth {
        value.push_str(&format!(", qop=auth, nc={nc_text}, cnonce=\"{}\"", quoted(cnonce)));
    }
    if let Some(opaque) = &challenge.opaque {
        value.push_str(&format!(", opaque=\"{}\"", quoted(opaque)));
    }
    value
}

/// `text` escaped for a quoted-string (RFC 3261 §25.1 `quoted-pair`): the parser already
/// refused control characters in what came from the server.
fn quoted(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::params::Credentials;
    use crate::auth::verify::{response_matches, Secret};

    /// RFC 2617 §3.5: the challenge and the answer's response for Mufasa.
    #[test]
    fn rfc2617_worked_example() {
        let challenge = ServerChallenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .expect("parses");
        assert_eq!(challenge.algorithm, Algorithm::Md5);
        assert!(challenge.qop_auth);
        let value = authorization(
            &challenge,
            ClientCredentials { username: "Mufasa", password: "Circle Of Life" },
            Requested { method: "GET", uri: "/dir/index.html" },
            "0a4f113b",
            1,
        );
        assert!(value.contains("response=\"6629fae49393a05397450978507c4ef1\""), "{value}");
        assert!(value.contains("qop=auth, nc=00000001, cnonce=\"0a4f113b\""), "{value}");
        assert!(value.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""), "{value}");
    }

    /// RFC 7616 §3.9.1: the SHA-256 answer.
    #[test]
    fn rfc7616_sha256_worked_example() {
        let challenge = ServerChallenge::parse(
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, \
             nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
        )
        .expect("parses");
        assert_eq!(challenge.algorithm, Algorithm::Sha256);
        let value = authorization(
            &challenge,
            ClientCredentials { username: "Mufasa", password: "Circle of Life" },
            Requested { method: "GET", uri: "/dir/index.html" },
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            1,
        );
        assert!(
            value.contains("response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""),
            "{value}"
        );
        assert!(value.contains("algorithm=SHA-256"), "{value}");
    }

    #[test]
    fn the_answer_passes_the_server_side_check_with_and_without_qop() {
        for (header, qop) in [
            ("Digest realm=\"carrier\", nonce=\"abc\\\"def\", qop=\"auth\", algorithm=MD5", true),
            ("Digest realm=\"carrier\", nonce=\"n0nce\"", false),
        ] {
            let challenge = ServerChallenge::parse(header).expect("parses");
            let request = Requested { method: "INVITE", uri: "sip:0123456@127.0.0.2:5060" };
            let value = authorization(
                &challenge,
                ClientCredentials { username: "trunk1", password: "s3cret" },
                request,
                "c1",
                7,
            );
            let creds = Credentials::parse(&value).expect("our value parses as credentials");
            assert_eq!(creds.qop.is_some(), qop, "{value}");
            assert_eq!(creds.nonce, challenge.nonce);
            assert_eq!(response_matches(&creds, "INVITE", Secret::Password("s3cret")), Ok(true), "{value}");
            assert_eq!(response_matches(&creds, "INVITE", Secret::Password("wrong")), Ok(false), "{value}");
        }
    }

    #[test]
    fn sha256_is_picked_before_md5_and_unreadable_challenges_are_skipped() {
        let values = [
            "Basic realm=\"x\"",
            "Digest realm=\"r\", nonce=\"1\", algorithm=MD5",
            "Digest realm=\"r\", nonce=\"2\", algorithm=SHA-256, qop=\"auth\"",
            "Digest realm=\"r\", nonce=\"3\", algorithm=SHA-512-256",
        ];
        let picked = ServerChallenge::pick(values).expect("one is readable");
        assert_eq!((picked.algorithm, picked.nonce.as_str()), (Algorithm::Sha256, "2"));
        assert!(ServerChallenge::pick(["Basic realm=\"x\""]).is_none());
    }

    #[test]
    fn unusable_challenges_are_refused_not_panicked_on() {
        assert_eq!(ServerChallenge::parse("Digest nonce=\"n\""), Err(ParseError::Missing("realm")));
        assert!(matches!(
            ServerChallenge::parse("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\""),
            Err(ParseError::UnsupportedQop(_))
        ));
        assert!(matches!(
            ServerChallenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess"),
            Err(ParseError::UnsupportedAlgorithm(_))
        ));
        let stale = ServerChallenge::parse("Digest realm=\"r\", nonce=\"n\", stale=TRUE").expect("parses");
        assert!(stale.stale);
        for junk in ["", "Digest", "Digest realm", "Digest realm=\"r", "\u{0}\u{ff}", "Digest ,,,"] {
            let _ = ServerChallenge::parse(junk);
        }
    }
}
