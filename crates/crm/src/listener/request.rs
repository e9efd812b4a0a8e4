//! What a CRM asks on port 5058, parsed sans-IO from the three shapes salara accepted: a
//! JSON object in the body, form fields (`operator=…&phone=…&msg=…`) in the body or the
//! query string, and salara's "GET form" where the fields are the path itself
//! (`GET /operator=8003&phone=000&msg=hi`). Unlike salara, form values are URL-decoded, and
//! a value that is too long or of the wrong type is refused rather than cut or guessed.
//!
//! The dispatch follows salara's order: `operator` (with `phone`, and `msg` for a text
//! message) → `exten` → `peer` → `chan`. Key names are salara's shipped ones (`exten`,
//! `chan`) and its compiled-in ones (`extension`, `channel`).

use serde_json::{Map, Value as Json};
use thiserror::Error;

/// Longest value accepted: salara's `AST_MAX_EXTENSION` (80) less its terminator.
pub const MAX_VALUE_LEN: usize = 79;

/// Longest text message, in bytes: what fits a SIP MESSAGE over UDP with room for headers.
pub const MAX_MESSAGE_LEN: usize = 1024;

/// One request to the CRM bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrmRequest {
    /// Click-to-call: ring `operator`, then connect them to `phone`.
    MakeCall {
        /// The extension to ring first.
        operator: String,
        /// The number to call once the operator answers.
        phone: String,
        /// The dialplan context salara checked the operator's state in (kept for logs).
        context: Option<String>,
    },
    /// A text message (SIP MESSAGE) to `operator`'s phones, from `phone`.
    SendMessage {
        /// The extension whose phones get the message.
        operator: String,
        /// Who the message says it is from.
        phone: String,
        /// The text.
        msg: String,
        /// The context salara checked the operator's state in (kept for logs).
        context: Option<String>,
    },
    /// The state of an extension (Idle, InUse, Ringing, …).
    ExtensionState {
        /// The extension.
        exten: String,
    },
    /// Whether a SIP peer is reachable.
    PeerState {
        /// The peer: an extension number.
        peer: String,
    },
    /// The state of a channel, by name.
    ChannelState {
        /// The channel's name, e.g. `PJSIP/1001-0000000a`.
        chan: String,
    },
}

/// Why a request could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    /// None of `operator`, `exten`, `peer` or `chan` was given.
    #[error("nothing to do: give operator (with phone), exten, peer or chan")]
    NothingToDo,
    /// A field the request needs is missing.
    #[error("{0} is required")]
    Missing(&'static str),
    /// A field is neither a string nor an integer, or is empty.
    #[error("{0} must be a non-empty string or integer")]
    WrongType(String),
    /// A field is longer than [`MAX_VALUE_LEN`] (or [`MAX_MESSAGE_LEN`] for `msg`).
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// The field.
        field: String,
        /// Its limit.
        max: usize,
    },
    /// A number or channel name holds characters no dial string has.
    #[error("{0} holds characters not allowed there")]
    BadCharacters(&'static str),
    /// The body is neither JSON nor form fields.
    #[error("the body is neither a JSON object nor form fields")]
    Unreadable,
}

/// The fields of a request, from whichever shape it came in.
#[derive(Debug, Default)]
struct Fields {
    pairs: Vec<(String, String)>,
}

impl Fields {
    /// The value of the first of `names` present.
    fn get(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|name| self.pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str()))
    }
}

impl CrmRequest {
    /// Parses a JSON body. Values may be strings or integers, as salara accepted.
    pub fn from_json(body: &[u8]) -> Result<CrmRequest, RequestError> {
        let object: Map<String, Json> = serde_json::from_slice(body).map_err(|_| RequestError::Unreadable)?;
        let mut fields = Fields::default();
        for (key, value) in object {
            if !KNOWN_KEYS.contains(&key.as_str()) {
                // salara ignored other keys; so do we (a CRM may send its own bookkeeping).
                continue;
            }
            let text = match value {
                Json::String(text) if !text.is_empty() => text,
                Json::Number(number) if number.is_u64() => number.to_string(),
                _ => return Err(RequestError::WrongType(key)),
            };
            fields.pairs.push((key, text));
        }
        CrmRequest::from_fields(&fields)
    }

    /// Parses form fields: `operator=8003&phone=000&msg=hi`, URL-encoded or not. A leading
    /// `/` or `?` (salara's GET form puts the fields in the path) is skipped.
    pub fn from_form(text: &str) -> Result<CrmRequest, RequestError> {
        let text = text.trim_start_matches(['/', '?']);
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).map_err(|_| RequestError::Unreadable)?;
        let fields =
            Fields { pairs: pairs.into_iter().filter(|(key, _)| KNOWN_KEYS.contains(&key.as_str())).collect() };
        for (key, value) in &fields.pairs {
            if value.is_empty() {
                return Err(RequestError::WrongType(key.clone()));
            }
        }
        CrmRequest::from_fields(&fields)
    }

    /// Picks the request salara would have dispatched, and checks its values.
    fn from_fields(fields: &Fields) -> Result<CrmRequest, RequestError> {
        let context = fields.get(&["context"]).map(|value| dial_string(value, "context")).transpose()?;
        if let Some(operator) = fields.get(&["operator"]) {
            let operator = dial_string(operator, "operator")?;
            let phone = dial_string(fields.get(&["phone"]).ok_or(RequestError::Missing("phone"))?, "phone")?;
            return Ok(match fields.get(&["msg"]) {
                Some(msg) if msg.len() > MAX_MESSAGE_LEN => {
                    return Err(RequestError::TooLong { field: "msg".into(), max: MAX_MESSAGE_LEN })
                }
                Some(msg) => CrmRequest::SendMessage { operator, phone, msg: msg.to_owned(), context },
                None => CrmRequest::MakeCall { operator, phone, context },
            });
        }
        if let Some(exten) = fields.get(&["exten", "extension"]) {
            return Ok(CrmRequest::ExtensionState { exten: dial_string(exten, "exten")? });
        }
        if let Some(peer) = fields.get(&["peer"]) {
            return Ok(CrmRequest::PeerState { peer: dial_string(peer, "peer")? });
        }
        if let Some(chan) = fields.get(&["chan", "channel"]) {
            return Ok(CrmRequest::ChannelState { chan: channel_name(chan)? });
        }
        Err(RequestError::NothingToDo)
    }
}

