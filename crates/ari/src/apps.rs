//! The Stasis applications registered by `/events` sockets: which socket owns each, what it
//! subscribed to and its event filter; and the delivery of events to them. A second socket
//! registering an application takes it over and the first gets `ApplicationReplaced`
//! (Asterisk 22). Each socket has a bounded queue; a socket that falls that far behind is
//! dropped, as Asterisk drops a consumer that misses its write timeout.

use crate::events::{ApplicationReplaced, Envelope, Event, Timestamp};
use crate::models::Application;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::mpsc;

/// Frames a socket may have queued before it counts as too slow.
const QUEUE: usize = 1024;

/// Identifies one `/events` connection.
pub type SocketId = u64;

/// An event source an application can subscribe to (`channel:`, `bridge:`, `endpoint:`,
/// `deviceState:` URIs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventSource {
    /// `channel:<id>`.
    Channel(String),
    /// `bridge:<id>`.
    Bridge(String),
    /// `endpoint:<tech>[/<resource>]`.
    Endpoint(String),
    /// `deviceState:<name>`.
    DeviceState(String),
}

impl EventSource {
    /// Parses an event source URI; `None` when the scheme is not one of the four.
    pub fn parse(uri: &str) -> Option<EventSource> {
        let (scheme, id) = uri.split_once(':')?;
        let id = id.to_owned();
        match scheme {
            "channel" => Some(EventSource::Channel(id)),
            "bridge" => Some(EventSource::Bridge(id)),
            "endpoint" => Some(EventSource::Endpoint(id)),
            "deviceState" => Some(EventSource::DeviceState(id)),
            _ => None,
        }
    }
}

/// One registered application.
struct App {
    socket: SocketId,
    sender: mpsc::Sender<String>,
    subscribe_all: bool,
    sources: BTreeSet<EventSource>,
    allowed: Vec<Value>,
    disallowed: Vec<Value>,
}

impl App {
    fn model(&self, name: &str) -> Application {
        let ids = |pick: fn(&EventSource) -> Option<&String>| self.sources.iter().filter_map(pick).cloned().collect();
        Application {
            name: name.to_owned(),
            channel_ids: ids(|s| if let EventSource::Channel(id) = s { Some(id) } else { None }),
            bridge_ids: ids(|s| if let EventSource::Bridge(id) = s { Some(id) } else { None }),
            endpoint_ids: ids(|s| if let EventSource::Endpoint(id) = s { Some(id) } else { None }),
            device_names: ids(|s| if let EventSource::DeviceState(id) = s { Some(id) } else { None }),
            events_allowed: self.allowed.clone(),
            events_disallowed: self.disallowed.clone(),
        }
    }

    /// Whether the filter lets events of `type_name` through (Asterisk: allowed, when not
    /// empty, must name it; disallowed must not).
    fn passes(&self, type_name: &str) -> bool {
        let names = |list: &[Value]| list.iter().any(|f| f.get("type").and_then(Value::as_str) == Some(type_name));
        (self.allowed.is_empty() || names(&self.allowed)) && !names(&self.disallowed)
    }
}

/// The receiving end of a registration: the socket writes what arrives here.
#[derive(Debug)]
pub struct Connection {
    /// The socket's id (to unregister it).
    pub id: SocketId,
    /// Text frames to send.
    pub frames: mpsc::Receiver<String>,
}

/// A refused subscription change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionError {
    /// No such application.
    NoApplication,
    /// The application is not subscribed to that source.
    NotSubscribed,
}

/// Every registered application, by name.
pub struct Applications {
    asterisk_id: String,
    apps: Mutex<BTreeMap<String, App>>,
    next_socket: AtomicU64,
}

