//! The command line: clap types, one file per subcommand. Only this layer prints.

mod demo;
mod export;
mod import;
mod output;
mod query;
mod report;
mod status;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::error::{Error, Report};

/// Your heart-rate history, in your own hands.
#[derive(Debug, Parser)]
#[command(name = "fitpipe", version, about, long_about = None)]
pub struct Cli {
    /// The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db].
    #[arg(long, global = true, env = "FITPIPE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The account the command works on.
    #[arg(
        long,
        global = true,
        env = "FITPIPE_ACCOUNT",
        default_value = "default"
    )]
    pub account: String,

    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a Google Takeout export (.zip or folder), heart-rate CSVs or saved API pages.
    Import(import::ImportArgs),
    /// Run one read-only SQL statement over the database.
    Query(query::QueryArgs),
    /// Write the hourly-max master table as CSV.
    Export(export::ExportArgs),
    /// Show the database, its accounts and what they hold.
    Status(status::StatusArgs),
    /// Draw the heart-rate report: one self-contained HTML file, or a terminal summary.
    Report(report::ReportArgs),
    /// Try fitpipe on a made-up history: no account or cloud needed.
    Demo(demo::DemoArgs),
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FITPIPE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Parses the arguments, runs the command and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    init_logging(cli.verbose);
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}", Report(&e));
            e.exit_code()
        }
    }
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> Result<(), Error> {
    let settings = Settings::resolve(cli.db.as_deref(), &cli.account)?;
    let result = match cli.command {
        Command::Import(a) => import::run(&settings, a),
        Command::Query(a) => query::run(&settings, a),
        Command::Export(a) => export::run(&settings, a),
        Command::Status(a) => status::run(&settings, a),
        Command::Report(a) => report::run(&settings, a),
        Command::Demo(a) => demo::run(&settings, a),
    };
    output::ignore_broken_pipe(result)
}
