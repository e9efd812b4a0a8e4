//! Who may use ARI: the users of the configuration's `[ari]` section (as Asterisk's
//! `ari.conf`) and of `SWITCHBOARD_ARI_USERS`, presented as HTTP Basic or, when there is no
//! Authorization header, as `?api_key=user:password`. Passwords are kept in plain text as
//! `ari.conf`'s default `password_format=plain` (crypt(3) hashes are not supported).
//! Read-only users may only GET. Failed attempts count towards the shared per-address ban.

use crate::error::AriError;
use base64::Engine;
use sb_core::secrets::constant_time_eq;
use sb_core::throttle::Throttle;
use std::net::IpAddr;
use std::time::Instant;
use thiserror::Error;

/// One ARI user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AriUser {
    /// The login.
    pub name: String,
    /// The password, in plain text.
    pub password: String,
    /// Whether the user may only read (GET).
    pub read_only: bool,
}

/// A malformed user list.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UsersError {
    /// An entry is not `user:password`, or one of the two is empty.
    #[error("ARI user entry {0:?} is not user:password")]
    Malformed(String),
}

/// Parses `SWITCHBOARD_ARI_USERS`: `user:password[,user:password]` (read-write users).
pub fn parse_user_list(text: &str) -> Result<Vec<AriUser>, UsersError> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once(':') {
            Some((name, password)) if !name.is_empty() && !password.is_empty() => {
                Ok(AriUser { name: name.to_owned(), password: password.to_owned(), read_only: false })
            }
            _ => Err(UsersError::Malformed(entry.split(':').next().unwrap_or_default().to_owned())),
        })
        .collect()
}

/// Checks credentials against the configured users and bans addresses that keep failing.
#[derive(Debug)]
pub struct Authenticator {
    users: Vec<AriUser>,
    throttle: Throttle,
}

impl Authenticator {
    /// An authenticator for `users` (later entries with the same name replace earlier ones).
    pub fn new(users: Vec<AriUser>, throttle: Throttle) -> Authenticator {
        let mut unique: Vec<AriUser> = Vec::with_capacity(users.len());
        for user in users {
            unique.retain(|u| u.name != user.name);
            unique.push(user);
        }
        Authenticator { users: unique, throttle }
    }

    /// Whether any user is configured (without one, ARI refuses everything).
    pub fn has_users(&self) -> bool {
        !self.users.is_empty()
    }

    /// The user the request authenticates as: Basic first, else `api_key` (as Asterisk).
    pub fn authenticate(
        &self,
        authorization: Option<&str>,
        api_key: Option<&str>,
        remote: Option<IpAddr>,
        now: Instant,
    ) -> Result<&AriUser, AriError> {
        if let Some(ip) = remote {
            if let Some(left) = self.throttle.banned(ip, now) {
                return Err(AriError::TooManyAttempts { retry_after: left.as_secs().max(1) });
            }
        }
        let presented = match authorization {
            Some(header) => basic_credentials(header),
            None => api_key.and_then(|key| key.split_once(':')).map(|(u, p)| (u.to_owned(), p.to_owned())),
        };
        let Some((name, password)) = presented else { return Err(AriError::Unauthenticated) };
        // Every user is compared, so the time taken does not tell which names exist.
        let mut found = None;
        for user in &self.users {
            let matches = constant_time_eq(user.name.as_bytes(), name.as_bytes())
                & constant_time_eq(user.password.as_bytes(), password.as_bytes());
            if matches {
                found = Some(user);
            }
        }
        match found {
            Some(user) => Ok(user),
            None => {
                if let Some(ip) = remote {
                    if self.throttle.fail(ip, now) {
                        let ban = self.throttle.banned(ip, now).map_or(1, |d| d.as_secs().max(1));
                        return Err(AriError::TooManyAttempts { retry_after: ban });
                    }
                }
                Err(AriError::Unauthenticated)
            }
        }
    }
}

/// Whether `user` may use `method` (read-only users: GET and OPTIONS only).
pub fn authorize(user: &AriUser, method: &axum::http::Method) -> Result<(), AriError> {
    let reading = method == axum::http::Method::GET || method == axum::http::Method::OPTIONS;
    if user.read_only && !reading {
        return Err(AriError::ReadOnly);
    }
    Ok(())
}

/// The user and password of an `Authorization: Basic …` header.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (name, password) = text.split_once(':')?;
    Some((name.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_core::throttle::ThrottlePolicy;
    use std::time::Duration;

    fn authenticator() -> Authenticator {
        let users = vec![
            AriUser { name: "app".into(), password: "secret".into(), read_only: false },
            AriUser { name: "viewer".into(), password: "look".into(), read_only: true },
        ];
        let policy = ThrottlePolicy {
            max_failures: 3,
            window: Duration::from_secs(60),
            ban: Duration::from_secs(60),
            max_tracked: 16,
        };
        Authenticator::new(users, Throttle::new(policy))
    }

    #[test]
    fn basic_and_api_key_both_authenticate_basic_first() {
        let auth = authenticator();
        let now = Instant::now();
        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("app:secret"));
        assert_eq!(auth.authenticate(Some(&basic), None, None, now).map(|u| u.name.as_str()), Ok("app"));
        assert_eq!(auth.authenticate(None, Some("viewer:look"), None, now).map(|u| u.name.as_str()), Ok("viewer"));
        // A wrong Basic header is not rescued by a good api_key.
        let wrong = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("app:nope"));
        assert_eq!(auth.authenticate(Some(&wrong), Some("app:secret"), None, now), Err(AriError::Unauthenticated));
        assert_eq!(auth.authenticate(None, Some("app"), None, now), Err(AriError::Unauthenticated));
        assert_eq!(auth.authenticate(None, None, None, now), Err(AriError::Unauthenticated));
    }

    #[test]
    fn repeated_failures_ban_the_address() {
        let auth = authenticator();
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        let now = Instant::now();
        assert_eq!(auth.authenticate(None, Some("app:x"), Some(ip), now), Err(AriError::Unauthenticated));
        assert_eq!(auth.authenticate(None, Some("app:y"), Some(ip), now), Err(AriError::Unauthenticated));
        assert!(matches!(auth.authenticate(None, Some("app:z"), Some(ip), now), Err(AriError::TooManyAttempts { .. })));
        assert!(matches!(
            auth.authenticate(None, Some("app:secret"), Some(ip), now),
            Err(AriError::TooManyAttempts { .. })
        ));
        let later = now + Duration::from_secs(61);
        assert!(auth.authenticate(None, Some("app:secret"), Some(ip), later).is_ok());
    }

    #[test]
    fn read_only_users_may_only_read() {
        let viewer = AriUser { name: "v".into(), password: "p".into(), read_only: true };
        assert_eq!(authorize(&viewer, &axum::http::Method::GET), Ok(()));
        assert_eq!(authorize(&viewer, &axum::http::Method::POST), Err(AriError::ReadOnly));
        let writer = AriUser { read_only: false, ..viewer };
        assert_eq!(authorize(&writer, &axum::http::Method::DELETE), Ok(()));
    }

    #[test]
    fn the_environment_list_parses_and_refuses_malformed_entries() {
        let users = parse_user_list("a:1, b:two:three ,").expect("list");
        assert_eq!(
            users.iter().map(|u| (u.name.as_str(), u.password.as_str())).collect::<Vec<_>>(),
            vec![("a", "1"), ("b", "two:three")]
        );
        assert_eq!(parse_user_list("nopassword"), Err(UsersError::Malformed("nopassword".into())));
        assert_eq!(parse_user_list(":x"), Err(UsersError::Malformed(String::new())));
    }
}
