//! One call through the PBX, as a back-to-back user agent: the caller's INVITE ends here
//! (leg A) and a new INVITE goes to each registered contact of the callee in parallel
//! (leg B forks). One task owns all of it — transactions' reports, the two dialogs, the
//! media relay — so no lock guards call state. The call ends with a CDR.
//!
//! Ringing: 180/183 are relayed, the first 2xx wins (the other forks are cancelled, and a
//! late 2xx is ACKed and hung up), CANCEL from the caller gives 487, the ring timeout 480,
//! and when every fork fails the caller gets the most telling failure (486 before 480).
//! Answered: BYE from either side ends the call; re-INVITE (hold, unhold), UPDATE and INFO
//! are forwarded to the other side with the SDP rewritten through the relay.

use super::dispatch::{answer, deny};
use super::Shared;
use crate::access::Access;
use crate::cdr::{CallRecord, Disposition};
use crate::devicestate::ChannelGuard;
use crate::directory::ExtensionEntry;
use crate::events::{CallEvents, ChannelEventKind, ChannelState, EventBus};
use crate::metrics::Live;
use crate::registrar::Binding;
use sb_media::relay::{Relay, Side};
use sb_media::sdp::SessionDescription;
use sb_sip::auth::AuthRole;
use sb_sip::dialog::Dialog;
use sb_sip::endpoint::{ClientEvent, ServerRequest};
use sb_sip::message::{self, HeaderName, Method, Reply, Request, RequestBuilder, Response};
use sb_sip::transaction::TransactionKey;
use sb_sip::transport::{Peer, Protocol};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// How long to wait for forks to settle after the caller is answered with a failure.
const DRAIN: Duration = Duration::from_secs(32);

/// Channel numbers, as Asterisk's `PJSIP/1001-00000001`.
static CHANNELS: AtomicU64 = AtomicU64::new(1);

/// Call sequence numbers for CDR uniqueids (`<unix time>.<n>`, as Asterisk's), unique per process.
static CALLS: AtomicU64 = AtomicU64::new(1);

fn channel_name(extension: &str) -> String {
    format!("PJSIP/{extension}-{:08x}", CHANNELS.fetch_add(1, Ordering::Relaxed))
}

fn sip_host(addr: std::net::SocketAddr) -> String {
    addr.to_string()
}

/// Our Contact for `user` in messages to `peer`: the address and transport it reaches us on.
pub(super) fn contact(shared: &Shared, peer: &Peer, user: &str) -> String {
    let local = shared.endpoint.local_for(peer).map(sip_host).unwrap_or_default();
    match peer.protocol {
        Protocol::Tcp => format!("<sip:{user}@{local};transport=tcp>"),
        Protocol::Udp => format!("<sip:{user}@{local}>"),
    }
}

/// The parts of a CDR known as the call goes.
pub(super) struct Record {
    uniqueid: String,
    tenant: String,
    clid: String,
    src: String,
    pub(super) dst: String,
    pub(super) channel: String,
    dstchannel: String,
    /// The dialplan application Asterisk would name: `Dial` for calls between phones.
    pub(super) lastapp: &'static str,
    pub(super) lastdata: String,
    start: OffsetDateTime,
    pub(super) answer: Option<OffsetDateTime>,
    /// The call's events on the bus, numbered in the order the call makes them.
    events: CallEvents,
    caller_state: ChannelState,
    /// The callee's channel state, once that channel exists.
    callee_state: Option<ChannelState>,
}

impl Record {
    fn new(caller: &ExtensionEntry, dialled: &str, bus: &EventBus) -> Record {
        let start = OffsetDateTime::now_utc();
        let channel = channel_name(&caller.number);
        let uniqueid = format!("{}.{}", start.unix_timestamp(), CALLS.fetch_add(1, Ordering::Relaxed));
        let name = caller.display.as_deref().unwrap_or_default();
        let events = CallEvents::new(bus.clone(), &uniqueid, &caller.tenant, &caller.number, name, dialled);
        let mut record = Record {
            uniqueid,
            tenant: caller.tenant.clone(),
            clid: format!("\"{}\" <{}>", caller.display.clone().unwrap_or_else(|| caller.number.clone()), caller.number),
            src: caller.number.clone(),
            dst: dialled.to_owned(),
            channel,
            dstchannel: String::new(),
            lastapp: "Dial",
            lastdata: String::new(),
            start,
            answer: None,
            events,
            caller_state: ChannelState::Ring,
            callee_state: None,
        };
        let channel = record.channel.clone();
        record.events.publish(&channel, ChannelState::Ring, ChannelEventKind::Created);
        record
    }

