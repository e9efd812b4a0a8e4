//! The one HTTP entry point under `/ari`, in Asterisk's order: authenticate (401), refuse
//! writes by read-only users (403), refuse a trailing slash (404 with a hint), serve the
//! api-docs, then route through the table, refuse what the grant may not touch (403),
//! check the parameters and run the handler with the grant.

use crate::docs;
use crate::error::AriError;
use crate::handlers::{self, Call, Reply};
use crate::params::RawParams;
use crate::routing::{self, Route};
use crate::spec;
use crate::state::AriState;
use axum::body::{to_bytes, Body};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Instant;

/// The largest request body ARI reads.
const MAX_BODY: usize = 1 << 20;

/// Answers one request under `/ari`.
pub async fn dispatch(State(state): State<AriState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    match handle(&state, &mut parts, body).await {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(method = %parts.method, path = parts.uri.path(), %error, "ARI request refused");
            error.into_response()
        }
    }
}

async fn handle(state: &AriState, parts: &mut Parts, body: Body) -> Result<Response, AriError> {
    let query = parts.uri.query().map(str::to_owned);
    let remote = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let query_only = RawParams::read(query.as_deref(), None, &[])?;
    let api_key =
        query_only.query.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case("api_key")).map(|(_, v)| v.as_str());
    let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let grant = state.auth().authenticate(authorization, api_key, remote, Instant::now()).await?;
    grant.authorize_method(&parts.method)?;

    let path = parts.uri.path().trim_start_matches('/').to_owned();
    if path.is_empty() {
        return Err(AriError::not_found("Resource not found"));
    }
    if let Some(slashless) = path.strip_suffix('/') {
        return Err(AriError::not_found(format!("ARI URLs do not end with a slash. Try /ari/{slashless}")));
    }
    if let Some(file) = path.strip_prefix("api-docs/") {
        return api_docs(parts, file);
    }
    if parts.method == Method::OPTIONS {
        return options(&path);
    }

    let route = routing::resolve(&path, &parts.method)?;
    grant.authorize_resource(route.resource.name, &parts.method)?;
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| AriError::BodyTooLarge)?;
    let params = RawParams::read(query.as_deref(), content_type.as_deref(), &bytes)?
        .check(route.operation, &route.path_params)?;
    let upgrade = match route.operation.websocket_protocol {
        Some(_) => WebSocketUpgrade::from_request_parts(parts, &()).await.ok(),
        None => None,
    };
    let Some(handler) = handlers::bind(route.resource.name, route.operation.nickname) else {
        return Err(AriError::not_implemented("Method not implemented"));
    };
    let call = Call { params, upgrade, grant, query: query_only };
    let reply = handler(state.clone(), call).await?;
    Ok(respond(&route, reply))
}

fn respond(route: &Route, reply: Reply) -> Response {
    let json =
        |status: StatusCode, text: String| (status, [(header::CONTENT_TYPE, "application/json")], text).into_response();
    match reply {
        // A void operation answers 204 whatever its handler built (clients check it exactly).
        Reply::Json(_) | Reply::NoContent if route.operation.is_void() => StatusCode::NO_CONTENT.into_response(),
        Reply::Json(value) => json(StatusCode::OK, value),
        Reply::NoContent => StatusCode::NO_CONTENT.into_response(),
        Reply::Created { location, body } => {
            let mut response = json(StatusCode::CREATED, body);
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Reply::Accepted => StatusCode::ACCEPTED.into_response(),
        Reply::File { content_type, bytes } => {
            (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        Reply::Upgrade(response) => response,
    }
}

/// `GET /ari/api-docs/resources.json` and `/ari/api-docs/{resource}.json`.
fn api_docs(parts: &Parts, file: &str) -> Result<Response, AriError> {
    if parts.method != Method::GET {
        return Err(AriError::MethodNotAllowed { allow: vec!["GET"] });
    }
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let doc = match file.strip_suffix(".json") {
        Some("resources") => docs::resource_listing(host),
        Some(name) => {
            docs::api_doc(spec::resource(name).ok_or_else(|| AriError::not_found("Resource not found"))?, host)
        }
        None => return Err(AriError::not_found("Resource not found")),
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], doc.to_string()).into_response())
}

/// `OPTIONS`: 204 with the methods the path accepts.
fn options(path: &str) -> Result<Response, AriError> {
    let allow = match routing::resolve(path, &Method::GET) {
        Ok(route) => route.api.operations.iter().map(|op| op.method.as_str()).collect(),
        Err(AriError::MethodNotAllowed { allow }) => allow,
        Err(other) => return Err(other),
    };
    let value = std::iter::once("OPTIONS").chain(allow).collect::<Vec<_>>().join(",");
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(response)
}
