//! Syntactic validation of request bodies, with Laravel's rules and messages, which SARK
//! clients already parse. Checks that need the store (`exists`, destinations) are made by
//! the engine inside the request's transaction.

use super::draft::{Draft, SlotValue};
use super::model::{Access, Creator, Field, Kind, OnCreate, Resource, Rule};
use super::FieldErrors;
use crate::secrets;
use regex::Regex;
use sb_store::Value;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

/// Text longer than this is refused unless the field sets its own `max`.
pub const DEFAULT_MAX_TEXT: i64 = 255;

/// Names a client may send back from a read without meaning to change them.
const STAMPS: &[&str] = &["z_created", "z_updated", "z_updater"];

/// What the installation says about secrets it generates (sysglobals `PWDLEN`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SecretPolicy {
    /// Length of generated passwords, overriding each field's default.
    pub password_len: Option<usize>,
}

/// Whether a body creates an item or updates the one at `key`.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    /// Create through this creator, generating secrets by the policy.
    Create(&'a Creator, SecretPolicy),
    /// Update the item with this key.
    Update(&'a str),
}

/// The attribute name as Laravel prints it in messages.
pub fn attribute(name: &str) -> String {
    name.replace('_', " ")
}

fn regex(pattern: &'static str) -> Option<Regex> {
    static CACHE: OnceLock<RwLock<HashMap<&'static str, Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(re) = cache.read().ok()?.get(pattern) {
        return Some(re.clone());
    }
    let re = Regex::new(pattern).ok()?;
    cache.write().ok()?.insert(pattern, re.clone());
    Some(re)
}

/// Turns a JSON value into the field's stored type. `""` counts as null, as Laravel's
/// `ConvertEmptyStringsToNull` makes it.
fn coerce(field: &Field, json: &Json) -> Result<Value, String> {
    let attr = attribute(field.name);
    match (field.kind, json) {
        (_, Json::Null) => Ok(Value::Null),
        (_, Json::String(s)) if s.trim().is_empty() => Ok(Value::Null),
        (Kind::Int, Json::Number(n)) => n.as_i64().map(Value::Int).ok_or(format!("The {attr} must be an integer.")),
        (Kind::Int, Json::String(s)) => {
            let s = s.trim();
            let plain = !s.is_empty() && s.trim_start_matches('-').chars().all(|c| c.is_ascii_digit());
            match s.parse::<i64>() {
                Ok(i) if plain => Ok(Value::Int(i)),
                _ => Err(format!("The {attr} must be an integer.")),
            }
        }
        (Kind::Text, Json::String(s)) => Ok(Value::Text(s.trim().to_owned())),
        (Kind::Text, Json::Number(n)) => Ok(Value::Text(n.to_string())),
        (Kind::Int, _) => Err(format!("The {attr} must be an integer.")),
        (Kind::Text, _) => Err(format!("The {attr} must be a string.")),
    }
}

/// Checks one non-null value against the field's rules; answers the first failure.
pub fn check(field: &Field, value: &Value) -> Result<(), String> {
    let attr = attribute(field.name);
    let text = match value {
        Value::Null => return Ok(()),
        Value::Int(i) => i.to_string(),
        Value::Text(s) => s.clone(),
    };
    let max_len = field.rules.iter().find_map(|r| match r {
        Rule::Max(n) if field.kind == Kind::Text => Some(*n),
        _ => None,
    });
    if field.kind == Kind::Text {
        let limit = max_len.unwrap_or(DEFAULT_MAX_TEXT);
        if text.chars().count() as i64 > limit {
            return Err(format!("The {attr} may not be greater than {limit} characters."));
        }
        let multiline = limit > DEFAULT_MAX_TEXT;
        if text.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
            return Err(format!("The {attr} may not contain control characters."));
        }
    }
    for rule in field.rules {
        if let Rule::Parsed(parse) = rule {
            parse(&text)?;
            continue;
        }
        let ok = match rule {
            Rule::Nullable | Rule::Exists(_) | Rule::Destination { .. } | Rule::Parsed(_) => true,
            Rule::DigitString { plus } => {
                let digits = if *plus { text.strip_prefix('+').unwrap_or(&text) } else { &text };
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
            }
            Rule::Digits(n) => text.len() == *n && text.chars().all(|c| c.is_ascii_digit()),
            Rule::AlphaDash => text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            Rule::AlphaNum => text.chars().all(|c| c.is_ascii_alphanumeric()),
            Rule::Alpha => text.chars().all(|c| c.is_ascii_alphabetic()),
            Rule::Email => is_email(&text),
            Rule::In(allowed) => allowed.contains(&text.as_str()),
            Rule::Regex(pattern) => match regex(pattern) {
                Some(re) => re.is_match(&text),
                None => {
                    tracing::error!(pattern, "catalogue regex does not compile");
                    false
                }
            },
            Rule::Min(n) => match value {
                Value::Int(i) => i >= n,
                _ => text.chars().count() as i64 >= *n,
            },
            Rule::Max(n) => match value {
                Value::Int(i) => i <= n,
                _ => true, // lengths were checked above
            },
        };
        if !ok {
            return Err(message(rule, &attr, value));
        }
    }
    Ok(())
}

