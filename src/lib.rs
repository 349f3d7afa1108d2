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
pub mod demo;
pub mod error;
pub mod export;
pub mod import;
pub mod ingest;
pub mod model;
pub mod report;
pub mod service;
pub mod source;
pub mod store;
pub mod sync;
