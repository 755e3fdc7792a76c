//! Keeping embeddings in step with the catalog: database triggers queue a job for every
//! relevant product change (see the `embedding_jobs` migration), [`worker`]s embed them, and
//! [`backfill`] embeds whatever has no current embedding.

pub mod backfill;
pub mod status;
pub mod worker;
