//! The event bus: what happens to channels, published once by the call core and read by
//! everyone who reports it (webhooks now; ARI, CDR and metrics later).
//!
//! The model follows Asterisk's channel lifecycle so that ARI's `ChannelCreated`,
//! `ChannelStateChange`, `ChannelDialplan` and `ChannelDestroyed` and salara's `Newchannel`,
//! `Newexten` and `Hangup` are each a plain mapping of one [`ChannelEventKind`].
//!
//! Two ways to listen: [`EventBus::subscribe`] is a bounded broadcast that drops the oldest
//! events for a reader that falls behind (live views such as ARI's WebSocket), and
//! [`EventBus::subscribe_reliable`] is an unbounded queue that never drops (the webhook
//! outbox writer, which must see every event). With nobody listening, publishing is one
//! atomic load: the event is not even built.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::sync::{broadcast, mpsc};

/// A channel's state, with Asterisk's names (the subset a SIP channel goes through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelState {
    /// Created, nothing sent or received yet (an outgoing leg before its INVITE is answered).
    Down,
    /// An incoming call, not answered yet.
    Ring,
    /// The far end is alerting (180/183 received).
    Ringing,
    /// Answered.
    Up,
}

impl ChannelState {
    /// Asterisk's name, as ARI spells it: `Down`, `Ring`, `Ringing`, `Up`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelState::Down => "Down",
            ChannelState::Ring => "Ring",
            ChannelState::Ringing => "Ringing",
            ChannelState::Up => "Up",
        }
    }

    /// Asterisk's number for the state (`ast_channel_state`), as salara reports it.
    pub fn code(self) -> i32 {
        match self {
            ChannelState::Down => 0,
            ChannelState::Ring => 4,
            ChannelState::Ringing => 5,
            ChannelState::Up => 6,
        }
    }

    /// `ast_state2str` upper-cased, as AMI and salara spell it: `DOWN`, `RING`, `RINGING`, `UP`.
    pub fn as_upper(self) -> &'static str {
        match self {
            ChannelState::Down => "DOWN",
            ChannelState::Ring => "RING",
            ChannelState::Ringing => "RINGING",
            ChannelState::Up => "UP",
        }
    }
}

impl fmt::Display for ChannelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel as it is when an event about it is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSnapshot {
    /// Its name, `PJSIP/1001-0000000a` (as the CDR names it).
    pub name: String,
    /// Its state after the event.
    pub state: ChannelState,
    /// The calling party's number (for the callee's leg too: whom the callee is talking to).
    pub caller_number: String,
    /// The calling party's name, empty when unknown.
    pub caller_name: String,
    /// The number dialled.
    pub exten: String,
}

/// What happened to the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelEventKind {
    /// The channel was made (ARI `ChannelCreated`, AMI/salara `Newchannel`).
    Created,
    /// Its state changed (ARI `ChannelStateChange`, AMI `Newstate`).
    StateChanged,
    /// It entered a dialplan application (ARI `ChannelDialplan`, AMI/salara `Newexten`).
    Dialplan {
        /// The application: `Dial`, `Echo`, `Playback`, `ConfBridge`.
        app: String,
        /// Its argument (`PJSIP/1002,20`, `hello-world`, ...).
        data: String,
    },
    /// It hung up (ARI `ChannelDestroyed`, AMI/salara `Hangup`).
    HungUp {
        /// The Q.850 cause (16 normal clearing, 17 busy, ...).
        cause: u16,
    },
}

/// One event about one channel of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelEvent {
    /// Position in the bus's stream: strictly increasing in the order every reader sees.
    pub seq: u64,
    /// The call's id: its CDR `uniqueid` (= `linkedid`), shared by every channel of the call.
    pub call_id: String,
    /// Position within the call, from 1: the order a reader must keep per call.
    pub call_seq: u32,
    /// The tenant the call belongs to.
    pub tenant: String,
    /// When it happened.
    pub at: OffsetDateTime,
    /// The channel, after the event.
    pub channel: ChannelSnapshot,
    /// What happened.
    pub kind: ChannelEventKind,
}

/// An event without its bus position, as a publisher makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The call's id (its CDR `uniqueid`).
    pub call_id: String,
    /// Position within the call, from 1.
    pub call_seq: u32,
    /// The tenant.
    pub tenant: String,
    /// The channel, after the event.
    pub channel: ChannelSnapshot,
    /// What happened.
    pub kind: ChannelEventKind,
}

/// How many events a broadcast reader may fall behind before it loses the oldest.
const BROADCAST_CAPACITY: usize = 4096;

/// The bus; cheap to clone, every clone publishes to the same readers.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    /// Readers of both kinds; publishing checks this first, so an idle bus costs one load.
    listeners: AtomicUsize,
    /// Held while numbering and sending, so that every reader sees `seq` in order.
    fan_out: Mutex<FanOut>,
}

