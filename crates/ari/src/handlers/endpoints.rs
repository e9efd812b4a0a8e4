//! `/endpoints`: the PBX's extensions and trunks as Asterisk's `PJSIP` endpoints, and text
//! messages and REFERs to them. Node-wide, as in Asterisk: every tenant's endpoints.
//!
//! Asterisk's answers, checked on Asterisk 22.10.1: `listByTech` knows only `PJSIP`
//! (spelled so); `get` takes the technology in any case; a message or a REFER is
//! `202 Accepted` once it is handed on (it goes out afterwards), `404 Endpoint not found`
//! when the endpoint is unknown or has no registered phone.

use super::{handler, Call, Handler, Reply};
use crate::error::AriError;
use crate::models::Endpoint;
use crate::state::AriState;
use sb_core::pbx::{EndpointStatus, Pbx, PeerState, ReferTarget};
use serde_json::Value;

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" => handler!(list),
        "listByTech" => handler!(list_by_tech),
        "get" => handler!(get),
        "sendMessage" => handler!(send_message),
        "sendMessageToEndpoint" => handler!(send_message_to_endpoint),
        "refer" => handler!(refer),
        "referToEndpoint" => handler!(refer_to_endpoint),
        _ => None,
    }
}

/// The one technology, as Asterisk spells it.
const TECHNOLOGY: &str = "PJSIP";

const NOT_FOUND: &str = "Endpoint not found";

const BAD_MESSAGE: &str = "Invalid parameters for sending a message.";

const BAD_REFER: &str = "Invalid parameters for referring.";

fn model(status: EndpointStatus) -> Endpoint {
    Endpoint {
        technology: TECHNOLOGY.to_owned(),
        resource: status.resource,
        state: Some(status.state.text().to_owned()),
        channel_ids: status.channel_ids,
    }
}

fn unavailable(error: sb_core::pbx::StatusError) -> AriError {
    tracing::warn!(%error, "ARI endpoints: the directory could not be read");
    AriError::internal("Message bus not initialized")
}

async fn all(state: &AriState) -> Result<Vec<Endpoint>, AriError> {
    let Some(pbx) = state.pbx() else { return Ok(Vec::new()) };
    Ok(pbx.endpoints().await.map_err(unavailable)?.into_iter().map(model).collect())
}

async fn list(state: AriState, _call: Call) -> Result<Reply, AriError> {
    Ok(Reply::json(all(&state).await?))
}

async fn list_by_tech(state: AriState, call: Call) -> Result<Reply, AriError> {
    let tech = call.params.text("tech").unwrap_or_default();
    // Asterisk looks the technology up case-sensitively here (`pjsip` is unknown).
    if tech != TECHNOLOGY {
        return Err(AriError::not_found(format!("No Endpoints found - invalid tech {tech}")));
    }
    Ok(Reply::json(all(&state).await?))
}

/// The endpoint `tech`/`resource` names, if it exists (the technology in any case).
async fn find(state: &AriState, tech: &str, resource: &str) -> Result<Option<EndpointStatus>, AriError> {
    let Some(pbx) = state.pbx() else { return Ok(None) };
    if !tech.eq_ignore_ascii_case(TECHNOLOGY) {
        return Ok(None);
    }
    pbx.endpoint(resource).await.map_err(unavailable)
}

fn path(call: &Call) -> (&str, &str) {
    (call.params.text("tech").unwrap_or_default(), call.params.text("resource").unwrap_or_default())
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    let (tech, resource) = path(&call);
    find(&state, tech, resource).await?.map(|status| Reply::json(model(status))).ok_or_else(not_found)
}

fn not_found() -> AriError {
    AriError::not_found(NOT_FOUND)
}

/// The endpoint a message's `to` names: `pjsip:1001`, `pjsip:1001/sip:...`,
/// `pjsip:sip:1001@host` (the technology in any case); `None` for another technology.
fn destination(to: &str) -> Option<&str> {
    let (tech, rest) = to.split_once(':')?;
    if !tech.eq_ignore_ascii_case(TECHNOLOGY) {
        return None;
    }
    let rest = rest.strip_prefix("sip:").or_else(|| rest.strip_prefix("sips:")).unwrap_or(rest);
    rest.split(['/', '@']).next().filter(|endpoint| !endpoint.is_empty())
}

