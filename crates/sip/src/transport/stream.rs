//! One task per stream connection, over any byte stream (TCP now, TLS later), and the
//! registry of open connections by [`Peer`] that lets a response, or any later request,
//! go back over the connection a peer opened (RFC 3261 §18.2.2, RFC 5923).
//!
//! The task reads and writes at once (a peer that stops reading while it writes must not
//! stall our reads), frames what it reads with [`StreamFramer`], answers keep-alive pings,
//! and closes the connection on end of stream, error, framing error, idleness or shutdown.
//! Writes go through a bounded per-connection queue; delivery into the [`Received`]
//! channel waits when the channel is full, which stops this connection reading: TCP's own
//! flow control then pushes back on the peer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;

use super::framing::{Frame, FramingError, StreamFramer};
use super::{lock, stopped, ConnectionSlot, Peer, Received, Shared, TransportError};

/// Messages waiting to be written on one connection.
const WRITE_QUEUE: usize = 256;

/// Bytes asked of the stream per read.
const READ_CHUNK: usize = 16 * 1024;

/// The answer to a CRLFCRLF ping (RFC 5626 §3.5.1).
const PONG: &[u8] = b"\r\n";

/// An open connection as the registry holds it.
pub(super) struct Connection {
    /// Tells this connection from a later one to the same peer, which may replace it.
    id: u64,
    writes: mpsc::Sender<Bytes>,
}

/// What became of a message offered to the registry.
pub(super) enum Queued {
    /// Queued on an open connection.
    Sent,
    /// The peer's connection has a full write queue.
    Full,
    /// No open connection to the peer; the message is handed back.
    NoConnection(Bytes),
}

/// Queues `bytes` on the open connection to `peer`, if there is one.
pub(super) fn queue(shared: &Shared, peer: &Peer, bytes: Bytes) -> Queued {
    let writes = match lock(&shared.connections).get(peer) {
        Some(connection) => connection.writes.clone(),
        None => return Queued::NoConnection(bytes),
    };
    match writes.try_send(bytes) {
        Ok(()) => Queued::Sent,
        Err(TrySendError::Full(_)) => Queued::Full,
        // The connection closed and has not yet left the registry.
        Err(TrySendError::Closed(bytes)) => Queued::NoConnection(bytes),
    }
}

/// Registers a new connection to `peer` (replacing any other to the same peer), queues
/// `first` on it, and starts its task.
pub(super) fn start<S>(
    shared: &Arc<Shared>,
    peer: Peer,
    local: std::net::SocketAddr,
    stream: S,
    slot: ConnectionSlot,
    first: Option<Bytes>,
) -> Result<(), TransportError>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let received = shared.received().ok_or(TransportError::Shutdown)?;
    let (writes, queue) = mpsc::channel(WRITE_QUEUE);
    if let Some(bytes) = first {
        // The queue is new and empty: this cannot fail.
        let _ = writes.try_send(bytes);
    }
    let id = shared.next_connection_id.fetch_add(1, Ordering::Relaxed);
    lock(&shared.connections).insert(peer, Connection { id, writes: writes.clone() });
    let registration = Registration { shared: Arc::clone(shared), peer, id, _slot: slot };
    let ends = Ends { peer, local, received, pongs: writes, idle_timeout: shared.config.idle_timeout };
    tokio::spawn(run(registration, stream, queue, ends));
    Ok(())
}

/// Takes the connection out of the registry and gives back its slot when its task ends,
/// however it ends.
struct Registration {
    shared: Arc<Shared>,
    peer: Peer,
    id: u64,
    _slot: ConnectionSlot,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut connections = lock(&self.shared.connections);
        if connections.get(&self.peer).is_some_and(|c| c.id == self.id) {
            connections.remove(&self.peer);
        }
    }
}

