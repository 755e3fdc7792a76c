//! Integration tests against a real PostgreSQL 18 + pgvector (the embedded dev database:
//! `tools/test` starts it and sets DATABASE_URL). `#[sqlx::test]` gives each test a fresh
//! database with the migrations applied (or none, where the test says `migrations = false`).

mod cli;
mod common;
mod import;
mod migrations;
mod search;
mod vectors;
