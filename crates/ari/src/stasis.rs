//! The call core's Stasis objects and events as ARI shows them: snapshots to models, core
//! events to `events.json` events with the event sources that decide who gets them, and the
//! pump that delivers the core's queue to the applications in order.

use crate::apps::{Applications, EventSource};
use crate::events::{self, Event, Timestamp};
use crate::models::{Bridge, CallerId, Channel, DialplanCep, LiveRecording, Playback};
use sb_core::pbx::{
    AppDirectory, BridgeSnapshot, ChannelSnapshot, EventKind, HangupCause, PlaybackSnapshot, RecordingSnapshot,
    StasisEvent, Target,
};
use std::sync::Weak;
use tokio::sync::mpsc;

/// A channel as ARI's `Channel` model.
pub fn channel(snapshot: &ChannelSnapshot) -> Channel {
    Channel {
        id: snapshot.id.clone(),
        protocol_id: snapshot.protocol_id.clone(),
        name: snapshot.name.clone(),
        state: snapshot.state.as_str().to_owned(),
        caller: CallerId { name: snapshot.caller.name.clone(), number: snapshot.caller.number.clone() },
        connected: CallerId { name: snapshot.connected.name.clone(), number: snapshot.connected.number.clone() },
        accountcode: snapshot.accountcode.clone(),
        dialplan: DialplanCep {
            context: snapshot.dialplan.context.clone(),
            exten: snapshot.dialplan.exten.clone(),
            priority: snapshot.dialplan.priority,
            app_name: snapshot.dialplan.app_name.clone(),
            app_data: snapshot.dialplan.app_data.clone(),
        },
        creationtime: Timestamp(snapshot.created),
        language: snapshot.language.clone(),
        channelvars: None,
        caller_rdnis: None,
        tenantid: None,
    }
}

/// A bridge as ARI's `Bridge` model.
pub fn bridge(snapshot: &BridgeSnapshot) -> Bridge {
    Bridge {
        id: snapshot.id.clone(),
        technology: snapshot.technology().to_owned(),
        bridge_type: snapshot.bridge_type.as_str().to_owned(),
        bridge_class: "stasis".to_owned(),
        creator: snapshot.creator.clone(),
        name: snapshot.name.clone(),
        channels: snapshot.channels.clone(),
        video_mode: Some("none".to_owned()),
        video_source_id: None,
        creationtime: Timestamp(snapshot.created),
        bridgevars: None,
    }
}

/// A playback as ARI's `Playback` model.
pub fn playback(snapshot: &PlaybackSnapshot) -> Playback {
    Playback {
        id: snapshot.id.clone(),
        media_uri: snapshot.media.first().cloned().unwrap_or_default(),
        next_media_uri: snapshot.media.get(1).cloned(),
        target_uri: snapshot.target.uri(),
        language: snapshot.language.clone(),
        state: snapshot.state.as_str().to_owned(),
    }
}

/// A live recording as ARI's `LiveRecording` model.
pub fn recording(snapshot: &RecordingSnapshot) -> LiveRecording {
    LiveRecording {
        name: snapshot.name.clone(),
        format: snapshot.format.clone(),
        target_uri: snapshot.target.uri(),
        state: snapshot.state.as_str().to_owned(),
        duration: snapshot.duration,
        talking_duration: None,
        silence_duration: None,
        cause: snapshot.cause.clone(),
    }
}

fn target_source(target: &Target) -> EventSource {
    match target {
        Target::Channel(id) => EventSource::Channel(id.clone()),
        Target::Bridge(id) => EventSource::Bridge(id.clone()),
    }
}

/// Who gets an event.
enum Recipients {
    /// Only this application (`StasisStart`, `StasisEnd`).
    App(String),
    /// Every application subscribed to one of these sources (or to everything).
    Sources(Vec<EventSource>),
}

