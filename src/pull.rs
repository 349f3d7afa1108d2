//! The pull: Google Health API -> store, driven by a cursor that only advances after a
//! commit. This is the one scheduled loop, so it alone waits and retries: 401 refreshes the
//! access token once, 429 and 5xx back off exponentially with jitter (honouring
//! `Retry-After`), a bounded number of times.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::auth::{AuthError, OAuth, TokenSet, TokenStore};
use crate::config::GoogleSettings;
use crate::health_api::{
    fingerprint, parse_page, parse_roll_up, ApiError, HealthApi, PageRequest, RollUpRequest,
    ROLL_UP_MAX_RANGE,
};
use crate::model::{Sample, DAY, HOUR};
use crate::store::{AccountId, InsertOutcome, KnownPage, Store, StoreError};

/// The most pages one chunk may take: six hours at one sample a second are 21,600 points,
/// three pages of 10,000; a thousand is a server that pages forever.
pub const MAX_PAGES_PER_CHUNK: u32 = 1000;

/// Every pull reads the chunk before its cursor's again with `list` (the pages that come
/// back unchanged are recognised by their fingerprints). Uploads later than that are found
/// by the late check: the API's hourly roll-up of the late window, compared with the one
/// remembered when each chunk was read.
pub const OVERLAP: i64 = 6 * 3600;
/// Windows are pulled (and committed) in chunks aligned to these UTC boundaries (00, 06, 12
/// and 18 h), so that an hourly sync asks for the same chunks of the overlap as the last
/// one and can recognise their unchanged pages (`health_api::fingerprint`).
pub const CHUNK: i64 = 6 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{request} still failed after {tries} tries: {message}")]
    GaveUp {
        request: String,
        tries: u32,
        message: String,
    },
    /// The server sent a page token again, or more pages than a window can hold: its paging
    /// loops. The window is not committed.
    #[error("{request}: {why}; the window was not stored")]
    PagingLoop { request: String, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a pull did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PullReport {
    pub account: String,
    pub from: String,
    pub to: String,
    pub requests: u32,
    pub retries: u32,
    pub refreshes: u32,
    pub samples_new: u64,
    pub samples_present: u64,
    pub rejected: u64,
    /// Pages that came back as they were committed before, so were not read again.
    pub pages_unchanged: u32,
    /// Windows read again from their first page after the server refused a page token.
    pub window_restarts: u32,
    /// How late uploads were looked for: "roll-up" (the API's hourly roll-up of the late
    /// window compared with the one remembered), "read again" (the roll-up was refused, so
    /// the whole late window was read), or "off" (`late_window_days = 0`).
    pub late_check: String,
    /// Hours of the late window that the roll-up shows changed since their chunk was read.
    pub late_hours_changed: u32,
    /// Chunks before the overlap read again for them.
    pub late_chunks: u32,
    /// Set when the account had no sample for longer than the late window and this pull
    /// brought new ones (a watch back after a long time away): the date of its newest sample
    /// before, from which `sync --since` reads what may be older than the window.
    pub late_beyond_since: Option<String>,
}

/// Everything a pull needs besides the store.
pub struct Puller<'a> {
    pub api: &'a HealthApi,
    pub oauth: &'a OAuth,
    pub tokens: &'a dyn TokenStore,
    pub settings: &'a GoogleSettings,
    /// The wall clock, in epoch seconds (tests pass their own).
    pub now: &'a dyn Fn() -> i64,
}

