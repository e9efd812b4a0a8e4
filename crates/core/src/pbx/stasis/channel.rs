//! One Stasis channel's task: a SIP leg (an INVITE we answer, or one we place) ending on a
//! media channel of the engine. It alone owns the leg, the media and the channel's state; it
//! takes the application's commands, the dispatcher's requests, its transactions' reports
//! and the media's events, in one loop, and publishes what happens.
//!
//! Who drives it ([`Driver`]) is either a Stasis application or a custom app's program
//! (`program.rs`); a program's `Stasis()` step hands it to an application and `continue`
//! hands it back.

use super::super::b2bua::Target as SipTarget;
use super::super::call::{contact, CallInput, CallRegistration};
use super::super::dial::{failure_of, Answered, Dial, Progress};
use super::super::dispatch::{answer, answer_with, ALLOW};
use super::super::record::Record;
use super::super::Shared;
use super::command::{ChannelOp, Command, HangupCause, OpReply};
use super::dialled::{dialstatus_of_failure, Callee, DialledBy, PeerNews};
use super::event::EventKind;
use super::model::{ChannelSnapshot, PlaybackSnapshot, PlaybackState, RecordingSnapshot, RecordingState, Target};
use super::program::Program;
use super::recording;
use super::{bridge, lock, StasisError};
use crate::cdr::Disposition;
use crate::devicestate::ChannelGuard;
use crate::events::ChannelState;
use crate::metrics::Live;
use sb_media::engine::{MediaBridge, MediaChannel, MediaEvent};
use sb_media::sdp::SessionDescription;
use sb_sip::dialog::Dialog;
use sb_sip::endpoint::{ClientEvent, ServerRequest};
use sb_sip::message::{self, HeaderName, Method, Reply, Response};
use sb_sip::transport::Peer;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The variables every channel answers without having them set (a few of Asterisk's
/// functions that ARI applications read).
pub(super) fn builtin_variable(snapshot: &ChannelSnapshot, name: &str) -> Option<String> {
    let value = match name {
        "CHANNEL(name)" => snapshot.name.clone(),
        "CHANNEL(uniqueid)" | "UNIQUEID" => snapshot.id.clone(),
        "CHANNEL(state)" => snapshot.state.as_str().to_owned(),
        "CHANNEL(language)" => snapshot.language.clone(),
        "CALLERID(num)" => snapshot.caller.number.clone(),
        "CALLERID(name)" => snapshot.caller.name.clone(),
        "CONNECTEDLINE(num)" => snapshot.connected.number.clone(),
        "CONNECTEDLINE(name)" => snapshot.connected.name.clone(),
        "CHANNEL(pjsip,call-id)" => snapshot.protocol_id.clone(),
        _ => return None,
    };
    Some(value)
}

/// The From user of a channel placed without a caller id.
const ANONYMOUS_CALLER: &str = "switchboard";

/// The SIP side of the channel.
pub(super) enum Leg {
    /// An incoming INVITE not answered yet: the transaction, our To tag, our SDP answer
    /// and Contact.
    Offered { invite: Box<ServerRequest>, tag: String, answer_sdp: String, contact: String },
    /// An outgoing channel not dialled yet (ARI `create`): where it will go.
    Unplaced(Placement),
    /// An outgoing channel ringing: its forks, and the offer it made.
    Dialling { dial: Dial, deadline: Instant, dialstring: String, offer_sdp: String },
    /// An established dialog, and the SDP we answer re-INVITEs with.
    Up { dialog: Dialog, peer: Peer, our_sdp: String, contact: String, _dialog: Live },
    /// No SIP: a channel of media only (external media, snoop; see `media_only`).
    MediaOnly,
    /// Hung up.
    Ended,
}

/// Where an outgoing channel goes.
pub(super) struct Placement {
    /// The INVITEs' targets.
    pub targets: Vec<SipTarget>,
    /// The To user (the number dialled).
    pub to: String,
    /// What the application asked for (`PJSIP/1002`).
    pub dialstring: String,
    /// How long it rings.
    pub ring: Duration,
    /// The media channel's SDP offer.
    pub offer_sdp: String,
    /// A carrier's login, for its challenges.
    pub login: Option<super::super::dial::Login>,
    /// The host of the To header (a carrier's), when not the target's.
    pub to_host: Option<String>,
}

/// Who drives the channel.
pub(super) enum Driver {
    /// Nobody yet: an originated channel waiting for its answer, to enter `app` with `args`.
    Originating { app: String, args: Vec<String> },
    /// A Stasis application.
    Stasis { app: String },
    /// A custom app's program (which may hand the channel to an application later).
    Program(Program),
    /// Another channel's program, which dialled this one (`Dial()`).
    Dialled(DialledBy),
}

/// How the channel ends.
#[derive(Debug, Clone, Copy)]
struct Ending {
    cause: HangupCause,
}

/// The task's state.
pub(super) struct ChannelTask {
    pub shared: Arc<Shared>,
    pub snapshot: Arc<Mutex<ChannelSnapshot>>,
    commands: mpsc::Receiver<Command>,
    inputs: mpsc::Receiver<CallInput>,
    registration: CallRegistration,
    reports: mpsc::Receiver<(usize, ClientEvent)>,
    reports_tx: mpsc::Sender<(usize, ClientEvent)>,
    pub media: MediaChannel,
    media_events: mpsc::Receiver<MediaEvent>,
    pub leg: Leg,
    pub driver: Driver,
    /// Playbacks started on this channel and not finished, and those stopped on request.
    playbacks: Vec<String>,
    stopped: HashSet<String>,
    recording: Option<RecordingSnapshot>,
    bridge: Option<(String, Arc<MediaBridge>)>,
    muted: (bool, bool),
    silenced: bool,
    record: Option<Record>,
    _line: Option<ChannelGuard>,
    _live: Live,
    answered: bool,
    /// Whether the peer holds the call.
    held: bool,
    /// The outgoing dial, once over, whose forks may still answer late.
    dialled: Option<Dial>,
    ending: Option<Ending>,
    /// When a program's `Wait` or `Answer` delay is over.
    pub timer: Option<Instant>,
    /// The channel a program's `Dial()` placed, while it rings or talks.
    pub callee: Option<Callee>,
}

/// What a new task is made of.
pub(super) struct Parts {
    pub shared: Arc<Shared>,
    pub snapshot: ChannelSnapshot,
    pub media: MediaChannel,
    pub media_events: mpsc::Receiver<MediaEvent>,
    pub leg: Leg,
    pub driver: Driver,
    pub record: Option<Record>,
    pub extension: Option<String>,
    pub call_ids: Vec<String>,
}

impl ChannelTask {
    /// Registers the channel (failing if its id is taken) and makes its task.
    pub(super) fn register(parts: Parts) -> Result<ChannelTask, StasisError> {
        let Parts { shared, snapshot, media, media_events, leg, driver, record, extension, call_ids } = parts;
        let (commands_tx, commands) = mpsc::channel(32);
        let (inputs_tx, inputs) = mpsc::channel(32);
        let (reports_tx, reports) = mpsc::channel(32);
        let state = snapshot.state;
        let name = snapshot.name.clone();
        let snapshot = Arc::new(Mutex::new(snapshot));
        shared.stasis.insert_channel(Arc::clone(&snapshot), commands_tx, media.id())?;
        let line = Some(shared.devices.open(extension.as_deref(), &name, state));
        Ok(ChannelTask {
            registration: CallRegistration::new(&shared, call_ids, inputs_tx),
            _live: Live::new(&shared.metrics, |m| &m.calls_active),
            shared,
            snapshot,
            commands,
            inputs,
            reports,
            reports_tx,
            media,
            media_events,
            leg,
            driver,
            playbacks: Vec::new(),
            stopped: HashSet::new(),
            recording: None,
            bridge: None,
            muted: (false, false),
            silenced: false,
            record,
            _line: line,
            answered: false,
            held: false,
            dialled: None,
            ending: None,
            timer: None,
            callee: None,
        })
    }

    /// The channel's id.
    pub fn id(&self) -> String {
        lock(&self.snapshot).id.clone()
    }

    /// A copy of the snapshot.
    pub fn snap(&self) -> ChannelSnapshot {
        lock(&self.snapshot).clone()
    }

    /// Changes the snapshot; answers the new copy.
    pub fn update(&self, change: impl FnOnce(&mut ChannelSnapshot)) -> ChannelSnapshot {
        let mut snapshot = lock(&self.snapshot);
        change(&mut snapshot);
        snapshot.clone()
    }

    /// Publishes an event.
    pub fn publish(&self, kind: EventKind) {
        self.shared.stasis.publish(kind);
    }

    /// Hangs up channels that depend on this one (its `Dial()` callee, its snoops). Their
    /// tasks never wait on this one, so the commands cannot deadlock; they run apart only
    /// so that this task goes on (ending, usually).
    pub(super) fn hang_up_others(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        let stasis = super::Stasis { shared: Arc::clone(&self.shared) };
        tokio::spawn(async move {
            for id in ids {
                let _ = stasis.command(&id, ChannelOp::Hangup(HangupCause::NORMAL)).await;
            }
        });
    }

    /// The channel is gone: so are the snoop channels on it.
    fn hang_up_snoops(&self, id: &str) {
        let snoops = lock(&self.shared.stasis.snoops).remove(id).unwrap_or_default();
        self.hang_up_others(snoops);
    }

    /// Runs the channel until it is gone. Boxed with its `Send` bound spelled out: a program
    /// channel's run places and runs its `Dial()` callee's, and the compiler cannot infer
    /// that bound through the cycle.
    pub(super) fn run(self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(self.run_until_gone())
    }

    async fn run_until_gone(mut self) {
        if let Driver::Program(_) = self.driver {
            self.advance().await;
        }
        while self.ending.is_none() {
            let timer = self.timer.or(match &self.leg {
                Leg::Dialling { deadline, .. } => Some(*deadline),
                _ => None,
            });
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(command) => {
                        let result = self.on_command(command.op).await;
                        let _ = command.reply.send(result);
                    }
                    None => self.hang_up(HangupCause::NORMAL, true).await,
                },
                input = self.inputs.recv() => self.on_input(input).await,
                Some((index, event)) = self.reports.recv() => self.on_report(index, event).await,
                event = self.media_events.recv() => match event {
                    Some(event) => self.on_media(event).await,
                    None => self.hang_up(HangupCause(38), true).await,
                },
                () = sleep_until(timer) => self.on_timer().await,
                news = Callee::next(&mut self.callee) => self.on_peer_news(news).await,
            }
            if self.ending.is_none() && matches!(self.driver, Driver::Program(_)) {
                self.advance().await;
            }
        }
        self.finish().await;
    }

    /// Whether an application drives the channel.
    pub fn in_stasis(&self) -> bool {
        matches!(self.driver, Driver::Stasis { .. })
    }

    /// Hands the channel to `app` with `args`: answers whether the application exists.
    pub fn enter_stasis(&mut self, app: &str, args: Vec<String>) -> bool {
        if !self.shared.stasis.app_registered(app) {
            tracing::info!(app, "Stasis: no such application is registered");
            return false;
        }
        let data = std::iter::once(app.to_owned()).chain(args.iter().cloned()).collect::<Vec<_>>().join(",");
        let channel = self.update(|s| {
            s.app = Some(app.to_owned());
            s.dialplan.app_name = "Stasis".into();
            s.dialplan.app_data = data;
        });
        if let Driver::Program(program) = &mut self.driver {
            program.in_stasis = Some(app.to_owned());
        } else {
            self.driver = Driver::Stasis { app: app.to_owned() };
        }
        self.publish(EventKind::StasisStart { channel, app: app.to_owned(), args });
        true
    }

    /// Takes the channel out of its application (`StasisEnd`), if it is in one.
    fn leave_stasis(&mut self) {
        let app = match &mut self.driver {
            Driver::Stasis { app } => Some(app.clone()),
            Driver::Program(program) => program.in_stasis.take(),
            Driver::Originating { .. } | Driver::Dialled(_) => None,
        };
        if let Some(app) = app {
            let channel = self.update(|s| s.app = None);
            self.publish(EventKind::StasisEnd { channel, app });
        }
    }

    /// Sets the state, and tells.
    pub fn set_state(&mut self, state: ChannelState) {
        if self.snap().state == state {
            return;
        }
        let channel = self.update(|s| s.state = state);
        if let Some(line) = &self._line {
            line.set_state(state);
        }
        if let Some(record) = &mut self.record {
            record.publish_caller_state(state);
        }
        self.publish(EventKind::ChannelStateChange { channel });
    }

    async fn on_command(&mut self, op: ChannelOp) -> Result<OpReply, StasisError> {
        let allowed_outside = matches!(op, ChannelOp::Hangup(_) | ChannelOp::RtpStatistics);
        if !allowed_outside
            && !self.in_stasis()
            && !matches!(self.driver, Driver::Program(Program { in_stasis: Some(_), .. }))
        {
            return Err(StasisError::NotInStasis);
        }
        match op {
            ChannelOp::Answer => self.answer().await?,
            ChannelOp::Ring(on) => {
                if on {
                    self.provisional(180, "Ringing", false).await;
                }
            }
            ChannelOp::Progress => self.provisional(183, "Session Progress", true).await,
            ChannelOp::Hangup(cause) => self.hang_up(cause, true).await,
            ChannelOp::SendDtmf { digits, before, between, duration, after } => {
                // The media engine paces it (`,` included): this task never waits.
                self.media
                    .send_dtmf_paced(&digits, before, between, duration, after)
                    .map_err(|e| StasisError::BadRequest(e.to_string()))?;
            }
            ChannelOp::Mute(direction) => {
                let (inbound, outbound) = direction.sides();
                self.muted = (self.muted.0 || inbound, self.muted.1 || outbound);
                self.apply_mute();
            }
            ChannelOp::Unmute(direction) => {
                let (inbound, outbound) = direction.sides();
                self.muted = (self.muted.0 && !inbound, self.muted.1 && !outbound);
                self.apply_mute();
            }
            ChannelOp::Hold => {
                let channel = self.snap();
                self.publish(EventKind::ChannelHold { channel });
            }
            ChannelOp::Unhold => {
                let channel = self.snap();
                self.publish(EventKind::ChannelUnhold { channel });
            }
            ChannelOp::StartMoh(class) => {
                let tenant = self.snap().tenant;
                if let Err(e) = self.media.start_moh(Some(&tenant), class.as_deref()).await {
                    // Asterisk answers 204 and plays nothing for an unknown class.
                    tracing::info!(error = %e, "music on hold not started");
                }
            }
            ChannelOp::StopMoh => self.media.stop_moh(),
            ChannelOp::StartSilence => {
                self.silenced = true;
                self.apply_mute();
            }
            ChannelOp::StopSilence => {
                self.silenced = false;
                self.apply_mute();
            }
            ChannelOp::Play { id, media, language } => {
                return self.play(id, media, language).await.map(OpReply::Playback)
            }
            ChannelOp::StopPlayback(id) => {
                self.stopped.insert(id.clone());
                self.media.stop_playback(&id);
            }
            ChannelOp::ControlPlayback(id, control) => self.media.control_playback(&id, control),
            ChannelOp::Record(options) => self.record(options).await?,
            ChannelOp::StopRecording { keep } => self.media.stop_recording(keep),
            ChannelOp::ControlRecording(control) => self.media.control_recording(control),
            ChannelOp::Continue => {
                self.leave_stasis();
                if !matches!(self.driver, Driver::Program(_)) {
                    // Nothing to continue with: as Asterisk at the end of a dialplan.
                    self.hang_up(HangupCause::NORMAL, true).await;
                }
            }
            ChannelOp::Move { app, args } => {
                if !self.shared.stasis.app_registered(&app) {
                    return Err(StasisError::NoApplication(format!("Application {app} not registered")));
                }
                self.leave_stasis();
                if let Driver::Program(program) = &mut self.driver {
                    program.in_stasis = None;
                }
                self.driver = Driver::Stasis { app: String::new() };
                self.enter_stasis(&app, args);
            }
            ChannelOp::Dial { timeout } => {
                let Leg::Unplaced(_) = &self.leg else {
                    return Err(StasisError::InvalidState("Channel is not in a dialable state".into()));
                };
                let Leg::Unplaced(mut placement) = std::mem::replace(&mut self.leg, Leg::Ended) else { unreachable!() };
                if !timeout.is_zero() {
                    placement.ring = timeout;
                }
                self.dial(placement).await;
            }
            ChannelOp::Redirect(endpoint) => self.redirect(&endpoint).await?,
            ChannelOp::JoinBridge { bridge, media } => self.join_bridge(bridge, media),
            ChannelOp::LeaveBridge { bridge } => {
                if self.bridge.as_ref().map(|(id, _)| id) != Some(&bridge) {
                    return Err(StasisError::InvalidState("Channel not in this bridge".into()));
                }
                self.leave_bridge();
            }
            ChannelOp::RtpStatistics => return Ok(OpReply::Statistics(self.media.stats())),
        }
        Ok(OpReply::Done)
    }

    fn apply_mute(&self) {
        self.media.set_mute(self.muted.0, self.muted.1 || self.silenced);
    }

    /// Answers an incoming call (nothing to do when it is answered already).
    pub async fn answer(&mut self) -> Result<(), StasisError> {
        match std::mem::replace(&mut self.leg, Leg::Ended) {
            Leg::Offered { invite, tag, answer_sdp, contact } => {
                let ok = Reply::to(&invite.request, 200, "OK")
                    .map(|r| r.tag(&tag).header(HeaderName::Contact, contact.clone()).header(HeaderName::Allow, ALLOW))
                    .map(|r| r.header(HeaderName::Server, self.shared.endpoint.product().to_owned()))
                    .map(|r| r.sdp(answer_sdp.clone()))
                    .and_then(|r| r.build());
                let dialog = Dialog::as_uas(&invite.request, &tag, &contact);
                let (Some(ok), Ok(dialog)) = (ok, dialog) else {
                    self.leg = Leg::Offered { invite, tag, answer_sdp, contact };
                    return Err(StasisError::Failed("the call cannot be answered".into()));
                };
                if let Err(e) = self.shared.endpoint.respond(&invite.key, ok).await {
                    tracing::debug!(error = %e, "could not answer");
                }
                self.leg = Leg::Up {
                    dialog,
                    peer: invite.peer,
                    our_sdp: answer_sdp,
                    contact,
                    _dialog: Live::new(&self.shared.metrics, |m| &m.dialogs),
                };
                self.on_answered();
                Ok(())
            }
            leg @ (Leg::Up { .. } | Leg::MediaOnly) => {
                self.leg = leg;
                Ok(())
            }
            other => {
                self.leg = other;
                Err(StasisError::InvalidState("Channel not in a state to be answered".into()))
            }
        }
    }

    /// The call is up: state, CDR, metrics.
    fn on_answered(&mut self) {
        self.answered = true;
        if let Some(record) = &mut self.record {
            record.answer = Some(OffsetDateTime::now_utc());
        }
        self.shared.metrics.calls_answered.fetch_add(1, Ordering::Relaxed);
        self.set_state(ChannelState::Up);
    }

    /// Sends the caller to `target`: a 302 to an unanswered INVITE (the channel then ends,
    /// cause 23 "redirected"), a REFER to an answered one (the phone calls the target and
    /// hangs this call up itself). Outgoing channels not answered yet cannot be.
    async fn redirect(&mut self, endpoint: &str) -> Result<(), StasisError> {
        let invalid = || StasisError::InvalidState("Channel in invalid state".into());
        let snapshot = self.snap();
        if matches!(snapshot.state, ChannelState::Down | ChannelState::Ringing) {
            return Err(invalid());
        }
        let target = redirect_resource(endpoint, &snapshot.name)?;
        let uri = |shared: &Shared, peer: &Peer| {
            if target.starts_with("sip:") || target.starts_with("sips:") {
                format!("<{target}>")
            } else {
                contact(shared, peer, target)
            }
        };
        match std::mem::replace(&mut self.leg, Leg::Ended) {
            Leg::Offered { invite, tag, .. } => {
                let moved = Reply::to(&invite.request, 302, "Moved Temporarily")
                    .map(|r| r.tag(&tag).header(HeaderName::Contact, uri(&self.shared, &invite.peer)))
                    .and_then(|r| r.build());
                if let Some(moved) = moved {
                    let _ = self.shared.endpoint.respond(&invite.key, moved).await;
                }
                self.hang_up(HangupCause(23), false).await;
                Ok(())
            }
            Leg::Up { mut dialog, peer, our_sdp, contact, _dialog } => {
                let refer_to = uri(&self.shared, &peer);
                let refer = dialog.request(Method::Refer, None).ok().and_then(|mut refer| {
                    for (name, value) in [
                        (HeaderName::Contact, &contact),
                        (HeaderName::ReferTo, &refer_to),
                        (HeaderName::ReferredBy, &contact),
                    ] {
                        refer.headers.push(message::build_header(name, value.clone())?);
                    }
                    Some(refer)
                });
                self.leg = Leg::Up { dialog, peer, our_sdp, contact, _dialog };
                let refer = refer.ok_or_else(|| StasisError::Failed("Failed to redirect channel".into()))?;
                self.shared.endpoint.request(refer, peer).await.map_err(|e| StasisError::Failed(e.to_string()))?;
                Ok(())
            }
            other => {
                self.leg = other;
                Err(invalid())
            }
        }
    }

    /// A provisional response to the incoming INVITE (180, or 183 with our SDP).
    pub(super) async fn provisional(&mut self, status: u16, reason: &str, with_sdp: bool) {
        let Leg::Offered { invite, tag, answer_sdp, contact } = &self.leg else { return };
        let reply = Reply::to(&invite.request, status, reason)
            .map(|r| r.tag(tag).header(HeaderName::Contact, contact.clone()))
            .map(|r| if with_sdp { r.sdp(answer_sdp.clone()) } else { r })
            .and_then(|r| r.build());
        if let Some(reply) = reply {
            let _ = self.shared.endpoint.respond(&invite.key, reply).await;
        }
        if status == 180 {
            self.set_state(ChannelState::Ringing);
        }
    }

    async fn play(
        &mut self,
        id: String,
        media: Vec<(String, sb_media::sound::uri::MediaUri)>,
        language: Option<String>,
    ) -> Result<PlaybackSnapshot, StasisError> {
        if self.shared.stasis.playback_exists(&id) {
            return Err(StasisError::Conflict("Playback with given ID already exists".into()));
        }
        let (texts, uris): (Vec<String>, Vec<_>) = media.into_iter().unzip();
        let playback = PlaybackSnapshot {
            id: id.clone(),
            media: texts,
            target: Target::Channel(self.id()),
            language: language.clone(),
            state: PlaybackState::Queued,
        };
        self.shared.stasis.set_playback(playback.clone());
        match self.media.play(&id, &uris, language.as_deref()).await {
            Ok(()) => self.playbacks.push(id),
            Err(e) => {
                // As Asterisk: the playback is made, and fails.
                tracing::info!(error = %e, playback = %id, "playback failed");
                if let Some(playback) = self.shared.stasis.playback_state(&id, PlaybackState::Failed) {
                    self.publish(EventKind::PlaybackFinished { playback });
                }
            }
        }
        Ok(playback)
    }

    async fn record(&mut self, options: sb_media::engine::RecordOptions) -> Result<(), StasisError> {
        if self.shared.stasis.recording(&options.name).is_some() {
            return Err(StasisError::Conflict("Recording with the same name already in progress".into()));
        }
        let snapshot = RecordingSnapshot {
            name: options.name.clone(),
            format: options.format.clone(),
            target: Target::Channel(self.id()),
            state: RecordingState::Queued,
            duration: None,
            cause: None,
        };
        self.media.record(options).await.map_err(recording::refusal)?;
        self.shared.stasis.set_recording(snapshot.clone());
        self.recording = Some(snapshot);
        Ok(())
    }

    fn join_bridge(&mut self, bridge_id: String, media: Arc<MediaBridge>) {
        if self.bridge.as_ref().is_some_and(|(id, _)| *id == bridge_id) {
            return;
        }
        self.leave_bridge();
        media.add(&self.media);
        let channel_id = self.id();
        let channel = self.update(|s| s.bridge = Some(bridge_id.clone()));
        if let Some(bridge) = bridge::joined(&self.shared.stasis, &bridge_id, &channel_id) {
            let pair = match bridge.channels.as_slice() {
                [first, second] => Some(if *first == channel_id { second.clone() } else { first.clone() }),
                _ => None,
            };
            self.publish(EventKind::ChannelEnteredBridge { bridge, channel });
            if let Some(other) = pair {
                for channel in bridge::connect_lines(&self.shared.stasis, &channel_id, &other) {
                    self.publish(EventKind::ChannelConnectedLine { channel });
                }
            }
        }
        self.bridge = Some((bridge_id, media));
    }

    /// Leaves the bridge the channel is in, if any.
    pub fn leave_bridge(&mut self) {
        let Some((bridge_id, media)) = self.bridge.take() else { return };
        media.remove(&self.media);
        let channel_id = self.id();
        let channel = self.update(|s| s.bridge = None);
        if let Some(bridge) = bridge::left(&self.shared.stasis, &bridge_id, &channel_id) {
            self.publish(EventKind::ChannelLeftBridge { bridge, channel });
        }
    }

    /// Starts ringing `placement`: INVITEs with the media channel's offer.
    pub async fn dial(&mut self, placement: Placement) {
        let caller = self.snap().caller;
        // A From needs a user: without a caller id the INVITE comes from the PBX itself.
        let user = if caller.number.is_empty() { ANONYMOUS_CALLER } else { caller.number.as_str() };
        let offer_sdp = placement.offer_sdp.clone();
        let call_id = lock(&self.snapshot).protocol_id.clone();
        let mut dial = Dial::new(call_id, user).with_login(placement.login.clone());
        let parties = super::super::b2bua::Parties {
            from: (&caller.name, user),
            to: &placement.to,
            to_host: placement.to_host.as_deref(),
        };
        for target in &placement.targets {
            let Some(request) = dial.invite(&self.shared, &target.uri, &target.peer, &parties, offer_sdp.clone())
            else {
                continue;
            };
            match self.shared.endpoint.request(request, target.peer).await {
                Ok(tx) => {
                    let index = dial.add(tx.key, tx.request, target.peer);
                    self.track(index, tx.events);
                }
                Err(e) => tracing::warn!(error = %e, "could not send an INVITE"),
            }
        }
        let channel = self.snap();
        self.publish(EventKind::Dial {
            peer: channel,
            status: String::new(),
            dialstring: placement.dialstring.clone(),
        });
        if dial.is_empty() {
            self.leg = Leg::Ended;
            self.dial_status("CHANUNAVAIL", &placement.dialstring);
            return self.hang_up(HangupCause(20), false).await;
        }
        self.leg = Leg::Dialling {
            dial,
            deadline: Instant::now() + placement.ring,
            dialstring: placement.dialstring,
            offer_sdp,
        };
    }

    fn dial_status(&mut self, status: &'static str, dialstring: &str) {
        if let Driver::Dialled(link) = &mut self.driver {
            link.dialstatus = status;
        }
        let peer = self.snap();
        self.publish(EventKind::Dial { peer, status: status.to_owned(), dialstring: dialstring.to_owned() });
    }

    fn track(&self, index: usize, events: mpsc::Receiver<ClientEvent>) {
        super::super::dial::forward_reports(index, events, self.reports_tx.clone());
    }

    async fn on_report(&mut self, index: usize, event: ClientEvent) {
        let Leg::Dialling { dial, .. } = &mut self.leg else {
            // Ringing is over: a lost ACK, or a fork that answered in the race.
            if let Some(dial) = self.dialled.as_mut() {
                dial.settle(&self.shared, index, event).await;
            }
            return;
        };
        // A carrier's challenge is answered once; the fork goes on as the new transaction.
        if let Some(events) = dial.reauthorize(&self.shared, index, &event).await {
            return self.track(index, events);
        }
        let Leg::Dialling { dial, .. } = &mut self.leg else { return };
        match dial.on_ringing_report(index, event) {
            Progress::Answered(index, response) => self.dial_answered(index, &response).await,
            Progress::Failed(status) => {
                let dialstring = self.dialstring();
                let (cause, _) = failure_of(status);
                self.dial_status(dialstatus_of_failure(status), &dialstring);
                self.leg = Leg::Ended;
                self.hang_up(HangupCause(cause), false).await;
            }
            Progress::Ringing => {
                let dialstring = self.dialstring();
                self.set_state(ChannelState::Ringing);
                self.dial_status("RINGING", &dialstring);
                if let Driver::Dialled(link) = &self.driver {
                    link.tell(PeerNews::Ringing);
                }
            }
            Progress::EarlyMedia(early) => {
                if let Some(target) = early.audio_target() {
                    let _ = self.media.apply_answer(&early);
                    self.media.set_remote(target);
                }
            }
            Progress::Nothing => {}
        }
    }

    fn dialstring(&self) -> String {
        match &self.leg {
            Leg::Dialling { dialstring, .. } => dialstring.clone(),
            _ => String::new(),
        }
    }

    /// Fork `index` answered: the dialog, the ACK, the media; then the driver.
    async fn dial_answered(&mut self, index: usize, response: &Response) {
        let Leg::Dialling { mut dial, dialstring, offer_sdp, .. } = std::mem::replace(&mut self.leg, Leg::Ended) else {
            return;
        };
        let Some(Answered { dialog, peer, sdp }) = dial.accept(&self.shared, index, response).await else {
            self.dialled = Some(dial);
            return self.hang_up(HangupCause(31), false).await;
        };
        let our_contact = contact(&self.shared, &peer, &dial.our_user);
        let media_ok = sdp.as_ref().is_some_and(|sdp| self.media.apply_answer(sdp).is_ok());
        if let Some(target) = sdp.as_ref().and_then(SessionDescription::audio_target) {
            self.media.set_remote(target);
        }
        self.leg = Leg::Up {
            dialog,
            peer,
            our_sdp: offer_sdp,
            contact: our_contact,
            _dialog: Live::new(&self.shared.metrics, |m| &m.dialogs),
        };
        self.dialled = Some(dial);
        if !media_ok {
            tracing::info!("the callee's answer has no codec we offered; hanging up");
            self.dial_status("ANSWER", &dialstring);
            return self.hang_up(HangupCause(58), false).await;
        }
        // As Asterisk: the state change, then the Dial event.
        self.on_answered();
        self.dial_status("ANSWER", &dialstring);
        if let Driver::Dialled(link) = &self.driver {
            link.bridge().add(&self.media);
            link.tell(PeerNews::Answered);
        }
        if let Driver::Originating { app, args } = &self.driver {
            let (app, args) = (app.clone(), args.clone());
            self.driver = Driver::Stasis { app: app.clone() };
            if !self.enter_stasis(&app, args) {
                self.hang_up(HangupCause::NORMAL, true).await;
            }
        }
    }

    async fn on_input(&mut self, input: Option<CallInput>) {
        match input {
            Some(CallInput::Cancelled(key)) => {
                if let Leg::Offered { invite, tag, .. } = &self.leg {
                    if invite.key == key {
                        if let Some(reply) = Reply::to(&invite.request, 487, "Request Terminated")
                            .map(|r| r.tag(tag))
                            .and_then(|r| r.build())
                        {
                            let _ = self.shared.endpoint.respond(&invite.key, reply).await;
                        }
                        self.leg = Leg::Ended;
                        self.hang_up(HangupCause::NORMAL, false).await;
                    }
                }
            }
            Some(CallInput::Request(request)) => self.in_dialog(*request).await,
            Some(CallInput::Ack) | None => {}
        }
    }

    /// An in-dialog request from the peer.
    async fn in_dialog(&mut self, request: ServerRequest) {
        let Leg::Up { dialog, our_sdp, contact, .. } = &mut self.leg else {
            return answer(&self.shared, &request, 481, "Call/Transaction Does Not Exist").await;
        };
        let from_tag = message::from(&request.request.headers).and_then(|f| f.tag).unwrap_or_default();
        if from_tag != dialog.remote_tag() {
            return answer(&self.shared, &request, 481, "Call/Transaction Does Not Exist").await;
        }
        if dialog.on_request(&request.request).is_err() {
            return answer(&self.shared, &request, 500, "Server Internal Error (CSeq out of order)").await;
        }
        match request.request.method {
            Method::Bye => {
                answer(&self.shared, &request, 200, "OK").await;
                self.leg = Leg::Ended;
                self.hang_up(HangupCause::NORMAL, false).await;
            }
            Method::Invite | Method::Update => {
                let (our_sdp, contact) = (our_sdp.clone(), contact.clone());
                let body = String::from_utf8_lossy(request.request.body()).into_owned();
                let mut hold = None;
                if let Ok(sdp) = SessionDescription::parse(&body) {
                    if let Some(target) = sdp.audio_target().filter(|t| !t.ip().is_unspecified()) {
                        self.media.set_remote(target);
                    }
                    hold = Some(sdp.is_hold());
                }
                let reply = Reply::to(&request.request, 200, "OK")
                    .map(|r| r.header(HeaderName::Contact, contact).sdp(our_sdp))
                    .and_then(|r| r.build());
                if let Some(reply) = reply {
                    let _ = self.shared.endpoint.respond(&request.key, reply).await;
                }
                if let Some(held) = hold {
                    self.peer_hold(held);
                }
            }
            // INFO, OPTIONS, and the NOTIFYs of a REFER our redirect sent.
            Method::Info | Method::Options | Method::Notify => answer(&self.shared, &request, 200, "OK").await,
            // A transfer (REFER) of a channel an application controls is not offered.
            _ => {
                let allow = vec![(HeaderName::Allow, ALLOW.to_owned())];
                answer_with(&self.shared, &request, 405, "Method Not Allowed", allow).await
            }
        }
    }

    fn peer_hold(&mut self, held: bool) {
        if self.held == held {
            return;
        }
        self.held = held;
        if let Some(line) = &self._line {
            line.set_held(held);
        }
        let channel = self.snap();
        self.publish(if held { EventKind::ChannelHold { channel } } else { EventKind::ChannelUnhold { channel } });
    }

    async fn on_media(&mut self, event: MediaEvent) {
        match event {
            MediaEvent::DtmfEnd { digit, duration, .. } => {
                self.shared.metrics.dtmf_received(digit);
                let channel = self.snap();
                let duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
                self.publish(EventKind::ChannelDtmfReceived { channel, digit, duration_ms });
                if let Driver::Program(program) = &mut self.driver {
                    program.key_pressed(digit);
                }
            }
            MediaEvent::PlaybackStarted { playback, .. } => {
                if let Some(playback) = self.shared.stasis.playback_state(&playback, PlaybackState::Playing) {
                    self.publish(EventKind::PlaybackStarted { playback });
                }
            }
            MediaEvent::PlaybackFinished { playback: id, .. } => {
                self.playbacks.retain(|p| *p != id);
                let state = if self.stopped.remove(&id) { PlaybackState::Cancelled } else { PlaybackState::Done };
                if let Some(playback) = self.shared.stasis.playback_state(&id, state) {
                    self.publish(EventKind::PlaybackFinished { playback });
                }
                if let Driver::Program(program) = &mut self.driver {
                    program.playback_finished(&id);
                }
            }
            event @ (MediaEvent::RecordingStarted { .. }
            | MediaEvent::RecordingFinished { .. }
            | MediaEvent::RecordingFailed { .. }) => {
                let Some(recording) = self.recording.as_mut() else { return };
                let Some((kind, over)) = recording::progress(recording, &event) else { return };
                self.shared.stasis.set_recording(recording.clone());
                if over {
                    self.recording = None;
                }
                self.publish(kind);
            }
            MediaEvent::DtmfBegin { .. }
            | MediaEvent::BridgePlaybackStarted { .. }
            | MediaEvent::BridgePlaybackFinished { .. } => {}
        }
    }

    async fn on_timer(&mut self) {
        if let Some(timer) = self.timer {
            if timer <= Instant::now() {
                self.timer = None;
                if let Driver::Program(program) = &mut self.driver {
                    program.timer_fired();
                }
                return;
            }
        }
        if let Leg::Dialling { dial, deadline, dialstring, .. } = &self.leg {
            if *deadline <= Instant::now() {
                dial.cancel(&self.shared, None).await;
                let dialstring = dialstring.clone();
                self.dial_status("NOANSWER", &dialstring);
                self.leg = Leg::Ended;
                self.hang_up(HangupCause(19), false).await;
            }
        }
    }

    /// Hangs the channel up with `cause`: tells (`ChannelHangupRequest`), ends the SIP side.
    /// The rest (bridge, application, `ChannelDestroyed`) happens as the task ends.
    pub async fn hang_up(&mut self, cause: HangupCause, soft: bool) {
        if self.ending.is_some() {
            return;
        }
        self.ending = Some(Ending { cause });
        self.hang_up_callee();
        let channel = self.snap();
        self.publish(EventKind::ChannelHangupRequest { channel, cause: cause.0, soft });
        match std::mem::replace(&mut self.leg, Leg::Ended) {
            Leg::Offered { invite, tag, .. } => {
                let (status, reason) = cause.sip_status();
                let status = if status < 300 { 603 } else { status };
                if let Some(reply) =
                    Reply::to(&invite.request, status, reason).map(|r| r.tag(&tag)).and_then(|r| r.build())
                {
                    let _ = self.shared.endpoint.respond(&invite.key, reply).await;
                }
            }
            Leg::Dialling { dial, .. } => {
                dial.cancel(&self.shared, None).await;
                self.dialled = Some(dial);
            }
            Leg::Up { mut dialog, peer, .. } => {
                if let Ok(bye) = dialog.request(Method::Bye, None) {
                    let _ = self.shared.endpoint.request(bye, peer).await;
                }
            }
            Leg::Unplaced(_) | Leg::MediaOnly | Leg::Ended => {}
        }
    }

    /// The channel is gone: out of its bridge and application, its playbacks and recording
    /// over, `ChannelDestroyed`, the CDR.
    async fn finish(mut self) {
        let Ending { cause } = self.ending.unwrap_or(Ending { cause: HangupCause::NORMAL });
        for id in std::mem::take(&mut self.playbacks) {
            if let Some(playback) = self.shared.stasis.playback_state(&id, PlaybackState::Done) {
                self.publish(EventKind::PlaybackFinished { playback });
            }
        }
        if let Some(mut recording) = self.recording.take() {
            // Closing the media channel keeps what was recorded, as Asterisk on hang-up.
            self.media.stop_recording(true);
            recording.state = RecordingState::Done;
            self.shared.stasis.set_recording(recording.clone());
            self.publish(EventKind::RecordingFinished { recording });
        }
        self.leave_bridge();
        self.leave_stasis();
        if let Driver::Dialled(link) = &self.driver {
            link.bridge().remove(&self.media);
            link.tell(PeerNews::Ended { dialstatus: if self.answered { "ANSWER" } else { link.dialstatus } });
        }
        let id = self.id();
        self.shared.stasis.remove_channel(&id);
        self.hang_up_snoops(&id);
        let channel = self.snap();
        self.publish(EventKind::ChannelDestroyed { channel: channel.clone(), cause: cause.0 });
        let ChannelTask { shared, record, media, registration, dialled, answered, reports, .. } = self;
        drop(media);
        drop(registration);
        if let Some(record) = record {
            let disposition = if answered { Disposition::Answered } else { Disposition::NoAnswer };
            record.finish(&shared, disposition, cause.0, &channel.name).await;
        }
        if let Some(dial) = dialled.filter(|dial| !dial.settled()) {
            tokio::spawn(drain(shared, dial, reports));
        }
    }
}

