//! Request bodies: JSON objects or HTML forms, as Laravel accepts them, read with a size
//! limit. Anything else is answered 400, 413 or 415 before a handler runs.

use crate::{ApiError, MAX_BODY_BYTES};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::{Map, Value};

/// The fields of a request body.
#[derive(Debug, Default)]
pub struct Fields(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await.map_err(|_| ApiError::TooLarge)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Fields::default());
        }
        match content_type.as_deref() {
            Some("application/json") => parse_json(&bytes),
            Some(t) if t.starts_with("application/") && t.ends_with("+json") => parse_json(&bytes),
            Some("application/x-www-form-urlencoded") => parse_form(&bytes),
            Some(other) => Err(ApiError::UnsupportedMediaType(format!(
                "Unsupported content type {other}: send application/json or application/x-www-form-urlencoded."
            ))),
            None => Err(ApiError::UnsupportedMediaType(
                "The request has a body but no Content-Type: send application/json.".into(),
            )),
        }
    }
}

fn parse_json(bytes: &[u8]) -> Result<Fields, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Fields(map)),
        // ARI clients send a literal `[]` for "no parameters"; accept it everywhere.
        Ok(Value::Array(items)) if items.is_empty() => Ok(Fields::default()),
        Ok(_) => Err(ApiError::BadRequest("The request body must be a JSON object.".into())),
        Err(err) => Err(ApiError::BadRequest(format!("Malformed JSON: {err}"))),
    }
}

fn parse_form(bytes: &[u8]) -> Result<Fields, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(bytes).map_err(|err| ApiError::BadRequest(format!("Malformed form body: {err}")))?;
    Ok(Fields(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
}