    /// Publishes that the caller's channel entered `lastapp` (Asterisk's `Newexten`).
    pub(super) fn publish_application(&mut self) {
        let kind = ChannelEventKind::Dialplan { app: self.lastapp.to_owned(), data: self.lastdata.clone() };
        self.events.publish(&self.channel, self.caller_state, kind);
    }

    /// Publishes the caller's channel's new state.
    pub(super) fn publish_caller_state(&mut self, state: ChannelState) {
        self.caller_state = state;
        self.events.publish(&self.channel, state, ChannelEventKind::StateChanged);
    }

    /// Publishes the callee's channel: made (`Down`) the first time, then its new states.
    fn publish_callee_state(&mut self, state: ChannelState) {
        let kind = if self.callee_state.is_some() { ChannelEventKind::StateChanged } else { ChannelEventKind::Created };
        self.callee_state = Some(state);
        self.events.publish(&self.dstchannel, state, kind);
    }

    /// Publishes the hang-up of every channel of the call, the one that hung up first.
    fn publish_hangups(&mut self, cause: u16, hangup_source: &str) {
        let callee = self.callee_state.map(|state| (self.dstchannel.clone(), state));
        let caller = Some((self.channel.clone(), self.caller_state));
        let order = if hangup_source == self.dstchannel { [callee, caller] } else { [caller, callee] };
        for (name, state) in order.into_iter().flatten() {
            self.events.publish(&name, state, ChannelEventKind::HungUp { cause });
        }
    }

    /// Refuses the caller's INVITE with `status` and records a call that the caller's
    /// channel ended.
    pub(super) async fn refuse(
        self,
        shared: &Shared,
        incoming: &ServerRequest,
        status: u16,
        reason: &str,
        disposition: Disposition,
        cause: u16,
    ) {
        answer(shared, incoming, status, reason).await;
        self.end_by_caller(shared, disposition, cause).await;
    }

    /// Records a call that the caller's channel ended.
    pub(super) async fn end_by_caller(self, shared: &Shared, disposition: Disposition, cause: u16) {
        let channel = self.channel.clone();
        self.finish(shared, disposition, cause, &channel).await;
    }

    pub(super) async fn finish(mut self, shared: &Shared, disposition: Disposition, cause: u16, hangup_source: &str) {
        self.publish_hangups(cause, hangup_source);
        let record = CallRecord {
            linkedid: self.uniqueid.clone(),
            uniqueid: self.uniqueid,
            tenant: self.tenant.clone(),
            start: self.start,
            answer: self.answer,
            end: OffsetDateTime::now_utc(),
            clid: self.clid,
            src: self.src,
            dst: self.dst,
            dcontext: self.tenant,
            channel: self.channel,
            dstchannel: self.dstchannel,
            lastapp: self.lastapp.into(),
            lastdata: self.lastdata,
            disposition,
            hangup_cause: cause,
            hangup_source: hangup_source.to_owned(),
            accountcode: String::new(),
            userfield: String::new(),
        };
        if let Err(e) = crate::cdr::record(&shared.store, &record).await {
            tracing::error!(error = %e, uniqueid = %record.uniqueid, "could not write the CDR");
        }
    }
}

/// Q.850 cause and CDR disposition of a failure status from the callee (RFC 3398 §8.2.6.1).
fn failure_of(status: u16) -> (u16, Disposition) {
    match status {
        486 | 600 => (17, Disposition::Busy),
        603 => (21, Disposition::Busy),
        404 | 604 => (1, Disposition::Failed),
        408 => (18, Disposition::NoAnswer),
        480 => (18, Disposition::NoAnswer),
        487 => (16, Disposition::NoAnswer),
        503 => (34, Disposition::Congestion),
        _ => (31, Disposition::Failed),
    }
}

/// Which failure the caller hears when every fork failed (§16.7 step 6, simplified):
/// busy beats decline beats the rest, which become 480.
fn best_failure(statuses: &[u16]) -> u16 {
    for preferred in [486, 600, 603, 404] {
        if statuses.contains(&preferred) {
            return preferred;
        }
    }
    480
}

fn reason_of(status: u16) -> &'static str {
    match status {
        404 => "Not Found",
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Call Failed",
    }
}

