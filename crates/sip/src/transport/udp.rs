//! UDP (RFC 3261 §18.1.1, §18.2.1): one datagram is one message.
//!
//! One receive task per socket. A datagram longer than the limit, or arriving while the
//! channel is full, is dropped and counted rather than buffered: a flood must cost
//! nothing but the dropped datagrams. Whitespace-only datagrams are keep-alives (RFC 5626
//! §4.4.1 sends CRLFCRLF over UDP too, though STUN is what it asks to be answered) and are
//! dropped silently. Sends leave from the listening socket, so a response comes back to
//! the port advertised in Via.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use socket2::{Domain, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use super::{lock, stopped, Peer, Protocol, Received, Shared, TransportError};

/// The largest UDP payload there is (IPv6 without jumbograms); a bigger receive buffer
/// would never fill, whatever `max_message` says.
const MAX_DATAGRAM: usize = 65_535;

/// Pause after an unexpected receive error, so a socket in a bad state cannot spin a core.
const ERROR_PAUSE: Duration = Duration::from_millis(10);

/// Binds a UDP socket; an IPv6 one takes IPv6 only, so `0.0.0.0` and `[::]` can share a port.
pub(super) fn bind(addr: SocketAddr) -> Result<UdpSocket, TransportError> {
    let bind_error = |source| TransportError::Bind { addr, source };
    let socket =
        Socket::new(Domain::for_address(addr), Type::DGRAM, Some(socket2::Protocol::UDP)).map_err(bind_error)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true).map_err(bind_error)?;
    }
    socket.set_nonblocking(true).map_err(bind_error)?;
    socket.bind(&addr.into()).map_err(bind_error)?;
    UdpSocket::from_std(socket.into()).map_err(bind_error)
}

/// Receives datagrams on `socket` (bound to `local`) until shutdown or until the channel's
/// receiver is gone.
pub(super) async fn receive(
    shared: Arc<Shared>,
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    received: mpsc::Sender<Received>,
) {
    let mut stop = shared.stop.subscribe();
    let max_message = shared.config.max_message;
    // One byte more than allowed, to tell a datagram of exactly the limit from a longer one
    // the kernel truncated.
    let mut buf = vec![0u8; max_message.min(MAX_DATAGRAM) + 1];
    loop {
        let result = tokio::select! {
            result = socket.recv_from(&mut buf) => result,
            () = stopped(&mut stop) => return,
        };
        let (len, from) = match result {
            Ok(got) => got,
            // An ICMP port unreachable answering an earlier send: news about that send, not
            // about this socket.
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
                ) =>
            {
                tracing::debug!(%local, error = %err, "UDP peer unreachable");
                continue;
            }
            Err(err) => {
                tracing::warn!(%local, error = %err, "UDP receive failed");
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
        let datagram = &buf[..len];
        if len > max_message {
            shared.udp_dropped.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%local, %from, "UDP datagram over {max_message} bytes dropped");
            continue;
        }
        if datagram.iter().all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t')) {
            continue;
        }
        let message = Received {
            peer: Peer { protocol: Protocol::Udp, addr: from },
            local,
            bytes: Bytes::copy_from_slice(datagram),
        };
        match received.try_send(message) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                shared.udp_dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Closed(_)) => return,
        }
    }
}

/// Sends one datagram from the listening socket of the peer's IP family.
pub(super) async fn send(shared: &Shared, peer: &Peer, bytes: Bytes) -> Result<(), TransportError> {
    let socket = {
        let live = lock(&shared.live);
        let live = live.as_ref().ok_or(TransportError::Shutdown)?;
        let found = live.udp.iter().find(|(local, _)| local.is_ipv4() == peer.addr.is_ipv4());
        Arc::clone(&found.ok_or(TransportError::NoRoute(*peer))?.1)
    };
    socket.send_to(&bytes, peer.addr).await?;
    Ok(())
}
