//! `fitpipe doctor [--json]`: is everything in place, and is the history still growing?

use std::io::Write;

use clap::Args;

use super::output::io_err;
use crate::config::Settings;
use crate::doctor::Doctor;
use crate::error::Error;
use crate::store::Integrity;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print as JSON (stable keys).
    #[arg(long)]
    pub json: bool,
}

/// How long the remote may take to answer its listing.
const REMOTE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

pub fn run(settings: &Settings, args: DoctorArgs) -> Result<(), Error> {
    let now = crate::clock::now().timestamp();
    let rt = super::runtime::runtime()?;
    let report = rt.block_on(crate::doctor::check(settings, now, async |remote| {
        tokio::time::timeout(REMOTE_TIMEOUT, remote.list("samples/"))
            .await
            .map_err(|_| format!("no answer within {} s", REMOTE_TIMEOUT.as_secs()))?
            .map(|_| ())
            .map_err(|e| e.to_string())
    }))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        super::output::print_json(&mut out, &report)?;
    } else {
        out.write_all(render(&report).as_bytes()).map_err(io_err)?;
    }
    if report.attention.is_empty() {
        Ok(())
    } else {
        Err(Error::NeedsAttention(format!(
            "{} item(s) need attention",
            report.attention.len()
        )))
    }
}

/// One line per item, marked `ok` or `WARN`, then what needs attention.
fn render(d: &Doctor) -> String {
    let keyring = match (d.keyring.used, d.keyring.reachable) {
        (false, _) => "not used (token file)",
        (true, Some(true)) => "reachable",
        (true, _) => "NOT reachable",
    };
    let integrity = match &d.database.integrity {
        Some(Integrity::Damaged(_)) => ", DAMAGED",
        Some(Integrity::Unfinished) => ", integrity check not finished in time",
        Some(Integrity::Ok) | None => "",
    };
    let lines = [
        (
            !matches!(d.database.integrity, Some(Integrity::Damaged(_))),
            format!(
                "database  {} (schema {} of {}{integrity})",
                d.paths.database,
                d.database
                    .schema_version
                    .map_or("-".into(), |v| v.to_string()),
                d.database.latest_schema_version
            ),
        ),
        (
            true,
            format!(
                "config    {}{}",
                d.paths.config_file,
                if d.config.found {
                    ""
                } else {
                    " (not found: defaults)"
                }
            ),
        ),
        (
            d.keyring.reachable != Some(false),
            format!("keyring   {keyring}"),
        ),
        (
            d.remote.reachable != Some(false),
            format!(
                "remote    {}",
                d.remote.url.as_deref().unwrap_or("none configured")
            ),
        ),
        (
            true,
            format!(
                "timer     {}",
                if d.timer.installed {
                    "installed"
                } else {
                    "not installed"
                }
            ),
        ),
        (
            true,
            format!("last sync {}", d.last_sync.at.as_deref().unwrap_or("never")),
        ),
    ];
    let mut text = String::new();
    for (ok, l) in lines {
        text.push_str(if ok { "ok   " } else { "WARN " });
        text.push_str(&l);
        text.push('\n');
    }
    for a in &d.attention {
        text.push_str(&format!("attention: {a}\n"));
    }
    text
}
