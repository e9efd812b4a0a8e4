//! What the PBX tells about its extensions, peers and channels, and the text messages and
//! REFERs it sends them: the questions salara answered for CRMs (and, later, ARI's device states).
//! Every answer is scoped: a caller confined to a tenant sees only that tenant's numbers.

use super::call::{contact, new_tag};
use super::{Pbx, Shared};
use crate::devicestate::ExtensionState;
use crate::directory::ExtensionEntry;
use crate::events::ChannelState;
use bytes::Bytes;
use sb_sip::endpoint::ClientEvent;
use sb_sip::message::{self, HeaderName, Method, RequestBuilder};
use sb_sip::transport::{Peer, Protocol};
use std::time::Duration;
use thiserror::Error;

/// How long a text message may take to be accepted by a phone before it counts as not
/// delivered (RFC 3428 has no answer-time limit of its own; Timer F would be 32 s).
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(8);

/// Whether a SIP peer (an extension's phones) can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerState {
    /// At least one registered contact.
    Reachable,
    /// No registered contact.
    Unreachable,
}

impl PeerState {
    /// The word Asterisk's peer status uses.
    pub fn text(self) -> &'static str {
        match self {
            PeerState::Reachable => "Reachable",
            PeerState::Unreachable => "Unreachable",
        }
    }
}

/// What became of a text message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageOutcome {
    /// This many of the extension's phones accepted it (2xx).
    Delivered(usize),
    /// The extension has no registered phone.
    Unavailable,
    /// Every phone refused it or did not answer; the best status heard (408 for none).
    Refused(u16),
}

/// Why a status question could not be answered.
#[derive(Debug, Error)]
pub enum StatusError {
    /// The store could not be read.
    #[error("the directory is unavailable: {0}")]
    Store(#[from] sb_store::Error),
}

impl Pbx {
    /// The state of extension `number`, if it exists and `tenant` (when given) owns it.
    pub async fn extension_state(
        &self,
        number: &str,
        tenant: Option<&str>,
    ) -> Result<Option<ExtensionState>, StatusError> {
        let Some(extension) = visible_extension(&self.shared, number, tenant).await? else { return Ok(None) };
        let registered = !self.shared.registrar.contacts(&extension.number).is_empty();
        Ok(Some(self.shared.devices.extension_state(&extension.number, registered)))
    }

    /// Whether extension `number`'s phones can be reached, if it exists for `tenant`.
    pub async fn peer_state(&self, number: &str, tenant: Option<&str>) -> Result<Option<PeerState>, StatusError> {
        let Some(extension) = visible_extension(&self.shared, number, tenant).await? else { return Ok(None) };
        let registered = !self.shared.registrar.contacts(&extension.number).is_empty();
        Ok(Some(if registered { PeerState::Reachable } else { PeerState::Unreachable }))
    }

    /// The state of the live channel named `name`, if `tenant` (when given) owns its
    /// extension.
    pub async fn channel_state(&self, name: &str, tenant: Option<&str>) -> Result<Option<ChannelState>, StatusError> {
        let Some((extension, state)) = self.shared.devices.channel(name) else { return Ok(None) };
        if tenant.is_some() {
            let owned = match extension {
                Some(number) => visible_extension(&self.shared, &number, tenant).await?.is_some(),
                None => false,
            };
            if !owned {
                return Ok(None);
            }
        }
        Ok(Some(state))
    }

    /// Sends `text` as a SIP MESSAGE (RFC 3428) to every registered phone of extension
    /// `to`, saying it is from `from`; `None` if the extension does not exist for `tenant`.
    pub async fn send_message(
        &self,
        to: &str,
        from: &str,
        text: &str,
        tenant: Option<&str>,
    ) -> Result<Option<MessageOutcome>, StatusError> {
        self.send_message_with_headers(to, from, text, &[], tenant).await
    }

