//! Request parameters, read as Asterisk reads them and checked against the route table:
//! the query string, an `application/x-www-form-urlencoded` body, or a JSON body whose
//! top-level keys name parameters (JSON wins over the query, the query over the form).
//! A JSON body that is not an object (`[]`, as the `asterisk-ari` crate sends) and an empty
//! body of any content type carry nothing; parameters the operation does not declare are
//! ignored. Missing required values, malformed numbers or booleans and values outside the
//! allowed list are refused with 400; absent values take the declared default.

use crate::error::AriError;
use crate::spec::{Allowable, DataType, DefaultValue, Operation, Param, ParamType};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A checked parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// A string.
    Text(String),
    /// An `int` or `long`.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// An `allowMultiple` parameter's values.
    List(Vec<String>),
    /// A `containers` or `object` body parameter, as sent.
    Json(Value),
}

/// The checked parameters of one request, by name.
#[derive(Debug, Default, Clone)]
pub struct Params {
    values: HashMap<&'static str, ParamValue>,
}

impl Params {
    /// A string parameter (path or query).
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.values.get(name)? {
            ParamValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// An `int`/`long` parameter.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.values.get(name)? {
            ParamValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A boolean parameter.
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.values.get(name)? {
            ParamValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// An `allowMultiple` parameter.
    pub fn list(&self, name: &str) -> Option<&[String]> {
        match self.values.get(name)? {
            ParamValue::List(values) => Some(values),
            _ => None,
        }
    }

    /// A `containers`/`object` body parameter.
    pub fn json(&self, name: &str) -> Option<&Value> {
        match self.values.get(name)? {
            ParamValue::Json(value) => Some(value),
            _ => None,
        }
    }
}

/// Where the raw values of a request came from, before checking.
#[derive(Debug, Default)]
pub struct RawParams {
    /// The query string's pairs.
    pub query: Vec<(String, String)>,
    /// A form body's pairs.
    pub form: Vec<(String, String)>,
    /// A JSON body's top-level object (empty for no body or a non-object body).
    pub json: Map<String, Value>,
}

impl RawParams {
    /// Reads the query string, and the body according to its content type.
    pub fn read(query: Option<&str>, content_type: Option<&str>, body: &[u8]) -> Result<RawParams, AriError> {
        let mut raw = RawParams { query: parse_pairs(query.unwrap_or_default().as_bytes()), ..RawParams::default() };
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(raw);
        }
        let media_type = content_type.and_then(|c| c.split(';').next()).map(|m| m.trim().to_ascii_lowercase());
        match media_type.as_deref() {
            Some("application/x-www-form-urlencoded") => raw.form = parse_pairs(body),
            Some("application/json") => {
                let value: Value =
                    serde_json::from_slice(body).map_err(|_| AriError::bad_request("Error parsing request body"))?;
                if let Value::Object(map) = value {
                    raw.json = map;
                }
            }
            // No content type: a JSON object is taken, anything else ignored.
            None => {
                if let Ok(Value::Object(map)) = serde_json::from_slice(body) {
                    raw.json = map;
                }
            }
            // Other types (aioari's `application/octet-stream`) carry no parameters.
            Some(_) => {}
        }
        Ok(raw)
    }

    /// The value of query parameter `name` (the last one when repeated), the form's if not.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        last_value(&self.query, name).or_else(|| last_value(&self.form, name))
    }

    /// Checks every parameter `operation` declares; `path` holds the path's values.
    pub fn check(&self, operation: &'static Operation, path: &[(&'static str, String)]) -> Result<Params, AriError> {
        let mut values = HashMap::new();
        for param in operation.params {
            let value = match param.param_type {
                ParamType::Path => {
                    path.iter().find(|(n, _)| *n == param.name).map(|(_, v)| ParamValue::Text(v.clone()))
                }
                // Asterisk hands an `object` body parameter (the event filter) the whole body.
                ParamType::Body if param.data_type == DataType::Object && !self.json.contains_key(param.name) => {
                    (!self.json.is_empty()).then(|| ParamValue::Json(Value::Object(self.json.clone())))
                }
                ParamType::Query | ParamType::Body => match self.json.get(param.name) {
                    Some(Value::Null) | None => match self.query_value(param.name) {
                        Some(text) => Some(from_text(param, text)?),
                        None => None,
                    },
                    Some(json) => Some(from_json(param, json)?),
                },
            };
            match value.or_else(|| default(param)) {
                Some(value) => {
                    check_allowed(param, &value)?;
                    values.insert(param.name, value);
                }
                None if param.required => {
                    let message =
                        param.missing_message.map_or_else(|| format!("Missing parameter {}", param.name), String::from);
                    return Err(AriError::BadRequest(message));
                }
                None => {}
            }
        }
        Ok(Params { values })
    }
}

