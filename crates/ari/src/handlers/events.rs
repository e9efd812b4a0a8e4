//! `/events`: the WebSocket that registers applications and carries their events, user
//! events posted over REST, and channel claims (no channel is ever broadcast yet). A grant
//! confined to applications registers and posts to its own only, and may not subscribe to
//! everything. With event replay on, `replay_since` (not in Asterisk's api-docs, read from
//! the raw query) asks for the frames a socket missed.

use super::{handler, Call, Handler, Reply};
use crate::apps::{Connection, EventSource};
use crate::error::AriError;
use crate::events::{ChannelUserevent, Event};
use crate::params::RawParams;
use crate::replay::parse_replay_since;
use crate::state::AriState;
use axum::extract::ws::{Message, WebSocket};
use axum::response::IntoResponse;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "eventWebsocket" => handler!(event_websocket),
        "userEvent" => handler!(user_event),
        "claimChannel" => handler!(claim_channel),
        _ => None,
    }
}

async fn event_websocket(state: AriState, call: Call) -> Result<Reply, AriError> {
    let Some(upgrade) = call.upgrade else { return Err(AriError::bad_request("WebSocket upgrade required")) };
    let apps: Vec<String> = call.params.list("app").unwrap_or_default().to_vec();
    if apps.is_empty() {
        return Err(AriError::bad_request("Missing parameter app"));
    }
    let subscribe_all = call.params.bool("subscribeAll").unwrap_or(false);
    for app in &apps {
        call.grant.scope.require_app(app)?;
    }
    if subscribe_all {
        call.grant.scope.require_unconfined("subscribe to all events as a user confined to applications")?;
    }
    let since = replay_since(&state, &call.query, &apps)?;
    // `ari` is echoed only when the client asks for it; most clients ask for nothing.
    let response = upgrade.protocols(["ari"]).on_upgrade(move |socket| async move {
        let connection = state.apps().register_replaying(&apps, subscribe_all, &since);
        tracing::info!(apps = ?apps, subscribe_all, "ARI events socket open");
        let id = connection.id;
        serve(socket, connection).await;
        state.apps().unregister(id);
        tracing::info!(apps = ?apps, "ARI events socket closed");
    });
    Ok(Reply::Upgrade(response.into_response()))
}

/// The last sequence the client saw, per application, when replay is on and it asks.
fn replay_since(state: &AriState, query: &RawParams, apps: &[String]) -> Result<BTreeMap<String, u64>, AriError> {
    match query.query_value("replay_since").filter(|_| state.apps().replay().is_some()) {
        Some(text) => parse_replay_since(text, apps).map_err(|e| AriError::bad_request(e.to_string())),
        None => Ok(BTreeMap::new()),
    }
}

/// Writes queued events to the socket and answers what the client sends, until either
/// side is done.
async fn serve(mut socket: WebSocket, mut connection: Connection) {
    loop {
        tokio::select! {
            frame = connection.frames.recv() => {
                let Some(text) = frame else { break };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                // Pings are answered by axum; text (REST over WebSocket) is not offered.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn user_event(state: AriState, call: Call) -> Result<Reply, AriError> {
    let application = call.params.text("application").unwrap_or_default();
    call.grant.scope.require_app(application)?;
    if let Some(sources) = call.params.list("source") {
        for uri in sources {
            if EventSource::parse(uri).is_none() {
                return Err(AriError::bad_request(format!("Invalid event source URI scheme: {uri}")));
            }
        }
        // Channels, bridges and endpoints are not visible to ARI yet, so none can be found.
        if !sources.is_empty() {
            return Err(AriError::unprocessable("Event source not found."));
        }
    }
    let userevent = match call.params.json("variables") {
        Some(Value::Object(fields)) => fields.clone(),
        Some(_) => return Err(AriError::bad_request("Invalid userevent data")),
        None => Map::new(),
    };
    let event = Event::ChannelUserevent(ChannelUserevent {
        eventname: call.params.text("eventName").unwrap_or_default().to_owned(),
        channel: None,
        bridge: None,
        endpoint: None,
        userevent,
    });
    if !state.apps().send_to(application, &event) {
        return Err(AriError::not_found("Application does not exist."));
    }
    Ok(Reply::NoContent)
}

async fn claim_channel(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Err(AriError::not_found("Channel not found or not in broadcast state."))
}
