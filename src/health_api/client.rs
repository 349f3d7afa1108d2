//! The Google Health API's HTTP client: one `list` request of `heart-rate` data points at a
//! time, and what each answer means. Retrying and pacing belong to the caller (`pull`),
//! which alone decides to wait; this module only classifies.

use std::time::Duration;

use serde::Deserialize;

use super::page::FIELDS;
use crate::model::format_utc;

/// The collection path (kebab-case in the path, snake_case in the filter).
pub const LIST_PATH: &str = "/v4/users/me/dataTypes/heart-rate/dataPoints";
/// The hourly summaries of the same collection.
pub const ROLL_UP_PATH: &str = "/v4/users/me/dataTypes/heart-rate/dataPoints:rollUp";
/// The longest range one heart-rate `rollUp` request may cover.
pub const ROLL_UP_MAX_RANGE: i64 = 14 * 86_400;
/// The largest page the API serves.
pub const PAGE_SIZE: u32 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{request}: the access token was refused (HTTP 401)")]
    Unauthorized { request: String },
    #[error("{request}: Google Health API refused: {message} [{reason}]")]
    Refused {
        request: String,
        status: u16,
        reason: String,
        message: String,
    },
    #[error("{request}: HTTP {status}: {message}")]
    Transient {
        request: String,
        status: u16,
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("{request}: HTTP {status}: {message}")]
    Http {
        request: String,
        status: u16,
        message: String,
    },
    #[error("{request}: the answer is not a valid page: {message}")]
    Malformed { request: String, message: String },
    /// The server no longer accepts a page token it gave (400 `INVALID_PAGE_TOKEN`).
    #[error("{request}: the page token was refused: {message}")]
    InvalidPageToken { request: String, message: String },
    #[error("{request}: {message}")]
    Network { request: String, message: String },
}

/// A failure worth trying again (429, 5xx, the network), as the retry loop needs it.
pub struct Retry {
    pub request: String,
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// The retryable failures as a [`Retry`]; any other error as it is.
    pub fn into_retry(self) -> Result<Retry, ApiError> {
        match self {
            ApiError::Transient {
                request,
                status,
                retry_after,
                message,
            } => Ok(Retry {
                request,
                message: format!("HTTP {status}: {message}"),
                retry_after,
            }),
            ApiError::Network { request, message } => Ok(Retry {
                request,
                message,
                retry_after: None,
            }),
            other => Err(other),
        }
    }
}

#[derive(Deserialize)]
struct WireError {
    error: WireErrorBody,
}

#[derive(Deserialize)]
struct WireErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

/// One page of the samples in `[start, end)`: the first (`page_token` `None`) or the one a
/// `nextPageToken` names; `page` numbers it in messages.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    pub start: i64,
    pub end: i64,
    pub page_token: Option<&'a str>,
    pub page: u32,
}

/// One page of the hourly `rollUp` of `[start, end)` (at most [`ROLL_UP_MAX_RANGE`] long,
/// hour-aligned).
#[derive(Debug, Clone, Copy)]
pub struct RollUpRequest<'a> {
    pub start: i64,
    pub end: i64,
    pub page_token: Option<&'a str>,
    pub page: u32,
}

/// The client.
pub struct HealthApi {
    http: reqwest::Client,
    base: String,
    /// Whether to ask for a compact partial response (`fields`, `prettyPrint=false`); turned
    /// off for the rest of the run if the server refuses it.
    partial: std::sync::atomic::AtomicBool,
}

