//! The 45 event types of `events.json` as serde types, one variant each of [`Event`]; the
//! envelope (`type`, `timestamp`, `application`, `asterisk_id`) is added when one is sent.

use crate::models::{
    Bridge, Channel, ContactInfo, DeviceState, Endpoint, LiveRecording, Peer, Playback, ReferTo, ReferredBy,
    TextMessage,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Every event ARI sends, tagged by `type` with its `events.json` name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
// Built once, serialised once per recipient and dropped: boxing the big ones would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// Notification that a device state has changed.
    DeviceStateChanged(DeviceStateChanged),
    /// Event showing the start of a media playback operation.
    PlaybackStarted(PlaybackStarted),
    /// Event showing the continuation of a media playback operation from one media URI to the next in the list.
    PlaybackContinuing(PlaybackContinuing),
    /// Event showing the completion of a media playback operation.
    PlaybackFinished(PlaybackFinished),
    /// Event showing the start of a recording operation.
    RecordingStarted(RecordingStarted),
    /// Event showing the completion of a recording operation.
    RecordingFinished(RecordingFinished),
    /// Event showing failure of a recording operation.
    RecordingFailed(RecordingFailed),
    /// Notification that trying to move a channel to another Stasis application failed.
    ApplicationMoveFailed(ApplicationMoveFailed),
    /// Notification that a Stasis app has been registered.
    ApplicationRegistered(ApplicationRegistered),
    /// Notification that a Stasis app has been unregistered.
    ApplicationUnregistered(ApplicationUnregistered),
    /// Notification that another WebSocket has taken over for an application.
    ApplicationReplaced(ApplicationReplaced),
    /// Notification that a bridge has been created.
    BridgeCreated(BridgeCreated),
    /// Notification that a bridge has been destroyed.
    BridgeDestroyed(BridgeDestroyed),
    /// Notification that one bridge has merged into another.
    BridgeMerged(BridgeMerged),
    /// Notification that a blind transfer has occurred.
    BridgeBlindTransfer(BridgeBlindTransfer),
    /// Notification that an attended transfer has occurred.
    BridgeAttendedTransfer(BridgeAttendedTransfer),
    /// Notification that the source of video in a bridge has changed.
    BridgeVideoSourceChanged(BridgeVideoSourceChanged),
    /// Notification that a channel has been created.
    ChannelCreated(ChannelCreated),
    /// Notification that a channel has been destroyed.
    ChannelDestroyed(ChannelDestroyed),
    /// Notification that a channel has entered a bridge.
    ChannelEnteredBridge(ChannelEnteredBridge),
    /// Notification that a channel has left a bridge.
    ChannelLeftBridge(ChannelLeftBridge),
    /// Notification of a channel's state change.
    ChannelStateChange(ChannelStateChange),
    /// DTMF received on a channel.
    ChannelDtmfReceived(ChannelDtmfReceived),
    /// Channel changed location in the dialplan.
    ChannelDialplan(ChannelDialplan),
    /// Channel changed Caller ID.
    ChannelCallerId(ChannelCallerId),
    /// User-generated event with additional user-defined fields in the object.
    ChannelUserevent(ChannelUserevent),
    /// A hangup was requested on the channel.
    ChannelHangupRequest(ChannelHangupRequest),
    /// Channel variable changed.
    ChannelVarset(ChannelVarset),
    /// Tone was detected on the channel.
    ChannelToneDetected(ChannelToneDetected),
    /// Talking was detected on the channel.
    ChannelTalkingStarted(ChannelTalkingStarted),
    /// Talking is no longer detected on the channel.
    ChannelTalkingFinished(ChannelTalkingFinished),
    /// A channel initiated a media hold.
    ChannelHold(ChannelHold),
    /// A channel initiated a media unhold.
    ChannelUnhold(ChannelUnhold),
    /// The state of a contact on an endpoint has changed.
    ContactStatusChange(ContactStatusChange),
    /// Endpoint state changed.
    EndpointStateChange(EndpointStateChange),
    /// Dialing state has changed.
    Dial(Dial),
    /// Notification that a channel has left a Stasis application.
    StasisEnd(StasisEnd),
    /// Notification that a channel has entered a Stasis application.
    StasisStart(StasisStart),
    /// A text message was received from an endpoint.
    TextMessageReceived(TextMessageReceived),
    /// Channel changed Connected Line.
    ChannelConnectedLine(ChannelConnectedLine),
    /// The state of a peer associated with an endpoint has changed.
    PeerStatusChange(PeerStatusChange),
    /// transfer on a channel.
    ChannelTransfer(ChannelTransfer),
    /// REST over Websocket Response.
    #[serde(rename = "RESTResponse")]
    RestResponse(RestResponse),
    /// Notification that a channel is being broadcast to ARI applications for claiming.
    CallBroadcast(CallBroadcast),
    /// Notification that a broadcast channel has been successfully claimed by an ARI application.
    CallClaimed(CallClaimed),
}

