//! Calls per second per caller, by scope (the MCP specification asks servers to rate-limit
//! tool calls). A caller is a scope (what its token opened: agent, ops or widget) and the
//! address it calls from; each scope has its own rate (`GIFTVEC_AGENT_CALLS_PER_SEC`,
//! `GIFTVEC_OPS_CALLS_PER_SEC`, `GIFTVEC_WIDGET_CALLS_PER_SEC`; 0: unlimited) and allows
//! bursts of twice that. Tool calls over MCP and JSON-RPC (each call of a batch, each
//! message on a WebSocket) and REST requests are counted; a call over the limit gets
//! `rate_limited` with how long to wait, and nothing runs.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::auth::Scope;
use crate::Error;

/// Calls per second per caller, by scope; 0 is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    /// Callers with the agent token (or on an open listener).
    pub agent: u32,
    /// Callers with the ops token.
    pub ops: u32,
    /// Browsers with the public widget key, per address.
    pub widget: u32,
}

impl Rates {
    /// No limits (tests, benchmarks).
    pub const UNLIMITED: Rates = Rates {
        agent: 0,
        ops: 0,
        widget: 0,
    };

    fn of(&self, scope: Scope) -> u32 {
        match scope {
            Scope::Agent => self.agent,
            Scope::Ops => self.ops,
            Scope::Widget => self.widget,
        }
    }
}

/// One limiter per scope, keyed by the caller's address.
struct Limiter {
    per_second: u32,
    burst: u32,
    keyed: DefaultKeyedRateLimiter<IpAddr>,
}

/// The listener's limiters.
pub struct CallerLimits {
    limiters: [Option<Limiter>; 3],
    clock: DefaultClock,
    checks: AtomicU64,
}

/// How often (in checks) the state of callers that have been quiet long enough to be back
/// at a full burst is dropped, so that many addresses do not grow memory for ever.
const SWEEP_EVERY: u64 = 4096;

impl CallerLimits {
    /// Limiters at `rates`.
    pub fn new(rates: Rates) -> Arc<Self> {
        let limiter = |scope: Scope| {
            NonZeroU32::new(rates.of(scope)).map(|per_second| {
                let burst = per_second.saturating_mul(NonZeroU32::new(2).expect("2 > 0"));
                Limiter {
                    per_second: per_second.get(),
                    burst: burst.get(),
                    keyed: RateLimiter::dashmap(Quota::per_second(per_second).allow_burst(burst)),
                }
            })
        };
        Arc::new(Self {
            limiters: [
                limiter(Scope::Agent),
                limiter(Scope::Ops),
                limiter(Scope::Widget),
            ],
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        })
    }

    /// Admits one call of `caller`, or says how long it must wait.
    fn admit(&self, scope: Scope, address: IpAddr) -> Result<(), Error> {
        let Some(limiter) = &self.limiters[scope as usize] else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.keyed.retain_recent();
            limiter.keyed.shrink_to_fit();
        }
        limiter.keyed.check_key(&address).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            Error::RateLimited {
                per_second: limiter.per_second,
                burst: limiter.burst,
                retry_after_ms: (wait.as_millis() as u64).max(1),
            }
        })
    }
}

/// Who is calling, as the token middleware found it: travels with the request (and into
/// JSON-RPC and MCP handlers) as an extension.
#[derive(Clone)]
pub struct Caller {
    /// What the caller's token opened.
    pub scope: Scope,
    /// Where it calls from (the client address, or the one the trusted proxies name).
    pub address: IpAddr,
    limits: Arc<CallerLimits>,
}

impl Caller {
    /// `scope` calling from `address`, counted in `limits`.
    pub fn new(scope: Scope, address: Option<IpAddr>, limits: Arc<CallerLimits>) -> Self {
        Self {
            scope,
            address: address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            limits,
        }
    }

    /// Counts one call; `Err(rate_limited)` when over the scope's rate.
    pub fn admit(&self) -> Result<(), Error> {
        self.limits.admit(self.scope, self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scope_and_address_has_its_own_budget() {
        let limits = CallerLimits::new(Rates {
            agent: 2,
            ops: 0,
            widget: 1,
        });
        let here = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let there = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)));
        let agent = Caller::new(Scope::Agent, here, limits.clone());
        for _ in 0..4 {
            agent.admit().expect("a burst of twice the rate");
        }
        match agent.admit() {
            Err(Error::RateLimited {
                per_second: 2,
                burst: 4,
                retry_after_ms,
            }) => assert!((1..=500).contains(&retry_after_ms), "{retry_after_ms}"),
            other => panic!("{other:?}"),
        }
        let shopper = Caller::new(Scope::Widget, here, limits.clone());
        let other_shopper = Caller::new(Scope::Widget, there, limits.clone());
        shopper.admit().unwrap();
        shopper.admit().unwrap();
        assert!(shopper.admit().is_err());
        other_shopper
            .admit()
            .expect("another address is another caller");
        let ops = Caller::new(Scope::Ops, here, limits);
        for _ in 0..1000 {
            ops.admit().expect("0 is unlimited");
        }
    }
}
