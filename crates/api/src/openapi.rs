//! The OpenAPI 3 description of `/api`, generated from the provisioning catalogue (the
//! same declarations that drive validation and storage), and the browsable page that
//! renders it. Both are public: they describe the API and hold no data.

use crate::ApiState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sb_core::provisioning::catalogue::{RESOURCES, SYSGLOBALS};
use sb_core::provisioning::model::{Access, Field, KeySpec, Kind, OnCreate, Resource, Rule};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

const DOCS_PAGE: &str = include_str!("../assets/docs.html");

/// The routes `/openapi.json` and `/docs`.
pub fn routes() -> Router<ApiState> {
    Router::new().route("/openapi.json", get(|| async { Json(document().clone()) })).route("/docs", get(docs_page))
}

async fn docs_page() -> Response {
    let mut response = DOCS_PAGE.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline' 'self'"),
    );
    response
}

/// The whole document, built once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

fn schema_name(r: &Resource) -> String {
    let mut chars = r.name.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn field_schema(field: &Field) -> Value {
    let mut s = Map::new();
    s.insert("type".into(), json!(if field.kind == Kind::Int { "integer" } else { "string" }));
    for rule in field.rules {
        match rule {
            Rule::Nullable => {
                s.insert("nullable".into(), json!(true));
            }
            Rule::In(values) => {
                s.insert("enum".into(), json!(values));
            }
            Rule::Regex(p) => {
                s.insert("pattern".into(), json!(p));
            }
            Rule::Min(n) if field.kind == Kind::Int => {
                s.insert("minimum".into(), json!(n));
            }
            Rule::Max(n) if field.kind == Kind::Int => {
                s.insert("maximum".into(), json!(n));
            }
            Rule::Min(n) => {
                s.insert("minLength".into(), json!(n));
            }
            Rule::Max(n) => {
                s.insert("maxLength".into(), json!(n));
            }
            Rule::Email => {
                s.insert("format".into(), json!("email"));
            }
            Rule::Digits(n) => {
                s.insert("description".into(), json!(format!("exactly {n} digits")));
            }
            Rule::Exists(target) => {
                s.insert("x-references".into(), json!(target));
            }
            Rule::Destination { class } => {
                s.insert("x-destination".into(), json!({"classField": class}));
            }
            _ => {}
        }
    }
    if field.kind == Kind::Text && !s.contains_key("maxLength") {
        s.insert("maxLength".into(), json!(sb_core::provisioning::validate::DEFAULT_MAX_TEXT));
    }
    match field.access {
        Access::ReadOnly => {
            s.insert("readOnly".into(), json!(true));
        }
        Access::Secret => {
            s.insert("writeOnly".into(), json!(true));
        }
        _ => {}
    }
    if let OnCreate::Default(d) = field.create {
        s.insert("default".into(), if field.kind == Kind::Int { d.parse::<i64>().map_or(json!(d), |n| json!(n)) } else { json!(d) });
    }
    if !field.doc.is_empty() {
        s.insert("description".into(), json!(field.doc));
    }
    Value::Object(s)
}

fn resource_schema(r: &Resource) -> Value {
    let mut props = Map::new();
    if let KeySpec::Serial { .. } = r.key {
        props.insert("id".into(), json!({"type": "integer", "readOnly": true}));
    }
    for f in r.fields {
        props.insert(f.name.into(), field_schema(f));
    }
    for group in r.slots {
        for slot in group.slots.0..=group.slots.1 {
            for f in group.fields {
                let mut s = field_schema(f);
                s["nullable"] = json!(true);
                props.insert(format!("{}{slot}", f.name), s);
            }
        }
    }
    for list in r.lists {
        props.insert(list.wire.into(), json!({"type": "string", "nullable": true, "description": list.doc}));
    }
    for stamp in ["z_created", "z_updated", "z_updater"] {
        props.insert(stamp.into(), json!({"type": "string", "readOnly": true, "nullable": true}));
    }
    let required: Vec<&str> = r.fields.iter().filter(|f| matches!(f.create, OnCreate::Required)).map(|f| f.name).collect();
    // Unknown fields are refused (422), so the description says so.
    json!({"type": "object", "description": r.doc, "properties": props, "required": required, "additionalProperties": false})
}

fn errors(extra: &[(&str, &str)]) -> Value {
    let mut responses = Map::new();
    responses.insert("401".into(), json!({"$ref": "#/components/responses/Unauthenticated"}));
    responses.insert("403".into(), json!({"$ref": "#/components/responses/Forbidden"}));
    responses.insert("429".into(), json!({"$ref": "#/components/responses/TooManyAttempts"}));
    for (code, what) in extra {
        let reference = match *code {
            "422" => "#/components/responses/Invalid",
            _ => "#/components/responses/Error",
        };
        responses.insert((*code).into(), json!({"$ref": reference, "description": what}));
    }
    Value::Object(responses)
}

fn with(mut responses: Value, code: &str, description: &str, schema: Option<Value>) -> Value {
    let body = match schema {
        Some(s) => json!({"description": description, "content": {"application/json": {"schema": s}}}),
        None => json!({"description": description}),
    };
    responses[code] = body;
    responses
}

fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {
        "application/json": {"schema": schema.clone()},
        "application/x-www-form-urlencoded": {"schema": schema},
    }})
}

