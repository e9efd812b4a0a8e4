//! One terminating channel: the PBX's end of a call's RTP session, as the media clock
//! owns it.
//!
//! [`ChannelCore`] is the sans-IO state, fed packets and ticks: latching, the jitter
//! buffer and decoder feeding one input frame per tick, DTMF both ways, the playback
//! queue, the recorder, echo and mutes, and the sending side of the session. Each tick it
//! takes in what arrived, makes the input frame, and then (once bridges have mixed) makes
//! the output frame: a DTMF tone, else the recording beep, else the playback, else music
//! on hold, else the bridge's mix, else an echo of the input if echo is on, else silence.
//!
//! While its bridge passes packets through (see `passthrough`), the output is the bridge
//! partner's packets, re-headed, instead of a frame of our own; the input is not decoded.
//!
//! [`Channel`] adds the two non-blocking sockets, drained with `recv_from` on every tick
//! (no readiness registration, so no wake-up per packet), and the owner's event queue.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;

use super::clock::EngineCounters;
use super::dtmf::{DigitEvent, DtmfInput, DtmfOutput, DtmfRequest, DtmfTick};
use super::moh::MohPlayer;
use super::negotiate::Negotiated;
use super::passthrough::{PassLane, PassProfile, Rewriter};
use super::playback::{Playback, PlaybackControl, PlaybackQueue, Player};
use super::record::{Finishing, RecordSource, RecordStep, Recorder, RecordingControl, RecordingEnd};
use super::snoop::add_into;
use super::stream::OutStream;
use super::{BridgeId, ChannelId, ChannelShared, MediaEvent};
use crate::codec::{Decoder, Encoder};
use crate::mixer::AudioFrame;
use crate::relay::latch::{self, Latch};
use crate::relay::ports::{BoundPair, PortLease};
use crate::rtp::rtcp::{self, RtcpPacket};
use crate::rtp::{ConcealMode, Concealment, Frame, JitterBuffer, JitterConfig, ReceptionStats, RtpPacket};
use crate::FRAME_SAMPLES;

/// Larger than any RTP packet on an Ethernet path; a datagram filling it may have been
/// truncated, so it is dropped.
pub(crate) const RECV_BUF_LEN: usize = 2048;

/// Datagrams read from one socket per tick: about one is due. A flood beyond this waits
/// in the kernel (which drops what overflows) rather than starving the other channels.
pub(crate) const MAX_READS_PER_TICK: usize = 32;

/// What the owner of a channel can ask of it, applied by the clock at the start of a tick.
#[derive(Debug)]
pub(crate) enum ChannelCommand {
    /// The peer's RTP address from its SDP, used until it is latched.
    SetRemote(Option<SocketAddr>),
    /// The codecs agreed on, as when the answer to our offer arrives.
    SetMedia(Negotiated),
    /// Start a playback, or queue it behind the current one.
    Play(Playback),
    /// Control the playback with this id, if it is playing.
    ControlPlayback(String, PlaybackControl),
    /// Stop the playback with this id, playing or queued.
    StopPlayback(String),
    /// Start recording; boxed, being several times larger than the other commands.
    Record(Box<Recorder>),
    /// Stop recording, keeping or deleting the file.
    StopRecording {
        /// Keep the file.
        keep: bool,
    },
    /// Pause, mute, or undo either, on the recording in progress.
    ControlRecording(RecordingControl),
    /// Send the peer its own audio back.
    Echo(bool),
    /// Send digits.
    SendDtmf(DtmfRequest),
    /// Play music on hold, replacing any.
    StartMoh(MohPlayer),
    /// Stop the music on hold.
    StopMoh,
    /// Silence what the peer says (to everything: bridge, echo, recording) and what it hears.
    Mute {
        /// Silence the peer's audio.
        inbound: bool,
        /// Silence the audio sent to the peer.
        outbound: bool,
    },
}

/// What a channel produced for its owner during one step, collected by the clock and
/// handed over after the step. The vectors keep their capacity between ticks.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// Events for the channel's owner.
    pub(crate) events: Vec<MediaEvent>,
    /// Recordings to finalise off the clock.
    pub(crate) finishing: Vec<Finishing>,
}

/// The codec state of a channel whose SDP has been negotiated.
#[derive(Debug)]
struct Codecs {
    negotiated: Negotiated,
    encoder: Box<dyn Encoder>,
    decoder: Box<dyn Decoder>,
}

impl Codecs {
    fn new(negotiated: Negotiated) -> Codecs {
        Codecs { negotiated, encoder: negotiated.codec.encoder(), decoder: negotiated.codec.decoder() }
    }
}

/// The sans-IO state of one channel; see the module documentation.
#[derive(Debug)]
pub(crate) struct ChannelCore {
    id: ChannelId,
    /// The RTP socket's address, for latching hints.
    local: SocketAddr,
    /// `None` until the SDP exchange is complete (an offer of ours not answered yet).
    codecs: Option<Codecs>,
    rtp_latch: Latch,
    rtcp_latch: Latch,
    jitter: JitterBuffer,
    conceal: Concealment,
    reception: ReceptionStats,
    /// The peer's current SSRC: a new one restarts DTMF reception.
    peer_ssrc: Option<u32>,
    dtmf_in: DtmfInput,
    dtmf_out: DtmfOutput,
    out: OutStream,
    /// Where the destination of the packet built by [`ChannelCore::produce`] is kept.
    outgoing: Option<SocketAddr>,
    /// What the peer said this tick, decoded or concealed.
    input: AudioFrame,
    /// What the channel sent (or would have) last tick.
    sent: AudioFrame,
    /// Audio a snoop channel whispers to the peer this tick.
    whisper: Option<AudioFrame>,
    /// Whether the input comes from a tap on another channel (a snoop channel), not a peer.
    tapped: bool,
    /// Decoder output, reused.
    pcm: Vec<i16>,
    playbacks: PlaybackQueue,
    recorder: Option<Recorder>,
    /// Music on hold, heard when nothing is playing.
    moh: Option<MohPlayer>,
    echo: bool,
    mute_in: bool,
    mute_out: bool,
    /// The bridge the channel is a member of.
    bridge: Option<BridgeId>,
    /// While its bridge passes packets through, what re-heads the partner's into our stream.
    forwarding: Option<Rewriter>,
    /// Frames of the peer's audio decoded, and partner packets passed to the peer undecoded.
    frames_decoded: u64,
    packets_passed: u64,
}