struct FanOut {
    next_seq: u64,
    broadcast: broadcast::Sender<Arc<ChannelEvent>>,
    reliable: Vec<mpsc::UnboundedSender<Arc<ChannelEvent>>>,
}

impl fmt::Debug for EventBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBus").field("listeners", &self.inner.listeners.load(Ordering::Relaxed)).finish()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new()
    }
}

impl EventBus {
    /// A bus nobody listens to yet.
    pub fn new() -> EventBus {
        let (broadcast, _) = broadcast::channel(BROADCAST_CAPACITY);
        EventBus {
            inner: Arc::new(Inner {
                listeners: AtomicUsize::new(0),
                fan_out: Mutex::new(FanOut { next_seq: 1, broadcast, reliable: Vec::new() }),
            }),
        }
    }

    /// Whether anyone listens (a publisher may skip work when nobody does).
    pub fn is_listened(&self) -> bool {
        self.inner.listeners.load(Ordering::Acquire) > 0
    }

    /// Publishes the event `build` makes; `build` runs only when someone listens.
    pub fn publish(&self, build: impl FnOnce() -> NewEvent) {
        if !self.is_listened() {
            return;
        }
        let new = build();
        let mut fan_out = self.lock();
        let event = Arc::new(ChannelEvent {
            seq: fan_out.next_seq,
            call_id: new.call_id,
            call_seq: new.call_seq,
            tenant: new.tenant,
            at: OffsetDateTime::now_utc(),
            channel: new.channel,
            kind: new.kind,
        });
        fan_out.next_seq += 1;
        // A closed reliable reader is gone for good: forget it.
        let before = fan_out.reliable.len();
        fan_out.reliable.retain(|reader| reader.send(Arc::clone(&event)).is_ok());
        let gone = before - fan_out.reliable.len();
        if gone > 0 {
            self.inner.listeners.fetch_sub(gone, Ordering::AcqRel);
        }
        if fan_out.broadcast.receiver_count() > 0 {
            let _ = fan_out.broadcast.send(event);
        }
    }

    /// A lossy reader: sees every event published from now on unless it falls more than
    /// 4096 behind, when it gets `Lagged` and skips to the oldest kept.
    pub fn subscribe(&self) -> BroadcastReader {
        let fan_out = self.lock();
        self.inner.listeners.fetch_add(1, Ordering::AcqRel);
        BroadcastReader { receiver: fan_out.broadcast.subscribe(), bus: Arc::clone(&self.inner) }
    }

