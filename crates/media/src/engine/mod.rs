//! The terminating media engine: the PBX as a call's far end. A [`MediaChannel`] is an RTP
//! endpoint that plays media and music on hold, records, echoes, sends and hears DTMF and
//! joins [`MediaBridge`]s (mixing or holding, with an announcer); the call task that owns
//! it steers it by method calls and hears back through the [`MediaEvent`] queue it gave
//! when opening it.
//!
//! Every channel and bridge is owned by the media clock, one task paced by a single 20 ms
//! interval (see `clock`): handles only send it commands, so no lock is shared with the
//! audio path, and nothing is allocated, locked or logged per packet. Work that may block
//! (reading prompts, opening and finalising recordings) runs in `spawn_blocking` before
//! or after the clock sees it.
//!
//! - `negotiate`: SDP offer/answer; `channel`: one channel's state; `clock`: the task;
//!   `stream`: our RTP/RTCP sending; `dtmf`: digits both ways; `playback`, `prompts`:
//!   what `play` plays; `moh`: music on hold; `record`: what `record` writes; `bridge`:
//!   what members hear; `passthrough`: two-party bridges passing packets undecoded.

mod bridge;
mod channel;
mod clock;
mod dtmf;
mod moh;
mod negotiate;
mod passthrough;
mod playback;
mod prompts;
mod record;
mod snoop;
mod stream;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

pub use negotiate::{
    answer_sdp, negotiate, offer_sdp, NegotiateError, Negotiated, DEFAULT_PTIME_MS, TELEPHONE_EVENT_PT,
};
pub use playback::{BadPlaybackControl, PlaybackControl, SKIP};
pub use record::{
    BadTerminateOn, RecordOptions, RecordSource, RecordingControl, RecordingEnd, TerminateOn, RECORDING_FORMAT,
};
pub use snoop::TapDirection;

use crate::relay::ports::{self, PortPool};
use crate::relay::{MediaError, MediaStats};
use crate::sdp::SessionDescription;
use crate::sound::library::SoundLibrary;
use crate::sound::moh::{MohClass, MohError, MohLibrary};
use crate::sound::recording::RecordingStore;
use crate::sound::uri::MediaUri;
use bridge::{Bridge, BridgeCommand};
use channel::{Channel, ChannelCommand, ChannelCore};
use clock::{ClockHandle, Command};
use dtmf::DtmfRequest;
use moh::MohStore;
use playback::Playback;
use prompts::Prompts;
use record::Recorder;

/// Where prompts are read from unless [`MediaEngine::with_media_dirs`](crate::relay::MediaEngine::with_media_dirs) says otherwise:
/// the `sounds` folder of the default data directory.
pub const DEFAULT_SOUNDS_DIR: &str = "data/sounds";

/// Where recordings are kept unless [`MediaEngine::with_media_dirs`](crate::relay::MediaEngine::with_media_dirs) says otherwise.
pub const DEFAULT_RECORDINGS_DIR: &str = "data/recordings";

/// Where IVR greetings are read from unless [`MediaEngine::with_greetings_dir`](crate::relay::MediaEngine::with_greetings_dir) says otherwise.
pub const DEFAULT_GREETINGS_DIR: &str = "data/greetings";

/// Where music-on-hold classes are read from unless [`ChannelEngine::with_moh_dir`] says
/// otherwise: where Debian's `asterisk-moh-opsound-wav` installs its `default` class.
pub const DEFAULT_MOH_DIR: &str = "/usr/share/asterisk/moh";

/// A terminating channel's id, unique within its engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(u64);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A bridge's id, unique within its engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BridgeId(u64);

