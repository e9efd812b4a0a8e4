//! The CRM bridge's HTTP listener: salara's JSON protocol on port 5058, over proper
//! HTTP/1.1 and authenticated.
//!
//! As salara, it answers on any path and method, and reads the request from a JSON body,
//! form fields in the body or the query, or fields in the path (`request`). Unlike
//! salara it replies with a status line and headers, refuses what it cannot read with
//! 400 and a reason, and requires a bearer credential: a provisioning API key (tenant
//! keys see only their tenant; read-only keys may only ask for states) or the bridge's
//! shared secret. Anonymous use, salara's only mode, is possible only when configured,
//! with the listener on loopback, from loopback, and without a browser's `Origin` header
//! (so a web page cannot make the browser place calls: salara's localhost CSRF).

pub mod request;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use sb_api::{bearer, hash_secret, Authenticator};
use sb_core::devicestate::ExtensionState;
use sb_core::pbx::{ClickToCall, MessageOutcome, OriginateError, Pbx, PeerState, StatusError};
use sb_core::provisioning::Role;
use sb_core::secrets;
use serde_json::{json, Value};
use tower_http::timeout::TimeoutLayer;

use request::{CrmRequest, RequestError};

/// Largest request body: a text message and its fields, with room to spare. salara read
/// 1,023 bytes; a bigger body is refused with 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Largest body still read (and dropped) before a 413, so that an ordinary client sending
/// it hears the reply; a larger one is refused at once and the connection closed.
const DRAINED_EXCESS_BYTES: usize = 1024 * 1024;

/// How long a client has to send its whole request (a slow sender holds nothing longer).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// salara's result code for a request it could not read or do.
const RESULT_ERROR: i32 = -2;

/// How long an operator's phones ring on click-to-call unless configured (salara's sample
/// `timeout_makecall`).
pub const DEFAULT_MAKECALL_RING: Duration = Duration::from_secs(20);

/// How the listener authenticates and places calls.
#[derive(Debug, Clone)]
pub struct CrmOptions {
    /// The shared secret accepted as a bearer token, if any.
    pub secret: Option<String>,
    /// Whether loopback clients may call without credentials (only honoured when the
    /// listener itself is bound to loopback).
    pub anonymous_loopback: bool,
    /// How long the operator's phones ring on click-to-call.
    pub makecall_ring: Duration,
}

impl Default for CrmOptions {
    fn default() -> Self {
        CrmOptions { secret: None, anonymous_loopback: false, makecall_ring: DEFAULT_MAKECALL_RING }
    }
}

/// What the listener's handler needs.
#[derive(Clone)]
pub struct CrmState {
    pbx: Pbx,
    auth: Arc<Authenticator>,
    secret_hash: Option<String>,
    anonymous_loopback: bool,
    makecall_ring: Duration,
}

impl CrmState {
    /// The state for a listener bound to `bound`, asking `pbx` and checking keys with
    /// `auth` (whose throttle also bans addresses that keep failing here).
    pub fn new(pbx: Pbx, auth: Arc<Authenticator>, options: &CrmOptions, bound: SocketAddr) -> CrmState {
        CrmState {
            pbx,
            auth,
            secret_hash: options.secret.as_deref().filter(|secret| !secret.is_empty()).map(hash_secret),
            anonymous_loopback: options.anonymous_loopback && bound.ip().is_loopback(),
            makecall_ring: options.makecall_ring,
        }
    }
}

/// The listener's routes: every path and method goes to the one handler.
pub fn router(state: CrmState) -> Router {
    Router::new()
        .fallback(handle)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .with_state(state)
}

/// Who is asking, once authenticated.
#[derive(Debug, Clone)]
struct Client {
    /// The only tenant it may see, if confined to one.
    tenant: Option<String>,
    /// Whether it may place calls and send messages, not only ask for states.
    may_act: bool,
}

