//! Bearer API keys on `/api` (checked by `sb_core::provisioning::api_keys`, which ARI shares),
//! and an optional admin token from the environment. Failures are throttled per address.

use crate::{ApiError, ApiState, Throttle};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;
use sb_core::provisioning::api_keys;
pub use sb_core::provisioning::api_keys::{hash_secret, ApiKey};
use sb_core::provisioning::{Actor, Role};
use sb_core::secrets;
use sb_store::Store;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

/// Compares without leaking where the first difference is.
fn same(a: &str, b: &str) -> bool {
    secrets::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// Checks bearer keys against the store and the optional admin token.
pub struct Authenticator {
    store: Store,
    admin_token_hash: Option<String>,
    throttle: Throttle,
}

impl Authenticator {
    /// An authenticator over `store`; `admin_token`, when set, is accepted as an admin key.
    pub fn new(store: Store, admin_token: Option<&str>, throttle: Throttle) -> Authenticator {
        let admin_token_hash = admin_token.filter(|t| !t.is_empty()).map(hash_secret);
        Authenticator { store, admin_token_hash, throttle }
    }

    /// The actor a bearer token stands for, or `None` when it is not valid.
    pub async fn actor(&self, token: &str, remote: Option<IpAddr>) -> Result<Option<Actor>, ApiError> {
        let remote_text = remote.map(|r| r.to_string());
        if let Some(admin) = &self.admin_token_hash {
            if same(&hash_secret(token), admin) {
                return Ok(Some(Actor {
                    id: "admin-token".into(),
                    role: Role::Admin,
                    tenant: None,
                    remote: remote_text,
                }));
            }
        }
        let Some(key) = api_keys::verify(&self.store, token).await? else { return Ok(None) };
        Ok(Some(Actor { id: format!("key:{}", key.id), role: key.role, tenant: key.tenant, remote: remote_text }))
    }

    /// The throttle for failed attempts.
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }
}

/// The token of an `Authorization: Bearer …` header (the API's and the CRM bridge's).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    api_keys::bearer_token(headers.get(header::AUTHORIZATION)?.to_str().ok()?)
}

/// Middleware: authenticates the request and hands the [`Actor`] to the handler.
pub async fn require_key(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let remote = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let now = Instant::now();
    if let Some(ip) = remote {
        if let Some(left) = state.auth.throttle().banned(ip, now) {
            return Err(ApiError::TooManyAttempts { retry_after: left.as_secs().max(1) });
        }
    }
    // Only a presented, wrong token counts towards a ban; a missing header is a plain 401.
    let Some(token) = bearer(request.headers()) else { return Err(ApiError::Unauthenticated) };
    let Some(actor) = state.auth.actor(token, remote).await? else {
        if let Some(ip) = remote {
            if state.auth.throttle().fail(ip, now) {
                let ban = state.auth.throttle().banned(ip, now).map_or(1, |d| d.as_secs().max(1));
                return Err(ApiError::TooManyAttempts { retry_after: ban });
            }
        }
        return Err(ApiError::Unauthenticated);
    };
    request.extensions_mut().insert(actor);
    Ok(next.run(request).await)
}
