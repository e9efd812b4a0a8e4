//! SIP transports (RFC 3261 §18): UDP and TCP over IPv4 and IPv6, on tokio.
//!
//! [`Transports::bind`] opens, for each configured address, a UDP socket and a TCP listener
//! on the same port, and returns a cheap handle for sending plus one channel of [`Received`]
//! messages for everything that arrives on any of them. The transport only moves whole
//! messages: it never parses SIP beyond the Content-Length a stream needs for framing.
//! Reading messages is the [`crate::message`] layer's job; choosing a transport and a
//! destination (§18.1.1's size rule, RFC 3263) is the caller's.
//!
//! - `udp`: one receive task per socket; sends leave from the listening socket, so the far
//!   end sees the port it can answer to.
//! - `tcp`: listeners and outbound connects (bound to the listening IP, so the far end
//!   sees the address Switchboard advertises).
//! - `stream`: one task per connection over any byte stream, and the registry of open
//!   connections by [`Peer`] that makes connection reuse work (§18.2.2).
//! - [`framing`]: sans-IO Content-Length framing of stream bytes, with RFC 5626 pings.
//!
//! TLS fits in without changing this shape: a `Protocol::Tls`, and a `tls` module that
//! wraps accepted and connected TCP streams and hands them to the same `stream` task,
//! which is generic over the byte stream and keys connections by protocol and address.
//!
//! Floods must not grow memory: the [`Received`] channel is bounded (UDP drops datagrams
//! when it is full, a connection stops reading), connections are capped, each connection's
//! write queue is bounded, and messages are limited in size.

pub mod framing;
mod stream;
mod tcp;
mod udp;

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use thiserror::Error;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

pub use framing::{Frame, FramingError, StreamFramer};

/// How many times a port-0 address is retried when the TCP side of the port UDP got is taken.
const PORT_ATTEMPTS: usize = 8;

/// Which transport protocol a message travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// UDP: unreliable datagrams.
    Udp,
    /// TCP: a reliable stream, messages framed by Content-Length.
    Tcp,
}

impl Protocol {
    /// Whether the transport retransmits for us (RFC 3261 §17.1.1.2): TCP is, UDP is not.
    pub fn is_reliable(self) -> bool {
        match self {
            Protocol::Udp => false,
            Protocol::Tcp => true,
        }
    }

    /// The transport as a Via header names it (RFC 3261 §20.42): `UDP` or `TCP`.
    pub fn via_name(self) -> &'static str {
        match self {
            Protocol::Udp => "UDP",
            Protocol::Tcp => "TCP",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_name())
    }
}

/// The far end of a message: where it came from, or where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// The transport protocol.
    pub protocol: Protocol,
    /// The far end's IP address and port.
    pub addr: SocketAddr,
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.protocol, self.addr)
    }
}

/// One whole SIP message as framed by the transport (a UDP datagram, or one
/// Content-Length-framed message from a TCP stream).
#[derive(Debug, Clone)]
pub struct Received {
    /// Where it came from; sending a response to this peer uses the same connection.
    pub peer: Peer,
    /// The local socket address it arrived on. For UDP this is the listening address as
    /// configured (an unspecified IP stays unspecified); for TCP the connection's own.
    pub local: SocketAddr,
    /// The message, unparsed.
    pub bytes: Bytes,
}

/// What to listen on and how much to accept.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Each address gets a UDP socket and a TCP listener on the same port. With port 0, UDP
    /// picks the port and TCP follows. An IPv6 address listens to IPv6 only, so `[::]` and
    /// `0.0.0.0` can both be listed.
    pub listen: Vec<SocketAddr>,
    /// The largest message accepted or sent, in bytes: UDP datagrams and TCP frames alike.
    pub max_message: usize,
    /// The most TCP connections, inbound and outbound together; connections accepted
    /// beyond it are closed at once and outbound ones refused.
    pub max_connections: usize,
    /// A TCP connection with no traffic either way for this long is closed.
    pub idle_timeout: Duration,
    /// Capacity of the [`Received`] channel (at least 1). When it is full, UDP datagrams are
    /// dropped (and counted) and TCP connections stop reading, so floods cannot grow memory.
    pub queue: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            listen: Vec::new(),
            max_message: 65_535,
            max_connections: 1024,
            idle_timeout: Duration::from_secs(300),
            queue: 4096,
        }
    }
}