fn message(rule: &Rule, attr: &str, value: &Value) -> String {
    let numeric = matches!(value, Value::Int(_));
    match rule {
        Rule::DigitString { plus: false } => format!("The {attr} must be an integer."),
        Rule::DigitString { plus: true } | Rule::Regex(_) => format!("The {attr} format is invalid."),
        Rule::Digits(n) => format!("The {attr} must be {n} digits."),
        Rule::AlphaDash => format!("The {attr} may only contain letters, numbers, dashes and underscores."),
        Rule::AlphaNum => format!("The {attr} may only contain letters and numbers."),
        Rule::Alpha => format!("The {attr} may only contain letters."),
        Rule::Email => format!("The {attr} must be a valid email address."),
        Rule::In(_) | Rule::Exists(_) | Rule::Destination { .. } => format!("The selected {attr} is invalid."),
        Rule::Min(n) if numeric => format!("The {attr} must be at least {n}."),
        Rule::Min(n) => format!("The {attr} must be at least {n} characters."),
        Rule::Max(n) if numeric => format!("The {attr} may not be greater than {n}."),
        Rule::Max(n) => format!("The {attr} may not be greater than {n} characters."),
        Rule::Nullable | Rule::Parsed(_) => format!("The {attr} is invalid."),
    }
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c == ',' || c == ';' || c == '<' || c == '>')
}

/// Coerces and checks a value for `field`, recording a failure under `wire`.
fn accept(field: &Field, wire: &str, json: &Json, errors: &mut FieldErrors) -> Option<Value> {
    let value = match coerce(field, json) {
        Ok(v) => v,
        Err(msg) => {
            errors.add(wire, msg);
            return None;
        }
    };
    if value == Value::Null && !field.nullable() {
        let attr = attribute(wire);
        let msg = match field.create {
            OnCreate::Required => format!("The {attr} field is required."),
            _ => format!("The {attr} field must have a value."),
        };
        errors.add(wire, msg);
        return None;
    }
    match check(field, &value) {
        Ok(()) => Some(value),
        Err(msg) => {
            errors.add(wire, msg.replacen(&attribute(field.name), &attribute(wire), 1));
            None
        }
    }
}

/// Splits `queue3` into the slot group field `queue` and slot 3, if it is one.
fn find_slot(resource: &Resource, wire: &str) -> Option<(usize, &'static Field, u8)> {
    let digits_at = wire.find(|c: char| c.is_ascii_digit())?;
    let (base, number) = wire.split_at(digits_at);
    if number.len() > 1 && number.starts_with('0') {
        return None;
    }
    let slot: u8 = number.parse().ok()?;
    resource.slots.iter().enumerate().find_map(|(g, group)| {
        let field = group.fields.iter().find(|f| f.name == base)?;
        (group.slots.0..=group.slots.1).contains(&slot).then_some((g, field, slot))
    })
}

