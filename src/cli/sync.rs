//! `fitpipe sync` and `fitpipe restore`.

use std::io::{IsTerminal, Write};

use clap::Args;

use super::output::io_err;
use crate::auth::OAuth;
use crate::config::Settings;
use crate::error::{Error, ExitCode};
use crate::formats;
use crate::health_api::HealthApi;
use crate::pull::{self, PullError, PullReport, Puller};
use crate::store::Store;
use crate::sync::{self, Remote, SyncOptions, SyncReport};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print what would be written, skipped and merged; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Wait for a sync that is already running instead of exiting.
    #[arg(long)]
    pub wait: bool,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,

    /// List every part of the remote and check it against this machine's data, as a sync
    /// does once a day (between, it lists the recent days): after the bucket was changed
    /// by hand, or to compact old days now.
    #[arg(long)]
    pub verify: bool,

    /// Pull from this UTC day (YYYY-MM-DD) or instant (RFC 3339) instead of from the
    /// cursor: a backfill.
    #[arg(long, value_parser = parse_since, value_name = "DATE")]
    pub since: Option<i64>,

    /// A run of the timer (set by the installed service): problems are notified and a
    /// health check pinged, as `[notify]` says.
    #[arg(
        long,
        env = "FITPIPE_SCHEDULED",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub scheduled: bool,
}

/// `YYYY-MM-DD` (UTC midnight) or an RFC 3339 instant, as epoch seconds.
fn parse_since(s: &str) -> Result<i64, String> {
    if let Some(d) = formats::date(s) {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp());
    }
    formats::rfc3339(s)
        .map(|(ts, _)| ts)
        .ok_or_else(|| format!("{s:?} is neither YYYY-MM-DD nor an RFC 3339 time"))
}

/// The pull stage: every logged-in account, from its cursor (or `since`) to now.
fn pull_stage(
    settings: &Settings,
    store: &mut Store,
    since: Option<i64>,
    quiet: bool,
) -> Result<Vec<PullReport>, Error> {
    let mut out = std::io::stdout().lock();
    let logins = store.logins()?;
    if logins.is_empty() {
        if !quiet {
            writeln!(
                out,
                "pull: no Google login (run `fitpipe auth login`); skipping the pull"
            )
            .map_err(io_err)?;
        }
        return Ok(Vec::new());
    }
    let oauth = OAuth::new(&settings.google)?;
    let api = HealthApi::new(&settings.google.api_base_url).map_err(PullError::from)?;
    let tokens = crate::auth::token_store(settings);
    let now = || crate::clock::now().timestamp();
    let puller = Puller {
        api: &api,
        oauth: &oauth,
        tokens: tokens.as_ref(),
        settings: &settings.google,
        now: &now,
    };
    let rt = crate::runtime::Runtime::new()?;
    let mut reports = Vec::new();
    for login in logins {
        let Some(id) = store.account(&login.account)? else {
            continue;
        };
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} pull {msg} [{bar:30}] {pos}/{len} six-hour chunks",
                )
                .expect("valid template"),
            );
            b.set_message(login.account.clone());
            b
        });
        let r = rt.interruptible(
            &format!("the pull of account {}", login.account),
            pull::pull(
                store,
                &login.account,
                id,
                &puller,
                since,
                &mut |done, total| {
                    if let Some(b) = &bar {
                        b.set_length(total);
                        b.set_position(done);
                    }
                },
            ),
        );
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        let r = r??;
        if !quiet {
            writeln!(
                out,
                "pull: account {}: {} .. {}: {} new samples, {} already present, {} rejected ({} requests, {} pages unchanged, {} retries, {} token refreshes)",
                r.account, r.from, r.to, r.samples_new, r.samples_present, r.rejected, r.requests, r.pages_unchanged, r.retries, r.refreshes
            )
            .map_err(io_err)?;
            if r.late_hours_changed > 0 {
                writeln!(
                    out,
                    "pull: account {}: {} hour(s) changed on the server since they were read (late uploads); {} chunk(s) read again",
                    r.account, r.late_hours_changed, r.late_chunks
                )
                .map_err(io_err)?;
            }
            if let Some(since) = &r.late_beyond_since {
                writeln!(
                    out,
                    "note: account {}: no sample arrived for longer than the late window ({} days) before this pull; samples from before the window are not looked for: to read them, run `fitpipe sync --since {since}`",
                    r.account, settings.google.late_window_days
                )
                .map_err(io_err)?;
            }
        }
        reports.push(r);
    }
    Ok(reports)
}

