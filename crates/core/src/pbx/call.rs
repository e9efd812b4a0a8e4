//! A call placed to the PBX: the caller's INVITE ends here (leg A) and a new INVITE goes to
//! each registered contact of the callee in parallel (the dial on leg B), or to a carrier
//! through each trunk of an outbound route in turn. Then the call is a [`B2bua`] until
//! either side hangs up, and ends with a CDR. Calls from trunks start in `inbound.rs` and
//! ring extensions through here too.
//!
//! Ringing: 180/183 are relayed, the first 2xx wins (the other forks are cancelled, and a
//! late 2xx is ACKed and hung up), CANCEL from the caller gives 487, the ring timeout 480,
//! and when every fork fails the caller gets the most telling failure (486 before 480).

use super::b2bua::{B2bua, Leg, Slot};
use super::caller::Caller;
use super::dial::{failure_of, hunts_on, reason_of, Progress};
use super::dispatch::{answer, deny};
use super::record::Record;
use super::route::{route_number, Attempt, Routed};
use super::stasis::Entry;
use super::Shared;
use crate::access::Access;
use crate::cdr::Disposition;
use crate::directory::ExtensionEntry;
use crate::events::ChannelState;
use sb_media::relay::Side;
use sb_media::sdp::SessionDescription;
use sb_sip::auth::AuthRole;
use sb_sip::dialog::Dialog;
use sb_sip::endpoint::ServerRequest;
use sb_sip::message::{self, HeaderName, Reply, Response};
use sb_sip::transaction::TransactionKey;
use sb_sip::transport::{Peer, Protocol};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the dispatcher hands a call.
#[derive(Debug)]
pub(crate) enum CallInput {
    /// An in-dialog request on either leg (by Call-ID).
    Request(Box<ServerRequest>),
    /// The ACK of a 2xx we sent (the endpoint stopped retransmitting it already).
    Ack,
    /// The caller cancelled its INVITE (the CANCEL is answered already).
    Cancelled(TransactionKey),
}

/// A fresh tag (§19.3: at least 32 random bits).
pub(super) fn new_tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Our Contact for `user` in messages to `peer`: the address and transport it reaches us on.
pub(super) fn contact(shared: &Shared, peer: &Peer, user: &str) -> String {
    let local = shared.endpoint.local_for(peer).map(|addr| addr.to_string()).unwrap_or_default();
    match peer.protocol {
        Protocol::Tcp => format!("<sip:{user}@{local};transport=tcp>"),
        Protocol::Udp => format!("<sip:{user}@{local}>"),
    }
}

/// Takes a new INVITE: a trunk's (by its source address) goes to its inbound route; any
/// other is a phone's, authenticated, then routed to an application, an extension or an
/// outbound route; then the call runs to its end.
pub(super) async fn start(shared: Arc<Shared>, incoming: ServerRequest) {
    match shared.trunks.identify(incoming.peer.addr).await {
        Ok(Some(trunk)) => return super::inbound::start(shared, incoming, trunk).await,
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "trunks unavailable");
            return answer(&shared, &incoming, 500, "Server Internal Error").await;
        }
    }
    let extension = match shared.access.check(&incoming.request, incoming.peer.addr.ip(), AuthRole::Proxy).await {
        Access::Granted(extension) => extension,
        denied => return deny(&shared, &incoming, denied, AuthRole::Proxy).await,
    };
    let dialled = incoming.request.uri.user().map(|u| String::from_utf8_lossy(u).into_owned()).unwrap_or_default();
    let caller = Caller::extension(&extension);
    let Some((record, offer)) = admit(&shared, &incoming, &caller, &dialled).await else { return };
    if let Some(application) = shared.applications.get(&dialled).cloned() {
        return super::application::run(Arc::clone(&shared), incoming, &extension, offer, application, record).await;
    }
    // A custom app its tenant's extensions may dial by its key, or an IVR by its key.
    match program_by_key(&shared, &caller.tenant, &dialled).await {
        Ok(Some(entry)) => {
            return super::stasis::run_program(Arc::clone(&shared), incoming, &caller, offer, entry, record).await;
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "custom apps or IVRs unavailable");
            return record.refuse(&shared, &incoming, 500, "Server Internal Error", Disposition::Failed, 41).await;
        }
    }
    // Extensions of every tenant are reachable, as before outbound routes existed.
    match route_number(&shared, &caller.tenant, None, &dialled).await {
        Ok(Routed::Extension(callee)) => ring_extension(shared, incoming, caller, record, offer, &callee).await,
        Ok(Routed::Out(outgoing)) => {
            tracing::info!(route = %outgoing.route, number = %outgoing.number, "calling out");
            connect(shared, incoming, caller, record, offer, outgoing.attempts()).await;
        }
        Ok(Routed::Nowhere) => record.refuse(&shared, &incoming, 404, "Not Found", Disposition::Failed, 1).await,
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable");
            record.refuse(&shared, &incoming, 500, "Server Internal Error", Disposition::Failed, 41).await;
        }
    }
}

