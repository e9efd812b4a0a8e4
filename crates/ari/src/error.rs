//! ARI's answers that are not a success: a status and `{"message": ...}`, exactly as
//! Asterisk's `ast_ari_response_error` writes them, plus the headers some of them need.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use thiserror::Error;

/// Why a request was not carried out.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AriError {
    /// 400: a parameter is missing, malformed or not allowed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid credentials.
    #[error("Authentication required")]
    Unauthenticated,
    /// 403: a read-only user tried to change something.
    #[error("Write access denied")]
    ReadOnly,
    /// 403: the server refuses this object (a path outside its directory, a file it cannot
    /// open), whoever asks.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the object or path does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists, the method does not; `allow` lists the ones that do.
    #[error("Invalid method")]
    MethodNotAllowed {
        /// The methods the path accepts.
        allow: Vec<&'static str>,
    },
    /// 409: the object is not in a state that allows the request.
    #[error("{0}")]
    Conflict(String),
    /// 412: the channel is in a state that forbids the request.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413: the request body is larger than ARI reads.
    #[error("Request body too large")]
    BodyTooLarge,
    /// 422: a referenced object does not exist or does not fit.
    #[error("{0}")]
    Unprocessable(String),
    /// 429: too many failed logins from this address.
    #[error("Too many failed authentication attempts")]
    TooManyAttempts {
        /// Seconds until the address may try again.
        retry_after: u64,
    },
    /// 500: the request was fine, carrying it out failed (a disk or database error).
    #[error("{0}")]
    Internal(String),
    /// 501: Switchboard does not offer this feature (yet).
    #[error("{0}")]
    NotImplemented(String),
}

impl AriError {
    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> AriError {
        AriError::BadRequest(message.into())
    }

    /// 403 with `message`.
    pub fn forbidden(message: impl Into<String>) -> AriError {
        AriError::Forbidden(message.into())
    }

    /// 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> AriError {
        AriError::NotFound(message.into())
    }

    /// 409 with `message`.
    pub fn conflict(message: impl Into<String>) -> AriError {
        AriError::Conflict(message.into())
    }

    /// 422 with `message`.
    pub fn unprocessable(message: impl Into<String>) -> AriError {
        AriError::Unprocessable(message.into())
    }

    /// 500 with `message`.
    pub fn internal(message: impl Into<String>) -> AriError {
        AriError::Internal(message.into())
    }

    /// 501 with `message`.
    pub fn not_implemented(message: impl Into<String>) -> AriError {
        AriError::NotImplemented(message.into())
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AriError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AriError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AriError::ReadOnly | AriError::Forbidden(_) => StatusCode::FORBIDDEN,
            AriError::NotFound(_) => StatusCode::NOT_FOUND,
            AriError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AriError::Conflict(_) => StatusCode::CONFLICT,
            AriError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AriError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AriError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AriError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AriError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AriError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
        }
    }
}

/// The Basic challenge of a 401, with the realm Asterisk names (`ari.conf` `auth_realm` default).
pub const AUTH_CHALLENGE: &str = "Basic realm=\"Asterisk REST Interface\"";

impl IntoResponse for AriError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "message": self.to_string() }).to_string();
        let mut response = (self.status(), [(header::CONTENT_TYPE, "application/json")], body).into_response();
        let headers = response.headers_mut();
        match &self {
            AriError::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(AUTH_CHALLENGE));
            }
            AriError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow.join(",")) {
                    headers.insert(header::ALLOW, value);
                }
            }
            AriError::TooManyAttempts { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_names_asterisks_realm() {
        let response = AriError::Unauthenticated.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()[header::WWW_AUTHENTICATE].to_str().expect("ascii");
        assert_eq!(challenge, "Basic realm=\"Asterisk REST Interface\"");
    }

    #[test]
    fn method_not_allowed_lists_the_allowed_methods() {
        let response = AriError::MethodNotAllowed { allow: vec!["GET", "POST"] }.into_response();
        assert_eq!(response.headers()[header::ALLOW], "GET,POST");
    }
}
