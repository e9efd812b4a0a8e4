//! The models of the `channels` api-doc as serde types: optional fields are left out, never null.

use crate::events::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `Dialed`: Dialed channel information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Dialed {}

/// `DialplanCEP`: Dialplan location (context/extension/priority).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
#[serde(rename = "DialplanCEP")]
pub struct DialplanCep {
    /// Context in the dialplan.
    pub context: String,
    /// Extension in the dialplan.
    pub exten: String,
    /// Priority in the dialplan.
    pub priority: i64,
    /// Name of current dialplan application.
    pub app_name: String,
    /// Parameter of current dialplan application.
    pub app_data: String,
}

/// `CallerID`: Caller identification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
#[serde(rename = "CallerID")]
pub struct CallerId {
    /// See the model.
    pub name: String,
    /// See the model.
    pub number: String,
}

/// `RTPstat`: A statistics of a RTP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
#[serde(rename = "RTPstat")]
pub struct RtpStat {
    /// Number of packets transmitted.
    pub txcount: i64,
    /// Number of packets received.
    pub rxcount: i64,
    /// Jitter on transmitted packets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txjitter: Option<f64>,
    /// Jitter on received packets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rxjitter: Option<f64>,
    /// Maximum jitter on remote side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_maxjitter: Option<f64>,
    /// Minimum jitter on remote side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_minjitter: Option<f64>,
    /// Average jitter on remote side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_normdevjitter: Option<f64>,
    /// Standard deviation jitter on remote side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_stdevjitter: Option<f64>,
    /// Maximum jitter on local side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_maxjitter: Option<f64>,
    /// Minimum jitter on local side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_minjitter: Option<f64>,
    /// Average jitter on local side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_normdevjitter: Option<f64>,
    /// Standard deviation jitter on local side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_stdevjitter: Option<f64>,
    /// Number of transmitted packets lost.
    pub txploss: i64,
    /// Number of received packets lost.
    pub rxploss: i64,
    /// Maximum number of packets lost on remote side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_maxrxploss: Option<f64>,
    /// Minimum number of packets lost on remote side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_minrxploss: Option<f64>,
    /// Average number of packets lost on remote side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_normdevrxploss: Option<f64>,
    /// Standard deviation packets lost on remote side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_stdevrxploss: Option<f64>,
    /// Maximum number of packets lost on local side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_maxrxploss: Option<f64>,
    /// Minimum number of packets lost on local side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_minrxploss: Option<f64>,
    /// Average number of packets lost on local side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_normdevrxploss: Option<f64>,
    /// Standard deviation packets lost on local side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_stdevrxploss: Option<f64>,
    /// Total round trip time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt: Option<f64>,
    /// Maximum round trip time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxrtt: Option<f64>,
    /// Minimum round trip time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minrtt: Option<f64>,
    /// Average round trip time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normdevrtt: Option<f64>,
    /// Standard deviation round trip time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdevrtt: Option<f64>,
    /// Our SSRC.
    pub local_ssrc: i64,
    /// Their SSRC.
    pub remote_ssrc: i64,
    /// Number of octets transmitted.
    pub txoctetcount: i64,
    /// Number of octets received.
    pub rxoctetcount: i64,
    /// The Asterisk channel's unique ID that owns this instance.
    pub channel_uniqueid: String,
}

/// `Channel`: A specific communication connection between Asterisk and an Endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Channel {
    /// Unique identifier of the channel.
    pub id: String,
    /// Protocol id from underlying channel driver (i.e. Call-ID for chan_pjsip; will be empty if not applicable or not implemented by driver).
    pub protocol_id: String,
    /// Name of the channel (i.e. SIP/foo-0000a7e3).
    pub name: String,
    /// See the model.
    pub state: String,
    /// See the model.
    pub caller: CallerId,
    /// See the model.
    pub connected: CallerId,
    /// See the model.
    pub accountcode: String,
    /// Current location in the dialplan.
    pub dialplan: DialplanCep,
    /// Timestamp when channel was created.
    pub creationtime: Timestamp,
    /// The default spoken language.
    pub language: String,
    /// Channel variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channelvars: Option<Map<String, Value>>,
    /// The Caller ID RDNIS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_rdnis: Option<String>,
    /// The Tenant ID for the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenantid: Option<String>,
}