impl HealthApi {
    pub fn new(api_base_url: &str) -> Result<HealthApi, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            // Google sends gzip to clients that ask for it and say so in their user agent.
            .user_agent(concat!("fitpipe/", env!("CARGO_PKG_VERSION"), " (gzip)"))
            .build()
            .map_err(|e| ApiError::Network {
                request: "client".into(),
                message: e.to_string(),
            })?;
        Ok(HealthApi {
            http,
            base: api_base_url.trim_end_matches('/').to_string(),
            partial: std::sync::atomic::AtomicBool::new(true),
        })
    }

    /// The `filter` for samples in `[start, end)`.
    pub fn filter(start: i64, end: i64) -> String {
        format!(
            "heart_rate.sample_time.physical_time >= \"{}\" AND heart_rate.sample_time.physical_time < \"{}\"",
            format_utc(start),
            format_utc(end)
        )
    }

    /// How messages name the request for page `page` of `[start, end)`.
    pub fn request_label(start: i64, end: i64, page: u32) -> String {
        format!(
            "GET {LIST_PATH} [{}, {}) page {page}",
            format_utc(start),
            format_utc(end)
        )
    }

    /// How messages name page `page` of the roll-up of `[start, end)`.
    pub fn roll_up_label(start: i64, end: i64, page: u32) -> String {
        format!(
            "POST {ROLL_UP_PATH} [{}, {}) page {page}",
            format_utc(start),
            format_utc(end)
        )
    }

    /// Fetches one page of hourly summaries into `body` (cleared first).
    pub async fn fetch_roll_up(
        &self,
        access_token: &str,
        req: &RollUpRequest<'_>,
        body: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        let mut json = serde_json::json!({
            "range": {"startTime": format_utc(req.start), "endTime": format_utc(req.end)},
            "windowSize": "3600s",
            "pageSize": (req.end - req.start) / crate::model::HOUR,
        });
        if let Some(t) = req.page_token {
            json["pageToken"] = t.into();
        }
        let builder = self
            .http
            .post(format!("{}{ROLL_UP_PATH}", self.base))
            .json(&json);
        self.receive(
            Self::roll_up_label(req.start, req.end, req.page),
            builder,
            access_token,
            body,
        )
        .await
    }

    /// Fetches one page into `body` (cleared first; its allocation is reused from page to
    /// page).
    pub async fn fetch_page(
        &self,
        access_token: &str,
        req: &PageRequest<'_>,
        body: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        use std::sync::atomic::Ordering;
        let partial = self.partial.load(Ordering::Relaxed);
        match self.fetch_once(access_token, req, partial, body).await {
            Err(ApiError::Http { status: 400, .. }) if partial => {
                // The documented standard parameters were refused: ask for the whole answer.
                let r = self.fetch_once(access_token, req, false, body).await;
                if r.is_ok() {
                    tracing::warn!("the API refused a partial response (`fields`); reading whole pages from now on");
                    self.partial.store(false, Ordering::Relaxed);
                }
                r
            }
            r => r,
        }
    }

    async fn fetch_once(
        &self,
        access_token: &str,
        req: &PageRequest<'_>,
        partial: bool,
        body: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        let request = Self::request_label(req.start, req.end, req.page);
        let filter = Self::filter(req.start, req.end);
        let page_size = PAGE_SIZE.to_string();
        let mut query: Vec<(&str, &str)> = vec![("pageSize", &page_size), ("filter", &filter)];
        if partial {
            query.push(("fields", FIELDS));
            query.push(("prettyPrint", "false"));
        }
        if let Some(t) = req.page_token {
            query.push(("pageToken", t));
        }
        let builder = self
            .http
            .get(format!("{}{LIST_PATH}", self.base))
            .query(&query);
        self.receive(request, builder, access_token, body).await
    }

    /// Sends a request and reads its answer into `body`: the bytes of a 200, or the
    /// classified error.
    async fn receive(
        &self,
        request: String,
        builder: reqwest::RequestBuilder,
        access_token: &str,
        body: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        let network = |e: reqwest::Error| ApiError::Network {
            request: request.clone(),
            message: e.without_url().to_string(),
        };
        let mut resp = builder
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .map_err(network)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let gzipped = resp
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let mut raw = Vec::new();
        let wire: &mut Vec<u8> = if gzipped { &mut raw } else { body };
        wire.clear();
        if let Some(n) = resp.content_length() {
            wire.reserve(n.min(64 << 20) as usize);
        }
        while let Some(chunk) = resp.chunk().await.map_err(network)? {
            wire.extend_from_slice(&chunk);
        }
        if gzipped {
            if let Err(message) = gunzip(&raw, body, MAX_PAGE_BYTES) {
                if status == 200 {
                    return Err(ApiError::Malformed { request, message });
                }
                // An error answer is classified by its status even when its body is unreadable.
                body.clear();
            }
        }
        if status == 200 {
            return Ok(());
        }
        let (reason, message) = match serde_json::from_slice::<WireError>(body) {
            Ok(w) => {
                let reason = w
                    .error
                    .details
                    .iter()
                    .find_map(|d| d.get("reason").and_then(|r| r.as_str()).map(str::to_string))
                    .unwrap_or(w.error.status);
                (reason, w.error.message)
            }
            Err(_) => (
                String::new(),
                String::from_utf8_lossy(body).chars().take(200).collect(),
            ),
        };
        Err(match status {
            401 => ApiError::Unauthorized { request },
            429 | 500 | 502 | 503 | 504 => ApiError::Transient {
                request,
                status,
                retry_after,
                message,
            },
            403 => ApiError::Refused {
                request,
                status,
                reason,
                message,
            },
            400 if reason == "INVALID_PAGE_TOKEN" => {
                ApiError::InvalidPageToken { request, message }
            }
            400 if reason == "ACCOUNT_NOT_LINKED" || reason == "FAILED_PRECONDITION" => {
                ApiError::Refused {
                    request,
                    status,
                    reason,
                    message,
                }
            }
            _ => ApiError::Http {
                request,
                status,
                message,
            },
        })
    }
}

