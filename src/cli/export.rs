//! `fitpipe export [--out FILE]`

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::output::{io_err, thousands};
use crate::config::Settings;
use crate::error::Error;
use crate::export;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where to write the CSV ("-" for stdout) [default: DATA_DIR/hourly_max.csv].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Export only the account given by --account (default: every account).
    #[arg(long)]
    pub only_account: bool,
}

pub fn run(settings: &Settings, args: ExportArgs) -> Result<(), Error> {
    let store = Store::open_read_only(&settings.db)?;
    let account = args.only_account.then_some(settings.account.as_str());
    let path = args
        .out
        .unwrap_or_else(|| settings.data_dir.join("hourly_max.csv"));
    if path.as_os_str() == "-" {
        let out = std::io::stdout().lock();
        export::write_csv(&store, account, out)?;
        return Ok(());
    }
    let n = export::export_to_file(&store, account, &path)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "wrote {} hour(s) to {}", thousands(n), path.display()).map_err(io_err)
}