/// The program an extension of `tenant` reaches by dialling `key`: a custom app whose span
/// lets extensions dial it, or an IVR.
async fn program_by_key(shared: &Shared, tenant: &str, key: &str) -> sb_store::Result<Option<Entry>> {
    if let Some(app) = crate::routing::custom_app(&shared.store, tenant, key).await? {
        if app.span.internal() {
            return Ok(Some(Entry::from(app)));
        }
    }
    Ok(crate::routing::ivr(&shared.store, tenant, key).await?.map(Entry::from))
}

/// Counts a new call from `caller` to `dialled` and starts its record; answers the record
/// and the INVITE's SDP offer, or refuses an INVITE without one (488) and ends the record.
pub(super) async fn admit(
    shared: &Shared,
    incoming: &ServerRequest,
    caller: &Caller,
    dialled: &str,
) -> Option<(Record, SessionDescription)> {
    shared.metrics.calls_total.fetch_add(1, Ordering::Relaxed);
    let record = Record::new(caller, dialled, &shared.events, ChannelState::Ring);
    let body = String::from_utf8_lossy(incoming.request.body()).into_owned();
    // Offerless INVITEs (the offer in the ACK) are not relayed yet: every phone we target
    // offers in the INVITE, and 488 tells the rest plainly.
    match SessionDescription::parse(&body) {
        Ok(offer) if offer.audio_target().is_some() => Some((record, offer)),
        _ => {
            let reason = "Not Acceptable Here (an SDP audio offer is required)";
            record.refuse(shared, incoming, 488, reason, Disposition::Failed, 88).await;
            None
        }
    }
}

/// Rings `callee` for the caller of `incoming` (a phone, or a trunk's caller), as Asterisk's
/// `Dial(PJSIP/<callee>)`: 480 at once when it has no registered contact.
pub(super) async fn ring_extension(
    shared: Arc<Shared>,
    incoming: ServerRequest,
    caller: Caller,
    mut record: Record,
    offer: SessionDescription,
    callee: &ExtensionEntry,
) {
    let attempt = Attempt::extension(&shared, callee).await;
    if attempt.targets.is_empty() {
        (record.dstchannel, record.lastdata) = (attempt.channel, attempt.lastdata);
        record.publish_application();
        answer(&shared, &incoming, 480, "Temporarily Unavailable").await;
        let channel = record.dstchannel.clone();
        return record.finish(&shared, Disposition::NoAnswer, 20, &channel).await;
    }
    connect(shared, incoming, caller, record, offer, vec![attempt]).await;
}

/// Opens the relay and runs the call through `attempts` (the next one when a trunk fails),
/// to its end. Without any attempt (a route whose trunks are all unusable) the caller
/// hears 503, as Asterisk's congestion.
async fn connect(
    shared: Arc<Shared>,
    incoming: ServerRequest,
    caller: Caller,
    record: Record,
    offer: SessionDescription,
    attempts: Vec<Attempt>,
) {
    if attempts.is_empty() {
        let reason = "Service Unavailable (no trunk of the route is usable)";
        return record.refuse(&shared, &incoming, 503, reason, Disposition::Congestion, 34).await;
    }
    let relay = match shared.media.relay().await {
        Ok(relay) => relay,
        Err(e) => {
            tracing::warn!(error = %e, "no media relay");
            return record.refuse(&shared, &incoming, 503, "Service Unavailable", Disposition::Congestion, 34).await;
        }
    };
    if let Some(target) = offer.audio_target() {
        relay.set_remote(Side::A, target);
    }
    let a_call_id = message::call_id(&incoming.request.headers).unwrap_or_default();
    let caller_line = shared.devices.open(caller.extension.as_deref(), &record.channel, ChannelState::Ring);
    let mut b2b = B2bua::new(&shared, relay, record, vec![a_call_id]);
    b2b.lines[0] = Some(caller_line);
    let call = Call { b2b, a: incoming, a_tag: new_tag(), caller, offer };
    call.run(attempts).await;
}