fn key_param(r: &Resource) -> Value {
    let (name, ty) = match r.key {
        KeySpec::Natural(_) => ("key", "string"),
        KeySpec::Serial { .. } => ("key", "integer"),
    };
    json!({"name": name, "in": "path", "required": true, "schema": {"type": ty}, "description": format!("The {}'s {}", r.singular, r.key_name())})
}

fn list_params() -> Value {
    json!([
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": crate::resources::MAX_PAGE}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "cluster", "in": "query", "schema": {"type": "string"}, "description": "Only this tenant's items"},
    ])
}

fn add_resource(paths: &mut Map<String, Value>, r: &Resource) {
    let name = schema_name(r);
    let item_ref = json!({"$ref": format!("#/components/schemas/{name}")});
    let tag = [r.name];
    let mut collection = Map::new();
    collection.insert(
        "get".into(),
        json!({"tags": tag, "summary": format!("List {}", r.name), "operationId": format!("list_{}", r.name), "parameters": list_params(),
               "responses": with(errors(&[("422", "Bad paging")]), "200", "The items", Some(json!({"type": "array", "items": item_ref})))}),
    );
    for creator in r.creators {
        let op = json!({"tags": tag, "summary": if creator.doc.is_empty() { format!("Create a {}", r.singular) } else { creator.doc.to_owned() },
            "operationId": format!("create_{}{}", r.name, creator.path.map(|p| format!("_{p}")).unwrap_or_default()),
            "description": "Generated secrets are returned once, in this response.",
            "requestBody": json_body(item_ref.clone()),
            "responses": with(errors(&[("409", "Duplicate key"), ("422", "Invalid fields"), ("400", "Malformed body"), ("413", "Body too large"), ("415", "Unsupported content type")]),
                               &creator.status.to_string(), "The created item", Some(item_ref.clone()))});
        match creator.path {
            None => {
                collection.insert("post".into(), op);
            }
            Some(path) => {
                paths.insert(format!("/{}/{path}", r.name), json!({"post": op}));
            }
        }
    }
    paths.insert(format!("/{}", r.name), Value::Object(collection));
    let params = json!([key_param(r)]);
    paths.insert(
        format!("/{}/{{key}}", r.name),
        json!({
            "parameters": params,
            "get": {"tags": tag, "summary": format!("Read a {}", r.singular), "operationId": format!("get_{}", r.name),
                    "responses": with(errors(&[("404", "No such item")]), "200", "The item", Some(item_ref.clone()))},
            "put": {"tags": tag, "summary": format!("Change a {} (only the fields given)", r.singular), "operationId": format!("update_{}", r.name),
                    "requestBody": json_body(item_ref.clone()),
                    "responses": with(errors(&[("404", "No such item"), ("422", "Invalid fields"), ("400", "Malformed body")]), "200", "The changed item", Some(item_ref))},
            "delete": {"tags": tag, "summary": format!("Delete a {}", r.singular), "operationId": format!("delete_{}", r.name),
                       "responses": with(errors(&[("404", "No such item"), ("409", "Still referenced")]), "204", "Deleted", None)},
        }),
    );
}

