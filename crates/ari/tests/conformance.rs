//! Conformance: loads Asterisk 22's own api-docs (`shared/ari-spec/`, next to the repository)
//! and checks that the api-docs Switchboard generates from its route table declare the same
//! operations, parameters, error codes and models. Prints the coverage per resource and fails
//! below 100%.

use sb_ari::{docs, spec};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ari-spec")
}

fn load(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Matched and total counts of one kind of item.
#[derive(Default, Clone, Copy)]
struct Tally {
    alike: usize,
    total: usize,
}

impl Tally {
    fn count(&mut self, alike: bool) {
        self.total += 1;
        self.alike += usize::from(alike);
    }

    fn full(self) -> bool {
        self.alike == self.total
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let percent = if self.total == 0 { 100.0 } else { 100.0 * self.alike as f64 / self.total as f64 };
        write!(f, "{}/{} ({percent:.1}%)", self.alike, self.total)
    }
}

#[derive(Default)]
struct Coverage {
    operations: Tally,
    parameters: Tally,
    errors: Tally,
    models: Tally,
    properties: Tally,
    differences: Vec<String>,
}

impl Coverage {
    fn full(&self) -> bool {
        [self.operations, self.parameters, self.errors, self.models, self.properties].iter().all(|t| t.full())
            && self.differences.is_empty()
    }
}

/// A boolean key that Swagger 1.1 lets a document leave out (it then means false).
fn flag(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Whether a parameter is required; a path parameter always is, whatever the document says
/// (Asterisk's endpoints.json leaves `required` out of some).
fn required(param: &Value) -> bool {
    flag(param, "required") || param["paramType"] == "path"
}

/// An error status; Asterisk's channels.json writes two of them as strings (`"404"`).
fn status_code(code: &Value) -> u64 {
    code.as_u64().or_else(|| code.as_str()?.parse().ok()).unwrap_or(0)
}

fn allowable(value: &Value) -> Value {
    value.get("allowableValues").cloned().unwrap_or(Value::Null)
}

fn compare_param(theirs: &Value, ours: Option<&Value>, at: &str, coverage: &mut Coverage) {
    let Some(ours) = ours else {
        coverage.parameters.count(false);
        coverage.differences.push(format!("{at}: parameter missing"));
        return;
    };
    let mut alike = true;
    for key in ["paramType", "dataType"] {
        if theirs[key] != ours[key] {
            alike = false;
            coverage.differences.push(format!("{at}: {key} {} vs ours {}", theirs[key], ours[key]));
        }
    }
    let checks = [
        ("required", required(theirs) == required(ours)),
        ("allowMultiple", flag(theirs, "allowMultiple") == flag(ours, "allowMultiple")),
        ("allowableValues", allowable(theirs) == allowable(ours)),
        ("defaultValue", theirs.get("defaultValue") == ours.get("defaultValue")),
    ];
    for (key, same) in checks {
        if !same {
            alike = false;
            coverage.differences.push(format!("{at}: {key} differs"));
        }
    }
    coverage.parameters.count(alike);
}

fn by_key<'a>(items: Option<&'a Value>, key: &str) -> BTreeMap<String, &'a Value> {
    items
        .and_then(Value::as_array)
        .map(|list| list.iter().map(|item| (item[key].as_str().unwrap_or_default().to_owned(), item)).collect())
        .unwrap_or_default()
}

