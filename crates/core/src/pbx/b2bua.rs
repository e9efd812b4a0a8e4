//! What every two-leg call shares: the media relay between its legs, the reports of its
//! client transactions, its dials, and the answered call's in-dialog traffic (re-INVITE,
//! UPDATE and INFO forwarded with the SDP rewritten through the relay; BYE from either side
//! ends it). A call a phone placed (`call.rs`) and one the PBX originates (`originate.rs`)
//! differ only in how their legs come to be. One task owns all of it, so no lock guards
//! call state.

use super::call::{contact, CallInput, CallRegistration};
use super::dial::{Answered, Dial, Login};
use super::dispatch::answer;
use super::record::Record;
use super::route::Attempt;
use super::Shared;
use crate::cdr::Disposition;
use crate::devicestate::ChannelGuard;
use crate::events::ChannelState;
use crate::metrics::Live;
use crate::registrar::Binding;
use sb_media::relay::{Relay, Side};
use sb_media::sdp::SessionDescription;
use sb_sip::dialog::Dialog;
use sb_sip::endpoint::{ClientEvent, ServerRequest};
use sb_sip::message::{self, HeaderName, Method, Reply, Request, Response};
use sb_sip::transport::{Peer, Protocol};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long to wait for forks to settle after the call ended or failed.
const DRAIN: Duration = Duration::from_secs(32);

/// Who a report from the endpoint is about.
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    /// Fork `n` of the dial on a side.
    Fork(Side, usize),
    /// A request forwarded from one leg to the other, waiting for its answer.
    Forwarded(u64),
}

/// An established leg: its dialog, where its peer is, its side of the relay.
pub(super) struct Leg {
    pub dialog: Dialog,
    pub peer: Peer,
    pub side: Side,
    pub channel: String,
    /// The user we present in our Contact to this leg's peer.
    pub our_user: String,
    _live: Live,
}

impl Leg {
    /// A leg of `shared`'s call (counted in the dialogs gauge while it lives).
    pub(super) fn new(
        shared: &Shared,
        dialog: Dialog,
        peer: Peer,
        side: Side,
        channel: String,
        our_user: String,
    ) -> Leg {
        Leg { dialog, peer, side, channel, our_user, _live: Live::new(&shared.metrics, |m| &m.dialogs) }
    }

    /// Whether `request` belongs to this leg's dialog.
    pub(super) fn owns(&self, request: &Request) -> bool {
        message::call_id(&request.headers).as_deref() == Some(self.dialog.call_id())
            && message::from(&request.headers).and_then(|f| f.tag).as_deref() == Some(self.dialog.remote_tag())
    }
}

/// A request from one leg, forwarded on the other, waiting for the answer.
struct Forwarded {
    origin: ServerRequest,
    /// The leg the request came from (0 = A, 1 = B).
    from: usize,
    method: Method,
    cseq: u32,
}

/// Who a dial's INVITEs say they are from and to.
pub(super) struct Parties<'a> {
    /// The caller's name and number, as the callee will see them.
    pub from: (&'a str, &'a str),
    /// The number dialled, in the To header.
    pub to: &'a str,
    /// The host of the To header: the carrier's for a call out on a trunk, else ours.
    pub to_host: Option<&'a str>,
}

/// Where one INVITE of a dial goes: the Request-URI, and the address and transport.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub uri: String,
    pub peer: Peer,
}

impl From<&Binding> for Target {
    fn from(binding: &Binding) -> Target {
        let protocol = if binding.transport.eq_ignore_ascii_case("tcp") { Protocol::Tcp } else { Protocol::Udp };
        // NAT: the contact is reached where its REGISTER came from (RFC 3581 spirit).
        Target { uri: binding.uri.clone(), peer: Peer { protocol, addr: binding.source } }
    }
}

/// The targets of a registered extension: each of its contacts.
pub(super) fn targets_of(contacts: &[Binding]) -> Vec<Target> {
    contacts.iter().map(Target::from).collect()
}

/// The state every two-leg call shares.
pub(super) struct B2bua {
    pub shared: Arc<Shared>,
    _live: Live,
    registration: CallRegistration,
    /// What the dispatcher hands the call: in-dialog requests, ACKs, CANCELs.
    pub inputs: mpsc::Receiver<CallInput>,
    /// Reports of the call's client transactions (forks and forwarded requests).
    pub reports: mpsc::Receiver<(Slot, ClientEvent)>,
    reports_tx: mpsc::Sender<(Slot, ClientEvent)>,
    pub relay: Relay,
    /// SDP origin versions we send towards A and B.
    versions: [u64; 2],
    /// The dial on each side, by [`side_index`]; a call a phone placed dials only B.
    pub dials: [Option<Dial>; 2],
    pending: HashMap<u64, Forwarded>,
    next_pending: u64,
    pub record: Record,
    /// Each side's channel in the device states, once it exists.
    pub lines: [Option<ChannelGuard>; 2],
}

