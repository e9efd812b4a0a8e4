//! The models of the `applications` api-doc as serde types: optional fields are left out, never null.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `Application`: Details of a Stasis application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Application {
    /// Name of this application.
    pub name: String,
    /// Id's for channels subscribed to.
    pub channel_ids: Vec<String>,
    /// Id's for bridges subscribed to.
    pub bridge_ids: Vec<String>,
    /// {tech}/{resource} for endpoints subscribed to.
    pub endpoint_ids: Vec<String>,
    /// Names of the devices subscribed to.
    pub device_names: Vec<String>,
    /// Event types sent to the application.
    pub events_allowed: Vec<Value>,
    /// Event types not sent to the application.
    pub events_disallowed: Vec<Value>,
}
