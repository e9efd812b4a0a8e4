//! What ARI shows of the objects Stasis owns: snapshots of channels, bridges, playbacks and
//! live recordings, taken when asked or when an event is raised. The tasks that own the
//! objects keep these up to date; readers clone them.

use crate::events::ChannelState;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A name and number (caller id or connected line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// The display name.
    pub name: String,
    /// The number.
    pub number: String,
}

/// Where a channel is in its "dialplan": Switchboard has none, so this names the number
/// dialled and the application (custom app step) the channel runs, as Asterisk would.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The context: the tenant whose routing took the call.
    pub context: String,
    /// The number dialled.
    pub exten: String,
    /// The step of the custom app, from 1.
    pub priority: i64,
    /// The application running (`Stasis`, `AppDial2`, ...).
    pub app_name: String,
    /// Its argument.
    pub app_data: String,
}

/// A channel as ARI's `Channel` model shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSnapshot {
    /// The unique id (`<unix time>.<n>`, or the id the application chose).
    pub id: String,
    /// The name, as `PJSIP/1001-0000002a`.
    pub name: String,
    /// The SIP Call-ID of its dialog (empty before one exists).
    pub protocol_id: String,
    /// Its state.
    pub state: ChannelState,
    /// Who the channel is from.
    pub caller: Party,
    /// Who it is connected to.
    pub connected: Party,
    /// The account code.
    pub accountcode: String,
    /// Where it is.
    pub dialplan: Location,
    /// When it was made.
    pub created: OffsetDateTime,
    /// The language of its prompts.
    pub language: String,
    /// The tenant it belongs to.
    pub tenant: String,
    /// The Stasis application that controls it, while one does.
    pub app: Option<String>,
    /// The bridge it is in.
    pub bridge: Option<String>,
    /// Its variables.
    pub variables: BTreeMap<String, String>,
}

/// What kind of bridge ARI asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeType {
    /// Members hear each other (`mixing`, and `dtmf_events`, `proxy_media` which are
    /// accepted and mean the same here).
    Mixing,
    /// Members hear only what the bridge plays (`holding`).
    Holding,
}

impl BridgeType {
    /// ARI's `bridge_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            BridgeType::Mixing => "mixing",
            BridgeType::Holding => "holding",
        }
    }
}

/// A bridge as ARI's `Bridge` model shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeSnapshot {
    /// Its id.
    pub id: String,
    /// The kind.
    pub bridge_type: BridgeType,
    /// Who made it (the application, or `Stasis`).
    pub creator: String,
    /// The name given to it.
    pub name: String,
    /// The ids of its channels, in the order they joined.
    pub channels: Vec<String>,
    /// When it was made.
    pub created: OffsetDateTime,
    /// Variables the application set on it.
    pub variables: BTreeMap<String, String>,
}

impl BridgeSnapshot {
    /// The bridging technology Asterisk would report for its members.
    pub fn technology(&self) -> &'static str {
        match (self.bridge_type, self.channels.len()) {
            (BridgeType::Holding, _) => "holding_bridge",
            (BridgeType::Mixing, 0..=2) => "simple_bridge",
            (BridgeType::Mixing, _) => "softmix",
        }
    }
}

/// What a playback or a recording is done on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A channel, by id.
    Channel(String),
    /// A bridge, by id.
    Bridge(String),
}

impl Target {
    /// ARI's `target_uri`: `channel:<id>` or `bridge:<id>`.
    pub fn uri(&self) -> String {
        match self {
            Target::Channel(id) => format!("channel:{id}"),
            Target::Bridge(id) => format!("bridge:{id}"),
        }
    }
}

/// How a playback stands (ARI's `Playback.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaybackState {
    /// Waiting behind another playback.
    Queued,
    /// Playing.
    Playing,
    /// Paused by a control.
    Paused,
    /// Played to its end.
    Done,
    /// Stopped before its end.
    Cancelled,
    /// Could not be played.
    Failed,
}

impl PlaybackState {
    /// ARI's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaybackState::Queued => "queued",
            PlaybackState::Playing => "playing",
            PlaybackState::Paused => "paused",
            PlaybackState::Done => "done",
            PlaybackState::Cancelled => "cancelled",
            PlaybackState::Failed => "failed",
        }
    }
}

/// A playback as ARI's `Playback` model shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybackSnapshot {
    /// Its id.
    pub id: String,
    /// The media URIs, as given (`media_uri` is the first).
    pub media: Vec<String>,
    /// What it plays on.
    pub target: Target,
    /// The language asked for.
    pub language: Option<String>,
    /// How it stands.
    pub state: PlaybackState,
}

/// How a live recording stands (ARI's `LiveRecording.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingState {
    /// Waiting for the beep to end.
    Queued,
    /// Writing.
    Recording,
    /// Paused.
    Paused,
    /// Finished and kept.
    Done,
    /// Failed.
    Failed,
    /// Cancelled (the file is deleted).
    Canceled,
}

impl RecordingState {
    /// ARI's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingState::Queued => "queued",
            RecordingState::Recording => "recording",
            RecordingState::Paused => "paused",
            RecordingState::Done => "done",
            RecordingState::Failed => "failed",
            RecordingState::Canceled => "canceled",
        }
    }
}

/// A live recording as ARI's `LiveRecording` model shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingSnapshot {
    /// Its name.
    pub name: String,
    /// The format (`wav`).
    pub format: String,
    /// What it records.
    pub target: Target,
    /// How it stands.
    pub state: RecordingState,
    /// Its length so far, in whole seconds, once finished.
    pub duration: Option<i64>,
    /// Why it failed.
    pub cause: Option<String>,
}