fn holder() -> String {
    crate::service::Holder::current(&crate::clock::now_rfc3339()).to_text()
}

/// Runs the push (or, with `push` false, the restore) against the configured remote.
pub(crate) fn run_remote(
    settings: &Settings,
    store: &mut Store,
    push: bool,
    dry_run: bool,
    wait: bool,
    verify: bool,
) -> Result<Option<SyncReport>, Error> {
    let Some(rs) = &settings.remote else {
        return Ok(None);
    };
    let remote = Remote::open(rs)?;
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
    let rt = crate::runtime::Runtime::new()?;
    let now = crate::clock::now_rfc3339();
    let what = if push { "the push" } else { "the restore" };
    Ok(Some(rt.interruptible(
        what,
        sync::run(store, &remote, &opts, &now),
    )??))
}

pub(crate) fn print_report(
    out: &mut impl Write,
    r: &SyncReport,
    dry_run: bool,
) -> std::io::Result<()> {
    let verb = if dry_run { "would" } else { "did" };
    if dry_run {
        writeln!(out, "plan (dry run, nothing changed):")?;
        for line in &r.plan {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(
        out,
        "push: {} account(s); read {} part(s), {verb} upload {} part(s) ({} samples); {} samples and {} hour(s) merged from the remote; master table {} hours, {}",
        r.accounts.len(),
        r.parts_read,
        r.parts_uploaded.len(),
        r.samples_uploaded,
        r.samples_from_remote,
        r.hours_merged_locally,
        r.master_hours,
        if r.master_written { "written" } else if dry_run { "see plan" } else { "up to date" }
    )?;
    if !r.accounts_left_out.is_empty() {
        writeln!(
            out,
            "note: account(s) {} of this database are not in remote.accounts and were not synced",
            r.accounts_left_out.join(", ")
        )?;
    }
    if r.days_compacted > 0 || r.parts_not_removed > 0 {
        writeln!(
            out,
            "lake: {} day(s) compacted into one part each, {} part(s) they replace deleted{}",
            r.days_compacted,
            r.parts_removed,
            if r.parts_not_removed > 0 {
                format!("; the remote refused to delete {} (their samples are held twice: give fitpipe's account permission to delete objects)", r.parts_not_removed)
            } else {
                String::new()
            }
        )?;
    }
    if r.accounts_recomputed > 0 {
        writeln!(
            out,
            "sources: {} account(s) took source choices from the remote; their hours were computed again",
            r.accounts_recomputed
        )?;
    }
    if r.choices_written {
        writeln!(
            out,
            "sources: the source choices were written to the remote"
        )?;
    }
    Ok(())
}

/// `fitpipe sync`; a scheduled run is followed by its notifications and ping.
pub fn run(settings: &Settings, args: SyncArgs) -> Result<(), Error> {
    if !args.scheduled {
        return run_sync(settings, args);
    }
    let n = &settings.notify;
    let timeout = std::time::Duration::from_secs(n.ping_timeout_secs);
    let ping = |kind: crate::notify::Ping<'_>| {
        let Some(url) = &n.ping_url else { return };
        let sent = crate::runtime::Runtime::new()
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
    let result = run_sync(settings, args);
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
    found.extend(warnings(settings));
    crate::notify::after_run(
        n,
        &settings.data_dir,
        crate::notify::LastRun {
            at,
            exit_code: code,
            error: error.clone(),
        },
        &found,
        crate::clock::now().timestamp(),
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

/// The warnings a scheduled run gives ahead of a failure: a login that expires within 48
/// hours, an account that got no new sample for a day.
fn warnings(settings: &Settings) -> Vec<crate::notify::Problem> {
    let mut out = Vec::new();
    let now = crate::clock::now().timestamp();
    let Ok(store) = Store::open_read_only(&settings.db) else {
        return out;
    };
    if settings.notify.login_expiry {
        let tokens = crate::auth::token_store(settings);
        for login in store.logins().unwrap_or_default() {
            let at = tokens
                .load(&login.account)
                .ok()
                .flatten()
                .and_then(|t| t.refresh_expires_at);
            if let Some(at) = at.filter(|at| at - now < crate::notify::LOGIN_WARN_SECS) {
                out.push(crate::notify::Problem {
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
            if let Some(last) = last.filter(|l| now - l >= crate::notify::STALE_SECS) {
                out.push(crate::notify::Problem {
                    key: format!("stale:{account}"),
                    what: format!(
                        "account {account} got no new sample for {} h",
                        (now - last) / 3600
                    ),
                    fix: "check that the watch syncs to its phone; `fitpipe doctor` says more"
                        .into(),
                });
            }
        }
    }
    out
}

fn run_sync(settings: &Settings, args: SyncArgs) -> Result<(), Error> {
    let _lock = crate::service::lock(&settings.db, args.wait)?;
    let mut store = Store::open(&settings.db)?;
    let since = args.since;
    // A failed pull does not hold back the push of what the store already has; its error is
    // reported (and sets the exit code) after the push.
    let mut pull_error = None;
    let pulled = if args.dry_run {
        if !args.json {
            writeln!(std::io::stdout(), "pull: skipped in a dry run").map_err(io_err)?;
        }
        Vec::new()
    } else {
        match pull_stage(settings, &mut store, since, args.json) {
            Ok(p) => p,
            Err(e)
                if matches!(
                    e.exit_code(),
                    ExitCode::Locked | ExitCode::Database | ExitCode::Busy | ExitCode::Interrupted
                ) =>
            {
                return Err(e)
            }
            Err(e) => {
                pull_error = Some(e);
                Vec::new()
            }
        }
    };
    let mut out = std::io::stdout().lock();
    match run_remote(
        settings,
        &mut store,
        true,
        args.dry_run,
        args.wait,
        args.verify,
    )? {
        None => {
            if args.json {
                let v = serde_json::json!({ "pull": pulled, "push": null });
                super::output::print_json(&mut out, &v)?;
            } else {
                writeln!(out, "push: no remote configured (set remote.url in {}, or pass --remote); nothing to push", settings.config_file.display()).map_err(io_err)?;
            }
        }
        Some(r) if args.json => {
            let v = serde_json::json!({ "pull": pulled, "push": r });
            super::output::print_json(&mut out, &v)?;
        }
        Some(r) => print_report(&mut out, &r, args.dry_run).map_err(io_err)?,
    }
    if let Some(e) = pull_error {
        return Err(e);
    }
    if !args.dry_run {
        let pulled = pulled.iter().map(|p| p.samples_new).sum();
        store.record_sync_run(
            &crate::clock::now_rfc3339(),
            pulled,
            settings.remote.is_some(),
        )?;
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Print what would be merged; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn restore(settings: &Settings, args: RestoreArgs) -> Result<(), Error> {
    let _lock = crate::service::lock(&settings.db, false)?;
    let mut store = Store::open(&settings.db)?;
    let mut out = std::io::stdout().lock();
    match run_remote(settings, &mut store, false, args.dry_run, false, true)? {
        None => Err(Error::Unconfigured(format!(
            "no remote configured: set remote.url in {} or pass --remote",
            settings.config_file.display()
        ))),
        Some(r) => {
            if args.dry_run {
                print_report(&mut out, &r, true).map_err(io_err)
            } else {
                writeln!(
                    out,
                    "restored from {}: {} samples from {} part(s), {} hour(s) of the master table",
                    settings
                        .remote
                        .as_ref()
                        .map(|r| r.url.to_string())
                        .unwrap_or_default(),
                    r.samples_from_remote,
                    r.parts_read,
                    r.hours_merged_locally
                )
                .map_err(io_err)
            }
        }
    }
}