/// Authenticates and routes a new INVITE, then runs the call to its end.
pub(super) async fn start(shared: Arc<Shared>, incoming: ServerRequest) {
    let caller = match shared.access.check(&incoming.request, incoming.peer.addr.ip(), AuthRole::Proxy).await {
        Access::Granted(caller) => caller,
        denied => return deny(&shared, &incoming, denied, AuthRole::Proxy).await,
    };
    shared.metrics.calls_total.fetch_add(1, Ordering::Relaxed);
    let dialled = incoming.request.uri.user().map(|u| String::from_utf8_lossy(u).into_owned()).unwrap_or_default();
    let mut record = Record::new(&caller, &dialled, &shared.events);
    let body = String::from_utf8_lossy(incoming.request.body()).into_owned();
    // Offerless INVITEs (the offer in the ACK) are not relayed yet: every phone we target
    // offers in the INVITE, and 488 tells the rest plainly.
    let offer = match SessionDescription::parse(&body) {
        Ok(offer) if offer.audio_target().is_some() => offer,
        _ => {
            answer(&shared, &incoming, 488, "Not Acceptable Here (an SDP audio offer is required)").await;
            return record.finish(&shared, Disposition::Failed, 88, &record_channel(&caller)).await;
        }
    };
    if let Some(application) = shared.applications.get(&dialled).cloned() {
        return super::application::run(Arc::clone(&shared), incoming, &caller, offer, application, record).await;
    }
    let callee = match shared.directory.extension(&dialled).await {
        Ok(Some(callee)) if callee.active => callee,
        Ok(_) => {
            return record.refuse(&shared, &incoming, 404, "Not Found", Disposition::Failed, 1).await;
        }
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable");
            return record.refuse(&shared, &incoming, 500, "Server Internal Error", Disposition::Failed, 41).await;
        }
    };
    record.dstchannel = channel_name(&callee.number);
    let ring = shared.directory.ring_timeout(&callee.number).await;
    record.lastdata = format!("PJSIP/{},{}", callee.number, ring.as_secs());
    record.publish_application();
    let contacts = shared.registrar.contacts(&callee.number);
    if contacts.is_empty() {
        answer(&shared, &incoming, 480, "Temporarily Unavailable").await;
        let channel = record.dstchannel.clone();
        return record.finish(&shared, Disposition::NoAnswer, 20, &channel).await;
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
    let (inputs_tx, inputs) = mpsc::channel(64);
    let (events_tx, events) = mpsc::channel(64);
    let a_call_id = message::call_id(&incoming.request.headers).unwrap_or_default();
    let b_call_id = format!("{:032x}", rand::random::<u128>());
    let registration = CallRegistration::new(&shared, vec![a_call_id.clone(), b_call_id.clone()], inputs_tx);
    let lines = [
        shared.devices.open(Some(&caller.number), &record.channel, ChannelState::Ring),
        shared.devices.open(Some(&callee.number), &record.dstchannel, ChannelState::Ringing),
    ];
    let call = Call {
        live: Live::new(&shared.metrics, |m| &m.calls_active),
        shared: Arc::clone(&shared),
        _registration: registration,
        inputs,
        events,
        events_tx,
        a: incoming,
        a_tag: new_tag(),
        a_call_id,
        b_call_id,
        b_from_tag: new_tag(),
        caller,
        relay,
        offer,
        versions: [1, 1],
        forks: Vec::new(),
        pending: HashMap::new(),
        next_pending: 0,
        record,
        lines,
    };
    call.run(contacts, ring).await;
}

fn record_channel(caller: &ExtensionEntry) -> String {
    format!("PJSIP/{}", caller.number)
}

/// Keeps the dispatcher's Call-ID entries for as long as the call lives.
pub(super) struct CallRegistration {
    shared: Arc<Shared>,
    call_ids: Vec<String>,
}

