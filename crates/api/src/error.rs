//! HTTP errors in the shape SARK's Laravel clients know: `{"message": ...}`, plus
//! `"errors": {field: [...]}` for 422. Server faults are logged, never detailed to clients.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sb_core::provisioning::ProvisionError;
use serde_json::json;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A provisioning rule refused the request.
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    /// The body could not be read as JSON or a form.
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than allowed.
    #[error("The request body is too large.")]
    TooLarge,
    /// The body has a content type the endpoint does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// No (valid) credentials.
    #[error("Unauthenticated.")]
    Unauthenticated,
    /// Too many failed attempts from this address.
    #[error("Too Many Attempts.")]
    TooManyAttempts {
        /// Seconds until the ban ends.
        retry_after: u64,
    },
}

impl From<sb_store::Error> for ApiError {
    fn from(err: sb_store::Error) -> Self {
        ApiError::Provision(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        match self {
            ApiError::Provision(ProvisionError::Invalid(errors)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"message": message, "errors": errors.to_json()}))).into_response()
            }
            ApiError::Provision(ProvisionError::Store(err)) => {
                tracing::error!(error = %err, "store failure");
                (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"message": "Server Error"}))).into_response()
            }
            ApiError::Provision(err) => {
                let status = match err {
                    ProvisionError::NotFound(_) => StatusCode::NOT_FOUND,
                    ProvisionError::Conflict(_) => StatusCode::CONFLICT,
                    ProvisionError::Forbidden(_) => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_REQUEST,
                };
                (status, Json(json!({"message": message}))).into_response()
            }
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, Json(json!({"message": message}))).into_response(),
            ApiError::TooLarge => {
                // The rest of the body is never read, so the connection cannot be reused:
                // say so, or a pooled client sends its next request into a closed socket.
                let mut response = (StatusCode::PAYLOAD_TOO_LARGE, Json(json!({"message": message}))).into_response();
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(json!({"message": message}))).into_response()
            }
            ApiError::Unauthenticated => {
                let mut response = (StatusCode::UNAUTHORIZED, Json(json!({"message": message}))).into_response();
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            ApiError::TooManyAttempts { retry_after } => {
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(json!({"message": message}))).into_response();
                if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
        }
    }
}

/// SARK's answer for an unknown route.
pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "Page Not Found. Check your URI for correctness"}))).into_response()
}

/// A known route with the wrong method.
pub async fn method_not_allowed() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, Json(json!({"message": "The method is not supported for this route."}))).into_response()
}

/// Headers every API response carries: no caching of data, no content sniffing.
pub async fn harden_response(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// A handler panicked: log it and answer a plain 500, keeping the server up.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %detail, "request handler panicked");
    (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"message": "Server Error"}))).into_response()
}
