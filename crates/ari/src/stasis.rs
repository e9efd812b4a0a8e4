//! The call core's Stasis objects and events as ARI shows them: snapshots to models, core
//! events to `events.json` events with the event sources that decide who gets them, and the
//! pump that delivers the core's queue to the applications in order.

use crate::apps::{Applications, EventSource};
use crate::creators::Creators;
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

/// What an event does to the subscriptions.
enum Follow {
    /// Nothing.
    Nothing,
    /// The application follows the source from this event on (it gets this one).
    From(String, EventSource),
    /// The application follows the source after this event (Asterisk subscribes an
    /// originating application once the channel exists: no `ChannelCreated` for it).
    After(String, EventSource),
    /// The application stops following the channel after this event, unless it placed it
    /// (a channel the dialplan handed over gets no `ChannelDestroyed` after `StasisEnd`).
    EndsUnlessPlaced(String, EventSource),
    /// Nobody follows the source after this event (it is gone).
    Gone(EventSource),
}

/// The ARI event of a core event, who gets it, and what it does to subscriptions.
fn translate(kind: EventKind) -> (Event, Recipients, Follow) {
    use crate::events as e;
    let on_channel = |snapshot: &ChannelSnapshot| Recipients::Sources(vec![EventSource::Channel(snapshot.id.clone())]);
    match kind {
        EventKind::ChannelCreated { channel: snapshot, app } => {
            let to = on_channel(&snapshot);
            let follow = match app {
                Some(app) => Follow::After(app, EventSource::Channel(snapshot.id.clone())),
                None => Follow::Nothing,
            };
            (Event::ChannelCreated(e::ChannelCreated { channel: channel(&snapshot) }), to, follow)
        }
        EventKind::StasisStart { channel: snapshot, app, args } => {
            let follow = Follow::From(app.clone(), EventSource::Channel(snapshot.id.clone()));
            let event = e::StasisStart { args, channel: channel(&snapshot), replace_channel: None };
            (Event::StasisStart(event), Recipients::App(app), follow)
        }
        EventKind::StasisEnd { channel: snapshot, app } => {
            let follow = Follow::EndsUnlessPlaced(app.clone(), EventSource::Channel(snapshot.id.clone()));
            (Event::StasisEnd(e::StasisEnd { channel: channel(&snapshot) }), Recipients::App(app), follow)
        }
        EventKind::ChannelStateChange { channel: snapshot } => {
            let to = on_channel(&snapshot);
            (Event::ChannelStateChange(e::ChannelStateChange { channel: channel(&snapshot) }), to, Follow::Nothing)
        }
        EventKind::ChannelHangupRequest { channel: snapshot, cause, soft } => {
            let to = on_channel(&snapshot);
            // Asterisk 22 reports every hang-up asked over ARI with cause 32 (its soft
            // hang-up's), whatever reason was given; the channel's ChannelDestroyed has the real one.
            let cause = if soft { 32 } else { cause };
            let event = e::ChannelHangupRequest {
                cause: Some(i64::from(cause)),
                tech_cause: None,
                soft: soft.then_some(true),
                channel: channel(&snapshot),
            };
            (Event::ChannelHangupRequest(event), to, Follow::Nothing)
        }
        EventKind::ChannelDestroyed { channel: snapshot, cause } => {
            let source = EventSource::Channel(snapshot.id.clone());
            let event = e::ChannelDestroyed {
                cause: i64::from(cause),
                cause_txt: HangupCause(cause).text().to_owned(),
                tech_cause: None,
                channel: channel(&snapshot),
            };
            (Event::ChannelDestroyed(event), Recipients::Sources(vec![source.clone()]), Follow::Gone(source))
        }
        EventKind::ChannelDtmfReceived { channel: snapshot, digit, duration_ms } => {
            let to = on_channel(&snapshot);
            let event = e::ChannelDtmfReceived {
                digit: digit.to_string(),
                duration_ms: i64::try_from(duration_ms).unwrap_or(i64::MAX),
                channel: channel(&snapshot),
            };
            (Event::ChannelDtmfReceived(event), to, Follow::Nothing)
        }
        EventKind::ChannelVarset { channel: snapshot, variable, value } => {
            let to = on_channel(&snapshot);
            let event = e::ChannelVarset { variable, value, channel: Some(channel(&snapshot)) };
            (Event::ChannelVarset(event), to, Follow::Nothing)
        }
        EventKind::ChannelHold { channel: snapshot } => {
            let to = on_channel(&snapshot);
            (Event::ChannelHold(e::ChannelHold { channel: channel(&snapshot), musicclass: None }), to, Follow::Nothing)
        }
        EventKind::ChannelConnectedLine { channel: snapshot } => {
            let to = on_channel(&snapshot);
            (Event::ChannelConnectedLine(e::ChannelConnectedLine { channel: channel(&snapshot) }), to, Follow::Nothing)
        }
        EventKind::ChannelUnhold { channel: snapshot } => {
            let to = on_channel(&snapshot);
            (Event::ChannelUnhold(e::ChannelUnhold { channel: channel(&snapshot) }), to, Follow::Nothing)
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
            (Event::Dial(event), to, Follow::Nothing)
        }
        EventKind::PlaybackStarted { playback: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::PlaybackStarted(e::PlaybackStarted { playback: playback(&snapshot) }), to, Follow::Nothing)
        }
        EventKind::PlaybackFinished { playback: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::PlaybackFinished(e::PlaybackFinished { playback: playback(&snapshot) }), to, Follow::Nothing)
        }
        EventKind::RecordingStarted { recording: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::RecordingStarted(e::RecordingStarted { recording: recording(&snapshot) }), to, Follow::Nothing)
        }
        EventKind::RecordingFinished { recording: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::RecordingFinished(e::RecordingFinished { recording: recording(&snapshot) }), to, Follow::Nothing)
        }
        EventKind::RecordingFailed { recording: snapshot } => {
            let to = Recipients::Sources(vec![target_source(&snapshot.target)]);
            (Event::RecordingFailed(e::RecordingFailed { recording: recording(&snapshot) }), to, Follow::Nothing)
        }
        EventKind::BridgeCreated { bridge: snapshot } => {
            let to = Recipients::Sources(vec![EventSource::Bridge(snapshot.id.clone())]);
            (Event::BridgeCreated(e::BridgeCreated { bridge: bridge(&snapshot) }), to, Follow::Nothing)
        }
        EventKind::BridgeDestroyed { bridge: snapshot } => {
            let source = EventSource::Bridge(snapshot.id.clone());
            let event = Event::BridgeDestroyed(e::BridgeDestroyed { bridge: bridge(&snapshot) });
            (event, Recipients::Sources(vec![source.clone()]), Follow::Gone(source))
        }
        EventKind::ChannelEnteredBridge { bridge: b, channel: c } => {
            // The channel's application follows the bridge from now on, as Asterisk's does.
            let follow = match c.app.clone() {
                Some(app) => Follow::From(app, EventSource::Bridge(b.id.clone())),
                None => Follow::Nothing,
            };
            let to = Recipients::Sources(vec![EventSource::Bridge(b.id.clone()), EventSource::Channel(c.id.clone())]);
            let event = e::ChannelEnteredBridge { bridge: bridge(&b), channel: Some(channel(&c)) };
            (Event::ChannelEnteredBridge(event), to, follow)
        }
        EventKind::ChannelLeftBridge { bridge: b, channel: c } => {
            let to = Recipients::Sources(vec![EventSource::Bridge(b.id.clone()), EventSource::Channel(c.id.clone())]);
            let event = e::ChannelLeftBridge { bridge: bridge(&b), channel: channel(&c) };
            (Event::ChannelLeftBridge(event), to, Follow::Nothing)
        }
    }
}

