//! The CRM routing lookup over HTTP, as salara's dialplan application asked it: `GET`
//! `lookup_url` + the URL-encoded caller id when the URL holds `?phone=`, else `POST`
//! `{"phone": caller id}`; the extension is the answer's `lookup_key` value (a JSON string
//! or integer). Certificates are verified (salara turned that off), no redirect is followed
//! and no proxy used; the core bounds the wait (see `sb_core::pbx::CrmRouting`).

use sb_core::pbx::{CallerLookup, LookupError, LookupFuture};
use serde_json::Value;
use std::time::Duration;

/// salara's `key_word` default.
pub const DEFAULT_LOOKUP_KEY: &str = "personal_manager_internal_phone";

/// The largest answer read, in bytes: the CRM answers one small object.
const MAX_ANSWER: usize = 64 * 1024;

/// Why the lookup client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LookupSetupError {
    /// The URL is not an absolute `http` or `https` URL.
    #[error("lookup_url must be an http:// or https:// URL: {0}")]
    Url(String),
    /// The HTTP client could not be built (TLS roots).
    #[error("the HTTP client cannot be built: {0}")]
    Client(#[from] reqwest::Error),
}

/// Asks a CRM over HTTP which extension takes a caller's call.
pub struct CrmLookup {
    client: reqwest::Client,
    url: String,
    key: String,
}

/// How one lookup is sent.
#[derive(Debug, PartialEq, Eq)]
enum LookupRequest {
    /// GET this URL.
    Get(String),
    /// POST this JSON body to the lookup URL.
    Post(Value),
}

impl CrmLookup {
    /// A client for `url` reading `key` from the answers; `connect_timeout` bounds the TCP
    /// and TLS set-up (the whole lookup is bounded by the caller).
    pub fn new(url: &str, key: &str, connect_timeout: Duration) -> Result<CrmLookup, LookupSetupError> {
        let parsed = url::Url::parse(url).map_err(|e| LookupSetupError::Url(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(LookupSetupError::Url(url.to_owned()));
        }
        let client = crate::outgoing::client_builder(connect_timeout).build()?;
        Ok(CrmLookup { client, url: url.to_owned(), key: key.to_owned() })
    }

    fn request_for(&self, caller: &str) -> LookupRequest {
        if self.url.contains("?phone=") {
            let encoded: String = url::form_urlencoded::byte_serialize(caller.as_bytes()).collect();
            LookupRequest::Get(format!("{}{encoded}", self.url))
        } else {
            LookupRequest::Post(serde_json::json!({ "phone": caller }))
        }
    }

    async fn ask(&self, caller: &str) -> Result<Option<String>, LookupError> {
        let request = match self.request_for(caller) {
            LookupRequest::Get(url) => self.client.get(url),
            LookupRequest::Post(body) => self.client.post(&self.url).json(&body),
        };
        let mut response = request.send().await.map_err(|e| LookupError::Unreachable(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(LookupError::Status(status.as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| LookupError::Unreachable(e.to_string()))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ANSWER {
                return Err(LookupError::Unreadable(format!("the answer is over {MAX_ANSWER} bytes")));
            }
        }
        let body: Value = serde_json::from_slice(&body).map_err(|e| LookupError::Unreadable(e.to_string()))?;
        extension_in(&body, &self.key)
    }
}

impl CallerLookup for CrmLookup {
    fn extension_for<'a>(&'a self, caller: &'a str, _ddi: &'a str) -> LookupFuture<'a> {
        Box::pin(self.ask(caller))
    }
}

/// The extension an answer names under `key`: a string or a non-negative integer; `None`
/// when the key is absent, null or empty.
fn extension_in(body: &Value, key: &str) -> Result<Option<String>, LookupError> {
    let Value::Object(fields) = body else {
        return Err(LookupError::Unreadable("the answer is not a JSON object".to_owned()));
    };
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty())),
        Some(Value::Number(number)) => match number.as_u64() {
            Some(n) => Ok(Some(n.to_string())),
            None => Err(LookupError::Unreadable(format!("{key} is not a whole number: {number}"))),
        },
        Some(other) => Err(LookupError::Unreadable(format!("{key} is neither a string nor a number: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lookup(url: &str) -> CrmLookup {
        CrmLookup::new(url, DEFAULT_LOOKUP_KEY, Duration::from_secs(1)).expect("valid")
    }

    #[test]
    fn a_phone_query_url_means_get_with_the_encoded_caller_else_post_json() {
        assert_eq!(
            lookup("https://crm.example/route?phone=").request_for("+44 20"),
            LookupRequest::Get("https://crm.example/route?phone=%2B44+20".to_owned())
        );
        assert_eq!(
            lookup("http://127.0.0.1:9/route").request_for("0700"),
            LookupRequest::Post(json!({"phone": "0700"}))
        );
    }

    #[test]
    fn only_absolute_http_urls_are_taken() {
        for bad in ["crm.example/route", "ftp://crm.example/", "file:///etc/passwd", ""] {
            assert!(CrmLookup::new(bad, DEFAULT_LOOKUP_KEY, Duration::from_secs(1)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_extension_is_a_string_or_an_integer_under_the_key() {
        let key = DEFAULT_LOOKUP_KEY;
        assert_eq!(extension_in(&json!({key: "1002"}), key).unwrap(), Some("1002".to_owned()));
        assert_eq!(extension_in(&json!({key: 1002}), key).unwrap(), Some("1002".to_owned()));
        assert_eq!(extension_in(&json!({key: " "}), key).unwrap(), None);
        assert_eq!(extension_in(&json!({key: null}), key).unwrap(), None);
        assert_eq!(extension_in(&json!({"other": "1002"}), key).unwrap(), None);
        assert_eq!(extension_in(&json!({"manager": "7"}), "manager").unwrap(), Some("7".to_owned()));
        for bad in [json!([key]), json!("1002"), json!({key: -1}), json!({key: 1.5}), json!({key: ["1002"]})] {
            assert!(matches!(extension_in(&bad, key), Err(LookupError::Unreadable(_))), "{bad}");
        }
    }
}