    /// A reader that never loses an event: an unbounded queue, so it must keep up on average.
    pub fn subscribe_reliable(&self) -> mpsc::UnboundedReceiver<Arc<ChannelEvent>> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut fan_out = self.lock();
        fan_out.reliable.push(sender);
        self.inner.listeners.fetch_add(1, Ordering::AcqRel);
        receiver
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FanOut> {
        // Numbering and sending cannot be left half-done by a panic elsewhere.
        self.inner.fan_out.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A lossy reader of the bus (see [`EventBus::subscribe`]); it stops counting as a
/// listener when dropped.
pub struct BroadcastReader {
    receiver: broadcast::Receiver<Arc<ChannelEvent>>,
    bus: Arc<Inner>,
}

impl BroadcastReader {
    /// The next event; `Err(Lagged(n))` when `n` were lost, `Err(Closed)` never while the
    /// bus lives.
    pub async fn recv(&mut self) -> Result<Arc<ChannelEvent>, broadcast::error::RecvError> {
        self.receiver.recv().await
    }
}

impl Drop for BroadcastReader {
    fn drop(&mut self) {
        self.bus.listeners.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Numbers one call's events and fills what every event of the call shares; the call's
/// task owns it, so no lock is needed for the per-call sequence.
#[derive(Debug)]
pub struct CallEvents {
    bus: EventBus,
    call_id: String,
    tenant: String,
    caller_number: String,
    caller_name: String,
    exten: String,
    next_seq: u32,
}

impl CallEvents {
    /// The events of call `call_id` of `tenant`, from `caller_number` (`caller_name`) to `exten`.
    pub fn new(
        bus: EventBus,
        call_id: &str,
        tenant: &str,
        caller_number: &str,
        caller_name: &str,
        exten: &str,
    ) -> Self {
        CallEvents {
            bus,
            call_id: call_id.to_owned(),
            tenant: tenant.to_owned(),
            caller_number: caller_number.to_owned(),
            caller_name: caller_name.to_owned(),
            exten: exten.to_owned(),
            next_seq: 1,
        }
    }

    /// Publishes `kind` about channel `name`, now in `state`.
    pub fn publish(&mut self, name: &str, state: ChannelState, kind: ChannelEventKind) {
        // Numbered even when nobody listens, so a reader that joins mid-call sees gaps, not
        // a sequence that starts again.
        let call_seq = self.next_seq;
        self.next_seq += 1;
        self.bus.publish(|| NewEvent {
            call_id: self.call_id.clone(),
            call_seq,
            tenant: self.tenant.clone(),
            channel: ChannelSnapshot {
                name: name.to_owned(),
                state,
                caller_number: self.caller_number.clone(),
                caller_name: self.caller_name.clone(),
                exten: self.exten.clone(),
            },
            kind,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(bus: &EventBus, id: &str) -> CallEvents {
        CallEvents::new(bus.clone(), id, "default", "1001", "Alice", "1002")
    }

    #[test]
    fn nothing_is_built_when_nobody_listens() {
        let bus = EventBus::new();
        assert!(!bus.is_listened());
        bus.publish(|| panic!("built without a listener"));
    }

    #[tokio::test]
    async fn a_reliable_reader_gets_every_event_in_order_with_call_sequences() {
        let bus = EventBus::new();
        let mut reader = bus.subscribe_reliable();
        let mut a = call(&bus, "1.1");
        let mut b = call(&bus, "1.2");
        for _ in 0..10_000 {
            a.publish("PJSIP/1001-00000001", ChannelState::Ring, ChannelEventKind::StateChanged);
            b.publish("PJSIP/1003-00000002", ChannelState::Up, ChannelEventKind::StateChanged);
        }
        a.publish("PJSIP/1001-00000001", ChannelState::Up, ChannelEventKind::HungUp { cause: 16 });
        let mut last_seq = 0;
        let mut per_call = std::collections::HashMap::new();
        for _ in 0..20_001 {
            let event = reader.try_recv().expect("no event may be dropped");
            assert_eq!(event.seq, last_seq + 1, "bus order");
            last_seq = event.seq;
            let next = per_call.entry(event.call_id.clone()).or_insert(1);
            assert_eq!(event.call_seq, *next, "call order of {}", event.call_id);
            *next += 1;
        }
        let last = reader.try_recv();
        assert!(last.is_err(), "nothing more: {last:?}");
        assert_eq!(per_call["1.1"], 10_002);
    }

    #[tokio::test]
    async fn snapshots_carry_the_call_and_the_channel() {
        let bus = EventBus::new();
        let mut reader = bus.subscribe_reliable();
        let mut events = call(&bus, "1700000000.7");
        events.publish(
            "PJSIP/1001-0000000a",
            ChannelState::Ring,
            ChannelEventKind::Dialplan { app: "Dial".into(), data: "PJSIP/1002,20".into() },
        );
        let event = reader.recv().await.expect("event");
        assert_eq!(event.call_id, "1700000000.7");
        assert_eq!(event.tenant, "default");
        assert_eq!(event.call_seq, 1);
        assert_eq!(
            event.channel,
            ChannelSnapshot {
                name: "PJSIP/1001-0000000a".into(),
                state: ChannelState::Ring,
                caller_number: "1001".into(),
                caller_name: "Alice".into(),
                exten: "1002".into(),
            }
        );
        assert_eq!(event.kind, ChannelEventKind::Dialplan { app: "Dial".into(), data: "PJSIP/1002,20".into() });
    }

    #[tokio::test]
    async fn a_broadcast_reader_that_falls_behind_loses_the_oldest_and_leaving_stops_the_work() {
        let bus = EventBus::new();
        let mut reader = bus.subscribe();
        assert!(bus.is_listened());
        let mut events = call(&bus, "1.1");
        for _ in 0..BROADCAST_CAPACITY + 10 {
            events.publish("PJSIP/1001-00000001", ChannelState::Ring, ChannelEventKind::StateChanged);
        }
        assert!(matches!(reader.recv().await, Err(broadcast::error::RecvError::Lagged(10))));
        assert_eq!(reader.recv().await.expect("the oldest kept").seq, 11);
        drop(reader);
        assert!(!bus.is_listened());
        bus.publish(|| panic!("built after the last reader left"));
    }

    #[tokio::test]
    async fn a_dropped_reliable_reader_is_forgotten() {
        let bus = EventBus::new();
        let reader = bus.subscribe_reliable();
        drop(reader);
        assert!(bus.is_listened(), "noticed on the next publish");
        call(&bus, "1.1").publish("PJSIP/1001-00000001", ChannelState::Ring, ChannelEventKind::Created);
        assert!(!bus.is_listened());
    }

    #[test]
    fn states_have_asterisks_and_salaras_spellings() {
        let all = [ChannelState::Down, ChannelState::Ring, ChannelState::Ringing, ChannelState::Up];
        assert_eq!(all.map(ChannelState::as_str), ["Down", "Ring", "Ringing", "Up"]);
        assert_eq!(all.map(ChannelState::as_upper), ["DOWN", "RING", "RINGING", "UP"]);
    }
}
