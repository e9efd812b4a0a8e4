//! The models of the `recordings` api-doc as serde types: optional fields are left out, never null.

use serde::{Deserialize, Serialize};

/// `StoredRecording`: A past recording that may be played back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct StoredRecording {
    /// See the model.
    pub name: String,
    /// See the model.
    pub format: String,
}

/// `LiveRecording`: A recording that is in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct LiveRecording {
    /// Base name for the recording.
    pub name: String,
    /// Recording format (wav, gsm, etc.).
    pub format: String,
    /// URI for the channel or bridge being recorded.
    pub target_uri: String,
    /// See the model.
    pub state: String,
    /// Duration in seconds of the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    /// Duration of talking, in seconds, detected in the recording. This is only available if the recording was initiated with a non-zero maxSilenceSeconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talking_duration: Option<i64>,
    /// Duration of silence, in seconds, detected in the recording. This is only available if the recording was initiated with a non-zero maxSilenceSeconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silence_duration: Option<i64>,
    /// Cause for recording failure if failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}
