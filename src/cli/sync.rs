//! `fitpipe sync` and `fitpipe restore`.

use std::io::{IsTerminal, Write};

use clap::Args;

use super::output::io_err;
use crate::config::Settings;
use crate::error::Error;
use crate::formats;
use crate::pull::PullReport;
use crate::sync::SyncReport;

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

/// What the pull shows while it runs: a progress bar per account on a terminal, and each
/// account's summary on stdout.
struct Shown<'a> {
    settings: &'a Settings,
    quiet: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl crate::app::Progress for Shown<'_> {
    fn pulling(&mut self, account: &str, done: u64, total: u64) {
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let b = self.bar.get_or_insert_with(|| {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} pull {msg} [{bar:30}] {pos}/{len} six-hour chunks",
                )
                .expect("valid template"),
            );
            b.set_message(account.to_string());
            b
        });
        b.set_length(total);
        b.set_position(done);
    }

    fn account_done(&mut self, _account: &str) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }

    fn pulled(&mut self, r: &PullReport) -> Result<(), Error> {
        if self.quiet {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
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
                r.account, self.settings.google.late_window_days
            )
            .map_err(io_err)?;
        }
        Ok(())
    }
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
    let clients = crate::app::Clients::new(settings);
    if args.scheduled {
        crate::app::scheduled(&clients, || run_sync(&clients, args))
    } else {
        run_sync(&clients, args)
    }
}

fn run_sync(clients: &crate::app::Clients<'_>, args: SyncArgs) -> Result<(), Error> {
    let settings = clients.settings;
    let mut shown = Shown {
        settings,
        quiet: args.json,
        bar: None,
    };
    let req = crate::app::SyncRequest {
        dry_run: args.dry_run,
        wait: args.wait,
        verify: args.verify,
        since: args.since,
    };
    let run = crate::app::sync(clients, req, &mut shown)?;
    let mut out = std::io::stdout().lock();
    if !args.json {
        if args.dry_run {
            writeln!(out, "pull: skipped in a dry run").map_err(io_err)?;
        } else if run.no_login {
            writeln!(
                out,
                "pull: no Google login (run `fitpipe auth login`); skipping the pull"
            )
            .map_err(io_err)?;
        }
    }
    match &run.push {
        None => {
            if args.json {
                let v = serde_json::json!({ "pull": run.pulled, "push": null });
                super::output::print_json(&mut out, &v)?;
            } else {
                writeln!(out, "push: no remote configured (set remote.url in {}, or pass --remote); nothing to push", settings.config_file.display()).map_err(io_err)?;
            }
        }
        Some(r) if args.json => {
            let v = serde_json::json!({ "pull": run.pulled, "push": r });
            super::output::print_json(&mut out, &v)?;
        }
        Some(r) => print_report(&mut out, r, args.dry_run).map_err(io_err)?,
    }
    match run.pull_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Print what would be merged; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn restore(settings: &Settings, args: RestoreArgs) -> Result<(), Error> {
    let clients = crate::app::Clients::new(settings);
    let r = crate::app::restore(&clients, args.dry_run)?;
    let mut out = std::io::stdout().lock();
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
