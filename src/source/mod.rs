//! The Google Health API client: one `list` request of `heart-rate` data points at a time,
//! and what each answer means. Retrying and pacing belong to the caller (`ingest`), which
//! alone decides to wait; this module only classifies.

use std::time::Duration;

use serde::Deserialize;

use crate::model::{format_utc, Sample};

/// The collection path (kebab-case in the path, snake_case in the filter).
pub const LIST_PATH: &str = "/v4/users/me/dataTypes/heart-rate/dataPoints";
/// The largest page the API serves.
pub const PAGE_SIZE: u32 = 10_000;
/// The parts of a data point fitpipe reads (a partial response, the standard `fields`
/// parameter): a page of these is about a quarter of the full, pretty-printed answer.
pub const FIELDS: &str = "dataPoints(dataSource/device/displayName,heartRate(sampleTime(physicalTime,utcOffset),beatsPerMinute)),nextPageToken";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{request}: the access token was refused (HTTP 401)")]
    Unauthorized { request: String },
    #[error("{request}: Google Health API refused: {message} [{reason}]")]
    Refused {
        request: String,
        reason: String,
        message: String,
        hint: &'static str,
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

/// One page of samples.
#[derive(Debug, Default)]
pub struct Page {
    pub samples: Vec<Sample>,
    /// Points that were not valid heart-rate samples (logged, not stored).
    pub rejected: Vec<String>,
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePage {
    #[serde(default)]
    data_points: Vec<serde_json::Value>,
    #[serde(default)]
    next_page_token: Option<String>,
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

/// What the user can do about each documented refusal.
pub fn hint_for(reason: &str) -> &'static str {
    match reason {
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT" | "MISSING_OAUTH_SCOPE" => {
            "the heart-rate scope was not granted: run `fitpipe auth login` and allow access to heart rate"
        }
        "DISALLOWED_OAUTH_SCOPES" => {
            "register the scope .../auth/googlehealth.health_metrics_and_measurements.readonly on your consent screen's Data Access page (Google Auth Platform), then run `fitpipe auth login`"
        }
        "API_PRIVATE_PREVIEW_ACCESS_DENIED" => {
            "Google has not admitted your Cloud project to the Google Health API; this cannot be fixed on this machine: ask Google for access, and meanwhile import Takeout exports with `fitpipe import`"
        }
        "SERVICE_DISABLED" => {
            "enable the Google Health API in your Cloud project (APIs & Services > Library), wait a few minutes, then sync again"
        }
        "ACCOUNT_NOT_LINKED" => {
            "this Google account has no Google Health (Fitbit) profile: set one up in the Fitbit app, then sync again"
        }
        "RESOURCE_PERMISSION_DENIED" | "DATA_ACCESS_DENIED" => {
            "remove fitpipe's access at myaccount.google.com/connections, then run `fitpipe auth login` again"
        }
        _ => "check the Google Cloud project's setup (README: creating the OAuth client), then run `fitpipe auth login`",
    }
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

    /// Fetches one page of `[start, end)` into `body` (cleared first; its allocation is
    /// reused from page to page). `page` numbers the request in messages.
    pub async fn fetch_page(
        &self,
        access_token: &str,
        start: i64,
        end: i64,
        page_token: Option<&str>,
        page: u32,
        body: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        use std::sync::atomic::Ordering;
        let partial = self.partial.load(Ordering::Relaxed);
        match self
            .fetch_once(access_token, start, end, page_token, page, partial, body)
            .await
        {
            Err(ApiError::Http { status: 400, .. }) if partial => {
                // The documented standard parameters were refused: ask for the whole answer.
                let r = self
                    .fetch_once(access_token, start, end, page_token, page, false, body)
                    .await;
                if r.is_ok() {
                    tracing::warn!("the API refused a partial response (`fields`); reading whole pages from now on");
                    self.partial.store(false, Ordering::Relaxed);
                }
                r
            }
            r => r,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn fetch_once(
        &self,
        access_token: &str,
        start: i64,
        end: i64,
        page_token: Option<&str>,
        page: u32,
        partial: bool,
        body: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        let request = Self::request_label(start, end, page);
        let filter = Self::filter(start, end);
        let page_size = PAGE_SIZE.to_string();
        let mut query: Vec<(&str, &str)> = vec![("pageSize", &page_size), ("filter", &filter)];
        if partial {
            query.push(("fields", FIELDS));
            query.push(("prettyPrint", "false"));
        }
        if let Some(t) = page_token {
            query.push(("pageToken", t));
        }
        let network = |e: reqwest::Error| ApiError::Network {
            request: request.clone(),
            message: e.without_url().to_string(),
        };
        let mut resp = self
            .http
            .get(format!("{}{LIST_PATH}", self.base))
            .query(&query)
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
                hint: hint_for(&reason),
                request,
                reason,
                message,
            },
            400 if reason == "ACCOUNT_NOT_LINKED" || reason == "FAILED_PRECONDITION" => {
                ApiError::Refused {
                    hint: hint_for("ACCOUNT_NOT_LINKED"),
                    request,
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

/// What identifies a page's content: an XXH3-128 hash of its bytes with the value of a
/// trailing top-level `"nextPageToken": "..."` member cut out (servers may vary the token
/// from call to call), or of the whole page when it does not end that way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub content: u128,
    /// The token that was cut out (decoded), when one was.
    pub cut_token: Option<String>,
}

/// Fingerprints a page. Two pages with the same `content` and a cut-out token hold the same
/// data points: the same bytes surround the token, which is the page's last member and a
/// valid JSON string in both, so the rest is the same JSON. A whole-page hash covers the
/// token as well.
pub fn fingerprint(body: &[u8]) -> Fingerprint {
    use xxhash_rust::xxh3::Xxh3;
    let mut h = Xxh3::new();
    match trailing_token(body) {
        Some((a, b, token)) => {
            h.update(b"cut\0");
            h.update(&(a as u64).to_le_bytes());
            h.update(&body[..a]);
            h.update(&body[b..]);
            Fingerprint {
                content: h.digest128(),
                cut_token: Some(token),
            }
        }
        None => {
            h.update(b"whole\0");
            h.update(body);
            Fingerprint {
                content: h.digest128(),
                cut_token: None,
            }
        }
    }
}

/// Where the value of `"nextPageToken": "..."` lies (between its quotes) when it is the last
/// member of the page's object, read backwards from the closing brace, and the token decoded;
/// `None` otherwise, or when the value is not a valid JSON string.
fn trailing_token(body: &[u8]) -> Option<(usize, usize, String)> {
    let back_ws = |mut i: usize| {
        while i > 0 && matches!(body[i - 1], b' ' | b'\t' | b'\n' | b'\r') {
            i -= 1;
        }
        i
    };
    let mut i = back_ws(body.len());
    if i == 0 || body[i - 1] != b'}' {
        return None;
    }
    i = back_ws(i - 1);
    if i == 0 || body[i - 1] != b'"' {
        return None;
    }
    let close = i - 1;
    // The opening quote: the nearest one before that no odd run of backslashes escapes.
    let mut open = close;
    loop {
        open = body[..open].iter().rposition(|&c| c == b'"')?;
        let slashes = body[..open]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if slashes % 2 == 0 {
            break;
        }
    }
    let token: String = serde_json::from_slice(&body[open..=close]).ok()?;
    i = back_ws(open);
    if i == 0 || body[i - 1] != b':' {
        return None;
    }
    i = back_ws(i - 1);
    let key = b"\"nextPageToken\"";
    if i < key.len() || &body[i - key.len()..i] != key {
        return None;
    }
    i = back_ws(i - key.len());
    if i == 0 || !matches!(body[i - 1], b',' | b'{') {
        return None;
    }
    Some((open + 1, close, token))
}

mod typed {
    //! One data point read straight into borrowed structs: the fast path for well-formed
    //! pages. Strings are borrowed from the page unless they carry escapes.
    use serde::Deserialize;

    use crate::import::takeout_json::{LooseNumber, Text};

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Point<'a> {
        #[serde(default, borrow)]
        pub data_source: Option<Source<'a>>,
        #[serde(default, borrow)]
        pub heart_rate: Option<HeartRate<'a>>,
    }

    #[derive(Deserialize)]
    pub struct Source<'a> {
        #[serde(default, borrow)]
        pub device: Option<Device<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Device<'a> {
        #[serde(default, borrow)]
        pub display_name: Option<Text<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct HeartRate<'a> {
        #[serde(default, borrow)]
        pub sample_time: Option<SampleTime<'a>>,
        #[serde(default)]
        pub beats_per_minute: Option<LooseNumber>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SampleTime<'a> {
        #[serde(default, borrow)]
        pub physical_time: Option<Text<'a>>,
        #[serde(default, borrow)]
        pub utc_offset: Option<Text<'a>>,
    }
}

/// Reads a page's object into `Page` as it goes: each data point is converted as soon as it
/// is read, so no list of parsed points is ever held.
struct PageSeed<'p>(&'p mut Page);

impl<'de> serde::de::DeserializeSeed<'de> for PageSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PageSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a page of data points")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use crate::import::takeout_json::Text;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key {
                "dataPoints" => map.next_value_seed(PointsSeed(&mut *self.0))?,
                "nextPageToken" => {
                    self.0.next_page_token = map
                        .next_value::<Option<Text<'de>>>()?
                        .map(|t| t.0.into_owned())
                        .filter(|t| !t.is_empty())
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct PointsSeed<'p>(&'p mut Page);

impl<'de> serde::de::DeserializeSeed<'de> for PointsSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PointsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of data points")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let page = self.0;
        if let Some(n) = seq.size_hint() {
            page.samples.reserve(n);
        }
        let mut last_device = None;
        let mut i = 0usize;
        while let Some(p) = seq.next_element::<typed::Point<'de>>()? {
            match convert_typed(p, &mut last_device) {
                Ok(s) => page.samples.push(s),
                Err(reason) => page.rejected.push(format!("dataPoints[{i}]: {reason}")),
            }
            i += 1;
        }
        Ok(())
    }
}