fn add_special(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let mut globals = Map::new();
    for f in SYSGLOBALS {
        globals.insert(f.name.into(), field_schema(f));
    }
    schemas.insert("Sysglobals".into(), json!({"type": "object", "properties": globals, "additionalProperties": false}));
    let mut runtime = Map::new();
    for f in sb_core::provisioning::RUNTIME_FIELDS {
        runtime.insert(f.name.into(), field_schema(f));
    }
    schemas.insert("Runtime".into(), json!({"type": "object", "properties": runtime, "additionalProperties": false}));
    schemas.insert("CosLink".into(), json!({"type": "object", "properties": {"IPphone_pkey": {"type": "string"}, "COS_pkey": {"type": "string"}}, "required": ["IPphone_pkey", "COS_pkey"], "additionalProperties": false}));
    let sys = json!({"$ref": "#/components/schemas/Sysglobals"});
    let rt = json!({"$ref": "#/components/schemas/Runtime"});
    let link = json!({"$ref": "#/components/schemas/CosLink"});
    let ext = json!([{"name": "key", "in": "path", "required": true, "schema": {"type": "string"}}]);
    paths.insert("/sysglobals".into(), json!({
        "get": {"tags": ["sysglobals"], "summary": "Read the system globals (secrets omitted)", "operationId": "get_sysglobals", "responses": with(errors(&[]), "200", "Globals", Some(sys.clone()))},
        "put": {"tags": ["sysglobals"], "summary": "Change some system globals", "operationId": "update_sysglobals", "requestBody": json_body(sys.clone()),
                "responses": with(errors(&[("422", "Invalid fields")]), "200", "Globals", Some(sys))},
    }));
    paths.insert("/extensions/{key}/runtime".into(), json!({
        "parameters": ext,
        "get": {"tags": ["extensions"], "summary": "Read call forwarding and ring delay", "operationId": "get_extension_runtime", "responses": with(errors(&[("404", "No such extension")]), "200", "Runtime", Some(rt.clone()))},
        "put": {"tags": ["extensions"], "summary": "Change call forwarding and ring delay", "operationId": "update_extension_runtime", "requestBody": json_body(rt),
                "responses": with(errors(&[("404", "No such extension"), ("422", "Invalid fields")]), "204", "Changed", None)},
    }));
    paths.insert("/destinations".into(), json!({
        "get": {"tags": ["destinations"], "summary": "Every valid routing destination, by kind", "operationId": "list_destinations",
                "responses": with(errors(&[]), "200", "Groups of destination names", Some(json!({"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}})))},
    }));
    paths.insert("/auditlog".into(), json!({
        "get": {"tags": ["auditlog"], "summary": "Recorded changes, newest first", "operationId": "list_auditlog",
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}, {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                               {"name": "resource", "in": "query", "schema": {"type": "string"}}, {"name": "cluster", "in": "query", "schema": {"type": "string"}}],
                "responses": with(errors(&[]), "200", "Entries", Some(json!({"type": "array", "items": {"type": "object"}})))},
    }));
    add_logs(paths, schemas);
    add_webhook_deliveries(paths, schemas);
    for kind in ["cosopens", "coscloses"] {
        let tag = [kind];
        paths.insert(format!("/{kind}"), json!({
            "get": {"tags": tag, "summary": "List links", "operationId": format!("list_{kind}"), "responses": with(errors(&[]), "200", "Links", Some(json!({"type": "array", "items": link.clone()})))},
            "post": {"tags": tag, "summary": "Link a CoS rule to an extension", "operationId": format!("create_{kind}"), "requestBody": json_body(link.clone()),
                     "responses": with(errors(&[("409", "Already linked"), ("422", "Invalid fields")]), "200", "The link", Some(link.clone()))},
        }));
        paths.insert(format!("/{kind}/{{ext}}"), json!({
            "parameters": [{"name": "ext", "in": "path", "required": true, "schema": {"type": "string"}}],
            "get": {"tags": tag, "summary": "An extension's links", "operationId": format!("get_{kind}"), "responses": with(errors(&[("404", "No such extension")]), "200", "Links", Some(json!({"type": "array", "items": link.clone()})))},
            "put": {"tags": tag, "summary": "Replace an extension's links with COS_pkey (a key or a list)", "operationId": format!("update_{kind}"),
                    "requestBody": json_body(json!({"type": "object", "properties": {"COS_pkey": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}})),
                    "responses": with(errors(&[("404", "No such extension"), ("422", "Invalid fields")]), "200", "Links", Some(json!({"type": "array", "items": link.clone()})))},
            "delete": {"tags": tag, "summary": "Remove all of an extension's links", "operationId": format!("delete_{kind}"), "responses": with(errors(&[("404", "No links")]), "204", "Deleted", None)},
        }));
        paths.insert(format!("/{kind}/{{ext}}/{{cos}}"), json!({
            "parameters": [{"name": "ext", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "cos", "in": "path", "required": true, "schema": {"type": "string"}}],
            "delete": {"tags": tag, "summary": "Remove one link", "operationId": format!("delete_{kind}_one"), "responses": with(errors(&[("404", "No such link")]), "204", "Deleted", None)},
        }));
    }
    paths.insert("/greetings".into(), json!({
        "get": {"tags": ["greetings"], "summary": "List greetings", "operationId": "list_greetings", "responses": with(errors(&[]), "200", "Greetings", Some(json!({"type": "array", "items": {"type": "object"}})))},
        "post": {"tags": ["greetings"], "summary": "Upload a greeting (usergreetingNNNN.wav or .mp3; the content must match)", "operationId": "create_greeting",
                 "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["greeting"],
                     "properties": {"greeting": {"type": "string", "format": "binary"}, "cluster": {"type": "string"}}}}}},
                 "responses": with(errors(&[("422", "Invalid file"), ("413", "Too large"), ("415", "Not multipart")]), "201", "Stored", Some(json!({"type": "object"})))},
    }));
    paths.insert("/greetings/{name}".into(), json!({
        "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^usergreeting\\d{4}\\.(wav|mp3)$"}}],
        "get": {"tags": ["greetings"], "summary": "Download a greeting", "operationId": "get_greeting",
                "responses": with(errors(&[("404", "No such greeting")]), "200", "The file", None)},
        "delete": {"tags": ["greetings"], "summary": "Delete a greeting", "operationId": "delete_greeting", "responses": with(errors(&[("404", "No such greeting")]), "204", "Deleted", None)},
    }));
}