/// The resource of a redirect's `endpoint` (`PJSIP/1002`), checked in Asterisk's order
/// and with its messages: present, `tech/resource`, and the technology of the channel
/// (named `<tech>/…`).
fn redirect_resource<'a>(endpoint: &'a str, channel_name: &str) -> Result<&'a str, StasisError> {
    if endpoint.is_empty() {
        return Err(StasisError::BadRequest("Required parameter 'endpoint' not provided.".into()));
    }
    let Some((tech, resource)) = endpoint.split_once('/').filter(|(tech, _)| !tech.is_empty()) else {
        let message = format!("Endpoint parameter '{endpoint}' does not contain tech/resource");
        return Err(StasisError::Unprocessable(message));
    };
    if resource.is_empty() {
        return Err(StasisError::Unprocessable(format!("No resource provided in endpoint parameter '{endpoint}'")));
    }
    let channel_tech = channel_name.split('/').next().unwrap_or_default();
    if !tech.eq_ignore_ascii_case(channel_tech) {
        let message = format!("Endpoint technology '{tech}' does not match channel technology '{channel_tech}'");
        return Err(StasisError::Unprocessable(message));
    }
    Ok(resource)
}

/// How long a finished channel's forks may take to settle.
const DRAIN: Duration = Duration::from_secs(32);

/// Waits for the forks of a finished channel's dial to settle, hanging up any that
/// answered in the race.
async fn drain(shared: Arc<Shared>, mut dial: Dial, mut reports: mpsc::Receiver<(usize, ClientEvent)>) {
    let deadline = Instant::now() + DRAIN;
    while !dial.settled() {
        tokio::select! {
            report = reports.recv() => match report {
                Some((index, event)) => dial.settle(&shared, index, event).await,
                None => return,
            },
            () = tokio::time::sleep_until(deadline) => return,
        }
    }
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