/// Parses a `physicalTime`: RFC 3339, with a fast path for the `...Z` form the API sends.
fn physical_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 20 && b[10] == b'T' && b[19] == b'Z' {
        if let Some((ts, _)) = crate::import::parse_stamp(s) {
            return Some(ts);
        }
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp())
}

/// Parses a google-duration such as `"-18000s"` or `"19800.5s"` into whole minutes.
pub fn parse_offset(s: &str) -> Option<i16> {
    let secs: f64 = s.trim().strip_suffix('s')?.parse().ok()?;
    if !secs.is_finite() || secs.abs() > 18.0 * 3600.0 {
        return None;
    }
    Some((secs / 60.0).round() as i16)
}

/// Converts one data point held as a JSON value (a page that is not all well formed, or a
/// saved page), through the same rules as the fast path; `Err` says why it is refused.
pub fn convert_value(point: serde_json::Value) -> Result<Sample, String> {
    let p = typed::Point::deserialize(&point).map_err(|e| format!("malformed data point: {e}"))?;
    convert_typed(p, &mut None)
}

fn convert_typed(
    p: typed::Point<'_>,
    last_device: &mut Option<std::sync::Arc<str>>,
) -> Result<Sample, String> {
    let hr = p.heart_rate.ok_or("data point has no heartRate")?;
    let st = hr.sample_time.ok_or("heartRate has no sampleTime")?;
    let pt = st.physical_time.ok_or("sampleTime has no physicalTime")?;
    let ts = physical_time(&pt).ok_or_else(|| format!("unparseable physicalTime {:?}", &*pt))?;
    let utc_offset_min = match st.utc_offset.as_deref() {
        None => None,
        Some(o) => Some(parse_offset(o).ok_or_else(|| format!("unparseable utcOffset {o:?}"))?),
    };
    let bpm = hr
        .beats_per_minute
        .ok_or("heartRate has no beatsPerMinute")?
        .to_bpm()?;
    let name = p
        .data_source
        .and_then(|d| d.device)
        .and_then(|d| d.display_name)
        .filter(|n| !n.trim().is_empty());
    let device = name.map(|n| match last_device {
        Some(d) if **d == *n => d.clone(),
        _ => {
            let d = std::sync::Arc::<str>::from(&*n);
            *last_device = Some(d.clone());
            d
        }
    });
    Ok(Sample {
        ts,
        bpm,
        utc_offset_min,
        device,
    })
}

