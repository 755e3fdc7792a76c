//! Search: keyword, semantic and hybrid (Reciprocal Rank Fusion of the two), optional query
//! expansion and a personal re-rank, with graceful degradation to keyword search when the
//! embedder cannot serve.

pub mod category_vote;
pub mod common_terms;
pub mod expansion;
pub mod fusion;
pub mod interpret;
pub mod personal;
pub mod products;
pub mod rewrite;
pub mod settings;

pub use settings::{ChatSettings, ExpansionSettings, SearchSettings};