/// `/logs` and the call detail records under it; the fields are Asterisk's CDR columns.
fn add_logs(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let text = |d: &str| json!({"type": "string", "description": d});
    let int = |d: &str| json!({"type": "integer", "description": d});
    let time = |d: &str| json!({"type": "string", "format": "date-time", "description": format!("{d} (UTC, milliseconds)")});
    let disposition = json!({"type": "string", "enum": sb_core::cdr::Disposition::ALL.map(|d| d.as_str()), "description": "How the call ended"});
    let mut answer = time("When it was answered; null when nobody answered");
    answer["nullable"] = json!(true);
    let fields = json!({
        "id": int("Sequence number"), "uniqueid": text("The channel's unique id"), "linkedid": text("The unique id shared by every leg of the call"),
        "cluster": text("The tenant"), "calldate": time("When the call started"), "answer": answer, "end": time("When it ended"),
        "clid": text("Caller id"), "src": text("Calling number"), "dst": text("Dialled destination"), "dcontext": text("Context of the destination"),
        "channel": text("Calling channel"), "dstchannel": text("Called channel"), "lastapp": text("Last application"), "lastdata": text("Its arguments"),
        "duration": int("Whole seconds from start to end"), "billsec": int("Whole seconds from answer to end; 0 when unanswered"),
        "disposition": disposition, "hangupcause": int("Q.850 cause"), "hangupsource": text("Who hung up (a channel)"),
        "accountcode": text("Account code"), "userfield": text("Free text"),
    });
    let required: Vec<&String> = fields.as_object().map(|f| f.keys().collect()).unwrap_or_default();
    schemas.insert(
        "Cdr".into(),
        json!({"type": "object", "description": "A call detail record, with Asterisk's CDR field names", "properties": fields, "required": required}),
    );
    let list = json!({"type": "array", "items": {"$ref": "#/components/schemas/Cdr"}});
    let tag = ["logs"];
    paths.insert("/logs".into(), json!({
        "get": {"tags": tag, "summary": "The log views there are (SARK's log index), with how many entries the key may see", "operationId": "list_logs",
                "responses": with(errors(&[]), "200", "Log views", Some(json!({"type": "object", "required": ["logs", "counts"], "properties": {
                    "logs": {"type": "array", "items": {"type": "string", "enum": ["cdrs"]}},
                    "counts": {"type": "object", "additionalProperties": {"type": "integer"}}}})))},
    }));
    let summary = "The latest call detail records, newest first (a tenant-scoped key sees its tenant's only)";
    paths.insert("/logs/cdrs".into(), json!({
        "get": {"tags": tag, "summary": summary, "operationId": "list_cdrs", "description": format!("Answers the latest {}.", crate::special::DEFAULT_CDRS),
                "responses": with(errors(&[]), "200", "Call detail records", Some(list.clone()))},
    }));
    let bad_limit = format!("The limit is not a whole number from 1 to {}", crate::special::MAX_CDRS);
    paths.insert("/logs/cdrs/{limit}".into(), json!({
        "parameters": [{"name": "limit", "in": "path", "required": true, "description": "How many records to answer",
                        "schema": {"type": "integer", "minimum": 1, "maximum": crate::special::MAX_CDRS}}],
        "get": {"tags": tag, "summary": summary, "operationId": "list_cdrs_limited",
                "responses": with(errors(&[("422", &bad_limit)]), "200", "Call detail records", Some(list))},
    }));
}

