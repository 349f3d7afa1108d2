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
    let clients = crate::app::Clients::new(settings);
    let rt = crate::runtime::Runtime::new()?;
    let remote = clients.remote().map_err(|e| e.to_string());
    let report = rt.block_on(crate::doctor::check(
        settings,
        clients.tokens(),
        remote,
        now,
        async |remote| {
            let closed_before =
                now - i64::from(settings.google.late_window_days) * crate::model::DAY;
            crate::runtime::timeout(
                REMOTE_TIMEOUT,
                crate::sync::inspect::inspect(remote, closed_before),
            )
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
        },
    ))?;
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
        if l.starts_with("remote") {
            if let Some(b) = &d.remote.bucket {
                for line in bucket_lines(b) {
                    text.push_str(&format!("     bucket    {line}\n"));
                }
            }
        }
    }
    for a in &d.attention {
        text.push_str(&format!("attention: {a}\n"));
    }
    text
}

/// What the remote holds, a line each.
fn bucket_lines(b: &crate::sync::inspect::BucketState) -> Vec<String> {
    let mut out = vec![format!(
        "{} account(s), {} part(s), {} master object(s){}",
        b.accounts,
        b.parts,
        b.master_objects,
        b.last_master_write
            .as_ref()
            .map(|(o, at)| format!("; last master write {at} ({o})"))
            .unwrap_or_default()
    )];
    if !b.waiting_for_compaction.is_empty() {
        let shown: Vec<&str> = b
            .waiting_for_compaction
            .iter()
            .take(3)
            .map(String::as_str)
            .collect();
        out.push(format!(
            "{} closed day(s) wait for compaction into one part (the daily full listing of a sync does it; now: `fitpipe sync --verify`): {}{}",
            b.waiting_for_compaction.len(),
            shown.join(", "),
            if b.waiting_for_compaction.len() > 3 {
                ", ..."
            } else {
                ""
            }
        ));
    }
    if b.csv_parts > 0 {
        out.push(format!(
            "{} part(s) in the CSV form of earlier fitpipes: a sync rewrites their days as Parquet when it lists them (recent days every hour, the others daily, or now with `fitpipe sync --verify`)",
            b.csv_parts
        ));
    }
    if b.legacy_master {
        out.push(
            "hourly_max.csv of earlier fitpipes is still there and no longer written: delete it once every machine runs this version"
                .into(),
        );
    }
    if !b.unknown.is_empty() {
        out.push(format!(
            "{} object(s) fitpipe does not know (left alone): {}",
            b.unknown.len(),
            b.unknown
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}
