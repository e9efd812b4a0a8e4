//! Stasis bridges: media bridges of the engine that applications make, fill and destroy.
//! Membership is changed by the channels' tasks (each owns its media channel), which call
//! [`joined`] and [`left`] to keep the bridge's snapshot in step and raise the events.

use super::command::ChannelOp;
use super::event::EventKind;
use super::model::{BridgeSnapshot, BridgeType, ChannelSnapshot, PlaybackSnapshot, PlaybackState, Target};
use super::{lock, BridgeEntry, Registry, Stasis, StasisError};
use sb_media::engine::{BridgeKind, MediaEvent};
use sb_media::sound::uri::MediaUri;
use std::sync::{Arc, Weak};
use time::OffsetDateTime;
use tokio::sync::mpsc;

/// Adds `channel` to bridge `bridge`'s members; answers the bridge as it is now.
pub(super) fn joined(registry: &Registry, bridge: &str, channel: &str) -> Option<BridgeSnapshot> {
    let mut bridges = lock(&registry.bridges);
    let entry = bridges.get_mut(bridge)?;
    if !entry.snapshot.channels.iter().any(|c| c == channel) {
        entry.snapshot.channels.push(channel.to_owned());
    }
    Some(entry.snapshot.clone())
}

/// Takes `channel` out of bridge `bridge`'s members; answers the bridge as it is now.
pub(super) fn left(registry: &Registry, bridge: &str, channel: &str) -> Option<BridgeSnapshot> {
    let mut bridges = lock(&registry.bridges);
    let entry = bridges.get_mut(bridge)?;
    entry.snapshot.channels.retain(|c| c != channel);
    Some(entry.snapshot.clone())
}

/// Two channels now alone in a bridge: each one's connected party becomes the other's
/// caller, as Asterisk's bridging updates connected lines. Answers the channels whose
/// connected party changed, the joining one first.
pub(super) fn connect_lines(registry: &Registry, joining: &str, other: &str) -> Vec<ChannelSnapshot> {
    let channels = lock(&registry.channels);
    let (Some(a), Some(b)) = (channels.get(joining), channels.get(other)) else { return Vec::new() };
    let callers = (lock(&a.snapshot).caller.clone(), lock(&b.snapshot).caller.clone());
    let mut changed = Vec::new();
    for (entry, peer_caller) in [(a, callers.1), (b, callers.0)] {
        let mut snapshot = lock(&entry.snapshot);
        if snapshot.connected != peer_caller {
            snapshot.connected = peer_caller;
            changed.push(snapshot.clone());
        }
    }
    changed
}

