//! Reading an `Authorization` / `Proxy-Authorization` header value into [`Credentials`]
//! (RFC 3261 §25.1 `credentials`, RFC 7616 §3.4). Lenient where phones differ (any
//! parameter may be a token or a quoted string, empty list elements are skipped), strict
//! where it matters (duplicates, lengths, required fields), and total: no input panics.

use std::collections::HashSet;

use thiserror::Error;

use super::digest::Algorithm;

/// Longest header value read at all, in bytes.
pub const MAX_HEADER_LEN: usize = 4096;
/// Longest single parameter value (and name), in bytes.
pub const MAX_VALUE_LEN: usize = 1024;
/// How much of an unrecognised scheme/algorithm/qop is kept in an error (for logs).
const ECHO_LEN: usize = 64;

/// Why a credentials header value was not usable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// Not `Digest`: answer 401/407 with a fresh challenge (RFC 4475 torture test regaut01).
    #[error("unsupported authorization scheme {0:?}")]
    UnsupportedScheme(String),
    /// An `algorithm` we did not offer (e.g. `MD5-sess`, `SHA-512-256`): re-challenge.
    #[error("unsupported digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// A `qop` other than `auth` (e.g. `auth-int`, never offered): re-challenge.
    #[error("unsupported qop {0:?}")]
    UnsupportedQop(String),
    /// The whole value is longer than [`MAX_HEADER_LEN`].
    #[error("authorization header of {0} bytes is too long")]
    TooLong(usize),
    /// A parameter name or value is longer than [`MAX_VALUE_LEN`].
    #[error("parameter {0:?} is too long")]
    ValueTooLong(String),
    /// A parameter appears twice (RFC 7616 §3.4: each at most once).
    #[error("parameter {0:?} appears more than once")]
    Duplicate(String),
    /// A required parameter is absent.
    #[error("missing parameter {0}")]
    Missing(&'static str),
    /// The `nc` value is not 8 hex digits (RFC 7616 §3.4, `nc-value = 8LHEX`).
    #[error("bad nonce-count {0:?}")]
    BadNonceCount(String),
    /// The text does not follow the grammar at byte `at`.
    #[error("malformed authorization header at byte {at}: {reason}")]
    Malformed {
        /// Byte offset of the problem.
        at: usize,
        /// What was expected there.
        reason: &'static str,
    },
}

impl ParseError {
    /// Whether the right answer is a fresh 401/407 challenge (the client used something we
    /// do not speak) rather than 400 Bad Request (the header is broken).
    pub fn wants_challenge(&self) -> bool {
        matches!(
            self,
            ParseError::UnsupportedScheme(_) | ParseError::UnsupportedAlgorithm(_) | ParseError::UnsupportedQop(_)
        )
    }
}

/// The `qop=auth` part of the credentials (RFC 7616 §3.4: with qop, nc and cnonce are
/// required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QopAuth {
    /// The qop token as sent (`auth`, any case); it is hashed as sent.
    pub qop: String,
    /// The nonce count as a number, for replay checks.
    pub nc: u32,
    /// The nonce count as sent (8 hex digits); it is hashed as sent.
    pub nc_text: String,
    /// The client nonce.
    pub cnonce: String,
}

/// Parsed Digest credentials (RFC 3261 §22.4, RFC 7616 §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `username`.
    pub username: String,
    /// `realm`.
    pub realm: String,
    /// `nonce`, as issued by the server.
    pub nonce: String,
    /// `uri` (digest-uri), hashed into HA2.
    pub uri: String,
    /// `response`, the request-digest in hex.
    pub response: String,
    /// `algorithm`; MD5 when absent (RFC 7616 §3.4, RFC 3261 §22.4).
    pub algorithm: Algorithm,
    /// `qop=auth` with `nc` and `cnonce`, or `None` for the RFC 2069 form.
    pub qop: Option<QopAuth>,
    /// `opaque`, if sent (we issue none; kept for callers that do).
    pub opaque: Option<String>,
}

