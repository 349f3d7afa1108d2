//! The pull: Google Health API -> store, driven by a cursor that only advances after a
//! commit. This is the one scheduled loop, so it alone waits and retries: 401 refreshes the
//! access token once, 429 and 5xx back off exponentially with jitter (honouring
//! `Retry-After`), a bounded number of times.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::auth::{AuthError, OAuth, TokenSet, TokenStore};
use crate::config::GoogleSettings;
use crate::health_api::{fingerprint, parse_page, ApiError, HealthApi, PageRequest};
use crate::model::{Sample, DAY};
use crate::store::{AccountId, InsertOutcome, KnownPage, Store, StoreError};

/// The most pages one chunk may take: six hours at one sample a second are 21,600 points,
/// three pages of 10,000; a thousand is a server that pages forever.
pub const MAX_PAGES_PER_CHUNK: u32 = 1000;

/// Watches upload late: every pull looks this far behind its cursor again.
pub const OVERLAP: i64 = 48 * 3600;
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
    async fn fresh(
        &self,
        account: &str,
        current: Option<TokenSet>,
        force: bool,
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
        let fresh = self.oauth.refresh(account, &tokens, now).await?;
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

/// Pulls `[since or cursor - OVERLAP or now - backfill, now)`, widened back to a `CHUNK`
/// boundary, for one account, a chunk at a time; each chunk's samples, the cursor move and
/// the fingerprints of its pages are one transaction.
pub async fn pull(
    store: &mut Store,
    account: &str,
    id: AccountId,
    p: &Puller<'_>,
    since: Option<i64>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PullReport, PullError> {
    let now = (p.now)();
    let start = match (since, store.pull_cursor(id)?) {
        (Some(s), _) => s,
        (None, Some(c)) => c - OVERLAP,
        (None, None) => now - p.settings.backfill_days as i64 * DAY,
    };
    let start = start - start.rem_euclid(CHUNK);
    let mut report = PullReport {
        account: account.to_string(),
        from: crate::model::format_utc(start),
        to: crate::model::format_utc(now),
        ..PullReport::default()
    };
    let chunks: Vec<(i64, i64)> = (0..)
        .map(|i| start + i * CHUNK)
        .take_while(|s| *s < now)
        .map(|s| (s, (s + CHUNK).min(now)))
        .collect();
    let mut tokens = Some(p.fresh(account, None, false).await?);
    let min_gap = Duration::from_millis(p.settings.min_request_interval_ms);
    let mut last_request: Option<Instant> = None;
    // An explicit `--since` reads every page afresh: it is also how to repair a store
    // changed behind fitpipe's back.
    let known = match since {
        Some(_) => Default::default(),
        None => store.known_pages(id)?,
    };
    let mut body = Vec::new();

    for (done, &(cs, ce)) in chunks.iter().enumerate() {
        progress(done as u64, chunks.len() as u64);
        let mut samples = Vec::new();
        let mut marks: Vec<KnownPage> = Vec::new();
        let mut page_token: Option<String> = None;
        let mut page_no = 1;
        let mut tokens_seen: std::collections::HashSet<String> = Default::default();
        let mut restarted = false;
        loop {
            let mut refreshed = false;
            let mut attempt = 0u32;
            let mut restart = false;
            loop {
                if let Some(t) = last_request {
                    let wait = min_gap.saturating_sub(t.elapsed());
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                }
                last_request = Some(Instant::now());
                report.requests += 1;
                let access = tokens
                    .as_ref()
                    .map(|t| t.access_token.clone())
                    .unwrap_or_default();
                match p
                    .api
                    .fetch_page(
                        &access,
                        &PageRequest {
                            start: cs,
                            end: ce,
                            page_token: page_token.as_deref(),
                            page: page_no,
                        },
                        &mut body,
                    )
                    .await
                {
                    Ok(()) => break,
                    // A token the server gave and now refuses (it may expire): read the window
                    // again from its first page, once; nothing of it is committed yet.
                    Err(ApiError::InvalidPageToken { .. }) if !restarted => {
                        restart = true;
                        break;
                    }
                    Err(ApiError::Unauthorized { .. }) if !refreshed => {
                        refreshed = true;
                        report.refreshes += 1;
                        tokens = Some(p.fresh(account, tokens.take(), true).await?);
                    }
                    Err(e) => {
                        let retry = e.into_retry()?;
                        attempt += 1;
                        if attempt >= p.settings.max_tries {
                            return Err(PullError::GaveUp {
                                request: retry.request,
                                tries: attempt,
                                message: retry.message,
                            });
                        }
                        report.retries += 1;
                        let wait = p.backoff(attempt - 1, retry.retry_after);
                        tracing::info!(
                            attempt,
                            wait_ms = wait.as_millis() as u64,
                            error = %retry.message,
                            "retrying after a transient error"
                        );
                        tokio::time::sleep(wait).await;
                    }
                }
            }
            if restart {
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
        // Both lists are in time order: walk them together.
        let mut at = 0usize;
        samples.retain(|s| {
            while at < stored.len() && stored[at].0 < s.ts {
                at += 1;
            }
            let known = stored.get(at).filter(|k| k.0 == s.ts).is_some_and(
                |&(_, has_offset, has_device)| {
                    (has_offset || s.utc_offset_min.is_none()) && (has_device || s.device.is_none())
                },
            );
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
        w.advance_pull_cursor(ce, &stamp)?;
        // Pages of chunks that a later sync's overlap still re-reads are worth knowing.
        let keep_from = now - OVERLAP - 2 * CHUNK;
        if ce >= keep_from {
            w.remember_pages(&marks, ce, keep_from)?;
        }
        w.commit()?;
    }
    progress(chunks.len() as u64, chunks.len() as u64);
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
