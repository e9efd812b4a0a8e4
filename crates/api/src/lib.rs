//! The provisioning API (`/api`): SARK V6's resources, routes and field names over HTTP,
//! with bearer-key authentication, Laravel-style errors and a generated OpenAPI 3
//! description. A thin adapter: it parses, authenticates and maps errors; every rule and
//! write lives in `sb_core::provisioning`.

mod auth;
mod body;
mod error;
mod greetings;
mod openapi;
mod resources;
mod special;
mod webhooks;

pub use auth::{bearer, hash_secret, require_key, ApiKey, Authenticator};
pub use error::ApiError;
pub use sb_core::throttle::{Throttle, ThrottlePolicy};

use axum::http::{header, HeaderValue, Method};
use axum::middleware;
use axum::Router;
use sb_core::provisioning::Provisioning;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The largest JSON or form body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Everything the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The provisioning service.
    pub provisioning: Provisioning,
    /// Checks bearer keys.
    pub auth: Arc<Authenticator>,
    /// Where greeting files live.
    pub greetings_dir: PathBuf,
}

/// Options of the HTTP surface.
#[derive(Debug, Clone, Default)]
pub struct ApiOptions {
    /// Origins allowed by CORS; none means CORS stays off.
    pub cors_origins: Vec<String>,
}

/// The `/api` router (mount it with `Router::nest("/api", ...)`).
pub fn router(state: ApiState, options: &ApiOptions) -> Router {
    let protected = resources::routes()
        .merge(special::routes())
        .merge(greetings::routes())
        .merge(webhooks::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_key));
    let router = Router::new()
        .merge(openapi::routes())
        .merge(protected)
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn(error::harden_response))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .with_state(state);
    match cors(options) {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

fn cors(options: &ApiOptions) -> Option<CorsLayer> {
    if options.cors_origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = options.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
    )
}
