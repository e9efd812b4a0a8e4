//! The `endpoints` api-doc of the route table: endpoint resources, as Asterisk 22 declares them.

use super::{
    error, param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, OPERATION, SWAGGER_VERSION,
};

/// `/api-docs/endpoints.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "endpoints",
    description: "Endpoint resources",
    swagger_version: SWAGGER_VERSION,
    since: &["12.0.0"],
    apis: &[
        Api {
            path: "/endpoints",
            description: Some("Asterisk endpoints"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "list",
                    summary: "List all endpoints.",
                    response_class: "List[Endpoint]",
                    since: &["12.0.0"],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/endpoints/sendMessage",
            description: Some("Send a message to some technology URI or endpoint."),
            operations: &[
                Operation {
                    method: Method::Put,
                    nickname: "sendMessage",
                    summary: "Send a message to some technology URI or endpoint.",
                    response_class: "void",
                    since: &["13.0.0"],
                    params: &[
                        param("to", ParamType::Query, DataType::String, "The endpoint resource or technology specific URI to send the message to. Valid resources are pjsip, and xmpp.").required().missing("To must be specified"),
                        param("from", ParamType::Query, DataType::String, "The endpoint resource or technology specific identity to send this message from. Valid resources are pjsip, and xmpp.").required(),
                        param("body", ParamType::Query, DataType::String, "The body of the message"),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds technology specific key/value pairs to append to the message. These can be interpreted and used by the various resource types; for example, pjsip and sip resource types will add the key/value pairs as SIP headers,"),
                    ],
                    errors: &[error(400, "Invalid parameters for sending a message."), error(404, "Endpoint not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/endpoints/refer",
            description: Some("Refer an endpoint or technology URI to some technology URI or endpoint."),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "refer",
                    summary: "Refer an endpoint or technology URI to some technology URI or endpoint.",
                    response_class: "void",
                    since: &["18.20.0", "20.5.0"],
                    params: &[
                        param("to", ParamType::Query, DataType::String, "The endpoint resource or technology specific URI that should be referred to somewhere. Valid resource is pjsip.").required().missing("To must be specified"),
                        param("from", ParamType::Query, DataType::String, "The endpoint resource or technology specific identity to refer from.").required(),
                        param("refer_to", ParamType::Query, DataType::String, "The endpoint resource or technology specific URI to refer to.").required(),
                        param("to_self", ParamType::Query, DataType::Boolean, "If true and \"refer_to\" refers to an Asterisk endpoint, the \"refer_to\" value is set to point to this Asterisk endpoint - so the referee is referred to Asterisk. Otherwise, use the contact URI associated with the endpoint.").default_bool(false),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds technology specific key/value pairs to append to the message. These can be interpreted and used by the various resource types; for example, the pjsip resource type will add the key/value pairs as SIP headers. The \"display_name\" key is used by the PJSIP technology. Its value will be prepended as a display name to the Refer-To URI."),
                    ],
                    errors: &[error(400, "Invalid parameters for referring."), error(404, "Endpoint not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/endpoints/{tech}",
            description: Some("Asterisk endpoints"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "listByTech",
                    summary: "List available endoints for a given endpoint technology.",
                    response_class: "List[Endpoint]",
                    since: &["12.0.0"],
                    params: &[
                        param("tech", ParamType::Path, DataType::String, "Technology of the endpoints (pjsip,iax2,...)").required(),
                    ],
                    errors: &[error(404, "Endpoints not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/endpoints/{tech}/{resource}",
            description: Some("Single endpoint"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "get",
                    summary: "Details for an endpoint.",
                    response_class: "Endpoint",
                    since: &["12.0.0"],
                    params: &[
                        param("tech", ParamType::Path, DataType::String, "Technology of the endpoint").required(),
                        param("resource", ParamType::Path, DataType::String, "ID of the endpoint").required(),
                    ],
                    errors: &[error(400, "Invalid parameters for sending a message."), error(404, "Endpoints not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/endpoints/{tech}/{resource}/sendMessage",
            description: Some("Send a message to some endpoint in a technology."),
            operations: &[
                Operation {
                    method: Method::Put,
                    nickname: "sendMessageToEndpoint",
                    summary: "Send a message to some endpoint in a technology.",
                    response_class: "void",
                    since: &["13.0.0"],
                    params: &[
                        param("tech", ParamType::Path, DataType::String, "Technology of the endpoint").required(),
                        param("resource", ParamType::Path, DataType::String, "ID of the endpoint").required(),
                        param("from", ParamType::Query, DataType::String, "The endpoint resource or technology specific identity to send this message from. Valid resources are pjsip and xmpp.").required(),
                        param("body", ParamType::Query, DataType::String, "The body of the message"),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds technology specific key/value pairs to append to the message. These can be interpreted and used by the various resource types; for example, pjsip and sip resource types will add the key/value pairs as SIP headers,"),
                    ],
                    errors: &[error(400, "Invalid parameters for sending a message."), error(404, "Endpoint not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/endpoints/{tech}/{resource}/refer",
            description: Some("Refer an endpoint in a technology to some technology URI or endpoint.."),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "referToEndpoint",
                    summary: "Refer an endpoint or technology URI to some technology URI or endpoint.",
                    response_class: "void",
                    since: &["18.20.0", "20.5.0"],
                    params: &[
                        param("tech", ParamType::Path, DataType::String, "Technology of the endpoint").required(),
                        param("resource", ParamType::Path, DataType::String, "ID of the endpoint").required(),
                        param("from", ParamType::Query, DataType::String, "The endpoint resource or technology specific identity to refer from.").required(),
                        param("refer_to", ParamType::Query, DataType::String, "The endpoint resource or technology specific URI to refer to.").required(),
                        param("to_self", ParamType::Query, DataType::Boolean, "If true and \"refer_to\" refers to an Asterisk endpoint, the \"refer_to\" value is set to point to this Asterisk endpoint - so the referee is referred to Asterisk. Otherwise, use the contact URI associated with the endpoint.").default_bool(false),
                        param("variables", ParamType::Body, DataType::Containers, "The \"variables\" key in the body object holds technology specific key/value pairs to append to the message. These can be interpreted and used by the various resource types; for example, the pjsip resource type will add the key/value pairs as SIP headers,"),
                    ],
                    errors: &[error(400, "Invalid parameters for referring."), error(404, "Endpoint not found")],
                    ..OPERATION
                },
            ],
        },
    ],
    models: &[
        Model {
            id: "Endpoint",
            description: "An external device that may offer/accept calls to/from Asterisk.\n\nUnlike most resources, which have a single unique identifier, an endpoint is uniquely identified by the technology/resource pair.",
            properties: &[
                prop("technology", "string", Some("Technology of the endpoint")).required(),
                prop("resource", "string", Some("Identifier of the endpoint, specific to the given technology.")).required(),
                prop("state", "string", Some("Endpoint's state")).values(&["unknown", "offline", "online"]),
                prop("channel_ids", "List[string]", Some("Id's of channels associated with this endpoint")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "TextMessage",
            description: "A text message.",
            properties: &[
                prop("from", "string", Some("A technology specific URI specifying the source of the message. For pjsip technology, any SIP URI can be specified. For xmpp, the URI must correspond to the client connection being used to send the message.")).required(),
                prop("to", "string", Some("A technology specific URI specifying the destination of the message. Valid technologies include pjsip, and xmp. The destination of a message should be an endpoint.")).required(),
                prop("body", "string", Some("The text of the message.")).required(),
                prop("variables", "object", Some("Technology specific key/value pairs (JSON object) associated with the message.")),
            ],
            ..Model::EMPTY
        },
    ],
};
