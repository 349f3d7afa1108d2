//! The Google Health API pull end to end: the login flow through a stand-in authorization
//! server, then `fitpipe sync` against a stand-in API with injected faults.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use predicates::prelude::*;

use crate::health_standin::{Google, CLIENT_ID, CLIENT_SECRET};
use crate::support::{query_one, reference_hourly, stored_hourly, Sandbox};

const DAY: i64 = 86_400;

fn now() -> i64 {
    fitpipe::clock::now().timestamp()
}

/// A 60-day history no test code computes hours from but the reference: ~90 s cadence with
/// gaps, offsets -05:00 then -04:00, and some samples that arrive late.
fn history(google: &Google) -> (i64, BTreeMap<i64, u16>) {
    let end = now() - 60;
    let start = (end - 60 * DAY) / DAY * DAY;
    let mut st = google.state.lock().unwrap();
    let mut x: u64 = 0x1234_5678;
    let mut t = start + 17;
    while t < end {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let off = if t < start + 30 * DAY {
            -18_000
        } else {
            -14_400
        };
        let gap = (x >> 40).is_multiple_of(97);
        if !gap {
            let bpm = 45 + ((x >> 33) % 130) as u16;
            if t > end - 30 * 3600 && (x >> 20).is_multiple_of(5) {
                st.late.insert(t, (bpm, off));
            } else {
                st.samples.insert(t, (bpm, off));
            }
        }
        t += 60 + ((x >> 50) % 61) as i64;
    }
    st.page_cap = 500;
    let all = st.samples.iter().map(|(k, v)| (*k, v.0)).collect();
    (start, all)
}

async fn server() -> (wiremock::MockServer, Google) {
    let server = wiremock::MockServer::start().await;
    let google = Google::default();
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(google.clone())
        .mount(&server)
        .await;
    (server, google)
}

/// A stand-in Google holding the 60-day `history`, and a sandbox logged in to it.
struct Setup {
    /// Kept alive for the test's length.
    _server: wiremock::MockServer,
    google: Google,
    start: i64,
    truth: BTreeMap<i64, u16>,
    sb: Sandbox,
}

async fn logged_in(token_store: &str) -> Setup {
    let (server, google) = server().await;
    let (start, truth) = history(&google);
    let sb = Sandbox::new();
    configure(&sb, &server.uri(), token_store);
    login(&sb).await;
    Setup {
        _server: server,
        google,
        start,
        truth,
        sb,
    }
}

/// The store's hourly maxima are those an independent computation gets from `samples`.
fn assert_holds<'a>(sb: &Sandbox, samples: impl IntoIterator<Item = (&'a i64, &'a u16)>) {
    assert_eq!(
        stored_hourly(&sb.db(), "default"),
        reference_hourly(samples.into_iter().map(|(t, b)| (*t, *b)))
    );
}

fn configure(sb: &Sandbox, uri: &str, token_store: &str) {
    std::fs::create_dir_all(sb.path("home/.config/fitpipe")).unwrap();
    std::fs::write(
        sb.path("home/.config/fitpipe/config.toml"),
        format!(
            "[google]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\napi_base_url = \"{uri}\"\n\
             auth_url = \"{uri}/o/oauth2/v2/auth\"\ntoken_url = \"{uri}/token\"\nrevoke_url = \"{uri}/revoke\"\n\
             token_store = \"{token_store}\"\nretry_base_ms = 1\nmin_request_interval_ms = 0\nlogin_timeout_secs = 30\n"
        ),
    )
    .unwrap();
}