/// Why a transport operation failed.
#[derive(Debug, Error)]
pub enum TransportError {
    /// A listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address as configured.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A socket operation failed.
    #[error("transport I/O error: {0}")]
    Io(#[from] io::Error),
    /// No socket listens on the peer's protocol and IP family, so there is nothing to send
    /// from and no address to advertise.
    #[error("no transport for {0}")]
    NoRoute(Peer),
    /// The message is longer than the configured `max_message`.
    #[error("message of {0} bytes is too large to send")]
    TooLarge(usize),
    /// A TCP connect took longer than 5 s.
    #[error("connecting to {0} timed out")]
    ConnectTimeout(SocketAddr),
    /// Opening one more connection would exceed `max_connections`.
    #[error("too many connections")]
    TooManyConnections,
    /// The connection's write queue is full: the peer is not reading.
    #[error("write queue to {0} is full")]
    Congested(Peer),
    /// The transports were shut down.
    #[error("the transports are shut down")]
    Shutdown,
}

/// Live counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Open TCP connections, inbound and outbound (including connects under way).
    pub tcp_connections: usize,
    /// UDP datagrams dropped: longer than `max_message`, or arriving with the channel full.
    pub udp_dropped: u64,
    /// TCP connections closed because their stream could not be framed.
    pub frames_rejected: u64,
    /// Inbound TCP connections closed at once because `max_connections` were open.
    pub tcp_refused: u64,
}

/// Handle to the running transports; cheap to clone. Dropping the last clone shuts them down.
#[derive(Clone)]
pub struct Transports {
    handle: Arc<Handle>,
}

/// Shuts the transports down when the last [`Transports`] clone goes; the tasks hold
/// [`Shared`] directly, so they do not keep it alive.
struct Handle(Arc<Shared>);

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}

/// State shared by the handle and every task.
struct Shared {
    config: TransportConfig,
    /// The bound addresses, in configuration order.
    local: Vec<SocketAddr>,
    /// `None` once shut down, which releases the UDP sockets and lets the channel close.
    live: Mutex<Option<Live>>,
    /// Open connections by peer, for reuse.
    connections: Mutex<HashMap<Peer, stream::Connection>>,
    next_connection_id: AtomicU64,
    open_connections: AtomicUsize,
    udp_dropped: AtomicU64,
    frames_rejected: AtomicU64,
    tcp_refused: AtomicU64,
    /// Turns `true` once, on shutdown; every task watches it.
    stop: watch::Sender<bool>,
}

/// What only a running transport has.
struct Live {
    udp: Vec<(SocketAddr, Arc<UdpSocket>)>,
    received: mpsc::Sender<Received>,
}

/// A reserved place among `max_connections`, given back on drop.
struct ConnectionSlot(Arc<Shared>);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Locks a mutex whose critical sections cannot leave it inconsistent, so poisoning by a
/// panic elsewhere is no reason to panic again.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Resolves once shutdown is signalled.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which is a shutdown too.
    let _ = stop.wait_for(|&stopped| stopped).await;
}

impl Shared {
    fn local_for(&self, addr: SocketAddr) -> Option<SocketAddr> {
        self.local.iter().copied().find(|local| local.is_ipv4() == addr.is_ipv4())
    }

    fn is_live(&self) -> bool {
        lock(&self.live).is_some()
    }

    fn received(&self) -> Option<mpsc::Sender<Received>> {
        lock(&self.live).as_ref().map(|live| live.received.clone())
    }

    fn reserve_connection(self: &Arc<Self>) -> Option<ConnectionSlot> {
        let max = self.config.max_connections;
        self.open_connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| (open < max).then_some(open + 1))
            .ok()
            .map(|_| ConnectionSlot(Arc::clone(self)))
    }

    fn shutdown(&self) {
        // Taken out under the lock, dropped (sockets closed) after it.
        let live = lock(&self.live).take();
        drop(live);
        self.stop.send_replace(true);
    }
}

