//! The RTP/RTCP relay of a B2BUA: each call gets a [`Relay`], a pair of sockets towards each
//! phone, and what one phone sends is forwarded to the other, untouched.
//!
//! Destinations are learnt by symmetric latching (RFC 4961; `rtp_symmetric` in Asterisk,
//! what rtpengine does by default): a phone behind NAT advertises a private address in
//! its SDP, but the source address of its packets is the one that reaches it, so that
//! is where we send. The SDP address ([`Relay::set_remote`]) is only used until the phone
//! has sent something.
//!
//! - [`MediaEngine`]: owns the port range and the counters; hands out relays, and through
//!   [`MediaEngine::channels`] the terminating channels of [`crate::engine`], from the
//!   same ports.
//! - [`Relay`]: one call's relay; dropping it stops forwarding and frees its ports.
//! - `clock`: the tasks (one per core) that forward for all relays, woken every 10 ms
//!   rather than per packet; `forward`: one relay's sockets and latches; `inbox`: reading
//!   a socket's queue in one system call.
//!
//! The hot path only forwards: no allocation, lock or log per packet. The sans-IO parts
//! (latching decisions, packet checks) live apart from the sockets so they can be tested
//! without them.

mod clock;
mod forward;
mod inbox;
pub(crate) mod latch;
mod packet;
pub(crate) mod ports;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use thiserror::Error;

use crate::dtmf::DtmfError;
use crate::engine::{ChannelEngine, ChannelId, NegotiateError};
use crate::sound::library::SoundError;
use crate::sound::recording::RecordingError;
use crate::tones::ToneError;
use clock::{RelayClock, Route};
use forward::{Forwarder, Leg};
use ports::PortPool;

/// The UDP ports relays may use, both ends inclusive. Each relay side takes an even port
/// for RTP and the odd one above it for RTCP (RFC 3550 §11), so only even ports whose odd
/// neighbour is in the range are used, and never port 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// The lowest port.
    pub start: u16,
    /// The highest port.
    pub end: u16,
}

/// How a [`MediaEngine`] binds its sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaConfig {
    /// The local address every relay socket binds to. With an unspecified address
    /// (`0.0.0.0`) the caller must advertise a reachable one in the SDP itself.
    pub bind: IpAddr,
    /// The ports relays take their sockets from.
    pub ports: PortRange,
}

/// One of the two parties of a relayed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// One leg of the call, conventionally the caller's.
    A,
    /// The other leg.
    B,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    /// This side's index in per-side arrays.
    fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
}

