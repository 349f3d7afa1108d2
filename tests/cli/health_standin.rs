//! A stand-in for Google: the authorization endpoint (redirects to the loopback URL), the
//! token endpoint (checks the PKCE verifier and requires the client secret), the revocation
//! endpoint, and the Google Health API `list` of heart-rate points and their hourly `rollUp`,
//! speaking the documented wire format, with faults to inject.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use base64::Engine;
use sha2::{Digest, Sha256};
use wiremock::{Request, Respond, ResponseTemplate};

pub const CLIENT_ID: &str = "test-client.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "GOCSPX-test-secret";
pub const SCOPE: &str =
    "https://www.googleapis.com/auth/googlehealth.health_metrics_and_measurements.readonly";

#[derive(Default)]
pub struct State {
    /// ts -> (bpm, offset seconds) served by `list`.
    pub samples: BTreeMap<i64, (u16, i64)>,
    /// ts -> (bpm, offset seconds) that a phone app writes through Health Connect beside the
    /// watch, served by `list` (and counted by `rollUp`) with its own data source.
    pub phone: BTreeMap<i64, (u16, i64)>,
    /// Samples that appear only once `reveal_late` is set (a watch that synced late).
    pub late: BTreeMap<i64, (u16, i64)>,
    pub reveal_late: bool,
    pub page_cap: usize,
    /// Pending authorization codes: code -> (code_challenge, redirect_uri).
    pub codes: HashMap<String, (String, String)>,
    pub refresh_tokens: HashMap<String, bool>,
    /// The one access token the API accepts now.
    pub valid_access: Option<String>,
    pub issued: Vec<String>,
    pub counter: u64,
    // Faults.
    pub fail_429: u32,
    pub fail_503: u32,
    /// Expire the access token after this many more successful list calls.
    pub expire_after: Option<u32>,
    pub malformed_on_call: Option<u32>,
    pub refuse_403: Option<String>,
    /// Answer each window's first request with an empty page that carries a token.
    pub empty_page_with_token: bool,
    /// Answer every page of a window with a token that leads back to its first page, the
    /// same string each time.
    pub repeat_token: bool,
    /// Refuse this many requests that carry a page token with 400 `INVALID_PAGE_TOKEN` (a
    /// token that expired).
    pub refuse_tokens: u32,
    /// Refuse partial responses (`fields`) with HTTP 400.
    pub refuse_fields: bool,
    /// Answer this many token refreshes with HTTP 503.
    pub fail_token_503: u32,
    /// Answer `rollUp` with HTTP 404, as a server without it would.
    pub refuse_roll_up: bool,
    /// Answer each `list` call this much later.
    pub delay_ms: u64,
    /// Send a body that is not gzip, labelled gzip, on this `list` call.
    pub corrupt_gzip_on_call: Option<u32>,
    /// Send the 503s with such a body.
    pub corrupt_gzip_503s: bool,
    // Observations.
    pub fields_seen: Vec<Option<String>>,
    /// `list` answers sent gzip-compressed (asked for, with "gzip" in the user agent, as
    /// Google requires).
    pub gzipped: u32,
    pub list_calls: u32,
    pub roll_up_calls: u32,
    /// Bytes of the `list` and `rollUp` bodies sent (before compression).
    pub bytes_sent: u64,
    pub refreshes: u32,
    pub filters_seen: Vec<String>,
    pub bad_requests: Vec<String>,
}

#[derive(Clone, Default)]
pub struct Google {
    pub state: Arc<Mutex<State>>,
}

fn json(status: u16, v: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(v.to_string(), "application/json")
}

fn google_error(code: u16, status: &str, reason: &str, msg: &str) -> ResponseTemplate {
    json(
        code,
        serde_json::json!({"error": {"code": code, "message": msg, "status": status,
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "health.googleapis.com"}]}}),
    )
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A data point as the API sends it in full (zero civil-time parts omitted), from the
/// watch or from a phone app.
fn point(ts: i64, bpm: u16, off: i64, phone: bool) -> serde_json::Value {
    use chrono::{Datelike, Timelike};
    let civil = chrono::DateTime::from_timestamp(ts + off, 0).unwrap();
    let mut time = serde_json::Map::new();
    for (k, v) in [
        ("hours", civil.hour()),
        ("minutes", civil.minute()),
        ("seconds", civil.second()),
    ] {
        if v != 0 {
            time.insert(k.into(), v.into());
        }
    }
    let source = if phone {
        serde_json::json!({"recordingMethod": "ACTIVELY_MEASURED", "device": {},
            "application": {"packageName": "com.example.workout"}, "platform": "HEALTH_CONNECT"})
    } else {
        serde_json::json!({"recordingMethod": "PASSIVELY_MEASURED",
            "device": {"displayName": "Pixel Watch 3", "formFactor": "WATCH", "manufacturer": "Google"},
            "platform": "FITBIT"})
    };
    serde_json::json!({
        "dataSource": source,
        "heartRate": {"sampleTime": {"physicalTime": rfc3339(ts), "utcOffset": format!("{off}s"),
            "civilTime": {"date": {"year": civil.year(), "month": civil.month(), "day": civil.day()}, "time": time}},
            "beatsPerMinute": bpm.to_string()}
    })
}

