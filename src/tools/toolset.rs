//! Toolsets: which tools a listener offers. A gift agent mid-conversation needs the `agent`
//! tools only; the `ops` tools (embeddings, queue status, analytics, experiments) are for
//! operators and the eval harness. Every tool they do not need costs the agent tokens on each
//! turn (the tool list is sent with every model request), so a listener offers `agent` unless
//! configured otherwise (`GIFTVEC_TOOLSETS`).

use std::fmt;
use std::str::FromStr;

/// The group a tool belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toolset {
    /// What a gift agent calls mid-conversation: search, similar, get, recommend, explain,
    /// diversify, record_event and the recipient tools.
    Agent,
    /// Operators and evals: embed_text, embedding_status, search_stats, find_similar_queries,
    /// experiment_report.
    Ops,
}

/// The toolsets a listener offers (`agent`, `ops`, `all`, or a comma list such as
/// `agent,ops`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toolsets {
    agent: bool,
    ops: bool,
}

impl Toolsets {
    /// Every tool.
    pub const ALL: Toolsets = Toolsets {
        agent: true,
        ops: true,
    };
    /// The agent tools only (the default).
    pub const AGENT: Toolsets = Toolsets {
        agent: true,
        ops: false,
    };

    /// Whether tools of `set` are offered.
    pub fn offers(self, set: Toolset) -> bool {
        match set {
            Toolset::Agent => self.agent,
            Toolset::Ops => self.ops,
        }
    }
}

impl Default for Toolsets {
    fn default() -> Self {
        Self::AGENT
    }
}

impl FromStr for Toolsets {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut sets = Toolsets {
            agent: false,
            ops: false,
        };
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "agent" => sets.agent = true,
                "ops" => sets.ops = true,
                "all" => sets = Self::ALL,
                other => {
                    return Err(format!(
                        "unknown toolset {other:?}; use agent, ops or all (comma-separated)"
                    ));
                }
            }
        }
        if !(sets.agent || sets.ops) {
            return Err("name at least one toolset: agent, ops or all".into());
        }
        Ok(sets)
    }
}

impl fmt::Display for Toolsets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.agent, self.ops) {
            (true, true) => f.write_str("all"),
            (true, false) => f.write_str("agent"),
            _ => f.write_str("ops"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_ones_are_refused() {
        assert_eq!("agent".parse(), Ok(Toolsets::AGENT));
        assert_eq!("all".parse(), Ok(Toolsets::ALL));
        assert_eq!("agent, ops".parse(), Ok(Toolsets::ALL));
        let ops: Toolsets = "ops".parse().unwrap();
        assert!(ops.offers(Toolset::Ops) && !ops.offers(Toolset::Agent));
        assert!("admin".parse::<Toolsets>().unwrap_err().contains("admin"));
        assert!("".parse::<Toolsets>().is_err());
    }
}
