//! The relay clock: forwarding for every relay from one task per shard, woken once a
//! [`TICK`] rather than once a packet.
//!
//! A relayed call carries about a hundred packets a second. Waking a task for each costs a
//! thread unpark, a reactor round and a scheduler turn (about 15 µs measured), several
//! times the two syscalls that move the packet. So a shard registers its relays' sockets
//! with a poller of its own, never with the runtime's; each tick it applies the commands
//! that arrived, asks the poller without blocking which sockets have data, and pumps those.
//! One wake-up a tick serves every relay of the shard. Packets wait in the kernel for up to
//! a tick: at 10 ms that is half a voice frame, and at a constant phase for a 20 ms stream,
//! so it adds a little delay and next to no jitter.
//!
//! There is a shard per core (up to [`MAX_SHARDS`]) and relays are dealt out round-robin, so
//! forwarding spreads over the cores of a busy machine. A shard with no relays sleeps on its
//! command queue instead of ticking.

use std::collections::HashMap;
use std::io;
use std::mem;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::time::{self, MissedTickBehavior};

use super::forward::{Forwarder, Socket};
use super::inbox::Inbox;
use super::{Counters, MediaError, Side};

/// How often a shard forwards what its sockets received.
pub(super) const TICK: Duration = Duration::from_millis(10);

/// The most shards, whatever the core count.
const MAX_SHARDS: usize = 8;

/// Readiness events taken from the poller per call; with more sockets ready, the shard
/// asks again within the same tick.
const EVENTS: usize = 1024;

/// Names a relay for its shard; never reused.
type RelayId = u64;

/// What a [`Relay`](super::Relay) asks of its shard.
#[derive(Debug)]
enum Command {
    /// Take over a new relay.
    Open(RelayId, Box<Forwarder>),
    /// A side's RTP address from its SDP, or none (a hold).
    Remote(RelayId, Side, Option<SocketAddr>),
    /// Stop forwarding and close the sockets.
    Close(RelayId),
}

/// The shards, started with the first relay.
#[derive(Debug)]
pub(super) struct RelayClock {
    /// Each shard's command queue. A std mutex: taken once per relay set-up, never per
    /// packet and never across an await.
    shards: Mutex<Vec<mpsc::UnboundedSender<Command>>>,
    /// The next [`RelayId`], which also picks the shard.
    next: AtomicU64,
    counters: Arc<Counters>,
}

/// Where one relay's commands go.
#[derive(Debug)]
pub(super) struct Route {
    id: RelayId,
    shard: mpsc::UnboundedSender<Command>,
}

impl RelayClock {
    /// A clock whose shards will count into `counters`; it starts no task yet, so it may be
    /// made outside a runtime.
    pub(super) fn new(counters: Arc<Counters>) -> RelayClock {
        RelayClock { shards: Mutex::new(Vec::new()), next: AtomicU64::new(0), counters }
    }

    /// Hands `forwarder` to a shard, starting the shards on the current runtime if they are
    /// not running (the first relay, or the runtime they ran on has gone).
    pub(super) fn open(&self, forwarder: Forwarder) -> Result<Route, MediaError> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut shards = self.shards.lock().unwrap_or_else(PoisonError::into_inner);
        if shards.first().is_none_or(mpsc::UnboundedSender::is_closed) {
            *shards = self.start()?;
        }
        // The modulo keeps the index below the shard count, itself at most MAX_SHARDS.
        let shard = shards[(id % shards.len() as u64) as usize].clone();
        shard.send(Command::Open(id, Box::new(forwarder))).map_err(|_| MediaError::EngineStopped)?;
        Ok(Route { id, shard })
    }

    /// Spawns one shard per core; their queues, in order.
    fn start(&self) -> Result<Vec<mpsc::UnboundedSender<Command>>, MediaError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| MediaError::NoRuntime)?;
        let count = std::thread::available_parallelism().map_or(1, NonZeroUsize::get).min(MAX_SHARDS);
        (0..count)
            .map(|_| {
                let poll = Poll::new().map_err(MediaError::Poller)?;
                let (commands, queue) = mpsc::unbounded_channel();
                runtime.spawn(Shard::new(poll, Arc::clone(&self.counters)).run(queue));
                Ok(commands)
            })
            .collect()
    }
}

impl Route {
    /// Sets `side`'s SDP address; applied at the shard's next tick, before it forwards.
    pub(super) fn set_remote(&self, side: Side, rtp: Option<SocketAddr>) {
        self.send(Command::Remote(self.id, side, rtp));
    }

    /// Sends a command, which is lost only if the shard has stopped, and with it the relay.
    fn send(&self, command: Command) {
        let _ = self.shard.send(command);
    }
}