/// Delivers the core's events in order, remembering which channels an application placed.
#[derive(Default)]
pub struct Deliverer {
    placed: std::collections::HashSet<(String, String)>,
}

impl Deliverer {
    /// Delivers one core event.
    pub fn deliver(&mut self, apps: &Applications, event: StasisEvent) {
        let at = events::Timestamp(event.at);
        let (event, recipients, follow) = translate(event.kind);
        if let Follow::From(app, source) = &follow {
            apps.follow(app, source.clone());
        }
        match recipients {
            Recipients::App(app) => {
                apps.send_to_at(&app, &event, at);
            }
            Recipients::Sources(sources) => apps.publish_any(&sources, &event, at),
        }
        match follow {
            Follow::Nothing | Follow::From(..) => {}
            Follow::After(app, source) => {
                if let EventSource::Channel(id) = &source {
                    self.placed.insert((app.clone(), id.clone()));
                }
                apps.follow(&app, source);
            }
            Follow::EndsUnlessPlaced(app, source) => {
                let EventSource::Channel(id) = &source else { return };
                if !self.placed.contains(&(app.clone(), id.clone())) {
                    apps.unfollow(&app, &source);
                }
            }
            Follow::Gone(source) => {
                if let EventSource::Channel(id) = &source {
                    self.placed.retain(|(_, placed)| placed != id);
                }
                apps.forget(&source);
            }
        }
    }
}

/// Reads the core's event queue and delivers each event, until the queue or the state closes.
pub async fn pump(state: Weak<dyn StateApps>, mut queue: mpsc::UnboundedReceiver<StasisEvent>) {
    let mut deliverer = Deliverer::default();
    while let Some(event) = queue.recv().await {
        let Some(state) = state.upgrade() else { return };
        state.creators().forget_gone(&event.kind);
        deliverer.deliver(state.applications(), event);
    }
}

/// What the pump needs of the ARI state: its applications, and who made what.
pub trait StateApps: Send + Sync {
    /// The registered applications.
    fn applications(&self) -> &Applications;
    /// The creators of objects, to forget the objects that go.
    fn creators(&self) -> &Creators;
}

/// The applications as the call core asks about them.
pub struct Directory(pub Weak<dyn StateApps>);

impl AppDirectory for Directory {
    fn is_registered(&self, name: &str) -> bool {
        self.0.upgrade().is_some_and(|state| state.applications().contains(name))
    }
}