impl CallRegistration {
    pub(super) fn new(shared: &Arc<Shared>, call_ids: Vec<String>, sender: mpsc::Sender<CallInput>) -> CallRegistration {
        let mut calls = shared.calls.lock().unwrap_or_else(|p| p.into_inner());
        for id in &call_ids {
            calls.insert(id.clone(), sender.clone());
        }
        CallRegistration { shared: Arc::clone(shared), call_ids }
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

/// Who a report from the endpoint is about.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Fork `n` of the INVITE to the callee.
    Fork(usize),
    /// A request forwarded from one leg to the other, waiting for its answer.
    Forwarded(u64),
}

struct Fork {
    key: TransactionKey,
    request: Request,
    peer: Peer,
    /// Whether a final response (or a timeout) ended it.
    done: bool,
    status: u16,
}

/// An established leg: its dialog, where its peer is, its side of the relay.
struct Leg {
    dialog: Dialog,
    peer: Peer,
    side: Side,
    channel: String,
    _live: Live,
}

/// A request from one leg, forwarded on the other, waiting for the answer.
struct Forwarded {
    origin: ServerRequest,
    /// The leg the request came from (0 = A, 1 = B).
    from: usize,
    method: Method,
    cseq: u32,
}

struct Call {
    shared: Arc<Shared>,
    live: Live,
    _registration: CallRegistration,
    inputs: mpsc::Receiver<CallInput>,
    events: mpsc::Receiver<(Slot, ClientEvent)>,
    events_tx: mpsc::Sender<(Slot, ClientEvent)>,
    a: ServerRequest,
    a_tag: String,
    a_call_id: String,
    b_call_id: String,
    b_from_tag: String,
    caller: ExtensionEntry,
    relay: Relay,
    offer: SessionDescription,
    /// SDP origin versions we send towards A and B.
    versions: [u64; 2],
    forks: Vec<Fork>,
    pending: HashMap<u64, Forwarded>,
    next_pending: u64,
    record: Record,
    /// The caller's and the callee's channels in the device states, by [`Side`] order.
    lines: [ChannelGuard; 2],
}

/// How ringing ended.
enum Ringing {
    /// Fork `n` answered with this response.
    Answered(usize, Box<Response>),
    /// The caller heard this failure already; CDR facts.
    Failed { disposition: Disposition, cause: u16, source: String },
}

impl Call {
    fn contact_for(&self, peer: &Peer, user: &str) -> String {
        contact(&self.shared, peer, user)
    }

    /// Our SDP towards `side`: `sdp` rewritten to the relay's port on that side, at the
    /// address the peer reaches us on.
    fn sdp_towards(&mut self, side: Side, peer: &Peer, sdp: &SessionDescription) -> String {
        let index = side_index(side);
        self.versions[index] += 1;
        let ip = self.shared.endpoint.local_for(peer).map(|a| a.ip()).unwrap_or_else(|| self.relay.local(side).ip());
        let ip = if ip.is_unspecified() { self.relay.local(side).ip() } else { ip };
        sdp.rewrite(ip, self.relay.local(side).port(), self.versions[index])
    }

