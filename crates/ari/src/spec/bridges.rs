//! The `bridges` api-doc of the route table: bridge resources, as Asterisk 22 declares them.

use super::{
    error, param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, BRIDGE_ID, CHANNEL_ID, OPERATION,
    SWAGGER_VERSION,
};

/// `/api-docs/bridges.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "bridges",
    description: "Bridge resources",
    swagger_version: SWAGGER_VERSION,
    since: &["12.0.0"],
    apis: &[
        Api {
            path: "/bridges",
            description: Some("Active bridges"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "list",
                    summary: "List all active bridges in Asterisk.",
                    response_class: "List[Bridge]",
                    since: &["12.0.0"],
                    ..OPERATION
                },
                Operation {
                    method: Method::Post,
                    nickname: "create",
                    summary: "Create a new bridge.",
                    notes: Some("This bridge persists until it has been shut down, or Asterisk has been shut down."),
                    response_class: "Bridge",
                    since: &["12.0.0"],
                    params: &[
                        param("type", ParamType::Query, DataType::String, "Comma separated list of bridge type attributes (mixing, holding, dtmf_events, proxy_media, video_sfu, video_single, sdp_label)."),
                        param("bridgeId", ParamType::Query, DataType::String, "Unique ID to give to the bridge being created."),
                        param("name", ParamType::Query, DataType::String, "Name to give to the bridge being created."),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds variable key/value pairs to set on the bridge on creation. Each variable is an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in bridge events (defaults to false).   Ex. { \"name\": \"SupportBridge\", \"variables\": {  \"Bridge_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }"),
                    ],
                    errors: &[error(409, "Bridge with the same bridgeId already exists")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}",
            description: Some("Individual bridge"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "createWithId",
                    summary: "Create a new bridge.",
                    notes: Some("This bridge persists until it has been shut down, or Asterisk has been shut down."),
                    response_class: "Bridge",
                    since: &["12.2.0"],
                    params: &[
                        param("type", ParamType::Query, DataType::String, "Comma separated list of bridge type attributes (mixing, holding, dtmf_events, proxy_media, video_sfu, video_single, sdp_label) to set."),
                        param("bridgeId", ParamType::Path, DataType::String, "Unique ID to give to the bridge being created.").required(),
                        param("name", ParamType::Query, DataType::String, "Set the name of the bridge."),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds variable key/value pairs to set on the bridge on creation. Each variable is an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in bridge events (defaults to false).   Ex. { \"name\": \"SupportBridge\", \"variables\": {  \"Bridge_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }"),
                    ],
                    errors: &[error(409, "Bridge with the same bridgeId already exists")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Get,
                    nickname: "get",
                    summary: "Get bridge details.",
                    response_class: "Bridge",
                    since: &["12.0.0"],
                    params: &[
                        BRIDGE_ID,
                    ],
                    errors: &[error(404, "Bridge not found")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "destroy",
                    summary: "Shut down a bridge.",
                    notes: Some("If any channels are in this bridge, they will be removed and resume whatever they were doing beforehand."),
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        BRIDGE_ID,
                    ],
                    errors: &[error(404, "Bridge not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/variable",
            description: Some("Variables on a bridge"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getBridgeVar",
                    summary: "Get the value of a bridge variable or function.",
                    response_class: "Variable",
                    since: &["20.20.0", "22.10.0", "23.4.0"],
                    params: &[
                        BRIDGE_ID,
                        param("variable", ParamType::Query, DataType::String, "The bridge variable or function to get").required(),
                    ],
                    errors: &[error(400, "Missing variable parameter."), error(404, "Bridge or variable not found"), error(409, "Bridge not in a Stasis application")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Post,
                    nickname: "setBridgeVar",
                    summary: "Set the value of a bridge variable or function.",
                    response_class: "void",
                    since: &["20.20.0", "22.10.0", "23.4.0"],
                    params: &[
                        BRIDGE_ID,
                        param("variable", ParamType::Query, DataType::String, "The bridge variable or function to set").required(),
                        param("value", ParamType::Query, DataType::String, "The value to set the variable to"),
                        param("report_events", ParamType::Query, DataType::Boolean, "Whether this variable should be included in bridge events. Defaults to false.").default_bool(false),
                    ],
                    errors: &[error(400, "Missing variable parameter."), error(404, "Bridge not found"), error(409, "Bridge not in a Stasis application")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/variables",
            description: Some("Multiple variables on a bridge"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getBridgeVars",
                    summary: "Get the value of multiple bridge variables or functions.",
                    response_class: "Variables",
                    since: &["20.20.0", "22.10.0", "23.4.0"],
                    params: &[
                        BRIDGE_ID,
                        param("variables", ParamType::Query, DataType::String, "The bridge variables or functions to get").required().multiple(),
                    ],
                    errors: &[error(400, "Missing variables parameter."), error(404, "Bridge or variable not found"), error(409, "Bridge not in a Stasis application")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Post,
                    nickname: "setBridgeVars",
                    summary: "Set the values of multiple bridge variables or functions.",
                    response_class: "void",
                    since: &["20.20.0", "22.10.0", "23.4.0"],
                    params: &[
                        BRIDGE_ID,
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds variable key/value pairs to set on the bridge. Each variable value may be either a string or an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in bridge events (defaults to false). Ex. { \"variables\": { \"Bridge_State\": \"WaitingForAgent\", \"Support_Level\": { \"value\": \"Premium\", \"report_events\": true } } }").required(),
                    ],
                    errors: &[error(400, "Missing variables parameter."), error(404, "Bridge not found"), error(409, "Bridge not in a Stasis application")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/addChannel",
            description: Some("Add a channel to a bridge"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "addChannel",
                    summary: "Add a channel to a bridge.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        BRIDGE_ID,
                        param("channel", ParamType::Query, DataType::String, "Ids of channels to add to bridge").required().multiple(),
                        param("role", ParamType::Query, DataType::String, "Channel's role in the bridge"),
                        param("absorbDTMF", ParamType::Query, DataType::Boolean, "Absorb DTMF coming from this channel, preventing it to pass through to the bridge").default_bool(false),
                        param("mute", ParamType::Query, DataType::Boolean, "Mute audio from this channel, preventing it to pass through to the bridge").default_bool(false),
                        param("inhibitConnectedLineUpdates", ParamType::Query, DataType::Boolean, "Do not present the identity of the newly connected channel to other bridge members").default_bool(false),
                    ],
                    errors: &[error(400, "Channel not found"), error(404, "Bridge not found"), error(409, "Bridge not in Stasis application; Channel currently recording"), error(422, "Channel not in Stasis application")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/removeChannel",
            description: Some("Remove a channel from a bridge"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "removeChannel",
                    summary: "Remove a channel from a bridge.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        BRIDGE_ID,
                        param("channel", ParamType::Query, DataType::String, "Ids of channels to remove from bridge").required().multiple(),
                    ],
                    errors: &[error(400, "Channel not found"), error(404, "Bridge not found"), error(409, "Bridge not in Stasis application"), error(422, "Channel not in this bridge")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/videoSource/{channelId}",
            description: Some("Set a channel as the video source in a multi-party bridge"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "setVideoSource",
                    summary: "Set a channel as the video source in a multi-party mixing bridge. This operation has no effect on bridges with two or fewer participants.",
                    response_class: "void",
                    since: &["13.13.0", "14.2.0"],
                    params: &[
                        BRIDGE_ID,
                        CHANNEL_ID,
                    ],
                    errors: &[error(404, "Bridge or Channel not found"), error(409, "Channel not in Stasis application"), error(422, "Channel not in this Bridge")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/videoSource",
            description: Some("Removes any explicit video source"),
            operations: &[
                Operation {
                    method: Method::Delete,
                    nickname: "clearVideoSource",
                    summary: "Removes any explicit video source in a multi-party mixing bridge. This operation has no effect on bridges with two or fewer participants. When no explicit video source is set, talk detection will be used to determine the active video stream.",
                    response_class: "void",
                    since: &["13.13.0", "14.2.0"],
                    params: &[
                        BRIDGE_ID,
                    ],
                    errors: &[error(404, "Bridge not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/moh",
            description: Some("Play music on hold to a bridge"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "startMoh",
                    summary: "Play music on hold to a bridge or change the MOH class that is playing.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        BRIDGE_ID,
                        param("mohClass", ParamType::Query, DataType::String, "Channel's id"),
                    ],
                    errors: &[error(404, "Bridge not found"), error(409, "Bridge not in Stasis application")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "stopMoh",
                    summary: "Stop playing music on hold to a bridge.",
                    notes: Some("This will only stop music on hold being played via POST bridges/{bridgeId}/moh."),
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        BRIDGE_ID,
                    ],
                    errors: &[error(404, "Bridge not found"), error(409, "Bridge not in Stasis application")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/play",
            description: Some("Play media to the participants of a bridge"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "play",
                    summary: "Start playback of media on a bridge.",
                    notes: Some("The media URI may be any of a number of URI's. Currently sound:, recording:, number:, digits:, characters:, and tone: URI's are supported. This operation creates a playback resource that can be used to control the playback of media (pause, rewind, fast forward, etc.)"),
                    response_class: "Playback",
                    since: &["12.0.0"],
                    params: &[
                        BRIDGE_ID,
                        param("media", ParamType::Query, DataType::String, "Media URIs to play.").required().multiple(),
                        param("announcer_format", ParamType::Query, DataType::String, "Format of the 'Anouncer' channel attached to the bridge. Defaults to the format of the channel in the bridge with the highest sampe rate."),
                        param("lang", ParamType::Query, DataType::String, "For sounds, selects language for sound."),
                        param("offsetms", ParamType::Query, DataType::Int, "Number of milliseconds to skip before playing. Only applies to the first URI if multiple media URIs are specified.").default_int(0).at_least(0),
                        param("skipms", ParamType::Query, DataType::Int, "Number of milliseconds to skip for forward/reverse operations.").default_int(3000).at_least(0),
                        param("playbackId", ParamType::Query, DataType::String, "Playback Id."),
                    ],
                    errors: &[error(404, "Bridge not found"), error(409, "Bridge not in a Stasis application"), error(422, "The format specified is unknown on this system")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/play/{playbackId}",
            description: Some("Play media to a bridge"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "playWithId",
                    summary: "Start playback of media on a bridge.",
                    notes: Some("The media URI may be any of a number of URI's. Currently sound:, recording:, number:, digits:, characters:, and tone: URI's are supported. This operation creates a playback resource that can be used to control the playback of media (pause, rewind, fast forward, etc.)"),
                    response_class: "Playback",
                    since: &["12.3.0"],
                    params: &[
                        BRIDGE_ID,
                        param("playbackId", ParamType::Path, DataType::String, "Playback ID.").required(),
                        param("media", ParamType::Query, DataType::String, "Media URIs to play.").required().multiple(),
                        param("announcer_format", ParamType::Query, DataType::String, "Format of the 'Anouncer' channel attached to the bridge. Defaults to the format of the channel in the bridge with the highest sampe rate."),
                        param("lang", ParamType::Query, DataType::String, "For sounds, selects language for sound."),
                        param("offsetms", ParamType::Query, DataType::Int, "Number of milliseconds to skip before playing. Only applies to the first URI if multiple media URIs are specified.").default_int(0).at_least(0),
                        param("skipms", ParamType::Query, DataType::Int, "Number of milliseconds to skip for forward/reverse operations.").default_int(3000).at_least(0),
                    ],
                    errors: &[error(404, "Bridge not found"), error(409, "Bridge not in a Stasis application"), error(422, "The format specified is unknown on this system")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/bridges/{bridgeId}/record",
            description: Some("Record audio on a bridge"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "record",
                    summary: "Start a recording.",
                    notes: Some("This records the mixed audio from all channels participating in this bridge."),
                    response_class: "LiveRecording",
                    since: &["12.0.0"],
                    params: &[
                        BRIDGE_ID,
                        param("name", ParamType::Query, DataType::String, "Recording's filename").required(),
                        param("format", ParamType::Query, DataType::String, "Format to encode audio in").required(),
                        param("recorder_format", ParamType::Query, DataType::String, "Format of the 'Recorder' channel attached to the bridge. Defaults to the same format as the 'format' parameter."),
                        param("maxDurationSeconds", ParamType::Query, DataType::Int, "Maximum duration of the recording, in seconds. 0 for no limit.").default_int(0).at_least(0),
                        param("maxSilenceSeconds", ParamType::Query, DataType::Int, "Maximum duration of silence, in seconds. 0 for no limit.").default_int(0).at_least(0),
                        param("ifExists", ParamType::Query, DataType::String, "Action to take if a recording with the same name already exists.").default_str("fail").values(&["fail", "overwrite", "append"]),
                        param("beep", ParamType::Query, DataType::Boolean, "Play beep when recording begins").default_bool(false),
                        param("terminateOn", ParamType::Query, DataType::String, "DTMF input to terminate recording.").default_str("none").values(&["none", "any", "*", "#"]),
                    ],
                    errors: &[error(400, "Invalid parameters"), error(404, "Bridge not found"), error(409, "Bridge is not in a Stasis application; A recording with the same name already exists on the system and can not be overwritten because it is in progress or ifExists=fail"), error(422, "The format specified is unknown on this system")],
                    ..OPERATION
                },
            ],
        },
    ],
    models: &[
        Model {
            id: "Bridge",
            description: "The merging of media from one or more channels.\n\nEveryone on the bridge receives the same audio.",
            properties: &[
                prop("id", "string", Some("Unique identifier for this bridge")).required(),
                prop("technology", "string", Some("Name of the current bridging technology")).required(),
                prop("bridge_type", "string", Some("Type of bridge technology")).required().values(&["mixing", "holding"]),
                prop("bridge_class", "string", Some("Bridging class")).required(),
                prop("creator", "string", Some("Entity that created the bridge")).required(),
                prop("name", "string", Some("Name the creator gave the bridge")).required(),
                prop("channels", "List[string]", Some("Ids of channels participating in this bridge")).required(),
                prop("video_mode", "string", Some("The video mode the bridge is using. One of 'none', 'talker', 'sfu', or 'single'.")),
                prop("video_source_id", "string", Some("The ID of the channel that is the source of video in this bridge, if one exists.")),
                prop("creationtime", "Date", Some("Timestamp when bridge was created")).required(),
                prop("bridgevars", "object", Some("Bridge variables")),
            ],
            ..Model::EMPTY
        },
    ],
};
