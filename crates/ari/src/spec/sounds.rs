//! The `sounds` api-doc of the route table: sound resources, as Asterisk 22 declares them.

use super::{param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, OPERATION, SWAGGER_VERSION};

/// `/api-docs/sounds.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "sounds",
    description: "Sound resources",
    swagger_version: SWAGGER_VERSION,
    since: &["12.0.0"],
    apis: &[
        Api {
            path: "/sounds",
            description: Some("Sounds"),
            operations: &[Operation {
                method: Method::Get,
                nickname: "list",
                summary: "List all sounds.",
                response_class: "List[Sound]",
                since: &["12.0.0"],
                params: &[
                    param("lang", ParamType::Query, DataType::String, "Lookup sound for a specific language."),
                    param("format", ParamType::Query, DataType::String, "Lookup sound in a specific format."),
                ],
                ..OPERATION
            }],
        },
        Api {
            path: "/sounds/{soundId}",
            description: Some("Individual sound"),
            operations: &[Operation {
                method: Method::Get,
                nickname: "get",
                summary: "Get a sound's details.",
                response_class: "Sound",
                since: &["12.0.0"],
                params: &[param("soundId", ParamType::Path, DataType::String, "Sound's id").required()],
                ..OPERATION
            }],
        },
    ],
    models: &[
        Model {
            id: "FormatLangPair",
            description: "Identifies the format and language of a sound file",
            properties: &[prop("language", "string", None).required(), prop("format", "string", None).required()],
            ..Model::EMPTY
        },
        Model {
            id: "Sound",
            description: "A media file that may be played back.",
            properties: &[
                prop("id", "string", Some("Sound's identifier.")).required(),
                prop("text", "string", Some("Text description of the sound, usually the words spoken.")),
                prop(
                    "formats",
                    "List[FormatLangPair]",
                    Some("The formats and languages in which this sound is available."),
                )
                .required(),
            ],
            ..Model::EMPTY
        },
    ],
};
