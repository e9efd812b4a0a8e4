//! Who may use ARI: the users of the configuration's `[ari]` section (as Asterisk's
//! `ari.conf`) and of `SWITCHBOARD_ARI_USERS`, presented as HTTP Basic or, when there is no
//! Authorization header, as `?api_key=user:password`. Passwords are kept in plain text as
//! `ari.conf`'s default `password_format=plain` (crypt(3) hashes are not supported).
//! With `[ari] api_keys` on (beyond Asterisk), the provisioning API's keys are accepted too,
//! as `Authorization: Bearer sb_…` or `?api_key=sb_…`. Every success is a [`Grant`]; failed
//! attempts of either kind count towards the shared per-address ban.

use crate::access::{Grant, Scope};
use crate::error::AriError;
use base64::Engine;
use sb_core::provisioning::api_keys::{self, ValidKey};
use sb_core::provisioning::Role;
use sb_core::secrets::constant_time_eq;
use sb_core::throttle::Throttle;
use sb_store::Store;
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
    /// The applications the user may use.
    pub scope: Scope,
}

impl AriUser {
    /// What the user may do.
    fn grant(&self) -> Grant {
        Grant { name: self.name.clone(), read_only: self.read_only, scope: self.scope.clone() }
    }
}

/// A malformed user list.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UsersError {
    /// An entry is not `user:password`, or one of the two is empty.
    #[error("ARI user entry {0:?} is not user:password")]
    Malformed(String),
}

/// Parses `SWITCHBOARD_ARI_USERS`: `user:password[,user:password]` (read-write users of
/// every application).
pub fn parse_user_list(text: &str) -> Result<Vec<AriUser>, UsersError> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once(':') {
            Some((name, password)) if !name.is_empty() && !password.is_empty() => Ok(AriUser {
                name: name.to_owned(),
                password: password.to_owned(),
                read_only: false,
                scope: Scope::Any,
            }),
            _ => Err(UsersError::Malformed(entry.split(':').next().unwrap_or_default().to_owned())),
        })
        .collect()
}

/// What a request presents.
#[derive(Debug, PartialEq, Eq)]
enum Credentials<'a> {
    /// An ARI user's name and password.
    Password(String, String),
    /// A provisioning API key.
    Key(&'a str),
}

impl<'a> Credentials<'a> {
    /// The credentials of the Authorization header, else of `api_key` (as Asterisk: a wrong
    /// header is not rescued by a good `api_key`); keys only when `keys` is on.
    fn read(authorization: Option<&'a str>, api_key: Option<&'a str>, keys: bool) -> Option<Credentials<'a>> {
        match authorization {
            Some(header) => match api_keys::bearer_token(header) {
                Some(token) if keys => Some(Credentials::Key(token)),
                _ => basic_credentials(header).map(|(name, password)| Credentials::Password(name, password)),
            },
            None => {
                let key = api_key?;
                match key.split_once(':') {
                    Some((name, password)) => Some(Credentials::Password(name.to_owned(), password.to_owned())),
                    None if keys => Some(Credentials::Key(key)),
                    None => None,
                }
            }
        }
    }
}

/// What a valid provisioning API key may do on ARI: read-only keys only read; a key confined
/// to a tenant is refused, since ARI shows the whole node.
pub fn key_grant(key: &ValidKey) -> Result<Grant, AriError> {
    if key.tenant.is_some() {
        return Err(AriError::forbidden("API key is confined to a tenant; ARI is node-wide"));
    }
    Ok(Grant { name: format!("key:{}", key.id), read_only: key.role == Role::ReadOnly, scope: Scope::Any })
}

/// Checks credentials against the configured users (and, when on, the provisioning API's
/// keys) and bans addresses that keep failing.
pub struct Authenticator {
    users: Vec<AriUser>,
    keys: Option<Store>,
    throttle: Throttle,
}

impl Authenticator {
    /// An authenticator for `users` (later entries with the same name replace earlier ones)
    /// and, when `keys` is given, the API keys of that store.
    pub fn new(users: Vec<AriUser>, keys: Option<Store>, throttle: Throttle) -> Authenticator {
        let mut unique: Vec<AriUser> = Vec::with_capacity(users.len());
        for user in users {
            unique.retain(|u| u.name != user.name);
            unique.push(user);
        }
        Authenticator { users: unique, keys, throttle }
    }