impl fmt::Display for BridgeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What kind of bridge [`ChannelEngine::bridge_of`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BridgeKind {
    /// Each member hears the others, mixed (and the announcer or music over them).
    Mixing,
    /// Members do not hear each other: only the announcer, else the bridge's music on
    /// hold, else silence.
    Holding,
}

/// What a channel or a bridge tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// The peer pressed a key (an RFC 4733 event began, or the tones were detected).
    DtmfBegin {
        /// The channel.
        channel: ChannelId,
        /// `0-9`, `*`, `#` or `A-D`.
        digit: char,
    },
    /// The peer released it.
    DtmfEnd {
        /// The channel.
        channel: ChannelId,
        /// The digit.
        digit: char,
        /// How long it was held.
        duration: Duration,
    },
    /// A playback began to play (at once, or after those queued before it).
    PlaybackStarted {
        /// The channel.
        channel: ChannelId,
        /// The playback id given to [`MediaChannel::play`].
        playback: String,
    },
    /// A playback played to its end, was stopped, or its channel closed.
    PlaybackFinished {
        /// The channel.
        channel: ChannelId,
        /// The playback id.
        playback: String,
    },
    /// A bridge's announcer playback began to play.
    BridgePlaybackStarted {
        /// The bridge.
        bridge: BridgeId,
        /// The playback id given to [`MediaBridge::play`].
        playback: String,
    },
    /// A bridge's announcer playback played to its end, was stopped, or its bridge was
    /// destroyed.
    BridgePlaybackFinished {
        /// The bridge.
        bridge: BridgeId,
        /// The playback id.
        playback: String,
    },
    /// A recording wrote its first frame (after the beep, if one was asked for).
    RecordingStarted {
        /// The channel.
        channel: ChannelId,
        /// The recording's name.
        name: String,
    },
    /// A recording ended and its file is complete (or deleted, if cancelled).
    RecordingFinished {
        /// The channel.
        channel: ChannelId,
        /// The recording's name.
        name: String,
        /// How long it ran (audio written by this recording).
        duration: Duration,
        /// Why it ended.
        cause: RecordingEnd,
    },
    /// A recording could not be written or completed.
    RecordingFailed {
        /// The channel.
        channel: ChannelId,
        /// The recording's name.
        name: String,
        /// What went wrong.
        reason: String,
    },
}

/// A channel's figures, as of the clock's last tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelStats {
    /// RTP and RTCP datagrams taken in from the peer.
    pub packets_received: u64,
    /// RTP and RTCP datagrams sent to it.
    pub packets_sent: u64,
    /// Frames played as lost: their packet never came, or came too late.
    pub frames_lost: u64,
    /// The interarrival jitter of the peer's stream (RFC 3550 §6.4.1).
    pub jitter: Duration,
    /// Frames of the peer's audio decoded. It stands still while the channel's two-party
    /// bridge passes packets through undecoded.
    pub frames_decoded: u64,
    /// RTP packets of the bridge partner passed on to the peer undecoded (two-party
    /// pass-through).
    pub packets_passed: u64,
}

/// What a channel's handle and the clock share: the figures, and whether a recording
/// is under way. Written by the clock once per tick, read by the handle on demand.
#[derive(Debug, Default)]
pub(crate) struct ChannelShared {
    recording: AtomicBool,
    packets_received: AtomicU64,
    packets_sent: AtomicU64,
    frames_lost: AtomicU64,
    jitter_us: AtomicU64,
    frames_decoded: AtomicU64,
    packets_passed: AtomicU64,
}

/// The terminating side of a [`MediaEngine`](crate::relay::MediaEngine): opens channels
/// and bridges on the engine's ports and media clock. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ChannelEngine {
    /// Where sockets bind.
    bind: IpAddr,
    /// The port pairs, shared with the relays.
    pool: Arc<PortPool>,
    clock: Arc<ClockHandle>,
    prompts: Arc<Prompts>,
    moh: Arc<MohStore>,
}

