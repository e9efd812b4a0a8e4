//! The route table: every ARI operation and model as Rust data that Switchboard owns. The
//! router binds handlers to it, the parameter reader validates requests against it and the
//! api-docs are generated from it. One file per api-doc, in the order `resources.json` lists them.

mod applications;
mod asterisk;
mod bridges;
mod channels;
mod device_states;
mod endpoints;
mod events;
mod mailboxes;
mod playbacks;
mod recordings;
mod sounds;

/// The ARI version claimed in `resources.json` (Asterisk 22 LTS; ari4java picks its bindings by it).
pub const API_VERSION: &str = "10.0.0";
/// The (stale, always identical) version Asterisk puts in every api-doc.
pub const DOC_API_VERSION: &str = "2.0.0";
/// The Swagger dialect of `resources.json` and of every api-doc but `events` (aioari and
/// asyncari accept no other in the listing).
pub const SWAGGER_VERSION: &str = "1.1";

/// Every api-doc, in the order `resources.json` lists them.
pub static RESOURCES: &[&Resource] = &[
    &asterisk::RESOURCE,
    &endpoints::RESOURCE,
    &channels::RESOURCE,
    &bridges::RESOURCE,
    &recordings::RESOURCE,
    &sounds::RESOURCE,
    &playbacks::RESOURCE,
    &device_states::RESOURCE,
    &mailboxes::RESOURCE,
    &events::RESOURCE,
    &applications::RESOURCE,
];

/// The api-doc called `name` (`channels`, `deviceStates`, ...).
pub fn resource(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().copied().find(|r| r.name == name)
}

/// One api-doc: a group of paths and the models they use.
#[derive(Debug)]
pub struct Resource {
    /// The name in `/api-docs/<name>.json` (and the client's `client.<name>` namespace).
    pub name: &'static str,
    /// The line `resources.json` shows for it.
    pub description: &'static str,
    /// Its `swaggerVersion` (Asterisk serves `events` as "1.2", the others as "1.1").
    pub swagger_version: &'static str,
    /// Asterisk versions that introduced it.
    pub since: &'static [&'static str],
    /// Its paths.
    pub apis: &'static [Api],
    /// The models it declares.
    pub models: &'static [Model],
}

impl Resource {
    /// Every operation of the resource with the path it is declared under.
    pub fn operations(&'static self) -> impl Iterator<Item = (&'static Api, &'static Operation)> {
        self.apis.iter().flat_map(|api| api.operations.iter().map(move |op| (api, op)))
    }
}

/// One path and the operations on it.
#[derive(Debug)]
pub struct Api {
    /// The path template under `/ari`, with `{name}` path parameters.
    pub path: &'static str,
    /// What the path is.
    pub description: Option<&'static str>,
    /// One operation per HTTP method.
    pub operations: &'static [Operation],
}

/// The HTTP methods ARI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// The ARI method of an HTTP method, if ARI has it.
    pub fn from_http(method: &axum::http::Method) -> Option<Method> {
        match *method {
            axum::http::Method::GET => Some(Method::Get),
            axum::http::Method::POST => Some(Method::Post),
            axum::http::Method::PUT => Some(Method::Put),
            axum::http::Method::DELETE => Some(Method::Delete),
            _ => None,
        }
    }
}

/// One operation: what it takes, what it answers, how it fails.
#[derive(Debug)]
pub struct Operation {
    /// The HTTP method.
    pub method: Method,
    /// The name clients call it by (`client.channels.answer`); unique within a resource.
    pub nickname: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// Longer notes, when the spec has them.
    pub notes: Option<&'static str>,
    /// The model answered (`void`, `Channel`, `List[Channel]`, `binary`).
    pub response_class: &'static str,
    /// Its parameters, in declaration order.
    pub params: &'static [Param],
    /// The error statuses it may answer, with their reasons.
    pub errors: &'static [ErrorResponse],
    /// Asterisk versions that introduced it.
    pub since: &'static [&'static str],
    /// `Some(subprotocol)` for the WebSocket upgrade (`GET /events`).
    pub websocket_protocol: Option<&'static str>,
}

/// The fields every operation declaration starts from (`..OPERATION`).
pub const OPERATION: Operation = Operation {
    method: Method::Get,
    nickname: "",
    summary: "",
    notes: None,
    response_class: "void",
    params: &[],
    errors: &[],
    since: &[],
    websocket_protocol: None,
};

