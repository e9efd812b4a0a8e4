//! The media clock: one task on a thread of its own, one 20 ms interval, owning every
//! terminating channel and bridge in plain maps (no locks). Handles talk to it by command; it answers with events
//! on each channel's own queue.
//!
//! Each tick: (1) apply the commands that arrived, and decide which two-party bridges pass
//! packets through undecoded; (2) for each channel, drain its sockets, make its input
//! frame (jitter buffer, decoder, DTMF, recorder), or put its packets aside for its partner
//! if it passes through; (3) mix each bridge; (4) for each channel, make and send its
//! output frame (or its partner's packets) and any RTCP report due. Sockets
//! are never registered with the runtime: packets wait in the kernel until the next tick,
//! so there is one wake-up per 20 ms for all channels rather than one per packet, and the
//! jitter buffer absorbs the up-to-20 ms this adds.
//!
//! There is one clock for now. Nothing here assumes it is alone: a [`Shard`] is all the
//! state one task needs, so spreading channels over one shard per core only takes routing
//! commands by channel id (bridges would have to live on their members' shard, or mix
//! across shards through a hand-off per tick).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::time::{self, Instant as TokioInstant, MissedTickBehavior};

use super::bridge::{Bridge, BridgeCommand};
use super::channel::{Channel, ChannelCommand, Effects, RECV_BUF_LEN};
use super::snoop::{apply_taps, Tap};
use super::{BridgeId, ChannelId, MediaEvent};
use crate::relay::MediaError;

/// The tick: one 20 ms frame.
pub(crate) const TICK: Duration = Duration::from_millis(20);

/// How far behind the clock may fall and still catch up tick by tick (a burst of at most
/// this many); further behind, the missed ticks are skipped, since audio that late is
/// better dropped than played in a rush.
const MAX_CATCH_UP: u32 = 5;

/// What handles ask of the clock.
#[derive(Debug)]
pub(crate) enum Command {
    /// Take over a new channel.
    Open(Box<Channel>),
    /// Close a channel: its recording is finalised, its ports freed.
    Close(ChannelId),
    /// Something for one channel.
    Channel(ChannelId, ChannelCommand),
    /// Take over a new bridge.
    OpenBridge(BridgeId, Box<Bridge>),
    /// Something for one bridge.
    Bridge(BridgeId, BridgeCommand),
    /// Destroy a bridge; its members stay, unbridged, and its announcer stops.
    CloseBridge(BridgeId),
    /// Put a channel in a bridge, taking it out of any other.
    Join(BridgeId, ChannelId),
    /// Take a channel out of a bridge.
    Leave(BridgeId, ChannelId),
    /// Make a channel a snoop on another (see `snoop`).
    Tap(ChannelId, Tap),
}

/// Counters shared by the clock and [`MediaEngine::stats`](crate::relay::MediaEngine::stats).
#[derive(Debug, Default)]
pub(crate) struct EngineCounters {
    /// Channels the clock owns.
    pub(crate) active_channels: AtomicUsize,
    /// Bridges the clock owns.
    pub(crate) active_bridges: AtomicUsize,
    /// Datagrams channels accepted.
    pub(crate) packets_received: AtomicU64,
    /// Datagrams channels sent.
    pub(crate) packets_sent: AtomicU64,
    /// Events lost to full (or closed) owner queues.
    pub(crate) events_dropped: AtomicU64,
}

