//! The models of the `events` api-doc as serde types: optional fields are left out, never null.

use super::{Bridge, Channel};
use serde::{Deserialize, Serialize};

/// `MissingParams`: Error event sent when required params are missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct MissingParams {
    /// A list of the missing parameters.
    pub params: Vec<String>,
}

/// `ContactInfo`: Detailed information about a contact on an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ContactInfo {
    /// The location of the contact.
    pub uri: String,
    /// The current status of the contact.
    pub contact_status: String,
    /// The Address of Record this contact belongs to.
    pub aor: String,
    /// Current round trip time, in microseconds, for the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roundtrip_usec: Option<String>,
}

/// `Peer`: Detailed information about a remote peer that communicates with Asterisk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Peer {
    /// The current state of the peer. Note that the values of the status are dependent on the underlying peer technology.
    pub peer_status: String,
    /// An optional reason associated with the change in peer_status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The IP address of the peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The port of the peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// The last known time the peer was contacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// `ReferTo`: transfer destination requested by transferee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ReferTo {
    /// See the model.
    pub requested_destination: RequiredDestination,
    /// The Channel Object, that is to be replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_channel: Option<Channel>,
    /// Channel, connected to the to be replaced channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_channel: Option<Channel>,
    /// Bridge connecting both destination channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<Bridge>,
}

/// `ReferredBy`: transfer destination requested by transferee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ReferredBy {
    /// The channel on which the refer was received.
    pub source_channel: Channel,
    /// Channel, Connected to the channel, receiving the transfer request on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_channel: Option<Channel>,
    /// Bridge connecting both Channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<Bridge>,
}

/// `RequiredDestination`: Information about the requested destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct RequiredDestination {
    /// the requested protocol-id by the referee in case of SIP channel, this is a SIP Call ID, Mutually exclusive to destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_id: Option<String>,
    /// Destination User Part. Only for Blind transfer. Mutually exclusive to protocol_id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// List of additional protocol specific information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_protocol_params: Option<Vec<AdditionalParam>>,
}

/// `AdditionalParam`: Protocol specific additional parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct AdditionalParam {
    /// Name of the parameter.
    pub parameter_name: String,
    /// Value of the parameter.
    pub parameter_value: String,
}

/// `RESTHeader`: REST over Websocket header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
#[serde(rename = "RESTHeader")]
pub struct RestHeader {
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// `RESTQueryStringParameter`: REST over Websocket Query String Parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
#[serde(rename = "RESTQueryStringParameter")]
pub struct RestQueryStringParameter {
    /// Parameter name.
    pub name: String,
    /// Parameter value.
    pub value: String,
}

/// `RESTRequest`: REST over Websocket Request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
#[serde(rename = "RESTRequest")]
pub struct RestRequest {
    /// Message type.  Must be 'RESTRequest'.
    pub r#type: String,
    /// Opaque transaction id.  Can be any valid string.  Will be returned in any response to this request.
    pub transaction_id: String,
    /// Opaque request id.  Can be any valid string.  Will be returned in any response to this request.
    pub request_id: String,
    /// HTTP method (GET, PUT, POST, DELETE, etc.).
    pub method: String,
    /// Resource URI with optional query string parameters.
    pub uri: String,
    /// The Content-Type of the message body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Request query string parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_strings: Option<Vec<RestQueryStringParameter>>,
    /// Request message body. Only content types application/json and application/x-www-form-urlencoded are supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_body: Option<String>,
}