/// Why a relay or a terminating channel could not be set up, or refused a request.
#[derive(Debug, Error)]
pub enum MediaError {
    /// Every port pair of the range is in use by us or refused by the OS.
    #[error("no free RTP/RTCP port pair left in {start}-{end}")]
    PortsExhausted {
        /// The range's first port.
        start: u16,
        /// The range's last port.
        end: u16,
    },
    /// A socket could not be set up, for another reason than its port being taken (the
    /// bind address is not ours, the runtime refused to register it, …).
    #[error("cannot set up a media socket on {addr}: {source}")]
    Socket {
        /// The address being bound.
        addr: SocketAddr,
        /// What the operating system or runtime said.
        #[source]
        source: io::Error,
    },
    /// The SDP has no audio stream we can take (no codec in common, no audio, a refused
    /// stream): a SIP caller answers 488 Not Acceptable Here.
    #[error("not acceptable: {0}")]
    NotAcceptable(#[from] NegotiateError),
    /// A `sound:`, `digits:`, … URI names no playable file, or the file is unreadable.
    #[error(transparent)]
    Sound(#[from] SoundError),
    /// A recording could not be played, created, or is in the way (`ifExists=fail`).
    #[error(transparent)]
    Recording(#[from] RecordingError),
    /// A `tone:` URI names no tone, tonezone or valid tone string.
    #[error(transparent)]
    Tone(#[from] ToneError),
    /// Digits or DTMF timings that cannot be sent.
    #[error(transparent)]
    Dtmf(#[from] DtmfError),
    /// A recording format other than `wav`, the only one written.
    #[error("recording format {0:?} is not supported, only wav")]
    UnsupportedFormat(String),
    /// The channel is recording already; one recording at a time.
    #[error("channel {0} is already recording")]
    AlreadyRecording(ChannelId),
    /// The relay clock's poller could not be created (out of file descriptors or memory).
    #[error("cannot create the media relay's poller: {0}")]
    Poller(#[source] io::Error),
    /// The media clock is gone (the runtime is shutting down) or a file worker failed.
    #[error("the media engine has stopped")]
    EngineStopped,
    /// The media clock's thread (or its runtime) could not be started.
    #[error("cannot start the media clock's thread: {0}")]
    ClockThread(#[source] io::Error),
    /// A channel was asked for outside a tokio runtime, where the media clock cannot run.
    #[error("media channels need a tokio runtime")]
    NoRuntime,
}

/// A snapshot of a [`MediaEngine`]'s counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MediaStats {
    /// Relays whose forwarding has not stopped yet. A dropped relay stops at the relay
    /// clock's next tick, and only then leaves this count and frees its ports.
    pub active_relays: usize,
    /// Terminating channels the media clock owns. A dropped channel closes at the clock's
    /// next tick, and only then leaves this count and frees its ports.
    pub active_channels: usize,
    /// Mixing bridges the media clock owns.
    pub active_bridges: usize,
    /// UDP ports held by active relays (4 per relay) and channels (2 per channel).
    pub ports_in_use: usize,
    /// Packets forwarded since the engine was created.
    pub packets_forwarded: u64,
    /// Packets received but not forwarded: malformed, from an unexpected source, with
    /// nowhere to go yet, or refused by the socket.
    pub packets_dropped: u64,
    /// RTP and RTCP packets terminating channels took in (accepted by their latch).
    pub channel_packets_received: u64,
    /// RTP and RTCP packets terminating channels sent.
    pub channel_packets_sent: u64,
    /// Channel events (DTMF, playback, recording) dropped because their owner's queue was full.
    pub events_dropped: u64,
}

/// Hands out relays and terminating channels; cheap to clone; shared by all calls.
#[derive(Debug, Clone)]
pub struct MediaEngine {
    /// Where sockets bind.
    bind: IpAddr,
    /// The free and used port pairs.
    pool: Arc<PortPool>,
    /// What [`MediaEngine::stats`] reports.
    counters: Arc<Counters>,
    /// The tasks that forward for every relay.
    relays: Arc<RelayClock>,
    /// The terminating side, sharing `pool`.
    channels: ChannelEngine,
}

impl MediaEngine {
    /// An engine for `config`. It binds nothing until asked for a relay or a channel, and
    /// starts no task until the first channel (so it may be made outside a runtime); a
    /// range without a single even/odd pair makes every request fail.
    pub fn new(config: MediaConfig) -> MediaEngine {
        let pool = Arc::new(PortPool::new(config.ports));
        let counters = Arc::new(Counters::default());
        MediaEngine {
            bind: config.bind,
            channels: ChannelEngine::new(config.bind, Arc::clone(&pool)),
            pool,
            relays: Arc::new(RelayClock::new(Arc::clone(&counters))),
            counters,
        }
    }

    /// The same engine, with prompts read from `sounds` and recordings kept in
    /// `recordings`. Call it before cloning the engine: clones made earlier keep the
    /// directories they had.
    pub fn with_media_dirs(mut self, sounds: impl Into<PathBuf>, recordings: impl Into<PathBuf>) -> MediaEngine {
        self.channels = self.channels.with_media_dirs(sounds.into(), recordings.into());
        self
    }

    /// The same engine, with uploaded greetings (which IVRs play) read from `dir`. Call it
    /// after [`MediaEngine::with_media_dirs`], before cloning the engine.
    pub fn with_greetings_dir(mut self, dir: impl Into<PathBuf>) -> MediaEngine {
        self.channels = self.channels.with_greetings_dir(dir.into());
        self
    }

    /// The same engine, with music-on-hold classes read from `dir` (see
    /// [`crate::sound::moh`]). Call it before cloning the engine, as
    /// [`MediaEngine::with_media_dirs`].
    pub fn with_moh_dir(mut self, dir: impl Into<PathBuf>) -> MediaEngine {
        self.channels = self.channels.with_moh_dir(dir);
        self
    }

    /// The terminating side: channels for which the PBX is the far end of the call, and
    /// the bridges that mix them.
    pub fn channels(&self) -> &ChannelEngine {
        &self.channels
    }

    /// Binds an RTP and an RTCP socket for each side (4 UDP sockets) from the range,
    /// skipping ports the OS refuses, and hands them to the relay clock, which forwards
    /// from its next tick on.
    pub async fn relay(&self) -> Result<Relay, MediaError> {
        let a = Leg::bind(&self.pool, self.bind)?;
        let b = Leg::bind(&self.pool, self.bind)?;
        let local = [a.local(), b.local()];
        let route = self.relays.open(Forwarder::new(a, b, Arc::clone(&self.counters)))?;
        Ok(Relay { local, route })
    }

    /// The engine's counters now.
    pub fn stats(&self) -> MediaStats {
        let mut stats = MediaStats {
            active_relays: self.counters.active_relays.load(Ordering::Relaxed),
            ports_in_use: self.pool.ports_in_use(),
            packets_forwarded: self.counters.forwarded.load(Ordering::Relaxed),
            packets_dropped: self.counters.dropped.load(Ordering::Relaxed),
            ..MediaStats::default()
        };
        self.channels.add_stats(&mut stats);
        stats
    }
}

/// One call's relay: what arrives on side A's socket goes out of side B's socket to B's
/// remote, and vice versa. Dropping it stops the forwarding and frees the ports.
#[derive(Debug)]
pub struct Relay {
    /// The RTP address of each side's socket, by [`Side::index`].
    local: [SocketAddr; 2],
    /// Where the relay's sockets are forwarded; dropping it closes them.
    route: Route,
}

impl Relay {
    /// The RTP address to advertise in the SDP sent towards `side`; RTCP is on the port
    /// above it.
    pub fn local(&self, side: Side) -> SocketAddr {
        self.local[side.index()]
    }

    /// Where to send towards `side` until it has sent us a packet: the RTP address from
    /// that side's SDP (its RTCP is assumed on the port above, RFC 3605's default). Call it
    /// again on each re-INVITE. An unspecified address or port 0 (a hold, a rejected
    /// stream) clears it, since there is nowhere to send; a latched address is kept.
    pub fn set_remote(&self, side: Side, rtp: SocketAddr) {
        self.route.set_remote(side, latch::usable_remote(rtp));
    }
}

/// The engine-wide counters, shared by the relay clock's shards.
#[derive(Debug, Default)]
struct Counters {
    /// Relays not closed yet, maintained by [`ActiveRelay`].
    active_relays: AtomicUsize,
    /// Packets forwarded.
    forwarded: AtomicU64,
    /// Packets dropped.
    dropped: AtomicU64,
}

impl Counters {
    /// Adds one batch of packets; a shard calls this once per tick rather than per packet,
    /// so shards on different cores fight over these cache lines less.
    fn record(&self, forwarded: u64, dropped: u64) {
        if forwarded != 0 {
            self.forwarded.fetch_add(forwarded, Ordering::Relaxed);
        }
        if dropped != 0 {
            self.dropped.fetch_add(dropped, Ordering::Relaxed);
        }
    }
}

/// Counts one relay in [`Counters::active_relays`] for as long as its forwarder lives.
#[derive(Debug)]
struct ActiveRelay(Arc<Counters>);

impl ActiveRelay {
    /// Counts a new relay.
    fn new(counters: Arc<Counters>) -> ActiveRelay {
        counters.active_relays.fetch_add(1, Ordering::Relaxed);
        ActiveRelay(counters)
    }
}

impl Drop for ActiveRelay {
    fn drop(&mut self) {
        self.0.active_relays.fetch_sub(1, Ordering::Relaxed);
    }
}
