//! The Stasis applications registered by `/events` sockets: which socket owns each, what it
//! subscribed to and its event filter; and the delivery of events to them. A second socket
//! registering an application takes it over and the first gets `ApplicationReplaced`
//! (Asterisk 22). Each socket has a bounded queue; a socket that falls that far behind is
//! dropped, as Asterisk drops a consumer that misses its write timeout.
//!
//! With event replay on (beyond Asterisk, see [`crate::replay`]) every frame to an
//! application carries its `sequence`, and an application whose socket closes or falls
//! behind stays, detached (not registered, not listed), with its subscriptions, numbering and
//! recent frames for the window: a socket registering it again with `replay_since` first
//! gets what it missed, then the live frames, with nothing lost or repeated in between.

use crate::events::{ApplicationReplaced, Envelope, Event, Timestamp};
use crate::models::Application;
use crate::replay::{Journal, ReplayPolicy};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
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

/// Where the time comes from (tests move it by hand).
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The socket an application's frames go to.
struct Link {
    socket: SocketId,
    sender: mpsc::Sender<String>,
}

/// Whether a socket has an application.
enum Presence {
    /// A socket has it: it is registered.
    Attached(Link),
    /// Its socket went at `since` (event replay only): remembered for the window, not registered.
    Detached { since: Instant },
}

/// One application.
struct App {
    presence: Presence,
    subscribe_all: bool,
    sources: BTreeSet<EventSource>,
    allowed: Vec<Value>,
    disallowed: Vec<Value>,
    /// Its numbering and recent frames, with event replay on.
    journal: Option<Journal>,
}

impl App {
    fn new(link: Link, subscribe_all: bool, numbered: bool) -> App {
        App {
            presence: Presence::Attached(link),
            subscribe_all,
            sources: BTreeSet::new(),
            allowed: Vec::new(),
            disallowed: Vec::new(),
            journal: numbered.then(Journal::default),
        }
    }

    /// The socket that has it, if one does.
    fn socket(&self) -> Option<SocketId> {
        match &self.presence {
            Presence::Attached(link) => Some(link.socket),
            Presence::Detached { .. } => None,
        }
    }

    /// Whether it is registered (a socket has it).
    fn registered(&self) -> bool {
        self.socket().is_some()
    }

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

type Registry = BTreeMap<String, App>;

/// Every application, by name.
pub struct Applications {
    asterisk_id: String,
    replay: Option<ReplayPolicy>,
    clock: Clock,
    apps: Mutex<Registry>,
    next_socket: AtomicU64,
    /// Frames delivered so far, to replay several applications' frames in their order.
    delivered: AtomicU64,
}

impl Applications {
    /// An empty registry for node `asterisk_id`, numbering and keeping frames when `replay`
    /// is given.
    pub fn new(asterisk_id: String, replay: Option<ReplayPolicy>) -> Applications {
        Applications {
            asterisk_id,
            replay,
            clock: Arc::new(Instant::now),
            apps: Mutex::new(BTreeMap::new()),
            next_socket: AtomicU64::new(1),
            delivered: AtomicU64::new(0),
        }
    }

    /// The same registry reading the time from `clock`.
    pub fn with_clock(self, clock: Clock) -> Applications {
        Applications { clock, ..self }
    }