impl Drop for Route {
    /// The relay closes at the shard's next tick: sockets, then ports, then the count.
    fn drop(&mut self) {
        self.send(Command::Close(self.id));
    }
}

/// The token of `socket` of the relay in `slot`: the slot above two bits of socket index.
fn token(slot: usize, socket: Socket) -> Token {
    Token(slot << 2 | socket.index())
}

/// The slot and socket a token names.
fn untoken(token: Token) -> (usize, Socket) {
    (token.0 >> 2, Socket::ALL[token.0 & 3])
}

/// Everything one shard's task owns.
#[derive(Debug)]
struct Shard {
    poll: Poll,
    /// Relays by slot; a slot's index is in its sockets' tokens.
    slots: Vec<Option<Forwarder>>,
    /// Empty slots, reused before the vector grows.
    free: Vec<usize>,
    /// Which slot each relay is in.
    relays: HashMap<RelayId, usize>,
    /// Sockets a pump left with packets queued, to be pumped again next tick.
    backlog: Vec<Token>,
    counters: Arc<Counters>,
}

impl Shard {
    fn new(poll: Poll, counters: Arc<Counters>) -> Shard {
        Shard { poll, slots: Vec::new(), free: Vec::new(), relays: HashMap::new(), backlog: Vec::new(), counters }
    }

    /// Ticks until every queue sender (the engine's and each relay's) is gone.
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut events = Events::with_capacity(EVENTS);
        let mut inbox = Inbox::new();
        let mut ticks = time::interval(TICK);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if self.relays.is_empty() {
                match commands.recv().await {
                    Some(command) => self.apply(command),
                    None => return,
                }
                ticks.reset();
            } else {
                ticks.tick().await;
            }
            loop {
                match commands.try_recv() {
                    Ok(command) => self.apply(command),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            self.forward(&mut events, &mut inbox);
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Open(id, mut forwarder) => {
                let slot = self.free.pop().unwrap_or_else(|| {
                    self.slots.push(None);
                    self.slots.len() - 1
                });
                if let Err(error) = forwarder.register(self.poll.registry(), |socket| token(slot, socket)) {
                    // Not seen in practice (the poller is out of memory); the call goes
                    // without media, which beats the relay holding its ports forever.
                    tracing::warn!(%error, "cannot poll a media relay's sockets, relay stopped");
                    forwarder.deregister(self.poll.registry());
                    self.free.push(slot);
                    return;
                }
                self.slots[slot] = Some(*forwarder);
                self.relays.insert(id, slot);
            }
            Command::Remote(id, side, rtp) => {
                if let Some(forwarder) = self.forwarder(id) {
                    forwarder.set_remote(side, rtp);
                }
            }
            Command::Close(id) => {
                if let Some(slot) = self.relays.remove(&id) {
                    if let Some(mut forwarder) = self.slots[slot].take() {
                        forwarder.deregister(self.poll.registry());
                    }
                    self.free.push(slot);
                }
            }
        }
    }

    /// The relay `id`, if this shard has it.
    fn forwarder(&mut self, id: RelayId) -> Option<&mut Forwarder> {
        let slot = *self.relays.get(&id)?;
        self.slots[slot].as_mut()
    }

    /// Pumps every socket that has data: those the poller reports, and last tick's backlog.
    fn forward(&mut self, events: &mut Events, inbox: &mut Inbox) {
        let now = Instant::now();
        let (mut forwarded, mut dropped) = (0, 0);
        let mut ready = mem::take(&mut self.backlog);
        loop {
            if let Err(error) = self.poll.poll(events, Some(Duration::ZERO)) {
                if error.kind() != io::ErrorKind::Interrupted {
                    tracing::warn!(%error, "media relay poller failed");
                }
                break;
            }
            ready.extend(events.iter().map(mio::event::Event::token));
            if events.iter().count() < EVENTS {
                break;
            }
        }
        for &token in &ready {
            let (slot, socket) = untoken(token);
            // A slot closed since its socket became ready, or reused by a relay whose
            // socket has nothing yet: either way the pump finds nothing to do.
            let Some(Some(forwarder)) = self.slots.get_mut(slot) else {
                continue;
            };
            let pumped = forwarder.pump(socket, now, inbox);
            forwarded += pumped.forwarded;
            dropped += pumped.dropped;
            if !pumped.drained {
                self.backlog.push(token);
            }
        }
        if self.backlog.is_empty() {
            // Keep the allocation for the next tick.
            ready.clear();
            self.backlog = ready;
        }
        self.counters.record(forwarded, dropped);
    }
}