impl Credentials {
    /// Parse a header value such as `Digest username="bob", realm="x", ...`.
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        Self::parse_bytes(value.as_bytes())
    }

    /// Parse a header value given as raw bytes (need not be UTF-8; non-UTF-8 is refused).
    pub fn parse_bytes(value: &[u8]) -> Result<Self, ParseError> {
        let mut fields = Fields::default();
        for (name, value) in digest_params(value)? {
            fields.set(&name, value);
        }
        fields.finish()
    }
}

/// A parameter of a `Digest` value: its lowercased name and its unquoted value.
pub(crate) type DigestParam = (Vec<u8>, Vec<u8>);

/// The parameters of a `Digest` header value, names lowercased, values unquoted, in order:
/// what credentials (here) and challenges (`client.rs`) are both made of. Refuses another
/// scheme, duplicates, over-long values and anything off the grammar.
pub(crate) fn digest_params(value: &[u8]) -> Result<Vec<DigestParam>, ParseError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(ParseError::TooLong(value.len()));
    }
    let mut lx = Lexer { s: value, i: 0 };
    lx.skip_ws();
    let scheme = lx.token();
    if scheme.is_empty() {
        return Err(lx.malformed("expected an auth-scheme"));
    }
    if !scheme.eq_ignore_ascii_case(b"Digest") {
        return Err(ParseError::UnsupportedScheme(clip(scheme)));
    }
    // RFC 3261 §25.1 wants LWS after the scheme; accept its absence only at the end or
    // before a comma (lenient), never glued to a parameter name.
    match lx.peek() {
        None | Some(b' ' | b'\t' | b'\r' | b'\n' | b',') => {}
        Some(_) => return Err(lx.malformed("expected whitespace after Digest")),
    }

    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut params = Vec::new();
    loop {
        lx.skip_ws_and_commas();
        if lx.at_end() {
            break;
        }
        let name = lx.token();
        if name.is_empty() {
            return Err(lx.malformed("expected a parameter name"));
        }
        if name.len() > MAX_VALUE_LEN {
            return Err(ParseError::ValueTooLong(clip(name)));
        }
        let lower = name.to_ascii_lowercase();
        lx.skip_ws();
        if lx.peek() != Some(b'=') {
            return Err(lx.malformed("expected '=' after a parameter name"));
        }
        lx.i += 1;
        lx.skip_ws();
        let value = match lx.peek() {
            Some(b'"') => lx.quoted(&lower)?,
            _ => lx.unquoted(&lower)?,
        };
        lx.skip_ws();
        match lx.peek() {
            None | Some(b',') => {}
            Some(_) => return Err(lx.malformed("expected ',' between parameters")),
        }
        if !seen.insert(lower.clone()) {
            return Err(ParseError::Duplicate(clip(&lower)));
        }
        params.push((lower, value));
    }
    Ok(params)
}

/// Raw parameter values, before the cross-field checks.
#[derive(Default)]
struct Fields {
    username: Option<Vec<u8>>,
    realm: Option<Vec<u8>>,
    nonce: Option<Vec<u8>>,
    uri: Option<Vec<u8>>,
    response: Option<Vec<u8>>,
    algorithm: Option<Vec<u8>>,
    qop: Option<Vec<u8>>,
    nc: Option<Vec<u8>>,
    cnonce: Option<Vec<u8>>,
    opaque: Option<Vec<u8>>,
}

impl Fields {
    fn set(&mut self, lower_name: &[u8], value: Vec<u8>) {
        let slot = match lower_name {
            b"username" => &mut self.username,
            b"realm" => &mut self.realm,
            b"nonce" => &mut self.nonce,
            b"uri" => &mut self.uri,
            b"response" => &mut self.response,
            b"algorithm" => &mut self.algorithm,
            b"qop" => &mut self.qop,
            b"nc" => &mut self.nc,
            b"cnonce" => &mut self.cnonce,
            b"opaque" => &mut self.opaque,
            // Unknown auth-params are ignored (RFC 3261 §25.1 `auth-param`, RFC 7616 §3.4).
            _ => return,
        };
        *slot = Some(value);
    }