impl Puller<'_> {
    /// A usable access token, refreshed (and stored before use) when it is about to expire.
    /// A token endpoint that cannot be reached or answers 429/5xx is tried again like the
    /// API.
    async fn fresh(
        &self,
        account: &str,
        current: Option<TokenSet>,
        force: bool,
        report: &mut PullReport,
    ) -> Result<TokenSet, PullError> {
        let tokens = match current {
            Some(t) => t,
            None => self
                .tokens
                .load(account)?
                .ok_or_else(|| AuthError::NotLoggedIn(account.to_string()))?,
        };
        let now = (self.now)();
        if !force && tokens.access_expires_at > now + 60 {
            return Ok(tokens);
        }
        tracing::debug!(account, "refreshing the access token");
        let mut attempt = 0u32;
        let fresh = loop {
            match self.oauth.refresh(account, &tokens, now).await {
                Ok(t) => break t,
                Err(AuthError::TokenEndpointUnavailable(message)) => {
                    attempt += 1;
                    if attempt >= self.settings.max_tries {
                        return Err(PullError::GaveUp {
                            request: "the access token refresh".into(),
                            tries: attempt,
                            message,
                        });
                    }
                    report.retries += 1;
                    let wait = self.backoff(attempt - 1, None);
                    tracing::info!(attempt, wait_ms = wait.as_millis() as u64, error = %message,
                        "retrying the token refresh after a transient error");
                    crate::runtime::sleep(wait).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.tokens.save(account, &fresh)?;
        Ok(fresh)
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(Duration::from_secs(120));
        }
        let cap = Duration::from_secs(32).as_millis() as u64;
        let exp = self
            .settings
            .retry_base_ms
            .saturating_mul(1u64 << attempt.min(16))
            .min(cap);
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed ^ u64::from(attempt));
        Duration::from_millis(rng.random_range(exp / 2..=exp.max(1)))
    }
}

/// One request of the pull.
#[derive(Clone, Copy)]
enum Call<'a> {
    List(PageRequest<'a>),
    RollUp(RollUpRequest<'a>),
}

/// What a pull carries from request to request: the access token and the pacing.
struct Session {
    tokens: Option<TokenSet>,
    last_request: Option<Instant>,
}

impl Puller<'_> {
    /// Sends one request into `body`, as the one retry policy says: paced, a 401 refreshes
    /// the access token once, 429/5xx/network failures back off and try again a bounded
    /// number of times. Any other failure is returned as it is.
    async fn send(
        &self,
        account: &str,
        session: &mut Session,
        report: &mut PullReport,
        call: Call<'_>,
        body: &mut Vec<u8>,
    ) -> Result<(), PullError> {
        let min_gap = Duration::from_millis(self.settings.min_request_interval_ms);
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            if let Some(t) = session.last_request {
                let wait = min_gap.saturating_sub(t.elapsed());
                if !wait.is_zero() {
                    crate::runtime::sleep(wait).await;
                }
            }
            session.last_request = Some(Instant::now());
            report.requests += 1;
            let access = session
                .tokens
                .as_ref()
                .map(|t| t.access_token.clone())
                .unwrap_or_default();
            let answer = match call {
                Call::List(r) => self.api.fetch_page(&access, &r, body).await,
                Call::RollUp(r) => self.api.fetch_roll_up(&access, &r, body).await,
            };
            match answer {
                Ok(()) => return Ok(()),
                Err(ApiError::Unauthorized { .. }) if !refreshed => {
                    refreshed = true;
                    report.refreshes += 1;
                    session.tokens = Some(
                        self.fresh(account, session.tokens.take(), true, report)
                            .await?,
                    );
                }
                Err(e) => {
                    let retry = e.into_retry()?;
                    attempt += 1;
                    if attempt >= self.settings.max_tries {
                        return Err(PullError::GaveUp {
                            request: retry.request,
                            tries: attempt,
                            message: retry.message,
                        });
                    }
                    report.retries += 1;
                    let wait = self.backoff(attempt - 1, retry.retry_after);
                    tracing::info!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        error = %retry.message,
                        "retrying after a transient error"
                    );
                    crate::runtime::sleep(wait).await;
                }
            }
        }
    }

    /// The API's hourly roll-up of `[from, to)` (hour-aligned), in requests of at most
    /// [`ROLL_UP_MAX_RANGE`]. `Ok(None)` when the server refuses roll-ups (the request or
    /// its answer is not understood): the caller reads the window instead.
    async fn roll_up(
        &self,
        account: &str,
        session: &mut Session,
        report: &mut PullReport,
        (from, to): (i64, i64),
        body: &mut Vec<u8>,
    ) -> Result<Option<HashMap<i64, [f64; 3]>>, PullError> {
        let mut out = HashMap::new();
        let mut start = from;
        while start < to {
            let end = (start + ROLL_UP_MAX_RANGE).min(to);
            let mut page_token: Option<String> = None;
            let mut seen: HashSet<String> = HashSet::new();
            for page_no in 1.. {
                let req = RollUpRequest {
                    start,
                    end,
                    page_token: page_token.as_deref(),
                    page: page_no,
                };
                let label = || HealthApi::roll_up_label(start, end, page_no);
                match self
                    .send(account, session, report, Call::RollUp(req), body)
                    .await
                {
                    Ok(()) => {}
                    // Whatever the API holds against the roll-up alone (a 403 that also
                    // holds for `list` stops the pull there, with its own message).
                    Err(PullError::Api(
                        e @ (ApiError::Http { .. }
                        | ApiError::Refused { .. }
                        | ApiError::Malformed { .. }
                        | ApiError::InvalidPageToken { .. }),
                    )) => {
                        tracing::warn!(error = %e, "the roll-up was refused; reading the late window instead");
                        return Ok(None);
                    }
                    Err(e) => return Err(e),
                }
                let page = match parse_roll_up(body) {
                    Ok(p) => p,
                    Err(message) => {
                        tracing::warn!(request = %label(), %message,
                            "the roll-up is not readable; reading the late window instead");
                        return Ok(None);
                    }
                };
                for h in page.hours {
                    out.insert(h.hour, [h.max, h.min, h.avg]);
                }
                match page.next_page_token {
                    None => break,
                    Some(t) => {
                        if !seen.insert(t.clone()) || page_no >= MAX_PAGES_PER_CHUNK {
                            return Err(PullError::PagingLoop {
                                request: label(),
                                why: "the roll-up's pages do not end".into(),
                            });
                        }
                        page_token = Some(t);
                    }
                }
            }
            start = end;
        }
        Ok(Some(out))
    }
}

