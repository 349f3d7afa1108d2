//! The Google Health API: its page format (`page`: pure DTOs, parsing, conversion into
//! samples, fingerprints) and its HTTP client (`client`: one request, a classified answer).
//! `import` reads saved pages through `page`; nothing here knows of the store or the pull.

pub mod client;
pub mod page;

pub use client::{
    ApiError, HealthApi, PageRequest, Retry, RollUpRequest, LIST_PATH, PAGE_SIZE,
    ROLL_UP_MAX_RANGE, ROLL_UP_PATH,
};
pub use page::{
    convert_value, fingerprint, parse_page, parse_roll_up, Fingerprint, HourSummary, Page,
    RollUpPage, ValuePage, FIELDS,
};
