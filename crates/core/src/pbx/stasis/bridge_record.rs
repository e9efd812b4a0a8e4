//! Bridge recordings (ARI's `POST /bridges/{id}/record`), made as Asterisk makes them with
//! its recorder channel: a media channel with no peer joins the bridge and records what it
//! is sent, which is the mix of the members. A task owns that channel: it reports the
//! recording's progress, takes stop, pause and mute, and leaves the bridge once the
//! recording is over. Destroying the bridge stops its recordings first, so that their
//! `RecordingFinished` still reaches the applications following the bridge.

use super::model::{RecordingSnapshot, RecordingState, Target};
use super::{lock, recording, Registry, Stasis, StasisError};
use sb_media::engine::{MediaBridge, MediaChannel, MediaEvent, RecordOptions, RecordSource, RecordingControl};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long destroying a bridge waits for one of its recordings to be finalised.
const FINALISE: Duration = Duration::from_secs(2);

/// What a bridge recording's task is asked.
pub(super) enum RecorderCommand {
    /// Stop, keeping the file or not; `done` hears once the recording is finalised.
    Stop { keep: bool, done: Option<oneshot::Sender<()>> },
    /// Pause, mute, or undo either.
    Control(RecordingControl),
}

impl Stasis {
    /// Starts recording bridge `id` as `options` say.
    pub async fn record_bridge(&self, id: &str, mut options: RecordOptions) -> Result<RecordingSnapshot, StasisError> {
        let registry = self.registry();
        let bridge = lock(&registry.bridges).get(id).map(|entry| Arc::clone(&entry.media));
        let bridge = bridge.ok_or(StasisError::BridgeNotFound)?;
        if registry.recording(&options.name).is_some() {
            return Err(StasisError::Conflict("Recording with the same name already in progress".into()));
        }
        let (media, events) = super::media_only::peerless_media(&self.shared).await?;
        options.source = RecordSource::Sent;
        let snapshot = RecordingSnapshot {
            name: options.name.clone(),
            format: options.format.clone(),
            target: Target::Bridge(id.to_owned()),
            state: RecordingState::Queued,
            duration: None,
            cause: None,
        };
        media.record(options).await.map_err(recording::refusal)?;
        bridge.add(&media);
        registry.set_recording(snapshot.clone());
        let (commands_tx, commands) = mpsc::channel(8);
        lock(&registry.bridge_recorders).insert(snapshot.name.clone(), commands_tx);
        let recorder = Recorder { shared: Arc::clone(&self.shared), bridge, media, snapshot: snapshot.clone() };
        tokio::spawn(recorder.run(events, commands));
        Ok(snapshot)
    }

    /// Sends `command` to bridge recording `name`'s task.
    pub(super) async fn command_recorder(&self, name: &str, command: RecorderCommand) -> Result<(), StasisError> {
        let sender = lock(&self.registry().bridge_recorders).get(name).cloned();
        let sender = sender.ok_or(StasisError::RecordingNotFound)?;
        sender.send(command).await.map_err(|_| StasisError::RecordingNotFound)
    }

    /// Stops every recording of bridge `id`, keeping the files, and waits (a little) until
    /// each is finalised and reported.
    pub(super) async fn stop_bridge_recordings(&self, id: &str) {
        let names: Vec<String> = lock(&self.registry().recordings)
            .values()
            .filter(|r| r.target == Target::Bridge(id.to_owned()))
            .map(|r| r.name.clone())
            .collect();
        for name in names {
            let (done, finalised) = oneshot::channel();
            if self.command_recorder(&name, RecorderCommand::Stop { keep: true, done: Some(done) }).await.is_ok() {
                let _ = tokio::time::timeout(FINALISE, finalised).await;
            }
        }
    }
}

/// A bridge recording's task.
struct Recorder {
    shared: Arc<super::super::Shared>,
    bridge: Arc<MediaBridge>,
    media: MediaChannel,
    snapshot: RecordingSnapshot,
}

impl Recorder {
    async fn run(mut self, mut events: mpsc::Receiver<MediaEvent>, mut commands: mpsc::Receiver<RecorderCommand>) {
        let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
        loop {
            tokio::select! {
                event = events.recv() => {
                    let Some(event) = event else { break };
                    if let Some((kind, over)) = recording::progress(&mut self.snapshot, &event) {
                        self.registry().set_recording(self.snapshot.clone());
                        self.registry().publish(kind);
                        if over {
                            break;
                        }
                    }
                }
                Some(command) = commands.recv() => match command {
                    RecorderCommand::Stop { keep, done } => {
                        self.media.stop_recording(keep);
                        waiting.extend(done);
                    }
                    RecorderCommand::Control(control) => self.media.control_recording(control),
                },
            }
        }
        self.bridge.remove(&self.media);
        lock(&self.registry().bridge_recorders).remove(&self.snapshot.name);
        for done in waiting {
            let _ = done.send(());
        }
    }

    fn registry(&self) -> &Registry {
        &self.shared.stasis
    }
}