/// The ARI event of a core event, who gets it, and the subscriptions it makes or ends:
/// (the event, recipients, subscribe (app, source) before, forget source after).
fn translate(kind: EventKind) -> (Event, Recipients, Option<(String, EventSource)>, Option<EventSource>) {
    use crate::events as e;
    let on_channel = |snapshot: &ChannelSnapshot| Recipients::Sources(vec![EventSource::Channel(snapshot.id.clone())]);
    match kind {
        EventKind::ChannelCreated { channel: snapshot, app } => {
            let to = on_channel(&snapshot);
            let subscribe = app.map(|app| (app, EventSource::Channel(snapshot.id.clone())));
            (Event::ChannelCreated(e::ChannelCreated { channel: channel(&snapshot) }), to, subscribe, None)
        }
        EventKind::StasisStart { channel: snapshot, app, args } => {
            let subscribe = Some((app.clone(), EventSource::Channel(snapshot.id.clone())));
            let event = e::StasisStart { args, channel: channel(&snapshot), replace_channel: None };
            (Event::StasisStart(event), Recipients::App(app), subscribe, None)
        }
        EventKind::StasisEnd { channel: snapshot, app } => {
            (Event::StasisEnd(e::StasisEnd { channel: channel(&snapshot) }), Recipients::App(app), None, None)
        }
        EventKind::ChannelStateChange { channel: snapshot } => {
            let to = on_channel(&snapshot);
            (Event::ChannelStateChange(e::ChannelStateChange { channel: channel(&snapshot) }), to, None, None)
        }
        EventKind::ChannelHangupRequest { channel: snapshot, cause, soft } => {
            let to = on_channel(&snapshot);
            let event = e::ChannelHangupRequest {
                cause: Some(i64::from(cause)),
                tech_cause: None,
                soft: soft.then_some(true),
                channel: channel(&snapshot),
            };
            (Event::ChannelHangupRequest(event), to, None, None)
        }
        EventKind::ChannelDestroyed { channel: snapshot, cause } => {
            let source = EventSource::Channel(snapshot.id.clone());
            let event = e::ChannelDestroyed {
                cause: i64::from(cause),
                cause_txt: HangupCause(cause).text().to_owned(),
                tech_cause: None,
                channel: channel(&snapshot),
            };
            (Event::ChannelDestroyed(event), Recipients::Sources(vec![source.clone()]), None, Some(source))
        }
        EventKind::ChannelDtmfReceived { channel: snapshot, digit, duration_ms } => {
            let to = on_channel(&snapshot);
            let event = e::ChannelDtmfReceived {
                digit: digit.to_string(),
                duration_ms: i64::try_from(duration_ms).unwrap_or(i64::MAX),
                channel: channel(&snapshot),
            };
            (Event::ChannelDtmfReceived(event), to, None, None)
        }
        EventKind::ChannelVarset { channel: snapshot, variable, value } => {
            let to = on_channel(&snapshot);
            let event = e::ChannelVarset { variable, value, channel: Some(channel(&snapshot)) };
            (Event::ChannelVarset(event), to, None, None)
        }
        EventKind::ChannelHold { channel: snapshot } => {
            let to = on_channel(&snapshot);
            (Event::ChannelHold(e::ChannelHold { channel: channel(&snapshot), musicclass: None }), to, None, None)
        }
        EventKind::ChannelUnhold { channel: snapshot } => {
            let to = on_channel(&snapshot);
            (Event::ChannelUnhold(e::ChannelUnhold { channel: channel(&snapshot) }), to, None, None)
        }
        EventKind::Dial { peer, status, dialstring } => {
            let to = on_channel(&peer);
            let event = e::Dial {
                caller: None,
                peer: channel(&peer),
                forward: None,
                forwarded: None,
                dialstring: Some(dialstring),
                dialstatus: status,
            };
            (Event::Dial(event), to, None, None)
        }
        EventKind::PlaybackStarted { playback: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::PlaybackStarted(e::PlaybackStarted { playback: playback(&snapshot) }), to, None, None)
        }
        EventKind::PlaybackFinished { playback: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::PlaybackFinished(e::PlaybackFinished { playback: playback(&snapshot) }), to, None, None)
        }
        EventKind::RecordingStarted { recording: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::RecordingStarted(e::RecordingStarted { recording: recording(&snapshot) }), to, None, None)
        }
        EventKind::RecordingFinished { recording: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::RecordingFinished(e::RecordingFinished { recording: recording(&snapshot) }), to, None, None)
        }
        EventKind::RecordingFailed { recording: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::RecordingFailed(e::RecordingFailed { recording: recording(&snapshot) }), to, None, None)
        }
        EventKind::BridgeCreated { bridge: snapshot } => {
            let to = Recipients::Sources(vec![EventSource::Bridge(snapshot.id.clone())]);
            (Event::BridgeCreated(e::BridgeCreated { bridge: bridge(&snapshot) }), to, None, None)
        }
        EventKind::BridgeDestroyed { bridge: snapshot } => {
            let source = EventSource::Bridge(snapshot.id.clone());
            let event = Event::BridgeDestroyed(e::BridgeDestroyed { bridge: bridge(&snapshot) });
            (event, Recipients::Sources(vec![source.clone()]), None, Some(source))
        }
        EventKind::ChannelEnteredBridge { bridge: b, channel: c } => {
            // The channel's application follows the bridge from now on, as Asterisk's does.
            let subscribe = c.app.clone().map(|app| (app, EventSource::Bridge(b.id.clone())));
            let to = Recipients::Sources(vec![EventSource::Bridge(b.id.clone()), EventSource::Channel(c.id.clone())]);
            let event = e::ChannelEnteredBridge { bridge: bridge(&b), channel: Some(channel(&c)) };
            (Event::ChannelEnteredBridge(event), to, subscribe, None)
        }
        EventKind::ChannelLeftBridge { bridge: b, channel: c } => {
            let to = Recipients::Sources(vec![EventSource::Bridge(b.id.clone()), EventSource::Channel(c.id.clone())]);
            let event = e::ChannelLeftBridge { bridge: bridge(&b), channel: channel(&c) };
            (Event::ChannelLeftBridge(event), to, None, None)
        }
    }
}

/// Delivers one core event.
pub fn deliver(apps: &Applications, event: StasisEvent) {
    let at = events::Timestamp(event.at);
    let (event, recipients, subscribe, forget) = translate(event.kind);
    if let Some((app, source)) = subscribe {
        apps.follow(&app, source);
    }
    match recipients {
        Recipients::App(app) => {
            apps.send_to_at(&app, &event, at);
        }
        Recipients::Sources(sources) => apps.publish_any(&sources, &event, at),
    }
    if let Some(source) = forget {
        apps.forget(&source);
    }
}

/// Reads the core's event queue and delivers each event, until the queue or the state closes.
pub async fn pump(state: Weak<dyn StateApps>, mut queue: mpsc::UnboundedReceiver<StasisEvent>) {
    while let Some(event) = queue.recv().await {
        let Some(state) = state.upgrade() else { return };
        deliver(state.applications(), event);
    }
}

/// What the pump needs of the ARI state: its applications.
pub trait StateApps: Send + Sync {
    /// The registered applications.
    fn applications(&self) -> &Applications;
}

/// The applications as the call core asks about them.
pub struct Directory(pub Weak<dyn StateApps>);

impl AppDirectory for Directory {
    fn is_registered(&self, name: &str) -> bool {
        self.0.upgrade().is_some_and(|state| state.applications().contains(name))
    }
}
