//! The models of the `bridges` api-doc as serde types: optional fields are left out, never null.

use crate::events::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `Bridge`: The merging of media from one or more channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Bridge {
    /// Unique identifier for this bridge.
    pub id: String,
    /// Name of the current bridging technology.
    pub technology: String,
    /// Type of bridge technology.
    pub bridge_type: String,
    /// Bridging class.
    pub bridge_class: String,
    /// Entity that created the bridge.
    pub creator: String,
    /// Name the creator gave the bridge.
    pub name: String,
    /// Ids of channels participating in this bridge.
    pub channels: Vec<String>,
    /// The video mode the bridge is using. One of 'none', 'talker', 'sfu', or 'single'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_mode: Option<String>,
    /// The ID of the channel that is the source of video in this bridge, if one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_source_id: Option<String>,
    /// Timestamp when bridge was created.
    pub creationtime: Timestamp,
    /// Bridge variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridgevars: Option<Map<String, Value>>,
}