impl Event {
    /// The `type` the event is sent as.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::DeviceStateChanged(_) => "DeviceStateChanged",
            Event::PlaybackStarted(_) => "PlaybackStarted",
            Event::PlaybackContinuing(_) => "PlaybackContinuing",
            Event::PlaybackFinished(_) => "PlaybackFinished",
            Event::RecordingStarted(_) => "RecordingStarted",
            Event::RecordingFinished(_) => "RecordingFinished",
            Event::RecordingFailed(_) => "RecordingFailed",
            Event::ApplicationMoveFailed(_) => "ApplicationMoveFailed",
            Event::ApplicationRegistered(_) => "ApplicationRegistered",
            Event::ApplicationUnregistered(_) => "ApplicationUnregistered",
            Event::ApplicationReplaced(_) => "ApplicationReplaced",
            Event::BridgeCreated(_) => "BridgeCreated",
            Event::BridgeDestroyed(_) => "BridgeDestroyed",
            Event::BridgeMerged(_) => "BridgeMerged",
            Event::BridgeBlindTransfer(_) => "BridgeBlindTransfer",
            Event::BridgeAttendedTransfer(_) => "BridgeAttendedTransfer",
            Event::BridgeVideoSourceChanged(_) => "BridgeVideoSourceChanged",
            Event::ChannelCreated(_) => "ChannelCreated",
            Event::ChannelDestroyed(_) => "ChannelDestroyed",
            Event::ChannelEnteredBridge(_) => "ChannelEnteredBridge",
            Event::ChannelLeftBridge(_) => "ChannelLeftBridge",
            Event::ChannelStateChange(_) => "ChannelStateChange",
            Event::ChannelDtmfReceived(_) => "ChannelDtmfReceived",
            Event::ChannelDialplan(_) => "ChannelDialplan",
            Event::ChannelCallerId(_) => "ChannelCallerId",
            Event::ChannelUserevent(_) => "ChannelUserevent",
            Event::ChannelHangupRequest(_) => "ChannelHangupRequest",
            Event::ChannelVarset(_) => "ChannelVarset",
            Event::ChannelToneDetected(_) => "ChannelToneDetected",
            Event::ChannelTalkingStarted(_) => "ChannelTalkingStarted",
            Event::ChannelTalkingFinished(_) => "ChannelTalkingFinished",
            Event::ChannelHold(_) => "ChannelHold",
            Event::ChannelUnhold(_) => "ChannelUnhold",
            Event::ContactStatusChange(_) => "ContactStatusChange",
            Event::EndpointStateChange(_) => "EndpointStateChange",
            Event::Dial(_) => "Dial",
            Event::StasisEnd(_) => "StasisEnd",
            Event::StasisStart(_) => "StasisStart",
            Event::TextMessageReceived(_) => "TextMessageReceived",
            Event::ChannelConnectedLine(_) => "ChannelConnectedLine",
            Event::PeerStatusChange(_) => "PeerStatusChange",
            Event::ChannelTransfer(_) => "ChannelTransfer",
            Event::RestResponse(_) => "RESTResponse",
            Event::CallBroadcast(_) => "CallBroadcast",
            Event::CallClaimed(_) => "CallClaimed",
        }
    }
}