impl B2bua {
    /// A call over `relay` whose dialogs have these Call-IDs (the dispatcher routes their
    /// requests here until the call ends).
    pub(super) fn new(shared: &Arc<Shared>, relay: Relay, record: Record, call_ids: Vec<String>) -> B2bua {
        let (inputs_tx, inputs) = mpsc::channel(64);
        let (reports_tx, reports) = mpsc::channel(64);
        B2bua {
            _live: Live::new(&shared.metrics, |m| &m.calls_active),
            registration: CallRegistration::new(shared, call_ids, inputs_tx),
            shared: Arc::clone(shared),
            inputs,
            reports,
            reports_tx,
            relay,
            versions: [1, 1],
            dials: [None, None],
            pending: HashMap::new(),
            next_pending: 0,
            record,
            lines: [None, None],
        }
    }

    /// Our Contact for `user` in messages to `peer`.
    pub(super) fn contact_for(&self, peer: &Peer, user: &str) -> String {
        contact(&self.shared, peer, user)
    }

    /// Our SDP towards `side`: `sdp` rewritten to the relay's port on that side, at the
    /// address the peer reaches us on.
    pub(super) fn sdp_towards(&mut self, side: Side, peer: &Peer, sdp: &SessionDescription) -> String {
        let index = side_index(side);
        self.versions[index] += 1;
        let ip = self.shared.endpoint.local_for(peer).map(|a| a.ip()).unwrap_or_else(|| self.relay.local(side).ip());
        let ip = if ip.is_unspecified() { self.relay.local(side).ip() } else { ip };
        sdp.rewrite(ip, self.relay.local(side).port(), self.versions[index])
    }

    fn track(&self, slot: Slot, events: mpsc::Receiver<ClientEvent>) {
        super::dial::forward_reports(slot, events, self.reports_tx.clone());
    }

    /// Dials the callee on `side` at each of `targets`, offering `offer` through the relay,
    /// answering digest challenges with `login` if given. Answers whether any INVITE could
    /// be sent.
    pub(super) async fn dial(
        &mut self,
        side: Side,
        targets: &[Target],
        parties: Parties<'_>,
        offer: &SessionDescription,
        login: Option<Login>,
    ) -> bool {
        let call_id = format!("{:032x}", rand::random::<u128>());
        let mut dial = Dial::new(call_id, parties.from.1).with_login(login);
        self.registration.add(&dial.call_id);
        for target in targets {
            let peer = target.peer;
            let Some(request) = self.invite(side, &dial, &target.uri, &peer, &parties, offer) else { continue };
            match self.shared.endpoint.request(request, peer).await {
                Ok(tx) => {
                    let index = dial.add(tx.key, tx.request, peer);
                    self.track(Slot::Fork(side, index), tx.events);
                }
                Err(e) => tracing::warn!(error = %e, "could not start a fork"),
            }
        }
        let sent = !dial.is_empty();
        self.dials[side_index(side)] = Some(dial);
        sent
    }

    /// Starts `attempt` on side B: records its channel and `lastdata` (a `Newexten`), shows
    /// its extension ringing, and sends its INVITEs from `caller` (name, number), or from the
    /// number the attempt presents instead, to `dialled`. Answers whether any INVITE went.
    pub(super) async fn dial_attempt(
        &mut self,
        attempt: &Attempt,
        caller: (&str, &str),
        dialled: &str,
        offer: &SessionDescription,
    ) -> bool {
        (self.record.dstchannel, self.record.lastdata) = (attempt.channel.clone(), attempt.lastdata.clone());
        self.record.publish_application();
        let line = self.shared.devices.open(attempt.extension.as_deref(), &attempt.channel, ChannelState::Ringing);
        self.lines[1] = Some(line);
        let from = match &attempt.presented {
            Some(presented) => (presented.as_str(), presented.as_str()),
            None => caller,
        };
        let parties = Parties { from, to: dialled, to_host: attempt.to_host.as_deref() };
        self.dial(Side::B, &attempt.targets, parties, offer, attempt.login.clone()).await
    }

    fn invite(
        &mut self,
        side: Side,
        dial: &Dial,
        uri: &str,
        peer: &Peer,
        parties: &Parties<'_>,
        offer: &SessionDescription,
    ) -> Option<Request> {
        let body = self.sdp_towards(side, peer, offer);
        dial.invite(&self.shared, uri, peer, parties, body)
    }

    /// Answers a 401/407 to fork `index` on `side` once, when the dial has a login: the
    /// INVITE goes again with credentials (the fork's next report is about it). Answers
    /// whether it did; if not, the response is the fork's failure as usual.
    pub(super) async fn reauthorize(&mut self, side: Side, index: usize, event: &ClientEvent) -> bool {
        let Some(dial) = self.dials[side_index(side)].as_mut() else { return false };
        let Some(events) = dial.reauthorize(&self.shared, index, event).await else { return false };
        self.track(Slot::Fork(side, index), events);
        true
    }

    /// The dial on `side`; every caller of this dialled that side first.
    pub(super) fn dial_on(&mut self, side: Side) -> &mut Dial {
        self.dials[side_index(side)].as_mut().expect("the side was dialled")
    }

