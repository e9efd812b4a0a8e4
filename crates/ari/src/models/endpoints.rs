//! The models of the `endpoints` api-doc as serde types: optional fields are left out, never null.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `Endpoint`: An external device that may offer/accept calls to/from Asterisk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Endpoint {
    /// Technology of the endpoint.
    pub technology: String,
    /// Identifier of the endpoint, specific to the given technology.
    pub resource: String,
    /// Endpoint's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Id's of channels associated with this endpoint.
    pub channel_ids: Vec<String>,
}

/// `TextMessage`: A text message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct TextMessage {
    /// A technology specific URI specifying the source of the message. For pjsip technology, any SIP URI can be specified. For xmpp, the URI must correspond to the client connection being used to send the message.
    pub from: String,
    /// A technology specific URI specifying the destination of the message. Valid technologies include pjsip, and xmp. The destination of a message should be an endpoint.
    pub to: String,
    /// The text of the message.
    pub body: String,
    /// Technology specific key/value pairs (JSON object) associated with the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Map<String, Value>>,
}
