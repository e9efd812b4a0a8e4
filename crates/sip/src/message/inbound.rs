//! What to do with a datagram that arrived: use it, answer it with an error, or drop it.
//!
//! RFC 4475 sets the dispositions: a malformed request is answered 400 (505 for an unknown
//! version) when a response can be routed at all; a malformed response is dropped; trailing
//! octets after Content-Length are ignored. [`check_request`] adds the UAS checks that come
//! after parsing (URI scheme, `Require`, body type, `Accept`, transaction identifier).

use super::{respond, salvage};
use bytes::Bytes;
use sipx_sip::headers::{ContactValue, Via};
use sipx_sip::{parse_datagram, validate_request, validate_response, HeaderName, Limits, Message, Method, Request, Response, ResponseBuilder, Scheme, StatusCode};

/// The RFC 3261 magic cookie that starts every RFC 3261 branch.
const MAGIC_COOKIE: &[u8] = b"z9hG4bK";

/// A request refused before it reached a transaction.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// The status to answer.
    pub status: u16,
    /// Why, as the reason phrase says it.
    pub reason: String,
    /// The encoded response, when one could be built (statelessly: it is sent once).
    pub response: Option<Bytes>,
}

/// The fate of a received datagram.
#[derive(Debug)]
pub enum Inbound {
    /// A request to hand to the transaction layer.
    Request(Box<Request>),
    /// A response to hand to the transaction layer.
    Response(Box<Response>),
    /// A request that must be answered with an error and otherwise ignored.
    Reject(Rejection),
    /// Something to drop silently: a bad response, or noise that is no request at all.
    Discard(String),
}

/// Parses one datagram's framing and header syntax only, without the semantic checks of
/// [`read_datagram`] (for messages Switchboard built itself, or copies verbatim).
pub fn parse(bytes: Bytes, limits: &Limits) -> Result<Message, String> {
    parse_datagram(bytes, limits).map_err(|e| e.to_string())
}

/// Reads one datagram (RFC 3261 §18.3: octets after the body are ignored).
pub fn read_datagram(bytes: Bytes, limits: &Limits) -> Inbound {
    match parse_datagram(bytes.clone(), limits) {
        Err(err) if salvage::looks_like_request(&bytes) => {
            let status = match err {
                sipx_sip::error::ParseError::Limit { .. } => 413,
                _ => 400,
            };
            let reason = if status == 413 { "Request Entity Too Large".to_owned() } else { format!("Bad Request ({err})") };
            let response = salvage::response(&bytes, status, &reason);
            Inbound::Reject(Rejection { status, reason, response })
        }
        Err(err) if salvage::looks_like_response(&bytes) => Inbound::Discard(format!("malformed response: {err}")),
        Err(err) => Inbound::Discard(format!("not a SIP message: {err}")),
        Ok(Message::Response(response)) => {
            if let Some(finding) = validate_response(&response).first() {
                return Inbound::Discard(format!("invalid response: {finding:?}"));
            }
            // RFC 3261 §8.1.3.3: a UA discards a response with more than one Via value;
            // Switchboard is never a proxy, so such a response was not meant for it.
            if response.headers.typed_all::<Via>().count() > 1 {
                return Inbound::Discard("response with more than one Via".to_owned());
            }
            Inbound::Response(Box::new(response))
        }
        Ok(Message::Request(request)) => {
            let finding = validate_request(&request).into_iter().find(|f| !f.is_repairable());
            if finding.is_none() && !contacts_parse(&request) {
                let reason = "Bad Request (malformed Contact)";
                let response = respond::response_to(&request, 400, reason).map(|r| respond::encode(&r));
                return Inbound::Reject(Rejection { status: 400, reason: reason.to_owned(), response });
            }
            match finding {
                Some(finding) => {
                    let status = finding.status();
                    let reason = match status {
                        505 => "Version Not Supported".to_owned(),
                        _ => format!("Bad Request ({finding:?})"),
                    };
                    let response = respond::response_to(&request, status, &reason).map(|r| respond::encode(&r));
                    Inbound::Reject(Rejection { status, reason, response })
                }
                None => Inbound::Request(Box::new(request)),
            }
        }
    }
}