    fn track(&self, slot: Slot, mut events: mpsc::Receiver<ClientEvent>) {
        let sink = self.events_tx.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if sink.send((slot, event)).await.is_err() {
                    return;
                }
            }
        });
    }

    async fn reply_a(&self, status: u16, reason: &str, sdp: Option<String>) {
        let Some(mut reply) = Reply::to(&self.a.request, status, reason) else { return };
        reply = reply.tag(&self.a_tag).header(HeaderName::Server, self.shared.endpoint.product().to_owned());
        if (101..300).contains(&status) {
            reply = reply.header(HeaderName::Contact, self.contact_for(&self.a.peer, &self.record.dst));
        }
        if status < 300 {
            reply = reply.header(HeaderName::Allow, super::dispatch::ALLOW);
        }
        if let Some(sdp) = sdp {
            reply = reply.sdp(sdp);
        }
        let Some(response) = reply.build() else { return };
        if let Err(e) = self.shared.endpoint.respond(&self.a.key, response).await {
            tracing::debug!(error = %e, "could not answer the caller");
        }
    }

    fn fork_request(&mut self, binding: &Binding, peer: &Peer) -> Option<Request> {
        let uri = message::parse_uri(&binding.uri)?;
        let local = self.shared.endpoint.local_for(peer).map(sip_host)?;
        let display = self.caller.display.clone().unwrap_or_else(|| self.caller.number.clone()).replace(['"', '\\'], "");
        let body = self.sdp_towards(Side::B, peer, &self.offer.clone());
        let builder = RequestBuilder::new(Method::Invite, uri)
            .max_forwards(70)
            .header(HeaderName::From, format!("\"{display}\" <sip:{}@{local}>;tag={}", self.caller.number, self.b_from_tag))
            .and_then(|b| b.header(HeaderName::To, format!("<sip:{}@{local}>", self.record.dst)))
            .and_then(|b| b.header(HeaderName::CallId, self.b_call_id.clone()))
            .and_then(|b| b.cseq(1, &Method::Invite))
            .and_then(|b| b.header(HeaderName::Contact, self.contact_for(peer, &self.caller.number)))
            .and_then(|b| b.header(HeaderName::Allow, super::dispatch::ALLOW))
            .and_then(|b| b.header(HeaderName::UserAgent, self.shared.endpoint.product().to_owned()))
            .and_then(|b| b.header(HeaderName::ContentType, "application/sdp"))
            .ok()?;
        Some(builder.body(body).build())
    }

    async fn run(mut self, contacts: Vec<Binding>, ring: Duration) {
        for binding in &contacts {
            let protocol = if binding.transport.eq_ignore_ascii_case("tcp") { Protocol::Tcp } else { Protocol::Udp };
            // NAT: the contact is reached where its REGISTER came from (RFC 3581 spirit).
            let peer = Peer { protocol, addr: binding.source };
            let Some(request) = self.fork_request(binding, &peer) else { continue };
            match self.shared.endpoint.request(request, peer).await {
                Ok(tx) => {
                    let index = self.forks.len();
                    self.track(Slot::Fork(index), tx.events);
                    self.forks.push(Fork { key: tx.key, request: tx.request, peer, done: false, status: 0 });
                }
                Err(e) => tracing::warn!(error = %e, "could not start a fork"),
            }
        }
        if self.forks.is_empty() {
            self.reply_a(480, "Temporarily Unavailable", None).await;
            let channel = self.record.dstchannel.clone();
            return self.end(Disposition::NoAnswer, 20, &channel).await;
        }
        self.record.publish_callee_state(ChannelState::Down);
        match self.ring(ring).await {
            Ringing::Answered(winner, response) => self.answered(winner, *response).await,
            Ringing::Failed { disposition, cause, source } => {
                self.drain().await;
                self.end(disposition, cause, &source).await;
            }
        }
    }

    async fn ring(&mut self, ring: Duration) -> Ringing {
        let deadline = Instant::now() + ring;
        let mut told_ringing = false;
        loop {
            tokio::select! {
                report = self.events.recv() => {
                    let Some((slot, event)) = report else { continue };
                    let Slot::Fork(index) = slot else { continue };
                    match event {
                        ClientEvent::Response(response) => {
                            let status = response.status.code();
                            if (200..300).contains(&status) {
                                self.forks[index].done = true;
                                self.forks[index].status = status;
                                return Ringing::Answered(index, response);
                            }
                            if status >= 300 {
                                self.forks[index].done = true;
                                self.forks[index].status = status;
                            } else if status == 183 && !response.body().is_empty() {
                                // Early media: the callee's SDP answer goes through the relay.
                                if let Ok(early) = SessionDescription::parse(&String::from_utf8_lossy(response.body())) {
                                    if let Some(target) = early.audio_target() {
                                        self.relay.set_remote(Side::B, target);
                                    }
                                    let peer = self.a.peer;
                                    let sdp = self.sdp_towards(Side::A, &peer, &early);
                                    self.reply_a(183, "Session Progress", Some(sdp)).await;
                                }
                            } else if status == 180 && !told_ringing {
                                told_ringing = true;
                                self.reply_a(180, "Ringing", None).await;
                                self.record.publish_callee_state(ChannelState::Ringing);
                            }
                        }
                        ClientEvent::Timeout | ClientEvent::TransportError => {
                            self.forks[index].done = true;
                            self.forks[index].status = 408;
                        }
                    }
                    if self.forks.iter().all(|f| f.done) {
                        let statuses: Vec<u16> = self.forks.iter().map(|f| f.status).collect();
                        let status = best_failure(&statuses);
                        self.reply_a(status, reason_of(status), None).await;
                        let (cause, disposition) = failure_of(status);
                        return Ringing::Failed { disposition, cause, source: self.record.dstchannel.clone() };
                    }
                }
                input = self.inputs.recv() => match input {
                    Some(CallInput::Cancelled(key)) if key == self.a.key => {
                        self.cancel_forks(None).await;
                        self.reply_a(487, "Request Terminated", None).await;
                        return Ringing::Failed { disposition: Disposition::NoAnswer, cause: 16, source: self.record.channel.clone() };
                    }
                    Some(CallInput::Request(request)) => {
                        // Nothing is established yet: in-dialog requests have no dialog here.
                        answer(&self.shared, &request, 481, "Call/Transaction Does Not Exist").await;
                    }
                    Some(CallInput::Ack | CallInput::Cancelled(_)) | None => {}
                },
                () = tokio::time::sleep_until(deadline) => {
                    self.cancel_forks(None).await;
                    self.reply_a(480, "Temporarily Unavailable (no answer)", None).await;
                    return Ringing::Failed { disposition: Disposition::NoAnswer, cause: 19, source: self.record.dstchannel.clone() };
                }
            }
        }
    }

    async fn cancel_forks(&self, except: Option<usize>) {
        for (index, fork) in self.forks.iter().enumerate() {
            if Some(index) != except && !fork.done {
                self.shared.endpoint.cancel(&fork.key).await;
            }
        }
    }

    /// ACKs a 2xx from a fork that lost the race, then hangs it up (§13.2.2.4).
    async fn refuse_late_answer(&self, index: usize, response: &Response) {
        let fork = &self.forks[index];
        let contact = self.contact_for(&fork.peer, &self.caller.number);
        let Ok(mut dialog) = Dialog::as_uac(&fork.request, response, &contact) else { return };
        if let Ok(ack) = dialog.ack(1) {
            let _ = self.shared.endpoint.send_ack(ack, fork.peer).await;
        }
        if let Ok(bye) = dialog.request(Method::Bye, None) {
            let _ = self.shared.endpoint.request(bye, fork.peer).await;
        }
    }

    /// After the caller got a failure: wait for the cancelled forks to settle, hanging up
    /// any that answered in the race.
    async fn drain(&mut self) {
        let deadline = Instant::now() + DRAIN;
        while self.forks.iter().any(|f| !f.done) {
            tokio::select! {
                report = self.events.recv() => {
                    let Some((Slot::Fork(index), event)) = report else { continue };
                    match event {
                        ClientEvent::Response(response) if response.status.code() >= 200 => {
                            if response.status.code() < 300 {
                                self.refuse_late_answer(index, &response).await;
                            }
                            self.forks[index].done = true;
                        }
                        ClientEvent::Response(_) => {}
                        ClientEvent::Timeout | ClientEvent::TransportError => self.forks[index].done = true,
                    }
                }
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    async fn answered(mut self, winner: usize, response: Response) {
        let fork_peer = self.forks[winner].peer;
        let b_contact = self.contact_for(&fork_peer, &self.caller.number);
        let b_dialog = match Dialog::as_uac(&self.forks[winner].request, &response, &b_contact) {
            Ok(dialog) => dialog,
            Err(e) => {
                tracing::warn!(error = %e, "the callee's 2xx cannot form a dialog");
                self.refuse_late_answer(winner, &response).await;
                self.cancel_forks(Some(winner)).await;
                self.reply_a(502, "Bad Gateway", None).await;
                let channel = self.record.dstchannel.clone();
                self.drain().await;
                return self.end(Disposition::Failed, 31, &channel).await;
            }
        };
        let b_ack = b_dialog.ack(1);
        if let Ok(ack) = b_ack.clone() {
            let _ = self.shared.endpoint.send_ack(ack, fork_peer).await;
        }
        self.cancel_forks(Some(winner)).await;
        let answer_sdp = SessionDescription::parse(&String::from_utf8_lossy(response.body())).ok();
        if let Some(target) = answer_sdp.as_ref().and_then(SessionDescription::audio_target) {
            self.relay.set_remote(Side::B, target);
        }
        let a_peer = self.a.peer;
        let to_a = answer_sdp.map(|sdp| self.sdp_towards(Side::A, &a_peer, &sdp));
        self.reply_a(200, "OK", to_a).await;
        for line in &self.lines {
            line.set_state(ChannelState::Up);
        }
        self.record.answer = Some(OffsetDateTime::now_utc());
        self.record.publish_callee_state(ChannelState::Up);
        self.record.publish_caller_state(ChannelState::Up);
        self.shared.metrics.calls_answered.fetch_add(1, Ordering::Relaxed);
        let a_contact = self.contact_for(&a_peer, &self.record.dst);
        let a_dialog = match Dialog::as_uas(&self.a.request, &self.a_tag, &a_contact) {
            Ok(dialog) => dialog,
            Err(e) => {
                tracing::warn!(error = %e, "the caller's INVITE cannot form a dialog");
                if let Ok(mut b) = Dialog::as_uac(&self.forks[winner].request, &response, &b_contact) {
                    if let Ok(bye) = b.request(Method::Bye, None) {
                        let _ = self.shared.endpoint.request(bye, fork_peer).await;
                    }
                }
                let channel = self.record.channel.clone();
                return self.end(Disposition::Answered, 16, &channel).await;
            }
        };
        let mut legs = [
            Leg { dialog: a_dialog, peer: a_peer, side: Side::A, channel: self.record.channel.clone(), _live: Live::new(&self.shared.metrics, |m| &m.dialogs) },
            Leg { dialog: b_dialog, peer: fork_peer, side: Side::B, channel: self.record.dstchannel.clone(), _live: Live::new(&self.shared.metrics, |m| &m.dialogs) },
        ];
        let hangup_source = self.talk(&mut legs, winner, b_ack.ok()).await;
        drop(legs);
        self.drain().await;
        self.end(Disposition::Answered, 16, &hangup_source).await;
    }

    /// The answered call, until a BYE from either side; answers who hung up.
    async fn talk(&mut self, legs: &mut [Leg; 2], winner: usize, b_ack: Option<Request>) -> String {
        loop {
            tokio::select! {
                input = self.inputs.recv() => match input {
                    Some(CallInput::Request(request)) => {
                        let from = if message::call_id(&request.request.headers).as_deref() == Some(self.a_call_id.as_str()) { 0 } else { 1 };
                        let from_tag = message::from(&request.request.headers).and_then(|f| f.tag).unwrap_or_default();
                        if from_tag != legs[from].dialog.remote_tag() {
                            // A losing fork's dialog, or a stale one.
                            answer(&self.shared, &request, 481, "Call/Transaction Does Not Exist").await;
                            continue;
                        }
                        if legs[from].dialog.on_request(&request.request).is_err() {
                            answer(&self.shared, &request, 500, "Server Internal Error (CSeq out of order)").await;
                            continue;
                        }
                        if request.request.method == Method::Bye {
                            answer(&self.shared, &request, 200, "OK").await;
                            let other = &mut legs[1 - from];
                            if let Ok(bye) = other.dialog.request(Method::Bye, None) {
                                let _ = self.shared.endpoint.request(bye, other.peer).await;
                            }
                            return legs[from].channel.clone();
                        }
                        self.forward(legs, from, *request).await;
                    }
                    Some(CallInput::Ack | CallInput::Cancelled(_)) => {}
                    None => return legs[0].channel.clone(),
                },
                report = self.events.recv() => {
                    let Some((slot, event)) = report else { continue };
                    match (slot, event) {
                        (Slot::Fork(index), ClientEvent::Response(response)) if response.status.code() >= 200 && response.status.code() < 300 => {
                            if index == winner {
                                // Our ACK was lost: the 2xx came again (§13.2.2.4).
                                if let Some(ack) = b_ack.clone() {
                                    let _ = self.shared.endpoint.send_ack(ack, legs[1].peer).await;
                                }
                            } else {
                                self.refuse_late_answer(index, &response).await;
                            }
                        }
                        (Slot::Fork(index), ClientEvent::Response(response)) if response.status.code() >= 300 => self.forks[index].done = true,
                        (Slot::Fork(index), ClientEvent::Timeout | ClientEvent::TransportError) => self.forks[index].done = true,
                        (Slot::Forwarded(id), event) => self.forwarded_answer(legs, id, event).await,
                        _ => {}
                    }
                }
            }
        }
    }

    /// Forwards an in-dialog request from leg `from` to the other leg.
    async fn forward(&mut self, legs: &mut [Leg; 2], from: usize, request: ServerRequest) {
        let to = 1 - from;
        let method = request.request.method.clone();
        let content_type = message::header(&request.request.headers, &HeaderName::ContentType);
        let mut body = None;
        if !request.request.body().is_empty() {
            let is_sdp = content_type.as_deref().is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("application/sdp"));
            if is_sdp {
                let Ok(sdp) = SessionDescription::parse(&String::from_utf8_lossy(request.request.body())) else {
                    return answer(&self.shared, &request, 488, "Not Acceptable Here").await;
                };
                // On hold the address may be 0.0.0.0: keep the latched one.
                if let Some(target) = sdp.audio_target().filter(|t| !t.ip().is_unspecified()) {
                    self.relay.set_remote(legs[from].side, target);
                }
                // The phone that sends a hold offer is the one on hold, as Asterisk counts it.
                if matches!(method, Method::Invite | Method::Update) {
                    let line = match legs[from].side {
                        Side::A => &self.lines[0],
                        Side::B => &self.lines[1],
                    };
                    line.set_held(sdp.is_hold());
                }
                let peer = legs[to].peer;
                let rewritten = self.sdp_towards(legs[to].side, &peer, &sdp);
                body = Some(("application/sdp".to_owned(), bytes::Bytes::from(rewritten)));
            } else {
                body = Some((content_type.clone().unwrap_or_else(|| "application/octet-stream".into()), request.request.body().clone()));
            }
        }
        let outgoing = match &body {
            Some((kind, bytes)) => legs[to].dialog.request(method.clone(), Some((kind.as_str(), bytes.clone()))),
            None => legs[to].dialog.request(method.clone(), None),
        };
        let Ok(outgoing) = outgoing else {
            return answer(&self.shared, &request, 500, "Server Internal Error").await;
        };
        let cseq = legs[to].dialog.local_cseq();
        match self.shared.endpoint.request(outgoing, legs[to].peer).await {
            Ok(tx) => {
                let id = self.next_pending;
                self.next_pending += 1;
                self.track(Slot::Forwarded(id), tx.events);
                self.pending.insert(id, Forwarded { origin: request, from, method, cseq });
            }
            Err(e) => {
                tracing::debug!(error = %e, "could not forward an in-dialog request");
                answer(&self.shared, &request, 503, "Service Unavailable").await;
            }
        }
    }

    /// The other leg answered a forwarded request: pass the answer back.
    async fn forwarded_answer(&mut self, legs: &mut [Leg; 2], id: u64, event: ClientEvent) {
        let response = match event {
            ClientEvent::Response(response) if response.status.code() < 200 => return,
            ClientEvent::Response(response) => response,
            ClientEvent::Timeout | ClientEvent::TransportError => {
                if let Some(pending) = self.pending.remove(&id) {
                    answer(&self.shared, &pending.origin, 408, "Request Timeout").await;
                }
                return;
            }
        };
        let Some(pending) = self.pending.remove(&id) else { return };
        let status = response.status.code();
        let to = 1 - pending.from;
        if pending.method == Method::Invite && (200..300).contains(&status) {
            legs[to].dialog.on_target_refresh_response(&response);
            if let Ok(ack) = legs[to].dialog.ack(pending.cseq) {
                let _ = self.shared.endpoint.send_ack(ack, legs[to].peer).await;
            }
        }
        let mut sdp = None;
        if !response.body().is_empty() {
            if let Ok(answer_sdp) = SessionDescription::parse(&String::from_utf8_lossy(response.body())) {
                if let Some(target) = answer_sdp.audio_target().filter(|t| !t.ip().is_unspecified()) {
                    self.relay.set_remote(legs[to].side, target);
                }
                let peer = legs[pending.from].peer;
                sdp = Some(self.sdp_towards(legs[pending.from].side, &peer, &answer_sdp));
            }
        }
        let reason = String::from_utf8_lossy(&response.reason).into_owned();
        let Some(mut reply) = Reply::to(&pending.origin.request, status, &reason) else { return };
        if (200..300).contains(&status) && matches!(pending.method, Method::Invite | Method::Update) {
            let user = if pending.from == 0 { self.record.dst.clone() } else { self.caller.number.clone() };
            reply = reply.header(HeaderName::Contact, self.contact_for(&legs[pending.from].peer, &user));
        }
        if let Some(sdp) = sdp {
            reply = reply.sdp(sdp);
        }
        if let Some(response) = reply.build() {
            let _ = self.shared.endpoint.respond(&pending.origin.key, response).await;
        }
    }

    async fn end(self, disposition: Disposition, cause: u16, source: &str) {
        let Call { shared, record, relay, live, _registration, .. } = self;
        drop(relay);
        record.finish(&shared, disposition, cause, source).await;
        drop(_registration);
        drop(live);
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_hears_busy_before_decline_before_unavailable() {
        assert_eq!(best_failure(&[480, 486, 603]), 486);
        assert_eq!(best_failure(&[408, 603]), 603);
        assert_eq!(best_failure(&[408, 500, 487]), 480);
        assert_eq!(best_failure(&[404]), 404);
    }

    #[test]
    fn failures_map_to_asterisk_dispositions_and_q850_causes() {
        assert_eq!(failure_of(486), (17, Disposition::Busy));
        assert_eq!(failure_of(480), (18, Disposition::NoAnswer));
        assert_eq!(failure_of(404), (1, Disposition::Failed));
        assert_eq!(failure_of(503), (34, Disposition::Congestion));
    }
}