/// Parses a request body for `resource` into a [`Draft`] of the acceptable fields, and
/// the failures of the others (so that reference checks can still name theirs).
pub fn parse(resource: &Resource, body: &Map<String, Json>, mode: Mode<'_>) -> (Draft, FieldErrors) {
    let mut draft = Draft::default();
    let mut errors = FieldErrors::default();
    let presets = match mode {
        Mode::Create(creator, _) => creator.presets,
        Mode::Update(_) => &[],
    };
    for (wire, json) in body {
        if let Some(field) = resource.field(wire) {
            match (field.access, mode) {
                (Access::ReadOnly, _) => continue,
                _ if presets.iter().any(|(name, _)| name == wire) => {
                    errors.add(wire, format!("The {} field is set by this endpoint.", attribute(wire)));
                    continue;
                }
                (Access::CreateOnly, Mode::Update(key)) => {
                    let same_key = wire == resource.key_name() && json_text(json).as_deref() == Some(key);
                    if !same_key {
                        errors.add(wire, format!("The {} field cannot be changed.", attribute(wire)));
                    }
                    continue;
                }
                _ => {}
            }
            if let Some(value) = accept(field, wire, json, &mut errors) {
                draft.values.push((field, value));
            }
        } else if let Some((group, field, slot)) = find_slot(resource, wire) {
            if field.access == Access::ReadOnly {
                continue;
            }
            // Slots are always optional: null clears one.
            let value = match coerce(field, json) {
                Ok(Value::Null) => Some(Value::Null),
                Ok(v) => match check(field, &v) {
                    Ok(()) => Some(v),
                    Err(msg) => {
                        errors.add(wire, msg.replacen(&attribute(field.name), &attribute(wire), 1));
                        None
                    }
                },
                Err(msg) => {
                    errors.add(wire, msg.replacen(&attribute(field.name), &attribute(wire), 1));
                    None
                }
            };
            if let Some(value) = value {
                draft.slots.push(SlotValue { group, slot, field, value });
            }
        } else if let Some(index) = resource.lists.iter().position(|l| l.wire == wire) {
            if let Some(items) = parse_list(resource, index, json, &mut errors) {
                draft.lists.push((index, items));
            }
        } else if STAMPS.contains(&wire.as_str()) || (wire == "id" && resource.key_name() == "id") {
            continue;
        } else {
            errors.add(wire, format!("The {} field is not a field of {}.", attribute(wire), resource.name));
        }
    }
    if let Mode::Create(creator, policy) = mode {
        complete_create(resource, creator, policy, &mut draft, &mut errors);
    }
    (draft, errors)
}