impl Operation {
    /// Whether a success carries no body (204).
    pub fn is_void(&self) -> bool {
        self.response_class == "void"
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Whether the spec declares `code` as one of its error statuses.
    pub fn declares_error(&self, code: u16) -> bool {
        self.errors.iter().any(|e| e.code == code)
    }
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A `{name}` segment of the path.
    Path,
    /// The query string (or a form or JSON body field of the same name).
    Query,
    /// A JSON body field.
    Body,
}

impl ParamType {
    /// The Swagger name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ParamType::Path => "path",
            ParamType::Query => "query",
            ParamType::Body => "body",
        }
    }
}

/// The value types parameters have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// Text.
    String,
    /// A 32-bit integer.
    Int,
    /// A 64-bit integer.
    Long,
    /// `true`/`false` (and Asterisk's `yes`, `on`, `1` ...).
    Boolean,
    /// A JSON object of string values (`variables`, `fields`).
    Containers,
    /// Any JSON object (`filter`).
    Object,
}

impl DataType {
    /// The Swagger name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Int => "int",
            DataType::Long => "long",
            DataType::Boolean => "boolean",
            DataType::Containers => "containers",
            DataType::Object => "object",
        }
    }
}

/// A parameter's declared default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// A text default.
    Str(&'static str),
    /// An integer default.
    Int(i64),
    /// A boolean default.
    Bool(bool),
}

/// The values a parameter or property may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowable {
    /// One of these words.
    List(&'static [&'static str]),
    /// An integer of at least `min`.
    AtLeast(i64),
}

/// One declared parameter.
#[derive(Debug)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Where it travels.
    pub param_type: ParamType,
    /// Its value type.
    pub data_type: DataType,
    /// What it means.
    pub description: &'static str,
    /// Whether a request without it is refused.
    pub required: bool,
    /// Whether it takes a list (comma-separated in a query, an array in JSON).
    pub allow_multiple: bool,
    /// The value used when it is absent.
    pub default: Option<DefaultValue>,
    /// The values it may take.
    pub allowable: Option<Allowable>,
    /// Asterisk's own text when it is missing, where it has one (else a generic text).
    pub missing_message: Option<&'static str>,
}

/// The `channelId` path parameter of every operation on an existing channel.
pub(super) const CHANNEL_ID: Param = param("channelId", ParamType::Path, DataType::String, "Channel's id").required();

/// The `bridgeId` path parameter of every operation on an existing bridge.
pub(super) const BRIDGE_ID: Param = param("bridgeId", ParamType::Path, DataType::String, "Bridge's id").required();

/// A parameter declaration; refine it with the builder methods.
pub const fn param(name: &'static str, param_type: ParamType, data_type: DataType, description: &'static str) -> Param {
    Param {
        name,
        param_type,
        data_type,
        description,
        required: false,
        allow_multiple: false,
        default: None,
        allowable: None,
        missing_message: None,
    }
}

impl Param {
    /// Marks it required.
    pub const fn required(mut self) -> Param {
        self.required = true;
        self
    }

    /// Marks it as taking a list.
    pub const fn multiple(mut self) -> Param {
        self.allow_multiple = true;
        self
    }

    /// Declares a text default.
    pub const fn default_str(mut self, value: &'static str) -> Param {
        self.default = Some(DefaultValue::Str(value));
        self
    }

    /// Declares an integer default.
    pub const fn default_int(mut self, value: i64) -> Param {
        self.default = Some(DefaultValue::Int(value));
        self
    }

    /// Declares a boolean default.
    pub const fn default_bool(mut self, value: bool) -> Param {
        self.default = Some(DefaultValue::Bool(value));
        self
    }

    /// Restricts it to these words.
    pub const fn values(mut self, values: &'static [&'static str]) -> Param {
        self.allowable = Some(Allowable::List(values));
        self
    }

    /// Restricts it to integers of at least `min`.
    pub const fn at_least(mut self, min: i64) -> Param {
        self.allowable = Some(Allowable::AtLeast(min));
        self
    }

    /// Asterisk's message when the parameter is missing.
    pub const fn missing(mut self, message: &'static str) -> Param {
        self.missing_message = Some(message);
        self
    }
}

/// A declared error status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The HTTP status.
    pub code: u16,
    /// When it happens.
    pub reason: &'static str,
}