impl ChannelCore {
    /// A channel whose RTP socket is at `local`, with the codecs agreed if known.
    pub(crate) fn new(
        id: ChannelId,
        local: SocketAddr,
        negotiated: Option<Negotiated>,
        cname: String,
        now: Instant,
    ) -> ChannelCore {
        let mut core = ChannelCore {
            id,
            local,
            codecs: None,
            rtp_latch: Latch::default(),
            rtcp_latch: Latch::default(),
            jitter: JitterBuffer::new(JitterConfig::default()),
            conceal: Concealment::new(ConcealMode::RepeatLast),
            reception: ReceptionStats::new(crate::SAMPLE_RATE),
            peer_ssrc: None,
            dtmf_in: DtmfInput::new(crate::SAMPLE_RATE),
            dtmf_out: DtmfOutput::default(),
            out: OutStream::new(cname, now),
            outgoing: None,
            input: [0; FRAME_SAMPLES],
            sent: [0; FRAME_SAMPLES],
            whisper: None,
            tapped: false,
            pcm: Vec::with_capacity(FRAME_SAMPLES * 2),
            playbacks: PlaybackQueue::new(Player::Channel(id)),
            recorder: None,
            moh: None,
            echo: false,
            mute_in: false,
            mute_out: false,
            bridge: None,
            forwarding: None,
            frames_decoded: 0,
            packets_passed: 0,
        };
        if let Some(negotiated) = negotiated {
            core.set_media(negotiated);
        }
        core
    }

    /// The channel's id.
    pub(crate) fn id(&self) -> ChannelId {
        self.id
    }

    /// The bridge it is in.
    pub(crate) fn bridge(&self) -> Option<BridgeId> {
        self.bridge
    }

    /// Records bridge membership, and stops any passing through the bridge left; the
    /// bridge's own side is the clock's business.
    pub(crate) fn set_bridge(&mut self, bridge: Option<BridgeId>) {
        self.bridge = bridge;
        self.set_forwarding(None);
    }

    /// What the channel would pass packets through as, if nothing needs its audio decoded
    /// or made here: no playback, recording, echo, mute, music on hold or DTMF being sent,
    /// and telephone-events negotiated (see `passthrough`).
    pub(crate) fn pass_profile(&self) -> Option<PassProfile> {
        let codecs = self.codecs.as_ref()?;
        let busy = self.playbacks.is_playing()
            || self.recorder.is_some()
            || self.echo
            || self.mute_in
            || self.mute_out
            || self.moh.is_some()
            || !self.dtmf_out.is_idle();
        if busy {
            return None;
        }
        PassProfile::of(&codecs.negotiated)
    }

    /// Starts sending the bridge partner's packets (it passes as `partner`) undecoded
    /// instead of our own audio, or with `None` goes back to making our own: the next
    /// packet starts a talkspurt, sequence numbers and timestamps carrying on.
    pub(crate) fn set_forwarding(&mut self, partner: Option<PassProfile>) {
        let own = self.codecs.as_ref().and_then(|codecs| PassProfile::of(&codecs.negotiated));
        if let (Some(partner), Some(own)) = (partner, own) {
            if !self.forwarding.as_ref().is_some_and(|rewriter| rewriter.is_between(&partner, &own)) {
                self.forwarding = Some(Rewriter::new(partner, own));
            }
        } else if self.forwarding.take().is_some() {
            self.out.pause();
            // What was heard before passing began is too old to conceal a gap with.
            self.conceal.heard(&[0; FRAME_SAMPLES]);
        }
    }

    /// Whether it sends its bridge partner's packets rather than its own audio.
    pub(crate) fn is_forwarding(&self) -> bool {
        self.forwarding.is_some()
    }

    /// This tick's input frame, once [`ChannelCore::pull_input`] has made it.
    pub(crate) fn input(&self) -> &AudioFrame {
        &self.input
    }

    /// Applies a command from the channel's owner.
    pub(crate) fn apply(&mut self, command: ChannelCommand, fx: &mut Effects) {
        let id = self.id;
        match command {
            ChannelCommand::SetRemote(rtp) => self.set_remote(rtp),
            ChannelCommand::SetMedia(negotiated) => self.set_media(negotiated),
            ChannelCommand::Play(playback) => self.playbacks.push(playback, &mut fx.events),
            ChannelCommand::ControlPlayback(playback, control) => self.playbacks.control(&playback, control),
            ChannelCommand::StopPlayback(playback) => self.playbacks.stop(playback, &mut fx.events),
            ChannelCommand::Record(recorder) => {
                if self.recorder.is_some() {
                    // The handle allows one recording at a time; should one slip through, the
                    // newcomer is the one refused, and its file removed.
                    fx.finishing.push(recorder.finish(id, RecordingEnd::Canceled));
                } else {
                    self.recorder = Some(*recorder);
                }
            }
            ChannelCommand::StopRecording { keep } => {
                let cause = if keep { RecordingEnd::Stopped } else { RecordingEnd::Canceled };
                self.end_recording(cause, fx);
            }
            ChannelCommand::ControlRecording(control) => {
                if let Some(recorder) = self.recorder.as_mut() {
                    recorder.control(control);
                }
            }
            ChannelCommand::Echo(on) => self.echo = on,
            ChannelCommand::StartMoh(player) => self.moh = Some(player),
            ChannelCommand::StopMoh => self.moh = None,
            ChannelCommand::SendDtmf(request) => {
                let events = self.codecs.as_ref().is_some_and(|codecs| codecs.negotiated.telephone_event.is_some());
                self.dtmf_out.push(request, events);
            }
            ChannelCommand::Mute { inbound, outbound } => {
                self.mute_in = inbound;
                self.mute_out = outbound;
            }
        }
    }

    /// Takes in a datagram from the RTP socket; whether it was accepted. While its bridge
    /// passes packets through, audio and events are also put in `lane` for the partner.
    pub(crate) fn on_rtp(
        &mut self,
        bytes: &[u8],
        source: SocketAddr,
        now: Instant,
        lane: Option<&mut PassLane>,
    ) -> bool {
        let Ok(packet) = RtpPacket::parse(bytes) else { return false };
        if !self.rtp_latch.accept(source, now) {
            return false;
        }
        let Some(codecs) = &self.codecs else { return true };
        let (ssrc, sequence, timestamp) = (packet.ssrc(), packet.sequence(), packet.timestamp());
        if self.peer_ssrc != Some(ssrc) {
            // A new source: its events have nothing to do with the old one's. The jitter
            // buffer and the statistics notice the new SSRC themselves.
            if self.peer_ssrc.is_some() {
                self.dtmf_in.reset();
            }
            self.peer_ssrc = Some(ssrc);
        }
        // Events share the audio's sequence numbers, so both count for loss statistics.
        self.reception.on_packet(ssrc, sequence, timestamp, now);
        let payload_type = packet.payload_type();
        if Some(payload_type) == codecs.negotiated.telephone_event {
            self.dtmf_in.on_event(now, timestamp, sequence, packet.payload());
        } else if payload_type == codecs.negotiated.payload_type {
            // Even while passing through, so the buffer is in step when decoding resumes.
            self.jitter.push(ssrc, sequence, timestamp, packet.payload(), now);
        } else {
            // Comfort noise and anything else not negotiated is dropped.
            return true;
        }
        if let (Some(lane), true) = (lane, self.forwarding.is_some()) {
            lane.push(packet.header(), packet.payload());
        }
        true
    }

