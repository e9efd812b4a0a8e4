//! The configuration model: what can be provisioned, how it is validated, and how a
//! change is written — in one transaction, with an audit entry — whoever asks for it
//! (the `/api` adapter today, the CLI's `--demo` seeding, later ARI and the CRM bridge).

pub mod api_keys;
pub mod catalogue;
mod cos_links;
pub mod destination;
pub mod draft;
mod engine;
mod extras;
pub mod greetings;
pub mod model;
pub mod validate;

pub use cos_links::CosKind;
pub use engine::{Created, ListQuery, Provisioning};
pub use extras::RUNTIME as RUNTIME_FIELDS;

use serde_json::{Map, Value as Json};

/// Who is asking, as the API authenticated them.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The API key id (or `admin-token`, `cli`), recorded in the audit log.
    pub id: String,
    /// What the actor may do.
    pub role: Role,
    /// The only tenant the actor may see and change, when it is confined to one.
    pub tenant: Option<String>,
    /// The client's address, when known.
    pub remote: Option<String>,
}

/// What an actor may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Read and write.
    Admin,
    /// Read only.
    ReadOnly,
}

impl Role {
    /// Parses `admin` or `readonly`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "readonly" => Some(Role::ReadOnly),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ReadOnly => "readonly",
        }
    }
}

impl Actor {
    /// An unconfined administrator acting from inside the process (CLI, seeding).
    pub fn system(id: &str) -> Actor {
        Actor { id: id.to_owned(), role: Role::Admin, tenant: None, remote: None }
    }

    /// Refuses read-only actors.
    pub fn require_write(&self) -> Result<(), ProvisionError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::ReadOnly => Err(ProvisionError::Forbidden("This API key is read-only.".into())),
        }
    }

    /// Refuses actors confined to a tenant (for system-wide changes).
    pub fn require_unconfined(&self) -> Result<(), ProvisionError> {
        match &self.tenant {
            None => Ok(()),
            Some(t) => Err(ProvisionError::Forbidden(format!("This API key is confined to tenant {t}."))),
        }
    }

    /// Refuses actors confined to another tenant than `tenant`.
    pub fn require_tenant(&self, tenant: Option<&str>) -> Result<(), ProvisionError> {
        match (&self.tenant, tenant) {
            (Some(mine), Some(theirs)) if mine == theirs => Ok(()),
            (Some(mine), _) => Err(ProvisionError::Forbidden(format!("This API key is confined to tenant {mine}."))),
            (None, _) => Ok(()),
        }
    }
}

/// Validation failures by field, in the order found (Laravel's `errors` object).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Vec<String>)>);

impl FieldErrors {
    /// A single failure.
    pub fn one(field: &str, message: impl Into<String>) -> FieldErrors {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        errors
    }

    /// Records a failure for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        match self.0.iter_mut().find(|(f, _)| f == field) {
            Some((_, messages)) => messages.push(message.into()),
            None => self.0.push((field.to_owned(), vec![message.into()])),
        }
    }

    /// Whether `field` already failed.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every failure of `other`.
    pub fn merge(&mut self, other: FieldErrors) {
        for (field, messages) in other.0 {
            for m in messages {
                self.add(&field, m);
            }
        }
    }

    /// `Ok(value)` when nothing failed.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The `{"field": ["message", ...]}` object.
    pub fn to_json(&self) -> Json {
        let map: Map<String, Json> = self.0.iter().map(|(f, m)| (f.clone(), Json::from(m.clone()))).collect();
        Json::Object(map)
    }
}

/// Why a provisioning request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// Some fields are invalid (HTTP 422).
    #[error("The given data was invalid.")]
    Invalid(FieldErrors),
    /// No such item (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// A duplicate key, or an item still in use (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The actor may not do this (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// The request is well-formed but not acceptable as a whole (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// The store failed (HTTP 500, details only in the log).
    #[error("store failure: {0}")]
    Store(sb_store::Error),
}

impl From<sb_store::Error> for ProvisionError {
    fn from(err: sb_store::Error) -> Self {
        match err {
            sb_store::Error::Duplicate(_) => ProvisionError::Conflict("Duplicate key: the item already exists.".into()),
            sb_store::Error::Reference(_) => {
                ProvisionError::Conflict("The change would break a reference between items.".into())
            }
            other => ProvisionError::Store(other),
        }
    }
}

impl From<FieldErrors> for ProvisionError {
    fn from(errors: FieldErrors) -> Self {
        ProvisionError::Invalid(errors)
    }
}

/// Result alias for provisioning.
pub type Result<T, E = ProvisionError> = std::result::Result<T, E>;
