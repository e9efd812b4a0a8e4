//! `/deviceStates`: the ARI-controlled states (`Stasis:` and `Custom:` names, in memory),
//! and extensions' states read from the call core (`PJSIP/<number>`, `SIP/<number>`).
//! Every change is published as `DeviceStateChanged` to the subscribed applications.

use super::{handler, Call, Handler, Reply};
use crate::apps::EventSource;
use crate::devices::is_controlled;
use crate::error::AriError;
use crate::events::{DeviceStateChanged, Event};
use crate::models::DeviceState;
use crate::state::AriState;
use sb_core::devicestate::ExtensionState;

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" => handler!(list),
        "get" => handler!(get),
        "update" => handler!(update),
        "delete" => handler!(delete),
        _ => None,
    }
}

/// Asterisk's device state word for an extension state (`ast_devstate_str`).
fn word(state: ExtensionState) -> &'static str {
    match state {
        ExtensionState::Idle => "NOT_INUSE",
        ExtensionState::InUse => "INUSE",
        ExtensionState::Busy => "BUSY",
        ExtensionState::Unavailable => "UNAVAILABLE",
        ExtensionState::Ringing => "RINGING",
        ExtensionState::InUseRinging => "RINGINUSE",
        ExtensionState::Hold | ExtensionState::InUseHold => "ONHOLD",
    }
}

fn device_name(call: &Call) -> &str {
    call.params.text("deviceName").unwrap_or_default()
}

async fn list(state: AriState, _call: Call) -> Result<Reply, AriError> {
    Ok(Reply::json(state.devices().list()))
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    let name = device_name(&call);
    let known = match name.split_once('/') {
        Some(("PJSIP" | "SIP", number)) => match state.pbx() {
            Some(pbx) => pbx.extension_state(number, None).await.ok().flatten().map(|s| word(s).to_owned()),
            None => None,
        },
        _ => state.devices().get(name),
    };
    // A device nobody knows is UNKNOWN, not an error (Asterisk declares no 404 here).
    Ok(Reply::json(DeviceState { name: name.to_owned(), state: known.unwrap_or_else(|| "UNKNOWN".into()) }))
}

async fn update(state: AriState, call: Call) -> Result<Reply, AriError> {
    let name = device_name(&call);
    if !is_controlled(name) {
        return Err(AriError::conflict("Uncontrolled device specified"));
    }
    // The route table has already checked it against the allowed words.
    let word = call.params.text("deviceState").unwrap_or("UNKNOWN");
    if state.devices().set(name, word) {
        publish(&state, name, word);
    }
    Ok(Reply::NoContent)
}

async fn delete(state: AriState, call: Call) -> Result<Reply, AriError> {
    let name = device_name(&call);
    if !is_controlled(name) {
        return Err(AriError::conflict("Uncontrolled device specified"));
    }
    if !state.devices().remove(name) {
        return Err(AriError::not_found("Device name is missing"));
    }
    publish(&state, name, "UNKNOWN");
    Ok(Reply::NoContent)
}

fn publish(state: &AriState, name: &str, word: &str) {
    let event = Event::DeviceStateChanged(DeviceStateChanged {
        device_state: DeviceState { name: name.to_owned(), state: word.to_owned() },
    });
    state.apps().publish(&EventSource::DeviceState(name.to_owned()), &event);
}
