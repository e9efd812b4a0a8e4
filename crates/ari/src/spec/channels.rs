//! The `channels` api-doc of the route table: channel resources, as Asterisk 22 declares them.

use super::{
    error, param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, CHANNEL_ID, OPERATION,
    SWAGGER_VERSION,
};

/// `/api-docs/channels.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "channels",
    description: "Channel resources",
    swagger_version: SWAGGER_VERSION,
    since: &["12.0.0"],
    apis: &[
        Api {
            path: "/channels",
            description: Some("Active channels"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "list",
                    summary: "List all active channels in Asterisk.",
                    response_class: "List[Channel]",
                    since: &["12.0.0"],
                    ..OPERATION
                },
                Operation {
                    method: Method::Post,
                    nickname: "originate",
                    summary: "Create a new channel (originate).",
                    notes: Some("The new channel is created immediately and a snapshot of it returned. If a Stasis application is provided it will be automatically subscribed to the originated channel for further events and updates."),
                    response_class: "Channel",
                    since: &["12.0.0"],
                    params: &[
                        param("endpoint", ParamType::Query, DataType::String, "Endpoint to call.").required(),
                        param("extension", ParamType::Query, DataType::String, "The extension to dial after the endpoint answers. Mutually exclusive with 'app'."),
                        param("context", ParamType::Query, DataType::String, "The context to dial after the endpoint answers. If omitted, uses 'default'. Mutually exclusive with 'app'."),
                        param("priority", ParamType::Query, DataType::Long, "The priority to dial after the endpoint answers. If omitted, uses 1. Mutually exclusive with 'app'."),
                        param("label", ParamType::Query, DataType::String, "The label to dial after the endpoint answers. Will supersede 'priority' if provided. Mutually exclusive with 'app'."),
                        param("app", ParamType::Query, DataType::String, "The application that is subscribed to the originated channel. When the channel is answered, it will be passed to this Stasis application. Mutually exclusive with 'context', 'extension', 'priority', and 'label'."),
                        param("appArgs", ParamType::Query, DataType::String, "The application arguments to pass to the Stasis application provided by 'app'. Mutually exclusive with 'context', 'extension', 'priority', and 'label'."),
                        param("callerId", ParamType::Query, DataType::String, "CallerID to use when dialing the endpoint or extension."),
                        param("timeout", ParamType::Query, DataType::Int, "Timeout (in seconds) before giving up dialing, or -1 for no timeout.").default_int(30),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds variable key/value pairs to set on the channel on creation. Each variable value may be either a string or an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in channel events (defaults to false). Other keys in the body object are interpreted as query parameters. Ex. { \"endpoint\": \"SIP/Alice\", \"variables\": { \"CALLERID(name)\": \"Alice\", \"Call_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }"),
                        param("channelId", ParamType::Query, DataType::String, "The unique id to assign the channel on creation."),
                        param("otherChannelId", ParamType::Query, DataType::String, "The unique id to assign the second channel when using local channels."),
                        param("originator", ParamType::Query, DataType::String, "The unique id of the channel which is originating this one."),
                        param("formats", ParamType::Query, DataType::String, "The format name capability list to use if originator is not specified. Ex. \"ulaw,slin16\".  Format names can be found with \"core show codecs\"."),
                    ],
                    errors: &[error(400, "Invalid parameters for originating a channel."), error(409, "Channel with given unique ID already exists.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/create",
            description: Some("Create a channel and place it in a Stasis app, but do not dial the channel yet."),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "create",
                    summary: "Create channel.",
                    response_class: "Channel",
                    since: &["14.0.0"],
                    params: &[
                        param("endpoint", ParamType::Query, DataType::String, "Endpoint for channel communication").required(),
                        param("app", ParamType::Query, DataType::String, "Stasis Application to place channel into").required(),
                        param("appArgs", ParamType::Query, DataType::String, "The application arguments to pass to the Stasis application provided by 'app'. Mutually exclusive with 'context', 'extension', 'priority', and 'label'."),
                        param("channelId", ParamType::Query, DataType::String, "The unique id to assign the channel on creation."),
                        param("otherChannelId", ParamType::Query, DataType::String, "The unique id to assign the second channel when using local channels."),
                        param("originator", ParamType::Query, DataType::String, "Unique ID of the calling channel"),
                        param("formats", ParamType::Query, DataType::String, "The format name capability list to use if originator is not specified. Ex. \"ulaw,slin16\".  Format names can be found with \"core show codecs\"."),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds variable key/value pairs to set on the channel on creation. Each variable value may be either a string or an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in channel events (defaults to false). Other keys in the body object are interpreted as query parameters. Ex. { \"endpoint\": \"SIP/Alice\", \"variables\": { \"CALLERID(name)\": \"Alice\", \"Call_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }"),
                    ],
                    errors: &[error(409, "Channel with given unique ID already exists.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}",
            description: Some("Active channel"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "get",
                    summary: "Channel details.",
                    response_class: "Channel",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Post,
                    nickname: "originateWithId",
                    summary: "Create a new channel (originate with id).",
                    notes: Some("The new channel is created immediately and a snapshot of it returned. If a Stasis application is provided it will be automatically subscribed to the originated channel for further events and updates."),
                    response_class: "Channel",
                    since: &["12.2.0"],
                    params: &[
                        param("channelId", ParamType::Path, DataType::String, "The unique id to assign the channel on creation.").required(),
                        param("endpoint", ParamType::Query, DataType::String, "Endpoint to call.").required(),
                        param("extension", ParamType::Query, DataType::String, "The extension to dial after the endpoint answers. Mutually exclusive with 'app'."),
                        param("context", ParamType::Query, DataType::String, "The context to dial after the endpoint answers. If omitted, uses 'default'. Mutually exclusive with 'app'."),
                        param("priority", ParamType::Query, DataType::Long, "The priority to dial after the endpoint answers. If omitted, uses 1. Mutually exclusive with 'app'."),
                        param("label", ParamType::Query, DataType::String, "The label to dial after the endpoint answers. Will supersede 'priority' if provided. Mutually exclusive with 'app'."),
                        param("app", ParamType::Query, DataType::String, "The application that is subscribed to the originated channel. When the channel is answered, it will be passed to this Stasis application. Mutually exclusive with 'context', 'extension', 'priority', and 'label'."),
                        param("appArgs", ParamType::Query, DataType::String, "The application arguments to pass to the Stasis application provided by 'app'. Mutually exclusive with 'context', 'extension', 'priority', and 'label'."),
                        param("callerId", ParamType::Query, DataType::String, "CallerID to use when dialing the endpoint or extension."),
                        param("timeout", ParamType::Query, DataType::Int, "Timeout (in seconds) before giving up dialing, or -1 for no timeout.").default_int(30),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds variable key/value pairs to set on the channel on creation. Each variable value may be either a string or an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in channel events (defaults to false). Other keys in the body object are interpreted as query parameters. Ex. { \"endpoint\": \"SIP/Alice\", \"variables\": { \"CALLERID(name)\": \"Alice\", \"Call_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }"),
                        param("otherChannelId", ParamType::Query, DataType::String, "The unique id to assign the second channel when using local channels."),
                        param("originator", ParamType::Query, DataType::String, "The unique id of the channel which is originating this one."),
                        param("formats", ParamType::Query, DataType::String, "The format name capability list to use if originator is not specified. Ex. \"ulaw,slin16\".  Format names can be found with \"core show codecs\"."),
                    ],
                    errors: &[error(400, "Invalid parameters for originating a channel."), error(409, "Channel with given unique ID already exists.")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "hangup",
                    summary: "Delete (i.e. hangup) a channel.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("reason_code", ParamType::Query, DataType::String, "The reason code for hanging up the channel for detail use. Mutually exclusive with 'reason'. See detail hangup codes at here. https://docs.asterisk.org/Configuration/Miscellaneous/Hangup-Cause-Mappings/"),
                        param("reason", ParamType::Query, DataType::String, "Reason for hanging up the channel for simple use. Mutually exclusive with 'reason_code'.").values(&["normal", "busy", "congestion", "no_answer", "timeout", "rejected", "unallocated", "normal_unspecified", "number_incomplete", "codec_mismatch", "interworking", "failure", "answered_elsewhere"]),
                    ],
                    errors: &[error(400, "Invalid reason for hangup provided"), error(404, "Channel not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/continue",
            description: Some("Exit application; continue execution in the dialplan"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "continueInDialplan",
                    summary: "Exit application; continue execution in the dialplan.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("context", ParamType::Query, DataType::String, "The context to continue to."),
                        param("extension", ParamType::Query, DataType::String, "The extension to continue to."),
                        param("priority", ParamType::Query, DataType::Int, "The priority to continue to."),
                        param("label", ParamType::Query, DataType::String, "The label to continue to - will supersede 'priority' if both are provided."),
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/move",
            description: Some("Move the channel from one Stasis application to another."),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "move",
                    summary: "Move the channel from one Stasis application to another.",
                    response_class: "void",
                    since: &["13.26.0", "16.3.0"],
                    params: &[
                        CHANNEL_ID,
                        param("app", ParamType::Query, DataType::String, "The channel will be passed to this Stasis application.").required(),
                        param("appArgs", ParamType::Query, DataType::String, "The application arguments to pass to the Stasis application provided by 'app'."),
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/redirect",
            description: Some("Inform the channel that it should redirect itself to a different location. Note that this will almost certainly cause the channel to exit the application."),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "redirect",
                    summary: "Redirect the channel to a different location.",
                    response_class: "void",
                    since: &["13.3.0"],
                    params: &[
                        CHANNEL_ID,
                        param("endpoint", ParamType::Query, DataType::String, "The endpoint to redirect the channel to").required(),
                    ],
                    errors: &[error(400, "Endpoint parameter not provided"), error(404, "Channel or endpoint not found"), error(409, "Channel not in a Stasis application"), error(422, "Endpoint is not the same type as the channel"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/answer",
            description: Some("Answer a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "answer",
                    summary: "Answer a channel.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/ring",
            description: Some("Send a ringing indication to a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "ring",
                    summary: "Indicate ringing to a channel.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "ringStop",
                    summary: "Stop ringing indication on a channel if locally generated.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/progress",
            description: Some("Indicate progress on a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "progress",
                    summary: "Indicate progress on a channel.",
                    response_class: "void",
                    since: &["22.6.0", "21.11.0", "20.16.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/dtmf",
            description: Some("Send DTMF to a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "sendDTMF",
                    summary: "Send provided DTMF to a given channel.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("dtmf", ParamType::Query, DataType::String, "DTMF To send."),
                        param("before", ParamType::Query, DataType::Int, "Amount of time to wait before DTMF digits (specified in milliseconds) start.").default_int(0),
                        param("between", ParamType::Query, DataType::Int, "Amount of time in between DTMF digits (specified in milliseconds).").default_int(100),
                        param("duration", ParamType::Query, DataType::Int, "Length of each DTMF digit (specified in milliseconds).").default_int(100),
                        param("after", ParamType::Query, DataType::Int, "Amount of time to wait after DTMF digits (specified in milliseconds) end.").default_int(0),
                    ],
                    errors: &[error(400, "DTMF is required"), error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/mute",
            description: Some("Mute a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "mute",
                    summary: "Mute a channel.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("direction", ParamType::Query, DataType::String, "Direction in which to mute audio").default_str("both").values(&["both", "in", "out"]),
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "unmute",
                    summary: "Unmute a channel.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("direction", ParamType::Query, DataType::String, "Direction in which to unmute audio").default_str("both").values(&["both", "in", "out"]),
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/hold",
            description: Some("Put a channel on hold"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "hold",
                    summary: "Hold a channel.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "unhold",
                    summary: "Remove a channel from hold.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/moh",
            description: Some("Play music on hold to a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "startMoh",
                    summary: "Play music on hold to a channel.",
                    notes: Some("Using media operations such as /play on a channel playing MOH in this manner will suspend MOH without resuming automatically. If continuing music on hold is desired, the stasis application must reinitiate music on hold."),
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("mohClass", ParamType::Query, DataType::String, "Music on hold class to use"),
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "stopMoh",
                    summary: "Stop playing music on hold to a channel.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/silence",
            description: Some("Play silence to a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "startSilence",
                    summary: "Play silence to a channel.",
                    notes: Some("Using media operations such as /play on a channel playing silence in this manner will suspend silence without resuming automatically."),
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "stopSilence",
                    summary: "Stop playing silence to a channel.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/play",
            description: Some("Play media to a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "play",
                    summary: "Start playback of media.",
                    notes: Some("The media URI may be any of a number of URI's. Currently sound:, recording:, number:, digits:, characters:, and tone: URI's are supported. This operation creates a playback resource that can be used to control the playback of media (pause, rewind, fast forward, etc.)"),
                    response_class: "Playback",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("media", ParamType::Query, DataType::String, "Media URIs to play.").required().multiple(),
                        param("lang", ParamType::Query, DataType::String, "For sounds, selects language for sound."),
                        param("offsetms", ParamType::Query, DataType::Int, "Number of milliseconds to skip before playing. Only applies to the first URI if multiple media URIs are specified."),
                        param("skipms", ParamType::Query, DataType::Int, "Number of milliseconds to skip for forward/reverse operations.").default_int(3000),
                        param("playbackId", ParamType::Query, DataType::String, "Playback ID."),
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/play/{playbackId}",
            description: Some("Play media to a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "playWithId",
                    summary: "Start playback of media and specify the playbackId.",
                    notes: Some("The media URI may be any of a number of URI's. Currently sound:, recording:, number:, digits:, characters:, and tone: URI's are supported. This operation creates a playback resource that can be used to control the playback of media (pause, rewind, fast forward, etc.)"),
                    response_class: "Playback",
                    since: &["12.2.0"],
                    params: &[
                        CHANNEL_ID,
                        param("playbackId", ParamType::Path, DataType::String, "Playback ID.").required(),
                        param("media", ParamType::Query, DataType::String, "Media URIs to play.").required().multiple(),
                        param("lang", ParamType::Query, DataType::String, "For sounds, selects language for sound."),
                        param("offsetms", ParamType::Query, DataType::Int, "Number of milliseconds to skip before playing. Only applies to the first URI if multiple media URIs are specified."),
                        param("skipms", ParamType::Query, DataType::Int, "Number of milliseconds to skip for forward/reverse operations.").default_int(3000),
                    ],
                    errors: &[error(404, "Channel not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/record",
            description: Some("Record audio from a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "record",
                    summary: "Start a recording.",
                    notes: Some("Record audio from a channel. Note that this will not capture audio sent to the channel. The bridge itself has a record feature if that's what you want."),
                    response_class: "LiveRecording",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("name", ParamType::Query, DataType::String, "Recording's filename").required(),
                        param("format", ParamType::Query, DataType::String, "Format to encode audio in").required(),
                        param("maxDurationSeconds", ParamType::Query, DataType::Int, "Maximum duration of the recording, in seconds. 0 for no limit").default_int(0).at_least(0),
                        param("maxSilenceSeconds", ParamType::Query, DataType::Int, "Maximum duration of silence, in seconds. 0 for no limit").default_int(0).at_least(0),
                        param("ifExists", ParamType::Query, DataType::String, "Action to take if a recording with the same name already exists.").default_str("fail").values(&["fail", "overwrite", "append"]),
                        param("beep", ParamType::Query, DataType::Boolean, "Play beep when recording begins").default_bool(false),
                        param("terminateOn", ParamType::Query, DataType::String, "DTMF input to terminate recording").default_str("none").values(&["none", "any", "*", "#"]),
                    ],
                    errors: &[error(400, "Invalid parameters"), error(404, "Channel not found"), error(409, "Channel is not in a Stasis application; the channel is currently bridged with other channels; A recording with the same name already exists on the system and can not be overwritten because it is in progress or ifExists=fail"), error(422, "The format specified is unknown on this system")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/variable",
            description: Some("Variables on a channel"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getChannelVar",
                    summary: "Get the value of a channel variable or function.",
                    response_class: "Variable",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("variable", ParamType::Query, DataType::String, "The channel variable or function to get").required(),
                    ],
                    errors: &[error(400, "Missing variable parameter."), error(404, "Channel or variable not found"), error(409, "Channel not in a Stasis application")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Post,
                    nickname: "setChannelVar",
                    summary: "Set the value of a channel variable or function.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("variable", ParamType::Query, DataType::String, "The channel variable or function to set").required(),
                        param("value", ParamType::Query, DataType::String, "The value to set the variable to"),
                        param("report_events", ParamType::Query, DataType::Boolean, "Whether this variable should be included in channel events. Defaults to false.").default_bool(false),
                    ],
                    errors: &[error(400, "Missing variable parameter."), error(404, "Channel not found"), error(409, "Channel not in a Stasis application")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/variables",
            description: Some("Multiple variables on a channel"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getChannelVars",
                    summary: "Get the value of multiple channel variables or functions.",
                    response_class: "Variables",
                    since: &["20.20.0", "22.10.0", "23.4.0"],
                    params: &[
                        CHANNEL_ID,
                        param("variables", ParamType::Query, DataType::String, "The channel variables or functions to get").required().multiple(),
                    ],
                    errors: &[error(400, "Missing variables parameter."), error(404, "Channel or variable not found"), error(409, "Channel not in a Stasis application")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Post,
                    nickname: "setChannelVars",
                    summary: "Set the values of multiple channel variables or functions.",
                    response_class: "void",
                    since: &["20.20.0", "22.10.0", "23.4.0"],
                    params: &[
                        CHANNEL_ID,
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds variable key/value pairs to set on the channel. Each variable value may be either a string or an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in channel events (defaults to false). Ex. { \"variables\": { \"CALLERID(name)\": \"Alice\", \"Call_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }").required(),
                    ],
                    errors: &[error(400, "Missing variables parameter."), error(404, "Channel not found"), error(409, "Channel not in a Stasis application")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/snoop",
            description: Some("Snoop (spy/whisper) on a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "snoopChannel",
                    summary: "Start snooping.",
                    notes: Some("Snoop (spy/whisper) on a specific channel."),
                    response_class: "Channel",
                    since: &["12.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("spy", ParamType::Query, DataType::String, "Direction of audio to spy on").default_str("none").values(&["none", "both", "out", "in"]),
                        param("whisper", ParamType::Query, DataType::String, "Direction of audio to whisper into").default_str("none").values(&["none", "both", "out", "in"]),
                        param("app", ParamType::Query, DataType::String, "Application the snooping channel is placed into").required(),
                        param("appArgs", ParamType::Query, DataType::String, "The application arguments to pass to the Stasis application"),
                        param("snoopId", ParamType::Query, DataType::String, "Unique ID to assign to snooping channel"),
                    ],
                    errors: &[error(400, "Invalid parameters"), error(404, "Channel not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/snoop/{snoopId}",
            description: Some("Snoop (spy/whisper) on a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "snoopChannelWithId",
                    summary: "Start snooping.",
                    notes: Some("Snoop (spy/whisper) on a specific channel."),
                    response_class: "Channel",
                    since: &["12.2.0"],
                    params: &[
                        CHANNEL_ID,
                        param("snoopId", ParamType::Path, DataType::String, "Unique ID to assign to snooping channel").required(),
                        param("spy", ParamType::Query, DataType::String, "Direction of audio to spy on").default_str("none").values(&["none", "both", "out", "in"]),
                        param("whisper", ParamType::Query, DataType::String, "Direction of audio to whisper into").default_str("none").values(&["none", "both", "out", "in"]),
                        param("app", ParamType::Query, DataType::String, "Application the snooping channel is placed into").required(),
                        param("appArgs", ParamType::Query, DataType::String, "The application arguments to pass to the Stasis application"),
                    ],
                    errors: &[error(400, "Invalid parameters"), error(404, "Channel not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/dial",
            description: Some("Dial a channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "dial",
                    summary: "Dial a created channel.",
                    response_class: "void",
                    since: &["14.0.0"],
                    params: &[
                        CHANNEL_ID,
                        param("caller", ParamType::Query, DataType::String, "Channel ID of caller"),
                        param("timeout", ParamType::Query, DataType::Int, "Dial timeout").default_int(0).at_least(0),
                    ],
                    errors: &[error(404, "Channel cannot be found."), error(409, "Channel cannot be dialed.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/rtp_statistics",
            description: Some("Get RTP statistics information for RTP on a channel"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "rtpstatistics",
                    summary: "RTP stats on a channel.",
                    response_class: "RTPstat",
                    since: &["13.27.0", "16.4.0"],
                    params: &[
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Channel cannot be found.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/externalMedia",
            description: Some("Create a channel to an External Media source/sink."),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "externalMedia",
                    summary: "Start an External Media session.",
                    notes: Some("Create a channel to an External Media source/sink.  The combination of transport and encapsulation will select one of chan_rtp(udp/rtp), chan_audiosocket(tcp/audiosocket) or chan_websocket(websocket/none) channel drivers."),
                    response_class: "Channel",
                    since: &["16.6.0", "17.1.0"],
                    params: &[
                        param("channelId", ParamType::Query, DataType::String, "The unique id to assign the channel on creation."),
                        param("app", ParamType::Query, DataType::String, "Stasis Application to place channel into").required(),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds variable key/value pairs to set on the channel on creation. Each variable value may be either a string or an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in channel events (defaults to false). Other keys in the body object are interpreted as query parameters. Ex. { \"endpoint\": \"SIP/Alice\", \"variables\": { \"CALLERID(name)\": \"Alice\", \"Call_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }"),
                        param("external_host", ParamType::Query, DataType::String, "Hostname/ip:port or websocket_client connection ID of external host.  May be empty for a websocket server connection."),
                        param("encapsulation", ParamType::Query, DataType::String, "Payload encapsulation protocol.  Must be 'none' for the websocket transport.").default_str("rtp").values(&["rtp", "audiosocket", "none"]),
                        param("transport", ParamType::Query, DataType::String, "Transport protocol").default_str("udp").values(&["udp", "tcp", "websocket"]),
                        param("connection_type", ParamType::Query, DataType::String, "Connection type (client/server). 'server' is only valid for the websocket transport.").default_str("client").values(&["client", "server"]),
                        param("format", ParamType::Query, DataType::String, "Format to encode audio in").required(),
                        param("direction", ParamType::Query, DataType::String, "External media direction").default_str("both").values(&["both"]),
                        param("data", ParamType::Query, DataType::String, "An arbitrary data field"),
                        param("transport_data", ParamType::Query, DataType::String, "Transport-specific data. For websocket this is appended to the dialstring."),
                    ],
                    errors: &[error(400, "Invalid parameters"), error(409, "Channel is not in a Stasis application; Channel is already bridged")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/channels/{channelId}/transfer_progress",
            description: Some("Inform the channel that the transfer is in progress."),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "transfer_progress",
                    summary: "Inform the channel about the progress of the attended/blind transfer.",
                    response_class: "void",
                    since: &["22.3.0", "21.8.0", "20.13.0"],
                    params: &[
                        CHANNEL_ID,
                        param("states", ParamType::Query, DataType::String, "The state of the progress").required(),
                    ],
                    errors: &[error(400, "Endpoint parameter not provided"), error(404, "Channel or endpoint not found"), error(409, "Channel not in a Stasis application"), error(412, "Channel in invalid state")],
                    ..OPERATION
                },
            ],
        },
    ],
    models: &[
        Model {
            id: "Dialed",
            description: "Dialed channel information.",
            properties: &[
            ],
            ..Model::EMPTY
        },
        Model {
            id: "DialplanCEP",
            description: "Dialplan location (context/extension/priority)",
            properties: &[
                prop("context", "string", Some("Context in the dialplan")).required(),
                prop("exten", "string", Some("Extension in the dialplan")).required(),
                prop("priority", "long", Some("Priority in the dialplan")).required(),
                prop("app_name", "string", Some("Name of current dialplan application")).required(),
                prop("app_data", "string", Some("Parameter of current dialplan application")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "CallerID",
            description: "Caller identification",
            properties: &[
                prop("name", "string", None).required(),
                prop("number", "string", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "RTPstat",
            description: "A statistics of a RTP.",
            properties: &[
                prop("txcount", "int", Some("Number of packets transmitted.")).required(),
                prop("rxcount", "int", Some("Number of packets received.")).required(),
                prop("txjitter", "double", Some("Jitter on transmitted packets.")),
                prop("rxjitter", "double", Some("Jitter on received packets.")),
                prop("remote_maxjitter", "double", Some("Maximum jitter on remote side.")),
                prop("remote_minjitter", "double", Some("Minimum jitter on remote side.")),
                prop("remote_normdevjitter", "double", Some("Average jitter on remote side.")),
                prop("remote_stdevjitter", "double", Some("Standard deviation jitter on remote side.")),
                prop("local_maxjitter", "double", Some("Maximum jitter on local side.")),
                prop("local_minjitter", "double", Some("Minimum jitter on local side.")),
                prop("local_normdevjitter", "double", Some("Average jitter on local side.")),
                prop("local_stdevjitter", "double", Some("Standard deviation jitter on local side.")),
                prop("txploss", "int", Some("Number of transmitted packets lost.")).required(),
                prop("rxploss", "int", Some("Number of received packets lost.")).required(),
                prop("remote_maxrxploss", "double", Some("Maximum number of packets lost on remote side.")),
                prop("remote_minrxploss", "double", Some("Minimum number of packets lost on remote side.")),
                prop("remote_normdevrxploss", "double", Some("Average number of packets lost on remote side.")),
                prop("remote_stdevrxploss", "double", Some("Standard deviation packets lost on remote side.")),
                prop("local_maxrxploss", "double", Some("Maximum number of packets lost on local side.")),
                prop("local_minrxploss", "double", Some("Minimum number of packets lost on local side.")),
                prop("local_normdevrxploss", "double", Some("Average number of packets lost on local side.")),
                prop("local_stdevrxploss", "double", Some("Standard deviation packets lost on local side.")),
                prop("rtt", "double", Some("Total round trip time.")),
                prop("maxrtt", "double", Some("Maximum round trip time.")),
                prop("minrtt", "double", Some("Minimum round trip time.")),
                prop("normdevrtt", "double", Some("Average round trip time.")),
                prop("stdevrtt", "double", Some("Standard deviation round trip time.")),
                prop("local_ssrc", "int", Some("Our SSRC.")).required(),
                prop("remote_ssrc", "int", Some("Their SSRC.")).required(),
                prop("txoctetcount", "int", Some("Number of octets transmitted.")).required(),
                prop("rxoctetcount", "int", Some("Number of octets received.")).required(),
                prop("channel_uniqueid", "string", Some("The Asterisk channel's unique ID that owns this instance.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "Channel",
            description: "A specific communication connection between Asterisk and an Endpoint.",
            properties: &[
                prop("id", "string", Some("Unique identifier of the channel.\n\nThis is the same as the Uniqueid field in AMI.")).required(),
                prop("protocol_id", "string", Some("Protocol id from underlying channel driver (i.e. Call-ID for chan_pjsip; will be empty if not applicable or not implemented by driver).")).required(),
                prop("name", "string", Some("Name of the channel (i.e. SIP/foo-0000a7e3)")).required(),
                prop("state", "string", None).required().values(&["Down", "Rsrved", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring", "Unknown"]),
                prop("caller", "CallerID", None).required(),
                prop("connected", "CallerID", None).required(),
                prop("accountcode", "string", None).required(),
                prop("dialplan", "DialplanCEP", Some("Current location in the dialplan")).required(),
                prop("creationtime", "Date", Some("Timestamp when channel was created")).required(),
                prop("language", "string", Some("The default spoken language")).required(),
                prop("channelvars", "object", Some("Channel variables")),
                prop("caller_rdnis", "string", Some("The Caller ID RDNIS")),
                prop("tenantid", "string", Some("The Tenant ID for the channel")),
            ],
            ..Model::EMPTY
        },
    ],
};
