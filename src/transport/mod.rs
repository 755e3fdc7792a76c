//! Transports: each walks the one tool catalog (`crate::tools`) and maps its stable error codes
//! once. Domain code never imports from here.

pub mod auth;
mod body;
pub mod boundary;
pub mod exposure;
pub mod http;
mod listener;
pub mod mcp;
mod mcp_apps;
mod mcp_input;
mod mcp_resources;
pub mod openapi;
pub mod rate_limit;
pub mod rest;
pub mod rpc;
pub mod status_page;
mod ws_limits;