    /// What the request may do: Basic first, else `api_key` (as Asterisk); bearer keys when on.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        api_key: Option<&str>,
        remote: Option<IpAddr>,
        now: Instant,
    ) -> Result<Grant, AriError> {
        if let Some(ip) = remote {
            if let Some(left) = self.throttle.banned(ip, now) {
                return Err(AriError::TooManyAttempts { retry_after: left.as_secs().max(1) });
            }
        }
        let Some(presented) = Credentials::read(authorization, api_key, self.keys.is_some()) else {
            return Err(AriError::Unauthenticated);
        };
        let found = match presented {
            Credentials::Password(name, password) => self.user(&name, &password).map(AriUser::grant),
            Credentials::Key(token) => match &self.keys {
                Some(store) => match api_keys::verify(store, token).await {
                    Ok(key) => key.as_ref().map(key_grant).transpose()?,
                    Err(error) => {
                        tracing::warn!(%error, "ARI: checking an API key failed");
                        return Err(AriError::internal("Internal Server Error"));
                    }
                },
                None => None,
            },
        };
        match found {
            Some(grant) => Ok(grant),
            None => Err(self.failed(remote, now)),
        }
    }

    /// The user with this name and password. Every user is compared, so the time taken does
    /// not tell which names exist.
    fn user(&self, name: &str, password: &str) -> Option<&AriUser> {
        let mut found = None;
        for user in &self.users {
            let matches = constant_time_eq(user.name.as_bytes(), name.as_bytes())
                & constant_time_eq(user.password.as_bytes(), password.as_bytes());
            if matches {
                found = Some(user);
            }
        }
        found
    }

    /// Counts a failed attempt: 401, or 429 once the address is banned.
    fn failed(&self, remote: Option<IpAddr>, now: Instant) -> AriError {
        if let Some(ip) = remote {
            if self.throttle.fail(ip, now) {
                let ban = self.throttle.banned(ip, now).map_or(1, |d| d.as_secs().max(1));
                return AriError::TooManyAttempts { retry_after: ban };
            }
        }
        AriError::Unauthenticated
    }
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
    use sb_core::provisioning::api_keys::ApiKey;
    use sb_core::throttle::ThrottlePolicy;
    use std::time::Duration;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures: 3,
            window: Duration::from_secs(60),
            ban: Duration::from_secs(60),
            max_tracked: 16,
        }
    }

    fn users() -> Vec<AriUser> {
        let sales = Scope::Apps(["sales".to_owned()].into());
        vec![
            AriUser { name: "app".into(), password: "secret".into(), read_only: false, scope: Scope::Any },
            AriUser { name: "viewer".into(), password: "look".into(), read_only: true, scope: Scope::Any },
            AriUser { name: "bob".into(), password: "b".into(), read_only: false, scope: sales },
        ]
    }

    fn authenticator() -> Authenticator {
        Authenticator::new(users(), None, Throttle::new(policy()))
    }

    fn basic(credentials: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials))
    }

    async fn name(auth: &Authenticator, header: Option<&str>, api_key: Option<&str>) -> Result<String, AriError> {
        auth.authenticate(header, api_key, None, Instant::now()).await.map(|grant| grant.name)
    }

    #[tokio::test]
    async fn basic_and_api_key_both_authenticate_basic_first() {
        let auth = authenticator();
        assert_eq!(name(&auth, Some(&basic("app:secret")), None).await.as_deref(), Ok("app"));
        assert_eq!(name(&auth, None, Some("viewer:look")).await.as_deref(), Ok("viewer"));
        // A wrong Basic header is not rescued by a good api_key.
        assert_eq!(name(&auth, Some(&basic("app:nope")), Some("app:secret")).await, Err(AriError::Unauthenticated));
        assert_eq!(name(&auth, None, Some("app")).await, Err(AriError::Unauthenticated));
        assert_eq!(name(&auth, None, None).await, Err(AriError::Unauthenticated));
        // Without api_keys on, a bearer header is no credential at all.
        assert_eq!(name(&auth, Some("Bearer sb_a.b"), Some("app:secret")).await, Err(AriError::Unauthenticated));
    }

    #[tokio::test]
    async fn the_grant_carries_the_users_rights() {
        let auth = authenticator();
        let viewer = auth.authenticate(None, Some("viewer:look"), None, Instant::now()).await.expect("viewer");
        assert!(viewer.read_only && viewer.scope == Scope::Any);
        let bob = auth.authenticate(None, Some("bob:b"), None, Instant::now()).await.expect("bob");
        assert!(!bob.read_only && bob.scope.allows_app("sales") && !bob.scope.allows_app("demo"));
    }

    #[tokio::test]
    async fn repeated_failures_ban_the_address() {
        let auth = authenticator();
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        let now = Instant::now();
        let attempt = |key: &'static str, at: Instant| {
            let auth = &auth;
            async move { auth.authenticate(None, Some(key), Some(ip), at).await }
        };
        assert_eq!(attempt("app:x", now).await, Err(AriError::Unauthenticated));
        assert_eq!(attempt("app:y", now).await, Err(AriError::Unauthenticated));
        assert!(matches!(attempt("app:z", now).await, Err(AriError::TooManyAttempts { .. })));
        assert!(matches!(attempt("app:secret", now).await, Err(AriError::TooManyAttempts { .. })));
        assert!(attempt("app:secret", now + Duration::from_secs(61)).await.is_ok());
    }

    #[test]
    fn credentials_are_read_from_the_header_first_and_keys_only_when_on() {
        let header = basic("app:secret");
        let password = Credentials::Password("app".into(), "secret".into());
        assert_eq!(Credentials::read(Some(&header), Some("sb_k.s"), true), Some(password));
        assert_eq!(Credentials::read(Some("Bearer sb_k.s"), None, true), Some(Credentials::Key("sb_k.s")));
        assert_eq!(Credentials::read(Some("Bearer sb_k.s"), None, false), None);
        assert_eq!(Credentials::read(None, Some("sb_k.s"), true), Some(Credentials::Key("sb_k.s")));
        assert_eq!(Credentials::read(None, Some("sb_k.s"), false), None);
        let colon = Credentials::Password("sb_k.s".into(), "x".into());
        assert_eq!(Credentials::read(None, Some("sb_k.s:x"), true), Some(colon), "a colon means user:password");
    }

    #[test]
    fn keys_grant_by_role_and_tenant_confined_keys_are_refused() {
        let key = |role, tenant: Option<&str>| ValidKey { id: "k1".into(), role, tenant: tenant.map(str::to_owned) };
        let admin = key_grant(&key(Role::Admin, None)).expect("admin");
        assert_eq!(admin, Grant { name: "key:k1".into(), read_only: false, scope: Scope::Any });
        assert!(key_grant(&key(Role::ReadOnly, None)).expect("readonly").read_only);
        assert_eq!(
            key_grant(&key(Role::Admin, Some("acme"))),
            Err(AriError::forbidden("API key is confined to a tenant; ARI is node-wide"))
        );
    }

    #[tokio::test]
    async fn stored_keys_authenticate_and_unknown_ones_count_as_failures() {
        let path = std::env::temp_dir().join(format!(
            "sb-ari-keys-{}-{}.db",
            std::process::id(),
            sb_core::secrets::hex_token(8)
        ));
        let store = Store::open(&format!("sqlite://{}?mode=rwc", path.display())).await.expect("store");
        let readonly = ApiKey::generate(Role::ReadOnly, None, None);
        let confined = ApiKey::generate(Role::Admin, Some("default".into()), None);
        let mut tx = store.write().await.expect("write");
        for key in [&readonly, &confined] {
            tx.insert_api_key(&key.record).await.expect("insert");
        }
        tx.commit().await.expect("commit");
        let auth = Authenticator::new(users(), Some(store.clone()), Throttle::new(policy()));
        let ip: IpAddr = "192.0.2.9".parse().expect("ip");
        let now = Instant::now();

        let bearer = format!("Bearer {}", readonly.token);
        let grant = auth.authenticate(Some(&bearer), None, Some(ip), now).await.expect("bearer key");
        assert_eq!(grant, Grant { name: format!("key:{}", readonly.record.id), read_only: true, scope: Scope::Any });
        assert!(auth.authenticate(None, Some(&readonly.token), Some(ip), now).await.is_ok(), "?api_key=sb_…");
        assert!(auth.authenticate(None, Some("app:secret"), Some(ip), now).await.is_ok(), "users still work");
        let tenant = auth.authenticate(None, Some(&confined.token), Some(ip), now).await;
        assert!(matches!(tenant, Err(AriError::Forbidden(_))), "{tenant:?}");

        let forged = format!("Bearer sb_{}.{}", readonly.record.id, "0".repeat(64));
        assert_eq!(auth.authenticate(Some(&forged), None, Some(ip), now).await, Err(AriError::Unauthenticated));
        assert_eq!(auth.authenticate(None, Some("sb_nobody.x"), Some(ip), now).await, Err(AriError::Unauthenticated));
        let third = auth.authenticate(Some(&forged), None, Some(ip), now).await;
        assert!(matches!(third, Err(AriError::TooManyAttempts { .. })), "bad keys share the ban: {third:?}");
        store.close().await;
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn the_environment_list_parses_and_refuses_malformed_entries() {
        let users = parse_user_list("a:1, b:two:three ,").expect("list");
        assert_eq!(
            users.iter().map(|u| (u.name.as_str(), u.password.as_str(), &u.scope)).collect::<Vec<_>>(),
            vec![("a", "1", &Scope::Any), ("b", "two:three", &Scope::Any)]
        );
        assert_eq!(parse_user_list("nopassword"), Err(UsersError::Malformed("nopassword".into())));
        assert_eq!(parse_user_list(":x"), Err(UsersError::Malformed(String::new())));
    }
}
