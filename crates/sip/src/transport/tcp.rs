//! TCP (RFC 3261 §18): listening, accepting within the connection limit, and connecting
//! out. What happens on a connection once it is open is `stream`'s business, shared with
//! TLS to come.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use socket2::{Domain, Socket, Type};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::stream::{self, Queued};
use super::{stopped, Peer, Protocol, Shared, TransportError};

/// How long an outbound connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Pending connections the kernel holds for us before `accept`.
const BACKLOG: i32 = 1024;

/// Pause after an accept error that is not about one connection (out of file descriptors,
/// typically), so the loop does not spin while the condition lasts.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Binds a TCP listener; an IPv6 one takes IPv6 only, like its UDP sibling.
pub(super) fn listen(addr: SocketAddr) -> Result<TcpListener, TransportError> {
    let bind_error = |source| TransportError::Bind { addr, source };
    let socket =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(socket2::Protocol::TCP)).map_err(bind_error)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true).map_err(bind_error)?;
    }
    // A restart must not wait for the last run's connections to leave TIME_WAIT. (On
    // Windows the option would let another process steal the port instead.)
    #[cfg(unix)]
    socket.set_reuse_address(true).map_err(bind_error)?;
    socket.set_nonblocking(true).map_err(bind_error)?;
    socket.bind(&addr.into()).map_err(bind_error)?;
    socket.listen(BACKLOG).map_err(bind_error)?;
    TcpListener::from_std(socket.into()).map_err(bind_error)
}

/// Accepts connections on `listener` (bound to `local`) until shutdown.
pub(super) async fn accept(shared: Arc<Shared>, listener: TcpListener, local: SocketAddr) {
    let mut stop = shared.stop.subscribe();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stop) => return,
        };
        let (stream, from) = match accepted {
            Ok(accepted) => accepted,
            // The connection died in the queue: nothing wrong with the listener.
            Err(err) if matches!(err.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) => {
                continue
            }
            Err(err) => {
                tracing::warn!(%local, error = %err, "TCP accept failed");
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        let Some(slot) = shared.reserve_connection() else {
            shared.tcp_refused.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%from, "TCP connection refused: {} open", shared.config.max_connections);
            continue;
        };
        // SIP sends whole messages and waits for answers: Nagle would only delay them.
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().unwrap_or(local);
        let peer = Peer { protocol: Protocol::Tcp, addr: from };
        if stream::start(&shared, peer, local, stream, slot, None).is_err() {
            return;
        }
    }
}

/// Sends over an open connection to the peer, or over a new one.
pub(super) async fn send(shared: &Arc<Shared>, peer: &Peer, bytes: Bytes) -> Result<(), TransportError> {
    let bytes = match stream::queue(shared, peer, bytes) {
        Queued::Sent => return Ok(()),
        Queued::Full => return Err(TransportError::Congested(*peer)),
        Queued::NoConnection(bytes) => bytes,
    };
    if !shared.is_live() {
        return Err(TransportError::Shutdown);
    }
    let listening = shared.local_for(peer.addr).ok_or(TransportError::NoRoute(*peer))?;
    let slot = shared.reserve_connection().ok_or(TransportError::TooManyConnections)?;
    let stream = connect(listening.ip(), peer.addr).await?;
    let local = stream.local_addr()?;
    // Should a concurrent send have connected too, this newer connection replaces the other
    // in the registry; the other still lives and is read until it idles out.
    stream::start(shared, *peer, local, stream, slot, Some(bytes))
}

/// Connects from the listening IP (when it is a specific one), so the far end sees the
/// address Switchboard advertises.
async fn connect(local_ip: IpAddr, remote: SocketAddr) -> Result<TcpStream, TransportError> {
    let socket = if remote.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if !local_ip.is_unspecified() {
        socket.bind(SocketAddr::new(local_ip, 0))?;
    }
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(remote))
        .await
        .map_err(|_| TransportError::ConnectTimeout(remote))??;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}
