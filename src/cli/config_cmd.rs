//! `fitpipe config default|path`

use std::io::Write;

use clap::Subcommand;

use super::output::io_err;
use crate::config::{file::EXAMPLE, Settings};
use crate::error::Error;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a commented example config.toml.
    Default,
    /// Print where the config file is read from.
    Path,
}

pub fn run(settings: &Settings, cmd: ConfigCommand) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match cmd {
        ConfigCommand::Default => out.write_all(EXAMPLE.as_bytes()).map_err(io_err),
        ConfigCommand::Path => writeln!(
            out,
            "{}{}",
            settings.config_file.display(),
            if settings.config_found {
                ""
            } else {
                " (not found: built-in defaults apply)"
            }
        )
        .map_err(io_err),
    }
}