    /// Like [`Pbx::send_message`], with `headers` (name, value) added to each MESSAGE, as
    /// Asterisk adds a message's variables. A header the request sets itself (To, From,
    /// Call-ID, Content-Type...) or that cannot be written (a name that is no token, a value
    /// with a line break) is left out.
    pub async fn send_message_with_headers(
        &self,
        to: &str,
        from: &str,
        text: &str,
        headers: &[(String, String)],
        tenant: Option<&str>,
    ) -> Result<Option<MessageOutcome>, StatusError> {
        let extra = extra_headers(headers);
        self.send_to_phones(to, tenant, &Method::Message, |shared, uri, peer, extension| {
            let builder = out_of_dialog_request(shared, Method::Message, uri, peer, extension, from, &extra)?;
            let builder = builder.header(HeaderName::ContentType, "text/plain;charset=UTF-8").ok()?;
            Some(builder.body(text.as_bytes().to_vec()).build())
        })
        .await
    }

    /// Sends an out-of-dialog REFER (RFC 3515) to every registered phone of extension `to`,
    /// from `from`, asking it to call `target` (shown as `display`, when given), with
    /// `headers` as [`Pbx::send_message_with_headers`] adds them. It asks for no progress
    /// reports (`Refer-Sub: false`, RFC 4488). `None` if the extension does not exist for
    /// `tenant`; `Unavailable` when it, or the phone it is referred to, is not registered.
    pub async fn refer(
        &self,
        to: &str,
        from: &str,
        target: &ReferTarget,
        display: Option<&str>,
        headers: &[(String, String)],
        tenant: Option<&str>,
    ) -> Result<Option<MessageOutcome>, StatusError> {
        let phone = match target {
            ReferTarget::Phone(number) => match self.shared.registrar.contacts(number).first() {
                Some(binding) => Some(binding.uri.clone()),
                None => {
                    return Ok(visible_extension(&self.shared, to, tenant).await?.map(|_| MessageOutcome::Unavailable))
                }
            },
            _ => None,
        };
        let extra = extra_headers(headers);
        self.send_to_phones(to, tenant, &Method::Refer, |shared, uri, peer, extension| {
            let target = match (target, &phone) {
                (ReferTarget::ViaPbx(number), _) => format!("sip:{number}@{}", shared.endpoint.local_for(peer)?),
                (ReferTarget::Uri(uri), _) => uri.clone(),
                (ReferTarget::Phone(_), Some(contact)) => contact.clone(),
                (ReferTarget::Phone(_), None) => return None,
            };
            let refer_to = name_addr(&target, display);
            let local = shared.endpoint.local_for(peer)?;
            out_of_dialog_request(shared, Method::Refer, uri, peer, extension, from, &extra)?
                .header(HeaderName::ReferTo, refer_to)
                .and_then(|b| b.header(HeaderName::ReferredBy, format!("<sip:{from}@{local}>")))
                .and_then(|b| b.header(HeaderName::ReferSub, "false"))
                .ok()
                .map(RequestBuilder::build)
        })
        .await
    }

    /// Tells every registered phone of the extension mailbox `mailbox` names (`1001`, or
    /// `1001@<tenant>` as Asterisk's `mailbox@context`) how many messages wait: an
    /// unsolicited NOTIFY of RFC 3842's `message-summary`, which lights or puts out its
    /// lamp. `None` when no extension has that mailbox.
    pub async fn notify_mailbox(
        &self,
        mailbox: &str,
        new_messages: u64,
        old_messages: u64,
    ) -> Result<Option<MessageOutcome>, StatusError> {
        let (number, tenant) = match mailbox.split_once('@') {
            Some((number, tenant)) => (number, Some(tenant)),
            None => (mailbox, None),
        };
        let waiting = if new_messages > 0 { "yes" } else { "no" };
        let summary = format!("Messages-Waiting: {waiting}\r\nVoice-Message: {new_messages}/{old_messages} (0/0)\r\n");
        let event = [
            (HeaderName::parse(&Bytes::from_static(b"Event")), Bytes::from_static(b"message-summary")),
            (HeaderName::parse(&Bytes::from_static(b"Subscription-State")), Bytes::from_static(b"active")),
        ];
        self.send_to_phones(number, tenant, &Method::Notify, |shared, uri, peer, extension| {
            let builder =
                out_of_dialog_request(shared, Method::Notify, uri, peer, extension, &extension.number, &event)?;
            let builder = builder.header(HeaderName::ContentType, "application/simple-message-summary").ok()?;
            Some(builder.body(summary.as_bytes().to_vec()).build())
        })
        .await
    }