/// Every key a request may carry.
const KNOWN_KEYS: [&str; 9] = ["operator", "phone", "msg", "exten", "extension", "peer", "chan", "channel", "context"];

/// A number, extension or context: what a dial string may hold (digits, letters, `+*#._-`).
fn dial_string(value: &str, field: &'static str) -> Result<String, RequestError> {
    if value.chars().count() > MAX_VALUE_LEN {
        return Err(RequestError::TooLong { field: field.into(), max: MAX_VALUE_LEN });
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b"+*#._-".contains(&b)) {
        return Err(RequestError::BadCharacters(field));
    }
    Ok(value.to_owned())
}

/// A channel name: a technology, a slash, and a dial string (`PJSIP/1001-0000000a`).
fn channel_name(value: &str) -> Result<String, RequestError> {
    if value.chars().count() > MAX_VALUE_LEN {
        return Err(RequestError::TooLong { field: "chan".into(), max: MAX_VALUE_LEN });
    }
    let (technology, rest) = value.split_once('/').ok_or(RequestError::BadCharacters("chan"))?;
    let valid = !technology.is_empty()
        && technology.bytes().all(|b| b.is_ascii_alphanumeric())
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"+*#._-@;".contains(&b));
    valid.then(|| value.to_owned()).ok_or(RequestError::BadCharacters("chan"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<CrmRequest, RequestError> {
        CrmRequest::from_json(text.as_bytes())
    }

    #[test]
    fn salara_readme_examples_parse() {
        assert_eq!(
            json(r#"{"operator":"8003","phone":"0000","context":"alnik"}"#),
            Ok(CrmRequest::MakeCall { operator: "8003".into(), phone: "0000".into(), context: Some("alnik".into()) })
        );
        assert_eq!(
            json(r#"{"operator":8003,"phone":"8002","msg":"text","context":"general"}"#),
            Ok(CrmRequest::SendMessage {
                operator: "8003".into(),
                phone: "8002".into(),
                msg: "text".into(),
                context: Some("general".into())
            })
        );
        assert_eq!(
            json(r#"{"exten":"8003","context":"alnik"}"#),
            Ok(CrmRequest::ExtensionState { exten: "8003".into() })
        );
        assert_eq!(json(r#"{"peer":"8003"}"#), Ok(CrmRequest::PeerState { peer: "8003".into() }));
        assert_eq!(
            json(r#"{"chan":"SIP/8003-00000020"}"#),
            Ok(CrmRequest::ChannelState { chan: "SIP/8003-00000020".into() })
        );
    }

    #[test]
    fn the_form_and_the_get_form_parse_and_decode() {
        let expected = CrmRequest::SendMessage {
            operator: "8003".into(),
            phone: "000".into(),
            msg: "hi there".into(),
            context: None,
        };
        assert_eq!(CrmRequest::from_form("/operator=8003&phone=000&msg=hi%20there"), Ok(expected.clone()));
        assert_eq!(CrmRequest::from_form("operator=8003&phone=000&msg=hi+there"), Ok(expected));
        assert_eq!(CrmRequest::from_form("?extension=1001"), Ok(CrmRequest::ExtensionState { exten: "1001".into() }));
    }

    #[test]
    fn salara_dispatch_order_operator_first() {
        assert!(matches!(json(r#"{"exten":"1","operator":"2","phone":"3"}"#), Ok(CrmRequest::MakeCall { .. })));
        assert!(matches!(json(r#"{"chan":"PJSIP/1-1","peer":"2"}"#), Ok(CrmRequest::PeerState { .. })));
        assert_eq!(json(r#"{"other":"x"}"#), Err(RequestError::NothingToDo));
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        assert_eq!(json(r#"{"operator":"8003"}"#), Err(RequestError::Missing("phone")));
        assert_eq!(json(r#"{"exten":["1"]}"#), Err(RequestError::WrongType("exten".into())));
        assert_eq!(json(r#"{"exten":""}"#), Err(RequestError::WrongType("exten".into())));
        assert_eq!(json(r#"{"exten":-5}"#), Err(RequestError::WrongType("exten".into())));
        assert_eq!(json(r#"{"exten":"1001\r\nVia: x"}"#), Err(RequestError::BadCharacters("exten")));
        assert_eq!(json(r#"{"chan":"no-slash"}"#), Err(RequestError::BadCharacters("chan")));
        let long = "1".repeat(MAX_VALUE_LEN + 1);
        assert_eq!(
            json(&format!(r#"{{"peer":"{long}"}}"#)),
            Err(RequestError::TooLong { field: "peer".into(), max: MAX_VALUE_LEN })
        );
        let msg = "x".repeat(MAX_MESSAGE_LEN + 1);
        assert!(matches!(
            json(&format!(r#"{{"operator":"1","phone":"2","msg":"{msg}"}}"#)),
            Err(RequestError::TooLong { .. })
        ));
        assert_eq!(json("[1,2]"), Err(RequestError::Unreadable));
        assert_eq!(json("{"), Err(RequestError::Unreadable));
        assert_eq!(CrmRequest::from_form("exten="), Err(RequestError::WrongType("exten".into())));
    }
}