/// `fitpipe auth login --no-browser`, completed by following the printed URL as a browser would.
async fn login(sb: &Sandbox) {
    let mut cmd = sb.std_cmd();
    cmd.args(["auth", "login", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (child, url) = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("the URL is printed").unwrap();
            if line.starts_with("http") {
                break line;
            }
        };
        // Keep reading in the background so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        (child, url)
    })
    .await
    .unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = browser.get(&url).send().await.unwrap();
    assert_eq!(
        consent.status(),
        302,
        "the stand-in accepted the authorization request"
    );
    let back = consent.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with("http://127.0.0.1:"));
    let page = browser
        .get(&back)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("fitpipe is connected"), "{page}");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "login failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn fitpipe(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = sb.std_cmd();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn day(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_then_sync_with_faults_matches_an_independent_computation() {
    let Setup {
        _server,
        google,
        start,
        mut truth,
        sb,
    } = logged_in("file").await;
    {
        let mut st = google.state.lock().unwrap();
        // A 429 storm and 503s on the same request: five failures, within the ten tries.
        st.fail_429 = 3;
        st.fail_503 = 2;
        st.expire_after = Some(25);
        st.empty_page_with_token = true;
        // The token endpoint is down for the refresh that expiry calls for.
        st.fail_token_503 = 3;
    }
    let out = fitpipe(
        &sb,
        &["sync", "--since", &day(start)],
        &[("FITPIPE_LOG", "trace")],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout.contains(&format!("{} new samples", truth.len())),
        "{stdout}"
    );
    assert_holds(&sb, &truth);
    {
        let st = google.state.lock().unwrap();
        assert!(st.bad_requests.is_empty(), "{:?}", st.bad_requests);
        assert!(st.refreshes >= 1, "the expired access token was refreshed");
        assert_eq!(
            (st.fail_429, st.fail_503, st.fail_token_503),
            (0, 0, 0),
            "the faults were all met"
        );
    }
    // Local hours carry the offset the API sent.
    let local: String = query_one(
        &sb.db(),
        "SELECT hour_start_local FROM hourly_max ORDER BY hour_epoch LIMIT 1",
    );
    assert!(local.ends_with("-05:00"), "{local}");

    // The watch uploads late: the next sync picks those up, without duplicates.
    let stderr1 = out.stderr;
    {
        let mut st = google.state.lock().unwrap();
        st.reveal_late = true;
        truth.extend(st.late.iter().map(|(k, v)| (*k, v.0)));
    }
    let out = fitpipe(&sb, &["sync"], &[("FITPIPE_LOG", "trace")]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n: i64 = query_one(&sb.db(), "SELECT count(*) FROM sample");
    assert_eq!(n as usize, truth.len());
    assert_holds(&sb, &truth);

    // No token string in the logs at trace level, the database or the config folder.
    let issued = google.state.lock().unwrap().issued.clone();
    assert!(issued.len() >= 3);
    let mut haystacks: Vec<(String, Vec<u8>)> = vec![
        ("stderr 1".into(), stderr1),
        ("stderr 2".into(), out.stderr),
    ];
    for f in [
        "data/fitpipe.db",
        "data/fitpipe.db-wal",
        "home/.config/fitpipe/config.toml",
    ] {
        haystacks.push((f.into(), std::fs::read(sb.path(f)).unwrap_or_default()));
    }
    for (name, hay) in &haystacks {
        let text = String::from_utf8_lossy(hay);
        for t in &issued {
            assert!(!text.contains(t.as_str()), "a token appears in {name}");
        }
    }
    // auth status --json reports expiry but no token.
    let st = fitpipe(&sb, &["auth", "status", "--json"], &[]).await;
    let v: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(v[0]["token_store"], "file");
    assert!(v[0]["refresh_token_expires_at"].is_string());
    for t in &issued {
        assert!(!String::from_utf8_lossy(&st.stdout).contains(t.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_refresh_token_stops_with_a_clear_message_and_keeps_the_data() {
    let Setup {
        _server,
        google,
        start,
        sb,
        ..
    } = logged_in("file").await;
    let out = fitpipe(&sb, &["sync", "--since", &day(start + 50 * DAY)], &[]).await;
    assert!(out.status.success());
    let before: i64 = query_one(&sb.db(), "SELECT count(*) FROM sample");
    assert!(before > 1000);
    {
        let mut st = google.state.lock().unwrap();
        st.refresh_tokens.values_mut().for_each(|v| *v = false);
        st.valid_access = None;
    }
    // With a remote configured, the push still happens; the exit code tells of the pull.
    let remote = format!("file://{}", sb.path("remote").display());
    let out = fitpipe(&sb, &["--remote", &remote, "sync"], &[]).await;
    assert_eq!(
        out.status.code(),
        Some(13),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("revoked or expired") && err.contains("fitpipe auth login"),
        "{err}"
    );
    let after: i64 = query_one(&sb.db(), "SELECT count(*) FROM sample");
    assert_eq!(before, after);
    let master = String::from_utf8(crate::support::remote_master_file(&sb.path("remote"))).unwrap();
    assert!(
        master.lines().count() > 24,
        "the store was pushed despite the failed pull"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_malformed_pages_are_explained_and_resumable() {
    let Setup {
        _server,
        google,
        start,
        truth,
        sb,
    } = logged_in("file").await;
    let since = start + 55 * DAY;
    google.state.lock().unwrap().refuse_403 = Some("API_PRIVATE_PREVIEW_ACCESS_DENIED".into());
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    assert_eq!(out.status.code(), Some(14));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has not admitted your Cloud project"));
    google.state.lock().unwrap().refuse_403 = Some("DISALLOWED_OAUTH_SCOPES".into());
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    assert_eq!(out.status.code(), Some(14));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Data Access page"));

    {
        let mut st = google.state.lock().unwrap();
        st.refuse_403 = None;
        st.malformed_on_call = Some(st.list_calls + 7);
    }
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    assert_eq!(
        out.status.code(),
        Some(15),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("heart-rate/dataPoints [") && err.contains("not a valid page"),
        "{err}"
    );
    // Whole chunks before the bad page are stored; the rest comes with the next run.
    let partial: i64 = query_one(&sb.db(), "SELECT count(*) FROM sample");
    // A body labelled gzip that is not: the same.
    {
        let mut st = google.state.lock().unwrap();
        st.corrupt_gzip_on_call = Some(st.list_calls + 5);
    }
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    assert_eq!(out.status.code(), Some(15));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("gzip body cannot be read"), "{err}");
    let after_gzip: i64 = query_one(&sb.db(), "SELECT count(*) FROM sample");
    assert!(after_gzip >= partial);
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    assert!(out.status.success());
    let want = truth.range((since / DAY * DAY)..);
    assert!(partial < want.clone().count() as i64);
    assert_holds(&sb, want);
}

/// Issue 11: a server whose paging loops (a token that repeats) stops the window with a
/// clear error; whole windows before it stay stored, the cursor does not pass it, and a
/// plain sync completes once the server pages right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeating_page_token_stops_the_window_instead_of_looping() {
    let Setup {
        _server,
        google,
        start,
        truth,
        sb,
    } = logged_in("file").await;
    let since = start + 58 * DAY;
    google.state.lock().unwrap().repeat_token = true;
    let calls = google.state.lock().unwrap().list_calls;
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(15), "{err}");
    assert!(
        err.contains("sent a page token it had sent before") && err.contains("not stored"),
        "{err}"
    );
    // It stopped at the repeat: the first page, then the token once more.
    let used = google.state.lock().unwrap().list_calls - calls;
    assert!(used <= 3, "{used} list calls");
    google.state.lock().unwrap().repeat_token = false;
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_holds(&sb, truth.range((since / DAY * DAY)..));
}

/// Issue 11: a page token the server refuses (400 INVALID_PAGE_TOKEN, as an expired one is)
/// makes the pull read that window again from its first page, once; a second refusal in
/// the same window fails it without storing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_page_token_restarts_the_window_once() {
    let Setup {
        _server,
        google,
        start,
        truth,
        sb,
    } = logged_in("file").await;
    let since = start + 58 * DAY;
    {
        // Several pages a window, so that requests carry page tokens.
        let mut st = google.state.lock().unwrap();
        st.page_cap = 100;
        st.refuse_tokens = 1;
    }
    let out = fitpipe(&sb, &["sync", "--json", "--since", &day(since)], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"window_restarts\": 1"), "{text}");
    assert_holds(&sb, truth.range((since / DAY * DAY)..));

    google.state.lock().unwrap().refuse_tokens = 2;
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(15), "{err}");
    assert!(err.contains("the page token was refused"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_and_forgets() {
    let Setup {
        _server,
        google,
        sb,
        ..
    } = logged_in("file").await;
    assert!(
        sb.path("data/tokens/default.json").exists()
            || sb.path("data/tokens/default.json").exists()
    );
    let out = fitpipe(&sb, &["auth", "logout"], &[]).await;
    assert!(out.status.success());
    assert!(
        google
            .state
            .lock()
            .unwrap()
            .refresh_tokens
            .values()
            .all(|v| !v),
        "revoked at the server"
    );
    assert!(!sb.path("data/tokens/default.json").exists());
    let st = fitpipe(&sb, &["auth", "status"], &[]).await;
    assert!(String::from_utf8_lossy(&st.stdout).contains("no Google login"));
    // Without a login, sync skips the pull and says so.
    let out = fitpipe(&sb, &["sync"], &[]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("no Google login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_live_in_the_os_keyring() {
    if std::env::var_os("FITPIPE_REQUIRE_KEYRING").is_none() {
        eprintln!("skipped: set FITPIPE_REQUIRE_KEYRING=1 with a Secret Service running (CI does)");
        return;
    }
    let Setup {
        _server, start, sb, ..
    } = logged_in("keyring").await;
    let st = fitpipe(&sb, &["auth", "status", "--json"], &[]).await;
    let v: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(v[0]["token_store"], "keyring");
    assert_eq!(v[0]["tokens_found"], true);
    let out = fitpipe(&sb, &["sync", "--since", &day(start + 58 * DAY)], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !sb.path("data/tokens").exists(),
        "no token file next to the database"
    );
    let out = fitpipe(&sb, &["auth", "logout"], &[]).await;
    assert!(out.status.success());
    let _ = predicate::str::contains("");
}

fn pull_report(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["pull"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hourly_sync_parses_again_only_the_pages_that_changed() {
    let Setup {
        _server,
        google,
        mut truth,
        sb,
        ..
    } = logged_in("file").await;
    // About 240 points a 6 h chunk: several pages each, every one with a fresh token.
    google.state.lock().unwrap().page_cap = 60;
    let since = (now() - 4 * DAY) / DAY * DAY;
    let first = pull_report(&fitpipe(&sb, &["sync", "--json", "--since", &day(since)], &[]).await);
    assert_eq!(first["pages_unchanged"], 0);

    // Nothing new: one roll-up request shows no hour of the late window changed, and every
    // page of the 6 h overlap comes back as it was committed.
    let again = pull_report(&fitpipe(&sb, &["sync", "--json"], &[]).await);
    let requests = again["requests"].as_u64().unwrap();
    assert_eq!(again["late_check"], "roll-up", "{again}");
    assert_eq!(again["late_hours_changed"], 0, "{again}");
    assert_eq!(again["late_chunks"], 0, "{again}");
    // One roll-up, and the two or three chunks of the overlap of some pages each.
    assert!((2..=13).contains(&requests), "{again}");
    assert_eq!(again["samples_new"], 0, "{again}");
    // (one page may be new if the two syncs straddle a 6 h boundary)
    assert!(
        again["pages_unchanged"].as_u64().unwrap() >= requests - 2,
        "{again}"
    );
    let in_window = |from: i64| truth.range(from..).count() as u64;
    let overlap_start = {
        let c = now() - 6 * 3600;
        c - c.rem_euclid(6 * 3600)
    };
    assert!(again["samples_present"].as_u64().unwrap() >= in_window(overlap_start));

    // An explicit --since reads every page afresh.
    let repair =
        pull_report(&fitpipe(&sb, &["sync", "--json", "--since", &day(now() - DAY)], &[]).await);
    assert_eq!(repair["pages_unchanged"], 0, "{repair}");
    assert_eq!(repair["samples_new"], 0, "{repair}");

    // Late uploads spread over the last 30 h, and a sample in the newest minute: the chunks
    // that hold them changed and are read.
    let late: usize;
    {
        let mut st = google.state.lock().unwrap();
        st.reveal_late = true;
        late = st.late.len();
        truth.extend(st.late.iter().map(|(k, v)| (*k, v.0)));
        let t = now() - 30;
        st.samples.insert(t, (131, -14_400));
        truth.insert(t, 131);
    }
    assert!(late > 50);
    let third = pull_report(&fitpipe(&sb, &["sync", "--json"], &[]).await);
    assert_eq!(
        third["samples_new"].as_u64().unwrap() as usize,
        late + 1,
        "{third}"
    );
    // The late samples are spread over the last 30 h: the roll-up found their hours, and
    // only their chunks were read besides the overlap.
    assert!(
        third["late_hours_changed"].as_u64().unwrap() > 10,
        "{third}"
    );
    assert!(third["late_chunks"].as_u64().unwrap() <= 5, "{third}");
    assert_holds(&sb, truth.range(since..));
    let st = google.state.lock().unwrap();
    assert!(st.bad_requests.is_empty(), "{:?}", st.bad_requests);
    assert_eq!(st.gzipped, st.list_calls, "every page came gzip-compressed");
    assert!(
        st.fields_seen
            .iter()
            .all(|f| f.as_deref() == Some(fitpipe::health_api::FIELDS)),
        "every request asks for the partial response"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_with_an_unreadable_gzip_body_is_still_retried() {
    let Setup {
        _server,
        google,
        truth,
        sb,
        ..
    } = logged_in("file").await;
    {
        let mut st = google.state.lock().unwrap();
        st.fail_503 = 3;
        st.corrupt_gzip_503s = true;
    }
    let since = (now() - 2 * DAY) / DAY * DAY;
    let report = pull_report(&fitpipe(&sb, &["sync", "--json", "--since", &day(since)], &[]).await);
    assert_eq!(report["retries"], 3, "{report}");
    assert_holds(&sb, truth.range(since..));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_refuses_partial_responses_is_read_whole() {
    let Setup {
        _server,
        google,
        truth,
        sb,
        ..
    } = logged_in("file").await;
    google.state.lock().unwrap().refuse_fields = true;
    let since = (now() - 3 * DAY) / DAY * DAY;
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("partial response"));
    assert_holds(&sb, truth.range(since..));
    let st = google.state.lock().unwrap();
    assert_eq!(
        st.fields_seen[0].as_deref(),
        Some(fitpipe::health_api::FIELDS)
    );
    assert!(
        st.fields_seen[1..].iter().all(Option::is_none),
        "asked once, then whole pages"
    );
    assert!(st.fields_seen.len() > 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_sync_between_commits_and_a_rerun_resumes() {
    let Setup {
        _server,
        google,
        start,
        truth,
        sb,
    } = logged_in("file").await;
    google.state.lock().unwrap().delay_ms = 15;
    let mut cmd = sb.std_cmd();
    cmd.args(["sync", "--since", &day(start)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Wait until some chunks are committed, then press Ctrl-C.
    let db = sb.db();
    let committed = tokio::task::spawn_blocking(move || {
        for _ in 0..400 {
            std::thread::sleep(std::time::Duration::from_millis(25));
            let Ok(conn) = rusqlite::Connection::open_with_flags(
                &db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            ) else {
                continue;
            };
            let n: i64 = conn
                .query_row("SELECT count(*) FROM pull_state", [], |r| r.get(0))
                .unwrap_or(0);
            if n > 0 {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(committed, "the sync committed a chunk");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("run the same command again"),
        "{err}"
    );

    // Consistent: whole chunks below the cursor, exactly what the server holds there.
    let ok: String = query_one(&sb.db(), "PRAGMA integrity_check");
    assert_eq!(ok, "ok");
    let cursor: i64 = query_one(&sb.db(), "SELECT cursor FROM pull_state");
    let from = start - start.rem_euclid(6 * 3600);
    assert!(
        cursor > from && cursor < now() - DAY,
        "stopped part way: {cursor}"
    );
    assert_holds(&sb, truth.range(from..cursor));

    // The next plain sync goes on from the cursor and ends with everything.
    google.state.lock().unwrap().delay_ms = 0;
    let out = fitpipe(&sb, &["sync"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_holds(&sb, truth.range(from..));
}

/// A watch away from its phone: one whole day of its samples reaches the server five days
/// late. A plain hourly sync picks the day up, through the roll-up's changed hours or, when
/// the server refuses roll-ups, by reading the late window again.
async fn a_day_five_days_late(refuse_roll_up: bool) {
    let Setup {
        _server,
        google,
        mut truth,
        sb,
        ..
    } = logged_in("file").await;
    let since = (now() - 10 * DAY) / DAY * DAY;
    let hidden = (now() - 5 * DAY) / DAY * DAY;
    {
        let mut st = google.state.lock().unwrap();
        st.refuse_roll_up = refuse_roll_up;
        let day: Vec<(i64, (u16, i64))> = st
            .samples
            .range(hidden..hidden + DAY)
            .map(|(k, v)| (*k, *v))
            .collect();
        assert!(day.len() > 500);
        for (k, v) in day {
            st.samples.remove(&k);
            truth.remove(&k);
            st.late.insert(k, v);
        }
    }
    fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    let quiet = pull_report(&fitpipe(&sb, &["sync", "--json"], &[]).await);
    assert_holds(&sb, truth.range(since..));

    {
        let mut st = google.state.lock().unwrap();
        st.reveal_late = true;
        truth.extend(st.late.iter().map(|(k, v)| (*k, v.0)));
    }
    let late = pull_report(&fitpipe(&sb, &["sync", "--json"], &[]).await);
    assert_holds(&sb, truth.range(since..));
    if refuse_roll_up {
        assert_eq!(late["late_check"], "read again", "{late}");
        // The whole week behind the overlap, every sync.
        assert!(late["late_chunks"].as_u64().unwrap() >= 26, "{late}");
        assert_eq!(quiet["late_check"], "read again", "{quiet}");
    } else {
        assert_eq!(late["late_check"], "roll-up", "{late}");
        assert!(late["late_hours_changed"].as_u64().unwrap() >= 24, "{late}");
        // The hidden day's four chunks, and those of the late samples of the last 30 h
        // that lie before the overlap.
        let chunks = late["late_chunks"].as_u64().unwrap();
        assert!((4..=10).contains(&chunks), "{late}");
        assert_eq!(quiet["late_hours_changed"], 0, "{quiet}");
        // Afterwards the sync is quiet again.
        let after = pull_report(&fitpipe(&sb, &["sync", "--json"], &[]).await);
        assert_eq!(after["late_hours_changed"], 0, "{after}");
        assert_eq!(after["late_chunks"], 0, "{after}");
        assert_eq!(after["samples_new"], 0, "{after}");
    }
    let st = google.state.lock().unwrap();
    assert!(st.bad_requests.is_empty(), "{:?}", st.bad_requests);
    assert_eq!(st.roll_up_calls > 0, !refuse_roll_up);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_uploaded_five_days_late_lands_with_a_plain_sync() {
    a_day_five_days_late(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_roll_ups_the_late_window_is_read_again() {
    a_day_five_days_late(true).await;
}

/// A phone app writing 50 bpm higher beside every 37th sample of the watch (at the same
/// second, or the next): the hourly max is the watch's, hour for hour, and `fitpipe
/// sources` names both; counting the app raises exactly the hours it wrote in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_beside_the_watch_does_not_raise_its_max() {
    let Setup {
        _server,
        google,
        truth,
        sb,
        ..
    } = logged_in("file").await;
    let since = (now() - 3 * DAY) / DAY * DAY;
    let mut phone = BTreeMap::new();
    {
        let mut st = google.state.lock().unwrap();
        for (i, (&t, &(bpm, off))) in st.samples.range(since..).enumerate() {
            if i % 37 == 0 {
                phone.insert(t + (i as i64 / 37 % 2), (bpm + 50, off));
            }
        }
        st.phone = phone.clone();
    }
    assert!(phone.len() > 20);
    let out = fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_holds(&sb, truth.range(since..));

    let out = fitpipe(&sb, &["sources", "--json"], &[]).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources: std::collections::BTreeSet<(String, u64, bool)> = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap().to_string(),
                s["samples"].as_u64().unwrap(),
                s["counted"].as_bool().unwrap(),
            )
        })
        .collect();
    let want_sources = [
        (
            "Pixel Watch 3".to_string(),
            truth.range(since..).count() as u64,
            true,
        ),
        (
            "com.example.workout (HEALTH_CONNECT)".to_string(),
            phone.len() as u64,
            false,
        ),
    ];
    assert_eq!(sources, want_sources.into_iter().collect());
    let out = fitpipe(
        &sb,
        &["sources", "count", "com.example.workout (HEALTH_CONNECT)"],
        &[],
    )
    .await;
    assert!(out.status.success());
    // Both sources now: each (instant, source) is one sample.
    let mut want: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (t, b) in truth
        .range(since..)
        .map(|(t, b)| (*t, *b))
        .chain(phone.iter().map(|(t, (b, _))| (*t, *b)))
    {
        let e = want
            .entry(fitpipe::model::format_utc(t - t.rem_euclid(3600)))
            .or_insert((0, 0));
        e.0 = e.0.max(b as i64);
        e.1 += 1;
    }
    assert_eq!(stored_hourly(&sb.db(), "default"), want);
}

/// `fitpipe auth login --manual` as on a machine without a browser: the URL is opened
/// elsewhere, and what the browser was sent to is pasted back. `tamper` alters the pasted
/// address's state first.
async fn manual_login(sb: &Sandbox, tamper: bool) -> std::process::Output {
    use std::io::Write;
    let mut cmd = sb.std_cmd();
    cmd.args(["auth", "login", "--manual"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (mut child, url, rest) = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("the URL is printed").unwrap();
            if line.starts_with("http") {
                break line;
            }
        };
        let rest = std::thread::spawn(move || lines.map(|l| l.unwrap()).collect::<Vec<_>>());
        (child, url, rest)
    })
    .await
    .unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = browser.get(&url).send().await.unwrap();
    assert_eq!(consent.status(), 302);
    let mut back = consent.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    if tamper {
        back = back.replace("state=", "state=x");
    }
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "  {back}  ").unwrap();
    drop(stdin);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let printed = rest.join().unwrap().join("\n");
    assert!(printed.contains("paste it here"), "{printed}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_login_completes_with_a_pasted_address_and_refuses_a_wrong_state() {
    let (server, google) = server().await;
    let sb = Sandbox::new();
    configure(&sb, &server.uri(), "file");
    let refused = manual_login(&sb, true).await;
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("state does not match"), "{err}");
    assert!(
        !sb.path("data/tokens/default.json").exists(),
        "no tokens from a refused login"
    );
    let ok = manual_login(&sb, false).await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(sb.path("data/tokens/default.json").exists());
    let status = fitpipe(&sb, &["auth", "status", "--json"], &[]).await;
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v[0]["tokens_found"], true, "{v}");
    let st = google.state.lock().unwrap();
    assert!(st.bad_requests.is_empty(), "{:?}", st.bad_requests);
}

/// A watch away for nine days uploads them all at once: a plain sync picks up the late
/// window's seven, says what may be missing before it and how to read it; that command
/// fills the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_older_than_the_late_window_is_named_with_its_fix() {
    let Setup {
        _server,
        google,
        mut truth,
        sb,
        ..
    } = logged_in("file").await;
    let since = (now() - 14 * DAY) / DAY * DAY;
    let away = now() - 9 * DAY;
    {
        let mut st = google.state.lock().unwrap();
        st.late.clear();
        let gone: Vec<(i64, (u16, i64))> =
            st.samples.range(away..).map(|(k, v)| (*k, *v)).collect();
        for (k, v) in gone {
            st.samples.remove(&k);
            truth.remove(&k);
            st.late.insert(k, v);
        }
    }
    fitpipe(&sb, &["sync", "--since", &day(since)], &[]).await;
    assert_holds(&sb, truth.range(since..));
    let before = fitpipe(&sb, &["doctor"], &[]).await;
    let text = String::from_utf8_lossy(&before.stdout);
    assert!(text.contains("older than the late window"), "{text}");
    {
        let mut st = google.state.lock().unwrap();
        st.reveal_late = true;
        truth.extend(st.late.iter().map(|(k, v)| (*k, v.0)));
    }
    let out = fitpipe(&sb, &["sync"], &[]).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let newest_before = truth.range(..away).next_back().map(|(t, _)| *t).unwrap();
    let fix = format!("fitpipe sync --since {}", &day(newest_before));
    assert!(text.contains(&fix), "{text}");
    // What the window held is in; what lies before it is not, until the named command.
    let stored = crate::support::stored_hourly(&sb.db(), "default");
    let want = reference_hourly(truth.range(since..).map(|(t, b)| (*t, *b)));
    assert_ne!(stored, want);
    let out = fitpipe(&sb, &["sync", "--since", &day(newest_before)], &[]).await;
    assert!(out.status.success());
    assert_holds(&sb, truth.range(since..));
}

/// A notification server of the freedesktop Notifications interface on the session bus,
/// recording what it is sent: (app name, summary, body).
struct Notifications(std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>);

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: std::collections::HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut v = self.0.lock().unwrap();
        v.push((app_name, summary, body));
        v.len() as u32
    }
    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }
    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fitpipe-test".into(),
            "fitpipe".into(),
            "1".into(),
            "1.2".into(),
        )
    }
    fn close_notification(&self, _id: u32) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_sync_tells_of_a_revoked_login_once_and_when_it_is_fixed() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        assert!(
            std::env::var_os("FITPIPE_REQUIRE_KEYRING").is_none(),
            "a session bus is required (as for the keyring)"
        );
        eprintln!("skipped: no session bus");
        return;
    }
    let shown = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let _bus = zbus::blocking::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at(
            "/org/freedesktop/Notifications",
            Notifications(shown.clone()),
        )
        .unwrap()
        .build()
        .unwrap();
    let Setup {
        _server,
        google,
        start,
        sb,
        ..
    } = logged_in("file").await;
    let ping = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&ping)
        .await;
    let config = sb.path("home/.config/fitpipe/config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[notify]\nping_url = \"{}/ping/abc\"\n",
        ping.uri()
    ));
    std::fs::write(&config, text).unwrap();
    let scheduled = [("FITPIPE_SCHEDULED", "1")];
    let ok = fitpipe(&sb, &["sync", "--since", &day(start)], &scheduled).await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(shown.lock().unwrap().is_empty(), "nothing is wrong yet");

    // The login is revoked at Google: the scheduled run fails with 13 and says how to fix it.
    {
        let mut st = google.state.lock().unwrap();
        st.refresh_tokens.values_mut().for_each(|v| *v = false);
        st.valid_access = None;
    }
    let failed = fitpipe(&sb, &["sync"], &scheduled).await;
    assert_eq!(failed.status.code(), Some(13));
    {
        let n = shown.lock().unwrap();
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0].0, "fitpipe");
        assert!(n[0].1.contains("revoked or expired"), "{n:?}");
        assert!(n[0].2.contains("fitpipe auth login"), "{n:?}");
    }
    // Within the day: no second notification; an interactive sync notifies nobody either.
    assert_eq!(
        fitpipe(&sb, &["sync"], &scheduled).await.status.code(),
        Some(13)
    );
    assert_eq!(fitpipe(&sb, &["sync"], &[]).await.status.code(), Some(13));
    assert_eq!(shown.lock().unwrap().len(), 1);
    let status = fitpipe(&sb, &["status", "--json"], &[]).await;
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["scheduled"]["last_run"]["exit_code"], 13, "{v}");
    assert_eq!(
        v["scheduled"]["open_problems"].as_array().unwrap().len(),
        1,
        "{v}"
    );

    // Logged in again: the next scheduled run says it is fixed, once.
    login(&sb).await;
    let fixed = fitpipe(&sb, &["sync"], &scheduled).await;
    assert!(
        fixed.status.success(),
        "{}",
        String::from_utf8_lossy(&fixed.stderr)
    );
    {
        let n = shown.lock().unwrap();
        assert_eq!(n.len(), 2, "{n:?}");
        assert_eq!(n[1].1, "fitpipe: fixed");
    }
    let status = fitpipe(&sb, &["service", "status", "--json"], &[]).await;
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["scheduled"]["last_run"]["exit_code"], 0, "{v}");
    assert!(v["scheduled"]["open_problems"]
        .as_array()
        .unwrap()
        .is_empty());

    // Without a reachable notification service (a server, no session bus) the run goes on
    // and says so in its log.
    {
        let mut st = google.state.lock().unwrap();
        st.refresh_tokens.values_mut().for_each(|v| *v = false);
        st.valid_access = None;
    }
    let nobus = fitpipe(
        &sb,
        &["sync"],
        &[
            ("FITPIPE_SCHEDULED", "1"),
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"),
        ],
    )
    .await;
    assert_eq!(nobus.status.code(), Some(13));
    let log = String::from_utf8_lossy(&nobus.stderr);
    assert!(
        log.contains("no desktop notification could be shown"),
        "{log}"
    );
    assert_eq!(shown.lock().unwrap().len(), 2);
    // What could not be shown is shown by the next run that reaches the service.
    assert_eq!(
        fitpipe(&sb, &["sync"], &scheduled).await.status.code(),
        Some(13)
    );
    assert_eq!(shown.lock().unwrap().len(), 3);

    // The pings: success, failure with the exit code (twice scheduled, never interactive),
    // success, failure; no token anywhere in them or the notifications.
    let got = ping.received_requests().await.unwrap();
    let seen: Vec<(String, String, String)> = got
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_string(),
                String::from_utf8_lossy(&r.body).to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen.iter()
            .map(|s| (s.0.as_str(), s.1.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("GET", "/ping/abc"),
            ("POST", "/ping/abc/fail"),
            ("POST", "/ping/abc/fail"),
            ("GET", "/ping/abc"),
            ("POST", "/ping/abc/fail"),
            ("POST", "/ping/abc/fail"),
        ]
    );
    assert!(seen[1].2.starts_with("exit 13: "), "{:?}", seen[1]);
    // A damaged database: the scheduled run says so, with the way back.
    let db = sb.db();
    let len = std::fs::metadata(&db).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.set_len(len / 3).unwrap();
    drop(f);
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", db.display()));
    }
    let damaged = fitpipe(&sb, &["sync"], &scheduled).await;
    assert_eq!(
        damaged.status.code(),
        Some(18),
        "{}",
        String::from_utf8_lossy(&damaged.stderr)
    );
    {
        let n = shown.lock().unwrap();
        let last = n.last().unwrap();
        assert!(last.1.contains("damaged"), "{n:?}");
        assert!(last.2.contains("fitpipe restore"), "{n:?}");
    }

    let issued = google.state.lock().unwrap().issued.clone();
    let logs: Vec<String> = [&ok, &failed, &fixed, &nobus, &damaged]
        .iter()
        .map(|o| {
            String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout)
        })
        .collect();
    for t in issued {
        for (_, _, body) in &seen {
            assert!(!body.contains(&t));
        }
        for (_, s, b) in shown.lock().unwrap().iter() {
            assert!(!s.contains(&t) && !b.contains(&t));
        }
        for l in &logs {
            assert!(!l.contains(&t), "a token in the log");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_server_that_never_answers_holds_the_run_up_only_for_its_timeout() {
    let Setup {
        _server, start, sb, ..
    } = logged_in("file").await;
    // Accepts connections and never answers.
    let hang = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = hang.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in hang.incoming() {
            held.push(c);
        }
    });
    let config = sb.path("home/.config/fitpipe/config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[notify]\ndesktop = false\nping_url = \"http://{addr}/x\"\nping_timeout_secs = 1\n"
    ));
    std::fs::write(&config, text).unwrap();
    fitpipe(&sb, &["sync", "--since", &day(start)], &[]).await;
    let t = std::time::Instant::now();
    let quiet = fitpipe(&sb, &["sync"], &[]).await;
    let plain = t.elapsed();
    assert!(quiet.status.success());
    let t = std::time::Instant::now();
    let out = fitpipe(&sb, &["sync"], &[("FITPIPE_SCHEDULED", "1")]).await;
    let pinged = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One ping (no start ping configured), cut off after its 1 s timeout.
    assert!(
        pinged < plain + std::time::Duration::from_secs(4),
        "{pinged:?} against {plain:?}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("health-check ping was not sent"));
}