fn add_webhook_deliveries(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let text = json!({"type": "string"});
    let optional_text = json!({"type": "string", "nullable": true});
    let int = json!({"type": "integer"});
    schemas.insert("WebhookDelivery".into(), json!({
        "type": "object",
        "description": "One event for one webhook in the outbox. Times are RFC 3339 UTC with milliseconds.",
        "properties": {
            "id": int, "event_id": {"type": "string", "description": "The event's id, as the receiver gets it"},
            "webhook": {"type": "integer", "description": "The webhook's id"}, "cluster": text,
            "event": {"type": "string", "enum": sb_core::provisioning::catalogue::WEBHOOK_EVENTS},
            "linkedid": {"type": "string", "description": "The call (its CDR uniqueid)"},
            "seq": {"type": "integer", "description": "The event's place in the call"},
            "state": {"type": "string", "enum": ["pending", "delivered", "dead"]},
            "attempts": int, "created_at": text,
            "next_attempt_at": {"type": "string", "nullable": true, "description": "When a pending delivery is tried next"},
            "last_attempt_at": optional_text, "last_status": {"type": "integer", "nullable": true},
            "last_error": optional_text, "delivered_at": optional_text,
            "payload": {"type": "object", "description": "The JSON body POSTed"},
        },
    }));
    let limits =
        format!("limit from 1 to {}, default {}", crate::webhooks::MAX_DELIVERIES, crate::webhooks::DEFAULT_DELIVERIES);
    paths.insert("/webhooks/deliveries".into(), json!({
        "get": {"tags": ["webhooks"], "summary": "The webhook outbox, newest first (a tenant-scoped key sees its tenant's only)",
                "operationId": "list_webhook_deliveries", "description": format!("Query parameters: {limits}; other parameters are refused."),
                "parameters": [
                    {"name": "webhook", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["pending", "delivered", "dead"]}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": crate::webhooks::MAX_DELIVERIES}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "cluster", "in": "query", "schema": {"type": "string"}}],
                "responses": with(errors(&[("422", "A bad or unknown query parameter")]), "200", "Deliveries",
                                  Some(json!({"type": "array", "items": {"$ref": "#/components/schemas/WebhookDelivery"}})))},
    }));
}

fn build() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for r in RESOURCES {
        schemas.insert(schema_name(r), resource_schema(r));
        add_resource(&mut paths, r);
    }
    add_special(&mut paths, &mut schemas);
    schemas.insert("Error".into(), json!({"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}));
    schemas.insert("ValidationError".into(), json!({"type": "object", "required": ["message", "errors"], "properties": {
        "message": {"type": "string"}, "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}));
    let error = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Switchboard provisioning API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "SARK V6 compatible provisioning: the same resources, routes and field names, with bearer keys, write-only secrets, validation and an audit log."},
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key from `switchboard keys create`"}},
            "schemas": schemas,
            "responses": {
                "Error": error("Error"),
                "Unauthenticated": error("Missing or invalid API key"),
                "Forbidden": error("Read-only key writing, or a tenant-scoped key touching another tenant"),
                "TooManyAttempts": error("Too many failed attempts from this address"),
                "Invalid": {"description": "Invalid fields", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}},
            },
        },
    })
}
