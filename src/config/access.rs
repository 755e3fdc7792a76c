//! Who may call the listener beyond the agent and ops tokens, and how often.

use clap::Args;
use secrecy::SecretString;

use super::parse_secret;

/// The widget key, per-caller rate limits and trusted proxies (`giftvec serve`).
#[derive(Debug, Clone, Args)]
pub struct AccessArgs {
    /// A public key for shop pages that embed the "You might also like" widget (it sends it
    /// as a bearer token): it opens only similar products and anonymous view and click
    /// events, never the tools or other routes. Not a secret: it is in the page.
    #[arg(long, env = "GIFTVEC_WIDGET_KEY", hide_env_values = true, value_parser = parse_secret)]
    pub widget_key: Option<SecretString>,

    /// Tool calls (and REST requests) per second one agent caller may make, in bursts of
    /// twice that; 0: unlimited. A caller is a token's scope and the address it calls from.
    /// An agent makes a few calls per conversation turn: the default stops a runaway loop or
    /// script, never a conversation.
    #[arg(long, env = "GIFTVEC_AGENT_CALLS_PER_SEC", default_value_t = 1000)]
    pub agent_calls_per_sec: u32,

    /// Calls per second one ops-token caller may make (bursts of twice that); 0: unlimited.
    #[arg(long, env = "GIFTVEC_OPS_CALLS_PER_SEC", default_value_t = 1000)]
    pub ops_calls_per_sec: u32,

    /// Requests per second one shopper's browser may make with the widget key (bursts of
    /// twice that); 0: unlimited.
    #[arg(long, env = "GIFTVEC_WIDGET_CALLS_PER_SEC", default_value_t = 10)]
    pub widget_calls_per_sec: u32,

    /// Proxies (ingress, load balancer) in front of the listener that append the client's
    /// address to `X-Forwarded-For`: rate limits then count per the address the farthest
    /// trusted one saw. 0 (default): the connection's address is the client's, and the
    /// header is ignored (anyone can write it).
    #[arg(long, env = "GIFTVEC_TRUSTED_PROXY_HOPS", default_value_t = 0,
          value_parser = clap::value_parser!(u8).range(0..=8))]
    pub trusted_proxy_hops: u8,
}