impl ChannelEngine {
    /// The terminating side for sockets on `bind` with ports from `pool`.
    pub(crate) fn new(bind: IpAddr, pool: Arc<PortPool>) -> ChannelEngine {
        ChannelEngine {
            bind,
            pool,
            clock: Arc::new(ClockHandle::new()),
            prompts: Arc::new(Prompts::new(DEFAULT_SOUNDS_DIR, DEFAULT_RECORDINGS_DIR)),
            moh: Arc::new(MohStore::new(MohLibrary::new(DEFAULT_MOH_DIR))),
        }
    }

    /// The same engine, reading prompts from `sounds` and keeping recordings in
    /// `recordings` (with a fresh prompt cache).
    pub(crate) fn with_media_dirs(mut self, sounds: PathBuf, recordings: PathBuf) -> ChannelEngine {
        self.prompts = Arc::new(Prompts::new(sounds, recordings));
        self
    }

    /// The same engine, reading uploaded greetings from `dir`.
    pub(crate) fn with_greetings_dir(mut self, dir: PathBuf) -> ChannelEngine {
        self.prompts = Arc::new(self.prompts.with_greetings(dir));
        self
    }

    /// The same engine (the same clock and ports), reading music-on-hold classes from
    /// `dir`: global ones in `dir/CLASS/`, a tenant's in `dir/tenants/TENANT/CLASS/`.
    /// Channels and bridges opened through it play from there.
    pub fn with_moh_dir(mut self, dir: impl Into<PathBuf>) -> ChannelEngine {
        self.moh = Arc::new(MohStore::new(MohLibrary::new(dir)));
        self
    }

    /// The sounds channels and bridges play `sound:` URIs from (read-only listing: ARI's
    /// `/sounds`).
    pub fn sounds(&self) -> &SoundLibrary {
        self.prompts.library()
    }

    /// Where recordings are written and `recording:` URIs are played from (ARI's stored
    /// recordings).
    pub fn recordings(&self) -> &RecordingStore {
        self.prompts.recordings()
    }

    /// The music-on-hold classes `tenant` can play (its own, then the global ones it does
    /// not shadow), sorted by name; without a tenant, the global ones.
    pub async fn moh_classes(&self, tenant: Option<&str>) -> Result<Vec<MohClass>, MohError> {
        let (store, tenant) = (Arc::clone(&self.moh), tenant.map(str::to_owned));
        tokio::task::spawn_blocking(move || store.library().classes(tenant.as_deref()))
            .await
            .map_err(|_| MohError::EngineStopped)?
    }

    /// Opens a channel answering `offer`: takes the first codec offered that we
    /// implement, and telephone-event if offered. Returns the channel and the SDP answer
    /// to send, which advertises `advertise` with the channel's port. Fails with
    /// [`MediaError::NotAcceptable`] (answer 488) when nothing offered will do.
    pub async fn answer(
        &self,
        offer: &SessionDescription,
        advertise: IpAddr,
        events: mpsc::Sender<MediaEvent>,
    ) -> Result<(MediaChannel, String), MediaError> {
        let negotiated = negotiate(offer)?;
        let channel = self.open(Some(negotiated), advertise, events)?;
        let answer = answer_sdp(&negotiated, channel.advertised, channel.session_id);
        Ok((channel, answer))
    }

    /// Opens a channel for an outgoing call: returns it and the SDP offer to send (PCMU,
    /// PCMA, telephone-event). It sends and plays nothing until
    /// [`MediaChannel::apply_answer`] has the answer.
    pub async fn offer(
        &self,
        advertise: IpAddr,
        events: mpsc::Sender<MediaEvent>,
    ) -> Result<(MediaChannel, String), MediaError> {
        let channel = self.open(None, advertise, events)?;
        let offer = offer_sdp(channel.advertised, channel.session_id);
        Ok((channel, offer))
    }

    /// Creates a mixing bridge with no event queue (see [`ChannelEngine::bridge_of`]);
    /// dropping it destroys the bridge.
    pub fn bridge(&self) -> MediaBridge {
        self.open_bridge(BridgeKind::Mixing, None)
    }

