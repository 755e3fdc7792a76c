//! `find_similar_queries`: what people searched that is like a new request.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::search_products::MAX_QUERY_CHARS;
use super::views::{MAX_LIMIT, default_limit};
use super::{Effects, Tool, Toolset};
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
    #[schemars(length(min = 1, max = MAX_QUERY_CHARS))]
    pub query: String,
    /// How many past queries, 1 to 100. Default 10.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = MAX_LIMIT))]
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
    const TITLE: &'static str = "Find similar past searches";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Ops;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let limit = input.limit;
        if input.query.trim().is_empty() {
            return Err(Error::invalid("query", "must be text, not blank"));
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
            queries: queries::similar(
                &app.heavy,
                &app.model,
                &embedding,
                i64::from(limit),
                queries::Provenance::Any,
            )
            .await?,
        })
    }
}
