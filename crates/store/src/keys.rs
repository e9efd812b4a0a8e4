//! API keys: stored as a public id plus a SHA-256 hash of the secret half, never the key.

use crate::rows::{self, Column, Value};
use crate::{Conn, Result, WriteTx};

const COLUMNS: &[Column<'static>] = &[
    Column::text("id"),
    Column::text("secret_hash"),
    Column::text("role"),
    Column::text("tenant"),
    Column::text("label"),
    Column::text("created_at"),
    Column::text("revoked_at"),
];

/// A stored key, as the authenticator needs it.
#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    /// Public identifier (the part of the key before the dot).
    pub id: String,
    /// Hex SHA-256 of the secret half.
    pub secret_hash: String,
    /// `admin` or `readonly`.
    pub role: String,
    /// The tenant the key is confined to, if any.
    pub tenant: Option<String>,
    /// Free text to say what the key is for.
    pub label: Option<String>,
    /// When the key was made.
    pub created_at: String,
    /// When the key was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// What is needed to store a new key.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Public identifier.
    pub id: String,
    /// Hex SHA-256 of the secret half.
    pub secret_hash: String,
    /// `admin` or `readonly`.
    pub role: String,
    /// Tenant scope.
    pub tenant: Option<String>,
    /// Free text.
    pub label: Option<String>,
}

fn from_record(record: crate::Record) -> ApiKeyRecord {
    let get = |name: &str| {
        record.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_text())
    };
    ApiKeyRecord {
        id: get("id").unwrap_or_default(),
        secret_hash: get("secret_hash").unwrap_or_default(),
        role: get("role").unwrap_or_default(),
        tenant: get("tenant"),
        label: get("label"),
        created_at: get("created_at").unwrap_or_default(),
        revoked_at: get("revoked_at"),
    }
}

impl WriteTx {
    /// Stores a new API key.
    pub async fn insert_api_key(&mut self, key: &NewApiKey) -> Result<()> {
        let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
        let values = [
            (COLUMNS[0], Value::from(key.id.as_str())),
            (COLUMNS[1], Value::from(key.secret_hash.as_str())),
            (COLUMNS[2], Value::from(key.role.as_str())),
            (COLUMNS[3], opt(&key.tenant)),
            (COLUMNS[4], opt(&key.label)),
            (COLUMNS[5], Value::from(crate::now_text())),
        ];
        rows::insert(self, "api_keys", &values, None).await?;
        Ok(())
    }
}

/// Looks up a key by its public id.
pub async fn api_key<C: Conn + ?Sized>(conn: &mut C, id: &str) -> Result<Option<ApiKeyRecord>> {
    let found = rows::select_one(conn, "api_keys", COLUMNS, &[("id", Value::from(id))]).await?;
    Ok(found.map(from_record))
}

/// Counts the keys that are not revoked.
pub async fn live_api_keys<C: Conn + ?Sized>(conn: &mut C) -> Result<i64> {
    let all = rows::select(conn, "api_keys", COLUMNS, &[], &[], crate::Page::default()).await?;
    Ok(all.into_iter().map(from_record).filter(|k| k.revoked_at.is_none()).count() as i64)
}

impl crate::ReadTx {
    /// Looks up a key by its public id.
    pub async fn api_key(&mut self, id: &str) -> Result<Option<ApiKeyRecord>> {
        api_key(self, id).await
    }

    /// Counts the keys that are not revoked.
    pub async fn live_api_keys(&mut self) -> Result<i64> {
        live_api_keys(self).await
    }
}
