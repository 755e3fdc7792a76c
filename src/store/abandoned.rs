//! Database work of a call nobody waits for any more. A cancelled or timed-out tool call is
//! dropped with its futures, but a statement already sent keeps running in PostgreSQL, and
//! sqlx, on taking the connection back, would wait for it to finish. So a call that is dropped
//! unfinished says so ([`mark`]); for a moment after that, a connection coming back to a pool
//! that does not answer a ping at once is closed instead of kept ([`keep_on_release`]), and
//! PostgreSQL, which checks the client's socket every `client_connection_check_interval`
//! while a statement runs, ends that statement and its backend.
//!
//! The mark is process-wide: the pool hooks see a connection, not the call that used it, and
//! a spare ping in the moment after an abandoned call costs one round trip.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use sqlx::{Connection, PgConnection};

/// How long after an abandoned call released connections are checked.
const WINDOW: Duration = Duration::from_secs(2);

/// How long a released connection may take to answer the ping before it counts as still
/// busy with an abandoned statement. A ready connection answers in well under a millisecond;
/// the margin keeps a loaded database's healthy connections from being closed (which would
/// cost a reconnect, not a wrong answer).
const PING_WAIT: Duration = Duration::from_millis(200);

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Milliseconds after [`EPOCH`] of the last abandoned call, plus one (0: none yet).
static LAST_ABANDONED: AtomicU64 = AtomicU64::new(0);

fn now_ms() -> u64 {
    EPOCH.elapsed().as_millis() as u64 + 1
}

/// Records that a call was dropped before it finished (cancelled, timed out, or its client
/// went away). Call it before the call's futures are dropped.
pub fn mark() {
    LAST_ABANDONED.store(now_ms(), Ordering::Relaxed);
}

fn recently_abandoned() -> bool {
    let last = LAST_ABANDONED.load(Ordering::Relaxed);
    last != 0 && now_ms().saturating_sub(last) <= WINDOW.as_millis() as u64
}

/// The pools' `after_release` hook: keep the connection unless a call was abandoned a moment
/// ago and this connection is still busy (it does not answer a ping within [`PING_WAIT`]).
pub fn keep_on_release(conn: &mut PgConnection) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        if !recently_abandoned() {
            return Ok(true);
        }
        let ready = matches!(
            tokio::time::timeout(PING_WAIT, conn.ping()).await,
            Ok(Ok(()))
        );
        if !ready {
            tracing::debug!("closing a connection an abandoned call left mid-statement");
        }
        Ok(ready)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_is_recent_for_the_window_only() {
        mark();
        assert!(recently_abandoned());
        let window = WINDOW.as_millis() as u64;
        // A mark older than the window (or, this early in the process, none at all).
        LAST_ABANDONED.store(now_ms().saturating_sub(window + 10), Ordering::Relaxed);
        assert!(!recently_abandoned());
    }
}
