//! The heart-rate report: pure aggregation of the master table ([`data`]), then rendering
//! to one self-contained HTML file ([`render`]). Reads the store; writes nothing to it.

pub mod data;
pub mod render;

pub use data::{compute, sparkline, ReportData};
