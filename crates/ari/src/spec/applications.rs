//! The `applications` api-doc of the route table: stasis application resources, as Asterisk 22 declares them.

use super::{
    error, param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, OPERATION, SWAGGER_VERSION,
};

/// `/api-docs/applications.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "applications",
    description: "Stasis application resources",
    swagger_version: SWAGGER_VERSION,
    since: &["13.0.0"],
    apis: &[
        Api {
            path: "/applications",
            description: Some("Stasis applications"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "list",
                    summary: "List all applications.",
                    response_class: "List[Application]",
                    since: &["13.0.0"],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/applications/{applicationName}",
            description: Some("Stasis application"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "get",
                    summary: "Get details of an application.",
                    response_class: "Application",
                    since: &["13.0.0"],
                    params: &[
                        param("applicationName", ParamType::Path, DataType::String, "Application's name").required(),
                    ],
                    errors: &[error(404, "Application does not exist.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/applications/{applicationName}/subscription",
            description: Some("Stasis application"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "subscribe",
                    summary: "Subscribe an application to a event source.",
                    notes: Some("Returns the state of the application after the subscriptions have changed"),
                    response_class: "Application",
                    since: &["13.0.0"],
                    params: &[
                        param("applicationName", ParamType::Path, DataType::String, "Application's name").required(),
                        param("eventSource", ParamType::Query, DataType::String, "URI for event source (channel:{channelId}, bridge:{bridgeId}, endpoint:{tech}[/{resource}], deviceState:{deviceName}").required().multiple(),
                    ],
                    errors: &[error(400, "Missing parameter."), error(404, "Application does not exist."), error(422, "Event source does not exist.")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "unsubscribe",
                    summary: "Unsubscribe an application from an event source.",
                    notes: Some("Returns the state of the application after the subscriptions have changed"),
                    response_class: "Application",
                    since: &["13.0.0"],
                    params: &[
                        param("applicationName", ParamType::Path, DataType::String, "Application's name").required(),
                        param("eventSource", ParamType::Query, DataType::String, "URI for event source (channel:{channelId}, bridge:{bridgeId}, endpoint:{tech}[/{resource}], deviceState:{deviceName}").required().multiple(),
                    ],
                    errors: &[error(400, "Missing parameter; event source scheme not recognized."), error(404, "Application does not exist."), error(409, "Application not subscribed to event source."), error(422, "Event source does not exist.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/applications/{applicationName}/eventFilter",
            description: Some("Stasis application"),
            operations: &[
                Operation {
                    method: Method::Put,
                    nickname: "filter",
                    summary: "Filter application events types.",
                    notes: Some("Allowed and/or disallowed event type filtering can be done. The body (parameter) should specify a JSON key/value object that describes the type of event filtering needed. One, or both of the following keys can be designated:<br /><br />\"allowed\" - Specifies an allowed list of event types<br />\"disallowed\" - Specifies a disallowed list of event types<br /><br />Further, each of those key's value should be a JSON array that holds zero, or more JSON key/value objects. Each of these objects must contain the following key with an associated value:<br /><br />\"type\" - The type name of the event to filter<br /><br />The value must be the string name (case sensitive) of the event type that needs filtering. For example:<br /><br />{ \"allowed\": [ { \"type\": \"StasisStart\" }, { \"type\": \"StasisEnd\" } ] }<br /><br />As this specifies only an allowed list, then only those two event type messages are sent to the application. No other event messages are sent.<br /><br />The following rules apply:<br /><br />* If the body is empty, both the allowed and disallowed filters are set empty.<br />* If both list types are given then both are set to their respective values (note, specifying an empty array for a given type sets that type to empty).<br />* If only one list type is given then only that type is set. The other type is not updated.<br />* An empty \"allowed\" list means all events are allowed.<br />* An empty \"disallowed\" list means no events are disallowed.<br />* Disallowed events take precedence over allowed events if the event type is specified in both lists."),
                    response_class: "Application",
                    since: &["13.26.0", "16.3.0"],
                    params: &[
                        param("applicationName", ParamType::Path, DataType::String, "Application's name").required(),
                        param("filter", ParamType::Body, DataType::Object, "Specify which event types to allow/disallow"),
                    ],
                    errors: &[error(400, "Bad request."), error(404, "Application does not exist.")],
                    ..OPERATION
                },
            ],
        },
    ],
    models: &[
        Model {
            id: "Application",
            description: "Details of a Stasis application",
            properties: &[
                prop("name", "string", Some("Name of this application")).required(),
                prop("channel_ids", "List[string]", Some("Id's for channels subscribed to.")).required(),
                prop("bridge_ids", "List[string]", Some("Id's for bridges subscribed to.")).required(),
                prop("endpoint_ids", "List[string]", Some("{tech}/{resource} for endpoints subscribed to.")).required(),
                prop("device_names", "List[string]", Some("Names of the devices subscribed to.")).required(),
                prop("events_allowed", "List[object]", Some("Event types sent to the application.")).required(),
                prop("events_disallowed", "List[object]", Some("Event types not sent to the application.")).required(),
            ],
            ..Model::EMPTY
        },
    ],
};
