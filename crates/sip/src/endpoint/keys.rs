//! Identifiers the endpoint makes and derives: branches, server-transaction keys (with the
//! RFC 2543 fallback of §17.2.3), and the CANCEL and ACK a client transaction builds from its
//! INVITE (§9.1, §17.1.1.3).

use crate::message::{self, HeaderName, Method, Request, RequestBuilder, Response};
use crate::transaction::{TransactionKey, MAGIC_COOKIE};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// A fresh RFC 3261 branch: the magic cookie and 128 random bits.
pub(super) fn new_branch() -> String {
    format!("{MAGIC_COOKIE}{:032x}", rand::random::<u128>())
}

/// `host:port` for a Via or URI, with IPv6 brackets.
pub(super) fn host_port(addr: SocketAddr) -> String {
    addr.to_string()
}

/// The server-transaction key of a request (§17.2.3), or `None` without a usable top Via.
///
/// Requests from RFC 2543 peers carry no magic cookie; §17.2.3 then matches on the
/// Request-URI, From tag, Call-ID, CSeq number and top Via. Those facts are hashed into a
/// synthetic cookie branch, so the same table serves both kinds. The method is left out of
/// the hash (the key carries it) so the INVITE, its ACK and its CANCEL hash alike.
pub fn server_key(request: &Request) -> Option<TransactionKey> {
    let via = message::top_via(&request.headers)?;
    let method = request.method.to_string();
    let branch = match via.branch {
        Some(branch) if branch.len() > MAGIC_COOKIE.len() && branch[..MAGIC_COOKIE.len()].eq_ignore_ascii_case(MAGIC_COOKIE) => branch,
        _ => {
            let mut hash = Sha256::new();
            // The ACK of a non-2xx carries the INVITE's Request-URI (§17.1.1.3), so it hashes alike.
            hash.update(request.uri.to_string().as_bytes());
            hash.update([0]);
            hash.update(message::from(&request.headers).and_then(|f| f.tag).unwrap_or_default().as_bytes());
            hash.update([0]);
            hash.update(message::call_id(&request.headers).unwrap_or_default().as_bytes());
            hash.update([0]);
            hash.update(message::cseq(&request.headers).map(|c| c.0).unwrap_or_default().to_be_bytes());
            hash.update([0]);
            hash.update(via.branch.unwrap_or_default().as_bytes());
            format!("{MAGIC_COOKIE}.2543.{}", hex::encode(&hash.finalize()[..16]))
        }
    };
    TransactionKey::server(&branch, &via.host, via.port, &method).ok()
}

/// The CANCEL of `invite` (§9.1): same Request-URI, Call-ID, From, To, CSeq number, Route
/// and top Via (so the same branch).
pub(super) fn cancel_for(invite: &Request) -> Option<Request> {
    sibling_of(invite, Method::Cancel, message::header(&invite.headers, &HeaderName::To)?)
}

/// The ACK a client INVITE transaction sends for a non-2xx final `response` (§17.1.1.3):
/// like a CANCEL, but with the response's To (carrying the tag the UAS chose).
pub(super) fn ack_for_failure(invite: &Request, response: &Response) -> Option<Request> {
    sibling_of(invite, Method::Ack, message::header(&response.headers, &HeaderName::To)?)
}

/// A request of `method` in the INVITE's own transaction: its Request-URI, top Via,
/// Route set, From, Call-ID and CSeq number, with `to` as the To value.
fn sibling_of(invite: &Request, method: Method, to: String) -> Option<Request> {
    let (cseq, _) = message::cseq(&invite.headers)?;
    let mut builder = RequestBuilder::new(method.clone(), invite.uri.clone())
        .header(HeaderName::Via, message::header(&invite.headers, &HeaderName::Via)?)
        .ok()?;
    for route in message::header_all(&invite.headers, &HeaderName::Route) {
        builder = builder.header(HeaderName::Route, route).ok()?;
    }
    builder = builder
        .max_forwards(70)
        .header(HeaderName::From, message::header(&invite.headers, &HeaderName::From)?)
        .ok()?
        .header(HeaderName::To, to)
        .ok()?
        .header(HeaderName::CallId, message::header(&invite.headers, &HeaderName::CallId)?)
        .ok()?
        .cseq(cseq, &method)
        .ok()?;
    Some(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{parse, Limits, Message};
    use bytes::Bytes;

    fn request(text: &str) -> Request {
        match parse(Bytes::from(text.replace('\n', "\r\n")), &Limits::default()).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => unreachable!(),
        }
    }

    fn rfc2543(method: &str, to_tag: &str) -> Request {
        request(&format!(
            "{method} sip:1002@pbx SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060\nFrom: <sip:1001@pbx>;tag=f\nTo: <sip:1002@pbx>{to_tag}\nCall-ID: old@x\nCSeq: 1 {method}\nMax-Forwards: 70\nContent-Length: 0\n\n"
        ))
    }

    #[test]
    fn rfc2543_requests_get_a_key_and_the_ack_finds_its_invite() {
        let invite = server_key(&rfc2543("INVITE", "")).unwrap();
        let ack = server_key(&rfc2543("ACK", ";tag=t")).unwrap();
        let cancel = server_key(&rfc2543("CANCEL", "")).unwrap();
        assert_eq!(invite, ack);
        assert_eq!(cancel.with_method("INVITE"), invite);
        assert_ne!(server_key(&rfc2543("OPTIONS", "")).unwrap(), invite);
    }

    #[test]
    fn branches_are_unique_and_carry_the_cookie() {
        let (a, b) = (new_branch(), new_branch());
        assert!(a.starts_with(MAGIC_COOKIE) && a != b);
    }
}
