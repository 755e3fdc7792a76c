//! `search_stats`: search volume, failures to find anything, top queries and latency.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Tool;
use crate::app::App;
use crate::store::queries::{self, SearchStats};
use crate::{Error, Result};

/// The `search_stats` tool.
pub struct SearchStatsTool;

/// The window.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Look back this many hours, 1 to 720 (30 days). Default 24.
    #[serde(default = "default_window")]
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
    const READ_ONLY: bool = true;
    type Input = Input;
    type Output = SearchStats;

    async fn call(app: &App, input: Input) -> Result<SearchStats> {
        if !(1..=720).contains(&input.window_hours) {
            return Err(Error::invalid(
                "window_hours",
                format!("must be between 1 and 720, got {}", input.window_hours),
            ));
        }
        queries::stats(&app.heavy, input.window_hours).await
    }
}
