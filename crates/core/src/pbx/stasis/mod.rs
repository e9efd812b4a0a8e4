//! Stasis: channels and bridges that applications control (ARI's objects), with the PBX as
//! each channel's far end. A channel is one SIP leg ending on a media channel of the engine;
//! one task owns it (`channel`), takes commands and tells what happens as [`StasisEvent`]s.
//! Bridges join those media channels (`bridge`). Channels come from calls to a custom app
//! (`program` runs its steps, `Stasis()` hands the channel over) or are placed here
//! (`originate`).
//!
//! This module owns the objects and their rules; the ARI crate maps HTTP to these calls
//! and these events to `events.json`.

mod bridge;
mod bridge_record;
mod channel;
mod command;
mod dialled;
mod event;
mod media_only;
mod model;
mod originate;
mod program;
mod recording;

pub use bridge::uuid_like as fresh_id;
pub use command::{ChannelOp, HangupCause, MuteDirection, OpReply};
pub use event::{EventKind, StasisEvent};
pub use media_only::{ExternalCodec, ExternalMedia, Snoop};
pub use model::{
    BridgeSnapshot, BridgeType, ChannelSnapshot, Location, Party, PlaybackSnapshot, PlaybackState, RecordingSnapshot,
    RecordingState, Target,
};
pub use originate::{Originate, OriginateTarget};
pub(super) use program::{run_program, Entry};

use super::{Pbx, Shared};
use bridge_record::RecorderCommand;
use command::Command;
use sb_media::engine::{MediaBridge, PlaybackControl, RecordingControl};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

/// Which Stasis applications exist (have a socket): the ARI layer answers.
pub trait AppDirectory: Send + Sync {
    /// Whether application `name` is registered.
    fn is_registered(&self, name: &str) -> bool;
}

/// Why a Stasis request failed; the ARI layer maps each to Asterisk's status.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StasisError {
    /// No such channel.
    #[error("Channel not found")]
    ChannelNotFound,
    /// The channel is not controlled by an application.
    #[error("Channel not in Stasis application")]
    NotInStasis,
    /// The channel's state does not allow it (answered already, not answered yet...).
    #[error("{0}")]
    InvalidState(String),
    /// No such bridge.
    #[error("Bridge not found")]
    BridgeNotFound,
    /// No such playback.
    #[error("Playback not found")]
    PlaybackNotFound,
    /// No such live recording.
    #[error("Recording not found")]
    RecordingNotFound,
    /// An id the application chose is taken.
    #[error("{0}")]
    Conflict(String),
    /// A parameter that cannot be used (unknown endpoint, bad media URI, ...).
    #[error("{0}")]
    BadRequest(String),
    /// The request is understood but cannot be done (an unknown format...).
    #[error("{0}")]
    Unprocessable(String),
    /// A recording of that name exists, or the name is not allowed.
    #[error("{0}")]
    RecordingRefused(String),
    /// No application of that name is registered.
    #[error("{0}")]
    NoApplication(String),
    /// Media or storage failed.
    #[error("{0}")]
    Failed(String),
}

/// A channel's entry: what readers see, where its task takes commands, and its media
/// channel's id (for snoop channels to tap).
struct ChannelEntry {
    snapshot: Arc<Mutex<ChannelSnapshot>>,
    commands: mpsc::Sender<Command>,
    media: sb_media::engine::ChannelId,
}

/// A bridge's entry.
struct BridgeEntry {
    snapshot: BridgeSnapshot,
    media: Arc<MediaBridge>,
}

/// Every Stasis object of the node, and the event queue.
pub(crate) struct Registry {
    channels: Mutex<HashMap<String, ChannelEntry>>,
    bridges: Mutex<HashMap<String, BridgeEntry>>,
    playbacks: Mutex<HashMap<String, PlaybackSnapshot>>,
    recordings: Mutex<HashMap<String, RecordingSnapshot>>,
    /// The snoop channels on each channel, by the channel snooped on.
    snoops: Mutex<HashMap<String, Vec<String>>>,
    /// The tasks of bridge recordings, by recording name.
    bridge_recorders: Mutex<HashMap<String, mpsc::Sender<bridge_record::RecorderCommand>>>,
    events: mpsc::UnboundedSender<StasisEvent>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<StasisEvent>>>,
    /// Whether someone took the receiver: until then events are not queued.
    listening: AtomicBool,
    apps: RwLock<Option<Arc<dyn AppDirectory>>>,
}