/// A `fields` mask: `a/b`, `a(b,c)`, comma-separated, as Google's partial responses read it.
#[derive(Debug, Default)]
struct Mask(BTreeMap<String, Mask>);

impl Mask {
    fn parse(s: &str) -> Option<Mask> {
        let (m, rest) = Mask::items(s.as_bytes())?;
        rest.is_empty().then_some(m)
    }

    fn items(mut s: &[u8]) -> Option<(Mask, &[u8])> {
        let mut m = Mask::default();
        loop {
            let n = s
                .iter()
                .position(|c| matches!(c, b',' | b'(' | b')'))
                .unwrap_or(s.len());
            let path = std::str::from_utf8(&s[..n]).ok()?;
            s = &s[n..];
            let mut node = &mut m;
            for part in path.split('/') {
                if part.is_empty() {
                    return None;
                }
                node = node.0.entry(part.to_string()).or_default();
            }
            if let Some(rest) = s.strip_prefix(b"(") {
                let (sub, rest) = Mask::items(rest)?;
                node.0.extend(sub.0);
                s = rest.strip_prefix(b")")?;
            }
            match s.first() {
                Some(b',') => s = &s[1..],
                _ => return Some((m, s)),
            }
        }
    }

    fn apply(&self, v: &mut serde_json::Value) {
        if self.0.is_empty() {
            return;
        }
        match v {
            serde_json::Value::Object(o) => {
                o.retain(|k, _| self.0.contains_key(k));
                for (k, sub) in o.iter_mut() {
                    self.0[k].apply(sub);
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|e| self.apply(e)),
            _ => {}
        }
    }
}

/// Parses the documented filter; anything else is refused like the API does.
fn parse_filter(f: &str) -> Option<(i64, i64)> {
    let rest = f.strip_prefix("heart_rate.sample_time.physical_time >= \"")?;
    let (a, rest) = rest.split_once("\" AND heart_rate.sample_time.physical_time < \"")?;
    let b = rest.strip_suffix('"')?;
    let p = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.timestamp())
    };
    Some((p(a)?, p(b)?))
}

impl State {
    fn new_access(&mut self) -> String {
        self.counter += 1;
        let t = format!("ya29.standin-access-{}-{}", self.counter, "x".repeat(40));
        self.valid_access = Some(t.clone());
        self.issued.push(t.clone());
        t
    }

