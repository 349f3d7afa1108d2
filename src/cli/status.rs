//! `fitpipe status [--json]`

use std::io::Write;

use clap::Args;

use super::output::{io_err, thousands};
use crate::config::Settings;
use crate::error::Error;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The last scheduled run and the problems its notifications spoke of (`notify.json`): as
/// JSON, and as lines of text.
pub(crate) fn scheduled(settings: &Settings) -> (serde_json::Value, Vec<String>) {
    let state = crate::notify::load(&settings.data_dir);
    let open: Vec<&crate::notify::Open> = state.open.values().collect();
    let json = serde_json::json!({
        "last_run": state.last_run,
        "open_problems": open.iter().map(|o| serde_json::json!({
            "what": o.problem.what, "fix": o.problem.fix, "since": o.since,
        })).collect::<Vec<_>>(),
    });
    let mut lines = Vec::new();
    match &state.last_run {
        None => lines.push("last scheduled run: none recorded".to_string()),
        Some(r) => lines.push(format!(
            "last scheduled run: {}, {}",
            r.at,
            match (&r.error, r.exit_code) {
                (_, 0) => "ok".to_string(),
                (Some(e), c) => format!(
                    "failed (exit {c}): {}",
                    e.lines().next().unwrap_or_default()
                ),
                (None, c) => format!("failed (exit {c})"),
            }
        )),
    }
    for o in open {
        lines.push(format!(
            "open problem: {} (since {}); {}",
            o.problem.what, o.since, o.problem.fix
        ));
    }
    (json, lines)
}

pub fn run(settings: &Settings, args: StatusArgs) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    if !settings.db.exists() {
        if args.json {
            let v = serde_json::json!({ "database": settings.db.display().to_string(), "exists": false, "accounts": [] });
            super::output::print_json(&mut out, &v)?;
        } else {
            writeln!(
                out,
                "no database yet at {}\nrun `fitpipe import PATH` with a Takeout export, or `fitpipe demo`",
                settings.db.display()
            )
            .map_err(io_err)?;
        }
        return Ok(());
    }
    let store = Store::open_read_only(&settings.db)?;
    let st = store.status()?;
    if args.json {
        let mut v = serde_json::to_value(&st).expect("serializable");
        v["exists"] = true.into();
        v["scheduled"] = scheduled(settings).0;
        super::output::print_json(&mut out, &v)?;
        return Ok(());
    }
    let w = |out: &mut std::io::StdoutLock, s: String| writeln!(out, "{s}").map_err(io_err);
    w(&mut out, format!("database: {}", st.database))?;
    w(
        &mut out,
        format!(
            "schema:   version {}, {} bytes on disk",
            st.schema_version,
            thousands(st.size_bytes)
        ),
    )?;
    if st.accounts.is_empty() {
        w(&mut out, "accounts: none yet".into())?;
    }
    for a in &st.accounts {
        w(&mut out, format!("account {}:", a.account))?;
        w(
            &mut out,
            format!("  samples:     {}", thousands(a.samples as u64)),
        )?;
        w(
            &mut out,
            format!("  hours:       {}", thousands(a.hours as u64)),
        )?;
        w(
            &mut out,
            format!(
                "  first, last: {} .. {}",
                a.first_sample_utc.as_deref().unwrap_or("-"),
                a.last_sample_utc.as_deref().unwrap_or("-")
            ),
        )?;
        w(
            &mut out,
            format!(
                "  last import: {}",
                a.last_import_at.as_deref().unwrap_or("never")
            ),
        )?;
        for i in &a.interrupted_imports {
            w(
                &mut out,
                format!(
                    "  cut short:   the import started at {} did not finish ({}): what it stored is kept; import the same files again to finish it",
                    i.started_at,
                    i.inputs.join(", ")
                ),
            )?;
        }
        if a.hours > 0 {
            let cut_short = !a.interrupted_imports.is_empty();
            w(
                &mut out,
                format!(
                    "  local time:  {}",
                    local_time_line(&a.local_time, cut_short)
                ),
            )?;
        }
        if let Some(line) = super::report::last_day_line(&store, &a.account)? {
            w(&mut out, format!("  last 24 h:   {line}"))?;
        }
    }
    for line in scheduled(settings).1 {
        w(&mut out, line)?;
    }
    Ok(())
}

/// Where an account's local times come from, in one line.
/// `cut_short`: an import of the account did not finish (it sets local times at its end).
fn local_time_line(l: &crate::store::LocalTimeSources, cut_short: bool) -> String {
    let mut parts = Vec::new();
    if l.hours_stated > 0 {
        parts.push(format!(
            "{} h stated by their samples",
            thousands(l.hours_stated as u64)
        ));
    }
    if l.hours_remote > 0 {
        parts.push(format!(
            "{} h from the remote's master, which does not say what it rests on",
            thousands(l.hours_remote as u64)
        ));
    }
    if l.hours_day_files > 0 {
        parts.push(format!(
            "{} h from the export's day files",
            thousands(l.hours_day_files as u64)
        ));
    }
    if l.hours_zone > 0 {
        let zone = l.zone.as_deref().unwrap_or("the time zone");
        use crate::import::zone::ZoneSource;
        let source = match l.zone_source.as_deref().and_then(ZoneSource::parse) {
            Some(ZoneSource::Given) => " (given to the import)",
            Some(ZoneSource::Export) => " (stated by the export)",
            Some(ZoneSource::Config) => " (the configuration's timezone)",
            Some(ZoneSource::ThisMachine) => " (this machine's zone)",
            None => "",
        };
        parts.push(format!(
            "{} h from {zone}{source}",
            thousands(l.hours_zone as u64)
        ));
    }
    if l.hours_unknown > 0 {
        parts.push(format!(
            "{} h unknown{}",
            thousands(l.hours_unknown as u64),
            if cut_short {
                " (an import was cut short before it set local times: import the same files again)"
            } else if l.zone.is_none() {
                " (set timezone in the config, or import with --timezone)"
            } else {
                " (travel days the export's day files do not settle)"
            }
        ));
    }
    parts.join(", ")
}
