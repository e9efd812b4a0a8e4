//! The resources whose objects live in the call core, which does not expose them to ARI
//! yet (channels, bridges, endpoints, recordings, sounds, playbacks, mailboxes). Each
//! operation answers as Asterisk does when the object does not exist (an id no ARI
//! application can have created) or 501 where the answer would need the core: never a 200
//! that pretends.

use super::{handler, Call, Handler, Reply};
use crate::error::AriError;
use crate::state::AriState;

const NOT_IMPLEMENTED: &str = "Not implemented";

async fn not_implemented(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Err(AriError::not_implemented(NOT_IMPLEMENTED))
}

async fn channel_not_found(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Err(AriError::not_found("Channel not found"))
}

async fn bridge_not_found(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Err(AriError::not_found("Bridge not found"))
}

async fn recording_not_found(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Err(AriError::not_found("Recording not found"))
}

async fn playback_not_found(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Err(AriError::not_found("Playback not found"))
}

/// `/channels`: originating needs the core; every existing-channel operation finds none.
pub(super) fn channels(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" | "originate" | "create" | "originateWithId" | "externalMedia" => handler!(not_implemented),
        "get" | "hangup" | "continueInDialplan" | "move" | "redirect" | "answer" | "ring" | "ringStop" | "progress"
        | "sendDTMF" | "mute" | "unmute" | "hold" | "unhold" | "startMoh" | "stopMoh" | "startSilence"
        | "stopSilence" | "play" | "playWithId" | "record" | "getChannelVar" | "setChannelVar" | "getChannelVars"
        | "setChannelVars" | "snoopChannel" | "snoopChannelWithId" | "dial" | "rtpstatistics" | "transfer_progress" => {
            handler!(channel_not_found)
        }
        _ => None,
    }
}

/// `/bridges`: creating and listing need the core; no bridge id exists.
pub(super) fn bridges(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" | "create" | "createWithId" => handler!(not_implemented),
        "get" | "destroy" | "getBridgeVar" | "setBridgeVar" | "getBridgeVars" | "setBridgeVars" | "addChannel"
        | "removeChannel" | "setVideoSource" | "clearVideoSource" | "startMoh" | "stopMoh" | "play" | "playWithId"
        | "record" => handler!(bridge_not_found),
        _ => None,
    }
}

/// `/endpoints`: the directory and messaging are not wired to ARI yet.
pub(super) fn endpoints(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" | "sendMessage" | "refer" | "listByTech" | "get" | "sendMessageToEndpoint" | "referToEndpoint" => {
            handler!(not_implemented)
        }
        _ => None,
    }
}

/// `/recordings`: stored recordings need the media store; no live recording exists.
pub(super) fn recordings(nickname: &str) -> Option<Handler> {
    match nickname {
        "listStored" | "getStored" | "deleteStored" | "getStoredFile" | "copyStored" => handler!(not_implemented),
        "getLive" | "cancel" | "stop" | "pause" | "unpause" | "mute" | "unmute" => handler!(recording_not_found),
        _ => None,
    }
}

/// `/sounds`: the prompt index is not exposed yet.
pub(super) fn sounds(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" | "get" => handler!(not_implemented),
        _ => None,
    }
}

/// `/playbacks`: no playback exists until channels can play.
pub(super) fn playbacks(nickname: &str) -> Option<Handler> {
    match nickname {
        "get" | "stop" | "control" => handler!(playback_not_found),
        _ => None,
    }
}

/// `/mailboxes`: voicemail is not part of Switchboard yet.
pub(super) fn mailboxes(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" | "get" | "update" | "delete" => handler!(not_implemented),
        _ => None,
    }
}
