//! A listener beyond loopback without a token would open every tool to whoever reaches the
//! address (in a pod: every other pod; with the widget: shoppers' browsers). `giftvec serve`
//! refuses to start that way unless told `--allow-unauthenticated`, and then says so in the
//! log every minute for as long as it runs.

use std::net::SocketAddr;
use std::time::Duration;

use crate::{Error, Result};

/// How often an unauthenticated network listener is reported.
const REMIND_EVERY: Duration = Duration::from_secs(60);

/// Refuses a non-loopback `listen` without an agent token, unless `allow_unauthenticated`.
pub fn check(listen: SocketAddr, has_token: bool, allow_unauthenticated: bool) -> Result<()> {
    if has_token || listen.ip().is_loopback() || allow_unauthenticated {
        return Ok(());
    }
    Err(Error::Setup(format!(
        "refusing to listen on {listen} without a token: anyone who can reach that address \
         could call every tool. Set GIFTVEC_AUTH_TOKEN (agents send it as `Authorization: \
         Bearer <token>`), listen on 127.0.0.1, or pass --allow-unauthenticated \
         (GIFTVEC_ALLOW_UNAUTHENTICATED=true) if the network is yours alone"
    )))
}

/// Logs a warning now and every minute while `listen` serves without a token beyond
/// loopback; does nothing otherwise.
pub fn remind(listen: SocketAddr, has_token: bool) -> Option<tokio::task::JoinHandle<()>> {
    if has_token || listen.ip().is_loopback() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut every = tokio::time::interval(REMIND_EVERY);
        loop {
            every.tick().await;
            tracing::warn!(
                listen = %listen,
                "serving beyond loopback WITHOUT a token (--allow-unauthenticated): anyone \
                 who reaches this address can call every tool; set GIFTVEC_AUTH_TOKEN"
            );
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_may_go_without_a_token() {
        let any: SocketAddr = "0.0.0.0:7070".parse().unwrap();
        let pod: SocketAddr = "10.0.0.7:7070".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:7070".parse().unwrap();
        let local6: SocketAddr = "[::1]:7070".parse().unwrap();
        let err = check(any, false, false).unwrap_err().to_string();
        assert!(err.contains("GIFTVEC_AUTH_TOKEN") && err.contains("--allow-unauthenticated"));
        assert!(check(pod, false, false).is_err());
        assert!(check(any, true, false).is_ok());
        assert!(check(any, false, true).is_ok());
        assert!(check(local, false, false).is_ok());
        assert!(check(local6, false, false).is_ok());
    }
}
