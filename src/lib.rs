//! # giftvec
//!
//! Product knowledge for AI gift-recommendation agents: a sidecar that offers typed tools
//! (search, similar products, recommendations, explanations) backed by PostgreSQL + pgvector.
//!
//! # Layout
//!
//! - [`config`]: the command line and environment (`DATABASE_URL`, `GIFTVEC_*`), one clap tree.
//! - [`error`]: the one error type, with a stable snake_case code per kind.
//! - [`embed`]: the embedding service — local MiniLM or OpenAI-compatible providers, batching,
//!   two-level cache, retries, circuit breaker, rate limits, cost and budget.
//! - [`pipeline`]: keeping embeddings in step with the catalog (backfill).
//! - [`search`]: keyword, semantic and hybrid (RRF) search with graceful degradation.
//! - [`recommend`]: shopper events, preference and recipient vectors, the gift recommender
//!   (score, explanations, diversity, exploration, A/B experiments).
//! - [`observe`]: Prometheus metrics — names, the recorder, the database-state sampler — and
//!   processes' CPU time for the load tool.
//! - [`app`]: [`app::App`], the shared state every command and tool is built on.
//! - [`store`]: all SQL — migrations, products, embedding models, embeddings, vector search.
//!   The typed vector API lives here: [`store::Embedding`], [`store::SimilarityOptions`],
//!   [`store::VectorSearchResult`]. Store functions take a [`store::DbRef`]: a pool and how
//!   its connections reach PostgreSQL (directly, or through a transaction pooler).
//! - [`tools`]: the tool catalog — one file per tool (input, output, `call`).
//! - [`transport`]: MCP (rmcp), JSON-RPC (jsonrpsee), HTTP (axum: REST, OpenAPI, probes).
//! - [`catalog`]: catalog files (giftvec's JSON Lines and CSV, Merchant Center, Shopify and
//!   WooCommerce feeds): format detection, field mapping, validation, bulk import, pruning.
//! - [`commands`]: what each `giftvec` subcommand does (`main` stays thin).
//!
//! The dependency rule: domain code never imports a transport.

pub mod app;
pub mod catalog;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod embed;
pub mod error;
pub mod observe;
pub mod pipeline;
pub mod recommend;
pub mod search;
pub mod store;
pub mod tools;
pub mod transport;

pub use error::{Error, Result};