    /// Creates a bridge of `kind`, which reports its announcer's playbacks on `events`;
    /// dropping it destroys the bridge.
    pub fn bridge_of(&self, kind: BridgeKind, events: mpsc::Sender<MediaEvent>) -> MediaBridge {
        self.open_bridge(kind, Some(events))
    }

    /// Hands a new bridge to the clock.
    fn open_bridge(&self, kind: BridgeKind, events: Option<mpsc::Sender<MediaEvent>>) -> MediaBridge {
        let id = BridgeId(self.clock.next_id());
        let commands = self.clock.sender();
        // Queued until the clock starts, with the first channel; a failed send means
        // the clock is gone, and so is any use for the bridge.
        let _ = commands.send(Command::OpenBridge(id, Box::new(Bridge::new(id, kind, events))));
        MediaBridge { id, kind, commands, prompts: Arc::clone(&self.prompts), moh: Arc::clone(&self.moh) }
    }

    /// Adds the terminating side's figures to `stats`.
    pub(crate) fn add_stats(&self, stats: &mut MediaStats) {
        let counters = self.clock.counters();
        stats.active_channels = counters.active_channels.load(Ordering::Relaxed);
        stats.active_bridges = counters.active_bridges.load(Ordering::Relaxed);
        stats.channel_packets_received = counters.packets_received.load(Ordering::Relaxed);
        stats.channel_packets_sent = counters.packets_sent.load(Ordering::Relaxed);
        stats.events_dropped = counters.events_dropped.load(Ordering::Relaxed);
    }

    /// Binds a port pair and hands a new channel to the clock.
    fn open(
        &self,
        negotiated: Option<Negotiated>,
        advertise: IpAddr,
        events: mpsc::Sender<MediaEvent>,
    ) -> Result<MediaChannel, MediaError> {
        self.clock.start()?;
        let pair = ports::bind_pair(&self.pool, self.bind)?;
        let local = pair
            .rtp
            .local_addr()
            .map_err(|source| MediaError::Socket { addr: SocketAddr::new(self.bind, 0), source })?;
        let id = ChannelId(self.clock.next_id());
        let advertised = SocketAddr::new(advertise, local.port());
        let cname = format!("switchboard-{id}@{advertise}");
        let core = ChannelCore::new(id, local, negotiated, cname, Instant::now());
        let shared = Arc::new(ChannelShared::default());
        let channel = Channel::new(pair, core, events, Arc::clone(&shared), Arc::clone(self.clock.counters()));
        let commands = self.clock.sender();
        commands.send(Command::Open(Box::new(channel))).map_err(|_| MediaError::EngineStopped)?;
        Ok(MediaChannel {
            id,
            local,
            advertised,
            session_id: u64::from(rand::random::<u32>()),
            commands,
            shared,
            prompts: Arc::clone(&self.prompts),
            moh: Arc::clone(&self.moh),
        })
    }
}

/// One terminating channel, owned by its call task. Dropping it closes the channel: any
/// recording is finalised, its playbacks end, and its ports return to the pool at the
/// clock's next tick.
#[derive(Debug)]
pub struct MediaChannel {
    id: ChannelId,
    /// The bound RTP address.
    local: SocketAddr,
    /// The RTP address advertised in SDP.
    advertised: SocketAddr,
    /// The `o=` session id of our SDP.
    session_id: u64,
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<ChannelShared>,
    prompts: Arc<Prompts>,
    moh: Arc<MohStore>,
}

impl MediaChannel {
    /// The channel's id, as its events carry it.
    pub fn id(&self) -> ChannelId {
        self.id
    }

    /// The RTP socket's bound address (RTCP is on the port above).
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// Where to send until the peer has sent us something: the RTP address from its SDP
    /// (call again on each re-INVITE). An unspecified address or port 0 (a hold) clears it;
    /// a latched source is kept.
    pub fn set_remote(&self, rtp: SocketAddr) {
        self.command(ChannelCommand::SetRemote(Some(rtp)));
    }

