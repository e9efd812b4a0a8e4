//! The forwarding task of one relay: waits on its four sockets, and sends what one side's
//! socket receives out of the other side's socket of the same kind (RTP or RTCP).
//!
//! One task per relay rather than per socket: a call carries ~50 packets a second each
//! way, so nothing is gained from spreading one call over cores, while a single task is
//! the sole owner of all four latches and needs no lock, atomic or channel between the
//! socket that learns an address and the one that sends to it. It waits for readiness
//! rather than for data, so one preallocated buffer serves all four sockets, and drains
//! the ready socket with non-blocking reads and writes: a full send buffer drops the
//! packet (it is UDP) instead of stalling the other direction.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::latch::{self, Latch};
use super::packet::{self, Kind};
use super::ports::{self, PortLease, PortPool};
use super::{ActiveRelay, Counters, MediaError, Side};

/// Larger than any RTP packet on an Ethernet path (MTU 1500). A datagram that fills it
/// may have been truncated by the kernel, so it is dropped rather than forwarded cut.
const BUF_LEN: usize = 2048;

/// Packets read from one socket per wake-up before the others get a turn, so a flood on
/// one socket cannot starve the rest.
const BATCH: usize = 32;

/// The RTP address from each side's SDP, by [`Side::index`].
pub(super) type Remotes = [Option<SocketAddr>; 2];

/// One socket and its latch.
#[derive(Debug)]
struct Stream {
    socket: UdpSocket,
    latch: Latch,
}

/// The two sockets of one side of a relay.
#[derive(Debug)]
pub(super) struct Leg {
    rtp: Stream,
    rtcp: Stream,
    /// The RTP socket's address.
    local: SocketAddr,
    /// Declared after the sockets so they close before the ports return to the pool.
    _lease: PortLease,
}

impl Leg {
    /// Binds a free port pair of `pool` on `ip` and registers it with the runtime.
    pub(super) fn bind(pool: &Arc<PortPool>, ip: IpAddr) -> Result<Leg, MediaError> {
        let pair = ports::bind_pair(pool, ip)?;
        let local = pair.rtp.local_addr().map_err(|source| MediaError::Socket {
            addr: SocketAddr::new(ip, 0),
            source,
        })?;
        let register = |socket| {
            UdpSocket::from_std(socket)
                .map(|socket| Stream {
                    socket,
                    latch: Latch::default(),
                })
                .map_err(|source| MediaError::Socket {
                    addr: local,
                    source,
                })
        };
        Ok(Leg {
            rtp: register(pair.rtp)?,
            rtcp: register(pair.rtcp)?,
            local,
            _lease: pair.lease,
        })
    }

    /// The RTP socket's address.
    pub(super) fn local(&self) -> SocketAddr {
        self.local
    }

    /// Takes this side's RTP address from its SDP, and assumes its RTCP on the port above.
    fn set_hint(&mut self, rtp: Option<SocketAddr>) {
        let (rtp, rtcp) = latch::sdp_hints(self.local, rtp);
        self.rtp.latch.set_hint(rtp);
        self.rtcp.latch.set_hint(rtcp);
    }
}

/// Everything one relay's task owns. When it is dropped, sockets close first, then the
/// ports are freed, then the relay stops counting as active.
#[derive(Debug)]
pub(super) struct Forwarder {
    a: Leg,
    b: Leg,
    remotes: watch::Receiver<Remotes>,
    counters: Arc<Counters>,
    _active: ActiveRelay,
}

/// What woke the task.
enum Wake {
    /// A socket is readable, or failed.
    Readable(Side, Kind, io::Result<()>),
    /// The SDP addresses changed, or the relay was dropped.
    Remotes(Result<(), watch::error::RecvError>),
}

impl Forwarder {
    /// A forwarder between `a` and `b`, counted as active from now on.
    pub(super) fn new(
        a: Leg,
        b: Leg,
        remotes: watch::Receiver<Remotes>,
        counters: Arc<Counters>,
    ) -> Forwarder {
        let active = ActiveRelay::new(Arc::clone(&counters));
        Forwarder {
            a,
            b,
            remotes,
            counters,
            _active: active,
        }
    }

    /// Forwards until the [`Relay`](super::Relay) is dropped.
    pub(super) async fn run(mut self) {
        let mut buf = [0u8; BUF_LEN];
        loop {
            let wake = tokio::select! {
                ready = self.a.rtp.socket.readable() => Wake::Readable(Side::A, Kind::Rtp, ready),
                ready = self.a.rtcp.socket.readable() => Wake::Readable(Side::A, Kind::Rtcp, ready),
                ready = self.b.rtp.socket.readable() => Wake::Readable(Side::B, Kind::Rtp, ready),
                ready = self.b.rtcp.socket.readable() => Wake::Readable(Side::B, Kind::Rtcp, ready),
                changed = self.remotes.changed() => Wake::Remotes(changed),
            };
            match wake {
                Wake::Remotes(Ok(())) => self.apply_remotes(),
                Wake::Remotes(Err(_)) => return,
                Wake::Readable(side, kind, Err(error)) => {
                    // Not seen in practice; ending the relay frees its ports, and the call
                    // notices the silence, which beats spinning on a broken socket.
                    tracing::warn!(?side, ?kind, %error, "media relay socket failed, relay stopped");
                    return;
                }
                Wake::Readable(side, kind, Ok(())) => {
                    // select! polls its branches in random order: an address set before
                    // this packet arrived must apply to it even if its branch lost.
                    match self.remotes.has_changed() {
                        Ok(true) => self.apply_remotes(),
                        Ok(false) => {}
                        Err(_) => return,
                    }
                    self.pump(side, kind, &mut buf);
                }
            }
        }
    }

    /// Takes the latest SDP addresses.
    fn apply_remotes(&mut self) {
        let remotes = *self.remotes.borrow_and_update();
        self.a.set_hint(remotes[Side::A.index()]);
        self.b.set_hint(remotes[Side::B.index()]);
    }

    /// Forwards what is waiting on `side`'s `kind` socket, up to [`BATCH`] packets.
    fn pump(&mut self, side: Side, kind: Kind, buf: &mut [u8]) {
        let (from, to) = match (side, kind) {
            (Side::A, Kind::Rtp) => (&mut self.a.rtp, &self.b.rtp),
            (Side::A, Kind::Rtcp) => (&mut self.a.rtcp, &self.b.rtcp),
            (Side::B, Kind::Rtp) => (&mut self.b.rtp, &self.a.rtp),
            (Side::B, Kind::Rtcp) => (&mut self.b.rtcp, &self.a.rtcp),
        };
        // One clock read per wake-up: a batch spans microseconds, latching needs seconds.
        let now = Instant::now();
        let (mut forwarded, mut dropped) = (0, 0);
        for _ in 0..BATCH {
            let (len, source) = match from.socket.try_recv_from(buf) {
                Ok(received) => received,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                // An ICMP error from an earlier send, reported here by some platforms: it
                // says nothing about the packets still queued.
                Err(_) => continue,
            };
            let packet = &buf[..len];
            let sent = len < buf.len()
                && packet::is_plausible(kind, packet)
                && from.latch.accept(source, now)
                && to
                    .latch
                    .destination()
                    .is_some_and(|dest| to.socket.try_send_to(packet, dest).is_ok());
            if sent {
                forwarded += 1;
            } else {
                dropped += 1;
            }
        }
        self.counters.record(forwarded, dropped);
    }
}
