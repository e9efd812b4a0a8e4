//! Dialogs (RFC 3261 §12): the state two user agents share after an INVITE is answered,
//! and the in-dialog requests built from it. Sans-IO: a [`Dialog`] is created from the
//! messages that established it and builds requests; sending them is the endpoint's job.

use crate::message::{self, HeaderName, Method, Request, RequestBuilder, Response, Uri};
use bytes::Bytes;
use thiserror::Error;

/// Why a dialog could not be formed, or an in-dialog request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DialogError {
    /// A header the dialog needs is missing or malformed.
    #[error("missing or malformed {0}")]
    Missing(&'static str),
    /// The remote CSeq went backwards (§12.2.2: answer 500).
    #[error("CSeq lower than the last one in this dialog")]
    CSeqOutOfOrder,
    /// A request line or header could not be built.
    #[error("cannot build the request")]
    Build,
}

/// One side's view of a dialog (§12): identifiers, sequence numbers, target and route set.
#[derive(Debug, Clone)]
pub struct Dialog {
    call_id: String,
    local_tag: String,
    remote_tag: String,
    /// Our `From` value in requests we send (with our tag).
    local: String,
    /// The peer's address value in our requests' `To` (with its tag).
    remote: String,
    local_cseq: u32,
    remote_cseq: Option<u32>,
    remote_target: Uri,
    route_set: Vec<String>,
    local_contact: String,
}

fn header_text(request_headers: &message::Headers, name: &HeaderName, what: &'static str) -> Result<String, DialogError> {
    message::header(request_headers, name).ok_or(DialogError::Missing(what))
}

fn contact_uri(headers: &message::Headers) -> Result<Uri, DialogError> {
    match message::contacts(headers) {
        Some(message::Contacts::List(list)) => list.into_iter().next().map(|c| c.uri).ok_or(DialogError::Missing("Contact")),
        _ => Err(DialogError::Missing("Contact")),
    }
}

impl Dialog {
    /// The dialog a UAS forms when it answers `request` (an INVITE) with a response tagged
    /// `local_tag` (§12.1.1). `local_contact` is the Contact we put in that response.
    pub fn as_uas(request: &Request, local_tag: &str, local_contact: &str) -> Result<Dialog, DialogError> {
        let headers = &request.headers;
        let from = message::from(headers).ok_or(DialogError::Missing("From"))?;
        let to_value = header_text(headers, &HeaderName::To, "To")?;
        let (cseq, _) = message::cseq(headers).ok_or(DialogError::Missing("CSeq"))?;
        Ok(Dialog {
            call_id: message::call_id(headers).ok_or(DialogError::Missing("Call-ID"))?,
            local_tag: local_tag.to_owned(),
            remote_tag: from.tag.unwrap_or_default(),
            local: format!("{to_value};tag={local_tag}"),
            remote: header_text(headers, &HeaderName::From, "From")?,
            local_cseq: 0,
            remote_cseq: Some(cseq),
            remote_target: contact_uri(headers)?,
            // §12.1.1: the route set is the Record-Route list in order.
            route_set: message::record_route(headers),
            local_contact: local_contact.to_owned(),
        })
    }