impl EngineCounters {
    /// Hands `events` to an owner's `queue` without waiting: a full (or closed) queue
    /// loses them, and the loss is counted.
    pub(crate) fn deliver(&self, queue: &mpsc::Sender<MediaEvent>, events: &mut Vec<MediaEvent>) {
        for event in events.drain(..) {
            if queue.try_send(event).is_err() {
                self.events_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The handles' side of the clock: where commands go, and the clock task until it starts.
#[derive(Debug)]
pub(crate) struct ClockHandle {
    commands: mpsc::UnboundedSender<Command>,
    /// The command receiver, until the task that owns it is spawned. Commands sent
    /// meanwhile wait in the channel.
    idle: Mutex<Option<mpsc::UnboundedReceiver<Command>>>,
    counters: Arc<EngineCounters>,
    /// Channel and bridge ids, never reused.
    next_id: AtomicU64,
}

impl ClockHandle {
    /// A clock not started yet; creating it needs no runtime.
    pub(crate) fn new() -> ClockHandle {
        let (commands, receiver) = mpsc::unbounded_channel();
        ClockHandle {
            commands,
            idle: Mutex::new(Some(receiver)),
            counters: Arc::new(EngineCounters::default()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Starts the clock, if not started yet, on a thread of its own with a single-threaded
    /// runtime: its ticks then never wait behind the application's tasks (an HTTP reply
    /// serialising a large list delayed a tick by milliseconds, and vice versa), and the
    /// operating system shares the cores between the two.
    pub(crate) fn start(&self) -> Result<(), MediaError> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.is_none() {
            return Ok(());
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(MediaError::ClockThread)?;
        let counters = Arc::clone(&self.counters);
        let thread = std::thread::Builder::new().name("media-clock".into());
        let Some(receiver) = idle.take() else { return Ok(()) };
        thread.spawn(move || runtime.block_on(run(receiver, counters))).map_err(MediaError::ClockThread)?;
        Ok(())
    }

    /// A fresh id.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Where commands go.
    pub(crate) fn sender(&self) -> mpsc::UnboundedSender<Command> {
        self.commands.clone()
    }

    /// The counters.
    pub(crate) fn counters(&self) -> &Arc<EngineCounters> {
        &self.counters
    }
}

/// The clock task: ticks while it has channels, sleeps on its command queue while it has
/// none, ends when every handle and the engine are gone.
async fn run(mut commands: mpsc::UnboundedReceiver<Command>, counters: Arc<EngineCounters>) {
    let mut shard = Shard::new(counters);
    let mut interval = time::interval(TICK);
    interval.set_missed_tick_behavior(MissedTickBehavior::Burst);
    loop {
        if shard.channels.is_empty() {
            // Nothing to pace: no wake-ups until something arrives.
            let Some(command) = commands.recv().await else { return };
            shard.apply(command);
            interval.reset_immediately();
            continue;
        }
        let due = interval.tick().await;
        if TokioInstant::now().saturating_duration_since(due) > TICK * MAX_CATCH_UP {
            interval.reset();
        }
        loop {
            match commands.try_recv() {
                Ok(command) => shard.apply(command),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    if shard.channels.is_empty() {
                        return;
                    }
                    break;
                }
            }
        }
        shard.tick(std::time::Instant::now(), SystemTime::now());
    }
}

/// Everything one clock task owns.
#[derive(Debug)]
pub(crate) struct Shard {
    channels: HashMap<ChannelId, Channel>,
    bridges: HashMap<BridgeId, Bridge>,
    /// The snoop channels' taps, by snoop channel.
    taps: HashMap<ChannelId, Tap>,
    /// What the step in progress produced, handed over after each channel's step.
    fx: Effects,
    /// One receive buffer for every socket.
    buf: Box<[u8]>,
    counters: Arc<EngineCounters>,
}

impl Shard {
    fn new(counters: Arc<EngineCounters>) -> Shard {
        Shard {
            channels: HashMap::new(),
            bridges: HashMap::new(),
            taps: HashMap::new(),
            fx: Effects::default(),
            buf: vec![0; RECV_BUF_LEN].into_boxed_slice(),
            counters,
        }
    }

    /// Applies one command. Commands about channels or bridges that are gone are dropped:
    /// the handle that sent them is being dropped too, or has been.
    fn apply(&mut self, command: Command) {
        match command {
            Command::Open(channel) => {
                self.channels.insert(channel.id(), *channel);
                self.count();
            }
            Command::Close(id) => {
                // A tap whose target goes hears silence until its own channel closes.
                self.taps.remove(&id);
                self.taps.retain(|_, tap| tap.target != id);
                if let Some(mut channel) = self.channels.remove(&id) {
                    if let Some(bridge) = channel.core().bridge().and_then(|bridge| self.bridges.get_mut(&bridge)) {
                        bridge.leave(id);
                    }
                    channel.core_mut().close(&mut self.fx);
                    channel.flush(&mut self.fx);
                    // Dropping the channel closes its sockets, then frees its ports.
                }
                self.count();
            }
            Command::Channel(id, command) => {
                if let Some(channel) = self.channels.get_mut(&id) {
                    channel.core_mut().apply(command, &mut self.fx);
                    channel.flush(&mut self.fx);
                }
            }
            Command::OpenBridge(id, bridge) => {
                self.bridges.entry(id).or_insert(*bridge);
                self.count();
            }
            Command::Bridge(id, command) => {
                if let Some(bridge) = self.bridges.get_mut(&id) {
                    bridge.apply(command);
                    bridge.flush(&self.counters);
                }
            }
            Command::CloseBridge(id) => {
                if let Some(mut bridge) = self.bridges.remove(&id) {
                    bridge.close();
                    bridge.flush(&self.counters);
                    for member in bridge.members() {
                        if let Some(channel) = self.channels.get_mut(&member) {
                            channel.core_mut().set_bridge(None);
                        }
                    }
                }
                self.count();
            }
            Command::Join(bridge_id, id) => {
                let (Some(channel), true) = (self.channels.get_mut(&id), self.bridges.contains_key(&bridge_id)) else {
                    return;
                };
                if let Some(previous) = channel.core().bridge().and_then(|previous| self.bridges.get_mut(&previous)) {
                    previous.leave(id);
                }
                channel.core_mut().set_bridge(Some(bridge_id));
                if let Some(bridge) = self.bridges.get_mut(&bridge_id) {
                    bridge.join(id);
                }
            }
            Command::Tap(snoop, tap) => {
                if self.channels.contains_key(&snoop) && self.channels.contains_key(&tap.target) {
                    self.taps.insert(snoop, tap);
                }
            }
            Command::Leave(bridge_id, id) => {
                let Some(channel) = self.channels.get_mut(&id) else { return };
                if channel.core().bridge() == Some(bridge_id) {
                    channel.core_mut().set_bridge(None);
                    if let Some(bridge) = self.bridges.get_mut(&bridge_id) {
                        bridge.leave(id);
                    }
                }
            }
        }
    }

    /// One tick for every channel and bridge; see the module documentation.
    fn tick(&mut self, now: std::time::Instant, wall: SystemTime) {
        let (mut received, mut sent) = (0, 0);
        self.route_passthrough();
        for channel in self.channels.values_mut() {
            let lane = channel.core().bridge().and_then(|bridge| self.bridges.get_mut(&bridge));
            let lane = lane.and_then(|bridge| bridge.lane_from(channel.id()));
            received += channel.receive(&mut self.buf, now, lane);
            channel.core_mut().pull_input(now, &mut self.fx);
            channel.flush(&mut self.fx);
        }
        apply_taps(&mut self.channels, &self.taps, &mut self.fx);
        for channel in self.channels.values() {
            let core = channel.core();
            if let Some(bridge) = core.bridge().and_then(|bridge| self.bridges.get_mut(&bridge)) {
                bridge.put(core.id(), core.input());
            }
        }
        for bridge in self.bridges.values_mut() {
            bridge.mix();
            bridge.flush(&self.counters);
        }
        for channel in self.channels.values_mut() {
            let id = channel.id();
            let bridge = channel.core().bridge().and_then(|bridge| self.bridges.get(&bridge));
            let (bridged, lane) = (bridge.and_then(|b| b.output(id)), bridge.and_then(|b| b.lane_to(id)));
            sent += channel.send(bridged, lane, now, wall, &mut self.fx);
            channel.flush(&mut self.fx);
            channel.publish_stats();
        }
        self.counters.packets_received.fetch_add(received, Ordering::Relaxed);
        self.counters.packets_sent.fetch_add(sent, Ordering::Relaxed);
    }

    /// Decides, bridge by bridge, which pass packets through this tick (see
    /// `passthrough`): a mixing bridge of two channels that match and need nothing
    /// decoded. Members start or stop passing accordingly; a channel that stops goes back
    /// to decoding and mixing in this very tick.
    fn route_passthrough(&mut self) {
        for bridge in self.bridges.values_mut() {
            let passing = bridge.pass_candidates().and_then(|[a, b]| {
                let profile_a = self.channels.get(&a)?.core().pass_profile()?;
                let profile_b = self.channels.get(&b)?.core().pass_profile()?;
                profile_a.matches(&profile_b).then_some(([a, b], [profile_a, profile_b]))
            });
            for stopped in bridge.set_passing(passing.map(|(pair, _)| pair)).into_iter().flatten() {
                // Unless it has moved on to another bridge, which tells it what to do.
                let channel = self.channels.get_mut(&stopped).filter(|c| c.core().bridge() == Some(bridge.id()));
                if let Some(channel) = channel {
                    channel.core_mut().set_forwarding(None);
                }
            }
            if let Some(([a, b], [profile_a, profile_b])) = passing {
                for (id, partner) in [(a, profile_b), (b, profile_a)] {
                    if let Some(channel) = self.channels.get_mut(&id) {
                        channel.core_mut().set_forwarding(Some(partner));
                    }
                }
            }
        }
    }

    /// Publishes how many channels and bridges there are.
    fn count(&self) {
        self.counters.active_channels.store(self.channels.len(), Ordering::Relaxed);
        self.counters.active_bridges.store(self.bridges.len(), Ordering::Relaxed);
    }
}
