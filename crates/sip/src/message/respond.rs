//! Building responses to requests that parsed (RFC 3261 §8.2.6).

use bytes::Bytes;
use sipx_sip::{HeaderName, Request, Response, ResponseBuilder, StatusCode};

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

/// The wire form of a request.
pub fn encode_request(request: &Request) -> Bytes {
    let mut out = Vec::with_capacity(1024);
    request.write_to(&mut out);
    Bytes::from(out)
}

/// A response under construction: the mandatory headers copied from the request, then the
/// To tag, extra headers and body a UAS adds (RFC 3261 §8.2.6, §12.1.1).
pub struct Reply {
    builder: ResponseBuilder,
    to: Option<String>,
    tag: Option<String>,
    extra: Vec<(HeaderName, Bytes)>,
    body: Option<Bytes>,
}

impl Reply {
    /// Starts a response to `request`; `None` when the request lacks a mandatory header.
    pub fn to(request: &Request, status: u16, reason: &str) -> Option<Reply> {
        let status = StatusCode::new(status)?;
        let reason: String = reason.chars().filter(|c| !c.is_control()).take(120).collect();
        let builder = ResponseBuilder::to_request(request, status, reason).ok()?;
        let to = request.headers.get(&HeaderName::To).map(|h| String::from_utf8_lossy(&h.value()).into_owned());
        Some(Reply { builder, to, tag: None, extra: Vec::new(), body: None })
    }

    /// Adds our tag to `To` unless the request's `To` already has one (in-dialog requests).
    pub fn tag(mut self, tag: &str) -> Reply {
        self.tag = Some(tag.to_owned());
        self
    }

    /// Appends a header.
    pub fn header(mut self, name: HeaderName, value: impl Into<Bytes>) -> Reply {
        self.extra.push((name, value.into()));
        self
    }

    /// Sets an SDP body.
    pub fn sdp(mut self, body: impl Into<Bytes>) -> Reply {
        self.extra.push((HeaderName::ContentType, Bytes::from_static(b"application/sdp")));
        self.body = Some(body.into());
        self
    }

    /// Finishes the response; `None` if a value would inject a line break.
    pub fn build(self) -> Option<Response> {
        let mut builder = self.builder;
        if let (Some(tag), Some(to)) = (&self.tag, &self.to) {
            if crate::message::fields::to(&request_headers_of(to)?).is_some_and(|t| t.tag.is_none()) {
                builder = builder.set_header(&HeaderName::To, format!("{to};tag={tag}")).ok()?;
            }
        }
        for (name, value) in self.extra {
            builder = builder.header(name, value).ok()?;
        }
        if let Some(body) = self.body {
            builder = builder.body(body);
        }
        Some(builder.build())
    }
}

/// A header block holding only `To: value`, to read the value with the typed accessors.
fn request_headers_of(to: &str) -> Option<sipx_sip::Headers> {
    let mut headers = sipx_sip::Headers::new();
    headers.push(sipx_sip::Header::build(HeaderName::To, to.to_owned()).ok()?);
    Some(headers)
}
