//! The `recordings` api-doc of the route table: recording resources, as Asterisk 22 declares them.

use super::{
    error, param, prop, Api, DataType, Method, Model, Operation, Param, ParamType, Resource, OPERATION, SWAGGER_VERSION,
};

/// The `recordingName` path parameter of every operation on one recording.
const RECORDING_NAME: Param =
    param("recordingName", ParamType::Path, DataType::String, "The name of the recording").required();

/// `/api-docs/recordings.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "recordings",
    description: "Recording resources",
    swagger_version: SWAGGER_VERSION,
    since: &["12.0.0"],
    apis: &[
        Api {
            path: "/recordings/stored",
            description: Some("Recordings"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "listStored",
                    summary: "List recordings that are complete.",
                    response_class: "List[StoredRecording]",
                    since: &["12.0.0"],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/recordings/stored/{recordingName}",
            description: Some("Individual recording"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getStored",
                    summary: "Get a stored recording's details.",
                    response_class: "StoredRecording",
                    since: &["12.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(404, "Recording not found")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "deleteStored",
                    summary: "Delete a stored recording.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(404, "Recording not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/recordings/stored/{recordingName}/file",
            description: Some("The actual file associated with the stored recording"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getStoredFile",
                    summary: "Get the file associated with the stored recording.",
                    response_class: "binary",
                    since: &["14.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(403, "The recording file could not be opened"), error(404, "Recording not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/recordings/stored/{recordingName}/copy",
            description: Some("Copy an individual recording"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "copyStored",
                    summary: "Copy a stored recording.",
                    response_class: "StoredRecording",
                    since: &["12.5.0"],
                    params: &[
                        param("recordingName", ParamType::Path, DataType::String, "The name of the recording to copy").required(),
                        param("destinationRecordingName", ParamType::Query, DataType::String, "The destination name of the recording").required().missing("Invalid destination recording name"),
                    ],
                    errors: &[error(404, "Recording not found"), error(409, "A recording with the same name already exists on the system")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/recordings/live/{recordingName}",
            description: Some("A recording that is in progress"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getLive",
                    summary: "List live recordings.",
                    response_class: "LiveRecording",
                    since: &["12.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(404, "Recording not found")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "cancel",
                    summary: "Stop a live recording and discard it.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(404, "Recording not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/recordings/live/{recordingName}/stop",
            description: None,
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "stop",
                    summary: "Stop a live recording and store it.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(404, "Recording not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/recordings/live/{recordingName}/pause",
            description: None,
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "pause",
                    summary: "Pause a live recording.",
                    notes: Some("Pausing a recording suspends silence detection, which will be restarted when the recording is unpaused. Paused time is not included in the accounting for maxDurationSeconds."),
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(404, "Recording not found"), error(409, "Recording not in session")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "unpause",
                    summary: "Unpause a live recording.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(404, "Recording not found"), error(409, "Recording not in session")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/recordings/live/{recordingName}/mute",
            description: None,
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "mute",
                    summary: "Mute a live recording.",
                    notes: Some("Muting a recording suspends silence detection, which will be restarted when the recording is unmuted."),
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(404, "Recording not found"), error(409, "Recording not in session")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "unmute",
                    summary: "Unmute a live recording.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        RECORDING_NAME,
                    ],
                    errors: &[error(404, "Recording not found"), error(409, "Recording not in session")],
                    ..OPERATION
                },
            ],
        },
    ],
    models: &[
        Model {
            id: "StoredRecording",
            description: "A past recording that may be played back.",
            properties: &[
                prop("name", "string", None).required(),
                prop("format", "string", None).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "LiveRecording",
            description: "A recording that is in progress",
            properties: &[
                prop("name", "string", Some("Base name for the recording")).required(),
                prop("format", "string", Some("Recording format (wav, gsm, etc.)")).required(),
                prop("target_uri", "string", Some("URI for the channel or bridge being recorded")).required(),
                prop("state", "string", None).required().values(&["queued", "recording", "paused", "done", "failed", "canceled"]),
                prop("duration", "int", Some("Duration in seconds of the recording")),
                prop("talking_duration", "int", Some("Duration of talking, in seconds, detected in the recording. This is only available if the recording was initiated with a non-zero maxSilenceSeconds.")),
                prop("silence_duration", "int", Some("Duration of silence, in seconds, detected in the recording. This is only available if the recording was initiated with a non-zero maxSilenceSeconds.")),
                prop("cause", "string", Some("Cause for recording failure if failed")),
            ],
            ..Model::EMPTY
        },
    ],
};