fn json_text(json: &Json) -> Option<String> {
    match json {
        Json::String(s) => Some(s.trim().to_owned()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_list(resource: &Resource, index: usize, json: &Json, errors: &mut FieldErrors) -> Option<Vec<String>> {
    let list = &resource.lists[index];
    let attr = attribute(list.wire);
    let items: Vec<String> = match json {
        Json::Null => Vec::new(),
        Json::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        Json::Number(n) => vec![n.to_string()],
        Json::Array(values) => {
            let mut items = Vec::new();
            for v in values {
                match json_text(v) {
                    Some(t) => items.push(t),
                    None => {
                        errors.add(list.wire, format!("The {attr} must be a list of strings."));
                        return None;
                    }
                }
            }
            items
        }
        _ => {
            errors.add(list.wire, format!("The {attr} must be a string."));
            return None;
        }
    };
    if items.len() > list.max_items {
        errors.add(list.wire, format!("The {attr} may not have more than {} items.", list.max_items));
        return None;
    }
    let re = regex(list.item_pattern);
    if items.iter().any(|item| !re.as_ref().is_some_and(|re| re.is_match(item))) {
        errors.add(list.wire, format!("The {attr} format is invalid."));
        return None;
    }
    Some(items)
}

fn complete_create(resource: &Resource, creator: &Creator, policy: SecretPolicy, draft: &mut Draft, errors: &mut FieldErrors) {
    for field in resource.fields {
        if let Some((_, value)) = creator.presets.iter().find(|(name, _)| *name == field.name) {
            draft.values.push((field, Value::Text((*value).to_owned())));
            continue;
        }
        let given = draft.get(field.name).is_some_and(|v| *v != Value::Null);
        let required = matches!(field.create, OnCreate::Required) || creator.requires.contains(&field.name);
        if given || errors.has(field.name) {
            continue;
        }
        if required {
            errors.add(field.name, format!("The {} field is required.", attribute(field.name)));
            continue;
        }
        let value = match field.create {
            OnCreate::Default(text) => match field.kind {
                Kind::Int => text.parse::<i64>().map(Value::Int).unwrap_or(Value::Null),
                Kind::Text => Value::Text(text.to_owned()),
            },
            OnCreate::Generate(generator) => {
                let secret = match generator {
                    super::model::Generator::Password(len) => secrets::password(policy.password_len.unwrap_or(len)),
                    super::model::Generator::Pin(len) => secrets::pin(len),
                    super::model::Generator::Token(bytes) => secrets::hex_token(bytes),
                };
                draft.generated.push((field.name, secret.clone()));
                Value::Text(secret)
            }
            _ => continue,
        };
        draft.values.retain(|(f, _)| f.name != field.name);
        draft.values.push((field, value));
    }
}

/// Parses a flat body against a plain field list (sysglobals, runtime settings); every
/// field is optional and unknown names are refused.
pub fn parse_flat(fields: &'static [Field], body: &Map<String, Json>, what: &str) -> Result<Vec<(&'static Field, Value)>, FieldErrors> {
    let mut values = Vec::new();
    let mut errors = FieldErrors::default();
    for (wire, json) in body {
        match fields.iter().find(|f| f.name == wire) {
            Some(field) if field.access == Access::ReadOnly => {}
            Some(field) => {
                if let Some(value) = accept(field, wire, json, &mut errors) {
                    values.push((field, value));
                }
            }
            None => errors.add(wire, format!("The {} field is not a field of {what}.", attribute(wire))),
        }
    }
    errors.into_result(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provisioning::catalogue::resource;
    use serde_json::json;

    fn body(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn plain(r: &Resource) -> &Creator {
        r.creators.iter().find(|c| c.path.is_none()).unwrap()
    }

    #[test]
    fn create_names_every_bad_field_with_laravel_messages() {
        let agents = resource("agents").unwrap();
        let (_, errors) = parse(agents, &body(json!({"pkey": "99", "name": "bad name", "queue7": "x", "passwd": 12})), Mode::Create(plain(agents), SecretPolicy::default()));
        let json = errors.to_json();
        assert_eq!(json["pkey"][0], "The pkey format is invalid.");
        assert_eq!(json["name"][0], "The name may only contain letters, numbers, dashes and underscores.");
        assert_eq!(json["queue7"][0], "The queue7 field is not a field of agents.");
        assert_eq!(json["cluster"][0], "The cluster field is required.");
        assert!(json.get("passwd").is_some(), "a 2-digit PIN is too short");
    }

    #[test]
    fn integers_accept_numbers_and_numeric_strings_only() {
        let tenants = resource("tenants").unwrap();
        let creator = plain(tenants);
        let ok = body(json!({"pkey": "t1", "description": "d", "chanmax": "12", "abstimeout": 60}));
        let (draft, errors) = parse(tenants, &ok, Mode::Create(creator, SecretPolicy::default()));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(draft.get("chanmax"), Some(&Value::Int(12)));
        for bad in [json!("12a"), json!(1.5), json!(true), json!({"a": 1}), json!([1])] {
            let (_, errors) = parse(tenants, &body(json!({"chanmax": bad})), Mode::Update("t1"));
            assert_eq!(errors.to_json()["chanmax"][0], "The chanmax must be an integer.", "{bad}");
        }
        let (_, errors) = parse(tenants, &body(json!({"chanmax": -1})), Mode::Update("t1"));
        assert_eq!(errors.to_json()["chanmax"][0], "The chanmax must be at least 0.");
    }

    #[test]
    fn empty_strings_are_null_and_null_needs_nullable() {
        let ext = resource("extensions").unwrap();
        let (draft, errors) = parse(ext, &body(json!({"vmailfwd": "", "callerid": null})), Mode::Update("1001"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(draft.get("vmailfwd"), Some(&Value::Null));
        let (_, errors) = parse(ext, &body(json!({"active": ""})), Mode::Update("1001"));
        assert_eq!(errors.to_json()["active"][0], "The active field must have a value.");
    }

    #[test]
    fn create_fills_defaults_presets_and_generates_secrets_once() {
        let ext = resource("extensions").unwrap();
        let webrtc = ext.creators.iter().find(|c| c.path == Some("webrtc")).unwrap();
        let (draft, errors) = parse(ext, &body(json!({"pkey": "1001", "cluster": "default"})), Mode::Create(webrtc, SecretPolicy::default()));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(draft.text("transport"), Some("wss"));
        assert_eq!(draft.text("device"), Some("WebRTC"));
        assert_eq!(draft.text("active"), Some("YES"));
        let (name, secret) = &draft.generated[0];
        assert_eq!(*name, "passwd");
        assert_eq!(draft.text("passwd"), Some(secret.as_str()));
        assert!(secret.len() >= 12);
        let (_, errors) = parse(ext, &body(json!({"pkey": "1001", "cluster": "default", "transport": "udp"})), Mode::Create(webrtc, SecretPolicy::default()));
        assert_eq!(errors.to_json()["transport"][0], "The transport field is set by this endpoint.");
    }

    #[test]
    fn the_policy_sets_generated_password_length() {
        let ext = resource("extensions").unwrap();
        let creator = ext.creators.iter().find(|c| c.path == Some("unprovisioned")).unwrap();
        let policy = SecretPolicy { password_len: Some(32) };
        let (draft, errors) = parse(ext, &body(json!({"pkey": "1001", "cluster": "default"})), Mode::Create(creator, policy));
        assert!(errors.is_empty());
        assert_eq!(draft.text("passwd").map(str::len), Some(32));
    }

    #[test]
    fn keys_cannot_change_and_read_only_fields_are_ignored() {
        let ext = resource("extensions").unwrap();
        let (draft, errors) = parse(ext, &body(json!({"pkey": "1001", "device": "x", "z_created": "t"})), Mode::Update("1001"));
        assert!(errors.is_empty() && draft.values.is_empty(), "{errors:?}");
        let (_, errors) = parse(ext, &body(json!({"pkey": "1002"})), Mode::Update("1001"));
        assert_eq!(errors.to_json()["pkey"][0], "The pkey field cannot be changed.");
    }

    #[test]
    fn slots_and_lists_parse_into_child_rows() {
        let ivrs = resource("ivrs").unwrap();
        let (draft, errors) = parse(ivrs, &body(json!({"option0": "1001", "tag11": "hash", "option12": "x", "option01": "x", "routeclass3": 9})), Mode::Update("m"));
        let json = errors.to_json();
        assert!(json.get("option12").is_some() && json.get("option01").is_some());
        assert_eq!(draft.slots.len(), 2, "routeclass3 is read-only and ignored");
        let rg = resource("ringgroups").unwrap();
        let (draft, errors) = parse(rg, &body(json!({"out": " 1001  1002 07700900123 "})), Mode::Update("g"));
        assert!(errors.is_empty());
        assert_eq!(draft.lists[0].1, vec!["1001", "1002", "07700900123"]);
        let (_, errors) = parse(rg, &body(json!({"out": "1001 ;rm"})), Mode::Update("g"));
        assert_eq!(errors.to_json()["out"][0], "The out format is invalid.");
    }

    #[test]
    fn text_limits_and_control_characters() {
        let tenants = resource("tenants").unwrap();
        let long = "x".repeat(256);
        let (_, errors) = parse(tenants, &body(json!({"description": long})), Mode::Update("t"));
        assert_eq!(errors.to_json()["description"][0], "The description may not be greater than 255 characters.");
        let (_, errors) = parse(tenants, &body(json!({"description": "a\r\nInjected: yes"})), Mode::Update("t"));
        assert_eq!(errors.to_json()["description"][0], "The description may not contain control characters.");
        let queues = resource("queues").unwrap();
        let (_, errors) = parse(queues, &body(json!({"conf": "strategy=ringall\ntimeout=30"})), Mode::Update("q"));
        assert!(errors.is_empty(), "multi-line settings are allowed: {errors:?}");
        let (_, errors) = parse(queues, &body(json!({"conf": "strategy=ringall\n#include /etc/passwd"})), Mode::Update("q"));
        assert_eq!(errors.to_json()["conf"][0], "The conf format is invalid.");
    }

    #[test]
    fn custom_apps_accept_only_safe_applications() {
        let apps = resource("customapps").unwrap();
        let ok = "Answer()\nPlayback(hello-world)\nStasis(demo,arg1)\nHangup()";
        let (_, errors) = parse(apps, &body(json!({"extcode": ok})), Mode::Update("a"));
        assert!(errors.is_empty(), "{errors:?}");
        for bad in ["System(rm -rf /)", "Answer()\nSystem(id)", "Playback(x);System(id)", "exten => s,1,System(id)"] {
            let (_, errors) = parse(apps, &body(json!({"extcode": bad})), Mode::Update("a"));
            assert!(errors.has("extcode"), "{bad} accepted");
        }
    }

    #[test]
    fn day_timer_timespan_is_anchored() {
        let timers = resource("daytimers").unwrap();
        for ok in ["*", "09:00-17:30", "00:00-23:59"] {
            let (_, errors) = parse(timers, &body(json!({"timespan": ok})), Mode::Update("1"));
            assert!(errors.is_empty(), "{ok}");
        }
        // SARK's regex accepted anything starting with `*` through a precedence slip.
        for bad in ["*junk", "24:00-25:00", "9:00-17:00", "09:00-17:00x"] {
            let (_, errors) = parse(timers, &body(json!({"timespan": bad})), Mode::Update("1"));
            assert!(errors.has("timespan"), "{bad} accepted");
        }
    }

    #[test]
    fn flat_fields_refuse_unknown_names() {
        let globals = crate::provisioning::catalogue::SYSGLOBALS;
        let err = parse_flat(globals, &body(json!({"NOPE": "1", "LOGLEVEL": "2"})), "sysglobals").unwrap_err();
        assert_eq!(err.to_json()["NOPE"][0], "The NOPE field is not a field of sysglobals.");
        let ok = parse_flat(globals, &body(json!({"LOGLEVEL": "2", "EMERGENCY": "999 112"})), "sysglobals").unwrap();
        assert_eq!(ok.len(), 2);
    }
}
