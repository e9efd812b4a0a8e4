//! Bearer API keys, for every HTTP surface that accepts them (the provisioning API, the CRM
//! bridge, ARI when `[ari] api_keys` is on): the key's shape `sb_<id>.<secret>`, making one,
//! and checking a presented one against the store, which keeps the id and a SHA-256 of the
//! secret (keys are 256-bit random, so a fast hash is enough).

use super::Role;
use crate::secrets;
use sb_store::{NewApiKey, Store};
use sha2::{Digest, Sha256};

/// The prefix every key starts with.
const PREFIX: &str = "sb_";

/// The longest id and secret looked at (longer ones are refused without a lookup).
const MAX_ID: usize = 64;
const MAX_SECRET: usize = 256;

/// A freshly made key: the text to give the user once, and what to store.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// The whole key, shown once.
    pub token: String,
    /// What the store keeps.
    pub record: NewApiKey,
}

impl ApiKey {
    /// Makes a new random key.
    pub fn generate(role: Role, tenant: Option<String>, label: Option<String>) -> ApiKey {
        let id = secrets::hex_token(6);
        let secret = secrets::hex_token(32);
        let token = format!("{PREFIX}{id}.{secret}");
        let record = NewApiKey { id, secret_hash: hash_secret(&secret), role: role.as_str().to_owned(), tenant, label };
        ApiKey { token, record }
    }
}

/// A presented key that the store knows, has not revoked, and whose secret matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidKey {
    /// The key's public id.
    pub id: String,
    /// What it may do.
    pub role: Role,
    /// The tenant it is confined to, if any.
    pub tenant: Option<String>,
}

/// Hex SHA-256 of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The token of an `Authorization: Bearer …` header value (scheme case-insensitive).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Whether `token` has a key's shape (`sb_<id>.<secret>`), without looking it up.
pub fn looks_like_key(token: &str) -> bool {
    split(token).is_some()
}

/// The id and secret of a key-shaped token.
fn split(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.strip_prefix(PREFIX)?.split_once('.')?;
    (id.len() <= MAX_ID && secret.len() <= MAX_SECRET).then_some((id, secret))
}

/// The key `token` stands for, or `None` when it is not a valid one (malformed, unknown,
/// revoked, wrong secret or an unknown role).
pub async fn verify(store: &Store, token: &str) -> Result<Option<ValidKey>, sb_store::Error> {
    let Some((id, secret)) = split(token) else { return Ok(None) };
    let mut conn = store.read().await?;
    let Some(record) = conn.api_key(id).await? else { return Ok(None) };
    let secret_matches = secrets::constant_time_eq(hash_secret(secret).as_bytes(), record.secret_hash.as_bytes());
    if record.revoked_at.is_some() || !secret_matches {
        return Ok(None);
    }
    let Some(role) = Role::parse(&record.role) else { return Ok(None) };
    Ok(Some(ValidKey { id: record.id, role, tenant: record.tenant }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_shape_and_store_only_the_hash() {
        let key = ApiKey::generate(Role::ReadOnly, Some("acme".into()), None);
        assert!(looks_like_key(&key.token), "{}", key.token);
        let (id, secret) = split(&key.token).expect("shape");
        assert_eq!(id, key.record.id);
        assert_eq!(key.record.secret_hash, hash_secret(secret));
        assert!(!key.record.secret_hash.contains(secret));
        assert_eq!(key.record.role, "readonly");
    }

    #[test]
    fn bearer_headers_give_their_token() {
        assert_eq!(bearer_token("Bearer sb_a.b"), Some("sb_a.b"));
        assert_eq!(bearer_token("bearer  tok "), Some("tok"));
        assert_eq!(bearer_token("Basic YTpi"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }

    #[test]
    fn only_key_shaped_tokens_are_looked_up() {
        assert!(looks_like_key("sb_abc.def"));
        assert!(!looks_like_key("app:secret"));
        assert!(!looks_like_key("sb_nodot"));
        assert!(!looks_like_key(&format!("sb_{}.x", "a".repeat(MAX_ID + 1))));
    }

    #[tokio::test]
    async fn a_stored_key_verifies_with_its_secret_only() {
        let path =
            std::env::temp_dir().join(format!("sb-api-keys-{}-{}.db", std::process::id(), rand::random::<u64>()));
        let store = Store::open(&format!("sqlite://{}?mode=rwc", path.display())).await.expect("open");
        let key = ApiKey::generate(Role::ReadOnly, None, Some("test".into()));
        let mut tx = store.write().await.expect("write");
        tx.insert_api_key(&key.record).await.expect("insert");
        tx.commit().await.expect("commit");

        let valid = verify(&store, &key.token).await.expect("lookup");
        assert_eq!(valid, Some(ValidKey { id: key.record.id.clone(), role: Role::ReadOnly, tenant: None }));
        let wrong = format!("sb_{}.{}", key.record.id, "0".repeat(64));
        assert_eq!(verify(&store, &wrong).await.expect("lookup"), None, "wrong secret");
        assert_eq!(verify(&store, "sb_unknown.secret").await.expect("lookup"), None, "unknown id");
        assert_eq!(verify(&store, "app:secret").await.expect("no lookup"), None, "not a key");
        store.close().await;
        let _ = std::fs::remove_file(&path);
    }
}