    /// Takes the peer's answer to the offer [`ChannelEngine::offer`] made. Fails with
    /// [`MediaError::NotAcceptable`] when it names no codec we offered.
    pub fn apply_answer(&self, answer: &SessionDescription) -> Result<(), MediaError> {
        let negotiated = negotiate(answer)?;
        self.try_command(ChannelCommand::SetMedia(negotiated))
    }

    /// Plays `uris` one after the other as playback `playback_id`, after any playback
    /// already playing or queued. Files are read first (from cache when they can be);
    /// a URI that cannot be played fails the whole request, and nothing plays.
    pub async fn play(&self, playback_id: &str, uris: &[MediaUri], language: Option<&str>) -> Result<(), MediaError> {
        let playback = load_playback(&self.prompts, playback_id, uris, language).await?;
        self.try_command(ChannelCommand::Play(playback))
    }

    /// Controls playback `playback_id`, if it is the one playing.
    pub fn control_playback(&self, playback_id: &str, control: PlaybackControl) {
        self.command(ChannelCommand::ControlPlayback(playback_id.to_owned(), control));
    }

    /// Stops playback `playback_id`, playing or queued.
    pub fn stop_playback(&self, playback_id: &str) {
        self.command(ChannelCommand::StopPlayback(playback_id.to_owned()));
    }

    /// Plays music on hold to the peer: `class` (default `default`) as `tenant` sees it,
    /// looped, instead of what it would hear otherwise (its bridge, its echo, silence);
    /// playbacks and DTMF still come first. The files are read first (from cache when
    /// they can be), so an unknown class fails here; a class already playing is replaced.
    pub async fn start_moh(&self, tenant: Option<&str>, class: Option<&str>) -> Result<(), MohError> {
        let player = load_moh(&self.moh, tenant, class).await?;
        self.commands
            .send(Command::Channel(self.id, ChannelCommand::StartMoh(player)))
            .map_err(|_| MohError::EngineStopped)
    }

    /// Stops the music on hold, if it plays.
    pub fn stop_moh(&self) {
        self.command(ChannelCommand::StopMoh);
    }

    /// Starts recording what the peer says. The file is created first, so a name in use
    /// (with `ifExists=fail`), a bad name or a format other than WAV fail here; one
    /// recording at a time per channel.
    pub async fn record(&self, options: RecordOptions) -> Result<(), MediaError> {
        if !options.format.eq_ignore_ascii_case(RECORDING_FORMAT) {
            return Err(MediaError::UnsupportedFormat(options.format));
        }
        let claim = RecordingClaim::take(&self.shared.recording).ok_or(MediaError::AlreadyRecording(self.id))?;
        let prompts = Arc::clone(&self.prompts);
        let (name, if_exists) = (options.name.clone(), options.if_exists);
        let writer = tokio::task::spawn_blocking(move || prompts.recordings().create(&name, if_exists))
            .await
            .map_err(|_| MediaError::EngineStopped)??;
        self.try_command(ChannelCommand::Record(Box::new(Recorder::new(&options, writer))))?;
        // From here on the clock clears the flag, once the recording is finalised.
        claim.keep();
        Ok(())
    }

    /// Stops the recording, keeping the file or deleting it.
    pub fn stop_recording(&self, keep: bool) {
        self.command(ChannelCommand::StopRecording { keep });
    }

    /// Pauses or mutes the recording in progress, or undoes either (nothing without one).
    pub fn control_recording(&self, control: RecordingControl) {
        self.command(ChannelCommand::ControlRecording(control));
    }

    /// Sends the peer its own audio back (when nothing is playing and it is in no bridge).
    pub fn set_echo(&self, on: bool) {
        self.command(ChannelCommand::Echo(on));
    }