/// The start of the six-hour chunk that holds `ts`.
fn chunk_of(ts: i64) -> i64 {
    ts - ts.rem_euclid(CHUNK)
}

/// Pulls `[since or cursor - OVERLAP or now - backfill, now)`, widened back to a `CHUNK`
/// boundary, and the chunks of the late window whose hours the API's roll-up shows changed
/// since they were read, for one account, a chunk at a time; each chunk's samples, the
/// cursor move, the fingerprints of its pages and its hours' roll-up figures are one
/// transaction.
pub async fn pull(
    store: &mut Store,
    account: &str,
    id: AccountId,
    p: &Puller<'_>,
    since: Option<i64>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PullReport, PullError> {
    let now = (p.now)();
    let state = store.pull_state(id)?;
    let start = match (since, state) {
        (Some(s), _) => s,
        (None, Some((c, _))) => c - OVERLAP,
        (None, None) => now - p.settings.backfill_days as i64 * DAY,
    };
    let start = chunk_of(start);
    // The late check reads nothing older than what the pulls were asked for.
    let floor = match state {
        None => start,
        Some((_, floor)) => floor.unwrap_or(i64::MIN),
    };
    let mut report = PullReport {
        account: account.to_string(),
        from: crate::model::format_utc(start),
        to: crate::model::format_utc(now),
        ..PullReport::default()
    };
    let mut body = Vec::new();
    let newest_before = store.last_sample(id)?;
    let mut session = Session {
        tokens: Some(p.fresh(account, None, false, &mut report).await?),
        last_request: None,
    };
    let mut chunk_starts: BTreeSet<i64> = (0..)
        .map(|i| start + i * CHUNK)
        .take_while(|s| *s < now)
        .collect();

    // The late check: which hours of the late window changed on the server since their
    // chunk was read.
    let late_from = chunk_of(now - p.settings.late_window_days as i64 * DAY);
    let late_floor = late_from.max(floor);
    let mut figures: Option<HashMap<i64, [f64; 3]>> = None;
    if p.settings.late_window_days == 0 {
        report.late_check = "off".into();
    } else {
        let to = now - now.rem_euclid(HOUR) + HOUR;
        figures = p
            .roll_up(
                account,
                &mut session,
                &mut report,
                (late_from, to),
                &mut body,
            )
            .await?;
        match &figures {
            Some(now_said) => {
                report.late_check = "roll-up".into();
                let before = store.pulled_hours(id, late_from, start)?;
                for (&hour, f) in now_said {
                    if (late_floor..start).contains(&hour) && before.get(&hour) != Some(f) {
                        report.late_hours_changed += 1;
                        chunk_starts.insert(chunk_of(hour));
                    }
                }
            }
            None => {
                report.late_check = "read again".into();
                chunk_starts.extend(
                    (0..)
                        .map(|i| chunk_of(late_floor) + i * CHUNK)
                        .take_while(|s| *s < start),
                );
            }
        }
        report.late_chunks = chunk_starts.range(..start).count() as u32;
    }
    let chunks: Vec<(i64, i64)> = chunk_starts
        .iter()
        .map(|&s| (s, (s + CHUNK).min(now)))
        .collect();

    // An explicit `--since` reads every page afresh: it is also how to repair a store
    // changed behind fitpipe's back.
    let known = match since {
        Some(_) => Default::default(),
        None => store.known_pages(id)?,
    };

    for (done, &(cs, ce)) in chunks.iter().enumerate() {
        progress(done as u64, chunks.len() as u64);
        let mut samples = Vec::new();
        let mut marks: Vec<KnownPage> = Vec::new();
        let mut page_token: Option<String> = None;
        let mut page_no = 1;
        let mut tokens_seen: HashSet<String> = Default::default();
        let mut restarted = false;
        loop {
            let req = PageRequest {
                start: cs,
                end: ce,
                page_token: page_token.as_deref(),
                page: page_no,
            };
            match p
                .send(
                    account,
                    &mut session,
                    &mut report,
                    Call::List(req),
                    &mut body,
                )
                .await
            {
                Ok(()) => {}
                // A token the server gave and now refuses (it may expire): read the window
                // again from its first page, once; nothing of it is committed yet.
                Err(PullError::Api(ApiError::InvalidPageToken { .. })) if !restarted => {
                    tracing::info!("the server refused its page token; reading the window again");
                    restarted = true;
                    report.window_restarts += 1;
                    samples.clear();
                    marks.clear();
                    tokens_seen.clear();
                    page_token = None;
                    page_no = 1;
                    continue;
                }
                Err(e) => return Err(e),
            }
            let next = take_page(
                &body,
                &known,
                || HealthApi::request_label(cs, ce, page_no),
                &mut report,
                &mut samples,
                &mut marks,
            )?;
            match next {
                Some(t) => {
                    let request = || HealthApi::request_label(cs, ce, page_no);
                    if !tokens_seen.insert(t.clone()) {
                        return Err(PullError::PagingLoop {
                            request: request(),
                            why: "the server sent a page token it had sent before".into(),
                        });
                    }
                    if page_no >= MAX_PAGES_PER_CHUNK {
                        return Err(PullError::PagingLoop {
                            request: request(),
                            why: format!(
                                "more than {MAX_PAGES_PER_CHUNK} pages for one six-hour window"
                            ),
                        });
                    }
                    page_token = Some(t);
                    page_no += 1;
                }
                None => break,
            }
        }
        // Newest first on the wire; the writer is fastest in time order. What the store
        // holds already, with nothing to add, is counted without a write statement: the
        // overlap makes most of an hourly pull such re-fetched samples.
        samples.sort_by_key(|s| s.ts);
        // Only the span of what was read: pages recognised unchanged add nothing to look up.
        let stored = match (samples.first(), samples.last()) {
            (Some(a), Some(b)) => store.stored_in(id, a.ts, b.ts + 1)?,
            _ => Vec::new(),
        };
        // Both lists are in time order: walk them together. A sample is stored when its
        // instant is, from its source (or it names none), with an offset if it has one.
        let ids = if stored.iter().any(|k| k.2.is_some()) {
            store.source_ids()?
        } else {
            HashMap::new()
        };
        // A sample that names no source is the wearable's own: stored when the wearable's
        // reading of the instant is, named or not.
        let wearable: HashSet<i64> = ids
            .iter()
            .filter(|(label, _)| crate::sources::counted_by_default(Some(label)))
            .map(|(_, id)| *id)
            .collect();
        let mut at = 0usize;
        samples.retain(|s| {
            while at < stored.len() && stored[at].0 < s.ts {
                at += 1;
            }
            let source = s.device.as_deref().map(|d| ids.get(d).copied());
            let known =
                stored[at..]
                    .iter()
                    .take_while(|k| k.0 == s.ts)
                    .any(|&(_, has_offset, device)| {
                        (has_offset || s.utc_offset_min.is_none())
                            && match source {
                                None => device.is_none_or(|d| wearable.contains(&d)),
                                Some(None) => false,
                                Some(Some(id)) => device == Some(id),
                            }
                    });
            if known {
                report.samples_present += 1;
            }
            !known
        });
        let stamp = crate::clock::now_rfc3339();
        let mut w = store.sample_writer(id)?;
        w.insert_many(&samples, |_, o| {
            match o {
                Ok(InsertOutcome::New) => report.samples_new += 1,
                Ok(_) => report.samples_present += 1,
                Err(StoreError::TimeOutOfRange(_)) => report.rejected += 1,
                Err(e) => return Err(e),
            }
            Ok(())
        })?;
        w.advance_pull_cursor(ce, start, &stamp)?;
        // Pages of chunks that a later sync may read again are worth knowing: those of the
        // overlap, and those of the late window for the hours that change.
        let keep_from = late_from.min(now - OVERLAP - 2 * CHUNK);
        if ce >= keep_from {
            w.remember_pages(&marks, ce, keep_from)?;
        }
        if let Some(f) = &figures {
            w.remember_hours(cs, ce, f.iter().map(|(&h, &v)| (h, v)), late_from)?;
        }
        w.commit()?;
    }
    progress(chunks.len() as u64, chunks.len() as u64);
    if let Some(before) = newest_before {
        if p.settings.late_window_days > 0 && before < late_from && report.samples_new > 0 {
            report.late_beyond_since = crate::model::format_utc(before)
                .get(..10)
                .map(str::to_string);
        }
    }
    Ok(report)
}

/// Takes one fetched page into its chunk: a page committed before byte for byte (its token
/// aside) only adds to the counts; any other is parsed, its samples added, and remembered
/// when reading the bytes finds the token the parse found. Returns the next page's token.
fn take_page(
    body: &[u8],
    known: &HashMap<u128, KnownPage>,
    request: impl FnOnce() -> String,
    report: &mut PullReport,
    samples: &mut Vec<Sample>,
    marks: &mut Vec<KnownPage>,
) -> Result<Option<String>, ApiError> {
    let print = fingerprint(body);
    if let Some(k) = known.get(&print.content) {
        // Its samples are stored, its rejects rejected.
        report.pages_unchanged += 1;
        report.samples_present += u64::from(k.samples);
        report.rejected += u64::from(k.rejected);
        marks.push(k.clone());
        return Ok(match print.cut_token {
            Some(t) => Some(t).filter(|t| !t.is_empty()),
            None => k.next_token.clone(),
        });
    }
    let page = parse_page(body).map_err(|message| ApiError::Malformed {
        request: request(),
        message,
    })?;
    for r in &page.rejected {
        tracing::warn!(rejected = %r, "skipped a data point");
    }
    report.rejected += page.rejected.len() as u64;
    let cut_ok = match print.cut_token.as_deref() {
        Some(t) => (!t.is_empty()).then_some(t) == page.next_page_token.as_deref(),
        None => true,
    };
    if cut_ok {
        marks.push(KnownPage {
            content: print.content,
            samples: page.samples.len() as u32,
            rejected: page.rejected.len() as u32,
            next_token: match print.cut_token {
                Some(_) => None,
                None => page.next_page_token.clone(),
            },
        });
    }
    samples.extend(page.samples);
    Ok(page.next_page_token)
}
