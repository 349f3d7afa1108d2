//! `fitpipe demo`: a made-up history, imported through the same path as a real export.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Args;

use super::import::{import_paths, print_rejects, print_summary};
use super::output::{io_err, thousands};
use super::query::{write_query, Format};
use crate::config::Settings;
use crate::error::Error;
use crate::export;
use crate::store::Store;
use crate::synth::{self, Spec};

/// Marks a folder as made by `fitpipe demo`, so it may be cleared on the next run.
const MARKER: &str = ".fitpipe-demo";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The folder for the demo's export, database and CSV [default: DATA_DIR/demo].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// How many days of history.
    #[arg(long, default_value_t = 60)]
    pub days: u32,

    /// First local day (YYYY-MM-DD) [default: so that the history ends yesterday].
    #[arg(long)]
    pub start: Option<NaiveDate>,

    /// Seconds between samples: N, or MIN-MAX for a random gap.
    #[arg(long, default_value = "5-15", value_parser = parse_cadence)]
    pub cadence: (u32, u32),

    /// Seed of the made-up history.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// Only write the Takeout export (for benchmarks); import nothing.
    #[arg(long)]
    pub generate_only: bool,

    /// Also pack the export as DIR/takeout.zip.
    #[arg(long)]
    pub zip: bool,
}

fn parse_cadence(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a: u32 = a.trim().parse().map_err(|_| format!("bad cadence {s:?}"))?;
    let b: u32 = b.trim().parse().map_err(|_| format!("bad cadence {s:?}"))?;
    if a == 0 || b < a {
        return Err(format!(
            "cadence {s:?} must be N or MIN-MAX with 0 < MIN <= MAX"
        ));
    }
    Ok((a, b))
}

/// Empties `dir` when it is a previous demo, refuses when it holds anything else.
fn fresh_dir(dir: &Path) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::output(format!("prepare {}", dir.display()), e);
    if dir.exists() {
        let empty = std::fs::read_dir(dir).map_err(io)?.next().is_none();
        if !empty {
            if !dir.join(MARKER).exists() {
                return Err(Error::Usage(format!(
                    "{} is not empty and was not made by fitpipe demo; choose another --dir",
                    dir.display()
                )));
            }
            std::fs::remove_dir_all(dir).map_err(io)?;
        }
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(dir.join(MARKER), "made by fitpipe demo; safe to delete\n").map_err(io)
}

pub fn run(settings: &Settings, args: DemoArgs) -> Result<(), Error> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| settings.data_dir.join("demo"));
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    fresh_dir(&dir)?;
    let today = crate::clock::now().date_naive();
    let mut spec = Spec::recent(today, args.days);
    if let Some(start) = args.start {
        spec.start = start;
        spec.days = args.days;
        spec.trip = args.days >= 21;
    }
    spec.cadence = args.cadence;
    spec.seed = args.seed;

    let mut out = std::io::stdout().lock();
    let end = spec.start + chrono::Days::new(spec.days as u64 - 1);
    writeln!(
        out,
        "fitpipe demo: {} days of made-up heart rate, {} .. {}, in America/New_York{}",
        spec.days,
        spec.start,
        end,
        if spec.trip {
            " with a week at +05:30"
        } else {
            ""
        }
    )
    .map_err(io_err)?;
    let takeout = dir.join("takeout");
    let written = synth::write_takeout(&spec, &takeout).map_err(|e| {
        Error::output(
            format!("write the demo export under {}", takeout.display()),
            e,
        )
    })?;
    writeln!(
        out,
        "  wrote a Takeout export: {} ({} JSON + {} CSV files, {} samples each)",
        takeout.display(),
        written.json_files,
        written.csv_files,
        thousands(written.samples)
    )
    .map_err(io_err)?;
    let mut source = takeout.clone();
    if args.zip {
        let z = dir.join("takeout.zip");
        synth::zip_folder(&takeout, &z)
            .map_err(|e| Error::output(format!("write {}", z.display()), e))?;
        writeln!(out, "  packed it as {}", z.display()).map_err(io_err)?;
        source = z;
    }
    if args.generate_only {
        return Ok(());
    }

    let demo_settings = Settings {
        data_dir: dir.clone(),
        db: dir.join("fitpipe.db"),
        ..settings.clone()
    };
    let summary = import_paths(&demo_settings, &[source], None, true)?;
    write!(out, "  ").map_err(io_err)?;
    print_summary(&mut out, &summary).map_err(io_err)?;
    print_rejects(&summary);

    let mut store = Store::open(&demo_settings.db)?;
    writeln!(out, "\nthe last 7 days (daily_summary):").map_err(io_err)?;
    write_query(
        &store,
        "SELECT local_date, max_bpm, mean_hourly_max, hours_covered FROM daily_summary
          ORDER BY local_date DESC LIMIT 7",
        Format::Table,
        &mut out,
    )?;
    let csv = dir.join("hourly_max.csv");
    let n = export::export_to_file(&store, None, &csv)?;
    let report_path = dir.join("report.html");
    let data = crate::report::compute(
        &settings.account,
        store.hours(&settings.account, None, None)?,
    );
    let html = crate::report::render::html(&data, &crate::clock::now_rfc3339())
        .map_err(Error::Internal)?;
    export::write_atomically(&report_path, html.as_bytes())?;

    // Sync to a folder standing in for the bucket.
    let remote_dir = dir.join("remote");
    let sync_settings = Settings {
        remote: Some(crate::config::RemoteSettings {
            accounts: None,
            url: crate::config::RemoteUrl::File {
                root: remote_dir.clone(),
            },
            service_account_key: None,
            gcs_base_url: None,
            emulator: false,
            application_credentials: None,
        }),
        ..demo_settings.clone()
    };
    let clients = crate::app::Clients::new(&sync_settings);
    if let Some(r) = crate::app::push(&clients, &mut store, true, false, false, false)? {
        writeln!(out).map_err(io_err)?;
        super::sync::print_report(&mut out, &r, false).map_err(io_err)?;
    }
    let db = demo_settings.db.display();
    writeln!(
        out,
        "\nmaster table: {} ({} hours)\ndatabase:     {}\nreport:       {}\nremote:       {} (a folder standing in for the bucket)\n\ntry:\n  fitpipe --db {db} status\n  fitpipe --db {db} query \"SELECT * FROM hourly_max ORDER BY hour_start_utc DESC LIMIT 24\"\n  fitpipe --db {db} query --format csv \"SELECT * FROM daily_summary\"\n  fitpipe --db {db} report --open\n  fitpipe --db {db} --remote file://{} sync --dry-run",
        csv.display(),
        thousands(n),
        db,
        report_path.display(),
        remote_dir.display(),
        remote_dir.display(),
    )
    .map_err(io_err)?;
    Ok(())
}
