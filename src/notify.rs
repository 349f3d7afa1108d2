//! Telling the user when the scheduled sync stops working: a desktop notification per
//! problem (repeated at most once a day while it stands, and once more when it is fixed), and
//! a ping to a health-check service after each scheduled run. Neither ever fails or holds up
//! the run: what cannot be sent is logged.
//!
//! What is open is kept in `notify.json` in the data folder (not the database, which may be
//! the thing that is damaged): the last scheduled run and each open problem with when it was
//! last notified. Only messages and exit codes leave the machine, never a token or a sample.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::NotifySettings;

/// A standing problem is notified again after this long.
pub const REPEAT_AFTER: i64 = 24 * 3600;
/// A login that expires sooner than this is warned of.
pub const LOGIN_WARN_SECS: i64 = 48 * 3600;
/// A series with no new sample for this long is warned of.
pub const STALE_SECS: i64 = 24 * 3600;

/// A problem as the run found it: a key that stays the same while it stands, what is
/// wrong, and the command that fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub key: String,
    pub what: String,
    pub fix: String,
}

/// The last scheduled run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastRun {
    pub at: String,
    pub exit_code: i32,
    /// The error's text, when the run failed.
    pub error: Option<String>,
}

/// A problem that is open, and when it was notified last (epoch seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Open {
    pub problem: Problem,
    pub since: String,
    pub notified_at: i64,
}

/// What `notify.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub last_run: Option<LastRun>,
    pub open: BTreeMap<String, Open>,
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub summary: String,
    pub body: String,
    /// The open problem it tells of (none for "fixed").
    pub key: Option<String>,
}

/// The notifications a run calls for, given what is open and what the run found: a new
/// problem, or one last notified a day ago or more, is shown; an open problem the run no
/// longer finds is shown as fixed once and closed. Pure.
pub fn plan(state: &mut State, found: &[Problem], now: i64, at: &str) -> Vec<Notice> {
    let mut out = Vec::new();
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    let fixed: Vec<String> = state
        .open
        .keys()
        .filter(|k| !keys.contains(&k.as_str()))
        .cloned()
        .collect();
    for k in fixed {
        let o = state.open.remove(&k).expect("listed");
        out.push(Notice {
            summary: "fitpipe: fixed".into(),
            body: format!("{} (open since {})", o.problem.what, o.since),
            key: None,
        });
    }
    for p in found {
        let due = match state.open.get(&p.key) {
            None => true,
            Some(o) => now - o.notified_at >= REPEAT_AFTER,
        };
        if due {
            out.push(Notice {
                summary: format!("fitpipe: {}", p.what),
                body: p.fix.clone(),
                key: Some(p.key.clone()),
            });
        }
        let since = state
            .open
            .get(&p.key)
            .map_or_else(|| at.to_string(), |o| o.since.clone());
        let notified_at = match state.open.get(&p.key) {
            Some(o) if !due => o.notified_at,
            _ => now,
        };
        state.open.insert(
            p.key.clone(),
            Open {
                problem: p.clone(),
                since,
                notified_at,
            },
        );
    }
    out
}

/// Where the state lives.
pub fn state_path(data_dir: &Path) -> PathBuf {
    data_dir.join("notify.json")
}