    /// Sends `digits`, each a tone of `duration`, `between` apart: as RFC 4733 events if
    /// the peer takes them, as tones otherwise. Queued behind digits being sent.
    pub fn send_dtmf(&self, digits: &str, between: Duration, duration: Duration) -> Result<(), MediaError> {
        self.send_dtmf_paced(digits, Duration::ZERO, between, duration, Duration::ZERO)
    }

    /// [`MediaChannel::send_dtmf`], starting `before` after what is queued ahead, and
    /// holding what is queued behind back `after` the last digit (ARI's `sendDTMF`).
    pub fn send_dtmf_paced(
        &self,
        digits: &str,
        before: Duration,
        between: Duration,
        duration: Duration,
        after: Duration,
    ) -> Result<(), MediaError> {
        let request = DtmfRequest::new(digits, between, duration)?.paced(before, after);
        self.try_command(ChannelCommand::SendDtmf(request))
    }

    /// Silences what the peer says (`inbound`: for bridges, echo and recordings alike)
    /// and what it hears (`outbound`).
    pub fn set_mute(&self, inbound: bool, outbound: bool) {
        self.command(ChannelCommand::Mute { inbound, outbound });
    }

    /// The channel's figures as of the clock's last tick.
    pub fn stats(&self) -> ChannelStats {
        let shared = &self.shared;
        ChannelStats {
            packets_received: shared.packets_received.load(Ordering::Relaxed),
            packets_sent: shared.packets_sent.load(Ordering::Relaxed),
            frames_lost: shared.frames_lost.load(Ordering::Relaxed),
            jitter: Duration::from_micros(shared.jitter_us.load(Ordering::Relaxed)),
            frames_decoded: shared.frames_decoded.load(Ordering::Relaxed),
            packets_passed: shared.packets_passed.load(Ordering::Relaxed),
        }
    }

    /// Sends a command; the clock only goes away with the runtime, when nobody is left to
    /// tell.
    fn command(&self, command: ChannelCommand) {
        let _ = self.commands.send(Command::Channel(self.id, command));
    }

    /// Makes this channel (which has no peer of its own) a snoop on channel `target`: it
    /// hears `spy` of it, and what it is sent is whispered `whisper` (see [`TapDirection`]).
    pub fn snoop_on(&self, target: ChannelId, spy: TapDirection, whisper: TapDirection) {
        let _ = self.commands.send(Command::Tap(self.id, snoop::Tap { target, spy, whisper }));
    }

    /// Sends a command, reporting a clock that is gone.
    fn try_command(&self, command: ChannelCommand) -> Result<(), MediaError> {
        self.commands.send(Command::Channel(self.id, command)).map_err(|_| MediaError::EngineStopped)
    }
}

/// Playback `playback_id` of `uris`, its files read off the clock (from cache when they
/// can be); a URI that cannot be played fails the whole request.
async fn load_playback(
    prompts: &Arc<Prompts>,
    playback_id: &str,
    uris: &[MediaUri],
    language: Option<&str>,
) -> Result<Playback, MediaError> {
    let prompts = Arc::clone(prompts);
    let (uris, language) = (uris.to_vec(), language.map(str::to_owned));
    let sources = tokio::task::spawn_blocking(move || prompts.resolve(&uris, language.as_deref()))
        .await
        .map_err(|_| MediaError::EngineStopped)??;
    Ok(Playback::new(playback_id, sources))
}

/// A player of `class` as `tenant` sees it, read off the clock.
async fn load_moh(
    store: &Arc<MohStore>,
    tenant: Option<&str>,
    class: Option<&str>,
) -> Result<moh::MohPlayer, MohError> {
    let (store, tenant, class) = (Arc::clone(store), tenant.map(str::to_owned), class.map(str::to_owned));
    tokio::task::spawn_blocking(move || store.player(tenant.as_deref(), class.as_deref()))
        .await
        .map_err(|_| MohError::EngineStopped)?
}

/// A channel's one recording slot, held while a recording is set up. Released when
/// dropped unless kept, so a failed or cancelled `record` leaves the slot free.
struct RecordingClaim<'a> {
    flag: &'a AtomicBool,
    kept: bool,
}