    fn finish(self) -> Result<Credentials, ParseError> {
        let required = |v: Option<Vec<u8>>, name: &'static str| -> Result<String, ParseError> {
            utf8(v.ok_or(ParseError::Missing(name))?)
        };
        let algorithm = match self.algorithm {
            None => Algorithm::Md5,
            Some(a) => std::str::from_utf8(&a)
                .ok()
                .and_then(Algorithm::from_token)
                .ok_or_else(|| ParseError::UnsupportedAlgorithm(clip(&a)))?,
        };
        let qop = match self.qop {
            None => None, // RFC 2069 form: any nc/cnonce sent anyway are ignored.
            Some(q) if q.eq_ignore_ascii_case(b"auth") => {
                let nc_raw = self.nc.ok_or(ParseError::Missing("nc"))?;
                let nc_text = utf8(nc_raw)?;
                let nc = parse_nc(&nc_text).ok_or_else(|| ParseError::BadNonceCount(clip(nc_text.as_bytes())))?;
                let cnonce = utf8(self.cnonce.ok_or(ParseError::Missing("cnonce"))?)?;
                Some(QopAuth { qop: utf8(q)?, nc, nc_text, cnonce })
            }
            Some(q) => return Err(ParseError::UnsupportedQop(clip(&q))),
        };
        Ok(Credentials {
            username: required(self.username, "username")?,
            realm: required(self.realm, "realm")?,
            nonce: required(self.nonce, "nonce")?,
            uri: required(self.uri, "uri")?,
            response: required(self.response, "response")?,
            algorithm,
            qop,
            opaque: self.opaque.map(utf8).transpose()?,
        })
    }
}

/// `nc-value = 8LHEX` (RFC 7616 §3.4); uppercase hex is tolerated.
fn parse_nc(text: &str) -> Option<u32> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

pub(crate) fn utf8(v: Vec<u8>) -> Result<String, ParseError> {
    String::from_utf8(v).map_err(|_| ParseError::Malformed { at: 0, reason: "value is not UTF-8" })
}

/// A short, lossy copy of attacker-controlled text for an error message.
pub(crate) fn clip(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(ECHO_LEN)]).into_owned()
}

/// A cursor over the header value. Every access is bounds-checked through `peek`.
struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn malformed(&self, reason: &'static str) -> ParseError {
        ParseError::Malformed { at: self.i, reason }
    }

    /// Skips LWS; CR and LF count as whitespace so a folded header that was not unfolded
    /// upstream still reads (RFC 3261 §7.3.1).
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    /// Skips whitespace and empty list elements (`a=1,, b=2`), as the list rules allow.
    fn skip_ws_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n' | b',')) {
            self.i += 1;
        }
    }

    /// A run of RFC 3261 §25.1 `token` characters (possibly empty).
    fn token(&mut self) -> &'a [u8] {
        let start = self.i;
        while self.peek().is_some_and(is_token_char) {
            self.i += 1;
        }
        self.s.get(start..self.i).unwrap_or_default()
    }

    /// An unquoted value: any visible ASCII except `"` and `,`. Wider than `token` because
    /// phones send e.g. `algorithm=MD5` and `nc=00000001` bare but also `uri=sip:a@b` bare.
    fn unquoted(&mut self, name: &[u8]) -> Result<Vec<u8>, ParseError> {
        let start = self.i;
        while let Some(b) = self.peek() {
            if b == b',' || b == b'"' || b == b' ' || b == b'\t' || b == b'\r' || b == b'\n' {
                break;
            }
            if !(0x21..=0x7e).contains(&b) {
                return Err(self.malformed("unexpected byte in an unquoted value"));
            }
            self.i += 1;
            if self.i - start > MAX_VALUE_LEN {
                return Err(ParseError::ValueTooLong(clip(name)));
            }
        }
        if self.i == start {
            return Err(self.malformed("expected a value"));
        }
        Ok(self.s.get(start..self.i).unwrap_or_default().to_vec())
    }

    /// A quoted-string (RFC 3261 §25.1): `\` escapes one byte in %x00-09 / %x0B-0C /
    /// %x0E-7F; raw control characters other than HT are refused; UTF-8 passes through.
    fn quoted(&mut self, name: &[u8]) -> Result<Vec<u8>, ParseError> {
        self.i += 1; // opening quote
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.malformed("unterminated quoted string"));
            };
            self.i += 1;
            match b {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.malformed("unterminated quoted string"));
                    };
                    if e >= 0x80 || e == b'\r' || e == b'\n' {
                        return Err(self.malformed("bad escape in a quoted string"));
                    }
                    self.i += 1;
                    out.push(e);
                }
                b'\t' => out.push(b),
                0x00..=0x1f | 0x7f => {
                    return Err(ParseError::Malformed {
                        at: self.i - 1,
                        reason: "control character in a quoted string",
                    })
                }
                _ => out.push(b),
            }
            if out.len() > MAX_VALUE_LEN {
                return Err(ParseError::ValueTooLong(clip(name)));
            }
        }
    }
}

