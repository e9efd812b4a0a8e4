//! The `deviceStates` api-doc of the route table: device state resources, as Asterisk 22 declares them.

use super::{
    error, param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, OPERATION, SWAGGER_VERSION,
};

/// `/api-docs/deviceStates.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "deviceStates",
    description: "Device state resources",
    swagger_version: SWAGGER_VERSION,
    since: &["12.0.0"],
    apis: &[
        Api {
            path: "/deviceStates",
            description: Some("Device states"),
            operations: &[Operation {
                method: Method::Get,
                nickname: "list",
                summary: "List all ARI controlled device states.",
                response_class: "List[DeviceState]",
                since: &["12.0.0"],
                ..OPERATION
            }],
        },
        Api {
            path: "/deviceStates/{deviceName}",
            description: Some("Device state"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "get",
                    summary: "Retrieve the current state of a device.",
                    response_class: "DeviceState",
                    since: &["12.0.0"],
                    params: &[param("deviceName", ParamType::Path, DataType::String, "Name of the device").required()],
                    ..OPERATION
                },
                Operation {
                    method: Method::Put,
                    nickname: "update",
                    summary:
                        "Change the state of a device controlled by ARI. (Note - implicitly creates the device state).",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        param("deviceName", ParamType::Path, DataType::String, "Name of the device").required(),
                        param("deviceState", ParamType::Query, DataType::String, "Device state value")
                            .required()
                            .values(&[
                                "NOT_INUSE",
                                "INUSE",
                                "BUSY",
                                "INVALID",
                                "UNAVAILABLE",
                                "RINGING",
                                "RINGINUSE",
                                "ONHOLD",
                            ]),
                    ],
                    errors: &[error(404, "Device name is missing"), error(409, "Uncontrolled device specified")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "delete",
                    summary: "Destroy a device-state controlled by ARI.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[param("deviceName", ParamType::Path, DataType::String, "Name of the device").required()],
                    errors: &[error(404, "Device name is missing"), error(409, "Uncontrolled device specified")],
                    ..OPERATION
                },
            ],
        },
    ],
    models: &[Model {
        id: "DeviceState",
        description: "Represents the state of a device.",
        properties: &[
            prop("name", "string", Some("Name of the device.")).required(),
            prop("state", "string", Some("Device's state")).required().values(&[
                "UNKNOWN",
                "NOT_INUSE",
                "INUSE",
                "BUSY",
                "INVALID",
                "UNAVAILABLE",
                "RINGING",
                "RINGINUSE",
                "ONHOLD",
            ]),
        ],
        ..Model::EMPTY
    }],
};