    fn token(&mut self, req: &Request) -> ResponseTemplate {
        let f = form(&req.body);
        if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
            return json(401, serde_json::json!({"error": "invalid_client"}));
        }
        if f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
            return json(
                400,
                serde_json::json!({"error": "invalid_request", "error_description": "client_secret is missing."}),
            );
        }
        match f.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                let code = f.get("code").cloned().unwrap_or_default();
                let Some((challenge, redirect)) = self.codes.remove(&code) else {
                    return json(
                        400,
                        serde_json::json!({"error": "invalid_grant", "error_description": "Malformed auth code."}),
                    );
                };
                let verifier = f.get("code_verifier").cloned().unwrap_or_default();
                let want = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(Sha256::digest(verifier.as_bytes()));
                if want != challenge {
                    return json(
                        400,
                        serde_json::json!({"error": "invalid_grant", "error_description": "Invalid code verifier."}),
                    );
                }
                if f.get("redirect_uri") != Some(&redirect) {
                    return json(400, serde_json::json!({"error": "redirect_uri_mismatch"}));
                }
                let access = self.new_access();
                self.counter += 1;
                let refresh = format!("1//standin-refresh-{}-{}", self.counter, "y".repeat(40));
                self.issued.push(refresh.clone());
                self.refresh_tokens.insert(refresh.clone(), true);
                json(
                    200,
                    serde_json::json!({"access_token": access, "expires_in": 3599, "refresh_token": refresh,
                    "refresh_token_expires_in": 604799, "scope": SCOPE, "token_type": "Bearer"}),
                )
            }
            Some("refresh_token") if self.fail_token_503 > 0 => {
                self.fail_token_503 -= 1;
                ResponseTemplate::new(503).set_body_string("Service Unavailable")
            }
            Some("refresh_token") => {
                let rt = f.get("refresh_token").cloned().unwrap_or_default();
                if self.refresh_tokens.get(&rt) != Some(&true) {
                    return json(
                        400,
                        serde_json::json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
                    );
                }
                self.refreshes += 1;
                let access = self.new_access();
                json(
                    200,
                    serde_json::json!({"access_token": access, "expires_in": 3599, "scope": SCOPE, "token_type": "Bearer",
                    "refresh_token_expires_in": 500000}),
                )
            }
            _ => json(400, serde_json::json!({"error": "unsupported_grant_type"})),
        }
    }

    fn list(&mut self, req: &Request) -> ResponseTemplate {
        if let Some(refused) = self.refuse_unauthorized(req) {
            return refused;
        }
        if let Some(reason) = &self.refuse_403 {
            return google_error(
                403,
                "PERMISSION_DENIED",
                &reason.clone(),
                "The caller does not have permission",
            );
        }
        if self.fail_429 > 0 {
            self.fail_429 -= 1;
            return google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "RATE_LIMIT_EXCEEDED",
                "Quota exceeded",
            )
            .insert_header("Retry-After", "0");
        }
        if self.fail_503 > 0 {
            self.fail_503 -= 1;
            if self.corrupt_gzip_503s {
                return ResponseTemplate::new(503)
                    .insert_header("Content-Encoding", "gzip")
                    .set_body_raw(
                        b"\x1f\x8b\x08\x00 not really gzip".to_vec(),
                        "application/json",
                    );
            }
            return google_error(
                503,
                "UNAVAILABLE",
                "BACKEND_UNAVAILABLE",
                "The service is currently unavailable.",
            );
        }
        self.list_calls += 1;
        if self.malformed_on_call == Some(self.list_calls) {
            self.malformed_on_call = None;
            return ResponseTemplate::new(200)
                .set_body_raw("{\"dataPoints\": [{\"heartRate\": ", "application/json");
        }
        if let Some(n) = self.expire_after.as_mut() {
            if *n == 0 {
                self.expire_after = None;
                self.valid_access = None;
                return google_error(
                    401,
                    "UNAUTHENTICATED",
                    "ACCESS_TOKEN_EXPIRED",
                    "Request had invalid authentication credentials.",
                );
            }
            *n -= 1;
        }
        let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
        self.fields_seen.push(q.get("fields").cloned());
        let mask = match q.get("fields") {
            None => None,
            Some(_) if self.refuse_fields => {
                return google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "INVALID_ARGUMENT",
                    "Request contains an invalid argument.",
                )
            }
            Some(f) => match Mask::parse(f) {
                Some(m) => Some(m),
                None => {
                    self.bad_requests.push(format!("fields {f:?}"));
                    return google_error(
                        400,
                        "INVALID_ARGUMENT",
                        "INVALID_ARGUMENT",
                        "Bad fields.",
                    );
                }
            },
        };
        let pretty = q.get("prettyPrint").map(String::as_str) != Some("false");
        if q.get("pageSize").map(String::as_str) != Some("10000") {
            self.bad_requests
                .push(format!("pageSize {:?}", q.get("pageSize")));
        }
        let filter = q.get("filter").cloned().unwrap_or_default();
        self.filters_seen.push(filter.clone());
        let Some((start, end)) = parse_filter(&filter) else {
            self.bad_requests.push(format!("filter {filter:?}"));
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "INVALID_DATA_POINT_FILTER",
                "Invalid filter.",
            );
        };
        // Page tokens differ from call to call, as opaque tokens may.
        self.counter += 1;
        let nonce = self.counter;
        if self.empty_page_with_token && !q.contains_key("pageToken") {
            return json(
                200,
                serde_json::json!({"nextPageToken": format!("{start}-{end}-0-n{nonce}")}),
            );
        }
        if self.refuse_tokens > 0 && q.contains_key("pageToken") {
            self.refuse_tokens -= 1;
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "INVALID_PAGE_TOKEN",
                "Invalid page token.",
            );
        }
        let offset: usize = match q.get("pageToken") {
            None => 0,
            Some(t) => match t
                .strip_prefix(&format!("{start}-{end}-"))
                .and_then(|o| o.split_once("-n"))
                .and_then(|(o, _)| o.parse().ok())
            {
                Some(o) => o,
                None => {
                    return google_error(
                        400,
                        "INVALID_ARGUMENT",
                        "INVALID_PAGE_TOKEN",
                        "Invalid page token.",
                    )
                }
            },
        };
        // Newest first, like the API.
        let mut all = self.served(start, end);
        all.sort_by_key(|e| std::cmp::Reverse(e.0));
        let page: Vec<serde_json::Value> = all
            .iter()
            .skip(offset)
            .take(self.page_cap)
            .map(|(ts, (b, o), phone)| point(*ts, *b, *o, *phone))
            .collect();
        let next = offset + page.len();
        if page.is_empty() {
            // The last page of a walk may be a bare object.
            return ResponseTemplate::new(200).set_body_raw("{}", "application/json");
        }
        let mut body = serde_json::json!({"dataPoints": page});
        if self.repeat_token && !all.is_empty() {
            body["nextPageToken"] = format!("{start}-{end}-0-nloop").into();
        } else if next < all.len() {
            body["nextPageToken"] = format!("{start}-{end}-{next}-n{nonce}").into();
        } else if next.is_multiple_of(2) {
            body["nextPageToken"] = "".into();
        }
        if let Some(m) = mask {
            m.apply(&mut body);
        }
        let text = if pretty {
            serde_json::to_string_pretty(&body).unwrap()
        } else {
            body.to_string()
        };
        self.bytes_sent += text.len() as u64;
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let gzip =
            header("accept-encoding").contains("gzip") && header("user-agent").contains("gzip");
        if !gzip {
            return ResponseTemplate::new(200).set_body_raw(text, "application/json");
        }
        self.gzipped += 1;
        let bytes = if self.corrupt_gzip_on_call == Some(self.list_calls) {
            b"\x1f\x8b\x08\x00 not really gzip".to_vec()
        } else {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        ResponseTemplate::new(200)
            .insert_header("Content-Encoding", "gzip")
            .set_body_raw(bytes, "application/json")
    }
}