    /// The replay policy, when event replay is on.
    pub fn replay(&self) -> Option<&ReplayPolicy> {
        self.replay.as_ref()
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.apps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `names` to a new socket; the sockets that had them get `ApplicationReplaced`.
    pub fn register(&self, names: &[String], subscribe_all: bool) -> Connection {
        self.register_replaying(names, subscribe_all, &BTreeMap::new())
    }

    /// Registers `names` to a new socket, which first gets the kept frames of each
    /// application in `since` numbered after its entry (with event replay on), then the live
    /// ones: both under one lock, so none is lost or repeated. The sockets that had the
    /// applications get `ApplicationReplaced`. With replay on, an application that is still
    /// remembered keeps its subscriptions, filter and numbering.
    pub fn register_replaying(
        &self,
        names: &[String],
        subscribe_all: bool,
        since: &BTreeMap<String, u64>,
    ) -> Connection {
        let id = self.next_socket.fetch_add(1, Ordering::Relaxed);
        let now = (self.clock)();
        let mut apps = self.lock();
        self.expire(&mut apps, now);
        let missed = self.missed(&mut apps, since, now);
        let (sender, frames) = mpsc::channel(QUEUE + missed.len());
        for frame in missed {
            // Cannot fail: the queue was sized for them and nobody else has the sender yet.
            let _ = sender.try_send(frame);
        }
        let remembers = self.replay.is_some();
        for name in names {
            let link = Link { socket: id, sender: sender.clone() };
            let previous = match apps.get_mut(name).filter(|_| remembers) {
                Some(app) => {
                    app.subscribe_all = subscribe_all;
                    Some(std::mem::replace(&mut app.presence, Presence::Attached(link)))
                }
                None => apps.insert(name.clone(), App::new(link, subscribe_all, remembers)).map(|old| old.presence),
            };
            if let Some(Presence::Attached(old)) = previous {
                let event = Event::ApplicationReplaced(ApplicationReplaced {});
                // Best effort: a full or closed old socket simply misses it. It is the old
                // socket's news, not part of the application's numbered stream.
                let _ = old.sender.try_send(self.frame(&event, name, Timestamp::now(), None));
            }
        }
        Connection { id, frames }
    }

    /// The kept frames numbered after `since[app]`, in the order they were delivered.
    fn missed(&self, apps: &mut Registry, since: &BTreeMap<String, u64>, now: Instant) -> Vec<String> {
        let Some(policy) = &self.replay else { return Vec::new() };
        let mut missed: Vec<(u64, String)> = Vec::new();
        for (name, after) in since {
            if let Some(journal) = apps.get_mut(name).and_then(|app| app.journal.as_mut()) {
                journal.prune(now, policy);
                missed.extend(journal.since(*after).map(|(order, frame)| (order, frame.to_owned())));
            }
        }
        missed.sort_by_key(|(order, _)| *order);
        missed.into_iter().map(|(_, frame)| frame).collect()
    }

    /// Forgets the detached applications whose window is over.
    fn expire(&self, apps: &mut Registry, now: Instant) {
        let Some(policy) = &self.replay else { return };
        apps.retain(|_, app| match app.presence {
            Presence::Attached(_) => true,
            Presence::Detached { since } => policy.keeps(since, now),
        });
    }

    /// Takes the applications of socket `socket` off it: forgotten, or detached with replay on.
    fn drop_socket(&self, apps: &mut Registry, socket: SocketId, now: Instant) {
        match self.replay {
            None => apps.retain(|_, app| app.socket() != Some(socket)),
            Some(_) => {
                for app in apps.values_mut().filter(|app| app.socket() == Some(socket)) {
                    app.presence = Presence::Detached { since: now };
                }
            }
        }
    }

    /// Unregisters what socket `id` still owns (it closed).
    pub fn unregister(&self, id: SocketId) {
        let now = (self.clock)();
        self.drop_socket(&mut self.lock(), id, now);
    }

    /// Every registered application, as the `Application` model.
    pub fn list(&self) -> Vec<Application> {
        self.lock().iter().filter(|(_, app)| app.registered()).map(|(name, app)| app.model(name)).collect()
    }

    /// Application `name`, when registered.
    pub fn get(&self, name: &str) -> Option<Application> {
        self.lock().get(name).filter(|app| app.registered()).map(|app| app.model(name))
    }

    /// Adds `sources` to `name`'s subscriptions.
    pub fn subscribe(&self, name: &str, sources: Vec<EventSource>) -> Result<Application, SubscriptionError> {
        let mut apps = self.lock();
        let app = apps.get_mut(name).filter(|app| app.registered()).ok_or(SubscriptionError::NoApplication)?;
        app.sources.extend(sources);
        Ok(app.model(name))
    }

    /// Removes `sources` from `name`'s subscriptions (all or nothing).
    pub fn unsubscribe(&self, name: &str, sources: &[EventSource]) -> Result<Application, SubscriptionError> {
        let mut apps = self.lock();
        let app = apps.get_mut(name).filter(|app| app.registered()).ok_or(SubscriptionError::NoApplication)?;
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
        let app = apps.get_mut(name).filter(|app| app.registered())?;
        app.allowed = allowed;
        app.disallowed = disallowed;
        Some(app.model(name))
    }

    /// Whether application `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.lock().get(name).is_some_and(App::registered)
    }

