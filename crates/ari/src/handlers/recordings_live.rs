//! `/recordings/live`: recordings in progress on channels: their state, stopping (keep the
//! file), cancelling (delete it), pausing (the paused time is left out) and muting
//! (silence is recorded meanwhile). A grant confined to applications
//! sees only the recordings on what it sees.

use super::stasis_errors::{ari_error, stasis};
use super::{handler, sight, Call, Handler, Reply};
use crate::error::AriError;
use crate::stasis::recording;
use crate::state::AriState;
use sb_media::engine::RecordingControl;

/// The live-recording operations; the stored ones are elsewhere.
pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "getLive" => handler!(get),
        "stop" => handler!(stop),
        "cancel" => handler!(cancel),
        "pause" => handler!(pause),
        "unpause" => handler!(unpause),
        "mute" => handler!(mute),
        "unmute" => handler!(unmute),
        _ => None,
    }
}

fn name(call: &Call) -> &str {
    call.params.text("recordingName").unwrap_or_default()
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    sight::recording(&state, &call, name(&call))?;
    let found = stasis(&state)?.recording(name(&call));
    found.map(|r| Reply::json(recording(&r))).ok_or_else(|| AriError::not_found("Recording not found"))
}

async fn stop(state: AriState, call: Call) -> Result<Reply, AriError> {
    sight::recording(&state, &call, name(&call))?;
    stasis(&state)?.stop_recording(name(&call), true).await.map_err(ari_error)?;
    Ok(Reply::NoContent)
}

async fn cancel(state: AriState, call: Call) -> Result<Reply, AriError> {
    sight::recording(&state, &call, name(&call))?;
    stasis(&state)?.stop_recording(name(&call), false).await.map_err(ari_error)?;
    Ok(Reply::NoContent)
}

async fn control(state: &AriState, call: &Call, control: RecordingControl) -> Result<Reply, AriError> {
    sight::recording(state, call, name(call))?;
    stasis(state)?.control_recording(name(call), control).await.map_err(ari_error)?;
    Ok(Reply::NoContent)
}

async fn pause(state: AriState, call: Call) -> Result<Reply, AriError> {
    control(&state, &call, RecordingControl::Pause).await
}

async fn unpause(state: AriState, call: Call) -> Result<Reply, AriError> {
    control(&state, &call, RecordingControl::Unpause).await
}

async fn mute(state: AriState, call: Call) -> Result<Reply, AriError> {
    control(&state, &call, RecordingControl::Mute).await
}

async fn unmute(state: AriState, call: Call) -> Result<Reply, AriError> {
    control(&state, &call, RecordingControl::Unmute).await
}