/// Keeps the dispatcher's Call-ID entries for as long as the call lives.
pub(super) struct CallRegistration {
    shared: Arc<Shared>,
    sender: mpsc::Sender<CallInput>,
    call_ids: Vec<String>,
}

impl CallRegistration {
    /// Routes the requests of dialogs with these Call-IDs to `sender`.
    pub(super) fn new(
        shared: &Arc<Shared>,
        call_ids: Vec<String>,
        sender: mpsc::Sender<CallInput>,
    ) -> CallRegistration {
        let mut registration = CallRegistration { shared: Arc::clone(shared), sender, call_ids: Vec::new() };
        for id in call_ids {
            registration.add(&id);
        }
        registration
    }

    /// Routes the requests of one more Call-ID here too.
    pub(super) fn add(&mut self, call_id: &str) {
        let mut calls = self.shared.calls.lock().unwrap_or_else(|p| p.into_inner());
        calls.insert(call_id.to_owned(), self.sender.clone());
        self.call_ids.push(call_id.to_owned());
    }
}

impl Drop for CallRegistration {
    fn drop(&mut self) {
        let mut calls = self.shared.calls.lock().unwrap_or_else(|p| p.into_inner());
        for id in &self.call_ids {
            calls.remove(id);
        }
    }
}

/// A call from a phone: the two-leg state plus the caller's INVITE, answered last.
struct Call {
    b2b: B2bua,
    a: ServerRequest,
    a_tag: String,
    caller: Caller,
    offer: SessionDescription,
}

/// How ringing ended.
enum Ringing {
    /// Fork `n` answered with this response.
    Answered(usize, Box<Response>),
    /// Every fork failed; the status the caller should hear (not sent yet: the next trunk
    /// of a route may still take the call).
    Rejected(u16),
    /// The caller heard this failure already; CDR facts.
    Failed { disposition: Disposition, cause: u16, source: String },
}

impl Call {
    async fn reply_a(&self, status: u16, reason: &str, sdp: Option<String>) {
        let Some(mut reply) = Reply::to(&self.a.request, status, reason) else { return };
        reply = reply.tag(&self.a_tag).header(HeaderName::Server, self.b2b.shared.endpoint.product().to_owned());
        if (101..300).contains(&status) {
            reply = reply.header(HeaderName::Contact, self.b2b.contact_for(&self.a.peer, &self.b2b.record.dst));
        }
        if status < 300 {
            reply = reply.header(HeaderName::Allow, super::dispatch::ALLOW);
        }
        if let Some(sdp) = sdp {
            reply = reply.sdp(sdp);
        }
        let Some(response) = reply.build() else { return };
        if let Err(e) = self.b2b.shared.endpoint.respond(&self.a.key, response).await {
            tracing::debug!(error = %e, "could not answer the caller");
        }
    }

    /// Dials each attempt in turn until one answers, the caller gives up, or one fails in a
    /// way the next would not mend (busy, declined) or none is left.
    async fn run(mut self, attempts: Vec<Attempt>) {
        let count = attempts.len();
        for (index, attempt) in attempts.into_iter().enumerate() {
            let last = index + 1 == count;
            let dialled = self.b2b.record.dst.clone();
            let caller = (self.caller.shown_name(), self.caller.number.as_str());
            if !self.b2b.dial_attempt(&attempt, caller, &dialled, &self.offer).await {
                if !last {
                    continue;
                }
                self.reply_a(480, "Temporarily Unavailable", None).await;
                let channel = self.b2b.record.dstchannel.clone();
                return self.b2b.end(Disposition::NoAnswer, 20, &channel).await;
            }
            self.b2b.record.publish_callee_state(ChannelState::Down);
            match self.ring(attempt.ring).await {
                Ringing::Answered(winner, response) => return self.answered(winner, *response).await,
                Ringing::Rejected(status) if !last && hunts_on(status) => {
                    tracing::info!(status, channel = %self.b2b.record.dstchannel, "the trunk failed; trying the next");
                    self.b2b.record.retire_callee(failure_of(status).0);
                }
                Ringing::Rejected(status) => {
                    self.reply_a(status, reason_of(status), None).await;
                    let (cause, disposition) = failure_of(status);
                    let source = self.b2b.record.dstchannel.clone();
                    self.b2b.drain().await;
                    return self.b2b.end(disposition, cause, &source).await;
                }
                Ringing::Failed { disposition, cause, source } => {
                    self.b2b.drain().await;
                    return self.b2b.end(disposition, cause, &source).await;
                }
            }
        }
    }

