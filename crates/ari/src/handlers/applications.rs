//! `/applications`: the applications the `/events` sockets registered, their subscriptions
//! and event filters. A grant confined to applications sees and changes only its own.

use super::{handler, Call, Handler, Reply};
use crate::apps::{EventSource, SubscriptionError};
use crate::error::AriError;
use crate::state::AriState;
use serde_json::Value;

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" => handler!(list),
        "get" => handler!(get),
        "subscribe" => handler!(subscribe),
        "unsubscribe" => handler!(unsubscribe),
        "filter" => handler!(filter),
        _ => None,
    }
}

const NO_APPLICATION: &str = "Application does not exist.";

fn name(call: &Call) -> &str {
    call.params.text("applicationName").unwrap_or_default()
}

/// 403 unless the call's grant may use the call's application.
fn allowed(call: &Call) -> Result<(), AriError> {
    call.grant.scope.require_app(name(call))
}

async fn list(state: AriState, call: Call) -> Result<Reply, AriError> {
    let mut apps = state.apps().list();
    apps.retain(|app| call.grant.scope.allows_app(&app.name));
    Ok(Reply::json(apps))
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    allowed(&call)?;
    state.apps().get(name(&call)).map(Reply::json).ok_or_else(|| AriError::not_found(NO_APPLICATION))
}

/// The `eventSource` URIs, parsed; 400 for an unknown scheme.
fn sources(call: &Call) -> Result<Vec<EventSource>, AriError> {
    let uris = call.params.list("eventSource").unwrap_or_default();
    if uris.is_empty() {
        return Err(AriError::bad_request("Missing parameter eventSource"));
    }
    uris.iter()
        .map(|uri| {
            EventSource::parse(uri)
                .ok_or_else(|| AriError::bad_request(format!("Invalid scheme in event source {uri}")))
        })
        .collect()
}

/// Whether `source` names something that exists: device states always do; channels,
/// bridges and endpoints are not visible to ARI yet.
fn exists(source: &EventSource) -> bool {
    matches!(source, EventSource::DeviceState(_))
}

async fn subscribe(state: AriState, call: Call) -> Result<Reply, AriError> {
    allowed(&call)?;
    let sources = sources(&call)?;
    if state.apps().get(name(&call)).is_none() {
        return Err(AriError::not_found(NO_APPLICATION));
    }
    if !sources.iter().all(exists) {
        return Err(AriError::unprocessable("Event source does not exist."));
    }
    state.apps().subscribe(name(&call), sources).map(Reply::json).map_err(subscription_error)
}

async fn unsubscribe(state: AriState, call: Call) -> Result<Reply, AriError> {
    allowed(&call)?;
    let sources = sources(&call)?;
    state.apps().unsubscribe(name(&call), &sources).map(Reply::json).map_err(subscription_error)
}

fn subscription_error(error: SubscriptionError) -> AriError {
    match error {
        SubscriptionError::NoApplication => AriError::not_found(NO_APPLICATION),
        SubscriptionError::NotSubscribed => AriError::conflict("Application not subscribed to event source."),
    }
}

async fn filter(state: AriState, call: Call) -> Result<Reply, AriError> {
    allowed(&call)?;
    let filter = call.params.json("filter").cloned().unwrap_or(Value::Null);
    let list = |key: &str| -> Result<Vec<Value>, AriError> {
        match filter.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) if items.iter().all(|i| i.get("type").is_some_and(Value::is_string)) => {
                Ok(items.clone())
            }
            Some(_) => Err(AriError::bad_request("Invalid format definition")),
        }
    };
    let (allowed, disallowed) = (list("allowed")?, list("disallowed")?);
    state
        .apps()
        .set_filter(name(&call), allowed, disallowed)
        .map(Reply::json)
        .ok_or_else(|| AriError::not_found(NO_APPLICATION))
}