fn compare_operation(theirs: &Value, ours: Option<&Value>, at: &str, coverage: &mut Coverage) {
    let Some(ours) = ours else {
        coverage.operations.count(false);
        coverage.differences.push(format!("{at}: operation missing"));
        return;
    };
    let mut alike = true;
    for key in ["nickname", "responseClass", "upgrade", "websocketProtocol"] {
        if theirs.get(key) != ours.get(key) {
            alike = false;
            coverage.differences.push(format!("{at}: {key} {:?} vs ours {:?}", theirs.get(key), ours.get(key)));
        }
    }
    let their_params = by_key(theirs.get("parameters"), "name");
    let our_params = by_key(ours.get("parameters"), "name");
    for (name, param) in &their_params {
        compare_param(param, our_params.get(name).copied(), &format!("{at} {name}"), coverage);
    }
    for name in our_params.keys().filter(|n| !their_params.contains_key(*n)) {
        alike = false;
        coverage.differences.push(format!("{at}: extra parameter {name}"));
    }
    let errors = |op: &Value| -> BTreeMap<u64, String> {
        op.get("errorResponses")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|e| (status_code(&e["code"]), e["reason"].as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (their_errors, our_errors) = (errors(theirs), errors(ours));
    for (code, reason) in &their_errors {
        let same = our_errors.get(code) == Some(reason);
        if !same {
            coverage.differences.push(format!("{at}: error {code} {reason:?} vs ours {:?}", our_errors.get(code)));
        }
        coverage.errors.count(same);
    }
    for code in our_errors.keys().filter(|c| !their_errors.contains_key(*c)) {
        alike = false;
        coverage.differences.push(format!("{at}: extra error {code}"));
    }
    coverage.operations.count(alike);
}

fn compare_model(id: &str, theirs: &Value, ours: Option<&Value>, coverage: &mut Coverage) {
    let Some(ours) = ours else {
        coverage.models.count(false);
        coverage.differences.push(format!("model {id}: missing"));
        return;
    };
    let mut alike = true;
    for key in ["id", "subTypes", "discriminator"] {
        if theirs.get(key) != ours.get(key) {
            alike = false;
            coverage.differences.push(format!("model {id}: {key} differs"));
        }
    }
    let empty = serde_json::Map::new();
    let their_props = theirs["properties"].as_object().unwrap_or(&empty);
    let our_props = ours["properties"].as_object().unwrap_or(&empty);
    for (name, prop) in their_props {
        let same = our_props.get(name).is_some_and(|o| {
            o["type"] == prop["type"]
                && flag(o, "required") == flag(prop, "required")
                && allowable(o) == allowable(prop)
        });
        if !same {
            coverage.differences.push(format!("model {id}.{name}: differs or missing"));
        }
        coverage.properties.count(same);
    }
    for name in our_props.keys().filter(|n| !their_props.contains_key(*n)) {
        alike = false;
        coverage.differences.push(format!("model {id}: extra property {name}"));
    }
    coverage.models.count(alike);
}

fn compare_resource(theirs: &Value, ours: &Value) -> Coverage {
    let mut coverage = Coverage::default();
    for key in ["swaggerVersion", "apiVersion", "resourcePath"] {
        if theirs[key] != ours[key] {
            coverage.differences.push(format!("{key}: {} vs ours {}", theirs[key], ours[key]));
        }
    }
    let operations = |doc: &Value| -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for api in doc["apis"].as_array().into_iter().flatten() {
            for op in api["operations"].as_array().into_iter().flatten() {
                let key = format!(
                    "{} {}",
                    op["httpMethod"].as_str().unwrap_or_default(),
                    api["path"].as_str().unwrap_or_default()
                );
                out.insert(key, op.clone());
            }
        }
        out
    };
    let (their_ops, our_ops) = (operations(theirs), operations(ours));
    for (key, op) in &their_ops {
        compare_operation(op, our_ops.get(key), key, &mut coverage);
    }
    for key in our_ops.keys().filter(|k| !their_ops.contains_key(*k)) {
        coverage.differences.push(format!("extra operation {key}"));
    }
    let empty = serde_json::Map::new();
    let their_models = theirs["models"].as_object().unwrap_or(&empty);
    let our_models = ours["models"].as_object().unwrap_or(&empty);
    for (id, model) in their_models {
        compare_model(id, model, our_models.get(id), &mut coverage);
    }
    for id in our_models.keys().filter(|id| !their_models.contains_key(*id)) {
        coverage.differences.push(format!("extra model {id}"));
    }
    coverage
}

#[test]
fn generated_api_docs_match_asterisk_22() {
    let dir = spec_dir();
    let listing = load(dir.join("resources.json"));
    let ours = docs::resource_listing(Some("localhost:8088"));
    assert_eq!(ours["swaggerVersion"], listing["swaggerVersion"]);
    assert_eq!(ours["apiVersion"], listing["apiVersion"], "resources.json apiVersion (ari4java maps it)");
    assert_eq!(ours["apis"], listing["apis"], "resources.json lists the same api-docs in the same order");

    let mut failures = Vec::new();
    println!(
        "{:<13} {:>18} {:>18} {:>16} {:>14} {:>18}",
        "resource", "operations", "parameters", "errors", "models", "properties"
    );
    for api in listing["apis"].as_array().expect("apis") {
        let path = api["path"].as_str().expect("path");
        let name = path.trim_start_matches("/api-docs/").trim_end_matches(".{format}");
        let theirs = load(dir.join("api-docs").join(format!("{name}.json")));
        let Some(resource) = spec::resource(name) else {
            failures.push(format!("{name}: not in the route table"));
            continue;
        };
        let coverage = compare_resource(&theirs, &docs::api_doc(resource, Some("localhost:8088")));
        println!(
            "{name:<13} {:>18} {:>18} {:>16} {:>14} {:>18}",
            coverage.operations.to_string(),
            coverage.parameters.to_string(),
            coverage.errors.to_string(),
            coverage.models.to_string(),
            coverage.properties.to_string()
        );
        if !coverage.full() {
            failures.extend(coverage.differences.iter().map(|d| format!("{name}: {d}")));
        }
    }
    assert!(failures.is_empty(), "api-docs differ from Asterisk 22's:\n{}", failures.join("\n"));
}

#[test]
fn every_event_type_is_declared_as_a_subtype_of_event() {
    let events = load(spec_dir().join("api-docs/events.json"));
    let theirs: Vec<&str> =
        events["models"]["Event"]["subTypes"].as_array().expect("subTypes").iter().filter_map(Value::as_str).collect();
    let ours = spec::model("Event").expect("Event").sub_types;
    assert_eq!(theirs, ours);
    assert_eq!(ours.len(), 45);
}