    /// Sends the request `build` makes for each registered phone of extension `to` (its
    /// contact URI, its address) and waits for their answers; `None` if the extension does
    /// not exist for `tenant`.
    async fn send_to_phones(
        &self,
        to: &str,
        tenant: Option<&str>,
        method: &Method,
        build: impl Fn(&Shared, &str, &Peer, &ExtensionEntry) -> Option<message::Request>,
    ) -> Result<Option<MessageOutcome>, StatusError> {
        let shared = &self.shared;
        let Some(extension) = visible_extension(shared, to, tenant).await? else { return Ok(None) };
        let contacts = shared.registrar.contacts(&extension.number);
        if contacts.is_empty() {
            return Ok(Some(MessageOutcome::Unavailable));
        }
        let mut transactions = Vec::new();
        for binding in &contacts {
            let protocol = if binding.transport.eq_ignore_ascii_case("tcp") { Protocol::Tcp } else { Protocol::Udp };
            let peer = Peer { protocol, addr: binding.source };
            let Some(request) = build(shared, &binding.uri, &peer, &extension) else { continue };
            match shared.endpoint.request(request, peer).await {
                Ok(tx) => transactions.push(tx.events),
                Err(e) => tracing::warn!(error = %e, %method, "could not send an out-of-dialog request"),
            }
        }
        let mut delivered = 0;
        let mut best_failure = 408;
        for mut events in transactions {
            let status = tokio::time::timeout(MESSAGE_TIMEOUT, async {
                while let Some(event) = events.recv().await {
                    match event {
                        ClientEvent::Response(response) if response.status.code() >= 200 => {
                            return response.status.code()
                        }
                        ClientEvent::Response(_) => {}
                        ClientEvent::Timeout => return 408,
                        ClientEvent::TransportError => return 503,
                    }
                }
                408
            })
            .await
            .unwrap_or(408);
            if (200..300).contains(&status) {
                delivered += 1;
            } else if best_failure == 408 || status < best_failure {
                best_failure = status;
            }
        }
        Ok(Some(if delivered > 0 {
            MessageOutcome::Delivered(delivered)
        } else {
            MessageOutcome::Refused(best_failure)
        }))
    }
}

/// Where a REFER asks a phone to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferTarget {
    /// This number through the PBX (`sip:NUMBER@` the PBX's address as the phone reaches it).
    ViaPbx(String),
    /// This extension's first registered phone, directly.
    Phone(String),
    /// A SIP URI, checked by [`ReferTarget::uri`].
    Uri(String),
}

impl ReferTarget {
    /// A SIP or SIPS URI to refer to, if `text` is one.
    pub fn uri(text: &str) -> Option<ReferTarget> {
        let scheme = text.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase());
        let sip = matches!(scheme.as_deref(), Some("sip" | "sips"));
        message::parse_uri(text).filter(|_| sip).map(|_| ReferTarget::Uri(text.to_owned()))
    }
}

/// `<uri>`, or `"display" <uri>` with the display name's quotes and backslashes escaped
/// (RFC 3261 quoted-string).
fn name_addr(uri: &str, display: Option<&str>) -> String {
    match display {
        Some(name) => format!("\"{}\" <{uri}>", name.replace('\\', "\\\\").replace('"', "\\\"")),
        None => format!("<{uri}>"),
    }
}

/// A caller's extra headers that may be added: not one the request sets itself, and
/// writable (a token name, a value without line breaks).
fn extra_headers(headers: &[(String, String)]) -> Vec<(HeaderName, Bytes)> {
    headers
        .iter()
        .map(|(name, value)| {
            (HeaderName::parse(&Bytes::copy_from_slice(name.as_bytes())), Bytes::copy_from_slice(value.as_bytes()))
        })
        .filter(|(name, value)| {
            !is_reserved_header(name) && message::Header::build(name.clone(), value.clone()).is_ok()
        })
        .collect()
}