    /// Takes in a datagram from the RTCP socket; whether it was accepted.
    pub(crate) fn on_rtcp(&mut self, bytes: &[u8], source: SocketAddr, now: Instant) -> bool {
        // A compound packet must start with a valid report (RFC 3550 §6.1).
        if !matches!(rtcp::parse_compound(bytes).next(), Some(Ok(_))) || !self.rtcp_latch.accept(source, now) {
            return false;
        }
        for packet in rtcp::parse_compound(bytes).map_while(Result::ok) {
            if let RtcpPacket::SenderReport(report) = packet {
                self.reception.on_sender_report(report.ssrc, report.sender_info.ntp_time, now);
            }
        }
        true
    }

    /// Makes this tick's input frame: the next frame out of the jitter buffer, decoded or
    /// concealed; reports the digits heard; feeds the recorder.
    pub(crate) fn pull_input(&mut self, now: Instant, fx: &mut Effects) {
        let id = self.id;
        let recorder = &mut self.recorder;
        self.dtmf_in.poll(now, |event| on_digit(id, recorder, fx, event));
        match self.codecs.as_mut() {
            None => self.input.fill(0),
            Some(_) if self.forwarding.is_some() => {
                // Passed on undecoded; played out all the same, to keep the buffer in step
                // (and its loss count going).
                let _ = self.jitter.pop(now);
                self.input.fill(0);
            }
            Some(codecs) => match self.jitter.pop(now) {
                Frame::Audio(payload) => {
                    self.pcm.clear();
                    codecs.decoder.decode(payload, &mut self.pcm);
                    self.frames_decoded += 1;
                    // 20 ms was negotiated; a longer or shorter packet is cut or padded.
                    let count = self.pcm.len().min(FRAME_SAMPLES);
                    self.input[..count].copy_from_slice(&self.pcm[..count]);
                    self.input[count..].fill(0);
                    self.conceal.heard(&self.input);
                }
                Frame::Missing => self.conceal.conceal(&mut self.input),
            },
        }
        let in_band = self.codecs.as_ref().is_some_and(|codecs| codecs.negotiated.telephone_event.is_none());
        if in_band {
            let recorder = &mut self.recorder;
            self.dtmf_in.on_audio(&self.input, |event| on_digit(id, recorder, fx, event));
        }
        if self.mute_in {
            self.input.fill(0);
        }
        // A snoop channel's input comes from its tap later in the tick.
        if !self.tapped {
            feed_recorder(&mut self.recorder, id, RecordSource::Heard, &self.input, fx);
        }
    }

    /// A snoop channel's input for this tick, from its tap.
    pub(crate) fn hear_tap(&mut self, frame: AudioFrame, fx: &mut Effects) {
        self.tapped = true;
        self.input = if self.mute_in { [0; FRAME_SAMPLES] } else { frame };
        feed_recorder(&mut self.recorder, self.id, RecordSource::Heard, &self.input, fx);
    }

    /// Adds a snoop channel's whisper to what the peer said this tick.
    pub(crate) fn add_to_input(&mut self, extra: &AudioFrame) {
        add_into(&mut self.input, extra);
    }

    /// Has a snoop channel's whisper go to the peer with this tick's output.
    pub(crate) fn whisper(&mut self, frame: AudioFrame) {
        self.whisper = Some(frame);
    }

    /// What the channel sent last tick.
    pub(crate) fn sent(&self) -> &AudioFrame {
        &self.sent
    }

    /// Makes this tick's output and, if it is to be sent, the packet; returns where to
    /// send [`ChannelCore::packet`]. `bridged` is what the channel's bridge mixed for it.
    pub(crate) fn produce(&mut self, bridged: Option<&AudioFrame>, fx: &mut Effects) -> Option<SocketAddr> {
        let mut frame = [0; FRAME_SAMPLES];
        let mut tone = [0; FRAME_SAMPLES];
        let dtmf = self.dtmf_out.tick(self.out.timestamp(), &mut tone);
        // The beep and the playback move on even under DTMF: time passes for them as for
        // the peer.
        let beeping = self.recorder.as_mut().is_some_and(|recorder| recorder.beep(&mut frame));
        if !beeping {
            self.mix_in(bridged, &mut frame, fx);
        }
        if dtmf == DtmfTick::Tone {
            frame = tone;
        }
        if let Some(whisper) = self.whisper.take() {
            add_into(&mut frame, &whisper);
        }
        if self.mute_out {
            frame.fill(0);
        }
        self.sent = frame;
        feed_recorder(&mut self.recorder, self.id, RecordSource::Sent, &frame, fx);
        self.outgoing = None;
        let destination = self.rtp_latch.destination();
        match (self.codecs.as_mut(), destination) {
            (Some(codecs), Some(destination)) if codecs.negotiated.peer_receives() => {
                let negotiated = codecs.negotiated;
                let sent = match (dtmf, negotiated.telephone_event) {
                    (DtmfTick::Event(packet), Some(te)) => self.out.event(te, &packet),
                    _ => self.out.audio(negotiated.payload_type, codecs.encoder.as_mut(), &frame),
                };
                if !sent.is_empty() {
                    self.outgoing = Some(destination);
                }
            }
            _ => self.out.pause(),
        }
        self.out.advance();
        self.outgoing
    }

    /// Sends the bridge partner's packets of this tick (its `lane`), re-headed into our
    /// stream, through `send` (which says whether the packet went out); returns how many
    /// did. Used instead of [`ChannelCore::produce`] while passing through.
    pub(crate) fn forward(&mut self, lane: Option<&PassLane>, mut send: impl FnMut(&[u8], SocketAddr) -> bool) -> u64 {
        let mut sent = 0;
        let receives = self.codecs.as_ref().is_some_and(|codecs| codecs.negotiated.peer_receives());
        if let (Some(rewriter), Some(destination), true) =
            (self.forwarding.as_mut(), self.rtp_latch.destination(), receives)
        {
            for (header, payload) in lane.into_iter().flat_map(PassLane::packets) {
                let Some(header) = rewriter.rewrite(header, self.out.next_sequence(), self.out.timestamp()) else {
                    continue;
                };
                let packet = self.out.forward(header, payload);
                sent += u64::from(!packet.is_empty() && send(packet, destination));
            }
        }
        self.packets_passed += sent;
        self.out.advance();
        sent
    }

    /// Frames of the peer's audio decoded so far, and partner packets passed to it.
    pub(crate) fn codec_figures(&self) -> (u64, u64) {
        (self.frames_decoded, self.packets_passed)
    }

    /// The packet [`ChannelCore::produce`] built.
    pub(crate) fn packet(&self) -> &[u8] {
        self.out.packet()
    }

