//! The one place fitpipe reads the wall clock.

/// Now, UTC.
#[allow(clippy::disallowed_methods)] // the one place allowed to read the clock
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Now as RFC 3339 (UTC, seconds).
pub fn now_rfc3339() -> String {
    crate::model::format_utc(now().timestamp())
}
