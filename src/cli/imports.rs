//! `fitpipe imports [remove N | move N --to ACCOUNT] [--json]`

use std::io::Write;

use clap::{Args, Subcommand};

use super::output::{io_err, thousands};
use crate::config::Settings;
use crate::error::Error;
use crate::import::{self, NotRemovable};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct ImportsArgs {
    #[command(subcommand)]
    pub change: Option<ImportsCommand>,
    /// Print as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportsCommand {
    /// Remove an import: the readings it brought leave its account, here, in the bucket and
    /// on every other machine at their next sync.
    Remove {
        /// The import's number, as `fitpipe imports` lists it.
        import: i64,
    },
    /// Move an import to another account (an export imported into the wrong one).
    Move {
        /// The import's number, as `fitpipe imports` lists it.
        import: i64,
        /// The account its readings belong to.
        #[arg(long, value_name = "ACCOUNT")]
        to: String,
    },
}

pub fn run(settings: &Settings, args: ImportsArgs) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    if !settings.db.exists() {
        return Err(Error::Usage(format!(
            "no database yet at {}",
            settings.db.display()
        )));
    }
    let Some(change) = args.change else {
        let store = Store::open_read_only(&settings.db)?;
        let imports = store.imports()?;
        let interrupted = store.interrupted_imports(None)?;
        if args.json {
            return super::output::print_json(
                &mut out,
                &serde_json::json!({ "imports": imports, "interrupted": interrupted }),
            );
        }
        writeln!(out, "{} import(s)", imports.len()).map_err(io_err)?;
        for i in &imports {
            let state = match (&i.removed_at, &i.moved_to, &i.uid) {
                (Some(at), Some(to), _) => format!("moved to {to} at {at}"),
                (Some(at), None, _) => format!("removed at {at}"),
                (None, _, None) => {
                    "made before imports kept their readings: cannot be removed".into()
                }
                (None, _, Some(_)) => format!("{} readings its own", thousands(i.marked)),
            };
            writeln!(
                out,
                "  {:>4}  {:<12} {}  {:>5} files  {:>12} new  {:>12} already stored  ({state})",
                i.id,
                i.account,
                i.finished_at,
                i.files,
                thousands(i.samples_new as u64),
                thousands(i.samples_present as u64),
            )
            .map_err(io_err)?;
        }
        for i in &interrupted {
            writeln!(
                out,
                "  cut short: {:<12} started {}, did not finish ({} readings its own, of {}): import the same files again to finish it, and it can then be removed",
                i.account,
                i.started_at,
                thousands(i.marked),
                i.inputs.join(", "),
            )
            .map_err(io_err)?;
        }
        if imports
            .iter()
            .any(|i| i.removed_at.is_none() && i.uid.is_some())
        {
            writeln!(
                out,
                "`fitpipe imports remove N` removes one, `fitpipe imports move N --to ACCOUNT` moves it"
            )
            .map_err(io_err)?;
        }
        return Ok(());
    };
    let (import, to) = match &change {
        ImportsCommand::Remove { import } => (*import, None),
        ImportsCommand::Move { import, to } => {
            crate::model::validate_account_name(to).map_err(Error::Usage)?;
            (*import, Some(to.as_str()))
        }
    };
    let mut store = Store::open(&settings.db)?;
    let now = crate::clock::now_rfc3339();
    if let Some(to) = to {
        let from = store.imports()?.into_iter().find(|i| i.id == import);
        if from.is_some_and(|i| i.account == to) {
            return Err(Error::Usage(format!(
                "import {import} is in account {to} already"
            )));
        }
    }
    let configured = to.and_then(|t| settings.timezone_for(t));
    let removed = match import::remove(&mut store, import, (to, configured), &now)? {
        Ok(r) => r,
        Err(NotRemovable::Unknown) => {
            return Err(Error::Usage(format!(
                "no import {import}; `fitpipe imports` lists them"
            )))
        }
        Err(NotRemovable::Removed(at)) => {
            return Err(Error::Usage(format!(
                "import {import} was removed (or moved) at {at} already"
            )))
        }
        Err(NotRemovable::RemovedFromTarget(n)) => {
            return Err(Error::Usage(format!(
                "{} of import {import}'s readings were removed from account {} before, and a removal is final for the readings it names; nothing was moved",
                thousands(n),
                to.unwrap_or_default()
            )))
        }
        Err(NotRemovable::Unmarked) => {
            return Err(Error::Usage(format!(
                "import {import} was made before fitpipe kept which readings each import brought, so its readings cannot be told from the others; nothing was changed"
            )))
        }
    };
    if args.json {
        return super::output::print_json(&mut out, &removed);
    }
    match &removed.moved_to {
        Some(to) => writeln!(
            out,
            "moved import {} from account {} to {to}: {} readings copied ({} new there), {} deleted from {}, {} hour(s) computed again",
            removed.import,
            removed.account,
            thousands(removed.copied),
            thousands(removed.copied_new),
            thousands(removed.readings),
            removed.account,
            thousands(removed.hours as u64),
        ),
        None => writeln!(
            out,
            "removed import {} from account {}: {} readings deleted, {} hour(s) computed again",
            removed.import,
            removed.account,
            thousands(removed.readings),
            thousands(removed.hours as u64),
        ),
    }
    .map_err(io_err)?;
    if removed.samples_present > 0 {
        writeln!(
            out,
            "{} readings it found stored already were not its own and stay",
            thousands(removed.samples_present as u64)
        )
        .map_err(io_err)?;
    }
    writeln!(
        out,
        "the next `fitpipe sync` takes this to the bucket and every other machine"
    )
    .map_err(io_err)?;
    Ok(())
}