#[test]
fn a_scheduled_run_warns_ahead_of_a_watch_that_stopped_and_a_login_about_to_lapse() {
    let sb = Sandbox::new();
    sb.demo_history(&["--days", "2", "--start", "2024-01-01"], "takeout");
    std::fs::create_dir_all(sb.path("home/.config/fitpipe")).unwrap();
    std::fs::write(
        sb.path("home/.config/fitpipe/config.toml"),
        "[google]\ntoken_store = \"file\"\n[notify]\ndesktop = false\n",
    )
    .unwrap();
    // A login whose refresh token lapses in 10 hours (a "Testing" app's seventh day).
    let now = now();
    std::fs::create_dir_all(sb.path("data/tokens")).unwrap();
    let tokens = sb.path("data/tokens/default.json");
    std::fs::write(
        &tokens,
        format!(
            "{{\"access_token\":\"a\",\"access_expires_at\":{},\"refresh_token\":\"r\",\"refresh_expires_at\":{},\"scope\":\"s\"}}",
            now + 3000,
            now + 10 * 3600
        ),
    )
    .unwrap();
    std::fs::set_permissions(&tokens, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let conn = rusqlite::Connection::open(sb.db()).unwrap();
    conn.execute(
        "INSERT INTO auth_login VALUES (0, 'file', 's', '2026-11-24T00:00:00Z')",
        [],
    )
    .unwrap();
    drop(conn);
    // No OAuth client is configured, so the pull fails at once (a problem of its own); the
    // warnings come from the store and the token file.
    let out = sb
        .std_cmd()
        .args(["sync"])
        .env("FITPIPE_SCHEDULED", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let status = sb.std_cmd().args(["status", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let open: Vec<String> = v["scheduled"]["open_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["what"].as_str().unwrap().to_string())
        .collect();
    assert!(
        open.iter().any(|w| w.contains("got no new sample for")),
        "{open:?}"
    );
    assert!(
        open.iter()
            .any(|w| w.contains("Google login of account default expires")),
        "{open:?}"
    );
    let text = sb.std_cmd().arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("open problem: account default got no new sample"),
        "{text}"
    );
}
