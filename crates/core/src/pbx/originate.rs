//! Calls the PBX places itself: click-to-call (salara's make-call, AMI's Originate with a
//! channel and an extension). The operator's phones ring first, with the PBX's own offer;
//! when the operator answers, the number is dialled with the operator's answer as the offer,
//! and the two are joined through the relay. Both legs are ours (UAC), so the call is a
//! [`B2bua`] from then on, with the same CDR and channel events as a call a phone places.
//!
//! The number is routed as the operator's own call would be ([`route_number`]): an extension
//! of the operator's tenant, or an external number out through the tenant's outbound route,
//! trying its trunks in turn.
//!
//! The operator's channel is the call's first channel (as Asterisk's originated
//! `PJSIP/<operator>` channel): the CDR says `src` = operator, `dst` = the number.

use super::b2bua::{targets_of, B2bua, Leg, Parties, Slot};
use super::call::CallInput;
use super::caller::Caller;
use super::dial::{failure_of, hunts_on, Progress};
use super::dispatch::answer;
use super::record::Record;
use super::route::{route_number, Routed};
use super::status::visible_extension;
use super::Pbx;
use crate::cdr::Disposition;
use crate::devicestate::ExtensionState;
use crate::directory::ExtensionEntry;
use crate::events::ChannelState;
use crate::registrar::Binding;
use sb_media::engine::offer_sdp;
use sb_media::relay::Side;
use sb_media::sdp::SessionDescription;
use sb_sip::message::{Method, Response};
use std::sync::atomic::Ordering;
use std::time::Duration;
use thiserror::Error;
use time::OffsetDateTime;
use tokio::time::Instant;

/// A click-to-call: ring `operator`, then connect them to `phone`.
#[derive(Debug, Clone)]
pub struct ClickToCall {
    /// The extension whose phones ring first.
    pub operator: String,
    /// The number the operator is connected to once they answer.
    pub phone: String,
    /// The only tenant whose extensions may take part, when the requester is confined to one.
    pub tenant: Option<String>,
    /// How long the operator's phones ring before the call is given up.
    pub ring: Duration,
}

/// A call the PBX started; its outcome is in the CDR and the channel events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originated {
    /// The CDR's `uniqueid` (and the events' call id).
    pub uniqueid: String,
    /// The operator's channel, as `chan` status queries name it.
    pub channel: String,
}