/// Extension `number`, if it is active and `tenant` (when given) owns it.
pub(super) async fn visible_extension(
    shared: &Shared,
    number: &str,
    tenant: Option<&str>,
) -> Result<Option<ExtensionEntry>, StatusError> {
    let extension = shared.directory.extension(number).await?;
    Ok(extension.filter(|extension| extension.active && tenant.is_none_or(|tenant| extension.tenant == tenant)))
}

/// Whether header `name` is one a MESSAGE or REFER sets itself, which a caller's extra
/// headers may not add to or replace (Asterisk's list for message variables, and the
/// REFER's own).
fn is_reserved_header(name: &HeaderName) -> bool {
    matches!(
        name,
        HeaderName::To
            | HeaderName::From
            | HeaderName::Via
            | HeaderName::Route
            | HeaderName::Contact
            | HeaderName::CallId
            | HeaderName::CSeq
            | HeaderName::Allow
            | HeaderName::ContentLength
            | HeaderName::ContentType
            | HeaderName::MaxForwards
            | HeaderName::ReferTo
            | HeaderName::ReferredBy
            | HeaderName::ReferSub
    )
}

/// The start of a request outside any dialog to one of `extension`'s contacts: its
/// addressing headers and `extra`, before what its method adds.
fn out_of_dialog_request(
    shared: &Shared,
    method: Method,
    uri: &str,
    peer: &Peer,
    extension: &ExtensionEntry,
    from: &str,
    extra: &[(HeaderName, Bytes)],
) -> Option<RequestBuilder> {
    let uri = message::parse_uri(uri)?;
    let local = shared.endpoint.local_for(peer)?;
    let builder = RequestBuilder::new(method.clone(), uri)
        .max_forwards(70)
        .header(HeaderName::From, format!("<sip:{from}@{local}>;tag={}", new_tag()))
        .and_then(|b| b.header(HeaderName::To, format!("<sip:{}@{local}>", extension.number)))
        .and_then(|b| b.header(HeaderName::CallId, format!("{:032x}", rand::random::<u128>())))
        .and_then(|b| b.cseq(1, &method))
        .and_then(|b| b.header(HeaderName::Contact, contact(shared, peer, from)))
        .and_then(|b| b.header(HeaderName::UserAgent, shared.endpoint.product().to_owned()))
        .ok()?;
    extra.iter().try_fold(builder, |b, (name, value)| b.header(name.clone(), value.clone())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_display_name_is_quoted_and_escaped() {
        assert_eq!(name_addr("sip:1001@pbx", None), "<sip:1001@pbx>");
        assert_eq!(name_addr("sip:1001@pbx", Some("Front desk")), "\"Front desk\" <sip:1001@pbx>");
        assert_eq!(name_addr("sip:x@y", Some(r#"say "hi" \o/"#)), r#""say \"hi\" \\o/" <sip:x@y>"#);
    }

    #[test]
    fn only_sip_uris_are_referred_to() {
        assert_eq!(ReferTarget::uri("sip:1001@example.com"), Some(ReferTarget::Uri("sip:1001@example.com".into())));
        assert!(ReferTarget::uri("sips:alice@example.com:5061").is_some());
        for bad in ["1001", "pjsip:1001", "", "sip:", "<sip:a@b>"] {
            assert_eq!(ReferTarget::uri(bad), None, "{bad}");
        }
    }

    #[test]
    fn extra_headers_may_not_replace_what_a_request_sets() {
        for name in ["To", "t", "from", "Via", "Route", "Contact", "Call-ID", "i", "CSeq", "Allow", "Content-Length"] {
            assert!(is_reserved_header(&HeaderName::parse(&Bytes::from(name))), "{name}");
        }
        for name in ["Content-Type", "max-forwards"] {
            assert!(is_reserved_header(&HeaderName::parse(&Bytes::from(name))), "{name}");
        }
        for name in ["Refer-To", "Referred-By", "Refer-Sub"] {
            assert!(is_reserved_header(&HeaderName::parse(&Bytes::from(name))), "{name}");
        }
        for name in ["X-Ticket", "Subject", "Priority"] {
            assert!(!is_reserved_header(&HeaderName::parse(&Bytes::from(name))), "{name}");
        }
    }
}
