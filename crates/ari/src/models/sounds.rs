//! The models of the `sounds` api-doc as serde types: optional fields are left out, never null.

use serde::{Deserialize, Serialize};

/// `FormatLangPair`: Identifies the format and language of a sound file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct FormatLangPair {
    /// See the model.
    pub language: String,
    /// See the model.
    pub format: String,
}

/// `Sound`: A media file that may be played back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Sound {
    /// Sound's identifier.
    pub id: String,
    /// Text description of the sound, usually the words spoken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The formats and languages in which this sound is available.
    pub formats: Vec<FormatLangPair>,
}
