//! The `asterisk` api-doc of the route table: asterisk resources, as Asterisk 22 declares them.

use super::{
    error, param, prop, Api, DataType, Method, Model, Operation, ParamType, Resource, OPERATION, SWAGGER_VERSION,
};

/// `/api-docs/asterisk.json`.
pub(super) const RESOURCE: Resource = Resource {
    name: "asterisk",
    description: "Asterisk resources",
    swagger_version: SWAGGER_VERSION,
    since: &["12.0.0"],
    apis: &[
        Api {
            path: "/asterisk/config/dynamic/{configClass}/{objectType}/{id}",
            description: Some("Asterisk dynamic configuration"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getObject",
                    summary: "Retrieve a dynamic configuration object.",
                    response_class: "List[ConfigTuple]",
                    since: &["13.5.0"],
                    params: &[
                        param("configClass", ParamType::Path, DataType::String, "The configuration class containing dynamic configuration objects.").required(),
                        param("objectType", ParamType::Path, DataType::String, "The type of configuration object to retrieve.").required(),
                        param("id", ParamType::Path, DataType::String, "The unique identifier of the object to retrieve.").required(),
                    ],
                    errors: &[error(404, "{configClass|objectType|id} not found")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Put,
                    nickname: "updateObject",
                    summary: "Create or update a dynamic configuration object.",
                    response_class: "List[ConfigTuple]",
                    since: &["13.5.0"],
                    params: &[
                        param("configClass", ParamType::Path, DataType::String, "The configuration class containing dynamic configuration objects.").required(),
                        param("objectType", ParamType::Path, DataType::String, "The type of configuration object to create or update.").required(),
                        param("id", ParamType::Path, DataType::String, "The unique identifier of the object to create or update.").required(),
                        param("fields", ParamType::Body, DataType::Containers, "The body object should have a value that is a list of ConfigTuples, which provide the fields to update. Ex. [ { \"attribute\": \"directmedia\", \"value\": \"false\" } ]"),
                    ],
                    errors: &[error(400, "Bad request body"), error(403, "Could not create or update object"), error(404, "{configClass|objectType} not found")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "deleteObject",
                    summary: "Delete a dynamic configuration object.",
                    response_class: "void",
                    since: &["13.5.0"],
                    params: &[
                        param("configClass", ParamType::Path, DataType::String, "The configuration class containing dynamic configuration objects.").required(),
                        param("objectType", ParamType::Path, DataType::String, "The type of configuration object to delete.").required(),
                        param("id", ParamType::Path, DataType::String, "The unique identifier of the object to delete.").required(),
                    ],
                    errors: &[error(403, "Could not delete object"), error(404, "{configClass|objectType|id} not found")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/asterisk/info",
            description: Some("Asterisk system information (similar to core show settings)"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getInfo",
                    summary: "Gets Asterisk system information.",
                    response_class: "AsteriskInfo",
                    since: &["12.0.0"],
                    params: &[
                        param("only", ParamType::Query, DataType::String, "Filter information returned").multiple().values(&["build", "system", "config", "status"]),
                    ],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/asterisk/ping",
            description: Some("Asterisk ping"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "ping",
                    summary: "Response pong message.",
                    response_class: "AsteriskPing",
                    since: &["13.25.0", "16.2.0"],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/asterisk/modules",
            description: Some("Asterisk modules"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "listModules",
                    summary: "List Asterisk modules.",
                    response_class: "List[Module]",
                    since: &["13.5.0"],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/asterisk/modules/{moduleName}",
            description: Some("Asterisk module"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getModule",
                    summary: "Get Asterisk module information.",
                    response_class: "Module",
                    since: &["13.5.0"],
                    params: &[
                        param("moduleName", ParamType::Path, DataType::String, "Module's name").required(),
                    ],
                    errors: &[error(404, "Module could not be found in running modules."), error(409, "Module information could not be retrieved.")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Post,
                    nickname: "loadModule",
                    summary: "Load an Asterisk module.",
                    response_class: "void",
                    since: &["13.5.0"],
                    params: &[
                        param("moduleName", ParamType::Path, DataType::String, "Module's name").required(),
                    ],
                    errors: &[error(409, "Module could not be loaded.")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "unloadModule",
                    summary: "Unload an Asterisk module.",
                    response_class: "void",
                    since: &["13.5.0"],
                    params: &[
                        param("moduleName", ParamType::Path, DataType::String, "Module's name").required(),
                    ],
                    errors: &[error(404, "Module not found in running modules."), error(409, "Module could not be unloaded.")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Put,
                    nickname: "reloadModule",
                    summary: "Reload an Asterisk module.",
                    response_class: "void",
                    since: &["13.5.0"],
                    params: &[
                        param("moduleName", ParamType::Path, DataType::String, "Module's name").required(),
                    ],
                    errors: &[error(404, "Module not found in running modules."), error(409, "Module could not be reloaded.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/asterisk/logging",
            description: Some("Asterisk log channels"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "listLogChannels",
                    summary: "Gets Asterisk log channel information.",
                    response_class: "List[LogChannel]",
                    since: &["13.6.0"],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/asterisk/logging/{logChannelName}",
            description: Some("Asterisk log channel"),
            operations: &[
                Operation {
                    method: Method::Post,
                    nickname: "addLog",
                    summary: "Adds a log channel.",
                    response_class: "void",
                    since: &["13.6.0"],
                    params: &[
                        param("logChannelName", ParamType::Path, DataType::String, "The log channel to add").required(),
                        param("configuration", ParamType::Query, DataType::String, "levels of the log channel").required(),
                    ],
                    errors: &[error(400, "Bad request body"), error(409, "Log channel could not be created.")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Delete,
                    nickname: "deleteLog",
                    summary: "Deletes a log channel.",
                    response_class: "void",
                    since: &["13.6.0"],
                    params: &[
                        param("logChannelName", ParamType::Path, DataType::String, "Log channels name").required(),
                    ],
                    errors: &[error(404, "Log channel does not exist.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/asterisk/logging/{logChannelName}/rotate",
            description: Some("Asterisk log channel"),
            operations: &[
                Operation {
                    method: Method::Put,
                    nickname: "rotateLog",
                    summary: "Rotates a log channel.",
                    response_class: "void",
                    since: &["13.6.0"],
                    params: &[
                        param("logChannelName", ParamType::Path, DataType::String, "Log channel's name").required(),
                    ],
                    errors: &[error(404, "Log channel does not exist.")],
                    ..OPERATION
                },
            ],
        },
        Api {
            path: "/asterisk/variable",
            description: Some("Global variables"),
            operations: &[
                Operation {
                    method: Method::Get,
                    nickname: "getGlobalVar",
                    summary: "Get the value of a global variable.",
                    response_class: "Variable",
                    since: &["12.0.0"],
                    params: &[
                        param("variable", ParamType::Query, DataType::String, "The variable to get").required().missing("Variable name is required"),
                    ],
                    errors: &[error(400, "Missing variable parameter.")],
                    ..OPERATION
                },
                Operation {
                    method: Method::Post,
                    nickname: "setGlobalVar",
                    summary: "Set the value of a global variable.",
                    response_class: "void",
                    since: &["12.0.0"],
                    params: &[
                        param("variable", ParamType::Query, DataType::String, "The variable to set").required().missing("Variable name is required"),
                        param("value", ParamType::Query, DataType::String, "The value to set the variable to"),
                    ],
                    errors: &[error(400, "Missing variable parameter.")],
                    ..OPERATION
                },
            ],
        },
    ],
    models: &[
        Model {
            id: "BuildInfo",
            description: "Info about how Asterisk was built",
            properties: &[
                prop("os", "string", Some("OS Asterisk was built on.")).required(),
                prop("kernel", "string", Some("Kernel version Asterisk was built on.")).required(),
                prop("options", "string", Some("Compile time options, or empty string if default.")).required(),
                prop("machine", "string", Some("Machine architecture (x86_64, i686, ppc, etc.)")).required(),
                prop("date", "string", Some("Date and time when Asterisk was built.")).required(),
                prop("user", "string", Some("Username that build Asterisk")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "SystemInfo",
            description: "Info about Asterisk",
            properties: &[
                prop("version", "string", Some("Asterisk version.")).required(),
                prop("entity_id", "string", Some("")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "SetId",
            description: "Effective user/group id",
            properties: &[
                prop("user", "string", Some("Effective user id.")).required(),
                prop("group", "string", Some("Effective group id.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ConfigInfo",
            description: "Info about Asterisk configuration",
            properties: &[
                prop("name", "string", Some("Asterisk system name.")).required(),
                prop("default_language", "string", Some("Default language for media playback.")).required(),
                prop("max_channels", "int", Some("Maximum number of simultaneous channels.")),
                prop("max_open_files", "int", Some("Maximum number of open file handles (files, sockets).")),
                prop("max_load", "double", Some("Maximum load avg on system.")),
                prop("setid", "SetId", Some("Effective user/group id for running Asterisk.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "StatusInfo",
            description: "Info about Asterisk status",
            properties: &[
                prop("startup_time", "Date", Some("Time when Asterisk was started.")).required(),
                prop("last_reload_time", "Date", Some("Time when Asterisk was last reloaded.")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "AsteriskInfo",
            description: "Asterisk system information",
            properties: &[
                prop("build", "BuildInfo", Some("Info about how Asterisk was built")),
                prop("system", "SystemInfo", Some("Info about the system running Asterisk")),
                prop("config", "ConfigInfo", Some("Info about Asterisk configuration")),
                prop("status", "StatusInfo", Some("Info about Asterisk status")),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "AsteriskPing",
            description: "Asterisk ping information",
            properties: &[
                prop("asterisk_id", "string", Some("Asterisk id info")).required(),
                prop("ping", "string", Some("Always string value is pong")).required(),
                prop("timestamp", "string", Some("The timestamp string of request received time")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "Module",
            description: "Details of an Asterisk module",
            properties: &[
                prop("name", "string", Some("The name of this module")).required(),
                prop("description", "string", Some("The description of this module")).required(),
                prop("use_count", "int", Some("The number of times this module is being used")).required(),
                prop("status", "string", Some("The running status of this module")).required(),
                prop("support_level", "string", Some("The support state of this module")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "LogChannel",
            description: "Details of an Asterisk log channel",
            properties: &[
                prop("channel", "string", Some("The log channel path")).required(),
                prop("type", "string", Some("Types of logs for the log channel")).required(),
                prop("status", "string", Some("Whether or not a log type is enabled")).required(),
                prop("configuration", "string", Some("The various log levels")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "Variable",
            description: "The value of a channel variable",
            properties: &[
                prop("value", "string", Some("The value of the variable requested")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "Variables",
            description: "A dictionary of channel variables",
            properties: &[
                prop("variables", "object", Some("A dictionary of channel variables")).required(),
            ],
            ..Model::EMPTY
        },
        Model {
            id: "ConfigTuple",
            description: "A key/value pair that makes up part of a configuration object.",
            properties: &[
                prop("attribute", "string", Some("A configuration object attribute.")).required(),
                prop("value", "string", Some("The value for the attribute.")).required(),
            ],
            ..Model::EMPTY
        },
    ],
};
