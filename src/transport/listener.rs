//! The accept loop of the HTTP listener, on hyper-util's HTTP/1 + HTTP/2 connection builder
//! with a timer, so that a client that never finishes its request headers is dropped
//! (`header_timeout`; axum's own loop sets no timer, and a slow client could hold a
//! connection open forever). WebSocket upgrades are served; on shutdown every connection is
//! asked to finish its in-flight requests, for at most the grace period.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Time limits of the listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// How long in-flight requests may take to finish after the shutdown signal.
    pub shutdown_grace: Duration,
}

/// Puts the client's address on each request of its connection.
fn with_peer<B>(peer: SocketAddr) -> impl FnMut(Request<B>) -> Request<B> + Clone {
    move |mut request| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
pub async fn run(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, do not spin or stop.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small writes (WebSocket frames, MCP's event-stream chunks) must not wait for
        // Nagle's algorithm and the peer's delayed ACK: ~40 ms a call on loopback without it.
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
        // The client's address, for per-caller rate limits.
        let service = router.clone().map_request(with_peer(peer));
        let service = TowerToHyperService::new(service);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(tcp), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("shutdown grace period over; dropping unfinished calls");
        }
    }
    Ok(())
}
