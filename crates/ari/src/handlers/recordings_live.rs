//! `/recordings/live`: recordings in progress on channels: their state, stopping (keep the
//! file) and cancelling (delete it). Pausing and muting a recording need what the media
//! engine's recorder does not do yet: 501 once the recording is known.

use super::stasis_errors::{ari_error, stasis};
use super::{handler, Call, Handler, Reply};
use crate::error::AriError;
use crate::stasis::recording;
use crate::state::AriState;

/// The live-recording operations; the stored ones are elsewhere.
pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "getLive" => handler!(get),
        "stop" => handler!(stop),
        "cancel" => handler!(cancel),
        "pause" | "unpause" | "mute" | "unmute" => handler!(unsupported),
        _ => None,
    }
}

fn name(call: &Call) -> &str {
    call.params.text("recordingName").unwrap_or_default()
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    let found = stasis(&state)?.recording(name(&call));
    found.map(|r| Reply::json(recording(&r))).ok_or_else(|| AriError::not_found("Recording not found"))
}

async fn stop(state: AriState, call: Call) -> Result<Reply, AriError> {
    stasis(&state)?.stop_recording(name(&call), true).await.map_err(ari_error)?;
    Ok(Reply::NoContent)
}

async fn cancel(state: AriState, call: Call) -> Result<Reply, AriError> {
    stasis(&state)?.stop_recording(name(&call), false).await.map_err(ari_error)?;
    Ok(Reply::NoContent)
}

async fn unsupported(state: AriState, call: Call) -> Result<Reply, AriError> {
    if stasis(&state)?.recording(name(&call)).is_none() {
        return Err(AriError::not_found("Recording not found"));
    }
    Err(AriError::not_implemented("Not implemented"))
}