/// An error status declaration.
pub const fn error(code: u16, reason: &'static str) -> ErrorResponse {
    ErrorResponse { code, reason }
}

/// A data model (resource, value or event).
#[derive(Debug)]
pub struct Model {
    /// Its name (the JSON `type` of an event).
    pub id: &'static str,
    /// What it is.
    pub description: &'static str,
    /// Its fields, in declaration order.
    pub properties: &'static [Property],
    /// The models that extend it (`Message`, `Event`).
    pub sub_types: &'static [&'static str],
    /// The field naming the concrete type (`type` on `Message`).
    pub discriminator: Option<&'static str>,
}

impl Model {
    /// The fields every model declaration starts from (`..Model::EMPTY`).
    pub const EMPTY: Model = Model { id: "", description: "", properties: &[], sub_types: &[], discriminator: None };
}

/// One field of a model.
#[derive(Debug)]
pub struct Property {
    /// The JSON key.
    pub name: &'static str,
    /// The Swagger type (`string`, `int`, `Date`, `Channel`, `List[string]` ...).
    pub type_name: &'static str,
    /// What it holds.
    pub description: Option<&'static str>,
    /// Whether it is always present.
    pub required: bool,
    /// The values it may take.
    pub allowable: Option<Allowable>,
}

/// A property declaration; refine it with the builder methods.
pub const fn prop(name: &'static str, type_name: &'static str, description: Option<&'static str>) -> Property {
    Property { name, type_name, description, required: false, allowable: None }
}

impl Property {
    /// Marks it always present.
    pub const fn required(mut self) -> Property {
        self.required = true;
        self
    }

    /// Restricts it to these words.
    pub const fn values(mut self, values: &'static [&'static str]) -> Property {
        self.allowable = Some(Allowable::List(values));
        self
    }
}

/// The model called `id`, in whichever api-doc declares it.
pub fn model(id: &str) -> Option<&'static Model> {
    RESOURCES.iter().flat_map(|r| r.models.iter()).find(|m| m.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_table_has_the_whole_asterisk_22_surface() {
        assert_eq!(RESOURCES.len(), 11);
        assert_eq!(RESOURCES.iter().map(|r| r.operations().count()).sum::<usize>(), 109);
        assert_eq!(RESOURCES.iter().map(|r| r.models.len()).sum::<usize>(), 85);
        assert_eq!(RESOURCES.iter().flat_map(|r| r.operations()).map(|(_, op)| op.params.len()).sum::<usize>(), 275);
    }

    #[test]
    fn nicknames_are_unique_within_a_resource_and_methods_within_a_path() {
        for resource in RESOURCES {
            let mut seen = HashSet::new();
            for (_, op) in resource.operations() {
                assert!(seen.insert(op.nickname), "{}: {} twice", resource.name, op.nickname);
            }
            for api in resource.apis {
                let methods: HashSet<_> = api.operations.iter().map(|op| op.method.as_str()).collect();
                assert_eq!(methods.len(), api.operations.len(), "{}", api.path);
            }
        }
    }

    #[test]
    fn every_path_parameter_is_declared_and_every_declared_one_is_in_the_path() {
        for resource in RESOURCES {
            for (api, op) in resource.operations() {
                let in_path: Vec<&str> =
                    api.path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
                let declared: Vec<&str> =
                    op.params.iter().filter(|p| p.param_type == ParamType::Path).map(|p| p.name).collect();
                let mut sorted = declared.clone();
                sorted.sort_unstable();
                let mut expected = in_path.clone();
                expected.sort_unstable();
                assert_eq!(sorted, expected, "{} {}", op.method.as_str(), api.path);
                assert!(op.params.iter().filter(|p| p.param_type == ParamType::Path).all(|p| p.required));
            }
        }
    }

    #[test]
    fn every_model_a_property_names_is_declared() {
        let primitive = ["string", "int", "long", "double", "boolean", "Date", "object", "binary"];
        for resource in RESOURCES {
            for m in resource.models {
                for p in m.properties {
                    let inner =
                        p.type_name.strip_prefix("List[").and_then(|t| t.strip_suffix(']')).unwrap_or(p.type_name);
                    assert!(primitive.contains(&inner) || model(inner).is_some(), "{}.{}: {}", m.id, p.name, inner);
                }
            }
        }
    }
}
