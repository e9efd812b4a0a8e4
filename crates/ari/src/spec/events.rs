//! The `events` api-doc of the route table: websocket resource, as Asterisk 22 declares them.

use super::{error, param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, OPERATION};

/// `/api-docs/events.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "events",
    description: "WebSocket resource",
    swagger_version: "1.2",
    since: &["12.0.0"],
    apis: &[
        Api {
            path: "/events",
            description: Some("Events from Asterisk to applications"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "eventWebsocket",
                    summary: "WebSocket connection for events.",
                    response_class: "Message",
                    since: &["12.0.0"],
                    websocket_protocol: Some("ari"),
                    params: &[
                        param("app", ParamType::Query, DataType::String, "Applications to subscribe to.").required().multiple(),
                        param("subscribeAll", ParamType::Query, DataType::Boolean, "Subscribe to all Asterisk events. If provided, the applications listed will be subscribed to all events, effectively disabling the application specific subscriptions. Default is 'false'."),
                    ],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/events/user/{eventName}",
            description: Some("Stasis application user events"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "userEvent",
                    summary: "Generate a user event.",
                    response_class: "void",
                    since: &["12.3.0"],
                    params: &[
                        param("eventName", ParamType::Path, DataType::String, "Event name").required(),
                        param("application", ParamType::Query, DataType::String, "The name of the application that will receive this event").required(),
                        param("source", ParamType::Query, DataType::String, "URI for event source (channel:{channelId}, bridge:{bridgeId}, endpoint:{tech}/{resource}, deviceState:{deviceName}").multiple(),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds custom key/value pairs to add to the user event. Ex. { \"variables\": { \"key\": \"value\" } }"),
                    ],
                    errors: &[error(404, "Application does not exist."), error(422, "Event source not found."), error(400, "Invalid even tsource URI or userevent data.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/events/claim",
            description: Some("Broadcast channel claim operations"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "claimChannel",
                    summary: "Claim a broadcast channel for this application.",
                    notes: Some("Atomically claims a channel that is in broadcast state. Only the first claim succeeds."),
                    response_class: "void",
                    since: &["20.17.0", "22.7.0", "23.1.0"],
                    params: &[
                        param("channelId", ParamType::Query, DataType::String, "The ID of the channel to claim").required(),
                        param("application", ParamType::Query, DataType::String, "The name of the application claiming the channel").required(),
                    ],
                    errors: &[error(404, "Channel not found or not in broadcast state."), error(409, "Channel has already been claimed by another application.")],
                    ..OPERATION
                },
            ],
        },
    ],
    models: &[
        Model {
            id: "Message",
            description: "Base type for errors and events",
            discriminator: Some("type"),
            sub_types: &["MissingParams", "Event"],
            properties: &[
                prop("type", "string", Some("Indicates the type of this message.")).required(),
                prop("asterisk_id", "string", Some("The unique ID for the Asterisk instance that raised this event.")),
            ],
        },
        Model {
            id: "MissingParams",
            description: "Error event sent when required params are missing.",
            properties: &[
                prop("params", "List[string]", Some("A list of the missing parameters")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "Event",
            description: "Base type for asynchronous events from Asterisk.",
            sub_types: &["DeviceStateChanged", "PlaybackStarted", "PlaybackContinuing", "PlaybackFinished", "RecordingStarted", "RecordingFinished", "RecordingFailed", "ApplicationMoveFailed", "ApplicationRegistered", "ApplicationUnregistered", "ApplicationReplaced", "BridgeCreated", "BridgeDestroyed", "BridgeMerged", "BridgeBlindTransfer", "BridgeAttendedTransfer", "BridgeVideoSourceChanged", "ChannelCreated", "ChannelDestroyed", "ChannelEnteredBridge", "ChannelLeftBridge", "ChannelStateChange", "ChannelDtmfReceived", "ChannelDialplan", "ChannelCallerId", "ChannelUserevent", "ChannelHangupRequest", "ChannelVarset", "ChannelToneDetected", "ChannelTalkingStarted", "ChannelTalkingFinished", "ChannelHold", "ChannelUnhold", "ContactStatusChange", "EndpointStateChange", "Dial", "StasisEnd", "StasisStart", "TextMessageReceived", "ChannelConnectedLine", "PeerStatusChange", "ChannelTransfer", "RESTResponse", "CallBroadcast", "CallClaimed"],
            properties: &[
                prop("application", "string", Some("Name of the application receiving the event.")).required(),
                prop("timestamp", "Date", Some("Time at which this event was created.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ContactInfo",
            description: "Detailed information about a contact on an endpoint.",
            properties: &[
                prop("uri", "string", Some("The location of the contact.")).required(),
                prop("contact_status", "string", Some("The current status of the contact.")).required().values(&["Unreachable", "Reachable", "Unknown", "NonQualified", "Removed"]),
                prop("aor", "string", Some("The Address of Record this contact belongs to.")).required(),
                prop("roundtrip_usec", "string", Some("Current round trip time, in microseconds, for the contact.")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "Peer",
            description: "Detailed information about a remote peer that communicates with Asterisk.",
            properties: &[
                prop("peer_status", "string", Some("The current state of the peer. Note that the values of the status are dependent on the underlying peer technology.")).required(),
                prop("cause", "string", Some("An optional reason associated with the change in peer_status.")),
                prop("address", "string", Some("The IP address of the peer.")),
                prop("port", "string", Some("The port of the peer.")),
                prop("time", "string", Some("The last known time the peer was contacted.")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "DeviceStateChanged",
            description: "Notification that a device state has changed.",
            properties: &[
                prop("device_state", "DeviceState", Some("Device state object")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "PlaybackStarted",
            description: "Event showing the start of a media playback operation.",
            properties: &[
                prop("playback", "Playback", Some("Playback control object")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "PlaybackContinuing",
            description: "Event showing the continuation of a media playback operation from one media URI to the next in the list.",
            properties: &[
                prop("playback", "Playback", Some("Playback control object")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "PlaybackFinished",
            description: "Event showing the completion of a media playback operation.",
            properties: &[
                prop("playback", "Playback", Some("Playback control object")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "RecordingStarted",
            description: "Event showing the start of a recording operation.",
            properties: &[
                prop("recording", "LiveRecording", Some("Recording control object")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "RecordingFinished",
            description: "Event showing the completion of a recording operation.",
            properties: &[
                prop("recording", "LiveRecording", Some("Recording control object")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "RecordingFailed",
            description: "Event showing failure of a recording operation.",
            properties: &[
                prop("recording", "LiveRecording", Some("Recording control object")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ApplicationMoveFailed",
            description: "Notification that trying to move a channel to another Stasis application failed.",
            properties: &[
                prop("channel", "Channel", None).required(),
                prop("destination", "string", None).required(),
                prop("args", "List[string]", Some("Arguments to the application")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ApplicationRegistered",
            description: "Notification that a Stasis app has been registered.",
            properties: &[
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ApplicationUnregistered",
            description: "Notification that a Stasis app has been unregistered.",
            properties: &[
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ApplicationReplaced",
            description: "Notification that another WebSocket has taken over for an application.\n\nAn application may only be subscribed to by a single WebSocket at a time. If multiple WebSockets attempt to subscribe to the same application, the newer WebSocket wins, and the older one receives this event.",
            properties: &[
            ],
            ..Model::EMPTY
        },
        Model {
            id: "BridgeCreated",
            description: "Notification that a bridge has been created.",
            properties: &[
                prop("bridge", "Bridge", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "BridgeDestroyed",
            description: "Notification that a bridge has been destroyed.",
            properties: &[
                prop("bridge", "Bridge", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "BridgeMerged",
            description: "Notification that one bridge has merged into another.",
            properties: &[
                prop("bridge", "Bridge", None).required(),
                prop("bridge_from", "Bridge", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "BridgeVideoSourceChanged",
            description: "Notification that the source of video in a bridge has changed.",
            properties: &[
                prop("bridge", "Bridge", None).required(),
                prop("old_video_source_id", "string", None),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "BridgeBlindTransfer",
            description: "Notification that a blind transfer has occurred.",
            properties: &[
                prop("channel", "Channel", Some("The channel performing the blind transfer")).required(),
                prop("replace_channel", "Channel", Some("The channel that is replacing transferer when the transferee(s) can not be transferred directly")),
                prop("transferee", "Channel", Some("The channel that is being transferred")),
                prop("exten", "string", Some("The extension transferred to")).required(),
                prop("context", "string", Some("The context transferred to")).required(),
                prop("result", "string", Some("The result of the transfer attempt")).required(),
                prop("is_external", "boolean", Some("Whether the transfer was externally initiated or not")).required(),
                prop("bridge", "Bridge", Some("The bridge being transferred")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "BridgeAttendedTransfer",
            description: "Notification that an attended transfer has occurred.",
            properties: &[
                prop("transferer_first_leg", "Channel", Some("First leg of the transferer")).required(),
                prop("transferer_second_leg", "Channel", Some("Second leg of the transferer")).required(),
                prop("replace_channel", "Channel", Some("The channel that is replacing transferer_first_leg in the swap")),
                prop("transferee", "Channel", Some("The channel that is being transferred")),
                prop("transfer_target", "Channel", Some("The channel that is being transferred to")),
                prop("result", "string", Some("The result of the transfer attempt")).required(),
                prop("is_external", "boolean", Some("Whether the transfer was externally initiated or not")).required(),
                prop("transferer_first_leg_bridge", "Bridge", Some("Bridge the transferer first leg is in")),
                prop("transferer_second_leg_bridge", "Bridge", Some("Bridge the transferer second leg is in")),
                prop("destination_type", "string", Some("How the transfer was accomplished")).required(),
                prop("destination_bridge", "string", Some("Bridge that survived the merge result")),
                prop("destination_application", "string", Some("Application that has been transferred into")),
                prop("destination_link_first_leg", "Channel", Some("First leg of a link transfer result")),
                prop("destination_link_second_leg", "Channel", Some("Second leg of a link transfer result")),
                prop("destination_threeway_channel", "Channel", Some("Transferer channel that survived the threeway result")),
                prop("destination_threeway_bridge", "Bridge", Some("Bridge that survived the threeway result")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelCreated",
            description: "Notification that a channel has been created.",
            properties: &[
                prop("channel", "Channel", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelDestroyed",
            description: "Notification that a channel has been destroyed.",
            properties: &[
                prop("cause", "int", Some("Integer representation of the cause of the hangup")).required(),
                prop("cause_txt", "string", Some("Text representation of the cause of the hangup")).required(),
                prop("tech_cause", "int", Some("Integer representation of the technology-specific off-nominal cause of the hangup.")),
                prop("channel", "Channel", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelEnteredBridge",
            description: "Notification that a channel has entered a bridge.",
            properties: &[
                prop("bridge", "Bridge", None).required(),
                prop("channel", "Channel", None),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelLeftBridge",
            description: "Notification that a channel has left a bridge.",
            properties: &[
                prop("bridge", "Bridge", None).required(),
                prop("channel", "Channel", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelStateChange",
            description: "Notification of a channel's state change.",
            properties: &[
                prop("channel", "Channel", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelDtmfReceived",
            description: "DTMF received on a channel.\n\nThis event is sent when the DTMF ends. There is no notification about the start of DTMF",
            properties: &[
                prop("digit", "string", Some("DTMF digit received (0-9, A-E, # or *)")).required(),
                prop("duration_ms", "int", Some("Number of milliseconds DTMF was received")).required(),
                prop("channel", "Channel", Some("The channel on which DTMF was received")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelDialplan",
            description: "Channel changed location in the dialplan.",
            properties: &[
                prop("channel", "Channel", Some("The channel that changed dialplan location.")).required(),
                prop("dialplan_app", "string", Some("The application about to be executed.")).required(),
                prop("dialplan_app_data", "string", Some("The data to be passed to the application.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelCallerId",
            description: "Channel changed Caller ID.",
            properties: &[
                prop("caller_presentation", "int", Some("The integer representation of the Caller Presentation value.")).required(),
                prop("caller_presentation_txt", "string", Some("The text representation of the Caller Presentation value.")).required(),
                prop("channel", "Channel", Some("The channel that changed Caller ID.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelUserevent",
            description: "User-generated event with additional user-defined fields in the object.",
            properties: &[
                prop("eventname", "string", Some("The name of the user event.")).required(),
                prop("channel", "Channel", Some("A channel that is signaled with the user event.")),
                prop("bridge", "Bridge", Some("A bridge that is signaled with the user event.")),
                prop("endpoint", "Endpoint", Some("A endpoint that is signaled with the user event.")),
                prop("userevent", "object", Some("Custom Userevent data")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelHangupRequest",
            description: "A hangup was requested on the channel.",
            properties: &[
                prop("cause", "int", Some("Integer representation of the cause of the hangup.")),
                prop("tech_cause", "int", Some("Integer representation of the technology-specific off-nominal cause of the hangup.")),
                prop("soft", "boolean", Some("Whether the hangup request was a soft hangup request.")),
                prop("channel", "Channel", Some("The channel on which the hangup was requested.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelVarset",
            description: "Channel variable changed.",
            properties: &[
                prop("variable", "string", Some("The variable that changed.")).required(),
                prop("value", "string", Some("The new value of the variable.")).required(),
                prop("channel", "Channel", Some("The channel on which the variable was set.\n\nIf missing, the variable is a global variable.")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelHold",
            description: "A channel initiated a media hold.",
            properties: &[
                prop("channel", "Channel", Some("The channel that initiated the hold event.")).required(),
                prop("musicclass", "string", Some("The music on hold class that the initiator requested.")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelUnhold",
            description: "A channel initiated a media unhold.",
            properties: &[
                prop("channel", "Channel", Some("The channel that initiated the unhold event.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelToneDetected",
            description: "Tone was detected on the channel.",
            properties: &[
                prop("channel", "Channel", Some("The channel the tone was detected on.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelTalkingStarted",
            description: "Talking was detected on the channel.",
            properties: &[
                prop("channel", "Channel", Some("The channel on which talking started.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelTalkingFinished",
            description: "Talking is no longer detected on the channel.",
            properties: &[
                prop("channel", "Channel", Some("The channel on which talking completed.")).required(),
                prop("duration", "int", Some("The length of time, in milliseconds, that talking was detected on the channel")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ContactStatusChange",
            description: "The state of a contact on an endpoint has changed.",
            properties: &[
                prop("endpoint", "Endpoint", None).required(),
                prop("contact_info", "ContactInfo", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "PeerStatusChange",
            description: "The state of a peer associated with an endpoint has changed.",
            properties: &[
                prop("endpoint", "Endpoint", None).required(),
                prop("peer", "Peer", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "EndpointStateChange",
            description: "Endpoint state changed.",
            properties: &[
                prop("endpoint", "Endpoint", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "Dial",
            description: "Dialing state has changed.",
            properties: &[
                prop("caller", "Channel", Some("The calling channel.")),
                prop("peer", "Channel", Some("The dialed channel.")).required(),
                prop("forward", "string", Some("Forwarding target requested by the original dialed channel.")),
                prop("forwarded", "Channel", Some("Channel that the caller has been forwarded to.")),
                prop("dialstring", "string", Some("The dial string for calling the peer channel.")),
                prop("dialstatus", "string", Some("Current status of the dialing attempt to the peer.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "StasisEnd",
            description: "Notification that a channel has left a Stasis application.",
            properties: &[
                prop("channel", "Channel", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "StasisStart",
            description: "Notification that a channel has entered a Stasis application.",
            properties: &[
                prop("args", "List[string]", Some("Arguments to the application")).required(),
                prop("channel", "Channel", None).required(),
                prop("replace_channel", "Channel", None),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "TextMessageReceived",
            description: "A text message was received from an endpoint.",
            properties: &[
                prop("message", "TextMessage", None).required(),
                prop("endpoint", "Endpoint", None),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelConnectedLine",
            description: "Channel changed Connected Line.",
            properties: &[
                prop("channel", "Channel", Some("The channel whose connected line has changed.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ChannelTransfer",
            description: "transfer on a channel.",
            properties: &[
                prop("state", "string", Some("Transfer State")),
                prop("refer_to", "ReferTo", Some("Refer-To information with optionally both affected channels")).required(),
                prop("referred_by", "ReferredBy", Some("Referred-By SIP Header according rfc3892")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ReferTo",
            description: "transfer destination requested by transferee",
            properties: &[
                prop("requested_destination", "RequiredDestination", None).required(),
                prop("destination_channel", "Channel", Some("The Channel Object, that is to be replaced")),
                prop("connected_channel", "Channel", Some("Channel, connected to the to be replaced channel")),
                prop("bridge", "Bridge", Some("Bridge connecting both destination channels")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ReferredBy",
            description: "transfer destination requested by transferee",
            properties: &[
                prop("source_channel", "Channel", Some("The channel on which the refer was received")).required(),
                prop("connected_channel", "Channel", Some("Channel, Connected to the channel, receiving the transfer request on.")),
                prop("bridge", "Bridge", Some("Bridge connecting both Channels")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "RequiredDestination",
            description: "Information about the requested destination",
            properties: &[
                prop("protocol_id", "string", Some("the requested protocol-id by the referee in case of SIP channel, this is a SIP Call ID, Mutually exclusive to destination")),
                prop("destination", "string", Some("Destination User Part. Only for Blind transfer. Mutually exclusive to protocol_id")),
                prop("additional_protocol_params", "List[AdditionalParam]", Some("List of additional protocol specific information")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "AdditionalParam",
            description: "Protocol specific additional parameter",
            properties: &[
                prop("parameter_name", "string", Some("Name of the parameter")).required(),
                prop("parameter_value", "string", Some("Value of the parameter")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "RESTHeader",
            description: "REST over Websocket header",
            properties: &[
                prop("name", "string", Some("Header name")).required(),
                prop("value", "string", Some("Header value")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "RESTQueryStringParameter",
            description: "REST over Websocket Query String Parameter",
            properties: &[
                prop("name", "string", Some("Parameter name")).required(),
                prop("value", "string", Some("Parameter value")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "RESTRequest",
            description: "REST over Websocket Request.",
            properties: &[
                prop("type", "string", Some("Message type.  Must be 'RESTRequest'")).required(),
                prop("transaction_id", "string", Some("Opaque transaction id.  Can be any valid string.  Will be returned in any response to this request.")).required(),
                prop("request_id", "string", Some("Opaque request id.  Can be any valid string.  Will be returned in any response to this request.")).required(),
                prop("method", "string", Some("HTTP method (GET, PUT, POST, DELETE, etc.)")).required(),
                prop("uri", "string", Some("Resource URI with optional query string parameters.")).required(),
                prop("content_type", "string", Some("The Content-Type of the message body.")),
                prop("query_strings", "List[RESTQueryStringParameter]", Some("Request query string parameters.")),
                prop("message_body", "string", Some("Request message body. Only content types application/json and application/x-www-form-urlencoded are supported.")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "RESTResponse",
            description: "REST over Websocket Response.",
            properties: &[
                prop("transaction_id", "string", Some("Opaque transaction id.  Will be whatever was specified on the original request.")).required(),
                prop("request_id", "string", Some("Opaque request id.  Will be whatever was specified on the original request.")).required(),
                prop("status_code", "int", Some("HTTP status code")).required(),
                prop("reason_phrase", "string", Some("HTTP reason phrase")).required(),
                prop("uri", "string", Some("Original request resource URI")).required(),
                prop("content_type", "string", Some("The Content-Type of the message body.")),
                prop("message_body", "string", Some("Response message body")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "CallBroadcast",
            description: "Notification that a channel is being broadcast to ARI applications for claiming.",
            properties: &[
                prop("channel", "Channel", Some("The channel being broadcast.")).required(),
                prop("caller", "string", Some("The caller ID number.")),
                prop("called", "string", Some("The called number.")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "CallClaimed",
            description: "Notification that a broadcast channel has been successfully claimed by an ARI application.",
            properties: &[
                prop("channel", "Channel", Some("The channel that was claimed.")).required(),
                prop("winner_app", "string", Some("The name of the ARI application that claimed the channel.")).required(),
            ],
            ..Model::EMPTY
        },
    ],
};