/// Whether every Contact value parses (registrations and dialogs are built on them; a
/// URI with `?` or `;` must be in `<>`, RFC 3261 §20.10).
fn contacts_parse(request: &Request) -> bool {
    request.headers.get_all(&HeaderName::Contact).all(|h| {
        <ContactValue as sipx_sip::TypedHeader>::decode_list(&h.value()).is_ok_and(|values| !values.is_empty())
    })
}

/// What a user agent server supports; it decides 416, 420, 415 and 406.
#[derive(Debug, Clone, Copy)]
pub struct ServerPolicy {
    /// Option tags a `Require` may name.
    pub extensions: &'static [&'static str],
    /// Body types understood in session requests (INVITE, ACK, UPDATE, PRACK).
    pub session_body_types: &'static [&'static str],
}

impl Default for ServerPolicy {
    fn default() -> Self {
        ServerPolicy { extensions: &[], session_body_types: &["application/sdp", "multipart/mixed"] }
    }
}

fn reject(request: &Request, status: u16, reason: &str, extra: Option<(HeaderName, String)>) -> Rejection {
    let response = StatusCode::new(status)
        .and_then(|code| ResponseBuilder::to_request(request, code, reason.to_owned()).ok())
        .and_then(|builder| match &extra {
            Some((name, value)) => builder.header(name.clone(), value.clone()).ok(),
            None => Some(builder),
        })
        .map(|builder| respond::encode(&builder.build()));
    Rejection { status, reason: reason.to_owned(), response }
}

fn header_text(request: &Request, name: &HeaderName) -> Vec<String> {
    request.headers.get_all(name).map(|h| String::from_utf8_lossy(&h.value()).into_owned()).collect()
}

fn is_session_method(method: &Method) -> bool {
    matches!(method, Method::Invite | Method::Ack | Method::Update | Method::Prack)
}

/// The checks a user agent server makes on a well-formed request before acting on it
/// (RFC 3261 §8.2.1–8.2.3); `None` when the request may proceed.
pub fn check_request(request: &Request, policy: &ServerPolicy) -> Option<Rejection> {
    if !matches!(request.uri.scheme(), Scheme::Sip | Scheme::Sips | Scheme::Tel) {
        return Some(reject(request, 416, "Unsupported URI Scheme", None));
    }
    // A branch that is only the cookie claims RFC 3261 matching but gives no identifier
    // (RFC 4475 §3.2.1). A branch without the cookie is RFC 2543 style: well-formed, so it
    // passes here; matching such requests (RFC 3261 §17.2.3 fallback) is the transaction
    // dispatcher's decision, and `TransactionKey` does not support it yet.
    if let Some(Ok(via)) = request.headers.typed::<Via>() {
        if via.branch().is_some_and(|b| b.eq_ignore_ascii_case(MAGIC_COOKIE)) {
            return Some(reject(request, 400, "Bad Request (missing transaction identifier)", None));
        }
    }
    let unsupported: Vec<String> = header_text(request, &HeaderName::Require)
        .iter()
        .flat_map(|v| v.split(',').map(|t| t.trim().to_owned()).collect::<Vec<_>>())
        .filter(|tag| !tag.is_empty() && !policy.extensions.iter().any(|e| e.eq_ignore_ascii_case(tag)))
        .collect();
    if !unsupported.is_empty() && request.method != Method::Cancel && request.method != Method::Ack {
        return Some(reject(request, 420, "Bad Extension", Some((HeaderName::Unsupported, unsupported.join(", ")))));
    }
    if is_session_method(&request.method) && !request.body().is_empty() {
        let content_type = header_text(request, &HeaderName::ContentType).into_iter().next().unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if !policy.session_body_types.contains(&media.as_str()) {
            return Some(reject(request, 415, "Unsupported Media Type", Some((HeaderName::Accept, "application/sdp".into()))));
        }
    }
    if request.method == Method::Invite {
        let accept = header_text(request, &HeaderName::Accept);
        let takes_sdp = accept.is_empty()
            || accept.iter().flat_map(|v| v.split(',')).any(|t| {
                let media = t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
                matches!(media.as_str(), "application/sdp" | "application/*" | "*/*")
            });
        if !takes_sdp {
            return Some(reject(request, 406, "Not Acceptable", None));
        }
    }
    None
}
