//! `fitpipe report`: the heart-rate dashboard as a local HTML file, or a terminal summary.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;

use super::output::io_err;
use crate::config::Settings;
use crate::error::Error;
use crate::model::format_utc;
use crate::model::{DAY, HOUR};
use crate::report::{self, ReportData};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Where to write the HTML file [default: DATA_DIR/report.html].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Open the report in the default browser.
    #[arg(long)]
    pub open: bool,

    /// First UTC day to include (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub since: Option<NaiveDate>,

    /// Last UTC day to include (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub until: Option<NaiveDate>,

    /// Print the last 24 hours and the headline numbers instead of writing HTML.
    #[arg(long)]
    pub terminal: bool,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    crate::formats::date(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// The last 24 hours of `account` that end at its newest hour, as a sparkline line.
pub(crate) fn last_day_line(store: &Store, account: &str) -> Result<Option<String>, Error> {
    let Some(last) = store.last_hour(account)? else {
        return Ok(None);
    };
    let first = last - 23 * HOUR;
    let points = store.hours(account, Some(first), Some(last + HOUR))?;
    let mut values = vec![None; 24];
    for p in &points {
        values[((p.hour - first) / HOUR) as usize] = Some(p.max_bpm);
    }
    let present: Vec<i64> = values.iter().flatten().copied().collect();
    Ok(Some(format!(
        "{}  max {} min {} (hourly max, 24 h to {})",
        report::sparkline(&values),
        present.iter().max().copied().unwrap_or_default(),
        present.iter().min().copied().unwrap_or_default(),
        format_utc(last + HOUR)
    )))
}

fn print_terminal(out: &mut impl Write, store: &Store, data: &ReportData) -> Result<(), Error> {
    let h = &data.headline;
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(io_err);
    w(out, format!("account {}", data.account))?;
    match last_day_line(store, &data.account)? {
        Some(line) => w(out, format!("  last 24 h:        {line}"))?,
        None => w(out, "  no data yet".into())?,
    }
    if let Some(c) = h.current_max {
        w(
            out,
            format!("  current max:      {} bpm ({})", c.bpm, format_utc(c.hour)),
        )?;
    }
    if let Some(m) = h.mean_hourly_max {
        w(out, format!("  mean hourly max:  {m:.1} bpm"))?;
    }
    if let Some(x) = h.highest_max {
        w(
            out,
            format!("  highest max:      {} bpm ({})", x.bpm, format_utc(x.hour)),
        )?;
    }
    w(
        out,
        format!(
            "  hours covered:    {} of {}",
            h.hours_with_samples, h.hours_in_range
        ),
    )
}

fn open_in_browser(path: &std::path::Path) -> Result<(), Error> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(path)
        .spawn()
        .map(|_| ())
        .map_err(|e| Error::output(format!("open the report with {opener}"), e))
}

pub fn run(settings: &Settings, args: ReportArgs) -> Result<(), Error> {
    let store = Store::open_read_only(&settings.db)?;
    if store.account(&settings.account)?.is_none() {
        return Err(Error::Usage(format!(
            "no account {:?} in {}; see `fitpipe status`",
            settings.account,
            settings.db.display()
        )));
    }
    let since = args.since.map(crate::model::midnight_utc);
    let until = args.until.map(|d| crate::model::midnight_utc(d) + DAY);
    let hours = store.hours(&settings.account, since, until)?;
    let data = report::compute(&settings.account, hours);
    let mut out = std::io::stdout().lock();
    if args.terminal {
        return print_terminal(&mut out, &store, &data);
    }
    let html =
        report::render::html(&data, &crate::clock::now_rfc3339()).map_err(Error::Internal)?;
    let path = args
        .out
        .unwrap_or_else(|| settings.data_dir.join("report.html"));
    crate::export::write_atomically(&path, html.as_bytes())?;
    writeln!(out, "wrote the report to {}", path.display()).map_err(io_err)?;
    if args.open {
        open_in_browser(&path)?;
    }
    Ok(())
}
