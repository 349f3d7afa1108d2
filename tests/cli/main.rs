//! End-to-end tests: the real `fitpipe` binary, a real SQLite file, in a temporary HOME.

mod api;
mod architecture;
mod demo;
mod fake_gcs;
mod gcs_standin;
mod health_standin;
mod import;
mod lake;
mod packaging;
mod query;
mod report;
mod snapshots;
mod support;
mod sync;