    /// The dialog a UAC forms from the `request` it sent and a tagged `response` (§12.1.2).
    pub fn as_uac(request: &Request, response: &Response, local_contact: &str) -> Result<Dialog, DialogError> {
        let from = message::from(&request.headers).ok_or(DialogError::Missing("From"))?;
        let to = message::to(&response.headers).ok_or(DialogError::Missing("To"))?;
        let (cseq, _) = message::cseq(&request.headers).ok_or(DialogError::Missing("CSeq"))?;
        let mut route_set = message::record_route(&response.headers);
        // §12.1.2: the UAC's route set is the Record-Route list in reverse order.
        route_set.reverse();
        Ok(Dialog {
            call_id: message::call_id(&request.headers).ok_or(DialogError::Missing("Call-ID"))?,
            local_tag: from.tag.ok_or(DialogError::Missing("From tag"))?,
            remote_tag: to.tag.ok_or(DialogError::Missing("To tag"))?,
            local: header_text(&request.headers, &HeaderName::From, "From")?,
            remote: header_text(&response.headers, &HeaderName::To, "To")?,
            local_cseq: cseq,
            remote_cseq: None,
            remote_target: contact_uri(&response.headers)?,
            route_set,
            local_contact: local_contact.to_owned(),
        })
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Our tag.
    pub fn local_tag(&self) -> &str {
        &self.local_tag
    }

    /// The peer's tag.
    pub fn remote_tag(&self) -> &str {
        &self.remote_tag
    }

    /// The CSeq number of the last request we sent.
    pub fn local_cseq(&self) -> u32 {
        self.local_cseq
    }

    /// Accepts an in-dialog request from the peer (§12.2.2): its CSeq must not go
    /// backwards, and a target refresh (re-INVITE, UPDATE) moves the remote target.
    pub fn on_request(&mut self, request: &Request) -> Result<(), DialogError> {
        let (cseq, method) = message::cseq(&request.headers).ok_or(DialogError::Missing("CSeq"))?;
        if method != Method::Ack && method != Method::Cancel {
            if self.remote_cseq.is_some_and(|last| cseq <= last) {
                return Err(DialogError::CSeqOutOfOrder);
            }
            self.remote_cseq = Some(cseq);
        }
        if matches!(method, Method::Invite | Method::Update) {
            if let Ok(target) = contact_uri(&request.headers) {
                self.remote_target = target;
            }
        }
        Ok(())
    }

    /// A 2xx to our re-INVITE or UPDATE refreshes the remote target (§12.2.1.2).
    pub fn on_target_refresh_response(&mut self, response: &Response) {
        if let Ok(target) = contact_uri(&response.headers) {
            self.remote_target = target;
        }
    }

    /// A new in-dialog request (§12.2.1.1) with the next CSeq; no Via (the endpoint adds it).
    pub fn request(&mut self, method: Method, body: Option<(&str, Bytes)>) -> Result<Request, DialogError> {
        self.local_cseq = self.local_cseq.saturating_add(1);
        self.build(method, self.local_cseq, body)
    }

    /// The ACK for a 2xx to the INVITE with CSeq `cseq` (§13.2.2.4).
    pub fn ack(&self, cseq: u32) -> Result<Request, DialogError> {
        self.build(Method::Ack, cseq, None)
    }

    fn build(&self, method: Method, cseq: u32, body: Option<(&str, Bytes)>) -> Result<Request, DialogError> {
        let mut builder = RequestBuilder::new(method.clone(), self.remote_target.clone());
        for route in &self.route_set {
            builder = builder.header(HeaderName::Route, route.clone()).map_err(|_| DialogError::Build)?;
        }
        builder = builder
            .max_forwards(70)
            .header(HeaderName::From, self.local.clone())
            .and_then(|b| b.header(HeaderName::To, self.remote.clone()))
            .and_then(|b| b.header(HeaderName::CallId, self.call_id.clone()))
            .and_then(|b| b.cseq(cseq, &method))
            .map_err(|_| DialogError::Build)?;
        if method == Method::Invite || method == Method::Update {
            builder = builder.header(HeaderName::Contact, self.local_contact.clone()).map_err(|_| DialogError::Build)?;
        }
        if let Some((content_type, body)) = body {
            builder = builder.header(HeaderName::ContentType, content_type.to_owned()).map_err(|_| DialogError::Build)?.body(body);
        }
        Ok(builder.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{encode_request, parse, Limits, Message};

    fn parse_msg(text: &str) -> Message {
        parse(Bytes::from(text.replace('\n', "\r\n")), &Limits::default()).unwrap()
    }

    const INVITE: &str = "INVITE sip:1002@pbx SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1\nFrom: \"Al\" <sip:1001@pbx>;tag=a1\nTo: <sip:1002@pbx>\nCall-ID: c1@x\nCSeq: 7 INVITE\nContact: <sip:1001@10.0.0.5:5062>\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\nMax-Forwards: 70\nContent-Length: 0\n\n";

    fn invite() -> Request {
        match parse_msg(INVITE) {
            Message::Request(r) => r,
            Message::Response(_) => unreachable!(),
        }
    }

    #[test]
    fn a_uas_dialog_sends_bye_to_the_contact_with_the_route_set_in_order() {
        let mut dialog = Dialog::as_uas(&invite(), "b2", "<sip:pbx@127.0.0.1:5060>").unwrap();
        let bye = dialog.request(Method::Bye, None).unwrap();
        let text = String::from_utf8(encode_request(&bye).to_vec()).unwrap();
        assert!(text.starts_with("BYE sip:1001@10.0.0.5:5062 SIP/2.0\r\n"), "{text}");
        assert!(text.contains("From: <sip:1002@pbx>;tag=b2\r\n"), "{text}");
        assert!(text.contains("To: \"Al\" <sip:1001@pbx>;tag=a1\r\n"), "{text}");
        assert!(text.contains("CSeq: 1 BYE\r\n"), "{text}");
        let first_route = text.find("Route: <sip:p1;lr>").unwrap();
        assert!(first_route < text.find("Route: <sip:p2;lr>").unwrap());
    }

    #[test]
    fn a_uac_dialog_reverses_the_route_set_and_acks_with_the_invite_cseq() {
        let response = match parse_msg("SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1\nFrom: \"Al\" <sip:1001@pbx>;tag=a1\nTo: <sip:1002@pbx>;tag=z9\nCall-ID: c1@x\nCSeq: 7 INVITE\nContact: <sip:1002@10.0.0.6>\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\nContent-Length: 0\n\n") {
            Message::Response(r) => r,
            Message::Request(_) => unreachable!(),
        };
        let dialog = Dialog::as_uac(&invite(), &response, "<sip:pbx@127.0.0.1>").unwrap();
        assert_eq!((dialog.local_tag(), dialog.remote_tag()), ("a1", "z9"));
        let ack = String::from_utf8(encode_request(&dialog.ack(7).unwrap()).to_vec()).unwrap();
        assert!(ack.starts_with("ACK sip:1002@10.0.0.6 SIP/2.0\r\n"), "{ack}");
        assert!(ack.contains("CSeq: 7 ACK"), "{ack}");
        assert!(ack.find("<sip:p2;lr>").unwrap() < ack.find("<sip:p1;lr>").unwrap());
    }

    #[test]
    fn a_request_whose_cseq_goes_backwards_is_refused() {
        let mut dialog = Dialog::as_uas(&invite(), "b2", "<sip:pbx@127.0.0.1>").unwrap();
        let mut old = invite();
        old.headers.remove_all(&HeaderName::CSeq);
        old.headers.push(message::build_header(HeaderName::CSeq, "7 BYE").unwrap());
        assert_eq!(dialog.on_request(&old), Err(DialogError::CSeqOutOfOrder));
        old.headers.remove_all(&HeaderName::CSeq);
        old.headers.push(message::build_header(HeaderName::CSeq, "8 BYE").unwrap());
        assert_eq!(dialog.on_request(&old), Ok(()));
    }
}
