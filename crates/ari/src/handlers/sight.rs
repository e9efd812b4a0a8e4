//! What a grant confined to applications sees of the call core's objects (the rules are
//! [`Grant::sees_channel`] and [`Grant::sees_bridge`]): a channel, bridge, playback or live
//! recording it may not see answers 404 as if it did not exist, and lists leave it out.
//! Unconfined grants pass straight through: nothing is looked up for them.

use super::stasis_errors::{ari_error, stasis};
use super::Call;
use crate::access::Grant;
use crate::error::AriError;
use crate::state::AriState;
use sb_core::pbx::{BridgeSnapshot, ChannelSnapshot, Stasis, StasisError, Target};

/// Whether `grant` sees `target` (`stasis` looks it up).
fn sees(state: &AriState, stasis: &Stasis, grant: &Grant, target: &Target) -> bool {
    let creators = state.creators();
    match target {
        Target::Channel(id) => stasis.channel(id).is_some_and(|c| grant.sees_channel(&c, creators)),
        Target::Bridge(id) => {
            stasis.bridge(id).is_some_and(|b| grant.sees_bridge(&b, |member| stasis.channel(member), creators))
        }
    }
}

/// Notes that the call's grant made `object` (a confined grant keeps seeing it); forgets it
/// again if it has gone already (its destruction delivered before the note was made).
pub(super) fn made(state: &AriState, call: &Call, stasis: &Stasis, object: Target) {
    call.grant.note_made(object.clone(), state.creators());
    let exists = match &object {
        Target::Channel(id) => stasis.channel(id).is_some(),
        Target::Bridge(id) => stasis.bridge(id).is_some(),
    };
    if !exists {
        state.creators().forget(&object);
    }
}

/// 404 (`missing`) unless the call's grant sees `target`.
fn require(state: &AriState, call: &Call, target: &Target, missing: StasisError) -> Result<(), AriError> {
    if !call.grant.scope.is_confined() || sees(state, &stasis(state)?, &call.grant, target) {
        return Ok(());
    }
    Err(ari_error(missing))
}

/// 404 "Channel not found" unless the call's grant sees channel `id`.
pub(super) fn channel(state: &AriState, call: &Call, id: &str) -> Result<(), AriError> {
    require(state, call, &Target::Channel(id.to_owned()), StasisError::ChannelNotFound)
}

/// 404 "Bridge not found" unless the call's grant sees bridge `id`.
pub(super) fn bridge(state: &AriState, call: &Call, id: &str) -> Result<(), AriError> {
    require(state, call, &Target::Bridge(id.to_owned()), StasisError::BridgeNotFound)
}

/// 404 "Playback not found" unless the call's grant sees playback `id`'s channel or bridge.
pub(super) fn playback(state: &AriState, call: &Call, id: &str) -> Result<(), AriError> {
    if !call.grant.scope.is_confined() {
        return Ok(());
    }
    let target =
        stasis(state)?.playback(id).map(|p| p.target).ok_or_else(|| ari_error(StasisError::PlaybackNotFound))?;
    require(state, call, &target, StasisError::PlaybackNotFound)
}

/// 404 "Recording not found" unless the call's grant sees live recording `name`'s channel
/// or bridge.
pub(super) fn recording(state: &AriState, call: &Call, name: &str) -> Result<(), AriError> {
    if !call.grant.scope.is_confined() {
        return Ok(());
    }
    let target =
        stasis(state)?.recording(name).map(|r| r.target).ok_or_else(|| ari_error(StasisError::RecordingNotFound))?;
    require(state, call, &target, StasisError::RecordingNotFound)
}

/// `ChannelNotFound` (as for a missing one) unless the call's grant sees each of `channels`.
pub(super) fn members(state: &AriState, call: &Call, channels: &[String]) -> Result<(), StasisError> {
    match channels.iter().all(|id| channel(state, call, id).is_ok()) {
        true => Ok(()),
        false => Err(StasisError::ChannelNotFound),
    }
}

/// The channels of `all` the call's grant sees.
pub(super) fn channels(state: &AriState, call: &Call, all: Vec<ChannelSnapshot>) -> Vec<ChannelSnapshot> {
    match call.grant.scope.is_confined() {
        false => all,
        true => all.into_iter().filter(|c| call.grant.sees_channel(c, state.creators())).collect(),
    }
}

/// The bridges of `all` the call's grant sees.
pub(super) fn bridges(state: &AriState, call: &Call, all: Vec<BridgeSnapshot>) -> Vec<BridgeSnapshot> {
    let Some(pbx) = state.pbx().filter(|_| call.grant.scope.is_confined()) else { return all };
    let stasis = pbx.stasis();
    let creators = state.creators();
    all.into_iter().filter(|b| call.grant.sees_bridge(b, |member| stasis.channel(member), creators)).collect()
}