/// The user a message's `from` names, for the MESSAGE's From (`alice`, `sip:alice@host`,
/// `"Alice" <sip:alice@host>`, `PJSIP/1001`); `None` when it is not a plain SIP user.
fn sender(from: &str) -> Option<&str> {
    let from = match (from.find('<'), from.rfind('>')) {
        (Some(start), Some(end)) if start < end => &from[start + 1..end],
        _ => from.trim(),
    };
    let from = from.strip_prefix("sip:").or_else(|| from.strip_prefix("sips:")).unwrap_or(from);
    let from = from.split('@').next().unwrap_or_default();
    let from = from.rsplit('/').next().unwrap_or_default();
    let user_char = |c: char| c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,;?".contains(c);
    (!from.is_empty() && from.chars().all(user_char)).then_some(from)
}

/// Extra SIP headers: (name, value).
type Headers = Vec<(String, String)>;

/// The `variables` of a message as extra headers: an object of strings, as Asterisk wants.
fn headers(call: &Call) -> Result<Headers, AriError> {
    let bad = || AriError::bad_request("Only string values in the 'variables' object allowed");
    match call.params.json("variables") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(variables)) => variables
            .iter()
            .map(|(name, value)| value.as_str().map(|value| (name.clone(), value.to_owned())).ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// The endpoint the `to` parameter names: 400 if it is empty, 404 for another technology.
fn addressee(call: &Call) -> Result<String, AriError> {
    let to = call.params.text("to").unwrap_or_default();
    if to.is_empty() {
        return Err(AriError::bad_request("To must be specified"));
    }
    destination(to).map(str::to_owned).ok_or_else(not_found)
}

/// The endpoint the path names: 404 unless it exists.
async fn addressee_at(state: &AriState, call: &Call) -> Result<String, AriError> {
    let (tech, resource) = path(call);
    Ok(find(state, tech, resource).await?.ok_or_else(not_found)?.resource)
}

/// The user the `from` parameter names; 400 with `bad` when it is not a plain SIP user.
fn from_user(call: &Call, bad: &'static str) -> Result<String, AriError> {
    sender(call.params.text("from").unwrap_or_default()).map(str::to_owned).ok_or_else(|| AriError::bad_request(bad))
}

/// Hands a message for endpoint `to` on: 202 once it is on its way, 404 if the endpoint
/// does not exist or has no registered phone (Asterisk's answers). Delivery goes on after
/// the answer, as in Asterisk; its outcome is logged.
async fn send(state: &AriState, to: &str, call: &Call) -> Result<Reply, AriError> {
    let headers = headers(call)?;
    let Some(pbx) = state.pbx() else { return Err(not_found()) };
    let from = from_user(call, BAD_MESSAGE)?;
    reachable(pbx, to).await?;
    let body = call.params.text("body").unwrap_or_default().to_owned();
    tokio::spawn(deliver(pbx.clone(), to.to_owned(), from, body, headers));
    Ok(Reply::Accepted)
}

async fn deliver(pbx: Pbx, to: String, from: String, body: String, headers: Headers) {
    match pbx.send_message_with_headers(&to, &from, &body, &headers, None).await {
        Ok(outcome) => tracing::debug!(%to, ?outcome, "ARI text message sent"),
        Err(error) => tracing::warn!(%to, %error, "ARI text message not sent"),
    }
}

async fn send_message(state: AriState, call: Call) -> Result<Reply, AriError> {
    let to = addressee(&call)?;
    send(&state, &to, &call).await
}

async fn send_message_to_endpoint(state: AriState, call: Call) -> Result<Reply, AriError> {
    let to = addressee_at(&state, &call).await?;
    send(&state, &to, &call).await
}

/// The request's variables as extra headers, apart from `display_name`, which names the
/// REFER's target (as in Asterisk's PJSIP).
fn display_and_headers(call: &Call) -> Result<(Option<String>, Headers), AriError> {
    let mut headers = headers(call)?;
    let display = headers.iter().position(|(name, _)| name == "display_name").map(|at| headers.remove(at).1);
    Ok((display, headers))
}

/// Where `refer_to` points: an endpoint (through the PBX with `to_self`, else straight to
/// its phone, which must be registered) or a SIP URI.
async fn refer_target(pbx: &Pbx, call: &Call) -> Result<ReferTarget, AriError> {
    let refer_to = call.params.text("refer_to").unwrap_or_default();
    let Some(endpoint) = destination(refer_to) else {
        return ReferTarget::uri(refer_to).ok_or_else(|| AriError::bad_request(BAD_REFER));
    };
    let status = pbx.endpoint(endpoint).await.map_err(unavailable)?.ok_or_else(not_found)?;
    if call.params.bool("to_self").unwrap_or(false) {
        return Ok(ReferTarget::ViaPbx(status.resource));
    }
    reachable(pbx, &status.resource).await?;
    Ok(ReferTarget::Phone(status.resource))
}

/// 404 unless extension `number` has a registered phone.
async fn reachable(pbx: &Pbx, number: &str) -> Result<(), AriError> {
    match pbx.peer_state(number, None).await.map_err(unavailable)? {
        Some(PeerState::Reachable) => Ok(()),
        Some(PeerState::Unreachable) | None => Err(not_found()),
    }
}

/// Hands a REFER to endpoint `to` on (out of dialog, RFC 3515): 202 once it is on its way,
/// 404 if the endpoint, or the one referred to, cannot be reached; as `send`, delivery
/// goes on after the answer.
async fn send_refer(state: &AriState, to: &str, call: &Call) -> Result<Reply, AriError> {
    let (display, headers) = display_and_headers(call)?;
    let Some(pbx) = state.pbx() else { return Err(not_found()) };
    let from = from_user(call, BAD_REFER)?;
    let target = refer_target(pbx, call).await?;
    reachable(pbx, to).await?;
    let (pbx, to) = (pbx.clone(), to.to_owned());
    tokio::spawn(async move {
        match pbx.refer(&to, &from, &target, display.as_deref(), &headers, None).await {
            Ok(outcome) => tracing::debug!(%to, ?outcome, "ARI REFER sent"),
            Err(error) => tracing::warn!(%to, %error, "ARI REFER not sent"),
        }
    });
    Ok(Reply::Accepted)
}

async fn refer(state: AriState, call: Call) -> Result<Reply, AriError> {
    let to = addressee(&call)?;
    send_refer(&state, &to, &call).await
}

async fn refer_to_endpoint(state: AriState, call: Call) -> Result<Reply, AriError> {
    let to = addressee_at(&state, &call).await?;
    send_refer(&state, &to, &call).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_messages_destination_is_a_pjsip_endpoint() {
        for (to, endpoint) in [
            ("pjsip:1001", Some("1001")),
            ("PJSIP:1001", Some("1001")),
            ("pjsip:1001/sip:1001@192.0.2.1:5062", Some("1001")),
            ("pjsip:sip:1001@pbx.example.com", Some("1001")),
            ("pjsip:1001@pbx.example.com", Some("1001")),
            ("sip:1001", None),
            ("xmpp:alice@example.com", None),
            ("1001", None),
            ("pjsip:", None),
        ] {
            assert_eq!(destination(to), endpoint, "{to}");
        }
    }

    #[test]
    fn a_messages_sender_is_a_plain_sip_user() {
        for (from, user) in [
            ("alice", Some("alice")),
            ("sip:alice@example.com", Some("alice")),
            ("\"Alice\" <sip:alice@example.com>", Some("alice")),
            ("PJSIP/1001", Some("1001")),
            ("ari", Some("ari")),
            ("", None),
            ("a b", None),
            ("a\r\nVia: x", None),
            ("<>", None),
        ] {
            assert_eq!(sender(from), user, "{from:?}");
        }
    }
}
