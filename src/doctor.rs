//! `fitpipe doctor`'s checks: is everything in place (database, config, keyring, tokens,
//! remote, timer), and is every series still growing? Only reads: it opens the database
//! read-only, probes the keyring with a name no login uses, and lists the remote.
//! The result is data ([`Doctor`], whose JSON keys are stable); `cli` renders it.

use serde::Serialize;

use crate::auth::{KeyringTokenStore, TokenStore};
use crate::config::{Settings, TokenStoreKind};
use crate::notify::Problem;
use crate::service::{Platform, ServiceError, ServiceStatus, UserDirs};
use crate::store::{Integrity, Store, StoreError};

/// A series that got no new sample for this long has stopped.
pub const STALE_AFTER_HOURS: i64 = crate::notify::STALE_SECS / 3600;
/// A timer whose last finished sync is older than this has stopped running.
const TIMER_SILENT_HOURS: i64 = 25;

/// Everything `doctor` found.
#[derive(Debug, Serialize)]
pub struct Doctor {
    pub ok: bool,
    pub paths: Paths,
    pub config: ConfigCheck,
    pub database: DatabaseCheck,
    pub keyring: KeyringCheck,
    pub tokens: Vec<TokenCheck>,
    pub remote: RemoteCheck,
    pub timer: ServiceStatus,
    pub last_sync: LastSync,
    pub series: Vec<Series>,
    /// What needs the user's attention, one sentence each with what to do.
    pub attention: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Paths {
    pub data_dir: String,
    pub database: String,
    pub config_file: String,
}

#[derive(Debug, Serialize)]
pub struct ConfigCheck {
    pub found: bool,
}

#[derive(Debug, Serialize)]
pub struct DatabaseCheck {
    pub exists: bool,
    pub schema_version: Option<i64>,
    pub latest_schema_version: i64,
    /// SQLite's `quick_check`, when there is a file; `None` when there is none.
    pub integrity: Option<Integrity>,
}

/// How long `doctor` lets SQLite check the file.
const QUICK_CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Serialize)]
pub struct KeyringCheck {
    pub used: bool,
    pub reachable: Option<bool>,
    pub detail: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TokenCheck {
    pub account: String,
    pub token_store: String,
    pub tokens_found: bool,
    pub access_token_expires_at: Option<String>,
    pub refresh_token_expires_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RemoteCheck {
    pub configured: bool,
    pub url: Option<String>,
    pub reachable: Option<bool>,
    pub detail: Option<String>,
    /// What the remote holds, when it answered.
    pub bucket: Option<crate::sync::inspect::BucketState>,
}

#[derive(Debug, Serialize)]
pub struct LastSync {
    pub at: Option<String>,
    pub hours_ago: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub account: String,
    pub last_sample_utc: Option<String>,
    pub hours_since_last_sample: Option<i64>,
    pub stale: bool,
}

/// The hours left of a login whose refresh token expires within the warning limit
/// (`notify::LOGIN_WARN_SECS`), at `now`.
pub fn login_expiring(refresh_expires_at: Option<i64>, now: i64) -> Option<i64> {
    refresh_expires_at
        .map(|at| (at - now) / 3600)
        .filter(|h| *h < crate::notify::LOGIN_WARN_SECS / 3600)
}

/// The hours since a series' last sample, and whether it has stopped (no sample for
/// [`STALE_AFTER_HOURS`], or none ever).
fn staleness(last: Option<i64>, now: i64) -> (Option<i64>, bool) {
    let hours = last.map(|l| (now - l) / 3600);
    (hours, hours.is_none_or(|h| h >= STALE_AFTER_HOURS))
}

/// The warnings a scheduled run gives ahead of a failure, as doctor finds them: a login
/// that expires within 48 hours, an account that got no new sample for a day (as
/// `notify.login_expiry` and `notify.stale_data` choose). A database that cannot be read
/// gives none (the run's own failure says so).
pub fn warnings(settings: &Settings, tokens: &dyn TokenStore, now: i64) -> Vec<Problem> {
    let mut out = Vec::new();
    let Ok(store) = Store::open_read_only(&settings.db) else {
        return out;
    };
    if settings.notify.login_expiry {
        for login in store.logins().unwrap_or_default() {
            let at = tokens
                .load(&login.account)
                .ok()
                .flatten()
                .and_then(|t| t.refresh_expires_at);
            if let (Some(at), Some(_)) = (at, login_expiring(at, now)) {
                out.push(Problem {
                    key: format!("login-expiry:{}", login.account),
                    what: format!(
                        "the Google login of account {} expires at {}",
                        login.account,
                        crate::model::format_utc(at)
                    ),
                    fix: format!("run `fitpipe --account {} auth login`", login.account),
                });
            }
        }
    }
    if settings.notify.stale_data {
        for (account, last) in store.last_samples().unwrap_or_default() {
            // A series that never had a sample is doctor's to name, not a warning.
            let (Some(hours), true) = staleness(last, now) else {
                continue;
            };
            out.push(Problem {
                key: format!("stale:{account}"),
                what: format!("account {account} got no new sample for {hours} h"),
                fix: "check that the watch syncs to its phone; `fitpipe doctor` says more".into(),
            });
        }
    }
    out
}

/// Runs every check at `now` (epoch seconds), with the token store and the remote the
/// settings built (`remote`: the configured one, or why it could not be opened).
/// `list_remote` lists the remote once, with whatever time limit the caller sets, and says
/// what it holds or why it failed.
pub async fn check<F>(
    settings: &Settings,
    tokens: &dyn TokenStore,
    remote: Result<Option<&crate::sync::Remote>, String>,
    now: i64,
    list_remote: F,
) -> Result<Doctor, ServiceError>
where
    F: AsyncFnOnce(&crate::sync::Remote) -> Result<crate::sync::inspect::BucketState, String>,
{
    let mut attention: Vec<String> = Vec::new();

    let exists = settings.db.exists();
    let (store, integrity) = if exists {
        match Store::open_read_only(&settings.db) {
            Ok(s) => {
                let i = s.quick_check(QUICK_CHECK_BUDGET);
                (Some(s), Some(i))
            }
            Err(StoreError::Damaged(m)) => (None, Some(Integrity::Damaged(vec![m]))),
            Err(e) => {
                attention.push(format!(
                    "database {}: cannot be opened: {e}",
                    settings.db.display()
                ));
                (None, None)
            }
        }
    } else {
        attention.push(format!(
            "no database at {}: run `fitpipe import` or `fitpipe sync`",
            settings.db.display()
        ));
        (None, None)
    };
    if let Some(Integrity::Damaged(problems)) = &integrity {
        attention.push(format!(
            "database {} is damaged ({}): keep it aside, then `fitpipe restore` into a new database from the remote, or re-import your Takeout export",
            settings.db.display(),
            problems.join("; ")
        ));
    }
    let schema_version = store.as_ref().and_then(|s| s.schema_version().ok());

    let keyring = match settings.google.token_store {
        TokenStoreKind::File => KeyringCheck {
            used: false,
            reachable: None,
            detail: Some("google.token_store = \"file\"".into()),
        },
        TokenStoreKind::Keyring => match KeyringTokenStore::new().load("doctor-probe") {
            Ok(_) => KeyringCheck {
                used: true,
                reachable: Some(true),
                detail: None,
            },
            Err(e) => {
                attention.push(format!("keyring: {e}"));
                KeyringCheck {
                    used: true,
                    reachable: Some(false),
                    detail: Some(e.to_string()),
                }
            }
        },
    };

    let mut token_checks = Vec::new();
    for l in store
        .as_ref()
        .map(|s| s.logins().unwrap_or_default())
        .unwrap_or_default()
    {
        let set = tokens.load(&l.account).ok().flatten();
        if set.is_none() {
            attention.push(format!("account {}: logged in, but its tokens are missing from the {}: run `fitpipe auth login`", l.account, l.token_store));
        }
        if let Some(h) = login_expiring(set.as_ref().and_then(|t| t.refresh_expires_at), now) {
            attention.push(format!(
                "account {}: the Google login expires in {h} h: run `fitpipe auth login`",
                l.account
            ));
        }
        token_checks.push(TokenCheck {
            account: l.account,
            token_store: l.token_store,
            tokens_found: set.is_some(),
            access_token_expires_at: set
                .as_ref()
                .map(|t| crate::model::format_utc(t.access_expires_at)),
            refresh_token_expires_at: set
                .as_ref()
                .and_then(|t| t.refresh_expires_at)
                .map(crate::model::format_utc),
        });
    }

    let remote = match (&settings.remote, remote) {
        (None, _) | (_, Ok(None)) => RemoteCheck {
            configured: false,
            url: None,
            reachable: None,
            detail: None,
            bucket: None,
        },
        (Some(rs), remote) => {
            let probe = match remote {
                Ok(Some(r)) => list_remote(r).await,
                Ok(None) => unreachable!("matched above"),
                Err(e) => Err(e),
            };
            if let Err(e) = &probe {
                attention.push(format!("remote {}: {e}", rs.url));
            }
            RemoteCheck {
                configured: true,
                url: Some(rs.url.to_string()),
                reachable: Some(probe.is_ok()),
                bucket: probe.as_ref().ok().cloned(),
                detail: probe.err(),
            }
        }
    };

    let last_sync = store.as_ref().and_then(|s| s.last_sync().ok().flatten());
    let timer = crate::service::status(
        Platform::current(),
        &UserDirs::current()?,
        last_sync.clone(),
    );
    let hours_ago = last_sync
        .as_deref()
        .and_then(crate::formats::rfc3339)
        .map(|(t, _)| (now - t) / 3600);
    if timer.installed && hours_ago.is_none_or(|h| h > TIMER_SILENT_HOURS) {
        attention.push(format!("the timer is installed but no sync finished in the last {TIMER_SILENT_HOURS} h: see `fitpipe service status` and the journal"));
    }

    for i in store
        .as_ref()
        .map(|s| s.interrupted_imports(None).unwrap_or_default())
        .unwrap_or_default()
    {
        attention.push(format!(
            "account {}: the import started at {} was cut short ({}): what it stored is kept, its local times are not set; import the same files again to finish it",
            i.account,
            i.started_at,
            i.inputs.join(", ")
        ));
    }

    let mut series = Vec::new();
    for (account, last) in store
        .as_ref()
        .map(|s| s.last_samples().unwrap_or_default())
        .unwrap_or_default()
    {
        let (hours, stale) = staleness(last, now);
        if stale {
            attention.push(format!(
                "account {account}: no new samples for {}: is the watch syncing, and is the pull running?",
                hours.map_or("ever".to_string(), |h| format!("{h} h"))
            ));
        }
        // A watch away longer than the late window may hold samples a plain sync no longer
        // looks for once it uploads.
        let window = i64::from(settings.google.late_window_days) * 24;
        if let (Some(h), Some(l)) = (hours, last) {
            if window > 0 && h >= window {
                attention.push(format!(
                    "account {account}: the newest sample is older than the late window ({} days): what the watch uploads more than {} days late will not be looked for by a plain sync; after it uploads, run `fitpipe sync --since {}`",
                    settings.google.late_window_days,
                    settings.google.late_window_days,
                    crate::model::format_utc(l).get(..10).unwrap_or_default()
                ));
            }
        }
        series.push(Series {
            account,
            last_sample_utc: last.map(crate::model::format_utc),
            hours_since_last_sample: hours,
            stale,
        });
    }

    Ok(Doctor {
        ok: attention.is_empty(),
        paths: Paths {
            data_dir: settings.data_dir.display().to_string(),
            database: settings.db.display().to_string(),
            config_file: settings.config_file.display().to_string(),
        },
        config: ConfigCheck {
            found: settings.config_found,
        },
        database: DatabaseCheck {
            exists,
            schema_version,
            latest_schema_version: Store::latest_schema_version(),
            integrity,
        },
        keyring,
        tokens: token_checks,
        remote,
        timer,
        last_sync: LastSync {
            at: last_sync,
            hours_ago,
        },
        series,
        attention,
    })
}
