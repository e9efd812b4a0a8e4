//! The api-docs: `resources.json` and one Swagger 1.1 document per resource, generated from
//! the route table, with `basePath` rewritten to the Host the client used (as Asterisk does,
//! always `http://`; without a Host header the key is left out).

use crate::spec::{self, Allowable, DefaultValue, Model, Operation, Param, Resource};
use serde_json::{json, Map, Value};

/// `GET /ari/api-docs/resources.json`.
pub fn resource_listing(host: Option<&str>) -> Value {
    let apis: Vec<Value> = spec::RESOURCES
        .iter()
        .map(|r| json!({"path": format!("/api-docs/{}.{{format}}", r.name), "description": r.description}))
        .collect();
    let mut doc = Map::new();
    doc.insert("apiVersion".into(), spec::API_VERSION.into());
    doc.insert("swaggerVersion".into(), spec::SWAGGER_VERSION.into());
    insert_base_path(&mut doc, host);
    doc.insert("apis".into(), apis.into());
    Value::Object(doc)
}

/// `GET /ari/api-docs/{resource}.json`.
pub fn api_doc(resource: &Resource, host: Option<&str>) -> Value {
    let mut doc = Map::new();
    doc.insert("apiVersion".into(), spec::DOC_API_VERSION.into());
    doc.insert("swaggerVersion".into(), resource.swagger_version.into());
    insert_base_path(&mut doc, host);
    doc.insert("resourcePath".into(), format!("/api-docs/{}.{{format}}", resource.name).into());
    doc.insert("since".into(), resource.since.into());
    let apis: Vec<Value> = resource
        .apis
        .iter()
        .map(|api| {
            let mut out = Map::new();
            out.insert("path".into(), api.path.into());
            if let Some(description) = api.description {
                out.insert("description".into(), description.into());
            }
            out.insert("operations".into(), api.operations.iter().map(operation).collect::<Vec<_>>().into());
            Value::Object(out)
        })
        .collect();
    doc.insert("apis".into(), apis.into());
    let models: Map<String, Value> = resource.models.iter().map(|m| (m.id.to_owned(), model(m))).collect();
    doc.insert("models".into(), models.into());
    Value::Object(doc)
}

fn insert_base_path(doc: &mut Map<String, Value>, host: Option<&str>) {
    if let Some(host) = host {
        doc.insert("basePath".into(), format!("http://{host}/ari").into());
    }
}

fn operation(op: &Operation) -> Value {
    let mut out = Map::new();
    out.insert("httpMethod".into(), op.method.as_str().into());
    out.insert("since".into(), op.since.into());
    out.insert("summary".into(), op.summary.into());
    if let Some(notes) = op.notes {
        out.insert("notes".into(), notes.into());
    }
    out.insert("nickname".into(), op.nickname.into());
    out.insert("responseClass".into(), op.response_class.into());
    if let Some(protocol) = op.websocket_protocol {
        out.insert("upgrade".into(), "websocket".into());
        out.insert("websocketProtocol".into(), protocol.into());
    }
    // Asterisk leaves the keys out rather than sending empty lists; clients cope with both.
    if !op.params.is_empty() {
        out.insert("parameters".into(), op.params.iter().map(parameter).collect::<Vec<_>>().into());
    }
    if !op.errors.is_empty() {
        let errors: Vec<Value> = op.errors.iter().map(|e| json!({"code": e.code, "reason": e.reason})).collect();
        out.insert("errorResponses".into(), errors.into());
    }
    Value::Object(out)
}

fn parameter(param: &Param) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), param.name.into());
    out.insert("description".into(), param.description.into());
    out.insert("paramType".into(), param.param_type.as_str().into());
    out.insert("required".into(), param.required.into());
    out.insert("allowMultiple".into(), param.allow_multiple.into());
    out.insert("dataType".into(), param.data_type.as_str().into());
    if let Some(default) = param.default {
        let value: Value = match default {
            DefaultValue::Str(s) => s.into(),
            DefaultValue::Int(i) => i.into(),
            DefaultValue::Bool(b) => b.into(),
        };
        out.insert("defaultValue".into(), value);
    }
    if let Some(allowable) = param.allowable {
        out.insert("allowableValues".into(), allowable_values(allowable));
    }
    Value::Object(out)
}

fn model(model: &Model) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), model.id.into());
    out.insert("description".into(), model.description.into());
    if let Some(discriminator) = model.discriminator {
        out.insert("discriminator".into(), discriminator.into());
    }
    let properties: Map<String, Value> = model
        .properties
        .iter()
        .map(|p| {
            let mut prop = Map::new();
            prop.insert("type".into(), p.type_name.into());
            if let Some(description) = p.description {
                prop.insert("description".into(), description.into());
            }
            prop.insert("required".into(), p.required.into());
            if let Some(allowable) = p.allowable {
                prop.insert("allowableValues".into(), allowable_values(allowable));
            }
            (p.name.to_owned(), Value::Object(prop))
        })
        .collect();
    out.insert("properties".into(), properties.into());
    if !model.sub_types.is_empty() {
        out.insert("subTypes".into(), model.sub_types.into());
    }
    Value::Object(out)
}

fn allowable_values(allowable: Allowable) -> Value {
    match allowable {
        Allowable::List(values) => json!({"valueType": "LIST", "values": values}),
        Allowable::AtLeast(min) => json!({"valueType": "RANGE", "min": min}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_follows_the_host_header_and_is_left_out_without_one() {
        assert_eq!(resource_listing(Some("example.test:9999"))["basePath"], "http://example.test:9999/ari");
        assert!(resource_listing(None).get("basePath").is_none());
        let channels = spec::resource("channels").expect("channels");
        assert_eq!(api_doc(channels, Some("h:1"))["basePath"], "http://h:1/ari");
        assert_eq!(api_doc(channels, None)["resourcePath"], "/api-docs/channels.{format}");
    }

    #[test]
    fn models_carry_their_id_under_their_key() {
        for resource in spec::RESOURCES {
            let doc = api_doc(resource, None);
            for (key, model) in doc["models"].as_object().expect("models") {
                assert_eq!(model["id"], *key);
            }
        }
    }
}
