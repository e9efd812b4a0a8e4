//! The `mailboxes` api-doc of the route table: mailboxes resources, as Asterisk 22 declares them.

use super::{
    error, param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, OPERATION, SWAGGER_VERSION,
};

/// `/api-docs/mailboxes.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "mailboxes",
    description: "Mailboxes resources",
    swagger_version: SWAGGER_VERSION,
    since: &["12.1.0"],
    apis: &[
        Api {
            path: "/mailboxes",
            description: Some("Mailboxes"),
            operations: &[Operation {
                method: Method::Get,
                nickname: "list",
                summary: "List all mailboxes.",
                response_class: "List[Mailbox]",
                since: &["12.1.0"],
                ..OPERATION
            }],
        },
        Api {
            path: "/mailboxes/{mailboxName}",
            description: Some("Mailbox state"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "get",
                    summary: "Retrieve the current state of a mailbox.",
                    response_class: "Mailbox",
                    since: &["12.1.0"],
                    params: &[param("mailboxName", ParamType::Path, DataType::String, "Name of the mailbox").required()],
                    errors: &[error(404, "Mailbox not found")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Put,
                    nickname: "update",
                    summary: "Change the state of a mailbox. (Note - implicitly creates the mailbox).",
                    response_class: "void",
                    since: &["12.1.0"],
                    params: &[
                        param("mailboxName", ParamType::Path, DataType::String, "Name of the mailbox").required(),
                        param("oldMessages", ParamType::Query, DataType::Int, "Count of old messages in the mailbox")
                            .required(),
                        param("newMessages", ParamType::Query, DataType::Int, "Count of new messages in the mailbox")
                            .required(),
                    ],
                    errors: &[error(404, "Mailbox not found")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "delete",
                    summary: "Destroy a mailbox.",
                    response_class: "void",
                    since: &["12.1.0"],
                    params: &[param("mailboxName", ParamType::Path, DataType::String, "Name of the mailbox").required()],
                    errors: &[error(404, "Mailbox not found")],
                    ..OPERATION
                },
            ],
        },
    ],
    models: &[Model {
        id: "Mailbox",
        description: "Represents the state of a mailbox.",
        properties: &[
            prop("name", "string", Some("Name of the mailbox.")).required(),
            prop("old_messages", "int", Some("Count of old messages in the mailbox.")).required(),
            prop("new_messages", "int", Some("Count of new messages in the mailbox.")).required(),
        ],
        ..Model::EMPTY
    }],
};
