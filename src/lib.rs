//! fitpipe keeps a person's heart-rate history in a local SQLite database and maintains an
//! hourly-max master table that other tools read.
//!
//! The modules form layers, each using only the ones below it; docs/ARCHITECTURE.md draws
//! them, says what each owns, and follows one import, one pull and one sync through them.

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod doctor;
pub mod error;
pub mod export;
pub mod files;
pub mod formats;
pub mod health_api;
pub mod import;
pub mod model;
pub mod notify;
pub mod pull;
pub mod removals;
pub mod report;
pub mod runtime;
pub mod service;
pub mod sources;
pub mod store;
pub mod sync;
pub mod synth;
