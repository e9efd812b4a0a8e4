//! What Stasis tells ARI, in the order it happens: one queue for the whole node, read by
//! the ARI layer, which turns each into the `events.json` event and picks its recipients.

use super::model::{BridgeSnapshot, ChannelSnapshot, PlaybackSnapshot, RecordingSnapshot};
use time::OffsetDateTime;

/// One event, with when it happened.
#[derive(Debug, Clone)]
pub struct StasisEvent {
    /// When it happened.
    pub at: OffsetDateTime,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// A channel was made (originate, create).
    ChannelCreated {
        /// The channel.
        channel: ChannelSnapshot,
        /// The application that placed it, which follows it from now on.
        app: Option<String>,
    },
    /// A channel entered application `app`.
    StasisStart {
        /// The channel.
        channel: ChannelSnapshot,
        /// The application.
        app: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// A channel left application `app`.
    StasisEnd {
        /// The channel.
        channel: ChannelSnapshot,
        /// The application.
        app: String,
    },
    /// A channel's state changed.
    ChannelStateChange {
        /// The channel.
        channel: ChannelSnapshot,
    },
    /// A hang-up was asked for (by the peer, or by the application when `soft`).
    ChannelHangupRequest {
        /// The channel.
        channel: ChannelSnapshot,
        /// The Q.850 cause.
        cause: u16,
        /// Whether the application asked.
        soft: bool,
    },
    /// A channel is gone.
    ChannelDestroyed {
        /// The channel.
        channel: ChannelSnapshot,
        /// The Q.850 cause.
        cause: u16,
    },
    /// The peer pressed a key.
    ChannelDtmfReceived {
        /// The channel.
        channel: ChannelSnapshot,
        /// The digit.
        digit: char,
        /// How long it was held, in ms.
        duration_ms: u64,
    },
    /// A variable was set.
    ChannelVarset {
        /// The channel.
        channel: ChannelSnapshot,
        /// Its name.
        variable: String,
        /// Its new value.
        value: String,
    },
    /// The peer put the channel on hold (a re-INVITE with `sendonly`/`inactive`).
    ChannelHold {
        /// The channel.
        channel: ChannelSnapshot,
    },
    /// The peer took it off hold.
    ChannelUnhold {
        /// The channel.
        channel: ChannelSnapshot,
    },
    /// The party the channel is connected to changed (it shares a bridge with another).
    ChannelConnectedLine {
        /// The channel, with its new connected party.
        channel: ChannelSnapshot,
    },
    /// An originated or dialled channel progressed (`Dial` event).
    Dial {
        /// The channel being dialled.
        peer: ChannelSnapshot,
        /// `""` while ringing, then `ANSWER`, `BUSY`, `NOANSWER`, `CANCEL`, `CONGESTION`, `CHANUNAVAIL`.
        status: String,
        /// What was dialled (`PJSIP/1002`).
        dialstring: String,
    },
    /// A playback began.
    PlaybackStarted {
        /// The playback.
        playback: PlaybackSnapshot,
    },
    /// A playback ended.
    PlaybackFinished {
        /// The playback.
        playback: PlaybackSnapshot,
    },
    /// A recording began.
    RecordingStarted {
        /// The recording.
        recording: RecordingSnapshot,
    },
    /// A recording ended.
    RecordingFinished {
        /// The recording.
        recording: RecordingSnapshot,
    },
    /// A recording failed.
    RecordingFailed {
        /// The recording.
        recording: RecordingSnapshot,
    },
    /// A bridge was made.
    BridgeCreated {
        /// The bridge.
        bridge: BridgeSnapshot,
    },
    /// A bridge was destroyed.
    BridgeDestroyed {
        /// The bridge.
        bridge: BridgeSnapshot,
    },
    /// A channel joined a bridge.
    ChannelEnteredBridge {
        /// The bridge, with the channel in it.
        bridge: BridgeSnapshot,
        /// The channel.
        channel: ChannelSnapshot,
    },
    /// A channel left a bridge.
    ChannelLeftBridge {
        /// The bridge, without the channel.
        bridge: BridgeSnapshot,
        /// The channel.
        channel: ChannelSnapshot,
    },
}

impl StasisEvent {
    /// `kind`, happening now.
    pub fn now(kind: EventKind) -> StasisEvent {
        StasisEvent { at: OffsetDateTime::now_utc(), kind }
    }
}
