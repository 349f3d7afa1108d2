//! `fitpipe completions SHELL` and `fitpipe man`: generated from the clap definition, the
//! same text as the files checked in under packaging/ (a test fails when they drift).

use std::io::Write;

use clap::{Args, CommandFactory};

use super::output::io_err;
use super::Cli;
use crate::error::Error;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh or fish.
    pub shell: clap_complete::Shell,
}

pub fn completions(args: CompletionsArgs) -> Result<(), Error> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "fitpipe", &mut out);
    std::io::stdout().lock().write_all(&out).map_err(io_err)
}

pub fn man() -> Result<(), Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(io_err)?;
    std::io::stdout().lock().write_all(&out).map_err(io_err)
}
