//! `find_similar_queries`: what people searched that is like a new request.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Tool;
use super::views::{check_limit, default_limit};
use crate::app::App;
use crate::store::queries::{self, PastQuery};
use crate::{Error, Result};

/// The `find_similar_queries` tool.
pub struct FindSimilarQueries;

/// The request to compare.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// A search request, e.g. "gift for a coffee lover" (1 to 1,000 characters).
    pub query: String,
    /// How many past queries, 1 to 100. Default 10.
    #[serde(default = "default_limit")]
    pub limit: u32,
}

/// Past queries, most similar first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// Distinct past queries with their similarity, how often they were searched and how many
    /// results they had.
    pub queries: Vec<PastQuery>,
}

impl Tool for FindSimilarQueries {
    const NAME: &'static str = "find_similar_queries";
    const DESCRIPTION: &'static str = "Find past search requests similar in meaning to a new \
        one, with how often each was searched and how many results it had. Use it to see how \
        others phrased a similar need, or to suggest alternative wordings when a search finds \
        little. Limit 1-100, default 10.";
    const READ_ONLY: bool = true;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let limit = check_limit(input.limit)?;
        let chars = input.query.chars().count();
        if input.query.trim().is_empty() || chars > 1_000 {
            return Err(Error::invalid(
                "query",
                format!("must be 1 to 1000 characters of text, got {chars}"),
            ));
        }
        let out = app
            .embedder
            .embed(std::slice::from_ref(&input.query))
            .await?;
        let embedding = out
            .items
            .into_iter()
            .next()
            .map(|i| i.embedding)
            .expect("one in, one out");
        Ok(Output {
            queries: queries::similar(&app.heavy, &app.model, &embedding, i64::from(limit)).await?,
        })
    }
}