impl Stasis {
    /// Every bridge.
    pub fn bridges(&self) -> Vec<BridgeSnapshot> {
        let mut all: Vec<BridgeSnapshot> =
            lock(&self.registry().bridges).values().map(|entry| entry.snapshot.clone()).collect();
        all.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// Bridge `id`.
    pub fn bridge(&self, id: &str) -> Option<BridgeSnapshot> {
        lock(&self.registry().bridges).get(id).map(|entry| entry.snapshot.clone())
    }

    /// Makes a bridge (`id` chosen by the application, or a fresh one); an existing bridge
    /// of that id is answered as it is (ARI's `createWithId` on an existing id).
    pub fn create_bridge(&self, id: Option<String>, bridge_type: BridgeType, name: String) -> BridgeSnapshot {
        let id = id.unwrap_or_else(uuid_like);
        if let Some(existing) = self.bridge(&id) {
            return existing;
        }
        let (events_tx, events) = mpsc::channel(64);
        let kind = match bridge_type {
            BridgeType::Mixing => BridgeKind::Mixing,
            BridgeType::Holding => BridgeKind::Holding,
        };
        let media = Arc::new(self.shared.media.channels().bridge_of(kind, events_tx));
        let snapshot = BridgeSnapshot {
            id: id.clone(),
            bridge_type,
            creator: "Stasis".into(),
            name,
            channels: Vec::new(),
            created: OffsetDateTime::now_utc(),
            variables: Default::default(),
        };
        lock(&self.registry().bridges).insert(id, BridgeEntry { snapshot: snapshot.clone(), media });
        self.registry().publish(EventKind::BridgeCreated { bridge: snapshot.clone() });
        tokio::spawn(forward_bridge_events(Arc::downgrade(&self.shared), events));
        snapshot
    }

    /// The variable `name` of bridge `id`.
    pub fn bridge_variable(&self, id: &str, name: &str) -> Result<Option<String>, StasisError> {
        let bridges = lock(&self.registry().bridges);
        let entry = bridges.get(id).ok_or(StasisError::BridgeNotFound)?;
        Ok(entry.snapshot.variables.get(name).cloned())
    }

    /// Sets variable `name` of bridge `id` (an empty value unsets it).
    pub fn set_bridge_variable(&self, id: &str, name: &str, value: &str) -> Result<(), StasisError> {
        let mut bridges = lock(&self.registry().bridges);
        let variables = &mut bridges.get_mut(id).ok_or(StasisError::BridgeNotFound)?.snapshot.variables;
        if value.is_empty() {
            variables.remove(name);
        } else {
            variables.insert(name.to_owned(), value.to_owned());
        }
        Ok(())
    }

    /// Destroys bridge `id`: its channels leave it first.
    pub async fn destroy_bridge(&self, id: &str) -> Result<(), StasisError> {
        let members = self.bridge(id).ok_or(StasisError::BridgeNotFound)?.channels;
        self.stop_bridge_recordings(id).await;
        for channel in members {
            // A channel that hung up meanwhile has left already.
            let _ = self.command(&channel, ChannelOp::LeaveBridge { bridge: id.to_owned() }).await;
        }
        let Some(entry) = lock(&self.registry().bridges).remove(id) else { return Err(StasisError::BridgeNotFound) };
        let playbacks: Vec<String> = lock(&self.registry().playbacks)
            .values()
            .filter(|p| p.target == Target::Bridge(id.to_owned()))
            .map(|p| p.id.clone())
            .collect();
        for playback in playbacks {
            if let Some(playback) = self.registry().playback_state(&playback, PlaybackState::Done) {
                self.registry().publish(EventKind::PlaybackFinished { playback });
            }
        }
        self.registry().publish(EventKind::BridgeDestroyed { bridge: entry.snapshot });
        Ok(())
    }

    /// Checks that every one of `channels` exists and is in an application.
    fn check_members(&self, channels: &[String]) -> Result<(), StasisError> {
        for channel in channels {
            let snapshot = self.channel(channel).ok_or(StasisError::ChannelNotFound)?;
            if snapshot.app.is_none() {
                return Err(StasisError::NotInStasis);
            }
        }
        Ok(())
    }

    /// Adds `channels` to bridge `id` (each leaves any other bridge).
    pub async fn add_to_bridge(&self, id: &str, channels: &[String]) -> Result<(), StasisError> {
        let media = lock(&self.registry().bridges).get(id).map(|e| Arc::clone(&e.media));
        let media = media.ok_or(StasisError::BridgeNotFound)?;
        self.check_members(channels)?;
        for channel in channels {
            let op = ChannelOp::JoinBridge { bridge: id.to_owned(), media: Arc::clone(&media) };
            self.command(channel, op).await?;
        }
        Ok(())
    }

    /// Takes `channels` out of bridge `id`.
    pub async fn remove_from_bridge(&self, id: &str, channels: &[String]) -> Result<(), StasisError> {
        let members = self.bridge(id).ok_or(StasisError::BridgeNotFound)?.channels;
        self.check_members(channels)?;
        if let Some(stranger) = channels.iter().find(|c| !members.contains(c)) {
            return Err(StasisError::InvalidState(format!("Channel {stranger} not in this bridge")));
        }
        for channel in channels {
            self.command(channel, ChannelOp::LeaveBridge { bridge: id.to_owned() }).await?;
        }
        Ok(())
    }

    /// The media of bridge `id`.
    pub(super) fn bridge_media(&self, id: &str) -> Result<Arc<sb_media::engine::MediaBridge>, StasisError> {
        lock(&self.registry().bridges).get(id).map(|e| Arc::clone(&e.media)).ok_or(StasisError::BridgeNotFound)
    }

    /// Plays `media` to bridge `id`'s members as playback `playback_id`.
    pub async fn play_on_bridge(
        &self,
        id: &str,
        playback_id: String,
        media: Vec<(String, MediaUri)>,
        language: Option<String>,
    ) -> Result<PlaybackSnapshot, StasisError> {
        let bridge = self.bridge_media(id)?;
        if self.registry().playback_exists(&playback_id) {
            return Err(StasisError::Conflict("Playback with given ID already exists".into()));
        }
        let (texts, uris): (Vec<String>, Vec<MediaUri>) = media.into_iter().unzip();
        let playback = PlaybackSnapshot {
            id: playback_id.clone(),
            media: texts,
            target: Target::Bridge(id.to_owned()),
            language: language.clone(),
            state: PlaybackState::Queued,
        };
        self.registry().set_playback(playback.clone());
        if let Err(e) = bridge.play(&playback_id, &uris, language.as_deref()).await {
            tracing::info!(error = %e, playback = %playback_id, "bridge playback failed");
            if let Some(failed) = self.registry().playback_state(&playback_id, PlaybackState::Failed) {
                self.registry().publish(EventKind::PlaybackFinished { playback: failed });
            }
        }
        Ok(playback)
    }

    /// Starts (`Some(class)`, or the default class) or stops (`None`) music on hold in bridge `id`.
    pub async fn bridge_moh(&self, id: &str, start: Option<Option<String>>) -> Result<(), StasisError> {
        let bridge = self.bridge_media(id)?;
        match start {
            Some(class) => {
                if let Err(e) = bridge.start_moh(None, class.as_deref()).await {
                    tracing::info!(error = %e, "bridge music on hold not started");
                }
            }
            None => bridge.stop_moh(),
        }
        Ok(())
    }
}

/// Turns a bridge's announcer events into playback events, while the PBX lives.
async fn forward_bridge_events(shared: Weak<super::super::Shared>, mut events: mpsc::Receiver<MediaEvent>) {
    while let Some(event) = events.recv().await {
        let Some(shared) = shared.upgrade() else { return };
        let registry = &shared.stasis;
        match event {
            MediaEvent::BridgePlaybackStarted { playback, .. } => {
                if let Some(playback) = registry.playback_state(&playback, PlaybackState::Playing) {
                    registry.publish(EventKind::PlaybackStarted { playback });
                }
            }
            MediaEvent::BridgePlaybackFinished { playback, .. } => {
                if let Some(playback) = registry.playback_state(&playback, PlaybackState::Done) {
                    registry.publish(EventKind::PlaybackFinished { playback });
                }
            }
            _ => {}
        }
    }
}

/// A random id in the shape of a UUID, as Asterisk gives bridges and playbacks.
pub fn uuid_like() -> String {
    let n = rand::random::<u128>();
    let hex = format!("{n:032x}");
    format!("{}-{}-4{}-{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[16..20], &hex[20..32])
}
