//! Who may use the SIP side: digest authentication of REGISTER and INVITE against the
//! extensions in the directory (RFC 3261 §22), and brute-force bans of addresses that keep
//! failing it. Decisions only: the caller builds and sends the responses.

use crate::directory::{Directory, ExtensionEntry};
use crate::throttle::Throttle;
use sb_sip::auth::digest::Algorithm;
use sb_sip::auth::{AuthRole, Authenticator, Credentials, Secret, Verdict};
use sb_sip::message::{self, HeaderName, Request};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The verdict on a request's credentials.
#[derive(Debug)]
pub enum Access {
    /// Authenticated as this extension.
    Granted(ExtensionEntry),
    /// Answer 401/407 with these challenge header values (no credentials yet, or stale).
    Challenge(Vec<String>),
    /// Answer 403: wrong password, unknown or inactive user.
    Forbidden(&'static str),
    /// Answer 400: credentials that do not parse.
    Malformed,
    /// The address is banned: answer nothing.
    Banned,
    /// The directory could not be read: answer 500.
    Unavailable,
}

/// Digest authentication and bans for the SIP side.
pub struct SipAccess {
    directory: Directory,
    auth: Mutex<Authenticator>,
    throttle: Throttle,
    failures: AtomicU64,
    bans: AtomicU64,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl SipAccess {
    /// Access control for `realm`, nonces keyed by a fresh random secret.
    pub fn new(directory: Directory, realm: &str, algorithms: &[Algorithm], throttle: Throttle) -> SipAccess {
        let secret: [u8; 32] = rand::random();
        let auth = Authenticator::new(realm, secret).unwrap_or_else(|_| Authenticator::new("switchboard", secret).expect("static realm is quotable"));
        let auth = auth.with_algorithms(algorithms);
        SipAccess { directory, auth: Mutex::new(auth), throttle, failures: AtomicU64::new(0), bans: AtomicU64::new(0) }
    }

    /// Whether `addr` is banned now.
    pub fn is_banned(&self, addr: IpAddr) -> bool {
        self.throttle.banned(addr, Instant::now()).is_some()
    }

    /// Failed authentications so far.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Bans imposed so far.
    pub fn bans(&self) -> u64 {
        self.bans.load(Ordering::Relaxed)
    }

    fn challenge(&self, stale: bool) -> Access {
        let auth = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        Access::Challenge(auth.challenges(unix_now(), stale).iter().map(|c| c.header_value()).collect())
    }

    fn fail(&self, source: IpAddr, why: &'static str) -> Access {
        self.failures.fetch_add(1, Ordering::Relaxed);
        tracing::info!(%source, why, "SIP authentication failed");
        if self.throttle.fail(source, Instant::now()) {
            self.bans.fetch_add(1, Ordering::Relaxed);
        }
        Access::Forbidden(why)
    }

    /// Checks the credentials of `request` from `source`, answered with `role`'s header
    /// pair (401/Authorization for REGISTER, 407/Proxy-Authorization otherwise).
    pub async fn check(&self, request: &Request, source: IpAddr, role: AuthRole) -> Access {
        if self.is_banned(source) {
            return Access::Banned;
        }
        let name = match role {
            AuthRole::Server => HeaderName::Authorization,
            _ => HeaderName::ProxyAuthorization,
        };
        let realm = self.auth.lock().unwrap_or_else(|p| p.into_inner()).realm().to_owned();
        // A request may carry credentials for several realms (§22.3); use ours.
        let mut ours = None;
        for value in message::header_all(&request.headers, &name) {
            match Credentials::parse(&value) {
                Ok(creds) if creds.realm == realm => {
                    ours = Some(creds);
                    break;
                }
                Ok(_) => {}
                Err(e) if e.wants_challenge() => {}
                Err(_) => return Access::Malformed,
            }
        }
        let Some(creds) = ours else { return self.challenge(false) };
        let entry = match self.directory.extension(&creds.username).await {
            Ok(Some(entry)) => entry,
            Ok(None) => return self.fail(source, "unknown user"),
            Err(e) => {
                tracing::error!(error = %e, "directory unavailable");
                return Access::Unavailable;
            }
        };
        let method = request.method.to_string();
        let verdict = {
            let mut auth = self.auth.lock().unwrap_or_else(|p| p.into_inner());
            auth.verify(&creds, &method, &entry.number, Secret::Password(&entry.password), unix_now())
        };
        match verdict {
            Verdict::Ok if !entry.active => self.fail(source, "extension inactive"),
            Verdict::Ok => Access::Granted(entry),
            Verdict::Stale | Verdict::Replay | Verdict::BadNonce => self.challenge(verdict.stale()),
            Verdict::WrongPassword => self.fail(source, "wrong password"),
            Verdict::Mismatch(_) => self.fail(source, "credentials mismatch"),
        }
    }
}
