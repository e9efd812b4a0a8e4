//! Greeting files over HTTP: multipart upload (field `greeting`), list, download, delete.

use crate::{ApiError, ApiState};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use sb_core::provisioning::greetings::{Upload, MAX_GREETING_BYTES};
use sb_core::provisioning::{Actor, FieldErrors, ProvisionError};

fn invalid(message: &str) -> ApiError {
    ApiError::Provision(ProvisionError::Invalid(FieldErrors::one("greeting", message)))
}

async fn upload(State(st): State<ApiState>, Extension(actor): Extension<Actor>, request: axum::extract::Request) -> Result<Response, ApiError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType("Upload greetings as multipart/form-data with a file field named greeting.".into()));
    }
    let mut multipart = <Multipart as axum::extract::FromRequest<()>>::from_request(request, &())
        .await
        .map_err(|e| ApiError::BadRequest(format!("Malformed multipart body: {e}")))?;
    let mut file: Option<(String, Option<String>, Vec<u8>)> = None;
    let mut cluster: Option<String> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(ApiError::TooLarge),
            Err(e) => return Err(ApiError::BadRequest(format!("Malformed multipart body: {e}"))),
        };
        match field.name() {
            Some("greeting") => {
                let filename = field.file_name().map(str::to_owned).ok_or_else(|| invalid("The greeting must be a file."))?;
                let mime = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE { ApiError::TooLarge } else { ApiError::BadRequest(format!("Malformed multipart body: {e}")) }
                })?;
                file = Some((filename, mime, bytes.to_vec()));
            }
            Some("cluster") => cluster = field.text().await.ok().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
            Some(other) => {
                return Err(ApiError::Provision(ProvisionError::Invalid(FieldErrors::one(other, format!("The {other} field is not a field of greetings.")))))
            }
            None => return Err(ApiError::BadRequest("Malformed multipart body: a part has no name.".into())),
        }
    }
    let Some((filename, mime, bytes)) = file else { return Err(invalid("The greeting field is required.")) };
    let saved = st
        .provisioning
        .save_greeting(&actor, &st.greetings_dir, Upload { filename: &filename, mime: mime.as_deref(), cluster: cluster.as_deref(), bytes: &bytes })
        .await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

async fn download(State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(name): Path<String>) -> Result<Response, ApiError> {
    let (bytes, mime) = st.provisioning.greeting_file(&actor, &st.greetings_dir, &name).await?;
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The greeting routes, with a body limit that fits a greeting.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route(
            "/greetings",
            get(|State(st): State<ApiState>, Extension(actor): Extension<Actor>| async move {
                Ok::<_, ApiError>(Json(st.provisioning.greetings(&actor).await?))
            })
            .post(upload)
            .layer(DefaultBodyLimit::max(MAX_GREETING_BYTES + 64 * 1024)),
        )
        .route(
            "/greetings/{name}",
            get(download).delete(|State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(name): Path<String>| async move {
                st.provisioning.delete_greeting(&actor, &st.greetings_dir, &name).await?;
                Ok::<_, ApiError>(StatusCode::NO_CONTENT)
            }),
        )
}