    /// The RTCP report due at `now`, if any, and where it goes.
    pub(crate) fn report(&mut self, now: Instant, wall: SystemTime) -> Option<(&[u8], SocketAddr)> {
        if self.codecs.is_none() || !self.out.is_report_due(now) {
            return None;
        }
        let destination = self.rtcp_latch.destination()?;
        let block = self.reception.report_block(now);
        self.out.report(now, wall, block).map(|report| (report, destination))
    }

    /// Ends everything in progress, as the channel closes.
    pub(crate) fn close(&mut self, fx: &mut Effects) {
        self.playbacks.close(&mut fx.events);
        self.end_recording(RecordingEnd::Hangup, fx);
    }

    /// Frames lost and the interarrival jitter, for the channel's statistics.
    pub(crate) fn reception_figures(&self) -> (u64, Duration) {
        let jitter_units = u64::from(self.reception.jitter());
        let jitter = Duration::from_micros(jitter_units * 1_000_000 / u64::from(crate::SAMPLE_RATE));
        (self.jitter.stats().lost, jitter)
    }

    /// The output chain below DTMF and the beep: playback, else music on hold, else
    /// bridge, else echo, else silence (what `frame` holds already).
    fn mix_in(&mut self, bridged: Option<&AudioFrame>, frame: &mut AudioFrame, fx: &mut Effects) {
        if self.playbacks.next_frame(frame, &mut fx.events) {
            return;
        }
        if let Some(moh) = self.moh.as_mut() {
            moh.next_frame(frame);
        } else if let Some(bridged) = bridged {
            *frame = *bridged;
        } else if self.echo {
            *frame = self.input;
        }
    }

    /// Ends the recording, if any, for `cause`.
    fn end_recording(&mut self, cause: RecordingEnd, fx: &mut Effects) {
        if let Some(recorder) = self.recorder.take() {
            fx.finishing.push(recorder.finish(self.id, cause));
        }
    }

    /// Takes the peer's SDP address as the latching hints.
    fn set_remote(&mut self, rtp: Option<SocketAddr>) {
        let (rtp, rtcp) = latch::sdp_hints(self.local, rtp.and_then(latch::usable_remote));
        self.rtp_latch.set_hint(rtp);
        self.rtcp_latch.set_hint(rtcp);
    }

    /// Takes the agreed codecs (and the peer's address with them); a change of codec
    /// starts the jitter buffer afresh.
    fn set_media(&mut self, negotiated: Negotiated) {
        self.set_remote(negotiated.remote);
        let same = self.codecs.as_ref().is_some_and(|codecs| {
            crate::codec::same_codec(codecs.negotiated.codec, negotiated.codec)
                && codecs.negotiated.payload_type == negotiated.payload_type
        });
        match self.codecs.as_mut() {
            Some(codecs) if same => codecs.negotiated = negotiated,
            _ => {
                self.codecs = Some(Codecs::new(negotiated));
                self.jitter = JitterBuffer::new(JitterConfig::default());
            }
        }
    }
}

/// Reports a digit heard on channel `id`, and ends its recording if the digit says so.
fn on_digit(id: ChannelId, recorder: &mut Option<Recorder>, fx: &mut Effects, event: DigitEvent) {
    match event {
        DigitEvent::Begin(digit) => {
            fx.events.push(MediaEvent::DtmfBegin { channel: id, digit: digit.as_char() });
            if let Some(cause) = recorder.as_ref().and_then(|recorder| recorder.on_digit(digit)) {
                if let Some(recorder) = recorder.take() {
                    fx.finishing.push(recorder.finish(id, cause));
                }
            }
        }
        DigitEvent::End(digit, duration) => {
            fx.events.push(MediaEvent::DtmfEnd { channel: id, digit: digit.as_char(), duration });
        }
    }
}

/// A channel with its sockets, as the clock owns it.
#[derive(Debug)]
pub(crate) struct Channel {
    rtp: UdpSocket,
    rtcp: UdpSocket,
    core: ChannelCore,
    /// The owner's event queue.
    events: mpsc::Sender<MediaEvent>,
    /// Shared with the owner's handle.
    shared: Arc<ChannelShared>,
    counters: Arc<EngineCounters>,
    /// Datagrams accepted and sent so far.
    received: u64,
    sent: u64,
    /// Declared after the sockets, so they are closed before the ports are handed out again.
    _lease: PortLease,
}

impl Channel {
    /// A channel over a freshly bound pair.
    pub(crate) fn new(
        pair: BoundPair,
        core: ChannelCore,
        events: mpsc::Sender<MediaEvent>,
        shared: Arc<ChannelShared>,
        counters: Arc<EngineCounters>,
    ) -> Channel {
        let BoundPair { rtp, rtcp, lease } = pair;
        Channel { rtp, rtcp, core, events, shared, counters, received: 0, sent: 0, _lease: lease }
    }

    /// The channel's id.
    pub(crate) fn id(&self) -> ChannelId {
        self.core.id()
    }

    /// The sans-IO state.
    pub(crate) fn core(&self) -> &ChannelCore {
        &self.core
    }

    /// The sans-IO state, to change.
    pub(crate) fn core_mut(&mut self) -> &mut ChannelCore {
        &mut self.core
    }