/// The state, or an empty one when there is none or it cannot be read (it is rebuilt by
/// the next run).
pub fn load(data_dir: &Path) -> State {
    std::fs::read(state_path(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save(data_dir: &Path, state: &State) -> std::io::Result<()> {
    crate::files::write_bytes_atomically(
        &state_path(data_dir),
        &serde_json::to_vec_pretty(state).expect("serializable"),
    )
}

/// Shows a desktop notification: the freedesktop Notifications service on the session bus
/// (Linux, BSD), the notification centre (macOS).
fn desktop(n: &Notice) -> Result<(), String> {
    notify_rust::Notification::new()
        .appname("fitpipe")
        .summary(&n.summary)
        .body(&n.body)
        .show()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The text a failure sends: its exit code and the first line of its message, short.
fn short(exit_code: i32, error: Option<&str>) -> String {
    let line = error.and_then(|e| e.lines().next()).unwrap_or("");
    let mut s = format!("exit {exit_code}: {line}");
    if s.len() > 300 {
        let mut cut = 300;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Pings a health-check URL as those services expect: GET `URL` after a run that
/// succeeded, POST `URL/fail` with the short error after one that failed, GET `URL/start`
/// before a run. Bounded by `timeout`; a failure is the caller's to log.
pub async fn ping(url: &str, kind: Ping<'_>, timeout: Duration) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("fitpipe/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())?;
    let base = url.trim_end_matches('/');
    let req = match kind {
        Ping::Start => client.get(format!("{base}/start")),
        Ping::Success => client.get(base),
        Ping::Failure { exit_code, error } => client
            .post(format!("{base}/fail"))
            .body(short(exit_code, error)),
    };
    let resp = req.send().await.map_err(|e| e.without_url().to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", resp.status().as_u16()))
    }
}

/// What a ping says.
#[derive(Debug, Clone, Copy)]
pub enum Ping<'a> {
    Start,
    Success,
    Failure {
        exit_code: i32,
        error: Option<&'a str>,
    },
}

/// After a scheduled run: records it, works out what to notify from the problems it found
/// (the run's own failure among them), shows them, and saves the state. Returns the notices
/// shown (or that would have been, when desktop notifications are off or unreachable).
pub fn after_run(
    settings: &NotifySettings,
    data_dir: &Path,
    run: LastRun,
    found: &[Problem],
    now: i64,
) -> Vec<Notice> {
    let mut state = load(data_dir);
    let notices = plan(&mut state, found, now, &run.at);
    state.last_run = Some(run);
    if settings.desktop {
        for n in &notices {
            if let Err(e) = desktop(n) {
                tracing::warn!(error = %e, summary = %n.summary, "no desktop notification could be shown");
                // Not shown: the next run tries again.
                if let Some(o) = n.key.as_ref().and_then(|k| state.open.get_mut(k)) {
                    o.notified_at = 0;
                }
            }
        }
    }
    if let Err(e) = save(data_dir, &state) {
        tracing::warn!(error = %e, "the notification state could not be saved");
    }
    notices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(key: &str) -> Problem {
        Problem {
            key: key.into(),
            what: format!("{key} is wrong"),
            fix: format!("run `fix {key}`"),
        }
    }

    #[test]
    fn a_problem_is_told_once_a_day_and_once_more_when_fixed() {
        let mut s = State::default();
        let day = REPEAT_AFTER;
        let t0 = 1_000_000;
        let n = plan(&mut s, &[p("login")], t0, "t0");
        assert_eq!(
            n,
            vec![Notice {
                summary: "fitpipe: login is wrong".into(),
                body: "run `fix login`".into(),
                key: Some("login".into()),
            }]
        );
        // Every hour of the same day: nothing new.
        for h in 1..24 {
            assert!(plan(&mut s, &[p("login")], t0 + h * 3600, "t").is_empty());
        }
        // A day later, once more; a second problem on its own.
        let n = plan(&mut s, &[p("login"), p("stale")], t0 + day, "t1");
        assert_eq!(n.len(), 2);
        assert_eq!(s.open["login"].since, "t0");
        // Fixed: said once, then nothing.
        let n = plan(&mut s, &[p("stale")], t0 + day + 3600, "t2");
        assert_eq!(
            n,
            vec![Notice {
                summary: "fitpipe: fixed".into(),
                body: "login is wrong (open since t0)".into(),
                key: None,
            }]
        );
        assert!(plan(&mut s, &[p("stale")], t0 + day + 7200, "t3").is_empty());
        assert_eq!(s.open.keys().collect::<Vec<_>>(), vec!["stale"]);
    }

    #[test]
    fn a_failure_pings_its_exit_code_and_a_short_line() {
        assert_eq!(
            short(13, Some("login expired\nmore")),
            "exit 13: login expired"
        );
        let long = "é".repeat(400);
        let s = short(15, Some(&long));
        assert!(s.len() <= 300 && s.starts_with("exit 15: é"));
    }
}