fn last_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn parse_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

fn invalid(param: &Param, expected: &str) -> AriError {
    AriError::BadRequest(format!("Invalid value for {}: expected {expected}", param.name))
}

/// Asterisk's `ast_true`/`ast_false` words.
fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "y" | "t" | "1" | "on" => Some(true),
        "no" | "false" | "n" | "f" | "0" | "off" => Some(false),
        _ => None,
    }
}

fn parse_int(param: &Param, text: &str) -> Result<i64, AriError> {
    let value: i64 = text.trim().parse().map_err(|_| invalid(param, "an integer"))?;
    if param.data_type == DataType::Int && i32::try_from(value).is_err() {
        return Err(invalid(param, "a 32-bit integer"));
    }
    Ok(value)
}

/// A list from one comma-separated value (how every client sends lists in a query).
fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

fn from_text(param: &Param, text: &str) -> Result<ParamValue, AriError> {
    if param.allow_multiple {
        return Ok(ParamValue::List(split_list(text)));
    }
    match param.data_type {
        DataType::String => Ok(ParamValue::Text(text.to_owned())),
        DataType::Int | DataType::Long => parse_int(param, text).map(ParamValue::Int),
        DataType::Boolean => parse_bool(text).map(ParamValue::Bool).ok_or_else(|| invalid(param, "a boolean")),
        // A JSON structure in a query value (`?variables={"a":"b"}`) is accepted as well.
        DataType::Containers | DataType::Object => serde_json::from_str(text)
            .map_err(|_| invalid(param, "a JSON object"))
            .and_then(|value| from_json(param, &value)),
    }
}

fn from_json(param: &Param, value: &Value) -> Result<ParamValue, AriError> {
    let scalar = |value: &Value| -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    match param.data_type {
        DataType::Containers if value.is_object() || value.is_array() => return Ok(ParamValue::Json(value.clone())),
        DataType::Object if value.is_object() => return Ok(ParamValue::Json(value.clone())),
        DataType::Containers | DataType::Object => return Err(invalid(param, "a JSON object")),
        _ => {}
    }
    if param.allow_multiple {
        // Lenient beyond Asterisk: a JSON string is split on commas too (PyPI ari-client
        // sends `"a,b"` for two channels).
        return match value {
            Value::Array(items) => items
                .iter()
                .map(|item| scalar(item).ok_or_else(|| invalid(param, "a list of strings")))
                .collect::<Result<_, _>>()
                .map(ParamValue::List),
            other => scalar(other)
                .map(|s| ParamValue::List(split_list(&s)))
                .ok_or_else(|| invalid(param, "a list of strings")),
        };
    }
    match (param.data_type, value) {
        (DataType::Int | DataType::Long, Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| invalid(param, "an integer"))
            .and_then(|i| parse_int(param, &i.to_string()))
            .map(ParamValue::Int),
        (DataType::Boolean, Value::Bool(b)) => Ok(ParamValue::Bool(*b)),
        (_, other) => match scalar(other) {
            Some(text) => from_text(param, &text),
            None => Err(invalid(param, param.data_type.as_str())),
        },
    }
}

fn default(param: &Param) -> Option<ParamValue> {
    Some(match param.default? {
        DefaultValue::Str(s) => ParamValue::Text(s.to_owned()),
        DefaultValue::Int(i) => ParamValue::Int(i),
        DefaultValue::Bool(b) => ParamValue::Bool(b),
    })
}

