//! `embed_text`: vectors for texts, with the model, token usage and cache hits.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Effects, Tool, Toolset};
use crate::app::App;
use crate::{Error, Result};

/// The `embed_text` tool.
pub struct EmbedText;

/// Most texts per call.
pub const MAX_TEXTS: usize = 256;
/// Longest text, in characters (inputs past the model's token limit are truncated and
/// reported; this bound only stops absurd payloads).
pub const MAX_TEXT_CHARS: usize = 32_000;

/// The texts to embed.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The texts to embed, 1 to 256, each non-empty and at most 32,000 characters. Texts
    /// longer than the model's token limit are cut at the limit (see `truncated`).
    #[schemars(length(min = 1, max = MAX_TEXTS), inner(length(min = 1, max = MAX_TEXT_CHARS)))]
    pub texts: Vec<String>,
}

/// Vectors in input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// Model that made the vectors.
    pub model: String,
    /// Length of each vector.
    pub dimensions: usize,
    /// One unit-length vector per input text, in input order.
    pub embeddings: Vec<Vec<f32>>,
    /// Indexes of the texts that were cut at the model's token limit.
    pub truncated: Vec<usize>,
    /// Tokens in the inputs, as the model counts them.
    pub tokens: u64,
    /// How many texts were served from the cache instead of the model.
    pub cache_hits: usize,
}

impl Tool for EmbedText {
    const NAME: &'static str = "embed_text";
    const DESCRIPTION: &'static str = "Turn texts into embedding vectors with the sidecar's \
        embedding model (unit length; compare them with a dot product). Returns the model, the \
        vector length, one vector per text in order, which texts were cut at the model's token \
        limit, token usage and cache hits. To find products, use search_products instead. 1-256 \
        texts of up to 32,000 characters.";
    const TITLE: &'static str = "Embed text";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Ops;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        call(app, input).await
    }
}

/// Checks the input, embeds, and reports.
pub async fn call(app: &App, input: Input) -> Result<Output> {
    validate(&input)?;
    let out = app.embedder.embed(&input.texts).await?;
    Ok(Output {
        truncated: (0..out.items.len())
            .filter(|&i| out.items[i].truncated)
            .collect(),
        tokens: out.items.iter().map(|i| u64::from(i.tokens)).sum(),
        cache_hits: out.cache_hits(),
        embeddings: out.items.into_iter().map(|i| i.embedding.into()).collect(),
        model: out.model,
        dimensions: out.dimensions,
    })
}

fn validate(input: &Input) -> Result<()> {
    match input.texts.iter().position(|text| text.trim().is_empty()) {
        Some(i) => Err(Error::invalid(
            format!("texts[{i}]"),
            "is empty; give some text to embed",
        )),
        None => Ok(()),
    }
}