/// `DeviceStateChanged`: Notification that a device state has changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct DeviceStateChanged {
    /// Device state object.
    pub device_state: DeviceState,
}

/// `PlaybackStarted`: Event showing the start of a media playback operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct PlaybackStarted {
    /// Playback control object.
    pub playback: Playback,
}

/// `PlaybackContinuing`: Event showing the continuation of a media playback operation from one media URI to the next in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct PlaybackContinuing {
    /// Playback control object.
    pub playback: Playback,
}

/// `PlaybackFinished`: Event showing the completion of a media playback operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct PlaybackFinished {
    /// Playback control object.
    pub playback: Playback,
}

/// `RecordingStarted`: Event showing the start of a recording operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct RecordingStarted {
    /// Recording control object.
    pub recording: LiveRecording,
}

/// `RecordingFinished`: Event showing the completion of a recording operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct RecordingFinished {
    /// Recording control object.
    pub recording: LiveRecording,
}

/// `RecordingFailed`: Event showing failure of a recording operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct RecordingFailed {
    /// Recording control object.
    pub recording: LiveRecording,
}

/// `ApplicationMoveFailed`: Notification that trying to move a channel to another Stasis application failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ApplicationMoveFailed {
    /// See the model.
    pub channel: Channel,
    /// See the model.
    pub destination: String,
    /// Arguments to the application.
    pub args: Vec<String>,
}

/// `ApplicationRegistered`: Notification that a Stasis app has been registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ApplicationRegistered {}

/// `ApplicationUnregistered`: Notification that a Stasis app has been unregistered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ApplicationUnregistered {}

/// `ApplicationReplaced`: Notification that another WebSocket has taken over for an application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ApplicationReplaced {}

/// `BridgeCreated`: Notification that a bridge has been created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct BridgeCreated {
    /// See the model.
    pub bridge: Bridge,
}

/// `BridgeDestroyed`: Notification that a bridge has been destroyed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct BridgeDestroyed {
    /// See the model.
    pub bridge: Bridge,
}

/// `BridgeMerged`: Notification that one bridge has merged into another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct BridgeMerged {
    /// See the model.
    pub bridge: Bridge,
    /// See the model.
    pub bridge_from: Bridge,
}

/// `BridgeBlindTransfer`: Notification that a blind transfer has occurred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct BridgeBlindTransfer {
    /// The channel performing the blind transfer.
    pub channel: Channel,
    /// The channel that is replacing transferer when the transferee(s) can not be transferred directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_channel: Option<Channel>,
    /// The channel that is being transferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferee: Option<Channel>,
    /// The extension transferred to.
    pub exten: String,
    /// The context transferred to.
    pub context: String,
    /// The result of the transfer attempt.
    pub result: String,
    /// Whether the transfer was externally initiated or not.
    pub is_external: bool,
    /// The bridge being transferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<Bridge>,
}

/// `BridgeAttendedTransfer`: Notification that an attended transfer has occurred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct BridgeAttendedTransfer {
    /// First leg of the transferer.
    pub transferer_first_leg: Channel,
    /// Second leg of the transferer.
    pub transferer_second_leg: Channel,
    /// The channel that is replacing transferer_first_leg in the swap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_channel: Option<Channel>,
    /// The channel that is being transferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferee: Option<Channel>,
    /// The channel that is being transferred to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_target: Option<Channel>,
    /// The result of the transfer attempt.
    pub result: String,
    /// Whether the transfer was externally initiated or not.
    pub is_external: bool,
    /// Bridge the transferer first leg is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferer_first_leg_bridge: Option<Bridge>,
    /// Bridge the transferer second leg is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferer_second_leg_bridge: Option<Bridge>,
    /// How the transfer was accomplished.
    pub destination_type: String,
    /// Bridge that survived the merge result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_bridge: Option<String>,
    /// Application that has been transferred into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_application: Option<String>,
    /// First leg of a link transfer result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_link_first_leg: Option<Channel>,
    /// Second leg of a link transfer result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_link_second_leg: Option<Channel>,
    /// Transferer channel that survived the threeway result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_threeway_channel: Option<Channel>,
    /// Bridge that survived the threeway result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_threeway_bridge: Option<Bridge>,
}