fn check_allowed(param: &Param, value: &ParamValue) -> Result<(), AriError> {
    match (param.allowable, value) {
        (Some(Allowable::List(allowed)), ParamValue::Text(s)) if !allowed.contains(&s.as_str()) => Err(
            AriError::BadRequest(format!("Invalid value for {}: {s} is not one of {}", param.name, allowed.join(", "))),
        ),
        (Some(Allowable::List(allowed)), ParamValue::List(items)) => {
            match items.iter().find(|i| !allowed.contains(&i.as_str())) {
                Some(bad) => Err(AriError::BadRequest(format!(
                    "Invalid value for {}: {bad} is not one of {}",
                    param.name,
                    allowed.join(", ")
                ))),
                None => Ok(()),
            }
        }
        (Some(Allowable::AtLeast(min)), ParamValue::Int(i)) if *i < min => {
            Err(AriError::BadRequest(format!("Invalid value for {}: must be at least {min}", param.name)))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::resolve;
    use axum::http::Method;

    fn check(
        method: Method,
        path: &str,
        query: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> Result<Params, AriError> {
        let route = resolve(path, &method)?;
        RawParams::read(Some(query), content_type, body.as_bytes())?.check(route.operation, &route.path_params)
    }

    #[test]
    fn query_form_and_json_bodies_all_carry_parameters() {
        let q = check(Method::POST, "asterisk/variable", "variable=a&value=1", None, "").expect("query");
        assert_eq!((q.text("variable"), q.text("value")), (Some("a"), Some("1")));
        let f = check(
            Method::POST,
            "asterisk/variable",
            "",
            Some("application/x-www-form-urlencoded"),
            "variable=b&value=2",
        )
        .expect("form");
        assert_eq!((f.text("variable"), f.text("value")), (Some("b"), Some("2")));
        let j = check(
            Method::POST,
            "asterisk/variable",
            "variable=x",
            Some("application/json; charset=utf-8"),
            r#"{"variable":"c"}"#,
        )
        .expect("json");
        assert_eq!(j.text("variable"), Some("c"), "JSON overrides the query");
    }

    #[test]
    fn odd_bodies_carry_nothing_and_bad_json_is_400() {
        for (content_type, body) in
            [(Some("application/json"), "[]"), (Some("application/json"), ""), (Some("application/octet-stream"), "")]
        {
            let p = check(Method::DELETE, "channels/c1", "", content_type, body).expect("accepted");
            assert_eq!(p.text("channelId"), Some("c1"));
        }
        let error = check(Method::POST, "channels/c1/answer", "", Some("application/json"), "{nope").unwrap_err();
        assert_eq!(error, AriError::bad_request("Error parsing request body"));
    }

    #[test]
    fn missing_required_values_are_refused_with_asterisks_text_where_known() {
        let error = check(Method::GET, "asterisk/variable", "", None, "").unwrap_err();
        assert_eq!(error, AriError::bad_request("Variable name is required"));
        let error = check(Method::PUT, "deviceStates/Custom:a", "", None, "").unwrap_err();
        assert_eq!(error, AriError::bad_request("Missing parameter deviceState"));
    }

    #[test]
    fn types_and_allowed_values_are_checked_and_defaults_applied() {
        let p = check(Method::POST, "channels/c/dtmf", "dtmf=12&between=250", None, "").expect("dtmf");
        assert_eq!((p.int("between"), p.int("before"), p.int("duration")), (Some(250), Some(0), Some(100)));
        assert!(matches!(
            check(Method::POST, "channels/c/dtmf", "between=soon", None, ""),
            Err(AriError::BadRequest(_))
        ));
        assert!(matches!(check(Method::DELETE, "channels/c", "reason=bored", None, ""), Err(AriError::BadRequest(_))));
        assert!(matches!(
            check(Method::POST, "channels/c/record", "name=a&format=wav&maxDurationSeconds=-1", None, ""),
            Err(AriError::BadRequest(_))
        ));
        let p = check(Method::POST, "channels/c/variable", "variable=v&report_events=yes", None, "").expect("bool");
        assert_eq!(p.bool("report_events"), Some(true));
        assert!(matches!(
            check(Method::POST, "channels/c/variable", "variable=v&report_events=maybe", None, ""),
            Err(AriError::BadRequest(_))
        ));
        let p = check(Method::POST, "channels/c/dtmf", "", Some("application/json"), r#"{"between": 7, "dtmf": "1"}"#)
            .expect("json int");
        assert_eq!(p.int("between"), Some(7));
    }

    #[test]
    fn lists_come_comma_separated_or_as_json_arrays() {
        let p = check(Method::POST, "channels/c/play", "media=sound:a,sound:b", None, "").expect("query list");
        assert_eq!(p.list("media").map(<[String]>::to_vec), Some(vec!["sound:a".to_owned(), "sound:b".to_owned()]));
        let p = check(Method::POST, "channels/c/play", "", Some("application/json"), r#"{"media": ["sound:a"]}"#)
            .expect("array");
        assert_eq!(p.list("media").map(<[String]>::len), Some(1));
        assert!(check(Method::GET, "asterisk/info", "only=build,nonsense", None, "").is_err());
    }

    #[test]
    fn variables_objects_are_body_parameters() {
        let body = r#"{"variables": {"A": "1"}, "application": "app"}"#;
        let p = check(Method::POST, "events/user/ping", "", Some("application/json"), body).expect("variables");
        assert_eq!(p.json("variables"), Some(&serde_json::json!({"A": "1"})));
        assert_eq!(p.text("application"), Some("app"));
        assert!(check(
            Method::POST,
            "events/user/ping",
            "application=a",
            Some("application/json"),
            r#"{"variables": 3}"#
        )
        .is_err());
    }
}