impl<'a> RecordingClaim<'a> {
    /// Takes the slot, if free.
    fn take(flag: &'a AtomicBool) -> Option<RecordingClaim<'a>> {
        (!flag.swap(true, Ordering::AcqRel)).then_some(RecordingClaim { flag, kept: false })
    }

    /// Leaves the slot taken: a recording now holds it.
    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for RecordingClaim<'_> {
    fn drop(&mut self) {
        if !self.kept {
            self.flag.store(false, Ordering::Release);
        }
    }
}

impl Drop for MediaChannel {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Close(self.id));
    }
}

/// A bridge of channels (see [`BridgeKind`]): a mixing one, where each member hears the
/// sum of the others, or a holding one, where members hear only what the bridge plays. A
/// channel is in at most one bridge; dropping the bridge destroys it and leaves its members
/// unbridged.
#[derive(Debug)]
pub struct MediaBridge {
    id: BridgeId,
    kind: BridgeKind,
    commands: mpsc::UnboundedSender<Command>,
    prompts: Arc<Prompts>,
    moh: Arc<MohStore>,
}

impl MediaBridge {
    /// The bridge's id.
    pub fn id(&self) -> BridgeId {
        self.id
    }

    /// Whether it mixes or holds.
    pub fn kind(&self) -> BridgeKind {
        self.kind
    }

    /// Adds `channel`, taking it out of any other bridge.
    pub fn add(&self, channel: &MediaChannel) {
        let _ = self.commands.send(Command::Join(self.id, channel.id));
    }

    /// Takes `channel` out, if it is in.
    pub fn remove(&self, channel: &MediaChannel) {
        let _ = self.commands.send(Command::Leave(self.id, channel.id));
    }

    /// Plays `uris` to every member as announcer playback `playback_id`, after any
    /// playback already playing or queued: over the mix in a mixing bridge, instead of
    /// the music on hold in a holding one. Decoded once for all members; files are read
    /// first, and a URI that cannot be played fails the whole request.
    pub async fn play(&self, playback_id: &str, uris: &[MediaUri], language: Option<&str>) -> Result<(), MediaError> {
        let playback = load_playback(&self.prompts, playback_id, uris, language).await?;
        self.commands
            .send(Command::Bridge(self.id, BridgeCommand::Play(playback)))
            .map_err(|_| MediaError::EngineStopped)
    }

    /// Controls announcer playback `playback_id`, if it is the one playing.
    pub fn control_playback(&self, playback_id: &str, control: PlaybackControl) {
        self.command(BridgeCommand::ControlPlayback(playback_id.to_owned(), control));
    }

    /// Stops announcer playback `playback_id`, playing or queued.
    pub fn stop_playback(&self, playback_id: &str) {
        self.command(BridgeCommand::StopPlayback(playback_id.to_owned()));
    }

    /// Plays music on hold to every member: `class` (default `default`) as `tenant` sees
    /// it, looped, one player for the whole bridge; over the mix in a mixing bridge. The
    /// files are read first, so an unknown class fails here; a class already playing is
    /// replaced.
    pub async fn start_moh(&self, tenant: Option<&str>, class: Option<&str>) -> Result<(), MohError> {
        let player = load_moh(&self.moh, tenant, class).await?;
        self.commands
            .send(Command::Bridge(self.id, BridgeCommand::StartMoh(player)))
            .map_err(|_| MohError::EngineStopped)
    }

    /// Stops the bridge's music on hold, if it plays.
    pub fn stop_moh(&self) {
        self.command(BridgeCommand::StopMoh);
    }

    /// Sends a command; the clock only goes away with the runtime, when nobody is left to
    /// tell.
    fn command(&self, command: BridgeCommand) {
        let _ = self.commands.send(Command::Bridge(self.id, command));
    }
}

impl Drop for MediaBridge {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::CloseBridge(self.id));
    }
}