/// Why a call could not be started.
#[derive(Debug, Error)]
pub enum OriginateError {
    /// The operator is not an active extension (visible to the requester).
    #[error("no such operator extension")]
    NoOperator,
    /// The operator is not free to take a call; their extension's state.
    #[error("the operator is {}", .0.text())]
    OperatorBusy(ExtensionState),
    /// Nothing routes the number (no such extension of the tenant, and no outbound route).
    #[error("no route to {0}")]
    NoRoute(String),
    /// No media relay could be opened.
    #[error("no media relay is available")]
    Media,
    /// The store could not be read.
    #[error("the directory is unavailable: {0}")]
    Store(#[from] sb_store::Error),
}

impl From<super::StatusError> for OriginateError {
    fn from(error: super::StatusError) -> Self {
        match error {
            super::StatusError::Store(e) => OriginateError::Store(e),
        }
    }
}

impl Pbx {
    /// Starts a click-to-call when the operator is idle; the call goes on in its own task.
    pub async fn click_to_call(&self, request: ClickToCall) -> Result<Originated, OriginateError> {
        let shared = &self.shared;
        let tenant = request.tenant.as_deref();
        let operator = visible_extension(shared, &request.operator, tenant).await?.ok_or(OriginateError::NoOperator)?;
        let contacts = shared.registrar.contacts(&operator.number);
        let state = shared.devices.extension_state(&operator.number, !contacts.is_empty());
        if state != ExtensionState::Idle {
            return Err(OriginateError::OperatorBusy(state));
        }
        // Only extensions of the operator's own tenant are reachable: click-to-call must not
        // become a way into another tenant. Other numbers go out through its routes.
        let tenant = operator.tenant.clone();
        let callee = match route_number(shared, &tenant, Some(&tenant), &request.phone).await? {
            Routed::Nowhere => return Err(OriginateError::NoRoute(request.phone.clone())),
            routed => routed,
        };
        let relay = shared.media.relay().await.map_err(|e| {
            tracing::warn!(error = %e, "no media relay for click-to-call");
            OriginateError::Media
        })?;
        shared.metrics.calls_total.fetch_add(1, Ordering::Relaxed);
        let record = Record::new(&Caller::extension(&operator), &request.phone, &shared.events, ChannelState::Down);
        let originated = Originated { uniqueid: record.uniqueid.clone(), channel: record.channel.clone() };
        let mut b2b = B2bua::new(shared, relay, record, Vec::new());
        b2b.lines[0] = Some(shared.devices.open(Some(&operator.number), &b2b.record.channel, ChannelState::Ringing));
        let call = Origination { b2b, operator, phone: request.phone, callee };
        tokio::spawn(call.run(contacts, request.ring));
        Ok(originated)
    }
}

/// A click-to-call in progress.
struct Origination {
    b2b: B2bua,
    operator: ExtensionEntry,
    /// The number the operator is connected to.
    phone: String,
    /// Where it goes.
    callee: Routed,
}

/// How ringing one side ended.
enum Rung {
    /// It answered: its leg, and its SDP answer if readable.
    Answered(Box<Leg>, Option<SessionDescription>),
    /// Every fork failed with this status (the next trunk of a route may still answer).
    Rejected(u16),
    /// It did not; CDR facts.
    Failed { disposition: Disposition, cause: u16 },
    /// The operator hung up while the number rang.
    OperatorLeft,
}

impl Origination {
    async fn run(mut self, contacts: Vec<Binding>, ring: Duration) {
        // The first offer is ours: the media engine's codecs at the relay's A side.
        let offer = SessionDescription::parse(&offer_sdp(self.b2b.relay.local(Side::A), 1));
        let Ok(offer) = offer else {
            tracing::error!("the media engine's own offer does not parse");
            let channel = self.b2b.record.channel.clone();
            return self.b2b.end(Disposition::Failed, 31, &channel).await;
        };
        let operator_channel = self.b2b.record.channel.clone();
        let (phone, operator) = (self.phone.clone(), self.operator.number.clone());
        // The operator's phone shows whom it is about to be connected to.
        let parties = Parties { from: (&phone, &phone), to: &operator, to_host: None };
        if !self.b2b.dial(Side::A, &targets_of(&contacts), parties, &offer, None).await {
            return self.b2b.end(Disposition::NoAnswer, 20, &operator_channel).await;
        }
        let (mut operator_leg, operator_answer) = match self.ring(Side::A, ring, None).await {
            Rung::Answered(leg, sdp) => (*leg, sdp),
            Rung::Rejected(status) => {
                let (cause, disposition) = failure_of(status);
                self.b2b.drain().await;
                return self.b2b.end(disposition, cause, &operator_channel).await;
            }
            Rung::Failed { disposition, cause } => {
                self.b2b.drain().await;
                return self.b2b.end(disposition, cause, &operator_channel).await;
            }
            Rung::OperatorLeft => return self.b2b.end(Disposition::NoAnswer, 16, &operator_channel).await,
        };
        if let Some(line) = &self.b2b.lines[0] {
            line.set_state(ChannelState::Up);
        }
        self.b2b.record.publish_caller_state(ChannelState::Up);

        // The number is offered what the operator's phone answered, so media flows as is.
        let callee_offer = operator_answer.unwrap_or(offer);
        let attempts = self.callee.attempts(&self.b2b.shared).await;
        if attempts.is_empty() {
            self.b2b.record.publish_application();
            self.b2b.hang_up(&mut operator_leg).await;
            return self.b2b.end(Disposition::Congestion, 34, &operator_channel).await;
        }
        let count = attempts.len();
        let mut callee_leg = None;
        let display = self.operator.display.clone().unwrap_or_else(|| operator.clone());
        for (index, attempt) in attempts.into_iter().enumerate() {
            let last = index + 1 == count;
            let callee_channel = attempt.channel.clone();
            if !self.b2b.dial_attempt(&attempt, (&display, &operator), &phone, &callee_offer).await {
                if !last {
                    continue;
                }
                self.b2b.hang_up(&mut operator_leg).await;
                return self.b2b.end(Disposition::NoAnswer, 20, &callee_channel).await;
            }
            self.b2b.record.publish_callee_state(ChannelState::Down);
            let outcome = self.ring(Side::B, attempt.ring, Some(&mut operator_leg)).await;
            let (disposition, cause) = match outcome {
                Rung::Answered(leg, _) => {
                    callee_leg = Some(*leg);
                    break;
                }
                Rung::Rejected(status) if !last && hunts_on(status) => {
                    tracing::info!(status, channel = %callee_channel, "the trunk failed; trying the next");
                    self.b2b.record.retire_callee(failure_of(status).0);
                    continue;
                }
                Rung::Rejected(status) => {
                    let (cause, disposition) = failure_of(status);
                    (disposition, cause)
                }
                Rung::Failed { disposition, cause } => (disposition, cause),
                Rung::OperatorLeft => {
                    self.b2b.cancel_dials().await;
                    self.b2b.drain().await;
                    return self.b2b.end(Disposition::NoAnswer, 16, &operator_channel).await;
                }
            };
            self.b2b.hang_up(&mut operator_leg).await;
            self.b2b.drain().await;
            return self.b2b.end(disposition, cause, &callee_channel).await;
        }
        let Some(callee_leg) = callee_leg else {
            // Not reached (the last attempt returns or breaks); no state of the loop may panic.
            self.b2b.hang_up(&mut operator_leg).await;
            let channel = self.b2b.record.dstchannel.clone();
            return self.b2b.end(Disposition::NoAnswer, 20, &channel).await;
        };
        self.b2b.set_line_states(ChannelState::Up);
        self.b2b.record.answer = Some(OffsetDateTime::now_utc());
        self.b2b.record.publish_callee_state(ChannelState::Up);
        self.b2b.shared.metrics.calls_answered.fetch_add(1, Ordering::Relaxed);
        let mut legs = [operator_leg, callee_leg];
        let hangup_source = self.b2b.talk(&mut legs).await;
        drop(legs);
        self.b2b.drain().await;
        self.b2b.end(Disposition::Answered, 16, &hangup_source).await;
    }