impl Transports {
    /// Binds every configured address (UDP and TCP on the same port) and starts receiving.
    ///
    /// Must be called within a tokio runtime. Fails with [`TransportError::Bind`] if any
    /// address cannot be bound; nothing is left running then.
    pub async fn bind(config: TransportConfig) -> Result<(Transports, mpsc::Receiver<Received>), TransportError> {
        let mut bound = Vec::with_capacity(config.listen.len());
        for &addr in &config.listen {
            bound.push(bind_pair(addr)?);
        }
        let (received, receiver) = mpsc::channel(config.queue.max(1));
        let local: Vec<SocketAddr> = bound.iter().map(|(addr, _, _)| *addr).collect();
        let udp = bound.iter().map(|(addr, socket, _)| (*addr, Arc::clone(socket))).collect();
        let shared = Arc::new(Shared {
            config,
            local,
            live: Mutex::new(Some(Live { udp, received: received.clone() })),
            connections: Mutex::new(HashMap::new()),
            next_connection_id: AtomicU64::new(0),
            open_connections: AtomicUsize::new(0),
            udp_dropped: AtomicU64::new(0),
            frames_rejected: AtomicU64::new(0),
            tcp_refused: AtomicU64::new(0),
            stop: watch::Sender::new(false),
        });
        for (addr, socket, listener) in bound {
            tokio::spawn(udp::receive(Arc::clone(&shared), socket, addr, received.clone()));
            tokio::spawn(tcp::accept(Arc::clone(&shared), listener, addr));
        }
        Ok((Transports { handle: Arc::new(Handle(shared)) }, receiver))
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.0
    }

    /// The bound addresses (UDP and TCP share each port), in configuration order.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.shared().local.clone()
    }

    /// The local address to advertise (Via sent-by, Contact) for messages to `peer`: the
    /// first listening address of the peer's IP family. An unspecified listening IP
    /// (`0.0.0.0`, `[::]`) is returned as is, for the caller to replace with its public one.
    pub fn local_for(&self, peer: &Peer) -> Option<SocketAddr> {
        self.shared().local_for(peer.addr)
    }

    /// Sends one encoded message.
    ///
    /// UDP: from the listening socket of the peer's family. TCP: on an open connection to
    /// `peer.addr` if there is one, inbound ones included (connection reuse, RFC 3261
    /// §18.2.2, in the spirit of RFC 5923); otherwise connects (5 s timeout) and reads the
    /// new connection like any other, so responses on it arrive. Over TCP, success means
    /// the message is queued for writing, not written. Either way a message longer than
    /// `max_message` is refused with [`TransportError::TooLarge`].
    pub async fn send(&self, peer: &Peer, bytes: Bytes) -> Result<(), TransportError> {
        if bytes.len() > self.shared().config.max_message {
            return Err(TransportError::TooLarge(bytes.len()));
        }
        match peer.protocol {
            Protocol::Udp => udp::send(self.shared(), peer, bytes).await,
            Protocol::Tcp => tcp::send(self.shared(), peer, bytes).await,
        }
    }

    /// Live counters for metrics.
    pub fn stats(&self) -> TransportStats {
        let shared = self.shared();
        TransportStats {
            tcp_connections: shared.open_connections.load(Ordering::Acquire),
            udp_dropped: shared.udp_dropped.load(Ordering::Relaxed),
            frames_rejected: shared.frames_rejected.load(Ordering::Relaxed),
            tcp_refused: shared.tcp_refused.load(Ordering::Relaxed),
        }
    }

    /// Stops all listeners and connections. It returns at once; the tasks stop, releasing
    /// the ports, as soon as the runtime runs them, and the [`Received`] channel ends after
    /// the last. Later sends fail with [`TransportError::Shutdown`]. Dropping the last
    /// handle does the same.
    pub fn shutdown(&self) {
        self.shared().shutdown();
    }
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transports").field("local", &self.shared().local).field("stats", &self.stats()).finish()
    }
}

/// Binds a UDP socket and a TCP listener on the same port of `addr`, returning the address
/// they got.
fn bind_pair(addr: SocketAddr) -> Result<(SocketAddr, Arc<UdpSocket>, tokio::net::TcpListener), TransportError> {
    let bound_addr = |socket: &UdpSocket| socket.local_addr().map_err(|source| TransportError::Bind { addr, source });
    if addr.port() != 0 {
        let socket = udp::bind(addr)?;
        let listener = tcp::listen(addr)?;
        return Ok((bound_addr(&socket)?, Arc::new(socket), listener));
    }
    // The port UDP got may be taken for TCP by someone else: try another.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let socket = udp::bind(addr)?;
        let bound = bound_addr(&socket)?;
        match tcp::listen(bound) {
            Ok(listener) => return Ok((bound, Arc::new(socket), listener)),
            Err(TransportError::Bind { source, .. })
                if source.kind() == io::ErrorKind::AddrInUse && attempts < PORT_ATTEMPTS => {}
            Err(TransportError::Bind { source, .. }) => return Err(TransportError::Bind { addr, source }),
            Err(err) => return Err(err),
        }
    }
}
