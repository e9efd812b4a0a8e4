//! The HTTP listeners' accept loop (provisioning API, CRM bridge). axum's own `serve` gives a
//! connection no deadline for its request head, so a client that trickles one (slowloris), or
//! opens connections and sends nothing, would hold them forever. Here every connection has a
//! deadline for each request head (which also ends idle keep-alive connections), the number of
//! open connections is capped, and the rest is hyper's HTTP/1.1 with upgrades (WebSockets).

use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// What one listener allows its clients.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// How long a client has to send a request's head, and how long a kept-alive connection
    /// may wait idle for the next one.
    pub head_timeout: Duration,
    /// Connections open at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// How long connections get to finish their requests at shutdown.
    pub drain: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits { head_timeout: Duration::from_secs(10), max_connections: 1024, drain: Duration::from_secs(5) }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish
/// for up to `limits.drain`. Handlers see the client's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(listener: TcpListener, router: Router, limits: HttpLimits, shutdown: impl Future<Output = ()>) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let (closing_tx, closing) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, most likely: wait instead of spinning on accept.
                    tracing::warn!(%error, "cannot accept an HTTP connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            tracing::debug!(%remote, "too many HTTP connections; closing a new one");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        });
        let mut closing = closing.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.head_timeout);
            let connection =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)).with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%remote, %error, "HTTP connection ended");
                    }
                }
                _ = closing.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    let _ = closing_tx.send(true);
    let everyone = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(limits.drain, open.acquire_many(everyone)).await;
}