/// The most a page may inflate to: a full page of 10,000 points, pretty-printed, is about
/// 7 MB.
const MAX_PAGE_BYTES: u64 = 256 << 20;

/// Inflates a gzip body into `out` (cleared first), refusing one that inflates past `cap`.
fn gunzip(gz: &[u8], out: &mut Vec<u8>, cap: u64) -> Result<(), String> {
    use std::io::Read;
    out.clear();
    // The trailer's last four bytes give the inflated size (mod 2^32) of the last member.
    if let Some(t) = gz.len().checked_sub(4).map(|i| &gz[i..]) {
        let size = u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as u64;
        out.reserve(size.min(cap) as usize + 1);
    }
    let mut reader = flate2::read::MultiGzDecoder::new(gz).take(cap + 1);
    reader
        .read_to_end(out)
        .map_err(|e| format!("the gzip body cannot be read: {e}"))?;
    if out.len() as u64 > cap {
        return Err(format!("the gzip body inflates past {cap} bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_bodies_inflate_within_a_cap() {
        use std::io::Write;
        let page = br#"{"dataPoints": [], "nextPageToken": "t"}"#.repeat(100);
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&page).unwrap();
        let gz = e.finish().unwrap();
        let mut out = b"left over".to_vec();
        gunzip(&gz, &mut out, page.len() as u64).unwrap();
        assert_eq!(out, page);
        let err = gunzip(&gz, &mut out, page.len() as u64 - 1).unwrap_err();
        assert!(err.contains("inflates past"), "{err}");
        let err = gunzip(b"\x1f\x8b\x08\x00 not gzip", &mut out, 1 << 20).unwrap_err();
        assert!(err.contains("cannot be read"), "{err}");
        let err = gunzip(&gz[..gz.len() / 2], &mut out, 1 << 20).unwrap_err();
        assert!(err.contains("cannot be read"), "{err}");
    }

    #[test]
    fn the_filter_is_the_documented_one() {
        assert_eq!(
            HealthApi::filter(1_795_701_600, 1_795_705_200),
            "heart_rate.sample_time.physical_time >= \"2026-11-26T14:00:00Z\" AND heart_rate.sample_time.physical_time < \"2026-11-26T15:00:00Z\""
        );
    }
}