/// What a connection task talks to besides its stream.
struct Ends {
    peer: Peer,
    local: std::net::SocketAddr,
    received: mpsc::Sender<Received>,
    pongs: mpsc::Sender<Bytes>,
    idle_timeout: Duration,
}

/// Why a connection closed, for the log.
enum Closed {
    EndOfStream,
    Io(std::io::Error),
    Framing(FramingError),
    Idle,
    Shutdown,
    /// The [`Received`] channel's receiver is gone: nobody would read what arrives.
    Unheard,
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Closed::EndOfStream => f.write_str("closed by the peer"),
            Closed::Io(err) => write!(f, "I/O error: {err}"),
            Closed::Framing(err) => write!(f, "framing error: {err}"),
            Closed::Idle => f.write_str("idle"),
            Closed::Shutdown => f.write_str("shutdown"),
            Closed::Unheard => f.write_str("nobody reads received messages"),
        }
    }
}

/// Last traffic either way, in milliseconds since the connection started.
struct Activity {
    start: Instant,
    last: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(elapsed, Ordering::Relaxed);
    }

    /// Resolves once there has been no traffic for `timeout`.
    async fn idle(&self, timeout: Duration) {
        loop {
            let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
            let Some(deadline) = self.start.checked_add(last).and_then(|t| t.checked_add(timeout)) else {
                // Too far away to represent: never.
                return std::future::pending().await;
            };
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

async fn run<S>(registration: Registration, stream: S, queue: mpsc::Receiver<Bytes>, ends: Ends)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let shared = &registration.shared;
    let mut stop = shared.stop.subscribe();
    let activity = Activity { start: Instant::now(), last: AtomicU64::new(0) };
    let (reader, writer) = tokio::io::split(stream);
    let closed = tokio::select! {
        closed = read(reader, shared, &ends, &activity) => closed,
        closed = write(writer, queue, &activity) => closed,
        () = activity.idle(ends.idle_timeout) => Closed::Idle,
        () = stopped(&mut stop) => Closed::Shutdown,
    };
    if let Closed::Framing(_) = closed {
        shared.frames_rejected.fetch_add(1, Ordering::Relaxed);
    }
    tracing::debug!(peer = %ends.peer, reason = %closed, "connection closed");
}

async fn read<R: AsyncRead + Unpin>(mut reader: R, shared: &Shared, ends: &Ends, activity: &Activity) -> Closed {
    let mut framer = StreamFramer::new(shared.config.max_message);
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let len = match reader.read(&mut buf).await {
            Ok(0) => return Closed::EndOfStream,
            Ok(len) => len,
            Err(err) => return Closed::Io(err),
        };
        activity.touch();
        let frames = match framer.push(&buf[..len]) {
            Ok(frames) => frames,
            Err(err) => return Closed::Framing(err),
        };
        for frame in frames {
            match frame {
                Frame::Message(bytes) => {
                    let message = Received { peer: ends.peer, local: ends.local, bytes };
                    if ends.received.send(message).await.is_err() {
                        return Closed::Unheard;
                    }
                }
                // A peer pinging faster than we can answer loses pongs, not memory.
                Frame::Ping => {
                    let _ = ends.pongs.try_send(Bytes::from_static(PONG));
                }
            }
        }
        if let Some(err) = framer.error() {
            return Closed::Framing(err.clone());
        }
    }
}

async fn write<W: AsyncWrite + Unpin>(mut writer: W, mut queue: mpsc::Receiver<Bytes>, activity: &Activity) -> Closed {
    // Never `None` in practice: the reader holds a sender for its pongs.
    while let Some(bytes) = queue.recv().await {
        if let Err(err) = writer.write_all(&bytes).await {
            return Closed::Io(err);
        }
        activity.touch();
        // Flushing once the queue is drained is a no-op for TCP; TLS needs it to send the
        // last record.
        if queue.is_empty() {
            if let Err(err) = writer.flush().await {
                return Closed::Io(err);
            }
        }
    }
    Closed::EndOfStream
}
