//! `fitpipe import PATH...`

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::output::{io_err, thousands};
use crate::config::Settings;
use crate::error::Error;
use crate::import::{self, ImportSummary};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Takeout .zip files or folders, heart-rate CSV files, saved API pages (.json).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,

    /// Your time zone (an IANA name such as America/New_York), for local times of samples
    /// whose files state no UTC offset; default: `timezone` in the config, else the one
    /// the export states, else this machine's.
    #[arg(long, value_name = "ZONE", value_parser = check_zone)]
    pub timezone: Option<String>,
}

fn check_zone(s: &str) -> Result<String, String> {
    import::zone::parse(s)
        .map(|_| s.trim().to_string())
        .ok_or_else(|| format!("{s:?} is not a time zone (an IANA name such as America/New_York)"))
}

/// Imports `paths` into the settings' database and account; shared with `demo`.
pub(crate) fn import_paths(
    settings: &Settings,
    paths: &[PathBuf],
    zone: Option<&str>,
    show_progress: bool,
) -> Result<ImportSummary, Error> {
    let discovery = import::discover(paths)?;
    let mut store = Store::open(&settings.db)?;
    let now = crate::clock::now_rfc3339();
    let account = store.ensure_account(&settings.account, &now)?;
    let bar = if show_progress && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(discovery.units.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files  {msg}",
            )
            .expect("valid template"),
        );
        Some(bar)
    } else {
        None
    };
    let prefs = import::zone::ZonePrefs {
        given: zone,
        configured: settings.timezone_for(&settings.account),
    };
    let summary = import::run(&mut store, account, &discovery, prefs, &now, &mut |p| {
        if let Some(b) = &bar {
            b.set_position(p.files_done);
            b.set_message(format!("{} samples read", thousands(p.samples_read)));
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(summary?)
}

/// Writes the human summary of an import.
pub(crate) fn print_summary(out: &mut impl Write, s: &ImportSummary) -> std::io::Result<()> {
    writeln!(
        out,
        "imported {} file(s) in {:.2} s: {} new samples, {} already present{}, {} rejected; {} hour(s) updated",
        thousands(s.files),
        s.elapsed.as_secs_f64(),
        thousands(s.samples_new),
        thousands(s.samples_present + s.samples_enriched),
        if s.samples_enriched > 0 {
            format!(" ({} gained an offset or device)", thousands(s.samples_enriched))
        } else {
            String::new()
        },
        thousands(s.rejected),
        thousands(s.hours_touched as u64),
    )?;
    if let Some(z) = &s.zone {
        use crate::import::zone::ZoneSource;
        writeln!(
            out,
            "local times where the files state no offset: zone {} ({})",
            z.name,
            match z.source {
                ZoneSource::Given => "given",
                ZoneSource::Export => "stated by the export's UserDemographicData.csv",
                ZoneSource::Config => "the configuration's timezone",
                ZoneSource::ThisMachine =>
                    "this machine's; give --timezone or set timezone in the config if yours differs",
            }
        )?;
    }
    for (at, readings) in &s.finished_interrupted {
        writeln!(
            out,
            "finished the import of the same files that started at {at} and was cut short: the {} reading(s) it had stored are this import's now",
            thousands(*readings)
        )?;
    }
    Ok(())
}

/// Says how many readings were not stored because a removal names them.
pub(crate) fn print_removed(out: &mut impl Write, s: &ImportSummary) -> std::io::Result<()> {
    if s.samples_removed == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "not stored: {} reading(s) an earlier removal of this account names (`fitpipe imports` lists it); a removal is final for the readings it names",
        thousands(s.samples_removed)
    )
}

/// Says how many measurements had no value, and where (normal; not an error).
pub(crate) fn print_no_readings(out: &mut impl Write, s: &ImportSummary) -> std::io::Result<()> {
    if s.no_readings == 0 {
        return Ok(());
    }
    let files: Vec<String> = s
        .no_reading_files
        .iter()
        .map(|f| format!("{} ({})", shown(&f.file), thousands(f.count)))
        .collect();
    let listed: u64 = s.no_reading_files.iter().map(|f| f.count).sum();
    writeln!(
        out,
        "no reading: {} measurement(s) with an empty or not-a-number value, which exports write when the sensor had none: {}{}",
        thousands(s.no_readings),
        files.join(", "),
        if listed < s.no_readings { ", and more" } else { "" }
    )
}

/// Lists the rejects on stderr.
pub(crate) fn print_rejects(s: &ImportSummary) {
    if s.rejected == 0 {
        return;
    }
    let mut err = std::io::stderr().lock();
    for r in &s.rejects {
        let _ = writeln!(err, "rejected: {}", shown(&r.to_string()));
    }
    let more = s.rejected.saturating_sub(s.rejects.len() as u64);
    if more > 0 {
        let _ = writeln!(err, "rejected: ... and {} more", thousands(more));
    }
}

/// Longest a reject's line is shown (a garbage archive's header can make a long message).
const REJECT_SHOWN_CHARS: usize = 300;

/// `line` as it may go to a terminal: what came from the input (a member's name, a cell, a
/// library's report of garbage bytes) shows no control character or undecodable byte, and
/// stops at [`REJECT_SHOWN_CHARS`]. For a reject's line, and a file's name in other lines.
fn shown(line: &str) -> String {
    let mut out: String = line
        .chars()
        .take(REJECT_SHOWN_CHARS)
        .map(|c| {
            if c.is_control() || c == char::REPLACEMENT_CHARACTER {
                '?'
            } else {
                c
            }
        })
        .collect();
    if line.chars().nth(REJECT_SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

pub fn run(settings: &Settings, args: ImportArgs) -> Result<(), Error> {
    let summary = import_paths(settings, &args.paths, args.timezone.as_deref(), !args.json)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        super::output::print_json(&mut out, &summary)?;
    } else {
        print_summary(&mut out, &summary).map_err(io_err)?;
        print_removed(&mut out, &summary).map_err(io_err)?;
        print_no_readings(&mut out, &summary).map_err(io_err)?;
    }
    print_rejects(&summary);
    if summary.rejected > 0 {
        return Err(Error::InputRejected {
            rejected: summary.rejected,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejects_line_shows_no_control_character_and_stops_at_its_length() {
        assert_eq!(
            shown("f.csv:3: bad bpm \"\u{1b}[2Jx\u{fffd}\""),
            "f.csv:3: bad bpm \"?[2Jx?\""
        );
        assert_eq!(shown("naïve: ok"), "naïve: ok");
        let long = "é".repeat(REJECT_SHOWN_CHARS + 5);
        let cut = shown(&long);
        assert_eq!(cut.chars().count(), REJECT_SHOWN_CHARS + 1);
        assert!(cut.ends_with("é…"));
        assert_eq!(
            shown(&long[..2 * REJECT_SHOWN_CHARS]),
            long[..2 * REJECT_SHOWN_CHARS]
        );
    }
}
