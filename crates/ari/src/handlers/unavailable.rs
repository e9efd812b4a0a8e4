//! The resources not wired to the core yet (endpoints, stored recordings, sounds,
//! mailboxes): 501, never a 200 that pretends.

use super::{handler, Call, Handler, Reply};
use crate::error::AriError;
use crate::state::AriState;

const NOT_IMPLEMENTED: &str = "Not implemented";

async fn not_implemented(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Err(AriError::not_implemented(NOT_IMPLEMENTED))
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

/// `/recordings`: the stored recordings.
pub(super) fn recordings(nickname: &str) -> Option<Handler> {
    match nickname {
        "listStored" | "getStored" | "deleteStored" | "getStoredFile" | "copyStored" => handler!(not_implemented),
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

/// `/mailboxes`: voicemail is not part of Switchboard yet.
pub(super) fn mailboxes(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" | "get" | "update" | "delete" => handler!(not_implemented),
        _ => None,
    }
}
