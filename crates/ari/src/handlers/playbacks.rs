//! `/playbacks`: the playbacks on channels and bridges, while they play or wait: their
//! state, stopping them, and controlling the one that plays (for a grant confined to
//! applications, only those on what it sees).

use super::stasis_errors::{ari_error, stasis};
use super::{handler, sight, Call, Handler, Reply};
use crate::error::AriError;
use crate::stasis::playback;
use crate::state::AriState;
use sb_core::pbx::StasisError;
use sb_media::engine::PlaybackControl;

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "get" => handler!(get),
        "stop" => handler!(stop),
        "control" => handler!(control),
        _ => None,
    }
}

fn id(call: &Call) -> &str {
    call.params.text("playbackId").unwrap_or_default()
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    sight::playback(&state, &call, id(&call))?;
    let found = stasis(&state)?.playback(id(&call));
    found.map(|p| Reply::json(playback(&p))).ok_or_else(|| AriError::not_found("Playback not found"))
}

async fn stop(state: AriState, call: Call) -> Result<Reply, AriError> {
    sight::playback(&state, &call, id(&call))?;
    stasis(&state)?.stop_playback(id(&call)).await.map_err(ari_error)?;
    Ok(Reply::NoContent)
}

async fn control(state: AriState, call: Call) -> Result<Reply, AriError> {
    let operation = call.params.text("operation").unwrap_or_default();
    let control: PlaybackControl = operation.parse().map_err(|_| AriError::bad_request("Invalid operation"))?;
    sight::playback(&state, &call, id(&call))?;
    stasis(&state)?.control_playback(id(&call), control).await.map_err(|e| match e {
        StasisError::InvalidState(message) => AriError::conflict(message),
        other => ari_error(other),
    })?;
    Ok(Reply::NoContent)
}
