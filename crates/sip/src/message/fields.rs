//! Typed reads of the headers the transaction, dialog and registrar layers act on, as plain
//! Rust values (strings, numbers), so callers never see the parser crate's header types.

use sipx_sip::headers::{ContactValue, From as FromHeader, To as ToHeader};
use sipx_sip::{Address, CSeq, CallId, Header, HeaderName, Headers, Method, TypedHeader, Uri, Via};

/// The facts of a top `Via` value that transactions and responses need (RFC 3261 §8.1.1.7,
/// §18.2.2, RFC 3581).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViaHop {
    /// The transport token (`UDP`, `TCP`, ...), upper-cased.
    pub transport: String,
    /// The sent-by host, without IPv6 brackets.
    pub host: String,
    /// The sent-by port, if stated.
    pub port: Option<u16>,
    /// The branch parameter.
    pub branch: Option<String>,
    /// Whether the client asked for `rport` (RFC 3581).
    pub rport: bool,
}

/// A name-addr of `From`, `To` or `Contact`: display name, URI and tag.
#[derive(Debug, Clone)]
pub struct NameAddr {
    /// The display name, unquoted.
    pub display: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// The `tag` parameter.
    pub tag: Option<String>,
    /// The `expires` parameter (Contact only).
    pub expires: Option<u32>,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The first `Via` value.
pub fn top_via(headers: &Headers) -> Option<ViaHop> {
    let via = headers.typed::<Via>()?.ok()?;
    Some(ViaHop {
        transport: text(&via.transport).to_ascii_uppercase(),
        host: text(&via.host.to_bytes()),
        port: via.port,
        branch: via.branch().map(text),
        rport: via.rport().is_some(),
    })
}

/// The `Call-ID`.
pub fn call_id(headers: &Headers) -> Option<String> {
    headers.typed::<CallId>()?.ok().map(|id| text(&id.0))
}

/// The `CSeq` number and method.
pub fn cseq(headers: &Headers) -> Option<(u32, Method)> {
    headers.typed::<CSeq>()?.ok().map(|c| (c.sequence, c.method))
}

fn name_addr(address: &Address) -> NameAddr {
    NameAddr {
        display: address.display_name.as_deref().map(text),
        uri: address.uri.clone(),
        tag: address.tag().map(text),
        expires: address.param("expires").and_then(|v| std::str::from_utf8(v).ok()?.trim().parse().ok()),
    }
}

/// The `From` header.
pub fn from(headers: &Headers) -> Option<NameAddr> {
    headers.typed::<FromHeader>()?.ok().map(|a| name_addr(&a.0))
}

/// The `To` header.
pub fn to(headers: &Headers) -> Option<NameAddr> {
    headers.typed::<ToHeader>()?.ok().map(|a| name_addr(&a.0))
}

/// What the `Contact` headers of a message say.
#[derive(Debug, Clone)]
pub enum Contacts {
    /// No `Contact` header.
    None,
    /// `Contact: *` (REGISTER only, RFC 3261 §10.2.2).
    Wildcard,
    /// One or more addresses.
    List(Vec<NameAddr>),
}

/// Every `Contact` value, or `None` if one does not parse.
pub fn contacts(headers: &Headers) -> Option<Contacts> {
    let mut list = Vec::new();
    let mut wildcard = false;
    for header in headers.get_all(&HeaderName::Contact) {
        for value in <ContactValue as TypedHeader>::decode_list(&header.value()).ok()? {
            match value {
                ContactValue::Wildcard => wildcard = true,
                ContactValue::Address(address) => list.push(name_addr(&address)),
            }
        }
    }
    Some(match (wildcard, list.is_empty()) {
        (true, true) => Contacts::Wildcard,
        // `*` mixed with addresses is not in the grammar; the registrar refuses it (400).
        (true, false) => return None,
        (false, true) => Contacts::None,
        (false, false) => Contacts::List(list),
    })
}

/// The first header named `name`, as text.
pub fn header(headers: &Headers, name: &HeaderName) -> Option<String> {
    headers.get(name).map(|h| text(&h.value()))
}

/// Every header named `name`, as text, in order.
pub fn header_all(headers: &Headers, name: &HeaderName) -> Vec<String> {
    headers.get_all(name).map(|h| text(&h.value())).collect()
}

/// The `Expires` header as seconds.
pub fn expires(headers: &Headers) -> Option<u32> {
    header(headers, &HeaderName::Expires)?.trim().parse().ok()
}

/// The Record-Route values, each a full `<uri;params>` name-addr, in order (§12.1.1).
pub fn record_route(headers: &Headers) -> Vec<String> {
    headers
        .get_all(&HeaderName::RecordRoute)
        .flat_map(|h| split_commas(&text(&h.value())))
        .collect()
}

/// Splits a comma-separated header value outside quotes and angle brackets.
fn split_commas(value: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0usize);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => depth += 1,
            '>' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(value[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(value[start..].trim().to_owned());
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// Builds a header, refusing values that would inject a line break.
pub fn build_header(name: HeaderName, value: impl Into<bytes::Bytes>) -> Option<Header> {
    Header::build(name, value).ok()
}

/// Parses a URI from text.
pub fn parse_uri(text: &str) -> Option<Uri> {
    Uri::parse(bytes::Bytes::copy_from_slice(text.as_bytes())).ok()
}

/// Sets `received` and `rport` on the top `Via` (RFC 3261 §18.2.1, RFC 3581 §4) so the
/// responses copied from this request say where the request really came from.
pub fn stamp_top_via(headers: &mut Headers, source: std::net::SocketAddr) {
    let Some(first) = headers.get(&HeaderName::Via) else { return };
    let value = text(&first.value());
    let end = sipx_sip::headers::via::first_hop_end(value.as_bytes()).min(value.len());
    let (hop, rest) = value.split_at(end);
    let Some(parsed) = Via::parse_one(hop.as_bytes()).ok() else { return };
    let ip = source.ip().to_string();
    let mut params: Vec<String> = Vec::new();
    let mut rport = false;
    for param in &parsed.params {
        let name = text(&param.name);
        match name.as_str() {
            "received" => {}
            "rport" => rport = true,
            _ => params.push(match &param.value {
                Some(v) => format!("{name}={}", text(v)),
                None => name,
            }),
        }
    }
    let host = text(&parsed.host.to_bytes());
    let sent_host_is_source = host == ip;
    if !sent_host_is_source || rport {
        params.push(format!("received={ip}"));
    }
    if rport {
        params.push(format!("rport={}", source.port()));
    }
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    let port = parsed.port.map(|p| format!(":{p}")).unwrap_or_default();
    let mut rebuilt = format!("{}/{}/{} {host}{port}", text(&parsed.protocol), text(&parsed.version), text(&parsed.transport));
    for param in params {
        rebuilt.push(';');
        rebuilt.push_str(&param);
    }
    rebuilt.push_str(rest);
    if let Some(header) = build_header(HeaderName::Via, rebuilt) {
        headers.remove_first(&HeaderName::Via);
        headers.push_front(header);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{parse, Limits, Message};

    fn request(text: &str) -> sipx_sip::Request {
        match parse(bytes::Bytes::from(text.replace('\n', "\r\n")), &Limits::default()).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => panic!("not a request"),
        }
    }

    const INVITE: &str = "INVITE sip:1002@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;rport, SIP/2.0/UDP p:1;branch=z9hG4bK2\nFrom: \"Al\" <sip:1001@x>;tag=a1\nTo: <sip:1002@x>\nCall-ID: c1@x\nCSeq: 7 INVITE\nContact: <sip:1001@10.0.0.5:5062>;expires=60\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\nMax-Forwards: 70\nContent-Length: 0\n\n";

    #[test]
    fn reads_the_dialog_headers() {
        let r = request(INVITE);
        let via = top_via(&r.headers).unwrap();
        assert_eq!((via.transport.as_str(), via.host.as_str(), via.port, via.rport), ("UDP", "10.0.0.5", Some(5062), true));
        assert_eq!(via.branch.as_deref(), Some("z9hG4bK1"));
        assert_eq!(call_id(&r.headers).as_deref(), Some("c1@x"));
        assert_eq!(cseq(&r.headers).map(|c| c.0), Some(7));
        let from = from(&r.headers).unwrap();
        assert_eq!((from.display.as_deref(), from.tag.as_deref()), (Some("Al"), Some("a1")));
        assert!(to(&r.headers).unwrap().tag.is_none());
        let Some(Contacts::List(list)) = contacts(&r.headers) else { panic!("contacts") };
        assert_eq!(list[0].expires, Some(60));
        assert_eq!(record_route(&r.headers), vec!["<sip:p1;lr>", "<sip:p2;lr>"]);
    }

    #[test]
    fn stamps_received_and_rport_on_the_top_via_only() {
        let mut r = request(INVITE);
        stamp_top_via(&mut r.headers, "192.0.2.9:40000".parse().unwrap());
        let all = header_all(&r.headers, &HeaderName::Via).join(",");
        assert!(all.starts_with("SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;received=192.0.2.9;rport=40000"), "{all}");
        assert!(all.contains("SIP/2.0/UDP p:1;branch=z9hG4bK2"), "{all}");
    }
}