async fn handle(
    State(state): State<CrmState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    // Credentials first: nobody unauthenticated makes the bridge read a body.
    let client = match authenticate(&state, &parts.headers, remote.ip()).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let Some(length) = declared.filter(|length| *length > MAX_BODY_BYTES as u64) {
        // A client still sending would miss the reply: take in a moderate excess first.
        if length <= DRAINED_EXCESS_BYTES as u64 {
            let _ = axum::body::to_bytes(body, DRAINED_EXCESS_BYTES).await;
        }
        return too_large();
    }
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => return too_large(),
    };
    let request = match parse(&parts.uri, &parts.headers, &body) {
        Ok(request) => request,
        Err(error) => return salara(StatusCode::BAD_REQUEST, RESULT_ERROR, "Error", Some(&error.to_string())),
    };
    match answer(&state, &client, &request).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, "CRM request failed");
            salara(StatusCode::SERVICE_UNAVAILABLE, RESULT_ERROR, "Error", Some("the PBX cannot answer right now"))
        }
    }
}

/// 413, for a body over [`MAX_BODY_BYTES`] (declared or sent).
fn too_large() -> Response {
    let message = format!("the request body is over {MAX_BODY_BYTES} bytes");
    salara(StatusCode::PAYLOAD_TOO_LARGE, RESULT_ERROR, "Error", Some(&message))
}