impl State {
    /// The 401 the API answers a request without the access token it issued last.
    fn refuse_unauthorized(&self, req: &Request) -> Option<ResponseTemplate> {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        (self.valid_access.as_deref().map(|t| format!("Bearer {t}")) != Some(auth.to_string()))
            .then(|| {
                google_error(
                    401,
                    "UNAUTHENTICATED",
                    "CREDENTIALS_MISSING",
                    "Request had invalid authentication credentials.",
                )
            })
    }

    /// The samples served now: the ones on the server from the start, and the late ones
    /// once they are revealed.
    fn served(&self, start: i64, end: i64) -> Vec<(i64, (u16, i64), bool)> {
        let mut all: Vec<(i64, (u16, i64), bool)> = self
            .samples
            .range(start..end)
            .map(|(k, v)| (*k, *v, false))
            .collect();
        if self.reveal_late {
            all.extend(self.late.range(start..end).map(|(k, v)| (*k, *v, false)));
        }
        all.extend(self.phone.range(start..end).map(|(k, v)| (*k, *v, true)));
        all
    }

    /// `rollUp` as documented (spec 1.6): physical-time windows of `windowSize` anchored at
    /// the range's start, each with the mean, highest and lowest bpm of its samples; at most
    /// 14 days a request; windows without samples left out; newest first; paged.
    fn roll_up(&mut self, req: &Request) -> ResponseTemplate {
        if let Some(refused) = self.refuse_unauthorized(req) {
            return refused;
        }
        if self.refuse_roll_up {
            return ResponseTemplate::new(404).set_body_string("Not Found");
        }
        self.roll_up_calls += 1;
        let bad = |st: &mut State, why: String| {
            st.bad_requests.push(format!("rollUp {why}"));
            google_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", &why)
        };
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
            return bad(self, "body is not JSON".into());
        };
        let p = |v: &serde_json::Value| {
            v.as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.timestamp())
        };
        let (Some(start), Some(end)) =
            (p(&body["range"]["startTime"]), p(&body["range"]["endTime"]))
        else {
            return bad(self, format!("range {}", body["range"]));
        };
        let Some(window) = body["windowSize"]
            .as_str()
            .and_then(|w| w.strip_suffix('s'))
            .and_then(|w| w.parse::<i64>().ok())
            .filter(|w| *w > 0)
        else {
            return bad(self, format!("windowSize {}", body["windowSize"]));
        };
        if end <= start || end - start > 14 * 86_400 {
            return bad(self, format!("range of {} s", end - start));
        }
        let page_size = body["pageSize"].as_u64().unwrap_or(100) as usize;
        let offset: usize = match body["pageToken"].as_str() {
            None => 0,
            Some(t) => match t
                .strip_prefix(&format!("r{start}-{end}-"))
                .and_then(|o| o.parse().ok())
            {
                Some(o) => o,
                None => return bad(self, format!("pageToken {t:?}")),
            },
        };
        let mut windows: BTreeMap<i64, Vec<u16>> = BTreeMap::new();
        for (ts, (bpm, _), _) in self.served(start, end) {
            windows
                .entry(start + (ts - start) / window * window)
                .or_default()
                .push(bpm);
        }
        let points: Vec<serde_json::Value> = windows
            .iter()
            .rev()
            .map(|(w, v)| {
                let sum: u64 = v.iter().map(|b| u64::from(*b)).sum();
                serde_json::json!({
                    "startTime": rfc3339(*w),
                    "endTime": rfc3339((*w + window).min(end)),
                    "heartRate": {
                        "beatsPerMinuteAvg": sum as f64 / v.len() as f64,
                        "beatsPerMinuteMax": *v.iter().max().unwrap() as f64,
                        "beatsPerMinuteMin": *v.iter().min().unwrap() as f64,
                    }
                })
            })
            .collect();
        let page: Vec<serde_json::Value> = points
            .iter()
            .skip(offset)
            .take(page_size)
            .cloned()
            .collect();
        let mut out = serde_json::json!({"rollupDataPoints": page});
        if offset + page_size < points.len() {
            out["nextPageToken"] = format!("r{start}-{end}-{}", offset + page_size).into();
        }
        let text = out.to_string();
        self.bytes_sent += text.len() as u64;
        json(200, out)
    }
}

