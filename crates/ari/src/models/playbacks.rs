//! The models of the `playbacks` api-doc as serde types: optional fields are left out, never null.

use serde::{Deserialize, Serialize};

/// `Playback`: Object representing the playback of media to a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Playback {
    /// ID for this playback operation.
    pub id: String,
    /// The URI for the media currently being played back.
    pub media_uri: String,
    /// If a list of URIs is being played, the next media URI to be played back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_media_uri: Option<String>,
    /// URI for the channel or bridge to play the media on.
    pub target_uri: String,
    /// For media types that support multiple languages, the language requested for playback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Current state of the playback operation.
    pub state: String,
}