/// `BridgeVideoSourceChanged`: Notification that the source of video in a bridge has changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct BridgeVideoSourceChanged {
    /// See the model.
    pub bridge: Bridge,
    /// See the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_video_source_id: Option<String>,
}

/// `ChannelCreated`: Notification that a channel has been created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelCreated {
    /// See the model.
    pub channel: Channel,
}

/// `ChannelDestroyed`: Notification that a channel has been destroyed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelDestroyed {
    /// Integer representation of the cause of the hangup.
    pub cause: i64,
    /// Text representation of the cause of the hangup.
    pub cause_txt: String,
    /// Integer representation of the technology-specific off-nominal cause of the hangup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tech_cause: Option<i64>,
    /// See the model.
    pub channel: Channel,
}

/// `ChannelEnteredBridge`: Notification that a channel has entered a bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelEnteredBridge {
    /// See the model.
    pub bridge: Bridge,
    /// See the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

/// `ChannelLeftBridge`: Notification that a channel has left a bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelLeftBridge {
    /// See the model.
    pub bridge: Bridge,
    /// See the model.
    pub channel: Channel,
}

/// `ChannelStateChange`: Notification of a channel's state change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelStateChange {
    /// See the model.
    pub channel: Channel,
}

/// `ChannelDtmfReceived`: DTMF received on a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelDtmfReceived {
    /// DTMF digit received (0-9, A-E, # or *).
    pub digit: String,
    /// Number of milliseconds DTMF was received.
    pub duration_ms: i64,
    /// The channel on which DTMF was received.
    pub channel: Channel,
}

/// `ChannelDialplan`: Channel changed location in the dialplan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelDialplan {
    /// The channel that changed dialplan location.
    pub channel: Channel,
    /// The application about to be executed.
    pub dialplan_app: String,
    /// The data to be passed to the application.
    pub dialplan_app_data: String,
}

/// `ChannelCallerId`: Channel changed Caller ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelCallerId {
    /// The integer representation of the Caller Presentation value.
    pub caller_presentation: i64,
    /// The text representation of the Caller Presentation value.
    pub caller_presentation_txt: String,
    /// The channel that changed Caller ID.
    pub channel: Channel,
}

/// `ChannelUserevent`: User-generated event with additional user-defined fields in the object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelUserevent {
    /// The name of the user event.
    pub eventname: String,
    /// A channel that is signaled with the user event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// A bridge that is signaled with the user event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<Bridge>,
    /// A endpoint that is signaled with the user event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
    /// Custom Userevent data.
    pub userevent: Map<String, Value>,
}

/// `ChannelHangupRequest`: A hangup was requested on the channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelHangupRequest {
    /// Integer representation of the cause of the hangup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<i64>,
    /// Integer representation of the technology-specific off-nominal cause of the hangup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tech_cause: Option<i64>,
    /// Whether the hangup request was a soft hangup request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft: Option<bool>,
    /// The channel on which the hangup was requested.
    pub channel: Channel,
}

/// `ChannelVarset`: Channel variable changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelVarset {
    /// The variable that changed.
    pub variable: String,
    /// The new value of the variable.
    pub value: String,
    /// The channel on which the variable was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

/// `ChannelToneDetected`: Tone was detected on the channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelToneDetected {
    /// The channel the tone was detected on.
    pub channel: Channel,
}

