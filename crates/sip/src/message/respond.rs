//! Building responses to requests that parsed (RFC 3261 §8.2.6).

use bytes::Bytes;
use sipx_sip::{Request, Response, ResponseBuilder, StatusCode};

/// A response to `request` with the headers RFC 3261 §8.2.6.2 requires copied, or `None`
/// when the request lacks one of them (it is then dropped, as nothing can route a reply).
pub fn response_to(request: &Request, status: u16, reason: &str) -> Option<Response> {
    let status = StatusCode::new(status)?;
    let reason: String = reason.chars().filter(|c| !c.is_control()).take(120).collect();
    Some(ResponseBuilder::to_request(request, status, reason).ok()?.build())
}

/// The wire form of a response.
pub fn encode(response: &Response) -> Bytes {
    let mut out = Vec::with_capacity(512);
    response.write_to(&mut out);
    Bytes::from(out)
}
