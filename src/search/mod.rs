//! Search: keyword, semantic and hybrid (Reciprocal Rank Fusion of the two), with graceful
//! degradation to keyword search when the embedder cannot serve.

pub mod fusion;
pub mod products;