    /// Reads what arrived on both sockets since the last tick, putting what is to be passed
    /// through in `lane`; returns how many datagrams were accepted.
    pub(crate) fn receive(&mut self, buf: &mut [u8], now: Instant, mut lane: Option<&mut PassLane>) -> u64 {
        let mut accepted = 0;
        for _ in 0..MAX_READS_PER_TICK {
            match self.rtp.recv_from(buf) {
                Ok((len, source)) => {
                    let taken = len < buf.len() && self.core.on_rtp(&buf[..len], source, now, lane.as_deref_mut());
                    accepted += u64::from(taken);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                // An ICMP error from an earlier send, reported here by some platforms.
                Err(_) => {}
            }
        }
        for _ in 0..MAX_READS_PER_TICK {
            match self.rtcp.recv_from(buf) {
                Ok((len, source)) => {
                    accepted += u64::from(len < buf.len() && self.core.on_rtcp(&buf[..len], source, now));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {}
            }
        }
        self.received += accepted;
        accepted
    }

    /// Makes and sends this tick's output (or passes on the bridge partner's packets, in
    /// `lane`, while passing through), and the RTCP report if one is due; returns how many
    /// datagrams went out. A full socket buffer drops the packet: it is UDP.
    pub(crate) fn send(
        &mut self,
        bridged: Option<&AudioFrame>,
        lane: Option<&PassLane>,
        now: Instant,
        wall: SystemTime,
        fx: &mut Effects,
    ) -> u64 {
        let mut sent = 0;
        if self.core.is_forwarding() {
            let rtp = &self.rtp;
            sent += self.core.forward(lane, |packet, destination| rtp.send_to(packet, destination).is_ok());
        } else if let Some(destination) = self.core.produce(bridged, fx) {
            sent += u64::from(self.rtp.send_to(self.core.packet(), destination).is_ok());
        }
        if let Some((report, destination)) = self.core.report(now, wall) {
            sent += u64::from(self.rtcp.send_to(report, destination).is_ok());
        }
        self.sent += sent;
        sent
    }

    /// Hands the events and finished recordings of a step to the owner. Events never
    /// wait: a full queue loses them, and the loss is counted.
    pub(crate) fn flush(&self, fx: &mut Effects) {
        self.counters.deliver(&self.events, &mut fx.events);
        for finishing in fx.finishing.drain(..) {
            let events = self.events.clone();
            let shared = Arc::clone(&self.shared);
            let counters = Arc::clone(&self.counters);
            tokio::task::spawn_blocking(move || {
                let event = finishing.run();
                // Only now may another recording start on the channel.
                shared.recording.store(false, Ordering::Release);
                if events.try_send(event).is_err() {
                    counters.events_dropped.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    }

    /// Publishes the channel's figures for its handle; a few relaxed stores per tick.
    pub(crate) fn publish_stats(&self) {
        let (lost, jitter) = self.core.reception_figures();
        self.shared.packets_received.store(self.received, Ordering::Relaxed);
        self.shared.packets_sent.store(self.sent, Ordering::Relaxed);
        self.shared.frames_lost.store(lost, Ordering::Relaxed);
        let (decoded, passed) = self.core.codec_figures();
        self.shared.frames_decoded.store(decoded, Ordering::Relaxed);
        self.shared.packets_passed.store(passed, Ordering::Relaxed);
        self.shared.jitter_us.store(u64::try_from(jitter.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

/// Feeds `frame` to the recorder if it records `source`, and reports what that did: the
/// start, or the end (by a limit, or a failed write).
fn feed_recorder(
    recorder: &mut Option<Recorder>,
    id: ChannelId,
    source: RecordSource,
    frame: &[i16],
    fx: &mut Effects,
) {
    let Some(active) = recorder.as_mut().filter(|r| r.source() == source) else { return };
    let finishing = match active.write(frame) {
        RecordStep::Beeping | RecordStep::Written { first: false } => return,
        RecordStep::Written { first: true } => {
            fx.events.push(MediaEvent::RecordingStarted { channel: id, name: active.name().to_owned() });
            return;
        }
        RecordStep::Ended(cause) => recorder.take().map(|r| r.finish(id, cause)),
        RecordStep::Failed(error) => recorder.take().map(|r| r.fail(id, error)),
    };
    fx.finishing.extend(finishing);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{g711, Codec};
    use crate::dtmf::goertzel::Goertzel;
    use crate::dtmf::rfc4733::TelephoneEvent;
    use crate::engine::negotiate::negotiate;
    use crate::engine::playback::Source;
    use crate::rtp::RtpHeader;
    use crate::sdp::SessionDescription;
    use crate::tones::{ToneGenerator, ToneSpec};

    const PEER: &str = "192.0.2.9:4000";
    const PEER_SSRC: u32 = 0x5eed;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn negotiated(formats: &str) -> Negotiated {
        negotiated_at(4000, formats, 101)
    }

    /// What a peer at port `port` of 192.0.2.9 offering `formats`, with telephone-event
    /// on `events`, agrees to.
    fn negotiated_at(port: u16, formats: &str, events: u8) -> Negotiated {
        let body = format!(
            "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio {port} RTP/AVP {formats}\r\n\
             a=rtpmap:{events} telephone-event/8000\r\n"
        );
        negotiate(&SessionDescription::parse(&body).unwrap()).unwrap()
    }

    /// A channel and a clock, ticking 20 ms at a time, with a peer sending PCMU.
    struct Harness {
        core: ChannelCore,
        fx: Effects,
        now: Instant,
        peer_seq: u16,
        peer_ts: u32,
        peer_ssrc: u32,
        encoder: Box<dyn Encoder>,
    }

    impl Harness {
        fn new(negotiated: Option<Negotiated>) -> Harness {
            let now = Instant::now();
            let core = ChannelCore::new(ChannelId(7), addr("198.51.100.1:10000"), negotiated, "t".to_owned(), now);
            Harness {
                core,
                fx: Effects::default(),
                now,
                peer_seq: 65500,
                peer_ts: 1000,
                peer_ssrc: PEER_SSRC,
                encoder: g711::PCMU.encoder(),
            }
        }

        fn apply(&mut self, command: ChannelCommand) {
            self.core.apply(command, &mut self.fx);
        }

        /// The peer's next packet with `payload_type` and `payload`.
        fn peer_packet(&mut self, payload_type: u8, timestamp: u32, payload: &[u8]) -> Vec<u8> {
            let header =
                RtpHeader { marker: false, payload_type, sequence: self.peer_seq, timestamp, ssrc: self.peer_ssrc };
            self.peer_seq = self.peer_seq.wrapping_add(1);
            let mut packet = Vec::new();
            header.write_to_vec(&[], payload, &mut packet).unwrap();
            packet
        }

        /// The peer's next audio frame.
        fn audio_packet(&mut self, frame: &AudioFrame) -> Vec<u8> {
            let mut payload = Vec::new();
            self.encoder.encode(frame, &mut payload);
            let timestamp = self.peer_ts;
            self.peer_ts = self.peer_ts.wrapping_add(160);
            self.peer_packet(0, timestamp, &payload)
        }

        /// One tick: `packets` arrive, then input, then output. Returns the packet sent.
        fn tick(&mut self, packets: &[Vec<u8>]) -> Option<Vec<u8>> {
            for packet in packets {
                self.core.on_rtp(packet, addr(PEER), self.now, None);
            }
            self.core.pull_input(self.now, &mut self.fx);
            let sent = self.core.produce(None, &mut self.fx).map(|_| self.core.packet().to_vec());
            self.now += Duration::from_millis(20);
            sent
        }

        fn events(&mut self) -> Vec<MediaEvent> {
            std::mem::take(&mut self.fx.events)
        }
    }

    fn tone_frames(frequency: u32, count: usize) -> Vec<AudioFrame> {
        let mut generator = ToneGenerator::new(ToneSpec::parse(&frequency.to_string()).unwrap());
        (0..count)
            .map(|_| {
                let mut frame = [0; FRAME_SAMPLES];
                generator.fill(&mut frame);
                frame
            })
            .collect()
    }

    fn decoded(packet: &[u8]) -> Vec<i16> {
        let mut pcm = Vec::new();
        g711::PCMU.decoder().decode(RtpPacket::parse(packet).unwrap().payload(), &mut pcm);
        pcm
    }

    fn level(samples: &[i16], frequency: u32) -> f64 {
        let mut filter = Goertzel::new(f64::from(frequency), 8000);
        filter.feed(samples);
        filter.amplitude()
    }

    #[test]
    fn silence_until_told_otherwise_with_our_own_rtp_header() {
        let mut h = Harness::new(Some(negotiated("0 101")));
        let first = RtpPacket::parse(&h.tick(&[]).unwrap()).unwrap().header();
        let second = RtpPacket::parse(&h.tick(&[]).unwrap()).unwrap().header();
        assert!(first.marker && !second.marker);
        assert_eq!(second.sequence, first.sequence.wrapping_add(1));
        assert_eq!(second.timestamp, first.timestamp.wrapping_add(160));
        assert_ne!(first.ssrc, PEER_SSRC);
        assert!(decoded(&h.tick(&[]).unwrap()).iter().all(|&s| s == 0));
        assert_eq!(h.core.outgoing, Some(addr(PEER)), "sent to the SDP address");
    }

    #[test]
    fn echo_sends_the_peer_its_own_audio_across_a_sequence_wrap() {
        let mut h = Harness::new(Some(negotiated("0 101")));
        h.apply(ChannelCommand::Echo(true));
        let mut heard = Vec::new();
        for frame in tone_frames(440, 100) {
            let packet = h.audio_packet(&frame);
            heard.extend(decoded(&h.tick(&[packet]).unwrap()));
        }
        assert!(h.peer_seq < 100, "the peer's sequence numbers wrapped");
        let tail = &heard[heard.len() - 4000..];
        assert!(level(tail, 440) > 3000.0, "{}", level(tail, 440));
        assert!(h.core.jitter.stats().lost <= 2, "{:?}", h.core.jitter.stats());
    }

    #[test]
    fn a_new_ssrc_takes_over() {
        let mut h = Harness::new(Some(negotiated("0")));
        h.apply(ChannelCommand::Echo(true));
        for frame in tone_frames(440, 20) {
            let packet = h.audio_packet(&frame);
            h.tick(&[packet]);
        }
        // The phone restarts its stream: new SSRC, sequence and timestamps.
        h.peer_ssrc = 0xbeef;
        h.peer_seq = 7;
        h.peer_ts = 123_456_789;
        let mut heard = Vec::new();
        for frame in tone_frames(1000, 40) {
            let packet = h.audio_packet(&frame);
            heard.extend(decoded(&h.tick(&[packet]).unwrap()));
        }
        let tail = &heard[heard.len() - 1600..];
        assert!(level(tail, 1000) > 3000.0 && level(tail, 440) < 300.0);
    }

    #[test]
    fn rfc4733_digits_are_reported_once_and_other_payload_types_dropped() {
        let mut h = Harness::new(Some(negotiated("0 101")));
        let event_ts = 5000;
        let mut packets = Vec::new();
        for (end, duration) in [(false, 160), (false, 320), (true, 480), (true, 480), (true, 480)] {
            let payload = TelephoneEvent { event: 11, end, volume: 10, duration }.to_bytes();
            packets.push(h.peer_packet(101, event_ts, &payload));
        }
        // A duplicate, then comfort noise and an unknown payload type.
        packets.push(packets[0].clone());
        let cn = h.peer_packet(13, 0, &[40]);
        let unknown = h.peer_packet(96, 0, &[1, 2, 3]);
        for packet in packets.iter().chain([&cn, &unknown]) {
            h.tick(std::slice::from_ref(packet));
        }
        let events = h.events();
        assert_eq!(
            events,
            [
                MediaEvent::DtmfBegin { channel: ChannelId(7), digit: '#' },
                MediaEvent::DtmfEnd { channel: ChannelId(7), digit: '#', duration: Duration::from_millis(60) },
            ]
        );
        assert_eq!(h.core.jitter.buffered_frames(), 0, "nothing but events reached the jitter buffer");
    }

    #[test]
    fn in_band_digits_when_no_telephone_event_was_negotiated() {
        let mut h = Harness::new(Some(negotiated("0")));
        let (low, high) = crate::dtmf::Digit::from_char('4').unwrap().frequencies();
        let mut generator = ToneGenerator::new(ToneSpec::parse(&format!("!{low}+{high}/200,0")).unwrap());
        for _ in 0..30 {
            let mut frame = [0; FRAME_SAMPLES];
            generator.fill(&mut frame);
            let packet = h.audio_packet(&frame);
            h.tick(&[packet]);
        }
        let events = h.events();
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0], MediaEvent::DtmfBegin { channel: ChannelId(7), digit: '4' });
        assert!(matches!(events[1], MediaEvent::DtmfEnd { digit: '4', .. }));
    }

    #[test]
    fn playback_comes_before_echo_and_reports_start_and_finish() {
        let mut h = Harness::new(Some(negotiated("0")));
        h.apply(ChannelCommand::Echo(true));
        let prompt: Vec<i16> = tone_frames(1000, 10).concat();
        h.apply(ChannelCommand::Play(Playback::new("p1", vec![Source::Samples(prompt.into())])));
        h.apply(ChannelCommand::Play(Playback::new("p2", Vec::new())));
        let mut heard = Vec::new();
        for frame in tone_frames(440, 10) {
            let packet = h.audio_packet(&frame);
            heard.extend(decoded(&h.tick(&[packet]).unwrap()));
        }
        assert!(level(&heard, 1000) > 3000.0 && level(&heard, 440) < 300.0);
        let playback = |name: &str| name.to_owned();
        let channel = ChannelId(7);
        assert_eq!(
            h.events(),
            [
                MediaEvent::PlaybackStarted { channel, playback: playback("p1") },
                MediaEvent::PlaybackFinished { channel, playback: playback("p1") },
                MediaEvent::PlaybackStarted { channel, playback: playback("p2") },
            ]
        );
        h.tick(&[]);
        assert_eq!(h.events(), [MediaEvent::PlaybackFinished { channel, playback: playback("p2") }]);
    }

    #[test]
    fn music_on_hold_replaces_echo_and_gives_way_to_playbacks() {
        let mut h = Harness::new(Some(negotiated("0")));
        h.apply(ChannelCommand::Echo(true));
        h.apply(ChannelCommand::StartMoh(MohPlayer::of_tracks(vec![tone_frames(1000, 5).concat()])));
        let mut heard = Vec::new();
        for frame in tone_frames(440, 10) {
            let packet = h.audio_packet(&frame);
            heard.extend(decoded(&h.tick(&[packet]).unwrap()));
        }
        assert!(level(&heard, 1000) > 3000.0 && level(&heard, 440) < 300.0, "the music, looped, not the echo");
        h.apply(ChannelCommand::Play(Playback::new("p", vec![Source::Samples(tone_frames(2000, 3).concat().into())])));
        let played: Vec<i16> = (0..3).flat_map(|_| decoded(&h.tick(&[]).unwrap())).collect();
        assert!(level(&played, 2000) > 3000.0 && level(&played, 1000) < 300.0, "the playback first");
        assert!(level(&decoded(&h.tick(&[]).unwrap()), 1000) > 3000.0, "then the music again");
        h.apply(ChannelCommand::StopMoh);
        let mut heard = Vec::new();
        for frame in tone_frames(440, 10) {
            let packet = h.audio_packet(&frame);
            heard.extend(decoded(&h.tick(&[packet]).unwrap()));
        }
        assert!(level(&heard[800..], 440) > 3000.0 && level(&heard, 1000) < 300.0, "the echo once stopped");
    }

    #[test]
    fn stopping_a_playback_by_id_playing_or_queued() {
        let mut h = Harness::new(Some(negotiated("0")));
        let forever = || Source::Tone(ToneGenerator::new(ToneSpec::parse("440").unwrap()));
        h.apply(ChannelCommand::Play(Playback::new("a", vec![forever()])));
        h.apply(ChannelCommand::Play(Playback::new("b", vec![forever()])));
        h.apply(ChannelCommand::Play(Playback::new("c", vec![forever()])));
        h.apply(ChannelCommand::StopPlayback("b".to_owned()));
        h.apply(ChannelCommand::ControlPlayback("a".to_owned(), PlaybackControl::Pause));
        assert!(decoded(&h.tick(&[]).unwrap()).iter().all(|&s| s == 0), "paused");
        h.apply(ChannelCommand::StopPlayback("a".to_owned()));
        let ids: Vec<String> = h
            .events()
            .into_iter()
            .map(|event| match event {
                MediaEvent::PlaybackStarted { playback, .. } => format!("+{playback}"),
                MediaEvent::PlaybackFinished { playback, .. } => format!("-{playback}"),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ids, ["+a", "-b", "-a", "+c"]);
    }

    #[test]
    fn sending_digits_replaces_audio_with_events() {
        let mut h = Harness::new(Some(negotiated("0 101")));
        let ms = Duration::from_millis;
        h.apply(ChannelCommand::SendDtmf(DtmfRequest::new("5", ms(100), ms(100)).unwrap()));
        let packets: Vec<RtpHeader> =
            (0..12).map(|_| RtpPacket::parse(&h.tick(&[]).unwrap()).unwrap().header()).collect();
        let types: Vec<u8> = packets.iter().map(|header| header.payload_type).collect();
        assert_eq!(types, [101, 101, 101, 101, 101, 101, 101, 0, 0, 0, 0, 0]);
        assert!(packets[0].marker && !packets[1].marker);
        assert!(packets[7].marker, "audio after an event starts a talkspurt");
        assert!(packets[..7].iter().all(|header| header.timestamp == packets[0].timestamp));
        assert_eq!(packets[7].timestamp, packets[0].timestamp.wrapping_add(7 * 160));
    }

    #[test]
    fn an_unanswered_offer_sends_nothing_until_the_answer() {
        let mut h = Harness::new(None);
        let packet = h.audio_packet(&[0; FRAME_SAMPLES]);
        assert!(h.core.on_rtp(&packet, addr(PEER), h.now, None), "accepted, if not played");
        assert_eq!(h.tick(&[]), None);
        h.apply(ChannelCommand::SetMedia(negotiated("8")));
        let sent = h.tick(&[]).unwrap();
        assert_eq!(RtpPacket::parse(&sent).unwrap().payload_type(), 8);
    }

    #[test]
    fn a_stranger_does_not_hijack_the_stream() {
        let mut h = Harness::new(Some(negotiated("0")));
        let packet = h.audio_packet(&[0; FRAME_SAMPLES]);
        assert!(h.core.on_rtp(&packet, addr("203.0.113.5:6000"), h.now, None), "the first source latches");
        let packet = h.audio_packet(&[0; FRAME_SAMPLES]);
        assert!(!h.core.on_rtp(&packet, addr("203.0.113.66:6000"), h.now, None));
        assert!(!h.core.on_rtp(b"junk", addr("203.0.113.5:6000"), h.now, None));
        h.tick(&[]);
        assert_eq!(h.core.outgoing, Some(addr("203.0.113.5:6000")));
    }

    #[test]
    fn mutes_silence_each_direction() {
        let mut h = Harness::new(Some(negotiated("0")));
        h.apply(ChannelCommand::Echo(true));
        h.apply(ChannelCommand::Mute { inbound: true, outbound: false });
        let mut heard = Vec::new();
        for frame in tone_frames(440, 10) {
            let packet = h.audio_packet(&frame);
            heard.extend(decoded(&h.tick(&[packet]).unwrap()));
        }
        assert!(heard.iter().all(|&s| s == 0), "inbound muted: nothing to echo");
        h.apply(ChannelCommand::Mute { inbound: false, outbound: true });
        h.apply(ChannelCommand::Play(Playback::new("p", vec![Source::Samples(tone_frames(440, 5).concat().into())])));
        assert!(decoded(&h.tick(&[]).unwrap()).iter().all(|&s| s == 0), "outbound muted");
    }

    /// Channel `a` (a [`Harness`]) passing its peer's packets to channel `b`, or decoding
    /// them for `b` to encode, tick by tick, as a two-party bridge does.
    struct PassingPair {
        a: Harness,
        b: ChannelCore,
        b_fx: Effects,
        lane: PassLane,
    }

    impl PassingPair {
        fn new() -> PassingPair {
            let a = Harness::new(Some(negotiated("0 101")));
            // B's peer numbers telephone-events 96.
            let b = ChannelCore::new(
                ChannelId(8),
                addr("198.51.100.1:10002"),
                Some(negotiated_at(5000, "0 96", 96)),
                "b".to_owned(),
                a.now,
            );
            PassingPair { a, b, b_fx: Effects::default(), lane: PassLane::default() }
        }

        /// Starts or stops passing, as the clock would.
        fn set_passing(&mut self, on: bool) {
            let (profile_a, profile_b) = (self.a.core.pass_profile(), self.b.pass_profile());
            assert!(profile_a.is_some() && profile_b.is_some());
            self.a.core.set_forwarding(profile_b.filter(|_| on));
            self.b.set_forwarding(profile_a.filter(|_| on));
        }

        /// One tick: A's peer's `packet` arrives; returns what B sends its peer.
        fn tick(&mut self, packet: &[u8]) -> Vec<Vec<u8>> {
            let now = self.a.now;
            self.lane.clear();
            assert!(self.a.core.on_rtp(packet, addr(PEER), now, Some(&mut self.lane)));
            self.a.core.pull_input(now, &mut self.a.fx);
            self.b.pull_input(now, &mut self.b_fx);
            let mut sent = Vec::new();
            if self.b.is_forwarding() {
                self.b.forward(Some(&self.lane), |packet, to| {
                    assert_eq!(to, addr("192.0.2.9:5000"));
                    sent.push(packet.to_vec());
                    true
                });
            } else if self.b.produce(Some(self.a.core.input()), &mut self.b_fx).is_some() {
                sent.push(self.b.packet().to_vec());
            }
            self.a.now += Duration::from_millis(20);
            sent
        }
    }

    /// A PCMU payload that is not silent, and that no decode and encode gives back: µ-law
    /// 0x7f is -0, which encodes as 0xff.
    fn unmixable_payload(n: usize) -> Vec<u8> {
        (0..160).map(|i| if i % 2 == 0 { 0x7f } else { 0x10 + ((n + i) % 0x60) as u8 }).collect()
    }

    #[test]
    fn passing_through_keeps_one_continuous_stream_across_mode_switches() {
        let mut pair = PassingPair::new();
        let mut sent = Vec::new();
        let mut modes = Vec::new();
        for (n, passing) in [false; 10].into_iter().chain([true; 10]).chain([false; 10]).enumerate() {
            if n == 10 || n == 20 {
                pair.set_passing(passing);
            }
            let timestamp = pair.a.peer_ts;
            pair.a.peer_ts = pair.a.peer_ts.wrapping_add(160);
            let packet = pair.a.peer_packet(0, timestamp, &unmixable_payload(n));
            let decoded_before = pair.a.core.codec_figures().0;
            let out = pair.tick(&packet);
            assert_eq!(out.len(), 1, "tick {n}");
            if passing {
                assert_eq!(pair.a.core.codec_figures().0, decoded_before, "nothing decoded while passing");
            }
            sent.extend(out);
            modes.push(passing);
        }
        let headers: Vec<RtpHeader> = sent.iter().map(|packet| RtpPacket::parse(packet).unwrap().header()).collect();
        for (n, pair) in headers.windows(2).enumerate() {
            assert_eq!(pair[1].ssrc, pair[0].ssrc, "one source");
            assert_eq!(pair[1].sequence, pair[0].sequence.wrapping_add(1), "sequence at {n}");
            assert_eq!(pair[1].timestamp, pair[0].timestamp.wrapping_add(160), "timestamp at {n}");
        }
        let marked: Vec<usize> = headers.iter().enumerate().filter(|(_, h)| h.marker).map(|(n, _)| n).collect();
        assert_eq!(marked, [0, 10, 20], "a talkspurt begins at each switch");
        for (n, packet) in sent.iter().enumerate() {
            let payload = RtpPacket::parse(packet).unwrap().payload().to_vec();
            assert_eq!(payload == unmixable_payload(n), modes[n], "payload of tick {n} passed untouched or not");
        }
        assert_eq!(pair.b.codec_figures().1, 10, "packets passed");
    }

    #[test]
    fn events_pass_with_their_payload_type_mapped_and_are_still_reported() {
        let mut pair = PassingPair::new();
        pair.set_passing(true);
        let event = |end, duration| TelephoneEvent { event: 5, end, volume: 10, duration }.to_bytes();
        let mut sent = Vec::new();
        for (marker, end, duration) in [(true, false, 160), (false, false, 320), (false, true, 480)] {
            let mut packet = pair.a.peer_packet(101, 9000, &event(end, duration));
            packet[1] |= u8::from(marker) << 7;
            sent.extend(pair.tick(&packet));
        }
        let headers: Vec<RtpHeader> = sent.iter().map(|packet| RtpPacket::parse(packet).unwrap().header()).collect();
        assert!(headers.iter().all(|header| header.payload_type == 96), "{headers:?}");
        assert_eq!(headers.iter().map(|header| header.marker).collect::<Vec<_>>(), [true, false, false]);
        assert!(headers.iter().all(|header| header.timestamp == headers[0].timestamp), "one event, one timestamp");
        assert_eq!(RtpPacket::parse(&sent[2]).unwrap().payload(), event(true, 480));
        assert_eq!(
            pair.a.events(),
            [
                MediaEvent::DtmfBegin { channel: ChannelId(7), digit: '5' },
                MediaEvent::DtmfEnd { channel: ChannelId(7), digit: '5', duration: Duration::from_millis(60) },
            ]
        );
    }

    #[test]
    fn anything_that_needs_the_audio_keeps_a_channel_from_passing() {
        let mut h = Harness::new(Some(negotiated("0 101")));
        assert!(h.core.pass_profile().is_some());
        let ms = Duration::from_millis;
        // Each with what lifts it; the digits end on their own.
        let blockers = [
            (ChannelCommand::Echo(true), Some(ChannelCommand::Echo(false))),
            (
                ChannelCommand::Mute { inbound: true, outbound: false },
                Some(ChannelCommand::Mute { inbound: false, outbound: false }),
            ),
            (
                ChannelCommand::Mute { inbound: false, outbound: true },
                Some(ChannelCommand::Mute { inbound: false, outbound: false }),
            ),
            (ChannelCommand::StartMoh(MohPlayer::of_tracks(vec![vec![1; 160]])), Some(ChannelCommand::StopMoh)),
            (
                ChannelCommand::Play(Playback::new("p", vec![Source::Samples(vec![1; 1600].into())])),
                Some(ChannelCommand::StopPlayback("p".to_owned())),
            ),
            (ChannelCommand::SendDtmf(DtmfRequest::new("1", ms(100), ms(100)).unwrap()), None),
        ];
        for (n, (blocker, lift)) in blockers.into_iter().enumerate() {
            h.apply(blocker);
            assert!(h.core.pass_profile().is_none(), "blocker {n}");
            match lift {
                Some(lift) => h.apply(lift),
                None => (0..20).for_each(|_| drop(h.tick(&[]))),
            }
            assert!(h.core.pass_profile().is_some(), "after blocker {n}");
        }
        assert!(Harness::new(Some(negotiated("0"))).core.pass_profile().is_none(), "no telephone-event");
        assert!(Harness::new(None).core.pass_profile().is_none(), "no codec yet");
    }

    #[test]
    fn a_hold_sends_nothing() {
        let body = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
                    m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
        let mut h = Harness::new(Some(negotiate(&SessionDescription::parse(body).unwrap()).unwrap()));
        assert_eq!(h.tick(&[]), None);
    }

    #[test]
    fn rtcp_reports_go_to_the_port_above() {
        let mut h = Harness::new(Some(negotiated("0")));
        for frame in tone_frames(440, 300) {
            let packet = h.audio_packet(&frame);
            h.tick(&[packet]);
            if let Some((report, destination)) = h.core.report(h.now, SystemTime::now()) {
                assert_eq!(destination, addr("192.0.2.9:4001"));
                let first = rtcp::parse_compound(report).next().unwrap().unwrap();
                let RtcpPacket::SenderReport(sr) = first else { panic!("{first:?}") };
                assert_eq!(sr.report_blocks().next().map(|block| block.ssrc), Some(PEER_SSRC));
                return;
            }
        }
        panic!("no report in 6 s");
    }
}
