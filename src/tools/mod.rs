//! The tool catalog: one file per tool, each an input struct, an output struct and one
//! `call(&App, Input)`. Transports (MCP, JSON-RPC, REST) serve these; the structs' doc
//! comments are what a calling model reads.

pub mod embed_text;
