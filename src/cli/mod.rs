//! The command line: clap types, one file per subcommand. Only this layer prints.

mod assets;
mod auth;
mod config_cmd;
mod demo;
mod doctor;
mod export;
mod import;
mod imports;
mod output;
mod query;
mod report;
mod service;
mod sources;
mod status;
mod sync;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Env, Flags, Settings};
use crate::error::{Error, Report};

/// Your heart-rate history, in your own hands.
#[derive(Debug, Parser)]
#[command(name = "fitpipe", version, about, long_about = None)]
pub struct Cli {
    /// The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db].
    #[arg(long, global = true, env = "FITPIPE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml].
    #[arg(long, global = true, env = "FITPIPE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url).
    #[arg(long, global = true, env = "FITPIPE_REMOTE_URL", value_name = "URL")]
    pub remote: Option<String>,

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
    /// List the imports, or remove one or move it to another account.
    Imports(imports::ImportsArgs),
    /// Run one read-only SQL statement over the database.
    Query(query::QueryArgs),
    /// Write the hourly-max master table as CSV.
    Export(export::ExportArgs),
    /// Show the database, its accounts and what they hold.
    Status(status::StatusArgs),
    /// List the sources of an account's samples, or choose which its hourly max counts.
    Sources(sources::SourcesArgs),
    /// Log in to Google, show or end the login.
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// Pull new samples from the Google Health API, then push to the remote.
    Sync(sync::SyncArgs),
    /// Fill the local store from the remote (a new laptop, a lost disk).
    Restore(sync::RestoreArgs),
    /// Run `fitpipe sync` on a timer (systemd user timer, launchd agent).
    #[command(subcommand)]
    Service(service::ServiceCommand),
    /// Check paths, database, keyring, tokens, remote, timer and whether data still arrives.
    Doctor(doctor::DoctorArgs),
    /// Print shell completions.
    Completions(assets::CompletionsArgs),
    /// Print the man page.
    Man,
    /// Show or print the configuration.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
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
            e.exit_code().into()
        }
    }
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> Result<(), Error> {
    let flags = Flags {
        config: cli.config,
        db: cli.db,
        account: cli.account,
        remote_url: cli.remote,
    };
    // The only place outside variables are read: the ones Google's own tools define.
    let env = Env {
        storage_emulator_host: std::env::var("STORAGE_EMULATOR_HOST")
            .ok()
            .filter(|v| !v.is_empty()),
        google_application_credentials: std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        gcloud_adc_file: std::env::var_os("CLOUDSDK_CONFIG")
            .map(PathBuf::from)
            .or_else(|| crate::config::home_dirs().map(|(home, _)| home.join(".config/gcloud")))
            .map(|d| d.join("application_default_credentials.json"))
            .filter(|p| p.is_file()),
        google_client_id: std::env::var("FITPIPE_GOOGLE_CLIENT_ID")
            .ok()
            .filter(|v| !v.is_empty()),
        google_client_secret: std::env::var("FITPIPE_GOOGLE_CLIENT_SECRET")
            .ok()
            .filter(|v| !v.is_empty()),
    };
    let settings = Settings::resolve(&flags, &env)?;
    let result = match cli.command {
        Command::Import(a) => import::run(&settings, a),
        Command::Imports(a) => imports::run(&settings, a),
        Command::Query(a) => query::run(&settings, a),
        Command::Export(a) => export::run(&settings, a),
        Command::Status(a) => status::run(&settings, a),
        Command::Sources(a) => sources::run(&settings, a),
        Command::Report(a) => report::run(&settings, a),
        Command::Auth(c) => auth::run(&settings, c),
        Command::Sync(a) => sync::run(&settings, a),
        Command::Restore(a) => sync::restore(&settings, a),
        Command::Config(c) => config_cmd::run(&settings, c),
        Command::Service(c) => service::run(&settings, c),
        Command::Doctor(a) => doctor::run(&settings, a),
        Command::Completions(a) => assets::completions(a),
        Command::Man => assets::man(),
        Command::Demo(a) => demo::run(&settings, a),
    };
    output::ignore_broken_pipe(result)
}
