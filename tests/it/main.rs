//! Integration tests against a real PostgreSQL 18 + pgvector (the embedded dev database:
//! `tools/test` starts it and sets DATABASE_URL). `#[sqlx::test]` gives each test a fresh
//! database with the migrations applied (or none, where the test says `migrations = false`).

mod bm25;
mod browser;
mod cancel;
mod cli;
mod common;
mod doctor;
mod embed_cache;
mod embed_local;
mod embed_openai;
mod events;
mod fake_openai;
mod feeds;
mod fuzz_openapi;
mod fuzz_tools;
mod import;
mod interpret;
mod mcp_apps;
mod mcp_inspector;
mod metrics;
mod migrations;
mod pgbouncer;
mod pipeline;
mod pooler;
mod recipients;
mod recommend;
mod redis_server;
mod replica;
mod result_cache;
mod rmcp_client;
mod search;
mod search_analytics;
mod search_modes;
mod search_rerank;
mod server;
mod tool_mcp;
mod tool_server;
mod tool_surface;
mod trust_boundary;
mod trust_connections;
mod trust_input;
mod trust_privacy;
mod trust_scopes;
mod vectors;
