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
        if let Some(line) = super::report::last_day_line(&store, &a.account)? {
            w(&mut out, format!("  last 24 h:   {line}"))?;
        }
    }
    Ok(())
}
