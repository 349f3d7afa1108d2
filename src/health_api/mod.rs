//! The Google Health API: its page format (`page`: pure DTOs, parsing, conversion into
//! samples, fingerprints) and its HTTP client (`client`: one request, a classified answer).
//! `import` reads saved pages through `page`; nothing here knows of the store or the pull.

pub mod client;
pub mod page;

pub use client::{ApiError, HealthApi, PageRequest, Retry, LIST_PATH, PAGE_SIZE};
pub use page::{convert_value, fingerprint, parse_page, Fingerprint, Page, ValuePage, FIELDS};