    async fn ring(&mut self, ring: Duration) -> Ringing {
        let deadline = Instant::now() + ring;
        loop {
            tokio::select! {
                report = self.b2b.reports.recv() => {
                    let Some((Slot::Fork(side, index), event)) = report else { continue };
                    if side != Side::B {
                        continue;
                    }
                    if self.b2b.reauthorize(Side::B, index, &event).await {
                        continue;
                    }
                    match self.b2b.dial_on(Side::B).on_ringing_report(index, event) {
                        Progress::Answered(index, response) => return Ringing::Answered(index, response),
                        Progress::Failed(status) => return Ringing::Rejected(status),
                        Progress::EarlyMedia(early) => {
                            // Early media: the callee's SDP answer goes through the relay.
                            if let Some(target) = early.audio_target() {
                                self.b2b.relay.set_remote(Side::B, target);
                            }
                            let peer = self.a.peer;
                            let sdp = self.b2b.sdp_towards(Side::A, &peer, &early);
                            self.reply_a(183, "Session Progress", Some(sdp)).await;
                        }
                        Progress::Ringing => {
                            self.reply_a(180, "Ringing", None).await;
                            self.b2b.record.publish_callee_state(ChannelState::Ringing);
                        }
                        Progress::Nothing => {}
                    }
                }
                input = self.b2b.inputs.recv() => match input {
                    Some(CallInput::Cancelled(key)) if key == self.a.key => {
                        self.b2b.cancel_dials().await;
                        self.reply_a(487, "Request Terminated", None).await;
                        return Ringing::Failed { disposition: Disposition::NoAnswer, cause: 16, source: self.b2b.record.channel.clone() };
                    }
                    Some(CallInput::Request(request)) => {
                        // Nothing is established yet: in-dialog requests have no dialog here.
                        answer(&self.b2b.shared, &request, 481, "Call/Transaction Does Not Exist").await;
                    }
                    Some(CallInput::Ack | CallInput::Cancelled(_)) | None => {}
                },
                () = tokio::time::sleep_until(deadline) => {
                    self.b2b.cancel_dials().await;
                    self.reply_a(480, "Temporarily Unavailable (no answer)", None).await;
                    return Ringing::Failed { disposition: Disposition::NoAnswer, cause: 19, source: self.b2b.record.dstchannel.clone() };
                }
            }
        }
    }

    async fn answered(mut self, winner: usize, response: Response) {
        let Some(b) = self.b2b.accept(Side::B, winner, &response).await else {
            self.reply_a(502, "Bad Gateway", None).await;
            let channel = self.b2b.record.dstchannel.clone();
            self.b2b.drain().await;
            return self.b2b.end(Disposition::Failed, 31, &channel).await;
        };
        let a_peer = self.a.peer;
        let to_a = b.sdp.map(|sdp| self.b2b.sdp_towards(Side::A, &a_peer, &sdp));
        self.reply_a(200, "OK", to_a).await;
        self.b2b.set_line_states(ChannelState::Up);
        self.b2b.record.answer = Some(OffsetDateTime::now_utc());
        self.b2b.record.publish_callee_state(ChannelState::Up);
        self.b2b.record.publish_caller_state(ChannelState::Up);
        self.b2b.shared.metrics.calls_answered.fetch_add(1, Ordering::Relaxed);
        let dialled = self.b2b.record.dst.clone();
        let a_contact = self.b2b.contact_for(&a_peer, &dialled);
        let a_dialog = match Dialog::as_uas(&self.a.request, &self.a_tag, &a_contact) {
            Ok(dialog) => dialog,
            Err(e) => {
                tracing::warn!(error = %e, "the caller's INVITE cannot form a dialog");
                self.b2b.refuse_answer(Side::B, winner, &response).await;
                let channel = self.b2b.record.channel.clone();
                return self.b2b.end(Disposition::Answered, 16, &channel).await;
            }
        };
        let shared = Arc::clone(&self.b2b.shared);
        let (a_channel, b_channel) = (self.b2b.record.channel.clone(), self.b2b.record.dstchannel.clone());
        let mut legs = [
            Leg::new(&shared, a_dialog, a_peer, Side::A, a_channel, dialled),
            Leg::new(&shared, b.dialog, b.peer, Side::B, b_channel, self.caller.number.clone()),
        ];
        let hangup_source = self.b2b.talk(&mut legs).await;
        drop(legs);
        self.b2b.drain().await;
        self.b2b.end(Disposition::Answered, 16, &hangup_source).await;
    }
}
