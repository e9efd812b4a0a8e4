//! One relay's sockets and latches, and the forwarding of what one of them received out of
//! the other side's socket of the same kind (RTP or RTCP). No task and no waiting here: the
//! relay clock ([`super::clock`]) owns many forwarders and calls [`Forwarder::pump`] for the
//! sockets its poller reports readable.
//!
//! A forwarder is the sole owner of its four latches, so the socket that learns an address
//! and the one that sends to it need no lock, atomic or channel between them. Reads and
//! writes are non-blocking: a full send buffer drops the packet (it is UDP) instead of
//! stalling the other direction.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Instant;

use mio::net::UdpSocket;
use mio::{Interest, Registry, Token};

use super::inbox::Inbox;
use super::latch::{self, Latch};
use super::packet::{self, Kind};
use super::ports::{self, PortLease, PortPool};
use super::{ActiveRelay, Counters, MediaError, Side};

/// Reads that fail with an error (an ICMP report of an earlier send) before a pump gives up
/// on a socket until the next tick: each such read consumes its error.
const MAX_FAILED_READS: usize = 4;

/// One of a relay's four sockets: a side and a kind. Its [`index`](Socket::index) is the
/// low two bits of the poller token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Socket {
    /// Whose socket.
    pub(super) side: Side,
    /// RTP or RTCP.
    pub(super) kind: Kind,
}

impl Socket {
    /// All four, in index order.
    pub(super) const ALL: [Socket; 4] = [
        Socket::new(Side::A, Kind::Rtp),
        Socket::new(Side::A, Kind::Rtcp),
        Socket::new(Side::B, Kind::Rtp),
        Socket::new(Side::B, Kind::Rtcp),
    ];

    const fn new(side: Side, kind: Kind) -> Socket {
        Socket { side, kind }
    }

    /// This socket's place in [`Socket::ALL`].
    pub(super) fn index(self) -> usize {
        let kind = match self.kind {
            Kind::Rtp => 0,
            Kind::Rtcp => 1,
        };
        self.side.index() * 2 + kind
    }
}

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
    /// Binds a free port pair of `pool` on `ip`; the sockets are non-blocking and not yet
    /// registered with any poller.
    pub(super) fn bind(pool: &Arc<PortPool>, ip: IpAddr) -> Result<Leg, MediaError> {
        let pair = ports::bind_pair(pool, ip)?;
        let local =
            pair.rtp.local_addr().map_err(|source| MediaError::Socket { addr: SocketAddr::new(ip, 0), source })?;
        let stream = |socket| Stream { socket: UdpSocket::from_std(socket), latch: Latch::default() };
        Ok(Leg { rtp: stream(pair.rtp), rtcp: stream(pair.rtcp), local, _lease: pair.lease })
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

    /// The socket of `kind`.
    fn stream(&mut self, kind: Kind) -> &mut Stream {
        match kind {
            Kind::Rtp => &mut self.rtp,
            Kind::Rtcp => &mut self.rtcp,
        }
    }
}

/// What one [`Forwarder::pump`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pumped {
    /// Packets sent on.
    pub(super) forwarded: u64,
    /// Packets received and not sent on.
    pub(super) dropped: u64,
    /// Whether the socket was read until empty. The poller is edge-triggered: a socket left
    /// with packets queued is not reported again, so the clock must come back to it.
    pub(super) drained: bool,
}

/// Everything one relay owns. When it is dropped, sockets close first, then the ports are
/// freed, then the relay stops counting as active.
#[derive(Debug)]
pub(super) struct Forwarder {
    a: Leg,
    b: Leg,
    _active: ActiveRelay,
}

impl Forwarder {
    /// A forwarder between `a` and `b`, counted as active from now on.
    pub(super) fn new(a: Leg, b: Leg, counters: Arc<Counters>) -> Forwarder {
        Forwarder { a, b, _active: ActiveRelay::new(counters) }
    }

    /// Registers the four sockets with `registry`, each under the token `token(socket)`
    /// gives.
    pub(super) fn register(&mut self, registry: &Registry, token: impl Fn(Socket) -> Token) -> io::Result<()> {
        for socket in Socket::ALL {
            let stream = self.stream(socket);
            registry.register(&mut stream.socket, token(socket), Interest::READABLE)?;
        }
        Ok(())
    }

    /// Takes the sockets out of `registry` before they close.
    pub(super) fn deregister(&mut self, registry: &Registry) {
        for socket in Socket::ALL {
            // Only fails for a socket that was never registered (a failed `register`);
            // closing it removes it from the poller anyway.
            let _ = registry.deregister(&mut self.stream(socket).socket);
        }
    }

    /// Takes `side`'s RTP address from its SDP.
    pub(super) fn set_remote(&mut self, side: Side, rtp: Option<SocketAddr>) {
        self.leg(side).set_hint(rtp);
    }

    /// Forwards what is waiting on `from`, up to a batch, read into `inbox`; `now` dates the
    /// packets for latching (a pump spans microseconds, latching needs seconds).
    pub(super) fn pump(&mut self, from: Socket, now: Instant, inbox: &mut Inbox) -> Pumped {
        let (a, b) = (&mut self.a, &mut self.b);
        let (from_leg, to_leg) = match from.side {
            Side::A => (a, b),
            Side::B => (b, a),
        };
        let to = to_leg.stream(from.kind);
        let from_stream = from_leg.stream(from.kind);
        let mut pumped = Pumped::default();
        for _ in 0..MAX_FAILED_READS {
            match inbox.read(from_stream.socket.as_raw_fd()) {
                Ok(drained) => pumped.drained = drained,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => pumped.drained = true,
                // An ICMP error from an earlier send, reported here by some platforms: it
                // says nothing about the packets still queued.
                Err(_) => continue,
            }
            break;
        }
        for datagram in inbox.datagrams() {
            let sent = datagram.is_some_and(|(packet, source)| {
                packet::is_plausible(from.kind, packet)
                    && from_stream.latch.accept(source, now)
                    && to.latch.destination().is_some_and(|dest| to.socket.send_to(packet, dest).is_ok())
            });
            if sent {
                pumped.forwarded += 1;
            } else {
                pumped.dropped += 1;
            }
        }
        pumped
    }

    /// One side's sockets.
    fn leg(&mut self, side: Side) -> &mut Leg {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// One socket and its latch.
    fn stream(&mut self, socket: Socket) -> &mut Stream {
        self.leg(socket.side).stream(socket.kind)
    }
}
