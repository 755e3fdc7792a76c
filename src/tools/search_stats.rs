//! `search_stats`: search volume, failures to find anything, top queries and latency.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Effects, Tool, Toolset};
use crate::Result;
use crate::app::App;
use crate::store::queries::{self, SearchStats};

/// The `search_stats` tool.
pub struct SearchStatsTool;

/// The window.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Look back this many hours, 1 to 720 (30 days). Default 24.
    #[serde(default = "default_window")]
    #[schemars(range(min = 1, max = 720))]
    pub window_hours: u32,
}

fn default_window() -> u32 {
    24
}

impl Tool for SearchStatsTool {
    const NAME: &'static str = "search_stats";
    const DESCRIPTION: &'static str = "Report search analytics over a recent window: number \
        of searches, the share that found nothing, median and 95th-percentile latency in \
        milliseconds, searches per mode, and the most frequent queries with how often each \
        found nothing. Use it to spot gaps in the catalog or slow searches.";
    const TITLE: &'static str = "Search statistics";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Ops;
    type Input = Input;
    type Output = SearchStats;

    async fn call(app: &App, input: Input) -> Result<SearchStats> {
        queries::stats(&app.heavy, input.window_hours).await
    }
}