/// Parses a page; a point that is not a valid heart-rate sample is rejected on its own,
/// while a body that is not a page at all is an error.
pub fn parse_page(body: &[u8]) -> Result<Page, String> {
    // Checked as UTF-8 once here, so the reader need not check each string again.
    if let Ok(text) = std::str::from_utf8(body) {
        let mut page = Page::default();
        let mut de = serde_json::Deserializer::from_str(text);
        if serde::de::DeserializeSeed::deserialize(PageSeed(&mut page), &mut de)
            .and_then(|()| de.end())
            .is_ok()
        {
            return Ok(page);
        }
    }
    // Not the expected shape somewhere: read it point by point to say which.
    parse_page_slowly(body)
}

fn parse_page_slowly(body: &[u8]) -> Result<Page, String> {
    let wire: WirePage = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let mut page = Page {
        next_page_token: wire.next_page_token.filter(|t| !t.is_empty()),
        ..Page::default()
    };
    for (i, p) in wire.data_points.into_iter().enumerate() {
        if !p.is_object() {
            return Err(format!("dataPoints[{i}] is not an object"));
        }
        match convert_value(p) {
            Ok(s) => page.samples.push(s),
            Err(reason) => page.rejected.push(format!("dataPoints[{i}]: {reason}")),
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_end_on_empty_or_absent_tokens_and_bare_objects() {
        let p = parse_page(br#"{}"#).unwrap();
        assert!(p.samples.is_empty() && p.next_page_token.is_none());
        let p = parse_page(br#"{"dataPoints": [], "nextPageToken": "abc"}"#).unwrap();
        assert_eq!(p.next_page_token.as_deref(), Some("abc"));
        let p = parse_page(include_bytes!(
            "../../tests/data/health_heart_rate_example_page2.json"
        ))
        .unwrap();
        assert_eq!(p.samples.len(), 5);
        assert!(p.next_page_token.is_none());
        assert!(parse_page(b"<html>").is_err());
        assert!(parse_page(br#"{"dataPoints": [1]}"#).is_err());
    }

    #[test]
    fn escaped_strings_read_the_same_as_plain_ones() {
        let plain = r#"{"dataPoints": [{"dataSource": {"device": {"displayName": "Montre é"}},
            "heartRate": {"sampleTime": {"physicalTime": "2026-11-26T14:00:14Z", "utcOffset": "3600s"},
            "beatsPerMinute": "72"}}], "nextPageToken": "n/1"}"#
            .as_bytes();
        let escaped = br#"{"dataPoints": [{"dataSource": {"device": {"displayName": "Montre \u00e9"}},
            "heartRate": {"sampleTime": {"physicalTime": "2026-11-26T14:00:14\u005a", "utcOffset": "3600\u0073"},
            "beatsPerMinute": "7\u0032"}}], "next\u0050ageToken": "n\/1"}"#;
        let (a, b) = (parse_page(plain).unwrap(), parse_page(escaped).unwrap());
        assert!(
            a.rejected.is_empty() && b.rejected.is_empty(),
            "{:?}",
            b.rejected
        );
        assert_eq!(a.samples, b.samples);
        assert_eq!(b.samples[0].ts, 1_795_701_614);
        assert_eq!(b.samples[0].bpm, 72);
        assert_eq!(b.samples[0].utc_offset_min, Some(60));
        assert_eq!(b.samples[0].device.as_deref(), Some("Montre \u{e9}"));
        assert_eq!(a.next_page_token, b.next_page_token);
        assert_eq!(b.next_page_token.as_deref(), Some("n/1"));
    }

    #[test]
    fn a_trailing_token_is_cut_out_of_the_fingerprint() {
        let page = |tok: &str, pretty: bool| {
            let points = r#"[{"heartRate": {"sampleTime": {"physicalTime": "2026-11-26T14:00:14Z"}, "beatsPerMinute": "72"}}]"#;
            if pretty {
                format!("{{\n  \"dataPoints\": {points},\n  \"nextPageToken\" : \"{tok}\"\n}}\n")
            } else {
                format!(r#"{{"dataPoints":{points},"nextPageToken":"{tok}"}}"#)
            }
        };
        for pretty in [false, true] {
            let (a, b) = (page("CiAKGjBj", pretty), page("Zm9vYmFy-2", pretty));
            let (fa, fb) = (fingerprint(a.as_bytes()), fingerprint(b.as_bytes()));
            assert_eq!(fa.cut_token.as_deref(), Some("CiAKGjBj"));
            assert_eq!(fb.cut_token.as_deref(), Some("Zm9vYmFy-2"));
            assert_eq!(fa.content, fb.content, "only the token differs");
            // What the parser finds is what was cut out.
            assert_eq!(
                parse_page(b.as_bytes()).unwrap().next_page_token.as_deref(),
                fb.cut_token.as_deref()
            );
            // Any other difference shows.
            let c = page("CiAKGjBj", pretty).replace("\"72\"", "\"73\"");
            assert_ne!(fingerprint(c.as_bytes()).content, fa.content);
        }
        // An empty token is cut out too, and escaped ones are decoded.
        for (body, token) in [
            (r#"{"dataPoints":[],"nextPageToken":""}"#, ""),
            (r#"{"dataPoints": [], "nextPageToken": "a\"b"}"#, "a\"b"),
            (
                r#"{"dataPoints": [], "nextPageToken": "a\u003d\u003d"}"#,
                "a==",
            ),
            (r#"{"dataPoints": [], "nextPageToken": "a\\"}"#, "a\\"),
        ] {
            assert_eq!(
                fingerprint(body.as_bytes()).cut_token.as_deref(),
                Some(token),
                "{body}"
            );
            assert_eq!(
                parse_page(body.as_bytes())
                    .unwrap()
                    .next_page_token
                    .unwrap_or_default(),
                token
            );
        }
        let (a, b) = (
            fingerprint(br#"{"dataPoints":[],"nextPageToken":"x\u003d"}"#),
            fingerprint(br#"{"dataPoints":[],"nextPageToken":"yz\"w"}"#),
        );
        assert_eq!(a.content, b.content);
        // Not a trailing top-level token, or not a valid string: the page is hashed whole.
        for body in [
            r#"{"nextPageToken": "abc", "dataPoints": []}"#,
            r#"{"dataPoints": [], "nextPageToken": "a\"}"#,
            r#"{"dataPoints": [], "nextPageToken": "a\x"}"#,
            "{\"dataPoints\": [], \"nextPageToken\": \"a\tb\"}",
            r#"{"dataPoints": [], "x": {"nextPageToken": "abc"}}"#,
            r#"{"dataPoints": [], "x": "\"nextPageToken\": \"abc"}"#,
            r#"{"dataPoints": []}"#,
            r#"{}"#,
            r#"["nextPageToken": "abc"}"#,
        ] {
            let f = fingerprint(body.as_bytes());
            assert_eq!(f.cut_token, None, "{body}");
        }
        // A whole-page hash never equals a cut one of the same remaining bytes.
        let cut = fingerprint(br#"{"nextPageToken":"t"}"#);
        let whole = fingerprint(br#"{"nextPageToken":""#);
        assert_ne!(cut.content, whole.content);
    }

    mod fingerprints {
        use super::*;
        use proptest::prelude::*;

        fn page(points: &[(i64, u16)], token: &Option<String>, pretty: bool) -> Vec<u8> {
            let mut v = serde_json::json!({"dataPoints": points.iter().map(|(t, b)| serde_json::json!({
                "heartRate": {"sampleTime": {"physicalTime": format_utc(*t)}, "beatsPerMinute": b.to_string()}
            })).collect::<Vec<_>>()});
            if let Some(t) = token {
                v["nextPageToken"] = t.clone().into();
            }
            if pretty {
                serde_json::to_vec_pretty(&v).unwrap()
            } else {
                serde_json::to_vec(&v).unwrap()
            }
        }

        proptest! {
            // Equal fingerprints mean equal data points, whatever the tokens hold; a cut-out
            // token is the one the parser reads.
            #[test]
            fn equal_fingerprints_mean_equal_points(
                a in proptest::collection::vec((1_700_000_000i64..1_700_000_100, 30u16..33), 0..4),
                b in proptest::collection::vec((1_700_000_000i64..1_700_000_100, 30u16..33), 0..4),
                ta in proptest::option::of(".{0,6}"),
                tb in proptest::option::of(".{0,6}"),
                pretty in any::<bool>(),
            ) {
                let (pa, pb) = (page(&a, &ta, pretty), page(&b, &tb, pretty));
                let (fa, fb) = (fingerprint(&pa), fingerprint(&pb));
                for (f, p) in [(&fa, &pa), (&fb, &pb)] {
                    if let Some(t) = &f.cut_token {
                        let parsed = parse_page(p).unwrap().next_page_token;
                        prop_assert_eq!(parsed.as_deref(), Some(t.as_str()).filter(|t| !t.is_empty()));
                    }
                }
                if fa.content == fb.content {
                    prop_assert_eq!(parse_page(&pa).unwrap().samples, parse_page(&pb).unwrap().samples);
                }
                if a == b && ta.is_some() && tb.is_some() {
                    prop_assert_eq!(fa.content, fb.content, "only the tokens differ");
                }
            }
        }
    }

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
    fn offsets_parse() {
        assert_eq!(parse_offset("-18000s"), Some(-300));
        assert_eq!(parse_offset("19800s"), Some(330));
        assert_eq!(parse_offset("0s"), Some(0));
        assert_eq!(parse_offset("3600"), None);
    }

    #[test]
    fn physical_times_are_rfc_3339_only() {
        assert_eq!(physical_time("2026-11-26T14:00:14Z"), Some(1_795_701_614));
        assert_eq!(
            physical_time("2026-11-26T14:00:14.250Z"),
            Some(1_795_701_614)
        );
        assert_eq!(
            physical_time("2026-11-26T09:00:14-05:00"),
            Some(1_795_701_614)
        );
        assert_eq!(physical_time("2026-11-26T14:00:14"), None);
        assert_eq!(physical_time("1795701614"), None);
        assert_eq!(physical_time("2026-13-26T14:00:14Z"), None);
    }

    #[test]
    fn the_filter_is_the_documented_one() {
        assert_eq!(
            HealthApi::filter(1_795_701_600, 1_795_705_200),
            "heart_rate.sample_time.physical_time >= \"2026-11-26T14:00:00Z\" AND heart_rate.sample_time.physical_time < \"2026-11-26T15:00:00Z\""
        );
    }
}
