//! How the call core's Stasis refusals read over ARI: Asterisk's status for each.

use crate::error::AriError;
use sb_core::pbx::StasisError;

/// The ARI error of a Stasis refusal.
pub(super) fn ari_error(error: StasisError) -> AriError {
    let message = error.to_string();
    match error {
        StasisError::ChannelNotFound
        | StasisError::BridgeNotFound
        | StasisError::PlaybackNotFound
        | StasisError::RecordingNotFound => AriError::not_found(message),
        StasisError::NotInStasis | StasisError::Conflict(_) | StasisError::RecordingRefused(_) => {
            AriError::conflict(message)
        }
        StasisError::InvalidState(_) => AriError::PreconditionFailed(message),
        StasisError::BadRequest(_) | StasisError::NoApplication(_) => AriError::bad_request(message),
        StasisError::Unprocessable(_) => AriError::unprocessable(message),
        StasisError::Failed(_) => AriError::Internal(message),
    }
}

/// The call core's Stasis, or 501 on a server without one.
pub(super) fn stasis(state: &crate::state::AriState) -> Result<sb_core::pbx::Stasis, AriError> {
    state.pbx().map(sb_core::pbx::Pbx::stasis).ok_or_else(|| AriError::not_implemented("Not implemented"))
}