    /// Subscribes `name` to `source` when it is known (the subscriptions Asterisk makes by
    /// itself: a channel in the application, a bridge one of its channels entered).
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

    /// Sends `event` to registered application `name`; `false` if it is not registered.
    pub fn send_to(&self, name: &str, event: &Event) -> bool {
        let now = (self.clock)();
        let mut apps = self.lock();
        let Some(app) = apps.get(name).filter(|app| app.registered()) else { return false };
        if app.passes(event.type_name()) {
            self.deliver(&mut apps, name, event, Timestamp::now(), now);
        }
        true
    }

    /// Sends `event`, which happened `at`, to application `name`, also when it is detached
    /// (its journal keeps it); `false` if it is not registered.
    pub fn send_to_at(&self, name: &str, event: &Event, at: Timestamp) -> bool {
        let now = (self.clock)();
        let mut apps = self.lock();
        self.expire(&mut apps, now);
        let Some(app) = apps.get(name) else { return false };
        let registered = app.registered();
        if app.passes(event.type_name()) {
            self.deliver(&mut apps, name, event, at, now);
        }
        registered
    }

    /// Sends `event` to every application subscribed to `source` (or to everything).
    pub fn publish(&self, source: &EventSource, event: &Event) {
        self.publish_any(std::slice::from_ref(source), event, Timestamp::now());
    }

