//! fitpipe keeps a person's heart-rate history in a local SQLite database and maintains an
//! hourly-max master table that other tools read.
//!
//! Layers, with arrows pointing down only:
//!
//! ```text
//! cli ─┬─> import ──> store ──> model
//!      ├─> export ──> store
//!      ├─> demo   ──> model
//!      └─> config, error
//! ```

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod export;
pub mod formats;
pub mod health_api;
pub mod import;
pub mod model;
pub mod pull;
pub mod report;
pub mod service;
pub mod store;
pub mod sync;
pub mod synth;