impl Respond for Google {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.state.lock().unwrap();
        let path = req.url.path().to_string();
        match (req.method.as_str(), path.as_str()) {
            ("GET", "/o/oauth2/v2/auth") => {
                let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
                let ok = q.get("client_id").map(String::as_str) == Some(CLIENT_ID)
                    && q.get("response_type").map(String::as_str) == Some("code")
                    && q.get("scope").map(String::as_str) == Some(SCOPE)
                    && q.get("access_type").map(String::as_str) == Some("offline")
                    && q.get("prompt").map(String::as_str) == Some("consent")
                    && q.get("code_challenge_method").map(String::as_str) == Some("S256")
                    && !q.contains_key("include_granted_scopes")
                    && q.get("redirect_uri")
                        .is_some_and(|r| r.starts_with("http://127.0.0.1:"));
                if !ok {
                    st.bad_requests.push(format!("authorize {q:?}"));
                    return ResponseTemplate::new(400).set_body_string("bad authorization request");
                }
                st.counter += 1;
                let code = format!("4/standin-code-{}", st.counter);
                let redirect = q["redirect_uri"].clone();
                st.codes.insert(
                    code.clone(),
                    (q["code_challenge"].clone(), redirect.clone()),
                );
                let mut loc = url::Url::parse(&redirect).unwrap();
                loc.query_pairs_mut()
                    .append_pair("state", &q["state"])
                    .append_pair("code", &code)
                    .append_pair("scope", SCOPE);
                ResponseTemplate::new(302).insert_header("Location", loc.as_str())
            }
            ("POST", "/token") => st.token(req),
            ("POST", "/revoke") => {
                let f = form(&req.body);
                let t = f.get("token").cloned().unwrap_or_default();
                if let Some(v) = st.refresh_tokens.get_mut(&t) {
                    *v = false;
                    st.valid_access = None;
                    ResponseTemplate::new(200)
                } else {
                    json(400, serde_json::json!({"error": "invalid_token"}))
                }
            }
            ("POST", "/v4/users/me/dataTypes/heart-rate/dataPoints:rollUp") => st.roll_up(req),
            ("GET", "/v4/users/me/dataTypes/heart-rate/dataPoints") => {
                let delay = std::time::Duration::from_millis(st.delay_ms);
                st.list(req).set_delay(delay)
            }
            _ => {
                st.bad_requests.push(format!("{} {}", req.method, path));
                ResponseTemplate::new(404)
            }
        }
    }
}
