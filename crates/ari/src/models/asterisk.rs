//! The models of the `asterisk` api-doc as serde types: optional fields are left out, never null.

use crate::events::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `BuildInfo`: Info about how Asterisk was built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct BuildInfo {
    /// OS Asterisk was built on.
    pub os: String,
    /// Kernel version Asterisk was built on.
    pub kernel: String,
    /// Compile time options, or empty string if default.
    pub options: String,
    /// Machine architecture (x86_64, i686, ppc, etc.).
    pub machine: String,
    /// Date and time when Asterisk was built.
    pub date: String,
    /// Username that build Asterisk.
    pub user: String,
}

/// `SystemInfo`: Info about Asterisk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct SystemInfo {
    /// Asterisk version.
    pub version: String,
    /// See the model.
    pub entity_id: String,
}

/// `SetId`: Effective user/group id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct SetId {
    /// Effective user id.
    pub user: String,
    /// Effective group id.
    pub group: String,
}

/// `ConfigInfo`: Info about Asterisk configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ConfigInfo {
    /// Asterisk system name.
    pub name: String,
    /// Default language for media playback.
    pub default_language: String,
    /// Maximum number of simultaneous channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_channels: Option<i64>,
    /// Maximum number of open file handles (files, sockets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open_files: Option<i64>,
    /// Maximum load avg on system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_load: Option<f64>,
    /// Effective user/group id for running Asterisk.
    pub setid: SetId,
}

/// `StatusInfo`: Info about Asterisk status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct StatusInfo {
    /// Time when Asterisk was started.
    pub startup_time: Timestamp,
    /// Time when Asterisk was last reloaded.
    pub last_reload_time: Timestamp,
}

/// `AsteriskInfo`: Asterisk system information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct AsteriskInfo {
    /// Info about how Asterisk was built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildInfo>,
    /// Info about the system running Asterisk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemInfo>,
    /// Info about Asterisk configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigInfo>,
    /// Info about Asterisk status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusInfo>,
}

/// `AsteriskPing`: Asterisk ping information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct AsteriskPing {
    /// Asterisk id info.
    pub asterisk_id: String,
    /// Always string value is pong.
    pub ping: String,
    /// The timestamp string of request received time.
    pub timestamp: String,
}

/// `Module`: Details of an Asterisk module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Module {
    /// The name of this module.
    pub name: String,
    /// The description of this module.
    pub description: String,
    /// The number of times this module is being used.
    pub use_count: i64,
    /// The running status of this module.
    pub status: String,
    /// The support state of this module.
    pub support_level: String,
}

/// `LogChannel`: Details of an Asterisk log channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct LogChannel {
    /// The log channel path.
    pub channel: String,
    /// Types of logs for the log channel.
    pub r#type: String,
    /// Whether or not a log type is enabled.
    pub status: String,
    /// The various log levels.
    pub configuration: String,
}

/// `Variable`: The value of a channel variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Variable {
    /// The value of the variable requested.
    pub value: String,
}

/// `Variables`: A dictionary of channel variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Variables {
    /// A dictionary of channel variables.
    pub variables: Map<String, Value>,
}

/// `ConfigTuple`: A key/value pair that makes up part of a configuration object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ConfigTuple {
    /// A configuration object attribute.
    pub attribute: String,
    /// The value for the attribute.
    pub value: String,
}