/// RFC 3261 §25.1: `token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" /
/// "'" / "~")`.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOB: &str = r#"Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

    #[test]
    fn parses_rfc3261_style_credentials() {
        let c = Credentials::parse(BOB).unwrap();
        assert_eq!(c.username, "bob");
        assert_eq!(c.realm, "biloxi.com");
        assert_eq!(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
        assert_eq!(c.uri, "sip:bob@biloxi.com");
        assert_eq!(c.response, "6629fae49393a05397450978507c4ef1");
        assert_eq!(c.algorithm, Algorithm::Md5);
        let q = c.qop.unwrap();
        assert_eq!((q.qop.as_str(), q.nc, q.nc_text.as_str(), q.cnonce.as_str()), ("auth", 1, "00000001", "0a4f113b"));
        assert_eq!(c.opaque.as_deref(), Some("5ccc069c403ebaf9f0171e9517f40e41"));
    }

    #[test]
    fn odd_spacing_case_and_empty_elements() {
        let v = "  dIgEsT\t,USERNAME = \"a\" ,,\r\n  Realm=\"r\",nonce=\"n\" ,uri=\"sip:x\",response=\"00\",ALGORITHM = sha-256 , QoP=\"auth\", NC=0000000a, cnonce=c, ";
        let c = Credentials::parse(v).unwrap();
        assert_eq!((c.username.as_str(), c.realm.as_str(), c.nonce.as_str()), ("a", "r", "n"));
        assert_eq!(c.algorithm, Algorithm::Sha256);
        let q = c.qop.unwrap();
        assert_eq!((q.nc, q.cnonce.as_str()), (10, "c"));
    }

    #[test]
    fn quoted_commas_and_escapes() {
        let v = r#"Digest username="a,b\"c\\d", realm="r, s", nonce="n", uri="sip:x;a=b,c", response="00""#;
        let c = Credentials::parse(v).unwrap();
        assert_eq!(c.username, r#"a,b"c\d"#);
        assert_eq!(c.realm, "r, s");
        assert_eq!(c.uri, "sip:x;a=b,c");
        assert!(c.qop.is_none());
    }

    #[test]
    fn utf8_username_passes_through() {
        let v = "Digest username=\"j\u{f6}rg\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"0\"";
        assert_eq!(Credentials::parse(v).unwrap().username, "j\u{f6}rg");
        let mut raw = v.as_bytes().to_vec();
        raw[18] = 0xff; // break the UTF-8 inside the quoted username
        assert!(Credentials::parse_bytes(&raw).is_err());
    }

    #[test]
    fn missing_fields() {
        for (field, v) in [
            ("username", r#"Digest realm="r", nonce="n", uri="u", response="0""#),
            ("realm", r#"Digest username="a", nonce="n", uri="u", response="0""#),
            ("nonce", r#"Digest username="a", realm="r", uri="u", response="0""#),
            ("uri", r#"Digest username="a", realm="r", nonce="n", response="0""#),
            ("response", r#"Digest username="a", realm="r", nonce="n", uri="u""#),
            ("nc", r#"Digest username="a", realm="r", nonce="n", uri="u", response="0", qop=auth, cnonce="c""#),
            ("cnonce", r#"Digest username="a", realm="r", nonce="n", uri="u", response="0", qop=auth, nc=00000001"#),
        ] {
            assert_eq!(Credentials::parse(v), Err(ParseError::Missing(field)), "{v}");
        }
        assert_eq!(Credentials::parse("Digest"), Err(ParseError::Missing("username")));
        assert_eq!(Credentials::parse("Digest   "), Err(ParseError::Missing("username")));
    }

    #[test]
    fn duplicates_refused_even_in_other_case() {
        let v = r#"Digest username="a", realm="r", nonce="n", uri="u", response="0", Realm="r""#;
        assert_eq!(Credentials::parse(v), Err(ParseError::Duplicate("realm".into())));
        let v = r#"Digest username="a", realm="r", nonce="n", uri="u", response="0", x=1, X=2"#;
        assert_eq!(Credentials::parse(v), Err(ParseError::Duplicate("x".into())));
    }

    #[test]
    fn unknown_params_ignored() {
        let v = r#"Digest username="a", realm="r", nonce="n", uri="u", response="0", userhash=false, foo="bar, baz", x-y=z"#;
        assert_eq!(Credentials::parse(v).unwrap().username, "a");
    }

    #[test]
    fn unsupported_scheme_is_typed_and_wants_a_challenge() {
        // RFC 4475 "regaut01": an unknown scheme gets a 401 with a challenge.
        let e = Credentials::parse("NoOneKnowsThisScheme opaque-data=here").unwrap_err();
        assert_eq!(e, ParseError::UnsupportedScheme("NoOneKnowsThisScheme".into()));
        assert!(e.wants_challenge());
        let e = Credentials::parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap_err();
        assert!(matches!(e, ParseError::UnsupportedScheme(ref s) if s == "Basic"));
        assert!(matches!(Credentials::parse("Digestx a=1"), Err(ParseError::UnsupportedScheme(_))));
    }

    #[test]
    fn unsupported_algorithm_and_qop() {
        let base = r#"Digest username="a", realm="r", nonce="n", uri="u", response="0""#;
        for alg in ["MD5-sess", "SHA-256-sess", "SHA-512-256", "\"foo\""] {
            let e = Credentials::parse(&format!("{base}, algorithm={alg}")).unwrap_err();
            assert!(matches!(e, ParseError::UnsupportedAlgorithm(_)), "{alg}: {e:?}");
            assert!(e.wants_challenge());
        }
        let e = Credentials::parse(&format!("{base}, qop=auth-int, nc=00000001, cnonce=\"c\"")).unwrap_err();
        assert_eq!(e, ParseError::UnsupportedQop("auth-int".into()));
        let c = Credentials::parse(&format!("{base}, algorithm=\"MD5\"")).unwrap();
        assert_eq!(c.algorithm, Algorithm::Md5);
    }

    #[test]
    fn bad_nonce_counts() {
        let base = r#"Digest username="a", realm="r", nonce="n", uri="u", response="0", qop=auth, cnonce="c""#;
        for nc in ["1", "000000001", "0000000g", "\"\"", "+0000001"] {
            let e = Credentials::parse(&format!("{base}, nc={nc}")).unwrap_err();
            assert!(matches!(e, ParseError::BadNonceCount(_)), "{nc}: {e:?}");
        }
        let c = Credentials::parse(&format!("{base}, nc=\"FFFFFFFF\"")).unwrap();
        assert_eq!(c.qop.unwrap().nc, u32::MAX);
    }

    #[test]
    fn malformed_inputs() {
        for v in [
            "",
            "   ",
            "\"Digest\" a=1",
            "Digest username",
            "Digest username=",
            "Digest username=\"a",
            "Digest username=\"a\\",
            "Digest username=\"a\" realm=\"r\"",
            "Digest username=\"a\"x",
            "Digest =\"a\"",
            "Digest username=\"a\rb\"",
            "Digest username=a\u{e9}",
            "Digest, username=\"a\" ; realm=\"r\"",
            "Digest username=\"a\\\u{e9}\"",
        ] {
            let e = Credentials::parse(v).unwrap_err();
            assert!(matches!(e, ParseError::Malformed { .. }), "{v:?}: {e:?}");
            assert!(!e.wants_challenge());
        }
    }

    #[test]
    fn length_limits() {
        let big = "a".repeat(MAX_VALUE_LEN + 1);
        let v = format!(r#"Digest username="{big}", realm="r", nonce="n", uri="u", response="0""#);
        assert_eq!(Credentials::parse(&v), Err(ParseError::ValueTooLong("username".into())));
        let v = format!(r#"Digest username={big}, realm="r", nonce="n", uri="u", response="0""#);
        assert_eq!(Credentials::parse(&v), Err(ParseError::ValueTooLong("username".into())));
        let v = format!(r#"Digest {big}=1, username="a""#);
        assert!(matches!(Credentials::parse(&v), Err(ParseError::ValueTooLong(_))));
        // Exactly at the limit is fine.
        let ok = "a".repeat(MAX_VALUE_LEN);
        let v = format!(r#"Digest username="{ok}", realm="r", nonce="n", uri="u", response="0""#);
        assert_eq!(Credentials::parse(&v).unwrap().username.len(), MAX_VALUE_LEN);
        // Escapes count once the unescaped value is over the limit.
        let esc = "\\a".repeat(MAX_VALUE_LEN + 1);
        let v = format!(r#"Digest username="{esc}""#);
        assert!(matches!(Credentials::parse(&v), Err(ParseError::ValueTooLong(_))));
        let huge = format!("Digest {}", "x=1,".repeat(MAX_HEADER_LEN));
        assert!(matches!(Credentials::parse(&huge), Err(ParseError::TooLong(_))));
    }

    /// xorshift64*: a tiny seeded generator so the fuzz loop is reproducible.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    #[test]
    fn fuzz_never_panics() {
        let mut rng = XorShift(0x5eed_1234_abcd_ef01);
        // Pieces that steer random input into the interesting parts of the grammar.
        let pieces: &[&[u8]] = &[
            b"Digest ",
            b"digest",
            b"username",
            b"realm",
            b"nonce",
            b"uri",
            b"response",
            b"qop",
            b"auth",
            b"nc",
            b"cnonce",
            b"algorithm",
            b"SHA-256",
            b"MD5",
            b"=",
            b"\"",
            b"\\",
            b",",
            b" ",
            b"\t",
            b"\r\n ",
            b"00000001",
            b"\xc3\xa9",
            b"\xff",
            b"\0",
        ];
        let mut refused = 0usize;
        for round in 0..10_000 {
            let len = (rng.next() % 200) as usize;
            let mut input = Vec::with_capacity(len + 16);
            if round % 2 == 0 {
                input.extend_from_slice(b"Digest ");
            }
            while input.len() < len {
                let r = rng.next();
                if r & 3 == 0 {
                    input.push((r >> 8) as u8);
                } else {
                    input.extend_from_slice(pieces[(r >> 8) as usize % pieces.len()]);
                }
            }
            if Credentials::parse_bytes(&input).is_err() {
                refused += 1;
            }
            let _ = Credentials::parse(&String::from_utf8_lossy(&input));
        }
        assert!(refused > 0);
    }

    #[test]
    fn fuzz_mutations_of_a_valid_header_never_panic() {
        // Random soup rarely gets past the first parameter; small mutations of a valid
        // header reach the cross-field checks too.
        let mut rng = XorShift(0x0dd_ba11_cafe_f00d);
        let (mut ok, mut refused) = (0usize, 0usize);
        for _ in 0..10_000 {
            let mut input = BOB.as_bytes().to_vec();
            for _ in 0..1 + rng.next() % 4 {
                let r = rng.next();
                let at = (r >> 16) as usize % (input.len() + 1);
                let byte = (r >> 8) as u8;
                match r % 4 {
                    0 if at < input.len() => input[at] = byte,
                    1 if at < input.len() => {
                        input.remove(at);
                    }
                    2 => input.insert(at, *b"\",= \\\r".get(byte as usize % 6).unwrap_or(&b' ')),
                    _ => input.insert(at, byte),
                }
            }
            match Credentials::parse_bytes(&input) {
                Ok(_) => ok += 1,
                Err(_) => refused += 1,
            }
        }
        assert!(ok > 100 && refused > 100, "ok {ok}, refused {refused}");
    }
}