impl Applications {
    /// An empty registry for node `asterisk_id`.
    pub fn new(asterisk_id: String) -> Applications {
        Applications { asterisk_id, apps: Mutex::new(BTreeMap::new()), next_socket: AtomicU64::new(1) }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, App>> {
        self.apps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `names` to a new socket; the sockets that had them get `ApplicationReplaced`.
    pub fn register(&self, names: &[String], subscribe_all: bool) -> Connection {
        let id = self.next_socket.fetch_add(1, Ordering::Relaxed);
        let (sender, frames) = mpsc::channel(QUEUE);
        let mut apps = self.lock();
        for name in names {
            let app = App {
                socket: id,
                sender: sender.clone(),
                subscribe_all,
                sources: BTreeSet::new(),
                allowed: Vec::new(),
                disallowed: Vec::new(),
            };
            if let Some(old) = apps.insert(name.clone(), app) {
                let event = Event::ApplicationReplaced(ApplicationReplaced {});
                // Best effort: a full or closed old socket simply misses it.
                let _ = old.sender.try_send(self.frame(&event, name, Timestamp::now()));
            }
        }
        Connection { id, frames }
    }

    /// Unregisters what socket `id` still owns (it closed).
    pub fn unregister(&self, id: SocketId) {
        self.lock().retain(|_, app| app.socket != id);
    }

    /// Every application, as the `Application` model.
    pub fn list(&self) -> Vec<Application> {
        self.lock().iter().map(|(name, app)| app.model(name)).collect()
    }

    /// Application `name`.
    pub fn get(&self, name: &str) -> Option<Application> {
        self.lock().get(name).map(|app| app.model(name))
    }

    /// Adds `sources` to `name`'s subscriptions.
    pub fn subscribe(&self, name: &str, sources: Vec<EventSource>) -> Result<Application, SubscriptionError> {
        let mut apps = self.lock();
        let app = apps.get_mut(name).ok_or(SubscriptionError::NoApplication)?;
        app.sources.extend(sources);
        Ok(app.model(name))
    }

    /// Removes `sources` from `name`'s subscriptions (all or nothing).
    pub fn unsubscribe(&self, name: &str, sources: &[EventSource]) -> Result<Application, SubscriptionError> {
        let mut apps = self.lock();
        let app = apps.get_mut(name).ok_or(SubscriptionError::NoApplication)?;
        if !sources.iter().all(|s| app.sources.contains(s)) {
            return Err(SubscriptionError::NotSubscribed);
        }
        for source in sources {
            app.sources.remove(source);
        }
        Ok(app.model(name))
    }

    /// Replaces `name`'s event filter.
    pub fn set_filter(&self, name: &str, allowed: Vec<Value>, disallowed: Vec<Value>) -> Option<Application> {
        let mut apps = self.lock();
        let app = apps.get_mut(name)?;
        app.allowed = allowed;
        app.disallowed = disallowed;
        Some(app.model(name))
    }

    /// Whether application `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.lock().contains_key(name)
    }

    /// Subscribes `name` to `source` when it is registered (the subscriptions Asterisk makes
    /// by itself: a channel in the application, a bridge one of its channels entered).
    pub fn follow(&self, name: &str, source: EventSource) {
        if let Some(app) = self.lock().get_mut(name) {
            app.sources.insert(source);
        }
    }

    /// Unsubscribes `name` from `source`, if it was.
    pub fn unfollow(&self, name: &str, source: &EventSource) {
        if let Some(app) = self.lock().get_mut(name) {
            app.sources.remove(source);
        }
    }

    /// Drops every subscription to `source` (it is gone).
    pub fn forget(&self, source: &EventSource) {
        for app in self.lock().values_mut() {
            app.sources.remove(source);
        }
    }

    /// Sends `event` to application `name`; `false` if it is not registered.
    pub fn send_to(&self, name: &str, event: &Event) -> bool {
        self.send_to_at(name, event, Timestamp::now())
    }

    /// Sends `event`, which happened `at`, to application `name`; `false` if it is not
    /// registered.
    pub fn send_to_at(&self, name: &str, event: &Event, at: Timestamp) -> bool {
        let mut apps = self.lock();
        let Some(app) = apps.get(name) else { return false };
        if app.passes(event.type_name()) {
            self.deliver(&mut apps, name, event, at);
        }
        true
    }

    /// Sends `event` to every application subscribed to `source` (or to everything).
    pub fn publish(&self, source: &EventSource, event: &Event) {
        self.publish_any(std::slice::from_ref(source), event, Timestamp::now());
    }

    /// Sends `event`, which happened `at`, once to every application subscribed to one of
    /// `sources` (or to everything).
    pub fn publish_any(&self, sources: &[EventSource], event: &Event, at: Timestamp) {
        let mut apps = self.lock();
        let names: Vec<String> = apps
            .iter()
            .filter(|(_, app)| {
                (app.subscribe_all || sources.iter().any(|s| app.sources.contains(s))) && app.passes(event.type_name())
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in names {
            self.deliver(&mut apps, &name, event, at);
        }
    }

    /// Queues `event` for `name`; a socket whose queue is full loses all its applications.
    fn deliver(&self, apps: &mut BTreeMap<String, App>, name: &str, event: &Event, at: Timestamp) {
        let Some(app) = apps.get(name) else { return };
        if app.sender.try_send(self.frame(event, name, at)).is_err() {
            let socket = app.socket;
            tracing::warn!(application = name, "ARI events socket too slow or gone: dropping it");
            apps.retain(|_, app| app.socket != socket);
        }
    }

    fn frame(&self, event: &Event, application: &str, timestamp: Timestamp) -> String {
        Envelope { event, timestamp, asterisk_id: &self.asterisk_id, application }.frame()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{ChannelUserevent, DeviceStateChanged};
    use crate::models::DeviceState;

    fn user_event(name: &str) -> Event {
        Event::ChannelUserevent(ChannelUserevent {
            eventname: name.into(),
            channel: None,
            bridge: None,
            endpoint: None,
            userevent: serde_json::Map::new(),
        })
    }

    fn frame_type(frame: &str) -> (String, String) {
        let value: Value = serde_json::from_str(frame).expect("json");
        (
            value["type"].as_str().unwrap_or_default().to_owned(),
            value["application"].as_str().unwrap_or_default().to_owned(),
        )
    }

    #[test]
    fn a_second_socket_takes_the_application_over() {
        let apps = Applications::new("02:00:00:00:00:01".into());
        let mut first = apps.register(&["a".into(), "b".into()], false);
        let mut second = apps.register(&["a".into()], false);
        assert_eq!(frame_type(&first.frames.try_recv().expect("replaced")), ("ApplicationReplaced".into(), "a".into()));
        assert!(apps.send_to("a", &user_event("x")));
        assert_eq!(frame_type(&second.frames.try_recv().expect("event")).0, "ChannelUserevent");
        assert!(first.frames.try_recv().is_err(), "the old socket no longer gets a's events");
        // The first socket still owns b; closing it unregisters b but not a.
        apps.unregister(first.id);
        assert!(apps.get("b").is_none() && apps.get("a").is_some());
    }

    #[test]
    fn filters_and_subscriptions_decide_who_gets_what() {
        let apps = Applications::new("id".into());
        let mut conn = apps.register(&["a".into()], false);
        let changed = Event::DeviceStateChanged(DeviceStateChanged {
            device_state: DeviceState { name: "Custom:x".into(), state: "INUSE".into() },
        });
        let source = EventSource::DeviceState("Custom:x".into());
        apps.publish(&source, &changed);
        assert!(conn.frames.try_recv().is_err(), "not subscribed");
        apps.subscribe("a", vec![source.clone()]).expect("subscribe");
        apps.publish(&source, &changed);
        assert_eq!(frame_type(&conn.frames.try_recv().expect("event")).0, "DeviceStateChanged");
        apps.set_filter("a", vec![], vec![serde_json::json!({"type": "DeviceStateChanged"})]).expect("filter");
        apps.publish(&source, &changed);
        assert!(conn.frames.try_recv().is_err(), "filtered out");
        assert_eq!(
            apps.unsubscribe("a", &[EventSource::Bridge("b".into())]).unwrap_err(),
            SubscriptionError::NotSubscribed
        );
        assert_eq!(apps.subscribe("zz", vec![]).unwrap_err(), SubscriptionError::NoApplication);
    }

    #[test]
    fn a_socket_that_falls_behind_is_dropped() {
        let apps = Applications::new("id".into());
        let conn = apps.register(&["a".into()], false);
        for _ in 0..QUEUE {
            apps.send_to("a", &user_event("x"));
        }
        assert!(apps.get("a").is_some());
        apps.send_to("a", &user_event("overflow"));
        assert!(apps.get("a").is_none());
        drop(conn);
    }
}