/// `ChannelTalkingStarted`: Talking was detected on the channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelTalkingStarted {
    /// The channel on which talking started.
    pub channel: Channel,
}

/// `ChannelTalkingFinished`: Talking is no longer detected on the channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelTalkingFinished {
    /// The channel on which talking completed.
    pub channel: Channel,
    /// The length of time, in milliseconds, that talking was detected on the channel.
    pub duration: i64,
}

/// `ChannelHold`: A channel initiated a media hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelHold {
    /// The channel that initiated the hold event.
    pub channel: Channel,
    /// The music on hold class that the initiator requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub musicclass: Option<String>,
}

/// `ChannelUnhold`: A channel initiated a media unhold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelUnhold {
    /// The channel that initiated the unhold event.
    pub channel: Channel,
}

/// `ContactStatusChange`: The state of a contact on an endpoint has changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ContactStatusChange {
    /// See the model.
    pub endpoint: Endpoint,
    /// See the model.
    pub contact_info: ContactInfo,
}

/// `EndpointStateChange`: Endpoint state changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct EndpointStateChange {
    /// See the model.
    pub endpoint: Endpoint,
}

/// `Dial`: Dialing state has changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Dial {
    /// The calling channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<Channel>,
    /// The dialed channel.
    pub peer: Channel,
    /// Forwarding target requested by the original dialed channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward: Option<String>,
    /// Channel that the caller has been forwarded to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<Channel>,
    /// The dial string for calling the peer channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialstring: Option<String>,
    /// Current status of the dialing attempt to the peer.
    pub dialstatus: String,
}

/// `StasisEnd`: Notification that a channel has left a Stasis application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct StasisEnd {
    /// See the model.
    pub channel: Channel,
}

/// `StasisStart`: Notification that a channel has entered a Stasis application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct StasisStart {
    /// Arguments to the application.
    pub args: Vec<String>,
    /// See the model.
    pub channel: Channel,
    /// See the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_channel: Option<Channel>,
}

/// `TextMessageReceived`: A text message was received from an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct TextMessageReceived {
    /// See the model.
    pub message: TextMessage,
    /// See the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
}

/// `ChannelConnectedLine`: Channel changed Connected Line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelConnectedLine {
    /// The channel whose connected line has changed.
    pub channel: Channel,
}

/// `PeerStatusChange`: The state of a peer associated with an endpoint has changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct PeerStatusChange {
    /// See the model.
    pub endpoint: Endpoint,
    /// See the model.
    pub peer: Peer,
}

/// `ChannelTransfer`: transfer on a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ChannelTransfer {
    /// Transfer State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Refer-To information with optionally both affected channels.
    pub refer_to: ReferTo,
    /// Referred-By SIP Header according rfc3892.
    pub referred_by: ReferredBy,
}

/// `RESTResponse`: REST over Websocket Response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct RestResponse {
    /// Opaque transaction id.  Will be whatever was specified on the original request.
    pub transaction_id: String,
    /// Opaque request id.  Will be whatever was specified on the original request.
    pub request_id: String,
    /// HTTP status code.
    pub status_code: i64,
    /// HTTP reason phrase.
    pub reason_phrase: String,
    /// Original request resource URI.
    pub uri: String,
    /// The Content-Type of the message body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Response message body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_body: Option<String>,
}

/// `CallBroadcast`: Notification that a channel is being broadcast to ARI applications for claiming.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct CallBroadcast {
    /// The channel being broadcast.
    pub channel: Channel,
    /// The caller ID number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// The called number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called: Option<String>,
}

/// `CallClaimed`: Notification that a broadcast channel has been successfully claimed by an ARI application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct CallClaimed {
    /// The channel that was claimed.
    pub channel: Channel,
    /// The name of the ARI application that claimed the channel.
    pub winner_app: String,
}
