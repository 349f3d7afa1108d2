//! The work of the commands that talk to the world, as library functions over the resolved
//! settings: `fitpipe sync` (the pull of every login, then the push), `fitpipe restore`,
//! and what a scheduled run adds (notifications, the health-check ping). The clients they
//! need (the token store, the OAuth client, the Google Health API client, the remote) are
//! built once from the settings, in [`Clients`]. The command line parses its arguments,
//! calls one function here and prints what it returns.

use std::cell::OnceCell;

use crate::auth::{OAuth, TokenStore};
use crate::config::Settings;
use crate::error::{Error, ExitCode};
use crate::health_api::HealthApi;
use crate::pull::{self, PullError, PullReport, Puller};
use crate::runtime::Runtime;
use crate::store::Store;
use crate::sync::{self, Remote, SyncOptions, SyncReport};

/// The clients the settings describe, each built once, when first needed: a command that
/// never pulls never needs an OAuth client configured.
pub struct Clients<'s> {
    pub settings: &'s Settings,
    tokens: Box<dyn TokenStore>,
    oauth: OnceCell<OAuth>,
    api: OnceCell<HealthApi>,
    remote: OnceCell<Option<Remote>>,
}

impl<'s> Clients<'s> {
    pub fn new(settings: &'s Settings) -> Self {
        Clients {
            settings,
            tokens: crate::auth::token_store(settings),
            oauth: OnceCell::new(),
            api: OnceCell::new(),
            remote: OnceCell::new(),
        }
    }

    /// Where the logins' tokens are kept.
    pub fn tokens(&self) -> &dyn TokenStore {
        self.tokens.as_ref()
    }

    /// The OAuth client of `google.client_id`.
    pub fn oauth(&self) -> Result<&OAuth, Error> {
        if let Some(o) = self.oauth.get() {
            return Ok(o);
        }
        let o = OAuth::new(&self.settings.google)?;
        Ok(self.oauth.get_or_init(|| o))
    }

    /// The Google Health API client of `google.api_base_url`.
    pub fn api(&self) -> Result<&HealthApi, Error> {
        if let Some(a) = self.api.get() {
            return Ok(a);
        }
        let a = HealthApi::new(&self.settings.google.api_base_url).map_err(PullError::from)?;
        Ok(self.api.get_or_init(|| a))
    }

    /// The remote of `remote.url`, if one is configured.
    pub fn remote(&self) -> Result<Option<&Remote>, Error> {
        if let Some(r) = self.remote.get() {
            return Ok(r.as_ref());
        }
        let r = match &self.settings.remote {
            Some(rs) => Some(Remote::open(rs)?),
            None => None,
        };
        Ok(self.remote.get_or_init(|| r).as_ref())
    }
}

/// What a sync tells its caller while it runs.
pub trait Progress {
    /// `done` of `total` six-hour chunks of `account`'s pull are read.
    fn pulling(&mut self, _account: &str, _done: u64, _total: u64) {}
    /// `account`'s pull ended (successfully or not).
    fn account_done(&mut self, _account: &str) {}
    /// An account's pull is done; what it fetched is committed.
    fn pulled(&mut self, _report: &PullReport) -> Result<(), Error> {
        Ok(())
    }
}

/// What `fitpipe sync` was asked to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncRequest {
    /// Plan only: pull nothing, change nothing.
    pub dry_run: bool,
    /// Wait for a sync that holds the remote's lock.
    pub wait: bool,
    /// List the whole remote (see `sync --verify`).
    pub verify: bool,
    /// Pull from this instant instead of each account's cursor.
    pub since: Option<i64>,
}

/// What `fitpipe sync` did.
#[derive(Debug)]
pub struct SyncRun {
    /// There was no Google login, so nothing was pulled.
    pub no_login: bool,
    /// Each account's pull, in order.
    pub pulled: Vec<PullReport>,
    /// The push; `None` when no remote is configured.
    pub push: Option<SyncReport>,
    /// The pull's failure, which does not hold back the push of what the store already
    /// has; the command reports it (and exits with its code) after the push.
    pub pull_error: Option<Error>,
}

/// `fitpipe sync`: under the database's sync lock, every login's pull (unless a dry run),
/// then the push to the remote, then the run is recorded (unless the pull failed).
pub fn sync(
    clients: &Clients<'_>,
    req: SyncRequest,
    progress: &mut dyn Progress,
) -> Result<SyncRun, Error> {
    let settings = clients.settings;
    let _lock = crate::service::lock(&settings.db, req.wait)?;
    let mut store = Store::open(&settings.db)?;
    let mut run = SyncRun {
        no_login: false,
        pulled: Vec::new(),
        push: None,
        pull_error: None,
    };
    if !req.dry_run {
        match pull_all(clients, &mut store, req.since, progress) {
            Ok(None) => run.no_login = true,
            Ok(Some(p)) => run.pulled = p,
            // Without the database, or interrupted, there is nothing to push.
            Err(e)
                if matches!(
                    e.exit_code(),
                    ExitCode::Locked | ExitCode::Database | ExitCode::Busy | ExitCode::Interrupted
                ) =>
            {
                return Err(e)
            }
            Err(e) => run.pull_error = Some(e),
        }
    }
    if !req.dry_run {
        follow_zones(settings, &mut store)?;
    }
    run.push = push(clients, &mut store, true, req.dry_run, req.wait, req.verify)?;
    if !req.dry_run && run.pull_error.is_none() {
        let pulled = run.pulled.iter().map(|p| p.samples_new).sum();
        store.record_sync_run(
            &crate::clock::now_rfc3339(),
            pulled,
            settings.remote.is_some(),
        )?;
    }
    Ok(run)
}

