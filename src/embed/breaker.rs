//! The circuit breaker: after `threshold` consecutive provider faults, calls are refused for a
//! cool-down; then one probe call decides whether the circuit closes again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Circuit-breaker state, as callers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Calls flow.
    Closed,
    /// Calls are refused until the cool-down ends.
    Open,
    /// The cool-down ended; one probe call decides.
    HalfOpen,
}

/// Opens after `threshold` consecutive provider faults; after `cooldown` lets one probe through;
/// closes on its success, re-opens on its failure.
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<BreakerState>,
}

#[derive(Default)]
struct BreakerState {
    consecutive_failures: u32,
    opened_at: Option<Instant>,
    probing: bool,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(BreakerState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current state.
    pub fn state(&self) -> CircuitState {
        let state = self.lock();
        match state.opened_at {
            None => CircuitState::Closed,
            Some(at) if at.elapsed() < self.cooldown => CircuitState::Open,
            Some(_) => CircuitState::HalfOpen,
        }
    }

    /// Asks to make a call: `Err(wait)` while open (or while another probe runs). Hold the
    /// permit for the call: a probe dropped without a verdict (its call was cancelled, say)
    /// lets the next caller probe instead of keeping the circuit half-open for good.
    pub(super) fn permit(&self) -> Result<Permit<'_>, Duration> {
        let mut state = self.lock();
        let probe = match state.opened_at {
            None => false,
            Some(at) if at.elapsed() < self.cooldown => return Err(self.cooldown - at.elapsed()),
            Some(_) if state.probing => return Err(Duration::from_secs(1)),
            Some(_) => {
                state.probing = true;
                true
            }
        };
        Ok(Permit {
            breaker: self,
            probe,
        })
    }

    pub(super) fn on_success(&self) {
        *self.lock() = BreakerState::default();
    }

    pub(super) fn on_failure(&self) {
        let mut state = self.lock();
        state.consecutive_failures += 1;
        if state.probing || state.consecutive_failures >= self.threshold {
            if state.opened_at.is_none() || state.probing {
                tracing::warn!(
                    failures = state.consecutive_failures,
                    "embedding circuit opened"
                );
            }
            state.opened_at = Some(Instant::now());
            state.probing = false;
        }
    }

    /// Ends a probe that neither succeeded nor failed (e.g. refused by a rate limit), so the
    /// next caller may probe.
    pub(super) fn release(&self) {
        self.lock().probing = false;
    }
}

/// A call the breaker let through (see [`CircuitBreaker::permit`]).
pub(super) struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    probe: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        // After a verdict (on_success / on_failure) no probe is running any more; without one,
        // this ends the probe so that another caller may make it.
        if self.probe {
            self.breaker.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_probes_and_closes() {
        let breaker = CircuitBreaker::new(3, Duration::from_millis(30));
        for _ in 0..2 {
            breaker.on_failure();
        }
        assert_eq!(breaker.state(), CircuitState::Closed);
        breaker.on_failure();
        assert_eq!(breaker.state(), CircuitState::Open);
        assert!(breaker.permit().is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        let probe = breaker.permit();
        assert!(probe.is_ok(), "one probe");
        assert!(breaker.permit().is_err(), "only one probe at a time");
        breaker.on_failure();
        drop(probe);
        assert_eq!(
            breaker.state(),
            CircuitState::Open,
            "a failed probe re-opens"
        );
        std::thread::sleep(Duration::from_millis(40));
        assert!(breaker.permit().is_ok());
        breaker.on_success();
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert!(breaker.permit().is_ok());
    }

    #[test]
    fn a_probe_dropped_without_a_verdict_lets_the_next_caller_probe() {
        let breaker = CircuitBreaker::new(1, Duration::from_millis(10));
        breaker.on_failure();
        std::thread::sleep(Duration::from_millis(20));
        let probe = breaker.permit();
        assert!(probe.is_ok());
        assert!(breaker.permit().is_err());
        drop(probe);
        assert!(
            breaker.permit().is_ok(),
            "the cancelled probe is not waited for"
        );
    }

    #[test]
    fn a_success_resets_the_failure_count() {
        let breaker = CircuitBreaker::new(2, Duration::from_secs(60));
        breaker.on_failure();
        breaker.on_success();
        breaker.on_failure();
        assert_eq!(breaker.state(), CircuitState::Closed);
    }
}