    /// Sends `event`, which happened `at`, once to every application subscribed to one of
    /// `sources` (or to everything).
    pub fn publish_any(&self, sources: &[EventSource], event: &Event, at: Timestamp) {
        let now = (self.clock)();
        let mut apps = self.lock();
        self.expire(&mut apps, now);
        let names: Vec<String> = apps
            .iter()
            .filter(|(_, app)| {
                (app.subscribe_all || sources.iter().any(|s| app.sources.contains(s))) && app.passes(event.type_name())
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in names {
            self.deliver(&mut apps, &name, event, at, now);
        }
    }

    /// Numbers and keeps `event`'s frame for `name` (with replay on) and queues it on its
    /// socket; a socket whose queue is full loses all its applications.
    fn deliver(&self, apps: &mut Registry, name: &str, event: &Event, at: Timestamp, now: Instant) {
        let Some(app) = apps.get_mut(name) else { return };
        let sequence = app.journal.as_mut().map(Journal::advance);
        let frame = self.frame(event, name, at, sequence);
        if let (Some(journal), Some(sequence), Some(policy)) = (app.journal.as_mut(), sequence, &self.replay) {
            let order = self.delivered.fetch_add(1, Ordering::Relaxed);
            journal.keep(sequence, order, frame.clone(), now, policy);
        }
        let Presence::Attached(link) = &app.presence else { return };
        if link.sender.try_send(frame).is_err() {
            let socket = link.socket;
            tracing::warn!(application = name, "ARI events socket too slow or gone: dropping it");
            self.drop_socket(apps, socket, now);
        }
    }

    fn frame(&self, event: &Event, application: &str, timestamp: Timestamp, sequence: Option<u64>) -> String {
        Envelope { event, timestamp, asterisk_id: &self.asterisk_id, application, sequence }.frame()
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
        let apps = Applications::new("02:00:00:00:00:01".into(), None);
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
        let apps = Applications::new("id".into(), None);
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
        let apps = Applications::new("id".into(), None);
        let conn = apps.register(&["a".into()], false);
        for _ in 0..QUEUE {
            apps.send_to("a", &user_event("x"));
        }
        assert!(apps.get("a").is_some());
        apps.send_to("a", &user_event("overflow"));
        assert!(apps.get("a").is_none());
        drop(conn);
    }

    /// A registry with replay over `seconds`, on a clock the test moves.
    fn replaying(seconds: u64) -> (Applications, Arc<Mutex<Instant>>) {
        let time = Arc::new(Mutex::new(Instant::now()));
        let read = Arc::clone(&time);
        let clock: Clock = Arc::new(move || *read.lock().expect("clock"));
        let policy = ReplayPolicy::new(std::time::Duration::from_secs(seconds));
        (Applications::new("id".into(), Some(policy)).with_clock(clock), time)
    }

    fn advance(time: &Mutex<Instant>, seconds: u64) {
        *time.lock().expect("clock") += std::time::Duration::from_secs(seconds);
    }

    /// Every frame queued on `conn`, as (event name, application, sequence).
    fn drain(conn: &mut Connection) -> Vec<(String, String, Option<u64>)> {
        std::iter::from_fn(|| conn.frames.try_recv().ok())
            .map(|frame| {
                let value: Value = serde_json::from_str(&frame).expect("json");
                (
                    value["eventname"]
                        .as_str()
                        .unwrap_or_else(|| value["type"].as_str().unwrap_or_default())
                        .to_owned(),
                    value["application"].as_str().unwrap_or_default().to_owned(),
                    value["sequence"].as_u64(),
                )
            })
            .collect()
    }

    fn seen(events: &[(&str, &str, u64)]) -> Vec<(String, String, Option<u64>)> {
        events.iter().map(|(e, a, n)| ((*e).to_owned(), (*a).to_owned(), Some(*n))).collect()
    }

    #[test]
    fn without_replay_frames_carry_no_sequence_and_a_closed_application_is_forgotten() {
        let apps = Applications::new("id".into(), None);
        let mut conn = apps.register(&["a".into()], false);
        apps.send_to("a", &user_event("x"));
        assert_eq!(drain(&mut conn), vec![("x".to_owned(), "a".to_owned(), None)]);
        apps.unregister(conn.id);
        assert!(!apps.send_to_at("a", &user_event("y"), Timestamp::now()));
        let mut again = apps.register_replaying(&["a".into()], false, &[("a".to_owned(), 0)].into());
        assert!(drain(&mut again).is_empty(), "nothing kept, nothing replayed");
    }

    #[test]
    fn a_socket_that_comes_back_in_the_window_gets_exactly_what_it_missed_then_live_frames() {
        let (apps, time) = replaying(30);
        let mut first = apps.register(&["a".into()], false);
        let source = EventSource::Channel("c1".into());
        apps.follow("a", source.clone());
        for name in ["one", "two"] {
            apps.send_to_at("a", &user_event(name), Timestamp::now());
        }
        assert_eq!(drain(&mut first), seen(&[("one", "a", 1), ("two", "a", 2)]));

        apps.unregister(first.id);
        advance(&time, 10);
        assert!(apps.get("a").is_none() && apps.list().is_empty() && !apps.contains("a"), "not registered");
        assert!(!apps.send_to("a", &user_event("refused")), "user events need a registered application");
        assert!(!apps.send_to_at("a", &user_event("end"), Timestamp::now()), "kept, though not registered");
        apps.publish(&source, &user_event("destroyed"));

        let mut second = apps.register_replaying(&["a".into()], false, &[("a".to_owned(), 1)].into());
        apps.publish(&source, &user_event("live"));
        let expected = seen(&[("two", "a", 2), ("end", "a", 3), ("destroyed", "a", 4), ("live", "a", 5)]);
        assert_eq!(drain(&mut second), expected, "the subscription survived; no gap, no repeat");
        assert!(apps.contains("a"));
    }

    #[test]
    fn after_the_window_a_closed_application_is_forgotten_and_numbering_restarts() {
        let (apps, time) = replaying(30);
        let first = apps.register(&["a".into()], false);
        apps.follow("a", EventSource::Channel("c1".into()));
        apps.send_to_at("a", &user_event("one"), Timestamp::now());
        apps.unregister(first.id);
        advance(&time, 30);
        apps.publish(&EventSource::Channel("c1".into()), &user_event("lost"));
        let mut second = apps.register_replaying(&["a".into()], false, &[("a".to_owned(), 0)].into());
        apps.send_to("a", &user_event("fresh"));
        assert_eq!(drain(&mut second), seen(&[("fresh", "a", 1)]));
        assert!(apps.get("a").is_some_and(|a| a.channel_ids.is_empty()), "subscriptions went with it");
    }

    #[test]
    fn frames_older_than_the_window_are_not_replayed() {
        let (apps, time) = replaying(30);
        let first = apps.register(&["a".into()], false);
        apps.send_to_at("a", &user_event("old"), Timestamp::now());
        advance(&time, 20);
        apps.send_to_at("a", &user_event("recent"), Timestamp::now());
        apps.unregister(first.id);
        advance(&time, 15);
        let mut second = apps.register_replaying(&["a".into()], false, &[("a".to_owned(), 0)].into());
        assert_eq!(drain(&mut second), seen(&[("recent", "a", 2)]), "the gap before 2 shows the loss");
    }

    #[test]
    fn several_applications_are_replayed_in_the_order_they_were_sent() {
        let (apps, _time) = replaying(30);
        let first = apps.register(&["a".into(), "b".into()], false);
        for (app, name) in [("a", "a1"), ("b", "b1"), ("a", "a2"), ("b", "b2")] {
            apps.send_to_at(app, &user_event(name), Timestamp::now());
        }
        apps.unregister(first.id);
        let since = [("a".to_owned(), 0), ("b".to_owned(), 1)].into();
        let mut second = apps.register_replaying(&["a".into(), "b".into()], false, &since);
        assert_eq!(drain(&mut second), seen(&[("a1", "a", 1), ("a2", "a", 2), ("b2", "b", 2)]));
    }

    #[test]
    fn a_takeover_keeps_numbering_and_replays_to_the_new_socket() {
        let (apps, _time) = replaying(30);
        let mut first = apps.register(&["a".into()], false);
        apps.send_to_at("a", &user_event("one"), Timestamp::now());
        let mut second = apps.register_replaying(&["a".into()], false, &[("a".to_owned(), 0)].into());
        let replaced = drain(&mut first);
        assert_eq!(replaced.last(), Some(&("ApplicationReplaced".to_owned(), "a".to_owned(), None)), "unnumbered");
        apps.send_to("a", &user_event("two"));
        assert_eq!(drain(&mut second), seen(&[("one", "a", 1), ("two", "a", 2)]));
    }

    #[test]
    fn with_replay_a_socket_that_falls_behind_is_detached_and_can_catch_up() {
        let (apps, _time) = replaying(30);
        let conn = apps.register(&["a".into()], false);
        for _ in 0..=QUEUE {
            apps.send_to_at("a", &user_event("x"), Timestamp::now());
        }
        assert!(apps.get("a").is_none(), "detached");
        drop(conn);
        let mut again = apps.register_replaying(&["a".into()], false, &[("a".to_owned(), QUEUE as u64)].into());
        let overflowed = u64::try_from(QUEUE).expect("small") + 1;
        assert_eq!(drain(&mut again), seen(&[("x", "a", overflowed)]), "the frame that did not fit");
    }
}