    /// Rings the dial on `side` until it answers, fails or times out; while the number
    /// rings, the answered `operator` may hang up.
    async fn ring(&mut self, side: Side, ring: Duration, mut operator: Option<&mut Leg>) -> Rung {
        let deadline = Instant::now() + ring;
        loop {
            tokio::select! {
                report = self.b2b.reports.recv() => {
                    let Some((slot, event)) = report else { continue };
                    let index = match slot {
                        Slot::Fork(fork_side, index) if fork_side == side => index,
                        // A fork of the operator's dial that answered in the race.
                        Slot::Fork(other, index) => {
                            self.b2b.settle(other, index, event).await;
                            continue;
                        }
                        Slot::Forwarded(_) => continue,
                    };
                    if self.b2b.reauthorize(side, index, &event).await {
                        continue;
                    }
                    match self.b2b.dial_on(side).on_ringing_report(index, event) {
                        Progress::Answered(index, response) => return self.answered(side, index, &response).await,
                        Progress::Failed(status) => return Rung::Rejected(status),
                        Progress::Ringing => self.publish_state(side, ChannelState::Ringing),
                        Progress::EarlyMedia(early) => {
                            // The number's early media reaches the operator through the relay.
                            if let Some(target) = early.audio_target() {
                                self.b2b.relay.set_remote(side, target);
                            }
                        }
                        Progress::Nothing => {}
                    }
                }
                input = self.b2b.inputs.recv() => {
                    let Some(CallInput::Request(request)) = input else { continue };
                    let Some(leg) = operator.as_deref_mut().filter(|leg| leg.owns(&request.request)) else {
                        answer(&self.b2b.shared, &request, 481, "Call/Transaction Does Not Exist").await;
                        continue;
                    };
                    if leg.dialog.on_request(&request.request).is_err() {
                        answer(&self.b2b.shared, &request, 500, "Server Internal Error (CSeq out of order)").await;
                    } else if request.request.method == Method::Bye {
                        answer(&self.b2b.shared, &request, 200, "OK").await;
                        return Rung::OperatorLeft;
                    } else {
                        // Nothing to forward to yet: the number has not answered.
                        answer(&self.b2b.shared, &request, 491, "Request Pending").await;
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    self.b2b.cancel_dials().await;
                    return Rung::Failed { disposition: Disposition::NoAnswer, cause: 19 };
                }
            }
        }
    }

    /// Takes the 2xx of fork `index` on `side` as that side's leg.
    async fn answered(&mut self, side: Side, index: usize, response: &Response) -> Rung {
        let Some(answered) = self.b2b.accept(side, index, response).await else {
            return Rung::Failed { disposition: Disposition::Failed, cause: 31 };
        };
        let (channel, our_user) = match side {
            Side::A => (self.b2b.record.channel.clone(), self.phone.clone()),
            Side::B => (self.b2b.record.dstchannel.clone(), self.operator.number.clone()),
        };
        let leg = Leg::new(&self.b2b.shared, answered.dialog, answered.peer, side, channel, our_user);
        Rung::Answered(Box::new(leg), answered.sdp)
    }

    fn publish_state(&mut self, side: Side, state: ChannelState) {
        match side {
            Side::A => self.b2b.record.publish_caller_state(state),
            Side::B => self.b2b.record.publish_callee_state(state),
        }
    }
}
