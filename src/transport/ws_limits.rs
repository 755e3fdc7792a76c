//! WebSocket connections to `/rpc` have limits of their own. jsonrpsee counts an open
//! WebSocket against the same connection limit as an HTTP call for as long as it stays open,
//! so idle sockets could lock JSON-RPC over HTTP out; here WebSockets get their own cap
//! (`GIFTVEC_MAX_WS_CONNECTIONS`), pings that drop peers that stopped answering, and an idle
//! timeout (`GIFTVEC_WS_IDLE_SECS`): a socket that sent no request for that long is closed
//! (a browser answers pings by itself, so pings alone never end an idle one).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jsonrpsee::core::middleware::{Batch, Notification, RpcServiceT};
use jsonrpsee::server::{ServerHandle, StopHandle};
use jsonrpsee::types::Request;

/// When a connection last received a request, as milliseconds since it opened.
#[derive(Debug)]
pub struct Activity {
    opened: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    /// A connection opened now.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
        })
    }

    fn touch(&self) {
        let now = self.opened.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    /// How long since the last request (or since the connection opened).
    pub fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }
}

/// An RPC middleware that records each request on the connection's [`Activity`].
#[derive(Clone)]
pub struct Touch<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Touch<S> {
    /// `inner`, recording each request on `activity`.
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<S> RpcServiceT for Touch<S>
where
    S: RpcServiceT + Send + Sync + Clone + 'static,
{
    type MethodResponse = S::MethodResponse;
    type NotificationResponse = S::NotificationResponse;
    type BatchResponse = S::BatchResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        self.activity.touch();
        let inner = self.inner.clone();
        async move { inner.call(request).await }
    }

    fn batch<'a>(
        &self,
        requests: Batch<'a>,
    ) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        self.activity.touch();
        let inner = self.inner.clone();
        async move { inner.batch(requests).await }
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.activity.touch();
        let inner = self.inner.clone();
        async move { inner.notification(n).await }
    }
}

/// A stop handle for one WebSocket connection that closes it once it has been idle for
/// `idle_limit`. The watchdog ends with the connection (when nothing else holds its
/// [`Activity`]) or when it closes it.
pub fn idle_stop(activity: &Arc<Activity>, idle_limit: Duration) -> StopHandle {
    let (stop, handle) = jsonrpsee::server::stop_channel();
    let watched = Arc::downgrade(activity);
    tokio::spawn(watchdog(watched, handle, idle_limit));
    stop
}

async fn watchdog(activity: std::sync::Weak<Activity>, handle: ServerHandle, idle_limit: Duration) {
    let check = (idle_limit / 4).clamp(Duration::from_millis(50), Duration::from_secs(15));
    loop {
        tokio::time::sleep(check).await;
        let Some(activity) = activity.upgrade() else {
            return; // the connection is gone
        };
        if activity.idle() >= idle_limit {
            tracing::debug!(
                idle_ms = activity.idle().as_millis() as u64,
                "closing an idle WebSocket"
            );
            let _ = handle.stop();
            return;
        }
    }
}