    /// ACKs and hangs up a 2xx from fork `index` of the dial on `side`.
    pub(super) async fn refuse_answer(&self, side: Side, index: usize, response: &Response) {
        if let Some(dial) = &self.dials[side_index(side)] {
            dial.refuse_late_answer(&self.shared, index, response).await;
        }
    }

    /// Takes fork `winner`'s 2xx on `side`: forms the dialog, ACKs it, cancels the other
    /// forks and points the relay at the answer's media. On a 2xx that cannot form a dialog
    /// every fork is hung up or cancelled and `None` is answered.
    pub(super) async fn accept(&mut self, side: Side, winner: usize, response: &Response) -> Option<Answered> {
        let answered = self.dials[side_index(side)].as_mut()?.accept(&self.shared, winner, response).await?;
        if let Some(target) = answered.sdp.as_ref().and_then(SessionDescription::audio_target) {
            self.relay.set_remote(side, target);
        }
        Some(answered)
    }

    /// CANCELs the forks of every dial still ringing.
    pub(super) async fn cancel_dials(&self) {
        for dial in self.dials.iter().flatten() {
            dial.cancel(&self.shared, None).await;
        }
    }

    /// Hands a report about a fork to its dial once ringing is over.
    pub(super) async fn settle(&mut self, side: Side, index: usize, event: ClientEvent) {
        if let Some(dial) = self.dials[side_index(side)].as_mut() {
            dial.settle(&self.shared, index, event).await;
        }
    }

    /// After the call ended or failed: waits for the dials' forks to settle, hanging up any
    /// that answered in the race.
    pub(super) async fn drain(&mut self) {
        let deadline = Instant::now() + DRAIN;
        while self.dials.iter().flatten().any(|dial| !dial.settled()) {
            tokio::select! {
                report = self.reports.recv() => {
                    if let Some((Slot::Fork(side, index), event)) = report {
                        self.settle(side, index, event).await;
                    }
                }
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    /// Sets each side's channel state in the device states.
    pub(super) fn set_line_states(&self, state: crate::events::ChannelState) {
        for line in self.lines.iter().flatten() {
            line.set_state(state);
        }
    }

    /// The answered call, until a BYE from either side; answers who hung up.
    pub(super) async fn talk(&mut self, legs: &mut [Leg; 2]) -> String {
        loop {
            tokio::select! {
                input = self.inputs.recv() => match input {
                    Some(CallInput::Request(request)) => {
                        let call_id = message::call_id(&request.request.headers);
                        let from = if call_id.as_deref() == Some(legs[0].dialog.call_id()) { 0 } else { 1 };
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
                            self.hang_up(&mut legs[1 - from]).await;
                            return legs[from].channel.clone();
                        }
                        self.forward(legs, from, *request).await;
                    }
                    Some(CallInput::Ack | CallInput::Cancelled(_)) => {}
                    None => return legs[0].channel.clone(),
                },
                report = self.reports.recv() => match report {
                    Some((Slot::Fork(side, index), event)) => self.settle(side, index, event).await,
                    Some((Slot::Forwarded(id), event)) => self.forwarded_answer(legs, id, event).await,
                    None => {}
                }
            }
        }
    }

    /// Sends BYE on `leg`.
    pub(super) async fn hang_up(&self, leg: &mut Leg) {
        if let Ok(bye) = leg.dialog.request(Method::Bye, None) {
            let _ = self.shared.endpoint.request(bye, leg.peer).await;
        }
    }

    /// Forwards an in-dialog request from leg `from` to the other leg.
    async fn forward(&mut self, legs: &mut [Leg; 2], from: usize, request: ServerRequest) {
        let to = 1 - from;
        let method = request.request.method.clone();
        let content_type = message::header(&request.request.headers, &HeaderName::ContentType);
        let mut body = None;
        if !request.request.body().is_empty() {
            let is_sdp =
                content_type.as_deref().is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("application/sdp"));
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
                    if let Some(line) = &self.lines[side_index(legs[from].side)] {
                        line.set_held(sdp.is_hold());
                    }
                }
                let peer = legs[to].peer;
                let rewritten = self.sdp_towards(legs[to].side, &peer, &sdp);
                body = Some(("application/sdp".to_owned(), bytes::Bytes::from(rewritten)));
            } else {
                body = Some((
                    content_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
                    request.request.body().clone(),
                ));
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
            let leg = &legs[pending.from];
            reply = reply.header(HeaderName::Contact, self.contact_for(&leg.peer, &leg.our_user));
        }
        if let Some(sdp) = sdp {
            reply = reply.sdp(sdp);
        }
        if let Some(response) = reply.build() {
            let _ = self.shared.endpoint.respond(&pending.origin.key, response).await;
        }
    }

    /// Ends the call: frees the relay, writes the CDR and publishes the hang-ups.
    pub(super) async fn end(self, disposition: Disposition, cause: u16, source: &str) {
        let B2bua { shared, record, relay, _live, registration, lines, .. } = self;
        drop(relay);
        drop(lines);
        record.finish(&shared, disposition, cause, source).await;
        drop(registration);
        drop(_live);
    }
}

/// A side's index in per-side arrays: A is 0, B is 1.
pub(super) fn side_index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}
