//! The models of the `deviceStates` api-doc as serde types: optional fields are left out, never null.

use serde::{Deserialize, Serialize};

/// `DeviceState`: Represents the state of a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct DeviceState {
    /// Name of the device.
    pub name: String,
    /// Device's state.
    pub state: String,
}
