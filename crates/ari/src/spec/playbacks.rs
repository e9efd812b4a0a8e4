//! The `playbacks` api-doc of the route table: playback control resources, as Asterisk 22 declares them.

use super::{
    error, param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, OPERATION, SWAGGER_VERSION,
};

/// `/api-docs/playbacks.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "playbacks",
    description: "Playback control resources",
    swagger_version: SWAGGER_VERSION,
    since: &["12.0.0"],
    apis: &[
        Api {
            path: "/playbacks/{playbackId}",
            description: Some("Control object for a playback operation."),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "get",
                    summary: "Get a playback's details.",
                    response_class: "Playback",
                    since: &["12.0.0"],
                    params: &[param("playbackId", ParamType::Path, DataType::String, "Playback's id").required()],
                    errors: &[error(404, "The playback cannot be found")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "stop",
                    summary: "Stop a playback.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[param("playbackId", ParamType::Path, DataType::String, "Playback's id").required()],
                    errors: &[error(404, "The playback cannot be found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/playbacks/{playbackId}/control",
            description: Some("Control object for a playback operation."),
            operations: &[Operation {
                method: Method::Post,
                nickname: "control",
                summary: "Control a playback.",
                response_class: "void",
                since: &["12.0.0"],
                params: &[
                    param("playbackId", ParamType::Path, DataType::String, "Playback's id").required(),
                    param("operation", ParamType::Query, DataType::String, "Operation to perform on the playback.")
                        .required()
                        .values(&["restart", "pause", "unpause", "reverse", "forward"]),
                ],
                errors: &[
                    error(400, "The provided operation parameter was invalid"),
                    error(404, "The playback cannot be found"),
                    error(409, "The operation cannot be performed in the playback's current state"),
                ],
                ..OPERATION
            }],
        },
    ],
    models: &[Model {
        id: "Playback",
        description: "Object representing the playback of media to a channel",
        properties: &[
            prop("id", "string", Some("ID for this playback operation")).required(),
            prop("media_uri", "string", Some("The URI for the media currently being played back.")).required(),
            prop(
                "next_media_uri",
                "string",
                Some("If a list of URIs is being played, the next media URI to be played back."),
            ),
            prop("target_uri", "string", Some("URI for the channel or bridge to play the media on")).required(),
            prop(
                "language",
                "string",
                Some("For media types that support multiple languages, the language requested for playback."),
            ),
            prop("state", "string", Some("Current state of the playback operation.")).required().values(&[
                "queued",
                "playing",
                "continuing",
                "done",
                "failed",
            ]),
        ],
        ..Model::EMPTY
    }],
};
