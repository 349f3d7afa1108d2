//! `fitpipe sources [count|ignore|default LABEL] [--json]`

use std::io::Write;

use clap::{Args, Subcommand};

use super::output::{io_err, thousands};
use crate::config::Settings;
use crate::error::Error;
use crate::sources::Choice;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct SourcesArgs {
    #[command(subcommand)]
    pub change: Option<SourcesCommand>,
    /// Print as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SourcesCommand {
    /// Count this source in the account's hourly max.
    Count { source: String },
    /// Leave this source out of the account's hourly max.
    Ignore { source: String },
    /// Count or leave out this source as fitpipe does by default.
    Default { source: String },
}

pub fn run(settings: &Settings, args: SourcesArgs) -> Result<(), Error> {
    let account = &settings.account;
    let mut out = std::io::stdout().lock();
    if let Some(change) = args.change {
        let mut store = Store::open(&settings.db)?;
        let id = store
            .account(account)?
            .ok_or_else(|| Error::Usage(format!("no account {account:?} in the database")))?;
        let (source, counted) = match &change {
            SourcesCommand::Count { source } => (source, true),
            SourcesCommand::Ignore { source } => (source, false),
            SourcesCommand::Default { source } => {
                (source, crate::sources::counted_by_default(Some(source)))
            }
        };
        let choice = Choice {
            counted,
            changed_at: crate::clock::now_rfc3339(),
        };
        let changed = store.choose_source(id, source, &choice)?;
        let known = store
            .sources(id)?
            .iter()
            .any(|s| s.source.as_deref() == Some(source.as_str()) && s.samples > 0);
        if args.json {
            let v = serde_json::json!({
                "account": account, "source": source, "counted": counted,
                "hours_recomputed": changed, "source_has_samples": known,
            });
            return super::output::print_json(&mut out, &v);
        }
        let verb = if counted { "counts" } else { "leaves out" };
        writeln!(out, "the hourly max of account {account} {verb} {source:?}").map_err(io_err)?;
        if !known {
            writeln!(
                out,
                "note: account {account} has no samples from {source:?} (yet); `fitpipe sources` lists its sources"
            )
            .map_err(io_err)?;
        }
        if changed {
            writeln!(out, "its hours were computed again").map_err(io_err)?;
        }
        return Ok(());
    }
    if !settings.db.exists() {
        return Err(Error::Usage(format!(
            "no database yet at {}",
            settings.db.display()
        )));
    }
    let store = Store::open_read_only(&settings.db)?;
    let id = store
        .account(account)?
        .ok_or_else(|| Error::Usage(format!("no account {account:?} in the database")))?;
    let sources = store.sources(id)?;
    if args.json {
        let v = serde_json::json!({
            "account": account,
            "policy_version": crate::sources::format_version(store.source_policy(id)?.version()),
            "sources": sources,
        });
        return super::output::print_json(&mut out, &v);
    }
    writeln!(out, "account {account}: {} source(s)", sources.len()).map_err(io_err)?;
    let width = sources
        .iter()
        .map(|s| label(s.source.as_deref()).chars().count())
        .max()
        .unwrap_or(0);
    for s in &sources {
        let why = match (&s.chosen_at, s.counted == s.counted_by_default) {
            (Some(at), _) => format!("your choice, {at}"),
            (None, true) => "by default".to_string(),
            (None, false) => unreachable!("only a choice differs from the default"),
        };
        writeln!(
            out,
            "  {:<8} {:<width$}  {:>12} samples  ({why})",
            if s.counted { "counted" } else { "ignored" },
            label(s.source.as_deref()),
            thousands(s.samples),
        )
        .map_err(io_err)?;
    }
    if sources.iter().any(|s| !s.counted) {
        writeln!(
            out,
            "`fitpipe sources count SOURCE` counts an ignored source, `fitpipe sources ignore SOURCE` leaves one out"
        )
        .map_err(io_err)?;
    }
    Ok(())
}

fn label(source: Option<&str>) -> &str {
    source.unwrap_or("(not named: the wearable's own export)")
}