impl Default for Registry {
    fn default() -> Self {
        let (events, receiver) = mpsc::unbounded_channel();
        Registry {
            channels: Mutex::default(),
            bridges: Mutex::default(),
            playbacks: Mutex::default(),
            recordings: Mutex::default(),
            bridge_recorders: Mutex::default(),
            snoops: Mutex::default(),
            events,
            receiver: Mutex::new(Some(receiver)),
            listening: AtomicBool::new(false),
            apps: RwLock::new(None),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    /// Queues `kind` for the ARI layer, if it listens.
    pub(crate) fn publish(&self, kind: EventKind) {
        if self.listening.load(Ordering::Acquire) {
            let _ = self.events.send(StasisEvent::now(kind));
        }
    }

    /// Whether application `name` is registered.
    pub(crate) fn app_registered(&self, name: &str) -> bool {
        self.apps.read().unwrap_or_else(PoisonError::into_inner).as_ref().is_some_and(|apps| apps.is_registered(name))
    }

    /// Adds a channel; fails when its id is taken.
    fn insert_channel(
        &self,
        snapshot: Arc<Mutex<ChannelSnapshot>>,
        commands: mpsc::Sender<Command>,
        media: sb_media::engine::ChannelId,
    ) -> Result<(), StasisError> {
        let id = lock(&snapshot).id.clone();
        let mut channels = lock(&self.channels);
        if channels.contains_key(&id) {
            return Err(StasisError::Conflict("Channel with given unique ID already exists".into()));
        }
        channels.insert(id, ChannelEntry { snapshot, commands, media });
        Ok(())
    }

    /// The media channel of channel `id`.
    fn media_of(&self, id: &str) -> Option<sb_media::engine::ChannelId> {
        lock(&self.channels).get(id).map(|entry| entry.media)
    }

    /// Whether a channel has this id.
    fn channel_exists(&self, id: &str) -> bool {
        lock(&self.channels).contains_key(id)
    }

    /// Refuses a channel placed into application `app` when no such application is
    /// registered, or with an id (`id`, the application's choice) in use.
    fn check_new_channel(&self, app: &str, id: Option<&str>) -> Result<(), StasisError> {
        if !self.app_registered(app) {
            return Err(StasisError::BadRequest(format!("Application {app} not registered")));
        }
        if id.is_some_and(|id| self.channel_exists(id)) {
            return Err(StasisError::Conflict("Channel with given unique ID already exists".into()));
        }
        Ok(())
    }

    fn remove_channel(&self, id: &str) {
        lock(&self.channels).remove(id);
    }

    fn playback_exists(&self, id: &str) -> bool {
        lock(&self.playbacks).contains_key(id)
    }

    fn set_playback(&self, playback: PlaybackSnapshot) {
        lock(&self.playbacks).insert(playback.id.clone(), playback);
    }

    fn playback_state(&self, id: &str, state: PlaybackState) -> Option<PlaybackSnapshot> {
        let mut playbacks = lock(&self.playbacks);
        let playback = playbacks.get_mut(id)?;
        playback.state = state;
        let snapshot = playback.clone();
        if matches!(state, PlaybackState::Done | PlaybackState::Cancelled | PlaybackState::Failed) {
            playbacks.remove(id);
        }
        Some(snapshot)
    }

    fn set_recording(&self, recording: RecordingSnapshot) {
        let mut recordings = lock(&self.recordings);
        if matches!(recording.state, RecordingState::Queued | RecordingState::Recording | RecordingState::Paused) {
            recordings.insert(recording.name.clone(), recording);
        } else {
            recordings.remove(&recording.name);
        }
    }

    fn recording(&self, name: &str) -> Option<RecordingSnapshot> {
        lock(&self.recordings).get(name).cloned()
    }
}

/// Stasis as the ARI layer drives it; cheap to clone.
#[derive(Clone)]
pub struct Stasis {
    shared: Arc<Shared>,
}

impl Pbx {
    /// The channels and bridges applications control.
    pub fn stasis(&self) -> Stasis {
        Stasis { shared: Arc::clone(&self.shared) }
    }
}

impl Stasis {
    fn registry(&self) -> &Registry {
        &self.shared.stasis
    }

    /// The node's event queue, once: its reader must keep reading.
    pub fn take_events(&self) -> Option<mpsc::UnboundedReceiver<StasisEvent>> {
        let receiver = lock(&self.registry().receiver).take();
        if receiver.is_some() {
            self.registry().listening.store(true, Ordering::Release);
        }
        receiver
    }

    /// Tells Stasis which applications exist.
    pub fn set_apps(&self, apps: Arc<dyn AppDirectory>) {
        *self.registry().apps.write().unwrap_or_else(PoisonError::into_inner) = Some(apps);
    }

    /// Every channel, oldest first.
    pub fn channels(&self) -> Vec<ChannelSnapshot> {
        let mut all: Vec<ChannelSnapshot> =
            lock(&self.registry().channels).values().map(|entry| lock(&entry.snapshot).clone()).collect();
        all.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// Channel `id`.
    pub fn channel(&self, id: &str) -> Option<ChannelSnapshot> {
        lock(&self.registry().channels).get(id).map(|entry| lock(&entry.snapshot).clone())
    }

    /// Runs `op` on channel `id` (its task answers once done or refused).
    pub async fn command(&self, id: &str, op: ChannelOp) -> Result<OpReply, StasisError> {
        let commands = lock(&self.registry().channels).get(id).map(|entry| entry.commands.clone());
        let commands = commands.ok_or(StasisError::ChannelNotFound)?;
        let (reply, answer) = oneshot::channel();
        commands.send(Command { op, reply }).await.map_err(|_| StasisError::ChannelNotFound)?;
        answer.await.map_err(|_| StasisError::ChannelNotFound)?
    }

    /// The variable `name` of channel `id`.
    pub fn variable(&self, id: &str, name: &str) -> Result<Option<String>, StasisError> {
        let channels = lock(&self.registry().channels);
        let entry = channels.get(id).ok_or(StasisError::ChannelNotFound)?;
        let snapshot = lock(&entry.snapshot);
        Ok(channel::builtin_variable(&snapshot, name).or_else(|| snapshot.variables.get(name).cloned()))
    }

    /// Sets variable `name` of channel `id` (an empty value unsets it).
    pub fn set_variable(&self, id: &str, name: &str, value: &str) -> Result<(), StasisError> {
        let snapshot = {
            let channels = lock(&self.registry().channels);
            let entry = channels.get(id).ok_or(StasisError::ChannelNotFound)?;
            let mut snapshot = lock(&entry.snapshot);
            if value.is_empty() {
                snapshot.variables.remove(name);
            } else {
                snapshot.variables.insert(name.to_owned(), value.to_owned());
            }
            snapshot.clone()
        };
        self.registry().publish(EventKind::ChannelVarset {
            channel: snapshot,
            variable: name.to_owned(),
            value: value.to_owned(),
        });
        Ok(())
    }

    /// Places a channel (ARI's originate and create).
    pub async fn originate(&self, request: Originate) -> Result<ChannelSnapshot, StasisError> {
        originate::start(&self.shared, request).await
    }

    /// Playback `id`, while it plays or waits.
    pub fn playback(&self, id: &str) -> Option<PlaybackSnapshot> {
        lock(&self.registry().playbacks).get(id).cloned()
    }

    /// Stops playback `id`.
    pub async fn stop_playback(&self, id: &str) -> Result<(), StasisError> {
        let playback = self.playback(id).ok_or(StasisError::PlaybackNotFound)?;
        match &playback.target {
            Target::Channel(channel) => self.command(channel, ChannelOp::StopPlayback(id.to_owned())).await.map(|_| ()),
            Target::Bridge(bridge) => {
                self.bridge_media(bridge)?.stop_playback(id);
                Ok(())
            }
        }
    }

    /// Controls playback `id`; only a playing (or paused) one can be.
    pub async fn control_playback(&self, id: &str, control: PlaybackControl) -> Result<(), StasisError> {
        let playback = self.playback(id).ok_or(StasisError::PlaybackNotFound)?;
        if playback.state == PlaybackState::Queued {
            return Err(StasisError::InvalidState("Playback not in a controllable state".into()));
        }
        let state = match control {
            PlaybackControl::Pause => Some(PlaybackState::Paused),
            PlaybackControl::Unpause => Some(PlaybackState::Playing),
            _ => None,
        };
        match &playback.target {
            Target::Channel(channel) => {
                self.command(channel, ChannelOp::ControlPlayback(id.to_owned(), control)).await?;
            }
            Target::Bridge(bridge) => self.bridge_media(bridge)?.control_playback(id, control),
        }
        if let Some(state) = state {
            self.registry().playback_state(id, state);
        }
        Ok(())
    }

    /// Live recording `name`.
    pub fn recording(&self, name: &str) -> Option<RecordingSnapshot> {
        self.registry().recording(name)
    }

    /// Pauses or mutes live recording `name`, or undoes either; only a recording in session
    /// (recording or paused) can be.
    pub async fn control_recording(&self, name: &str, control: RecordingControl) -> Result<(), StasisError> {
        let recording = self.recording(name).ok_or(StasisError::RecordingNotFound)?;
        if !matches!(recording.state, RecordingState::Recording | RecordingState::Paused) {
            return Err(StasisError::Conflict("Recording not in session".into()));
        }
        match &recording.target {
            Target::Channel(channel) => {
                self.command(channel, ChannelOp::ControlRecording(control)).await.map(|_| ())?
            }
            Target::Bridge(_) => self.command_recorder(name, RecorderCommand::Control(control)).await?,
        }
        let state = match control {
            RecordingControl::Pause => RecordingState::Paused,
            RecordingControl::Unpause => RecordingState::Recording,
            RecordingControl::Mute | RecordingControl::Unmute => recording.state,
        };
        self.registry().set_recording(RecordingSnapshot { state, ..recording });
        Ok(())
    }

    /// Stops live recording `name`, keeping the file or not.
    pub async fn stop_recording(&self, name: &str, keep: bool) -> Result<(), StasisError> {
        let recording = self.recording(name).ok_or(StasisError::RecordingNotFound)?;
        match &recording.target {
            Target::Channel(channel) => self.command(channel, ChannelOp::StopRecording { keep }).await.map(|_| ()),
            Target::Bridge(_) => self.command_recorder(name, RecorderCommand::Stop { keep, done: None }).await,
        }
    }
}