/// Each account's local times follow the zone the configuration names for it (see
/// `import::follow_configured_zone`), before the push writes them.
fn follow_zones(settings: &Settings, store: &mut Store) -> Result<(), Error> {
    for name in store.account_names()? {
        let Some(id) = store.account(&name)? else {
            continue;
        };
        if crate::import::follow_configured_zone(store, id, settings.timezone_for(&name))? {
            tracing::info!(account = %name, "local times computed again for a changed time zone");
        }
    }
    Ok(())
}

/// The pull of every logged-in account, from its cursor (or `since`) to now; `None` when
/// there is no login.
fn pull_all(
    clients: &Clients<'_>,
    store: &mut Store,
    since: Option<i64>,
    progress: &mut dyn Progress,
) -> Result<Option<Vec<PullReport>>, Error> {
    let logins = store.logins()?;
    if logins.is_empty() {
        return Ok(None);
    }
    let now = || crate::clock::now().timestamp();
    let puller = Puller {
        api: clients.api()?,
        oauth: clients.oauth()?,
        tokens: clients.tokens(),
        settings: &clients.settings.google,
        now: &now,
    };
    let rt = Runtime::new()?;
    let mut reports = Vec::new();
    for login in logins {
        let Some(id) = store.account(&login.account)? else {
            continue;
        };
        let account = login.account;
        let r = rt.interruptible(
            &format!("the pull of account {account}"),
            pull::pull(store, &account, id, &puller, since, &mut |done, total| {
                progress.pulling(&account, done, total)
            }),
        );
        progress.account_done(&account);
        let r = r??;
        progress.pulled(&r)?;
        reports.push(r);
    }
    Ok(Some(reports))
}

/// This run's name in the remote's lock.
fn holder() -> String {
    crate::service::Holder::current(&crate::clock::now_rfc3339()).to_text()
}

/// The push (or, with `push` false, the restore) of `store` against the configured
/// remote; `None` when there is none.
pub fn push(
    clients: &Clients<'_>,
    store: &mut Store,
    push: bool,
    dry_run: bool,
    wait: bool,
    verify: bool,
) -> Result<Option<SyncReport>, Error> {
    let settings = clients.settings;
    let (Some(rs), Some(remote)) = (&settings.remote, clients.remote()?) else {
        return Ok(None);
    };
    let opts = SyncOptions {
        push,
        dry_run,
        holder: holder(),
        wait,
        closed_before: crate::clock::now().timestamp()
            - i64::from(settings.google.late_window_days) * crate::model::DAY,
        accounts: rs.accounts.as_ref().map(|a| a.iter().cloned().collect()),
        verify,
    };
    let rt = Runtime::new()?;
    let now = crate::clock::now_rfc3339();
    let what = if push { "the push" } else { "the restore" };
    Ok(Some(rt.interruptible(
        what,
        sync::run(store, remote, &opts, &now),
    )??))
}

/// `fitpipe restore`: the remote's samples and master table into the local store, under
/// the database's sync lock.
pub fn restore(clients: &Clients<'_>, dry_run: bool) -> Result<SyncReport, Error> {
    let settings = clients.settings;
    let _lock = crate::service::lock(&settings.db, false)?;
    let mut store = Store::open(&settings.db)?;
    push(clients, &mut store, false, dry_run, false, true)?.ok_or_else(|| {
        Error::Unconfigured(format!(
            "no remote configured: set remote.url in {} or pass --remote",
            settings.config_file.display()
        ))
    })
}

/// A run of the timer: `work`, with the health-check pings around it (`notify.ping_url`),
/// then the notifications of what is wrong (its failure, and the warnings doctor gives
/// ahead of one). Returns what `work` returned.
pub fn scheduled(
    clients: &Clients<'_>,
    work: impl FnOnce() -> Result<(), Error>,
) -> Result<(), Error> {
    let settings = clients.settings;
    let n = &settings.notify;
    let timeout = std::time::Duration::from_secs(n.ping_timeout_secs);
    let ping = |kind: crate::notify::Ping<'_>| {
        let Some(url) = &n.ping_url else { return };
        let sent = Runtime::new()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(crate::notify::ping(url, kind, timeout)));
        if let Err(e) = sent {
            tracing::warn!(error = %e, "the health-check ping was not sent");
        }
    };
    if n.ping_start {
        ping(crate::notify::Ping::Start);
    }
    let at = crate::clock::now_rfc3339();
    let result = work();
    let code: i32 = match &result {
        Ok(()) => 0,
        Err(e) => e.exit_code().into(),
    };
    let error = result.as_ref().err().map(|e| e.to_string());
    let mut found = Vec::new();
    if let Err(e) = &result {
        found.push(crate::notify::Problem {
            key: format!("exit-{code}"),
            what: error
                .as_deref()
                .and_then(|m| m.lines().next())
                .unwrap_or("the sync failed")
                .chars()
                .take(200)
                .collect(),
            fix: e.hint().unwrap_or("see `fitpipe doctor`").to_string(),
        });
    }
    let now = crate::clock::now().timestamp();
    found.extend(crate::doctor::warnings(settings, clients.tokens(), now));
    crate::notify::after_run(
        n,
        &settings.data_dir,
        crate::notify::LastRun {
            at,
            exit_code: code,
            error: error.clone(),
        },
        &found,
        now,
    );
    ping(match &result {
        Ok(()) => crate::notify::Ping::Success,
        Err(_) => crate::notify::Ping::Failure {
            exit_code: code,
            error: error.as_deref(),
        },
    });
    result
}
