//! Keeping embeddings in step with the catalog. For now: the backfill.

pub mod backfill;