/// Checks the bearer credential (or the anonymous-loopback allowance); failures count
/// towards a ban of the address, as on the API.
async fn authenticate(state: &CrmState, headers: &HeaderMap, ip: IpAddr) -> Result<Client, Response> {
    let now = Instant::now();
    let throttle = state.auth.throttle();
    if let Some(left) = throttle.banned(ip, now) {
        let mut response =
            salara(StatusCode::TOO_MANY_REQUESTS, RESULT_ERROR, "Error", Some("too many failed attempts"));
        if let Ok(value) = HeaderValue::from_str(&left.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Err(response);
    }
    let Some(token) = bearer(headers) else {
        if state.anonymous_loopback && ip.is_loopback() && !headers.contains_key(header::ORIGIN) {
            return Ok(Client { tenant: None, may_act: true });
        }
        return Err(unauthenticated());
    };
    if state
        .secret_hash
        .as_deref()
        .is_some_and(|expected| secrets::constant_time_eq(hash_secret(token).as_bytes(), expected.as_bytes()))
    {
        return Ok(Client { tenant: None, may_act: true });
    }
    match state.auth.actor(token, Some(ip)).await {
        Ok(Some(actor)) => Ok(Client { tenant: actor.tenant, may_act: actor.role == Role::Admin }),
        Ok(None) => {
            throttle.fail(ip, now);
            Err(unauthenticated())
        }
        Err(error) => {
            tracing::error!(%error, "cannot check a CRM key");
            Err(salara(StatusCode::SERVICE_UNAVAILABLE, RESULT_ERROR, "Error", Some("cannot check credentials now")))
        }
    }
}

/// The request, from the body if there is one, else from the query or the path.
fn parse(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<CrmRequest, RequestError> {
    if !body.is_empty() {
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"))
            || body.trim_ascii_start().starts_with(b"{");
        if is_json {
            return CrmRequest::from_json(body);
        }
        return CrmRequest::from_form(std::str::from_utf8(body).map_err(|_| RequestError::Unreadable)?);
    }
    match uri.query() {
        Some(query) => CrmRequest::from_form(query),
        None => CrmRequest::from_form(uri.path()),
    }
}

/// Does what `request` asks, as `client` may.
async fn answer(state: &CrmState, client: &Client, request: &CrmRequest) -> Result<Response, StatusError> {
    let pbx = &state.pbx;
    let tenant = client.tenant.as_deref();
    if matches!(request, CrmRequest::MakeCall { .. } | CrmRequest::SendMessage { .. }) && !client.may_act {
        return Ok(salara(StatusCode::FORBIDDEN, RESULT_ERROR, "Error", Some("this key may only ask for states")));
    }
    Ok(match request {
        CrmRequest::ExtensionState { exten } => match pbx.extension_state(exten, tenant).await? {
            Some(state) => salara(StatusCode::OK, state.code(), state.text(), None),
            None => salara(StatusCode::NOT_FOUND, -1, "Unknown", None),
        },
        CrmRequest::PeerState { peer } => match pbx.peer_state(peer, tenant).await? {
            Some(state @ (PeerState::Reachable | PeerState::Unreachable)) => {
                salara(StatusCode::OK, 0, state.text(), None)
            }
            None => salara(StatusCode::NOT_FOUND, -1, "Error", Some("no such peer")),
        },
        CrmRequest::ChannelState { chan } => match pbx.channel_state(chan, tenant).await? {
            Some(state) => salara(StatusCode::OK, state.code(), state.as_upper(), None),
            None => salara(StatusCode::NOT_FOUND, -1, "Channel not present", None),
        },
        CrmRequest::SendMessage { operator, phone, msg, .. } => {
            let Some(state) = pbx.extension_state(operator, tenant).await? else {
                return Ok(salara(StatusCode::NOT_FOUND, -1, "Unknown", Some("no such operator")));
            };
            match pbx.send_message(operator, phone, msg, tenant).await? {
                Some(MessageOutcome::Delivered(phones)) => {
                    with(salara_body(state.code(), state.text(), None), "delivered", json!(phones), StatusCode::OK)
                }
                Some(MessageOutcome::Unavailable) | None => salara(
                    StatusCode::CONFLICT,
                    ExtensionState::Unavailable.code(),
                    ExtensionState::Unavailable.text(),
                    Some("the operator has no registered phone"),
                ),
                Some(MessageOutcome::Refused(status)) => with(
                    salara_body(state.code(), state.text(), Some("no phone accepted the message")),
                    "sip_status",
                    json!(status),
                    StatusCode::BAD_GATEWAY,
                ),
            }
        }
        CrmRequest::MakeCall { operator, phone, .. } => {
            let request = ClickToCall {
                operator: operator.clone(),
                phone: phone.clone(),
                tenant: client.tenant.clone(),
                ring: state.makecall_ring,
            };
            make_call(pbx, request).await
        }
    })
}

/// Starts a click-to-call. Unlike salara, the reply says whether a call was placed, and
/// names it: `call` is the CDR's `uniqueid`, `channel` the operator's channel.
async fn make_call(pbx: &Pbx, request: ClickToCall) -> Response {
    match pbx.click_to_call(request).await {
        Ok(call) => {
            let idle = ExtensionState::Idle;
            let body = with_fields(
                salara_body(idle.code(), idle.text(), None),
                [("call", json!(call.uniqueid)), ("channel", json!(call.channel))],
            );
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(OriginateError::NoOperator) => salara(StatusCode::NOT_FOUND, -1, "Unknown", Some("no such operator")),
        Err(error @ OriginateError::OperatorBusy(state)) => {
            salara(StatusCode::CONFLICT, state.code(), state.text(), Some(&format!("{error}; no call was placed")))
        }
        Err(error @ OriginateError::NoRoute(_)) => {
            salara(StatusCode::NOT_FOUND, RESULT_ERROR, "Error", Some(&format!("{error}; no call was placed")))
        }
        Err(error @ (OriginateError::Media | OriginateError::Store(_))) => {
            tracing::error!(%error, "click-to-call failed");
            salara(StatusCode::SERVICE_UNAVAILABLE, RESULT_ERROR, "Error", Some("the PBX cannot place calls right now"))
        }
    }
}

/// 401 with the scheme to use.
fn unauthenticated() -> Response {
    let mut response =
        salara(StatusCode::UNAUTHORIZED, RESULT_ERROR, "Error", Some("a bearer key or the CRM secret is required"));
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// salara's reply body, `{"result":…,"text":…}`, with an explanation when there is one.
fn salara_body(result: i32, text: &str, message: Option<&str>) -> Value {
    let mut body = json!({ "result": result, "text": text });
    if let Some(message) = message {
        body["message"] = json!(message);
    }
    body
}

/// A salara reply with `status`.
fn salara(status: StatusCode, result: i32, text: &str, message: Option<&str>) -> Response {
    (status, Json(salara_body(result, text, message))).into_response()
}

/// `body` with one more field, as a reply with `status`.
fn with(body: Value, key: &str, value: Value, status: StatusCode) -> Response {
    (status, Json(with_fields(body, [(key, value)]))).into_response()
}

/// `body` with more fields.
fn with_fields<const N: usize>(mut body: Value, fields: [(&str, Value); N]) -> Value {
    for (key, value) in fields {
        body[key] = value;
    }
    body
}
